"""What both readers share: documents built from resources that are not written as policies
(a Lambda permission is one statement of the function's resource policy), and positioning
such built values at the resource they come from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cksmodel.policy.jsontext import PDict, PList, Pos

__all__ = ["function_arn", "lambda_permission_document", "positioned"]


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
