"""Rendering the reachability graph: DOT, GraphML, JSON, HTML in a browser, focus, SVG."""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from cksmodel.errors import InputError, InternalError
from cksmodel.graph.render import focus, svg, to_dot, to_graphml, to_html, to_json

ACCOUNT = "111122223333"
CI = f"arn:aws:iam::{ACCOUNT}:role/ci-deployer"
REWRITTEN = f"{CI}#rewritten"
GITHUB = "federated:token.actions.githubusercontent.com"
ECS = "service:ecs-tasks.amazonaws.com"
WEIRD = f'arn:aws:iam::{ACCOUNT}:role/we"ird\\path/rôle-é'
WEIRD_LABEL = 'role/we"ird\\Name-rôle-é'
EXTERNAL = "arn:aws:iam::444455556666:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
OPS = f"arn:aws:iam::{ACCOUNT}:group/ops"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
SLR = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/cks.kms.amazonaws.com/"
    "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
)
DELETE = "action:kms:DeleteCustomKeyStore on *"
UPDATE = "action:kms:UpdateCustomKeyStore on *"
SVG_NS = "http://www.w3.org/2000/svg"
BREAKOUT = "repo:org/app:</script><script>document.title='pwned'</script>"

NODES: list[tuple[str, str, str]] = [
    (GITHUB, "federated", "token.actions.githubusercontent.com"),
    (CI, "role", "role/ci-deployer"),
    (REWRITTEN, "modified", "role/ci-deployer (policies rewritten)"),
    (ECS, "service", "ecs-tasks.amazonaws.com"),
    (WEIRD, "role", WEIRD_LABEL),
    (EXTERNAL, "account", "account 444455556666"),
    ("anonymous", "anonymous", "anyone"),
    (ALICE, "user", "user/alice\nsecond line"),
    (OPS, "group", "group/ops"),
    (BOB, "user", "user/bob"),
    (SLR, "role", "role/AWSServiceRoleForKeyManagementServiceCustomKeyStores"),
    (DELETE, "action", "kms:DeleteCustomKeyStore on *"),
    (UPDATE, "action", "kms:UpdateCustomKeyStore on *"),
]

EDGES: list[tuple[str, str, dict[str, Any]]] = [
    (
        GITHUB,
        CI,
        {
            "kind": "assume",
            "via": "sts:AssumeRoleWithWebIdentity",
            "policy": "ci-deployer trust policy",
            "statement_index": 0,
            "sid": "GitHubOidc",
            "line": 12,
            "column": 5,
            "condition": json.dumps(
                {"StringLike": {"token.actions.githubusercontent.com:sub": BREAKOUT}}
            ),
            "witness": json.dumps({"action": "sts:AssumeRoleWithWebIdentity"}),
        },
    ),
    (CI, REWRITTEN, {"kind": "rewrite", "via": "iam:PutRolePolicy", "policy": "deploy"}),
    (REWRITTEN, DELETE, {"kind": "action", "via": "kms:DeleteCustomKeyStore"}),
    (ECS, CI, {"kind": "credentials", "via": "container credentials"}),
    (
        EXTERNAL,
        WEIRD,
        {"kind": "assume", "via": "sts:AssumeRole", "status": "undecided", "reason": "unknown key"},
    ),
    (WEIRD, CI, {"kind": "pass_role", "via": "iam:PassRole + ecs:RunTask", "line": 3}),
    (ALICE, OPS, {"kind": "member", "via": "member of"}),
    (OPS, BOB, {"kind": "group", "via": "iam:AddUserToGroup"}),
    (BOB, UPDATE, {"kind": "action", "via": "kms:UpdateCustomKeyStore"}),
    (SLR, DELETE, {"kind": "kms", "via": "kms:DeleteCustomKeyStore", "status": "undecided"}),
]

EDGE_DEFAULTS: dict[str, Any] = {
    "status": "holds",
    "policy": "",
    "statement_index": -1,
    "sid": "",
    "source": "policies/iam.json",
    "line": -1,
    "column": -1,
    "condition": "",
    "witness": "",
    "reason": "",
}


