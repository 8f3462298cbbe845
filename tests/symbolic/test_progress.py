"""The progress hook: what the prover, the graph builders and the checks report through it,
and that the default reports nothing and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.errors import InputError
from cksmodel.graph import build_graph, who_can
from cksmodel.graph.goal import goal_graph
from cksmodel.invariants.prove import prove
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.parse import load_policy
from cksmodel.symbolic.checks import check_no_new_access
from cksmodel.symbolic.progress import check_progress, no_progress

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cks-account"
SPECS = sorted((REPO / "specs").glob("*.spec"))


@dataclass
class Recorder:
    """A progress hook keeping every report."""

    calls: list[tuple[str, int, int | None, str]] = field(default_factory=list)

    def __call__(self, task: str, done: int, total: int | None = None, note: str = "") -> None:
        self.calls.append((task, done, total, note))

    def of(self, task: str) -> list[tuple[int, int | None, str]]:
        return [(d, t, n) for k, d, t, n in self.calls if k == task]


def well_ordered(reports: list[tuple[int, int | None, str]]) -> bool:
    """Counts only grow within one pass (a new pass starts again from 0), never pass the
    total, and the last report is the total."""
    if any(total is not None and done > total for done, total, _ in reports):
        return False
    if any(after < done and after != 0 for (done, _, _), (after, _, _) in pairwise(reports)):
        return False
    last_done, last_total, _ = reports[-1]
    return last_total is None or last_done == last_total


def test_prove_reports_each_invariant_then_the_total() -> None:
    account = load_bundle(EXAMPLE)
    recorder = Recorder()
    report = prove(SPECS, account, progress=recorder)
    invariants = recorder.of("invariants")
    total = len(report.results)
    assert [d for d, _, _ in invariants] == [*range(total), total]
    assert {t for _, t, _ in invariants} == {total}
    assert [n for _, _, n in invariants[:-1]] == [r.name for r in report.results]
    principals = recorder.of("principals")
    assert principals and well_ordered(principals)
    assert {t for _, t, _ in principals} == {len(account.principals)}


def test_prove_reports_the_same_verdicts_with_or_without_a_hook() -> None:
    account = load_bundle(EXAMPLE)
    quiet = prove(SPECS, account)
    hooked = prove(SPECS, account, progress=Recorder())
    assert [(r.name, r.verdict, r.counterexamples) for r in quiet.results] == [
        (r.name, r.verdict, r.counterexamples) for r in hooked.results
    ]


def test_the_whole_graph_reports_principals_then_their_edges() -> None:
    recorder = Recorder()
    g = build_graph(EXAMPLE, progress=recorder)
    principals = recorder.of("principals")
    edges = recorder.of("edges from principals")
    assert principals and well_ordered(principals) and edges and well_ordered(edges)
    assert principals[-1][0] == edges[-1][0]
    assert recorder.calls.index(("principals", *principals[-1])) < recorder.calls.index(
        ("edges from principals", *edges[0])
    )
    assert g.stats.actors >= principals[-1][0]


def test_a_question_reports_direct_callers_and_its_search() -> None:
    recorder = Recorder()
    g = goal_graph(load_bundle(EXAMPLE), progress=recorder)
    answer = who_can(g, "kms:DeleteCustomKeyStore")
    assert answer.principals
    for task in ("principals", "direct callers", "modifications"):
        assert recorder.of(task) and well_ordered(recorder.of(task)), task
    assert recorder.of("paths searched")


def test_a_check_reports_its_phases_and_counterexamples() -> None:
    old = load_policy(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",'
        ' "Resource": "*"}]}',
        policy_type=PolicyType.IDENTITY,
        name="policy",
    )
    new = load_policy(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*",'
        ' "Resource": "*"}]}',
        policy_type=PolicyType.IDENTITY,
        name="policy",
    )
    recorder = Recorder()
    result = check_no_new_access(
        old, new, identity=True, timeout=30, max_examples=2, progress=recorder
    )
    assert result.result == "FAIL"
    reports = recorder.of("counterexamples")
    assert [n for _, _, n in reports][:2] == ["encoding", "solving"]
    assert "replaying" in {n for _, _, n in reports}
    assert {t for _, t, _ in reports} == {2}
    assert max(d for d, _, _ in reports) == 1


def test_the_default_hook_reports_nothing() -> None:
    assert no_progress("invariants", 1, 2, "x") is None


@pytest.mark.parametrize("value", [None, 3, "progress"])
def test_a_hook_that_is_not_callable_is_refused(value: object) -> None:
    with pytest.raises(InputError, match="progress: expected a callable progress hook"):
        check_progress("progress", value)
    with pytest.raises(TypeError):
        prove(SPECS, EXAMPLE, progress=value)  # type: ignore[arg-type]
