"""Symbolic questions about policies: can, always_denies, implies, compare.

Each question is phrased as "these constraints are satisfiable iff the answer
is no" (or "iff some request is allowed"). A satisfying model is decoded into a
concrete request and replayed through the concrete evaluator before it is
shown; a model that fails replay is an internal error unless the encoding
used an approximation, in which case the model is excluded and the search
goes on, or ends UNKNOWN.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from cksmodel.arguments import ArgumentTypeError, check_count, check_seconds, check_type, shown
from cksmodel.concrete.decision import DecisionWord
from cksmodel.concrete.evaluate import evaluate
from cksmodel.concrete.protections import ALWAYS_ALLOWED
from cksmodel.concrete.request import Principal, PrincipalKind, Request, derived_context
from cksmodel.concrete.scenario import PolicySource, as_policies
from cksmodel.errors import InternalError
from cksmodel.markup import (
    MUTED,
    Html,
    badge,
    box,
    cell,
    example,
    heading,
    line,
    position,
    seconds,
    table,
)
from cksmodel.policy.conditions import (
    MAX_REQUEST_NUMBER_DIGITS,
    parse_address,
    parse_date,
    parse_number,
)
from cksmodel.policy.ir import PolicySet
from cksmodel.policy.patterns import ContextValue, split_arn
from cksmodel.source import Span
from cksmodel.symbolic.conditions import date_fraction
from cksmodel.symbolic.decode import decode_request, realize, request_json
from cksmodel.symbolic.encode import EXTRA_EC_KEY, Encoder, KeyRep
from cksmodel.symbolic.formats import refit, well_formed
from cksmodel.symbolic.logic import (
    FALSE,
    TRUE,
    EnumIs,
    RealCmp,
    Term,
    and_,
    enum_in,
    not_,
    or_,
)
from cksmodel.symbolic.progress import Progress, no_progress
from cksmodel.symbolic.solve import Dimension, Status, solve
from cksmodel.symbolic.strings import arn, literal
from cksmodel.symbolic.universe import KINDS, build_universe

NICER_RLIMIT = 20_000_000
"""Solver work (Z3 resource units, not seconds, so output stays deterministic) spent
looking for a more readable counterexample before keeping the first one."""


class Verdict(StrEnum):
    """Three-valued: a timeout, an approximation or a solver ``unknown`` is never PROVED.

    ``NOT_APPLICABLE`` is only ever an invariant's: it is about something the account does not
    have (no custom key store service-linked role, no key in a store), so nothing was checked.
    """

    PROVED = "PROVED"
    REFUTED = "REFUTED"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"


@dataclass(frozen=True, kw_only=True, slots=True)
class Counterexample:
    """A concrete request, replayed, with the decision of each side of the question."""

    request: Request
    decisions: dict[str, str]
    key_names: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "request": request_json(self.request, self.key_names),
            "decisions": dict(self.decisions),
        }

    def _repr_html_(self) -> str:
        return box([example(self.to_json())])


@dataclass(frozen=True, kw_only=True, slots=True)
class Approximation:
    reason: str
    span: Span | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """The outcome of one symbolic question."""

    verdict: Verdict
    reason: str
    counterexamples: tuple[Counterexample, ...] = ()
    elapsed: float = 0.0
    approximations: tuple[Approximation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "reason": self.reason,
            "time_s": round(self.elapsed, 3),
            "counterexamples": [c.to_json() for c in self.counterexamples],
            "approximations": [
                {
                    "reason": a.reason,
                    "source": a.span.source if a.span else None,
                    "line": a.span.line if a.span else None,
                    "column": a.span.column if a.span else None,
                }
                for a in self.approximations
            ],
        }

    def _repr_html_(self) -> str:
        return box(_answer_parts(self, "Answer"))


Goal = Callable[[Encoder], Term]
Replay = Callable[[Request], tuple[bool, dict[str, str]]]


@dataclass(slots=True)
class Question:
    sets: Sequence[PolicySet]
    goal: Goal
    replay: Replay
    fixed: Request | None = None
    timeout: float = 30.0
    max_counterexamples: int = 1
    readable: bool = True
    """Spend extra solver calls on realistic, readable counterexample values."""
    accounts: tuple[str, ...] = ()
    """Accounts the goal names (a pinned caller's): each gets its own value in the
    request space even when no policy writes it."""
    decisions: bool = True
    """The goal takes full decisions (``False`` for single-policy checks)."""
    found: list[Counterexample] = field(default_factory=list)
    progress: Progress = no_progress
    """Told of the counterexamples found (task ``counterexamples``), noting the phase."""


def search(s: Question) -> Answer:
    """Find up to ``max_counterexamples`` replayed requests satisfying the goal.

    PROVED means the goal is unsatisfiable: no such request exists.
    """
    start = time.monotonic()
    s.progress("counterexamples", len(s.found), s.max_counterexamples, "encoding")
    universe = build_universe(s.sets, s.fixed, s.accounts, s.decisions)
    bindings = derived_context(s.fixed) if s.fixed is not None else None
    enc = Encoder(universe, s.sets, bindings)
    goal = s.goal(enc)
    if s.fixed is not None:
        goal = and_(goal, fix_request(enc, s.fixed))
    goal = and_(goal, enc.well_formed)
    if s.fixed is None:
        goal = and_(goal, enc.realistic())
    dims = [Dimension(d.name, d.active, d.atoms, d.guards, d.preferences) for d in enc.dims]
    plain = [Dimension(d.name, d.active, d.atoms, d.guards) for d in enc.dims]
    approximations = tuple(Approximation(reason=f.reason, span=f.span) for f in enc.free)
    exclusions: list[Term] = []
    failed_replays = 0
    # Models that do not rest on an approximated construct replay first: look for them
    # before letting the free atoms hold (a phase that only orders the search).
    exact_first: Term | None = and_(not_(f.var) for f in enc.free) if enc.free else None
    while True:
        remaining = s.timeout - (time.monotonic() - start)
        if remaining <= 0:
            return _answer(
                s, Verdict.UNKNOWN, f"timeout after {s.timeout:g} s", start, approximations
            )
        s.progress("counterexamples", len(s.found), s.max_counterexamples, "solving")
        target = goal if exact_first is None else and_(goal, exact_first)
        result = solve(target, plain, timeout=remaining, exclude=exclusions)
        if exact_first is not None and result.status is not Status.SAT:
            exact_first = None
            continue
        if result.status is Status.UNKNOWN:
            if s.found:
                return _answer(s, Verdict.REFUTED, "", start, approximations)
            reason = result.reason
            if reason.startswith("timeout"):
                reason = f"timeout after {s.timeout:g} s"
            return _answer(s, Verdict.UNKNOWN, reason, start, approximations)
        if result.status is Status.UNSAT:
            if s.found:
                return _answer(s, Verdict.REFUTED, "", start, approximations)
            if failed_replays:
                reasons = "; ".join(sorted({a.reason for a in approximations}))
                return _answer(
                    s,
                    Verdict.UNKNOWN,
                    f"approximated constructs decided the question: {reasons}",
                    start,
                    approximations,
                )
            if not universe.accounts.complete or not universe.partitions.complete:
                return _answer(
                    s,
                    Verdict.UNKNOWN,
                    "too many partial wildcards on account ids",
                    start,
                    approximations,
                )
            return _answer(s, Verdict.PROVED, "", start, approximations)
        assert result.assignment is not None
        first: Request | None = None
        if s.fixed is None:
            fit = refit(
                enc, result.assignment, decode_request(enc, result.assignment, result.strings)
            )
            if fit.exclude is not None:
                exclusions.append(fit.exclude)
                continue
            first = fit.request
        if s.fixed is None and s.readable:
            listed = enum_in(
                enc.action,
                (i for i, a in enumerate(enc.action.domain) if not a.endswith(":UnlistedAction")),
            )
            for preferred in (
                and_(_preferred(enc), enc.res_acct_in_arn, listed),
                and_(_preferred(enc), listed),
                _preferred(enc),
            ):
                nicer = solve(
                    and_(target, preferred),
                    dims,
                    timeout=remaining,
                    rlimit=NICER_RLIMIT,
                    exclude=exclusions,
                )
                if nicer.status is Status.SAT:
                    result = nicer
                    break
            assert result.assignment is not None
            own = _own_service_dims(enc, dims, result.assignment)
            again = solve(
                and_(target, _same_choices(enc, result.assignment)),
                own,
                timeout=remaining,
                rlimit=NICER_RLIMIT,
                exclude=exclusions,
            )
            if again.status is Status.SAT:
                result = again
        assert result.assignment is not None
        request = decode_request(enc, result.assignment, result.strings)
        if s.fixed is None:
            final = refit(enc, result.assignment, request)
            if final.exclude is not None:
                exclusions.append(final.exclude)
                continue
            fitted = final.request
            if fitted is None or not well_formed(fitted.action, fitted.resource):
                fitted = first
            if fitted is not None and fitted != request and s.replay(fitted)[0]:
                request = fitted
        s.progress("counterexamples", len(s.found), s.max_counterexamples, "replaying")
        ok, decisions = s.replay(request)
        if not ok and enc.free:
            request, ok, decisions = _realized(s, enc, result.assignment, request, decisions)
        if ok:
            if all(request != c.request for c in s.found):
                s.found.append(
                    Counterexample(request=request, decisions=decisions, key_names=enc.key_names)
                )
            if len(s.found) >= s.max_counterexamples:
                return _answer(s, Verdict.REFUTED, "", start, approximations)
            exclusions.append(_different(enc, result.assignment))
            continue
        if exact_first is not None:
            exact_first = None
            continue
        if not enc.free:
            raise InternalError(
                "a counterexample failed concrete replay: "
                f"{request_json(request)} gave {decisions}; the encoding and the evaluator disagree"
            )
        failed_replays += 1
        if failed_replays > 3:
            reasons = "; ".join(sorted({a.reason for a in approximations}))
            return _answer(
                s, Verdict.UNKNOWN, f"approximated constructs: {reasons}", start, approximations
            )
        exclusions.append(not_(and_(_same_choices(enc, result.assignment))))


def _realized(
    s: Question, enc: Encoder, a: Any, request: Request, decisions: dict[str, str]
) -> tuple[Request, bool, dict[str, str]]:
    """A failed replay under approximations: make the model's true policy-variable atoms
    hold in the request, and replay that instead (the replay alone decides)."""
    wanted = [
        f.realize for f in enc.free if f.realize is not None and a.bools.get(f.var.name, False)
    ]
    changed = realize(request, list(dict.fromkeys(wanted))) if wanted else None
    if changed is None or changed == request:
        return request, False, decisions
    ok, again = s.replay(changed)
    return (changed, True, again) if ok else (request, False, decisions)


def _answer(
    s: Question, verdict: Verdict, reason: str, start: float, approx: tuple[Approximation, ...]
) -> Answer:
    return Answer(
        verdict=verdict,
        reason=reason,
        counterexamples=tuple(s.found),
        elapsed=time.monotonic() - start,
        approximations=approx,
    )


def _own_service_dims(enc: Encoder, dims: list[Dimension], a: Any) -> list[Dimension]:
    """The dimensions, with the resource preferring an ARN of the action's own service."""
    service = enc.action.domain[a.enums.get(enc.action.name, 0)].partition(":")[0].lower()
    own = (arn(f"arn:*:{service}:*:*:*"),)
    return [
        Dimension(d.name, d.active, d.atoms, d.guards, own + d.preferences)
        if d.name == enc.resource.name
        else d
        for d in dims
    ]


def _preferred(enc: Encoder) -> Term:
    """Readable values where the question allows: well-formed IPs, numbers, dates, Booleans,
    and principals and resources of the policies' own accounts and the default partition."""
    terms: list[Term] = []
    for rep in enc.keys.values():
        terms += [not_(EnumIs(v, 2)) for v in rep.ip_version]
        terms += list(rep.valid)
        terms += [or_(EnumIs(v, 0), EnumIs(v, 1)) for v in rep.bools]
    terms.append(EnumIs(enc.partition, 0))
    return and_(terms)


def _same_choices(enc: Encoder, a: Any) -> list[Term]:
    terms: list[Term] = []
    for var in (enc.action, enc.kind, enc.paccount, enc.raccount, enc.partition, enc.provider_form):
        terms.append(EnumIs(var, a.enums.get(var.name, 0)))
    for flag in (enc.res_star, enc.res_acct_in_arn):
        terms.append(flag if a.bools.get(flag.name, False) else not_(flag))
    for dim in enc.dims:
        for atom in dim.atoms.values():
            terms.append(atom if a.bools.get(atom.name, False) else not_(atom))
    for free in enc.free:
        terms.append(free.var if a.bools.get(free.var.name, False) else not_(free.var))
    return terms


def _different(enc: Encoder, a: Any) -> Term:
    """The next counterexample differs in action, caller kind or account, or resource."""
    kind = a.enums.get(enc.kind.name, 0)
    same: list[Term] = [EnumIs(enc.action, a.enums.get(enc.action.name, 0)), EnumIs(enc.kind, kind)]
    if KINDS[kind] not in (PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS):
        same.append(EnumIs(enc.paccount, a.enums.get(enc.paccount.name, 0)))
    star = a.bools.get(enc.res_star.name, False)
    same.append(enc.res_star if star else not_(enc.res_star))
    if not star:
        same.append(EnumIs(enc.raccount, a.enums.get(enc.raccount.name, 0)))
        same += [
            atom if a.bools.get(atom.name, False) else not_(atom)
            for atom in enc.resource.atoms.values()
        ]
    return not_(and_(same))


def pin_principal(enc: Encoder, p: Principal) -> Term:
    """Constraints that make the symbolic caller this principal (any session of a role)."""
    kind = PrincipalKind.ASSUMED_ROLE if p.kind is PrincipalKind.ROLE else p.kind
    terms: list[Term] = [EnumIs(enc.kind, KINDS.index(kind))]
    if p.account is not None:
        if p.account not in enc.paccount.domain:
            raise InternalError(
                f"account {p.account} is not in the request space: pass it in Question.accounts"
            )
        terms.append(enc.account_is(enc.paccount, p.account))
    if p.principal_arn is not None:
        terms.append(enc.principal_arn.member(literal(p.principal_arn)))
    if kind is PrincipalKind.SERVICE:
        terms.append(enc.service.member(literal(p.text)))
    if p.is_federated:
        terms.append(enc.provider.member(literal(p.text)))
    return and_(terms)


def fix_request(enc: Encoder, request: Request) -> Term:
    """Constraints that pin the symbolic request to one concrete request."""
    p = request.principal
    kind = PrincipalKind.ASSUMED_ROLE if p.kind is PrincipalKind.ROLE else p.kind
    terms: list[Term] = [EnumIs(enc.kind, KINDS.index(kind))]
    if request.action not in enc.action.domain:
        return FALSE
    terms.append(EnumIs(enc.action, enc.action.domain.index(request.action)))
    if p.account is not None:
        terms.append(enc.account_is(enc.paccount, p.account))
        terms.append(
            EnumIs(enc.partition, enc.partition.domain.index(p.partition))
            if p.partition in enc.partition.domain
            else FALSE
        )
    if p.principal_arn is not None:
        terms.append(enc.principal_arn.member(literal(p.principal_arn)))
    if p.session_name is not None:
        terms.append(enc.session.member(literal(p.session_name)))
    if kind is PrincipalKind.SERVICE:
        terms.append(enc.service.member(literal(p.text)))
    if p.is_federated:
        terms.append(enc.provider.member(literal(p.text)))
        parts = split_arn(p.text)
        if parts is not None:
            terms.append(enc.account_is(enc.paccount, parts[4]))
            terms.append(
                EnumIs(enc.partition, enc.partition.domain.index(p.partition))
                if p.partition in enc.partition.domain
                else FALSE
            )
    if request.resource == "*":
        terms.append(enc.res_star)
    else:
        terms.append(not_(enc.res_star))
        terms.append(enc.resource.member(literal(request.resource)))
        parts = split_arn(request.resource)
        in_arn = parts is not None and bool(parts[4]) and request.resource_account is None
        terms.append(enc.res_acct_in_arn if in_arn else not_(enc.res_acct_in_arn))
        account = request.effective_resource_account()
        terms.append(enc.res_no_account if account is None else not_(enc.res_no_account))
        if account is not None:
            terms.append(enc.account_is(enc.raccount, account))
    unnamed = [
        v
        for k, v in request.context.items()
        if k.startswith("kms:encryptioncontext:") and k not in enc.keys and isinstance(v, str)
    ]
    for key, rep in enc.keys.items():
        value = request.context.get(key)
        if key == EXTRA_EC_KEY and value is None and unnamed:
            value = unnamed[0]
        terms.append(not_(rep.present) if value is None else fix_key(rep, value))
    return and_(terms)


def fix_key(rep: KeyRep, value: ContextValue) -> Term:
    """Constraints that give one context key exactly this value (every value of a list)."""
    values = [value] if isinstance(value, str | bool | int | float) else list(value)
    if (not rep.multi and len(values) != 1) or len(values) > rep.slots:
        return FALSE
    terms: list[Term] = [rep.present]
    if rep.multi:
        terms += [rep.used[i] if i < len(values) else not_(rep.used[i]) for i in range(rep.slots)]
    terms += [_fix_value(rep, i, v) for i, v in enumerate(values)]
    return and_(terms)


def _fix_value(rep: KeyRep, slot: int, value: ContextValue) -> Term:
    text = (
        value
        if isinstance(value, str)
        else ("true" if value is True else "false" if value is False else str(value))
    )
    if rep.family == "String":
        return rep.strings[slot].member(literal(text))
    if rep.family == "Numeric":
        number = parse_number(text, MAX_REQUEST_NUMBER_DIGITS)
        if number is None:
            return not_(rep.valid[slot])
        return and_(rep.valid[slot], RealCmp(rep.reals[slot], "==", Fraction(number)))
    if rep.family == "Date":
        moment = parse_date(text)
        if moment is None:
            return not_(rep.valid[slot])
        return and_(rep.valid[slot], RealCmp(rep.reals[slot], "==", date_fraction(moment)))
    if rep.family == "Bool":
        domain = rep.bools[slot].domain
        lowered = text.lower()
        return EnumIs(
            rep.bools[slot], domain.index(lowered) if lowered in domain else len(domain) - 1
        )
    if rep.family == "Ip":
        from cksmodel.symbolic.logic import BVRange

        address = parse_address(text)
        if address is None:
            return EnumIs(rep.ip_version[slot], 2)
        return and_(
            EnumIs(rep.ip_version[slot], 0 if address.version == 4 else 1),
            BVRange(rep.ip_addr[slot], int(address), int(address)),
        )
    return TRUE


# ---------------------------------------------------------------------- public questions


def _decide(ps: PolicySet) -> Callable[[Request], str]:
    return lambda r: evaluate(r, ps).decision.value


def _limits(timeout: object, max_examples: object) -> tuple[float, int]:
    return check_seconds("timeout", timeout), check_count("max_examples", max_examples)


def can(
    policies: PolicySource,
    *,
    constraint: Goal | None = None,
    fixed: Request | None = None,
    timeout: float = 30.0,
    max_examples: int = 1,
) -> Answer:
    """Is some request allowed? REFUTED here means "yes, here is one" (PROVED: none is).

    ``policies`` is a :class:`PolicySet` or a scenario (dict, JSON text or file path)
    whose policies are used.
    """
    ps = as_policies("policies", policies)
    timeout, max_examples = _limits(timeout, max_examples)
    if constraint is not None and not callable(constraint):
        raise ArgumentTypeError(
            f"constraint: expected None or a function of the encoder, not {shown(constraint)}"
        )
    if fixed is not None:
        check_type("fixed", fixed, Request, "None or a Request")
    decide = _decide(ps)

    def goal(enc: Encoder) -> Term:
        allowed, _ = enc.decision(ps)
        scope = enc.resource_scope(ps)
        return and_(allowed, scope, constraint(enc) if constraint else TRUE)

    def replay(r: Request) -> tuple[bool, dict[str, str]]:
        word = decide(r)
        return word == "allowed", {"policies": word}

    return search(Question([ps], goal, replay, fixed, timeout, max_examples))


def always_denies(policies: PolicySource, *, timeout: float = 30.0) -> Answer:
    """PROVED when no request is allowed but those AWS allows whatever the policies say
    (``sts:GetCallerIdentity``)."""
    return can(
        policies,
        constraint=lambda enc: not_(enc.action_where(ALWAYS_ALLOWED.__contains__)),
        timeout=timeout,
    )


def implies(
    a: PolicySource, b: PolicySource, *, timeout: float = 30.0, max_examples: int = 1
) -> Answer:
    """PROVED when every request ``a`` allows is allowed by ``b``."""
    a, b = as_policies("a", a), as_policies("b", b)
    timeout, max_examples = _limits(timeout, max_examples)
    decide_a, decide_b = _decide(a), _decide(b)
    first, second = a, b

    def goal(enc: Encoder) -> Term:
        scope = and_(enc.resource_scope(first), enc.resource_scope(second))
        return and_(enc.decision(first)[0], not_(enc.decision(second)[0]), scope)

    def replay(r: Request) -> tuple[bool, dict[str, str]]:
        da, db = decide_a(r), decide_b(r)
        return da == "allowed" and db != "allowed", {"a": da, "b": db}

    return search(Question([a, b], goal, replay, None, timeout, max_examples))


def equivalent(a: PolicySource, b: PolicySource, *, timeout: float = 30.0) -> Answer:
    """PROVED when ``a`` and ``b`` allow exactly the same requests."""
    a, b = as_policies("a", a), as_policies("b", b)
    forward = implies(a, b, timeout=timeout)
    if forward.verdict is not Verdict.PROVED:
        return forward
    return implies(b, a, timeout=timeout)


class Relation(StrEnum):
    """How ``a`` relates to ``b`` in :func:`compare`."""

    EQUIVALENT = "equivalent"
    MORE_PERMISSIVE = "more-permissive"
    LESS_PERMISSIVE = "less-permissive"
    INCOMPARABLE = "incomparable"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class Comparison:
    """``a`` relative to ``b``, with witnesses for each difference."""

    relation: Relation
    only_a: Answer
    only_b: Answer

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.relation.value,
            "allowed_only_by_a": [c.to_json() for c in self.only_a.counterexamples],
            "allowed_only_by_b": [c.to_json() for c in self.only_b.counterexamples],
            "reason": "; ".join(r for r in (self.only_a.reason, self.only_b.reason) if r),
        }

    def _repr_html_(self) -> str:
        """The relation of ``a`` to ``b`` and a witness for each direction in which they differ."""
        parts = [line(Html("<strong>Comparison</strong>"), "a is", badge(self.relation), "b")]
        parts += _answer_parts(self.only_a, "Allowed only by a")
        parts += _answer_parts(self.only_b, "Allowed only by b")
        return box(parts)


