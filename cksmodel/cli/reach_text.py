"""``who-can`` and ``can`` as text: paths hop by hop, conditions as the policy reads them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cksmodel.graph import Reach, WhoCan

_CONDITION_WORDS = {
    "stringequals": "=",
    "stringequalsignorecase": "= (ignoring case)",
    "numericequals": "=",
    "dateequals": "=",
    "bool": "=",
    "binaryequals": "=",
    "arnequals": "=",
    "stringnotequals": "!=",
    "stringnotequalsignorecase": "!= (ignoring case)",
    "numericnotequals": "!=",
    "datenotequals": "!=",
    "arnnotequals": "!=",
    "stringlike": "like",
    "arnlike": "like",
    "stringnotlike": "not like",
    "arnnotlike": "not like",
    "numericlessthan": "<",
    "numericlessthanequals": "<=",
    "numericgreaterthan": ">",
    "numericgreaterthanequals": ">=",
    "datelessthan": "before",
    "datelessthanequals": "at or before",
    "dategreaterthan": "after",
    "dategreaterthanequals": "at or after",
    "ipaddress": "in",
    "notipaddress": "not in",
}


def condition_text(conditions: str) -> str:
    """A hop's conditions (JSON rows) as the policy reads them, e.g.
    ``aws:MultiFactorAuthPresent = true``; values are alternatives, conditions all hold
    (the same condition in both policies of a hop, a trust policy and the caller's, once)."""
    parts = []
    for row in json.loads(conditions):
        operator = str(row["operator"])
        qualifier, _, base = operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        values = [str(v) for v in row["values"]]
        negated = base.lower().startswith(("stringnot", "numericnot", "datenot", "arnnot", "not"))
        alternatives = "any of" if negated else "one of"
        shown = values[0] if len(values) == 1 else f"{alternatives} [" + ", ".join(values) + "]"
        if base == "Null":
            text = f"{row['key']} is {'absent' if shown == 'true' else 'present'}"
        else:
            word = _CONDITION_WORDS.get(base.lower(), base)
            text = f"{row['key']} {word} {shown}"
        if qualifier:
            text = f"{qualifier} {text}"
        parts.append(text + (" (if present)" if if_exists else ""))
    return " and ".join(dict.fromkeys(parts))


def path_lines(reach: Reach) -> list[str]:
    lines = []
    for n, hop in enumerate(reach.path, 1):
        where = f" at {hop.file}:{hop.line}:{hop.column}" if hop.line >= 0 else ""
        lines.append(f"    {n}. {hop.source} -> {hop.target}  [{hop.via}, {hop.status}]")
        if hop.policy or hop.changes:
            lines.append(f"       {hop.summary}{where}")
        if hop.condition:
            lines.append(f"       when {condition_text(hop.condition)}")
        if hop.reason:
            lines.append(f"       note: {hop.reason}")
    return lines


def marks(reach: Reach) -> str:
    """What kind of principal: outside the bundle, AWS-internal."""
    found = [
        "outside the bundle" if reach.outside_bundle and reach.kind != "service" else "",
        "AWS-internal" if reach.aws_internal else "",
    ]
    return "".join(f"  [{m}]" for m in found if m)


def needs_lines(reach: Reach) -> list[str]:
    """What a principal of another account needs on its side, said once per answer."""
    if not reach.needs:
        return []
    return [
        f"    needs {reach.needs}",
        "    (its own policies, organization and tags are not in the bundle: "
        "the answer takes them to allow it)",
    ]


def who_can_text(answer: WhoCan) -> str:
    lines = [f"who can {answer.action} on {answer.resource}:"]
    for r in answer.principals:
        how = "directly" if r.direct else f"through {len(r.path) - 1} step(s)"
        state = "" if r.decided else "  (undecided: may reach)"
        lines.append(f"  {r.label}  {how}{state}{marks(r)}")
        lines += needs_lines(r)
        lines += path_lines(r)
    direct = sum(1 for r in answer.principals if r.direct)
    undecided = sum(1 for r in answer.principals if not r.decided)
    lines.append(
        f"{len(answer.principals)} principal(s): {direct} directly, "
        f"{len(answer.principals) - direct} through escalation, {undecided} undecided"
    )
    return "\n".join(lines) + "\n"
