"""The IR builder: positioned JSON and plain dicts agree; structural errors carry code and span."""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.parse
from typing import Any

import pytest

from cksmodel.errors import ParseError, PolicyError
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.ir import Effect, Policy, PolicyType, Qualifier
from cksmodel.policy.jsontext import parse_json
from cksmodel.policy.parse import (
    build_policy,
    load_policy,
    parse_operator,
    policy_from_bytes,
    policy_from_text,
)

SRC = "policy.json"
V2012 = "2012-10-17"
ROOT = "arn:aws:iam::111122223333:root"
CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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


def all_spans(node: Any) -> list[Any]:
    """Every ``span`` field value in an IR tree."""
    found: list[Any] = []
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name == "span":
                found.append(value)
            else:
                found.extend(all_spans(value))
    elif isinstance(node, tuple):
        for item in node:
            found.extend(all_spans(item))
    return found


def build_text(doc: Any, policy_type: PolicyType, **kwargs: Any) -> Policy:
    """Build from positioned JSON written with indent=2."""
    text = json.dumps(doc, indent=2)
    return build_policy(
        parse_json(text, SRC), policy_type=policy_type, name="p", source=SRC, **kwargs
    )


def stmt(**elements: Any) -> dict[str, Any]:
    """An identity-policy statement; ``None`` removes an element."""
    out: dict[str, Any] = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}
    out.update(elements)
    return {k: v for k, v in out.items() if v is not None}


def policy(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Version": V2012, "Statement": list(statements)}
    out.update(top)
    return {k: v for k, v in out.items() if v is not None}


# --------------------------------------------------------------------------- both inputs agree

GOOD = [
    pytest.param(
        PolicyType.IDENTITY,
        policy(
            stmt(Sid="Use", Action=["kms:Decrypt", "kms:Encrypt"], Resource=[KEY, "*"]),
            stmt(Effect="Deny", Action=None, NotAction="kms:*", Resource=None, NotResource=KEY),
        ),
        id="identity-with-lists-scalars-and-negations",
    ),
    pytest.param(
        PolicyType.KEY,
        policy(
            stmt(Principal={"AWS": ROOT}, Action="kms:*", Resource="*"),
            stmt(
                Principal={
                    "AWS": [ROOT, "arn:aws:iam::444455556666:role/r"],
                    "Service": "cks.kms.amazonaws.com",
                    "Federated": "cognito-identity.amazonaws.com",
                    "CanonicalUser": CANONICAL,
                },
                Condition={
                    "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": []},
                    "ForAnyValue:StringLike": {"kms:EncryptionContextKeys": ["app*", "env"]},
                    "NumericLessThanIfExists": {"kms:GrantConstraintType": 3},
                    "Bool": {"aws:SecureTransport": True},
                    "Null": {"aws:SourceVpce": "false"},
                },
            ),
        ),
        id="key-policy-with-every-principal-kind-and-conditions",
    ),
    pytest.param(
        PolicyType.RESOURCE,
        policy(stmt(Effect="Deny", NotPrincipal={"AWS": ROOT}, Action="s3:*", Resource="*")),
        id="resource-policy-with-notprincipal",
    ),
    pytest.param(
        PolicyType.TRUST,
        {
            "Version": V2012,
            "Id": "trust",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": "cks.kms.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
        },
        id="trust-policy-single-statement-object-without-resource",
    ),
    pytest.param(
        PolicyType.SCP,
        policy(stmt(Effect="Deny", Action=None, NotAction=["iam:*", "sts:*"], Resource=None)),
        id="scp-without-resource",
    ),
    pytest.param(PolicyType.IDENTITY, {"Statement": []}, id="no-version-and-no-statements"),
]


@pytest.mark.parametrize(("policy_type", "doc"), GOOD)
def test_positioned_and_plain_input_build_the_same_ir(policy_type: PolicyType, doc: Any) -> None:
    positioned = build_text(doc, policy_type)
    plain = build_policy(doc, policy_type=policy_type, name="p", source=SRC)
    assert strip_spans(positioned) == strip_spans(plain) == plain
    assert all(span is not None for span in all_spans(positioned))
    assert all(span is None for span in all_spans(plain))


