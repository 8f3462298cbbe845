"""The built-in custom key store facts: service-linked role, protections, key policy, personas."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from cksmodel.cks import model
from cksmodel.concrete.evaluate import policy_statements
from cksmodel.concrete.request import Principal, PrincipalKind, Request
from cksmodel.errors import CksError
from cksmodel.policy.catalog import AccessLevel, get_catalog
from cksmodel.policy.findings import Severity
from cksmodel.policy.ir import Effect, Policy, PolicyType, Value
from cksmodel.policy.patterns import compile_glob
from cksmodel.policy.validate import validate_text

ACCOUNT = "111122223333"
SLR_PERMISSIONS = {
    "cloudhsm:Describe*",
    "ec2:CreateNetworkInterface",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateSecurityGroup",
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DeleteSecurityGroup",
    "ec2:DescribeVpcs",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
}


def texts(values: Iterable[Value]) -> list[str]:
    return [v.text for v in values]


def granted(policy: Policy) -> set[str]:
    """Every catalog action an Allow statement's Action patterns match."""
    catalog = get_catalog()
    out: set[str] = set()
    for stmt in policy.statements:
        if stmt.effect is Effect.ALLOW:
            for value in stmt.actions:
                out.update(catalog.expand(value.text))
    return out


# ---------------------------------------------------------------------- constants


def test_role_constants() -> None:
    assert model.SLR_NAME == "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
    assert model.SLR_PATH == "/aws-service-role/cks.kms.amazonaws.com/"
    assert model.SLR_SERVICE == "cks.kms.amazonaws.com"
    assert model.SLR_POLICY_NAME == "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy"
    assert model.SLR_POLICY_ARN == (
        "arn:aws:iam::aws:policy/aws-service-role/"
        "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy"
    )
    assert (model.SLR_POLICY_VERSION, model.SLR_POLICY_UPDATED) == ("v2", "2023-11-10")


def test_slr_arn() -> None:
    assert model.slr_arn(ACCOUNT) == (
        "arn:aws:iam::111122223333:role/aws-service-role/cks.kms.amazonaws.com/"
        "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
    )
    assert model.slr_arn(ACCOUNT, "aws-us-gov").startswith("arn:aws-us-gov:iam::111122223333:")


@pytest.mark.parametrize(("account", "partition"), [("12345", "aws"), (ACCOUNT, "azure")])
def test_bad_account_or_partition_is_an_input_error(account: str, partition: str) -> None:
    with pytest.raises(CksError):
        model.slr_arn(account, partition)
    with pytest.raises(CksError):
        model.default_key_policy(account, partition)


def test_cks_actions_are_the_catalog_custom_key_store_actions() -> None:
    catalog = get_catalog()
    assert set(model.CKS_ACTIONS) == set(catalog.expand("kms:*CustomKeyStore*"))
    assert len(model.CKS_ACTIONS) == 6
    assert set(model.CKS_MANAGEMENT_ACTIONS) == set(model.CKS_ACTIONS) - {
        "kms:DescribeCustomKeyStores"
    }
    for action in model.CKS_ACTIONS:
        info = catalog.action(action)
        assert info is not None and info.star_only, action


# ------------------------------------------------------------------- trust policy


def test_trust_policy_lets_only_the_cks_service_assume_the_role() -> None:
    policy = model.slr_trust_policy()
    assert policy.policy_type is PolicyType.TRUST
    assert policy.version == "2012-10-17"
    assert len(policy.statements) == 1
    (stmt,) = policy.statements
    assert stmt.effect is Effect.ALLOW
    assert stmt.principal is not None and stmt.not_principal is None
    assert texts(stmt.principal.service) == ["cks.kms.amazonaws.com"]
    assert not stmt.principal.wildcard
    assert not (stmt.principal.aws or stmt.principal.federated or stmt.principal.canonical_user)
    assert texts(stmt.actions) == ["sts:AssumeRole"]
    assert stmt.not_actions is None and stmt.conditions == ()


def test_shipped_policies_carry_positions_into_their_files() -> None:
    for policy, file in [
        (model.slr_trust_policy(), model.SLR_TRUST_POLICY_FILE),
        (model.slr_permissions_policy(), model.SLR_PERMISSIONS_POLICY_FILE),
        (model.protections_policy(), model.PROTECTIONS_POLICY_FILE),
    ]:
        span = policy.statements[0].actions[0].span
        assert span is not None
        assert span.source == f"cksmodel:cks/data/{file}"
        line = model.data_text(file).splitlines()[span.line - 1]
        assert policy.statements[0].actions[0].text in line


@pytest.mark.parametrize(
    ("file", "policy_type"),
    [
        (model.SLR_TRUST_POLICY_FILE, PolicyType.TRUST),
        (model.SLR_PERMISSIONS_POLICY_FILE, PolicyType.IDENTITY),
        (model.PROTECTIONS_POLICY_FILE, PolicyType.RESOURCE),
    ],
)
def test_shipped_documents_validate_without_errors(file: str, policy_type: PolicyType) -> None:
    findings = validate_text(
        model.data_text(file), policy_type=policy_type, source=model.source_name(file)
    )
    assert [f for f in findings if f.severity is Severity.ERROR] == []


