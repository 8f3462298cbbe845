"""What an actor can make of another principal's identity policies.

A rewrite adds what the actor can add and keeps what it cannot remove:

* added: any inline policy (``Put`` ``User``/``Role``/``Group`` ``Policy`` on the
  principal or on one of its groups), any policy through a new version of a customer
  managed policy in force (``iam:CreatePolicyVersion``, which replaces it), and the
  managed policies the actor may attach (``Attach`` ``User``/``Role``/``Group``
  ``Policy``, each decided with its ``iam:PolicyARN``: AWS's ``AdministratorAccess``,
  which every account has, or a managed policy of the bundle);
* kept: every policy holding a Deny statement unless the actor can remove it
  (delete or overwrite an inline policy, detach a managed one with its
  ``iam:PolicyARN`` from every place it is attached, remove the user from the group
  holding it, or write a new version of it); the permissions boundary unless the actor
  can delete it or replace it with ``AdministratorAccess`` (``iam:PermissionsBoundary``);
  SCPs, RCPs and session policies are never touched.

``iam:SetDefaultPolicyVersion`` puts a stored version in force in place of the
current one: one state per stored version (none when the bundle stores no other
version). A removal the engine cannot decide keeps the policy (the edge's reason
says so): the state is then one the actor can surely reach. An actor that can
also call ``iam:CreatePolicy`` may attach a policy of its own making: where its
attach permission is limited by ``iam:PolicyARN`` to other policies, that rewrite
is undecided rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cksmodel.account.access import Target
from cksmodel.account.model import Account, IamPrincipal
from cksmodel.graph.actors import ALL_ACCESS, Actor
from cksmodel.graph.edges import Decider, Step
from cksmodel.policy.ir import Effect, Policy

__all__ = ["ADMINISTRATOR_ACCESS", "Rewrite", "Rewriter"]

ADMINISTRATOR_ACCESS = "arn:{partition}:iam::aws:policy/AdministratorAccess"
"""AWS's managed policy allowing everything: every account can attach it."""

_PUT = {"role": "iam:PutRolePolicy", "user": "iam:PutUserPolicy", "group": "iam:PutGroupPolicy"}
_ATTACH = {
    "role": "iam:AttachRolePolicy",
    "user": "iam:AttachUserPolicy",
    "group": "iam:AttachGroupPolicy",
}
_DETACH = {
    "role": "iam:DetachRolePolicy",
    "user": "iam:DetachUserPolicy",
    "group": "iam:DetachGroupPolicy",
}
_DELETE = {
    "role": "iam:DeleteRolePolicy",
    "user": "iam:DeleteUserPolicy",
    "group": "iam:DeleteGroupPolicy",
}
_UNBOUND = {
    "role": "iam:DeleteRolePermissionsBoundary",
    "user": "iam:DeleteUserPermissionsBoundary",
}
_REBOUND = {"role": "iam:PutRolePermissionsBoundary", "user": "iam:PutUserPermissionsBoundary"}
PRINCIPAL_ACTIONS = {
    kind: (_PUT[kind], _ATTACH[kind], _DETACH[kind], _DELETE[kind]) for kind in _PUT
}
"""Actions on a user, role or group (its ARN as the resource) that change its policies."""
REWRITE_ACTIONS = frozenset(
    {
        *_PUT.values(),
        *_ATTACH.values(),
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    }
)
"""Actions that may add to a principal's identity policies."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Rewrite:
    """One state of a principal's identity policies that an actor can bring about."""

    change: str
    policies: tuple[Policy, ...]
    drop_boundary: bool
    full: bool
    """Any policy can be added (so the state allows at least what any other rewrite does,
    within the same or no boundary)."""
    via: str
    step: Step


def _has_deny(policy: Policy) -> bool:
    return any(s.effect is Effect.DENY for s in policy.statements)


def _at(arn: str) -> Target:
    return Target(arn, arn, True)


