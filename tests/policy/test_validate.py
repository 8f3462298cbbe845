"""Tests for policy validation: every finding code, its severity and where it points.

Tables are ``pytest.param(policy, policy_type, expected, id=...)``: the policy
is a dict (dumped with indent=2), text or bytes; ``expected`` is exactly the
set of codes reported. Clean policies of every type live in
``tests/data/validate/clean-<type>*.json`` and must yield no finding at all.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cksmodel.concrete.evaluate import TRUST_ACTIONS
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.ir import PolicyKind, PolicyType
from cksmodel.policy.validate import validate_text
from cksmodel.policy.validation.actions import _TRUST_ACTIONS
from cksmodel.policy.validation.codes import FINDING_CODES
from cksmodel.policy.validation.limits import MAX_VALUE_LENGTH

DATA = Path(__file__).resolve().parents[1] / "data" / "validate"

V = "2012-10-17"
ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/KeyUser"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
PATHOLOGICAL = "a*" * 5000 + "b"

IDENT, R, T, K = PolicyType.IDENTITY, PolicyType.RESOURCE, PolicyType.TRUST, PolicyType.KEY
CM, IU, IG, IR = (
    PolicyKind.CUSTOMER_MANAGED,
    PolicyKind.INLINE_USER,
    PolicyKind.INLINE_GROUP,
    PolicyKind.INLINE_ROLE,
)
SCP, RCP, B, S, EP = (
    PolicyType.SCP,
    PolicyType.RCP,
    PolicyType.BOUNDARY,
    PolicyType.SESSION,
    PolicyType.ENDPOINT,
)
NEEDS_PRINCIPAL = (R, T, K, RCP, EP)


def doc(*statements: dict[str, Any], version: str | None = V) -> dict[str, Any]:
    out: dict[str, Any] = {} if version is None else {"Version": version}
    out["Statement"] = list(statements)
    return out


def stmt(effect: str = "Allow", **elements: Any) -> dict[str, Any]:
    return {"Effect": effect, **elements}


def allow(action: Any = "kms:Decrypt", resource: Any = "*", **elements: Any) -> dict[str, Any]:
    return stmt("Allow", Action=action, Resource=resource, **elements)


def kp(action: Any = "kms:Decrypt", principal: Any = None, **elements: Any) -> dict[str, Any]:
    """A key/resource policy statement: Allow for a named role on Resource "*"."""
    elements.setdefault("Resource", "*")
    return stmt(
        elements.pop("Effect", "Allow"),
        Principal={"AWS": ROLE} if principal is None else principal,
        Action=action,
        **elements,
    )


def when(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {operator: {key: value}}


def run(
    policy: Any,
    policy_type: PolicyType,
    source: str = "policy.json",
    kind: PolicyKind | None = None,
) -> list[Finding]:
    if not isinstance(policy, str | bytes):
        policy = json.dumps(policy, indent=2, ensure_ascii=False)
    return validate_text(policy, policy_type=policy_type, source=source, policy_kind=kind)


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


# --- clean policies ---------------------------------------------------------------


CLEAN_FILES = sorted(DATA.glob("clean-*.json"))


def test_every_policy_type_has_a_clean_example() -> None:
    covered = {PolicyType(p.stem.split("-")[1]) for p in CLEAN_FILES}
    assert covered == set(PolicyType)


@pytest.mark.parametrize("path", CLEAN_FILES, ids=[p.stem for p in CLEAN_FILES])
def test_clean_policy_has_no_finding(path: Path) -> None:
    policy_type = PolicyType(path.stem.split("-")[1])
    assert run(path.read_bytes(), policy_type, source=str(path)) == []


# --- bad input: exactly one clear ERROR with line and column ----------------------


def _deep(n: int) -> str:
    return "[" * n + "]" * n


BAD_INPUT = [
    pytest.param(
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "kms:Decrypt",\n'
        ' "Resource": "*", "Condition": {"NumericLessThan": {"kms:X": ' + "9" * 5000 + "}}}}",
        IDENT,
        "E_NUMBER",
        (2, 62),
        id="number-beyond-the-digit-limit-is-E_NUMBER-at-the-number",
    ),
    pytest.param(
        '{\n  "Version": "2012-10-17",\n  "Statement": [}\n}',
        IDENT,
        "E_SYNTAX",
        (3, 17),
        id="malformed-json-is-E_SYNTAX-at-the-brace",
    ),
    pytest.param(
        '{\n  "Version": "2012-10-17",\n  "Statement": []\n',
        IDENT,
        "E_SYNTAX",
        (4, 1),
        id="truncated-json-is-E_SYNTAX-at-end-of-input",
    ),
    pytest.param(
        '{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow",\n  "Effect": "Deny"}}',
        IDENT,
        "E_DUPLICATE_KEY",
        (3, 3),
        id="duplicate-key-is-E_DUPLICATE_KEY-at-the-second-key",
    ),
    pytest.param(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",\n'
        ' "Resource": "*", "Resorce": "*"}]}',
        IDENT,
        "E_UNKNOWN_ELEMENT",
        (2, 19),
        id="unknown-element-is-E_UNKNOWN_ELEMENT-at-the-key",
    ),
    pytest.param(
        b'{"Version": "2012-10-17",\n "Statement": "\xff"}',
        IDENT,
        "E_ENCODING",
        (2, 16),
        id="invalid-utf8-is-E_ENCODING-at-the-byte",
    ),
    pytest.param(
        b'\xef\xbb\xbf{"Version": "2012-10-17", "Statement": []}',
        IDENT,
        "E_BOM",
        (1, 1),
        id="utf8-bom-bytes-is-E_BOM",
    ),
    pytest.param(
        '\ufeff{"Version": "2012-10-17", "Statement": []}',
        IDENT,
        "E_BOM",
        (1, 1),
        id="bom-in-decoded-text-is-E_BOM",
    ),
    pytest.param(
        b'{"Version": "2012-10-17", "Statement": []}' + b" " * (10 * 1024 * 1024),
        IDENT,
        "E_TOO_LARGE",
        (1, 1),
        id="10-MB-document-bytes-is-E_TOO_LARGE",
    ),
    pytest.param(
        '{"Version": "2012-10-17", "Statement": []}' + " " * (10 * 1024 * 1024),
        IDENT,
        "E_TOO_LARGE",
        (1, 1),
        id="10-MB-document-text-is-E_TOO_LARGE",
    ),
    pytest.param(
        "[" * 10_000,
        IDENT,
        "E_TOO_DEEP",
        (1, 65),
        id="10000-deep-unclosed-nesting-is-E_TOO_DEEP-where-the-limit-is-crossed",
    ),
    pytest.param(
        _deep(10_000),
        IDENT,
        "E_TOO_DEEP",
        (1, 65),
        id="10000-deep-closed-nesting-is-E_TOO_DEEP-where-the-limit-is-crossed",
    ),
    pytest.param(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
        f' "Principal": {{"AWS": "{ACCOUNT}"}}, "Action": "{PATHOLOGICAL}", "Resource": "*"}}]}}',
        K,
        "E_VALUE_TOO_LONG",
        (2, 50),
        id="pathological-wildcard-action-is-E_VALUE_TOO_LONG",
    ),
    pytest.param(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
        f' "Principal": {{"AWS": "{ACCOUNT}"}}, "Action": "kms:Decrypt",\n'
        f' "Resource": "{PATHOLOGICAL}"}}]}}',
        K,
        "E_VALUE_TOO_LONG",
        (3, 14),
        id="pathological-wildcard-resource-in-key-policy-is-E_VALUE_TOO_LONG",
    ),
    pytest.param(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny",\n'
        ' "Principal": "*", "Action": "s3:GetObject",\n'
        f' "Resource": "arn:aws:s3:::{PATHOLOGICAL}"}}]}}',
        R,
        "E_VALUE_TOO_LONG",
        (3, 14),
        id="pathological-wildcard-arn-in-bucket-policy-is-E_VALUE_TOO_LONG",
    ),
]


@pytest.mark.parametrize(("text", "policy_type", "code", "where"), BAD_INPUT)
def test_bad_input_yields_exactly_one_error(
    text: str | bytes, policy_type: PolicyType, code: str, where: tuple[int, int]
) -> None:
    findings = run(text, policy_type, source="bad.json")
    assert [f.code for f in findings] == [code]
    (finding,) = findings
    assert finding.severity is Severity.ERROR
    assert finding.span is not None
    assert finding.span.source == "bad.json"
    assert (finding.span.line, finding.span.column) == where
    assert finding.message


def test_pathological_wildcard_in_identity_policy_also_exceeds_the_size_limit() -> None:
    findings = run(doc(allow(resource=f"arn:aws:s3:::{PATHOLOGICAL}")), IDENT, kind=CM)
    assert codes(findings) == {"E_VALUE_TOO_LONG", "E_POLICY_TOO_LARGE"}


def test_value_at_the_length_limit_is_accepted() -> None:
    resource = "arn:aws:s3:::" + "b" * (MAX_VALUE_LENGTH - len("arn:aws:s3:::"))
    assert run(doc(allow("s3:GetObject", resource)), IDENT) == []
    assert codes(run(doc(allow("s3:GetObject", resource + "b")), IDENT)) == {"E_VALUE_TOO_LONG"}


# --- every check: codes reported -------------------------------------------------


CASES = [
    # structure, from the builder
    pytest.param(
        doc({"Action": "kms:Decrypt", "Resource": "*"}),
        IDENT,
        {"E_MISSING_EFFECT"},
        id="missing-effect",
    ),
    pytest.param(
        doc(stmt("allow", Action="kms:Decrypt", Resource="*")),
        IDENT,
        {"E_EFFECT"},
        id="lowercase-effect-is-invalid",
    ),
    pytest.param(doc(allow(), version="2012-10-18"), IDENT, {"E_VERSION"}, id="invalid-version"),
    pytest.param({"Version": V}, IDENT, {"E_MISSING_STATEMENT"}, id="missing-statement"),
    pytest.param(doc(stmt(Resource="*")), IDENT, {"E_MISSING_ACTION"}, id="missing-action"),
    pytest.param(
        doc(allow(NotAction="kms:Encrypt")),
        IDENT,
        {"E_ACTION_AND_NOTACTION"},
        id="action-with-notaction",
    ),
    pytest.param(
        doc(stmt(Action="kms:Decrypt")),
        IDENT,
        {"E_MISSING_RESOURCE"},
        id="missing-resource-in-identity-policy",
    ),
    pytest.param(
        doc(allow(Principal="*")),
        IDENT,
        {"E_PRINCIPAL_NOT_ALLOWED"},
        id="principal-in-identity-policy",
    ),
    pytest.param(
        doc(allow(Principal="*")), B, {"E_PRINCIPAL_NOT_ALLOWED"}, id="principal-in-boundary"
    ),
    pytest.param(
        doc(allow(Principal="*")), S, {"E_PRINCIPAL_NOT_ALLOWED"}, id="principal-in-session-policy"
    ),
    pytest.param(
        doc(stmt("Deny", NotPrincipal={"AWS": ROOT}, Action="*", Resource="*")),
        SCP,
        {"E_PRINCIPAL_NOT_ALLOWED"},
        id="notprincipal-in-scp",
    ),
    *(
        pytest.param(
            doc(
                stmt(Action="sts:AssumeRole")
                if t is T
                else stmt("Deny" if t is RCP else "Allow", Action="kms:Decrypt", Resource="*")
            ),
            t,
            {"E_MISSING_PRINCIPAL"},
            id=f"missing-principal-in-{t}-policy",
        )
        for t in NEEDS_PRINCIPAL
    ),
    pytest.param(
        doc(kp(principal="arn:aws:iam::111122223333:root")),
        K,
        {"E_PRINCIPAL"},
        id="principal-string-not-star",
    ),
    pytest.param(doc(allow(5)), IDENT, {"E_TYPE"}, id="number-as-action"),
    pytest.param(
        doc(allow(Condition=when("StringEqualz", "aws:username", "bob"))),
        IDENT,
        {"E_UNKNOWN_OPERATOR"},
        id="unknown-condition-operator",
    ),
    pytest.param(
        doc(allow(Condition=when("NullIfExists", "aws:username", "true"))),
        IDENT,
        {"E_UNKNOWN_OPERATOR"},
        id="null-with-ifexists",
    ),
    pytest.param(
        doc(allow(Condition={"StringEquals": {"aws:username": "a", "AWS:UserName": "b"}})),
        IDENT,
        {"E_DUPLICATE_KEY"},
        id="condition-key-repeated-in-another-case",
    ),
    pytest.param(
        doc(allow(NotResource="arn:aws:s3:::b")),
        IDENT,
        {"E_RESOURCE_AND_NOTRESOURCE"},
        id="resource-with-notresource",
    ),
    pytest.param(
        doc(kp(NotPrincipal={"AWS": ROOT})),
        K,
        {"E_PRINCIPAL_AND_NOTPRINCIPAL"},
        id="principal-with-notprincipal",
    ),
    # document
    pytest.param(
        doc(allow(), version=None), IDENT, {"W_MISSING_VERSION"}, id="missing-version-warns"
    ),
    pytest.param(
        doc(allow(), version="2008-10-17"),
        IDENT,
        {"G_VERSION_2008"},
        id="version-2008-suggests-2012",
    ),
    pytest.param(
        doc(stmt("Deny", Principal="*", Action="kms:*", Resource="*"), version=None),
        RCP,
        {"E_VERSION_REQUIRED"},
        id="rcp-without-version",
    ),
    pytest.param(doc(), IDENT, {"W_NO_STATEMENTS"}, id="empty-statement-list"),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::caf\u00e9\u2013bucket/*")),
        IDENT,
        {"E_INVALID_CHARACTER"},
        id="en-dash-is-invalid-in-iam-policy",
    ),
    pytest.param(
        doc(kp(Sid="use\u0085key")),
        K,
        {"E_INVALID_CHARACTER"},
        id="c1-control-character-is-invalid-in-key-policy",
    ),
    # statements
    pytest.param(
        doc(allow(Sid="my-sid")), IDENT, {"E_SID_FORMAT"}, id="sid-with-hyphen-in-identity-policy"
    ),
    pytest.param(
        doc(allow(Sid="A"), allow(Sid="A")),
        IDENT,
        {"E_DUPLICATE_SID"},
        id="duplicate-sid-in-identity-policy",
    ),
    pytest.param(
        doc(kp(Sid="A"), kp(Sid="A")), R, {"W_DUPLICATE_SID"}, id="duplicate-sid-in-resource-policy"
    ),
    pytest.param(doc(allow(Sid="")), IDENT, {"G_EMPTY_SID"}, id="empty-sid"),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "aws:username", "x" * 3000))),
        IDENT,
        {"E_VALUE_TOO_LONG"},
        id="condition-value-too-long",
    ),
    pytest.param(
        doc(kp(principal={"AWS": "arn:aws:iam::111122223333:role/" + "r" * 3000})),
        K,
        {"E_VALUE_TOO_LONG"},
        id="principal-too-long",
    ),
    pytest.param(doc(allow([])), IDENT, {"W_EMPTY_ACTION"}, id="empty-action-list"),
    pytest.param(doc(allow(resource=[])), IDENT, {"W_EMPTY_RESOURCE"}, id="empty-resource-list"),
    pytest.param(doc(kp(principal={"AWS": []})), R, {"W_EMPTY_PRINCIPAL"}, id="empty-principal"),
    pytest.param(
        doc(stmt(NotAction=[], Resource="*")),
        IDENT,
        {"S_EMPTY_NOT_ELEMENT", "S_PASSROLE_WILDCARD", "W_CREATE_SLR_WILDCARD"},
        id="allow-empty-notaction-allows-everything",
    ),
    pytest.param(
        doc(stmt("Deny", Action="kms:*", NotResource=[])),
        IDENT,
        {"W_EMPTY_NOT_ELEMENT"},
        id="deny-empty-notresource-denies-everything",
    ),
    pytest.param(
        doc(allow(Condition={})), IDENT, {"G_EMPTY_CONDITION"}, id="empty-condition-block"
    ),
    # actions
    pytest.param(doc(allow("kmsDecrypt")), IDENT, {"E_ACTION_FORMAT"}, id="action-without-service"),
    pytest.param(
        doc(allow("kms:Decrypt:now")), IDENT, {"E_ACTION_FORMAT"}, id="action-with-two-colons"
    ),
    pytest.param(
        doc(allow("*:Decrypt")), IDENT, {"E_ACTION_SERVICE_WILDCARD"}, id="wildcard-service-prefix"
    ),
    pytest.param(
        doc(allow("kmz:Decrypt")), IDENT, {"W_UNKNOWN_SERVICE"}, id="unknown-service-prefix"
    ),
    pytest.param(
        doc(allow("kms:Decrpyt")), IDENT, {"W_UNKNOWN_ACTION"}, id="unknown-action-of-known-service"
    ),
    pytest.param(
        doc(allow("kms:Zz*")), IDENT, {"W_ACTION_MATCHES_NOTHING"}, id="wildcard-matching-no-action"
    ),
    pytest.param(
        doc(allow(["kms:CreateCustomKeyStore", "kms:ConnectCustomKeyStore"], KEY_ARN)),
        IDENT,
        {"W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="only-star-only-actions-on-a-key-arn",
    ),
    pytest.param(
        doc(allow("kms:*CustomKeyStore*", KEY_ARN)),
        IDENT,
        {"W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="wildcard-of-star-only-actions-on-a-key-arn",
    ),
    pytest.param(
        doc(stmt("Deny", Action="kms:DeleteCustomKeyStore", Resource=KEY_ARN)),
        SCP,
        {"W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="scp-deny-of-star-only-action-on-a-key-arn",
    ),
    pytest.param(
        doc(allow(["kms:CreateCustomKeyStore", "kms:Decrypt"], KEY_ARN)),
        IDENT,
        {"W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="some-star-only-actions-on-a-key-arn",
    ),
    pytest.param(
        doc(
            stmt(
                Principal={"Service": "cks.kms.amazonaws.com"},
                Action=["sts:AssumeRole", "kms:Decrypt"],
            )
        ),
        T,
        {"W_TRUST_ACTION"},
        id="non-sts-action-in-trust-policy",
    ),
    pytest.param(
        doc(kp("kms:CreateCustomKeyStore")),
        K,
        {"W_KEY_POLICY_ACTION"},
        id="custom-key-store-action-in-key-policy",
    ),
    pytest.param(doc(kp("s3:GetObject")), K, {"W_KEY_POLICY_ACTION"}, id="s3-action-in-key-policy"),
    pytest.param(
        doc(allow("iam:PassRole")), IDENT, {"S_PASSROLE_WILDCARD"}, id="passrole-on-every-role"
    ),
    pytest.param(
        doc(allow("iam:*", "arn:aws:iam::*:role/*")),
        IDENT,
        {"S_PASSROLE_WILDCARD", "W_CREATE_SLR_WILDCARD"},
        id="iam-star-on-every-role",
    ),
    pytest.param(
        doc(allow("iam:CreateServiceLinkedRole")),
        IDENT,
        {"W_CREATE_SLR_WILDCARD"},
        id="create-slr-for-any-service",
    ),
    pytest.param(
        doc(allow("kms:${aws:username}")),
        IDENT,
        {"W_VARIABLE_NOT_SUPPORTED"},
        id="variable-in-action",
    ),
    pytest.param(
        doc(allow("*")),
        IDENT,
        {"S_PASSROLE_WILDCARD", "W_CREATE_SLR_WILDCARD"},
        id="admin-star-on-star-includes-passrole-and-create-slr",
    ),
    # resources
    pytest.param(
        doc(allow(resource="example-bucket")), IDENT, {"E_ARN_FORMAT"}, id="resource-not-an-arn"
    ),
    pytest.param(
        doc(allow(resource="arn:aws:kms:us-east-1")),
        IDENT,
        {"E_ARN_FORMAT"},
        id="arn-with-four-parts",
    ),
    pytest.param(
        doc(allow(resource="arn:aws::us-east-1:111122223333:key/x")),
        IDENT,
        {"E_ARN_FORMAT"},
        id="arn-without-service",
    ),
    pytest.param(
        doc(allow(resource="arn:aws:kms:us-east-1:111122223333:")),
        IDENT,
        {"W_ARN_EMPTY_RESOURCE"},
        id="arn-without-resource-part-matches-nothing-but-iam-accepts-it",
    ),
    pytest.param(
        doc(allow("organizations:DescribeOrganization", "arn:aws:organizations::*:")),
        IDENT,
        {"W_ARN_EMPTY_RESOURCE", "W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="organizations-arn-with-empty-resource-from-an-aws-managed-policy-is-a-warning",
    ),
    # IAM User Guide, Resource element: actions without resource-level permissions "apply to
    # all resources in that service"; the S3 User Guide's user-policy walkthrough grants
    # s3:ListAllMyBuckets on arn:aws:s3:::*. So an ARN naming the whole service covers them.
    pytest.param(
        doc(allow("s3:ListAllMyBuckets", "arn:aws:s3:::*")),
        IDENT,
        set(),
        id="star-only-action-on-every-resource-of-its-service-is-clean",
    ),
    pytest.param(
        doc(allow("ec2:DescribeInstances", "arn:aws:ec2:*:*:*")),
        IDENT,
        set(),
        id="star-only-action-on-every-ec2-resource-is-clean",
    ),
    pytest.param(
        doc(allow("s3:ListAllMyBuckets", "arn:aws:s3:::my-bucket*")),
        IDENT,
        {"W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="star-only-action-on-some-buckets-never-applies",
    ),
    pytest.param(
        doc(allow("s3:ListAllMyBuckets", "arn:aws:ec2:*:*:*")),
        IDENT,
        {"W_ACTION_REQUIRES_STAR_RESOURCE"},
        id="star-only-action-on-another-service-never-applies",
    ),
    # IAM User Guide, policy variables: a variable in Resource is replaced only in the
    # resource part of the ARN ("You can't use a variable to replace parts of the ARN before
    # the fifth colon, such as the service or account"), so in the account it is literal text.
    pytest.param(
        doc(allow("kms:Decrypt", "arn:*:kms:*:${aws:PrincipalAccount}:key/*")),
        IDENT,
        {"W_VARIABLE_OUTSIDE_RESOURCE"},
        id="variable-in-the-account-segment-is-literal-per-the-iam-user-guide",
    ),
    pytest.param(
        doc(allow(resource="arn:asw:kms:us-east-1:111122223333:key/x")),
        IDENT,
        {"W_ARN_PARTITION"},
        id="misspelt-partition",
    ),
    pytest.param(
        doc(allow(resource="arn:aws:*:*:111122223333:*")),
        IDENT,
        {"W_ARN_SERVICE_WILDCARD"},
        id="wildcard-arn-service",
    ),
    pytest.param(
        doc(allow(resource="arn:aws:kms:us-east-1:11112222333:key/x")),
        IDENT,
        {"E_ACCOUNT_ID"},
        id="eleven-digit-account-in-resource",
    ),
    pytest.param(
        doc(
            stmt(
                Principal={"Service": "cks.kms.amazonaws.com"},
                Action="sts:AssumeRole",
                Resource="*",
            )
        ),
        T,
        {"E_RESOURCE_NOT_ALLOWED"},
        id="resource-in-trust-policy",
    ),
    # principals
    pytest.param(
        doc(kp(principal={"AWS": "arn:aws:iam::111122223333:role/*"})),
        K,
        {"E_PRINCIPAL_WILDCARD"},
        id="partial-arn-wildcard-principal",
    ),
    pytest.param(
        doc(kp(principal={"AWS": "arn:aws:iam::*:root"})),
        R,
        {"E_PRINCIPAL_WILDCARD"},
        id="wildcard-account-principal",
    ),
    pytest.param(
        doc(stmt(Principal={"Service": "*.amazonaws.com"}, Action="sts:AssumeRole")),
        T,
        {"E_PRINCIPAL_WILDCARD"},
        id="wildcard-service-principal",
    ),
    pytest.param(
        doc(kp(principal={"AWS": "alice"})), K, {"E_PRINCIPAL_FORMAT"}, id="principal-name-not-arn"
    ),
    pytest.param(
        doc(kp(principal={"AWS": "arn:aws:s3:::bucket"})),
        K,
        {"E_PRINCIPAL_FORMAT"},
        id="principal-arn-of-other-service",
    ),
    pytest.param(
        doc(kp(principal={"AWS": "12345"})), K, {"E_ACCOUNT_ID"}, id="five-digit-account-principal"
    ),
    pytest.param(
        doc(kp(principal={"AWS": "arn:aws:iam::1111222233334:root"})),
        K,
        {"E_ACCOUNT_ID"},
        id="thirteen-digit-account-in-principal-arn",
    ),
    pytest.param(
        doc(kp(principal={"AWS": "AROAJQABLZS4A3QDU576Q"})),
        K,
        {"W_PRINCIPAL_UNIQUE_ID"},
        id="role-unique-id-principal",
    ),
    pytest.param(
        doc(stmt(Principal={"Service": "kms"}, Action="sts:AssumeRole")),
        T,
        {"W_SERVICE_PRINCIPAL_FORMAT"},
        id="service-principal-without-domain",
    ),
    pytest.param(doc(kp(principal="*")), K, {"S_PUBLIC_PRINCIPAL"}, id="public-key-policy"),
    pytest.param(
        doc(kp(principal={"AWS": "*"})), K, {"S_PUBLIC_PRINCIPAL"}, id="public-aws-star-key-policy"
    ),
    pytest.param(
        doc(
            stmt(
                Principal={"AWS": "*"},
                Action="sts:AssumeRole",
                Condition=when("StringEquals", "sts:ExternalId", "x"),
            )
        ),
        T,
        {"S_PUBLIC_PRINCIPAL"},
        id="public-trust-policy-with-only-external-id",
    ),
    pytest.param(
        doc(
            kp(
                "s3:GetObject",
                "*",
                Resource="arn:aws:s3:::b/*",
                Condition=when("StringNotEquals", "aws:PrincipalAccount", ACCOUNT),
            )
        ),
        R,
        {"S_PUBLIC_PRINCIPAL"},
        id="public-bucket-negated-condition-does-not-narrow",
    ),
    pytest.param(
        doc(kp(principal="*", Condition=when("StringLike", "aws:PrincipalOrgID", "*"))),
        K,
        {"S_PUBLIC_PRINCIPAL"},
        id="public-key-policy-wildcard-org-does-not-narrow",
    ),
    pytest.param(
        doc(stmt(NotPrincipal={"AWS": ROOT}, Action="s3:GetObject", Resource="arn:aws:s3:::b/*")),
        R,
        {"S_ALLOW_WITH_NOTPRINCIPAL"},
        id="allow-with-notprincipal",
    ),
    pytest.param(
        doc(stmt("Deny", NotPrincipal={"AWS": ROOT}, Action="s3:*", Resource="arn:aws:s3:::b/*")),
        R,
        {"W_DENY_WITH_NOTPRINCIPAL"},
        id="deny-with-notprincipal",
    ),
    pytest.param(
        doc(stmt("Deny", NotPrincipal={"AWS": ROOT}, Action="sts:AssumeRole")),
        T,
        {"E_NOTPRINCIPAL_NOT_SUPPORTED"},
        id="notprincipal-in-trust-policy",
    ),
    pytest.param(
        doc(stmt("Deny", NotPrincipal={"AWS": ROOT}, Action="s3:*", Resource="*")),
        RCP,
        {"E_NOTPRINCIPAL_NOT_SUPPORTED"},
        id="notprincipal-in-rcp",
    ),
    pytest.param(
        doc(
            stmt(
                Principal="*",
                Action="s3:*",
                Resource="*",
                Condition=when("Bool", "aws:SecureTransport", "false"),
            )
        ),
        RCP,
        {"E_RCP_ALLOW"},
        id="rcp-allow",
    ),
    pytest.param(
        doc(stmt("Deny", Principal={"AWS": ROOT}, Action="s3:*", Resource="*")),
        RCP,
        {"E_RCP_PRINCIPAL"},
        id="rcp-named-principal",
    ),
    pytest.param(
        doc(
            stmt(
                Principal={"Federated": OIDC},
                Action="sts:AssumeRoleWithWebIdentity",
                Condition=when(
                    "StringEquals", "token.actions.githubusercontent.com:aud", "sts.amazonaws.com"
                ),
            )
        ),
        T,
        {"S_FEDERATED_TRUST_UNSCOPED"},
        id="github-oidc-trust-without-sub",
    ),
    pytest.param(
        doc(kp(principal={"AWS": "arn:aws:iam::111122223333:user/${aws:username}"})),
        K,
        {"W_VARIABLE_NOT_SUPPORTED"},
        id="variable-in-principal",
    ),
    # conditions
    pytest.param(
        doc(allow(Condition=when("IpAddress", "SourceIp", "203.0.113.0/24"))),
        IDENT,
        {"E_CONDITION_KEY_FORMAT"},
        id="condition-key-without-service",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "aws:ResourceTag", "x"))),
        IDENT,
        {"E_MISSING_TAG_KEY"},
        id="resource-tag-without-tag-key",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "aws:SourceAcount", ACCOUNT))),
        IDENT,
        {"W_UNKNOWN_CONDITION_KEY"},
        id="misspelt-global-condition-key",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "kms:Colour", "blue"))),
        IDENT,
        {"W_UNKNOWN_CONDITION_KEY"},
        id="unknown-service-condition-key",
    ),
    pytest.param(
        doc(allow(Condition=when("DateLessThan", "aws:PrincipalTag/team", "2026-01-01"))),
        IDENT,
        {"W_OPERATOR_KEY_TYPE"},
        id="date-operator-on-string-key",
    ),
    pytest.param(
        doc(allow(Condition=when("IpAddress", "aws:username", "203.0.113.0/24"))),
        IDENT,
        {"W_OPERATOR_KEY_TYPE"},
        id="ip-operator-on-non-ip-key",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "aws:MultiFactorAuthPresent", "true"))),
        IDENT,
        {"W_OPERATOR_KEY_TYPE"},
        id="string-operator-on-bool-key",
    ),
    pytest.param(
        doc(allow(Condition=when("ArnLike", "aws:PrincipalAccount", "arn:aws:iam::*:root"))),
        IDENT,
        {"W_OPERATOR_KEY_TYPE"},
        id="arn-operator-on-string-key",
    ),
    pytest.param(
        doc(allow(Condition=when("ForAllValues:StringEquals", "aws:PrincipalAccount", ACCOUNT))),
        IDENT,
        {"S_FORALLVALUES_SINGLE_VALUED"},
        id="forallvalues-on-single-valued-key",
    ),
    pytest.param(
        doc(allow(Condition=when("ForAnyValue:StringEquals", "aws:PrincipalAccount", ACCOUNT))),
        IDENT,
        {"G_FORANYVALUE_SINGLE_VALUED"},
        id="foranyvalue-on-single-valued-key",
    ),
    pytest.param(
        doc(
            allow("kms:TagResource", KEY_ARN, Condition=when("StringEquals", "aws:TagKeys", "team"))
        ),
        IDENT,
        {"W_MISSING_QUALIFIER"},
        id="multi-valued-key-without-qualifier",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "aws:username", []))),
        IDENT,
        {"W_EMPTY_CONDITION_VALUES"},
        id="condition-with-no-values",
    ),
    pytest.param(
        doc(allow(Condition=when("DateLessThan", "aws:CurrentTime", "next tuesday"))),
        IDENT,
        {"W_DATE_VALUE"},
        id="date-value-not-iso8601",
    ),
    pytest.param(
        doc(allow(Condition=when("NumericLessThan", "aws:MultiFactorAuthAge", "one hour"))),
        IDENT,
        {"W_NUMERIC_VALUE"},
        id="numeric-value-not-a-number",
    ),
    pytest.param(
        doc(allow(Condition=when("IpAddress", "aws:SourceIp", "203.0.113.300"))),
        IDENT,
        {"W_IP_VALUE"},
        id="ip-value-not-an-address",
    ),
    pytest.param(
        doc(allow(Condition=when("IpAddress", "aws:SourceIp", "203.0.113.7/24"))),
        IDENT,
        {"G_IP_HOST_BITS"},
        id="cidr-with-host-bits",
    ),
    pytest.param(
        doc(allow(Condition=when("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"]))),
        IDENT,
        {"W_PRIVATE_SOURCE_IP"},
        id="source-ip-only-private",
    ),
    pytest.param(
        doc(allow(Condition=when("Bool", "aws:SecureTransport", "yes"))),
        IDENT,
        {"W_BOOL_VALUE"},
        id="bool-value-not-true-or-false",
    ),
    pytest.param(
        doc(allow(Condition=when("Null", "aws:TokenIssueTime", "maybe"))),
        IDENT,
        {"W_BOOL_VALUE"},
        id="null-value-not-true-or-false",
    ),
    pytest.param(
        doc(allow(Condition=when("Bool", "aws:SecureTransport", [True, False]))),
        IDENT,
        {"W_BOOL_BOTH_VALUES"},
        id="bool-true-and-false",
    ),
    pytest.param(
        doc(allow(Condition=when("BinaryEquals", "aws:username", "not base64!"))),
        IDENT,
        {"W_BINARY_VALUE"},
        id="binary-value-not-base64",
    ),
    pytest.param(
        doc(allow(Condition=when("ArnLike", "aws:SourceArn", "my-bucket"))),
        IDENT,
        {"W_ARN_VALUE"},
        id="arn-value-not-an-arn",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "aws:PrincipalTag/team", "ops-*"))),
        IDENT,
        {"W_WILDCARD_WITHOUT_LIKE"},
        id="wildcard-with-stringequals",
    ),
    pytest.param(
        doc(allow(Condition=when("StringEquals", "kms:CallerAccount", "11112222333"))),
        IDENT,
        {"W_ACCOUNT_ID_VALUE"},
        id="caller-account-not-12-digits",
    ),
    pytest.param(
        doc(
            allow(
                "kms:CreateCustomKeyStore",
                Condition=when("StringEquals", "kms:ViaService", "ec2.us-east-1.amazonaws.com"),
            )
        ),
        IDENT,
        {"W_CONDITION_KEY_NOT_SUPPORTED"},
        id="allow-custom-key-store-action-with-unsupported-key",
    ),
    pytest.param(
        doc(
            stmt(
                "Deny",
                Action="kms:ConnectCustomKeyStore",
                Resource="*",
                Condition=when("StringEquals", "kms:KeyOrigin", "AWS_CLOUDHSM"),
            )
        ),
        SCP,
        {"S_DENY_CONDITION_KEY_NOT_SUPPORTED"},
        id="deny-that-never-applies",
    ),
    # policy variables
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"), version=None),
        IDENT,
        {"W_VARIABLE_WITHOUT_VERSION", "W_MISSING_VERSION"},
        id="variable-without-version",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"), version="2008-10-17"),
        IDENT,
        {"W_VARIABLE_WITHOUT_VERSION", "G_VERSION_2008"},
        id="variable-under-version-2008",
    ),
    pytest.param(
        doc(
            allow(Condition=when("StringEquals", "aws:PrincipalTag/team", "${aws:username}")),
            version=None,
        ),
        IDENT,
        {"W_VARIABLE_WITHOUT_VERSION", "W_MISSING_VERSION"},
        id="condition-variable-without-version",
    ),
    pytest.param(
        doc(allow("iam:GetUser", "arn:aws:iam::${aws:PrincipalAccount}:user/x")),
        IDENT,
        {"W_VARIABLE_OUTSIDE_RESOURCE"},
        id="variable-in-account-part",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username/*")),
        IDENT,
        {"E_VARIABLE_SYNTAX"},
        id="variable-without-closing-brace",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${}/*")),
        IDENT,
        {"E_VARIABLE_SYNTAX"},
        id="empty-variable",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:user name}/*")),
        IDENT,
        {"E_VARIABLE_SYNTAX"},
        id="space-in-variable-name",
    ),
    pytest.param(
        doc(
            allow(Condition=when("StringEquals", "aws:PrincipalTag/team", "${aws:username, none}"))
        ),
        IDENT,
        {"E_VARIABLE_SYNTAX"},
        id="unquoted-variable-default",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:usrname}/*")),
        IDENT,
        {"W_UNKNOWN_VARIABLE"},
        id="variable-naming-unknown-key",
    ),
    pytest.param(
        doc(allow(Condition=when("NumericLessThan", "aws:MultiFactorAuthAge", "${aws:EpochTime}"))),
        IDENT,
        {"W_VARIABLE_NOT_SUPPORTED"},
        id="variable-with-numeric-operator",
    ),
]


@pytest.mark.parametrize(("policy", "policy_type", "expected"), CASES)
def test_check_reports_exactly_these_codes(
    policy: Any, policy_type: PolicyType, expected: set[str]
) -> None:
    findings = run(policy, policy_type)
    assert codes(findings) == expected
    for f in findings:
        assert f.severity is FINDING_CODES[f.code][0]
        assert f.span is not None and f.span.line >= 1 and f.span.column >= 1


# --- look-alikes that must stay clean ----------------------------------------------


CLEAN_VARIANTS = [
    pytest.param(
        doc(allow(["kms:CreateCustomKeyStore", "kms:DescribeCustomKeyStores"])),
        IDENT,
        id="star-only-actions-on-star",
    ),
    pytest.param(
        doc(
            allow(Condition=when("StringEquals", "kms:CallerAccount", ACCOUNT))
            | {"Action": "kms:CreateCustomKeyStore"}
        ),
        IDENT,
        id="custom-key-store-action-with-caller-account",
    ),
    pytest.param(
        doc(
            allow(
                "iam:PassRole",
                Condition=when("StringEquals", "iam:PassedToService", "ec2.amazonaws.com"),
            )
        ),
        IDENT,
        id="passrole-limited-to-one-service",
    ),
    pytest.param(
        doc(allow("iam:PassRole", "arn:aws:iam::111122223333:role/app-*")),
        IDENT,
        id="passrole-on-named-roles",
    ),
    pytest.param(
        doc(
            allow(
                "iam:CreateServiceLinkedRole",
                Condition=when("StringEquals", "iam:AWSServiceName", "cks.kms.amazonaws.com"),
            )
        ),
        IDENT,
        id="create-slr-limited-to-cks",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:iam::aws:policy/ReadOnlyAccess")),
        IDENT,
        id="aws-managed-policy-account",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:userid, 'anonymous'}/${*}")),
        IDENT,
        id="variable-with-default-and-escape",
    ),
    pytest.param(
        doc(
            kp(
                principal="*",
                Condition=when("StringEquals", "aws:PrincipalOrgID", "o-exampleorgid"),
            )
        ),
        K,
        id="star-principal-narrowed-by-org",
    ),
    pytest.param(
        doc(
            kp(principal="*", Effect="Deny", Condition=when("Bool", "aws:SecureTransport", "false"))
        ),
        K,
        id="star-principal-in-deny",
    ),
    pytest.param(doc(kp(principal="*")), EP, id="star-principal-in-endpoint-policy"),
    pytest.param(doc(stmt(Principal="*", Action="*", Resource="*")), RCP, id="rcp-full-aws-access"),
    pytest.param(doc(kp(Sid="Allow use of the key")), K, id="key-policy-sid-with-spaces"),
    pytest.param(doc(kp(Sid="A"), kp(Sid="B")), K, id="distinct-sids"),
    pytest.param(
        doc(allow(Condition=when("NumericLessThan", "aws:EpochTime", "1767225600"))),
        IDENT,
        id="numeric-operator-on-epoch-time",
    ),
    pytest.param(
        doc(
            allow(
                Condition=when(
                    "DateGreaterThan",
                    "aws:CurrentTime",
                    ["2026-01-31", "2026-01-31T12:00:00Z", "1767225600"],
                )
            )
        ),
        IDENT,
        id="date-values-iso-and-epoch",
    ),
    pytest.param(
        doc(
            allow(
                Condition=when(
                    "IpAddress", "aws:SourceIp", ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]
                )
            )
        ),
        IDENT,
        id="ipv4-ipv6-and-address",
    ),
    pytest.param(
        doc(allow(Condition=when("StringLike", "aws:PrincipalTag/team", "ops-*"))),
        IDENT,
        id="wildcard-with-stringlike",
    ),
    pytest.param(
        doc(
            allow(
                "kms:TagResource",
                KEY_ARN,
                Condition=when("ForAllValues:StringEquals", "aws:TagKeys", ["team"]),
            )
        ),
        IDENT,
        id="multi-valued-key-with-qualifier",
    ),
    pytest.param(
        doc(allow(Condition=when("ArnLike", "aws:SourceArn", "arn:aws:s3:::b"))),
        IDENT,
        id="arn-operator-on-arn-key",
    ),
    pytest.param(
        doc(allow(Condition=when("StringLike", "aws:SourceArn", "arn:aws:s3:::b*"))),
        IDENT,
        id="string-operator-on-arn-key",
    ),
    pytest.param(
        doc(allow(Condition=when("Null", "aws:TokenIssueTime", True))),
        IDENT,
        id="null-with-json-true",
    ),
    pytest.param(
        doc(
            allow(
                "kms:Decrypt",
                KEY_ARN,
                Condition=when("StringEquals", "kms:EncryptionContext:Dept", "IT"),
            )
        ),
        IDENT,
        id="templated-kms-key-supported-by-decrypt",
    ),
    pytest.param(
        doc(stmt(Principal={"Service": "cks.kms.amazonaws.com"}, Action="sts:AssumeRole")),
        T,
        id="cks-service-linked-role-trust",
    ),
    pytest.param(
        doc(allow("s3:GetObject", "arn:aws:s3:::b/\u00e9t\u00e9")),
        IDENT,
        id="latin1-characters-allowed",
    ),
    pytest.param(doc(allow("KMS:decrypt")), IDENT, id="action-case-insensitive"),
    pytest.param(doc(allow("kms:*")), IDENT, id="service-wildcard"),
]


@pytest.mark.parametrize(("policy", "policy_type"), CLEAN_VARIANTS)
def test_look_alike_is_clean(policy: Any, policy_type: PolicyType) -> None:
    assert [(f.code, f.message) for f in run(policy, policy_type)] == []


# --- positions, severities, order ---------------------------------------------------


POSITIONED = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Store manager",
      "Effect": "Allow",
      "Action": ["kms:CreateCustomKeyStore", "kms:Decrpyt"],
      "Resource": "arn:aws:kms:us-east-1:111122223333:key/x",
      "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}
    }
  ]
}
"""


