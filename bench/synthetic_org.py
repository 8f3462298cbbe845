"""A synthetic organization bundle for benchmarking organization-wide analysis.

    python bench/synthetic_org.py OUT --accounts 100 --principals 200 [--seed 5] [--force]

The bundle has the layout ``read_organization`` reads (see the docstring of
``cksmodel/account/organization.py``; ``examples/cks-org`` is a small hand-written
one). ``accounts`` counts the member accounts with a bundle folder; the management
account has none (reading warns that its principals stay outside principals).

Tree: the root holds the management account and the OUs ``Security`` (the security
account), ``Workloads`` (the central CI account directly, every other workload
account in two to four child OUs ``Prod``, ``Dev``, ``Staging``, ``Shared``) and
``Sandbox`` (one account in ten, at least one).

Members, each of about ``principals`` IAM users and roles:

- the security account is ``bench/synthetic_account.py``'s shape (the custom key
  store, its CloudHSM cluster, store keys, teams) plus ``org-auditor``, which may
  assume every member's ``org-audit`` role;
- every other member is ``bench/admin_account.py``'s shape (many administrators,
  trust chains, escalation-capable principals) with the organization's roles:
  ``org-audit`` (trusted by the security account's ``org-auditor``) everywhere and,
  in the CI and workload accounts, an ECS application role ``NAME-app``, a
  ``deployer`` trusted by the CI account's ``ci-runner`` (itself trusted by GitHub
  Actions and by its account root with MFA), and one ``AWS_KMS`` key of its own;
- each application role may use one store key of the security account, named in
  that key's policy (even positions) or in a grant on it (odd positions), and every
  third workload key is shared, through its key policy, with the application role
  of the next workload account.

Organization policies: ``FullAWSAccess`` on every root, OU and account plus
``deny-leave-organization`` at the root; ``cks-guardrails`` (as in
``examples/cks-org``) on the security account; ``workloads-no-store-administration``
on ``Workloads`` (nested OUs inherit it); ``sandbox-isolation`` on ``Sandbox``;
``prod-no-long-term-credentials`` on every fourth ``Prod`` account. RCPs:
``RCPFullAWSAccess`` everywhere and the ``aws:PrincipalOrgID`` data perimeter at
the root. The output is a function of the arguments (and of
``examples/cks-account``) alone: the same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import string
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import admin_account
import synthetic_account

REGION = "us-east-1"
TOP_OUS = ("Security", "Workloads", "Sandbox")
WORKLOAD_OUS = ("Prod", "Dev", "Staging", "Shared")
RESERVED = frozenset((*synthetic_account.VENDOR_ACCOUNTS, "221111222233"))
"""Account ids the member shapes name as outside accounts: never members."""
EXTRA_ROLES = {"security": 1, "ci": 4, "workload": 3, "sandbox": 1}
"""Roles this generator adds to each kind of member."""
COMPUTE = {
    "lambda/functions.json": {"Functions": []},
    "ec2/instances.json": {"Reservations": []},
    "ecs/clusters.json": {"clusterArns": []},
    "glue/dev-endpoints.json": {"DevEndpoints": []},
    "cloudformation/stacks.json": {"Stacks": []},
}
KEY_USE = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
DATE = "2024-01-01T00:00:00+00:00"

Json = dict[str, Any]
Kind = Literal["security", "ci", "workload", "sandbox"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    """A member account of the generated organization."""

    id: str
    name: str
    kind: Kind
    parent: str
    """The id of the OU holding the account."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    """What a generated organization holds (for reports and tests)."""

    organization_id: str
    management_account: str
    units: dict[str, str]
    """Each OU's path from the root (``Workloads/Prod``) by id."""
    members: tuple[Member, ...]
    principals: int
    keys: int
    store_keys: int
    scps: int
    rcps: int
    cross_account: dict[str, int]
    """Cross-account references by kind (trust, store key policy, grant, workload key)."""


def _doc(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=4) + "\n", encoding="utf-8")


