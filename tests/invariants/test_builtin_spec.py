"""The built-in spec runs on any account: no example names, NOT_APPLICABLE for what is absent.

The accounts here are made from the compliant example with every role and user renamed (no
name in common with the examples), and one with no custom key store ever created (no
service-linked role, no store, keys in the default key store).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.cli import main
from cksmodel.invariants.prove import prove
from cksmodel.invariants.spec import load_spec
from cksmodel.notebook.whatif import Model, SetKeyPolicy
from cksmodel.symbolic.query import Verdict

REPO = Path(__file__).resolve().parents[2]
COMPLIANT = REPO / "examples" / "cks-account"
BUILTIN = REPO / "specs" / "cks.spec"
IAM_FILE = Path("iam") / "account-authorization-details.json"
SLR = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"

RENAMES = [
    {
        "cks-store-manager": "hsm-store-operator",
        "cloudhsm-cluster-admin": "hsm-infrastructure",
        "kms-key-manager": "key-custodian",
        "payments-app": "billing-service",
        "ledger-app": "books-service",
        "ci-deployer": "release-pipeline",
        "Admin": "OrgAdministrator",
    },
    {
        "cks-store-manager": "StoreOps",
        "cloudhsm-cluster-admin": "ClusterOps",
        "kms-key-manager": "KeyOps",
        "payments-app": "svc-checkout",
        "ledger-app": "svc-reconcile",
        "ci-deployer": "gha-deploy",
        "Admin": "BreakGlass",
    },
]


def renamed(tmp_path: Path, names: dict[str, str]) -> Path:
    """A copy of the compliant example with every name in ``names`` replaced, in every file."""
    bundle = tmp_path / "bundle"
    shutil.copytree(COMPLIANT, bundle)
    for path in bundle.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        for old, new in names.items():
            text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)
        path.write_text(text, encoding="utf-8")
    return bundle


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), "utf-8")


def without_store(tmp_path: Path) -> Path:
    """The compliant example as it would be had no custom key store ever been created."""
    bundle = renamed(tmp_path, RENAMES[0])

    def drop_slr(iam: dict[str, Any]) -> dict[str, Any]:
        iam["RoleDetailList"] = [r for r in iam["RoleDetailList"] if r["RoleName"] != SLR]
        return iam

    edit_json(bundle / IAM_FILE, drop_slr)
    edit_json(bundle / "kms" / "custom-key-stores.json", lambda _: {"CustomKeyStores": []})
    for describe in (bundle / "kms" / "keys").glob("*/describe-key.json"):

        def default_store(doc: dict[str, Any]) -> dict[str, Any]:
            meta = doc["KeyMetadata"]
            meta.pop("CustomKeyStoreId", None)
            meta.pop("CloudHsmClusterId", None)
            meta["Origin"] = "AWS_KMS"
            return doc

        edit_json(describe, default_store)
    return bundle


@pytest.mark.parametrize("names", RENAMES, ids=["renamed-a", "renamed-b"])
def test_every_builtin_invariant_gets_a_verdict_on_an_account_without_example_names(
    names: dict[str, str], tmp_path: Path
) -> None:
    bundle = renamed(tmp_path, names)
    text = "\n".join(p.read_text(encoding="utf-8") for p in bundle.rglob("*.json"))
    assert not any(re.search(rf"(?<![\w-]){re.escape(old)}(?![\w-])", text) for old in names)
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in text
    report = prove([load_spec(BUILTIN)], load_bundle(bundle), timeout=30)
    verdicts = {r.name: r.verdict for r in report.results}
    assert set(verdicts.values()) == {Verdict.PROVED}, verdicts
    assert main(["prove", "--account", str(bundle), "--output", str(tmp_path / "r.json")]) == 0


def test_an_account_without_a_store_reports_store_invariants_as_not_applicable(
    tmp_path: Path,
) -> None:
    report = prove([load_spec(BUILTIN)], load_bundle(without_store(tmp_path)), timeout=30)
    results = {r.name: r for r in report.results}
    not_applicable = {n for n, r in results.items() if r.verdict is Verdict.NOT_APPLICABLE}
    assert not_applicable == {
        "slr_trust",
        "slr_permissions_scope",
        "slr_cannot_manage_cloudhsm",
        "slr_is_protected",
        "first_store_needs_slr_permission",
        "store_key_policy_is_default",
    }
    assert "no store was ever created" in results["slr_trust"].reason
    assert results["store_key_policy_is_default"].reason == (
        "the account has no KMS key in a custom key store"
    )
    assert {r.verdict for n, r in results.items() if n not in not_applicable} == {Verdict.PROVED}
    assert report.exit_code == 0


def test_not_applicable_is_shown_in_every_format_and_does_not_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = without_store(tmp_path)
    assert main(["prove", "--account", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert any(line.split()[:2] == ["slr_trust", "NOT_APPLICABLE"] for line in out.splitlines())
    assert out.splitlines()[-1] == "15 proved, 0 refuted, 0 unknown, 6 not applicable"
    assert main(["prove", "--account", str(bundle), "--format", "junit"]) == 0
    junit = capsys.readouterr().out
    assert 'skipped="6"' in junit and junit.count("<skipped ") == 6
    assert main(["prove", "--account", str(bundle), "--format", "sarif"]) == 0
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert sum(r["kind"] == "notApplicable" for r in results) == 6


CONSOLE_DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-consolepolicy-3",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/payments-app"},
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            "Resource": "*",
        },
        {
            "Sid": "Allow attachment of persistent resources",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/payments-app"},
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ],
}


def test_the_console_default_key_policy_passes_key_users_cannot_regrant() -> None:
    model = Model.load(COMPLIANT)
    key = model.account.keys[0].arn.rsplit("/", 1)[1]
    changed = model.what_if(SetKeyPolicy(key=key, document=CONSOLE_DEFAULT_KEY_POLICY))
    (result,) = [
        r
        for r in prove([load_spec(BUILTIN)], changed.account, timeout=30).results
        if r.name == "key_users_cannot_regrant"
    ]
    assert result.verdict is Verdict.PROVED
