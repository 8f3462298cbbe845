"""Escalation through compute that already runs as a role: the compliant example account
plus one compute resource running as the store manager (or a harmless role) and a user,
``mallory``, holding only the calls that change what the compute runs. ``who-can
kms:DeleteCustomKeyStore`` must list her with the path user -> compute -> role -> action,
and must not when a guardrail refuses one of the calls or the role cannot do it."""

from __future__ import annotations

import copy
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.cli.reach_text import who_can_text
from cksmodel.graph import build_graph, who_can
from cksmodel.graph.goal import goal_graph
from cksmodel.graph.render import to_dot, to_graphml

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "examples" / "cks-account"
ACCT = "111122223333"
PRIZE = "kms:DeleteCustomKeyStore"
MALLORY = f"arn:aws:iam::{ACCT}:user/mallory"
STORE_ADMIN = f"arn:aws:iam::{ACCT}:role/cks-store-manager"
HARMLESS = f"arn:aws:iam::{ACCT}:role/ledger-app"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCT}:function:store-tool"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-0abc1234def567890"
DOCUMENT = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
PROFILE = f"arn:aws:iam::{ACCT}:instance-profile/store-admin"
SERVICE = f"arn:aws:ecs:us-east-1:{ACCT}:service/ops/store-sync"
TASK_DEF = f"arn:aws:ecs:us-east-1:{ACCT}:task-definition/store-sync:3"
STACK = (
    f"arn:aws:cloudformation:us-east-1:{ACCT}:stack/store-infra/"
    "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
)
ENDPOINT = f"arn:aws:glue:us-east-1:{ACCT}:devEndpoint/store-notebook"
BOUNDARY = f"arn:aws:iam::{ACCT}:policy/boundaries/read-only"


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": "*"}


@dataclass(frozen=True, kw_only=True)
class Route:
    """One kind of compute and the statements that take it over."""

    kind: str
    compute: str
    statements: tuple[dict[str, Any], ...]
    via: str
    state: str = "running"


