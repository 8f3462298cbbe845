"""The management account's view of a generated organization (``bench/synthetic_org.py``).

:meth:`Tree.plan` draws the organization: its id, root, OUs and member accounts;
:meth:`Tree.write` writes what ``aws organizations`` prints about them in the layout
``read_organization`` reads (``organization.json``, ``roots.json``, ``parents/``,
``accounts.json``, ``policies/``). The organization policies of
``examples/cks-org`` are reused with the organization's ids; two more are added.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import synthetic_account

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cks-org"
EXAMPLE_ORG, EXAMPLE_MANAGEMENT = "o-exampleorgid", "999999999999"
TOP_OUS = ("Security", "Workloads", "Sandbox")
WORKLOAD_OUS = ("Prod", "Dev", "Staging", "Shared")
RESERVED = frozenset((*synthetic_account.VENDOR_ACCOUNTS, "221111222233", EXAMPLE_MANAGEMENT))
"""Account ids the member shapes and the reused policies name as outside accounts."""

Json = dict[str, Any]
Kind = Literal["security", "ci", "workload", "sandbox"]


def doc(*statements: Json) -> Json:
    """A policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def write_json(path: Path, value: Any) -> None:
    """``value`` as the AWS CLI prints it (4-space indents)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=4) + "\n", encoding="utf-8")


@dataclass(slots=True)
class Draw:
    """Deterministic ids and dates from one random generator."""

    rng: random.Random
    used: set[str] = field(default_factory=set)

    def token(self, n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def account_id(self) -> str:
        while True:
            value = str(self.rng.randrange(10**11, 10**12))
            if value not in self.used and value not in RESERVED:
                self.used.add(value)
                return value

    def key_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def date(self, start: str, days: int) -> str:
        base = datetime.fromisoformat(start).replace(tzinfo=UTC)
        return (base + timedelta(seconds=self.rng.randrange(days * 86400))).isoformat()


@dataclass(frozen=True, kw_only=True, slots=True)
class Member:
    """A member account of the generated organization."""

    id: str
    name: str
    kind: Kind
    parent: str
    """The id of the OU holding the account."""


@dataclass(kw_only=True, slots=True)
class Tree:
    """The organization's ids, OUs and member accounts."""

    org_id: str
    root: str
    management: str
    units: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Each root and OU by id: its name and its parent's id."""
    members: list[Member] = field(default_factory=list)

    @classmethod
    def plan(cls, accounts: int, draw: Draw) -> Tree:
        """Security, CI, workloads in two to four child OUs, one sandbox in ten."""
        tree = cls(org_id="o-" + draw.token(10), root="r-" + draw.token(4), management="")
        tree.management = draw.account_id()
        tree.units[tree.root] = ("Root", None)

        def unit(name: str, parent: str) -> str:
            unit_id = f"ou-{tree.root[2:]}-{draw.token(8)}"
            tree.units[unit_id] = (name, parent)
            return unit_id

        def add(name: str, kind: Kind, parent: str) -> None:
            member = Member(id=draw.account_id(), name=name, kind=kind, parent=parent)
            tree.members.append(member)

        security, workloads, sandbox = (unit(n, tree.root) for n in TOP_OUS)
        n_sandbox = max(1, accounts // 10)
        n_workloads = accounts - 2 - n_sandbox
        n_children = 2 if n_workloads <= 10 else 3 if n_workloads <= 40 else 4
        children = [unit(name, workloads) for name in WORKLOAD_OUS[:n_children]]
        add("security", "security", security)
        add("ci", "ci", workloads)
        words = synthetic_account.TEAM_WORDS
        for j in range(n_workloads):
            child = children[j % n_children]
            word = words[j % len(words)] + (str(j // len(words) + 1) if j >= len(words) else "")
            add(f"{word}-{tree.units[child][0].lower()}", "workload", child)
        for k in range(n_sandbox):
            add(f"sandbox-{k + 1:02d}", "sandbox", sandbox)
        return tree

    def path(self, unit_id: str) -> str:
        """An OU's names from the top (``Workloads/Prod``), ``Root`` for the root."""
        name, parent = self.units[unit_id]
        return name if parent is None or parent == self.root else f"{self.path(parent)}/{name}"

    def of(self, *kinds: Kind) -> list[Member]:
        return [m for m in self.members if m.kind in kinds]

    # ---------------------------------------------------------- files

    def arn(self, kind: str, target: str) -> str:
        return f"arn:aws:organizations::{self.management}:{kind}/{self.org_id}/{target}"

    def account_entry(self, draw: Draw, member: Member | None) -> Json:
        account = member.id if member else self.management
        name = member.name if member else "management"
        return {
            "Id": account,
            "Arn": self.arn("account", account),
            "Email": f"aws-{name}@example.com",
            "Name": name,
            "Status": "ACTIVE",
            "JoinedMethod": "CREATED" if member else "INVITED",
            "JoinedTimestamp": draw.date("2021-03-01", 1000),
        }

    def write(self, out: Path, draw: Draw) -> dict[str, int]:
        """Write the management view; returns how many SCPs and RCPs it holds."""
        organization = {
            "Id": self.org_id,
            "Arn": f"arn:aws:organizations::{self.management}:organization/{self.org_id}",
            "FeatureSet": "ALL",
            "MasterAccountArn": self.arn("account", self.management),
            "MasterAccountId": self.management,
            "MasterAccountEmail": "aws-management@example.com",
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
        }
        write_json(out / "organization.json", {"Organization": organization})
        types = [
            {"Type": t, "Status": "ENABLED"}
            for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
        ]
        root = {"Id": self.root, "Arn": self.arn("root", self.root), "Name": "Root"}
        write_json(out / "roots.json", {"Roots": [{**root, "PolicyTypes": types}]})
        entries = {m.id: self.account_entry(draw, m) for m in self.members}
        entries[self.management] = self.account_entry(draw, None)
        for unit_id in self.units:
            ous = [
                {"Id": u, "Arn": self.arn("ou", u), "Name": name}
                for u, (name, parent) in self.units.items()
                if parent == unit_id
            ]
            held = [self.management] if unit_id == self.root else []
            held += [m.id for m in self.members if m.parent == unit_id]
            folder = out / "parents" / unit_id
            write_json(folder / "ous.json", {"OrganizationalUnits": ous})
            write_json(folder / "accounts.json", {"Accounts": [entries[a] for a in held]})
        listed = [entries[self.management], *(entries[m.id] for m in self.members)]
        write_json(out / "accounts.json", {"Accounts": listed})
        return self.write_policies(out, draw)

    def target(self, node: str) -> Json:
        if node in self.units:
            name, parent = self.units[node]
            kind = "root" if parent is None else "ou"
            out_kind = "ROOT" if parent is None else "ORGANIZATIONAL_UNIT"
            return {"TargetId": node, "Arn": self.arn(kind, node), "Name": name, "Type": out_kind}
        name = next((m.name for m in self.members if m.id == node), "management")
        return {"TargetId": node, "Arn": self.arn("account", node), "Name": name, "Type": "ACCOUNT"}

    def write_policies(self, out: Path, draw: Draw) -> dict[str, int]:
        everything = [*self.units, self.management, *(m.id for m in self.members)]
        by_path = {self.path(u): u for u in self.units}
        prod = [m.id for m in self.members if m.parent == by_path["Workloads/Prod"]][::4]
        example = {  # policy id in examples/cks-org: targets here
            "scp/p-FullAWSAccess": everything,
            "scp/p-3k9vbz1m": [self.of("security")[0].id],  # cks-guardrails
            "scp/p-4fj2kd9x": [by_path["Workloads"]],  # workloads-no-store-administration
            "scp/p-9sbx7k2m": [by_path["Sandbox"]],  # sandbox-isolation
            "rcp/p-RCPFullAWSAccess": everything,
            "rcp/p-7h4fw2qc": [self.root],  # data-perimeter-identities
        }
        for name, targets in example.items():
            text = (EXAMPLE / "policies" / f"{name}.json").read_text("utf-8")
            text = text.replace(EXAMPLE_ORG, self.org_id).replace(
                EXAMPLE_MANAGEMENT, self.management
            )
            (out / "policies" / name).parent.mkdir(parents=True, exist_ok=True)
            (out / "policies" / f"{name}.json").write_text(text, encoding="utf-8")
            self.write_targets(out / "policies" / f"{name}.targets.json", targets)
        added = (
            (
                "deny-leave-organization",
                "No member account leaves the organization",
                ["organizations:LeaveOrganization"],
                [self.root],
            ),
            (
                "prod-no-long-term-credentials",
                "Production accounts create no IAM users, access keys or console passwords",
                ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"],
                prod,
            ),
        )
        for name, description, actions, targets in added:
            policy_id = "p-" + draw.token(8)
            summary = {
                "Id": policy_id,
                "Arn": self.arn("policy", f"service_control_policy/{policy_id}"),
                "Name": name,
                "Description": description,
                "Type": "SERVICE_CONTROL_POLICY",
                "AwsManaged": False,
            }
            deny = {"Sid": "Deny", "Effect": "Deny", "Action": actions, "Resource": "*"}
            content = json.dumps(doc(deny), indent=4)
            path = out / "policies" / "scp" / f"{policy_id}.json"
            write_json(path, {"Policy": {"PolicySummary": summary, "Content": content}})
            self.write_targets(path.with_suffix(".targets.json"), targets)
        scps = sum(1 for name in example if name.startswith("scp/")) + len(added)
        return {"scp": scps, "rcp": len(example) + len(added) - scps}

    def write_targets(self, path: Path, targets: list[str]) -> None:
        write_json(path, {"Targets": [self.target(t) for t in targets]})
