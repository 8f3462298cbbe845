"""A fixed, seeded corpus of realistic simulation scenarios for the benchmarks."""

from __future__ import annotations

import random
from typing import Any

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"
KMS_ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    "kms:ReEncryptFrom",
]
STORE_ACTIONS = [
    "kms:CreateCustomKeyStore",
    "kms:ConnectCustomKeyStore",
    "kms:DeleteCustomKeyStore",
]


def _key(i: int, account: str = ACCOUNT) -> str:
    return f"arn:aws:kms:{REGION}:{account}:key/0000{i:04d}-12ab-34cd-56ef-1234567890ab"


def _principal(rng: random.Random) -> str:
    account = rng.choice([ACCOUNT, ACCOUNT, ACCOUNT, OTHER])
    return rng.choice(
        [
            f"arn:aws:iam::{account}:user/dev-{rng.randrange(50)}",
            f"arn:aws:sts::{account}:assumed-role/app-{rng.randrange(20)}/session-{rng.randrange(9)}",
            f"arn:aws:iam::{account}:root",
        ]
    )


def _identity_policy(rng: random.Random) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "UseKeys",
            "Effect": "Allow",
            "Action": rng.sample(KMS_ACTIONS, 3),
            "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
            "Condition": {
                "StringEquals": {"kms:EncryptionContext:app": rng.choice(["payments", "ledger"])},
                "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
            },
        },
        {"Sid": "Describe", "Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"},
    ]
    if rng.random() < 0.3:
        statements.append(
            {"Sid": "NoStoreAdmin", "Effect": "Deny", "Action": STORE_ACTIONS, "Resource": "*"}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _key_policy(rng: random.Random) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if rng.random() < 0.5:
        statements.append(
            {
                "Sid": "AllowPartnerUse",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root"]},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Id": "key-policy", "Statement": statements}


def scenarios(count: int = 200, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` scenarios mixing users, sessions and roots, same- and cross-account."""
    rng = random.Random(seed)
    out = []
    scp = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "DenyRegions",
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
                },
            },
        ],
    }
    for i in range(count):
        store_call = rng.random() < 0.15
        action = rng.choice(STORE_ACTIONS if store_call else KMS_ACTIONS)
        scenario: dict[str, Any] = {
            "request": {
                "principal": _principal(rng),
                "action": action,
                "resource": "*" if store_call else _key(i % 20),
                "context": {
                    "aws:SourceIp": rng.choice(["10.1.2.3", "203.0.113.9", "2001:db8::7"]),
                    "aws:RequestedRegion": REGION,
                    "kms:EncryptionContext:app": rng.choice(["payments", "ledger"]),
                },
            },
            "identity_policies": [_identity_policy(rng) for _ in range(rng.randint(1, 2))],
            "scps": [[scp]],
        }
        if not store_call:
            scenario["resource_policy"] = _key_policy(rng)
        if rng.random() < 0.3:
            scenario["permissions_boundary"] = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["kms:*", "s3:*"], "Resource": "*"}],
            }
        out.append(scenario)
    return out
