"""Proving specs/cks.spec against the example bundles (invariants.prove), and every rendering.

Each example is proved once per module (about 20 s each); every format is
derived from that one report. Counterexamples are replayed here independently
of the prover: the request is rebuilt from its JSON, the policies from the
bundle, and the concrete evaluator decides.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cksmodel.account.access import ALLOW_ALL
from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.cks import model
from cksmodel.concrete.evaluate import evaluate, policy_allows, policy_statements
from cksmodel.concrete.request import Request, parse_principal
from cksmodel.invariants.prove import prove
from cksmodel.invariants.reports import fingerprint, sarif_json, to_junit, to_sarif, to_text
from cksmodel.invariants.results import ProveReport
from cksmodel.invariants.spec import Spec, SpecError, load_spec, parse_spec
from cksmodel.policy.catalog import get_catalog
from cksmodel.policy.ir import PolicySet
from cksmodel.policy.patterns import compile_glob
from cksmodel.symbolic.query import Verdict

REPO = Path(__file__).resolve().parents[2]
SARIF_DATA = Path(__file__).resolve().parents[1] / "data" / "sarif"
SPEC = "specs/cks.spec"
COMPLIANT = "examples/cks-account"
BROKEN = "examples/cks-account-broken"
ACCOUNT_ID = "111122223333"
SLR = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
SETTLEMENT_KEY = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

BUILTIN_INVARIANTS = (
    "slr_trust",
    "slr_permissions_scope",
    "slr_cannot_manage_cloudhsm",
    "slr_is_protected",
    "slr_not_created_directly",
    "first_store_needs_slr_permission",
    "slr_used_only_while_store_active",
    "key_user_no_store_management",
    "key_user_cannot_delete_store",
    "store_manager_roles_are_tamper_proof",
    "key_users_cannot_administer_keys",
    "key_users_cannot_regrant",
    "key_manager_needs_nothing_extra",
    "store_key_policy_is_default",
    "key_users_need_nothing_store_specific",
    "delete_requires_disconnected_and_empty",
    "keys_unusable_while_disconnected",
    "create_key_requires_connected_cluster",
    "disconnect_refused_while_disconnecting_or_disconnected",
    "connect_refused_while_disconnecting_or_failed",
    "stores_only_in_supported_regions",
)
APP_INVARIANTS = (
    "store_manager_least_privilege",
    "store_manager_role_is_tamper_proof",
    "payments_app_least_privilege",
    "ledger_app_least_privilege",
)
"""The examples' own invariants (``app.spec`` beside each bundle): they name its roles."""
INVARIANTS = BUILTIN_INVARIANTS + APP_INVARIANTS
REFUTED_ON_BROKEN = frozenset(
    {
        "slr_trust",
        "store_manager_roles_are_tamper_proof",
        "store_manager_least_privilege",
        "store_manager_role_is_tamper_proof",
        "key_users_cannot_regrant",
        "key_manager_needs_nothing_extra",
        "payments_app_least_privilege",
    }
)


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


@dataclass(frozen=True)
class Proved:
    bundle: str
    specs: tuple[Spec, ...]
    account: Account
    report: ProveReport

    def result(self, name: str) -> Any:
        (found,) = [r for r in self.report.results if r.name == name]
        return found


def _prove(bundle: str) -> Iterator[Proved]:
    # from the checkout, so every source in the report is a relative path
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        specs = (load_spec(Path(SPEC)), load_spec(Path(app_spec(bundle))))
        account = load_bundle(Path(bundle))
        report = prove(specs, account)
    yield Proved(bundle, specs, account, report)


def app_spec(bundle: str) -> str:
    return f"{bundle}/app.spec"


def spec_of(name: str, bundle: str) -> str:
    """The spec file that states an invariant."""
    return SPEC if name in BUILTIN_INVARIANTS else app_spec(bundle)


@pytest.fixture(scope="module")
def compliant() -> Iterator[Proved]:
    yield from _prove(COMPLIANT)


@pytest.fixture(scope="module")
def broken() -> Iterator[Proved]:
    yield from _prove(BROKEN)


# --------------------------------------------------------------------------- #
# replaying counterexamples without the prover


def request_of(example: dict[str, Any]) -> Request:
    """A counterexample's request, rebuilt the way a scenario file is read."""
    raw = example["request"]
    context = {
        k.lower(): tuple(v) if isinstance(v, list) else v for k, v in raw.get("context", {}).items()
    }
    return Request(
        principal=parse_principal(raw["principal"], role_arn=raw.get("principal_role_arn")),
        action=raw["action"],
        resource=raw["resource"],
        resource_account=raw.get("resource_account"),
        context=context,
    )


