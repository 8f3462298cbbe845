"""Invariants about a whole organization.

An invariant that quantifies over principals beyond one account (``forall p in
organization``, ``forall p in account "ID"``, ``forall p in store_accounts``) is an
*organization* invariant: it is answered on the joined graph, where ``can`` is a
direct call and ``can*`` a chain of steps that may cross accounts. Every other
invariant (the built-in ones, ``forall account a: …``) is proved in each member
account, among the principals of other accounts its policies name, and its verdict
is the conjunction of the accounts' (``exists account a`` the disjunction).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from cksmodel.account.access import Tri, all_of, any_of, negate
from cksmodel.account.outside import same_identity
from cksmodel.cks import model
from cksmodel.invariants.prove import KEYS_UNKNOWN, every_cause, needs_organization
from cksmodel.invariants.results import InvariantResult, ProveReport
from cksmodel.invariants.spec import (
    Formula,
    Invariant,
    PrincipalRef,
    ResourceRef,
    SetExpr,
    Spec,
    SpecError,
)
from cksmodel.org.analysis import OrgAnalysis
from cksmodel.org.tasks import Survey
from cksmodel.org.union import OrgReach, member_nodes
from cksmodel.policy.catalog import get_catalog
from cksmodel.source import Location, Span
from cksmodel.symbolic.query import Verdict

__all__ = ["organization_report", "questions_of", "split_specs"]


def is_organization_wide(f: Formula) -> bool:
    """Does the formula quantify over principals beyond one account?"""
    if f.binder == "member_of" and f.members is not None and needs_organization(f.members, ""):
        return True
    return any(is_organization_wide(a) for a in f.args)


def split_specs(specs: Sequence[Spec]) -> tuple[list[Spec], list[tuple[Spec, Invariant]]]:
    """The specs with their per-account invariants only, and the organization ones.

    An organization invariant using what the joined graph cannot answer is a
    :class:`SpecError` here, before any account is analysed."""
    per_account: list[Spec] = []
    whole: list[tuple[Spec, Invariant]] = []
    for spec in specs:
        mine = []
        for inv in spec.invariants:
            if isinstance(inv.body, Formula) and is_organization_wide(inv.body):
                _check(inv.body)
                whole.append((spec, inv))
            else:
                mine.append(inv)
        per_account.append(replace(spec, invariants=tuple(mine)))
    return per_account, whole


def questions_of(
    invariants: Sequence[tuple[Spec, Invariant]], surveys: Sequence[Survey]
) -> list[tuple[str, str]]:
    """The (action, resource) questions the organization invariants ask."""
    keys = tuple(k for s in surveys for k in s.keys)
    out: list[tuple[str, str]] = []
    for _, inv in invariants:
        assert isinstance(inv.body, Formula)
        for f in _walk(inv.body):
            if f.op in ("can", "can_star"):
                assert f.actions is not None and f.resource is not None
                for resource in _resources(f.resource, f.span, keys):
                    out += [(a, resource) for a in _actions(f)]
    return out


def organization_report(
    analysis: OrgAnalysis,
    specs: Sequence[Spec],
    invariants: Sequence[tuple[Spec, Invariant]],
    *,
    max_counterexamples: int = 1,
) -> ProveReport:
    """Every invariant's verdict for the organization: the per-account ones combined
    over the accounts, then the organization ones (as :func:`split_specs` returns them,
    checked) on the joined graph."""
    results = [_combined(analysis, inv) for spec in specs for inv in spec.invariants]
    prover = _OrgProver(analysis, max_counterexamples)
    results += [prover.invariant(inv) for _, inv in invariants]
    return ProveReport(
        results=tuple(results),
        account=analysis.folder,
        account_id=analysis.organization.organization_id,
        specs=tuple(dict.fromkeys(s.source for s in specs)),
        warnings=analysis.warnings,
    )


def _combined(analysis: OrgAnalysis, inv: Invariant) -> InvariantResult:
    """One per-account invariant over every member account."""
    found: list[tuple[str, InvariantResult]] = []
    for graph in analysis.accounts:
        if graph.report is None:
            continue
        for r in graph.report.results:
            if r.name == inv.name:
                found.append((graph.account_id, r))
    verdicts = {r.verdict for _, r in found}
    spent = sum(r.time_s for _, r in found)
    spec_location = Location(role="spec", span=inv.span, description=inv.title)
    body = inv.body
    if isinstance(body, Formula) and body.op == "exists" and body.binder == "account_of":
        return _in_some_account(inv, found, spent, spec_location)
    if Verdict.REFUTED in verdicts:
        refuted = [(a, r) for a, r in found if r.verdict is Verdict.REFUTED]
        examples = tuple(
            {"account": a, **example} for a, r in refuted for example in r.counterexamples
        )
        seen: dict[tuple[str, int, int], Location] = {}
        for _, r in refuted:
            for loc in r.locations:
                seen.setdefault((loc.span.source, loc.span.line, loc.span.column), loc)
        return InvariantResult(
            name=inv.name,
            title=inv.title,
            verdict=Verdict.REFUTED,
            reason="refuted in account " + ", ".join(a for a, _ in refuted),
            time_s=spent,
            counterexamples=examples,
            locations=tuple(seen.values()),
        )
    if Verdict.UNKNOWN in verdicts:
        reasons = "; ".join(
            f"account {a}: {r.reason}" for a, r in found if r.verdict is Verdict.UNKNOWN
        )
        return InvariantResult(
            name=inv.name,
            title=inv.title,
            verdict=Verdict.UNKNOWN,
            reason=reasons,
            time_s=spent,
            locations=(spec_location,),
        )
    if not found or verdicts == {Verdict.NOT_APPLICABLE}:
        reason = "; ".join(f"account {a}: {r.reason}" for a, r in found) or "no member bundle"
        return InvariantResult(
            name=inv.name,
            title=inv.title,
            verdict=Verdict.NOT_APPLICABLE,
            reason=reason,
            time_s=spent,
            locations=(spec_location,),
        )
    proved = sum(1 for _, r in found if r.verdict is Verdict.PROVED)
    return InvariantResult(
        name=inv.name,
        title=inv.title,
        verdict=Verdict.PROVED,
        reason=f"proved in {proved} of {len(found)} accounts (not applicable in the others)"
        if proved < len(found)
        else "",
        time_s=spent,
        locations=(spec_location,),
    )


def _in_some_account(
    inv: Invariant,
    found: Sequence[tuple[str, InvariantResult]],
    spent: float,
    spec_location: Location,
) -> InvariantResult:
    """``exists account a: …``: PROVED when it holds in some member account."""
    holding = [a for a, r in found if r.verdict is Verdict.PROVED]
    unknown = [f"account {a}: {r.reason}" for a, r in found if r.verdict is Verdict.UNKNOWN]
    if holding:
        verdict, reason = Verdict.PROVED, "holds in account " + ", ".join(holding)
    elif unknown:
        verdict, reason = Verdict.UNKNOWN, "; ".join(unknown)
    else:
        verdict, reason = Verdict.REFUTED, "holds in no member account"
    return InvariantResult(
        name=inv.name,
        title=inv.title,
        verdict=verdict,
        reason=reason,
        time_s=spent,
        locations=(spec_location,),
    )


class _OrgProver:
    """Evaluates organization invariants on the joined graph (three-valued)."""

    def __init__(self, analysis: OrgAnalysis, max_counterexamples: int) -> None:
        self.analysis = analysis
        self.graph = analysis.graph
        self.max_counterexamples = max_counterexamples
        self.keys = analysis.keys()
        self._reach: dict[tuple[str, str], dict[str, OrgReach]] = {}
        self._members: dict[SetExpr, tuple[list[str], frozenset[str]]] = {}

    def invariant(self, inv: Invariant) -> InvariantResult:
        start = time.monotonic()
        assert isinstance(inv.body, Formula)
        outcome = self.formula(inv.body, {})
        verdict = {True: Verdict.PROVED, False: Verdict.REFUTED, None: Verdict.UNKNOWN}[
            outcome.value
        ]
        locations = [Location(role="spec", span=inv.span, description=inv.title)]
        if verdict is Verdict.REFUTED:
            locations += outcome.locations
        return InvariantResult(
            name=inv.name,
            title=inv.title,
            verdict=verdict,
            reason=(outcome.reason or "undecided") if verdict is Verdict.UNKNOWN else "",
            time_s=time.monotonic() - start,
            counterexamples=tuple(outcome.evidence[: self.max_counterexamples])
            if verdict is Verdict.REFUTED
            else (),
            locations=tuple(dict.fromkeys(locations)),
        )

    def formula(self, f: Formula, env: dict[str, str]) -> Tri:
        """The formula's value (checked by :func:`_check`) with ``env`` binding variables."""
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
        if f.op in ("can", "can_star"):
            return self.can(f, env)
        if f.op == "member":
            assert f.members is not None
            return Tri(env[f.var] in self.member_set(f.members))
        assert f.op == "same" and f.principal is not None and f.other is not None
        a, b = self.node(f.principal, env), self.node(f.other, env)
        return Tri(same_identity(a, b) if a.startswith("arn:") else a == b)

    def quantified(self, f: Formula, env: dict[str, str]) -> Tri:
        assert f.members is not None
        forall = f.op == "forall"
        results = []
        for node in self.members(f.members):
            inner = self.formula(f.args[0], {**env, f.var: node})
            if forall and inner.value is False and not inner.evidence:
                inner = Tri(False, [{"principal": node}], inner.locations, inner.reason)
            results.append(inner)
        if forall:
            return every_cause(results) if results else Tri(True)
        return any_of(results) if results else Tri(False)

    def members(self, s: SetExpr) -> list[str]:
        """The principals of member accounts in the set (by node id, sorted)."""
        return self._cached(s)[0]

    def member_set(self, s: SetExpr) -> frozenset[str]:
        """The same principals, for membership tests."""
        return self._cached(s)[1]

    def _cached(self, s: SetExpr) -> tuple[list[str], frozenset[str]]:
        """Each set is computed once per report: ``p in SET`` is asked of every principal
        of the organization."""
        if s not in self._members:
            found = self._principals(s)
            self._members[s] = (found, frozenset(found))
        return self._members[s]

    def _principals(self, s: SetExpr) -> list[str]:
        graph = self.graph.graph
        if s.op == "organization":
            return member_nodes(graph)
        if s.op == "account_id":
            return member_nodes(graph, [s.name])
        if s.op == "store_accounts":
            holding = [x.account_id for x in self.analysis.surveys if x.holds_stores]
            return member_nodes(graph, holding)
        if s.op == "filter":
            return [n for n in member_nodes(graph) if _filtered(s, n, graph.nodes[n])]
        if s.op in ("minus", "union", "intersect"):
            out = self.members(s.args[0])
            for arg in s.args[1:]:
                other = set(self.members(arg))
                if s.op == "minus":
                    out = [n for n in out if n not in other]
                elif s.op == "intersect":
                    out = [n for n in out if n in other]
                else:
                    out = sorted({*out, *other})
            return out
        raise AssertionError(s.op)

    def node(self, ref: PrincipalRef, env: dict[str, str]) -> str:
        return env[ref.name] if ref.kind == "var" else ref.name

    def can(self, f: Formula, env: dict[str, str]) -> Tri:
        assert f.principal is not None and f.resource is not None and f.actions is not None
        who = self.node(f.principal, env)
        resources = _resources(f.resource, f.span, self.keys)
        if f.resource.kind == "any_key" and not all(x.keys_known for x in self.analysis.surveys):
            return Tri(None, reason=KEYS_UNKNOWN)
        per_action = []
        for action in _actions(f):
            found = []
            for resource in resources:
                reach = self.reached(action, resource).get(who)
                if reach is None or (f.op == "can" and not reach.reach.direct):
                    found.append(Tri(False))
                    continue
                evidence = [
                    {
                        "principal": who,
                        "account": reach.reach.account,
                        "action": action,
                        "resource": resource,
                        "path": reach.to_json()["path"],
                    }
                ]
                places = [
                    Location(
                        role="policy",
                        span=Span(source=h.file, line=h.line, column=h.column),
                        description=f"{h.source} -> {h.target} (account {a}): {h.summary}",
                    )
                    for h, a in zip(reach.reach.path, reach.accounts, strict=True)
                    if h.line >= 1
                ]
                if reach.reach.decided:
                    found.append(Tri(True, evidence, places))
                else:
                    found.append(Tri(None, evidence, places, "a step of the path is undecided"))
            per_action.append(any_of(found))
        return all_of(per_action) if f.actions.mode == "all" else any_of(per_action)

    def reached(self, action: str, resource: str) -> dict[str, OrgReach]:
        key = (action, resource)
        if key not in self._reach:
            self._reach[key] = {r.reach.arn: r for r in self.graph.who_can(action, resource)}
        return self._reach[key]


