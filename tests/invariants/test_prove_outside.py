"""Invariants about principals by ARN, by pattern and outside the bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import PARTNER, PARTNER_KEY

from cksmodel.account.bundle import load_bundle
from cksmodel.invariants.prove import prove
from cksmodel.invariants.spec import SpecError, parse_spec
from cksmodel.symbolic.query import Verdict

OPERATOR = f"arn:aws:iam::{PARTNER}:role/partner-kms-operator"
BATCH = f"arn:aws:iam::{PARTNER}:role/partner-batch"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cks-account"

CASES = {
    "operator_needs_the_external_id": (
        f'not can(principal "{OPERATOR}", "sts:AssumeRole", role "cks-store-manager", '
        'when {"sts:ExternalId": "guess"})',
        Verdict.PROVED,
        None,
    ),
    "operator_can_assume_with_it": (
        f'not can(principal "{OPERATOR}", "sts:AssumeRole", role "cks-store-manager")',
        Verdict.REFUTED,
        OPERATOR,
    ),
    "operator_cannot_decrypt_directly": (
        f'not can(principal "{OPERATOR}", "kms:Decrypt", key *)',
        Verdict.PROVED,
        None,
    ),
    "no_outsider_decrypts": (
        'forall p in outside: not can(p, "kms:Decrypt", key *)',
        Verdict.REFUTED,
        BATCH,
    ),
    "no_outsider_deletes_a_store_directly": (
        'forall p in outside: not can(p, "kms:DeleteCustomKeyStore", store *)',
        Verdict.PROVED,
        None,
    ),
    "no_outsider_reaches_store_deletion": (
        'forall p in outside: not can*(p, "kms:DeleteCustomKeyStore", store *)',
        Verdict.REFUTED,
        OPERATOR,
    ),
    "outsiders_are_the_named_ones": (
        f'forall p in outside: p == principal "{OPERATOR}" or p == principal "{BATCH}"',
        Verdict.PROVED,
        None,
    ),
    "outsiders_compare_as_policies_name_them": (
        f'forall p in outside: not p == principal "{OPERATOR.replace("kms", "KMS")}"',
        Verdict.REFUTED,
        OPERATOR,
    ),
    "only_named_callers_assume_the_store_manager": (
        "forall principal p:\n"
        '    can(p, "sts:AssumeRole", role "cks-store-manager")\n'
        f'      implies (p == user "erin" or p == user "frank" or p == principal "{OPERATOR}")',
        Verdict.PROVED,
        None,
    ),
    "only_insiders_assume_the_store_manager": (
        "forall principal p:\n"
        '    can(p, "sts:AssumeRole", role "cks-store-manager")\n'
        '      implies (p == user "erin" or p == user "frank")',
        Verdict.REFUTED,
        OPERATOR,
    ),
    "service_linked_names_only_under_their_path": (
        'forall p in roles matching "AWSServiceRoleFor*":\n'
        '    p in roles with path "/aws-service-role/*"',
        Verdict.PROVED,
        None,
    ),
    "no_role_under_the_service_path_but_service_linked_ones": (
        'forall p in roles with path "/aws-service-role/*":\n'
        '    p in roles matching "awsservicerolefor*"',
        Verdict.PROVED,
        None,
    ),
    "arn_patterns_match_the_same_roles": (
        'forall p in principals matching "arn:aws:iam::*:role/aws-service-role/*":\n'
        '    p in principals with path "/aws-service-role/*"',
        Verdict.PROVED,
        None,
    ),
    "no_partner_role_matches": (
        'forall p in roles matching "partner-*": false',
        Verdict.REFUTED,
        BATCH,
    ),
    "app_roles_are_not_service_linked": (
        'forall p in roles matching "*-app": not p in roles with path "/aws-service-role/*"',
        Verdict.PROVED,
        None,
    ),
}


@pytest.mark.parametrize(("formula", "verdict", "principal"), CASES.values(), ids=list(CASES))
def test_invariants_about_outside_and_matched_principals(
    partner_bundle: Path, formula: str, verdict: Verdict, principal: str | None
) -> None:
    spec = parse_spec(f'invariant i "t":\n  {formula}\n', "t.spec")
    (result,) = prove(spec, load_bundle(partner_bundle)).results
    assert result.verdict is verdict, result.reason
    if principal is None:
        assert not result.counterexamples
        return
    assert _principal(result.counterexamples[0]) == principal


def _principal(example: dict[str, Any]) -> str:
    """The principal a counterexample is about: the quantified one, else the request's
    (a role session's role)."""
    if "principal" in example:
        return str(example["principal"])
    request = example["request"]
    return str(request.get("principal_role_arn") or request["principal"])


def test_a_misnamed_role_of_the_same_name_is_told_apart(partner_bundle: Path) -> None:
    """A role of the bundle named as an outsider would be is not the outsider."""
    spec = parse_spec(
        'invariant i "t":\n  forall p in account: not p == principal '
        f'"arn:aws:iam::{PARTNER}:role/cks-store-manager"\n',
        "t.spec",
    )
    (result,) = prove(spec, load_bundle(partner_bundle)).results
    assert result.verdict is Verdict.PROVED


def test_the_partner_grant_decrypts_only_in_its_organization(partner_bundle: Path) -> None:
    spec = parse_spec(
        f'invariant i "t":\n  not can(principal "{BATCH}", "kms:Decrypt", key *)\n', "t"
    )
    (result,) = prove(spec, load_bundle(partner_bundle)).results
    assert result.verdict is Verdict.REFUTED
    request = result.counterexamples[0]["request"]
    assert request["resource"].endswith(PARTNER_KEY)
    assert request["context"] == {"aws:PrincipalOrgID": "o-exampleorgid"}


@pytest.mark.parametrize(
    ("formula", "code", "message"),
    [
        (
            'can(principal "arn:aws:iam::111122223333:role/ghost", "kms:Decrypt", key *)',
            "E_SPEC_ABSENT",
            "is not in the account bundle",
        ),
        (
            'can(principal "arn:aws:s3:::bucket", "kms:Decrypt", key *)',
            "E_SPEC_TYPE",
            "expected the ARN of an IAM role or user",
        ),
        (
            f'permissions(principal "{OPERATOR}") within ["kms:Decrypt"]',
            "E_SPEC_TYPE",
            "the identity policies of another account's principals are not in it",
        ),
    ],
)
def test_principals_by_arn_that_cannot_be_answered_are_spec_errors(
    formula: str, code: str, message: str
) -> None:
    spec = parse_spec(f'invariant i "t":\n  {formula}\n', "t.spec")
    with pytest.raises(SpecError, match=message) as info:
        prove(spec, load_bundle(EXAMPLE))
    assert info.value.code == code
    assert info.value.span is not None and info.value.span.line == 2


def test_the_compliant_example_names_no_outsider() -> None:
    spec = parse_spec('invariant i "t":\n  forall p in outside: false\n', "t.spec")
    (result,) = prove(spec, load_bundle(EXAMPLE)).results
    assert result.verdict is Verdict.PROVED
