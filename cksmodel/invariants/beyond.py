"""``forall principal p`` and ``exists principal p`` beyond the bundle's principals.

Anyone of another account, any service principal and anonymous callers are
covered with one symbolic question per resource: the quantified formula is
encoded with its ``can`` atom as the decision of the request and the caller
left free outside the account; a model is replayed through the evaluator before
it counts. Principals named by ARN in the formula (``principal "arn:…"``) are
compared as a policy naming them would match them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from cksmodel.account.access import ALLOW_ALL, Target, all_of, any_of, negate
from cksmodel.account.model import IamPrincipal
from cksmodel.account.outside import same_identity
from cksmodel.concrete.evaluate import evaluate
from cksmodel.concrete.request import Principal, PrincipalKind, Request
from cksmodel.invariants.spec import Formula, PrincipalRef, SpecError
from cksmodel.policy.ir import PolicySet
from cksmodel.symbolic.encode import Encoder
from cksmodel.symbolic.logic import TRUE, Term, and_, implies, not_, or_
from cksmodel.symbolic.query import Question, pin_principal, search
from cksmodel.symbolic.strings import glob, literal

if TYPE_CHECKING:
    from cksmodel.account.access import Tri
    from cksmodel.invariants.prove import Prover

__all__ = ["beyond_bundle"]


def beyond_bundle(prover: Prover, f: Formula, env: dict[str, IamPrincipal]) -> Tri:
    """``forall/exists principal p`` beyond the bundle: anyone of another account, any
    service principal, anonymous — one symbolic question per resource."""
    body = f.args[0]
    forall = f.op == "forall"
    if any(a.op == "can_star" for a in _walk(body)):
        raise SpecError(
            "can*() is about principals of the bundle: use 'forall p in account'",
            span=body.span,
            code="E_SPEC_TYPE",
        )
    atoms = [a for a in _walk(body) if a.op == "can"]
    if len(atoms) > 1:
        raise SpecError(
            "a 'forall principal' formula may use can() once",
            span=body.span,
            code="E_SPEC_TYPE",
        )
    atom = atoms[0] if atoms else None
    actions: Sequence[str] = ()
    targets: list[Target | None] = [None]
    if atom is not None:
        assert atom.actions is not None and atom.resource is not None
        unknown = prover.keys_unknown(atom.resource)
        if unknown is not None:
            return unknown
        actions = prover.actions(atom.actions)
        targets = list(prover.targets(atom.resource, atom.span))
    account = prover.account.account_id
    named = {
        prover.by_arn(ref).account
        for a in _walk(body)
        for ref in (a.principal, a.other)
        if ref is not None and ref.kind == "arn"
    }
    accounts = (account, *sorted(named - {account}))
    results = []
    for target in targets:
        ps = (
            prover.policy_set(None, target, actions)
            if target is not None
            else PolicySet(identity=(ALLOW_ALL,), protections=prover.protections)
        )

        def goal(enc: Encoder, ps: PolicySet = ps, target: Target | None = target) -> Term:
            can: Term = not_(TRUE)
            if atom is not None and target is not None:
                allowed, _ = enc.decision(ps)
                can = and_(allowed, prover.request_terms(enc, actions, target, atom.context))
            outside = or_(
                enc.kind_in(PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS),
                not_(enc.account_is(enc.paccount, account)),
            )
            holds = _symbolic(prover, body, f.var, enc, can, env)
            return and_(outside, prover.org_bound(enc), not_(holds) if forall else holds)

        def replay(r: Request, ps: PolicySet = ps) -> tuple[bool, dict[str, str]]:
            word = evaluate(r, ps).decision.value
            holds = _concrete(prover, body, f.var, r, word == "allowed", env)
            return (not holds) if forall else holds, {"decision": word}

        scope = prover.scope(actions or ["*"], target or Target("*", "*", True))
        answer = search(
            Question(
                [ps, PolicySet(identity=(scope,))],
                goal,
                replay,
                None,
                prover.timeout,
                prover.max_counterexamples,
                accounts=accounts,
            )
        )
        found = prover.tri(answer, ps)
        results.append(negate(found) if forall else found)
    return all_of(results) if forall else any_of(results)


def _symbolic(
    prover: Prover, f: Formula, var: str, enc: Encoder, can: Term, env: dict[str, IamPrincipal]
) -> Term:
    if f.op == "can":
        return can
    if f.op == "same":
        assert f.principal is not None and f.other is not None
        refs = [f.principal, f.other]
        if refs[0].kind == "var" and refs[0].name == var:
            return _principal_is(prover, enc, refs[1], env)
        if refs[1].kind == "var" and refs[1].name == var:
            return _principal_is(prover, enc, refs[0], env)
        return TRUE if prover.formula(f, env).value else not_(TRUE)
    if f.op == "member":
        assert f.members is not None
        accounts = prover.accounts_of(f.members) or frozenset()
        return and_(
            not_(enc.kind_in(PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS)),
            or_([enc.account_is(enc.paccount, a) for a in sorted(accounts)]),
        )
    if f.op == "not":
        return not_(_symbolic(prover, f.args[0], var, enc, can, env))
    parts = [_symbolic(prover, a, var, enc, can, env) for a in f.args]
    if f.op == "and":
        return and_(parts)
    if f.op == "or":
        return or_(parts)
    if f.op == "implies":
        return implies(parts[0], parts[1])
    if f.op in ("true", "false"):
        return TRUE if f.op == "true" else not_(TRUE)
    raise SpecError(
        f"{f.op} is not supported inside 'forall principal'", span=f.span, code="E_SPEC_TYPE"
    )


def _principal_is(
    prover: Prover, enc: Encoder, ref: PrincipalRef, env: dict[str, IamPrincipal]
) -> Term:
    if ref.kind == "service":
        return and_(
            enc.kind_is(PrincipalKind.SERVICE), enc.service.member(literal(ref.name.lower()))
        )
    if ref.kind == "anonymous":
        return enc.kind_is(PrincipalKind.ANONYMOUS)
    if ref.kind == "root":
        return and_(
            enc.kind_is(PrincipalKind.ROOT),
            enc.account_is(enc.paccount, prover.account.account_id),
        )
    target = prover.resolve(ref, env)
    assert isinstance(target, IamPrincipal)
    if prover.outside(target):
        return _any_spelling(enc, target)
    return pin_principal(enc, target.request_principal())


def _concrete(
    prover: Prover, f: Formula, var: str, r: Request, allowed: bool, env: dict[str, IamPrincipal]
) -> bool:
    if f.op == "can":
        return allowed
    if f.op == "same":
        assert f.principal is not None and f.other is not None
        refs = [f.principal, f.other]
        other = refs[1] if refs[0].kind == "var" and refs[0].name == var else refs[0]
        return _matches_ref(prover, r.principal, other, env)
    if f.op == "member":
        assert f.members is not None
        accounts = prover.accounts_of(f.members) or frozenset()
        person = r.principal.kind not in (PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS)
        return person and r.principal.account in accounts
    if f.op == "not":
        return not _concrete(prover, f.args[0], var, r, allowed, env)
    values = [_concrete(prover, a, var, r, allowed, env) for a in f.args]
    if f.op == "and":
        return all(values)
    if f.op == "or":
        return any(values)
    if f.op == "implies":
        return (not values[0]) or values[1]
    return f.op == "true"


def _matches_ref(
    prover: Prover, p: Principal, ref: PrincipalRef, env: dict[str, IamPrincipal]
) -> bool:
    if ref.kind == "service":
        return p.kind is PrincipalKind.SERVICE and p.text == ref.name.lower()
    if ref.kind == "anonymous":
        return p.kind is PrincipalKind.ANONYMOUS
    if ref.kind == "root":
        return p.kind is PrincipalKind.ROOT and p.account == prover.account.account_id
    target = prover.resolve(ref, env)
    assert isinstance(target, IamPrincipal)
    if prover.outside(target):
        return p.principal_arn is not None and same_identity(p.principal_arn, target.arn)
    return p.principal_arn == target.arn


def _any_spelling(enc: Encoder, p: IamPrincipal) -> Term:
    """The symbolic caller is the principal of another account (any session of a role), as
    a policy naming it matches: the name in any case, any path."""
    kind = PrincipalKind.ASSUMED_ROLE if p.kind == "role" else PrincipalKind.USER
    prefix = f"arn:{p.partition}:iam::{p.account}:{p.kind}/"
    return and_(
        enc.kind_is(kind),
        enc.account_is(enc.paccount, p.account),
        or_(
            enc.principal_arn.member(literal(prefix + p.name, ignore_case=True)),
            enc.principal_arn.member(glob(f"{prefix}*/{p.name}", ignore_case=True)),
        ),
    )


def _walk(f: Formula) -> Iterable[Formula]:
    yield f
    for a in f.args:
        yield from _walk(a)
