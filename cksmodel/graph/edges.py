"""Deciding one step of the graph: can this actor call these actions on that resource?

Every edge is decided with the account's exact semantics: the concrete
evaluator when a plain request already shows the step is possible, the
symbolic engine otherwise (conditions included; any request the solver finds
is replayed before it counts). Cheap syntactic filters run first; they only
ever rule out steps no Allow statement could grant. Each decided step carries
its provenance: the statement that allows it, with position and conditions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from cksmodel.account.access import Access, Target, Tri, guess_context
from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.concrete.decision import MatchedStatement
from cksmodel.concrete.evaluate import caller_identities, evaluate, principal_identity
from cksmodel.concrete.request import Principal, PrincipalKind, Request, parse_principal
from cksmodel.graph.actors import CHANGED, Actor
from cksmodel.policy.ir import Effect, Policy, PolicySet, PolicyType, Statement
from cksmodel.policy.patterns import arn_match, compile_glob
from cksmodel.policy.printer import policy_json
from cksmodel.symbolic.decode import request_json
from cksmodel.symbolic.encode import Encoder
from cksmodel.symbolic.logic import Term, and_, not_
from cksmodel.symbolic.query import Question, pin_principal, search
from cksmodel.symbolic.strings import literal

__all__ = ["Decider", "Step", "federated_action"]


def federated_action(provider: str) -> str:
    """The call a provider's token holders make to assume a role."""
    if ":saml-provider/" in provider:
        return "sts:AssumeRoleWithSAML"
    return "sts:AssumeRoleWithWebIdentity"


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """A decided step: whether it holds, and what explains it."""

    holds: bool | None
    """True: a replayed request shows it; None: undecided (solver limit, approximation)."""
    policy: str = ""
    statement_index: int = -1
    sid: str = ""
    source: str = ""
    line: int = -1
    column: int = -1
    condition: str = ""
    witness: str = ""
    reason: str = ""
    requires: tuple[str, ...] = ()
    """Nodes of the route by which the actor holds the credentials the step also needs."""
    changes: str = ""
    """The ARN of what the step changes or takes over: the principal, group or managed
    policy whose policies it rewrites, the role whose trust it replaces, the user whose
    credentials it creates, the role it passes, the key, the function, instance, service
    or stack it takes over; empty for a step that changes nothing (an assume, a call)."""

    def retarget(self, resource: str) -> Step:
        """The same step about another resource (its witness request rewritten)."""
        if not self.witness:
            return self
        witness = json.loads(self.witness)
        witness["resource"] = resource
        return replace(self, witness=json.dumps(witness))

    def attrs(self) -> dict[str, str | int]:
        return {
            "status": "holds" if self.holds else "undecided",
            "policy": self.policy,
            "statement_index": self.statement_index,
            "sid": self.sid,
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "condition": self.condition,
            "witness": self.witness,
            "reason": self.reason,
            "requires": json.dumps(list(self.requires)) if self.requires else "",
            "changes": self.changes,
        }


def _conditions(statements: Sequence[tuple[Policy, Statement]]) -> str:
    rows = [
        {
            "policy": policy.name,
            "statement_index": stmt.index,
            "operator": c.operator,
            "key": c.key,
            "values": [v.text for v in c.values],
        }
        for policy, stmt in statements
        for c in stmt.conditions
    ]
    return json.dumps(rows, sort_keys=True) if rows else ""


def _statement(ps: PolicySet, m: MatchedStatement) -> tuple[Policy, Statement] | None:
    policies = [*ps.identity, ps.boundary, ps.resource]
    for policy in policies:
        if policy is not None and policy.name == m.policy_name:
            for stmt in policy.statements:
                if stmt.index == m.statement_index:
                    return policy, stmt
    return None


