"""The symbolic request space: which values each part of a request can take.

Every dimension of a request is either finite and provably complete for the
policies in play (actions grouped by how every pattern treats them; accounts
and partitions as the literals named plus one representative of each region
their wildcards carve out, plus fresh ones), or a string dimension whose
pattern memberships are decided by :mod:`cksmodel.symbolic.strings` during solving.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from cksmodel.concrete.evaluate import (
    FEDERATED_ONLY,
    FEDERATION_ACTIONS,
    KMS_CROSS_ACCOUNT,
    RCP_EXEMPT_ACTIONS,
    RCP_SERVICES,
    TRUST_ACTIONS,
    principal_identity,
)
from cksmodel.concrete.protections import ALWAYS_ALLOWED, aws_protections
from cksmodel.concrete.request import PrincipalKind, Request
from cksmodel.policy.catalog import get_catalog
from cksmodel.policy.ir import Policy, PolicySet, Qualifier
from cksmodel.policy.patterns import compile_glob, split_arn
from cksmodel.symbolic.strings import CharClass, Pattern, SearchLimit, Token, witness

KINDS = (
    PrincipalKind.USER,
    PrincipalKind.ASSUMED_ROLE,
    PrincipalKind.FEDERATED_USER,
    PrincipalKind.ROOT,
    PrincipalKind.SERVICE,
    PrincipalKind.ANONYMOUS,
    PrincipalKind.WEB_IDENTITY,
    PrincipalKind.SAML,
)
"""Caller kinds in the symbolic space (a role ARN as caller behaves as its session)."""

DIGIT = CharClass(frozenset("0123456789"))
ACCOUNT_SHAPE = Pattern("account-id", tuple(Token(DIGIT) for _ in range(12)))
PARTITION_SHAPE = Pattern(
    "partition",
    (
        Token(CharClass(frozenset("abcdefghijklmnopqrstuvwxyz"))),
        Token(CharClass(frozenset("abcdefghijklmnopqrstuvwxyz-")), star=True),
    ),
)
MAX_REGION_GLOBS = 6
"""Partial wildcards on account ids (or partitions) beyond this make the query UNKNOWN."""

DERIVED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        "aws:userid",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "kms:calleraccount",
        "aws:resourceaccount",
        "aws:federatedprovider",
    }
)
"""Keys AWS sets from the caller or the resource; the symbolic request never supplies them."""

ACCOUNT_KEYS = frozenset({"aws:principalaccount", "kms:calleraccount", "aws:resourceaccount"})


class Unsupported(Exception):
    """A construct the symbolic engine cannot represent exactly."""


def all_policies(sets: Iterable[PolicySet], decisions: bool = False) -> list[Policy]:
    """Every policy of the sets; with ``decisions``, also the AWS-enforced protections
    that every full decision applies."""
    out: list[Policy] = [aws_protections()] if decisions else []
    for ps in sets:
        out.extend(ps.identity)
        out.extend(p for p in (ps.boundary, ps.session, ps.resource) if p is not None)
        out.extend(p for level in ps.scps for p in level)
        out.extend(p for level in ps.rcps for p in level)
        out.extend(ps.endpoints)
        out.extend(ps.protections)
    return out


@dataclass(frozen=True, slots=True)
class FiniteDomain:
    """Concrete values that together stand for every value of a dimension."""

    values: tuple[str, ...]
    complete: bool = True
    literals: frozenset[str] = frozenset()
    """The values named literally by some policy (the rest stand for unnamed ones)."""


def regions(
    shape: Pattern, literals: Iterable[str], globs: Iterable[str], fresh: int, prefix: str
) -> FiniteDomain:
    """Literals, one value per satisfiable combination of the globs, and ``fresh`` others."""
    from cksmodel.symbolic.strings import glob as glob_pattern
    from cksmodel.symbolic.strings import literal

    lits = sorted(set(literals))
    partial = sorted({g for g in globs if g != "*" and ("*" in g or "?" in g)})
    values = list(lits)
    complete = len(partial) <= MAX_REGION_GLOBS
    lit_patterns = [literal(v) for v in lits]
    if complete:
        for inside in itertools.product((True, False), repeat=len(partial)):
            pos = [shape] + [
                glob_pattern(g, ignore_case=True) for g, i in zip(partial, inside, strict=True) if i
            ]
            neg = [
                glob_pattern(g, ignore_case=True)
                for g, i in zip(partial, inside, strict=True)
                if not i
            ]
            if not any(inside):
                continue
            try:
                found = witness(pos, neg + lit_patterns + [literal(v) for v in values])
            except SearchLimit:
                complete = False
                break
            if found is not None:
                values.append(found)
    seen = set(values)
    counter = 0
    added = 0
    while added < fresh:
        candidate = _fresh_value(prefix, counter)
        counter += 1
        if candidate in seen or any(compile_glob(g, True).match(candidate) for g in partial):
            continue
        values.append(candidate)
        seen.add(candidate)
        added += 1
    return FiniteDomain(tuple(values), complete, frozenset(lits))


def _fresh_value(prefix: str, n: int) -> str:
    if prefix == "account":
        return f"{999_999_999_900 - n:012d}"
    return f"aws-fresh{'x' * n}"


@dataclass(slots=True)
class Universe:
    """Domains for one symbolic query over a set of policy sets (and grants)."""

    actions: tuple[str, ...]
    accounts: FiniteDomain
    partitions: FiniteDomain
    decisions: bool = True
    """Whether the domains allow for full decisions (the AWS-enforced protections)."""
    groups: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    """Per action of the domain, the actions it stands for, and whether they are all of
    the catalog's actions that the policies and the evaluator treat that way."""
    multi_valued: dict[str, int] = field(default_factory=dict)
    """Multi-valued context keys and how many values a request needs at most: one
    per condition on the key, since each condition, in either polarity, is decided
    by at most one value (so the bound loses no counterexample)."""


