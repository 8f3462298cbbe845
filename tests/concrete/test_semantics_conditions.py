"""Reference corpus: the Condition element and every condition operator family.

Each case puts one Condition block on an identity-policy Allow for ``s3:GetObject`` and varies
the request context; the expected decision is ``allowed`` when the condition holds and
``implicitDeny`` (blocked by the identity policy) when it does not. Sources, unless a comment
says otherwise: IAM "IAM JSON policy elements: Condition operators" and "Condition with
multiple context keys or values" / "Single-valued vs. multivalued context keys".
"""

from __future__ import annotations

from typing import Any

import pytest

import cksmodel

ALLOWED = "allowed"
EXPLICIT = "explicitDeny"
IMPLICIT = "implicitDeny"

ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
OBJ = "arn:aws:s3:::example-bucket/reports/q1.csv"
GET = "s3:GetObject"


def scenario_with(condition: dict, context: dict | None, *, effect: str = "Allow") -> dict:
    request: dict[str, Any] = {
        "principal": ALICE,
        "action": GET,
        "resource": OBJ,
        "resource_account": ACCT,
    }
    if context is not None:
        request["context"] = context
    statements: list[dict] = [
        {"Effect": "Allow", "Action": GET, "Resource": OBJ, "Condition": condition}
    ]
    if effect == "Deny":
        statements = [
            {"Effect": "Allow", "Action": GET, "Resource": OBJ},
            {"Effect": "Deny", "Action": GET, "Resource": OBJ, "Condition": condition},
        ]
    return {
        "request": request,
        "identity_policies": [{"Version": "2012-10-17", "Statement": statements}],
    }


def case(condition: dict, context: dict | None, holds: bool, case_id: str) -> Any:
    """A row: the condition ``holds`` (allowed) or not (implicitDeny) for this context."""
    return pytest.param(scenario_with(condition, context), holds, id=case_id)


def run(scenario: dict, holds: bool) -> Any:
    d = cksmodel.simulate(scenario)
    if holds:
        assert d.decision == ALLOWED, f"condition should hold; got {d.decision}"
        assert d.blocked_by is None
    else:
        assert d.decision == IMPLICIT, f"condition should fail; got {d.decision}"
        assert d.blocked_by == "identity"
    return d


TAG = "aws:PrincipalTag/team"
IP = "aws:SourceIp"
NOW = "aws:CurrentTime"
EPOCH = "aws:EpochTime"
MFA_AGE = "aws:MultiFactorAuthAge"
TLS = "aws:SecureTransport"
SRC_ARN = "aws:SourceArn"
TAG_KEYS = "aws:TagKeys"

STRING = [
    # String condition operators.
    case({"StringEquals": {TAG: "blue"}}, {TAG: "blue"}, True, "stringequals-match"),
    case({"StringEquals": {TAG: "blue"}}, {TAG: "Blue"}, False, "stringequals-is-case-sensitive"),
    case({"StringEquals": {TAG: "blu*"}}, {TAG: "blue"}, False, "stringequals-has-no-wildcards"),
    case({"StringNotEquals": {TAG: "red"}}, {TAG: "blue"}, True, "stringnotequals-different"),
    case({"StringNotEquals": {TAG: "blue"}}, {TAG: "blue"}, False, "stringnotequals-same"),
    case(
        {"StringEqualsIgnoreCase": {TAG: "BLUE"}},
        {TAG: "blue"},
        True,
        "stringequalsignorecase-ignores-case",
    ),
    case(
        {"StringNotEqualsIgnoreCase": {TAG: "BLUE"}},
        {TAG: "blue"},
        False,
        "stringnotequalsignorecase-ignores-case",
    ),
    case({"StringLike": {TAG: "team-*"}}, {TAG: "team-blue"}, True, "stringlike-star"),
    case({"StringLike": {TAG: "v?"}}, {TAG: "v1"}, True, "stringlike-question-mark-one-char"),
    case({"StringLike": {TAG: "v?"}}, {TAG: "v10"}, False, "stringlike-question-mark-not-two"),
    case({"StringNotLike": {TAG: "team-*"}}, {TAG: "team-blue"}, False, "stringnotlike-match"),
    case({"StringNotLike": {TAG: "team-*"}}, {TAG: "ops"}, True, "stringnotlike-no-match"),
]

