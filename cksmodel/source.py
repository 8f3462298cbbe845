"""Where things come from: positions in source texts, shared by every stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """A region of a source text; lines and columns are 1-based."""

    source: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """A place that explains a result: the invariant in its spec, or a policy statement."""

    role: str
    """``spec`` for the invariant itself, ``policy`` for a statement responsible."""
    span: Span
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.span.source,
            "line": self.span.line,
            "column": self.span.column,
            "description": self.description,
        }
