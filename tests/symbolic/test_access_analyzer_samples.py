"""The public Access Analyzer custom-check samples for role trust policies, as published.

The 21 candidates of ``resource-policies/role-trust-policies`` (see
``tests/data/access-analyzer-samples/README.md``) are checked with check-no-new-access
against their reference policy, both given as ``RESOURCE_POLICY`` without a
``Resource`` element, and must be decided as labelled, every FAIL with a replayed
counterexample. ``bench/bench_samples.py`` runs all 207 candidates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cksmodel.concrete.evaluate import policy_allows
from cksmodel.policy.ir import PolicyType
from cksmodel.symbolic.checks import check_no_new_access, read_policy_argument

DATA = Path(__file__).resolve().parents[1] / "data" / "access-analyzer-samples" / "samples.json"
SAMPLES = json.loads(DATA.read_text(encoding="utf-8"))
TRUST = [c for c in SAMPLES["candidates"] if "/role-trust-policies/" in c["file"]]
SAMPLE_ACCOUNT = "111111111111"
"""The candidates' account; a reference writes ``<ACCOUNT ID>`` where the README says to
put yours."""


@pytest.mark.parametrize(
    "sample", TRUST, ids=[f"{c['file'].rpartition('/')[2][:-3]}-{c['candidate']}" for c in TRUST]
)
def test_trust_policy_sample_is_decided_as_labelled(sample: dict[str, Any]) -> None:
    reference = SAMPLES["references"][sample["file"]]["reference"]
    existing = read_policy_argument(
        reference.replace("<ACCOUNT ID>", SAMPLE_ACCOUNT),
        policy_type=PolicyType.RESOURCE,
        name="reference",
    )
    new = read_policy_argument(sample["policy"], policy_type=PolicyType.RESOURCE, name="candidate")
    assert existing.policy_type is new.policy_type is PolicyType.TRUST
    result = check_no_new_access(existing, new, identity=False, timeout=30.0, max_examples=1)
    assert result.result == sample["expected"], result.to_json()
    for example in result.answer.counterexamples:
        assert policy_allows(new, example.request)
        assert not policy_allows(existing, example.request)


def test_the_samples_are_all_there() -> None:
    assert len(SAMPLES["candidates"]) == 207
    assert len(TRUST) == 21
