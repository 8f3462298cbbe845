"""Progress of long commands on a terminal: one row per task, drawn on stderr with ``rich``.

Shown only when stderr is a terminal and ``--quiet`` is not given; never on stdout, so
JSON, SARIF and JUnit reports are the same with or without it. The rows are cleared before
the result is written (:func:`stop_progress`), so a terminal shows the result alone.
"""

from __future__ import annotations

import threading
from argparse import Namespace
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from cksmodel.symbolic.progress import Progress, no_progress

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.progress import TaskID


class TerminalProgress:
    """A :class:`~cksmodel.symbolic.progress.Progress` hook drawing rows on a terminal stream.

    A report only records the task's latest state; the rows are brought up to date when
    they are drawn (8 times a second, on rich's own thread), so a loop may report every
    item at the cost of a dictionary update.
    """

    def __init__(self, stream: TextIO, *, route_stdout: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        owner = self

        class Rows(Progress):
            def get_renderables(self) -> Iterable[RenderableType]:
                owner._apply()
                return super().get_renderables()

        self._lock = threading.Lock()
        self._latest: dict[str, tuple[int, int | None, str]] = {}
        self._tasks: dict[str, TaskID] = {}
        self._open = True
        self._rows = Rows(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=Console(file=stream, force_terminal=True),
            transient=True,
            redirect_stdout=route_stdout,
            refresh_per_second=8,
        )
        self._rows.start()

    def __call__(self, task: str, done: int, total: int | None = None, note: str = "") -> None:
        with self._lock:
            self._latest[task] = (done, total, note)

    def _apply(self) -> None:
        """Bring the rows up to date with the latest reports."""
        with self._lock:
            latest, self._latest = self._latest, {}
        for task, (done, total, note) in latest.items():
            count = f"{done}/{total}" if total is not None else str(done) if done else ""
            found = self._tasks.get(task)
            if found is None:
                found = self._rows.add_task(task, total=total, note=note, count=count)
                self._tasks[task] = found
            self._rows.update(found, completed=done, total=total, note=note, count=count)

    def close(self) -> None:
        """Clear the rows and stop drawing (later reports are not drawn)."""
        if self._open:
            self._open = False
            self._rows.stop()


_SHOWN: list[TerminalProgress] = []


@contextmanager
def showing_progress(
    stream: TextIO, *, quiet: bool, route_stdout: bool = False
) -> Iterator[Progress]:
    """A progress hook for one command: rows on ``stream`` when it is a terminal and not
    ``quiet``, otherwise one that reports nothing. ``route_stdout`` (for a program that
    prints as it goes, stdout being the same terminal) prints stdout above the rows."""
    if quiet or not stream.isatty():
        yield no_progress
        return
    shown = TerminalProgress(stream, route_stdout=route_stdout)
    _SHOWN.append(shown)
    try:
        yield shown
    finally:
        _SHOWN.remove(shown)
        shown.close()


def stop_progress() -> None:
    """Clear the rows before the result is written."""
    for shown in _SHOWN:
        shown.close()


def command_progress(args: Namespace) -> Progress:
    """A command's progress hook (set by ``main``; none when a test calls a command
    directly)."""
    hook: Progress = getattr(args, "progress", no_progress)
    return hook
