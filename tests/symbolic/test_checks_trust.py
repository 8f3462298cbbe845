"""Role trust policies in every check, with web-identity and SAML callers decided.

A trust policy has no ``Resource``: given as ``RESOURCE_POLICY`` it is read as a trust
policy (Access Analyzer's CheckNoNewAccess reference: resource policies include role
trust policies). Every pair below must be PASS or FAIL, never UNKNOWN, and every FAIL
carries a counterexample that the evaluator confirms.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cksmodel.concrete.evaluate import policy_allows
from cksmodel.concrete.request import PrincipalKind
from cksmodel.errors import PolicyError
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.symbolic.checks import (
    CheckResult,
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
    compare_policies,
    read_policy_argument,
)
from cksmodel.symbolic.query import Relation

ACCT = "111122223333"
OTHER = "444455556666"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_ARN = f"arn:aws:iam::{ACCT}:oidc-provider/{GITHUB}"
COGNITO = "cognito-identity.amazonaws.com"
POOL = "us-east-1:11111111-2222-3333-4444-555555555555"
SAML_ARN = f"arn:aws:iam::{ACCT}:saml-provider/ExampleIdP"
SAML_AUD = "https://signin.aws.amazon.com/saml"
TIMEOUT = 30.0


def trust(principal: dict[str, Any], action: str, condition: dict[str, Any] | None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def github(sub: str | None, *, provider: str = GITHUB_ARN, like: bool = True) -> str:
    cond: dict[str, Any] = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
    if sub is not None:
        cond.setdefault("StringLike" if like else "StringEquals", {})[f"{GITHUB}:sub"] = sub
    return trust({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", cond)


def cognito(aud: str | None, amr: str = "authenticated") -> str:
    cond: dict[str, Any] = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": amr}}
    if aud is not None:
        cond["StringEquals"] = {f"{COGNITO}:aud": aud}
    return trust({"Federated": COGNITO}, "sts:AssumeRoleWithWebIdentity", cond)


def saml(aud: str | None) -> str:
    cond = {"StringEquals": {"SAML:aud": aud}} if aud is not None else None
    return trust({"Federated": SAML_ARN}, "sts:AssumeRoleWithSAML", cond)


def load(text: str, name: str) -> Policy:
    return read_policy_argument(text, policy_type=PolicyType.RESOURCE, name=name)


def assert_replayed(result: CheckResult, *policies: Policy) -> None:
    assert result.result != "UNKNOWN", result.message
    if result.result == "FAIL":
        assert result.answer.counterexamples
        for example in result.answer.counterexamples:
            assert example.request.resource.startswith("arn:aws:iam::")
            assert ":role/" in example.request.resource
            assert any(policy_allows(p, example.request) for p in policies)


MAIN = "repo:acme/app:ref:refs/heads/main"
NO_NEW_ACCESS = [
    ("github: same trust", github(MAIN, like=False), github(MAIN, like=False), "PASS"),
    ("github: sub widened to the org", github(MAIN, like=False), github("repo:acme/*"), "FAIL"),
    ("github: sub narrowed to main", github("repo:acme/*"), github(MAIN, like=False), "PASS"),
    ("github: sub condition dropped", github("repo:acme/*"), github(None), "FAIL"),
    (
        "github: provider swapped to another account's",
        github(MAIN, like=False),
        github(MAIN, like=False, provider=f"arn:aws:iam::{OTHER}:oidc-provider/{GITHUB}"),
        "FAIL",
    ),
    ("cognito: aud condition dropped", cognito(POOL), cognito(None), "FAIL"),
    ("cognito: amr widened to any", cognito(POOL), cognito(POOL, amr="*"), "FAIL"),
    ("cognito: amr narrowed", cognito(POOL, amr="*"), cognito(POOL), "PASS"),
    ("saml: aud loosened (dropped)", saml(SAML_AUD), saml(None), "FAIL"),
    ("saml: aud pinned", saml(None), saml(SAML_AUD), "PASS"),
    ("saml to github: another provider", saml(SAML_AUD), github(MAIN), "FAIL"),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in NO_NEW_ACCESS], ids=[c[0] for c in NO_NEW_ACCESS]
)
def test_no_new_access_on_trust_pairs(old: str, new: str, expected: str) -> None:
    existing, changed = load(old, "existing"), load(new, "new")
    assert existing.policy_type is PolicyType.TRUST
    result = check_no_new_access(existing, changed, identity=False, timeout=TIMEOUT, max_examples=2)
    assert_replayed(result, changed)
    assert result.result == expected, result.to_json()


def test_widened_github_trust_names_a_realistic_token() -> None:
    result = check_no_new_access(
        load(github(MAIN, like=False), "existing"),
        load(github(None), "new"),
        identity=False,
        timeout=TIMEOUT,
        max_examples=1,
    )
    (example,) = result.answer.counterexamples
    assert example.request.principal.kind is PrincipalKind.WEB_IDENTITY
    assert example.request.principal.text == GITHUB_ARN
    assert example.request.action == "sts:AssumeRoleWithWebIdentity"


PUBLIC = [
    ("github trust without a sub condition is public", github(None), "FAIL"),
    ("github trust with sub '*' is public", github("*"), "FAIL"),
    ("github trust with a sub pattern not fixing the owner is public", github("*acme*"), "FAIL"),
    ("github trust pinned to one branch is not public", github(MAIN, like=False), "PASS"),
    (
        "github trust pinned to the owner's repositories is not public",
        github("repo:acme/*"),
        "PASS",
    ),
    ("cognito trust without an aud condition is public", cognito(None), "FAIL"),
    ("cognito trust pinned to one identity pool is not public", cognito(POOL), "PASS"),
    ("saml trust of the account's own identity provider is not public", saml(None), "PASS"),
    (
        "trust of every AWS principal is public",
        trust({"AWS": "*"}, "sts:AssumeRole", None),
        "FAIL",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in PUBLIC], ids=[c[0] for c in PUBLIC])
def test_no_public_access_for_trust_policies(text: str, expected: str) -> None:
    policy = read_policy_argument(text, policy_type=PolicyType.TRUST, name="trust")
    result = check_no_public_access(
        policy, "AWS::IAM::AssumeRolePolicyDocument", timeout=TIMEOUT, max_examples=1
    )
    assert_replayed(result, policy)
    assert result.result == expected, result.to_json()
    if expected == "FAIL":
        assert result.reasons, "a FAIL names the statement that lets the stranger in"


def test_public_github_trust_is_explained_with_a_stranger_repository() -> None:
    policy = load(github(None), "trust")
    result = check_no_public_access(
        policy, "AWS::IAM::AssumeRolePolicyDocument", timeout=TIMEOUT, max_examples=1
    )
    (example,) = result.answer.counterexamples
    sub = example.request.context[f"{GITHUB}:sub"]
    assert isinstance(sub, str) and sub.startswith("repo:") and not sub.startswith("repo:acme/")
    assert result.reasons[0]["statementIndex"] == 0


def test_access_not_granted_and_compare_accept_trust_policies() -> None:
    policy = load(github("repo:acme/*"), "policy")
    granted = check_access_not_granted(
        policy,
        {"actions": ["sts:AssumeRoleWithWebIdentity"]},
        identity=False,
        timeout=TIMEOUT,
        max_examples=1,
    )
    assert granted.result == "FAIL"
    not_granted = check_access_not_granted(
        policy, {"actions": ["sts:AssumeRole"]}, identity=False, timeout=TIMEOUT, max_examples=1
    )
    assert not_granted.result == "PASS"
    comparison = compare_policies(
        load(github(None), "A"), policy, identity=False, timeout=TIMEOUT, max_examples=1
    )
    assert comparison.relation is Relation.MORE_PERMISSIVE


def test_a_resource_policy_without_resource_that_is_no_trust_policy_is_still_an_error() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}],
        }
    )
    with pytest.raises(PolicyError) as caught:
        load(text, "policy")
    assert caught.value.code == "E_MISSING_RESOURCE"


def test_service_trust_widened_to_every_sts_action_fails() -> None:
    """The trust actions the evaluator treats apart (web identity, SAML, session tags)
    are not merged into one representative action."""
    service = {"Service": "ec2.amazonaws.com"}
    result = check_no_new_access(
        load(trust(service, "sts:AssumeRole", None), "existing"),
        load(trust(service, "sts:*", None), "new"),
        identity=False,
        timeout=TIMEOUT,
        max_examples=1,
    )
    assert result.result == "FAIL", result.to_json()
    (example,) = result.answer.counterexamples
    assert example.request.action != "sts:AssumeRole"


def test_get_caller_identity_is_the_only_call_an_iam_user_makes_under_a_deny_all() -> None:
    from cksmodel.policy.ir import PolicySet
    from cksmodel.policy.parse import load_policy
    from cksmodel.symbolic.logic import and_, not_
    from cksmodel.symbolic.query import Verdict, can

    deny_all = load_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
        },
        policy_type=PolicyType.IDENTITY,
        name="deny",
    )
    policies = PolicySet(identity=(deny_all,))
    anything = can(
        policies, constraint=lambda enc: enc.kind_is(PrincipalKind.USER), timeout=TIMEOUT
    )
    assert anything.verdict is Verdict.REFUTED
    assert anything.counterexamples[0].request.action == "sts:GetCallerIdentity"
    other = can(
        policies,
        constraint=lambda enc: and_(
            enc.kind_is(PrincipalKind.USER),
            not_(enc.action_where("sts:getcalleridentity".__eq__)),
        ),
        timeout=TIMEOUT,
    )
    assert other.verdict is Verdict.PROVED