class Decider:
    """Decides steps for one account, with caches shared by the whole graph build."""

    def __init__(self, account: Account, *, timeout: float) -> None:
        self.account = account
        self.access = Access(account, timeout=timeout)
        self.timeout = timeout
        self._mentions: dict[tuple[str, str], bool] = {}
        self._callers: dict[str, Principal | None] = {}
        self._resources: dict[tuple[str, str], list[tuple[str, ...] | None]] = {}
        self._sensitive: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        self._trust: dict[str, tuple[bool, frozenset[tuple[str, ...]], frozenset[str]]] = {}
        self._shared: dict[tuple[object, ...], tuple[Step, Request | None]] = {}
        self._refused: dict[tuple[str, str], bool] = {}
        self._by_policy: dict[int, tuple[Policy, dict[str, bool]]] = {}
        self._texts: dict[int, tuple[Policy, str]] = {}
        self.questions = 0

    # ---------------------------------------------------------------- filters

    def mentions(self, actor: Actor, action: str) -> bool:
        """Could an identity Allow statement of the actor match the action (any resource)?"""
        assert actor.principal is not None
        key = (actor.id, action)
        found = self._mentions.get(key)
        if found is None:
            found = any(self._policy_mentions(p, action) for p in actor.principal.policies)
            self._mentions[key] = found
        return found

    def usable(self, actor: Actor, action: str) -> bool:
        """May the actor call the action at all (an Allow names it, nothing refuses it)?"""
        return self.mentions(actor, action) and not self.refused(actor, action)

    def refused(self, actor: Actor, action: str) -> bool:
        """Is the action refused to the actor whatever the resource and context: an
        unconditional Deny of it on every resource, or (for IAM actions, which no
        resource policy grants) a boundary naming it in no Allow?"""
        assert actor.principal is not None
        key = (actor.id, action)
        found = self._refused.get(key)
        if found is None:
            lowered = action.lower()

            def names(stmt: Statement) -> bool:
                listed = any(compile_glob(v.text, True).match(lowered) for v in stmt.actions)
                return not listed if stmt.not_actions is not None else listed

            boundary = actor.principal.boundary
            found = (
                boundary is not None
                and lowered.startswith("iam:")
                and not any(s.effect is Effect.ALLOW and names(s) for s in boundary.statements)
            ) or any(
                stmt.effect is Effect.DENY
                and not stmt.conditions
                and stmt.not_resources is None
                and any(v.text == "*" for v in stmt.resources or ())
                and names(stmt)
                for policy in actor.principal.policies
                for stmt in policy.statements
            )
            self._refused[key] = found
        return found

    def _policy_mentions(self, policy: Policy, action: str) -> bool:
        """Could an Allow statement of the policy match the action (cached per policy:
        managed and group policies are shared by many principals)?"""
        cached = self._by_policy.get(id(policy))
        if cached is None or cached[0] is not policy:
            cached = (policy, {})
            self._by_policy[id(policy)] = cached
        found = cached[1].get(action)
        if found is None:
            lowered = action.lower()
            found = any(
                stmt.not_actions is not None
                or any(compile_glob(v.text, True).match(lowered) for v in stmt.actions)
                for stmt in policy.statements
                if stmt.effect is Effect.ALLOW
            )
            cached[1][action] = found
        return found

    def may(self, actor: Actor, action: str, resource: str) -> bool:
        """Could an identity Allow statement match action and resource (conditions aside)?
        Variables the caller determines are written out first (``user/${aws:username}``
        is the caller's own user only)."""
        patterns = self._patterns(actor, action)
        return any(
            p is None or any("${" in v or arn_match(v, resource) for v in p) for p in patterns
        )

    def _patterns(self, actor: Actor, action: str) -> list[tuple[str, ...] | None]:
        """The resource patterns of the actor's identity Allow statements that match the
        action (None: a statement without Resource, i.e. NotResource)."""
        key = (actor.id, action)
        found = self._resources.get(key)
        if found is not None:
            return found
        found = []
        if self.mentions(actor, action):
            assert actor.principal is not None
            caller = self.caller(actor)
            assert caller is not None
            lowered = action.lower()
            for written in actor.principal.policies:
                for stmt in self.access.specialized(written, caller).statements:
                    if stmt.effect is not Effect.ALLOW:
                        continue
                    if stmt.not_actions is None and not any(
                        compile_glob(v.text, True).match(lowered) for v in stmt.actions
                    ):
                        continue
                    found.append(
                        None if stmt.resources is None else tuple(v.text for v in stmt.resources)
                    )
        self._resources[key] = found
        return found

    def signature(
        self, actor: Actor, action: str, resource: str
    ) -> tuple[tuple[bool, ...], ...] | None:
        """Which resource patterns match the resource, for every statement (of the actor's
        policies, its boundary, the organization's policies and the protections) that
        may apply to the action and names resources other than ``*``. Two resources of
        one type with the same signature get the same decision for a request without a
        resource policy (the evaluator reads the resource only through these patterns).
        None when a pattern holds a variable: then no two resources are taken as alike."""
        key = (actor.id, action)
        sensitive = self._sensitive.get(key)
        if sensitive is None:
            sensitive = self._resource_patterns(actor, action)
            self._sensitive[key] = sensitive
        out = []
        for patterns in sensitive:
            if any("${" in p for p in patterns):
                return None
            out.append(tuple(arn_match(p, resource) for p in patterns))
        return tuple(out)

    def _resource_patterns(self, actor: Actor, action: str) -> list[tuple[str, ...]]:
        assert actor.principal is not None
        caller = self.caller(actor)
        assert caller is not None
        lowered = action.lower()
        policies = [self.access.specialized(p, caller) for p in actor.principal.policies]
        if actor.principal.boundary is not None:
            policies.append(self.access.specialized(actor.principal.boundary, caller))
        policies += [p for level in (*self.account.scps, *self.account.rcps) for p in level]
        policies += self.access.protections
        out = []
        for policy in policies:
            for stmt in policy.statements:
                if stmt.not_actions is None and not any(
                    compile_glob(v.text, True).match(lowered) for v in stmt.actions
                ):
                    continue
                patterns = tuple(v.text for v in stmt.resources or stmt.not_resources or ())
                if any(p != "*" for p in patterns):
                    out.append(patterns)
        return out

    def caller(self, actor: Actor) -> Principal | None:
        """The actor's request principal (cached: built for every pair otherwise)."""
        if actor.id not in self._callers:
            self._callers[actor.id] = _caller(actor)
        return self._callers[actor.id]

    def trust_keys(self, role: IamPrincipal) -> set[tuple[str, ...]]:
        """Index keys under which a role's trust policy may let callers in:
        ``("*",)`` for anyone, an identity it names, ``("service", NAME)``."""
        if role.trust_policy is None:
            return set()
        anyone, names, services = self._index(role)
        keys: set[tuple[str, ...]] = {("*",)} if anyone else set()
        return keys | set(names) | {("service", s) for s in services}

    def caller_keys(self, actor: Actor) -> set[tuple[str, ...]]:
        """The index keys that may name the actor (see :meth:`trust_keys`)."""
        caller = self.caller(actor)
        keys: set[tuple[str, ...]] = {("*",)}
        if caller is None:
            return keys
        if caller.kind is PrincipalKind.SERVICE:
            return keys | {("service", caller.text)}
        return keys | {identity for identity, _ in caller_identities(caller)}

    def _index(self, role: IamPrincipal) -> tuple[bool, frozenset[tuple[str, ...]], frozenset[str]]:
        index = self._trust.get(role.arn)
        if index is None:
            assert role.trust_policy is not None
            index = _trust_index(role.trust_policy)
            self._trust[role.arn] = index
        return index

    def named_by_key(self, key: Key) -> set[tuple[str, ...]]:
        """Index keys (see :meth:`caller_keys`) of the callers a key's policy or grants may
        allow by name, without an identity Allow: anyone, principals named themselves
        (not through their account), grantees."""
        out: set[tuple[str, ...]] = set()
        for stmt in key.policy.statements:
            if stmt.effect is not Effect.ALLOW:
                continue
            if stmt.not_principal is not None:
                out.add(("*",))
            pset = stmt.principal
            if pset is None:
                continue
            if pset.wildcard or any(v.text == "*" for v in pset.aws):
                out.add(("*",))
            for v in pset.aws:
                identity = principal_identity(v.text)
                if identity is not None and identity[0] != "account":
                    out.add(identity)
            out.update(("service", v.text.lower()) for v in pset.service)
        for grant in key.grants:
            identity = principal_identity(grant.grantee)
            out.add(identity if identity is not None else ("service", grant.grantee.lower()))
        return out

    def trusts(self, role: IamPrincipal, actor: Actor) -> bool:
        """Could an Allow statement of the role's trust policy name the actor?"""
        if role.trust_policy is None:
            return False
        anyone, names, services = self._index(role)
        caller = self.caller(actor)
        if anyone or caller is None:
            return anyone or bool(names or services)
        if caller.kind is PrincipalKind.SERVICE:
            return caller.text in services
        if actor.kind == "account":
            return ("account", actor.external) in names
        return any(identity in names for identity, _ in caller_identities(caller))

    # ---------------------------------------------------------------- deciding

    def decide(
        self,
        actor: Actor,
        actions: Sequence[str],
        target: Target,
        context: Sequence[tuple[str, str]] = (),
        *,
        prefer: str = "identity",
    ) -> Step:
        """Can the actor call one of the actions on the target?

        Resources alike for the actor (same type, same signature, same trust policy
        text) share one decision: a shared refusal or undecided step is reused as it
        is; a shared step without a resource policy is the same statement's, its
        witness rewritten for the new resource (the evaluator reads the resource only
        through the patterns of the signature); with a trust policy, the witness is
        replayed on the new role (and the provenance read from that replay, as the
        statement is the new role's) before it counts, or decided afresh if the replay
        fails."""
        key = self._share_key(actor, actions, target, context, prefer)
        shared = self._shared.get(key) if key is not None else None
        if shared is not None:
            step, request = shared
            if step.holds is not True:
                return step
            if target.policy is None:
                return step.retarget(target.pattern)
            if request is not None:
                again = self._replay(actor, actions, target, request, prefer)
                if again is not None:
                    return again
        self.questions += 1
        principal = actor.principal or self.peer(actor)
        if principal is not None:
            tri = self.access.decide(principal, actions, [target], context, readable=False)
            ps = self.access.policy_set(principal, target, actions)
        else:
            ps = self.access.policy_set(None, target, actions, actor.account)
            tri = self._external(actor, ps, actions, target, context)
        step = self._step(tri, ps, prefer)
        if key is not None and key not in self._shared:
            self._shared[key] = (step, tri.witness)
        return step

    def _share_key(
        self,
        actor: Actor,
        actions: Sequence[str],
        target: Target,
        context: Sequence[tuple[str, str]],
        prefer: str,
    ) -> tuple[object, ...] | None:
        """What makes two decisions for the actor the same, or None when they may not be
        shared (outsiders, key policies, grants, patterns with variables)."""
        policy = target.policy
        if actor.principal is None or target.grants or not target.literal_arn:
            return None
        if policy is not None and policy.policy_type is not PolicyType.TRUST:
            return None
        parts = target.pattern.split(":", 5)
        if len(parts) != 6:
            return None
        signature = tuple(self.signature(actor, a, target.pattern) for a in actions)
        if any(s is None for s in signature):
            return None
        text = ""
        if policy is not None:
            cached = self._texts.get(id(policy))
            if cached is None or cached[0] is not policy:
                cached = (policy, json.dumps(policy_json(policy), sort_keys=True))
                self._texts[id(policy)] = cached
            text = cached[1]
        kind = (parts[2], parts[5].partition("/")[0])
        return (actor.id, tuple(actions), tuple(context), prefer, kind, signature, text)

    def _replay(
        self,
        actor: Actor,
        actions: Sequence[str],
        target: Target,
        request: Request,
        prefer: str,
    ) -> Step | None:
        """A shared witness on another resource: the step when the evaluator allows it."""
        assert actor.principal is not None
        ps = self.access.policy_set(actor.principal, target, actions)
        moved = replace(request, resource=target.pattern)
        decision = evaluate(moved, ps)
        if not decision.allowed:
            return None
        tri = Tri(
            True,
            [{"request": request_json(moved)}],
            witness=moved,
            decision=decision,
        )
        return self._step(tri, ps, prefer)

    def peer(self, actor: Actor) -> IamPrincipal | None:
        """A principal of another member account of the organization, with its own
        policies; None for any other outsider, and for one changed in its own account
        (decided as allowed anything there)."""
        org = self.account.org
        if org is None or actor.caller_kind not in ("role", "user") or CHANGED in actor.changes:
            return None
        found = org.peer(actor.arn)
        return found.principal if found is not None else None

    def key_target(self, actor: Actor, key: Key) -> Target:
        return Target(key.arn, key.arn, True, actor.key_policy(key), actor.key_grants(key))

    def _external(
        self,
        actor: Actor,
        ps: PolicySet,
        actions: Sequence[str],
        target: Target,
        context: Sequence[tuple[str, str]],
    ) -> Tri:
        caller = self.caller(actor)
        if target.literal_arn and caller is not None:
            given = {k.lower(): v for k, v in context}
            guessed = guess_context(ps, actions, given)
            for values in (given, guessed) if guessed else (given,):
                for name in actions:
                    request = Request(
                        principal=caller,
                        action=name,
                        resource=target.pattern or "*",
                        context=values,
                    )
                    if "*" not in name and evaluate(request, ps).allowed and _is(actor, request):
                        return Tri(True, witness=request, evidence=[_request_json(request)])
        pin = self._pin(actor)

        def goal(enc: Encoder) -> Term:
            allowed, _ = enc.decision(ps)
            return and_(
                allowed,
                pin(enc),
                self.access.request_terms(enc, actions, target, context),
                self.access.outsider_context(enc, actor.account),
            )

        def replay(r: Request) -> tuple[bool, dict[str, str]]:
            word = evaluate(r, ps).decision.value
            return word == "allowed" and _is(actor, r), {"decision": word}

        answer = search(
            Question(
                [ps, PolicySet(identity=(self.access.scope(actions, target),))],
                goal,
                replay,
                None,
                self.timeout,
                1,
                False,
                accounts=(actor.account,) if actor.account else (),
            )
        )
        return self.access.tri(answer, ps)

    @staticmethod
    def _pin(actor: Actor) -> Callable[[Encoder], Term]:
        kind = actor.caller_kind
        if kind == "service":
            return lambda enc: and_(
                enc.kind_is(PrincipalKind.SERVICE), enc.service.member(literal(actor.external))
            )
        if kind == "anonymous":
            return lambda enc: enc.kind_is(PrincipalKind.ANONYMOUS)
        if kind == "account":
            others = [_exact(parse_principal(arn)) for arn in actor.excludes]
            return lambda enc: and_(
                not_(enc.kind_in(PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS)),
                enc.account_is(enc.paccount, actor.external),
                *(not_(pin(enc)) for pin in others),
            )
        return _exact(parse_principal(actor.external if kind == "federated" else actor.arn))

    def _step(self, tri: Tri, ps: PolicySet, prefer: str) -> Step:
        if tri.value is False:
            return Step(holds=False)
        if tri.value is None:
            return Step(holds=None, reason=tri.reason or "undecided")
        request = tri.witness
        witness = (
            json.dumps(tri.evidence[0].get("request", tri.evidence[0])) if tri.evidence else ""
        )
        if request is None:
            return Step(holds=True, witness=witness)
        decision = tri.decision or evaluate(request, ps)
        allows = [m for m in decision.matched_statements if m.effect == "Allow"]
        order = {"resource": 0, "identity": 1} if prefer == "resource" else {"identity": 0}
        allows.sort(key=lambda m: order.get(_family(m.policy_type), 2))
        found = [s for s in (_statement(ps, m) for m in allows) if s is not None]
        first = allows[0] if allows else None
        span = first.span if first else None
        return Step(
            holds=True,
            policy=first.policy_name if first else "",
            statement_index=first.statement_index if first else -1,
            sid=(first.sid or "") if first else "",
            source=span.source if span else "",
            line=span.line if span else -1,
            column=span.column if span else -1,
            condition=_conditions(found),
            witness=witness,
        )

    def web_identity(self, provider: Actor, role: IamPrincipal) -> Step:
        """Can holders of an identity provider's tokens assume the role? Decided like any
        other step (the trust policy with its token conditions, RCPs, protections); a
        trust policy that names the provider in no Allow statement rules it out."""
        trust = role.trust_policy
        if trust is None or not any(
            stmt.effect is Effect.ALLOW
            and stmt.principal is not None
            and any(v.text.lower() == provider.external.lower() for v in stmt.principal.federated)
            for stmt in trust.statements
        ):
            return Step(holds=False)
        return self.decide(
            provider,
            (federated_action(provider.external),),
            Target(role.arn, role.arn, True, trust),
            prefer="resource",
        )


