"""An account as it will be after a Terraform plan or a CloudFormation template is applied.

:func:`apply_infrastructure` takes an :class:`~cksmodel.account.model.Account` (a bundle) and
an :class:`~cksmodel.infra.model.Infrastructure` and returns the account after the change:

- roles, users and groups the input declares replace those of the same name (their trust,
  inline and managed policies come from the input; for one the bundle already has, the
  policies the input does not redefine stay, as Terraform and CloudFormation leave them);
  new ones are added; attachments, inline-policy resources and memberships are added;
- customer managed policies are added or replace the bundle's of the same ARN everywhere
  they are attached;
- KMS keys are added or replace the key of the same id (keeping its grants); a key with no
  key policy gets a key-policy resource's document, else KMS's default key policy (the
  account root may do ``kms:*``); grants, custom key stores (a new store starts
  ``DISCONNECTED``) and CloudHSM clusters (a new cluster has no HSM yet) are added;
- SCPs and RCPs attached to the account id, or to the root or an OU the bundle's
  organization levels name (``organizations/scp/NN-TARGET``), join that level;
- resources the plan destroys are deleted.

Values known only after apply (ids and ARNs of what the plan creates) get a
:class:`Placeholder`: a fresh value derived from the resource address (``after-apply-...``),
used wherever the input references that resource. Whatever cannot be applied (a policy
document known only after apply, a reference the model cannot follow, an SCP target the
bundle's organization data does not name) is listed in :attr:`AppliedPlan.unresolved`:
nothing is guessed, and :mod:`cksmodel.invariants.change` turns the PROVED verdicts that
may rest on it into UNKNOWN.
"""

from __future__ import annotations

from dataclasses import replace

from cksmodel.account.model import (
    Account,
    Cluster,
    CustomKeyStore,
    Key,
)
from cksmodel.cks.model import default_key_policy
from cksmodel.infra.applied import (
    PLACEHOLDER_PREFIX,
    AppliedPlan,
    Placeholder,
    singling_patterns,
)
from cksmodel.infra.apply_iam import IamSteps
from cksmodel.infra.model import (
    InfraError,
    Infrastructure,
    KmsKey,
    Removed,
)
from cksmodel.infra.resolve import slug
from cksmodel.policy.ir import Grant, Policy, PolicyType

__all__ = [
    "PLACEHOLDER_PREFIX",
    "AppliedPlan",
    "Placeholder",
    "apply_infrastructure",
    "singling_patterns",
]


