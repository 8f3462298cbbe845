"""Validate one policy document: syntax, structure, semantics and AWS limits, as findings.

:func:`validate_text` never raises for a problem in the document. The stages
run in order and each stops the pipeline only when nothing after it could be
meaningful:

1. bytes are decoded (byte-order mark, invalid UTF-8, size) and the JSON is
   parsed (syntax, duplicate keys, nesting); a failure here is the one and
   only finding;
2. an embedded document (a JSON string holding the policy, or a URL-encoded
   one, as ``aws iam get-account-authorization-details`` prints them) is
   unwrapped exactly as :func:`cksmodel.policy.parse.policy_from_text` does;
3. :func:`cksmodel.policy.parse.build_policy` records structural errors;
4. the checks below look at the IR, the positioned JSON and the text.

Severities follow the IAM Access Analyzer vocabulary and every code starts
with the letter of its severity: ``E_`` ERROR (AWS would reject the document,
or the model cannot use it), ``S_`` SECURITY_WARNING (it grants more than it
seems to), ``W_`` WARNING (it probably does not do what was meant), ``G_``
SUGGESTION (style). :data:`FINDING_CODES` lists every code with its meaning.
Where this module departs from Access Analyzer's severity the entry says why.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cksmodel.errors import ParseError
from cksmodel.policy.catalog import GLOBAL_CONDITION_KEYS, ActionInfo, Catalog, get_catalog
from cksmodel.policy.conditions import NEGATED, parse_date, parse_network, parse_number
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.ir import (
    VERSION_2008,
    VERSION_2012,
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalSet,
    Qualifier,
    Statement,
    Value,
)
from cksmodel.policy.jsontext import PDict, PList, Pos, decode_document, parse_json
from cksmodel.policy.parse import (
    OPERATOR_FAMILIES,
    PRINCIPAL_FORBIDDEN,
    build_policy,
    unwrap_document_text,
)
from cksmodel.policy.patterns import compile_glob, has_variables, split_arn, variable_names
from cksmodel.source import Span

__all__ = ["FINDING_CODES", "MAX_VALUE_LENGTH", "validate_text"]

_E, _S, _W, _G = (
    Severity.ERROR,
    Severity.SECURITY_WARNING,
    Severity.WARNING,
    Severity.SUGGESTION,
)

FINDING_CODES: Final[Mapping[str, tuple[Severity, str]]] = {
    # --- reading the document (cksmodel.policy.jsontext) --------------------------------
    "E_TOO_LARGE": (_E, "the document is larger than 1 MiB; no policy type comes close"),
    "E_BOM": (_E, "the document starts with a byte-order mark; save it as UTF-8 without BOM"),
    "E_ENCODING": (_E, "the document is not valid UTF-8"),
    "E_SYNTAX": (_E, "the document is not well-formed JSON"),
    "E_DUPLICATE_KEY": (
        _E,
        "a JSON object repeats a key, or a Condition block repeats a condition key "
        "(condition keys are case-insensitive)",
    ),
    "E_TOO_DEEP": (_E, "the JSON nests deeper than 64 levels"),
    # --- structure (cksmodel.policy.parse) ----------------------------------------------
    "E_TYPE": (_E, "an element has the wrong JSON type (e.g. a number where a string belongs)"),
    "E_UNKNOWN_ELEMENT": (_E, "an element that is not part of the policy grammar"),
    "E_VERSION": (_E, "Version is neither 2012-10-17 nor 2008-10-17"),
    "E_MISSING_STATEMENT": (_E, "the policy has no Statement"),
    "E_MISSING_EFFECT": (_E, "a statement has no Effect"),
    "E_EFFECT": (_E, "Effect is not exactly Allow or Deny"),
    "E_ACTION_AND_NOTACTION": (_E, "a statement has both Action and NotAction"),
    "E_MISSING_ACTION": (_E, "a statement has neither Action nor NotAction"),
    "E_RESOURCE_AND_NOTRESOURCE": (_E, "a statement has both Resource and NotResource"),
    "E_MISSING_RESOURCE": (_E, "a statement has neither Resource nor NotResource"),
    "E_PRINCIPAL_AND_NOTPRINCIPAL": (_E, "a statement has both Principal and NotPrincipal"),
    "E_PRINCIPAL_NOT_ALLOWED": (
        _E,
        "Principal/NotPrincipal in a policy type without principals "
        "(identity, boundary, session, SCP)",
    ),
    "E_MISSING_PRINCIPAL": (
        _E,
        "no Principal in a policy type that needs one (resource, trust, key, RCP, endpoint)",
    ),
    "E_PRINCIPAL": (_E, 'Principal is neither "*" nor an object of AWS/Service/Federated/…'),
    "E_UNKNOWN_OPERATOR": (
        _E,
        "an unknown condition operator, or Null with IfExists/ForAllValues/ForAnyValue",
    ),
    # --- document-wide checks ----------------------------------------------------
    "E_INVALID_CHARACTER": (
        _E,
        "a character IAM/KMS do not accept in policy documents (only tab, LF, CR and "
        "U+0020-U+00FF)",
    ),
    "E_POLICY_TOO_LARGE": (_E, "the document exceeds the size limit of its policy type"),
    "W_POLICY_SIZE_QUOTA": (
        _W,
        "a trust policy exceeds the default 2,048-character quota (needs an increase; "
        "the maximum is 8,192)",
    ),
    "W_POLICY_SIZE_WHITESPACE": (
        _W,
        "an SCP/RCP fits the 5,120-character limit only once whitespace is removed",
    ),
    "W_MISSING_VERSION": (
        _W,
        "no Version: AWS applies 2008-10-17, where policy variables are literal text",
    ),
    "G_VERSION_2008": (_G, "Version 2008-10-17: use 2012-10-17"),
    "E_VERSION_REQUIRED": (_E, 'an RCP must have "Version": "2012-10-17"'),
    "W_NO_STATEMENTS": (_W, "the Statement list is empty: the policy does nothing"),
    # --- statements --------------------------------------------------------------
    "E_SID_FORMAT": (_E, "an IAM policy Sid has characters other than A-Z, a-z, 0-9"),
    "E_DUPLICATE_SID": (_E, "an IAM policy repeats a Sid (IAM requires unique Sids)"),
    "W_DUPLICATE_SID": (_W, "a policy repeats a Sid"),
    "G_EMPTY_SID": (_G, "an empty Sid"),
    "E_VALUE_TOO_LONG": (
        _E,
        "a string in Action/Resource/Principal/Condition is longer than 2,048 characters",
    ),
    "W_EMPTY_ACTION": (_W, "an empty Action list: the statement never applies"),
    "W_EMPTY_RESOURCE": (_W, "an empty Resource list: the statement never applies"),
    "W_EMPTY_PRINCIPAL": (_W, "an empty Principal: the statement applies to nobody"),
    "S_EMPTY_NOT_ELEMENT": (
        _S,
        "an empty NotAction/NotResource/NotPrincipal in an Allow: it matches everything",
    ),
    "W_EMPTY_NOT_ELEMENT": (
        _W,
        "an empty NotAction/NotResource/NotPrincipal in a Deny: it denies everything",
    ),
    # --- actions -----------------------------------------------------------------
    "E_ACTION_FORMAT": (_E, 'an action that is neither "*" nor service:action'),
    "E_ACTION_SERVICE_WILDCARD": (_E, "a wildcard in the service prefix of an action"),
    "E_UNKNOWN_SERVICE": (_E, "an action whose service prefix does not exist"),
    "W_UNKNOWN_ACTION": (
        _W,
        "an action the IAM catalog does not know (Access Analyzer: ERROR; a WARNING here "
        "because the bundled catalog can lag behind AWS)",
    ),
    "W_ACTION_MATCHES_NOTHING": (_W, "an action wildcard that matches no action of its service"),
    "E_ACTION_REQUIRES_STAR_RESOURCE": (
        _E,
        "every action of the statement has no resource type (e.g. kms:CreateCustomKeyStore) "
        'and needs Resource "*", but the statement names only specific resources: '
        "it never applies",
    ),
    "W_ACTION_REQUIRES_STAR_RESOURCE": (
        _W,
        'an action that needs Resource "*" in a statement that names only specific '
        "resources: it never applies to that action",
    ),
    "W_TRUST_ACTION": (
        _W,
        "a trust-policy action that is not an sts: action: a trust policy controls only "
        "sts:AssumeRole*, sts:TagSession, sts:SetSourceIdentity and sts:SetContext",
    ),
    "W_KEY_POLICY_ACTION": (
        _W,
        "a key-policy action that does not act on a KMS key (e.g. kms:CreateKey, the custom "
        "key store actions, other services): it has no effect in a key policy",
    ),
    "S_PASSROLE_WILDCARD": (
        _S,
        "iam:PassRole allowed on every role without an iam:PassedToService condition",
    ),
    "W_CREATE_SLR_WILDCARD": (
        _W,
        "iam:CreateServiceLinkedRole allowed on every role without an iam:AWSServiceName condition",
    ),
    # --- resources ---------------------------------------------------------------
    "E_ARN_FORMAT": (
        _E,
        'a resource that is neither "*" nor arn:partition:service:region:account:resource',
    ),
    "W_ARN_PARTITION": (_W, "an ARN partition that is not a known AWS partition"),
    "W_ARN_SERVICE_WILDCARD": (_W, "a wildcard in the service part of a resource ARN"),
    "E_ACCOUNT_ID": (_E, "an account ID that is not 12 digits"),
    "E_RESOURCE_NOT_ALLOWED": (_E, "Resource/NotResource in a role trust policy"),
    # --- principals --------------------------------------------------------------
    "E_PRINCIPAL_WILDCARD": (
        _E,
        'a wildcard in a principal other than "*" / {"AWS": "*"} (e.g. role/*)',
    ),
    "E_PRINCIPAL_FORMAT": (
        _E,
        'an AWS principal that is not "*", a 12-digit account ID or an IAM/STS ARN',
    ),
    "W_PRINCIPAL_UNIQUE_ID": (
        _W,
        "a principal written as a unique ID (AIDA…/AROA…): the user or role was deleted, "
        "or use its ARN",
    ),
    "W_SERVICE_PRINCIPAL_FORMAT": (
        _W,
        "a service principal that does not look like name.amazonaws.com",
    ),
    "S_PUBLIC_PRINCIPAL": (
        _S,
        'Principal "*" in an Allow of a key, trust or resource policy without a condition '
        "on the caller's account, organization, ARN, source or VPC endpoint",
    ),
    "S_ALLOW_WITH_NOTPRINCIPAL": (
        _S,
        "Allow with NotPrincipal grants access to everyone else, anonymous users included",
    ),
    "W_DENY_WITH_NOTPRINCIPAL": (
        _W,
        "Deny with NotPrincipal also denies the listed principals when they have a "
        "permissions boundary",
    ),
    "E_NOTPRINCIPAL_NOT_SUPPORTED": (_E, "NotPrincipal in a trust policy or an RCP"),
    "E_RCP_ALLOW": (_E, "an RCP statement with Effect Allow (only RCPFullAWSAccess may allow)"),
    "E_RCP_PRINCIPAL": (_E, 'an RCP statement whose Principal is not "*"'),
    "S_FEDERATED_TRUST_UNSCOPED": (
        _S,
        "a trust policy lets an OIDC provider's tokens assume the role without a condition "
        "on the token's sub claim: every identity of that provider can assume it",
    ),
    # --- conditions --------------------------------------------------------------
    "E_CONDITION_KEY_FORMAT": (_E, "a condition key that is not service:name"),
    "E_MISSING_TAG_KEY": (
        _E,
        "aws:RequestTag / aws:ResourceTag / aws:PrincipalTag without /tag-key",
    ),
    "W_UNKNOWN_CONDITION_KEY": (_W, "a condition key the catalog does not know"),
    "W_OPERATOR_KEY_TYPE": (
        _W,
        "the operator family does not fit the key's type (e.g. DateLessThan on a String key)",
    ),
    "S_FORALLVALUES_SINGLE_VALUED": (
        _S,
        "ForAllValues on a single-valued key: it also holds when the key is absent",
    ),
    "G_FORANYVALUE_SINGLE_VALUED": (_G, "ForAnyValue on a single-valued key is redundant"),
    "W_MISSING_QUALIFIER": (
        _W,
        "a multi-valued key without ForAllValues/ForAnyValue (Access Analyzer: ERROR)",
    ),
    "W_EMPTY_CONDITION_VALUES": (_W, "a condition key with an empty list of values"),
    "G_EMPTY_CONDITION": (_G, "an empty Condition block or operator"),
    "W_DATE_VALUE": (_W, "a Date operator value that is not an ISO 8601 date/time or epoch"),
    "W_NUMERIC_VALUE": (_W, "a Numeric operator value that is not a number"),
    "W_IP_VALUE": (_W, "an IpAddress operator value that is not an IPv4/IPv6 address or CIDR"),
    "G_IP_HOST_BITS": (_G, "a CIDR with bits set after the prefix length (they are ignored)"),
    "W_PRIVATE_SOURCE_IP": (
        _W,
        "aws:SourceIp with only private addresses: it never sees them; use aws:VpcSourceIp",
    ),
    "W_BOOL_VALUE": (_W, "a Bool or Null operator value that is not true or false"),
    "W_BOOL_BOTH_VALUES": (_W, "a Bool condition listing both true and false"),
    "W_BINARY_VALUE": (_W, "a BinaryEquals value that is not base64"),
    "W_ARN_VALUE": (_W, "an Arn operator value that is not an ARN"),
    "W_WILDCARD_WITHOUT_LIKE": (
        _W,
        "* or ? in a value of an Equals operator, where it is literal; use a Like operator",
    ),
    "W_ACCOUNT_ID_VALUE": (
        _W,
        "a value of an account key (aws:PrincipalAccount, kms:CallerAccount, …) that is not "
        "12 digits: it never matches",
    ),
    "W_CONDITION_KEY_NOT_SUPPORTED": (
        _W,
        "an Allow conditioned on a service key that none of its actions supports: the "
        "condition never holds",
    ),
    "S_DENY_CONDITION_KEY_NOT_SUPPORTED": (
        _S,
        "a Deny conditioned on a service key that none of its actions supports: it never denies",
    ),
    # --- policy variables --------------------------------------------------------
    "W_VARIABLE_WITHOUT_VERSION": (
        _W,
        'a policy variable without "Version": "2012-10-17": it is literal text',
    ),
    "W_VARIABLE_NOT_SUPPORTED": (
        _W,
        "a policy variable where none is substituted (Action, Principal, non-string "
        "operators): it is literal text",
    ),
    "W_VARIABLE_OUTSIDE_RESOURCE": (
        _W,
        "a policy variable outside the resource part of an ARN: it is matched as literal text",
    ),
    "E_VARIABLE_SYNTAX": (
        _E,
        "a malformed policy variable (missing }, empty, space in the name, unquoted default)",
    ),
    "W_UNKNOWN_VARIABLE": (_W, "a policy variable naming an unknown condition key"),
}
"""Every code :func:`validate_text` can report: severity and a one-line meaning."""

MAX_VALUE_LENGTH: Final = 2048
"""Longest string accepted in Action, Resource, Principal and Condition (the ARN limit).