def _trust_index(
    trust: Policy,
) -> tuple[bool, frozenset[tuple[str, ...]], frozenset[str]]:
    """Whom a trust policy's Allow statements may let in: anyone (a wildcard or a
    NotPrincipal), the identities it names, the services it names."""
    anyone = False
    names: set[tuple[str, ...]] = set()
    services: set[str] = set()
    for stmt in trust.statements:
        if stmt.effect is not Effect.ALLOW:
            continue
        if stmt.not_principal is not None:
            anyone = True
        pset = stmt.principal
        if pset is None:
            continue
        if pset.wildcard or any(v.text == "*" for v in pset.aws):
            anyone = True
        for v in pset.aws:
            identity = principal_identity(v.text)
            if identity is not None:
                names.add(identity)
        services.update(v.text.lower() for v in pset.service)
    return anyone, frozenset(names), frozenset(services)


def _family(policy_type: str) -> str:
    return "resource" if policy_type in ("trust", "key", "resource", "grant") else policy_type


def _caller(actor: Actor) -> Principal | None:
    """The request principal of an actor, when it is one concrete principal (a session
    of a role of another account)."""
    if actor.principal is not None:
        return actor.principal.request_principal()
    kind = actor.caller_kind
    if kind == "role":
        parts = actor.arn.split(":", 5)
        name = parts[5].rpartition("/")[2]
        session = f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{name}/session"
        return parse_principal(session, role_arn=actor.arn)
    if kind in ("account", "user", "session", "federated-user"):
        return parse_principal(actor.arn)
    if kind in ("service", "anonymous", "federated"):
        return parse_principal(actor.external or "anonymous")
    return None


