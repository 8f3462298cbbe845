"""Hypothetical changes to an account: each one a frozen value that rewrites an Account.

Policies are named as the bundle names them (``role/app/inline/Kms``,
``managed/ARN``, ``key/KEY-ID/key-policy``, ...). Documents a change brings go
through the policy builder, so they are checked like bundle files, and their
spans name a synthetic source ``what-if:N`` for the N-th change. Bad references
raise :class:`WhatIfError` naming what was expected, with close matches.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, TypeVar, cast

from cksmodel.account.kms import GrantReader
from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.errors import InputError
from cksmodel.policy.ir import Grant, Policy, PolicyType, Statement
from cksmodel.policy.jsontext import parse_json
from cksmodel.policy.parse import policy_from_text

Document = Mapping[str, Any] | str
"""A policy document: Python objects, or JSON text as IAM returns it."""

_T = TypeVar("_T")


class WhatIfError(InputError):
    """A change refers to something the account does not have, or brings a bad document."""

    code = "E_WHATIF"


# --------------------------------------------------------------------------- lookups


def close_matches(query: str, names: Iterable[str]) -> str:
    """``did you mean ...?`` from close matches and names ending in the query, else the list."""
    names = sorted(set(names))
    folded = query.casefold()
    close = [
        n
        for n in names
        if n.casefold().startswith(folded) or n.casefold().endswith(("/" + folded, ":" + folded))
    ]
    close += difflib.get_close_matches(query, names, n=5, cutoff=0.6)
    unique = list(dict.fromkeys(close))[:5]
    if unique:
        return "did you mean " + " or ".join(repr(n) for n in unique) + "?"
    if not names:
        return "there are none"
    shown = ", ".join(repr(n) for n in names[:12])
    return f"expected one of {shown}{', ...' if len(names) > 12 else ''}"


def find_principal(account: Account, ref: str, kind: str | None = None) -> IamPrincipal:
    """A user or role by name, ``user/NAME``, ``role/NAME`` or ARN (a role if ``kind``)."""
    wanted = kind or "user or role"
    query = ref if kind is None or ref.startswith(("arn:", "user/", "role/")) else f"{kind}/{ref}"
    try:
        found = account.principal(query)
    except InputError as exc:
        raise WhatIfError(exc.message, code=exc.code) from None
    if found is None or (kind is not None and found.kind != kind):
        names = [p.name for p in account.principals if kind is None or p.kind == kind]
        hint = close_matches(ref, names)
        if found is None and kind is not None:
            found = account.principal(ref.rpartition("/")[2])
        if found is not None:
            hint = f"{found.name!r} is a {found.kind}; {hint}"
        raise WhatIfError(
            f"no {wanted} {ref!r} in account {account.account_id}; {hint}",
            code="E_WHATIF_PRINCIPAL",
        )
    return found


def _key(account: Account, ref: str) -> Key:
    found = account.key(ref)
    if found is None:
        ids = [k.key_id for k in account.keys]
        raise WhatIfError(
            f"no KMS key {ref!r} (a key id or key ARN) in account {account.account_id}; "
            f"{close_matches(ref, ids)}",
            code="E_WHATIF_KEY",
        )
    return found


def _all_policies(account: Account) -> dict[str, Policy]:
    """Every policy of the account by name (a name shared by several holders once)."""
    found: dict[str, Policy] = {}

    def note(policy: Policy) -> Policy:
        found.setdefault(policy.name, policy)
        return policy

    _rewrite(account, note)
    return found


def _policy(account: Account, name: str) -> Policy:
    """A policy by its bundle name (exactly, else case-insensitively if unambiguous)."""
    policies = _all_policies(account)
    if name in policies:
        return policies[name]
    folded = [p for n, p in policies.items() if n.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise WhatIfError(
        f"no policy named {name!r} in account {account.account_id} (names look like "
        f"role/NAME/inline/POLICY, managed/ARN, key/KEY-ID/key-policy); "
        f"{close_matches(name, policies)}",
        code="E_WHATIF_POLICY",
    )


def _managed_arn(account: Account, ref: str) -> str:
    """The ARN of a managed policy given by ARN, ``managed/ARN`` or name (with or without path)."""
    arn = ref.removeprefix("managed/")
    if arn in account.managed_policies:
        return arn
    folded = arn.casefold()
    found = [
        a
        for a in account.managed_policies
        if folded in (a.casefold(), a.partition(":policy/")[2].casefold(), _last(a).casefold())
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise WhatIfError(
            f"{ref!r} names several managed policies: {', '.join(found)}; give the ARN",
            code="E_AMBIGUOUS",
        )
    names = [*account.managed_policies, *(_last(a) for a in account.managed_policies)]
    raise WhatIfError(
        f"no managed policy {ref!r} in account {account.account_id}; {close_matches(ref, names)}",
        code="E_WHATIF_POLICY",
    )


def _last(arn: str) -> str:
    return arn.rpartition("/")[2]


def _aliases(name: str) -> tuple[str, ...]:
    """A managed policy is one document, used as ``managed/ARN`` and as ``boundary/ARN``."""
    for prefix in ("managed/", "boundary/"):
        if name.startswith(prefix):
            arn = name.removeprefix(prefix)
            return (f"managed/{arn}", f"boundary/{arn}")
    return (name,)


# --------------------------------------------------------------------------- rewriting


def _rewrite(value: _T, fn: Callable[[Policy], Policy]) -> _T:
    """``value`` with every policy inside it replaced by ``fn(policy)``.

    Walks the account's dataclasses, tuples and dicts; whatever holds no changed
    policy is returned as is, so unchanged principals and keys stay shared.
    """
    if isinstance(value, Policy):
        out: Any = fn(value)
    elif isinstance(value, tuple):
        items = tuple(_rewrite(v, fn) for v in value)
        out = value if all(a is b for a, b in zip(items, value, strict=True)) else items
    elif isinstance(value, dict):
        mapped = {k: _rewrite(v, fn) for k, v in value.items()}
        out = value if all(mapped[k] is v for k, v in value.items()) else mapped
    elif is_dataclass(value) and not isinstance(value, type | Grant):
        changed = {}
        for f in fields(value):
            old = getattr(value, f.name)
            new = _rewrite(old, fn)
            if new is not old:
                changed[f.name] = new
        out = replace(value, **changed) if changed else value
    else:
        out = value
    return cast(_T, out)


def _rename(account: Account, built: Mapping[str, Policy]) -> Account:
    """The account with each policy named in ``built`` replaced wherever it is held."""
    return _rewrite(account, lambda p: built.get(p.name, p))


def _with_principal(account: Account, old: IamPrincipal, new: IamPrincipal) -> Account:
    principals = tuple(new if p is old else p for p in account.principals)
    return replace(account, principals=principals)


def _with_key(account: Account, old: Key, new: Key) -> Account:
    return replace(account, keys=tuple(new if k is old else k for k in account.keys))


# --------------------------------------------------------------------------- building


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """What applying one change needs: the account, and the change's number."""

    account: Account
    number: int

    @property
    def source(self) -> str:
        return f"what-if:{self.number}"

    def text(self, document: Document) -> str:
        if isinstance(document, str):
            return document
        if not isinstance(document, Mapping):
            raise WhatIfError(
                f"expected a policy document (a dict or JSON text), not {type(document).__name__}",
                code="E_WHATIF_DOCUMENT",
            )
        try:
            return json.dumps(document, indent=2)
        except (TypeError, ValueError) as exc:
            raise WhatIfError(
                f"the document is not JSON: {exc}", code="E_WHATIF_DOCUMENT"
            ) from None

    def build(self, text: str, policy_type: PolicyType, name: str) -> Policy:
        """Parse and check a document as the bundle loader would, at ``what-if:N``."""
        return policy_from_text(text, policy_type=policy_type, name=name, source=self.source)

    def replace_documents(self, name: str, text: str) -> Account:
        """Every use of the policy ``name`` (and its aliases) rebuilt from ``text``."""
        policies = _all_policies(self.account)
        built = {
            alias: self.build(text, policies[alias].policy_type, alias)
            for alias in _aliases(name)
            if alias in policies
        }
        return _rename(self.account, built)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Applied:
    account: Account
    source: str | None = None
    """The JSON text the change brought, if any (its spans point into it)."""


