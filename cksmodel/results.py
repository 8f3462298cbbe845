"""Results of proving invariants: what ``prove`` reports in every format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cksmodel.errors import Span
from cksmodel.query import Verdict


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """A place that explains a result: the invariant in its spec, or a policy statement."""

    role: str
    """``spec`` for the invariant itself, ``policy`` for a statement responsible."""
    span: Span
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.span.source,
            "line": self.span.line,
            "column": self.span.column,
            "description": self.description,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class InvariantResult:
    """One invariant's verdict, with replayed counterexamples when REFUTED."""

    name: str
    title: str
    verdict: Verdict
    reason: str
    time_s: float
    counterexamples: tuple[dict[str, Any], ...] = ()
    locations: tuple[Location, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "time_s": round(self.time_s, 3),
            "counterexamples": list(self.counterexamples),
            "locations": [loc.to_json() for loc in self.locations],
        }

    def _repr_html_(self) -> str:
        from cksmodel.display import invariant_html

        return invariant_html(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProveReport:
    """Every invariant's result for one account bundle."""

    results: tuple[InvariantResult, ...]
    account: str
    specs: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        """0 all PROVED, 1 any REFUTED, 3 any UNKNOWN and none REFUTED."""
        verdicts = {r.verdict for r in self.results}
        if Verdict.REFUTED in verdicts:
            return 1
        if Verdict.UNKNOWN in verdicts:
            return 3
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "specs": list(self.specs),
            "warnings": list(self.warnings),
            "results": [r.to_json() for r in self.results],
        }

    def _repr_html_(self) -> str:
        from cksmodel.display import prove_report_html

        return prove_report_html(self)