def policy_set_for(account: Account, request: Request) -> PolicySet:
    """The policies deciding the request: the caller's (anything, for callers outside
    the bundle), the key policy and grants of a key, the trust policy of a role being
    assumed, the organization's, and AWS's own protections."""
    resource_policy = None
    grants: tuple[Any, ...] = ()
    key = account.key(request.resource) if request.resource.startswith("arn:") else None
    if key is not None:
        resource_policy, grants = key.policy, key.grants
    elif request.action.lower().startswith("sts:assumerole"):
        role = account.principal(request.resource)
        assert role is not None, request.resource
        resource_policy = role.trust_policy
    protections = (model.protections_policy(),)
    caller = request.principal.principal_arn
    principal = account.principal(caller) if caller else None
    if principal is None or request.principal.account != account.account_id:
        return PolicySet(
            identity=(ALLOW_ALL,),
            resource=resource_policy,
            grants=grants,
            protections=protections,
        )
    base = account.policy_set(principal, resource_policy=resource_policy, grants=grants)
    return PolicySet(
        identity=base.identity,
        boundary=base.boundary,
        resource=base.resource,
        scps=base.scps,
        rcps=base.rcps,
        grants=base.grants,
        management_account=base.management_account,
        protections=protections,
    )


def identity_allows(account: Account, request: Request) -> bool:
    """What ``permissions(...)`` is about: the identity policies within the boundary."""
    caller = request.principal.principal_arn
    principal = account.principal(caller) if caller else None
    assert principal is not None
    allowed = any(policy_allows(p, request) for p in principal.policies) and not any(
        policy_statements(p, request)[1] for p in principal.policies
    )
    if principal.boundary is not None:
        allowed = allowed and policy_allows(principal.boundary, request)
    return allowed


def matches(patterns: tuple[str, ...] | list[str], action: str) -> bool:
    return any(compile_glob(p, True).match(action.lower()) for p in patterns)


SPEC_LISTS = {
    "store_manager_role_is_tamper_proof": (
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary",
    ),
    "key_manager_needs_nothing_extra": (
        "kms:CreateCustomKeyStore",
        "kms:ConnectCustomKeyStore",
        "kms:DeleteCustomKeyStore",
    ),
    "payments_app_least_privilege": (
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
    ),
}


def settlement_key_arn() -> str:
    return f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{SETTLEMENT_KEY}"


EXPECTED_COUNTEREXAMPLES: dict[str, dict[str, Any]] = {
    # principal: the "principal" the quantifier picked (None: a caller outside the bundle);
    # caller: the account of the request's caller; decision: which replay applies
    "slr_trust": {
        "principal": None,
        "caller_account": "444455556666",
        "decision": "decision",
        "action": lambda a: a.lower() == "sts:assumerole",
        "resource": role_arn(f"aws-service-role/cks.kms.amazonaws.com/{SLR}"),
    },
    "store_manager_least_privilege": {
        "principal": role_arn("cks-store-manager"),
        "caller_account": ACCOUNT_ID,
        "decision": "identity",
        "action": lambda a: not matches(model.LEAST_PRIVILEGE["store_manager"], a),
        "resource": None,
    },
    "store_manager_roles_are_tamper_proof": {
        "principal": role_arn("ci-deployer"),
        "caller_account": ACCOUNT_ID,
        "decision": "decision",
        "action": lambda a: matches(SPEC_LISTS["store_manager_role_is_tamper_proof"], a),
        "resource": role_arn("cks-store-manager"),
    },
    "store_manager_role_is_tamper_proof": {
        "principal": role_arn("ci-deployer"),
        "caller_account": ACCOUNT_ID,
        "decision": "decision",
        "action": lambda a: matches(SPEC_LISTS["store_manager_role_is_tamper_proof"], a),
        "resource": role_arn("cks-store-manager"),
    },
    "key_users_cannot_regrant": {
        "principal": role_arn("ledger-app"),
        "caller_account": ACCOUNT_ID,
        "decision": "decision",
        "action": lambda a: a.lower() == "kms:creategrant",
        "resource": settlement_key_arn(),
    },
    "key_manager_needs_nothing_extra": {
        # v3 of cks/cks-store-manager adds kms:CreateKey: the store manager is now a
        # key manager, one that can also manage custom key stores
        "principal": role_arn("cks-store-manager"),
        "caller_account": ACCOUNT_ID,
        "decision": "decision",
        "action": lambda a: matches(SPEC_LISTS["key_manager_needs_nothing_extra"], a),
        "resource": "*",
    },
    "payments_app_least_privilege": {
        "principal": role_arn("payments-app"),
        "caller_account": ACCOUNT_ID,
        "decision": "identity",
        "action": lambda a: not matches(SPEC_LISTS["payments_app_least_privilege"], a),
        "resource": None,
    },
}


