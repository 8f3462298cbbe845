"""``prove --plan`` and ``diff``: the example plans and templates against the example bundle
(compliant: every invariant PROVED; broken: REFUTED with counterexamples located in the plan
in every format), the diff's exit statuses and witnesses, and the Markdown summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from in_process import run
from plans import allow, plan, policy, resource, write

from cksmodel.cli.plan import diff_exit
from cksmodel.invariants.access_diff import PermissionDiff

REPO = Path(__file__).resolve().parents[2]
BUNDLE = ["--account", "examples/cks-account"]
TF = "examples/terraform/plan.json"
TF_BROKEN = "examples/terraform-broken/plan.json"
CFN = "examples/cloudformation/template.yaml"
CFN_BROKEN = "examples/cloudformation-broken/template.yaml"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("path", [TF, CFN])
def test_a_compliant_plan_keeps_every_invariant_proved(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["prove", *BUNDLE, "--plan", path, "--format", "json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {r["verdict"] for r in report["results"]} == {"PROVED"}
    assert report["plan"]["source"] == path
    assert report["unresolved"] == []


@pytest.mark.parametrize("path", [TF_BROKEN, CFN_BROKEN])
def test_a_broken_plan_is_refuted_with_counterexamples_located_in_it(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["prove", *BUNDLE, "--plan", path, "--format", "json", "--quiet"]) == 1
    report = json.loads(capsys.readouterr().out)
    refuted = [r for r in report["results"] if r["verdict"] == "REFUTED"]
    assert refuted
    for result in refuted:
        assert result["counterexamples"]
        located = [loc for loc in result["locations"] if loc["role"] == "plan"]
        assert located and all(loc["source"] == path for loc in located)
        assert all(loc["line"] >= 1 and loc["column"] >= 1 for loc in located)


@pytest.mark.parametrize("path", [TF_BROKEN, CFN_BROKEN])
def test_sarif_points_into_the_plan_first(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["prove", *BUNDLE, "--plan", path, "--format", "sarif", "--quiet"]) == 1
    log = json.loads(capsys.readouterr().out)
    failing = [r for r in log["runs"][0]["results"] if r["properties"]["verdict"] == "REFUTED"]
    assert failing
    for result in failing:
        first = result["locations"][0]["physicalLocation"]
        assert first["artifactLocation"]["uri"] == path
        assert first["region"]["startLine"] >= 1


def test_text_and_junit_name_the_changed_resources(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["prove", *BUNDLE, "--plan", TF_BROKEN, "--quiet"]) == 1
    text = capsys.readouterr().out
    assert "in the plan: aws_kms_key.payments: " in text
    assert f"({TF_BROKEN}:" in text
    assert "placeholder after-apply-aws-kms-key-payments" in text
    assert run(["prove", *BUNDLE, "--plan", TF_BROKEN, "--format", "junit", "--quiet"]) == 1
    root = ElementTree.fromstring(capsys.readouterr().out)
    messages = [f.get("message", "") for f in root.iter("failure")]
    assert messages and all("in the plan: " in m and TF_BROKEN in m for m in messages)


def test_prove_plan_markdown_summary(capsys: pytest.CaptureFixture[str], golden: Any) -> None:
    assert run(["prove", *BUNDLE, "--plan", TF_BROKEN, "--format", "markdown", "--quiet"]) == 1
    golden("prove_plan_broken.md", capsys.readouterr().out)


def test_diff_markdown_summary(capsys: pytest.CaptureFixture[str], golden: Any) -> None:
    argv = ["diff", *BUNDLE, "--plan", TF_BROKEN, "--principal", "payments-app"]
    assert run([*argv, "--format", "markdown", "--quiet"]) == 1
    golden("diff_broken_payments_app.md", capsys.readouterr().out)


def test_diff_gives_each_gained_action_a_replayed_witness(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["diff", *BUNDLE, "--plan", TF_BROKEN, "--principal", "role/payments-app"]
    assert run([*argv, "--format", "json", "--quiet"]) == 1
    out = json.loads(capsys.readouterr().out)
    (principal,) = out["principals"]
    assert principal["principal"] == "arn:aws:iam::111122223333:role/payments-app"
    gained = {(g["action"], g["resource"]) for g in principal["gained"]}
    key = "arn:aws:kms:us-east-1:111122223333:key/after-apply-aws-kms-key-payments"
    assert ("kms:ScheduleKeyDeletion", key) in gained
    for item in principal["gained"]:
        request = item["witness"]["request"]
        assert request["action"] == item["action"] and request["resource"] == item["resource"]
    assert any("placeholder" in a["message"] for a in out["approximations"])


def test_diff_of_a_plan_that_changes_no_access_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = plan(
        resource(
            "aws_iam_role_policy.p",
            {
                "name": "Noop",
                "role": "payments-app",
                "policy": policy(allow("s3:ListAllMyBuckets")),
            },
        )
    )
    path = write(tmp_path / "plan.json", quiet)
    assert run(["diff", *BUNDLE, "--plan", str(path), "--quiet"]) == 0
    assert "0 gained, 0 lost, 0 undecided" in capsys.readouterr().out


def test_diff_reports_lost_access_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = plan(
        resource(
            "aws_iam_role.ledger",
            {"name": "ledger-app", "path": "/"},
            actions=("delete",),
        )
    )
    path = write(tmp_path / "plan.json", gone)
    argv = ["diff", *BUNDLE, "--plan", str(path), "--principal", "ledger-app", "--quiet"]
    assert run([*argv, "--format", "json"]) == 0
    (principal,) = json.loads(capsys.readouterr().out)["principals"]
    assert principal["lost"] and not principal["gained"]
    assert all("witness" in item for item in principal["lost"])


@pytest.mark.parametrize(
    ("diffs", "status"),
    [
        ([], 0),
        ([PermissionDiff(principal="a", lost=(("kms:Decrypt", "*"),))], 0),
        ([PermissionDiff(principal="a", undecided=(("kms:Decrypt", "*"),))], 3),
        (
            [
                PermissionDiff(principal="a", undecided=(("kms:Decrypt", "*"),)),
                PermissionDiff(principal="b", gained=(("kms:Decrypt", "*"),)),
            ],
            1,
        ),
    ],
)
def test_diff_exit_status_blocks_gains_not_losses(diffs: list[PermissionDiff], status: int) -> None:
    assert diff_exit(diffs) == status


@pytest.mark.parametrize(
    "argv",
    [
        ["diff", *BUNDLE],
        ["diff", *BUNDLE, "--plan", "examples/no-such-plan.json"],
        ["diff", *BUNDLE, "--plan", TF, "--principal", "nobody-at-all"],
        ["prove", *BUNDLE, "--plan", "examples/cks-account/account.json"],
    ],
)
def test_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_a_plan_for_another_account_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = plan(
        resource("aws_iam_user.u", {"name": "u", "path": "/"}),
        data=(
            resource("data.aws_caller_identity.me", {"account_id": "999988887777"}, mode="data"),
        ),
    )
    path = write(tmp_path / "plan.json", other)
    assert run(["prove", *BUNDLE, "--plan", str(path), "--quiet"]) == 2
    assert "999988887777" in capsys.readouterr().err


def test_markdown_escapes_what_the_input_names() -> None:
    from cksmodel.cli.markdown import _esc

    assert _esc("<img src=x onerror=alert(1)> | `x` [a](b)") == (
        "\\<img src=x onerror=alert\\(1\\)\\> \\| \\`x\\` \\[a\\]\\(b\\)"
    )