def _summary(statement: Mapping[str, Any]) -> str:
    """``Allow kms:* on *``: a statement in one line, for descriptions."""

    def words(key: str) -> str:
        value = statement.get(key)
        text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        return text if key in statement else f"all but {words('Not' + key)}"

    action = words("Action") if {"Action", "NotAction"} & statement.keys() else "?"
    where = f" on {words('Resource')}" if {"Resource", "NotResource"} & statement.keys() else ""
    condition = " with conditions" if statement.get("Condition") else ""
    return f"{statement.get('Effect', '?')} {action}{where}{condition}"


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True, kw_only=True, slots=True)
class AddStatement:
    """Add an identity policy statement to a user or role.

    The statement goes into a new inline policy ``what-if-N`` (N: the change's
    number), or into the principal's inline policy ``policy_name`` (its short
    name or full bundle name).
    """

    principal: str
    statement: Mapping[str, Any] = field(hash=False)
    policy_name: str | None = None

    def describe(self) -> str:
        target = f"inline policy {self.policy_name}" if self.policy_name else "a new inline policy"
        summary = _summary(self.statement) if isinstance(self.statement, Mapping) else "a statement"
        return f"{self.principal}: add {summary} in {target}"

    def apply(self, step: Step) -> _Applied:
        principal = find_principal(step.account, self.principal)
        if not isinstance(self.statement, Mapping):
            raise WhatIfError(
                "expected one statement as a dict (Effect, Action, Resource), "
                f"not {type(self.statement).__name__}",
                code="E_WHATIF_DOCUMENT",
            )
        prefix = f"{principal.kind}/{principal.name}/inline/"
        if self.policy_name is None:
            name = f"{prefix}what-if-{step.number}"
            existing = None
            version: str | None = "2012-10-17"
        else:
            wanted = self.policy_name.removeprefix(prefix).casefold()
            inline = [p for p in principal.policies if p.name.startswith(prefix)]
            existing = next((p for p in inline if p.name[len(prefix) :].casefold() == wanted), None)
            if existing is None:
                short = [p.name[len(prefix) :] for p in inline]
                raise WhatIfError(
                    f"{principal.kind} {principal.name} has no inline policy "
                    f"{self.policy_name!r}; {close_matches(self.policy_name, short)} "
                    "(leave policy_name out for a new inline policy)",
                    code="E_WHATIF_POLICY",
                )
            name, version = existing.name, existing.version
            sid = self.statement.get("Sid")
            if sid is not None and any(s.sid == sid for s in existing.statements):
                raise WhatIfError(
                    f"{name} already has a statement with Sid {sid!r}; Sids are "
                    "unique within a policy",
                    code="E_WHATIF_STATEMENT",
                )
        document: dict[str, Any] = {"Statement": [dict(self.statement)]}
        if version is not None:
            document = {"Version": version, **document}
        text = step.text(document)
        built = step.build(text, PolicyType.IDENTITY, name)
        if existing is None:
            new = replace(principal, policies=(*principal.policies, built))
            return _Applied(account=_with_principal(step.account, principal, new), source=text)
        index = max((s.index for s in existing.statements), default=-1) + 1
        added = replace(built.statements[0], index=index)
        merged = replace(existing, statements=(*existing.statements, added))
        return _Applied(account=_rename(step.account, {name: merged}), source=text)