@pytest.mark.parametrize(("policy_type", "doc"), GOOD)
def test_good_policies_produce_no_findings(policy_type: PolicyType, doc: Any) -> None:
    findings: list[Finding] = []
    collected = build_text(doc, policy_type, findings=findings)
    assert findings == []
    assert collected == build_text(doc, policy_type)


def test_ir_contents_of_a_key_policy() -> None:
    built = build_text(GOOD[1].values[1], PolicyType.KEY)
    assert built.version == V2012
    first, second = built.statements
    assert (first.index, first.effect, first.sid) == (0, Effect.ALLOW, None)
    assert [v.text for v in first.principal.aws] == [ROOT]  # type: ignore[union-attr]
    assert [v.text for v in first.actions] == ["kms:*"]
    by_key = {c.key: c for c in second.conditions}
    assert [v.text for v in by_key["kms:GrantConstraintType"].values] == ["3"]
    assert [v.text for v in by_key["aws:SecureTransport"].values] == ["true"]
    assert by_key["kms:ViaService"].values == ()
    assert by_key["kms:EncryptionContextKeys"].qualifier is Qualifier.FOR_ANY_VALUE
    assert by_key["kms:GrantConstraintType"].if_exists


def test_spans_point_at_the_written_values() -> None:
    text = (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        '    {"Effect": "Allow",\n'
        '     "Action": ["kms:Decrypt"], "Resource": "*",\n'
        '     "Condition": {"StringEquals": {"aws:username": "a"}}}\n'
        "  ]\n"
        "}"
    )
    built = build_policy(
        parse_json(text, SRC), policy_type=PolicyType.IDENTITY, name="p", source=SRC
    )
    (statement,) = built.statements
    assert (built.span.line, built.span.column) == (1, 1)  # type: ignore[union-attr]
    assert (statement.span.line, statement.span.column) == (4, 5)  # type: ignore[union-attr]
    action = statement.actions[0].span
    assert (action.source, action.line, action.column) == (SRC, 5, 17)  # type: ignore[union-attr]
    resource = statement.resources[0].span  # type: ignore[index]
    assert (resource.line, resource.column) == (5, 45)  # type: ignore[union-attr]
    condition = statement.conditions[0].span
    assert (condition.line, condition.column) == (6, 37)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- structural errors