VALUES_AND_KEYS = [
    # "Condition with multiple context keys or values": values of one key are ORed ...
    case({"StringEquals": {TAG: ["red", "blue"]}}, {TAG: "blue"}, True, "values-are-ored"),
    # ... but for a negated operator none of the values may match.
    case(
        {"StringNotEquals": {TAG: ["red", "blue"]}},
        {TAG: "blue"},
        False,
        "negated-operator-none-of-the-values-may-match",
    ),
    case(
        {"StringNotEquals": {TAG: ["red", "blue"]}},
        {TAG: "green"},
        True,
        "negated-operator-no-value-matches",
    ),
    # Keys under one operator are ANDed.
    case(
        {"StringEquals": {TAG: "blue", "aws:PrincipalTag/env": "prod"}},
        {TAG: "blue", "aws:PrincipalTag/env": "dev"},
        False,
        "keys-are-anded",
    ),
    case(
        {"StringEquals": {TAG: "blue", "aws:PrincipalTag/env": "prod"}},
        {TAG: "blue", "aws:PrincipalTag/env": "prod"},
        True,
        "all-keys-match",
    ),
    # Operators in one Condition block are ANDed.
    case(
        {"StringEquals": {TAG: "blue"}, "IpAddress": {IP: "203.0.113.0/24"}},
        {TAG: "blue", IP: "198.51.100.7"},
        False,
        "operators-are-anded",
    ),
    # IAM "IAM JSON policy elements: Condition": "Condition key names are not case-sensitive."
    case(
        {"StringEquals": {"AWS:PRINCIPALTAG/team": "blue"}},
        {TAG: "blue"},
        True,
        "policy-key-name-is-case-insensitive",
    ),
    case(
        {"IpAddress": {"aws:sourceip": "203.0.113.0/24"}},
        {"AWS:SourceIP": "203.0.113.7"},
        True,
        "context-key-name-is-case-insensitive",
    ),
]

MISSING_KEY = [
    # "If the key that you specify in a policy condition is not present in the request
    # context, the values do not match and the condition is false. If the policy condition
    # requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right
    # key is not present, the condition is true. This logic applies to all condition operators
    # except ...IfExists and Null check."
    case({"StringEquals": {TAG: "blue"}}, None, False, "missing-key-stringequals-false"),
    case({"StringLike": {TAG: "*"}}, None, False, "missing-key-stringlike-star-false"),
    case({"StringNotEquals": {TAG: "blue"}}, None, True, "missing-key-stringnotequals-true"),
    case({"StringNotLike": {TAG: "b*"}}, None, True, "missing-key-stringnotlike-true"),
    # "...IfExists condition operators": if the key is present it is processed as the plain
    # operator; "If the key is not present, evaluate the condition element as true."
    case({"StringEqualsIfExists": {TAG: "blue"}}, None, True, "ifexists-missing-key-true"),
    case({"StringEqualsIfExists": {TAG: "blue"}}, {TAG: "red"}, False, "ifexists-present-mismatch"),
    case({"StringEqualsIfExists": {TAG: "blue"}}, {TAG: "blue"}, True, "ifexists-present-match"),
]

