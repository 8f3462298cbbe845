"""Offline Access Analyzer-style checks (``cksmodel.symbolic.checks``) on custom key store policies.

Every FAIL must carry counterexample requests that the concrete evaluator
confirms at the level of the policies alone (``evaluate.policy_allows``), and
reasons that point at the statements that allow them.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cksmodel.concrete.evaluate import policy_allows, policy_statements
from cksmodel.concrete.request import PrincipalKind, Request
from cksmodel.errors import InputError
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.patterns import arn_match, compile_glob, split_arn
from cksmodel.symbolic.checks import (
    CheckResult,
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
    compare_policies,
    parse_access,
    read_policy_argument,
)
from cksmodel.symbolic.query import Relation

DATA = Path(__file__).resolve().parents[1] / "data" / "checks"
ACCOUNT = "111122223333"
TIMEOUT = 30.0
ACCOUNT_ID = re.compile(r"^\d{12}$")

IDENTITY = PolicyType.IDENTITY
RESOURCE = PolicyType.RESOURCE
KEY = PolicyType.KEY
TRUST = PolicyType.TRUST


def load(name: str, policy_type: PolicyType = IDENTITY, label: str = "policy") -> Policy:
    return read_policy_argument(str(DATA / name), policy_type=policy_type, name=label)


def request_text(request: Request) -> str:
    return json.dumps(
        {
            "principal": request.principal.text,
            "action": request.action,
            "resource": request.resource,
            "resource_account": request.resource_account,
            "context": {
                k: list(v) if isinstance(v, tuple) else v for k, v in request.context.items()
            },
        },
        sort_keys=True,
    )


def assert_shape(result: CheckResult, expected: str) -> dict[str, Any]:
    assert result.result == expected, result.to_json()
    assert result.exit_code == {"PASS": 0, "FAIL": 1, "UNKNOWN": 3}[expected]
    out = result.to_json()
    assert {"result", "message", "reasons", "counterexamples", "time_s"} <= set(out)
    assert out["result"] == expected
    assert isinstance(out["message"], str) and out["message"]
    json.dumps(out)
    for reason in out["reasons"]:
        assert set(reason) == {"description", "statementIndex", "statementId", "line", "column"}
        assert isinstance(reason["statementIndex"], int)
        assert reason["line"] >= 1 and reason["column"] >= 1
    for example in out["counterexamples"]:
        assert set(example) == {"request", "decisions"}
        assert {"principal", "action", "resource", "context"} <= set(example["request"])
    if expected == "FAIL":
        assert out["reasons"] and out["counterexamples"]
    else:
        assert out["reasons"] == [] and out["counterexamples"] == []
    return out


def assert_reasons_allow(result: CheckResult, policy: Policy) -> None:
    """Each reason names a statement of ``policy`` that allows some counterexample."""
    allowing = {
        m.statement_index
        for example in result.answer.counterexamples
        for m in policy_statements(policy, example.request)[0]
    }
    assert {r["statementIndex"] for r in result.reasons} == allowing
    by_index = {s.index: s for s in policy.statements}
    for reason in result.reasons:
        assert reason["statementId"] == by_index[reason["statementIndex"]].sid


# --------------------------------------------------------------------------- check-no-new-access

NO_NEW_ACCESS = [
    pytest.param(
        "key-user.json",
        "key-user-kms-star.json",
        IDENTITY,
        "FAIL",
        id="key-user-gains-kms-star-fail",
    ),
    pytest.param(
        "key-user-kms-star.json",
        "key-user.json",
        IDENTITY,
        "PASS",
        id="key-user-drops-kms-star-pass",
    ),
    pytest.param(
        "store-manager.json",
        "store-manager-create-key.json",
        IDENTITY,
        "FAIL",
        id="store-manager-gains-create-key-fail",
    ),
    pytest.param(
        "store-manager-create-key.json",
        "store-manager.json",
        IDENTITY,
        "PASS",
        id="store-manager-drops-create-key-pass",
    ),
    pytest.param(
        "store-manager.json",
        "store-manager.json",
        IDENTITY,
        "PASS",
        id="store-manager-unchanged-pass",
    ),
    pytest.param(
        "key-policy-default.json",
        "key-policy-public.json",
        RESOURCE,
        "FAIL",
        id="key-policy-gains-public-statement-fail",
    ),
    pytest.param(
        "key-policy-public.json",
        "key-policy-org.json",
        RESOURCE,
        "PASS",
        id="key-policy-public-narrowed-to-org-pass",
    ),
    pytest.param(
        "key-policy-org.json",
        "key-policy-public.json",
        RESOURCE,
        "FAIL",
        id="key-policy-org-widened-to-public-fail",
    ),
]


@pytest.mark.parametrize(("existing", "new", "policy_type", "expected"), NO_NEW_ACCESS)
def test_check_no_new_access(
    existing: str, new: str, policy_type: PolicyType, expected: str
) -> None:
    old_policy = load(existing, policy_type, "existing")
    new_policy = load(new, policy_type, "new")
    result = check_no_new_access(
        old_policy,
        new_policy,
        identity=policy_type is IDENTITY,
        timeout=TIMEOUT,
        max_examples=2,
    )
    assert_shape(result, expected)
    for example in result.answer.counterexamples:
        assert policy_allows(new_policy, example.request)
        assert not policy_allows(old_policy, example.request)
        assert example.decisions == {"new": "allowed", "existing": "denied"}
        if policy_type is IDENTITY:
            assert example.request.principal.kind in (
                PrincipalKind.USER,
                PrincipalKind.ASSUMED_ROLE,
            )
    if expected == "FAIL":
        assert_reasons_allow(result, new_policy)


def test_store_manager_extra_permission_is_create_key() -> None:
    result = check_no_new_access(
        load("store-manager.json"),
        load("store-manager-create-key.json"),
        identity=True,
        timeout=TIMEOUT,
        max_examples=3,
    )
    assert_shape(result, "FAIL")
    assert {e.request.action.lower() for e in result.answer.counterexamples} == {"kms:createkey"}


def test_max_examples_on_fail_are_distinct() -> None:
    result = check_no_new_access(
        load("key-user.json"),
        load("key-user-kms-star.json"),
        identity=True,
        timeout=TIMEOUT,
        max_examples=3,
    )
    assert_shape(result, "FAIL")
    shown = [request_text(e.request) for e in result.answer.counterexamples]
    assert 1 <= len(shown) <= 3
    assert len(set(shown)) == len(shown)


def test_counterexample_actions_are_catalog_actions() -> None:
    """kms:* allows plenty of real KMS actions: a counterexample names one of them, not a
    placeholder such as kms:UnlistedAction that a person cannot try."""
    from cksmodel.policy.catalog import get_catalog

    result = check_no_new_access(
        load("key-user.json"),
        load("key-user-kms-star.json"),
        identity=True,
        timeout=TIMEOUT,
        max_examples=3,
    )
    assert_shape(result, "FAIL")
    actions = [e.request.action for e in result.answer.counterexamples]
    assert all(get_catalog().action(a) is not None for a in actions), actions


# ------------------------------------------------------------------------ check-access-not-granted

CLUSTER_ADMIN = [
    "cloudhsm:CreateCluster",
    "cloudhsm:InitializeCluster",
    "cloudhsm:DeleteCluster",
    "cloudhsm:CreateHsm",
    "cloudhsm:DeleteHsm",
    "cloudhsm:DeleteBackup",
]

ACCESS_NOT_GRANTED = [
    pytest.param(
        "key-user.json",
        {"actions": ["kms:DeleteCustomKeyStore"]},
        "PASS",
        id="key-user-cannot-delete-store-pass",
    ),
    pytest.param(
        "key-user-kms-star.json",
        {"actions": ["kms:DeleteCustomKeyStore"]},
        "FAIL",
        id="kms-star-can-delete-store-fail",
    ),
    pytest.param(
        "store-manager.json",
        {"actions": ["kms:CreateKey", "kms:Decrypt"]},
        "PASS",
        id="store-manager-cannot-create-or-use-keys-pass",
    ),
    pytest.param(
        "store-manager-create-key.json",
        {"actions": ["kms:CreateKey"]},
        "FAIL",
        id="store-manager-with-create-key-fail",
    ),
    pytest.param(
        "slr-permissions.json",
        {"actions": CLUSTER_ADMIN},
        "PASS",
        id="slr-cannot-manage-clusters-hsms-backups-pass",
    ),
    pytest.param(
        "slr-permissions.json",
        {"actions": ["ec2:CreateNetworkInterface"]},
        "FAIL",
        id="slr-can-create-network-interface-fail",
    ),
    pytest.param(
        "key-user.json",
        {"resources": ["arn:aws:kms:us-west-2:111122223333:key/*"]},
        "PASS",
        id="key-user-no-keys-in-other-region-pass",
    ),
    pytest.param(
        "key-user.json",
        {"actions": ["kms:Decrypt"], "resources": ["arn:aws:kms:us-east-1:111122223333:key/abc"]},
        "FAIL",
        id="key-user-decrypts-named-key-fail",
    ),
    # Custom key store actions have no resource type: a policy whose resources are key
    # ARNs never grants them (DESIGN.md, "Custom key store actions ... the policy
    # resource must be *").
    pytest.param(
        "key-manager-keys-only.json",
        {"actions": ["kms:DeleteCustomKeyStore"]},
        "PASS",
        id="kms-star-on-key-arns-cannot-delete-store-pass",
    ),
    pytest.param(
        "key-manager-keys-only.json",
        {"actions": ["kms:DeleteCustomKeyStore"], "resources": ["*"]},
        "PASS",
        id="kms-star-on-key-arns-cannot-delete-store-resources-star-pass",
    ),
]


@pytest.mark.parametrize(("name", "access", "expected"), ACCESS_NOT_GRANTED)
def test_check_access_not_granted(name: str, access: Mapping[str, Any], expected: str) -> None:
    policy = load(name)
    result = check_access_not_granted(
        policy, access, identity=True, timeout=TIMEOUT, max_examples=2
    )
    assert_shape(result, expected)
    actions = access.get("actions") or ["*"]
    resources = access.get("resources") or ["*"]
    for example in result.answer.counterexamples:
        r = example.request
        assert policy_allows(policy, r)
        assert any(compile_glob(a, True).match(r.action) for a in actions)
        assert any(arn_match(v, r.resource) for v in resources)
        assert example.decisions == {"policy": "allowed"}
    if expected == "FAIL":
        assert_reasons_allow(result, policy)


def test_custom_key_store_counterexample_uses_star_resource() -> None:
    """A request for a custom key store action names resource ``*`` (the action has no
    resource type); a role or key ARN there is not a request AWS can receive."""
    result = check_access_not_granted(
        load("key-user-kms-star.json"),
        {"actions": ["kms:DeleteCustomKeyStore"]},
        identity=True,
        timeout=TIMEOUT,
        max_examples=1,
    )
    assert_shape(result, "FAIL")
    assert [e.request.resource for e in result.answer.counterexamples] == ["*"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[]", id="list-rejected"),
        pytest.param('"kms:Decrypt"', id="string-rejected"),
        pytest.param("{}", id="empty-object-rejected"),
        pytest.param('{"actions": []}', id="empty-actions-rejected"),
        pytest.param('{"actions": "kms:Decrypt"}', id="scalar-actions-rejected"),
        pytest.param('{"actions": [1]}', id="non-string-action-rejected"),
        pytest.param('{"verbs": ["kms:Decrypt"]}', id="unknown-member-rejected"),
        pytest.param('{"actions": [', id="malformed-json-rejected"),
    ],
)
def test_bad_access_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        access = parse_access(text)
        check_access_not_granted(
            load("key-user.json"), access, identity=True, timeout=TIMEOUT, max_examples=1
        )


# --------------------------------------------------------------------------- check-no-public-access

NO_PUBLIC_ACCESS = [
    pytest.param(
        "key-policy-public.json", "AWS::KMS::Key", KEY, "FAIL", id="key-policy-principal-star-fail"
    ),
    pytest.param(
        "key-policy-default.json", "AWS::KMS::Key", KEY, "PASS", id="default-key-policy-pass"
    ),
    pytest.param(
        "key-policy-org.json",
        "AWS::KMS::Key",
        KEY,
        "PASS",
        id="key-policy-principal-star-with-org-id-pass",
    ),
    pytest.param(
        "trust-cks.json",
        "AWS::IAM::AssumeRolePolicyDocument",
        TRUST,
        "PASS",
        id="slr-trust-cks-service-only-pass",
    ),
    pytest.param(
        "trust-any-aws.json",
        "AWS::IAM::AssumeRolePolicyDocument",
        TRUST,
        "FAIL",
        id="trust-any-aws-principal-fail",
    ),
]


@pytest.mark.parametrize(("name", "resource_type", "policy_type", "expected"), NO_PUBLIC_ACCESS)
def test_check_no_public_access(
    name: str, resource_type: str, policy_type: PolicyType, expected: str
) -> None:
    policy = load(name, policy_type)
    result = check_no_public_access(policy, resource_type, timeout=TIMEOUT, max_examples=2)
    assert_shape(result, expected)
    named = {ACCOUNT}
    for example in result.answer.counterexamples:
        r = example.request
        assert policy_allows(policy, r)
        assert r.principal.kind is PrincipalKind.ANONYMOUS or r.principal.account not in named
        if resource_type == "AWS::KMS::Key":
            assert r.action.lower().startswith("kms:")
            parts = split_arn(r.resource)
            assert parts is not None and parts[2] == "kms" and parts[5].startswith("key/")
        else:
            assert r.action.lower().startswith("sts:")
    if expected == "FAIL":
        assert_reasons_allow(result, policy)


def test_public_key_policy_counterexample_is_anonymous_or_unnamed_account() -> None:
    result = check_no_public_access(
        load("key-policy-public.json", KEY), "AWS::KMS::Key", timeout=TIMEOUT, max_examples=1
    )
    out = assert_shape(result, "FAIL")
    principal = out["counterexamples"][0]["request"]["principal"]
    if principal != "anonymous":
        parts = split_arn(principal)
        assert parts is not None and ACCOUNT_ID.match(parts[4]) and parts[4] != ACCOUNT
    assert out["reasons"][0]["statementId"] == "AllowUseByAnyone"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("key-policy-public.json", id="principal-star-distinct"),
        pytest.param("key-policy-anonymous-only.json", id="anonymous-only-distinct"),
    ],
)
def test_public_access_max_examples_are_distinct(name: str) -> None:
    """Up to N counterexamples, no two alike (an anonymous caller has no account, so
    requests differing only in an unseen account are the same request)."""
    result = check_no_public_access(
        load(name, KEY), "AWS::KMS::Key", timeout=TIMEOUT, max_examples=3
    )
    assert_shape(result, "FAIL")
    shown = [request_text(e.request) for e in result.answer.counterexamples]
    assert 1 <= len(shown) <= 3
    assert len(set(shown)) == len(shown), shown


# --------------------------------------------------------------------------- compare

COMPARE = [
    pytest.param("store-manager.json", "store-manager.json", Relation.EQUIVALENT, id="equivalent"),
    pytest.param(
        "store-manager-create-key.json",
        "store-manager.json",
        Relation.MORE_PERMISSIVE,
        id="more-permissive",
    ),
    pytest.param(
        "key-user.json", "key-user-kms-star.json", Relation.LESS_PERMISSIVE, id="less-permissive"
    ),
    pytest.param("key-user.json", "store-manager.json", Relation.INCOMPARABLE, id="incomparable"),
]


@pytest.mark.parametrize(("a", "b", "expected"), COMPARE)
def test_compare_policies(a: str, b: str, expected: Relation) -> None:
    pa, pb = load(a, label="A"), load(b, label="B")
    result = compare_policies(pa, pb, identity=True, timeout=TIMEOUT, max_examples=1)
    assert result.relation is expected
    for example in result.only_a.counterexamples:
        assert policy_allows(pa, example.request) and not policy_allows(pb, example.request)
    for example in result.only_b.counterexamples:
        assert policy_allows(pb, example.request) and not policy_allows(pa, example.request)


# --------------------------------------------------------------------------- UNKNOWN


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(
            lambda: check_no_new_access(
                load("key-user.json"),
                load("key-user-kms-star.json"),
                identity=True,
                timeout=1e-6,
                max_examples=1,
            ),
            id="no-new-access-unknown",
        ),
        pytest.param(
            lambda: check_access_not_granted(
                load("key-user.json"),
                {"actions": ["kms:DeleteCustomKeyStore"]},
                identity=True,
                timeout=1e-6,
                max_examples=1,
            ),
            id="access-not-granted-unknown",
        ),
        pytest.param(
            lambda: check_no_public_access(
                load("trust-cks.json", TRUST),
                "AWS::IAM::AssumeRolePolicyDocument",
                timeout=1e-6,
                max_examples=1,
            ),
            id="no-public-access-unknown",
        ),
    ],
)
def test_tiny_timeout_is_unknown(run: Any) -> None:
    result = run()
    out = assert_shape(result, "UNKNOWN")
    assert "timeout" in out["message"]


def test_tiny_timeout_compare_is_unknown() -> None:
    result = compare_policies(
        load("key-user.json"),
        load("store-manager.json"),
        identity=True,
        timeout=1e-6,
        max_examples=1,
    )
    assert result.relation is Relation.UNKNOWN


# --------------------------------------------------------------------------- policy arguments


def test_policy_argument_forms_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    path = DATA / "key-user.json"
    text = path.read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    forms = {
        "path": read_policy_argument(str(path), policy_type=IDENTITY, name="p"),
        "file-url": read_policy_argument(f"file://{path}", policy_type=IDENTITY, name="p"),
        "inline": read_policy_argument(text, policy_type=IDENTITY, name="p"),
        "stdin": read_policy_argument("-", policy_type=IDENTITY, name="p"),
    }
    for policy in forms.values():
        assert [s.sid for s in policy.statements] == ["UseStoreKeys"]
        assert [a.text for a in policy.statements[0].actions] == [
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ]
    assert forms["path"].statements[0].span is not None
    assert forms["path"].statements[0].span.source == str(path)
    assert forms["stdin"].statements[0].span is not None
    assert forms["stdin"].statements[0].span.source == "<stdin>"


@pytest.mark.parametrize(
    ("arg", "where"),
    [
        pytest.param(
            str(DATA / "malformed.json"), "malformed.json:4:", id="malformed-json-position"
        ),
        pytest.param(str(DATA / "does-not-exist.json"), "does-not-exist.json", id="missing-file"),
        pytest.param(
            f"file://{DATA / 'does-not-exist.json'}", "does-not-exist.json", id="missing-file-url"
        ),
        pytest.param('{"Version": "2012-10-17", "Statement": [}', "<policy>:1:", id="bad-inline"),
    ],
)
def test_bad_policy_argument_is_an_input_error(arg: str, where: str) -> None:
    with pytest.raises(InputError) as info:
        read_policy_argument(arg, policy_type=IDENTITY, name="policy")
    assert where in str(info.value)
