"""Questions on a built graph: who can, can this one, and by which paths.

An action on a resource is reachable for a principal when some actor it can
act as (itself included) can call the action directly. Direct calls are
decided like edges; answers carry a justified path (every hop with its
statement and condition) and say when a hop or the final call is undecided.
"""

from __future__ import annotations

import difflib
import heapq
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx

from cksmodel.account.access import Target
from cksmodel.account.model import Account
from cksmodel.account.outside import outside_named
from cksmodel.arguments import check_count, check_text, check_type
from cksmodel.concrete.evaluate import TRUST_ACTIONS
from cksmodel.errors import InputError
from cksmodel.graph.build import ACT_AS, AccessGraph
from cksmodel.graph.edges import Step
from cksmodel.markup import MUTED, Html, badge, box, cell, code, line, table

__all__ = [
    "Hop",
    "QueryError",
    "Reach",
    "WhoCan",
    "action_node",
    "add_action",
    "can",
    "check_action",
    "check_principal",
    "edge_hop",
    "paths",
    "who_can",
]

ENTRY_KINDS = frozenset(
    {"user", "role", "session", "federated-user", "account", "service", "federated", "anonymous"}
)
"""Node kinds that are principals in their own right (not modified states, not groups)."""


class QueryError(InputError):
    """A question names an action, resource or principal the graph cannot answer about."""

    code = "E_QUERY"


@dataclass(frozen=True, kw_only=True, slots=True)
class Hop:
    """One step of a path, with the statement that allows it."""

    source: str
    target: str
    via: str
    status: str
    policy: str
    statement_index: int
    sid: str
    file: str
    line: int
    column: int
    condition: str
    reason: str
    changes: str = ""
    """The ARN of what the hop changes or takes over (see ``Step.changes``); empty for a
    hop that changes nothing (an assume, the final call)."""

    @property
    def summary(self) -> str:
        """The hop in one phrase: its calls, what they change, the statement allowing them
        (``iam:PutRolePolicy on arn:…:role/x (statement 'AdminAll' of managed/arn:…)``)."""
        on = f" on {self.changes}" if self.changes else ""
        if not self.policy:
            return f"{self.via}{on}"
        statement = f"'{self.sid}'" if self.sid else str(self.statement_index)
        return f"{self.via}{on} (statement {statement} of {self.policy})"

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "via": self.via,
            "status": self.status,
            "policy": self.policy,
            "statement_index": self.statement_index,
            "sid": self.sid,
            "source": self.file,
            "line": self.line,
            "column": self.column,
            "condition": self.condition,
            "reason": self.reason,
            "changes": self.changes,
            "summary": self.summary,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Reach:
    """A principal that can perform the action, and its shortest justified path."""

    arn: str
    kind: str
    label: str
    direct: bool
    decided: bool
    """False when a hop or the final call is undecided: then it only *may* reach."""
    path: tuple[Hop, ...]
    account: str = ""
    outside_bundle: bool = False
    """A principal the bundle only names: its own identity policies are unknown, and the
    answer takes them to allow its first call (see ``needs``)."""
    aws_internal: bool = False
    """A service principal or a service-linked role: AWS acting on its own behalf."""
    needs: str = ""
    """For a principal of another account: what its own account must allow."""

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "kind": self.kind,
            "label": self.label,
            "account": self.account,
            "outside_bundle": self.outside_bundle,
            "aws_internal": self.aws_internal,
            "needs": self.needs,
            "direct": self.direct,
            "decided": self.decided,
            "path": [h.to_json() for h in self.path],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class WhoCan:
    """Every principal that can perform an action on a resource."""

    action: str
    resource: str
    principals: tuple[Reach, ...]
    transitive: bool
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "resource": self.resource,
            "transitive": self.transitive,
            "principals": [p.to_json() for p in self.principals],
            "warnings": list(self.warnings),
        }

    def _repr_html_(self) -> str:
        """Who can call the action: direct callers first, then escalation paths, hop by hop."""
        direct = sum(1 for p in self.principals if p.direct)
        undecided = sum(1 for p in self.principals if not p.decided)
        parts = [
            line(Html("<strong>Who can</strong>"), code(self.action), "on", code(self.resource)),
            line(
                f"{direct} directly, {len(self.principals) - direct} through escalation"
                + (f", {undecided} undecided (may reach)" if undecided else "")
            ),
            table(
                ("principal", "kind", "how", "decided", "path"),
                (
                    (
                        code(p.arn),
                        _kind_text(p),
                        "direct" if p.direct else f"{len(p.path) - 1} step(s)",
                        badge("allowed" if p.decided else "unknown"),
                        _path_html(p.path),
                    )
                    for p in self.principals
                ),
            ),
        ]
        parts += [line(Html(f'<span style="{MUTED}">warning</span>'), x) for x in self.warnings]
        return box(parts)


