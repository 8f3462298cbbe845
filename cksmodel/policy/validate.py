"""Validate one policy document: syntax, structure, semantics and AWS limits, as findings.

:func:`validate_text` never raises for a problem in the document. The stages
run in order and each stops the pipeline only when nothing after it could be
meaningful:

1. bytes are decoded (byte-order mark, invalid UTF-8, size) and the JSON is
   parsed (syntax, duplicate keys, nesting); a failure here is the one and
   only finding;
2. an embedded document (a JSON string holding the policy, or a URL-encoded
   one, as ``aws iam get-account-authorization-details`` prints them) is
   unwrapped exactly as :func:`cksmodel.policy.parse.policy_from_text` does;
3. :func:`cksmodel.policy.parse.build_policy` records structural errors;
4. the checks look at the IR, the positioned JSON and the text: AWS limits
   and structure, then each statement's principals, actions, resources and
   conditions (one module each in :mod:`cksmodel.policy.validation`), all
   sharing one :class:`~cksmodel.policy.validation.checker.Checker`.

This module owns only the entry point and the order the checks run in; the
order matters, because a value too long to check is marked before any check
reads it. Every code, its severity and its meaning are in
:data:`cksmodel.policy.validation.codes.FINDING_CODES`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cksmodel.errors import ParseError, PolicyError
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.ir import PolicyKind, PolicyType, Statement
from cksmodel.policy.jsontext import PDict, PList, Pos, decode_document, parse_json
from cksmodel.policy.parse import build_policy, unwrap_document_text
from cksmodel.policy.validation.actions import (
    check_actions,
    check_star_only,
    check_wildcard_role_actions,
)
from cksmodel.policy.validation.checker import Checker, value_pos
from cksmodel.policy.validation.conditions import check_condition_support, check_conditions
from cksmodel.policy.validation.limits import check_characters, check_lengths, check_size
from cksmodel.policy.validation.principals import (
    check_federated_trust,
    check_principals,
    check_public,
)
from cksmodel.policy.validation.resources import check_resources
from cksmodel.policy.validation.structure import (
    check_empty_elements,
    check_sids,
    check_statement_list,
    check_version,
)
from cksmodel.source import Span

__all__ = ["require_valid", "validate_document", "validate_text"]


def validate_text(
    text: str | bytes,
    *,
    policy_type: PolicyType,
    source: str,
    policy_kind: PolicyKind | None = None,
) -> list[Finding]:
    """Every finding for one policy document, sorted by position and code.

    ``text`` is the file's bytes or its decoded text; ``source`` names it in
    every span; ``policy_kind`` (for identity policies and boundaries) picks
    the size quota. Problems in the document never raise.
    """
    label = source
    try:
        if isinstance(text, bytes):
            text = decode_document(text, source)
        elif text.startswith("\ufeff"):
            raise ParseError(
                "document starts with a byte-order mark; save it as UTF-8 without BOM",
                span=Span(source=source, line=1, column=1),
                code="E_BOM",
            )
        body = unwrap_document_text(text)
        doc = parse_json(body, label)
        if isinstance(doc, str):
            label = f"{source} (embedded document)"
            body = unwrap_document_text(doc)
            doc = parse_json(body, label)
    except ParseError as exc:
        return [Finding(code=exc.code, severity=Severity.ERROR, message=exc.message, span=exc.span)]

    findings: list[Finding] = []
    policy = build_policy(
        doc, policy_type=policy_type, name=source, source=label, findings=findings
    )
    _run(Checker.for_document(policy, doc, body, label, findings, policy_kind))
    return sorted(findings, key=lambda f: f.sort_key())


def validate_document(doc: Any, *, policy_type: PolicyType, source: str) -> list[Finding]:
    """Every finding for a policy already parsed as positioned JSON inside a larger file
    (a scenario's policies): positions are the file's; sizes and characters are those of
    the document's compact JSON text."""
    findings: list[Finding] = []
    policy = build_policy(
        doc, policy_type=policy_type, name=source, source=source, findings=findings
    )
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    _run(Checker.for_document(policy, doc, text, source, findings))
    return sorted(findings, key=lambda f: f.sort_key())


def require_valid(text: str | bytes | PDict, *, policy_type: PolicyType, source: str) -> None:
    """Raise the first ERROR ``cksmodel validate`` reports, as a :class:`PolicyError`.

    Every command that reads a policy document calls this first, so each rejects
    exactly what ``cksmodel validate`` calls an ERROR, at the same position. A
    positioned object is checked with :func:`validate_document`.
    """
    found = (
        validate_document(text, policy_type=policy_type, source=source)
        if isinstance(text, PDict)
        else validate_text(text, policy_type=policy_type, source=source)
    )
    errors = [f for f in found if f.severity is Severity.ERROR]
    if errors:
        first, rest = errors[0], errors[1:]
        also = "; ".join(
            f"{f.code} at {f.span.line}:{f.span.column}" if f.span else f.code for f in rest
        )
        raise PolicyError(
            first.message + (f" (also {also})" if rest else ""), span=first.span, code=first.code
        )


def _run(chk: Checker) -> None:
    check_characters(chk)
    check_size(chk)
    if not isinstance(chk.doc, Mapping):
        return
    check_version(chk)
    raw_statements = _raw_statements(chk.doc)
    check_statement_list(chk)
    check_sids(chk, raw_statements)
    for stmt in chk.policy.statements:
        raw = raw_statements[stmt.index][0] if stmt.index < len(raw_statements) else {}
        _check_statement(chk, stmt, raw if isinstance(raw, Mapping) else {})


def _raw_statements(doc: Mapping[str, Any]) -> list[tuple[Any, Pos | None]]:
    raw = doc.get("Statement")
    if isinstance(raw, Mapping):
        return [(raw, value_pos(doc, "Statement"))]
    if isinstance(raw, PList):
        return [(s, raw.item_pos[i]) for i, s in enumerate(raw)]
    if isinstance(raw, list):
        return [(s, None) for s in raw]
    return []


def _check_statement(chk: Checker, stmt: Statement, raw: Mapping[str, Any]) -> None:
    check_lengths(chk, stmt)
    check_empty_elements(chk, stmt, raw)
    check_principals(chk, stmt, raw)
    check_actions(chk, stmt)
    check_resources(chk, stmt, raw)
    check_conditions(chk, stmt)
    check_star_only(chk, stmt, raw)
    check_public(chk, stmt)
    check_wildcard_role_actions(chk, stmt)
    check_condition_support(chk, stmt)
    check_federated_trust(chk, stmt)
