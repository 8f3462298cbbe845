"""Random but well-formed simulation scenarios for the differential tests.

One generator, :func:`gen_scenario`, written against a tiny choice interface
(:class:`Draw`), serves two drivers:

- :func:`scenarios`: a Hypothesis strategy (shrinks: every pool lists its
  simplest value first, and every optional part shrinks towards "absent");
- :func:`random_scenario`: a plain ``random.Random`` driver, for seeded samples
  and the benchmark (``bench/bench_differential.py``).

The request (caller, action, resource, context) is drawn first and the
policies are biased towards it (action, resource and principal patterns that
name it, condition values from the same small pools as the context), so that
all three decisions are common. Every condition key keeps one operator family
(``KEYS``), callers are never bare role ARNs, and the context never supplies a
key AWS derives from the caller: those are the preconditions under which the
symbolic encoding is meant to be exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from cksmodel.policy.ir import GRANT_OPERATIONS
from cksmodel.policy.patterns import compile_glob

T = TypeVar("T")
Json = dict[str, Any]

V2012 = "2012-10-17"
V2008 = "2008-10-17"

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = ("us-east-1", "eu-west-1")
KEY_IDS = ("1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321")
SLR_NAME = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
SLR_PATH = "/aws-service-role/cks.kms.amazonaws.com/"
SERVICES = ("kms.amazonaws.com", "cks.kms.amazonaws.com")
GITHUB = "token.actions.githubusercontent.com"
COGNITO = "cognito-identity.amazonaws.com"
WEB_PROVIDERS = (
    f"arn:aws:iam::111111111111:oidc-provider/{GITHUB}",
    COGNITO,
    f"arn:aws:iam::222222222222:oidc-provider/{GITHUB}",
)
SAML_PROVIDERS = ("arn:aws:iam::111111111111:saml-provider/ExampleIdP",)
WEB_ACTION = "sts:AssumeRoleWithWebIdentity"
SAML_ACTION = "sts:AssumeRoleWithSAML"
MANAGED_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
SSO_ROLE = "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"

KMS_CRYPTO = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "kms:RetireGrant",
    "kms:DescribeKey",
)
KMS_KEY_ADMIN = ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")
KMS_STORE = (
    "kms:CreateCustomKeyStore",
    "kms:ConnectCustomKeyStore",
    "kms:DescribeCustomKeyStores",
    "kms:UpdateCustomKeyStore",
)
ACTIONS = (
    *KMS_CRYPTO,
    *KMS_KEY_ADMIN,
    *KMS_STORE,
    "sts:AssumeRole",
    WEB_ACTION,
    SAML_ACTION,
    "s3:GetObject",
    "s3:PutObject",
    "iam:PassRole",
    "ec2:DescribeVpcs",
    "sts:GetCallerIdentity",
    "iam:CreatePolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "kms:CreateAlias",
)
ACTION_PATTERNS = (
    "*",
    "kms:*",
    "kms:Gen*",
    "kms:*CustomKeyStore*",
    "kms:Describe*",
    "kms:*Grant",
    "KMS:decrypt",
    "s3:Get?bject",
    "s3:*",
    "sts:*",
    "iam:Pass*",
    "ec2:Describe*",
    "iam:*",
    "kms:*Alias",
    *ACTIONS,
)

S3_OBJECTS = (
    "arn:aws:s3:::bucket-a/home/alice/notes.txt",
    "arn:aws:s3:::bucket-a/public/index.html",
    "arn:aws:s3:::bucket-a/home/payments/report.csv",
    "arn:aws:s3:::bucket-b/data/x.csv",
    "arn:aws:s3:::bucket-a/star/*",
    "arn:aws:s3:::bucket-a/q/?",
)


# --------------------------------------------------------------------------- choice drivers


class Draw(Protocol):
    """The choices the generator makes; simplest outcome first (for shrinking)."""

    def choice(self, seq: Sequence[T]) -> T: ...

    def chance(self, p: float) -> bool: ...

    def count(self, lo: int, hi: int) -> int: ...


class RandomDraw:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def count(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisDraw:
    """Choices through Hypothesis; each shrinks towards its first / smallest / False value."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.draw(st.integers(0, len(seq) - 1))]

    def chance(self, p: float) -> bool:
        # Small ranges draw close to uniformly (large ones lean to small values).
        scale = 100 if abs(p * 100 - round(p * 100)) < 1e-9 else 1000
        return bool(self.draw(st.integers(0, scale - 1)) >= scale - round(p * scale))

    def count(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))


def pick_some(d: Draw, pool: Sequence[T], lo: int, hi: int) -> list[T]:
    """Between ``lo`` and ``hi`` distinct items of ``pool`` (fewer if it is small)."""
    out: list[T] = []
    for _ in range(d.count(lo, hi)):
        item = d.choice(pool)
        if item not in out:
            out.append(item)
    return out


