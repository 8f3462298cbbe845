"""Reference corpus: AWS Organizations guardrails (SCPs and RCPs).

Every case is derived from AWS documentation; the comment above each group names the page.
``scps``/``rcps`` hold one list of policies per organization level, root first. A row is
``(scenario, expected decision, expected blocked_by)``.
"""

from __future__ import annotations

from typing import Any

import pytest

import cksmodel

ALLOWED = "allowed"
EXPLICIT = "explicitDeny"
IMPLICIT = "implicitDeny"
UNCHECKED = "<blocked_by not asserted>"

V2012 = "2012-10-17"

ACCT = "111122223333"  # member account
MGMT = "999999999999"  # organization management account
OTHER = "444455556666"  # another account (its own SCPs are given when it is the caller)
ROOT = f"arn:aws:iam::{ACCT}:root"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
MGMT_ADMIN = f"arn:aws:iam::{MGMT}:user/admin"
BOB = f"arn:aws:iam::{OTHER}:user/bob"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

BUCKET = "arn:aws:s3:::example-bucket"
OBJ = f"{BUCKET}/reports/q1.csv"
MGMT_BUCKET = "arn:aws:s3:::management-bucket"

CONFIG_SLR = (
    f"arn:aws:iam::{ACCT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
)
CONFIG_SLR_SESSION = f"arn:aws:sts::{ACCT}:assumed-role/AWSServiceRoleForConfig/config-session"
CKS_SLR = (
    f"arn:aws:iam::{ACCT}:role/aws-service-role/cks.kms.amazonaws.com/"
    "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
)
CKS_SLR_SESSION = (
    f"arn:aws:sts::{ACCT}:assumed-role/AWSServiceRoleForKeyManagementServiceCustomKeyStores/cks"
)
PLAIN_ROLE = f"arn:aws:iam::{ACCT}:role/AWSServiceRoleForKeyManagementServiceCustomKeyStores"


# --------------------------------------------------------------------------- helpers


def stmt(effect: str, action: Any = None, resource: Any = None, **elements: Any) -> dict:
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


def policy(*statements: dict) -> dict:
    return {"Version": V2012, "Statement": list(statements)}


def req(principal: str, action: str, resource: str, **extra: Any) -> dict:
    r: dict[str, Any] = {"principal": principal, "action": action, "resource": resource}
    if resource.startswith("arn:aws:s3:::"):
        r["resource_account"] = MGMT if resource.startswith(MGMT_BUCKET) else ACCT
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
ALLOW_S3 = policy(allow("s3:*"))
FULL_AWS_ACCESS = policy(allow("*", "*"))  # the AWS managed SCP FullAWSAccess
ONLY_EC2 = policy(allow("ec2:*"))
ONLY_S3 = policy(allow("s3:*"))


# --------------------------------------------------------------------------- SCPs

