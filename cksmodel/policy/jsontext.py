"""JSON text to positioned Python values, through the LALR grammar in ``policy.lark``.

Objects become :class:`PDict` and arrays :class:`PList`: ordinary ``dict`` and
``list`` objects that also remember where each member was written, so the IR
builder can work on both positioned values and plain ``json.loads`` output.
Everything a user can get wrong in the bytes (encoding, byte-order mark, size,
nesting depth, duplicate keys, syntax) becomes a :class:`ParseError` with a span.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from cksmodel.errors import ParseError
from cksmodel.source import Span

MAX_DOCUMENT_BYTES = 1024 * 1024
"""Largest document accepted; AWS's largest policy (a key policy) is 32 KB."""

MAX_DEPTH = 64
"""Deepest nesting accepted; real policies nest five levels."""

Pos = tuple[int, int, int, int]
"""(line, column, end_line, end_column) of a JSON value, 1-based."""


class PDict(dict[str, Any]):
    """A JSON object that remembers the position of itself, its keys and its values."""

    __slots__ = ("key_pos", "pos", "value_pos")

    def __init__(self) -> None:
        super().__init__()
        self.pos: Pos | None = None
        self.key_pos: dict[str, Pos] = {}
        self.value_pos: dict[str, Pos] = {}


class PList(list[Any]):
    """A JSON array that remembers the position of itself and of each item."""

    __slots__ = ("item_pos", "pos")

    def __init__(self) -> None:
        super().__init__()
        self.pos: Pos | None = None
        self.item_pos: list[Pos] = []


_TERMINAL_TEXT = {
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
    "COMMA": "','",
    "STRING": "a string",
    "NUMBER": "a number",
    "TRUE": "true",
    "FALSE": "false",
    "NULL": "null",
    "$END": "end of input",
}

# A parsed value travels up the parse as (python value, position, depth).
_Node = tuple[Any, Pos, int]


def _tok_pos(tok: Token) -> Pos:
    return (tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0)


def _between(first: Token, last: Token) -> Pos:
    return (first.line or 0, first.column or 0, last.end_line or 0, last.end_column or 0)


def _unquote(tok: Token) -> str:
    text = str(tok)
    if "\\" not in text:
        return text[1:-1]
    value: str = json.loads(text)
    return value


class _PositionedError(Exception):
    """Raised inside the parse, where the source name is unknown; becomes a ParseError."""

    def __init__(self, code: str, message: str, pos: Pos) -> None:
        super().__init__(message)
        self.code, self.message, self.pos = code, message, pos


class _Builder(Transformer[Token, _Node]):
    """Inline LALR callbacks: build positioned values while the parser reduces."""

    def string(self, c: list[Token]) -> _Node:
        return (_unquote(c[0]), _tok_pos(c[0]), 0)

    def number(self, c: list[Token]) -> _Node:
        text = str(c[0])
        try:
            value: int | float = float(text) if any(ch in text for ch in ".eE") else int(text)
        except ValueError:
            raise _PositionedError(
                "E_NUMBER", f"a number of {len(text):,} digits is too large", _tok_pos(c[0])
            ) from None
        return (value, _tok_pos(c[0]), 0)

    def true(self, c: list[Token]) -> _Node:
        return (True, _tok_pos(c[0]), 0)

    def false(self, c: list[Token]) -> _Node:
        return (False, _tok_pos(c[0]), 0)

    def null(self, c: list[Token]) -> _Node:
        return (None, _tok_pos(c[0]), 0)

    def pair(self, c: list[Any]) -> tuple[str, Pos, _Node]:
        return (_unquote(c[0]), _tok_pos(c[0]), c[1])

    def object(self, c: list[Any]) -> _Node:
        obj = PDict()
        depth = 0
        for item in c[1:-1]:
            if item is None:
                continue
            key, kpos, (value, vpos, vdepth) = item
            if key in obj:
                first = obj.key_pos[key]
                raise _PositionedError(
                    "E_DUPLICATE_KEY",
                    f"duplicate key {key!r} (first at line {first[0]}, column {first[1]})",
                    kpos,
                )
            obj[key] = value
            obj.key_pos[key] = kpos
            obj.value_pos[key] = vpos
            depth = max(depth, vdepth)
        return self._container(obj, _between(c[0], c[-1]), depth)

    def array(self, c: list[Any]) -> _Node:
        arr = PList()
        depth = 0
        for item in c[1:-1]:
            if item is None:
                continue
            value, vpos, vdepth = item
            arr.append(value)
            arr.item_pos.append(vpos)
            depth = max(depth, vdepth)
        return self._container(arr, _between(c[0], c[-1]), depth)

    def _container(self, value: PDict | PList, pos: Pos, depth: int) -> _Node:
        value.pos = pos
        if depth + 1 > MAX_DEPTH:
            raise _PositionedError("E_TOO_DEEP", f"nesting deeper than {MAX_DEPTH} levels", pos)
        return (value, pos, depth + 1)


