"""Action and NotAction checks against the IAM catalog, and the rules that depend on them.

An action must name a real service and match at least one of its actions; in a
trust or key policy it must be one that policy type controls; actions without
a resource type need ``Resource "*"``; and an Allow of iam:PassRole or
iam:CreateServiceLinkedRole on every role is flagged.
:func:`statement_covers` answers "does this statement apply to that action?"
for the other checks.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Final

from cksmodel.policy.catalog import ActionInfo
from cksmodel.policy.conditions import NEGATED
from cksmodel.policy.ir import Effect, PolicyType, Statement, Value
from cksmodel.policy.patterns import compile_glob, has_variables, names_whole_service, split_arn
from cksmodel.policy.validation.checker import WILDCARD, Checker, short, value_pos

# The actions a role's trust policy authorizes (mirrors cksmodel.concrete.evaluate.TRUST_ACTIONS).
_TRUST_ACTIONS: Final = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)

_ANY_ROLE: Final = "role/cksmodel-any-role"
_ANY_SLR: Final = "role/aws-service-role/cksmodel.amazonaws.com/AWSServiceRoleForCksmodel"


def check_actions(chk: Checker, stmt: Statement) -> None:
    element = "NotAction" if stmt.not_actions is not None else "Action"
    for v in stmt.action_patterns:
        if chk.usable(v):
            _check_action(chk, v, element)


def _check_action(chk: Checker, v: Value, element: str) -> None:
    text = v.text
    if text == "*":
        return
    if has_variables(text):
        chk.add(
            "W_VARIABLE_NOT_SUPPORTED",
            f"policy variables are not substituted in {element}; {short(text)} is "
            "compared as literal text",
            v.span,
        )
        return
    service, sep, name = text.partition(":")
    if not sep or not service or not name or ":" in name or any(c.isspace() for c in text):
        chk.add(
            "E_ACTION_FORMAT",
            f'action {short(text)} is not valid; expected "*" or service:action, e.g. kms:Decrypt',
            v.span,
        )
        return
    if WILDCARD.search(service):
        chk.add(
            "E_ACTION_SERVICE_WILDCARD",
            f"action {short(text)} has a wildcard in its service prefix, which AWS "
            "rejects; expected a service prefix such as kms, then the wildcard: kms:*",
            v.span,
        )
        return
    if not chk.catalog.has_service(service):
        close = difflib.get_close_matches(service.lower(), sorted(chk.catalog.services()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        chk.add(
            "W_UNKNOWN_SERVICE",
            f"service prefix {service!r} of action {short(text)} is not in the IAM catalog "
            f"({chk.catalog.describe()}): a retired service, one newer than the catalog, "
            f"or a typo{hint}",
            v.span,
        )
        return
    resolved = chk.resolve(text)
    if not resolved:
        if WILDCARD.search(name):
            chk.add(
                "W_ACTION_MATCHES_NOTHING",
                f"{short(text)} matches no {service.lower()} action; expected a pattern "
                "that matches at least one action",
                v.span,
            )
        else:
            names = [a.partition(":")[2] for a in chk.catalog.actions_of(service)]
            lower = {n.lower(): n for n in names}
            close = difflib.get_close_matches(name.lower(), list(lower), n=1)
            hint = f"; did you mean {service.lower()}:{lower[close[0]]}?" if close else ""
            chk.add(
                "W_UNKNOWN_ACTION",
                f"{short(text)} is not a {service.lower()} action in the IAM catalog "
                f"({chk.catalog.describe()}): retired, newer than the catalog, or a typo{hint}",
                v.span,
            )
        return
    if chk.type is PolicyType.TRUST and not any(a.name.lower() in _TRUST_ACTIONS for a in resolved):
        chk.add(
            "W_TRUST_ACTION",
            f"{short(text)} has no effect in a trust policy; expected sts:AssumeRole, "
            "sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, "
            "sts:SetSourceIdentity or sts:SetContext",
            v.span,
        )
    if chk.type is PolicyType.KEY and not any(_acts_on_key(a) for a in resolved):
        chk.add(
            "W_KEY_POLICY_ACTION",
            f"{short(text)} does not act on a KMS key, so it has no effect in a key "
            "policy; grant it in an IAM policy"
            + (' with Resource "*"' if all(a.star_only for a in resolved) else ""),
            v.span,
        )


def check_star_only(chk: Checker, stmt: Statement, raw: Mapping[str, Any]) -> None:
    """Actions without a resource type are authorized only against Resource "*" or an ARN
    naming every resource of their service (see :func:`names_whole_service`)."""
    if stmt.resources is None or not stmt.actions or chk.type is PolicyType.TRUST:
        return
    resources = [r.text for r in stmt.resources if chk.usable(r)]
    if any(compile_glob(r).match("*") for r in resources):
        return
    star_only: list[Value] = []
    others = 0
    for v in stmt.actions:
        resolved = chk.resolve(v.text) if chk.usable(v) and v.text != "*" else None
        if resolved and all(
            a.star_only and not any(names_whole_service(r, a.name) for r in resources)
            for a in resolved
        ):
            star_only.append(v)
        else:
            others += 1
    if not star_only:
        return
    verb = "grants" if stmt.effect is Effect.ALLOW else "denies"
    if not others:
        names = ", ".join(v.text for v in star_only[:4]) + (", …" if len(star_only) > 4 else "")
        chk.add(
            "W_ACTION_REQUIRES_STAR_RESOURCE",
            f"the IAM catalog lists no resource type for {names}, so "
            f'{"it is" if len(star_only) == 1 else "they are"} requested on "*" and this '
            f"statement, naming only specific resources, {verb} nothing; expected "
            '"Resource": "*" (or an ARN naming every resource of the service)',
            value_pos(raw, "Resource") or stmt.span,
        )
        return
    for v in star_only:
        chk.add(
            "W_ACTION_REQUIRES_STAR_RESOURCE",
            f"the IAM catalog lists no resource type for {short(v.text)}, so it is requested on "
            f'"*", which this statement does not name: the statement never {verb} it; move it '
            'to a statement with "Resource": "*"',
            v.span,
        )


def statement_covers(chk: Checker, stmt: Statement, action: str) -> bool:
    """Does the statement's Action or NotAction take in ``action`` (lower case)?"""
    if stmt.not_actions is not None:
        return not any(
            not chk.usable(v) or compile_glob(v.text, True).match(action) for v in stmt.not_actions
        )
    return any(chk.usable(v) and compile_glob(v.text, True).match(action) for v in stmt.actions)


