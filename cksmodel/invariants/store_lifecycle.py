"""Lifecycle invariants: the custom key store's transition system under the account's permissions.

The store model (:mod:`cksmodel.cks.lifecycle`) is explored with the API calls some principal
of the account may make; what the bundle does not say (undecided permissions, the cluster's
zones, the regions) is tried every way, and an answer that depends on it is UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable

from cksmodel.account.access import Tri, all_of
from cksmodel.account.model import Account
from cksmodel.cks import lifecycle
from cksmodel.cks.regions import supported
from cksmodel.invariants.spec import Guard, Lifecycle

UNLISTED_REGION = "a region account.json does not list"


def explore(account: Account, inv: Lifecycle, anyone_can: Callable[[str], bool | None]) -> Tri:
    """Explore the store's transition system. API calls whose permission is undecided
    are tried both ways; a bundle without its cluster tries every HSM zone count."""
    permitted = {a: anyone_can(a) for a in sorted(lifecycle.ALL_ACTIONS)}
    definite = frozenset(a for a, v in permitted.items() if v is True)
    possible = frozenset(a for a, v in permitted.items() if v is not False)
    if account.clusters:
        zone_options = [max(len(c.active_zones) for c in account.clusters)]
    else:
        zone_options = [0, 1, 2]
    guard = _guard(inv.guard)
    if account.regions:
        region_cases = [(r, supported(r)) for r in account.regions]
    else:
        region_cases = [(UNLISTED_REGION, True), (UNLISTED_REGION, False)]
    results = []
    for region, region_supported in region_cases:
        outcomes = []
        for zones in zone_options:

            def run(
                allowed: frozenset[str], zones: int = zones, ok: bool = region_supported
            ) -> lifecycle.Trace | None:
                env = lifecycle.Environment(
                    region_supported=ok, active_hsm_zones=zones, allowed=allowed
                )
                return lifecycle.check(inv.event, guard, steps=inv.steps, env=env)

            if run(possible) is None:
                outcomes.append(Tri(True))
                continue
            trace = run(definite)
            if trace is None:
                outcomes.append(Tri(None, reason="depends on permissions that are undecided"))
            else:
                evidence = {"region": region, "trace": [f"{e}: {s}" for e, s in trace]}
                outcomes.append(Tri(False, [evidence]))
        if len(zone_options) > 1 and any(o.value is False for o in outcomes):
            if all(o.value is False for o in outcomes):
                results.append(outcomes[0])
            else:
                results.append(
                    Tri(None, reason="the bundle has no cluster, and the answer depends on it")
                )
        else:
            results.append(all_of(outcomes))
    if not account.regions and len({r.value for r in results}) > 1:
        return Tri(None, reason="account.json lists no regions, and the answer depends on them")
    return all_of(results)


_CMP: dict[str, Callable[[int, int], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def _guard(g: Guard) -> lifecycle.Guard:
    """A spec guard as a predicate on (state, environment)."""
    if g.op == "state":
        return lambda s, e: (s.store.value if s.store else "NONE") == g.names[0]
    if g.op == "state_in":
        return lambda s, e: (s.store.value if s.store else "NONE") in g.names
    if g.op == "keys":
        return lambda s, e: _CMP[g.cmp](s.keys, g.number)
    if g.op == "zones":
        return lambda s, e: _CMP[g.cmp](e.active_hsm_zones, g.number)
    if g.op == "region":
        return lambda s, e: e.region_supported
    parts = [_guard(a) for a in g.args]
    if g.op == "and":
        return lambda s, e: all(p(s, e) for p in parts)
    if g.op == "or":
        return lambda s, e: any(p(s, e) for p in parts)
    return lambda s, e: not parts[0](s, e)