# --------------------------------------------------------------------------- #
# source locations


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    assert 1 <= line <= len(lines), (line, len(lines))
    return sum(len(x) for x in lines[: line - 1]) + column - 1


_EMBEDDED = re.compile(r"(?P<file>.+?):(?P<line>\d+):(?P<column>\d+) .+ \(embedded document\)")


def value_at(source: str, line: int, column: int) -> Any:
    """The JSON value that starts at a location; embedded documents are followed."""
    m = _EMBEDDED.fullmatch(source)
    if m is not None:
        text = value_at(m["file"], int(m["line"]), int(m["column"]))
        assert isinstance(text, str), source
    else:
        text = (REPO / source).read_text(encoding="utf-8")
    offset = _offset(text, line, column)
    value, _ = json.JSONDecoder().raw_decode(text, offset)
    return value


def spec_line(name: str, bundle: str) -> int:
    lines = (REPO / spec_of(name, bundle)).read_text(encoding="utf-8").splitlines()
    (found,) = [i + 1 for i, x in enumerate(lines) if x.startswith(f"invariant {name} ")]
    return found


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------- #
# the compliant account


def test_compliant_every_invariant_is_proved(compliant: Proved) -> None:
    report = compliant.report
    assert [r.name for r in report.results] == list(INVARIANTS)
    assert [i.name for s in compliant.specs for i in s.invariants] == list(INVARIANTS)
    assert {r.name: r.verdict for r in report.results} == dict.fromkeys(INVARIANTS, Verdict.PROVED)
    for r in report.results:
        assert r.counterexamples == () and r.reason == "", r.name
        assert r.time_s >= 0
    assert report.exit_code == 0
    assert report.account == COMPLIANT
    assert report.specs == (SPEC, app_spec(COMPLIANT))
    assert report.warnings == ()


@pytest.mark.parametrize("which", ["compliant", "broken"])
def test_every_result_locates_its_invariant_in_the_spec(
    which: str, request: pytest.FixtureRequest
) -> None:
    proved: Proved = request.getfixturevalue(which)
    invariants = [i for s in proved.specs for i in s.invariants]
    for r, inv in zip(proved.report.results, invariants, strict=True):
        spec_locations = [loc for loc in r.locations if loc.role == "spec"]
        assert len(spec_locations) == 1, r.name
        loc = spec_locations[0]
        assert r.locations[0] is loc, "the invariant itself comes first"
        assert (loc.span.source, loc.span.line, loc.span.column) == (
            spec_of(r.name, proved.bundle),
            spec_line(r.name, proved.bundle),
            1,
        )
        assert loc.span == inv.span
        assert loc.description == r.title == inv.title
        if r.verdict is Verdict.PROVED:
            assert r.locations == (loc,), r.name


# --------------------------------------------------------------------------- #
# the broken account


def test_broken_refutes_exactly_the_five_mistakes(broken: Proved) -> None:
    report = broken.report
    assert [r.name for r in report.results] == list(INVARIANTS)
    verdicts = {r.name: r.verdict for r in report.results}
    assert {n for n, v in verdicts.items() if v is Verdict.REFUTED} == REFUTED_ON_BROKEN
    assert {n for n, v in verdicts.items() if v is not Verdict.REFUTED} == {
        n for n, v in verdicts.items() if v is Verdict.PROVED
    }, "nothing is UNKNOWN"
    assert report.exit_code == 1
    assert report.account == BROKEN
    assert report.warnings == ()
    for r in report.results:
        if r.verdict is Verdict.REFUTED:
            assert len(r.counterexamples) >= 1, r.name
            assert r.reason == "", r.name
        else:
            assert r.counterexamples == (), r.name


@pytest.mark.parametrize("name", sorted(REFUTED_ON_BROKEN))
def test_broken_counterexample_principals(broken: Proved, name: str) -> None:
    expected = EXPECTED_COUNTEREXAMPLES[name]
    for example in broken.result(name).counterexamples:
        assert example.get("principal") == expected["principal"], example
        request = request_of(example)
        assert request.principal.account == expected["caller_account"], example
        if expected["principal"] is not None:
            assert request.principal.principal_arn == expected["principal"], example
        assert expected["action"](request.action), example
        if expected["resource"] is not None:
            assert request.resource == expected["resource"], example


