"""What-if analysis (cksmodel.notebook.whatif) on the compliant example bundle.

The whole shipped spec is proved once per module as the baseline (about 7 s);
each change is then proved against the one invariant it is about.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cksmodel.account.bundle import load_bundle
from cksmodel.errors import InputError
from cksmodel.invariants.results import ProveReport
from cksmodel.invariants.spec import Spec, load_spec
from cksmodel.notebook.whatif import (
    AddGrant,
    AddStatement,
    AttachPolicy,
    Change,
    DetachPolicy,
    InvariantDelta,
    Model,
    PermissionDiff,
    RemoveStatement,
    ReplacePolicy,
    SetKeyPolicy,
    SetTrustPolicy,
    WhatIfError,
    WhatIfReport,
    compare_reports,
    default_specs,
)
from cksmodel.symbolic.query import Verdict

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cks-account"
ACCOUNT_ID = "111122223333"
SLR = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
PAYMENTS_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
PAYMENTS_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{PAYMENTS_KEY}"
PAYMENTS_KMS = "role/payments-app/inline/payments-kms"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT_ID}:policy/boundaries/engineer-boundary"

KMS_ALL = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
WIDE = AddStatement(principal="payments-app", statement=KMS_ALL)
READ_LOGS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"}],
}
TRUST_THE_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
ROOT_ONLY_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


@pytest.fixture(scope="module")
def model() -> Model:
    return Model.load(EXAMPLE)


@pytest.fixture(scope="module")
def baseline(model: Model) -> ProveReport:
    """The shipped invariants and the example's own (``app.spec``)."""
    return model.prove((*default_specs(), load_spec(EXAMPLE / "app.spec")))


def only(*names: str) -> tuple[Spec, ...]:
    """The shipped spec and the example's own (``app.spec``) cut down to the named invariants."""
    specs = (*default_specs(), load_spec(EXAMPLE / "app.spec"))
    cut = tuple(
        replace(spec, invariants=tuple(i for i in spec.invariants if i.name in names))
        for spec in specs
    )
    found = [i.name for spec in cut for i in spec.invariants]
    assert sorted(found) == sorted(names), f"not in the shipped or example spec: {names}"
    return tuple(spec for spec in cut if spec.invariants)


def test_baseline_proves_every_shipped_invariant(baseline: ProveReport) -> None:
    assert len(baseline.results) == 21 + 4
    assert {r.verdict for r in baseline.results} == {Verdict.PROVED}


# --------------------------------------------------------------------------- flips


