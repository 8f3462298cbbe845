"""Offline counterparts of IAM Access Analyzer's custom policy checks.

Same result words (PASS, FAIL) plus UNKNOWN; every FAIL carries requests that
the concrete evaluator confirms. Policy-level semantics: a policy allows a
request when one of its Allow statements applies and none of its Deny
statements does; other policies are not consulted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cksmodel.concrete.evaluate import TRUST_ACTIONS, policy_statements, resource_kind
from cksmodel.concrete.evaluate import policy_allows as concrete_allows
from cksmodel.concrete.request import PrincipalKind, Request
from cksmodel.errors import InputError, PolicyError
from cksmodel.policy.ir import Policy, PolicySet, PolicyType, Value, one_statement
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, decode_document, parse_json
from cksmodel.policy.parse import load_policy
from cksmodel.policy.patterns import arn_match, compile_glob
from cksmodel.policy.validate import require_valid
from cksmodel.source import read_regular_file
from cksmodel.symbolic.encode import Encoder, policy_allows
from cksmodel.symbolic.logic import FALSE, TRUE, Term, and_, not_, or_
from cksmodel.symbolic.matching import claim_holder
from cksmodel.symbolic.progress import Progress, no_progress
from cksmodel.symbolic.query import (
    Answer,
    Comparison,
    Question,
    Verdict,
    holder,
    relation_of,
    search,
)
from cksmodel.symbolic.strings import Pattern, glob, literal

POLICY_TYPES = {"IDENTITY_POLICY": PolicyType.IDENTITY, "RESOURCE_POLICY": PolicyType.RESOURCE}

RESOURCE_TYPES: dict[str, tuple[PolicyType, str, str]] = {
    "AWS::KMS::Key": (PolicyType.KEY, "kms:*", "arn:*:kms:*:*:key/*"),
    "AWS::IAM::AssumeRolePolicyDocument": (PolicyType.TRUST, "sts:*", "arn:*:iam::*:role/*"),
    "AWS::S3::Bucket": (PolicyType.RESOURCE, "s3:*", "arn:*:s3:::*"),
    "AWS::S3::AccessPoint": (PolicyType.RESOURCE, "s3:*", "arn:*:s3:*:*:accesspoint/*"),
    "AWS::SecretsManager::Secret": (
        PolicyType.RESOURCE,
        "secretsmanager:*",
        "arn:*:secretsmanager:*:*:secret:*",
    ),
    "AWS::SQS::Queue": (PolicyType.RESOURCE, "sqs:*", "arn:*:sqs:*:*:*"),
    "AWS::SNS::Topic": (PolicyType.RESOURCE, "sns:*", "arn:*:sns:*:*:*"),
    "AWS::Lambda::Function": (PolicyType.RESOURCE, "lambda:*", "arn:*:lambda:*:*:function:*"),
    "AWS::ECR::Repository": (PolicyType.RESOURCE, "ecr:*", "arn:*:ecr:*:*:repository/*"),
    "AWS::DynamoDB::Table": (PolicyType.RESOURCE, "dynamodb:*", "arn:*:dynamodb:*:*:table/*"),
}
"""Resource types for check-no-public-access: policy type, actions and resource ARNs in scope."""

IDENTITY_BOUND_KEYS = (
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourceip",
    "aws:vpcsourceip",
)
"""Keys whose values a stranger cannot choose: a fixed value in the policy keeps it non-public
(the S3 "public" definition, which IAM Access Analyzer follows)."""

PUBLIC_PROVIDERS: dict[str, tuple[str, str | None]] = {
    "token.actions.githubusercontent.com": ("sub", "repo:"),
    "gitlab.com": ("sub", "project_path:"),
    "cognito-identity.amazonaws.com": ("aud", None),
    "accounts.google.com": ("aud", None),
    "graph.facebook.com": ("app_id", None),
    "www.amazon.com": ("app_id", None),
}
"""Web identity providers anyone can get a token from, with the claim that ties a token to
its owner: an owner namespace (``repo:ORG/…``) after the prefix, or (``None``) the whole
value (an identity pool or app id). A token holder is a stranger unless that claim is in
a namespace, or equal to an id, that the policy names literally. SAML providers and other
OIDC providers are the account's own identity providers."""


def read_policy_argument(arg: str, *, policy_type: PolicyType, name: str) -> Policy:
    """A policy given as a path, ``-`` (stdin), ``file://path`` or inline JSON.

    The document must pass :func:`require_valid`: a command reports the same input
    errors as ``cksmodel validate`` for the same document. A resource policy whose
    statements have no ``Resource`` is read (and validated) as a role trust policy (the
    role is the resource), as Access Analyzer's checks accept it.
    """
    text, source = _policy_text(arg, name)
    try:
        policy = load_policy(text, policy_type=policy_type, name=name, source=source)
    except PolicyError as exc:
        trust = _as_trust(text, policy_type, name, source, exc)
        if trust is None:
            require_valid(text, policy_type=policy_type, source=source)
            raise
        require_valid(text, policy_type=PolicyType.TRUST, source=source)
        return trust
    require_valid(text, policy_type=policy_type, source=source)
    return policy


