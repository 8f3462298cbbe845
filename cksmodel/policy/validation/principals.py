"""Principal and NotPrincipal checks, and the statements that open a policy to anyone.

Each AWS, Service, Federated and CanonicalUser value must be well formed; the
NotPrincipal and RCP rules are enforced; and an Allow to ``"*"`` without a
condition on the caller, or a web-identity trust without a condition on the
token's subject, is a SECURITY_WARNING.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from cksmodel.policy.conditions import NEGATED
from cksmodel.policy.ir import Condition, Effect, PolicyType, Qualifier, Statement, Value
from cksmodel.policy.parse import PRINCIPAL_FORBIDDEN
from cksmodel.policy.patterns import has_variables, split_arn
from cksmodel.policy.validation.actions import statement_covers
from cksmodel.policy.validation.checker import ACCOUNT, WILDCARD, Checker, key_pos, short, value_pos

_UNIQUE_ID: Final = re.compile(r"A(?:IDA|ROA|GPA|IPA|NPA|NVA|SIA|KIA)[A-Z0-9]{12,}")
_SERVICE_PRINCIPAL: Final = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazon(?:aws)?\.com(?:\.cn)?")

# Condition keys that pin who the caller is or where a request comes from: an
# Allow to Principal "*" limited by one of them is not public.
_NARROWING_KEYS: Final = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:PrincipalIsAWSService",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceVpcArn",
        "aws:userid",
        "aws:username",
        "kms:CallerAccount",
    )
)


def check_principals(chk: Checker, stmt: Statement, raw: Mapping[str, Any]) -> None:
    if chk.type in PRINCIPAL_FORBIDDEN:
        return  # the builder reported the element itself
    for pset in (stmt.principal, stmt.not_principal):
        if pset is None:
            continue
        for v in pset.aws:
            if chk.usable(v):
                _check_aws_principal(chk, v)
        for kind, values in (
            ("Service", pset.service),
            ("Federated", pset.federated),
            ("CanonicalUser", pset.canonical_user),
        ):
            for v in values:
                if chk.usable(v):
                    _check_other_principal(chk, kind, v)
    if stmt.not_principal is not None:
        pos = key_pos(raw, "NotPrincipal")
        if chk.type in (PolicyType.TRUST, PolicyType.RCP):
            what = "an RCP" if chk.type is PolicyType.RCP else "a role trust policy"
            chk.add(
                "E_NOTPRINCIPAL_NOT_SUPPORTED",
                f"NotPrincipal cannot be used in {what}; use Principal with a condition on "
                "aws:PrincipalArn",
                pos,
            )
        elif stmt.effect is Effect.ALLOW:
            chk.add(
                "S_ALLOW_WITH_NOTPRINCIPAL",
                "Allow with NotPrincipal grants access to every other principal, anonymous "
                "users included; name the principals in Principal instead",
                pos,
            )
        else:
            chk.add(
                "W_DENY_WITH_NOTPRINCIPAL",
                "Deny with NotPrincipal also denies the listed principals when they have a "
                'permissions boundary; prefer Principal "*" with a condition on '
                "aws:PrincipalArn",
                pos,
            )
    if chk.type is PolicyType.RCP:
        _check_rcp(chk, stmt, raw)


def _check_aws_principal(chk: Checker, v: Value) -> None:
    text = v.text
    if text == "*":
        return
    if has_variables(text):
        chk.add(
            "W_VARIABLE_NOT_SUPPORTED",
            f"policy variables are not substituted in Principal; {short(text)} is "
            "compared as literal text",
            v.span,
        )
        return
    if WILDCARD.search(text):
        chk.add(
            "E_PRINCIPAL_WILDCARD",
            f'wildcards are not allowed in principal {short(text)}; expected "*" alone '
            "or a complete ARN (match patterns with aws:PrincipalArn and ArnLike instead)",
            v.span,
        )
        return
    if text.isdigit():
        if not ACCOUNT.fullmatch(text):
            chk.add(
                "E_ACCOUNT_ID",
                f"account ID {short(text)} has {len(text)} digits; expected 12",
                v.span,
            )
        return
    if _UNIQUE_ID.fullmatch(text):
        chk.add(
            "W_PRINCIPAL_UNIQUE_ID",
            f"{short(text)} is a unique ID, which IAM writes when the user or role it "
            "named was deleted; a new principal with the same name does not match it. "
            "Expected an ARN",
            v.span,
        )
        return
    parts = split_arn(text)
    if parts is None or parts[2].lower() not in ("iam", "sts") or not parts[5]:
        chk.add(
            "E_PRINCIPAL_FORMAT",
            f'AWS principal {short(text)} is not valid; expected "*", a 12-digit account '
            "ID, or an ARN such as arn:aws:iam::111122223333:root or "
            "arn:aws:iam::111122223333:role/NAME",
            v.span,
        )
        return
    if not ACCOUNT.fullmatch(parts[4]):
        chk.add(
            "E_ACCOUNT_ID",
            f"the account in principal {short(text)} is {parts[4]!r}; expected 12 digits",
            v.span,
        )


def _check_other_principal(chk: Checker, kind: str, v: Value) -> None:
    text = v.text
    if kind == "Federated" and text == "*":
        return  # any identity provider: Access Analyzer's checks accept it, the evaluator reads it
    if has_variables(text):
        chk.add(
            "W_VARIABLE_NOT_SUPPORTED",
            f"policy variables are not substituted in Principal; {short(text)} is "
            "compared as literal text",
            v.span,
        )
        return
    if WILDCARD.search(text):
        chk.add(
            "E_PRINCIPAL_WILDCARD",
            f"wildcards are not allowed in a {kind} principal ({short(text)}); expected a "
            "complete name",
            v.span,
        )
        return
    if kind == "Service" and not _SERVICE_PRINCIPAL.fullmatch(text):
        chk.add(
            "W_SERVICE_PRINCIPAL_FORMAT",
            f"service principal {short(text)} does not look like one; expected a name "
            "such as cks.kms.amazonaws.com",
            v.span,
        )


def _check_rcp(chk: Checker, stmt: Statement, raw: Mapping[str, Any]) -> None:
    full_access = (
        stmt.principal is not None
        and stmt.principal.wildcard
        and [v.text for v in stmt.actions] == ["*"]
        and [v.text for v in stmt.resources or ()] == ["*"]
        and not stmt.conditions
    )
    if stmt.effect is Effect.ALLOW and not full_access:
        chk.add(
            "E_RCP_ALLOW",
            'an RCP statement must have "Effect": "Deny"; only the AWS-managed '
            "RCPFullAWSAccess policy may allow",
            value_pos(raw, "Effect"),
        )
    if stmt.principal is not None and not stmt.principal.wildcard:
        chk.add(
            "E_RCP_PRINCIPAL",
            'an RCP statement must have "Principal": "*"; narrow it with conditions '
            "such as aws:PrincipalArn",
            value_pos(raw, "Principal"),
        )


def check_public(chk: Checker, stmt: Statement) -> None:
    if stmt.effect is not Effect.ALLOW or stmt.principal is None:
        return
    if chk.type not in (PolicyType.KEY, PolicyType.TRUST, PolicyType.RESOURCE):
        return
    pset = stmt.principal
    if not (pset.wildcard or any(v.text == "*" for v in pset.aws)):
        return
    if any(_narrows(c) for c in stmt.conditions):
        return
    what = {
        PolicyType.KEY: "use this KMS key",
        PolicyType.TRUST: "assume this role",
        PolicyType.RESOURCE: "access this resource",
    }[chk.type]
    chk.add(
        "S_PUBLIC_PRINCIPAL",
        f'Principal "*" without a narrowing condition lets anyone, in any account, {what}; '
        "add a condition on aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, "
        "aws:SourceAccount, aws:SourceArn, aws:SourceVpce or kms:CallerAccount",
        pset.span,
    )


def check_federated_trust(chk: Checker, stmt: Statement) -> None:
    if (
        chk.type is not PolicyType.TRUST
        or stmt.effect is not Effect.ALLOW
        or stmt.principal is None
        or not statement_covers(chk, stmt, "sts:assumerolewithwebidentity")
    ):
        return
    for v in stmt.principal.federated:
        _, marker, host = v.text.partition(":oidc-provider/")
        if not marker or not host or not chk.usable(v):
            continue
        wanted = f"{host.lower()}:sub"
        if any(
            c.key_lower == wanted and c.base not in NEGATED and c.base != "Null"
            for c in stmt.conditions
        ):
            continue
        chk.add(
            "S_FEDERATED_TRUST_UNSCOPED",
            f"any identity that {host} issues a token to can assume this role; add a "
            f"condition on {host}:sub (and {host}:aud)",
            v.span,
        )


def _narrows(cond: Condition) -> bool:
    """Does this condition pin the caller's identity, account, organization or origin?"""
    if cond.key_lower not in _NARROWING_KEYS:
        return False
    if cond.base in NEGATED or cond.base == "Null" or cond.if_exists:
        return False
    if cond.qualifier is Qualifier.FOR_ALL_VALUES or not cond.values:
        return False
    return all(v.text.strip("*?") != "" for v in cond.values)
