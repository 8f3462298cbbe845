"""A large, realistic, compliant account bundle for benchmarking ``cksmodel prove``.

    python bench/synthetic_account.py OUT --principals 1000 --keys 200 [--seed 7] [--force]

The bundle is written in exactly the formats the loader reads (the unmodified AWS
CLI output that ``examples/collect.sh`` saves; see ``cksmodel/bundle.py``):

- the fixed cast of ``examples/cks-account``, copied from it: its users and groups,
  ``cks-store-manager``, ``cloudhsm-cluster-admin``, ``kms-key-manager``, ``Admin``,
  ``ci-deployer``, ``payments-app``, ``ledger-app``, the custom key store
  service-linked role with its AWS managed policy (and CloudHSM's), its four keys, its
  custom key store (``CONNECTED``), its CloudHSM cluster (two ACTIVE HSMs in two
  zones) and its SCP and RCP levels;
- generated teams: each a group (inline log-reading policy, one or two managed
  policies), users (``engineers`` plus the team group, the shared permissions boundary
  ``boundaries/engineer-boundary``, a ``team`` tag, sometimes an inline policy, some
  URL-encoded as the raw IAM API returns them) and roles: ECS task, Lambda and EC2
  roles trusted by their service (``aws:SourceAccount`` for ECS), and cross-account
  integration roles trusted by a vendor account with an ``sts:ExternalId``. Workload
  roles of a team that owns keys get an inline key-user policy on the team's keys
  (with an ``kms:EncryptionContext:app`` condition); every principal gets one to four
  managed policies of a pool of 30 (10 AWS managed, 20 customer managed), so each
  managed policy is attached to many principals;
- generated keys: mostly in the custom key store, the rest ``AWS_KMS``; key policies
  alternate between the default key policy and the console's administrator/user
  separation (account root, ``kms-key-manager`` as key administrator, one of the
  team's workload roles as key user with an encryption-context condition); a few keys
  have grants (Decrypt/Encrypt for another team's workload role, with an
  encryption-context constraint).

``principals`` counts every IAM user and role of the bundle (the fixed cast's 16
included) and ``keys`` every KMS key (the example's 4 included). Nothing generated
widens what the example's invariants restrict (no IAM writes, no custom key store or
key administration actions, no ``kms:CreateKey``), so every invariant of ``specs/cks.spec``
should still be PROVED. The output is a function of the arguments and of
``examples/cks-account`` alone: the same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import sys
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cks-account"

ACCOUNT = "111122223333"
REGION = "us-east-1"
STORE_ID = "cks-1234567890abcdef0"
STORE_NAME = "payments-cks"
CLUSTER_ID = "cluster-1234abcdefg"
VENDOR_ACCOUNTS = ("444455556666", "777788889999", "210987654321")

FIXED_PRINCIPALS = 16
"""Users and roles of ``examples/cks-account`` (7 users, 9 roles)."""
FIXED_KEYS = 4
"""Keys of ``examples/cks-account``."""
PER_TEAM = 25
"""Generated principals per team (the last team takes the remainder)."""

Json = dict[str, Any]

# ------------------------------------------------------------------ names

TEAM_WORDS = (
    "checkout", "search", "billing", "identity", "fraud", "reporting", "catalog",
    "shipping", "pricing", "inventory", "notifications", "growth", "mobile", "web",
    "analytics", "risk", "treasury", "onboarding", "support", "marketing", "partners",
    "loyalty", "settlement", "disputes", "compliance", "ml-platform", "data-platform",
    "observability", "edge", "messaging", "scheduling", "documents", "media", "geo",
    "recommendations", "subscriptions", "tax", "invoicing", "payroll", "audit",
)  # fmt: skip
FIRST = (
    "ana", "ben", "chloe", "diego", "emma", "felix", "gina", "hugo", "iris", "jonas",
    "kim", "liam", "maya", "noah", "olga", "pablo", "quinn", "rosa", "sam", "tara",
    "umar", "vera", "will", "xena", "yusuf", "zoe", "amir", "bea", "carl", "dina",
)  # fmt: skip
LAST = (
    "adams", "brown", "chen", "diaz", "evans", "fischer", "garcia", "hansen", "ito",
    "jones", "kowalski", "lopez", "martin", "nguyen", "okafor", "patel", "quispe",
    "rossi", "silva", "tanaka", "ueda", "varga", "weber", "xu", "yilmaz", "zhang",
)  # fmt: skip
SERVICES = (
    "api", "worker", "consumer", "scheduler", "gateway", "indexer", "exporter",
    "reconciler", "notifier", "ingest", "renderer", "sync", "backfill", "webhook",
)  # fmt: skip


def _statement(
    sid: str, actions: list[str] | str, resources: list[str] | str, **extra: Any
) -> Json:
    out: Json = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    out.update(extra)
    return out


def _document(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# ------------------------------------------------------------------ the managed policy pool

AWS_MANAGED: tuple[tuple[str, str, Json], ...] = (
    (
        "AmazonS3ReadOnlyAccess",
        "/",
        _document(
            {
                "Effect": "Allow",
                "Action": [
                    "s3:Get*",
                    "s3:List*",
                    "s3:Describe*",
                    "s3-object-lambda:Get*",
                    "s3-object-lambda:List*",
                ],
                "Resource": "*",
            }
        ),
    ),
    (
        "CloudWatchLogsReadOnlyAccess",
        "/",
        _document(
            _statement(
                "CloudWatchLogsReadOnlyAccess",
                [
                    "logs:Describe*",
                    "logs:Get*",
                    "logs:List*",
                    "logs:StartQuery",
                    "logs:StopQuery",
                    "logs:TestMetricFilter",
                    "logs:FilterLogEvents",
                    "logs:StartLiveTail",
                    "logs:StopLiveTail",
                    "cloudwatch:GenerateQuery",
                ],
                "*",
            )
        ),
    ),
    (
        "AmazonEC2ContainerRegistryReadOnly",
        "/",
        _document(
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:GetRepositoryPolicy",
                    "ecr:DescribeRepositories",
                    "ecr:ListImages",
                    "ecr:DescribeImages",
                    "ecr:BatchGetImage",
                    "ecr:GetLifecyclePolicy",
                    "ecr:GetLifecyclePolicyPreview",
                    "ecr:ListTagsForResource",
                    "ecr:DescribeImageScanFindings",
                ],
                "Resource": "*",
            }
        ),
    ),
    (
        "AWSLambdaBasicExecutionRole",
        "/service-role/",
        _document(
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ),
    ),
    (
        "AmazonECSTaskExecutionRolePolicy",
        "/service-role/",
        _document(
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            }
        ),
    ),
    (
        "AWSXRayDaemonWriteAccess",
        "/",
        _document(
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": ["*"],
            }
        ),
    ),
    (
        "AmazonSSMManagedInstanceCore",
        "/",
        _document(
            {
                "Effect": "Allow",
                "Action": [
                    "ssm:DescribeAssociation",
                    "ssm:GetDeployablePatchSnapshotForInstance",
                    "ssm:GetDocument",
                    "ssm:DescribeDocument",
                    "ssm:GetManifest",
                    "ssm:GetParameter",
                    "ssm:GetParameters",
                    "ssm:ListAssociations",
                    "ssm:ListInstanceAssociations",
                    "ssm:PutInventory",
                    "ssm:PutComplianceItems",
                    "ssm:PutConfigurePackageResult",
                    "ssm:UpdateAssociationStatus",
                    "ssm:UpdateInstanceAssociationStatus",
                    "ssm:UpdateInstanceInformation",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ec2messages:AcknowledgeMessage",
                    "ec2messages:DeleteMessage",
                    "ec2messages:FailMessage",
                    "ec2messages:GetEndpoint",
                    "ec2messages:GetMessages",
                    "ec2messages:SendReply",
                ],
                "Resource": "*",
            },
        ),
    ),
    (
        "CloudWatchAgentServerPolicy",
        "/",
        _document(
            _statement(
                "CWACloudWatchServerPermissions",
                [
                    "cloudwatch:PutMetricData",
                    "ec2:DescribeVolumes",
                    "ec2:DescribeTags",
                    "logs:PutLogEvents",
                    "logs:PutRetentionPolicy",
                    "logs:DescribeLogStreams",
                    "logs:DescribeLogGroups",
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "*",
            ),
            _statement(
                "CWASSMServerPermissions",
                ["ssm:GetParameter"],
                "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*",
            ),
        ),
    ),
    (
        "AmazonSQSReadOnlyAccess",
        "/",
        _document(
            _statement(
                "AmazonSQSReadOnlyAccess",
                [
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ListDeadLetterSourceQueues",
                    "sqs:ListQueues",
                    "sqs:ListMessageMoveTasks",
                    "sqs:ListQueueTags",
                ],
                "*",
            )
        ),
    ),
    (
        "AmazonDynamoDBReadOnlyAccess",
        "/",
        _document(
            {
                "Action": [
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:DescribeScalingActivities",
                    "application-autoscaling:DescribeScalingPolicies",
                    "cloudwatch:DescribeAlarmHistory",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:GetMetricData",
                    "cloudwatch:GetMetricStatistics",
                    "cloudwatch:ListMetrics",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Describe*",
                    "dynamodb:GetItem",
                    "dynamodb:List*",
                    "dynamodb:PartiQLSelect",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "ec2:DescribeVpcEndpoints",
                    "iam:GetRole",
                    "iam:ListRoles",
                    "kms:DescribeKey",
                    "kms:ListAliases",
                    "sns:ListSubscriptionsByTopic",
                    "sns:ListTopics",
                    "tag:GetResources",
                ],
                "Effect": "Allow",
                "Resource": "*",
            }
        ),
    ),
)


def _customer_managed(a: str) -> tuple[tuple[str, str, Json], ...]:
    return (
        (
            "s3-artifacts-read",
            "/platform/",
            _document(
                _statement(
                    "ReadArtifacts",
                    ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"],
                    [
                        "arn:aws:s3:::example-corp-artifacts",
                        "arn:aws:s3:::example-corp-artifacts/*",
                    ],
                )
            ),
        ),
        (
            "s3-data-lake-read",
            "/data/",
            _document(
                _statement("ListLake", "s3:ListBucket", "arn:aws:s3:::example-corp-data-lake"),
                _statement(
                    "ReadCurated",
                    ["s3:GetObject", "s3:GetObjectTagging"],
                    "arn:aws:s3:::example-corp-data-lake/curated/*",
                ),
            ),
        ),
        (
            "s3-data-lake-write",
            "/data/",
            _document(
                _statement(
                    "WriteRaw",
                    ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"],
                    "arn:aws:s3:::example-corp-data-lake/raw/*",
                    Condition={"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                )
            ),
        ),
        (
            "sqs-events-consume",
            "/platform/",
            _document(
                _statement(
                    "ConsumeEvents",
                    [
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl",
                    ],
                    f"arn:aws:sqs:{REGION}:{a}:events-*",
                )
            ),
        ),
        (
            "sqs-events-publish",
            "/platform/",
            _document(
                _statement(
                    "PublishEvents",
                    ["sqs:SendMessage", "sqs:GetQueueUrl"],
                    f"arn:aws:sqs:{REGION}:{a}:events-*",
                )
            ),
        ),
        (
            "sns-alerts-publish",
            "/platform/",
            _document(
                _statement("PublishAlerts", "sns:Publish", f"arn:aws:sns:{REGION}:{a}:alerts-*")
            ),
        ),
        (
            "dynamodb-sessions-rw",
            "/platform/",
            _document(
                _statement(
                    "SessionsTable",
                    [
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:Query",
                    ],
                    [
                        f"arn:aws:dynamodb:{REGION}:{a}:table/sessions",
                        f"arn:aws:dynamodb:{REGION}:{a}:table/sessions/index/*",
                    ],
                )
            ),
        ),
        (
            "secrets-team-read",
            "/platform/",
            _document(
                _statement(
                    "ReadOwnTeamSecrets",
                    ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    f"arn:aws:secretsmanager:{REGION}:{a}:secret:app/*",
                    Condition={
                        "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}
                    },
                )
            ),
        ),
        (
            "ssm-app-parameters-read",
            "/platform/",
            _document(
                _statement(
                    "ReadAppParameters",
                    ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                    f"arn:aws:ssm:{REGION}:{a}:parameter/app/*",
                )
            ),
        ),
        (
            "cloudwatch-metrics-write",
            "/platform/",
            _document(
                _statement(
                    "PutOwnMetrics",
                    "cloudwatch:PutMetricData",
                    "*",
                    Condition={"StringLike": {"cloudwatch:namespace": "ExampleCorp/*"}},
                )
            ),
        ),
        (
            "ecs-deploy",
            "/platform/",
            _document(
                _statement(
                    "DeployServices",
                    [
                        "ecs:RegisterTaskDefinition",
                        "ecs:DescribeServices",
                        "ecs:DescribeTaskDefinition",
                        "ecs:UpdateService",
                    ],
                    "*",
                ),
                _statement(
                    "PassWorkloadRoles",
                    "iam:PassRole",
                    f"arn:aws:iam::{a}:role/*-task",
                    Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                ),
            ),
        ),
        (
            "lambda-deploy",
            "/platform/",
            _document(
                _statement(
                    "UpdateFunctions",
                    [
                        "lambda:GetFunction",
                        "lambda:GetFunctionConfiguration",
                        "lambda:UpdateFunctionCode",
                        "lambda:UpdateFunctionConfiguration",
                        "lambda:PublishVersion",
                        "lambda:UpdateAlias",
                    ],
                    f"arn:aws:lambda:{REGION}:{a}:function:*",
                )
            ),
        ),
        (
            "kinesis-stream-read",
            "/data/",
            _document(
                _statement(
                    "ReadStreams",
                    [
                        "kinesis:DescribeStream",
                        "kinesis:DescribeStreamSummary",
                        "kinesis:GetRecords",
                        "kinesis:GetShardIterator",
                        "kinesis:ListShards",
                        "kinesis:SubscribeToShard",
                    ],
                    f"arn:aws:kinesis:{REGION}:{a}:stream/clickstream-*",
                )
            ),
        ),
        (
            "kinesis-stream-write",
            "/data/",
            _document(
                _statement(
                    "WriteStreams",
                    ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"],
                    f"arn:aws:kinesis:{REGION}:{a}:stream/clickstream-*",
                )
            ),
        ),
        (
            "athena-analyst",
            "/data/",
            _document(
                _statement(
                    "RunQueries",
                    [
                        "athena:StartQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                        "athena:StopQueryExecution",
                    ],
                    f"arn:aws:athena:{REGION}:{a}:workgroup/analysts",
                ),
                _statement(
                    "ReadCatalog",
                    ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables"],
                    "*",
                ),
            ),
        ),
        (
            "ec2-describe",
            "/platform/",
            _document(_statement("DescribeEc2", "ec2:Describe*", "*")),
        ),
        (
            "cost-explorer-read",
            "/finance/",
            _document(
                _statement(
                    "ReadCosts", ["ce:Get*", "ce:Describe*", "ce:List*", "budgets:ViewBudget"], "*"
                )
            ),
        ),
        (
            "kms-discovery",
            "/platform/",
            _document(
                _statement(
                    "DiscoverKeys", ["kms:ListKeys", "kms:ListAliases", "kms:DescribeKey"], "*"
                )
            ),
        ),
        (
            "eventbridge-put-events",
            "/platform/",
            _document(
                _statement(
                    "PutDomainEvents",
                    "events:PutEvents",
                    f"arn:aws:events:{REGION}:{a}:event-bus/domain-events",
                )
            ),
        ),
        (
            "step-functions-run",
            "/platform/",
            _document(
                _statement(
                    "RunWorkflows",
                    [
                        "states:StartExecution",
                        "states:DescribeExecution",
                        "states:StopExecution",
                    ],
                    [
                        f"arn:aws:states:{REGION}:{a}:stateMachine:*",
                        f"arn:aws:states:{REGION}:{a}:execution:*:*",
                    ],
                )
            ),
        ),
    )


# ------------------------------------------------------------------ helpers


@dataclass(slots=True)
class _Ids:
    """Deterministic ids, dates and names from one random generator."""

    rng: random.Random
    used: set[str] = field(default_factory=set)

    def iam_id(self, prefix: str) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        while True:
            value = prefix + "".join(self.rng.choice(alphabet) for _ in range(17))
            if value not in self.used:
                self.used.add(value)
                return value

    def key_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def date(self, start: str = "2022-01-01", days: int = 900, millis: bool = False) -> str:
        base = datetime.fromisoformat(start).replace(tzinfo=UTC)
        moment = base + timedelta(seconds=self.rng.randrange(days * 86400))
        if millis:
            micro = self.rng.randrange(1000) * 1000
            return moment.replace(microsecond=micro).isoformat()
        return moment.isoformat()

    def unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate.casefold() in self.used:
            candidate, n = f"{name}{n}", n + 1
        self.used.add(candidate.casefold())
        return candidate


def _url_encoded(document: Json) -> str:
    """A policy document as the raw IAM API returns it (URL-encoded JSON)."""
    return urllib.parse.quote(json.dumps(document, separators=(",", ":")), safe="")


def _kms_text(document: Json) -> str:
    """A key policy as ``aws kms get-key-policy`` prints it (a JSON string)."""
    return json.dumps(document, indent=2, separators=(",", " : "))


def _as_account(path: Path, account: str) -> bytes:
    """A file of the example, with the example's account id replaced by ``account``."""
    return path.read_bytes().replace(ACCOUNT.encode(), account.encode())


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=4) + "\n", encoding="utf-8")


