"""Self-contained HTML fragments for Jupyter's rich display (``_repr_html_``).

The bottom of the presentation: every stage renders its own result types with these pieces, so
no stage imports a layer above it. Fragments use inline styles only, no scripts and no external
resources, so they render the same in a notebook, an exported page or an e-mail. Every value
taken from a result is escaped, since policies may contain ``<``, ``&`` and quotes. Colours carry
the verdict: green for PROVED and allowed, red for REFUTED and explicit denies, amber for
UNKNOWN, grey for implicit denies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from cksmodel.source import Location, Span


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
MUTED = "opacity:0.7"
"""Style of secondary text (times, warnings' labels, details under a line)."""


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
        return Html(f'<span style="{MUTED}">\u2014</span>')
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


def box(parts: Iterable[str]) -> Html:
    """The outer element of every fragment."""
    return Html(f'<div style="{_BOX}">' + "".join(parts) + "</div>")


def line(*items: object) -> Html:
    """One line of items separated by spaces."""
    return Html('<div style="margin:2px 0">' + " ".join(cell(i) for i in items) + "</div>")


def heading(text: str) -> Html:
    """A small bold heading inside a fragment."""
    return Html(f'<div style="font-weight:600;margin:6px 0 2px">{cell(text)}</div>')


def bullets(items: Iterable[object]) -> Html:
    """An unordered list."""
    entries = "".join(f"<li>{cell(i)}</li>" for i in items)
    return Html(f'<ul style="margin:2px 0;padding-left:20px">{entries}</ul>')


def seconds(value: float) -> str:
    """A duration as people read it in a result."""
    return f"{value:.2f} s"


def locations(places: Sequence[Location]) -> Html:
    """The places that explain a result, with their positions."""
    return table(
        ("role", "description", "position"),
        ((loc.role, loc.description, position(loc.span)) for loc in places),
    )


def example(fields: Mapping[str, Any]) -> Html:
    """A counterexample in its JSON form: the request, each side's decision, and the other
    fields a proof adds (the principal or key the invariant was about, a lifecycle trace)."""
    rows: list[tuple[object, object]] = []
    for key, value in fields.items():
        if key not in ("request", "decisions", "trace"):
            rows.append((f"for {key}", code(value)))
    request = fields.get("request", {})
    for key in ("principal", "principal_role_arn", "action", "resource", "resource_account"):
        if key in request:
            rows.append((key.replace("_", " "), code(request[key])))
    for key, value in request.get("context", {}).items():
        rows.append((Html(f"context {code(key)}"), code(value)))
    for side, word in fields.get("decisions", {}).items():
        label = "decision" if side == "decision" else f"decision of {side}"
        rows.append((label, badge(word)))
    parts = [table(("field", "value"), rows)] if rows else []
    if "trace" in fields:
        steps = "".join(f"<li>{code(step)}</li>" for step in fields["trace"])
        parts.append(Html(f'<ol style="margin:2px 0;padding-left:24px">{steps}</ol>'))
    return Html("".join(parts))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)
