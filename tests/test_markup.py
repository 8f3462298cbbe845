"""Jupyter rich display (``_repr_html_``, built with ``cksmodel.markup``): tables and badges.

Every object is built through the public API (a simulated scenario, symbolic
questions, a proof of a small spec against the broken example bundle). Each
rendering must be well-formed, self-contained markup in which every value from
a policy, a request or a spec is escaped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import cksmodel
from cksmodel.account.bundle import load_bundle
from cksmodel.concrete.decision import Decision
from cksmodel.invariants.prove import prove
from cksmodel.invariants.results import InvariantResult, ProveReport
from cksmodel.invariants.spec import parse_spec
from cksmodel.markup import Html, badge, table
from cksmodel.policy.ir import PolicySet, PolicyType
from cksmodel.policy.parse import load_policy
from cksmodel.symbolic.query import Answer, Comparison, Relation, Verdict, compare, implies


def html(obj: Any) -> str:
    """What a notebook shows for a result."""
    out: str = obj._repr_html_()
    return out


REPO = Path(__file__).resolve().parent.parent
BROKEN = "examples/cks-account-broken"
ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
OBJECT = "arn:aws:s3:::example-bucket/reports/q1.csv"
V2012 = "2012-10-17"
SCRIPT = '<script>alert("a&b")</script>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;a&amp;b&quot;)&lt;/script&gt;"

GREEN, RED, AMBER, GREY, BLUE = "#1a7f37", "#cf222e", "#e3a008", "#6e7781", "#0969da"

SAFE_TAGS = {
    "div", "span", "strong", "code", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th",
    "td", "details", "summary",
}  # fmt: skip
VOID_TAGS = {"br", "hr", "img", "input", "link", "meta", "wbr", "col", "area", "base", "source"}

Json = dict[str, Any]


# --------------------------------------------------------------------------- markup checks


class _Tags(HTMLParser):
    """Every tag and attribute, and whether start and end tags balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(fragment: str) -> ET.Element:
    """The fragment as a tree, after checking it is balanced, safe, self-contained markup."""
    tags = _Tags()
    tags.feed(fragment)
    tags.close()
    assert tags.errors == [] and tags.stack == [], (tags.errors, tags.stack)
    assert tags.tags <= SAFE_TAGS, tags.tags - SAFE_TAGS
    assert tags.attributes <= {"style", "open"}, tags.attributes
    return ET.fromstring(f"<root>{fragment}</root>")


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def badges(root: ET.Element) -> list[tuple[str, str]]:
    """(word, background colour) of every badge, in document order."""
    found = []
    for span in root.iter("span"):
        colour = re.search(r"background:(#[0-9a-f]{6})", span.get("style", ""))
        if colour:
            found.append((text_of(span).split()[-1], colour.group(1)))
    return found


def rows(root: ET.Element) -> list[list[str]]:
    """The text of each body row of every table."""
    return [
        [text_of(td) for td in tr.iter("td")] for tr in root.iter("tr") if tr.find("td") is not None
    ]


# --------------------------------------------------------------------------- objects


def doc(*statements: Json) -> Json:
    return {"Version": V2012, "Statement": list(statements)}


def allow(action: str, resource: str = "*", **extra: Any) -> Json:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*", **extra: Any) -> Json:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def identity(*statements: Json) -> PolicySet:
    return PolicySet(
        identity=(load_policy(doc(*statements), policy_type=PolicyType.IDENTITY, name="iam"),)
    )


TAGGED = allow(
    "s3:PutObject", Sid="Tagged", Condition={"StringEquals": {"aws:PrincipalTag/team": SCRIPT}}
)
"""Allowed only to callers tagged with markup: every counterexample carries the tag."""
READ = allow("s3:GetObject", Sid="Read")


def scenario(*statements: Json, context: Json | None = None) -> Json:
    return {
        "request": {
            "principal": ALICE,
            "action": "s3:GetObject",
            "resource": OBJECT,
            "context": context or {},
        },
        "identity_policies": [doc(*statements)],
    }


def simulate_file(tmp_path: Path, body: Json) -> Decision:
    """Simulate a scenario file, so every matched statement has a position."""
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return cksmodel.simulate(path)