def resource_shape(action: str) -> str:
    """``star`` for actions authorized only on ``*``, ``arn`` for actions on typed
    resources, ``any`` for actions the catalog does not know."""
    info = get_catalog().action(action)
    if info is None:
        return "any"
    return "star" if info.star_only else "arn"


def _action_signature(
    action: str, patterns: Sequence[str], grant_ops: frozenset[str]
) -> tuple[object, ...]:
    lower = action.lower()
    service, _, op = lower.partition(":")
    special = (
        service if service in RCP_SERVICES or service in ("kms", "sts", "iam") else "",
        lower in TRUST_ACTIONS,
        lower in KMS_CROSS_ACCOUNT,
        lower in RCP_EXEMPT_ACTIONS,
        op if service == "kms" and op in grant_ops else "",
        lower in ALWAYS_ALLOWED,
        FEDERATED_ONLY.get(lower),
        tuple(lower in actions for actions in FEDERATION_ACTIONS.values()),
    )
    return (
        special,
        resource_shape(action),
        tuple(compile_glob(p, True).match(lower) for p in patterns),
    )


SPECIAL_SERVICES = frozenset({"kms", "sts"})
"""Services whose individual actions the evaluator treats specially (grant
operations, cross-account KMS operations, trust actions)."""


@lru_cache(maxsize=256)
def action_groups(
    patterns: tuple[str, ...], grant_ops: frozenset[str], extra: tuple[str, ...] = ()
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """One representative action per way the patterns (and the evaluator) can treat it,
    with the actions it stands for and whether they are all such catalog actions.

    Services that no pattern names and that only full wildcards (``*``, ``*:*``)
    reach all behave alike, so one action of each resource shape stands for them;
    the named and special services contribute every catalog action (grouped, so
    that each group lists the actions, and hence the ARN formats, it stands for),
    except when a pattern with a wildcard in its service part makes every service
    relevant: then a service all of whose relevant patterns cover every action name
    contributes one action per shape.
    """
    catalog = get_catalog()
    pats = sorted({p.lower() for p in patterns})
    split = [(p.partition(":")[0], p.partition(":")[2], ":" in p) for p in pats]
    full = {"*", "*:*"}
    partial_service = any(
        ("*" in svc or "?" in svc or not colon) and pat not in full
        for pat, (svc, _, colon) in zip(pats, split, strict=True)
    )
    named = {svc for svc, _, colon in split if colon and not ("*" in svc or "?" in svc)}
    detailed = named | SPECIAL_SERVICES | RCP_SERVICES | {"iam"}
    services = sorted(catalog.services() if partial_service else detailed & set(catalog.services()))
    candidates: list[tuple[str, bool]] = [(a, False) for a in extra]
    for svc in services:
        relevant = [
            ("*", True) if pat == "*" else (name, has_colon)
            for pat, (svc_glob, name, has_colon) in zip(pats, split, strict=True)
            if (
                compile_glob(svc_glob, True).match(svc)
                if has_colon
                else compile_glob(pat, True).match(svc + ":x")
            )
        ]
        uniform = all(has_colon and name == "*" for name, has_colon in relevant)
        if svc in SPECIAL_SERVICES or not uniform or not partial_service:
            candidates.extend((a, True) for a in catalog.actions_of(svc))
        else:
            candidates.extend((a, False) for a in _shape_representatives(svc))
        candidates.append((f"{svc}:UnlistedAction", False))
    if not partial_service:
        candidates.extend((a, False) for a in _other_services(frozenset(detailed)))
    candidates.append(("unlisted-service:UnlistedAction", False))
    ops = frozenset(o.lower() for o in grant_ops)
    groups: dict[tuple[object, ...], list[tuple[str, bool]]] = {}
    for action, enumerated in candidates:
        groups.setdefault(_action_signature(action, pats, ops), []).append((action, enumerated))
    found = {
        members[0][0]: (
            tuple(dict.fromkeys(a for a, _ in members)),
            all(enumerated for _, enumerated in members),
        )
        for members in groups.values()
    }
    return {a: found[a] for a in sorted(found, key=str.lower)}


@lru_cache(maxsize=1024)
def _shape_representatives(service: str) -> tuple[str, ...]:
    """The first catalog action of the service for each resource shape."""
    found: dict[str, str] = {}
    for action in get_catalog().actions_of(service):
        found.setdefault(resource_shape(action), action)
    return tuple(found.values())


@lru_cache(maxsize=64)
def _other_services(excluded: frozenset[str]) -> tuple[str, ...]:
    """One action of each resource shape from services outside ``excluded``."""
    found: dict[str, str] = {}
    for service in sorted(get_catalog().services() - excluded):
        for action in _shape_representatives(service):
            found.setdefault(resource_shape(action), action)
        if len(found) == 2:
            break
    return tuple(found.values())


def build_universe(
    sets: Sequence[PolicySet],
    fixed: Request | None = None,
    named: Sequence[str] = (),
    decisions: bool = True,
) -> Universe:
    """The domains of the symbolic request for these policy sets (and named accounts);
    ``decisions`` when the query takes full decisions (not single-policy checks)."""
    policies = all_policies(sets, decisions)
    action_patterns: list[str] = []
    account_literals: set[str] = set(named)
    account_globs: set[str] = set()
    partition_literals: set[str] = {"aws"}
    partition_globs: set[str] = set()
    multi: set[str] = set()
    counts: dict[str, int] = {}

    def arn_parts(text: str) -> None:
        parts = split_arn(text)
        if parts is None:
            return
        for value, lits, globs in (
            (parts[1], partition_literals, partition_globs),
            (parts[4], account_literals, account_globs),
        ):
            if "*" in value or "?" in value:
                globs.add(value)
            elif value:
                lits.add(value)

    for policy in policies:
        for stmt in policy.statements:
            action_patterns.extend(v.text for v in stmt.action_patterns)
            for v in (*(stmt.resources or ()), *(stmt.not_resources or ())):
                arn_parts(v.text)
            for pset in (stmt.principal, stmt.not_principal):
                if pset is None:
                    continue
                for v in pset.aws:
                    identity = principal_identity(v.text)
                    if identity is not None and len(identity) > 1:
                        account_literals.add(identity[1])
                    arn_parts(v.text)
                for v in pset.federated:
                    arn_parts(v.text)
            for cond in stmt.conditions:
                key = cond.key_lower
                for v in cond.values:
                    arn_parts(v.text)
                    if key in ACCOUNT_KEYS:
                        if "*" in v.text or "?" in v.text:
                            account_globs.add(v.text)
                        else:
                            account_literals.add(v.text)
                counts[key] = counts.get(key, 0) + 1
                if cond.qualifier is not Qualifier.NONE or _catalog_multi(key):
                    multi.add(key)
    grant_ops: set[str] = set()
    for ps in sets:
        if ps.management_account:
            account_literals.add(ps.management_account)
        for g in ps.grants:
            grant_ops.update(g.operations)
            identity = principal_identity(g.grantee)
            if identity is not None and len(identity) > 1:
                account_literals.add(identity[1])
            arn_parts(g.key_id)
            multi.add("kms:grantoperations")
            counts["kms:grantoperations"] = counts.get("kms:grantoperations", 0) + 1
    extra: list[str] = []
    if fixed is not None:
        extra.append(fixed.action)
        partition_literals.add(fixed.principal.partition)
        if fixed.principal.is_federated:
            arn_parts(fixed.principal.text)
        if fixed.principal.account:
            account_literals.add(fixed.principal.account)
        arn_parts(fixed.resource)
        if fixed.resource_account:
            account_literals.add(fixed.resource_account)
        for key, value in fixed.context.items():
            if not isinstance(value, str | bool | int | float):
                multi.add(key)
                counts[key] = max(counts.get(key, 0), len(value))
    accounts = regions(
        ACCOUNT_SHAPE, (a for a in account_literals if _is_account(a)), account_globs, 2, "account"
    )
    partitions = regions(PARTITION_SHAPE, partition_literals, partition_globs, 1, "partition")
    groups = action_groups(tuple(sorted(set(action_patterns))), frozenset(grant_ops), tuple(extra))
    return Universe(
        actions=tuple(groups),
        groups=groups,
        accounts=accounts,
        partitions=partitions,
        decisions=decisions,
        multi_valued={k: max(1, counts.get(k, 1)) for k in sorted(multi)},
    )


def _is_account(text: str) -> bool:
    """A 12-digit account id, or ``aws``, the account of AWS managed policies."""
    return (len(text) == 12 and text.isdigit()) or text == "aws"


def _catalog_multi(key: str) -> bool:
    info = get_catalog().key_is_multi_valued(key)
    return bool(info)
