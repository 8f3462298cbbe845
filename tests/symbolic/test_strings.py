"""The string pattern language of the symbolic engine (``cksmodel.symbolic.strings``).

``matches`` must agree with the concrete matchers (``compile_glob``,
``arn_match``) that the evaluator uses; ``witness``, ``conflict_core`` and
``relation`` are checked against brute-force enumeration over the alphabet
that the patterns mention plus one character they do not (every unmentioned
character behaves the same, so such enumeration is exact up to its length).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cksmodel.policy.patterns import arn_match, compile_glob
from cksmodel.symbolic.strings import (
    Pattern,
    arn,
    conflict_core,
    glob,
    literal,
    matches,
    relation,
    relevant_negatives,
    witness,
)

# --------------------------------------------------------------------------- helpers


def reference_glob(pattern: str, subject: str, ignore_case: bool = False) -> bool:
    """A third, independent glob matcher: ``re`` over an ASCII-only alphabet."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, subject, flags) is not None


def alphabet_of(patterns: Sequence[Pattern], fresh: str = "z") -> list[str]:
    """Every character a pattern mentions, plus one it does not."""
    chars: set[str] = set()
    for p in patterns:
        for tok in p.tokens:
            chars |= {c for c in tok.cls.chars if len(c) == 1}
    assert fresh not in chars
    return [*sorted(chars), fresh]


def strings_upto(alphabet: Sequence[str], n: int) -> Iterator[str]:
    for size in range(n + 1):
        for chars in itertools.product(alphabet, repeat=size):
            yield "".join(chars)


def brute_witnesses(
    positive: Sequence[Pattern], negative: Sequence[Pattern], n: int
) -> Iterator[str]:
    alphabet = alphabet_of([*positive, *negative])
    for s in strings_upto(alphabet, n):
        if all(matches(p, s) for p in positive) and not any(matches(q, s) for q in negative):
            yield s


def is_witness(s: str, positive: Sequence[Pattern], negative: Sequence[Pattern]) -> bool:
    return all(matches(p, s) for p in positive) and not any(matches(q, s) for q in negative)


# --------------------------------------------------------------------------- matches vs globs

GLOBS = [
    pytest.param("kms:Decrypt", False, "kms:Decrypt", True, id="literal-matches-itself"),
    pytest.param("kms:Decrypt", False, "kms:decrypt", False, id="case-sensitive-rejects-case"),
    pytest.param("kms:Decrypt", True, "KMS:DECRYPT", True, id="ignore-case-accepts-case"),
    pytest.param("kms:Decrypt", False, "kms:Decrypt2", False, id="no-extra-suffix"),
    pytest.param("kms:*", True, "kms:", True, id="star-matches-empty-rest"),
    pytest.param("kms:*", True, "km", False, id="star-needs-prefix"),
    pytest.param("*", False, "", True, id="star-matches-empty"),
    pytest.param("*", False, "a/b:c", True, id="star-crosses-separators"),
    pytest.param("", False, "", True, id="empty-matches-empty"),
    pytest.param("", False, "a", False, id="empty-rejects-nonempty"),
    pytest.param("?", False, "", False, id="question-needs-one-char"),
    pytest.param("?", False, "\n", True, id="question-matches-newline"),
    pytest.param("??", False, "abc", False, id="two-questions-reject-three"),
    pytest.param("a*b*c", False, "a-b-c", True, id="two-stars"),
    pytest.param("a*b*c", False, "acb", False, id="stars-keep-order"),
    pytest.param("ab*ba", False, "aba", False, id="ends-cannot-overlap"),
    pytest.param("ab*ba", False, "abba", True, id="ends-adjacent"),
    pytest.param("a*ab*b", False, "aabb", True, id="middle-segment"),
    pytest.param("kms:GenerateDataKey*", True, "kms:generatedatakeypair", True, id="ci-star"),
    pytest.param("kms:Get?ublicKey", True, "KMS:GETPUBLICKEY", True, id="ci-question"),
    pytest.param("ä*", True, "Äx", True, id="ci-non-ascii-letter"),
    # A pattern without wildcards matches its own text, case-insensitively too.
    pytest.param("İ", True, "İ", True, id="ci-dotted-capital-i-matches-itself"),
    pytest.param("ǅ", True, "ǅ", True, id="ci-titlecase-dz-matches-itself"),
]


