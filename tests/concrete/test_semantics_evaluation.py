"""Reference corpus: core IAM policy evaluation (deny precedence, policy types, accounts).

Every case is derived from AWS documentation; the comment above each group names the page
and section. A row is ``(scenario, expected decision, expected blocked_by)``; ``UNCHECKED``
means the docs do not pin down which policy type "blocked" the request, so only the decision
is asserted. Scenarios are written against the ``cksmodel.simulate`` scenario format.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import cksmodel

ALLOWED = "allowed"
EXPLICIT = "explicitDeny"
IMPLICIT = "implicitDeny"
UNCHECKED = "<blocked_by not asserted>"

V2012 = "2012-10-17"

ACCT = "111122223333"
OTHER = "444455556666"
ROOT = f"arn:aws:iam::{ACCT}:root"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
CAROL = f"arn:aws:iam::{ACCT}:user/carol"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/worker-1"
SESSION_2 = f"arn:aws:sts::{ACCT}:assumed-role/app/worker-2"
FED = f"arn:aws:sts::{ACCT}:federated-user/fiona"
BOB = f"arn:aws:iam::{OTHER}:user/bob"
BOB_ROLE = f"arn:aws:iam::{OTHER}:role/partner"
BOB_SESSION = f"arn:aws:sts::{OTHER}:assumed-role/partner/bob-session"
DEPLOY_ROLE = f"arn:aws:iam::{ACCT}:role/deploy"
CKS_SLR = (
    f"arn:aws:iam::{ACCT}:role/aws-service-role/cks.kms.amazonaws.com/"
    "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
)

BUCKET = "arn:aws:s3:::example-bucket"
OBJ = f"{BUCKET}/reports/q1.csv"
OTHER_BUCKET = "arn:aws:s3:::unrelated-bucket"


# --------------------------------------------------------------------------- helpers


def stmt(effect: str, action: Any = None, resource: Any = None, **elements: Any) -> dict:
    """One statement; ``elements`` are further policy elements (Principal, Condition, Sid...)."""
    s: dict[str, Any] = {"Effect": effect}
    if action is not None:
        s["Action"] = action
    if resource is not None:
        s["Resource"] = resource
    s.update(elements)
    return s


def allow(action: Any, resource: Any = "*", **elements: Any) -> dict:
    return stmt("Allow", action, resource, **elements)


def deny(action: Any, resource: Any = "*", **elements: Any) -> dict:
    return stmt("Deny", action, resource, **elements)


def policy(*statements: dict, version: str | None = V2012) -> dict:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


def aws(*arns: str) -> dict:
    return {"AWS": list(arns) if len(arns) > 1 else arns[0]}


def req(
    principal: str,
    action: str,
    resource: str,
    context: dict | None = None,
    **extra: Any,
) -> dict:
    r: dict[str, Any] = {"principal": principal, "action": action, "resource": resource}
    if resource.startswith("arn:aws:s3:::"):
        r["resource_account"] = ACCT  # S3 ARNs carry no account
    if context:
        r["context"] = context
    r.update(extra)
    return r


def scenario(request: dict, *, identity: list[dict] | None = None, **parts: Any) -> dict:
    s: dict[str, Any] = {"request": request}
    if identity is not None:
        s["identity_policies"] = identity
    s.update(parts)
    return s


def check(s: dict, expected: str, blocked_by: str | None) -> Any:
    d = cksmodel.simulate(s)
    assert d.decision == expected, f"expected {expected}, got {d.decision} ({d.blocked_by})"
    if expected == ALLOWED:
        assert d.blocked_by is None
    elif blocked_by != UNCHECKED:
        assert d.blocked_by == blocked_by
    return d


GET = "s3:GetObject"
ALLOW_GET = policy(allow(GET, OBJ))
ONLY_EC2 = policy(allow("ec2:*", "*"))  # a boundary / session policy that does not cover S3


# --------------------------------------------------------------------------- deny precedence

DENY_PRECEDENCE = [
    # IAM "Policy evaluation logic" > "The difference between explicit and implicit denies":
    # with no applicable Allow the request is implicitly denied.
    pytest.param(
        scenario(req(ALICE, GET, OBJ)),
        IMPLICIT,
        "identity",
        id="no-policy-at-all-is-implicit-deny",
    ),
    pytest.param(
        scenario(req(ALICE, GET, OBJ), identity=[ALLOW_GET]),
        ALLOWED,
        None,
        id="identity-allow-alone-grants-within-the-account",
    ),
    pytest.param(
        scenario(req(ALICE, "s3:PutObject", OBJ), identity=[ALLOW_GET]),
        IMPLICIT,
        "identity",
        id="identity-allow-for-another-action-is-implicit-deny",
    ),
    # "An explicit deny in any of these policies overrides the allow."
    pytest.param(
        scenario(req(ALICE, GET, OBJ), identity=[policy(allow("s3:*", "*"), deny(GET, OBJ))]),
        EXPLICIT,
        "identity",
        id="deny-overrides-allow-in-the-same-identity-policy",
    ),
    # "For an IAM user, these include user policies and policies from groups" (denyallow page):
    # one Allow in any attached policy suffices; one Deny in any attached policy wins.
    pytest.param(
        scenario(req(ALICE, GET, OBJ), identity=[policy(allow("ec2:*")), ALLOW_GET]),
        ALLOWED,
        None,
        id="allow-in-any-one-of-several-identity-policies-suffices",
    ),
    pytest.param(
        scenario(req(ALICE, GET, OBJ), identity=[ALLOW_GET, policy(deny("s3:*"))]),
        EXPLICIT,
        "identity",
        id="deny-in-a-group-policy-overrides-allow-in-a-user-policy",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            resource_policy=policy(deny(GET, OBJ, Principal="*")),
        ),
        EXPLICIT,
        "resource",
        id="bucket-policy-deny-overrides-identity-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[policy(deny("s3:*"))],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ALICE))),
        ),
        EXPLICIT,
        "identity",
        id="identity-deny-overrides-bucket-policy-allow-naming-the-user",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            permissions_boundary=policy(allow("s3:*"), deny(GET, OBJ)),
        ),
        EXPLICIT,
        "boundary",
        id="boundary-deny-overrides-identity-allow",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            identity=[ALLOW_GET],
            session_policy=policy(allow("s3:*"), deny(GET, "*")),
        ),
        EXPLICIT,
        "session",
        id="session-policy-deny-overrides-identity-allow",
    ),
    # A Deny whose condition is not met does not apply.
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ, context={"aws:SourceIp": "203.0.113.7"}),
            identity=[
                ALLOW_GET,
                policy(
                    deny("s3:*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
                ),
            ],
        ),
        ALLOWED,
        None,
        id="deny-whose-condition-is-not-met-does-not-apply",
    ),
    # "The difference between explicit and implicit denies": iam:Get*/iam:List* allowed,
    # iam:*Report explicitly denied, everything else implicitly denied.
    pytest.param(
        scenario(
            req(ALICE, "iam:GetCredentialReport", "*"),
            identity=[
                policy(
                    allow(["iam:Get*", "iam:List*"], Sid="AllowGetList"),
                    deny("iam:*Report", Sid="DenyReports"),
                )
            ],
        ),
        EXPLICIT,
        "identity",
        id="doc-example-report-action-explicitly-denied-despite-get-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, "iam:CreatePolicy", f"arn:aws:iam::{ACCT}:policy/p"),
            identity=[
                policy(
                    allow(["iam:Get*", "iam:List*"], Sid="AllowGetList"),
                    deny("iam:*Report", Sid="DenyReports"),
                )
            ],
        ),
        IMPLICIT,
        "identity",
        id="doc-example-unlisted-action-implicitly-denied",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), DENY_PRECEDENCE)
def test_deny_precedence(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# IAM "Policy evaluation for requests within a single account" > "Example identity-based and
# resource-based policy evaluation" (the carlossalazar example), checked statement by statement.
CARLOS = "arn:aws:iam::123456789012:user/carlossalazar"
CARLOS_POLICY = policy(
    allow(
        [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "arn:aws:s3:::*",
        Sid="AllowS3ListRead",
    ),
    allow(
        "s3:*",
        ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        Sid="AllowS3Self",
    ),
    deny("s3:*", "arn:aws:s3:::*log*", Sid="DenyS3Logs"),
)
CARLOS_BUCKET_POLICY = policy(
    allow(
        "s3:*",
        ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        Principal=aws(CARLOS),
    )
)


def _carlos(resource: str) -> dict:
    return {
        "request": {
            "principal": CARLOS,
            "action": "s3:PutObject",
            "resource": resource,
            "resource_account": "123456789012",
        },
        "identity_policies": [CARLOS_POLICY],
        "resource_policy": CARLOS_BUCKET_POLICY,
    }


def test_doc_example_carlos_log_bucket_denied_by_deny_s3_logs_statement() -> None:
    d = check(_carlos("arn:aws:s3:::carlossalazar-logs/file.txt"), EXPLICIT, "identity")
    denies = [m for m in d.matched_statements if m.effect == "Deny"]
    assert len(denies) == 1
    assert denies[0].policy_type == "identity"
    assert denies[0].statement_index == 2
    assert denies[0].sid == "DenyS3Logs"
    assert denies[0].line is None and denies[0].column is None  # given as Python objects


def test_doc_example_carlos_own_bucket_allowed_by_both_policies() -> None:
    d = check(_carlos("arn:aws:s3:::carlossalazar/file.txt"), ALLOWED, None)
    allows = {(m.policy_type, m.statement_index) for m in d.matched_statements}
    # AllowS3Self (identity statement 1) and the bucket policy statement 0 both allow; either
    # one alone decides the request, and nothing else matches it.
    assert allows
    assert allows <= {("identity", 1), ("resource", 0)}
    assert all(m.effect == "Allow" for m in d.matched_statements)


def test_json_text_policy_reports_source_position_of_matched_statement() -> None:
    text = json.dumps(CARLOS_POLICY, indent=2)
    s = _carlos("arn:aws:s3:::carlossalazar-logs/file.txt")
    s["identity_policies"] = [text]
    d = check(s, EXPLICIT, "identity")
    (m,) = [m for m in d.matched_statements if m.effect == "Deny"]
    lines = text.splitlines()
    sid_line = next(i for i, ln in enumerate(lines, 1) if '"DenyS3Logs"' in ln)
    open_line = max(i for i, ln in enumerate(lines[:sid_line], 1) if ln.strip() == "{")
    # The reported position lies inside the third statement object (its "{" up to its Sid).
    assert m.line is not None and m.column is not None
    assert open_line <= m.line <= sid_line


# --------------------------------------------------------------------------- boundaries, sessions

BOUNDARY_AND_SESSION = [
    # "Permissions boundaries for IAM entities": the ShirleyRodriguez example. The boundary
    # allows s3/cloudwatch/ec2; an identity allow for iam:CreateUser is therefore ineffective.
    pytest.param(
        scenario(
            req(ALICE, "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/new-user"),
            identity=[policy(allow("iam:CreateUser"))],
            permissions_boundary=policy(allow(["s3:*", "cloudwatch:*", "ec2:*"])),
        ),
        IMPLICIT,
        "boundary",
        id="boundary-caps-identity-allow-doc-example",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            permissions_boundary=policy(allow(["s3:*", "cloudwatch:*", "ec2:*"])),
        ),
        ALLOWED,
        None,
        id="identity-and-boundary-both-allow",
    ),
    # "it limits the user's permissions but does not provide permissions on its own"
    pytest.param(
        scenario(req(ALICE, GET, OBJ), permissions_boundary=policy(allow("s3:*"))),
        IMPLICIT,
        "identity",
        id="boundary-alone-grants-nothing",
    ),
    # IAM "Policies and permissions" > "Session policies": the session's permissions are the
    # intersection of the identity-based policy and the session policy.
    pytest.param(
        scenario(req(SESSION, GET, OBJ), identity=[ALLOW_GET]),
        ALLOWED,
        None,
        id="role-session-without-session-policy-gets-role-permissions",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ), identity=[ALLOW_GET], session_policy=policy(allow("s3:*"))
        ),
        ALLOWED,
        None,
        id="role-session-identity-and-session-policy-both-allow",
    ),
    pytest.param(
        scenario(req(SESSION, GET, OBJ), session_policy=policy(allow("s3:*"))),
        IMPLICIT,
        "identity",
        id="session-policy-alone-grants-nothing",
    ),
    pytest.param(
        scenario(req(SESSION, GET, OBJ), identity=[ALLOW_GET], session_policy=ONLY_EC2),
        IMPLICIT,
        "session",
        id="session-policy-not-covering-action-caps-identity-allow",
    ),
    # "Evaluating effective permissions with boundaries" > session policies: all three must allow.
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            identity=[ALLOW_GET],
            permissions_boundary=policy(allow("s3:*")),
            session_policy=policy(allow("s3:*")),
        ),
        ALLOWED,
        None,
        id="identity-boundary-and-session-policy-all-allow",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            identity=[ALLOW_GET],
            permissions_boundary=ONLY_EC2,
            session_policy=policy(allow("s3:*")),
        ),
        IMPLICIT,
        "boundary",
        id="identity-and-session-allow-but-boundary-does-not",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), BOUNDARY_AND_SESSION)
def test_boundary_and_session(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- same-account RBP

SAME_ACCOUNT_RESOURCE_POLICY = [
    # IAM "How AWS enforcement code logic evaluates requests to allow or deny access" >
    # Resource-based policies > IAM user: "resource-based policies that grant permissions to an
    # IAM user ARN ... are not limited by an implicit deny in an identity-based policy or
    # permissions boundary."
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(ALICE)))
        ),
        ALLOWED,
        None,
        id="same-account-user-named-in-bucket-policy-needs-no-identity-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ALICE))),
            permissions_boundary=ONLY_EC2,
        ),
        ALLOWED,
        None,
        id="same-account-user-named-in-bucket-policy-is-not-limited-by-boundary",
    ),
    # ... > IAM role session: "Permissions granted directly to a session are not limited by an
    # implicit deny in an identity-based policy, a permissions boundary, or session policy."
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(SESSION))),
            permissions_boundary=ONLY_EC2,
            session_policy=ONLY_EC2,
        ),
        ALLOWED,
        None,
        id="same-account-session-arn-named-not-limited-by-identity-boundary-or-session-policy",
    ),
    # ... > IAM role: "Resource-based policies that grant permissions to an IAM role ARN are
    # limited by an implicit deny in a permissions boundary or session policy." (Not by an
    # implicit deny in the identity policy: see the table in benkehoe/permissions-boundary-test,
    # row "Allow | - | Allow | Allow".)
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(ROLE)))
        ),
        ALLOWED,
        None,
        id="same-account-role-arn-named-needs-no-identity-allow",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ROLE))),
            permissions_boundary=policy(allow("s3:*")),
        ),
        ALLOWED,
        None,
        id="same-account-role-arn-named-with-boundary-allowing",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ROLE))),
            permissions_boundary=ONLY_EC2,
        ),
        IMPLICIT,
        "boundary",
        id="same-account-role-arn-named-is-limited-by-boundary",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            identity=[ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ROLE))),
            permissions_boundary=ONLY_EC2,
        ),
        IMPLICIT,
        "boundary",
        id="same-account-role-arn-named-and-identity-allow-still-limited-by-boundary",
    ),
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ROLE))),
            session_policy=ONLY_EC2,
        ),
        IMPLICIT,
        "session",
        id="same-account-role-arn-named-is-limited-by-session-policy",
    ),
    # ... > Role: "Permissions boundaries and session policies do not limit permissions granted
    # using the aws:PrincipalArn condition key with a wildcard(*) in the Principal element".
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ),
            resource_policy=policy(
                allow(
                    GET,
                    OBJ,
                    Principal="*",
                    Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}},
                )
            ),
            permissions_boundary=ONLY_EC2,
            session_policy=ONLY_EC2,
        ),
        ALLOWED,
        None,
        id="same-account-wildcard-principal-with-principalarn-not-limited-by-boundary-or-session",
    ),
    # ... > AWS STS federated user principal: granted directly to the session, not limited by
    # an implicit deny in identity policy, boundary or session policy.
    pytest.param(
        scenario(
            req(FED, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(FED))),
            session_policy=ONLY_EC2,
        ),
        ALLOWED,
        None,
        id="same-account-federated-user-arn-named-not-limited-by-session-policy",
    ),
    # Naming the account (root ARN or bare id) delegates to IAM: the identity must allow.
    # ("Specifying a principal": "AWS": "123456789012" is the same as the account root ARN.)
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(ROOT)))
        ),
        IMPLICIT,
        "identity",
        id="same-account-account-root-named-still-needs-identity-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(ROOT))),
        ),
        ALLOWED,
        None,
        id="same-account-account-root-named-with-identity-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(ACCT)))
        ),
        IMPLICIT,
        "identity",
        id="same-account-bare-account-id-named-still-needs-identity-allow",
    ),
    # KMS "Allowing users in other accounts to use a KMS key", note on Principal "*": it "gives
    # every identity in every AWS account permission ... Users in other AWS accounts just need
    # corresponding IAM permissions" -- i.e. in the same account no identity allow is needed.
    pytest.param(
        scenario(req(ALICE, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal="*"))),
        ALLOWED,
        None,
        id="same-account-principal-star-counts-as-naming-the-caller",
    ),
    # "Principal": "*" and "Principal": {"AWS": "*"} are equivalent (IAM "Principal" page).
    pytest.param(
        scenario(
            req(SESSION, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws("*")))
        ),
        ALLOWED,
        None,
        id="same-account-principal-aws-star-equivalent-to-star",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(CAROL)))
        ),
        IMPLICIT,
        UNCHECKED,
        id="bucket-policy-naming-another-user-does-not-apply",
    ),
    # A session ARN names exactly one session.
    pytest.param(
        scenario(
            req(SESSION_2, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(SESSION))),
        ),
        IMPLICIT,
        UNCHECKED,
        id="bucket-policy-naming-one-session-does-not-cover-another-session",
    ),
    # "Policy evaluation logic": authentication is not needed for some S3 requests from
    # anonymous users; a wildcard principal includes anonymous principals.
    pytest.param(
        scenario(
            req("anonymous", GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal="*"))
        ),
        ALLOWED,
        None,
        id="anonymous-request-allowed-by-public-bucket-policy",
    ),
    pytest.param(
        scenario(
            req("anonymous", GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(ROOT)))
        ),
        IMPLICIT,
        UNCHECKED,
        id="anonymous-request-not-covered-by-account-principal",
    ),
    # "By default, all requests are implicitly denied with the exception of the AWS account
    # root user, which has full access."
    pytest.param(
        scenario(req(ROOT, GET, OBJ)),
        ALLOWED,
        None,
        id="account-root-user-needs-no-policy-in-its-own-account",
    ),
    # "Principal" page > AWS service principals.
    pytest.param(
        scenario(
            req("cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/{ACCT}/x.json.gz"),
            resource_policy=policy(
                allow(
                    "s3:PutObject",
                    f"{BUCKET}/AWSLogs/{ACCT}/*",
                    Principal={"Service": "cloudtrail.amazonaws.com"},
                )
            ),
        ),
        ALLOWED,
        None,
        id="service-principal-allowed-by-bucket-policy",
    ),
    pytest.param(
        scenario(req("cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/x.json.gz")),
        IMPLICIT,
        UNCHECKED,
        id="service-principal-without-resource-policy-is-denied",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), SAME_ACCOUNT_RESOURCE_POLICY)
def test_same_account_resource_policy(
    scenario_: dict, expected: str, blocked_by: str | None
) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- trust policies

ASSUME = "sts:AssumeRole"
ALLOW_ASSUME = policy(allow(ASSUME, DEPLOY_ROLE))

TRUST_POLICY = [
    # IAM denyallow page: "IAM role trust policies and KMS key policies are exceptions to this
    # logic, because they must explicitly allow access for principals."
    pytest.param(
        scenario(
            req(ALICE, ASSUME, DEPLOY_ROLE),
            identity=[ALLOW_ASSUME],
            resource_policy=policy(allow(ASSUME, None, Principal=aws(OTHER_ROOT))),
        ),
        IMPLICIT,
        "trust",
        id="identity-allow-is-not-enough-when-trust-policy-does-not-name-caller",
    ),
    pytest.param(
        scenario(req(ALICE, ASSUME, DEPLOY_ROLE), identity=[ALLOW_ASSUME]),
        IMPLICIT,
        "trust",
        id="no-trust-policy-means-nobody-may-assume",
    ),
    # STS API reference, AssumeRole: "To allow a user to assume a role in the same account, you
    # can do either of the following: attach a policy to the user that allows the user to call
    # AssumeRole (as long as the role's trust policy trusts the account); add the user as a
    # principal directly in the role's trust policy."
    pytest.param(
        scenario(
            req(ALICE, ASSUME, DEPLOY_ROLE),
            identity=[ALLOW_ASSUME],
            resource_policy=policy(allow(ASSUME, None, Principal=aws(ROOT))),
        ),
        ALLOWED,
        None,
        id="trust-names-account-and-identity-allows",
    ),
    pytest.param(
        scenario(
            req(ALICE, ASSUME, DEPLOY_ROLE),
            resource_policy=policy(allow(ASSUME, None, Principal=aws(ROOT))),
        ),
        IMPLICIT,
        "identity",
        id="trust-names-account-but-identity-does-not-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, ASSUME, DEPLOY_ROLE),
            resource_policy=policy(allow(ASSUME, None, Principal=aws(ALICE))),
        ),
        ALLOWED,
        None,
        id="trust-names-user-directly-needs-no-identity-allow",
    ),
    # IAM "Update a role trust policy", note: "If a user is listed as the principal in a role's
    # trust policy but cannot assume the role, check the user's permissions boundary. If a
    # permissions boundary is set for the user, then it must allow the sts:AssumeRole action."
    pytest.param(
        scenario(
            req(ALICE, ASSUME, DEPLOY_ROLE),
            resource_policy=policy(allow(ASSUME, None, Principal=aws(ALICE))),
            permissions_boundary=ONLY_EC2,
        ),
        IMPLICIT,
        "boundary",
        id="trust-names-user-but-boundary-lacks-assumerole",
    ),
    pytest.param(
        scenario(
            req(ALICE, ASSUME, DEPLOY_ROLE),
            identity=[ALLOW_ASSUME],
            resource_policy=policy(
                allow(ASSUME, None, Principal=aws(ROOT)),
                deny(ASSUME, None, Principal=aws(ALICE)),
            ),
        ),
        EXPLICIT,
        "trust",
        id="trust-policy-deny-overrides",
    ),
    # Cross-account: "Cross-account policy evaluation logic" -- both sides must allow.
    pytest.param(
        scenario(
            req(BOB, ASSUME, DEPLOY_ROLE),
            identity=[ALLOW_ASSUME],
            resource_policy=policy(allow(ASSUME, None, Principal=aws(OTHER_ROOT))),
        ),
        ALLOWED,
        None,
        id="cross-account-trust-names-account-and-identity-allows",
    ),
    pytest.param(
        scenario(
            req(BOB, ASSUME, DEPLOY_ROLE),
            resource_policy=policy(allow(ASSUME, None, Principal=aws(BOB))),
        ),
        IMPLICIT,
        "identity",
        id="cross-account-trust-names-user-but-identity-does-not-allow",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), TRUST_POLICY)
def test_trust_policy(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- cross account

BOB_ALLOW_GET = policy(allow(GET, OBJ))

CROSS_ACCOUNT = [
    # IAM "Cross-account policy evaluation logic": "the requester in the trusted AccountA must
    # have an identity-based policy ... Additionally, the resource-based policy in AccountB must
    # allow the requester". "The request is allowed only if both evaluations return Allow."
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(BOB))),
        ),
        ALLOWED,
        None,
        id="cross-account-identity-allow-and-bucket-policy-naming-user",
    ),
    pytest.param(
        scenario(req(BOB, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal=aws(BOB)))),
        IMPLICIT,
        "identity",
        id="cross-account-bucket-policy-naming-user-still-needs-identity-allow",
    ),
    pytest.param(
        scenario(req(BOB, GET, OBJ), identity=[BOB_ALLOW_GET]),
        IMPLICIT,
        "resource",
        id="cross-account-identity-allow-without-bucket-policy",
    ),
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(OTHER_ROOT))),
        ),
        ALLOWED,
        None,
        id="cross-account-bucket-policy-naming-caller-account-root",
    ),
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(OTHER))),
        ),
        ALLOWED,
        None,
        id="cross-account-bucket-policy-naming-caller-bare-account-id",
    ),
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(
                allow(GET, OBJ, Principal=aws("arn:aws:iam::999988887777:root"))
            ),
        ),
        IMPLICIT,
        "resource",
        id="cross-account-bucket-policy-naming-a-third-account",
    ),
    pytest.param(
        scenario(
            req(BOB_SESSION, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(BOB_SESSION))),
        ),
        IMPLICIT,
        "identity",
        id="cross-account-session-named-directly-still-needs-identity-allow",
    ),
    pytest.param(
        scenario(req(BOB, GET, OBJ), resource_policy=policy(allow(GET, OBJ, Principal="*"))),
        IMPLICIT,
        "identity",
        id="cross-account-principal-star-still-needs-identity-allow",
    ),
    # The trusted account's side includes "any policies that can limit an identity-based
    # policy": boundaries and session policies.
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(BOB))),
            permissions_boundary=ONLY_EC2,
        ),
        IMPLICIT,
        "boundary",
        id="cross-account-boundary-caps-even-when-user-named",
    ),
    pytest.param(
        scenario(
            req(BOB_SESSION, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(allow(GET, OBJ, Principal=aws(BOB_SESSION))),
            session_policy=ONLY_EC2,
        ),
        IMPLICIT,
        "session",
        id="cross-account-session-policy-caps-even-when-session-named",
    ),
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=policy(
                allow(GET, OBJ, Principal=aws(OTHER_ROOT)), deny(GET, OBJ, Principal=aws(BOB))
            ),
        ),
        EXPLICIT,
        "resource",
        id="cross-account-bucket-policy-deny-wins",
    ),
    # Root of the trusted account has full access on its side.
    pytest.param(
        scenario(
            req(OTHER_ROOT, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal=aws(OTHER_ROOT))),
        ),
        ALLOWED,
        None,
        id="cross-account-root-user-needs-only-the-bucket-policy",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), CROSS_ACCOUNT)
def test_cross_account(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- NotPrincipal

# IAM "AWS JSON policy elements: NotPrincipal" (Deny with NotPrincipal naming the user and its
# account) plus the bucket statement that actually grants access.
NOT_PRINCIPAL_BUCKET = policy(
    deny("s3:*", [BUCKET, f"{BUCKET}/*"], NotPrincipal=aws(ALICE, ROOT)),
    allow(GET, OBJ, Principal=aws(ALICE)),
)
NOT_PRINCIPAL_SESSION_BUCKET = policy(
    deny("s3:*", [BUCKET, f"{BUCKET}/*"], NotPrincipal=aws(BOB_SESSION, BOB_ROLE, OTHER_ROOT)),
    allow(GET, OBJ, Principal=aws(OTHER_ROOT)),
)

NOT_PRINCIPAL = [
    pytest.param(
        scenario(req(ALICE, GET, OBJ), resource_policy=NOT_PRINCIPAL_BUCKET),
        ALLOWED,
        None,
        id="notprincipal-deny-spares-the-listed-user",
    ),
    pytest.param(
        scenario(req(CAROL, GET, OBJ), identity=[ALLOW_GET], resource_policy=NOT_PRINCIPAL_BUCKET),
        EXPLICIT,
        "resource",
        id="notprincipal-deny-denies-everyone-else",
    ),
    # "Permissions boundaries for IAM entities", Important: "The NotPrincipal element with a
    # Deny effect will always deny any IAM principal that has a permissions boundary policy
    # attached, regardless of the values specified in the NotPrincipal element."
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            resource_policy=NOT_PRINCIPAL_BUCKET,
            permissions_boundary=policy(allow("s3:*")),
        ),
        EXPLICIT,
        "resource",
        id="notprincipal-deny-denies-listed-user-that-has-a-permissions-boundary",
    ),
    # Doc example "IAM role in the same or different account": session, role and account listed.
    pytest.param(
        scenario(
            req(BOB_SESSION, GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=NOT_PRINCIPAL_SESSION_BUCKET,
        ),
        ALLOWED,
        None,
        id="notprincipal-deny-spares-listed-cross-account-session",
    ),
    pytest.param(
        scenario(
            req(f"arn:aws:sts::{OTHER}:assumed-role/partner/another-session", GET, OBJ),
            identity=[BOB_ALLOW_GET],
            resource_policy=NOT_PRINCIPAL_SESSION_BUCKET,
        ),
        EXPLICIT,
        "resource",
        id="notprincipal-deny-denies-unlisted-session-of-listed-role",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), NOT_PRINCIPAL)
def test_not_principal(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- NotAction/NotResource

NOT_ACTION_NOT_RESOURCE = [
    # IAM "IAM JSON policy elements: NotAction": Allow with NotAction allows everything except
    # the listed actions (it does not deny them).
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ), identity=[policy(stmt("Allow", NotAction="iam:*", Resource="*"))]
        ),
        ALLOWED,
        None,
        id="allow-notaction-iam-grants-s3",
    ),
    pytest.param(
        scenario(
            req(ALICE, "iam:CreateUser", f"arn:aws:iam::{ACCT}:user/x"),
            identity=[policy(stmt("Allow", NotAction="iam:*", Resource="*"))],
        ),
        IMPLICIT,
        "identity",
        id="allow-notaction-iam-does-not-grant-iam",
    ),
    # Deny with NotAction denies every action except the listed ones.
    pytest.param(
        scenario(
            req(ALICE, "s3:PutObject", OBJ),
            identity=[policy(allow("s3:*"), stmt("Deny", NotAction=GET, Resource="*"))],
        ),
        EXPLICIT,
        "identity",
        id="deny-notaction-denies-unlisted-action",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[policy(allow("s3:*"), stmt("Deny", NotAction=GET, Resource="*"))],
        ),
        ALLOWED,
        None,
        id="deny-notaction-spares-listed-action",
    ),
    pytest.param(
        scenario(
            req(ALICE, "s3:DeleteObject", OBJ),
            identity=[policy(stmt("Allow", NotAction="s3:Delete*", Resource="*"))],
        ),
        IMPLICIT,
        "identity",
        id="allow-notaction-with-wildcard-excludes-matching-actions",
    ),
    # IAM "IAM JSON policy elements: NotResource".
    pytest.param(
        scenario(
            req(ALICE, GET, f"{BUCKET}/secret/keys.txt"),
            identity=[policy(stmt("Allow", "s3:*", NotResource=f"{BUCKET}/secret/*"))],
        ),
        IMPLICIT,
        "identity",
        id="allow-notresource-excludes-listed-resource",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[policy(stmt("Allow", "s3:*", NotResource=f"{BUCKET}/secret/*"))],
        ),
        ALLOWED,
        None,
        id="allow-notresource-covers-other-resources",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, f"{OTHER_BUCKET}/x"),
            identity=[
                policy(allow("s3:*"), stmt("Deny", "s3:*", NotResource=[BUCKET, f"{BUCKET}/*"]))
            ],
        ),
        EXPLICIT,
        "identity",
        id="deny-notresource-denies-everything-outside-the-listed-bucket",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), NOT_ACTION_NOT_RESOURCE)
def test_not_action_not_resource(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- VPC endpoint policies

ENDPOINT = [
    # Amazon VPC / PrivateLink "Control access to VPC endpoints using endpoint policies": an
    # endpoint policy does not grant; it must allow in addition to the other policies, and a
    # Deny in it is an explicit deny.
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            vpc_endpoint_policies=[policy(allow(GET, f"{BUCKET}/*", Principal="*"))],
        ),
        ALLOWED,
        None,
        id="endpoint-policy-allowing-the-request",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            vpc_endpoint_policies=[policy(allow(GET, f"{OTHER_BUCKET}/*", Principal="*"))],
        ),
        IMPLICIT,
        "endpoint",
        id="endpoint-policy-not-covering-the-resource",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            vpc_endpoint_policies=[
                policy(allow("*", "*", Principal="*"), deny(GET, OBJ, Principal="*"))
            ],
        ),
        EXPLICIT,
        "endpoint",
        id="endpoint-policy-deny",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_GET],
            vpc_endpoint_policies=[policy(allow("*", "*", Principal=aws(CAROL)))],
        ),
        IMPLICIT,
        "endpoint",
        id="endpoint-policy-scoped-to-another-principal",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            vpc_endpoint_policies=[policy(allow("*", "*", Principal="*"))],
        ),
        IMPLICIT,
        "identity",
        id="endpoint-policy-alone-grants-nothing",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), ENDPOINT)
def test_vpc_endpoint_policy(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- input forms


def test_policies_may_be_json_strings() -> None:
    # The scenario format accepts every policy either as a dict or as JSON text.
    s = scenario(
        req(ALICE, GET, OBJ),
        identity=[json.dumps(ALLOW_GET)],
        permissions_boundary=json.dumps(policy(allow("s3:*"))),
    )
    check(s, ALLOWED, None)


def test_whole_scenario_may_be_json_string() -> None:
    s = scenario(req(ALICE, GET, OBJ), identity=[ALLOW_GET])
    assert cksmodel.simulate(json.dumps(s)).decision == ALLOWED