def test_findings_point_at_the_offending_text() -> None:
    findings = run(POSITIONED, IDENT, source="store.json")
    where = {f.code: (f.span.line, f.span.column) for f in findings if f.span is not None}
    assert where == {
        "E_SID_FORMAT": (5, 14),
        "W_ACTION_REQUIRES_STAR_RESOURCE": (7, 18),
        "W_UNKNOWN_ACTION": (7, 46),
        "W_DATE_VALUE": (9, 57),
    }
    assert all(f.span is not None and f.span.source == "store.json" for f in findings)
    unknown = next(f for f in findings if f.code == "W_UNKNOWN_ACTION")
    assert "did you mean kms:Decrypt?" in unknown.message


def test_star_only_warning_points_at_resource_and_says_why() -> None:
    text = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
        ' "Action": "kms:CreateCustomKeyStore",\n'
        ' "Resource": "arn:aws:kms:us-east-1:111122223333:key/x"}]}'
    )
    (finding,) = run(text, IDENT)
    assert finding.code == "W_ACTION_REQUIRES_STAR_RESOURCE"
    assert finding.severity is Severity.WARNING
    assert finding.span is not None and (finding.span.line, finding.span.column) == (3, 14)
    assert '"Resource": "*"' in finding.message and "grants nothing" in finding.message


