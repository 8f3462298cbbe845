"""A REFUTED invariant shows every distinct cause (up to the limit), not just the first one."""

from __future__ import annotations

from pathlib import Path

from cksmodel.invariants.prove import prove
from cksmodel.invariants.spec import load_spec
from cksmodel.notebook.whatif import AddStatement, Model
from cksmodel.symbolic.query import Verdict

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "examples" / "cks-account-broken"
SPEC = load_spec(REPO / "specs" / "cks.spec")
TRUST_EDITOR = {
    "Effect": "Allow",
    "Action": "iam:UpdateAssumeRolePolicy",
    "Resource": "arn:aws:iam::111122223333:role/cks-*",
}


def with_second_trust_editor() -> Model:
    editor = AddStatement(principal="payments-app", statement=TRUST_EDITOR)
    return Model.load(BROKEN).what_if(editor)


def tamper_proof(model: Model, limit: int) -> tuple[Verdict, list[str]]:
    report = prove([SPEC], model.account, timeout=30, max_counterexamples=limit)
    (result,) = [r for r in report.results if r.name == "store_manager_roles_are_tamper_proof"]
    return result.verdict, [str(c["principal"]) for c in result.counterexamples]


def test_every_principal_that_can_rewrite_the_store_manager_role_is_listed() -> None:
    model = with_second_trust_editor()
    verdict, principals = tamper_proof(model, 5)
    assert verdict is Verdict.REFUTED
    assert sorted(principals) == [
        "arn:aws:iam::111122223333:role/ci-deployer",
        "arn:aws:iam::111122223333:role/payments-app",
    ]


def test_the_limit_caps_the_causes_shown() -> None:
    model = with_second_trust_editor()
    verdict, principals = tamper_proof(model, 1)
    assert verdict is Verdict.REFUTED
    assert len(principals) == 1
