"""CI reports for ``validate``, the ``check-*`` commands and ``compare``: JSON, SARIF, JUnit.

Every renderer is a pure function of its results and the catalog's identity,
so the same input gives the same bytes (keys sorted, no clock or host).

SARIF 2.1.0: one run. For ``validate`` there is one rule per finding code that
occurs (its meaning from :data:`FINDING_CODES` as help text, and a ``helpUri``
to the AWS page that governs it) and one result per finding, located at the
finding's line and column; the severity maps to ``level`` (ERROR ``error``,
SECURITY_WARNING and WARNING ``warning``, SUGGESTION ``note``). For a check or
a comparison the rule is the command and there is one result, ``pass`` or
``fail``, at the policy files. The run's ``properties.catalog`` names the IAM
data the answers rest on.

JUnit: one ``testcase`` per document (``validate``) or per check; a
``failure`` when the document has a finding at the ``--fail-on`` threshold or
the check fails, an ``error`` when a check is UNKNOWN.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from cksmodel import __version__
from cksmodel.cli.output import finding_json
from cksmodel.policy.catalog import get_catalog
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.validation.codes import FINDING_CODES
from cksmodel.source import Span

if TYPE_CHECKING:
    from cksmodel.symbolic.checks import CheckResult
    from cksmodel.symbolic.query import Comparison

__all__ = [
    "SEVERITY_ORDER",
    "CheckOutcome",
    "Document",
    "catalog_json",
    "check_junit",
    "check_outcome",
    "check_sarif",
    "checks_junit",
    "checks_sarif",
    "comparison_outcome",
    "validation_json",
    "validation_junit",
    "validation_sarif",
    "validation_text",
]

SARIF_SCHEMA_URI: Final = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY: Final = "cksmodel/v1"

SEVERITY_ORDER: Final = (
    Severity.ERROR,
    Severity.SECURITY_WARNING,
    Severity.WARNING,
    Severity.SUGGESTION,
)
"""Most severe first: ``--fail-on X`` fails on X and everything before it."""

_LEVEL: Final = {
    Severity.ERROR: "error",
    Severity.SECURITY_WARNING: "warning",
    Severity.WARNING: "warning",
    Severity.SUGGESTION: "note",
}

# Characters XML 1.0 cannot carry, even escaped: written as \\xNN instead.
_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_AWS_DOCS: Final = "https://docs.aws.amazon.com/"
_IAM_GUIDE: Final = _AWS_DOCS + "IAM/latest/UserGuide/"
# The AWS page that governs a code, by the first word of the code that names it.
_HELP_PAGES: Final = (
    (
        ("TOO_LARGE", "POLICY_SIZE", "VALUE_TOO_LONG", "INVALID_CHARACTER"),
        _IAM_GUIDE + "reference_iam-quotas.html",
    ),
    (("VARIABLE",), _IAM_GUIDE + "reference_policies_variables.html"),
    (
        ("ACTION", "SERVICE", "PASSROLE", "CREATE_SLR"),
        _AWS_DOCS + "service-authorization/latest/reference/"
        "reference_policies_actions-resources-contextkeys.html",
    ),
    (("ARN", "RESOURCE"), _IAM_GUIDE + "reference_policies_elements_resource.html"),
    (
        ("PRINCIPAL", "PUBLIC", "ACCOUNT_ID", "FEDERATED", "RCP"),
        _IAM_GUIDE + "reference_policies_elements_principal.html",
    ),
    (
        ("CONDITION", "OPERATOR", "KEY", "VALUE", "QUALIFIER", "FORALL", "FORANY", "IP", "NULL"),
        _IAM_GUIDE + "reference_policies_elements_condition_operators.html",
    ),
)
_GRAMMAR_PAGE: Final = _IAM_GUIDE + "reference_policies_grammar.html"
_CHECKS_PAGE: Final = _IAM_GUIDE + "access-analyzer-checks-validating-policies.html"


Threshold = Severity | Collection[Severity]
"""What fails a document: a severity and every more severe one, or a set of severities (the
blocking finding types of ``--treat-finding-type-as-blocking``)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """One validated document: the path as given and its findings.

    ``name`` tells apart several documents of one file (a template's policies);
    ``unknown`` says why a document could not be validated (a value known only after apply).
    """

    source: str
    findings: tuple[Finding, ...]
    name: str | None = None
    unknown: str | None = None

    @property
    def title(self) -> str:
        return f"{self.source} {self.name}" if self.name else self.source

    def fails(self, threshold: Threshold) -> bool:
        """Whether a finding is at ``threshold`` or more severe (or in the set given)."""
        if isinstance(threshold, Severity):
            worst: Collection[Severity] = SEVERITY_ORDER[: SEVERITY_ORDER.index(threshold) + 1]
        else:
            worst = threshold
        return any(f.severity in worst for f in self.findings)


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckOutcome:
    """A check or comparison for CI: the command, its result word, and what it read."""

    command: str
    result: str  # PASS, FAIL or UNKNOWN
    message: str
    sources: tuple[str, ...]
    details: Mapping[str, Any]
    time_s: float
    name: str | None = None
    """Which of several checks of one run (a template's policy), if there are several."""
    span: Span | None = None
    """Where the checked policy is, when it is inside a larger file."""


