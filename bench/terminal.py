"""Progress of a benchmark on stderr, drawn as the command line draws it: only when stderr is
a terminal and ``--quiet`` is not given. The tables on stdout are unchanged (printed above
the progress rows when stdout is the same terminal)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TypeVar

from cksmodel.cli.progress import showing_progress
from cksmodel.symbolic.progress import Outermost, Progress

T = TypeVar("T")


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="show no progress on stderr")


def showing(args: argparse.Namespace) -> AbstractContextManager[Progress]:
    """The benchmark's progress hook, for the ``--quiet`` of its arguments."""
    return showing_progress(sys.stderr, quiet=args.quiet, route_stdout=sys.stdout.isatty())


def progress_of(items: Sequence[T], task: str, progress: Progress) -> Iterator[T]:
    """The items, reporting how many are done."""
    return Outermost(progress, task).each(items)
