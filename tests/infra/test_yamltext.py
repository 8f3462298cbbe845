"""Safe YAML: CloudFormation's short forms become their long forms with positions; every other
tag, aliases, merge keys, deep nesting and huge documents are refused with a located error."""

from __future__ import annotations

from typing import Any

import pytest

from cksmodel.infra.model import InfraError
from cksmodel.infra.yamltext import SHORT_FORMS, parse_yaml
from cksmodel.policy.jsontext import MAX_DEPTH, PDict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!Ref Bucket", {"Ref": "Bucket"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!Sub arn:${AWS::Partition}:s3:::x", {"Fn::Sub": "arn:${AWS::Partition}:s3:::x"}),
        ("!GetAtt Role.Arn", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("!GetAtt [Role, Arn]", {"Fn::GetAtt": ["Role", "Arn"]}),
        ("!Join ['', [a, b]]", {"Fn::Join": ["", ["a", "b"]]}),
        ("!If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
        ("!Select [0, [a, b]]", {"Fn::Select": [0, ["a", "b"]]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!FindInMap [M, k1, k2]", {"Fn::FindInMap": ["M", "k1", "k2"]}),
        ("!Base64 text", {"Fn::Base64": "text"}),
        ("!Cidr [10.0.0.0/16, 2, 8]", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}),
        ("!GetAZs ''", {"Fn::GetAZs": ""}),
        ("!ImportValue net-VpcId", {"Fn::ImportValue": "net-VpcId"}),
        ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        (
            "!And [!Condition A, !Condition B]",
            {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
        ),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Not [!Condition A]", {"Fn::Not": [{"Condition": "A"}]}),
        (
            "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
            {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
        ),
    ],
    ids=lambda v: v.split()[0] if isinstance(v, str) else "",
)
def test_each_short_form_tag_becomes_its_long_form(text: str, expected: Any) -> None:
    assert parse_yaml(f"Value: {text}\n", "t.yaml")["Value"] == expected


def test_every_short_form_tag_is_covered_by_the_table_above() -> None:
    covered = {
        "!Ref", "!Condition", "!Sub", "!GetAtt", "!Join", "!If", "!Select", "!Split",
        "!FindInMap", "!Base64", "!Cidr", "!GetAZs", "!ImportValue", "!Equals", "!And", "!Or",
        "!Not", "!Transform", "!Contains", "!EachMemberEquals", "!EachMemberIn", "!RefAll",
        "!ValueOf", "!ValueOfAll",
    }  # fmt: skip
    assert set(SHORT_FORMS) == covered


def test_values_keep_their_line_and_column() -> None:
    doc = parse_yaml("A:\n  B: !Ref X\n  C:\n    - one\n    - two\n", "t.yaml")
    assert isinstance(doc, PDict)
    inner = doc["A"]
    assert inner.value_pos["B"][:2] == (2, 6)
    assert inner["C"].item_pos[1][:2] == (5, 7)
    assert inner.key_pos["C"][:2] == (3, 3)


def test_dates_versions_and_yaml_1_1_booleans_stay_strings() -> None:
    doc = parse_yaml("Version: 2012-10-17\nA: On\nB: no\nC: true\nD: 12\n", "t.yaml")
    assert (doc["Version"], doc["A"], doc["B"], doc["C"], doc["D"]) == (
        "2012-10-17",
        "On",
        "no",
        True,
        12,
    )


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        pytest.param("a: &x [1, 2]\nb: [*x, *x]\n", "aliases", 2, id="alias"),
        pytest.param(
            "a: &a ['x','x']\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]\n",
            "aliases",
            2,
            id="billion-laughs",
        ),
        pytest.param(
            "a: !!python/object/apply:os.system ['echo pwned']\n",
            "not accepted",
            1,
            id="python-tag",
        ),
        pytest.param("a: !!python/name:os.system ''\n", "not accepted", 1, id="python-name"),
        pytest.param("a: !Custom x\n", "not accepted", 1, id="unknown-tag"),
        pytest.param("a: !!binary aGVsbG8=\n", "not accepted", 1, id="binary-tag"),
        pytest.param("a: !!set {x, y}\n", "not accepted", 1, id="set-tag"),
        pytest.param("a: {x: 1}\nb:\n  <<: {y: 2}\n", "merge keys", 3, id="merge-key"),
        pytest.param("a: 1\na: 2\n", "duplicate key 'a'", 2, id="duplicate-key"),
        pytest.param("a: [1, 2\n", "not valid YAML", 2, id="syntax"),
        pytest.param("", "empty", 1, id="empty"),
        pytest.param("!GetAtt NoDot\n", "RESOURCE.ATTRIBUTE", 1, id="getatt-without-dot"),
    ],
)
def test_hostile_or_broken_yaml_is_refused_with_a_located_error(
    text: str, needle: str, line: int
) -> None:
    with pytest.raises(InfraError) as caught:
        parse_yaml(text, "t.yaml")
    assert needle in caught.value.message
    assert caught.value.span is not None
    assert (caught.value.span.source, caught.value.span.line) == ("t.yaml", line)


def test_nesting_deeper_than_the_json_limit_is_refused() -> None:
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(InfraError) as caught:
        parse_yaml(text, "t.yaml")
    assert caught.value.code == "E_TOO_DEEP"


def test_nesting_within_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 2
    value = parse_yaml("a: " + "[" * depth + "]" * depth + "\n", "t.yaml")["a"]
    for _ in range(depth - 1):
        assert len(value) == 1
        value = value[0]
    assert value == []
