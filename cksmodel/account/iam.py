"""IAM: ``aws iam get-account-authorization-details`` read into users, roles and groups.

One file says everything IAM knows: managed policies (of which the default
version is in force), groups, users and roles with their inline and attached
policies, permissions boundaries, trust policies and tags. :func:`read_iam`
resolves the references between them (attached policies, group membership,
boundaries), so that each :class:`~cksmodel.account.model.IamPrincipal` holds
every identity policy that applies to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cksmodel.account.files import BundleFile, describe, missing_file, read_file
from cksmodel.account.model import Group, IamPrincipal
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.jsontext import PDict


@dataclass(frozen=True, kw_only=True, slots=True)
class IamDetails:
    """Users and roles (sorted by kind, then ARN), groups and managed policies by ARN."""

    principals: tuple[IamPrincipal, ...]
    groups: tuple[Group, ...]
    managed_policies: dict[str, Policy] = field(hash=False)
    stored_versions: dict[str, tuple[tuple[str, Policy], ...]] = field(hash=False)


def read_iam(root: Path, warn: Callable[[str], None], account_id: str) -> IamDetails:
    """Read ``iam/account-authorization-details.json`` of the bundle at ``root``."""
    path = root / "iam" / "account-authorization-details.json"
    if not path.exists():
        raise missing_file(
            path, "save the output of `aws iam get-account-authorization-details` there"
        )
    return _IamReader(read_file(path), account_id).read(warn)


def _unique(policies: Iterable[Policy]) -> tuple[Policy, ...]:
    """Policies in order, each name once (a managed policy reached twice counts once)."""
    seen: set[str] = set()
    out = []
    for policy in policies:
        if policy.name not in seen:
            seen.add(policy.name)
            out.append(policy)
    return tuple(out)


class _IamReader:
    def __init__(self, doc: BundleFile, account_id: str) -> None:
        self.doc = doc
        self.account_id = account_id
        self.managed: dict[str, Policy] = {}
        self.default_versions: dict[str, PDict] = {}
        self.stored: dict[str, tuple[tuple[str, Policy], ...]] = {}
        self.boundaries: dict[str, Policy] = {}

    def read(self, warn: Callable[[str], None]) -> IamDetails:
        doc = self.doc
        top = doc.root_obj("the output of `aws iam get-account-authorization-details`")
        doc.not_truncated(top, "IsTruncated", "aws iam get-account-authorization-details")
        for key, what in (
            ("UserDetailList", "no IAM users"),
            ("GroupDetailList", "no IAM groups"),
            ("RoleDetailList", "no IAM roles"),
            ("Policies", "no managed policies"),
        ):
            if key not in top:
                warn(
                    f"{doc.source} has no {key} (collected with --filter?): the account is taken "
                    f"to have {what}, so answers about them may be wrong"
                )
        for index, entry in doc.objects(top, "Policies", "the IAM details", required=False):
            self.managed_policy(entry, index)
        groups: dict[str, tuple[str, tuple[Policy, ...]]] = {}
        for _, entry in doc.objects(top, "GroupDetailList", "the IAM details", required=False):
            name = doc.text(entry, "GroupName", "a group")
            if name.casefold() in {g.casefold() for g in groups}:
                raise doc.fail(f"group {name!r} is listed twice", entry, "GroupName")
            arn = doc.text(entry, "Arn", f"group {name}")
            self.check_arn(entry, "group", name)
            inline = self.inline(entry, "GroupPolicyList", f"group/{name}")
            groups[name] = (arn, inline + self.attached(entry, f"group {name}"))
        principals: dict[str, IamPrincipal] = {}
        for key in ("UserDetailList", "RoleDetailList"):
            for _, entry in doc.objects(top, key, "the IAM details", required=False):
                if key == "UserDetailList":
                    principal = self.user(entry, groups)
                else:
                    principal = self.role(entry)
                if principal.arn in principals:
                    raise doc.fail(f"{principal.arn} is listed twice", entry, "Arn")
                principals[principal.arn] = principal
        return IamDetails(
            principals=tuple(sorted(principals.values(), key=lambda p: (p.kind, p.arn))),
            groups=tuple(
                Group(name=name, arn=arn, policies=_unique(policies))
                for name, (arn, policies) in sorted(groups.items())
            ),
            managed_policies=dict(sorted(self.managed.items())),
            stored_versions=dict(sorted(self.stored.items())),
        )

    def managed_policy(self, entry: PDict, index: int) -> None:
        doc = self.doc
        arn = doc.text(entry, "Arn", f"managed policy {index}")
        if arn in self.managed:
            raise doc.fail(f"managed policy {arn} is listed twice", entry, "Arn")
        versions = doc.items(entry, "PolicyVersionList", f"managed policy {arn}")
        defaults: list[PDict] = []
        for vindex, version in enumerate(versions):
            if not isinstance(version, PDict):
                raise doc.fail(
                    f"each policy version must be an object, not {describe(version)}",
                    versions,
                    vindex,
                )
            flag = version.get("IsDefaultVersion")
            if not isinstance(flag, bool):
                raise doc.fail(
                    f"IsDefaultVersion must be true or false, not {describe(flag)}",
                    version,
                    "IsDefaultVersion",
                )
            if flag:
                defaults.append(version)
        if len(defaults) != 1:
            raise doc.fail(
                f"managed policy {arn}: expected exactly one version with IsDefaultVersion "
                f"true, found {len(defaults)}",
                entry,
                "PolicyVersionList",
            )
        default = defaults[0]
        declared = doc.opt_text(entry, "DefaultVersionId")
        version_id = doc.opt_text(default, "VersionId")
        if declared is not None and version_id is not None and declared != version_id:
            raise doc.fail(
                f"managed policy {arn}: DefaultVersionId is {declared!r} but the version "
                f"marked IsDefaultVersion is {version_id!r}",
                entry,
                "DefaultVersionId",
            )
        name = f"managed/{arn}"
        self.managed[arn] = doc.policy(default, "Document", PolicyType.IDENTITY, name)
        self.default_versions[arn] = default
        others = []
        for vindex, version in enumerate(versions):
            if version is default or "Document" not in version:
                continue
            vid = doc.opt_text(version, "VersionId") or f"#{vindex}"
            others.append(
                (vid, doc.policy(version, "Document", PolicyType.IDENTITY, f"{name}@{vid}"))
            )
        if others:
            self.stored[arn] = tuple(others)

    def boundary(self, entry: PDict, owner: str) -> Policy | None:
        doc = self.doc
        raw = doc.opt_obj(entry, "PermissionsBoundary")
        if raw is None:
            return None
        arn = doc.text(raw, "PermissionsBoundaryArn", f"the permissions boundary of {owner}")
        if arn not in self.default_versions:
            raise doc.fail(
                f"the permissions boundary of {owner} is {arn}, which is not in Policies; "
                "collect without --filter so every attached managed policy is listed",
                raw,
                "PermissionsBoundaryArn",
            )
        if arn not in self.boundaries:
            self.boundaries[arn] = doc.policy(
                self.default_versions[arn], "Document", PolicyType.BOUNDARY, f"boundary/{arn}"
            )
        return self.boundaries[arn]

    def inline(self, entry: PDict, key: str, owner: str) -> tuple[Policy, ...]:
        doc = self.doc
        out = []
        for _, item in doc.objects(entry, key, owner, required=False):
            name = doc.text(item, "PolicyName", f"an inline policy of {owner}")
            out.append(
                doc.policy(item, "PolicyDocument", PolicyType.IDENTITY, f"{owner}/inline/{name}")
            )
        return tuple(out)

    def attached_arns(self, entry: PDict, owner: str) -> tuple[str, ...]:
        return tuple(
            self.doc.text(item, "PolicyArn", f"a managed policy attached to {owner}")
            for _, item in self.doc.objects(entry, "AttachedManagedPolicies", owner, required=False)
        )

    def attached(self, entry: PDict, owner: str) -> tuple[Policy, ...]:
        doc = self.doc
        out = []
        for _, item in doc.objects(entry, "AttachedManagedPolicies", owner, required=False):
            arn = doc.text(item, "PolicyArn", f"a managed policy attached to {owner}")
            policy = self.managed.get(arn)
            if policy is None:
                raise doc.fail(
                    f"{arn} is attached to {owner} but is not in Policies; collect without "
                    "--filter so every attached managed policy is listed",
                    item,
                    "PolicyArn",
                )
            out.append(policy)
        return tuple(out)

    def check_arn(self, entry: PDict, kind: str, name: str) -> str:
        """Check an IAM entity's ARN against the account and name; return its path."""
        doc = self.doc
        arn = doc.text(entry, "Arn", f"{kind} {name}")
        parts = arn.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        if len(parts) != 6 or parts[2] != "iam" or not resource.startswith(f"{kind}/"):
            raise doc.fail(f"{arn!r} is not the ARN of an IAM {kind}", entry, "Arn")
        if parts[4] != self.account_id:
            raise doc.fail(
                f"{arn} belongs to account {parts[4]}, but account.json says {self.account_id}",
                entry,
                "Arn",
            )
        path, _, last = ("/" + resource.partition("/")[2]).rpartition("/")
        if last != name:
            raise doc.fail(f"{arn} does not end with the {kind} name {name!r}", entry, "Arn")
        return path + "/"

    def tags(self, entry: PDict) -> dict[str, str]:
        doc = self.doc
        out: dict[str, str] = {}
        for _, tag in doc.objects(entry, "Tags", "Tags", required=False):
            key = doc.text(tag, "Key", "a tag")
            value = tag.get("Value")
            if not isinstance(value, str):
                raise doc.fail(f"tag {key!r} needs a string Value", tag, "Value")
            out[key] = value
        return out

    def user(
        self, entry: PDict, groups: Mapping[str, tuple[str, tuple[Policy, ...]]]
    ) -> IamPrincipal:
        doc = self.doc
        name = doc.text(entry, "UserName", "a user")
        path = self.check_arn(entry, "user", name)
        owner = f"user/{name}"
        policies = list(self.inline(entry, "UserPolicyList", owner))
        policies += self.attached(entry, f"user {name}")
        member_of = doc.texts(entry, "GroupList")
        by_fold = {g.casefold(): g for g in groups}
        items = doc.items(entry, "GroupList", owner, required=False)
        for index, group in enumerate(member_of):
            canonical = by_fold.get(group.casefold())
            if canonical is None:
                raise doc.fail(
                    f"user {name} is in group {group!r}, which is not in GroupDetailList",
                    items,
                    index,
                )
            policies += groups[canonical][1]
        return IamPrincipal(
            kind="user",
            arn=entry["Arn"],
            name=name,
            path=path,
            account=self.account_id,
            unique_id=doc.opt_text(entry, "UserId"),
            policies=_unique(policies),
            boundary=self.boundary(entry, f"user {name}"),
            groups=member_of,
            attached=self.attached_arns(entry, f"user {name}"),
            tags=self.tags(entry),
        )

    def role(self, entry: PDict) -> IamPrincipal:
        doc = self.doc
        name = doc.text(entry, "RoleName", "a role")
        path = self.check_arn(entry, "role", name)
        owner = f"role/{name}"
        policies = list(self.inline(entry, "RolePolicyList", owner))
        policies += self.attached(entry, f"role {name}")
        trust = doc.policy(entry, "AssumeRolePolicyDocument", PolicyType.TRUST, f"{owner}/trust")
        return IamPrincipal(
            kind="role",
            arn=entry["Arn"],
            name=name,
            path=path,
            account=self.account_id,
            unique_id=doc.opt_text(entry, "RoleId"),
            policies=_unique(policies),
            boundary=self.boundary(entry, f"role {name}"),
            trust_policy=trust,
            tags=self.tags(entry),
            attached=self.attached_arns(entry, f"role {name}"),
            instance_profiles=tuple(
                doc.text(item, "Arn", f"an instance profile of role {name}")
                for _, item in doc.objects(
                    entry, "InstanceProfileList", f"role {name}", required=False
                )
            ),
        )
