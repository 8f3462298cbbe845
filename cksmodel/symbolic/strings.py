"""A small regular pattern language for string dimensions, and witness search.

Globs, ARN patterns (components matched apart, heads case-insensitively) and
principal-identity patterns all compile to token sequences over character
classes. :func:`witness` finds the shortest string that matches every pattern
of one set and none of another, by breadth-first search over the product of
the patterns' state sets (bit masks), or proves there is none. This settles
the string side of a symbolic query without Z3's string theory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from cksmodel.policy.patterns import QMARK, STAR, split_arn, wildcard_parts


@dataclass(frozen=True, slots=True)
class CharClass:
    """A set of characters: ``chars``, or every character but ``chars`` when negated."""

    chars: frozenset[str]
    negated: bool = False

    def has(self, ch: str) -> bool:
        return (ch in self.chars) != self.negated


ANY = CharClass(frozenset(), negated=True)
NOT_COLON = CharClass(frozenset(":"), negated=True)
NOT_SLASH = CharClass(frozenset("/"), negated=True)


@dataclass(frozen=True, slots=True)
class Token:
    """One character of a class, or (``star``) any run of them.

    ``leaps`` are extra moves: reading character ``c`` may consume ``n`` tokens at
    once (a character whose case folding is several characters, like ``ß`` for
    ``ss``).
    """

    cls: CharClass
    star: bool = False
    leaps: frozenset[tuple[str, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern; ``text`` is for people (and for hashing)."""

    text: str
    tokens: tuple[Token, ...]

    def __hash__(self) -> int:
        return hash(self.text)

    def __str__(self) -> str:
        return self.text

    @property
    def only_string(self) -> str | None:
        """The one string this pattern matches, if it matches exactly one."""
        chars: list[str] = []
        for tok in self.tokens:
            if tok.star or tok.cls.negated or len(tok.cls.chars) != 1 or tok.leaps:
                return None
            chars.extend(tok.cls.chars)
        return "".join(chars)


def fold(ch: str) -> str:
    """Per-character lower-casing as the evaluator's case-insensitive globs do it."""
    low = ch.lower()
    return low if len(low) == 1 else ch


