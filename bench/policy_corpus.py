"""A deterministic corpus of realistic IAM policies, and labelled mutants of each.

    python bench/policy_corpus.py [--count 360] [--seed 20240611] [--validate]

``corpus()`` returns ``Item(name, policy_type, document)`` triples written the way
teams write them: least-privilege KMS key users and key admins, custom key store
managers, S3 readers with home folders, EC2/Lambda/DynamoDB/SQS/Secrets Manager
users, NotAction admins, deny guardrails; S3/SQS/SNS/Secrets Manager resource
policies; service, cross-account, web-identity and SAML trust policies; KMS key
policies. Conditions cover every operator family (String, Arn, Ip, Date, Numeric,
Bool, Null, ...IfExists, ForAnyValue/ForAllValues on multivalued keys).

``mutants(doc, rng)`` returns ``Mutant(kind, document, note)`` edits of one document:
flipped effects, widened wildcards (action, resource path, region, account), dropped
conditions (a whole block or one key), added principals (an account root or ``*``),
and a reordering that changes nothing (a control). Every generator draws from the
``random.Random`` it is given, so the same seed gives the same corpus.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

from cksmodel.policy.ir import PolicyType

Doc = dict[str, Any]
Stmt = dict[str, Any]

VERSION = "2012-10-17"
ACCOUNTS = ["111122223333", "444455556666", "777788889999", "210987654321", "123456789012"]
PARTNERS = ["999988887777", "135792468024", "246813579135"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
ORG_ID = "o-a1b2c3d4e5"
ORG_PATHS = [
    f"{ORG_ID}/r-ab12/ou-ab12-11111111/",
    f"{ORG_ID}/r-ab12/ou-ab12-22222222/ou-ab12-33333333/",
]
TEAMS = ["payments", "ledger", "search", "identity", "analytics", "platform", "mobile", "risk"]
ENVS = ["prod", "staging", "dev"]
CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.0.2.0/24", "203.0.113.0/24", "2001:db8::/32"]
VPCES = ["vpce-1a2b3c4d", "vpce-0f9e8d7c6b5a49382", "vpce-11aa22bb"]
VPCS = ["vpc-111bbb22", "vpc-0a1b2c3d4e5f60718"]
CLUSTERS = ["cluster-1a23b4cdefg", "cluster-7x8y9z0abcd"]
STORES = ["cks-1234567890abcdef0", "cks-0fedcba987654321a"]

KMS_CRYPTO = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]
KMS_ADMIN = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
KMS_GRANTS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
CKS_MANAGER = [
    "cloudhsm:DescribeClusters",
    "kms:CreateCustomKeyStore",
    "kms:ConnectCustomKeyStore",
    "kms:DisconnectCustomKeyStore",
    "kms:UpdateCustomKeyStore",
    "kms:DeleteCustomKeyStore",
    "kms:DescribeCustomKeyStores",
    "iam:CreateServiceLinkedRole",
]
"""The eight permissions of a custom key store manager (AWS KMS developer guide)."""

SERVICES_VIA = ["s3", "ebs", "rds", "secretsmanager", "dynamodb", "sqs", "lambda"]


class Item(NamedTuple):
    name: str
    policy_type: PolicyType
    document: Doc


class Mutant(NamedTuple):
    kind: str
    document: Doc
    note: str


# ---------------------------------------------------------------------------- helpers


def _doc(statements: list[Stmt], rng: random.Random, *, policy_id: str | None = None) -> Doc:
    doc: Doc = {"Version": VERSION}
    if policy_id is not None:
        doc["Id"] = policy_id
    doc["Statement"] = statements
    return doc


def _one_or_list(values: list[str], rng: random.Random) -> str | list[str]:
    """Real policies write a single value both ways."""
    if len(values) == 1 and rng.random() < 0.6:
        return values[0]
    return values


def _key_id(rng: random.Random) -> str:
    h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _key_arn(rng: random.Random, account: str, region: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{_key_id(rng)}"


def _role(account: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def _pick(rng: random.Random, xs: list[str], lo: int, hi: int) -> list[str]:
    return rng.sample(xs, rng.randint(lo, min(hi, len(xs))))


def _date(rng: random.Random, year: int) -> str:
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z"


class Ctx:
    """The account, region and team one policy is written for."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.account = rng.choice(ACCOUNTS)
        self.region = rng.choice(REGIONS)
        self.team = rng.choice(TEAMS)
        self.env = rng.choice(ENVS)
        self.partner = rng.choice(PARTNERS)


# ------------------------------------------------------------------- identity statements


def kms_key_user(c: Ctx) -> list[Stmt]:
    rng = c.rng
    keys = [_key_arn(rng, c.account, c.region) for _ in range(rng.randint(1, 3))]
    actions = _pick(
        rng, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"], 1, 4
    )
    stmt: Stmt = {
        "Sid": "UseAppKeys",
        "Effect": "Allow",
        "Action": _one_or_list(actions, rng),
        "Resource": _one_or_list(keys, rng),
    }
    cond: dict[str, Any] = {}
    r = rng.random()
    if r < 0.3:
        cond["StringEquals"] = {"kms:EncryptionContext:team": c.team}
    elif r < 0.5:
        cond["ForAllValues:StringEquals"] = {"kms:EncryptionContextKeys": ["team", "env"]}
        cond["Null"] = {"kms:EncryptionContextKeys": "false"}
    elif r < 0.7:
        cond["StringEquals"] = {
            "kms:ViaService": [
                f"{s}.{c.region}.amazonaws.com" for s in _pick(rng, SERVICES_VIA, 1, 2)
            ]
        }
    if rng.random() < 0.3:
        cond["StringEquals" if "StringEquals" not in cond else "StringEqualsIgnoreCase"] = {
            "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"
        }
    if cond:
        stmt["Condition"] = cond
    out = [stmt]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "ListKeys",
                "Effect": "Allow",
                "Action": ["kms:ListKeys", "kms:ListAliases"],
                "Resource": "*",
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "GrantsForAwsServices",
                "Effect": "Allow",
                "Action": KMS_GRANTS,
                "Resource": keys[0],
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        )
    return out


