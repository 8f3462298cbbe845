"""Where things come from: positions in source texts, and reading input files safely."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """A region of a source text; lines and columns are 1-based."""

    source: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """A place that explains a result: the invariant in its spec, or a policy statement."""

    role: str
    """``spec`` for the invariant itself, ``policy`` for a statement responsible."""
    span: Span
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.span.source,
            "line": self.span.line,
            "column": self.span.column,
            "description": self.description,
        }


class NotRegularFileError(OSError):
    """An input path names a FIFO, device, socket or directory instead of a regular file."""


def read_regular_file(path: Path, *, limit: int) -> bytes:
    """The bytes of a regular file, at most ``limit + 1`` of them (callers report the size).

    The file is opened without blocking and checked before it is read, so a FIFO, a device or
    a socket is refused at once instead of hanging or streaming forever. Failures are
    :class:`OSError` (with ``strerror`` set), for the caller to word as its input error.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise NotRegularFileError(errno.EINVAL, f"{kind}, not a regular file", str(path))
        return handle.read(limit + 1)


_FILE_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
