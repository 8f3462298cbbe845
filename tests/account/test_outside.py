"""Principals outside the bundle that its policies and grants name."""

from __future__ import annotations

from typing import Any

import pytest

from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.account.outside import (
    named_principals,
    outside_iam_principals,
    outside_named,
    outside_principal,
)
from cksmodel.policy.ir import Grant, PolicyType
from cksmodel.policy.parse import load_policy

ACCT = "111122223333"
OTHER = "444455556666"


def _account(principal: Any, *, effect: str = "Allow", grantee: str = "") -> Account:
    statement = {"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"}
    trust = load_policy(
        {"Version": "2012-10-17", "Statement": [statement]},
        policy_type=PolicyType.TRUST,
        name="role/r/trust",
    )
    role = IamPrincipal(
        kind="role", arn=f"arn:aws:iam::{ACCT}:role/r", name="r", path="/", account=ACCT,
        trust_policy=trust,
    )  # fmt: skip
    key_policy = load_policy(
        {"Version": "2012-10-17", "Statement": []}, policy_type=PolicyType.KEY, name="k"
    )
    grants = (Grant(index=0, key_id="k", grantee=grantee, operations=("Decrypt",)),)
    key = Key(
        key_id="k",
        arn=f"arn:aws:kms:us-east-1:{ACCT}:key/k",
        account=ACCT,
        region="us-east-1",
        policy=key_policy,
        grants=grants if grantee else (),
    )
    return Account(account_id=ACCT, principals=(role,), keys=(key,))


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ({"AWS": f"arn:aws:iam::{OTHER}:role/ops"}, [("role", f"arn:aws:iam::{OTHER}:role/ops")]),
        (
            {"AWS": [f"arn:aws:iam::{OTHER}:role/Ops", f"arn:aws:iam::{OTHER}:role/ops"]},
            [("role", f"arn:aws:iam::{OTHER}:role/Ops")],
        ),
        ({"AWS": OTHER}, [("account", f"arn:aws:iam::{OTHER}:root")]),
        (
            {"AWS": [OTHER, f"arn:aws:iam::{OTHER}:root"]},
            [("account", f"arn:aws:iam::{OTHER}:root")],
        ),
        ({"AWS": f"arn:aws:iam::{ACCT}:role/local"}, []),
        ({"AWS": ACCT}, []),
        (
            {"AWS": f"arn:aws:sts::{OTHER}:assumed-role/ops/ci"},
            [("session", f"arn:aws:sts::{OTHER}:assumed-role/ops/ci")],
        ),
        (
            {"AWS": f"arn:aws:sts::{OTHER}:federated-user/bob"},
            [("federated-user", f"arn:aws:sts::{OTHER}:federated-user/bob")],
        ),
        ({"Service": "EC2.amazonaws.com"}, [("service", "ec2.amazonaws.com")]),
        ("*", [("anonymous", "*")]),
    ],
)
def test_named_principals_one_per_identity(principal: Any, expected: list[tuple[str, str]]) -> None:
    assert [(n.kind, n.value) for n in named_principals(_account(principal))] == expected


def test_deny_statements_name_no_entry_point() -> None:
    account = _account({"AWS": f"arn:aws:iam::{OTHER}:role/ops"}, effect="Deny")
    assert named_principals(account) == []


def test_grantees_of_other_accounts_are_named() -> None:
    account = _account({"Service": "kms.amazonaws.com"}, grantee=f"arn:aws:iam::{OTHER}:user/u")
    assert ("user", f"arn:aws:iam::{OTHER}:user/u") in [
        (n.kind, n.value) for n in named_principals(account)
    ]
    assert [p.arn for p in outside_iam_principals(account)] == [f"arn:aws:iam::{OTHER}:user/u"]


@pytest.mark.parametrize(
    ("arn", "path"),
    [
        (f"arn:aws:iam::{OTHER}:role/ops", "/"),
        (f"arn:aws:iam::{OTHER}:role/team/a/ops", "/team/a/"),
    ],
)
def test_outside_principal_keeps_the_path(arn: str, path: str) -> None:
    found = outside_principal(_account("*"), arn)
    assert found is not None
    assert (found.name, found.path, found.account, found.policies) == ("ops", path, OTHER, ())


@pytest.mark.parametrize(
    "text",
    [
        f"arn:aws:iam::{ACCT}:role/local",
        f"arn:aws:iam::{OTHER}:root",
        f"arn:aws:iam::{OTHER}:role/ops-*",
        f"arn:aws:sts::{OTHER}:assumed-role/ops/ci",
        "arn:aws:s3:::bucket",
    ],
)
def test_outside_principal_is_only_a_role_or_user_of_another_account(text: str) -> None:
    assert outside_principal(_account("*"), text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (OTHER, "account"),
        (f"arn:aws:iam::{OTHER}:root", "account"),
        (f"arn:aws:sts::{OTHER}:assumed-role/ops/ci", "session"),
        (f"arn:aws:iam::{ACCT}:role/local", None),
        ("arn:aws:iam::4444:role/x", None),
        ("*", None),
    ],
)
def test_outside_named_reads_a_principal_of_another_account(text: str, kind: str | None) -> None:
    found = outside_named(_account("*"), text)
    assert (found.kind if found else None) == kind
