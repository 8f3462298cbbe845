"""The concrete evaluator: the reference semantics every other stage is checked against.

It follows the AWS policy evaluation logic (explicit deny first; then SCPs,
RCPs, VPC endpoint policies, the resource's policy, identity policies,
permissions boundary and session policy), with the KMS rules for key policies
and grants, and names the statements that decided each request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from cksmodel.arguments import check_type
from cksmodel.concrete.decision import Decision, DecisionWord, MatchedStatement
from cksmodel.concrete.protections import ALWAYS_ALLOWED, PROTECTION_REASONS, aws_protections
from cksmodel.concrete.request import Principal, PrincipalKind, Request, derived_context
from cksmodel.policy.conditions import evaluate_condition
from cksmodel.policy.ir import (
    Effect,
    Grant,
    Policy,
    PolicySet,
    PolicyType,
    PrincipalSet,
    Statement,
    Value,
)
from cksmodel.policy.patterns import (
    ContextValue,
    Lookup,
    arn_match,
    compile_glob,
    names_whole_service,
    split_arn,
)

TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)
"""Actions authorized by the trust policy of the role they target."""

FEDERATION_ACTIONS = {
    PrincipalKind.WEB_IDENTITY: frozenset(
        {"sts:assumerolewithwebidentity", "sts:tagsession", "sts:setsourceidentity"}
    ),
    PrincipalKind.SAML: frozenset(
        {"sts:assumerolewithsaml", "sts:tagsession", "sts:setsourceidentity"}
    ),
}
"""What a web-identity or SAML caller can ask for: to assume a role (passing session tags
and a source identity from its token). The caller is not an AWS identity, so only the
role's trust policy (and RCPs) decide (IAM User Guide, "Permissions for AssumeRole,
AssumeRoleWithSAML, and AssumeRoleWithWebIdentity")."""
FEDERATED_ONLY = {
    "sts:assumerolewithwebidentity": PrincipalKind.WEB_IDENTITY,
    "sts:assumerolewithsaml": PrincipalKind.SAML,
}
"""Actions only a caller of that kind can make (the token names the caller)."""

KMS_CROSS_ACCOUNT = frozenset(
    "kms:" + op
    for op in (
        "creategrant",
        "decrypt",
        "derivesharedsecret",
        "describekey",
        "encrypt",
        "generatedatakey",
        "generatedatakeypair",
        "generatedatakeypairwithoutplaintext",
        "generatedatakeywithoutplaintext",
        "generatemac",
        "getkeyrotationstatus",
        "getpublickey",
        "listgrants",
        "reencryptfrom",
        "reencryptto",
        "retiregrant",
        "revokegrant",
        "sign",
        "verify",
        "verifymac",
    )
)
"""KMS operations that principals of another account can perform on a key
(AWS KMS "Allowing users in other accounts to use a KMS key"); any other
operation is effective only inside the key's own account."""

RCP_SERVICES = frozenset(
    {
        "s3",
        "sts",
        "kms",
        "sqs",
        "secretsmanager",
        "cognito-identity",
        "logs",
        "dynamodb",
        "ecr",
        "aoss",
    }
)
"""Services whose resources RCPs govern (AWS Organizations "Resource control
policies", list of supported services); RCPs leave every other service alone."""

RCP_EXEMPT_ACTIONS = frozenset({"kms:retiregrant"})
"""``kms:RetireGrant`` is never restricted by an RCP (AWS KMS "Resource control policies")."""

_EC_OPERATIONS = frozenset(
    {
        "decrypt",
        "encrypt",
        "generatedatakey",
        "generatedatakeypair",
        "generatedatakeypairwithoutplaintext",
        "generatedatakeywithoutplaintext",
        "reencryptfrom",
        "reencryptto",
    }
)
"""Grant operations that take an encryption context, so grant constraints apply."""


