"""What-if analysis: change an account's policies hypothetically and see what follows.

A :class:`Model` wraps an :class:`~cksmodel.account.model.Account`; :meth:`Model.what_if`
returns a new model with some changes applied (the account it started from is
never modified), which can be proved against specs and compared with the
baseline (:meth:`Model.impact`, :func:`compare_reports`) or asked which
permissions one principal gains or loses (:meth:`Model.diff`)::

    model = Model.load("examples/cks-account")
    wide = AddStatement(
        principal="payments-app",
        statement={"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
    )
    model.impact(wide)                              # invariants that flip
    model.diff(model.what_if(wide), "payments-app")  # actions gained or lost

Policies are named as the bundle names them (``role/app/inline/Kms``,
``managed/ARN``, ``key/KEY-ID/key-policy``, ...). Documents a change brings go
through the policy builder, so they are checked like bundle files, and their
spans name a synthetic source ``what-if:N`` for the N-th change; the JSON text
of each source is in :attr:`Model.sources`. Bad references raise
:class:`WhatIfError` naming what was expected, with close matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.arguments import check_path, check_seconds, check_text, check_type
from cksmodel.errors import InputError
from cksmodel.invariants.access_diff import (
    PermissionDiff,
    default_actions,
    on_keys,
    permission_diff,
)
from cksmodel.invariants.prove import prove
from cksmodel.invariants.results import ProveReport
from cksmodel.invariants.spec import Spec, load_spec
from cksmodel.markup import (
    Html,
    badge,
    box,
    bullets,
    code,
    example,
    heading,
    line,
    locations,
    table,
)
from cksmodel.notebook.changes import (
    CHANGE_TYPES,
    AddGrant,
    AddStatement,
    AttachPolicy,
    Change,
    DetachPolicy,
    RemoveStatement,
    ReplacePolicy,
    SetKeyPolicy,
    SetTrustPolicy,
    Step,
    WhatIfError,
    close_matches,
    find_principal,
)
from cksmodel.policy.catalog import get_catalog
from cksmodel.source import Location
from cksmodel.symbolic.query import Verdict

__all__ = [
    "AddGrant",
    "AddStatement",
    "AttachPolicy",
    "Change",
    "DetachPolicy",
    "InvariantDelta",
    "Model",
    "PermissionDiff",
    "RemoveStatement",
    "ReplacePolicy",
    "SetKeyPolicy",
    "SetTrustPolicy",
    "WhatIfError",
    "WhatIfReport",
    "compare_reports",
    "default_specs",
]

# --------------------------------------------------------------------------- specs


@cache
def default_specs() -> tuple[Spec, ...]:
    """The custom key store invariants shipped with the package (``specs/cks.spec``)."""
    packaged = resources.files("cksmodel") / "specs" / "cks.spec"
    if packaged.is_file():
        return (load_spec(Path(str(packaged))),)
    return (load_spec(Path(__file__).resolve().parents[2] / "specs" / "cks.spec"),)


# --------------------------------------------------------------------------- comparing proofs


@dataclass(frozen=True, kw_only=True, slots=True)
class InvariantDelta:
    """One invariant's verdict before and after (``None``: not in that report).

    ``counterexamples`` and ``locations`` are those of the after side.
    """

    name: str
    title: str
    before: Verdict | None
    after: Verdict | None
    counterexamples: tuple[dict[str, Any], ...] = ()
    locations: tuple[Location, ...] = ()

    @property
    def flipped(self) -> bool:
        """Proved on both sides, with different verdicts."""
        return None not in (self.before, self.after) and self.before != self.after

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "before": None if self.before is None else self.before.value,
            "after": None if self.after is None else self.after.value,
            "flipped": self.flipped,
            "counterexamples": list(self.counterexamples),
            "locations": [loc.to_json() for loc in self.locations],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class WhatIfReport:
    """Every invariant's verdict before and after some changes."""

    invariants: tuple[InvariantDelta, ...]
    changes: tuple[str, ...] = ()
    """Descriptions of the changes, when known."""

    @property
    def flipped(self) -> tuple[InvariantDelta, ...]:
        """The invariants whose verdict changed."""
        return tuple(d for d in self.invariants if d.flipped)

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": list(self.changes),
            "flipped": [d.name for d in self.flipped],
            "invariants": [d.to_json() for d in self.invariants],
        }

    def _repr_html_(self) -> str:
        """The changes, every invariant before and after, and why each flipped one flipped."""

        def word(v: Verdict | None) -> Html:
            return badge(v.value if v is not None else "absent")

        parts = [heading("What if"), bullets(self.changes)] if self.changes else []
        parts.append(line(f"{len(self.flipped)} of {len(self.invariants)} invariants flipped"))
        parts.append(
            table(
                ("invariant", "title", "before", "after"),
                ((code(d.name), d.title, word(d.before), word(d.after)) for d in self.invariants),
            )
        )
        for d in self.flipped:
            parts.append(line(code(d.name), word(d.before), "\u2192", word(d.after)))
            parts += [example(c) for c in d.counterexamples]
            if d.locations:
                parts.append(locations(d.locations))
        return box(parts)


