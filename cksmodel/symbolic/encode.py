"""Policies to logic terms over a symbolic request, mirroring :mod:`cksmodel.concrete.evaluate`.

Owns the symbolic request (finite variables, string dimensions, context-key
representations, free atoms) and what is assembled from it: statements, grants and
a policy set's decision in the evaluator's order (explicit denies, SCPs and RCPs,
boundaries and sessions, key and trust policies, grants). Conditions are encoded in
:mod:`cksmodel.symbolic.conditions`, principals and resources in
:mod:`cksmodel.symbolic.matching`.

Each function here has a counterpart in the evaluator and must agree with it
on every concrete request (the differential tests check this). Anything the
encoding cannot represent exactly becomes a *free* Boolean, recorded with its
position: a proof that holds for every value of the free atoms holds for the
real semantics too, and a model is only believed after concrete replay.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from cksmodel.concrete.evaluate import (
    _EC_OPERATIONS,
    FEDERATED_ONLY,
    FEDERATION_ACTIONS,
    KMS_CROSS_ACCOUNT,
    RCP_EXEMPT_ACTIONS,
    RCP_SERVICES,
    TRUST_ACTIONS,
    principal_identity,
)
from cksmodel.concrete.protections import ALWAYS_ALLOWED, aws_protections
from cksmodel.concrete.request import PrincipalKind
from cksmodel.errors import InternalError
from cksmodel.policy.ir import (
    Effect,
    Grant,
    Policy,
    PolicySet,
    PolicyType,
    Statement,
    Value,
)
from cksmodel.policy.parse import OPERATOR_FAMILIES
from cksmodel.policy.patterns import ContextValue, compile_glob, split_arn
from cksmodel.source import Span
from cksmodel.symbolic.conditions import Realize, condition
from cksmodel.symbolic.logic import (
    FALSE,
    TRUE,
    BoolVar,
    BVRange,
    BVVar,
    EnumIs,
    EnumVar,
    RealVar,
    Term,
    and_,
    enum_in,
    implies,
    not_,
    or_,
)
from cksmodel.symbolic.matching import (
    CLAIM_PREFERENCES,
    PRINCIPAL_ARN_PREFERENCES,
    PROVIDER_FORMS,
    PROVIDER_PREFERENCES,
    RESOURCE_PREFERENCES,
    SERVICE_NAME,
    SERVICE_PREFERENCES,
    SESSION_NAME,
    SESSION_PREFERENCES,
    Levels,
    claim_holder,
    claim_provider,
    excluded,
    identity_terms,
    principal_arn_shapes,
    principal_levels,
    provider_shapes,
    resource_arn_shapes,
    resource_matches,
    service_is,
)
from cksmodel.symbolic.strings import (
    NOT_COLON,
    Pattern,
    arn,
    concat,
    glob,
    lit_tokens,
    literal,
    star,
)
from cksmodel.symbolic.universe import KINDS, Universe, all_policies, resource_shape

AWS_ACCOUNT = "aws"
"""The account of AWS managed policies' ARNs (``arn:aws:iam::aws:policy/…``)."""
MANAGED_POLICY = arn("arn:*:iam::aws:policy/*")
_ACCOUNT_KINDS = (
    PrincipalKind.USER,
    PrincipalKind.ASSUMED_ROLE,
    PrincipalKind.FEDERATED_USER,
    PrincipalKind.ROOT,
    PrincipalKind.WEB_IDENTITY,
    PrincipalKind.SAML,
)
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
        self.provider_form = EnumVar("provider_form", PROVIDER_FORMS)
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
            guards=principal_arn_shapes(self),
            preferences=PRINCIPAL_ARN_PREFERENCES,
        )
        self.session = StringDim(
            "session",
            self.kind_is(PrincipalKind.ASSUMED_ROLE),
            guards=[(TRUE, SESSION_NAME)],
            preferences=SESSION_PREFERENCES,
        )
        self.service = StringDim(
            "service",
            self.kind_is(PrincipalKind.SERVICE),
            guards=[(TRUE, SERVICE_NAME)],
            preferences=SERVICE_PREFERENCES,
        )
        self.provider = StringDim(
            "provider",
            self.kind_in(PrincipalKind.WEB_IDENTITY, PrincipalKind.SAML),
            guards=provider_shapes(self),
            preferences=PROVIDER_PREFERENCES,
        )
        self.resource = StringDim(
            "resource",
            not_(self.res_star),
            guards=resource_arn_shapes(self),
            preferences=RESOURCE_PREFERENCES,
        )
        self.dims: list[StringDim] = [
            self.principal_arn,
            self.session,
            self.service,
            self.provider,
            self.resource,
        ]
        self.well_formed: list[Term] = [
            implies(
                self.res_no_account,
                and_(not_(self.res_star), not_(self.res_acct_in_arn), not_(self.is_aws_identity())),
            ),
            # PROVIDER_FORMS[1] names SAML providers, the others web identity providers.
            implies(self.kind_is(PrincipalKind.WEB_IDENTITY), not_(EnumIs(self.provider_form, 1))),
        ]
        if AWS_ACCOUNT in self.paccount.domain:
            # AWS's own account owns only its managed policies and calls nothing.
            aws = EnumIs(self.paccount, self.paccount.domain.index(AWS_ACCOUNT))
            self.well_formed += [
                not_(and_(aws, self.kind_in(*_ACCOUNT_KINDS))),
                implies(
                    and_(not_(self.res_star), not_(self.res_no_account), self.raccount_is_aws()),
                    self.resource.member(MANAGED_POLICY),
                ),
            ]

    # ------------------------------------------------------------------ request shape

    def kind_is(self, kind: PrincipalKind) -> Term:
        return EnumIs(self.kind, KINDS.index(kind))

    def kind_in(self, *kinds: PrincipalKind) -> Term:
        return enum_in(self.kind, (KINDS.index(k) for k in kinds))

    def is_aws_identity(self) -> Term:
        return not_(
            self.kind_in(
                PrincipalKind.SERVICE,
                PrincipalKind.ANONYMOUS,
                PrincipalKind.WEB_IDENTITY,
                PrincipalKind.SAML,
            )
        )

    def raccount_is_aws(self) -> Term:
        return self.account_is(self.raccount, AWS_ACCOUNT)

    def federation_ok(self) -> Term:
        """cf. evaluate.federation_refusal: a web-identity or SAML caller only assumes a
        role, and only such a caller makes its assume call."""
        terms: list[Term] = []
        for kind, actions in FEDERATION_ACTIONS.items():
            allowed = self.action_where(actions.__contains__)
            terms.append(implies(self.kind_is(kind), and_(allowed, self.trust_kind())))
        for action, kind in FEDERATED_ONLY.items():
            terms.append(implies(self.action_where(action.__eq__), self.kind_is(kind)))
        return and_(terms)

    def realistic(self) -> Term:
        """Requests as AWS makes them: actions without a resource type name ``*``,
        actions on typed resources name an ARN."""
        shapes = [resource_shape(a) for a in self.action.domain]
        star_only = enum_in(self.action, (i for i, s in enumerate(shapes) if s == "star"))
        typed = enum_in(self.action, (i for i, s in enumerate(shapes) if s == "arn"))
        identity_keys = [
            rep.present
            for key, rep in self.keys.items()
            if key in ("aws:principalorgid", "aws:principalorgpaths")
            or key.startswith("aws:principaltag/")
        ]
        claims = [
            implies(rep.present, claim_holder(self, key))
            for key, rep in self.keys.items()
            if claim_provider(key) is not None
        ]
        return and_(
            implies(star_only, self.res_star),
            implies(typed, not_(self.res_star)),
            implies(not_(self.is_aws_identity()), and_(not_(p) for p in identity_keys)),
            self.federation_ok(),
            claims,
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

    # ------------------------------------------------------------------ actions, accounts

    def action_in(self, patterns: Iterable[Value]) -> Term:
        globs = [compile_glob(v.text, True) for v in patterns]
        return enum_in(
            self.action,
            (i for i, a in enumerate(self.action.domain) if any(g.match(a.lower()) for g in globs)),
        )

    def action_where(self, predicate: Callable[[str], bool]) -> Term:
        return enum_in(
            self.action, (i for i, a in enumerate(self.action.domain) if predicate(a.lower()))
        )

    def account_is(self, var: EnumVar, acct: str) -> Term:
        return EnumIs(var, var.domain.index(acct)) if acct in var.domain else FALSE

    # ------------------------------------------------------------------ context keys

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
            preferences = (*CLAIM_PREFERENCES.get(key, ()), glob("example-*?"), glob("?*"))
            rep.strings = tuple(
                StringDim(f"ctx:{n}", u, preferences=preferences)
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

    # ------------------------------------------------------------------ statements and decisions

    def statement(self, stmt: Statement, policy: Policy, has_boundary: Term) -> tuple[Term, Levels]:
        """cf. evaluate.statement_applies: whether it applies, and how it named the caller."""
        variables = policy.variables_enabled
        if stmt.not_actions is not None:
            action = not_(self.action_in(stmt.not_actions))
        else:
            action = self.action_in(stmt.actions)
        if stmt.not_resources is not None:
            resource = not_(or_(resource_matches(self, v, variables) for v in stmt.not_resources))
        elif stmt.resources is not None:
            resource = or_(resource_matches(self, v, variables) for v in stmt.resources)
        else:
            resource = TRUE
        if stmt.principal is not None:
            levels = principal_levels(self, stmt.principal)
        elif stmt.not_principal is not None:
            forced = (
                TRUE
                if stmt.effect is Effect.DENY and policy.policy_type not in _IDENTITY_SIDE
                else FALSE
            )
            applies_np = or_(and_(forced, has_boundary), not_(excluded(self, stmt.not_principal)))
            levels = Levels(applies_np, applies_np, applies_np)
        else:
            levels = Levels(TRUE, TRUE, TRUE)
        conditions = and_(condition(self, c, variables) for c in stmt.conditions)
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
            grantee = service_is(self, g.grantee) if "." in g.grantee else FALSE
        elif identity == ("*",):
            grantee = FALSE
        else:
            direct, role, _ = identity_terms(self, g.grantee)
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
        if not self.u.decisions:
            raise InternalError("a full decision over a request space built for policy checks")
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
        protected, _ = self.scan((aws_protections(), *ps.protections), has_boundary)
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
        always = self.action_where(lambda a: a in ALWAYS_ALLOWED)
        allowed = and_(
            not_(explicit),
            guards,
            self.federation_ok(),
            or_(and_(aws_identity, aws_result), and_(not_(aws_identity), other_result)),
        )
        return or_(always, allowed), and_(not_(always), explicit)


_IDENTITY_SIDE = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.SCP}
)


def _grant_key_id(text: str) -> str:
    parts = split_arn(text)
    resource = parts[5] if parts is not None else text
    return resource.removeprefix("key/")


def policy_allows(enc: Encoder, policy: Policy) -> Term:
    """cf. evaluate.policy_allows."""
    denied, levels = enc.scan((policy,), FALSE)
    return and_(levels.any, not_(denied))
