"""Who can act in an account: the nodes of the reachability graph.

An :class:`Actor` is something that sends requests: an IAM user or role of the
bundle, a principal outside it that a trust or key policy names (another
account, a service, an identity provider, anyone), or a bundle principal in a
*modified* state that someone can bring about (its identity policies
rewritten, a group joined, a key policy replaced, a grant created). Modified
actors keep the credentials of their base principal, so reaching one means
holding that principal's credentials with the change in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.concrete.evaluate import principal_identity
from cksmodel.policy.ir import Effect, Grant, Policy, PolicyType, one_statement

__all__ = [
    "ALL_ACCESS",
    "Actor",
    "external_actors",
    "principal_actor",
    "takeover_policy",
    "trusting_policy",
]

ALL_ACCESS = one_statement(
    "any identity-based policy (written by the escalation)", PolicyType.IDENTITY, ["*"]
)
"""What a principal whose identity policies an attacker controls is given."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """A node of the graph that can send requests."""

    id: str
    kind: str
    """``user``, ``role``, ``account``, ``service``, ``federated``, ``anonymous`` or
    ``modified``."""
    label: str
    arn: str = ""
    account: str = ""
    principal: IamPrincipal | None = None
    """For bundle principals (and modified ones): whose credentials, with which
    policies in force."""
    external: str = ""
    """For outsiders: the account id, service name or identity provider."""
    base: str = ""
    """The ARN of the bundle principal whose credentials the actor holds."""
    changes: tuple[str, ...] = ()
    """For modified actors: what was changed: ``rewritten``, ``group:NAME``, ``key:ID``
    (the key's policy replaced, or a grant on it created, by the actor)."""
    key_policies: tuple[tuple[str, Policy], ...] = ()
    """Key policies replaced by the actor (key ARN, new policy)."""
    grants: tuple[Grant, ...] = ()
    """Grants the actor created for itself."""

    @property
    def internal(self) -> bool:
        return self.principal is not None

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
        """This actor with one more change in force."""
        assert self.principal is not None
        principal = self.principal
        if policies is not None:
            principal = replace(principal, policies=policies)
        if drop_boundary:
            principal = replace(principal, boundary=None)
        changes = tuple(sorted({*self.changes, change}))
        return replace(
            self,
            id=f"{self.base}#{'+'.join(changes)}",
            kind="modified",
            label=f"{_short(self.base)} ({', '.join(changes)})",
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
    assert actor.principal is not None
    name = f"key/{key.key_id}/key-policy (replaced by {actor.label})"
    return one_statement(name, PolicyType.KEY, ["kms:*"], principal=actor.principal.arn)


def trusting_policy(actor: Actor, role: IamPrincipal) -> Policy:
    """The trust policy someone allowed to call ``iam:UpdateAssumeRolePolicy`` would write."""
    assert actor.principal is not None
    name = f"role/{role.name}/trust (replaced by {actor.label})"
    return one_statement(
        name, PolicyType.TRUST, ["sts:AssumeRole"], principal=actor.principal.arn, resources=None
    )


def _named(policies: Iterable[Policy]) -> Iterator[tuple[str, str]]:
    """(kind, value) of every principal an Allow statement names."""
    for policy in policies:
        for stmt in policy.statements:
            if stmt.effect is not Effect.ALLOW or stmt.principal is None:
                continue
            pset = stmt.principal
            if pset.wildcard:
                yield "anonymous", "*"
            for v in pset.aws:
                yield "aws", v.text
            for v in pset.service:
                yield "service", v.text.lower()
            for v in pset.federated:
                yield "federated", v.text


def external_actors(account: Account) -> list[Actor]:
    """Principals outside the bundle that a trust or key policy names, sorted by id."""
    policies = [p.trust_policy for p in account.principals if p.trust_policy is not None]
    policies += [k.policy for k in account.keys]
    found: dict[str, Actor] = {}
    for kind, value in _named(policies):
        if kind == "anonymous" or value == "*":
            found["anonymous"] = Actor(id="anonymous", kind="anonymous", label="anyone (*)")
        elif kind == "service":
            found.setdefault(
                f"service:{value}",
                Actor(id=f"service:{value}", kind="service", label=value, external=value),
            )
        elif kind == "federated":
            found.setdefault(
                f"federated:{value}",
                Actor(
                    id=f"federated:{value}",
                    kind="federated",
                    label=value.rpartition("/")[2] or value,
                    arn=value if value.startswith("arn:") else "",
                    external=value,
                ),
            )
        else:
            identity = principal_identity(value)
            if identity is None or len(identity) < 2 or identity[1] == account.account_id:
                continue
            other = identity[1]
            root = f"arn:{account.partition}:iam::{other}:root"
            found.setdefault(
                root,
                Actor(
                    id=root,
                    kind="account",
                    label=f"account {other}",
                    arn=root,
                    account=other,
                    external=other,
                ),
            )
    return [found[k] for k in sorted(found)]
