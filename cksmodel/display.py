"""HTML renderings of results for Jupyter's rich display (``_repr_html_``).

Each fragment is self-contained: inline styles only, no scripts and no external
resources, so it renders the same in a notebook, an exported page or an e-mail.
Every value taken from a result is escaped, since policies may contain ``<``,
``&`` and quotes. Colours carry the verdict: green for PROVED and allowed, red
for REFUTED and explicit denies, amber for UNKNOWN, grey for implicit denies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from cksmodel.decision import Decision, MatchedStatement
from cksmodel.errors import Span
from cksmodel.query import Answer, Comparison, Counterexample, Verdict
from cksmodel.results import InvariantResult, Location, ProveReport

if TYPE_CHECKING:
    from cksmodel.graph.build import AccessGraph
    from cksmodel.graph.query import Hop, WhoCan
    from cksmodel.whatif import PermissionDiff, WhatIfReport


class Html(str):
    """Markup that is already safe: inserted as is where other text is escaped."""

    __slots__ = ()


_GREEN = ("#1a7f37", "#ffffff")
_RED = ("#cf222e", "#ffffff")
_AMBER = ("#e3a008", "#1f2328")
_GREY = ("#6e7781", "#ffffff")
_BLUE = ("#0969da", "#ffffff")

_BADGES: dict[str, tuple[tuple[str, str], str]] = {
    "proved": (_GREEN, "\u2713 "),
    "allowed": (_GREEN, "\u2713 "),
    "allow": (_GREEN, ""),
    "equivalent": (_GREEN, "= "),
    "refuted": (_RED, "\u2717 "),
    "explicitdeny": (_RED, "\u2717 "),
    "deny": (_RED, ""),
    "unknown": (_AMBER, "? "),
    "implicitdeny": (_GREY, "\u2205 "),
    "more-permissive": (_BLUE, "\u2287 "),
    "less-permissive": (_BLUE, "\u2286 "),
    "incomparable": (_BLUE, "\u2260 "),
    "gained": (_GREEN, "+ "),
    "lost": (_RED, "\u2212 "),
    "undecided": (_AMBER, "? "),
}
"""Background and text colour, and a symbol so the badge reads without colour too."""

_BOX = "font-family:system-ui,sans-serif;font-size:13px;line-height:1.5;margin:4px 0"
_TABLE = "border-collapse:collapse;margin:4px 0"
_CELL = "border:1px solid #d0d7de;padding:2px 8px;text-align:left;vertical-align:top"
_MUTED = "opacity:0.7"


def badge(word: str) -> Html:
    """A coloured pill for a verdict, decision, effect or relation word (grey if unknown)."""
    (background, foreground), symbol = _BADGES.get(str(word).lower(), (_GREY, ""))
    style = (
        f"background:{background};color:{foreground};border-radius:10px;padding:1px 8px;"
        "font-weight:600;font-size:12px;white-space:nowrap"
    )
    return Html(f'<span style="{style}">{escape(symbol + str(word))}</span>')


def cell(value: object) -> Html:
    """A value as markup: :class:`Html` unchanged, ``None`` as a dash, anything else escaped."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html(f'<span style="{_MUTED}">\u2014</span>')
    return Html(escape(_text(value)))