@pytest.mark.parametrize(("pattern", "ignore_case", "subject", "expected"), GLOBS)
def test_glob_table(pattern: str, ignore_case: bool, subject: str, expected: bool) -> None:
    assert matches(glob(pattern, ignore_case=ignore_case), subject) is expected
    assert compile_glob(pattern, ignore_case).match(subject) is expected


AGREEMENT = [
    # The evaluator folds the subject; the symbolic pattern must treat it the same way.
    pytest.param("k", True, "\u212a", id="kelvin-sign-subject-agrees"),
    pytest.param("\u212a", True, "K", id="kelvin-sign-pattern-agrees"),
    pytest.param("s", True, "\u017f", id="long-s-subject-agrees"),
]


@pytest.mark.parametrize(("pattern", "ignore_case", "subject"), AGREEMENT)
def test_glob_agrees_with_evaluator_on_unicode_case(
    pattern: str, ignore_case: bool, subject: str
) -> None:
    assert matches(glob(pattern, ignore_case=ignore_case), subject) == compile_glob(
        pattern, ignore_case
    ).match(subject)


LITERALS = [
    pytest.param("a*b", False, "a*b", True, id="star-is-literal"),
    pytest.param("a*b", False, "axb", False, id="star-is-not-wildcard"),
    pytest.param("a?b", False, "a?b", True, id="question-is-literal"),
    pytest.param("Team", True, "tEAM", True, id="ci-literal"),
    pytest.param("Team", False, "team", False, id="cs-literal"),
    pytest.param("", False, "", True, id="empty-literal"),
]


@pytest.mark.parametrize(("text", "ignore_case", "subject", "expected"), LITERALS)
def test_literal_table(text: str, ignore_case: bool, subject: str, expected: bool) -> None:
    pattern = literal(text, ignore_case=ignore_case)
    assert matches(pattern, subject) is expected
    if not ignore_case:
        assert pattern.only_string == text


KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

ARNS = [
    pytest.param("*", "anything", True, id="star-matches-non-arn"),
    pytest.param(KEY, KEY, True, id="exact-key"),
    pytest.param("arn:aws:kms:us-east-1:111122223333:key/*", KEY, True, id="key-star"),
    pytest.param("ARN:AWS:KMS:US-EAST-1:111122223333:key/*", KEY, True, id="heads-ignore-case"),
    pytest.param(
        "arn:aws:kms:us-east-1:111122223333:KEY/*", KEY, False, id="resource-case-matters"
    ),
    pytest.param("arn:aws:kms:*:111122223333:key/*", KEY, True, id="region-star"),
    pytest.param("arn:aws:kms:us-*-1:*:key/*", KEY, True, id="partial-region-star"),
    pytest.param("arn:aws:kms:*:*:*", KEY, True, id="resource-star-crosses-slash"),
    pytest.param(
        "arn:aws:*:*:*:*", "arn:aws:s3:::bucket/a:b", True, id="resource-star-crosses-colon"
    ),
    pytest.param("arn:aws:kms:*", KEY, True, id="short-pattern-is-plain-glob-star-crosses-all"),
    pytest.param("arn:aws:KMS:*", KEY, False, id="short-pattern-is-case-sensitive-glob"),
    pytest.param(
        "arn:*:kms:*:*:key/*",
        "arn:aws:kms:us-east-1:111122223333:alias/x",
        False,
        id="alias-is-not-key",
    ),
    pytest.param("arn:aws:k?s:us-east-1:111122223333:key/*", KEY, True, id="question-in-head"),
    pytest.param(
        "arn:aws:kms:us-east-1:11112222?3333:key/*",
        KEY,
        False,
        id="question-needs-a-char-in-account",
    ),
    pytest.param(
        "arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/a/b", True, id="role-with-path"
    ),
    pytest.param(
        "arn:aws:iam::*:role/?",
        "arn:aws:iam::111122223333:role/a/b",
        False,
        id="question-one-resource-char",
    ),
    pytest.param("arn:aws:s3:::b", "arn:aws:s3:::b:c", False, id="no-trailing-resource-part"),
    pytest.param("arn:aws:s3:::b*", "ARN:aws:s3:::bx", True, id="subject-arn-prefix-any-case"),
    pytest.param("not-an-arn*", "not-an-arn:x", True, id="non-arn-pattern-glob"),
    pytest.param(
        "arn:aws:kms:*:*:key/*",
        "arn:aws:kms:a:b:c:key/x",
        False,
        id="head-star-does-not-cross-colon",
    ),
]


