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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import admin_account
import synthetic_account
from org_tree import Draw, Json, Member, Tree, doc, write_json

REGION = "us-east-1"
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


@dataclass(kw_only=True, slots=True)
class _AppKeys:
    """The keys of a CI or workload account's application role."""

    key_id: str
    """The account's own key."""
    store: str
    """The security account's store key the role uses."""
    by_grant: bool
    """Whether the store key's grants name the role (else its key policy does)."""
    uses: list[str] = field(default_factory=list)
    shared_with: str | None = None
    """The application role of another account that the own key's policy names."""


def _role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def _kms_text(document: Json) -> str:
    """A key policy as ``aws kms get-key-policy`` prints it (a JSON string)."""
    return json.dumps(document, indent=2, separators=(",", " : "))


def _use_statement(sid: str, principals: list[str]) -> Json:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principals if len(principals) > 1 else principals[0]},
        "Action": KEY_USE,
        "Resource": "*",
    }


@dataclass(kw_only=True, slots=True)
class _Members:
    """Writes the member bundles of one :func:`generate` run."""

    out: Path
    tree: Tree
    draw: Draw
    principals: int
    counts: Counter[str] = field(default_factory=Counter)

    def role(self, account: str, name: str, trust: Json, *inline: tuple[str, Json]) -> Json:
        return {
            "Path": "/",
            "RoleName": name,
            "RoleId": "AROA" + self.draw.token(17, string.ascii_uppercase + "234567"),
            "Arn": _role_arn(account, name),
            "CreateDate": self.draw.date("2023-01-01", 500),
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
            "AttachedManagedPolicies": [],
            "Tags": [{"Key": "managed-by", "Value": "org-baseline"}],
        }

    def audit_role(self, member: Member, auditor: str) -> Json:
        trust = doc({"Effect": "Allow", "Principal": {"AWS": auditor}, "Action": "sts:AssumeRole"})
        read = doc(
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

    def write(self, member: Member, keys: dict[str, _AppKeys]) -> int:
        """Write one member bundle; returns its number of users and roles."""
        folder = self.out / "accounts" / member.id
        seed = self.draw.rng.randrange(2**31)
        extra = EXTRA_ROLES[member.kind]
        if member.kind == "security":
            size = max(synthetic_account.FIXED_PRINCIPALS, self.principals - extra)
            n_keys = 8 + len(self.tree.members) // 10
            synthetic_account.generate(
                folder, principals=size, keys=n_keys, seed=seed, account_id=member.id
            )
            shutil.rmtree(folder / "organizations")
        else:
            size = max(20, self.principals - extra)
            admin_account.generate(folder, principals=size, seed=seed, account_id=member.id)
            shutil.rmtree(folder / "kms" / "keys" / admin_account.KEY_ID)
            write_json(folder / "kms" / "custom-key-stores.json", {"CustomKeyStores": []})
            write_json(folder / "cloudhsm" / "clusters.json", {"Clusters": []})
        account = {
            "account_id": member.id,
            "partition": "aws",
            "organization_id": self.tree.org_id,
            "management_account": self.tree.management,
            "regions": [REGION],
        }
        write_json(folder / "account.json", account)
        for name, value in COMPUTE.items():
            write_json(folder / name, value)
        iam_path = folder / "iam" / "account-authorization-details.json"
        iam = json.loads(iam_path.read_text("utf-8"))
        iam["RoleDetailList"].extend(self.org_roles(member, keys))
        write_json(iam_path, iam)
        return len(iam["UserDetailList"]) + len(iam["RoleDetailList"])

    def org_roles(self, member: Member, keys: dict[str, _AppKeys]) -> list[Json]:
        security = self.tree.of("security")[0].id
        ci = self.tree.of("ci")[0].id
        if member.kind == "security":
            trust = doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{member.id}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            )
            audit = doc(
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
        app_trust = doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": member.id}},
            }
        )
        use = doc(
            {
                "Sid": "UseKeys",
                "Effect": "Allow",
                "Action": KEY_USE,
                "Resource": keys[member.id].uses,
            }
        )
        runner = _role_arn(ci, "ci-runner")
        deploy = doc(
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
        deployer_trust = doc(
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
        trust = doc(
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
        assume = doc(
            {
                "Sid": "AssumeDeployers",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/deployer",
            }
        )
        return self.role(ci, "ci-runner", trust, ("assume-deployers", assume))

    # ---------------------------------------------------------- keys

    def store_keys(self) -> list[str]:
        """ARNs of the security account's enabled store keys, in folder order."""
        security = self.tree.of("security")[0].id
        found = []
        for folder in sorted((self.out / "accounts" / security / "kms" / "keys").iterdir()):
            meta = json.loads((folder / "describe-key.json").read_text("utf-8"))["KeyMetadata"]
            if "CustomKeyStoreId" in meta and meta["Enabled"]:
                found.append(meta["Arn"])
        return found

    def plan_keys(self, store: list[str]) -> dict[str, _AppKeys]:
        """Each application account's own key and the store key its role uses; every
        third own key is shared with the next application account's role."""
        apps = self.tree.of("ci", "workload")
        keys: dict[str, _AppKeys] = {}
        for j, m in enumerate(apps):
            key_id = self.draw.key_id()
            keys[m.id] = _AppKeys(key_id=key_id, store=store[j % len(store)], by_grant=j % 2 == 1)
            keys[m.id].uses += [f"arn:aws:kms:{REGION}:{m.id}:key/{key_id}", keys[m.id].store]
        for j, m in enumerate(apps):
            if j % 3 == 0 and len(apps) > 1:
                neighbour = apps[(j + 1) % len(apps)]
                keys[m.id].shared_with = _role_arn(neighbour.id, f"{neighbour.name}-app")
                keys[neighbour.id].uses.append(keys[m.id].uses[0])
        return keys

    def write_keys(self, keys: dict[str, _AppKeys]) -> None:
        """One ``AWS_KMS`` key per CI, workload and sandbox account."""
        for m in self.tree.of("ci", "workload", "sandbox"):
            own = keys.get(m.id)
            key_id = own.key_id if own else self.draw.key_id()
            folder = self.out / "accounts" / m.id / "kms" / "keys" / key_id
            meta = {
                "AWSAccountId": m.id,
                "KeyId": key_id,
                "Arn": f"arn:aws:kms:{REGION}:{m.id}:key/{key_id}",
                "CreationDate": self.draw.date("2024-01-01", 300),
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
            statements: list[Json] = [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{m.id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
            if own and own.shared_with:
                statements.append(_use_statement("AllowUseByPartnerApp", [own.shared_with]))
                self.counts["workload key"] += 1
            policy = {"Version": "2012-10-17", "Id": "key-default-1", "Statement": statements}
            write_json(folder / "describe-key.json", {"KeyMetadata": meta})
            write_json(
                folder / "key-policy.json", {"Policy": _kms_text(policy), "PolicyName": "default"}
            )
            write_json(folder / "grants.json", {"Grants": []})

    def share_store_keys(self, keys: dict[str, _AppKeys]) -> None:
        """Name each application role in its store key's policy or in a grant on it."""
        security = self.tree.of("security")[0].id
        by_policy: dict[str, list[str]] = {}
        by_grant: dict[str, list[str]] = {}
        for m in self.tree.of("ci", "workload"):
            ways = by_grant if keys[m.id].by_grant else by_policy
            ways.setdefault(keys[m.id].store, []).append(_role_arn(m.id, f"{m.name}-app"))
        base = self.out / "accounts" / security / "kms" / "keys"
        for arn, roles in by_policy.items():
            path = base / arn.rpartition("/")[2] / "key-policy.json"
            policy = json.loads(path.read_text("utf-8"))
            document = json.loads(policy["Policy"])
            document["Statement"].append(_use_statement("AllowUseByWorkloadAppRoles", roles))
            policy["Policy"] = _kms_text(document)
            write_json(path, policy)
            self.counts["store key policy"] += len(roles)
        for arn, roles in by_grant.items():
            path = base / arn.rpartition("/")[2] / "grants.json"
            grants = json.loads(path.read_text("utf-8"))
            for role in roles:
                grants["Grants"].append(
                    {
                        "KeyId": arn,
                        "GrantId": self.draw.token(64, "0123456789abcdef"),
                        "Name": role.rpartition("/")[2],
                        "CreationDate": self.draw.date("2024-06-01", 200),
                        "GranteePrincipal": role,
                        "RetiringPrincipal": _role_arn(security, "kms-key-manager"),
                        "IssuingAccount": f"arn:aws:iam::{security}:root",
                        "Operations": ["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"],
                    }
                )
            write_json(path, grants)
            self.counts["store key grant"] += len(roles)


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
    draw = Draw(random.Random(seed))
    tree = Tree.plan(accounts, draw)
    members = _Members(out=out, tree=tree, draw=draw, principals=principals)
    security = tree.of("security")[0]
    total = members.write(security, {})
    store = members.store_keys()
    keys = members.plan_keys(store)
    for member in tree.members:
        if member is not security:
            total += members.write(member, keys)
    members.write_keys(keys)
    members.share_store_keys(keys)
    policies = tree.write(out, draw)
    folders = (out / "accounts" / m.id / "kms" / "keys" for m in tree.members)
    kinds = ("trust", "store key policy", "store key grant", "workload key")
    return Summary(
        organization_id=tree.org_id,
        management_account=tree.management,
        units={u: tree.path(u) for u in tree.units if u != tree.root},
        members=tuple(tree.members),
        principals=total,
        keys=sum(len(list(folder.iterdir())) for folder in folders),
        store_keys=len(store),
        scps=policies["scp"],
        rcps=policies["rcp"],
        cross_account={k: members.counts[k] for k in kinds},
    )


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
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
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
    print(f"  {size / 1e6:.1f} MB of files, generated in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
