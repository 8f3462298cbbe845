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
    "Decision": "cksmodel.concrete.decision",
    "DecisionWord": "cksmodel.concrete.decision",
    "MatchedStatement": "cksmodel.concrete.decision",
    "evaluate": "cksmodel.concrete.evaluate",
    "load_scenario": "cksmodel.concrete.scenario",
    "simulate": "cksmodel.concrete.scenario",
    "Answer": "cksmodel.symbolic.query",
    "Comparison": "cksmodel.symbolic.query",
    "Relation": "cksmodel.symbolic.query",
    "Verdict": "cksmodel.symbolic.query",
    "always_denies": "cksmodel.symbolic.query",
    "can": "cksmodel.symbolic.query",
    "compare": "cksmodel.symbolic.query",
    "equivalent": "cksmodel.symbolic.query",
    "implies": "cksmodel.symbolic.query",
}

if TYPE_CHECKING:
    from cksmodel.concrete.decision import Decision, DecisionWord, MatchedStatement
    from cksmodel.concrete.evaluate import evaluate
    from cksmodel.concrete.scenario import load_scenario, simulate
    from cksmodel.errors import CksError, InputError
    from cksmodel.symbolic.query import (
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
