"""Results to text and JSON for people and machines, written all-or-nothing."""

from __future__ import annotations

import json
import os
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


def write_output(text: str, output: str | None) -> None:
    """Print, or write the file atomically so a failure never leaves half a file."""
    if output is None or output == "-":
        print(text, end="")
        return
    target = Path(output)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".cksmodel-")
    except OSError as exc:
        raise InputError(f"cannot write {output!r}: {exc.strerror}", code="E_IO") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {output!r}: {exc.strerror}", code="E_IO") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
