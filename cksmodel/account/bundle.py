"""Account bundles: what the AWS CLI prints about one account, read into the IR.

A bundle is a directory holding the unmodified output of a few AWS CLI
commands (``examples/collect.sh`` writes one), so that every question about
the account can be answered offline and every answer can name the file, line
and column it came from::

    account.json
        written by hand or by collect.sh (see below)
    iam/account-authorization-details.json
        aws iam get-account-authorization-details
    kms/custom-key-stores.json                              (optional)
        aws kms describe-custom-key-stores
    kms/keys/<key-id>/describe-key.json
        aws kms describe-key --key-id KEY
    kms/keys/<key-id>/key-policy.json
        aws kms get-key-policy --key-id KEY --policy-name default
    kms/keys/<key-id>/grants.json                           (optional)
        aws kms list-grants --key-id KEY
    cloudhsm/clusters.json                                  (optional)
        aws cloudhsmv2 describe-clusters
    organizations/scp/<NN>-<target>/<policy-id>.json        (optional)
    organizations/rcp/<NN>-<target>/<policy-id>.json        (optional)
        aws organizations describe-policy --policy-id ID, one file per policy
        attached to the target; NN orders the levels: 00 is the root, then
        each OU from the top, the account last (00-r-ab12, 01-ou-ab12-cd34ef56,
        02-111122223333)

``account.json`` is the one file no AWS command prints (``collect.sh`` writes it
from ``aws sts get-caller-identity`` and ``aws organizations describe-organization``)::

    {"account_id": "111122223333", "partition": "aws",
     "organization_id": "o-exampleorgid", "management_account": "999999999999",
     "regions": ["us-east-1", "eu-west-1"]}

``account_id`` is required; ``partition`` defaults to ``aws``; the others are
optional. ``regions`` lists the regions the bundle describes (``collect.sh``
collects one region per run).

Every policy document may be a JSON object, a JSON string holding one, or a
URL-encoded string, as IAM returns them. In the identity-policy IR, the
policies in force are: inline policies, plus the default version
(``IsDefaultVersion``) of each attached managed policy, plus, for users, the
inline and attached policies of their groups. Policy names say where each
policy came from (``user/alice/inline/Oncall``, ``group/ops/inline/Logs``,
``role/app/inline/Kms``, ``role/app/trust``, ``managed/ARN``,
``boundary/ARN``, ``key/KEY-ID/key-policy``, ``scp/01-ou-x/NAME``) and their
spans name the bundle file (for documents given as strings: the file and
position of the string, then the position inside the decoded document).

Service-linked roles, such as ``AWSServiceRoleForKeyManagementServiceCustomKeyStores``
(path ``/aws-service-role/cks.kms.amazonaws.com/``), are ordinary roles here, and
their AWS managed policies ordinary entries of ``Policies``;
:attr:`IamPrincipal.service_linked` tells them apart.

Errors (:class:`BundleError`, an :class:`~cksmodel.errors.InputError`) name
the file, line and column and what was expected: a missing bundle directory,
``account.json`` or IAM file; malformed JSON (codes of
:mod:`cksmodel.policy.jsontext`, e.g. ``E_SYNTAX``); malformed policies (codes of
:mod:`cksmodel.policy.parse`); wrong shapes, missing key files and dangling
references (``E_BUNDLE``); unreadable files (``E_IO``). Missing optional
parts are not errors: :attr:`Account.warnings` says, for each, how it weakens
the answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cksmodel.concrete.request import SERVICE_LINKED_ROLE_PATH, Principal, parse_principal
from cksmodel.errors import InputError, ScenarioError
from cksmodel.policy.ir import Grant, Policy, PolicySet, PolicyType
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, PDict, PList, decode_document, parse_json
from cksmodel.policy.parse import load_policy
from cksmodel.policy.patterns import ContextValue
from cksmodel.source import Span

__all__ = [
    "Account",
    "BundleError",
    "Cluster",
    "CustomKeyStore",
    "Group",
    "IamPrincipal",
    "Key",
    "load_bundle",
]

MAX_BUNDLE_FILE_BYTES = 256 * 1024 * 1024
"""Largest bundle file read; IAM details of large accounts run to tens of MB."""

STORE_STATES = ("CONNECTED", "CONNECTING", "DISCONNECTED", "DISCONNECTING", "FAILED")
"""Values of a custom key store's ``ConnectionState``."""

ACCOUNT_KEYS = ("account_id", "partition", "organization_id", "management_account", "regions")

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_LEVEL_DIR = re.compile(r"^(\d{2})-(\S+)$")

ORG_POLICY_TYPES = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}


class BundleError(InputError):
    """An account bundle cannot be used; the span names the file, line and column."""

    code = "E_BUNDLE"


# --- the model ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class IamPrincipal:
    """An IAM user or role of the account, with every policy that applies to it.

    ``policies`` are the identity policies in force: inline policies and the
    default versions of attached managed policies, and for users also those of
    their groups, in that order without duplicates.
    """

    kind: Literal["user", "role"]
    arn: str
    name: str
    path: str
    account: str
    unique_id: str | None = None
    policies: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    trust_policy: Policy | None = None
    groups: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1]

    @property
    def service_linked(self) -> bool:
        """A service-linked role (path under ``/aws-service-role/``)."""
        return self.kind == "role" and self.path.startswith(SERVICE_LINKED_ROLE_PATH)

    def session_arn(self, session_name: str = "session") -> str:
        """The ARN of a session of this role (``arn:aws:sts::ACCOUNT:assumed-role/NAME/S``)."""
        if self.kind != "role":
            raise ValueError(f"{self.arn} is a user; only roles have sessions")
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.name}/{session_name}"

    def caller_arn(self, session_name: str = "session") -> str:
        """The ARN that calls AWS: the user's own ARN, or a session of the role."""
        return self.arn if self.kind == "user" else self.session_arn(session_name)

    def request_principal(self, session_name: str = "session") -> Principal:
        """The caller as :class:`cksmodel.concrete.request.Principal`, role path included."""
        if self.kind == "user":
            return parse_principal(self.arn)
        return parse_principal(self.session_arn(session_name), role_arn=self.arn)


