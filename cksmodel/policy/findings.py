"""Validation findings, in the IAM Access Analyzer severity vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cksmodel.source import Span


class Severity(StrEnum):
    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One problem in a policy, with a stable code and where it is."""

    code: str
    severity: Severity
    message: str
    span: Span | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.source, self.span.line, self.span.column, self.code)