@pytest.mark.parametrize(("pattern", "subject", "expected"), ARNS)
def test_arn_table(pattern: str, subject: str, expected: bool) -> None:
    assert matches(arn(pattern), subject) is expected
    assert arn_match(pattern, subject) is expected


# --------------------------------------------------------------------------- matches: properties

GLOB_TEXT = st.text(alphabet="abA*?", max_size=6)
SUBJECT = st.text(alphabet="abAB", max_size=6)


@settings(max_examples=400, deadline=None)
@given(pattern=GLOB_TEXT, subject=SUBJECT, ignore_case=st.booleans())
def test_glob_agrees_with_compile_glob(pattern: str, subject: str, ignore_case: bool) -> None:
    expected = reference_glob(pattern, subject, ignore_case)
    assert matches(glob(pattern, ignore_case=ignore_case), subject) is expected
    assert compile_glob(pattern, ignore_case).match(subject) is expected


ARN_PART = st.text(alphabet="aA*?", max_size=3)
ARN_RESOURCE = st.text(alphabet="aA/:*?", max_size=5)
SUBJECT_PART = st.text(alphabet="aA", max_size=2)
SUBJECT_RESOURCE = st.text(alphabet="aA/:", max_size=5)


@st.composite
def arn_texts(draw: st.DrawFn, part: st.SearchStrategy[str], res: st.SearchStrategy[str]) -> str:
    head = draw(st.sampled_from(["arn", "ARN", "arn", "a*"]))
    parts = [draw(part) for _ in range(4)]
    if draw(st.integers(0, 9)) == 0:
        parts = parts[:3]  # too few components: not an ARN, matched as a plain glob
    return ":".join([head, *parts, draw(res)])


@settings(max_examples=400, deadline=None)
@given(
    pattern=arn_texts(ARN_PART, ARN_RESOURCE) | st.just("*"),
    subject=arn_texts(SUBJECT_PART, SUBJECT_RESOURCE),
)
def test_arn_agrees_with_arn_match(pattern: str, subject: str) -> None:
    assert matches(arn(pattern), subject) == arn_match(pattern, subject)


# --------------------------------------------------------------------------- witness

