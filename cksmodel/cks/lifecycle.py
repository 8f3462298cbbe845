"""The custom key store lifecycle as a transition system, with a bounded explicit-state checker.

One store in one account and Region. A :class:`State` says whether the store
exists and in which connection state, how many KMS keys it holds (bounded by
:attr:`Environment.max_keys`) and whether the service-linked role exists. The
:class:`Environment` is fixed for a run: is the Region supported, how many
Availability Zones hold an ACTIVE HSM of the cluster, and which API actions some
principal of the account is allowed to call (the caller decides that from the
policies). An event is enabled when the policies allow it *and* the state
permits it; the rules come from the "Store lifecycle" facts of the design brief
and the KMS Developer Guide / API Reference:

* ``CreateCustomKeyStore``: no store yet, Region supported, ``kms:CreateCustomKeyStore``
  allowed and, when the role does not exist yet, ``iam:CreateServiceLinkedRole``
  too (KMS creates the role then). The new store is DISCONNECTED.
  (The API also wants two active HSMs in different AZs at creation; the
  environment is static here, so that check is left to ``CreateKey`` and
  connecting, which keeps every real behaviour -- e.g. an HSM deleted after
  creation -- among the model's.)
* ``ConnectCustomKeyStore``: only from DISCONNECTED (refused while DISCONNECTING or
  FAILED; a no-op, hence no transition, while CONNECTED or CONNECTING) → CONNECTING;
  then ``ConnectionSucceeds`` (needs an ACTIVE HSM) → CONNECTED, or
  ``ConnectionFails`` → FAILED.
* ``DisconnectCustomKeyStore``: from CONNECTED, CONNECTING or FAILED → DISCONNECTING;
  ``DisconnectionCompletes`` → DISCONNECTED. Disconnecting is the only way out of FAILED.
* ``UpdateCustomKeyStore``: only while DISCONNECTED; the state is unchanged.
* ``DeleteCustomKeyStore``: only while DISCONNECTED with no KMS keys → no store.
* ``CreateKey``: store CONNECTED, ``kms:CreateKey`` allowed, room for a key, and
  ACTIVE HSMs in at least two AZs (origin AWS_CLOUDHSM and a symmetric key spec
  are implied by the event).
* ``DeleteKey`` (a scheduled deletion completing): any key, whatever the connection
  state -- a key in a disconnected store can be deleted; KMS removes its key
  material from the cluster later -- if ``kms:ScheduleKeyDeletion`` is allowed.
* ``Encrypt`` / ``Decrypt`` / ``GenerateDataKey``: a key exists, the store is CONNECTED,
  and the operation is allowed; the state is unchanged.
* ``AssumeServiceLinkedRole``: KMS uses the role, only while a store is active
  (CONNECTING, CONNECTED or DISCONNECTING); the state is unchanged.

:func:`check` explores every path of at most ``steps`` events breadth-first with
a visited set and returns the shortest trace to a state where an event is
enabled but a guard fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from cksmodel.errors import InputError


class ConnectionState(StrEnum):
    """``ConnectionState`` of a custom key store, as DescribeCustomKeyStores reports it."""

    CONNECTED = "CONNECTED"
    CONNECTING = "CONNECTING"
    DISCONNECTED = "DISCONNECTED"
    DISCONNECTING = "DISCONNECTING"
    FAILED = "FAILED"


ACTIVE_STATES: Final[frozenset[ConnectionState]] = frozenset(
    {ConnectionState.CONNECTING, ConnectionState.CONNECTED, ConnectionState.DISCONNECTING}
)
"""Store states in which KMS uses the service-linked role."""


@dataclass(frozen=True, slots=True)
class State:
    """One state of the system. ``store`` is ``None`` before creation and after deletion."""

    store: ConnectionState | None
    keys: int = 0
    slr_exists: bool = False

    def __str__(self) -> str:
        store = "no store" if self.store is None else f"store {self.store.value}"
        key_word = "key" if self.keys == 1 else "keys"
        role = "role exists" if self.slr_exists else "no role"
        return f"{store}, {self.keys} {key_word}, {role}"


@dataclass(frozen=True, slots=True)
class Environment:
    """What stays fixed during a run: the Region, the cluster, and the allowed API actions.

    ``allowed`` holds concrete action names (``"kms:CreateKey"``); they are compared
    without regard to case.
    """

    region_supported: bool
    active_hsm_zones: int
    allowed: frozenset[str]
    max_keys: int = 2
    _allowed_lower: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.active_hsm_zones < 0:
            raise InputError("active_hsm_zones cannot be negative", code="E_ENVIRONMENT")
        if self.max_keys < 0:
            raise InputError("max_keys cannot be negative", code="E_ENVIRONMENT")
        allowed = frozenset(self.allowed)
        object.__setattr__(self, "allowed", allowed)
        object.__setattr__(self, "_allowed_lower", frozenset(a.lower() for a in allowed))

    def permits(self, action: str) -> bool:
        """Is ``action`` among the allowed actions (any case)?"""
        return action.lower() in self._allowed_lower


# ------------------------------------------------------------------------------ events

CREATE_CUSTOM_KEY_STORE: Final = "CreateCustomKeyStore"
CONNECT_CUSTOM_KEY_STORE: Final = "ConnectCustomKeyStore"
CONNECTION_SUCCEEDS: Final = "ConnectionSucceeds"
CONNECTION_FAILS: Final = "ConnectionFails"
DISCONNECT_CUSTOM_KEY_STORE: Final = "DisconnectCustomKeyStore"
DISCONNECTION_COMPLETES: Final = "DisconnectionCompletes"
UPDATE_CUSTOM_KEY_STORE: Final = "UpdateCustomKeyStore"
DELETE_CUSTOM_KEY_STORE: Final = "DeleteCustomKeyStore"
CREATE_KEY: Final = "CreateKey"
DELETE_KEY: Final = "DeleteKey"
ENCRYPT: Final = "Encrypt"
DECRYPT: Final = "Decrypt"
GENERATE_DATA_KEY: Final = "GenerateDataKey"
ASSUME_SERVICE_LINKED_ROLE: Final = "AssumeServiceLinkedRole"

EVENTS: Final[tuple[str, ...]] = (
    CREATE_CUSTOM_KEY_STORE,
    CONNECT_CUSTOM_KEY_STORE,
    CONNECTION_SUCCEEDS,
    CONNECTION_FAILS,
    DISCONNECT_CUSTOM_KEY_STORE,
    DISCONNECTION_COMPLETES,
    UPDATE_CUSTOM_KEY_STORE,
    DELETE_CUSTOM_KEY_STORE,
    CREATE_KEY,
    DELETE_KEY,
    ENCRYPT,
    DECRYPT,
    GENERATE_DATA_KEY,
    ASSUME_SERVICE_LINKED_ROLE,
)
"""Every event, in the order :func:`successors` lists them."""

CRYPTO_EVENTS: Final[tuple[str, ...]] = (ENCRYPT, DECRYPT, GENERATE_DATA_KEY)

EVENT_ACTIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        CREATE_CUSTOM_KEY_STORE: ("kms:CreateCustomKeyStore",),
        CONNECT_CUSTOM_KEY_STORE: ("kms:ConnectCustomKeyStore",),
        CONNECTION_SUCCEEDS: (),
        CONNECTION_FAILS: (),
        DISCONNECT_CUSTOM_KEY_STORE: ("kms:DisconnectCustomKeyStore",),
        DISCONNECTION_COMPLETES: (),
        UPDATE_CUSTOM_KEY_STORE: ("kms:UpdateCustomKeyStore",),
        DELETE_CUSTOM_KEY_STORE: ("kms:DeleteCustomKeyStore",),
        CREATE_KEY: ("kms:CreateKey",),
        DELETE_KEY: ("kms:ScheduleKeyDeletion",),
        ENCRYPT: ("kms:Encrypt",),
        DECRYPT: ("kms:Decrypt",),
        GENERATE_DATA_KEY: ("kms:GenerateDataKey",),
        ASSUME_SERVICE_LINKED_ROLE: (),
    }
)
"""The API actions an event needs allowed (service-driven events need none).