class Match(IntEnum):
    """How a Principal element named the caller; higher is more specific."""

    ACCOUNT = 1
    ROLE = 2
    DIRECT = 3


Identity = tuple[str, ...]


@lru_cache(maxsize=16384)
def principal_identity(text: str) -> Identity | None:
    """Normalize one AWS principal value of a policy (or a grantee) to an identity key."""
    if text == "*":
        return ("*",)
    if len(text) == 12 and text.isdigit():
        return ("account", text)
    parts = split_arn(text)
    if parts is None:
        return None
    service, account, resource = parts[2].lower(), parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    if service == "iam" and resource == "root":
        return ("account", account)
    if service == "iam" and kind in ("user", "role") and rest:
        return (kind, account, rest.rpartition("/")[2].lower())
    if service == "sts" and kind == "assumed-role" and "/" in rest:
        role, _, session = rest.partition("/")
        return ("session", account, role.lower(), session)
    if service == "sts" and kind == "federated-user" and rest:
        return ("federated", account, rest)
    return None


def caller_identities(p: Principal) -> tuple[tuple[Identity, Match], ...]:
    """Every identity a Principal element may name to mean this caller."""
    acct = p.account or ""
    name = (p.name or "").lower()
    account: tuple[Identity, Match] = (("account", acct), Match.ACCOUNT)
    if p.kind is PrincipalKind.USER:
        return ((("user", acct, name), Match.DIRECT), account)
    if p.kind is PrincipalKind.ASSUMED_ROLE:
        session = ("session", acct, name, p.session_name or "")
        return ((session, Match.DIRECT), (("role", acct, name), Match.ROLE), account)
    if p.kind is PrincipalKind.ROLE:
        return ((("role", acct, name), Match.ROLE), account)
    if p.kind is PrincipalKind.FEDERATED_USER:
        return ((("federated", acct, p.name or ""), Match.DIRECT), account)
    if p.kind is PrincipalKind.ROOT:
        return ((("account", acct), Match.DIRECT),)
    if p.kind is PrincipalKind.SERVICE:
        return ((("service", p.text), Match.DIRECT),)
    if p.is_federated:
        return ((("provider", p.text.lower()), Match.DIRECT),)
    return ()


def _listed(pset: PrincipalSet, identity: Identity) -> bool:
    if identity[0] == "service":
        return any(v.text.lower() == identity[1] for v in pset.service)
    if identity[0] == "provider":
        return any(v.text == "*" or v.text.lower() == identity[1] for v in pset.federated)
    return any(principal_identity(v.text) == identity for v in pset.aws)


def _names_everyone(pset: PrincipalSet) -> bool:
    return pset.wildcard or any(v.text == "*" for v in pset.aws)


def match_principal(pset: PrincipalSet, p: Principal) -> Match | None:
    """The most specific way a Principal element names the caller, if it does."""
    if _names_everyone(pset):
        return Match.DIRECT
    best: Match | None = None
    for identity, how in caller_identities(p):
        if (best is None or how > best) and _listed(pset, identity):
            best = how
    return best


def excluded_by_not_principal(pset: PrincipalSet, p: Principal) -> bool:
    """NotPrincipal exempts a caller only when every identity of it is listed."""
    if _names_everyone(pset):
        return True
    identities = caller_identities(p)
    return bool(identities) and all(_listed(pset, identity) for identity, _ in identities)


@dataclass(slots=True)
class _Context:
    """Per-request state shared by every statement check."""

    request: Request
    values: dict[str, ContextValue]
    missing: set[str]
    action: str
    has_boundary: bool


_DENY = Effect.DENY


def _any_action(patterns: tuple[Value, ...], action: str) -> bool:
    return any(compile_glob(v.text, True).match(action) for v in patterns)


