"""The goal-directed graph answers like the whole graph: same principals, same
directness, same decidedness, same path lengths; it decides fewer edges."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.graph import AccessGraph, build_graph, who_can
from cksmodel.graph.goal import goal_graph

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from admin_account import KEY_ID, generate  # noqa: E402
from conftest import AUDITED_KEY, PARTNER, PARTNER_KEY  # noqa: E402

BROKEN_QUESTIONS = [
    ("kms:DeleteCustomKeyStore", "*"),
    ("kms:Decrypt", "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"),
    ("kms:ScheduleKeyDeletion", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("iam:CreateUser", "*"),
    ("cloudhsm:DeleteCluster", "*"),
]
ADMIN_QUESTIONS = [
    ("kms:DeleteCustomKeyStore", "*"),
    ("kms:Decrypt", KEY_ID),
    ("s3:GetObject", "*"),
]


@pytest.fixture(scope="module")
def admin_shape(tmp_path_factory: pytest.TempPathFactory) -> Account:
    out = tmp_path_factory.mktemp("admin") / "bundle"
    generate(out, principals=40, seed=3)
    return load_bundle(out)


@pytest.fixture(scope="module")
def admin_full(admin_shape: Account) -> AccessGraph:
    return build_graph(admin_shape)


def _answers(g: AccessGraph, questions: list[tuple[str, str]]) -> list[object]:
    out: list[object] = []
    for action, resource in questions:
        answer = who_can(g, action, resource)
        out.append(sorted((r.arn, r.direct, r.decided, len(r.path)) for r in answer.principals))
    return out


def test_the_goal_graph_answers_like_the_whole_graph_on_the_broken_example() -> None:
    account = load_bundle(ROOT / "examples" / "cks-account-broken")
    assert _answers(goal_graph(account), BROKEN_QUESTIONS) == _answers(
        build_graph(account), BROKEN_QUESTIONS
    )


def test_the_goal_graph_answers_like_the_whole_graph_about_outside_principals(
    partner_bundle: Path,
) -> None:
    account = load_bundle(partner_bundle)
    questions = [
        ("kms:DeleteCustomKeyStore", "*"),
        ("kms:Decrypt", PARTNER_KEY),
        ("kms:Decrypt", AUDITED_KEY),
        ("sts:AssumeRole", "arn:aws:iam::111122223333:role/cks-store-manager"),
    ]
    found = _answers(goal_graph(account), questions)
    assert found == _answers(build_graph(account), questions)
    assert any(arn.startswith(f"arn:aws:iam::{PARTNER}:role/") for arn, *_ in found[0])


def test_the_goal_graph_answers_like_the_whole_graph_on_the_admin_shape(
    admin_shape: Account, admin_full: AccessGraph
) -> None:
    assert _answers(goal_graph(admin_shape), ADMIN_QUESTIONS) == _answers(
        admin_full, ADMIN_QUESTIONS
    )


def test_the_goal_graph_decides_fewer_edges_than_the_whole_graph(
    admin_shape: Account, admin_full: AccessGraph
) -> None:
    full = admin_full
    goal = goal_graph(admin_shape)
    who_can(goal, "kms:DeleteCustomKeyStore")
    assert goal.graph.number_of_edges() < full.graph.number_of_edges()


def test_direct_only_decides_no_edge(admin_shape: Account) -> None:
    g = goal_graph(admin_shape)
    answer = who_can(g, "kms:DeleteCustomKeyStore", transitive=False)
    assert answer.principals and all(r.direct for r in answer.principals)
    assert not any(d["kind"] != "member" for *_, d in g.graph.edges(data=True))


def test_every_goal_path_is_connected_and_ends_with_the_call(admin_shape: Account) -> None:
    g = goal_graph(admin_shape)
    for r in who_can(g, "kms:DeleteCustomKeyStore").principals:
        assert r.path[0].source == r.arn
        assert r.path[-1].via == "kms:DeleteCustomKeyStore"
        for a, b in zip(r.path, r.path[1:], strict=False):
            assert a.target == b.source


def test_paths_refuses_a_goal_graph(admin_shape: Account) -> None:
    from cksmodel.graph import paths
    from cksmodel.graph.query import QueryError

    with pytest.raises(QueryError):
        paths(goal_graph(admin_shape), "user/esc-keys", "kms:DeleteCustomKeyStore")