@dataclass(frozen=True, kw_only=True, slots=True)
class Group:
    """An IAM group: its members get ``policies`` (inline, then attached managed)."""

    name: str
    arn: str
    policies: tuple[Policy, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Key:
    """A KMS key, its key policy and its grants."""

    key_id: str
    arn: str
    account: str
    region: str
    policy: Policy
    grants: tuple[Grant, ...] = ()
    custom_key_store_id: str | None = None
    origin: str = "AWS_KMS"
    key_spec: str = "SYMMETRIC_DEFAULT"
    key_state: str = "Enabled"
    key_manager: str = "CUSTOMER"

    @property
    def in_custom_key_store(self) -> bool:
        return self.custom_key_store_id is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class CustomKeyStore:
    """A custom key store as ``aws kms describe-custom-key-stores`` describes it."""

    id: str
    name: str
    state: str
    cluster_id: str | None = None
    store_type: str = "AWS_CLOUDHSM"
    connection_error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Cluster:
    """A CloudHSM cluster; ``hsms`` are (availability zone, state) pairs."""

    id: str
    state: str
    hsms: tuple[tuple[str, str], ...] = ()

    @property
    def active_zones(self) -> tuple[str, ...]:
        """The availability zones holding at least one ACTIVE HSM, sorted."""
        return tuple(sorted({zone for zone, state in self.hsms if state == "ACTIVE"}))


@dataclass(frozen=True, kw_only=True, slots=True)
class Account:
    """Everything a bundle says about one account."""

    account_id: str
    partition: str = "aws"
    organization_id: str | None = None
    management_account: str | None = None
    regions: tuple[str, ...] = ()
    principals: tuple[IamPrincipal, ...] = ()
    groups: tuple[Group, ...] = ()
    managed_policies: dict[str, Policy] = field(default_factory=dict, hash=False)
    keys: tuple[Key, ...] = ()
    stores: tuple[CustomKeyStore, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    warnings: tuple[str, ...] = ()
    root: Path = Path(".")

    def principal(self, arn_or_name: str) -> IamPrincipal | None:
        """A user or role by ARN, role-session ARN, ``user/NAME``, ``role/NAME`` or name.

        Names compare case-insensitively, as IAM keeps them unique. A bare name
        held by both a user and a role raises :class:`BundleError`.
        """
        text = arn_or_name.strip()
        kind: str | None = None
        name = text
        if text.startswith("arn:"):
            exact = [p for p in self.principals if p.arn == text]
            if exact:
                return exact[0]
            parts = text.split(":", 5)
            if len(parts) != 6 or parts[4] != self.account_id:
                return None
            head, _, rest = parts[5].partition("/")
            if head == "assumed-role":
                kind, name = "role", rest.partition("/")[0]
            elif head in ("user", "role"):
                kind, name = head, rest.rpartition("/")[2]
            else:
                return None
        elif text.startswith(("user/", "role/")):
            kind, _, rest = text.partition("/")
            name = rest.rpartition("/")[2]
        folded = name.casefold()
        found = [
            p
            for p in self.principals
            if p.name.casefold() == folded and (kind is None or p.kind == kind)
        ]
        if len(found) > 1:
            raise BundleError(
                f"{arn_or_name!r} names both a user and a role; write user/{name} or role/{name}",
                code="E_AMBIGUOUS",
            )
        return found[0] if found else None

    def group(self, name: str) -> Group | None:
        """A group by name (case-insensitively, as IAM keeps names unique) or ARN."""
        folded = name.strip().casefold()
        return next(
            (g for g in self.groups if folded in (g.name.casefold(), g.arn.casefold())), None
        )

    def key(self, key_id_or_arn: str) -> Key | None:
        """A key by key id or key ARN."""
        folded = key_id_or_arn.strip().casefold()
        for key in self.keys:
            if folded in (key.key_id.casefold(), key.arn.casefold()):
                return key
        return None

    def store(self, store_id: str) -> CustomKeyStore | None:
        return next((s for s in self.stores if s.id == store_id), None)

    def cluster(self, cluster_id: str) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)

    def keys_in_store(self, store_id: str) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k.custom_key_store_id == store_id)

    def policy_set(
        self,
        principal: IamPrincipal,
        *,
        resource_policy: Policy | None = None,
        grants: Iterable[Grant] = (),
        session_policy: Policy | None = None,
    ) -> PolicySet:
        """The policies deciding a request by ``principal`` (or a session of it).

        Identity policies and boundary come from the principal, SCP and RCP
        levels and the management account from the bundle; the resource's own
        policy (a key policy, a trust policy) and grants are the caller's to add,
        e.g. ``account.policy_set(p, resource_policy=key.policy, grants=key.grants)``.
        """
        return PolicySet(
            identity=principal.policies,
            boundary=principal.boundary,
            session=session_policy,
            resource=resource_policy,
            scps=self.scps,
            rcps=self.rcps,
            grants=tuple(grants),
            management_account=self.management_account,
        )

    def context(self, principal: IamPrincipal) -> dict[str, ContextValue]:
        """Context keys the bundle knows for a caller (lower-case names).

        ``aws:PrincipalOrgID`` when the account is in an organization, and
        ``aws:PrincipalTag/KEY`` for each tag of the principal.
        """
        out: dict[str, ContextValue] = {}
        if self.organization_id is not None and principal.account == self.account_id:
            out["aws:principalorgid"] = self.organization_id
        for tag, value in principal.tags.items():
            out[f"aws:principaltag/{tag}".lower()] = value
        return out


