"""The reachability graph of an account: who can become whom.

Nodes are :class:`~cksmodel.graph.actors.Actor` ids (plus IAM groups, for
membership); an edge ``A -> B`` means that A can act as B. The ways to do so:

* ``assume``: ``sts:AssumeRole`` on B, allowed by B's trust policy and A's side
  (identity policies, boundary, SCPs; for outsiders, their account is taken to
  allow anything); identity providers are read from the trust policy;
* ``pass_role``: ``iam:PassRole`` on role B to a service B trusts, with the API
  calls that make the service act as B (:data:`~cksmodel.graph.edges.LAUNCHERS`);
* ``credentials``: ``iam:CreateAccessKey``, ``iam:CreateLoginProfile`` or
  ``iam:UpdateLoginProfile`` on user B;
* ``trust``: ``iam:UpdateAssumeRolePolicy`` on role B, then ``sts:AssumeRole``;
* ``rewrite``: A holds B's credentials and can rewrite B's identity policies
  (``Put``/``Attach`` ``Role``/``User`` ``Policy``, ``iam:CreatePolicyVersion`` or
  ``iam:SetDefaultPolicyVersion`` on a managed policy attached to B): the node
  ``B#rewritten`` is B with any identity policy, still within its permissions
  boundary unless A can also remove that;
* ``group``: A holds user B's credentials and can ``iam:AddUserToGroup`` B to G:
  the node ``B#group:G`` has G's policies too;
* ``kms``: A can ``kms:PutKeyPolicy`` on key K (key takeover: a key policy giving A
  ``kms:*``) or ``kms:CreateGrant`` on it (a grant of every grant operation to A):
  node ``A#key:K``. These edges are added for a key when a question is about it
  (:meth:`AccessGraph.key_takeovers`).

Every edge is decided by :class:`~cksmodel.graph.edges.Decider` with the exact
semantics, and carries its provenance. An edge the engine cannot decide is
kept with ``status = "undecided"``, so answers built on it say so.

What is left out changes no answer: a modified actor gets no edge to a principal
that each of its predecessors already reaches (whoever reaches it passes through
one of them; a predecessor added later gets the missing edges); no
``B#group:G`` is made where the same actor can rewrite B (``B#rewritten``
allows more); and the ``iam:PassRole`` decision is shared between roles that
the actor's, the organization's and the protections' statements match alike
(each edge's witness names its own role).

Resource tags are not in account bundles: conditions on ``aws:ResourceTag`` are
already treated as satisfiable, so tag and alias changes need no edges of their
own. ``iam:SetDefaultPolicyVersion`` is taken to reach any policy (bundles keep
only default versions): an over-approximation, named in the edge's reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

import networkx as nx

from cksmodel.account.access import Target
from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.graph.actors import (
    ALL_ACCESS,
    Actor,
    external_actors,
    principal_actor,
    takeover_policy,
    trusting_policy,
)
from cksmodel.graph.edges import LAUNCHERS, Decider, Step, federated_action
from cksmodel.markup import Html, box, line, seconds, table
from cksmodel.policy.ir import GRANT_OPERATIONS, Grant

__all__ = ["ACT_AS", "AccessGraph", "build_graph"]

ACT_AS = frozenset({"assume", "pass_role", "credentials", "trust", "rewrite", "group", "kms"})
"""Edge kinds meaning "can act as"; ``member`` edges only record group membership."""

MAX_CHANGES = 3
"""Changes one modified actor may combine; deeper combinations add nothing new in
practice and would grow the graph combinatorially."""

_REWRITE = {
    "role": ("iam:PutRolePolicy", "iam:AttachRolePolicy"),
    "user": ("iam:PutUserPolicy", "iam:AttachUserPolicy"),
}
_UNBOUND = {
    "role": ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"),
    "user": ("iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"),
}
_CREDENTIALS = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
_VERSIONS = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildStats:
    """What building the graph took."""

    seconds: float
    actors: int
    edges: int
    questions: int
    undecided: int


class AccessGraph:
    """A built reachability graph and the decider that built it (reused by queries)."""

    def __init__(self, account: Account, *, timeout: float = 30.0) -> None:
        self.account = account
        self.decider = Decider(account, timeout=timeout)
        self.graph: nx.DiGraph[str] = nx.DiGraph(
            account=account.account_id,
            warnings="\n".join(account.warnings),
            title=f"who can act as whom in account {account.account_id}",
        )
        self.actors: dict[str, Actor] = {}
        self.act: nx.DiGraph[str] = nx.DiGraph()
        """The "act as" edges alone, without attributes: what reachability walks."""
        self._by_base: dict[str, IamPrincipal] = {p.arn: p for p in account.principals}
        self._checked: set[tuple[str, str]] = set()
        self.direct: dict[tuple[str, str, bool], dict[str, Step]] = {}
        self._pruned: set[str] = set()
        """Modified actors expanded without edges to what their predecessors reach."""
        self._taken: set[str] = set()
        self._passed: dict[tuple[str, str, tuple[tuple[bool, ...], ...] | None], Step] = {}
        """PassRole decisions shared by roles alike for the actor (same signature)."""
        self._trusting: dict[tuple[str, ...], set[str]] | None = None
        self._reach: dict[str, frozenset[str]] = {}
        self._launches: dict[tuple[str, str], tuple[tuple[str, ...], bool | None] | None] = {}
        """Actors that can call (action, resource) themselves, filled by the queries."""
        self.stats = BuildStats(seconds=0.0, actors=0, edges=0, questions=0, undecided=0)

    # ---------------------------------------------------------------- building

    def build(self) -> AccessGraph:
        start = time.monotonic()
        for group in self.account.groups:
            self.graph.add_node(
                group.arn,
                kind="group",
                label=f"group/{group.name}",
                arn=group.arn,
                account=self.account.account_id,
                service_linked=False,
            )
        pending = [principal_actor(p) for p in self.account.principals]
        pending += external_actors(self.account)
        for actor in pending:
            self._add(actor)
        for p in self.account.principals:
            for name in p.groups:
                member_of = self.account.group(name)
                if member_of is not None:
                    self.graph.add_edge(
                        p.arn,
                        member_of.arn,
                        kind="member",
                        via="member of",
                        **Step(holds=True).attrs(),
                    )
        while pending:
            for actor in pending:
                self._expand(actor)
            pending = self._modifications()
        self.stats = BuildStats(
            seconds=time.monotonic() - start,
            actors=len(self.actors),
            edges=self.graph.number_of_edges(),
            questions=self.decider.questions,
            undecided=sum(1 for *_, d in self.graph.edges(data=True) if d["status"] == "undecided"),
        )
        return self

    def _add(self, actor: Actor) -> bool:
        if actor.id in self.actors:
            return False
        self.actors[actor.id] = actor
        self.act.add_node(actor.id)
        principal = actor.principal
        self.graph.add_node(
            actor.id,
            kind=actor.kind,
            label=actor.label,
            arn=actor.arn or actor.base,
            account=actor.account or (principal.account if principal else ""),
            service_linked=bool(principal and principal.service_linked),
        )
        return True

    def _edge(self, source: Actor, target: str, kind: str, via: str, step: Step) -> None:
        if step.holds is False or source.id == target:
            return
        old = self.graph.get_edge_data(source.id, target)
        if old is not None and (old["status"] == "holds" or step.holds is None):
            return
        self.graph.add_edge(source.id, target, kind=kind, via=via, **step.attrs())
        if kind in ACT_AS and not self.act.has_edge(source.id, target):
            self.act.add_edge(source.id, target)
            self._reach.clear()
        if target in self._pruned:
            actor, reach = self.actors[target], self.reach(source.id)
            for p in self._candidates(actor):
                missing = p.arn not in reach and not self.graph.has_edge(target, p.arn)
                if missing and p.arn != actor.base:
                    self._toward(actor, p)

    def _roles(self) -> Iterable[IamPrincipal]:
        return (p for p in self.account.principals if p.kind == "role")

    def _expand(self, actor: Actor) -> None:
        """Every edge out of a new actor that does not depend on what it can reach."""
        if actor.kind == "federated":
            for role in self._roles():
                self._edge(
                    actor,
                    role.arn,
                    "assume",
                    federated_action(actor.external),
                    self.decider.web_identity(actor, role),
                )
            return
        if any(c.startswith("key:") for c in actor.changes):
            return
        known = self._known(actor)
        if actor.changes:
            self._pruned.add(actor.id)
        for p in self._candidates(actor):
            if p.arn not in known:
                self._toward(actor, p)

    def _candidates(self, actor: Actor) -> list[IamPrincipal]:
        """The principals an actor might have an edge to, in bundle order: roles whose
        trust policy may let it in, and, when its policies mention the actions, users
        (credentials) and roles (pass role, trust rewrite)."""
        if self._trusting is None:
            self._trusting = {}
            for role in self._roles():
                for key in self.decider.trust_keys(role):
                    self._trusting.setdefault(key, set()).add(role.arn)
        keys = self.decider.caller_keys(actor)
        wanted = set().union(*(self._trusting.get(k, set()) for k in keys))
        if actor.internal:
            if any(self.decider.mentions(actor, a) for a in _CREDENTIALS):
                wanted |= {p.arn for p in self.account.principals if p.kind == "user"}
            if any(
                self.decider.mentions(actor, a)
                for a in ("iam:PassRole", "iam:UpdateAssumeRolePolicy")
            ):
                wanted |= {p.arn for p in self._roles()}
        return [p for p in self.account.principals if p.arn in wanted]

    def _toward(self, actor: Actor, p: IamPrincipal) -> None:
        """The edges from an actor to one principal."""
        if (
            p.kind == "role"
            and self.decider.trusts(p, actor)
            and (
                not actor.internal
                or self.decider.mentions(actor, "sts:AssumeRole")
                or (_named_directly(p, actor))
            )
        ):
            step = self.decider.decide(
                actor,
                ("sts:AssumeRole",),
                Target(p.arn, p.arn, True, p.trust_policy),
                prefer="resource",
            )
            self._edge(actor, p.arn, "assume", "sts:AssumeRole", step)
        if not actor.internal:
            return
        if p.kind == "user":
            for action in _CREDENTIALS:
                if self.decider.may(actor, action, p.arn):
                    step = self.decider.decide(actor, (action,), _at(p.arn))
                    self._edge(actor, p.arn, "credentials", action, step)
            return
        self._pass_role(actor, p)
        if self.decider.may(actor, "iam:UpdateAssumeRolePolicy", p.arn):
            self._update_trust(actor, p)

    def _known(self, actor: Actor) -> set[str]:
        """Principals an actor needs no edge to: its own base, and for a modified actor
        every principal that each of its predecessors already reaches (whoever reaches
        the actor passes through one of them). A predecessor added later gets the edges
        it lacks (:meth:`_edge`)."""
        if not actor.changes:
            return {actor.base}
        sources = [s for s, _ in _incoming(self.graph, actor.id)]
        if not sources:
            return {actor.base}
        shared = frozenset.intersection(*(self.reach(s) for s in sources))
        return {actor.base} | {n for n in shared if n in self._by_base}

    def _pass_role(self, actor: Actor, role: IamPrincipal) -> None:
        if not self.decider.mentions(actor, "iam:PassRole") or role.trust_policy is None:
            return
        if not self.decider.may(actor, "iam:PassRole", role.arn):
            return
        services = sorted(
            {
                v.text.lower()
                for s in role.trust_policy.statements
                if s.principal is not None
                for v in s.principal.service
            }
            & LAUNCHERS.keys()
        )
        signature = self.decider.signature(actor, "iam:PassRole", role.arn)
        for service in services:
            key = (actor.id, service, signature)
            shared = self._passed.get(key) if signature is not None else None
            if shared is not None:
                passed = shared.retarget(role.arn)
            else:
                passed = self.decider.decide(
                    actor, ("iam:PassRole",), _at(role.arn), (("iam:PassedToService", service),)
                )
                if signature is not None:
                    self._passed[key] = passed
            if passed.holds is False:
                continue
            launch = self._launch(actor, service)
            if launch is None:
                continue
            calls, launched = launch
            holds = None if passed.holds is None or launched is None else True
            step = Step(
                holds=holds,
                policy=passed.policy,
                statement_index=passed.statement_index,
                sid=passed.sid,
                source=passed.source,
                line=passed.line,
                column=passed.column,
                condition=passed.condition,
                witness=passed.witness,
                reason=f"passes the role to {service}, then calls {' and '.join(calls)}"
                + ("" if holds else f" ({passed.reason or 'launch undecided'})"),
            )
            self._edge(actor, role.arn, "pass_role", f"iam:PassRole + {' + '.join(calls)}", step)

    def _launch(self, actor: Actor, service: str) -> tuple[tuple[str, ...], bool | None] | None:
        """The first group of calls that makes the service act, and whether it is decided."""
        key = (actor.id, service)
        if key not in self._launches:
            self._launches[key] = self._find_launch(actor, service)
        return self._launches[key]

    def _find_launch(
        self, actor: Actor, service: str
    ) -> tuple[tuple[str, ...], bool | None] | None:
        best: tuple[tuple[str, ...], bool | None] | None = None
        for calls in LAUNCHERS[service]:
            if not all(self.decider.mentions(actor, c) for c in calls):
                continue
            steps = [self.decider.decide(actor, (c,), Target("anything", "", False)) for c in calls]
            if any(s.holds is False for s in steps):
                continue
            decided = all(s.holds for s in steps)
            if decided:
                return calls, True
            best = best or (calls, None)
        return best

    def _update_trust(self, actor: Actor, role: IamPrincipal) -> None:
        step = self.decider.decide(actor, ("iam:UpdateAssumeRolePolicy",), _at(role.arn))
        if step.holds is False:
            return
        assume = self.decider.decide(
            actor,
            ("sts:AssumeRole",),
            Target(role.arn, role.arn, True, trusting_policy(actor, role)),
        )
        if assume.holds is False:
            return
        holds = None if step.holds is None or assume.holds is None else True
        self._edge(
            actor,
            role.arn,
            "trust",
            "iam:UpdateAssumeRolePolicy + sts:AssumeRole",
            replace(step, holds=holds),
        )

    def key_takeovers(self, key: Key) -> None:
        """Add, once per key, the ``kms`` edges for it: every actor that can take the key
        over (``kms:PutKeyPolicy``) or grant itself on it (``kms:CreateGrant``) gets a
        modified actor with that change in force. Done when a question is about the key,
        so the build does not grow with principals times keys."""
        if key.arn in self._taken:
            return
        self._taken.add(key.arn)
        named = self.decider.named_by_key(key)
        for actor in list(self.actors.values()):
            if not actor.internal or any(c.startswith("key:") for c in actor.changes):
                continue
            if not (
                self.decider.mentions(actor, "kms:PutKeyPolicy")
                or self.decider.mentions(actor, "kms:CreateGrant")
                or self.decider.caller_keys(actor) & named
            ):
                continue  # neither its identity policies nor the key name it
            if len(actor.changes) >= MAX_CHANGES:
                continue
            assert actor.principal is not None
            target = self.decider.key_target(actor, key)
            for action in ("kms:PutKeyPolicy", "kms:CreateGrant"):
                step = self.decider.decide(actor, (action,), target, prefer="resource")
                if step.holds is False:
                    continue
                if action == "kms:PutKeyPolicy":
                    new = actor.modified(
                        f"key:{key.key_id}",
                        key_policies=((key.arn, takeover_policy(actor, key)),),
                    )
                else:
                    grant = Grant(
                        index=len(key.grants),
                        key_id=key.key_id,
                        grantee=actor.principal.arn,
                        operations=GRANT_OPERATIONS,
                        name=f"created by {actor.label}",
                    )
                    new = actor.modified(f"key:{key.key_id}", grants=(grant,))
                self._add(new)
                self._edge(actor, new.id, "kms", action, step)
                break

    # ---------------------------------------------------------------- modifications

    def reach(self, node: str) -> frozenset[str]:
        """The node and everything it can act as (cached until an edge is added)."""
        found = self._reach.get(node)
        if found is None:
            found = frozenset(nx.descendants(self.act, node) | {node})
            self._reach[node] = found
        return found

    def _repr_html_(self) -> str:
        """The graph drawn by Graphviz when ``dot`` is installed, else its edges as a table."""
        from cksmodel.graph.render import svg

        s = self.stats
        parts = [
            line(
                Html("<strong>Reachability graph</strong>"),
                f"account {self.account.account_id}: {s.actors} actors, {s.edges} edges, "
                f"{s.undecided} undecided, built in {seconds(s.seconds)}",
            )
        ]
        drawing = svg(self.graph)
        if drawing is not None:
            parts.append(Html(drawing[drawing.find("<svg") :]))
        else:
            parts.append(line("Graphviz `dot` was not found: the edges are listed instead."))
            parts.append(
                table(
                    ("from", "to", "via", "status", "policy", "line"),
                    (
                        (a, b, d["via"], d["status"], d["policy"], d["line"])
                        for a, b, d in sorted(self.graph.edges(data=True))
                        if d["kind"] != "member"
                    ),
                )
            )
        return box(parts)

    def _modifications(self) -> list[Actor]:
        """Modified actors that became reachable; the new ones, to expand next."""
        new: list[Actor] = []
        for actor in list(self.actors.values()):
            if not actor.internal or "rewritten" in actor.changes:
                continue
            if any(c.startswith("key:") for c in actor.changes):
                continue
            if len(actor.changes) >= MAX_CHANGES:
                continue
            routes = nx.single_source_shortest_path(self.act, actor.id)
            for node, route in sorted(routes.items()):
                base = self.actors[node].base if node in self.actors else ""
                if not base or node not in (base, actor.id) or (actor.id, base) in self._checked:
                    continue
                self._checked.add((actor.id, base))
                target = self._by_base[base]
                requires = route if len(route) > 1 else []
                new += self._rewrite(actor, target, requires)
                if target.kind == "user":
                    new += self._join(actor, target, requires)
        return new

    def _holder(self, target: IamPrincipal) -> Actor:
        return self.actors[target.arn]

    def _rewrite(self, actor: Actor, target: IamPrincipal, requires: list[str]) -> list[Actor]:
        methods = [(a, _at(target.arn)) for a in _REWRITE[target.kind]]
        for policy in target.policies:
            arn = policy.name.removeprefix("managed/")
            if policy.name.startswith("managed/") and f":{self.account.account_id}:" in arn:
                methods += [(a, _at(arn)) for a in _VERSIONS]
        for action, where in methods:
            if not self.decider.may(actor, action, where.pattern):
                continue
            step = self.decider.decide(actor, (action,), where)
            if step.holds is False:
                continue
            unbound = target.boundary is not None and any(
                self.decider.may(actor, a, target.arn)
                and self.decider.decide(actor, (a,), _at(target.arn)).holds
                for a in _UNBOUND[target.kind]
            )
            holder = self._holder(target)
            new = holder.modified("rewritten", policies=(ALL_ACCESS,), drop_boundary=unbound)
            if action == "iam:SetDefaultPolicyVersion":
                step = replace(
                    step,
                    reason="any stored version is taken to be any policy "
                    "(bundles keep only default versions)",
                )
            added = self._add(new)
            self._edge(actor, new.id, "rewrite", action, _holding(step, requires))
            return [new] if added else []
        return []

    def _join(self, actor: Actor, user: IamPrincipal, requires: list[str]) -> list[Actor]:
        """Group memberships the actor can give a user it holds. None when the actor can
        rewrite the user's policies: ``user#rewritten`` (any policy, same or no boundary)
        already allows whatever a group could add."""
        rewritten = self.graph.get_edge_data(actor.id, f"{user.arn}#rewritten")
        if rewritten is not None and rewritten["status"] == "holds":
            return []
        out = []
        for group in self.account.groups:
            if group.name in user.groups:
                continue
            if not self.decider.may(actor, "iam:AddUserToGroup", group.arn):
                continue
            step = self.decider.decide(actor, ("iam:AddUserToGroup",), _at(group.arn))
            if step.holds is False:
                continue
            holder = self._holder(user)
            assert holder.principal is not None
            new = holder.modified(
                f"group:{group.name}",
                policies=holder.principal.policies + group.policies,
            )
            if self._add(new):
                out.append(new)
            self._edge(actor, new.id, "group", "iam:AddUserToGroup", _holding(step, requires))
        return out


def _holding(step: Step, requires: list[str]) -> Step:
    """A modification of another principal needs its credentials: say through what."""
    if not requires:
        return step
    route = " -> ".join(requires)
    note = f"also needs {requires[-1]}'s credentials, held through {route}"
    return replace(
        step, requires=tuple(requires), reason="; ".join(filter(None, [step.reason, note]))
    )


def _at(arn: str) -> Target:
    return Target(arn, arn, True)


def _incoming(graph: nx.DiGraph[str], node: str) -> list[tuple[str, dict[str, object]]]:
    """The "act as" edges into a node, with their data."""
    return [
        (s, graph[s][node]) for s in graph.predecessors(node) if graph[s][node]["kind"] in ACT_AS
    ]


def _named_directly(role: IamPrincipal, actor: Actor) -> bool:
    """Does the trust policy name the actor itself (so no identity Allow is needed)?"""
    from cksmodel.concrete.evaluate import Match, match_principal

    if role.trust_policy is None or actor.principal is None:
        return False
    caller = actor.principal.request_principal()
    return any(
        s.principal is not None
        and match_principal(s.principal, caller) not in (None, Match.ACCOUNT)
        for s in role.trust_policy.statements
    )


def build_graph(account: Account, *, timeout: float = 30.0) -> AccessGraph:
    """Build the reachability graph of an account bundle."""
    return AccessGraph(account, timeout=timeout).build()
