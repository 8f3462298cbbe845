"""The cheap paths of ``can`` decisions: each decides only what is certain, and agrees
with the solver."""

from __future__ import annotations

from typing import Any

import pytest

import cksmodel.account.access as access_module
from cksmodel.account.access import Access, Target, specialize
from cksmodel.account.model import Account, IamPrincipal
from cksmodel.policy.ir import Grant, PolicyType
from cksmodel.policy.parse import load_policy

ACCT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/app"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _role(*statements: dict[str, Any], scp: list[dict[str, Any]] | None = None) -> Account:
    policy = load_policy(
        {"Version": "2012-10-17", "Statement": list(statements)},
        policy_type=PolicyType.IDENTITY,
        name="role/app/inline/p",
    )
    role = IamPrincipal(
        kind="role", arn=ROLE_ARN, name="app", path="/", account=ACCT, policies=(policy,)
    )
    scps = ()
    if scp:
        doc = {"Version": "2012-10-17", "Statement": scp}
        scps = ((load_policy(doc, policy_type=PolicyType.SCP, name="scp/guard"),),)
    return Account(account_id=ACCT, principals=(role,), scps=scps)


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
MFA_ONLY = {
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": "*",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
}
ONLY_STORE_MANAGER = {
    "Effect": "Deny",
    "Action": "kms:DeleteCustomKeyStore",
    "Resource": "*",
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/store-manager"}},
}
REGION_DENY = {
    "Effect": "Deny",
    "Action": "kms:DeleteCustomKeyStore",
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
}

CASES = {
    # name: (account, action, expected value, decided without the solver)
    "a_condition_met_by_a_guessed_context_is_allowed_without_the_solver": (
        _role(MFA_ONLY),
        "s3:GetObject",
        True,
        True,
    ),
    "a_deny_reading_only_the_callers_arn_refuses_without_the_solver": (
        _role(ALLOW_ALL, scp=[ALLOW_ALL, ONLY_STORE_MANAGER]),
        "kms:DeleteCustomKeyStore",
        False,
        True,
    ),
    "a_deny_reading_the_request_needs_the_solver_and_it_finds_the_way_around": (
        _role(ALLOW_ALL, scp=[ALLOW_ALL, REGION_DENY]),
        "kms:DeleteCustomKeyStore",
        True,
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_quick_paths(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    account, action, expected, quick = CASES[name]
    calls: list[object] = []
    real = access_module.search

    def counting(question: Any) -> Any:
        calls.append(question)
        return real(question)

    monkeypatch.setattr(access_module, "search", counting)
    result = Access(account, timeout=30).decide(
        account.principals[0], (action,), [Target("*", "*", True)], readable=False
    )
    assert result.value is expected
    assert (not calls) is quick
    if expected:
        assert result.witness is not None


def test_a_grant_to_someone_else_is_no_reason_to_ask_the_solver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = _role({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    grant = Grant(
        index=0,
        key_id="1234abcd-12ab-34cd-56ef-1234567890ab",
        grantee=f"arn:aws:iam::{ACCT}:role/other",
        operations=("CreateGrant",),
    )
    monkeypatch.setattr(access_module, "search", lambda q: pytest.fail("solver called"))
    result = Access(account, timeout=30).decide(
        account.principals[0],
        ("kms:CreateGrant",),
        [Target(KEY_ARN, KEY_ARN, True, None, (grant,))],
    )
    assert result.value is False


@pytest.mark.parametrize(
    ("resource", "written"),
    [
        ("arn:aws:iam::*:user/${aws:username}", None),
        ("arn:aws:iam::*:role/${aws:PrincipalAccount}-*", "arn:aws:iam::*:role/111122223333-*"),
        ("arn:aws:s3:::b/${aws:username, 'none'}/*", "arn:aws:s3:::b/none/*"),
        ("arn:aws:s3:::b/${aws:SourceIp}/*", "arn:aws:s3:::b/${aws:SourceIp}/*"),
        ("arn:aws:s3:::b/${*}/${aws:PrincipalAccount}", "arn:aws:s3:::b/${*}/111122223333"),
    ],
    ids=["unset-for-a-role", "account", "default", "request-key-kept", "escape-kept"],
)
def test_specialize_writes_out_caller_variables_only(resource: str, written: str | None) -> None:
    account = _role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource})
    policy = account.principals[0].policies[0]
    out = specialize(policy, account.principals[0].request_principal())
    resources = out.statements[0].resources
    assert resources is not None
    assert [v.text for v in resources] == ([] if written is None else [written])
