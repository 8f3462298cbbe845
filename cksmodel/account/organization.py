"""Organization bundles: the management account's view of an organization, and its members.

An organization bundle is a directory of unmodified AWS CLI output, collected
with management-account credentials (``examples/collect-org.sh`` writes one)::

    organization.json                    aws organizations describe-organization
    roots.json                           aws organizations list-roots
    parents/PARENT_ID/ous.json           aws organizations list-organizational-units-for-parent
    parents/PARENT_ID/accounts.json      aws organizations list-accounts-for-parent
                                         (PARENT_ID: each root, then every OU found)
    accounts.json                        aws organizations list-accounts
    policies/scp/POLICY_ID.json          aws organizations describe-policy --policy-id ID
    policies/scp/POLICY_ID.targets.json  aws organizations list-targets-for-policy --policy-id ID
    policies/rcp/...                     the same for resource control policies
    accounts/ACCOUNT_ID/                 an account bundle of each member
                                         (:mod:`~cksmodel.account.bundle`)

:func:`read_organization` reads the tree, the accounts and the policies, and
checks that they agree with each other and with the member bundles; every
inconsistency is a :class:`~cksmodel.account.model.BundleError` naming the file,
line and column. :func:`load_member` loads one member bundle with the SCP and
RCP levels of its place in the tree, in the shape ``Account.scps`` has (root,
each OU from the top, the account itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from cksmodel.account.bundle import ACCOUNT_ID, ORG_ID, load_bundle
from cksmodel.account.files import BundleFile, file_start, missing_file, read_file
from cksmodel.account.model import Account, BundleError
from cksmodel.account.organizations import no_policies_warning, read_org_policy
from cksmodel.policy.ir import Policy
from cksmodel.policy.jsontext import PDict
from cksmodel.source import Span

__all__ = ["MemberAccount", "OrgUnit", "Organization", "load_member", "read_organization"]

Levels = tuple[tuple[Policy, ...], ...]

_ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$")
_TARGETS = ".targets.json"


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgUnit:
    """A root (``parent_id`` None) or an organizational unit."""

    id: str
    name: str
    parent_id: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberAccount:
    """An account of the organization and where it sits in the tree."""

    id: str
    name: str
    status: str
    path: tuple[str, ...]
    """The root id, then each OU id from the top down to the account's parent."""
    bundle: Path | None
    """The member's account bundle (``accounts/ID/``), None when not collected."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Organization:
    """Everything an organization bundle says about the organization."""

    organization_id: str
    management_account: str
    partition: str
    roots: tuple[str, ...]
    units: tuple[OrgUnit, ...]
    """The roots and every OU, in the order the tree was read (parents first)."""
    accounts: tuple[MemberAccount, ...]
    scps: dict[str, tuple[Policy, ...]] = field(default_factory=dict, hash=False)
    """The SCPs attached to each target id (root, OU or account); empty if none collected."""
    rcps: dict[str, tuple[Policy, ...]] = field(default_factory=dict, hash=False)
    warnings: tuple[str, ...] = ()
    root: Path = Path(".")

    def account(self, account_id: str) -> MemberAccount | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def member_ids(self) -> tuple[str, ...]:
        """The accounts with a bundle folder, sorted."""
        return tuple(sorted(a.id for a in self.accounts if a.bundle is not None))

    def unit(self, unit_id: str) -> OrgUnit | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def levels(self, account_id: str) -> tuple[Levels, Levels]:
        """The SCP and RCP levels of an account: root, each OU from the top, the account.

        No levels for the management account, which SCPs and RCPs do not restrict,
        and none of a kind the bundle did not collect (taken to allow everything).
        """
        member = self._member(account_id)
        if account_id == self.management_account:
            return (), ()
        chain = (*member.path, member.id)
        scps = tuple(self.scps.get(t, ()) for t in chain) if self.scps else ()
        rcps = tuple(self.rcps.get(t, ()) for t in chain) if self.rcps else ()
        return scps, rcps

    def ou_path(self, account_id: str) -> tuple[str, ...]:
        """The names of the root and each OU above the account, for display."""
        names = {u.id: u.name for u in self.units}
        return tuple(names[i] for i in self._member(account_id).path)

    def _member(self, account_id: str) -> MemberAccount:
        member = self.account(account_id)
        if member is None:
            raise BundleError(
                f"account {account_id} is not in {self.root / 'accounts.json'}",
                span=file_start(str(self.root / "accounts.json")),
            )
        return member


def load_member(org: Organization, account_id: str) -> Account:
    """A member's account bundle, with the SCP and RCP levels the organization gives it."""
    member = org._member(account_id)
    if member.bundle is None:
        folder = org.root / "accounts" / account_id
        raise missing_file(folder, f"collect the bundle of account {account_id} there")
    account = load_bundle(member.bundle, levels=org.levels(account_id))
    return replace(
        account,
        organization_id=org.organization_id,
        management_account=org.management_account,
    )