def kms_key_admin(c: Ctx) -> list[Stmt]:
    rng = c.rng
    resource = rng.choice(
        [f"arn:aws:kms:{c.region}:{c.account}:key/*", f"arn:aws:kms:*:{c.account}:key/*", "*"]
    )
    out: list[Stmt] = [
        {"Sid": "KeyAdministration", "Effect": "Allow", "Action": KMS_ADMIN, "Resource": resource},
        {
            "Sid": "AliasAdministration",
            "Effect": "Allow",
            "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": [resource, f"arn:aws:kms:{c.region}:{c.account}:alias/{c.team}-*"],
        },
    ]
    if rng.random() < 0.6:
        out.append(
            {
                "Sid": "AdminsDoNotUseKeys",
                "Effect": "Deny",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        )
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "RequireMfaForDeletion",
                "Effect": "Deny",
                "Action": ["kms:ScheduleKeyDeletion", "kms:DeleteImportedKeyMaterial"],
                "Resource": "*",
                "Condition": {
                    rng.choice(["BoolIfExists", "Bool"]): {"aws:MultiFactorAuthPresent": "false"}
                },
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "WaitingPeriod",
                "Effect": "Deny",
                "Action": "kms:ScheduleKeyDeletion",
                "Resource": "*",
                "Condition": {
                    "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "21"}
                },
            }
        )
    return out


def cks_manager(c: Ctx) -> list[Stmt]:
    rng = c.rng
    actions = list(CKS_MANAGER)
    if rng.random() < 0.3:
        rng.shuffle(actions)
    stmt: Stmt = {
        "Sid": "ManageCustomKeyStores",
        "Effect": "Allow",
        "Action": actions,
        "Resource": "*",
    }
    cond: dict[str, Any] = {}
    r = rng.random()
    if r < 0.3:
        cond["StringEquals"] = {"aws:RequestedRegion": _one_or_list(_pick(rng, REGIONS, 1, 2), rng)}
    elif r < 0.5:
        cond["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        cond["NumericLessThan"] = {"aws:MultiFactorAuthAge": str(rng.choice([900, 3600, 7200]))}
    elif r < 0.65:
        cond["DateLessThan"] = {"aws:CurrentTime": _date(rng, 2026)}
        cond["DateGreaterThan"] = {"aws:CurrentTime": _date(rng, 2024)}
    elif r < 0.8:
        cond["IpAddress"] = {"aws:SourceIp": _pick(rng, CIDRS, 1, 3)}
    if cond:
        stmt["Condition"] = cond
    out = [stmt]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "OnlyTheKmsServiceLinkedRole",
                "Effect": "Deny",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:AWSServiceName": "cks.kms.amazonaws.com"}},
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "NoDeleteInProd",
                "Effect": "Deny",
                "Action": ["kms:DeleteCustomKeyStore", "kms:DisconnectCustomKeyStore"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/env": "prod"}},
            }
        )
    return out


def s3_reader(c: Ctx) -> list[Stmt]:
    rng = c.rng
    bucket = f"{c.team}-{c.env}-{rng.randrange(1000):03d}"
    home = rng.random() < 0.5
    if home:
        prefixes = ["", "home/", "home/${aws:username}/*"]
        objects = [f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*"]
    else:
        teams = _pick(rng, TEAMS, 1, 2)
        prefixes = [f"team-{t}/*" for t in teams]
        objects = [f"arn:aws:s3:::{bucket}/team-{t}/*" for t in teams]
    out: list[Stmt] = [
        {
            "Sid": "ListBucketPrefixes",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": prefixes}},
        },
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": _one_or_list(
                _pick(rng, ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"], 1, 2),
                rng,
            ),
            "Resource": _one_or_list(objects, rng),
        },
    ]
    if home and rng.random() < 0.6:
        out.append(
            {
                "Sid": "WriteHome",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": objects[0],
                "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "ListAllMyBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
                "Resource": "*",
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "OnlyFromCorpNetwork",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {
                    "NotIpAddress": {"aws:SourceIp": _pick(rng, CIDRS, 1, 2)},
                    "Bool": {"aws:ViaAWSService": "false"},
                },
            }
        )
    return out


