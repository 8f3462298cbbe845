"""YAML text to positioned values, safely: CloudFormation's short-form tags and nothing else.

The text is composed into YAML nodes (PyYAML's composer, which builds no Python objects) and
the nodes are turned into :class:`~cksmodel.policy.jsontext.PDict` and
:class:`~cksmodel.policy.jsontext.PList` carrying the line and column of every value, as the
JSON reader does. A short-form tag becomes the long form CloudFormation defines for it
(``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is ``{"Fn::GetAtt": ["A", "B"]}``). Anything
else a YAML document can ask for is refused with an :class:`~cksmodel.infra.model.InfraError`
naming the line and column: other tags (``!!python/object`` and the like), anchors and aliases
(the "billion laughs" expansion), nesting deeper than the JSON reader allows, duplicate keys,
and documents larger than its size limit.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from cksmodel.infra.model import InfraError
from cksmodel.policy.jsontext import MAX_DEPTH, PDict, PList, Pos
from cksmodel.source import Span

__all__ = ["SHORT_FORMS", "parse_yaml"]

SHORT_FORMS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "Join",
            "If",
            "Select",
            "Split",
            "FindInMap",
            "Base64",
            "Cidr",
            "GetAZs",
            "ImportValue",
            "Equals",
            "And",
            "Or",
            "Not",
            "Transform",
            "Contains",
            "EachMemberEquals",
            "EachMemberIn",
            "RefAll",
            "ValueOf",
            "ValueOfAll",
        )
    },
}
"""Every short-form tag CloudFormation accepts (the last six in ``Rules`` only), and the
long form it stands for."""

_CORE = "tag:yaml.org,2002:"
_ACCEPTED = {
    f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


class _Loader(Reader, Scanner, Parser, Composer, SafeConstructor, Resolver):
    """PyYAML's safe pipeline up to the node graph; aliases are refused as they are met."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Refused(
                "YAML aliases (*name) are not accepted in a template; write the value out",
                event.start_mark,
            )
        node = super().compose_node(parent, index)
        assert node is not None
        return node


class _Refused(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


def _pos(node: Node) -> Pos:
    start, end = node.start_mark, node.end_mark
    return (start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def parse_yaml(text: str, source: str) -> Any:
    """Positioned values of a YAML document; raise :class:`InfraError` on anything refused."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise InfraError(
                "the YAML document is empty; expected a template",
                span=Span(source=source, line=1, column=1),
            )
        return _Builder(source, loader).value(root, 0)
    except _Refused as exc:
        raise _error(source, exc.message, exc.mark) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _error(source, f"not valid YAML: {exc.problem or exc.context}", mark) from None
    except yaml.YAMLError as exc:
        raise InfraError(
            f"not valid YAML: {exc}", span=Span(source=source, line=1, column=1), code="E_SYNTAX"
        ) from None
    finally:
        loader.dispose()


def _error(source: str, message: str, mark: Any) -> InfraError:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return InfraError(message, span=Span(source=source, line=line, column=column), code="E_SYNTAX")


class _Builder:
    def __init__(self, source: str, loader: _Loader) -> None:
        self.source = source
        self.loader = loader

    def fail(self, node: Node, message: str, code: str = "E_SYNTAX") -> InfraError:
        line, column, _, _ = _pos(node)
        return InfraError(
            message, span=Span(source=self.source, line=line, column=column), code=code
        )

    def value(self, node: Node, depth: int) -> Any:
        if depth >= MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels", "E_TOO_DEEP")
        if node.tag in SHORT_FORMS:
            return self.short_form(node, depth)
        if node.tag not in _ACCEPTED:
            raise self.fail(
                node,
                f"the YAML tag {node.tag!r} is not accepted; a template may use only "
                f"CloudFormation's short forms ({', '.join(sorted(SHORT_FORMS))})",
                "E_TAG",
            )
        if isinstance(node, MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, SequenceNode):
            return self.sequence(node, depth)
        return self.scalar(node)

    def scalar(self, node: Node) -> Any:
        assert isinstance(node, ScalarNode)
        if node.tag in (f"{_CORE}str", f"{_CORE}timestamp"):
            return node.value
        if node.tag == f"{_CORE}bool" and node.value.lower() not in ("true", "false"):
            return node.value  # YAML 1.2: yes/no/on/off are strings (a condition named On)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError):
            return node.value

    def mapping(self, node: MappingNode, depth: int) -> PDict:
        out = PDict()
        out.pos = _pos(node)
        for key_node, value_node in node.value:
            if key_node.tag == f"{_CORE}merge":
                raise self.fail(key_node, "YAML merge keys (<<) are not accepted in a template")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "a mapping key must be a plain string")
            key = str(key_node.value)
            if key in out:
                first = out.key_pos[key]
                raise self.fail(
                    key_node,
                    f"duplicate key {key!r} (first at line {first[0]}, column {first[1]})",
                    "E_DUPLICATE_KEY",
                )
            out[key] = self.value(value_node, depth + 1)
            out.key_pos[key] = _pos(key_node)
            out.value_pos[key] = _pos(value_node)
        return out

    def sequence(self, node: SequenceNode, depth: int) -> PList:
        out = PList()
        out.pos = _pos(node)
        for item in node.value:
            out.append(self.value(item, depth + 1))
            out.item_pos.append(_pos(item))
        return out

    def short_form(self, node: Node, depth: int) -> PDict:
        """``!Tag value`` as the long form ``{"Fn::Tag": value}``, positioned at the tag."""
        name = SHORT_FORMS[node.tag]
        if isinstance(node, ScalarNode):
            inner: Any = node.value
            if name == "Fn::GetAtt":
                resource, dot, attribute = str(node.value).partition(".")
                if not dot:
                    raise self.fail(node, "!GetAtt needs RESOURCE.ATTRIBUTE")
                inner = PList()
                inner.extend([resource, attribute])
                inner.pos = _pos(node)
                inner.item_pos = [_pos(node), _pos(node)]
        elif isinstance(node, SequenceNode):
            inner = self.sequence(node, depth)
        else:
            assert isinstance(node, MappingNode)
            inner = self.mapping(node, depth)
        out = PDict()
        out[name] = inner
        out.pos = out.key_pos[name] = out.value_pos[name] = _pos(node)
        return out
