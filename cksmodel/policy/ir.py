"""The immutable intermediate representation of policies.

Every node keeps the span of the JSON text it came from (``None`` when the
policy was given as Python objects). Patterns are kept as text; matching and
variable substitution live in :mod:`cksmodel.policy.patterns`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cksmodel.source import Span


class PolicyType(StrEnum):
    """Where a policy is attached; decides placement rules and evaluation role."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    KEY = "key"
    SCP = "scp"
    RCP = "rcp"
    BOUNDARY = "boundary"
    SESSION = "session"
    ENDPOINT = "endpoint"


class PolicyKind(StrEnum):
    """Where an identity policy or boundary is kept, which decides its size quota."""

    CUSTOMER_MANAGED = "customer-managed"
    AWS_MANAGED = "aws-managed"
    INLINE_USER = "inline-user"
    INLINE_GROUP = "inline-group"
    INLINE_ROLE = "inline-role"

    def fits(self, policy_type: PolicyType) -> bool:
        """Whether a policy of this kind can have that type (a boundary is always managed)."""
        if policy_type is PolicyType.BOUNDARY:
            return self in (PolicyKind.CUSTOMER_MANAGED, PolicyKind.AWS_MANAGED)
        return policy_type is PolicyType.IDENTITY


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class Qualifier(StrEnum):
    """Set operator prefix of a condition operator."""

    NONE = ""
    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


@dataclass(frozen=True, kw_only=True, slots=True)
class Value:
    """A scalar taken from a policy, with where it was written."""

    text: str
    span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalSet:
    """The contents of a Principal or NotPrincipal element."""

    wildcard: bool = False
    aws: tuple[Value, ...] = ()
    service: tuple[Value, ...] = ()
    federated: tuple[Value, ...] = ()
    canonical_user: tuple[Value, ...] = ()
    span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """One (operator, key) entry of a Condition block; values are ORed."""

    operator: str
    base: str
    qualifier: Qualifier
    if_exists: bool
    key: str
    values: tuple[Value, ...]
    span: Span | None = None

    @property
    def key_lower(self) -> str:
        return self.key.lower()


@dataclass(frozen=True, kw_only=True, slots=True)
class Statement:
    """One statement; exactly one of each Principal/Action/Resource pair is set."""

    index: int
    sid: str | None
    effect: Effect
    principal: PrincipalSet | None = None
    not_principal: PrincipalSet | None = None
    actions: tuple[Value, ...] = ()
    not_actions: tuple[Value, ...] | None = None
    resources: tuple[Value, ...] | None = None
    not_resources: tuple[Value, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    span: Span | None = None

    @property
    def action_patterns(self) -> tuple[Value, ...]:
        return self.not_actions if self.not_actions is not None else self.actions


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    """A parsed policy document of a given type."""

    name: str
    policy_type: PolicyType
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    span: Span | None = None

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17."""
        return self.version == VERSION_2012


GRANT_OPERATIONS = (
    "CreateGrant",
    "Decrypt",
    "DeriveSharedSecret",
    "DescribeKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GetPublicKey",
    "ReEncryptFrom",
    "ReEncryptTo",
    "RetireGrant",
    "Sign",
    "Verify",
    "VerifyMac",
)
"""Operations a KMS grant can allow (AWS KMS "Grant operations")."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """A KMS grant, as ``aws kms list-grants`` describes it."""

    index: int
    key_id: str
    grantee: str
    operations: tuple[str, ...]
    grant_id: str | None = None
    name: str | None = None
    retiring_principal: str | None = None
    encryption_context_equals: tuple[tuple[str, str], ...] | None = None
    encryption_context_subset: tuple[tuple[str, str], ...] | None = None
    span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicySet:
    """Every policy that can take part in deciding one request.

    ``resource`` is the resource's own policy: a key policy for KMS keys, a
    trust policy for roles being assumed, otherwise a resource-based policy.
    SCP and RCP levels run from the organization root to the account.
    """

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session: Policy | None = None
    resource: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    endpoints: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()
    management_account: str | None = None
    protections: tuple[Policy, ...] = ()
    """AWS-side protections (e.g. service-linked roles cannot be edited): Deny-only
    documents that apply to every caller, the account root included."""


def one_statement(
    name: str,
    policy_type: PolicyType,
    actions: Sequence[str],
    *,
    principal: str | None = None,
    resources: Sequence[str] | None = ("*",),
) -> Policy:
    """A policy of one Allow statement, for policies the model writes itself (question
    scopes, what an escalation would write); ``resources=None`` leaves Resource out."""
    return Policy(
        name=name,
        policy_type=policy_type,
        version=VERSION_2012,
        id=None,
        statements=(
            Statement(
                index=0,
                sid=None,
                effect=Effect.ALLOW,
                principal=PrincipalSet(aws=(Value(text=principal),)) if principal else None,
                actions=tuple(Value(text=a) for a in actions),
                resources=None if resources is None else tuple(Value(text=r) for r in resources),
            ),
        ),
    )
