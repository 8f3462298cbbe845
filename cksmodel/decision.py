"""The outcome of evaluating one request, with everything that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cksmodel.errors import Span


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
        from cksmodel.display import decision_html

        return decision_html(self)
