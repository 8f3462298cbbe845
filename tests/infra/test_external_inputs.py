"""Inputs written by others (tests/data/infra/external, see its README): two plans that
``terraform show -json`` produced for AWS's tf-policy-validator tests, and a template of
AWS's cfn-policy-validator tests. The readers find every policy they hold, at the right
place, and the checks agree with what IAM Access Analyzer reported for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cksmodel.cli import main
from cksmodel.infra import read_infrastructure
from cksmodel.infra.model import ReadOptions
from cksmodel.policy.ir import PolicyType

EXTERNAL = Path(__file__).resolve().parents[1] / "data" / "infra" / "external"


def test_a_one_line_plan_locates_each_policy_by_column() -> None:
    path = EXTERNAL / "tf-identity-policies-plan.json"
    infra = read_infrastructure(path)
    assert infra.account_id == "123456789012"  # no caller identity in this plan
    found = sorted((d.resource, d.name, d.policy_type.value) for d in infra.policies)
    assert ("aws_iam_role.example", "TrustPolicy", "trust") in found
    assert ("aws_iam_user_policy.lb_ro", "test", "identity") in found
    assert len(found) == 8
    text = path.read_text()
    for doc in infra.policies:
        assert doc.location.span.line == 1
        column = doc.location.span.column
        assert text[column - 1 : column + 10].startswith('"')


def test_public_access_agrees_with_access_analyzer_where_both_read_the_policy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Access Analyzer (findings file of the source repository) reports public access for the
    roles iam_for_lambda_with_sns and test_role, the bucket my-tf-test-bucket and the topic
    my-topic-with-policy among the resource types read here; the private bucket passes."""
    path = EXTERNAL / "tf-public-access-plan.json"
    assert main(["check-no-public-access", "--template-path", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    results = {p["resourceName"]: p["result"] for p in report["policies"]}
    assert results == {
        "aws_iam_role.default": "FAIL",
        "aws_iam_role.test_role": "FAIL",
        "aws_lambda_permission.with_sns": "FAIL",
        "aws_s3_bucket_policy.allow_public_access": "FAIL",
        "aws_s3_bucket_policy.no_public_access_bucket": "PASS",
        "aws_sns_topic_policy.default": "FAIL",
    }


def test_the_cfn_policy_validator_template_is_read_whole() -> None:
    path = EXTERNAL / "cfn-policy-validator-test-file-2.yml"
    infra = read_infrastructure(path, ReadOptions(region="us-east-1"))
    kinds = sorted({d.policy_type for d in infra.policies})
    assert kinds == [PolicyType.IDENTITY, PolicyType.RESOURCE, PolicyType.TRUST]
    assert len(infra.policies) == 11
    for doc in infra.policies:
        line = path.read_text().splitlines()[doc.location.span.line - 1]
        assert line.strip().split(":")[0] in (
            "PolicyDocument",
            "AssumeRolePolicyDocument",
            "ResourcePolicy",
        )
