"""What a Terraform plan or a CloudFormation template says about an account, with locations.

The readers (:mod:`cksmodel.infra.terraform`, :mod:`cksmodel.infra.cloudformation`) build one
:class:`Infrastructure`: every policy document found (:class:`PolicyDocument`, the unit the
``validate`` and ``check-*`` commands report on) and the account-level facts the documents
belong to (roles with their trust and permissions, users, groups, memberships, KMS keys with
their key policies, grants, custom key stores, CloudHSM clusters, SCPs and RCPs with their
targets), each with the :class:`Locus` it was read from. A value the input does not fix (known
only after apply, marked sensitive, or a reference the reader cannot resolve) is an
:class:`Unknown` and each is listed in :attr:`Infrastructure.approximations`; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cksmodel.errors import InputError
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.parse import build_policy, policy_from_text
from cksmodel.source import Span

__all__ = [
    "DEFAULT_REGION",
    "PLACEHOLDER_ACCOUNT",
    "Approximation",
    "Attachment",
    "HsmCluster",
    "IamGroup",
    "IamRole",
    "IamUser",
    "InfraError",
    "Infrastructure",
    "InstanceProfile",
    "KeyStore",
    "KmsGrant",
    "KmsKey",
    "Locus",
    "ManagedPolicy",
    "Membership",
    "OrgPolicy",
    "PolicyDocument",
    "ReadOptions",
    "Removed",
    "Unknown",
    "partition_of",
]


class InfraError(InputError):
    """A plan or template cannot be read; the span names the file, line and column."""

    code = "E_INFRA"


@dataclass(frozen=True, kw_only=True, slots=True)
class Locus:
    """Where a fact was read: the file, the resource (Terraform address such as
    ``module.x.aws_iam_role.y[0]``, or a CloudFormation logical id) and the position."""

    source: str
    address: str
    span: Span

    def __str__(self) -> str:
        return f"{self.span} {self.address}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "address": self.address,
            "line": self.span.line,
            "column": self.span.column,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Unknown:
    """A value the input does not fix: never guessed, always listed as an approximation.

    ``reason`` is ``known after apply``, ``sensitive`` or ``unresolved`` (a reference the
    reader cannot follow); ``references`` are the resources the configuration says the
    value comes from (``aws_kms_key.store_key`` for a ``key_id`` known after apply).
    """

    address: str
    attribute: str
    reason: str
    references: tuple[str, ...] = ()

    def __str__(self) -> str:
        via = f" (from {', '.join(self.references)})" if self.references else ""
        return f"<{self.reason}: {self.address}.{self.attribute}{via}>"


Text = str | Unknown
"""A string-valued fact: the value, or what stands for it."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Approximation:
    """One place where the model stands in for a value the input does not give."""

    location: Locus
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {**self.location.to_json(), "message": self.message}


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyDocument:
    """One policy found in the input: what it is, what holds it, where it is.

    ``document`` is positioned JSON (a CloudFormation template's values, positions in the
    template) or JSON text (a Terraform plan's attribute, positioned inside that string);
    ``None`` when the value is unknown (then ``unknown`` says why). ``approximations`` are
    the placeholders standing in the document for values the input does not fix: a result
    about the document rests on them. ``public_type`` is the resource type
    ``check-no-public-access`` knows it by (``AWS::KMS::Key``), if any.
    """

    resource: str
    resource_type: str
    name: str
    policy_type: PolicyType
    location: Locus
    document: Any = None
    unknown: Unknown | None = None
    approximations: tuple[Approximation, ...] = ()
    public_type: str | None = None
    targets: tuple[Text, ...] = ()
    """What a policy held by a resource of its own applies to: the key of a key-policy
    resource, the bucket, queues, topics, secret or function of a resource policy."""

    @property
    def label(self) -> str:
        """The source name positions inside the document refer to."""
        if isinstance(self.document, str):
            return f"{self.location.span} {self.resource}.{self.name} (embedded document)"
        return self.location.source

    def load(self) -> Policy | None:
        """The document's IR (``None`` when unknown); raises ``PolicyError`` if malformed."""
        if self.document is None:
            return None
        name = f"{self.resource}.{self.name}"
        if isinstance(self.document, str):
            return policy_from_text(
                self.document, policy_type=self.policy_type, name=name, source=self.label
            )
        return build_policy(
            self.document, policy_type=self.policy_type, name=name, source=self.label
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class IamRole:
    name: Text
    arn: Text
    location: Locus
    path: str = "/"
    trust: PolicyDocument | None = None
    inline: tuple[PolicyDocument, ...] = ()
    managed: tuple[Text, ...] = ()
    """ARNs of the managed policies the role's own resource lists (attachments are apart)."""
    boundary: Text | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class IamUser:
    name: Text
    arn: Text
    location: Locus
    path: str = "/"
    inline: tuple[PolicyDocument, ...] = ()
    managed: tuple[Text, ...] = ()
    groups: tuple[Text, ...] = ()
    boundary: Text | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class IamGroup:
    name: Text
    arn: Text
    location: Locus
    path: str = "/"
    inline: tuple[PolicyDocument, ...] = ()
    managed: tuple[Text, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class InstanceProfile:
    name: Text
    roles: tuple[Text, ...]
    location: Locus


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedPolicy:
    """A customer managed policy created by the input."""

    name: Text
    arn: Text
    document: PolicyDocument
    location: Locus
    path: str | None = None
    """The policy's path when the input fixes it (its ARN is then known from path and name)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Attachment:
    """A managed policy attached to a role, user or group by a resource of its own; also an
    inline policy given as a resource apart from its holder (``document`` set then)."""

    policy: Text
    target_kind: Literal["role", "user", "group"]
    target: Text
    location: Locus
    document: PolicyDocument | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Membership:
    user: Text
    group: Text
    location: Locus


@dataclass(frozen=True, kw_only=True, slots=True)
class KmsKey:
    """A KMS key; ``policy`` ``None`` means the default key policy (or one set apart by a
    key-policy resource, found in :attr:`Infrastructure.policies` with the key's address)."""

    key_id: Text
    arn: Text
    location: Locus
    policy: PolicyDocument | None = None
    custom_key_store_id: Text | None = None
    origin: str = "AWS_KMS"
    key_spec: str = "SYMMETRIC_DEFAULT"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class KmsGrant:
    key_id: Text
    grantee: Text
    operations: tuple[str, ...]
    location: Locus
    name: str | None = None
    retiring_principal: Text | None = None
    encryption_context_equals: tuple[tuple[str, str], ...] | None = None
    encryption_context_subset: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyStore:
    name: Text
    store_id: Text
    location: Locus
    cluster_id: Text | None = None
    store_type: str = "AWS_CLOUDHSM"


@dataclass(frozen=True, kw_only=True, slots=True)
class HsmCluster:
    cluster_id: Text
    location: Locus
    hsm_type: str | None = None
    subnets: tuple[Text, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgPolicy:
    """A service control policy or resource control policy and the targets it is attached to
    (account ids, OU ids or the root id)."""

    name: Text
    policy_id: Text
    kind: Literal["SCP", "RCP"]
    document: PolicyDocument
    location: Locus
    targets: tuple[Text, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Removed:
    """A resource the plan destroys, with the string attributes it had before (its name, id,
    ARN, the role or target it was attached to): what names the part of the account that goes."""

    location: Locus
    resource_type: str
    before: tuple[tuple[str, str], ...] = ()

    def value(self, attribute: str) -> str | None:
        return next((v for k, v in self.before if k == attribute), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class Infrastructure:
    """Everything one plan or template says, in input order."""

    source: str
    kind: Literal["terraform", "cloudformation"]
    account_id: str
    region: str
    partition: str
    policies: tuple[PolicyDocument, ...] = ()
    roles: tuple[IamRole, ...] = ()
    users: tuple[IamUser, ...] = ()
    groups: tuple[IamGroup, ...] = ()
    instance_profiles: tuple[InstanceProfile, ...] = ()
    managed_policies: tuple[ManagedPolicy, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    memberships: tuple[Membership, ...] = ()
    keys: tuple[KmsKey, ...] = ()
    grants: tuple[KmsGrant, ...] = ()
    stores: tuple[KeyStore, ...] = ()
    clusters: tuple[HsmCluster, ...] = ()
    org_policies: tuple[OrgPolicy, ...] = ()
    removed: tuple[Locus, ...] = ()
    """Resources the plan destroys (Terraform ``delete`` without ``create``): after apply
    they are gone from the account."""
    removed_resources: tuple[Removed, ...] = ()
    """The same resources with what they were (``removed`` in the same order)."""
    approximations: tuple[Approximation, ...] = field(default=())
    """Every value stood in for, the policies' own and the facts' (in input order)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ReadOptions:
    """What the command line adds to a plan or template: parameter values and the pseudo
    parameters (``None``: the reader's default, listed as an approximation)."""

    parameters: tuple[tuple[str, str], ...] = ()
    account_id: str | None = None
    region: str | None = None
    partition: str | None = None


PLACEHOLDER_ACCOUNT = "123456789012"
"""The account id assumed when none is given: AWS's documentation placeholder."""

DEFAULT_REGION = "us-east-1"


def partition_of(region: str) -> str:
    """The partition a Region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
