"""The reachability graph: edges decided with the exact semantics, who-can answers."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account, IamPrincipal
from cksmodel.graph import AccessGraph, build_graph, can, paths, who_can
from cksmodel.graph.query import QueryError, add_action
from cksmodel.graph.render import focus, to_graphml
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.parse import load_policy

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "examples" / "cks-account-broken"
ACCT = "111122223333"


@pytest.fixture(scope="module")
def broken() -> AccessGraph:
    return build_graph(load_bundle(BROKEN))


def _policy(kind: PolicyType, name: str, *statements: dict[str, Any]) -> Policy:
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(doc, policy_type=kind, name=name)


def _allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _user(name: str, *statements: dict[str, Any], boundary: Policy | None = None) -> IamPrincipal:
    return IamPrincipal(
        kind="user",
        arn=f"arn:aws:iam::{ACCT}:user/{name}",
        name=name,
        path="/",
        account=ACCT,
        policies=(_policy(PolicyType.IDENTITY, f"user/{name}/inline/p", *statements),)
        if statements
        else (),
        boundary=boundary,
    )


def _role(name: str, trust: dict[str, Any], *statements: dict[str, Any]) -> IamPrincipal:
    return IamPrincipal(
        kind="role",
        arn=f"arn:aws:iam::{ACCT}:role/{name}",
        name=name,
        path="/",
        account=ACCT,
        policies=(_policy(PolicyType.IDENTITY, f"role/{name}/inline/p", *statements),)
        if statements
        else (),
        trust_policy=_policy(
            PolicyType.TRUST,
            f"role/{name}/trust",
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": trust},
        ),
    )


ROOT_TRUST = {"AWS": f"arn:aws:iam::{ACCT}:root"}
ADMIN = _role("admin", ROOT_TRUST, _allow("*"))
ALICE_TRUST = {"AWS": f"arn:aws:iam::{ACCT}:user/alice"}
NO_IAM = _policy(
    PolicyType.BOUNDARY,
    "boundary/no-iam",
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
)

Case = tuple[tuple[IamPrincipal, ...], str, str, Callable[[AccessGraph], bool]]


def _edge(source: str, target: str, kind: str) -> Callable[[AccessGraph], bool]:
    def check(g: AccessGraph) -> bool:
        data = g.graph.get_edge_data(source, target)
        return data is not None and data["kind"] == kind and data["status"] == "holds"

    return check


def _no_edge(source: str, target: str) -> Callable[[AccessGraph], bool]:
    return lambda g: not g.graph.has_edge(source, target)


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCT}:{kind}/{name}"


CASES: dict[str, tuple[tuple[IamPrincipal, ...], Callable[[AccessGraph], bool]]] = {
    "trust_naming_the_account_needs_an_identity_allow": (
        (_user("alice"), ADMIN),
        _no_edge(_arn("user", "alice"), _arn("role", "admin")),
    ),
    "trust_naming_the_account_with_an_identity_allow_is_an_assume_edge": (
        (_user("alice", _allow("sts:AssumeRole", _arn("role", "admin"))), ADMIN),
        _edge(_arn("user", "alice"), _arn("role", "admin"), "assume"),
    ),
    "trust_naming_the_user_needs_no_identity_allow": (
        (_user("alice"), _role("ops", ALICE_TRUST)),
        _edge(_arn("user", "alice"), _arn("role", "ops"), "assume"),
    ),
    "identity_allow_on_another_role_is_no_edge": (
        (_user("alice", _allow("sts:AssumeRole", _arn("role", "other"))), ADMIN),
        _no_edge(_arn("user", "alice"), _arn("role", "admin")),
    ),
    "create_access_key_on_a_user_is_a_credentials_edge": (
        (_user("alice", _allow("iam:CreateAccessKey", _arn("user", "bob"))), _user("bob")),
        _edge(_arn("user", "alice"), _arn("user", "bob"), "credentials"),
    ),
    "create_access_key_on_own_user_only_is_no_edge_to_others": (
        (
            _user("alice", _allow("iam:CreateAccessKey", _arn("user", "${aws:username}"))),
            _user("bob"),
        ),
        lambda g: (
            not g.graph.has_edge(_arn("user", "alice"), _arn("user", "bob"))
            and g.stats.undecided == 0
        ),
    ),
    "put_user_policy_on_self_is_a_rewrite_edge": (
        (_user("alice", _allow("iam:PutUserPolicy", _arn("user", "alice"))),),
        _edge(_arn("user", "alice"), _arn("user", "alice") + "#rewritten", "rewrite"),
    ),
    "a_boundary_without_iam_blocks_the_rewrite": (
        (_user("alice", _allow("iam:PutUserPolicy", _arn("user", "alice")), boundary=NO_IAM),),
        _no_edge(_arn("user", "alice"), _arn("user", "alice") + "#rewritten"),
    ),
    "pass_role_with_every_launch_call_is_a_pass_role_edge": (
        (
            _user(
                "alice",
                _allow("iam:PassRole", _arn("role", "fn")),
                _allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
            ),
            _role("fn", {"Service": "lambda.amazonaws.com"}),
        ),
        _edge(_arn("user", "alice"), _arn("role", "fn"), "pass_role"),
    ),
    "pass_role_without_a_launch_call_is_no_edge": (
        (
            _user("alice", _allow("iam:PassRole", _arn("role", "fn"))),
            _role("fn", {"Service": "lambda.amazonaws.com"}),
        ),
        _no_edge(_arn("user", "alice"), _arn("role", "fn")),
    ),
    "pass_role_limited_to_another_service_is_no_edge": (
        (
            _user(
                "alice",
                _allow(
                    "iam:PassRole",
                    _arn("role", "fn"),
                    Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                ),
                _allow("lambda:CreateFunction"),
            ),
            _role("fn", {"Service": "lambda.amazonaws.com"}),
        ),
        _no_edge(_arn("user", "alice"), _arn("role", "fn")),
    ),
    "a_service_named_in_a_trust_policy_can_assume_the_role": (
        (_role("fn", {"Service": "lambda.amazonaws.com"}),),
        _edge("service:lambda.amazonaws.com", _arn("role", "fn"), "assume"),
    ),
    "another_account_named_in_a_trust_policy_is_an_outside_entry": (
        (_role("x", {"AWS": "arn:aws:iam::444455556666:root"}),),
        _edge("arn:aws:iam::444455556666:root", _arn("role", "x"), "assume"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge(name: str) -> None:
    principals, check = CASES[name]
    g = build_graph(Account(account_id=ACCT, principals=principals))
    assert check(g), sorted(g.graph.edges(data="via"))


def _reach(g: AccessGraph, action: str) -> dict[str, tuple[bool, bool]]:
    answer = who_can(g, action)
    return {r.label: (r.direct, r.decided) for r in answer.principals}


def test_who_can_delete_a_store_in_the_broken_example(broken: AccessGraph) -> None:
    assert _reach(broken, "kms:DeleteCustomKeyStore") == {
        "role/cks-store-manager": (True, True),
        "user/erin": (False, True),
        "user/frank": (False, True),
        "role/Admin": (False, True),
        "role/ci-deployer": (False, True),
        "user/grace": (False, True),
        "token.actions.githubusercontent.com": (False, True),
    }


def test_every_path_is_connected_and_explained(broken: AccessGraph) -> None:
    for r in who_can(broken, "kms:DeleteCustomKeyStore").principals:
        assert r.path[0].source == r.arn
        assert r.path[-1].via == "kms:DeleteCustomKeyStore"
        for a, b in zip(r.path, r.path[1:], strict=False):
            assert a.target == b.source
        for hop in r.path:
            assert hop.policy, hop
            written = hop.policy.startswith("any identity-based policy")
            assert written or hop.line >= 1, hop


def test_the_escalation_path_of_ci_deployer_names_its_statement(broken: AccessGraph) -> None:
    reach = can(broken, "role/ci-deployer", "kms:DeleteCustomKeyStore")
    assert reach is not None and reach.decided
    first = reach.path[0]
    assert (first.via, first.sid) == ("iam:PutRolePolicy", "ManageServiceRoles")
    assert first.file.endswith("account-authorization-details.json")


def test_a_user_inside_its_boundary_cannot_delete_a_store(broken: AccessGraph) -> None:
    assert can(broken, "user/alice", "kms:DeleteCustomKeyStore") is None


def test_direct_only_keeps_the_direct_callers(broken: AccessGraph) -> None:
    answer = who_can(broken, "kms:DeleteCustomKeyStore", transitive=False)
    assert [r.label for r in answer.principals] == ["role/cks-store-manager"]


def test_max_hops_drops_longer_paths(broken: AccessGraph) -> None:
    answer = who_can(broken, "kms:DeleteCustomKeyStore", max_hops=1)
    assert {r.label for r in answer.principals} == {
        "role/cks-store-manager",
        "user/erin",
        "user/frank",
    }


def test_paths_lists_every_simple_path_not_just_the_first(broken: AccessGraph) -> None:
    found = paths(broken, "user/grace", "kms:DeleteCustomKeyStore", max_hops=4)
    assert len(found) > 1
    assert all(p[0].source.endswith("user/grace") for p in found)
    assert len({tuple(h.target for h in p) for p in found}) == len(found)


def test_the_key_policy_takeover_gives_every_key_action(broken: AccessGraph) -> None:
    key = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    reach = can(broken, "role/kms-key-manager", "kms:Decrypt", key)
    assert reach is not None and reach.decided
    assert reach.path[0].via == "kms:PutKeyPolicy"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda g: who_can(g, "kms:*"), "E_QUERY"),
        (lambda g: who_can(g, "DeleteCustomKeyStore"), "E_QUERY"),
        (lambda g: can(g, "user/nobody", "kms:Decrypt"), "E_QUERY"),
    ],
    ids=["wildcard-action", "no-service", "unknown-principal"],
)
def test_bad_questions_raise_query_errors(
    broken: AccessGraph, call: Callable[[AccessGraph], object], code: str
) -> None:
    with pytest.raises(QueryError) as caught:
        call(broken)
    assert caught.value.code == code


def test_focus_on_an_action_keeps_who_can_reach_it(broken: AccessGraph) -> None:
    node = add_action(broken, "kms:DeleteCustomKeyStore")
    sub = focus(broken.graph, "kms:DeleteCustomKeyStore")
    assert node in sub
    assert _arn("user", "grace") in sub
    assert _arn("user", "alice") not in sub


def test_graphml_of_the_example_loads_back_with_its_attributes(broken: AccessGraph) -> None:
    loaded = nx.read_graphml(__import__("io").BytesIO(to_graphml(broken.graph).encode()))
    assert loaded.number_of_nodes() == broken.graph.number_of_nodes()
    data = loaded.edges[_arn("user", "erin"), _arn("role", "cks-store-manager")]
    assert data["via"] == "sts:AssumeRole"
    assert isinstance(data["line"], int) and data["line"] > 0
    assert json.loads(data["condition"])[0]["key"] == "aws:MultiFactorAuthPresent"


def test_cli_who_can_json_lists_the_escalation_paths(capsys: pytest.CaptureFixture[str]) -> None:
    from cksmodel.cli import main

    status = main(
        ["who-can", "kms:DeleteCustomKeyStore", "--account", str(BROKEN), "--format", "json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert status == 0  # every path decided, the GitHub identity provider's included
    by_arn = {p["arn"]: p for p in out["principals"]}
    assert by_arn[_arn("role", "cks-store-manager")]["direct"] is True
    grace = by_arn[_arn("user", "grace")]
    assert grace["direct"] is False
    assert {"from", "to", "via", "policy", "statement_index", "sid", "line", "column"} <= set(
        grace["path"][0]
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["can", "user/nobody", "kms:Decrypt"], "no principal 'user/nobody'"),
        (["who-can", "kms:*"], "expected one API action"),
        (["who-can", "kms:Decrypt", "--account", "no-such-bundle"], "does not exist"),
    ],
    ids=["unknown-principal", "wildcard-action", "missing-bundle"],
)
def test_cli_bad_input_exits_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from cksmodel.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_the_readme_graph_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], broken: AccessGraph
) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    code = next(b for b in blocks if "build_graph" in b)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("cksmodel.graph.build_graph", lambda account: broken)
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert "role/ci-deployer" in lines[0]
    assert int(lines[1]) > 1


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("kms:DeleteCustomKeyStore", "*"),
        ("kms:Decrypt", "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"),
        ("kms:ScheduleKeyDeletion", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("iam:CreateUser", "*"),
        ("cloudhsm:DeleteCluster", "*"),
    ],
)
def test_pruned_edges_change_no_answer(
    broken: AccessGraph, monkeypatch: pytest.MonkeyPatch, action: str, resource: str
) -> None:
    """Modified actors get no edge to what all their predecessors already reach: the
    answers are those of the graph with every edge."""
    monkeypatch.setattr(AccessGraph, "_known", lambda self, actor: {actor.base})
    full = build_graph(broken.account)
    assert full.graph.number_of_edges() > broken.graph.number_of_edges()

    def reach(g: AccessGraph) -> set[tuple[str, bool, bool]]:
        return {(r.arn, r.direct, r.decided) for r in who_can(g, action, resource).principals}

    assert reach(broken) == reach(full)


OTHER = "444455556666"
DEPLOYER = f"arn:aws:iam::{OTHER}:role/deployer"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"


@pytest.mark.parametrize(
    ("trust", "nodes", "entries"),
    [
        ({"AWS": DEPLOYER}, {DEPLOYER}, {DEPLOYER}),
        ({"AWS": f"arn:aws:iam::{OTHER}:user/ops"}, {f"arn:aws:iam::{OTHER}:user/ops"}, None),
        (
            {"AWS": f"arn:aws:sts::{OTHER}:assumed-role/deployer/ci"},
            {f"arn:aws:sts::{OTHER}:assumed-role/deployer/ci"},
            None,
        ),
        ({"AWS": OTHER_ROOT}, {OTHER_ROOT}, {OTHER_ROOT}),
        ({"AWS": OTHER}, {OTHER_ROOT}, {OTHER_ROOT}),
        ({"AWS": [DEPLOYER, OTHER_ROOT]}, {DEPLOYER, OTHER_ROOT}, {DEPLOYER, OTHER_ROOT}),
    ],
)
def test_each_principal_of_another_account_is_its_own_node_and_the_account_only_when_named(
    trust: dict[str, Any], nodes: set[str], entries: set[str] | None
) -> None:
    role = _role("x", trust, _allow("kms:ListKeys"))
    g = build_graph(Account(account_id=ACCT, principals=(role,)))
    outside = {n for n, d in g.graph.nodes(data=True) if d["outside_bundle"]}
    assert outside == nodes
    for node in nodes:
        data = g.graph.get_edge_data(node, _arn("role", "x"))
        assert data is not None and data["status"] == "holds"
        assert g.graph.nodes[node]["account"] == OTHER
    found = {r.arn for r in who_can(g, "sts:AssumeRole", _arn("role", "x")).principals}
    assert found == (entries if entries is not None else nodes)


def test_the_account_node_stands_for_the_principals_not_named_themselves() -> None:
    named = _role("named", {"AWS": DEPLOYER})
    whole = _role("whole", {"AWS": OTHER_ROOT})
    g = build_graph(Account(account_id=ACCT, principals=(named, whole)))
    assert not g.graph.has_edge(OTHER_ROOT, _arn("role", "named"))
    assert g.graph.has_edge(OTHER_ROOT, _arn("role", "whole"))
    assert g.graph.has_edge(DEPLOYER, _arn("role", "whole"))
    witness = json.loads(g.graph[DEPLOYER][_arn("role", "named")]["witness"])
    assert "assumed-role/deployer" in witness["principal"]


def test_who_can_names_the_outside_role_with_its_account_and_what_it_needs() -> None:
    role = _role("x", {"AWS": DEPLOYER}, _allow("kms:CreateKey"))
    g = build_graph(Account(account_id=ACCT, principals=(role,)))
    reach = can(g, DEPLOYER, "kms:CreateKey")
    assert reach is not None and reach.decided and reach.outside_bundle
    assert reach.account == OTHER and reach.kind == "role" and not reach.aws_internal
    assert reach.label == "role/deployer (account 444455556666)"
    assert reach.needs == (
        f"an identity policy in account {OTHER} allowing sts:AssumeRole on {_arn('role', 'x')}"
    )
    assert reach.to_json()["outside_bundle"] is True


@pytest.mark.parametrize(
    "principal",
    [f"arn:aws:iam::{OTHER}:role/stranger", f"arn:aws:iam::{OTHER}:user/stranger"],
)
def test_can_answers_about_a_principal_no_policy_names(principal: str) -> None:
    trusting = _role("open", {"AWS": OTHER_ROOT}, _allow("kms:CreateKey"))
    closed = _role("closed", {"AWS": DEPLOYER}, _allow("kms:CreateKey"))
    g = build_graph(Account(account_id=ACCT, principals=(trusting, closed)))
    reach = can(g, principal, "kms:CreateKey")
    assert reach is not None and reach.outside_bundle
    assert reach.path[0].target == _arn("role", "open")
    assert can(g, principal, "sts:AssumeRole", _arn("role", "closed")) is None


def test_a_principal_of_the_bundles_account_that_it_lacks_is_still_an_error() -> None:
    g = build_graph(Account(account_id=ACCT, principals=(ADMIN,)))
    with pytest.raises(QueryError, match="no principal"):
        can(g, _arn("role", "ghost"), "kms:CreateKey")


def test_who_can_renders_as_html_with_every_path(broken: AccessGraph) -> None:
    import xml.etree.ElementTree as ET

    page = who_can(broken, "kms:DeleteCustomKeyStore")._repr_html_()
    text = "".join(ET.fromstring(f"<root>{page}</root>").itertext())
    assert "kms:DeleteCustomKeyStore" in text
    assert "1 directly, 6 through escalation" in text
    assert "undecided" not in text
    assert "role/ci-deployer/inline/deploy-services statement 4" in text
    assert "account-authorization-details.json:600:21" in text


@pytest.mark.parametrize("dot", [True, False], ids=["graphviz", "no-graphviz"])
def test_the_graph_renders_as_html(
    broken: AccessGraph, monkeypatch: pytest.MonkeyPatch, dot: bool
) -> None:
    import cksmodel.graph.render as render

    if not dot:
        monkeypatch.setattr(render, "svg", lambda graph: None)
    elif render.svg(nx.DiGraph()) is None:
        if os.environ.get("CKSMODEL_REQUIRE_TOOLS"):
            pytest.fail("graphviz `dot` is required here")
        pytest.skip("graphviz is not installed")
    page = broken._repr_html_()
    assert "Reachability graph" in page
    if dot:
        assert "<svg" in page
    else:
        assert "edges are listed instead" in page
        assert "sts:AssumeRole" in page


def test_decisions_shared_between_alike_roles_change_no_edge(
    broken: AccessGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PassRole decisions are shared between roles with the same matching statements;
    without sharing, the same edges with the same provenance come out."""
    from cksmodel.graph.edges import Decider

    shared = build_graph(broken.account)
    monkeypatch.setattr(Decider, "signature", lambda self, actor, action, resource: None)
    unshared = build_graph(broken.account)

    def edges(g: AccessGraph) -> set[tuple[object, ...]]:
        keys = ("kind", "status", "policy", "statement_index", "line")
        return {(a, b, *(d[k] for k in keys)) for a, b, d in g.graph.edges(data=True)}

    assert edges(shared) == edges(unshared)
    for _, b, d in shared.graph.edges(data=True):
        if d["kind"] == "pass_role":
            assert json.loads(d["witness"])["resource"] == b


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("kms:DeleteCustomKeyStore", "*"),
        ("kms:Decrypt", "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"),
        ("iam:CreateUser", "*"),
    ],
)
def test_skipping_covered_actors_changes_no_answer(
    monkeypatch: pytest.MonkeyPatch, action: str, resource: str
) -> None:
    import cksmodel.graph.query as query

    account = load_bundle(BROKEN)
    short = who_can(build_graph(account), action, resource)
    real = query._direct
    monkeypatch.setattr(
        query, "_direct", lambda g, a, r, complete=False: real(g, a, r, complete=True)
    )
    full = who_can(build_graph(account), action, resource)
    assert short.principals == full.principals