ROUTES = {
    "lambda-code": Route(
        kind="lambda",
        compute=FUNCTION,
        statements=(allow("lambda:UpdateFunctionCode", FUNCTION),),
        via="lambda:UpdateFunctionCode",
    ),
    "lambda-layer": Route(
        kind="lambda",
        compute=FUNCTION,
        statements=(
            allow("lambda:UpdateFunctionConfiguration", FUNCTION),
            allow("lambda:GetLayerVersion", "arn:aws:lambda:*:*:layer:*:*"),
        ),
        via="lambda:UpdateFunctionConfiguration + lambda:GetLayerVersion",
    ),
    "ssm-command": Route(
        kind="ec2",
        compute=INSTANCE,
        statements=(allow("ssm:SendCommand", [INSTANCE, DOCUMENT]),),
        via="ssm:SendCommand",
    ),
    "ssm-command-stopped": Route(
        kind="ec2",
        compute=INSTANCE,
        statements=(
            allow("ssm:SendCommand", [INSTANCE, DOCUMENT]),
            allow("ec2:StartInstances", INSTANCE),
        ),
        via="ssm:SendCommand + ec2:StartInstances",
        state="stopped",
    ),
    "ssm-session": Route(
        kind="ec2",
        compute=INSTANCE,
        statements=(allow("ssm:StartSession", INSTANCE),),
        via="ssm:StartSession",
    ),
    "ec2-user-data": Route(
        kind="ec2",
        compute=INSTANCE,
        statements=(
            allow(
                ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
                INSTANCE,
            ),
        ),
        via="ec2:ModifyInstanceAttribute + ec2:StopInstances + ec2:StartInstances",
    ),
    "ecs-task-definition": Route(
        kind="ecs",
        compute=SERVICE,
        statements=(
            allow("ecs:UpdateService", SERVICE),
            allow("ecs:RegisterTaskDefinition"),
            allow("iam:PassRole", STORE_ADMIN),
        ),
        via="ecs:UpdateService + ecs:RegisterTaskDefinition + iam:PassRole",
    ),
    "cloudformation-update": Route(
        kind="cloudformation",
        compute=STACK,
        statements=(allow("cloudformation:UpdateStack", STACK),),
        via="cloudformation:UpdateStack",
    ),
    "cloudformation-change-set": Route(
        kind="cloudformation",
        compute=STACK,
        statements=(
            allow(["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], STACK),
        ),
        via="cloudformation:CreateChangeSet + cloudformation:ExecuteChangeSet",
    ),
    "glue-dev-endpoint": Route(
        kind="glue",
        compute=ENDPOINT,
        statements=(allow("glue:UpdateDevEndpoint", ENDPOINT),),
        via="glue:UpdateDevEndpoint",
    ),
}

SERVICES = {
    "lambda": "lambda.amazonaws.com",
    "ec2": "ec2.amazonaws.com",
    "ecs": "ecs-tasks.amazonaws.com",
    "cloudformation": "cloudformation.amazonaws.com",
    "glue": "glue.amazonaws.com",
}


def _compute_files(route: Route, role: str) -> dict[str, Any]:
    """The AWS CLI output listing one resource of the route's kind, running as ``role``."""
    files: dict[str, Any] = {
        "lambda/functions.json": {"Functions": []},
        "ec2/instances.json": {"Reservations": []},
        "ecs/clusters.json": {"clusterArns": []},
        "cloudformation/stacks.json": {"Stacks": []},
        "glue/dev-endpoints.json": {"DevEndpoints": []},
    }
    if route.kind == "lambda":
        files["lambda/functions.json"] = {
            "Functions": [
                {
                    "FunctionName": "store-tool",
                    "FunctionArn": FUNCTION,
                    "Runtime": "python3.12",
                    "Role": role,
                    "Handler": "app.handler",
                    "PackageType": "Zip",
                }
            ]
        }
    elif route.kind == "ec2":
        files["ec2/instances.json"] = {
            "Reservations": [
                {
                    "ReservationId": "r-0123456789abcdef0",
                    "OwnerId": ACCT,
                    "Instances": [
                        {
                            "InstanceId": "i-0abc1234def567890",
                            "InstanceType": "t3.micro",
                            "Placement": {"AvailabilityZone": "us-east-1a"},
                            "State": {"Code": 16, "Name": route.state},
                            "IamInstanceProfile": {"Arn": PROFILE, "Id": "AIPAEXAMPLE1234567890"},
                        }
                    ],
                }
            ]
        }
    elif route.kind == "ecs":
        files["ecs/clusters.json"] = {"clusterArns": [f"arn:aws:ecs:us-east-1:{ACCT}:cluster/ops"]}
        files["ecs/services/ops/list-services.json"] = {"serviceArns": [SERVICE]}
        files["ecs/services/ops/describe-01.json"] = {
            "services": [
                {
                    "serviceArn": SERVICE,
                    "serviceName": "store-sync",
                    "clusterArn": f"arn:aws:ecs:us-east-1:{ACCT}:cluster/ops",
                    "status": "ACTIVE",
                    "taskDefinition": TASK_DEF,
                }
            ],
            "failures": [],
        }
        files["ecs/task-definitions/store-sync-3.json"] = {
            "taskDefinition": {
                "taskDefinitionArn": TASK_DEF,
                "family": "store-sync",
                "revision": 3,
                "taskRoleArn": role,
                "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ledger-app",
                "containerDefinitions": [],
            }
        }
    elif route.kind == "cloudformation":
        files["cloudformation/stacks.json"] = {
            "Stacks": [
                {
                    "StackId": STACK,
                    "StackName": "store-infra",
                    "StackStatus": "UPDATE_COMPLETE",
                    "RoleARN": role,
                }
            ]
        }
    else:
        files["glue/dev-endpoints.json"] = {
            "DevEndpoints": [
                {
                    "EndpointName": "store-notebook",
                    "RoleArn": role,
                    "Status": "READY",
                    "AvailabilityZone": "us-east-1a",
                }
            ]
        }
    return files


@dataclass(frozen=True, kw_only=True)
class Setup:
    """What is changed around the route: a guardrail, the role, its trust."""

    role: str = STORE_ADMIN
    trusts_service: bool = True
    extra: tuple[dict[str, Any], ...] = ()
    boundary: bool = False
    scp_deny: tuple[str, ...] = ()
    drop: tuple[str, ...] = field(default=())
    """Actions taken out of the route's statements."""
    trusting: tuple[str, ...] = ()
    """Other roles whose trust lets the route's service in."""


def make_bundle(root: Path, route: Route, setup: Setup = Setup()) -> Path:
    """The compliant example with mallory, the route's compute and the setup's changes."""
    bundle = root / "bundle"
    shutil.copytree(GOOD, bundle)
    iam_path = bundle / "iam" / "account-authorization-details.json"
    details = json.loads(iam_path.read_text())
    statements = [
        {**s, "Action": kept}
        for s in route.statements
        if (kept := [a for a in _listed(s["Action"]) if a not in setup.drop])
    ]
    user: dict[str, Any] = {
        "Path": "/",
        "UserName": "mallory",
        "UserId": "AIDAMALLORYEXAMPLE0001",
        "Arn": MALLORY,
        "CreateDate": "2025-01-01T00:00:00+00:00",
        "UserPolicyList": [
            {
                "PolicyName": "ops",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": statements + list(setup.extra),
                },
            }
        ],
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }
    if setup.boundary:
        user["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": BOUNDARY,
        }
        template = next(p for p in details["Policies"] if "engineer-boundary" in p["Arn"])
        policy = copy.deepcopy(template)
        policy.update(PolicyName="read-only", Arn=BOUNDARY, PolicyId="ANPAREADONLYEXAMPLE01")
        policy["PolicyVersionList"] = [
            {
                "Document": {
                    "Version": "2012-10-17",
                    "Statement": [allow(["s3:Get*", "s3:List*"])],
                },
                "VersionId": "v1",
                "IsDefaultVersion": True,
            }
        ]
        details["Policies"].append(policy)
    details["UserDetailList"].append(user)
    role = next(r for r in details["RoleDetailList"] if r["Arn"] == setup.role)
    trusting = (setup.role,) if setup.trusts_service else ()
    for entry in details["RoleDetailList"]:
        if entry["Arn"] in trusting + setup.trusting:
            entry["AssumeRolePolicyDocument"]["Statement"].append(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": SERVICES[route.kind]},
                    "Action": "sts:AssumeRole",
                }
            )
    role["InstanceProfileList"].append(
        {
            "Path": "/",
            "InstanceProfileName": "store-admin",
            "InstanceProfileId": "AIPAEXAMPLE1234567890",
            "Arn": PROFILE,
            "Roles": [],
        }
    )
    iam_path.write_text(json.dumps(details, indent=2))
    for name, content in _compute_files(route, setup.role).items():
        path = bundle / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2))
    if setup.scp_deny:
        scp = {
            "Policy": {
                "PolicySummary": {
                    "Id": "p-nocompute1",
                    "Name": "no-compute-changes",
                    "Type": "SERVICE_CONTROL_POLICY",
                    "AwsManaged": False,
                },
                "Content": json.dumps(
                    {"Version": "2012-10-17", "Statement": [deny(list(setup.scp_deny))]}
                ),
            }
        }
        (bundle / "organizations" / "scp" / f"02-{ACCT}" / "p-nocompute1.json").write_text(
            json.dumps(scp)
        )
    return bundle