ERRORS = [
    pytest.param(PolicyType.IDENTITY, policy(stmt(), Versoin=V2012), "E_UNKNOWN_ELEMENT", (10, 3),
                 "expected one of", id="unknown-policy-element-lists-the-allowed"),
    pytest.param(PolicyType.IDENTITY, {"version": V2012, "Statement": []}, "E_UNKNOWN_ELEMENT",
                 (2, 3), "did you mean 'Version'?", id="lower-case-version-suggests-Version"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Effect=None, effect="Allow")),
                 "E_UNKNOWN_ELEMENT", (7, 7), "did you mean 'Effect'?",
                 id="lower-case-effect-suggests-Effect"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Action=None, ACTION="kms:Decrypt")),
                 "E_UNKNOWN_ELEMENT", (7, 7), "did you mean 'Action'?",
                 id="upper-case-action-suggests-Action"),
    pytest.param(PolicyType.KEY, policy(stmt(Principal={"aws": ROOT})), "E_PRINCIPAL", (9, 9),
                 "did you mean 'AWS'?", id="lower-case-aws-principal-suggests-AWS"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Effect=None)), "E_MISSING_EFFECT", (4, 5),
                 "no Effect", id="missing-effect-at-statement"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Action=None)), "E_MISSING_ACTION", (4, 5),
                 "Action", id="missing-action-at-statement"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Resource=None)), "E_MISSING_RESOURCE", (4, 5),
                 "Resource", id="missing-resource-at-statement"),
    pytest.param(PolicyType.KEY, policy(stmt(Principal="*", Resource=None)),
                 "E_MISSING_RESOURCE", (4, 5), "Resource", id="key-policy-needs-resource"),
    pytest.param(PolicyType.IDENTITY, {"Version": V2012}, "E_MISSING_STATEMENT", (1, 1),
                 "Statement", id="missing-statement-at-policy"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(NotAction="kms:Encrypt")),
                 "E_ACTION_AND_NOTACTION", (8, 7), "both", id="action-and-notaction-at-notaction"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(NotResource="*")),
                 "E_RESOURCE_AND_NOTRESOURCE", (8, 7), "both",
                 id="resource-and-notresource-at-notresource"),
    pytest.param(PolicyType.KEY, policy(stmt(Principal="*", NotPrincipal="*")),
                 "E_PRINCIPAL_AND_NOTPRINCIPAL", (9, 7), "both",
                 id="principal-and-notprincipal-at-notprincipal"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Principal="*")), "E_PRINCIPAL_NOT_ALLOWED",
                 (8, 7), "identity", id="principal-in-identity-policy-at-key"),
    pytest.param(PolicyType.SCP, policy(stmt(NotPrincipal={"AWS": ROOT})),
                 "E_PRINCIPAL_NOT_ALLOWED", (8, 7), "NotPrincipal", id="notprincipal-in-scp"),
    pytest.param(PolicyType.BOUNDARY, policy(stmt(Principal="*")), "E_PRINCIPAL_NOT_ALLOWED",
                 (8, 7), "boundary", id="principal-in-boundary"),
    pytest.param(PolicyType.SESSION, policy(stmt(Principal="*")), "E_PRINCIPAL_NOT_ALLOWED",
                 (8, 7), "session", id="principal-in-session-policy"),
    pytest.param(PolicyType.KEY, policy(stmt()), "E_MISSING_PRINCIPAL", (4, 5), "key",
                 id="key-policy-needs-principal"),
    pytest.param(PolicyType.TRUST, policy(stmt(Resource=None)), "E_MISSING_PRINCIPAL", (4, 5),
                 "trust", id="trust-policy-needs-principal"),
    pytest.param(PolicyType.RESOURCE, policy(stmt()), "E_MISSING_PRINCIPAL", (4, 5), "resource",
                 id="resource-policy-needs-principal"),
    pytest.param(PolicyType.KEY, policy(stmt(Principal=[ROOT])), "E_PRINCIPAL", (8, 20),
                 "AWS, Service", id="principal-list-is-not-a-principal"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Effect="allow")), "E_EFFECT", (5, 17),
                 "'allow'", id="effect-is-case-sensitive"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Effect="Permit")), "E_EFFECT", (5, 17),
                 "'Permit'", id="effect-must-be-allow-or-deny"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Effect=["Allow"])), "E_EFFECT", (5, 17),
                 "Effect", id="effect-list-is-bad-effect"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(), Version="2012-10-18"), "E_VERSION", (2, 14),
                 "2012-10-18", id="unknown-version-at-value"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(), Version=2012), "E_VERSION", (2, 14),
                 "2012", id="numeric-version"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(), Id=7), "E_TYPE", (10, 9), "Id",
                 id="numeric-id"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Sid=["a"])), "E_TYPE", (8, 14), "Sid",
                 id="list-sid"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Action=["kms:Decrypt", 3])), "E_TYPE", (8, 9),
                 "a number", id="number-in-action-list-at-item"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Resource={"arn": KEY})), "E_TYPE", (7, 19),
                 "an object", id="object-as-resource"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Action=True)), "E_TYPE", (6, 17),
                 "a boolean", id="boolean-as-action"),
    pytest.param(PolicyType.KEY, policy(stmt(Principal={"AWS": [ROOT, None]})), "E_TYPE",
                 (11, 11), "null", id="null-in-principal-list"),
    pytest.param(PolicyType.IDENTITY, {"Version": V2012, "Statement": "Allow"}, "E_TYPE", (3, 16),
                 "a string", id="statement-string"),
    pytest.param(PolicyType.IDENTITY, {"Version": V2012, "Statement": [["x"]]}, "E_TYPE", (4, 5),
                 "a list", id="statement-list-item-not-object"),
    pytest.param(PolicyType.IDENTITY, [policy(stmt())], "E_TYPE", (1, 1), "a list",
                 id="policy-not-an-object"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Condition=["x"])), "E_TYPE", (8, 20),
                 "Condition", id="condition-list"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Condition={"StringEquals": "x"})), "E_TYPE",
                 (9, 25), "StringEquals", id="operator-mapping-to-string"),
    pytest.param(PolicyType.IDENTITY,
                 policy(stmt(Condition={"StringEquals": {"aws:username": {"a": "b"}}})),
                 "E_TYPE", (10, 27), "an object", id="object-as-condition-value"),
    pytest.param(PolicyType.IDENTITY,
                 policy(stmt(Condition={"StringEquals": {"aws:username": ["a", None]}})),
                 "E_TYPE", (12, 13), "null", id="null-in-condition-values-at-item"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Condition={"StringEqualz": {"a": "b"}})),
                 "E_UNKNOWN_OPERATOR", (9, 9), "'StringEqualz'", id="unknown-operator-at-key"),
    pytest.param(PolicyType.IDENTITY,
                 policy(stmt(Condition={"ForEveryValue:StringLike": {"a": "b"}})),
                 "E_UNKNOWN_OPERATOR", (9, 9), "ForEveryValue", id="unknown-qualifier"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Condition={"IfExists": {"a": "b"}})),
                 "E_UNKNOWN_OPERATOR", (9, 9), "IfExists", id="ifexists-alone"),
    pytest.param(PolicyType.IDENTITY, policy(stmt(Condition={"NullIfExists": {"a": "true"}})),
                 "E_UNKNOWN_OPERATOR", (9, 9), "Null", id="null-with-ifexists"),
    pytest.param(PolicyType.IDENTITY,
                 policy(stmt(Condition={"ForAllValues:Null": {"a": "true"}})),
                 "E_UNKNOWN_OPERATOR", (9, 9), "Null", id="null-with-qualifier"),
    pytest.param(PolicyType.IDENTITY,
                 policy(stmt(Condition={"StringEquals": {"aws:username": "a",
                                                         "AWS:UserName": "b"}})),
                 "E_DUPLICATE_KEY", (11, 11), "'aws:username'",
                 id="condition-keys-differing-by-case-at-second"),
]  # fmt: skip