@dataclass(frozen=True, kw_only=True, slots=True)
class RemoveStatement:
    """Remove one statement, by index (its position in the document) or Sid, from a policy."""

    policy_name: str
    statement: int | str

    def describe(self) -> str:
        which = self.statement if isinstance(self.statement, int) else repr(self.statement)
        return f"remove statement {which} from {self.policy_name}"

    def apply(self, step: Step) -> _Applied:
        policy = _policy(step.account, self.policy_name)
        if isinstance(self.statement, bool) or not isinstance(self.statement, int | str):
            raise WhatIfError(
                f"expected a statement index (int) or Sid (str), not {self.statement!r}",
                code="E_WHATIF_STATEMENT",
            )

        by_index = isinstance(self.statement, int)

        def chosen(s: Statement) -> bool:
            return (s.index if by_index else s.sid) == self.statement

        if sum(chosen(s) for s in policy.statements) != 1:
            have = ", ".join(
                f"{s.index}" + (f" (Sid {s.sid!r})" if s.sid else "") for s in policy.statements
            )
            raise WhatIfError(
                f"{policy.name} has no single statement {self.statement!r}; its statements are "
                f"{have or 'none'}",
                code="E_WHATIF_STATEMENT",
            )
        built = {
            alias: replace(p, statements=tuple(s for s in p.statements if not chosen(s)))
            for alias, p in _all_policies(step.account).items()
            if alias in _aliases(policy.name)
        }
        return _Applied(account=_rename(step.account, built))


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplacePolicy:
    """Replace a policy's document everywhere it applies (a managed policy: in every holder)."""

    policy_name: str
    document: Document = field(hash=False)

    def describe(self) -> str:
        return f"replace the document of {self.policy_name}"

    def apply(self, step: Step) -> _Applied:
        policy = _policy(step.account, self.policy_name)
        text = step.text(self.document)
        return _Applied(account=step.replace_documents(policy.name, text), source=text)


