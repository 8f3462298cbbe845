"""Structural checks on the document and each statement, beyond what the builder rejects.

:func:`cksmodel.policy.parse.build_policy` reports elements that are missing,
misplaced or of the wrong type; these checks look at what it accepts: the
Version, an empty Statement list, Sids, and elements that are present but empty
(an empty Action, NotResource, Principal or Condition block).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from cksmodel.policy.ir import VERSION_2008, VERSION_2012, Effect, PolicyType, Statement
from cksmodel.policy.jsontext import Pos
from cksmodel.policy.parse import PRINCIPAL_FORBIDDEN
from cksmodel.policy.validation.checker import (
    Checker,
    key_pos,
    node_pos,
    principal_values,
    short,
    value_pos,
)

# Policy types stored by IAM: Sids must be unique and alphanumeric
# (IAM JSON policy elements: Sid; Access Analyzer "Unsupported Sid").
_IAM_STORED: Final = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.TRUST}
)
_SID: Final = re.compile(r"[A-Za-z0-9]+")


def check_version(chk: Checker) -> None:
    doc = chk.doc
    if chk.type is PolicyType.RCP and doc.get("Version") != VERSION_2012:
        if chk.version_missing or doc.get("Version") == VERSION_2008:
            chk.add(
                "E_VERSION_REQUIRED",
                f'an RCP must have "Version": "{VERSION_2012}"',
                value_pos(doc, "Version") or node_pos(doc),
            )
        return
    if chk.version_missing:
        chk.add(
            "W_MISSING_VERSION",
            f"the policy has no Version, so AWS applies {VERSION_2008}, under which policy "
            f'variables such as ${{aws:username}} are literal text; add "Version": '
            f'"{VERSION_2012}"',
            node_pos(doc),
        )
    elif doc.get("Version") == VERSION_2008:
        chk.add(
            "G_VERSION_2008",
            f"Version {VERSION_2008} does not support policy variables; use {VERSION_2012}",
            value_pos(doc, "Version"),
        )


def check_statement_list(chk: Checker) -> None:
    if isinstance(chk.doc.get("Statement"), list) and not chk.doc["Statement"]:
        chk.add(
            "W_NO_STATEMENTS",
            "the Statement list is empty, so the policy allows and denies nothing; "
            "expected at least one statement",
            value_pos(chk.doc, "Statement"),
        )


def check_sids(chk: Checker, raw_statements: Sequence[tuple[Any, Pos | None]]) -> None:
    seen: dict[str, Pos | None] = {}
    iam = chk.type in _IAM_STORED
    for raw, _ in raw_statements:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("Sid"), str):
            continue
        sid: str = raw["Sid"]
        pos = value_pos(raw, "Sid")
        if sid == "":
            chk.add("G_EMPTY_SID", "the Sid is empty; give it a name or remove it", pos)
            continue
        if iam and not _SID.fullmatch(sid):
            chk.add(
                "E_SID_FORMAT",
                f"Sid {short(sid)} has characters IAM does not accept; expected only "
                "letters A-Z, a-z and digits 0-9",
                pos,
            )
        if sid in seen:
            first = seen[sid]
            where = f" (first at line {first[0]}, column {first[1]})" if first else ""
            chk.add(
                "E_DUPLICATE_SID" if iam else "W_DUPLICATE_SID",
                f"Sid {short(sid)} is used by another statement{where}; expected unique Sids",
                pos,
            )
        else:
            seen[sid] = pos


def check_empty_elements(chk: Checker, stmt: Statement, raw: Mapping[str, Any]) -> None:
    allow = stmt.effect is Effect.ALLOW
    for element in ("Action", "Resource", "NotAction", "NotResource"):
        value = raw.get(element)
        if not (isinstance(value, list) and not value):
            continue
        pos = value_pos(raw, element)
        if element in ("Action", "Resource"):
            chk.add(
                f"W_EMPTY_{element.upper()}",
                f"{element} is an empty list, so the statement never applies; expected "
                f"at least one {element.lower()}",
                pos,
            )
        else:
            _empty_not_element(chk, element, allow, pos)
    for element in ("Principal", "NotPrincipal"):
        if chk.type in PRINCIPAL_FORBIDDEN:
            break
        value = raw.get(element)
        pset = stmt.principal if element == "Principal" else stmt.not_principal
        if not isinstance(value, Mapping) or pset is None or principal_values(pset):
            continue
        if any(not isinstance(v, list | str) for v in value.values()):
            continue  # a type error the builder reported
        pos = value_pos(raw, element)
        if element == "Principal":
            chk.add(
                "W_EMPTY_PRINCIPAL",
                "Principal names no principal, so the statement applies to nobody; "
                "expected at least one AWS, Service, Federated or CanonicalUser value",
                pos,
            )
        else:
            _empty_not_element(chk, element, allow, pos)
    condition = raw.get("Condition")
    if isinstance(condition, Mapping):
        if not condition:
            chk.add(
                "G_EMPTY_CONDITION",
                "the Condition block is empty; remove it or add conditions",
                value_pos(raw, "Condition"),
            )
        for op, entries in condition.items():
            if isinstance(entries, Mapping) and not entries:
                chk.add(
                    "G_EMPTY_CONDITION",
                    f"{op} has no condition keys; remove it or add keys",
                    key_pos(condition, op),
                )


def _empty_not_element(chk: Checker, element: str, allow: bool, pos: Pos | None) -> None:
    if allow:
        chk.add(
            "S_EMPTY_NOT_ELEMENT",
            f"{element} is empty, so it excludes nothing and this Allow applies to every "
            f"{element[3:].lower()}; list what to exclude or use {element[3:]}",
            pos,
        )
    else:
        chk.add(
            "W_EMPTY_NOT_ELEMENT",
            f"{element} is empty, so it excludes nothing and this Deny applies to every "
            f"{element[3:].lower()}",
            pos,
        )