@pytest.mark.parametrize(("policy_type", "doc", "code", "where", "words"), ERRORS)
def test_structural_error_raises_policy_error_with_code_and_span(
    policy_type: PolicyType, doc: Any, code: str, where: tuple[int, int], words: str
) -> None:
    with pytest.raises(PolicyError) as info:
        build_text(doc, policy_type)
    exc = info.value
    assert exc.code == code
    assert exc.span is not None
    assert (exc.span.source, exc.span.line, exc.span.column) == (SRC, *where)
    assert words in exc.message
    assert str(exc).startswith(f"{SRC}:{where[0]}:{where[1]}: {code} ")


@pytest.mark.parametrize(("policy_type", "doc", "code", "where", "words"), ERRORS)
def test_structural_error_is_collected_when_findings_are_given(
    policy_type: PolicyType, doc: Any, code: str, where: tuple[int, int], words: str
) -> None:
    findings: list[Finding] = []
    build_text(doc, policy_type, findings=findings)
    assert [(f.code, f.severity) for f in findings][:1] == [(code, Severity.ERROR)]
    span = findings[0].span
    assert span is not None and (span.line, span.column) == where


@pytest.mark.parametrize(("policy_type", "doc", "code", "where", "words"), ERRORS)
def test_structural_error_from_plain_dicts_has_no_span(
    policy_type: PolicyType, doc: Any, code: str, where: tuple[int, int], words: str
) -> None:
    with pytest.raises(PolicyError) as info:
        build_policy(doc, policy_type=policy_type, name="p")
    assert info.value.code == code
    assert info.value.span is None


