"""What both readers share: documents built from resources that are not written as policies
(a Lambda permission is one statement of the function's resource policy), and positioning
such built values at the resource they come from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cksmodel.policy.jsontext import PDict, PList, Pos


class Placeholder(str):
    """A string standing for a value the template does not fix."""

    __slots__ = ()


__all__ = [
    "Placeholder",
    "attribute_value",
    "function_arn",
    "lambda_permission_document",
    "positioned",
]


def function_arn(function: str, *, partition: str, region: str, account: str) -> str:
    """A Lambda function as its ARN, from the name, partial ARN or ARN a permission gives."""
    if function.startswith("arn:"):
        return function
    if ":function:" in function:
        return f"arn:{partition}:lambda:{region}:{function}"
    return f"arn:{partition}:lambda:{region}:{account}:function:{function}"


def lambda_permission_document(
    *,
    action: str,
    function_arn: str,
    principal: str,
    sid: str | None = None,
    source_arn: str | None = None,
    source_account: str | None = None,
    principal_org_id: str | None = None,
    url_auth_type: str | None = None,
) -> dict[str, Any]:
    """The statement Lambda adds to the function's resource policy for one permission.

    The principal is a service (``s3.amazonaws.com``), an account id or ARN, or ``*``;
    ``SourceArn``, ``SourceAccount``, ``PrincipalOrgID`` and ``FunctionUrlAuthType`` become
    the conditions Lambda writes for them.
    """
    if principal == "*":
        who: Any = "*"
    elif "." in principal and not principal.startswith("arn:"):
        who = {"Service": principal}
    else:
        who = {"AWS": principal}
    conditions: dict[str, dict[str, str]] = {}
    if source_arn is not None:
        conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = source_arn
    if source_account is not None:
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = source_account
    if principal_org_id is not None:
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = principal_org_id
    if url_auth_type is not None:
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = url_auth_type
    statement: dict[str, Any] = {
        **({"Sid": sid} if sid else {}),
        "Effect": "Allow",
        "Principal": who,
        "Action": action,
        "Resource": function_arn,
    }
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


def positioned(value: Any, pos: Pos | None) -> Any:
    """Plain objects as positioned values, every position at ``pos``."""
    at = pos or (0, 0, 0, 0)
    if isinstance(value, Mapping):
        out = PDict()
        out.pos = at
        for key, item in value.items():
            out[key] = positioned(item, pos)
            out.key_pos[key] = out.value_pos[key] = at
        return out
    if isinstance(value, list):
        arr = PList()
        arr.pos = at
        for item in value:
            arr.append(positioned(item, pos))
            arr.item_pos.append(at)
        return arr
    return value


def attribute_value(
    rtype: str,
    attribute: str,
    *,
    name: str,
    path: str,
    partition: str,
    region: str,
    account: str,
    key_id: str,
) -> str | None:
    """What ``Ref`` (``attribute`` ``Ref``) or ``Fn::GetAtt`` gives for a resource of a
    modelled CloudFormation type with that physical name and path; ``None`` when the type or
    attribute is not modelled. A KMS key's id is ``key_id`` and a secret's ARN suffix is
    random: both are placeholders."""
    p, r, a = partition, region, account
    iam = {
        "AWS::IAM::Role": "role",
        "AWS::IAM::User": "user",
        "AWS::IAM::Group": "group",
        "AWS::IAM::InstanceProfile": "instance-profile",
    }
    out: str | None = None
    if rtype in iam:
        arn = f"arn:{p}:iam::{a}:{iam[rtype]}{path}{name}"
        out = {"Ref": name, "Arn": arn}.get(attribute)
    elif rtype == "AWS::IAM::ManagedPolicy":
        out = f"arn:{p}:iam::{a}:policy{path}{name}" if attribute in ("Ref", "PolicyArn") else None
    elif rtype == "AWS::KMS::Key":
        arn = Placeholder(f"arn:{p}:kms:{r}:{a}:key/{key_id}")
        out = {"Ref": key_id, "KeyId": key_id, "Arn": arn}.get(attribute)
    elif rtype == "AWS::KMS::Alias":
        out = name if attribute == "Ref" else None
    elif rtype == "AWS::S3::Bucket":
        out = {"Ref": name, "Arn": f"arn:{p}:s3:::{name}"}.get(attribute)
    elif rtype == "AWS::SQS::Queue":
        out = {
            "Ref": f"https://sqs.{r}.amazonaws.com/{a}/{name}",
            "QueueUrl": f"https://sqs.{r}.amazonaws.com/{a}/{name}",
            "Arn": f"arn:{p}:sqs:{r}:{a}:{name}",
            "QueueName": name,
        }.get(attribute)
    elif rtype == "AWS::SNS::Topic":
        arn = f"arn:{p}:sns:{r}:{a}:{name}"
        out = {"Ref": arn, "TopicArn": arn, "TopicName": name}.get(attribute)
    elif rtype == "AWS::SecretsManager::Secret":
        if attribute in ("Ref", "Id"):
            out = Placeholder(f"arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf")
    elif rtype == "AWS::Lambda::Function":
        out = {"Ref": name, "Arn": f"arn:{p}:lambda:{r}:{a}:function:{name}"}.get(attribute)
    return out
