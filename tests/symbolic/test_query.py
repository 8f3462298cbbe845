"""Symbolic questions (``symbolic.query``): can, always_denies, implies, equivalent, compare.

Principles under test (DESIGN.md): PROVED must mean proved, UNKNOWN is honest
(a timeout or an approximation is never a PROVED), and every counterexample is
a concrete request that the evaluator confirms.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cksmodel.concrete.evaluate import evaluate
from cksmodel.concrete.request import PrincipalKind, Request, parse_principal
from cksmodel.concrete.scenario import load_scenario, simulate
from cksmodel.policy.ir import PolicySet, PolicyType
from cksmodel.policy.parse import load_policy
from cksmodel.policy.patterns import split_arn
from cksmodel.symbolic.encode import Encoder
from cksmodel.symbolic.logic import Term, and_, not_
from cksmodel.symbolic.query import (
    Answer,
    Counterexample,
    Relation,
    Verdict,
    always_denies,
    can,
    compare,
    equivalent,
    implies,
    symbolic_decision,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "scenarios" / "key-user-decrypt.json"
ACCOUNT = "111122223333"
OTHER = "444455556666"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
V2012 = "2012-10-17"
Json = dict[str, Any]


def doc(*statements: Json) -> Json:
    return {"Version": V2012, "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> Json:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def identity(*statements: Json) -> PolicySet:
    return PolicySet(
        identity=(load_policy(doc(*statements), policy_type=PolicyType.IDENTITY, name="iam"),)
    )


def with_condition(condition: Json | None, action: str = "s3:GetObject") -> PolicySet:
    statement = allow(action)
    if condition is not None:
        statement["Condition"] = condition
    return identity(statement)


NINES = "9" * 44


@pytest.mark.parametrize(
    ("wide", "narrow", "low", "high"),
    [
        pytest.param(
            {"NumericLessThan": {"s3:max-keys": NINES + "9"}},
            {"NumericLessThanEquals": {"s3:max-keys": NINES + "8"}},
            NINES + "8",
            NINES + "9",
            id="between-45-digit-integers",
        ),
        pytest.param(
            {"NumericLessThan": {"s3:max-keys": "0." + NINES + "9"}},
            {"NumericLessThanEquals": {"s3:max-keys": "0." + NINES + "8"}},
            "0." + NINES + "8",
            "0." + NINES + "9",
            id="between-45-digit-fractions",
        ),
        pytest.param(
            {"NumericGreaterThan": {"s3:max-keys": "9" * 999}},
            {"NumericGreaterThanEquals": {"s3:max-keys": "1" + "0" * 999}},
            "9" * 999,
            "1" + "0" * 999,
            id="between-1000-digit-integers",
        ),
        pytest.param(
            {"NumericGreaterThan": {"s3:max-keys": "9" * 1000}},
            {"NumericGreaterThan": {"s3:max-keys": "1" + "0" * 1000}},
            "9" * 1000,
            "1" + "0" * 1001,
            id="a-policy-number-beyond-1000-digits-is-no-number",
        ),
    ],
)
def test_witnesses_between_long_numeric_bounds_replay(
    wide: Json, narrow: Json, low: str, high: str
) -> None:
    w, n = with_condition(wide), with_condition(narrow)
    answer = implies(w, n)
    assert_confirmed(answer, w, n)
    value = Decimal(str(answer.counterexamples[0].request.context["s3:max-keys"]))
    assert Decimal(low) < value < Decimal(high)


DEFAULT_KEY_POLICY = {
    "Version": V2012,
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}

KEY_USER_IAM = doc(
    allow(
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*",
        Sid="UseStoreKeys",
    )
)


def key_set(key_policy: Json, *iam: Json) -> PolicySet:
    return PolicySet(
        identity=tuple(
            load_policy(d, policy_type=PolicyType.IDENTITY, name=f"iam{i}")
            for i, d in enumerate(iam)
        ),
        resource=load_policy(key_policy, policy_type=PolicyType.KEY, name="key"),
    )


def decision(request: Request, policies: PolicySet) -> str:
    return evaluate(request, policies).decision.value


# --------------------------------------------------------------------------- readability

ACCOUNT_ID = re.compile(r"^\d{12}$")
IP_KEYS = {"aws:sourceip", "aws:vpcsourceip"}
DATE_KEYS = {"aws:currenttime", "aws:tokenissuetime"}
NUMERIC_KEYS = {"s3:max-keys", "aws:multifactorauthage", "aws:epochtime"}


def assert_readable(example: Counterexample) -> None:
    """The request JSON is something a person can read, paste into a scenario and replay."""
    request = example.to_json()["request"]
    json.dumps(request)  # plain JSON
    principal = request["principal"]
    parsed = parse_principal(principal, role_arn=request.get("principal_role_arn"))
    if parsed.kind not in (PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS):
        parts = split_arn(principal)
        assert parts is not None, principal
        assert ACCOUNT_ID.match(parts[4]), principal
        assert parsed.account is not None and ACCOUNT_ID.match(parsed.account)
    if parsed.kind is PrincipalKind.SERVICE:
        assert principal.endswith(".amazonaws.com"), principal
    if "principal_role_arn" in request:
        role = split_arn(request["principal_role_arn"])
        assert role is not None and ACCOUNT_ID.match(role[4])
    resource = request["resource"]
    if resource != "*":
        parts = split_arn(resource)
        assert parts is not None, f"resource {resource!r} is not an ARN"
        assert parts[4] == "" or ACCOUNT_ID.match(parts[4]), resource
    if "resource_account" in request:
        assert ACCOUNT_ID.match(request["resource_account"]), request["resource_account"]
    for key, value in request["context"].items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if key.lower() in IP_KEYS:
                ipaddress.ip_address(v)
            elif key.lower() in DATE_KEYS:
                datetime.fromisoformat(v)
            elif key.lower() in NUMERIC_KEYS:
                Decimal(v)


def assert_confirmed(answer: Answer, allowed_by: PolicySet, denied_by: PolicySet | None) -> None:
    """REFUTED, and every counterexample is readable and confirmed by the evaluator."""
    assert answer.verdict is Verdict.REFUTED, answer
    assert answer.counterexamples
    for example in answer.counterexamples:
        assert_readable(example)
        assert decision(example.request, allowed_by) == "allowed"
        if denied_by is not None:
            assert decision(example.request, denied_by) != "allowed"


# --------------------------------------------------------------------------- can / always_denies


def test_empty_policy_set_allows_only_the_account_root() -> None:
    """No policies at all: the model lets an account root act in its own account (it needs
    no identity-based allow), so the set does not always deny, and the witness says so."""
    empty = PolicySet()
    answer = always_denies(empty)
    assert_confirmed(answer, empty, None)
    assert answer.counterexamples[0].request.principal.kind is PrincipalKind.ROOT


DENY_ALL_SCP = {"Version": V2012, "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(
    "policies",
    [
        pytest.param(
            PolicySet(scps=((load_policy(DENY_ALL_SCP, policy_type=PolicyType.SCP, name="scp"),),)),
            id="deny-all-scp-proved",
        ),
        pytest.param(PolicySet(scps=((),)), id="empty-scp-level-proved"),
    ],
)
def test_always_denies_proved(policies: PolicySet) -> None:
    answer = always_denies(policies)
    assert answer.verdict is Verdict.PROVED, answer
    assert answer.counterexamples == ()
    assert answer.approximations == ()


def test_deny_all_scp_does_not_restrict_service_linked_roles() -> None:
    """SCPs do not apply to service-linked roles: with an identity allow, one is allowed."""
    policies = PolicySet(
        identity=identity(allow("kms:*")).identity,
        scps=((load_policy(DENY_ALL_SCP, policy_type=PolicyType.SCP, name="scp"),),),
    )
    answer = always_denies(policies)
    assert_confirmed(answer, policies, None)
    example = answer.counterexamples[0].request
    assert example.principal.is_service_linked_role
    assert "/aws-service-role/" in (example.principal.role_arn or "")


def test_default_key_policy_and_iam_allow_can_allow() -> None:
    policies = key_set(DEFAULT_KEY_POLICY, KEY_USER_IAM)
    answer = can(policies)
    assert_confirmed(answer, policies, None)
    assert answer.counterexamples[0].decisions == {"policies": "allowed"}


KEY_POLICY_FOR_ROLE = {
    "Version": V2012,
    "Statement": [
        {
            "Sid": "KeyAdminRoleOnly",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/key-admin"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


@pytest.mark.parametrize(
    ("key_policy", "expected"),
    [
        pytest.param(DEFAULT_KEY_POLICY, Verdict.REFUTED, id="default-key-policy-refuted-allowed"),
        pytest.param(
            KEY_POLICY_FOR_ROLE, Verdict.PROVED, id="key-policy-without-root-proved-denied"
        ),
    ],
)
def test_can_with_a_fixed_request(key_policy: Json, expected: Verdict) -> None:
    """The key policy must delegate to IAM before alice's IAM allow counts."""
    policies = key_set(key_policy, KEY_USER_IAM)
    request = Request(principal=parse_principal(ALICE), action="kms:Decrypt", resource=KEY)
    answer = can(policies, fixed=request)
    assert answer.verdict is expected, answer
    assert (decision(request, policies) == "allowed") is (expected is Verdict.REFUTED)
    if expected is Verdict.REFUTED:
        assert answer.counterexamples[0].request.action == "kms:Decrypt"
        assert answer.counterexamples[0].request.resource == KEY


