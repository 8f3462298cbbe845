"""Cross-account analysis of an organization: principals of member accounts decided with
their own policies and SCPs, chains across accounts, and what the organization knows
about principals outside it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cksmodel.org.analysis import OrgAnalysis, analyse_organization
from cksmodel.org.executor import open_executor

SECURITY = "111122223333"
PAYMENTS = "222233334444"
LEDGER = "333344445555"
SANDBOX = "444455556666"
STORE_KEY = f"arn:aws:kms:us-east-1:{SECURITY}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DELETE = ("kms:DeleteCustomKeyStore", "*")
DECRYPT = ("kms:Decrypt", STORE_KEY)

Json = dict[str, Any]


def analyse(folder: str | Path, *questions: tuple[str, str]) -> OrgAnalysis:
    with open_executor("local") as executor:
        return analyse_organization(folder, executor=executor, questions=questions)


@cache
def example(name: str) -> OrgAnalysis:
    return analyse(f"examples/{name}", DELETE, DECRYPT)


def reachers(analysis: OrgAnalysis, question: tuple[str, str]) -> dict[str, Any]:
    return {r.reach.arn: r for r in analysis.graph.who_can(*question)}


def arn(account: str, name: str, kind: str = "role") -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


# ---------------------------------------------------------------- the examples


def test_the_store_key_is_used_by_principals_of_three_accounts_each_with_its_account() -> None:
    found = reachers(example("cks-org"), DECRYPT)
    assert {r.reach.account for r in found.values() if r.member} == {SECURITY, PAYMENTS, LEDGER}
    app = found[arn(PAYMENTS, "payments-app")]
    assert app.reach.direct and app.reach.decided and app.accounts == (SECURITY,)
    admin = found[arn(PAYMENTS, "Admin")]
    assert admin.accounts == (PAYMENTS, SECURITY)
    assert admin.reach.path[0].target == arn(PAYMENTS, "payments-app")


def test_no_principal_of_another_account_administers_the_compliant_store() -> None:
    found = reachers(example("cks-org"), DELETE)
    assert found
    assert {r.reach.account for r in found.values() if r.member} == {SECURITY}


def test_the_broken_pipeline_reaches_store_deletion_across_accounts() -> None:
    found = reachers(example("cks-org-broken"), DELETE)
    runner = found[arn(PAYMENTS, "ci-runner")]
    assert runner.reach.decided
    assert [h.target for h in runner.reach.path[:2]] == [
        arn(PAYMENTS, "deployer"),
        arn(SECURITY, "cks-store-manager"),
    ]
    assert runner.accounts == (PAYMENTS, SECURITY, SECURITY)
    assert runner.to_json()["path"][1]["account"] == SECURITY


def test_the_sandbox_principals_never_reach_the_store_key() -> None:
    found = reachers(example("cks-org"), DECRYPT)
    assert not [a for a in found if f"::{SANDBOX}:" in a]


# ---------------------------------------------------------------- edited copies


def copy_org(tmp_path: Path, name: str = "cks-org") -> Path:
    target = tmp_path / name
    shutil.copytree(f"examples/{name}", target)
    return target


def edit_iam(org: Path, account: str, change: Callable[[Json], None]) -> None:
    path = org / "accounts" / account / "iam" / "account-authorization-details.json"
    details = json.loads(path.read_text())
    change(details)
    path.write_text(json.dumps(details, indent=2))


def role(details: Json, name: str) -> Json:
    return next(r for r in details["RoleDetailList"] if r["RoleName"] == name)


def trust_also(org: Path, principal: str) -> None:
    """The store manager's trust policy also lets ``principal`` in, without MFA."""

    def change(details: Json) -> None:
        document = role(details, "cks-store-manager")["AssumeRolePolicyDocument"]
        document["Statement"].append(
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        )

    edit_iam(org, SECURITY, change)


def allow_assume(org: Path, account: str, name: str, resource: str) -> None:
    def change(details: Json) -> None:
        role(details, name)["RolePolicyList"].append(
            {
                "PolicyName": "assume-store-manager",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}
                    ],
                },
            }
        )

    edit_iam(org, account, change)


def test_a_named_principal_of_a_member_needs_its_own_identity_policy(tmp_path: Path) -> None:
    org = copy_org(tmp_path)
    ledger_app = arn(LEDGER, "ledger-app")
    trust_also(org, ledger_app)
    assert ledger_app not in reachers(analyse(org, DELETE), DELETE)
    allow_assume(org, LEDGER, "ledger-app", arn(SECURITY, "cks-store-manager"))
    found = reachers(analyse(org, DELETE), DELETE)
    assert found[ledger_app].reach.decided