def one_or_list(d: Draw, items: list[Any]) -> Any:
    return items[0] if len(items) == 1 and d.chance(0.5) else items


# --------------------------------------------------------------------------- condition keys


@dataclass(frozen=True)
class KeySpec:
    """One condition key: its operator family, policy values and request values."""

    name: str
    family: str  # String (String* and Arn* operators), Ip, Date, Numeric, Bool
    values: tuple[Any, ...]
    context: tuple[Any, ...] = ()
    multi: bool = False
    derived: bool = False
    variables: bool = False  # may its String values hold policy variables?


STRING_OPS = (
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
)
ARN_OPS = ("ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals")
OPERATORS = {
    "String": STRING_OPS,
    "Arn": (*STRING_OPS, *ARN_OPS),
    "Ip": ("IpAddress", "NotIpAddress"),
    "Date": tuple(
        "Date" + r
        for r in (
            "LessThan",
            "GreaterThan",
            "Equals",
            "NotEquals",
            "LessThanEquals",
            "GreaterThanEquals",
        )
    ),
    "Numeric": tuple(
        "Numeric" + r
        for r in (
            "LessThan",
            "GreaterThan",
            "Equals",
            "NotEquals",
            "LessThanEquals",
            "GreaterThanEquals",
        )
    ),
    "Bool": ("Bool",),
}