def check_wildcard_role_actions(chk: Checker, stmt: Statement) -> None:
    if chk.type is not PolicyType.IDENTITY or stmt.effect is not Effect.ALLOW:
        return
    for action, subject, key, code, what in (
        (
            "iam:PassRole",
            _ANY_ROLE,
            "iam:PassedToService",
            "S_PASSROLE_WILDCARD",
            "lets the principal pass any role to any service",
        ),
        (
            "iam:CreateServiceLinkedRole",
            _ANY_SLR,
            "iam:AWSServiceName",
            "W_CREATE_SLR_WILDCARD",
            "lets the principal create the service-linked role of any service "
            "(a custom key store manager needs only cks.kms.amazonaws.com's)",
        ),
    ):
        if not statement_covers(chk, stmt, action.lower()):
            continue
        if not _resources_cover_any_role(chk, stmt, subject):
            continue
        if any(c.key_lower == key.lower() and c.base not in NEGATED for c in stmt.conditions):
            continue
        chk.add(
            code,
            f"this statement allows {action} on every role, which {what}; name the roles "
            f"in Resource or add a condition on {key}",
            stmt.span,
        )


def _resources_cover_any_role(chk: Checker, stmt: Statement, resource: str) -> bool:
    if stmt.not_resources is not None:
        return True
    for r in stmt.resources or ():
        if not chk.usable(r):
            continue
        if r.text == "*":
            return True
        parts = split_arn(r.text)
        if (
            parts is not None
            and compile_glob(parts[2], True).match("iam")
            and compile_glob(parts[5]).match(resource)
        ):
            return True
    return False


def _acts_on_key(action: ActionInfo) -> bool:
    return action.service == "kms" and any(rt.lower() == "key" for rt in action.resource_types)
