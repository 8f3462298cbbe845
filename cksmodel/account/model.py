"""The account model: what an account bundle says about one account.

:class:`Account` and the users, roles, groups, keys, custom key stores and
CloudHSM clusters it holds, as :func:`cksmodel.account.bundle.load_bundle`
builds them from the AWS CLI output; and :class:`BundleError`, raised both for
a bundle that cannot be read and for an ambiguous lookup in the model. Kept
apart from the readers so that the graph, the prover and the notebooks depend
on the model only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cksmodel.concrete.request import SERVICE_LINKED_ROLE_PATH, Principal, parse_principal
from cksmodel.errors import InputError
from cksmodel.policy.ir import Grant, Policy, PolicySet
from cksmodel.policy.patterns import ContextValue

__all__ = [
    "Account",
    "BundleError",
    "Cluster",
    "ComputeResource",
    "CustomKeyStore",
    "Group",
    "IamPrincipal",
    "Key",
    "MemberView",
    "OrgContext",
    "Peer",
]


class BundleError(InputError):
    """An account bundle cannot be used; the span names the file, line and column."""

    code = "E_BUNDLE"


@dataclass(frozen=True, kw_only=True, slots=True)
class IamPrincipal:
    """An IAM user or role of the account, with every policy that applies to it.

    ``policies`` are the identity policies in force: inline policies and the
    default versions of attached managed policies, and for users also those of
    their groups, in that order without duplicates.
    """

    kind: Literal["user", "role"]
    arn: str
    name: str
    path: str
    account: str
    unique_id: str | None = None
    policies: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    trust_policy: Policy | None = None
    groups: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict, hash=False)
    attached: tuple[str, ...] = ()
    """ARNs of the managed policies attached to the principal itself (not via a group)."""
    instance_profiles: tuple[str, ...] = ()
    """ARNs of the instance profiles holding the role (EC2 can run as it only through one)."""

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1]

    @property
    def service_linked(self) -> bool:
        """A service-linked role (path under ``/aws-service-role/``)."""
        return self.kind == "role" and self.path.startswith(SERVICE_LINKED_ROLE_PATH)

    def session_arn(self, session_name: str = "session") -> str:
        """The ARN of a session of this role (``arn:aws:sts::ACCOUNT:assumed-role/NAME/S``)."""
        if self.kind != "role":
            raise ValueError(f"{self.arn} is a user; only roles have sessions")
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.name}/{session_name}"

    def caller_arn(self, session_name: str = "session") -> str:
        """The ARN that calls AWS: the user's own ARN, or a session of the role."""
        return self.arn if self.kind == "user" else self.session_arn(session_name)

    def request_principal(self, session_name: str = "session") -> Principal:
        """The caller as :class:`cksmodel.concrete.request.Principal`, role path included."""
        if self.kind == "user":
            return parse_principal(self.arn)
        return parse_principal(self.session_arn(session_name), role_arn=self.arn)


