"""Checks of the arguments of the public entry points.

A wrong type or an out-of-range limit is reported at the call, naming the
argument and what it accepts, instead of failing deep inside. The errors are
both the project's :class:`InputError` and Python's ``TypeError`` or
``ValueError``, so either ``except`` catches them.
"""

from __future__ import annotations

import math
import os
import reprlib
from pathlib import Path
from typing import TypeVar

from cksmodel.errors import InputError

T = TypeVar("T")

_REPR = reprlib.Repr()
_REPR.maxstring = 40
_REPR.maxother = 40


class ArgumentTypeError(InputError, TypeError):
    """An argument of a public function has the wrong type."""

    code = "E_ARGUMENT"


class ArgumentValueError(InputError, ValueError):
    """An argument of a public function has the right type and a value out of range."""

    code = "E_ARGUMENT"


def shown(value: object) -> str:
    """A short description of a value for an error message: its type and a clipped repr."""
    return f"{type(value).__name__} {_REPR.repr(value)}"


def check_type(name: str, value: object, expected: type[T] | tuple[type[T], ...], what: str) -> T:
    """``value`` itself if it is an instance of ``expected`` (a ``bool`` is no number)."""
    types = expected if isinstance(expected, tuple) else (expected,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ArgumentTypeError(f"{name}: expected {what}, not {shown(value)}")
    return value


def check_seconds(name: str, value: object) -> float:
    """A positive, finite number of seconds."""
    seconds = check_type(name, value, (int, float), "a positive number of seconds")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ArgumentValueError(
            f"{name}: expected a positive, finite number of seconds, not {seconds!r}"
        )
    return float(seconds)


def check_count(name: str, value: object, *, minimum: int = 1) -> int:
    """A whole number of at least ``minimum``."""
    count = check_type(name, value, int, f"a whole number of at least {minimum}")
    if count < minimum:
        raise ArgumentValueError(
            f"{name}: expected a whole number of at least {minimum}, not {count}"
        )
    return count


def check_text(name: str, value: object, what: str) -> str:
    """A non-empty string."""
    text = check_type(name, value, str, what)
    if not text:
        raise ArgumentValueError(f"{name}: expected {what}, not an empty string")
    return text


def check_path(name: str, value: object, what: str) -> Path:
    """A file system path (``str`` or ``os.PathLike``), not empty: an empty string would
    silently mean the current directory."""
    if not isinstance(value, str | os.PathLike):
        raise ArgumentTypeError(f"{name}: expected {what}, not {shown(value)}")
    if not os.fspath(value):
        raise ArgumentValueError(f"{name}: expected {what}, not an empty string")
    return Path(value)