NUMERIC = [
    # Numeric condition operators.
    case({"NumericLessThan": {MFA_AGE: "3600"}}, {MFA_AGE: "600"}, True, "numericlessthan-true"),
    case({"NumericLessThan": {MFA_AGE: "3600"}}, {MFA_AGE: "7200"}, False, "numericlessthan-false"),
    case(
        {"NumericGreaterThanEquals": {MFA_AGE: "3600"}},
        {MFA_AGE: "3600"},
        True,
        "numericgreaterthanequals-boundary",
    ),
    case({"NumericEquals": {MFA_AGE: "10"}}, {MFA_AGE: "10"}, True, "numericequals"),
    case({"NumericLessThan": {MFA_AGE: "10"}}, {MFA_AGE: "9"}, True, "numeric-not-lexicographic"),
    case({"NumericLessThan": {MFA_AGE: "3600"}}, None, False, "missing-key-numeric-false"),
    case({"NumericNotEquals": {MFA_AGE: "0"}}, None, True, "missing-key-numericnotequals-true"),
    case(
        {"NumericLessThanIfExists": {MFA_AGE: "3600"}},
        None,
        True,
        "missing-key-numeric-ifexists-true",
    ),
    # Long numbers: compared exactly up to 1,000 digits of numerator and denominator in a
    # policy (4,000 in a request); beyond, a value is not a number (and no tracebacks).
    case({"NumericLessThan": {MFA_AGE: "9" * 45}}, {MFA_AGE: "9" * 44}, True, "45-digits-exact"),
    case(
        {"NumericLessThan": {MFA_AGE: "9" * 1000}},
        {MFA_AGE: "9" * 999 + "8"},
        True,
        "1000-digits-exact",
    ),
    case({"NumericLessThan": {MFA_AGE: "1e999"}}, {MFA_AGE: "5"}, True, "exponent-at-the-limit"),
    case(
        {"NumericLessThan": {MFA_AGE: "9" * 1001}}, {MFA_AGE: "5"}, False, "1001-digits-no-number"
    ),
    case(
        {"NumericLessThan": {MFA_AGE: "1e1000"}}, {MFA_AGE: "5"}, False, "huge-exponent-no-number"
    ),
    case(
        {"NumericGreaterThan": {MFA_AGE: "0"}},
        {MFA_AGE: "1e-4000"},
        False,
        "tiny-context-no-number",
    ),
    case({"NumericGreaterThan": {MFA_AGE: "0"}}, {MFA_AGE: "1e3999"}, True, "long-context-number"),
    case({"NumericLessThan": {MFA_AGE: "10"}}, {MFA_AGE: "9" * 5000}, False, "5000-digit-context"),
]

DATE = [
    # Date condition operators: "You must specify date/time values with one of the W3C
    # implementations of the ISO 8601 date formats or in epoch (UNIX) time."
    case(
        {"DateGreaterThan": {NOW: "2020-01-01T00:00:00Z"}},
        {NOW: "2024-05-01T12:00:00Z"},
        True,
        "dategreaterthan-iso8601",
    ),
    case(
        {"DateLessThan": {NOW: "2020-01-01T00:00:00Z"}},
        {NOW: "2024-05-01T12:00:00Z"},
        False,
        "datelessthan-iso8601-false",
    ),
    case(
        {"DateLessThan": {NOW: "1893456000"}},  # 2030-01-01T00:00:00Z as epoch seconds
        {NOW: "2024-05-01T12:00:00Z"},
        True,
        "datelessthan-epoch-policy-value-against-iso-context",
    ),
    case(
        {"DateGreaterThan": {EPOCH: "2020-01-01T00:00:00Z"}},
        {EPOCH: "1714564800"},  # 2024-05-01T12:00:00Z
        True,
        "dategreaterthan-iso-policy-value-against-epoch-context",
    ),
    case(
        {"DateEquals": {NOW: "2024-05-01T12:00:00Z"}},
        {EPOCH: "1714564800", NOW: "2024-05-01T12:00:00Z"},
        True,
        "dateequals-same-instant",
    ),
    case({"DateGreaterThan": {NOW: "2020-01-01T00:00:00Z"}}, None, False, "missing-key-date-false"),
    case({"DateNotEquals": {NOW: "2020-01-01T00:00:00Z"}}, None, True, "missing-key-datenot-true"),
]

