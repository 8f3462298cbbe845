"""The only module that imports Z3: terms in, a model or a proof of absence out.

Z3 decides the Boolean structure, the finite choices, arithmetic and bit
vectors; string dimensions are decided lazily: each candidate model's pattern
memberships are checked by :func:`cksmodel.symbolic.strings.witness`, and an impossible
combination comes back to Z3 as a clause built from a small conflict core.
Pairwise containment and disjointness of each dimension's patterns are added
up front, which settles most combinations before any search.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

import z3

from cksmodel.symbolic.logic import (
    And,
    Assignment,
    BoolVar,
    BVRange,
    Const,
    EnumIs,
    EnumVar,
    Not,
    Or,
    RealCmp,
    Term,
    evaluate_term,
)
from cksmodel.symbolic.strings import Pattern, SearchLimit, conflict_core, relation, witness

SEED = 7
PAIRWISE_LIMIT = 40
"""Dimensions with more patterns than this get no up-front pairwise lemmas."""


class Status(StrEnum):
    SAT = "sat"
    UNSAT = "unsat"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Dimension:
    """What the solver needs of a string dimension (see encode.StringDim)."""

    name: str
    active: Term
    atoms: dict[Pattern, BoolVar]
    guards: list[tuple[Term, Pattern]]
    preferences: tuple[Pattern, ...] = ()
    """Patterns a witness should also match when it can, for readable values."""


@dataclass(slots=True)
class Result:
    status: Status
    reason: str = ""
    assignment: Assignment | None = None
    strings: dict[str, str] = field(default_factory=dict)
    rounds: int = 0


class _Translator:
    """Terms to Z3 in a context of its own, so that no query depends on earlier ones."""

    def __init__(self) -> None:
        self.ctx = z3.Context()
        self.vars: dict[str, Any] = {}
        self.enums: dict[str, EnumVar] = {}
        self.cache: dict[Term, Any] = {}
        self.domain: list[Any] = []

    def var(self, name: str, make: Any) -> Any:
        v = self.vars.get(name)
        if v is None:
            v = make(name, self.ctx)
            self.vars[name] = v
        return v

    def __call__(self, t: Term) -> Any:
        hit = self.cache.get(t)
        if hit is not None:
            return hit
        out = self._translate(t)
        self.cache[t] = out
        return out

    def _translate(self, t: Term) -> Any:
        if isinstance(t, Const):
            return z3.BoolVal(t.value, self.ctx)
        if isinstance(t, BoolVar):
            return self.var(t.name, z3.Bool)
        if isinstance(t, Not):
            return z3.Not(self(t.arg))
        if isinstance(t, And):
            return z3.And([self(a) for a in t.args])
        if isinstance(t, Or):
            return z3.Or([self(a) for a in t.args])
        if isinstance(t, EnumIs):
            return self.enum(t.var) == t.index
        if isinstance(t, RealCmp):
            v = self.var(t.var.name, z3.Real)
            c = z3.RealVal(f"{t.constant.numerator}/{t.constant.denominator}", self.ctx)
            return {"==": v == c, "<": v < c, "<=": v <= c, ">": v > c, ">=": v >= c}[t.op]
        assert isinstance(t, BVRange)
        v = self.var(t.var.name, lambda n, c: z3.BitVec(n, t.var.width, c))
        low = z3.BitVecVal(t.low, t.var.width, self.ctx)
        high = z3.BitVecVal(t.high, t.var.width, self.ctx)
        return z3.And(z3.ULE(low, v), z3.ULE(v, high))

    def enum(self, var: EnumVar) -> Any:
        if var.name not in self.vars:
            v = z3.Int(var.name, self.ctx)
            self.vars[var.name] = v
            self.enums[var.name] = var
            self.domain.append(z3.And(v >= 0, v < len(var.domain)))
        return self.vars[var.name]


def _assignment(model: Any, tr: _Translator) -> Assignment:
    bools: dict[str, bool] = {}
    enums: dict[str, int] = {}
    reals: dict[str, Fraction] = {}
    bitvecs: dict[str, int] = {}
    for name, v in tr.vars.items():
        value = model.eval(v, model_completion=True)
        if z3.is_bool(v):
            bools[name] = z3.is_true(value)
        elif name in tr.enums:
            enums[name] = value.as_long()
        elif z3.is_bv(v):
            bitvecs[name] = value.as_long()
        else:
            reals[name] = Fraction(value.numerator_as_long(), value.denominator_as_long())
    return Assignment(bools=bools, enums=enums, reals=reals, bitvecs=bitvecs)


def _pairwise(dim: Dimension) -> Iterable[Term]:
    """Lemmas ``a -> b`` for contained patterns and ``not (a and b)`` for disjoint ones."""
    items = list(dim.atoms.items())
    if len(items) > PAIRWISE_LIMIT:
        return
    for i, (p, a) in enumerate(items):
        for q, b in items[i + 1 :]:
            disjoint, p_in_q, q_in_p = relation(p, q)
            if disjoint:
                yield Or((Not(a), Not(b)))
                continue
            if p_in_q:
                yield Or((Not(a), b))
            if q_in_p:
                yield Or((Not(b), a))


def _readable(found: str, pos: list[Pattern], neg: list[Pattern], prefs: Sequence[Pattern]) -> str:
    """The shortest witness that also matches as many preferences as it can, in order."""
    kept: list[Pattern] = []
    best = found
    for pref in prefs:
        try:
            nicer = witness([*pos, *kept, pref], neg, limit=20_000)
        except SearchLimit:
            continue
        if nicer is not None:
            kept.append(pref)
            best = nicer
    return best


def solve(
    goal: Term,
    dims: Sequence[Dimension],
    *,
    timeout: float = 30.0,
    rlimit: int | None = None,
    max_rounds: int = 500,
    exclude: Sequence[Term] = (),
) -> Result:
    """Find an assignment satisfying ``goal`` whose string memberships are realizable."""
    start = time.monotonic()
    deadline = start + timeout
    tr = _Translator()
    solver = z3.Solver(ctx=tr.ctx)
    solver.set("random_seed", SEED)
    if rlimit is not None:
        solver.set("rlimit", rlimit)
    solver.add(tr(goal))
    for t in exclude:
        solver.add(tr(t))
    for dim in dims:
        for lemma in _pairwise(dim):
            solver.add(tr(lemma))
    solver.add(*tr.domain)
    bounded = len(tr.domain)
    rounds = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Result(Status.UNKNOWN, f"timeout after {timeout:g} s", rounds=rounds)
        solver.set("timeout", max(1, int(remaining * 1000)))
        outcome = solver.check()
        rounds += 1
        if outcome == z3.unsat:
            return Result(Status.UNSAT, rounds=rounds)
        if outcome != z3.sat:
            reason = solver.reason_unknown()
            if "timeout" in reason or "canceled" in reason:
                reason = f"timeout after {timeout:g} s"
            return Result(Status.UNKNOWN, f"solver: {reason}", rounds=rounds)
        assignment = _assignment(solver.model(), tr)
        strings: dict[str, str] = {}
        conflicts: list[Term] = []
        try:
            for dim in dims:
                if not evaluate_term(dim.active, assignment):
                    continue
                justified: list[tuple[Pattern, Term, bool]] = [
                    (p, g, True) for g, p in dim.guards if evaluate_term(g, assignment)
                ]
                for p, atom in dim.atoms.items():
                    justified.append((p, atom, assignment.bools.get(atom.name, False)))
                pos = [p for p, _, inside in justified if inside]
                neg = [p for p, _, inside in justified if not inside]
                found = witness(pos, neg)
                if found is not None:
                    strings[dim.name] = _readable(found, pos, neg, dim.preferences)
                    continue
                core_pos, core_neg = conflict_core(pos, neg, deadline=deadline)
                why = {(p, inside): term for p, term, inside in justified}
                conflicts.append(
                    Or(
                        tuple(
                            [Not(why[(p, True)]) for p in core_pos]
                            + [why[(p, False)] for p in core_neg]
                        )
                    )
                )
        except SearchLimit as exc:
            return Result(Status.UNKNOWN, f"string search limit: {exc}", rounds=rounds)
        if not conflicts:
            return Result(Status.SAT, assignment=assignment, strings=strings, rounds=rounds)
        if rounds >= max_rounds:
            return Result(
                Status.UNKNOWN, f"no realizable model after {rounds} rounds", rounds=rounds
            )
        for clause in conflicts:
            solver.add(tr(clause))
        solver.add(*tr.domain[bounded:])
        bounded = len(tr.domain)
