"""Wildcard globs, ARN matching and policy variables."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cksmodel.policy.patterns import (
    arn_match,
    compile_glob,
    substitute,
    substitute_literal,
    text_glob,
    variable_names,
)


def reference_match(pattern: str, subject: str, ignore_case: bool = False) -> bool:
    """fnmatch-style translation: ``*`` any run, ``?`` one character, the rest literal."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, subject, flags) is not None


# --------------------------------------------------------------------------- globs

GLOBS = [
    pytest.param("kms:Decrypt", "kms:Decrypt", False, True, id="exact"),
    pytest.param("kms:Decrypt", "kms:Decrypt2", False, False, id="exact-no-suffix"),
    pytest.param("kms:Decrypt", "xkms:Decrypt", False, False, id="exact-no-prefix"),
    pytest.param("kms:Decrypt", "kms:decrypt", False, False, id="case-sensitive-by-default"),
    pytest.param("kms:Decrypt", "KMS:DECRYPT", True, True, id="case-insensitive-when-asked"),
    pytest.param("KMS:generateDATAkey*", "kms:GenerateDataKeyPair", True, True,
                 id="case-insensitive-pattern-and-star"),
    pytest.param("", "", False, True, id="empty-matches-empty"),
    pytest.param("", "a", False, False, id="empty-matches-only-empty"),
    pytest.param("*", "", False, True, id="star-matches-empty"),
    pytest.param("*", "anything at all/with:separators", False, True, id="star-matches-all"),
    pytest.param("kms:*", "kms:", False, True, id="trailing-star-matches-empty-rest"),
    pytest.param("kms:*", "km", False, False, id="trailing-star-needs-prefix"),
    pytest.param("*Key", "GenerateDataKey", False, True, id="leading-star"),
    pytest.param("*Key", "GenerateDataKeys", False, False, id="leading-star-needs-suffix"),
    pytest.param("kms:Get?ublicKey", "kms:GetPublicKey", False, True, id="question-one-char"),
    pytest.param("kms:Get?ublicKey", "kms:GetublicKey", False, False, id="question-not-empty"),
    pytest.param("kms:Get?ublicKey", "kms:GetPPublicKey", False, False, id="question-not-two"),
    pytest.param("???", "abc", False, True, id="three-questions-three-chars"),
    pytest.param("???", "ab", False, False, id="three-questions-not-two"),
    pytest.param("?", "\n", False, True, id="question-matches-newline"),
    pytest.param("a*b*c", "a-b-c", False, True, id="two-stars"),
    pytest.param("a*b*c", "acb", False, False, id="two-stars-order-matters"),
    pytest.param("a**b", "ab", False, True, id="double-star-empty"),
    pytest.param("ab*ba", "aba", False, False, id="prefix-and-suffix-cannot-overlap"),
    pytest.param("ab*ba", "abba", False, True, id="prefix-and-suffix-adjacent"),
    pytest.param("a*a", "a", False, False, id="single-char-cannot-be-both-ends"),
    pytest.param("a*ab*b", "aabb", False, True, id="middle-segment-between-ends"),
    pytest.param("a*ab*b", "abb", False, False, id="middle-cannot-reuse-prefix"),
    pytest.param("*ab*ab*", "xabyab", False, True, id="repeated-middle-segments"),
    pytest.param("*ab*ab*", "xaby", False, False, id="repeated-middle-needs-two"),
    pytest.param("*aab", "aaab", False, True, id="leftmost-greedy-trap-suffix"),
    pytest.param("*a?c*", "aabc", False, True, id="question-in-middle-segment"),
    pytest.param("*a?c", "abcac", False, False, id="question-suffix-anchored"),
    pytest.param("a.b", "axb", False, False, id="dot-is-literal"),
    pytest.param("a[b]", "a[b]", False, True, id="brackets-are-literal"),
    pytest.param("a\\*", "a\\xyz", False, True, id="backslash-does-not-escape"),
    pytest.param("$^+(", "$^+(", False, True, id="regex-specials-are-literal"),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "subject", "ignore_case", "expected"), GLOBS)
def test_glob(pattern: str, subject: str, ignore_case: bool, expected: bool) -> None:
    assert compile_glob(pattern, ignore_case).match(subject) is expected
    assert reference_match(pattern, subject, ignore_case) is expected


@settings(max_examples=1000, deadline=None)
@given(
    pattern=st.text(alphabet="ab*?", max_size=8),
    subject=st.text(alphabet="ab", max_size=10),
)
def test_glob_agrees_with_regex_reference(pattern: str, subject: str) -> None:
    assert compile_glob(pattern).match(subject) is reference_match(pattern, subject)


