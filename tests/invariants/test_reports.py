"""SARIF, JUnit and text renderings of a ProveReport (cksmodel.invariants.reports).

SARIF is validated against the official SARIF 2.1.0 JSON schema and JUnit XML
against Jenkins' junit-10.xsd, both vendored under tests/data/sarif/ (see the
README there for where they come from).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cksmodel
from cksmodel.invariants.reports import (
    FINGERPRINT_KEY,
    SARIF_SCHEMA_URI,
    fingerprint,
    sarif_json,
    summarize_counterexample,
    to_junit,
    to_sarif,
    to_text,
)
from cksmodel.invariants.results import InvariantResult, ProveReport
from cksmodel.policy.catalog import get_catalog
from cksmodel.source import Location, Span
from cksmodel.symbolic.query import Verdict

DATA = Path(__file__).resolve().parents[1] / "data" / "sarif"
SPEC = "specs/cks.spec"
KEY_POLICY = "examples/broken/key-policy.json"
ROLE_POLICY = "examples/broken/iam/store-manager.json"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MANAGER = "arn:aws:iam::111122223333:role/store-manager"


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def schema_errors(log: dict[str, Any]) -> list[str]:
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def counterexample(principal: str, action: str, **context: Any) -> dict[str, Any]:
    return {
        "request": {
            "principal": principal,
            "action": action,
            "resource": KEY_ARN,
            "context": context,
        },
        "decisions": {"policy": "allowed"},
    }


CE1 = counterexample(MANAGER, "kms:Decrypt", **{"aws:SourceIp": "203.0.113.7"})
CE2 = counterexample(MANAGER, "kms:ReEncryptFrom")

PROVED = InvariantResult(
    name="slr-trust-only-cks",
    title="Only cks.kms.amazonaws.com can assume the custom key store service-linked role",
    verdict=Verdict.PROVED,
    reason="no request satisfies the negation",
    time_s=0.0123,
    locations=(Location(role="spec", span=Span(source=SPEC, line=3, column=1)),),
)
REFUTED = InvariantResult(
    name="store-manager-no-crypto",
    title="The store manager cannot use keys for cryptography",
    verdict=Verdict.REFUTED,
    reason="the key policy allows kms:* to the account",
    time_s=1.23456,
    counterexamples=(CE1, CE2),
    locations=(
        Location(
            role="policy",
            span=Span(source=KEY_POLICY, line=7, column=5),
            description="Sid 'EnableIAM' allows kms:* to arn:aws:iam::111122223333:root",
        ),
        Location(
            role="spec",
            span=Span(source=SPEC, line=12, column=3, end_line=14, end_column=4),
        ),
        Location(
            role="policy",
            span=Span(source=ROLE_POLICY, line=4, column=7),
            description="statement 0 allows kms:*",
        ),
    ),
)
UNKNOWN = InvariantResult(
    name="key-user-least-privilege",
    title="Key users hold only cryptographic permissions",
    verdict=Verdict.UNKNOWN,
    reason="solver timeout after 30 s",
    time_s=30.0,
    locations=(Location(role="spec", span=Span(source=SPEC, line=20, column=1)),),
)
WARNING = "grant 'g-1' names key 'abcd' that is not in the bundle"
REPORT = ProveReport(
    results=(PROVED, REFUTED, UNKNOWN),
    account="bundles/prod",
    account_id="111122223333",
    specs=(SPEC,),
    warnings=(WARNING,),
)


URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~/?#\[\]@!$&'()*+,;=:]|%[0-9A-F]{2})*")


def artifact_uris(log: dict[str, Any]) -> list[str]:
    uris = []
    for result in log["runs"][0]["results"]:
        for loc in result["locations"] + result.get("relatedLocations", []):
            uris.append(loc["physicalLocation"]["artifactLocation"]["uri"])
    return uris


def assert_uri_references(log: dict[str, Any]) -> None:
    """jsonschema checks format "uri-reference" only with an extra package: check it here."""
    for uri in artifact_uris(log):
        assert URI_REFERENCE.fullmatch(uri), uri
        assert ":" not in uri.split("/")[0], uri  # a first segment with ":" reads as a scheme


def results_by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


# --------------------------------------------------------------------------- #
# SARIF


@pytest.mark.parametrize("include_proved", [True, False])
def test_sarif_is_valid_against_the_official_schema(include_proved: bool) -> None:
    log = to_sarif(REPORT, include_proved=include_proved)
    assert schema_errors(log) == []
    # what is written to disk is valid too (the same dict, through JSON)
    assert schema_errors(json.loads(sarif_json(REPORT, include_proved=include_proved))) == []


def test_the_schema_check_is_not_vacuous() -> None:
    log = to_sarif(REPORT)
    assert schema_errors(log) == []
    for key, bad in [("level", "fatal"), ("kind", "unknown"), ("ruleIndex", -2)]:
        broken = json.loads(json.dumps(log))
        broken["runs"][0]["results"][0][key] = bad
        assert schema_errors(broken), key
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["message"]
    assert schema_errors(broken)
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert schema_errors(broken)
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"] = "a string"
    assert schema_errors(broken)


def test_sarif_does_not_share_the_report_data() -> None:
    log = to_sarif(REPORT)
    results_by_rule(log)[REFUTED.name]["properties"]["counterexamples"][0]["request"].clear()
    assert CE1["request"]["principal"] == MANAGER


def test_sarif_log_run_and_tool() -> None:
    log = to_sarif(REPORT)
    assert log["$schema"] == SARIF_SCHEMA_URI == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cksmodel"
    assert driver["version"] == cksmodel.__version__
    assert "informationUri" not in driver
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolExecutionNotifications": [{"level": "warning", "message": {"text": WARNING}}],
        }
    ]
    assert run["properties"] == {
        "account": "bundles/prod",
        "accountId": "111122223333",
        "bundledExample": False,
        "specs": [SPEC],
        "warnings": [WARNING],
        "catalog": get_catalog().to_json(),
    }


def test_sarif_rules_one_per_invariant() -> None:
    rules = to_sarif(REPORT)["runs"][0]["tool"]["driver"]["rules"]
    assert rules == [
        {
            "id": r.name,
            "name": r.name,
            "shortDescription": {"text": r.title},
            "defaultConfiguration": {"level": "error"},
        }
        for r in (PROVED, REFUTED, UNKNOWN)
    ]


def test_sarif_kind_and_level_per_verdict() -> None:
    results = results_by_rule(to_sarif(REPORT))
    assert (results[REFUTED.name]["kind"], results[REFUTED.name]["level"]) == ("fail", "error")
    assert (results[UNKNOWN.name]["kind"], results[UNKNOWN.name]["level"]) == ("fail", "warning")
    assert (results[PROVED.name]["kind"], results[PROVED.name]["level"]) == ("pass", "none")
    assert [r["properties"]["verdict"] for r in results.values()] == [
        "PROVED",
        "REFUTED",
        "UNKNOWN",
    ]


def test_sarif_kind_and_level_obey_section_3_27_10() -> None:
    """A result whose kind is not "fail" SHALL have level "none" (not in the schema)."""
    for result in to_sarif(REPORT)["runs"][0]["results"]:
        if result.get("kind", "fail") != "fail":
            assert result.get("level", "none") == "none", result["ruleId"]


def test_sarif_rule_index_points_at_the_rule() -> None:
    for include_proved in (True, False):
        log = to_sarif(REPORT, include_proved=include_proved)
        rules = log["runs"][0]["tool"]["driver"]["rules"]
        for result in log["runs"][0]["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_without_proved_results_keeps_their_rules() -> None:
    log = to_sarif(REPORT, include_proved=False)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == [REFUTED.name, UNKNOWN.name]
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 3


def test_sarif_refuted_result_in_full() -> None:
    result = results_by_rule(to_sarif(REPORT))[REFUTED.name]
    assert result["ruleIndex"] == 1
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": SPEC},
                "region": {"startLine": 12, "startColumn": 3, "endLine": 14, "endColumn": 4},
            }
        }
    ]
    assert result["relatedLocations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": KEY_POLICY},
                "region": {"startLine": 7, "startColumn": 5},
            },
            "message": {"text": REFUTED.locations[0].description},
        },
        {
            "physicalLocation": {
                "artifactLocation": {"uri": ROLE_POLICY},
                "region": {"startLine": 4, "startColumn": 7},
            },
            "message": {"text": "statement 0 allows kms:*"},
        },
    ]
    assert result["message"]["text"] == (
        "REFUTED: The store manager cannot use keys for cryptography. "
        "the key policy allows kms:* to the account. "
        f"Counterexample 1 of 2: {MANAGER} kms:Decrypt on {KEY_ARN} "
        "with aws:SourceIp=203.0.113.7 (policy: allowed)"
    )
    assert result["properties"] == {
        "verdict": "REFUTED",
        "reason": REFUTED.reason,
        "time_s": 1.235,
        "counterexamples": [CE1, CE2],
    }
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: fingerprint(REFUTED)}


def test_sarif_unknown_and_proved_messages() -> None:
    results = results_by_rule(to_sarif(REPORT))
    assert results[UNKNOWN.name]["message"]["text"] == (
        "UNKNOWN: Key users hold only cryptographic permissions. solver timeout after 30 s."
    )
    assert results[PROVED.name]["message"]["text"].startswith("PROVED: Only cks.kms")
    assert "relatedLocations" not in results[PROVED.name]
    assert results[UNKNOWN.name]["properties"]["counterexamples"] == []


def test_sarif_every_result_has_a_location() -> None:
    """GitHub code scanning refuses a whole log if one result has no location."""
    bare = dataclasses.replace(UNKNOWN, locations=())
    report = dataclasses.replace(REPORT, results=(bare,))
    result = to_sarif(report)["runs"][0]["results"][0]
    assert result["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": SPEC}}}]
    assert schema_errors(to_sarif(report)) == []


def test_sarif_related_locations_are_unique() -> None:
    policy = REFUTED.locations[2]
    twice = dataclasses.replace(REFUTED, locations=(*REFUTED.locations, policy))
    log = to_sarif(dataclasses.replace(REPORT, results=(twice,)))
    assert len(log["runs"][0]["results"][0]["relatedLocations"]) == 2
    assert schema_errors(log) == []


def test_sarif_uri_is_the_path_as_given_escaped_as_a_uri() -> None:
    cases = {
        SPEC: SPEC,
        "my specs\\cks 1.spec": "my%20specs/cks%201.spec",
        "a:b#c?.spec": "a%3Ab%23c%3F.spec",
        "100%/é.spec": "100%25/%C3%A9.spec",
    }
    for source, expected in cases.items():
        loc = Location(role="spec", span=Span(source=source, line=1, column=1))
        result = dataclasses.replace(PROVED, locations=(loc,))
        log = to_sarif(dataclasses.replace(REPORT, results=(result,)))
        assert artifact_uris(log) == [expected]
        assert_uri_references(log)


def test_sarif_region_left_out_without_a_line() -> None:
    loc = Location(role="spec", span=Span(source=SPEC, line=0, column=0))
    log = to_sarif(
        dataclasses.replace(REPORT, results=(dataclasses.replace(PROVED, locations=(loc,)),))
    )
    assert log["runs"][0]["results"][0]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": SPEC}}}
    ]
    assert schema_errors(log) == []


def test_duplicate_invariant_names_share_one_rule() -> None:
    again = dataclasses.replace(UNKNOWN, name=REFUTED.name, title="another title")
    log = to_sarif(dataclasses.replace(REPORT, results=(REFUTED, again)))
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [REFUTED.name]
    assert run["tool"]["driver"]["rules"][0]["shortDescription"]["text"] == REFUTED.title
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0]
    assert schema_errors(log) == []


# --------------------------------------------------------------------------- #
# determinism and fingerprints


def rebuilt_report() -> ProveReport:
    """An equal report built from fresh objects (JSON round trip of the data)."""
    results = []
    for r in REPORT.results:
        ces = tuple(json.loads(json.dumps(c)) for c in r.counterexamples)
        results.append(dataclasses.replace(r, counterexamples=ces))
    return dataclasses.replace(REPORT, results=tuple(results))


def test_renderings_are_byte_identical() -> None:
    other = rebuilt_report()
    assert sarif_json(REPORT) == sarif_json(REPORT) == sarif_json(other)
    assert to_junit(REPORT) == to_junit(REPORT) == to_junit(other)
    assert to_text(REPORT) == to_text(REPORT) == to_text(other)
    assert to_sarif(REPORT) == to_sarif(other)


def test_sarif_json_has_sorted_keys() -> None:
    text = sarif_json(REPORT)
    assert text.endswith("\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_fingerprint_recipe() -> None:
    samples = sorted(json.dumps(c, sort_keys=True, separators=(",", ":")) for c in (CE1, CE2))
    expected = hashlib.sha256((REFUTED.name + "\n[" + ",".join(samples) + "]").encode()).hexdigest()
    assert fingerprint(REFUTED) == expected
    assert len(expected) == 64


def test_fingerprint_is_stable_across_runs() -> None:
    """Timing, counterexample order, key order and locations do not move it."""
    reordered = dataclasses.replace(
        REFUTED,
        time_s=99.0,
        counterexamples=(
            json.loads(json.dumps(CE2, sort_keys=True)),
            dict(reversed(list(CE1.items()))),
        ),
        locations=REFUTED.locations[1:],
        reason="reworded",
    )
    assert fingerprint(reordered) == fingerprint(REFUTED)


def test_fingerprint_tells_results_apart() -> None:
    fewer = dataclasses.replace(REFUTED, counterexamples=(CE1,))
    renamed = dataclasses.replace(REFUTED, name="other-invariant")
    other_ce = dataclasses.replace(
        REFUTED, counterexamples=(CE1, counterexample(MANAGER, "kms:Sign"))
    )
    prints = {fingerprint(r) for r in (REFUTED, fewer, renamed, other_ce)}
    assert len(prints) == 4


def test_fingerprint_does_not_depend_on_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = to_sarif(REPORT)["runs"][0]["results"]
    monkeypatch.setattr("cksmodel.invariants.reports.__version__", "9.9.9")
    after = to_sarif(REPORT)
    assert after["runs"][0]["tool"]["driver"]["version"] == "9.9.9"
    assert [r["partialFingerprints"] for r in after["runs"][0]["results"]] == [
        r["partialFingerprints"] for r in before
    ]


# --------------------------------------------------------------------------- #
# JUnit


def test_junit_counts_and_attributes() -> None:
    xml = to_junit(REPORT)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    assert root.attrib == {
        "name": "cksmodel",
        "tests": "3",
        "failures": "1",
        "errors": "1",
        "time": "31.247",
    }
    [suite] = list(root)
    assert suite.tag == "testsuite"
    assert suite.attrib == {
        "name": "cksmodel prove: account 111122223333 (bundles/prod)",
        "tests": "3",
        "failures": "1",
        "errors": "1",
        "skipped": "0",
        "time": "31.247",
    }
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases] == [
        (SPEC, PROVED.name, "0.012"),
        (SPEC, REFUTED.name, "1.235"),
        (SPEC, UNKNOWN.name, "30.000"),
    ]
    assert len(suite.findall("testcase/failure")) == int(suite.attrib["failures"])
    assert len(suite.findall("testcase/error")) == int(suite.attrib["errors"])


def test_junit_properties_carry_the_warnings() -> None:
    suite = ET.fromstring(to_junit(REPORT)).find("testsuite")
    assert suite is not None
    props = [(p.get("name"), p.get("value")) for p in suite.findall("properties/property")]
    assert props == [("account", "bundles/prod"), ("spec", SPEC), ("warning", WARNING)]


def test_junit_refuted_is_a_failure_with_the_counterexamples() -> None:
    suite = ET.fromstring(to_junit(REPORT)).find("testsuite")
    assert suite is not None
    proved, refuted, unknown = suite.findall("testcase")
    assert list(proved) == []
    [failure] = list(refuted)
    assert failure.tag == "failure"
    assert failure.get("type") == "REFUTED"
    assert failure.get("message") == (
        "REFUTED: the key policy allows kms:* to the account; counterexample: "
        f"{MANAGER} kms:Decrypt on {KEY_ARN} with aws:SourceIp=203.0.113.7 "
        "(policy: allowed) (+1 more)"
    )
    assert json.loads(failure.text or "") == [CE1, CE2]
    [error] = list(unknown)
    assert error.tag == "error"
    assert error.get("type") == "UNKNOWN"
    assert error.get("message") == "UNKNOWN: solver timeout after 30 s"
    assert error.text == "solver timeout after 30 s"


def test_junit_classname_without_spec_location() -> None:
    bare = dataclasses.replace(UNKNOWN, locations=())
    two = dataclasses.replace(REPORT, results=(bare,), specs=("a.spec", "b.spec"))
    case = ET.fromstring(to_junit(two)).find("testsuite/testcase")
    assert case is not None
    assert case.get("classname") == "cksmodel"
    one = dataclasses.replace(REPORT, results=(bare,))
    case = ET.fromstring(to_junit(one)).find("testsuite/testcase")
    assert case is not None
    assert case.get("classname") == SPEC


def test_junit_survives_characters_xml_cannot_carry() -> None:
    nasty = counterexample(
        MANAGER, "kms:Decrypt", **{"kms:EncryptionContext:app": "a\x00b\x1b[31m"}
    )
    result = dataclasses.replace(REFUTED, counterexamples=(nasty,), reason="bad\x01reason")
    report = dataclasses.replace(REPORT, results=(result,), warnings=("w\x02",))
    xml = to_junit(report)
    failure = ET.fromstring(xml).find("testsuite/testcase/failure")
    assert failure is not None
    assert json.loads(failure.text or "") == [nasty]
    assert "\\x00" in (failure.get("message") or "")


def test_junit_is_valid_against_the_jenkins_xsd() -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))
    schema.validate(to_junit(REPORT))
    schema.validate(to_junit(dataclasses.replace(REPORT, results=(), warnings=())))
    with pytest.raises(xmlschema.XMLSchemaValidationError):  # the check is not vacuous
        schema.validate(
            to_junit(REPORT).replace(
                ' name="cksmodel prove: account 111122223333 (bundles/prod)"', ""
            )
        )


# --------------------------------------------------------------------------- #
# text


def test_text_table_names_the_account_and_shows_every_counterexample_in_full() -> None:
    assert to_text(REPORT) == (
        "account 111122223333: bundle bundles/prod\n"
        "\n"
        "invariant                 verdict     time  counterexample / reason\n"
        "slr-trust-only-cks        PROVED    0.012s  no request satisfies the negation\n"
        "store-manager-no-crypto   REFUTED   1.235s  2 counterexamples, below\n"
        "key-user-least-privilege  UNKNOWN  30.000s  solver timeout after 30 s\n"
        "\n"
        "counterexamples and reasons:\n"
        f"  store-manager-no-crypto (REFUTED): {REFUTED.title}\n"
        f"    1. principal: {MANAGER}\n"
        "       action: kms:Decrypt\n"
        f"       resource: {CE1['request']['resource']}\n"
        + "".join(
            f"       context {k} = {v}\n" for k, v in sorted(CE1["request"]["context"].items())
        )
        + "".join(f"       decision of {k}: {v}\n" for k, v in sorted(CE1["decisions"].items()))
        + f"    2. principal: {CE2['request']['principal']}\n"
        + f"       action: {CE2['request']['action']}\n"
        + f"       resource: {CE2['request']['resource']}\n"
        + "".join(
            f"       context {k} = {v}\n" for k, v in sorted(CE2["request"]["context"].items())
        )
        + "".join(f"       decision of {k}: {v}\n" for k, v in sorted(CE2["decisions"].items()))
        + "\n"
        "warnings:\n"
        f"  - {WARNING}\n"
        "\n"
        "1 proved, 1 refuted, 1 unknown\n"
    )


def test_text_lines_stay_on_one_line() -> None:
    odd = dataclasses.replace(
        UNKNOWN, name="multi\nline", reason="first line\nsecond\tline \x1b[2J" + "x" * 300
    )
    text = to_text(dataclasses.replace(REPORT, results=(odd,), warnings=("a\nb",)))
    lines = text.splitlines()
    assert lines[3].startswith("multi line  UNKNOWN")
    assert lines[3].endswith("see below")
    assert "    reason: first line second line \\x1b[2J" + "x" * 300 in lines
    assert "  - a b" in lines
    assert "\x1b" not in text
    assert lines[-1] == "0 proved, 0 refuted, 1 unknown"


def test_text_of_an_empty_report() -> None:
    empty = ProveReport(results=(), account="b", account_id="111122223333", specs=())
    assert to_text(empty) == (
        "account 111122223333: bundle b\n\n"
        "invariant  verdict  time  counterexample / reason\n\n0 proved, 0 refuted, 0 unknown\n"
    )
    assert schema_errors(to_sarif(empty)) == []
    assert ET.fromstring(to_junit(empty)).get("tests") == "0"


def test_counterexample_summaries() -> None:
    assert (
        summarize_counterexample(CE2)
        == f"{MANAGER} kms:ReEncryptFrom on {KEY_ARN} (policy: allowed)"
    )
    bare = {"principal": "anonymous", "action": "kms:Decrypt", "resource": "*"}
    assert summarize_counterexample(bare) == "anonymous kms:Decrypt on *"
    listy = counterexample(MANAGER, "kms:Decrypt", **{"kms:EncryptionContextKeys": ["app", "env"]})
    assert "with kms:EncryptionContextKeys=[app, env]" in summarize_counterexample(listy)
    assert summarize_counterexample({"z": 1, "a": [2]}) == '{"a":[2],"z":1}'
    reach = {"principal": MANAGER, "action": "kms:Decrypt", "path": [{"to": "role/a"}, {"to": "x"}]}
    assert summarize_counterexample(reach) == (
        f"{MANAGER} kms:Decrypt through 2 step(s): role/a -> x"
    )


# --------------------------------------------------------------------------- #
# any report


texts = st.text(st.characters(codec="utf-8"), max_size=30)
spans = st.builds(
    Span,
    source=st.text(
        st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20
    ),
    line=st.integers(0, 10_000),
    column=st.integers(0, 500),
)
locations = st.builds(
    Location, role=st.sampled_from(["spec", "policy"]), span=spans, description=texts
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
requests = st.fixed_dictionaries(
    {"principal": texts, "action": texts, "resource": texts},
    optional={"context": st.dictionaries(texts, json_values, max_size=3)},
)
invariants = st.builds(
    InvariantResult,
    name=st.text(min_size=1, max_size=20),
    title=texts,
    verdict=st.sampled_from(list(Verdict)),
    reason=texts,
    time_s=st.floats(0, 10_000, allow_nan=False),
    counterexamples=st.lists(
        st.fixed_dictionaries({"request": requests, "decisions": st.dictionaries(texts, texts)}),
        max_size=3,
    ).map(tuple),
    locations=st.lists(locations, max_size=4).map(tuple),
)
reports = st.builds(
    ProveReport,
    results=st.lists(invariants, max_size=4).map(tuple),
    account=texts,
    specs=st.lists(texts, max_size=2).map(tuple),
    warnings=st.lists(texts, max_size=2).map(tuple),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_any_report_renders_valid_deterministic_output(report: ProveReport) -> None:
    log = to_sarif(report)
    assert schema_errors(log) == []
    assert_uri_references(log)
    assert sarif_json(report) == sarif_json(report)
    json.loads(sarif_json(report))
    for result in log["runs"][0]["results"]:
        assert result["level"] == "none" or result["kind"] == "fail"
    xml = to_junit(report)
    root = ET.fromstring(xml)
    assert root.get("tests") == str(len(report.results))
    assert len(root.findall("testsuite/testcase")) == len(report.results)
    xml.encode("utf-8")  # writable as UTF-8, no lone surrogate
    lines = to_text(report).splitlines()
    assert lines[0].startswith("account ") and lines[1] == ""
    table = lines[3 : lines.index("", 2)]
    assert len(table) == len(report.results)  # one line per invariant, whatever its text
    assert not re.search("[\x00-\x1f\x7f-\x9f]", "".join(lines))  # control characters escaped
    assert re.fullmatch(r"\d+ proved, \d+ refuted, \d+ unknown(, \d+ not applicable)?", lines[-1])