_CONNECTIVES = ("implies", "or", "and", "not", "true", "false")
_SETS = ("organization", "account_id", "store_accounts", "filter", "minus", "union", "intersect")


def _check(f: Formula) -> None:
    """Raise a positioned :class:`SpecError` where an organization-wide formula uses
    what the joined graph cannot answer."""
    if f.op in ("forall", "exists"):
        if f.binder != "member_of" or f.members is None:
            raise SpecError(
                "inside an organization-wide formula, quantify with 'forall p in SET'",
                span=f.span,
                code="E_SPEC_TYPE",
            )
        _check_set(f.members)
    elif f.op == "member":
        assert f.members is not None
        _check_set(f.members)
    elif f.op in ("can", "can_star", "same"):
        if f.context:
            raise SpecError(
                "'when' is not supported in an organization-wide formula",
                span=f.span,
                code="E_SPEC_TYPE",
            )
        for ref in (f.principal, f.other):
            if ref is not None and ref.kind not in ("var", "arn"):
                raise SpecError(
                    'in an organization-wide formula, name a principal by ARN: principal "arn:…"',
                    span=ref.span or f.span,
                    code="E_SPEC_TYPE",
                )
        if f.resource is not None:
            _check_resource(f.resource, f.span)
    elif f.op not in _CONNECTIVES:
        raise SpecError(
            f"{f.op} is not supported in an organization-wide formula; use it in a "
            "per-account invariant ('forall account a: …')",
            span=f.span,
            code="E_SPEC_TYPE",
        )
    for arg in f.args:
        _check(arg)


