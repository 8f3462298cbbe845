"""Deciding whether one principal can call some actions on one resource.

The shared core of ``prove`` and the reachability graph: the policy set that
decides a request of a bundle principal, a cheap syntactic refusal and a cheap
concrete witness before any solver call, and the symbolic question otherwise.
Answers are three-valued (:class:`Tri`); a request counted as allowed has been
replayed through the evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from cksmodel.account.model import Account, IamPrincipal, Peer
from cksmodel.cks import model
from cksmodel.concrete.decision import Decision, DecisionWord
from cksmodel.concrete.evaluate import (
    TRUST_ACTIONS,
    Match,
    caller_identities,
    evaluate,
    match_principal,
    principal_identity,
)
from cksmodel.concrete.request import Principal, PrincipalKind, Request, derived_context
from cksmodel.policy.ir import (
    Effect,
    Policy,
    PolicySet,
    PolicyType,
    Qualifier,
    Statement,
    Value,
    one_statement,
)
from cksmodel.policy.patterns import ContextValue, arn_match, compile_glob
from cksmodel.source import Location
from cksmodel.symbolic.encode import Encoder
from cksmodel.symbolic.logic import TRUE, Term, and_, implies, not_, or_
from cksmodel.symbolic.query import (
    Answer,
    Counterexample,
    Question,
    Verdict,
    fix_key,
    pin_principal,
    search,
)
from cksmodel.symbolic.strings import arn, literal
from cksmodel.symbolic.universe import DERIVED_KEYS


@dataclass(slots=True)
class Tri:
    """A three-valued truth with what supports it."""

    value: bool | None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    reason: str = ""
    witness: Request | None = None
    """The first replayed request that made the value true, when there is one."""
    decision: Decision | None = None
    """The evaluator's decision of that request."""


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


ALLOW_ALL = one_statement(
    "any identity-based policy of another account", PolicyType.IDENTITY, ["*"]
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


CALLER_KEYS = DERIVED_KEYS - {"kms:calleraccount", "aws:resourceaccount"}
"""Global keys whose value the caller alone determines, whatever the action and resource
(see ``derived_context``)."""

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")


def _resolve(text: str, caller: dict[str, ContextValue]) -> str | None:
    """A resource pattern with its caller variables written out, or None if one is
    unresolved (the pattern then matches nothing). Escapes stay as written; text with
    any other variable is returned unchanged."""
    out: list[str] = []
    pos = 0
    for found in _VARIABLE.finditer(text):
        body = found.group(1)
        out.append(text[pos : found.start()])
        pos = found.end()
        if body in ("*", "?", "$"):
            out.append(found.group(0))
            continue
        default = _DEFAULT.match(body)
        key = (default.group(1) if default else body).strip().lower()
        if key not in CALLER_KEYS:
            return text
        value = caller.get(key)
        if isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, str) and not any(c in value for c in "*?$"):
            out.append(value)
        elif value is None and default is not None:
            out.append(default.group(2))
        elif value is None:
            return None
        else:
            return text
    out.append(text[pos:])
    return "".join(out)


def specialize(policy: Policy, caller: Principal) -> Policy:
    """The policy as it reads for one caller: variables the caller alone determines
    (``${aws:username}``…) are written out in resources, the common case that would
    otherwise leave the symbolic engine with an approximation. Same decisions for
    every request of that caller; spans are kept."""
    if not policy.variables_enabled or "${" not in repr(policy.statements):
        return policy
    values = derived_context(
        Request(principal=caller, action="sts:GetCallerIdentity", resource="*")
    )
    known = {k: v for k, v in values.items() if k in CALLER_KEYS}
    statements = []
    for stmt in policy.statements:
        patterns = stmt.resources if stmt.resources is not None else stmt.not_resources
        if patterns is None or not any("${" in v.text for v in patterns):
            statements.append(stmt)
            continue
        written = []
        for v in patterns:
            text = _resolve(v.text, known) if "${" in v.text else v.text
            if text is not None:
                written.append(replace(v, text=text))
        if stmt.resources is not None:
            statements.append(replace(stmt, resources=tuple(written)))
        else:
            statements.append(replace(stmt, not_resources=tuple(written)))
    return replace(policy, statements=tuple(statements))


@lru_cache(maxsize=65536)
def _overlap(asked: str, written: str) -> bool:
    """Can an action pattern of a question and one written in a policy share an action?"""
    from cksmodel.symbolic.strings import glob, relation

    return not relation(glob(asked, ignore_case=True), glob(written, ignore_case=True))[0]


