"""Values of a plan or template resolved for one account: the ids and ARNs of what the input
creates (the value, or a placeholder when known only after apply), references between its
resources, its policy documents named as the bundle names them, and what could not be
resolved (unresolved) or was assumed, each with its location."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from cksmodel.account.model import (
    Account,
)
from cksmodel.errors import InputError
from cksmodel.infra.applied import PLACEHOLDER_PREFIX, Placeholder
from cksmodel.infra.model import (
    Approximation,
    InfraError,
    Infrastructure,
    Locus,
    PolicyDocument,
    Text,
)
from cksmodel.policy.ir import Policy

__all__ = ["Resolver", "slug"]

_MODELLED = re.compile(r"modelled as '([^']+)'")

_SLUG = re.compile(r"[^A-Za-z0-9]+")


def slug(address: str) -> str:
    """A resource address as a lower-case word of letters, digits and dashes."""
    return _SLUG.sub("-", address).strip("-").lower()


class Resolver:
    """The account being changed, and every placeholder, reference table and approximation."""

    def __init__(self, account: Account, infra: Infrastructure) -> None:
        self.account = account
        self.infra = infra
        self.partition = account.partition
        self.placeholders: dict[tuple[str, str], Placeholder] = {}
        self.unresolved: list[Approximation] = []
        self.assumptions: list[Approximation] = []
        self.changed: list[tuple[str, Locus]] = []
        self.removed: list[Locus] = []
        self.fresh_values: list[str] = []
        self.tables: dict[str, dict[str, str]] = {
            kind: {} for kind in ("key", "policy", "store", "cluster", "role", "user", "group")
        }
        """Per kind, the value each created resource's address stands for."""

    # ------------------------------------------------------------------ values

    def fresh(self, locus: Locus, attribute: str, make: Callable[[str], str]) -> str:
        """The placeholder of an attribute of a resource (the same one every time)."""
        key = (locus.address, attribute)
        if key not in self.placeholders:
            value = make(PLACEHOLDER_PREFIX + slug(locus.address))
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
        """Note a part that cannot be applied."""
        self.unresolved.append(Approximation(location=locus, message=message))

    def assume(self, locus: Locus, message: str) -> None:
        """Note what applying takes as given."""
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
        for item in doc.approximations:
            self.classify(item)
        return replace(policy, name=name)

    def arn(self, kind: str, path: str, name: str) -> str:
        """An IAM ARN of the account."""
        return f"arn:{self.partition}:iam::{self.account.account_id}:{kind}{path}{name}"

    def _key_arn(self, key_id: str) -> Callable[[str], str]:
        """Makes the ARN of a key (the placeholder made is the key's id)."""
        account, region = self.account.account_id, self.infra.region
        return lambda _: f"arn:{self.partition}:kms:{region}:{account}:key/{key_id}"

    def _policy_arn(self, name: str) -> Callable[[str], str]:
        """Makes a managed policy's ARN from a placeholder path and its name."""
        return lambda placeholder: self.arn("policy", f"/{placeholder}/", name)

    def classify(self, item: Approximation) -> None:
        """A reader's own stand-in: a value CloudFormation fixes at deploy, modelled as a
        fresh value, is kept (an assumption, its value checked by the placeholder test);
        anything else (a parameter without value, a reference to nothing known) is
        unresolved."""
        modelled = _MODELLED.search(item.message)
        if modelled is not None and "unresolved-" not in modelled[1]:
            self.fresh_values.append(modelled[1])
            self.assumptions.append(item)
        else:
            self.unresolved.append(item)

    def read_approximations(self) -> None:
        """A template reader's stand-ins (:meth:`classify`); a plan's unknowns are
        :class:`Unknown` values, resolved where they are used."""
        if self.infra.kind == "cloudformation":
            for item in self.infra.approximations:
                self.classify(item)

    def register(self) -> None:
        """Give every created resource its id or ARN first, so references resolve in any order."""
        infra, tables = self.infra, self.tables
        for key in infra.keys:
            key_id = self.own(key.key_id, key.location, "key_id", str)
            tables["key"][key.location.address] = key_id
        for mp in infra.managed_policies:
            if not isinstance(mp.arn, str) and isinstance(mp.name, str) and mp.path is not None:
                arn = self.arn("policy", mp.path, mp.name)
                self.assume(
                    mp.location, f"arn is known after apply; derived from the name and path: {arn}"
                )
            else:
                name = mp.name if isinstance(mp.name, str) else slug(mp.location.address)
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