def grammar_text(name: str) -> str:
    """The text of a grammar shipped with the package (or beside it in a checkout)."""
    packaged = resources.files("cksmodel") / "grammar" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / name).read_text(encoding="utf-8")


@cache
def _parser() -> Lark:
    return Lark(
        grammar_text("policy.lark"),
        parser="lalr",
        lexer="basic",
        transformer=_Builder(),
        maybe_placeholders=True,
    )


def decode_document(data: bytes, source: str, *, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """Check size, byte-order mark and UTF-8 of a raw document and return its text."""
    if len(data) > limit:
        raise ParseError(
            f"document is {len(data):,} bytes; the limit is {limit:,} bytes",
            span=Span(source=source, line=1, column=1),
            code="E_TOO_LARGE",
        )
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ParseError(
            "document starts with a byte-order mark; save it as UTF-8 without BOM",
            span=Span(source=source, line=1, column=1),
            code="E_BOM",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise ParseError(
            f"invalid UTF-8 byte 0x{data[exc.start]:02x}; expected UTF-8 text",
            span=Span(source=source, line=line, column=column),
            code="E_ENCODING",
        ) from None


def parse_json(text: str, source: str, *, limit: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse JSON text into positioned values; raise :class:`ParseError` on bad input.

    ``limit`` is the most characters accepted (a policy document's by default).
    """
    if len(text) > limit:
        raise ParseError(
            f"document is {len(text):,} characters; the limit is {limit:,}",
            span=Span(source=source, line=1, column=1),
            code="E_TOO_LARGE",
        )
    _check_depth(text, source)
    try:
        node: _Node = _parser().parse(text)  # type: ignore[assignment]
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, source) from None
    except _PositionedError as exc:
        line, column, end_line, end_column = exc.pos
        span = Span(
            source=source, line=line, column=column, end_line=end_line, end_column=end_column
        )
        raise ParseError(exc.message, span=span, code=exc.code) from None
    return node[0]


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def _check_depth(text: str, source: str) -> None:
    """Reject deep nesting before parsing, at the bracket that crosses the limit."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for found in _BRACKETS.finditer(text):
        token = found.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, found.start()) + 1
                column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
                raise ParseError(
                    f"nesting deeper than {MAX_DEPTH} levels",
                    span=Span(source=source, line=line, column=column),
                    code="E_TOO_DEEP",
                )
        elif token in "]}":
            depth -= 1


def _syntax_error(exc: UnexpectedInput, text: str, source: str) -> ParseError:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        expected = sorted(_TERMINAL_TEXT.get(t, t) for t in exc.expected)
        message = f"unexpected end of input; expected {', '.join(expected)}"
    elif isinstance(exc, UnexpectedToken):
        expected = sorted(_TERMINAL_TEXT.get(t, t) for t in exc.expected)
        message = f"unexpected {exc.token!s:.40}; expected {' or '.join(expected)}"
    elif isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        ch = text[at] if at < len(text) else ""
        hint = "a string with an invalid escape or control character" if ch == '"' else repr(ch)
        message = f"unexpected {hint}; expected a JSON value, ',', ':', '}}' or ']'"
    else:
        message = "invalid JSON"
    if line is None or line < 1:
        line, column = 1, 1
    return ParseError(message, span=Span(source=source, line=line, column=column), code="E_SYNTAX")