def compare_reports(before: ProveReport, after: ProveReport) -> WhatIfReport:
    """Pair the invariants of two reports by name (in order, if a name repeats).

    An invariant in one report only is listed with ``None`` on the other side and
    does not count as flipped, so a baseline of a whole spec can be compared with
    a proof of a few of its invariants.
    """
    earlier: dict[str, list[Any]] = {}
    for result in before.results:
        earlier.setdefault(result.name, []).append(result)
    rows = []
    for result in after.results:
        queue = earlier.get(result.name, [])
        old = queue.pop(0) if queue else None
        rows.append(
            InvariantDelta(
                name=result.name,
                title=result.title,
                before=None if old is None else old.verdict,
                after=result.verdict,
                counterexamples=result.counterexamples,
                locations=result.locations,
            )
        )
    rows += [
        InvariantDelta(name=r.name, title=r.title, before=r.verdict, after=None)
        for queue in earlier.values()
        for r in queue
    ]
    return WhatIfReport(invariants=tuple(rows))


# --------------------------------------------------------------------------- permission diff


def _diff_actions(actions: Sequence[str] | None) -> tuple[str, ...]:
    catalog = get_catalog()
    if actions is None:
        return default_actions()
    out: list[str] = []
    patterns = [actions] if isinstance(actions, str) else actions
    what = "None, an action pattern or a list of them"
    check_type("actions", patterns, Sequence, what)
    for pattern in patterns:
        check_text("actions", pattern, what)
        found = catalog.expand(pattern)
        service = pattern.partition(":")[0]
        if not found and ":" in pattern and not catalog.has_service(service):
            raise WhatIfError(
                f"{pattern!r}: no service {service!r}; "
                + close_matches(service, catalog.services()),
                code="E_WHATIF_ACTION",
            )
        if not found:
            known = (
                catalog.actions_of(service) if ":" in pattern else catalog.expand(f"*:{pattern}")
            )
            raise WhatIfError(
                f"{pattern!r} names no action (expected service:Action); "
                f"{close_matches(pattern, known)}",
                code="E_WHATIF_ACTION",
            )
        out += found
    return tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, kw_only=True, slots=True)
class Model:
    """An account, possibly with hypothetical changes; never modified in place."""

    account: Account = field(repr=False)
    changes: tuple[Change, ...] = ()
    baseline: Account | None = field(default=None, repr=False)
    """The account before ``changes`` (``None``: ``account`` itself)."""
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)
    """The JSON text of each ``what-if:N`` source that spans point into."""

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """The model of an account bundle directory."""
        return cls(account=load_bundle(check_path("path", path, "an account bundle directory")))

    @property
    def original(self) -> Account:
        """The account before any change."""
        return self.account if self.baseline is None else self.baseline

    def what_if(self, *changes: Change) -> Model:
        """A new model with ``changes`` applied in order after this model's own."""
        account = self.account
        sources = dict(self.sources)
        for number, change in enumerate(changes, start=len(self.changes) + 1):
            if not isinstance(change, CHANGE_TYPES):
                raise WhatIfError(
                    f"change {number}: expected one of "
                    f"{', '.join(t.__name__ for t in CHANGE_TYPES)}, not {change!r}",
                    code="E_WHATIF_CHANGE",
                )
            step = Step(account=account, number=number)
            try:
                applied = change.apply(step)
            except InputError as exc:
                what = f"change {number} ({change.describe()}): {exc.message}"
                raise WhatIfError(what, span=exc.span, code=exc.code) from None
            account = applied.account
            if applied.source is not None:
                sources[step.source] = applied.source
        return Model(
            account=account,
            changes=(*self.changes, *changes),
            baseline=self.original,
            sources=sources,
        )

    def without(self, *changes: Change) -> Model:
        """This model's changes except ``changes``, replayed on the original account."""
        kept = [c for c in self.changes if c not in changes]
        return Model(account=self.original).what_if(*kept)

    def prove(self, specs: Sequence[Spec] | None = None, *, timeout: float = 30.0) -> ProveReport:
        """Prove the specs' invariants (default: :func:`default_specs`) against the account."""
        return prove(default_specs() if specs is None else specs, self.account, timeout=timeout)

    def impact(
        self,
        *changes: Change,
        specs: Sequence[Spec] | None = None,
        timeout: float = 30.0,
        baseline: ProveReport | None = None,
    ) -> WhatIfReport:
        """Prove this model and the model with ``changes``, and compare.

        ``baseline``, a report of this model on the same specs, saves proving it again.
        """
        check_seconds("timeout", timeout)
        if baseline is not None:
            check_type("baseline", baseline, ProveReport, "None or a ProveReport of this model")
        changed = self.what_if(*changes)
        before = baseline if baseline is not None else self.prove(specs, timeout=timeout)
        report = compare_reports(before, changed.prove(specs, timeout=timeout))
        return replace(report, changes=tuple(c.describe() for c in changes))

    def diff(
        self,
        other: Model,
        principal: str,
        *,
        actions: Sequence[str] | None = None,
        timeout: float = 30.0,
    ) -> PermissionDiff:
        """What ``principal`` can do in ``other`` and not here (gained), and the reverse (lost).

        Each action (default: every ``kms:`` and ``cloudhsm:`` action and
        :data:`~cksmodel.invariants.access_diff.DIFF_ACTIONS`) is asked on resource ``*``
        and, if it can name a key, on each key both accounts have.
        """
        check_type("other", other, Model, "a Model (Model.load or what_if returns one)")
        check_text("principal", principal, "a user or role: NAME, user/NAME, role/NAME or ARN")
        check_seconds("timeout", timeout)
        names = _diff_actions(actions)
        sides = [find_principal(m.account, principal) for m in (self, other)]
        arns = sorted({k.arn for k in self.account.keys} & {k.arn for k in other.account.keys})
        pairs = [(a, "*") for a in names] + [(a, k) for a in names if on_keys(a) for k in arns]
        return permission_diff(self.account, other.account, sides[1].arn, pairs, timeout=timeout)
