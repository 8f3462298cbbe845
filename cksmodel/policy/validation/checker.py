"""One document under validation: the state every check reads and where findings go.

The checks in ``limits``, ``structure`` and the ``*_checks`` modules are plain
functions of a :class:`Checker`; it owns what they share, so no check keeps
state of its own: the built policy and its JSON, the findings list, the values
too long to check, and the catalog look-ups cached for this one document. The
message and position helpers and the patterns several checks use live here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cksmodel.policy.catalog import ActionInfo, Catalog, get_catalog
from cksmodel.policy.findings import Finding
from cksmodel.policy.ir import (
    VERSION_2008,
    Condition,
    Policy,
    PolicyKind,
    PolicyType,
    PrincipalSet,
    Value,
)
from cksmodel.policy.jsontext import PDict, PList, Pos
from cksmodel.policy.patterns import compile_glob
from cksmodel.policy.validation.codes import FINDING_CODES
from cksmodel.source import Span

# A wildcard in a pattern; an account ID (used by the principal, resource and condition checks).
WILDCARD: Final = re.compile(r"[*?]")
ACCOUNT: Final = re.compile(r"[0-9]{12}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Checker:
    """The policy being validated, its positioned JSON and text, and the findings so far."""

    policy: Policy
    doc: Any
    text: str
    label: str
    findings: list[Finding]
    version_missing: bool
    variables_literal: bool
    kind: PolicyKind | None = None
    too_long: set[int] = field(default_factory=set)
    _resolved: dict[str, tuple[ActionInfo, ...] | None] = field(
        default_factory=dict, init=False, repr=False
    )
    _keys: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def for_document(
        cls,
        policy: Policy,
        doc: Any,
        text: str,
        label: str,
        findings: list[Finding],
        kind: PolicyKind | None = None,
    ) -> Checker:
        """A checker for ``policy``, built from ``doc`` (its positioned JSON) and ``text``."""
        raw_version = doc.get("Version") if isinstance(doc, Mapping) else None
        version_missing = isinstance(doc, Mapping) and "Version" not in doc
        return cls(
            policy=policy,
            doc=doc,
            text=text,
            label=label,
            findings=findings,
            version_missing=version_missing,
            variables_literal=version_missing or raw_version == VERSION_2008,
            kind=kind,
        )

    @property
    def type(self) -> PolicyType:
        return self.policy.policy_type

    @property
    def catalog(self) -> Catalog:
        return get_catalog()

    def add(self, code: str, message: str, where: Span | Pos | None) -> None:
        severity = FINDING_CODES[code][0]
        span = where if isinstance(where, Span) or where is None else _span(self.label, where)
        self.findings.append(Finding(code=code, severity=severity, message=message, span=span))

    def usable(self, item: Value | Condition) -> bool:
        return id(item) not in self.too_long

    def resolve(self, pattern: str) -> tuple[ActionInfo, ...] | None:
        """The actions a well-formed pattern of a known service matches; ``None`` otherwise.

        ``"*"`` is ``None`` too: it matches everything and is never expanded.
        Wildcards are matched with the linear glob of :mod:`cksmodel.policy.patterns`.
        """
        key = pattern.lower()
        if key in self._resolved:
            return self._resolved[key]
        service, sep, name = key.partition(":")
        result: tuple[ActionInfo, ...] | None
        if (
            not sep
            or not service
            or not name
            or ":" in name
            or WILDCARD.search(service)
            or not self.catalog.has_service(service)
        ):
            result = None
        elif not WILDCARD.search(name):
            info = self.catalog.action(key)
            result = () if info is None else (info,)
        else:
            glob = compile_glob(name, True)
            found = (
                self.catalog.action(full)
                for full in self.catalog.actions_of(service)
                if glob.match(full.partition(":")[2])
            )
            result = tuple(info for info in found if info is not None)
        self._resolved[key] = result
        return result

    def keys_of(self, pattern: str) -> frozenset[str]:
        """Lower-case condition keys supported by any action a pattern matches (cached)."""
        key = pattern.lower()
        found = self._keys.get(key)
        if found is None:
            found = frozenset(
                k.lower() for a in self.resolve(pattern) or () for k in a.condition_keys
            )
            self._keys[key] = found
        return found


def short(text: str, limit: int = 60) -> str:
    """A value quoted for a message, cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


def key_pos(obj: Any, key: str) -> Pos | None:
    return obj.key_pos.get(key) if isinstance(obj, PDict) else None


def value_pos(obj: Any, key: str) -> Pos | None:
    return obj.value_pos.get(key) if isinstance(obj, PDict) else None


def node_pos(value: Any) -> Pos | None:
    return value.pos if isinstance(value, PDict | PList) else None


def principal_values(pset: PrincipalSet | None) -> tuple[Value, ...]:
    if pset is None:
        return ()
    return pset.aws + pset.service + pset.federated + pset.canonical_user


def _span(source: str, pos: Pos) -> Span:
    return Span(source=source, line=pos[0], column=pos[1], end_line=pos[2], end_column=pos[3])
