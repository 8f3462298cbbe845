"""How far long work has got: a hook the caller passes down, free of any presentation.

The prover, the graph builders and the symbolic checks call it as they go; the command line
passes one that draws on a terminal, and everything else gets :func:`no_progress`, so the
library prints nothing of its own.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told that ``done`` of ``total`` items of ``task`` are finished (``total`` ``None``:
    not known); ``note`` names the item at hand. Called often, so it must be cheap."""

    def __call__(self, task: str, done: int, total: int | None = None, note: str = "") -> None:
        """Record how far ``task`` has got."""


def no_progress(task: str, done: int, total: int | None = None, note: str = "") -> None:
    """The default hook: report nothing."""


def check_progress(name: str, value: object) -> Progress:
    """A progress hook argument of a public entry point: any callable."""
    from cksmodel.arguments import ArgumentTypeError, shown

    if not callable(value):
        raise ArgumentTypeError(f"{name}: expected a callable progress hook, not {shown(value)}")
    return value
