"""Where per-account work runs: in this process, on a local Dask cluster, or on an existing one.

An organization is analysed account by account (load a bundle, build its graph, prove its
invariants), and those tasks are independent, so they can run on the worker processes of a
distributed engine. :func:`open_executor` gives an :class:`Executor` for one of three places:
``"local"`` (this process, in order; the engine is not even imported), ``"local-cluster"``
(a Dask cluster of single-threaded worker processes started here and shut down on exit) or
the ``tcp://HOST:PORT`` address of a running Dask scheduler (connected to, left running).
:meth:`Executor.map` is the one code path for all three: results in item order, progress as
each item completes, a task's exception raised again in the caller with its type, message
and span. The engine is the ``cluster`` extra (``pip install 'cksmodel[cluster]'``), imported
by this module only, and only when a cluster is asked for.

Dask's ``distributed`` (2026.8) was chosen over Ray (2.60) by measuring both on a 2-core
machine (``bench/bench_executor.py``). A local cluster of 2 workers is ready in 0.6-0.9 s and
shut down in 0.1-0.2 s, against 2.5-4.4 s and 1.1-1.4 s for Ray. Dask adds 44 MB to an
environment, Ray 259 MB. A Dask worker holds 49 MB idle and about 125 MB after proving the
example account, a Ray worker 78 MB and 150 MB, and Ray's own services (GCS server, raylet,
dashboard, monitors, agents) hold another 460 MB, where Dask's scheduler lives in the calling
process. Ray's round trip is shorter (3-4 ms for an empty task against 10-11 ms, 16-20 ms
against 36-40 ms for a task carrying a 43 kB account), which is negligible against
per-account tasks of a second or more, and a proof costs the same CPU on either engine's
workers (once Dask's workers keep glibc's default trim threshold, see :func:`_local_cluster`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from cksmodel.arguments import ArgumentTypeError, check_seconds, check_type, shown
from cksmodel.errors import InputError
from cksmodel.symbolic.progress import Progress, check_progress, no_progress

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

LOCAL = "local"
LOCAL_CLUSTER = "local-cluster"
ADDRESS_FORM = "tcp://HOST:PORT"


class ExecutorError(InputError):
    """An executor cannot be opened (a bad place or worker count, an unreachable cluster)
    or loses its workers or its scheduler during a run."""

    code = "E_EXECUTOR"


class Executor:
    """Runs one function over many items, somewhere; opened by :func:`open_executor`.

    ``name`` is ``"local"``, ``"local-cluster"`` or the address of the cluster.
    """

    def __init__(self, *, name: str, client: Client | None = None) -> None:
        self.name = name
        self._client = client
        self._placed: dict[str, str] = {}
        """The worker each affinity key last ran on."""

    def __repr__(self) -> str:
        return f"Executor(name={self.name!r})"

    def map(
        self,
        function: Callable[[T], R],
        items: Sequence[T],
        *,
        progress: Progress = no_progress,
        task: str = "accounts",
        affinity: Sequence[str] | None = None,
    ) -> list[R]:
        """``function`` applied to every item, the results in item order.

        ``function`` must be a module-level function of a module the workers can import
        (a worker imports it to run it). ``progress`` is told ``task, done,
        total`` as each item completes, with the item as note when it is a path. The first
        exception a task raises is raised here with its type and message (the tasks still
        queued are cancelled). ``affinity`` gives each item a key: an item runs, when that
        worker is free to take it, on the worker that ran the item of the same key in an
        earlier ``map`` of this executor (which may still hold what that item read); a busy
        worker's items may still move to an idle one.
        """
        if not callable(function):
            raise ArgumentTypeError(f"function: expected a function, not {shown(function)}")
        items = list(check_type("items", items, Sequence, "a sequence of items"))
        progress = check_progress("progress", progress)
        total = len(items)
        progress(task, 0, total)
        keys = None
        if affinity is not None:
            keys = [str(k) for k in check_type("affinity", affinity, Sequence, "a key per item")]
            if len(keys) != total:
                raise ArgumentTypeError(
                    f"affinity: expected one key per item ({total}), not {len(keys)}"
                )
        finished: dict[int, R] = {}
        for index, result in self._completed(function, items, keys):
            finished[index] = result
            progress(task, len(finished), total, _note(items[index]))
        return [finished[index] for index in range(total)]

    def peak_memory(self) -> dict[str, int]:
        """The peak resident memory of each worker process so far, in bytes, by worker
        address, as each worker measures it (``{}`` when the work runs in this process)."""
        if self._client is None:
            return {}
        peaks: dict[str, int] = self._client.run(peak_rss)
        return dict(sorted(peaks.items()))

    def _placement(self, key: str) -> dict[str, object]:
        """Where an item of this affinity key should run: its earlier worker, if any."""
        place = self._placed.get(key) if key else None
        return {"workers": [place], "allow_other_workers": True} if place else {}

    def _completed(
        self, function: Callable[[T], R], items: list[T], keys: list[str] | None
    ) -> Iterator[tuple[int, R]]:
        """Each item's position and result, in the order the results arrive."""
        client = self._client
        if client is None:
            for index, item in enumerate(items):
                yield index, function(item)
            return
        from distributed import KilledWorker, as_completed
        from distributed.comm.core import CommClosedError

        futures = [
            client.submit(function, item, pure=False, **self._placement(key))
            for item, key in zip(items, keys or [""] * len(items), strict=True)
        ]
        position = {future.key: index for index, future in enumerate(futures)}
        try:
            for future in as_completed(futures, loop=client.loop):
                try:
                    result = future.result()
                except KilledWorker:
                    raise ExecutorError(
                        f"{self.name}: the worker processes running {_named(function)} kept "
                        "dying (out of memory, or killed); the run is abandoned"
                    ) from None
                except CommClosedError as exc:
                    raise ExecutorError(
                        f"{self.name}: lost the connection to the cluster while running "
                        f"{_named(function)} ({exc}); the run is abandoned"
                    ) from None
                yield position[future.key], result
            if keys is not None:
                placed = client.who_has(futures)
                for future, key in zip(futures, keys, strict=True):
                    holders = placed.get(future.key)
                    if holders:
                        self._placed[key] = holders[0]
        finally:
            client.cancel(futures)


