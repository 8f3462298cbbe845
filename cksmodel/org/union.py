"""The organization's reachability graph: the member accounts' graphs joined.

Each account's graph holds its own principals and, as nodes of their own, the
principals of other member accounts its policies name, decided with their real
policies; a principal's node has the same id (its ARN) in every graph, so joining
the graphs joins the chains that cross accounts. Action nodes are per account
(``… in ACCOUNT``): ``*`` means the resources of the account that answers.

A principal changed in its own account (policies rewritten, a group joined) is
decided in the other accounts as allowed anything by its own policies (the
``#changed`` node): the link to it is *undecided*, so a path through it is only
"may reach" and never a counterexample on its own.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import networkx as nx

from cksmodel.graph.actors import CHANGED
from cksmodel.graph.build import ACT_AS
from cksmodel.graph.edges import Step
from cksmodel.graph.query import ENTRY_KINDS, Reach, edge_hop
from cksmodel.org.tasks import AccountGraph

__all__ = ["OrgGraph", "OrgReach", "join"]

LINK = "changed"
"""Edge kind from a principal's modified state in its account to its ``#changed`` node."""

_ACT = ACT_AS | {LINK}


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgReach:
    """A principal of the organization (or one it names) that can perform an action,
    with its cheapest path; every hop says which account's policies decided it."""

    reach: Reach
    accounts: tuple[str, ...]
    """The account deciding each hop of ``reach.path``, in order."""
    member: bool
    """A principal of a member account (not one the organization only names)."""

    def to_json(self) -> dict[str, Any]:
        out = self.reach.to_json()
        out["member"] = self.member
        out["outside_bundle"] = not self.member
        for hop, account in zip(out["path"], self.accounts, strict=True):
            hop["account"] = account
        return out


class OrgGraph:
    """The joined graph, with the action node(s) of each question asked."""

    def __init__(self, graph: nx.DiGraph[str], questions: dict[tuple[str, str], list[str]]):
        self.graph = graph
        self.questions = questions

    def who_can(
        self, action: str, resource: str, *, exclude_aws_internal: bool = False
    ) -> list[OrgReach]:
        """Every principal that can call the action on the resource (``*``: on the
        resources of any member account), decided paths preferred."""
        targets = self.questions.get((action, resource), [])
        direct: dict[str, tuple[bool, str]] = {}
        for node in targets:
            for source in self.graph.predecessors(node):
                holds = self.graph[source][node]["status"] == "holds"
                if source not in direct or (holds and not direct[source][0]):
                    direct[source] = (holds, node)
        best = self._search(direct)
        out = []
        for node, (decided, chain) in best.items():
            attrs = self.graph.nodes[node]
            if attrs["kind"] not in ENTRY_KINDS:
                continue
            if exclude_aws_internal and attrs["aws_internal"]:
                continue
            final = direct[chain[-1]][1]
            steps = [*pairwise(chain), (chain[-1], final)]
            hops = tuple(edge_hop(self.graph, a, b) for a, b in steps)
            accounts = tuple(str(self.graph[a][b]["decided_in"]) for a, b in steps)
            reach = Reach(
                arn=node,
                kind=attrs["kind"],
                label=_labelled(attrs),
                direct=len(chain) == 1,
                decided=decided,
                path=hops,
                account=attrs["account"],
                outside_bundle=not attrs.get("member", False),
                aws_internal=attrs["aws_internal"],
            )
            out.append(OrgReach(reach=reach, accounts=accounts, member=attrs.get("member", False)))
        out.sort(
            key=lambda r: (not r.reach.direct, not r.reach.decided, len(r.reach.path), r.reach.arn)
        )
        return out

    def _search(self, direct: dict[str, tuple[bool, str]]) -> dict[str, tuple[bool, list[str]]]:
        """Cheapest chains into the direct callers, along "act as" edges (a modification
        costs the route that gives its credentials); decided chains first."""
        best: dict[str, tuple[bool, list[str]]] = {}
        for decided_pass in (True, False):
            heap = [
                (0, [a]) for a, (holds, _) in sorted(direct.items()) if holds or not decided_pass
            ]
            heapq.heapify(heap)
            settled: set[str] = set()
            while heap:
                cost, chain = heapq.heappop(heap)
                node = chain[0]
                if node in settled:
                    continue
                settled.add(node)
                if node not in best:
                    decided = direct[chain[-1]][0] and all(
                        self.graph[a][b]["status"] == "holds" for a, b in pairwise(chain)
                    )
                    best[node] = (decided, chain)
                for source in self.graph.predecessors(node):
                    d = self.graph[source][node]
                    if d["kind"] not in _ACT or source in settled:
                        continue
                    if d["status"] != "holds" and decided_pass:
                        continue
                    requires = json.loads(d["requires"]) if d["requires"] else []
                    heapq.heappush(heap, (cost + max(1, len(requires)), [source, *chain]))
        return best


