"""The executor: the same results, order, progress and errors in this process and on a cluster.

One local cluster of 2 workers serves the whole module; the test of connecting to an
existing cluster starts a small one of its own, and the test that nothing is left behind
starts one in a child process.
"""

from __future__ import annotations

import importlib
import os
import pickle
import pkgutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cksmodel
from cksmodel.account.bundle import load_bundle
from cksmodel.arguments import ArgumentTypeError
from cksmodel.errors import CksError
from cksmodel.org.executor import Executor, ExecutorError, open_executor
from cksmodel.source import Span

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUNDLES = [str(EXAMPLES / "cks-account"), str(EXAMPLES / "cks-account-broken")]
TRIM_BEFORE = os.getenv("MALLOC_TRIM_THRESHOLD_")
"""The caller's glibc trim threshold before any cluster is started."""


# ------------------------------------------------------------------ tasks (module level)


def bundle_summary(path: str) -> tuple[str, int, int, list[str]]:
    """What a per-account task returns: facts of the bundle it loads on the worker."""
    account = load_bundle(path)
    return (
        account.account_id,
        len(account.keys),
        len(account.stores),
        sorted(p.arn for p in account.principals),
    )


def square(n: int) -> int:
    return n * n


def late_first(delay: float) -> float:
    """Sleeps ``delay`` seconds: items given longest first finish in the opposite order."""
    time.sleep(delay)
    return delay


def die(_: int) -> int:
    os._exit(9)


def worker_pid(_: int) -> int:
    time.sleep(0.2)
    return os.getpid()


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def cluster() -> Iterator[Executor]:
    with open_executor("local-cluster", workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def local() -> Iterator[Executor]:
    with open_executor() as executor:
        yield executor


@pytest.fixture(params=["local", "local-cluster"])
def executor(request: pytest.FixtureRequest) -> Executor:
    return request.getfixturevalue("cluster" if request.param == "local-cluster" else "local")


# ------------------------------------------------------------------ results


@pytest.mark.parametrize(
    ("function", "items"),
    [
        (bundle_summary, BUNDLES * 3),
        (load_bundle, BUNDLES),
        (square, list(range(25))),
        (square, []),
    ],
    ids=["bundle-summary", "whole-account", "pure", "no-items"],
)
def test_local_and_local_cluster_give_identical_results(
    local: Executor, cluster: Executor, function: Callable[[Any], Any], items: list[Any]
) -> None:
    expected = [function(item) for item in items]
    assert local.map(function, items) == expected
    assert cluster.map(function, items) == expected


def test_cluster_results_are_in_item_order_when_tasks_finish_in_another(
    cluster: Executor,
) -> None:
    delays = [0.6, 0.4, 0.2, 0.0, 0.0, 0.0]
    assert cluster.map(late_first, delays) == delays


def test_the_cluster_runs_tasks_on_two_worker_processes(cluster: Executor) -> None:
    pids = set(cluster.map(worker_pid, [0, 1, 2, 3]))
    assert len(pids) == 2
    assert os.getpid() not in pids


def test_items_with_an_affinity_key_run_again_where_that_key_ran(cluster: Executor) -> None:
    keys = ["a", "b", "c", "d"]
    first = dict(zip(keys, cluster.map(worker_pid, [0, 1, 2, 3], affinity=keys), strict=True))
    assert len(set(first.values())) == 2
    again = ["d", "c", "b", "a"]
    second = dict(zip(again, cluster.map(worker_pid, [0, 1, 2, 3], affinity=again), strict=True))
    assert second == first


def test_affinity_needs_one_key_per_item(executor: Executor) -> None:
    with pytest.raises(ArgumentTypeError, match="one key per item"):
        executor.map(square, [1, 2], affinity=["a"])


def test_cluster_workers_keep_the_callers_memory_trimming(cluster: Executor) -> None:
    """Dask would set a 64 KiB trim threshold in its workers (slowing the proofs), and in
    the calling process too, which starts them."""
    assert cluster.map(os.getenv, ["MALLOC_TRIM_THRESHOLD_"] * 2) == [TRIM_BEFORE] * 2
    assert os.getenv("MALLOC_TRIM_THRESHOLD_") == TRIM_BEFORE


def test_the_cluster_client_is_not_made_the_default_dask_client(cluster: Executor) -> None:
    from distributed import default_client

    assert cluster.map(square, [3]) == [9]
    with pytest.raises(ValueError, match="No clients found"):
        default_client()


def test_progress_counts_each_item_up_to_the_total_naming_paths(executor: Executor) -> None:
    calls: list[tuple[str, int, int | None, str]] = []

    def record(task: str, done: int, total: int | None = None, note: str = "") -> None:
        calls.append((task, done, total, note))

    executor.map(bundle_summary, BUNDLES, progress=record, task="bundles")
    assert [(task, done, total) for task, done, total, _ in calls] == [
        ("bundles", 0, 2),
        ("bundles", 1, 2),
        ("bundles", 2, 2),
    ]
    assert sorted(note for *_, note in calls[1:]) == sorted(BUNDLES)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("function", "items", "error"),
    [
        (bundle_summary, [BUNDLES[0], "/no/such/bundle", BUNDLES[1]], "E_BUNDLE"),
        (int, ["1", "x"], "invalid literal for int()"),
    ],
    ids=["bundle-error-with-span", "value-error"],
)
def test_a_task_exception_arrives_with_its_type_message_and_span(
    executor: Executor, function: Callable[[Any], Any], items: list[Any], error: str
) -> None:
    with pytest.raises(Exception) as local_error:
        [function(item) for item in items]
    with pytest.raises(type(local_error.value)) as raised:
        executor.map(function, items)
    assert type(raised.value) is type(local_error.value)
    assert str(raised.value) == str(local_error.value)
    assert error in str(raised.value)
    assert getattr(raised.value, "span", None) == getattr(local_error.value, "span", None)


