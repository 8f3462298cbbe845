"""Organization bundles: the two example organizations, errors with positions, warnings,
members loaded with their levels, collect-org.sh against a stand-in AWS CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_aws import needs_bash, run_with_fake_aws

from cksmodel.account.model import BundleError
from cksmodel.account.organization import Organization, load_member, read_organization
from cksmodel.account.organizations import no_policies_warning

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOOD = EXAMPLES / "cks-org"
BROKEN = EXAMPLES / "cks-org-broken"

MGMT, SEC, PAY, LED, SBX = (
    "999999999999",
    "111122223333",
    "222233334444",
    "333344445555",
    "444455556666",
)
ROOT = "r-a1b2"
SECURITY, WORKLOADS, SANDBOX = "ou-a1b2-security1", "ou-a1b2-workload1", "ou-a1b2-sandbox01"


@pytest.fixture(scope="module", params=[GOOD, BROKEN], ids=["compliant", "broken"])
def example(request: pytest.FixtureRequest) -> Organization:
    root: Path = request.param
    return read_organization(root)


def names(levels: tuple[tuple[Any, ...], ...]) -> list[list[str]]:
    return [[p.name for p in level] for level in levels]


# --- the example organizations ---------------------------------------------------------

OU_PATHS = {
    MGMT: ("Root",),
    SEC: ("Root", "Security"),
    PAY: ("Root", "Workloads"),
    LED: ("Root", "Workloads"),
    SBX: ("Root", "Sandbox"),
}


def scp_levels(ou: str, account: str, *ou_extra: str, account_extra: str = "") -> list[list[str]]:
    return [
        ["scp/00-r-a1b2/FullAWSAccess"],
        [*(f"scp/01-{ou}/{n}" for n in ou_extra), f"scp/01-{ou}/FullAWSAccess"],
        [
            *([f"scp/02-{account}/{account_extra}"] if account_extra else []),
            f"scp/02-{account}/FullAWSAccess",
        ],
    ]


def rcp_levels(ou: str, account: str) -> list[list[str]]:
    return [
        ["rcp/00-r-a1b2/data-perimeter-identities", "rcp/00-r-a1b2/RCPFullAWSAccess"],
        [f"rcp/01-{ou}/RCPFullAWSAccess"],
        [f"rcp/02-{account}/RCPFullAWSAccess"],
    ]


LEVELS = {
    MGMT: ([], []),
    SEC: (
        scp_levels(SECURITY, SEC, account_extra="cks-guardrails"),
        rcp_levels(SECURITY, SEC),
    ),
    PAY: (
        scp_levels(WORKLOADS, PAY, "workloads-no-store-administration"),
        rcp_levels(WORKLOADS, PAY),
    ),
    LED: (
        scp_levels(WORKLOADS, LED, "workloads-no-store-administration"),
        rcp_levels(WORKLOADS, LED),
    ),
    SBX: (scp_levels(SANDBOX, SBX, "sandbox-isolation"), rcp_levels(SANDBOX, SBX)),
}


def test_example_tree(example: Organization) -> None:
    assert example.organization_id == "o-exampleorgid"
    assert example.management_account == MGMT
    assert example.partition == "aws"
    assert example.roots == (ROOT,)
    assert [(u.id, u.name, u.parent_id) for u in example.units] == [
        (ROOT, "Root", None),
        (SECURITY, "Security", ROOT),
        (WORKLOADS, "Workloads", ROOT),
        (SANDBOX, "Sandbox", ROOT),
    ]
    assert sorted(a.id for a in example.accounts) == sorted(OU_PATHS)
    assert all(a.status == "ACTIVE" for a in example.accounts)
    assert example.member_ids() == (SEC, PAY, LED, SBX)
    management = example.account(MGMT)
    assert management is not None and management.bundle is None


@pytest.mark.parametrize("account", sorted(OU_PATHS))
def test_example_paths_and_levels(example: Organization, account: str) -> None:
    assert example.ou_path(account) == OU_PATHS[account]
    member = example.account(account)
    assert member is not None
    ous = {SEC: SECURITY, PAY: WORKLOADS, LED: WORKLOADS, SBX: SANDBOX}
    assert member.path == ((ROOT, ous[account]) if account in ous else (ROOT,))
    scps, rcps = example.levels(account)
    assert (names(scps), names(rcps)) == LEVELS[account]


def test_example_warns_only_of_the_management_account(example: Organization) -> None:
    assert len(example.warnings) == 1
    assert f"account {MGMT} (management) is ACTIVE but has no bundle folder" in example.warnings[0]
    assert "stay outside principals" in example.warnings[0]


@pytest.mark.parametrize("account", [SEC, PAY, LED, SBX])
def test_load_member_gives_the_members_levels(example: Organization, account: str) -> None:
    loaded = load_member(example, account)
    assert loaded.account_id == account
    assert (names(loaded.scps), names(loaded.rcps)) == LEVELS[account]
    assert loaded.organization_id == "o-exampleorgid"
    assert loaded.management_account == MGMT
    assert not any("SCP" in w or "RCP" in w for w in loaded.warnings), loaded.warnings


def test_load_member_refuses_an_account_without_bundle(example: Organization) -> None:
    with pytest.raises(BundleError, match=f"accounts/{MGMT} is missing"):
        load_member(example, MGMT)
    with pytest.raises(BundleError, match="is not in"):
        example.levels("123456789012")


def trust_statements(org: Path) -> list[str]:
    details = json.loads(
        (org / f"accounts/{SEC}/iam/account-authorization-details.json").read_text()
    )
    role = next(r for r in details["RoleDetailList"] if r["RoleName"] == "cks-store-manager")
    return [json.dumps(s["Principal"]) for s in role["AssumeRolePolicyDocument"]["Statement"]]


def test_broken_twin_differs_by_the_cross_account_trust() -> None:
    deployer = f"arn:aws:iam::{PAY}:role/deployer"
    assert not any(deployer in s for s in trust_statements(GOOD))
    assert any(deployer in s for s in trust_statements(BROKEN))
    good, broken = (load_member(read_organization(o), PAY) for o in (GOOD, BROKEN))
    allowed = []
    for account in (good, broken):
        deployer = account.principal("deployer")
        assert deployer is not None
        statements = deployer.policies[0].statements
        allowed.append({r.text for s in statements for r in s.resources})
    store_manager = f"arn:aws:iam::{SEC}:role/cks-store-manager"
    assert store_manager not in allowed[0] and store_manager in allowed[1]


# --- errors, each at its file, line and column -----------------------------------------

Mutation = Callable[[Path], None]


def edit(rel: str, change: Callable[[Any], None]) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / rel
        value = json.loads(path.read_text())
        change(value)
        path.write_text(json.dumps(value, indent=4))

    return mutate


def make_dir(rel: str) -> Mutation:
    def mutate(root: Path) -> None:
        (root / rel).mkdir(parents=True)
        for name in ("ous.json", "accounts.json"):
            key = "OrganizationalUnits" if name == "ous.json" else "Accounts"
            (root / rel / name).write_text(json.dumps({key: []}))

    return mutate


def move_policy(root: Path) -> None:
    for suffix in (".json", ".targets.json"):
        (root / f"policies/rcp/p-7h4fw2qc{suffix}").rename(
            root / f"policies/scp/p-7h4fw2qc{suffix}"
        )


def entry(account: str) -> dict[str, str]:
    return {"Id": account, "Name": "x", "Status": "ACTIVE"}


def drop_account(account: str) -> Callable[[Any], None]:
    return lambda v: v.update(Accounts=[a for a in v["Accounts"] if a["Id"] != account])


def drop_target(target: str) -> Callable[[Any], None]:
    return lambda v: v.update(Targets=[t for t in v["Targets"] if t["TargetId"] != target])


def set_key(key: str, value: str) -> Callable[[Any], None]:
    return lambda v: v.update({key: value})


SANDBOX_ACCOUNTS = f"parents/{SANDBOX}/accounts.json"
ERRORS: list[tuple[str, Mutation, str, str, str]] = [
    # id, mutation, file (relative), text the span points at, message fragment
    (
        "account folder not in accounts.json",
        make_dir("accounts/123456789012"),
        "accounts/123456789012",
        "",
        "is not the bundle folder of an account",
    ),
    (
        "account reached twice",
        edit(SANDBOX_ACCOUNTS, lambda v: v["Accounts"].append(entry(PAY))),
        SANDBOX_ACCOUNTS,
        f'"{PAY}"',
        f"{PAY} is reached twice: already placed at",
    ),
    (
        "OU reached twice",
        edit(
            f"parents/{WORKLOADS}/ous.json",
            lambda v: v["OrganizationalUnits"].append({"Id": SECURITY, "Name": "Security"}),
        ),
        f"parents/{WORKLOADS}/ous.json",
        f'"{SECURITY}"',
        f"{SECURITY} is reached twice",
    ),
    (
        "account never placed",
        edit(SANDBOX_ACCOUNTS, drop_account(SBX)),
        "accounts.json",
        f'"{SBX}"',
        f"account {SBX} is never placed",
    ),
    (
        "account placed but not listed",
        edit("accounts.json", drop_account(SBX)),
        SANDBOX_ACCOUNTS,
        f'"{SBX}"',
        "does not list it",
    ),
    (
        "parent folder of an unknown id",
        make_dir("parents/ou-a1b2-unknown99"),
        "parents/ou-a1b2-unknown99",
        "",
        "neither a root nor an OU",
    ),
    (
        "target of an unknown id",
        edit(
            "policies/scp/p-4fj2kd9x.targets.json",
            lambda v: v["Targets"].append({"TargetId": "ou-a1b2-zzzzzzzz"}),
        ),
        "policies/scp/p-4fj2kd9x.targets.json",
        '"ou-a1b2-zzzzzzzz"',
        "no root, OU or account of the organization",
    ),
    (
        "policy of the wrong type for its folder",
        move_policy,
        "policies/scp/p-7h4fw2qc.json",
        '"RESOURCE_CONTROL_POLICY"',
        "is of type RESOURCE_CONTROL_POLICY, but policies/scp/ holds SERVICE_CONTROL_POLICY",
    ),
    (
        "member bundle of another account",
        edit(f"accounts/{PAY}/account.json", set_key("account_id", LED)),
        f"accounts/{PAY}/account.json",
        f'"{LED}"',
        f"account_id is '{LED}', but the organization bundle holds this folder for account id",
    ),
    (
        "member bundle of another organization",
        edit(f"accounts/{PAY}/account.json", set_key("organization_id", "o-otherorgid12")),
        f"accounts/{PAY}/account.json",
        '"o-otherorgid12"',
        "organization_id is 'o-otherorgid12'",
    ),
    (
        "member bundle of another management account",
        edit(f"accounts/{SBX}/account.json", set_key("management_account", "123456789012")),
        f"accounts/{SBX}/account.json",
        '"123456789012"',
        "management_account is '123456789012'",
    ),
    (
        "account without any SCP",
        edit("policies/scp/p-FullAWSAccess.targets.json", drop_target(SBX)),
        SANDBOX_ACCOUNTS,
        f'"{SBX}"',
        f"no SCP is attached to {SBX}",
    ),
    (
        "truncated listing",
        edit("accounts.json", set_key("NextToken", "AAAA")),
        "accounts.json",
        '"AAAA"',
        "the output is truncated (NextToken is set)",
    ),
    (
        "missing roots.json",
        lambda root: (root / "roots.json").unlink(),
        "roots.json",
        "",
        "write the output of `aws organizations list-roots` there",
    ),
    (
        "targets without a policy",
        lambda root: (root / "policies/scp/p-4fj2kd9x.json").unlink(),
        "policies/scp/p-4fj2kd9x.targets.json",
        "",
        "lists the targets of a policy",
    ),
    (
        "bad OU id",
        edit(
            "parents/r-a1b2/ous.json",
            lambda v: v["OrganizationalUnits"][0].update(Id="Security"),
        ),
        "parents/r-a1b2/ous.json",
        '"Security",',
        "Id must be an OU id",
    ),
]


def position(path: Path, needle: str) -> tuple[int, int]:
    """Line and column (from 1) of the first ``needle`` in the file; (1, 1) for ''."""
    if not needle:
        return 1, 1
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle} not in {path}")


@pytest.mark.parametrize(
    ("mutate", "rel", "needle", "message"),
    [e[1:] for e in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_organization_errors(
    tmp_path: Path, mutate: Mutation, rel: str, needle: str, message: str
) -> None:
    root = tmp_path / "org"
    shutil.copytree(GOOD, root)
    mutate(root)
    with pytest.raises(BundleError) as info:
        read_organization(root)
    error = info.value
    assert message in error.message
    assert error.span is not None
    assert error.span.source == str(root / rel)
    path = root / rel
    expected = position(path, needle) if path.is_file() else (1, 1)
    assert (error.span.line, error.span.column) == expected


def test_missing_organization_folder(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        read_organization(tmp_path / "nowhere")


# --- warnings ---------------------------------------------------------------------------


def suspend(account: str) -> Callable[[Any], None]:
    def change(value: Any) -> None:
        for item in value["Accounts"]:
            if item["Id"] == account:
                item["Status"] = "SUSPENDED"

    return change


def remove(rel: str) -> Mutation:
    return lambda root: shutil.rmtree(root / rel)


def add_organizations_folder(root: Path) -> None:
    shutil.copytree(EXAMPLES / "cks-account/organizations", root / f"accounts/{SEC}/organizations")


WARNINGS: list[tuple[str, Mutation, list[str]]] = [
    (
        "an ACTIVE account without a bundle",
        remove(f"accounts/{SBX}"),
        [f"account {MGMT} (management) is ACTIVE", f"account {SBX} (sandbox) is ACTIVE"],
    ),
    (
        "a SUSPENDED account without a bundle is no loss",
        lambda root: (remove(f"accounts/{SBX}")(root), edit("accounts.json", suspend(SBX))(root)),
        [f"account {MGMT} (management) is ACTIVE"],
    ),
    (
        "a member's own organizations folder",
        add_organizations_folder,
        [f"account {MGMT}", f"accounts/{SEC}/organizations is ignored"],
    ),
    (
        "no RCPs collected",
        remove("policies/rcp"),
        [f"account {MGMT}", "no RCPs in the organization bundle"],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS]
)
def test_organization_warnings(tmp_path: Path, mutate: Mutation, expected: list[str]) -> None:
    root = tmp_path / "org"
    shutil.copytree(GOOD, root)
    mutate(root)
    org = read_organization(root)
    assert len(org.warnings) == len(expected), org.warnings
    for warning, fragment in zip(org.warnings, expected, strict=True):
        assert fragment in warning


def test_no_rcps_means_no_rcp_levels(tmp_path: Path) -> None:
    root = tmp_path / "org"
    shutil.copytree(GOOD, root)
    shutil.rmtree(root / "policies/rcp")
    org = read_organization(root)
    assert org.warnings[1] == no_policies_warning(
        "rcp", f"in the organization bundle ({root / 'policies/rcp'}/)"
    )
    scps, rcps = org.levels(SBX)
    assert len(scps) == 3 and rcps == ()
    assert load_member(org, SBX).rcps == ()


def test_member_with_own_organizations_folder_uses_the_organizations_levels(
    tmp_path: Path,
) -> None:
    root = tmp_path / "org"
    shutil.copytree(GOOD, root)
    add_organizations_folder(root)
    loaded = load_member(read_organization(root), SEC)
    assert (names(loaded.scps), names(loaded.rcps)) == LEVELS[SEC]
    assert any("organizations is ignored" in w for w in loaded.warnings)


# --- collect-org.sh against a stand-in AWS CLI ------------------------------------------


def source_organization(tmp_path: Path) -> Path:
    """The compliant example with a bundle for the management account (a relabelled copy
    of the ledger account), as the stand-in AWS CLI serves it."""
    source = tmp_path / "source"
    shutil.copytree(GOOD, source)
    management = source / "accounts" / MGMT
    shutil.copytree(source / "accounts" / LED, management)
    for path in management.rglob("*.json"):
        path.write_text(path.read_text().replace(LED, MGMT))
    return source


def run_collect_org(tmp_path: Path, source: Path, out: Path, **env: str) -> Any:
    command = ["bash", str(EXAMPLES / "collect-org.sh"), "--region", "us-east-1", str(out)]
    return run_with_fake_aws(tmp_path, command, FAKE_AWS_ORG_DIR=str(source), **env)


def org_summary(org: Organization) -> dict[str, Any]:
    return {
        "accounts": [(a.id, a.name, a.status, a.path) for a in org.accounts],
        "units": org.units,
        "levels": {a.id: tuple(map(names, org.levels(a.id))) for a in org.accounts},
        "members": {
            i: sorted(p.arn for p in load_member(org, i).principals) for i in org.member_ids()
        },
    }


@needs_bash
def test_collect_org_writes_a_readable_organization(tmp_path: Path) -> None:
    source = source_organization(tmp_path)
    out = tmp_path / "collected"
    result = run_collect_org(tmp_path, source, out)
    assert result.returncode == 0, result.stderr
    collected = read_organization(out)
    assert collected.warnings == ()
    assert org_summary(collected) == org_summary(read_organization(source))
    assert not (out / "accounts" / MGMT / "organizations").exists()
    assert not list(tmp_path.glob("collected.partial.*"))


@needs_bash
def test_collect_org_skips_an_account_it_cannot_assume_into(tmp_path: Path) -> None:
    source = source_organization(tmp_path)
    out = tmp_path / "collected"
    result = run_collect_org(tmp_path, source, out, FAKE_AWS_DENY=SBX)
    assert result.returncode == 1
    assert f"account {SBX} skipped: cannot assume arn:aws:iam::{SBX}:role/CksmodelReadOnly" in (
        result.stderr
    )
    collected = read_organization(out)
    assert collected.member_ids() == (SEC, PAY, LED, MGMT)
    assert len(collected.warnings) == 1 and f"account {SBX} (sandbox)" in collected.warnings[0]


@needs_bash
def test_collect_org_refuses_a_used_folder(tmp_path: Path) -> None:
    out = tmp_path / "collected"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_collect_org(tmp_path, GOOD, out)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert (out / "keep.txt").read_text() == "mine"
