"""Principals outside the bundle that its policies name.

A trust policy, a key policy or a grant may name an exact principal of another
account (a role, a user, a role session, a federated user), a whole account
(``arn:aws:iam::X:root`` or ``"X"``), a service, an identity provider or
anyone. The graph makes each of them a node and the spec language quantifies
over the exact IAM ones; both read them from :func:`named_principals`.

The identity policies of a principal of another account are not in the bundle:
questions about one take them to allow whatever is asked ("allowed if its own
account allows it"), so answers about it say what it needs on its side.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cksmodel.account.model import Account, IamPrincipal
from cksmodel.concrete.evaluate import principal_identity
from cksmodel.policy.ir import Effect, Policy
from cksmodel.policy.patterns import split_arn

__all__ = [
    "Named",
    "named_principals",
    "outside_iam_principals",
    "outside_named",
    "outside_principal",
    "same_identity",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Named:
    """One principal an Allow statement or grant names, outside the bundle."""

    kind: str
    """``role``, ``user``, ``session`` (a role session), ``federated-user``, ``account``,
    ``service``, ``federated`` (an identity provider) or ``anonymous``."""
    value: str
    """The ARN (a whole account as ``arn:PARTITION:iam::ID:root``), service name or
    provider, as the policy writes it."""
    account: str = ""


def _policies(account: Account) -> Iterator[Policy]:
    for p in account.principals:
        if p.trust_policy is not None:
            yield p.trust_policy
    for key in account.keys:
        yield key.policy


def _values(account: Account) -> Iterator[tuple[str, str]]:
    """(element, value) of every principal an Allow statement or a grant names."""
    for policy in _policies(account):
        for stmt in policy.statements:
            if stmt.effect is not Effect.ALLOW or stmt.principal is None:
                continue
            pset = stmt.principal
            if pset.wildcard:
                yield "aws", "*"
            for v in pset.aws:
                yield "aws", v.text
            for v in pset.service:
                yield "service", v.text.lower()
            for v in pset.federated:
                yield "federated", v.text
    for key in account.keys:
        for grant in key.grants:
            element = "aws" if grant.grantee.startswith("arn:") else "service"
            yield element, grant.grantee


_KINDS = {"role": "role", "user": "user", "session": "session", "federated": "federated-user"}


def _aws(account: Account, value: str) -> Named | None:
    """An AWS principal value as a node of its own, or None for the bundle's own account."""
    if value == "*":
        return Named(kind="anonymous", value="*")
    identity = principal_identity(value)
    if identity is None or len(identity) < 2 or identity[1] == account.account_id:
        return None
    other = identity[1]
    if identity[0] == "account":
        return Named(
            kind="account", value=f"arn:{account.partition}:iam::{other}:root", account=other
        )
    return Named(kind=_KINDS[identity[0]], value=value, account=other)


def outside_named(account: Account, arn: str) -> Named | None:
    """A principal of another account given by ARN (a whole account by its root or id), or
    None for any other text and for the bundle's own account."""
    if len(arn) == 12 and arn.isdigit():
        return _aws(account, arn)
    parts = split_arn(arn)
    if parts is None or not (len(parts[4]) == 12 and parts[4].isdigit()):
        return None
    return _aws(account, arn)


def same_identity(a: str, b: str) -> bool:
    """Do two principal values name the same principal (as a policy would match them)?"""
    found = principal_identity(a)
    return found is not None and found == principal_identity(b)


def named_principals(account: Account) -> list[Named]:
    """Every principal outside the bundle that an Allow statement of a trust or key policy,
    or a grant, names; one per identity (the first spelling in sorted order), sorted."""
    found: dict[tuple[str, ...], Named] = {}
    for element, value in _values(account):
        named: Named | None
        if element == "service":
            named = Named(kind="service", value=value.lower())
            identity: tuple[str, ...] = ("service", named.value)
        elif element == "federated":
            named = Named(kind="federated", value=value)
            identity = ("federated", value.lower())
        else:
            named = _aws(account, value)
            if named is None:
                continue
            identity = principal_identity(value) or ("*",)
        old = found.get(identity)
        if old is None or named.value < old.value:
            found[identity] = named
    return sorted(found.values(), key=lambda n: (n.kind, n.value))


def outside_principal(account: Account, arn: str) -> IamPrincipal | None:
    """A role or user of another account, from its ARN (path kept), as a principal without
    identity policies; None for any other text, or a principal of the bundle's account."""
    parts = split_arn(arn)
    if parts is None or parts[2].lower() != "iam" or parts[4] == account.account_id:
        return None
    if not (len(parts[4]) == 12 and parts[4].isdigit()):
        return None
    kind, _, rest = parts[5].partition("/")
    if kind not in ("role", "user") or not rest or "*" in rest or "?" in rest:
        return None
    path, _, name = ("/" + rest).rpartition("/")
    return IamPrincipal(
        kind="role" if kind == "role" else "user",
        arn=arn,
        name=name,
        path=path + "/",
        account=parts[4],
    )


def outside_iam_principals(account: Account) -> tuple[IamPrincipal, ...]:
    """The roles and users of other accounts that the bundle's policies name, by ARN."""
    out = (
        outside_principal(account, n.value)
        for n in named_principals(account)
        if n.kind in ("role", "user")
    )
    return tuple(sorted((p for p in out if p is not None), key=lambda p: p.arn))