@pytest.mark.parametrize("name", sorted(REFUTED_ON_BROKEN))
def test_broken_counterexamples_replay_through_the_evaluator(broken: Proved, name: str) -> None:
    account = broken.account
    for example in broken.result(name).counterexamples:
        request = request_of(example)
        decisions = example["decisions"]
        if EXPECTED_COUNTEREXAMPLES[name]["decision"] == "decision":
            assert decisions == {"decision": "allowed"}
            decision = evaluate(request, policy_set_for(account, request))
            assert decision.decision.value == "allowed", (example, decision.reasons)
        else:
            assert decisions == {"identity": "allowed"}
            assert identity_allows(account, request), example


def test_the_replays_are_not_vacuous(compliant: Proved, broken: Proved) -> None:
    """The same counterexample requests are refused in the compliant account."""
    for name in (
        "slr_trust",
        "store_manager_roles_are_tamper_proof",
        "store_manager_role_is_tamper_proof",
        "key_users_cannot_regrant",
    ):
        for example in broken.result(name).counterexamples:
            request = request_of(example)
            decision = evaluate(request, policy_set_for(compliant.account, request))
            assert decision.decision.value != "allowed", (name, example)
    for name in ("store_manager_least_privilege", "payments_app_least_privilege"):
        for example in broken.result(name).counterexamples:
            assert not identity_allows(compliant.account, request_of(example)), name


MISTAKES = {
    # invariant: (file of the mistake, what the located statement or grant holds)
    "slr_trust": (
        f"{BROKEN}/iam/account-authorization-details.json",
        lambda v: "arn:aws:iam::444455556666:root" in json.dumps(v.get("Principal")),
    ),
    "store_manager_role_is_tamper_proof": (
        f"{BROKEN}/iam/account-authorization-details.json",
        lambda v: v.get("Sid") == "ManageServiceRoles",
    ),
    "store_manager_roles_are_tamper_proof": (
        f"{BROKEN}/iam/account-authorization-details.json",
        lambda v: v.get("Sid") == "ManageServiceRoles",
    ),
    "key_users_cannot_regrant": (
        f"{BROKEN}/kms/keys/{SETTLEMENT_KEY}/grants.json",
        lambda v: v.get("Name") == "ledger-settlement" and "CreateGrant" in v["Operations"],
    ),
    "key_manager_needs_nothing_extra": (
        f"{BROKEN}/iam/account-authorization-details.json",
        lambda v: "kms:CreateKey" in _as_list(v.get("Action", [])),
    ),
    "store_manager_least_privilege": (
        f"{BROKEN}/iam/account-authorization-details.json",
        lambda v: "kms:ScheduleKeyDeletion" in _as_list(v.get("Action", [])),
    ),
    "payments_app_least_privilege": (
        f"{BROKEN}/iam/account-authorization-details.json",
        lambda v: _as_list(v.get("Action", [])) == ["kms:*"],
    ),
}


@pytest.mark.parametrize("name", sorted(REFUTED_ON_BROKEN))
def test_broken_results_point_at_the_mistake(broken: Proved, name: str) -> None:
    """Provenance: a refutation names the statement (or grant) that allows the request."""
    result = broken.result(name)
    policy_locations = [loc for loc in result.locations if loc.role == "policy"]
    assert policy_locations, f"{name}: no policy location explains the counterexample"
    file, holds = MISTAKES[name]
    at_mistake = [
        loc
        for loc in policy_locations
        if loc.span.source == file and holds(value_at(file, loc.span.line, loc.span.column))
    ]
    assert at_mistake, [loc.span for loc in policy_locations]


@pytest.mark.parametrize("name", sorted(REFUTED_ON_BROKEN))
def test_broken_policy_locations_are_allow_statements_for_the_request(
    broken: Proved, name: str
) -> None:
    result = broken.result(name)
    action = request_of(result.counterexamples[0]).action
    for loc in result.locations:
        if loc.role != "policy":
            continue
        value = value_at(loc.span.source, loc.span.line, loc.span.column)
        assert isinstance(value, dict), loc
        assert loc.description.endswith("allows it"), loc
        if "Operations" in value:  # a grant
            assert action.split(":")[1] in value["Operations"], loc
        else:
            assert value["Effect"] == "Allow", loc
            assert matches(_as_list(value["Action"]), action), loc


# --------------------------------------------------------------------------- #
# renderings of the broken report: SARIF, JUnit, JSON, text


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SARIF_DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def schema_errors(log: dict[str, Any]) -> list[str]:
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


