"""A ``ProveReport`` for CI: SARIF 2.1.0, JUnit XML, and a plain table for people.

Every renderer is a pure function of the report, so the same report always
renders to the same bytes: results keep the report's order, JSON keys are
sorted when dumped, and no clock, host name or random id is written.

SARIF mapping, one result per invariant (SARIF 2.1.0, section 3.27.9/3.27.10):

========  ========  =========  ==========================================
verdict   kind      level      why
========  ========  =========  ==========================================
REFUTED   fail      error      a replayed counterexample violates it
UNKNOWN   fail      warning    never a pass; see below
PROVED    pass      none       shown so consumers see the full picture
========  ========  =========  ==========================================

SARIF 3.27.10 says a result whose ``kind`` is anything but ``fail`` SHALL have
``level`` ``none``, so an UNKNOWN cannot be both ``review``/``open`` and a
``warning``. GitHub code scanning does not read ``kind`` and grades alerts by
``level``, so ``open``/``none`` would make an UNKNOWN look like a PROVED
there. UNKNOWN is therefore ``fail``/``warning``; ``properties.verdict`` and the
message say UNKNOWN. GitHub also turns every result into an alert, ``pass``
ones included: use ``to_sarif(report, include_proved=False)`` for an upload.

``partialFingerprints["cksmodel/v1"]`` is the SHA-256 of the rule id and the
canonical JSON of the counterexamples in sorted order: it does not depend on
timing, on the order counterexamples were found, or on the cksmodel version.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from cksmodel import __version__
from cksmodel.invariants.results import InvariantResult, ProveReport
from cksmodel.policy.catalog import get_catalog
from cksmodel.source import Location, Span
from cksmodel.symbolic.query import Verdict

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "cksmodel"
FINGERPRINT_KEY = "cksmodel/v1"
"""Bump the suffix if the fingerprint recipe ever changes, never its meaning."""
JUNIT_SUITE_NAME = "cksmodel prove"

SUMMARY_WIDTH = 100
"""Longest counterexample or reason shown on one line of the text table."""

_KIND_LEVEL: dict[Verdict, tuple[str, str]] = {
    Verdict.REFUTED: ("fail", "error"),
    Verdict.UNKNOWN: ("fail", "warning"),
    Verdict.PROVED: ("pass", "none"),
    Verdict.NOT_APPLICABLE: ("notApplicable", "none"),
}

# Characters XML 1.0 cannot carry at all (not even escaped), and terminal
# control characters: both are shown as escapes instead.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


# --------------------------------------------------------------------------- #
# shared helpers


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _one_line(text: str) -> str:
    """Whitespace runs become one space; other control characters become escapes."""
    return _CONTROL.sub(_escape_char, " ".join(text.split()))


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _sentence(text: str) -> str:
    text = _one_line(text)
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return _canonical(value)


def summarize_counterexample(counterexample: Mapping[str, Any]) -> str:
    """One line for a counterexample: who does what to which resource, in which context.

    Counterexamples are ``{"request": {...}, "decisions": {...}}`` as
    ``Counterexample.to_json`` writes them; a bare request, or anything else,
    is shown as its canonical JSON when it has no principal, action or resource.
    """
    request = counterexample.get("request")
    if not isinstance(request, Mapping):
        request = counterexample
    principal = request.get("principal")
    action = request.get("action")
    resource = request.get("resource")
    if principal is None and action is None and resource is None:
        return _one_line(_canonical(counterexample))
    text = f"{principal or '?'} {action or '?'}"
    path = counterexample.get("path")
    if resource is None and isinstance(path, list):
        steps = [str(h.get("to")) for h in path if isinstance(h, Mapping)]
        text += f" through {len(steps)} step(s): " + " -> ".join(steps)
    else:
        text += f" on {resource or '?'}"
    context = request.get("context")
    if isinstance(context, Mapping) and context:
        pairs = ", ".join(f"{key}={_scalar(context[key])}" for key in sorted(context))
        text += f" with {pairs}"
    decisions = counterexample.get("decisions")
    if isinstance(decisions, Mapping) and decisions:
        text += " (" + ", ".join(f"{k}: {_scalar(decisions[k])}" for k in sorted(decisions)) + ")"
    return _one_line(text)


def _first_counterexample(result: InvariantResult, width: int | None = None) -> str:
    """The first counterexample on one line, with ``(+N more)`` kept if it is cut."""
    if not result.counterexamples:
        return ""
    text = summarize_counterexample(result.counterexamples[0])
    more = len(result.counterexamples) - 1
    suffix = f" (+{more} more)" if more else ""
    if width is not None:
        text = _truncate(text, max(width - len(suffix), 20))
    return text + suffix


def _counts(report: ProveReport) -> dict[Verdict, int]:
    counts = dict.fromkeys(Verdict, 0)
    for result in report.results:
        counts[result.verdict] += 1
    return counts


def account_line(report: ProveReport) -> str:
    """Which account was checked, and whether it is the bundled example rather than yours."""
    return account_text(report.account_id, report.account, bundled=report.bundled_example)


def account_text(account_id: str, bundle: str, *, bundled: bool) -> str:
    """The first line of every text output about an account (``prove``, ``who-can``, ``can``)."""
    account_id, bundle = _one_line(account_id), _one_line(bundle)
    if bundled:
        return (
            f"account {account_id}: the bundled example ({bundle}); "
            "give --account BUNDLE to check yours"
        )
    return f"account {account_id}: bundle {bundle}"


def _summary_line(report: ProveReport) -> str:
    counts = _counts(report)
    return (
        f"{counts[Verdict.PROVED]} proved, {counts[Verdict.REFUTED]} refuted, "
        f"{counts[Verdict.UNKNOWN]} unknown"
        + (
            f", {counts[Verdict.NOT_APPLICABLE]} not applicable"
            if counts[Verdict.NOT_APPLICABLE]
            else ""
        )
    )


def counterexamples_json(result: InvariantResult) -> str:
    """The counterexamples as indented JSON, keys sorted (the JUnit failure body)."""
    return json.dumps(list(result.counterexamples), indent=2, sort_keys=True, ensure_ascii=True)


def fingerprint(result: InvariantResult) -> str:
    """SHA-256 of the rule id and its counterexamples' canonical JSON, sorted."""
    samples = sorted(_canonical(c) for c in result.counterexamples)
    payload = result.name + "\n" + "[" + ",".join(samples) + "]"
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- #
# SARIF


