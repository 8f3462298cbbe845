"""An invariant that needs a bundle part the bundle lacks is UNKNOWN with the reason, never PROVED.

A bundle without ``kms/keys/`` does not show that the account has no keys, so "no key user can
…" and "every store key's policy is the default" cannot hold vacuously; an ``account.json``
without ``regions`` leaves region-dependent lifecycle answers open.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.invariants.prove import KEYS_UNKNOWN, prove
from cksmodel.invariants.spec import load_spec, parse_spec
from cksmodel.symbolic.query import Verdict

REPO = Path(__file__).resolve().parents[2]
COMPLIANT = REPO / "examples" / "cks-account"
CKS_SPEC = REPO / "specs" / "cks.spec"

KEY_INVARIANTS = {
    "key_users_cannot_administer_keys",
    "key_users_cannot_regrant",
    "store_key_policy_is_default",
    "key_users_need_nothing_store_specific",
}


def copy_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(COMPLIANT, bundle)
    return bundle


@pytest.fixture(scope="module")
def without_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Verdict, str]]:
    bundle = copy_bundle(tmp_path_factory.mktemp("no-keys"))
    shutil.rmtree(bundle / "kms" / "keys")
    account = load_bundle(bundle)
    assert not account.keys_known
    report = prove([load_spec(CKS_SPEC)], account, timeout=30)
    return {r.name: (r.verdict, r.reason) for r in report.results}


def test_the_compliant_example_proves_every_key_invariant() -> None:
    report = prove([load_spec(CKS_SPEC)], load_bundle(COMPLIANT), timeout=30)
    verdicts = {r.name: r.verdict for r in report.results}
    assert {verdicts[name] for name in KEY_INVARIANTS} == {Verdict.PROVED}


@pytest.mark.parametrize("name", sorted(KEY_INVARIANTS))
def test_without_kms_keys_an_invariant_about_keys_is_unknown_not_proved(
    name: str, without_keys: dict[str, tuple[Verdict, str]]
) -> None:
    verdict, reason = without_keys[name]
    assert verdict is Verdict.UNKNOWN
    assert reason == KEYS_UNKNOWN


def test_without_kms_keys_invariants_that_need_no_key_still_prove(
    without_keys: dict[str, tuple[Verdict, str]],
) -> None:
    others = {n: v for n, (v, _) in without_keys.items() if n not in KEY_INVARIANTS}
    assert others["slr_trust"] is Verdict.PROVED
    # "no key user can delete a store" holds whoever the key users are: nobody but the store
    # managers can delete one, so not knowing the keys (and so the key users) changes nothing.
    assert others["key_user_cannot_delete_store"] is Verdict.PROVED
    assert others["delete_requires_disconnected_and_empty"] is Verdict.PROVED
    assert Verdict.REFUTED not in others.values()


REGION_SPEC = """
invariant creation_needs_unsupported_region "A guard that holds only outside supported Regions":
  lifecycle within 4 steps: CreateCustomKeyStore requires not region_supported

invariant delete_requires_disconnected "Deletion needs a disconnected store, in any Region":
  lifecycle within 6 steps: DeleteCustomKeyStore requires state == DISCONNECTED
"""


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        pytest.param(["us-east-1"], Verdict.REFUTED, id="listed-supported-region-refutes"),
        pytest.param(None, Verdict.UNKNOWN, id="no-regions-listed-is-unknown"),
    ],
)
def test_a_lifecycle_answer_that_depends_on_the_region_needs_the_regions(
    regions: list[str] | None, expected: Verdict, tmp_path: Path
) -> None:
    bundle = copy_bundle(tmp_path)
    account_file = bundle / "account.json"
    data = json.loads(account_file.read_text(encoding="utf-8"))
    data.pop("regions", None)
    if regions is not None:
        data["regions"] = regions
    account_file.write_text(json.dumps(data), encoding="utf-8")
    spec = parse_spec(REGION_SPEC, "regions.spec")
    results = {r.name: r for r in prove([spec], load_bundle(bundle), timeout=30).results}
    assert results["creation_needs_unsupported_region"].verdict is expected
    if expected is Verdict.UNKNOWN:
        assert "lists no regions" in results["creation_needs_unsupported_region"].reason
    assert results["delete_requires_disconnected"].verdict is Verdict.PROVED
