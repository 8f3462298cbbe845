"""Condition operators: one comparison per family, and the set/missing-key rules.

Rules (IAM JSON policy reference, condition operators): keys AND, values OR; a
negated operator holds when no value matches; a missing key makes positive
operators false, negated ones true, ``…IfExists`` true, ``ForAllValues`` true
and ``ForAnyValue`` false.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from cksmodel.policy.ir import Condition, Qualifier
from cksmodel.policy.patterns import (
    ContextValue,
    Lookup,
    arn_match,
    has_variables,
    substitute_literal,
    text_glob,
)

NEGATED = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
)
"""Operators that hold when none of the policy values matches."""

_POSITIVE = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}

Scalar = str | bool | int | float


MAX_NUMBER_DIGITS = 1000
"""A policy number whose exact value, as a fraction of integers, needs more digits than
this in its numerator or denominator (``1e2000``, ``1e-2000``) is not a number: no
policy needs one, and it would be beyond what the interpreter converts between
integers and text (4,300 digits by default)."""

MAX_REQUEST_NUMBER_DIGITS = 4000
"""The same limit for a number in a request: larger, so that every request the solver
builds around policy numbers (one more than the largest, say) still reads as a number."""


@lru_cache(maxsize=8192)
def parse_number(text: str, limit: int = MAX_NUMBER_DIGITS) -> Decimal | None:
    """A finite decimal whose numerator and denominator have at most ``limit`` digits."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    numerator, denominator = len(digits) + max(exponent, 0), max(-exponent, 0) + 1
    return value if max(numerator, denominator) <= limit else None


@lru_cache(maxsize=8192)
def parse_date(text: str) -> datetime | None:
    """ISO 8601 (date, or date and time; naive means UTC) or epoch seconds."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        try:
            return datetime.fromtimestamp(int(text), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@lru_cache(maxsize=8192)
def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


def _as_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(rel: str, a: Decimal | datetime, b: Decimal | datetime) -> bool:
    order = (a > b) - (a < b)  # type: ignore[operator]
    return {
        "Equals": order == 0,
        "LessThan": order < 0,
        "LessThanEquals": order <= 0,
        "GreaterThan": order > 0,
        "GreaterThanEquals": order >= 0,
    }[rel]


def positive_match(base: str, policy_text: str, value: Scalar, lookup: Lookup | None) -> bool:
    """Does one request value satisfy one policy value under a positive operator?

    ``lookup`` is given when policy variables are enabled for the policy.
    """
    if base == "StringEquals" or base == "StringEqualsIgnoreCase":
        expected = policy_text
        if lookup is not None and has_variables(policy_text):
            resolved = substitute_literal(policy_text, lookup)
            if resolved is None:
                return False
            expected = resolved
        actual = _as_text(value)
        if base == "StringEqualsIgnoreCase":
            return expected.casefold() == actual.casefold()
        return expected == actual
    if base == "StringLike":
        glob = text_glob(policy_text, lookup)
        return glob is not None and glob.match(_as_text(value))
    if base in ("ArnEquals", "ArnLike"):
        return arn_match(policy_text, _as_text(value), lookup)
    if base.startswith("Numeric"):
        want = parse_number(policy_text)
        got = parse_number(_as_text(value), MAX_REQUEST_NUMBER_DIGITS)
        return want is not None and got is not None and _compare(base[7:], got, want)
    if base.startswith("Date"):
        want_d, got_d = parse_date(policy_text), parse_date(_as_text(value))
        return want_d is not None and got_d is not None and _compare(base[4:], got_d, want_d)
    if base == "Bool":
        return policy_text.lower() == _as_text(value).lower()
    if base == "BinaryEquals":
        return _bytes(policy_text) == _bytes(_as_text(value))
    if base == "IpAddress":
        network, address = parse_network(policy_text), parse_address(_as_text(value))
        return (
            network is not None
            and address is not None
            and address.version == network.version
            and address in network
        )
    raise ValueError(f"not a positive condition operator: {base}")


def _values_of(raw: ContextValue) -> Sequence[Scalar]:
    if isinstance(raw, str | bool | int | float):
        return (raw,)
    return tuple(raw)


def evaluate_condition(
    cond: Condition,
    context_get: Callable[[str], ContextValue | None],
    variables: bool,
    missing: set[str],
) -> bool:
    """Evaluate one (operator, key) entry against the request context.

    Keys that the condition needs but the context lacks are added to ``missing``.
    """
    raw = context_get(cond.key_lower)
    lookup = _tracking_lookup(context_get, missing) if variables else None
    if cond.base == "Null":
        present = raw is not None and (isinstance(raw, str | bool | int | float) or len(raw) > 0)
        return any(v.text.lower() == ("false" if present else "true") for v in cond.values)
    if raw is None:
        missing.add(cond.key)
        if cond.if_exists or cond.qualifier is Qualifier.FOR_ALL_VALUES:
            return True
        if cond.qualifier is Qualifier.FOR_ANY_VALUE:
            return False
        return cond.base in NEGATED
    negated = cond.base in NEGATED
    base = _POSITIVE.get(cond.base, cond.base)

    def holds(value: Scalar) -> bool:
        hit = any(positive_match(base, v.text, value, lookup) for v in cond.values)
        return not hit if negated else hit

    values = _values_of(raw)
    if cond.qualifier is Qualifier.FOR_ALL_VALUES:
        return all(holds(v) for v in values)
    if cond.qualifier is Qualifier.FOR_ANY_VALUE:
        return any(holds(v) for v in values)
    hit = any(positive_match(base, p.text, v, lookup) for v in values for p in cond.values)
    return not hit if negated else hit


def _tracking_lookup(
    context_get: Callable[[str], ContextValue | None], missing: set[str]
) -> Lookup:
    def lookup(key: str) -> ContextValue | None:
        value = context_get(key)
        if value is None:
            missing.add(key)
        return value

    return lookup
