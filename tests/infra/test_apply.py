"""Applying a plan or template to an account bundle: what replaces, adds and removes account
parts, placeholders used consistently and listed, what cannot be applied listed as unresolved,
and proofs on the applied account (PROVED resting on an unresolved part is UNKNOWN)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from plans import allow, plan, policy, resource, write

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.infra import read_infrastructure
from cksmodel.infra.apply import (
    PLACEHOLDER_PREFIX,
    AppliedPlan,
    apply_infrastructure,
    singling_patterns,
)
from cksmodel.infra.model import InfraError, ReadOptions
from cksmodel.invariants.change import prove_change
from cksmodel.invariants.spec import parse_spec
from cksmodel.policy.ir import PolicyType
from cksmodel.symbolic.query import Verdict

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@cache
def bundle() -> Account:
    return load_bundle(REPO / "examples" / "cks-account")


def applied(path: Path) -> AppliedPlan:
    infra = read_infrastructure(path, ReadOptions(account_id=ACCOUNT, region="us-east-1"))
    return apply_infrastructure(bundle(), infra)


def apply_plan(tmp_path: Path, *resources: dict[str, Any], **kw: Any) -> AppliedPlan:
    return applied(write(tmp_path / "plan.json", plan(*resources, **kw)))


TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"},
        "Action": "sts:AssumeRole",
    }
)


def test_the_example_plan_adds_its_role_key_grants_store_cluster_and_scp() -> None:
    result = applied(REPO / "examples" / "terraform" / "plan.json")
    account = result.account
    role = account.principal("role/cks-store-admin")
    assert role is not None and role.trust_policy is not None
    assert role.trust_policy.statements[0].span is not None
    assert "examples/terraform/plan.json" in role.trust_policy.statements[0].span.source
    assert [p.name.startswith("managed/") for p in role.policies] == [True]
    new_keys = [k for k in account.keys if k.key_id.startswith(PLACEHOLDER_PREFIX)]
    assert len(new_keys) == 1
    key = new_keys[0]
    assert [g.grantee.rsplit("/", 1)[1] for g in key.grants] == ["ledger-app", "payments-app"]
    assert all(g.key_id == key.key_id for g in key.grants)
    store = account.store(key.custom_key_store_id or "")
    assert store is not None and store.state == "DISCONNECTED"
    assert store.cluster_id is not None and account.cluster(store.cluster_id) is not None
    assert any(p.name.endswith("/protect-custom-key-stores") for p in account.scps[-1])
    assert result.unresolved == ()
    attributes = {(p.location.address, p.attribute) for p in result.placeholders}
    assert ("aws_kms_key.payments", "key_id") in attributes
    assert all(PLACEHOLDER_PREFIX in p.value for p in result.placeholders)


def test_the_bundle_is_never_modified(tmp_path: Path) -> None:
    before = bundle()
    count = len(before.principals)
    apply_plan(
        tmp_path,
        resource("aws_iam_role.new", {"name": "new", "path": "/", "assume_role_policy": TRUST}),
    )
    assert len(bundle().principals) == count and bundle() is before


def test_a_role_of_the_same_name_keeps_what_the_plan_does_not_redefine(tmp_path: Path) -> None:
    doc = policy(allow("kms:*"))
    result = apply_plan(
        tmp_path,
        resource(
            "aws_iam_role.app",
            {
                "name": "payments-app",
                "path": "/",
                "assume_role_policy": TRUST,
                "inline_policy": [{"name": "Wide", "policy": doc}],
            },
        ),
    )
    old = bundle().principal("role/payments-app")
    new = result.account.principal("role/payments-app")
    assert old is not None and new is not None
    assert new.arn == old.arn
    assert "role/payments-app/inline/Wide" in [p.name for p in new.policies]
    assert {p.name for p in old.policies} <= {p.name for p in new.policies}
    assert new.trust_policy is not None and new.trust_policy.policy_type is PolicyType.TRUST
    assert [a for a, _ in result.changed if a == old.arn]


def test_a_key_without_a_policy_gets_the_default_key_policy(tmp_path: Path) -> None:
    result = apply_plan(
        tmp_path,
        resource("aws_kms_key.plain", {"description": "x"}, unknown={"key_id": True, "arn": True}),
    )
    key = next(k for k in result.account.keys if k.key_id.startswith(PLACEHOLDER_PREFIX))
    statement = key.policy.statements[0]
    assert [v.text for v in statement.actions] == ["kms:*"]
    assert statement.principal is not None
    assert key.arn.endswith(f":key/{key.key_id}")
    assert any("default key policy" in a.message for a in result.assumptions)


POLICY_ID = ["aws_organizations_policy.p.id", "aws_organizations_policy.p"]


@pytest.mark.parametrize(
    ("target", "applied_to_level"),
    [(ACCOUNT, -1), ("ou-a1b2-5wd9k3xj", 1), ("r-a1b2", 0), ("ou-nowhere-123", None)],
)
def test_an_scp_joins_the_level_its_target_names(
    tmp_path: Path, target: str, applied_to_level: int | None
) -> None:
    deny = policy({"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
    result = apply_plan(
        tmp_path,
        resource(
            "aws_organizations_policy.p",
            {"name": "no-deletion", "content": deny, "type": "SERVICE_CONTROL_POLICY"},
        ),
        resource(
            "aws_organizations_policy_attachment.a",
            {"target_id": target},
            unknown={"policy_id": True},
        ),
        references={"aws_organizations_policy_attachment.a": {"policy_id": POLICY_ID}},
    )
    levels = [[p.name.rsplit("/", 1)[1] for p in level] for level in result.account.scps]
    if applied_to_level is None:
        assert all("no-deletion" not in names for names in levels)
        assert any(target in a.message for a in result.unresolved)
    else:
        assert "no-deletion" in levels[applied_to_level]


def test_a_destroyed_role_is_gone_and_named(tmp_path: Path) -> None:
    result = apply_plan(
        tmp_path,
        resource(
            "aws_iam_role.ledger",
            {"name": "ledger-app", "path": "/", "assume_role_policy": TRUST},
            actions=("delete",),
        ),
    )
    assert result.account.principal("role/ledger-app") is None
    assert [locus.address for locus in result.removed] == ["aws_iam_role.ledger"]


def test_a_policy_known_only_after_apply_is_unresolved_not_guessed(tmp_path: Path) -> None:
    result = apply_plan(
        tmp_path,
        resource(
            "aws_iam_role_policy.p",
            {"name": "Later", "role": "payments-app"},
            unknown={"policy": True},
        ),
        references={"aws_iam_role_policy.p": {"policy": ["data.external.doc.result"]}},
    )
    role = result.account.principal("role/payments-app")
    assert role is not None and "role/payments-app/inline/Later" not in [
        p.name for p in role.policies
    ]
    assert any(a.location.address == "aws_iam_role_policy.p" for a in result.unresolved)


def test_a_plan_for_another_account_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "plan.json", plan(resource("aws_iam_user.u", {"name": "u"})))
    infra = read_infrastructure(path, ReadOptions(account_id="999988887777"))
    with pytest.raises(InfraError, match="for account 999988887777"):
        apply_infrastructure(bundle(), infra)


@pytest.mark.parametrize(
    ("pattern", "singled_out"),
    [
        ("*", False),
        (f"arn:aws:kms:*:{ACCOUNT}:key/*", False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}", False),
        (f"arn:aws:kms:*:{ACCOUNT}:key/1*", True),
        (f"arn:aws:kms:*:{ACCOUNT}:key/after-apply-*", True),
        (f"arn:aws:kms:*:{ACCOUNT}:key/*a*", True),
        (f"arn:aws:kms:*:{ACCOUNT}:key/*-4*", True),
        (f"arn:aws:kms:*:{ACCOUNT}:key/${{aws:username}}", True),
        (f"arn:aws:kms:*:{ACCOUNT}:alias/*", False),
        ("arn:aws:s3:::bucket/*", False),
    ],
)
def test_only_a_pattern_that_tells_fresh_ids_apart_singles_out_a_placeholder(
    tmp_path: Path, pattern: str, singled_out: bool
) -> None:
    result = apply_plan(
        tmp_path,
        resource("aws_kms_key.k", {"description": "x"}, unknown={"key_id": True, "arn": True}),
        resource(
            "aws_iam_role_policy.p",
            {
                "name": "Use",
                "role": "payments-app",
                "policy": policy(allow("kms:Decrypt", pattern)),
            },
        ),
    )
    assert bool(singling_patterns(result)) is singled_out


SPEC = """
invariant payments_cannot_delete_keys "payments-app cannot schedule key deletion":
  not can(role "payments-app", "kms:ScheduleKeyDeletion", key *)