def _any_resource(
    patterns: tuple[Value, ...], resource: str, lookup: Lookup | None, action: str
) -> bool:
    """Whether a value names the resource; on ``*`` (an action without a resource type)
    an ARN naming every resource of the action's service counts too."""
    return any(
        arn_match(v.text, resource, lookup)
        or (resource == "*" and names_whole_service(v.text, action))
        for v in patterns
    )


def _principal_match(stmt: Statement, policy: Policy, ctx: _Context) -> Match | None:
    p = ctx.request.principal
    if stmt.principal is not None:
        return match_principal(stmt.principal, p)
    if stmt.not_principal is not None:
        if stmt.effect is _DENY and ctx.has_boundary and policy.policy_type not in _IDENTITY_SIDE:
            return Match.DIRECT
        return None if excluded_by_not_principal(stmt.not_principal, p) else Match.DIRECT
    return Match.DIRECT


_IDENTITY_SIDE = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.SCP}
)


def statement_applies(stmt: Statement, policy: Policy, ctx: _Context) -> Match | None:
    """How the statement's principal matched, or ``None`` if it does not apply.

    Every condition of a statement that otherwise applies is evaluated, so the
    missing context keys are reported completely.
    """
    action = ctx.action
    if stmt.not_actions is not None:
        if _any_action(stmt.not_actions, action):
            return None
    elif not _any_action(stmt.actions, action):
        return None
    values = ctx.values
    lookup = values.get if policy.variables_enabled else None
    resource = ctx.request.resource
    if stmt.not_resources is not None:
        if _any_resource(stmt.not_resources, resource, lookup, action):
            return None
    elif stmt.resources is not None and not _any_resource(stmt.resources, resource, lookup, action):
        return None
    how = _principal_match(stmt, policy, ctx)
    if how is None or not stmt.conditions:
        return how
    ok = True
    for cond in stmt.conditions:
        if not evaluate_condition(cond, values.get, lookup is not None, ctx.missing):
            ok = False
    return how if ok else None


@dataclass(slots=True)
class _Scan:
    """The statements of some policies that apply to the request, by effect."""

    allows: list[tuple[Policy, Statement, Match]]
    denies: list[tuple[Policy, Statement]]

    def best_allow(self) -> Match | None:
        return max((how for _, _, how in self.allows), default=None)


def _scan(policies: Sequence[Policy], ctx: _Context) -> _Scan:
    scan = _Scan([], [])
    for policy in policies:
        for stmt in policy.statements:
            how = statement_applies(stmt, policy, ctx)
            if how is None:
                continue
            if stmt.effect is _DENY:
                scan.denies.append((policy, stmt))
            else:
                scan.allows.append((policy, stmt, how))
    return scan


def _matched(policy: Policy, stmt: Statement) -> MatchedStatement:
    return MatchedStatement(
        policy_name=policy.name,
        policy_type=policy.policy_type.value,
        statement_index=stmt.index,
        sid=stmt.sid,
        effect=stmt.effect.value,
        span=stmt.span,
    )


def _grant_statement(grant: Grant) -> MatchedStatement:
    return MatchedStatement(
        policy_name=grant.name or grant.grant_id or f"grants[{grant.index}]",
        policy_type="grant",
        statement_index=grant.index,
        sid=grant.grant_id,
        effect="Allow",
        span=grant.span,
    )


def _key_id(text: str) -> str:
    parts = split_arn(text)
    resource = parts[5] if parts is not None else text
    return resource.removeprefix("key/")


def _encryption_context(values: dict[str, ContextValue]) -> dict[str, str]:
    prefix = "kms:encryptioncontext:"
    return {
        k[len(prefix) :]: str(v)
        for k, v in values.items()
        if k.startswith(prefix) and isinstance(v, str)
    }