A1, A2, A3 = ACCOUNTS
KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "aws:SourceIp",
        "Ip",
        ("10.0.0.0/8", "203.0.113.0/24", "2001:db8::/32", "10.1.2.3/32", "0.0.0.0/0", "::/0"),
        (
            "10.1.2.3",
            "203.0.113.7",
            "192.168.1.1",
            "2001:db8::1",
            "2001:db9::5",
            "10.200.0.1",
            "::ffff:10.1.2.3",
        ),
    ),
    KeySpec(
        "aws:CurrentTime",
        "Date",
        ("2025-01-01T00:00:00Z", "2024-06-01", "1735689600", "2030-12-31T23:59:59+02:00"),
        (
            "2024-06-01T12:00:00Z",
            "2025-01-01T00:00:00Z",
            1735689600,
            "2023-01-01T00:00:00Z",
            "2031-01-01T00:00:00Z",
        ),
    ),
    KeySpec(
        "aws:MultiFactorAuthAge",
        "Numeric",
        ("3600", 300, "0", 86400.5),
        ("100", 3600, "7200", "0.5", 300),
    ),
    KeySpec("aws:SecureTransport", "Bool", ("true", "false", True, False), (True, False, "true")),
    KeySpec("aws:ViaAWSService", "Bool", ("false", "true"), (False, True)),
    KeySpec(
        "aws:PrincipalOrgID",
        "Arn",
        ("o-aaaa1111", "o-bbbb2222", "o-*", "O-AAAA1111"),
        ("o-aaaa1111", "o-bbbb2222", "o-cccc3333"),
    ),
    KeySpec(
        "aws:PrincipalTag/team",
        "String",
        ("payments", "ledger", "pay*", "${aws:username}", "PAYMENTS"),
        ("payments", "ledger", "Payments", "alice"),
        variables=True,
    ),
    KeySpec(
        "kms:EncryptionContext:app",
        "String",
        ("payments", "ledger", "pay*", "${aws:PrincipalTag/team}", "${aws:username}"),
        ("payments", "ledger", "alice"),
        variables=True,
    ),
    KeySpec("kms:EncryptionContext:env", "String", ("prod", "dev", "pr?d"), ("prod", "dev")),
    KeySpec(
        "kms:ViaService",
        "String",
        ("s3.us-east-1.amazonaws.com", "ec2.*.amazonaws.com", "*.amazonaws.com"),
        (
            "s3.us-east-1.amazonaws.com",
            "ec2.eu-west-1.amazonaws.com",
            "rds.us-east-1.amazonaws.com",
        ),
    ),
    KeySpec(
        "kms:EncryptionContextKeys",
        "String",
        ("app", "env", "a*"),
        ([], ["app"], ["app", "env"], ["env"], ["owner"]),
        multi=True,
    ),
    KeySpec(
        "aws:PrincipalOrgPaths",
        "Arn",
        ("o-aaaa1111/r-ab12/ou-ab12-11111111/", "o-aaaa1111/*", "o-bbbb2222/r-cd34/*"),
        (
            ["o-aaaa1111/r-ab12/ou-ab12-11111111/"],
            ["o-bbbb2222/r-cd34/"],
            ["o-aaaa1111/r-ab12/", "o-bbbb2222/r-cd34/ou-cd34-22222222/"],
            [],
        ),
        multi=True,
    ),
    KeySpec(
        "aws:SourceVpce",
        "String",
        ("vpce-1a2b3c4d", "vpce-*", "${aws:PrincipalAccount}"),
        ("vpce-1a2b3c4d", "vpce-9z8y7x6w"),
        variables=True,
    ),
    KeySpec(
        "kms:GrantOperations",
        "String",
        ("Decrypt", "Encrypt", "RetireGrant", "Gen*"),
        (["Decrypt"], ["Decrypt", "Encrypt"], ["RetireGrant"], ["GenerateDataKey"]),
        multi=True,
    ),
    # Keys AWS derives from the caller or the resource: conditions only.
    KeySpec(
        "aws:PrincipalArn",
        "Arn",
        (
            f"arn:aws:iam::{A1}:role/team/app",
            f"arn:aws:iam::{A1}:role/app",
            "arn:aws:iam::*:role/aws-service-role/*",
            f"arn:aws:iam::{A1}:user/*",
            f"arn:aws:iam::{A2}:root",
            f"arn:aws:sts::{A1}:federated-user/carol",
            "arn:aws:iam::*:*",
        ),
        derived=True,
    ),
    KeySpec("aws:PrincipalAccount", "String", (A1, A2, "1111*", A3), derived=True),
    KeySpec("kms:CallerAccount", "String", (A1, A2, A3), derived=True),
    KeySpec("aws:ResourceAccount", "String", (A1, A2, "2222*"), derived=True),
    KeySpec(
        "aws:PrincipalType",
        "String",
        ("User", "AssumedRole", "FederatedUser", "Account", "Anonymous"),
        derived=True,
    ),
    KeySpec("aws:username", "String", ("alice", "bob", "a*", "Alice"), derived=True),
    KeySpec(
        "aws:FederatedProvider",
        "String",
        (WEB_PROVIDERS[0], "*:oidc-provider/*", COGNITO),
        derived=True,
    ),
    KeySpec("aws:userid", "String", (A1, f"{A2}:carol", "AIDA*"), derived=True),
    KeySpec("aws:PrincipalIsAWSService", "Bool", ("true", "false"), derived=True),
    KeySpec(
        "aws:PrincipalServiceName",
        "String",
        ("kms.amazonaws.com", "cks.kms.amazonaws.com", "*.amazonaws.com"),
        derived=True,
    ),
)
CLAIM_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        f"{GITHUB}:sub",
        "String",
        ("repo:acme/app:*", "repo:acme/*", "repo:acme/app:ref:refs/heads/main", "*"),
        (
            "repo:acme/app:ref:refs/heads/main",
            "repo:someone-else/any-repo:ref:refs/heads/main",
            "repo:acme/app:pull_request",
        ),
    ),
    KeySpec(f"{GITHUB}:aud", "String", ("sts.amazonaws.com",), ("sts.amazonaws.com", "x")),
    KeySpec(
        f"{COGNITO}:amr",
        "String",
        ("authenticated", "unauthenticated", "graph.facebook.com"),
        (["authenticated", "cognito-idp.amazonaws.com"], ["unauthenticated"]),
        multi=True,
    ),
    KeySpec(
        f"{COGNITO}:aud",
        "String",
        ("us-east-1:pool-a", "us-east-1:*"),
        ("us-east-1:pool-a", "us-east-1:pool-b"),
    ),
    KeySpec(
        "SAML:aud",
        "String",
        ("https://signin.aws.amazon.com/saml",),
        ("https://signin.aws.amazon.com/saml", "https://example.com/acs"),
    ),
)
"""Token claims: only a caller of that provider carries them."""
KEYS = KEYS + CLAIM_KEYS
CONTEXT_KEYS = tuple(k for k in KEYS if not k.derived)
USERID = next(k for k in KEYS if k.name == "aws:userid")
CONDITION_KEYS = tuple(k for k in KEYS if k is not USERID)
"""``aws:userid`` of a federated user is an approximation of the encoding: kept rare."""
VARIABLES = (
    "${aws:username}",
    "${aws:PrincipalTag/team, 'none'}",
    "${aws:PrincipalAccount}",
    "${aws:PrincipalTag/team}",
    "${*}",
    "${aws:PrincipalTag/team,'ledger'}",
    "${kms:EncryptionContextKeys, 'app'}",
    "${aws:SecureTransport}",
    "${?}${$}",
)


# --------------------------------------------------------------------------- the request


@dataclass
class Caller:
    """The generated caller and the policy values that name it."""

    principal: str
    account: str | None
    role_arn: str | None = None
    names: tuple[str, ...] = ()  # Principal-element values naming this caller
    federated: bool = False  # a web-identity or SAML caller, named in Federated

    @property
    def service(self) -> bool:
        return self.account is None and self.principal != "anonymous" and not self.federated