``CreateCustomKeyStore`` also needs ``iam:CreateServiceLinkedRole`` while the role
does not exist: see :data:`CREATE_SLR_ACTION`.
"""

CREATE_SLR_ACTION: Final = "iam:CreateServiceLinkedRole"

ALL_ACTIONS: Final[frozenset[str]] = frozenset(
    {action for actions in EVENT_ACTIONS.values() for action in actions} | {CREATE_SLR_ACTION}
)
"""Every action some event needs: an environment allowing these enables every event."""

Guard = Callable[[State, Environment], bool]
"""A property of a pre-state (and the environment) to hold whenever an event occurs."""

INITIAL: Final = "Initial"
"""The pseudo-event that opens every :data:`Trace`."""

Trace = tuple[tuple[str, State], ...]
"""``((INITIAL, s0), (e1, s1), ..., (en, sn))``: events and the states they lead to.

The last pair is the violating occurrence: ``en`` happened in ``s(n-1)``, where
the guard does not hold.
"""


def initial_states(env: Environment) -> tuple[State, ...]:
    """No store yet, with or without a service-linked role left over from earlier stores."""
    del env  # every environment starts the same way
    return (State(store=None, keys=0, slr_exists=False), State(store=None, keys=0, slr_exists=True))


def _allowed(env: Environment, event: str) -> bool:
    return all(env.permits(action) for action in EVENT_ACTIONS[event])


def successors(state: State, env: Environment) -> list[tuple[str, State]]:
    """Every enabled event of ``state`` with the state it leads to, in :data:`EVENTS` order."""
    out: list[tuple[str, State]] = []
    store = state.store
    cs = ConnectionState

    if (
        store is None
        and env.region_supported
        and _allowed(env, CREATE_CUSTOM_KEY_STORE)
        and (state.slr_exists or env.permits(CREATE_SLR_ACTION))
    ):
        out.append((CREATE_CUSTOM_KEY_STORE, State(store=cs.DISCONNECTED, keys=0, slr_exists=True)))
    if store is cs.DISCONNECTED and _allowed(env, CONNECT_CUSTOM_KEY_STORE):
        out.append((CONNECT_CUSTOM_KEY_STORE, _with(state, cs.CONNECTING)))
    if store is cs.CONNECTING and env.active_hsm_zones >= 1:
        out.append((CONNECTION_SUCCEEDS, _with(state, cs.CONNECTED)))
    if store is cs.CONNECTING:
        out.append((CONNECTION_FAILS, _with(state, cs.FAILED)))
    if store in (cs.CONNECTED, cs.CONNECTING, cs.FAILED) and _allowed(
        env, DISCONNECT_CUSTOM_KEY_STORE
    ):
        out.append((DISCONNECT_CUSTOM_KEY_STORE, _with(state, cs.DISCONNECTING)))
    if store is cs.DISCONNECTING:
        out.append((DISCONNECTION_COMPLETES, _with(state, cs.DISCONNECTED)))
    if store is cs.DISCONNECTED and _allowed(env, UPDATE_CUSTOM_KEY_STORE):
        out.append((UPDATE_CUSTOM_KEY_STORE, state))
    if store is cs.DISCONNECTED and state.keys == 0 and _allowed(env, DELETE_CUSTOM_KEY_STORE):
        out.append((DELETE_CUSTOM_KEY_STORE, replace(state, store=None)))
    if (
        store is cs.CONNECTED
        and _allowed(env, CREATE_KEY)
        and state.keys < env.max_keys
        and env.active_hsm_zones >= 2
    ):
        out.append((CREATE_KEY, replace(state, keys=state.keys + 1)))
    if state.keys > 0 and _allowed(env, DELETE_KEY):
        out.append((DELETE_KEY, replace(state, keys=state.keys - 1)))
    for event in CRYPTO_EVENTS:
        if state.keys > 0 and store is cs.CONNECTED and _allowed(env, event):
            out.append((event, state))
    if state.slr_exists and store in ACTIVE_STATES:
        out.append((ASSUME_SERVICE_LINKED_ROLE, state))
    return out


def _with(state: State, store: ConnectionState) -> State:
    return replace(state, store=store)


def _check_steps(steps: int | None) -> None:
    if steps is not None and steps < 0:
        raise InputError(f"steps must be 0 or more, not {steps}", code="E_STEPS")


def _layers(env: Environment, steps: int | None) -> Iterable[list[State]]:
    """Breadth-first layers of newly reached states; ``steps=None`` runs to the fixpoint."""
    layer = list(dict.fromkeys(initial_states(env)))
    seen = set(layer)
    depth = 0
    while layer:
        yield layer
        if steps is not None and depth >= steps:
            return
        nxt: list[State] = []
        for state in layer:
            for _, target in successors(state, env):
                if target not in seen:
                    seen.add(target)
                    nxt.append(target)
        layer = nxt
        depth += 1


def reachable(steps: int | None, env: Environment) -> set[State]:
    """Every state reachable with at most ``steps`` events (``None``: with any number)."""
    _check_steps(steps)
    return {state for layer in _layers(env, steps) for state in layer}


def check(event: str, guard: Guard, *, steps: int | None, env: Environment) -> Trace | None:
    """Does ``guard`` hold in every reachable pre-state of ``event``?

    Explores every path of at most ``steps`` events (``None``: the whole, finite,
    state space). Returns ``None`` if, whenever ``event`` is enabled, ``guard``
    holds; otherwise the shortest :data:`Trace` ending with an occurrence of
    ``event`` from a state that violates ``guard``. ``None`` says nothing about
    longer paths unless ``steps`` is ``None`` or covers the state space.
    """
    if event not in EVENTS:
        raise InputError(
            f"unknown event {event!r}; expected one of {', '.join(EVENTS)}", code="E_EVENT"
        )
    _check_steps(steps)
    parent: dict[State, tuple[str, State] | None] = {}
    for state in initial_states(env):
        parent.setdefault(state, None)
    layer = list(parent)
    depth = 0
    while layer and (steps is None or depth < steps):
        nxt: list[State] = []
        for state in layer:
            for name, target in successors(state, env):
                if name == event and not guard(state, env):
                    return (*_path(parent, state), (name, target))
                if target not in parent:
                    parent[target] = (name, state)
                    nxt.append(target)
        layer = nxt
        depth += 1
    return None


def _path(parent: Mapping[State, tuple[str, State] | None], state: State) -> Trace:
    steps: list[tuple[str, State]] = []
    current = state
    while (link := parent[current]) is not None:
        name, previous = link
        steps.append((name, current))
        current = previous
    steps.append((INITIAL, current))
    return tuple(reversed(steps))


def format_trace(trace: Trace) -> str:
    """A trace as numbered lines, one event and its resulting state per line."""
    lines = []
    for i, (name, state) in enumerate(trace):
        lines.append(f"{name}: {state}" if i == 0 else f"{i}. {name} -> {state}")
    return "\n".join(lines)