WITNESS_CASES = [
    pytest.param([glob("a*")], [glob("a")], True, id="a-star-but-not-a"),
    pytest.param([glob("a*"), glob("*b")], [], True, id="prefix-and-suffix"),
    pytest.param([glob("a*")], [glob("*")], False, id="star-negative-excludes-all"),
    pytest.param([glob("a?")], [glob("a*")], False, id="contained-positive-is-excluded"),
    pytest.param([literal("x")], [literal("y")], True, id="distinct-literals"),
    pytest.param([literal("x"), literal("y")], [], False, id="two-literals-disjoint"),
    pytest.param([], [], True, id="no-constraint-empty-string"),
    pytest.param([glob("??")], [glob("a*"), glob("*a")], True, id="two-chars-no-a-ends"),
    pytest.param(
        [arn("arn:aws:kms:*:*:key/*")],
        [arn("arn:aws:kms:us-east-1:*:key/*")],
        True,
        id="key-in-another-region",
    ),
    pytest.param(
        [arn("arn:aws:kms:*:*:key/*")], [arn("arn:*:kms:*:*:*")], False, id="key-within-any-kms"
    ),
    pytest.param(
        [glob("A", ignore_case=True)],
        [literal("a"), literal("A")],
        False,
        id="ci-letter-both-cases-excluded",
    ),
]


@pytest.mark.parametrize(("positive", "negative", "possible"), WITNESS_CASES)
def test_witness_table(positive: list[Pattern], negative: list[Pattern], possible: bool) -> None:
    found = witness(positive, negative)
    assert (found is not None) is possible
    if found is not None:
        assert is_witness(found, positive, negative)


def test_witness_is_shortest() -> None:
    found = witness([glob("a*"), glob("*b")], [glob("ab")])
    assert found is not None and len(found) == 3


SMALL_GLOB = st.text(alphabet="ab*?", max_size=3)


@st.composite
def small_patterns(draw: st.DrawFn) -> Pattern:
    text = draw(SMALL_GLOB)
    kind = draw(st.sampled_from(["glob", "glob-ci", "literal"]))
    if kind == "literal":
        return literal(text.replace("*", "").replace("?", ""))
    return glob(text, ignore_case=kind == "glob-ci")


@settings(max_examples=250, deadline=None)
@given(
    positive=st.lists(small_patterns(), max_size=3),
    negative=st.lists(small_patterns(), max_size=3),
)
def test_witness_agrees_with_brute_force(positive: list[Pattern], negative: list[Pattern]) -> None:
    found = witness(positive, negative)
    brute = next(brute_witnesses(positive, negative, 4), None)
    if found is not None:
        assert is_witness(found, positive, negative), found
    if brute is not None:
        assert found is not None, f"witness says none, but {brute!r} qualifies"
        assert len(found) == len(brute), "witness must be a shortest string"
    else:
        # Nothing up to length 4: a witness, if any, must be longer (and genuine).
        assert found is None or len(found) > 4


def test_witness_search_limit_is_reported() -> None:
    from cksmodel.symbolic.strings import SearchLimit

    many = [glob("*" + "?" * i + "a") for i in range(12)]
    with pytest.raises(SearchLimit):
        witness(many, [glob("*b*")], limit=10)


@settings(max_examples=200, deadline=None)
@given(
    positive=st.lists(small_patterns(), min_size=1, max_size=3),
    negative=st.lists(small_patterns(), max_size=4),
)
def test_dropped_negatives_are_disjoint_from_a_positive(
    positive: list[Pattern], negative: list[Pattern]
) -> None:
    kept = relevant_negatives(positive, negative)
    for q in negative:
        if q in kept:
            continue
        assert any(next(brute_witnesses([p, q], [], 4), None) is None for p in positive), q


# --------------------------------------------------------------------------- conflict_core

CORE_CASES = [
    pytest.param([glob("a*"), glob("b*"), glob("*c")], [glob("zz")], id="disjoint-prefixes"),
    pytest.param([glob("*")], [glob("x"), glob("*"), glob("y")], id="star-negative"),
    pytest.param([literal("x"), glob("?")], [glob("?"), literal("q")], id="literal-vs-question"),
    pytest.param(
        [arn("arn:aws:kms:*:*:key/*"), glob("*a")], [arn("arn:*:kms:*:*:*")], id="arn-containment"
    ),
]


