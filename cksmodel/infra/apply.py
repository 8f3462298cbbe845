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

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from cksmodel.account.model import (
    Account,
    Cluster,
    CustomKeyStore,
    Group,
    IamPrincipal,
    Key,
)
from cksmodel.cks.model import default_key_policy
from cksmodel.errors import InputError
from cksmodel.infra.model import (
    Approximation,
    IamRole,
    InfraError,
    Infrastructure,
    KmsKey,
    Locus,
    PolicyDocument,
    Removed,
    Text,
    Unknown,
)
from cksmodel.policy.ir import Grant, Policy, PolicyType

__all__ = [
    "PLACEHOLDER_PREFIX",
    "AppliedPlan",
    "Placeholder",
    "apply_infrastructure",
    "singling_patterns",
]

PLACEHOLDER_PREFIX = "after-apply-"
"""Every placeholder value holds this: no AWS id or name the bundle holds does."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Placeholder:
    """A fresh value standing for one known only after apply (a key id, an ARN, ...)."""

    value: str
    location: Locus
    attribute: str

    @property
    def approximation(self) -> Approximation:
        return Approximation(
            location=self.location,
            message=f"{self.attribute} is known after apply; placeholder {self.value}",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AppliedPlan:
    """The account after the change, and what applying it stood in for or assumed."""

    account: Account
    infrastructure: Infrastructure
    placeholders: tuple[Placeholder, ...] = ()
    unresolved: tuple[Approximation, ...] = ()
    """What could not be applied: results that may rest on it are not PROVED."""
    assumptions: tuple[Approximation, ...] = ()
    """What applying took as given (a default key policy, a derived ARN, an SCP level)."""
    fresh: tuple[str, ...] = ()
    """Every value standing for one AWS chooses at apply (placeholders, a template's ids)."""
    removed: tuple[Locus, ...] = ()
    """The resources destroyed whose removal changed the account (others are not in it)."""
    changed: tuple[tuple[str, Locus], ...] = ()
    """Each ARN (or id) of the account the input adds, replaces or deletes, with its locus."""

    @property
    def approximations(self) -> tuple[Approximation, ...]:
        """Every placeholder, unresolved value and assumption, in that order."""
        return (
            *(p.approximation for p in self.placeholders),
            *self.unresolved,
            *self.assumptions,
        )

    def locus_of_span(self, source: str, line: int) -> Locus | None:
        """The resource of the input a position belongs to: a policy embedded in a plan
        attribute by its label, a template position by the nearest resource above it."""
        infra = self.infrastructure
        for doc in infra.policies:
            if doc.label == source and source != infra.source:
                return doc.location
        if source != infra.source:
            return None
        above = [
            locus for _, locus in self.changed if locus.span.line <= line and locus.source == source
        ]
        above += [d.location for d in infra.policies if d.location.span.line <= line]
        return max(above, key=lambda locus: locus.span.line, default=None)


_MODELLED = re.compile(r"modelled as '([^']+)'")

_SLUG = re.compile(r"[^A-Za-z0-9]+")


def _slug(address: str) -> str:
    return _SLUG.sub("-", address).strip("-").lower()


class _Applier:
    """Applies one input to one account, collecting placeholders and what it cannot apply."""

    def __init__(self, account: Account, infra: Infrastructure) -> None:
        self.account = account
        self.infra = infra
        self.partition = account.partition
        self.placeholders: dict[tuple[str, str], Placeholder] = {}
        self.unresolved: list[Approximation] = []
        self.assumptions: list[Approximation] = []
        self.changed: list[tuple[str, Locus]] = []
        self.removed: list[Locus] = []
        self.tables: dict[str, dict[str, str]] = {
            kind: {} for kind in ("key", "policy", "store", "cluster", "role", "user", "group")
        }
        """Per kind, the value each created resource's address stands for."""

    # ------------------------------------------------------------------ values

    def fresh(self, locus: Locus, attribute: str, make: Callable[[str], str]) -> str:
        key = (locus.address, attribute)
        if key not in self.placeholders:
            value = make(PLACEHOLDER_PREFIX + _slug(locus.address))
            self.placeholders[key] = Placeholder(value=value, location=locus, attribute=attribute)
        return self.placeholders[key].value

    def own(self, value: Text, locus: Locus, attribute: str, make: Callable[[str], str]) -> str:
        """A resource's own id or ARN: the value, or a placeholder when known after apply."""
        if isinstance(value, str):
            return value
        return self.fresh(locus, attribute, make)

    def ref(self, value: Text, kind: str, locus: Locus, what: str) -> str | None:
        """A value naming a resource of ``kind``: the value, or what the resource it comes
        from stands for; ``None`` (and an unresolved approximation) when neither."""
        if isinstance(value, str):
            return self.tables[kind].get(value, value)
        table = self.tables[kind]
        for address in (value.address, *value.references):
            if address in table:
                return table[address]
        self.unresolve(locus, f"{what} is {value.reason} ({value}); not applied")
        return None

    def unresolve(self, locus: Locus, message: str) -> None:
        self.unresolved.append(Approximation(location=locus, message=message))

    def assume(self, locus: Locus, message: str) -> None:
        self.assumptions.append(Approximation(location=locus, message=message))

    def load(self, doc: PolicyDocument | None, name: str, what: str) -> Policy | None:
        """A document's IR named as the bundle names it (spans stay in the input)."""
        if doc is None:
            return None
        if doc.document is None:
            why = doc.unknown.reason if doc.unknown is not None else "not given"
            self.unresolve(doc.location, f"{what} is {why}; not applied")
            return None
        try:
            policy = doc.load()
        except InputError as exc:
            raise InfraError(exc.message, span=exc.span, code=exc.code) from None
        if policy is None:
            return None
        if doc.approximations:
            self.unresolved.extend(doc.approximations)
        return replace(policy, name=name)

    def arn(self, kind: str, path: str, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account.account_id}:{kind}{path}{name}"

    def _key_arn(self, key_id: str) -> Callable[[str], str]:
        """Makes the ARN of a key (the placeholder made is the key's id)."""
        account, region = self.account.account_id, self.infra.region
        return lambda _: f"arn:{self.partition}:kms:{region}:{account}:key/{key_id}"

    def _policy_arn(self, name: str) -> Callable[[str], str]:
        """Makes a managed policy's ARN from a placeholder path and its name."""
        return lambda placeholder: self.arn("policy", f"/{placeholder}/", name)

    # ------------------------------------------------------------------ the account

    def read_approximations(self) -> list[str]:
        """A template reader's own stand-ins (CloudFormation fixes ids at deploy: modelled as
        fresh values, kept; a reference to nothing known: unresolved); a plan's unknowns are
        :class:`Unknown` values, resolved here. Returns the fresh values modelled."""
        fresh: list[str] = []
        if self.infra.kind != "cloudformation":
            return fresh
        for item in self.infra.approximations:
            modelled = _MODELLED.search(item.message)
            if modelled is not None and "unresolved-" not in modelled[1]:
                fresh.append(modelled[1])
                self.assumptions.append(item)
            else:
                self.unresolved.append(item)
        return fresh

    def run(self) -> AppliedPlan:
        fresh = self.read_approximations()
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
            fresh=(*(p.value for p in self.placeholders.values()), *fresh),
            removed=tuple(self.removed),
        )

    def register(self) -> None:
        """Give every created resource its id or ARN first, so references resolve in any order."""
        infra, tables = self.infra, self.tables
        for key in infra.keys:
            key_id = self.own(key.key_id, key.location, "key_id", str)
            tables["key"][key.location.address] = key_id
        for mp in infra.managed_policies:
            name = mp.name if isinstance(mp.name, str) else _slug(mp.location.address)
            arn = self.own(mp.arn, mp.location, "arn", self._policy_arn(name))
            tables["policy"][mp.location.address] = arn
        for store in infra.stores:
            tables["store"][store.location.address] = self.own(
                store.store_id, store.location, "id", lambda v: f"cks-{v}"
            )
        for cluster in infra.clusters:
            tables["cluster"][cluster.location.address] = self.own(
                cluster.cluster_id, cluster.location, "cluster_id", lambda v: f"cluster-{v}"
            )
        for kind, items in (("role", infra.roles), ("user", infra.users), ("group", infra.groups)):
            for item in items:
                if isinstance(item.name, str):
                    tables[kind][item.location.address] = item.name

    # ------------------------------------------------------------------ IAM

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
            policies += self._managed(item.managed, item.location)
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
                    p.name.removeprefix("managed/")
                    for p in policies
                    if p.name.startswith("managed/")
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
        found = self.account.principal(f"{kind}/{name}")
        if found is None:
            return False
        principals = tuple(change(p) if p is found else p for p in self.account.principals)
        self.account = replace(self.account, principals=principals)
        return True

    def _join(self, user: str, group_name: str, locus: Locus) -> None:
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
        for item in self.infra.memberships:
            user = self.ref(item.user, "user", item.location, "the user")
            group = self.ref(item.group, "group", item.location, "the group")
            if user is not None and group is not None:
                self._join(user, group, item.location)

    # ------------------------------------------------------------------ KMS and CloudHSM

    def clusters(self) -> None:
        for item in self.infra.clusters:
            cluster_id = self.tables["cluster"][item.location.address]
            if self.account.cluster(cluster_id) is None:
                self.assume(item.location, f"cluster {cluster_id} is new: no HSM is active yet")
                cluster = Cluster(id=cluster_id, state="UNINITIALIZED")
                self.account = replace(self.account, clusters=(*self.account.clusters, cluster))
            self.changed.append((cluster_id, item.location))

    def stores(self) -> None:
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
        for index, level in enumerate(levels):
            for policy in level:
                folder = policy.name.split("/")[1] if policy.name.count("/") >= 2 else ""
                if folder.partition("-")[2] == target:
                    return index
        return None

    def org_policies(self) -> None:
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
                name = item.name if isinstance(item.name, str) else _slug(item.location.address)
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


