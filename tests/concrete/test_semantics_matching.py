"""Reference corpus: matching of actions, resource ARNs, principals, and policy variables.

Every case is derived from AWS documentation; the comment above each group names the page.
A row is ``(scenario, expected decision)``; denials here are always implicit denies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import cksmodel

ALLOWED = "allowed"
IMPLICIT = "implicitDeny"

V2012 = "2012-10-17"
V2008 = "2008-10-17"

ACCT = "111122223333"
ROOT = f"arn:aws:iam::{ACCT}:root"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/worker-1"
SESSION_2 = f"arn:aws:sts::{ACCT}:assumed-role/app/worker-2"
BUCKET = "arn:aws:s3:::example-bucket"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

DEFAULT_KEY_POLICY = {
    "Version": V2012,
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def allow(action: Any, resource: Any = "*", **elements: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **elements}


def policy(*statements: dict, version: str | None = V2012) -> dict:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


def req(principal: str, action: str, resource: str, context: dict | None = None) -> dict:
    r: dict[str, Any] = {"principal": principal, "action": action, "resource": resource}
    if resource.startswith("arn:aws:s3:::"):
        r["resource_account"] = ACCT
    if context:
        r["context"] = context
    return r


def identity_case(
    action_in_policy: Any,
    resource_in_policy: Any,
    request: dict,
    expected: str,
    case_id: str,
    *,
    version: str | None = V2012,
    **parts: Any,
) -> Any:
    """One identity policy with one Allow statement, evaluated against ``request``."""
    s = {
        "request": request,
        "identity_policies": [policy(allow(action_in_policy, resource_in_policy), version=version)],
        **parts,
    }
    return pytest.param(s, expected, id=case_id)


def check(s: Any, expected: str) -> None:
    d = cksmodel.simulate(s)
    assert d.decision == expected, f"expected {expected}, got {d.decision} ({d.blocked_by})"


GET = "s3:GetObject"
OBJ = f"{BUCKET}/reports/q1.csv"

ACTIONS = [
    # IAM "IAM JSON policy elements: Action": "The prefix and the action name are case insensitive";
    # "*" matches any run of characters and "?" one character (wildcards in Action).
    identity_case("S3:getobject", "*", req(ALICE, GET, OBJ), ALLOWED, "action-is-case-insensitive"),
    identity_case("s3:Get*", "*", req(ALICE, GET, OBJ), ALLOWED, "action-prefix-wildcard"),
    identity_case(
        "s3:Get*", "*", req(ALICE, "s3:PutObject", OBJ), IMPLICIT, "action-prefix-wildcard-miss"
    ),
    identity_case(
        "s3:*Object", "*", req(ALICE, "s3:DeleteObject", OBJ), ALLOWED, "action-inner-wildcard"
    ),
    identity_case(
        "s3:*Object",
        "*",
        req(ALICE, "s3:ListBucket", BUCKET),
        IMPLICIT,
        "action-inner-wildcard-miss",
    ),
    identity_case("s3:?etObject", "*", req(ALICE, GET, OBJ), ALLOWED, "action-question-mark"),
    identity_case(
        "*", "*", req(ALICE, "iam:ListUsers", "*"), ALLOWED, "action-star-matches-everything"
    ),
    # The service prefix is part of the pattern: s3:* does not reach the s3express service.
    identity_case(
        "s3:*",
        "*",
        req(ALICE, "s3express:CreateSession", "arn:aws:s3express:us-east-1:111122223333:bucket/b"),
        IMPLICIT,
        "action-wildcard-does-not-cross-service-prefix",
    ),
    identity_case(
        "kms:ReEncrypt*",
        KEY,
        req(ALICE, "kms:ReEncryptFrom", KEY),
        ALLOWED,
        "action-wildcard-kms-reencrypt",
        resource_policy=DEFAULT_KEY_POLICY,
    ),
    # IAM "Grammar of the IAM JSON policy language": an element list may be a single string.
    identity_case([GET, "s3:PutObject"], "*", req(ALICE, GET, OBJ), ALLOWED, "action-list"),
]

RESOURCES = [
    # IAM "IAM JSON policy elements: Resource": actions without resource-level permissions
    # "apply to all resources in that service"; the S3 User Guide's walkthrough "Controlling
    # access to a bucket with user policies" grants s3:ListAllMyBuckets on arn:aws:s3:::*.
    # An action without a resource type is requested on "*", which such an ARN covers.
    identity_case(
        "s3:ListAllMyBuckets",
        "arn:aws:s3:::*",
        req(ALICE, "s3:ListAllMyBuckets", "*"),
        ALLOWED,
        "star-only-action-allowed-by-an-arn-naming-its-whole-service",
    ),
    identity_case(
        "s3:ListAllMyBuckets",
        "arn:aws:s3:::report*",
        req(ALICE, "s3:ListAllMyBuckets", "*"),
        IMPLICIT,
        "star-only-action-not-allowed-by-an-arn-naming-some-buckets",
    ),
    identity_case(
        "s3:ListAllMyBuckets",
        "arn:aws:ec2:*:*:*",
        req(ALICE, "s3:ListAllMyBuckets", "*"),
        IMPLICIT,
        "star-only-action-not-allowed-by-another-services-arn",
    ),
    # IAM "IAM JSON policy elements: Resource" > "Using wildcards in resource ARNs": wildcards
    # within segments; "If the * wildcard is the last character of a resource ARN segment, it
    # can expand to match beyond the colon boundaries"; "*" also matches "/" in the resource
    # part ("including characters like a forward slash (/) that may otherwise appear as a
    # delimiter").
    identity_case(
        GET,
        f"{BUCKET}/*",
        req(ALICE, GET, f"{BUCKET}/a/b/c.txt"),
        ALLOWED,
        "resource-star-crosses-slash",
    ),
    identity_case(
        "logs:GetLogEvents",
        f"arn:aws:logs:us-east-1:{ACCT}:log-group:*",
        req(
            ALICE,
            "logs:GetLogEvents",
            f"arn:aws:logs:us-east-1:{ACCT}:log-group:app:log-stream:s-1",
        ),
        ALLOWED,
        "resource-star-crosses-colon-in-resource-part",
    ),
    identity_case(
        GET,
        f"{BUCKET}/file?.txt",
        req(ALICE, GET, f"{BUCKET}/file1.txt"),
        ALLOWED,
        "resource-question-mark-one-char",
    ),
    identity_case(
        GET,
        f"{BUCKET}/file?.txt",
        req(ALICE, GET, f"{BUCKET}/file10.txt"),
        IMPLICIT,
        "resource-question-mark-not-two-chars",
    ),
    identity_case(
        "kms:Decrypt",
        f"arn:aws:kms:*:{ACCT}:key/*",
        req(ALICE, "kms:Decrypt", KEY),
        ALLOWED,
        "resource-region-wildcard",
        resource_policy=DEFAULT_KEY_POLICY,
    ),
    identity_case(
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:*:queue1",
        req(ALICE, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:queue1"),
        ALLOWED,
        "resource-account-wildcard",
    ),
    identity_case(
        "sqs:SendMessage",
        "arn:aws:s3:::*",
        req(ALICE, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:queue1"),
        IMPLICIT,
        "resource-pattern-of-another-service-does-not-match",
    ),
    identity_case(
        GET, BUCKET, req(ALICE, GET, OBJ), IMPLICIT, "bucket-arn-does-not-match-object-arn"
    ),
    identity_case(GET, "*", req(ALICE, GET, OBJ), ALLOWED, "resource-star-matches-everything"),
    # "In the Resource element, the IAM user name is case sensitive"; the resource part of an
    # ARN is matched case-sensitively.
    identity_case(
        "iam:GetUser",
        f"arn:aws:iam::{ACCT}:user/Bob",
        req(ALICE, "iam:GetUser", f"arn:aws:iam::{ACCT}:user/bob"),
        IMPLICIT,
        "resource-part-is-case-sensitive-iam-user",
    ),
    identity_case(
        GET,
        f"{BUCKET}/Reports/*",
        req(ALICE, GET, OBJ),
        IMPLICIT,
        "resource-part-is-case-sensitive-s3-key",
    ),
    # DESIGN.md: partition, service, region and account are matched case-insensitively (AWS
    # documents service prefixes in actions as case-insensitive; it is silent for ARNs).
    identity_case(
        GET, "ARN:AWS:S3:::example-bucket/*", req(ALICE, GET, OBJ), ALLOWED, "arn-prefix-any-case"
    ),
    identity_case(
        "kms:Decrypt",
        f"arn:aws:kms:US-EAST-1:{ACCT}:key/*",
        req(ALICE, "kms:Decrypt", KEY),
        ALLOWED,
        "arn-region-any-case",
        resource_policy=DEFAULT_KEY_POLICY,
    ),
]

PRINCIPALS_AND_GRAMMAR = [
    # IAM "AWS JSON policy elements: Principal" > role session principals: a session ARN names
    # one session.
    pytest.param(
        {
            "request": req(SESSION_2, GET, OBJ),
            "resource_policy": policy(allow(GET, OBJ, Principal={"AWS": [SESSION]})),
        },
        IMPLICIT,
        id="principal-session-arn-names-only-that-session",
    ),
    pytest.param(
        {
            "request": req(SESSION, GET, OBJ),
            "resource_policy": policy(allow(GET, OBJ, Principal={"AWS": [ALICE, SESSION]})),
        },
        ALLOWED,
        id="principal-list-any-entry-matches",
    ),
    # IAM "Grammar of the IAM JSON policy language": Statement may be one object, not a list.
    pytest.param(
        {
            "request": req(ALICE, GET, OBJ),
            "identity_policies": [{"Version": V2012, "Statement": allow(GET, OBJ)}],
        },
        ALLOWED,
        id="statement-may-be-a-single-object",
    ),
    pytest.param(
        {
            "request": req(ALICE, GET, OBJ),
            "identity_policies": [json.dumps(policy(allow(GET, [OBJ])))],
        },
        ALLOWED,
        id="policy-given-as-json-text",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected"), ACTIONS + RESOURCES + PRINCIPALS_AND_GRAMMAR)
def test_matching(scenario_: dict, expected: str) -> None:
    check(scenario_, expected)


# --------------------------------------------------------------------------- policy variables

HOME = f"{BUCKET}/home/${{aws:username}}/*"  # ...home/${aws:username}/*
TEAM_DEFAULT = f"{BUCKET}/teams/${{aws:PrincipalTag/team, 'none'}}/*"

VARIABLES = [
    # IAM "IAM policy elements: Variables and tags": "IAM replaces the variable ${aws:username}
    # with the friendly name of the actual current user"; variables work "only in the resource
    # portion of the ARN".
    identity_case(
        GET, HOME, req(ALICE, GET, f"{BUCKET}/home/alice/notes.txt"), ALLOWED, "var-username-own"
    ),
    identity_case(
        GET,
        HOME,
        req(ALICE, GET, f"{BUCKET}/home/bob/notes.txt"),
        IMPLICIT,
        "var-username-other-users-prefix",
    ),
    # Same page, principal key values: aws:username is "not present" for an assumed role, "and
    # any attempt to match it fails".
    identity_case(
        GET,
        HOME,
        req(SESSION, GET, f"{BUCKET}/home/worker-1/notes.txt"),
        IMPLICIT,
        "var-unresolved-for-role-session-does-not-match",
    ),
    # "Specifying default values": ${key, 'default'} when the key is absent.
    identity_case(
        GET,
        TEAM_DEFAULT,
        req(ALICE, GET, f"{BUCKET}/teams/none/plan.txt"),
        ALLOWED,
        "var-default-used-when-key-absent",
    ),
    identity_case(
        GET,
        TEAM_DEFAULT,
        req(ALICE, GET, f"{BUCKET}/teams/blue/plan.txt", {"aws:PrincipalTag/team": "blue"}),
        ALLOWED,
        "var-key-value-used-when-present",
    ),
    identity_case(
        GET,
        TEAM_DEFAULT,
        req(ALICE, GET, f"{BUCKET}/teams/none/plan.txt", {"aws:PrincipalTag/team": "blue"}),
        IMPLICIT,
        "var-default-ignored-when-key-present",
    ),
    # "Special characters": ${*}, ${?} and ${$} stand for the literal characters.
    identity_case(
        GET,
        f"{BUCKET}/literal${{*}}star",
        req(ALICE, GET, f"{BUCKET}/literal*star"),
        ALLOWED,
        "var-escape-star-matches-literal-star",
    ),
    identity_case(
        GET,
        f"{BUCKET}/literal${{*}}star",
        req(ALICE, GET, f"{BUCKET}/literalXstar"),
        IMPLICIT,
        "var-escape-star-is-not-a-wildcard",
    ),
    identity_case(
        GET,
        f"{BUCKET}/what${{?}}",
        req(ALICE, GET, f"{BUCKET}/whatX"),
        IMPLICIT,
        "var-escape-question-mark-is-not-a-wildcard",
    ),
    identity_case(
        GET,
        f"{BUCKET}/what${{?}}",
        req(ALICE, GET, f"{BUCKET}/what?"),
        ALLOWED,
        "var-escape-question-mark-matches-literal",
    ),
    identity_case(
        GET,
        f"{BUCKET}/price${{$}}5",
        req(ALICE, GET, f"{BUCKET}/price$5"),
        ALLOWED,
        "var-escape-dollar",
    ),
    # "You can't use a variable to replace parts of the ARN before the fifth colon, such as the
    # service or account": such text is not substituted, so it matches nothing real.
    identity_case(
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:queue1",
        req(ALICE, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:queue1"),
        IMPLICIT,
        "var-before-fifth-colon-is-not-substituted",
    ),
    # "Variables were introduced in version 2012-10-17 ... If you don't include the Version
    # element and set it to an appropriate version date, variables like ${aws:username} are
    # treated as literal strings in the policy."
    identity_case(
        GET,
        HOME,
        req(ALICE, GET, f"{BUCKET}/home/alice/notes.txt"),
        IMPLICIT,
        "var-literal-under-version-2008",
        version=V2008,
    ),
    identity_case(
        GET,
        f"{BUCKET}/home/${{aws:username}}/notes.txt",
        req(ALICE, GET, f"{BUCKET}/home/${{aws:username}}/notes.txt"),
        ALLOWED,
        "var-literal-under-version-2008-matches-literal-text",
        version=V2008,
    ),
    identity_case(
        GET,
        HOME,
        req(ALICE, GET, f"{BUCKET}/home/alice/notes.txt"),
        IMPLICIT,
        "var-literal-without-version",
        version=None,
    ),
]


@pytest.mark.parametrize(("scenario_", "expected"), VARIABLES)
def test_policy_variables(scenario_: dict, expected: str) -> None:
    check(scenario_, expected)


def _conditional(condition: dict, context: dict | None = None) -> dict:
    return {
        "request": req(ALICE, "s3:ListBucket", BUCKET, context),
        "identity_policies": [policy(allow("s3:ListBucket", BUCKET, Condition=condition))],
    }


@pytest.mark.parametrize(
    ("scenario_", "expected"),
    [
        # Variables and tags > Condition element: variables work "in any condition that
        # involves the string operators or the ARN operators" (doc example s3:prefix).
        pytest.param(
            _conditional(
                {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
                {"s3:prefix": "home/alice/photos/"},
            ),
            ALLOWED,
            id="var-in-stringlike-condition",
        ),
        pytest.param(
            _conditional(
                {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
                {"s3:prefix": "home/bob/photos/"},
            ),
            IMPLICIT,
            id="var-in-stringlike-condition-other-user",
        ),
        pytest.param(
            _conditional(
                {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/${{aws:username}}"}}
            ),
            ALLOWED,
            id="var-in-arn-condition",
        ),
        pytest.param(
            _conditional(
                {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/owner}"}},
                {"aws:PrincipalTag/team": "blue", "aws:PrincipalTag/owner": "blue"},
            ),
            ALLOWED,
            id="var-from-context-key-in-condition",
        ),
    ],
)
def test_policy_variables_in_conditions(scenario_: dict, expected: str) -> None:
    check(scenario_, expected)


# --------------------------------------------------------------------------- malformed policies
#
# IAM "IAM JSON policy elements: Principal": "You cannot use the Principal element in an
# identity-based policy" and resource-based policies must name a Principal; DESIGN.md: duplicate
# keys are an error. Bad input raises the package's error root, never a decision.

_DUPLICATE_EFFECT = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}
  ]
}"""


@pytest.mark.parametrize(
    "scenario_",
    [
        pytest.param(
            {"request": req(ALICE, GET, OBJ), "identity_policies": [_DUPLICATE_EFFECT]},
            id="duplicate-key-in-policy-json",
        ),
        pytest.param(
            {
                "request": req(ALICE, GET, OBJ),
                "identity_policies": [policy(allow(GET, OBJ, Principal={"AWS": ALICE}))],
            },
            id="principal-in-identity-policy",
        ),
        pytest.param(
            {"request": req(ALICE, GET, OBJ), "resource_policy": policy(allow(GET, OBJ))},
            id="resource-policy-without-principal",
        ),
    ],
)
def test_malformed_policy_is_an_input_error(scenario_: dict) -> None:
    with pytest.raises(cksmodel.CksError):
        cksmodel.simulate(scenario_)
