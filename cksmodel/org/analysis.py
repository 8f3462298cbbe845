"""An organization analysed as a whole: the rounds of per-account tasks, then the join.

:func:`analyse_organization` runs the three rounds of :mod:`cksmodel.org.tasks` on an
executor (in-process, a local cluster or an existing one: the same calls) and joins
the accounts' graphs (:mod:`cksmodel.org.union`). Results depend only on the bundle,
not on the executor: tasks are pure functions of their arguments, and results come
back in account order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cksmodel.account.model import OrgContext, Peer
from cksmodel.account.organization import Organization, read_organization
from cksmodel.invariants.spec import Spec
from cksmodel.org.tasks import AccountGraph, AccountWork, Survey, analyse, export, member_views
from cksmodel.org.tasks import survey as survey_task
from cksmodel.org.union import OrgGraph, join
from cksmodel.symbolic.progress import Progress, no_progress

if TYPE_CHECKING:
    from cksmodel.org.executor import Executor

__all__ = ["OrgAnalysis", "Questions", "analyse_organization"]

Questions = Sequence[tuple[str, str]] | Callable[[Sequence[Survey]], Sequence[tuple[str, str]]]
"""(action, resource) pairs to answer, or a function giving them from the surveys."""


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgAnalysis:
    """An organization's joined graph and each member account's own results."""

    organization: Organization
    folder: str
    graph: OrgGraph
    accounts: tuple[AccountGraph, ...]
    surveys: tuple[Survey, ...]
    warnings: tuple[str, ...]

    def keys(self) -> tuple[str, ...]:
        """The ARNs of every KMS key of every member account with a bundle."""
        return tuple(k for s in self.surveys for k in s.keys)


def analyse_organization(
    folder: str | Path,
    *,
    executor: Executor,
    specs: Sequence[Spec] = (),
    questions: Questions = (),
    timeout: float = 30.0,
    progress: Progress = no_progress,
) -> OrgAnalysis:
    """Survey every member account, export the principals other accounts name, then
    build each account's graph among them (answering ``questions``, or those the
    function ``questions`` asks of the surveys, and proving the per-account ``specs``),
    and join the graphs."""
    where = str(Path(folder))
    run = uuid.uuid4().hex
    org = read_organization(Path(folder))
    ids = org.member_ids()
    surveys: list[Survey] = executor.map(
        survey_task,
        [(where, a, run) for a in ids],
        progress=progress,
        task="accounts surveyed",
        affinity=ids,
    )
    by_id = {s.account_id: s for s in surveys}
    wanted, names_by, whole = _named(surveys)
    named = [a for a in ids if wanted.get(a)]
    exported: list[dict[str, Peer]] = executor.map(
        export,
        [(where, a, tuple(sorted(wanted[a])), run) for a in named],
        progress=progress,
        task="accounts exporting named principals",
        affinity=named,
    )
    peers = {arn: peer for found in exported for arn, peer in found.items()}
    views = member_views(org, whole, by_id)
    asked = tuple(dict.fromkeys(questions(surveys) if callable(questions) else questions))
    works = [
        AccountWork(
            folder=where,
            account_id=a,
            run=run,
            context=OrgContext(
                organization_id=org.organization_id,
                management_account=org.management_account,
                members=views,
                peers={arn: peers[arn] for arn in sorted(names_by.get(a, ())) if arn in peers},
            ),
            questions=asked,
            specs=tuple(specs),
            timeout=timeout,
        )
        for a in ids
    ]
    order = sorted(range(len(works)), key=lambda n: -_cost(by_id[ids[n]], works[n]))
    done: list[AccountGraph] = executor.map(
        analyse,
        [works[n] for n in order],
        progress=progress,
        task="accounts analysed",
        affinity=[ids[n] for n in order],
    )
    graphs = [g for _, g in sorted(zip(order, done, strict=True), key=lambda pair: pair[0])]
    warnings = list(org.warnings)
    for s in surveys:
        warnings += [f"account {s.account_id}: {w}" for w in s.warnings]
    return OrgAnalysis(
        organization=org,
        folder=where,
        graph=join(graphs),
        accounts=tuple(graphs),
        surveys=tuple(surveys),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _cost(survey: Survey, work: AccountWork) -> int:
    """A rough size of an account's analysis, to start the largest first (a late large
    account would leave the other workers idle at the end)."""
    return len(survey.principals) + len(work.context.peers) + 4 * len(survey.keys)


def _named(
    surveys: Sequence[Survey],
) -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """Which principals of each account other accounts name (as its bundle writes their
    ARNs), which each account names, and the accounts named as a whole."""
    index: dict[tuple[str, str, str], str] = {}
    every: dict[str, tuple[str, ...]] = {}
    for s in surveys:
        every[s.account_id] = s.principals
        for arn in s.principals:
            index[_identity(arn)] = arn
    wanted: dict[str, set[str]] = {}
    names_by: dict[str, set[str]] = {}
    whole: set[str] = set()
    for s in surveys:
        mine = names_by.setdefault(s.account_id, set())
        for name in s.names:
            account, kind, _ = _identity(name)
            if kind == "root":
                whole.add(account)
                found = set(every.get(account, ()))
            else:
                known = index.get(_identity(name))
                found = {known} if known is not None else set()
            mine |= found
            wanted.setdefault(account, set()).update(found)
    return wanted, names_by, whole


def _identity(arn: str) -> tuple[str, str, str]:
    """(account, ``role``/``user``/``root``, name folded) of an IAM ARN: IAM compares
    names without case, and a policy may name a role without its path."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return ("", "", arn)
    kind, _, rest = parts[5].partition("/")
    return (parts[4], kind, rest.rpartition("/")[2].casefold())