def _as_trust(
    text: str, policy_type: PolicyType, name: str, source: str, exc: PolicyError
) -> Policy | None:
    """The document as a role trust policy, when it is one given as a resource policy."""
    if policy_type is not PolicyType.RESOURCE or exc.code != "E_MISSING_RESOURCE":
        return None
    try:
        trust = load_policy(text, policy_type=PolicyType.TRUST, name=name, source=source)
    except PolicyError:
        return None
    if not all(v.text.lower().startswith("sts:") for st in trust.statements for v in st.actions):
        return None
    return trust


def _policy_text(arg: str, name: str) -> tuple[str, str]:
    if arg == "-":
        source, data = "<stdin>", sys.stdin.buffer.read()
    elif arg.lstrip().startswith("{"):
        return arg, f"<{name}>"
    else:
        path = Path(arg.removeprefix("file://"))
        try:
            data = read_regular_file(path, limit=MAX_DOCUMENT_BYTES)
        except OSError as exc:
            raise InputError(
                f"cannot read {name} {str(path)!r}: {exc.strerror}", code="E_IO"
            ) from None
        source = str(path)
    return decode_document(data, source), source


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """PASS / FAIL / UNKNOWN with reasons (statements) and replayed counterexamples."""

    result: str
    message: str
    answer: Answer
    reasons: tuple[dict[str, Any], ...] = ()

    @property
    def exit_code(self) -> int:
        return {"PASS": 0, "FAIL": 1}.get(self.result, 3)

    def to_json(self) -> dict[str, Any]:
        out = {
            "result": self.result,
            "message": self.message,
            "reasons": list(self.reasons),
            "counterexamples": [c.to_json() for c in self.answer.counterexamples],
            "time_s": round(self.answer.elapsed, 3),
        }
        if self.answer.approximations:
            out["approximations"] = self.answer.to_json()["approximations"]
        return out


def _reasons(policy: Policy, answer: Answer) -> tuple[dict[str, Any], ...]:
    seen: dict[int, dict[str, Any]] = {}
    for example in answer.counterexamples:
        allows, _ = policy_statements(policy, example.request)
        for m in allows:
            seen.setdefault(
                m.statement_index,
                {
                    "description": (
                        f"statement {m.statement_index} of {policy.name} allows the request"
                    ),
                    "statementIndex": m.statement_index,
                    "statementId": m.sid,
                    "line": m.line,
                    "column": m.column,
                },
            )
    return tuple(seen[k] for k in sorted(seen))


def _result(answer: Answer, policy: Policy, fail: str, passed: str) -> CheckResult:
    if answer.verdict is Verdict.PROVED:
        return CheckResult(result="PASS", message=passed, answer=answer)
    if answer.verdict is Verdict.REFUTED:
        return CheckResult(
            result="FAIL", message=fail, answer=answer, reasons=_reasons(policy, answer)
        )
    return CheckResult(result="UNKNOWN", message=f"undecided: {answer.reason}", answer=answer)


def _word(allowed: bool) -> str:
    return "allowed" if allowed else "denied"


def _trust_scope(*policies: Policy) -> tuple[Callable[[Encoder], Term], Callable[[Request], bool]]:
    """Requests a check is about: a trust policy governs only assuming its role."""
    if not any(p.policy_type is PolicyType.TRUST for p in policies):
        return (lambda enc: TRUE), (lambda r: True)
    return (lambda enc: enc.trust_kind()), (lambda r: resource_kind(r) is PolicyType.TRUST)


def check_no_new_access(
    existing: Policy,
    new: Policy,
    *,
    identity: bool,
    timeout: float,
    max_examples: int,
    progress: Progress = no_progress,
) -> CheckResult:
    scope, in_scope = _trust_scope(existing, new)

    def goal(enc: Encoder) -> Term:
        return and_(
            policy_allows(enc, new),
            not_(policy_allows(enc, existing)),
            holder(enc, identity),
            scope(enc),
        )

    def replay(r: Request) -> tuple[bool, dict[str, str]]:
        n, e = concrete_allows(new, r), concrete_allows(existing, r)
        return n and not e and in_scope(r), {"new": _word(n), "existing": _word(e)}

    sets = [PolicySet(identity=(existing,)), PolicySet(identity=(new,))]
    answer = search(
        Question(
            sets, goal, replay, None, timeout, max_examples, decisions=False, progress=progress
        )
    )
    return _result(
        answer,
        new,
        "the new policy grants access that the existing policy does not",
        "the new policy grants no access beyond the existing policy",
    )