def _kind_text(reach: Reach) -> str:
    """The principal's kind, with its account when outside the bundle, and whether AWS
    acts for itself."""
    notes = [f"account {reach.account}, outside the bundle" if reach.needs else ""]
    notes.append("AWS-internal" if reach.aws_internal else "")
    shown = ", ".join(n for n in notes if n)
    return f"{reach.kind} ({shown})" if shown else reach.kind


def _path_html(hops: tuple[Hop, ...]) -> Html:
    items = []
    for h in hops:
        where = f"{h.file}:{h.line}:{h.column}" if h.line >= 0 else ""
        statement = h.summary if h.policy or h.changes else ""
        detail = "; ".join(x for x in (statement, where, h.condition, h.reason) if x)
        items.append(
            Html(
                f"{code(h.source)} \u2192 {code(h.target)} <em>{cell(h.via)}</em> "
                f"{badge('allowed' if h.status == 'holds' else 'unknown')}"
                + (f'<div style="{MUTED}">{cell(detail)}</div>' if detail else "")
            )
        )
    entries = "".join(f"<li>{i}</li>" for i in items)
    return Html(f'<ol style="margin:2px 0;padding-left:20px">{entries}</ol>')


def action_node(action: str, resource: str) -> str:
    return f"action:{action} on {resource}"


def _targets(g: AccessGraph, action: str, resource: str) -> dict[str, Target]:
    """The target for each actor (key policies and grants differ per actor)."""
    lowered = action.lower()
    key = g.account.key(resource) if resource != "*" else None
    if key is not None:
        return {a.id: g.decider.key_target(a, key) for a in g.actors.values()}
    role = g.account.principal(resource) if resource.startswith("arn:") else None
    if role is not None and role.kind == "role" and lowered in TRUST_ACTIONS:
        target = Target(role.arn, role.arn, True, role.trust_policy)
    else:
        target = Target(resource, resource, "*" not in resource or resource == "*")
    return {a.id: target for a in g.actors.values()}


def _direct(
    g: AccessGraph, action: str, resource: str, *, complete: bool = False
) -> dict[str, Step]:
    """Actors that can call the action themselves (cached on the graph).

    On resource ``*`` an outsider's call is about its own account, so only the
    bundle's principals count; on a resource of the account, outsiders count too.
    Unless ``complete``, a modified actor all of whose predecessors can already call
    the action is not asked: whoever reaches it reaches one of them (every answer
    stays the same; only :func:`paths`, which lists every path, needs them all).
    """
    found = g.direct.get((action, resource, complete))
    if found is not None:
        return found
    check_action(action)
    found = {}
    key = g.account.key(resource) if resource != "*" else None
    named: set[tuple[str, ...]] = set()
    if key is not None:
        g.key_takeovers(key)
        named = g.decider.named_by_key(key)
    targets = _targets(g, action, resource)
    prefer = "resource" if key is not None or action.lower() in TRUST_ACTIONS else "identity"
    actors = list(g.actors.items())
    for n, (actor_id, actor) in enumerate(actors):
        g.progress("direct callers", n, len(actors))
        if actor.kind == "federated" or (resource == "*" and not actor.internal):
            continue
        if resource == "*" and not g.decider.mentions(actor, action):
            continue  # no resource policy on "*": only an identity Allow could grant it
        if (
            key is not None
            and actor.internal
            and not any(c == f"key:{key.key_id}" for c in actor.changes)
            and not g.decider.mentions(actor, action)
            and not g.decider.caller_keys(actor) & named
        ):
            continue  # neither its identity policies nor the key's policy or grants name it
        if not complete and actor.changes and _covered(g, actor_id, found):
            continue
        step = g.decider.decide(actor, (action,), targets[actor_id], prefer=prefer)
        if step.holds is not False:
            found[actor_id] = step
    g.progress("direct callers", len(actors), len(actors))
    g.direct[(action, resource, complete)] = found
    return found


def _covered(g: AccessGraph, node: str, found: dict[str, Step]) -> bool:
    """Do all the node's "act as" predecessors already call the action (decided)?"""
    sources = list(g.act.predecessors(node))
    return bool(sources) and all(s in found and found[s].holds for s in sources)


def check_action(action: str) -> None:
    """One API action, ``service:Name``, no wildcard."""
    service, sep, name = action.partition(":")
    if not sep or not service or not name or "*" in action or "?" in action:
        raise QueryError(
            f"expected one API action such as kms:DeleteCustomKeyStore, not {action!r}"
        )


