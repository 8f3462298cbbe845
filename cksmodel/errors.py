"""One exception root for every cksmodel failure, with stage-specific subclasses.

Input errors carry a source span and a stable code so the CLI can print
``file:line:column: CODE message`` and exit with status 2, never a traceback.
"""

from __future__ import annotations

from cksmodel.source import Span


class CksError(Exception):
    """Root of every error cksmodel raises on purpose."""

    code: str = "E_INTERNAL"

    def __init__(self, message: str, *, span: Span | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span is not None else ""
        return f"{where}{self.code} {self.message}"


class InputError(CksError):
    """The user's input cannot be used; exit status 2."""

    code = "E_INPUT"


class ParseError(InputError):
    """A document is not well-formed (JSON syntax, encoding, size, nesting)."""

    code = "E_SYNTAX"


class PolicyError(InputError):
    """A well-formed document is not a policy the evaluator can use."""

    code = "E_POLICY"


class ScenarioError(InputError):
    """A simulation scenario is malformed."""

    code = "E_SCENARIO"


class InternalError(CksError):
    """A broken internal invariant (e.g. a counterexample that fails replay)."""

    code = "E_INTERNAL"


class CatalogError(InputError):
    """An IAM catalog snapshot given by the user cannot be read."""

    code = "E_CATALOG"