def gen_caller(d: Draw) -> Caller:
    kind = d.choice(("user", "session", "root", "federated", "service", "anonymous", "web", "saml"))
    if kind in ("web", "saml"):
        provider = d.choice(WEB_PROVIDERS if kind == "web" else SAML_PROVIDERS)
        return Caller(provider, None, federated=True)
    if kind == "service":
        return Caller(d.choice(SERVICES), None)
    if kind == "anonymous":
        return Caller("anonymous", None)
    acct = d.choice(ACCOUNTS)
    root = f"arn:aws:iam::{acct}:root"
    if kind == "user":
        arn = d.choice((f"arn:aws:iam::{acct}:user/alice", f"arn:aws:iam::{acct}:user/dev/bob"))
        return Caller(arn, acct, names=(arn, acct, root))
    if kind == "root":
        return Caller(root, acct, names=(root, acct))
    if kind == "federated":
        arn = f"arn:aws:sts::{acct}:federated-user/carol"
        return Caller(arn, acct, names=(arn, acct, root))
    role, session, path = d.choice(
        (
            ("app", "i-0123", "/team/"),
            ("admin", "alice", "/"),
            (SLR_NAME, "cks-connect", SLR_PATH),
        )
    )
    role_arn = f"arn:aws:iam::{acct}:role{path}{role}"
    given = role_arn if path != "/" and d.chance(0.8) else None
    if given is None:
        role_arn = f"arn:aws:iam::{acct}:role/{role}"
    arn = f"arn:aws:sts::{acct}:assumed-role/{role}/{session}"
    return Caller(arn, acct, given, names=(arn, role_arn, acct, root))


def gen_resource(d: Draw, action: str, caller: Caller) -> tuple[str, str | None]:
    """A resource of the action's kind, and ``resource_account`` when it is given."""
    acct = caller.account if caller.account and d.chance(0.6) else d.choice(ACCOUNTS)
    if action in KMS_STORE or action in ("ec2:DescribeVpcs", "sts:GetCallerIdentity"):
        return "*", None
    if action == "iam:CreatePolicyVersion":
        return d.choice((f"arn:aws:iam::{acct}:policy/team", MANAGED_POLICY)), None
    if action == "iam:UpdateAssumeRolePolicy":
        return f"arn:aws:iam::{acct}:role/{d.choice(('app', SSO_ROLE))}", None
    if action == "kms:CreateAlias":
        alias = d.choice(("alias/app", "alias/aws/s3"))
        return f"arn:aws:kms:{d.choice(REGIONS)}:{acct}:{alias}", None
    if action.startswith("kms:"):
        if d.chance(0.05):
            return "*", None
        if d.chance(0.08):
            return f"arn:aws:kms:{d.choice(REGIONS)}:{acct}:alias/app", None
        return f"arn:aws:kms:{d.choice(REGIONS)}:{acct}:key/{d.choice(KEY_IDS)}", None
    if action in ("sts:AssumeRole", "iam:PassRole", "sts:TagSession", WEB_ACTION, SAML_ACTION):
        name = d.choice(("app", "team/app", "deploy"))
        return f"arn:aws:iam::{acct}:role/{name}", None
    obj = d.choice(S3_OBJECTS)
    # The S3 ARN carries no account: give it, or (sometimes) leave it to default.
    return obj, (None if d.chance(0.25) else acct)


def _carries(caller: Caller, spec: KeySpec) -> bool:
    """Does the caller's token carry this claim (always false for non-claim keys)?"""
    prefix = spec.name.rpartition(":")[0].lower()
    if prefix == "saml":
        return caller.principal in SAML_PROVIDERS
    return caller.federated and caller.principal.rpartition("/")[2] == prefix


def gen_context(d: Draw, action: str, caller: Caller) -> Json:
    context: Json = {}
    for spec in CONTEXT_KEYS:
        if spec in CLAIM_KEYS and not _carries(caller, spec):
            continue
        if spec.name == "kms:GrantOperations" and action != "kms:CreateGrant":
            continue
        if spec.name.startswith("kms:EncryptionContext") and not action.startswith("kms:"):
            continue
        if d.chance(0.8 if spec.name == "kms:GrantOperations" else 0.4):
            name = spec.name.lower() if d.chance(0.1) else spec.name
            context[name] = d.choice(spec.context)
    if action.startswith("kms:") and d.chance(0.15):
        # An encryption-context key that no policy or grant names.
        context["kms:EncryptionContext:owner"] = "alice"
    return context


# --------------------------------------------------------------------------- policies


def action_patterns(d: Draw, action: str, hit: bool) -> list[str]:
    if hit:
        matching = [p for p in ACTION_PATTERNS if compile_glob(p, True).match(action.lower())]
        first = [d.choice(matching)]
    else:
        first = [d.choice(ACTION_PATTERNS)]
    return first + pick_some(d, ACTION_PATTERNS, 0, 2)


