"""Who and what a statement names, as terms: principals, resources and their ARNs.

Owns the shapes of the request's principal and resource strings (the ARN each
kind of caller and each resource account has, session and service names, the
values the decoder prefers) and the matching of Resource, Principal and
NotPrincipal elements against them, mirroring the principal and resource
matching of :mod:`cksmodel.concrete.evaluate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cksmodel.concrete.evaluate import principal_identity
from cksmodel.concrete.request import WELL_KNOWN_PROVIDERS, PrincipalKind
from cksmodel.policy.ir import PrincipalSet, Value
from cksmodel.policy.patterns import (
    arn_match,
    compile_glob,
    has_variables,
    names_whole_service,
    split_arn,
    without_variables,
)
from cksmodel.symbolic.conditions import Realize, expanded_arn, resolvable
from cksmodel.symbolic.logic import FALSE, TRUE, EnumIs, Term, and_, not_, or_
from cksmodel.symbolic.strings import (
    ANY,
    NOT_COLON,
    CharClass,
    Pattern,
    Token,
    arn,
    concat,
    glob,
    lit_tokens,
    literal,
    star,
)

if TYPE_CHECKING:
    from cksmodel.symbolic.encode import Encoder

_SERVICE_CHARS = CharClass(frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-"))
_NAME_CHARS = CharClass(
    frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-")
)
"""Characters IAM allows in user, role and session names."""
_PATH_CHARS = CharClass(frozenset(chr(c) for c in range(0x21, 0x7F)))
"""Characters IAM allows in paths (printable ASCII)."""
_ONE_PLUS_NAME = (Token(_NAME_CHARS), *star(_NAME_CHARS))
_HOST_CHARS = CharClass(
    frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/")
)
"""Characters of an OIDC provider's URL without ``https://`` (host and path)."""
_ONE_PLUS_HOST = (Token(_HOST_CHARS), *star(_HOST_CHARS))
PROVIDER_FORMS = ("oidc-arn", "saml-arn", *WELL_KNOWN_PROVIDERS)
"""How a federated caller is named: an OIDC or SAML provider ARN, or a well-known host."""

SESSION_NAME = concat("session-name", _ONE_PLUS_NAME)
SERVICE_NAME = concat(
    "service-name",
    [Token(_SERVICE_CHARS)],
    star(_SERVICE_CHARS),
    lit_tokens(".amazonaws.com"),
)
PRINCIPAL_ARN_PREFERENCES = tuple(
    arn(g)
    for g in (
        "arn:*:iam::*:user/alice",
        "arn:*:iam::*:user/*/alice",
        "arn:*:iam::*:role/app-role",
        "arn:*:iam::*:role/*/app-role",
        "arn:*:sts::*:federated-user/bob",
    )
)
PROVIDER_PREFERENCES = tuple(
    arn(g)
    for g in (
        "arn:*:iam::*:oidc-provider/token.actions.githubusercontent.com",
        "arn:*:iam::*:oidc-provider/oidc.example.com",
        "arn:*:iam::*:saml-provider/ExampleIdP",
    )
)
SESSION_PREFERENCES = (literal("session-1"),)
SERVICE_PREFERENCES = (literal("ec2.amazonaws.com"), glob("*service.amazonaws.com"))
RESOURCE_PREFERENCES = tuple(
    arn(g)
    for g in (
        "arn:*:kms:*:*:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:*:kms:*:*:key/0987dcba-09fe-87dc-65ba-ab0987654321",
        "arn:*:kms:*:*:key/?*",
        "arn:*:iam::*:role/app-role",
        "arn:*:s3:::example-bucket/*?",
        "arn:*:*:us-east-1:*:*",
        "arn:*:*:eu-west-1:*:*",
        "arn:*:*:*:*:?*",
    )
)


@dataclass(frozen=True, slots=True)
class Levels:
    """How the best allow of some policies named the caller (cf. evaluate.Match)."""

    direct: Term
    role: Term
    any: Term


