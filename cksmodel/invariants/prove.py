"""Proving spec invariants against an account bundle.

Each invariant is evaluated three-valued (true, false, undecided). Quantifiers
over the account's principals are expanded; each ``can`` atom is a symbolic
question answered by :mod:`cksmodel.symbolic.query` (a request that is allowed is
replayed before it counts); ``forall principal p`` also covers every principal
outside the account, whose own account may allow them anything, with one
symbolic question. Lifecycle invariants are checked by exploring the store's
transition system (:mod:`cksmodel.cks.lifecycle`) with the account's policies
deciding which API calls can happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from os import PathLike
from typing import TYPE_CHECKING, Any

from cksmodel.account.access import Access, Target, Tri, all_of, any_of, negate
from cksmodel.account.bundle import as_account
from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.account.outside import outside_iam_principals, outside_principal, same_identity
from cksmodel.arguments import ArgumentTypeError, check_count, check_path, check_seconds, shown
from cksmodel.cks import model
from cksmodel.concrete.request import Request
from cksmodel.invariants.beyond import beyond_bundle
from cksmodel.invariants.results import InvariantResult, ProveReport
from cksmodel.invariants.spec import (
    Actions,
    Formula,
    Invariant,
    Lifecycle,
    PrincipalRef,
    ResourceRef,
    SetExpr,
    Spec,
    SpecError,
    check_spec,
    load_spec,
    persona_refs,
)
from cksmodel.invariants.store_lifecycle import explore
from cksmodel.policy.ir import Policy, PolicySet, Value
from cksmodel.policy.patterns import arn_match, compile_glob
from cksmodel.source import Location, Span
from cksmodel.symbolic.encode import Encoder
from cksmodel.symbolic.logic import TRUE, Term, and_, not_
from cksmodel.symbolic.progress import Outermost, Progress, check_progress, no_progress
from cksmodel.symbolic.query import Question, Verdict, pin_principal, search
from cksmodel.symbolic.strings import literal

if TYPE_CHECKING:
    from cksmodel.graph import AccessGraph


KEYS_UNKNOWN = "the bundle has no kms/keys/, so which KMS keys exist is unknown"


class NotApplicable(Exception):
    """The invariant is about something the account does not have; nothing was checked."""


def every_cause(parts: Sequence[Tri]) -> Tri:
    """``all_of`` for a quantifier: when several instances fail, the evidence of each (one
    counterexample per principal or key that breaks the invariant, shortest path first), so a
    reviewer who fixes one cause is shown the others too."""
    false = [p for p in parts if p.value is False]
    if len(false) < 2:
        return all_of(parts)
    false.sort(key=lambda p: min((len(e.get("path", ())) for e in p.evidence), default=0))
    return Tri(
        False,
        [e for p in false for e in p.evidence],
        [loc for p in false for loc in p.locations],
        false[0].reason,
    )


class Prover(Access):
    """Evaluates one spec against one account."""

    def __init__(
        self,
        spec: Spec,
        account: Account,
        *,
        timeout: float,
        max_counterexamples: int,
        progress: Progress = no_progress,
    ) -> None:
        super().__init__(account, timeout=timeout)
        self.spec = spec
        self.max_counterexamples = max_counterexamples
        self.principals = Outermost(progress, "principals")
        self.persona_cache: dict[str, list[tuple[IamPrincipal, Tri]]] = {}
        self.can_cache: dict[tuple[Any, ...], Tri] = {}
        self.graph: AccessGraph | None = None

    # ------------------------------------------------------------ references

    def role(self, name: str, span: Span | None) -> IamPrincipal:
        found = self.account.principal(f"role/{name}")
        if found is None and name == model.SLR_NAME:
            raise NotApplicable(
                f"the account has no role {name}: AWS KMS creates it with the first custom key "
                "store, so no store was ever created here"
            )
        if found is None:
            raise SpecError(
                f"role {name!r} is not in the account bundle {str(self.account.root)!r}",
                span=span,
                code="E_SPEC_ABSENT",
            )
        return found

    def resolve(self, ref: PrincipalRef, env: dict[str, IamPrincipal]) -> IamPrincipal | str:
        """A bundle principal, or a description for principals outside the bundle."""
        if ref.kind == "var":
            return env[ref.name]
        if ref.kind == "role":
            return self.role(ref.name, ref.span)
        if ref.kind == "user":
            found = self.account.principal(f"user/{ref.name}")
            if found is None:
                raise SpecError(
                    f"user {ref.name!r} is not in the account bundle",
                    span=ref.span,
                    code="E_SPEC_ABSENT",
                )
            return found
        if ref.kind == "arn":
            return self.by_arn(ref)
        return f"{ref.kind}:{ref.name}"

    def by_arn(self, ref: PrincipalRef) -> IamPrincipal:
        """A principal named by ARN: the bundle's, or a role or user of another account
        (whose own identity policies are taken to allow whatever is asked)."""
        found = self.account.principal(ref.name) if ref.name.startswith("arn:") else None
        if found is not None:
            return found
        outside = outside_principal(self.account, ref.name)
        if outside is not None:
            return outside
        if ref.name.split(":", 5)[4:5] == [self.account.account_id]:
            raise SpecError(
                f"principal {ref.name!r} is not in the account bundle",
                span=ref.span,
                code="E_SPEC_ABSENT",
            )
        raise SpecError(
            f"expected the ARN of an IAM role or user, such as "
            f"'arn:aws:iam::123456789012:role/NAME', not {ref.name!r}",
            span=ref.span,
            code="E_SPEC_TYPE",
        )

    def outside(self, p: IamPrincipal) -> bool:
        """Is the principal of another account (its identity policies unknown)?"""
        return p.account != self.account.account_id

    def actions(self, a: Actions) -> tuple[str, ...]:
        if a.least_privilege is not None:
            return model.LEAST_PRIVILEGE[a.least_privilege]
        return a.names

    def acting_on(self, a: Actions, kind: str) -> Actions:
        """The listed actions that take an IAM ``user`` or ``role`` as their resource, per the
        catalog (``iam:PutUserPolicy`` is no request on a role); a built-in set is kept."""
        if a.least_privilege is not None or a.mode == "all":
            return a
        from cksmodel.policy.catalog import get_catalog

        catalog = get_catalog()
        kept = []
        for name in a.names:
            info = catalog.action(name)
            if info is None or kind in info.resource_types:
                kept.append(name)
        return replace(a, names=tuple(kept))

    def keys_unknown(self, ref: ResourceRef) -> Tri | None:
        """UNKNOWN for a question about every key when the bundle does not say which exist."""
        if ref.kind == "any_key" and not self.account.keys_known:
            return Tri(None, reason=KEYS_UNKNOWN)
        return None

    def targets(self, ref: ResourceRef, span: Span | None) -> list[Target]:
        if ref.kind in ("any_store",) or (ref.kind == "text" and ref.text == "*"):
            return [Target("*", "*", True)]
        if ref.kind == "anything":
            return [Target("anything", "", False)]
        if ref.kind == "text":
            return [Target(ref.text, ref.text, False)]
        if ref.kind == "role":
            role = self.role(ref.text, span)
            return [Target(role.arn, role.arn, True, role.trust_policy)]
        keys: Iterable[Key]
        if ref.kind == "key":
            key = self.account.key(ref.text)
            if key is None:
                raise SpecError(
                    f"key {ref.text!r} is not in the account bundle",
                    span=span,
                    code="E_SPEC_ABSENT",
                )
            keys = (key,)
        else:
            keys = self.account.keys
        return [Target(k.arn, k.arn, True, k.policy, k.grants) for k in keys]

    # ------------------------------------------------------------ can

    def can(
        self,
        principal: IamPrincipal,
        actions: Sequence[str],
        ref: ResourceRef,
        context: Sequence[tuple[str, str]],
        span: Span | None,
        *,
        readable: bool = True,
    ) -> Tri:
        unknown = self.keys_unknown(ref)
        if unknown is not None:
            return unknown
        key = (principal.arn, tuple(actions), ref, tuple(context))
        cached = self.can_cache.get(key)
        if cached is None:
            targets = self.targets(ref, span)
            if self.outside(principal):
                targets = [t for t in map(self.in_account, targets) if t is not None]
            cached = self.decide(principal, actions, targets, context, readable=readable)
            self.can_cache[key] = cached
        return cached

    def in_account(self, target: Target) -> Target | None:
        """The target's resources of this account: an outside principal's call on ``*`` (or
        on a resource of another account) is about its own account, not this one."""
        parts = target.pattern.split(":", 5)
        if len(parts) != 6:
            return None
        account = self.account.account_id
        if target.literal_arn or ("*" not in parts[4] and "?" not in parts[4]):
            return target if parts[4] == account else None
        if not compile_glob(parts[4]).match(account):
            return None
        pattern = ":".join([*parts[:4], account, parts[5]])
        return replace(target, label=pattern, pattern=pattern)

    # ------------------------------------------------------------ personas

    def members(self, s: SetExpr) -> list[tuple[IamPrincipal, Tri]]:
        """Principals of the account with their (three-valued) membership."""
        if s.op in ("account", "account_var") or (
            s.op == "account_id" and s.name == self.account.account_id
        ):
            return [(p, Tri(True)) for p in self.account.principals]
        accounts = self.accounts_of(s)
        if accounts is not None:
            every = (*self.account.principals, *outside_iam_principals(self.account))
            return [(p, Tri(True)) for p in every if p.account in accounts]
        if s.op == "outside":
            return [(p, Tri(True)) for p in outside_iam_principals(self.account)]
        if s.op == "filter":
            every = (*self.account.principals, *outside_iam_principals(self.account))
            return [(p, Tri(True)) for p in every if _matches(s, p)]
        if s.op == "persona":
            self.settle_personas(s.name)
            return self.persona_cache[s.name]
        if s.op == "that_can":
            assert s.actions is not None and s.resource is not None
            actions, resource = s.actions, s.resource
            return [
                (p, self.can_actions(p, actions, resource, (), s.span, readable=False))
                for p in self.principals.each(self.account.principals)
            ]
        out = self.members(s.args[0])
        for arg in s.args[1:]:
            members = self.members(arg)
            right = {p.arn: t for p, t in members}
            out = [(p, _combine(s.op, t, right.get(p.arn, Tri(False)))) for p, t in out]
            if s.op == "union":
                known = {p.arn for p, _ in out}
                out += [(p, t) for p, t in members if p.arn not in known]
        return out

    def accounts_of(self, s: SetExpr) -> frozenset[str] | None:
        """The accounts whose principals make up a set given by account (organization,
        ``account "ID"``, a bound account, the accounts holding stores); None for any
        other set. The organization is the account's own when it is analysed alone."""
        own = self.account.account_id
        org = self.account.org
        if s.op in ("account", "account_var"):
            return frozenset({own})
        if s.op == "account_id":
            return frozenset({s.name})
        if s.op == "organization":
            return frozenset({own, *(org.members if org is not None else ())})
        if s.op == "store_accounts":
            members = org.members.values() if org is not None else ()
            holding = {m.account_id for m in members if m.holds_stores}
            return frozenset(holding | ({own} if self.account.stores else set()))
        return None

    def settle_personas(self, name: str) -> None:
        """Cache a persona's members after those of the personas it names, without
        recursing along a chain of personas."""
        pending = [name]
        while pending:
            top = pending[-1]
            if top in self.persona_cache:
                pending.pop()
                continue
            persona = self.spec.personas.get(top)
            if persona is None:
                mode, names, resource = model.PERSONA_SIGNATURES[top]
                ref = (
                    ResourceRef(kind="any_key")
                    if resource == model.ALL_KEYS
                    else ResourceRef(kind="text", text=resource)
                )
                members = SetExpr(
                    op="that_can", actions=Actions(mode=mode, names=names), resource=ref
                )
            else:
                members = persona.members
                missing = [r for r in persona_refs(members) if r not in self.persona_cache]
                if missing:
                    pending.extend(missing)
                    continue
            pending.pop()
            self.persona_cache[top] = self.members(members)

    def can_actions(
        self,
        p: IamPrincipal,
        a: Actions,
        ref: ResourceRef,
        context: Sequence[tuple[str, str]],
        span: Span | None,
        *,
        readable: bool = True,
    ) -> Tri:
        names = self.actions(a)
        if a.mode == "all":
            return all_of([self.can(p, (n,), ref, context, span, readable=readable) for n in names])
        return self.can(p, names, ref, context, span, readable=readable)

    # ------------------------------------------------------------ formulas

    def formula(self, f: Formula, env: dict[str, IamPrincipal]) -> Tri:
        if f.op in ("forall", "exists"):
            return self.quantified(f, env)
        if f.op == "implies":
            return any_of([negate(self.formula(f.args[0], env)), self.formula(f.args[1], env)])
        if f.op == "or":
            return any_of([self.formula(a, env) for a in f.args])
        if f.op == "and":
            return all_of([self.formula(a, env) for a in f.args])
        if f.op == "not":
            return negate(self.formula(f.args[0], env))
        if f.op in ("true", "false"):
            return Tri(f.op == "true")
        if f.op == "can":
            assert f.principal is not None and f.actions is not None and f.resource is not None
            who = self.resolve(f.principal, env)
            if isinstance(who, str):
                raise SpecError(
                    "can() about a principal outside the bundle needs 'forall principal'",
                    span=f.span,
                    code="E_SPEC_TYPE",
                )
            actions, resource = f.actions, f.resource
            if resource.kind == "var":
                entity = env[resource.text]
                actions = self.acting_on(actions, entity.kind)
                if not actions.names and actions.least_privilege is None:
                    return Tri(False)
                resource = (
                    ResourceRef(kind="role", text=entity.name)
                    if entity.kind == "role" and not self.outside(entity)
                    else ResourceRef(kind="text", text=entity.arn)
                )
            return self.can_actions(who, actions, resource, f.context, f.span)
        if f.op == "can_star":
            return self.can_star(f, env)
        if f.op == "same":
            assert f.principal is not None and f.other is not None
            a, b = self.resolve(f.principal, env), self.resolve(f.other, env)
            if isinstance(a, IamPrincipal) and isinstance(b, IamPrincipal):
                if self.outside(a) or self.outside(b):
                    return Tri(same_identity(a.arn, b.arn))
                return Tri(a.arn == b.arn)
            same = (a.arn if isinstance(a, IamPrincipal) else a) == (
                b.arn if isinstance(b, IamPrincipal) else b
            )
            return Tri(same)
        if f.op == "member":
            assert f.members is not None
            who = env[f.var]
            accounts = self.accounts_of(f.members)
            if accounts is not None:
                return Tri(who.account in accounts)
            found = [t for p, t in self.members(f.members) if p.arn == who.arn]
            return found[0] if found else Tri(False)
        if f.op == "permissions":
            return self.permissions(f, env)
        raise SpecError(f"{f.op} needs a bound key", span=f.span, code="E_SPEC_TYPE")

    def can_star(self, f: Formula, env: dict[str, IamPrincipal]) -> Tri:
        """``can*``: directly or by becoming someone who can (the reachability graph)."""
        assert f.principal is not None and f.actions is not None and f.resource is not None
        who = self.resolve(f.principal, env)
        if isinstance(who, str):
            raise SpecError(
                "can*() needs a principal of the bundle", span=f.span, code="E_SPEC_TYPE"
            )
        unknown = self.keys_unknown(f.resource)
        if unknown is not None:
            return unknown
        names = [n for a in self.actions(f.actions) for n in self.expand(a)]
        targets = self.targets(f.resource, f.span)
        if any(not t.literal_arn for t in targets):
            raise SpecError(
                "can*() needs a concrete resource: *, a key, keys, a role or an ARN",
                span=f.span,
                code="E_SPEC_TYPE",
            )
        from cksmodel.graph import build_graph, can

        if self.graph is None:
            self.graph = build_graph(self.account, timeout=self.timeout)
        per_action = []
        for name in names:
            found = []
            for target in targets:
                reach = can(self.graph, who.arn, name, target.pattern)
                if reach is None:
                    found.append(Tri(False))
                    continue
                hops = [h.to_json() for h in reach.path]
                locations = [
                    Location(
                        role="policy",
                        span=Span(source=h.file, line=h.line, column=h.column),
                        description=f"{h.source} -> {h.target}: {h.summary}",
                    )
                    for h in reach.path
                    if h.line >= 1
                ]
                evidence = [{"principal": who.arn, "action": name, "path": hops}]
                if reach.decided:
                    found.append(Tri(True, evidence, locations))
                else:
                    found.append(Tri(None, evidence, locations, "a step of the path is undecided"))
            per_action.append(any_of(found))
        if f.actions.mode == "all":
            return all_of(per_action)
        return any_of(per_action)

    def quantified(self, f: Formula, env: dict[str, IamPrincipal]) -> Tri:
        body = f.args[0]
        forall = f.op == "forall"
        if f.binder == "key_of":
            if not self.account.keys_known:
                return Tri(None, reason=KEYS_UNKNOWN)
            keys = [
                k for k in self.account.keys if f.key_set == "all_keys" or k.in_custom_key_store
            ]
            if not keys:
                raise NotApplicable(
                    "the account has no KMS key"
                    + ("" if f.key_set == "all_keys" else " in a custom key store")
                )
            results = [self.key_formula(body, k) for k in keys]
            return every_cause(results) if forall else any_of(results)
        if f.binder == "account_of":
            return self.formula(body, env)
        if f.binder == "member_of":
            assert f.members is not None
            if needs_organization(f.members, self.account.account_id):
                raise SpecError(
                    "quantifying over the organization or another account needs the "
                    "whole organization: prove with --organization",
                    span=f.members.span or f.span,
                    code="E_SPEC_TYPE",
                )
            candidates = self.members(f.members)
        else:
            candidates = [(p, Tri(True)) for p in self.account.principals]
        results = []
        for p, member in self.principals.each(candidates):
            if member.value is False:
                continue
            inner = self.formula(body, {**env, f.var: p})
            if forall and inner.value is False:
                inner = Tri(
                    None if member.value is None else False,
                    [{"principal": p.arn, **e} for e in inner.evidence] or [{"principal": p.arn}],
                    inner.locations,
                    f"{p.arn} may not belong to the set" if member.value is None else inner.reason,
                )
            elif not forall and inner.value is True:
                inner = Tri(None if member.value is None else True, inner.evidence, inner.locations)
            results.append(inner)
        if f.binder == "any_principal":
            results.append(beyond_bundle(self, f, env))
        if forall:
            return every_cause(results) if results else Tri(True)
        return any_of(results) if results else Tri(False)

    # ------------------------------------------------------------ permissions and key policies

    def permissions(self, f: Formula, env: dict[str, IamPrincipal]) -> Tri:
        assert f.actions is not None
        listed = self.actions(f.actions)
        if f.persona:
            subjects = [
                p for p, t in self.members(SetExpr(op="persona", name=f.persona)) if t.value
            ]
        else:
            assert f.principal is not None
            who = self.resolve(f.principal, env)
            if isinstance(who, str) or self.outside(who):
                raise SpecError(
                    "permissions() needs a principal of the bundle: the identity policies of "
                    "another account's principals are not in it",
                    span=f.span,
                    code="E_SPEC_TYPE",
                )
            subjects = [who]
        results = []
        for p in subjects:
            within = self.identity_query(
                p, lambda enc: not_(enc.action_in(Value(text=a) for a in listed)), listed
            )
            parts = [negate(within)]
            if f.relation == "==":
                for action in listed:
                    parts.append(self.identity_query(p, _action_is(action), [action]))
            result = all_of(parts)
            if result.value is False:
                result = Tri(
                    False,
                    [{"principal": p.arn, **e} for e in result.evidence]
                    or [{"principal": p.arn, "missing": "a listed permission is not granted"}],
                    result.locations,
                )
            results.append(result)
        return all_of(results)

    def identity_query(
        self, p: IamPrincipal, constraint: Callable[[Encoder], Term], actions: Sequence[str]
    ) -> Tri:
        """Do the principal's identity-based policies (within its boundary) allow some
        request satisfying the constraint?"""
        ps = PolicySet(identity=p.policies, boundary=p.boundary)
        request_principal = p.request_principal()

        def goal(enc: Encoder) -> Term:
            denied, levels = enc.scan(ps.identity, TRUE if ps.boundary else not_(TRUE))
            allowed = and_(levels.any, not_(denied))
            if ps.boundary is not None:
                bdenied, blevels = enc.scan((ps.boundary,), TRUE)
                allowed = and_(allowed, blevels.any, not_(bdenied))
            return and_(
                allowed,
                constraint(enc),
                pin_principal(enc, request_principal),
                self.principal_context(enc, p),
            )

        def replay(r: Request) -> tuple[bool, dict[str, str]]:
            from cksmodel.concrete.evaluate import policy_allows

            ok = any(policy_allows(pol, r) for pol in ps.identity) and not any(
                _denies(pol, r) for pol in ps.identity
            )
            if ps.boundary is not None:
                ok = ok and policy_allows(ps.boundary, r)
            return ok, {"identity": "allowed" if ok else "denied"}

        scope = self.scope(list(actions) or ["*"], Target("*", "*", True))
        answer = search(
            Question(
                [ps, PolicySet(identity=(scope,))],
                goal,
                replay,
                None,
                self.timeout,
                1,
                accounts=(p.account,),
            )
        )
        found = self.tri(answer, None)
        for example in answer.counterexamples:
            found.locations += _identity_locations(ps.identity, example.request)
        return found

    def key_formula(self, f: Formula, key: Key) -> Tri:
        if f.op == "key_policy":
            return self.key_policy(key, f.relation)
        if f.op == "not":
            return negate(self.key_formula(f.args[0], key))
        parts = [self.key_formula(a, key) for a in f.args]
        if f.op == "and":
            return all_of(parts)
        if f.op == "or":
            return any_of(parts)
        if f.op == "implies":
            return any_of([negate(parts[0]), parts[1]])
        raise SpecError(
            f"{f.op} is not supported in a formula about keys", span=f.span, code="E_SPEC_TYPE"
        )

    def key_policy(self, key: Key, relation: str) -> Tri:
        default = model.default_key_policy(self.account.account_id, self.account.partition)
        directions = [(key.policy, default)]
        if relation == "equivalent":
            directions.append((default, key.policy))
        results = []
        for wider, narrower in directions:
            from cksmodel.concrete.evaluate import policy_allows as concrete_allows
            from cksmodel.symbolic.encode import policy_allows

            def goal(enc: Encoder, a: Policy = wider, b: Policy = narrower) -> Term:
                on_key = and_(not_(enc.res_star), enc.resource.member(literal(key.arn)))
                return and_(
                    policy_allows(enc, a),
                    not_(policy_allows(enc, b)),
                    on_key,
                    enc.action_where(lambda name: name.startswith("kms:")),
                )

            def replay(
                r: Request, a: Policy = wider, b: Policy = narrower
            ) -> tuple[bool, dict[str, str]]:
                ok = concrete_allows(a, r) and not concrete_allows(b, r)
                return ok, {
                    "key policy" if a is key.policy else "default key policy": "allows",
                    "the other": "does not",
                }

            sets = [PolicySet(resource=wider), PolicySet(resource=narrower)]
            answer = search(
                Question(sets, goal, replay, None, self.timeout, self.max_counterexamples)
            )
            results.append(negate(self.tri(answer, PolicySet(resource=wider))))
        out = all_of(results)
        if out.value is False:
            out.evidence = [{"key": key.arn, **e} for e in out.evidence]
        return out

    # ------------------------------------------------------------ lifecycle

    def anyone_can(self, action: str) -> bool | None:
        """Can some principal of the account call this API action (on some resource)?"""
        lowered = action.lower()
        if lowered in (
            "kms:encrypt",
            "kms:decrypt",
            "kms:generatedatakey",
            "kms:schedulekeydeletion",
        ):
            ref = ResourceRef(kind="any_key")
        elif lowered == "iam:createservicelinkedrole":
            ref = ResourceRef(
                kind="text", text=f"arn:*:iam::*:role/aws-service-role/{model.SLR_SERVICE}/*"
            )
        else:
            ref = ResourceRef(kind="text", text="*")
        undecided = False
        for p in self.account.principals:
            value = self.can(p, (action,), ref, (), None, readable=False).value
            if value is True:
                return True
            undecided = undecided or value is None
        return None if undecided else False

    # ------------------------------------------------------------ invariants

    def invariant(self, inv: Invariant) -> InvariantResult:
        start = time.monotonic()
        try:
            if isinstance(inv.body, Lifecycle):
                outcome = explore(self.account, inv.body, self.anyone_can)
            else:
                outcome = self.formula(inv.body, {})
        except NotApplicable as exc:
            return InvariantResult(
                name=inv.name,
                title=inv.title,
                verdict=Verdict.NOT_APPLICABLE,
                reason=str(exc),
                time_s=time.monotonic() - start,
                locations=(Location(role="spec", span=inv.span, description=inv.title),),
            )
        verdict = {True: Verdict.PROVED, False: Verdict.REFUTED, None: Verdict.UNKNOWN}[
            outcome.value
        ]
        locations = [Location(role="spec", span=inv.span, description=inv.title)]
        if verdict is Verdict.REFUTED:
            seen = set()
            for loc in outcome.locations:
                key = (loc.span.source, loc.span.line, loc.span.column)
                if key not in seen:
                    seen.add(key)
                    locations.append(loc)
        evidence = (
            outcome.evidence[: self.max_counterexamples] if verdict is Verdict.REFUTED else []
        )
        reason = outcome.reason if verdict is Verdict.UNKNOWN else ""
        return InvariantResult(
            name=inv.name,
            title=inv.title,
            verdict=verdict,
            reason=reason or ("" if verdict is not Verdict.UNKNOWN else "undecided"),
            time_s=time.monotonic() - start,
            counterexamples=tuple(evidence),
            locations=tuple(locations),
        )


