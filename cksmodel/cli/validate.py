"""``cksmodel validate``: several files and globs, four formats, a failure threshold.

Every file is read before anything is written, so an unreadable file or a
glob that matches nothing is an input error (exit 2) and no report at all.
Exit 1 when any document has a finding at the ``--fail-on`` severity or a more
severe one (default ERROR), else 0.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

from cksmodel.cli.ci import (
    Document,
    validation_json,
    validation_junit,
    validation_sarif,
    validation_text,
)
from cksmodel.cli.output import write_output
from cksmodel.errors import InputError
from cksmodel.policy.findings import Severity
from cksmodel.policy.ir import PolicyKind, PolicyType
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES
from cksmodel.policy.validate import validate_text
from cksmodel.source import read_regular_file

__all__ = ["expand_paths", "run_validate"]

EXIT_OK = 0
EXIT_FINDINGS = 1


def expand_paths(arguments: list[str]) -> list[str]:
    """Files as given, and glob patterns expanded (sorted; ``**`` recurses), without repeats."""
    paths: list[str] = []
    for arg in arguments:
        if glob.has_magic(arg) and not Path(arg).exists():
            found = sorted(p for p in glob.glob(arg, recursive=True) if Path(p).is_file())
            if not found:
                raise InputError(f"no file matches {arg!r}", code="E_IO")
            paths.extend(found)
        else:
            paths.append(arg)
    return list(dict.fromkeys(paths))


def _read(path: str) -> bytes:
    try:
        return read_regular_file(Path(path), limit=MAX_DOCUMENT_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", code="E_IO") from None


def run_validate(args: argparse.Namespace) -> int:
    """Validate every document, write one report, and return the exit status."""
    policy_type = PolicyType(args.policy_type)
    kind = PolicyKind(args.policy_kind) if args.policy_kind else None
    if kind is not None and not kind.fits(policy_type):
        raise InputError(
            f"--policy-kind {kind} does not fit --policy-type {policy_type}: expected "
            "identity (any kind) or boundary (customer-managed or aws-managed)",
            code="E_USAGE",
        )
    paths = expand_paths(args.files)
    contents = [(path, _read(path)) for path in paths]
    documents = [
        Document(
            source=path,
            findings=tuple(
                validate_text(data, policy_type=policy_type, source=path, policy_kind=kind)
            ),
        )
        for path, data in contents
    ]
    threshold = Severity(args.fail_on or "ERROR")
    if args.format == "json":
        text = validation_json(documents)
    elif args.format == "sarif":
        text = validation_sarif(documents)
    elif args.format == "junit":
        text = validation_junit(documents, threshold)
    else:
        text = validation_text(documents)
    write_output(text, args.output)
    return EXIT_FINDINGS if any(d.fails(threshold) for d in documents) else EXIT_OK