# --- reading JSON files ------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return f"the string {value[:40]!r}" if isinstance(value, str) else type(value).__name__


def _start(source: str) -> Span:
    return Span(source=source, line=1, column=1)


@dataclass(frozen=True, slots=True)
class _Doc:
    """One parsed bundle file; builds errors at positions inside it."""

    source: str
    value: Any

    def span(self, container: Any, key: str | int | None = None) -> Span:
        pos = None
        if isinstance(container, PDict):
            pos = container.value_pos.get(key) if isinstance(key, str) else None
            pos = pos or container.pos
        elif isinstance(container, PList):
            pos = container.pos
            if isinstance(key, int) and 0 <= key < len(container.item_pos):
                pos = container.item_pos[key]
        if pos is None:
            return _start(self.source)
        return Span(
            source=self.source, line=pos[0], column=pos[1], end_line=pos[2], end_column=pos[3]
        )

    def fail(
        self, message: str, container: Any, key: str | int | None = None, *, code: str | None = None
    ) -> BundleError:
        return BundleError(message, span=self.span(container, key), code=code)

    def root_obj(self, what: str) -> PDict:
        if not isinstance(self.value, PDict):
            raise self.fail(f"expected {what} (a JSON object), not {_describe(self.value)}", None)
        return self.value

    def obj(self, container: PDict, key: str, what: str) -> PDict:
        value = container.get(key)
        if key not in container:
            raise self.fail(f"{what} has no {key!r}; expected an object there", container)
        if not isinstance(value, PDict):
            raise self.fail(f"{key} must be an object, not {_describe(value)}", container, key)
        return value

    def opt_obj(self, container: PDict, key: str) -> PDict | None:
        if container.get(key) is None:
            return None
        return self.obj(container, key, key)

    def items(self, container: PDict, key: str, what: str, *, required: bool = True) -> PList:
        value = container.get(key)
        if value is None and not required:
            empty = PList()
            empty.pos = container.pos
            return empty
        if key not in container:
            raise self.fail(f"{what} has no {key!r}; expected a list there", container)
        if not isinstance(value, PList):
            raise self.fail(f"{key} must be a list, not {_describe(value)}", container, key)
        return value

    def objects(
        self, container: PDict, key: str, what: str, *, required: bool = True
    ) -> Iterator[tuple[int, PDict]]:
        """The items of a list of objects, each checked to be an object."""
        items = self.items(container, key, what, required=required)
        for index, item in enumerate(items):
            if not isinstance(item, PDict):
                raise self.fail(
                    f"each item of {key} must be an object, not {_describe(item)}", items, index
                )
            yield index, item

    def text(self, container: PDict, key: str, what: str) -> str:
        value = container.get(key)
        if key not in container:
            raise self.fail(f"{what} has no {key!r}; expected a string there", container)
        if not isinstance(value, str) or not value:
            raise self.fail(
                f"{key} must be a non-empty string, not {_describe(value)}", container, key
            )
        return value

    def opt_text(self, container: PDict, key: str) -> str | None:
        if container.get(key) is None:
            return None
        return self.text(container, key, key)

    def texts(self, container: PDict, key: str) -> tuple[str, ...]:
        items = self.items(container, key, key, required=False)
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise self.fail(
                    f"each item of {key} must be a non-empty string, not {_describe(item)}",
                    items,
                    index,
                )
        return tuple(items)

    def not_truncated(self, container: PDict, flag: str, command: str) -> None:
        if container.get(flag) is True:
            raise self.fail(
                f"the output is truncated ({flag} is true); run `{command}` "
                "without --max-items or --no-paginate so the AWS CLI fetches every page",
                container,
                flag,
            )

    def policy(self, container: PDict, key: str, policy_type: PolicyType, name: str) -> Policy:
        """Build the policy document held at ``container[key]``."""
        if key not in container:
            raise self.fail(f"{name}: no {key!r}; expected a policy document there", container)
        value = container[key]
        if isinstance(value, PDict):
            source = self.source
        elif isinstance(value, str):
            source = f"{self.span(container, key)} {name} (embedded document)"
        else:
            raise self.fail(
                f"{name}: {key} must be a policy document (an object, or a string holding "
                f"one, URL-encoded or not), not {_describe(value)}",
                container,
                key,
            )
        try:
            return load_policy(value, policy_type=policy_type, name=name, source=source)
        except InputError as exc:
            raise BundleError(f"{name}: {exc.message}", span=exc.span, code=exc.code) from None


def _parse_large(text: str, source: str) -> Any:
    """``parse_json`` for bundle files over its 1 MiB document limit.

    Private stand-in until :func:`cksmodel.policy.jsontext.parse_json` takes a limit.
    """
    from lark.exceptions import UnexpectedInput

    from cksmodel.policy import jsontext

    jsontext._check_depth(text, source)
    try:
        node: Any = jsontext._parser().parse(text)
    except UnexpectedInput as exc:
        raise jsontext._syntax_error(exc, text, source) from None
    except jsontext._PositionedError as exc:
        line, column, end_line, end_column = exc.pos
        span = Span(
            source=source, line=line, column=column, end_line=end_line, end_column=end_column
        )
        raise BundleError(exc.message, span=span, code=exc.code) from None
    return node[0]


