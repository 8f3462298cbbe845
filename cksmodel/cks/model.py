"""The built-in facts of AWS KMS custom key stores (AWS CloudHSM key stores), as data.

Everything here is fixed by AWS, not by the account being analysed: the
service-linked role KMS creates for custom key stores (its name, path, trust
policy and permissions policy), the protections IAM applies to service-linked
roles, the default key policy, and the least privilege of the four personas of
the seed document (``shared/reference/seed-custom-key-store-access-control.ja.txt``).

The policy documents live as JSON files in ``cksmodel/cks/data/`` and are parsed
with positions, so findings that involve them point into those files
(``cksmodel:cks/data/<file>:line:column``).

Sources (AWS documentation, read with the documentation search):

* KMS Developer Guide, "Control access to your AWS CloudHSM key store"
  (``kms/latest/developerguide/authorize-key-store.html``; the seed is its Japanese
  version): the four personas and the store manager's eight permissions.
* KMS Developer Guide, "Authorizing AWS KMS to manage AWS CloudHSM and Amazon EC2
  resources" (``authorize-kms.html``): the service-linked role, its trust in
  ``cks.kms.amazonaws.com``, its permissions, "cannot be deleted", "description
  can be edited".
* AWS Managed Policy Reference, ``AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy``:
  the JSON document, policy version v2 (default), edited 2023-11-10.
* KMS Developer Guide, "Default key policy" (``key-policy-default.html``): the
  one-statement default key policy and the console's key administrators statement.
* CloudHSM User Guide, "Identity and access management for AWS CloudHSM" /
  "Restrict user permissions to what's necessary for AWS CloudHSM"
  (``cloudhsm/latest/userguide/identity-access-management.html``, formerly
  ``create-iam-user.html``): the cluster administrator's permissions.
* IAM User Guide, "Update a service-linked role"
  (``IAM/latest/UserGuide/id_roles_update-service-linked-role.html``) and the IAM API
  Reference's ``UnmodifiableEntity`` error ("service-linked roles are protected AWS
  resources. Only the service that depends on the service-linked role can modify
  or delete the role"): which role operations IAM refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Final

from cksmodel.errors import InputError
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.parse import load_policy

# ----------------------------------------------------------------- service-linked role

SLR_NAME: Final = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
SLR_PATH: Final = "/aws-service-role/cks.kms.amazonaws.com/"
SLR_SERVICE: Final = "cks.kms.amazonaws.com"
SLR_POLICY_NAME: Final = "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy"
SLR_POLICY_ARN: Final = (
    "arn:aws:iam::aws:policy/aws-service-role/"
    "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy"
)
SLR_POLICY_VERSION: Final = "v2"
"""The managed policy's default version, per the AWS Managed Policy Reference."""
SLR_POLICY_UPDATED: Final = "2023-11-10"
"""When that version was published ("Edited time: November 10, 2023, 19:03 UTC")."""

# ------------------------------------------------------------------------ KMS actions

CKS_ACTIONS: Final[tuple[str, ...]] = (
    "kms:CreateCustomKeyStore",
    "kms:ConnectCustomKeyStore",
    "kms:DisconnectCustomKeyStore",
    "kms:UpdateCustomKeyStore",
    "kms:DeleteCustomKeyStore",
    "kms:DescribeCustomKeyStores",
)
"""Every custom key store API action (resource ``*`` only, IAM policies only)."""

CKS_MANAGEMENT_ACTIONS: Final[tuple[str, ...]] = CKS_ACTIONS[:5]
"""The custom key store actions that change a store (all but DescribeCustomKeyStores)."""

# ---------------------------------------------------------------------------- personas

STORE_MANAGER: Final = "store_manager"
CLUSTER_ADMIN: Final = "cluster_admin"
KEY_MANAGER: Final = "key_manager"
KEY_USER: Final = "key_user"
PERSONAS: Final[tuple[str, ...]] = (STORE_MANAGER, CLUSTER_ADMIN, KEY_MANAGER, KEY_USER)

ALL_KEYS: Final = "key *"
"""Resource marker of :data:`PERSONA_SIGNATURES`: every KMS key of the account."""

