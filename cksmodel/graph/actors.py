"""Who can act in an account: the nodes of the reachability graph.

An :class:`Actor` is something that sends requests: an IAM user or role of the
bundle, a principal outside it that a trust policy, key policy or grant names (a
role, user or session of another account, a whole account, a service, an
identity provider, anyone), or a bundle principal in a
*modified* state that someone can bring about (its identity policies
rewritten, a group joined, a key policy replaced, a grant created). Modified
actors keep the credentials of their base principal, so reaching one means
holding that principal's credentials with the change in force.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cksmodel.account.model import Account, IamPrincipal, Key, OrgContext
from cksmodel.account.outside import Named, named_principals
from cksmodel.policy.ir import Grant, Policy, PolicyType, one_statement

__all__ = [
    "ALL_ACCESS",
    "CHANGED",
    "Actor",
    "external_actors",
    "outside_actor",
    "principal_actor",
    "takeover_policy",
    "trusting_policy",
]

ALL_ACCESS = one_statement(
    "any identity-based policy (written by the escalation)", PolicyType.IDENTITY, ["*"]
)
"""What a principal whose identity policies an attacker controls is given."""

CHANGED = "changed"
"""The change of a member principal of another account changed in its own account (its
policies rewritten, a group joined, ...): decided as allowed anything there."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """A node of the graph that can send requests."""

    id: str
    kind: str
    """``user``, ``role``, ``session`` (a role session of another account),
    ``federated-user``, ``account``, ``service``, ``federated``, ``anonymous`` or
    ``modified``."""
    label: str
    arn: str = ""
    account: str = ""
    principal: IamPrincipal | None = None
    """For bundle principals (and modified ones): whose credentials, with which
    policies in force."""
    external: str = ""
    """For outsiders: the account id, service name or identity provider."""
    excludes: tuple[str, ...] = ()
    """For a whole account: the ARNs of its principals that are nodes of their own (the
    account's node stands for every other principal of it)."""
    base: str = ""
    """The ARN of the bundle principal whose credentials the actor holds."""
    changes: tuple[str, ...] = ()
    """For modified actors: what was changed: ``rewritten``, ``group:NAME``, ``key:ID``
    (the key's policy replaced, or a grant on it created, by the actor)."""
    key_policies: tuple[tuple[str, Policy], ...] = ()
    """Key policies replaced by the actor (key ARN, new policy)."""
    grants: tuple[Grant, ...] = ()
    """Grants the actor created for itself."""
    origin: str = ""
    """For a modified principal of another account: its own kind (``role``, ``account``,
    ...), which says who sends its requests."""

    @property
    def internal(self) -> bool:
        return self.principal is not None

    @property
    def caller_kind(self) -> str:
        """The kind that says who sends the actor's requests (a modified outsider's own)."""
        return self.origin or self.kind

    @property
    def identity_arn(self) -> str:
        """The ARN a policy or grant names to give the actor access."""
        return self.principal.arn if self.principal is not None else self.arn

    @property
    def aws_internal(self) -> bool:
        """A service principal or a service-linked role: AWS acting on its own behalf."""
        return self.kind == "service" or bool(self.principal and self.principal.service_linked)

    def key_policy(self, key: Key) -> Policy:
        return next((p for arn, p in self.key_policies if arn == key.arn), key.policy)

    def key_grants(self, key: Key) -> tuple[Grant, ...]:
        return key.grants + tuple(g for g in self.grants if g.key_id == key.key_id)

    def modified(
        self,
        change: str,
        *,
        policies: tuple[Policy, ...] | None = None,
        drop_boundary: bool = False,
        key_policies: tuple[tuple[str, Policy], ...] = (),
        grants: tuple[Grant, ...] = (),
    ) -> Actor:
        """This actor with one more change in force; a principal of another account can
        only change what is not its own (key policies, grants)."""
        principal = self.principal
        if principal is None:
            assert policies is None and not drop_boundary
            base, short = self.id.partition("#")[0], self.label
        else:
            base, short = self.base, _short(self.base)
            if policies is not None:
                principal = replace(principal, policies=policies)
            if drop_boundary:
                principal = replace(principal, boundary=None)
        changes = tuple(sorted({*self.changes, change}))
        return replace(
            self,
            id=f"{base}#{'+'.join(changes)}",
            kind="modified",
            origin=self.caller_kind,
            label=f"{short} ({', '.join(changes)})",
            principal=principal,
            changes=changes,
            key_policies=self.key_policies + key_policies,
            grants=self.grants + grants,
        )


def _short(arn: str) -> str:
    """``role/NAME`` or ``user/NAME`` for a bundle principal ARN."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    return f"{kind}/{rest.rpartition('/')[2]}"


def principal_actor(p: IamPrincipal) -> Actor:
    return Actor(
        id=p.arn,
        kind=p.kind,
        label=_short(p.arn),
        arn=p.arn,
        account=p.account,
        principal=p,
        base=p.arn,
    )


def takeover_policy(actor: Actor, key: Key) -> Policy:
    """The key policy someone allowed to call ``kms:PutKeyPolicy`` would write."""
    name = f"key/{key.key_id}/key-policy (replaced by {actor.label})"
    return one_statement(name, PolicyType.KEY, ["kms:*"], principal=actor.identity_arn)


def trusting_policy(actor: Actor, role: IamPrincipal) -> Policy:
    """The trust policy someone allowed to call ``iam:UpdateAssumeRolePolicy`` would write."""
    assert actor.principal is not None
    name = f"role/{role.name}/trust (replaced by {actor.label})"
    return one_statement(
        name, PolicyType.TRUST, ["sts:AssumeRole"], principal=actor.principal.arn, resources=None
    )


def outside_actor(named: Named, excludes: tuple[str, ...] = ()) -> Actor:
    """The node of a principal outside the bundle (see :mod:`cksmodel.account.outside`)."""
    if named.kind == "anonymous":
        return Actor(id="anonymous", kind="anonymous", label="anyone (*)")
    if named.kind == "service":
        return Actor(
            id=f"service:{named.value}", kind="service", label=named.value, external=named.value
        )
    if named.kind == "federated":
        value = named.value
        return Actor(
            id=f"federated:{value}",
            kind="federated",
            label=value.rpartition("/")[2] or value,
            arn=value if value.startswith("arn:") else "",
            external=value,
        )
    if named.kind == "account":
        return Actor(
            id=named.value,
            kind="account",
            label=f"account {named.account}",
            arn=named.value,
            account=named.account,
            external=named.account,
            excludes=excludes,
        )
    resource = named.value.split(":", 5)[-1]
    head, _, rest = resource.partition("/")
    short = f"{head}/{rest.rpartition('/')[2]}" if head in ("user", "role") else resource
    return Actor(
        id=named.value,
        kind=named.kind,
        label=f"{short} (account {named.account})",
        arn=named.value,
        account=named.account,
        external=named.account,
    )


def external_actors(account: Account) -> list[Actor]:
    """Principals outside the bundle that a trust policy, key policy or grant names, sorted
    by id: each exact principal of another account is a node of its own; a whole account
    (``arn:aws:iam::X:root``) is one only when a policy names the account, and stands for
    its principals that are not nodes of their own."""
    named = named_principals(account)
    org = account.org
    if org is not None:
        named = _members_in_full(named, org)
    exact: dict[str, list[str]] = {}
    for n in named:
        if n.account and n.kind != "account":
            exact.setdefault(n.account, []).append(n.value)
    actors = [outside_actor(n, tuple(exact.get(n.account, ()))) for n in named]
    if org is not None:
        actors += [_changed(a) for a in actors if a.kind in ("role", "user") and org.peer(a.arn)]
    return sorted(actors, key=lambda a: a.id)


def _members_in_full(named: list[Named], org: OrgContext) -> list[Named]:
    """In an organization: a member principal under the ARN its own bundle gives it, and
    every principal of a member account named as a whole (the account's node then
    stands for its root user alone)."""
    out: list[Named] = []
    seen: set[str] = set()
    for n in named:
        peer = org.peer(n.value) if n.kind in ("role", "user") else None
        if peer is not None:
            n = Named(kind=n.kind, value=peer.principal.arn, account=n.account)
        if n.value not in seen:
            seen.add(n.value)
            out.append(n)
    for n in list(out):
        view = org.members.get(n.account) if n.kind == "account" else None
        for arn in view.principals if view is not None else ():
            if arn not in seen:
                seen.add(arn)
                kind = arn.split(":", 5)[-1].partition("/")[0]
                out.append(Named(kind=kind, value=arn, account=n.account))
    return out


def _changed(actor: Actor) -> Actor:
    """The member principal after a change in its own account: stands for each modified
    state its account's graph may reach (allowed anything there, its SCPs kept)."""
    return replace(
        actor,
        id=f"{actor.id}#{CHANGED}",
        kind="modified",
        origin=actor.kind,
        label=f"{actor.label}, changed in its account",
        changes=(CHANGED,),
    )