@dataclass(frozen=True, kw_only=True, slots=True)
class Group:
    """An IAM group: its members get ``policies`` (inline, then attached managed)."""

    name: str
    arn: str
    policies: tuple[Policy, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Key:
    """A KMS key, its key policy and its grants."""

    key_id: str
    arn: str
    account: str
    region: str
    policy: Policy
    grants: tuple[Grant, ...] = ()
    custom_key_store_id: str | None = None
    origin: str = "AWS_KMS"
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_state: str = "Enabled"
    key_manager: str = "CUSTOMER"

    @property
    def in_custom_key_store(self) -> bool:
        return self.custom_key_store_id is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class CustomKeyStore:
    """A custom key store as ``aws kms describe-custom-key-stores`` describes it."""

    id: str
    name: str
    state: str
    cluster_id: str | None = None
    store_type: str = "AWS_CLOUDHSM"
    connection_error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Cluster:
    """A CloudHSM cluster; ``hsms`` are (availability zone, state) pairs."""

    id: str
    state: str
    hsms: tuple[tuple[str, str], ...] = ()

    @property
    def active_zones(self) -> tuple[str, ...]:
        """The availability zones holding at least one ACTIVE HSM, sorted."""
        return tuple(sorted({zone for zone, state in self.hsms if state == "ACTIVE"}))


@dataclass(frozen=True, kw_only=True, slots=True)
class ComputeResource:
    """Compute that runs as a role of the account (a Lambda function, an EC2 instance, an
    ECS service, a CloudFormation stack, a Glue development endpoint), as its AWS CLI
    output describes it; whoever can change what it runs acts as ``role``."""

    kind: Literal["lambda", "ec2", "ecs", "cloudformation", "glue"]
    arn: str
    name: str
    role: str
    """The ARN of the role it runs as (for ECS, the task role; for EC2, the role of its
    instance profile)."""
    source: str
    line: int
    column: int
    """Where the bundle names the role."""
    state: str = ""
    """``stopped``, ``running``, … for EC2 instances."""
    platform: str = ""
    """``windows`` for Windows instances; ``Image`` for container-image functions."""
    family: str = ""
    """For ECS services: the family of the task definition in use."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Peer:
    """A principal of another member account of the organization, as its own bundle
    describes it: what decides its side of a cross-account request."""

    principal: IamPrincipal
    scps: tuple[tuple[Policy, ...], ...] = ()
    """The SCP levels of its account (root, each OU, the account)."""
    context: dict[str, ContextValue] = field(default_factory=dict, hash=False)
    """What its bundle knows of it as a caller (organization id, principal tags)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberView:
    """What an account sees of another member account of its organization."""

    account_id: str
    scps: tuple[tuple[Policy, ...], ...] = ()
    principals: tuple[str, ...] = ()
    """The ARNs of every user and role of the account (their identity policies are in
    :attr:`OrgContext.peers` when a policy of this account names the member as a whole)."""
    has_bundle: bool = True
    holds_stores: bool = False
    """Its bundle lists a custom key store."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgContext:
    """The organization around one account: its member accounts, and the principals of
    other members that this account's policies name, with their own policies."""

    organization_id: str
    management_account: str | None
    members: dict[str, MemberView] = field(default_factory=dict, hash=False)
    peers: dict[str, Peer] = field(default_factory=dict, hash=False)
    """By principal ARN (as its bundle writes it)."""

    def peer(self, arn: str) -> Peer | None:
        """The member principal an ARN names (any case of the name, any path), if any."""
        found = self.peers.get(arn)
        if found is not None:
            return found
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[4] not in self.members:
            return None
        kind, _, rest = parts[5].partition("/")
        name = rest.rpartition("/")[2].casefold()
        return next(
            (
                p
                for p in self.peers.values()
                if p.principal.account == parts[4]
                and p.principal.kind == kind
                and p.principal.name.casefold() == name
            ),
            None,
        )

    def member(self, account_id: str) -> bool:
        return account_id in self.members


@dataclass(frozen=True, kw_only=True, slots=True)
class Account:
    """Everything a bundle says about one account."""

    account_id: str
    partition: str = "aws"
    organization_id: str | None = None
    management_account: str | None = None
    regions: tuple[str, ...] = ()
    principals: tuple[IamPrincipal, ...] = ()
    groups: tuple[Group, ...] = ()
    managed_policies: dict[str, Policy] = field(default_factory=dict, hash=False)
    stored_versions: dict[str, tuple[tuple[str, Policy], ...]] = field(
        default_factory=dict, hash=False
    )
    """Non-default versions of each managed policy (version id, document), by policy ARN:
    what ``iam:SetDefaultPolicyVersion`` can put in force."""
    keys: tuple[Key, ...] = ()
    keys_known: bool = True
    """False when the bundle has no ``kms/keys/``: ``keys`` is then empty but not known to be."""
    stores: tuple[CustomKeyStore, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    compute: tuple[ComputeResource, ...] = ()
    compute_known: frozenset[str] = frozenset()
    """The kinds of compute the bundle lists (``lambda``, ``ec2``, …): for the others,
    taking over existing compute is not analysed."""
    warnings: tuple[str, ...] = ()
    root: Path = Path(".")
    org: OrgContext | None = None
    """The organization around the account when it is analysed as a member of one."""

    def principal(self, arn_or_name: str) -> IamPrincipal | None:
        """A user or role by ARN, role-session ARN, ``user/NAME``, ``role/NAME`` or name.

        Names compare case-insensitively, as IAM keeps them unique. A bare name
        held by both a user and a role raises :class:`BundleError`.
        """
        text = arn_or_name.strip()
        kind: str | None = None
        name = text
        if text.startswith("arn:"):
            exact = [p for p in self.principals if p.arn == text]
            if exact:
                return exact[0]
            parts = text.split(":", 5)
            if len(parts) != 6 or parts[4] != self.account_id:
                return None
            head, _, rest = parts[5].partition("/")
            if head == "assumed-role":
                kind, name = "role", rest.partition("/")[0]
            elif head in ("user", "role"):
                kind, name = head, rest.rpartition("/")[2]
            else:
                return None
        elif text.startswith(("user/", "role/")):
            kind, _, rest = text.partition("/")
            name = rest.rpartition("/")[2]
        folded = name.casefold()
        found = [
            p
            for p in self.principals
            if p.name.casefold() == folded and (kind is None or p.kind == kind)
        ]
        if len(found) > 1:
            raise BundleError(
                f"{arn_or_name!r} names both a user and a role; write user/{name} or role/{name}",
                code="E_AMBIGUOUS",
            )
        return found[0] if found else None

    def group(self, name: str) -> Group | None:
        """A group by name (case-insensitively, as IAM keeps names unique) or ARN."""
        folded = name.strip().casefold()
        return next(
            (g for g in self.groups if folded in (g.name.casefold(), g.arn.casefold())), None
        )

    def key(self, key_id_or_arn: str) -> Key | None:
        """A key by key id or key ARN."""
        folded = key_id_or_arn.strip().casefold()
        for key in self.keys:
            if folded in (key.key_id.casefold(), key.arn.casefold()):
                return key
        return None

    def store(self, store_id: str) -> CustomKeyStore | None:
        return next((s for s in self.stores if s.id == store_id), None)

    def cluster(self, cluster_id: str) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)

    def keys_in_store(self, store_id: str) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k.custom_key_store_id == store_id)

    def policy_set(
        self,
        principal: IamPrincipal,
        *,
        resource_policy: Policy | None = None,
        grants: Iterable[Grant] = (),
        session_policy: Policy | None = None,
    ) -> PolicySet:
        """The policies deciding a request by ``principal`` (or a session of it).

        Identity policies and boundary come from the principal, SCP and RCP
        levels and the management account from the bundle; the resource's own
        policy (a key policy, a trust policy) and grants are the caller's to add,
        e.g. ``account.policy_set(p, resource_policy=key.policy, grants=key.grants)``.
        """
        return PolicySet(
            identity=principal.policies,
            boundary=principal.boundary,
            session=session_policy,
            resource=resource_policy,
            scps=self.scps,
            rcps=self.rcps,
            grants=tuple(grants),
            management_account=self.management_account,
        )

    def context(self, principal: IamPrincipal) -> dict[str, ContextValue]:
        """Context keys the bundle knows for a caller (lower-case names).

        ``aws:PrincipalOrgID`` when the account is in an organization, and
        ``aws:PrincipalTag/KEY`` for each tag of the principal.
        """
        out: dict[str, ContextValue] = {}
        if self.organization_id is not None and principal.account == self.account_id:
            out["aws:principalorgid"] = self.organization_id
        for tag, value in principal.tags.items():
            out[f"aws:principaltag/{tag}".lower()] = value
        return out
