"""The reachability graph as Graphviz DOT, GraphML, JSON, SVG and a self-contained HTML page.

Every renderer reads the graph schema the builder writes: string node ids with
``kind``, ``label``, ``arn``, ``account``, ``service_linked``, ``outside_bundle`` and
``aws_internal`` attributes, and
edges carrying ``kind``, ``via``, ``status`` and their provenance (policy,
statement, source position, condition, witness, reason). Output is sorted so
the same graph always renders to the same text. :func:`focus` cuts a big graph
down to what reaches, or is reached from, one principal or action;
:func:`without_aws_internal` leaves out service principals and service-linked roles.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import networkx as nx

from cksmodel.errors import InputError, InternalError

__all__ = ["focus", "svg", "to_dot", "to_graphml", "to_html", "to_json", "without_aws_internal"]


@dataclass(frozen=True, slots=True)
class NodeStyle:
    """How one node kind is drawn: Graphviz shape and style, fill colour, HTML corner radius."""

    shape: str
    fill: str
    style: str = ""
    radius: int = 3


NODE_STYLES: dict[str, NodeStyle] = {
    "user": NodeStyle("box", "#cfe2ff"),
    "role": NodeStyle("box", "#d1f0d1", "rounded", 12),
    "session": NodeStyle("box", "#d1f0d1", "rounded,dotted", 12),
    "federated-user": NodeStyle("box", "#cfe2ff", "dotted"),
    "group": NodeStyle("folder", "#e2d9f3"),
    "service": NodeStyle("component", "#fff3cd"),
    "account": NodeStyle("house", "#ffe5cc"),
    "federated": NodeStyle("invhouse", "#d2f4f4"),
    "anonymous": NodeStyle("octagon", "#f8d7da"),
    "modified": NodeStyle("box", "#ffd8a8", "rounded,dashed", 12),
    "action": NodeStyle("doubleoctagon", "#f5c2c7", "bold", 0),
}
"""Node kinds in legend order."""

OTHER_NODE = NodeStyle("ellipse", "#eeeeee")
"""The style of a node whose kind the schema does not name."""

EDGE_COLORS: dict[str, str] = {
    "assume": "#1f6feb",
    "pass_role": "#8250df",
    "credentials": "#0a7f5a",
    "trust": "#0e7490",
    "rewrite": "#d1242f",
    "group": "#6e7781",
    "member": "#6e7781",
    "kms": "#bf8700",
    "action": "#cf222e",
}
"""Edge kinds in legend order."""

OTHER_EDGE_COLOR = "#57606a"

DOT_TIMEOUT_SECONDS = 60.0
"""How long :func:`svg` lets Graphviz lay out a graph."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n?|\n")


def focus(graph: nx.DiGraph[str], name: str) -> nx.DiGraph[str]:
    """The part of ``graph`` that matters to one principal or action.

    A node whose id or label equals ``name`` (ignoring case) keeps every node
    that can reach it and every node it reaches. Otherwise ``name`` is taken as
    an action such as ``kms:DeleteCustomKeyStore``: the action nodes whose id
    contains it keep every node that can reach them. An unknown name is an
    :class:`InputError` (``E_FOCUS``) that suggests close matches.
    """
    wanted = name.strip().casefold()
    if not wanted:
        raise InputError("focus needs a node or action name", code="E_FOCUS")
    keep: set[str] = set()
    for node, attrs in graph.nodes(data=True):
        if wanted in (node.casefold(), str(attrs.get("label", "")).casefold()):
            keep |= {node} | nx.ancestors(graph, node) | nx.descendants(graph, node)
    if not keep:
        for node, attrs in graph.nodes(data=True):
            if _is_action(node, attrs) and wanted in node.casefold():
                keep |= {node} | nx.ancestors(graph, node)
    if not keep:
        raise InputError(_unknown_focus(graph, name), code="E_FOCUS")
    return graph.subgraph(keep).copy()


