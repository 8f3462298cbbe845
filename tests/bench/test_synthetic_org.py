"""The synthetic organization of bench/synthetic_org.py is a valid organization bundle:
read back, every member loads with its levels, the cross-account names it writes exist
in the accounts they name, nested OUs, and the same seed writes the same bytes."""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from cksmodel.account.organization import Organization, load_member, read_organization

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from synthetic_org import Summary, generate, main  # noqa: E402

ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/([\w+=,.@/-]+)")
KEY_ARN = re.compile(r"arn:aws:kms:[a-z0-9-]+:(\d{12}):key/([0-9a-f-]{36})")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    out = tmp_path_factory.mktemp("org") / "org"
    return out, generate(out, accounts=5, principals=20, seed=3)


@pytest.fixture(scope="module")
def org(made: tuple[Path, Summary]) -> Organization:
    return read_organization(made[0])


def _iam(folder: Path) -> dict[str, Any]:
    text = (folder / "iam" / "account-authorization-details.json").read_text("utf-8")
    return dict(json.loads(text))


def _text(value: Any) -> str:
    """A document as text, URL-encoded policies decoded."""
    return urllib.parse.unquote(json.dumps(value))


def test_the_organization_reads_back_with_only_the_management_warning(
    made: tuple[Path, Summary], org: Organization
) -> None:
    _, summary = made
    assert org.organization_id == summary.organization_id
    assert org.management_account == summary.management_account
    assert org.member_ids() == tuple(sorted(m.id for m in summary.members))
    assert len(org.warnings) == 1
    assert summary.management_account in org.warnings[0]


def test_every_member_loads_with_the_levels_of_its_place_and_no_warning(
    made: tuple[Path, Summary], org: Organization
) -> None:
    for member in made[1].members:
        account = load_member(org, member.id)
        assert account.account_id == member.id
        assert account.warnings == ()
        depth = len(org.account(member.id).path) + 1  # type: ignore[union-attr]
        assert len(account.scps) == depth
        assert len(account.rcps) == depth


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("security", ("Root", "Security")),
        ("ci", ("Root", "Workloads")),
        ("sandbox", ("Root", "Sandbox")),
    ],
)
def test_each_kind_of_member_sits_in_its_ou(
    made: tuple[Path, Summary], org: Organization, kind: str, path: tuple[str, ...]
) -> None:
    for member in (m for m in made[1].members if m.kind == kind):
        assert org.ou_path(member.id) == path


def test_workload_accounts_sit_in_nested_ous_under_workloads(
    made: tuple[Path, Summary], org: Organization
) -> None:
    paths = {org.ou_path(m.id) for m in made[1].members if m.kind == "workload"}
    assert paths == {("Root", "Workloads", "Prod"), ("Root", "Workloads", "Dev")}


def test_every_cross_account_name_exists_in_the_account_it_names(
    made: tuple[Path, Summary],
) -> None:
    out, summary = made
    members = {m.id for m in summary.members}
    roles = {m: {r["Arn"] for r in _iam(out / "accounts" / m)["RoleDetailList"]} for m in members}
    keys = {m: {p.name for p in (out / "accounts" / m / "kms" / "keys").iterdir()} for m in members}
    seen: dict[str, set[tuple[str, str]]] = {"trust": set(), "key policy": set(), "grant": set()}
    for m in members:
        folder = out / "accounts" / m
        iam = _iam(folder)
        texts = {"trust": [_text(r["AssumeRolePolicyDocument"]) for r in iam["RoleDetailList"]]}
        texts["key policy"] = [p.read_text() for p in folder.glob("kms/keys/*/key-policy.json")]
        texts["grant"] = [p.read_text() for p in folder.glob("kms/keys/*/grants.json")]
        for kind, documents in texts.items():
            for text in documents:
                for match in ROLE_ARN.finditer(text):
                    account = match.group(1)
                    if account != m and account in members:
                        assert match.group(0) in roles[account], (m, kind, match.group(0))
                        seen[kind].add((m, account))
        for match in KEY_ARN.finditer(_text(iam["RoleDetailList"])):
            account, key_id = match.groups()
            if account != m:
                assert account in members and key_id in keys[account], (m, match.group(0))
    security = next(x.id for x in summary.members if x.kind == "security")
    assert any(owner == security for owner, _ in seen["key policy"])
    assert any(owner == security for owner, _ in seen["grant"])
    assert any(owner != security for owner, _ in seen["key policy"])  # workload key shared
    assert any(named == security for _, named in seen["trust"])  # audit roles
    ci = next(x.id for x in summary.members if x.kind == "ci")
    assert any(named == ci and owner != ci for owner, named in seen["trust"])  # deployers


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(
    tmp_path: Path, made: tuple[Path, Summary]
) -> None:
    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    generate(tmp_path / "again", accounts=5, principals=20, seed=3)
    generate(tmp_path / "other", accounts=5, principals=20, seed=4)
    assert tree(tmp_path / "again") == tree(made[0])
    assert tree(tmp_path / "other") != tree(made[0])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--accounts", "2"], "accounts must be at least 3"),
        (["--principals", "10"], "principals must be at least 20"),
    ],
)
def test_the_command_refuses_too_small_sizes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main([str(tmp_path / "org"), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "org").exists()


def test_the_command_writes_the_smallest_organization_and_summarizes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "org"), "--accounts", "3", "--principals", "20"]) == 0
    printed = capsys.readouterr().out
    assert "3 member accounts (1 security, 1 ci, 1 sandbox)" in printed
    org = read_organization(tmp_path / "org")
    for account_id in org.member_ids():
        load_member(org, account_id)