def code(value: object) -> Html:
    """A value in a monospace ``<code>`` element (ARNs, keys, positions)."""
    return Html(f"<code>{cell(value)}</code>")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Html:
    """A bordered table; header texts and cells are escaped unless they are :class:`Html`."""
    head = "".join(f'<th style="{_CELL}">{cell(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell(v)}</td>' for v in row) + "</tr>"
        for row in rows
    )
    return Html(
        f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def position(span: Span | None) -> Html:
    """``source:line:column`` in monospace, or a dash when the position is not known."""
    return code(str(span)) if span is not None else cell(None)


def decision_html(d: Decision) -> Html:
    """The decision, what blocked it, the reasons, every matched statement, missing keys."""
    parts = [_line(Html("<strong>Decision</strong>"), badge(d.decision))]
    if d.blocked_by:
        parts.append(_line("blocked by", code(d.blocked_by)))
    if d.reasons:
        parts.append(_list(d.reasons))
    if d.matched_statements:
        parts.append(_heading("Matched statements"))
        parts.append(_statements(d.matched_statements))
    if d.missing_context_keys:
        keys = Html(", ".join(code(k) for k in d.missing_context_keys))
        parts.append(_line("missing context keys:", keys))
    return _box(parts)


def counterexample_html(c: Counterexample) -> Html:
    """The replayed request as a table, with each side's decision."""
    return _box([_example(c.to_json())])


def answer_html(a: Answer) -> Html:
    """The verdict, reason and time, the counterexamples, and any approximations used."""
    return _box(_answer_parts(a, "Answer"))


def comparison_html(c: Comparison) -> Html:
    """The relation of ``a`` to ``b`` and a witness for each direction in which they differ."""
    parts = [_line(Html("<strong>Comparison</strong>"), "a is", badge(c.relation), "b")]
    parts += _answer_parts(c.only_a, "Allowed only by a")
    parts += _answer_parts(c.only_b, "Allowed only by b")
    return _box(parts)


def invariant_html(r: InvariantResult) -> Html:
    """One invariant's row, and its counterexamples and locations when REFUTED."""
    parts = [_invariants((r,))]
    if r.verdict is Verdict.REFUTED:
        parts.append(_details(r, opened=True))
    return _box(parts)


def prove_report_html(r: ProveReport) -> Html:
    """Counts per verdict, then every invariant, then the evidence for each REFUTED one."""
    counts = Counter(result.verdict for result in r.results)
    summary = [Html(f"{badge(v)} {counts[v]}") for v in Verdict]
    parts = [
        _line(Html("<strong>Prove report</strong>"), *summary),
        _line(
            "account", code(r.account), "\u00b7 specs", Html(", ".join(code(s) for s in r.specs))
        ),
        _invariants(r.results),
    ]
    parts += [_details(result) for result in r.results if result.verdict is Verdict.REFUTED]
    if r.warnings:
        parts.append(_heading("Warnings"))
        parts.append(_list(r.warnings))
    return _box(parts)


# --------------------------------------------------------------------------- pieces


def who_can_html(w: WhoCan) -> Html:
    """Who can call the action: direct callers first, then escalation paths, hop by hop."""
    direct = sum(1 for p in w.principals if p.direct)
    undecided = sum(1 for p in w.principals if not p.decided)
    parts = [
        _line(Html("<strong>Who can</strong>"), code(w.action), "on", code(w.resource)),
        _line(
            f"{direct} directly, {len(w.principals) - direct} through escalation"
            + (f", {undecided} undecided (may reach)" if undecided else "")
        ),
        table(
            ("principal", "kind", "how", "decided", "path"),
            (
                (
                    code(p.arn),
                    p.kind,
                    "direct" if p.direct else f"{len(p.path) - 1} step(s)",
                    badge("allowed" if p.decided else "unknown"),
                    _path(p.path),
                )
                for p in w.principals
            ),
        ),
    ]
    parts += [_line(Html(f'<span style="{_MUTED}">warning</span>'), x) for x in w.warnings]
    return _box(parts)


def _path(hops: Sequence[Hop]) -> Html:
    items = []
    for h in hops:
        where = f"{h.file}:{h.line}:{h.column}" if h.line >= 0 else ""
        statement = f"{h.policy} statement {h.statement_index}" if h.policy else ""
        detail = "; ".join(x for x in (statement, where, h.condition, h.reason) if x)
        items.append(
            Html(
                f"{code(h.source)} \u2192 {code(h.target)} <em>{cell(h.via)}</em> "
                f"{badge('allowed' if h.status == 'holds' else 'unknown')}"
                + (f'<div style="{_MUTED}">{cell(detail)}</div>' if detail else "")
            )
        )
    entries = "".join(f"<li>{i}</li>" for i in items)
    return Html(f'<ol style="margin:2px 0;padding-left:20px">{entries}</ol>')


def graph_html(g: AccessGraph) -> Html:
    """The graph drawn by Graphviz when ``dot`` is installed, else its edges as a table."""
    from cksmodel.graph.render import svg

    s = g.stats
    parts = [
        _line(
            Html("<strong>Reachability graph</strong>"),
            f"account {g.account.account_id}: {s.actors} actors, {s.edges} edges, "
            f"{s.undecided} undecided, built in {_seconds(s.seconds)}",
        )
    ]
    drawing = svg(g.graph)
    if drawing is not None:
        parts.append(Html(drawing[drawing.find("<svg") :]))
    else:
        parts.append(_line("Graphviz `dot` was not found: the edges are listed instead."))
        parts.append(
            table(
                ("from", "to", "via", "status", "policy", "line"),
                (
                    (a, b, d["via"], d["status"], d["policy"], d["line"])
                    for a, b, d in sorted(g.graph.edges(data=True))
                    if d["kind"] != "member"
                ),
            )
        )
    return _box(parts)


def what_if_html(r: WhatIfReport) -> Html:
    """The changes, every invariant before and after, and why each flipped one flipped."""

    def word(v: Verdict | None) -> Html:
        return badge(v.value if v is not None else "absent")

    parts = [_heading("What if"), _list(r.changes)] if r.changes else []
    parts.append(_line(f"{len(r.flipped)} of {len(r.invariants)} invariants flipped"))
    parts.append(
        table(
            ("invariant", "title", "before", "after"),
            ((code(d.name), d.title, word(d.before), word(d.after)) for d in r.invariants),
        )
    )
    for d in r.flipped:
        parts.append(_line(code(d.name), word(d.before), "\u2192", word(d.after)))
        parts += [_example(c) for c in d.counterexamples]
        if d.locations:
            parts.append(_locations(d.locations))
    return _box(parts)


def permission_diff_html(diff: PermissionDiff) -> Html:
    """Permissions gained, lost and undecided between two models, one row each."""
    rows = [
        (badge(kind), code(action), code(resource))
        for kind, items in (
            ("gained", diff.gained),
            ("lost", diff.lost),
            ("undecided", diff.undecided),
        )
        for action, resource in items
    ]
    head = _line(
        code(diff.principal),
        f"{len(diff.gained)} gained, {len(diff.lost)} lost, {len(diff.undecided)} undecided "
        f"of {diff.checked} checked",
    )
    return _box([head, table(("", "action", "resource"), rows) if rows else _line("no change")])


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _box(parts: Iterable[str]) -> Html:
    return Html(f'<div style="{_BOX}">' + "".join(parts) + "</div>")


def _line(*items: object) -> Html:
    return Html('<div style="margin:2px 0">' + " ".join(cell(i) for i in items) + "</div>")


def _heading(text: str) -> Html:
    return Html(f'<div style="font-weight:600;margin:6px 0 2px">{cell(text)}</div>')


def _list(items: Iterable[object]) -> Html:
    entries = "".join(f"<li>{cell(i)}</li>" for i in items)
    return Html(f'<ul style="margin:2px 0;padding-left:20px">{entries}</ul>')


def _statements(statements: Sequence[MatchedStatement]) -> Html:
    return table(
        ("policy", "type", "statement", "Sid", "effect", "position"),
        (
            (
                code(m.policy_name),
                m.policy_type,
                m.statement_index,
                m.sid,
                badge(m.effect),
                position(m.span),
            )
            for m in statements
        ),
    )


def _locations(locations: Sequence[Location]) -> Html:
    return table(
        ("role", "description", "position"),
        ((loc.role, loc.description, position(loc.span)) for loc in locations),
    )


def _answer_parts(a: Answer, title: str) -> list[Html]:
    head: list[object] = [Html(f"<strong>{cell(title)}</strong>"), badge(a.verdict)]
    if a.reason:
        head.append(a.reason)
    head.append(Html(f'<span style="{_MUTED}">{cell(_seconds(a.elapsed))}</span>'))
    parts = [_line(*head)]
    parts += [_example(c.to_json()) for c in a.counterexamples]
    if a.approximations:
        parts.append(_heading("Approximations"))
        parts.append(
            table(("reason", "position"), ((x.reason, position(x.span)) for x in a.approximations))
        )
    return parts


def _example(example: Mapping[str, Any]) -> Html:
    """A counterexample in its JSON form: the request, each side's decision, and the other
    fields a proof adds (the principal or key the invariant was about, a lifecycle trace)."""
    rows: list[tuple[object, object]] = []
    for key, value in example.items():
        if key not in ("request", "decisions", "trace"):
            rows.append((f"for {key}", code(value)))
    request = example.get("request", {})
    for key in ("principal", "principal_role_arn", "action", "resource", "resource_account"):
        if key in request:
            rows.append((key.replace("_", " "), code(request[key])))
    for key, value in request.get("context", {}).items():
        rows.append((Html(f"context {code(key)}"), code(value)))
    for side, word in example.get("decisions", {}).items():
        label = "decision" if side == "decision" else f"decision of {side}"
        rows.append((label, badge(word)))
    parts = [table(("field", "value"), rows)] if rows else []
    if "trace" in example:
        steps = "".join(f"<li>{code(step)}</li>" for step in example["trace"])
        parts.append(Html(f'<ol style="margin:2px 0;padding-left:24px">{steps}</ol>'))
    return Html("".join(parts))


def _invariants(results: Sequence[InvariantResult]) -> Html:
    return table(
        ("invariant", "title", "verdict", "time", "reason"),
        (
            (code(r.name), r.title, badge(r.verdict), _seconds(r.time_s), r.reason or None)
            for r in results
        ),
    )


def _details(r: InvariantResult, *, opened: bool = False) -> Html:
    count = len(r.counterexamples)
    summary = Html(
        f"{code(r.name)} {badge(r.verdict)} {count} counterexample{'' if count == 1 else 's'}"
    )
    body = [_example(c) for c in r.counterexamples]
    if r.locations:
        body.append(_heading("Locations"))
        body.append(_locations(r.locations))
    attribute = ' open="open"' if opened else ""
    return Html(
        f'<details{attribute} style="margin:4px 0"><summary>{summary}</summary>'
        + "".join(body)
        + "</details>"
    )


def _seconds(value: float) -> str:
    return f"{value:.2f} s"
