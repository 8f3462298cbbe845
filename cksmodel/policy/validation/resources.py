"""Resource and NotResource checks: the ARN's shape, partition, service and account.

A role trust policy has no Resource at all; elsewhere each value must be ``"*"``
or a six-part ARN whose partition is AWS's, whose service is not a wildcard and
whose account is 12 digits, with policy variables only in the resource part.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cksmodel.policy.ir import PolicyType, Statement, Value
from cksmodel.policy.patterns import has_variables, split_arn
from cksmodel.policy.validation.checker import ACCOUNT, WILDCARD, Checker, key_pos, short
from cksmodel.policy.validation.variables import check_variables

_PARTITIONS: Final = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)


def check_resources(chk: Checker, stmt: Statement, raw: Mapping[str, Any]) -> None:
    if chk.type is PolicyType.TRUST:
        for element in ("Resource", "NotResource"):
            if element in raw:
                chk.add(
                    "E_RESOURCE_NOT_ALLOWED",
                    f"a role trust policy cannot have {element} (IAM rejects it: the "
                    "resource is the role itself); remove it",
                    key_pos(raw, element),
                )
        return
    for v in (stmt.resources or ()) + (stmt.not_resources or ()):
        if chk.usable(v):
            _check_resource(chk, v)


def _check_resource(chk: Checker, v: Value) -> None:
    text = v.text
    if text == "*":
        return
    if has_variables(text):
        check_variables(chk, v, "Resource")
    parts = split_arn(text)
    if parts is None:
        chk.add(
            "E_ARN_FORMAT",
            f'resource {short(text)} is not valid; expected "*" or an ARN '
            "arn:partition:service:region:account:resource (six parts)",
            v.span,
        )
        return
    partition, service, _region, account, resource = parts[1:]
    if not service:
        chk.add(
            "E_ARN_FORMAT",
            f"resource {short(text)} has an empty service part; expected e.g. "
            "arn:aws:kms:REGION:ACCOUNT:key/ID",
            v.span,
        )
        return
    if not resource:
        chk.add(
            "W_ARN_EMPTY_RESOURCE",
            f"resource {short(text)} has an empty resource part, so it matches no resource; "
            "expected e.g. key/ID or a wildcard",
            v.span,
        )
        return
    if (
        not WILDCARD.search(partition)
        and not has_variables(partition)
        and partition.lower() not in _PARTITIONS
    ):
        chk.add(
            "W_ARN_PARTITION",
            f"{partition!r} is not an AWS partition, so {short(text)} matches nothing; "
            f"expected one of {', '.join(sorted(_PARTITIONS))}",
            v.span,
        )
    if WILDCARD.search(service):
        chk.add(
            "W_ARN_SERVICE_WILDCARD",
            f"{short(text)} has a wildcard in its service part and matches resources of "
            "every service; expected a service such as kms",
            v.span,
        )
    if (
        account
        and account != "aws"
        and not WILDCARD.search(account)
        and not has_variables(account)
        and not ACCOUNT.fullmatch(account)
    ):
        chk.add(
            "E_ACCOUNT_ID",
            f"the account in {short(text)} is {account!r}; expected 12 digits, a "
            "wildcard or nothing",
            v.span,
        )
    if not chk.variables_literal and any(has_variables(p) for p in parts[:5]):
        chk.add(
            "W_VARIABLE_OUTSIDE_RESOURCE",
            f"in {short(text)} a policy variable outside the resource part of the ARN is "
            "not substituted and is matched as literal text; use it after the fifth ':'",
            v.span,
        )
