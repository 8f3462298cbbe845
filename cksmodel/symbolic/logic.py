"""A small term language for the symbolic encoding, free of any solver.

The encoder builds these terms; :mod:`cksmodel.symbolic.solve` (the only module that
imports Z3) translates them. Keeping Z3 out of the encoder keeps the encoding
testable by plain evaluation (:func:`evaluate_term`) and the solver swappable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class BoolVar:
    name: str


@dataclass(frozen=True, slots=True)
class Not:
    arg: Term
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(("not", self.arg)))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class And:
    args: tuple[Term, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(("and", self.args)))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class Or:
    args: tuple[Term, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(("or", self.args)))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class EnumVar:
    """A variable ranging over ``0 .. len(domain) - 1``; ``domain`` names the values."""

    name: str
    domain: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EnumIs:
    var: EnumVar
    index: int


@dataclass(frozen=True, slots=True)
class RealVar:
    name: str


@dataclass(frozen=True, slots=True)
class RealCmp:
    """``var OP constant`` with OP one of ``== < <= > >=``."""

    var: RealVar
    op: str
    constant: Fraction


@dataclass(frozen=True, slots=True)
class BVVar:
    name: str
    width: int


@dataclass(frozen=True, slots=True)
class BVRange:
    """``low <= var <= high``, unsigned."""

    var: BVVar
    low: int
    high: int


Term = Const | BoolVar | Not | And | Or | EnumIs | RealCmp | BVRange

TRUE = Const(True)
FALSE = Const(False)


def not_(a: Term) -> Term:
    if isinstance(a, Const):
        return FALSE if a.value else TRUE
    if isinstance(a, Not):
        return a.arg
    return Not(a)


def and_(*args: Term | Iterable[Term]) -> Term:
    flat: list[Term] = []
    for a in _flatten(args):
        if a == FALSE:
            return FALSE
        if a != TRUE:
            flat.extend(a.args if isinstance(a, And) else (a,))
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(tuple(dict.fromkeys(flat)))


def or_(*args: Term | Iterable[Term]) -> Term:
    flat: list[Term] = []
    for a in _flatten(args):
        if a == TRUE:
            return TRUE
        if a != FALSE:
            flat.extend(a.args if isinstance(a, Or) else (a,))
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(tuple(dict.fromkeys(flat)))


def implies(a: Term, b: Term) -> Term:
    return or_(not_(a), b)


def enum_in(var: EnumVar, indices: Iterable[int]) -> Term:
    return or_(EnumIs(var, i) for i in sorted(set(indices)))


def _flatten(args: tuple[Term | Iterable[Term], ...]) -> Iterable[Term]:
    for a in args:
        if isinstance(a, Const | BoolVar | Not | And | Or | EnumIs | RealCmp | BVRange):
            yield a
        else:
            yield from a


@dataclass(frozen=True, slots=True)
class Assignment:
    """Values for the variables of a model (what the solver found)."""

    bools: Mapping[str, bool]
    enums: Mapping[str, int]
    reals: Mapping[str, Fraction]
    bitvecs: Mapping[str, int]


def evaluate_term(term: Term, a: Assignment) -> bool:
    """The value of a term under an assignment (unassigned Booleans are false)."""
    if isinstance(term, Const):
        return term.value
    if isinstance(term, BoolVar):
        return a.bools.get(term.name, False)
    if isinstance(term, Not):
        return not evaluate_term(term.arg, a)
    if isinstance(term, And):
        return all(evaluate_term(t, a) for t in term.args)
    if isinstance(term, Or):
        return any(evaluate_term(t, a) for t in term.args)
    if isinstance(term, EnumIs):
        return a.enums.get(term.var.name, 0) == term.index
    if isinstance(term, RealCmp):
        value = a.reals.get(term.var.name, Fraction(0))
        return {
            "==": value == term.constant,
            "<": value < term.constant,
            "<=": value <= term.constant,
            ">": value > term.constant,
            ">=": value >= term.constant,
        }[term.op]
    value_bv = a.bitvecs.get(term.var.name, 0)
    return term.low <= value_bv <= term.high