def _acts(stmt: Statement, actions: Sequence[str]) -> bool:
    if stmt.not_actions is not None:
        return True
    return any(_overlap(a, v.text) for a in actions for v in stmt.actions)


def _on(stmt: Statement, target: Target) -> bool:
    """Could the statement's resources cover the target (variables taken to match)?"""
    if not target.literal_arn or not target.pattern or stmt.resources is None:
        return True
    return any("${" in v.text or arn_match(v.text, target.pattern) for v in stmt.resources)


_NOT_GUESSED = CALLER_KEYS | {"aws:resourceaccount", "kms:calleraccount", "aws:principalorgid"}
"""Keys the evaluator derives from the request or the bundle: a guessed context must not
claim other values for them."""

_GUESSABLE = {
    "Bool",
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
}


def guess_context(
    ps: PolicySet, names: Sequence[str], values: Mapping[str, ContextValue]
) -> dict[str, ContextValue] | None:
    """A context meeting the positive conditions of the Allow statements that could
    apply (first value, wildcards filled in); None when there is nothing to guess."""
    lowered = [n.lower() for n in names]
    guessed: dict[str, ContextValue] = {}
    for policy in (*ps.identity, ps.resource):
        if policy is None:
            continue
        for stmt in policy.statements:
            if stmt.effect is not Effect.ALLOW or not stmt.conditions:
                continue
            if stmt.not_actions is None and not any(
                compile_glob(v.text, True).match(n) for v in stmt.actions for n in lowered
            ):
                continue
            for c in stmt.conditions:
                key = c.key_lower
                if (
                    c.base not in _GUESSABLE
                    or key in values
                    or key in guessed
                    or key in _NOT_GUESSED
                    or key.startswith("aws:principaltag/")
                    or not c.values
                    or "${" in c.values[0].text
                ):
                    continue
                text = c.values[0].text
                if c.base == "Bool":
                    guessed[key] = text.lower() == "true"
                    continue
                if c.base in ("StringLike", "ArnLike"):
                    text = text.replace("*", "x").replace("?", "x")
                guessed[key] = [text] if c.qualifier is not Qualifier.NONE else text
    return {**values, **guessed} if guessed else None


def _fixed_for_caller(key: str, outside: bool) -> bool:
    """Keys a question about one principal fixes: derived from the caller, or known from
    the bundle (organization, principal tags; not for a principal of another account)."""
    if outside and (key == "aws:principalorgid" or key.startswith("aws:principaltag/")):
        return False
    return key in _NOT_GUESSED or key.startswith("aws:principaltag/")


def _unconditional(
    ps: PolicySet, decision: Decision, outside: bool, every_resource: bool = False
) -> bool:
    """Was the request denied by a Deny statement that holds for every request with this
    action and resource by any session of the caller (its conditions, if any, read only
    keys the caller fixes; ``outside``: the caller is of another account)? With
    ``every_resource``, one that also holds whatever the resource (``Resource: "*"``)."""
    policies = {
        p.name: p
        for p in (
            *ps.identity,
            ps.boundary,
            ps.session,
            ps.resource,
            *ps.endpoints,
            *ps.protections,
            *(p for level in ps.scps for p in level),
            *(p for level in ps.rcps for p in level),
        )
        if p is not None
    }
    for m in decision.matched_statements:
        if m.effect != "Deny" or m.policy_name not in policies:
            continue
        stmt = next(
            (s for s in policies[m.policy_name].statements if s.index == m.statement_index), None
        )
        if stmt is None or stmt.not_principal is not None:
            continue
        if not all(_fixed_for_caller(c.key_lower, outside) for c in stmt.conditions):
            continue
        if stmt.principal is not None and not (
            stmt.principal.wildcard or any(v.text == "*" for v in stmt.principal.aws)
        ):
            continue
        patterns = stmt.resources or stmt.not_resources or ()
        if any("${" in v.text for v in patterns):
            continue
        if every_resource and not (
            stmt.resources is not None and any(v.text == "*" for v in stmt.resources)
        ):
            continue
        return True
    return False