@pytest.mark.parametrize("which", ["compliant", "broken"])
def test_sarif_validates_and_has_one_rule_and_result_per_invariant(
    which: str, request: pytest.FixtureRequest
) -> None:
    proved: Proved = request.getfixturevalue(which)
    text = sarif_json(proved.report)
    log = json.loads(text)
    assert schema_errors(log) == []
    assert text == sarif_json(proved.report), "deterministic"
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == list(INVARIANTS)
    results = run["results"]
    assert [r["ruleId"] for r in results] == list(INVARIANTS)
    assert [r["ruleIndex"] for r in results] == list(range(len(INVARIANTS)))
    for r, result in zip(results, proved.report.results, strict=True):
        refuted = result.verdict is Verdict.REFUTED
        assert (r["kind"], r["level"]) == (("fail", "error") if refuted else ("pass", "none"))
        assert r["properties"]["verdict"] == result.verdict.value
        assert r["properties"]["counterexamples"] == list(result.counterexamples)
        assert r["partialFingerprints"] == {"cksmodel/v1": fingerprint(result)}
        (location,) = r["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == spec_of(result.name, proved.bundle)
        assert physical["region"] == {
            "startLine": spec_line(result.name, proved.bundle),
            "startColumn": 1,
        }
        assert r["message"]["text"].startswith(f"{result.verdict.value}: ")
        assert ("relatedLocations" in r) == (
            refuted and any(loc.role == "policy" for loc in result.locations)
        )
    assert run["properties"] == {
        "account": proved.report.account,
        "accountId": "111122223333",
        "bundledExample": False,
        "specs": [SPEC, app_spec(proved.bundle)],
        "warnings": [],
        "catalog": get_catalog().to_json(),
    }


def test_sarif_for_upload_leaves_out_the_proved(broken: Proved) -> None:
    log = to_sarif(broken.report, include_proved=False)
    assert schema_errors(log) == []
    assert sorted(r["ruleId"] for r in log["runs"][0]["results"]) == sorted(REFUTED_ON_BROKEN)
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(INVARIANTS)


def test_sarif_artifact_uris_name_files_of_the_checkout(broken: Proved) -> None:
    """A code-scanning upload can only show locations whose URI is a real file."""
    log = to_sarif(broken.report)
    uris = set()
    for r in log["runs"][0]["results"]:
        for loc in r["locations"] + r.get("relatedLocations", []):
            uris.add(loc["physicalLocation"]["artifactLocation"]["uri"])
    assert SPEC in uris
    missing = sorted(u for u in uris if not (REPO / u).is_file())
    assert missing == []


def test_junit_has_one_testcase_per_invariant_and_fails_the_refuted(broken: Proved) -> None:
    xml = to_junit(broken.report)
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(SARIF_DATA / "junit-10.xsd")).validate(xml)
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("25", "7", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(INVARIANTS)
    for case, result in zip(cases, broken.report.results, strict=True):
        assert case.get("classname") == spec_of(result.name, BROKEN)
        failure = case.find("failure")
        assert case.find("error") is None
        if result.name in REFUTED_ON_BROKEN:
            assert failure is not None, result.name
            assert failure.get("type") == "REFUTED"
            assert (failure.get("message") or "").startswith("REFUTED; counterexample: ")
            assert json.loads(failure.text or "") == list(result.counterexamples)
        else:
            assert failure is None, result.name
    props = {(p.get("name"), p.get("value")) for p in suite.iter("property")}
    assert props == {("account", BROKEN), ("spec", SPEC), ("spec", app_spec(BROKEN))}


def test_junit_of_the_compliant_report_has_no_failures(compliant: Proved) -> None:
    suite = ET.fromstring(to_junit(compliant.report)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("25", "0", "0")
    assert not list(suite.iter("failure")) and not list(suite.iter("error"))


def test_json_report(broken: Proved) -> None:
    data = json.loads(json.dumps(broken.report.to_json()))
    assert set(data) == {
        "account",
        "account_id",
        "bundled_example",
        "specs",
        "warnings",
        "catalog",
        "results",
    }
    assert data["catalog"]["date"] == get_catalog().data_date
    assert (data["account"], data["specs"], data["warnings"]) == (
        BROKEN,
        [SPEC, app_spec(BROKEN)],
        [],
    )
    assert (data["account_id"], data["bundled_example"]) == ("111122223333", False)
    assert [r["name"] for r in data["results"]] == list(INVARIANTS)
    for r in data["results"]:
        assert set(r) == {
            "name",
            "title",
            "verdict",
            "reason",
            "time_s",
            "counterexamples",
            "locations",
        }
        assert r["verdict"] == ("REFUTED" if r["name"] in REFUTED_ON_BROKEN else "PROVED")
        assert r["locations"][0]["role"] == "spec"
        assert r["locations"][0]["source"] == spec_of(r["name"], BROKEN)
        for example in r["counterexamples"]:
            request_of(example)  # every counterexample is a readable request


def test_text_report(broken: Proved) -> None:
    text = to_text(broken.report)
    lines = text.splitlines()
    assert lines[0] == f"account 111122223333: bundle {BROKEN}"
    assert lines[2].split() == ["invariant", "verdict", "time", "counterexample", "/", "reason"]
    rows = lines[3 : 3 + len(INVARIANTS)]
    for row, result in zip(rows, broken.report.results, strict=True):
        name, verdict, *_ = row.split()
        assert (name, verdict) == (result.name, result.verdict.value)
        if result.verdict is Verdict.REFUTED:
            principal = result.counterexamples[0]["request"]["principal"]
            assert row.endswith("counterexample, below")
            assert f"principal: {principal}" in text
    assert lines[-1] == "18 proved, 7 refuted, 0 unknown"
    assert to_text(broken.report).endswith("\n")


# --------------------------------------------------------------------------- #
# UNKNOWN is honest

SOLVER_BACKED = f"""
invariant store_manager_within "The store manager holds only store-manager permissions":
  permissions(role "cks-store-manager") within least_privilege store_manager

invariant slr_trust "Only AWS KMS can assume the role":
  forall principal p:
    can(p, "sts:AssumeRole", role "{SLR}")
      implies p == service "cks.kms.amazonaws.com"

invariant store_key_policy_is_default "No store key policy is broader than the default":
  forall key k in store_keys:
    key_policy(k) within default_key_policy
"""


def test_a_timeout_is_unknown_never_proved(compliant: Proved) -> None:
    spec = parse_spec(SOLVER_BACKED, "solver.spec")
    report = prove([spec], compliant.account, timeout=1e-6)
    assert [(r.name, r.verdict) for r in report.results] == [
        ("store_manager_within", Verdict.UNKNOWN),
        ("slr_trust", Verdict.UNKNOWN),
        ("store_key_policy_is_default", Verdict.UNKNOWN),
    ]
    for r in report.results:
        assert "timeout" in r.reason, r
        assert r.counterexamples == ()
    assert report.exit_code == 3
    log = to_sarif(report)
    assert schema_errors(log) == []
    assert {(r["kind"], r["level"]) for r in log["runs"][0]["results"]} == {("fail", "warning")}
    suite = ET.fromstring(to_junit(report)).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("0", "3")
    assert to_text(report).splitlines()[-1] == "0 proved, 0 refuted, 3 unknown"


def test_refuted_wins_over_unknown_in_the_exit_code(compliant: Proved) -> None:
    spec = parse_spec(
        SOLVER_BACKED + 'invariant never "A plain falsehood":\n  false\n', "solver.spec"
    )
    report = prove([spec], compliant.account, timeout=1e-6)
    assert [r.verdict for r in report.results][-1] is Verdict.REFUTED
    assert report.exit_code == 1


def _mini_bundle(root: Path, *, deny_decrypt: bool, clusters: bool) -> Account:
    """One role that may do all of KMS (and, if asked, is denied kms:Decrypt), one key."""
    root.mkdir()
    (root / "iam").mkdir()
    (root / "account.json").write_text(
        json.dumps({"account_id": ACCOUNT_ID, "regions": ["us-east-1"]}), encoding="utf-8"
    )
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["kms:*", "iam:CreateServiceLinkedRole"], "Resource": "*"}
    ]
    if deny_decrypt:
        # Always applies, but only the solver can tell: no syntactic shortcut decides it.
        statements.append(
            {
                "Effect": "Deny",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringLikeIfExists": {"aws:RequestedRegion": "*"}},
            }
        )
    role = {
        "Path": "/",
        "RoleName": "ops",
        "RoleId": "AROA44QMYQTGRGHXH4CWX",
        "Arn": role_arn("ops"),
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        "RolePolicyList": [
            {
                "PolicyName": "ops",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }
        ],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }
    (root / "iam" / "account-authorization-details.json").write_text(
        json.dumps(
            {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [role], "Policies": []}
        ),
        encoding="utf-8",
    )
    key = "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e"
    folder = root / "kms" / "keys" / key
    folder.mkdir(parents=True)
    for name in ("describe-key.json", "key-policy.json", "grants.json"):
        shutil.copy(REPO / COMPLIANT / "kms" / "keys" / key / name, folder / name)
    shutil.copy(REPO / COMPLIANT / "kms" / "custom-key-stores.json", root / "kms")
    if clusters:
        (root / "cloudhsm").mkdir()
        shutil.copy(REPO / COMPLIANT / "cloudhsm" / "clusters.json", root / "cloudhsm")
    return load_bundle(root)


