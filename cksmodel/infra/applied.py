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

__all__ = ["ALTERNATES", "PLACEHOLDER_PREFIX", "AppliedPlan", "Placeholder", "singling_patterns"]

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


_TOKEN = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"[a-z0-9-]+")

ALTERNATES = (
    "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "mrk-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
    *"0123456789abcdef",
)
"""Values AWS may choose (a key id, a multi-Region key id, and every first character of an id),
each compared with a placeholder: a pattern matching some and not others tells them apart."""


def singling_patterns(applied: AppliedPlan) -> tuple[str, ...]:
    """The policy patterns that tell a placeholder from other fresh values, each described.

    A verdict on the applied account speaks of the real values too when every pattern of
    every policy either matches every fresh value or none of them: a literal cannot name an
    id that does not exist yet (the input's own references use the same placeholder), and
    ``*`` matches all. A pattern such as ``key/1234*`` matches some fresh ids and not others;
    then a result may not carry over, and it is reported here.
    """
    from cksmodel.policy.patterns import compile_glob, has_variables

    values = applied.fresh
    if not values:
        return ()
    arns = [k.arn for k in applied.account.keys]
    found: list[str] = []
    for policy in _policies(applied.account):
        for statement in policy.statements:
            texts = [
                *(v.text for v in statement.resources or ()),
                *(v.text for v in statement.not_resources or ()),
                *(v.text for c in statement.conditions for v in c.values),
            ]
            for text in texts:
                if not any(ch in text for ch in "*?") or has_variables(text):
                    continue
                glob = compile_glob(text)
                for value in values:
                    token = _TOKEN.search(value)
                    part = token[0] if token is not None else value
                    subjects = [v for v in (*values, *arns) if part in v]
                    if any(
                        glob.match(v.replace(part, a)) != glob.match(v)
                        for v in subjects
                        for a in ALTERNATES
                    ):
                        where = f"{policy.name} statement {statement.index}"
                        found.append(f"{where}: {text} (placeholder {value})")
    return tuple(dict.fromkeys(found))