def resource_variants(resource: str) -> list[str]:
    """Patterns that match (or nearly match) the request's resource."""
    if resource == "*":
        # An ARN naming every resource of a service covers that service's actions without a
        # resource type (requested on "*"); one of another service does not.
        return [
            "*",
            "arn:aws:kms:*:*:key/*",
            "${*}",
            "?",
            "arn:aws:kms:*:*:*",
            "arn:*:kms:::*",
            "arn:aws:ec2:*:*:*",
            "arn:aws:km?:*:*:*",
        ]
    parts = resource.split(":", 5)
    _, _, service, region, acct, rest = parts
    head = f"arn:aws:{service}:"
    out = [resource, "*", f"{head}*:{acct}:{rest}", f"{head}{region}:*:{rest}"]
    if service == "kms":
        out += [
            f"{head}*:{acct}:key/*",
            f"{head}{region}:*:key/1234*",
            f"{head}us-east-?:{acct}:key/*",
            f"{head}*:*:*",
            "arn:aws:kms:*",
            f"{head}{region.upper()}:{acct}:key/*",
            f"{head}{region}:${{aws:PrincipalAccount}}:key/*",
            f"{head}*:{acct}:alias/*",
        ]
    elif service == "iam":
        out += [
            f"arn:aws:iam::{acct}:role/*",
            "arn:aws:iam::*:role/team/*",
            f"arn:aws:iam::{acct}:role/${{aws:username}}",
            "arn:aws:iam::*:role/?pp",
        ]
    else:
        out += [
            "arn:aws:s3:::bucket-a/*",
            "arn:aws:s3:::bucket-a/home/${aws:username}/*",
            "arn:aws:s3:::bucket-a/home/${aws:PrincipalTag/team, 'none'}/*",
            "arn:aws:s3:::bucket-?/*",
            "arn:aws:s3:::*/public/*",
            "arn:aws:s3:::bucket-a/star/${*}",
            "arn:aws:s3:::bucket-a/star/*",
            "arn:aws:s3:::bucket-a/q/${?}",
            "arn:aws:s3:::bucket-a/home/${aws:username, 'alice'}/*",
            "arn:aws:s3:::BUCKET-A/*",
        ]
    return out


def other_resources() -> list[str]:
    out = ["*"]
    for acct in ACCOUNTS:
        out += [
            f"arn:aws:kms:us-east-1:{acct}:key/{KEY_IDS[0]}",
            f"arn:aws:kms:*:{acct}:key/*",
            f"arn:aws:iam::{acct}:role/app",
        ]
    return [*out, "arn:aws:s3:::bucket-b/*", "arn:aws:kms:eu-west-1:3333*:key/*"]


OTHER_RESOURCES = tuple(other_resources())


def resource_patterns(d: Draw, resource: str, hit: bool) -> list[str]:
    first = d.choice(resource_variants(resource)) if hit else d.choice(OTHER_RESOURCES)
    extra = pick_some(d, OTHER_RESOURCES, 0, 1)
    return [first, *extra]


def principal_pool() -> list[str]:
    out = ["*"]
    for acct in ACCOUNTS:
        out += [
            acct,
            f"arn:aws:iam::{acct}:root",
            f"arn:aws:iam::{acct}:user/alice",
            f"arn:aws:iam::{acct}:user/dev/bob",
            f"arn:aws:iam::{acct}:role/app",
            f"arn:aws:iam::{acct}:role/team/app",
            f"arn:aws:iam::{acct}:role/admin",
            f"arn:aws:sts::{acct}:assumed-role/app/i-0123",
            f"arn:aws:sts::{acct}:assumed-role/admin/alice",
            f"arn:aws:sts::{acct}:federated-user/carol",
            f"arn:aws:iam::{acct}:role{SLR_PATH}{SLR_NAME}",
        ]
    return [*out, f"arn:aws:iam::{A1}:user/Alice", f"arn:aws:sts::{A1}:assumed-role/app/I-0123"]


PRINCIPALS = tuple(principal_pool())


def principal_element(d: Draw, caller: Caller, hit: bool) -> Any:
    if d.chance(0.15):
        return "*"
    aws: list[str] = []
    if hit and caller.names:
        aws.append(d.choice(caller.names))
    aws += pick_some(d, PRINCIPALS, 0 if aws else 1, 2)
    services: list[str] = []
    if caller.service and hit:
        services.append(caller.principal)
    elif d.chance(0.15):
        services.append(d.choice(SERVICES))
    element: Json = {}
    if aws and (not services or d.chance(0.7)):
        element["AWS"] = one_or_list(d, aws)
    if services:
        element["Service"] = one_or_list(d, services)
    if caller.federated and hit:
        element["Federated"] = caller.principal
    elif d.chance(0.1):
        element["Federated"] = d.choice((*WEB_PROVIDERS, *SAML_PROVIDERS))
    if not element:
        element["AWS"] = d.choice(PRINCIPALS)
    return element


def condition_value(d: Draw, spec: KeySpec, variables: bool) -> Any:
    if spec.variables and d.chance(0.15):
        return d.choice(VARIABLES)
    value = d.choice(spec.values)
    if variables and spec.family in ("String", "Arn") and not spec.derived and d.chance(0.05):
        return f"{value}${{*}}"
    return value