def _artifact_uri(source: str) -> str:
    """A relative path as given, as a URI reference (``\\`` to ``/``, unsafe bytes %-escaped)."""
    return quote(source.replace("\\", "/"), safe="/@!$&'()*+,;=-._~")


_EMBEDDED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+) .* \(embedded document\)$")


def _outer_span(span: Span) -> Span:
    """A position inside a policy stored as a JSON string, as the string's own position
    in the file that holds it (code scanning can only point into files)."""
    found = _EMBEDDED.match(span.source)
    if found is None:
        return span
    return Span(source=found["file"], line=int(found["line"]), column=int(found["column"]))


def _sarif_location(location: Location) -> dict[str, Any]:
    span = _outer_span(location.span)
    physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(span.source)}}
    if span.line >= 1:
        region: dict[str, Any] = {"startLine": span.line}
        if span.column >= 1:
            region["startColumn"] = span.column
        if span.end_line is not None and span.end_line >= span.line:
            region["endLine"] = span.end_line
            if span.end_column is not None and span.end_column >= 1:
                region["endColumn"] = span.end_column
        physical["region"] = region
    out: dict[str, Any] = {"physicalLocation": physical}
    if location.description:
        out["message"] = {"text": location.description}
    return out


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeats, keeping the first (``relatedLocations`` items must be unique)."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for item in items:
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _result_message(result: InvariantResult) -> str:
    parts = [f"{result.verdict.value}: {_sentence(result.title or result.name)}"]
    if result.reason:
        parts.append(_sentence(result.reason))
    if result.counterexamples:
        count = len(result.counterexamples)
        label = "Counterexample" if count == 1 else f"Counterexample 1 of {count}"
        parts.append(f"{label}: {summarize_counterexample(result.counterexamples[0])}")
    return " ".join(parts)


def _sarif_result(
    result: InvariantResult, rule_index: int, fallback_specs: tuple[str, ...]
) -> dict[str, Any]:
    kind, level = _KIND_LEVEL[result.verdict]
    primary = ("plan", "spec")
    spec_locations = sorted(
        (loc for loc in result.locations if loc.role in primary),
        key=lambda loc: primary.index(loc.role),
    )
    other_locations = [loc for loc in result.locations if loc.role not in primary]
    locations = _unique(_sarif_location(loc) for loc in spec_locations)
    if not locations and fallback_specs:
        # GitHub refuses a whole log if one result has no location: point at the spec file.
        locations = [
            {"physicalLocation": {"artifactLocation": {"uri": _artifact_uri(s)}}}
            for s in fallback_specs[:1]
        ]
    out: dict[str, Any] = {
        "ruleId": result.name,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": _result_message(result)},
        "locations": locations,
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(result)},
        "properties": {
            "verdict": result.verdict.value,
            "reason": result.reason,
            "time_s": round(result.time_s, 3),
            "counterexamples": copy.deepcopy(list(result.counterexamples)),
        },
    }
    related = _unique(_sarif_location(loc) for loc in other_locations)
    if related:
        out["relatedLocations"] = related
    return out