"""


def _proof(tmp_path: Path, *resources: dict[str, Any], **kw: Any) -> Verdict:
    spec = parse_spec(SPEC, source="test.spec")
    result = apply_plan(tmp_path, *resources, **kw)
    proof = prove_change([spec], bundle(), result, timeout=10)
    return proof.after.results[0].verdict


def test_proved_on_a_placeholder_key_stays_proved(tmp_path: Path) -> None:
    key = resource("aws_kms_key.k", {"description": "x"}, unknown={"key_id": True, "arn": True})
    assert _proof(tmp_path, key) is Verdict.PROVED


def test_proved_resting_on_an_unresolved_part_becomes_unknown(tmp_path: Path) -> None:
    later = resource(
        "aws_iam_role_policy.p", {"name": "Later", "role": "payments-app"}, unknown={"policy": True}
    )
    refs = {"aws_iam_role_policy.p": {"policy": ["data.external.doc.result"]}}
    assert _proof(tmp_path, later, references=refs) is Verdict.UNKNOWN


def test_proved_when_a_pattern_singles_out_a_placeholder_becomes_unknown(tmp_path: Path) -> None:
    key = resource("aws_kms_key.k", {"description": "x"}, unknown={"key_id": True, "arn": True})
    deny = policy({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:*:key/a*"})
    narrow = resource("aws_iam_role_policy.p", {"name": "N", "role": "ledger-app", "policy": deny})
    assert _proof(tmp_path, key, narrow) is Verdict.UNKNOWN


def test_a_refutation_on_the_broken_plan_is_located_in_it() -> None:
    spec_path = REPO / "specs" / "cks.spec"
    from cksmodel.invariants.spec import load_spec

    broken = applied(REPO / "examples" / "terraform-broken" / "plan.json")
    proof = prove_change([load_spec(spec_path)], bundle(), broken, timeout=30)
    refuted = [r for r in proof.after.results if r.verdict is Verdict.REFUTED]
    assert refuted
    for result in refuted:
        plan_locations = [loc for loc in result.locations if loc.role == "plan"]
        assert plan_locations
        assert all(loc.span.source.endswith("terraform-broken/plan.json") for loc in plan_locations)
        assert any(loc.description.startswith("aws_kms_key.payments") for loc in plan_locations)
    assert replace(proof.after, results=()).warnings


def test_a_destroyed_resource_keeps_no_sensitive_value(tmp_path: Path) -> None:
    gone = plan(
        resource(
            "aws_kms_custom_key_store.old",
            {"custom_key_store_name": "old", "key_store_password": "s3cret-never-read"},
            sensitive={"key_store_password": True},
            actions=("delete",),
        )
    )
    infra = read_infrastructure(write(tmp_path / "plan.json", gone), ReadOptions())
    (removed,) = infra.removed_resources
    assert removed.value("custom_key_store_name") == "old"
    assert removed.value("key_store_password") is None
