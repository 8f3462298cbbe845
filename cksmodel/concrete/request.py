"""Who asks for what: principals and requests, and the context keys they imply."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cksmodel.errors import ScenarioError
from cksmodel.policy.patterns import ContextValue, split_arn
from cksmodel.source import Span


class PrincipalKind(StrEnum):
    USER = "user"
    ROLE = "role"
    ASSUMED_ROLE = "assumed_role"
    FEDERATED_USER = "federated_user"
    ROOT = "root"
    SERVICE = "service"
    ANONYMOUS = "anonymous"
    WEB_IDENTITY = "web_identity"
    SAML = "saml"


_PRINCIPAL_TYPE = {
    PrincipalKind.USER: "User",
    PrincipalKind.ROLE: "AssumedRole",
    PrincipalKind.ASSUMED_ROLE: "AssumedRole",
    PrincipalKind.FEDERATED_USER: "FederatedUser",
    PrincipalKind.ROOT: "Account",
    PrincipalKind.ANONYMOUS: "Anonymous",
}
"""Values of ``aws:PrincipalType`` (AWS global condition keys documentation)."""

_SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$", re.IGNORECASE)
_ACCOUNT = re.compile(r"^\d{12}$")
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"
WELL_KNOWN_PROVIDERS = (
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
)
"""Web identity providers named by host in trust policies (IAM User Guide, "Available
keys for AWS web identity federation"); any other OIDC provider is named by the ARN
``arn:aws:iam::ACCOUNT:oidc-provider/HOST``."""
FEDERATED_KINDS = frozenset({PrincipalKind.WEB_IDENTITY, PrincipalKind.SAML})
"""Callers of ``sts:AssumeRoleWithWebIdentity`` / ``sts:AssumeRoleWithSAML``: a token's
identity, not an AWS identity, so no identity-based policy or SCP applies to them."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """The caller of a request. A role ARN given as caller stands for a session of it."""

    kind: PrincipalKind
    text: str
    partition: str = "aws"
    account: str | None = None
    name: str | None = None
    path: str = "/"
    session_name: str | None = None
    role_path: str | None = None

    @property
    def arn(self) -> str | None:
        """The caller's own ARN (the session ARN for role sessions)."""
        if self.kind in _NO_ARN:
            return None
        return self.text

    @property
    def principal_arn(self) -> str | None:
        """``aws:PrincipalArn``: the role ARN for sessions, else the caller's ARN."""
        if self.kind in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.ROLE):
            return self.role_arn
        return self.arn

    @property
    def role_arn(self) -> str | None:
        if self.kind not in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.ROLE):
            return None
        path = self.role_path or "/"
        return f"arn:{self.partition}:iam::{self.account}:role{path}{self.name}"

    @property
    def is_service_linked_role(self) -> bool:
        return bool(self.role_path and self.role_path.startswith(SERVICE_LINKED_ROLE_PATH))

    @property
    def is_aws_identity(self) -> bool:
        """An IAM identity of some account (has an identity-based side)."""
        return self.kind not in _NO_ARN

    @property
    def is_federated(self) -> bool:
        """A web-identity or SAML caller (named by its identity provider)."""
        return self.kind in FEDERATED_KINDS


_NO_ARN = frozenset(
    {PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS, PrincipalKind.WEB_IDENTITY, PrincipalKind.SAML}
)