def _list(path: Path, key: str, command: str) -> tuple[BundleFile, list[tuple[int, PDict]]]:
    """The objects listed under ``key`` in the output of ``command``, checked complete."""
    if not path.is_file():
        raise missing_file(path, f"write the output of `{command}` there")
    doc = read_file(path)
    top = doc.root_obj(f"the output of `{command}`")
    if top.get("NextToken") is not None:
        raise doc.fail(
            f"the output is truncated (NextToken is set); run `{command}` without "
            "--max-items or --no-paginate so the AWS CLI fetches every page",
            top,
            "NextToken",
        )
    return doc, list(doc.objects(top, key, f"the output of `{command}`"))


def _id(doc: BundleFile, item: PDict, key: str, pattern: re.Pattern[str], form: str) -> str:
    value = doc.text(item, key, "the entry")
    if not pattern.match(value):
        raise doc.fail(f"{key} must be {form}, not {value!r}", item, key)
    return value


@dataclass(kw_only=True, slots=True)
class _Reader:
    """The state of one :func:`read_organization` run."""

    root: Path
    warn: Callable[[str], None]
    units: list[OrgUnit] = field(default_factory=list)
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each placed root, OU and account: the ids above it."""
    placed: dict[str, Span] = field(default_factory=dict)
    placed_accounts: dict[str, Span] = field(default_factory=dict)

    def place(
        self, doc: BundleFile, item: PDict, key: str, node: str, path: tuple[str, ...]
    ) -> None:
        span = doc.span(item, key)
        if node in self.placed:
            first = self.placed[node]
            raise doc.fail(
                f"{node} is reached twice: already placed at {first.source}:{first.line}:"
                f"{first.column}; each account and OU has exactly one parent",
                item,
                key,
            )
        self.placed[node] = span
        self.paths[node] = path

    def tree(self, roots: list[str]) -> None:
        pending = list(roots)
        while pending:
            parent = pending.pop(0)
            folder = self.root / "parents" / parent
            below = (*self.paths[parent], parent)
            command = "aws organizations list-organizational-units-for-parent --parent-id"
            doc, ous = _list(folder / "ous.json", "OrganizationalUnits", f"{command} {parent}")
            for _, item in ous:
                unit = _id(doc, item, "Id", _OU_ID, "an OU id such as ou-a1b2-f6g7h8i9")
                self.place(doc, item, "Id", unit, below)
                name = doc.opt_text(item, "Name") or unit
                self.units.append(OrgUnit(id=unit, name=name, parent_id=parent))
                pending.append(unit)
            command = f"aws organizations list-accounts-for-parent --parent-id {parent}"
            doc, accounts = _list(folder / "accounts.json", "Accounts", command)
            for _, item in accounts:
                account = _id(doc, item, "Id", ACCOUNT_ID, "a 12-digit account id")
                self.place(doc, item, "Id", account, below)
                self.placed_accounts[account] = doc.span(item, "Id")
        parents = self.root / "parents"
        for folder in sorted(parents.iterdir()):
            if folder.name.startswith("."):
                continue
            if folder.name not in self.paths or folder.name in self.placed_accounts:
                raise BundleError(
                    f"{folder} is the folder of {folder.name}, which is neither a root nor an "
                    "OU of the organization (list-roots and the ous.json files name none such)",
                    span=file_start(str(folder)),
                )

    def policies(
        self, kind: Literal["scp", "rcp"], known: set[str]
    ) -> dict[str, tuple[Policy, ...]]:
        folder = self.root / "policies" / kind
        attached: dict[str, list[Policy]] = {}
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        for path in files:
            if path.name.startswith(".") or path.name.endswith(_TARGETS):
                if path.name.endswith(_TARGETS):
                    policy_file = path.with_name(path.name[: -len(_TARGETS)] + ".json")
                    if not policy_file.is_file():
                        raise BundleError(
                            f"{path} lists the targets of a policy that {policy_file} "
                            "does not hold; write the describe-policy output there",
                            span=file_start(str(path)),
                        )
                continue
            policy = read_org_policy(path, kind, path.stem, f"policies/{kind}/")
            command = f"aws organizations list-targets-for-policy --policy-id {path.stem}"
            doc, targets = _list(path.with_name(path.stem + _TARGETS), "Targets", command)
            for _, item in targets:
                target = doc.text(item, "TargetId", "the target")
                if target not in known:
                    raise doc.fail(
                        f"target {target} is no root, OU or account of the organization",
                        item,
                        "TargetId",
                    )
                label = f"{len(self.paths[target]):02d}-{target}"
                name = f"{kind}/{label}/{policy.name.rpartition('/')[2]}"
                attached.setdefault(target, []).append(replace(policy, name=name))
        if not attached:
            self.warn(no_policies_warning(kind, f"in the organization bundle ({folder}/)"))
        return {target: tuple(found) for target, found in attached.items()}


def _member_bundle(folder: Path, warn: Callable[[str], None], org_id: str, management: str) -> None:
    """Checks that a member's ``account.json`` describes the account of its folder."""
    path = folder / "account.json"
    if not path.is_file():
        raise missing_file(path, f'write {{"account_id": "{folder.name}"}} there')
    doc = read_file(path)
    top = doc.root_obj("the account description")
    expected = (
        ("account_id", doc.text(top, "account_id", "account.json"), folder.name),
        ("organization_id", doc.opt_text(top, "organization_id"), org_id),
        ("management_account", doc.opt_text(top, "management_account"), management),
    )
    for key, found, value in expected:
        if found is not None and found != value:
            raise doc.fail(
                f"{key} is {found!r}, but the organization bundle holds this folder for "
                f"{key.replace('_', ' ')} {value!r}",
                top,
                key,
            )
    if (folder / "organizations").exists():
        warn(
            f"{folder / 'organizations'} is ignored: the SCPs and RCPs of the organization "
            "bundle apply to the member accounts"
        )


