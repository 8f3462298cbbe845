"""``cksmodel prove`` in-process: exit codes, formats, --output, input errors, a golden report.

Only the small specs of tests/data/specs/ are proved here (each run well under
a few seconds); the full specs/cks.spec is proved once, in test_prove.py.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from in_process import run as run_main

REPO = Path(__file__).resolve().parents[2]
SPECS = "tests/data/specs"
STORE_MANAGER = f"{SPECS}/store-manager.spec"
REGRANT = f"{SPECS}/regrant.spec"
SMALL = f"{SPECS}/small.spec"
INVALID = f"{SPECS}/invalid"
COMPLIANT = "examples/cks-account"
BROKEN = "examples/cks-account-broken"
SARIF_DATA = Path(__file__).resolve().parents[1] / "data" / "sarif"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the checkout, so sources in the output are the relative paths given."""
    monkeypatch.chdir(REPO)


def run(argv: Sequence[str]) -> int:
    """``prove`` in-process."""
    return run_main(["prove", *argv])


def prove_json(
    argv: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    status = run([*argv, "--format", "json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def verdicts(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["name"], r["verdict"]) for r in report["results"]]


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SARIF_DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


# --------------------------------------------------------------------------- exit codes


def test_exit_0_when_everything_is_proved(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STORE_MANAGER, "--account", COMPLIANT]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0] == f"account 111122223333: bundle {COMPLIANT}"
    assert lines[3].split()[:2] == ["store_manager_within", "PROVED"]
    assert lines[-1] == "1 proved, 0 refuted, 0 unknown"


def test_exit_1_when_something_is_refuted(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = prove_json([STORE_MANAGER, "--account", BROKEN], capsys)
    assert status == 1
    assert verdicts(report) == [("store_manager_within", "REFUTED")]
    (example,) = report["results"][0]["counterexamples"]
    assert example["principal"] == "arn:aws:iam::111122223333:role/cks-store-manager"
    assert example["request"]["action"] in ("kms:CreateKey", "kms:ScheduleKeyDeletion")


def test_exit_3_when_something_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = prove_json(
        [STORE_MANAGER, "--account", COMPLIANT, "--timeout", "1e-6"], capsys
    )
    assert status == 3
    assert verdicts(report) == [("store_manager_within", "UNKNOWN")]
    assert "timeout" in report["results"][0]["reason"]


def test_exit_1_when_refuted_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = prove_json(
        [REGRANT, STORE_MANAGER, "--account", BROKEN, "--timeout", "1e-6"], capsys
    )
    assert verdicts(report) == [
        ("ledger_cannot_regrant", "REFUTED"),
        ("store_manager_within", "UNKNOWN"),
    ]
    assert status == 1
    assert report["specs"] == [REGRANT, STORE_MANAGER]


@pytest.mark.parametrize(
    ("spec", "where", "code", "message"),
    [
        pytest.param("syntax.spec", "3:3", "E_SPEC_SYNTAX", "unexpected 'forall'", id="syntax"),
        pytest.param(
            "unknown-persona.spec",
            "2:15",
            "E_SPEC_NAME",
            "unknown persona 'key_users'",
            id="unknown-persona",
        ),
        pytest.param(
            "absent-role.spec",
            "3:15",
            "E_SPEC_ABSENT",
            "role 'cks-store-admin' is not in",
            id="absent-role",
        ),
        pytest.param("bad-escape.spec", "2:24", "E_SPEC_SYNTAX", "", id="bad-string-escape"),
        pytest.param("cyclic-persona.spec", "", "E_SPEC", "", id="cyclic-persona"),
    ],
)
def test_exit_2_for_a_malformed_spec(
    spec: str, where: str, code: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"{INVALID}/{spec}"
    try:
        status = run([path, "--account", COMPLIANT])
    except Exception as exc:  # a traceback, not a message
        pytest.fail(f"cksmodel prove {path} raised {type(exc).__name__}: {exc}")
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    prefix = f"cksmodel prove: {path}:{where}: {code}" if where else f"cksmodel prove: {path}:"
    assert line.startswith(prefix), line
    assert message in line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--timeout", "0"], id="zero-timeout"),
        pytest.param(["--timeout", "nan"], id="nan-timeout"),
        pytest.param(["--timeout", "soon"], id="word-timeout"),
        pytest.param(["--max-counterexamples", "0"], id="zero-counterexamples"),
        pytest.param(["--format", "xml"], id="unknown-format"),
        pytest.param(["--no-such-option"], id="unknown-option"),
    ],
)
def test_exit_2_for_bad_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STORE_MANAGER, "--account", COMPLIANT, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: cksmodel ")
    assert argv[0] in captured.err


def test_exit_2_for_a_missing_spec_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([f"{SPECS}/missing.spec", "--account", COMPLIANT]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cksmodel prove: E_IO cannot read spec ")
    assert "missing.spec" in err


def test_exit_2_for_a_directory_without_specs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(tmp_path), "--account", COMPLIANT]) == 2
    assert "no *.spec files" in capsys.readouterr().err


def test_a_directory_of_specs_is_proved_in_name_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(STORE_MANAGER, tmp_path / "b.spec")
    shutil.copy(REGRANT, tmp_path / "a.spec")
    (tmp_path / "notes.txt").write_text("not a spec", encoding="utf-8")
    status, report = prove_json([str(tmp_path), "--account", BROKEN], capsys)
    assert status == 1
    assert report["specs"] == [str(tmp_path / "a.spec"), str(tmp_path / "b.spec")]
    assert verdicts(report) == [
        ("ledger_cannot_regrant", "REFUTED"),
        ("store_manager_within", "REFUTED"),
    ]


# --------------------------------------------------------------------------- bundles


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    shutil.copytree(REPO / COMPLIANT, root)
    return root


@pytest.mark.parametrize(
    ("relative", "content", "where", "code"),
    [
        pytest.param(
            f"kms/keys/{KEY}/key-policy.json",
            '{"Version": "2012-10-17", "Statement": [\n',
            "2:1",
            "E_SYNTAX",
            id="truncated-key-policy",
        ),
        pytest.param(
            "iam/account-authorization-details.json",
            '{"UserDetailList": [], "RoleDetailList": [,]}',
            "1:43",
            "E_SYNTAX",
            id="iam-details-with-a-stray-comma",
        ),
        pytest.param(
            "account.json",
            '{"account_id": 111122223333}',
            "1:16",
            "E_BUNDLE",
            id="account-id-not-a-string",
        ),
    ],
)
def test_exit_2_for_a_malformed_bundle_names_the_file(
    bundle_copy: Path,
    relative: str,
    content: str,
    where: str,
    code: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (bundle_copy / relative).write_text(content, encoding="utf-8")
    assert run([STORE_MANAGER, "--account", str(bundle_copy)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"cksmodel prove: {bundle_copy / relative}:{where}: {code} "), line


def test_exit_2_for_a_missing_bundle_file(
    bundle_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bundle_copy / "account.json").unlink()
    assert run([STORE_MANAGER, "--account", str(bundle_copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cksmodel prove: {bundle_copy / 'account.json'}:1:1: E_BUNDLE ")


def test_exit_2_for_a_missing_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert run([STORE_MANAGER, "--account", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cksmodel prove: {missing}:1:1: E_BUNDLE ")
    assert "does not exist" in err


# --------------------------------------------------------------------------- formats


def test_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = prove_json([STORE_MANAGER, "--account", BROKEN], capsys)
    assert status == 1
    assert (report["account"], report["specs"], report["warnings"]) == (
        BROKEN,
        [STORE_MANAGER],
        [],
    )
    (result,) = report["results"]
    assert result["locations"][0] == {
        "role": "spec",
        "source": STORE_MANAGER,
        "line": 4,
        "column": 1,
        "description": "The store manager role holds only store-manager permissions",
    }


def test_format_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "prove.sarif"
    assert run([STORE_MANAGER, "--account", BROKEN, "--format", "sarif", "--output", str(out)]) == 1
    assert capsys.readouterr().out == ""
    log = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(e.message for e in sarif_validator().iter_errors(log)) == []
    (run_,) = log["runs"]
    assert [rule["id"] for rule in run_["tool"]["driver"]["rules"]] == ["store_manager_within"]
    (result,) = run_["results"]
    assert (result["ruleId"], result["kind"], result["level"]) == (
        "store_manager_within",
        "fail",
        "error",
    )
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": STORE_MANAGER},
        "region": {"startLine": 4, "startColumn": 1},
    }
    assert result["properties"]["verdict"] == "REFUTED"


def test_format_junit(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STORE_MANAGER, "--account", BROKEN, "--format", "junit"]) == 1
    xml = capsys.readouterr().out
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(SARIF_DATA / "junit-10.xsd")).validate(xml)
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "1", "0")
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name")) == (STORE_MANAGER, "store_manager_within")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "REFUTED"
    (example,) = json.loads(failure.text or "")
    assert example["principal"] == "arn:aws:iam::111122223333:role/cks-store-manager"


def test_format_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STORE_MANAGER, "--account", BROKEN, "--format", "text"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"account 111122223333: bundle {BROKEN}"
    assert lines[2].split()[:3] == ["invariant", "verdict", "time"]
    name, verdict, seconds, detail = lines[3].split(maxsplit=3)
    assert (name, verdict) == ("store_manager_within", "REFUTED")
    assert seconds.endswith("s")
    assert detail == "1 counterexample, below"
    below = lines[lines.index("counterexamples and reasons:") + 1 :]
    assert below[0].startswith("  store_manager_within (REFUTED): ")
    assert below[1] == "    1. for principal: arn:aws:iam::111122223333:role/cks-store-manager"
    assert below[2].startswith(
        "       principal: arn:aws:sts::111122223333:assumed-role/cks-store-manager/"
    )
    assert "..." not in "\n".join(lines)
    assert lines[-1] == "0 proved, 1 refuted, 0 unknown"


def test_max_counterexamples_is_passed_on(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = prove_json(
        [STORE_MANAGER, "--account", COMPLIANT, "--max-counterexamples", "3"], capsys
    )
    assert status == 0
    assert verdicts(report) == [("store_manager_within", "PROVED")]


# --------------------------------------------------------------------------- --output


def test_output_is_written_whole_and_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    assert (
        run([STORE_MANAGER, "--account", COMPLIANT, "--format", "json", "--output", str(out)]) == 0
    )
    assert capsys.readouterr() == ("", "")
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert verdicts(report) == [("store_manager_within", "PROVED")]
    # again, over the old file: replaced, not appended to
    assert (
        run([STORE_MANAGER, "--account", COMPLIANT, "--format", "junit", "--output", str(out)]) == 0
    )
    assert out.read_text(encoding="utf-8").startswith("<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_output_dash_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([STORE_MANAGER, "--account", COMPLIANT, "--format", "json", "--output", "-"]) == 0
    assert verdicts(json.loads(capsys.readouterr().out)) == [("store_manager_within", "PROVED")]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([f"{INVALID}/syntax.spec", "--account", COMPLIANT], id="malformed-spec"),
        pytest.param([STORE_MANAGER, "--account", "examples/nowhere"], id="missing-bundle"),
        pytest.param([f"{INVALID}/absent-role.spec", "--account", COMPLIANT], id="absent-role"),
    ],
)
def test_output_is_left_alone_on_error(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh.json"
    assert run([*argv, "--output", str(fresh)]) == 2
    assert not fresh.exists()
    old = tmp_path / "old.json"
    old.write_text("previous report\n", encoding="utf-8")
    assert run([*argv, "--output", str(old)]) == 2
    assert old.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]
    assert capsys.readouterr().out == ""


def test_output_into_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "report.json"
    assert run([STORE_MANAGER, "--account", COMPLIANT, "--output", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cksmodel prove: E_IO cannot write ")
    assert list(tmp_path.iterdir()) == []


def test_output_onto_a_directory_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "reports"
    target.mkdir()
    try:
        status = run([STORE_MANAGER, "--account", COMPLIANT, "--output", str(target)])
    except Exception as exc:  # exit 1 from a traceback would read as REFUTED in CI
        pytest.fail(f"--output DIRECTORY raised {type(exc).__name__}: {exc}")
    assert status == 2
    assert "E_OUTPUT" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]
    assert list(target.iterdir()) == []


# --------------------------------------------------------------------------- golden


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "time_s"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def test_golden_json_for_a_small_spec_on_the_broken_bundle(
    capsys: pytest.CaptureFixture[str], golden: Any
) -> None:
    status, report = prove_json([SMALL, "--account", BROKEN], capsys)
    assert status == 1
    assert verdicts(report) == [
        ("delete_requires_disconnected_and_empty", "PROVED"),
        ("store_manager_within", "REFUTED"),
    ]
    golden("prove/broken-small.json", json.dumps(_without_times(report), indent=2) + "\n")