@settings(max_examples=500, deadline=None)
@given(
    pattern=st.text(alphabet="aAbB*?", max_size=8),
    subject=st.text(alphabet="aAbB\n/:", max_size=10),
)
def test_case_insensitive_glob_agrees_with_regex_reference(pattern: str, subject: str) -> None:
    assert compile_glob(pattern, True).match(subject) is reference_match(pattern, subject, True)
    assert compile_glob(pattern).match(subject) is reference_match(pattern, subject)


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param("??", id="two-questions"),
        pytest.param("*??", id="star-then-two-questions"),
        pytest.param("??*", id="two-questions-then-star"),
        pytest.param("*?*?*", id="questions-between-stars"),
    ],
)
def test_case_folding_never_turns_one_character_into_two(pattern: str) -> None:
    # "\u0130" (I with dot above) lower-cases to two code points; it is still one
    # character, so no pattern that needs two characters may match it.
    assert compile_glob(pattern, True).match("\u0130") is False
    assert reference_match(pattern, "\u0130", True) is False


def test_pathological_pattern_completes_and_does_not_match() -> None:
    pattern = "a*" * 5000 + "b"
    assert compile_glob(pattern).match("a" * 10_000) is False
    assert compile_glob(pattern, True).match("A" * 10_000) is False
    assert arn_match("arn:aws:s3:::" + pattern, "arn:aws:s3:::" + "a" * 10_000) is False


def test_pathological_pattern_still_matches_when_it_should() -> None:
    pattern = "a*" * 5000 + "b"
    assert compile_glob(pattern).match("a" * 10_000 + "b") is True


# --------------------------------------------------------------------------- ARNs

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd"

ARNS = [
    pytest.param("*", KEY, True, id="star-matches-any-arn"),
    pytest.param("*", "not an arn", True, id="star-matches-non-arn"),
    pytest.param(KEY, KEY, True, id="exact"),
    pytest.param("ARN:AWS:KMS:US-EAST-1:111122223333:key/1234abcd", KEY, True,
                 id="prefix-components-case-insensitive-in-pattern"),
    pytest.param(KEY, "Arn:Aws:Kms:Us-East-1:111122223333:key/1234abcd", True,
                 id="prefix-components-case-insensitive-in-subject"),
    pytest.param("arn:aws:kms:us-east-1:111122223333:KEY/1234ABCD", KEY, False,
                 id="resource-part-case-sensitive"),
    pytest.param("arn:aws:kms:*:111122223333:key/*", KEY, True, id="star-region-star-key"),
    pytest.param("arn:aws:kms:us-east-?:111122223333:key/*", KEY, True, id="question-in-region"),
    pytest.param("arn:aws:kms:*:999999999999:key/*", KEY, False,
                 id="star-in-region-does-not-swallow-the-account"),
    pytest.param("arn:aws:kms:us-*:*:key/1234abcd", KEY, True, id="star-in-account"),
    pytest.param("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", True,
                 id="resource-star-crosses-slash-and-colon"),
    pytest.param("arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:role/p/q/r",
                 True, id="resource-star-crosses-path"),
    pytest.param("arn:aws:logs:us-east-1:111122223333:*",
                 "arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s", True,
                 id="resource-star-crosses-colons"),
    pytest.param("arn:aws:s3:::bucket/?", "arn:aws:s3:::bucket/ab", False,
                 id="resource-question-is-one-char"),
    pytest.param("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", False,
                 id="resource-exact-needs-whole-resource"),
    pytest.param("arn:aws:s3:*:*:bucket", "arn:aws:s3:::bucket", True,
                 id="star-matches-empty-component"),
    pytest.param(KEY, "arn:aws-cn:kms:us-east-1:111122223333:key/1234abcd", False,
                 id="partition-must-match"),
    pytest.param("arn:aws:kms:us-east-1:111122223333:key/*", "key/1234abcd", False,
                 id="arn-pattern-never-matches-non-arn"),
    pytest.param("key/*", "key/1234abcd", True, id="non-arn-pattern-is-plain-glob"),
    pytest.param("KEY/*", "key/1234abcd", False, id="non-arn-pattern-is-case-sensitive"),
    pytest.param("arn:aws:kms:*", KEY, True, id="short-pattern-is-a-glob-over-the-whole-arn"),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "subject", "expected"), ARNS)
def test_arn_match(pattern: str, subject: str, expected: bool) -> None:
    assert arn_match(pattern, subject) is expected


# --------------------------------------------------------------------------- variables

CONTEXT = dict[str, object](
    {
        "aws:username": "alice",
        "aws:principaltag/team": "red",
        "aws:securetransport": True,
        "kms:grantcount": 3,
        "aws:sourcevpce": ("vpce-1", "vpce-2"),
        "aws:userid": "AID*?X",
    }
).get