def read_organization(path: str | Path) -> Organization:
    """Read an organization bundle directory (see the module docstring for its layout)."""
    root = Path(path)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise BundleError(
            f"organization bundle directory {root} {what}; expected a folder holding "
            "organization.json, roots.json, accounts.json, parents/ and accounts/",
            span=file_start(str(root)),
        )
    warnings: list[str] = []
    reader = _Reader(root=root, warn=warnings.append)
    command = "aws organizations describe-organization"
    path_ = root / "organization.json"
    if not path_.is_file():
        raise missing_file(path_, f"write the output of `{command}` there")
    doc = read_file(path_)
    org = doc.obj(doc.root_obj(f"the output of `{command}`"), "Organization", command)
    org_id = _id(doc, org, "Id", ORG_ID, "an organization id such as o-exampleorgid")
    management = _id(doc, org, "MasterAccountId", ACCOUNT_ID, "a 12-digit account id")
    arn = doc.opt_text(org, "Arn") or "arn:aws:"
    partition = arn.split(":")[1] if arn.count(":") >= 2 else "aws"

    doc, roots = _list(root / "roots.json", "Roots", "aws organizations list-roots")
    root_ids = []
    for _, item in roots:
        root_id = _id(doc, item, "Id", _ROOT_ID, "a root id such as r-a1b2")
        reader.place(doc, item, "Id", root_id, ())
        reader.units.append(
            OrgUnit(id=root_id, name=doc.opt_text(item, "Name") or root_id, parent_id=None)
        )
        root_ids.append(root_id)
    reader.tree(root_ids)

    command = "aws organizations list-accounts"
    doc, listed = _list(root / "accounts.json", "Accounts", command)
    accounts_dir = root / "accounts"
    accounts: list[MemberAccount] = []
    for _, item in listed:
        account_id = _id(doc, item, "Id", ACCOUNT_ID, "a 12-digit account id")
        if account_id not in reader.placed_accounts:
            raise doc.fail(
                f"account {account_id} is never placed: no parents/*/accounts.json lists it",
                item,
                "Id",
            )
        if any(a.id == account_id for a in accounts):
            raise doc.fail(f"account {account_id} is listed twice", item, "Id")
        name = doc.opt_text(item, "Name") or account_id
        status = doc.opt_text(item, "Status") or doc.opt_text(item, "State") or "UNKNOWN"
        folder = accounts_dir / account_id
        bundle = folder if folder.is_dir() else None
        if bundle is None and status == "ACTIVE":
            warnings.append(
                f"account {account_id} ({name}) is ACTIVE but has no bundle folder "
                f"{folder}: its principals stay outside principals in the analysis "
                "(their own policies are taken to allow what they ask)"
            )
        path_ids = reader.paths[account_id]
        accounts.append(
            MemberAccount(id=account_id, name=name, status=status, path=path_ids, bundle=bundle)
        )
    known_accounts = {a.id for a in accounts}
    for account_id, span in reader.placed_accounts.items():
        if account_id not in known_accounts:
            raise BundleError(
                f"account {account_id} is placed in the tree but {root / 'accounts.json'} "
                "does not list it",
                span=span,
            )
    if accounts_dir.is_dir():
        for folder in sorted(accounts_dir.iterdir()):
            if folder.name.startswith("."):
                continue
            if folder.name not in known_accounts or not folder.is_dir():
                raise BundleError(
                    f"{folder} is not the bundle folder of an account of {root / 'accounts.json'}",
                    span=file_start(str(folder)),
                )
            _member_bundle(folder, warnings.append, org_id, management)

    known = set(reader.placed)
    scps = reader.policies("scp", known)
    rcps = reader.policies("rcp", known)
    if scps:
        for node, span in reader.placed.items():
            if node not in scps:
                raise BundleError(
                    f"no SCP is attached to {node}; AWS keeps at least one SCP on every root, "
                    "OU and account (FullAWSAccess unless replaced), and an empty level would "
                    "deny everything: is a targets file incomplete?",
                    span=span,
                )
    return Organization(
        organization_id=org_id,
        management_account=management,
        partition=partition,
        roots=tuple(root_ids),
        units=tuple(reader.units),
        accounts=tuple(accounts),
        scps=scps,
        rcps=rcps,
        warnings=tuple(warnings),
        root=root,
    )