@pytest.mark.parametrize(
    ("change", "invariant"),
    [
        pytest.param(WIDE, "payments_app_least_privilege", id="kms-star-for-payments-app"),
        pytest.param(
            SetTrustPolicy(role=SLR, document=TRUST_THE_ACCOUNT),
            "slr_trust",
            id="slr-trusts-the-account",
        ),
        pytest.param(
            AddStatement(
                principal=SLR,
                statement={"Effect": "Allow", "Action": "cloudhsm:*", "Resource": "*"},
            ),
            "slr_cannot_manage_cloudhsm",
            id="cloudhsm-star-for-the-slr",
        ),
        pytest.param(
            AddStatement(
                principal=SLR,
                statement={"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            ),
            "slr_permissions_scope",
            id="pass-role-for-the-slr",
        ),
        pytest.param(
            AddGrant(key=PAYMENTS_KEY, grantee="payments-app", operations=["CreateGrant"]),
            "key_users_cannot_regrant",
            id="create-grant-grant-for-payments-app",
        ),
    ],
)
def test_change_flips_invariant_to_refuted_with_counterexample_at_the_change(
    model: Model, baseline: ProveReport, change: Change, invariant: str
) -> None:
    report = model.impact(change, specs=only(invariant), baseline=baseline)
    assert [d.name for d in report.flipped] == [invariant]
    flipped = report.flipped[0]
    assert (flipped.before, flipped.after) == (Verdict.PROVED, Verdict.REFUTED)
    assert flipped.counterexamples
    assert "what-if:1" in {loc.span.source for loc in flipped.locations}
    assert report.changes == (change.describe(),)


def test_impact_without_baseline_proves_both_sides(model: Model) -> None:
    report = model.impact(WIDE, specs=only("payments_app_least_privilege", "slr_trust"))
    verdicts = {d.name: (d.before, d.after) for d in report.invariants}
    assert verdicts == {
        "payments_app_least_privilege": (Verdict.PROVED, Verdict.REFUTED),
        "slr_trust": (Verdict.PROVED, Verdict.PROVED),
    }


def test_removing_the_added_statement_restores_the_baseline_verdict(
    model: Model, baseline: ProveReport
) -> None:
    undo = RemoveStatement(policy_name="role/payments-app/inline/what-if-1", statement=0)
    report = model.impact(WIDE, undo, specs=only("payments_app_least_privilege"), baseline=baseline)
    assert report.flipped == ()
    assert [d.after for d in report.invariants if d.after is not None] == [Verdict.PROVED]


def test_without_the_changes_gives_back_the_original_account(model: Model) -> None:
    grant = AddGrant(key=PAYMENTS_KEY, grantee="ledger-app", operations=["Decrypt"])
    changed = model.what_if(WIDE, grant)
    assert changed.without(WIDE, grant).account is model.account
    kept = changed.without(WIDE)
    assert kept.changes == (grant,)
    payments = kept.account.principal("payments-app")
    assert payments is model.account.principal("payments-app")
    key = kept.account.key(PAYMENTS_KEY)
    assert key is not None and [g.name for g in key.grants] == ["what-if-1"]


# --------------------------------------------------------------------------- immutability


EVERY_KIND: tuple[Change, ...] = (
    WIDE,
    AddStatement(
        principal="payments-app",
        statement={"Sid": "More", "Effect": "Allow", "Action": "kms:Sign", "Resource": "*"},
        policy_name="payments-kms",
    ),
    RemoveStatement(policy_name=PAYMENTS_KMS, statement="UsePaymentsKey"),
    ReplacePolicy(policy_name="group/payments-engineers/inline/payments-logs", document=READ_LOGS),
    ReplacePolicy(policy_name=f"boundary/{BOUNDARY_ARN}", document=READ_LOGS),
    AttachPolicy(principal="payments-app", policy="AdministratorAccess"),
    DetachPolicy(principal="ledger-app", policy="app-runtime"),
    AddGrant(
        key=PAYMENTS_KEY,
        grantee="ledger-app",
        operations=["kms:Decrypt"],
        constraints={"EncryptionContextSubset": {"app": "ledger"}},
    ),
    SetTrustPolicy(role="payments-app", document=TRUST_THE_ACCOUNT),
    SetKeyPolicy(key=PAYMENTS_KEY, document=ROOT_ONLY_KEY_POLICY),
)


def test_what_if_leaves_the_original_model_unchanged(model: Model) -> None:
    payments = model.account.principal("payments-app")
    assert payments is not None
    policies = payments.policies
    changed = model.what_if(*EVERY_KIND)
    assert changed.changes == EVERY_KIND
    assert model.changes == ()
    assert model.account == load_bundle(EXAMPLE)
    assert model.account.principal("payments-app") is payments
    assert payments.policies is policies
    assert changed.account.principal("payments-app") != payments


def test_unchanged_principals_and_keys_are_shared_with_the_original(model: Model) -> None:
    changed = model.what_if(WIDE)
    assert changed.account.principal("carol") is model.account.principal("carol")
    assert changed.account.keys is model.account.keys


def test_changes_chain_and_number_their_sources(model: Model) -> None:
    first = model.what_if(WIDE)
    second = first.what_if(SetKeyPolicy(key=PAYMENTS_KEY, document=ROOT_ONLY_KEY_POLICY))
    assert second.changes == (WIDE, second.changes[1])
    assert sorted(second.sources) == ["what-if:1", "what-if:2"]
    key = second.account.key(PAYMENTS_KEY)
    assert key is not None and key.policy.span is not None
    assert key.policy.span.source == "what-if:2"
    assert second.original is model.account


# --------------------------------------------------------------------------- what changes do


def test_added_statement_is_built_with_spans_into_its_source(model: Model) -> None:
    changed = model.what_if(WIDE)
    payments = changed.account.principal("payments-app")
    assert payments is not None
    added = payments.policies[-1]
    assert added.name == "role/payments-app/inline/what-if-1"
    span = added.statements[0].span
    assert span is not None and span.source == "what-if:1"
    assert changed.sources["what-if:1"].splitlines()[span.line - 1].strip() == "{"


def test_statement_added_to_an_existing_inline_policy_gets_the_next_index(model: Model) -> None:
    change = AddStatement(principal="payments-app", statement=KMS_ALL, policy_name="payments-kms")
    payments = model.what_if(change).account.principal("payments-app")
    assert payments is not None
    policy = next(p for p in payments.policies if p.name == PAYMENTS_KMS)
    original = model.account.principal("payments-app")
    assert original is not None
    assert [s.index for s in policy.statements] == [0, 1]
    assert policy.statements[0] is original.policies[0].statements[0]
    span = policy.statements[1].span
    assert span is not None and span.source == "what-if:1"


@pytest.mark.parametrize(
    ("change", "holders", "others"),
    [
        pytest.param(
            ReplacePolicy(
                policy_name="group/payments-engineers/inline/payments-logs", document=READ_LOGS
            ),
            ("alice", "bob"),
            ("carol",),
            id="group-inline-policy-in-every-member",
        ),
        pytest.param(
            RemoveStatement(
                policy_name="group/payments-engineers/inline/payments-logs", statement=0
            ),
            ("alice", "bob"),
            ("carol",),
            id="removed-statement-in-every-member",
        ),
    ],
)
def test_policy_change_reaches_every_holder_and_no_one_else(
    model: Model, change: Change, holders: tuple[str, ...], others: tuple[str, ...]
) -> None:
    changed = model.what_if(change).account
    for name in holders:
        assert changed.principal(name) != model.account.principal(name), name
    for name in others:
        assert changed.principal(name) is model.account.principal(name), name


def test_replacing_a_managed_policy_also_replaces_its_use_as_boundary(model: Model) -> None:
    alice = model.what_if(
        ReplacePolicy(policy_name=f"managed/{BOUNDARY_ARN}", document=READ_LOGS)
    ).account.principal("alice")
    assert alice is not None and alice.boundary is not None
    assert alice.boundary.span is not None and alice.boundary.span.source == "what-if:1"
    assert [v.text for v in alice.boundary.statements[0].actions] == ["logs:GetLogEvents"]


@pytest.mark.parametrize(
    ("change", "principal", "present"),
    [
        pytest.param(
            AttachPolicy(principal="payments-app", policy="AdministratorAccess"),
            "payments-app",
            True,
            id="attach-by-name",
        ),
        pytest.param(
            DetachPolicy(
                principal="role/ledger-app",
                policy=f"managed/arn:aws:iam::{ACCOUNT_ID}:policy/app-runtime",
            ),
            "ledger-app",
            False,
            id="detach-by-policy-name",
        ),
    ],
)
def test_attach_and_detach_change_which_managed_policies_apply(
    model: Model, change: Change, principal: str, present: bool
) -> None:
    before = model.account.principal(principal)
    after = model.what_if(change).account.principal(principal)
    assert before is not None and after is not None
    added = {p.name for p in after.policies} ^ {p.name for p in before.policies}
    assert len(added) == 1
    assert (added <= {p.name for p in after.policies}) is present


def test_grant_resolves_grantee_and_keeps_constraints(model: Model) -> None:
    change = AddGrant(
        key=PAYMENTS_KEY_ARN,
        grantee="ledger-app",
        operations=["kms:Decrypt"],
        constraints={"EncryptionContextSubset": {"app": "ledger"}},
    )
    key = model.what_if(change).account.key(PAYMENTS_KEY)
    assert key is not None
    (grant,) = key.grants
    assert grant.grantee == f"arn:aws:iam::{ACCOUNT_ID}:role/ledger-app"
    assert grant.operations == ("Decrypt",)
    assert grant.encryption_context_subset == (("app", "ledger"),)
    assert grant.span is not None and grant.span.source == "what-if:1"


# --------------------------------------------------------------------------- bad references


BAD: list[Any] = [
    pytest.param(
        AddStatement(principal="payment-app", statement=KMS_ALL),
        "E_WHATIF_PRINCIPAL",
        "payments-app",
        id="no-such-principal",
    ),
    pytest.param(
        AddStatement(principal="payments-app", statement=KMS_ALL, policy_name="payments-km"),
        "E_WHATIF_POLICY",
        "payments-kms",
        id="no-such-inline-policy",
    ),
    pytest.param(
        AddStatement(principal="payments-app", statement={"Effect": "Allow", "Action": "kms:*"}),
        "E_MISSING_RESOURCE",
        "no Resource",
        id="statement-without-resource",
    ),
    pytest.param(
        AddStatement(principal="payments-app", statement=["kms:*"]),  # type: ignore[arg-type]
        "E_WHATIF_DOCUMENT",
        "one statement",
        id="statement-not-a-dict",
    ),
    pytest.param(
        AddStatement(
            principal="payments-app",
            statement={"Sid": "UsePaymentsKey", **KMS_ALL},
            policy_name="payments-kms",
        ),
        "E_WHATIF_STATEMENT",
        "UsePaymentsKey",
        id="duplicate-sid",
    ),
    pytest.param(
        RemoveStatement(policy_name="payments-kms", statement=0),
        "E_WHATIF_POLICY",
        PAYMENTS_KMS,
        id="policy-by-short-name",
    ),
    pytest.param(
        RemoveStatement(policy_name=PAYMENTS_KMS, statement=3),
        "E_WHATIF_STATEMENT",
        "UsePaymentsKey",
        id="no-such-statement-index",
    ),
    pytest.param(
        RemoveStatement(policy_name=PAYMENTS_KMS, statement="UseKey"),
        "E_WHATIF_STATEMENT",
        "UsePaymentsKey",
        id="no-such-sid",
    ),
    pytest.param(
        ReplacePolicy(policy_name=PAYMENTS_KMS, document='{"Statement": ['),
        "E_SYNTAX",
        "",
        id="document-not-json",
    ),
    pytest.param(
        ReplacePolicy(policy_name=PAYMENTS_KMS, document={"Statement": [{"Effect": "Maybe"}]}),
        "E_EFFECT",
        "Allow",
        id="malformed-document",
    ),
    pytest.param(
        AttachPolicy(principal="payments-app", policy="AdministratorAcess"),
        "E_WHATIF_POLICY",
        "AdministratorAccess",
        id="no-such-managed-policy",
    ),
    pytest.param(
        AttachPolicy(principal="payments-app", policy="app-runtime"),
        "E_WHATIF_ATTACHED",
        "already",
        id="attached-twice",
    ),
    pytest.param(
        DetachPolicy(principal="payments-app", policy="AdministratorAccess"),
        "E_WHATIF_NOT_ATTACHED",
        "app-runtime",
        id="detach-what-is-not-attached",
    ),
    pytest.param(
        AddGrant(key="1234abcd", grantee="payments-app", operations=["Decrypt"]),
        "E_WHATIF_KEY",
        PAYMENTS_KEY,
        id="no-such-key",
    ),
    pytest.param(
        AddGrant(key=PAYMENTS_KEY, grantee="payment-app", operations=["Decrypt"]),
        "E_WHATIF_PRINCIPAL",
        "payments-app",
        id="no-such-grantee",
    ),
    pytest.param(
        AddGrant(key=PAYMENTS_KEY, grantee="payments-app", operations=["Decrypt", "Fly"]),
        "E_WHATIF_GRANT",
        "'Fly' is not a grant operation",
        id="no-such-grant-operation",
    ),
    pytest.param(
        SetTrustPolicy(role="alice", document=TRUST_THE_ACCOUNT),
        "E_WHATIF_PRINCIPAL",
        "role",
        id="trust-policy-of-a-user",
    ),
    pytest.param(
        SetTrustPolicy(role="payments-app", document=READ_LOGS),
        "E_MISSING_PRINCIPAL",
        "",
        id="trust-policy-without-principal",
    ),
    pytest.param(
        SetKeyPolicy(key="no-such-key", document=ROOT_ONLY_KEY_POLICY),
        "E_WHATIF_KEY",
        "",
        id="key-policy-of-no-key",
    ),
    pytest.param(
        {"Effect": "Allow"},
        "E_WHATIF_CHANGE",
        "AddStatement",
        id="not-a-change",
    ),
]


@pytest.mark.parametrize(("change", "code", "hint"), BAD)
def test_bad_reference_raises_input_error_with_code_and_hint(
    model: Model, change: Change, code: str, hint: str
) -> None:
    with pytest.raises(WhatIfError) as caught:
        model.what_if(change)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.code == code
    assert hint in error.message
    assert error.__cause__ is None


def test_document_error_points_into_the_change_source(model: Model) -> None:
    bad = AddStatement(principal="payments-app", statement={"Effect": "Allow", "Action": "kms:*"})
    with pytest.raises(WhatIfError) as caught:
        model.what_if(WIDE, bad)
    assert caught.value.span is not None and caught.value.span.source == "what-if:2"
    assert caught.value.message.startswith("change 2 (payments-app: add Allow kms:*")


# --------------------------------------------------------------------------- permission diff


def test_diff_after_kms_star_gains_key_deletion_and_loses_nothing(model: Model) -> None:
    diff = model.diff(model.what_if(WIDE), "payments-app")
    assert ("kms:ScheduleKeyDeletion", PAYMENTS_KEY_ARN) in diff.gained
    assert ("kms:CreateKey", "*") in diff.gained
    assert ("kms:Decrypt", PAYMENTS_KEY_ARN) not in diff.gained  # held before
    assert diff.lost == ()
    assert diff.undecided == ()
    assert diff.principal == f"arn:aws:iam::{ACCOUNT_ID}:role/payments-app"


@pytest.mark.parametrize(
    ("forward", "gained", "lost"),
    [
        pytest.param(True, {("kms:ScheduleKeyDeletion", PAYMENTS_KEY_ARN)}, set(), id="forward"),
        pytest.param(False, set(), {("kms:ScheduleKeyDeletion", PAYMENTS_KEY_ARN)}, id="reverse"),
    ],
)
def test_diff_direction_decides_gained_or_lost(
    model: Model, forward: bool, gained: set[tuple[str, str]], lost: set[tuple[str, str]]
) -> None:
    changed = model.what_if(WIDE)
    before, after = (model, changed) if forward else (changed, model)
    diff = before.diff(after, "payments-app", actions=["kms:ScheduleKeyDeletion", "kms:Decrypt"])
    keyed = {pair for pair in diff.gained if pair[1] == PAYMENTS_KEY_ARN}
    assert keyed == gained
    assert {pair for pair in diff.lost if pair[1] == PAYMENTS_KEY_ARN} == lost


def test_diff_of_an_unchanged_model_is_empty(model: Model) -> None:
    actions = ["kms:Decrypt", "kms:ScheduleKeyDeletion", "iam:PassRole"]
    diff = model.diff(model, "role/payments-app", actions=actions)
    assert (diff.gained, diff.lost, diff.undecided) == ((), (), ())
    assert diff.checked > 0


@pytest.mark.parametrize(
    ("principal", "actions", "code"),
    [
        pytest.param("payments-app", ["kms:ScheduleKeyDeleton"], "E_WHATIF_ACTION", id="action"),
        pytest.param("payment-app", None, "E_WHATIF_PRINCIPAL", id="principal"),
    ],
)
def test_diff_bad_reference_raises_input_error(
    model: Model, principal: str, actions: list[str] | None, code: str
) -> None:
    with pytest.raises(WhatIfError) as caught:
        model.diff(model, principal, actions=actions)
    assert caught.value.code == code


# --------------------------------------------------------------------------- reports


def _report(before: Verdict | None, after: Verdict | None, name: str = "inv") -> ProveReport:
    from cksmodel.invariants.results import InvariantResult

    verdict = after if after is not None else before
    assert verdict is not None
    return ProveReport(
        results=(InvariantResult(name=name, title="t", verdict=verdict, reason="", time_s=0.0),),
        account="a",
        specs=(),
    )


@pytest.mark.parametrize(
    ("before", "after", "flipped"),
    [
        (Verdict.PROVED, Verdict.PROVED, False),
        (Verdict.PROVED, Verdict.REFUTED, True),
        (Verdict.REFUTED, Verdict.PROVED, True),
        (Verdict.PROVED, Verdict.UNKNOWN, True),
    ],
)
def test_compare_reports_flags_changed_verdicts(
    before: Verdict, after: Verdict, flipped: bool
) -> None:
    report = compare_reports(_report(before, before), _report(after, after))
    assert [d.name for d in report.flipped] == (["inv"] if flipped else [])


def test_invariant_in_one_report_only_is_listed_but_not_flipped() -> None:
    report = compare_reports(_report(Verdict.PROVED, None, "old"), _report(None, Verdict.REFUTED))
    assert {(d.name, d.before, d.after) for d in report.invariants} == {
        ("inv", None, Verdict.REFUTED),
        ("old", Verdict.PROVED, None),
    }
    assert report.flipped == ()


def test_report_json_lists_every_invariant_and_the_flipped_ones(
    model: Model, baseline: ProveReport
) -> None:
    report = model.impact(WIDE, specs=only("payments_app_least_privilege"), baseline=baseline)
    data = json.loads(json.dumps(report.to_json()))
    assert data["flipped"] == ["payments_app_least_privilege"]
    assert len(data["invariants"]) == 25
    row = next(r for r in data["invariants"] if r["flipped"])
    assert (row["before"], row["after"]) == ("PROVED", "REFUTED")
    assert row["counterexamples"] and row["locations"]


def test_report_html_escapes_text_and_colours_verdicts() -> None:
    report = WhatIfReport(
        changes=("give <script>alert(1)</script> & more",),
        invariants=(
            InvariantDelta(
                name="a<b",
                title='"t"',
                before=Verdict.PROVED,
                after=Verdict.REFUTED,
                counterexamples=({"request": {"action": "kms:<x>"}},),
            ),
            InvariantDelta(name="c", title="t", before=Verdict.UNKNOWN, after=Verdict.UNKNOWN),
        ),
    )
    page = report._repr_html_()
    assert "<script>" not in page and "kms:<x>" not in page and "a<b" not in page
    assert "&lt;script&gt;" in page and "a&lt;b" in page and "&quot;t&quot;" in page
    for colour in ("#1a7f37", "#cf222e", "#e3a008"):
        assert colour in page


def test_permission_diff_renders_json_and_escaped_html() -> None:
    diff = PermissionDiff(
        principal="arn:aws:iam::1:role/<r>",
        gained=(("kms:Decrypt", "*"),),
        lost=(("kms:Encrypt", "arn:k"),),
        undecided=(("kms:Sign", "arn:k"),),
        checked=3,
    )
    assert diff.to_json()["gained"] == [{"action": "kms:Decrypt", "resource": "*"}]
    page = diff._repr_html_()
    assert "<r>" not in page and "&lt;r&gt;" in page
    assert page.count("</tr>") == 1 + 3