@contextlib.contextmanager
def open_executor(
    where: str = LOCAL, *, workers: int | None = None, timeout: float = 10.0
) -> Iterator[Executor]:
    """An executor for ``where``, closed (and a cluster it started shut down) on exit.

    ``where`` is ``"local"`` (this process; the default), ``"local-cluster"`` (a Dask cluster
    of ``workers`` single-threaded processes, by default one per usable CPU, with no
    dashboard, quiet logs and its scratch files in a temporary directory removed on exit)
    or the ``tcp://HOST:PORT`` address of a running Dask scheduler, which is connected to
    within ``timeout`` seconds and left running; its workers must be able to import
    cksmodel. Bad values and an unreachable cluster raise :class:`ExecutorError`.
    """
    where = check_type("where", where, str, f"{LOCAL!r}, {LOCAL_CLUSTER!r} or {ADDRESS_FORM}")
    if workers is not None:
        workers = check_type("workers", workers, int, "a whole number of worker processes")
    timeout = check_seconds("timeout", timeout)
    if where == LOCAL:
        _no_workers(where, workers)
        yield Executor(name=LOCAL)
    elif where == LOCAL_CLUSTER:
        with _local_cluster(_worker_count(workers)) as client:
            yield Executor(name=LOCAL_CLUSTER, client=client)
    else:
        _check_address(where)
        _no_workers(where, workers)
        with _connected(where, timeout) as client:
            yield Executor(name=where, client=client)


def _worker_count(workers: int | None) -> int:
    if workers is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if workers < 1:
        raise ExecutorError(f"workers: expected at least 1 worker process, not {workers}")
    return workers


def _no_workers(where: str, workers: int | None) -> None:
    if workers is not None:
        raise ExecutorError(
            f"workers: a number of workers applies to the {LOCAL_CLUSTER!r} executor only, "
            f"not to {where!r} "
            "(an existing cluster has its own workers)"
        )


def _check_address(where: str) -> None:
    """``where`` is a Dask scheduler address, ``tcp://HOST:PORT``."""
    expected = (
        f"expected {LOCAL!r}, {LOCAL_CLUSTER!r} or the address of a running Dask scheduler "
        f"({ADDRESS_FORM}), not {where!r}"
    )
    try:
        parts = urlsplit(where)
        port = parts.port
    except ValueError:
        raise ExecutorError(f"executor: {expected}") from None
    if parts.scheme != "tcp" or not parts.hostname or port is None or parts.path:
        raise ExecutorError(f"executor: {expected}")


def _engine() -> None:
    """Import Dask's ``distributed``, or say how to install it."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ExecutorError(
            "a cluster executor needs Dask's distributed package, which is not installed "
            f"({exc}); install it with: pip install 'cksmodel[cluster]'"
        ) from None


@contextlib.contextmanager
def _local_cluster(workers: int) -> Iterator[Client]:
    _engine()
    import dask
    from distributed import Client, LocalCluster

    with (
        tempfile.TemporaryDirectory(prefix="cksmodel-cluster-") as scratch,
        dask.config.set(
            {
                "temporary-directory": scratch,
                # Dask would set a 64 KiB glibc trim threshold for its workers (and in this
                # process, where their nannies run), which costs the proofs about 15 % more
                # CPU; a short-lived cluster keeps the caller's setting.
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            }
        ),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard; the scheduler's health and metrics server on a free loopback port
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            # a worker's heartbeat racing the scheduler's shutdown logs an ERROR with a
            # traceback; every failure that matters reaches the caller as an exception
            silence_logs=logging.CRITICAL,
            local_directory=scratch,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


@contextlib.contextmanager
def _connected(address: str, timeout: float) -> Iterator[Client]:
    _engine()
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise ExecutorError(
            f"cannot reach a Dask scheduler at {address} within {timeout:g} s ({exc})"
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ExecutorError(
                f"the Dask scheduler at {address} has no worker (waited {timeout:g} s)"
            ) from None
        yield client


def peak_rss() -> int:
    """This process's peak resident set size in bytes (run on each worker).

    On Linux it is the ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` keeps the
    peak of the process that started the worker, across ``exec``, so a worker started
    by a large driver would report the driver's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _named(function: Callable[..., object]) -> str:
    return f"'{getattr(function, '__name__', 'a task')}' tasks"


def _note(item: object) -> str:
    """An item named in progress: a bundle path as given, anything else not at all."""
    return str(item) if isinstance(item, str | PurePath) else ""
