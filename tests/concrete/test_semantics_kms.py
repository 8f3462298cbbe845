"""Reference corpus: AWS KMS authorization (key policies, IAM, grants, custom key stores).

Every case is derived from AWS documentation; the comment above each group names the page.
A row is ``(scenario, expected decision, expected blocked_by)``; ``UNCHECKED`` means the docs
do not say which policy type blocked the request, so only the decision is asserted.
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

ACCT = "111122223333"  # owns the key
OTHER = "444455556666"  # an external account
ROOT = f"arn:aws:iam::{ACCT}:root"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
BOB = f"arn:aws:iam::{OTHER}:user/bob"
KEY_ADMIN = f"arn:aws:iam::{ACCT}:role/KeyAdmin"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/worker-1"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"

SLR_NAME = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
SLR_ARN = f"arn:aws:iam::{ACCT}:role/aws-service-role/cks.kms.amazonaws.com/{SLR_NAME}"
SLR_SESSION = f"arn:aws:sts::{ACCT}:assumed-role/{SLR_NAME}/cks-connect"


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


def aws(*arns: str) -> dict:
    return {"AWS": list(arns) if len(arns) > 1 else arns[0]}


def kms(
    principal: str,
    action: str = "kms:Decrypt",
    resource: str = KEY,
    context: dict | None = None,
) -> dict:
    r: dict[str, Any] = {"principal": principal, "action": action, "resource": resource}
    if context:
        r["context"] = context
    return r


def enc_ctx(**pairs: str) -> dict:
    """Request encryption context as condition keys ``kms:EncryptionContext:KEY``."""
    return {f"kms:EncryptionContext:{k}": v for k, v in pairs.items()}


def scenario(request: dict, *, identity: list[dict] | None = None, **parts: Any) -> dict:
    s: dict[str, Any] = {"request": request}
    if identity is not None:
        s["identity_policies"] = identity
    s.update(parts)
    return s


def grant(grantee: str, *operations: str, key: str = KEY, **constraints: dict) -> dict:
    g: dict[str, Any] = {
        "KeyId": key,
        "GranteePrincipal": grantee,
        "Operations": list(operations),
        "IssuingAccount": ROOT,
    }
    if constraints:
        g["Constraints"] = constraints
    return g


def check(s: dict, expected: str, blocked_by: str | None) -> Any:
    d = cksmodel.simulate(s)
    assert d.decision == expected, f"expected {expected}, got {d.decision} ({d.blocked_by})"
    if expected == ALLOWED:
        assert d.blocked_by is None
    elif blocked_by != UNCHECKED:
        assert d.blocked_by == blocked_by
    return d


# KMS "Default key policy" > "Allows access to the AWS account and enables IAM policies".
DEFAULT_KEY_POLICY = {
    "Version": V2012,
    "Id": "key-default-1",
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
# KMS "Resource control policies in AWS KMS": the identity-perimeter example RCP.
RCP_PERIMETER = policy(
    stmt(
        "Deny",
        "kms:*",
        "*",
        Sid="RCPEnforceIdentityPerimeter",
        Principal="*",
        Condition={
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-myorg"},
            "Bool": {"aws:PrincipalIsAWSService": "false"},
        },
    )
)
KEY_ADMIN_ONLY = policy(allow("kms:*", Principal=aws(KEY_ADMIN), Sid="KeyAdministrators"))
ONLY_S3 = policy(allow("s3:*"))


# --------------------------------------------------------------------------- the KMS matrix
#
# Axes: caller in the key's account or not; the key policy names the caller, delegates to the
# caller's account (root ARN or bare account id), or neither; the caller's IAM policies allow,
# deny, or say nothing about kms:Decrypt; and with or without a grant to the caller for Decrypt.
#
# Sources:
# - IAM "How AWS enforcement code logic evaluates requests": KMS key policies "must explicitly
#   allow access for principals" (no identity-only access in the same account).
# - KMS "Key policies" / "Default key policy": the root statement "allows the AWS account to use
#   IAM policies"; without it IAM policies are ineffective. A principal named in the key policy
#   needs no IAM policy in the key's account.
# - KMS "Allowing users in other accounts to use a KMS key": cross-account use needs the key
#   policy AND an IAM policy in the external account -- "users and roles in the external account
#   cannot use the KMS key until you attach IAM policies that delegate those permissions, or use
#   grants to manage access to the KMS key" (so a grant stands in for the IAM policy).
# - KMS "KMS key access and permissions": "No AWS principal has any permissions to a KMS key
#   unless that permission is provided explicitly and never denied" (an IAM Deny beats a grant).
# - KMS "Grants in AWS KMS": grants allow, never deny, and are considered along with key
#   policies and IAM policies (a grant works even when the key policy does not mention the
#   grantee).


def _key_policy(kind: str, caller: str, caller_account: str) -> dict:
    if kind == "names-caller":
        return policy(
            allow("kms:*", Principal=aws(KEY_ADMIN)),
            allow("kms:Decrypt", Principal=aws(caller), Sid="KeyUser"),
        )
    if kind == "delegates-root-arn":
        return policy(
            allow("kms:*", Principal=aws(ROOT)),
            allow("kms:Decrypt", Principal=aws(f"arn:aws:iam::{caller_account}:root")),
        )
    if kind == "delegates-account-id":
        return policy(
            allow("kms:*", Principal=aws(KEY_ADMIN)),
            allow("kms:Decrypt", Principal=aws(caller_account)),
        )
    assert kind == "neither"
    # Same account: only the key administrator role; cross account: the default key policy,
    # which trusts the key's own account only.
    return KEY_ADMIN_ONLY if caller_account == ACCT else DEFAULT_KEY_POLICY


def _matrix_case(
    where: str,
    key_policy: str,
    iam: str,
    with_grant: bool,
    expected: str,
    blocked_by: str | None,
) -> Any:
    caller, account = (ALICE, ACCT) if where == "same-account" else (BOB, OTHER)
    s = scenario(kms(caller), resource_policy=_key_policy(key_policy, caller, account))
    if iam == "iam-allow":
        s["identity_policies"] = [policy(allow("kms:Decrypt", KEY))]
    elif iam == "iam-deny":
        s["identity_policies"] = [policy(deny("kms:*"))]
    if with_grant:
        s["grants"] = [grant(caller, "Decrypt")]
    g = "with-grant" if with_grant else "no-grant"
    return pytest.param(
        s, expected, blocked_by, id=f"{where}-key-policy-{key_policy}-{iam}-{g}-is-{expected}"
    )


S, X = "same-account", "cross-account"
NAMED, ROOTARN, ACCTID, NEITHER = (
    "names-caller",
    "delegates-root-arn",
    "delegates-account-id",
    "neither",
)
A, D, N = "iam-allow", "iam-deny", "iam-nothing"

KMS_MATRIX = [
    # same account, key policy names the caller: no IAM allow needed; IAM deny still counts.
    _matrix_case(S, NAMED, A, False, ALLOWED, None),
    _matrix_case(S, NAMED, D, False, EXPLICIT, "identity"),
    _matrix_case(S, NAMED, N, False, ALLOWED, None),
    _matrix_case(S, NAMED, A, True, ALLOWED, None),
    _matrix_case(S, NAMED, D, True, EXPLICIT, "identity"),
    _matrix_case(S, NAMED, N, True, ALLOWED, None),
    # same account, key policy delegates to the account: IAM decides; a grant also suffices.
    _matrix_case(S, ROOTARN, A, False, ALLOWED, None),
    _matrix_case(S, ROOTARN, D, False, EXPLICIT, "identity"),
    _matrix_case(S, ROOTARN, N, False, IMPLICIT, "identity"),
    _matrix_case(S, ROOTARN, A, True, ALLOWED, None),
    _matrix_case(S, ROOTARN, D, True, EXPLICIT, "identity"),
    _matrix_case(S, ROOTARN, N, True, ALLOWED, None),
    _matrix_case(S, ACCTID, A, False, ALLOWED, None),
    _matrix_case(S, ACCTID, N, False, IMPLICIT, "identity"),
    # same account, key policy neither names nor delegates: IAM allow is ineffective.
    _matrix_case(S, NEITHER, A, False, IMPLICIT, "key"),
    _matrix_case(S, NEITHER, D, False, EXPLICIT, "identity"),
    _matrix_case(S, NEITHER, N, False, IMPLICIT, UNCHECKED),
    _matrix_case(S, NEITHER, A, True, ALLOWED, None),
    _matrix_case(S, NEITHER, D, True, EXPLICIT, "identity"),
    _matrix_case(S, NEITHER, N, True, ALLOWED, None),
    # cross account, key policy names the external user: the external IAM must still allow.
    _matrix_case(X, NAMED, A, False, ALLOWED, None),
    _matrix_case(X, NAMED, D, False, EXPLICIT, "identity"),
    _matrix_case(X, NAMED, N, False, IMPLICIT, "identity"),
    _matrix_case(X, NAMED, A, True, ALLOWED, None),
    _matrix_case(X, NAMED, D, True, EXPLICIT, "identity"),
    _matrix_case(X, NAMED, N, True, ALLOWED, None),
    # cross account, key policy names the external account.
    _matrix_case(X, ROOTARN, A, False, ALLOWED, None),
    _matrix_case(X, ROOTARN, D, False, EXPLICIT, "identity"),
    _matrix_case(X, ROOTARN, N, False, IMPLICIT, "identity"),
    _matrix_case(X, ROOTARN, A, True, ALLOWED, None),
    _matrix_case(X, ROOTARN, D, True, EXPLICIT, "identity"),
    _matrix_case(X, ROOTARN, N, True, ALLOWED, None),
    _matrix_case(X, ACCTID, A, False, ALLOWED, None),
    _matrix_case(X, ACCTID, N, False, IMPLICIT, "identity"),
    # cross account, key policy trusts only its own account: only a grant can help.
    _matrix_case(X, NEITHER, A, False, IMPLICIT, "key"),
    _matrix_case(X, NEITHER, D, False, EXPLICIT, "identity"),
    _matrix_case(X, NEITHER, N, False, IMPLICIT, UNCHECKED),
    _matrix_case(X, NEITHER, A, True, ALLOWED, None),
    _matrix_case(X, NEITHER, D, True, EXPLICIT, "identity"),
    _matrix_case(X, NEITHER, N, True, ALLOWED, None),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), KMS_MATRIX)
def test_kms_matrix(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- key policies

KEY_POLICY = [
    # KMS "Key policies in AWS KMS": "Every KMS key must have exactly one key policy" and IAM
    # policies by themselves are not sufficient.
    pytest.param(
        scenario(kms(ALICE), identity=[policy(allow("kms:*"))]),
        IMPLICIT,
        "key",
        id="no-key-policy-means-iam-allow-is-ineffective",
    ),
    # KMS "Default key policy".
    pytest.param(
        scenario(
            kms(ALICE),
            identity=[policy(allow("kms:Decrypt", KEY))],
            resource_policy=DEFAULT_KEY_POLICY,
        ),
        ALLOWED,
        None,
        id="default-key-policy-lets-iam-allow-take-effect",
    ),
    pytest.param(
        scenario(kms(ALICE), resource_policy=DEFAULT_KEY_POLICY),
        IMPLICIT,
        "identity",
        id="default-key-policy-alone-grants-users-nothing",
    ),
    pytest.param(
        scenario(kms(ROOT, "kms:ScheduleKeyDeletion"), resource_policy=DEFAULT_KEY_POLICY),
        ALLOWED,
        None,
        id="default-key-policy-gives-account-root-user-full-access",
    ),
    pytest.param(
        scenario(
            kms(SESSION),
            identity=[policy(allow("kms:Decrypt", KEY))],
            resource_policy=DEFAULT_KEY_POLICY,
        ),
        ALLOWED,
        None,
        id="default-key-policy-lets-role-iam-allow-take-effect",
    ),
    # KMS "Default key policy": without the root statement, even the account root user
    # cannot use the key (this is why the default policy includes it).
    pytest.param(
        scenario(kms(ROOT), resource_policy=KEY_ADMIN_ONLY),
        IMPLICIT,
        "key",
        id="key-policy-without-root-statement-excludes-account-root-user",
    ),
    pytest.param(
        scenario(
            kms(ALICE),
            identity=[policy(allow("kms:*"))],
            resource_policy=policy(
                allow("kms:*", Principal=aws(ROOT)),
                deny("kms:Decrypt", Principal=aws(ALICE), Sid="NoDecryptForAlice"),
            ),
        ),
        EXPLICIT,
        "key",
        id="key-policy-deny-beats-iam-allow-and-root-delegation",
    ),
    # IAM denyallow page > Resource-based policies > IAM role / role session: naming the role
    # ARN is limited by boundary and session policy; naming the session is not.
    pytest.param(
        scenario(kms(SESSION), resource_policy=policy(allow("kms:Decrypt", Principal=aws(ROLE)))),
        ALLOWED,
        None,
        id="key-policy-naming-role-arn-needs-no-iam-allow",
    ),
    pytest.param(
        scenario(
            kms(SESSION),
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(ROLE))),
            permissions_boundary=ONLY_S3,
        ),
        IMPLICIT,
        "boundary",
        id="key-policy-naming-role-arn-is-limited-by-boundary",
    ),
    pytest.param(
        scenario(
            kms(SESSION),
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(ROLE))),
            session_policy=ONLY_S3,
        ),
        IMPLICIT,
        "session",
        id="key-policy-naming-role-arn-is-limited-by-session-policy",
    ),
    pytest.param(
        scenario(
            kms(SESSION),
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(SESSION))),
            session_policy=ONLY_S3,
        ),
        ALLOWED,
        None,
        id="key-policy-naming-session-arn-is-not-limited-by-session-policy",
    ),
    # KMS "Allowing users in other accounts to use a KMS key": Principal "*" "gives every
    # identity in every AWS account permission ... Users in other AWS accounts just need
    # corresponding IAM permissions in their own accounts."
    pytest.param(
        scenario(kms(ALICE), resource_policy=policy(allow("kms:Decrypt", Principal="*"))),
        ALLOWED,
        None,
        id="key-policy-principal-star-same-account-needs-no-iam",
    ),
    pytest.param(
        scenario(
            kms(BOB),
            identity=[policy(allow("kms:Decrypt", KEY))],
            resource_policy=policy(allow("kms:Decrypt", Principal="*")),
        ),
        ALLOWED,
        None,
        id="key-policy-principal-star-cross-account-with-iam-allow",
    ),
    # KMS "AWS KMS condition keys" > kms:CallerAccount: limit a wildcard principal to callers
    # from one account.
    pytest.param(
        scenario(
            kms(BOB),
            identity=[policy(allow("kms:Decrypt", KEY))],
            resource_policy=policy(
                allow(
                    "kms:Decrypt",
                    Principal="*",
                    Condition={"StringEquals": {"kms:CallerAccount": ACCT}},
                )
            ),
        ),
        IMPLICIT,
        "key",
        id="key-policy-principal-star-limited-by-kms-calleraccount",
    ),
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=policy(
                allow(
                    "kms:Decrypt",
                    Principal="*",
                    Condition={"StringEquals": {"kms:CallerAccount": ACCT}},
                )
            ),
        ),
        ALLOWED,
        None,
        id="kms-calleraccount-is-derived-from-the-caller",
    ),
    # KMS "Allowing users in other accounts to use a KMS key" > Step 2: "If the IAM policy lists
    # actions that are not specified in the key policy, those permissions are not effective."
    pytest.param(
        scenario(
            kms(BOB),
            identity=[policy(allow(["kms:Encrypt", "kms:Decrypt"], KEY))],
            resource_policy=policy(
                allow("kms:*", Principal=aws(ROOT)),
                allow("kms:Encrypt", Principal=aws(OTHER_ROOT)),
            ),
        ),
        IMPLICIT,
        "key",
        id="cross-account-iam-action-not-in-key-policy-is-ineffective",
    ),
    # Same page: "Cross-account permissions are effective only for the following operations"
    # (cryptographic operations, DescribeKey, grant operations, ...); e.g. granting
    # kms:ScheduleKeyDeletion to another account in a key policy has no effect.
    pytest.param(
        scenario(
            kms(BOB, "kms:ScheduleKeyDeletion"),
            identity=[policy(allow("kms:*", KEY))],
            resource_policy=policy(allow("kms:*", Principal=aws(ROOT, OTHER_ROOT))),
        ),
        IMPLICIT,
        UNCHECKED,
        id="cross-account-schedule-key-deletion-is-never-effective",
    ),
    # IAM "Policy evaluation logic": SCPs cap every request of a member-account principal, and
    # RCPs every request to a member-account resource (RCP example from KMS "Resource control
    # policies in AWS KMS": deny kms:* to principals outside the organization).
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(ALICE))),
            scps=[[policy(allow("s3:*"))]],
        ),
        IMPLICIT,
        "scp",
        id="scp-caps-principal-named-in-key-policy",
    ),
    pytest.param(
        scenario(
            kms(
                BOB,
                context={"aws:PrincipalOrgID": "o-partner", "aws:PrincipalIsAWSService": "false"},
            ),
            identity=[policy(allow("kms:Decrypt", KEY))],
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(BOB))),
            rcps=[[RCP_PERIMETER]],
        ),
        EXPLICIT,
        "rcp",
        id="rcp-identity-perimeter-denies-external-principal",
    ),
    pytest.param(
        scenario(
            kms(
                BOB, context={"aws:PrincipalOrgID": "o-myorg", "aws:PrincipalIsAWSService": "false"}
            ),
            identity=[policy(allow("kms:Decrypt", KEY))],
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(BOB))),
            rcps=[[RCP_PERIMETER]],
        ),
        ALLOWED,
        None,
        id="rcp-identity-perimeter-lets-organization-principal-through",
    ),
    # KMS "VPC endpoint policies for AWS KMS": the endpoint policy restricts which keys can be
    # used through the endpoint.
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=policy(allow("kms:Decrypt", Principal=aws(ALICE))),
            vpc_endpoint_policies=[policy(allow("kms:Decrypt", OTHER_KEY, Principal="*"))],
        ),
        IMPLICIT,
        "endpoint",
        id="vpc-endpoint-policy-limits-usable-keys",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), KEY_POLICY)
def test_key_policy(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- grants

GRANTS = [
    # KMS "Grants in AWS KMS": each grant allows exactly one key, one grantee, and only the
    # listed grant operations.
    pytest.param(
        scenario(kms(ALICE), resource_policy=DEFAULT_KEY_POLICY, grants=[grant(ALICE, "Encrypt")]),
        IMPLICIT,
        UNCHECKED,
        id="grant-operations-must-include-the-request",
    ),
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(ALICE, "Decrypt", key=OTHER_KEY)],
        ),
        IMPLICIT,
        UNCHECKED,
        id="grant-for-another-key-does-not-apply",
    ),
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(f"arn:aws:iam::{ACCT}:user/carol", "Decrypt")],
        ),
        IMPLICIT,
        UNCHECKED,
        id="grant-for-another-grantee-does-not-apply",
    ),
    pytest.param(
        scenario(
            kms(ALICE, "kms:GenerateDataKeyWithoutPlaintext"),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(ALICE, "GenerateDataKey")],
        ),
        IMPLICIT,
        UNCHECKED,
        id="grant-operation-names-are-exact-not-prefixes",
    ),
    # "Grants in AWS KMS" > grant concepts: the grantee principal may be a role; the grant is
    # used by the role's sessions (e.g. the ListGrants example uses an assumed-role grantee).
    pytest.param(
        scenario(kms(SESSION), resource_policy=DEFAULT_KEY_POLICY, grants=[grant(ROLE, "Decrypt")]),
        ALLOWED,
        None,
        id="grant-to-role-arn-covers-its-sessions",
    ),
    # KMS "Controlling access to grants": CreateGrant can come from a grant; "the grant only
    # allows the grantee principal to create grants that are equally restrictive or more
    # restrictive" (a subset of its operations).
    pytest.param(
        scenario(
            kms(ALICE, "kms:CreateGrant", context={"kms:GrantOperations": ["Decrypt"]}),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(ALICE, "Decrypt", "CreateGrant")],
        ),
        ALLOWED,
        None,
        id="grant-with-creategrant-lets-grantee-create-narrower-grant",
    ),
    pytest.param(
        scenario(
            kms(ALICE, "kms:CreateGrant", context={"kms:GrantOperations": ["Decrypt", "Encrypt"]}),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(ALICE, "Decrypt", "CreateGrant")],
        ),
        IMPLICIT,
        UNCHECKED,
        id="grant-derived-creategrant-cannot-widen-operations",
    ),
    # KMS "Controlling access to grants": CreateGrant permission from a key policy or IAM policy
    # is limited only by its conditions (e.g. kms:GrantOperations), not by a parent grant.
    pytest.param(
        scenario(
            kms(
                ALICE,
                "kms:CreateGrant",
                context={"kms:GrantOperations": ["Decrypt", "Encrypt", "ReEncryptFrom", "Sign"]},
            ),
            resource_policy=policy(allow("kms:CreateGrant", Principal=aws(ALICE))),
        ),
        ALLOWED,
        None,
        id="policy-derived-creategrant-may-grant-any-operations",
    ),
    pytest.param(
        scenario(
            kms(ALICE, "kms:CreateGrant", context={"kms:GrantOperations": ["Decrypt", "Encrypt"]}),
            resource_policy=policy(
                allow(
                    "kms:CreateGrant",
                    Principal=aws(ALICE),
                    Condition={"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]}},
                )
            ),
        ),
        IMPLICIT,
        "key",
        id="policy-derived-creategrant-limited-by-kms-grantoperations",
    ),
    # "Grants in AWS KMS": "you can use grants to allow access, but not deny it"; key policy and
    # IAM denies still apply ("provided explicitly and never denied").
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=policy(
                allow("kms:*", Principal=aws(ROOT)), deny("kms:Decrypt", Principal="*")
            ),
            grants=[grant(ALICE, "Decrypt")],
        ),
        EXPLICIT,
        "key",
        id="key-policy-deny-beats-grant",
    ),
    # IAM "Policy evaluation logic": SCPs "limit permissions for every request made by a
    # principal within the account" -- grant use included.
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(ALICE, "Decrypt")],
            scps=[[policy(allow("s3:*"))]],
        ),
        IMPLICIT,
        "scp",
        id="scp-caps-grant-use",
    ),
    pytest.param(
        scenario(
            kms(ALICE),
            resource_policy=DEFAULT_KEY_POLICY,
            grants=[grant(ALICE, "Decrypt")],
            permissions_boundary=policy(allow("*"), deny("kms:Decrypt")),
        ),
        EXPLICIT,
        "boundary",
        id="explicit-deny-in-boundary-beats-grant",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), GRANTS)
def test_grants(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- grant constraints

# KMS "Grants in AWS KMS" > grant constraints (the Department/Classification example) and the
# KMS API reference "GrantConstraints": "in a grant constraint, the key in each key-value pair
# is not case sensitive, but the value is case sensitive"; constraints "are not applied to
# operations that do not support an encryption context, such as ... DescribeKey".
SUBSET = {"Department": "Finance", "Classification": "Public"}


def _constrained(request: dict, *ops: str, **constraints: dict) -> dict:
    return scenario(
        request,
        resource_policy=DEFAULT_KEY_POLICY,
        grants=[grant(ALICE, *(ops or ("Decrypt",)), **constraints)],
    )


GRANT_CONSTRAINTS = [
    pytest.param(
        _constrained(
            kms(ALICE, context=enc_ctx(Department="Finance", Classification="Public")),
            EncryptionContextSubset=SUBSET,
        ),
        ALLOWED,
        None,
        id="subset-constraint-satisfied-by-exact-pairs",
    ),
    pytest.param(
        _constrained(
            kms(
                ALICE,
                context=enc_ctx(
                    Customer="12345", Department="Finance", Classification="Public", Purpose="Test"
                ),
            ),
            EncryptionContextSubset=SUBSET,
        ),
        ALLOWED,
        None,
        id="subset-constraint-satisfied-by-superset",
    ),
    pytest.param(
        _constrained(
            kms(ALICE, context=enc_ctx(Department="Finance")), EncryptionContextSubset=SUBSET
        ),
        IMPLICIT,
        UNCHECKED,
        id="subset-constraint-fails-on-missing-pair",
    ),
    pytest.param(
        _constrained(
            kms(ALICE, context=enc_ctx(Department="finance", Classification="public")),
            EncryptionContextSubset=SUBSET,
        ),
        IMPLICIT,
        UNCHECKED,
        id="constraint-values-are-case-sensitive",
    ),
    pytest.param(
        _constrained(
            kms(ALICE, context=enc_ctx(department="Finance", classification="Public")),
            EncryptionContextSubset=SUBSET,
        ),
        ALLOWED,
        None,
        id="constraint-keys-are-case-insensitive",
    ),
    pytest.param(
        _constrained(kms(ALICE), EncryptionContextSubset=SUBSET),
        IMPLICIT,
        UNCHECKED,
        id="subset-constraint-fails-without-encryption-context",
    ),
    pytest.param(
        _constrained(
            kms(ALICE, context=enc_ctx(Department="Finance")),
            EncryptionContextEquals={"Department": "Finance"},
        ),
        ALLOWED,
        None,
        id="equals-constraint-satisfied-by-exact-match",
    ),
    pytest.param(
        _constrained(
            kms(ALICE, context=enc_ctx(Department="Finance", Purpose="Test")),
            EncryptionContextEquals={"Department": "Finance"},
        ),
        IMPLICIT,
        UNCHECKED,
        id="equals-constraint-fails-on-extra-pair",
    ),
    pytest.param(
        _constrained(
            kms(ALICE, "kms:DescribeKey"),
            "Decrypt",
            "DescribeKey",
            EncryptionContextEquals={"Department": "Finance"},
        ),
        ALLOWED,
        None,
        id="constraint-does-not-apply-to-describekey",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), GRANT_CONSTRAINTS)
def test_grant_constraints(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)


# --------------------------------------------------------------------------- custom key stores

# KMS "Controlling access to your custom key store" > "Authorizing custom key store managers
# and users": the store manager's least privilege.
STORE_MANAGER = policy(
    allow(
        [
            "cloudhsm:DescribeClusters",
            "kms:CreateCustomKeyStore",
            "kms:ConnectCustomKeyStore",
            "kms:DisconnectCustomKeyStore",
            "kms:UpdateCustomKeyStore",
            "kms:DeleteCustomKeyStore",
            "kms:DescribeCustomKeyStores",
            "iam:CreateServiceLinkedRole",
        ],
        "*",
    )
)
CKS_ACTIONS = [
    "kms:CreateCustomKeyStore",
    "kms:ConnectCustomKeyStore",
    "kms:DisconnectCustomKeyStore",
    "kms:UpdateCustomKeyStore",
    "kms:DeleteCustomKeyStore",
    "kms:DescribeCustomKeyStores",
]

# AWS managed policy AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy (v2).
SLR_POLICY = policy(
    allow(
        [
            "cloudhsm:Describe*",
            "ec2:CreateNetworkInterface",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:CreateSecurityGroup",
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:DeleteSecurityGroup",
            "ec2:DescribeVpcs",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeNetworkInterfaces",
        ],
        "*",
    )
)
SLR_TRUST = policy(allow("sts:AssumeRole", None, Principal={"Service": "cks.kms.amazonaws.com"}))


@pytest.mark.parametrize("action", CKS_ACTIONS)
def test_store_manager_policy_allows_every_custom_key_store_action(action: str) -> None:
    # KMS "AWS KMS permissions": the custom key store operations are IAM-policy only, not
    # cross-account, and take no resource ARN (resource "*"); no key policy is involved.
    check(scenario(kms(ALICE, action, "*"), identity=[STORE_MANAGER]), ALLOWED, None)


CUSTOM_KEY_STORE = [
    pytest.param(
        scenario(kms(ALICE, "kms:CreateCustomKeyStore", "*")),
        IMPLICIT,
        "identity",
        id="custom-key-store-action-needs-iam-allow",
    ),
    pytest.param(
        scenario(
            kms(ALICE, "kms:ConnectCustomKeyStore", "*"),
            identity=[policy(allow("kms:*", f"arn:aws:kms:*:{ACCT}:key/*"))],
        ),
        IMPLICIT,
        "identity",
        id="iam-allow-scoped-to-key-arns-does-not-cover-resource-star",
    ),
    # KMS "AWS KMS permissions" lists kms:CallerAccount as the condition key for these actions.
    pytest.param(
        scenario(
            kms(ALICE, "kms:CreateCustomKeyStore", "*"),
            identity=[
                policy(
                    allow(
                        "kms:CreateCustomKeyStore",
                        "*",
                        Condition={"StringEquals": {"kms:CallerAccount": ACCT}},
                    )
                )
            ],
        ),
        ALLOWED,
        None,
        id="custom-key-store-allow-conditioned-on-own-caller-account",
    ),
    pytest.param(
        scenario(
            kms(ALICE, "kms:CreateCustomKeyStore", "*"),
            identity=[
                policy(
                    allow(
                        "kms:CreateCustomKeyStore",
                        "*",
                        Condition={"StringEquals": {"kms:CallerAccount": OTHER}},
                    )
                )
            ],
        ),
        IMPLICIT,
        "identity",
        id="custom-key-store-allow-conditioned-on-other-caller-account",
    ),
    pytest.param(
        scenario(
            kms(ALICE, "kms:DeleteCustomKeyStore", "*"),
            identity=[STORE_MANAGER],
            scps=[[policy(allow("*"), deny("kms:*CustomKeyStore*"))]],
        ),
        EXPLICIT,
        "scp",
        id="scp-deny-blocks-custom-key-store-management",
    ),
    # Same page: key managers need exactly what any KMS key manager needs, e.g. kms:CreateKey
    # (resource "*", IAM policy).
    pytest.param(
        scenario(kms(ALICE, "kms:CreateKey", "*"), identity=[policy(allow("kms:CreateKey"))]),
        ALLOWED,
        None,
        id="key-manager-creates-key-with-iam-allow-only",
    ),
    # "About the AWS KMS service-linked role": it "trusts only cks.kms.amazonaws.com".
    pytest.param(
        scenario(
            {"principal": "cks.kms.amazonaws.com", "action": "sts:AssumeRole", "resource": SLR_ARN},
            resource_policy=SLR_TRUST,
        ),
        ALLOWED,
        None,
        id="cks-service-principal-may-assume-the-service-linked-role",
    ),
    pytest.param(
        scenario(
            {"principal": "ec2.amazonaws.com", "action": "sts:AssumeRole", "resource": SLR_ARN},
            resource_policy=SLR_TRUST,
        ),
        IMPLICIT,
        "trust",
        id="other-service-principal-may-not-assume-the-service-linked-role",
    ),
    pytest.param(
        scenario(
            {"principal": ALICE, "action": "sts:AssumeRole", "resource": SLR_ARN},
            identity=[policy(allow("sts:AssumeRole"))],
            resource_policy=SLR_TRUST,
        ),
        IMPLICIT,
        "trust",
        id="users-may-not-assume-the-service-linked-role",
    ),
    # The service-linked role's permissions cover the VPC wiring, not cluster management.
    pytest.param(
        scenario(
            {
                "principal": SLR_SESSION,
                "principal_role_arn": SLR_ARN,
                "action": "ec2:CreateNetworkInterface",
                "resource": "*",
            },
            identity=[SLR_POLICY],
        ),
        ALLOWED,
        None,
        id="service-linked-role-may-create-network-interface",
    ),
    pytest.param(
        scenario(
            {
                "principal": SLR_SESSION,
                "principal_role_arn": SLR_ARN,
                "action": "cloudhsm:DeleteCluster",
                "resource": f"arn:aws:cloudhsm:us-east-1:{ACCT}:cluster/cluster-1234abcd",
            },
            identity=[SLR_POLICY],
        ),
        IMPLICIT,
        "identity",
        id="service-linked-role-may-not-delete-clusters",
    ),
]


@pytest.mark.parametrize(("scenario_", "expected", "blocked_by"), CUSTOM_KEY_STORE)
def test_custom_key_store(scenario_: dict, expected: str, blocked_by: str | None) -> None:
    check(scenario_, expected, blocked_by)