LEAST_PRIVILEGE: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # KMS Developer Guide, "Control access to your AWS CloudHSM key store" (the seed):
        # exactly these eight, in the seed's order.
        STORE_MANAGER: (
            "cloudhsm:DescribeClusters",
            "kms:CreateCustomKeyStore",
            "kms:ConnectCustomKeyStore",
            "kms:DisconnectCustomKeyStore",
            "kms:UpdateCustomKeyStore",
            "kms:DeleteCustomKeyStore",
            "kms:DescribeCustomKeyStores",
            "iam:CreateServiceLinkedRole",
        ),
        # CloudHSM User Guide, "Restrict user permissions to what's necessary for AWS
        # CloudHSM": the "power user" policy (create and initialize clusters, create HSMs,
        # restore and copy backups, tag) plus the deletions the seed says a cluster
        # administrator "might also need" (DeleteHsm, DeleteCluster, DeleteBackup), which
        # the guide's "admin" policy grants through cloudhsm:*. The EC2 actions and
        # iam:CreateServiceLinkedRole (for AWSServiceRoleForCloudHSM) are the guide's
        # list; it has no ec2:CreateVpc, ec2:CreateSubnet or ec2:RunInstances although
        # the seed mentions creating a VPC, subnets and an EC2 instance.
        CLUSTER_ADMIN: (
            "cloudhsm:CreateCluster",
            "cloudhsm:InitializeCluster",
            "cloudhsm:DescribeClusters",
            "cloudhsm:CreateHsm",
            "cloudhsm:DeleteHsm",
            "cloudhsm:DeleteCluster",
            "cloudhsm:DescribeBackups",
            "cloudhsm:DeleteBackup",
            "cloudhsm:RestoreBackup",
            "cloudhsm:CopyBackupToRegion",
            "cloudhsm:TagResource",
            "cloudhsm:UntagResource",
            "cloudhsm:ListTags",
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeNetworkInterfaceAttribute",
            "ec2:DetachNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:CreateSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:DescribeSecurityGroups",
            "ec2:DeleteSecurityGroup",
            "ec2:CreateTags",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "iam:CreateServiceLinkedRole",
        ),
        # KMS Developer Guide, "Default key policy": the key administrators statement the
        # console writes for a single-Region symmetric key (kms:RotateKeyOnDemand was added
        # to it in 2024), plus kms:CreateKey, which "is valid only in an IAM policy".
        # Beware: written in an IAM policy with Resource "*", kms:Create*, kms:Describe*,
        # kms:Update* and kms:Delete* also match the custom key store actions; in a key
        # policy they cannot, since a key policy's "*" is the key itself.
        KEY_MANAGER: (
            "kms:Create*",
            "kms:Describe*",
            "kms:Enable*",
            "kms:List*",
            "kms:Put*",
            "kms:Update*",
            "kms:Revoke*",
            "kms:Disable*",
            "kms:Get*",
            "kms:Delete*",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
            "kms:CancelKeyDeletion",
            "kms:RotateKeyOnDemand",
            "kms:CreateKey",
        ),
        # KMS Developer Guide, "Default key policy": the console's key users statement
        # for a symmetric encryption key ("Allow use of the key").
        KEY_USER: (
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ),
    }
)
"""Least privilege of each persona (action names and the documents' own wildcards)."""