VARIABLES = [
    pytest.param("home/${aws:username}/*", "home/alice/x", True, id="substituted"),
    pytest.param("home/${aws:username}/*", "home/bob/x", False, id="substituted-value-compared"),
    pytest.param("home/${AWS:UserName}", "home/alice", True, id="variable-name-case-insensitive"),
    pytest.param("home/${ aws:username }", "home/alice", True, id="blanks-around-name"),
    pytest.param("${aws:username}${aws:username}", "alicealice", True, id="two-variables"),
    pytest.param("team/${aws:PrincipalTag/team, 'none'}", "team/red", True,
                 id="default-not-used-when-resolved"),
    pytest.param("team/${aws:PrincipalTag/dept, 'none'}", "team/none", True,
                 id="default-used-when-unresolved"),
    pytest.param("team/${aws:PrincipalTag/dept,'none'}", "team/none", True,
                 id="default-without-blank"),
    pytest.param("team/${aws:PrincipalTag/dept, ''}", "team/", True, id="empty-default"),
    pytest.param("team/${aws:PrincipalTag/dept}", "team/", False, id="unresolved-never-matches"),
    pytest.param("team/${aws:PrincipalTag/dept}*", "team/anything", False,
                 id="unresolved-never-matches-even-with-star"),
    pytest.param("${aws:SourceVpce}", "vpce-1", False, id="multivalued-key-is-unresolved"),
    pytest.param("flag/${aws:SecureTransport}", "flag/true", True, id="boolean-as-text"),
    pytest.param("n/${kms:GrantCount}", "n/3", True, id="number-as-text"),
    pytest.param("a${*}b", "a*b", True, id="escaped-star-is-literal"),
    pytest.param("a${*}b", "axb", False, id="escaped-star-is-not-a-wildcard"),
    pytest.param("a${?}b", "a?b", True, id="escaped-question-is-literal"),
    pytest.param("a${?}b", "axb", False, id="escaped-question-is-not-a-wildcard"),
    pytest.param("a${$}b", "a$b", True, id="escaped-dollar-is-literal"),
    pytest.param("id/${aws:userid}", "id/AID*?X", True, id="value-with-wildcards-matches-itself"),
    pytest.param("id/${aws:userid}", "id/AIDxyzX", False, id="star-in-value-is-not-a-wildcard"),
    pytest.param("id/${aws:userid}", "id/AIDyX", False, id="question-in-value-is-not-a-wildcard"),
    pytest.param("home/${aws:username}/?", "home/alice/x", True, id="written-question-still-wild"),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "subject", "expected"), VARIABLES)
def test_variables_in_globs(pattern: str, subject: str, expected: bool) -> None:
    glob = text_glob(pattern, CONTEXT)
    assert (glob is not None and glob.match(subject)) is expected


@pytest.mark.parametrize(("pattern", "subject", "expected"), VARIABLES)
def test_variables_in_arn_resource_part(pattern: str, subject: str, expected: bool) -> None:
    prefix = "arn:aws:s3:::"
    assert arn_match(prefix + pattern, prefix + subject, CONTEXT) is expected


def test_unresolved_variable_substitutes_to_none() -> None:
    assert substitute("a/${aws:PrincipalTag/dept}", CONTEXT) is None
    assert text_glob("a/${aws:PrincipalTag/dept}", CONTEXT) is None
    assert substitute_literal("a/${aws:PrincipalTag/dept}", CONTEXT) is None


def test_without_lookup_variables_are_literal_text() -> None:
    # Version 2008-10-17: no substitution; "${aws:username}" is just characters
    assert text_glob("home/${aws:username}", None).match("home/${aws:username}")  # type: ignore[union-attr]
    assert not text_glob("home/${aws:username}", None).match("home/alice")  # type: ignore[union-attr]
    assert arn_match("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/${aws:username}")
    assert not arn_match("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/alice")


def test_variables_only_in_the_resource_part_of_an_arn() -> None:
    assert arn_match("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/alice", CONTEXT)
    assert not arn_match("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::B/alice", CONTEXT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("${aws:username}-${*}", "alice-*", id="variable-and-escape"),
        pytest.param("${aws:userid}", "AID*?X", id="value-unchanged"),
        pytest.param("${aws:PrincipalTag/dept, 'x'}/*", "x/*", id="default-and-literal-star"),
        pytest.param("no variables *?", "no variables *?", id="plain-text-unchanged"),
    ],
)
def test_substitute_literal(text: str, expected: str) -> None:
    assert substitute_literal(text, CONTEXT) == expected


def test_variable_names() -> None:
    names = variable_names("${aws:username}/${ aws:PrincipalTag/team , 'd'}/${*}${?}${$}")
    assert names == ["aws:username", "aws:PrincipalTag/team"]