def gen_condition_block(d: Draw) -> Json:
    block: Json = {}
    for _ in range(d.count(1, 3)):
        spec = USERID if d.chance(0.005) else d.choice(CONDITION_KEYS)
        key = spec.name.lower() if d.chance(0.05) else spec.name
        if d.chance(0.1):
            op = "Null"
            values: list[Any] = [d.choice(("true", "false", True, False))]
        else:
            op = d.choice(OPERATORS[spec.family])
            if spec.family in ("String", "Arn") and (
                (spec.multi and d.chance(0.7)) or d.chance(0.12)
            ):
                op = d.choice(("ForAnyValue:", "ForAllValues:")) + op
            elif d.chance(0.15):
                op = op + "IfExists"
            values = [condition_value(d, spec, True) for _ in range(d.count(1, 3))]
            values = list(dict.fromkeys(values))
        entries = block.setdefault(op, {})
        if any(k.lower() == key.lower() for k in entries):
            continue
        entries[key] = one_or_list(d, values)
    return block


def gen_statement(
    d: Draw,
    *,
    request: Json,
    caller: Caller,
    principal: bool,
    resource_optional: bool,
    deny_rate: float,
    hit: bool,
) -> Json:
    effect = "Deny" if d.chance(deny_rate) else "Allow"
    stmt: Json = {}
    if d.chance(0.2):
        stmt["Sid"] = f"S{d.count(0, 9)}"
    stmt["Effect"] = effect
    if principal:
        if d.chance(0.1):
            stmt["NotPrincipal"] = principal_element(d, caller, not hit)
        else:
            stmt["Principal"] = principal_element(d, caller, hit)
    action = request["action"]
    if d.chance(0.15):
        stmt["NotAction"] = one_or_list(d, action_patterns(d, action, not hit))
    else:
        stmt["Action"] = one_or_list(d, action_patterns(d, action, hit))
    if not (resource_optional and d.chance(0.6)):
        if d.chance(0.12):
            stmt["NotResource"] = one_or_list(d, resource_patterns(d, request["resource"], not hit))
        else:
            stmt["Resource"] = one_or_list(d, resource_patterns(d, request["resource"], hit))
    if d.chance(0.55 if effect == "Deny" else 0.35):
        stmt["Condition"] = gen_condition_block(d)
    return stmt


def gen_policy(
    d: Draw,
    *,
    request: Json,
    caller: Caller,
    principal: bool = False,
    resource_optional: bool = False,
    deny_rate: float = 0.25,
    statements: tuple[int, int] = (1, 3),
    full_access: float = 0.0,
) -> Json:
    version = V2012 if d.chance(0.85) else d.choice((V2008, None))
    body: list[Json] = []
    if full_access and d.chance(full_access):
        full: Json = {"Effect": "Allow"}
        if principal:
            full["Principal"] = "*"
        full.update({"Action": "*", "Resource": "*"})
        body.append(full)
    for i in range(d.count(*statements)):
        body.append(
            gen_statement(
                d,
                request=request,
                caller=caller,
                principal=principal,
                resource_optional=resource_optional,
                deny_rate=deny_rate,
                hit=i == 0 and d.chance(0.7),
            )
        )
    policy: Json = {}
    if version is not None:
        policy["Version"] = version
    policy["Statement"] = body[0] if len(body) == 1 and d.chance(0.2) else body
    return policy


def gen_grant(d: Draw, request: Json, caller: Caller) -> Json:
    resource = request["resource"]
    key_arn = resource if ":key/" in resource else None
    if key_arn is not None and d.chance(0.8):
        key = key_arn if d.chance(0.6) else key_arn.rpartition("/")[2]
    else:
        key = f"arn:aws:kms:us-east-1:{d.choice(ACCOUNTS)}:key/{d.choice(KEY_IDS)}"
    if caller.names and d.chance(0.7):
        grantee = d.choice(caller.names)
    elif caller.service and d.chance(0.7):
        grantee = caller.principal
    else:
        grantee = d.choice((*PRINCIPALS[1:], *SERVICES))
    op = request["action"].partition(":")[2]
    ops = [op] if op in GRANT_OPERATIONS and d.chance(0.8) else []
    ops += pick_some(d, GRANT_OPERATIONS, 0 if ops else 1, 3)
    grant: Json = {
        "KeyId": key,
        "GrantId": f"g-{d.count(0, 99)}",
        "GranteePrincipal": grantee,
        "Operations": list(dict.fromkeys(ops)),
    }
    if d.chance(0.5):
        constraint = d.choice(("EncryptionContextSubset", "EncryptionContextEquals"))
        ec = d.choice(
            (
                {"app": "payments"},
                {"app": "payments", "env": "prod"},
                {"env": "dev"},
                {"App": "ledger"},
            )
        )
        grant["Constraints"] = {constraint: dict(ec)}
    return grant