def test_trust_cycles_and_odd_principals_end_and_answer() -> None:
    """Roles that trust each other in a ring, a deleted principal's unique id and a
    canonical user: the build ends and reachability follows the ring."""
    a = _role(
        "a",
        {"AWS": [_arn("role", "c"), _arn("user", "alice"), "AROAEXAMPLEUNIQUEID1"]},
        _allow("sts:AssumeRole"),
    )
    b = _role(
        "b",
        {"AWS": _arn("role", "a"), "CanonicalUser": "79a59df900b949e55d96a1e"},
        _allow("sts:AssumeRole"),
    )
    c = _role("c", {"AWS": _arn("role", "b")}, _allow("sts:AssumeRole"), _allow("s3:DeleteBucket"))
    alice = _user("alice", _allow("sts:AssumeRole", _arn("role", "a")))
    g = build_graph(Account(account_id=ACCT, principals=(alice, a, b, c)))
    reach = {r.label: len(r.path) for r in who_can(g, "s3:DeleteBucket").principals}
    assert reach == {"role/c": 1, "role/b": 2, "role/a": 3, "user/alice": 4}


@pytest.mark.parametrize(
    "principal",
    ["arn:aws:iam::4444:role/short-account", "arn:aws:s3:::bucket", "*", "12345"],
)
def test_can_refuses_what_is_no_principal_of_another_account(principal: str) -> None:
    g = build_graph(Account(account_id=ACCT, principals=(ADMIN,)))
    with pytest.raises(QueryError, match="no principal"):
        can(g, principal, "kms:CreateKey")


def test_who_can_html_names_the_outsiders_account_and_aws_internal_principals() -> None:
    import xml.etree.ElementTree as ET

    role = _role("x", {"AWS": DEPLOYER, "Service": "ec2.amazonaws.com"}, _allow("kms:CreateKey"))
    g = build_graph(Account(account_id=ACCT, principals=(role,)))
    page = who_can(g, "kms:CreateKey")._repr_html_()
    text = "".join(ET.fromstring(f"<root>{page}</root>").itertext())
    assert f"role (account {OTHER}, outside the bundle)" in text
    assert "service (AWS-internal)" in text