def test_findings_are_sorted_by_line_column_code() -> None:
    findings = run(POSITIONED, IDENT)
    keys = [(f.span.line, f.span.column, f.code) for f in findings if f.span is not None]
    assert keys == sorted(keys)


@pytest.mark.parametrize(("code", "entry"), sorted(FINDING_CODES.items()))
def test_code_prefix_matches_severity(code: str, entry: tuple[Severity, str]) -> None:
    prefix = {
        Severity.ERROR: "E_",
        Severity.SECURITY_WARNING: "S_",
        Severity.WARNING: "W_",
        Severity.SUGGESTION: "G_",
    }
    severity, meaning = entry
    assert code.startswith(prefix[severity])
    assert meaning


def test_every_code_is_exercised_by_a_test() -> None:
    exercised: set[str] = set()
    for param in CASES:
        exercised |= set(param.values[2])
    exercised |= {str(param.values[2]) for param in BAD_INPUT}
    exercised |= {
        "E_POLICY_TOO_LARGE",
        "W_POLICY_SIZE_QUOTA",
        "W_POLICY_SIZE_WHITESPACE",
        "W_POLICY_SIZE_KIND",
    }
    assert set(FINDING_CODES) - exercised == set()


def test_trust_actions_agree_with_the_evaluator() -> None:
    assert _TRUST_ACTIONS == TRUST_ACTIONS


