"""Which actions a principal gains or loses between two accounts, with witnesses.

The notebook's what-if model (:meth:`cksmodel.notebook.whatif.Model.diff`) and the ``diff``
command (an account bundle against the bundle after a plan) both ask the prover, action by
action, whether a principal can call each action on each resource, on both sides.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cksmodel.account.access import Tri
from cksmodel.account.model import Account, IamPrincipal
from cksmodel.invariants.prove import Prover
from cksmodel.invariants.spec import ResourceRef, Spec
from cksmodel.markup import badge, box, code, line, table
from cksmodel.policy.catalog import get_catalog
from cksmodel.symbolic.progress import Progress, no_progress

__all__ = [
    "DIFF_ACTIONS",
    "DIFF_SERVICES",
    "Access",
    "PermissionDiff",
    "default_actions",
    "on_keys",
    "on_roles",
    "permission_diff",
    "permission_diffs",
]

Access = tuple[str, str]
"""(action, resource): the resource is ``*``, a key ARN or a role ARN."""

DIFF_SERVICES = ("kms", "cloudhsm")
DIFF_ACTIONS = ("iam:PassRole", "iam:CreateServiceLinkedRole", "sts:AssumeRole")
"""With every action of :data:`DIFF_SERVICES`: what a diff checks by default."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PermissionDiff:
    """Which (action, resource) pairs a principal gains or loses; ``undecided`` where
    either side's answer is not known (a timeout or an approximation). ``witnesses`` hold,
    for each gained or lost pair, the replayed request of the side that allows it."""

    principal: str
    gained: tuple[Access, ...] = ()
    lost: tuple[Access, ...] = ()
    undecided: tuple[Access, ...] = ()
    checked: int = 0
    time_s: float = 0.0
    witnesses: tuple[tuple[Access, dict[str, Any]], ...] = ()

    def witness(self, pair: Access) -> dict[str, Any] | None:
        return next((w for p, w in self.witnesses if p == pair), None)

    def to_json(self) -> dict[str, Any]:
        def pairs(items: tuple[Access, ...]) -> list[dict[str, Any]]:
            out = []
            for action, resource in items:
                item: dict[str, Any] = {"action": action, "resource": resource}
                found = self.witness((action, resource))
                if found is not None:
                    item["witness"] = found
                out.append(item)
            return out

        return {
            "principal": self.principal,
            "gained": pairs(self.gained),
            "lost": pairs(self.lost),
            "undecided": pairs(self.undecided),
            "checked": self.checked,
            "time_s": round(self.time_s, 3),
        }

    def _repr_html_(self) -> str:
        """Permissions gained, lost and undecided between two models, one row each."""
        rows = [
            (badge(kind), code(action), code(resource))
            for kind, items in (
                ("gained", self.gained),
                ("lost", self.lost),
                ("undecided", self.undecided),
            )
            for action, resource in items
        ]
        head = line(
            code(self.principal),
            f"{len(self.gained)} gained, {len(self.lost)} lost, {len(self.undecided)} undecided "
            f"of {self.checked} checked",
        )
        body = table(("", "action", "resource"), rows) if rows else line("no change")
        return box([head, body])


def default_actions() -> tuple[str, ...]:
    """Every action of :data:`DIFF_SERVICES`, then :data:`DIFF_ACTIONS`."""
    catalog = get_catalog()
    return (*(a for s in DIFF_SERVICES for a in catalog.actions_of(s)), *DIFF_ACTIONS)


def _allowed(
    prover: Prover, who: IamPrincipal, actions: Sequence[str], ref: ResourceRef
) -> dict[str, Tri]:
    """Whether ``who`` can call each action on the resource.

    Asks about a group of actions at once: a group that is denied needs one
    question, and an allowed one names the action that is (the replayed
    request's), which leaves the group; an undecided group is halved.
    """
    out: dict[str, Tri] = {}
    pending = [tuple(actions)]
    while pending:
        group = pending.pop()
        if not group:
            continue
        answer = prover.can(who, group, ref, (), None, readable=False)
        if answer.value is False or len(group) == 1:
            out.update(dict.fromkeys(group, answer))
            continue
        called = {str(e.get("request", {}).get("action", "")).lower() for e in answer.evidence}
        witness = [a for a in group if a.lower() in called] if answer.value else []
        if witness:
            out.update(dict.fromkeys(witness, answer))
            pending.append(tuple(a for a in group if a not in witness))
        else:
            half = len(group) // 2
            pending += [group[:half], group[half:]]
    return out