class Rewriter:
    """Decides rewrites of principals' identity policies for one graph build."""

    def __init__(self, account: Account, decider: Decider) -> None:
        self.account = account
        self.decider = decider
        self.admin = ADMINISTRATOR_ACCESS.format(partition=account.partition)

    def _holds(self, actor: Actor, action: str, arn: str, context: str = "") -> Step | None:
        """The step when the actor may call the action on the ARN (with ``iam:PolicyARN``
        or ``iam:PermissionsBoundary`` set to ``context``), else None."""
        if not self.decider.may(actor, action, arn):
            return None
        key = "iam:PermissionsBoundary" if "PermissionsBoundary" in action else "iam:PolicyARN"
        given = ((key, context),) if context else ()
        step = self.decider.decide(actor, (action,), _at(arn), given)
        return None if step.holds is False else replace(step, changes=arn)

    def _owners(self, target: IamPrincipal) -> list[tuple[str, str]]:
        """(kind, ARN) of the entities whose policies are the target's: itself, its groups."""
        out: list[tuple[str, str]] = [(target.kind, target.arn)]
        for name in target.groups:
            group = self.account.group(name)
            if group is not None:
                out.append(("group", group.arn))
        return out

    def rewrites(self, actor: Actor, target: IamPrincipal) -> list[Rewrite]:
        """Every state of the target's policies the actor can bring about (one combined
        rewrite, and one per stored version it can make the default)."""
        if not any(self.decider.mentions(actor, a) for a in REWRITE_ACTIONS):
            return []
        added: list[Policy] = []
        replaced: set[str] = set()
        full: tuple[str, Step] | None = None
        first: tuple[str, Step] | None = None

        def gives_all(action: str, step: Step) -> None:
            nonlocal full
            if full is None or (step.holds and not full[1].holds):
                full = (action, step)

        for kind, arn in self._owners(target):
            put = self._holds(actor, _PUT[kind], arn)
            if put is not None:
                gives_all(_PUT[kind], put)
            attach = self._holds(actor, _ATTACH[kind], arn, self.admin)
            if attach is not None:
                gives_all(_ATTACH[kind], attach)
                continue
            for policy_arn, policy in self.account.managed_policies.items():
                if policy in added or policy_arn == self.admin:
                    continue
                step = self._holds(actor, _ATTACH[kind], arn, policy_arn)
                if step is not None and step.holds:
                    first = first or (_ATTACH[kind], step)
                    added.append(policy)
            if self.decider.usable(actor, "iam:CreatePolicy"):
                made = self._holds(actor, _ATTACH[kind], arn)
                if made is not None:
                    gives_all(
                        _ATTACH[kind],
                        replace(
                            made,
                            holds=None,
                            reason="may attach a policy it creates (iam:CreatePolicy); "
                            "whether its iam:PolicyARN conditions allow one is not decided",
                        ),
                    )
        for policy in target.policies:
            arn = policy.name.removeprefix("managed/")
            if not policy.name.startswith("managed/") or f":{self.account.account_id}:" not in arn:
                continue
            step = self._holds(actor, "iam:CreatePolicyVersion", arn)
            if step is not None:
                gives_all("iam:CreatePolicyVersion", step)
                if step.holds:
                    replaced.add(policy.name)
        chosen = full or first
        if chosen is None:
            return self._versions(actor, target, set())
        via, step = chosen
        kept: list[Policy] = []
        unsure: list[str] = []
        for policy in target.policies:
            if policy.name in replaced:
                continue
            if not _has_deny(policy):
                kept.append(policy)
                continue
            removable = self._removable(actor, target, policy)
            if removable is not True:
                kept.append(policy)
                if removable is None:
                    unsure.append(policy.name)
        new = [ALL_ACCESS] if full is not None else []
        new += [p for p in added if p not in kept]
        dropped = self._unbound(actor, target)
        notes = (
            [f"keeps {', '.join(p.name for p in kept if _has_deny(p))}"]
            if any(_has_deny(p) for p in kept)
            else []
        )
        if unsure:
            notes.append(f"whether {', '.join(unsure)} can be removed is undecided: kept")
        if target.boundary is not None and not dropped:
            notes.append(f"within the boundary {target.boundary.name}")
        if full is None:
            notes.append(f"attaches {', '.join(p.name for p in added)}")
        reason = "; ".join(filter(None, [step.reason, *notes]))
        subsumed = {p.name for p in target.policies} - {p.name for p in kept if _has_deny(p)}
        rewritten = Rewrite(
            change="rewritten",
            policies=(*kept, *new),
            drop_boundary=dropped,
            full=full is not None,
            via=via,
            step=replace(step, reason=reason),
        )
        decided = full is not None and bool(full[1].holds)
        return [rewritten, *self._versions(actor, target, subsumed if decided else set())]

    def _removable(self, actor: Actor, target: IamPrincipal, policy: Policy) -> bool | None:
        """Can the actor take the policy out of the target's policies?"""
        name = policy.name
        holders = [
            (kind, arn)
            for kind, arn in self._owners(target)
            if kind != "group" or any(p.name == name for p in self._group_policies(arn))
        ]
        if name.startswith("managed/"):
            arn = name.removeprefix("managed/")
            if f":{self.account.account_id}:" in arn:
                version = self._holds(actor, "iam:CreatePolicyVersion", arn)
                if version is not None and version.holds:
                    return True
            groups = {g for k, g in holders if k == "group"}
            direct = arn in target.attached or not groups
            places = [(k, a) for k, a in holders if k == "group" or direct]
            return _all_of([self._out_of(actor, target, k, a, arn) for k, a in places])
        owner = name.partition("/inline/")[0]
        for kind, arn in holders:
            if owner == f"{kind}/{arn.rpartition('/')[2]}":
                return self._out_of(actor, target, kind, arn, "")
        return False

    def _group_policies(self, arn: str) -> tuple[Policy, ...]:
        group = self.account.group(arn)
        return group.policies if group is not None else ()

    def _out_of(
        self, actor: Actor, target: IamPrincipal, kind: str, arn: str, policy_arn: str
    ) -> bool | None:
        """Can the actor remove a policy of the entity (detaching ``policy_arn``, or an
        inline one when empty), or the target from that group?"""
        if policy_arn:
            actions = [(_DETACH[kind], policy_arn)]
        else:
            actions = [(_DELETE[kind], ""), (_PUT[kind], "")]
        if kind == "group":
            actions.append(("iam:RemoveUserFromGroup", ""))
        found: bool | None = False
        for action, context in actions:
            step = self._holds(actor, action, arn, context)
            if step is not None:
                if step.holds:
                    return True
                found = None
        return found

    def _unbound(self, actor: Actor, target: IamPrincipal) -> bool:
        """Can the actor delete the target's boundary, or replace it with one allowing
        everything?"""
        if target.boundary is None:
            return False
        delete = self._holds(actor, _UNBOUND[target.kind], target.arn)
        if delete is not None and delete.holds:
            return True
        put = self._holds(actor, _REBOUND[target.kind], target.arn, self.admin)
        return put is not None and bool(put.holds)

    def _versions(self, actor: Actor, target: IamPrincipal, subsumed: set[str]) -> list[Rewrite]:
        """One state per stored version of a managed policy in force that the actor can
        make the default; none for the policies in ``subsumed`` (a decided rewrite that
        may add any policy and drops them, or keeps no Deny of theirs, allows more)."""
        out = []
        for policy in target.policies:
            arn = policy.name.removeprefix("managed/")
            stored = self.account.stored_versions.get(arn, ())
            if not policy.name.startswith("managed/") or not stored or policy.name in subsumed:
                continue
            step = self._holds(actor, "iam:SetDefaultPolicyVersion", arn)
            if step is None:
                continue
            for vid, version in stored:
                policies = tuple(version if p is policy else p for p in target.policies)
                out.append(
                    Rewrite(
                        change=f"version:{arn.rpartition('/')[2]}:{vid}",
                        policies=policies,
                        drop_boundary=False,
                        full=False,
                        via="iam:SetDefaultPolicyVersion",
                        step=replace(
                            step,
                            reason=f"makes the stored version {vid} of {arn} the default",
                        ),
                    )
                )
        return out


def _all_of(values: list[bool | None]) -> bool | None:
    """Three-valued conjunction."""
    if any(v is False for v in values):
        return False
    return True if all(values) else None