# --- embedded documents -------------------------------------------------------------


def test_policy_embedded_as_json_string_is_validated() -> None:
    inner = json.dumps(doc(allow("kms:Decrpyt")), indent=2)
    (finding,) = run(json.dumps(inner), IDENT, source="p.json")
    assert finding.code == "W_UNKNOWN_ACTION"
    assert finding.span is not None
    assert finding.span.source == "p.json (embedded document)"
    assert (finding.span.line, finding.span.column) == (6, 17)


def test_url_encoded_policy_is_validated() -> None:
    text = urllib.parse.quote(json.dumps(doc(allow("kmz:Decrypt"))))
    assert codes(run(text, IDENT)) == {"W_UNKNOWN_SERVICE"}


def test_embedded_document_with_syntax_error_is_one_error() -> None:
    (finding,) = run(json.dumps('{"Version": "2012-10-17",'), IDENT, source="p.json")
    assert finding.code == "E_SYNTAX"
    assert finding.span is not None and finding.span.source == "p.json (embedded document)"


def test_a_policy_that_is_not_an_object_is_one_error() -> None:
    (finding,) = run("[1, 2]", IDENT)
    assert (finding.code, finding.severity) == ("E_TYPE", Severity.ERROR)


# --- size limits ----------------------------------------------------------------------


