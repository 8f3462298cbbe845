"""``when {...}`` is part of the question: a counterexample never contradicts it.

The store manager's trust is given conditions of every family (Bool, String, Numeric, Date,
IP); an invariant asks whether someone can assume the role with a given ``when`` map. The
answer must follow the map (PROVED when the map contradicts the trust's conditions), and every
counterexample's context must carry exactly the map's values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cksmodel.invariants.prove import prove
from cksmodel.invariants.spec import parse_spec
from cksmodel.notebook.whatif import AddStatement, Model, SetTrustPolicy
from cksmodel.symbolic.query import Verdict

REPO = Path(__file__).resolve().parents[2]
ERIN = "arn:aws:iam::111122223333:user/erin"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ERIN},
            "Action": "sts:AssumeRole",
            "Condition": {
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "StringEquals": {"sts:ExternalId": "tenant-7"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
            },
        }
    ],
}
SATISFYING = {
    "aws:MultiFactorAuthPresent": "true",
    "sts:ExternalId": "tenant-7",
    "aws:MultiFactorAuthAge": "60",
    "aws:CurrentTime": "2029-06-01T00:00:00Z",
    "aws:SourceIp": "203.0.113.9",
}
CONTRADICTING = {
    "aws:MultiFactorAuthPresent": "false",
    "sts:ExternalId": "tenant-8",
    "aws:MultiFactorAuthAge": "7200",
    "aws:CurrentTime": "2031-01-01T00:00:00Z",
    "aws:SourceIp": "198.51.100.1",
}


@pytest.fixture(scope="module")
def model() -> Model:
    base = Model.load(REPO / "examples" / "cks-account-broken")
    return base.what_if(SetTrustPolicy(role="cks-store-manager", document=TRUST))


def ask(model: Model, when: dict[str, str]) -> Any:
    pairs = ", ".join(f'"{k}": "{v}"' for k, v in when.items())
    spec = parse_spec(
        f"""invariant no_assume "Erin cannot assume the store manager role here":
  not can(user "erin", "sts:AssumeRole", role "cks-store-manager", when {{{pairs}}})
""",
        "when.spec",
    )
    (result,) = prove([spec], model.account, timeout=30, max_counterexamples=2).results
    return result


def context_of(example: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in example["request"].get("context", {}).items()}


@pytest.mark.parametrize("key", sorted(CONTRADICTING))
def test_a_when_value_that_contradicts_the_trust_condition_is_proved(
    model: Model, key: str
) -> None:
    assert ask(model, {key: CONTRADICTING[key]}).verdict is Verdict.PROVED


@pytest.mark.parametrize("key", sorted(SATISFYING))
def test_a_when_value_that_meets_the_trust_condition_is_refuted_with_that_value(
    model: Model, key: str
) -> None:
    result = ask(model, {key: SATISFYING[key]})
    assert result.verdict is Verdict.REFUTED
    for example in result.counterexamples:
        assert str(context_of(example)[key.lower()]).lower() == SATISFYING[key].lower()


def test_without_mfa_erin_cannot_assume_the_store_manager_on_the_broken_example() -> None:
    """The trust of the example requires MFA, so "without MFA" is PROVED (not a false REFUTED)."""
    account = Model.load(REPO / "examples" / "cks-account-broken").account
    spec = parse_spec(
        """invariant no_mfa "Nobody assumes the store manager role without MFA":
  forall p in account:
    not can(p, "sts:AssumeRole", role "cks-store-manager",
            when {"aws:MultiFactorAuthPresent": "false"})
""",
        "mfa.spec",
    )
    (result,) = prove([spec], account, timeout=30).results
    assert result.verdict is Verdict.PROVED


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.dictionaries(st.sampled_from(sorted(SATISFYING)), st.booleans(), min_size=1))
def test_no_counterexample_ever_contradicts_its_when_map(
    model: Model, choice: dict[str, bool]
) -> None:
    when = {k: (SATISFYING if meets else CONTRADICTING)[k] for k, meets in choice.items()}
    result = ask(model, when)
    expected = Verdict.REFUTED if all(choice.values()) else Verdict.PROVED
    assert result.verdict is expected
    for example in result.counterexamples:
        context = context_of(example)
        for key, value in when.items():
            assert str(context[key.lower()]).lower() == value.lower()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("false", Verdict.PROVED), ("true", Verdict.REFUTED)],
    ids=["not-for-an-aws-resource-is-proved", "for-an-aws-resource-is-refuted"],
)
def test_create_grant_follows_the_when_map(value: str, expected: Verdict) -> None:
    deny = {
        "Effect": "Deny",
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}},
    }
    base = Model.load(REPO / "examples" / "cks-account-broken")
    account = base.what_if(AddStatement(principal="ledger-app", statement=deny)).account
    spec = parse_spec(
        f"""invariant no_regrant "The ledger application cannot grant here":
  not can(role "ledger-app", "kms:CreateGrant", key *,
          when {{"kms:GrantIsForAWSResource": "{value}"}})
""",
        "grant.spec",
    )
    (result,) = prove([spec], account, timeout=30, max_counterexamples=2).results
    assert result.verdict is expected
    for example in result.counterexamples:
        assert str(context_of(example)["kms:grantisforawsresource"]).lower() == value
