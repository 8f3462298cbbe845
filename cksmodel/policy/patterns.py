"""Wildcard patterns, policy variables and ARN matching.

Globs are matched segment by segment (split at ``*``), leftmost first, which
is exact for ``*``/``?`` globs and linear in the subject for each segment, so
a pathological pattern such as ``a*a*a*…b`` cannot make matching explode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

STAR = "\x00*"
QMARK = "\x00?"
"""Wildcard markers inside a part list; literal text never contains NUL."""

ContextValue = str | bool | int | float | Sequence[str]
Lookup = Callable[[str], ContextValue | None]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")


@dataclass(frozen=True, slots=True)
class _Segment:
    """A run of the pattern without ``*``: literal text and ``?`` positions."""

    text: str
    regex: re.Pattern[str] | None

    @property
    def size(self) -> int:
        return len(self.text)

    def at(self, s: str, pos: int) -> bool:
        if self.regex is None:
            return s.startswith(self.text, pos)
        return self.regex.match(s, pos) is not None

    def find(self, s: str, start: int, end: int) -> int:
        if self.regex is None:
            return s.find(self.text, start, end)
        found = self.regex.search(s, start, end)
        return -1 if found is None else found.start()


class Glob:
    """A compiled ``*``/``?`` pattern; ``match`` is specialised to the pattern's shape."""

    __slots__ = ("ignore_case", "match", "text")

    def __init__(self, segments: tuple[_Segment, ...], ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        self.text = "*".join(seg.text for seg in segments)
        self.match: Callable[[str], bool] = _matcher(segments, ignore_case)


def _fold(s: str) -> str:
    """Lower-case without changing the length (``İ`` lower-cases to two characters)."""
    if s.isascii():
        return s.lower()
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in s)


def _matcher(segments: tuple[_Segment, ...], ignore_case: bool) -> Callable[[str], bool]:
    first, last = segments[0], segments[-1]
    plain = all(seg.regex is None for seg in segments)
    fold: Callable[[str], str] = _fold if ignore_case else str
    if len(segments) == 1:
        if plain:
            return lambda s: fold(s) == first.text
        return lambda s: len(s) == first.size and first.at(fold(s), 0)
    if len(segments) == 2 and plain:
        if not first.text and not last.text:
            return lambda s: True
        if not last.text:
            return lambda s: fold(s).startswith(first.text)
        if not first.text:
            return lambda s: fold(s).endswith(last.text)
    middle = segments[1:-1]
    floor = first.size + last.size

    def general(subject: str) -> bool:
        s = fold(subject)
        if len(s) < floor or not first.at(s, 0):
            return False
        end = len(s) - last.size
        if not last.at(s, end):
            return False
        pos = first.size
        for seg in middle:
            found = seg.find(s, pos, end)
            if found < 0:
                return False
            pos = found + seg.size
        return True

    return general


def _segment(parts: Sequence[str], ignore_case: bool) -> _Segment:
    if QMARK not in parts:
        text = "".join(parts)
        return _Segment(_fold(text) if ignore_case else text, None)
    text = "".join("?" if p == QMARK else p for p in parts)
    body = "".join("." if p == QMARK else re.escape(_fold(p) if ignore_case else p) for p in parts)
    return _Segment(_fold(text) if ignore_case else text, re.compile(body, re.DOTALL))


def glob_from_parts(parts: Sequence[str], *, ignore_case: bool) -> Glob:
    """Compile a part list (literal strings and the STAR/QMARK markers)."""
    segments: list[_Segment] = []
    current: list[str] = []
    for part in parts:
        if part == STAR:
            segments.append(_segment(current, ignore_case))
            current = []
        elif part == QMARK:
            current.append(QMARK)
        else:
            current.extend(part)
    segments.append(_segment(current, ignore_case))
    return Glob(tuple(segments), ignore_case)


def wildcard_parts(text: str) -> list[str]:
    """Split plain text into literal characters and wildcard markers."""
    return [STAR if ch == "*" else QMARK if ch == "?" else ch for ch in text]


@lru_cache(maxsize=65536)
def compile_glob(pattern: str, ignore_case: bool = False) -> Glob:
    """Compile a pattern where every ``*`` and ``?`` is a wildcard."""
    return glob_from_parts(wildcard_parts(pattern), ignore_case=ignore_case)


def has_variables(text: str) -> bool:
    return "${" in text


def _lookup_text(lookup: Lookup, body: str) -> str | None:
    """Resolve the inside of ``${…}`` to text, or ``None`` when unresolved."""
    if body in ("*", "?", "$"):
        return body
    key, default = body.strip(), None
    with_default = _DEFAULT.match(body)
    if with_default is not None:
        key, default = with_default.group(1), with_default.group(2)
    value = lookup(key.lower())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return default


def substitute(text: str, lookup: Lookup) -> list[str] | None:
    """Expand policy variables into a part list; ``None`` if any is unresolved.

    Substituted values and the escapes ``${*}``, ``${?}``, ``${$}`` are literal;
    only ``*`` and ``?`` written in the policy itself are wildcards.
    """
    parts: list[str] = []
    pos = 0
    for found in _VARIABLE.finditer(text):
        parts.extend(wildcard_parts(text[pos : found.start()]))
        value = _lookup_text(lookup, found.group(1))
        if value is None:
            return None
        parts.extend(value)
        pos = found.end()
    parts.extend(wildcard_parts(text[pos:]))
    return parts