def on_keys(action: str) -> bool:
    """Whether the action can name a KMS key (unknown actions: assumed so)."""
    info = get_catalog().action(action)
    return info is None or "key" in info.resource_types


def on_roles(action: str) -> bool:
    """Whether the action can name an IAM role (``sts:AssumeRole``, ``iam:PassRole``, ...)."""
    info = get_catalog().action(action)
    return info is not None and "role" in info.resource_types


def _ref(account: Account, resource: str) -> ResourceRef | None:
    """How the prover names a resource of the account; ``None`` when the account lacks it."""
    if resource == "*":
        return ResourceRef(kind="text", text="*")
    if ":key/" in resource:
        return ResourceRef(kind="key", text=resource) if account.key(resource) else None
    found = account.principal(resource)
    if found is None or found.kind != "role":
        return None
    return ResourceRef(kind="role", text=found.name)


def _prover(account: Account, timeout: float) -> Prover:
    return Prover(
        Spec(source="diff", personas={}, invariants=()),
        account,
        timeout=timeout,
        max_counterexamples=1,
    )


def _side(prover: Prover, who: IamPrincipal | None, pairs: Sequence[Access]) -> dict[Access, Tri]:
    """One account's answer for every pair: no principal or no resource, no access."""
    found = {pair: Tri(False) for pair in pairs}
    if who is None:
        return found
    for resource in dict.fromkeys(r for _, r in pairs):
        ref = _ref(prover.account, resource)
        if ref is None:
            continue
        asked = [a for a, r in pairs if r == resource]
        for action, answer in _allowed(prover, who, asked, ref).items():
            found[action, resource] = answer
    return found


def _principal(account: Account, arn: str) -> IamPrincipal | None:
    return next((p for p in account.principals if p.arn == arn), None)


def permission_diff(
    before: Account,
    after: Account,
    principal: str,
    pairs: Sequence[Access],
    *,
    timeout: float = 30.0,
) -> PermissionDiff:
    """What the principal (an ARN) can do in ``after`` and not in ``before`` (gained), and
    the reverse (lost), for each (action, resource) pair. A principal or resource one side
    lacks has no access there; a gained or lost pair has the allowing side's replayed request
    as its witness."""
    return permission_diffs(before, after, (principal,), pairs, timeout=timeout)[0]


def permission_diffs(
    before: Account,
    after: Account,
    principals: Sequence[str],
    pairs: Sequence[Access],
    *,
    timeout: float = 30.0,
    progress: Progress = no_progress,
) -> list[PermissionDiff]:
    """:func:`permission_diff` for each principal, sharing one prover per side."""
    provers = (_prover(before, timeout), _prover(after, timeout))
    out = []
    for done, principal in enumerate(principals):
        progress("principals", done, len(principals), principal)
        start = time.monotonic()
        old, new = (
            _side(prover, _principal(prover.account, principal), pairs) for prover in provers
        )
        gained: list[Access] = []
        lost: list[Access] = []
        undecided: list[Access] = []
        witnesses: list[tuple[Access, dict[str, Any]]] = []
        for pair in pairs:
            a, b = old[pair].value, new[pair].value
            if a is None or b is None:
                undecided.append(pair)
            elif a != b:
                (gained if b else lost).append(pair)
                allowing = new[pair] if b else old[pair]
                if allowing.evidence:
                    witnesses.append((pair, allowing.evidence[0]))
        out.append(
            PermissionDiff(
                principal=principal,
                gained=tuple(sorted(gained)),
                lost=tuple(sorted(lost)),
                undecided=tuple(sorted(undecided)),
                checked=len(pairs),
                time_s=time.monotonic() - start,
                witnesses=tuple(sorted(witnesses, key=lambda w: w[0])),
            )
        )
    progress("principals", len(principals), len(principals))
    return out
