"""The per-account work of an organization-wide analysis, as picklable tasks.

Each task names its account by the organization bundle's folder and the account id
and loads what it needs on the worker that runs it (bundles are read once per worker
process and kept for the next task about the same account), so only small values
travel: principal ARNs, the member principals another account names, and each
account's graph as nodes and edges.

Three rounds, each one task per member account with a bundle:

1. :func:`survey`: the account's principals and the member principals and member
   accounts its policies name;
2. :func:`export`: the named principals of the account with their own policies and
   SCPs (:class:`~cksmodel.account.model.Peer`);
3. :func:`analyse`: the account's reachability graph with those peers decided with
   their real policies, the action nodes of the organization's questions on its
   resources, and the per-account invariants proved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from cksmodel.account.model import Account, MemberView, OrgContext, Peer
from cksmodel.account.organization import Organization, load_member, read_organization
from cksmodel.account.outside import named_principals
from cksmodel.graph.build import build_graph
from cksmodel.graph.query import add_action
from cksmodel.invariants.prove import prove
from cksmodel.invariants.results import ProveReport
from cksmodel.invariants.spec import Spec

__all__ = ["AccountGraph", "AccountWork", "Survey", "analyse", "export", "survey"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Survey:
    """What one member account holds and names in other member accounts."""

    account_id: str
    principals: tuple[str, ...]
    """The ARNs of its users and roles."""
    names: tuple[str, ...]
    """ARNs of principals of other member accounts its policies name, and
    ``arn:PARTITION:iam::ID:root`` for a member account named as a whole."""
    keys: tuple[str, ...] = ()
    """The ARNs of its KMS keys."""
    keys_known: bool = True
    """False when its bundle has no ``kms/keys/`` (which keys exist is unknown)."""
    holds_stores: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountWork:
    """What :func:`analyse` needs for one account."""

    folder: str
    account_id: str
    run: str
    """The analysis this task belongs to (bundles are cached per analysis)."""
    context: OrgContext
    questions: tuple[tuple[str, str], ...] = ()
    """(action, resource) pairs the organization asks; each account answers those on
    its own resources, and those on ``*`` for its own principals."""
    specs: tuple[Spec, ...] = ()
    timeout: float = 30.0


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountGraph:
    """One account's reachability graph, its answers and its per-account proofs."""

    account_id: str
    nodes: tuple[tuple[str, dict[str, Any]], ...]
    edges: tuple[tuple[str, str, dict[str, Any]], ...]
    actions: dict[tuple[str, str], str] = field(default_factory=dict)
    """The node of each question this account answers."""
    report: ProveReport | None = None
    undecided: int = 0
    cpu_s: float = 0.0
    """CPU seconds the task spent (loading excluded when the bundle was already read)."""


@lru_cache(maxsize=2)
def _organization(folder: str, run: str) -> Organization:
    return read_organization(Path(folder))


@lru_cache(maxsize=64)
def _member(folder: str, account_id: str, run: str) -> Account:
    """A member's bundle, read once per analysis (``run``) on each worker (the rounds
    send an account's tasks back to the worker that read it): a later analysis reads
    the files again, as they may have changed. Up to 64 bundles are kept per worker."""
    return load_member(_organization(folder, run), account_id)


def survey(item: tuple[str, str, str]) -> Survey:
    """Round 1 for one account: ``item`` is (organization folder, account id, run)."""
    folder, account_id, run = item
    org = _organization(folder, run)
    account = _member(folder, account_id, run)
    members = {a.id for a in org.accounts}
    names: set[str] = set()
    for named in named_principals(account):
        if named.account not in members or named.account == account_id:
            continue
        if named.kind in ("role", "user", "account"):
            names.add(named.value)
    return Survey(
        account_id=account_id,
        principals=tuple(p.arn for p in account.principals),
        names=tuple(sorted(names)),
        keys=tuple(k.arn for k in account.keys),
        keys_known=account.keys_known,
        holds_stores=bool(account.stores),
        warnings=account.warnings,
    )


def export(item: tuple[str, str, tuple[str, ...], str]) -> dict[str, Peer]:
    """Round 2 for one account: its principals among ``wanted`` (ARNs as its bundle
    writes them) with their own policies, SCPs and known context."""
    folder, account_id, wanted, run = item
    account = _member(folder, account_id, run)
    chosen = set(wanted)
    return {
        p.arn: Peer(principal=p, scps=account.scps, context=account.context(p))
        for p in account.principals
        if p.arn in chosen
    }


def analyse(work: AccountWork) -> AccountGraph:
    """Round 3 for one account: its graph among its peers, the organization's questions
    about its resources, and its invariants."""
    start = time.process_time()
    account = replace(_member(work.folder, work.account_id, work.run), org=work.context)
    graph = build_graph(account, timeout=work.timeout)
    actions: dict[tuple[str, str], str] = {}
    for action, resource in work.questions:
        if resource == "*" or _account_of(resource) == account.account_id:
            actions[(action, resource)] = add_action(graph, action, resource)
    report = None
    if work.specs:
        report = prove(list(work.specs), account, timeout=work.timeout, graph=graph)
    return AccountGraph(
        account_id=account.account_id,
        nodes=tuple((n, dict(d)) for n, d in graph.graph.nodes(data=True)),
        edges=tuple((a, b, dict(d)) for a, b, d in graph.graph.edges(data=True)),
        actions=actions,
        report=report,
        undecided=graph.stats.undecided if graph.stats is not None else 0,
        cpu_s=time.process_time() - start,
    )


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def member_views(
    org: Organization, whole: set[str], surveys: dict[str, Survey]
) -> dict[str, MemberView]:
    """Every member account as another account sees it: its SCP levels, and its
    principals when ``whole`` names it as a whole."""
    out = {}
    for a in org.accounts:
        found = surveys.get(a.id)
        out[a.id] = MemberView(
            account_id=a.id,
            scps=org.levels(a.id)[0],
            principals=found.principals if found is not None and a.id in whole else (),
            has_bundle=found is not None,
            holds_stores=found is not None and found.holds_stores,
        )
    return out