def ec2_user(c: Ctx) -> list[Stmt]:
    rng = c.rng
    out: list[Stmt] = [
        {"Sid": "Describe", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
        {
            "Sid": "StartStopOwnInstances",
            "Effect": "Allow",
            "Action": ["ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"],
            "Resource": f"arn:aws:ec2:{c.region}:{c.account}:instance/*",
            "Condition": {
                "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}
                if rng.random() < 0.6
                else {"ec2:ResourceTag/team": c.team}
            },
        },
    ]
    if rng.random() < 0.6:
        out.append(
            {
                "Sid": "RunTaggedInstances",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateTags"],
                "Resource": [
                    f"arn:aws:ec2:{c.region}:{c.account}:instance/*",
                    f"arn:aws:ec2:{c.region}:{c.account}:volume/*",
                    f"arn:aws:ec2:{c.region}::image/ami-*",
                    f"arn:aws:ec2:{c.region}:{c.account}:subnet/*",
                    f"arn:aws:ec2:{c.region}:{c.account}:network-interface/*",
                    f"arn:aws:ec2:{c.region}:{c.account}:security-group/*",
                ],
                "Condition": {
                    "StringEquals": {"aws:RequestedRegion": c.region},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env", "CostCenter"]},
                },
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "RequireCostCenter",
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": f"arn:aws:ec2:*:{c.account}:instance/*",
                "Condition": {"Null": {"aws:RequestTag/CostCenter": "true"}},
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "NoBigInstances",
                "Effect": "Deny",
                "Action": "ec2:RunInstances",
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": {
                    "ForAnyValue:StringNotLike": {
                        "ec2:InstanceType": ["t3.*", "t4g.*", "m6i.large"]
                    }
                },
            }
        )
    return out


def lambda_user(c: Ctx) -> list[Stmt]:
    rng = c.rng
    prefix = f"{c.team}-{c.env}"
    out: list[Stmt] = [
        {
            "Sid": "InvokeTeamFunctions",
            "Effect": "Allow",
            "Action": [
                "lambda:InvokeFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
            ],
            "Resource": [
                f"arn:aws:lambda:{c.region}:{c.account}:function:{prefix}-*",
                f"arn:aws:lambda:{c.region}:{c.account}:function:{prefix}-*:*",
            ],
        },
        {"Sid": "List", "Effect": "Allow", "Action": "lambda:List*", "Resource": "*"},
    ]
    if rng.random() < 0.6:
        out.append(
            {
                "Sid": "PassExecutionRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": _role(c.account, f"{prefix}-lambda-*", "/service-role/"),
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "UpdateCodeFromCi",
                "Effect": "Allow",
                "Action": ["lambda:UpdateFunctionCode", "lambda:PublishVersion"],
                "Resource": f"arn:aws:lambda:{c.region}:{c.account}:function:{prefix}-*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": _role(c.account, "ci-*")}},
            }
        )
    return out


def dynamodb_user(c: Ctx) -> list[Stmt]:
    rng = c.rng
    tables = [f"{c.team}-{t}" for t in _pick(rng, ["orders", "users", "events", "sessions"], 1, 3)]
    arns = [f"arn:aws:dynamodb:{c.region}:{c.account}:table/{t}" for t in tables]
    out: list[Stmt] = [
        {
            "Sid": "ReadWriteTables",
            "Effect": "Allow",
            "Action": _pick(
                rng,
                [
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:BatchGetItem",
                ],
                2,
                5,
            ),
            "Resource": arns + [f"{a}/index/*" for a in arns],
        }
    ]
    if rng.random() < 0.4:
        out[0]["Condition"] = {
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/tenant}"]}
        }
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "Streams",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:DescribeStream",
                ],
                "Resource": f"arn:aws:dynamodb:{c.region}:{c.account}:table/{tables[0]}/stream/*",
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Action": ["dynamodb:DeleteTable", "dynamodb:DeleteItem"],
                "Resource": f"arn:aws:dynamodb:*:{c.account}:table/*",
            }
        )
    return out


def sqs_user(c: Ctx) -> list[Stmt]:
    rng = c.rng
    queue = f"arn:aws:sqs:{c.region}:{c.account}:{c.team}-{c.env}-*"
    out: list[Stmt] = [
        {
            "Sid": "Consume",
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            "Resource": queue,
        }
    ]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "Produce",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {"StringEquals": {"aws:SourceVpc": rng.choice(VPCS)}},
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "DecryptQueueKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": _key_arn(rng, c.account, c.region),
                "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{c.region}.amazonaws.com"}},
            }
        )
    return out


def secrets_user(c: Ctx) -> list[Stmt]:
    rng = c.rng
    secret = f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{c.env}/{c.team}/*"
    out: list[Stmt] = [
        {
            "Sid": "ReadAppSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": secret,
        }
    ]
    r = rng.random()
    if r < 0.3:
        out[0]["Condition"] = {
            "StringEquals": {"secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}
        }
    elif r < 0.5:
        out[0]["Condition"] = {
            "ForAnyValue:StringEquals": {
                "secretsmanager:VersionStage": ["AWSCURRENT", "AWSPREVIOUS"]
            }
        }
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "Rotate",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                "Resource": secret,
                "Condition": {"StringLike": {"aws:userid": "*:rotation-*"}},
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "ListSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:ListSecrets",
                "Resource": "*",
            }
        )
    return out


def notaction_admin(c: Ctx) -> list[Stmt]:
    rng = c.rng
    out: list[Stmt] = [
        {
            "Sid": "PowerUser",
            "Effect": "Allow",
            "NotAction": _pick(
                rng, ["iam:*", "organizations:*", "account:*", "kms:*", "cloudhsm:*"], 2, 4
            ),
            "Resource": "*",
        },
        {
            "Sid": "IamReadOnly",
            "Effect": "Allow",
            "Action": [
                "iam:Get*",
                "iam:List*",
                "iam:CreateServiceLinkedRole",
                "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "DenyOutsideRegions",
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*", "cloudfront:*", "route53:*", "support:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": _pick(rng, REGIONS, 1, 3)}
                },
            }
        )
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "NotOnOtherTeamsResources",
                "Effect": "Deny",
                "Action": "*",
                "NotResource": [f"arn:aws:s3:::{c.team}-*", f"arn:aws:s3:::{c.team}-*/*"],
                "Condition": {
                    "StringLike": {"aws:ResourceTag/team": "*"},
                    "StringNotEquals": {"aws:ResourceTag/team": c.team},
                },
            }
        )
    return out


def guardrail(c: Ctx) -> list[Stmt]:
    """Deny guardrails attached next to a broad allow, the way permission sets are written."""
    rng = c.rng
    allow: Stmt = {
        "Sid": "Workload",
        "Effect": "Allow",
        "Action": _pick(
            rng, ["s3:*", "dynamodb:*", "sqs:*", "kms:*", "ec2:*", "lambda:*", "logs:*"], 2, 4
        ),
        "Resource": "*",
    }
    denies: list[Stmt] = [
        {
            "Sid": "DenyOffNetwork",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "NotIpAddress": {"aws:SourceIp": _pick(rng, CIDRS, 1, 3)},
                "Bool": {"aws:ViaAWSService": "false"},
                "StringNotEqualsIfExists": {"aws:SourceVpce": rng.choice(VPCES)},
            },
        },
        {
            "Sid": "DenyWithoutMfa",
            "Effect": "Deny",
            "NotAction": [
                "iam:ChangePassword",
                "iam:GetUser",
                "sts:GetSessionToken",
                "iam:ListMFADevices",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
        {
            "Sid": "DenyStaleMfa",
            "Effect": "Deny",
            "Action": ["kms:ScheduleKeyDeletion", "kms:DeleteCustomKeyStore", "s3:DeleteBucket"],
            "Resource": "*",
            "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}},
        },
        {
            "Sid": "DenyAfterExpiry",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": _date(rng, 2026)}},
        },
        {
            "Sid": "DenyUntaggedCreate",
            "Effect": "Deny",
            "Action": ["ec2:RunInstances", "dynamodb:CreateTable", "sqs:CreateQueue"],
            "Resource": "*",
            "Condition": {"Null": {"aws:RequestTag/CostCenter": "true"}},
        },
        {
            "Sid": "DenyForbiddenTagKeys",
            "Effect": "Deny",
            "Action": ["ec2:CreateTags", "s3:PutBucketTagging", "kms:TagResource"],
            "Resource": "*",
            "Condition": {
                "ForAnyValue:StringNotEquals": {
                    "aws:TagKeys": ["team", "env", "CostCenter", "owner"]
                }
            },
        },
        {
            "Sid": "DenyOutsideOrgPath",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "ForAllValues:StringNotLike": {
                    "aws:ResourceOrgPaths": [f"{ORG_ID}/r-ab12/ou-ab12-1*/*"]
                }
            },
        },
        {
            "Sid": "DenyOtherAccountsKeys",
            "Effect": "Deny",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:ResourceAccount": [c.account]}},
        },
    ]
    return [allow, *_pick(rng, denies, 1, 3)]


def tag_based(c: Ctx) -> list[Stmt]:
    rng = c.rng
    return [
        {
            "Sid": "AbacAccess",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:GetSecretValue",
                "kms:Decrypt",
                "s3:GetObject",
                "sqs:SendMessage",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "aws:ResourceTag/project": "${aws:PrincipalTag/project}",
                    "aws:PrincipalTag/env": rng.choice(ENVS),
                }
            },
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:RequestTag/project": "${aws:PrincipalTag/project}"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["project", "env"]},
            },
        },
    ]