def gen_scenario(d: Draw) -> Json:
    """One scenario: a request and the policies around it, as plain JSON-like objects."""
    caller = gen_caller(d)
    action = d.choice(ACTIONS)
    if caller.federated and d.chance(0.75):
        action = d.choice(
            (WEB_ACTION if caller.principal in WEB_PROVIDERS else SAML_ACTION, "sts:TagSession")
        )
    resource, resource_account = gen_resource(d, action, caller)
    request: Json = {"principal": caller.principal}
    if caller.role_arn is not None:
        request["principal_role_arn"] = caller.role_arn
    request.update({"action": action, "resource": resource})
    if resource_account is not None:
        request["resource_account"] = resource_account
    request["context"] = gen_context(d, action, caller)

    trust = action.startswith("sts:") and ":role/" in resource
    scenario: Json = {"request": request}
    scenario["identity_policies"] = [
        gen_policy(d, request=request, caller=caller, statements=(1, 2))
        for _ in range(d.count(1, 2) if d.chance(0.8) else 3)
    ]
    if d.chance(0.3):
        scenario["permissions_boundary"] = gen_policy(
            d, request=request, caller=caller, deny_rate=0.15, statements=(1, 2), full_access=0.3
        )
    if d.chance(0.2):
        scenario["session_policy"] = gen_policy(
            d, request=request, caller=caller, deny_rate=0.15, statements=(1, 2), full_access=0.3
        )
    if d.chance(0.75):
        scenario["resource_policy"] = gen_policy(
            d, request=request, caller=caller, principal=True, resource_optional=trust
        )
    levels = d.count(0, 2)
    if levels:
        scenario["scps"] = [
            [
                gen_policy(
                    d,
                    request=request,
                    caller=caller,
                    resource_optional=True,
                    deny_rate=0.4,
                    statements=(0, 1),
                    full_access=0.8,
                )
                for _ in range(1 if d.chance(0.8) else 2)
            ]
            for _ in range(levels)
        ]
    levels = d.count(0, 2)
    if levels:
        scenario["rcps"] = [
            [
                gen_policy(
                    d,
                    request=request,
                    caller=caller,
                    principal=True,
                    deny_rate=0.8,
                    statements=(1, 1),
                )
            ]
            for _ in range(levels)
        ]
    if d.chance(0.25):
        scenario["vpc_endpoint_policies"] = [
            gen_policy(
                d,
                request=request,
                caller=caller,
                principal=True,
                deny_rate=0.2,
                statements=(0, 1),
                full_access=0.7,
            )
        ]
    if ":key/" in resource and d.chance(0.45):
        scenario["grants"] = [gen_grant(d, request, caller) for _ in range(d.count(1, 2))]
    if d.chance(0.15):
        scenario["management_account"] = d.choice(ACCOUNTS)
    if d.chance(0.06):
        # Another partition: for the whole scenario, or for the request only.
        if d.chance(0.6):
            scenario = _repartition(scenario)
        else:
            scenario["request"] = _repartition(request)
    return scenario