Bounding every pattern also bounds the work any later matching can do, so a
pathological wildcard such as ``a*a*a*…b`` repeated thousands of times is an
ERROR here, not a slow check.
"""

# --- limits and vocabularies --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SizeLimit:
    """How one policy type's size is measured and what AWS allows."""

    limit: int
    measure: str  # "nonspace": whitespace outside strings not counted; "chars"; "bytes"
    what: str
    hard_limit: int | None = None  # adjustable quota: ERROR only above this
    minified_fallback: bool = False  # WARN when only the minified text fits


# Sources (checked 2026):
# - IAM and AWS STS quotas (docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
#   managed policy 6,144 characters; inline user 2,048 / group 5,120 / role 10,240 in
#   aggregate; "IAM doesn't count white space"; role trust policy length 2,048 by
#   default, adjustable up to 8,192; session policies (inline and managed together)
#   2,048 characters of plaintext, plus a separate packed-binary limit.
#   Identity policies are held to the managed-policy limit (a boundary must be one).
# - AWS Organizations quotas (orgs_reference_limits.html): SCP and RCP 5,120 characters;
#   the RCP syntax page: "All characters in your RCP count against its maximum size"
#   (the console strips whitespace, the API does not).
# - KMS key policy format (kms/latest/developerguide/key-policy-overview.html):
#   "up to 32 kilobytes (32,768 bytes)".
# - VPC endpoint policies (vpc-endpoints-access.html): "cannot exceed 20,480 characters,
#   including white space".
# - Resource policies: the S3 bucket policy limit of 20 KB is used for all of them.
_SIZE_LIMITS: Final[Mapping[PolicyType, _SizeLimit]] = {
    PolicyType.IDENTITY: _SizeLimit(6144, "nonspace", "a managed identity policy"),
    PolicyType.BOUNDARY: _SizeLimit(6144, "nonspace", "a permissions boundary (managed policy)"),
    PolicyType.SESSION: _SizeLimit(2048, "chars", "session policies"),
    PolicyType.TRUST: _SizeLimit(2048, "nonspace", "a role trust policy", hard_limit=8192),
    PolicyType.SCP: _SizeLimit(5120, "chars", "an SCP", minified_fallback=True),
    PolicyType.RCP: _SizeLimit(5120, "chars", "an RCP", minified_fallback=True),
    PolicyType.KEY: _SizeLimit(32768, "bytes", "a KMS key policy"),
    PolicyType.ENDPOINT: _SizeLimit(20480, "chars", "a VPC endpoint policy"),
    PolicyType.RESOURCE: _SizeLimit(20480, "bytes", "a resource policy (S3 bucket policy limit)"),
}