def relation_of(only_a: Answer, only_b: Answer) -> Relation:
    """The relation from the two directions' answers (PROVED = no request only on that side)."""
    if Verdict.UNKNOWN in (only_a.verdict, only_b.verdict):
        return Relation.UNKNOWN
    a_extra = only_a.verdict is Verdict.REFUTED
    b_extra = only_b.verdict is Verdict.REFUTED
    if a_extra and b_extra:
        return Relation.INCOMPARABLE
    if a_extra:
        return Relation.MORE_PERMISSIVE
    if b_extra:
        return Relation.LESS_PERMISSIVE
    return Relation.EQUIVALENT


def compare(
    a: PolicySource, b: PolicySource, *, timeout: float = 30.0, max_examples: int = 1
) -> Comparison:
    """``a`` relative to ``b``: more-permissive means ``a`` allows all ``b`` does, and more."""
    a, b = as_policies("a", a), as_policies("b", b)
    only_a = implies(a, b, timeout=timeout, max_examples=max_examples)
    only_b = implies(b, a, timeout=timeout, max_examples=max_examples)
    return Comparison(relation=relation_of(only_a, only_b), only_a=only_a, only_b=only_b)


def symbolic_decision(
    request: Request, policies: PolicySet, *, timeout: float = 30.0
) -> str | None:
    """The decision word the encoding gives one concrete request (``None``: undecided).

    Used to cross-check the encoder against the evaluator.
    """
    answers = []
    for pick in (0, 1):

        def goal(enc: Encoder, pick: int = pick) -> Term:
            return enc.decision(policies)[pick]

        found = search(Question([policies], goal, lambda r: (True, {}), request, timeout, 1))
        answers.append(found.verdict)
        if found.approximations:
            return None
    if Verdict.UNKNOWN in answers:
        return None
    allowed, explicit = (v is Verdict.REFUTED for v in answers)
    if allowed and explicit:
        return None
    if allowed:
        return "allowed"
    return "explicitDeny" if explicit else "implicitDeny"