NOBODY_DECRYPTS = parse_spec(
    'invariant nobody_decrypts "No key of a store is ever used to decrypt":\n'
    "  lifecycle within 8 steps: Decrypt requires keys < 0\n",
    "lifecycle.spec",
)


def test_a_lifecycle_refutation_needs_the_permissions_it_uses(tmp_path: Path) -> None:
    """kms:Decrypt is denied to everyone: no trace can contain a Decrypt. When the
    permission question times out, the answer is UNKNOWN, not a trace that assumes it."""
    account = _mini_bundle(tmp_path / "b", deny_decrypt=True, clusters=True)
    (proved,) = prove([NOBODY_DECRYPTS], account).results
    assert proved.verdict is Verdict.PROVED
    (hurried,) = prove([NOBODY_DECRYPTS], account, timeout=1e-6).results
    assert hurried.verdict is Verdict.UNKNOWN, hurried.counterexamples


def test_lifecycle_without_the_cluster_is_not_proved(tmp_path: Path) -> None:
    """The bundle warns that without cloudhsm/clusters.json whether a key can be created
    in a store cannot be decided: an invariant that fails once a key exists is UNKNOWN."""
    with_cluster = _mini_bundle(tmp_path / "with", deny_decrypt=False, clusters=True)
    (known,) = prove([NOBODY_DECRYPTS], with_cluster).results
    assert known.verdict is Verdict.REFUTED
    assert known.counterexamples[0]["trace"][-1].startswith("Decrypt: ")
    without = _mini_bundle(tmp_path / "without", deny_decrypt=False, clusters=False)
    assert any("clusters.json is missing" in w for w in without.warnings)
    (unknown,) = prove([NOBODY_DECRYPTS], without).results
    assert unknown.verdict is not Verdict.PROVED