# IAM quotas: "Policy documents can contain only the following Unicode characters:
# horizontal tab (U+0009), linefeed (U+000A), carriage return (U+000D), and
# characters in the range U+0020 to U+00FF." KMS key policies: printable ASCII,
# printable Basic Latin and Latin-1 Supplement, tab, LF, CR.
_IAM_BAD_CHAR: Final = re.compile(r"[^\t\n\r\x20-\xff]")
_KMS_BAD_CHAR: Final = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\xff]")
_BAD_CHARS: Final[Mapping[PolicyType, re.Pattern[str]]] = {
    PolicyType.IDENTITY: _IAM_BAD_CHAR,
    PolicyType.BOUNDARY: _IAM_BAD_CHAR,
    PolicyType.SESSION: _IAM_BAD_CHAR,
    PolicyType.TRUST: _IAM_BAD_CHAR,
    PolicyType.KEY: _KMS_BAD_CHAR,
}

# Policy types stored by IAM: Sids must be unique and alphanumeric
# (IAM JSON policy elements: Sid; Access Analyzer "Unsupported Sid").
_IAM_STORED: Final = frozenset(
    {PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION, PolicyType.TRUST}
)
_SID: Final = re.compile(r"[A-Za-z0-9]+")

_PARTITIONS: Final = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
_WILDCARD: Final = re.compile(r"[*?]")
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_UNIQUE_ID: Final = re.compile(r"A(?:IDA|ROA|GPA|IPA|NPA|NVA|SIA|KIA)[A-Z0-9]{12,}")
_SERVICE_PRINCIPAL: Final = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazon(?:aws)?\.com(?:\.cn)?")
_PRIVATE_BLOCKS: Final = tuple(
    ipaddress.ip_network(block)
    for block in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
_WHITESPACE_RUN: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[ \t\n\r]+')

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

# Which key types (catalog spelling) each operator family fits.
_FAMILY_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "String": frozenset({"String", "ArrayOfString", "ARN", "ArrayOfARN"}),
    "Arn": frozenset({"ARN", "ArrayOfARN"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "Bool": frozenset({"Bool", "ArrayOfBool"}),
    "Ip": frozenset({"IPAddress"}),
}
_FAMILY_EXAMPLES: Final[Mapping[str, str]] = {
    "String": "a String operator (StringEquals, StringLike, …)",
    "Arn": "an Arn operator (ArnEquals, ArnLike, …)",
    "Numeric": "a Numeric operator (NumericEquals, NumericLessThan, …)",
    "Date": "a Date operator (DateEquals, DateLessThan, …)",
    "Bool": "the Bool operator",
    "Ip": "IpAddress or NotIpAddress",
}
_TYPE_FAMILIES: Final[Mapping[str, tuple[str, ...]]] = {
    "String": ("String",),
    "ArrayOfString": ("String",),
    "ARN": ("Arn", "String"),
    "ArrayOfARN": ("Arn", "String"),
    "Numeric": ("Numeric",),
    "Date": ("Date",),
    "Bool": ("Bool",),
    "ArrayOfBool": ("Bool",),
    "IPAddress": ("Ip",),
}
_KNOWN_TYPES: Final = frozenset(_TYPE_FAMILIES)
# aws:EpochTime is documented as "Date, Numeric".
_ALSO_NUMERIC: Final = frozenset({"aws:epochtime"})
_EQUALS_OPERATORS: Final = frozenset(
    {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"}
)
_TAG_KEYS: Final = frozenset({"aws:requesttag", "aws:resourcetag", "aws:principaltag"})
_GLOBAL_KEYS_LOWER: Final = frozenset(k.lower() for k in GLOBAL_CONDITION_KEYS)
_ESCAPES: Final = re.compile(r"\$\{[*?$]\}")

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
# Condition keys whose values are account IDs.
_ACCOUNT_KEYS: Final = frozenset(
    {
        "aws:principalaccount",
        "aws:resourceaccount",
        "aws:sourceaccount",
        "aws:vpceaccount",
        "kms:calleraccount",
    }
)

_ANY_ROLE: Final = "role/cksmodel-any-role"
_ANY_SLR: Final = "role/aws-service-role/cksmodel.amazonaws.com/AWSServiceRoleForCksmodel"


# --- small helpers ----------------------------------------------------------------


def _short(text: str, limit: int = 60) -> str:
    """A value quoted for a message, cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


def _key_pos(obj: Any, key: str) -> Pos | None:
    return obj.key_pos.get(key) if isinstance(obj, PDict) else None


def _value_pos(obj: Any, key: str) -> Pos | None:
    return obj.value_pos.get(key) if isinstance(obj, PDict) else None


def _pos(value: Any) -> Pos | None:
    return value.pos if isinstance(value, PDict | PList) else None


def _text_pos(text: str, index: int) -> Pos:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return (line, column, line, column + 1)


def _nonspace_length(text: str) -> int:
    """Characters of JSON text, not counting whitespace outside string literals."""
    spaces = sum(
        m.end() - m.start() for m in _WHITESPACE_RUN.finditer(text) if text[m.start()] != '"'
    )
    return len(text) - spaces


def _variable_problem(text: str) -> str | None:
    """Why the ``${…}`` variables in ``text`` are malformed, or ``None``."""
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            return None
        end = text.find("}", start + 2)
        if end < 0:
            return f"{_short(text[start:], 30)} has no closing '}}'"
        body = text[start + 2 : end]
        pos = end + 1
        if body in ("*", "?", "$"):
            continue
        name, comma, default = body.partition(",")
        if not name.strip():
            return "an empty variable '${}'" if not body.strip() else f"'${{{body}}}' has no name"
        if any(ch.isspace() for ch in name.strip()):
            return f"'${{{body}}}' has a space in the variable name"
        if comma:
            d = default.strip()
            if len(d) < 2 or d[0] != "'" or d[-1] != "'" or "'" in d[1:-1]:
                return f"the default in '${{{body}}}' must be in single quotes, e.g. 'none'"


def _span(source: str, pos: Pos | None) -> Span | None:
    if pos is None:
        return None
    return Span(source=source, line=pos[0], column=pos[1], end_line=pos[2], end_column=pos[3])


# --- entry point ------------------------------------------------------------------


def validate_text(text: str | bytes, *, policy_type: PolicyType, source: str) -> list[Finding]:
    """Every finding for one policy document, sorted by position and code.

    ``text`` is the file's bytes or its decoded text; ``source`` names it in
    every span. Problems in the document never raise.
    """
    label = source
    try:
        if isinstance(text, bytes):
            text = decode_document(text, source)
        elif text.startswith("\ufeff"):
            raise ParseError(
                "document starts with a byte-order mark; save it as UTF-8 without BOM",
                span=Span(source=source, line=1, column=1),
                code="E_BOM",
            )
        body = unwrap_document_text(text)
        doc = parse_json(body, label)
        if isinstance(doc, str):
            label = f"{source} (embedded document)"
            body = unwrap_document_text(doc)
            doc = parse_json(body, label)
    except ParseError as exc:
        return [Finding(code=exc.code, severity=_E, message=exc.message, span=exc.span)]

    findings: list[Finding] = []
    policy = build_policy(
        doc, policy_type=policy_type, name=source, source=label, findings=findings
    )
    _Validator(policy, doc, body, label, findings).run()
    return sorted(findings, key=lambda f: f.sort_key())


# --- the checks -------------------------------------------------------------------


class _Validator:
    """The semantic checks for one built policy, appending to ``findings``."""

    def __init__(
        self, policy: Policy, doc: Any, text: str, label: str, findings: list[Finding]
    ) -> None:
        self.policy = policy
        self.type = policy.policy_type
        self.doc = doc
        self.text = text
        self.label = label
        self.findings = findings
        self._catalog: Catalog | None = None
        self._resolved: dict[str, tuple[ActionInfo, ...] | None] = {}
        self._keys: dict[str, frozenset[str]] = {}
        self.too_long: set[int] = set()
        raw_version = doc.get("Version") if isinstance(doc, Mapping) else None
        self.version_missing = isinstance(doc, Mapping) and "Version" not in doc
        self.variables_literal = self.version_missing or raw_version == VERSION_2008

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = get_catalog()
        return self._catalog

    def add(self, code: str, message: str, where: Span | Pos | None) -> None:
        severity = FINDING_CODES[code][0]
        span = where if isinstance(where, Span) or where is None else _span(self.label, where)
        self.findings.append(Finding(code=code, severity=severity, message=message, span=span))

    def usable(self, item: Value | Condition) -> bool:
        return id(item) not in self.too_long

    # --- driver ---

    def run(self) -> None:
        self.check_characters()
        self.check_size()
        if not isinstance(self.doc, Mapping):
            return
        self.check_version()
        raw_statements = self.raw_statements()
        if isinstance(self.doc.get("Statement"), list) and not self.doc["Statement"]:
            self.add(
                "W_NO_STATEMENTS",
                "the Statement list is empty, so the policy allows and denies nothing; "
                "expected at least one statement",
                _value_pos(self.doc, "Statement"),
            )
        self.check_sids(raw_statements)
        for stmt in self.policy.statements:
            raw = raw_statements[stmt.index][0] if stmt.index < len(raw_statements) else {}
            self.check_statement(stmt, raw if isinstance(raw, Mapping) else {})

    def raw_statements(self) -> list[tuple[Any, Pos | None]]:
        raw = self.doc.get("Statement")
        if isinstance(raw, Mapping):
            return [(raw, _value_pos(self.doc, "Statement"))]
        if isinstance(raw, PList):
            return [(s, raw.item_pos[i]) for i, s in enumerate(raw)]
        if isinstance(raw, list):
            return [(s, None) for s in raw]
        return []

    # --- document ---

    def check_characters(self) -> None:
        pattern = _BAD_CHARS.get(self.type)
        if pattern is None:
            return
        found = pattern.search(self.text)
        if found is None:
            return
        ch = found.group()
        self.add(
            "E_INVALID_CHARACTER",
            f"character U+{ord(ch):04X} is not allowed in a {self.type} policy; expected only "
            "tab, line feed, carriage return and characters U+0020 to U+00FF"
            + (" (printable ones)" if self.type is PolicyType.KEY else ""),
            _text_pos(self.text, found.start()),
        )

    def check_size(self) -> None:
        rule = _SIZE_LIMITS[self.type]
        where = _pos(self.doc) or (1, 1, 1, 2)
        if rule.measure == "bytes":
            size = len(self.text.encode("utf-8"))
            unit = "bytes"
        elif rule.measure == "chars":
            size = len(self.text)
            unit = "characters"
        else:
            size = _nonspace_length(self.text)
            unit = "characters (not counting whitespace)"
        if size <= rule.limit:
            return
        if rule.hard_limit is not None and size <= rule.hard_limit:
            self.add(
                "W_POLICY_SIZE_QUOTA",
                f"the policy is {size:,} {unit}; {rule.what} may have {rule.limit:,} by "
                f"default: request a quota increase (up to {rule.hard_limit:,}) or shorten it",
                where,
            )
            return
        if rule.minified_fallback and _nonspace_length(self.text) <= rule.limit:
            self.add(
                "W_POLICY_SIZE_WHITESPACE",
                f"the policy is {size:,} characters and {rule.what} may have {rule.limit:,}; "
                "every character counts through the API and CLI, so it fits only once the "
                "whitespace outside strings is removed",
                where,
            )
            return
        limit = rule.hard_limit if rule.hard_limit is not None else rule.limit
        self.add(
            "E_POLICY_TOO_LARGE",
            f"the policy is {size:,} {unit}; {rule.what} may have at most {limit:,}: "
            "split it into several policies",
            where,
        )

    def check_version(self) -> None:
        doc = self.doc
        if self.type is PolicyType.RCP and doc.get("Version") != VERSION_2012:
            if self.version_missing or doc.get("Version") == VERSION_2008:
                self.add(
                    "E_VERSION_REQUIRED",
                    f'an RCP must have "Version": "{VERSION_2012}"',
                    _value_pos(doc, "Version") or _pos(doc),
                )
            return
        if self.version_missing:
            self.add(
                "W_MISSING_VERSION",
                f"the policy has no Version, so AWS applies {VERSION_2008}, under which policy "
                f'variables such as ${{aws:username}} are literal text; add "Version": '
                f'"{VERSION_2012}"',
                _pos(doc),
            )
        elif doc.get("Version") == VERSION_2008:
            self.add(
                "G_VERSION_2008",
                f"Version {VERSION_2008} does not support policy variables; use {VERSION_2012}",
                _value_pos(doc, "Version"),
            )

    def check_sids(self, raw_statements: Sequence[tuple[Any, Pos | None]]) -> None:
        seen: dict[str, Pos | None] = {}
        iam = self.type in _IAM_STORED
        for raw, _ in raw_statements:
            if not isinstance(raw, Mapping) or not isinstance(raw.get("Sid"), str):
                continue
            sid: str = raw["Sid"]
            pos = _value_pos(raw, "Sid")
            if sid == "":
                self.add("G_EMPTY_SID", "the Sid is empty; give it a name or remove it", pos)
                continue
            if iam and not _SID.fullmatch(sid):
                self.add(
                    "E_SID_FORMAT",
                    f"Sid {_short(sid)} has characters IAM does not accept; expected only "
                    "letters A-Z, a-z and digits 0-9",
                    pos,
                )
            if sid in seen:
                first = seen[sid]
                where = f" (first at line {first[0]}, column {first[1]})" if first else ""
                self.add(
                    "E_DUPLICATE_SID" if iam else "W_DUPLICATE_SID",
                    f"Sid {_short(sid)} is used by another statement{where}; expected unique Sids",
                    pos,
                )
            else:
                seen[sid] = pos

    # --- statements ---

    def check_statement(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        self.check_lengths(stmt)
        self.check_empty_elements(stmt, raw)
        self.check_principals(stmt, raw)
        self.check_actions(stmt)
        self.check_resources(stmt, raw)
        self.check_conditions(stmt, raw)
        self.check_star_only(stmt, raw)
        self.check_public(stmt)
        self.check_wildcard_role_actions(stmt)
        self.check_condition_support(stmt)
        self.check_federated_trust(stmt)

    def check_lengths(self, stmt: Statement) -> None:
        values: list[tuple[str, Value | Condition, str, Span | None]] = []
        for element, items in (
            ("Action", stmt.actions),
            ("NotAction", stmt.not_actions or ()),
            ("Resource", stmt.resources or ()),
            ("NotResource", stmt.not_resources or ()),
        ):
            values.extend((element, v, v.text, v.span) for v in items)
        for element, pset in (("Principal", stmt.principal), ("NotPrincipal", stmt.not_principal)):
            values.extend((element, v, v.text, v.span) for v in _principal_values(pset))
        for cond in stmt.conditions:
            values.append(("Condition key", cond, cond.key, cond.span))
            values.extend(("Condition", v, v.text, v.span) for v in cond.values)
        for element, item, text, span in values:
            if len(text) > MAX_VALUE_LENGTH:
                self.too_long.add(id(item))
                self.add(
                    "E_VALUE_TOO_LONG",
                    f"this {element} value is {len(text):,} characters; expected at most "
                    f"{MAX_VALUE_LENGTH:,} (it is not checked further)",
                    span,
                )

    def check_empty_elements(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        allow = stmt.effect is Effect.ALLOW
        for element in ("Action", "Resource", "NotAction", "NotResource"):
            value = raw.get(element)
            if not (isinstance(value, list) and not value):
                continue
            pos = _value_pos(raw, element)
            if element in ("Action", "Resource"):
                self.add(
                    f"W_EMPTY_{element.upper()}",
                    f"{element} is an empty list, so the statement never applies; expected "
                    f"at least one {element.lower()}",
                    pos,
                )
            else:
                self.empty_not_element(element, allow, pos)
        for element in ("Principal", "NotPrincipal"):
            if self.type in PRINCIPAL_FORBIDDEN:
                break
            value = raw.get(element)
            pset = stmt.principal if element == "Principal" else stmt.not_principal
            if not isinstance(value, Mapping) or pset is None or _principal_values(pset):
                continue
            if any(not isinstance(v, list | str) for v in value.values()):
                continue  # a type error the builder reported
            pos = _value_pos(raw, element)
            if element == "Principal":
                self.add(
                    "W_EMPTY_PRINCIPAL",
                    "Principal names no principal, so the statement applies to nobody; "
                    "expected at least one AWS, Service, Federated or CanonicalUser value",
                    pos,
                )
            else:
                self.empty_not_element(element, allow, pos)
        condition = raw.get("Condition")
        if isinstance(condition, Mapping):
            if not condition:
                self.add(
                    "G_EMPTY_CONDITION",
                    "the Condition block is empty; remove it or add conditions",
                    _value_pos(raw, "Condition"),
                )
            for op, entries in condition.items():
                if isinstance(entries, Mapping) and not entries:
                    self.add(
                        "G_EMPTY_CONDITION",
                        f"{op} has no condition keys; remove it or add keys",
                        _key_pos(condition, op),
                    )

    def empty_not_element(self, element: str, allow: bool, pos: Pos | None) -> None:
        if allow:
            self.add(
                "S_EMPTY_NOT_ELEMENT",
                f"{element} is empty, so it excludes nothing and this Allow applies to every "
                f"{element[3:].lower()}; list what to exclude or use {element[3:]}",
                pos,
            )
        else:
            self.add(
                "W_EMPTY_NOT_ELEMENT",
                f"{element} is empty, so it excludes nothing and this Deny applies to every "
                f"{element[3:].lower()}",
                pos,
            )

    # --- principals ---

    def check_principals(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        if self.type in PRINCIPAL_FORBIDDEN:
            return  # the builder reported the element itself
        for pset in (stmt.principal, stmt.not_principal):
            if pset is None:
                continue
            for v in pset.aws:
                if self.usable(v):
                    self.check_aws_principal(v)
            for kind, values in (
                ("Service", pset.service),
                ("Federated", pset.federated),
                ("CanonicalUser", pset.canonical_user),
            ):
                for v in values:
                    if self.usable(v):
                        self.check_other_principal(kind, v)
        if stmt.not_principal is not None:
            pos = _key_pos(raw, "NotPrincipal")
            if self.type in (PolicyType.TRUST, PolicyType.RCP):
                what = "an RCP" if self.type is PolicyType.RCP else "a role trust policy"
                self.add(
                    "E_NOTPRINCIPAL_NOT_SUPPORTED",
                    f"NotPrincipal cannot be used in {what}; use Principal with a condition on "
                    "aws:PrincipalArn",
                    pos,
                )
            elif stmt.effect is Effect.ALLOW:
                self.add(
                    "S_ALLOW_WITH_NOTPRINCIPAL",
                    "Allow with NotPrincipal grants access to every other principal, anonymous "
                    "users included; name the principals in Principal instead",
                    pos,
                )
            else:
                self.add(
                    "W_DENY_WITH_NOTPRINCIPAL",
                    "Deny with NotPrincipal also denies the listed principals when they have a "
                    'permissions boundary; prefer Principal "*" with a condition on '
                    "aws:PrincipalArn",
                    pos,
                )
        if self.type is PolicyType.RCP:
            self.check_rcp(stmt, raw)

    def check_aws_principal(self, v: Value) -> None:
        text = v.text
        if text == "*":
            return
        if has_variables(text):
            self.add(
                "W_VARIABLE_NOT_SUPPORTED",
                f"policy variables are not substituted in Principal; {_short(text)} is "
                "compared as literal text",
                v.span,
            )
            return
        if _WILDCARD.search(text):
            self.add(
                "E_PRINCIPAL_WILDCARD",
                f'wildcards are not allowed in principal {_short(text)}; expected "*" alone '
                "or a complete ARN (match patterns with aws:PrincipalArn and ArnLike instead)",
                v.span,
            )
            return
        if text.isdigit():
            if not _ACCOUNT.fullmatch(text):
                self.add(
                    "E_ACCOUNT_ID",
                    f"account ID {_short(text)} has {len(text)} digits; expected 12",
                    v.span,
                )
            return
        if _UNIQUE_ID.fullmatch(text):
            self.add(
                "W_PRINCIPAL_UNIQUE_ID",
                f"{_short(text)} is a unique ID, which IAM writes when the user or role it "
                "named was deleted; a new principal with the same name does not match it. "
                "Expected an ARN",
                v.span,
            )
            return
        parts = split_arn(text)
        if parts is None or parts[2].lower() not in ("iam", "sts") or not parts[5]:
            self.add(
                "E_PRINCIPAL_FORMAT",
                f'AWS principal {_short(text)} is not valid; expected "*", a 12-digit account '
                "ID, or an ARN such as arn:aws:iam::111122223333:root or "
                "arn:aws:iam::111122223333:role/NAME",
                v.span,
            )
            return
        if not _ACCOUNT.fullmatch(parts[4]):
            self.add(
                "E_ACCOUNT_ID",
                f"the account in principal {_short(text)} is {parts[4]!r}; expected 12 digits",
                v.span,
            )

    def check_other_principal(self, kind: str, v: Value) -> None:
        text = v.text
        if has_variables(text):
            self.add(
                "W_VARIABLE_NOT_SUPPORTED",
                f"policy variables are not substituted in Principal; {_short(text)} is "
                "compared as literal text",
                v.span,
            )
            return
        if _WILDCARD.search(text):
            self.add(
                "E_PRINCIPAL_WILDCARD",
                f"wildcards are not allowed in a {kind} principal ({_short(text)}); expected a "
                "complete name",
                v.span,
            )
            return
        if kind == "Service" and not _SERVICE_PRINCIPAL.fullmatch(text):
            self.add(
                "W_SERVICE_PRINCIPAL_FORMAT",
                f"service principal {_short(text)} does not look like one; expected a name "
                "such as cks.kms.amazonaws.com",
                v.span,
            )

    def check_rcp(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        full_access = (
            stmt.principal is not None
            and stmt.principal.wildcard
            and [v.text for v in stmt.actions] == ["*"]
            and [v.text for v in stmt.resources or ()] == ["*"]
            and not stmt.conditions
        )
        if stmt.effect is Effect.ALLOW and not full_access:
            self.add(
                "E_RCP_ALLOW",
                'an RCP statement must have "Effect": "Deny"; only the AWS-managed '
                "RCPFullAWSAccess policy may allow",
                _value_pos(raw, "Effect"),
            )
        if stmt.principal is not None and not stmt.principal.wildcard:
            self.add(
                "E_RCP_PRINCIPAL",
                'an RCP statement must have "Principal": "*"; narrow it with conditions '
                "such as aws:PrincipalArn",
                _value_pos(raw, "Principal"),
            )

    # --- actions ---

    def resolve(self, pattern: str) -> tuple[ActionInfo, ...] | None:
        """The actions a well-formed pattern of a known service matches; ``None`` otherwise.

        ``"*"`` is ``None`` too: it matches everything and is never expanded.
        Wildcards are matched with the linear glob of :mod:`cksmodel.policy.patterns`.
        """
        key = pattern.lower()
        if key in self._resolved:
            return self._resolved[key]
        service, sep, name = key.partition(":")
        result: tuple[ActionInfo, ...] | None
        if (
            not sep
            or not service
            or not name
            or ":" in name
            or _WILDCARD.search(service)
            or not self.catalog.has_service(service)
        ):
            result = None
        elif not _WILDCARD.search(name):
            info = self.catalog.action(key)
            result = () if info is None else (info,)
        else:
            glob = compile_glob(name, True)
            found = (
                self.catalog.action(full)
                for full in self.catalog.actions_of(service)
                if glob.match(full.partition(":")[2])
            )
            result = tuple(info for info in found if info is not None)
        self._resolved[key] = result
        return result

    def check_actions(self, stmt: Statement) -> None:
        element = "NotAction" if stmt.not_actions is not None else "Action"
        for v in stmt.action_patterns:
            if self.usable(v):
                self.check_action(v, element)

    def check_action(self, v: Value, element: str) -> None:
        text = v.text
        if text == "*":
            return
        if has_variables(text):
            self.add(
                "W_VARIABLE_NOT_SUPPORTED",
                f"policy variables are not substituted in {element}; {_short(text)} is "
                "compared as literal text",
                v.span,
            )
            return
        service, sep, name = text.partition(":")
        if not sep or not service or not name or ":" in name or any(c.isspace() for c in text):
            self.add(
                "E_ACTION_FORMAT",
                f'action {_short(text)} is not valid; expected "*" or service:action, '
                "e.g. kms:Decrypt",
                v.span,
            )
            return
        if _WILDCARD.search(service):
            self.add(
                "E_ACTION_SERVICE_WILDCARD",
                f"action {_short(text)} has a wildcard in its service prefix, which AWS "
                "rejects; expected a service prefix such as kms, then the wildcard: kms:*",
                v.span,
            )
            return
        if not self.catalog.has_service(service):
            close = difflib.get_close_matches(service.lower(), sorted(self.catalog.services()), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.add(
                "E_UNKNOWN_SERVICE",
                f"service prefix {service!r} of action {_short(text)} does not exist{hint}",
                v.span,
            )
            return
        resolved = self.resolve(text)
        if not resolved:
            if _WILDCARD.search(name):
                self.add(
                    "W_ACTION_MATCHES_NOTHING",
                    f"{_short(text)} matches no {service.lower()} action; expected a pattern "
                    "that matches at least one action",
                    v.span,
                )
            else:
                names = [a.partition(":")[2] for a in self.catalog.actions_of(service)]
                lower = {n.lower(): n for n in names}
                close = difflib.get_close_matches(name.lower(), list(lower), n=1)
                hint = f"; did you mean {service.lower()}:{lower[close[0]]}?" if close else ""
                self.add(
                    "W_UNKNOWN_ACTION",
                    f"{_short(text)} is not a known {service.lower()} action{hint}",
                    v.span,
                )
            return
        if self.type is PolicyType.TRUST and not any(
            a.name.lower() in _TRUST_ACTIONS for a in resolved
        ):
            self.add(
                "W_TRUST_ACTION",
                f"{_short(text)} has no effect in a trust policy; expected sts:AssumeRole, "
                "sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, "
                "sts:SetSourceIdentity or sts:SetContext",
                v.span,
            )
        if self.type is PolicyType.KEY and not any(_acts_on_key(a) for a in resolved):
            self.add(
                "W_KEY_POLICY_ACTION",
                f"{_short(text)} does not act on a KMS key, so it has no effect in a key "
                "policy; grant it in an IAM policy"
                + (' with Resource "*"' if all(a.star_only for a in resolved) else ""),
                v.span,
            )

    def check_star_only(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        """Actions without a resource type are authorized only against Resource "*"."""
        if stmt.resources is None or not stmt.actions or self.type is PolicyType.TRUST:
            return
        if any(self.usable(r) and compile_glob(r.text).match("*") for r in stmt.resources):
            return
        star_only: list[Value] = []
        others = 0
        for v in stmt.actions:
            resolved = self.resolve(v.text) if self.usable(v) and v.text != "*" else None
            if resolved and all(a.star_only for a in resolved):
                star_only.append(v)
            else:
                others += 1
        if not star_only:
            return
        verb = "grants" if stmt.effect is Effect.ALLOW else "denies"
        if not others:
            names = ", ".join(v.text for v in star_only[:4]) + (", …" if len(star_only) > 4 else "")
            self.add(
                "E_ACTION_REQUIRES_STAR_RESOURCE",
                f"{names} {'has' if len(star_only) == 1 else 'have'} no resource type and "
                f'{"is" if len(star_only) == 1 else "are"} authorized only with "Resource": "*"; '
                f"this statement names only specific resources, so it {verb} nothing",
                _value_pos(raw, "Resource") or stmt.span,
            )
            return
        for v in star_only:
            self.add(
                "W_ACTION_REQUIRES_STAR_RESOURCE",
                f'{_short(v.text)} is authorized only with "Resource": "*", which this '
                f"statement does not name, so the statement never {verb} it; move it to a "
                'statement with "Resource": "*"',
                v.span,
            )

    def statement_covers(self, stmt: Statement, action: str) -> bool:
        if stmt.not_actions is not None:
            return not any(
                not self.usable(v) or compile_glob(v.text, True).match(action)
                for v in stmt.not_actions
            )
        return any(
            self.usable(v) and compile_glob(v.text, True).match(action) for v in stmt.actions
        )

    def check_wildcard_role_actions(self, stmt: Statement) -> None:
        if self.type is not PolicyType.IDENTITY or stmt.effect is not Effect.ALLOW:
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
            if not self.statement_covers(stmt, action.lower()):
                continue
            if not self.resources_cover_any_role(stmt, subject):
                continue
            if any(c.key_lower == key.lower() and c.base not in NEGATED for c in stmt.conditions):
                continue
            self.add(
                code,
                f"this statement allows {action} on every role, which {what}; name the roles "
                f"in Resource or add a condition on {key}",
                stmt.span,
            )

    def resources_cover_any_role(self, stmt: Statement, resource: str) -> bool:
        if stmt.not_resources is not None:
            return True
        for r in stmt.resources or ():
            if not self.usable(r):
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

    # --- resources ---

    def check_resources(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        if self.type is PolicyType.TRUST:
            for element in ("Resource", "NotResource"):
                if element in raw:
                    self.add(
                        "E_RESOURCE_NOT_ALLOWED",
                        f"a role trust policy cannot have {element} (IAM rejects it: the "
                        "resource is the role itself); remove it",
                        _key_pos(raw, element),
                    )
            return
        for v in (stmt.resources or ()) + (stmt.not_resources or ()):
            if self.usable(v):
                self.check_resource(v)

    def check_resource(self, v: Value) -> None:
        text = v.text
        if text == "*":
            return
        if has_variables(text):
            self.check_variables(v, "Resource")
        parts = split_arn(text)
        if parts is None:
            self.add(
                "E_ARN_FORMAT",
                f'resource {_short(text)} is not valid; expected "*" or an ARN '
                "arn:partition:service:region:account:resource (six parts)",
                v.span,
            )
            return
        partition, service, _region, account, resource = parts[1:]
        if not service:
            self.add(
                "E_ARN_FORMAT",
                f"resource {_short(text)} has an empty service part; expected e.g. "
                "arn:aws:kms:REGION:ACCOUNT:key/ID",
                v.span,
            )
            return
        if not resource:
            self.add(
                "E_ARN_FORMAT",
                f"resource {_short(text)} has an empty resource part; expected e.g. key/ID "
                "or a wildcard",
                v.span,
            )
            return
        if (
            not _WILDCARD.search(partition)
            and not has_variables(partition)
            and partition.lower() not in _PARTITIONS
        ):
            self.add(
                "W_ARN_PARTITION",
                f"{partition!r} is not an AWS partition, so {_short(text)} matches nothing; "
                f"expected one of {', '.join(sorted(_PARTITIONS))}",
                v.span,
            )
        if _WILDCARD.search(service):
            self.add(
                "W_ARN_SERVICE_WILDCARD",
                f"{_short(text)} has a wildcard in its service part and matches resources of "
                "every service; expected a service such as kms",
                v.span,
            )
        if (
            account
            and account != "aws"
            and not _WILDCARD.search(account)
            and not has_variables(account)
            and not _ACCOUNT.fullmatch(account)
        ):
            self.add(
                "E_ACCOUNT_ID",
                f"the account in {_short(text)} is {account!r}; expected 12 digits, a "
                "wildcard or nothing",
                v.span,
            )
        if not self.variables_literal and any(has_variables(p) for p in parts[:5]):
            self.add(
                "W_VARIABLE_OUTSIDE_RESOURCE",
                f"in {_short(text)} a policy variable outside the resource part of the ARN is "
                "not substituted and is matched as literal text; use it after the fifth ':'",
                v.span,
            )

    # --- policy variables ---

    def check_variables(self, v: Value, element: str) -> None:
        """Variables where they are substituted: Resource, String/Arn condition values."""
        if self.variables_literal:
            self.add(
                "W_VARIABLE_WITHOUT_VERSION",
                f"{_short(v.text)} uses a policy variable, but without "
                f'"Version": "{VERSION_2012}" it is literal text; add that Version',
                v.span,
            )
            return
        problem = _variable_problem(v.text)
        if problem is not None:
            self.add(
                "E_VARIABLE_SYNTAX",
                f"malformed policy variable in {element}: {problem}; expected ${{key}} or "
                "${key, 'default'}",
                v.span,
            )
            return
        for name in variable_names(v.text):
            if ":" in name and self.catalog.condition_key(name) is None:
                self.add(
                    "W_UNKNOWN_VARIABLE",
                    f"policy variable ${{{name}}} names no known condition key, so it never "
                    "resolves and the value never matches",
                    v.span,
                )

    # --- conditions ---

    def check_conditions(self, stmt: Statement, raw: Mapping[str, Any]) -> None:
        for cond in stmt.conditions:
            if self.usable(cond):
                self.check_condition(cond)

    def check_condition(self, cond: Condition) -> None:
        family = OPERATOR_FAMILIES[cond.base]
        prefix, colon, name = cond.key.partition(":")
        if not colon or not prefix or not name:
            self.add(
                "E_CONDITION_KEY_FORMAT",
                f"condition key {_short(cond.key)} is not valid; expected service:name, "
                "e.g. kms:CallerAccount",
                cond.span,
            )
            return
        info = self.catalog.condition_key(cond.key)
        if info is None:
            if cond.key_lower in _TAG_KEYS:
                self.add(
                    "E_MISSING_TAG_KEY",
                    f"{cond.key} needs a tag key; expected {cond.key}/TAG-KEY",
                    cond.span,
                )
            elif "." not in prefix:  # web identity keys (accounts.google.com:sub) vary
                known = "global" if prefix.lower() == "aws" else prefix.lower()
                self.add(
                    "W_UNKNOWN_CONDITION_KEY",
                    f"{_short(cond.key)} is not a known {known} condition key, so it is "
                    "never in the request context",
                    cond.span,
                )
        else:
            self.check_key_type(cond, family, info.type, info.name)
            self.check_qualifier(cond, info.multi_valued, info.name)
        if not cond.values:
            self.add(
                "W_EMPTY_CONDITION_VALUES",
                f"{cond.operator} gives {cond.key} no values; expected at least one",
                cond.span,
            )
            return
        for v in cond.values:
            if self.usable(v):
                self.check_condition_value(cond, family, v)
        self.check_value_set(cond, family)

    def check_key_type(self, cond: Condition, family: str, key_type: str, name: str) -> None:
        if family not in _FAMILY_TYPES or key_type not in _KNOWN_TYPES:
            return
        if key_type in _FAMILY_TYPES[family]:
            return
        if family == "Numeric" and cond.key_lower in _ALSO_NUMERIC:
            return
        wanted = _TYPE_FAMILIES.get(key_type, ())
        expected = " or ".join(_FAMILY_EXAMPLES[f] for f in wanted) or "another operator"
        self.add(
            "W_OPERATOR_KEY_TYPE",
            f"{cond.operator} compares {family} values, but {name} is of type {key_type}; "
            f"expected {expected}",
            cond.span,
        )

    def check_qualifier(self, cond: Condition, multi_valued: bool, name: str) -> None:
        if cond.base == "Null":
            return
        if cond.qualifier is Qualifier.FOR_ALL_VALUES and not multi_valued:
            self.add(
                "S_FORALLVALUES_SINGLE_VALUED",
                f"ForAllValues on the single-valued key {name} also holds when the key is "
                f"absent, which can be overly permissive; remove ForAllValues:",
                cond.span,
            )
        elif cond.qualifier is Qualifier.FOR_ANY_VALUE and not multi_valued:
            self.add(
                "G_FORANYVALUE_SINGLE_VALUED",
                f"{name} is single-valued, so ForAnyValue: changes nothing; remove it",
                cond.span,
            )
        elif cond.qualifier is Qualifier.NONE and multi_valued:
            self.add(
                "W_MISSING_QUALIFIER",
                f"{name} can have several values in one request; expected "
                f"ForAnyValue:{cond.operator} (any value matches) or "
                f"ForAllValues:{cond.operator} (every value matches)",
                cond.span,
            )

    def check_condition_value(self, cond: Condition, family: str, v: Value) -> None:
        text = v.text
        if has_variables(text):
            if family in ("String", "Arn"):
                self.check_variables(v, "Condition")
                return
            if family != "Null":
                self.add(
                    "W_VARIABLE_NOT_SUPPORTED",
                    f"policy variables are substituted only with String and Arn operators; "
                    f"with {cond.operator}, {_short(text)} is literal text",
                    v.span,
                )
                return
        problem: tuple[str, str] | None = None
        if family == "Date" and parse_date(text) is None:
            problem = (
                "W_DATE_VALUE",
                "a date such as 2026-01-31, a date and time such as 2026-01-31T12:00:00Z, "
                "or epoch seconds",
            )
        elif family == "Numeric" and parse_number(text) is None:
            problem = ("W_NUMERIC_VALUE", "a number such as 3600")
        elif family == "Ip":
            network = parse_network(text)
            if network is None:
                problem = (
                    "W_IP_VALUE",
                    "an IPv4 or IPv6 address or CIDR such as 203.0.113.0/24 or 2001:db8::/32",
                )
            elif str(network) != text.strip() and "/" in text:
                self.add(
                    "G_IP_HOST_BITS",
                    f"{_short(text)} has bits set after the prefix length, which are ignored; "
                    f"write {network}",
                    v.span,
                )
        elif family in ("Bool", "Null") and text.lower() not in ("true", "false"):
            problem = ("W_BOOL_VALUE", "true or false")
        elif family == "Binary" and not _is_base64(text):
            problem = ("W_BINARY_VALUE", "a base64-encoded value")
        elif family == "Arn" and text != "*" and split_arn(text) is None:
            problem = ("W_ARN_VALUE", "an ARN arn:partition:service:region:account:resource")
        elif (
            family == "String"
            and cond.key_lower in _ACCOUNT_KEYS
            and not _WILDCARD.search(text)
            and not _ACCOUNT.fullmatch(text)
        ):
            problem = ("W_ACCOUNT_ID_VALUE", "a 12-digit account ID")
        elif cond.base in _EQUALS_OPERATORS and _WILDCARD.search(_ESCAPES.sub("", text)):
            like = "StringNotLike" if "Not" in cond.base else "StringLike"
            self.add(
                "W_WILDCARD_WITHOUT_LIKE",
                f"{cond.operator} treats * and ? in {_short(text)} as literal characters; "
                f"if they are wildcards, use {like}",
                v.span,
            )
        if problem is not None:
            code, expected = problem
            self.add(
                code,
                f"{_short(text)} is not a valid value for {cond.operator}, so it never "
                f"matches; expected {expected}",
                v.span,
            )

    def check_value_set(self, cond: Condition, family: str) -> None:
        if family == "Bool" and {v.text.lower() for v in cond.values} >= {"true", "false"}:
            self.add(
                "W_BOOL_BOTH_VALUES",
                f"{cond.operator} lists both true and false for {cond.key}, so it holds "
                "whenever the key is present; expected one value",
                cond.span,
            )
        if family == "Ip" and cond.key_lower == "aws:sourceip":
            networks = [parse_network(v.text) for v in cond.values]
            if networks and all(n is not None and _is_private(n) for n in networks):
                self.add(
                    "W_PRIVATE_SOURCE_IP",
                    "aws:SourceIp is the public address a request comes from, so it never "
                    "matches these private ranges; use aws:VpcSourceIp for addresses inside a "
                    "VPC",
                    cond.span,
                )

    # --- cross-element checks ---

    def check_public(self, stmt: Statement) -> None:
        if stmt.effect is not Effect.ALLOW or stmt.principal is None:
            return
        if self.type not in (PolicyType.KEY, PolicyType.TRUST, PolicyType.RESOURCE):
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
        }[self.type]
        self.add(
            "S_PUBLIC_PRINCIPAL",
            f'Principal "*" without a narrowing condition lets anyone, in any account, {what}; '
            "add a condition on aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, "
            "aws:SourceAccount, aws:SourceArn, aws:SourceVpce or kms:CallerAccount",
            pset.span,
        )

    def check_condition_support(self, stmt: Statement) -> None:
        """A service key that none of the statement's actions supports is never present."""
        if not stmt.actions or not stmt.conditions or self.type is PolicyType.TRUST:
            return
        candidates: list[tuple[Condition, str]] = []
        for cond in stmt.conditions:
            if (
                not self.usable(cond)
                or cond.base == "Null"
                or cond.base in NEGATED
                or cond.if_exists
                or cond.qualifier is Qualifier.FOR_ALL_VALUES
            ):
                continue
            prefix = cond.key_lower.partition(":")[0]
            if prefix == "aws" or "." in prefix:
                continue
            info = self.catalog.condition_key(cond.key)
            if info is not None and info.name.lower() not in _GLOBAL_KEYS_LOWER:
                candidates.append((cond, info.name.lower()))
        if not candidates:
            return
        supported: set[str] = set()
        names: set[str] = set()
        for v in stmt.actions:
            resolved = self.resolve(v.text) if self.usable(v) else None
            if not resolved:
                return
            supported |= self.keys_of(v.text)
            names.update(a.name for a in resolved)
        listed = ", ".join(sorted(names)[:4]) + (", …" if len(names) > 4 else "")
        for cond, name in candidates:
            if name in supported:
                continue
            if stmt.effect is Effect.ALLOW:
                self.add(
                    "W_CONDITION_KEY_NOT_SUPPORTED",
                    f"{cond.key} is not in the request context of {listed}, so this condition "
                    "never holds and the statement never allows them; use a key these actions "
                    "support",
                    cond.span,
                )
            else:
                self.add(
                    "S_DENY_CONDITION_KEY_NOT_SUPPORTED",
                    f"{cond.key} is not in the request context of {listed}, so this condition "
                    "never holds and the Deny never applies; use a key these actions support",
                    cond.span,
                )

    def keys_of(self, pattern: str) -> frozenset[str]:
        """Lower-case condition keys supported by any action a pattern matches (cached)."""
        key = pattern.lower()
        found = self._keys.get(key)
        if found is None:
            found = frozenset(
                k.lower() for a in self.resolve(pattern) or () for k in a.condition_keys
            )
            self._keys[key] = found
        return found

    def check_federated_trust(self, stmt: Statement) -> None:
        if (
            self.type is not PolicyType.TRUST
            or stmt.effect is not Effect.ALLOW
            or stmt.principal is None
            or not self.statement_covers(stmt, "sts:assumerolewithwebidentity")
        ):
            return
        for v in stmt.principal.federated:
            _, marker, host = v.text.partition(":oidc-provider/")
            if not marker or not host or not self.usable(v):
                continue
            wanted = f"{host.lower()}:sub"
            if any(
                c.key_lower == wanted and c.base not in NEGATED and c.base != "Null"
                for c in stmt.conditions
            ):
                continue
            self.add(
                "S_FEDERATED_TRUST_UNSCOPED",
                f"any identity that {host} issues a token to can assume this role; add a "
                f"condition on {host}:sub (and {host}:aud)",
                v.span,
            )


def _principal_values(pset: PrincipalSet | None) -> tuple[Value, ...]:
    if pset is None:
        return ()
    return pset.aws + pset.service + pset.federated + pset.canonical_user


def _acts_on_key(action: ActionInfo) -> bool:
    return action.service == "kms" and any(rt.lower() == "key" for rt in action.resource_types)


def _narrows(cond: Condition) -> bool:
    """Does this condition pin the caller's identity, account, organization or origin?"""
    if cond.key_lower not in _NARROWING_KEYS:
        return False
    if cond.base in NEGATED or cond.base == "Null" or cond.if_exists:
        return False
    if cond.qualifier is Qualifier.FOR_ALL_VALUES or not cond.values:
        return False
    return all(v.text.strip("*?") != "" for v in cond.values)


def _is_private(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Inside RFC 1918, shared (RFC 6598), loopback, link-local or unique-local space."""
    return any(
        network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]
        for block in _PRIVATE_BLOCKS
    )


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