def _check_set(s: SetExpr) -> None:
    if s.op not in _SETS:
        raise SpecError(
            f"{_SET_WORDS.get(s.op, s.op)} is not a set of an organization-wide formula; "
            'use organization, account "ID", store_accounts, roles/users/principals '
            "matching or with path, and -, |, &",
            span=s.span,
            code="E_SPEC_TYPE",
        )
    for arg in s.args:
        _check_set(arg)


_SET_WORDS = {
    "account": "account",
    "outside": "outside (it names only some of the principals outside the organization)",
    "persona": "a persona",
    "that_can": "'principals that can'",
    "account_var": "an account variable",
}


def _filtered(s: SetExpr, node: str, attrs: dict[str, object]) -> bool:
    from cksmodel.policy.patterns import compile_glob

    kind, _, rest = node.split(":", 5)[-1].partition("/")
    if s.name and kind != s.name:
        return False
    if s.on == "arn":
        return bool(compile_glob(s.pattern, True).match(node))
    if s.on == "path":
        path = "/" + rest.rpartition("/")[0] + "/" if "/" in rest else "/"
        return bool(compile_glob(s.pattern, True).match(path.replace("//", "/")))
    return bool(compile_glob(s.pattern, True).match(rest.rpartition("/")[2]))


def _actions(f: Formula) -> list[str]:
    assert f.actions is not None
    names = (
        model.LEAST_PRIVILEGE[f.actions.least_privilege]
        if f.actions.least_privilege is not None
        else f.actions.names
    )
    catalog = get_catalog()
    out: list[str] = []
    for a in names:
        out += catalog.expand(a) if "*" in a or "?" in a else [a]
    return list(dict.fromkeys(out))