@dataclass(frozen=True, kw_only=True, slots=True)
class AttachPolicy:
    """Attach a managed policy of the account (by ARN, ``managed/ARN`` or name) to a principal."""

    principal: str
    policy: str

    def describe(self) -> str:
        return f"attach {self.policy} to {self.principal}"

    def apply(self, step: Step) -> _Applied:
        principal = find_principal(step.account, self.principal)
        arn = _managed_arn(step.account, self.policy)
        if any(p.name == f"managed/{arn}" for p in principal.policies):
            raise WhatIfError(
                f"{arn} already applies to {principal.kind} {principal.name}",
                code="E_WHATIF_ATTACHED",
            )
        policies = (*principal.policies, step.account.managed_policies[arn])
        new = replace(principal, policies=policies)
        return _Applied(account=_with_principal(step.account, principal, new))


@dataclass(frozen=True, kw_only=True, slots=True)
class DetachPolicy:
    """Detach a managed policy from a principal.

    The account model does not record whether a user's managed policy was
    attached to the user or to one of its groups; either way it stops applying.
    """

    principal: str
    policy: str

    def describe(self) -> str:
        return f"detach {self.policy} from {self.principal}"

    def apply(self, step: Step) -> _Applied:
        principal = find_principal(step.account, self.principal)
        arn = _managed_arn(step.account, self.policy)
        kept = tuple(p for p in principal.policies if p.name != f"managed/{arn}")
        if len(kept) == len(principal.policies):
            attached = [
                p.name.removeprefix("managed/")
                for p in principal.policies
                if p.name.startswith("managed/")
            ]
            raise WhatIfError(
                f"{arn} is not attached to {principal.kind} {principal.name}; "
                f"{close_matches(self.policy, attached)}",
                code="E_WHATIF_NOT_ATTACHED",
            )
        new = replace(principal, policies=kept)
        return _Applied(account=_with_principal(step.account, principal, new))