PERSONA_SIGNATURES: Final[Mapping[str, tuple[str, tuple[str, ...], str]]] = MappingProxyType(
    {
        STORE_MANAGER: ("any", CKS_MANAGEMENT_ACTIONS, "*"),
        CLUSTER_ADMIN: (
            "any",
            (
                "cloudhsm:CreateCluster",
                "cloudhsm:DeleteCluster",
                "cloudhsm:CreateHsm",
                "cloudhsm:DeleteHsm",
                "cloudhsm:InitializeCluster",
            ),
            "*",
        ),
        # Key administration actions (PutKeyPolicy, ScheduleKeyDeletion, ...) act on a key,
        # not on "*", so they cannot share this one-resource signature; kms:CreateKey is
        # what every key manager needs (the seed's own example).
        KEY_MANAGER: ("any", ("kms:CreateKey",), "*"),
        KEY_USER: ("any", ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"), ALL_KEYS),
    }
)
"""How each persona is recognised in an account.

``(quantifier, actions, resource)``: ``("any", A, R)`` means "the principals that
may perform any action of ``A`` on ``R``". ``R`` is ``"*"`` for actions without a
resource type, or :data:`ALL_KEYS` (``"key *"``) for "any KMS key of the account".
"""

# -------------------------------------------------------------------------- documents

DATA_PACKAGE: Final = "cksmodel.cks"
SOURCE_PREFIX: Final = "cksmodel:cks/data/"

SLR_TRUST_POLICY_FILE: Final = "slr-trust-policy.json"
SLR_PERMISSIONS_POLICY_FILE: Final = "slr-permissions-policy.json"
PROTECTIONS_POLICY_FILE: Final = "protections-policy.json"

_ACCOUNT = re.compile(r"^\d{12}$")
_PARTITION = re.compile(r"^aws(-[a-z]+)*$")


def data_text(name: str) -> str:
    """The text of a document shipped in ``cksmodel/cks/data/``."""
    return resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


def source_name(name: str) -> str:
    """The source label of a shipped document, as spans and findings print it."""
    return SOURCE_PREFIX + name


def _shipped_policy(file: str, policy_type: PolicyType, name: str) -> Policy:
    return load_policy(
        data_text(file), policy_type=policy_type, name=name, source=source_name(file)
    )


def _check_account(account: str, partition: str) -> None:
    if not _ACCOUNT.match(account):
        raise InputError(f"account {account!r} is not a 12-digit AWS account id", code="E_ACCOUNT")
    if not _PARTITION.match(partition):
        raise InputError(
            f"partition {partition!r} is not an AWS partition such as 'aws' or 'aws-cn'",
            code="E_PARTITION",
        )


def slr_arn(account: str, partition: str = "aws") -> str:
    """The ARN of the custom key store service-linked role in ``account``."""
    _check_account(account, partition)
    return f"arn:{partition}:iam::{account}:role{SLR_PATH}{SLR_NAME}"


@cache
def slr_trust_policy() -> Policy:
    """The role's trust policy: only ``cks.kms.amazonaws.com`` may ``sts:AssumeRole``."""
    return _shipped_policy(SLR_TRUST_POLICY_FILE, PolicyType.TRUST, f"{SLR_NAME} trust policy")


@cache
def slr_permissions_policy() -> Policy:
    """``AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy``, version v2 (2023-11-10)."""
    return _shipped_policy(SLR_PERMISSIONS_POLICY_FILE, PolicyType.IDENTITY, SLR_POLICY_NAME)


@cache
def protections_policy() -> Policy:
    """What IAM refuses to do to service-linked roles, as a Deny-only document.

    A resource policy with ``Principal: "*"`` that the evaluator applies to every
    caller. IAM answers ``UnmodifiableEntity`` when anyone but the owning service
    tries to change a service-linked role; the seed adds that this role's name and
    policies cannot be edited and that it cannot be deleted (no deletion procedure
    exists), and the IAM User Guide ("Update a service-linked role") that a role's
    description can always be edited. Hence:

    * denied on every role under ``/aws-service-role/``: DeleteRole, Delete/Put
      RolePolicy, Attach/DetachRolePolicy, UpdateAssumeRolePolicy, Put/Delete
      RolePermissionsBoundary, and CreateRole (no one creates a role on that path);
    * denied on the custom key store role only: ``iam:DeleteServiceLinkedRole``
      (other services' roles can be deleted that way);
    * not denied: ``iam:UpdateRoleDescription`` and ``iam:UpdateRole`` -- the IAM User
      Guide edits a service-linked role's description with ``aws iam update-role
      --description`` (API UpdateRole), and an action-level Deny cannot tell a
      description change from a MaxSessionDuration change;
    * not denied: ``iam:CreateServiceLinkedRole`` -- KMS creates the role with the
      store creator's permission, which :mod:`cksmodel.cks.lifecycle` requires.
    """
    return _shipped_policy(
        PROTECTIONS_POLICY_FILE, PolicyType.RESOURCE, "AWS service-linked role protections"
    )


def default_key_policy(account: str, partition: str = "aws") -> Policy:
    """The default key policy KMS gives a key created without one (also in custom key stores).

    One statement: the account principal may do ``kms:*`` on the key, which lets IAM
    policies of the account grant access to it.
    """
    _check_account(account, partition)
    document = {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    return load_policy(
        document,
        policy_type=PolicyType.KEY,
        name=f"default key policy ({account})",
        source="cksmodel:cks/default-key-policy",
    )
