"""Organization-wide invariants: what the joined graph can answer is checked before any
account is analysed, with the position of the offending part."""

from __future__ import annotations

from pathlib import Path

import pytest

from cksmodel.invariants.spec import SpecError, load_spec, parse_spec
from cksmodel.org.prove import questions_of, split_specs
from cksmodel.org.tasks import Survey

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 'any ["kms:DeleteCustomKeyStore"], store *'


def split(formula: str) -> SpecError:
    spec = parse_spec(f'invariant i "t":\n  {formula}\n', "org.spec")
    with pytest.raises(SpecError) as caught:
        split_specs([spec])
    return caught.value


@pytest.mark.parametrize(
    ("formula", "column", "message"),
    [
        pytest.param(
            "forall p in organization: forall principal q: can*(q, " + ADMIN + ")",
            29,
            "quantify with 'forall p in SET'",
            id="forall-principal-inside-is-refused",
        ),
        pytest.param(
            f'forall p in organization: can(p, {ADMIN}, when {{"aws:SourceIp": "10.0.0.1"}})',
            29,
            "'when' is not supported",
            id="a-request-context-is-refused",
        ),
        pytest.param(
            'forall p in organization: can(role "cks-store-manager", ' + ADMIN + ")",
            33,
            "name a principal by ARN",
            id="a-principal-by-name-is-refused",
        ),
        pytest.param(
            'forall p in organization: can(p, "kms:Decrypt", "arn:aws:kms:*:111122223333:key/*")',
            29,
            "one ARN without wildcards",
            id="a-resource-pattern-is-refused",
        ),
        pytest.param(
            "forall p in organization: p in persona key_user",
            34,
            "a persona is not a set of an organization-wide formula",
            id="a-persona-is-refused",
        ),
        pytest.param(
            "forall p in organization - outside: true",
            30,
            "outside (it names only some",
            id="outside-inside-a-set-expression-is-refused",
        ),
        pytest.param(
            'forall p in organization: permissions(p) within ["kms:Decrypt"]',
            29,
            "permissions is not supported in an organization-wide formula",
            id="permissions-is-refused",
        ),
    ],
)
def test_what_the_joined_graph_cannot_answer_is_a_positioned_error_before_analysis(
    formula: str, column: int, message: str
) -> None:
    error = split(formula)
    assert error.code == "E_SPEC_TYPE"
    assert message in str(error)
    assert error.span is not None
    assert (error.span.source, error.span.line, error.span.column) == ("org.spec", 2, column)


def test_the_built_in_organization_spec_splits_into_two_whole_and_one_per_account() -> None:
    spec = load_spec(ROOT / "specs/organization/organization.spec")
    per_account, whole = split_specs([spec])
    assert [inv.name for _, inv in whole] == [
        "only_store_accounts_administer_stores",
        "only_store_accounts_administer_clusters",
    ]
    assert [inv.name for inv in per_account[0].invariants] == ["no_outsider_uses_organization_keys"]


def survey(account: str, *keys: str) -> Survey:
    return Survey(account_id=account, principals=(), names=(), keys=keys)


KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("surveys", "expected"),
    [
        pytest.param(
            [survey("111122223333", f"arn:aws:kms:eu-west-1:111122223333:key/{KEY}")],
            [("kms:Decrypt", f"arn:aws:kms:eu-west-1:111122223333:key/{KEY}")],
            id="a-unique-key-id-is-its-arn",
        ),
        pytest.param(
            [
                survey("111122223333", f"arn:aws:kms:eu-west-1:111122223333:key/{KEY}"),
                survey("444455556666", f"arn:aws:kms:eu-west-1:444455556666:key/{KEY}"),
            ],
            "2 keys of the organization have this id",
            id="an-id-two-accounts-share-is-an-error",
        ),
        pytest.param([survey("111122223333")], "no keys of the organization", id="unknown-id"),
    ],
)
def test_a_key_named_by_id_must_be_one_key_of_the_organization(
    surveys: list[Survey], expected: object
) -> None:
    spec = parse_spec(
        f'invariant i "t":\n  forall p in organization: not can(p, "kms:Decrypt", key "{KEY}")\n',
        "org.spec",
    )
    _, whole = split_specs([spec])
    if isinstance(expected, str):
        with pytest.raises(SpecError, match=expected):
            questions_of(whole, surveys)
    else:
        assert questions_of(whole, surveys) == expected
