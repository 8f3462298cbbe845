"""Every public entry point checks its arguments at the call (cksmodel.arguments).

Each misuse is one table row: the call, the exception it raises (a TypeError or
ValueError that is also an InputError, or the stage's own InputError) and the
start of the message, which names the argument. The natural forms a user would
pass (a scenario for a policy set, a path for a bundle or a spec) are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import cksmodel
from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.arguments import ArgumentTypeError, ArgumentValueError
from cksmodel.concrete.scenario import as_policies
from cksmodel.errors import InputError
from cksmodel.graph import AccessGraph, build_graph, paths, who_can
from cksmodel.graph import can as graph_can
from cksmodel.invariants.prove import prove
from cksmodel.invariants.spec import Persona, SetExpr, Spec, parse_spec
from cksmodel.notebook.whatif import Model
from cksmodel.policy.ir import PolicySet
from cksmodel.source import Span

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "examples" / "cks-account"
SCENARIO_FILE = REPO / "examples" / "scenarios" / "key-user-decrypt.json"
SCENARIO: dict[str, Any] = json.loads(SCENARIO_FILE.read_text(encoding="utf-8"))
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
}
TRIVIAL = 'invariant trivial "t": true\n'
ADMIN = "role/Admin"


@cache
def policies() -> PolicySet:
    return cksmodel.load_scenario(SCENARIO)[1]


@cache
def account() -> Account:
    return load_bundle(BUNDLE)


@cache
def graph() -> AccessGraph:
    return build_graph(account())


@cache
def model() -> Model:
    return Model(account=account())


@cache
def spec() -> Spec:
    return parse_spec(TRIVIAL, "trivial.spec")


def circular() -> Spec:
    """A spec built by hand, not parsed: persona a is b, and b is a."""
    span = Span(source="by-hand", line=1, column=1)
    personas = {
        a: Persona(name=a, members=SetExpr(op="persona", name=b), span=span)
        for a, b in (("a", "b"), ("b", "a"))
    }
    return Spec(source="by-hand", personas=personas, invariants=())


TYPE = ArgumentTypeError
VALUE = ArgumentValueError

MISUSE: dict[str, tuple[Callable[[], object], type[Exception], str]] = {
    # id: (call, exception, start of the message)
    # --- scenarios and the concrete evaluator
    "simulate-an-int": (lambda: cksmodel.simulate(42), TYPE, "scenario: expected a scenario"),
    "simulate-none": (lambda: cksmodel.simulate(None), TYPE, "scenario: expected"),  # type: ignore[arg-type]
    "simulate-bytes": (lambda: cksmodel.simulate(b"{}"), TYPE, "scenario: expected"),  # type: ignore[arg-type]
    "simulate-a-policy-document": (
        lambda: cksmodel.simulate(POLICY),
        InputError,
        "this is a policy document, not a scenario",
    ),
    "evaluate-a-dict-request": (
        lambda: cksmodel.evaluate({}, policies()),  # type: ignore[arg-type]
        TYPE,
        "request: expected a Request",
    ),
    "evaluate-a-dict-policy-set": (
        lambda: cksmodel.evaluate(cksmodel.load_scenario(SCENARIO)[0], {}),  # type: ignore[arg-type]
        TYPE,
        "policies: expected a PolicySet",
    ),
    # --- symbolic questions
    "can-a-policy-document": (
        lambda: cksmodel.can(POLICY),
        TYPE,
        "policies: expected a PolicySet or a scenario",
    ),
    "can-an-int": (lambda: cksmodel.can(42), TYPE, "policies: expected a PolicySet"),  # type: ignore[arg-type]
    "can-a-missing-scenario-file": (
        lambda: cksmodel.can("no-such-policy.json"),
        InputError,
        "cannot read scenario file",
    ),
    "can-negative-timeout": (
        lambda: cksmodel.can(policies(), timeout=-5),
        VALUE,
        "timeout: expected a positive, finite number",
    ),
    "can-zero-timeout": (lambda: cksmodel.can(policies(), timeout=0), VALUE, "timeout:"),
    "can-nan-timeout": (lambda: cksmodel.can(policies(), timeout=float("nan")), VALUE, "timeout:"),
    "can-text-timeout": (
        lambda: cksmodel.can(policies(), timeout="30"),  # type: ignore[arg-type]
        TYPE,
        "timeout: expected a positive number of seconds, not str '30'",
    ),
    "can-negative-max-examples": (
        lambda: cksmodel.can(policies(), max_examples=-1),
        VALUE,
        "max_examples: expected a whole number of at least 1, not -1",
    ),
    "can-fractional-max-examples": (
        lambda: cksmodel.can(policies(), max_examples=1.5),  # type: ignore[arg-type]
        TYPE,
        "max_examples: expected a whole number",
    ),
    "can-boolean-max-examples": (
        lambda: cksmodel.can(policies(), max_examples=True),
        TYPE,
        "max_examples: expected a whole number",
    ),
    "can-constraint-not-callable": (
        lambda: cksmodel.can(policies(), constraint=42),  # type: ignore[arg-type]
        TYPE,
        "constraint: expected None or a function",
    ),
    "can-fixed-not-a-request": (
        lambda: cksmodel.can(policies(), fixed={}),  # type: ignore[arg-type]
        TYPE,
        "fixed: expected None or a Request",
    ),
    "always-denies-a-policy-document": (
        lambda: cksmodel.always_denies(POLICY),
        TYPE,
        "policies: expected a PolicySet",
    ),
    "always-denies-zero-timeout": (
        lambda: cksmodel.always_denies(policies(), timeout=0),
        VALUE,
        "timeout:",
    ),
    "implies-a-dict-first": (lambda: cksmodel.implies(POLICY, policies()), TYPE, "a: expected"),
    "implies-an-int-second": (
        lambda: cksmodel.implies(policies(), 42),  # type: ignore[arg-type]
        TYPE,
        "b: expected",
    ),
    "implies-zero-max-examples": (
        lambda: cksmodel.implies(policies(), policies(), max_examples=0),
        VALUE,
        "max_examples:",
    ),
    "equivalent-a-dict-second": (
        lambda: cksmodel.equivalent(policies(), POLICY),
        TYPE,
        "b: expected",
    ),
    "equivalent-negative-timeout": (
        lambda: cksmodel.equivalent(policies(), policies(), timeout=-1),
        VALUE,
        "timeout:",
    ),
    "compare-two-policy-documents": (lambda: cksmodel.compare(POLICY, POLICY), TYPE, "a: expected"),
    "compare-infinite-timeout": (
        lambda: cksmodel.compare(policies(), policies(), timeout=float("inf")),
        VALUE,
        "timeout:",
    ),
    # --- the reachability graph
    "build-graph-an-int": (lambda: build_graph(42), TYPE, "account: expected an Account"),  # type: ignore[arg-type]
    "build-graph-an-empty-path": (lambda: build_graph(""), VALUE, "account: expected"),
    "build-graph-a-missing-bundle": (
        lambda: build_graph(REPO / "no-such-bundle"),
        InputError,
        "bundle directory",
    ),
    "build-graph-negative-timeout": (
        lambda: build_graph(account(), timeout=-5),
        VALUE,
        "timeout:",
    ),
    "who-can-not-a-graph": (
        lambda: who_can({}, "kms:Decrypt"),  # type: ignore[arg-type]
        TYPE,
        "g: expected an AccessGraph",
    ),
    "who-can-an-int-action": (
        lambda: who_can(graph(), 42),  # type: ignore[arg-type]
        TYPE,
        "action: expected one API action",
    ),
    "who-can-an-action-pattern": (
        lambda: who_can(graph(), "kms:*"),
        InputError,
        "expected one API action",
    ),
    "who-can-an-int-resource": (
        lambda: who_can(graph(), "kms:Decrypt", 42),  # type: ignore[arg-type]
        TYPE,
        "resource: expected",
    ),
    "who-can-zero-max-hops": (
        lambda: who_can(graph(), "kms:Decrypt", max_hops=0),
        VALUE,
        "max_hops: expected a whole number of at least 1, not 0",
    ),
    "who-can-text-max-hops": (
        lambda: who_can(graph(), "kms:Decrypt", max_hops="2"),  # type: ignore[arg-type]
        TYPE,
        "max_hops:",
    ),
    "who-can-text-transitive": (
        lambda: who_can(graph(), "kms:Decrypt", transitive="yes"),  # type: ignore[arg-type]
        TYPE,
        "transitive: expected True or False",
    ),
    "can-on-the-graph-an-int-principal": (
        lambda: graph_can(graph(), 42, "kms:Decrypt"),  # type: ignore[arg-type]
        TYPE,
        "principal: expected",
    ),
    "can-on-the-graph-not-a-graph": (
        lambda: graph_can(account(), ADMIN, "kms:Decrypt"),  # type: ignore[arg-type]
        TYPE,
        "g: expected an AccessGraph",
    ),
    "paths-negative-max-hops": (
        lambda: paths(graph(), ADMIN, "kms:Decrypt", max_hops=-1),
        VALUE,
        "max_hops: expected a whole number of at least 1, not -1",
    ),
    "paths-an-empty-action": (lambda: paths(graph(), ADMIN, ""), VALUE, "action: expected"),
    # --- proving
    "prove-an-int-spec": (lambda: prove(42, account()), TYPE, "specs: expected a Spec"),  # type: ignore[arg-type]
    "prove-an-int-among-specs": (
        lambda: prove([spec(), 42], account()),  # type: ignore[list-item]
        TYPE,
        "specs[1]: expected a Spec",
    ),
    "prove-a-hand-built-spec-with-circular-personas": (
        lambda: prove(circular(), account()),
        InputError,
        "personas are defined in terms of each other: a -> b -> a",
    ),
    "prove-an-int-account": (lambda: prove(spec(), 42), TYPE, "account: expected an Account"),  # type: ignore[arg-type]
    "prove-an-empty-account-path": (lambda: prove(spec(), ""), VALUE, "account: expected"),
    "prove-negative-timeout": (lambda: prove(spec(), account(), timeout=-5), VALUE, "timeout:"),
    "prove-zero-counterexamples": (
        lambda: prove(spec(), account(), max_counterexamples=0),
        VALUE,
        "max_counterexamples:",
    ),
    # --- what-if models
    "model-load-an-int": (lambda: Model.load(42), TYPE, "path: expected"),  # type: ignore[arg-type]
    "model-load-an-empty-path": (lambda: Model.load(""), VALUE, "path: expected"),
    "model-what-if-not-a-change": (
        lambda: model().what_if(42),  # type: ignore[arg-type]
        InputError,
        "change 1: expected one of",
    ),
    "model-prove-negative-timeout": (lambda: model().prove(timeout=-1), VALUE, "timeout:"),
    "model-impact-negative-timeout": (lambda: model().impact(timeout=-1), VALUE, "timeout:"),
    "model-impact-a-dict-baseline": (
        lambda: model().impact(baseline={}),  # type: ignore[arg-type]
        TYPE,
        "baseline: expected None or a ProveReport",
    ),
    "model-diff-not-a-model": (
        lambda: model().diff(account(), "Admin"),  # type: ignore[arg-type]
        TYPE,
        "other: expected a Model",
    ),
    "model-diff-an-int-principal": (
        lambda: model().diff(model(), 42),  # type: ignore[arg-type]
        TYPE,
        "principal: expected",
    ),
    "model-diff-int-actions": (
        lambda: model().diff(model(), "Admin", actions=42),  # type: ignore[arg-type]
        TYPE,
        "actions: expected None, an action pattern or a list of them",
    ),
    "model-diff-zero-timeout": (
        lambda: model().diff(model(), "Admin", timeout=0),
        VALUE,
        "timeout:",
    ),
}


@pytest.mark.parametrize(("call", "error", "message"), list(MISUSE.values()), ids=list(MISUSE))
def test_misuse_raises_a_clear_error_naming_the_argument(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        call()
    exc = info.value
    assert isinstance(exc, InputError)
    assert exc.message.startswith(message) or message in exc.message, exc.message
    if isinstance(exc, ArgumentTypeError | ArgumentValueError):
        assert exc.message.startswith(message), exc.message
        assert isinstance(exc, TypeError if error is TYPE else ValueError)
        assert exc.code == "E_ARGUMENT"


# --------------------------------------------------------------------------- natural forms


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(SCENARIO, id="scenario-dict"),
        pytest.param(json.dumps(SCENARIO), id="scenario-json-text"),
        pytest.param(str(SCENARIO_FILE), id="scenario-path-text"),
        pytest.param(SCENARIO_FILE, id="scenario-path"),
        pytest.param(policies(), id="policy-set-itself"),
    ],
)
def test_a_scenario_stands_for_its_policies(given: object) -> None:
    got, expected = as_policies("policies", given), policies()
    assert [p.name for p in got.identity] == [p.name for p in expected.identity]
    assert got.resource is not None and expected.resource is not None
    assert len(got.resource.statements) == len(expected.resource.statements)
    assert len(got.scps) == len(expected.scps) and got.boundary is not None


def test_the_questions_answer_about_a_scenario_as_about_its_policies() -> None:
    comparison = cksmodel.compare(SCENARIO, SCENARIO_FILE)
    assert comparison.relation is cksmodel.Relation.EQUIVALENT


def test_a_scenario_file_holding_a_policy_says_what_a_scenario_is(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY), encoding="utf-8")
    with pytest.raises(InputError) as info:
        cksmodel.can(path)
    assert str(info.value).startswith(f"{path}:1:1: E_SCENARIO this is a policy document")


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(str(BUNDLE), id="path-text"),
        pytest.param(BUNDLE, id="path"),
    ],
)
def test_build_graph_accepts_a_bundle_path(given: str | Path) -> None:
    built = build_graph(given)
    assert sorted(built.graph.nodes) == sorted(graph().graph.nodes)


def test_prove_accepts_spec_and_bundle_paths(tmp_path: Path) -> None:
    path = tmp_path / "trivial.spec"
    path.write_text(TRIVIAL, encoding="utf-8")
    for specs in (path, str(path), [path, spec()]):
        report = prove(specs, str(BUNDLE))
        assert {r.verdict.value for r in report.results} == {"PROVED"}


def test_model_load_accepts_a_path() -> None:
    assert Model.load(BUNDLE).account.account_id == account().account_id
