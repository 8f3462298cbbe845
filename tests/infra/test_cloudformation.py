"""CloudFormation templates: every intrinsic resolved where the template allows, what it does
not fix a placeholder listed as an approximation (never an error), parameters from the command
line or a configuration, conditions, NoEcho parameters never read, and locations in the YAML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cksmodel.infra import read_infrastructure
from cksmodel.infra.model import InfraError, ReadOptions
from cksmodel.policy.ir import PolicyType

DATA = Path(__file__).resolve().parents[1] / "data" / "infra"
TEMPLATE = DATA / "intrinsics.yaml"
GIVEN = ReadOptions(account_id="111122223333", region="us-east-1")


def read(options: ReadOptions = GIVEN, path: Path = TEMPLATE) -> Any:
    return read_infrastructure(path, options)


def doc_of(infra: Any, resource: str, name: str | None = None) -> Any:
    return next(
        d for d in infra.policies if d.resource == resource and (name is None or d.name == name)
    )


def app_statement() -> dict[str, Any]:
    statement: dict[str, Any] = doc_of(read(), "AppRole", "app").document["Statement"][0]
    return statement


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        pytest.param(0, "arn:aws:s3:::stack-data/*", id="Sub-with-resource-ref"),
        pytest.param(1, "arn:aws:s3:::data/${literal}", id="Sub-variables-and-escape"),
        pytest.param(2, "arn:aws:s3:::a/*", id="Join-Select-Split"),
        pytest.param(3, "arn:aws:s3:::arn:aws:s3:::Other", id="Sub-GetAtt-of-unnamed-bucket"),
        pytest.param(4, "unresolved-import-shared-BucketArn", id="ImportValue"),
        pytest.param(5, "arn:aws:s3:::prod/*", id="If-decided"),
        pytest.param(6, "unresolved-If-ProdAndSet", id="If-undecided"),
        pytest.param(7, "arn:aws:s3:::unresolved-Secret", id="NoEcho-parameter"),
        pytest.param(8, "arn:aws:s3:::unresolved-Unset", id="parameter-without-value"),
    ],
)
def test_resources_resolve_or_become_placeholders(index: int, expected: str) -> None:
    assert app_statement()["Resource"][index] == expected


def test_condition_values_resolve_every_remaining_tag() -> None:
    condition = app_statement()["Condition"]["StringEquals"]
    assert condition["aws:RequestedRegion"] == "us-east-1a"  # GetAZs, Select
    assert condition["s3:prefix"] == "aGVsbG8="  # Base64
    assert condition["aws:SourceIp"] == "10.0.1.0/24"  # Cidr, FindInMap, Ref AWS::Region
    assert condition["aws:ResourceTag/macro"] == "unresolved-Transform"


def test_cidr_and_find_in_map_need_a_known_region() -> None:
    infra = read(ReadOptions(account_id="111122223333"))
    statement = doc_of(infra, "AppRole", "app").document["Statement"][0]
    assert statement["Condition"]["StringEquals"]["aws:SourceIp"].startswith("unresolved-")
    assert any("AWS::Region is not given" in a.message for a in infra.approximations)


def test_unresolvable_references_are_approximations_never_errors() -> None:
    infra = read()
    doc = doc_of(infra, "UsesUnmodelled")
    messages = [a.message for a in doc.approximations]
    assert any("NotInTemplate.Arn names no resource" in m for m in messages)
    assert any("Unmodelled.DefaultSecurityGroup" in m for m in messages)
    assert all(a.location.address == "UsesUnmodelled" for a in doc.approximations)


def test_ref_and_getatt_give_the_arns_cloudformation_would() -> None:
    infra = read()
    principal = doc_of(infra, "BucketPolicy").document["Statement"][0]["Principal"]["AWS"]
    assert principal == "arn:aws:iam::111122223333:role/apps/AppRole"
    assert doc_of(infra, "AppRole", "TrustPolicy").document["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }


def test_a_resource_whose_condition_is_false_is_left_out() -> None:
    assert [u.name for u in read().users] == ["person"]
    flipped = read(ReadOptions(account_id="1", region="us-east-1", parameters=(("Env", "test"),)))
    assert sorted(u.name for u in flipped.users) == ["person", "test-user"]


def test_parameters_override_defaults_and_unknown_names_are_refused() -> None:
    infra = read(
        ReadOptions(
            account_id="111122223333", region="us-east-1", parameters=(("Buckets", "x,y,z"),)
        )
    )
    assert doc_of(infra, "AppRole", "app").document["Statement"][0]["Resource"][1] == (
        "arn:aws:s3:::y/${literal}"
    )
    with pytest.raises(InfraError) as caught:
        read(ReadOptions(parameters=(("Nope", "1"),)))
    assert "Nope" in caught.value.message and caught.value.code == "E_USAGE"


def test_a_noecho_parameter_value_is_never_read() -> None:
    assert "hunter2-never-printed" not in repr(read())


def test_resource_policies_name_what_they_apply_to() -> None:
    infra = read()
    assert doc_of(infra, "BucketPolicy").targets == ("stack-data",)
    assert doc_of(infra, "Permission").targets == (
        "arn:aws:lambda:us-east-1:111122223333:function:my-function",
    )
    assert not any("Ref Bucket" in a.message for a in doc_of(infra, "BucketPolicy").approximations)


def test_lambda_permission_and_memberships_are_read() -> None:
    infra = read()
    permission = doc_of(infra, "Permission")
    statement = permission.document["Statement"][0]
    assert statement["Resource"] == "arn:aws:lambda:us-east-1:111122223333:function:my-function"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::stack-data"
    assert [(m.user, m.group) for m in infra.memberships] == [("person", "team")]
    assert infra.users[0].groups == ("team",)
    assert [(a.target_kind, a.target) for a in infra.attachments] == [("user", "person")]


def test_policies_keep_their_line_and_column_in_the_template() -> None:
    policy = doc_of(read(), "AppRole", "app").load()
    assert policy is not None
    (statement,) = policy.statements
    assert statement.span is not None
    assert (statement.span.source, statement.span.line) == (str(TEMPLATE), 42)
    lines = TEMPLATE.read_text().splitlines()
    assert lines[statement.span.line - 1].strip() == "- Sid: Read"


def test_the_examples_read_every_fact() -> None:
    good = read(path=Path("examples/cloudformation/template.yaml"))
    assert [(d.resource, d.policy_type) for d in good.policies] == [
        ("StoreAdminRole", PolicyType.TRUST),
        ("StoreAdminPolicy", PolicyType.IDENTITY),
        ("PaymentsKey", PolicyType.KEY),
        ("ProtectCustomKeyStores", PolicyType.SCP),
    ]
    (key,) = good.keys
    assert key.aliases == ("alias/payments",)
    (scp,) = good.org_policies
    assert scp.targets == ("111122223333",)
    trust = good.roles[0].trust.document["Statement"][0]
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    broken = read(path=Path("examples/cloudformation-broken/template.yaml"))
    assert not broken.org_policies


def test_json_templates_resolve_like_yaml_ones(tmp_path: Path) -> None:
    template = {
        "Parameters": {"Name": {"Type": "String"}},
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Name"}}},
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "Topics": [{"Ref": "Topic"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "sns:Publish",
                                "Resource": {"Ref": "Topic"},
                            }
                        ],
                    },
                },
            },
        },
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template, indent=2), encoding="utf-8")
    infra = read(ReadOptions(account_id="1", region="eu-west-1", parameters=(("Name", "n"),)), path)
    (doc,) = infra.policies
    assert doc.document["Statement"][0]["Resource"] == "arn:aws:sns:eu-west-1:1:n"
    assert doc.public_type == "AWS::SNS::Topic"
    lines = path.read_text().splitlines()
    assert lines[doc.location.span.line - 1].strip().startswith('"PolicyDocument": {')


def test_a_condition_that_refers_to_itself_is_an_error_in_the_template(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Conditions:\n  A: !Condition A\nResources:\n  U:\n    Type: AWS::IAM::User\n"
        "    Condition: A\n",
        encoding="utf-8",
    )
    with pytest.raises(InfraError) as caught:
        read(path=path)
    assert "refers to itself" in caught.value.message
    assert caught.value.span is not None and caught.value.span.line == 2


def test_what_the_reader_does_not_expand_is_an_approximation(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        """Transform: AWS::LanguageExtensions
Parameters:
  Flag: {Type: String}
Conditions:
  On: !Equals [!Ref Flag, "yes"]
Resources:
  Fn::ForEach::Roles:
    - Name
    - [a, b]
    - Role${Name}: {Type: AWS::IAM::Role}
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: !If [On, {Version: "2012-10-17"}, !Ref AWS::NoValue]
      Policies:
        - !If
          - On
          - PolicyName: maybe
            PolicyDocument:
              Version: "2012-10-17"
              Statement: [{Effect: Allow, Action: s3:ListBucket, Resource: "*"}]
          - !Ref AWS::NoValue
""",
        encoding="utf-8",
    )
    infra = read(ReadOptions(account_id="1", region="us-east-1"), path)
    messages = [a.message for a in infra.approximations]
    assert any("Transform" in m for m in messages)
    assert any(
        "Fn::ForEach::Roles (AWS::LanguageExtensions) is not expanded" in m for m in messages
    )
    trust = doc_of(infra, "R", "TrustPolicy")
    assert trust.document is None and trust.unknown is not None
    maybe = doc_of(infra, "R", "maybe")
    assert any("read as if condition On were True" in a.message for a in maybe.approximations)
    assert maybe.load() is not None