def parse_principal(
    text: str, *, role_arn: str | None = None, span: Span | None = None
) -> Principal:
    """Read a caller given as an ARN, a service principal name, a well-known web identity
    provider or ``anonymous``."""
    if text == "anonymous":
        return Principal(kind=PrincipalKind.ANONYMOUS, text=text)
    if text.lower() in WELL_KNOWN_PROVIDERS:
        return Principal(kind=PrincipalKind.WEB_IDENTITY, text=text.lower(), name=text.lower())
    if _SERVICE_NAME.match(text):
        return Principal(kind=PrincipalKind.SERVICE, text=text.lower())
    parts = split_arn(text)
    if parts is None or not _ACCOUNT.match(parts[4]):
        raise ScenarioError(
            f"principal {text!r} is not an IAM or STS ARN with a 12-digit account, "
            "a service principal such as 'kms.amazonaws.com', an identity provider "
            "('arn:aws:iam::ACCOUNT:oidc-provider/HOST', 'cognito-identity.amazonaws.com', "
            "…) or 'anonymous'",
            span=span,
            code="E_PRINCIPAL",
        )
    _, partition, service, _, account, resource = parts
    service = service.lower()
    if service == "iam" and resource == "root":
        return Principal(kind=PrincipalKind.ROOT, text=text, partition=partition, account=account)
    kind_text, _, rest = resource.partition("/")
    if service == "iam" and kind_text in ("oidc-provider", "saml-provider") and rest:
        kind = PrincipalKind.WEB_IDENTITY if kind_text == "oidc-provider" else PrincipalKind.SAML
        return Principal(kind=kind, text=text, partition=partition, name=rest)
    if service == "iam" and kind_text in ("user", "role") and rest:
        path, _, name = ("/" + rest).rpartition("/")
        kind = PrincipalKind.USER if kind_text == "user" else PrincipalKind.ROLE
        return Principal(
            kind=kind,
            text=text,
            partition=partition,
            account=account,
            name=name,
            path=path + "/",
            role_path=path + "/" if kind is PrincipalKind.ROLE else None,
        )
    if service == "sts" and kind_text == "assumed-role" and rest.count("/") >= 1:
        role_name, _, session = rest.partition("/")
        role_path = "/"
        if role_arn is not None:
            given = parse_principal(role_arn, span=span)
            if given.kind is not PrincipalKind.ROLE or given.name != role_name:
                raise ScenarioError(
                    f"principal_role_arn {role_arn!r} is not the role of session {text!r}",
                    span=span,
                    code="E_PRINCIPAL",
                )
            role_path = given.path
        return Principal(
            kind=PrincipalKind.ASSUMED_ROLE,
            text=text,
            partition=partition,
            account=account,
            name=role_name,
            session_name=session,
            role_path=role_path,
        )
    if service == "sts" and kind_text == "federated-user" and rest:
        return Principal(
            kind=PrincipalKind.FEDERATED_USER,
            text=text,
            partition=partition,
            account=account,
            name=rest,
        )
    raise ScenarioError(
        f"principal {text!r} is not a user, role, assumed-role session, federated user, "
        "root or identity provider ARN",
        span=span,
        code="E_PRINCIPAL",
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    """One API request. ``context`` keys are lower-case; values as given."""

    principal: Principal
    action: str
    resource: str
    resource_account: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.action.partition(":")[0].lower()

    def effective_resource_account(self) -> str | None:
        """The account owning the resource; the caller's own for ``*`` resources."""
        if self.resource_account is not None:
            return self.resource_account
        parts = split_arn(self.resource)
        if parts is not None and parts[4]:
            return parts[4]
        return self.principal.account


def derived_context(request: Request) -> dict[str, ContextValue]:
    """The request context with the global keys AWS derives from the caller added."""
    p = request.principal
    derived: dict[str, ContextValue] = {}
    if p.principal_arn is not None:
        derived["aws:principalarn"] = p.principal_arn
    if p.account is not None:
        derived["aws:principalaccount"] = p.account
        if request.service == "kms":
            derived["kms:calleraccount"] = p.account
    if p.kind in _PRINCIPAL_TYPE:
        derived["aws:principaltype"] = _PRINCIPAL_TYPE[p.kind]
    if p.kind is PrincipalKind.USER and p.name is not None:
        derived["aws:username"] = p.name
    if p.kind is PrincipalKind.ROOT and p.account is not None:
        derived["aws:userid"] = p.account
    if p.kind is PrincipalKind.FEDERATED_USER:
        derived["aws:userid"] = f"{p.account}:{p.name}"
    derived["aws:principalisawsservice"] = p.kind is PrincipalKind.SERVICE
    if p.kind is PrincipalKind.SERVICE:
        derived["aws:principalservicename"] = p.text
    if p.kind is PrincipalKind.WEB_IDENTITY:
        derived["aws:federatedprovider"] = p.text
    resource_account = request.effective_resource_account()
    if resource_account is not None and request.resource != "*":
        derived["aws:resourceaccount"] = resource_account
    derived.update(request.context)
    return derived