def test_the_scps_of_the_principals_own_ou_apply(tmp_path: Path) -> None:
    org = copy_org(tmp_path)
    trust_also(org, arn(SANDBOX, "sandbox-experiments"))
    trust_also(org, arn(PAYMENTS, "Admin"))
    found = reachers(analyse(org, DELETE), DELETE)
    assert arn(SANDBOX, "sandbox-experiments") not in found
    assert found[arn(PAYMENTS, "Admin")].reach.decided


def test_an_account_named_as_a_whole_stands_for_its_principals(tmp_path: Path) -> None:
    org = copy_org(tmp_path)
    trust_also(org, f"arn:aws:iam::{LEDGER}:root")
    found = reachers(analyse(org, DELETE), DELETE)
    assert found[arn(LEDGER, "Admin")].reach.decided
    assert arn(LEDGER, "ledger-app") not in found
    assert found[arn(LEDGER, "chen", "user")].reach.decided


def test_a_principal_changed_in_its_own_account_may_reach_only_undecided(tmp_path: Path) -> None:
    org = copy_org(tmp_path)
    trust_also(org, arn(LEDGER, "deployer"))
    found = reachers(analyse(org, DELETE), DELETE)
    admin = found[arn(LEDGER, "Admin")]
    assert not admin.reach.decided
    assert any(h.target.endswith("deployer#changed") for h in admin.reach.path)
    assert arn(LEDGER, "deployer") not in found


def outside_key_user(org: Path, grantee: str = "arn:aws:iam::555566667777:role/p") -> None:
    """The store key's grants also name a role of an account outside the organization."""
    grants = org / "accounts" / SECURITY / "kms" / "keys"
    path = grants / "1234abcd-12ab-34cd-56ef-1234567890ab" / "grants.json"
    data = json.loads(path.read_text())
    extra = dict(data["Grants"][0])
    extra.update(GrantId=grantee[-12:].rjust(64, "9"), Name="partner", GranteePrincipal=grantee)
    data["Grants"].append(extra)
    path.write_text(json.dumps(data, indent=2))


# The identity-perimeter RCP of AWS's data perimeter policy examples
# (github.com/aws-samples/data-perimeter-policy-examples,
# resource_control_policies/identity_perimeter_rcp.json), its placeholders filled in:
# the organization, two third-party accounts and two service accounts allowed in, the
# GitHub and Google identity providers.
PUBLISHED_RCP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnforceOrgIdentities",
            "Effect": "Deny",
            "Principal": "*",
            "Action": [
                "s3:*",
                "sqs:*",
                "kms:*",
                "secretsmanager:*",
                "sts:AssumeRole",
                "sts:DecodeAuthorizationMessage",
                "sts:GetAccessKeyInfo",
                "sts:GetFederationToken",
                "sts:GetServiceBearerToken",
                "sts:GetSessionToken",
                "sts:SetContext",
            ],
            "Resource": "*",
            "Condition": {
                "StringNotEqualsIfExists": {
                    "aws:PrincipalOrgID": "o-exampleorgid",
                    "aws:PrincipalAccount": [
                        "777788889999",
                        "888899990000",
                        "555566667777",
                        "666677778888",
                    ],
                    "aws:ResourceTag/dp:exclude:identity": "true",
                },
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
        },
        {
            "Sid": "EnforceTrustedOIDCTenants",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Resource": "*",
            "Condition": {
                "StringNotEqualsIfExists": {
                    "token.actions.githubusercontent.com:sub": "repo:example-corp/*",
                    "aws:ResourceTag/dp:exclude:identity": "true",
                },
                "Null": {"token.actions.githubusercontent.com:sub": "false"},
            },
        },
        {
            "Sid": "EnforceTrustedOIDCProviders",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Resource": "*",
            "Condition": {
                "Null": {
                    "token.actions.githubusercontent.com:sub": "true",
                    "accounts.google.com:sub": "true",
                }
            },
        },
        {
            "Sid": "EnforceConfusedDeputyProtection",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:*"],
            "Resource": "*",
            "Condition": {
                "StringNotEqualsIfExists": {
                    "aws:SourceOrgID": "o-exampleorgid",
                    "aws:SourceAccount": ["555566667777", "666677778888"],
                    "aws:ResourceTag/dp:exclude:identity": "true",
                },
                "Null": {"aws:SourceAccount": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"},
            },
        },
    ],
}


