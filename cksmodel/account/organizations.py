"""Organizations: the SCP and RCP levels above the account, one policy file each.

``organizations/scp/`` and ``organizations/rcp/`` hold one folder per level
(``NN-TARGET``: the root, each OU from the top, the account last), each
holding the ``aws organizations describe-policy`` output of every policy
attached there. Missing levels are warnings, not errors: without them the
guardrails are taken to allow everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from cksmodel.account.files import file_start, read_file
from cksmodel.account.model import BundleError
from cksmodel.policy.ir import Policy, PolicyType

ORG_POLICY_TYPES = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}

_LEVEL_DIR = re.compile(r"^(\d{2})-(\S+)$")


def no_policies_warning(kind: Literal["scp", "rcp"], where: str) -> str:
    """The warning for SCPs or RCPs that were not collected; ``where`` names the folder."""
    if kind == "scp":
        return (
            f"no SCPs {where}: organization guardrails are assumed to "
            "allow everything, so REFUTED results (someone can ...) may be blocked by SCPs in "
            "reality, and PROVED results (nobody can ...) still hold"
        )
    return (
        f"no RCPs {where}: resource control policies are assumed to "
        "allow everything (as RCPFullAWSAccess does), so REFUTED results (someone can ...) may "
        "be blocked by RCPs in reality, and PROVED results (nobody can ...) still hold"
    )


def read_organizations(
    root: Path,
    warn: Callable[[str], None],
    account_id: str,
    organization: str | None,
    management: str | None,
) -> tuple[tuple[tuple[Policy, ...], ...], tuple[tuple[Policy, ...], ...]]:
    """The SCP levels and the RCP levels, top level first; warns of missing ones.

    Missing levels are not warned about for the management account, which SCPs
    and RCPs do not affect.
    """
    scps = _levels(root, "scp")
    rcps = _levels(root, "rcp")
    exempt = management is not None and management == account_id
    if organization is None and scps is None and rcps is None:
        warn(
            "account.json names no organization_id and there is no organizations/ folder: "
            "the account is taken to be outside any organization (no SCPs, no RCPs); if it "
            "is a member, REFUTED results (someone can ...) may be blocked by SCPs or RCPs "
            "in reality, and PROVED results (nobody can ...) still hold"
        )
    elif not exempt:
        if scps is None:
            warn(no_policies_warning("scp", "in the bundle (organizations/scp/)"))
        if rcps is None:
            warn(no_policies_warning("rcp", "in the bundle (organizations/rcp/)"))
    return scps or (), rcps or ()


def _levels(root: Path, kind: Literal["scp", "rcp"]) -> tuple[tuple[Policy, ...], ...] | None:
    base = root / "organizations" / kind
    if not base.is_dir():
        return None
    levels: list[tuple[int, Path]] = []
    for folder in sorted(base.iterdir()):
        if folder.name.startswith("."):
            continue
        found = _LEVEL_DIR.match(folder.name)
        if not folder.is_dir() or found is None:
            raise BundleError(
                f"{folder} is not a level folder; expected folders named NN-TARGET "
                "(00-r-abcd for the root, then each OU, the account last)",
                span=file_start(str(folder)),
            )
        number = int(found.group(1))
        if any(number == n for n, _ in levels):
            raise BundleError(
                f"{folder}: two level folders are numbered {found.group(1)}",
                span=file_start(str(folder)),
            )
        levels.append((number, folder))
    out = []
    for _, folder in sorted(levels):
        level = tuple(
            read_org_policy(path, kind, folder.name, f"organizations/{kind}/")
            for path in sorted(folder.iterdir())
            if not path.name.startswith(".")
        )
        if kind == "scp" and not level:
            raise BundleError(
                f"{folder} holds no SCP; AWS requires at least one SCP at every level "
                "(FullAWSAccess unless replaced), and an empty level would deny everything",
                span=file_start(str(folder)),
            )
        out.append(level)
    return tuple(out)


def read_org_policy(path: Path, kind: Literal["scp", "rcp"], label: str, folder: str) -> Policy:
    """One ``aws organizations describe-policy`` output, named ``KIND/LABEL/NAME``.

    ``folder`` names where the file lies, for the error when its type is not ``kind``.
    """
    if path.suffix != ".json" or not path.is_file():
        raise BundleError(
            f"{path} is not a .json file; {folder} holds one "
            "`aws organizations describe-policy` output per policy",
            span=file_start(str(path)),
        )
    doc = read_file(path)
    top = doc.root_obj("the output of `aws organizations describe-policy`")
    body = doc.obj(top, "Policy", "the describe-policy output")
    summary = doc.obj(body, "PolicySummary", "Policy")
    name = doc.opt_text(summary, "Name") or doc.text(summary, "Id", "PolicySummary")
    expected = ORG_POLICY_TYPES[kind]
    declared = doc.opt_text(summary, "Type")
    if declared is not None and declared != expected:
        raise doc.fail(
            f"policy {name} is of type {declared}, but {folder} holds {expected} policies",
            summary,
            "Type",
        )
    ptype = PolicyType.SCP if kind == "scp" else PolicyType.RCP
    return doc.policy(body, "Content", ptype, f"{kind}/{label}/{name}")