def _grow(
    policy_type: PolicyType, target: int, *, indent: int | None = None, measure: str = "chars"
) -> str:
    """A clean policy of ``policy_type`` padded with ARNs to just over ``target``."""
    items: list[str] = []

    def build() -> str:
        if policy_type is T:
            principal = {"AWS": items or [ROOT]}
            body = stmt(Principal=principal, Action="sts:AssumeRole")
        else:
            body = allow("kms:Decrypt" if policy_type is K else "s3:GetObject", items or "*")
            if policy_type in NEEDS_PRINCIPAL:
                body["Principal"] = "*" if policy_type is RCP else {"AWS": ROLE}
            if policy_type is RCP:
                body["Effect"] = "Deny"
        return json.dumps(doc(body), indent=indent, separators=None if indent else (",", ":"))

    def size(text: str) -> int:
        return len(text.encode()) if measure == "bytes" else len(text)

    n = 0
    while size(build()) <= target:
        name = (
            f"arn:aws:iam::{ACCOUNT}:role/r{n:06d}"
            if policy_type is T
            else (f"arn:aws:s3:::bucket-{n:06d}/*")
        )
        items.append(name)
        n += 1
    return build()


# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): customer managed policy 6,144
# characters; inline policies of a user 2,048, a group 5,120, a role 10,240 (in aggregate).
SIZE_CASES = [
    pytest.param(IDENT, CM, 6144, "E_POLICY_TOO_LARGE", id="customer-managed-over-6144"),
    pytest.param(IDENT, IU, 2048, "E_POLICY_TOO_LARGE", id="inline-user-over-2048"),
    pytest.param(IDENT, IG, 5120, "E_POLICY_TOO_LARGE", id="inline-group-over-5120"),
    pytest.param(IDENT, IR, 10240, "E_POLICY_TOO_LARGE", id="inline-role-over-10240"),
    pytest.param(
        IDENT, None, 6144, "W_POLICY_SIZE_KIND", id="identity-of-unknown-kind-over-6144-warns"
    ),
    pytest.param(B, None, 6144, "E_POLICY_TOO_LARGE", id="boundary-over-6144"),
    pytest.param(S, None, 2048, "E_POLICY_TOO_LARGE", id="session-over-2048"),
    pytest.param(T, None, 2048, "W_POLICY_SIZE_QUOTA", id="trust-over-default-2048-needs-quota"),
    pytest.param(T, None, 8192, "E_POLICY_TOO_LARGE", id="trust-over-maximum-8192"),
    pytest.param(SCP, None, 5120, "E_POLICY_TOO_LARGE", id="scp-over-5120"),
    pytest.param(RCP, None, 5120, "E_POLICY_TOO_LARGE", id="rcp-over-5120"),
    pytest.param(K, None, 32768, "E_POLICY_TOO_LARGE", id="key-policy-over-32768-bytes"),
    pytest.param(EP, None, 20480, "E_POLICY_TOO_LARGE", id="endpoint-over-20480"),
    pytest.param(R, None, 20480, "E_POLICY_TOO_LARGE", id="resource-over-20480"),
]


