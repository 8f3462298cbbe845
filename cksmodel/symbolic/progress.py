"""How far long work has got: a hook the caller passes down, free of any presentation.

The symbolic searches and checks, the graph builders and the prover call it as they go (it
lives in the lowest stage that reports); the command line passes one that draws on a
terminal, and everything else gets :func:`no_progress`, so the library prints nothing of
its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


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


class Outermost:
    """Progress of the outermost of nested loops of one task: a loop started while another
    runs reports nothing, so the count shown never jumps back."""

    def __init__(self, progress: Progress, task: str) -> None:
        self.progress = progress
        self.task = task
        self._running = False

    def each(self, items: Sequence[T]) -> Iterator[T]:
        """The items, reporting how many are done unless an outer loop already does."""
        if self._running:
            yield from items
            return
        self._running = True
        try:
            for n, item in enumerate(items):
                self.progress(self.task, n, len(items))
                yield item
            self.progress(self.task, len(items), len(items))
        finally:
            self._running = False
