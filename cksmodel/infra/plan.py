"""A Terraform plan's resources and values, as :mod:`cksmodel.infra.terraform` reads them.

:class:`Plan` walks ``planned_values`` (the root module and every ``child_modules`` level) and
``prior_state`` (data sources read while planning), joined by address with
``resource_changes`` for what is known only after apply (``after_unknown``) and what is
sensitive (``after_sensitive``); ``configuration`` says which resource an expression
references. A value known only after apply, or sensitive, is an
:class:`~cksmodel.infra.model.Unknown` noted as an approximation; a sensitive value is never
read, so no output can print it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cksmodel.infra.model import (
    DEFAULT_REGION,
    PLACEHOLDER_ACCOUNT,
    Approximation,
    InfraError,
    Locus,
    PolicyDocument,
    ReadOptions,
    Text,
    Unknown,
    partition_of,
)
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.jsontext import PDict, Pos
from cksmodel.source import Span

__all__ = ["Plan", "PlanResource"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanResource:
    """One resource instance of the plan: its values and what is unknown or sensitive."""

    address: str
    module: str
    mode: str
    type: str
    values: PDict
    unknown: Any
    sensitive: Any
    pos: Pos | None

    def attribute_pos(self, key: str) -> Pos | None:
        return self.values.value_pos.get(key) or self.pos


def _walk_modules(module: Any) -> Iterator[tuple[str, PDict, PDict]]:
    """(module address, module object, resource) for every resource of a module tree."""
    if not isinstance(module, PDict):
        return
    address = str(module.get("address", ""))
    for item in module.get("resources") or ():
        if isinstance(item, PDict):
            yield address, module, item
    for child in module.get("child_modules") or ():
        yield from _walk_modules(child)


class Plan:
    """One plan being read: its resources, their values, and the approximations noted."""

    def __init__(self, root: PDict, source: str, options: ReadOptions) -> None:
        self.root = root
        self.source = source
        self.options = options
        self.approximations: list[Approximation] = []
        self.policies: list[PolicyDocument] = []
        self.changes: dict[str, PDict] = {}
        for change in root.get("resource_changes") or ():
            if isinstance(change, PDict) and isinstance(change.get("address"), str):
                self.changes[change["address"]] = change
        self.references = self._references()
        self.account_id = self.region = self.partition = ""
        """Set by :meth:`pseudo`, before any resource is read."""

    def fail(self, pos: Pos | None, message: str) -> InfraError:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return InfraError(message, span=Span(source=self.source, line=line, column=column))

    def locus(self, address: str, pos: Pos | None) -> Locus:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return Locus(
            source=self.source,
            address=address,
            span=Span(source=self.source, line=line, column=column),
        )

    # --- configuration: which resource an expression references -------------------------

    def _references(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(configuration address, attribute) to the resources its expression references."""
        out: dict[tuple[str, str], tuple[str, ...]] = {}
        config = self.root.get("configuration")
        if not isinstance(config, Mapping):
            return out

        def visit(module: Any, prefix: str) -> None:
            if not isinstance(module, Mapping):
                return
            for resource in module.get("resources") or ():
                if not isinstance(resource, Mapping):
                    continue
                address = f"{prefix}{resource.get('address', '')}"
                for attr, expr in (resource.get("expressions") or {}).items():
                    refs = expr.get("references") if isinstance(expr, Mapping) else None
                    if isinstance(refs, list):
                        out[(address, attr)] = tuple(
                            dict.fromkeys(_resource_ref(prefix, str(r)) for r in refs if _is_ref(r))
                        )
            for name, call in (module.get("module_calls") or {}).items():
                if isinstance(call, Mapping):
                    visit(call.get("module"), f"{prefix}module.{name}.")

        visit(config.get("root_module"), "")
        return out

    def _config_address(self, resource: PlanResource) -> str:
        """The resource's address without instance keys (``module.m.aws_x.y``)."""
        parts: list[str] = []
        for part in _split_address(resource.address):
            parts.append(part.split("[", 1)[0])
        return ".".join(parts)

    # --- values -----------------------------------------------------------------------------

    def resources(self) -> Iterator[PlanResource]:
        seen: set[str] = set()
        planned = self.root.get("planned_values")
        prior = self.root.get("prior_state")
        trees: list[Any] = []
        if isinstance(planned, Mapping):
            trees.append(planned.get("root_module"))
        if isinstance(prior, Mapping) and isinstance(prior.get("values"), Mapping):
            trees.append(prior["values"].get("root_module"))
        for index, tree in enumerate(trees):
            for module, _, item in _walk_modules(tree):
                address = item.get("address")
                if not isinstance(address, str) or address in seen:
                    continue
                if index > 0 and item.get("mode") != "data":
                    continue
                seen.add(address)
                yield self._resource(address, module, item)
        for address, change in self.changes.items():
            if address in seen or not isinstance(change.get("change"), PDict):
                continue
            actions = change["change"].get("actions") or []
            if "delete" in actions and "create" not in actions:
                continue
            seen.add(address)
            yield self._resource(address, str(change.get("module_address", "")), change)

    def _resource(self, address: str, module: str, item: PDict) -> PlanResource:
        change = self.changes.get(address)
        body = change.get("change") if change is not None else None
        values = item.get("values")
        unknown: Any = {}
        sensitive: Any = item.get("sensitive_values", {})
        if isinstance(body, PDict):
            unknown = body.get("after_unknown", {})
            sensitive = body.get("after_sensitive", sensitive)
            if not isinstance(values, PDict) and isinstance(body.get("after"), PDict):
                values = body["after"]
        if not isinstance(values, PDict):
            values = PDict()
            values.pos = item.pos
        return PlanResource(
            address=address,
            module=module,
            mode=str(item.get("mode", "managed")),
            type=str(item.get("type", "")),
            values=values,
            unknown=unknown,
            sensitive=sensitive,
            pos=item.pos,
        )

    def value(self, r: PlanResource, key: str) -> Any:
        """The attribute's value, or an :class:`Unknown` (after apply, or sensitive)."""
        if _flag(r.sensitive, key):
            return self._unknown(r, key, "sensitive")
        if _flag(r.unknown, key) and r.values.get(key) is None:
            return self._unknown(r, key, "known after apply")
        return r.values.get(key)

    def _unknown(self, r: PlanResource, key: str, reason: str) -> Unknown:
        refs = self.references.get((self._config_address(r), key), ())
        found = Unknown(address=r.address, attribute=key, reason=reason, references=refs)
        note = Approximation(
            location=self.locus(r.address, r.attribute_pos(key)),
            message=f"{key} is {reason}"
            + (f" (from {', '.join(refs)})" if refs else "")
            + ("; its value is not read" if reason == "sensitive" else "; not guessed"),
        )
        if note not in self.approximations:
            self.approximations.append(note)
        return found

    def text(self, r: PlanResource, key: str) -> Text | None:
        found = self.value(r, key)
        if found is None or isinstance(found, Unknown):
            return found
        if isinstance(found, Mapping | list):
            raise self.fail(r.attribute_pos(key), f"{r.address}: {key} must be a string")
        return str(found).lower() if isinstance(found, bool) else str(found)

    def texts(self, r: PlanResource, key: str) -> tuple[Text, ...]:
        found = self.value(r, key)
        if found is None:
            return ()
        if isinstance(found, Unknown):
            return (found,)
        if not isinstance(found, list):
            raise self.fail(r.attribute_pos(key), f"{r.address}: {key} must be a list")
        flags = r.unknown.get(key) if isinstance(r.unknown, Mapping) else None
        out: list[Text] = []
        for index, item in enumerate(found):
            if isinstance(flags, list) and index < len(flags) and flags[index] is True:
                out.append(self._unknown(r, f"{key}[{index}]", "known after apply"))
            elif item is not None:
                out.append(str(item))
        return tuple(out)

    def rendered(self, references: tuple[str, ...]) -> str | None:
        """The ``json`` of the one ``aws_iam_policy_document`` data source an unknown policy
        attribute references, when the plan has it rendered (read while planning)."""
        sources = [ref for ref in references if ref.split(".")[-3:-2] == ["data"]]
        sources = [ref for ref in sources if ".aws_iam_policy_document." in f".{ref}"]
        if len(sources) != 1 or len(references) != 1:
            return None
        for r in self.resources():
            if r.mode == "data" and self._config_address(r) == sources[0]:
                found = r.values.get("json")
                if isinstance(found, str) and not _flag(r.unknown, "json"):
                    return None if _flag(r.sensitive, "json") else found
        return None

    def document(
        self,
        r: PlanResource,
        key: str,
        policy_type: PolicyType,
        *,
        name: str | None = None,
        public_type: str | None = None,
        container: PDict | None = None,
        sensitive: Any = None,
        unknown: Any = None,
        targets: tuple[Text, ...] = (),
    ) -> PolicyDocument | None:
        """The policy held (as JSON text) in attribute ``key`` of the resource, or of
        ``container`` (an item of a nested block, with its own flags)."""
        holder = r.values if container is None else container
        flags_s = r.sensitive if container is None else sensitive
        flags_u = r.unknown if container is None else unknown
        pos = holder.value_pos.get(key) or holder.pos or r.pos
        missing: Unknown | None = None
        text = holder.get(key)
        if _flag(flags_s, key):
            missing, text = self._unknown(r, key, "sensitive"), None
        elif _flag(flags_u, key) and text is None:
            refs = self.references.get((self._config_address(r), key), ())
            text = self.rendered(refs)
            if text is None:
                missing = self._unknown(r, key, "known after apply")
        elif text in (None, ""):
            return None
        if text is not None and not isinstance(text, str | PDict):
            raise self.fail(pos, f"{r.address}: {key} must be a JSON policy document string")
        doc = PolicyDocument(
            resource=r.address,
            resource_type=r.type,
            name=name or key,
            policy_type=policy_type,
            location=self.locus(r.address, holder.key_pos.get(key) or pos),
            document=text,
            unknown=missing,
            approximations=(
                ()
                if missing is None
                else tuple(a for a in self.approximations if a.location.address == r.address)
            ),
            public_type=public_type,
            targets=targets,
        )
        self.policies.append(doc)
        return doc

    # --- resources ---------------------------------------------------------------------------
    def config_key(self, address: str) -> str:
        return ".".join(part.split("[", 1)[0] for part in _split_address(address))

    def _provider_region(self) -> str | None:
        """The Region the configuration's default ``aws`` provider is given as a constant."""
        config = self.root.get("configuration")
        providers = config.get("provider_config") if isinstance(config, Mapping) else None
        aws = providers.get("aws") if isinstance(providers, Mapping) else None
        return _constant(aws.get("expressions"), "region") if isinstance(aws, Mapping) else None

    def pseudo(self) -> tuple[str, str, str]:
        """Account, Region and partition: the options, else the plan's ``aws_caller_identity``
        / ``aws_region`` / ``aws_partition`` data sources (and the provider's constant
        ``region``), else placeholders (noted)."""
        found: dict[str, str] = {}
        for r in self.resources():
            if r.mode != "data":
                continue
            for rtype, key, attr in (
                ("aws_caller_identity", "account", "account_id"),
                ("aws_region", "region", "name"),
                ("aws_partition", "partition", "partition"),
            ):
                value = r.values.get(attr)
                if r.type == rtype and isinstance(value, str) and not _flag(r.sensitive, attr):
                    found.setdefault(key, value)
        account = self.options.account_id or found.get("account")
        region = self.options.region or found.get("region") or self._provider_region()
        root_pos = self.root.pos
        if account is None:
            account = PLACEHOLDER_ACCOUNT
            self.approximations.append(
                Approximation(
                    location=self.locus("plan", root_pos),
                    message=f"no --account-id and no aws_caller_identity: account {account} "
                    "is a placeholder",
                )
            )
        if region is None:
            region = DEFAULT_REGION
            self.approximations.append(
                Approximation(
                    location=self.locus("plan", root_pos),
                    message=f"no --region and no aws_region: Region {region} is a placeholder",
                )
            )
        partition = self.options.partition or found.get("partition") or partition_of(region)
        self.account_id, self.region, self.partition = account, region, partition
        return account, region, partition


