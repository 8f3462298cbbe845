"""Policies to logic terms over a symbolic request, mirroring :mod:`cksmodel.concrete.evaluate`.

Each function here has a counterpart in the evaluator and must agree with it
on every concrete request (the differential tests check this). Anything the
encoding cannot represent exactly becomes a *free* Boolean, recorded with its
position: a proof that holds for every value of the free atoms holds for the
real semantics too, and a model is only believed after concrete replay.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from cksmodel.concrete.evaluate import (
    _EC_OPERATIONS,
    KMS_CROSS_ACCOUNT,
    RCP_EXEMPT_ACTIONS,
    RCP_SERVICES,
    TRUST_ACTIONS,
    principal_identity,
)
from cksmodel.concrete.request import PrincipalKind
from cksmodel.policy.conditions import (
    NEGATED,
    evaluate_condition,
    parse_date,
    parse_network,
    parse_number,
)
from cksmodel.policy.ir import (
    Condition,
    Effect,
    Grant,
    Policy,
    PolicySet,
    PolicyType,
    PrincipalSet,
    Qualifier,
    Statement,
    Value,
)
from cksmodel.policy.parse import OPERATOR_FAMILIES
from cksmodel.policy.patterns import (
    ContextValue,
    arn_match,
    has_variables,
    required_variables,
    split_arn,
    substitute,
    substitute_literal,
    without_variables,
)
from cksmodel.source import Span
from cksmodel.symbolic.logic import (
    FALSE,
    TRUE,
    BoolVar,
    BVRange,
    BVVar,
    EnumIs,
    EnumVar,
    RealCmp,
    RealVar,
    Term,
    and_,
    enum_in,
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
from cksmodel.symbolic.universe import DERIVED_KEYS, KINDS, Universe, all_policies

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
_SERVICE_CHARS = CharClass(frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-"))
_NAME_CHARS = CharClass(
    frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-")
)
"""Characters IAM allows in user, role and session names."""
_PATH_CHARS = CharClass(frozenset(chr(c) for c in range(0x21, 0x7F)))
"""Characters IAM allows in paths (printable ASCII)."""
_NAME_CHAR = Token(_NAME_CHARS)
KEY_RESOURCE = arn("arn:*:kms:*:*:key/*")
ROLE_RESOURCE = arn("arn:*:iam:*:*:role/*")
SLR_ROLE = arn("arn:*:iam::*:role/aws-service-role/*")
EXTRA_EC_KEY = "kms:encryptioncontext:cksmodel-unnamed-key"
"""Stands for every encryption-context key no policy or grant names."""


@dataclass(slots=True)
class StringDim:
    """A string-valued part of the request, decided by pattern memberships."""

    name: str
    active: Term
    atoms: dict[Pattern, BoolVar] = field(default_factory=dict)
    guards: list[tuple[Term, Pattern]] = field(default_factory=list)
    preferences: tuple[Pattern, ...] = ()

    def member(self, pattern: Pattern) -> Term:
        atom = self.atoms.get(pattern)
        if atom is None:
            atom = BoolVar(f"in[{self.name}][{len(self.atoms)}]")
            self.atoms[pattern] = atom
        return atom


@dataclass(frozen=True, slots=True)
class Realize:
    """How to make a request satisfy a free atom over a policy variable: give ``target``
    (the resource, or a context key in lower case) the value ``text`` takes once its
    variables are expanded from the request (``base`` is the comparison operator, or
    ``"Resource"``)."""

    target: str
    base: str
    text: str


@dataclass(frozen=True, slots=True)
class FreeAtom:
    """Where the encoding gave up exactness, and why; ``realize`` when the decoder can
    try to make a model's request satisfy it."""

    var: BoolVar
    reason: str
    span: Span | None
    realize: Realize | None = None


@dataclass(slots=True)
class KeyRep:
    """How one free context key is represented: presence, value slots, family."""

    key: str
    family: str
    slots: int
    multi: bool
    present: BoolVar
    used: tuple[Term, ...]
    strings: tuple[StringDim, ...] = ()
    reals: tuple[RealVar, ...] = ()
    valid: tuple[BoolVar, ...] = ()
    bools: tuple[EnumVar, ...] = ()
    ip_version: tuple[EnumVar, ...] = ()
    ip_addr: tuple[BVVar, ...] = ()


@dataclass(frozen=True, slots=True)
class Levels:
    """How the best allow of some policies named the caller (cf. evaluate.Match)."""

    direct: Term
    role: Term
    any: Term


def _key_names(policies: Iterable[Policy]) -> dict[str, str]:
    """The spelling each condition key is first written with."""
    names: dict[str, str] = {}
    for policy in policies:
        for stmt in policy.statements:
            for cond in stmt.conditions:
                names.setdefault(cond.key_lower, cond.key)
    return names


OTHER_TEXT = "\x00other"
"""The last value of a Bool key's domain: any text no policy compares it with."""


def _bool_values(policies: Iterable[Policy]) -> dict[str, set[str]]:
    """Per key, the (lower-cased) texts that Bool conditions compare it with."""
    out: dict[str, set[str]] = {}
    for policy in policies:
        for stmt in policy.statements:
            for cond in stmt.conditions:
                if cond.base == "Bool":
                    out.setdefault(cond.key_lower, set()).update(
                        v.text.lower() for v in cond.values
                    )
    return out