def principal_arn_shapes(enc: Encoder) -> list[tuple[Term, Pattern]]:
    """The principal ARN of each kind of AWS identity, per partition and account."""
    shapes: list[tuple[Term, Pattern]] = []
    for pi, part in enumerate(enc.partition.domain):
        on_part = EnumIs(enc.partition, pi)
        for ai, acct in enumerate(enc.paccount.domain):
            on = and_(on_part, EnumIs(enc.paccount, ai))
            head = f"arn:{part}:"
            shapes += [
                (
                    and_(on, enc.kind_is(PrincipalKind.USER)),
                    concat(
                        f"user-arn {acct}",
                        lit_tokens(f"{head}iam::{acct}:user/"),
                        star(_PATH_CHARS),
                        _ONE_PLUS_NAME,
                    ),
                ),
                (
                    and_(on, enc.kind_is(PrincipalKind.ASSUMED_ROLE)),
                    concat(
                        f"role-arn {acct}",
                        lit_tokens(f"{head}iam::{acct}:role/"),
                        star(_PATH_CHARS),
                        _ONE_PLUS_NAME,
                    ),
                ),
                (
                    and_(on, enc.kind_is(PrincipalKind.FEDERATED_USER)),
                    concat(
                        f"federated-arn {acct}",
                        lit_tokens(f"{head}sts::{acct}:federated-user/"),
                        _ONE_PLUS_NAME,
                    ),
                ),
                (
                    and_(on, enc.kind_is(PrincipalKind.ROOT)),
                    literal(f"{head}iam::{acct}:root"),
                ),
            ]
    return shapes


def provider_shapes(enc: Encoder) -> list[tuple[Term, Pattern]]:
    """The identity provider of a web-identity or SAML caller: a provider ARN of some
    partition and account, or one of the well-known web identity hosts."""
    shapes: list[tuple[Term, Pattern]] = []
    web = enc.kind_is(PrincipalKind.WEB_IDENTITY)
    saml = enc.kind_is(PrincipalKind.SAML)
    for pi, part in enumerate(enc.partition.domain):
        on_part = EnumIs(enc.partition, pi)
        for ai, acct in enumerate(enc.paccount.domain):
            on = and_(on_part, EnumIs(enc.paccount, ai))
            shapes += [
                (
                    and_(on, web, EnumIs(enc.provider_form, 0)),
                    concat(
                        f"oidc-provider {part} {acct}",
                        lit_tokens(f"arn:{part}:iam::{acct}:oidc-provider/"),
                        _ONE_PLUS_HOST,
                    ),
                ),
                (
                    and_(on, saml),
                    concat(
                        f"saml-provider {part} {acct}",
                        lit_tokens(f"arn:{part}:iam::{acct}:saml-provider/"),
                        _ONE_PLUS_NAME,
                    ),
                ),
            ]
    for i, host in enumerate(WELL_KNOWN_PROVIDERS):
        shapes.append((and_(web, EnumIs(enc.provider_form, i + 2)), literal(host)))
    return shapes


def provider_is(enc: Encoder, text: str) -> Term:
    """cf. evaluate._listed: a Federated value names a provider (any case), ``*`` all."""
    if text == "*":
        return enc.provider.active
    return and_(enc.provider.active, enc.provider.member(literal(text.lower(), ignore_case=True)))


def claim_provider(key: str) -> str | None:
    """``saml`` for SAML keys, the host for web identity token keys (``HOST:claim``)."""
    prefix = key.rpartition(":")[0]
    if prefix == "saml":
        return "saml"
    return prefix if "." in prefix else None


def claim_holder(enc: Encoder, key: str) -> Term:
    """The callers whose requests can carry a token key: the token's own provider."""
    prefix = claim_provider(key)
    if prefix == "saml":
        return enc.kind_is(PrincipalKind.SAML)
    assert prefix is not None
    return and_(
        enc.kind_is(PrincipalKind.WEB_IDENTITY),
        or_(
            enc.provider.member(
                concat(
                    f"oidc-provider */{prefix}",
                    lit_tokens("arn:"),
                    star(NOT_COLON),
                    lit_tokens(":iam::"),
                    star(NOT_COLON),
                    lit_tokens(f":oidc-provider/{prefix}", ignore_case=True),
                )
            ),
            enc.provider.member(literal(prefix, ignore_case=True)),
        ),
    )


