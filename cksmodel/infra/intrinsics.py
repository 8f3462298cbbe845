"""CloudFormation intrinsic functions and pseudo parameters, resolved where the input allows.

:class:`Resolver` turns a template value into the value CloudFormation would deploy: ``Ref``,
``Fn::Sub``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::If`` (with the template's ``Conditions``),
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::Cidr``,
``Fn::GetAZs``, ``Fn::ImportValue``, ``Fn::Equals``/``And``/``Or``/``Not``, ``Condition`` and
``Fn::Transform``, keeping each value's position in the template. What the template does not
fix (a name CloudFormation generates, a KMS key id, an export of another stack, a parameter
without a value, a ``NoEcho`` parameter, an attribute of a resource type not modelled, a
condition that cannot be decided) becomes a :class:`Placeholder`: a fixed, wildcard-free
string, with a note the reader lists as an approximation. Resolving never raises for those.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cksmodel.infra.model import InfraError
from cksmodel.infra.resources import Placeholder
from cksmodel.policy.jsontext import PDict, PList, Pos
from cksmodel.source import Span

__all__ = ["NO_VALUE", "Placeholder", "Resolver", "StackContext"]


class _NoValue:
    """``AWS::NoValue``: the property or list item is left out."""


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(kw_only=True)
class StackContext:
    """What resolving needs from the template and the command line."""

    source: str
    account_id: str
    region: str
    partition: str
    stack_name: str = "stack"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Parameter values as given or defaulted; a missing or NoEcho parameter is absent."""
    secret_parameters: frozenset[str] = frozenset()
    parameter_names: frozenset[str] = frozenset()
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    defaults: frozenset[str] = frozenset()
    """Pseudo parameters whose value is a default, not given (``AWS::AccountId``, …)."""
    names: Callable[[str, str], str] | None = None
    """The reference a resource attribute resolves to: ``(logical id, attribute)`` to text,
    ``attribute`` ``Ref`` for ``Ref``; supplied by the reader, which knows resource types."""