def test_findings_collect_every_problem_in_document_order() -> None:
    doc = policy(
        stmt(Sid="ok"),
        stmt(Effect="allow"),
        stmt(Action=None, Principal="*"),
        stmt(Condition={"StringEqualz": {"a": "b"}, "StringEquals": {"k": "1", "K": "2"}}),
        Versoin="x",
    )
    findings: list[Finding] = []
    built = build_text(doc, PolicyType.IDENTITY, findings=findings)
    assert [f.code for f in findings] == [
        "E_UNKNOWN_ELEMENT",
        "E_EFFECT",
        "E_MISSING_ACTION",
        "E_PRINCIPAL_NOT_ALLOWED",
        "E_UNKNOWN_OPERATOR",
        "E_DUPLICATE_KEY",
    ]
    assert all(f.severity is Severity.ERROR and f.span is not None for f in findings)
    # the statement with a bad Effect is dropped; the others are kept with their indexes
    assert [s.index for s in built.statements] == [0, 2, 3]
    assert [c.key for c in built.statements[2].conditions] == ["k"]


# --------------------------------------------------------------------------- operators

OPERATORS = [
    pytest.param("StringEquals", ("StringEquals", Qualifier.NONE, False), id="plain"),
    pytest.param("StringLikeIfExists", ("StringLike", Qualifier.NONE, True), id="ifexists"),
    pytest.param("ForAllValues:StringLike", ("StringLike", Qualifier.FOR_ALL_VALUES, False),
                 id="for-all-values"),
    pytest.param("ForAnyValue:StringEqualsIfExists",
                 ("StringEquals", Qualifier.FOR_ANY_VALUE, True), id="for-any-value-ifexists"),
    pytest.param("forallvalues:stringlike", ("StringLike", Qualifier.FOR_ALL_VALUES, False),
                 id="lower-case"),
    pytest.param("FORANYVALUE:ARNLIKEIFEXISTS", ("ArnLike", Qualifier.FOR_ANY_VALUE, True),
                 id="upper-case"),
    pytest.param("numericlessthanequals", ("NumericLessThanEquals", Qualifier.NONE, False),
                 id="canonical-spelling-returned"),
    pytest.param("DateGreaterThanIfExists", ("DateGreaterThan", Qualifier.NONE, True),
                 id="date"),
    pytest.param("Bool", ("Bool", Qualifier.NONE, False), id="bool"),
    pytest.param("BinaryEquals", ("BinaryEquals", Qualifier.NONE, False), id="binary"),
    pytest.param("NotIpAddressIfExists", ("NotIpAddress", Qualifier.NONE, True), id="ip"),
    pytest.param("ArnNotLike", ("ArnNotLike", Qualifier.NONE, False), id="arn"),
    pytest.param("Null", ("Null", Qualifier.NONE, False), id="null"),
    pytest.param("StringEqualz", None, id="misspelt-is-unknown"),
    pytest.param("", None, id="empty-is-unknown"),
    pytest.param("IfExists", None, id="ifexists-alone-is-unknown"),
    pytest.param("ForAllValues:", None, id="qualifier-alone-is-unknown"),
    pytest.param("ForSomeValues:StringLike", None, id="unknown-qualifier-is-unknown"),
    pytest.param("StringLike:ForAllValues", None, id="qualifier-after-is-unknown"),
    pytest.param("ForAllValues:ForAnyValue:StringLike", None, id="two-qualifiers-are-unknown"),
    pytest.param("StringEqualsIfExistsIfExists", None, id="double-ifexists-is-unknown"),
    pytest.param(" StringEquals", None, id="leading-space-is-unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
def test_parse_operator(text: str, expected: tuple[str, Qualifier, bool] | None) -> None:
    assert parse_operator(text) == expected


# --------------------------------------------------------------------------- loading text

PLAIN = policy(stmt(Sid="S", Condition={"StringEquals": {"aws:username": "a b&c"}}))
PLAIN_TEXT = json.dumps(PLAIN, indent=2)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(PLAIN_TEXT, id="json-object"),
        pytest.param(json.dumps(PLAIN_TEXT), id="json-string-holding-the-document"),
        pytest.param(urllib.parse.quote(json.dumps(PLAIN)), id="url-encoded"),
        pytest.param(
            "  " + re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), urllib.parse.quote(PLAIN_TEXT)),
            id="url-encoded-lower-hex-after-blanks",
        ),
        pytest.param(json.dumps(urllib.parse.quote(PLAIN_TEXT)), id="json-string-url-encoded"),
    ],
)
def test_documents_load_from_every_text_form(text: str) -> None:
    expected = build_policy(PLAIN, policy_type=PolicyType.IDENTITY, name="p")
    loaded = policy_from_text(text, policy_type=PolicyType.IDENTITY, name="p", source=SRC)
    assert strip_spans(loaded) == expected
    assert strip_spans(load_policy(text, policy_type=PolicyType.IDENTITY, name="p")) == expected
    as_bytes = policy_from_bytes(
        text.encode(), policy_type=PolicyType.IDENTITY, name="p", source=SRC
    )
    assert strip_spans(as_bytes) == expected


