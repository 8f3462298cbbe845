"""Condition checks: keys, operator types, set qualifiers, values, and key support.

Each condition key must be well formed and known, fit its operator's family,
carry ForAllValues/ForAnyValue exactly when it is multi-valued, and have values
its operator can read; a service key that none of the statement's actions
supports means the condition never holds. The operators' semantics live in
:mod:`cksmodel.policy.conditions`.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Mapping
from typing import Final

from cksmodel.policy.catalog import GLOBAL_CONDITION_KEYS
from cksmodel.policy.conditions import NEGATED, parse_date, parse_network, parse_number
from cksmodel.policy.ir import Condition, Effect, PolicyType, Qualifier, Statement, Value
from cksmodel.policy.parse import OPERATOR_FAMILIES
from cksmodel.policy.patterns import has_variables, split_arn
from cksmodel.policy.validation.checker import ACCOUNT, WILDCARD, Checker, short
from cksmodel.policy.validation.variables import check_variables

_PRIVATE_BLOCKS: Final = tuple(
    ipaddress.ip_network(block)
    for block in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)

# Which key types (catalog spelling) each operator family fits.
_FAMILY_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "String": frozenset({"String", "ArrayOfString", "ARN", "ArrayOfARN"}),
    "Arn": frozenset({"ARN", "ArrayOfARN"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "Bool": frozenset({"Bool", "ArrayOfBool"}),
    "Ip": frozenset({"IPAddress"}),
}
_FAMILY_EXAMPLES: Final[Mapping[str, str]] = {
    "String": "a String operator (StringEquals, StringLike, …)",
    "Arn": "an Arn operator (ArnEquals, ArnLike, …)",
    "Numeric": "a Numeric operator (NumericEquals, NumericLessThan, …)",
    "Date": "a Date operator (DateEquals, DateLessThan, …)",
    "Bool": "the Bool operator",
    "Ip": "IpAddress or NotIpAddress",
}
_TYPE_FAMILIES: Final[Mapping[str, tuple[str, ...]]] = {
    "String": ("String",),
    "ArrayOfString": ("String",),
    "ARN": ("Arn", "String"),
    "ArrayOfARN": ("Arn", "String"),
    "Numeric": ("Numeric",),
    "Date": ("Date",),
    "Bool": ("Bool",),
    "ArrayOfBool": ("Bool",),
    "IPAddress": ("Ip",),
}
_KNOWN_TYPES: Final = frozenset(_TYPE_FAMILIES)
# aws:EpochTime is documented as "Date, Numeric".
_ALSO_NUMERIC: Final = frozenset({"aws:epochtime"})
_EQUALS_OPERATORS: Final = frozenset(
    {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"}
)
_TAG_KEYS: Final = frozenset({"aws:requesttag", "aws:resourcetag", "aws:principaltag"})
_GLOBAL_KEYS_LOWER: Final = frozenset(k.lower() for k in GLOBAL_CONDITION_KEYS)
_ESCAPES: Final = re.compile(r"\$\{[*?$]\}")

# Condition keys whose values are account IDs.
_ACCOUNT_KEYS: Final = frozenset(
    {
        "aws:principalaccount",
        "aws:resourceaccount",
        "aws:sourceaccount",
        "aws:vpceaccount",
        "kms:calleraccount",
    }
)


def check_conditions(chk: Checker, stmt: Statement) -> None:
    for cond in stmt.conditions:
        if chk.usable(cond):
            _check_condition(chk, cond)


def _check_condition(chk: Checker, cond: Condition) -> None:
    family = OPERATOR_FAMILIES[cond.base]
    prefix, colon, name = cond.key.partition(":")
    if not colon or not prefix or not name:
        chk.add(
            "E_CONDITION_KEY_FORMAT",
            f"condition key {short(cond.key)} is not valid; expected service:name, "
            "e.g. kms:CallerAccount",
            cond.span,
        )
        return
    info = chk.catalog.condition_key(cond.key)
    if info is None:
        if cond.key_lower in _TAG_KEYS:
            chk.add(
                "E_MISSING_TAG_KEY",
                f"{cond.key} needs a tag key; expected {cond.key}/TAG-KEY",
                cond.span,
            )
        elif "." not in prefix:  # web identity keys (accounts.google.com:sub) vary
            known = "global" if prefix.lower() == "aws" else prefix.lower()
            chk.add(
                "W_UNKNOWN_CONDITION_KEY",
                f"{short(cond.key)} is not a known {known} condition key, so it is "
                "never in the request context",
                cond.span,
            )
    else:
        _check_key_type(chk, cond, family, info.type, info.name)
        _check_qualifier(chk, cond, info.multi_valued, info.name)
    if not cond.values:
        chk.add(
            "W_EMPTY_CONDITION_VALUES",
            f"{cond.operator} gives {cond.key} no values; expected at least one",
            cond.span,
        )
        return
    for v in cond.values:
        if chk.usable(v):
            _check_condition_value(chk, cond, family, v)
    _check_value_set(chk, cond, family)


def _check_key_type(chk: Checker, cond: Condition, family: str, key_type: str, name: str) -> None:
    if family not in _FAMILY_TYPES or key_type not in _KNOWN_TYPES:
        return
    if key_type in _FAMILY_TYPES[family]:
        return
    if family == "Numeric" and cond.key_lower in _ALSO_NUMERIC:
        return
    wanted = _TYPE_FAMILIES.get(key_type, ())
    expected = " or ".join(_FAMILY_EXAMPLES[f] for f in wanted) or "another operator"
    chk.add(
        "W_OPERATOR_KEY_TYPE",
        f"{cond.operator} compares {family} values, but {name} is of type {key_type}; "
        f"expected {expected}",
        cond.span,
    )


def _check_qualifier(chk: Checker, cond: Condition, multi_valued: bool, name: str) -> None:
    if cond.base == "Null":
        return
    if cond.qualifier is Qualifier.FOR_ALL_VALUES and not multi_valued:
        chk.add(
            "S_FORALLVALUES_SINGLE_VALUED",
            f"ForAllValues on the single-valued key {name} also holds when the key is "
            f"absent, which can be overly permissive; remove ForAllValues:",
            cond.span,
        )
    elif cond.qualifier is Qualifier.FOR_ANY_VALUE and not multi_valued:
        chk.add(
            "G_FORANYVALUE_SINGLE_VALUED",
            f"{name} is single-valued, so ForAnyValue: changes nothing; remove it",
            cond.span,
        )
    elif cond.qualifier is Qualifier.NONE and multi_valued:
        chk.add(
            "W_MISSING_QUALIFIER",
            f"{name} can have several values in one request; expected "
            f"ForAnyValue:{cond.operator} (any value matches) or "
            f"ForAllValues:{cond.operator} (every value matches)",
            cond.span,
        )


def _check_condition_value(chk: Checker, cond: Condition, family: str, v: Value) -> None:
    text = v.text
    if has_variables(text):
        if family in ("String", "Arn"):
            check_variables(chk, v, "Condition")
            return
        if family != "Null":
            chk.add(
                "W_VARIABLE_NOT_SUPPORTED",
                f"policy variables are substituted only with String and Arn operators; "
                f"with {cond.operator}, {short(text)} is literal text",
                v.span,
            )
            return
    problem: tuple[str, str] | None = None
    if family == "Date" and parse_date(text) is None:
        problem = (
            "W_DATE_VALUE",
            "a date such as 2026-01-31, a date and time such as 2026-01-31T12:00:00Z, "
            "or epoch seconds",
        )
    elif family == "Numeric" and parse_number(text) is None:
        problem = ("W_NUMERIC_VALUE", "a number such as 3600")
    elif family == "Ip":
        network = parse_network(text)
        if network is None:
            problem = (
                "W_IP_VALUE",
                "an IPv4 or IPv6 address or CIDR such as 203.0.113.0/24 or 2001:db8::/32",
            )
        elif str(network) != text.strip() and "/" in text:
            chk.add(
                "G_IP_HOST_BITS",
                f"{short(text)} has bits set after the prefix length, which are ignored; "
                f"write {network}",
                v.span,
            )
    elif family in ("Bool", "Null") and text.lower() not in ("true", "false"):
        problem = ("W_BOOL_VALUE", "true or false")
    elif family == "Binary" and not _is_base64(text):
        problem = ("W_BINARY_VALUE", "a base64-encoded value")
    elif family == "Arn" and text != "*" and split_arn(text) is None:
        problem = ("W_ARN_VALUE", "an ARN arn:partition:service:region:account:resource")
    elif (
        family == "String"
        and cond.key_lower in _ACCOUNT_KEYS
        and not WILDCARD.search(text)
        and not ACCOUNT.fullmatch(text)
    ):
        problem = ("W_ACCOUNT_ID_VALUE", "a 12-digit account ID")
    elif cond.base in _EQUALS_OPERATORS and WILDCARD.search(_ESCAPES.sub("", text)):
        like = "StringNotLike" if "Not" in cond.base else "StringLike"
        chk.add(
            "W_WILDCARD_WITHOUT_LIKE",
            f"{cond.operator} treats * and ? in {short(text)} as literal characters; "
            f"if they are wildcards, use {like}",
            v.span,
        )
    if problem is not None:
        code, expected = problem
        chk.add(
            code,
            f"{short(text)} is not a valid value for {cond.operator}, so it never "
            f"matches; expected {expected}",
            v.span,
        )


def _check_value_set(chk: Checker, cond: Condition, family: str) -> None:
    if family == "Bool" and {v.text.lower() for v in cond.values} >= {"true", "false"}:
        chk.add(
            "W_BOOL_BOTH_VALUES",
            f"{cond.operator} lists both true and false for {cond.key}, so it holds "
            "whenever the key is present; expected one value",
            cond.span,
        )
    if family == "Ip" and cond.key_lower == "aws:sourceip":
        networks = [parse_network(v.text) for v in cond.values]
        if networks and all(n is not None and _is_private(n) for n in networks):
            chk.add(
                "W_PRIVATE_SOURCE_IP",
                "aws:SourceIp is the public address a request comes from, so it never "
                "matches these private ranges; use aws:VpcSourceIp for addresses inside a "
                "VPC",
                cond.span,
            )


def check_condition_support(chk: Checker, stmt: Statement) -> None:
    """A service key that none of the statement's actions supports is never present."""
    if not stmt.actions or not stmt.conditions or chk.type is PolicyType.TRUST:
        return
    candidates: list[tuple[Condition, str]] = []
    for cond in stmt.conditions:
        if (
            not chk.usable(cond)
            or cond.base == "Null"
            or cond.base in NEGATED
            or cond.if_exists
            or cond.qualifier is Qualifier.FOR_ALL_VALUES
        ):
            continue
        prefix = cond.key_lower.partition(":")[0]
        if prefix == "aws" or "." in prefix:
            continue
        info = chk.catalog.condition_key(cond.key)
        if info is not None and info.name.lower() not in _GLOBAL_KEYS_LOWER:
            candidates.append((cond, info.name.lower()))
    if not candidates:
        return
    supported: set[str] = set()
    names: set[str] = set()
    for v in stmt.actions:
        resolved = chk.resolve(v.text) if chk.usable(v) else None
        if not resolved:
            return
        supported |= chk.keys_of(v.text)
        names.update(a.name for a in resolved)
    listed = ", ".join(sorted(names)[:4]) + (", …" if len(names) > 4 else "")
    for cond, name in candidates:
        if name in supported:
            continue
        if stmt.effect is Effect.ALLOW:
            chk.add(
                "W_CONDITION_KEY_NOT_SUPPORTED",
                f"{cond.key} is not in the request context of {listed}, so this condition "
                "never holds and the statement never allows them; use a key these actions "
                "support",
                cond.span,
            )
        else:
            chk.add(
                "S_DENY_CONDITION_KEY_NOT_SUPPORTED",
                f"{cond.key} is not in the request context of {listed}, so this condition "
                "never holds and the Deny never applies; use a key these actions support",
                cond.span,
            )


def _is_private(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Inside RFC 1918, shared (RFC 6598), loopback, link-local or unique-local space."""
    return any(
        network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]
        for block in _PRIVATE_BLOCKS
    )


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