@dataclass(frozen=True, kw_only=True, slots=True)
class AddGrant:
    """Add a KMS grant on a key, as ``aws kms list-grants`` would print it.

    ``grantee`` is a principal of the account (name or ARN) or any ARN;
    ``operations`` are grant operations (``Decrypt`` or ``kms:Decrypt``);
    ``constraints`` is ``{"EncryptionContextEquals" | "EncryptionContextSubset": {...}}``.
    """

    key: str
    grantee: str
    operations: Sequence[str] = field(hash=False)
    constraints: Mapping[str, Mapping[str, str]] | None = field(default=None, hash=False)

    def describe(self) -> str:
        ops = [self.operations] if isinstance(self.operations, str) else list(self.operations)
        limits = f" with {', '.join(self.constraints)}" if self.constraints else ""
        return f"grant {self.grantee} {', '.join(ops)} on key {self.key}{limits}"

    def apply(self, step: Step) -> _Applied:
        key = _key(step.account, self.key)
        parts = self.grantee.split(":", 5)
        if len(parts) == 6 and (parts[4] != step.account.account_id or parts[5] == "root"):
            grantee = self.grantee
        else:
            grantee = find_principal(step.account, self.grantee).arn
        ops = [self.operations] if isinstance(self.operations, str) else list(self.operations)
        raw: dict[str, Any] = {
            "KeyId": key.arn,
            "Name": f"what-if-{step.number}",
            "GranteePrincipal": grantee,
            "Operations": [op.removeprefix("kms:") if isinstance(op, str) else op for op in ops],
        }
        if self.constraints is not None:
            raw["Constraints"] = self.constraints
        text = step.text({"Grants": [raw]})
        grants = parse_json(text, step.source)["Grants"]
        try:
            grant = GrantReader(step.source).grant(grants[0], grants, 0)
        except InputError as exc:
            raise WhatIfError(exc.message, span=exc.span, code="E_WHATIF_GRANT") from None
        new = replace(key, grants=(*key.grants, replace(grant, index=len(key.grants))))
        return _Applied(account=_with_key(step.account, key, new), source=text)


@dataclass(frozen=True, kw_only=True, slots=True)
class SetTrustPolicy:
    """Replace a role's trust policy (who can assume it)."""

    role: str
    document: Document = field(hash=False)

    def describe(self) -> str:
        return f"set the trust policy of role {self.role}"

    def apply(self, step: Step) -> _Applied:
        role = find_principal(step.account, self.role, "role")
        text = step.text(self.document)
        trust = step.build(text, PolicyType.TRUST, f"role/{role.name}/trust")
        new = replace(role, trust_policy=trust)
        return _Applied(account=_with_principal(step.account, role, new), source=text)


@dataclass(frozen=True, kw_only=True, slots=True)
class SetKeyPolicy:
    """Replace a KMS key's key policy."""

    key: str
    document: Document = field(hash=False)

    def describe(self) -> str:
        return f"set the key policy of key {self.key}"

    def apply(self, step: Step) -> _Applied:
        key = _key(step.account, self.key)
        text = step.text(self.document)
        policy = step.build(text, PolicyType.KEY, f"key/{key.key_id}/key-policy")
        return _Applied(
            account=_with_key(step.account, key, replace(key, policy=policy)), source=text
        )


Change = (
    AddStatement
    | RemoveStatement
    | ReplacePolicy
    | AttachPolicy
    | DetachPolicy
    | AddGrant
    | SetTrustPolicy
    | SetKeyPolicy
)
"""Any change :meth:`Model.what_if` accepts."""

CHANGE_TYPES = (
    AddStatement,
    RemoveStatement,
    ReplacePolicy,
    AttachPolicy,
    DetachPolicy,
    AddGrant,
    SetTrustPolicy,
    SetKeyPolicy,
)
