"""What applying a plan or template to an account gives: the account after the change, the
placeholders standing for values known only after apply, what could not be applied, and the
check that no policy pattern tells a placeholder from the value AWS will choose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from cksmodel.account.model import (
    Account,
)
from cksmodel.infra.model import (
    Approximation,
    Infrastructure,
    Locus,
)
from cksmodel.policy.ir import Policy

__all__ = ["PLACEHOLDER_PREFIX", "AppliedPlan", "Placeholder", "singling_patterns"]

PLACEHOLDER_PREFIX = "after-apply-"
"""Every placeholder value holds this: no AWS id or name the bundle holds does."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Placeholder:
    """A fresh value standing for one known only after apply (a key id, an ARN, ...)."""

    value: str
    location: Locus
    attribute: str

    @property
    def approximation(self) -> Approximation:
        return Approximation(
            location=self.location,
            message=f"{self.attribute} is known after apply; placeholder {self.value}",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AppliedPlan:
    """The account after the change, and what applying it stood in for or assumed."""

    account: Account
    infrastructure: Infrastructure
    placeholders: tuple[Placeholder, ...] = ()
    unresolved: tuple[Approximation, ...] = ()
    """What could not be applied: results that may rest on it are not PROVED."""
    assumptions: tuple[Approximation, ...] = ()
    """What applying took as given (a default key policy, a derived ARN, an SCP level)."""
    fresh: tuple[str, ...] = ()
    """Every value standing for one AWS chooses at apply (placeholders, a template's ids)."""
    removed: tuple[Locus, ...] = ()
    """The resources destroyed whose removal changed the account (others are not in it)."""
    changed: tuple[tuple[str, Locus], ...] = ()
    """Each ARN (or id) of the account the input adds, replaces or deletes, with its locus."""

    @property
    def approximations(self) -> tuple[Approximation, ...]:
        """Every placeholder, unresolved value and assumption, in that order."""
        return (
            *(p.approximation for p in self.placeholders),
            *self.unresolved,
            *self.assumptions,
        )

    def locus_of_span(self, source: str, line: int) -> Locus | None:
        """The resource of the input a position belongs to: a policy embedded in a plan
        attribute by its label, a template position by the nearest resource above it."""
        infra = self.infrastructure
        for doc in infra.policies:
            if doc.label == source and source != infra.source:
                return doc.location
        if source != infra.source:
            return None
        above = [
            locus for _, locus in self.changed if locus.span.line <= line and locus.source == source
        ]
        above += [d.location for d in infra.policies if d.location.span.line <= line]
        return max(above, key=lambda locus: locus.span.line, default=None)


def _policies(account: Account) -> Iterator[Policy]:
    for p in account.principals:
        yield from p.policies
        if p.boundary is not None:
            yield p.boundary
        if p.trust_policy is not None:
            yield p.trust_policy
    for g in account.groups:
        yield from g.policies
    yield from account.managed_policies.values()
    for k in account.keys:
        yield k.policy
    for level in (*account.scps, *account.rcps):
        yield from level


def singling_patterns(applied: AppliedPlan) -> tuple[str, ...]:
    """The policy patterns that may tell a placeholder from the value AWS will choose.

    A verdict on the applied account speaks of the real values too when every pattern of
    every policy matches, for each string holding a fresh value (a key's ARN, the value
    itself), every choice of that value or none: a literal cannot name an id that does not
    exist yet (the input's own references use the same placeholder). Written ``A + value +
    B``, a pattern matches every choice when it ends with ``*`` and already matches ``A``
    (the ``*`` takes the value and ``B`` too); it matches none when no string starting
    with ``A`` can match it, or, for a bare id, when it holds a character no id is written
    with (a policy variable may stand for anything). Any other pattern
    with a wildcard or a variable is reported: the test is sound, so a pattern such as
    ``key/1234*`` or ``key/*a*`` always is.
    """
    from cksmodel.policy.patterns import arn_match, has_variables

    values = applied.fresh
    if not values:
        return ()
    subjects = (*values, *(k.arn for k in applied.account.keys))
    found: list[str] = []
    for policy in _policies(applied.account):
        for statement in policy.statements:
            texts = [
                *(v.text for v in statement.resources or ()),
                *(v.text for v in statement.not_resources or ()),
                *(v.text for c in statement.conditions for v in c.values),
            ]
            for text in texts:
                variables = has_variables(text)
                if not variables and not any(ch in text for ch in "*?"):
                    continue
                for value in values:
                    token = _TOKEN.search(value)
                    chosen = token[0] if token is not None else value
                    for subject in (s for s in subjects if chosen in s):
                        before, _, after = subject.partition(chosen)
                        every = not variables and text.endswith("*") and arn_match(text, before)
                        glob = _VARIABLE.sub("*", text)
                        none = (
                            not _may_start(glob, before)
                            if before or after
                            else bool(set(glob.casefold()) - _ID_CHARACTERS)
                        )
                        if every or none:
                            continue
                        where = f"{policy.name} statement {statement.index}"
                        found.append(f"{where}: {text} (placeholder {value})")
    return tuple(dict.fromkeys(found))


_VARIABLE = re.compile(r"\$\{[^}]*\}")
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-*?")
"""What an id AWS chooses is written with (key, store, cluster, grant ids), case aside: a
pattern with any other literal character matches no bare id."""
_TOKEN = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"[a-z0-9-]+")
"""The part of a placeholder AWS chooses (a placeholder may be a whole ARN holding it)."""


def _may_start(pattern: str, prefix: str) -> bool:
    """Could a string starting with ``prefix`` match the pattern, as the evaluator matches
    ARNs (the first five components apart and without case; see ``arn_match``)?"""
    from cksmodel.policy.patterns import compile_glob, split_arn

    parts, given = split_arn(pattern), prefix.split(":", 5)
    if parts is not None and len(given) == 6:
        heads = all(
            compile_glob(p, True).match(v) for p, v in zip(parts[:5], given[:5], strict=True)
        )
        return heads and _glob_may_start(parts[5], given[5])
    return _glob_may_start(pattern, prefix)


def _glob_may_start(pattern: str, prefix: str) -> bool:
    """Could a string starting with ``prefix`` match the glob (``*``, ``?``), compared
    without case (so that a doubt keeps the pattern reported)?"""
    pattern, prefix = pattern.casefold(), prefix.casefold()

    def closure(states: set[int]) -> set[int]:
        out = set(states)
        for i in sorted(states):
            while i < len(pattern) and pattern[i] == "*":
                i += 1
                out.add(i)
        return out

    states = closure({0})
    for ch in prefix:
        moved = set()
        for i in states:
            if i < len(pattern) and pattern[i] == "*":
                moved.add(i)
            elif i < len(pattern) and pattern[i] in ("?", ch):
                moved.add(i + 1)
        states = closure(moved)
        if not states:
            return False
    return True
