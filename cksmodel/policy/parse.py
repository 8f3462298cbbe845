"""Policy documents (positioned JSON or plain Python objects) to the IR.

One builder serves both inputs: values from :mod:`cksmodel.policy.jsontext` carry
positions, ``json.loads`` output does not. Structural problems raise a
:class:`PolicyError` at the first one, or, when a findings list is given, are
recorded there and building continues so ``validate`` can report them all.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cksmodel.errors import PolicyError
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.ir import (
    VERSION_2008,
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalSet,
    Qualifier,
    Statement,
    Value,
)
from cksmodel.policy.jsontext import PDict, PList, Pos, decode_document, parse_json
from cksmodel.source import Span

OPERATOR_FAMILIES: dict[str, str] = {
    **{
        op: "String"
        for op in (
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        )
    },
    **{
        f"{family}{rel}": family
        for family in ("Numeric", "Date")
        for rel in (
            "Equals",
            "NotEquals",
            "LessThan",
            "LessThanEquals",
            "GreaterThan",
            "GreaterThanEquals",
        )
    },
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "Ip",
    "NotIpAddress": "Ip",
    "ArnEquals": "Arn",
    "ArnLike": "Arn",
    "ArnNotEquals": "Arn",
    "ArnNotLike": "Arn",
    "Null": "Null",
}
"""Every base condition operator, with its value family."""

_OPERATORS_LOWER = {op.lower(): op for op in OPERATOR_FAMILIES}

POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_KEYS = ("AWS", "Service", "Federated", "CanonicalUser")

PRINCIPAL_REQUIRED = frozenset(
    {PolicyType.RESOURCE, PolicyType.TRUST, PolicyType.KEY, PolicyType.RCP, PolicyType.ENDPOINT}
)
PRINCIPAL_FORBIDDEN = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.SCP}
)
RESOURCE_OPTIONAL = frozenset({PolicyType.TRUST, PolicyType.SCP})


class _Builder:
    """Carries the source name and the findings sink through one build."""

    def __init__(self, source: str, findings: list[Finding] | None) -> None:
        self.source = source
        self.findings = findings

    def span(self, pos: Pos | None) -> Span | None:
        if pos is None:
            return None
        return Span(
            source=self.source, line=pos[0], column=pos[1], end_line=pos[2], end_column=pos[3]
        )

    def problem(
        self,
        code: str,
        message: str,
        pos: Pos | None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        if self.findings is None:
            if severity is not Severity.ERROR:
                return
            raise PolicyError(message, span=self.span(pos), code=code)
        self.findings.append(
            Finding(code=code, severity=severity, message=message, span=self.span(pos))
        )

    def unknown_keys(
        self, obj: Mapping[str, Any], allowed: tuple[str, ...], what: str, code: str
    ) -> None:
        for key in obj:
            if key not in allowed:
                close = [a for a in allowed if a.lower() == key.lower()]
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; expected one of {', '.join(allowed)}"
                )
                self.problem(code, f"unknown {what} element {key!r}{hint}", _key_pos(obj, key))

    def strings(self, obj: Mapping[str, Any], key: str, what: str) -> tuple[Value, ...]:
        """A string-or-list-of-strings element as positioned values."""
        raw = obj[key]
        pos = _value_pos(obj, key)
        if isinstance(raw, str):
            return (Value(text=raw, span=self.span(pos)),)
        if isinstance(raw, list):
            out = []
            for i, item in enumerate(raw):
                ipos = _item_pos(raw, i) or pos
                if isinstance(item, str):
                    out.append(Value(text=item, span=self.span(ipos)))
                else:
                    self.problem(
                        "E_TYPE", f"{what} values must be strings, not {_kind(item)}", ipos
                    )
            return tuple(out)
        self.problem(
            "E_TYPE", f"{what} must be a string or a list of strings, not {_kind(raw)}", pos
        )
        return ()

    def policy(self, doc: Any, policy_type: PolicyType, name: str) -> Policy:
        if not isinstance(doc, Mapping):
            self.problem("E_TYPE", f"a policy must be a JSON object, not {_kind(doc)}", _pos(doc))
            return Policy(name=name, policy_type=policy_type, version=None, id=None, statements=())
        self.unknown_keys(doc, POLICY_KEYS, "policy", "E_UNKNOWN_ELEMENT")
        version = doc.get("Version")
        if version is not None and version not in (VERSION_2012, VERSION_2008):
            self.problem(
                "E_VERSION",
                f"Version must be {VERSION_2012!r} or {VERSION_2008!r}, not {version!r}",
                _value_pos(doc, "Version"),
            )
            version = None
        policy_id = doc.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.problem("E_TYPE", "Id must be a string", _value_pos(doc, "Id"))
            policy_id = None
        statements: list[Statement] = []
        if "Statement" not in doc:
            self.problem("E_MISSING_STATEMENT", "the policy has no Statement element", _pos(doc))
        else:
            raw = doc["Statement"]
            if isinstance(raw, Mapping):
                items: list[tuple[Any, Pos | None]] = [(raw, _value_pos(doc, "Statement"))]
            elif isinstance(raw, list):
                items = [(s, _item_pos(raw, i)) for i, s in enumerate(raw)]
            else:
                items = []
                self.problem(
                    "E_TYPE",
                    f"Statement must be an object or a list of objects, not {_kind(raw)}",
                    _value_pos(doc, "Statement"),
                )
            for index, (item, pos) in enumerate(items):
                built = self.statement(item, pos, index, policy_type)
                if built is not None:
                    statements.append(built)
        return Policy(
            name=name,
            policy_type=policy_type,
            version=version,
            id=policy_id,
            statements=tuple(statements),
            span=self.span(_pos(doc)),
        )

    def statement(
        self, raw: Any, pos: Pos | None, index: int, policy_type: PolicyType
    ) -> Statement | None:
        if not isinstance(raw, Mapping):
            self.problem("E_TYPE", f"a statement must be an object, not {_kind(raw)}", pos)
            return None
        self.unknown_keys(raw, STATEMENT_KEYS, "statement", "E_UNKNOWN_ELEMENT")
        sid = raw.get("Sid")
        if sid is not None and not isinstance(sid, str):
            self.problem("E_TYPE", "Sid must be a string", _value_pos(raw, "Sid"))
            sid = None
        effect_raw = raw.get("Effect")
        if effect_raw is None:
            self.problem("E_MISSING_EFFECT", "the statement has no Effect", pos)
            return None
        if effect_raw not in ("Allow", "Deny"):
            self.problem(
                "E_EFFECT",
                f"Effect must be 'Allow' or 'Deny' (case-sensitive), not {effect_raw!r}",
                _value_pos(raw, "Effect"),
            )
            return None
        effect = Effect(effect_raw)

        actions: tuple[Value, ...] = ()
        not_actions: tuple[Value, ...] | None = None
        if "Action" in raw and "NotAction" in raw:
            self.problem(
                "E_ACTION_AND_NOTACTION",
                "a statement cannot have both Action and NotAction",
                _key_pos(raw, "NotAction"),
            )
        if "Action" in raw:
            actions = self.strings(raw, "Action", "Action")
        elif "NotAction" in raw:
            not_actions = self.strings(raw, "NotAction", "NotAction")
        else:
            self.problem("E_MISSING_ACTION", "the statement has no Action or NotAction", pos)

        resources: tuple[Value, ...] | None = None
        not_resources: tuple[Value, ...] | None = None
        if "Resource" in raw and "NotResource" in raw:
            self.problem(
                "E_RESOURCE_AND_NOTRESOURCE",
                "a statement cannot have both Resource and NotResource",
                _key_pos(raw, "NotResource"),
            )
        if "Resource" in raw:
            resources = self.strings(raw, "Resource", "Resource")
        elif "NotResource" in raw:
            not_resources = self.strings(raw, "NotResource", "NotResource")
        elif policy_type not in RESOURCE_OPTIONAL:
            self.problem("E_MISSING_RESOURCE", "the statement has no Resource or NotResource", pos)

        principal = not_principal = None
        if "Principal" in raw and "NotPrincipal" in raw:
            self.problem(
                "E_PRINCIPAL_AND_NOTPRINCIPAL",
                "a statement cannot have both Principal and NotPrincipal",
                _key_pos(raw, "NotPrincipal"),
            )
        has_principal = "Principal" in raw or "NotPrincipal" in raw
        if has_principal and policy_type in PRINCIPAL_FORBIDDEN:
            key = "Principal" if "Principal" in raw else "NotPrincipal"
            self.problem(
                "E_PRINCIPAL_NOT_ALLOWED",
                f"{key} is not allowed in {_article(policy_type)} policy",
                _key_pos(raw, key),
            )
        elif not has_principal and policy_type in PRINCIPAL_REQUIRED:
            self.problem(
                "E_MISSING_PRINCIPAL",
                f"a statement of {_article(policy_type)} policy needs a Principal or NotPrincipal",
                pos,
            )
        if "Principal" in raw:
            principal = self.principal(raw, "Principal")
        elif "NotPrincipal" in raw:
            not_principal = self.principal(raw, "NotPrincipal")

        conditions: tuple[Condition, ...] = ()
        if "Condition" in raw:
            conditions = self.conditions(raw)
        return Statement(
            index=index,
            sid=sid,
            effect=effect,
            principal=principal,
            not_principal=not_principal,
            actions=actions,
            not_actions=not_actions,
            resources=resources,
            not_resources=not_resources,
            conditions=conditions,
            span=self.span(pos),
        )

    def principal(self, raw: Mapping[str, Any], key: str) -> PrincipalSet:
        value = raw[key]
        pos = _value_pos(raw, key)
        if value == "*":
            return PrincipalSet(wildcard=True, span=self.span(pos))
        if not isinstance(value, Mapping):
            self.problem(
                "E_PRINCIPAL",
                f'{key} must be "*" or an object with AWS, Service, Federated or CanonicalUser',
                pos,
            )
            return PrincipalSet(span=self.span(pos))
        self.unknown_keys(value, PRINCIPAL_KEYS, key, "E_PRINCIPAL")
        kinds = {k: self.strings(value, k, f"{key}.{k}") for k in PRINCIPAL_KEYS if k in value}
        return PrincipalSet(
            aws=kinds.get("AWS", ()),
            service=kinds.get("Service", ()),
            federated=kinds.get("Federated", ()),
            canonical_user=kinds.get("CanonicalUser", ()),
            span=self.span(pos),
        )

    def conditions(self, raw: Mapping[str, Any]) -> tuple[Condition, ...]:
        block = raw["Condition"]
        if not isinstance(block, Mapping):
            self.problem(
                "E_TYPE", "Condition must be an object of operators", _value_pos(raw, "Condition")
            )
            return ()
        out: list[Condition] = []
        for op_text, entries in block.items():
            op_pos = _key_pos(block, op_text)
            parsed = parse_operator(op_text)
            if parsed is None:
                self.problem(
                    "E_UNKNOWN_OPERATOR", f"unknown condition operator {op_text!r}", op_pos
                )
                continue
            base, qualifier, if_exists = parsed
            if base == "Null" and (if_exists or qualifier is not Qualifier.NONE):
                self.problem(
                    "E_UNKNOWN_OPERATOR",
                    "Null takes neither IfExists nor ForAllValues/ForAnyValue",
                    op_pos,
                )
                continue
            if not isinstance(entries, Mapping):
                self.problem(
                    "E_TYPE",
                    f"{op_text} must map condition keys to values",
                    _value_pos(block, op_text),
                )
                continue
            seen: dict[str, str] = {}
            for key in entries:
                if key.lower() in seen:
                    self.problem(
                        "E_DUPLICATE_KEY",
                        f"condition key {key!r} repeats {seen[key.lower()]!r} "
                        "(condition key names are case-insensitive)",
                        _key_pos(entries, key),
                    )
                    continue
                seen[key.lower()] = key
                out.append(
                    Condition(
                        operator=op_text,
                        base=base,
                        qualifier=qualifier,
                        if_exists=if_exists,
                        key=key,
                        values=self.condition_values(entries, key),
                        span=self.span(_key_pos(entries, key)),
                    )
                )
        return tuple(out)

    def condition_values(self, entries: Mapping[str, Any], key: str) -> tuple[Value, ...]:
        raw = entries[key]
        pos = _value_pos(entries, key)
        items = raw if isinstance(raw, list) else [raw]
        out = []
        for i, item in enumerate(items):
            ipos = (_item_pos(raw, i) if isinstance(raw, list) else None) or pos
            text = scalar_text(item)
            if text is None and isinstance(item, int):
                self.problem("E_NUMBER", "the number has too many digits to read", ipos)
                continue
            if text is None:
                self.problem(
                    "E_TYPE",
                    f"condition values must be strings, numbers or booleans, not {_kind(item)}",
                    ipos,
                )
                continue
            out.append(Value(text=text, span=self.span(ipos)))
        return tuple(out)


@lru_cache(maxsize=512)
def parse_operator(text: str) -> tuple[str, Qualifier, bool] | None:
    """Split ``[ForAllValues:|ForAnyValue:]Base[IfExists]`` into its parts."""
    qualifier = Qualifier.NONE
    rest = text
    prefix, sep, tail = text.partition(":")
    if sep:
        for q in (Qualifier.FOR_ALL_VALUES, Qualifier.FOR_ANY_VALUE):
            if prefix.lower() == q.value.lower():
                qualifier, rest = q, tail
                break
        else:
            return None
    if_exists = rest.lower().endswith("ifexists")
    if if_exists:
        rest = rest[: -len("IfExists")]
    base = _OPERATORS_LOWER.get(rest.lower())
    if base is None:
        return None
    return base, qualifier, if_exists


def scalar_text(item: Any) -> str | None:
    """A JSON scalar as the text AWS compares (``true``, ``42``, ``1.5``); ``None`` for
    anything else, and for an integer beyond the interpreter's digit limit."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str):
        return item
    if isinstance(item, int | float):
        try:
            return json.dumps(item)
        except ValueError:
            return None
    return None