def edge_hop(graph: nx.DiGraph[str], source: str, target: str) -> Hop:
    """The hop an edge of a reachability graph stands for."""
    d = graph[source][target]
    return Hop(
        source=source,
        target=target,
        via=d["via"],
        status=d["status"],
        policy=d["policy"],
        statement_index=d["statement_index"],
        sid=d["sid"],
        file=d["source"],
        line=d["line"],
        column=d["column"],
        condition=d["condition"],
        reason=d["reason"],
        changes=d["changes"],
    )


def _final(actor_id: str, action: str, resource: str, step: Step) -> Hop:
    return Hop(
        source=actor_id,
        target=action_node(action, resource),
        via=action,
        status="holds" if step.holds else "undecided",
        policy=step.policy,
        statement_index=step.statement_index,
        sid=step.sid,
        file=step.source,
        line=step.line,
        column=step.column,
        condition=step.condition,
        reason=step.reason,
        changes=step.changes,
    )


def _act_predecessors(g: AccessGraph, node: str) -> Iterator[tuple[str, bool, int]]:
    """Sources of "act as" edges into the node: decided or not, and the edge's cost
    (a modification that needs credentials held through another route costs that route)."""
    for source in g.graph.predecessors(node):
        d = g.graph[source][node]
        if d["kind"] in ACT_AS:
            requires = json.loads(d["requires"]) if d["requires"] else []
            yield source, d["status"] == "holds", max(1, len(requires))


def _answered(settled: set[str], queued: dict[str, int], cost: int) -> Callable[[str], bool]:
    """Actors an edge of this cost cannot improve: settled, or already queued at it."""
    return lambda source: source in settled or queued.get(source, cost + 1) <= cost


def who_can(
    g: AccessGraph,
    action: str,
    resource: str = "*",
    *,
    transitive: bool = True,
    max_hops: int | None = None,
    exclude_aws_internal: bool = False,
) -> WhoCan:
    """Every principal that can call the action on the resource, with a cheapest path
    (of at most ``max_hops`` steps before the call, when given); without service
    principals and service-linked roles when ``exclude_aws_internal``.

    A decided path is preferred to a shorter undecided one.
    """
    _question(g, action, resource)
    check_type("transitive", transitive, bool, "True or False")
    check_type("exclude_aws_internal", exclude_aws_internal, bool, "True or False")
    if max_hops is not None:
        check_count("max_hops", max_hops)
    if transitive:
        g.prepare(action, resource)
    direct = _direct(g, action, resource)
    best: dict[str, tuple[bool, list[str]]] = {}
    for decided_pass in (True, False):
        heap = [(0, [a]) for a, step in sorted(direct.items()) if step.holds or not decided_pass]
        heapq.heapify(heap)
        settled: set[str] = set()
        queued: dict[str, int] = {}
        while heap:
            cost, chain = heapq.heappop(heap)
            node = chain[0]
            if node in settled:
                continue
            settled.add(node)
            g.progress("paths searched", len(settled))
            if node not in best:
                decided = bool(direct[chain[-1]].holds) and all(
                    g.graph[a][b]["status"] == "holds" for a, b in pairwise(chain)
                )
                best[node] = (decided, chain)
            if not transitive or (max_hops is not None and cost >= max_hops):
                continue
            g.incoming(node, _answered(settled, queued, cost + 1))
            for source, holds, weight in sorted(_act_predecessors(g, node)):
                if max_hops is not None and cost + weight > max_hops:
                    continue
                if source not in settled and (holds or not decided_pass):
                    queued[source] = min(queued.get(source, cost + weight), cost + weight)
                    heapq.heappush(heap, (cost + weight, [source, *chain]))
    out = []
    for node, (decided, chain) in best.items():
        attrs = g.graph.nodes[node]
        if attrs["kind"] not in ENTRY_KINDS:
            continue
        if exclude_aws_internal and attrs["aws_internal"]:
            continue
        hops = [edge_hop(g.graph, a, b) for a, b in pairwise(chain)]
        hops.append(_final(chain[-1], action, resource, direct[chain[-1]]))
        out.append(
            Reach(
                arn=node,
                kind=attrs["kind"],
                label=attrs["label"],
                direct=len(chain) == 1,
                decided=decided,
                path=tuple(hops),
                account=attrs["account"],
                outside_bundle=attrs["outside_bundle"],
                aws_internal=attrs["aws_internal"],
                needs=_needs(attrs, hops[0], action, resource, _first_witness(g, chain, direct)),
            )
        )
    out.sort(key=lambda r: (not r.direct, not r.decided, len(r.path), r.arn))
    return WhoCan(
        action=action,
        resource=resource,
        principals=tuple(out),
        transitive=transitive,
        warnings=g.account.warnings,
    )


