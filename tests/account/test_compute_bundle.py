"""Compute in account bundles: what each reader takes from the AWS CLI output, the warning
naming the escalation not analysed when a part is missing, and malformed files refused
with their file, line and column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import BundleError
from cksmodel.cli.commands import main

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "examples" / "cks-account"
ACCT = "111122223333"
ROLE = f"arn:aws:iam::{ACCT}:role/cks-store-manager"
PROFILE = f"arn:aws:iam::{ACCT}:instance-profile/store-admin"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCT}:function:store-tool"
SERVICE = f"arn:aws:ecs:us-east-1:{ACCT}:service/ops/store-sync"
TASK_DEF = f"arn:aws:ecs:us-east-1:{ACCT}:task-definition/store-sync:3"
STACK = f"arn:aws:cloudformation:us-east-1:{ACCT}:stack/store-infra/0a1b2c3d"

FILES: dict[str, Any] = {
    "lambda/functions.json": {
        "Functions": [
            {"FunctionName": "store-tool", "FunctionArn": FUNCTION, "Role": ROLE},
            {
                "FunctionName": "image-tool",
                "FunctionArn": FUNCTION.replace("store-tool", "image-tool"),
                "Role": ROLE,
                "PackageType": "Image",
            },
        ]
    },
    "ec2/instances.json": {
        "Reservations": [
            {
                "OwnerId": ACCT,
                "Instances": [
                    {
                        "InstanceId": "i-0aaa",
                        "Placement": {"AvailabilityZone": "eu-west-1b"},
                        "State": {"Name": "stopped"},
                        "Platform": "windows",
                        "IamInstanceProfile": {"Arn": PROFILE},
                    },
                    {
                        "InstanceId": "i-0bbb",
                        "Placement": {"AvailabilityZone": "us-east-1a"},
                        "State": {"Name": "terminated"},
                        "IamInstanceProfile": {"Arn": PROFILE},
                    },
                    {
                        "InstanceId": "i-0ccc",
                        "Placement": {"AvailabilityZone": "us-east-1a"},
                        "State": {"Name": "running"},
                    },
                ],
            }
        ]
    },
    "ecs/clusters.json": {"clusterArns": [f"arn:aws:ecs:us-east-1:{ACCT}:cluster/ops"]},
    "ecs/services/ops/list-services.json": {"serviceArns": [SERVICE]},
    "ecs/services/ops/describe-01.json": {
        "services": [
            {"serviceArn": SERVICE, "serviceName": "store-sync", "taskDefinition": TASK_DEF}
        ],
        "failures": [],
    },
    "ecs/task-definitions/store-sync-3.json": {
        "taskDefinition": {
            "taskDefinitionArn": TASK_DEF,
            "family": "store-sync",
            "taskRoleArn": ROLE,
            "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ledger-app",
        }
    },
    "cloudformation/stacks.json": {
        "Stacks": [
            {
                "StackId": STACK,
                "StackName": "store-infra",
                "StackStatus": "UPDATE_COMPLETE",
                "RoleARN": ROLE,
            },
            {"StackId": STACK + "9", "StackName": "plain", "StackStatus": "CREATE_COMPLETE"},
        ]
    },
    "glue/dev-endpoints.json": {"DevEndpoints": [{"EndpointName": "nb", "RoleArn": ROLE}]},
}


def bundle(root: Path, files: dict[str, Any] | None = None, *, drop: str = "") -> Path:
    """The compliant example with the role in an instance profile and the compute files."""
    out = root / "bundle"
    shutil.copytree(GOOD, out)
    iam_path = out / "iam" / "account-authorization-details.json"
    details = json.loads(iam_path.read_text())
    role = next(r for r in details["RoleDetailList"] if r["Arn"] == ROLE)
    role["InstanceProfileList"] = [{"InstanceProfileName": "store-admin", "Arn": PROFILE}]
    iam_path.write_text(json.dumps(details, indent=2))
    for rel, value in (FILES if files is None else files).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value, indent=4))
    if drop:
        (out / drop).unlink()
    return out


def test_readers_take_the_compute_that_runs_as_a_role(tmp_path: Path) -> None:
    account = load_bundle(bundle(tmp_path))
    assert account.warnings == ()
    assert account.compute_known == {"lambda", "ec2", "ecs", "cloudformation", "glue"}
    found = {(r.kind, r.arn, r.role, r.state, r.platform, r.family) for r in account.compute}
    assert found == {
        ("lambda", FUNCTION, ROLE, "", "Zip", ""),
        ("lambda", FUNCTION.replace("store-tool", "image-tool"), ROLE, "", "Image", ""),
        (
            "ec2",
            f"arn:aws:ec2:eu-west-1:{ACCT}:instance/i-0aaa",
            ROLE,
            "stopped",
            "windows",
            "",
        ),
        ("ecs", SERVICE, ROLE, "", "", "store-sync"),
        ("cloudformation", STACK, ROLE, "UPDATE_COMPLETE", "", ""),
        # two regions in account.json and no AvailabilityZone: any region
        ("glue", f"arn:aws:glue:*:{ACCT}:devEndpoint/nb", ROLE, "", "", ""),
    }
    ecs = next(r for r in account.compute if r.kind == "ecs")
    assert ecs.source.endswith("store-sync-3.json")
    text = Path(ecs.source).read_text().splitlines()[ecs.line - 1]
    assert text[ecs.column - 1 :].startswith(f'"{ROLE}"')


WARNINGS = {
    "lambda/functions.json": "escalation through Lambda code injection",
    "ec2/instances.json": "escalation through EC2 instances (ssm:SendCommand",
    "ecs/clusters.json": "escalation through ECS services",
    "cloudformation/stacks.json": "escalation through CloudFormation stacks",
    "glue/dev-endpoints.json": "escalation through Glue development endpoints",
    "ecs/services/ops/list-services.json": "the services of ECS cluster ops are unknown",
    "ecs/services/ops/describe-01.json": "is described in no describe-*.json file",
    "ecs/task-definitions/store-sync-3.json": "its task role is unknown",
}


@pytest.mark.parametrize("missing", sorted(WARNINGS))
def test_a_missing_part_warns_which_escalation_is_not_analysed(
    tmp_path: Path, missing: str
) -> None:
    account = load_bundle(bundle(tmp_path, drop=missing))
    (warning,) = account.warnings
    assert WARNINGS[missing] in warning and "not analysed" in warning


def test_a_role_outside_the_iam_file_warns(tmp_path: Path) -> None:
    files = dict(FILES)
    files["glue/dev-endpoints.json"] = {
        "DevEndpoints": [{"EndpointName": "nb", "RoleArn": f"arn:aws:iam::{ACCT}:role/gone"}]
    }
    account = load_bundle(bundle(tmp_path, files))
    (warning,) = account.warnings
    assert "runs as arn:aws:iam::111122223333:role/gone, which the IAM file does not hold" in (
        warning
    )
    assert not any(r.kind == "glue" for r in account.compute)


# (id, file, its text, the text at the reported position, message fragment)
ERRORS = [
    ("lambda not JSON", "lambda/functions.json", '{"Functions": [}', "}", "E_SYNTAX"),
    (
        "lambda without Role",
        "lambda/functions.json",
        '{"Functions": [{"FunctionName": "f", "FunctionArn": "arn:x"}]}',
        '{"FunctionName"',
        "has no 'Role'",
    ),
    (
        "lambda truncated",
        "lambda/functions.json",
        '{"Functions": [], "NextMarker": "abc"}',
        '"abc"',
        "the output is truncated",
    ),
    (
        "instances not a list",
        "ec2/instances.json",
        '{"Reservations": {}}',
        "{}",
        "Reservations must be a list",
    ),
    (
        "instance profile without Arn",
        "ec2/instances.json",
        '{"Reservations": [{"OwnerId": "111122223333", "Instances": [{"InstanceId": "i-1", '
        '"State": {"Name": "running"}, "IamInstanceProfile": {"Id": "x"}}]}]}',
        '{"Id"',
        "has no 'Arn'",
    ),
    (
        "clusters of the wrong type",
        "ecs/clusters.json",
        '{"clusterArns": [7]}',
        "7]",
        "must be a non-empty string",
    ),
    (
        "stack status missing",
        "cloudformation/stacks.json",
        '{"Stacks": [{"StackName": "s", "StackId": "arn:x", "RoleARN": "arn:y"}]}',
        '{"StackName"',
        "has no 'StackStatus'",
    ),
    (
        "endpoint role empty",
        "glue/dev-endpoints.json",
        '{"DevEndpoints": [{"EndpointName": "nb", "RoleArn": ""}]}',
        '""',
        "RoleArn must be a non-empty string",
    ),
]


@pytest.mark.parametrize(
    ("rel", "text", "at", "fragment"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_malformed_compute_files_are_refused_with_their_position(
    tmp_path: Path, rel: str, text: str, at: str, fragment: str
) -> None:
    root = bundle(tmp_path, {**FILES, rel: text})
    with pytest.raises(BundleError) as info:
        load_bundle(root)
    error = info.value
    assert fragment in str(error)
    assert error.span is not None and error.span.source == str(root / rel)
    assert error.span.line == 1
    assert text[error.span.column - 1 :].startswith(at)


def test_cli_exits_2_on_a_malformed_compute_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = bundle(tmp_path, {**FILES, "glue/dev-endpoints.json": '{"DevEndpoints": 3}'})
    code = main(["who-can", "kms:DeleteCustomKeyStore", "--account", str(root)])
    assert code == 2
    assert f"{root / 'glue' / 'dev-endpoints.json'}:1:" in capsys.readouterr().err