def test_load_policy_accepts_plain_and_positioned_objects() -> None:
    expected = build_policy(PLAIN, policy_type=PolicyType.IDENTITY, name="p")
    assert load_policy(PLAIN, policy_type=PolicyType.IDENTITY, name="p") == expected
    positioned = load_policy(
        parse_json(PLAIN_TEXT, SRC), policy_type=PolicyType.IDENTITY, name="p", source=SRC
    )
    assert strip_spans(positioned) == expected


def test_syntax_error_in_embedded_document_names_the_embedded_document() -> None:
    with pytest.raises(ParseError) as info:
        policy_from_text(
            json.dumps('{"Statement": [}'), policy_type=PolicyType.IDENTITY, name="p", source=SRC
        )
    span = info.value.span
    assert span is not None
    assert (span.source, span.line, span.column) == (f"{SRC} (embedded document)", 1, 16)


def test_spans_in_embedded_document_name_the_embedded_document() -> None:
    # Positions inside a JSON string holding the document are positions in the *decoded*
    # string, not in the file: label them as the parse errors of the same document are.
    loaded = policy_from_text(
        json.dumps(PLAIN_TEXT), policy_type=PolicyType.IDENTITY, name="p", source=SRC
    )
    sources = {span.source for span in all_spans(loaded)}
    assert sources == {f"{SRC} (embedded document)"}


def test_policy_error_in_text_document_has_position() -> None:
    text = '{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow", "Action": "s3:*"}}'
    with pytest.raises(PolicyError) as info:
        policy_from_text(text, policy_type=PolicyType.IDENTITY, name="p", source=SRC)
    assert info.value.code == "E_MISSING_RESOURCE"
    assert info.value.span is not None
    assert (info.value.span.line, info.value.span.column) == (2, 15)


@pytest.mark.parametrize(
    ("version", "enabled"),
    [
        pytest.param("2012-10-17", True, id="2012-enables-variables"),
        pytest.param("2008-10-17", False, id="2008-disables-variables"),
        pytest.param(None, False, id="missing-version-disables-variables"),
    ],
)
def test_version_decides_variables(version: str | None, enabled: bool) -> None:
    doc = policy(stmt(Resource="arn:aws:s3:::b/${aws:username}/*"), Version=version)
    built = build_policy(doc, policy_type=PolicyType.IDENTITY, name="p")
    assert built.version == version
    assert built.variables_enabled is enabled
    text_built = load_policy(json.dumps(doc), policy_type=PolicyType.IDENTITY, name="p")
    assert text_built.variables_enabled is enabled