@pytest.mark.parametrize(("policy_type", "kind", "limit", "code"), SIZE_CASES)
def test_size_limit(
    policy_type: PolicyType, kind: PolicyKind | None, limit: int, code: str
) -> None:
    measure = "bytes" if policy_type in (K, R) else "chars"
    over = _grow(policy_type, limit, measure=measure)
    found = run(over, policy_type, kind=kind)
    assert codes(found) == {code}
    (finding,) = found
    assert finding.span is not None and (finding.span.line, finding.span.column) == (1, 1)
    assert f"{limit:,}" in finding.message
    at_limit = json.loads(over)
    last = at_limit["Statement"][0]
    key = "Principal" if policy_type is T else "Resource"
    if policy_type is T:
        last[key]["AWS"].pop()
    else:
        last[key].pop()
    under = json.dumps(at_limit, separators=(",", ":"))
    assert code not in codes(run(under, policy_type, kind=kind))


def test_aws_managed_policy_has_no_published_size_quota() -> None:
    """AWS managed policies exceed every customer quota (the largest is ~150,000 characters)."""
    assert run(_grow(IDENT, 20000), IDENT, kind=PolicyKind.AWS_MANAGED) == []


def test_identity_policy_whitespace_is_not_counted() -> None:
    shorter = json.loads(_grow(IDENT, 6144))
    shorter["Statement"][0]["Resource"].pop()
    pretty = json.dumps(shorter, indent=8)
    assert len(pretty) > 6144
    assert run(pretty, IDENT) == []


