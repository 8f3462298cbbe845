"""JSON text to positioned values: values, positions, and one ParseError per bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cksmodel.errors import ParseError
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.jsontext import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    PDict,
    PList,
    decode_document,
    parse_json,
)
from cksmodel.policy.parse import policy_from_text

SRC = "doc.json"


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values, with the same Python types (int is not float, bool is not int)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and list(a) == list(b) and all(same_json(a[k], b[k]) for k in b)
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(map(same_json, a, b))
    return type(a) is type(b) and a == b


def parse_error(text: str) -> ParseError:
    """The single ParseError that ``text`` raises, not chained to another exception."""
    with pytest.raises(ParseError) as info:
        parse_json(text, SRC)
    return single(info.value)


def single(exc: ParseError) -> ParseError:
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__
    assert exc.span is not None
    assert exc.span.source == SRC
    return exc


# --------------------------------------------------------------------------- valid values

VALID = [
    pytest.param("{}", id="empty-object"),
    pytest.param("[]", id="empty-array"),
    pytest.param('""', id="empty-string-at-top-level"),
    pytest.param("0", id="zero-is-int"),
    pytest.param("-0", id="minus-zero-is-int"),
    pytest.param("-12", id="negative-int"),
    pytest.param("123456789012345678901234567890", id="big-int-stays-exact"),
    pytest.param("0.5", id="fraction-is-float"),
    pytest.param("1e3", id="exponent-makes-float"),
    pytest.param("1E-3", id="upper-exponent-negative"),
    pytest.param("-1.5e+10", id="signed-exponent"),
    pytest.param("1e400", id="overflowing-exponent-is-inf-like-json-loads"),
    pytest.param("true", id="true"),
    pytest.param("false", id="false"),
    pytest.param("null", id="null"),
    pytest.param('"\\"\\\\\\/\\b\\f\\n\\r\\t"', id="every-short-escape"),
    pytest.param('"\\u0041\\u00e9\\u20AC"', id="unicode-escapes-any-case"),
    pytest.param('"\\ud83d\\ude00"', id="surrogate-pair-escape-is-one-char"),
    pytest.param('"\\ud800"', id="lone-surrogate-escape-like-json-loads"),
    pytest.param('"caf\u00e9 \U0001f600 \u2028 \x7f"', id="raw-non-ascii-and-del"),
    pytest.param('"\\u0000"', id="escaped-nul"),
    pytest.param('{"a": [1, 2.5, "x", true, false, null, {"b": []}]}', id="nested-mixed"),
    pytest.param(' \t\r\n{ "a" : 1 , "b" : [ ] } \r\n', id="all-json-whitespace"),
    pytest.param('{"a": 1, "A": 2}', id="keys-differing-by-case-are-distinct"),
    pytest.param('{"": 1}', id="empty-key"),
    pytest.param('{"\\u0061b": 1}', id="escaped-key-is-unescaped"),
]


@pytest.mark.parametrize("text", VALID)
def test_valid_json_parses_like_json_loads(text: str) -> None:
    assert same_json(parse_json(text, SRC), json.loads(text))


def test_containers_are_positioned_dict_and_list() -> None:
    value = parse_json('{"a": [1, {"b": 2}]}', SRC)
    assert isinstance(value, PDict)
    assert isinstance(value["a"], PList)
    assert isinstance(value["a"][1], PDict)


json_scalars = st.text() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@pytest.mark.parametrize(
    "dumps_kwargs",
    [
        pytest.param({}, id="default-separators"),
        pytest.param({"indent": 0}, id="indent-0"),
        pytest.param({"indent": 2}, id="indent-2"),
        pytest.param({"indent": "\t"}, id="indent-tab"),
        pytest.param({"separators": (",", ":")}, id="compact"),
        pytest.param({"indent": 1, "ensure_ascii": False}, id="raw-unicode"),
    ],
)
@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_parse_json_inverts_json_dumps(dumps_kwargs: dict[str, Any], value: Any) -> None:
    parsed = parse_json(json.dumps(value, **dumps_kwargs), SRC)
    assert parsed == value
    assert same_json(parsed, json.loads(json.dumps(value)))


# --------------------------------------------------------------------------- positions

DOC = '{\n  "a": [1, "x"],\n  "b": {"c": null}\n}\n'
# Columns are 1-based code points; end columns are exclusive, as lark reports them.


def test_key_and_value_positions() -> None:
    doc = parse_json(DOC, SRC)
    assert doc.key_pos["a"] == (2, 3, 2, 6)
    assert doc.key_pos["b"] == (3, 3, 3, 6)
    assert doc.value_pos["a"][:2] == (2, 8)
    assert doc.value_pos["b"][:2] == (3, 8)
    assert doc["b"].key_pos["c"] == (3, 9, 3, 12)
    assert doc["b"].value_pos["c"] == (3, 14, 3, 18)


def test_list_item_positions() -> None:
    doc = parse_json(DOC, SRC)
    assert doc["a"].item_pos == [(2, 9, 2, 10), (2, 12, 2, 15)]


def test_container_start_positions() -> None:
    doc = parse_json(DOC, SRC)
    assert doc.pos is not None and doc.pos[:2] == (1, 1)
    assert doc["a"].pos is not None and doc["a"].pos[:2] == (2, 8)
    assert doc["b"].pos is not None and doc["b"].pos[:2] == (3, 8)
    assert doc["a"].pos == doc.value_pos["a"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param((), (1, 1, 4, 2), id="root-object-ends-after-its-closing-brace"),
        pytest.param(("a",), (2, 8, 2, 16), id="array-ends-after-its-closing-bracket"),
        pytest.param(("b",), (3, 8, 3, 19), id="nested-object-ends-after-its-closing-brace"),
    ],
)
def test_container_span_covers_the_whole_value(
    path: tuple[str, ...], expected: tuple[int, int, int, int]
) -> None:
    # Pos is documented as "(line, column, end_line, end_column) of a JSON value"; a
    # container's value runs to its closing bracket, as a scalar's runs to its last character.
    value = parse_json(DOC, SRC)
    for key in path:
        value = value[key]
    assert value.pos == expected


@pytest.mark.parametrize(
    ("text", "key", "column"),
    [
        pytest.param('{"\u00e9": "\u00fc", "k": 1}', "k", 12, id="accented-chars-count-one-column"),
        pytest.param('{"\U0001f600": 0, "k": 1}', "k", 10, id="astral-char-counts-one-column"),
        pytest.param('{"\\u00e9": 0, "k": 1}', "k", 15, id="escapes-count-as-written"),
        pytest.param('{"a":\t1, "k": 1}', "k", 10, id="tab-counts-one-column"),
    ],
)
def test_columns_count_code_points(text: str, key: str, column: int) -> None:
    assert parse_json(text, SRC).key_pos[key][:2] == (1, column)


def test_crlf_line_endings_count_lines_once() -> None:
    doc = parse_json('{\r\n  "a": 1,\r\n  "b": 2\r\n}', SRC)
    assert doc.key_pos["a"][:2] == (2, 3)
    assert doc.key_pos["b"][:2] == (3, 3)
    assert doc.value_pos["b"][:2] == (3, 8)


# --------------------------------------------------------------------------- bad input

BAD = [
    pytest.param('{"a": 1,}', "E_SYNTAX", 1, 9, id="trailing-comma-in-object-at-brace"),
    pytest.param("[1, 2,]", "E_SYNTAX", 1, 7, id="trailing-comma-in-array-at-bracket"),
    pytest.param('{\n  "a" 1\n}', "E_SYNTAX", 2, 7, id="missing-colon-at-value"),
    pytest.param('{"a": "abc', "E_SYNTAX", 1, 7, id="unterminated-string-at-its-quote"),
    pytest.param('{"a": tru}', "E_SYNTAX", 1, 7, id="bare-word-at-its-start"),
    pytest.param("[undefined]", "E_SYNTAX", 1, 2, id="undefined-is-not-json"),
    pytest.param("{'a': 1}", "E_SYNTAX", 1, 2, id="single-quotes"),
    pytest.param('["a\tb"]', "E_SYNTAX", 1, 2, id="raw-tab-in-string-at-string"),
    pytest.param('[\n "a\nb"]', "E_SYNTAX", 2, 2, id="raw-newline-in-string-at-string"),
    pytest.param('["\\x41"]', "E_SYNTAX", 1, 2, id="invalid-escape-at-string"),
    pytest.param('["\\u12"]', "E_SYNTAX", 1, 2, id="short-unicode-escape-at-string"),
    pytest.param("{} x", "E_SYNTAX", 1, 4, id="trailing-garbage-word"),
    pytest.param("{}\n{}", "E_SYNTAX", 2, 1, id="trailing-second-document"),
    pytest.param("1 2", "E_SYNTAX", 1, 3, id="two-top-level-numbers"),
    pytest.param("", "E_SYNTAX", 1, 1, id="empty-input"),
    pytest.param("  \n  ", "E_SYNTAX", 2, 3, id="whitespace-only-at-end"),
    pytest.param('{"a": [1, 2', "E_SYNTAX", 1, 12, id="truncated-at-end-of-input"),
    pytest.param("01", "E_SYNTAX", 1, 2, id="leading-zero"),
    pytest.param("[1.]", "E_SYNTAX", 1, 3, id="fraction-without-digits"),
    pytest.param("[.5]", "E_SYNTAX", 1, 2, id="fraction-without-integer"),
    pytest.param("[+1]", "E_SYNTAX", 1, 2, id="plus-sign"),
    pytest.param("[NaN]", "E_SYNTAX", 1, 2, id="nan-literal"),
    pytest.param("[1] // note", "E_SYNTAX", 1, 5, id="comment"),
    pytest.param("{1: 2}", "E_SYNTAX", 1, 2, id="number-as-key"),
    pytest.param('{"a": 1, "a": 2}', "E_DUPLICATE_KEY", 1, 10, id="duplicate-key-at-second"),
    pytest.param('{\n  "a": 1,\n  "b": 2,\n  "a": 3\n}', "E_DUPLICATE_KEY", 4, 3,
                 id="duplicate-on-later-line"),
    pytest.param(
        '{"x": {"b": 1, "b": 2}}', "E_DUPLICATE_KEY", 1, 16, id="duplicate-in-nested-object"
    ),
    pytest.param(
        '{"a": 1, "\\u0061": 2}', "E_DUPLICATE_KEY", 1, 10, id="escaped-spelling-duplicates"
    ),
    pytest.param("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "E_TOO_DEEP", 1, None,
                 id="one-level-too-deep"),
    pytest.param('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "E_TOO_DEEP", 1, None,
                 id="objects-one-level-too-deep"),
    pytest.param("[" * 10_000 + "]" * 10_000, "E_TOO_DEEP", 1, None,
                 id="ten-thousand-deep-is-too-deep-not-recursion-error"),
    pytest.param("\n" + '{"a": ' * 10_000 + "0" + "}" * 10_000, "E_TOO_DEEP", 2, None,
                 id="ten-thousand-deep-objects"),
    pytest.param('{"n":\n  ' + "9" * 5_000 + "}", "E_NUMBER", 2, 3,
                 id="integer-beyond-the-digit-limit-at-the-number"),
    pytest.param("[-" + "1" * 5_000 + "]", "E_NUMBER", 1, 2,
                 id="negative-integer-beyond-the-digit-limit"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "code", "line", "column"), BAD)
def test_bad_input_gives_one_parse_error_with_position(
    text: str, code: str, line: int, column: int | None
) -> None:
    exc = parse_error(text)
    assert exc.code == code
    assert exc.span is not None
    assert exc.span.line == line
    if column is not None:
        assert exc.span.column == column
    else:
        # too deep: the span points at an opening bracket or brace of the document
        lines = text.split("\n")
        assert lines[line - 1][exc.span.column - 1] in "[{"
    assert str(exc).startswith(f"{SRC}:{line}:{exc.span.column}: {code} ")


def test_duplicate_key_message_names_the_first() -> None:
    exc = parse_error('{\n  "Sid": "a",\n  "Sid": "b"\n}')
    assert "'Sid'" in exc.message
    assert "line 2, column 3" in exc.message


def test_syntax_error_says_what_was_expected() -> None:
    exc = parse_error('{"a" 1}')
    assert "expected ':'" in exc.message


def test_end_of_input_error_says_so() -> None:
    exc = parse_error('{"a": ')
    assert "end of input" in exc.message


@pytest.mark.parametrize(
    "depth",
    [pytest.param(1, id="one-level"), pytest.param(MAX_DEPTH, id="exactly-the-limit")],
)
def test_nesting_up_to_the_limit_parses(depth: int) -> None:
    value = parse_json("[" * depth + "]" * depth, SRC)
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("9" * 4_000, int("9" * 4_000), id="integer-within-the-digit-limit"),
        pytest.param("1" + "0" * 5_000 + ".5", float("inf"), id="long-fraction-is-a-float"),
        pytest.param("1e99999", float("inf"), id="huge-exponent-is-a-float"),
    ],
)
def test_long_numbers_within_what_python_reads_parse(text: str, value: float) -> None:
    assert parse_json(f"[{text}]", SRC) == [value]


def test_document_too_large_as_text() -> None:
    text = "[" + " " * (10 * 1024 * 1024) + "]"
    exc = parse_error(text)
    assert exc.code == "E_TOO_LARGE"
    assert exc.span is not None and (exc.span.line, exc.span.column) == (1, 1)


def test_document_at_the_size_limit_parses() -> None:
    text = "[" + " " * (MAX_DOCUMENT_BYTES - 2) + "]"
    assert parse_json(text, SRC) == []


def test_pathological_wildcard_in_valid_policy_parses() -> None:
    pattern = "a*" * 5000 + "b"
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": pattern}],
    }
    assert parse_json(json.dumps(doc), SRC)["Statement"][0]["Resource"] == pattern
    policy = policy_from_text(json.dumps(doc), policy_type=PolicyType.IDENTITY, name="p")
    resources = policy.statements[0].resources
    assert resources is not None and resources[0].text == pattern


# --------------------------------------------------------------------------- bytes


def decode_error(data: bytes, **kwargs: Any) -> ParseError:
    with pytest.raises(ParseError) as info:
        decode_document(data, SRC, **kwargs)
    return single(info.value)


@pytest.mark.parametrize(
    ("data", "code", "line", "column"),
    [
        pytest.param(b'{"a": "\xff"}', "E_ENCODING", 1, 8, id="invalid-byte-at-its-column"),
        pytest.param(b'{\n  "a": "x\xffy"\n}', "E_ENCODING", 2, 10, id="invalid-byte-on-line-2"),
        pytest.param(b'{"a": "\xc3"}', "E_ENCODING", 1, 8, id="truncated-sequence"),
        pytest.param(b'["\xed\xa0\x80"]', "E_ENCODING", 1, 3, id="encoded-surrogate"),
        pytest.param(b'["\xc0\xaf"]', "E_ENCODING", 1, 3, id="overlong-encoding"),
        pytest.param(b"\xef\xbb\xbf{}", "E_BOM", 1, 1, id="utf-8-bom"),
        pytest.param(b"\xff\xfe{\x00}\x00", "E_BOM", 1, 1, id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff\x00{\x00}", "E_BOM", 1, 1, id="utf-16-be-bom"),
        pytest.param(b"[" + b" " * (10 * 1024 * 1024) + b"]", "E_TOO_LARGE", 1, 1,
                     id="ten-megabytes-too-large"),
    ],
)  # fmt: skip
def test_bad_bytes_give_one_parse_error(data: bytes, code: str, line: int, column: int) -> None:
    exc = decode_error(data)
    assert exc.code == code
    assert exc.span is not None
    assert (exc.span.line, exc.span.column) == (line, column)


def test_invalid_byte_column_counts_characters_like_parse_errors() -> None:
    # "é" is two bytes but one column; every other span in a file counts code points,
    # so the bad byte after it is the 4th character of the line, though the 5th byte.
    exc = decode_error('["\u00e9'.encode() + b'\xff"]')
    assert exc.span is not None
    assert (exc.span.line, exc.span.column) == (1, 4)


def test_byte_limit_is_inclusive() -> None:
    assert decode_document(b"[  ]", SRC, limit=4) == "[  ]"
    assert decode_error(b"[   ]", limit=4).code == "E_TOO_LARGE"


def test_valid_utf8_decodes() -> None:
    text = '{"a": "caf\u00e9 \U0001f600"}'
    assert decode_document(text.encode(), SRC) == text