def catalog_json() -> dict[str, str]:
    """The IAM catalog the answers rest on: dataset, version and data date."""
    return get_catalog().to_json()


def help_uri(code: str) -> str:
    """The AWS documentation page for a finding code."""
    words = code.split("_")[1:]
    for keys, page in _HELP_PAGES:
        if any(k in "_".join(words) for k in keys):
            return page
    return _GRAMMAR_PAGE


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _uri(source: str) -> str:
    return quote(source.replace("\\", "/"), safe="/@!$&'()*+,;=-._~:")


def _finding_location(f: Finding, source: str) -> dict[str, Any]:
    """The finding's file, line and column; a position inside an embedded document
    is not a position in the file, so only the file is given then."""
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(source)}}
    span = f.span
    if span is not None and span.source == source and span.line >= 1:
        region: dict[str, Any] = {"startLine": span.line}
        if span.column >= 1:
            region["startColumn"] = span.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _log(rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> str:
    run = {
        "tool": {"driver": {"name": "cksmodel", "version": __version__, "rules": rules}},
        "invocations": [{"executionSuccessful": True}],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"catalog": catalog_json()},
    }
    log = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def validation_sarif(documents: Sequence[Document]) -> str:
    """Every finding of every document as one SARIF run."""
    codes = sorted({f.code for d in documents for f in d.findings})
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": code,
            "shortDescription": {"text": FINDING_CODES[code][1]},
            "help": {"text": f"{FINDING_CODES[code][1]} ({FINDING_CODES[code][0].value})"},
            "helpUri": help_uri(code),
            "defaultConfiguration": {"level": _LEVEL[FINDING_CODES[code][0]]},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_finding_location(f, d.source)],
            "partialFingerprints": {
                FINGERPRINT_KEY: hashlib.sha256(
                    _canonical([d.source, f.code, f.message]).encode()
                ).hexdigest()
            },
            "properties": {"severity": f.severity.value},
        }
        for d in documents
        for f in d.findings
    ]
    return _log(rules, results)


def validation_json(documents: Sequence[Document]) -> str:
    """The findings per document, with counts by severity and the catalog."""
    counts = {
        s.value: sum(f.severity is s for d in documents for f in d.findings) for s in Severity
    }
    payload = {
        "catalog": catalog_json(),
        "documents": [
            {"source": d.source, "findings": [finding_json(f) for f in d.findings]}
            for d in documents
        ],
        "counts": counts,
    }
    return json.dumps(payload, indent=2) + "\n"


def validation_text(documents: Sequence[Document]) -> str:
    """``file:line:column: SEVERITY CODE message`` lines, then one summary line."""
    lines: list[str] = []
    for d in documents:
        if d.unknown:
            lines.append(f"{d.title}: not validated: {d.unknown}")
        elif not d.findings:
            lines.append(f"{d.title}: no findings")
        for f in d.findings:
            lines.append(
                f"{f.span if f.span else d.source}: {f.severity.value} {f.code} {f.message}"
            )
    counts = [
        f"{n} {s.value}"
        for s in SEVERITY_ORDER
        if (n := sum(f.severity is s for d in documents for f in d.findings))
    ]
    noun = "document" if len(documents) == 1 else "documents"
    lines.append(f"{len(documents)} {noun}: {', '.join(counts) or 'no findings'}")
    return "\n".join(lines) + "\n"