# -------------------------------------------------------------- permissions policy


def test_permissions_policy_is_the_managed_policy_v2() -> None:
    policy = model.slr_permissions_policy()
    assert policy.policy_type is PolicyType.IDENTITY
    assert policy.name == model.SLR_POLICY_NAME
    assert policy.version == "2012-10-17"
    assert len(policy.statements) == 1
    (stmt,) = policy.statements
    assert stmt.effect is Effect.ALLOW
    assert stmt.principal is None and stmt.not_principal is None
    assert stmt.not_actions is None and stmt.not_resources is None
    assert len(stmt.actions) == 10
    assert set(texts(stmt.actions)) == SLR_PERMISSIONS
    assert stmt.resources is not None and texts(stmt.resources) == ["*"]
    assert stmt.conditions == ()


def test_every_permission_is_a_known_action() -> None:
    catalog = get_catalog()
    for value in model.slr_permissions_policy().statements[0].actions:
        assert catalog.expand(value.text), value.text


def test_cloudhsm_describe_star_is_describe_backups_and_clusters() -> None:
    assert get_catalog().expand("cloudhsm:Describe*") == (
        "cloudhsm:DescribeBackups",
        "cloudhsm:DescribeClusters",
    )
    cloudhsm = {a for a in granted(model.slr_permissions_policy()) if a.startswith("cloudhsm:")}
    assert cloudhsm == {"cloudhsm:DescribeBackups", "cloudhsm:DescribeClusters"}


def test_role_cannot_create_modify_or_delete_clusters_hsms_or_backups() -> None:
    catalog = get_catalog()
    patterns = [
        compile_glob(v.text, ignore_case=True)
        for v in model.slr_permissions_policy().statements[0].actions
    ]
    changing = [
        action
        for action in catalog.actions_of("cloudhsm")
        if (info := catalog.action(action)) is not None
        and info.access_level is not AccessLevel.READ
        and info.access_level is not AccessLevel.LIST
    ]
    # the cluster, HSM and backup life cycle is among them
    for action in (
        "cloudhsm:CreateCluster",
        "cloudhsm:DeleteCluster",
        "cloudhsm:ModifyCluster",
        "cloudhsm:InitializeCluster",
        "cloudhsm:CreateHsm",
        "cloudhsm:DeleteHsm",
        "cloudhsm:DeleteBackup",
        "cloudhsm:RestoreBackup",
        "cloudhsm:CopyBackupToRegion",
        "cloudhsm:ModifyBackupAttributes",
    ):
        assert action in changing
    for action in changing:
        assert not any(p.match(action) for p in patterns), action


def test_role_grants_nothing_in_kms_or_iam() -> None:
    services = {a.partition(":")[0] for a in granted(model.slr_permissions_policy())}
    assert services == {"cloudhsm", "ec2"}


# ------------------------------------------------------------------- protections


def _role_session_request(action: str, resource: str) -> Request:
    principal = Principal(
        kind=PrincipalKind.USER,
        text=f"arn:aws:iam::{ACCOUNT}:user/admin",
        account=ACCOUNT,
        name="admin",
    )
    return Request(principal=principal, action=action, resource=resource)


PROTECTED = [
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreateRole",
    "iam:DeleteServiceLinkedRole",
]


def test_protections_policy_is_deny_only_for_everyone() -> None:
    policy = model.protections_policy()
    assert policy.policy_type is PolicyType.RESOURCE
    assert policy.statements
    for stmt in policy.statements:
        assert stmt.effect is Effect.DENY
        assert stmt.principal is not None and stmt.principal.wildcard
        assert stmt.conditions == ()
    catalog = get_catalog()
    actions = [v.text for s in policy.statements for v in s.actions]
    assert sorted(actions) == sorted(PROTECTED)
    for action in actions:
        assert catalog.action(action) is not None, action


@pytest.mark.parametrize("action", PROTECTED)
def test_the_role_cannot_be_deleted_or_its_policies_edited(action: str) -> None:
    _, denies = policy_statements(
        model.protections_policy(), _role_session_request(action, model.slr_arn(ACCOUNT))
    )
    assert denies, action


@pytest.mark.parametrize("action", ["iam:UpdateRoleDescription", "iam:UpdateRole", "iam:GetRole"])
def test_the_role_description_stays_editable(action: str) -> None:
    _, denies = policy_statements(
        model.protections_policy(), _role_session_request(action, model.slr_arn(ACCOUNT))
    )
    assert denies == []


def test_protections_spare_ordinary_roles_and_other_services_role_deletion() -> None:
    policy = model.protections_policy()
    ordinary = f"arn:aws:iam::{ACCOUNT}:role/app"
    for action in PROTECTED:
        assert policy_statements(policy, _role_session_request(action, ordinary))[1] == []
    other_slr = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/cloudhsm.amazonaws.com/X"
    request = _role_session_request("iam:DeleteServiceLinkedRole", other_slr)
    assert policy_statements(policy, request)[1] == []
    assert policy_statements(policy, _role_session_request("iam:DeleteRole", other_slr))[1]


