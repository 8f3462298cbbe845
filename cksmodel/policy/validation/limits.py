"""AWS's size and character limits, and the checks that hold a document to them.

Each policy type has its own size rule (what is counted, and how much AWS
allows), IAM and KMS each accept their own characters, and every string in
Action, Resource, Principal and Condition is bounded. These numbers come from
AWS's quota pages (cited below) and change apart from the policy grammar, so
they live together here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cksmodel.policy.ir import Condition, PolicyKind, PolicyType, Statement, Value
from cksmodel.policy.jsontext import Pos
from cksmodel.policy.validation.checker import Checker, node_pos, principal_values
from cksmodel.source import Span

MAX_VALUE_LENGTH: Final = 2048
"""Longest string accepted in Action, Resource, Principal and Condition (the ARN limit).

Bounding every pattern also bounds the work any later matching can do, so a
pathological wildcard such as ``a*a*a*…b`` repeated thousands of times is an
ERROR here, not a slow check.
"""


@dataclass(frozen=True, slots=True)
class _SizeLimit:
    """How one policy type's size is measured and what AWS allows."""

    limit: int
    measure: str  # "nonspace": whitespace outside strings not counted; "chars"; "bytes"
    what: str
    hard_limit: int | None = None  # adjustable quota: ERROR only above this
    minified_fallback: bool = False  # WARN when only the minified text fits


# Sources (checked 2026):
# - IAM and AWS STS quotas (docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
#   managed policy 6,144 characters; inline user 2,048 / group 5,120 / role 10,240 in
#   aggregate; "IAM doesn't count white space"; role trust policy length 2,048 by
#   default, adjustable up to 8,192; session policies (inline and managed together)
#   2,048 characters of plaintext, plus a separate packed-binary limit.
#   An identity policy is held to the quota of the kind the user gives (PolicyKind); without
#   one, exceeding the customer managed quota is only a WARNING, since AWS managed policies
#   have no published limit (dozens of them exceed 6,144 characters, the largest ~150,000).
# - AWS Organizations quotas (orgs_reference_limits.html): SCP and RCP 5,120 characters;
#   the RCP syntax page: "All characters in your RCP count against its maximum size"
#   (the console strips whitespace, the API does not).
# - KMS key policy format (kms/latest/developerguide/key-policy-overview.html):
#   "up to 32 kilobytes (32,768 bytes)".
# - VPC endpoint policies (vpc-endpoints-access.html): "cannot exceed 20,480 characters,
#   including white space".
# - Resource policies: the S3 bucket policy limit of 20 KB is used for all of them.
_SIZE_LIMITS: Final[Mapping[PolicyType, _SizeLimit]] = {
    PolicyType.BOUNDARY: _SizeLimit(6144, "nonspace", "a permissions boundary (managed policy)"),
    PolicyType.SESSION: _SizeLimit(2048, "chars", "session policies"),
    PolicyType.TRUST: _SizeLimit(2048, "nonspace", "a role trust policy", hard_limit=8192),
    PolicyType.SCP: _SizeLimit(5120, "chars", "an SCP", minified_fallback=True),
    PolicyType.RCP: _SizeLimit(5120, "chars", "an RCP", minified_fallback=True),
    PolicyType.KEY: _SizeLimit(32768, "bytes", "a KMS key policy"),
    PolicyType.ENDPOINT: _SizeLimit(20480, "chars", "a VPC endpoint policy"),
    PolicyType.RESOURCE: _SizeLimit(20480, "bytes", "a resource policy (S3 bucket policy limit)"),
}

# IAM quotas: "Policy documents can contain only the following Unicode characters:
# horizontal tab (U+0009), linefeed (U+000A), carriage return (U+000D), and
# characters in the range U+0020 to U+00FF." KMS key policies: printable ASCII,
# printable Basic Latin and Latin-1 Supplement, tab, LF, CR.
_KIND_LIMITS: Final[Mapping[PolicyKind, _SizeLimit]] = {
    PolicyKind.CUSTOMER_MANAGED: _SizeLimit(6144, "nonspace", "a customer managed policy"),
    PolicyKind.INLINE_USER: _SizeLimit(2048, "nonspace", "a user's inline policies together"),
    PolicyKind.INLINE_GROUP: _SizeLimit(5120, "nonspace", "a group's inline policies together"),
    PolicyKind.INLINE_ROLE: _SizeLimit(10240, "nonspace", "a role's inline policies together"),
}
_UNKNOWN_KIND_LIMIT: Final = _KIND_LIMITS[PolicyKind.CUSTOMER_MANAGED]

