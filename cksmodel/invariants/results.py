"""Results of proving invariants: what ``prove`` reports in every format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cksmodel.markup import (
    Html,
    badge,
    box,
    bullets,
    code,
    example,
    heading,
    line,
    locations,
    seconds,
    table,
)
from cksmodel.policy.catalog import get_catalog
from cksmodel.source import Location
from cksmodel.symbolic.query import Verdict


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
        return invariant_html(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProveReport:
    """Every invariant's result for one account bundle."""

    results: tuple[InvariantResult, ...]
    account: str
    """The bundle checked, as the user named it."""
    specs: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    account_id: str = ""
    bundled_example: bool = False
    """True when no bundle was named and the example shipped with cksmodel was checked."""

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
            "account_id": self.account_id,
            "bundled_example": self.bundled_example,
            "specs": list(self.specs),
            "warnings": list(self.warnings),
            "catalog": get_catalog().to_json(),
            "results": [r.to_json() for r in self.results],
        }

    def _repr_html_(self) -> str:
        return prove_report_html(self)


def invariant_html(r: InvariantResult) -> Html:
    """One invariant's row, and its counterexamples and locations when REFUTED."""
    parts = [_invariants((r,))]
    if r.verdict is Verdict.REFUTED:
        parts.append(_details(r, opened=True))
    return box(parts)


def prove_report_html(r: ProveReport) -> Html:
    """Counts per verdict, then every invariant, then the evidence for each REFUTED one."""
    counts = Counter(result.verdict for result in r.results)
    summary = [Html(f"{badge(v)} {counts[v]}") for v in Verdict]
    parts = [
        line(Html("<strong>Prove report</strong>"), *summary),
        line(
            "account",
            code(r.account_id),
            "bundle",
            code(r.account),
            *(("(the bundled example)",) if r.bundled_example else ()),
            "\u00b7 specs",
            Html(", ".join(code(s) for s in r.specs)),
        ),
        _invariants(r.results),
    ]
    parts += [_details(result) for result in r.results if result.verdict is Verdict.REFUTED]
    if r.warnings:
        parts.append(heading("Warnings"))
        parts.append(bullets(r.warnings))
    return box(parts)


def _invariants(results: Sequence[InvariantResult]) -> Html:
    return table(
        ("invariant", "title", "verdict", "time", "reason"),
        (
            (code(r.name), r.title, badge(r.verdict), seconds(r.time_s), r.reason or None)
            for r in results
        ),
    )


def _details(r: InvariantResult, *, opened: bool = False) -> Html:
    count = len(r.counterexamples)
    summary = Html(
        f"{code(r.name)} {badge(r.verdict)} {count} counterexample{'' if count == 1 else 's'}"
    )
    body = [example(c) for c in r.counterexamples]
    if r.locations:
        body.append(heading("Locations"))
        body.append(locations(r.locations))
    attribute = ' open="open"' if opened else ""
    return Html(
        f'<details{attribute} style="margin:4px 0"><summary>{summary}</summary>'
        + "".join(body)
        + "</details>"
    )