def test_the_published_identity_perimeter_rcp_admits_only_its_listed_outsiders(
    tmp_path: Path,
) -> None:
    org = copy_org(tmp_path)
    listed, unlisted = "arn:aws:iam::555566667777:role/p", "arn:aws:iam::999988887777:role/q"
    outside_key_user(org, listed)
    outside_key_user(org, unlisted)
    path = org / "policies" / "rcp" / "p-7h4fw2qc.json"
    document = json.loads(path.read_text())
    document["Policy"]["Content"] = json.dumps(PUBLISHED_RCP, indent=4)
    path.write_text(json.dumps(document, indent=4))
    analysis = analyse(org, DECRYPT)
    found = reachers(analysis, DECRYPT)
    assert found[listed].reach.decided
    assert found[arn(PAYMENTS, "payments-app")].reach.decided
    assert f"{unlisted}#changed" not in analysis.graph.graph
    # The key's tags are not in the bundle: the unlisted outsider gets in only on a key
    # tagged with the RCP's exclusion tag, never by carrying the organization's id.
    (node,) = analysis.graph.questions[DECRYPT]
    witness = json.loads(analysis.graph.graph[unlisted][node]["witness"])
    assert witness["context"] == {"aws:ResourceTag/dp:exclude:identity": "true"}
    listed_witness = json.loads(analysis.graph.graph[listed][node]["witness"])
    assert "aws:ResourceTag/dp:exclude:identity" not in listed_witness.get("context", {})


def test_an_outsider_cannot_carry_the_organizations_id(tmp_path: Path) -> None:
    org = copy_org(tmp_path)
    outside_key_user(org)
    partner = "arn:aws:iam::555566667777:role/p"
    assert partner not in reachers(analyse(org, DECRYPT), DECRYPT)
    for name in ("p-7h4fw2qc.json", "p-7h4fw2qc.targets.json"):
        (org / "policies" / "rcp" / name).unlink()
    found = reachers(analyse(org, DECRYPT), DECRYPT)
    assert found[partner].reach.decided and not found[partner].member


@pytest.mark.parametrize("name", ["cks-org", "cks-org-broken"])
def test_every_hop_names_the_account_that_decided_it(name: str) -> None:
    for reach in example(name).graph.who_can(*DECRYPT):
        hops = reach.to_json()["path"]
        assert [h["account"] for h in hops] == list(reach.accounts)
        assert all(a in (SECURITY, PAYMENTS, LEDGER) for a in reach.accounts)


def prove_org(folder: str | Path, text: str) -> Any:
    from cksmodel.invariants.spec import parse_spec
    from cksmodel.org.prove import organization_report, questions_of, split_specs

    per_account, whole = split_specs([parse_spec(text, "org.spec")])
    specs = [s for s in per_account if s.invariants]
    with open_executor("local") as executor:
        analysis = analyse_organization(
            folder,
            executor=executor,
            specs=specs,
            questions=lambda surveys: questions_of(whole, surveys),
        )
    return {r.name: r for r in organization_report(analysis, specs, whole).results}


@pytest.mark.parametrize(
    ("formula", "verdict"),
    [
        pytest.param(
            'forall account a: forall p in account a: not can(p, "kms:DeleteCustomKeyStore", "*")',
            "REFUTED",
            id="forall-account-refuted-by-the-security-account",
        ),
        pytest.param(
            'exists account a: exists p in account a: can(p, "kms:DeleteCustomKeyStore", "*")',
            "PROVED",
            id="exists-account-holds-in-one",
        ),
        pytest.param(
            'exists account a: exists p in account a: can(p, "cloudhsm:DeleteBackup", "*")'
            ' and p in account "444455556666"',
            "REFUTED",
            id="exists-account-holds-in-none",
        ),
        pytest.param(
            'forall p in account "222233334444": not can*(p, "kms:DeleteCustomKeyStore", "*")',
            "PROVED",
            id="one-account-by-id-on-the-joined-graph",
        ),
        pytest.param(
            'exists p in organization: can(p, "kms:Decrypt", key "'
            + STORE_KEY
            + '") and p in account "333344445555"',
            "PROVED",
            id="a-workload-principal-decrypts-directly",
        ),
    ],
)
def test_account_quantifiers_over_the_organization(formula: str, verdict: str) -> None:
    results = prove_org("examples/cks-org", f'invariant i "t":\n  {formula}\n')
    assert results["i"].verdict.value == verdict
