"""Deciding whether one principal can call some actions on one resource.

The shared core of ``prove`` and the reachability graph: the policy set that
decides a request of a bundle principal, a cheap syntactic refusal and a cheap
concrete witness before any solver call, and the symbolic question otherwise.
Answers are three-valued (:class:`Tri`); a request counted as allowed has been
replayed through the evaluator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cksmodel.bundle import Account, IamPrincipal
from cksmodel.cks import model
from cksmodel.encode import Encoder
from cksmodel.evaluate import TRUST_ACTIONS, evaluate
from cksmodel.ir import Effect, Policy, PolicySet, PolicyType, Statement, Value
from cksmodel.logic import TRUE, Term, and_, not_
from cksmodel.patterns import compile_glob
from cksmodel.query import Answer, Counterexample, Question, Verdict, pin_principal, search
from cksmodel.request import Principal, PrincipalKind, Request
from cksmodel.results import Location
from cksmodel.strings import arn, literal


@dataclass(slots=True)
class Tri:
    """A three-valued truth with what supports it."""

    value: bool | None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    reason: str = ""


def negate(t: Tri) -> Tri:
    return Tri(None if t.value is None else not t.value, t.evidence, t.locations, t.reason)


def all_of(parts: Sequence[Tri]) -> Tri:
    false = [p for p in parts if p.value is False]
    if false:
        return false[0]
    unknown = [p for p in parts if p.value is None]
    if unknown:
        return unknown[0]
    return Tri(
        True, [e for p in parts for e in p.evidence], [x for p in parts for x in p.locations]
    )


def any_of(parts: Sequence[Tri]) -> Tri:
    true = [p for p in parts if p.value is True]
    if true:
        return true[0]
    unknown = [p for p in parts if p.value is None]
    if unknown:
        return unknown[0]
    return Tri(
        False, [e for p in parts for e in p.evidence], [x for p in parts for x in p.locations]
    )


ALLOW_ALL = Policy(
    name="any identity-based policy of another account",
    policy_type=PolicyType.IDENTITY,
    version="2012-10-17",
    id=None,
    statements=(
        Statement(
            index=0,
            sid=None,
            effect=Effect.ALLOW,
            actions=(Value(text="*"),),
            resources=(Value(text="*"),),
        ),
    ),
)
"""Principals outside the account: their own account may allow them anything."""


@dataclass(frozen=True, slots=True)
class Target:
    """One concrete resource (or resource pattern) a ``can`` atom may be about."""

    label: str
    pattern: str
    literal_arn: bool
    policy: Policy | None = None
    grants: tuple[Any, ...] = ()


class Access:
    """Decides ``can`` questions about the principals of one account."""

    def __init__(self, account: Account, *, timeout: float) -> None:
        self.account = account
        self.timeout = timeout
        self.protections = (model.protections_policy(),)

    def decide(
        self,
        principal: IamPrincipal,
        actions: Sequence[str],
        targets: Sequence[Target],
        context: Sequence[tuple[str, str]] = (),
        *,
        readable: bool = True,
    ) -> Tri:
        """Can the principal call one of the actions on one of the targets?"""
        results = []
        request_principal = principal.request_principal()
        for target in targets:
            ps = self.policy_set(principal, target, actions)
            quick = self.quick(principal, request_principal, ps, actions, target, context)
            if quick is not None:
                results.append(quick)
                if quick.value:
                    break
                continue

            def goal(enc: Encoder, ps: PolicySet = ps, target: Target = target) -> Term:
                allowed, _ = enc.decision(ps)
                pinned = pin_principal(enc, request_principal)
                asked = self.request_terms(enc, actions, target, context)
                return and_(allowed, pinned, asked, self.principal_context(enc, principal))

            def replay(r: Request, ps: PolicySet = ps) -> tuple[bool, dict[str, str]]:
                word = evaluate(r, ps).decision.value
                return word == "allowed", {"decision": word}

            answer = search(
                Question(
                    [ps, PolicySet(identity=(self.scope(actions, target),))],
                    goal,
                    replay,
                    None,
                    self.timeout,
                    1,
                    readable,
                )
            )
            results.append(self.tri(answer, ps))
            if answer.verdict is Verdict.REFUTED:
                break
        return any_of(results)

    def policy_set(
        self, principal: IamPrincipal | None, target: Target, actions: Sequence[str]
    ) -> PolicySet:
        trust = all(a.lower() in TRUST_ACTIONS for a in actions)
        resource = (
            target.policy
            if (
                target.policy is not None
                and (trust or target.grants or target.policy.policy_type is PolicyType.KEY)
            )
            else None
        )
        if (
            target.policy is not None
            and target.policy.policy_type is PolicyType.TRUST
            and not trust
        ):
            resource = None
        if principal is None:
            return PolicySet(
                identity=(ALLOW_ALL,),
                resource=resource,
                grants=target.grants,
                protections=self.protections,
            )
        base = self.account.policy_set(principal, resource_policy=resource, grants=target.grants)
        return PolicySet(
            identity=base.identity,
            boundary=base.boundary,
            resource=base.resource,
            scps=base.scps,
            rcps=base.rcps,
            grants=base.grants,
            management_account=base.management_account,
            protections=self.protections,
        )

    def scope(self, actions: Sequence[str], target: Target) -> Policy:
        return Policy(
            name="question",
            policy_type=PolicyType.IDENTITY,
            version="2012-10-17",
            id=None,
            statements=(
                Statement(
                    index=0,
                    sid=None,
                    effect=Effect.ALLOW,
                    actions=tuple(Value(text=a) for a in actions),
                    resources=(Value(text=target.pattern or "*"),),
                ),
            ),
        )

    def request_terms(
        self,
        enc: Encoder,
        actions: Sequence[str],
        target: Target,
        context: Sequence[tuple[str, str]],
    ) -> Term:
        terms: list[Term] = [enc.action_in(Value(text=a) for a in actions)]
        if not target.pattern:
            pass
        elif target.pattern == "*":
            terms.append(enc.res_star)
        elif target.literal_arn:
            terms += [not_(enc.res_star), enc.resource.member(literal(target.pattern))]
        else:
            terms += [not_(enc.res_star), enc.resource.member(arn(target.pattern))]
        for key, value in context:
            rep = enc.key_rep(key.lower())
            if rep.family == "String" and not rep.multi:
                terms += [rep.present, rep.strings[0].member(literal(value))]
        return and_(terms)

    def principal_context(self, enc: Encoder, principal: IamPrincipal) -> Term:
        """What the bundle knows of the caller: organization and tags; other tags absent."""
        known = self.account.context(principal)
        terms: list[Term] = []
        for key, rep in enc.keys.items():
            if not (key == "aws:principalorgid" or key.startswith("aws:principaltag/")):
                continue
            value = known.get(key)
            if value is None or rep.family != "String" or rep.multi:
                terms.append(not_(rep.present) if value is None else TRUE)
            else:
                terms += [rep.present, rep.strings[0].member(literal(str(value)))]
        return and_(terms)

    def quick(
        self,
        principal: IamPrincipal,
        caller: Principal,
        ps: PolicySet,
        actions: Sequence[str],
        target: Target,
        context: Sequence[tuple[str, str]],
    ) -> Tri | None:
        """Decide a ``can`` without the solver when that is easy and certain.

        No Allow statement (or grant) anywhere mentions the actions: false. A
        plain request built from the question is allowed by the evaluator: true,
        with that request as the (replayed) witness. Otherwise undecided here.
        """
        globs = [compile_glob(a, True) for a in actions]
        if caller.kind is not PrincipalKind.ROOT and not self.mentioned(ps, actions):
            return Tri(False)
        names = [n for a in actions for n in self.expand(a)][:24]
        resource = target.pattern if target.literal_arn or not target.pattern else None
        if resource is None:
            return None
        resource = resource or "*"
        values = {k: v for k, v in self.account.context(principal).items()}
        values.update({k.lower(): v for k, v in context})
        if self.account.regions:
            values.setdefault("aws:requestedregion", self.account.regions[0])
        for name in names:
            if not any(g.match(name.lower()) for g in globs):
                continue
            request = Request(principal=caller, action=name, resource=resource, context=values)
            decision = evaluate(request, ps)
            if decision.allowed:
                answer = Answer(
                    verdict=Verdict.REFUTED,
                    reason="",
                    counterexamples=(
                        Counterexample(request=request, decisions={"decision": "allowed"}),
                    ),
                )
                return self.tri(answer, ps)
        return None

    def expand(self, pattern: str) -> tuple[str, ...]:
        if "*" not in pattern and "?" not in pattern:
            return (pattern,)
        from cksmodel.catalog import get_catalog

        return get_catalog().expand(pattern)

    def mentioned(self, ps: PolicySet, actions: Sequence[str]) -> bool:
        """Could some Allow statement or grant of the set match one of the actions?"""
        from cksmodel.strings import glob, relation

        asked = [glob(a, ignore_case=True) for a in actions]
        policies = [*ps.identity, *(p for p in (ps.resource,) if p is not None)]
        for policy in policies:
            for stmt in policy.statements:
                if stmt.effect is not Effect.ALLOW:
                    continue
                if stmt.not_actions is not None:
                    return True
                for v in stmt.actions:
                    written = glob(v.text, ignore_case=True)
                    if any(not relation(a, written)[0] for a in asked):
                        return True
        ops = {f"kms:{op}".lower() for g in ps.grants for op in g.operations}
        return any(compile_glob(a, True).match(op) for a in actions for op in ops)

    def tri(self, answer: Answer, ps: PolicySet | None) -> Tri:
        if answer.verdict is Verdict.UNKNOWN:
            return Tri(None, reason=answer.reason)
        if answer.verdict is Verdict.PROVED:
            return Tri(False)
        evidence = []
        locations: list[Location] = []
        for example in answer.counterexamples:
            evidence.append(example.to_json())
            if ps is not None:
                decision = evaluate(example.request, ps)
                for m in decision.matched_statements:
                    if m.span is not None and m.effect == "Allow":
                        locations.append(
                            Location(
                                role="policy",
                                span=m.span,
                                description=(
                                    f"{m.policy_name} statement {m.statement_index} allows it"
                                ),
                            )
                        )
        return Tri(True, evidence, locations)