def _listed(action: str | list[str]) -> list[str]:
    return [action] if isinstance(action, str) else action


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_who_can_lists_the_user_through_the_compute(tmp_path: Path, name: str) -> None:
    route = ROUTES[name]
    account = load_bundle(make_bundle(tmp_path, route))
    assert account.warnings == ()
    answer = who_can(goal_graph(account), PRIZE)
    reach = next((r for r in answer.principals if r.arn == MALLORY), None)
    assert reach is not None and reach.decided and not reach.direct
    hops = [(h.source, h.target, h.via) for h in reach.path]
    assert hops == [
        (MALLORY, route.compute, route.via),
        (route.compute, STORE_ADMIN, "runs as"),
        (STORE_ADMIN, f"action:{PRIZE} on *", PRIZE),
    ]
    first = reach.path[0]
    assert first.changes == route.compute
    assert first.policy == "user/mallory/inline/ops" and first.line > 0


@pytest.mark.parametrize("name", ["lambda-code", "ecs-task-definition", "ssm-command"])
def test_whole_graph_agrees_with_the_goal_graph(tmp_path: Path, name: str) -> None:
    account = load_bundle(make_bundle(tmp_path, ROUTES[name]))
    whole = who_can(build_graph(account), PRIZE)
    goal = who_can(goal_graph(account), PRIZE)
    assert [(r.arn, r.decided, len(r.path)) for r in whole.principals] == [
        (r.arn, r.decided, len(r.path)) for r in goal.principals
    ]
    assert MALLORY in {r.arn for r in whole.principals}


CONTROLS = {
    "explicit deny": ("lambda-code", Setup(extra=(deny("lambda:UpdateFunctionCode"),))),
    "permissions boundary": ("lambda-code", Setup(boundary=True)),
    "SCP": ("lambda-code", Setup(scp_deny=("lambda:UpdateFunctionCode",))),
    "harmless role": ("lambda-code", Setup(role=HARMLESS)),
    "role does not trust the service": ("lambda-code", Setup(trusts_service=False)),
    "layer without GetLayerVersion": (
        "lambda-layer",
        Setup(drop=("lambda:GetLayerVersion",)),
    ),
    "command without the document": (
        "ssm-command",
        Setup(extra=({"Effect": "Deny", "Action": "ssm:SendCommand", "Resource": DOCUMENT},)),
    ),
    "stopped instance without StartInstances": (
        "ssm-command-stopped",
        Setup(drop=("ec2:StartInstances",)),
    ),
    "session denied by SCP": ("ssm-session", Setup(scp_deny=("ssm:StartSession",))),
    "user data without stopping": ("ec2-user-data", Setup(drop=("ec2:StopInstances",))),
    "task definition without PassRole": ("ecs-task-definition", Setup(drop=("iam:PassRole",))),
    "stack update denied by boundary": ("cloudformation-update", Setup(boundary=True)),
    "change set without executing it": (
        "cloudformation-change-set",
        Setup(drop=("cloudformation:ExecuteChangeSet",)),
    ),
    "dev endpoint on a harmless role": ("glue-dev-endpoint", Setup(role=HARMLESS)),
}