def build(*, reverse: bool = False) -> nx.DiGraph[str]:
    """The fixture graph; ``reverse`` inserts nodes and edges in the opposite order."""
    graph: nx.DiGraph[str] = nx.DiGraph(
        account=ACCOUNT,
        warnings=f"bucket policy skipped\nodd value {BREAKOUT}",
        title="Test graph",
    )
    nodes = list(reversed(NODES)) if reverse else NODES
    for node, kind, label in nodes:
        arn = node if node.startswith("arn:") else ""
        graph.add_node(
            node,
            kind=kind,
            label=label,
            arn=arn,
            account=arn.split(":")[4] if arn else "",
            service_linked=node == SLR,
        )
    edges = list(reversed(EDGES)) if reverse else EDGES
    for source, target, attrs in edges:
        graph.add_edge(source, target, **{**EDGE_DEFAULTS, **attrs})
    return graph


def require_tool(*names: str) -> str:
    """The first installed program of ``names``; skip without one, fail if CI demands tools."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CKSMODEL_REQUIRE_TOOLS"):
        pytest.fail(f"none of {', '.join(names)} is installed and CKSMODEL_REQUIRE_TOOLS is set")
    pytest.skip(f"needs {' or '.join(names)}")


def svg_titles(root: ET.Element, cls: str) -> set[str | None]:
    """The titles of the Graphviz SVG groups of class ``cls`` (``node`` or ``edge``)."""
    groups = root.iter(f"{{{SVG_NS}}}g")
    return {g.findtext(f"{{{SVG_NS}}}title") for g in groups if g.get("class") == cls}


def graphviz_name(node: str) -> str:
    """The name Graphviz gives a node: a quoted ``\\\\`` stays two backslashes in DOT."""
    return node.replace("\\", "\\\\")


# DOT


def test_dot_lays_out_with_graphviz_keeping_every_node_label_and_edge() -> None:
    dot = require_tool("dot")
    graph = build()
    done = subprocess.run(
        [dot, "-Tsvg"],
        input=to_dot(graph),
        capture_output=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(done.stdout)
    assert svg_titles(root, "node") == {graphviz_name(node) for node in graph}
    assert len(svg_titles(root, "edge")) == graph.number_of_edges()
    texts = {t.text for t in root.iter(f"{{{SVG_NS}}}text")}
    for _, attrs in graph.nodes(data=True):
        assert set(attrs["label"].split("\n")) <= texts, attrs["label"]


def test_dot_is_the_same_whatever_the_insertion_order() -> None:
    assert to_dot(build()) == to_dot(build(reverse=True))


@pytest.mark.parametrize(
    ("source", "target", "style"),
    [(EXTERNAL, WEIRD, "dashed"), (SLR, DELETE, "dashed"), (GITHUB, CI, "solid")],
)
def test_dot_dashes_undecided_edges_only(source: str, target: str, style: str) -> None:
    line = edge_line(to_dot(build()), source, target)
    assert f'style="{style}"' in line


def test_dot_edge_has_via_label_and_policy_line_column_tooltip() -> None:
    line = edge_line(to_dot(build()), GITHUB, CI)
    assert 'label="sts:AssumeRoleWithWebIdentity"' in line
    assert "ci-deployer trust policy:12:5 statement 0 Sid GitHubOidc" in line


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ('we"ird', '"we\\"ird"'),
        ("back\\slash", '"back\\\\slash"'),
        ("two\nlines", '"two\\nlines"'),
        ("rôle-é", '"rôle-é"'),
        ("bell\x07", '"bell\ufffd"'),
    ],
)
def test_dot_escapes_quotes_backslashes_line_breaks_and_controls_in_labels(
    text: str, quoted: str
) -> None:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_node("n", kind="user", label=text, arn="", account="", service_linked=False)
    assert f"label={quoted}" in to_dot(graph)


def edge_line(dot: str, source: str, target: str) -> str:
    prefix = f'  "{dot_id(source)}" -> "{dot_id(target)}" ['
    lines = [line for line in dot.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, prefix
    return lines[0]


def dot_id(node: str) -> str:
    return node.replace("\\", "\\\\").replace('"', '\\"')


# GraphML


def test_graphml_reads_back_with_every_attribute_and_type() -> None:
    graph = build()
    loaded = nx.read_graphml(io.BytesIO(to_graphml(graph).encode("utf-8")))
    assert isinstance(loaded, nx.DiGraph)
    assert typed(loaded.graph, skip={"node_default", "edge_default"}) == typed(graph.graph)
    assert set(loaded.nodes) == set(graph.nodes)
    for node in graph:
        assert typed(loaded.nodes[node]) == typed(graph.nodes[node]), node
    assert set(loaded.edges) == set(graph.edges)
    for edge in graph.edges:
        assert typed(loaded.edges[edge]) == typed(graph.edges[edge]), edge


def test_graphml_is_deterministic_and_writes_schema_booleans() -> None:
    text = to_graphml(build())
    assert text == to_graphml(build(reverse=True))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<graphml')
    assert re.search(r">true</data>", text) and re.search(r">false</data>", text)
    assert not re.search(r">(True|False)</data>", text)


def typed(
    attrs: dict[str, Any], *, skip: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """Attributes with their types, so ``True`` and ``1`` differ."""
    return {key: (type(value), value) for key, value in attrs.items() if key not in skip}


# JSON


def test_json_lists_every_node_and_edge_sorted_with_their_attributes() -> None:
    graph = build()
    data = to_json(graph)
    assert data["account"] == ACCOUNT
    assert data["title"] == "Test graph"
    assert data["warnings"] == ["bucket policy skipped", f"odd value {BREAKOUT}"]
    assert [n["id"] for n in data["nodes"]] == sorted(graph.nodes)
    assert [(e["from"], e["to"]) for e in data["edges"]] == sorted(graph.edges)
    for entry in data["nodes"]:
        assert {k: v for k, v in entry.items() if k != "id"} == graph.nodes[entry["id"]]
    for entry in data["edges"]:
        attrs = {k: v for k, v in entry.items() if k not in ("from", "to")}
        assert attrs == graph.edges[entry["from"], entry["to"]]


def test_json_is_the_same_whatever_the_insertion_order() -> None:
    first = json.dumps(to_json(build()))
    assert first == json.dumps(to_json(build(reverse=True)))
    assert json.loads(first) == to_json(build())


def test_json_of_a_graph_without_attributes_has_empty_account_and_warnings() -> None:
    assert to_json(nx.DiGraph()) == {
        "account": "",
        "bundle": "",
        "bundled_example": False,
        "title": "",
        "warnings": [],
        "nodes": [],
        "edges": [],
    }


# HTML


def test_html_loads_nothing_from_the_network() -> None:
    page = to_html(build(), title="Test graph")
    for pattern in (r"src\s*=\s*[\"']?\s*(https?:)?//", r"href\s*=\s*[\"']?\s*(https?:)?//"):
        assert not re.search(pattern, page, re.IGNORECASE), pattern
    lowered = page.lower()
    for needle in ("url(http", "url(//", "@import", "<link", "<iframe", "fetch(", "xmlhttprequest"):
        assert needle not in lowered, needle


def test_html_embeds_the_graph_so_script_text_in_data_cannot_end_the_element() -> None:
    graph = build()
    page = to_html(graph, title="Test graph")
    assert page.lower().count("</script") == 2
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.S)
    assert match is not None
    assert json.loads(match.group(1))["graph"] == to_json(graph)


def test_html_escapes_the_title() -> None:
    page = to_html(build(), title="<b>Ops</b> & @DATA@")
    assert "<title>&lt;b&gt;Ops&lt;/b&gt; &amp; @DATA@</title>" in page
    assert "<b>Ops" not in page


@pytest.mark.parametrize(
    ("name", "view"),
    [
        ("whole graph", build),
        ("focused on the CI role", lambda: focus(build(), "role/ci-deployer")),
        ("empty graph", nx.DiGraph),
    ],
)
def test_html_renders_every_node_in_a_headless_browser(
    name: str, view: Any, tmp_path: Path
) -> None:
    browser = require_tool("chromium", "chromium-browser", "google-chrome")
    graph = view()
    page = tmp_path / "graph.html"
    page.write_text(to_html(graph, title=name), encoding="utf-8")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    count = graph.number_of_nodes()
    assert f'data-rendered="{count}"' in dom, dom[-2000:]
    assert dom.count('<g class="node"') == count
    assert dom.count('<g class="edge') == graph.number_of_edges()
    drawn = {html.unescape(v) for v in re.findall(r'<g class="node" data-id="([^"]*)"', dom)}
    assert drawn == set(graph.nodes)
    assert f"<title>{html.escape(name)}</title>" in dom
    assert "<title>pwned" not in dom


# focus

FOCUS_CASES: list[tuple[str, set[str]]] = [
    ("role/ci-deployer", {CI, GITHUB, ECS, WEIRD, EXTERNAL, REWRITTEN, DELETE}),
    ("ROLE/CI-Deployer", {CI, GITHUB, ECS, WEIRD, EXTERNAL, REWRITTEN, DELETE}),
    (CI, {CI, GITHUB, ECS, WEIRD, EXTERNAL, REWRITTEN, DELETE}),
    (WEIRD, {WEIRD, EXTERNAL, CI, REWRITTEN, DELETE}),
    ("anonymous", {"anonymous"}),
    ("group/ops", {ALICE, OPS, BOB, UPDATE}),
    ("kms:DeleteCustomKeyStore", {DELETE, REWRITTEN, CI, GITHUB, ECS, WEIRD, EXTERNAL, SLR}),
    ("kms:updatecustomkeystore", {UPDATE, BOB, OPS, ALICE}),
    (
        "CustomKeyStore",
        {DELETE, UPDATE, REWRITTEN, CI, GITHUB, ECS, WEIRD, EXTERNAL, SLR, BOB, OPS, ALICE},
    ),
]


@pytest.mark.parametrize(("name", "kept"), FOCUS_CASES)
def test_focus_keeps_the_node_with_its_ancestors_and_descendants(name: str, kept: set[str]) -> None:
    graph = build()
    sub = focus(graph, name)
    assert set(sub.nodes) == kept
    assert set(sub.edges) == {(u, v) for u, v in graph.edges if u in kept and v in kept}
    assert sub.graph == graph.graph
    for edge in sub.edges:
        assert sub.edges[edge] == graph.edges[edge]


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("role/ci-deploy", "role/ci-deployer"),
        ("kms:DeleteKey", "close matches"),
        ("nothing-like-it-at-all", "none is close"),
        ("  ", "needs a node or action name"),
    ],
)
def test_focus_on_an_unknown_name_is_an_input_error(name: str, hint: str) -> None:
    with pytest.raises(InputError) as raised:
        focus(build(), name)
    assert raised.value.code == "E_FOCUS"
    assert hint in raised.value.message


def test_dot_with_focus_draws_only_the_focused_nodes() -> None:
    dot = to_dot(build(), focus="kms:UpdateCustomKeyStore")
    assert dot == to_dot(focus(build(), "kms:UpdateCustomKeyStore"))
    assert f'"{BOB}" [' in dot
    assert f'"{CI}" [' not in dot


# svg


def test_svg_is_graphviz_svg_text_when_dot_is_installed() -> None:
    require_tool("dot")
    text = svg(build())
    assert text is not None
    root = ET.fromstring(text)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert svg_titles(root, "node") == {graphviz_name(node) for node in build()}


def test_svg_is_none_without_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert svg(build()) is None


@pytest.mark.parametrize(
    ("script", "error", "code"),
    [
        ("exec sleep 30", InputError, "E_RENDER"),
        ("echo broken >&2; exit 3", InternalError, "E_INTERNAL"),
    ],
)
def test_svg_reports_a_slow_or_failing_dot(
    script: str, error: type[Exception], code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "dot"
    fake.write_text(f"#!/bin/sh\ncat >/dev/null\n{script}\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    with pytest.raises(error) as raised:
        svg(build(), timeout=1)
    assert getattr(raised.value, "code", None) == code