def substitute_literal(text: str, lookup: Lookup) -> str | None:
    """Expand policy variables where ``*`` and ``?`` have no special meaning."""
    out: list[str] = []
    pos = 0
    for found in _VARIABLE.finditer(text):
        out.append(text[pos : found.start()])
        value = _lookup_text(lookup, found.group(1))
        if value is None:
            return None
        out.append(value)
        pos = found.end()
    out.append(text[pos:])
    return "".join(out)


def variable_names(text: str) -> list[str]:
    """The condition keys a text refers to through policy variables."""
    names = []
    for found in _VARIABLE.finditer(text):
        body = found.group(1)
        if body in ("*", "?", "$"):
            continue
        with_default = _DEFAULT.match(body)
        names.append(with_default.group(1) if with_default else body.strip())
    return names


def without_variables(text: str) -> str:
    """The text with every ``${…}`` removed (what stays literal or wildcard whatever the
    variables expand to)."""
    return _VARIABLE.sub("", text)


def required_variables(text: str) -> list[str]:
    """The condition keys (lower case) a text needs to expand: variables without a default."""
    return [
        found.group(1).strip().lower()
        for found in _VARIABLE.finditer(text)
        if found.group(1) not in ("*", "?", "$") and _DEFAULT.match(found.group(1)) is None
    ]


def text_glob(pattern: str, lookup: Lookup | None, *, ignore_case: bool = False) -> Glob | None:
    """A glob for a pattern, expanding variables when ``lookup`` is given."""
    if lookup is None or not has_variables(pattern):
        return compile_glob(pattern, ignore_case)
    parts = substitute(pattern, lookup)
    return None if parts is None else glob_from_parts(parts, ignore_case=ignore_case)


def split_arn(text: str) -> tuple[str, ...] | None:
    """The six components of an ARN, or ``None`` if the text is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0].lower() != "arn":
        return None
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class _ArnPattern:
    """An ARN pattern: a lower-case literal prefix when the first five parts have
    no wildcard (the common case), else one glob per part; then the resource part."""

    prefix: str | None
    heads: tuple[Glob, ...]
    resource: Glob
    resource_text: str


@lru_cache(maxsize=65536)
def _arn_pattern(pattern: str) -> _ArnPattern | None:
    parts = split_arn(pattern)
    if parts is None:
        return None
    heads = parts[:5]
    literal = not any("*" in h or "?" in h for h in heads)
    return _ArnPattern(
        prefix=_fold(":".join(heads)) + ":" if literal else None,
        heads=tuple(compile_glob(h, True) for h in heads),
        resource=compile_glob(parts[5], False),
        resource_text=parts[5],
    )


@lru_cache(maxsize=4096)
def _arn_subject(subject: str) -> tuple[tuple[str, ...], str] | None:
    parts = split_arn(subject)
    if parts is None:
        return None
    return parts, _fold(":".join(parts[:5])) + ":"


def arn_match(pattern: str, subject: str, lookup: Lookup | None = None) -> bool:
    """Match an ARN pattern: components apart, the resource part case-sensitively.

    ``*`` in the resource part crosses ``/`` and ``:``; policy variables are
    expanded in the resource part only. A pattern that is not a six-part ARN is
    matched as a plain case-sensitive glob against the whole subject.
    """
    if pattern == "*":
        return True
    compiled = _arn_pattern(pattern)
    split = _arn_subject(subject)
    if compiled is None or split is None:
        whole = text_glob(pattern, lookup)
        return whole is not None and whole.match(subject)
    parts, prefix = split
    if compiled.prefix is not None:
        if compiled.prefix != prefix:
            return False
    elif not all(g.match(v) for g, v in zip(compiled.heads, parts, strict=False)):
        return False
    if lookup is not None and has_variables(compiled.resource_text):
        resource_glob = text_glob(compiled.resource_text, lookup)
        return resource_glob is not None and resource_glob.match(parts[5])
    return compiled.resource.match(parts[5])


def names_whole_service(pattern: str, action: str) -> bool:
    """Whether a Resource ARN names every resource of the action's service.

    An action without a resource type is requested on ``*``, and such a
    pattern covers it as ``"*"`` does: the IAM User Guide (Resource element)
    says those actions "apply to all resources in that service", and the S3
    User Guide's user-policy walkthrough grants ``s3:ListAllMyBuckets`` on
    ``arn:aws:s3:::*``. The pattern's service must match the action's, its
    region and account must be empty or ``*``, and its resource part only
    ``*``; a policy variable anywhere disqualifies it.
    """
    parts = split_arn(pattern)
    if parts is None or has_variables(pattern):
        return False
    region, account, resource = parts[3], parts[4], parts[5]
    return (
        bool(resource)
        and not resource.strip("*")
        and not region.strip("*")
        and not account.strip("*")
        and compile_glob(parts[2], True).match(action.partition(":")[0].lower())
    )
