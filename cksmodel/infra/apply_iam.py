"""Applying a plan's or template's IAM parts: customer managed policies, groups, roles and
users (replacing those of the same name), attachments, inline-policy resources and
memberships."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal

from cksmodel.account.model import (
    Group,
    IamPrincipal,
)
from cksmodel.infra.model import (
    IamRole,
    Locus,
    Text,
    Unknown,
)
from cksmodel.infra.resolve import Resolver
from cksmodel.policy.ir import Policy, PolicyType

__all__ = ["IamSteps"]


class IamSteps(Resolver):
    """The IAM steps of applying an input (see :mod:`cksmodel.infra.apply`)."""

    def _replace_everywhere(self, built: dict[str, Policy]) -> None:
        """Every use of a policy named in ``built`` (a managed policy's ARN) rebuilt."""

        def swap(policies: tuple[Policy, ...]) -> tuple[Policy, ...]:
            return tuple(built.get(p.name, p) for p in policies)

        account = self.account
        principals = tuple(
            replace(
                p,
                policies=swap(p.policies),
                boundary=built.get(p.boundary.name, p.boundary) if p.boundary else None,
            )
            for p in account.principals
        )
        groups = tuple(replace(g, policies=swap(g.policies)) for g in account.groups)
        self.account = replace(account, principals=principals, groups=groups)

    def managed_policies(self) -> None:
        """Customer managed policies: added, or replacing the same ARN wherever attached."""
        for mp in self.infra.managed_policies:
            arn = self.tables["policy"][mp.location.address]
            policy = self.load(mp.document, f"managed/{arn}", f"managed policy {arn}")
            if policy is None:
                continue
            managed = {**self.account.managed_policies, arn: policy}
            self.account = replace(self.account, managed_policies=managed)
            self._replace_everywhere(
                {
                    f"managed/{arn}": policy,
                    f"boundary/{arn}": replace(
                        policy, name=f"boundary/{arn}", policy_type=PolicyType.BOUNDARY
                    ),
                }
            )
            self.changed.append((arn, mp.location))

    def _managed(self, arns: Iterable[Text], locus: Locus) -> list[Policy]:
        """The bundle's managed policies of the ARNs given (by value or reference)."""
        out = []
        for value in arns:
            arn = self.ref(value, "policy", locus, "a managed policy ARN")
            if arn is None:
                continue
            policy = self.account.managed_policies.get(arn)
            if policy is None:
                self.unresolve(locus, f"managed policy {arn} is not in the bundle; not applied")
                continue
            out.append(policy)
        return out

    def _listed(self, arns: Iterable[Text], locus: Locus) -> list[Text]:
        """The managed policy ARNs a holder lists; an attribute the configuration leaves unset
        (computed, known after apply, from nothing) lists none: its attachments are apart."""
        out: list[Text] = []
        for value in arns:
            if isinstance(value, Unknown) and not value.references:
                self.assume(
                    locus,
                    f"{value.attribute} is not set: the managed policies are those the "
                    "attachment resources attach",
                )
            else:
                out.append(value)
        return out

    def groups(self) -> None:
        """Groups: replacing the same name (its other policies stay) or added; members follow."""
        for item in self.infra.groups:
            if not isinstance(item.name, str):
                self.unresolve(item.location, f"the group name is {item.name}; not applied")
                continue
            name = item.name
            old = self.account.group(name)
            policies = [
                p
                for doc in item.inline
                if (p := self.load(doc, f"group/{name}/inline/{doc.name}", "a group policy"))
            ]
            policies += self._managed(self._listed(item.managed, item.location), item.location)
            arn = (
                old.arn
                if old is not None
                else self._derived_arn(item.arn, "group", item.path, name, item.location)
            )
            kept = (
                ()
                if old is None
                else tuple(p for p in old.policies if p.name not in {q.name for q in policies})
            )
            group = Group(name=name, arn=arn, policies=(*kept, *policies))
            others = tuple(g for g in self.account.groups if g is not old)
            self.account = replace(self.account, groups=(*others, group))
            self._refresh_members(group)
            self.changed.append((arn, item.location))

    def _derived_arn(self, value: Text, kind: str, path: str, name: str, locus: Locus) -> str:
        """An ARN known after apply, derived from the name and path (noted)."""
        if isinstance(value, str):
            return value
        arn = self.arn(kind, path, name)
        self.assume(locus, f"arn is known after apply; derived from the name and path: {arn}")
        return arn

    def _refresh_members(self, group: Group) -> None:
        """Users of the group get its current policies (replacing its inline ones)."""
        principals = []
        for p in self.account.principals:
            if p.kind == "user" and group.name in p.groups:
                prefix = f"group/{group.name}/"
                mine = [q for q in p.policies if not q.name.startswith(prefix)]
                names = {q.name for q in mine}
                mine += [q for q in group.policies if q.name not in names]
                p = replace(p, policies=tuple(mine))
            principals.append(p)
        self.account = replace(self.account, principals=tuple(principals))

    def principals(self, kind: Literal["role", "user"]) -> None:
        """Roles or users: replacing the same name (its other policies stay) or added."""
        items = self.infra.roles if kind == "role" else self.infra.users
        for item in items:
            if not isinstance(item.name, str):
                self.unresolve(item.location, f"the {kind} name is {item.name}; not applied")
                continue
            name = item.name
            old = self.account.principal(f"{kind}/{name}")
            policies = [
                p
                for doc in item.inline
                if (p := self.load(doc, f"{kind}/{name}/inline/{doc.name}", f"a {kind} policy"))
            ]
            policies += self._managed(self._listed(item.managed, item.location), item.location)
            boundary = None
            if item.boundary is not None:
                found = self._managed((item.boundary,), item.location)
                if found:
                    boundary = replace(
                        found[0],
                        name=found[0].name.replace("managed/", "boundary/", 1),
                        policy_type=PolicyType.BOUNDARY,
                    )
            trust = None
            if isinstance(item, IamRole):
                trust = self.load(item.trust, f"role/{name}/trust", "a trust policy")
            names = {p.name for p in policies}
            kept = () if old is None else tuple(p for p in old.policies if p.name not in names)
            groups = (
                ()
                if isinstance(item, IamRole)
                else tuple(g for g in item.groups if isinstance(g, str))
            )
            arn = (
                old.arn
                if old is not None
                else self._derived_arn(item.arn, kind, item.path, name, item.location)
            )
            new = IamPrincipal(
                kind=kind,
                arn=arn,
                name=name,
                path=item.path,
                account=self.account.account_id,
                unique_id=None if old is None else old.unique_id,
                policies=(*kept, *policies),
                boundary=boundary if boundary is not None or old is None else old.boundary,
                trust_policy=trust if trust is not None or old is None else old.trust_policy,
                groups=tuple(dict.fromkeys((*(old.groups if old else ()), *groups))),
                attached=tuple(
                    dict.fromkeys(
                        (
                            *(old.attached if old else ()),
                            *(
                                p.name.removeprefix("managed/")
                                for p in policies
                                if p.name.startswith("managed/")
                            ),
                        )
                    )
                ),
                instance_profiles=() if old is None else old.instance_profiles,
            )
            if kind == "role" and trust is None and old is None:
                self.unresolve(item.location, f"role {name} has no known trust policy")
            others = tuple(p for p in self.account.principals if p is not old)
            self.account = replace(self.account, principals=(*others, new))
            for group in groups:
                self._join(name, group, item.location)
            self.changed.append((arn, item.location))

    def _with_principal(
        self, name: str, kind: str, change: Callable[[IamPrincipal], IamPrincipal]
    ) -> bool:
        """Rewrite one user or role; ``False`` when the account has none by that name."""
        found = self.account.principal(f"{kind}/{name}")
        if found is None:
            return False
        principals = tuple(change(p) if p is found else p for p in self.account.principals)
        self.account = replace(self.account, principals=principals)
        return True

    def _join(self, user: str, group_name: str, locus: Locus) -> None:
        """Make a user a member of a group, with the group's policies."""
        group = self.account.group(group_name)
        if group is None:
            self.unresolve(
                locus, f"group {group_name} is neither in the bundle nor created; not applied"
            )
            return

        def join(p: IamPrincipal) -> IamPrincipal:
            names = {q.name for q in p.policies}
            added = tuple(q for q in group.policies if q.name not in names)
            groups = tuple(dict.fromkeys((*p.groups, group.name)))
            return replace(p, groups=groups, policies=(*p.policies, *added))

        if not self._with_principal(user, "user", join):
            self.unresolve(locus, f"user {user} is neither in the bundle nor created; not applied")

    def attachments(self) -> None:
        """Managed policy attachments and inline-policy resources, on their holders."""
        for item in self.infra.attachments:
            target = self.ref(
                item.target, item.target_kind, item.location, f"the {item.target_kind}"
            )
            if target is None:
                continue
            if item.document is not None:
                policy = self.load(
                    item.document,
                    f"{item.target_kind}/{target}/inline/{item.document.name}",
                    f"an inline policy of {item.target_kind} {target}",
                )
                found = [policy] if policy is not None else []
            else:
                found = self._managed((item.policy,), item.location)
            for policy in found:
                self._attach(item.target_kind, target, policy, item.location)

    def _attach(self, kind: str, target: str, policy: Policy, locus: Locus) -> None:
        """One policy on a role, user or group (replacing one of the same name)."""

        def add(policies: tuple[Policy, ...]) -> tuple[Policy, ...]:
            return (*(p for p in policies if p.name != policy.name), policy)

        managed = policy.name.removeprefix("managed/")
        if kind == "group":
            group = self.account.group(target)
            if group is None:
                self.unresolve(
                    locus, f"group {target} is neither in the bundle nor created; not applied"
                )
                return
            new = replace(group, policies=add(group.policies))
            groups = tuple(new if g is group else g for g in self.account.groups)
            self.account = replace(self.account, groups=groups)
            self._refresh_members(new)
            self.changed.append((new.arn, locus))
            return

        def attach(p: IamPrincipal) -> IamPrincipal:
            attached = p.attached
            if policy.name.startswith("managed/"):
                attached = tuple(dict.fromkeys((*attached, managed)))
            return replace(p, policies=add(p.policies), attached=attached)

        if not self._with_principal(target, kind, attach):
            self.unresolve(
                locus, f"{kind} {target} is neither in the bundle nor created; not applied"
            )
            return
        found = self.account.principal(f"{kind}/{target}")
        if found is not None:
            self.changed.append((found.arn, locus))

    def memberships(self) -> None:
        """Group memberships declared apart from the users."""
        for item in self.infra.memberships:
            user = self.ref(item.user, "user", item.location, "the user")
            group = self.ref(item.group, "group", item.location, "the group")
            if user is not None and group is not None:
                self._join(user, group, item.location)