def to_sarif(report: ProveReport, *, include_proved: bool = True) -> dict[str, Any]:
    """The report as one SARIF 2.1.0 log with one run; dump it with :func:`sarif_json`.

    One rule per invariant name (the first title wins if a name repeats), one
    result per invariant. ``include_proved=False`` leaves PROVED results out
    (their rules stay), for consumers such as GitHub code scanning that raise
    an alert for every result whatever its ``kind``.
    """
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    for result in report.results:
        if result.name in rule_index:
            continue
        rule_index[result.name] = len(rules)
        rules.append(
            {
                "id": result.name,
                "name": result.name,
                "shortDescription": {"text": result.title or result.name},
                "defaultConfiguration": {"level": "error"},
            }
        )
    results = [
        _sarif_result(result, rule_index[result.name], report.specs)
        for result in report.results
        if include_proved or result.verdict is not Verdict.PROVED
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if report.warnings:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": warning}} for warning in report.warnings
        ]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL_NAME, "version": __version__, "rules": rules}},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "account": report.account,
            "accountId": report.account_id,
            "bundledExample": report.bundled_example,
            "specs": list(report.specs),
            "warnings": list(report.warnings),
            "catalog": get_catalog().to_json(),
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def sarif_json(report: ProveReport, *, include_proved: bool = True) -> str:
    """:func:`to_sarif` dumped with sorted keys: the same report gives the same bytes."""
    log = to_sarif(report, include_proved=include_proved)
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


# --------------------------------------------------------------------------- #
# JUnit XML


def _xml_text(text: str) -> str:
    """Text XML 1.0 can carry: forbidden characters are written as escapes."""
    return _XML_INVALID.sub(_escape_char, text)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _classname(result: InvariantResult, specs: tuple[str, ...]) -> str:
    for location in result.locations:
        if location.role == "spec":
            return location.span.source
    return specs[0] if len(specs) == 1 else TOOL_NAME


def changed_in_plan(result: InvariantResult) -> list[str]:
    """The resources of a plan or template a result involves (``plan`` locations), one line
    each: ``ADDRESS: why (FILE:LINE:COLUMN)``."""
    return [
        _one_line(f"{loc.description} ({loc.span})")
        for loc in result.locations
        if loc.role == "plan"
    ]


def _junit_message(result: InvariantResult) -> str:
    message = result.verdict.value
    if result.reason:
        message += ": " + _one_line(result.reason)
    if result.counterexamples:
        message += "; counterexample: " + _first_counterexample(result)
    changed = changed_in_plan(result)
    if changed:
        message += "; in the plan: " + ", ".join(changed)
    return _xml_text(message)


def junit_suite_name(report: ProveReport) -> str:
    """The suite is the account checked, so a CI dashboard shows which one passed."""
    example = ", the bundled example" if report.bundled_example else ""
    return f"{JUNIT_SUITE_NAME}: account {report.account_id} ({report.account}{example})"


def to_junit(report: ProveReport) -> str:
    """The report as JUnit XML: REFUTED is a ``<failure>``, UNKNOWN an ``<error>``."""
    counts = _counts(report)
    total = _seconds(sum(r.time_s for r in report.results))
    tallies = {
        "tests": str(len(report.results)),
        "failures": str(counts[Verdict.REFUTED]),
        "errors": str(counts[Verdict.UNKNOWN]),
    }
    root = ET.Element("testsuites", {"name": TOOL_NAME, **tallies, "time": total})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _xml_text(junit_suite_name(report)),
            **tallies,
            "skipped": str(counts[Verdict.NOT_APPLICABLE]),
            "time": total,
        },
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "account", "value": _xml_text(report.account)})
    for spec in report.specs:
        ET.SubElement(properties, "property", {"name": "spec", "value": _xml_text(spec)})
    for warning in report.warnings:
        ET.SubElement(properties, "property", {"name": "warning", "value": _xml_text(warning)})
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _xml_text(_classname(result, report.specs)),
                "name": _xml_text(result.name),
                "time": _seconds(result.time_s),
            },
        )
        if result.verdict is Verdict.REFUTED:
            failure = ET.SubElement(
                case, "failure", {"message": _junit_message(result), "type": "REFUTED"}
            )
            failure.text = counterexamples_json(result)
        elif result.verdict is Verdict.UNKNOWN:
            error = ET.SubElement(
                case, "error", {"message": _junit_message(result), "type": "UNKNOWN"}
            )
            error.text = _xml_text(result.reason)
        elif result.verdict is Verdict.NOT_APPLICABLE:
            ET.SubElement(case, "skipped", {"message": _xml_text(_one_line(result.reason))})
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# --------------------------------------------------------------------------- #
# text