def _is_sub_sequence(small: Sequence[Pattern], big: Sequence[Pattern]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@pytest.mark.parametrize(("positive", "negative"), CORE_CASES)
def test_conflict_core_table(positive: list[Pattern], negative: list[Pattern]) -> None:
    assert witness(positive, negative) is None
    core_pos, core_neg = conflict_core(positive, negative)
    assert _is_sub_sequence(core_pos, positive) and _is_sub_sequence(core_neg, negative)
    assert witness(core_pos, core_neg) is None
    assert len(core_pos) + len(core_neg) < len(positive) + len(negative)


@settings(max_examples=200, deadline=None)
@given(
    positive=st.lists(small_patterns(), max_size=4),
    negative=st.lists(small_patterns(), max_size=4),
)
def test_conflict_core_is_unsatisfiable_subset(
    positive: list[Pattern], negative: list[Pattern]
) -> None:
    if witness(positive, negative) is not None:
        return
    core_pos, core_neg = conflict_core(positive, negative)
    assert _is_sub_sequence(core_pos, positive)
    assert _is_sub_sequence(core_neg, negative)
    assert witness(core_pos, core_neg) is None
    assert next(brute_witnesses(core_pos, core_neg, 4), None) is None


# --------------------------------------------------------------------------- relation

RELATIONS = [
    pytest.param(glob("a*"), glob("b*"), (True, False, False), id="disjoint-prefixes"),
    pytest.param(glob("ab*"), glob("a*"), (False, True, False), id="narrow-within-wide"),
    pytest.param(glob("a*"), glob("ab*"), (False, False, True), id="wide-contains-narrow"),
    pytest.param(glob("a*"), glob("*b"), (False, False, False), id="overlapping"),
    pytest.param(glob("a?"), glob("a?"), (False, True, True), id="same-pattern"),
    pytest.param(literal("ab"), glob("a*"), (False, True, False), id="literal-within-glob"),
    pytest.param(glob("a*"), literal("ab"), (False, False, True), id="glob-contains-literal"),
    pytest.param(literal("ab"), glob("b*"), (True, False, False), id="literal-outside-glob"),
    pytest.param(literal("a"), glob("a"), (False, True, True), id="literal-equals-glob"),
    pytest.param(
        arn("arn:aws:kms:*:*:key/*"),
        arn("arn:*:kms:*:*:*"),
        (False, True, False),
        id="key-arns-within-kms-arns",
    ),
    pytest.param(
        arn("arn:aws:kms:*:*:key/*"),
        arn("arn:aws:kms:*:*:alias/*"),
        (True, False, False),
        id="keys-and-aliases-disjoint",
    ),
    pytest.param(
        literal("a", ignore_case=True),
        literal("a"),
        (False, False, True),
        id="ci-literal-contains-cs-literal",
    ),
]


@pytest.mark.parametrize(("p", "q", "expected"), RELATIONS)
def test_relation_table(p: Pattern, q: Pattern, expected: tuple[bool, bool, bool]) -> None:
    assert relation(p, q) == expected


@st.composite
def case_sensitive_patterns(draw: st.DrawFn) -> Pattern:
    text = draw(SMALL_GLOB)
    if draw(st.booleans()):
        return literal(text.replace("*", "").replace("?", ""))
    return glob(text)


@settings(max_examples=250, deadline=None)
@given(p=case_sensitive_patterns(), q=case_sensitive_patterns())
def test_relation_agrees_with_brute_force(p: Pattern, q: Pattern) -> None:
    disjoint, p_in_q, q_in_p = relation(p, q)
    # Patterns of at most three tokens: a common string, or one in p but not q, if any
    # exists, has at most |p| + |q| + 1 characters.
    alphabet = alphabet_of([p, q])
    both = p_only = q_only = False
    for s in strings_upto(alphabet, 7):
        mp, mq = matches(p, s), matches(q, s)
        both |= mp and mq
        p_only |= mp and not mq
        q_only |= mq and not mp
    assert disjoint is not both
    assert p_in_q is not p_only
    assert q_in_p is not q_only
