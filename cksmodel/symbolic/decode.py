"""Solver models back to concrete requests that the evaluator can replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from cksmodel.concrete.request import PrincipalKind, Request, derived_context, parse_principal
from cksmodel.policy.patterns import (
    QMARK,
    STAR,
    ContextValue,
    Lookup,
    arn_match,
    required_variables,
    split_arn,
    substitute,
    substitute_literal,
)
from cksmodel.symbolic.conditions import Realize
from cksmodel.symbolic.encode import Encoder, KeyRep
from cksmodel.symbolic.logic import Assignment, evaluate_term
from cksmodel.symbolic.universe import DERIVED_KEYS, KINDS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _decimal(value: Fraction) -> str:
    """The value as decimal text: exact when it has a finite decimal expansion (a
    fraction over 2^a 5^b needs at most a + b more digits than its numerator has),
    otherwise 40 digits beyond that."""
    numerator, denominator = Decimal(value.numerator), Decimal(value.denominator)
    with localcontext() as ctx:
        ctx.prec = numerator.adjusted() + 4 * (denominator.adjusted() + 1) + 40
        text = str(numerator / denominator)
    return text


def _date(value: Fraction) -> str:
    micro = round(value * 1_000_000)
    try:
        moment = EPOCH + timedelta(microseconds=micro)
    except OverflowError:
        return str(int(value))
    return moment.isoformat().replace("+00:00", "Z")


def _slot_value(rep: KeyRep, slot: int, a: Assignment, strings: dict[str, str]) -> str:
    if rep.family == "String":
        return strings.get(rep.strings[slot].name, "")
    if rep.family in ("Numeric", "Date"):
        if not a.bools.get(rep.valid[slot].name, False):
            return "not-a-number" if rep.family == "Numeric" else "not-a-date"
        number = a.reals.get(rep.reals[slot].name, Fraction(0))
        return _decimal(number) if rep.family == "Numeric" else _date(number)
    if rep.family == "Bool":
        domain = rep.bools[slot].domain
        text = domain[a.enums.get(rep.bools[slot].name, 0)]
        if text != domain[-1]:
            return text
        other = "other-value"
        while other in domain:
            other += "-x"
        return other
    version = a.enums.get(rep.ip_version[slot].name, 0)
    address = a.bitvecs.get(rep.ip_addr[slot].name, 0)
    if version == 0:
        return str(IPv4Address(address & 0xFFFFFFFF))
    if version == 1:
        return str(IPv6Address(address))
    return "not-an-ip"


def decode_request(enc: Encoder, a: Assignment, strings: dict[str, str]) -> Request:
    """The concrete request a model describes."""
    kind = KINDS[a.enums.get(enc.kind.name, 0)]
    partition = enc.partition.domain[a.enums.get(enc.partition.name, 0)]
    account = enc.paccount.domain[a.enums.get(enc.paccount.name, 0)]
    principal_arn = strings.get(enc.principal_arn.name, "")
    role_arn = None
    if kind is PrincipalKind.USER or kind is PrincipalKind.FEDERATED_USER:
        text = principal_arn
    elif kind is PrincipalKind.ASSUMED_ROLE:
        role_name = principal_arn.rpartition("/")[2]
        session = strings.get(enc.session.name, "")
        text = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"
        role_arn = principal_arn
    elif kind is PrincipalKind.ROOT:
        text = f"arn:{partition}:iam::{account}:root"
    elif kind is PrincipalKind.SERVICE:
        text = strings.get(enc.service.name, "")
    elif kind in (PrincipalKind.WEB_IDENTITY, PrincipalKind.SAML):
        text = strings.get(enc.provider.name, "")
    else:
        text = "anonymous"
    principal = parse_principal(text, role_arn=role_arn)
    if a.bools.get(enc.res_star.name, False):
        resource, resource_account = "*", None
    else:
        resource = strings.get(enc.resource.name, "")
        resource_account = None
        if not a.bools.get(enc.res_acct_in_arn.name, False) and not a.bools.get(
            enc.res_no_account.name, False
        ):
            resource_account = enc.raccount.domain[a.enums.get(enc.raccount.name, 0)]
    context: dict[str, ContextValue] = {}
    for key, rep in sorted(enc.keys.items()):
        if rep.family == "free" or not a.bools.get(rep.present.name, False):
            continue
        values = [
            _slot_value(rep, i, a, strings)
            for i in range(rep.slots)
            if evaluate_term(rep.used[i], a)
        ]
        context[key] = tuple(values) if rep.multi else (values[0] if values else "")
    return Request(
        principal=principal,
        action=enc.action.domain[a.enums.get(enc.action.name, 0)],
        resource=resource,
        resource_account=resource_account,
        context=context,
    )


def realize(request: Request, wanted: list[Realize]) -> Request | None:
    """The request changed so that each policy-variable construct in ``wanted`` holds,
    with variables expanded from the request itself (``None`` when one cannot be
    expanded). Whether the result still answers the question is for replay to say."""
    for item in sorted(wanted, key=lambda w: w.target == "resource"):
        unset = [
            key
            for key in required_variables(item.text)
            if key not in DERIVED_KEYS and key not in request.context
        ]
        if unset:
            request = replace(
                request, context={**request.context, **dict.fromkeys(unset, "example")}
            )
        lookup = derived_context(request).get
        if item.base in ("StringEquals", "StringEqualsIgnoreCase"):
            value = substitute_literal(item.text, lookup)
        else:
            value = _sample(
                item.text, lookup, request.resource if item.target == "resource" else ""
            )
        if value is None:
            return None
        if item.target == "resource":
            request = replace(request, resource=value)
            continue
        old = request.context.get(item.target)
        new: ContextValue = (value, *old[1:]) if isinstance(old, tuple) and old else value
        request = replace(request, context={**request.context, item.target: new})
    return request


def _sample(text: str, lookup: Lookup, current: str) -> str | None:
    """One string a glob or ARN pattern with variables matches; an ARN keeps the first
    five parts of ``current`` when they already match."""
    parts = split_arn(text)
    if parts is None:
        return _fill(substitute(text, lookup))
    tail = _fill(substitute(parts[5], lookup))
    if tail is None:
        return None
    heads = ":".join(parts[:5])
    own = split_arn(current)
    if own is not None and arn_match(heads + ":*", ":".join(own[:5]) + ":x"):
        heads = ":".join(own[:5])
    else:
        heads = heads.replace("*", "").replace("?", "x")
    return heads + ":" + tail


def _fill(parts: list[str] | None) -> str | None:
    if parts is None:
        return None
    return "".join("" if p == STAR else "x" if p == QMARK else p for p in parts)


def request_json(request: Request, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A request in the scenario format (context keys in their policy spelling)."""
    names = names or {}
    out: dict[str, Any] = {"principal": request.principal.text}
    if request.principal.kind is PrincipalKind.ASSUMED_ROLE and request.principal.role_arn:
        out["principal_role_arn"] = request.principal.role_arn
    out["action"] = request.action
    out["resource"] = request.resource
    if request.resource_account is not None:
        out["resource_account"] = request.resource_account
    out["context"] = {
        names.get(k, k): (list(v) if isinstance(v, tuple) else v)
        for k, v in sorted(request.context.items())
    }
    return out