IDENTITY_FAMILIES: dict[str, Callable[[Ctx], list[Stmt]]] = {
    "kms-key-user": kms_key_user,
    "kms-key-admin": kms_key_admin,
    "cks-manager": cks_manager,
    "s3-reader": s3_reader,
    "ec2-user": ec2_user,
    "lambda-user": lambda_user,
    "dynamodb-user": dynamodb_user,
    "sqs-user": sqs_user,
    "secrets-user": secrets_user,
    "notaction-admin": notaction_admin,
    "guardrail": guardrail,
    "tag-based": tag_based,
}


def identity_policy(family: str, c: Ctx) -> Doc:
    statements = IDENTITY_FAMILIES[family](c)
    if c.rng.random() < 0.25 and family not in ("guardrail", "notaction-admin"):
        # teams often bundle a second duty into the same managed policy
        other = c.rng.choice(
            sorted(set(IDENTITY_FAMILIES) - {family, "guardrail", "notaction-admin"})
        )
        statements += IDENTITY_FAMILIES[other](c)
    _unique_sids(statements)
    return _doc(statements, c.rng)


def _unique_sids(statements: list[Stmt]) -> None:
    seen: Counter[str] = Counter()
    for s in statements:
        if "Sid" in s:
            seen[s["Sid"]] += 1
            if seen[s["Sid"]] > 1:
                s["Sid"] = f"{s['Sid']}{seen[s['Sid']]}"


# ----------------------------------------------------------------------- resource policies


