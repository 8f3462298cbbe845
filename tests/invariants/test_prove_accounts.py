"""The account quantifiers of the spec language on one account analysed alone.

``forall account a`` ranges over the one account, ``account "ID"`` of the account itself
is its principals, and the organization is the account's own; quantifying over other
accounts needs the whole organization (``prove --organization``)."""

from __future__ import annotations

from functools import cache

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.invariants.prove import prove
from cksmodel.invariants.spec import SpecError, parse_spec
from cksmodel.symbolic.query import Verdict

OWN = "111122223333"
DELETE = 'not can(p, "kms:DeleteCustomKeyStore", "*")'


@cache
def example() -> Account:
    return load_bundle("examples/cks-account")


def verdict(formula: str) -> Verdict:
    spec = parse_spec(f'invariant i "t":\n  {formula}\n', "t.spec")
    return prove(spec, example()).results[0].verdict


@pytest.mark.parametrize(
    ("formula", "same_as"),
    [
        pytest.param(
            f"forall account a: forall p in account a: {DELETE}",
            f"forall p in account: {DELETE}",
            id="forall-account-is-the-account-itself",
        ),
        pytest.param(
            f'forall p in account "{OWN}": {DELETE}',
            f"forall p in account: {DELETE}",
            id="the-account-by-its-own-id",
        ),
        pytest.param(
            'forall principal p: can(p, "kms:Decrypt", key *) implies p in organization',
            'forall principal p: can(p, "kms:Decrypt", key *) implies p in account "' + OWN + '"',
            id="alone-the-organization-is-the-account",
        ),
        pytest.param(
            f"exists account a: exists p in account a: not ({DELETE})",
            f"exists p in account: not ({DELETE})",
            id="exists-account-is-the-account-itself",
        ),
    ],
)
def test_account_quantifiers_alone_read_as_the_account(formula: str, same_as: str) -> None:
    assert verdict(formula) is verdict(same_as)


def test_the_store_manager_refutes_the_delete_invariant_through_forall_account() -> None:
    assert verdict(f"forall account a: forall p in account a: {DELETE}") is Verdict.REFUTED


@pytest.mark.parametrize(
    "formula",
    [
        pytest.param("forall p in organization: true", id="organization"),
        pytest.param('forall p in account "222233334444": true', id="another-account"),
        pytest.param("exists p in store_accounts: true", id="store-accounts"),
        pytest.param("forall p in account - organization: true", id="inside-a-set-expression"),
    ],
)
def test_quantifying_beyond_the_account_alone_is_an_error_naming_organization(
    formula: str,
) -> None:
    with pytest.raises(SpecError, match="--organization") as caught:
        verdict(formula)
    assert caught.value.code == "E_SPEC_TYPE"
