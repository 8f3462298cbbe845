"""The ``cksmodel`` command line (the presentation layer's top)."""

from cksmodel.cli.commands import main

__all__ = ["main"]