_OWN_SIDE = ("aws:principalorgid", "aws:principalorgpaths", "aws:principaltag/")
"""Context keys whose values come from the caller's own account (organization, tags)."""


def _first_witness(g: AccessGraph, chain: list[str], direct: dict[str, Step]) -> str:
    """The witness request of a path's first step (JSON, or empty)."""
    if len(chain) == 1:
        return direct[chain[0]].witness
    return str(g.graph[chain[0]][chain[1]]["witness"])


def _needs(attrs: dict[str, Any], first: Hop, action: str, resource: str, witness: str) -> str:
    """What a principal of another account needs on its side for its first call: an
    identity Allow, and the organization or tags the witness request gave it."""
    account = attrs["account"]
    if not attrs["outside_bundle"] or not account:
        return ""
    target = resource if first.target == action_node(action, resource) else first.target
    allowing = f"allowing {first.via} on {target}"
    if attrs["kind"] == "account":
        text = f"a principal of account {account} whose identity policies {allowing}"
    else:
        text = f"an identity policy in account {account} {allowing}"
    context = json.loads(witness).get("context", {}) if witness else {}
    own = [f"{k} = {v}" for k, v in sorted(context.items()) if k.lower().startswith(_OWN_SIDE)]
    return text + (f", and {' and '.join(own)}" if own else "")


def add_action(g: AccessGraph, action: str, resource: str = "*") -> str:
    """Put the action on the graph as a node, with an edge from every direct caller."""
    node = action_node(action, resource)
    g.graph.add_node(
        node,
        kind="action",
        label=f"{action} on {resource}",
        arn="",
        account="",
        service_linked=False,
        outside_bundle=False,
        aws_internal=False,
    )
    for actor_id, step in sorted(_direct(g, action, resource).items()):
        g.graph.add_edge(actor_id, node, kind="action", via=action, **step.attrs())
    return node


def check_principal(account: Account, principal: str) -> str:
    """The ARN of a bundle principal named by ARN, ``user/NAME``, ``role/NAME`` or name, or
    the ARN of a principal of another account as given."""
    found = account.principal(principal)
    if found is not None:
        return found.arn
    if outside_named(account, principal) is not None:
        return principal
    names = sorted(f"{p.kind}/{p.name}" for p in account.principals)
    close = difflib.get_close_matches(principal, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise QueryError(f"no principal {principal!r} in the account bundle{hint}")


def _question(g: AccessGraph, action: str, resource: str) -> None:
    """The arguments every question shares."""
    check_type("g", g, AccessGraph, "an AccessGraph (build_graph returns one)")
    check_action(check_text("action", action, "one API action such as 'kms:Decrypt'"))
    check_text("resource", resource, "a resource ARN, a key id or '*'")


def _node(g: AccessGraph, principal: str) -> str:
    check_text("principal", principal, "a principal ARN, user/NAME, role/NAME or a name")
    if principal in g.actors:
        return principal
    node = check_principal(g.account, principal)
    return g.outsider(node) or node


def can(g: AccessGraph, principal: str, action: str, resource: str = "*") -> Reach | None:
    """Can the principal (directly or through the graph) call the action? With the path."""
    _question(g, action, resource)
    node = _node(g, principal)
    answer = who_can(g, action, resource)
    return next((r for r in answer.principals if r.arn == node), None)


def paths(
    g: AccessGraph, principal: str, action: str, resource: str = "*", *, max_hops: int = 4
) -> list[tuple[Hop, ...]]:
    """Every simple path of at most ``max_hops`` steps from the principal to the action."""
    _question(g, action, resource)
    check_count("max_hops", max_hops)
    if not g.whole:
        raise QueryError("paths lists every path: ask it of the whole graph (build_graph)")
    source = _node(g, principal)
    direct = _direct(g, action, resource, complete=True)
    view = g.act
    out: list[tuple[Hop, ...]] = []
    for end, step in sorted(direct.items()):
        if end == source:
            out.append((_final(end, action, resource, step),))
            continue
        if max_hops < 2 or end not in view or source not in view:
            continue
        for chain in nx.all_simple_paths(view, source, end, cutoff=max_hops - 1):
            hops = [edge_hop(g.graph, a, b) for a, b in pairwise(chain)]
            out.append((*hops, _final(end, action, resource, step)))
    out.sort(key=lambda p: (len(p), [h.target for h in p]))
    return out
