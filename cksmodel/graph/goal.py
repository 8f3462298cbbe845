"""The part of the reachability graph that questions need, built backwards from them.

A full build decides every edge out of every actor: with many administrators and
roles trusting the account root that is quadratic in the principals. A
:class:`GoalGraph` starts from the principals and outsiders alone; each question
(:meth:`GoalGraph.prepare`) first finds who can do it directly, then:

* the modifications (rewrites, group joins) of the actors that can make one, except
  those already calling the action themselves (a path through a modification they
  make is never better than their direct call); each such actor's forward closure
  is built, as a modification needs the credentials of its target;
* while the answer is searched backwards from the direct callers, the edges *into*
  a node as it is reached (:meth:`GoalGraph.incoming`): candidates come from indexes
  (a role's trust policy keys; the actors whose statements mention a credential,
  pass-role or trust-rewrite action), and actors already answered are not asked.

Every edge is decided exactly as in the full build, so the answers are the same
(``tests/graph/test_goal.py`` compares them); only edges no answer uses are left
out. Questions accumulate: a later question reuses every edge decided before.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cksmodel.account.model import Account, IamPrincipal
from cksmodel.graph.actors import Actor
from cksmodel.graph.build import AccessGraph
from cksmodel.graph.compute import COMPUTE_ACTIONS
from cksmodel.graph.modify import PRINCIPAL_ACTIONS
from cksmodel.graph.query import _direct
from cksmodel.symbolic.progress import Progress, check_progress, no_progress

__all__ = ["GoalGraph", "goal_graph"]

_CREDENTIALS = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
_ROLE_ACTIONS = (
    "iam:PassRole",
    "iam:UpdateAssumeRolePolicy",
    "lambda:UpdateFunctionCode",
    "glue:UpdateDevEndpoint",
    *COMPUTE_ACTIONS,
)


class GoalGraph(AccessGraph):
    """A reachability graph grown by the questions asked of it."""

    whole = False

    def __init__(
        self, account: Account, *, timeout: float = 30.0, progress: Progress = no_progress
    ) -> None:
        super().__init__(account, timeout=timeout, progress=progress)
        self._by_key: dict[tuple[str, ...], list[str]] = {}
        """Actor ids by the index keys that may name them (see ``Decider.caller_keys``)."""
        self._movers: dict[str, list[str]] = {"user": [], "role": []}
        """Actors whose statements mention an action giving an edge to any user or role."""
        self._prepared: set[tuple[str, str]] = set()
        self._source_lists: dict[str, tuple[int, list[str]]] = {}
        self._touching: dict[str, bool] = {}
        self._order: dict[str, int] = {}

    def build(self) -> GoalGraph:
        """Principals, outsiders and identity providers' edges; no other edge yet."""
        start = time.monotonic()
        for actor in self._start():
            if actor.kind == "federated":
                self._expand(actor)
        self._finish(start)
        return self

    def _add(self, actor: Actor) -> bool:
        if not super()._add(actor):
            return False
        if actor.kind != "federated":
            assumes = not actor.internal or self.decider.mentions(actor, "sts:AssumeRole")
            for key in self.decider.caller_keys(actor):
                if key[0] == "account" and not assumes:
                    continue  # a trust naming its account needs an identity Allow
                self._by_key.setdefault(key, []).append(actor.id)
        if actor.internal:
            if any(self.decider.usable(actor, a) for a in _CREDENTIALS):
                self._movers["user"].append(actor.id)
            if any(self.decider.usable(actor, a) for a in _ROLE_ACTIONS):
                self._movers["role"].append(actor.id)
        return True

    # ---------------------------------------------------------------- questions

    def prepare(self, action: str, resource: str) -> None:
        """Modifications that may matter to the question, up to a fixed point."""
        if (action, resource) in self._prepared:
            return
        start = time.monotonic()
        while True:
            direct = _direct(self, action, resource)
            settled = {a for a, step in direct.items() if step.holds}
            new: list[Actor] = []
            actors = list(self.actors.values())
            for n, actor in enumerate(actors):
                self.progress("modifications", n, len(actors))
                if actor.id in settled or not self._modifies(actor):
                    continue
                if self._touches_others(actor):
                    self._closure(actor, settled)
                new += self._modify(actor)
            self.progress("modifications", len(actors), len(actors))
            if not new:
                break
            self.direct.pop((action, resource, False), None)
        self._prepared.add((action, resource))
        self._finish(start - self.stats.seconds)

    def _touches_others(self, actor: Actor) -> bool:
        """Could the actor's statements modify a principal other than its own base (then
        the routes to their credentials are needed)?"""
        if actor.id not in self._touching:
            groups = {g.name: g.arn for g in self.account.groups}
            self._touching[actor.id] = any(
                p.arn != actor.base and self._may_modify(actor, p, groups)
                for p in self.account.principals
            )
        return self._touching[actor.id]

    def _may_modify(self, actor: Actor, p: IamPrincipal, groups: dict[str, str]) -> bool:
        may = self.decider.may
        if any(may(actor, a, p.arn) for a in PRINCIPAL_ACTIONS[p.kind]):
            return True
        if p.kind == "user" and any(may(actor, "iam:AddUserToGroup", a) for a in groups.values()):
            return True
        touched = [groups[n] for n in p.groups if n in groups]
        if any(may(actor, a, g) for g in touched for a in PRINCIPAL_ACTIONS["group"]):
            return True
        managed = [q.name.removeprefix("managed/") for q in p.policies]
        return any(
            may(actor, a, arn)
            for arn in managed
            if ":policy/" in arn
            for a in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
        )

    def _closure(self, actor: Actor, settled: set[str]) -> None:
        """What the actor can reach, breadth first: each node's edges to principals not
        reached yet (shortest routes need no other edge; none once every principal is
        reached), not past actors in ``settled``."""
        seen = {actor.id}
        unseen = {p.arn for p in self.account.principals} - {actor.base}
        frontier = [actor.id]
        while frontier and unseen:
            following: list[str] = []
            for node in frontier:
                if node in settled or not unseen:
                    continue
                source = self.actors.get(node)  # None for compute: one edge, to its role
                if (
                    source is not None
                    and source.kind != "federated"
                    and not any(c.startswith("key:") for c in source.changes)
                ):
                    for p in self._candidates(source, unseen):
                        if p.arn == source.base or (node, p.arn) in self._pairs:
                            continue
                        self._toward(source, p)
                for n in self.act.successors(node):
                    if n not in seen:
                        seen.add(n)
                        unseen.discard(n)
                        following.append(n)
            frontier = following

    def incoming(self, node: str, skip: Callable[[str], bool]) -> None:
        """Decide the edges into a bundle principal from the actors the question still
        needs: not those already answered, nor those already queued at the cost an edge
        into this node would give them."""
        p = self._by_base.get(node)
        if p is None or p.arn != node:
            return
        for source in self._sources(p):
            if source == node or (source, node) in self._pairs or skip(source):
                continue
            actor = self.actors[source]
            if actor.kind == "federated" or (actor.internal and actor.base == node):
                continue
            self._toward(actor, p)

    def _sources(self, p: IamPrincipal) -> list[str]:
        """Actors that may have an edge to the principal, in the order they were added
        (kept until an actor is added)."""
        cached = self._source_lists.get(p.arn)
        if cached is not None and cached[0] == len(self.actors):
            return cached[1]
        found: set[str] = set(self._movers[p.kind])
        if p.kind == "role":
            for key in self.decider.trust_keys(p):
                found.update(self._by_key.get(key, ()))
        if len(self._order) != len(self.actors):
            self._order = {a: n for n, a in enumerate(self.actors)}
        out = sorted(found, key=self._order.__getitem__)
        self._source_lists[p.arn] = (len(self.actors), out)
        return out


def goal_graph(
    account: Account, *, timeout: float = 30.0, progress: Progress = no_progress
) -> GoalGraph:
    """A reachability graph that decides only the edges its questions need; ``progress``
    is told of the principals added, then of each question's steps."""
    hook = check_progress("progress", progress)
    return GoalGraph(account, timeout=timeout, progress=hook).build()
