"""The step of the cksmodel GitHub Action (``action.yml``): one cksmodel command, run safely.

Every input arrives in an environment variable (``INPUT_COMMAND``, ``INPUT_ARGS``, …), never
in shell text, and becomes a list of literal arguments for ``cksmodel``: ``args`` and
``spec`` are split like shell words (quotes group, nothing is expanded or executed), the
command must be one of cksmodel's, and no shell runs the result. The exit status is
cksmodel's own (see the README's exit-status table); an unusable input is status 2, as for
cksmodel itself.

Run it locally the same way the action does::

    INPUT_COMMAND=validate INPUT_ARGS='--policy-type key policies/*.json' python run.py
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_INPUT = 2

COMMANDS = (
    "validate",
    "prove",
    "simulate",
    "check-no-new-access",
    "check-access-not-granted",
    "check-no-public-access",
    "compare",
    "who-can",
    "can",
    "graph",
    "diff",
)
"""The cksmodel commands the action runs."""

SARIF_COMMANDS = frozenset(
    {
        "validate",
        "prove",
        "check-no-new-access",
        "check-access-not-granted",
        "check-no-public-access",
        "compare",
    }
)
"""The commands that write SARIF (``--format sarif``)."""

OPTION_INPUTS = (
    ("ACCOUNT", "--account", frozenset({"prove", "diff", "who-can", "can", "graph"})),
    ("PLAN", "--plan", frozenset({"prove", "diff"})),
)
"""Inputs that become one ``FLAG VALUE`` pair: the variable, the flag, the commands taking
it. A new single-valued flag of cksmodel is one more row."""

WORD_INPUTS = (("SPEC", frozenset({"prove"})),)
"""Inputs holding shell words that become positional arguments, and the commands taking
them."""


def input_variables() -> frozenset[str]:
    """Every environment variable the inputs are read from."""
    names = ["COMMAND", "ARGS", "FORMAT", "SARIF_FILE", "UPLOAD_SARIF"]
    names += [name for name, _, _ in OPTION_INPUTS] + [name for name, _ in WORD_INPUTS]
    return frozenset(f"INPUT_{name}" for name in names)


DEFAULT_SARIF = "cksmodel.sarif"
"""The SARIF file written when ``upload-sarif`` is asked without a ``sarif-file``."""


class ActionInputError(Exception):
    """An input the action cannot use; the message says which and why."""


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """What to run: cksmodel's arguments, and the SARIF file it writes (if any)."""

    argv: tuple[str, ...]
    sarif_file: str | None


def words(env: Mapping[str, str], name: str) -> list[str]:
    """A shell-words input (spaces or newlines between words, quotes to group), split
    without expanding anything: ``$(…)``, backticks and ``;`` stay literal text."""
    text = env.get(f"INPUT_{name}", "")
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ActionInputError(f"input {name.lower()}: {exc} in {text!r}") from None


def invocation(env: Mapping[str, str]) -> Invocation:
    """cksmodel's arguments for the inputs in ``env``."""
    command = env.get("INPUT_COMMAND", "").strip()
    if command not in COMMANDS:
        raise ActionInputError(
            f"input command: {command!r} is not a cksmodel command; expected one of "
            + ", ".join(COMMANDS)
        )
    argv = [command]
    for name, commands in WORD_INPUTS:
        given = words(env, name)
        if given and command not in commands:
            raise ActionInputError(f"input {name.lower()}: {command} takes no {name.lower()}")
        argv.extend(given)
    for name, flag, commands in OPTION_INPUTS:
        value = env.get(f"INPUT_{name}", "")
        if value:
            if command not in commands:
                raise ActionInputError(f"input {name.lower()}: {command} takes no {flag}")
            argv.extend([flag, value])
    form = env.get("INPUT_FORMAT", "").strip()
    sarif = env.get("INPUT_SARIF_FILE", "").strip() or None
    if sarif is None and env.get("INPUT_UPLOAD_SARIF", "").strip() == "true":
        sarif = DEFAULT_SARIF
    if sarif is not None:
        if command not in SARIF_COMMANDS:
            raise ActionInputError(f"input sarif-file: {command} does not write SARIF")
        if form not in ("", "sarif"):
            raise ActionInputError(
                f"inputs format and sarif-file: the report is SARIF, not {form!r}; "
                "leave format empty"
            )
        if any(c in sarif for c in "\r\n"):
            raise ActionInputError("input sarif-file: a path cannot hold a line break")
        argv.extend(["--format", "sarif", "--output", sarif])
    elif form:
        argv.extend(["--format", form])
    argv.extend(words(env, "ARGS"))
    return Invocation(argv=tuple(argv), sarif_file=sarif)


def sarif_summary(path: Path) -> list[str]:
    """One line per SARIF result: level, rule, location and message, for the log."""
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    lines = []
    for run in log.get("runs", []):
        for result in run.get("results", []):
            where = ""
            for loc in result.get("locations", [])[:1]:
                physical = loc.get("physicalLocation", {})
                uri = physical.get("artifactLocation", {}).get("uri", "")
                line = physical.get("region", {}).get("startLine")
                where = f" {uri}:{line}" if line else f" {uri}"
            kind = result.get("kind", "fail")
            level = result.get("level", "") if kind == "fail" else kind
            text = result.get("message", {}).get("text", "").splitlines()
            lines.append(f"{level} {result.get('ruleId', '')}{where}: {text[0] if text else ''}")
    return lines


def set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` (values hold no line break)."""
    target = env.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.writelines(f"{name}={value}\n" for name, value in outputs.items())


def run(env: Mapping[str, str], executable: str) -> int:
    """Run cksmodel for the inputs in ``env``; its exit status."""
    try:
        call = invocation(env)
    except ActionInputError as exc:
        print(f"cksmodel action: {exc}", file=sys.stderr)
        return EXIT_INPUT
    on_github = env.get("GITHUB_ACTIONS") == "true"
    token = secrets.token_hex(16)
    if on_github:
        # Nothing printed from here on (arguments and policy text included) is read as a
        # workflow command.
        print(f"::stop-commands::{token}", flush=True)
    try:
        print("cksmodel " + shlex.join(call.argv), flush=True)
        status = subprocess.run([executable, *call.argv], check=False).returncode
        written = call.sarif_file is not None and Path(call.sarif_file).is_file()
        if call.sarif_file is not None and written:
            for line in sarif_summary(Path(call.sarif_file)):
                print(line)
    finally:
        if on_github:
            print(f"::{token}::", flush=True)
    set_outputs(env, {"sarif-file": call.sarif_file if call.sarif_file and written else ""})
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: the inputs come from the environment, never from ``argv``."""
    if argv:
        print("cksmodel action: inputs come from INPUT_* variables only", file=sys.stderr)
        return EXIT_INPUT
    executable = shutil.which("cksmodel")
    if executable is None:
        print("cksmodel action: the cksmodel command is not installed", file=sys.stderr)
        return EXIT_INPUT
    return run(os.environ, executable)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