def _detail(result: InvariantResult) -> str:
    if result.verdict is Verdict.REFUTED and result.counterexamples:
        count = len(result.counterexamples)
        return f"{count} counterexample{'' if count == 1 else 's'}, below"
    reason = _one_line(result.reason)
    return (reason or "-") if len(reason) <= SUMMARY_WIDTH else "see below"


def counterexample_lines(counterexample: Mapping[str, Any]) -> list[str]:
    """A counterexample in full, one field a line: nothing is cut, long values wrap as is."""
    request = counterexample.get("request")
    lines = [
        f"for {key}: {_scalar(value)}"
        for key, value in counterexample.items()
        if key not in ("request", "decisions", "trace", "path")
    ]
    if isinstance(request, Mapping):
        for key in ("principal", "principal_role_arn", "action", "resource", "resource_account"):
            if key in request:
                lines.append(f"{key.replace('_', ' ')}: {_scalar(request[key])}")
        context = request.get("context")
        if isinstance(context, Mapping):
            lines.extend(f"context {k} = {_scalar(context[k])}" for k in sorted(context))
    decisions = counterexample.get("decisions")
    if isinstance(decisions, Mapping):
        lines.extend(f"decision of {k}: {_scalar(decisions[k])}" for k in sorted(decisions))
    path = counterexample.get("path")
    if isinstance(path, list):
        for hop in path:
            if isinstance(hop, Mapping):
                line = f", line {hop.get('line')}" if hop.get("policy") else ""
                summary = hop.get("summary") or hop.get("via")
                where = f" (decided in account {hop['account']})" if hop.get("account") else ""
                lines.append(
                    f"step: {hop.get('from')} -> {hop.get('to')} via {summary}{line}{where}"
                )
    trace = counterexample.get("trace")
    if isinstance(trace, list):
        lines.extend(f"step: {_scalar(step)}" for step in trace)
    return [_one_line(line) for line in lines] or [_one_line(_canonical(counterexample))]


def _details_lines(report: ProveReport) -> list[str]:
    """Every counterexample of every REFUTED invariant, and every reason the table cut."""
    lines: list[str] = []
    for result in report.results:
        reason = _one_line(result.reason)
        cut = len(reason) > SUMMARY_WIDTH and result.verdict is not Verdict.REFUTED
        if not (result.verdict is Verdict.REFUTED and result.counterexamples) and not cut:
            continue
        name, title = _one_line(result.name), _one_line(result.title)
        lines.append(f"{name} ({result.verdict.value}): {title}")
        if cut:
            lines.append(f"  reason: {reason}")
        for n, counterexample in enumerate(result.counterexamples, 1):
            fields = counterexample_lines(counterexample)
            lines.append(f"  {n}. {fields[0]}")
            lines.extend(f"     {field}" for field in fields[1:])
        lines.extend(f"  in the plan: {where}" for where in changed_in_plan(result))
    return lines


def to_text(report: ProveReport) -> str:
    """The account, a table for people (invariant, verdict, time, summary), then every
    counterexample and long reason in full, then warnings."""
    header = ("invariant", "verdict", "time", "counterexample / reason")
    rows = [
        (
            _one_line(result.name),
            result.verdict.value,
            f"{_seconds(result.time_s)}s",
            _detail(result),
        )
        for result in report.results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [account_line(report), ""]
    for name, verdict, seconds, detail in [header, *rows]:
        lines.append(
            f"{name:<{widths[0]}}  {verdict:<{widths[1]}}  {seconds:>{widths[2]}}  {detail}"
        )
    details = _details_lines(report)
    if details:
        lines += ["", "counterexamples and reasons:", *(f"  {line}" for line in details)]
    if report.warnings:
        lines.append("")
        lines.append("warnings:")
        lines.extend(f"  - {_one_line(warning)}" for warning in report.warnings)
    lines.append("")
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"