def _every_cks_error() -> list[type[CksError]]:
    for info in pkgutil.walk_packages(cksmodel.__path__, prefix="cksmodel."):
        importlib.import_module(info.name)
    found, todo = [], [CksError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda cls: cls.__qualname__)


@pytest.mark.parametrize("cls", _every_cks_error(), ids=lambda cls: cls.__name__)
def test_every_cks_error_survives_pickling_with_its_span_and_code(cls: type[CksError]) -> None:
    span = Span(source="bundle/account.json", line=3, column=7, end_line=3, end_column=9)
    for error in (cls("what went wrong", span=span), cls("what", code="E_OTHER")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is cls
        assert (copy.message, copy.span, copy.code, str(copy)) == (
            error.message,
            error.span,
            error.code,
            str(error),
        )


@pytest.mark.parametrize(
    ("where", "workers", "error", "message"),
    [
        ("remote", None, ExecutorError, "expected 'local', 'local-cluster' or the address"),
        ("", None, ExecutorError, "not ''"),
        ("tcp://127.0.0.1", None, ExecutorError, "tcp://HOST:PORT"),
        ("tcp://127.0.0.1:99999", None, ExecutorError, "tcp://HOST:PORT"),
        ("tcp://:8786", None, ExecutorError, "tcp://HOST:PORT"),
        ("http://127.0.0.1:8786", None, ExecutorError, "tcp://HOST:PORT"),
        ("tcp://127.0.0.1:8786/x", None, ExecutorError, "tcp://HOST:PORT"),
        ("local", 2, ExecutorError, "applies to the 'local-cluster' executor only"),
        ("tcp://127.0.0.1:8786", 2, ExecutorError, "an existing cluster has its own workers"),
        ("local-cluster", 0, ExecutorError, "expected at least 1 worker process, not 0"),
        ("local-cluster", -3, ExecutorError, "expected at least 1 worker process, not -3"),
        ("local-cluster", "2", ArgumentTypeError, "workers: expected a whole number"),
        ("local-cluster", True, ArgumentTypeError, "workers: expected a whole number"),
        (None, None, ArgumentTypeError, "where: expected 'local'"),
    ],
)
def test_a_bad_place_or_worker_count_is_an_input_error(
    where: Any, workers: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as raised, open_executor(where, workers=workers):
        pass
    assert isinstance(raised.value, cksmodel.InputError)
    if error is ExecutorError:
        assert raised.value.code == "E_EXECUTOR"


def test_an_unreachable_address_is_an_executor_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with (
        pytest.raises(ExecutorError, match=f"cannot reach a Dask scheduler at {address}"),
        open_executor(address, timeout=1),
    ):
        pass


def test_a_cluster_executor_without_the_engine_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with (
        pytest.raises(ExecutorError, match=r"pip install 'cksmodel\[cluster\]'"),
        open_executor("local-cluster", workers=1),
    ):
        pass


def test_workers_that_keep_dying_are_an_executor_error_not_a_traceback() -> None:
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        open_executor("local-cluster", workers=1) as executor,
        pytest.raises(ExecutorError, match=r"running 'die' tasks kept dying \(out of memory"),
    ):
        executor.map(die, [1])


# ------------------------------------------------------------------ memory


def test_peak_memory_is_measured_by_each_worker(local: Executor, cluster: Executor) -> None:
    cluster.map(bundle_summary, BUNDLES)
    peaks = cluster.peak_memory()
    assert len(peaks) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in peaks)
    assert all(20 * 2**20 < peak < 4 * 2**30 for peak in peaks.values()), peaks
    assert local.peak_memory() == {}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_a_worker_peak_memory_is_its_own_not_that_of_the_process_starting_it() -> None:
    import multiprocessing

    from cksmodel.org.executor import peak_rss

    ballast = bytearray(256 * 2**20)
    for page in range(0, len(ballast), 4096):
        ballast[page] = 1
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        child = pool.apply(peak_rss)
    assert peak_rss() > 256 * 2**20
    assert child < 200 * 2**20, child


# ------------------------------------------------------------------ an existing cluster


def test_an_existing_cluster_is_used_by_address_and_left_running() -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as existing:
        address = existing.scheduler_address
        with open_executor(address) as executor:
            assert executor.name == address
            assert executor.map(bundle_summary, BUNDLES) == [bundle_summary(b) for b in BUNDLES]
            assert list(executor.peak_memory()) == list(existing.scheduler_info["workers"])
        with Client(address) as client:
            assert client.submit(square, 7).result(timeout=30) == 49


# ------------------------------------------------------------------ child processes


def _run(code: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_local_executor_imports_no_engine() -> None:
    out = _run(
        """
        import sys
        from cksmodel.org.executor import open_executor

        with open_executor() as executor:
            assert executor.map(abs, [-1, 2]) == [1, 2]
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed", "ray")))
        """
    )
    assert out.strip() == "[]"


def test_a_local_cluster_leaves_no_file_behind(tmp_path: Path) -> None:
    scratch, home = tmp_path / "tmp", tmp_path / "home"
    scratch.mkdir()
    home.mkdir()
    out = _run(
        """
        from cksmodel.org.executor import open_executor

        with open_executor("local-cluster", workers=1) as executor:
            print(executor.name, executor.map(abs, [-1, 2]))
        """,
        env={"TMPDIR": str(scratch), "HOME": str(home)},
    )
    assert out.strip() == "local-cluster [1, 2]"
    assert sorted(p.name for p in scratch.iterdir()) == []
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