# --------------------------------------------------------------------------- #
# quantifiers


@pytest.mark.parametrize(
    ("formula", "verdict"),
    [
        pytest.param("exists p in account: false", Verdict.REFUTED, id="exists-in-account-false"),
        pytest.param("forall p in account: true", Verdict.PROVED, id="forall-in-account-true"),
        pytest.param("exists principal p: false", Verdict.REFUTED, id="exists-principal-false"),
        pytest.param("forall principal p: true", Verdict.PROVED, id="forall-principal-true"),
        pytest.param(
            f'exists principal p: can(p, "sts:AssumeRole", role "{SLR}")',
            Verdict.PROVED,  # cks.kms.amazonaws.com can
            id="exists-principal-who-can-assume-the-slr",
        ),
    ],
)
def test_quantifiers(compliant: Proved, formula: str, verdict: Verdict) -> None:
    spec = parse_spec(f'invariant q "t":\n  {formula}\n', "q.spec")
    (result,) = prove([spec], compliant.account).results
    assert result.verdict is verdict


def test_several_specs_are_proved_in_order(compliant: Proved) -> None:
    a = parse_spec('invariant yes "t": true\ninvariant no "f": false\n', "a.spec")
    b = parse_spec('invariant again "t": not false\n', "b.spec")
    report = prove([a, b], compliant.account)
    assert [(r.name, r.verdict) for r in report.results] == [
        ("yes", Verdict.PROVED),
        ("no", Verdict.REFUTED),
        ("again", Verdict.PROVED),
    ]
    assert report.specs == ("a.spec", "b.spec")
    assert [r.locations[0].span.source for r in report.results] == ["a.spec", "a.spec", "b.spec"]
    assert report.exit_code == 1
    assert prove([b], compliant.account).exit_code == 0


def test_cyclic_personas_are_a_spec_error() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(
            "persona a = persona b | persona key_user\n"
            "persona b = persona a\n"
            'invariant x "t":\n'
            "  forall p in persona a: true\n",
            "cycle.spec",
        )
    assert info.value.code == "E_SPEC_NAME"
    assert info.value.span is not None and info.value.span.source == "cycle.spec"


# --------------------------------------------------------------------------- #
# names the bundle does not have


