"""The printer: IR → policy JSON → IR is the identity (modulo spans)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.jsontext import parse_json
from cksmodel.policy.parse import (
    OPERATOR_FAMILIES,
    PRINCIPAL_FORBIDDEN,
    PRINCIPAL_KEYS,
    PRINCIPAL_REQUIRED,
    RESOURCE_OPTIONAL,
    build_policy,
)
from cksmodel.policy.printer import policy_json

V2012 = "2012-10-17"
ROOT = "arn:aws:iam::111122223333:root"


def strip_spans(node: Any) -> Any:
    """The same IR with every ``span`` set to ``None``, recursively."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {
            f.name: None if f.name == "span" else strip_spans(getattr(node, f.name))
            for f in dataclasses.fields(node)
        }
        return dataclasses.replace(node, **changes)
    if isinstance(node, tuple):
        return tuple(strip_spans(item) for item in node)
    return node


def build_from_text(doc: Any, policy_type: PolicyType, source: str) -> Policy:
    return build_policy(
        parse_json(json.dumps(doc), source), policy_type=policy_type, name="p", source=source
    )


def round_trip(doc: Any, policy_type: PolicyType) -> tuple[Policy, Policy, dict[str, Any]]:
    first = build_from_text(doc, policy_type, "original.json")
    printed = policy_json(first)
    second = build_from_text(printed, policy_type, "printed.json")
    return first, second, printed


# --------------------------------------------------------------------------- strategy

texts = st.text(max_size=12)
patterns = (
    st.sampled_from(
        [
            "*",
            "kms:Decrypt",
            "kms:*",
            "s3:Get*",
            "arn:aws:kms:*:111122223333:key/*",
            "${aws:username}",
        ]
    )
    | texts
)


def scalar_or_list(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return items | st.lists(items, max_size=3)


def spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper()])


@st.composite
def operators(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(sorted(OPERATOR_FAMILIES)))
    if base == "Null":
        return draw(spellings("Null"))
    prefix = draw(st.sampled_from(["", "ForAllValues:", "ForAnyValue:"]))
    suffix = draw(st.sampled_from(["", "IfExists"]))
    return draw(spellings(prefix + base + suffix))


condition_values = st.text(max_size=8) | st.integers(-5, 5) | st.booleans()


@st.composite
def condition_blocks(draw: st.DrawFn) -> dict[str, Any]:
    block: dict[str, Any] = {}
    for operator in draw(st.lists(operators(), max_size=3, unique=True)):
        entries = draw(
            st.lists(
                st.tuples(texts, scalar_or_list(condition_values)),
                max_size=3,
                unique_by=lambda entry: entry[0].lower(),
            )
        )
        block[operator] = dict(entries)
    return block


principals = st.just("*") | st.dictionaries(
    st.sampled_from(PRINCIPAL_KEYS), scalar_or_list(texts | st.just("*")), max_size=4
)


