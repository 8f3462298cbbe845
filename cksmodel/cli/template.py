"""``--template-path``: ``validate`` and the ``check-*`` commands on a Terraform plan or a
CloudFormation template, with the flags of AWS's policy validators.

Each policy of the plan or template is one result. A result's findings are *blocking* or
*non-blocking*: for ``validate`` the finding types of ``--treat-finding-type-as-blocking``
block (default ERROR and SECURITY_WARNING), for a check every FAIL blocks unless
``--treat-findings-as-non-blocking``. ``--ignore-finding`` drops findings by code, by resource
(logical id or address) or by ``RESOURCE.CODE``. Exit 1 when a blocking finding remains, else 3
when a policy could not be decided (a value known only after apply, a PASS resting on an
approximated value), else 0. The JSON report has AWS's ``BlockingFindings`` and
``NonBlockingFindings`` lists; text, SARIF and JUnit come from :mod:`cksmodel.cli.ci`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cksmodel.cli.ci import (
    CheckOutcome,
    Document,
    catalog_json,
    checks_junit,
    checks_sarif,
    validation_junit,
    validation_sarif,
    validation_text,
)
from cksmodel.cli.output import write_output
from cksmodel.cli.template_args import usage
from cksmodel.errors import InputError, PolicyError
from cksmodel.infra import read_infrastructure
from cksmodel.infra.model import Infrastructure, PolicyDocument, ReadOptions
from cksmodel.policy.findings import Finding, Severity
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, decode_document, parse_json
from cksmodel.policy.validate import validate_document, validate_text
from cksmodel.source import Span, read_regular_file

__all__ = ["read_options", "run_template_check", "run_template_validate"]

EXIT_OK, EXIT_FINDINGS, EXIT_UNKNOWN = 0, 1, 3

DEFAULT_BLOCKING = (Severity.ERROR, Severity.SECURITY_WARNING)

_OPERATIONS = {
    "check-no-new-access": "CheckNoNewAccess",
    "check-access-not-granted": "CheckAccessNotGranted",
    "check-no-public-access": "CheckNoPublicAccess",
}
_IDENTITY = (PolicyType.IDENTITY,)
_RESOURCE = (PolicyType.RESOURCE, PolicyType.TRUST, PolicyType.KEY)


def read_options(args: argparse.Namespace) -> ReadOptions:
    """What the command line adds to a plan or template (parameters, pseudo parameters)."""
    parameters: dict[str, str] = {}
    if args.template_configuration_file:
        parameters.update(_configuration(args.template_configuration_file))
    parameters.update(dict(args.parameters or ()))
    return ReadOptions(
        parameters=tuple(parameters.items()),
        account_id=args.account_id,
        region=args.region,
        partition=args.partition,
    )


def _configuration(path: str) -> dict[str, str]:
    """The ``Parameters`` of a CodePipeline template configuration file."""
    try:
        data = read_regular_file(Path(path), limit=MAX_DOCUMENT_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", code="E_IO") from None
    value = parse_json(decode_document(data, path), path)
    found = value.get("Parameters", {}) if isinstance(value, dict) else None
    if not isinstance(found, dict) or not all(
        isinstance(v, str | int | float | bool) for v in found.values()
    ):
        raise InputError(
            f'{path}: expected {{"Parameters": {{"KEY": "VALUE", …}}}}',
            span=Span(source=path, line=1, column=1),
            code="E_USAGE",
        )
    return {str(k): str(v) for k, v in found.items()}


def _read(args: argparse.Namespace) -> Infrastructure:
    return read_infrastructure(Path(args.template_path), read_options(args))


def _ignored(entries: Sequence[str], resource: str, code: str) -> bool:
    folded = {e.casefold() for e in entries}
    resource, code = resource.casefold(), code.casefold()
    return bool(folded & {resource, code, f"{resource}.{code}"})


@dataclass(frozen=True, kw_only=True, slots=True)
class _Reported:
    """One finding as AWS's validators report it."""

    finding_type: str
    code: str
    message: str
    doc: PolicyDocument
    span: Span
    details: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "findingType": self.finding_type,
            "code": self.code,
            "message": self.message,
            "resourceName": self.doc.resource,
            "policyName": self.doc.name,
            "details": {
                **({"result": self.details} if self.details is not None else {}),
                "resourceType": self.doc.resource_type,
                "source": self.span.source,
                "line": self.span.line,
                "column": self.span.column,
            },
        }


def _policy_json(doc: PolicyDocument, result: str) -> dict[str, Any]:
    return {
        "resourceName": doc.resource,
        "resourceType": doc.resource_type,
        "policyName": doc.name,
        "policyType": doc.policy_type.value,
        **doc.location.to_json(),
        "result": result,
        **({"unknown": str(doc.unknown)} if doc.unknown else {}),
    }


