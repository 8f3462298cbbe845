"""The IR back to policy JSON (Python objects), for round trips and what-if output."""

from __future__ import annotations

from typing import Any

from cksmodel.policy.ir import Condition, Policy, PrincipalSet, Statement, Value


def _values(values: tuple[Value, ...]) -> str | list[str]:
    texts = [v.text for v in values]
    return texts[0] if len(texts) == 1 else texts


def principal_json(pset: PrincipalSet) -> str | dict[str, Any]:
    if pset.wildcard:
        return "*"
    out: dict[str, Any] = {}
    for key, values in (
        ("AWS", pset.aws),
        ("Service", pset.service),
        ("Federated", pset.federated),
        ("CanonicalUser", pset.canonical_user),
    ):
        if values:
            out[key] = _values(values)
    return out


def conditions_json(conditions: tuple[Condition, ...]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for cond in conditions:
        out.setdefault(cond.operator, {})[cond.key] = [v.text for v in cond.values]
    return out


def statement_json(stmt: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if stmt.sid is not None:
        out["Sid"] = stmt.sid
    out["Effect"] = stmt.effect.value
    if stmt.principal is not None:
        out["Principal"] = principal_json(stmt.principal)
    if stmt.not_principal is not None:
        out["NotPrincipal"] = principal_json(stmt.not_principal)
    if stmt.not_actions is not None:
        out["NotAction"] = [v.text for v in stmt.not_actions]
    else:
        out["Action"] = [v.text for v in stmt.actions]
    if stmt.resources is not None:
        out["Resource"] = [v.text for v in stmt.resources]
    if stmt.not_resources is not None:
        out["NotResource"] = [v.text for v in stmt.not_resources]
    if stmt.conditions:
        out["Condition"] = conditions_json(stmt.conditions)
    return out


def policy_json(policy: Policy) -> dict[str, Any]:
    """A policy document equivalent to the IR (lists stay lists, scalars become lists)."""
    out: dict[str, Any] = {}
    if policy.version is not None:
        out["Version"] = policy.version
    if policy.id is not None:
        out["Id"] = policy.id
    out["Statement"] = [statement_json(s) for s in policy.statements]
    return out
