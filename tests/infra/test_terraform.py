"""Terraform plans: modules, count and for_each instances, values known only after apply
(symbolic unknowns listed as approximations, never guessed), sensitive values (never read),
rendered policy documents, every resource kind read, with the resource address of each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plans import allow, plan, policy, resource, write

from cksmodel.infra import read_infrastructure
from cksmodel.infra.model import InfraError, ReadOptions, Unknown
from cksmodel.policy.ir import PolicyType

SECRET = "SENSITIVE-MARKER-7f3a"
TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
)
READ = policy(allow("s3:GetObject", "arn:aws:s3:::data/*"))


def every_kind() -> dict[str, Any]:
    """One plan with every resource kind the reader knows."""
    return plan(
        resource(
            'module.app.module.iam.aws_iam_role.r["worker"]',
            {
                "name": "worker",
                "path": "/apps/",
                "assume_role_policy": TRUST,
                "inline_policy": [{"name": "read", "policy": READ}],
                "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                "permissions_boundary": None,
            },
            unknown={"arn": True},
        ),
        resource(
            "aws_iam_policy.p[0]",
            {"name": "p", "path": "/", "policy": READ},
            unknown={"arn": True},
        ),
        resource(
            "aws_iam_role_policy_attachment.a",
            {"role": "worker"},
            unknown={"policy_arn": True},
        ),
        resource("aws_iam_user.u", {"name": "alice", "path": "/"}, unknown={"arn": True}),
        resource("aws_iam_group.g", {"name": "devs", "path": "/"}, unknown={"arn": True}),
        resource("aws_iam_user_group_membership.m", {"user": "alice", "groups": ["devs"]}),
        resource("aws_iam_group_membership.gm", {"name": "gm", "group": "devs", "users": ["bob"]}),
        resource("aws_iam_user_policy.up", {"name": "up", "user": "alice", "policy": READ}),
        resource("aws_iam_group_policy.gp", {"name": "gp", "group": "devs", "policy": READ}),
        resource(
            "aws_iam_user_policy_attachment.ua",
            {"user": "alice", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ),
        resource(
            "aws_iam_group_policy_attachment.ga",
            {"group": "devs", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ),
        resource(
            "aws_iam_policy_attachment.pa",
            {
                "name": "pa",
                "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "roles": ["worker"],
                "users": ["alice"],
                "groups": ["devs"],
            },
        ),
        resource(
            "aws_s3_bucket_policy.b",
            {
                "bucket": "data",
                "policy": policy(
                    allow(
                        "s3:GetObject",
                        "arn:aws:s3:::data/*",
                        Principal={"AWS": "arn:aws:iam::111122223333:root"},
                    )
                ),
            },
        ),
        resource(
            "aws_sqs_queue_policy.q",
            {
                "queue_url": "https://sqs/q",
                "policy": policy(allow("sqs:SendMessage", Principal="*")),
            },
        ),
        resource(
            "aws_sns_topic_policy.t",
            {
                "arn": "arn:aws:sns:us-east-1:111122223333:t",
                "policy": policy(allow("sns:Publish", Principal="*")),
            },
        ),
        resource(
            "aws_secretsmanager_secret_policy.s",
            {
                "secret_arn": "arn:x",
                "policy": policy(allow("secretsmanager:GetSecretValue", Principal="*")),
            },
        ),
        resource(
            "aws_lambda_permission.l",
            {
                "action": "lambda:InvokeFunction",
                "function_name": "arn:aws:lambda:us-east-1:111122223333:function:f",
                "principal": "s3.amazonaws.com",
                "source_arn": "arn:aws:s3:::data",
                "source_account": "111122223333",
            },
        ),
        resource(
            "aws_organizations_policy.rcp",
            {
                "name": "rcp",
                "type": "RESOURCE_CONTROL_POLICY",
                "content": policy(
                    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
                ),
            },
            unknown={"id": True},
        ),
        resource(
            "aws_organizations_policy_attachment.rcp",
            {"target_id": "ou-abcd-12345678"},
            unknown={"policy_id": True},
        ),
        references={
            "aws_iam_role_policy_attachment.a": {
                "policy_arn": ["aws_iam_policy.p.arn", "aws_iam_policy.p"]
            },
            "aws_organizations_policy_attachment.rcp": {
                "policy_id": ["aws_organizations_policy.rcp.id", "aws_organizations_policy.rcp"]
            },
        },
    )


@pytest.fixture
def every(tmp_path: Path) -> Any:
    return read_infrastructure(write(tmp_path / "plan.json", every_kind()))


def test_every_policy_is_found_with_its_type_and_address(every: Any) -> None:
    found = {(d.resource, d.name, d.policy_type) for d in every.policies}
    assert found == {
        ('module.app.module.iam.aws_iam_role.r["worker"]', "TrustPolicy", PolicyType.TRUST),
        ('module.app.module.iam.aws_iam_role.r["worker"]', "read", PolicyType.IDENTITY),
        ("aws_iam_policy.p[0]", "p", PolicyType.IDENTITY),
        ("aws_iam_user_policy.up", "up", PolicyType.IDENTITY),
        ("aws_iam_group_policy.gp", "gp", PolicyType.IDENTITY),
        ("aws_s3_bucket_policy.b", "policy", PolicyType.RESOURCE),
        ("aws_sqs_queue_policy.q", "policy", PolicyType.RESOURCE),
        ("aws_sns_topic_policy.t", "policy", PolicyType.RESOURCE),
        ("aws_secretsmanager_secret_policy.s", "policy", PolicyType.RESOURCE),
        ("aws_lambda_permission.l", "LambdaPermission", PolicyType.RESOURCE),
        ("aws_organizations_policy.rcp", "rcp", PolicyType.RCP),
    }
    for doc in every.policies:
        assert doc.load() is not None


def test_nested_module_and_for_each_instance_keep_their_address(every: Any) -> None:
    (role,) = every.roles
    assert role.location.address == 'module.app.module.iam.aws_iam_role.r["worker"]'
    assert (role.name, role.path) == ("worker", "/apps/")
    assert role.managed == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert isinstance(role.arn, Unknown) and role.arn.reason == "known after apply"


def test_an_unknown_policy_arn_names_the_resource_it_comes_from(every: Any) -> None:
    role_attachment = next(a for a in every.attachments if a.location.address.endswith(".a"))
    assert isinstance(role_attachment.policy, Unknown)
    assert role_attachment.policy.references == ("aws_iam_policy.p",)
    assert any("policy_arn is known after apply" in a.message for a in every.approximations)


def test_memberships_attachments_and_org_targets_are_facts(every: Any) -> None:
    assert {(m.user, m.group) for m in every.memberships} == {("alice", "devs"), ("bob", "devs")}
    kinds = sorted((a.target_kind, str(a.target)) for a in every.attachments)
    assert kinds == [
        ("group", "devs"), ("group", "devs"), ("group", "devs"),
        ("role", "worker"), ("role", "worker"),
        ("user", "alice"), ("user", "alice"), ("user", "alice"),
    ]  # fmt: skip
    (rcp,) = every.org_policies
    assert (rcp.kind, rcp.targets) == ("RCP", ("ou-abcd-12345678",))


def test_resource_and_key_policies_name_what_they_apply_to(every: Any, tmp_path: Path) -> None:
    targets = {d.resource: d.targets for d in every.policies if d.targets}
    assert targets == {
        "aws_s3_bucket_policy.b": ("data",),
        "aws_sqs_queue_policy.q": ("https://sqs/q",),
        "aws_sns_topic_policy.t": ("arn:aws:sns:us-east-1:111122223333:t",),
        "aws_secretsmanager_secret_policy.s": ("arn:x",),
        "aws_lambda_permission.l": ("arn:aws:lambda:us-east-1:111122223333:function:f",),
    }
    cks = read_infrastructure(write(tmp_path / "plan.json", custom_key_store_plan()))
    (key_policy,) = [d for d in cks.policies if d.resource == "aws_kms_key_policy.kp"]
    (key,) = key_policy.targets
    assert isinstance(key, Unknown) and key.attribute == "key_id"


def test_lambda_permission_is_a_resource_policy_statement(every: Any) -> None:
    doc = next(d for d in every.policies if d.resource == "aws_lambda_permission.l")
    (statement,) = doc.load().statements
    assert [v.text for v in statement.actions] == ["lambda:InvokeFunction"]
    assert {c.key_lower for c in statement.conditions} == {"aws:sourcearn", "aws:sourceaccount"}
    assert doc.public_type == "AWS::Lambda::Function"


def custom_key_store_plan() -> dict[str, Any]:
    return plan(
        resource(
            "aws_cloudhsm_v2_cluster.c",
            {"hsm_type": "hsm1.medium", "subnet_ids": ["subnet-1", "subnet-2"]},
            unknown={"cluster_id": True},
        ),
        resource(
            "aws_kms_custom_key_store.s",
            {"custom_key_store_name": "cks", "key_store_password": SECRET},
            unknown={"id": True, "cloud_hsm_cluster_id": True},
            sensitive={"key_store_password": True},
        ),
        resource(
            "aws_kms_key.k",
            {"policy": policy(allow("kms:*", Principal={"AWS": "arn:aws:iam::111122223333:root"}))},
            unknown={"key_id": True, "arn": True, "custom_key_store_id": True},
        ),
        resource(
            "aws_kms_key_policy.kp",
            {
                "policy": policy(
                    allow("kms:Decrypt", Principal={"AWS": "arn:aws:iam::111122223333:root"})
                )
            },
            unknown={"key_id": True},
        ),
        *[
            resource(
                f"aws_kms_grant.g[{i}]",
                {
                    "grantee_principal": f"arn:aws:iam::111122223333:role/app{i}",
                    "operations": ["Decrypt"],
                    "constraints": [{"encryption_context_subset": {"app": str(i)}}],
                },
                unknown={"key_id": True},
            )
            for i in range(2)
        ],
        resource(
            "aws_iam_role.secret",
            {"name": "secret", "assume_role_policy": policy(allow("sts:AssumeRole", Sid=SECRET))},
            sensitive={"assume_role_policy": True},
        ),
        resource("aws_iam_policy.later", {"name": "later"}, unknown={"policy": True}),
        resource(
            "aws_iam_role_policy.rendered",
            {"name": "rendered", "role": "secret"},
            unknown={"policy": True},
        ),
        resource(
            "aws_organizations_policy.gone", {"name": "gone", "content": READ}, actions=("delete",)
        ),
        data=(
            resource(
                "data.aws_iam_policy_document.doc",
                {"json": json.dumps(json.loads(READ), indent=2)},
                mode="data",
            ),
            resource("data.aws_caller_identity.me", {"account_id": "444455556666"}, mode="data"),
        ),
        references={
            "aws_kms_custom_key_store.s": {
                "cloud_hsm_cluster_id": [
                    "aws_cloudhsm_v2_cluster.c.cluster_id",
                    "aws_cloudhsm_v2_cluster.c",
                ]
            },
            "aws_kms_key.k": {
                "custom_key_store_id": [
                    "aws_kms_custom_key_store.s.id",
                    "aws_kms_custom_key_store.s",
                ]
            },
            "aws_kms_grant.g": {"key_id": ["aws_kms_key.k.key_id", "aws_kms_key.k"]},
            "aws_iam_policy.later": {
                "policy": [
                    "data.aws_iam_policy_document.other.json",
                    "data.aws_iam_policy_document.other",
                ]
            },
            "aws_iam_role_policy.rendered": {
                "policy": [
                    "data.aws_iam_policy_document.doc.json",
                    "data.aws_iam_policy_document.doc",
                ]
            },
        },
    )


@pytest.fixture
def cks(tmp_path: Path) -> Any:
    return read_infrastructure(write(tmp_path / "plan.json", custom_key_store_plan()))


def test_custom_key_store_facts_link_through_references(cks: Any) -> None:
    (cluster,) = cks.clusters
    (store,) = cks.stores
    (key,) = cks.keys
    assert cluster.subnets == ("subnet-1", "subnet-2")
    assert store.cluster_id.references == ("aws_cloudhsm_v2_cluster.c",)
    assert key.custom_key_store_id.references == ("aws_kms_custom_key_store.s",)
    assert key.origin == "AWS_CLOUDHSM"
    grants = sorted(cks.grants, key=lambda g: g.location.address)
    assert [g.location.address for g in grants] == ["aws_kms_grant.g[0]", "aws_kms_grant.g[1]"]
    assert grants[1].encryption_context_subset == (("app", "1"),)
    assert grants[0].key_id.references == ("aws_kms_key.k",)


def test_a_key_policy_resource_is_a_key_policy(cks: Any) -> None:
    doc = next(d for d in cks.policies if d.resource == "aws_kms_key_policy.kp")
    assert (doc.policy_type, doc.public_type) == (PolicyType.KEY, "AWS::KMS::Key")


def test_a_policy_known_only_after_apply_is_unknown_never_guessed(cks: Any) -> None:
    doc = next(d for d in cks.policies if d.resource == "aws_iam_policy.later")
    assert doc.document is None and doc.load() is None
    assert doc.unknown is not None and doc.unknown.reason == "known after apply"
    assert doc.approximations


def test_a_policy_rendered_by_a_data_source_is_read_from_it(cks: Any) -> None:
    doc = next(d for d in cks.policies if d.resource == "aws_iam_role_policy.rendered")
    assert doc.unknown is None
    assert [v.text for v in doc.load().statements[0].actions] == ["s3:GetObject"]


def test_sensitive_values_are_never_read(cks: Any) -> None:
    doc = next(d for d in cks.policies if d.resource == "aws_iam_role.secret")
    assert doc.document is None and doc.unknown.reason == "sensitive"
    assert SECRET not in repr(cks)


def test_destroyed_resources_are_listed_as_removed(cks: Any) -> None:
    assert [r.address for r in cks.removed] == ["aws_organizations_policy.gone"]
    assert not cks.org_policies


def test_account_comes_from_the_caller_identity_unless_given(tmp_path: Path) -> None:
    path = write(tmp_path / "plan.json", custom_key_store_plan())
    assert read_infrastructure(path).account_id == "444455556666"
    given = read_infrastructure(path, ReadOptions(account_id="111122223333"))
    assert given.account_id == "111122223333"


def test_without_account_or_region_the_placeholders_are_approximations(tmp_path: Path) -> None:
    infra = read_infrastructure(
        write(tmp_path / "p.json", plan(resource("aws_iam_user.u", {"name": "u"})))
    )
    assert (infra.account_id, infra.region) == ("123456789012", "us-east-1")
    messages = " ".join(a.message for a in infra.approximations)
    assert "account 123456789012 is a placeholder" in messages
    assert "Region us-east-1 is a placeholder" in messages


def test_locations_point_at_the_attribute_in_the_plan(tmp_path: Path) -> None:
    path = write(tmp_path / "plan.json", custom_key_store_plan())
    infra = read_infrastructure(path)
    doc = next(d for d in infra.policies if d.resource == "aws_kms_key.k")
    line = path.read_text().splitlines()[doc.location.span.line - 1]
    assert line.lstrip().startswith('"policy": "{')
    assert doc.location.source == str(path)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param('{"format_version": "1.2"}', "not a CloudFormation template", id="neither"),
        pytest.param("[1, 2]", "not a CloudFormation template", id="a-list"),
        pytest.param(
            '{"format_version": "1.2", "planned_values": ', "unexpected end", id="truncated"
        ),
        pytest.param("key: [unclosed\n", "not valid YAML", id="bad-yaml"),
        pytest.param(
            '{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","values":{"name":["x"]}}]}}}',
            "name must be a string",
            id="wrong-shape",
        ),
    ],
)
def test_a_file_that_is_no_plan_or_template_is_an_input_error(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = tmp_path / "input.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InfraError) as caught:
        read_infrastructure(path)
    assert needle in caught.value.message
    assert caught.value.span is not None and caught.value.span.source == str(path)


def test_an_oversized_yaml_template_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("Resources: {}\n" + "# padding\n" * 120_000, encoding="utf-8")
    with pytest.raises(InfraError) as caught:
        read_infrastructure(path)
    assert caught.value.code == "E_TOO_LARGE"


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InfraError) as caught:
        read_infrastructure(tmp_path / "absent.json")
    assert caught.value.code == "E_IO"


def test_a_sensitive_inline_policy_is_unknown_and_its_neighbour_is_read(tmp_path: Path) -> None:
    role = resource(
        "aws_iam_role.r",
        {
            "name": "r",
            "assume_role_policy": TRUST,
            "inline_policy": [
                {"name": "open", "policy": READ},
                {"name": "hidden", "policy": policy(allow("s3:*", Sid=SECRET))},
            ],
        },
        sensitive={"inline_policy": [{}, {"policy": True}]},
    )
    infra = read_infrastructure(write(tmp_path / "plan.json", plan(role)))
    inline = {d.name: d for d in infra.roles[0].inline}
    assert inline["open"].load() is not None
    assert inline["hidden"].document is None
    assert inline["hidden"].unknown is not None and inline["hidden"].unknown.reason == "sensitive"
    assert SECRET not in repr(infra)