def _combine(op: str, left: Tri, right: Tri) -> Tri:
    """Membership in ``left op right`` for one principal."""
    if op == "minus":
        return all_of([left, negate(right)])
    if op == "union":
        return any_of([left, right])
    return all_of([left, right])


def needs_organization(s: SetExpr, own: str) -> bool:
    """Does the set reach beyond the account, so that only the whole organization can
    list its members (the organization, another account, the accounts holding stores)?"""
    if s.op in ("organization", "store_accounts") or (s.op == "account_id" and s.name != own):
        return True
    return any(needs_organization(a, own) for a in s.args)


def _matches(s: SetExpr, p: IamPrincipal) -> bool:
    """Is the principal in a filter set (kind, and ARN, name or path pattern)?"""
    if s.name and p.kind != s.name:
        return False
    if s.on == "arn":
        return arn_match(s.pattern, p.arn)
    if s.on == "path":
        return compile_glob(s.pattern).match(p.path)
    return compile_glob(s.pattern, True).match(p.name)


def _identity_locations(policies: Sequence[Policy], request: Request) -> list[Location]:
    """The Allow statements of identity policies that grant the request."""
    from cksmodel.concrete.evaluate import policy_statements

    out = []
    for policy in policies:
        for m in policy_statements(policy, request)[0]:
            if m.span is not None:
                out.append(
                    Location(
                        role="policy",
                        span=m.span,
                        description=f"{m.policy_name} statement {m.statement_index} allows it",
                    )
                )
    return out