SCPS = [
    # AWS Organizations "SCP evaluation": "For a permission to be allowed for a specific account,
    # there must be an explicit Allow statement at every level from the root through each OU in
    # the direct path to the account (including the target account itself)"; a Deny attached at
    # any level on that path applies to the account.
    pytest.param(
        scenario(req(ALICE, GET, OBJ), identity=[ALLOW_S3]),
        ALLOWED,
        None,
        id="no-scps-means-no-restriction",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[[FULL_AWS_ACCESS], [FULL_AWS_ACCESS], [FULL_AWS_ACCESS]],
        ),
        ALLOWED,
        None,
        id="full-access-at-every-level-allows",
    ),
    # "SCPs alone are not sufficient to grant permissions": an SCP allow is not a grant.
    pytest.param(
        scenario(req(ALICE, GET, OBJ), scps=[[FULL_AWS_ACCESS], [FULL_AWS_ACCESS]]),
        IMPLICIT,
        "identity",
        id="scp-allow-is-not-a-grant",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[[ONLY_EC2], [FULL_AWS_ACCESS], [FULL_AWS_ACCESS]],
        ),
        IMPLICIT,
        "scp",
        id="root-level-without-allow-blocks",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[[FULL_AWS_ACCESS], [ONLY_EC2], [FULL_AWS_ACCESS]],
        ),
        IMPLICIT,
        "scp",
        id="ou-level-without-allow-blocks",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[[FULL_AWS_ACCESS], [FULL_AWS_ACCESS], [ONLY_EC2]],
        ),
        IMPLICIT,
        "scp",
        id="account-level-without-allow-blocks",
    ),
    # Several SCPs attached at one level: the level allows if any of them allows.
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[[FULL_AWS_ACCESS], [ONLY_EC2, ONLY_S3]],
        ),
        ALLOWED,
        None,
        id="allow-from-any-policy-at-a-level-suffices",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[
                [FULL_AWS_ACCESS],
                [FULL_AWS_ACCESS, policy(deny("s3:*"))],
                [FULL_AWS_ACCESS],
            ],
        ),
        EXPLICIT,
        "scp",
        id="deny-at-an-intermediate-level-wins",
    ),
    # SCP example "Deny access to AWS based on the requested AWS Region".
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ, context={"aws:RequestedRegion": "eu-west-1"}),
            identity=[ALLOW_S3],
            scps=[
                [
                    FULL_AWS_ACCESS,
                    policy(
                        deny(
                            "*",
                            Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
                        )
                    ),
                ]
            ],
        ),
        EXPLICIT,
        "scp",
        id="region-deny-scp-applies-outside-allowed-region",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ, context={"aws:RequestedRegion": "us-east-1"}),
            identity=[ALLOW_S3],
            scps=[
                [
                    FULL_AWS_ACCESS,
                    policy(
                        deny(
                            "*",
                            Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
                        )
                    ),
                ]
            ],
        ),
        ALLOWED,
        None,
        id="region-deny-scp-does-not-apply-inside-allowed-region",
    ),
    # IAM "Policy evaluation logic": SCPs "limit permissions for every request made by a
    # principal within the account" -- including permissions granted by a resource policy.
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            resource_policy=policy(allow(GET, OBJ, Principal={"AWS": ALICE})),
            scps=[[ONLY_EC2]],
        ),
        IMPLICIT,
        "scp",
        id="scp-caps-access-granted-by-a-resource-policy",
    ),
    # Organizations "SCP effects on permissions": SCPs affect the root user of member accounts.
    pytest.param(
        scenario(req(ROOT, GET, OBJ), scps=[[FULL_AWS_ACCESS, policy(deny("s3:*"))]]),
        EXPLICIT,
        "scp",
        id="scp-restricts-member-account-root-user",
    ),
    # Same page: "SCPs don't affect users or roles in the management account."
    pytest.param(
        scenario(
            req(MGMT_ADMIN, GET, f"{MGMT_BUCKET}/x"),
            identity=[ALLOW_S3],
            scps=[[FULL_AWS_ACCESS, policy(deny("*"))]],
            management_account=MGMT,
        ),
        ALLOWED,
        None,
        id="management-account-principal-is-not-restricted",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            scps=[[FULL_AWS_ACCESS, policy(deny("*"))]],
            management_account=MGMT,
        ),
        EXPLICIT,
        "scp",
        id="member-account-principal-is-restricted-when-management-account-is-another",
    ),
    # Same page: "SCPs don't affect service-linked roles."
    pytest.param(
        scenario(
            req(CKS_SLR_SESSION, "ec2:CreateNetworkInterface", "*", principal_role_arn=CKS_SLR),
            identity=[policy(allow("ec2:CreateNetworkInterface"))],
            scps=[[FULL_AWS_ACCESS, policy(deny("ec2:*"))]],
        ),
        ALLOWED,
        None,
        id="service-linked-role-is-not-restricted",
    ),
    pytest.param(
        scenario(
            req(
                f"arn:aws:sts::{ACCT}:assumed-role/AWSServiceRoleForKeyManagementServiceCustomKeyStores/cks",
                "ec2:CreateNetworkInterface",
                "*",
                principal_role_arn=PLAIN_ROLE,
            ),
            identity=[policy(allow("ec2:CreateNetworkInterface"))],
            scps=[[FULL_AWS_ACCESS, policy(deny("ec2:*"))]],
        ),
        EXPLICIT,
        "scp",
        id="role-with-slr-name-but-no-service-role-path-is-restricted",
    ),
    # IAM "Cross-account policy evaluation logic": the trusted (caller's) account's SCPs apply
    # to its principals' requests for resources in other accounts.
    pytest.param(
        scenario(
            req(BOB, GET, OBJ),
            identity=[ALLOW_S3],
            resource_policy=policy(allow(GET, OBJ, Principal={"AWS": BOB})),
            scps=[[ONLY_EC2]],
        ),
        IMPLICIT,
        "scp",
        id="caller-account-scp-applies-cross-account",
    ),
    # Organizations "SCP effects on permissions": SCPs "don't affect users or roles from
    # accounts outside the organization", nor AWS service principals (not IAM principals of a
    # member account).
    pytest.param(
        scenario(
            req("cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/x.json.gz"),
            resource_policy=policy(
                allow(
                    "s3:PutObject",
                    f"{BUCKET}/AWSLogs/*",
                    Principal={"Service": "cloudtrail.amazonaws.com"},
                )
            ),
            scps=[[FULL_AWS_ACCESS, policy(deny("s3:*"))]],
        ),
        ALLOWED,
        None,
        id="scps-do-not-apply-to-aws-service-principals",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), SCPS)