def _families(policies: Iterable[Policy]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for policy in policies:
        for stmt in policy.statements:
            for cond in stmt.conditions:
                fam = OPERATOR_FAMILIES[cond.base]
                if fam != "Null":
                    out.setdefault(cond.key_lower, set()).add("String" if fam == "Arn" else fam)
    return out


class Encoder:
    """Builds the terms of one symbolic query; ``bindings`` resolve policy variables."""

    def __init__(
        self,
        universe: Universe,
        sets: Sequence[PolicySet],
        bindings: dict[str, ContextValue] | None = None,
    ) -> None:
        self.u = universe
        self.bindings = bindings
        self.action = EnumVar("action", universe.actions)
        self.kind = EnumVar("kind", tuple(k.value for k in KINDS))
        self.paccount = EnumVar("principal_account", universe.accounts.values)
        self.raccount = EnumVar("resource_account", universe.accounts.values)
        self.partition = EnumVar("partition", universe.partitions.values)
        self.res_star = BoolVar("resource_is_star")
        self.res_acct_in_arn = BoolVar("resource_account_in_arn")
        self.res_no_account = BoolVar("resource_without_account")
        """An ARN without an account, called by a principal without one (anonymous or a
        service): the request has no resource account at all."""
        self.free: list[FreeAtom] = []
        self._free_vars: dict[tuple[str, Hashable], BoolVar] = {}
        self.keys: dict[str, KeyRep] = {}
        self.families = _families(all_policies(sets))
        self.bool_values = _bool_values(all_policies(sets))
        self.ec_keys = sorted(
            {k for k in self.families if k.startswith("kms:encryptioncontext:")}
            | {
                "kms:encryptioncontext:" + pair[0].lower()
                for ps in sets
                for g in ps.grants
                for pair in (g.encryption_context_equals or ())
                + (g.encryption_context_subset or ())
            }
            | {EXTRA_EC_KEY}
        )
        for key in self.ec_keys:
            self.families.setdefault(key, set()).add("String")
        self.families.setdefault("kms:grantoperations", set()).add("String")
        self.key_names: dict[str, str] = _key_names(all_policies(sets))
        self.principal_arn = StringDim(
            "principal_arn",
            self.kind_in(
                PrincipalKind.USER,
                PrincipalKind.ASSUMED_ROLE,
                PrincipalKind.FEDERATED_USER,
                PrincipalKind.ROOT,
            ),
        )
        self.session = StringDim("session", self.kind_is(PrincipalKind.ASSUMED_ROLE))
        self.service = StringDim("service", self.kind_is(PrincipalKind.SERVICE))
        self.resource = StringDim("resource", not_(self.res_star))
        self.principal_arn.preferences = tuple(
            arn(g)
            for g in (
                "arn:*:iam::*:user/alice",
                "arn:*:iam::*:user/*/alice",
                "arn:*:iam::*:role/app-role",
                "arn:*:iam::*:role/*/app-role",
                "arn:*:sts::*:federated-user/bob",
            )
        )
        self.session.preferences = (literal("session-1"),)
        self.service.preferences = (literal("ec2.amazonaws.com"), glob("*service.amazonaws.com"))
        self.resource.preferences = tuple(
            arn(g)
            for g in (
                "arn:*:kms:*:*:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:*:kms:*:*:key/0987dcba-09fe-87dc-65ba-ab0987654321",
                "arn:*:kms:*:*:key/?*",
                "arn:*:iam::*:role/app-role",
                "arn:*:s3:::example-bucket/*?",
                "arn:*:*:us-east-1:*:*",
                "arn:*:*:eu-west-1:*:*",
                "arn:*:*:*:*:?*",
            )
        )
        self.dims: list[StringDim] = [self.principal_arn, self.session, self.service, self.resource]
        self.well_formed: list[Term] = [
            implies(
                self.res_no_account,
                and_(not_(self.res_star), not_(self.res_acct_in_arn), not_(self.is_aws_identity())),
            )
        ]
        self._shapes()

    # ------------------------------------------------------------------ request shape

    def kind_is(self, kind: PrincipalKind) -> Term:
        return EnumIs(self.kind, KINDS.index(kind))

    def kind_in(self, *kinds: PrincipalKind) -> Term:
        return enum_in(self.kind, (KINDS.index(k) for k in kinds))

    def is_aws_identity(self) -> Term:
        return not_(self.kind_in(PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS))

    def _shapes(self) -> None:
        """Tie the string dimensions to the finite ones (kind, partition, accounts)."""
        one_plus_name = [_NAME_CHAR, *star(_NAME_CHARS)]
        for pi, part in enumerate(self.partition.domain):
            on_part = EnumIs(self.partition, pi)
            for ai, acct in enumerate(self.paccount.domain):
                on = and_(on_part, EnumIs(self.paccount, ai))
                head = f"arn:{part}:"
                self.principal_arn.guards += [
                    (
                        and_(on, self.kind_is(PrincipalKind.USER)),
                        concat(
                            f"user-arn {acct}",
                            lit_tokens(f"{head}iam::{acct}:user/"),
                            star(_PATH_CHARS),
                            one_plus_name,
                        ),
                    ),
                    (
                        and_(on, self.kind_is(PrincipalKind.ASSUMED_ROLE)),
                        concat(
                            f"role-arn {acct}",
                            lit_tokens(f"{head}iam::{acct}:role/"),
                            star(_PATH_CHARS),
                            one_plus_name,
                        ),
                    ),
                    (
                        and_(on, self.kind_is(PrincipalKind.FEDERATED_USER)),
                        concat(
                            f"federated-arn {acct}",
                            lit_tokens(f"{head}sts::{acct}:federated-user/"),
                            one_plus_name,
                        ),
                    ),
                    (
                        and_(on, self.kind_is(PrincipalKind.ROOT)),
                        literal(f"{head}iam::{acct}:root"),
                    ),
                ]
                for in_arn in (True, False):
                    flag = self.res_acct_in_arn if in_arn else not_(self.res_acct_in_arn)
                    shown = acct if in_arn else ""
                    self.resource.guards.append(
                        (
                            and_(on_part, EnumIs(self.raccount, ai), flag),
                            concat(
                                f"resource-arn {part} {shown}",
                                lit_tokens(f"arn:{part}:"),
                                star(NOT_COLON),
                                lit_tokens(":"),
                                star(NOT_COLON),
                                lit_tokens(f":{shown}:"),
                                star(ANY),
                            ),
                        )
                    )
        self.session.guards.append((TRUE, concat("session-name", one_plus_name)))
        self.service.guards.append(
            (
                TRUE,
                concat(
                    "service-name",
                    [Token(_SERVICE_CHARS)],
                    star(_SERVICE_CHARS),
                    lit_tokens(".amazonaws.com"),
                ),
            )
        )

    def realistic(self) -> Term:
        """Requests as AWS makes them: actions without a resource type name ``*``,
        actions on typed resources name an ARN."""
        from cksmodel.symbolic.universe import resource_shape

        shapes = [resource_shape(a) for a in self.action.domain]
        star_only = enum_in(self.action, (i for i, s in enumerate(shapes) if s == "star"))
        typed = enum_in(self.action, (i for i, s in enumerate(shapes) if s == "arn"))
        identity_keys = [
            rep.present
            for key, rep in self.keys.items()
            if key in ("aws:principalorgid", "aws:principalorgpaths")
            or key.startswith("aws:principaltag/")
        ]
        return and_(
            implies(star_only, self.res_star),
            implies(typed, not_(self.res_star)),
            implies(not_(self.is_aws_identity()), and_(not_(p) for p in identity_keys)),
        )

    def free_atom(
        self,
        reason: str,
        span: Span | None,
        construct: Hashable,
        realize: Realize | None = None,
    ) -> Term:
        """A free Boolean for a construct the encoding cannot represent.

        ``construct`` describes the construct without its position: the same construct
        has the same truth value on one request, so every occurrence (in either policy
        of a comparison, say) shares one atom instead of differing at will.
        """
        var = self._free_vars.get((reason, construct))
        if var is None:
            var = self._free_vars[(reason, construct)] = BoolVar(f"free{len(self._free_vars)}")
        self.free.append(FreeAtom(var=var, reason=reason, span=span, realize=realize))
        return var

    def resolvable(self, text: str) -> Term:
        """A necessary condition for the text's policy variables to expand (one that does
        not makes the text match nothing): its keys are present, ``aws:username`` only for
        users. Keys the encoding does not track add nothing."""
        terms: list[Term] = []
        for key in required_variables(text):
            if key == "aws:username":
                terms.append(self.kind_is(PrincipalKind.USER))
            elif key not in DERIVED_KEYS:
                rep = self.key_rep(key)
                if rep.family != "free":
                    terms.append(rep.present)
        return and_(terms)

    # ------------------------------------------------------------------ actions, resources

    def action_in(self, patterns: Iterable[Value]) -> Term:
        from cksmodel.policy.patterns import compile_glob

        globs = [compile_glob(v.text, True) for v in patterns]
        return enum_in(
            self.action,
            (i for i, a in enumerate(self.action.domain) if any(g.match(a.lower()) for g in globs)),
        )

    def action_where(self, predicate: Callable[[str], bool]) -> Term:
        return enum_in(
            self.action, (i for i, a in enumerate(self.action.domain) if predicate(a.lower()))
        )

    def resource_matches(self, v: Value, variables: bool) -> Term:
        from cksmodel.policy.patterns import compile_glob

        text = v.text
        if text == "*":
            return TRUE
        parts = split_arn(text)
        variable_part = parts[5] if parts is not None else text
        if self.bindings is not None:
            lookup = self.bindings.get if variables else None
            on_star: Term = TRUE if arn_match(text, "*", lookup) else FALSE
        elif variables and has_variables(text):
            # Expanded, the text matches the resource "*" only if nothing but wildcards
            # stays outside its variables.
            on_star = (
                FALSE
                if without_variables(text).strip("*?")
                else and_(
                    self.free_atom(
                        "policy variable in a resource with a symbolic context", v.span, ("*", text)
                    ),
                    self.resolvable(text),
                )
            )
        else:
            on_star = TRUE if compile_glob(text).match("*") and parts is None else FALSE
        if variables and has_variables(variable_part):
            if self.bindings is None:
                return or_(
                    and_(self.res_star, on_star),
                    and_(
                        not_(self.res_star),
                        self.free_atom(
                            "policy variable in a resource with a symbolic context",
                            v.span,
                            text,
                            Realize(target="resource", base="Resource", text=text),
                        ),
                        self.resolvable(variable_part),
                    ),
                )
            pattern = _arn_expanded(text, self.bindings)
            if pattern is None:
                return FALSE
        else:
            pattern = arn(text)
        return or_(
            and_(self.res_star, on_star),
            and_(not_(self.res_star), self.resource.member(pattern)),
        )

    # ------------------------------------------------------------------ principals

    def _role_name(self, acct: str, name: str) -> Term:
        return or_(
            self.principal_arn.member(
                concat(
                    f"role {acct} {name}",
                    lit_tokens("arn:"),
                    star(NOT_COLON),
                    lit_tokens(f":iam::{acct}:role/"),
                    lit_tokens(name, ignore_case=True),
                )
            ),
            self.principal_arn.member(
                concat(
                    f"role {acct} */{name}",
                    lit_tokens("arn:"),
                    star(NOT_COLON),
                    lit_tokens(f":iam::{acct}:role/"),
                    star(ANY),
                    lit_tokens("/"),
                    lit_tokens(name, ignore_case=True),
                )
            ),
        )

    def _user_name(self, acct: str, name: str) -> Term:
        return or_(
            self.principal_arn.member(
                concat(
                    f"user {acct} {name}",
                    lit_tokens("arn:"),
                    star(NOT_COLON),
                    lit_tokens(f":iam::{acct}:user/"),
                    lit_tokens(name, ignore_case=True),
                )
            ),
            self.principal_arn.member(
                concat(
                    f"user {acct} */{name}",
                    lit_tokens("arn:"),
                    star(NOT_COLON),
                    lit_tokens(f":iam::{acct}:user/"),
                    star(ANY),
                    lit_tokens("/"),
                    lit_tokens(name, ignore_case=True),
                )
            ),
        )

    def account_is(self, var: EnumVar, acct: str) -> Term:
        return EnumIs(var, var.domain.index(acct)) if acct in var.domain else FALSE

    def identity_terms(self, text: str) -> tuple[Term, Term, Term]:
        """(direct, role, account) terms for one AWS principal value (cf. caller_identities)."""
        identity = principal_identity(text)
        if identity is None:
            return FALSE, FALSE, FALSE
        if identity == ("*",):
            return TRUE, FALSE, FALSE
        kind, acct = identity[0], identity[1]
        on_acct = self.account_is(self.paccount, acct)
        if kind == "account":
            member = self.kind_in(
                PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER
            )
            return and_(self.kind_is(PrincipalKind.ROOT), on_acct), FALSE, and_(member, on_acct)
        if kind == "user":
            return (
                and_(self.kind_is(PrincipalKind.USER), on_acct, self._user_name(acct, identity[2])),
                FALSE,
                FALSE,
            )
        if kind == "role":
            name_names = all(ch != "/" for ch in identity[2])
            role = (
                and_(
                    self.kind_is(PrincipalKind.ASSUMED_ROLE),
                    on_acct,
                    self._role_name(acct, identity[2]),
                )
                if name_names
                else FALSE
            )
            return FALSE, role, FALSE
        if kind == "session":
            return (
                and_(
                    self.kind_is(PrincipalKind.ASSUMED_ROLE),
                    on_acct,
                    self._role_name(acct, identity[2]),
                    self.session.member(literal(identity[3])),
                ),
                FALSE,
                FALSE,
            )
        fed = concat(
            f"federated {acct} {identity[2]}",
            lit_tokens("arn:"),
            star(NOT_COLON),
            lit_tokens(f":sts::{acct}:federated-user/{identity[2]}"),
        )
        return (
            and_(
                self.kind_is(PrincipalKind.FEDERATED_USER), on_acct, self.principal_arn.member(fed)
            ),
            FALSE,
            FALSE,
        )

    def service_is(self, name: str) -> Term:
        return and_(self.kind_is(PrincipalKind.SERVICE), self.service.member(literal(name.lower())))

    def principal_levels(self, pset: PrincipalSet) -> Levels:
        """cf. evaluate.match_principal: how the element names the caller."""
        if pset.wildcard or any(v.text == "*" for v in pset.aws):
            return Levels(TRUE, TRUE, TRUE)
        terms = [self.identity_terms(v.text) for v in pset.aws]
        direct = or_([t[0] for t in terms], [self.service_is(v.text) for v in pset.service])
        if pset.federated or pset.canonical_user:
            # Web-identity, SAML and canonical-user callers are outside the request space.
            listed = (
                tuple(v.text for v in pset.federated),
                tuple(v.text for v in pset.canonical_user),
            )
            direct = or_(
                direct, self.free_atom("Federated or CanonicalUser principal", pset.span, listed)
            )
        role = or_(direct, [t[1] for t in terms])
        return Levels(direct, role, or_(role, [t[2] for t in terms]))

    def excluded(self, pset: PrincipalSet) -> Term:
        """cf. evaluate.excluded_by_not_principal: every identity of the caller is listed."""
        if pset.wildcard or any(v.text == "*" for v in pset.aws):
            return TRUE
        user = or_(self.identity_terms(v.text)[0] for v in pset.aws)
        account = or_(self.identity_terms(v.text)[2] for v in pset.aws)
        root = and_(
            self.kind_is(PrincipalKind.ROOT), or_(self.identity_terms(v.text)[0] for v in pset.aws)
        )
        role = or_(self.identity_terms(v.text)[1] for v in pset.aws)
        session = and_(self.kind_is(PrincipalKind.ASSUMED_ROLE), user)
        return or_(
            and_(self.kind_in(PrincipalKind.USER, PrincipalKind.FEDERATED_USER), user, account),
            and_(session, role, account),
            root,
            or_(self.service_is(v.text) for v in pset.service),
        )

    # ------------------------------------------------------------------ conditions

    def key_rep(self, key: str) -> KeyRep:
        rep = self.keys.get(key)
        if rep is not None:
            return rep
        families = self.families.get(key, {"String"})
        family = next(iter(families)) if len(families) == 1 else "free"
        if family == "Binary":
            family = "free"
        multi = key in self.u.multi_valued
        slots = self.u.multi_valued.get(key, 1)
        present = BoolVar(f"present[{key}]")
        if multi:
            used_vars = [BoolVar(f"used[{key}][{i}]") for i in range(slots)]
            used: tuple[Term, ...] = tuple(and_(present, u) for u in used_vars)
            self.well_formed += [implies(used_vars[i], used_vars[i - 1]) for i in range(1, slots)]
        else:
            used = (present,)
        names = [f"{key}" if not multi else f"{key}#{i}" for i in range(slots)]
        rep = KeyRep(key=key, family=family, slots=slots, multi=multi, present=present, used=used)
        if family == "String":
            rep.strings = tuple(
                StringDim(f"ctx:{n}", u, preferences=(glob("example-*?"), glob("?*")))
                for n, u in zip(names, used, strict=True)
            )
            self.dims.extend(rep.strings)
        elif family in ("Numeric", "Date"):
            rep.reals = tuple(RealVar(f"real[{n}]") for n in names)
            rep.valid = tuple(BoolVar(f"valid[{n}]") for n in names)
        elif family == "Bool":
            domain = (
                "true",
                "false",
                *sorted(self.bool_values.get(key, set()) - {"true", "false"}),
            )
            rep.bools = tuple(EnumVar(f"bool[{n}]", (*domain, OTHER_TEXT)) for n in names)
        elif family == "Ip":
            rep.ip_version = tuple(EnumVar(f"ipver[{n}]", ("4", "6", "invalid")) for n in names)
            rep.ip_addr = tuple(BVVar(f"ip[{n}]", 128) for n in names)
            for ver, addr in zip(rep.ip_version, rep.ip_addr, strict=True):
                self.well_formed.append(implies(EnumIs(ver, 0), BVRange(addr, 0, 2**32 - 1)))
        self.keys[key] = rep
        return rep

    def positive(
        self, base: str, v: Value, rep: KeyRep, slot: int, variables: bool, span: Span | None
    ) -> Term:
        """cf. conditions.positive_match for one policy value and one request value slot."""
        family = OPERATOR_FAMILIES[base]
        text = v.text
        if variables and has_variables(text) and family in ("String", "Arn"):
            if self.bindings is None:
                atom = self.free_atom(
                    f"policy variable in {base} with a symbolic context",
                    span,
                    (rep.key, slot, text),
                    Realize(target=rep.key, base=base, text=text) if slot == 0 else None,
                )
                arn_parts = split_arn(text) if family == "Arn" else None
                return and_(atom, self.resolvable(text if arn_parts is None else arn_parts[5]))
            if base in ("StringEquals", "StringEqualsIgnoreCase"):
                resolved = substitute_literal(text, self.bindings.get)
                if resolved is None:
                    return FALSE
                return self._string_atom(base, resolved, rep, slot, span, literal_text=True)
            if family == "Arn":
                pattern = _arn_expanded(text, self.bindings)
                return FALSE if pattern is None else self._dim_atom(rep, slot, pattern, span)
            parts = substitute(text, self.bindings.get)
            if parts is None:
                return FALSE
            return self._dim_atom(rep, slot, _glob_from_parts(parts, text), span)
        return self._string_atom(base, text, rep, slot, span, literal_text=False)

    def _dim_atom(self, rep: KeyRep, slot: int, pattern: Pattern, span: Span | None) -> Term:
        if rep.family != "String":
            return self.free_atom(
                f"condition key {rep.key} compared as several types", span, (slot, pattern.text)
            )
        return rep.strings[slot].member(pattern)

    def _string_atom(
        self, base: str, text: str, rep: KeyRep, slot: int, span: Span | None, *, literal_text: bool
    ) -> Term:
        family = OPERATOR_FAMILIES[base]
        if family in ("String", "Arn"):
            if base == "StringEquals":
                return self._dim_atom(rep, slot, literal(text), span)
            if base == "StringEqualsIgnoreCase":
                return self._dim_atom(rep, slot, casefold_literal(text), span)
            if base == "StringLike":
                return self._dim_atom(rep, slot, glob(text), span)
            return self._dim_atom(rep, slot, arn(text), span)
        if rep.family != family:
            return self.free_atom(
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
        return self.free_atom(f"{base} on {rep.key}", span, (slot, text))

    def condition(self, cond: Condition, variables: bool) -> Term:
        """cf. conditions.evaluate_condition."""
        key = cond.key_lower
        if key in DERIVED_KEYS:
            return self.derived_condition(cond, variables)
        rep = self.key_rep(key)
        if rep.family == "free":
            return self.free_atom(
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
            return or_(self.positive(base, v, rep, slot, variables, cond.span) for v in cond.values)

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

    def derived_condition(self, cond: Condition, variables: bool) -> Term:
        """Conditions on keys AWS derives from the caller or the resource."""
        key = cond.key_lower
        if self.bindings is not None:
            held = evaluate_condition(cond, self.bindings.get, variables, set())
            return TRUE if held else FALSE
        if variables and any(has_variables(v.text) for v in cond.values):
            return self.free_atom(
                "policy variable compared with a derived key", cond.span, _content(cond, variables)
            )
        if key in ("aws:principalarn", "aws:username", "aws:principalservicename"):
            return self._derived_string(cond, variables)
        cases: list[tuple[Term, str | None]] = []
        if key == "aws:principaltype":
            types = {
                "user": "User",
                "assumed_role": "AssumedRole",
                "federated_user": "FederatedUser",
                "root": "Account",
                "anonymous": "Anonymous",
            }
            cases = [(self.kind_is(k), types.get(k.value)) for k in KINDS]
        elif key == "aws:principalisawsservice":
            cases = [
                (self.kind_is(k), "true" if k is PrincipalKind.SERVICE else "false") for k in KINDS
            ]
        elif key in ("aws:principalaccount", "kms:calleraccount"):
            has_account = self.is_aws_identity()
            if key == "kms:calleraccount":
                has_account = and_(has_account, self.action_where(lambda a: a.startswith("kms:")))
            cases = [
                (and_(has_account, EnumIs(self.paccount, i)), acct)
                for i, acct in enumerate(self.paccount.domain)
            ]
            cases.append((not_(has_account), None))
        elif key == "aws:resourceaccount":
            cases = [
                (
                    and_(not_(self.res_star), not_(self.res_no_account), EnumIs(self.raccount, i)),
                    acct,
                )
                for i, acct in enumerate(self.raccount.domain)
            ]
            cases.append((or_(self.res_star, self.res_no_account), None))
        elif key == "aws:userid":
            cases = [
                (and_(self.kind_is(PrincipalKind.ROOT), EnumIs(self.paccount, i)), acct)
                for i, acct in enumerate(self.paccount.domain)
            ]
            cases.append((self.kind_in(PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS), None))
            cases.append(
                (
                    self.kind_in(
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
                atom = self.free_atom(reason, cond.span, _content(cond, variables), realize)
                out.append(and_(guard, atom))
                continue
            context: dict[str, ContextValue] = {} if value is None else {key: value}
            lookup = dict(self.bindings or {})
            lookup.update(context)
            result = evaluate_condition(
                cond, lookup.get if variables else context.get, variables, set()
            )
            out.append(and_(guard, TRUE if result else FALSE))
        return or_(out)

    def _derived_string(self, cond: Condition, variables: bool) -> Term:
        key = cond.key_lower
        if key == "aws:principalarn":
            present, dim, transform = self.principal_arn.active, self.principal_arn, None
        elif key == "aws:username":
            present, dim, transform = (
                self.kind_is(PrincipalKind.USER),
                self.principal_arn,
                _username_patterns,
            )
        else:
            present, dim, transform = self.service.active, self.service, None
        family = OPERATOR_FAMILIES[cond.base]
        if family == "Null":
            texts = {v.text.lower() for v in cond.values}
            return or_(
                present if "false" in texts else FALSE, not_(present) if "true" in texts else FALSE
            )
        if family not in ("String", "Arn"):
            return self.free_atom(
                f"{cond.base} on {cond.key}", cond.span, _content(cond, variables)
            )
        negated = cond.base in NEGATED
        base = _POSITIVE.get(cond.base, cond.base)
        atoms: list[Term] = []
        for v in cond.values:
            text = v.text
            if variables and has_variables(text):
                assert self.bindings is not None
                resolved = (
                    substitute_literal(text, self.bindings.get)
                    if base in ("StringEquals", "StringEqualsIgnoreCase")
                    else None
                )
                if resolved is None:
                    if base in ("StringEquals", "StringEqualsIgnoreCase"):
                        atoms.append(FALSE)
                        continue
                    return self.free_atom(
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
                return self.free_atom(
                    f"{cond.base} on {cond.key}", cond.span, _content(cond, variables)
                )
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

    # ------------------------------------------------------------------ statements and decisions

    def statement(self, stmt: Statement, policy: Policy, has_boundary: Term) -> tuple[Term, Levels]:
        """cf. evaluate.statement_applies: whether it applies, and how it named the caller."""
        variables = policy.variables_enabled
        if stmt.not_actions is not None:
            action = not_(self.action_in(stmt.not_actions))
        else:
            action = self.action_in(stmt.actions)
        if stmt.not_resources is not None:
            resource = not_(or_(self.resource_matches(v, variables) for v in stmt.not_resources))
        elif stmt.resources is not None:
            resource = or_(self.resource_matches(v, variables) for v in stmt.resources)
        else:
            resource = TRUE
        if stmt.principal is not None:
            levels = self.principal_levels(stmt.principal)
        elif stmt.not_principal is not None:
            forced = (
                TRUE
                if stmt.effect is Effect.DENY and policy.policy_type not in _IDENTITY_SIDE
                else FALSE
            )
            applies_np = or_(and_(forced, has_boundary), not_(self.excluded(stmt.not_principal)))
            levels = Levels(applies_np, applies_np, applies_np)
        else:
            levels = Levels(TRUE, TRUE, TRUE)
        conditions = and_(self.condition(c, variables) for c in stmt.conditions)
        applies = and_(action, resource, levels.any, conditions)
        return applies, Levels(and_(applies, levels.direct), and_(applies, levels.role), applies)

    def scan(self, policies: Sequence[Policy], has_boundary: Term) -> tuple[Term, Levels]:
        """(some Deny applies, how the best Allow named the caller)."""
        denies: list[Term] = []
        direct: list[Term] = []
        role: list[Term] = []
        any_: list[Term] = []
        for policy in policies:
            for stmt in policy.statements:
                applies, levels = self.statement(stmt, policy, has_boundary)
                if stmt.effect is Effect.DENY:
                    denies.append(applies)
                else:
                    direct.append(levels.direct)
                    role.append(levels.role)
                    any_.append(levels.any)
        return or_(denies), Levels(or_(direct), or_(role), or_(any_))

    def grant(self, g: Grant) -> Term:
        """cf. evaluate.grant_allows."""
        ops = {o.lower() for o in g.operations}
        action = self.action_where(lambda a: a.startswith("kms:") and a[4:] in ops)
        key_id = _grant_key_id(g.key_id)
        key = or_(
            self.resource.member(
                concat(
                    f"key {key_id}",
                    lit_tokens("arn:"),
                    *[star(NOT_COLON) + lit_tokens(":") for _ in range(4)],
                    lit_tokens("key/" + key_id),
                )
            ),
            self.resource.member(
                concat(
                    f"key-part {key_id}",
                    lit_tokens("arn:"),
                    *[star(NOT_COLON) + lit_tokens(":") for _ in range(4)],
                    lit_tokens(key_id),
                )
            )
            if not key_id.startswith("key/")
            else FALSE,
        )
        identity = principal_identity(g.grantee)
        if identity is None:
            grantee = self.service_is(g.grantee) if "." in g.grantee else FALSE
        elif identity == ("*",):
            grantee = FALSE
        else:
            direct, role, _ = self.identity_terms(g.grantee)
            grantee = or_(direct, role)
        rep = self.key_rep("kms:grantoperations")
        creategrant = self.action_where(lambda a: a == "kms:creategrant")
        subset = (
            or_(
                not_(rep.present),
                and_(
                    implies(
                        rep.used[i],
                        or_(
                            rep.strings[i].member(literal(op, ignore_case=True))
                            for op in sorted(ops)
                        ),
                    )
                    for i in range(rep.slots)
                ),
            )
            if rep.family == "String"
            else self.free_atom(
                "kms:GrantOperations used with several types", g.span, tuple(sorted(ops))
            )
        )
        ec_ops = self.action_where(lambda a: a.startswith("kms:") and a[4:] in _EC_OPERATIONS)
        ec: Term = TRUE
        if self.bindings is not None:
            context = {
                k[len("kms:encryptioncontext:") :]: v
                for k, v in self.bindings.items()
                if k.startswith("kms:encryptioncontext:") and isinstance(v, str)
            }
            if g.encryption_context_equals is not None:
                held = {k.lower(): v for k, v in g.encryption_context_equals} == context
            elif g.encryption_context_subset is not None:
                held = all(context.get(k.lower()) == v for k, v in g.encryption_context_subset)
            else:
                held = True
            ec = TRUE if held else FALSE
        elif g.encryption_context_equals is not None:
            wanted = {k.lower(): v for k, v in g.encryption_context_equals}
            ec = and_(
                self._ec_equals(wanted),
                and_(not_(self._ec_present(k)) for k in self.ec_keys if k[22:] not in wanted),
            )
        elif g.encryption_context_subset is not None:
            ec = self._ec_equals({k.lower(): v for k, v in g.encryption_context_subset})
        return and_(
            action,
            not_(self.res_star),
            key,
            grantee,
            implies(creategrant, subset),
            implies(ec_ops, ec),
        )

    def _ec_present(self, key: str) -> Term:
        rep = self.key_rep(key)
        if rep.multi:
            return self.free_atom(
                f"encryption context key {key} also used as a list", None, ("present",)
            )
        return rep.used[0]

    def _ec_equals(self, wanted: dict[str, str]) -> Term:
        terms: list[Term] = []
        for k, v in wanted.items():
            rep = self.key_rep("kms:encryptioncontext:" + k)
            if rep.multi or rep.family != "String":
                terms.append(
                    self.free_atom(
                        f"encryption context key {k} also used as a list", None, ("equals", v)
                    )
                )
                continue
            terms.append(and_(rep.present, rep.strings[0].member(literal(v))))
        return and_(terms)

    def key_kind(self) -> Term:
        """cf. evaluate.resource_kind: a ``kms:`` action on a key ARN."""
        return and_(
            self.action_where(lambda a: a.startswith("kms:")),
            not_(self.res_star),
            self.resource.member(KEY_RESOURCE),
        )

    def trust_kind(self) -> Term:
        """cf. evaluate.resource_kind: an ``sts:AssumeRole*`` action on a role ARN."""
        return and_(
            self.action_where(lambda a: a in TRUST_ACTIONS),
            not_(self.res_star),
            self.resource.member(ROLE_RESOURCE),
        )

    def resource_scope(self, ps: PolicySet) -> Term:
        """Requests the set's resource policy can be about: a key policy is about its key."""
        if ps.resource is None:
            return TRUE
        if ps.resource.policy_type is PolicyType.KEY:
            return self.key_kind()
        if ps.resource.policy_type is PolicyType.TRUST:
            return self.trust_kind()
        return TRUE

    def decision(self, ps: PolicySet) -> tuple[Term, Term]:
        """cf. evaluate.evaluate: (allowed, explicitly denied)."""
        aws_identity = self.is_aws_identity()
        root = self.kind_is(PrincipalKind.ROOT)
        identity_side = and_(aws_identity, not_(root))
        has_boundary = TRUE if ps.boundary is not None else FALSE
        key_kind = self.key_kind()
        trust_kind = self.trust_kind()
        slr = and_(self.kind_is(PrincipalKind.ASSUMED_ROLE), self.principal_arn.member(SLR_ROLE))
        mgmt_p = (
            self.account_is(self.paccount, ps.management_account)
            if ps.management_account
            else FALSE
        )
        accountless = or_(and_(self.res_star, not_(aws_identity)), self.res_no_account)
        if ps.management_account:
            res_acct_mgmt: Term = or_(
                and_(self.res_star, aws_identity, mgmt_p),
                and_(
                    not_(self.res_star),
                    not_(self.res_no_account),
                    self.account_is(self.raccount, ps.management_account),
                ),
            )
        else:
            # A request with no resource account "is in" the (absent) management account.
            res_acct_mgmt = accountless
        scps_apply = and_(aws_identity, not_(slr), not_(mgmt_p))
        rcps_apply = and_(
            not_(res_acct_mgmt),
            not_(slr),
            self.action_where(
                lambda a: a.partition(":")[0] in RCP_SERVICES and a not in RCP_EXEMPT_ACTIONS
            ),
        )
        scp_levels = [self.scan(level, has_boundary) for level in ps.scps]
        rcp_levels = [self.scan(level, has_boundary) for level in ps.rcps]
        endpoints = [self.scan((e,), has_boundary) for e in ps.endpoints]
        protected, _ = self.scan(ps.protections, has_boundary)
        resource = self.scan((ps.resource,), has_boundary) if ps.resource is not None else None
        identity = self.scan(ps.identity, has_boundary)
        boundary = self.scan((ps.boundary,), has_boundary) if ps.boundary is not None else None
        session = self.scan((ps.session,), has_boundary) if ps.session is not None else None

        explicit = or_(
            protected,
            [and_(scps_apply, d) for d, _ in scp_levels],
            [and_(rcps_apply, d) for d, _ in rcp_levels],
            [d for d, _ in endpoints],
            resource[0] if resource is not None else FALSE,
            and_(identity_side, identity[0]),
            and_(identity_side, boundary[0]) if boundary is not None else FALSE,
            and_(identity_side, session[0]) if session is not None else FALSE,
        )
        guards = and_(
            [implies(scps_apply, lv.any) for _, lv in scp_levels],
            [lv.any for _, lv in endpoints],
        )
        grants = or_(and_(key_kind, self.grant(g)) for g in ps.grants)
        how = resource[1] if resource is not None else Levels(FALSE, FALSE, FALSE)
        boundary_ok = or_(not_(identity_side), boundary[1].any) if boundary is not None else TRUE
        session_ok = or_(not_(identity_side), session[1].any) if session is not None else TRUE
        limits = and_(boundary_ok, session_ok)
        own_side = or_(root, and_(identity[1].any, limits))
        same_account = or_(
            self.res_star,
            or_(
                and_(EnumIs(self.paccount, i), EnumIs(self.raccount, i))
                for i in range(len(self.paccount.domain))
            ),
        )
        required = or_(key_kind, trust_kind)
        no_policy = TRUE if ps.resource is None else FALSE
        cross_blocked = and_(
            key_kind, not_(same_account), not_(self.action_where(lambda a: a in KMS_CROSS_ACCOUNT))
        )
        same_result = or_(
            and_(how.direct, trust_kind, limits),
            and_(how.direct, not_(trust_kind)),
            and_(not_(how.direct), how.role, limits),
            and_(not_(how.role), not_(and_(required, not_(how.any))), own_side),
        )
        cross_result = and_(how.any, own_side)
        aws_result = and_(
            not_(and_(required, no_policy)),
            not_(cross_blocked),
            or_(grants, and_(same_account, same_result), and_(not_(same_account), cross_result)),
        )
        other_result = or_(how.any, grants)
        allowed = and_(
            not_(explicit),
            guards,
            or_(and_(aws_identity, aws_result), and_(not_(aws_identity), other_result)),
        )
        return allowed, explicit


_IDENTITY_SIDE = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.SCP}
)


def _number(text: str) -> Fraction | None:
    value = parse_number(text)
    return None if value is None else Fraction(value)


def _date(text: str) -> Fraction | None:
    value = parse_date(text)
    return None if value is None else date_fraction(value)


def date_fraction(value: datetime) -> Fraction:
    """Exact epoch seconds of an aware datetime."""
    from datetime import UTC

    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return Fraction(delta.days * 86400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _grant_key_id(text: str) -> str:
    parts = split_arn(text)
    resource = parts[5] if parts is not None else text
    return resource.removeprefix("key/")


def _glob_from_parts(parts: list[str], text: str) -> Pattern:
    from cksmodel.policy.patterns import QMARK, STAR

    tokens: list[Token] = []
    for p in parts:
        if p == STAR:
            tokens.append(Token(ANY, star=True))
        elif p == QMARK:
            tokens.append(Token(ANY))
        else:
            tokens.extend(lit_tokens(p))
    return Pattern("glob-expanded:" + text + ":" + "".join(parts), tuple(tokens))


def _content(cond: Condition, variables: bool) -> Hashable:
    """A condition without its positions (what makes two occurrences the same construct)."""
    return (cond.operator, cond.key_lower, tuple(v.text for v in cond.values), variables)


def _arn_expanded(text: str, bindings: dict[str, ContextValue]) -> Pattern | None:
    """cf. patterns.arn_match with a lookup: variables expand in the resource part only
    (or in the whole text when it is not an ARN); ``None`` when one is unresolved."""
    parts = split_arn(text)
    if parts is not None and not has_variables(parts[5]):
        return arn(text)
    expanded = substitute(parts[5] if parts is not None else text, bindings.get)
    if expanded is None:
        return None
    if parts is None:
        return _glob_from_parts(expanded, text)
    head = arn(":".join(parts[:5]) + ":")
    return concat(
        "arn-expanded:" + text + ":" + "".join(expanded),
        head.tokens,
        _glob_from_parts(expanded, text),
    )


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


def policy_allows(enc: Encoder, policy: Policy) -> Term:
    """cf. evaluate.policy_allows."""
    denied, levels = enc.scan((policy,), FALSE)
    return and_(levels.any, not_(denied))
