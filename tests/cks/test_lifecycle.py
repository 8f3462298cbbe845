"""The custom key store lifecycle: each documented fact checked over every reachable state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import pytest

from cksmodel.cks import lifecycle as lc
from cksmodel.cks.lifecycle import (
    ALL_ACTIONS,
    ConnectionState,
    Environment,
    State,
    Trace,
    check,
    initial_states,
    reachable,
    successors,
)
from cksmodel.errors import CksError

CS = ConnectionState
Guard = Callable[[State, Environment], bool]


def env(
    *,
    zones: int = 2,
    region: bool = True,
    allowed: frozenset[str] = ALL_ACTIONS,
    max_keys: int = 2,
) -> Environment:
    return Environment(
        region_supported=region, active_hsm_zones=zones, allowed=allowed, max_keys=max_keys
    )


FULL = env()
ENVIRONMENTS = {
    "two zones": FULL,
    "three zones, three keys": env(zones=3, max_keys=3),
    "one zone": env(zones=1),
    "no active HSM": env(zones=0),
    "no key deletion": env(allowed=ALL_ACTIONS - {"kms:ScheduleKeyDeletion"}),
    "no role creation": env(allowed=ALL_ACTIONS - {"iam:CreateServiceLinkedRole"}),
    "region unsupported": env(region=False),
}


def never(state: State, environment: Environment) -> bool:
    """A guard that fails everywhere: check() then finds any occurrence of the event."""
    return False


def assert_trace_replays(trace: Trace, environment: Environment) -> None:
    """A trace starts in an initial state and each step is an enabled event."""
    assert trace[0][0] == lc.INITIAL
    assert trace[0][1] in initial_states(environment)
    for (_, before), step in pairwise(trace):
        assert step in successors(before, environment), (before, step)


def occurs(event: str, environment: Environment) -> bool:
    return check(event, never, steps=None, env=environment) is not None


# ------------------------------------------------------------- facts, table-driven


@dataclass(frozen=True)
class Fact:
    name: str
    event: str
    guard: Guard
    wrong_guard: Guard  # a plausible but wrong rule: the checker must refute it


def _disconnected_and_empty(s: State, e: Environment) -> bool:
    return s.store is CS.DISCONNECTED and s.keys == 0


FACTS = [
    Fact(
        "delete only from DISCONNECTED with no keys",
        lc.DELETE_CUSTOM_KEY_STORE,
        _disconnected_and_empty,
        lambda s, e: s.store is CS.CONNECTED,
    ),
    *[
        Fact(
            f"{event} only with a key in a CONNECTED store",
            event,
            lambda s, e: s.store is CS.CONNECTED and s.keys > 0,
            lambda s, e: s.store is not CS.CONNECTED,
        )
        for event in lc.CRYPTO_EVENTS
    ],
    Fact(
        "connect only from DISCONNECTED (refused while DISCONNECTING or FAILED)",
        lc.CONNECT_CUSTOM_KEY_STORE,
        lambda s, e: s.store is CS.DISCONNECTED,
        lambda s, e: s.store is CS.FAILED,
    ),
    Fact(
        "disconnect only from CONNECTED, CONNECTING or FAILED",
        lc.DISCONNECT_CUSTOM_KEY_STORE,
        lambda s, e: s.store in (CS.CONNECTED, CS.CONNECTING, CS.FAILED),
        lambda s, e: s.store is CS.CONNECTED,
    ),
    Fact(
        "update only while DISCONNECTED",
        lc.UPDATE_CUSTOM_KEY_STORE,
        lambda s, e: s.store is CS.DISCONNECTED,
        lambda s, e: s.store is CS.CONNECTED,
    ),
    Fact(
        "create a store only when none exists, in a supported Region",
        lc.CREATE_CUSTOM_KEY_STORE,
        lambda s, e: s.store is None and e.region_supported,
        lambda s, e: s.slr_exists,
    ),
    Fact(
        "KMS assumes the role only while a store is active",
        lc.ASSUME_SERVICE_LINKED_ROLE,
        lambda s, e: s.slr_exists and s.store in lc.ACTIVE_STATES,
        lambda s, e: s.store is CS.CONNECTED,
    ),
    Fact(
        "create a key only in a CONNECTED store with HSMs in two AZs",
        lc.CREATE_KEY,
        lambda s, e: s.store is CS.CONNECTED and e.active_hsm_zones >= 2 and s.keys < e.max_keys,
        lambda s, e: s.keys == 0,
    ),
    Fact(
        "a connection succeeds only with an active HSM",
        lc.CONNECTION_SUCCEEDS,
        lambda s, e: s.store is CS.CONNECTING and e.active_hsm_zones >= 1,
        lambda s, e: e.active_hsm_zones >= 2,
    ),
    Fact(
        "a key is deleted only if it exists (any connection state)",
        lc.DELETE_KEY,
        lambda s, e: s.keys > 0 and s.store is not None,
        lambda s, e: s.store is CS.CONNECTED,
    ),
]


@pytest.mark.parametrize("environment", ENVIRONMENTS.values(), ids=ENVIRONMENTS.keys())
@pytest.mark.parametrize("fact", FACTS, ids=[f.name for f in FACTS])
def test_fact_is_proved(fact: Fact, environment: Environment) -> None:
    assert check(fact.event, fact.guard, steps=None, env=environment) is None
    assert check(fact.event, fact.guard, steps=6, env=environment) is None


@pytest.mark.parametrize("fact", FACTS, ids=[f.name for f in FACTS])
def test_wrong_rule_is_refuted_with_a_replayable_trace(fact: Fact) -> None:
    environment = env(zones=1) if fact.event == lc.CONNECTION_SUCCEEDS else FULL
    trace = check(fact.event, fact.wrong_guard, steps=None, env=environment)
    assert trace is not None, "the event never occurs: the fact would hold vacuously"
    assert_trace_replays(trace, environment)
    event, _ = trace[-1]
    pre_state = trace[-2][1]
    assert event == fact.event
    assert not fact.wrong_guard(pre_state, environment)
    assert fact.guard(pre_state, environment)


# --------------------------------------------------------------- individual facts


def test_shortest_counterexample_for_a_wrong_delete_rule() -> None:
    trace = check(
        lc.DELETE_CUSTOM_KEY_STORE, lambda s, e: s.store is CS.CONNECTED, steps=10, env=FULL
    )
    assert trace is not None
    assert [event for event, _ in trace] == [
        lc.INITIAL,
        lc.CREATE_CUSTOM_KEY_STORE,
        lc.DELETE_CUSTOM_KEY_STORE,
    ]
    assert trace[-1][1].store is None
    assert "1. CreateCustomKeyStore -> store DISCONNECTED" in lc.format_trace(trace)


def test_the_step_bound_limits_the_search() -> None:
    def wrong(s: State, e: Environment) -> bool:
        return s.keys == 0

    # The first key deletion comes after CreateCustomKeyStore, ConnectCustomKeyStore,
    # ConnectionSucceeds and CreateKey: it is the fifth event.
    assert check(lc.DELETE_KEY, wrong, steps=4, env=FULL) is None
    trace = check(lc.DELETE_KEY, wrong, steps=5, env=FULL)
    assert trace is not None and len(trace) == 6
    assert check(lc.DELETE_KEY, wrong, steps=0, env=FULL) is None


def test_a_disconnected_store_with_keys_cannot_be_deleted() -> None:
    with_keys = [s for s in reachable(None, FULL) if s.store is CS.DISCONNECTED and s.keys > 0]
    assert with_keys, "a disconnected store with keys is reachable"
    for state in with_keys:
        assert lc.DELETE_CUSTOM_KEY_STORE not in {e for e, _ in successors(state, FULL)}


def test_a_new_store_starts_disconnected_and_brings_the_role() -> None:
    for environment in ENVIRONMENTS.values():
        for state in reachable(None, environment):
            for event, target in successors(state, environment):
                if event == lc.CREATE_CUSTOM_KEY_STORE:
                    assert target == State(store=CS.DISCONNECTED, keys=0, slr_exists=True)
    assert occurs(lc.CREATE_CUSTOM_KEY_STORE, FULL)


def test_keys_are_unusable_while_disconnected() -> None:
    not_connected = [s for s in reachable(None, FULL) if s.store is not CS.CONNECTED]
    assert any(s.keys > 0 and s.store is CS.DISCONNECTED for s in not_connected)
    for state in not_connected:
        events = {event for event, _ in successors(state, FULL)}
        assert not events & set(lc.CRYPTO_EVENTS), state


def test_failed_store_recovers_only_through_disconnect() -> None:
    failed = [s for s in reachable(None, FULL) if s.store is CS.FAILED]
    assert failed, "FAILED is reachable"
    for state in failed:
        changes = {(e, t.store) for e, t in successors(state, FULL) if t.store != state.store}
        assert changes == {(lc.DISCONNECT_CUSTOM_KEY_STORE, CS.DISCONNECTING)}


@pytest.mark.parametrize("store", [CS.CONNECTED, CS.CONNECTING, CS.DISCONNECTING, CS.FAILED])
def test_connect_is_not_a_transition_outside_disconnected(store: ConnectionState) -> None:
    state = State(store=store, keys=0, slr_exists=True)
    assert lc.CONNECT_CUSTOM_KEY_STORE not in {e for e, _ in successors(state, FULL)}


@pytest.mark.parametrize("store", [CS.DISCONNECTED, CS.DISCONNECTING])
def test_disconnect_is_refused_when_already_disconnecting_or_disconnected(
    store: ConnectionState,
) -> None:
    state = State(store=store, keys=0, slr_exists=True)
    assert lc.DISCONNECT_CUSTOM_KEY_STORE not in {e for e, _ in successors(state, FULL)}


def test_a_key_can_be_deleted_from_a_disconnected_store() -> None:
    state = State(store=CS.DISCONNECTED, keys=1, slr_exists=True)
    assert (lc.DELETE_KEY, State(store=CS.DISCONNECTED, keys=0, slr_exists=True)) in successors(
        state, FULL
    )


def test_create_key_needs_two_zones() -> None:
    one_zone = env(zones=1)
    assert occurs(lc.CONNECTION_SUCCEEDS, one_zone)
    assert not occurs(lc.CREATE_KEY, one_zone)
    assert all(s.keys == 0 for s in reachable(None, one_zone))
    assert occurs(lc.CREATE_KEY, FULL)


def test_no_active_hsm_means_never_connected() -> None:
    no_hsm = env(zones=0)
    assert not occurs(lc.CONNECTION_SUCCEEDS, no_hsm)
    assert occurs(lc.CONNECTION_FAILS, no_hsm)
    assert all(s.store is not CS.CONNECTED for s in reachable(None, no_hsm))


def test_keys_are_bounded() -> None:
    assert max(s.keys for s in reachable(None, env(zones=3, max_keys=3))) == 3
    assert max(s.keys for s in reachable(None, FULL)) == 2


def test_store_creation_without_the_role_needs_create_service_linked_role() -> None:
    no_role_creation = ENVIRONMENTS["no role creation"]

    def role_exists(s: State, e: Environment) -> bool:
        return s.slr_exists

    assert check(lc.CREATE_CUSTOM_KEY_STORE, role_exists, steps=None, env=no_role_creation) is None
    # from the initial state without a role, no store ever appears
    start = State(store=None, keys=0, slr_exists=False)
    assert successors(start, no_role_creation) == []
    # a role left over from earlier stores is enough
    assert occurs(lc.CREATE_CUSTOM_KEY_STORE, no_role_creation)
    # with the permission, creation from the no-role state is possible: a trace
    trace = check(lc.CREATE_CUSTOM_KEY_STORE, role_exists, steps=None, env=FULL)
    assert trace is not None and len(trace) == 2
    assert trace[0][1] == start


def test_unsupported_region_never_has_a_store() -> None:
    unsupported = ENVIRONMENTS["region unsupported"]
    assert all(s.store is None for s in reachable(None, unsupported))
    assert reachable(None, unsupported) == set(initial_states(unsupported))
    for event in lc.EVENTS:
        assert not occurs(event, unsupported), event


@pytest.mark.parametrize(
    ("event", "action"),
    [
        (lc.CREATE_CUSTOM_KEY_STORE, "kms:CreateCustomKeyStore"),
        (lc.CONNECT_CUSTOM_KEY_STORE, "kms:ConnectCustomKeyStore"),
        (lc.DISCONNECT_CUSTOM_KEY_STORE, "kms:DisconnectCustomKeyStore"),
        (lc.UPDATE_CUSTOM_KEY_STORE, "kms:UpdateCustomKeyStore"),
        (lc.DELETE_CUSTOM_KEY_STORE, "kms:DeleteCustomKeyStore"),
        (lc.CREATE_KEY, "kms:CreateKey"),
        (lc.DELETE_KEY, "kms:ScheduleKeyDeletion"),
        (lc.ENCRYPT, "kms:Encrypt"),
        (lc.DECRYPT, "kms:Decrypt"),
        (lc.GENERATE_DATA_KEY, "kms:GenerateDataKey"),
    ],
)
def test_an_event_needs_its_action_allowed(event: str, action: str) -> None:
    assert occurs(event, FULL)
    assert not occurs(event, env(allowed=ALL_ACTIONS - {action}))


def test_service_events_need_no_allowed_action() -> None:
    # With only the store manager's and key manager's actions, KMS still connects,
    # fails, finishes disconnecting and uses the role.
    managers = frozenset(
        {
            "kms:CreateCustomKeyStore",
            "kms:ConnectCustomKeyStore",
            "kms:DisconnectCustomKeyStore",
            "iam:CreateServiceLinkedRole",
        }
    )
    environment = env(allowed=managers)
    for event in (
        lc.CONNECTION_SUCCEEDS,
        lc.CONNECTION_FAILS,
        lc.DISCONNECTION_COMPLETES,
        lc.ASSUME_SERVICE_LINKED_ROLE,
    ):
        assert occurs(event, environment), event
    for event in lc.CRYPTO_EVENTS:
        assert not occurs(event, environment), event


def test_allowed_actions_compare_without_case() -> None:
    lower = env(allowed=frozenset(a.lower() for a in ALL_ACTIONS))
    assert reachable(None, lower) == reachable(None, FULL)
    assert lower.permits("KMS:CREATEKEY")


def test_every_event_occurs_in_the_full_environment() -> None:
    for event in lc.EVENTS:
        assert occurs(event, FULL), event


def test_reachable_respects_the_bound() -> None:
    assert reachable(0, FULL) == set(initial_states(FULL))
    one = reachable(1, FULL)
    assert State(store=CS.DISCONNECTED, keys=0, slr_exists=True) in one
    assert all(s.store in (None, CS.DISCONNECTED) for s in one)
    assert reachable(None, FULL) == reachable(50, FULL)


def test_bad_arguments_are_input_errors() -> None:
    with pytest.raises(CksError):
        check("NoSuchEvent", never, steps=3, env=FULL)
    with pytest.raises(CksError):
        check(lc.DECRYPT, never, steps=-1, env=FULL)
    with pytest.raises(CksError):
        reachable(-1, FULL)
    with pytest.raises(CksError):
        env(zones=-1)


def test_states_and_environments_are_frozen_values() -> None:
    state = State(store=CS.CONNECTED, keys=1, slr_exists=True)
    with pytest.raises(AttributeError):
        state.keys = 2  # type: ignore[misc]
    assert env() == FULL and hash(env()) == hash(FULL)
    assert str(state) == "store CONNECTED, 1 key, role exists"
