"""Simulation scenarios (a request plus the policies around it) to evaluator input."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cksmodel.arguments import ArgumentTypeError, check_type, shown
from cksmodel.concrete.decision import Decision
from cksmodel.concrete.evaluate import evaluate, resource_kind
from cksmodel.concrete.request import Request, parse_principal
from cksmodel.errors import ScenarioError
from cksmodel.policy.ir import GRANT_OPERATIONS, Grant, Policy, PolicySet, PolicyType
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, PDict, PList, decode_document, parse_json
from cksmodel.policy.parse import load_policy, scalar_text
from cksmodel.policy.patterns import ContextValue
from cksmodel.policy.validate import require_valid
from cksmodel.source import Span, read_regular_file

SCENARIO_KEYS = (
    "request",
    "identity_policies",
    "permissions_boundary",
    "session_policy",
    "resource_policy",
    "scps",
    "rcps",
    "vpc_endpoint_policies",
    "grants",
    "management_account",
)
REQUEST_KEYS = (
    "principal",
    "principal_role_arn",
    "action",
    "resource",
    "resource_account",
    "context",
)
GRANT_KEYS = (
    "KeyId",
    "GrantId",
    "Name",
    "CreationDate",
    "GranteePrincipal",
    "RetiringPrincipal",
    "IssuingAccount",
    "Operations",
    "Constraints",
)
_OPERATIONS_LOWER = {op.lower(): op for op in GRANT_OPERATIONS}


class _Reader:
    """Reads one scenario document, reporting problems at their positions."""

    def __init__(self, source: str) -> None:
        self.source = source

    def span(self, container: Any, key: str | int | None = None) -> Span | None:
        pos = None
        if isinstance(container, PDict):
            pos = container.value_pos.get(key) if isinstance(key, str) else container.pos
        elif isinstance(container, PList):
            pos = container.item_pos[key] if isinstance(key, int) else container.pos
        if pos is None:
            return Span(source=self.source, line=1, column=1) if self.source else None
        return Span(source=self.source, line=pos[0], column=pos[1])

    def fail(self, message: str, container: Any, key: str | int | None = None) -> ScenarioError:
        return ScenarioError(message, span=self.span(container, key))

    def keys(self, obj: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
        for key in obj:
            if key not in allowed:
                raise ScenarioError(
                    f"unknown {what} key {key!r}; expected one of {', '.join(allowed)}",
                    span=self._key_span(obj, key),
                )

    def _key_span(self, obj: Mapping[str, Any], key: str) -> Span | None:
        if isinstance(obj, PDict) and key in obj.key_pos:
            line, column = obj.key_pos[key][:2]
            return Span(source=self.source, line=line, column=column)
        return None

    def text(self, obj: Mapping[str, Any], key: str, what: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{what} must be a non-empty string", obj, key)
        return value

    def policy(
        self, value: Any, where: Any, key: str | int, ptype: PolicyType, name: str
    ) -> Policy:
        if not isinstance(value, dict | str):
            raise self.fail(f"{name} must be a policy object or a JSON string", where, key)
        span = self.span(where, key)
        label = f"{span.source}:{span.line}:{span.column} {name}" if span else name
        source = self.source if isinstance(value, dict) else f"{label} (embedded document)"
        if isinstance(value, PDict | str) and self.source:
            # A scenario file: its policies are held to what cksmodel validate calls an ERROR.
            require_valid(value, policy_type=ptype, source=source)
        return load_policy(value, policy_type=ptype, name=name, source=source or name)

    def policies(self, doc: Mapping[str, Any], key: str, ptype: PolicyType) -> tuple[Policy, ...]:
        raw = doc.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(f"{key} must be a list of policies", doc, key)
        return tuple(self.policy(p, raw, i, ptype, f"{key}[{i}]") for i, p in enumerate(raw))

    def levels(
        self, doc: Mapping[str, Any], key: str, ptype: PolicyType
    ) -> tuple[tuple[Policy, ...], ...]:
        raw = doc.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(level, list) for level in raw):
            raise self.fail(
                f"{key} must be a list of organization levels, each a list of policies", doc, key
            )
        return tuple(
            tuple(self.policy(p, level, j, ptype, f"{key}[{i}][{j}]") for j, p in enumerate(level))
            for i, level in enumerate(raw)
        )

    def single(self, doc: Mapping[str, Any], key: str, ptype: PolicyType) -> Policy | None:
        raw = doc.get(key)
        if raw is None or raw == {}:
            return None
        return self.policy(raw, doc, key, ptype, key)

    def context(self, request: Mapping[str, Any]) -> dict[str, ContextValue]:
        raw = request.get("context", {})
        if not isinstance(raw, dict):
            raise self.fail("context must be an object of condition keys", request, "context")
        out: dict[str, ContextValue] = {}
        for key, value in raw.items():
            if isinstance(value, list):
                texts = [scalar_text(v) for v in value]
                if any(t is None for t in texts):
                    raise self.fail(f"context key {key!r} has a non-scalar value", raw, key)
                out[key.lower()] = tuple(t for t in texts if t is not None)
            elif isinstance(value, bool | int | float | str):
                if scalar_text(value) is None:
                    raise self.fail(f"context key {key!r} has too many digits to read", raw, key)
                out[key.lower()] = value
            else:
                raise self.fail(
                    f"context key {key!r} must be a string, number, boolean or list", raw, key
                )
        return out

    def grant(self, raw: Any, grants: Any, index: int) -> Grant:
        if not isinstance(raw, Mapping):
            raise self.fail(
                "a grant must be an object as `aws kms list-grants` prints it", grants, index
            )
        self.keys(raw, GRANT_KEYS, "grant")
        operations = raw.get("Operations")
        if not isinstance(operations, list) or not all(isinstance(o, str) for o in operations):
            raise self.fail("grant Operations must be a list of operation names", raw, "Operations")
        canonical = []
        for op in operations:
            if op.lower() not in _OPERATIONS_LOWER:
                raise self.fail(
                    f"{op!r} is not a grant operation; "
                    f"expected one of {', '.join(GRANT_OPERATIONS)}",
                    raw,
                    "Operations",
                )
            canonical.append(_OPERATIONS_LOWER[op.lower()])
        constraints = raw.get("Constraints") or {}
        if not isinstance(constraints, Mapping):
            raise self.fail("grant Constraints must be an object", raw, "Constraints")
        self.keys(
            constraints, ("EncryptionContextEquals", "EncryptionContextSubset"), "grant constraint"
        )
        pairs: dict[str, tuple[tuple[str, str], ...]] = {}
        for name, ec in constraints.items():
            if not isinstance(ec, Mapping) or not all(isinstance(v, str) for v in ec.values()):
                raise self.fail(
                    f"{name} must map encryption context keys to strings", constraints, name
                )
            pairs[name] = tuple(sorted(ec.items()))
        return Grant(
            index=index,
            key_id=self.text(raw, "KeyId", "grant KeyId"),
            grantee=self.text(raw, "GranteePrincipal", "grant GranteePrincipal"),
            operations=tuple(canonical),
            grant_id=raw.get("GrantId"),
            name=raw.get("Name") or None,
            retiring_principal=raw.get("RetiringPrincipal"),
            encryption_context_equals=pairs.get("EncryptionContextEquals"),
            encryption_context_subset=pairs.get("EncryptionContextSubset"),
            span=self.span(grants, index),
        )

    def scenario(self, doc: Any) -> tuple[Request, PolicySet]:
        if not isinstance(doc, dict):
            raise self.fail("a scenario must be a JSON object", doc)
        if "Statement" in doc and "request" not in doc:
            raise self.fail(
                "this is a policy document, not a scenario: a scenario holds a 'request' and "
                "the policies around it, e.g. 'identity_policies': [the policy]",
                doc,
            )
        self.keys(doc, SCENARIO_KEYS, "scenario")
        request_raw = doc.get("request")
        if not isinstance(request_raw, dict):
            raise self.fail("the scenario needs a 'request' object", doc, "request")
        self.keys(request_raw, REQUEST_KEYS, "request")
        role_arn = request_raw.get("principal_role_arn")
        if role_arn is not None and not isinstance(role_arn, str):
            raise self.fail(
                "principal_role_arn must be a string", request_raw, "principal_role_arn"
            )
        principal = parse_principal(
            self.text(request_raw, "principal", "request.principal"),
            role_arn=role_arn,
            span=self.span(request_raw, "principal"),
        )
        action = self.text(request_raw, "action", "request.action")
        if action.count(":") != 1 or any(ch in action for ch in "*? "):
            raise self.fail(
                f"request.action {action!r} must be one action such as 'kms:Decrypt'",
                request_raw,
                "action",
            )
        resource_account = request_raw.get("resource_account")
        if resource_account is not None and not isinstance(resource_account, str):
            raise self.fail("resource_account must be a string", request_raw, "resource_account")
        request = Request(
            principal=principal,
            action=action,
            resource=self.text(request_raw, "resource", "request.resource"),
            resource_account=resource_account,
            context=self.context(request_raw),
        )
        grants_raw = doc.get("grants") or []
        if not isinstance(grants_raw, list):
            raise self.fail("grants must be a list", doc, "grants")
        management = doc.get("management_account")
        if management is not None and not isinstance(management, str):
            raise self.fail(
                "management_account must be an account id string", doc, "management_account"
            )
        policies = PolicySet(
            identity=self.policies(doc, "identity_policies", PolicyType.IDENTITY),
            boundary=self.single(doc, "permissions_boundary", PolicyType.BOUNDARY),
            session=self.single(doc, "session_policy", PolicyType.SESSION),
            resource=self.single(doc, "resource_policy", resource_kind(request)),
            scps=self.levels(doc, "scps", PolicyType.SCP),
            rcps=self.levels(doc, "rcps", PolicyType.RCP),
            endpoints=self.policies(doc, "vpc_endpoint_policies", PolicyType.ENDPOINT),
            grants=tuple(self.grant(g, grants_raw, i) for i, g in enumerate(grants_raw)),
            management_account=management,
        )
        return request, policies


SCENARIO_FORMS = "a scenario: a dict, JSON text or the path of a scenario file"


def load_scenario(scenario: Mapping[str, Any] | str | Path) -> tuple[Request, PolicySet]:
    """Read a scenario given as Python objects, JSON text or a file path."""
    check_type("scenario", scenario, (Mapping, str, Path), SCENARIO_FORMS)
    if isinstance(scenario, Path) or (
        isinstance(scenario, str) and not scenario.lstrip().startswith("{")
    ):
        path = Path(scenario)
        try:
            data = read_regular_file(path, limit=MAX_DOCUMENT_BYTES)
        except OSError as exc:
            raise ScenarioError(
                f"cannot read scenario file {str(path)!r}: {exc.strerror}",
                span=Span(source=str(path), line=1, column=1),
                code="E_IO",
            ) from None
        source = str(path)
        return _Reader(source).scenario(parse_json(decode_document(data, source), source))
    if isinstance(scenario, str):
        return _Reader("<scenario>").scenario(parse_json(scenario, "<scenario>"))
    return _Reader("").scenario(scenario)


def simulate(scenario: Mapping[str, Any] | str | Path) -> Decision:
    """Decide the scenario's request: ``allowed``, ``explicitDeny`` or ``implicitDeny``."""
    request, policies = load_scenario(scenario)
    return evaluate(request, policies)


PolicySource = PolicySet | Mapping[str, Any] | str | Path
"""What the symbolic questions accept as policies: a :class:`PolicySet`, or a scenario
(dict, JSON text or file path) whose policies are used."""


def as_policies(name: str, value: object) -> PolicySet:
    """The policies an argument stands for: a PolicySet, or the policies of a scenario."""
    if isinstance(value, PolicySet):
        return value
    if isinstance(value, Mapping) and "Statement" in value:
        raise ArgumentTypeError(
            f"{name}: expected a PolicySet or {SCENARIO_FORMS}, not a single policy "
            "document; wrap it in a scenario ({'request': ..., 'identity_policies': [doc]}) "
            "or in PolicySet(identity=(load_policy(doc, ...),))"
        )
    if not isinstance(value, Mapping | str | Path):
        raise ArgumentTypeError(
            f"{name}: expected a PolicySet or {SCENARIO_FORMS}, not {shown(value)}"
        )
    return load_scenario(value)[1]