def _policies(account: Account) -> Iterator[Policy]:
    for p in account.principals:
        yield from p.policies
        if p.boundary is not None:
            yield p.boundary
        if p.trust_policy is not None:
            yield p.trust_policy
    for g in account.groups:
        yield from g.policies
    yield from account.managed_policies.values()
    for k in account.keys:
        yield k.policy
    for level in (*account.scps, *account.rcps):
        yield from level


_TOKEN = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"[a-z0-9-]+")

ALTERNATES = (
    "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "mrk-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
    *"0123456789abcdef",
)
"""Values AWS may choose (a key id, a multi-Region key id, and every first character of an id),
each compared with a placeholder: a pattern matching some and not others tells them apart."""


def singling_patterns(applied: AppliedPlan) -> tuple[str, ...]:
    """The policy patterns that tell a placeholder from other fresh values, each described.

    A verdict on the applied account speaks of the real values too when every pattern of
    every policy either matches every fresh value or none of them: a literal cannot name an
    id that does not exist yet (the input's own references use the same placeholder), and
    ``*`` matches all. A pattern such as ``key/1234*`` matches some fresh ids and not others;
    then a result may not carry over, and it is reported here.
    """
    from cksmodel.policy.patterns import compile_glob, has_variables

    values = applied.fresh
    if not values:
        return ()
    arns = [k.arn for k in applied.account.keys]
    found: list[str] = []
    for policy in _policies(applied.account):
        for statement in policy.statements:
            texts = [
                *(v.text for v in statement.resources or ()),
                *(v.text for v in statement.not_resources or ()),
                *(v.text for c in statement.conditions for v in c.values),
            ]
            for text in texts:
                if not any(ch in text for ch in "*?") or has_variables(text):
                    continue
                glob = compile_glob(text)
                for value in values:
                    token = _TOKEN.search(value)
                    part = token[0] if token is not None else value
                    subjects = [v for v in (*values, *arns) if part in v]
                    if any(
                        glob.match(v.replace(part, a)) != glob.match(v)
                        for v in subjects
                        for a in ALTERNATES
                    ):
                        where = f"{policy.name} statement {statement.index}"
                        found.append(f"{where}: {text} (placeholder {value})")
    return tuple(dict.fromkeys(found))