def grant_allows(grant: Grant, ctx: _Context) -> bool:
    """A grant allows one of its operations, for its grantee, on its key only.

    Encryption-context constraints apply to the operations that take a context;
    CreateGrant through a grant may only pass on a subset of the grant's operations.
    """
    request = ctx.request
    service, _, operation = ctx.action.partition(":")
    operations = {o.lower() for o in grant.operations}
    if service != "kms" or operation not in operations:
        return False
    if _key_id(grant.key_id) != _key_id(request.resource):
        return False
    grantee = principal_identity(grant.grantee)
    if grantee is None and grant.grantee.lower() == request.principal.text.lower():
        grantee = ("service", grant.grantee.lower())
    if grantee is None or not any(
        identity == grantee and how is not Match.ACCOUNT
        for identity, how in caller_identities(request.principal)
    ):
        return False
    if operation == "creategrant":
        requested = ctx.values.get("kms:grantoperations")
        if requested is None:
            ctx.missing.add("kms:GrantOperations")
        else:
            wanted = requested if isinstance(requested, list | tuple) else [requested]
            if not all(str(op).lower() in operations for op in wanted):
                return False
    if operation not in _EC_OPERATIONS:
        return True
    context = _encryption_context(ctx.values)
    if grant.encryption_context_equals is not None:
        return {k.lower(): v for k, v in grant.encryption_context_equals} == context
    if grant.encryption_context_subset is not None:
        return all(context.get(k.lower()) == v for k, v in grant.encryption_context_subset)
    return True


def resource_kind(request: Request) -> PolicyType:
    """Which kind of policy the resource's own policy is for this request."""
    parts = split_arn(request.resource)
    action = request.action.lower()
    if parts is not None:
        service, resource = parts[2].lower(), parts[5]
        if action.startswith("kms:") and service == "kms" and resource.startswith("key/"):
            return PolicyType.KEY
        if action in TRUST_ACTIONS and service == "iam" and resource.startswith("role/"):
            return PolicyType.TRUST
    return PolicyType.RESOURCE


class _Outcome:
    """Collects the statements and reasons behind a decision."""

    def __init__(self) -> None:
        self.matched: list[MatchedStatement] = []
        self.reasons: list[str] = []

    def allow(self, reason: str, *statements: MatchedStatement) -> None:
        self.reasons.append(reason)
        self.matched.extend(statements)