class Resolver:
    """Resolves template values; every placeholder it makes is noted in :attr:`notes`."""

    def __init__(self, ctx: StackContext) -> None:
        self.ctx = ctx
        self.notes: list[tuple[Pos | None, str]] = []
        self._conditions: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()

    def note(self, pos: Pos | None, message: str) -> None:
        if (pos, message) not in self.notes:
            self.notes.append((pos, message))

    def placeholder(self, pos: Pos | None, text: str, message: str) -> Placeholder:
        self.note(pos, f"{message}; modelled as {text!r}")
        return Placeholder(text)

    def fail(self, pos: Pos | None, message: str) -> InfraError:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return InfraError(message, span=Span(source=self.ctx.source, line=line, column=column))

    # --- values ---------------------------------------------------------------------------

    def resolve(self, value: Any, pos: Pos | None) -> Any:
        """The deployed value of ``value`` (positions kept); ``NO_VALUE`` to leave it out."""
        if isinstance(value, Mapping) and len(value) == 1:
            (key,) = value
            if key == "Ref" or key == "Condition" or key.startswith("Fn::"):
                at = pos or (value.pos if isinstance(value, PDict) else None)
                return self.function(key, value[key], at)
        if isinstance(value, Mapping):
            out = PDict()
            out.pos = value.pos if isinstance(value, PDict) else pos
            for key, item in value.items():
                vpos = value.value_pos.get(key) if isinstance(value, PDict) else pos
                resolved = self.resolve(item, vpos)
                if resolved is NO_VALUE:
                    continue
                out[key] = resolved
                if isinstance(value, PDict):
                    out.key_pos[key] = value.key_pos.get(key) or vpos or (0, 0, 0, 0)
                out.value_pos[key] = vpos or (0, 0, 0, 0)
            return out
        if isinstance(value, list):
            arr = PList()
            arr.pos = value.pos if isinstance(value, PList) else pos
            for index, item in enumerate(value):
                ipos = value.item_pos[index] if isinstance(value, PList) else pos
                resolved = self.resolve(item, ipos)
                if resolved is NO_VALUE:
                    continue
                arr.append(resolved)
                arr.item_pos.append(ipos or (0, 0, 0, 0))
            return arr
        return value

    def text(self, value: Any, pos: Pos | None, what: str) -> str:
        """A resolved value that must be a string (numbers are written as CloudFormation
        writes them); a list or object there is a template error."""
        resolved = self.resolve(value, pos)
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if isinstance(resolved, int | float):
            return str(resolved)
        if not isinstance(resolved, str):
            raise self.fail(pos, f"{what} must be a string, not {type(resolved).__name__}")
        return resolved

    def function(self, name: str, arg: Any, pos: Pos | None) -> Any:
        handler = _FUNCTIONS.get(name)
        if handler is None:
            return self.placeholder(
                pos, f"unresolved-{name.removeprefix('Fn::')}", f"{name} is not modelled"
            )
        result = handler(self, arg, pos)
        if _vague(result) and all(at != pos for at, _ in self.notes):
            self.note(pos, f"{name} of a value the template does not fix")
        return result

    def ref(self, arg: Any, pos: Pos | None) -> Any:
        name = self.text(arg, pos, "Ref")
        return self.named(name, pos)

    def named(self, name: str, pos: Pos | None) -> Any:
        """What ``Ref NAME`` and ``${NAME}`` stand for."""
        ctx = self.ctx
        pseudo = self.pseudo(name, pos)
        if pseudo is not None:
            return pseudo
        if name in ctx.secret_parameters:
            return self.placeholder(
                pos, f"unresolved-{name}", f"parameter {name} is NoEcho: its value is not read"
            )
        if name in ctx.parameters:
            return ctx.parameters[name]
        if name in ctx.parameter_names:
            return self.placeholder(
                pos, f"unresolved-{name}", f"parameter {name} has no value and no default"
            )
        if name in ctx.resources and ctx.names is not None:
            return self.attribute(name, "Ref", pos)
        return self.placeholder(pos, f"unresolved-{name}", f"Ref {name} names nothing known")

    def attribute(self, logical_id: str, attribute: str, pos: Pos | None) -> str:
        assert self.ctx.names is not None
        value = self.ctx.names(logical_id, attribute)
        if isinstance(value, Placeholder):
            what = f"Ref {logical_id}" if attribute == "Ref" else f"{logical_id}.{attribute}"
            return self.placeholder(pos, value, f"{what}: a value CloudFormation fixes at deploy")
        return value

    def pseudo(self, name: str, pos: Pos | None) -> Any:
        ctx = self.ctx
        values: dict[str, Any] = {
            "AWS::AccountId": ctx.account_id,
            "AWS::Region": ctx.region,
            "AWS::Partition": ctx.partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if ctx.partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": ctx.stack_name,
            "AWS::StackId": (
                f"arn:{ctx.partition}:cloudformation:{ctx.region}:{ctx.account_id}:"
                f"stack/{ctx.stack_name}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::NotificationARNs": PList(),
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name not in values:
            return None
        value = values[name]
        if name in ctx.defaults or name in ("AWS::StackName", "AWS::StackId"):
            self.note(pos, f"{name} is not given; modelled as {str(value)!r}")
            if isinstance(value, str):
                return Placeholder(value)
        return value

    def get_att(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if isinstance(resolved, str) and "." in resolved:
            resolved = resolved.split(".", 1)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise self.fail(pos, "Fn::GetAtt needs [RESOURCE, ATTRIBUTE]")
        logical_id, attribute = (str(v) for v in resolved)
        if logical_id not in self.ctx.resources:
            return self.placeholder(
                pos,
                f"unresolved-{logical_id}-{attribute}",
                f"Fn::GetAtt {logical_id}.{attribute} names no resource of the template",
            )
        return self.attribute(logical_id, attribute, pos)

    def sub(self, arg: Any, pos: Pos | None) -> Any:
        variables: Mapping[str, Any] = {}
        template = arg
        if isinstance(arg, list):
            if len(arg) != 2 or not isinstance(arg[1], Mapping):
                raise self.fail(pos, "Fn::Sub needs a string or [STRING, {VARIABLES}]")
            template, raw = arg
            variables = {k: self.resolve(v, pos) for k, v in raw.items()}
        text = self.text(template, pos, "Fn::Sub's string")
        vague = isinstance(text, Placeholder)

        def one(found: re.Match[str]) -> str:
            nonlocal vague
            name = found.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self.get_att([*name.split(".", 1)], pos)
            else:
                value = self.named(name, pos)
            if isinstance(value, list):
                raise self.fail(pos, f"Fn::Sub variable {name} is a list, not a string")
            vague = vague or isinstance(value, Placeholder)
            return str(value)

        out = _SUB_VARIABLE.sub(one, text)
        return Placeholder(out) if vague else out

    def join(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise self.fail(pos, "Fn::Join needs [DELIMITER, [VALUES]]")
        delimiter, items = resolved
        if isinstance(items, Placeholder):
            return items
        if not isinstance(items, list):
            raise self.fail(pos, "Fn::Join's second item must be a list")
        parts = [str(v) if not isinstance(v, bool) else str(v).lower() for v in items]
        out = str(delimiter).join(parts)
        return Placeholder(out) if any(isinstance(v, Placeholder) for v in items) else out

    def select(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise self.fail(pos, "Fn::Select needs [INDEX, [VALUES]]")
        index, items = resolved
        if isinstance(items, Placeholder) or isinstance(index, Placeholder):
            return self.placeholder(pos, "unresolved-Select", "Fn::Select of an unknown list")
        try:
            return items[int(index)]
        except (ValueError, TypeError, IndexError):
            raise self.fail(pos, f"Fn::Select index {index!r} is not in the list") from None

    def split(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise self.fail(pos, "Fn::Split needs [DELIMITER, STRING]")
        delimiter, text = resolved
        out = PList()
        out.pos = pos
        kind = Placeholder if isinstance(text, Placeholder) else str
        for part in str(text).split(str(delimiter)):
            out.append(kind(part))
            out.item_pos.append(pos or (0, 0, 0, 0))
        return out

    def find_in_map(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or len(resolved) not in (3, 4):
            raise self.fail(pos, "Fn::FindInMap needs [MAP, TOP_KEY, SECOND_KEY]")
        names = [str(v) for v in resolved[:3]]
        if any(isinstance(v, Placeholder) for v in resolved[:3]):
            return self.placeholder(
                pos, "unresolved-FindInMap", "Fn::FindInMap with an unknown key"
            )
        try:
            return self.ctx.mappings[names[0]][names[1]][names[2]]
        except (KeyError, TypeError):
            raise self.fail(pos, f"Fn::FindInMap: no {'.'.join(names)} in Mappings") from None

    def base64(self, arg: Any, pos: Pos | None) -> Any:
        text = self.text(arg, pos, "Fn::Base64's value")
        out = base64.b64encode(text.encode()).decode()
        return Placeholder(out) if isinstance(text, Placeholder) else out

    def cidr(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or len(resolved) != 3:
            raise self.fail(pos, "Fn::Cidr needs [IP_BLOCK, COUNT, CIDR_BITS]")
        block, count, bits = resolved
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = network.subnets(new_prefix=prefix)
            chosen = [str(next(subnets)) for _ in range(int(count))]
        except (ValueError, StopIteration):
            return self.placeholder(pos, "unresolved-Cidr", "Fn::Cidr with unusable arguments")
        out = PList()
        out.pos = pos
        out.extend(chosen)
        out.item_pos.extend([pos or (0, 0, 0, 0)] * len(chosen))
        return out

    def get_azs(self, arg: Any, pos: Pos | None) -> Any:
        region = self.text(arg, pos, "Fn::GetAZs's region") or self.ctx.region
        out = PList()
        out.pos = pos
        zones = [Placeholder(f"{region}{letter}") for letter in "abc"]
        self.note(pos, f"Fn::GetAZs: the zones of {region} modelled as {', '.join(zones)}")
        out.extend(zones)
        out.item_pos.extend([pos or (0, 0, 0, 0)] * 3)
        return out

    def import_value(self, arg: Any, pos: Pos | None) -> Any:
        name = self.text(arg, pos, "Fn::ImportValue's name")
        return self.placeholder(
            pos, f"unresolved-import-{name}", f"Fn::ImportValue {name}: another stack's export"
        )

    def transform(self, arg: Any, pos: Pos | None) -> Any:
        return self.placeholder(pos, "unresolved-Transform", "Fn::Transform (a macro) is not run")

    def if_(self, arg: Any, pos: Pos | None) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            raise self.fail(pos, "Fn::If needs [CONDITION, VALUE_IF_TRUE, VALUE_IF_FALSE]")
        name = self.text(arg[0], pos, "Fn::If's condition")
        decided = self.condition(name, pos)
        if decided is None:
            return self.placeholder(
                pos, f"unresolved-If-{name}", f"condition {name} cannot be decided"
            )
        index = 1 if decided else 2
        ipos = arg.item_pos[index] if isinstance(arg, PList) else pos
        return self.resolve(arg[index], ipos)

    def condition(self, name: str, pos: Pos | None) -> bool | None:
        """A condition of the template's ``Conditions`` section: True, False, or None when it
        rests on a value the template does not fix."""
        if name in self._conditions:
            return self._conditions[name]
        if name not in self.ctx.conditions:
            raise self.fail(pos, f"condition {name!r} is not in the template's Conditions")
        if name in self._evaluating:
            raise self.fail(pos, f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        cpos = (
            self.ctx.conditions.value_pos.get(name)
            if isinstance(self.ctx.conditions, PDict)
            else pos
        )
        value = self.resolve(self.ctx.conditions[name], cpos)
        self._evaluating.discard(name)
        decided = value if isinstance(value, bool) else None
        self._conditions[name] = decided
        return decided

    def condition_ref(self, arg: Any, pos: Pos | None) -> Any:
        decided = self.condition(self.text(arg, pos, "Condition"), pos)
        return Placeholder("unresolved-Condition") if decided is None else decided

    def equals(self, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or len(resolved) != 2:
            raise self.fail(pos, "Fn::Equals needs [VALUE, VALUE]")
        if any(_vague(v) for v in resolved):
            return Placeholder("unresolved-Equals")
        a, b = (str(v) if not isinstance(v, list) else v for v in resolved)
        return a == b


def _logic(name: str) -> Callable[[Resolver, Any, Pos | None], Any]:
    """``Fn::And``, ``Fn::Or`` or ``Fn::Not``: three-valued (an undecided operand may leave
    the result undecided, a placeholder)."""

    def run(self: Resolver, arg: Any, pos: Pos | None) -> Any:
        resolved = self.resolve(arg, pos)
        if not isinstance(resolved, list) or not resolved:
            raise self.fail(pos, f"{name} needs a list of conditions")
        values = [v if isinstance(v, bool) else None for v in resolved]
        if name == "Fn::Not":
            return Placeholder("unresolved-Not") if values[0] is None else not values[0]
        if name == "Fn::And":
            if False in values:
                return False
            return Placeholder("unresolved-And") if None in values else True
        if True in values:
            return True
        return Placeholder("unresolved-Or") if None in values else False

    return run


def _vague(value: Any) -> bool:
    if isinstance(value, Placeholder):
        return True
    if isinstance(value, list):
        return any(_vague(v) for v in value)
    return False


def stable_id(logical_id: str, what: str) -> str:
    """A fixed UUID standing for an id AWS generates (a KMS key id), the same on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cksmodel:{what}:{logical_id}"))


_FUNCTIONS: dict[str, Callable[[Resolver, Any, Pos | None], Any]] = {
    "Ref": Resolver.ref,
    "Condition": Resolver.condition_ref,
    "Fn::GetAtt": Resolver.get_att,
    "Fn::Sub": Resolver.sub,
    "Fn::Join": Resolver.join,
    "Fn::Select": Resolver.select,
    "Fn::Split": Resolver.split,
    "Fn::FindInMap": Resolver.find_in_map,
    "Fn::Base64": Resolver.base64,
    "Fn::Cidr": Resolver.cidr,
    "Fn::GetAZs": Resolver.get_azs,
    "Fn::ImportValue": Resolver.import_value,
    "Fn::Transform": Resolver.transform,
    "Fn::If": Resolver.if_,
    "Fn::Equals": Resolver.equals,
    **{name: _logic(name) for name in ("Fn::And", "Fn::Or", "Fn::Not")},
}