@pytest.fixture(scope="module")
def only_tagged() -> Answer:
    """REFUTED: a tagged caller may decrypt under ``TAGGED`` but not under ``READ``."""
    return implies(identity(TAGGED), identity(READ))


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare(identity(TAGGED, READ), identity(READ))


MINI_SPEC = """\
invariant slr_trust "Only <AWS KMS> & \\"friends\\" assume the service-linked role":
  forall principal p:
    can(p, "sts:AssumeRole", role "AWSServiceRoleForKeyManagementServiceCustomKeyStores")
      implies p == service "cks.kms.amazonaws.com"

invariant trivially_true "Truth holds":
  true
"""


@pytest.fixture(scope="module")
def report() -> Iterator[ProveReport]:
    """slr_trust is REFUTED on the broken bundle; the trivial invariant is PROVED."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        spec = parse_spec(MINI_SPEC, "mini.spec")
        yield prove([spec], load_bundle(Path(BROKEN)))


def result(report: ProveReport, name: str) -> InvariantResult:
    (found,) = [r for r in report.results if r.name == name]
    return found


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("word", "colour"),
    [
        ("PROVED", GREEN),
        ("allowed", GREEN),
        ("Allow", GREEN),
        ("equivalent", GREEN),
        ("REFUTED", RED),
        ("explicitDeny", RED),
        ("Deny", RED),
        ("UNKNOWN", AMBER),
        ("implicitDeny", GREY),
        ("more-permissive", BLUE),
        ("incomparable", BLUE),
        ("some other word", GREY),
    ],
)
def test_badge_colours_each_word_by_its_meaning(word: str, colour: str) -> None:
    root = parse(badge(word))
    (span,) = root.iter("span")
    assert f"background:{colour}" in span.get("style", "")
    assert text_of(span).endswith(word)


def test_badge_escapes_its_word() -> None:
    out = badge(SCRIPT)
    assert "<script" not in out and ESCAPED_SCRIPT in out
    parse(out)


def test_table_escapes_plain_cells_and_keeps_html_cells() -> None:
    out = table(["<h>", "verdict"], [[SCRIPT, badge("PROVED")], [None, 3]])
    root = parse(out)
    assert "<script" not in out
    assert [text_of(th) for th in root.iter("th")] == ["<h>", "verdict"]
    assert rows(root) == [[SCRIPT, "\u2713 PROVED"], ["\u2014", "3"]]
    assert badges(root) == [("PROVED", GREEN)]
    assert isinstance(out, Html)


# --------------------------------------------------------------------------- decisions


@pytest.mark.parametrize(
    ("statements", "word", "colour"),
    [
        ((allow("s3:GetObject"),), "allowed", GREEN),
        ((allow("s3:GetObject"), deny("s3:*")), "explicitDeny", RED),
        ((allow("s3:PutObject"),), "implicitDeny", GREY),
    ],
    ids=["allowed-green", "explicit-deny-red", "implicit-deny-grey"],
)
def test_decision_badge_shows_the_decision_word_in_its_colour(
    tmp_path: Path, statements: tuple[Json, ...], word: str, colour: str
) -> None:
    d = simulate_file(tmp_path, scenario(*statements))
    assert d.decision == word
    root = parse(html(d))
    assert badges(root)[0] == (word, colour)


def test_every_matched_statement_shows_policy_index_sid_and_position(tmp_path: Path) -> None:
    d = simulate_file(
        tmp_path,
        scenario(allow("s3:GetObject", Sid="Read"), allow("s3:Get*", Sid="ReadAll")),
    )
    assert len(d.matched_statements) == 2
    table_rows = rows(parse(html(d)))
    for m in d.matched_statements:
        assert m.span is not None
        where = f"{m.span.source}:{m.span.line}:{m.span.column}"
        assert [m.policy_name, m.policy_type, str(m.statement_index), m.sid] in [
            r[:4] for r in table_rows
        ]
        assert [m.sid, where] in [[r[3], r[5]] for r in table_rows]


TAG_X = {"StringEquals": {"aws:PrincipalTag/x": "y"}}


@pytest.mark.parametrize(
    ("statements", "blocked_by", "reason", "missing"),
    [
        (
            (allow("s3:GetObject"), deny("s3:*", Condition={"Bool": {"aws:ViaAWSService": "0"}})),
            None,
            "an identity-based policy allows",
            "aws:ViaAWSService",
        ),
        (
            (allow("s3:GetObject"), deny("s3:*")),
            "identity",
            "explicit deny in identity_policies[0] statement 1",
            None,
        ),
        (
            (allow("s3:GetObject", Condition=TAG_X),),
            "identity",
            "no identity-based policy allows the request",
            "aws:PrincipalTag/x",
        ),
    ],
    ids=["allowed-missing-key", "explicit-deny", "implicit-deny-missing-key"],
)
def test_decision_shows_what_blocked_it_the_reasons_and_missing_keys(
    tmp_path: Path,
    statements: tuple[Json, ...],
    blocked_by: str | None,
    reason: str,
    missing: str | None,
) -> None:
    d = simulate_file(tmp_path, scenario(*statements))
    assert (d.blocked_by, d.missing_context_keys) == (blocked_by, (missing,) if missing else ())
    root = parse(html(d))
    lines = [text_of(div) for div in root.iter("div")]
    assert ("blocked by identity" in lines) is (blocked_by is not None)
    assert [text_of(li) for li in root.iter("li")] == [reason]
    assert (f"missing context keys: {missing}" in lines) is (missing is not None)


def with_bucket_policy(statement: Json) -> Json:
    """The scenario with ``statement`` in a bucket policy naming alice: IAM accepts only
    letters and digits in an identity policy's Sid, a bucket policy's Sid may hold markup."""
    body = scenario(allow("s3:GetObject", Sid="Read"))
    body["request"]["resource_account"] = ACCOUNT
    body["resource_policy"] = doc({**statement, "Principal": {"AWS": ALICE}})
    return body


@pytest.mark.parametrize(
    "body",
    [
        with_bucket_policy(allow("s3:GetObject", OBJECT, Sid=SCRIPT)),
        with_bucket_policy(deny("s3:GetObject", OBJECT, Sid=SCRIPT)),
    ],
    ids=["sid-of-an-allow", "sid-of-a-deny"],
)
def test_markup_in_a_sid_is_escaped(tmp_path: Path, body: Json) -> None:
    out = html(simulate_file(tmp_path, body))
    assert "<script" not in out
    assert ESCAPED_SCRIPT in out
    assert SCRIPT in text_of(parse(out))


def test_a_position_in_an_inline_scenario_is_escaped() -> None:
    d = cksmodel.simulate(json.dumps(scenario(allow("s3:GetObject", Sid="Inline"))))
    (m,) = d.matched_statements
    assert m.span is not None and m.span.source == "<scenario>"
    out = html(d)
    assert "<scenario>" not in out
    assert f"&lt;scenario&gt;:{m.span.line}:{m.span.column}" in out


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("ask", "verdict", "colour"),
    [
        (lambda: implies(identity(TAGGED), identity(TAGGED)), Verdict.PROVED, GREEN),
        (lambda: implies(identity(TAGGED), identity(READ)), Verdict.REFUTED, RED),
        (lambda: implies(identity(TAGGED), identity(READ), timeout=1e-6), Verdict.UNKNOWN, AMBER),
    ],
    ids=["proved-green", "refuted-red", "unknown-amber"],
)
def test_answer_badge_shows_the_verdict_in_its_colour(
    ask: Callable[[], Answer], verdict: Verdict, colour: str
) -> None:
    answer = ask()
    assert answer.verdict is verdict
    root = parse(html(answer))
    assert badges(root)[0] == (verdict.value, colour)
    if answer.reason:
        assert answer.reason in text_of(root)


def test_a_counterexample_is_a_request_table_with_each_side_decision(only_tagged: Answer) -> None:
    (example,) = only_tagged.counterexamples
    request = example.to_json()["request"]
    for out in (html(example), html(only_tagged)):
        root = parse(out)
        table_rows = rows(root)
        assert ["principal", request["principal"]] in table_rows
        assert ["action", "s3:PutObject"] in table_rows
        assert ["resource", request["resource"]] in table_rows
        assert ["context aws:PrincipalTag/team", SCRIPT] in table_rows
        assert ["decision of a", "\u2713 allowed"] in table_rows
        assert ["decision of b", "\u2205 implicitDeny"] in table_rows
        assert ("allowed", GREEN) in badges(root)
        assert ("implicitDeny", GREY) in badges(root)


def test_markup_in_a_context_value_is_escaped(only_tagged: Answer) -> None:
    (example,) = only_tagged.counterexamples
    assert example.request.context["aws:principaltag/team"] == SCRIPT
    for out in (html(example), html(only_tagged)):
        assert "<script" not in out
        assert ESCAPED_SCRIPT in out


def test_comparison_shows_the_relation_and_a_witness_per_direction(
    comparison: Comparison,
) -> None:
    assert comparison.relation is Relation.MORE_PERMISSIVE
    root = parse(html(comparison))
    found = badges(root)
    assert found[0] == ("more-permissive", BLUE)
    assert ("REFUTED", RED) in found and ("PROVED", GREEN) in found
    text = text_of(root)
    assert "Allowed only by a" in text and "Allowed only by b" in text
    (example,) = comparison.only_a.counterexamples
    assert ["action", example.request.action] in rows(root)
    assert "<script" not in html(comparison)


# --------------------------------------------------------------------------- proofs


def test_report_summary_counts_each_verdict_and_names_account_and_specs(
    report: ProveReport,
) -> None:
    root = parse(html(report))
    summary = text_of(root.find("div/div"))  # type: ignore[arg-type]
    assert "\u2713 PROVED 1" in summary
    assert "\u2717 REFUTED 1" in summary
    assert "? UNKNOWN 0" in summary
    text = text_of(root)
    assert BROKEN in text and "mini.spec" in text


def test_report_table_lists_every_invariant_with_its_badge(report: ProveReport) -> None:
    root = parse(html(report))
    invariant_rows = [r for r in rows(root) if r[0] in {"slr_trust", "trivially_true"}]
    assert [(r[0], r[2]) for r in invariant_rows] == [
        ("slr_trust", "\u2717 REFUTED"),
        ("trivially_true", "\u2713 PROVED"),
    ]
    assert invariant_rows[0][1] == 'Only <AWS KMS> & "friends" assume the service-linked role'
    assert all(re.fullmatch(r"\d+\.\d\d s", r[3]) for r in invariant_rows)


def test_a_refuted_invariant_has_details_with_its_counterexample_and_locations(
    report: ProveReport,
) -> None:
    refuted = result(report, "slr_trust")
    assert refuted.verdict is Verdict.REFUTED
    root = parse(html(report))
    (details,) = root.iter("details")
    assert "slr_trust" in text_of(details.find("summary"))  # type: ignore[arg-type]
    action = refuted.counterexamples[0]["request"]["action"]
    assert ["action", action] in rows(details)
    assert ["decision", "\u2713 allowed"] in rows(details)
    positions = [r[2] for r in rows(details) if len(r) == 3]
    for loc in refuted.locations:
        assert f"{loc.span.source}:{loc.span.line}:{loc.span.column}" in positions
    assert "mini.spec:1:1" in positions


def test_report_escapes_markup_in_a_title(report: ProveReport) -> None:
    out = html(report)
    assert "<AWS KMS>" not in out
    assert "Only &lt;AWS KMS&gt; &amp; &quot;friends&quot;" in out


@pytest.mark.parametrize(
    ("name", "details"),
    [("slr_trust", True), ("trivially_true", False)],
    ids=["refuted-has-open-details", "proved-has-none"],
)
def test_an_invariant_alone_shows_details_only_when_refuted(
    report: ProveReport, name: str, details: bool
) -> None:
    r = result(report, name)
    root = parse(html(r))
    found = list(root.iter("details"))
    assert len(found) == (1 if details else 0)
    if details:
        assert found[0].get("open") == "open"
    assert badges(root)[0][0] == r.verdict.value


# --------------------------------------------------------------------------- notebooks


def test_every_result_type_renders_itself_in_a_notebook(
    tmp_path: Path, only_tagged: Answer, comparison: Comparison, report: ProveReport
) -> None:
    decision = simulate_file(tmp_path, scenario(allow("s3:GetObject")))
    objects: list[Any] = [
        decision,
        only_tagged,
        only_tagged.counterexamples[0],
        comparison,
        report.results[0],
        report,
    ]
    for obj in objects:
        out = obj._repr_html_()
        assert isinstance(out, str) and out.startswith("<div")
        parse(out)