def _resources(ref: ResourceRef, span: Span, keys: Sequence[str]) -> list[str]:
    """The concrete resources of a ``can`` in an organization-wide formula (its
    resource checked by :func:`_check_resource`)."""
    if ref.kind == "any_store" or (ref.kind == "text" and ref.text == "*"):
        return ["*"]
    if ref.kind == "any_key":
        return list(keys)
    if ref.text.startswith("arn:"):
        return [ref.text]
    found = [k for k in keys if k.rpartition("/")[2] == ref.text]
    if len(found) != 1:
        raise SpecError(
            f"key {ref.text}: {len(found) or 'no'} keys of the organization have this id; "
            "name the key by its ARN",
            span=span,
            code="E_SPEC_TYPE",
        )
    return found


def _check_resource(ref: ResourceRef, span: Span) -> None:
    if ref.kind in ("any_store", "any_key") or (ref.kind == "text" and ref.text == "*"):
        return
    literal = "*" not in ref.text and "?" not in ref.text
    if literal and (ref.kind == "key" or ref.text.startswith("arn:")):
        return
    raise SpecError(
        "in an organization-wide formula, a resource is *, store *, key *, or one ARN "
        "without wildcards (a key may be named by its id when it is unique)",
        span=span,
        code="E_SPEC_TYPE",
    )


def _walk(f: Formula) -> Iterator[Formula]:
    yield f
    for a in f.args:
        yield from _walk(a)