def test_scps(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- RCPs


def rcp(*statements: dict) -> dict:
    return policy(*statements)


RCP_DENY_OUTSIDE_ORG = rcp(
    deny(
        "s3:*",
        Principal="*",
        Condition={
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-myorg"},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        },
    )
)
BOB_READS = {
    "identity": [ALLOW_S3],
    "resource_policy": policy(allow(GET, OBJ, Principal={"AWS": BOB})),
}

RCPS = [
    # IAM denyallow page > AWS Organizations RCPs: "RCPFullAWSAccess is automatically created and
    # attached to every entity in your organization ... can't be detached, so there will always
    # be an Allow statement." Organizations "RCP evaluation": Deny statements do the work.
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            rcps=[[rcp(deny("s3:DeleteObject", Principal="*"))], [], []],
        ),
        ALLOWED,
        None,
        id="rcp-levels-with-only-deny-statements-still-allow",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            identity=[ALLOW_S3],
            rcps=[[rcp(allow("sqs:*", Principal="*"))]],
        ),
        ALLOWED,
        None,
        id="restrictive-rcp-allow-cannot-narrow-because-full-access-is-always-attached",
    ),
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ),
            rcps=[[rcp(allow("*", Principal="*"))]],
        ),
        IMPLICIT,
        "identity",
        id="rcp-allow-is-not-a-grant",
    ),
    # Organizations "RCPs": use an RCP "to restrict IAM principals that are external to your
    # organization"; the data-perimeter example conditions on aws:PrincipalOrgID.
    pytest.param(
        scenario(
            req(BOB, GET, OBJ, context={"aws:PrincipalOrgID": "o-partner"}),
            rcps=[[RCP_DENY_OUTSIDE_ORG]],
            **BOB_READS,
        ),
        EXPLICIT,
        "rcp",
        id="rcp-denies-principal-outside-the-organization",
    ),
    pytest.param(
        scenario(
            req(BOB, GET, OBJ, context={"aws:PrincipalOrgID": "o-myorg"}),
            rcps=[[RCP_DENY_OUTSIDE_ORG]],
            **BOB_READS,
        ),
        ALLOWED,
        None,
        id="rcp-lets-principal-inside-the-organization-through",
    ),
    pytest.param(
        scenario(
            req(BOB, GET, OBJ, context={"aws:PrincipalOrgID": "o-partner"}),
            rcps=[[], [RCP_DENY_OUTSIDE_ORG], []],
            **BOB_READS,
        ),
        EXPLICIT,
        "rcp",
        id="rcp-deny-at-an-intermediate-level-wins",
    ),
    # IAM "Processing the request context": RCPs "impact the effective permissions for
    # principals, including the AWS account root user, regardless of whether the principals
    # belong to your organization" -- same-account callers included.
    pytest.param(
        scenario(
            req(ALICE, GET, OBJ, context={"aws:SecureTransport": "false"}),
            identity=[ALLOW_S3],
            rcps=[
                [
                    rcp(
                        deny(
                            "s3:*",
                            Principal="*",
                            Condition={"BoolIfExists": {"aws:SecureTransport": "false"}},
                        )
                    )
                ]
            ],
        ),
        EXPLICIT,
        "rcp",
        id="rcp-applies-to-same-account-callers",
    ),
    # Same page: "RCPs don't apply to resources in the organization management account and to
    # calls made by service-linked roles."
    pytest.param(
        scenario(
            req(ALICE, GET, f"{MGMT_BUCKET}/x"),
            identity=[ALLOW_S3],
            resource_policy=policy(allow(GET, f"{MGMT_BUCKET}/*", Principal={"AWS": ALICE})),
            rcps=[[rcp(deny("s3:*", Principal="*"))]],
            management_account=MGMT,
        ),
        ALLOWED,
        None,
        id="rcp-does-not-apply-to-management-account-resources",
    ),
    pytest.param(
        scenario(
            req(CONFIG_SLR_SESSION, GET, OBJ, principal_role_arn=CONFIG_SLR),
            identity=[ALLOW_S3],
            rcps=[[rcp(deny("s3:*", Principal="*"))]],
        ),
        ALLOWED,
        None,
        id="rcp-does-not-apply-to-calls-by-service-linked-roles",
    ),
    # KMS "Resource control policies in AWS KMS": the example RCPs exempt or target AWS service
    # principals explicitly (aws:PrincipalIsAWSService, aws:SourceAccount), so RCPs do apply to
    # calls made directly by AWS service principals.
    pytest.param(
        scenario(
            req("cloudtrail.amazonaws.com", "s3:PutObject", f"{BUCKET}/AWSLogs/x.json.gz"),
            resource_policy=policy(
                allow(
                    "s3:PutObject",
                    f"{BUCKET}/AWSLogs/*",
                    Principal={"Service": "cloudtrail.amazonaws.com"},
                )
            ),
            rcps=[[rcp(deny("s3:PutObject", Principal="*"))]],
        ),
        EXPLICIT,
        "rcp",
        id="rcp-applies-to-aws-service-principals",
    ),
    pytest.param(
        scenario(
            req(
                "cloudtrail.amazonaws.com",
                "s3:PutObject",
                f"{BUCKET}/AWSLogs/x.json.gz",
                context={"aws:PrincipalIsAWSService": "true"},
            ),
            resource_policy=policy(
                allow(
                    "s3:PutObject",
                    f"{BUCKET}/AWSLogs/*",
                    Principal={"Service": "cloudtrail.amazonaws.com"},
                )
            ),
            rcps=[[RCP_DENY_OUTSIDE_ORG]],
        ),
        ALLOWED,
        None,
        id="rcp-exempting-service-principals-via-principalisawsservice",
    ),
    # KMS "Resource control policies in AWS KMS": "The kms:RetireGrant permission isn't
    # effective in an RCP, even if the Action element specifies an asterisk (*)".
    pytest.param(
        scenario(
            req(ALICE, "kms:RetireGrant", KEY),
            resource_policy=policy(allow("kms:RetireGrant", Principal={"AWS": ALICE})),
            rcps=[[rcp(deny("kms:*", Principal="*"))]],
        ),
        ALLOWED,
        None,
        id="rcp-does-not-restrict-kms-retiregrant",
    ),
    pytest.param(
        scenario(
            req(ALICE, "kms:Decrypt", KEY),
            resource_policy=policy(allow("kms:Decrypt", Principal={"AWS": ALICE})),
            rcps=[[rcp(deny("kms:*", Principal="*"))]],
        ),
        EXPLICIT,
        "rcp",
        id="rcp-does-restrict-kms-decrypt",
    ),
    # Both guardrails apply to one cross-account request: SCPs of the caller's account and
    # RCPs of the resource's account ("The effective permissions are the logical intersection").
    pytest.param(
        scenario(
            req(BOB, GET, OBJ, context={"aws:PrincipalOrgID": "o-partner"}),
            scps=[[FULL_AWS_ACCESS]],
            rcps=[[RCP_DENY_OUTSIDE_ORG]],
            **BOB_READS,
        ),
        EXPLICIT,
        "rcp",
        id="caller-scp-allows-but-resource-rcp-denies",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), RCPS)
def test_rcps(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)
