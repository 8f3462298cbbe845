"""cksmodel: a formal authorization model and policy simulator for AWS KMS custom key stores."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from cksmodel.decision import Decision, DecisionWord, MatchedStatement
from cksmodel.errors import CksError, InputError
from cksmodel.evaluate import evaluate
from cksmodel.scenario import load_scenario, simulate

try:
    __version__ = version("cksmodel")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "CksError",
    "Decision",
    "DecisionWord",
    "InputError",
    "MatchedStatement",
    "__version__",
    "evaluate",
    "load_scenario",
    "simulate",
]
