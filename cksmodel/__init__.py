"""cksmodel: a formal authorization model and policy simulator for AWS KMS custom key stores.

The public names are imported on first use so that ``cksmodel --version`` and
other light commands start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The one place the version is written (the build reads it from here)."""

_EXPORTS = {
    "CksError": "cksmodel.errors",
    "InputError": "cksmodel.errors",
    "Decision": "cksmodel.decision",
    "DecisionWord": "cksmodel.decision",
    "MatchedStatement": "cksmodel.decision",
    "evaluate": "cksmodel.evaluate",
    "load_scenario": "cksmodel.scenario",
    "simulate": "cksmodel.scenario",
    "Answer": "cksmodel.query",
    "Comparison": "cksmodel.query",
    "Relation": "cksmodel.query",
    "Verdict": "cksmodel.query",
    "always_denies": "cksmodel.query",
    "can": "cksmodel.query",
    "compare": "cksmodel.query",
    "equivalent": "cksmodel.query",
    "implies": "cksmodel.query",
}

if TYPE_CHECKING:
    from cksmodel.decision import Decision, DecisionWord, MatchedStatement
    from cksmodel.errors import CksError, InputError
    from cksmodel.evaluate import evaluate
    from cksmodel.query import (
        Answer,
        Comparison,
        Relation,
        Verdict,
        always_denies,
        can,
        compare,
        equivalent,
        implies,
    )
    from cksmodel.scenario import load_scenario, simulate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cksmodel' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "Answer",
    "CksError",
    "Comparison",
    "Decision",
    "DecisionWord",
    "InputError",
    "MatchedStatement",
    "Relation",
    "Verdict",
    "__version__",
    "always_denies",
    "can",
    "compare",
    "equivalent",
    "evaluate",
    "implies",
    "load_scenario",
    "simulate",
]