CLAIM_PREFERENCES = {
    "token.actions.githubusercontent.com:sub": (
        literal("repo:someone-else/any-repo:ref:refs/heads/main"),
        glob("repo:someone-else/?*:ref:refs/heads/main"),
        glob("repo:?*/?*:ref:refs/heads/main"),
        glob("repo:?*/?*:*?"),
    ),
    "token.actions.githubusercontent.com:aud": (literal("sts.amazonaws.com"),),
    "cognito-identity.amazonaws.com:aud": (
        literal("us-east-1:11111111-2222-3333-4444-555555555555"),
        glob("us-east-1:*"),
    ),
    "cognito-identity.amazonaws.com:amr": (literal("authenticated"),),
    "saml:aud": (literal("https://signin.aws.amazon.com/saml"),),
}
"""Readable token claims for counterexamples (any other claim prefers ``example-…``)."""


def resource_arn_shapes(enc: Encoder) -> list[tuple[Term, Pattern]]:
    """The resource ARN per partition and resource account, which it shows or leaves out."""
    shapes: list[tuple[Term, Pattern]] = []
    for pi, part in enumerate(enc.partition.domain):
        on_part = EnumIs(enc.partition, pi)
        for ai, acct in enumerate(enc.raccount.domain):
            for in_arn in (True, False):
                flag = enc.res_acct_in_arn if in_arn else not_(enc.res_acct_in_arn)
                shown = acct if in_arn else ""
                shapes.append(
                    (and_(on_part, EnumIs(enc.raccount, ai), flag), arn_shape(part, shown))
                )
    return shapes


def arn_shape(partition: str, account: str) -> Pattern:
    """Resource ARNs of a partition that show this account (``""``: none)."""
    return concat(
        f"resource-arn {partition} {account}",
        lit_tokens(f"arn:{partition}:"),
        star(NOT_COLON),
        lit_tokens(":"),
        star(NOT_COLON),
        lit_tokens(f":{account}:"),
        star(ANY),
    )


def resource_matches(enc: Encoder, v: Value, variables: bool) -> Term:
    """cf. evaluate._any_resource: whether one Resource value names the request's resource."""
    text = v.text
    if text == "*":
        return TRUE
    parts = split_arn(text)
    variable_part = parts[5] if parts is not None else text
    if enc.bindings is not None:
        lookup = enc.bindings.get if variables else None
        on_star: Term = TRUE if arn_match(text, "*", lookup) else FALSE
    elif variables and has_variables(text):
        # Expanded, the text matches the resource "*" only if nothing but wildcards
        # stays outside its variables.
        on_star = (
            FALSE
            if without_variables(text).strip("*?")
            else and_(
                enc.free_atom(
                    "policy variable in a resource with a symbolic context", v.span, ("*", text)
                ),
                resolvable(enc, text),
            )
        )
    else:
        on_star = TRUE if compile_glob(text).match("*") and parts is None else FALSE
    if parts is not None and not has_variables(text):
        on_star = or_(on_star, enc.action_where(lambda a: names_whole_service(text, a)))
    if variables and has_variables(variable_part):
        if enc.bindings is None:
            return or_(
                and_(enc.res_star, on_star),
                and_(
                    not_(enc.res_star),
                    enc.free_atom(
                        "policy variable in a resource with a symbolic context",
                        v.span,
                        text,
                        Realize(target="resource", base="Resource", text=text),
                    ),
                    resolvable(enc, variable_part),
                ),
            )
        pattern = expanded_arn(text, enc.bindings)
        if pattern is None:
            return FALSE
    else:
        pattern = arn(text)
    return or_(
        and_(enc.res_star, on_star),
        and_(not_(enc.res_star), enc.resource.member(pattern)),
    )


def _role_name(enc: Encoder, acct: str, name: str) -> Term:
    return or_(
        enc.principal_arn.member(
            concat(
                f"role {acct} {name}",
                lit_tokens("arn:"),
                star(NOT_COLON),
                lit_tokens(f":iam::{acct}:role/"),
                lit_tokens(name, ignore_case=True),
            )
        ),
        enc.principal_arn.member(
            concat(
                f"role {acct} */{name}",
                lit_tokens("arn:"),
                star(NOT_COLON),
                lit_tokens(f":iam::{acct}:role/"),
                star(ANY),
                lit_tokens("/"),
                lit_tokens(name, ignore_case=True),
            )
        ),
    )


