"""The command line run in-process, as the CLI tests call it."""

from __future__ import annotations

from collections.abc import Sequence

from cksmodel.cli import main


def run(argv: Sequence[str]) -> int:
    """``main`` in-process; argparse's exits (help, usage errors) become the status."""
    try:
        return main(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
