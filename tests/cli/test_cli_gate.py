"""A CI gate that cannot pass by accident: the account checked is always named, empty input is
an error, internal errors exit 70 without a traceback, outputs never clobber, inputs never hang."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from in_process import run

from cksmodel.cli import commands

REPO = Path(__file__).resolve().parents[2]
STORE_MANAGER = "tests/data/specs/store-manager.spec"
BROKEN = "examples/cks-account-broken"
EXAMPLE_NOTE = "the bundled example (examples/cks-account)"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def cli(*argv: str, stdout: int | IO[str] = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """The real console entry in a child process; the timeout only guards against a hang."""
    return subprocess.run(
        [sys.executable, "-m", "cksmodel.cli.commands", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


# --------------------------------------------------------------------------- the account checked


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["prove", "--account", ""], id="prove"),
        pytest.param(["prove", "--account", "  "], id="prove-blank"),
        pytest.param(["who-can", "kms:DeleteCustomKeyStore", "--account", ""], id="who-can"),
        pytest.param(["can", "role/Admin", "kms:Decrypt", "--account", ""], id="can"),
        pytest.param(["graph", "--account", ""], id="graph"),
    ],
)
def test_an_empty_account_is_an_input_error_not_the_example(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "E_USAGE --account is empty" in err
    assert "Traceback" not in err


def test_a_path_that_is_not_a_bundle_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["prove", STORE_MANAGER, "--account", str(tmp_path)]) == 2
    assert "account.json" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_prove_without_account_names_the_bundled_example_in_every_format(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["prove", STORE_MANAGER, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "text":
        first = out.splitlines()[0]
        assert first.startswith("account 111122223333: ")
        assert EXAMPLE_NOTE in first
    elif fmt == "json":
        data = json.loads(out)
        assert (data["account"], data["account_id"], data["bundled_example"]) == (
            "examples/cks-account",
            "111122223333",
            True,
        )
    elif fmt == "sarif":
        properties = json.loads(out)["runs"][0]["properties"]
        assert (properties["accountId"], properties["bundledExample"]) == ("111122223333", True)
    else:
        suite = ET.fromstring(out).find("testsuite")
        assert suite is not None
        assert suite.get("name") == (
            "cksmodel prove: account 111122223333 (examples/cks-account, the bundled example)"
        )


def test_prove_with_an_account_says_it_is_not_the_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(["prove", STORE_MANAGER, "--account", BROKEN, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert (data["account"], data["bundled_example"]) == (BROKEN, False)


@pytest.mark.parametrize(
    ("argv", "json_keys"),
    [
        pytest.param(["who-can", "kms:DeleteCustomKeyStore", "--direct-only"], True, id="who-can"),
        pytest.param(["can", "role/cks-store-manager", "kms:DeleteCustomKeyStore"], True, id="can"),
        pytest.param(["graph"], False, id="graph"),
    ],
)
def test_graph_commands_name_the_account_in_text_and_json(
    argv: list[str], json_keys: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    run(argv)
    text = capsys.readouterr().out
    run([*argv, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    if json_keys:
        assert text.splitlines()[0].startswith("account 111122223333: the bundled example")
        assert (data["account"], data["account_id"], data["bundled_example"]) == (
            "examples/cks-account",
            "111122223333",
            True,
        )
    else:
        assert "the bundled example examples/cks-account" in text
        assert (data["account"], data["bundle"], data["bundled_example"]) == (
            "111122223333",
            "examples/cks-account",
            True,
        )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("", id="empty"),
        pytest.param("# only a comment\n", id="comment-only"),
        pytest.param('persona admins = principals that can "iam:*" on "*"\n', id="personas-only"),
    ],
)
def test_a_spec_without_invariants_is_an_input_error(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "empty.spec"
    spec.write_text(content, encoding="utf-8")
    assert run(["prove", str(spec), "--account", BROKEN]) == 2
    assert "E_SPEC_EMPTY" in capsys.readouterr().err


# --------------------------------------------------------------------------- exit statuses


def test_readme_and_help_list_the_same_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| status | meaning |") :].split("\n\n", 1)[0]
    rows = [
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"^\| (\d+) \| (.*) \|$", table, re.MULTILINE)
    ]
    assert rows == list(commands.EXIT_CODES)
    assert {code for code, _ in rows} == {0, 1, 2, 3, 70, 130}
    run(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for code, meaning in commands.EXIT_CODES:
        assert f"{code} {meaning}" in help_text


def boom(args: object) -> int:
    raise RuntimeError("injected failure\nsecond line")


@pytest.mark.parametrize("command", ["validate", "prove"])
def test_an_internal_error_exits_70_in_one_line_without_a_traceback(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(commands, f"_cmd_{command}", boom)
    argv = (
        ["validate", "x.json", "--policy-type", "identity"] if command == "validate" else [command]
    )
    assert run(argv) == 70
    err = capsys.readouterr().err
    assert err == (
        f"cksmodel {command}: internal error: RuntimeError: injected failure (a bug: please "
        "report it with the command and its input; rerun with --debug for the traceback)\n"
    )


def test_debug_adds_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(commands, "_cmd_prove", boom)
    assert run(["prove", "--debug"]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: injected failure" in err


def test_a_recursion_error_is_an_internal_error_not_a_refutation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def deep(args: object) -> int:
        return deep(args)

    monkeypatch.setattr(commands, "_cmd_prove", deep)
    assert run(["prove"]) == 70
    assert "RecursionError" in capsys.readouterr().err


def test_a_full_disk_on_stdout_is_an_input_output_error() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = cli("validate", "tests/data/validate/clean-identity.json", "--policy-type",
                   "identity", stdout=full)  # fmt: skip
    assert done.returncode == 2
    assert "cannot write to standard output" in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- --output


def recorder(ran: list[object]) -> Callable[[object], int]:
    """A command that only records that it ran."""

    def command(args: object) -> int:
        ran.append(args)
        return 0

    return command


def special(tmp_path: Path, kind: str) -> Path:
    """A path holding something that is not a regular file."""
    path = tmp_path / f"out-{kind}"
    if kind == "symlink":
        target = tmp_path / "target.json"
        target.write_text("keep me", encoding="utf-8")
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("creating a device node needs privileges")
    return path


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory", "device"])
def test_output_onto_anything_but_a_regular_file_is_refused_and_nothing_replaced(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = special(tmp_path, kind)
    before = path.lstat()
    ran: list[object] = []
    monkeypatch.setattr(commands, "_cmd_simulate", recorder(ran))
    status = run(["simulate", "examples/scenarios/key-user-decrypt.json", "--output", str(path)])
    assert status == 2
    assert "E_OUTPUT" in capsys.readouterr().err
    assert ran == []  # refused before any work
    after = path.lstat()
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if kind == "symlink":
        assert (tmp_path / "target.json").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".cksmodel-")) == []


def test_an_unwritable_destination_fails_before_the_work_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[object] = []
    monkeypatch.setattr(commands, "_cmd_prove", recorder(ran))
    assert run(["prove", "--output", "/nonexistent-folder/report.sarif"]) == 2
    assert "E_IO" in capsys.readouterr().err
    assert ran == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_output_file_follows_the_umask(umask: int, tmp_path: Path) -> None:
    target = tmp_path / "decision.json"
    old = os.umask(umask)
    try:
        assert run(["simulate", "examples/scenarios/key-user-decrypt.json", "--output",
                    str(target)]) == 0  # fmt: skip
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_an_existing_output_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "decision.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    assert run(["simulate", "examples/scenarios/key-user-decrypt.json", "--output",
                str(target)]) == 0  # fmt: skip
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_text(encoding="utf-8").startswith("decision: allowed")


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    "part",
    ["account.json", "iam/account-authorization-details.json", "kms/keys/KEY/key-policy.json"],
)
def test_a_fifo_in_a_bundle_is_refused_at_once(part: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REPO / BROKEN, bundle)
    if "KEY" in part:
        key = sorted((bundle / "kms" / "keys").iterdir())[0].name
        part = part.replace("KEY", key)
    (bundle / part).unlink()
    os.mkfifo(bundle / part)
    done = cli("prove", STORE_MANAGER, "--account", str(bundle))
    assert done.returncode == 2, done.stderr
    assert "a FIFO, not a regular file" in done.stderr
    assert part.split("/")[-1] in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["validate", "{}", "--policy-type", "identity"], id="validate"),
        pytest.param(["simulate", "{}"], id="simulate"),
        pytest.param(["prove", "{}", "--account", BROKEN], id="spec"),
        pytest.param(
            ["check-no-new-access", "--existing-policy-document", "{}",
             "--new-policy-document", "{}", "--policy-type", "IDENTITY_POLICY"],
            id="check",
        ),
    ],
)  # fmt: skip
def test_a_fifo_given_as_any_input_file_is_refused_at_once(argv: list[str], tmp_path: Path) -> None:
    fifo = tmp_path / "input.json"
    os.mkfifo(fifo)
    argv = [str(fifo) if a == "{}" and i == argv.index("{}") else a for i, a in enumerate(argv)]
    done = cli(*argv)
    assert done.returncode == 2, done.stderr
    assert "a FIFO, not a regular file" in done.stderr