@pytest.mark.parametrize("case", sorted(CONTROLS))
def test_who_can_does_not_list_the_user_when_a_call_is_refused(tmp_path: Path, case: str) -> None:
    name, setup = CONTROLS[case]
    account = load_bundle(make_bundle(tmp_path, ROUTES[name], setup))
    answer = who_can(goal_graph(account), PRIZE)
    assert MALLORY not in {r.arn for r in answer.principals}


def test_cloudformation_update_needs_no_pass_role(tmp_path: Path) -> None:
    """The UpdateStack API reference on ``RoleARN``: "If you don't specify a value,
    CloudFormation uses the role that was previously associated with the stack", and
    "Provided that users have permission to operate on the stack, CloudFormation uses this
    role even if the users don't have permission to pass it." So ``UpdateStack`` on a stack
    with a service role is enough, even under an explicit Deny of ``iam:PassRole``."""
    setup = Setup(extra=(deny("iam:PassRole"),))
    account = load_bundle(make_bundle(tmp_path, ROUTES["cloudformation-update"], setup))
    answer = who_can(goal_graph(account), PRIZE)
    assert MALLORY in {r.arn for r in answer.principals if r.decided}


def test_container_image_function_is_undecided(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, ROUTES["lambda-code"])
    path = bundle / "lambda" / "functions.json"
    functions = json.loads(path.read_text())
    functions["Functions"][0]["PackageType"] = "Image"
    path.write_text(json.dumps(functions))
    answer = who_can(goal_graph(load_bundle(bundle)), PRIZE)
    reach = next(r for r in answer.principals if r.arn == MALLORY)
    assert not reach.decided
    assert "Amazon ECR" in reach.path[0].reason


def test_text_names_the_compute_and_the_statement(tmp_path: Path) -> None:
    account = load_bundle(make_bundle(tmp_path, ROUTES["lambda-code"]))
    text = who_can_text(who_can(goal_graph(account), PRIZE))
    assert (
        f"lambda:UpdateFunctionCode on {FUNCTION} (statement 0 of user/mallory/inline/ops)" in text
    )


def test_the_whole_graph_draws_and_reads_back_the_compute_node(tmp_path: Path) -> None:
    graph = build_graph(load_bundle(make_bundle(tmp_path, ROUTES["ssm-session"]))).graph
    assert graph.nodes[INSTANCE]["kind"] == "compute"
    assert graph.nodes[INSTANCE]["label"] == "EC2 instance i-0abc1234def567890"
    assert graph[MALLORY][INSTANCE]["kind"] == "compute"
    assert graph[INSTANCE][STORE_ADMIN]["kind"] == "runs_as"
    assert "ec2/instances.json" in graph[INSTANCE][STORE_ADMIN]["reason"]
    loaded = nx.read_graphml(io.BytesIO(to_graphml(graph).encode("utf-8")))
    assert loaded[MALLORY][INSTANCE]["changes"] == INSTANCE
    assert "box3d" in to_dot(graph)


SWAP = Route(
    kind="lambda",
    compute=FUNCTION,
    statements=(
        allow("lambda:UpdateFunctionConfiguration", FUNCTION),
        allow("lambda:GetLayerVersion"),
        allow("iam:PassRole", STORE_ADMIN),
    ),
    via="lambda:UpdateFunctionConfiguration + iam:PassRole + lambda:GetLayerVersion",
)


@pytest.mark.parametrize(
    ("drop", "listed"),
    [((), True), (("iam:PassRole",), False), (("lambda:GetLayerVersion",), False)],
    ids=["listed", "without PassRole", "without a layer"],
)
def test_a_listed_function_given_the_role_and_a_layer(
    tmp_path: Path, drop: tuple[str, ...], listed: bool
) -> None:
    """The function runs as a harmless role; with ``iam:PassRole`` of the store manager to
    Lambda and a layer of hers, one ``UpdateFunctionConfiguration`` makes it run her code
    as the store manager."""
    setup = Setup(role=HARMLESS, trusting=(STORE_ADMIN,), drop=drop)
    account = load_bundle(make_bundle(tmp_path, SWAP, setup))
    answer = who_can(goal_graph(account), PRIZE)
    reach = next((r for r in answer.principals if r.arn == MALLORY), None)
    assert (reach is not None) is listed
    if reach is not None:
        first = reach.path[0]
        assert (first.target, first.via, first.changes) == (STORE_ADMIN, SWAP.via, FUNCTION)
        assert reach.decided