def to_dot(graph: nx.DiGraph[str], *, focus: str | None = None) -> str:
    """Graphviz DOT text, left to right, nodes shaped and coloured by kind.

    Undecided edges are dashed; an edge's label is its ``via`` and its tooltip
    says which policy statement (``policy:line:column``) grants it.
    """
    if focus is not None:
        graph = _focus(graph, focus)
    title = str(graph.graph.get("title", "")) or "reachability"
    lines = [
        f"digraph {_quote(title)} {{",
        f'  graph [rankdir=LR, charset="UTF-8", labelloc=t, fontname=Helvetica, '
        f"label={_quote(title)}];",
        "  node [fontname=Helvetica, fontsize=11, style=filled];",
        "  edge [fontname=Helvetica, fontsize=9];",
    ]
    for node in sorted(graph.nodes):
        lines.append(f"  {_quote(node)} [{_dot_attrs(_dot_node(node, graph.nodes[node]))}];")
    for source, target in sorted(graph.edges):
        attrs = _dot_attrs(_dot_edge(graph.edges[source, target]))
        lines.append(f"  {_quote(source)} -> {_quote(target)} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_graphml(graph: nx.DiGraph[str]) -> str:
    """GraphML text that :func:`networkx.read_graphml` loads back with every attribute typed.

    Booleans are written ``true``/``false`` as the GraphML schema's ``boolean`` type asks.
    """
    text = "\n".join(nx.generate_graphml(_sorted_copy(graph)))
    booleans = re.findall(r'<key id="([^"]+)" [^>]*attr\.type="boolean"', text)
    if booleans:
        keys = "|".join(re.escape(key) for key in booleans)
        text = re.sub(
            rf'(<data key="(?:{keys})">)(True|False)(</data>)',
            lambda m: m.group(1) + m.group(2).lower() + m.group(3),
            text,
        )
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


def without_aws_internal(graph: nx.DiGraph[str]) -> nx.DiGraph[str]:
    """The graph without service principals and service-linked roles (nor the modified
    states of those roles), for readers who take AWS acting for itself as given."""
    internal = {n for n, d in graph.nodes(data=True) if d.get("aws_internal")}
    kept = [n for n in graph.nodes if n not in internal and n.partition("#")[0] not in internal]
    return graph.subgraph(kept).copy()


def to_json(graph: nx.DiGraph[str]) -> dict[str, Any]:
    """The graph as plain JSON data: nodes by id, edges by (from, to), attribute keys sorted."""
    nodes: list[dict[str, Any]] = []
    for node in sorted(graph.nodes):
        entry: dict[str, Any] = {"id": node}
        entry.update(_sorted_attrs(graph.nodes[node], skip={"id"}))
        nodes.append(entry)
    edges: list[dict[str, Any]] = []
    for source, target in sorted(graph.edges):
        edge: dict[str, Any] = {"from": source, "to": target}
        edge.update(_sorted_attrs(graph.edges[source, target], skip={"from", "to"}))
        edges.append(edge)
    warnings = str(graph.graph.get("warnings", ""))
    return {
        "account": str(graph.graph.get("account", "")),
        "bundle": str(graph.graph.get("bundle", "")),
        "bundled_example": bool(graph.graph.get("bundled_example", False)),
        "title": str(graph.graph.get("title", "")),
        "warnings": [line for line in warnings.split("\n") if line],
        "nodes": nodes,
        "edges": edges,
    }


def to_html(graph: nx.DiGraph[str], *, title: str) -> str:
    """One self-contained interactive HTML page: inline CSS, inline script, no network.

    The graph travels as JSON in a ``<script type="application/json">`` element
    with ``<``, ``>`` and ``&`` escaped, so no attribute text can end the element.
    """
    data = {
        "graph": to_json(graph),
        "nodeStyles": {
            kind: {"fill": style.fill, "radius": style.radius, "dashed": "dashed" in style.style}
            for kind, style in NODE_STYLES.items()
        },
        "otherNode": {"fill": OTHER_NODE.fill, "radius": OTHER_NODE.radius, "dashed": False},
        "edgeColors": EDGE_COLORS,
        "otherEdge": OTHER_EDGE_COLOR,
    }
    parts = {
        "TITLE": html.escape(title),
        "STYLE": _HTML_STYLE,
        "SCRIPT": _HTML_SCRIPT,
        "DATA": _script_json(data),
    }
    return re.sub(r"@(TITLE|STYLE|SCRIPT|DATA)@", lambda m: parts[m.group(1)], _HTML_TEMPLATE)


def svg(
    graph: nx.DiGraph[str], *, focus: str | None = None, timeout: float = DOT_TIMEOUT_SECONDS
) -> str | None:
    """The graph laid out by Graphviz ``dot`` as SVG text, or None when ``dot`` is not installed.

    A layout slower than ``timeout`` seconds is an :class:`InputError`
    (``E_RENDER``): the graph is too big to draw whole, and a focus shrinks it.
    """
    dot = shutil.which("dot")
    if dot is None:
        return None
    text = to_dot(graph, focus=focus)
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=text,
            capture_output=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            f"Graphviz did not lay out the graph within {timeout:g} s; "
            "focus on one principal or action to draw less",
            code="E_RENDER",
        ) from exc
    if done.returncode != 0:
        raise InternalError(f"Graphviz dot exited with {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def _focus(graph: nx.DiGraph[str], name: str) -> nx.DiGraph[str]:
    """:func:`focus`, for the functions whose ``focus`` parameter hides it."""
    return focus(graph, name)


def _is_action(node: str, attrs: dict[str, Any]) -> bool:
    return node.startswith("action:") or attrs.get("kind") == "action"


def _unknown_focus(graph: nx.DiGraph[str], name: str) -> str:
    """The message for a focus that names nothing, with up to five close matches."""
    names: dict[str, str] = {}
    for node, attrs in graph.nodes(data=True):
        candidates = [node, str(attrs.get("label", ""))]
        if node.startswith("action:"):
            candidates.append(node.removeprefix("action:").split(" ", 1)[0])
        for candidate in candidates:
            if candidate:
                names.setdefault(candidate.casefold(), candidate)
    close = difflib.get_close_matches(name.strip().casefold(), sorted(names), n=5, cutoff=0.5)
    hint = (
        "; close matches: " + ", ".join(names[c] for c in close)
        if close
        else f"; the graph has {graph.number_of_nodes()} nodes and none is close"
    )
    return f"no node or action in the graph matches {name!r}{hint}"


def _sorted_copy(graph: nx.DiGraph[str]) -> nx.DiGraph[str]:
    """A copy with nodes and edges inserted in sorted order, so writers emit them in that order."""
    copy: nx.DiGraph[str] = nx.DiGraph()
    copy.graph.update(graph.graph)
    copy.add_nodes_from((node, graph.nodes[node]) for node in sorted(graph.nodes))
    copy.add_edges_from((u, v, graph.edges[u, v]) for u, v in sorted(graph.edges))
    return copy


def _sorted_attrs(attrs: dict[str, Any], *, skip: set[str]) -> dict[str, Any]:
    return {key: attrs[key] for key in sorted(attrs) if key not in skip}


def _quote(text: str) -> str:
    """A DOT double-quoted string for an id or an attribute value.

    Backslashes and quotes are escaped, line breaks become ``\\n`` (a centred
    line in labels), and other control characters, which SVG cannot hold,
    become U+FFFD. Non-ASCII text is kept: the graph declares UTF-8. Labels
    render exactly; Graphviz keeps an escaped backslash doubled in node names,
    the same way wherever a node is named, so edges still find their ends.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = _LINE_BREAK.sub(r"\\n", escaped)
    return '"' + _CONTROL.sub("\ufffd", escaped) + '"'


def _dot_attrs(attrs: dict[str, str]) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


def _dot_node(node: str, attrs: dict[str, Any]) -> dict[str, str]:
    kind = str(attrs.get("kind", ""))
    style = NODE_STYLES.get(kind, OTHER_NODE)
    tooltip = [node, f"kind: {kind or '?'}"]
    tooltip += [f"{key}: {attrs[key]}" for key in ("arn", "account") if attrs.get(key)]
    if attrs.get("service_linked"):
        tooltip.append("service-linked role")
    if attrs.get("outside_bundle"):
        tooltip.append("outside the bundle: its own policies are unknown")
    if attrs.get("aws_internal"):
        tooltip.append("AWS-internal")
    out = {
        "label": str(attrs.get("label", "")) or node,
        "shape": style.shape,
        "fillcolor": style.fill,
        "style": ",".join(part for part in ("filled", style.style) if part),
        "tooltip": "\n".join(tooltip),
    }
    if attrs.get("service_linked"):
        out["peripheries"] = "2"
    return out


def _dot_edge(attrs: dict[str, Any]) -> dict[str, str]:
    undecided = attrs.get("status") == "undecided"
    color = EDGE_COLORS.get(str(attrs.get("kind", "")), OTHER_EDGE_COLOR)
    return {
        "label": str(attrs.get("via", "")),
        "color": color,
        "fontcolor": color,
        "style": "dashed" if undecided else "solid",
        "tooltip": _edge_tooltip(attrs),
    }


def _edge_tooltip(attrs: dict[str, Any]) -> str:
    """``via (status)``, then ``policy:line:column`` with the statement, source and condition."""
    lines = [f"{attrs.get('via', '')} ({attrs.get('status', '?')})"]
    where = str(attrs.get("policy", "")) or "-"
    line, column = int(attrs.get("line", -1)), int(attrs.get("column", -1))
    if line >= 0:
        where += f":{line}" + (f":{column}" if column >= 0 else "")
    index = int(attrs.get("statement_index", -1))
    if index >= 0:
        where += f" statement {index}"
    if attrs.get("sid"):
        where += f" Sid {attrs['sid']}"
    lines.append(where)
    lines += [f"{key}: {attrs[key]}" for key in ("source", "condition", "reason") if attrs.get(key)]
    return "\n".join(lines)


def _script_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>``, ``&`` as escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>@STYLE@</style>
</head>
<body>
<header>
<h1>@TITLE@</h1>
<span id="summary"></span>
<input id="search" type="search" placeholder="Filter by label or id" autocomplete="off"
 aria-label="Filter nodes by label or id">
<span id="matches"></span>
</header>
<main>
<svg id="canvas" aria-label="Reachability graph">
<defs id="markers"></defs>
<g id="viewport"><g id="edges"></g><g id="nodes"></g></g>
</svg>
<aside id="panel">
<section id="details"><p class="hint">Click a node to see its attributes and the policy
statements behind its edges. Drag to pan, scroll to zoom, Escape to clear.</p></section>
<section id="warnings"></section>
<section id="legend"></section>
</aside>
</main>
<script type="application/json" id="graph-data">@DATA@</script>
<script>@SCRIPT@</script>
</body>
</html>
"""

_HTML_STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #1f2328; }
body { display: flex; flex-direction: column; }
header { display: flex; gap: 12px; align-items: center; padding: 8px 12px;
  border-bottom: 1px solid #d0d7de; background: #f6f8fa; }
h1 { font-size: 16px; margin: 0; }
#summary, #matches { color: #57606a; }
#search { margin-left: auto; width: 260px; padding: 4px 6px; }
main { flex: 1; display: flex; min-height: 0; }
#canvas { flex: 1; height: 100%; cursor: grab; background: #fff; touch-action: none; }
#canvas.panning { cursor: grabbing; }
#panel { width: 380px; overflow: auto; border-left: 1px solid #d0d7de; padding: 8px 12px; }
#panel h2 { font-size: 14px; margin: 12px 0 4px; }
#panel h3 { font-size: 13px; margin: 10px 0 2px; }
.hint { color: #57606a; }
table.attrs { border-collapse: collapse; width: 100%; }
table.attrs td { border-top: 1px solid #eaeef2; padding: 2px 4px; vertical-align: top;
  word-break: break-all; }
table.attrs td:first-child { color: #57606a; white-space: nowrap; word-break: normal; }
.edge-item { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 6px; margin: 4px 0; }
.edge-item button { border: 0; background: none; color: #0969da; cursor: pointer; padding: 0;
  font: inherit; text-align: left; word-break: break-all; }
.undecided-tag { color: #9a6700; font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-all; background: #f6f8fa; margin: 2px 0;
  padding: 4px; border-radius: 4px; font-size: 11px; }
.node rect { stroke: #57606a; stroke-width: 1; }
.node[data-kind="action"] rect { stroke: #cf222e; stroke-width: 2; }
.node text { font-size: 12px; pointer-events: none; dominant-baseline: central; }
.node { cursor: pointer; }
.node.selected rect { stroke: #0969da; stroke-width: 3; }
.edge path { fill: none; stroke-width: 1.4; }
.edge.undecided path { stroke-dasharray: 6 4; }
.edge text { font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px;
  text-anchor: middle; }
.edge.in path, .edge.out path { stroke-width: 3; }
#canvas.far .edge text { display: none; }
#canvas.far .edge.in text, #canvas.far .edge.out text { display: inline; }
.dim { opacity: 0.15; }
.filtered { opacity: 0.06; }
.node.match { opacity: 1; }
.node.match rect { stroke: #bf8700; stroke-width: 2.5; }
.legend-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.swatch { width: 18px; height: 12px; border: 1px solid #57606a; display: inline-block; }
.line { width: 28px; height: 0; border-top: 2px solid #57606a; display: inline-block; }
"""

_HTML_SCRIPT = r"""
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const graph = data.graph;
  const svg = document.getElementById("canvas");
  const viewport = document.getElementById("viewport");
  const nodeLayer = document.getElementById("nodes");
  const edgeLayer = document.getElementById("edges");
  const markers = document.getElementById("markers");
  const details = document.getElementById("details");
  const byId = new Map(graph.nodes.map(function (n) { return [n.id, n]; }));
  const edges = graph.edges.filter(function (e) { return byId.has(e.from) && byId.has(e.to); });
  const nodeEls = new Map();
  const edgeEls = [];
  const view = { x: 0, y: 0, k: 1 };
  let selected = null;

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const key of Object.keys(attrs)) { node.setAttribute(key, String(attrs[key])); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function html(name, text, parent, cls) {
    const node = document.createElement(name);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function styleOf(kind) { return data.nodeStyles[kind] || data.otherNode; }
  function colorOf(kind) { return data.edgeColors[kind] || data.otherEdge; }
  function labelOf(n) { return n.label || n.id; }
  function short(text) { return text.length > 48 ? text.slice(0, 47) + "\u2026" : text; }

  function marker(color) {
    const id = "arrow-" + color.replace(/[^0-9a-zA-Z]/g, "");
    if (!document.getElementById(id)) {
      const m = el("marker", { id: id, viewBox: "0 0 10 10", refX: 10, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto" }, markers);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, m);
    }
    return "url(#" + id + ")";
  }

  // Nodes first, so their labels can be measured before the layout.
  for (const n of graph.nodes) {
    const style = styleOf(n.kind);
    const g = el("g", { class: "node" });
    g.setAttribute("data-id", n.id);
    g.setAttribute("data-kind", n.kind);
    el("title", {}, g).textContent = n.id;
    const rect = el("rect", { rx: style.radius, fill: style.fill }, g);
    if (style.dashed) { rect.setAttribute("stroke-dasharray", "5 3"); }
    const text = el("text", { x: 10, y: 0 }, g);
    text.textContent = short(labelOf(n));
    nodeLayer.appendChild(g);
    const measured = text.getComputedTextLength();
    const w = Math.max(60, (measured || text.textContent.length * 7) + 20);
    const h = n.kind === "action" ? 34 : 28;
    rect.setAttribute("width", w); rect.setAttribute("height", h);
    rect.setAttribute("y", -h / 2);
    nodeEls.set(n.id, { g: g, w: w, h: h, x: 0, y: 0, node: n });
  }

  // Layered layout: break cycles with a depth-first search, rank by longest path,
  // put action targets in the last column and each source just before its nearest
  // successor, then order each column by barycentre.
  const ids = graph.nodes.map(function (n) { return n.id; });
  const index = new Map(ids.map(function (id, i) { return [id, i]; }));
  const count = ids.length;
  const out = ids.map(function () { return []; });
  const inc = ids.map(function () { return []; });
  for (const e of edges) {
    const a = index.get(e.from), b = index.get(e.to);
    if (a !== b) { out[a].push(b); inc[b].push(a); }
  }
  const state = new Array(count).fill(0);
  const back = new Set();
  for (let s = 0; s < count; s++) {
    if (state[s]) { continue; }
    const stack = [[s, 0]];
    state[s] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const v = top[0];
      if (top[1] < out[v].length) {
        const w = out[v][top[1]++];
        if (state[w] === 1) { back.add(v + ">" + w); }
        else if (!state[w]) { state[w] = 1; stack.push([w, 0]); }
      } else { state[v] = 2; stack.pop(); }
    }
  }
  const forward = function (v, w) { return !back.has(v + ">" + w); };
  const rank = new Array(count).fill(0);
  const indeg = new Array(count).fill(0);
  for (let v = 0; v < count; v++) {
    for (const w of out[v]) { if (forward(v, w)) { indeg[w]++; } }
  }
  const queue = [];
  for (let v = 0; v < count; v++) { if (!indeg[v]) { queue.push(v); } }
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of out[v]) {
      if (!forward(v, w)) { continue; }
      rank[w] = Math.max(rank[w], rank[v] + 1);
      if (--indeg[w] === 0) { queue.push(w); }
    }
  }
  const maxRank = count ? Math.max.apply(null, rank) : 0;
  graph.nodes.forEach(function (n, i) { if (n.kind === "action") { rank[i] = maxRank; } });
  for (let v = 0; v < count; v++) {
    const next = out[v].filter(function (w) { return forward(v, w); });
    if (inc[v].length || !next.length) { continue; }
    rank[v] = Math.max(0, Math.min.apply(null, next.map(function (w) { return rank[w]; })) - 1);
  }
  // Edges spanning several columns pass through one waypoint per column between,
  // ordered with the nodes so they run in their own row instead of over a node.
  const vrank = rank.slice(), vin = inc.map(function (a) { return a.slice(); });
  const vout = out.map(function (a) { return a.slice(); });
  const waypoints = new Map();
  edges.forEach(function (e, k) {
    const a = index.get(e.from), b = index.get(e.to);
    if (rank[b] - rank[a] < 2) { return; }
    const chain = [];
    let prev = a;
    for (let r = rank[a] + 1; r < rank[b]; r++) {
      const d = vrank.length;
      vrank.push(r); vin.push([prev]); vout.push([]); vout[prev].push(d);
      chain.push(d); prev = d;
    }
    vout[prev].push(b); vin[b].push(prev);
    waypoints.set(k, chain);
  });
  const total = vrank.length;
  const layers = [];
  for (let v = 0; v < total; v++) { (layers[vrank[v]] = layers[vrank[v]] || []).push(v); }
  const position = new Array(total).fill(0);
  const place = function (layer) { layer.forEach(function (v, i) { position[v] = i; }); };
  for (const layer of layers) { if (layer) { place(layer); } }
  const centre = function (v, neighbours) {
    if (!neighbours.length) { return position[v]; }
    let sum = 0;
    for (const w of neighbours) { sum += position[w]; }
    return sum / neighbours.length;
  };
  for (let sweep = 0; sweep < 8; sweep++) {
    const down = sweep % 2 === 0;
    for (const layer of layers) {
      if (!layer) { continue; }
      const keys = new Map(layer.map(function (v) {
        return [v, centre(v, down ? vin[v] : vout[v])];
      }));
      layer.sort(function (a, b) { return keys.get(a) - keys.get(b) || a - b; });
      place(layer);
    }
  }
  const ROW = 64, LANE = 24;
  const spot = new Array(total);
  let x = 0;
  for (const layer of layers) {
    if (!layer) { continue; }
    let width = 0, height = 0;
    for (const v of layer) {
      width = Math.max(width, v < count ? nodeEls.get(ids[v]).w : 0);
      height += v < count ? ROW : LANE;
    }
    let y = -height / 2;
    for (const v of layer) {
      const step = v < count ? ROW : LANE;
      spot[v] = { x: x, y: y + step / 2, width: width };
      y += step;
      if (v < count) {
        const item = nodeEls.get(ids[v]);
        item.x = x; item.y = spot[v].y;
        item.g.setAttribute("transform", "translate(" + item.x + "," + item.y + ")");
      }
    }
    x += width + 150;
  }

  // A forward edge alternates curves between columns with straight runs across them;
  // an edge back or within a column loops below its ends.
  function forwardPath(points) {
    let d = "M" + points[0] + "," + points[1];
    for (let i = 2; i < points.length; i += 2) {
      const px = points[i - 2], py = points[i - 1], qx = points[i], qy = points[i + 1];
      if ((i / 2) % 2 === 1) {
        const dx = (qx - px) / 2;
        d += " C" + (px + dx) + "," + py + " " + (qx - dx) + "," + qy + " " + qx + "," + qy;
      } else { d += " L" + qx + "," + qy; }
    }
    return d;
  }
  edges.forEach(function (e, k) {
    const a = nodeEls.get(e.from), b = nodeEls.get(e.to);
    const color = colorOf(e.kind);
    const g = el("g", { class: "edge" + (e.status === "undecided" ? " undecided" : "") });
    g.setAttribute("data-from", e.from); g.setAttribute("data-to", e.to);
    let d, mid;
    if (b.x > a.x) {
      const points = [a.x + a.w, a.y];
      for (const w of waypoints.get(k) || []) {
        points.push(spot[w].x, spot[w].y, spot[w].x + spot[w].width, spot[w].y);
      }
      points.push(b.x, b.y);
      d = forwardPath(points);
      mid = [(points[0] + points[2]) / 2, (points[1] + points[3]) / 2];
    } else {
      const y0 = a.y + a.h / 2, y3 = b.y + b.h / 2, drop = 50 + Math.abs(a.x - b.x) / 6;
      const x0 = a.x + a.w / 2, x3 = b.x + b.w / 2;
      d = "M" + x0 + "," + y0 + " C" + x0 + "," + (y0 + drop) + " " + x3 + "," +
        (y3 + drop) + " " + x3 + "," + y3;
      mid = [(x0 + x3) / 2, (y0 + y3) / 2 + drop * 0.75];
    }
    el("path", { d: d, stroke: color, "marker-end": marker(color) }, g);
    const label = el("text", { x: mid[0], y: mid[1] - 3, fill: color }, g);
    label.textContent = e.via || e.kind || "";
    el("title", {}, g).textContent = (e.via || "") + " (" + (e.status || "?") + ")\n" +
      where(e);
    edgeLayer.appendChild(g);
    edgeEls.push({ g: g, edge: e });
  });

  function where(e) {
    let text = e.policy || "-";
    if (e.line >= 0) { text += ":" + e.line + (e.column >= 0 ? ":" + e.column : ""); }
    return text;
  }
  function apply() {
    viewport.setAttribute("transform",
      "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")");
    svg.classList.toggle("far", view.k < 0.75);
  }
  function fit() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    nodeEls.forEach(function (item) {
      x0 = Math.min(x0, item.x); x1 = Math.max(x1, item.x + item.w);
      y0 = Math.min(y0, item.y - item.h / 2); y1 = Math.max(y1, item.y + item.h / 2 + 60);
    });
    const box = svg.getBoundingClientRect();
    if (!isFinite(x0) || !box.width || !box.height) { apply(); return; }
    view.k = Math.min(1.5, box.width / (x1 - x0 + 80), box.height / (y1 - y0 + 80));
    view.x = (box.width - (x1 - x0) * view.k) / 2 - x0 * view.k;
    view.y = (box.height - (y1 - y0) * view.k) / 2 - y0 * view.k;
    apply();
  }
  function centreOn(id) {
    const item = nodeEls.get(id);
    const box = svg.getBoundingClientRect();
    view.x = box.width / 2 - (item.x + item.w / 2) * view.k;
    view.y = box.height / 2 - item.y * view.k;
    apply();
  }

  function select(id) {
    selected = id;
    const near = new Set(id === null ? [] : [id]);
    for (const item of edgeEls) {
      const e = item.edge;
      const isIn = e.to === id, isOut = e.from === id;
      if (isIn) { near.add(e.from); }
      if (isOut) { near.add(e.to); }
      item.g.classList.toggle("in", isIn);
      item.g.classList.toggle("out", isOut);
      item.g.classList.toggle("dim", id !== null && !isIn && !isOut);
    }
    nodeEls.forEach(function (item, key) {
      item.g.classList.toggle("selected", key === id);
      item.g.classList.toggle("dim", id !== null && !near.has(key));
    });
    showDetails(id);
  }

  function row(table, key, value) {
    const tr = html("tr", null, table);
    html("td", key, tr);
    html("td", value, tr);
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (err) { return text; }
  }
  function edgeItem(e, other, parent) {
    const box = html("div", null, parent, "edge-item");
    const head = html("div", null, box);
    const jump = html("button", labelOf(byId.get(other)), head);
    jump.type = "button";
    jump.title = other;
    jump.addEventListener("click", function () { select(other); centreOn(other); });
    if (e.status === "undecided") { html("span", " undecided", head, "undecided-tag"); }
    const table = html("table", null, box, "attrs");
    row(table, "via", e.via);
    row(table, "kind", e.kind);
    row(table, "status", e.status);
    if (e.policy) { row(table, "policy", e.policy); }
    if (e.statement_index >= 0) {
      row(table, "statement", e.statement_index + (e.sid ? " (Sid " + e.sid + ")" : ""));
    } else if (e.sid) { row(table, "sid", e.sid); }
    if (e.source) { row(table, "source", e.source); }
    if (e.line >= 0) { row(table, "line:column", e.line + (e.column >= 0 ? ":" + e.column : "")); }
    if (e.reason) { row(table, "reason", e.reason); }
    for (const key of ["condition", "witness"]) {
      if (e[key]) { html("h3", key, box); html("pre", pretty(e[key]), box); }
    }
  }
  function showDetails(id) {
    details.replaceChildren();
    if (id === null) {
      html("p", "Click a node to see its attributes and the policy statements behind its edges.",
        details, "hint");
      return;
    }
    const n = byId.get(id);
    html("h2", labelOf(n), details);
    const table = html("table", null, details, "attrs");
    row(table, "id", n.id);
    for (const key of Object.keys(n).sort()) { if (key !== "id") { row(table, key, n[key]); } }
    const incoming = edges.filter(function (e) { return e.to === id; });
    const outgoing = edges.filter(function (e) { return e.from === id; });
    html("h2", "Reached from (" + incoming.length + ")", details);
    for (const e of incoming) { edgeItem(e, e.from, details); }
    html("h2", "Reaches (" + outgoing.length + ")", details);
    for (const e of outgoing) { edgeItem(e, e.to, details); }
  }

  function legend() {
    const box = document.getElementById("legend");
    const tally = function (items) {
      const counts = new Map();
      for (const item of items) { counts.set(item.kind, (counts.get(item.kind) || 0) + 1); }
      return counts;
    };
    const ordered = function (known, counts) {
      const rest = Array.from(counts.keys()).filter(function (k) { return !(k in known); });
      return Object.keys(known).filter(function (k) { return counts.has(k); })
        .concat(rest.sort());
    };
    const nodeCounts = tally(graph.nodes), edgeCounts = tally(edges);
    html("h2", "Node kinds", box);
    for (const kind of ordered(data.nodeStyles, nodeCounts)) {
      const r = html("div", null, box, "legend-row");
      const sw = html("span", null, r, "swatch");
      const style = styleOf(kind);
      sw.style.background = style.fill;
      sw.style.borderRadius = Math.min(style.radius, 6) + "px";
      if (style.dashed) { sw.style.borderStyle = "dashed"; }
      html("span", kind + " (" + nodeCounts.get(kind) + ")", r);
    }
    html("h2", "Edges", box);
    for (const item of [["holds", "solid"], ["undecided", "dashed"]]) {
      const r = html("div", null, box, "legend-row");
      html("span", null, r, "line").style.borderTopStyle = item[1];
      html("span", item[0], r);
    }
    for (const kind of ordered(data.edgeColors, edgeCounts)) {
      const r = html("div", null, box, "legend-row");
      html("span", null, r, "line").style.borderTopColor = colorOf(kind);
      html("span", kind + " (" + edgeCounts.get(kind) + ")", r);
    }
  }
  function warnings() {
    if (!graph.warnings.length) { return; }
    const box = document.getElementById("warnings");
    html("h2", "Warnings (" + graph.warnings.length + ")", box);
    const list = html("ul", null, box);
    for (const w of graph.warnings) { html("li", w, list); }
  }

  const search = document.getElementById("search");
  const matches = document.getElementById("matches");
  function filter() {
    const q = search.value.trim().toLowerCase();
    const shown = new Set();
    nodeEls.forEach(function (item, key) {
      const hit = !q || labelOf(item.node).toLowerCase().includes(q) ||
        key.toLowerCase().includes(q);
      if (hit) { shown.add(key); }
      item.g.classList.toggle("filtered", !hit);
      item.g.classList.toggle("match", Boolean(q) && hit);
    });
    for (const item of edgeEls) {
      item.g.classList.toggle("filtered",
        !(shown.has(item.edge.from) && shown.has(item.edge.to)));
    }
    matches.textContent = q ? shown.size + " of " + nodeEls.size : "";
    return shown;
  }
  search.addEventListener("input", filter);
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    const first = ids.find(function (id) { return filter().has(id); });
    if (first !== undefined && search.value.trim()) { select(first); centreOn(first); }
  });

  let drag = null;
  svg.addEventListener("pointerdown", function (event) {
    const target = event.target.closest ? event.target.closest("g.node") : null;
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false,
      node: target ? target.getAttribute("data-id") : null };
    svg.setPointerCapture(event.pointerId);
    svg.classList.add("panning");
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    if (drag.moved) { view.x = drag.vx + dx; view.y = drag.vy + dy; apply(); }
  });
  svg.addEventListener("pointerup", function () {
    if (drag && !drag.moved) { select(drag.node); }
    drag = null;
    svg.classList.remove("panning");
  });
  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    const box = svg.getBoundingClientRect();
    const mx = event.clientX - box.left, my = event.clientY - box.top;
    const k = Math.min(8, Math.max(0.05, view.k * Math.exp(-event.deltaY * 0.0015)));
    view.x = mx - (mx - view.x) * k / view.k;
    view.y = my - (my - view.y) * k / view.k;
    view.k = k;
    apply();
  }, { passive: false });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && selected !== null) { select(null); }
  });

  document.getElementById("summary").textContent =
    (graph.account ? "account " + graph.account + " \u00b7 " : "") +
    graph.nodes.length + " nodes \u00b7 " + edges.length + " edges";
  legend();
  warnings();
  fit();
  document.body.dataset.rendered = String(nodeLayer.querySelectorAll("g.node").length);
})();
"""