def _access_policy(
    access: Mapping[str, Any],
) -> tuple[Policy, tuple[Value, ...], tuple[Value, ...]]:
    if not isinstance(access, Mapping) or set(access) - {"actions", "resources"}:
        raise InputError(
            '--access must be a JSON object with "actions" and/or "resources"', code="E_ACCESS"
        )
    actions = access.get("actions") or []
    resources = access.get("resources") or []
    if (
        not isinstance(actions, list)
        or not isinstance(resources, list)
        or not (actions or resources)
    ):
        raise InputError(
            '--access needs a non-empty "actions" or "resources" list', code="E_ACCESS"
        )
    if not all(isinstance(x, str) for x in [*actions, *resources]):
        raise InputError("--access actions and resources must be strings", code="E_ACCESS")
    policy = one_statement(
        "access", PolicyType.IDENTITY, list(actions) or ["*"], resources=list(resources) or ["*"]
    )
    (stmt,) = policy.statements
    assert stmt.resources is not None
    return policy, stmt.actions, stmt.resources


def parse_access(text: str) -> Mapping[str, Any]:
    value = parse_json(text, "--access")
    if not isinstance(value, Mapping):
        raise InputError(
            '--access must be a JSON object with "actions" and/or "resources"', code="E_ACCESS"
        )
    return value


def check_access_not_granted(
    policy: Policy,
    access: Mapping[str, Any],
    *,
    identity: bool,
    timeout: float,
    max_examples: int,
    progress: Progress = no_progress,
) -> CheckResult:
    scope, actions, resources = _access_policy(access)
    trust, in_trust = _trust_scope(policy)

    def goal(enc: Encoder) -> Term:
        _, levels = enc.scan((scope,), TRUE)
        return and_(policy_allows(enc, policy), levels.any, holder(enc, identity), trust(enc))

    def in_scope(r: Request) -> bool:
        return (
            any(compile_glob(a.text, True).match(r.action) for a in actions)
            and any(arn_match(v.text, r.resource) for v in resources)
            and in_trust(r)
        )

    def replay(r: Request) -> tuple[bool, dict[str, str]]:
        allowed = concrete_allows(policy, r)
        return allowed and in_scope(r), {"policy": _word(allowed)}

    sets = [PolicySet(identity=(policy,)), PolicySet(identity=(scope,))]
    answer = search(
        Question(
            sets, goal, replay, None, timeout, max_examples, decisions=False, progress=progress
        )
    )
    return _result(
        answer,
        policy,
        "the policy grants some of the listed access",
        "the policy grants none of the listed access",
    )


def _public(enc: Encoder, policy: Policy) -> Term:
    """The caller is anonymous, or of an account the policy does not name, or (for a trust
    policy) holds a public provider's token the policy does not pin, with no fixed
    organization, network or source value that the policy names."""
    terms: list[Term] = []
    for key in IDENTITY_BOUND_KEYS:
        rep = enc.keys.get(key)
        if rep is None:
            continue
        if rep.family == "String":
            for dim in rep.strings:
                terms += [not_(atom) for p, atom in dim.atoms.items() if p.only_string is not None]
        elif rep.family == "Ip":
            from cksmodel.policy.conditions import parse_network
            from cksmodel.symbolic.logic import BVRange, EnumIs

            networks = {
                net
                for stmt in policy.statements
                for cond in stmt.conditions
                if cond.key_lower == key
                for v in cond.values
                if (net := parse_network(v.text)) is not None
            }
            for slot in range(rep.slots):
                terms += [
                    not_(
                        and_(
                            EnumIs(rep.ip_version[slot], 0 if n.version == 4 else 1),
                            BVRange(
                                rep.ip_addr[slot], int(n.network_address), int(n.broadcast_address)
                            ),
                        )
                    )
                    for n in networks
                ]
    unnamed = [i for i, a in enumerate(enc.paccount.domain) if a not in enc.u.accounts.literals]
    from cksmodel.symbolic.logic import enum_in

    stranger = and_(enc.is_aws_identity(), enum_in(enc.paccount, unnamed))
    tokens = (
        [_token_stranger(enc, policy, host) for host in PUBLIC_PROVIDERS]
        if policy.policy_type is PolicyType.TRUST
        else []
    )
    return and_(or_(enc.kind_is(PrincipalKind.ANONYMOUS), stranger, tokens), terms)