def _kms_text(document: Json) -> str:
    """A key policy as ``aws kms get-key-policy`` prints it (a JSON string)."""
    return json.dumps(document, indent=2, separators=(",", " : "))


def _default_key_policy(account: str, *extra: Json) -> Json:
    root = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    document = {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [root, *extra]}
    return {"Policy": _kms_text(document), "PolicyName": "default"}


def _use_statement(sid: str, principals: list[str]) -> Json:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principals if len(principals) > 1 else principals[0]},
        "Action": KEY_USE,
        "Resource": "*",
    }


@dataclass(slots=True)
class _Org:
    """The state of one :func:`generate` run."""

    accounts: int
    principals: int
    rng: random.Random
    used: set[str] = field(default_factory=set)
    members: list[Member] = field(default_factory=list)
    units: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Each root and OU: its name and its parent's id."""
    counts: Counter[str] = field(default_factory=Counter)
    org_id: str = ""
    root: str = ""
    management: str = ""

    def token(self, n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def account_id(self) -> str:
        while True:
            value = str(self.rng.randrange(10**11, 10**12))
            if value not in self.used and value not in RESERVED:
                self.used.add(value)
                return value

    def iam_id(self, prefix: str) -> str:
        return prefix + self.token(17, string.ascii_uppercase + "234567")

    def key_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def date(self, start: str, days: int) -> str:
        base = datetime.fromisoformat(start).replace(tzinfo=UTC)
        return (base + timedelta(seconds=self.rng.randrange(days * 86400))).isoformat()

    # ---------------------------------------------------------- the tree

    def plan(self) -> None:
        self.org_id = "o-" + self.token(10)
        self.root = "r-" + self.token(4)
        self.management = self.account_id()
        self.units[self.root] = ("Root", None)

        def unit(name: str, parent: str) -> str:
            unit_id = f"ou-{self.root[2:]}-{self.token(8)}"
            self.units[unit_id] = (name, parent)
            return unit_id

        security, workloads, sandbox = (unit(n, self.root) for n in TOP_OUS)
        n_sandbox = max(1, self.accounts // 10)
        n_workloads = self.accounts - 2 - n_sandbox
        n_children = 2 if n_workloads <= 10 else 3 if n_workloads <= 40 else 4
        children = [unit(name, workloads) for name in WORKLOAD_OUS[:n_children]]
        self.add("security", "security", security)
        self.add("ci", "ci", workloads)
        words = synthetic_account.TEAM_WORDS
        for j in range(n_workloads):
            child = children[j % n_children]
            word = words[j % len(words)] + (str(j // len(words) + 1) if j >= len(words) else "")
            self.add(f"{word}-{self.units[child][0].lower()}", "workload", child)
        for k in range(n_sandbox):
            self.add(f"sandbox-{k + 1:02d}", "sandbox", sandbox)

    def add(self, name: str, kind: Kind, parent: str) -> None:
        self.members.append(Member(id=self.account_id(), name=name, kind=kind, parent=parent))

    def path(self, unit_id: str) -> str:
        name, parent = self.units[unit_id]
        return name if parent is None or parent == self.root else f"{self.path(parent)}/{name}"

    def of(self, *kinds: Kind) -> list[Member]:
        return [m for m in self.members if m.kind in kinds]

    # ---------------------------------------------------------- member bundles

    def role(self, account: str, name: str, trust: Json, *inline: tuple[str, Json]) -> Json:
        return {
            "Path": "/",
            "RoleName": name,
            "RoleId": self.iam_id("AROA"),
            "Arn": _role_arn(account, name),
            "CreateDate": self.date("2023-01-01", 500),
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
            "AttachedManagedPolicies": [],
            "Tags": [{"Key": "managed-by", "Value": "org-baseline"}],
        }

    def audit_role(self, member: Member, auditor: str) -> Json:
        trust = _doc({"Effect": "Allow", "Principal": {"AWS": auditor}, "Action": "sts:AssumeRole"})
        read = _doc(
            {
                "Sid": "ReadConfiguration",
                "Effect": "Allow",
                "Action": [
                    "iam:Get*",
                    "iam:List*",
                    "kms:Describe*",
                    "kms:List*",
                    "kms:GetKeyPolicy",
                    "cloudhsm:Describe*",
                ],
                "Resource": "*",
            }
        )
        self.counts["trust"] += 1
        return self.role(member.id, "org-audit", trust, ("audit-read", read))

    def write_member(self, out: Path, member: Member, keys: Json) -> int:
        """Write one member bundle; ``keys`` holds, per member id, the key ARNs its
        application role uses and the key it owns. Returns its principal count."""
        folder = out / "accounts" / member.id
        seed = self.rng.randrange(2**31)
        extra = EXTRA_ROLES[member.kind]
        if member.kind == "security":
            size = max(synthetic_account.FIXED_PRINCIPALS, self.principals - extra)
            n_keys = 8 + self.accounts // 10
            synthetic_account.generate(
                folder, principals=size, keys=n_keys, seed=seed, account_id=member.id
            )
            shutil.rmtree(folder / "organizations")
        else:
            size = max(20, self.principals - extra)
            admin_account.generate(folder, principals=size, seed=seed, account_id=member.id)
            shutil.rmtree(folder / "kms" / "keys" / admin_account.KEY_ID)
            _write(folder / "kms" / "custom-key-stores.json", {"CustomKeyStores": []})
            _write(folder / "cloudhsm" / "clusters.json", {"Clusters": []})
        account = {
            "account_id": member.id,
            "partition": "aws",
            "organization_id": self.org_id,
            "management_account": self.management,
            "regions": [REGION],
        }
        _write(folder / "account.json", account)
        for name, value in COMPUTE.items():
            _write(folder / name, value)
        iam_path = folder / "iam" / "account-authorization-details.json"
        iam = json.loads(iam_path.read_text("utf-8"))
        iam["RoleDetailList"].extend(self.org_roles(member, keys))
        _write(iam_path, iam)
        return len(iam["UserDetailList"]) + len(iam["RoleDetailList"])

    def org_roles(self, member: Member, keys: Json) -> list[Json]:
        security = self.of("security")[0].id
        ci = self.of("ci")[0].id
        if member.kind == "security":
            trust = _doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{member.id}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            )
            audit = _doc(
                {
                    "Sid": "AssumeMemberAuditRoles",
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Resource": "arn:aws:iam::*:role/org-audit",
                }
            )
            return [self.role(member.id, "org-auditor", trust, ("audit-members", audit))]
        roles = [self.audit_role(member, _role_arn(security, "org-auditor"))]
        if member.kind == "sandbox":
            return roles
        app = f"{member.name}-app"
        app_trust = _doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": member.id}},
            }
        )
        use = _doc(
            {
                "Sid": "UseKeys",
                "Effect": "Allow",
                "Action": KEY_USE,
                "Resource": keys[member.id]["uses"],
            }
        )
        runner = _role_arn(ci, "ci-runner")
        deploy = _doc(
            {
                "Sid": "DeployServices",
                "Effect": "Allow",
                "Action": [
                    "ecs:RegisterTaskDefinition",
                    "ecs:DescribeServices",
                    "ecs:DescribeTaskDefinition",
                    "ecs:UpdateService",
                ],
                "Resource": "*",
            },
            {
                "Sid": "PassTheAppRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": _role_arn(member.id, app),
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
        )
        deployer_trust = _doc(
            {"Effect": "Allow", "Principal": {"AWS": runner}, "Action": "sts:AssumeRole"}
        )
        if member.id != ci:
            self.counts["trust"] += 1
        roles += [
            self.role(member.id, app, app_trust, ("use-keys", use)),
            self.role(member.id, "deployer", deployer_trust, ("deploy", deploy)),
        ]
        if member.kind == "ci":
            roles.append(self.runner(member.id))
        return roles

    def runner(self, ci: str) -> Json:
        provider = f"arn:aws:iam::{ci}:oidc-provider/token.actions.githubusercontent.com"
        trust = _doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": (
                            "repo:example-corp/platform-deployments:ref:refs/heads/main"
                        ),
                    }
                },
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ci}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
        )
        assume = _doc(
            {
                "Sid": "AssumeDeployers",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/deployer",
            }
        )
        return self.role(ci, "ci-runner", trust, ("assume-deployers", assume))

    # ---------------------------------------------------------- keys

    def store_keys(self, out: Path) -> list[str]:
        """ARNs of the security account's enabled store keys, in folder order."""
        security = self.of("security")[0].id
        found = []
        for folder in sorted((out / "accounts" / security / "kms" / "keys").iterdir()):
            meta = json.loads((folder / "describe-key.json").read_text("utf-8"))["KeyMetadata"]
            if "CustomKeyStoreId" in meta and meta["Enabled"]:
                found.append(meta["Arn"])
        return found

    def plan_keys(self, store: list[str]) -> Json:
        """Per application account: its own key, the keys its app role uses, and who
        shares which key (``policy`` and ``grant`` on store keys, ``shared`` on its own)."""
        apps = self.of("ci", "workload")
        keys: Json = {}
        for m in apps:
            key_id = self.key_id()
            arn = f"arn:aws:kms:{REGION}:{m.id}:key/{key_id}"
            keys[m.id] = {"key_id": key_id, "arn": arn, "uses": [arn], "shared_with": None}
        for j, m in enumerate(apps):
            keys[m.id]["store"] = store[j % len(store)]
            keys[m.id]["uses"].append(keys[m.id]["store"])
            keys[m.id]["store_way"] = "policy" if j % 2 == 0 else "grant"
            if j % 3 == 0 and len(apps) > 1:
                neighbour = apps[(j + 1) % len(apps)]
                keys[m.id]["shared_with"] = _role_arn(neighbour.id, f"{neighbour.name}-app")
                keys[neighbour.id]["uses"].append(keys[m.id]["arn"])
        return keys

    def write_keys(self, out: Path, keys: Json) -> None:
        for m in self.of("ci", "workload", "sandbox"):
            planned = keys.get(m.id) or {"key_id": self.key_id(), "shared_with": None}
            folder = out / "accounts" / m.id / "kms" / "keys" / planned["key_id"]
            meta = {
                "AWSAccountId": m.id,
                "KeyId": planned["key_id"],
                "Arn": f"arn:aws:kms:{REGION}:{m.id}:key/{planned['key_id']}",
                "CreationDate": self.date("2024-01-01", 300),
                "Enabled": True,
                "Description": f"{m.name} data",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeyState": "Enabled",
                "Origin": "AWS_KMS",
                "KeyManager": "CUSTOMER",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
                "MultiRegion": False,
            }
            extra = []
            if planned["shared_with"]:
                extra.append(_use_statement("AllowUseByPartnerApp", [planned["shared_with"]]))
                self.counts["workload key"] += 1
            _write(folder / "describe-key.json", {"KeyMetadata": meta})
            _write(folder / "key-policy.json", _default_key_policy(m.id, *extra))
            _write(folder / "grants.json", {"Grants": []})
        self.share_store_keys(out, keys)

    def share_store_keys(self, out: Path, keys: Json) -> None:
        security = self.of("security")[0].id
        by_policy: dict[str, list[str]] = {}
        by_grant: dict[str, list[str]] = {}
        for m in self.of("ci", "workload"):
            store_key = keys[m.id]["store"]
            ways = by_policy if keys[m.id]["store_way"] == "policy" else by_grant
            ways.setdefault(store_key, []).append(_role_arn(m.id, f"{m.name}-app"))
        base = out / "accounts" / security / "kms" / "keys"
        for arn, roles in by_policy.items():
            path = base / arn.rpartition("/")[2] / "key-policy.json"
            policy = json.loads(path.read_text("utf-8"))
            document = json.loads(policy["Policy"])
            document["Statement"].append(_use_statement("AllowUseByWorkloadAppRoles", roles))
            policy["Policy"] = _kms_text(document)
            _write(path, policy)
            self.counts["store key policy"] += len(roles)
        for arn, roles in by_grant.items():
            path = base / arn.rpartition("/")[2] / "grants.json"
            grants = json.loads(path.read_text("utf-8"))
            for role in roles:
                grants["Grants"].append(
                    {
                        "KeyId": arn,
                        "GrantId": self.token(64, "0123456789abcdef"),
                        "Name": role.rpartition("/")[2],
                        "CreationDate": self.date("2024-06-01", 200),
                        "GranteePrincipal": role,
                        "RetiringPrincipal": _role_arn(security, "kms-key-manager"),
                        "IssuingAccount": f"arn:aws:iam::{security}:root",
                        "Operations": ["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"],
                    }
                )
            _write(path, grants)
            self.counts["store key grant"] += len(roles)

    # ---------------------------------------------------------- the management view

    def arn(self, kind: str, target: str) -> str:
        base = f"arn:aws:organizations::{self.management}"
        if kind == "account":
            return f"{base}:account/{self.org_id}/{target}"
        if kind == "root":
            return f"{base}:root/{self.org_id}/{target}"
        return f"{base}:ou/{self.org_id}/{target}"

    def account_entry(self, member: Member | None) -> Json:
        account = member.id if member else self.management
        name = member.name if member else "management"
        return {
            "Id": account,
            "Arn": self.arn("account", account),
            "Email": f"aws-{name}@example.com",
            "Name": name,
            "Status": "ACTIVE",
            "JoinedMethod": "CREATED" if member else "INVITED",
            "JoinedTimestamp": self.date("2021-03-01", 1000),
        }

    def write_tree(self, out: Path) -> None:
        organization = {
            "Id": self.org_id,
            "Arn": f"arn:aws:organizations::{self.management}:organization/{self.org_id}",
            "FeatureSet": "ALL",
            "MasterAccountArn": self.arn("account", self.management),
            "MasterAccountId": self.management,
            "MasterAccountEmail": "aws-management@example.com",
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
        }
        _write(out / "organization.json", {"Organization": organization})
        types = [
            {"Type": t, "Status": "ENABLED"}
            for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
        ]
        root = {"Id": self.root, "Arn": self.arn("root", self.root), "Name": "Root"}
        _write(out / "roots.json", {"Roots": [{**root, "PolicyTypes": types}]})
        entries = {m.id: self.account_entry(m) for m in self.members}
        entries[self.management] = self.account_entry(None)
        for unit_id in self.units:
            ous = [
                {"Id": u, "Arn": self.arn("ou", u), "Name": name}
                for u, (name, parent) in self.units.items()
                if parent == unit_id
            ]
            held = [self.management] if unit_id == self.root else []
            held += [m.id for m in self.members if m.parent == unit_id]
            folder = out / "parents" / unit_id
            _write(folder / "ous.json", {"OrganizationalUnits": ous})
            _write(folder / "accounts.json", {"Accounts": [entries[a] for a in held]})
        listed = [entries[self.management], *(entries[m.id] for m in self.members)]
        _write(out / "accounts.json", {"Accounts": listed})

    def target(self, node: str) -> Json:
        if node in self.units:
            name, parent = self.units[node]
            kind = "ROOT" if parent is None else "ORGANIZATIONAL_UNIT"
            arn = self.arn("root" if parent is None else "ou", node)
            return {"TargetId": node, "Arn": arn, "Name": name, "Type": kind}
        name = next((m.name for m in self.members if m.id == node), "management")
        return {"TargetId": node, "Arn": self.arn("account", node), "Name": name, "Type": "ACCOUNT"}

    def write_policy(
        self,
        out: Path,
        kind: Literal["scp", "rcp"],
        name: str,
        description: str,
        content: Json,
        targets: list[str],
        *,
        aws_managed: bool = False,
    ) -> None:
        long = "service_control_policy" if kind == "scp" else "resource_control_policy"
        policy_id = f"p-{name}" if aws_managed else "p-" + self.token(8)
        owner = "aws" if aws_managed else f"{self.management}"
        scope = "" if aws_managed else f"{self.org_id}/"
        summary = {
            "Id": policy_id,
            "Arn": f"arn:aws:organizations::{owner}:policy/{scope}{long}/{policy_id}",
            "Name": name,
            "Description": description,
            "Type": long.upper(),
            "AwsManaged": aws_managed,
        }
        body = {"PolicySummary": summary, "Content": json.dumps(content, indent=4)}
        folder = out / "policies" / kind
        _write(folder / f"{policy_id}.json", {"Policy": body})
        _write(folder / f"{policy_id}.targets.json", {"Targets": [self.target(t) for t in targets]})
        self.counts[kind] += 1

    def write_policies(self, out: Path) -> None:
        everything = [*self.units, self.management, *(m.id for m in self.members)]
        by_name = {self.path(u): u for u in self.units if u != self.root}
        allow_all: Json = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        scps = (
            ("FullAWSAccess", "Allows access to every operation", _doc(allow_all), everything),
            (
                "deny-leave-organization",
                "No member account leaves the organization",
                _doc(
                    {
                        "Sid": "DenyLeaving",
                        "Effect": "Deny",
                        "Action": "organizations:LeaveOrganization",
                        "Resource": "*",
                    }
                ),
                [self.root],
            ),
            (
                "cks-guardrails",
                "Only the store manager manages custom key stores; only the cluster admin "
                "manages clusters",
                CKS_GUARDRAILS,
                [self.of("security")[0].id],
            ),
            (
                "workloads-no-store-administration",
                "Workload accounts never administer custom key stores, CloudHSM or key policies",
                _doc(
                    {
                        "Sid": "DenyStoreAndHsmAdministration",
                        "Effect": "Deny",
                        "Action": [
                            "kms:*CustomKeyStore*",
                            "cloudhsm:*",
                            "kms:ScheduleKeyDeletion",
                            "kms:PutKeyPolicy",
                        ],
                        "Resource": "*",
                    }
                ),
                [by_name["Workloads"]],
            ),
            (
                "sandbox-isolation",
                "Sandbox accounts use no KMS or CloudHSM and assume no role of another account",
                SANDBOX_ISOLATION,
                [by_name["Sandbox"]],
            ),
            (
                "prod-no-long-term-credentials",
                "Production accounts create no IAM users, access keys or console passwords",
                _doc(
                    {
                        "Sid": "DenyLongTermCredentials",
                        "Effect": "Deny",
                        "Action": [
                            "iam:CreateUser",
                            "iam:CreateAccessKey",
                            "iam:CreateLoginProfile",
                        ],
                        "Resource": "*",
                    }
                ),
                [m.id for m in self.members if m.parent == by_name["Workloads/Prod"]][::4],
            ),
        )
        for name, description, content, targets in scps:
            if targets:
                managed = name == "FullAWSAccess"
                self.write_policy(
                    out, "scp", name, description, content, targets, aws_managed=managed
                )
        rcp_all: Json = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
        self.write_policy(
            out,
            "rcp",
            "RCPFullAWSAccess",
            "Allows access to every operation",
            _doc(rcp_all),
            everything,
            aws_managed=True,
        )
        perimeter = _doc(
            {
                "Sid": "EnforceOrgIdentities",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:*", "sts:AssumeRole"],
                "Resource": "*",
                "Condition": {
                    "StringNotEqualsIfExists": {"aws:PrincipalOrgID": self.org_id},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            }
        )
        self.write_policy(
            out,
            "rcp",
            "data-perimeter-identities",
            "Only identities of the organization (and AWS services) may use KMS keys or "
            "assume roles",
            perimeter,
            [self.root],
        )


CKS_GUARDRAILS = _doc(
    {
        "Sid": "OnlyStoreManagerManagesCustomKeyStores",
        "Effect": "Deny",
        "Action": [
            "kms:CreateCustomKeyStore",
            "kms:ConnectCustomKeyStore",
            "kms:DisconnectCustomKeyStore",
            "kms:UpdateCustomKeyStore",
            "kms:DeleteCustomKeyStore",
        ],
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/cks-store-manager"}},
    },
    {
        "Sid": "OnlyClusterAdminManagesClusters",
        "Effect": "Deny",
        "Action": [
            "cloudhsm:CreateCluster",
            "cloudhsm:InitializeCluster",
            "cloudhsm:ModifyCluster",
            "cloudhsm:DeleteCluster",
            "cloudhsm:CreateHsm",
            "cloudhsm:DeleteHsm",
            "cloudhsm:RestoreBackup",
            "cloudhsm:DeleteBackup",
        ],
        "Resource": "*",
        "Condition": {
            "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/cloudhsm-cluster-admin"}
        },
    },
)
SANDBOX_ISOLATION = _doc(
    {
        "Sid": "DenyKmsAndCloudHsm",
        "Effect": "Deny",
        "Action": ["kms:*", "cloudhsm:*"],
        "Resource": "*",
    },
    {
        "Sid": "DenyRolesOfOtherAccounts",
        "Effect": "Deny",
        "Action": "sts:AssumeRole*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
    },
)