class _Applier(IamSteps):
    """Applies one input to one account, collecting placeholders and what it cannot apply."""

    def run(self) -> AppliedPlan:
        """Apply every part of the input, removals first, and return the result."""
        self.read_approximations()
        self.register()
        self.removals()
        self.managed_policies()
        self.groups()
        self.principals("role")
        self.principals("user")
        self.attachments()
        self.memberships()
        self.clusters()
        self.stores()
        self.keys()
        self.grants()
        self.org_policies()
        return AppliedPlan(
            account=self.account,
            infrastructure=self.infra,
            placeholders=tuple(self.placeholders.values()),
            unresolved=tuple(dict.fromkeys(self.unresolved)),
            assumptions=tuple(dict.fromkeys(self.assumptions)),
            changed=tuple(dict.fromkeys(self.changed)),
            fresh=tuple(
                dict.fromkeys((*(p.value for p in self.placeholders.values()), *self.fresh_values))
            ),
            removed=tuple(self.removed),
        )

    # ------------------------------------------------------------------ KMS and CloudHSM

    def clusters(self) -> None:
        """CloudHSM clusters the input creates (no HSM active yet)."""
        for item in self.infra.clusters:
            cluster_id = self.tables["cluster"][item.location.address]
            if self.account.cluster(cluster_id) is None:
                self.assume(item.location, f"cluster {cluster_id} is new: no HSM is active yet")
                cluster = Cluster(id=cluster_id, state="UNINITIALIZED")
                self.account = replace(self.account, clusters=(*self.account.clusters, cluster))
            self.changed.append((cluster_id, item.location))

    def stores(self) -> None:
        """Custom key stores: a new one is DISCONNECTED; one of the same id keeps its state."""
        for item in self.infra.stores:
            store_id = self.tables["store"][item.location.address]
            cluster = (
                None
                if item.cluster_id is None
                else self.ref(item.cluster_id, "cluster", item.location, "the store's cluster id")
            )
            name = item.name if isinstance(item.name, str) else store_id
            old = self.account.store(store_id)
            if old is None:
                self.assume(item.location, f"custom key store {store_id} is new: DISCONNECTED")
            store = CustomKeyStore(
                id=store_id,
                name=name,
                state="DISCONNECTED" if old is None else old.state,
                cluster_id=cluster,
                store_type=item.store_type,
            )
            others = tuple(s for s in self.account.stores if s is not old)
            self.account = replace(self.account, stores=(*others, store))
            self.changed.append((store_id, item.location))

    def _key_policy(self, item: KmsKey, key_id: str, old: Key | None) -> Policy:
        """The key policy: the input's, else a key-policy resource's, else that of the
        bundle's key of the same id, else KMS's default."""
        name = f"key/{key_id}/key-policy"
        docs = [item.policy] if item.policy is not None and item.policy.document is not None else []
        docs += [
            d
            for d in self.infra.policies
            if d.policy_type is PolicyType.KEY
            and d.resource != item.location.address
            and any(self.ref(t, "key", d.location, "the key") == key_id for t in d.targets)
        ]
        if docs:
            policy = self.load(docs[-1], name, f"the key policy of {key_id}")
            if policy is not None:
                return policy
        elif (
            item.policy is not None
            and item.policy.unknown is not None
            and item.policy.unknown.references
        ):
            self.unresolve(
                item.location, f"the key policy of {key_id} is {item.policy.unknown}; not applied"
            )
        if old is not None:
            return old.policy
        self.assume(item.location, f"key {key_id} has no key policy: KMS's default key policy")
        return replace(default_key_policy(self.account.account_id, self.partition), name=name)

    def keys(self) -> None:
        """KMS keys: replacing the same id (its grants stay) or added."""
        for item in self.infra.keys:
            key_id = self.tables["key"][item.location.address]
            old = self.account.key(key_id)
            arn = (
                item.arn
                if isinstance(item.arn, str)
                else self.fresh(item.location, "arn", self._key_arn(key_id))
            )
            store = (
                None
                if item.custom_key_store_id is None
                else self.ref(
                    item.custom_key_store_id, "store", item.location, "the key's store id"
                )
            )
            key = Key(
                key_id=key_id,
                arn=arn,
                account=self.account.account_id,
                region=self.infra.region,
                policy=self._key_policy(item, key_id, old),
                grants=() if old is None else old.grants,
                custom_key_store_id=store,
                origin=item.origin,
                key_spec=item.key_spec,
            )
            others = tuple(k for k in self.account.keys if k is not old)
            self.account = replace(self.account, keys=(*others, key))
            self.changed.append((arn, item.location))

    def grants(self) -> None:
        """Grants, on the key they name (by id, ARN or reference)."""
        for item in self.infra.grants:
            key_id = self.ref(item.key_id, "key", item.location, "the grant's key id")
            grantee = self.ref(item.grantee, "role", item.location, "the grantee")
            if key_id is None or grantee is None:
                continue
            key = self.account.key(key_id)
            if key is None:
                self.unresolve(
                    item.location,
                    f"key {key_id} is neither in the bundle nor created; grant not applied",
                )
                continue
            if not grantee.startswith("arn:"):
                found = self.account.principal(grantee)
                grantee = found.arn if found is not None else grantee
            retiring = (
                None
                if item.retiring_principal is None
                else self.ref(
                    item.retiring_principal, "role", item.location, "the retiring principal"
                )
            )
            grant = Grant(
                index=len(key.grants),
                key_id=key.key_id,
                grantee=grantee,
                operations=tuple(op.removeprefix("kms:") for op in item.operations),
                name=item.name,
                retiring_principal=retiring,
                encryption_context_equals=item.encryption_context_equals,
                encryption_context_subset=item.encryption_context_subset,
                span=item.location.span,
            )
            new = replace(key, grants=(*key.grants, grant))
            self.account = replace(
                self.account, keys=tuple(new if k is key else k for k in self.account.keys)
            )
            self.changed.append((f"grant {grant.index} of {key.arn}", item.location))

    # ------------------------------------------------------------------ Organizations

    def _level(self, levels: tuple[tuple[Policy, ...], ...], kind: str, target: str) -> int | None:
        """The index of the organization level whose folder names the target."""
        for index, level in enumerate(levels):
            for policy in level:
                folder = policy.name.split("/")[1] if policy.name.count("/") >= 2 else ""
                if folder.partition("-")[2] == target:
                    return index
        return None

    def org_policies(self) -> None:
        """SCPs and RCPs, into the level of each target the bundle names."""
        for item in self.infra.org_policies:
            kind = item.kind.lower()
            for value in item.targets:
                target = value if isinstance(value, str) else None
                if target is None:
                    self.unresolve(
                        item.location, f"the {item.kind} target is {value}; not attached"
                    )
                    continue
                levels = self.account.scps if kind == "scp" else self.account.rcps
                index = self._level(levels, kind, target)
                if index is None:
                    self.unresolve(
                        item.location,
                        f"{item.kind} target {target} is not a level of the bundle's "
                        f"organizations/{kind}/; not attached",
                    )
                    continue
                name = item.name if isinstance(item.name, str) else slug(item.location.address)
                folder = levels[index][0].name.split("/")[1]
                policy = self.load(item.document, f"{kind}/{folder}/{name}", f"the {item.kind}")
                if policy is None:
                    continue
                level = (*(p for p in levels[index] if p.name != policy.name), policy)
                new = (*levels[:index], level, *levels[index + 1 :])
                if kind == "scp":
                    self.account = replace(self.account, scps=new)
                else:
                    self.account = replace(self.account, rcps=new)
                self.assume(item.location, f"{item.kind} {name} joins level {folder} of the bundle")
                self.changed.append((f"{kind}/{folder}/{name}", item.location))

    # ------------------------------------------------------------------ removals

    def removals(self) -> None:
        """Delete what the plan destroys; what the model cannot name is unresolved."""
        for item in self.infra.removed_resources:
            before = self.account
            if self._remove(item.resource_type, item):
                if self.account != before:
                    self.removed.append(item.location)
            else:
                self.unresolve(
                    item.location,
                    f"the plan destroys a {item.resource_type or 'resource'} that the account "
                    "model does not hold or cannot name; its removal is not applied",
                )

    def _remove(self, rtype: str, item: Removed) -> bool:
        """Delete one destroyed resource; ``False`` when its type or name is not modelled."""
        account = self.account
        name = item.value("name")
        if rtype in ("aws_iam_role", "aws_iam_user") and name is not None:
            kind = rtype.removeprefix("aws_iam_")
            found = account.principal(f"{kind}/{name}")
            if found is None:
                return True
            self.account = replace(
                account, principals=tuple(p for p in account.principals if p is not found)
            )
            self.changed.append((found.arn, item.location))
            return True
        if rtype == "aws_iam_group" and name is not None:
            self.account = replace(
                account, groups=tuple(g for g in account.groups if g.name != name)
            )
            return True
        if rtype in ("aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"):
            kind = rtype.split("_")[2]
            holder = item.value(kind)
            if holder is None or name is None:
                return False
            self._drop(f"{kind}/{holder}/inline/{name}")
            return True
        if rtype.endswith("_policy_attachment") and item.value("policy_arn") is not None:
            self._drop(
                f"managed/{item.value('policy_arn')}",
                holder=item.value("role") or item.value("user") or item.value("group"),
            )
            return True
        if rtype == "aws_iam_policy" and item.value("arn") is not None:
            arn = item.value("arn") or ""
            managed = {k: v for k, v in account.managed_policies.items() if k != arn}
            self.account = replace(account, managed_policies=managed)
            self._drop(f"managed/{arn}")
            return True
        if rtype == "aws_kms_key" and item.value("key_id") is not None:
            key = account.key(item.value("key_id") or "")
            self.account = replace(account, keys=tuple(k for k in account.keys if k is not key))
            return True
        if rtype == "aws_organizations_policy" and name is not None:

            def keep(levels: tuple[tuple[Policy, ...], ...]) -> tuple[tuple[Policy, ...], ...]:
                return tuple(
                    tuple(
                        p
                        for p in level
                        if p.name.rpartition("/")[2] not in (name, item.value("id"))
                    )
                    for level in levels
                )

            self.account = replace(account, scps=keep(account.scps), rcps=keep(account.rcps))
            return True
        return rtype == "aws_organizations_policy_attachment"

    def _drop(self, policy_name: str, holder: str | None = None) -> None:
        """Remove a policy by name from every holder (or from ``holder`` only)."""

        def keep(policies: tuple[Policy, ...]) -> tuple[Policy, ...]:
            return tuple(p for p in policies if p.name != policy_name)

        principals = tuple(
            replace(p, policies=keep(p.policies)) if holder in (None, p.name) else p
            for p in self.account.principals
        )
        groups = tuple(
            replace(g, policies=keep(g.policies)) if holder in (None, g.name) else g
            for g in self.account.groups
        )
        self.account = replace(self.account, principals=principals, groups=groups)


def apply_infrastructure(account: Account, infra: Infrastructure) -> AppliedPlan:
    """The account after ``infra`` is applied; raises :class:`InfraError` when the input is
    for another account or one of its documents is malformed."""
    if infra.account_id != account.account_id:
        raise InfraError(
            f"{infra.source} is for account {infra.account_id}, the bundle for account "
            f"{account.account_id}; give --account-id {account.account_id} to read a "
            "template for the bundle's account",
            code="E_INFRA_ACCOUNT",
        )
    return _Applier(account, infra).run()
