"""Results to text and JSON for people and machines, written all-or-nothing."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from cksmodel.concrete.decision import Decision
from cksmodel.errors import InputError
from cksmodel.policy.findings import Finding


def decision_text(decision: Decision) -> str:
    lines = [f"decision: {decision.decision.value}"]
    if decision.blocked_by:
        lines.append(f"blocked by: {decision.blocked_by} policy")
    lines.extend(f"  - {reason}" for reason in decision.reasons)
    if decision.matched_statements:
        lines.append("matched statements:")
        for m in decision.matched_statements:
            where = f"{m.span}" if m.span else "-"
            sid = f" Sid {m.sid!r}" if m.sid else ""
            lines.append(
                f"  {m.effect:<5} {m.policy_type:<8} {m.policy_name} "
                f"statement {m.statement_index}{sid}  {where}"
            )
    if decision.missing_context_keys:
        lines.append(
            "context keys referenced but not supplied: " + ", ".join(decision.missing_context_keys)
        )
    return "\n".join(lines) + "\n"


def decision_json(decision: Decision) -> str:
    return json.dumps(decision.to_json(), indent=2, sort_keys=False) + "\n"


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity.value,
        "message": f.message,
        "source": f.span.source if f.span else None,
        "line": f.span.line if f.span else None,
        "column": f.span.column if f.span else None,
    }


def check_output(output: str | None) -> None:
    """Refuse, before any work, a destination that is not a writable path for a regular file.

    A symlink, directory, FIFO, socket or device at the path is refused (nothing there is ever
    replaced), and so is a folder that cannot take a new file. ``None`` and ``-`` are stdout.
    """
    if output is None or output == "-":
        return
    if not output.strip():
        raise InputError("--output is empty: give a file path, or - for stdout", code="E_USAGE")
    target = Path(output)
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"cannot write {output!r}: {exc.strerror}", code="E_IO") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else _kind(mode)
        raise InputError(
            f"--output {output!r} is {kind}; give the path of a regular file (or - for stdout)",
            code="E_OUTPUT",
        )
    try:
        fd, probe = tempfile.mkstemp(dir=target.parent, prefix=".cksmodel-")
    except OSError as exc:
        raise InputError(f"cannot write {output!r}: {exc.strerror}", code="E_IO") from None
    os.close(fd)
    os.unlink(probe)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def write_output(text: str, output: str | None) -> None:
    """Print, or write the file atomically so a failure never leaves half a file.

    An existing file keeps its permission bits; a new one gets those the umask allows, as any
    file a program creates. Only a regular file is ever replaced (:func:`check_output`).
    Progress rows on the terminal are cleared first.
    """
    from cksmodel.cli.progress import stop_progress

    stop_progress()
    if output is None or output == "-":
        _to_stdout(text)
        return
    check_output(output)
    target = Path(output)
    try:
        existing: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        existing = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".cksmodel-")
    except OSError as exc:
        raise InputError(f"cannot write {output!r}: {exc.strerror}", code="E_IO") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, existing if existing is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {output!r}: {exc.strerror}", code="E_IO") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (reading it means setting it; it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _to_stdout(text: str) -> None:
    """Print and flush, so a full disk or a closed pipe is an input/output error here."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise InputError(f"cannot write to standard output: {exc.strerror}", code="E_IO") from None