def _xml(text: str) -> str:
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _junit(suite_name: str, cases: list[tuple[str, str, str, str | None, str, str]]) -> str:
    """Cases as (classname, name, time, outcome element or None, message, body)."""
    failures = sum(c[3] == "failure" for c in cases)
    errors = sum(c[3] == "error" for c in cases)
    tallies = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors)}
    total = f"{sum(float(c[2]) for c in cases):.3f}"
    root = ET.Element("testsuites", {"name": "cksmodel", **tallies, "time": total})
    suite = ET.SubElement(
        root, "testsuite", {"name": suite_name, **tallies, "skipped": "0", "time": total}
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in catalog_json().items():
        ET.SubElement(properties, "property", {"name": f"catalog.{key}", "value": value})
    for classname, name, seconds, outcome, message, body in cases:
        case = ET.SubElement(
            suite, "testcase", {"classname": _xml(classname), "name": _xml(name), "time": seconds}
        )
        if outcome is not None:
            element = ET.SubElement(case, outcome, {"message": _xml(message)})
            element.text = _xml(body)
        elif body:
            ET.SubElement(case, "system-out").text = _xml(body)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def validation_junit(documents: Sequence[Document], threshold: Threshold) -> str:
    """One test case per document, failed when it has a finding at ``threshold``, an error
    when it could not be validated."""
    cases = []
    for d in documents:
        body = "\n".join(
            f"{f.span if f.span else d.source}: {f.severity.value} {f.code} {f.message}"
            for f in d.findings
        )
        failed = d.fails(threshold)
        worst = [s.value for s in SEVERITY_ORDER if any(f.severity is s for f in d.findings)]
        message = f"{len(d.findings)} finding(s), worst {worst[0]}" if worst else "no findings"
        outcome = "failure" if failed else None
        if d.unknown and not failed:
            outcome, message = "error", f"not validated: {d.unknown}"
        cases.append(("cksmodel.validate", d.title, "0.000", outcome, message, body))
    return _junit("cksmodel validate", cases)


def check_outcome(command: str, result: CheckResult, sources: tuple[str, ...]) -> CheckOutcome:
    """A ``check-*`` result for CI."""
    return CheckOutcome(
        command=command,
        result=result.result,
        message=result.message,
        sources=sources,
        details=result.to_json(),
        time_s=result.answer.elapsed,
    )


def comparison_outcome(comparison: Comparison, sources: tuple[str, str]) -> CheckOutcome:
    """A comparison for CI: equivalent policies pass, an undecided comparison is UNKNOWN,
    and any difference fails (the command's exit status stays 0 whatever the relation)."""
    from cksmodel.symbolic.query import Relation

    relation = comparison.relation
    result = {Relation.EQUIVALENT: "PASS", Relation.UNKNOWN: "UNKNOWN"}.get(relation, "FAIL")
    directed = relation in (Relation.MORE_PERMISSIVE, Relation.LESS_PERMISSIVE)
    return CheckOutcome(
        command="compare",
        result=result,
        message=f"A is {relation.value} than B" if directed else f"A and B are {relation.value}",
        sources=sources,
        details=comparison.to_json(),
        time_s=comparison.only_a.elapsed + comparison.only_b.elapsed,
    )


def check_sarif(outcome: CheckOutcome) -> str:
    """The check as one rule and one result: ``pass``, or ``fail`` (error; UNKNOWN a warning)."""
    return checks_sarif(outcome.command, [outcome])


def checks_sarif(command: str, outcomes: Sequence[CheckOutcome]) -> str:
    """Checks of one command (one per policy of a template) as one rule and one result each."""
    rule = {
        "id": command,
        "name": command,
        "shortDescription": {"text": f"cksmodel {command}"},
        "help": {"text": outcomes[0].message if len(outcomes) == 1 else f"cksmodel {command}"},
        "helpUri": _CHECKS_PAGE,
        "defaultConfiguration": {"level": "error"},
    }
    return _log([rule], [_check_result(o) for o in outcomes])


def _check_result(outcome: CheckOutcome) -> dict[str, Any]:
    kind, level = {"PASS": ("pass", "none"), "FAIL": ("fail", "error")}.get(
        outcome.result, ("fail", "warning")
    )
    if outcome.span is not None:
        region = {"startLine": outcome.span.line, "startColumn": outcome.span.column}
        locations: list[dict[str, Any]] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(outcome.span.source)},
                    "region": region,
                }
            }
        ]
    else:
        locations = [
            {"physicalLocation": {"artifactLocation": {"uri": _uri(source)}}}
            for source in outcome.sources
        ]
    identity: list[Any] = [outcome.command, outcome.result, list(outcome.sources)]
    if outcome.name is not None:
        identity.append(outcome.name)
    name = f"{outcome.name}: " if outcome.name else ""
    return {
        "ruleId": outcome.command,
        "ruleIndex": 0,
        "kind": kind,
        "level": level,
        "message": {"text": f"{name}{outcome.result}: {outcome.message}"},
        "locations": locations,
        "partialFingerprints": {
            FINGERPRINT_KEY: hashlib.sha256(_canonical(identity).encode()).hexdigest()
        },
        "properties": {**outcome.details, "result": outcome.result},
    }


def check_junit(outcome: CheckOutcome) -> str:
    """The check as one test case: FAIL a failure, UNKNOWN an error."""
    return checks_junit(outcome.command, [outcome])


def checks_junit(command: str, outcomes: Sequence[CheckOutcome]) -> str:
    """One test case per check: FAIL a failure, UNKNOWN an error."""
    cases = []
    for outcome in outcomes:
        element = {"PASS": None, "FAIL": "failure"}.get(outcome.result, "error")
        body = json.dumps(outcome.details, indent=2, sort_keys=True, ensure_ascii=True)
        cases.append(
            (
                "cksmodel." + outcome.command,
                outcome.name or " ".join(outcome.sources) or outcome.command,
                f"{max(outcome.time_s, 0.0):.3f}",
                element,
                f"{outcome.result}: {outcome.message}",
                body,
            )
        )
    return _junit(f"cksmodel {command}", cases)