def _article(policy_type: PolicyType) -> str:
    word = policy_type.value
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "a string"


def _pos(value: Any) -> Pos | None:
    return value.pos if isinstance(value, PDict | PList) else None


def _key_pos(obj: Mapping[str, Any], key: str) -> Pos | None:
    return obj.key_pos.get(key) if isinstance(obj, PDict) else None


def _value_pos(obj: Mapping[str, Any], key: str) -> Pos | None:
    return obj.value_pos.get(key) if isinstance(obj, PDict) else None


def _item_pos(arr: Any, index: int) -> Pos | None:
    return arr.item_pos[index] if isinstance(arr, PList) else None


def build_policy(
    doc: Any,
    *,
    policy_type: PolicyType,
    name: str,
    source: str | None = None,
    findings: list[Finding] | None = None,
) -> Policy:
    """Build the IR of one policy document (positioned JSON or plain objects)."""
    return _Builder(source or name, findings).policy(doc, policy_type, name)


_EMBEDDED_URL = re.compile(r"^\s*%7B", re.IGNORECASE)


def unwrap_document_text(text: str) -> str:
    """Undo the URL encoding that IAM applies to documents it returns."""
    if _EMBEDDED_URL.match(text):
        return urllib.parse.unquote(text)
    return text


@lru_cache(maxsize=4096)
def policy_from_text(
    text: str, *, policy_type: PolicyType, name: str, source: str | None = None
) -> Policy:
    """Parse and build a policy from JSON text; cached, since accounts reuse documents.

    The text may itself be a JSON string holding the document, or URL-encoded,
    as ``aws iam get-account-authorization-details`` returns them.
    """
    label = source or name
    value = parse_json(unwrap_document_text(text), label)
    if isinstance(value, str):
        label = f"{label} (embedded document)"
        value = parse_json(unwrap_document_text(value), label)
    return build_policy(value, policy_type=policy_type, name=name, source=label)


def policy_from_bytes(data: bytes, *, policy_type: PolicyType, name: str, source: str) -> Policy:
    """Decode, parse and build a policy file."""
    return policy_from_text(
        decode_document(data, source), policy_type=policy_type, name=name, source=source
    )


_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=4096)
def _policy_from_canonical(
    canonical: str, policy_type: PolicyType, name: str, source: str | None
) -> Policy:
    return build_policy(json.loads(canonical), policy_type=policy_type, name=name, source=source)


def load_policy(
    value: Any, *, policy_type: PolicyType, name: str, source: str | None = None
) -> Policy:
    """A policy given as Python objects, positioned JSON, or JSON text.

    Plain Python objects carry no positions, so their IR is cached under their
    JSON text: the same managed policy attached to many principals is built once.
    """
    if isinstance(value, str):
        return policy_from_text(value, policy_type=policy_type, name=name, source=source)
    if isinstance(value, dict) and not isinstance(value, PDict):
        try:
            canonical = _CANONICAL.encode(value)
        except (TypeError, ValueError):
            return build_policy(value, policy_type=policy_type, name=name, source=source)
        return _policy_from_canonical(canonical, policy_type, name, source)
    return build_policy(value, policy_type=policy_type, name=name, source=source)
