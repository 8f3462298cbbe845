"""Resources a real request could name: the ARN formats of each action's resource types.

AWS rejects a request whose resource does not fit one of its action's resource types, so
a counterexample must fit one too. The encoding decides the resource only through
pattern memberships; once a model is found, :func:`refit` looks for a resource with the
same memberships that fits a format of the model's action (or of another action the
policies and the evaluator treat alike), or shows that none exists, so that the search
can exclude that combination exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from cksmodel.concrete.request import Request
from cksmodel.policy.catalog import get_catalog
from cksmodel.symbolic.encode import Encoder
from cksmodel.symbolic.logic import (
    Assignment,
    EnumIs,
    Term,
    and_,
    implies,
    not_,
    or_,
)
from cksmodel.symbolic.matching import arn_shape
from cksmodel.symbolic.strings import (
    ANY,
    NOT_COLON,
    CharClass,
    Pattern,
    SearchLimit,
    Token,
    concat,
    lit_tokens,
    matches,
    star,
    witness,
)

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_HEAD_PARTS = frozenset({"Partition", "Region", "Account"})
_SEGMENT = CharClass(frozenset("/:"), negated=True)
MAX_LEMMA_FORMATS = 24
"""Up to this many formats, a model without a fitting resource adds the lemma "this
action's resource fits one of its formats"; beyond, only the model's choices are excluded."""
SEARCH_LIMIT = 50_000
"""Product states per witness search for one format (a limit makes the model unsure)."""


@lru_cache(maxsize=4096)
def format_pattern(template: str) -> Pattern:
    """An ARN template as a pattern: every ``${…}`` non-empty; the partition, Region and
    account without ``:``, a name before more text without ``/`` or ``:``."""
    pieces: list[list[Token]] = []
    last = 0
    found = list(_VARIABLE.finditer(template))
    for i, m in enumerate(found):
        pieces.append(lit_tokens(template[last : m.start()]))
        final = i == len(found) - 1 and m.end() == len(template)
        cls = NOT_COLON if m.group(1) in _HEAD_PARTS else ANY if final else _SEGMENT
        pieces.append([Token(cls), *star(cls)])
        last = m.end()
    pieces.append(lit_tokens(template[last:]))
    return concat("format " + template, *pieces)


def formats_of(action: str) -> tuple[str, ...] | None:
    """The action's ARN templates; ``()`` when it takes only ``*``; ``None`` if unknown."""
    info = get_catalog().action(action)
    if info is None:
        return None
    return () if info.star_only else info.arn_formats


def well_formed(action: str, resource: str) -> bool:
    """Could a real request of this action name this resource (unknown actions: yes)?"""
    formats = formats_of(action)
    if formats is None:
        return True
    if not formats:
        return resource == "*"
    return any(matches(format_pattern(t), resource) for t in formats)


@dataclass(frozen=True, slots=True)
class Refit:
    """A well-formed request for the model (``request``), or a constraint that rules out
    the model and only requests no real call could be (``exclude``), or neither (unsure)."""

    request: Request | None = None
    exclude: Term | None = None


def refit(enc: Encoder, a: Assignment, request: Request) -> Refit:
    """The model's request with a resource that fits its action (see the module doc)."""
    if request.resource == "*" or well_formed(request.action, request.resource):
        return Refit(request=request)
    members, complete = enc.u.groups.get(request.action, ((request.action,), False))
    dim = enc.resource
    pos = [p for p, atom in dim.atoms.items() if a.bools.get(atom.name, False)]
    neg = [p for p, atom in dim.atoms.items() if not a.bools.get(atom.name, False)]
    tried: set[str] = set()
    for action in (request.action, *members):
        for template in formats_of(action) or ():
            if template in tried:
                continue
            tried.add(template)
            for shape, resource_account in _shapes(enc, a):
                wanted = [*pos, shape, format_pattern(template)]
                try:
                    found = witness(wanted, neg, limit=SEARCH_LIMIT)
                except SearchLimit:
                    complete = False
                    continue
                if found is not None:
                    resource = _readable(found, wanted, neg, dim.preferences)
                    return Refit(
                        request=replace(
                            request,
                            action=action,
                            resource=resource,
                            resource_account=resource_account,
                        )
                    )
    if not complete:
        return Refit()
    every = sorted({t for action in members for t in formats_of(action) or ()})
    if len(every) > MAX_LEMMA_FORMATS:
        return Refit(exclude=_choices(enc, a))
    index = enc.action.domain.index(request.action)
    return Refit(
        exclude=implies(
            and_(EnumIs(enc.action, index), not_(enc.res_star)),
            or_(dim.member(format_pattern(t)) for t in every),
        )
    )


def _shapes(enc: Encoder, a: Assignment) -> list[tuple[Pattern, str | None]]:
    """The model's resource ARN, with its account shown or (then given on its own) not:
    either way the request has the same resource account."""
    part = enc.partition.domain[a.enums.get(enc.partition.name, 0)]
    account = enc.raccount.domain[a.enums.get(enc.raccount.name, 0)]
    if a.bools.get(enc.res_no_account.name, False):
        return [(arn_shape(part, ""), None)]
    return [(arn_shape(part, account), None), (arn_shape(part, ""), account)]


def _readable(
    found: str, pos: list[Pattern], neg: list[Pattern], prefs: tuple[Pattern, ...]
) -> str:
    """The witness that also matches as many readable preferences as it can, in order."""
    kept: list[Pattern] = []
    for pref in prefs:
        try:
            nicer = witness([*pos, *kept, pref], neg, limit=SEARCH_LIMIT)
        except SearchLimit:
            continue
        if nicer is not None:
            kept.append(pref)
            found = nicer
    return found


def _choices(enc: Encoder, a: Assignment) -> Term:
    """Requests with the model's action and resource choices (none fits a format)."""
    same: list[Term] = [
        EnumIs(var, a.enums.get(var.name, 0)) for var in (enc.action, enc.raccount, enc.partition)
    ]
    for flag in (enc.res_star, enc.res_acct_in_arn, enc.res_no_account):
        same.append(flag if a.bools.get(flag.name, False) else not_(flag))
    for atom in enc.resource.atoms.values():
        same.append(atom if a.bools.get(atom.name, False) else not_(atom))
    return not_(and_(same))
