"""Differential test: the symbolic encoding gives the evaluator's decision on random scenarios.

``symbolic_decision`` pins the symbolic request to the scenario's request and
asks the encoding for its decision; whenever it gives a word, that word must be
the evaluator's. A failure prints the scenario; shrink it further with
``python bench/bench_differential.py --minimize FILE.json`` and add it to
``test_differential_regressions.py``. The large run is
``bench/bench_differential.py``.
"""

from __future__ import annotations

import collections
import json
import random
from typing import Any

from hypothesis import HealthCheck, Phase, event, given, settings
from strategies import FEATURES, coverage, random_scenario, scenarios

from cksmodel.concrete.evaluate import evaluate
from cksmodel.concrete.scenario import load_scenario
from cksmodel.symbolic.query import free_decision_check, symbolic_decision

TIMEOUT = 10.0
"""Seconds per symbolic search; a timeout only makes a pair undecided."""

WORDS = ("allowed", "explicitDeny", "implicitDeny")


def decisions(scenario: dict[str, Any]) -> tuple[str, str | None]:
    request, policies = load_scenario(scenario)
    concrete = evaluate(request, policies).decision.value
    return concrete, symbolic_decision(request, policies, timeout=TIMEOUT)


SOLVER_EXAMPLES = settings(
    deadline=None,
    derandomize=True,
    database=None,
    # Each example runs the solver: shrinking a failure would take minutes, and the
    # failure message already holds the scenario (minimize it with the bench script).
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)


@settings(SOLVER_EXAMPLES, max_examples=300)
@given(scenarios())
def test_symbolic_decision_agrees_with_evaluator(scenario: dict[str, Any]) -> None:
    concrete, symbolic = decisions(scenario)
    event(f"evaluator {concrete}")
    event(f"symbolic {symbolic}")
    if symbolic is not None:
        assert symbolic == concrete, (
            f"evaluator {concrete}, symbolic {symbolic} for\n{json.dumps(scenario, indent=2)}"
        )


@settings(SOLVER_EXAMPLES, max_examples=15)
@given(scenarios())
def test_free_encoding_models_replay_and_never_exclude_the_request(
    scenario: dict[str, Any],
) -> None:
    """The unpinned encoding (what can, implies and prove search): every model of a
    decision word replays to that word, and the scenario's own word is never PROVED
    impossible (``bench_differential.py --mode unpinned`` is the large run)."""
    request, policies = load_scenario(scenario)
    check = free_decision_check(request, policies, timeout=TIMEOUT)
    event(f"own word found: {check.own is not None}")
    assert not check.problems, f"{check.problems} for\n{json.dumps(scenario, indent=2)}"


SAMPLE = 200
SEED = 20240601


def test_sample_is_not_vacuous() -> None:
    """A fixed seeded sample is mostly decided, reaches every decision, and covers the grammar."""
    rng = random.Random(SEED)
    concrete_words: collections.Counter[str] = collections.Counter()
    symbolic_words: collections.Counter[str | None] = collections.Counter()
    covered: set[str] = set()
    for _ in range(SAMPLE):
        scenario = random_scenario(rng)
        covered |= coverage(scenario)
        concrete, symbolic = decisions(scenario)
        concrete_words[concrete] += 1
        symbolic_words[symbolic] += 1
    decided = SAMPLE - symbolic_words[None]
    assert decided >= 0.9 * SAMPLE, f"only {decided} of {SAMPLE} decided: {symbolic_words}"
    for word in WORDS:
        assert concrete_words[word] >= 0.05 * SAMPLE, f"evaluator: {concrete_words}"
        assert symbolic_words[word] >= 0.05 * SAMPLE, f"symbolic: {symbolic_words}"
    missing = sorted(FEATURES - covered)
    assert not missing, f"the sample never produced: {missing}"