@lru_cache(maxsize=2)
def _fold_tables(
    full: bool,
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Inverse images of :func:`fold` and of ``str.casefold`` (single and multi-character).

    Only the Basic Multilingual Plane can fold to ASCII, so ``full`` (every code
    point) is needed only for non-ASCII pattern characters.
    """
    lower: dict[str, set[str]] = {}
    case1: dict[str, set[str]] = {}
    multi: dict[str, set[str]] = {}
    for cp in range(0x110000 if full else 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        low = fold(c)
        if low != c:
            lower.setdefault(low, set()).add(c)
        folded = c.casefold()
        if folded != c:
            (case1 if len(folded) == 1 else multi).setdefault(folded, set()).add(c)
    return _frozen(lower), _frozen(case1), _frozen(multi)


def _frozen(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in table.items()}


def _tables(
    text: str,
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    return _fold_tables(not text.isascii())


@lru_cache(maxsize=4096)
def _lit(ch: str, ignore_case: bool) -> Token:
    if not ignore_case:
        return Token(CharClass(frozenset({ch})))
    lower, _, _ = _tables(ch)
    target = fold(ch)
    return Token(CharClass(lower.get(target, frozenset()) | {ch, target}))


def casefold_literal(text: str) -> Pattern:
    """Every string whose ``casefold()`` equals that of ``text`` (StringEqualsIgnoreCase)."""
    folded = text.casefold()
    _, single, multi = _tables(folded)
    tokens: list[Token] = []
    for i, ch in enumerate(folded):
        leaps = frozenset(
            (c, len(image))
            for image, chars in multi.items()
            if folded.startswith(image, i)
            for c in chars
        )
        own = {ch} if ch.casefold() == ch else set()
        tokens.append(Token(CharClass(single.get(ch, frozenset()) | own), leaps=leaps))
    return Pattern("casefold:" + text, tuple(tokens))


def _glob_tokens(parts: Iterable[str], ignore_case: bool, within: CharClass) -> list[Token]:
    out: list[Token] = []
    for part in parts:
        if part == STAR:
            out.append(Token(within, star=True))
        elif part == QMARK:
            out.append(Token(within))
        else:
            out.append(_lit(part, ignore_case))
    return out


def literal(text: str, *, ignore_case: bool = False) -> Pattern:
    """Exactly ``text``."""
    tag = "ci:" if ignore_case else "eq:"
    return Pattern(tag + text, tuple(_lit(ch, ignore_case) for ch in text))


@lru_cache(maxsize=8192)
def glob(text: str, *, ignore_case: bool = False) -> Pattern:
    """An IAM glob: ``*`` any run, ``?`` any one character."""
    tag = "glob-ci:" if ignore_case else "glob:"
    return Pattern(tag + text, tuple(_glob_tokens(wildcard_parts(text), ignore_case, ANY)))


@lru_cache(maxsize=8192)
def arn(text: str) -> Pattern:
    """An ARN pattern with the semantics of :func:`cksmodel.policy.patterns.arn_match`."""
    if text == "*":
        return Pattern("arn:*", (Token(ANY, star=True),))
    parts = split_arn(text)
    if parts is None:
        return Pattern("arn-glob:" + text, glob(text).tokens)
    tokens: list[Token] = []
    for head in parts[:5]:
        tokens.extend(_glob_tokens(wildcard_parts(head), True, NOT_COLON))
        tokens.append(_lit(":", False))
    tokens.extend(_glob_tokens(wildcard_parts(parts[5]), False, ANY))
    return Pattern("arn:" + text, tuple(tokens))


def concat(text: str, *pieces: Sequence[Token] | Pattern) -> Pattern:
    """Join token runs (or patterns) into one pattern named ``text``."""
    tokens: list[Token] = []
    for piece in pieces:
        tokens.extend(piece.tokens if isinstance(piece, Pattern) else piece)
    return Pattern(text, tuple(tokens))


def lit_tokens(text: str, *, ignore_case: bool = False) -> list[Token]:
    return [_lit(ch, ignore_case) for ch in text]


def star(cls: CharClass = ANY) -> list[Token]:
    return [Token(cls, star=True)]


class _Compiled:
    """Bit-parallel NFA simulation of one pattern: bit ``i`` means "before token ``i``"."""

    __slots__ = ("accept", "closure", "leaps", "masks", "star_bits", "start", "tokens")

    def __init__(self, pattern: Pattern) -> None:
        self.tokens = pattern.tokens
        n = len(self.tokens)
        self.accept = 1 << n
        # closure[i]: states reachable from i through star tokens (which may match nothing).
        closure = [0] * (n + 1)
        for i in range(n, -1, -1):
            closure[i] = 1 << i
            if i < n and self.tokens[i].star:
                closure[i] |= closure[i + 1]
        self.closure = closure
        self.start = closure[0]
        self.star_bits = sum(1 << i for i, tok in enumerate(self.tokens) if tok.star)
        self.leaps = any(tok.leaps for tok in self.tokens)
        self.masks: dict[str, tuple[int, int]] = {}

    def _masks(self, ch: str) -> tuple[int, int]:
        """(single tokens accepting ``ch``, star tokens accepting ``ch``) as bit masks."""
        found = self.masks.get(ch)
        if found is None:
            one = star = 0
            for i, tok in enumerate(self.tokens):
                if tok.cls.has(ch):
                    if tok.star:
                        star |= 1 << i
                    else:
                        one |= 1 << i
            found = self.masks[ch] = (one, star)
        return found

    def step(self, states: int, ch: str) -> int:
        one, star = self._masks(ch)
        moved = ((states & one) << 1) | (states & star)
        if self.leaps:
            for i, tok in enumerate(self.tokens):
                if states >> i & 1:
                    for c, n in tok.leaps:
                        if c == ch:
                            moved |= 1 << (i + n)
        # Close under "a star may match nothing": from a star token, move past it.
        while True:
            grown = moved | ((moved & self.star_bits) << 1)
            if grown == moved:
                return moved
            moved = grown


@lru_cache(maxsize=8192)
def _compiled(pattern: Pattern) -> _Compiled:
    return _Compiled(pattern)


def matches(pattern: Pattern, text: str) -> bool:
    """Concrete membership, for replay checks and tests."""
    c = _compiled(pattern)
    states = c.start
    for ch in text:
        states = c.step(states, ch)
        if not states:
            return False
    return bool(states & c.accept)


_PREFERRED = "abcdefghijklmnopqrstuvwxyz0123456789-_./:ABCDEFGHIJKLMNOPQRSTUVWXYZ@"


def _alphabet(patterns: Sequence[Pattern]) -> list[str]:
    """One representative per behaviour: every mentioned character, plus one unmentioned."""
    mentioned: set[str] = set()
    for p in patterns:
        for tok in p.tokens:
            mentioned |= tok.cls.chars
            mentioned |= {c for c, _ in tok.leaps}
    fresh = next((ch for ch in _PREFERRED if ch not in mentioned), None)
    if fresh is None:
        fresh = next(chr(c) for c in range(0x100, 0x10000) if chr(c) not in mentioned)
    ordered = sorted(mentioned, key=lambda ch: (_PREFERRED.find(ch) % 1000, ch))
    return [fresh, *ordered]


class SearchLimit(Exception):
    """The witness search visited more states than allowed."""


def witness(
    positive: Sequence[Pattern], negative: Sequence[Pattern] = (), *, limit: int = 200_000
) -> str | None:
    """The shortest string in every positive pattern and in no negative one, or ``None``.

    Raises :class:`SearchLimit` when more than ``limit`` product states are visited.
    """
    for p in positive:
        text = p.only_string
        if text is not None:
            fits = all(matches(q, text) for q in positive) and not any(
                matches(q, text) for q in negative
            )
            return text if fits else None
    negative = relevant_negatives(positive, negative)
    pos = [_compiled(p) for p in positive]
    neg = [_compiled(p) for p in negative]
    alphabet = _alphabet([*positive, *negative])
    start = (tuple(c.start for c in pos), tuple(c.start for c in neg))

    def accepting(state: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
        ps, ns = state
        return all(s & c.accept for s, c in zip(ps, pos, strict=True)) and not any(
            s & c.accept for s, c in zip(ns, neg, strict=True)
        )

    if accepting(start):
        return ""
    parent: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[object, str]] = {start: (None, "")}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        ps, ns = state
        for ch in alphabet:
            nps = tuple(c.step(s, ch) for s, c in zip(ps, pos, strict=True))
            if not all(nps):
                continue
            nxt = (nps, tuple(c.step(s, ch) for s, c in zip(ns, neg, strict=True)))
            if nxt in parent:
                continue
            parent[nxt] = (state, ch)
            if accepting(nxt):
                chars = []
                cur: object = nxt
                while cur is not None:
                    prev, ch2 = parent[cur]  # type: ignore[index]
                    chars.append(ch2)
                    cur = prev
                return "".join(reversed(chars))
            if len(parent) > limit:
                raise SearchLimit(f"more than {limit:,} states")
            queue.append(nxt)
    return None


def _classes_meet(a: CharClass, b: CharClass) -> bool:
    if a.negated and b.negated:
        return True
    if a.negated:
        return bool(b.chars - a.chars)
    if b.negated:
        return bool(a.chars - b.chars)
    return bool(a.chars & b.chars)


def _fixed_ends_clash(p: Pattern, q: Pattern) -> bool:
    """Do the patterns' fixed first (or last) characters rule out any common string?"""
    for order in (1, -1):
        for x, y in zip(p.tokens[::order], q.tokens[::order], strict=False):
            if x.star or y.star or x.leaps or y.leaps:
                break
            if not _classes_meet(x.cls, y.cls):
                return True
    return False


def _cheaply_disjoint(p: Pattern, q: Pattern) -> bool:
    """Disjointness that fixed ends or a one-string pattern show without any search."""
    if _fixed_ends_clash(p, q):
        return True
    for a, b in ((p, q), (q, p)):
        text = a.only_string
        if text is not None:
            return not matches(b, text)
    return False


def relevant_negatives(positive: Sequence[Pattern], negative: Sequence[Pattern]) -> list[Pattern]:
    """The negative patterns that a string matching every positive one could match at all:
    one disjoint from some positive pattern is avoided anyway."""
    if not positive:
        return list(negative)
    return [q for q in negative if not any(_cheaply_disjoint(p, q) for p in positive)]


@lru_cache(maxsize=65536)
def relation(p: Pattern, q: Pattern) -> tuple[bool, bool, bool]:
    """(disjoint, p within q, q within p), each ``False`` when undecided within the limit."""
    if _fixed_ends_clash(p, q):
        return (True, False, False)
    for a, b, flip in ((p, q, False), (q, p, True)):
        text = a.only_string
        if text is not None:
            inside = matches(b, text)
            if flip:
                return (not inside, inside and b.only_string == text, inside)
            return (not inside, inside, inside and b.only_string == text)
    try:
        if witness([p, q], limit=2_000) is None:
            return (True, False, False)
        return (
            False,
            witness([p], [q], limit=2_000) is None,
            witness([q], [p], limit=2_000) is None,
        )
    except SearchLimit:
        return (False, False, False)


def conflict_core(
    positive: Sequence[Pattern],
    negative: Sequence[Pattern],
    *,
    limit: int = 200_000,
    deadline: float | None = None,
) -> tuple[list[Pattern], list[Pattern]]:
    """A small subset of an unsatisfiable (positive, negative) choice, still unsatisfiable.

    Past ``deadline`` (a ``time.monotonic()`` value) it stops shrinking: any superset of a
    core is a core too.
    """
    import time

    pos, neg = list(positive), relevant_negatives(positive, negative)
    for i, p in enumerate(pos):
        for q in pos[i + 1 :]:
            if _cheaply_disjoint(p, q):
                return [p, q], []
    for p in pos:
        for q in neg:
            if relation(p, q)[1]:
                return [p], [q]
    for bucket in (neg, pos):
        i = 0
        while i < len(bucket):
            if deadline is not None and time.monotonic() > deadline:
                return pos, neg
            trial = bucket[:i] + bucket[i + 1 :]
            trial_pos, trial_neg = (pos, trial) if bucket is neg else (trial, neg)
            if witness(trial_pos, trial_neg, limit=limit) is None:
                bucket[:] = trial
            else:
                i += 1
    return pos, neg