def _report_json(
    infra: Infrastructure,
    blocking: list[_Reported],
    nonblocking: list[_Reported],
    results: list[dict[str, Any]],
) -> str:
    payload = {
        "BlockingFindings": [r.to_json() for r in blocking],
        "NonBlockingFindings": [r.to_json() for r in nonblocking],
        "template": {
            "source": infra.source,
            "kind": infra.kind,
            "accountId": infra.account_id,
            "region": infra.region,
            "partition": infra.partition,
        },
        "policies": results,
        "approximations": [a.to_json() for a in infra.approximations],
        "catalog": catalog_json(),
    }
    return json.dumps(payload, indent=2) + "\n"


def _approximation_lines(infra: Infrastructure) -> list[str]:
    return [f"approximated: {a}" for a in infra.approximations]


# --- validate ---------------------------------------------------------------------------------


def _in_file(doc: PolicyDocument, span: Span | None) -> Span:
    """A finding's position in the file: its own, or the document's for a position inside an
    embedded document (a plan's JSON string)."""
    if span is not None and span.source == doc.location.source and span.line >= 1:
        return span
    return doc.location.span


def _findings(doc: PolicyDocument) -> list[Finding]:
    """The document's findings, placed in the file; none at a value the input does not fix
    (a placeholder is not what will be deployed, so what the validator says of it is not
    said of the template: the approximation is listed instead)."""
    if isinstance(doc.document, str):
        raw = validate_text(doc.document, policy_type=doc.policy_type, source=doc.label)
    else:
        raw = validate_document(doc.document, policy_type=doc.policy_type, source=doc.label)
    stand_ins = {(a.location.span.line, a.location.span.column) for a in doc.approximations}
    return [
        replace(f, span=_in_file(doc, f.span), message=f"{doc.resource} {doc.name}: {f.message}")
        for f in raw
        if f.span is None or (f.span.line, f.span.column) not in stand_ins
    ]


def run_template_validate(args: argparse.Namespace) -> int:
    """``validate --template-path``: every policy of the plan or template validated."""
    infra = _read(args)
    blocking_types = (
        DEFAULT_BLOCKING if args.treat_as_blocking is None else tuple(args.treat_as_blocking)
    )
    ignore = args.ignore_finding or ()
    documents: list[Document] = []
    blocking: list[_Reported] = []
    nonblocking: list[_Reported] = []
    results: list[dict[str, Any]] = []
    for doc in infra.policies:
        name = f"{doc.resource}.{doc.name}"
        if doc.document is None:
            documents.append(
                Document(source=infra.source, findings=(), name=name, unknown=str(doc.unknown))
            )
            results.append(_policy_json(doc, "UNKNOWN"))
            continue
        kept = [f for f in _findings(doc) if not _ignored(ignore, doc.resource, f.code)]
        for f in kept:
            assert f.span is not None
            reported = _Reported(
                finding_type=f.severity.value, code=f.code, message=f.message, doc=doc, span=f.span
            )
            (blocking if f.severity in blocking_types else nonblocking).append(reported)
        documents.append(Document(source=infra.source, findings=tuple(kept), name=name))
        failed = any(f.severity in blocking_types for f in kept)
        results.append(_policy_json(doc, "FAIL" if failed else "PASS"))
    if args.format == "json":
        text = _report_json(infra, blocking, nonblocking, results)
    elif args.format == "sarif":
        text = validation_sarif(documents)
    elif args.format == "junit":
        text = validation_junit(documents, frozenset(blocking_types))
    else:
        lines = validation_text(documents).splitlines()
        lines[-1:-1] = _approximation_lines(infra)
        lines.append(
            f"{len(blocking)} blocking, {len(nonblocking)} non-blocking finding(s) in "
            f"{infra.source} ({infra.kind})"
        )
        text = "\n".join(lines) + "\n"
    write_output(text, args.output)
    if blocking:
        return EXIT_FINDINGS
    return EXIT_UNKNOWN if any(d.unknown for d in documents) else EXIT_OK


# --- the checks -------------------------------------------------------------------------------

_Check = Callable[[PolicyDocument, Policy], Any]