@pytest.mark.parametrize(
    ("formula", "line", "column", "what"),
    [
        pytest.param('can(role "nope", "kms:Decrypt", key *)', 2, 7, "role 'nope'", id="can-role"),
        pytest.param(
            'permissions(role "nope") within ["kms:Decrypt"]',
            2,
            15,
            "role 'nope'",
            id="permissions-role",
        ),
        pytest.param(
            'not can(role "ledger-app", "iam:PassRole", role "nope")',
            2,
            7,
            "role 'nope'",
            id="resource-role",
        ),
        pytest.param(
            'forall principal p: can(p, "sts:AssumeRole", role "nope") implies p == anonymous',
            2,
            23,
            "role 'nope'",
            id="symbolic-resource-role",
        ),
        pytest.param(
            'forall principal p: can(p, "kms:Decrypt", key *) implies p == role "nope"',
            2,
            65,
            "role 'nope'",
            id="equal-to-absent-role",
        ),
        pytest.param(
            'not can(role "ledger-app", "kms:Decrypt", key "nope")',
            2,
            7,
            "key 'nope'",
            id="key",
        ),
        pytest.param('not can(user "nope", "kms:Decrypt", key *)', 2, 11, "user 'nope'", id="user"),
    ],
)
def test_absent_roles_users_and_keys(
    compliant: Proved, formula: str, line: int, column: int, what: str
) -> None:
    spec = parse_spec(f'invariant a "t":\n  {formula}\n', "absent.spec")
    with pytest.raises(SpecError) as info:
        prove([spec], compliant.account)
    exc = info.value
    assert exc.code == "E_SPEC_ABSENT"
    assert exc.span is not None
    assert (exc.span.source, exc.span.line, exc.span.column) == ("absent.spec", line, column)
    assert f"{what} is not in the account bundle" in exc.message


def test_an_absent_role_in_a_persona(compliant: Proved) -> None:
    spec = parse_spec(
        'persona assumers = principals that can "sts:AssumeRole" on role "nope"\n'
        'invariant a "t":\n'
        "  forall p in persona assumers: false\n",
        "absent.spec",
    )
    with pytest.raises(SpecError) as info:
        prove([spec], compliant.account)
    assert info.value.code == "E_SPEC_ABSENT"
    assert info.value.span is not None
    assert (info.value.span.line, info.value.span.column) == (1, 20)


# --------------------------------------------------------------------------- #
# can*: directly or through escalation


ESCALATION = """
invariant only_store_people_delete_stores "Only the store manager and its two users delete stores":
  forall p in account:
    can*(p, "kms:DeleteCustomKeyStore", "*")
      implies (p == role "cks-store-manager" or p == user "erin" or p == user "frank")

invariant alice_never_schedules_deletion "alice cannot schedule a key deletion, even indirectly":
  not can*(user "alice", "kms:ScheduleKeyDeletion", key *)

invariant ci_can_reach_store_deletion "ci-deployer can delete a store through escalation":
  can*(role "ci-deployer", "kms:DeleteCustomKeyStore", "*")
"""


def test_can_star_follows_escalation_paths(broken: Proved) -> None:
    report = prove([parse_spec(ESCALATION, "escalation.spec")], broken.account)
    verdicts = {r.name: r.verdict for r in report.results}
    assert verdicts == {
        "only_store_people_delete_stores": Verdict.REFUTED,
        "alice_never_schedules_deletion": Verdict.PROVED,
        "ci_can_reach_store_deletion": Verdict.PROVED,
    }
    (refuted,) = [r for r in report.results if r.verdict is Verdict.REFUTED]
    example = refuted.counterexamples[0]
    assert example["principal"].endswith(":role/Admin")
    assert [h["via"] for h in example["path"]][-1] == "kms:DeleteCustomKeyStore"
    assert any(
        loc.span.source.endswith("account-authorization-details.json") for loc in refuted.locations
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'invariant x "x":\n  forall principal p: can*(p, "kms:Decrypt", "*")\n',
            "forall p in account",
        ),
        (
            'invariant x "x":\n  can*(role "Admin", "kms:Decrypt", "arn:aws:kms:*:*:key/*")\n',
            "concrete resource",
        ),
        (
            'invariant x "x":\n  can*(service "ec2.amazonaws.com", "kms:Decrypt", "*")\n',
            "principal of the bundle",
        ),
    ],
    ids=["outsiders", "resource-pattern", "service"],
)
def test_can_star_misuse_is_a_spec_error(broken: Proved, text: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        prove([parse_spec(text, "bad.spec")], broken.account)
    assert caught.value.code == "E_SPEC_TYPE"
    assert message in str(caught.value)