def _repartition(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("arn:aws:", "arn:aws-us-gov:")
    if isinstance(value, list):
        return [_repartition(v) for v in value]
    if isinstance(value, dict):
        return {k: _repartition(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- drivers


@st.composite
def scenarios(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Json:
    """Hypothesis strategy: one well-formed scenario (see the module docstring)."""
    return gen_scenario(HypothesisDraw(draw))


def random_scenario(rng: random.Random) -> Json:
    """The same generator driven by a seeded ``random.Random``."""
    return gen_scenario(RandomDraw(rng))


def seeded_scenario(seed: int, index: int) -> Json:
    """Scenario ``index`` of the sample seeded by ``seed`` (independent of every other index)."""
    return random_scenario(random.Random(seed * 1_000_003 + index))


# --------------------------------------------------------------------------- coverage


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _policies(scenario: Json) -> list[tuple[str, Json]]:
    out = [("identity", p) for p in scenario.get("identity_policies", [])]
    for slot in ("permissions_boundary", "session_policy", "resource_policy"):
        if slot in scenario:
            out.append((slot, scenario[slot]))
    for slot in ("scps", "rcps"):
        out += [(slot, p) for level in scenario.get(slot, []) for p in level]
    out += [("endpoint", p) for p in scenario.get("vpc_endpoint_policies", [])]
    return out


def _principal_features(element: Any) -> set[str]:
    if element == "*":
        return {"principal:*"}
    out = set()
    for kind, values in element.items():
        for v in _as_list(values):
            if kind != "AWS":
                out.add(f"principal:{kind}")
            elif v == "*":
                out.add("principal:AWS*")
            elif v.isdigit():
                out.add("principal:account-id")
            else:
                out.add("principal:" + v.split(":")[5].partition("/")[0])
    return out


KEY_NAMES = {k.name.lower(): k.name for k in KEYS}


def coverage(scenario: Json) -> set[str]:
    """The generator features one scenario exercises (see :data:`FEATURES`)."""
    from cksmodel.policy.parse import parse_operator

    req = scenario["request"]
    out = {f"slot:{slot}" for slot, _ in _policies(scenario)}
    out |= {f"slot:{k}" for k in ("grants", "management_account") if k in scenario}
    out |= {f"levels:{k}={len(scenario[k])}" for k in ("scps", "rcps") if k in scenario}
    principal = req["principal"]
    kind = principal.split(":")[5].partition("/")[0] if principal.startswith("arn:") else principal
    out.add(f"caller:{kind}")
    if principal.count("/") > 1 and ":user/" in principal:
        out.add("caller:user-with-path")
    if "principal_role_arn" in req:
        out.add("caller:slr" if SLR_PATH in req["principal_role_arn"] else "caller:role-path")
    out.add(f"action:{req['action']}")
    if principal.startswith("arn:aws-us-gov:") or req["resource"].startswith("arn:aws-us-gov:"):
        out.add("partition:aws-us-gov")
    if req["resource"] == "*":
        out.add("resource:*")
    if req["resource"].startswith("arn:aws:s3") and "resource_account" not in req:
        out.add("resource:s3-without-account")
    for key, value in req.get("context", {}).items():
        out.add(f"context:{key}")
        if isinstance(value, list):
            out.add("context:list")
    for grant in scenario.get("grants", []):
        out |= {f"grant:{c}" for c in grant.get("Constraints", {})}
    for _, policy in _policies(scenario):
        out.add(f"version:{policy.get('Version')}")
        for stmt in _as_list(policy["Statement"]):
            out |= {f"element:{k}" for k in stmt}
            out.add(f"effect:{stmt['Effect']}")
            for k in ("Principal", "NotPrincipal"):
                if k in stmt:
                    out |= _principal_features(stmt[k])
            for k in ("Resource", "NotResource"):
                for v in _as_list(stmt.get(k, [])):
                    if "${" in v:
                        out.add("variable:resource" if "${*}" not in v else "variable:${*}")
            for op, entries in stmt.get("Condition", {}).items():
                parsed = parse_operator(op)
                assert parsed is not None, op
                base, qualifier, if_exists = parsed
                out.add(f"operator:{base}")
                if qualifier.value:
                    out.add(f"qualifier:{qualifier.value}")
                if if_exists:
                    out.add("qualifier:IfExists")
                for key, values in entries.items():
                    out.add(f"condition-key:{KEY_NAMES[key.lower()]}")
                    if len(_as_list(values)) > 1:
                        out.add("condition:several-values")
                    if any(isinstance(v, str) and "${" in v for v in _as_list(values)):
                        out.add("variable:condition")
                if len(entries) > 1:
                    out.add("condition:several-keys")
    return out


FEATURES = frozenset(
    {
        *(f"slot:{s}" for s in ("identity", "permissions_boundary", "session_policy")),
        *(f"slot:{s}" for s in ("resource_policy", "scps", "rcps", "endpoint")),
        "slot:grants",
        "slot:management_account",
        *(f"levels:{k}={n}" for k in ("scps", "rcps") for n in (1, 2)),
        *(f"caller:{k}" for k in ("user", "assumed-role", "federated-user", "root")),
        *(f"caller:{k}" for k in (*SERVICES, "anonymous", "user-with-path")),
        *(f"caller:{k}" for k in ("oidc-provider", "saml-provider", COGNITO)),
        "caller:slr",
        "caller:role-path",
        *(f"action:{a}" for a in ACTIONS),
        "resource:*",
        "resource:s3-without-account",
        "partition:aws-us-gov",
        *(f"context:{k.name}" for k in CONTEXT_KEYS),
        "context:list",
        "grant:EncryptionContextEquals",
        "grant:EncryptionContextSubset",
        *(f"version:{v}" for v in (V2012, V2008, None)),
        *(f"element:{e}" for e in ("Sid", "Principal", "NotPrincipal", "Condition")),
        *(f"element:{e}" for e in ("Action", "NotAction", "Resource", "NotResource")),
        "effect:Allow",
        "effect:Deny",
        *(f"principal:{p}" for p in ("*", "AWS*", "account-id", "root", "user", "role")),
        *(f"principal:{p}" for p in ("assumed-role", "federated-user", "Service", "Federated")),
        "variable:resource",
        "variable:${*}",
        "variable:condition",
        *(f"operator:{op}" for family in OPERATORS.values() for op in family),
        "operator:Null",
        "qualifier:ForAllValues",
        "qualifier:ForAnyValue",
        "qualifier:IfExists",
        *(f"condition-key:{k.name}" for k in KEYS),
        "condition:several-values",
        "condition:several-keys",
    }
)
"""Everything the seeded sample of the non-vacuity test must exercise."""