def s3_bucket_policy(c: Ctx) -> Doc:
    rng = c.rng
    bucket = f"{c.team}-{c.env}-{rng.randrange(1000):03d}"
    b, objs = f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"
    out: list[Stmt] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [b, objs],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    options: list[Stmt] = [
        {
            "Sid": "OrgRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [b, objs],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
        },
        {
            "Sid": "OuRead",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": f"{b}/shared/*",
            "Condition": {
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [p + "*" for p in ORG_PATHS]}
            },
        },
        {
            "Sid": "DenyOutsideVpce",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": objs,
            "Condition": {
                "StringNotEquals": {"aws:SourceVpce": _pick(rng, VPCES, 1, 2)},
                "ArnNotLike": {"aws:PrincipalArn": _role(c.account, "break-glass-*")},
            },
        },
        {
            "Sid": "CloudFrontRead",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": objs,
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": f"arn:aws:cloudfront::{c.account}:distribution/"
                    f"E{rng.randrange(10**12):012d}"
                }
            },
        },
        {
            "Sid": "PartnerDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{c.partner}:root"]},
            "Action": "s3:PutObject",
            "Resource": f"{b}/incoming/{c.partner}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {
            "Sid": "LogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{b}/access-logs/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"},
                "StringEquals": {"aws:SourceAccount": c.account},
            },
        },
        {
            "Sid": "RequireKmsEncryption",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objs,
            "Condition": {
                "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
            },
        },
        {
            "Sid": "DenyOldTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [b, objs],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
        {
            "Sid": "VpcRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{b}/public-in-vpc/*",
            "Condition": {"StringEquals": {"aws:SourceVpc": rng.choice(VPCS)}},
        },
    ]
    out += _pick(rng, options, 2, 4)
    return _doc(out, rng, policy_id=f"{bucket}-policy")


def sqs_queue_policy(c: Ctx) -> Doc:
    rng = c.rng
    queue = f"arn:aws:sqs:{c.region}:{c.account}:{c.team}-events"
    out: list[Stmt] = [
        {
            "Sid": "TopicToQueue",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue,
            "Condition": {
                "ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{c.region}:{c.account}:{c.team}-topic"}
            },
        }
    ]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "EventBridge",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {
                    "ArnLike": {
                        "aws:SourceArn": f"arn:aws:events:{c.region}:{c.account}:rule/{c.team}-*"
                    }
                },
            }
        )
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "ConsumerRole",
                "Effect": "Allow",
                "Principal": {"AWS": _role(c.account, f"{c.team}-consumer")},
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": queue,
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "DenyNonTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    return _doc(out, rng, policy_id=f"{c.team}-queue-policy")


def sns_topic_policy(c: Ctx) -> Doc:
    rng = c.rng
    topic = f"arn:aws:sns:{c.region}:{c.account}:{c.team}-alerts"
    out: list[Stmt] = [
        {
            "Sid": "OwnerManage",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:AddPermission",
                "SNS:RemovePermission",
                "SNS:DeleteTopic",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish",
            ],
            "Resource": topic,
            "Condition": {"StringEquals": {"AWS:SourceOwner": c.account}},
        },
        {
            "Sid": "CloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {
                "Service": rng.choice(
                    ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"]
                )
            },
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {"StringEquals": {"aws:SourceAccount": c.account}},
        },
    ]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "PartnerSubscribe",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{c.partner}:root"},
                "Action": "sns:Subscribe",
                "Resource": topic,
                "Condition": {"StringEquals": {"sns:Protocol": ["sqs", "lambda"]}},
            }
        )
    return _doc(out, rng, policy_id="__default_policy_ID")


def secret_policy(c: Ctx) -> Doc:
    rng = c.rng
    out: list[Stmt] = [
        {
            "Sid": "CrossAccountRead",
            "Effect": "Allow",
            "Principal": {"AWS": [_role(c.partner, f"{c.team}-reader")]},
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {
                "ForAnyValue:StringEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}
            },
        },
        {
            "Sid": "DenyOutsideVpce",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": rng.choice(VPCES)}},
        },
    ]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "DenyOtherOrgs",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:*",
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:PrincipalOrgID": ORG_ID},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            }
        )
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "RotationLambda",
                "Effect": "Allow",
                "Principal": {"AWS": _role(c.account, f"{c.team}-rotation", "/service-role/")},
                "Action": [
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                    "secretsmanager:DescribeSecret",
                ],
                "Resource": "*",
            }
        )
    return _doc(out, rng)


# --------------------------------------------------------------------------- trust policies


def service_trust(c: Ctx) -> Doc:
    rng = c.rng
    services = _pick(
        rng,
        [
            "lambda.amazonaws.com",
            "ec2.amazonaws.com",
            "ecs-tasks.amazonaws.com",
            "states.amazonaws.com",
        ],
        1,
        2,
    )
    stmt: Stmt = {
        "Effect": "Allow",
        "Principal": {"Service": _one_or_list(services, rng)},
        "Action": "sts:AssumeRole",
    }
    if rng.random() < 0.5:
        stmt["Condition"] = {
            "StringEquals": {"aws:SourceAccount": c.account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:*:{c.region}:{c.account}:*"},
        }
    return _doc([stmt], rng)


def cross_account_trust(c: Ctx) -> Doc:
    rng = c.rng
    principal = rng.choice(
        [f"arn:aws:iam::{c.partner}:root", _role(c.partner, "deployer"), c.partner]
    )
    cond: dict[str, Any] = {"StringEquals": {"sts:ExternalId": f"ext-{rng.randrange(10**8):08d}"}}
    if rng.random() < 0.4:
        cond["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    if rng.random() < 0.3:
        cond["IpAddress"] = {"aws:SourceIp": _pick(rng, CIDRS, 1, 2)}
    out: list[Stmt] = [
        {
            "Sid": "PartnerAssume",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "sts:AssumeRole",
            "Condition": cond,
        }
    ]
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "SessionTags",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:TagSession",
                "Condition": {"StringLike": {"aws:RequestTag/team": "*"}},
            }
        )
    return _doc(out, rng)


def oidc_trust(c: Ctx) -> Doc:
    rng = c.rng
    gh = rng.random() < 0.6
    if gh:
        host = "token.actions.githubusercontent.com"
        subs = [
            f"repo:acme/{c.team}-service:ref:refs/heads/main",
            f"repo:acme/{c.team}-*:environment:{c.env}",
        ]
        cond = {
            "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{host}:sub": _pick(rng, subs, 1, 2)},
        }
    else:
        host = f"oidc.eks.{c.region}.amazonaws.com/id/{_key_id(rng).replace('-', '').upper()}"
        cond = {
            "StringEquals": {
                f"{host}:sub": f"system:serviceaccount:{c.team}:{c.team}-sa",
                f"{host}:aud": "sts.amazonaws.com",
            }
        }
    return _doc(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{c.account}:oidc-provider/{host}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": cond,
            }
        ],
        rng,
    )


def saml_trust(c: Ctx) -> Doc:
    rng = c.rng
    stmt: Stmt = {
        "Effect": "Allow",
        "Principal": {
            "Federated": f"arn:aws:iam::{c.account}:saml-provider/"
            + rng.choice(["Okta", "AzureAD", "ADFS"])
        },
        "Action": _one_or_list(_pick(rng, ["sts:AssumeRoleWithSAML", "sts:TagSession"], 1, 2), rng),
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }
    if rng.random() < 0.4:
        stmt["Condition"]["ForAnyValue:StringLike"] = {
            "SAML:eduPersonAffiliation": ["staff", "faculty*"]
        }
    return _doc([stmt], rng)


# ----------------------------------------------------------------------------- key policies


def _root_statement(c: Ctx) -> Stmt:
    return {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{c.account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def default_key_policy(c: Ctx) -> Doc:
    return _doc([_root_statement(c)], c.rng, policy_id="key-default-1")


def separated_key_policy(c: Ctx) -> Doc:
    rng = c.rng
    admins = [_role(c.account, r) for r in _pick(rng, ["KeyAdmin", "SecurityTeam", "Admin"], 1, 2)]
    users = [_role(c.account, f"{c.team}-{r}") for r in _pick(rng, ["app", "batch", "api"], 1, 3)]
    out: list[Stmt] = [
        _root_statement(c),
        {
            "Sid": "Allow access for Key Administrators",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list(admins, rng)},
            "Action": KMS_ADMIN,
            "Resource": "*",
        },
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list(users, rng)},
            "Action": KMS_CRYPTO,
            "Resource": "*",
        },
        {
            "Sid": "Allow attachment of persistent resources",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list(users, rng)},
            "Action": KMS_GRANTS,
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
    if rng.random() < 0.4:
        out[2]["Condition"] = {
            "StringEquals": {"kms:EncryptionContext:team": c.team},
            "ForAllValues:StringEquals": {
                "kms:EncryptionContextKeys": ["team", "env", "request-id"]
            },
        }
    if rng.random() < 0.3:
        out.append(
            {
                "Sid": "DenyGrantsWithoutConstraints",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Null": {"kms:GrantConstraintType": "true"}},
            }
        )
    return _doc(out, rng, policy_id="key-consolepolicy-3")


def via_service_key_policy(c: Ctx) -> Doc:
    """The shape of an AWS managed key's policy: anyone in the account, through one service."""
    rng = c.rng
    service = rng.choice(SERVICES_VIA)
    out: list[Stmt] = [
        {
            "Sid": f"Allow access through {service} for all principals in the account",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [*KMS_CRYPTO, "kms:CreateGrant"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:CallerAccount": c.account,
                    "kms:ViaService": f"{service}.{c.region}.amazonaws.com",
                }
            },
        },
        {
            "Sid": "Allow direct access to key metadata to the account",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{c.account}:root"},
            "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
            "Resource": "*",
        },
    ]
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "PartnerDecryptViaS3",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{c.partner}:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringLike": {"kms:ViaService": "s3.*.amazonaws.com"},
                    "StringEquals": {"kms:CallerAccount": c.partner},
                },
            }
        )
    return _doc(out, rng, policy_id=f"auto-{service}-2")


def cks_key_policy(c: Ctx) -> Doc:
    """A key in a custom key store: usage limited by encryption context and source network."""
    rng = c.rng
    out: list[Stmt] = [
        _root_statement(c),
        {
            "Sid": "HsmBackedUse",
            "Effect": "Allow",
            "Principal": {"AWS": _role(c.account, f"{c.team}-hsm-app")},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {
                "ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["tenant*", "purpose"]},
                "StringEqualsIfExists": {"kms:EncryptionContext:purpose": ["backup", "tokenize"]},
                "IpAddress": {"aws:SourceIp": _pick(rng, CIDRS, 1, 2)},
            },
        },
        {
            "Sid": "DenyOutsideOrg",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:PrincipalOrgID": ORG_ID},
                "Bool": {"aws:PrincipalIsAWSService": "false"},
            },
        },
    ]
    if rng.random() < 0.5:
        out.append(
            {
                "Sid": "RestrictDeletionWindow",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:ScheduleKeyDeletion",
                "Resource": "*",
                "Condition": {
                    "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}
                },
            }
        )
    if rng.random() < 0.4:
        out.append(
            {
                "Sid": "KeyRotationWindow",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:Decrypt", "kms:Encrypt"],
                "Resource": "*",
                "Condition": {
                    "DateLessThan": {"aws:EpochTime": str(1_700_000_000 + rng.randrange(10**8))}
                },
            }
        )
    return _doc(out, rng, policy_id="cks-key-policy")


RESOURCE_FAMILIES: dict[str, tuple[PolicyType, Callable[[Ctx], Doc]]] = {
    "s3-bucket": (PolicyType.RESOURCE, s3_bucket_policy),
    "sqs-queue": (PolicyType.RESOURCE, sqs_queue_policy),
    "sns-topic": (PolicyType.RESOURCE, sns_topic_policy),
    "secret": (PolicyType.RESOURCE, secret_policy),
    "trust-service": (PolicyType.TRUST, service_trust),
    "trust-cross-account": (PolicyType.TRUST, cross_account_trust),
    "trust-oidc": (PolicyType.TRUST, oidc_trust),
    "trust-saml": (PolicyType.TRUST, saml_trust),
    "key-default": (PolicyType.KEY, default_key_policy),
    "key-separated": (PolicyType.KEY, separated_key_policy),
    "key-via-service": (PolicyType.KEY, via_service_key_policy),
    "key-cks": (PolicyType.KEY, cks_key_policy),
}

IDENTITY_WEIGHT = 0.55


def corpus(count: int = 360, seed: int = 20240611) -> list[Item]:
    """``count`` policies: a little over half identity policies, the rest resource-side."""
    rng = random.Random(seed)
    identity = sorted(IDENTITY_FAMILIES)
    resource = sorted(RESOURCE_FAMILIES)
    items: list[Item] = []
    for i in range(count):
        c = Ctx(rng)
        # round-robin over families so every family is present even in a small corpus
        if i % 20 < round(20 * IDENTITY_WEIGHT):
            family = identity[(i // 20 * 11 + i % 20) % len(identity)]
            items.append(Item(f"{i:03d}-{family}", PolicyType.IDENTITY, identity_policy(family, c)))
        else:
            family = resource[(i // 20 * 9 + i % 20) % len(resource)]
            ptype, make = RESOURCE_FAMILIES[family]
            items.append(Item(f"{i:03d}-{family}", ptype, make(c)))
    return items


# -------------------------------------------------------------------------------- mutants


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list) else [v]


def _statements(doc: Doc) -> list[Stmt]:
    st = doc["Statement"]
    return st if isinstance(st, list) else [st]


def _widen_action(a: str) -> str | None:
    service, _, name = a.partition(":")
    if not name or name == "*":
        return None
    return f"{service}:*"


_PATH = re.compile(r"^(arn:[^:]*:[^:]*:[^:]*:[^:]*:)(.*)$")


def widen_path(r: str) -> str | None:
    """``.../team-a/*`` to ``.../*`` (drop the last fixed segment); ``key/ID`` to ``key/*``."""
    m = _PATH.match(r)
    if not m:
        return None
    head, path = m.groups()
    for sep in ("/", ":"):
        if sep in path:
            first, _, rest = path.partition(sep)
            if rest in ("*", ""):
                continue
            parts = rest.split("/")
            if len(parts) > 1:
                return f"{head}{first}{sep}{'/'.join([*parts[:-2], '*'])}"
            return f"{head}{first}{sep}*"
    if path not in ("*", "") and "/" not in path:
        # S3 bucket or SQS queue name: a name prefix wildcard
        return f"{head}{path.split('-')[0]}*" if "-" in path else None
    return None


def _widen_region(r: str) -> str | None:
    parts = r.split(":", 5)
    if len(parts) < 6 or parts[3] in ("", "*"):
        return None
    parts[3] = "*"
    return ":".join(parts)


def _widen_account(r: str) -> str | None:
    parts = r.split(":", 5)
    if len(parts) < 6 or parts[4] in ("", "*"):
        return None
    parts[4] = "*"
    return ":".join(parts)


def _edit_values(
    doc: Doc,
    field: str,
    fn: Callable[[str], str | None],
    rng: random.Random,
    effect: str = "Allow",
) -> tuple[Doc, str] | None:
    """Apply ``fn`` to one value of ``field`` in one statement of the given effect."""
    sites = [
        (si, vi, v)
        for si, s in enumerate(_statements(doc))
        if s.get("Effect") == effect and field in s
        for vi, v in enumerate(_as_list(s[field]))
        if isinstance(v, str) and fn(v) not in (None, v)
    ]
    if not sites:
        return None
    si, vi, v = rng.choice(sites)
    new = copy.deepcopy(doc)
    stmt = _statements(new)[si]
    values = _as_list(stmt[field])
    w = fn(v)
    assert w is not None
    values[vi] = w
    stmt[field] = values if isinstance(stmt[field], list) else values[0]
    return new, f"statement {si} {field}: {v} -> {w}"


def _flip(doc: Doc, rng: random.Random, src: str, dst: str) -> tuple[Doc, str] | None:
    sites = [i for i, s in enumerate(_statements(doc)) if s.get("Effect") == src]
    if not sites:
        return None
    i = rng.choice(sites)
    new = copy.deepcopy(doc)
    _statements(new)[i]["Effect"] = dst
    return new, f"statement {i}: {src} -> {dst}"


def _drop_condition(
    doc: Doc, rng: random.Random, effect: str, whole: bool
) -> tuple[Doc, str] | None:
    sites = [
        (i, op, key)
        for i, s in enumerate(_statements(doc))
        if s.get("Effect") == effect and s.get("Condition")
        for op, block in s["Condition"].items()
        for key in block
    ]
    if not whole:
        # dropping the only key of a statement's only block is "drop the condition"
        sites = [
            (i, op, key)
            for i, op, key in sites
            if sum(len(b) for b in _statements(doc)[i]["Condition"].values()) > 1
        ]
    if not sites:
        return None
    i, op, key = rng.choice(sites)
    new = copy.deepcopy(doc)
    stmt = _statements(new)[i]
    if whole:
        del stmt["Condition"]
        return new, f"statement {i}: Condition removed"
    del stmt["Condition"][op][key]
    if not stmt["Condition"][op]:
        del stmt["Condition"][op]
    return new, f"statement {i}: {op} {key} removed"


def _add_principal(doc: Doc, rng: random.Random, principal: str) -> tuple[Doc, str] | None:
    sites = [
        i
        for i, s in enumerate(_statements(doc))
        if s.get("Effect") == "Allow"
        and "Principal" in s
        and s["Principal"] != "*"
        and _as_list(s["Principal"].get("AWS", [])) != ["*"]
    ]
    if not sites:
        return None
    i = rng.choice(sites)
    new = copy.deepcopy(doc)
    stmt = _statements(new)[i]
    if principal == "*":
        stmt["Principal"] = {**stmt["Principal"], "AWS": "*"}
        return new, f"statement {i}: Principal AWS *"
    aws = _as_list(stmt["Principal"].get("AWS", []))
    if principal in aws:
        return None
    stmt["Principal"] = {**stmt["Principal"], "AWS": [*aws, principal]}
    return new, f"statement {i}: Principal + {principal}"


def _reorder(doc: Doc, rng: random.Random) -> tuple[Doc, str] | None:
    statements = _statements(doc)
    if len(statements) < 2:
        return None
    new = copy.deepcopy(doc)
    order = list(range(len(statements)))
    while order == sorted(order):
        rng.shuffle(order)
    new["Statement"] = [copy.deepcopy(statements[i]) for i in order]
    return new, f"statements reordered {order}"


MUTATION_KINDS = (
    "flip-deny-to-allow",
    "flip-allow-to-deny",
    "widen-action",
    "widen-resource-path",
    "widen-region",
    "widen-account",
    "drop-condition-allow",
    "drop-condition-key-allow",
    "drop-condition-deny",
    "add-principal-account",
    "add-principal-star",
    "reorder-control",
)

EXPECTED: dict[str, str] = {
    "flip-deny-to-allow": "FAIL",
    "flip-allow-to-deny": "PASS!",
    "widen-action": "FAIL",
    "widen-resource-path": "FAIL",
    "widen-region": "FAIL",
    "widen-account": "FAIL",
    "drop-condition-allow": "FAIL",
    "drop-condition-key-allow": "FAIL",
    "drop-condition-deny": "PASS!",
    "add-principal-account": "FAIL",
    "add-principal-star": "FAIL",
    "reorder-control": "PASS!",
}
"""The verdict each kind usually gets; ``PASS!`` marks kinds where PASS is a theorem
(the new policy allows a subset of the old one), so a FAIL there is a bug somewhere."""


def mutants(doc: Doc, rng: random.Random) -> list[Mutant]:
    """Every applicable mutation of ``doc``, at most one per kind, each labelled."""
    stranger = rng.choice([*PARTNERS, "555555555555"])
    edits: dict[str, tuple[Doc, str] | None] = {
        "flip-deny-to-allow": _flip(doc, rng, "Deny", "Allow"),
        "flip-allow-to-deny": _flip(doc, rng, "Allow", "Deny"),
        "widen-action": _edit_values(doc, "Action", _widen_action, rng),
        "widen-resource-path": _edit_values(doc, "Resource", widen_path, rng),
        "widen-region": _edit_values(doc, "Resource", _widen_region, rng),
        "widen-account": _edit_values(doc, "Resource", _widen_account, rng),
        "drop-condition-allow": _drop_condition(doc, rng, "Allow", whole=True),
        "drop-condition-key-allow": _drop_condition(doc, rng, "Allow", whole=False),
        "drop-condition-deny": _drop_condition(doc, rng, "Deny", whole=rng.random() < 0.5),
        "add-principal-account": _add_principal(doc, rng, f"arn:aws:iam::{stranger}:root"),
        "add-principal-star": _add_principal(doc, rng, "*"),
        "reorder-control": _reorder(doc, rng),
    }
    return [Mutant(kind, e[0], e[1]) for kind, e in edits.items() if e is not None]


# ------------------------------------------------------------------------------- summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=360)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--validate", action="store_true", help="run cksmodel validate on each")
    parser.add_argument("--show", metavar="NAME", help="print one policy and its mutants")
    args = parser.parse_args()
    items = corpus(args.count, args.seed)
    rng = random.Random(args.seed + 1)
    kinds: Counter[str] = Counter()
    fams: Counter[str] = Counter()
    for item in items:
        fams[item.name.split("-", 1)[1]] += 1
        ms = mutants(item.document, rng)
        kinds.update(m.kind for m in ms)
        if args.show == item.name:
            print(json.dumps(item.document, indent=2))
            for m in ms:
                print(f"--- {m.kind}: {m.note}")
    print(f"{len(items)} policies: " + ", ".join(f"{k} {v}" for k, v in sorted(fams.items())))
    print(f"{sum(kinds.values())} mutants: " + ", ".join(f"{k} {kinds[k]}" for k in MUTATION_KINDS))
    if args.validate:
        from cksmodel.policy.validate import validate_text

        errors: Counter[str] = Counter()
        for item in items:
            for f in validate_text(
                json.dumps(item.document, indent=2).encode(),
                policy_type=item.policy_type,
                source=item.name,
            ):
                errors[f"{f.severity.value} {f.code}"] += 1
        for k, v in errors.most_common():
            print(f"  {v:5d}  {k}")


if __name__ == "__main__":
    main()
