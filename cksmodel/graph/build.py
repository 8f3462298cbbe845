"""The reachability graph of an account: who can become whom.

Nodes are :class:`~cksmodel.graph.actors.Actor` ids (plus IAM groups, for
membership); an edge ``A -> B`` means that A can act as B. The ways to do so:

* ``assume``: ``sts:AssumeRole`` on B, allowed by B's trust policy and A's side
  (identity policies, boundary, SCPs; for outsiders, their account is taken to
  allow anything); identity providers are read from the trust policy;
* ``pass_role``: ``iam:PassRole`` on role B to a service B trusts, with every API
  call of one method that makes the service act as B, and B's instance profile for
  EC2 (:data:`~cksmodel.graph.launch.LAUNCHERS`); methods that take over an existing
  function or endpoint are undecided (bundles do not list them);
* ``credentials``: ``iam:CreateAccessKey``, ``iam:CreateLoginProfile`` or
  ``iam:UpdateLoginProfile`` on user B;
* ``trust``: ``iam:UpdateAssumeRolePolicy`` on role B, then ``sts:AssumeRole``;
* ``rewrite``: A holds B's credentials and can change B's identity policies
  (:mod:`~cksmodel.graph.modify`): the node ``B#rewritten`` has what A can add
  (any inline policy; the managed policies A may attach, decided with
  ``iam:PolicyARN``; any policy through a new version of a customer managed policy in
  force) and keeps what A cannot remove (policies with a Deny statement, the
  boundary); ``B#version:POLICY:VID`` is B with a stored version of one of its
  managed policies made the default (``iam:SetDefaultPolicyVersion``);
* ``group``: A holds user B's credentials and can ``iam:AddUserToGroup`` B to G:
  the node ``B#group:G`` has G's policies too;
* ``compute`` and ``runs_as``: A can change what a Lambda function, EC2 instance, ECS
  service, CloudFormation stack or Glue endpoint of the bundle runs, and that compute
  runs as role B (:mod:`~cksmodel.graph.compute`): ``A -> compute -> B``;
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
``B#group:G`` is made where the same actor can write any policy into B's
(``B#rewritten`` allows more); actors whose statements cannot call a modifying
action are not asked for modifications; and decisions are shared between
resources the actor's, the organization's and the protections' statements match
alike (with the same trust policy text, for roles): a shared witness is replayed
on each resource, so each edge's witness names its own.

Resource tags are not in account bundles: conditions on ``aws:ResourceTag`` are
already treated as satisfiable, so tag and alias changes need no edges of their
own. :mod:`~cksmodel.graph.goal` builds only the part of this graph a question
needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from os import PathLike

import networkx as nx

from cksmodel.account.access import Target
from cksmodel.account.bundle import as_account
from cksmodel.account.model import Account, IamPrincipal, Key
from cksmodel.account.outside import outside_named, same_identity
from cksmodel.arguments import check_seconds
from cksmodel.graph.actors import (
    Actor,
    external_actors,
    outside_actor,
    principal_actor,
    takeover_policy,
    trusting_policy,
)
from cksmodel.graph.compute import COMPUTE_ACTIONS, ComputeEdges
from cksmodel.graph.edges import Decider, Step, federated_action
from cksmodel.graph.launch import LAUNCHERS
from cksmodel.graph.modify import REWRITE_ACTIONS, Rewriter
from cksmodel.markup import Html, box, line, seconds, table
from cksmodel.policy.ir import GRANT_OPERATIONS, Grant
from cksmodel.symbolic.progress import Progress, check_progress, no_progress

__all__ = ["ACT_AS", "AccessGraph", "build_graph"]

ACT_AS = frozenset(
    {"assume", "pass_role", "credentials", "trust", "rewrite", "group", "kms", "compute", "runs_as"}
)
"""Edge kinds meaning "can act as"; ``member`` edges only record group membership."""

MAX_CHANGES = 3
"""Changes one modified actor may combine; deeper combinations add nothing new in
practice and would grow the graph combinatorially."""

TAKEOVER_KINDS = frozenset({"user", "role", "modified", "session", "federated-user", "account"})
"""Actors that may take a key over: the bundle's principals and principals of other
accounts (whose own identity policies are unknown, so taken to allow the call); not
services, anonymous callers or identity providers, which only act as what they assume."""

MODIFY_ACTIONS = REWRITE_ACTIONS | {"iam:AddUserToGroup"}
"""Actions that may change a principal's identity policies or groups."""
_CREDENTIALS = ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
_ROLE_ACTIONS = (
    "iam:PassRole",
    "iam:UpdateAssumeRolePolicy",
    "lambda:UpdateFunctionCode",
    "glue:UpdateDevEndpoint",
    *COMPUTE_ACTIONS,
)
"""Actions that may give an edge to a role the actor's trust does not reach."""


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

    whole = True
    """Every edge is decided (a goal graph decides only those its questions need)."""

    def __init__(
        self, account: Account, *, timeout: float = 30.0, progress: Progress = no_progress
    ) -> None:
        self.account = account
        self.progress = progress
        self.decider = Decider(account, timeout=timeout)
        self.rewriter = Rewriter(account, self.decider)
        self.compute = ComputeEdges(account, self.decider)
        self._full: set[str] = set()
        """Rewritten actors that may hold any policy."""
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
        self._pairs: set[tuple[str, str]] = set()
        self._modifiers: dict[str, bool] = {}
        """Whether an actor may call an action that modifies a principal."""
        """(actor, principal) pairs whose edges are decided."""
        self.direct: dict[tuple[str, str, bool], dict[str, Step]] = {}
        self._pruned: set[str] = set()
        """Modified actors expanded without edges to what their predecessors reach."""
        self._taken: dict[str, set[str]] = {}
        """Actors whose takeover edges of a key (by ARN) are decided."""
        self._passes: dict[tuple[str, str, tuple[tuple[bool, ...], ...] | None], Step] = {}
        """PassRole decisions shared by roles alike for the actor (same signature)."""
        self._trusting: dict[tuple[str, ...], set[str]] | None = None
        self._index: dict[str, int] = {}
        self._kinds: dict[str, set[str]] = {}
        self._reach: dict[str, frozenset[str]] = {}
        self._launches: dict[tuple[str, tuple[str, ...]], Step | None] = {}
        """Whether an actor can make a group of launch calls."""
        self.stats = BuildStats(seconds=0.0, actors=0, edges=0, questions=0, undecided=0)

    # ---------------------------------------------------------------- building

    def build(self) -> AccessGraph:
        start = time.monotonic()
        pending = self._start()
        task = "edges from principals"
        while pending:
            for n, actor in enumerate(pending):
                self.progress(task, n, len(pending), actor.label)
                self._expand(actor)
            self.progress(task, len(pending), len(pending))
            pending = self._modifications()
            task = "edges from modified principals"
        self._finish(start)
        return self

    def _start(self) -> list[Actor]:
        """Groups, the bundle's principals and the outsiders, and group membership."""
        for group in self.account.groups:
            self.graph.add_node(
                group.arn,
                kind="group",
                label=f"group/{group.name}",
                arn=group.arn,
                account=self.account.account_id,
                service_linked=False,
                outside_bundle=False,
                aws_internal=False,
            )
        pending = [principal_actor(p) for p in self.account.principals]
        pending += external_actors(self.account)
        for n, actor in enumerate(pending):
            self.progress("principals", n, len(pending))
            self._add(actor)
        self.progress("principals", len(pending), len(pending))
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
        return pending

    def _finish(self, start: float) -> None:
        self.stats = BuildStats(
            seconds=time.monotonic() - start,
            actors=len(self.actors),
            edges=self.graph.number_of_edges(),
            questions=self.decider.questions,
            undecided=sum(1 for *_, d in self.graph.edges(data=True) if d["status"] == "undecided"),
        )

    def prepare(self, action: str, resource: str) -> None:
        """Make the graph ready for a question (a built graph is always ready)."""

    def incoming(self, node: str, skip: Callable[[str], bool]) -> None:
        """Decide the edges into a node from the actors a question still needs (``skip``
        tells the others); a built graph has them all already."""

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
            outside_bundle=principal is None,
            aws_internal=actor.aws_internal,
        )
        return True

    def outsider(self, arn: str) -> str | None:
        """The node of a principal of another account given by ARN (a role, user, role
        session or federated user, or the account's root for the whole account), added
        with its edges when no policy names it; None for any other text."""
        named = outside_named(self.account, arn)
        if named is None:
            return None
        for actor in self.actors.values():
            if not actor.internal and actor.kind == named.kind and same_identity(actor.arn, arn):
                return actor.id
        actor = outside_actor(named)
        self._add(actor)
        self._expand(actor)
        self.direct.clear()
        return actor.id

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

    def _candidates(self, actor: Actor, within: set[str] | None = None) -> list[IamPrincipal]:
        """The principals an actor might have an edge to, in bundle order: roles whose
        trust policy may let it in, and, when its policies can call the actions, users
        (credentials) and roles (pass role, trust rewrite); only those ``within``, when
        given."""
        if self._trusting is None:
            self._trusting = {}
            for role in self._roles():
                for key in self.decider.trust_keys(role):
                    self._trusting.setdefault(key, set()).add(role.arn)
            self._index = {p.arn: n for n, p in enumerate(self.account.principals)}
            self._kinds = {
                kind: {p.arn for p in self.account.principals if p.kind == kind}
                for kind in ("user", "role")
            }
        keys = self.decider.caller_keys(actor)
        wanted = set().union(*(self._trusting.get(k, set()) for k in keys))
        if actor.internal:
            if any(self.decider.usable(actor, a) for a in _CREDENTIALS):
                wanted |= self._kinds["user"] if within is None else self._kinds["user"] & within
            if any(self.decider.usable(actor, a) for a in _ROLE_ACTIONS):
                wanted |= self._kinds["role"] if within is None else self._kinds["role"] & within
        if within is not None:
            wanted &= within
        principals = self.account.principals
        return [principals[i] for i in sorted(self._index[a] for a in wanted)]

    def _toward(self, actor: Actor, p: IamPrincipal) -> None:
        """The edges from an actor to one principal."""
        self._pairs.add((actor.id, p.arn))
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
                if self.decider.usable(actor, action) and self.decider.may(actor, action, p.arn):
                    step = self.decider.decide(actor, (action,), _at(p.arn))
                    self._edge(actor, p.arn, "credentials", action, replace(step, changes=p.arn))
            return
        self._pass_role(actor, p)
        self._take_over(actor, p)
        if self.decider.usable(actor, "iam:UpdateAssumeRolePolicy") and self.decider.may(
            actor, "iam:UpdateAssumeRolePolicy", p.arn
        ):
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
        """Edges that make a service act as the role: every call of one launch method
        decided (``iam:PassRole`` to that service with ``iam:PassedToService`` when the
        method passes the role), and the role's instance profile when EC2 needs one."""
        if role.trust_policy is None:
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
        passes = self.decider.usable(actor, "iam:PassRole") and self.decider.may(
            actor, "iam:PassRole", role.arn
        )
        for service in services:
            passed: Step | None = None
            for launch in LAUNCHERS[service]:
                if launch.instance_profile and not role.instance_profiles:
                    continue
                if launch.inventory in self.account.compute_known:
                    continue  # decided for each listed resource (_take_over)
                if launch.pass_role and not passes:
                    continue
                if launch.pass_role:
                    passed = passed or self._passed(actor, role, service)
                    if passed.holds is False:
                        continue
                calls = self._calls(actor, launch.calls)
                if calls is None:
                    continue
                first = passed if launch.pass_role and passed is not None else calls
                holds = None if first.holds is None or calls.holds is None else True
                what = " and ".join(launch.calls)
                notes = []
                if launch.existing:
                    holds = None
                    notes.append(f"needs {launch.existing}, which bundles do not list")
                elif not holds:
                    notes.append(first.reason or calls.reason or "launch undecided")
                lead = f"passes the role to {service}, then calls" if launch.pass_role else "calls"
                step = replace(
                    first,
                    holds=holds,
                    reason="; ".join([f"{lead} {what}", *notes]),
                    changes=role.arn,
                )
                via = " + ".join((("iam:PassRole",) if launch.pass_role else ()) + launch.calls)
                self._edge(actor, role.arn, "pass_role", via, step)

    def _take_over(self, actor: Actor, role: IamPrincipal) -> None:
        """Edges actor -> compute -> role for the bundle's compute running as the role
        that the actor can make run its code, and actor -> role for a listed Lambda
        function the actor can give the role and its code
        (:class:`~cksmodel.graph.compute.ComputeEdges`)."""
        for resource in self.compute.running_as(role.arn):
            found = self.compute.takeover(actor, resource)
            if found is None:
                continue
            if resource.arn not in self.act:
                self.graph.add_node(resource.arn, **ComputeEdges.node(resource))
                self.graph.add_edge(
                    resource.arn,
                    role.arn,
                    kind="runs_as",
                    via="runs as",
                    **self.compute.runs_as(resource).attrs(),
                )
                self.act.add_edge(resource.arn, role.arn)
                self._reach.clear()
            via, step = found
            self._edge(actor, resource.arn, "compute", via, step)
        if "lambda" in self.account.compute_known:
            swapped = self.compute.new_role(actor, role)
            if swapped is not None:
                self._edge(actor, role.arn, "pass_role", *swapped)

    def _passed(self, actor: Actor, role: IamPrincipal, service: str) -> Step:
        """``iam:PassRole`` of the role to the service, shared between roles alike for the
        actor (same signature; the witness is rewritten for each role)."""
        signature = self.decider.signature(actor, "iam:PassRole", role.arn)
        key = (actor.id, service, signature)
        shared = self._passes.get(key) if signature is not None else None
        if shared is not None:
            return shared.retarget(role.arn)
        passed = self.decider.decide(
            actor, ("iam:PassRole",), _at(role.arn), (("iam:PassedToService", service),)
        )
        if signature is not None:
            self._passes[key] = passed
        return passed

    def _calls(self, actor: Actor, calls: tuple[str, ...]) -> Step | None:
        """Can the actor make every call (on some resource)? None when one is refused;
        else the first call's step, undecided when one of them is."""
        key = (actor.id, calls)
        if key not in self._launches:
            found: Step | None = None
            if all(self.decider.mentions(actor, c) for c in calls):
                steps = [
                    self.decider.decide(actor, (c,), Target("anything", "", False)) for c in calls
                ]
                if all(s.holds is not False for s in steps):
                    undecided = next((s for s in steps if s.holds is None), None)
                    found = undecided or steps[0]
            self._launches[key] = found
        return self._launches[key]

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
            replace(step, holds=holds, changes=role.arn),
        )

    def key_takeovers(self, key: Key) -> None:
        """Add, once per key and actor, the ``kms`` edges for it: every actor that can take
        the key over (``kms:PutKeyPolicy``) or grant itself on it (``kms:CreateGrant``) gets a
        modified actor with that change in force. Done when a question is about the key,
        so the build does not grow with principals times keys."""
        taken = self._taken.setdefault(key.arn, set())
        named = self.decider.named_by_key(key)
        for actor in list(self.actors.values()):
            if actor.id in taken:
                continue
            taken.add(actor.id)
            if actor.kind not in TAKEOVER_KINDS or any(c.startswith("key:") for c in actor.changes):
                continue
            if actor.internal and not (
                self.decider.mentions(actor, "kms:PutKeyPolicy")
                or self.decider.mentions(actor, "kms:CreateGrant")
                or self.decider.caller_keys(actor) & named
            ):
                continue  # neither its identity policies nor the key name it
            if len(actor.changes) >= MAX_CHANGES:
                continue
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
                        grantee=actor.identity_arn,
                        operations=GRANT_OPERATIONS,
                        name=f"created by {actor.label}",
                    )
                    new = actor.modified(f"key:{key.key_id}", grants=(grant,))
                self._add(new)
                self._edge(actor, new.id, "kms", action, replace(step, changes=key.arn))
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
            if self._modifies(actor):
                new += self._modify(actor)
        return new

    def _modifies(self, actor: Actor) -> bool:
        """Could the actor change a principal's policies or groups (an Allow names a way
        to, and nothing refuses it whatever the resource)?"""
        if not actor.internal or "rewritten" in actor.changes:
            return False
        if any(c.startswith("key:") for c in actor.changes) or len(actor.changes) >= MAX_CHANGES:
            return False
        if actor.id not in self._modifiers:
            usable = any(self.decider.usable(actor, a) for a in MODIFY_ACTIONS)
            self._modifiers[actor.id] = usable
        return self._modifiers[actor.id]

    def _modify(self, actor: Actor) -> list[Actor]:
        """The modifications the actor can make to each principal it holds."""
        new: list[Actor] = []
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
        """Modified actors for the target's identity policies as the actor can rewrite them
        (:class:`~cksmodel.graph.modify.Rewriter`)."""
        out = []
        holder = self._holder(target)
        for rewrite in self.rewriter.rewrites(actor, target):
            new = holder.modified(
                rewrite.change, policies=rewrite.policies, drop_boundary=rewrite.drop_boundary
            )
            if rewrite.full:
                self._full.add(new.id)
            if self._add(new):
                out.append(new)
            self._edge(actor, new.id, "rewrite", rewrite.via, _holding(rewrite.step, requires))
        return out

    def _join(self, actor: Actor, user: IamPrincipal, requires: list[str]) -> list[Actor]:
        """Group memberships the actor can give a user it holds. None when the actor can
        write any policy into the user's (``user#rewritten`` allows whatever a group could
        add: it keeps no more Deny policies and the same or no boundary)."""
        rewritten = f"{user.arn}#rewritten"
        done = self.graph.get_edge_data(actor.id, rewritten)
        if done is not None and done["status"] == "holds" and rewritten in self._full:
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
            joined = replace(step, changes=group.arn)
            self._edge(actor, new.id, "group", "iam:AddUserToGroup", _holding(joined, requires))
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


def build_graph(
    account: Account | str | PathLike[str],
    *,
    timeout: float = 30.0,
    progress: Progress = no_progress,
) -> AccessGraph:
    """Build the reachability graph of an account (an :class:`Account` or a bundle path);
    ``progress`` is told of the principals added and of those whose edges are decided."""
    seconds = check_seconds("timeout", timeout)
    hook = check_progress("progress", progress)
    return AccessGraph(as_account("account", account), timeout=seconds, progress=hook).build()