@st.composite
def statements(draw: st.DrawFn, policy_type: PolicyType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sid = draw(st.none() | texts)
    if sid is not None:
        out["Sid"] = sid
    out["Effect"] = draw(st.sampled_from(["Allow", "Deny"]))
    if policy_type in PRINCIPAL_REQUIRED:
        key = draw(st.sampled_from(["Principal", "NotPrincipal"]))
        out[key] = draw(principals)
    out[draw(st.sampled_from(["Action", "NotAction"]))] = draw(scalar_or_list(patterns))
    resource_keys = ["Resource", "NotResource"]
    if policy_type in RESOURCE_OPTIONAL:
        resource_keys.append("")
    resource_key = draw(st.sampled_from(resource_keys))
    if resource_key:
        out[resource_key] = draw(scalar_or_list(patterns))
    if draw(st.booleans()):
        out["Condition"] = draw(condition_blocks())
    keys = draw(st.permutations(list(out)))
    return {key: out[key] for key in keys}


@st.composite
def policies(draw: st.DrawFn) -> tuple[PolicyType, dict[str, Any]]:
    policy_type = draw(st.sampled_from(list(PolicyType)))
    doc: dict[str, Any] = {}
    version = draw(st.sampled_from([None, V2012, "2008-10-17"]))
    if version is not None:
        doc["Version"] = version
    policy_id = draw(st.none() | texts)
    if policy_id is not None:
        doc["Id"] = policy_id
    items = draw(st.lists(statements(policy_type), max_size=4))
    if len(items) == 1 and draw(st.booleans()):
        doc["Statement"] = items[0]
    else:
        doc["Statement"] = items
    return policy_type, doc


def test_every_policy_type_is_covered_by_the_placement_rules() -> None:
    assert set(PolicyType) == PRINCIPAL_REQUIRED | PRINCIPAL_FORBIDDEN


@settings(max_examples=300, deadline=None)
@given(case=policies())
def test_print_then_parse_gives_the_same_ir(case: tuple[PolicyType, dict[str, Any]]) -> None:
    policy_type, doc = case
    first, second, printed = round_trip(doc, policy_type)
    assert strip_spans(second) == strip_spans(first)
    assert policy_json(second) == printed
    assert strip_spans(first) == build_policy(doc, policy_type=policy_type, name="p")


# --------------------------------------------------------------------------- explicit cases

EXPLICIT = [
    pytest.param(
        PolicyType.IDENTITY,
        {
            "Version": V2012,
            "Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        },
        {
            "Version": V2012,
            "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["*"]}],
        },
        id="single-statement-and-scalars-become-lists",
    ),
    pytest.param(
        PolicyType.KEY,
        {
            "Id": "key-policy",
            "Statement": [
                {
                    "Sid": "",
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": [ROOT], "Service": ["a.amazonaws.com", "b"]},
                    "NotAction": "kms:*",
                    "NotResource": ["x", "y"],
                }
            ],
        },
        {
            "Id": "key-policy",
            "Statement": [
                {
                    "Sid": "",
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": ROOT, "Service": ["a.amazonaws.com", "b"]},
                    "NotAction": ["kms:*"],
                    "NotResource": ["x", "y"],
                }
            ],
        },
        id="negations-empty-sid-and-no-version",
    ),
    pytest.param(
        PolicyType.TRUST,
        {
            "Version": "2008-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": []},
            ],
        },
        {
            "Version": "2008-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": ["sts:AssumeRole"]},
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": []},
            ],
        },
        id="trust-policy-without-resource-and-both-wildcard-principals",
    ),
    pytest.param(
        PolicyType.IDENTITY,
        {
            "Version": V2012,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {
                        "forallvalues:stringlikeifexists": {"kms:EncryptionContextKeys": "a*"},
                        "NumericLessThan": {"kms:GrantCount": 3, "aws:MultiFactorAuthAge": []},
                        "Bool": {"aws:SecureTransport": True},
                    },
                }
            ],
        },
        {
            "Version": V2012,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:*"],
                    "Resource": ["*"],
                    "Condition": {
                        "forallvalues:stringlikeifexists": {"kms:EncryptionContextKeys": ["a*"]},
                        "NumericLessThan": {"kms:GrantCount": ["3"], "aws:MultiFactorAuthAge": []},
                        "Bool": {"aws:SecureTransport": ["true"]},
                    },
                }
            ],
        },
        id="conditions-keep-operator-spelling-and-values-become-text-lists",
    ),
    pytest.param(
        PolicyType.IDENTITY,
        {"Statement": []},
        {"Statement": []},
        id="empty-statement-list",
    ),
]


@pytest.mark.parametrize(("policy_type", "doc", "expected"), EXPLICIT)
def test_printed_document(policy_type: PolicyType, doc: Any, expected: dict[str, Any]) -> None:
    first, second, printed = round_trip(doc, policy_type)
    assert printed == expected
    assert strip_spans(second) == strip_spans(first)
