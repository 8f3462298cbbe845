"""who-can, can and graph about principals outside the bundle and AWS-internal ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import AUDIT, AUDITED_KEY, PARTNER, PARTNER_KEY

from cksmodel.cli import main

OPERATOR = f"arn:aws:iam::{PARTNER}:role/partner-kms-operator"
BATCH = f"arn:aws:iam::{PARTNER}:role/partner-batch"
STORE_MANAGER = "arn:aws:iam::111122223333:role/cks-store-manager"
SLR = (
    "arn:aws:iam::111122223333:role/aws-service-role/cks.kms.amazonaws.com/"
    "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
)


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status = main(list(argv))
    return status, json.loads(capsys.readouterr().out)


def _by_arn(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["arn"]: p for p in payload["principals"]}


def test_who_can_delete_the_store_names_the_partner_operator_not_its_account(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, payload = _json(
        capsys,
        "who-can",
        "kms:DeleteCustomKeyStore",
        "--account",
        str(partner_bundle),
        "--format",
        "json",
    )
    assert status == 0
    found = _by_arn(payload)
    assert f"arn:aws:iam::{PARTNER}:root" not in found
    operator = found[OPERATOR]
    assert operator["account"] == PARTNER and operator["outside_bundle"] is True
    assert operator["label"] == f"role/partner-kms-operator (account {PARTNER})"
    assert operator["needs"] == (
        f"an identity policy in account {PARTNER} allowing sts:AssumeRole on {STORE_MANAGER}"
    )
    first = operator["path"][0]
    assert first["to"] == STORE_MANAGER and first["sid"] == "PartnerOperator"
    assert "sts:ExternalId" in first["condition"]
    inside = [p for p in found.values() if p["arn"].startswith("arn:aws:iam::111122223333:")]
    assert inside and not any(p["outside_bundle"] for p in inside)


def test_who_can_text_marks_the_outsider_and_says_what_it_needs(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["who-can", "kms:DeleteCustomKeyStore", "--account", str(partner_bundle)]) == 0
    out = capsys.readouterr().out
    head = (
        f"  role/partner-kms-operator (account {PARTNER})  through 1 step(s)  [outside the bundle]"
    )
    assert head in out
    assert f"needs an identity policy in account {PARTNER} allowing sts:AssumeRole" in out
    assert "when sts:ExternalId = cks-partner-7Q2" in out
    assert f"account {PARTNER}  " not in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_can_answers_about_the_partner_grantee(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    argv = ["can", BATCH, "kms:Decrypt", PARTNER_KEY, "--account", str(partner_bundle)]
    assert main([*argv, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        payload = json.loads(out)
        principal = payload["principal"]
        assert payload["can"] is True and principal["outside_bundle"] is True
        assert principal["account"] == PARTNER and principal["arn"] == BATCH
        assert payload["account"] == str(partner_bundle)
        assert payload["path"][0]["policy"] == "partner-batch-decrypt"
        assert principal["needs"] == (
            f"an identity policy in account {PARTNER} allowing kms:Decrypt on {PARTNER_KEY}, "
            "and aws:PrincipalOrgID = o-exampleorgid"
        )
    else:
        assert f"{BATCH} can kms:Decrypt on {PARTNER_KEY}  [outside the bundle]" in out
        assert "grants.json" in out


def test_the_partner_grantee_cannot_use_another_key(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["can", BATCH, "kms:Decrypt", AUDITED_KEY, "--account", str(partner_bundle)]
    assert main(argv) == 1
    assert "cannot kms:Decrypt" in capsys.readouterr().out


def test_a_key_policy_trusting_a_whole_account_gives_the_account_node(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, payload = _json(
        capsys,
        "who-can",
        "kms:Decrypt",
        AUDITED_KEY,
        "--account",
        str(partner_bundle),
        "--format",
        "json",
    )
    whole = _by_arn(payload)[f"arn:aws:iam::{AUDIT}:root"]
    assert whole["kind"] == "account" and whole["outside_bundle"] is True
    assert whole["needs"].startswith(f"a principal of account {AUDIT} whose identity policies")


@pytest.mark.parametrize(
    ("action", "resource", "internal"),
    [
        ("sts:AssumeRole", SLR, "service:cks.kms.amazonaws.com"),
        ("ec2:CreateNetworkInterface", "*", SLR),
    ],
)
def test_exclude_aws_internal_leaves_out_services_and_service_linked_roles(
    partner_bundle: Path,
    capsys: pytest.CaptureFixture[str],
    action: str,
    resource: str,
    internal: str,
) -> None:
    argv = ["who-can", action, resource, "--account", str(partner_bundle), "--format", "json"]
    _, every = _json(capsys, *argv)
    assert _by_arn(every)[internal]["aws_internal"] is True
    _, kept = _json(capsys, *argv, "--exclude-aws-internal")
    assert internal not in _by_arn(kept)
    assert not any(p["aws_internal"] for p in kept["principals"])
    assert set(_by_arn(kept)) == {a for a, p in _by_arn(every).items() if not p["aws_internal"]}


def test_who_can_text_marks_aws_internal_principals(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["who-can", "sts:AssumeRole", SLR, "--account", str(partner_bundle)]) == 0
    assert "  cks.kms.amazonaws.com  directly  [AWS-internal]" in capsys.readouterr().out


def test_graph_json_marks_nodes_and_can_leave_out_aws_internal_ones(
    partner_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, graph = _json(capsys, "graph", "--account", str(partner_bundle), "--format", "json")
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[OPERATOR]["outside_bundle"] is True and nodes[OPERATOR]["kind"] == "role"
    assert nodes[BATCH]["outside_bundle"] is True
    assert nodes[SLR]["aws_internal"] is True and nodes[SLR]["outside_bundle"] is False
    assert nodes["service:cks.kms.amazonaws.com"]["aws_internal"] is True
    _, kept = _json(
        capsys,
        "graph",
        "--account",
        str(partner_bundle),
        "--format",
        "json",
        "--exclude-aws-internal",
    )
    ids = {n["id"] for n in kept["nodes"]}
    assert OPERATOR in ids and SLR not in ids and "service:cks.kms.amazonaws.com" not in ids
    assert all(e["from"] in ids and e["to"] in ids for e in kept["edges"])