def _exact(caller: Principal) -> Callable[[Encoder], Term]:
    """The symbolic caller is this principal (any session of a role, or one session)."""
    if caller.kind is PrincipalKind.ASSUMED_ROLE and caller.session_name is not None:
        name = caller.session_name
        return lambda enc: and_(pin_principal(enc, caller), enc.session.member(literal(name)))
    return lambda enc: pin_principal(enc, caller)


def _same(caller: Principal, p: Principal) -> bool:
    """Is the request principal the caller (a session of the same role, for roles)?"""
    if caller.kind is PrincipalKind.ROLE:
        return p.kind is PrincipalKind.ASSUMED_ROLE and p.principal_arn == caller.principal_arn
    if caller.kind is PrincipalKind.ASSUMED_ROLE:
        return p.kind is caller.kind and (p.account, p.name, p.session_name) == (
            caller.account,
            caller.name,
            caller.session_name,
        )
    return p.kind is caller.kind and p.principal_arn == caller.principal_arn


def _is(actor: Actor, r: Request) -> bool:
    p = r.principal
    kind = actor.caller_kind
    if kind == "service":
        return p.kind is PrincipalKind.SERVICE and p.text == actor.external
    if kind == "anonymous":
        return p.kind is PrincipalKind.ANONYMOUS
    if kind == "federated":
        return p.is_federated and p.text.lower() == actor.external.lower()
    if kind == "account":
        return (
            p.account == actor.external
            and p.kind not in (PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS)
            and not any(_same(parse_principal(a), p) for a in actor.excludes)
        )
    caller = _caller(actor)
    if kind == "role" and caller is not None:
        return p.kind is PrincipalKind.ASSUMED_ROLE and p.principal_arn == caller.principal_arn
    return caller is not None and _same(caller, p)


def _request_json(request: Request) -> dict[str, object]:
    return {"request": request_json(request)}
