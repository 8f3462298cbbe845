"""Every finding code the validator reports, with its severity and one-line meaning.

One table, so the checks (a finding's severity comes from here) and the tests
(every code must be exercised) agree on the vocabulary. Severities follow the
IAM Access Analyzer vocabulary and every code starts with the letter of its
severity: ``E_`` ERROR (AWS would reject the document, or the model cannot use
it), ``S_`` SECURITY_WARNING (it grants more than it seems to), ``W_`` WARNING
(it probably does not do what was meant), ``G_`` SUGGESTION (style). Where a
code departs from Access Analyzer's severity its entry says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from cksmodel.policy.findings import Severity

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
    "E_NUMBER": (_E, "a number has more digits than the interpreter reads (4,300 by default)"),
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
    "W_POLICY_SIZE_KIND": (
        _W,
        "an identity policy of unknown kind (no --policy-kind) larger than a customer "
        "managed policy may be; the quota depends on the kind",
    ),
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
    "W_UNKNOWN_SERVICE": (
        _W,
        "an action whose service prefix the IAM catalog does not have: a retired service "
        "(AWS's own policies still name some), one newer than the catalog, or a typo; IAM "
        "accepts the policy",
    ),
    "W_UNKNOWN_ACTION": (
        _W,
        "an action the IAM catalog does not know (Access Analyzer: ERROR; a WARNING here "
        "because a catalog snapshot can lag behind AWS, and retired actions stay in AWS's "
        "own policies)",
    ),
    "W_ACTION_MATCHES_NOTHING": (_W, "an action wildcard that matches no action of its service"),
    "W_ACTION_REQUIRES_STAR_RESOURCE": (
        _W,
        "an action the catalog lists without a resource type (e.g. kms:CreateCustomKeyStore) "
        'in a statement that names neither "*" nor every resource of its service (such as '
        "arn:aws:s3:::*): the model never applies the statement to it (Access Analyzer: "
        "ERROR; a WARNING here because AWS's own policies grant such actions on resources "
        "the reference does not list, e.g. ssmmessages:OpenDataChannel on SSM sessions)",
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
    "W_ARN_EMPTY_RESOURCE": (
        _W,
        "an ARN with an empty resource part (arn:aws:organizations::*: is in an AWS managed "
        "policy): IAM accepts it, it matches no resource",
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
"""Every code :func:`cksmodel.policy.validate.validate_text` can report: severity and meaning."""