@dataclass(frozen=True, kw_only=True, slots=True)
class FreeCheck:
    """What the free encoding says of one scenario (see :func:`free_decision_check`)."""

    own: str | None
    """The request's own decision word, when a model of it was found."""
    problems: tuple[str, ...]
    approximations: tuple[str, ...]


def free_decision_check(
    request: Request, policies: PolicySet, *, timeout: float = 30.0
) -> FreeCheck:
    """Cross-check the free encoding (what can, implies and prove use) against the evaluator.

    For each decision word up to two models are searched; each must replay to that word
    (a mismatch without approximations is a problem), and the word the request itself
    gets must not be proved impossible.
    """
    own_word = evaluate(request, policies).decision.value
    problems: list[str] = []
    approximated: set[str] = set()
    own: str | None = None
    for word in (w.value for w in DecisionWord):

        def goal(enc: Encoder, word: str = word) -> Term:
            allowed, explicit = enc.decision(policies)
            if word == "allowed":
                return allowed
            if word == "explicitDeny":
                return explicit
            return and_(not_(allowed), not_(explicit))

        def replay(r: Request, word: str = word) -> tuple[bool, dict[str, str]]:
            got = evaluate(r, policies).decision.value
            return got == word, {"evaluator": got}

        try:
            answer = search(Question([policies], goal, replay, None, timeout, 2))
        except InternalError as exc:
            problems.append(f"a model of {word} replays otherwise: {str(exc)[:300]}")
            continue
        approximated |= {a.reason for a in answer.approximations}
        if word == own_word:
            if answer.verdict is Verdict.PROVED and well_formed(request.action, request.resource):
                problems.append(f"{word} proved impossible, but the request gets it")
            elif answer.verdict is Verdict.REFUTED:
                own = word
    return FreeCheck(own=own, problems=tuple(problems), approximations=tuple(sorted(approximated)))


# ---------------------------------------------------------------------- single-policy checks


def holder(enc: Encoder, identity: bool) -> Term:
    """Identity policies are held by an IAM user or role session; resource policies face anyone."""
    if identity:
        return enc.kind_in(PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE)
    return TRUE


def _answer_parts(a: Answer, title: str) -> list[Html]:
    """The verdict, reason and time, the counterexamples, and any approximations used."""
    head: list[object] = [Html(f"<strong>{cell(title)}</strong>"), badge(a.verdict)]
    if a.reason:
        head.append(a.reason)
    head.append(Html(f'<span style="{MUTED}">{cell(seconds(a.elapsed))}</span>'))
    parts = [line(*head)]
    parts += [example(c.to_json()) for c in a.counterexamples]
    if a.approximations:
        parts.append(heading("Approximations"))
        parts.append(
            table(("reason", "position"), ((x.reason, position(x.span)) for x in a.approximations))
        )
    return parts
