"""The outcome of evaluating one request, with everything that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cksmodel.markup import Html, badge, box, bullets, code, heading, line, position, table
from cksmodel.source import Span


class DecisionWord(StrEnum):
    """The AWS policy simulator's ``EvalDecision`` words."""

    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


@dataclass(frozen=True, kw_only=True, slots=True)
class MatchedStatement:
    """A statement (or grant) that applied to the request."""

    policy_name: str
    policy_type: str
    statement_index: int
    sid: str | None
    effect: str
    span: Span | None = None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy_name,
            "policy_type": self.policy_type,
            "statement_index": self.statement_index,
            "sid": self.sid,
            "effect": self.effect,
            "source": self.span.source if self.span else None,
            "line": self.line,
            "column": self.column,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """Allowed or denied, which statements decided it, and what was missing."""

    decision: DecisionWord
    matched_statements: tuple[MatchedStatement, ...]
    blocked_by: str | None
    reasons: tuple[str, ...]
    missing_context_keys: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision is DecisionWord.ALLOWED

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "blocked_by": self.blocked_by,
            "reasons": list(self.reasons),
            "matched_statements": [m.to_json() for m in self.matched_statements],
            "missing_context_keys": list(self.missing_context_keys),
        }

    def _repr_html_(self) -> str:
        return decision_html(self)


def decision_html(d: Decision) -> Html:
    """The decision, what blocked it, the reasons, every matched statement, missing keys."""
    parts = [line(Html("<strong>Decision</strong>"), badge(d.decision))]
    if d.blocked_by:
        parts.append(line("blocked by", code(d.blocked_by)))
    if d.reasons:
        parts.append(bullets(d.reasons))
    if d.matched_statements:
        parts.append(heading("Matched statements"))
        parts.append(
            table(
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
                    for m in d.matched_statements
                ),
            )
        )
    if d.missing_context_keys:
        keys = Html(", ".join(code(k) for k in d.missing_context_keys))
        parts.append(line("missing context keys:", keys))
    return box(parts)