def test_scp_that_fits_only_without_whitespace_warns() -> None:
    compact = json.loads(_grow(SCP, 5120))
    compact["Statement"][0]["Resource"] = compact["Statement"][0]["Resource"][:-5]
    pretty = json.dumps(compact, indent=4)
    assert len(pretty) > 5120 >= len(json.dumps(compact, separators=(",", ":")))
    assert codes(run(pretty, SCP)) == {"W_POLICY_SIZE_WHITESPACE"}


# --- robustness (property-based) -------------------------------------------------------


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "*",
            "kms:*",
            "kms:CreateCustomKeyStore",
            KEY_ARN,
            ROOT,
            OIDC,
            "${aws:username}",
            "${",
            "a*?b",
            "10.0.0.0/8",
            "2026-01-01",
            "true",
        ]
    )
)
_CONDITION_WORDS = st.sampled_from(
    [
        "AWS",
        "Service",
        "Federated",
        "StringEquals",
        "ForAllValues:StringLike",
        "DateLessThan",
        "IpAddress",
        "Bool",
        "Null",
        "aws:SourceIp",
        "aws:TagKeys",
        "kms:ViaService",
    ]
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_CONDITION_WORDS | st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)
_STATEMENT = st.dictionaries(
    st.sampled_from(
        [
            *("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction"),
            *("Resource", "NotResource", "Condition", "Other"),
        ]
    ),
    _JSON | st.sampled_from(["Allow", "Deny"]),
    max_size=7,
)
_POLICY = st.fixed_dictionaries(
    {"Statement": st.lists(_STATEMENT, max_size=3) | _STATEMENT},
    optional={"Version": st.sampled_from([V, "2008-10-17", "1"])},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=_POLICY, policy_type=st.sampled_from(list(PolicyType)))
def test_any_policy_shaped_document_yields_documented_sorted_findings(
    policy: dict[str, Any], policy_type: PolicyType
) -> None:
    findings = run(policy, policy_type)
    assert findings == sorted(findings, key=lambda f: f.sort_key())
    for f in findings:
        assert FINDING_CODES[f.code][0] is f.severity
        assert f.span is not None and f.span.line >= 1 and f.span.column >= 1
        assert f.message


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_input_never_raises(data: bytes | str) -> None:
    for f in run(data, IDENT):
        assert FINDING_CODES[f.code][0] is f.severity