def test_max_examples_are_distinct_and_confirmed() -> None:
    policies = key_set(DEFAULT_KEY_POLICY, KEY_USER_IAM)
    answer = can(policies, max_examples=3)
    assert_confirmed(answer, policies, None)
    assert len(answer.counterexamples) == 3
    shown = {json.dumps(c.to_json()["request"], sort_keys=True) for c in answer.counterexamples}
    assert len(shown) == 3


# --------------------------------------------------------------------------- implies / equivalent

SCENARIO_SET = load_scenario(EXAMPLE)[1]


@pytest.mark.parametrize(
    "policies",
    [
        pytest.param(SCENARIO_SET, id="example-scenario-implies-itself-proved"),
        pytest.param(
            key_set(DEFAULT_KEY_POLICY, KEY_USER_IAM), id="key-user-implies-itself-proved"
        ),
        pytest.param(
            with_condition({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}),
            id="ip-condition-implies-itself-proved",
        ),
        pytest.param(PolicySet(), id="empty-implies-itself-proved"),
    ],
)
def test_implies_self_is_proved(policies: PolicySet) -> None:
    answer = implies(policies, policies)
    assert answer.verdict is Verdict.PROVED, answer
    assert answer.counterexamples == ()


KEY_POLICY_WITH_ADMIN_ROLE = {
    **DEFAULT_KEY_POLICY,
    "Statement": DEFAULT_KEY_POLICY["Statement"] + KEY_POLICY_FOR_ROLE["Statement"],
}