def _load(doc: PolicyDocument) -> Policy:
    """The document's IR, after the ERROR check ``check-*`` applies to a policy file (an
    ERROR at a placeholder is not the template's, as for ``validate``)."""
    errors = [f for f in _findings(doc) if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        raise PolicyError(
            f"{first.message} (validate --template-path lists every finding)",
            span=first.span,
            code=first.code,
        )
    policy = doc.load()
    assert policy is not None
    return policy


def _check_plan(
    args: argparse.Namespace, command: str, infra: Infrastructure
) -> tuple[list[PolicyDocument], _Check]:
    """The policies the command checks and how it checks one, as AWS's validators do."""
    from cksmodel.symbolic.checks import (
        check_access_not_granted,
        check_no_new_access,
        check_no_public_access,
        read_policy_argument,
    )

    infra_policies: list[PolicyDocument] = list(infra.policies)
    timeout, most = args.timeout, args.max_counterexamples
    if command == "check-no-new-access":
        kind = args.reference_policy_type.upper().removesuffix("_POLICY")
        identity = kind == "IDENTITY"
        reference = read_policy_argument(
            args.reference_policy,
            policy_type=PolicyType.IDENTITY if identity else PolicyType.RESOURCE,
            name="reference",
        )
        types = _IDENTITY if identity else _RESOURCE
        return [d for d in infra_policies if d.policy_type in types], (
            lambda doc, policy: check_no_new_access(
                reference,
                policy,
                identity=doc.policy_type is PolicyType.IDENTITY,
                timeout=timeout,
                max_examples=most,
            )
        )
    if command == "check-access-not-granted":
        access = {"actions": args.actions or [], "resources": args.resources or []}
        return [d for d in infra_policies if d.policy_type in _IDENTITY + _RESOURCE], (
            lambda doc, policy: check_access_not_granted(
                policy,
                access,
                identity=doc.policy_type is PolicyType.IDENTITY,
                timeout=timeout,
                max_examples=most,
            )
        )
    return [d for d in infra_policies if d.public_type is not None], (
        lambda doc, policy: check_no_public_access(
            policy, str(doc.public_type), timeout=timeout, max_examples=most
        )
    )


def _in_plan(doc: PolicyDocument, result: Any) -> Any:
    """A result whose statement positions are the file's: a statement of a document embedded
    in a string (a plan's attribute) is placed at the attribute, its own line and column in
    the document kept as ``documentLine`` and ``documentColumn``."""
    if not isinstance(doc.document, str):
        return result
    at = doc.location.span
    reasons = tuple(
        {
            **r,
            "line": at.line,
            "column": at.column,
            "documentLine": r["line"],
            "documentColumn": r["column"],
        }
        for r in result.reasons
    )
    return replace(result, reasons=reasons)


def run_template_check(args: argparse.Namespace, command: str) -> int:
    """A ``check-*`` command with ``--template-path``: one check per policy."""
    from cksmodel.symbolic.checks import CheckResult, result_text

    if command == "check-no-new-access" and not (
        args.reference_policy and args.reference_policy_type
    ):
        usage(args, "--template-path needs --reference-policy and --reference-policy-type")
    if command == "check-access-not-granted" and not (args.actions or args.resources):
        usage(args, "--template-path needs --actions and/or --resources")
    infra = _read(args)
    policies, check = _check_plan(args, command, infra)
    ignore = args.ignore_finding or ()
    code = f"policy-analysis-{_OPERATIONS[command]}"
    outcomes: list[CheckOutcome] = []
    texts: list[str] = []
    blocking: list[_Reported] = []
    nonblocking: list[_Reported] = []
    results: list[dict[str, Any]] = []
    unknown = False
    for doc in policies:
        title = f"{doc.resource}.{doc.name}"
        if doc.document is None:
            word, message, details, seconds = "UNKNOWN", f"undecided: {doc.unknown}", {}, 0.0
            texts.append(f"{doc.location.span} {title}: UNKNOWN: {message}\n")
        else:
            result: CheckResult = _in_plan(doc, check(doc, _load(doc)))
            word, message, details = result.result, result.message, result.to_json()
            seconds = result.answer.elapsed
            if word == "PASS" and doc.approximations:
                word = "UNKNOWN"
                message = "PASS rests on approximated values: " + "; ".join(
                    a.message for a in doc.approximations
                )
                details = {**details, "result": word, "message": message}
            shown = replace(result, result=word, message=message)
            texts.append(f"{doc.location.span} {title}: " + result_text(shown))
        unknown = unknown or word == "UNKNOWN"
        results.append({**_policy_json(doc, word), "details": details})
        outcomes.append(
            CheckOutcome(
                command=command,
                result=word,
                message=message,
                sources=(infra.source,),
                details=details,
                time_s=seconds,
                name=title,
                span=doc.location.span,
            )
        )
        if word == "FAIL" and not _ignored(ignore, doc.resource, code):
            reported = _Reported(
                finding_type="SECURITY_WARNING",
                code=code,
                message=message,
                doc=doc,
                span=doc.location.span,
                details=details,
            )
            non = args.treat_findings_as_non_blocking
            (nonblocking if non else blocking).append(reported)
    if args.format == "json":
        text = _report_json(infra, blocking, nonblocking, results)
    elif args.format == "sarif":
        text = checks_sarif(command, outcomes)
    elif args.format == "junit":
        text = checks_junit(command, outcomes)
    else:
        if not outcomes:
            texts.append(f"{infra.source}: no policy that {command} checks\n")
        text = "".join(texts) + "".join(f"{line}\n" for line in _approximation_lines(infra))
        text += (
            f"{len(blocking)} blocking, {len(nonblocking)} non-blocking finding(s) in "
            f"{infra.source} ({infra.kind})\n"
        )
    write_output(text, args.output)
    if blocking:
        return EXIT_FINDINGS
    return EXIT_UNKNOWN if unknown else EXIT_OK