def _read(path: Path) -> _Doc:
    """Read and parse one bundle file; every problem becomes a :class:`BundleError`."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{source} is missing", span=_start(source)) from None
    except OSError as exc:
        raise BundleError(
            f"cannot read {source}: {exc.strerror}", span=_start(source), code="E_IO"
        ) from None
    try:
        text = decode_document(data, source, limit=MAX_BUNDLE_FILE_BYTES)
        value = (
            parse_json(text, source)
            if len(text) <= MAX_DOCUMENT_BYTES
            else _parse_large(text, source)
        )
    except BundleError:
        raise
    except InputError as exc:
        raise BundleError(exc.message, span=exc.span, code=exc.code) from None
    return _Doc(source, value)


def _missing(path: Path, message: str) -> BundleError:
    return BundleError(f"{path} is missing: {message}", span=_start(str(path)))


# --- the loader --------------------------------------------------------------------


_NO_SCPS = (
    "no SCPs in the bundle (organizations/scp/): organization guardrails are assumed to "
    "allow everything, so REFUTED results (someone can ...) may be blocked by SCPs in "
    "reality, and PROVED results (nobody can ...) still hold"
)
_NO_RCPS = (
    "no RCPs in the bundle (organizations/rcp/): resource control policies are assumed to "
    "allow everything (as RCPFullAWSAccess does), so REFUTED results (someone can ...) may "
    "be blocked by RCPs in reality, and PROVED results (nobody can ...) still hold"
)


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.warnings: list[str] = []
        self.managed: dict[str, Policy] = {}
        self.managed_docs: dict[str, tuple[_Doc, PDict]] = {}
        self.boundaries: dict[str, Policy] = {}

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    # account.json ------------------------------------------------------------------

    def account(self) -> tuple[str, str, str | None, str | None, tuple[str, ...]]:
        path = self.root / "account.json"
        if not path.exists():
            raise _missing(
                path,
                'write {"account_id": "111122223333"} there (partition, organization_id, '
                "management_account and regions are optional)",
            )
        doc = _read(path)
        top = doc.root_obj("the account description")
        for key in top:
            if key not in ACCOUNT_KEYS:
                close = [k for k in ACCOUNT_KEYS if k.replace("_", "") == key.lower()]
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"expected {', '.join(ACCOUNT_KEYS)}"
                )
                raise BundleError(
                    f"unknown key {key!r} in account.json; {hint}",
                    span=Span(
                        source=doc.source, line=top.key_pos[key][0], column=top.key_pos[key][1]
                    ),
                )
        account_id = doc.text(top, "account_id", "account.json")
        if not _ACCOUNT_ID.match(account_id):
            raise doc.fail(
                f"account_id must be a 12-digit account id, not {account_id!r}", top, "account_id"
            )
        partition = doc.opt_text(top, "partition") or "aws"
        organization = doc.opt_text(top, "organization_id")
        if organization is not None and not _ORG_ID.match(organization):
            raise doc.fail(
                f"organization_id must look like 'o-exampleorgid' (o- and 10 to 32 lower-case "
                f"letters or digits), not {organization!r}",
                top,
                "organization_id",
            )
        management = doc.opt_text(top, "management_account")
        if management is not None and not _ACCOUNT_ID.match(management):
            raise doc.fail(
                f"management_account must be a 12-digit account id, not {management!r}",
                top,
                "management_account",
            )
        regions = doc.texts(top, "regions")
        return account_id, partition, organization, management, regions

    # IAM -----------------------------------------------------------------------------

    def iam(self, account_id: str) -> tuple[tuple[IamPrincipal, ...], tuple[Group, ...]]:
        doc = _read(self.root / "iam" / "account-authorization-details.json")
        top = doc.root_obj("the output of `aws iam get-account-authorization-details`")
        doc.not_truncated(top, "IsTruncated", "aws iam get-account-authorization-details")
        for key, what in (
            ("UserDetailList", "no IAM users"),
            ("GroupDetailList", "no IAM groups"),
            ("RoleDetailList", "no IAM roles"),
            ("Policies", "no managed policies"),
        ):
            if key not in top:
                self.warn(
                    f"{doc.source} has no {key} (collected with --filter?): the account is taken "
                    f"to have {what}, so answers about them may be wrong"
                )
        for index, entry in doc.objects(top, "Policies", "the IAM details", required=False):
            self.managed_policy(doc, entry, index)
        groups: dict[str, tuple[str, tuple[Policy, ...]]] = {}
        for _, entry in doc.objects(top, "GroupDetailList", "the IAM details", required=False):
            name = doc.text(entry, "GroupName", "a group")
            if name.casefold() in {g.casefold() for g in groups}:
                raise doc.fail(f"group {name!r} is listed twice", entry, "GroupName")
            arn = doc.text(entry, "Arn", f"group {name}")
            self.check_arn(doc, entry, account_id, "group", name)
            inline = self.inline(doc, entry, "GroupPolicyList", f"group/{name}")
            groups[name] = (arn, inline + self.attached(doc, entry, f"group {name}"))
        principals: dict[str, IamPrincipal] = {}
        for key in ("UserDetailList", "RoleDetailList"):
            for _, entry in doc.objects(top, key, "the IAM details", required=False):
                if key == "UserDetailList":
                    principal = self.user(doc, entry, account_id, groups)
                else:
                    principal = self.role(doc, entry, account_id)
                if principal.arn in principals:
                    raise doc.fail(f"{principal.arn} is listed twice", entry, "Arn")
                principals[principal.arn] = principal
        ordered = tuple(sorted(principals.values(), key=lambda p: (p.kind, p.arn)))
        listed = tuple(
            Group(name=name, arn=arn, policies=_unique(policies))
            for name, (arn, policies) in sorted(groups.items())
        )
        return ordered, listed

    def managed_policy(self, doc: _Doc, entry: PDict, index: int) -> None:
        arn = doc.text(entry, "Arn", f"managed policy {index}")
        if arn in self.managed:
            raise doc.fail(f"managed policy {arn} is listed twice", entry, "Arn")
        versions = doc.items(entry, "PolicyVersionList", f"managed policy {arn}")
        defaults: list[PDict] = []
        for vindex, version in enumerate(versions):
            if not isinstance(version, PDict):
                raise doc.fail(
                    f"each policy version must be an object, not {_describe(version)}",
                    versions,
                    vindex,
                )
            flag = version.get("IsDefaultVersion")
            if not isinstance(flag, bool):
                raise doc.fail(
                    f"IsDefaultVersion must be true or false, not {_describe(flag)}",
                    version,
                    "IsDefaultVersion",
                )
            if flag:
                defaults.append(version)
        if len(defaults) != 1:
            raise doc.fail(
                f"managed policy {arn}: expected exactly one version with IsDefaultVersion "
                f"true, found {len(defaults)}",
                entry,
                "PolicyVersionList",
            )
        default = defaults[0]
        declared = doc.opt_text(entry, "DefaultVersionId")
        version_id = doc.opt_text(default, "VersionId")
        if declared is not None and version_id is not None and declared != version_id:
            raise doc.fail(
                f"managed policy {arn}: DefaultVersionId is {declared!r} but the version "
                f"marked IsDefaultVersion is {version_id!r}",
                entry,
                "DefaultVersionId",
            )
        name = f"managed/{arn}"
        self.managed[arn] = doc.policy(default, "Document", PolicyType.IDENTITY, name)
        self.managed_docs[arn] = (doc, default)

    def boundary(self, doc: _Doc, entry: PDict, owner: str) -> Policy | None:
        raw = doc.opt_obj(entry, "PermissionsBoundary")
        if raw is None:
            return None
        arn = doc.text(raw, "PermissionsBoundaryArn", f"the permissions boundary of {owner}")
        if arn not in self.managed_docs:
            raise doc.fail(
                f"the permissions boundary of {owner} is {arn}, which is not in Policies; "
                "collect without --filter so every attached managed policy is listed",
                raw,
                "PermissionsBoundaryArn",
            )
        if arn not in self.boundaries:
            pdoc, version = self.managed_docs[arn]
            self.boundaries[arn] = pdoc.policy(
                version, "Document", PolicyType.BOUNDARY, f"boundary/{arn}"
            )
        return self.boundaries[arn]

    def inline(self, doc: _Doc, entry: PDict, key: str, owner: str) -> tuple[Policy, ...]:
        out = []
        for _, item in doc.objects(entry, key, owner, required=False):
            name = doc.text(item, "PolicyName", f"an inline policy of {owner}")
            out.append(
                doc.policy(item, "PolicyDocument", PolicyType.IDENTITY, f"{owner}/inline/{name}")
            )
        return tuple(out)

    def attached(self, doc: _Doc, entry: PDict, owner: str) -> tuple[Policy, ...]:
        out = []
        for _, item in doc.objects(entry, "AttachedManagedPolicies", owner, required=False):
            arn = doc.text(item, "PolicyArn", f"a managed policy attached to {owner}")
            policy = self.managed.get(arn)
            if policy is None:
                raise doc.fail(
                    f"{arn} is attached to {owner} but is not in Policies; collect without "
                    "--filter so every attached managed policy is listed",
                    item,
                    "PolicyArn",
                )
            out.append(policy)
        return tuple(out)

    def check_arn(self, doc: _Doc, entry: PDict, account_id: str, kind: str, name: str) -> str:
        """Check an IAM entity's ARN against the account and name; return its path."""
        arn = doc.text(entry, "Arn", f"{kind} {name}")
        parts = arn.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        if len(parts) != 6 or parts[2] != "iam" or not resource.startswith(f"{kind}/"):
            raise doc.fail(f"{arn!r} is not the ARN of an IAM {kind}", entry, "Arn")
        if parts[4] != account_id:
            raise doc.fail(
                f"{arn} belongs to account {parts[4]}, but account.json says {account_id}",
                entry,
                "Arn",
            )
        path, _, last = ("/" + resource.partition("/")[2]).rpartition("/")
        if last != name:
            raise doc.fail(f"{arn} does not end with the {kind} name {name!r}", entry, "Arn")
        return path + "/"

    def tags(self, doc: _Doc, entry: PDict) -> dict[str, str]:
        out: dict[str, str] = {}
        for _, tag in doc.objects(entry, "Tags", "Tags", required=False):
            key = doc.text(tag, "Key", "a tag")
            value = tag.get("Value")
            if not isinstance(value, str):
                raise doc.fail(f"tag {key!r} needs a string Value", tag, "Value")
            out[key] = value
        return out

    def user(
        self,
        doc: _Doc,
        entry: PDict,
        account_id: str,
        groups: Mapping[str, tuple[str, tuple[Policy, ...]]],
    ) -> IamPrincipal:
        name = doc.text(entry, "UserName", "a user")
        path = self.check_arn(doc, entry, account_id, "user", name)
        owner = f"user/{name}"
        policies = list(self.inline(doc, entry, "UserPolicyList", owner))
        policies += self.attached(doc, entry, f"user {name}")
        member_of = doc.texts(entry, "GroupList")
        by_fold = {g.casefold(): g for g in groups}
        items = doc.items(entry, "GroupList", owner, required=False)
        for index, group in enumerate(member_of):
            canonical = by_fold.get(group.casefold())
            if canonical is None:
                raise doc.fail(
                    f"user {name} is in group {group!r}, which is not in GroupDetailList",
                    items,
                    index,
                )
            policies += groups[canonical][1]
        return IamPrincipal(
            kind="user",
            arn=entry["Arn"],
            name=name,
            path=path,
            account=account_id,
            unique_id=doc.opt_text(entry, "UserId"),
            policies=_unique(policies),
            boundary=self.boundary(doc, entry, f"user {name}"),
            groups=member_of,
            tags=self.tags(doc, entry),
        )

    def role(self, doc: _Doc, entry: PDict, account_id: str) -> IamPrincipal:
        name = doc.text(entry, "RoleName", "a role")
        path = self.check_arn(doc, entry, account_id, "role", name)
        owner = f"role/{name}"
        policies = list(self.inline(doc, entry, "RolePolicyList", owner))
        policies += self.attached(doc, entry, f"role {name}")
        trust = doc.policy(entry, "AssumeRolePolicyDocument", PolicyType.TRUST, f"{owner}/trust")
        return IamPrincipal(
            kind="role",
            arn=entry["Arn"],
            name=name,
            path=path,
            account=account_id,
            unique_id=doc.opt_text(entry, "RoleId"),
            policies=_unique(policies),
            boundary=self.boundary(doc, entry, f"role {name}"),
            trust_policy=trust,
            tags=self.tags(doc, entry),
        )

    # KMS -----------------------------------------------------------------------------

    def stores(self) -> tuple[CustomKeyStore, ...] | None:
        path = self.root / "kms" / "custom-key-stores.json"
        if not path.exists():
            self.warn(
                f"{path} is missing: the custom key stores and their connection states are "
                "unknown, so store lifecycle questions (connect, disconnect, delete, create a "
                "key in a store) cannot be answered and keys' CustomKeyStoreId are not checked"
            )
            return None
        doc = _read(path)
        top = doc.root_obj("the output of `aws kms describe-custom-key-stores`")
        doc.not_truncated(top, "Truncated", "aws kms describe-custom-key-stores")
        out: dict[str, CustomKeyStore] = {}
        for _, entry in doc.objects(top, "CustomKeyStores", "the custom key store list"):
            store_id = doc.text(entry, "CustomKeyStoreId", "a custom key store")
            if store_id in out:
                raise doc.fail(f"custom key store {store_id} is listed twice", entry)
            state = doc.text(entry, "ConnectionState", f"custom key store {store_id}")
            if state not in STORE_STATES:
                raise doc.fail(
                    f"ConnectionState must be one of {', '.join(STORE_STATES)}, not {state!r}",
                    entry,
                    "ConnectionState",
                )
            store_type = doc.opt_text(entry, "CustomKeyStoreType") or "AWS_CLOUDHSM"
            cluster = doc.opt_text(entry, "CloudHsmClusterId")
            if store_type == "AWS_CLOUDHSM" and cluster is None:
                raise doc.fail(
                    f"custom key store {store_id} is of type AWS_CLOUDHSM but names no "
                    "CloudHsmClusterId",
                    entry,
                )
            out[store_id] = CustomKeyStore(
                id=store_id,
                name=doc.text(entry, "CustomKeyStoreName", f"custom key store {store_id}"),
                state=state,
                cluster_id=cluster,
                store_type=store_type,
                connection_error=doc.opt_text(entry, "ConnectionErrorCode"),
            )
        return tuple(sorted(out.values(), key=lambda s: s.id))

    def keys(
        self,
        account_id: str,
        regions: tuple[str, ...],
        stores: tuple[CustomKeyStore, ...] | None,
    ) -> tuple[Key, ...]:
        keys_dir = self.root / "kms" / "keys"
        if not keys_dir.is_dir():
            self.warn(
                f"{keys_dir} is missing: the bundle has no KMS keys, so questions about keys "
                "(key policies, grants, keys in custom key stores) cannot be answered"
            )
            return ()
        out = []
        store_ids = None if stores is None else {s.id for s in stores}
        for folder in sorted(keys_dir.iterdir()):
            if folder.name.startswith("."):
                continue
            if not folder.is_dir():
                raise BundleError(
                    f"{folder} is not a folder; kms/keys/ holds one folder per key, named "
                    "after the key id",
                    span=_start(str(folder)),
                )
            out.append(self.key(folder, account_id, regions, store_ids))
        return tuple(sorted(out, key=lambda k: k.arn))

    def key(
        self,
        folder: Path,
        account_id: str,
        regions: tuple[str, ...],
        store_ids: set[str] | None,
    ) -> Key:
        describe_path = folder / "describe-key.json"
        if not describe_path.exists():
            raise _missing(
                describe_path,
                "every key folder needs the output of "
                f"`aws kms describe-key --key-id {folder.name}`",
            )
        doc = _read(describe_path)
        top = doc.root_obj("the output of `aws kms describe-key`")
        meta = doc.obj(top, "KeyMetadata", "the describe-key output")
        key_id = doc.text(meta, "KeyId", "KeyMetadata")
        if key_id != folder.name:
            raise doc.fail(
                f"KeyId {key_id!r} differs from the folder name {folder.name!r}; "
                "name each key folder after its key id",
                meta,
                "KeyId",
            )
        arn = doc.text(meta, "Arn", "KeyMetadata")
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or parts[5] != f"key/{key_id}":
            raise doc.fail(f"Arn {arn!r} is not the ARN of KMS key {key_id}", meta, "Arn")
        owner = doc.text(meta, "AWSAccountId", "KeyMetadata")
        if owner != account_id or parts[4] != account_id:
            raise doc.fail(
                f"key {key_id} belongs to account {owner}, but account.json says {account_id}",
                meta,
                "AWSAccountId",
            )
        region = parts[3]
        if regions and region not in regions:
            self.warn(
                f"key {key_id} is in region {region}, which account.json does not list in regions"
            )
        store_id = doc.opt_text(meta, "CustomKeyStoreId")
        if store_id is not None and store_ids is not None and store_id not in store_ids:
            raise doc.fail(
                f"key {key_id} is in custom key store {store_id}, which "
                "kms/custom-key-stores.json does not list",
                meta,
                "CustomKeyStoreId",
            )
        key_spec = doc.opt_text(meta, "KeySpec") or doc.opt_text(meta, "CustomerMasterKeySpec")
        if key_spec is None:
            raise doc.fail(f"KeyMetadata of key {key_id} has no 'KeySpec'", meta)

        policy_path = folder / "key-policy.json"
        if not policy_path.exists():
            raise _missing(
                policy_path,
                "every key folder needs the output of "
                f"`aws kms get-key-policy --key-id {key_id} --policy-name default`",
            )
        pdoc = _read(policy_path)
        ptop = pdoc.root_obj("the output of `aws kms get-key-policy`")
        name = ptop.get("PolicyName", "default")
        if name != "default":
            raise pdoc.fail(
                f"PolicyName must be 'default' (the only key policy name), not {name!r}",
                ptop,
                "PolicyName",
            )
        policy = pdoc.policy(ptop, "Policy", PolicyType.KEY, f"key/{key_id}/key-policy")

        return Key(
            key_id=key_id,
            arn=arn,
            account=owner,
            region=region,
            policy=policy,
            grants=self.grants(folder, key_id, arn),
            custom_key_store_id=store_id,
            origin=doc.text(meta, "Origin", "KeyMetadata"),
            key_spec=key_spec,
            key_state=doc.text(meta, "KeyState", "KeyMetadata"),
            key_manager=doc.text(meta, "KeyManager", "KeyMetadata"),
        )

    def grants(self, folder: Path, key_id: str, arn: str) -> tuple[Grant, ...]:
        path = folder / "grants.json"
        if not path.exists():
            self.warn(
                f"{path} is missing: key {key_id} is taken to have no grants; grants only add "
                "permissions, so PROVED results (nobody can ...) may not hold in reality, and "
                "REFUTED results (someone can ...) still hold"
            )
            return ()
        doc = _read(path)
        top = doc.root_obj("the output of `aws kms list-grants`")
        doc.not_truncated(top, "Truncated", "aws kms list-grants")
        items = doc.items(top, "Grants", "the list-grants output")
        reader = _GrantReader(doc.source)
        out = []
        for index, raw in enumerate(items):
            try:
                grant = reader.grant(raw, items, index)
            except ScenarioError as exc:
                raise BundleError(exc.message, span=exc.span) from None
            if grant.key_id not in (key_id, arn):
                raise doc.fail(
                    f"grant {grant.grant_id or index} is for key {grant.key_id}, not for "
                    f"{arn}; kms/keys/{key_id}/grants.json must hold only this key's grants",
                    raw,
                    "KeyId",
                )
            out.append(grant)
        return tuple(out)

    # CloudHSM ------------------------------------------------------------------------

    def clusters(self) -> tuple[Cluster, ...] | None:
        path = self.root / "cloudhsm" / "clusters.json"
        if not path.exists():
            self.warn(
                f"{path} is missing: the CloudHSM clusters and their HSMs are unknown, so "
                "whether a store can connect or a key can be created in a store (two ACTIVE "
                "HSMs in different availability zones) cannot be decided"
            )
            return None
        doc = _read(path)
        top = doc.root_obj("the output of `aws cloudhsmv2 describe-clusters`")
        out: dict[str, Cluster] = {}
        for _, entry in doc.objects(top, "Clusters", "the describe-clusters output"):
            cluster_id = doc.text(entry, "ClusterId", "a cluster")
            if cluster_id in out:
                raise doc.fail(f"cluster {cluster_id} is listed twice", entry, "ClusterId")
            hsms = tuple(
                (
                    doc.text(hsm, "AvailabilityZone", f"an HSM of cluster {cluster_id}"),
                    doc.text(hsm, "State", f"an HSM of cluster {cluster_id}"),
                )
                for _, hsm in doc.objects(entry, "Hsms", f"cluster {cluster_id}", required=False)
            )
            out[cluster_id] = Cluster(
                id=cluster_id,
                state=doc.text(entry, "State", f"cluster {cluster_id}"),
                hsms=tuple(sorted(hsms)),
            )
        return tuple(sorted(out.values(), key=lambda c: c.id))

    # Organizations -------------------------------------------------------------------

    def org_levels(self, kind: Literal["scp", "rcp"]) -> tuple[tuple[Policy, ...], ...] | None:
        base = self.root / "organizations" / kind
        if not base.is_dir():
            return None
        levels: list[tuple[int, Path]] = []
        for folder in sorted(base.iterdir()):
            if folder.name.startswith("."):
                continue
            found = _LEVEL_DIR.match(folder.name)
            if not folder.is_dir() or found is None:
                raise BundleError(
                    f"{folder} is not a level folder; expected folders named NN-TARGET "
                    "(00-r-abcd for the root, then each OU, the account last)",
                    span=_start(str(folder)),
                )
            number = int(found.group(1))
            if any(number == n for n, _ in levels):
                raise BundleError(
                    f"{folder}: two level folders are numbered {found.group(1)}",
                    span=_start(str(folder)),
                )
            levels.append((number, folder))
        out = []
        for _, folder in sorted(levels):
            level = tuple(
                self.org_policy(path, kind, folder.name)
                for path in sorted(folder.iterdir())
                if not path.name.startswith(".")
            )
            if kind == "scp" and not level:
                raise BundleError(
                    f"{folder} holds no SCP; AWS requires at least one SCP at every level "
                    "(FullAWSAccess unless replaced), and an empty level would deny everything",
                    span=_start(str(folder)),
                )
            out.append(level)
        return tuple(out)

    def org_policy(self, path: Path, kind: Literal["scp", "rcp"], level: str) -> Policy:
        if path.suffix != ".json" or not path.is_file():
            raise BundleError(
                f"{path} is not a .json file; a level folder holds one "
                "`aws organizations describe-policy` output per policy",
                span=_start(str(path)),
            )
        doc = _read(path)
        top = doc.root_obj("the output of `aws organizations describe-policy`")
        body = doc.obj(top, "Policy", "the describe-policy output")
        summary = doc.obj(body, "PolicySummary", "Policy")
        name = doc.opt_text(summary, "Name") or doc.text(summary, "Id", "PolicySummary")
        expected = ORG_POLICY_TYPES[kind]
        declared = doc.opt_text(summary, "Type")
        if declared is not None and declared != expected:
            raise doc.fail(
                f"policy {name} is of type {declared}, but organizations/{kind}/ holds "
                f"{expected} policies",
                summary,
                "Type",
            )
        ptype = PolicyType.SCP if kind == "scp" else PolicyType.RCP
        return doc.policy(body, "Content", ptype, f"{kind}/{level}/{name}")

    def organizations(
        self, account_id: str, organization: str | None, management: str | None
    ) -> tuple[tuple[tuple[Policy, ...], ...], tuple[tuple[Policy, ...], ...]]:
        scps = self.org_levels("scp")
        rcps = self.org_levels("rcp")
        exempt = management is not None and management == account_id
        if organization is None and scps is None and rcps is None:
            self.warn(
                "account.json names no organization_id and there is no organizations/ folder: "
                "the account is taken to be outside any organization (no SCPs, no RCPs); if it "
                "is a member, REFUTED results (someone can ...) may be blocked by SCPs or RCPs "
                "in reality, and PROVED results (nobody can ...) still hold"
            )
        elif not exempt:
            if scps is None:
                self.warn(_NO_SCPS)
            if rcps is None:
                self.warn(_NO_RCPS)
        return scps or (), rcps or ()