# ------------------------------------------------------------- default key policy


def test_default_key_policy() -> None:
    policy = model.default_key_policy(ACCOUNT)
    assert policy.policy_type is PolicyType.KEY
    assert policy.version == "2012-10-17"
    assert policy.id == "key-default-1"
    assert len(policy.statements) == 1
    (stmt,) = policy.statements
    assert stmt.sid == "Enable IAM User Permissions"
    assert stmt.effect is Effect.ALLOW
    assert stmt.principal is not None
    assert texts(stmt.principal.aws) == [f"arn:aws:iam::{ACCOUNT}:root"]
    assert not (stmt.principal.wildcard or stmt.principal.service)
    assert texts(stmt.actions) == ["kms:*"]
    assert stmt.resources is not None and texts(stmt.resources) == ["*"]
    assert stmt.conditions == ()


def test_default_key_policy_in_another_partition() -> None:
    (stmt,) = model.default_key_policy(ACCOUNT, "aws-cn").statements
    assert stmt.principal is not None
    assert texts(stmt.principal.aws) == [f"arn:aws-cn:iam::{ACCOUNT}:root"]


# ---------------------------------------------------------------------- personas


def test_store_manager_has_exactly_the_eight_documented_permissions() -> None:
    assert model.LEAST_PRIVILEGE["store_manager"] == (
        "cloudhsm:DescribeClusters",
        "kms:CreateCustomKeyStore",
        "kms:ConnectCustomKeyStore",
        "kms:DisconnectCustomKeyStore",
        "kms:UpdateCustomKeyStore",
        "kms:DeleteCustomKeyStore",
        "kms:DescribeCustomKeyStores",
        "iam:CreateServiceLinkedRole",
    )


def test_key_user_is_the_key_users_statement() -> None:
    assert set(model.LEAST_PRIVILEGE["key_user"]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    }


def test_key_manager_is_the_key_administrators_statement_plus_create_key() -> None:
    key_manager = model.LEAST_PRIVILEGE["key_manager"]
    assert "kms:CreateKey" in key_manager
    assert "kms:RotateKeyOnDemand" in key_manager
    assert len(key_manager) == len(set(key_manager)) == 16
    expanded = {a for p in key_manager for a in get_catalog().expand(p)}
    assert "kms:Decrypt" not in expanded and "kms:Encrypt" not in expanded


def test_key_manager_wildcards_reach_custom_key_store_actions_in_an_iam_policy() -> None:
    # Documented caveat: in an IAM policy with Resource "*", the console's key
    # administrator wildcards also match the custom key store actions.
    expanded = {a for p in model.LEAST_PRIVILEGE["key_manager"] for a in get_catalog().expand(p)}
    reached = set(model.CKS_ACTIONS) & expanded
    assert reached == {
        "kms:CreateCustomKeyStore",
        "kms:DescribeCustomKeyStores",
        "kms:UpdateCustomKeyStore",
        "kms:DeleteCustomKeyStore",
    }


def test_cluster_admin_manages_clusters_hsms_and_backups_but_no_kms() -> None:
    cluster_admin = model.LEAST_PRIVILEGE["cluster_admin"]
    for action in (
        "cloudhsm:CreateCluster",
        "cloudhsm:InitializeCluster",
        "cloudhsm:CreateHsm",
        "cloudhsm:DeleteHsm",
        "cloudhsm:DeleteBackup",
        "cloudhsm:RestoreBackup",
    ):
        assert action in cluster_admin
    assert not [a for a in cluster_admin if a.startswith("kms:")]
    assert len(cluster_admin) == len(set(cluster_admin))


@pytest.mark.parametrize("persona", model.PERSONAS)
def test_every_least_privilege_entry_names_catalog_actions(persona: str) -> None:
    catalog = get_catalog()
    for pattern in model.LEAST_PRIVILEGE[persona]:
        assert catalog.expand(pattern), pattern


@pytest.mark.parametrize("persona", model.PERSONAS)
def test_least_privilege_persona_is_recognised_by_its_signature(persona: str) -> None:
    catalog = get_catalog()
    quantifier, actions, resource = model.PERSONA_SIGNATURES[persona]
    assert quantifier == "any"
    assert resource in ("*", model.ALL_KEYS)
    granted_actions = {a for p in model.LEAST_PRIVILEGE[persona] for a in catalog.expand(p)}
    for pattern in actions:
        assert set(catalog.expand(pattern)) <= granted_actions, pattern


def test_persona_signatures() -> None:
    assert set(model.PERSONA_SIGNATURES) == set(model.LEAST_PRIVILEGE) == set(model.PERSONAS)
    assert model.PERSONA_SIGNATURES["store_manager"] == ("any", model.CKS_MANAGEMENT_ACTIONS, "*")
    assert model.PERSONA_SIGNATURES["key_user"][2] == "key *"
    assert model.PERSONA_SIGNATURES["key_manager"] == ("any", ("kms:CreateKey",), "*")