def generate(out_dir: Path, *, accounts: int, principals: int, seed: int = 5) -> Summary:
    """Write an organization of ``accounts`` member bundles of about ``principals`` IAM
    users and roles each into ``out_dir`` (must not exist or be empty)."""
    if accounts < 3:
        raise ValueError("accounts must be at least 3 (security, CI, sandbox)")
    if principals < 20:
        raise ValueError("principals must be at least 20 (the smallest admin shape)")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    org = _Org(accounts=accounts, principals=principals, rng=random.Random(seed))
    org.plan()
    security = org.of("security")[0]
    total = org.write_member(out, security, {})
    store = org.store_keys(out)
    keys = org.plan_keys(store)
    for member in org.members:
        if member is not security:
            total += org.write_member(out, member, keys)
    org.write_keys(out, keys)
    org.write_tree(out)
    org.write_policies(out)
    n_keys = sum(
        1 for m in org.members for _ in (out / "accounts" / m.id / "kms" / "keys").iterdir()
    )
    cross = {
        k: org.counts[k] for k in ("trust", "store key policy", "store key grant", "workload key")
    }
    return Summary(
        organization_id=org.org_id,
        management_account=org.management,
        units={u: org.path(u) for u in org.units if u != org.root},
        members=tuple(org.members),
        principals=total,
        keys=n_keys,
        store_keys=len(store),
        scps=org.counts["scp"],
        rcps=org.counts["rcp"],
        cross_account=cross,
    )


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="organization bundle directory (must be empty)")
    parser.add_argument("--accounts", type=int, default=100, help="member accounts")
    parser.add_argument("--principals", type=int, default=200, help="IAM users and roles each")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.force and args.out.exists():
            shutil.rmtree(args.out)
        made = generate(
            args.out, accounts=args.accounts, principals=args.principals, seed=args.seed
        )
    except (ValueError, FileExistsError) as exc:
        print(f"synthetic_org: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    kinds = Counter(m.kind for m in made.members)
    units = Counter(made.units[m.parent] for m in made.members)
    print(
        f"{args.out}: organization {made.organization_id}, management account "
        f"{made.management_account} (no bundle), {len(made.members)} member accounts "
        f"({', '.join(f'{n} {k}' for k, n in kinds.items())})"
    )
    print("  OUs: " + ", ".join(f"{path} {units[path]}" for path in made.units.values()))
    print(
        f"  {made.principals} principals, {made.keys} keys ({made.store_keys} store keys), "
        f"{made.scps} SCPs, {made.rcps} RCPs"
    )
    print("  cross-account: " + ", ".join(f"{n} {k}" for k, n in made.cross_account.items()))
    print(f"  {_size(args.out) / 1e6:.1f} MB on disk (file bytes), generated in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