def _teams(count: int) -> list[str]:
    out = []
    for i in range(count):
        word = TEAM_WORDS[i % len(TEAM_WORDS)]
        out.append(word if i < len(TEAM_WORDS) else f"{word}-{i // len(TEAM_WORDS) + 1}")
    return out


@dataclass(slots=True)
class _Team:
    name: str
    users: list[Json] = field(default_factory=list)
    roles: list[Json] = field(default_factory=list)
    key_users: list[str] = field(default_factory=list)
    """ARNs of the team's workload roles that use its keys."""
    keys: list[str] = field(default_factory=list)
    """ARNs of the team's keys."""


# ------------------------------------------------------------------ the generator


class _Generator:
    def __init__(self, principals: int, keys: int, seed: int, account: str = ACCOUNT) -> None:
        if not (len(account) == 12 and account.isdigit()):
            raise ValueError(f"account must be a 12-digit account id, not {account!r}")
        if principals < FIXED_PRINCIPALS:
            raise ValueError(
                f"principals must be at least {FIXED_PRINCIPALS} (the example's fixed cast)"
            )
        if keys < FIXED_KEYS:
            raise ValueError(f"keys must be at least {FIXED_KEYS} (the example's keys)")
        self.n_principals = principals - FIXED_PRINCIPALS
        self.n_keys = keys - FIXED_KEYS
        self.account = account
        self.boundary_arn = f"arn:aws:iam::{account}:policy/boundaries/engineer-boundary"
        self.key_manager_arn = f"arn:aws:iam::{account}:role/kms-key-manager"
        self.rng = random.Random(seed)
        self.ids = _Ids(self.rng)
        self.iam: Json = json.loads(
            _as_account(EXAMPLE / "iam" / "account-authorization-details.json", account)
        )
        for entry in self.iam["UserDetailList"] + self.iam["RoleDetailList"]:
            self.ids.unique(entry.get("UserName") or entry["RoleName"])
        for entry in self.iam["GroupDetailList"]:
            self.ids.unique(entry["GroupName"])
        self.pool = self._pool()
        n_teams = max(1, self.n_principals // PER_TEAM) if self.n_principals else 0
        self.teams = [_Team(name) for name in _teams(n_teams)]
        self.key_records: list[tuple[str, Json, Json, Json]] = []

    # ---------------------------------------------------------- managed policies

    def _pool(self) -> list[Json]:
        out = []
        for name, path, document in AWS_MANAGED:
            arn = f"arn:aws:iam::aws:policy{path}{name}"
            out.append(self._managed(name, path, arn, document, aws=True))
        for name, path, document in _customer_managed(self.account):
            arn = f"arn:aws:iam::{self.account}:policy{path}{name}"
            out.append(self._managed(name, path, arn, document, aws=False))
        return out

    def _managed(self, name: str, path: str, arn: str, document: Json, *, aws: bool) -> Json:
        created = self.ids.date("2015-02-06" if aws else "2022-01-01", 700)
        versions = [
            {
                "Document": document,
                "VersionId": "v1",
                "IsDefaultVersion": True,
                "CreateDate": created,
            }
        ]
        if self.rng.random() < 0.3:
            # An older, narrower version kept next to the default one.
            older = copy.deepcopy(document)
            older["Statement"] = older["Statement"][:1]
            updated = self.ids.date(created[:10], 300)
            versions = [
                {
                    "Document": document,
                    "VersionId": "v2",
                    "IsDefaultVersion": True,
                    "CreateDate": updated,
                },
                {
                    "Document": older,
                    "VersionId": "v1",
                    "IsDefaultVersion": False,
                    "CreateDate": created,
                },
            ]
        return {
            "PolicyName": name,
            "PolicyId": self.ids.iam_id("ANPA"),
            "Arn": arn,
            "Path": path,
            "DefaultVersionId": versions[0]["VersionId"],
            "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "CreateDate": created,
            "UpdateDate": versions[0]["CreateDate"],
            "PolicyVersionList": versions,
        }

    def _attach(self, names: list[str]) -> list[Json]:
        by_name = {p["PolicyName"]: p for p in self.pool}
        extra = {
            "app-runtime": f"arn:aws:iam::{self.account}:policy/app-runtime",
            "engineer-self-service": f"arn:aws:iam::{self.account}:policy/engineer-self-service",
        }
        return [{"PolicyName": n, "PolicyArn": extra.get(n) or by_name[n]["Arn"]} for n in names]

    def _pick(self, preferred: tuple[str, ...], k: int) -> list[str]:
        """``preferred`` plus random pool policies, k in all (IAM allows ten per entity)."""
        names = list(dict.fromkeys(preferred))
        others = [p["PolicyName"] for p in self.pool if p["PolicyName"] not in names]
        names += self.rng.sample(others, max(0, min(k, 10) - len(names)))
        return names

    # ---------------------------------------------------------- principals

    def principals(self) -> None:
        if not self.teams:
            return
        for i in range(self.n_principals):
            team = self.teams[min(i // PER_TEAM, len(self.teams) - 1)]
            if self.rng.random() < 0.4:
                team.users.append(self.user(team))
            else:
                team.roles.append(self.role(team))

    def user(self, team: _Team) -> Json:
        name = self.ids.unique(f"{self.rng.choice(FIRST)}.{self.rng.choice(LAST)}")
        inline = []
        if self.rng.random() < 0.25:
            document = _document(
                _statement(
                    "ReadServiceHealth",
                    [
                        "ecs:DescribeServices",
                        "ecs:ListServices",
                        "cloudwatch:GetMetricData",
                        "cloudwatch:DescribeAlarms",
                    ],
                    "*",
                )
            )
            encoded = self.rng.random() < 0.3
            inline.append(
                {
                    "PolicyName": "oncall-read",
                    "PolicyDocument": _url_encoded(document) if encoded else document,
                }
            )
        groups = ["engineers", f"team-{team.name}"]
        if self.rng.random() < 0.15:
            groups.append("oncall")
        attached = (
            self._attach(self._pick((), self.rng.randint(1, 2))) if self.rng.random() < 0.35 else []
        )
        tags = [{"Key": "team", "Value": team.name}]
        if self.rng.random() < 0.5:
            tags.append({"Key": "cost-center", "Value": f"cc-{self.rng.randrange(1000, 9999)}"})
        return {
            "Path": "/",
            "UserName": name,
            "UserId": self.ids.iam_id("AIDA"),
            "Arn": f"arn:aws:iam::{self.account}:user/{name}",
            "CreateDate": self.ids.date(),
            "UserPolicyList": inline,
            "GroupList": sorted(groups),
            "AttachedManagedPolicies": attached,
            "PermissionsBoundary": {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": self.boundary_arn,
            },
            "Tags": tags,
        }

    def role(self, team: _Team) -> Json:
        draw = self.rng.random()
        kind = "ecs" if draw < 0.4 else "lambda" if draw < 0.7 else "ec2" if draw < 0.9 else "xacct"
        service = self.rng.choice(SERVICES)
        suffix = {"ecs": "task", "lambda": "lambda", "ec2": "instance", "xacct": "integration"}
        name = self.ids.unique(f"{team.name}-{service}-{suffix[kind]}")
        path = "/service-role/" if kind == "lambda" and self.rng.random() < 0.5 else "/"
        arn = f"arn:aws:iam::{self.account}:role{path}{name}"
        trust: Json | str
        if kind == "xacct":
            vendor = self.rng.choice(VENDOR_ACCOUNTS)
            trust = _document(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{vendor}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": self.ids.hex(32)}},
                }
            )
            preferred: tuple[str, ...] = ("ec2-describe", "CloudWatchLogsReadOnlyAccess")
        else:
            principal = {
                "ecs": "ecs-tasks.amazonaws.com",
                "lambda": "lambda.amazonaws.com",
                "ec2": "ec2.amazonaws.com",
            }[kind]
            statement: Json = {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sts:AssumeRole",
            }
            if kind == "ecs":
                statement["Condition"] = {"StringEquals": {"aws:SourceAccount": self.account}}
            trust = _document(statement)
            preferred = {
                "ecs": ("app-runtime", "AmazonECSTaskExecutionRolePolicy"),
                "lambda": ("AWSLambdaBasicExecutionRole",),
                "ec2": ("AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"),
            }[kind]
            team.key_users.append(arn)
        if self.rng.random() < 0.05:
            trust = _url_encoded(trust)
        attached = self._attach(self._pick(preferred, self.rng.randint(len(preferred), 4)))
        inline = []
        if kind != "xacct" and self.rng.random() < 0.5:
            inline.append(
                {
                    "PolicyName": f"{service}-queues",
                    "PolicyDocument": _document(
                        _statement(
                            "OwnQueues",
                            ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                            f"arn:aws:sqs:{REGION}:{self.account}:{team.name}-{service}-*",
                        )
                    ),
                }
            )
        profiles = []
        if kind == "ec2":
            profile = name
            profiles.append(
                {
                    "Path": "/",
                    "InstanceProfileName": profile,
                    "InstanceProfileId": self.ids.iam_id("AIPA"),
                    "Arn": f"arn:aws:iam::{self.account}:instance-profile/{profile}",
                    "CreateDate": self.ids.date(),
                    "Roles": [
                        {
                            "Path": path,
                            "RoleName": name,
                            "RoleId": "",
                            "Arn": arn,
                            "CreateDate": "",
                            "AssumeRolePolicyDocument": (
                                trust if isinstance(trust, str) else _url_encoded(trust)
                            ),
                        }
                    ],
                }
            )
        role: Json = {
            "Path": path,
            "RoleName": name,
            "RoleId": self.ids.iam_id("AROA"),
            "Arn": arn,
            "CreateDate": self.ids.date(),
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": profiles,
            "RolePolicyList": inline,
            "AttachedManagedPolicies": attached,
            "PermissionsBoundary": {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": self.boundary_arn,
            },
            "Tags": [{"Key": "team", "Value": team.name}],
            "RoleLastUsed": {"LastUsedDate": self.ids.date("2025-01-01", 30), "Region": REGION},
        }
        if profiles:
            profiles[0]["Roles"][0]["RoleId"] = role["RoleId"]
            profiles[0]["Roles"][0]["CreateDate"] = role["CreateDate"]
        return role

    def groups(self) -> list[Json]:
        out = []
        oncall = {
            "Path": "/",
            "GroupName": "oncall",
            "GroupId": self.ids.iam_id("AGPA"),
            "Arn": f"arn:aws:iam::{self.account}:group/oncall",
            "CreateDate": self.ids.date("2022-01-01", 30),
            "GroupPolicyList": [
                {
                    "PolicyName": "oncall-triage",
                    "PolicyDocument": _document(
                        _statement(
                            "Triage",
                            [
                                "cloudwatch:DescribeAlarms",
                                "cloudwatch:GetMetricData",
                                "logs:StartQuery",
                                "logs:GetQueryResults",
                                "ecs:DescribeServices",
                                "ecs:DescribeTasks",
                            ],
                            "*",
                        )
                    ),
                }
            ],
            "AttachedManagedPolicies": self._attach(["CloudWatchLogsReadOnlyAccess"]),
        }
        out.append(oncall)
        for team in self.teams:
            logs = _document(
                _statement(
                    "ReadTeamLogs",
                    ["logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"],
                    f"arn:aws:logs:*:{self.account}:log-group:/ecs/{team.name}*",
                )
            )
            out.append(
                {
                    "Path": "/teams/",
                    "GroupName": f"team-{team.name}",
                    "GroupId": self.ids.iam_id("AGPA"),
                    "Arn": f"arn:aws:iam::{self.account}:group/teams/team-{team.name}",
                    "CreateDate": self.ids.date("2022-01-01", 300),
                    "GroupPolicyList": [
                        {"PolicyName": f"{team.name}-logs", "PolicyDocument": logs}
                    ],
                    "AttachedManagedPolicies": self._attach(self._pick((), self.rng.randint(1, 2))),
                }
            )
        return out

    # ---------------------------------------------------------- keys

    def keys(self) -> None:
        owners = [t for t in self.teams if t.key_users] or [None]
        for i in range(self.n_keys):
            team = owners[i % len(owners)]
            key_id = self.ids.key_id()
            arn = f"arn:aws:kms:{REGION}:{self.account}:key/{key_id}"
            in_store = self.rng.random() < 0.85
            label = team.name if team else "shared"
            purpose = self.rng.choice(
                ("records", "tokens", "exports", "backups", "documents", "sessions", "events")
            )
            enabled = self.rng.random() >= 0.04
            meta: Json = {
                "AWSAccountId": self.account,
                "KeyId": key_id,
                "Arn": arn,
                "CreationDate": self.ids.date("2024-05-20", 250, millis=True),
                "Enabled": enabled,
                "Description": f"{label} {purpose}"
                + (f" (custom key store {STORE_NAME})" if in_store else ""),
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeyState": "Enabled" if enabled else "Disabled",
                "Origin": "AWS_CLOUDHSM" if in_store else "AWS_KMS",
            }
            if in_store:
                meta["CustomKeyStoreId"] = STORE_ID
                meta["CloudHsmClusterId"] = CLUSTER_ID
            meta.update(
                {
                    "KeyManager": "CUSTOMER",
                    "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
                    "KeySpec": "SYMMETRIC_DEFAULT",
                    "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
                    "MultiRegion": False,
                }
            )
            user = self.rng.choice(team.key_users) if team else None
            if i % 2 == 0 or user is None:
                policy = self.default_key_policy()
            else:
                policy = self.separated_key_policy(user, label)
            if team:
                team.keys.append(arn)
            self.key_records.append((key_id, {"KeyMetadata": meta}, policy, {"Grants": []}))
        # A few grants: another team's workload role may decrypt (and sometimes encrypt)
        # under the owner's encryption context.
        every = 12
        for index in range(5, len(self.key_records), every):
            key_id, meta, _, grants = self.key_records[index]
            others = [t for t in self.teams if t.key_users]
            if not others:
                break
            for _ in range(self.rng.randint(1, 2)):
                grantee = self.rng.choice(self.rng.choice(others).key_users)
                operations = ["Decrypt"] if self.rng.random() < 0.5 else ["Decrypt", "Encrypt"]
                context = meta["KeyMetadata"]["Description"].split()[0]
                grants["Grants"].append(
                    {
                        "KeyId": meta["KeyMetadata"]["Arn"],
                        "GrantId": self.ids.hex(64),
                        "Name": f"{grantee.rsplit('/', 1)[1]}-{context}",
                        "CreationDate": self.ids.date("2024-06-01", 200),
                        "GranteePrincipal": grantee,
                        "RetiringPrincipal": self.key_manager_arn,
                        "IssuingAccount": f"arn:aws:iam::{self.account}:root",
                        "Operations": operations,
                        "Constraints": {"EncryptionContextSubset": {"app": context}},
                    }
                )

    def default_key_policy(self) -> Json:
        return {
            "Policy": _kms_text(
                {
                    "Version": "2012-10-17",
                    "Id": "key-default-1",
                    "Statement": [
                        {
                            "Sid": "Enable IAM User Permissions",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            ),
            "PolicyName": "default",
        }

    def separated_key_policy(self, user: str, context: str) -> Json:
        admin_actions = [
            "kms:DescribeKey",
            "kms:EnableKey",
            "kms:DisableKey",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:GetKeyRotationStatus",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:ListKeyPolicies",
            "kms:ListResourceTags",
            "kms:ListGrants",
            "kms:RevokeGrant",
            "kms:UpdateKeyDescription",
            "kms:CreateAlias",
            "kms:UpdateAlias",
            "kms:DeleteAlias",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
            "kms:CancelKeyDeletion",
        ]
        return {
            "Policy": _kms_text(
                {
                    "Version": "2012-10-17",
                    "Id": "key-consolepolicy-3",
                    "Statement": [
                        {
                            "Sid": "Enable IAM User Permissions",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "Allow access for Key Administrators",
                            "Effect": "Allow",
                            "Principal": {"AWS": self.key_manager_arn},
                            "Action": admin_actions,
                            "Resource": "*",
                        },
                        {
                            "Sid": "Allow use of the key",
                            "Effect": "Allow",
                            "Principal": {"AWS": user},
                            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                            "Condition": {"StringEquals": {"kms:EncryptionContext:app": context}},
                        },
                        {
                            "Sid": "Allow describing the key",
                            "Effect": "Allow",
                            "Principal": {"AWS": user},
                            "Action": "kms:DescribeKey",
                            "Resource": "*",
                        },
                    ],
                }
            ),
            "PolicyName": "default",
        }

    def key_user_policies(self) -> None:
        """Each workload role of a team with keys may use (some of) the team's keys."""
        for team in self.teams:
            if not team.keys:
                continue
            for role in team.roles:
                if role["Arn"] not in team.key_users or self.rng.random() < 0.3:
                    continue
                keys = sorted(self.rng.sample(team.keys, min(len(team.keys), 3)))
                role["RolePolicyList"].insert(
                    0,
                    {
                        "PolicyName": f"{team.name}-kms",
                        "PolicyDocument": _document(
                            _statement(
                                "UseTeamKeys",
                                ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
                                keys if len(keys) > 1 else keys[0],
                                Condition={
                                    "StringEquals": {"kms:EncryptionContext:app": team.name}
                                },
                            )
                        ),
                    },
                )

    # ---------------------------------------------------------- assembling

    def iam_details(self) -> Json:
        details = self.iam
        for team in self.teams:
            details["UserDetailList"].extend(team.users)
            details["RoleDetailList"].extend(team.roles)
        details["GroupDetailList"].extend(self.groups())
        details["Policies"].extend(self.pool)
        # AttachmentCount and PermissionsBoundaryUsageCount, as IAM counts them.
        attached: dict[str, int] = defaultdict(int)
        boundary: dict[str, int] = defaultdict(int)
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
            for entry in details[key]:
                for item in entry.get("AttachedManagedPolicies", []):
                    attached[item["PolicyArn"]] += 1
                if "PermissionsBoundary" in entry:
                    boundary[entry["PermissionsBoundary"]["PermissionsBoundaryArn"]] += 1
        for policy in details["Policies"]:
            policy["AttachmentCount"] = attached[policy["Arn"]]
            policy["PermissionsBoundaryUsageCount"] = boundary[policy["Arn"]]
        for key, field_name in (
            ("UserDetailList", "UserName"),
            ("GroupDetailList", "GroupName"),
            ("RoleDetailList", "RoleName"),
        ):
            details[key].sort(key=lambda e, f=field_name: e[f].casefold())
        return details

    def write(self, out: Path) -> None:
        self.principals()
        self.keys()
        self.key_user_policies()

        def copy(source: str | Path, target: str | Path) -> None:
            Path(target).write_bytes(_as_account(Path(source), self.account))

        copy(EXAMPLE / "account.json", out / "account.json")
        for part in ("organizations", "cloudhsm"):
            shutil.copytree(EXAMPLE / part, out / part, copy_function=copy)
        (out / "kms").mkdir()
        copy(EXAMPLE / "kms" / "custom-key-stores.json", out / "kms" / "custom-key-stores.json")
        shutil.copytree(EXAMPLE / "kms" / "keys", out / "kms" / "keys", copy_function=copy)
        _write(out / "iam" / "account-authorization-details.json", self.iam_details())
        for key_id, describe, policy, grants in self.key_records:
            folder = out / "kms" / "keys" / key_id
            _write(folder / "describe-key.json", describe)
            _write(folder / "key-policy.json", policy)
            _write(folder / "grants.json", grants)


def generate(
    out_dir: Path, *, principals: int, keys: int, seed: int = 7, account_id: str = ACCOUNT
) -> None:
    """Write a synthetic account bundle of ``principals`` IAM users and roles and
    ``keys`` KMS keys (fixed cast included) into ``out_dir``, which must not exist or
    be empty. ``account_id`` replaces the example's account id everywhere."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    generator = _Generator(principals, keys, seed, account_id)
    out.mkdir(parents=True, exist_ok=True)
    generator.write(out)


def summary(out_dir: Path) -> dict[str, int]:
    """Counts of what a bundle holds (for reports)."""
    iam = json.loads((Path(out_dir) / "iam" / "account-authorization-details.json").read_text())
    keys = list(_key_folders(Path(out_dir)))
    return {
        "users": len(iam.get("UserDetailList", [])),
        "roles": len(iam.get("RoleDetailList", [])),
        "groups": len(iam.get("GroupDetailList", [])),
        "managed_policies": len(iam.get("Policies", [])),
        "keys": len(keys),
        "store_keys": sum(
            1
            for k in keys
            if "CustomKeyStoreId"
            in json.loads((k / "describe-key.json").read_text())["KeyMetadata"]
        ),
        "grants": sum(len(json.loads((k / "grants.json").read_text())["Grants"]) for k in keys),
    }


def _key_folders(root: Path) -> Iterator[Path]:
    base = root / "kms" / "keys"
    return (p for p in sorted(base.iterdir()) if p.is_dir()) if base.is_dir() else iter(())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="bundle directory to write (must be empty)")
    parser.add_argument("--principals", type=int, default=1000, help="IAM users and roles")
    parser.add_argument("--keys", type=int, default=200, help="KMS keys")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    try:
        _Generator(args.principals, args.keys, args.seed)  # check the sizes before --force
        if args.force and args.out.exists():
            shutil.rmtree(args.out)
        generate(args.out, principals=args.principals, keys=args.keys, seed=args.seed)
    except (ValueError, FileExistsError) as exc:
        print(f"synthetic_account: {exc}", file=sys.stderr)
        return 2
    counts = summary(args.out)
    print(f"{args.out}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
