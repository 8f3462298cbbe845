"""What AWS refuses or allows whatever the policies say, as the evaluator applies it.

Two kinds of fixed rules sit outside every policy:

* ``sts:GetCallerIdentity`` is always allowed: "No permissions are required to perform
  this operation. If an administrator attaches a policy to your identity that
  explicitly denies access to the sts:GetCallerIdentity action, you can still perform
  this operation" (AWS STS API Reference, GetCallerIdentity).
* Some changes are always refused, written here as one Deny-only document that applies
  to every caller: AWS managed policies (``arn:aws:iam::aws:policy/…``) cannot be
  changed or deleted by customers (IAM User Guide, "AWS managed policies"); the roles
  IAM Identity Center creates under ``/aws-reserved/sso.amazonaws.com/`` cannot be
  edited or deleted in IAM (IAM Identity Center User Guide, "IAM roles created by
  IAM Identity Center"); service-linked roles under ``/aws-service-role/`` can be
  changed only by their service (IAM User Guide, "Using service-linked roles"); aliases
  under ``alias/aws/`` are reserved for AWS managed keys (AWS KMS API Reference,
  CreateAlias, UpdateAlias, DeleteAlias).
"""

from __future__ import annotations

from functools import cache
from typing import Final

from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.parse import load_policy

ALWAYS_ALLOWED: Final = frozenset({"sts:getcalleridentity"})
"""Actions AWS allows every authenticated caller, even under an explicit deny."""

PROTECTIONS_NAME: Final = "AWS-enforced protections"

_ROLE_CHANGES = [
    "iam:DeleteRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreateRole",
]

_STATEMENTS: Final = (
    (
        "AWSManagedPolicies",
        "AWS managed policy: customers cannot modify it",
        [
            "iam:CreatePolicyVersion",
            "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:DeletePolicy",
            "iam:TagPolicy",
            "iam:UntagPolicy",
        ],
        "arn:*:iam::aws:policy/*",
    ),
    (
        "IdentityCenterRoles",
        "IAM Identity Center role: only IAM Identity Center can change it",
        [*_ROLE_CHANGES, "iam:UpdateRole", "iam:UpdateRoleDescription"],
        "arn:*:iam::*:role/aws-reserved/sso.amazonaws.com/*",
    ),
    (
        "ServiceLinkedRoles",
        "service-linked role: only its service can change its trust and policies",
        _ROLE_CHANGES,
        "arn:*:iam::*:role/aws-service-role/*",
    ),
    (
        "AWSManagedKeyAliases",
        "alias/aws/ is reserved for AWS managed keys: customers cannot create, "
        "update or delete such an alias",
        ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
        "arn:*:kms:*:*:alias/aws/*",
    ),
)

PROTECTION_REASONS: Final = {sid: reason for sid, reason, _, _ in _STATEMENTS}
"""The reason each statement of :func:`aws_protections` gives in a decision, by Sid."""


@cache
def aws_protections() -> Policy:
    """The changes AWS refuses whatever the policies say, as a Deny-only resource policy."""
    document = {
        "Version": "2012-10-17",
        "Id": "aws-enforced-protections",
        "Statement": [
            {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": actions, "Resource": res}
            for sid, _, actions, res in _STATEMENTS
        ],
    }
    return load_policy(
        document,
        policy_type=PolicyType.RESOURCE,
        name=PROTECTIONS_NAME,
        source="cksmodel:concrete/protections",
    )