def _action_is(action: str) -> Callable[[Encoder], Term]:
    return lambda enc: enc.action_in([Value(text=action)])


def _denies(policy: Policy, r: Request) -> bool:
    from cksmodel.concrete.evaluate import policy_statements

    return bool(policy_statements(policy, r)[1])


SpecSource = Spec | str | PathLike[str]
"""A spec, or the path of a spec file to load."""


def prove(
    specs: SpecSource | Sequence[SpecSource],
    account: Account | str | PathLike[str],
    *,
    timeout: float = 30.0,
    max_counterexamples: int = 1,
    progress: Progress = no_progress,
    graph: AccessGraph | None = None,
) -> ProveReport:
    """Every invariant of every spec, against one account.

    ``specs`` is one spec or a sequence of them, each a :class:`Spec` or a spec file
    path; ``account`` is an :class:`Account` or an account bundle path. ``progress`` is
    told of the invariants done (task ``invariants``, noting the one at hand) and of the
    principals done in the loop over principals at hand (task ``principals``).
    ``graph``: the reachability graph of this very account, when already built (``can*``
    builds it otherwise).
    """
    checked = [_spec_argument(f"specs[{n}]", s) for n, s in enumerate(_spec_list(specs))]
    account = as_account("account", account)
    timeout = check_seconds("timeout", timeout)
    max_counterexamples = check_count("max_counterexamples", max_counterexamples)
    progress = check_progress("progress", progress)
    results: list[InvariantResult] = []
    total = sum(len(spec.invariants) for spec in checked)
    for spec in checked:
        prover = Prover(
            spec,
            account,
            timeout=timeout,
            max_counterexamples=max_counterexamples,
            progress=progress,
        )
        prover.graph = graph
        for inv in spec.invariants:
            progress("invariants", len(results), total, inv.name)
            results.append(prover.invariant(inv))
    progress("invariants", len(results), total)
    return ProveReport(
        results=tuple(results),
        account=str(account.root),
        account_id=account.account_id,
        specs=tuple(s.source for s in checked),
        warnings=account.warnings,
    )


_SPEC_FORMS = "a Spec or the path of a spec file"


def _spec_list(specs: object) -> list[object]:
    if isinstance(specs, Spec | str | PathLike):
        return [specs]
    if not isinstance(specs, Sequence):
        raise ArgumentTypeError(
            f"specs: expected {_SPEC_FORMS}, or a sequence of them, not {shown(specs)}"
        )
    return list(specs)


def _spec_argument(name: str, value: object) -> Spec:
    """A spec given as a path is loaded; one given as a Spec (possibly built by hand) is
    checked as a loaded one is, so its personas are known and not circular."""
    if isinstance(value, Spec):
        check_spec(value)
        return value
    return load_spec(check_path(name, value, _SPEC_FORMS))
