"""Account bundles: the two example accounts, errors with positions, warnings, collect.sh."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_aws import needs_bash, run_with_fake_aws

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account, BundleError, Cluster, CustomKeyStore, IamPrincipal
from cksmodel.concrete.request import PrincipalKind
from cksmodel.errors import InputError
from cksmodel.policy.ir import Effect, Policy, PolicyType

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOOD = EXAMPLES / "cks-account"
BROKEN = EXAMPLES / "cks-account-broken"

ACCOUNT = "111122223333"
IAM = f"arn:aws:iam::{ACCOUNT}"
V = "2012-10-17"
STORE = "cks-1234567890abcdef0"
CLUSTER = "cluster-1234abcdefg"
SLR_NAME = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
SLR_ARN = f"{IAM}:role/aws-service-role/cks.kms.amazonaws.com/{SLR_NAME}"
SLR_POLICY = (
    "arn:aws:iam::aws:policy/aws-service-role/"
    "AWSKeyManagementServiceCustomKeyStoresServiceRolePolicy"
)
K_PAY = "1234abcd-12ab-34cd-56ef-1234567890ab"
K_LEDGER = "0987dcba-09fe-87dc-65ba-ab0987654321"
K_SETTLE = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
K_PLATFORM = "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e"
STORE_MANAGER_ACTIONS = {
    "cloudhsm:DescribeClusters",
    "kms:CreateCustomKeyStore",
    "kms:ConnectCustomKeyStore",
    "kms:DisconnectCustomKeyStore",
    "kms:UpdateCustomKeyStore",
    "kms:DeleteCustomKeyStore",
    "kms:DescribeCustomKeyStores",
    "iam:CreateServiceLinkedRole",
}


@pytest.fixture(scope="module")
def good() -> Account:
    return load_bundle(GOOD)


@pytest.fixture(scope="module")
def broken() -> Account:
    return load_bundle(BROKEN)


def actions(policies: tuple[Policy, ...], effect: Effect = Effect.ALLOW) -> set[str]:
    return {v.text for p in policies for s in p.statements if s.effect is effect for v in s.actions}


def principal(account: Account, name: str) -> IamPrincipal:
    found = account.principal(name)
    assert found is not None, name
    return found


# --- the example accounts ------------------------------------------------------------

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
ROLES = [
    "Admin",
    "AWSServiceRoleForCloudHSM",
    SLR_NAME,
    "ci-deployer",
    "cks-store-manager",
    "cloudhsm-cluster-admin",
    "kms-key-manager",
    "ledger-app",
    "payments-app",
]
SCP_LEVELS = [
    ["scp/00-r-a1b2/FullAWSAccess"],
    ["scp/01-ou-a1b2-5wd9k3xj/region-guardrail", "scp/01-ou-a1b2-5wd9k3xj/FullAWSAccess"],
    ["scp/02-111122223333/cks-guardrails", "scp/02-111122223333/FullAWSAccess"],
]
RCP_LEVELS = [
    ["rcp/00-r-a1b2/RCPFullAWSAccess"],
    [
        "rcp/01-ou-a1b2-5wd9k3xj/data-perimeter-identities",
        "rcp/01-ou-a1b2-5wd9k3xj/RCPFullAWSAccess",
    ],
    ["rcp/02-111122223333/RCPFullAWSAccess"],
]


@pytest.mark.parametrize("root", [GOOD, BROKEN], ids=["compliant", "broken"])
def test_example_inventory(root: Path) -> None:
    account = load_bundle(root)
    assert account.warnings == ()
    assert account.account_id == ACCOUNT
    assert account.partition == "aws"
    assert account.organization_id == "o-exampleorgid"
    assert account.management_account == "999999999999"
    assert account.regions == ("us-east-1", "eu-west-1")
    assert account.root == root
    assert sorted(p.name for p in account.principals if p.kind == "user") == USERS
    assert sorted(p.name for p in account.principals if p.kind == "role") == sorted(ROLES)
    assert [k.key_id for k in account.keys] == [K_LEDGER, K_PAY, K_PLATFORM, K_SETTLE]
    in_store = {k.key_id for k in account.keys if k.in_custom_key_store}
    assert in_store == {K_PAY, K_LEDGER, K_SETTLE}
    for key in account.keys:
        assert key.policy.policy_type is PolicyType.KEY
        assert key.region == "us-east-1" and key.account == ACCOUNT
        assert key.key_spec == "SYMMETRIC_DEFAULT" and key.key_state == "Enabled"
        assert key.key_manager == "CUSTOMER"
        assert key.origin == ("AWS_CLOUDHSM" if key.key_id in in_store else "AWS_KMS")
    assert account.keys_in_store(STORE) == tuple(k for k in account.keys if k.key_id in in_store)
    assert account.stores == (
        CustomKeyStore(
            id=STORE,
            name="payments-cks",
            state="CONNECTED",
            cluster_id=CLUSTER,
            store_type="AWS_CLOUDHSM",
        ),
    )
    assert account.clusters == (
        Cluster(
            id=CLUSTER, state="ACTIVE", hsms=(("us-east-1a", "ACTIVE"), ("us-east-1b", "ACTIVE"))
        ),
    )
    assert account.clusters[0].active_zones == ("us-east-1a", "us-east-1b")
    assert [[p.name for p in level] for level in account.scps] == SCP_LEVELS
    assert [[p.name for p in level] for level in account.rcps] == RCP_LEVELS
    assert all(p.policy_type is PolicyType.SCP for level in account.scps for p in level)
    assert all(p.policy_type is PolicyType.RCP for level in account.rcps for p in level)
    assert set(account.managed_policies) >= {
        SLR_POLICY,
        "arn:aws:iam::aws:policy/AdministratorAccess",
    }


def test_effective_policies_include_groups_and_managed(good: Account) -> None:
    grace = principal(good, "grace")
    assert grace.groups == ("admins", "engineers", "platform-engineers")
    assert [p.name for p in grace.policies] == [
        "group/admins/inline/assume-admin",
        f"managed/{IAM}:policy/engineer-self-service",
        "group/platform-engineers/inline/assume-platform-roles",
    ]
    assert grace.boundary is not None
    assert grace.boundary.name == f"boundary/{IAM}:policy/boundaries/engineer-boundary"
    assert grace.boundary.policy_type is PolicyType.BOUNDARY
    assert grace.tags == {"team": "platform"}
    assert grace.trust_policy is None
    bob = principal(good, "bob")
    assert [p.name for p in bob.policies] == [
        "user/bob/inline/oncall-read",
        f"managed/{IAM}:policy/engineer-self-service",
        "group/payments-engineers/inline/payments-logs",
    ]
    # A managed policy attached to several principals is built once.
    alice = principal(good, "alice")
    assert (
        alice.policies[0]
        is bob.policies[1]
        is good.managed_policies[f"{IAM}:policy/engineer-self-service"]
    )


def test_managed_policy_default_version_is_in_force(good: Account, broken: Account) -> None:
    arn = f"{IAM}:policy/cks/cks-store-manager"
    # v1 (kms:* and an unscoped iam:CreateServiceLinkedRole) is not the default.
    assert actions((good.managed_policies[arn],)) == STORE_MANAGER_ACTIONS
    assert actions((broken.managed_policies[arn],)) == STORE_MANAGER_ACTIONS | {
        "kms:CreateKey",
        "kms:ScheduleKeyDeletion",
    }


def test_url_encoded_documents_decode(good: Account) -> None:
    app = principal(good, "payments-app")
    trust = app.trust_policy
    assert trust is not None and trust.policy_type is PolicyType.TRUST
    assert trust.name == "role/payments-app/trust"
    stmt = trust.statements[0]
    assert stmt.principal is not None
    assert [v.text for v in stmt.principal.service] == ["ecs-tasks.amazonaws.com"]
    assert [c.key for c in stmt.conditions] == ["aws:SourceAccount"]
    assert trust.span is not None
    iam_file = str(GOOD / "iam" / "account-authorization-details.json")
    assert trust.span.source.startswith(iam_file + ":")
    assert trust.span.source.endswith(" role/payments-app/trust (embedded document)")
    oncall = principal(good, "bob").policies[0]
    assert actions((oncall,)) == {
        "ecs:DescribeServices",
        "ecs:ListServices",
        "cloudwatch:GetMetricData",
    }


def test_spans_name_the_bundle_file(good: Account) -> None:
    iam_file = str(GOOD / "iam" / "account-authorization-details.json")
    store_manager = principal(good, "cks-store-manager")
    policy = store_manager.policies[0]
    assert policy.span is not None and policy.span.source == iam_file
    assert policy.statements[0].span is not None
    assert policy.statements[0].span.line > 1
    key = good.key(K_PAY)
    assert key is not None and key.policy.span is not None
    assert key.policy.span.source.startswith(str(GOOD / "kms" / "keys" / K_PAY / "key-policy.json"))
    assert key.policy.name == f"key/{K_PAY}/key-policy"
    grants = good.key(K_SETTLE)
    assert grants is not None
    assert grants.grants[0].span is not None
    assert grants.grants[0].span.source == str(GOOD / "kms" / "keys" / K_SETTLE / "grants.json")


def test_service_linked_role(good: Account) -> None:
    slr = principal(good, SLR_NAME)
    assert slr.arn == SLR_ARN
    assert slr.path == "/aws-service-role/cks.kms.amazonaws.com/"
    assert slr.service_linked
    assert not principal(good, "cks-store-manager").service_linked
    assert [p.name for p in slr.policies] == [f"managed/{SLR_POLICY}"]
    (stmt,) = slr.policies[0].statements
    assert stmt.effect is Effect.ALLOW
    assert [v.text for v in stmt.resources or ()] == ["*"]
    assert {v.text for v in stmt.actions} == {
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
    assert slr.trust_policy is not None
    (trust,) = slr.trust_policy.statements
    assert trust.principal is not None
    assert [v.text for v in trust.principal.service] == ["cks.kms.amazonaws.com"]
    assert trust.principal.aws == ()
    assert [v.text for v in trust.actions] == ["sts:AssumeRole"]


def test_compliant_personas(good: Account) -> None:
    store_manager = principal(good, "cks-store-manager")
    assert actions(store_manager.policies) == STORE_MANAGER_ACTIONS
    slr_stmt = store_manager.policies[0].statements[2]
    assert [(c.operator, c.key, [v.text for v in c.values]) for c in slr_stmt.conditions] == [
        ("StringEquals", "iam:AWSServiceName", ["cks.kms.amazonaws.com"])
    ]
    key_manager = actions(principal(good, "kms-key-manager").policies)
    assert "kms:CreateKey" in key_manager
    assert not {a for a in key_manager if "CustomKeyStore" in a or "*" in a}
    cluster_admin = actions(principal(good, "cloudhsm-cluster-admin").policies)
    assert {"cloudhsm:CreateCluster", "cloudhsm:CreateHsm", "ec2:CreateSubnet"} <= cluster_admin
    assert not {a for a in cluster_admin if a.startswith("kms:")}
    admin = principal(good, "Admin")
    denied = actions(admin.policies, Effect.DENY)
    assert {"kms:CreateCustomKeyStore", "iam:UpdateAssumeRolePolicy"} <= denied
    for app, key in (("payments-app", K_PAY), ("ledger-app", K_LEDGER)):
        (inline, _runtime) = principal(good, app).policies
        (stmt,) = inline.statements
        assert {v.text for v in stmt.actions} == {
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:GenerateDataKey*",
        }
        assert [v.text for v in stmt.resources or ()] == [
            f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key}"
        ]
        assert [c.key for c in stmt.conditions] == ["kms:EncryptionContext:app"]


def _ledger_grant_ops(account: Account) -> tuple[str, ...]:
    key = account.key(K_SETTLE)
    assert key is not None
    (grant,) = [g for g in key.grants if g.grantee == f"{IAM}:role/ledger-app"]
    assert grant.encryption_context_subset == (("app", "ledger"),)
    return grant.operations


def _slr_trusted_accounts(account: Account) -> list[str]:
    trust = principal(account, SLR_NAME).trust_policy
    assert trust is not None
    return [v.text for s in trust.statements if s.principal for v in s.principal.aws]


def _ci_role_rewrites(account: Account) -> set[str]:
    return {
        v.text
        for p in principal(account, "ci-deployer").policies
        for s in p.statements
        for v in s.resources or ()
        if {a.text for a in s.actions} & {"iam:PutRolePolicy", "iam:AttachRolePolicy"}
    }


BROKEN_FACTS: list[tuple[str, Callable[[Account], object], object, object]] = [
    ("slr trusts an account", _slr_trusted_accounts, [], ["arn:aws:iam::444455556666:root"]),
    (
        "payments-app holds kms:* on *",
        lambda a: "kms:*" in actions(principal(a, "payments-app").policies),
        False,
        True,
    ),
    (
        "store manager extras",
        lambda a: actions(principal(a, "cks-store-manager").policies) - STORE_MANAGER_ACTIONS,
        set(),
        {"kms:CreateKey", "kms:ScheduleKeyDeletion"},
    ),
    ("ci-deployer rewrites roles", _ci_role_rewrites, set(), {f"{IAM}:role/*"}),
    (
        "ledger grant passes on grants",
        _ledger_grant_ops,
        ("Decrypt", "Encrypt"),
        ("Decrypt", "Encrypt", "CreateGrant"),
    ),
]


@pytest.mark.parametrize(
    ("fact", "expected_good", "expected_broken"),
    [pytest.param(f, g, b, id=name) for name, f, g, b in BROKEN_FACTS],
)
def test_broken_example_mistakes(
    good: Account,
    broken: Account,
    fact: Callable[[Account], object],
    expected_good: object,
    expected_broken: object,
) -> None:
    assert fact(good) == expected_good
    assert fact(broken) == expected_broken


# --- lookups and policy sets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"{IAM}:user/alice", f"{IAM}:user/alice"),
        ("alice", f"{IAM}:user/alice"),
        ("ALICE", f"{IAM}:user/alice"),
        ("user/alice", f"{IAM}:user/alice"),
        ("role/payments-app", f"{IAM}:role/payments-app"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/payments-app/i-0abc", f"{IAM}:role/payments-app"),
        (SLR_ARN, SLR_ARN),
        (f"{IAM}:role/{SLR_NAME}", SLR_ARN),
        ("user/payments-app", None),
        ("nobody", None),
        (f"{IAM}:root", None),
        ("arn:aws:iam::444455556666:role/payments-app", None),
        ("arn:aws:sts::444455556666:assumed-role/payments-app/s", None),
    ],
)
def test_principal_lookup(good: Account, query: str, expected: str | None) -> None:
    found = good.principal(query)
    assert (found.arn if found else None) == expected


def test_key_lookup(good: Account) -> None:
    by_id = good.key(K_PAY)
    assert by_id is not None
    assert good.key(by_id.arn) is by_id
    assert good.key(K_PAY.upper()) is by_id
    assert good.key("ffffffff-0000-0000-0000-000000000000") is None
    assert good.store(STORE) is good.stores[0]
    assert good.cluster(CLUSTER) is good.clusters[0]
    assert good.store("cks-0") is None


def test_ambiguous_name(good: Account) -> None:
    twin = IamPrincipal(
        kind="user", arn=f"{IAM}:user/Admin", name="Admin", path="/", account=ACCOUNT
    )
    account = Account(account_id=ACCOUNT, principals=(*good.principals, twin))
    with pytest.raises(BundleError) as info:
        account.principal("admin")
    assert info.value.code == "E_AMBIGUOUS"
    assert account.principal("user/Admin") is twin


def test_sessions(good: Account) -> None:
    app = principal(good, "payments-app")
    assert app.session_arn("i-0abc") == f"arn:aws:sts::{ACCOUNT}:assumed-role/payments-app/i-0abc"
    assert app.caller_arn() == f"arn:aws:sts::{ACCOUNT}:assumed-role/payments-app/session"
    caller = principal(good, SLR_NAME).request_principal("kms")
    assert caller.kind is PrincipalKind.ASSUMED_ROLE
    assert caller.is_service_linked_role
    assert caller.role_arn == SLR_ARN
    alice = principal(good, "alice")
    assert alice.caller_arn() == alice.arn
    assert alice.request_principal().kind is PrincipalKind.USER
    with pytest.raises(ValueError, match="only roles have sessions"):
        alice.session_arn()


def test_policy_set(good: Account) -> None:
    app = principal(good, "ledger-app")
    key = good.key(K_SETTLE)
    assert key is not None
    policies = good.policy_set(app, resource_policy=key.policy, grants=key.grants)
    assert policies.identity == app.policies
    assert policies.boundary is None
    assert policies.resource is key.policy
    assert policies.grants == key.grants
    assert policies.scps == good.scps and policies.rcps == good.rcps
    assert policies.management_account == "999999999999"
    alice = good.policy_set(principal(good, "alice"))
    assert alice.boundary is principal(good, "alice").boundary
    assert alice.resource is None and alice.grants == ()


def test_context(good: Account) -> None:
    assert good.context(principal(good, "payments-app")) == {
        "aws:principalorgid": "o-exampleorgid",
        "aws:principaltag/team": "payments",
    }


def test_examples_simulate_end_to_end(good: Account, broken: Account) -> None:
    from cksmodel.concrete.evaluate import evaluate
    from cksmodel.concrete.request import Request

    def decide(account: Account, who: str, action: str, key_id: str, app: str) -> str:
        caller = principal(account, who)
        key = account.key(key_id)
        assert key is not None
        request = Request(
            principal=caller.request_principal(),
            action=action,
            resource=key.arn,
            context={
                **account.context(caller),
                "aws:requestedregion": "us-east-1",
                "kms:encryptioncontext:app": app,
            },
        )
        policies = account.policy_set(caller, resource_policy=key.policy, grants=key.grants)
        return evaluate(request, policies).decision.value

    assert decide(good, "payments-app", "kms:Decrypt", K_PAY, "payments") == "allowed"
    assert decide(good, "payments-app", "kms:Decrypt", K_LEDGER, "ledger") == "implicitDeny"
    assert decide(broken, "payments-app", "kms:Decrypt", K_LEDGER, "ledger") == "allowed"
    assert decide(good, "ledger-app", "kms:Decrypt", K_SETTLE, "ledger") == "allowed"
    assert decide(good, "ledger-app", "kms:CreateGrant", K_SETTLE, "ledger") == "implicitDeny"
    assert decide(broken, "ledger-app", "kms:CreateGrant", K_SETTLE, "ledger") == "allowed"


def test_examples_have_no_error_findings() -> None:
    """Every policy document in the examples passes `cksmodel validate` without ERROR."""
    from cksmodel.policy.findings import Severity
    from cksmodel.policy.validate import validate_text

    def documents(root: Path) -> list[tuple[str, Any, PolicyType]]:
        iam = json.loads((root / "iam" / "account-authorization-details.json").read_text())
        out: list[tuple[str, Any, PolicyType]] = []
        for kind, inline in (("User", "UserPolicyList"), ("Group", "GroupPolicyList")):
            for entity in iam[f"{kind}DetailList"]:
                out += [
                    (p["PolicyName"], p["PolicyDocument"], PolicyType.IDENTITY)
                    for p in entity[inline]
                ]
        for role in iam["RoleDetailList"]:
            out.append((role["RoleName"], role["AssumeRolePolicyDocument"], PolicyType.TRUST))
            out += [
                (p["PolicyName"], p["PolicyDocument"], PolicyType.IDENTITY)
                for p in role["RolePolicyList"]
            ]
        for managed in iam["Policies"]:
            for version in managed["PolicyVersionList"]:
                out.append((managed["Arn"], version["Document"], PolicyType.IDENTITY))
        for folder in sorted((root / "kms" / "keys").iterdir()):
            text = json.loads((folder / "key-policy.json").read_text())["Policy"]
            out.append((folder.name, text, PolicyType.KEY))
        for kind, ptype in (("scp", PolicyType.SCP), ("rcp", PolicyType.RCP)):
            for path in sorted((root / "organizations" / kind).rglob("*.json")):
                content = json.loads(path.read_text())["Policy"]["Content"]
                out.append((str(path), content, ptype))
        return out

    for root in (GOOD, BROKEN):
        docs = documents(root)
        assert len(docs) > 30
        for name, doc, ptype in docs:
            text = doc if isinstance(doc, str) else json.dumps(doc)
            errors = [
                f
                for f in validate_text(text, policy_type=ptype, source=name)
                if f.severity is Severity.ERROR
            ]
            assert errors == [], name


# --- a minimal bundle built in tmp_path ----------------------------------------------

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
READER = f"{IAM}:policy/reader"
BOUNDARY = f"{IAM}:policy/boundary"
IAM_FILE = "iam/account-authorization-details.json"
KEY_DIR = f"kms/keys/{KEY_ID}"
EMPTY_DIR = object()


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def allow(action: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def org_policy(pid: str, name: str, ptype: str, content: dict[str, Any]) -> dict[str, Any]:
    summary = {"Id": pid, "Name": name, "Type": ptype, "AwsManaged": True}
    return {"Policy": {"PolicySummary": summary, "Content": json.dumps(content, indent=4)}}


def minimal() -> dict[str, Any]:
    """Relative path -> JSON value (or raw text, or EMPTY_DIR) of a small valid bundle."""
    return {
        "lambda/functions.json": {"Functions": []},
        "ec2/instances.json": {"Reservations": []},
        "ecs/clusters.json": {"clusterArns": []},
        "cloudformation/stacks.json": {"Stacks": []},
        "glue/dev-endpoints.json": {"DevEndpoints": []},
        "account.json": {
            "account_id": ACCOUNT,
            "organization_id": "o-exampleorgid",
            "management_account": "999999999999",
            "regions": ["us-east-1"],
        },
        IAM_FILE: {
            "UserDetailList": [
                {
                    "Path": "/",
                    "UserName": "alice",
                    "UserId": "AIDAEXAMPLEALICE0001",
                    "Arn": f"{IAM}:user/alice",
                    "UserPolicyList": [],
                    "GroupList": ["team"],
                    "AttachedManagedPolicies": [{"PolicyName": "reader", "PolicyArn": READER}],
                    "PermissionsBoundary": {
                        "PermissionsBoundaryType": "Policy",
                        "PermissionsBoundaryArn": BOUNDARY,
                    },
                    "Tags": [{"Key": "team", "Value": "payments"}],
                }
            ],
            "GroupDetailList": [
                {
                    "Path": "/",
                    "GroupName": "team",
                    "Arn": f"{IAM}:group/team",
                    "GroupPolicyList": [
                        {"PolicyName": "logs", "PolicyDocument": doc(allow("logs:GetLogEvents"))}
                    ],
                    "AttachedManagedPolicies": [],
                }
            ],
            "RoleDetailList": [
                {
                    "Path": "/",
                    "RoleName": "app",
                    "RoleId": "AROAEXAMPLEAPP000001",
                    "Arn": f"{IAM}:role/app",
                    "AssumeRolePolicyDocument": doc(
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ),
                    "RolePolicyList": [
                        {"PolicyName": "kms", "PolicyDocument": doc(allow("kms:Decrypt", KEY_ARN))}
                    ],
                    "AttachedManagedPolicies": [{"PolicyName": "reader", "PolicyArn": READER}],
                    "Tags": [],
                    "RoleLastUsed": {},
                }
            ],
            "Policies": [
                {
                    "PolicyName": "reader",
                    "Arn": READER,
                    "DefaultVersionId": "v2",
                    "PolicyVersionList": [
                        {
                            "VersionId": "v2",
                            "IsDefaultVersion": True,
                            "Document": doc(allow("kms:DescribeKey")),
                        },
                        {"VersionId": "v1", "IsDefaultVersion": False, "Document": doc(allow("*"))},
                    ],
                },
                {
                    "PolicyName": "boundary",
                    "Arn": BOUNDARY,
                    "DefaultVersionId": "v1",
                    "PolicyVersionList": [
                        {"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(allow("*"))}
                    ],
                },
            ],
        },
        "kms/custom-key-stores.json": {
            "CustomKeyStores": [
                {
                    "CustomKeyStoreId": STORE,
                    "CustomKeyStoreName": "store",
                    "CloudHsmClusterId": CLUSTER,
                    "ConnectionState": "CONNECTED",
                    "CustomKeyStoreType": "AWS_CLOUDHSM",
                }
            ]
        },
        f"{KEY_DIR}/describe-key.json": {
            "KeyMetadata": {
                "AWSAccountId": ACCOUNT,
                "KeyId": KEY_ID,
                "Arn": KEY_ARN,
                "KeyState": "Enabled",
                "Origin": "AWS_CLOUDHSM",
                "CustomKeyStoreId": STORE,
                "KeyManager": "CUSTOMER",
                "KeySpec": "SYMMETRIC_DEFAULT",
            }
        },
        f"{KEY_DIR}/key-policy.json": {
            "Policy": json.dumps(
                {
                    "Version": V,
                    "Id": "key-default-1",
                    "Statement": [
                        {
                            "Sid": "Enable IAM User Permissions",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"{IAM}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
                indent=2,
            ),
            "PolicyName": "default",
        },
        f"{KEY_DIR}/grants.json": {
            "Grants": [
                {
                    "KeyId": KEY_ARN,
                    "GrantId": "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60",
                    "Name": "app-decrypt",
                    "GranteePrincipal": f"{IAM}:role/app",
                    "IssuingAccount": f"{IAM}:root",
                    "Operations": ["Decrypt"],
                    "Constraints": {"EncryptionContextSubset": {"app": "payments"}},
                }
            ]
        },
        "cloudhsm/clusters.json": {
            "Clusters": [
                {
                    "ClusterId": CLUSTER,
                    "State": "ACTIVE",
                    "Hsms": [
                        {"AvailabilityZone": "us-east-1b", "State": "ACTIVE"},
                        {"AvailabilityZone": "us-east-1a", "State": "ACTIVE"},
                    ],
                }
            ]
        },
        "organizations/scp/00-r-ab12/p-FullAWSAccess.json": org_policy(
            "p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", doc(allow("*"))
        ),
        "organizations/rcp/00-r-ab12/p-RCPFullAWSAccess.json": org_policy(
            "p-RCPFullAWSAccess",
            "RCPFullAWSAccess",
            "RESOURCE_CONTROL_POLICY",
            doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        ),
    }


def write_bundle(root: Path, files: dict[str, Any]) -> Path:
    for rel, value in files.items():
        path = root / rel
        if value is EMPTY_DIR:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = value if isinstance(value, str) else json.dumps(value, indent=4)
        path.write_text(text, encoding="utf-8")
    return root


def test_minimal_bundle_loads(tmp_path: Path) -> None:
    account = load_bundle(write_bundle(tmp_path, minimal()))
    assert account.warnings == ()
    alice = principal(account, "alice")
    assert [p.name for p in alice.policies] == [f"managed/{READER}", "group/team/inline/logs"]
    assert actions(alice.policies) == {"kms:DescribeKey", "logs:GetLogEvents"}
    assert alice.boundary is not None and alice.boundary.name == f"boundary/{BOUNDARY}"
    assert alice.unique_id == "AIDAEXAMPLEALICE0001"
    app = principal(account, "app")
    assert [p.name for p in app.policies] == ["role/app/inline/kms", f"managed/{READER}"]
    (key,) = account.keys
    assert key.grants[0].operations == ("Decrypt",)
    assert key.grants[0].encryption_context_subset == (("app", "payments"),)
    assert account.clusters[0].hsms == (("us-east-1a", "ACTIVE"), ("us-east-1b", "ACTIVE"))
    assert [[p.name for p in level] for level in account.scps] == [["scp/00-r-ab12/FullAWSAccess"]]


def test_string_documents_of_every_kind(tmp_path: Path) -> None:
    files = minimal()
    iam = files[IAM_FILE]
    inline = iam["RoleDetailList"][0]["RolePolicyList"][0]
    inline["PolicyDocument"] = urllib.parse.quote(json.dumps(inline["PolicyDocument"]), safe="")
    trust = iam["RoleDetailList"][0]
    trust["AssumeRolePolicyDocument"] = json.dumps(trust["AssumeRolePolicyDocument"])
    version = iam["Policies"][0]["PolicyVersionList"][0]
    version["Document"] = json.dumps(json.dumps(version["Document"]))
    account = load_bundle(write_bundle(tmp_path, files))
    app = principal(account, "app")
    assert actions(app.policies) == {"kms:Decrypt", "kms:DescribeKey"}
    assert app.trust_policy is not None and len(app.trust_policy.statements) == 1


def test_large_iam_file(tmp_path: Path) -> None:
    """Real IAM details run past the 1 MiB policy-document limit; positions still work."""
    files = minimal()
    iam = files[IAM_FILE]
    iam["RoleDetailList"][0]["Description"] = "x" * (1024 * 1024 + 10)
    account = load_bundle(write_bundle(tmp_path / "ok", files))
    assert principal(account, "app").arn == f"{IAM}:role/app"
    iam["RoleDetailList"][0]["AttachedManagedPolicies"][0]["PolicyArn"] = f"{IAM}:policy/gone"
    with pytest.raises(BundleError) as info:
        load_bundle(write_bundle(tmp_path / "bad", files))
    assert info.value.span is not None
    assert (info.value.span.line, info.value.span.column) == anchor_position(
        (tmp_path / "bad" / IAM_FILE).read_text(), f'"PolicyArn": |"{IAM}:policy/gone"'
    )


# --- errors ----------------------------------------------------------------------------


def anchor_position(text: str, anchor: str) -> tuple[int, int]:
    """1-based (line, column) of the ``|`` in ``anchor`` where it first occurs in ``text``."""
    before, _, after = anchor.partition("|")
    index = text.index(before + after) + len(before)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


Mutation = Callable[[dict[str, Any]], None]


def iam(files: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = files[IAM_FILE]
    return value


def set_path(rel: str, *keys: str | int, value: Any) -> Mutation:
    def mutate(files: dict[str, Any]) -> None:
        target = files[rel]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def replace_file(rel: str, value: Any) -> Mutation:
    def mutate(files: dict[str, Any]) -> None:
        if value is None:
            del files[rel]
        else:
            files[rel] = value

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(files: dict[str, Any]) -> None:
        for m in mutations:
            m(files)

    return mutate


BAD_JSON_POLICY = '{"Version": "2012-10-17", "Statement": [}'
GRANTS = f"{KEY_DIR}/grants.json"
DESCRIBE = f"{KEY_DIR}/describe-key.json"
KEY_POLICY = f"{KEY_DIR}/key-policy.json"
SCP_FILE = "organizations/scp/00-r-ab12/p-FullAWSAccess.json"

# (id, mutation, file, anchor (None: line 1, column 1), code, message fragment)
ERROR_CASES: list[tuple[str, Mutation, str, str | None, str, str]] = [
    (
        "account.json missing",
        replace_file("account.json", None),
        "account.json",
        None,
        "E_BUNDLE",
        '{"account_id"',
    ),
    (
        "IAM file missing",
        replace_file(IAM_FILE, None),
        IAM_FILE,
        None,
        "E_BUNDLE",
        "get-account-authorization-details",
    ),
    (
        "malformed account.json",
        replace_file("account.json", '{"account_id": "111122223333",,}'),
        "account.json",
        ",|,}",
        "E_SYNTAX",
        "unexpected",
    ),
    (
        "duplicate key",
        replace_file(DESCRIBE, '{"KeyMetadata": {},\n  "KeyMetadata": {}}'),
        DESCRIBE,
        '\n  |"KeyMetadata"',
        "E_DUPLICATE_KEY",
        "duplicate key",
    ),
    (
        "byte-order mark",
        replace_file("account.json", '\ufeff{"account_id": "111122223333"}'),
        "account.json",
        None,
        "E_BOM",
        "byte-order mark",
    ),
    (
        "account id not 12 digits",
        set_path("account.json", "account_id", value="12345"),
        "account.json",
        '"account_id": |"12345"',
        "E_BUNDLE",
        "12-digit",
    ),
    (
        "unknown key in account.json",
        replace_file("account.json", {"accountId": ACCOUNT}),
        "account.json",
        '|"accountId"',
        "E_BUNDLE",
        "did you mean 'account_id'",
    ),
    (
        "UserDetailList not a list",
        set_path(IAM_FILE, "UserDetailList", value={"alice": {}}),
        IAM_FILE,
        '"UserDetailList": |{',
        "E_BUNDLE",
        "UserDetailList must be a list",
    ),
    (
        "IAM output truncated",
        set_path(IAM_FILE, "IsTruncated", value=True),
        IAM_FILE,
        '"IsTruncated": |true',
        "E_BUNDLE",
        "truncated",
    ),
    (
        "dangling managed policy",
        set_path(
            IAM_FILE,
            "UserDetailList",
            0,
            "AttachedManagedPolicies",
            0,
            "PolicyArn",
            value=f"{IAM}:policy/missing",
        ),
        IAM_FILE,
        f'"PolicyArn": |"{IAM}:policy/missing"',
        "E_BUNDLE",
        "is attached to user alice but is not in Policies",
    ),
    (
        "dangling group",
        set_path(IAM_FILE, "UserDetailList", 0, "GroupList", value=["team", "ghosts"]),
        IAM_FILE,
        '|"ghosts"',
        "E_BUNDLE",
        "not in GroupDetailList",
    ),
    (
        "dangling boundary",
        set_path(
            IAM_FILE,
            "UserDetailList",
            0,
            "PermissionsBoundary",
            "PermissionsBoundaryArn",
            value=f"{IAM}:policy/nowhere",
        ),
        IAM_FILE,
        f'"PermissionsBoundaryArn": |"{IAM}:policy/nowhere"',
        "E_BUNDLE",
        "permissions boundary of user alice",
    ),
    (
        "two default versions",
        set_path(IAM_FILE, "Policies", 0, "PolicyVersionList", 1, "IsDefaultVersion", value=True),
        IAM_FILE,
        '"PolicyVersionList": |[',
        "E_BUNDLE",
        "exactly one version with IsDefaultVersion true, found 2",
    ),
    (
        "DefaultVersionId disagrees",
        set_path(IAM_FILE, "Policies", 0, "DefaultVersionId", value="v1"),
        IAM_FILE,
        '"DefaultVersionId": |"v1"',
        "E_BUNDLE",
        "DefaultVersionId is 'v1'",
    ),
    (
        "role of another account",
        set_path(IAM_FILE, "RoleDetailList", 0, "Arn", value="arn:aws:iam::444455556666:role/app"),
        IAM_FILE,
        '"Arn": |"arn:aws:iam::444455556666:role/app"',
        "E_BUNDLE",
        "belongs to account 444455556666",
    ),
    (
        "role without trust policy",
        lambda files: iam(files)["RoleDetailList"][0].pop("AssumeRolePolicyDocument"),
        IAM_FILE,
        '"RoleDetailList": [\n        |{',
        "E_BUNDLE",
        "role/app/trust: no 'AssumeRolePolicyDocument'",
    ),
    (
        "Principal in an identity policy",
        set_path(
            IAM_FILE,
            "GroupDetailList",
            0,
            "GroupPolicyList",
            0,
            "PolicyDocument",
            value=doc({**allow("s3:GetObject"), "Principal": "*"}),
        ),
        IAM_FILE,
        '|"Principal": "*"',
        "E_PRINCIPAL_NOT_ALLOWED",
        "group/team/inline/logs: Principal is not allowed",
    ),
    (
        "policy document of the wrong type",
        set_path(IAM_FILE, "RoleDetailList", 0, "RolePolicyList", 0, "PolicyDocument", value=42),
        IAM_FILE,
        '"PolicyDocument": |42',
        "E_BUNDLE",
        "must be a policy document",
    ),
    (
        "tag without value",
        set_path(IAM_FILE, "UserDetailList", 0, "Tags", value=[{"Key": "team"}]),
        IAM_FILE,
        '"Tags": [\n                |{',
        "E_BUNDLE",
        "needs a string Value",
    ),
    (
        "key folder without key-policy.json",
        replace_file(KEY_POLICY, None),
        KEY_POLICY,
        None,
        "E_BUNDLE",
        "get-key-policy",
    ),
    (
        "key folder without describe-key.json",
        replace_file(DESCRIBE, None),
        DESCRIBE,
        None,
        "E_BUNDLE",
        "describe-key",
    ),
    (
        "file named like a key id in kms/keys",
        replace_file("kms/keys/0987dcba-09fe-87dc-65ba-ab0987654321", "keys"),
        "kms/keys/0987dcba-09fe-87dc-65ba-ab0987654321",
        None,
        "E_BUNDLE",
        "one folder per key",
    ),
    (
        "key id differs from folder",
        set_path(DESCRIBE, "KeyMetadata", "KeyId", value="ffffffff-0000-0000-0000-000000000000"),
        DESCRIBE,
        '"KeyId": |"ffff',
        "E_BUNDLE",
        "differs from the folder name",
    ),
    (
        "key of another account",
        set_path(DESCRIBE, "KeyMetadata", "AWSAccountId", value="444455556666"),
        DESCRIBE,
        '"AWSAccountId": |"444455556666"',
        "E_BUNDLE",
        "belongs to account 444455556666",
    ),
    (
        "key in an unknown store",
        set_path(DESCRIBE, "KeyMetadata", "CustomKeyStoreId", value="cks-00000000000000000"),
        DESCRIBE,
        '"CustomKeyStoreId": |"cks-00000000000000000"',
        "E_BUNDLE",
        "does not list",
    ),
    (
        "key without KeyState",
        lambda files: files[DESCRIBE]["KeyMetadata"].pop("KeyState"),
        DESCRIBE,
        '"KeyMetadata": |{',
        "E_BUNDLE",
        "no 'KeyState'",
    ),
    (
        "malformed embedded key policy",
        set_path(KEY_POLICY, "Policy", value=BAD_JSON_POLICY),
        KEY_POLICY,
        None,  # checked separately: the span is inside the embedded document
        "E_SYNTAX",
        "key/1234abcd-12ab-34cd-56ef-1234567890ab/key-policy",
    ),
    (
        "malformed URL-encoded trust policy",
        set_path(
            IAM_FILE,
            "RoleDetailList",
            0,
            "AssumeRolePolicyDocument",
            value=urllib.parse.quote(BAD_JSON_POLICY, safe=""),
        ),
        IAM_FILE,
        None,
        "E_SYNTAX",
        "role/app/trust",
    ),
    (
        "grant with an unknown operation",
        set_path(GRANTS, "Grants", 0, "Operations", value=["Decrypt", "Dance"]),
        GRANTS,
        '"Operations": |[',
        "E_BUNDLE",
        "'Dance' is not a grant operation",
    ),
    (
        "grant not an object",
        set_path(GRANTS, "Grants", value=["Decrypt"]),
        GRANTS,
        '"Grants": [\n        |"Decrypt"',
        "E_BUNDLE",
        "a grant must be an object",
    ),
    (
        "grant of another key",
        set_path(GRANTS, "Grants", 0, "KeyId", value=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/other"),
        GRANTS,
        '"KeyId": |"arn',
        "E_BUNDLE",
        "must hold only this key's grants",
    ),
    (
        "grants truncated",
        set_path(GRANTS, "Truncated", value=True),
        GRANTS,
        '"Truncated": |true',
        "E_BUNDLE",
        "truncated",
    ),
    (
        "store in an unknown state",
        set_path(
            "kms/custom-key-stores.json", "CustomKeyStores", 0, "ConnectionState", value="BROKEN"
        ),
        "kms/custom-key-stores.json",
        '"ConnectionState": |"BROKEN"',
        "E_BUNDLE",
        "ConnectionState must be one of CONNECTED",
    ),
    (
        "CloudHSM store without cluster",
        lambda files: files["kms/custom-key-stores.json"]["CustomKeyStores"][0].pop(
            "CloudHsmClusterId"
        ),
        "kms/custom-key-stores.json",
        '"CustomKeyStores": [\n        |{',
        "E_BUNDLE",
        "names no CloudHsmClusterId",
    ),
    (
        "clusters not a list",
        replace_file("cloudhsm/clusters.json", {"Clusters": "cluster-1234abcdefg"}),
        "cloudhsm/clusters.json",
        '"Clusters": |"cluster',
        "E_BUNDLE",
        "Clusters must be a list",
    ),
    (
        "SCP level folder misnamed",
        both(
            replace_file(SCP_FILE, None),
            replace_file("organizations/scp/root/p-FullAWSAccess.json", minimal()[SCP_FILE]),
        ),
        "organizations/scp/root",
        None,
        "E_BUNDLE",
        "expected folders named NN-TARGET",
    ),
    (
        "empty SCP level",
        replace_file("organizations/scp/01-ou-ab12-cd34ef56", EMPTY_DIR),
        "organizations/scp/01-ou-ab12-cd34ef56",
        None,
        "E_BUNDLE",
        "holds no SCP",
    ),
    (
        "SCP of the wrong type",
        set_path(SCP_FILE, "Policy", "PolicySummary", "Type", value="RESOURCE_CONTROL_POLICY"),
        SCP_FILE,
        '"Type": |"RESOURCE_CONTROL_POLICY"',
        "E_BUNDLE",
        "organizations/scp/ holds SERVICE_CONTROL_POLICY policies",
    ),
    (
        "SCP without Content",
        lambda files: files[SCP_FILE]["Policy"].pop("Content"),
        SCP_FILE,
        '"Policy": |{',
        "E_BUNDLE",
        "no 'Content'",
    ),
    (
        "not a JSON file in a level",
        replace_file("organizations/rcp/00-r-ab12/README.md", "notes"),
        "organizations/rcp/00-r-ab12/README.md",
        None,
        "E_BUNDLE",
        "not a .json file",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rel", "anchor", "code", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in ERROR_CASES],
)
def test_bundle_errors(
    tmp_path: Path,
    mutate: Mutation,
    rel: str,
    anchor: str | None,
    code: str,
    fragment: str,
) -> None:
    files = copy.deepcopy(minimal())
    mutate(files)
    root = write_bundle(tmp_path / "bundle", files)
    with pytest.raises(BundleError) as info:
        load_bundle(root)
    error = info.value
    assert isinstance(error, InputError)
    assert error.code == code
    assert fragment in error.message
    span = error.span
    assert span is not None
    path = str(root / rel)
    assert span.source.startswith(path), (span.source, path)
    assert str(error).startswith(f"{span.source}:{span.line}:{span.column}: {code} ")
    if span.source != path:
        # A document held in a string: the string's own position, then inside it.
        assert span.source.endswith("(embedded document)")
        (line, column) = map(int, span.source[len(path) + 1 :].split(" ")[0].split(":"))
        assert line > 1 and column > 1
        assert (span.line, span.column) == (1, BAD_JSON_POLICY.index("}") + 1)
    elif anchor is None:
        assert (span.line, span.column) == (1, 1)
    else:
        text = (root / rel).read_text(encoding="utf-8")
        assert (span.line, span.column) == anchor_position(text, anchor)


@pytest.mark.parametrize("target", ["missing", "file"])
def test_bundle_directory_errors(tmp_path: Path, target: str) -> None:
    path = tmp_path / "bundle"
    if target == "file":
        path.write_text("{}")
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    assert info.value.span is not None and info.value.span.source == str(path)
    assert ("does not exist" if target == "missing" else "is not a directory") in str(info.value)


# --- warnings --------------------------------------------------------------------------

NO_SCPS = (
    "no SCPs in the bundle (organizations/scp/): organization guardrails are assumed to "
    "allow everything, so REFUTED results (someone can ...) may be blocked by SCPs in "
    "reality, and PROVED results (nobody can ...) still hold"
)
NO_RCPS = (
    "no RCPs in the bundle (organizations/rcp/): resource control policies are assumed to "
    "allow everything (as RCPFullAWSAccess does), so REFUTED results (someone can ...) may "
    "be blocked by RCPs in reality, and PROVED results (nobody can ...) still hold"
)


def drop(*prefixes: str) -> Mutation:
    def mutate(files: dict[str, Any]) -> None:
        for rel in [r for r in files if r.startswith(prefixes)]:
            del files[rel]

    return mutate


def drop_groups(files: dict[str, Any]) -> None:
    del iam(files)["GroupDetailList"]
    del iam(files)["UserDetailList"][0]["GroupList"]


WARNING_CASES: list[tuple[str, Mutation, list[str]]] = [
    ("complete", lambda files: None, []),
    (
        "no kms folder",
        drop("kms/"),
        ["kms is missing: the bundle has no KMS keys or custom key stores"],
    ),
    (
        "no keys folder",
        drop("kms/keys/"),
        ["keys is missing: which KMS keys exist is unknown, so invariants about keys"],
    ),
    (
        "no custom-key-stores.json",
        drop("kms/custom-key-stores.json"),
        ["custom-key-stores.json is missing: the custom key stores and their connection states"],
    ),
    (
        "no clusters.json",
        drop("cloudhsm/"),
        ["clusters.json is missing: the CloudHSM clusters and their HSMs are unknown"],
    ),
    ("no organizations folder", drop("organizations/"), [NO_SCPS, NO_RCPS]),
    ("no RCPs", drop("organizations/rcp/"), [NO_RCPS]),
    ("no SCPs", drop("organizations/scp/"), [NO_SCPS]),
    (
        "outside any organization",
        both(
            drop("organizations/"),
            replace_file("account.json", {"account_id": ACCOUNT, "regions": ["us-east-1"]}),
        ),
        ["names no organization_id and there is no organizations/ folder"],
    ),
    (
        "the management account itself",
        both(
            drop("organizations/"),
            set_path("account.json", "management_account", value=ACCOUNT),
        ),
        [],
    ),
    (
        "key without grants.json",
        drop(GRANTS),
        [
            "grants.json is missing: key 1234abcd-12ab-34cd-56ef-1234567890ab is taken to have "
            "no grants; grants only add permissions, so PROVED results (nobody can ...) may not "
            "hold in reality"
        ],
    ),
    (
        "store's cluster not collected",
        set_path("cloudhsm/clusters.json", "Clusters", value=[]),
        [
            "custom key store cks-1234567890abcdef0 is associated with cluster "
            "cluster-1234abcdefg, which cloudhsm/clusters.json does not list"
        ],
    ),
    (
        "key outside the listed regions",
        set_path("account.json", "regions", value=["eu-west-1"]),
        ["is in region us-east-1, which account.json does not list"],
    ),
    (
        "stray file in kms/keys",
        replace_file("kms/keys/notes.txt", "keys"),
        ["notes.txt is skipped: its name is not a key id"],
    ),
    (
        "key folder hidden by a leading dot",
        replace_file(
            "kms/keys/.0987dcba-09fe-87dc-65ba-ab0987654321/describe-key.json", {"KeyMetadata": {}}
        ),
        [".0987dcba-09fe-87dc-65ba-ab0987654321 is skipped: its name is not a key id"],
    ),
    (
        "IAM details collected with --filter",
        drop_groups,
        ["has no GroupDetailList (collected with --filter?)"],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [pytest.param(m, e, id=name) for name, m, e in WARNING_CASES]
)
def test_bundle_warnings(tmp_path: Path, mutate: Mutation, expected: list[str]) -> None:
    files = copy.deepcopy(minimal())
    mutate(files)
    account = load_bundle(write_bundle(tmp_path, files))
    assert len(account.warnings) == len(expected), account.warnings
    for warning, fragment in zip(account.warnings, expected, strict=True):
        assert fragment in warning


# --- collect.sh against a stand-in AWS CLI ----------------------------------------------


def run_collect(tmp_path: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = ["bash", str(EXAMPLES / "collect.sh"), "--region", "us-east-1", str(out)]
    return run_with_fake_aws(tmp_path, command, **{"FAKE_AWS_BUNDLE": str(GOOD), **env})


def summary(account: Account) -> dict[str, Any]:
    return {
        "principals": [(p.arn, [q.name for q in p.policies]) for p in account.principals],
        "keys": [(k.arn, len(k.policy.statements), len(k.grants)) for k in account.keys],
        "stores": account.stores,
        "clusters": account.clusters,
        "scps": [[p.name for p in level] for level in account.scps],
        "rcps": [[p.name for p in level] for level in account.rcps],
        "compute": [(r.kind, r.arn, r.role) for r in account.compute],
    }


@needs_bash
def test_collect_script_writes_a_loadable_bundle(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = run_collect(tmp_path, out, FAKE_AWS_ORG="1")
    assert result.returncode == 0, result.stderr
    collected = load_bundle(out)
    assert collected.warnings == ()
    assert collected.regions == ("us-east-1",)
    assert summary(collected) == summary(load_bundle(GOOD))
    assert not list(tmp_path.glob("bundle.partial.*"))


@needs_bash
def test_collect_script_collects_compute(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(GOOD, source)
    role = f"{IAM}:role/ledger-app"
    service = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/ops/ledger"
    definition = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/ledger:7"
    parts = {
        "ecs/clusters.json": {"clusterArns": [f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/ops"]},
        "ecs/services/ops/list-services.json": {"serviceArns": [service]},
        "ecs/services/ops/describe-01.json": {
            "services": [{"serviceArn": service, "taskDefinition": definition}]
        },
        "ecs/task-definitions/ledger-7.json": {
            "taskDefinition": {
                "taskDefinitionArn": definition,
                "family": "ledger",
                "taskRoleArn": role,
            }
        },
        "cloudformation/stacks.json": {
            "Stacks": [
                {
                    "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/s/1",
                    "StackName": "s",
                    "StackStatus": "CREATE_COMPLETE",
                    "RoleARN": role,
                }
            ]
        },
    }
    write_bundle(source, parts)
    out = tmp_path / "bundle"
    result = run_collect(tmp_path, out, FAKE_AWS_ORG="1", FAKE_AWS_BUNDLE=str(source))
    assert result.returncode == 0, result.stderr
    collected = load_bundle(out)
    assert collected.warnings == ()
    assert summary(collected)["compute"] == [
        ("ecs", service, role),
        ("cloudformation", f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/s/1", role),
    ]


@needs_bash
def test_collect_script_without_organizations_access(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = run_collect(tmp_path, out, FAKE_AWS_NO_GRANTS=K_PAY)
    assert result.returncode == 0, result.stderr
    assert "organizations skipped" in result.stderr
    collected = load_bundle(out)
    assert collected.scps == () and collected.rcps == ()
    assert len(collected.warnings) == 3
    assert "grants.json is missing" in collected.warnings[0]
    assert collected.warnings[1:] == (NO_SCPS, NO_RCPS)


@needs_bash
def test_collect_script_refuses_a_used_folder(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_collect(tmp_path, out)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert (out / "keep.txt").read_text() == "mine"