class _GrantReader:
    """Reads grants as ``aws kms list-grants`` prints them.

    Delegates to the scenario reader, which already knows the grant shape;
    a public ``cksmodel.concrete.scenario`` function would let this go.
    """

    def __init__(self, source: str) -> None:
        from cksmodel.concrete.scenario import _Reader

        self._reader = _Reader(source)

    def grant(self, raw: Any, grants: Any, index: int) -> Grant:
        return self._reader.grant(raw, grants, index)


def _unique(policies: Iterable[Policy]) -> tuple[Policy, ...]:
    """Policies in order, each name once (a managed policy reached twice counts once)."""
    seen: set[str] = set()
    out = []
    for policy in policies:
        if policy.name not in seen:
            seen.add(policy.name)
            out.append(policy)
    return tuple(out)


def load_bundle(path: str | Path) -> Account:
    """Read an account bundle directory (see the module docstring for its layout)."""
    root = Path(path)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise BundleError(
            f"bundle directory {root} {what}; expected a folder holding account.json and "
            "iam/account-authorization-details.json",
            span=_start(str(root)),
        )
    loader = _Loader(root)
    account_id, partition, organization, management, regions = loader.account()
    iam_path = root / "iam" / "account-authorization-details.json"
    if not iam_path.exists():
        raise _missing(
            iam_path, "save the output of `aws iam get-account-authorization-details` there"
        )
    principals, groups = loader.iam(account_id)
    if (root / "kms").is_dir():
        stores = loader.stores()
        keys = loader.keys(account_id, regions, stores)
    else:
        loader.warn(
            f"{root / 'kms'} is missing: the bundle has no KMS keys or custom key stores, so "
            "questions about keys, grants and stores cannot be answered"
        )
        stores, keys = None, ()
    clusters = loader.clusters()
    if stores is not None and clusters is not None:
        known = {c.id for c in clusters}
        for store in stores:
            if store.cluster_id is not None and store.cluster_id not in known:
                loader.warn(
                    f"custom key store {store.id} is associated with cluster "
                    f"{store.cluster_id}, which cloudhsm/clusters.json does not list "
                    "(deleted, or collected in another region?)"
                )
    scps, rcps = loader.organizations(account_id, organization, management)
    return Account(
        account_id=account_id,
        partition=partition,
        organization_id=organization,
        management_account=management,
        regions=regions,
        principals=principals,
        groups=groups,
        managed_policies=dict(sorted(loader.managed.items())),
        keys=keys,
        stores=stores or (),
        clusters=clusters or (),
        scps=scps,
        rcps=rcps,
        warnings=tuple(loader.warnings),
        root=root,
    )