def federation_refusal(request: Request) -> str | None:
    """Why the request cannot come from this caller at all: a web-identity or SAML caller
    only assumes roles, and only such a caller makes its assume call."""
    p = request.principal
    action = request.action.lower()
    needed = FEDERATED_ONLY.get(action)
    if needed is not None and p.kind is not needed:
        return f"{request.action} is made with a token: its caller is the token's identity provider"
    allowed = FEDERATION_ACTIONS.get(p.kind)
    if allowed is not None and (
        action not in allowed or resource_kind(request) is not PolicyType.TRUST
    ):
        return f"a {p.kind.value} caller can only assume a role ({', '.join(sorted(allowed))})"
    return None


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Decide one request against every policy that applies to it."""
    check_type("request", request, Request, "a Request (load_scenario returns one)")
    check_type("policies", policies, PolicySet, "a PolicySet (load_scenario returns one)")
    if request.action.lower() in ALWAYS_ALLOWED:
        return Decision(
            decision=DecisionWord.ALLOWED,
            matched_statements=(),
            blocked_by=None,
            reasons=(f"AWS always allows {request.action}, whatever the policies say",),
            missing_context_keys=(),
        )
    values = derived_context(request)
    ctx = _Context(
        request=request,
        values=values,
        missing=set(),
        action=request.action.lower(),
        has_boundary=policies.boundary is not None,
    )
    p = request.principal
    kind = resource_kind(request)
    resource_account = request.effective_resource_account()
    scps_apply = (
        p.is_aws_identity
        and not p.is_service_linked_role
        and p.account != policies.management_account
    )
    rcps_apply = (
        resource_account != policies.management_account
        and not p.is_service_linked_role
        and request.service in RCP_SERVICES
        and ctx.action not in RCP_EXEMPT_ACTIONS
    )

    scp_levels = [_scan(level, ctx) for level in policies.scps] if scps_apply else []
    rcp_levels = [_scan(level, ctx) for level in policies.rcps] if rcps_apply else []
    endpoints = [_scan((e,), ctx) for e in policies.endpoints]
    protections = _scan((aws_protections(), *policies.protections), ctx)
    resource = _scan((policies.resource,), ctx) if policies.resource is not None else None
    identity_side = p.is_aws_identity and p.kind is not PrincipalKind.ROOT
    identity = _scan(policies.identity, ctx) if identity_side else _Scan([], [])
    boundary = (
        _scan((policies.boundary,), ctx)
        if policies.boundary is not None and identity_side
        else None
    )
    session = (
        _scan((policies.session,), ctx) if policies.session is not None and identity_side else None
    )

    def decision(word: DecisionWord, blocked: str | None, out: _Outcome) -> Decision:
        return Decision(
            decision=word,
            matched_statements=tuple(out.matched),
            blocked_by=blocked,
            reasons=tuple(out.reasons),
            missing_context_keys=tuple(sorted(ctx.missing, key=str.lower)),
        )

    ordered: list[tuple[str, _Scan | None]] = [
        ("protection", protections),
        *(("scp", s) for s in scp_levels),
        *(("rcp", s) for s in rcp_levels),
        *(("endpoint", s) for s in endpoints),
        (kind.value, resource),
        ("identity", identity),
        ("boundary", boundary),
        ("session", session),
    ]
    denies = [(label, pol, stmt) for label, scan in ordered if scan for pol, stmt in scan.denies]
    if denies:
        out = _Outcome()
        for _, pol, stmt in denies:
            out.allow(_deny_reason(pol, stmt), _matched(pol, stmt))
        return decision(DecisionWord.EXPLICIT_DENY, denies[0][0], out)

    out = _Outcome()
    refusal = federation_refusal(request)
    if refusal is not None:
        out.reasons.append(refusal)
        return decision(DecisionWord.IMPLICIT_DENY, "federation", out)
    for level, scan in enumerate(scp_levels):
        if not scan.allows:
            out.reasons.append(f"no SCP at organization level {level} allows the action")
            return decision(DecisionWord.IMPLICIT_DENY, "scp", out)
        out.allow(f"SCP level {level} allows", *(_matched(a, s) for a, s, _ in scan.allows))
    for index, scan in enumerate(endpoints):
        if not scan.allows:
            out.reasons.append(f"VPC endpoint policy {index} does not allow the request")
            return decision(DecisionWord.IMPLICIT_DENY, "endpoint", out)
        out.allow("VPC endpoint policy allows", *(_matched(a, s) for a, s, _ in scan.allows))

    grants = [g for g in policies.grants if kind is PolicyType.KEY and grant_allows(g, ctx)]
    blocked = _decide(
        request, kind, resource_account, resource, identity, boundary, session, grants, out
    )
    if blocked is None:
        return decision(DecisionWord.ALLOWED, None, out)
    return decision(DecisionWord.IMPLICIT_DENY, blocked, out)


def _deny_reason(policy: Policy, stmt: Statement) -> str:
    if policy is aws_protections() and stmt.sid in PROTECTION_REASONS:
        return f"{PROTECTION_REASONS[stmt.sid]} (AWS refuses it whatever the policies say)"
    return f"explicit deny in {policy.name} statement {stmt.index}"


def _decide(
    request: Request,
    kind: PolicyType,
    resource_account: str | None,
    resource: _Scan | None,
    identity: _Scan,
    boundary: _Scan | None,
    session: _Scan | None,
    grants: list[Grant],
    out: _Outcome,
) -> str | None:
    """The allow side of evaluation; returns the blocking policy type, or ``None``."""
    p = request.principal
    resource_how = resource.best_allow() if resource is not None else None
    if resource is not None and resource.allows:
        out.matched.extend(_matched(a, s) for a, s, _ in resource.allows)
    if grants:
        out.matched.extend(_grant_statement(g) for g in grants)

    boundary_ok = boundary is None or bool(boundary.allows)
    session_ok = session is None or bool(session.allows)

    def identity_side() -> str | None:
        """Does the caller's own account allow it (identity, boundary, session)?"""
        if p.kind is PrincipalKind.ROOT:
            out.reasons.append("the account root user needs no identity-based allow")
            return None
        if not identity.allows:
            out.reasons.append("no identity-based policy allows the request")
            return "identity"
        out.allow(
            "an identity-based policy allows", *(_matched(a, s) for a, s, _ in identity.allows)
        )
        return limits()

    def limits() -> str | None:
        if not boundary_ok:
            out.reasons.append("the permissions boundary does not allow the request")
            return "boundary"
        if boundary is not None:
            out.allow(
                "the permissions boundary allows", *(_matched(a, s) for a, s, _ in boundary.allows)
            )
        if not session_ok:
            out.reasons.append("the session policy does not allow the request")
            return "session"
        if session is not None:
            out.allow("the session policy allows", *(_matched(a, s) for a, s, _ in session.allows))
        return None

    if not p.is_aws_identity:
        if resource_how is not None or grants:
            out.reasons.append(f"the {kind.value} policy allows {p.kind.value} principal {p.text}")
            return None
        out.reasons.append(f"a {p.kind.value} principal needs an allow in the {kind.value} policy")
        return kind.value

    same_account = p.account == resource_account
    required = kind in (PolicyType.KEY, PolicyType.TRUST)
    if required and resource is None:
        out.reasons.append(f"there is no {kind.value} policy, and it is required")
        return kind.value

    if (
        kind is PolicyType.KEY
        and not same_account
        and request.action.lower() not in KMS_CROSS_ACCOUNT
    ):
        out.reasons.append(f"{request.action} cannot be used on a KMS key of another account")
        return kind.value
    if grants:
        out.reasons.append("a KMS grant allows the operation")
        return None
    if same_account:
        if resource_how is Match.DIRECT and kind is PolicyType.TRUST:
            out.reasons.append("the trust policy names the caller directly")
            return limits()
        if resource_how is Match.DIRECT:
            out.reasons.append(f"the {kind.value} policy names the caller directly")
            return None
        if resource_how is Match.ROLE:
            out.reasons.append(f"the {kind.value} policy names the caller's role")
            return limits()
        if required and resource_how is None:
            out.reasons.append(f"the {kind.value} policy does not allow the caller or its account")
            return kind.value
        if resource_how is Match.ACCOUNT:
            out.reasons.append(f"the {kind.value} policy delegates to the account's IAM policies")
        return identity_side()

    if resource_how is None:
        out.reasons.append(
            f"cross-account request: the {kind.value} policy does not allow the caller"
        )
        return kind.value
    out.reasons.append(f"cross-account request: the {kind.value} policy allows the caller")
    return identity_side()


def policy_allows(policy: Policy, request: Request) -> bool:
    """Does this one policy allow the request on its own (an Allow applies, no Deny)?

    This is what the policy-level checks (``check-no-new-access`` and friends)
    compare; it ignores every other policy.
    """
    allows, denies = policy_statements(policy, request)
    return bool(allows) and not denies


def policy_statements(
    policy: Policy, request: Request
) -> tuple[list[MatchedStatement], list[MatchedStatement]]:
    """The Allow and the Deny statements of one policy that apply to the request."""
    ctx = _Context(
        request=request,
        values=derived_context(request),
        missing=set(),
        action=request.action.lower(),
        has_boundary=False,
    )
    scan = _scan((policy,), ctx)
    return [_matched(p, s) for p, s, _ in scan.allows], [_matched(p, s) for p, s in scan.denies]
