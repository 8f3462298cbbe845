"""Proofs about a change: the invariants on an account as it will be after a plan or template.

:func:`prove_change` proves the specs on the account before (the bundle) and after
(:func:`cksmodel.infra.apply.apply_infrastructure`), and returns the after report with

- every result located in the input: each statement, key or principal of the input a result
  involves (a counterexample's statements come from policies read out of the plan, whose spans
  point into it) gets a ``plan`` :class:`~cksmodel.source.Location` naming the resource
  address or logical id, file, line and column; a result that was not REFUTED before and is
  now, while the input destroys resources, names those too;
- soundness kept: a PROVED result becomes UNKNOWN when the input has parts that could not be
  applied (:attr:`AppliedPlan.unresolved`), or when a policy pattern tells a placeholder from
  other fresh values (:func:`singling_patterns`). A placeholder alone keeps PROVED: AWS chooses
  the real value at apply, fresh, so no policy written before can name it, and a pattern that
  matches all fresh values alike (``*``, ``key/*``) or none (a literal) decides the real value
  as it decides the placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cksmodel.account.model import Account
from cksmodel.infra.apply import AppliedPlan, singling_patterns
from cksmodel.infra.model import Locus
from cksmodel.invariants.prove import prove
from cksmodel.invariants.results import InvariantResult, ProveReport
from cksmodel.invariants.spec import Spec
from cksmodel.source import Location
from cksmodel.symbolic.progress import Progress, no_progress
from cksmodel.symbolic.query import Verdict

__all__ = ["ChangeProof", "prove_change"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeProof:
    """The invariants before and after a change, and what the after side rests on."""

    before: ProveReport
    after: ProveReport
    applied: AppliedPlan
    singling: tuple[str, ...] = ()

    def verdict_before(self, name: str) -> Verdict | None:
        return next((r.verdict for r in self.before.results if r.name == name), None)

    def to_json(self) -> dict[str, Any]:
        infra = self.applied.infrastructure
        return {
            **self.after.to_json(),
            "plan": {"source": infra.source, "kind": infra.kind},
            "before": {r.name: r.verdict.value for r in self.before.results},
            "placeholders": [
                {**p.location.to_json(), "attribute": p.attribute, "value": p.value}
                for p in self.applied.placeholders
            ],
            "unresolved": [a.to_json() for a in self.applied.unresolved],
            "assumptions": [a.to_json() for a in self.applied.assumptions],
            "singling_patterns": list(self.singling),
        }


def _plan_location(locus: Locus, why: str) -> Location:
    """A resource of the input as a result's location (role ``plan``)."""
    return Location(role="plan", span=locus.span, description=f"{locus.address}: {why}")


def _located(
    result: InvariantResult, applied: AppliedPlan, before: Verdict | None
) -> tuple[Location, ...]:
    """The input's resources a result involves, as ``plan`` locations (first seen first)."""
    found: list[Location] = []
    if result.verdict is Verdict.PROVED:
        return ()
    for location in result.locations:
        locus = applied.locus_of_span(location.span.source, location.span.line)
        if locus is not None:
            found.append(_plan_location(locus, location.description or "involved"))
    text = json.dumps(result.counterexamples)
    for value, locus in applied.changed:
        if value and value in text:
            found.append(_plan_location(locus, f"changes {value}"))
    removed = applied.removed
    if result.verdict is Verdict.REFUTED and before is not Verdict.REFUTED:
        found += [_plan_location(locus, "destroyed by the plan") for locus in removed]
    return tuple(dict.fromkeys(found))


def _settled(result: InvariantResult, doubts: Sequence[str]) -> InvariantResult:
    """PROVED made UNKNOWN when the applied model rests on something it could not fix."""
    if result.verdict is not Verdict.PROVED or not doubts:
        return result
    shown = "; ".join(doubts[:3]) + (f"; and {len(doubts) - 3} more" if len(doubts) > 3 else "")
    return replace(
        result,
        verdict=Verdict.UNKNOWN,
        reason=f"proved on the applied model, which rests on what it could not fix: {shown}",
    )


def prove_change(
    specs: Sequence[Spec],
    account: Account,
    applied: AppliedPlan,
    *,
    timeout: float = 30.0,
    max_counterexamples: int = 1,
    progress: Progress = no_progress,
) -> ChangeProof:
    """Prove ``specs`` on ``account`` and on ``applied.account``; see the module docstring."""
    before = prove(specs, account, timeout=timeout, max_counterexamples=1, progress=progress)
    after = prove(
        specs,
        applied.account,
        timeout=timeout,
        max_counterexamples=max_counterexamples,
        progress=progress,
    )
    singling = singling_patterns(applied)
    doubts = [str(a) for a in applied.unresolved] + [
        f"{p} tells a placeholder from other fresh values" for p in singling
    ]
    earlier = {r.name: r.verdict for r in before.results}
    results = []
    for result in after.results:
        located = _located(result, applied, earlier.get(result.name))
        result = _settled(result, doubts)
        results.append(replace(result, locations=(*located, *result.locations)))
    warnings = (*after.warnings, *(f"approximation: {a}" for a in applied.approximations))
    return ChangeProof(
        before=before,
        after=replace(after, results=tuple(results), warnings=warnings),
        applied=applied,
        singling=singling,
    )
