"""Condition blocks to terms, mirroring :mod:`cksmodel.policy.conditions`.

Owns what a condition compares and how: operators on a context key's
representation (string patterns, reals, Booleans, IP ranges), the keys AWS derives
from the caller and the resource, and policy variables, which expand from the
request's bindings or become free atoms that the decoder may realize. Kept apart
from matching and from the decision so that a new operator touches this module only.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from cksmodel.concrete.request import PrincipalKind
from cksmodel.policy.conditions import (
    NEGATED,
    evaluate_condition,
    parse_date,
    parse_network,
    parse_number,
)
from cksmodel.policy.ir import Condition, Qualifier, Value
from cksmodel.policy.parse import OPERATOR_FAMILIES
from cksmodel.policy.patterns import (
    QMARK,
    STAR,
    ContextValue,
    has_variables,
    required_variables,
    split_arn,
    substitute,
    substitute_literal,
)
from cksmodel.source import Span
from cksmodel.symbolic.logic import (
    FALSE,
    TRUE,
    BVRange,
    EnumIs,
    RealCmp,
    Term,
    and_,
    implies,
    not_,
    or_,
)
from cksmodel.symbolic.strings import (
    ANY,
    NOT_COLON,
    CharClass,
    Pattern,
    Token,
    arn,
    casefold_literal,
    concat,
    glob,
    lit_tokens,
    literal,
    star,
)
from cksmodel.symbolic.universe import DERIVED_KEYS, KINDS

if TYPE_CHECKING:
    from cksmodel.symbolic.encode import Encoder, KeyRep

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
_REL = {
    "Equals": "==",
    "LessThan": "<",
    "LessThanEquals": "<=",
    "GreaterThan": ">",
    "GreaterThanEquals": ">=",
}


@dataclass(frozen=True, slots=True)
class Realize:
    """How to make a request satisfy a free atom over a policy variable: give ``target``
    (the resource, or a context key in lower case) the value ``text`` takes once its
    variables are expanded from the request (``base`` is the comparison operator, or
    ``"Resource"``)."""

    target: str
    base: str
    text: str


def resolvable(enc: Encoder, text: str) -> Term:
    """A necessary condition for the text's policy variables to expand (one that does
    not makes the text match nothing): its keys are present, ``aws:username`` only for
    users. Keys the encoding does not track add nothing."""
    terms: list[Term] = []
    for key in required_variables(text):
        if key == "aws:username":
            terms.append(enc.kind_is(PrincipalKind.USER))
        elif key not in DERIVED_KEYS:
            rep = enc.key_rep(key)
            if rep.family != "free":
                terms.append(rep.present)
    return and_(terms)


def expanded_arn(text: str, bindings: dict[str, ContextValue]) -> Pattern | None:
    """cf. patterns.arn_match with a lookup: variables expand in the resource part only
    (or in the whole text when it is not an ARN); ``None`` when one is unresolved."""
    parts = split_arn(text)
    if parts is not None and not has_variables(parts[5]):
        return arn(text)
    expanded = substitute(parts[5] if parts is not None else text, bindings.get)
    if expanded is None:
        return None
    if parts is None:
        return _expanded_glob(expanded, text)
    head = arn(":".join(parts[:5]) + ":")
    return concat(
        "arn-expanded:" + text + ":" + "".join(expanded),
        head.tokens,
        _expanded_glob(expanded, text),
    )


def _expanded_glob(parts: list[str], text: str) -> Pattern:
    tokens: list[Token] = []
    for p in parts:
        if p == STAR:
            tokens.append(Token(ANY, star=True))
        elif p == QMARK:
            tokens.append(Token(ANY))
        else:
            tokens.extend(lit_tokens(p))
    return Pattern("glob-expanded:" + text + ":" + "".join(parts), tuple(tokens))


def condition(enc: Encoder, cond: Condition, variables: bool) -> Term:
    """cf. conditions.evaluate_condition."""
    key = cond.key_lower
    if key in DERIVED_KEYS:
        return _derived_condition(enc, cond, variables)
    rep = enc.key_rep(key)
    if rep.family == "free":
        return enc.free_atom(
            f"condition key {cond.key} compared as several types",
            cond.span,
            _content(cond, variables),
        )
    nonempty = or_(rep.used)
    if cond.base == "Null":
        texts = {v.text.lower() for v in cond.values}
        return or_(
            nonempty if "false" in texts else FALSE,
            not_(nonempty) if "true" in texts else FALSE,
        )
    negated = cond.base in NEGATED
    base = _POSITIVE.get(cond.base, cond.base)
    if cond.if_exists or cond.qualifier is Qualifier.FOR_ALL_VALUES:
        missing: Term = TRUE
    elif cond.qualifier is Qualifier.FOR_ANY_VALUE:
        missing = FALSE
    else:
        missing = TRUE if negated else FALSE

    def hit(slot: int) -> Term:
        return or_(_positive(enc, base, v, rep, slot, variables, cond.span) for v in cond.values)

    def holds(slot: int) -> Term:
        return not_(hit(slot)) if negated else hit(slot)

    slots = range(rep.slots)
    if cond.qualifier is Qualifier.FOR_ALL_VALUES:
        present_result = and_(implies(rep.used[i], holds(i)) for i in slots)
    elif cond.qualifier is Qualifier.FOR_ANY_VALUE:
        present_result = or_(and_(rep.used[i], holds(i)) for i in slots)
    else:
        any_hit = or_(and_(rep.used[i], hit(i)) for i in slots)
        present_result = not_(any_hit) if negated else any_hit
    return or_(and_(rep.present, present_result), and_(not_(rep.present), missing))


def _positive(
    enc: Encoder,
    base: str,
    v: Value,
    rep: KeyRep,
    slot: int,
    variables: bool,
    span: Span | None,
) -> Term:
    """cf. conditions.positive_match for one policy value and one request value slot."""
    family = OPERATOR_FAMILIES[base]
    text = v.text
    if variables and has_variables(text) and family in ("String", "Arn"):
        if enc.bindings is None:
            atom = enc.free_atom(
                f"policy variable in {base} with a symbolic context",
                span,
                (rep.key, slot, text),
                Realize(target=rep.key, base=base, text=text) if slot == 0 else None,
            )
            arn_parts = split_arn(text) if family == "Arn" else None
            return and_(atom, resolvable(enc, text if arn_parts is None else arn_parts[5]))
        if base in ("StringEquals", "StringEqualsIgnoreCase"):
            resolved = substitute_literal(text, enc.bindings.get)
            if resolved is None:
                return FALSE
            return _string_atom(enc, base, resolved, rep, slot, span)
        if family == "Arn":
            pattern = expanded_arn(text, enc.bindings)
            return FALSE if pattern is None else _dim_atom(enc, rep, slot, pattern, span)
        parts = substitute(text, enc.bindings.get)
        if parts is None:
            return FALSE
        return _dim_atom(enc, rep, slot, _expanded_glob(parts, text), span)
    return _string_atom(enc, base, text, rep, slot, span)


def _dim_atom(enc: Encoder, rep: KeyRep, slot: int, pattern: Pattern, span: Span | None) -> Term:
    if rep.family != "String":
        return enc.free_atom(
            f"condition key {rep.key} compared as several types", span, (slot, pattern.text)
        )
    return rep.strings[slot].member(pattern)


def _string_atom(
    enc: Encoder, base: str, text: str, rep: KeyRep, slot: int, span: Span | None
) -> Term:
    family = OPERATOR_FAMILIES[base]
    if family in ("String", "Arn"):
        if base == "StringEquals":
            return _dim_atom(enc, rep, slot, literal(text), span)
        if base == "StringEqualsIgnoreCase":
            return _dim_atom(enc, rep, slot, casefold_literal(text), span)
        if base == "StringLike":
            return _dim_atom(enc, rep, slot, glob(text), span)
        return _dim_atom(enc, rep, slot, arn(text), span)
    if rep.family != family:
        return enc.free_atom(
            f"condition key {rep.key} compared as several types", span, (slot, base, text)
        )
    if family in ("Numeric", "Date"):
        bound = _number(text) if family == "Numeric" else _date(text)
        if bound is None:
            return FALSE
        rel = _REL[base[len(family) :]]
        return and_(rep.valid[slot], RealCmp(rep.reals[slot], rel, bound))
    if family == "Bool":
        domain = rep.bools[slot].domain
        lowered = text.lower()
        return EnumIs(rep.bools[slot], domain.index(lowered)) if lowered in domain else FALSE
    if family == "Ip":
        network = parse_network(text)
        if network is None:
            return FALSE
        low, high = int(network.network_address), int(network.broadcast_address)
        return and_(
            EnumIs(rep.ip_version[slot], 0 if network.version == 4 else 1),
            BVRange(rep.ip_addr[slot], low, high),
        )
    return enc.free_atom(f"{base} on {rep.key}", span, (slot, text))


def _derived_condition(enc: Encoder, cond: Condition, variables: bool) -> Term:
    """Conditions on keys AWS derives from the caller or the resource."""
    key = cond.key_lower
    if enc.bindings is not None:
        held = evaluate_condition(cond, enc.bindings.get, variables, set())
        return TRUE if held else FALSE
    if variables and any(has_variables(v.text) for v in cond.values):
        return enc.free_atom(
            "policy variable compared with a derived key", cond.span, _content(cond, variables)
        )
    if key in (
        "aws:principalarn",
        "aws:username",
        "aws:principalservicename",
        "aws:federatedprovider",
    ):
        return _derived_string(enc, cond, variables)
    cases: list[tuple[Term, str | None]] = []
    if key == "aws:principaltype":
        types = {
            "user": "User",
            "assumed_role": "AssumedRole",
            "federated_user": "FederatedUser",
            "root": "Account",
            "anonymous": "Anonymous",
        }
        cases = [(enc.kind_is(k), types.get(k.value)) for k in KINDS]
    elif key == "aws:principalisawsservice":
        cases = [(enc.kind_is(k), "true" if k is PrincipalKind.SERVICE else "false") for k in KINDS]
    elif key in ("aws:principalaccount", "kms:calleraccount"):
        has_account = enc.is_aws_identity()
        if key == "kms:calleraccount":
            has_account = and_(has_account, enc.action_where(lambda a: a.startswith("kms:")))
        cases = [
            (and_(has_account, EnumIs(enc.paccount, i)), acct)
            for i, acct in enumerate(enc.paccount.domain)
        ]
        cases.append((not_(has_account), None))
    elif key == "aws:resourceaccount":
        cases = [
            (
                and_(not_(enc.res_star), not_(enc.res_no_account), EnumIs(enc.raccount, i)),
                acct,
            )
            for i, acct in enumerate(enc.raccount.domain)
        ]
        cases.append((or_(enc.res_star, enc.res_no_account), None))
    elif key == "aws:userid":
        cases = [
            (and_(enc.kind_is(PrincipalKind.ROOT), EnumIs(enc.paccount, i)), acct)
            for i, acct in enumerate(enc.paccount.domain)
        ]
        cases.append((not_(enc.is_aws_identity()), None))
        cases.append(
            (
                enc.kind_in(
                    PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER
                ),
                "__free__",
            )
        )
    out = []
    for guard, value in cases:
        if value == "__free__":
            reason = "aws:userid of an IAM user, role session or federated user (a unique id)"
            realize = (
                Realize(target=key, base=cond.base, text=cond.values[0].text)
                if cond.base in ("StringEquals", "StringEqualsIgnoreCase", "StringLike")
                and cond.qualifier is Qualifier.NONE
                and cond.values
                else None
            )
            atom = enc.free_atom(reason, cond.span, _content(cond, variables), realize)
            out.append(and_(guard, atom))
            continue
        context: dict[str, ContextValue] = {} if value is None else {key: value}
        lookup = dict(enc.bindings or {})
        lookup.update(context)
        result = evaluate_condition(
            cond, lookup.get if variables else context.get, variables, set()
        )
        out.append(and_(guard, TRUE if result else FALSE))
    return or_(out)


def _derived_string(enc: Encoder, cond: Condition, variables: bool) -> Term:
    key = cond.key_lower
    if key == "aws:principalarn":
        present, dim, transform = enc.principal_arn.active, enc.principal_arn, None
    elif key == "aws:username":
        present, dim, transform = (
            enc.kind_is(PrincipalKind.USER),
            enc.principal_arn,
            _username_patterns,
        )
    elif key == "aws:federatedprovider":
        present, dim, transform = enc.kind_is(PrincipalKind.WEB_IDENTITY), enc.provider, None
    else:
        present, dim, transform = enc.service.active, enc.service, None
    family = OPERATOR_FAMILIES[cond.base]
    if family == "Null":
        texts = {v.text.lower() for v in cond.values}
        return or_(
            present if "false" in texts else FALSE, not_(present) if "true" in texts else FALSE
        )
    if family not in ("String", "Arn"):
        return enc.free_atom(f"{cond.base} on {cond.key}", cond.span, _content(cond, variables))
    negated = cond.base in NEGATED
    base = _POSITIVE.get(cond.base, cond.base)
    atoms: list[Term] = []
    for v in cond.values:
        text = v.text
        if variables and has_variables(text):
            assert enc.bindings is not None
            resolved = (
                substitute_literal(text, enc.bindings.get)
                if base in ("StringEquals", "StringEqualsIgnoreCase")
                else None
            )
            if resolved is None:
                if base in ("StringEquals", "StringEqualsIgnoreCase"):
                    atoms.append(FALSE)
                    continue
                return enc.free_atom(
                    f"policy variable in {cond.base} on {cond.key}",
                    cond.span,
                    _content(cond, variables),
                )
            text = resolved
        if base == "StringEquals":
            pats = [literal(text)]
        elif base == "StringEqualsIgnoreCase":
            pats = [casefold_literal(text)]
        elif base == "StringLike":
            pats = [glob(text)]
        elif transform is not None:
            return enc.free_atom(f"{cond.base} on {cond.key}", cond.span, _content(cond, variables))
        else:
            pats = [arn(text)]
        if transform is not None:
            pats = [q for p in pats for q in transform(p)]
        atoms.extend(dim.member(p) for p in pats)
    hit = or_(atoms)
    if cond.qualifier is Qualifier.FOR_ALL_VALUES:
        return or_(not_(present), not_(hit) if negated else hit)
    if cond.if_exists:
        return or_(not_(present), not_(hit) if negated else hit)
    if cond.qualifier is Qualifier.FOR_ANY_VALUE:
        return and_(present, not_(hit) if negated else hit)
    return or_(
        and_(present, not_(hit) if negated else hit),
        and_(not_(present), TRUE if negated else FALSE),
    )


def _content(cond: Condition, variables: bool) -> Hashable:
    """A condition without its positions (what makes two occurrences the same construct)."""
    return (cond.operator, cond.key_lower, tuple(v.text for v in cond.values), variables)


def _number(text: str) -> Fraction | None:
    value = parse_number(text)
    return None if value is None else Fraction(value)


def _date(text: str) -> Fraction | None:
    value = parse_date(text)
    return None if value is None else date_fraction(value)


def date_fraction(value: datetime) -> Fraction:
    """Exact epoch seconds of an aware datetime."""
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return Fraction(delta.days * 86400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _username_patterns(p: Pattern) -> list[Pattern]:
    """A pattern on ``aws:username`` as patterns on the user's ARN (name = last segment)."""
    name_tokens: list[Token] = []
    for tok in p.tokens:
        if tok.star:
            name_tokens.append(Token(_without_slash(tok.cls), star=True))
        elif tok.cls.has("/") and not tok.cls.negated and tok.cls.chars == frozenset("/"):
            return []
        else:
            name_tokens.append(Token(_without_slash(tok.cls)))
    prefix = (
        lit_tokens("arn:")
        + star(NOT_COLON)
        + lit_tokens(":iam::")
        + star(NOT_COLON)
        + lit_tokens(":user/")
    )
    return [
        concat("username " + p.text, prefix, name_tokens),
        concat("username */" + p.text, prefix, star(ANY), lit_tokens("/"), name_tokens),
    ]


def _without_slash(cls: CharClass) -> CharClass:
    if cls.negated:
        return CharClass(cls.chars | {"/"}, negated=True)
    return CharClass(cls.chars - {"/"})
