"""Reference corpus: web-identity and SAML callers, and what AWS decides whatever the policies say.

Sources, by group:

* Federated callers: IAM User Guide, "Permissions for AssumeRole, AssumeRoleWithSAML, and
  AssumeRoleWithWebIdentity"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_assumerole.html):
  "For the AssumeRoleWithSAML and AssumeRoleWithWebIdentity API operations, there are no
  policies to evaluate because the caller of the API is not an AWS identity" -- so no
  identity-based policy and no SCP applies; the role's trust policy must allow.
  IAM User Guide, "Available keys for AWS web identity federation" and "Available keys for
  SAML-based AWS STS federation"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html):
  the token's claims arrive as ``HOST:sub``, ``HOST:aud``, ``HOST:amr`` (multi-valued),
  ``SAML:aud``, ``SAML:sub``, …; ``aws:FederatedProvider`` names the OIDC provider.
  AWS Organizations, "Resource control policies"
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html):
  RCPs govern AWS STS roles, whoever the caller is, so they also restrict these calls.
* ``sts:GetCallerIdentity``: AWS STS API Reference, GetCallerIdentity
  (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html): "you can
  still perform this operation" under an explicit deny.
* Protections: IAM User Guide, "AWS managed policies"; IAM Identity Center User Guide, "IAM
  roles created by IAM Identity Center"; AWS KMS API Reference, CreateAlias ("alias/aws/ …
  reserved for AWS managed keys").
"""

from __future__ import annotations

from typing import Any

import pytest

import cksmodel

ACCT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCT}:role/deploy"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_ARN = f"arn:aws:iam::{ACCT}:oidc-provider/{GITHUB}"
SAML_ARN = f"arn:aws:iam::{ACCT}:saml-provider/ExampleIdP"
COGNITO = "cognito-identity.amazonaws.com"
POOL = "us-east-1:11111111-2222-3333-4444-555555555555"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
V2012 = "2012-10-17"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V2012, "Statement": list(statements)}


GITHUB_TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"Federated": GITHUB_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB}:sub": "repo:acme/app:*"},
        },
    }
)
COGNITO_TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"Federated": COGNITO},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {f"{COGNITO}:aud": POOL},
            "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"},
        },
    }
)
SAML_TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"Federated": SAML_ARN},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }
)
DENY_ALL = policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
ALLOW_ALL = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
GITHUB_OK = {
    f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main",
    f"{GITHUB}:aud": "sts.amazonaws.com",
}


def scenario(
    principal: str, action: str, resource: str, context: dict[str, Any] | None = None, **rest: Any
) -> dict[str, Any]:
    request = {"principal": principal, "action": action, "resource": resource}
    return {"request": {**request, "context": context or {}}, **rest}


CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    (
        "github token of the pinned repository assumes the role",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            GITHUB_OK,
            resource_policy=GITHUB_TRUST,
        ),
        "allowed",
        None,
    ),
    (
        "github token of another repository is refused by the trust policy",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            {**GITHUB_OK, f"{GITHUB}:sub": "repo:someone-else/any-repo:ref:refs/heads/main"},
            resource_policy=GITHUB_TRUST,
        ),
        "implicitDeny",
        "trust",
    ),
    (
        "a token without the sub claim does not meet a StringLike on sub",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            {f"{GITHUB}:aud": "sts.amazonaws.com"},
            resource_policy=GITHUB_TRUST,
        ),
        "implicitDeny",
        "trust",
    ),
    (
        "another account's provider for the same host is not the trusted provider",
        scenario(
            f"arn:aws:iam::{OTHER}:oidc-provider/{GITHUB}",
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            GITHUB_OK,
            resource_policy=GITHUB_TRUST,
        ),
        "implicitDeny",
        "trust",
    ),
    (
        "no trust policy: a web-identity caller needs an explicit allow",
        scenario(GITHUB_ARN, "sts:AssumeRoleWithWebIdentity", ROLE, GITHUB_OK),
        "implicitDeny",
        "trust",
    ),
    (
        "SCPs do not apply: the caller is not an AWS identity of the organization",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            GITHUB_OK,
            resource_policy=GITHUB_TRUST,
            scps=[[DENY_ALL]],
        ),
        "allowed",
        None,
    ),
    (
        "identity policies do not apply: an identity-policy deny changes nothing",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            GITHUB_OK,
            resource_policy=GITHUB_TRUST,
            identity_policies=[DENY_ALL],
        ),
        "allowed",
        None,
    ),
    (
        "an RCP deny on the role refuses the web-identity call",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            GITHUB_OK,
            resource_policy=GITHUB_TRUST,
            rcps=[
                [policy({"Effect": "Deny", "Principal": "*", "Action": "sts:*", "Resource": "*"})]
            ],
        ),
        "explicitDeny",
        "rcp",
    ),
    (
        "a web-identity caller cannot call sts:AssumeRole",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRole",
            ROLE,
            GITHUB_OK,
            resource_policy=policy(
                {"Effect": "Allow", "Principal": {"Federated": GITHUB_ARN}, "Action": "sts:*"}
            ),
        ),
        "implicitDeny",
        "federation",
    ),
    (
        "a web-identity caller cannot call anything but role assumption",
        scenario(
            GITHUB_ARN,
            "s3:GetObject",
            "arn:aws:s3:::bucket/key",
            GITHUB_OK,
            identity_policies=[ALLOW_ALL],
        ),
        "implicitDeny",
        "federation",
    ),
    (
        "an IAM user cannot make a web-identity call: the token names the caller",
        scenario(
            ALICE,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            identity_policies=[ALLOW_ALL],
            resource_policy=policy(
                {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:*"}
            ),
        ),
        "implicitDeny",
        "federation",
    ),
    (
        "cognito identity of the pool, authenticated, assumes the role",
        scenario(
            COGNITO,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            {
                f"{COGNITO}:aud": POOL,
                f"{COGNITO}:amr": ["authenticated", "cognito-idp.amazonaws.com"],
            },
            resource_policy=COGNITO_TRUST,
        ),
        "allowed",
        None,
    ),
    (
        "cognito identity of another pool is refused",
        scenario(
            COGNITO,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            {f"{COGNITO}:aud": "us-east-1:other", f"{COGNITO}:amr": ["authenticated"]},
            resource_policy=COGNITO_TRUST,
        ),
        "implicitDeny",
        "trust",
    ),
    (
        "an unauthenticated cognito identity misses ForAnyValue amr authenticated",
        scenario(
            COGNITO,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            {f"{COGNITO}:aud": POOL, f"{COGNITO}:amr": ["unauthenticated"]},
            resource_policy=COGNITO_TRUST,
        ),
        "implicitDeny",
        "trust",
    ),
    (
        "SAML assertion for the AWS sign-in audience assumes the role",
        scenario(
            SAML_ARN,
            "sts:AssumeRoleWithSAML",
            ROLE,
            {"SAML:aud": "https://signin.aws.amazon.com/saml"},
            resource_policy=SAML_TRUST,
        ),
        "allowed",
        None,
    ),
    (
        "SAML caller passes session tags when sts:TagSession is trusted",
        scenario(
            SAML_ARN,
            "sts:TagSession",
            ROLE,
            {"SAML:aud": "https://signin.aws.amazon.com/saml"},
            resource_policy=SAML_TRUST,
        ),
        "allowed",
        None,
    ),
    (
        "SAML caller cannot make a web-identity call",
        scenario(SAML_ARN, "sts:AssumeRoleWithWebIdentity", ROLE, resource_policy=SAML_TRUST),
        "implicitDeny",
        "federation",
    ),
    (
        "aws:FederatedProvider names the OIDC provider of the token",
        scenario(
            GITHUB_ARN,
            "sts:AssumeRoleWithWebIdentity",
            ROLE,
            resource_policy=policy(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringLike": {"aws:FederatedProvider": "*:oidc-provider/" + GITHUB}
                    },
                }
            ),
        ),
        "allowed",
        None,
    ),
    (
        "GetCallerIdentity is allowed without any policy",
        scenario(ALICE, "sts:GetCallerIdentity", "*"),
        "allowed",
        None,
    ),
    (
        "GetCallerIdentity is allowed under an explicit deny",
        scenario(
            ALICE, "sts:GetCallerIdentity", "*", identity_policies=[DENY_ALL], scps=[[DENY_ALL]]
        ),
        "allowed",
        None,
    ),
    (
        "an AWS managed policy cannot get a new version, even for an administrator",
        scenario(
            ALICE,
            "iam:CreatePolicyVersion",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            identity_policies=[ALLOW_ALL],
        ),
        "explicitDeny",
        "protection",
    ),
    (
        "a customer managed policy can get a new version",
        scenario(
            ALICE,
            "iam:CreatePolicyVersion",
            f"arn:aws:iam::{ACCT}:policy/team",
            identity_policies=[ALLOW_ALL],
        ),
        "allowed",
        None,
    ),
    (
        "an IAM Identity Center role's trust cannot be changed",
        scenario(
            ALICE,
            "iam:UpdateAssumeRolePolicy",
            f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
            identity_policies=[ALLOW_ALL],
        ),
        "explicitDeny",
        "protection",
    ),
    (
        "an IAM Identity Center role cannot be deleted",
        scenario(
            ALICE,
            "iam:DeleteRole",
            f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev",
            identity_policies=[ALLOW_ALL],
        ),
        "explicitDeny",
        "protection",
    ),
    (
        "a service-linked role's policies cannot be changed",
        scenario(
            ALICE,
            "iam:PutRolePolicy",
            f"arn:aws:iam::{ACCT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            identity_policies=[ALLOW_ALL],
        ),
        "explicitDeny",
        "protection",
    ),
    (
        "an alias under alias/aws/ cannot be created",
        scenario(
            ALICE,
            "kms:CreateAlias",
            f"arn:aws:kms:us-east-1:{ACCT}:alias/aws/s3",
            identity_policies=[ALLOW_ALL],
        ),
        "explicitDeny",
        "protection",
    ),
    (
        "a customer alias can be created",
        scenario(
            ALICE,
            "kms:CreateAlias",
            f"arn:aws:kms:us-east-1:{ACCT}:alias/app",
            identity_policies=[ALLOW_ALL],
        ),
        "allowed",
        None,
    ),
]


@pytest.mark.parametrize(
    ("doc", "expected", "blocked"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_decision(doc: dict[str, Any], expected: str, blocked: str | None) -> None:
    decision = cksmodel.simulate(doc)
    assert decision.decision == expected, decision.reasons
    assert decision.blocked_by == blocked


def test_protection_names_its_reason() -> None:
    by_name = {name: doc for name, doc, _, _ in CASES}
    decision = cksmodel.simulate(
        by_name["an AWS managed policy cannot get a new version, even for an administrator"]
    )
    assert decision.reasons == (
        "AWS managed policy: customers cannot modify it (AWS refuses it whatever the policies say)",
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (GITHUB_ARN, "web_identity"),
        (COGNITO, "web_identity"),
        ("Accounts.Google.com", "web_identity"),
        ("graph.facebook.com", "web_identity"),
        ("www.amazon.com", "web_identity"),
        (SAML_ARN, "saml"),
    ],
)
def test_identity_providers_are_read_as_federated_callers(text: str, kind: str) -> None:
    request, _ = cksmodel.load_scenario(scenario(text, "sts:AssumeRoleWithWebIdentity", ROLE))
    assert request.principal.kind.value == kind
    assert not request.principal.is_aws_identity