def join(results: Sequence[AccountGraph]) -> OrgGraph:
    """The member accounts' graphs as one, linked where a principal changed in its own
    account acts in another."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    questions: dict[tuple[str, str], list[str]] = {}
    for r in results:
        names = {node: f"{node} in {r.account_id}" for node in r.actions.values()}
        for (action, resource), node in sorted(r.actions.items()):
            questions.setdefault((action, resource), []).append(names[node])
        for node, attrs in r.nodes:
            _add_node(graph, names.get(node, node), attrs, r.account_id, node in names)
        for a, b, attrs in r.edges:
            a, b = names.get(a, a), names.get(b, b)
            old = graph.get_edge_data(a, b)
            if old is None or (old["status"] != "holds" and attrs["status"] == "holds"):
                graph.add_edge(a, b, **attrs, decided_in=r.account_id)
    _link_changed(graph)
    return OrgGraph(graph, questions)


def _add_node(
    graph: nx.DiGraph[str], node: str, attrs: dict[str, Any], account: str, action: bool
) -> None:
    """A node, with the attributes its own account's graph gives it (a principal of a
    member account is a bundle principal there, an outsider elsewhere)."""
    own = dict(attrs)
    if action:
        own.update(account=account, label=f"{attrs['label']} in account {account}")
    own["member"] = own["kind"] in ("user", "role") and not own["outside_bundle"]
    if node in graph and (own["outside_bundle"] or graph.nodes[node]["member"]):
        return
    graph.add_node(node, **own)


def _link_changed(graph: nx.DiGraph[str]) -> None:
    """A principal's state after a change of its policies or groups in its own account
    reaches its ``#changed`` node in every other account (one node per principal)."""
    for node in list(graph.nodes):
        base, sep, changes = node.partition("#")
        parts = changes.split("+")
        if not sep or CHANGED in parts or all(c.startswith("key:") for c in parts):
            continue
        changed = f"{base}#{CHANGED}"
        if changed in graph:
            step = Step(
                holds=None,
                reason=(
                    "changed in its own account, the principal is taken to be allowed "
                    "anything there in the other accounts"
                ),
            )
            graph.add_edge(
                node,
                changed,
                kind=LINK,
                via="same principal, changed",
                decided_in=graph.nodes[changed]["account"],
                **step.attrs(),
            )


def _labelled(attrs: dict[str, Any]) -> str:
    """A member principal's label says its account, as an outsider's already does."""
    if attrs.get("member"):
        return f"{attrs['label']} (account {attrs['account']})"
    return str(attrs["label"])


def member_nodes(graph: nx.DiGraph[str], accounts: Iterable[str] | None = None) -> list[str]:
    """The principals (users and roles) of member accounts, of ``accounts`` if given."""
    wanted = set(accounts) if accounts is not None else None
    return sorted(
        n
        for n, d in graph.nodes(data=True)
        if d.get("member")
        and d["kind"] in ("user", "role")
        and (wanted is None or d["account"] in wanted)
    )
