"""Markdown summaries for a pull-request comment: ``prove --plan`` (the verdict of every
invariant before and after, why each non-PROVED one is so and where in the plan) and ``diff``
(the access gained and lost per principal, with witnesses); both end with the approximations.

Every text that comes from the input (names, ARNs, reasons) is escaped so that a crafted
value cannot inject Markdown or HTML into the comment.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cksmodel.symbolic.query import Verdict

if TYPE_CHECKING:
    from cksmodel.infra.apply import AppliedPlan
    from cksmodel.invariants.access_diff import PermissionDiff
    from cksmodel.invariants.change import ChangeProof
    from cksmodel.invariants.results import ProveReport

__all__ = ["diff_markdown", "prove_markdown", "verdicts_markdown"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")

_MARKS = {Verdict.REFUTED: " ❌", Verdict.UNKNOWN: " ❔"}

MAX_ROWS = 50
"""Rows of one list shown in full; the rest are counted (a comment has a size limit)."""


def _esc(text: object) -> str:
    """Plain text on one line, every Markdown and HTML special character escaped."""
    one = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", one).replace("&", "&amp;")


def _approximations(applied: AppliedPlan) -> list[str]:
    items = applied.approximations
    if not items:
        return []
    lines = [
        "",
        f"<details><summary>{len(items)} approximations</summary>",
        "",
        *(f"- {_esc(a)}" for a in items[:MAX_ROWS]),
    ]
    if len(items) > MAX_ROWS:
        lines.append(f"- … and {len(items) - MAX_ROWS} more")
    return [*lines, "", "</details>"]


def _verdicts(report: ProveReport, title: str, before: ChangeProof | None) -> list[str]:
    """The verdict table, then each non-PROVED invariant's reason, counterexample and plan
    locations."""
    from cksmodel.invariants.reports import changed_in_plan, summarize_counterexample

    results = report.results
    refuted = [r for r in results if r.verdict is Verdict.REFUTED]
    unknown = [r for r in results if r.verdict is Verdict.UNKNOWN]
    proved = sum(1 for r in results if r.verdict is Verdict.PROVED)
    lines = [
        title,
        "",
        f"{proved} proved, {len(refuted)} refuted, {len(unknown)} unknown "
        f"of {len(results)} invariants.",
        "",
        "| invariant | before | after |" if before else "| invariant | verdict |",
        "|---|---|---|" if before else "|---|---|",
    ]
    for r in results:
        mark = _MARKS.get(r.verdict, "")
        was = ""
        if before is not None:
            old = before.verdict_before(r.name)
            was = f" {old.value if old else '-'} |"
        lines.append(f"| {_esc(r.name)} |{was} {r.verdict.value}{mark} |")
    for r in [*refuted, *unknown]:
        lines += ["", f"**{_esc(r.name)}** ({r.verdict.value}): {_esc(r.title)}"]
        if r.verdict is Verdict.UNKNOWN and r.reason:
            lines.append(f"- reason: {_esc(r.reason)}")
        for example in r.counterexamples[:1]:
            lines.append(f"- counterexample: {_esc(summarize_counterexample(example))}")
        lines += [f"- in the plan: {_esc(where)}" for where in changed_in_plan(r)]
    return lines


def verdicts_markdown(report: ProveReport) -> str:
    """``prove --format markdown`` on a bundle alone."""
    title = f"### cksmodel prove: account {_esc(report.account_id)} (`{_esc(report.account)}`)"
    return "\n".join(_verdicts(report, title, None)) + "\n"


def prove_markdown(proof: ChangeProof, *, plan: str) -> str:
    """The verdicts before and after the plan, why each non-PROVED one is so and where in the
    plan, then the approximations."""
    title = f"### cksmodel prove: `{_esc(plan)}` on account {_esc(proof.after.account_id)}"
    lines = _verdicts(proof.after, title, proof)
    return "\n".join([*lines, *_approximations(proof.applied)]) + "\n"


def diff_markdown(
    diffs: list[PermissionDiff], applied: AppliedPlan, *, label: str, plan: str
) -> str:
    """Per principal: how many actions gained and lost; then each gained and lost action
    with its witness; then the approximations."""
    from cksmodel.invariants.reports import summarize_counterexample

    changed = [d for d in diffs if d.gained or d.lost or d.undecided]
    lines = [
        f"### cksmodel diff: `{_esc(plan)}` on account {_esc(applied.account.account_id)}",
        "",
    ]
    if not changed:
        lines.append(f"No change in access for the {len(diffs)} principals of `{_esc(label)}`.")
    else:
        lines += ["| principal | gained | lost | undecided |", "|---|---|---|---|"]
        lines += [
            f"| {_esc(d.principal)} | {len(d.gained)} | {len(d.lost)} | {len(d.undecided)} |"
            for d in changed
        ]
    for d in changed:
        rows = [("gained", pair) for pair in d.gained] + [("lost", pair) for pair in d.lost]
        rows += [("undecided", pair) for pair in d.undecided]
        lines += ["", f"<details><summary>{_esc(d.principal)}</summary>", ""]
        for kind, (action, resource) in rows[:MAX_ROWS]:
            witness = d.witness((action, resource))
            how = f" — {_esc(summarize_counterexample(witness))}" if witness else ""
            lines.append(f"- {kind}: {_esc(action)} on {_esc(resource)}{how}")
        if len(rows) > MAX_ROWS:
            lines.append(f"- … and {len(rows) - MAX_ROWS} more")
        lines += ["", "</details>"]
    lines += _approximations(applied)
    return "\n".join(lines) + "\n"