def _constant(expressions: Any, key: str) -> str | None:
    expr = expressions.get(key) if isinstance(expressions, Mapping) else None
    value = expr.get("constant_value") if isinstance(expr, Mapping) else None
    return value if isinstance(value, str) else None


def _is_ref(text: Any) -> bool:
    return isinstance(text, str) and not text.startswith(
        ("var.", "local.", "each.", "count.", "path.", "terraform.", "self.")
    )


def _resource_ref(prefix: str, text: str) -> str:
    """A reference as the resource it names, with the module path: ``aws_kms_key.k.arn``
    in module ``m`` is ``module.m.aws_kms_key.k``."""
    parts = _split_address(text)
    size = 2 if parts[0] != "data" else 3
    return prefix + ".".join(p.split("[", 1)[0] for p in parts[:size])


def _split_address(address: str) -> list[str]:
    """An address split at dots outside brackets (``aws_x.y["a.b"]`` stays whole)."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(address):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "." and depth == 0:
            parts.append(address[start:i])
            start = i + 1
    parts.append(address[start:])
    return parts


def _flag(flags: Any, key: str) -> bool:
    """Whether ``after_unknown`` / ``after_sensitive`` marks the attribute (wholly or inside)."""
    if flags is True:
        return True
    if not isinstance(flags, Mapping):
        return False
    return _any_true(flags.get(key))


def _any_true(value: Any) -> bool:
    if value is True:
        return True
    if isinstance(value, Mapping):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return False
