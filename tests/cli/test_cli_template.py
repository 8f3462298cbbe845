"""``--template-path``: validate and the checks on the Terraform and CloudFormation examples and
their broken twins (exit 0 / 1 / 3 / 2 as documented), findings located in the plan or
template, blocking and ignored findings, and sensitive values absent from every format."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from in_process import run
from plans import allow, plan, policy, resource, write

REPO = Path(__file__).resolve().parents[2]
SARIF_DATA = REPO / "tests" / "data" / "sarif"
TF = "examples/terraform/plan.json"
TF_BROKEN = "examples/terraform-broken/plan.json"
CFN = "examples/cloudformation/template.yaml"
CFN_BROKEN = "examples/cloudformation-broken/template.yaml"
PLAN_SECRET = "kmsuser-Pa55word-do-not-print"
WHERE = ["--account-id", "111122223333", "--region", "us-east-1"]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


VALIDATE = ["validate"]
PUBLIC = ["check-no-public-access"]
IDENTITY = [
    "check-no-new-access",
    "--reference-policy",
    "examples/reference-policies/identity.json",
    "--reference-policy-type",
    "IDENTITY",
]
RESOURCE = [
    "check-no-new-access",
    "--reference-policy",
    "examples/reference-policies/resource.json",
    "--reference-policy-type",
    "resource",
]
NOT_GRANTED = ["check-access-not-granted", "--actions", "cloudhsm:DeleteCluster,cloudhsm:DeleteHsm"]


@pytest.mark.parametrize("command", [VALIDATE, PUBLIC, IDENTITY, RESOURCE, NOT_GRANTED])
@pytest.mark.parametrize(
    ("template", "status"), [(TF, 0), (CFN, 0), (TF_BROKEN, 1), (CFN_BROKEN, 1)]
)
def test_examples_pass_and_their_broken_twins_fail(
    command: list[str], template: str, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*command, "--template-path", template, *WHERE]) == status
    out = capsys.readouterr().out
    assert out.endswith(
        f"in {template} ({'terraform' if 'plan' in template else 'cloudformation'})\n"
    )


@pytest.mark.parametrize(
    ("command", "template", "resource", "line_text"),
    [
        (VALIDATE, TF_BROKEN, "aws_kms_key.payments", '"policy": "{'),
        (PUBLIC, TF_BROKEN, "aws_kms_key.payments", '"policy": "{'),
        (NOT_GRANTED, TF_BROKEN, "module.store_admin.aws_iam_policy.this", '"policy": "{'),
        (RESOURCE, TF_BROKEN, "module.store_admin.aws_iam_role.this", '"assume_role_policy": '),
        (VALIDATE, CFN_BROKEN, "PaymentsKey", 'AWS: "*"'),
        (PUBLIC, CFN_BROKEN, "PaymentsKey", "KeyPolicy:"),
        (IDENTITY, CFN_BROKEN, "StoreAdminPolicy", "PolicyDocument:"),
        (RESOURCE, CFN_BROKEN, "StoreAdminRole", "AssumeRolePolicyDocument:"),
    ],
)
def test_blocking_findings_point_into_the_plan_or_template(
    command: list[str],
    template: str,
    resource: str,
    line_text: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run([*command, "--template-path", template, *WHERE, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    found = [f for f in report["BlockingFindings"] if f["resourceName"] == resource]
    assert found, report["BlockingFindings"]
    details = found[0]["details"]
    assert details["source"] == template
    line = (REPO / template).read_text().splitlines()[details["line"] - 1]
    assert line.strip().startswith(line_text)


def test_counterexample_statements_of_a_template_are_its_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run([*PUBLIC, "--template-path", CFN_BROKEN, *WHERE]) == 1
    out = capsys.readouterr().out
    assert "statement 2 (Sid 'Everyone') at line 122, column 13" in out
    lines = (REPO / CFN_BROKEN).read_text().splitlines()
    assert lines[121].strip() == "- Sid: Everyone"


@pytest.mark.parametrize(
    "ignore",
    ["S_PUBLIC_PRINCIPAL", "PaymentsKey", "PaymentsKey.S_PUBLIC_PRINCIPAL", "paymentskey"],
)
def test_ignored_findings_do_not_block(ignore: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*VALIDATE, "--template-path", CFN_BROKEN, *WHERE, "--ignore-finding", ignore]
    assert run([*argv, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["BlockingFindings"] == []


def test_ignoring_another_resource_keeps_the_finding() -> None:
    argv = [*VALIDATE, "--template-path", CFN_BROKEN, *WHERE]
    assert run([*argv, "--ignore-finding", "StoreAdminRole.S_PUBLIC_PRINCIPAL"]) == 1


@pytest.mark.parametrize(
    ("blocking", "status"),
    [("NONE", 0), ("ERROR", 0), ("SECURITY_WARNING", 1), ("error,security_warning", 1)],
)
def test_finding_types_that_block(blocking: str, status: int) -> None:
    argv = [*VALIDATE, "--template-path", TF_BROKEN, "--treat-finding-type-as-blocking", blocking]
    assert run(argv) == status


def test_check_failures_can_be_non_blocking(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*PUBLIC, "--template-path", TF_BROKEN, "--treat-findings-as-non-blocking"]
    assert run([*argv, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["BlockingFindings"] == []
    assert [f["code"] for f in report["NonBlockingFindings"]] == [
        "policy-analysis-CheckNoPublicAccess"
    ]


@pytest.fixture
def sensitive_plan(tmp_path: Path) -> Path:
    """A plan whose trust policy and one other attribute are sensitive, and a policy known
    only after apply."""
    secret_policy = policy(allow("sts:AssumeRole", Sid="SENSITIVEMARKER", Principal="*"))
    return write(
        tmp_path / "plan.json",
        plan(
            resource(
                "aws_iam_role.r",
                {
                    "name": "r",
                    "assume_role_policy": secret_policy,
                    "description": "SENSITIVEMARKER",
                },
                sensitive={"assume_role_policy": True, "description": True},
            ),
            resource("aws_iam_policy.p", {"name": "p"}, unknown={"policy": True}),
            resource(
                "aws_iam_role_policy.ok",
                {"name": "ok", "role": "r", "policy": policy(allow("s3:ListAllMyBuckets"))},
            ),
        ),
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
@pytest.mark.parametrize(
    "command", [VALIDATE, PUBLIC, NOT_GRANTED, [*RESOURCE[:-1], "RESOURCE"]], ids=str
)
def test_sensitive_values_are_never_printed(
    command: list[str], fmt: str, sensitive_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for template, secret in ((str(sensitive_plan), "SENSITIVEMARKER"), (TF, PLAN_SECRET)):
        run([*command, "--template-path", template, "--format", fmt])
        captured = capsys.readouterr()
        assert secret not in captured.out and secret not in captured.err
    assert PLAN_SECRET in (REPO / TF).read_text()


def test_a_policy_known_only_after_apply_is_unknown(
    sensitive_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*VALIDATE, "--template-path", str(sensitive_plan)]) == 3
    out = capsys.readouterr().out
    assert "aws_iam_policy.p.p: not validated: <known after apply: aws_iam_policy.p.policy>" in out
    assert "approximated:" in out
    assert run([*NOT_GRANTED, "--template-path", str(sensitive_plan)]) == 3


def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SARIF_DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize("command", [VALIDATE, PUBLIC])
@pytest.mark.parametrize("template", [TF_BROKEN, CFN_BROKEN])
def test_sarif_and_junit_are_valid_with_one_result_per_policy(
    command: list[str], template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*command, "--template-path", template, *WHERE]
    assert run([*argv, "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    sarif_validator().validate(log)
    results = log["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in results]
    assert all(region and region["startLine"] > 1 for region in regions)
    assert run([*argv, "--format", "junit"]) == 1
    xml = capsys.readouterr().out
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(SARIF_DATA / "junit-10.xsd")).validate(xml)
    cases = list(ElementTree.fromstring(xml).iter("testcase"))
    assert len(cases) == (3 if command == VALIDATE else 2)
    assert sum(c.find("failure") is not None for c in cases) == 1


def test_template_configuration_file_and_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"Parameters": {"AdminRoleName": "Intruder"}}), encoding="utf-8")
    argv = [*RESOURCE, "--template-path", CFN, *WHERE, "--template-configuration-file", str(config)]
    assert run(argv) == 1
    assert "StoreAdminRole.TrustPolicy: FAIL" in capsys.readouterr().out
    assert run([*argv, "--parameters", "AdminRoleName=Admin"]) == 0


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        pytest.param(
            ["validate", "--template-path", CFN, "--policy-type", "identity"],
            "--policy-type cannot be given with --template-path",
            id="document-option-with-template",
        ),
        pytest.param(
            ["validate", "x.json", "--policy-type", "identity", "--region", "us-east-1"],
            "--region needs --template-path",
            id="template-option-without-template",
        ),
        pytest.param(["validate"], "FILE (or --template-path)", id="nothing-to-validate"),
        pytest.param(
            ["check-no-new-access", "--template-path", CFN],
            "--template-path needs --reference-policy",
            id="no-reference",
        ),
        pytest.param(
            ["check-access-not-granted", "--template-path", CFN],
            "--template-path needs --actions and/or --resources",
            id="no-access",
        ),
        pytest.param(
            ["check-no-public-access", "--policy-document", "p.json"],
            "--resource-type",
            id="document-check-still-needs-its-options",
        ),
        pytest.param(
            ["validate", "--template-path", "examples/reference-policies/identity.json"],
            "not a CloudFormation template",
            id="a-policy-is-not-a-template",
        ),
        pytest.param(
            ["validate", "--template-path", CFN, "--parameters", "Nope=1"],
            "Nope",
            id="unknown-parameter",
        ),
        pytest.param(
            ["validate", "--template-path", TF, "--parameters", "A=1"],
            "are for CloudFormation templates",
            id="parameters-for-a-plan",
        ),
    ],
)
def test_usage_and_input_errors_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err


def test_hostile_yaml_is_refused_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.yaml"
    rows = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    rows += [
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    ]
    bomb.write_text("\n".join(rows) + "\nResources: {}\n", encoding="utf-8")
    assert run(["validate", "--template-path", str(bomb)]) == 2
    assert f"{bomb}:2:" in capsys.readouterr().err
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("Resources: !!python/object/apply:os.system [true]\n", encoding="utf-8")
    assert run(["validate", "--template-path", str(tagged)]) == 2
    assert f"{tagged}:1:12: E_TAG" in capsys.readouterr().err