BOOL_BINARY = [
    # Boolean condition operators.
    case({"Bool": {TLS: "true"}}, {TLS: "true"}, True, "bool-true-matches-true"),
    case({"Bool": {TLS: "true"}}, {TLS: "false"}, False, "bool-true-does-not-match-false"),
    # Doc example: a Bool "false" condition on a missing aws:SecureTransport is false.
    case({"Bool": {TLS: "false"}}, None, False, "missing-key-bool-false"),
    case({"BoolIfExists": {TLS: "false"}}, None, True, "missing-key-boolifexists-true"),
    # Binary condition operators: base64-encoded comparison.
    case(
        {"BinaryEquals": {"s3:ExampleBinaryKey": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
        {"s3:ExampleBinaryKey": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
        True,
        "binaryequals-match",
    ),
    case(
        {"BinaryEquals": {"s3:ExampleBinaryKey": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
        {"s3:ExampleBinaryKey": "T3RoZXJWYWx1ZQ=="},
        False,
        "binaryequals-mismatch",
    ),
]

IP_ADDRESS = [
    # IP address condition operators: "IPv4 or IPv6 ... CIDR"; "If you don't specify a prefix,
    # IAM uses the default prefix value of /32."
    case({"IpAddress": {IP: "203.0.113.0/24"}}, {IP: "203.0.113.7"}, True, "ipaddress-in-cidr"),
    case({"IpAddress": {IP: "203.0.113.0/24"}}, {IP: "203.0.114.7"}, False, "ipaddress-out-cidr"),
    case({"IpAddress": {IP: "203.0.113.7"}}, {IP: "203.0.113.7"}, True, "ipaddress-bare-is-/32"),
    case({"IpAddress": {IP: "203.0.113.7"}}, {IP: "203.0.113.8"}, False, "ipaddress-bare-only-/32"),
    case(
        {"IpAddress": {IP: "2001:DB8:1234:5678::/64"}},
        {IP: "2001:db8:1234:5678::9"},
        True,
        "ipaddress-ipv6-in-prefix",
    ),
    case(
        {"IpAddress": {IP: "2001:DB8:1234:5678::/64"}},
        {IP: "2001:db8:1234:9999::9"},
        False,
        "ipaddress-ipv6-out-of-prefix",
    ),
    # Doc example mixing IPv4 and IPv6 ranges in one condition (values ORed).
    case(
        {"IpAddress": {IP: ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
        {IP: "2001:db8:1234:5678::1"},
        True,
        "ipaddress-mixed-v4-v6-list",
    ),
    case({"NotIpAddress": {IP: "203.0.113.0/24"}}, {IP: "198.51.100.1"}, True, "notipaddress-out"),
    case({"NotIpAddress": {IP: "203.0.113.0/24"}}, {IP: "203.0.113.1"}, False, "notipaddress-in"),
    case({"IpAddress": {IP: "203.0.113.0/24"}}, None, False, "missing-key-ipaddress-false"),
    case({"NotIpAddress": {IP: "203.0.113.0/24"}}, None, True, "missing-key-notipaddress-true"),
]

ARN = [
    # ARN condition operators: each of the six colon-delimited components is checked
    # separately and may contain * and ? wildcards.
    case(
        {"ArnLike": {SRC_ARN: "arn:aws:sns:*:111122223333:*"}},
        {SRC_ARN: "arn:aws:sns:us-east-1:111122223333:alerts"},
        True,
        "arnlike-wildcard-region-and-resource",
    ),
    case(
        {"ArnEquals": {SRC_ARN: "arn:aws:sns:us-east-1:111122223333:alerts"}},
        {SRC_ARN: "arn:aws:sns:us-east-1:111122223333:other"},
        False,
        "arnequals-mismatch",
    ),
    case(
        {"ArnEquals": {SRC_ARN: "arn:aws:sns:us-east-1:111122223333:Alerts"}},
        {SRC_ARN: "arn:aws:sns:us-east-1:111122223333:alerts"},
        False,
        "arn-resource-part-is-case-sensitive",
    ),
    case(
        {"ArnNotLike": {SRC_ARN: "arn:aws:sns:*:111122223333:*"}},
        {SRC_ARN: "arn:aws:sns:us-east-1:999988887777:alerts"},
        True,
        "arnnotlike-other-account",
    ),
    case({"ArnLike": {SRC_ARN: "arn:aws:sns:*:*:*"}}, None, False, "missing-key-arnlike-false"),
    case({"ArnNotEquals": {SRC_ARN: "arn:aws:sns:*:*:*"}}, None, True, "missing-key-arnnot-true"),
]

NULL = [
    # Null condition operator: "true" means the key is absent, "false" that it is present.
    case({"Null": {TAG: "true"}}, None, True, "null-true-key-absent"),
    case({"Null": {TAG: "true"}}, {TAG: "blue"}, False, "null-true-key-present"),
    case({"Null": {TAG: "false"}}, {TAG: "blue"}, True, "null-false-key-present"),
    case({"Null": {TAG: "false"}}, None, False, "null-false-key-absent"),
]

SET_OPERATORS = [
    # "Single-valued vs. multivalued context keys" / "Set operators for multivalued context
    # keys": ForAllValues is true when every request value matches a policy value, "returns
    # true if there's no key in the request context or if the context key value resolves to a
    # null data set, such as an empty string"; ForAnyValue needs at least one match and is
    # false when the key is missing.
    case(
        {"ForAllValues:StringEquals": {TAG_KEYS: ["env", "team"]}},
        {TAG_KEYS: ["env"]},
        True,
        "forallvalues-subset",
    ),
    case(
        {"ForAllValues:StringEquals": {TAG_KEYS: ["env", "team"]}},
        {TAG_KEYS: ["env", "owner"]},
        False,
        "forallvalues-extra-value",
    ),
    case(
        {"ForAllValues:StringEquals": {TAG_KEYS: ["env", "team"]}},
        None,
        True,
        "forallvalues-missing-key-true",
    ),
    case(
        {"ForAllValues:StringEquals": {TAG_KEYS: ["env", "team"]}},
        {TAG_KEYS: []},
        True,
        "forallvalues-empty-set-true",
    ),
    case(
        {"ForAllValues:StringLike": {TAG_KEYS: ["team-*"]}},
        {TAG_KEYS: ["team-a", "team-b"]},
        True,
        "forallvalues-with-wildcards",
    ),
    case(
        {"ForAnyValue:StringEquals": {TAG_KEYS: ["env", "team"]}},
        {TAG_KEYS: ["owner", "team"]},
        True,
        "foranyvalue-one-match",
    ),
    case(
        {"ForAnyValue:StringEquals": {TAG_KEYS: ["env", "team"]}},
        {TAG_KEYS: ["owner"]},
        False,
        "foranyvalue-no-match",
    ),
    case(
        {"ForAnyValue:StringEquals": {TAG_KEYS: ["env", "team"]}},
        None,
        False,
        "foranyvalue-missing-key-false",
    ),
    # KMS "kms:EncryptionContextKeys": the usual ForAllValues/ForAnyValue key.
    case(
        {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "app"}},
        {"kms:EncryptionContextKeys": ["app", "env"]},
        True,
        "foranyvalue-encryption-context-keys",
    ),
]


@pytest.mark.parametrize(
    ("scenario_", "holds"),
    STRING
    + VALUES_AND_KEYS
    + MISSING_KEY
    + NUMERIC
    + DATE
    + BOOL_BINARY
    + IP_ADDRESS
    + ARN
    + NULL
    + SET_OPERATORS,
)
def test_condition(scenario_: dict, holds: bool) -> None:
    run(scenario_, holds)


# A negated operator on a missing key makes a Deny apply: the "deny unless tagged" pattern
# (missing-key rule quoted above).
def test_deny_unless_tagged_denies_untagged_caller() -> None:
    s = scenario_with({"StringNotEquals": {TAG: "blue"}}, None, effect="Deny")
    d = cksmodel.simulate(s)
    assert d.decision == EXPLICIT
    assert d.blocked_by == "identity"


def test_deny_unless_tagged_spares_tagged_caller() -> None:
    s = scenario_with({"StringNotEquals": {TAG: "blue"}}, {TAG: "blue"}, effect="Deny")
    assert cksmodel.simulate(s).decision == ALLOWED


def test_missing_context_keys_are_reported() -> None:
    d = run(scenario_with({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, None), False)
    assert "aws:sourcevpce" in {k.lower() for k in d.missing_context_keys}


def test_present_and_derived_keys_are_not_reported_missing() -> None:
    # aws:username is derived from an IAM user principal ("Policy variables" > principal key
    # values table); aws:SourceIp is supplied.
    d = run(
        scenario_with(
            {
                "StringEquals": {"aws:username": "alice"},
                "IpAddress": {IP: "203.0.113.0/24"},
            },
            {IP: "203.0.113.7"},
        ),
        True,
    )
    assert {k.lower() for k in d.missing_context_keys}.isdisjoint({"aws:username", "aws:sourceip"})


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        pytest.param({"StringEquals": {"aws:PrincipalAccount": ACCT}}, True, id="principalaccount"),
        pytest.param({"StringEquals": {"aws:PrincipalType": "User"}}, True, id="principaltype"),
        pytest.param({"ArnEquals": {"aws:PrincipalArn": ALICE}}, True, id="principalarn"),
        pytest.param({"StringEquals": {"aws:ResourceAccount": ACCT}}, True, id="resourceaccount"),
        # aws:userid is not derivable from an ARN (it is the unique id, e.g. AIDA...).
        pytest.param({"StringEquals": {"aws:userid": "alice"}}, False, id="userid-not-derived"),
    ],
)
def test_global_keys_derived_from_the_principal(condition: dict, holds: bool) -> None:
    # IAM "AWS global condition context keys": values of aws:PrincipalAccount, aws:PrincipalType
    # ("User" for an IAM user), aws:PrincipalArn and aws:ResourceAccount for this request.
    run(scenario_with(condition, None), holds)
