"""``--organization`` on prove, who-can, can and graph: exit statuses, what the JSON says of
accounts, usage errors, and the same answers whichever executor runs the accounts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from in_process import run

STORE_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
COMPLIANT = "examples/cks-org"
BROKEN = "examples/cks-org-broken"


def output(tmp_path: Path, argv: list[str]) -> tuple[int, str]:
    out = tmp_path / "out"
    status = run([*argv, "--output", str(out)])
    return status, out.read_text() if out.exists() else ""


def as_json(tmp_path: Path, argv: list[str]) -> tuple[int, Any]:
    status, text = output(tmp_path, [*argv, "--format", "json"])
    return status, json.loads(text)


@pytest.mark.parametrize(("org", "expected"), [(COMPLIANT, 0), (BROKEN, 1)])
def test_prove_exits_by_the_organizations_verdicts(tmp_path: Path, org: str, expected: int) -> None:
    status, report = as_json(tmp_path, ["prove", "--organization", org])
    assert status == expected
    names = {r["name"] for r in report["results"]}
    assert {"only_store_accounts_administer_stores", "slr_trust"} <= names
    assert report["account_id"] == "o-exampleorgid"


def test_the_broken_counterexample_crosses_accounts(tmp_path: Path) -> None:
    _, report = as_json(tmp_path, ["prove", "--organization", BROKEN])
    refuted = [r for r in report["results"] if r["verdict"] == "REFUTED"]
    assert [r["name"] for r in refuted] == ["only_store_accounts_administer_stores"]
    example = refuted[0]["counterexamples"][0]
    assert example["account"] == "222233334444"
    hops = example["path"]
    assert hops[0]["to"] == "arn:aws:iam::111122223333:role/cks-store-manager"
    assert {h["account"] for h in hops} == {"111122223333"}
    assert example["principal"].startswith("arn:aws:iam::222233334444:role/")


def test_who_can_decrypt_lists_principals_of_several_accounts(tmp_path: Path) -> None:
    status, answer = as_json(
        tmp_path, ["who-can", "kms:Decrypt", STORE_KEY, "--organization", COMPLIANT]
    )
    assert status == 0
    accounts = {p["account"] for p in answer["principals"] if p["member"]}
    assert accounts == {"111122223333", "222233334444", "333344445555"}
    assert answer["accounts"] == sorted(accounts)
    for p in answer["principals"]:
        assert all(re.fullmatch(r"\d{12}", h["account"]) for h in p["path"])


@pytest.mark.parametrize(
    ("principal", "org", "expected"),
    [
        ("arn:aws:iam::222233334444:role/ci-runner", BROKEN, 0),
        ("arn:aws:iam::222233334444:role/ci-runner", COMPLIANT, 1),
        ("arn:aws:iam::111122223333:role/cks-store-manager", COMPLIANT, 0),
    ],
)
def test_can_follows_chains_across_accounts(
    tmp_path: Path, principal: str, org: str, expected: int
) -> None:
    status, answer = as_json(
        tmp_path, ["can", principal, "kms:DeleteCustomKeyStore", "--organization", org]
    )
    assert status == expected
    assert answer["can"] is (expected == 0)


def test_can_text_names_the_account_of_every_hop(tmp_path: Path) -> None:
    status, text = output(
        tmp_path,
        [
            "can",
            "arn:aws:iam::222233334444:role/ci-runner",
            "kms:DeleteCustomKeyStore",
            "--organization",
            BROKEN,
        ],
    )
    assert status == 0
    hops = [line for line in text.splitlines() if re.match(r"    \d+\. ", line)]
    assert [h.rsplit("(account ", 1)[1] for h in hops] == [
        "222233334444)",
        "111122223333)",
        "111122223333)",
    ]


def test_graph_joins_the_accounts(tmp_path: Path) -> None:
    status, graph = as_json(tmp_path, ["graph", "--organization", COMPLIANT])
    assert status == 0
    accounts = {n["account"] for n in graph["nodes"] if n.get("member")}
    assert accounts == {"111122223333", "222233334444", "333344445555", "444455556666"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["who-can", "kms:Decrypt", "--organization", COMPLIANT, "--account", "x"],
            "give --account or --organization, not both",
        ),
        (["who-can", "kms:Decrypt", "--workers", "2"], "apply to --organization"),
        (
            ["who-can", "kms:Decrypt", "--organization", COMPLIANT, "--workers", "2"],
            "--workers applies to --executor local-cluster",
        ),
        (
            ["can", "role/ci-runner", "kms:Decrypt", "--organization", COMPLIANT],
            "name the principal by ARN",
        ),
        (["prove", "--organization", "examples/cks-account"], "organization"),
        (["who-can", "kms:Decrypt", "--organization", "  "], "--organization is empty"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "time_s"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


@pytest.mark.parametrize("org", [COMPLIANT, BROKEN])
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["prove"], id="prove"),
        pytest.param(["who-can", "kms:Decrypt", STORE_KEY], id="who-can-decrypt"),
        pytest.param(["who-can", "kms:DeleteCustomKeyStore"], id="who-can-delete-store"),
    ],
)
def test_a_local_cluster_gives_the_same_json_as_local(
    tmp_path: Path, org: str, command: list[str]
) -> None:
    argv = [*command, "--organization", org]
    local_status, local = as_json(tmp_path, argv)
    cluster_status, cluster = as_json(
        tmp_path, [*argv, "--executor", "local-cluster", "--workers", "2"]
    )
    assert cluster_status == local_status
    assert _without_times(cluster) == _without_times(local)
    assert local.get("principals") or local.get("results")