_IAM_BAD_CHAR: Final = re.compile(r"[^\t\n\r\x20-\xff]")
_KMS_BAD_CHAR: Final = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\xff]")
_BAD_CHARS: Final[Mapping[PolicyType, re.Pattern[str]]] = {
    PolicyType.IDENTITY: _IAM_BAD_CHAR,
    PolicyType.BOUNDARY: _IAM_BAD_CHAR,
    PolicyType.SESSION: _IAM_BAD_CHAR,
    PolicyType.TRUST: _IAM_BAD_CHAR,
    PolicyType.KEY: _KMS_BAD_CHAR,
}

_WHITESPACE_RUN: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[ \t\n\r]+')


def check_characters(chk: Checker) -> None:
    pattern = _BAD_CHARS.get(chk.type)
    if pattern is None:
        return
    found = pattern.search(chk.text)
    if found is None:
        return
    ch = found.group()
    chk.add(
        "E_INVALID_CHARACTER",
        f"character U+{ord(ch):04X} is not allowed in a {chk.type} policy; expected only "
        "tab, line feed, carriage return and characters U+0020 to U+00FF"
        + (" (printable ones)" if chk.type is PolicyType.KEY else ""),
        _text_pos(chk.text, found.start()),
    )


def _size_rule(chk: Checker) -> _SizeLimit | None:
    """The quota that applies: the kind's when given (AWS managed: none published), else
    the policy type's (an identity policy of unknown kind: none)."""
    if chk.kind is not None:
        return _KIND_LIMITS.get(chk.kind)
    return _SIZE_LIMITS.get(chk.type)


def check_size(chk: Checker) -> None:
    rule = _size_rule(chk)
    where = node_pos(chk.doc) or (1, 1, 1, 2)
    if rule is None:
        if chk.type is PolicyType.IDENTITY and chk.kind is None:
            size = _nonspace_length(chk.text)
            if size > _UNKNOWN_KIND_LIMIT.limit:
                chk.add(
                    "W_POLICY_SIZE_KIND",
                    f"the policy is {size:,} characters (not counting whitespace), more than "
                    f"the {_UNKNOWN_KIND_LIMIT.limit:,} of a customer managed policy; give "
                    "--policy-kind to check it against the quota of the kind it is "
                    "(inline role: 10,240; AWS managed: no published limit)",
                    where,
                )
        return
    if rule.measure == "bytes":
        size = len(chk.text.encode("utf-8"))
        unit = "bytes"
    elif rule.measure == "chars":
        size = len(chk.text)
        unit = "characters"
    else:
        size = _nonspace_length(chk.text)
        unit = "characters (not counting whitespace)"
    if size <= rule.limit:
        return
    if rule.hard_limit is not None and size <= rule.hard_limit:
        chk.add(
            "W_POLICY_SIZE_QUOTA",
            f"the policy is {size:,} {unit}; {rule.what} may have {rule.limit:,} by "
            f"default: request a quota increase (up to {rule.hard_limit:,}) or shorten it",
            where,
        )
        return
    if rule.minified_fallback and _nonspace_length(chk.text) <= rule.limit:
        chk.add(
            "W_POLICY_SIZE_WHITESPACE",
            f"the policy is {size:,} characters and {rule.what} may have {rule.limit:,}; "
            "every character counts through the API and CLI, so it fits only once the "
            "whitespace outside strings is removed",
            where,
        )
        return
    limit = rule.hard_limit if rule.hard_limit is not None else rule.limit
    chk.add(
        "E_POLICY_TOO_LARGE",
        f"the policy is {size:,} {unit}; {rule.what} may have at most {limit:,}: "
        "split it into several policies",
        where,
    )


def check_lengths(chk: Checker, stmt: Statement) -> None:
    values: list[tuple[str, Value | Condition, str, Span | None]] = []
    for element, items in (
        ("Action", stmt.actions),
        ("NotAction", stmt.not_actions or ()),
        ("Resource", stmt.resources or ()),
        ("NotResource", stmt.not_resources or ()),
    ):
        values.extend((element, v, v.text, v.span) for v in items)
    for element, pset in (("Principal", stmt.principal), ("NotPrincipal", stmt.not_principal)):
        values.extend((element, v, v.text, v.span) for v in principal_values(pset))
    for cond in stmt.conditions:
        values.append(("Condition key", cond, cond.key, cond.span))
        values.extend(("Condition", v, v.text, v.span) for v in cond.values)
    for element, item, text, span in values:
        if len(text) > MAX_VALUE_LENGTH:
            chk.too_long.add(id(item))
            chk.add(
                "E_VALUE_TOO_LONG",
                f"this {element} value is {len(text):,} characters; expected at most "
                f"{MAX_VALUE_LENGTH:,} (it is not checked further)",
                span,
            )


def _text_pos(text: str, index: int) -> Pos:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return (line, column, line, column + 1)


def _nonspace_length(text: str) -> int:
    """Characters of JSON text, not counting whitespace outside string literals."""
    spaces = sum(
        m.end() - m.start() for m in _WHITESPACE_RUN.finditer(text) if text[m.start()] != '"'
    )
    return len(text) - spaces