def _user_name(enc: Encoder, acct: str, name: str) -> Term:
    return or_(
        enc.principal_arn.member(
            concat(
                f"user {acct} {name}",
                lit_tokens("arn:"),
                star(NOT_COLON),
                lit_tokens(f":iam::{acct}:user/"),
                lit_tokens(name, ignore_case=True),
            )
        ),
        enc.principal_arn.member(
            concat(
                f"user {acct} */{name}",
                lit_tokens("arn:"),
                star(NOT_COLON),
                lit_tokens(f":iam::{acct}:user/"),
                star(ANY),
                lit_tokens("/"),
                lit_tokens(name, ignore_case=True),
            )
        ),
    )


def identity_terms(enc: Encoder, text: str) -> tuple[Term, Term, Term]:
    """(direct, role, account) terms for one AWS principal value (cf. caller_identities)."""
    identity = principal_identity(text)
    if identity is None:
        return FALSE, FALSE, FALSE
    if identity == ("*",):
        return TRUE, FALSE, FALSE
    kind, acct = identity[0], identity[1]
    on_acct = enc.account_is(enc.paccount, acct)
    if kind == "account":
        member = enc.kind_in(
            PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER
        )
        return and_(enc.kind_is(PrincipalKind.ROOT), on_acct), FALSE, and_(member, on_acct)
    if kind == "user":
        return (
            and_(enc.kind_is(PrincipalKind.USER), on_acct, _user_name(enc, acct, identity[2])),
            FALSE,
            FALSE,
        )
    if kind == "role":
        name_names = all(ch != "/" for ch in identity[2])
        role = (
            and_(
                enc.kind_is(PrincipalKind.ASSUMED_ROLE),
                on_acct,
                _role_name(enc, acct, identity[2]),
            )
            if name_names
            else FALSE
        )
        return FALSE, role, FALSE
    if kind == "session":
        return (
            and_(
                enc.kind_is(PrincipalKind.ASSUMED_ROLE),
                on_acct,
                _role_name(enc, acct, identity[2]),
                enc.session.member(literal(identity[3])),
            ),
            FALSE,
            FALSE,
        )
    fed = concat(
        f"federated {acct} {identity[2]}",
        lit_tokens("arn:"),
        star(NOT_COLON),
        lit_tokens(f":sts::{acct}:federated-user/{identity[2]}"),
    )
    return (
        and_(enc.kind_is(PrincipalKind.FEDERATED_USER), on_acct, enc.principal_arn.member(fed)),
        FALSE,
        FALSE,
    )


def service_is(enc: Encoder, name: str) -> Term:
    return and_(enc.kind_is(PrincipalKind.SERVICE), enc.service.member(literal(name.lower())))


def principal_levels(enc: Encoder, pset: PrincipalSet) -> Levels:
    """cf. evaluate.match_principal: how the element names the caller."""
    if pset.wildcard or any(v.text == "*" for v in pset.aws):
        return Levels(TRUE, TRUE, TRUE)
    terms = [identity_terms(enc, v.text) for v in pset.aws]
    direct = or_(
        [t[0] for t in terms],
        [service_is(enc, v.text) for v in pset.service],
        [provider_is(enc, v.text) for v in pset.federated],
    )
    if pset.canonical_user:
        # Canonical-user callers (S3 ACL grantees) are outside the request space.
        listed = tuple(v.text for v in pset.canonical_user)
        direct = or_(direct, enc.free_atom("CanonicalUser principal", pset.span, listed))
    role = or_(direct, [t[1] for t in terms])
    return Levels(direct, role, or_(role, [t[2] for t in terms]))


def excluded(enc: Encoder, pset: PrincipalSet) -> Term:
    """cf. evaluate.excluded_by_not_principal: every identity of the caller is listed."""
    if pset.wildcard or any(v.text == "*" for v in pset.aws):
        return TRUE
    user = or_(identity_terms(enc, v.text)[0] for v in pset.aws)
    account = or_(identity_terms(enc, v.text)[2] for v in pset.aws)
    root = and_(
        enc.kind_is(PrincipalKind.ROOT), or_(identity_terms(enc, v.text)[0] for v in pset.aws)
    )
    role = or_(identity_terms(enc, v.text)[1] for v in pset.aws)
    session = and_(enc.kind_is(PrincipalKind.ASSUMED_ROLE), user)
    return or_(
        and_(enc.kind_in(PrincipalKind.USER, PrincipalKind.FEDERATED_USER), user, account),
        and_(session, role, account),
        root,
        or_(service_is(enc, v.text) for v in pset.service),
        or_(provider_is(enc, v.text) for v in pset.federated),
    )
