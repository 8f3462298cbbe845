"""A second synthetic account shape for the reachability graph: many administrators,
roles trusting the account root, long trust chains, boundaries and Deny policies.

    python bench/admin_account.py OUT --principals 1000 [--seed 11] [--force]

``principals`` counts IAM users and roles (half each). The bundle holds:

- nine customer managed policies: store manager, key manager, key user, cluster
  admin, read-only, admin, developer (assumes any role), the engineer permissions
  boundary (everything but IAM) and a Deny of key and store administration;
- users with one or two of them (about 2 % admins), a third of them inside the
  boundary;
- roles: about 20 % trust the account root, the rest trust a named user or a named
  earlier role (chains of up to 5 hops) or a service (Lambda, EC2, with an instance
  profile for EC2); about 15 % also have the Deny policy attached;
- a handful of escalation-capable principals (a self policy writer, a PassRole +
  Lambda launcher, a trust rewriter, an access-key creator, a role policy attacher);
- one KMS key with the default key policy (no custom key store file: the store
  actions are asked on ``*``).

The same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
KEY_ID = "0f1e2d3c-aaaa-4bbb-8ccc-000000000001"
MAX_CHAIN = 5

Json = dict[str, Any]


def _doc(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions: list[str] | str, resource: str | list[str] = "*") -> Json:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _policies(account: str) -> dict[str, Json]:
    """The nine managed policies of ``account``, by name."""
    return {
        "store-manager": _doc(
            _allow(
                [
                    "cloudhsm:DescribeClusters",
                    "kms:CreateCustomKeyStore",
                    "kms:ConnectCustomKeyStore",
                    "kms:DisconnectCustomKeyStore",
                    "kms:UpdateCustomKeyStore",
                    "kms:DeleteCustomKeyStore",
                    "kms:DescribeCustomKeyStores",
                    "iam:CreateServiceLinkedRole",
                ]
            )
        ),
        "key-manager": _doc(
            _allow(
                [
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
            )
        ),
        "key-user": _doc(
            _allow(
                [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                f"arn:aws:kms:*:{account}:key/*",
            )
        ),
        "cluster-admin": _doc(
            _allow(
                [
                    "cloudhsm:*",
                    "ec2:CreateVpc",
                    "ec2:CreateSubnet",
                    "ec2:CreateSecurityGroup",
                    "ec2:Describe*",
                ]
            )
        ),
        "read-only": _doc(
            _allow(
                [
                    "iam:Get*",
                    "iam:List*",
                    "kms:Describe*",
                    "kms:List*",
                    "cloudhsm:Describe*",
                    "s3:Get*",
                    "s3:List*",
                ]
            )
        ),
        "admin": _doc(_allow("*")),
        "developer": _doc(
            _allow(["lambda:Get*", "lambda:List*", "s3:*", "dynamodb:*", "logs:*"]),
            _allow("sts:AssumeRole"),
        ),
        "engineer-boundary": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        "deny-key-admin": _doc(
            {
                "Effect": "Deny",
                "Action": [
                    "kms:ScheduleKeyDeletion",
                    "kms:PutKeyPolicy",
                    "kms:*CustomKeyStore",
                    "iam:*",
                ],
                "Resource": "*",
            }
        ),
    }


USER_MIX = (
    ("read-only", 40),
    ("developer", 30),
    ("key-user", 14),
    ("cluster-admin", 6),
    ("store-manager", 4),
    ("key-manager", 4),
    ("admin", 2),
)
ROLE_MIX = (
    ("read-only", 35),
    ("developer", 25),
    ("key-user", 20),
    ("cluster-admin", 6),
    ("store-manager", 6),
    ("key-manager", 6),
    ("admin", 2),
)


def _arn(account: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def _attached(account: str, names: list[str]) -> list[Json]:
    return [{"PolicyName": n, "PolicyArn": _arn(account, "policy", n)} for n in names]


def _trust(principal: Json) -> Json:
    action = "sts:AssumeRole"
    return _doc({"Effect": "Allow", "Principal": principal, "Action": action})


def _pick(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> list[str]:
    names = [n for n, _ in mix]
    weights = [w for _, w in mix]
    first = rng.choices(names, weights)[0]
    if rng.random() < 0.3:
        second = rng.choices(names, weights)[0]
        return sorted({first, second})
    return [first]


def _escalators(a: str) -> tuple[tuple[str, str, Json], ...]:
    """A handful of escalation-capable principals of account ``a``: (kind, name, inline
    policy)."""
    return (
        (
            "user",
            "esc-self-writer",
            _doc(_allow("iam:PutUserPolicy", _arn(a, "user", "esc-self-writer"))),
        ),
        (
            "user",
            "esc-lambda",
            _doc(
                _allow("iam:PassRole", _arn(a, "role", "*")),
                _allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
            ),
        ),
        ("user", "esc-trust", _doc(_allow("iam:UpdateAssumeRolePolicy", _arn(a, "role", "*")))),
        ("user", "esc-keys", _doc(_allow("iam:CreateAccessKey", _arn(a, "user", "*")))),
        ("role", "esc-attacher", _doc(_allow("iam:AttachRolePolicy", _arn(a, "role", "*")))),
    )


class _Generator:
    def __init__(self, principals: int, seed: int, account: str = ACCOUNT) -> None:
        if principals < 20:
            raise ValueError("at least 20 principals")
        self.account = account
        self.rng = random.Random(seed)
        self.users = principals // 2
        self.roles = principals - self.users
        self.depth: dict[str, int] = {}

    def user(self, index: int) -> Json:
        rng = self.rng
        name = f"user-{index:05d}"
        entry: Json = {
            "Path": "/",
            "UserName": name,
            "UserId": f"AIDA{index:017d}",
            "Arn": _arn(self.account, "user", name),
            "CreateDate": "2024-01-01T00:00:00+00:00",
            "UserPolicyList": [],
            "GroupList": [],
            "AttachedManagedPolicies": _attached(self.account, _pick(rng, USER_MIX)),
            "Tags": [],
        }
        if rng.random() < 0.33:
            entry["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": _arn(self.account, "policy", "engineer-boundary"),
            }
        return entry

    def role(self, index: int) -> Json:
        rng = self.rng
        name = f"role-{index:05d}"
        draw = rng.random()
        profiles: list[Json] = []
        depth = 1
        if draw < 0.2:
            trust = _trust({"AWS": f"arn:aws:iam::{self.account}:root"})
        elif draw < 0.55:
            trust = _trust(
                {"AWS": _arn(self.account, "user", f"user-{rng.randrange(self.users):05d}")}
            )
        elif draw < 0.9 and self.depth:
            shallow = [r for r, d in self.depth.items() if d < MAX_CHAIN]
            parent = rng.choice(shallow[-50:])
            depth = self.depth[parent] + 1
            trust = _trust({"AWS": _arn(self.account, "role", parent)})
        else:
            service = rng.choice(("lambda.amazonaws.com", "ec2.amazonaws.com"))
            trust = _trust({"Service": service})
            if service == "ec2.amazonaws.com":
                profiles.append(
                    {
                        "Path": "/",
                        "InstanceProfileName": name,
                        "InstanceProfileId": f"AIPA{index:017d}",
                        "Arn": _arn(self.account, "instance-profile", name),
                        "CreateDate": "2024-01-01T00:00:00+00:00",
                        "Roles": [],
                    }
                )
        self.depth[name] = depth
        attached = _pick(rng, ROLE_MIX)
        if rng.random() < 0.15:
            attached.append("deny-key-admin")
        return {
            "Path": "/",
            "RoleName": name,
            "RoleId": f"AROA{index:017d}",
            "Arn": _arn(self.account, "role", name),
            "CreateDate": "2024-01-01T00:00:00+00:00",
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": profiles,
            "RolePolicyList": [],
            "AttachedManagedPolicies": _attached(self.account, attached),
            "Tags": [],
        }

    def escalators(self, users: list[Json], roles: list[Json]) -> None:
        for n, (kind, name, document) in enumerate(_escalators(self.account)):
            entry = {"PolicyName": "escalate", "PolicyDocument": document}
            if kind == "user":
                users.append(
                    {
                        "Path": "/",
                        "UserName": name,
                        "UserId": f"AIDAESC{n:014d}",
                        "Arn": _arn(self.account, "user", name),
                        "CreateDate": "2024-01-01T00:00:00+00:00",
                        "UserPolicyList": [entry],
                        "GroupList": [],
                        "AttachedManagedPolicies": [],
                        "Tags": [],
                    }
                )
            else:
                roles.append(
                    {
                        "Path": "/",
                        "RoleName": name,
                        "RoleId": f"AROAESC{n:014d}",
                        "Arn": _arn(self.account, "role", name),
                        "CreateDate": "2024-01-01T00:00:00+00:00",
                        "AssumeRolePolicyDocument": _trust(
                            {"AWS": f"arn:aws:iam::{self.account}:root"}
                        ),
                        "InstanceProfileList": [],
                        "RolePolicyList": [entry],
                        "AttachedManagedPolicies": _attached(self.account, ["developer"]),
                        "Tags": [],
                    }
                )

    def details(self) -> Json:
        escalators = _escalators(self.account)
        escalating_users = sum(1 for k, _, _ in escalators if k == "user")
        escalating_roles = len(escalators) - escalating_users
        users = [self.user(i) for i in range(self.users - escalating_users)]
        roles = [self.role(i) for i in range(self.roles - escalating_roles)]
        self.escalators(users, roles)
        policies = [
            {
                "PolicyName": name,
                "PolicyId": f"ANPA{n:017d}",
                "Arn": _arn(self.account, "policy", name),
                "Path": "/",
                "DefaultVersionId": "v1",
                "IsAttachable": True,
                "PolicyVersionList": [
                    {
                        "Document": document,
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "CreateDate": "2024-01-01T00:00:00+00:00",
                    }
                ],
            }
            for n, (name, document) in enumerate(sorted(_policies(self.account).items()))
        ]
        return {
            "UserDetailList": users,
            "GroupDetailList": [],
            "RoleDetailList": roles,
            "Policies": policies,
            "IsTruncated": False,
        }


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")


def generate(out_dir: Path, *, principals: int, seed: int = 11, account_id: str = ACCOUNT) -> None:
    """Write the bundle of ``principals`` users and roles of account ``account_id`` into
    ``out_dir`` (must not exist or be empty)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    details = _Generator(principals, seed, account_id).details()
    root_arn = f"arn:aws:iam::{account_id}:root"
    _write(
        out / "account.json", {"account_id": account_id, "partition": "aws", "regions": [REGION]}
    )
    _write(out / "iam" / "account-authorization-details.json", details)
    folder = out / "kms" / "keys" / KEY_ID
    _write(
        folder / "describe-key.json",
        {
            "KeyMetadata": {
                "AWSAccountId": account_id,
                "KeyId": KEY_ID,
                "Arn": f"arn:aws:kms:{REGION}:{account_id}:key/{KEY_ID}",
                "Enabled": True,
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeyState": "Enabled",
                "Origin": "AWS_KMS",
                "KeyManager": "CUSTOMER",
                "KeySpec": "SYMMETRIC_DEFAULT",
            }
        },
    )
    default = _doc(
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": root_arn},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    _write(folder / "key-policy.json", {"Policy": json.dumps(default)})
    _write(folder / "grants.json", {"Grants": []})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="bundle directory to write (must be empty)")
    parser.add_argument("--principals", type=int, default=1000, help="IAM users and roles")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    try:
        if args.force and args.out.exists():
            shutil.rmtree(args.out)
        generate(args.out, principals=args.principals, seed=args.seed)
    except (ValueError, FileExistsError) as exc:
        print(f"admin_account: {exc}", file=sys.stderr)
        return 2
    policies = len(_policies(ACCOUNT))
    print(f"{args.out}: {args.principals} principals, {policies} managed policies, 1 key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