NARROW_WIDE = [
    pytest.param(
        key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Decrypt", KEY))),
        key_set(DEFAULT_KEY_POLICY, doc(allow("kms:*", KEY))),
        id="action-kms-star",
    ),
    pytest.param(
        key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Decrypt", KEY))),
        key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Decrypt", f"arn:aws:kms:*:{ACCOUNT}:key/*"))),
        id="resource-key-star",
    ),
    pytest.param(
        key_set(DEFAULT_KEY_POLICY, doc(allow(["kms:Decrypt", "kms:Encrypt"], KEY))),
        key_set(
            DEFAULT_KEY_POLICY,
            doc(allow("kms:Decrypt", KEY), allow("kms:Encrypt", KEY), allow("kms:ReEncrypt*", KEY)),
        ),
        id="extra-statement",
    ),
    pytest.param(
        key_set(DEFAULT_KEY_POLICY, KEY_USER_IAM),
        key_set(KEY_POLICY_WITH_ADMIN_ROLE, KEY_USER_IAM),
        id="key-policy-naming-admin-role",
    ),
    pytest.param(
        identity(
            allow("kms:*"), {"Effect": "Deny", "Action": "kms:*CustomKeyStore*", "Resource": "*"}
        ),
        identity(allow("kms:*")),
        id="deny-removes-store-admin",
    ),
]


@pytest.mark.parametrize(("narrow", "wide"), NARROW_WIDE)
def test_implies_narrow_wide(narrow: PolicySet, wide: PolicySet) -> None:
    forward = implies(narrow, wide)
    assert forward.verdict is Verdict.PROVED, forward
    backward = implies(wide, narrow)
    assert_confirmed(backward, wide, narrow)
    example = backward.counterexamples[0]
    assert example.decisions["a"] == "allowed" and example.decisions["b"] != "allowed"


CONDITION_PAIRS = [
    pytest.param(
        {"StringLike": {"aws:PrincipalTag/team": "pay*"}},
        {"StringLike": {"aws:PrincipalTag/team": "p*"}},
        id="string-like-prefix",
    ),
    pytest.param(
        {"StringEquals": {"aws:PrincipalTag/team": "payments"}},
        {"StringNotEquals": {"aws:PrincipalTag/team": "fraud"}},
        id="string-equals-within-not-equals",
    ),
    pytest.param(
        {"StringEquals": {"aws:PrincipalTag/team": "Payments"}},
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "payments"}},
        id="string-equals-within-ignore-case",
    ),
    pytest.param(
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::payments-*"}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::pay*"}},
        id="arn-like",
    ),
    pytest.param(
        {"NumericLessThan": {"s3:max-keys": "10"}},
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        id="numeric-less-than-equals",
    ),
    pytest.param(
        {"DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}},
        {"DateGreaterThan": {"aws:CurrentTime": "1704067200"}},
        id="date-iso-and-epoch",
    ),
    pytest.param({"Bool": {"aws:SecureTransport": "true"}}, None, id="bool"),
    pytest.param(
        {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        id="ip-v4",
    ),
    pytest.param(
        {"IpAddress": {"aws:SourceIp": "2001:db8:1::/48"}},
        {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}},
        id="ip-v6",
    ),
    pytest.param(
        {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
        id="not-ip-address",
    ),
    pytest.param({"Null": {"aws:SourceVpc": "false"}}, None, id="null-false"),
    pytest.param(
        {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
        {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
        id="if-exists-admits-missing-key",
    ),
    pytest.param(
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["app"]}},
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["app", "env"]}},
        id="for-all-values",
    ),
    pytest.param(
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["app"]}},
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["app", "env"]}},
        id="for-any-value",
    ),
    pytest.param(
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["app"]}, "Null": {"aws:TagKeys": "false"}},
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["app"]}},
        id="for-all-values-present-within-for-any-value",
    ),
]


@pytest.mark.parametrize(("narrow", "wide"), CONDITION_PAIRS)
def test_condition_families(narrow: Json, wide: Json | None) -> None:
    """The narrow condition implies the wide one (PROVED); the converse is REFUTED by a
    request the evaluator allows under the wide condition and denies under the narrow."""
    n, w = with_condition(narrow), with_condition(wide)
    forward = implies(n, w)
    assert forward.verdict is Verdict.PROVED, forward
    backward = implies(w, n)
    assert_confirmed(backward, w, n)
    assert forward.approximations == () and backward.approximations == ()


def test_missing_key_counterexample_for_if_exists() -> None:
    answer = implies(
        with_condition({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}),
        with_condition({"StringEquals": {"aws:SourceVpc": "vpc-1"}}),
    )
    assert answer.verdict is Verdict.REFUTED
    assert "aws:sourcevpc" not in {k.lower() for k in answer.counterexamples[0].request.context}


def test_counterexample_json_replays_through_a_scenario() -> None:
    """The request JSON of a counterexample, pasted into a scenario, gets the same decision."""
    wide = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    narrow = {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}
    answer = implies(with_condition(wide), with_condition(narrow))
    assert answer.verdict is Verdict.REFUTED
    request = answer.counterexamples[0].to_json()["request"]
    for condition, expected in ((wide, "allowed"), (narrow, "implicitDeny")):
        statement = allow("s3:GetObject", Condition=condition)
        scenario = {"request": request, "identity_policies": [doc(statement)]}
        assert simulate(scenario).decision.value == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            identity(allow(["kms:Decrypt", "kms:Encrypt"], KEY)),
            identity(allow("kms:Encrypt", KEY), allow("kms:Decrypt", KEY)),
            Verdict.PROVED,
            id="split-statements-equivalent-proved",
        ),
        pytest.param(
            identity(allow("kms:generatedatakey*", KEY)),
            identity(
                allow(
                    [
                        "kms:GenerateDataKey",
                        "kms:GenerateDataKeyPair",
                        "kms:GenerateDataKeyPairWithoutPlaintext",
                        "kms:GenerateDataKeyWithoutPlaintext",
                    ],
                    KEY,
                )
            ),
            Verdict.PROVED,
            id="wildcard-equals-catalog-expansion-proved",
        ),
        pytest.param(
            key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Decrypt", KEY))),
            key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Decrypt", KEY.upper()))),
            Verdict.REFUTED,
            id="resource-part-case-matters-refuted",
        ),
        # IAM User Guide (Resource element): actions without resource-level permissions apply
        # to all resources of their service, so arn:aws:s3:::* grants s3:ListAllMyBuckets as
        # "*" does (the S3 walkthrough's policy); the evaluator agrees (replayed answers).
        pytest.param(
            identity(allow("s3:ListAllMyBuckets", "arn:aws:s3:::*")),
            identity(allow("s3:ListAllMyBuckets", "*")),
            Verdict.PROVED,
            id="whole-service-arn-equals-star-for-an-action-without-resource-type-proved",
        ),
        pytest.param(
            identity(allow("s3:ListAllMyBuckets", "arn:aws:s3:::a*")),
            identity(allow("s3:ListAllMyBuckets", "*")),
            Verdict.REFUTED,
            id="some-buckets-arn-differs-from-star-for-an-action-without-resource-type-refuted",
        ),
    ],
)
def test_equivalent(a: PolicySet, b: PolicySet, expected: Verdict) -> None:
    answer = equivalent(a, b)
    assert answer.verdict is expected, answer
    for example in answer.counterexamples:
        assert_readable(example)
        assert decision(example.request, a) != decision(example.request, b)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            identity(allow(["kms:Decrypt", "kms:Encrypt"])),
            identity(allow("kms:Encrypt"), allow("kms:Decrypt")),
            Relation.EQUIVALENT,
            id="equivalent",
        ),
        pytest.param(
            identity(allow("kms:*")),
            identity(allow("kms:Decrypt")),
            Relation.MORE_PERMISSIVE,
            id="more-permissive",
        ),
        pytest.param(
            identity(allow("kms:Decrypt")),
            identity(allow("kms:*")),
            Relation.LESS_PERMISSIVE,
            id="less-permissive",
        ),
        pytest.param(
            key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Decrypt"))),
            key_set(DEFAULT_KEY_POLICY, doc(allow("kms:Encrypt"))),
            Relation.INCOMPARABLE,
            id="incomparable",
        ),
    ],
)
def test_compare(a: PolicySet, b: PolicySet, expected: Relation) -> None:
    result = compare(a, b)
    assert result.relation is expected
    for example in result.only_a.counterexamples:
        assert_readable(example)
        assert decision(example.request, a) == "allowed"
        assert decision(example.request, b) != "allowed"
    for example in result.only_b.counterexamples:
        assert_readable(example)
        assert decision(example.request, b) == "allowed"
        assert decision(example.request, a) != "allowed"
    out = result.to_json()
    assert out["result"] == expected.value
    assert bool(out["allowed_only_by_a"]) is (
        expected in (Relation.MORE_PERMISSIVE, Relation.INCOMPARABLE)
    )
    assert bool(out["allowed_only_by_b"]) is (
        expected in (Relation.LESS_PERMISSIVE, Relation.INCOMPARABLE)
    )


# --------------------------------------------------------------------------- timeouts

TINY = 1e-6


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(lambda: can(SCENARIO_SET, timeout=TINY), id="can-unknown"),
        pytest.param(lambda: always_denies(PolicySet(), timeout=TINY), id="always-denies-unknown"),
        pytest.param(
            lambda: implies(SCENARIO_SET, SCENARIO_SET, timeout=TINY), id="implies-unknown"
        ),
        pytest.param(
            lambda: equivalent(SCENARIO_SET, SCENARIO_SET, timeout=TINY), id="equivalent-unknown"
        ),
    ],
)
def test_tiny_timeout_is_unknown_never_proved(question: Any) -> None:
    answer = question()
    assert answer.verdict is Verdict.UNKNOWN
    assert "timeout" in answer.reason
    assert answer.counterexamples == ()


def test_tiny_timeout_compare_is_unknown() -> None:
    result = compare(SCENARIO_SET, SCENARIO_SET, timeout=TINY)
    assert result.relation is Relation.UNKNOWN
    assert "timeout" in result.to_json()["reason"]


def test_symbolic_decision_with_tiny_timeout_is_undecided() -> None:
    request, policies = load_scenario(EXAMPLE)
    assert symbolic_decision(request, policies, timeout=TINY) is None


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(
            {"aws:SourceIp": "10.20.30.40", "kms:EncryptionContext:app": "payments"},
            id="inside-network-allowed",
        ),
        pytest.param(
            {"aws:SourceIp": "192.0.2.1", "kms:EncryptionContext:app": "payments"},
            id="outside-network-explicit-deny",
        ),
        pytest.param({"aws:SourceIp": "10.20.30.40"}, id="no-encryption-context-implicit-deny"),
    ],
)
def test_symbolic_decision_agrees_with_evaluator(context: Json) -> None:
    scenario = json.loads(EXAMPLE.read_text())
    scenario["request"]["context"] = context
    request, policies = load_scenario(scenario)
    assert symbolic_decision(request, policies) == decision(request, policies)


ARN_VARIABLE_CASES = [
    pytest.param(
        "arn:aws:s3:::logs-${aws:PrincipalAccount}/*",
        "arn:aws:s3:::logs-111122223333/today",
        "allowed",
        id="variable-in-resource-part-expanded-and-matched",
    ),
    pytest.param(
        "arn:aws:s3:::logs-${aws:PrincipalAccount}/*",
        "arn:aws:s3:::logs-999999999999/today",
        "implicitDeny",
        id="variable-in-resource-part-expanded-and-not-matched",
    ),
    pytest.param(
        "arn:aws:sns:*:${aws:PrincipalAccount}:topic",
        "arn:aws:sns:us-east-1:111122223333:topic",
        "implicitDeny",
        id="variable-in-account-part-is-not-expanded",
    ),
    # The pattern of an AWS managed policy; the IAM User Guide (policy variables) says a
    # variable cannot replace the account, so evaluator and encoder both read it literally.
    pytest.param(
        "arn:*:kms:*:${aws:PrincipalAccount}:key/*",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
        "implicitDeny",
        id="aws-managed-variable-in-kms-key-account-is-literal-text",
    ),
    pytest.param(
        "arn:aws:sns:*:${aws:NoSuchKey}:topic",
        "arn:aws:sns:us-east-1:${aws:NoSuchKey}:topic",
        "allowed",
        id="unresolved-variable-in-account-part-is-literal-text",
    ),
    pytest.param(
        "arn:aws:s3:::${aws:NoSuchKey}/*",
        "arn:aws:s3:::bucket/x",
        "implicitDeny",
        id="unresolved-variable-matches-nothing",
    ),
    pytest.param(
        "arn:aws:s3:::${aws:NoSuchKey, 'fallback'}/*",
        "arn:aws:s3:::fallback/x",
        "allowed",
        id="default-value-used-when-unresolved",
    ),
]


@pytest.mark.parametrize(("pattern", "source_arn", "expected"), ARN_VARIABLE_CASES)
def test_pinned_arn_condition_with_variable_is_decided_exactly(
    pattern: str, source_arn: str, expected: str
) -> None:
    scenario = {
        "request": {
            "principal": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "action": "kms:DescribeCustomKeyStores",
            "resource": "*",
            "context": {"aws:SourceArn": source_arn},
        },
        "identity_policies": [
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": "kms:DescribeCustomKeyStores",
                    "Resource": "*",
                    "Condition": {"ArnLike": {"aws:SourceArn": pattern}},
                },
            }
        ],
    }
    request, policies = load_scenario(scenario)
    assert decision(request, policies) == expected
    assert symbolic_decision(request, policies) == expected


# --------------------------------------------------------------------------- approximations

PINNED = {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:PrincipalType": "User"}}


def test_policy_variable_in_resource_is_never_a_wrong_proof() -> None:
    """``${aws:username}`` in a resource with a symbolic caller is approximated. User bob
    reading ``bucket/bob/...`` is allowed by the per-user policy but not by the alice-only
    one, so 'per-user implies alice-only' must be REFUTED or UNKNOWN, never PROVED."""
    per_user = identity(
        allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*", Condition=PINNED)
    )
    alice_only = identity(allow("s3:GetObject", "arn:aws:s3:::bucket/alice/*", Condition=PINNED))
    bob = Request(
        principal=parse_principal(f"arn:aws:iam::{ACCOUNT}:user/bob"),
        action="s3:GetObject",
        resource="arn:aws:s3:::bucket/bob/report.csv",
    )
    assert decision(bob, per_user) == "allowed" and decision(bob, alice_only) == "implicitDeny"
    answer = implies(per_user, alice_only)
    assert answer.approximations
    assert any("policy variable" in a.reason for a in answer.approximations)
    assert answer.verdict is not Verdict.PROVED, answer
    if answer.verdict is Verdict.REFUTED:
        assert_confirmed(answer, per_user, alice_only)


TEAM_TAGS = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
HOME = "arn:aws:s3:::bucket/home/${aws:username}/*"
ROTATION = {"StringLike": {"aws:userid": "*:rotation-*"}}
HOME_PREFIXES = {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}

VARIABLE_IMPLICATIONS = [
    pytest.param(
        [allow("ec2:StopInstances", "*", Condition=TEAM_TAGS), allow("ec2:Describe*")],
        [allow("ec2:Describe*"), allow("ec2:StopInstances", "*", Condition=TEAM_TAGS)],
        Verdict.PROVED,
        id="same-variable-condition-in-both-policies-is-one-construct-proved",
    ),
    pytest.param(
        [allow("ec2:*", "*", Condition=TEAM_TAGS)],
        [allow("ec2:StopInstances", "*", Condition=TEAM_TAGS)],
        Verdict.REFUTED,
        id="widened-action-under-a-tag-equality-refuted-with-equal-tags",
    ),
    pytest.param(
        [allow(["s3:GetObject", "s3:PutObject"], HOME)],
        [allow("s3:GetObject", HOME)],
        Verdict.REFUTED,
        id="widened-action-on-a-per-user-resource-refuted-inside-the-home",
    ),
    pytest.param(
        [
            allow(
                "s3:GetObject",
                HOME,
                Condition={"StringEquals": {"aws:PrincipalType": "AssumedRole"}},
            )
        ],
        [],
        Verdict.PROVED,
        id="username-resource-never-matches-a-role-session-proved",
    ),
    pytest.param(
        [allow("s3:ListAllMyBuckets", "arn:aws:s3:::bucket/${aws:username}")],
        [],
        Verdict.PROVED,
        id="star-only-action-never-matches-an-arn-with-a-variable-proved",
    ),
    pytest.param(
        [
            allow("s3:*", "arn:aws:s3:::bucket", Condition=HOME_PREFIXES),
            allow("s3:GetObjectVersion", HOME),
        ],
        [
            allow("s3:ListBucket", "arn:aws:s3:::bucket", Condition=HOME_PREFIXES),
            allow("s3:GetObjectVersion", HOME),
        ],
        Verdict.REFUTED,
        id="widened-action-under-a-per-user-prefix-refuted-with-a-fixed-prefix",
    ),
    pytest.param(
        [allow("secretsmanager:*", "*", Condition=ROTATION)],
        [allow("secretsmanager:PutSecretValue", "*", Condition=ROTATION)],
        Verdict.REFUTED,
        id="unique-id-condition-refuted-with-a-matching-userid",
    ),
]


def iam_callers(enc: Encoder) -> Term:
    """IAM users and role sessions, asking for anything but what AWS always allows."""
    return and_(
        enc.kind_in(PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE),
        not_(enc.action_where("sts:getcalleridentity".__eq__)),
    )


@pytest.mark.parametrize(("new", "old", "expected"), VARIABLE_IMPLICATIONS)
def test_policy_variables_with_a_symbolic_context(
    new: list[Json], old: list[Json], expected: Verdict
) -> None:
    """Approximated constructs (policy variables with a symbolic context, unique ids) do
    not stop a decision: one construct is one atom wherever it occurs, an atom only holds
    when its variables can expand, and a model through an atom is made concrete before
    replay. PROVED stays sound; REFUTED is replayed."""
    new_set = identity(*new)
    old_set = identity(*old) if old else PolicySet()
    if old:
        answer = implies(new_set, old_set, timeout=30)
    else:  # "no IAM user or role session is allowed anything" (an account root always is)
        answer = can(new_set, constraint=iam_callers, timeout=30)
    assert answer.approximations
    assert answer.verdict is expected, answer
    if expected is Verdict.REFUTED:
        assert_confirmed(answer, new_set, old_set)


def test_fixed_resource_does_not_imply_per_user_resource() -> None:
    """alice-only does not imply per-user: bob may read bucket/alice/... under the first."""
    per_user = identity(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))
    alice_only = identity(allow("s3:GetObject", "arn:aws:s3:::bucket/alice/*"))
    answer = implies(alice_only, per_user, timeout=10)
    assert answer.approximations
    assert answer.verdict is not Verdict.PROVED
    if answer.verdict is Verdict.REFUTED:
        assert_confirmed(answer, alice_only, per_user)


def test_bool_condition_with_yes_is_refuted_exactly() -> None:
    """The evaluator compares Bool values as text, so "yes" matches a request value "yes";
    the encoding gives the key the value "yes" too, so 'yes implies true' is REFUTED
    without approximation."""
    yes = with_condition({**PINNED, "Bool": {"aws:SecureTransport": "yes"}})
    true = with_condition({**PINNED, "Bool": {"aws:SecureTransport": "true"}})
    request = Request(
        principal=parse_principal(ALICE),
        action="s3:GetObject",
        resource="arn:aws:s3:::bucket/x",
        context={"aws:securetransport": "yes"},
    )
    assert decision(request, yes) == "allowed" and decision(request, true) == "implicitDeny"
    answer = implies(yes, true)
    assert not answer.approximations
    assert answer.verdict is Verdict.REFUTED, answer
    assert_confirmed(answer, yes, true)


def test_approximation_names_its_source_position() -> None:
    text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [{\n'
        '    "Effect": "Allow", "Action": "s3:GetObject",\n'
        '    "Resource": "arn:aws:s3:::bucket/${aws:username}/*"\n'
        "  }]\n"
        "}\n"
    )
    policy = load_policy(text, policy_type=PolicyType.IDENTITY, name="home", source="home.json")
    answer = implies(with_condition(None), PolicySet(identity=(policy,)), timeout=10)
    assert answer.approximations
    approx = answer.to_json()["approximations"][0]
    assert approx["source"] == "home.json"
    assert approx["line"] == 5


UNICODE_FOLDING = [
    pytest.param(
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "ss"}},
        {"StringEquals": {"aws:PrincipalTag/team": ["ss", "sS", "Ss", "SS"]}},
        {"aws:principaltag/team": "ß"},
        id="ignore-case-ss-matches-sharp-s-refuted",
    ),
    pytest.param(
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "k"}},
        {"StringEquals": {"aws:PrincipalTag/team": ["k", "K"]}},
        {"aws:principaltag/team": "\u212a"},
        id="ignore-case-k-matches-kelvin-sign-refuted",
    ),
    pytest.param(
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/x"}},
        {
            "StringLike": {
                "aws:SourceArn": [
                    "*:" + "".join(c) + ":*"
                    for c in itertools.product(*[(ch, ch.upper()) for ch in "kms"])
                ]
            }
        },
        {"aws:sourcearn": f"arn:aws:\u212ams:us-east-1:{ACCOUNT}:key/x"},
        id="arn-service-kelvin-sign-refuted",
    ),
]


@pytest.mark.parametrize(("a", "b", "context"), UNICODE_FOLDING)
def test_unicode_case_folding_is_never_a_wrong_proof(a: Json, b: Json, context: Json) -> None:
    """The evaluator folds case with Unicode rules; a request value the engine's
    case-insensitive patterns do not consider must not vanish into a PROVED."""
    pa, pb = with_condition(a), with_condition(b)
    request = Request(
        principal=parse_principal(ALICE), action="s3:GetObject", resource="*", context=context
    )
    assert decision(request, pa) == "allowed" and decision(request, pb) == "implicitDeny"
    answer = implies(pa, pb)
    assert answer.verdict is not Verdict.PROVED, answer


# --------------------------------------------------------------------------- readability


def test_counterexample_key_arns_are_complete() -> None:
    """A KMS key in a counterexample is written as a real key ARN: region, 12-digit
    account and key id, as a person would paste it into the console."""
    answer = can(SCENARIO_SET, max_examples=3)
    assert_confirmed(answer, SCENARIO_SET, None)
    for example in answer.counterexamples:
        parts = split_arn(example.request.resource)
        if parts is None or parts[2] != "kms":
            continue
        _, _, _, region, account, resource = parts
        assert region and ACCOUNT_ID.match(account) and resource.removeprefix("key/"), (
            example.request.resource
        )


def test_counterexample_with_ip_and_context_keys_is_readable() -> None:
    answer = can(SCENARIO_SET, max_examples=3)
    assert_confirmed(answer, SCENARIO_SET, None)
    spelled = {k for c in answer.counterexamples for k in c.to_json()["request"]["context"]}
    assert spelled <= {"aws:SourceIp", "aws:ViaAWSService", "kms:EncryptionContext:app"}
