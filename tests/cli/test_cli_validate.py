"""`cksmodel validate` end to end: exit codes and the JSON report (golden file)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cksmodel.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def test_validate_json_report_matches_golden(
    capsys: pytest.CaptureFixture[str], golden: Callable[[str, str], None]
) -> None:
    status = main(
        [
            "validate",
            str(DATA / "cli" / "findings-key-policy.json"),
            "--policy-type",
            "key",
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert status == 1
    report = json.loads(out)
    codes = {f["code"] for f in report["findings"]}
    assert {"E_PRINCIPAL_WILDCARD", "W_UNKNOWN_ACTION", "W_IP_VALUE"} <= codes
    assert all(f["line"] and f["column"] for f in report["findings"])
    golden("validate-findings-key-policy.json", out.replace(str(DATA), "tests/data"))


@pytest.mark.parametrize(
    ("name", "policy_type", "expected"),
    [
        pytest.param("clean-boundary.json", "boundary", 0, id="clean-policy-exits-0"),
        pytest.param("findings-key-policy.json", "key", 1, id="policy-with-errors-exits-1"),
    ],
)
def test_validate_exit_status(
    name: str, policy_type: str, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = DATA / ("validate" if name.startswith("clean") else "cli")
    assert main(["validate", str(folder / name), "--policy-type", policy_type]) == expected
    assert str(folder / name) in capsys.readouterr().out


def test_validate_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/policy.json", "--policy-type", "identity"]) == 2
    assert "no/such/policy.json" in capsys.readouterr().err