class Access:
    """Decides ``can`` questions about the principals of one account."""

    def __init__(self, account: Account, *, timeout: float) -> None:
        self.account = account
        self.timeout = timeout
        self.protections = (model.protections_policy(),)
        self._special: dict[tuple[int, str], tuple[Policy, Policy]] = {}

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
                    accounts=(principal.account,),
                )
            )
            results.append(self.tri(answer, ps))
            if answer.verdict is Verdict.REFUTED:
                break
        return any_of(results)

    def policy_set(
        self,
        principal: IamPrincipal | None,
        target: Target,
        actions: Sequence[str],
        caller_account: str = "",
    ) -> PolicySet:
        """The policies deciding the request. A principal outside the bundle (None, or one of
        another account) has :data:`ALLOW_ALL` for identity policies: allowed if its own
        account allows it; the bundle's SCPs are not its organization's. In an
        organization, a principal of another member account is decided with its own
        policies and SCPs, and any other caller of a member account (``caller_account``)
        with that account's SCPs."""
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
        peer = self.peer(principal)
        if peer is None and (principal is None or principal.account != self.account.account_id):
            return PolicySet(
                identity=(ALLOW_ALL,),
                resource=resource,
                scps=self.member_scps(caller_account),
                rcps=self.account.rcps,
                grants=target.grants,
                management_account=self.account.management_account,
                protections=self.protections,
            )
        assert principal is not None
        base = self.account.policy_set(principal, resource_policy=resource, grants=target.grants)
        caller = principal.request_principal()
        return PolicySet(
            identity=tuple(self.specialized(p, caller) for p in base.identity),
            boundary=self.specialized(base.boundary, caller) if base.boundary else None,
            resource=base.resource,
            scps=peer.scps if peer is not None else base.scps,
            rcps=base.rcps,
            grants=base.grants,
            management_account=base.management_account,
            protections=self.protections,
        )

    def peer(self, principal: IamPrincipal | None) -> Peer | None:
        """The principal as a member of the organization around the account, when it is
        one of another member account (its own policies then decide its side)."""
        org = self.account.org
        if org is None or principal is None or principal.account == self.account.account_id:
            return None
        return org.peer(principal.arn)

    def member_scps(self, account_id: str) -> tuple[tuple[Policy, ...], ...]:
        """The SCP levels of a member account of the organization (none for any other)."""
        org = self.account.org
        view = org.members.get(account_id) if org is not None and account_id else None
        return view.scps if view is not None else ()

    def known_context(self, principal: IamPrincipal) -> dict[str, ContextValue]:
        """What is known of the caller: the bundle's, or a member principal's own bundle's."""
        peer = self.peer(principal)
        return dict(peer.context) if peer is not None else self.account.context(principal)

    def specialized(self, policy: Policy, caller: Principal) -> Policy:
        """``specialize``, cached per policy and caller."""
        key = (id(policy), caller.principal_arn or caller.text)
        cached = self._special.get(key)
        if cached is None or cached[0] is not policy:
            cached = (policy, specialize(policy, caller))
            self._special[key] = cached
        return cached[1]

    def scope(self, actions: Sequence[str], target: Target) -> Policy:
        return one_statement(
            "question", PolicyType.IDENTITY, actions, resources=[target.pattern or "*"]
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
        terms += [fix_key(enc.key_rep(key.lower()), value) for key, value in context]
        return and_(terms)

    def principal_context(self, enc: Encoder, principal: IamPrincipal) -> Term:
        """What the bundle knows of the caller: organization and tags; other tags absent.
        For a principal of another account, only what the organization says (see
        :meth:`outsider_context`)."""
        if principal.account != self.account.account_id and self.peer(principal) is None:
            return self.outsider_context(enc, principal.account)
        known = self.known_context(principal)
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

    def outsider_context(self, enc: Encoder, account_id: str) -> Term:
        """A caller of an account outside the organization around this one cannot carry the
        organization's id (the organization's account list is complete); nothing is known
        otherwise."""
        org = self.account.org
        rep = enc.keys.get("aws:principalorgid")
        if org is None or org.member(account_id) or rep is None or rep.multi:
            return TRUE
        if rep.family != "String":
            return TRUE
        return not_(and_(rep.present, rep.strings[0].member(literal(org.organization_id))))

    def org_bound(self, enc: Encoder) -> Term:
        """For a caller left free: one of an account outside the organization around this
        account does not carry the organization's id."""
        org = self.account.org
        rep = enc.keys.get("aws:principalorgid")
        if org is None or rep is None or rep.multi or rep.family != "String":
            return TRUE
        members = [enc.account_is(enc.paccount, a) for a in (self.account.account_id, *org.members)]
        carries = and_(rep.present, rep.strings[0].member(literal(org.organization_id)))
        return implies(not_(or_(members)), not_(carries))

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

        No Allow statement (or grant) anywhere could apply: false. A plain request
        built from the question, or one whose context satisfies the conditions of
        the Allow statements that could apply, is allowed by the evaluator: true,
        with that request as the (replayed) witness. Every asked action is denied
        by a Deny statement that has no condition and names no particular
        principal (and, for a question about any resource, is on ``"*"``): false.
        Otherwise undecided here.
        """
        globs = [compile_glob(a, True) for a in actions]
        if caller.kind is not PrincipalKind.ROOT and not self.mentioned(
            ps, actions, caller, target
        ):
            return Tri(False)
        expanded = [n for a in actions for n in self.expand(a)]
        truncated = len(expanded) > 24
        names = expanded[:24]
        resource = target.pattern if target.literal_arn or not target.pattern else None
        if resource is None:
            return None
        resource = resource or "*"
        values = self.known_context(principal)
        values.update({k.lower(): v for k, v in context})
        if self.account.regions:
            values.setdefault("aws:requestedregion", self.account.regions[0])
        names = [n for n in names if any(g.match(n.lower()) for g in globs)]
        guessed = guess_context(ps, names, values)
        denied = 0
        for name in names:
            for given in (values, guessed) if guessed else (values,):
                request = Request(principal=caller, action=name, resource=resource, context=given)
                decision = evaluate(request, ps)
                if decision.allowed:
                    answer = Answer(
                        verdict=Verdict.REFUTED,
                        reason="",
                        counterexamples=(
                            Counterexample(request=request, decisions={"decision": "allowed"}),
                        ),
                    )
                    return self.tri(answer, ps, decision)
            outside = principal.account != self.account.account_id and self.peer(principal) is None
            if decision.decision is DecisionWord.EXPLICIT_DENY and _unconditional(
                ps, decision, outside, every_resource=not target.literal_arn
            ):
                denied += 1
        if names and denied == len(names) and not truncated:
            return Tri(False)
        return None

    def expand(self, pattern: str) -> tuple[str, ...]:
        if "*" not in pattern and "?" not in pattern:
            return (pattern,)
        from cksmodel.policy.catalog import get_catalog

        return get_catalog().expand(pattern)

    def mentioned(
        self, ps: PolicySet, actions: Sequence[str], caller: Principal, target: Target
    ) -> bool:
        """Could some Allow statement or grant let the caller call one of the actions on
        the target, conditions aside? A resource-policy statement counts only when it
        names the caller itself: naming its account needs an identity Allow as well."""
        for policy in ps.identity:
            for stmt in policy.statements:
                if stmt.effect is Effect.ALLOW and _acts(stmt, actions) and _on(stmt, target):
                    return True
        if ps.resource is not None:
            for stmt in ps.resource.statements:
                if stmt.effect is not Effect.ALLOW:
                    continue
                if not (_acts(stmt, actions) and _on(stmt, target)):
                    continue
                if stmt.not_principal is not None:
                    return True
                if stmt.principal is not None and match_principal(stmt.principal, caller) in (
                    Match.ROLE,
                    Match.DIRECT,
                ):
                    return True
        mine = {identity for identity, _ in caller_identities(caller)}
        ops = {
            f"kms:{op}".lower()
            for g in ps.grants
            if principal_identity(g.grantee) in mine or g.grantee.lower() == caller.text.lower()
            for op in g.operations
        }
        return any(compile_glob(a, True).match(op) for a in actions for op in ops)

    def tri(self, answer: Answer, ps: PolicySet | None, decision: Decision | None = None) -> Tri:
        """The answer as a three-valued truth; ``decision`` is the first example's, when
        the caller already has it."""
        if answer.verdict is Verdict.UNKNOWN:
            return Tri(None, reason=answer.reason)
        if answer.verdict is Verdict.PROVED:
            return Tri(False)
        evidence = []
        locations: list[Location] = []
        first: Decision | None = None
        for n, example in enumerate(answer.counterexamples):
            evidence.append(example.to_json())
            if ps is not None:
                found = decision if n == 0 and decision is not None else None
                found = found or evaluate(example.request, ps)
                first = first or found
                for m in found.matched_statements:
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
        witness = answer.counterexamples[0].request if answer.counterexamples else None
        return Tri(True, evidence, locations, witness=witness, decision=first)