def _owner_patterns(policy: Policy, key: str, prefix: str | None) -> list[Pattern]:
    """What the policy's values on the owner claim name literally: namespaces or ids."""
    out: list[Pattern] = []
    for stmt in policy.statements:
        for cond in stmt.conditions:
            if cond.key_lower != key:
                continue
            for v in cond.values:
                text = v.text
                if prefix is None:
                    if not any(ch in text for ch in "*?$"):
                        out.append(literal(text))
                    continue
                owner, slash, _ = text.removeprefix(prefix).partition("/")
                if text.startswith(prefix) and slash and not any(ch in owner for ch in "*?$"):
                    out.append(glob(f"{prefix}{owner}/*"))
    return out


def _token_stranger(enc: Encoder, policy: Policy, host: str) -> Term:
    """Anyone holding a token of a public provider, outside what the policy names."""
    claim, prefix = PUBLIC_PROVIDERS[host]
    key = f"{host}:{claim}"
    holder_term = claim_holder(enc, key)
    rep = enc.key_rep(key)
    if rep.family != "String":
        return FALSE
    owners = _owner_patterns(policy, key, prefix)
    return and_(
        holder_term,
        rep.present,
        [not_(dim.member(p)) for dim in rep.strings for p in owners],
    )


def check_no_public_access(
    policy: Policy,
    resource_type: str,
    *,
    timeout: float,
    max_examples: int,
    progress: Progress = no_progress,
) -> CheckResult:
    policy_type, action_scope, resource_scope = RESOURCE_TYPES[resource_type]
    actions = [*TRUST_ACTIONS] if policy_type is PolicyType.TRUST else [action_scope]
    scope = one_statement("scope", PolicyType.IDENTITY, actions, resources=(resource_scope,))

    def goal(enc: Encoder) -> Term:
        allowed = policy_allows(enc, policy)
        _, levels = enc.scan((scope,), TRUE)
        return and_(allowed, levels.any, _public(enc, policy))

    def replay(r: Request) -> tuple[bool, dict[str, str]]:
        allowed = concrete_allows(policy, r) and concrete_allows(scope, r)
        return allowed, {"policy": _word(allowed)}

    sets = [PolicySet(resource=policy), PolicySet(identity=(scope,))]
    answer = search(
        Question(
            sets, goal, replay, None, timeout, max_examples, decisions=False, progress=progress
        )
    )
    return _result(
        answer,
        policy,
        f"the {resource_type} policy grants public access",
        f"the {resource_type} policy grants no public access",
    )


def compare_policies(
    a: Policy,
    b: Policy,
    *,
    identity: bool,
    timeout: float,
    max_examples: int,
    progress: Progress = no_progress,
) -> Comparison:
    """``a`` relative to ``b`` at the level of the two policies alone."""

    scope, in_scope = _trust_scope(a, b)

    def direction(x: Policy, y: Policy) -> Answer:
        def goal(enc: Encoder) -> Term:
            return and_(
                policy_allows(enc, x),
                not_(policy_allows(enc, y)),
                holder(enc, identity),
                scope(enc),
            )

        def replay(r: Request) -> tuple[bool, dict[str, str]]:
            ax, ay = concrete_allows(x, r), concrete_allows(y, r)
            return ax and not ay and in_scope(r), {x.name: _word(ax), y.name: _word(ay)}

        sets = [PolicySet(identity=(x,)), PolicySet(identity=(y,))]
        return search(
            Question(
                sets, goal, replay, None, timeout, max_examples, decisions=False, progress=progress
            )
        )

    only_a, only_b = direction(a, b), direction(b, a)
    return Comparison(relation=relation_of(only_a, only_b), only_a=only_a, only_b=only_b)


def result_text(result: CheckResult) -> str:
    lines = [f"{result.result}: {result.message} ({result.answer.elapsed:.2f} s)"]
    for reason in result.reasons:
        where = f" at line {reason['line']}, column {reason['column']}" if reason["line"] else ""
        sid = f" (Sid {reason['statementId']!r})" if reason["statementId"] else ""
        lines.append(f"  statement {reason['statementIndex']}{sid}{where}")
    for i, example in enumerate(result.answer.counterexamples, 1):
        lines.append(
            f"  counterexample {i}: {json.dumps(example.to_json()['request'], sort_keys=True)}"
        )
    for approx in result.answer.approximations:
        where = f" at {approx.span}" if approx.span else ""
        lines.append(f"  approximated: {approx.reason}{where}")
    return "\n".join(lines) + "\n"


def comparison_text(c: Comparison) -> str:
    lines = [f"{c.relation.value}"]
    for label, answer in (("allowed only by A", c.only_a), ("allowed only by B", c.only_b)):
        for example in answer.counterexamples:
            lines.append(f"  {label}: {json.dumps(example.to_json()['request'], sort_keys=True)}")
    reason = "; ".join(r for r in (c.only_a.reason, c.only_b.reason) if r)
    if reason:
        lines.append(f"  undecided: {reason}")
    return "\n".join(lines) + "\n"
