"""Dask (``distributed``) against Ray as the engine that runs per-account work, on this machine.

    python bench/bench_executor.py [--engines dask,ray] [--runs 3] [--tasks 8]
                                   [--install-size] [--quiet]
    python bench/bench_executor.py --batch ENGINE:WORKERS:TASKS

Each engine is measured in a child process of its own (``--child ENGINE``), and each batch
of (d) runs in one too (``--batch``), so nothing sees another's imports or services; an
engine that is not installed is reported as such. For a local cluster of 2 single-threaded
worker processes, no dashboard:

a. start-up: importing the engine (a fresh interpreter), starting the cluster until one task
   has run on each worker, and shutting it down; median of ``--runs`` cycles.
b. round trip of one task on a warm cluster, median of 15 sequential tasks: an empty task;
   a task carrying the example account (``load_bundle("examples/cks-account")``, its pickled
   size is shown) that returns it unchanged; a task given only the bundle's directory that
   loads it on the worker and returns a short summary.
c. memory per worker: idle RSS (``/proc``) after start-up; peak RSS (``ru_maxrss``, measured
   by the worker) after the batch of (d); the RSS of the engine's other processes (Ray's
   GCS server, raylet and agents; Dask's resource tracker) and what importing the engine
   and starting the first cluster add to the calling process (where Dask's scheduler runs).
d. a CPU-bound batch: ``--tasks`` tasks, each proving ``specs/cks.spec`` on the example
   bundle it loads itself, in a fresh interpreter without an engine (in-process) and on
   clusters of 1 and 2 workers (start-up excluded, each worker's first bundle and catalog
   load included, as in real use), taking turns within each run; wall seconds, median and
   best of ``--runs`` (the best is the one least slowed by other work on the machine), and
   speed-up over in-process; the median CPU seconds of one proof, in-process and on a
   worker of 2 (other work on the machine changes it less than wall times).
   ``--batch ENGINE:WORKERS:TASKS`` runs one such batch alone (``none:0:TASKS``:
   in-process) and prints its wall seconds and per-task results as JSON.
e. with ``--install-size``: each engine ``pip install``-ed into a fresh virtual environment,
   its size (``du``) less that of the empty environment. Needs the package index.

Each batch's verdicts are checked against in-process ones. Wall times depend on what else
runs on the machine; the load average is printed with the tables. Everything goes to
``bench/out/bench_executor.json`` as well.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "cks-account")
SPEC = str(ROOT / "specs" / "cks.spec")
OUT = Path(__file__).resolve().parent / "out"
ENGINES = {"dask": ("distributed", "distributed"), "ray": ("ray", "ray")}
"""Engine name: (module to import, package to install)."""
ROUND_TRIPS = 15


# ------------------------------------------------------------------ the tasks (module level)


def empty(item: int) -> int:
    return item


def echo(item: object) -> object:
    return item


def load_summary(path: str) -> tuple[str, int, int]:
    from cksmodel.account.bundle import load_bundle

    account = load_bundle(path)
    return account.account_id, len(account.principals), len(account.keys)


def prove_example(path: str) -> dict[str, Any]:
    """Prove the built-in spec on a bundle: the verdicts, the CPU seconds of the proof, the
    worker's pid and its peak RSS."""
    from cksmodel.invariants.prove import prove

    cpu = time.process_time()
    report = prove(SPEC, path)
    return {
        "verdicts": [f"{r.name}={r.verdict.value}" for r in report.results],
        "cpu": time.process_time() - cpu,
        "pid": os.getpid(),
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def warm(item: int) -> int:
    time.sleep(0.2)
    return os.getpid()


# ------------------------------------------------------------------ processes


def rss(pid: int) -> int:
    """Resident set size of a process in bytes (0 if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# ------------------------------------------------------------------ the engines


class Cluster(Protocol):
    def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]: ...
    def close(self) -> None: ...


class DaskCluster:
    def __init__(self, workers: int, scratch: str) -> None:
        import dask
        from distributed import Client, LocalCluster

        # as cksmodel.org.executor configures it: glibc's default trim threshold for workers
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        self.cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            local_directory=scratch,
        )
        self.client = Client(self.cluster)

    def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return list(self.client.gather(self.client.map(function, items, pure=False)))

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


class RayCluster:
    def __init__(self, workers: int, scratch: str) -> None:
        import ray

        self.ray = ray
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
            _temp_dir=scratch,
        )

    def map(self, function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        remote = self.ray.remote(num_cpus=1)(function)
        return list(self.ray.get([remote.remote(item) for item in items]))

    def close(self) -> None:
        self.ray.shutdown()


def start(engine: str, workers: int, scratch: str) -> Cluster:
    return DaskCluster(workers, scratch) if engine == "dask" else RayCluster(workers, scratch)


# ------------------------------------------------------------------ measuring one engine


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def import_seconds(module: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def batch(engine: str, workers: int, tasks: int) -> tuple[float, list[dict[str, Any]]]:
    """The batch of (d) in a fresh interpreter (``--batch``), so that in-process it too pays
    for the first import and catalog load, as each worker does; ``workers`` 0: in-process."""
    child = subprocess.run(
        [sys.executable, __file__, "--batch", f"{engine}:{workers}:{tasks}"],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, results = json.loads(child.stdout.strip().splitlines()[-1])
    return seconds, results


def run_batch(engine: str, workers: int, tasks: int) -> tuple[float, list[dict[str, Any]]]:
    """The body of a ``--batch`` child."""
    if workers == 0:
        return timed(lambda: [prove_example(EXAMPLE) for _ in range(tasks)])
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as scratch:
        cluster = started(engine, workers, scratch)
        try:
            return timed(lambda: cluster.map(prove_example, [EXAMPLE] * tasks))
        finally:
            cluster.close()


def batches(engines: list[str], runs: int, tasks: int) -> dict[str, dict[str, Any]]:
    """(d) for every engine, in-process and each cluster taking turns in each run so that
    what else runs on the machine weighs on all alike."""
    from cksmodel.invariants.prove import prove

    reference = [f"{r.name}={r.verdict.value}" for r in prove(SPEC, EXAMPLE).results]
    walls: dict[str, dict[str, list[float]]] = {}
    cpus: dict[str, dict[str, list[float]]] = {}
    peak: dict[str, list[int]] = {}
    loads: list[float] = []
    for _ in range(runs):
        for engine, workers in [("none", 0)] + [(e, w) for e in engines for w in (1, 2)]:
            loads.append(os.getloadavg()[0])
            wall, results = batch(engine, workers, tasks)
            if any(r["verdicts"] != reference for r in results):
                raise SystemExit(f"{engine}: verdicts differ from in-process ones")
            walls.setdefault(engine, {}).setdefault(str(workers), []).append(wall)
            cpus.setdefault(engine, {}).setdefault(str(workers), []).extend(
                r["cpu"] for r in results
            )
            if workers == 2:
                peak[engine] = peaks(results)
    return {
        engine: {
            "batch_s": {
                "0": statistics.median(walls["none"]["0"]),
                **{w: statistics.median(t) for w, t in walls[engine].items()},
            },
            "batch_best_s": {
                "0": min(walls["none"]["0"]),
                **{w: min(t) for w, t in walls[engine].items()},
            },
            "batch_runs_s": {"0": walls["none"]["0"], **walls[engine]},
            "proof_cpu_s": {
                "0": statistics.median(cpus["none"]["0"]),
                **{w: statistics.median(c) for w, c in cpus[engine].items()},
            },
            "peak_rss": peak[engine],
            "load_before_batches": loads,
        }
        for engine in engines
    }


def measure(engine: str, runs: int) -> dict[str, Any]:
    """Every number of (a) to (c) for one engine, as a JSON-ready dict."""
    import pickle

    from cksmodel.account.bundle import load_bundle

    account = load_bundle(EXAMPLE)
    record: dict[str, Any] = {"import_s": import_seconds(ENGINES[engine][0], runs)}
    starts, shutdowns, idle, services, counts = [], [], [], [], []
    before = rss(os.getpid())
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as scratch:
        for run in range(runs):
            ready, cluster = timed(lambda: started(engine, 2, scratch))
            starts.append(ready)
            if run == 0:
                record["caller_growth"] = rss(os.getpid()) - before
            workers, others = processes(engine)
            counts.append(len(workers))
            idle.extend(rss(pid) for pid in workers)
            services.append(sum(rss(pid) for pid in others))
            shutdowns.append(timed(cluster.close)[0])
        record |= {
            "start_s": statistics.median(starts),
            "shutdown_s": statistics.median(shutdowns),
            "worker_processes": max(counts),
            "idle_rss": statistics.median(idle),
            "service_rss": statistics.median(services),
            "account_pickled_bytes": len(pickle.dumps(account)),
        }
        cluster = started(engine, 2, scratch)
        try:
            record["round_trip_s"] = {
                name: statistics.median(
                    timed(lambda f=function, i=item: cluster.map(f, [i]))[0]
                    for _ in range(ROUND_TRIPS)
                )
                for name, function, item in [
                    ("empty", empty, 0),
                    ("account", echo, account),
                    ("path", load_summary, EXAMPLE),
                ]
            }
            record["account_comes_back_equal"] = cluster.map(echo, [account])[0] == account
        finally:
            cluster.close()
        record["files_left"] = sorted(str(p.relative_to(scratch)) for p in Path(scratch).iterdir())
    return record


def started(engine: str, workers: int, scratch: str) -> Cluster:
    """A cluster on which one task has run on each worker."""
    cluster = start(engine, workers, scratch)
    cluster.map(warm, list(range(workers)))
    return cluster


def processes(engine: str) -> tuple[list[int], list[int]]:
    """Worker processes of the running cluster, and the engine's other processes (Ray's
    workers are titled ``ray::IDLE`` or ``ray::TASK``, its agents ``ray::…Agent``)."""
    workers, others = [], []
    for pid in descendants(os.getpid()):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
        if engine == "dask":
            worker = "multiprocessing.spawn" in command and "resource_tracker" not in command
        else:
            worker = command.startswith("ray::") and not command.endswith("Agent")
        (workers if worker else others).append(pid)
    return workers, others


def peaks(results: list[dict[str, Any]]) -> list[int]:
    """The peak RSS of each worker that ran some of ``results``."""
    peak: dict[int, int] = {}
    for result in results:
        peak[result["pid"]] = max(peak.get(result["pid"], 0), result["peak"])
    return sorted(peak.values())


def install_size(engine: str) -> dict[str, Any]:
    """Megabytes an engine adds to a fresh virtual environment, and its version."""
    package = ENGINES[engine][1]
    with tempfile.TemporaryDirectory(prefix="bench-size-") as where:
        venv.create(where, with_pip=True)
        empty_kb = du(where)
        pip = [f"{where}/bin/python", "-m", "pip", "--disable-pip-version-check"]
        before = len(pip_list(pip))
        subprocess.run([*pip, "install", "-q", package], check=True, capture_output=True)
        listed = pip_list(pip)
        return {
            "mb": (du(where) - empty_kb) / 1024,
            "packages": len(listed) - before,
            "version": listed.get(package, ""),
        }


def pip_list(pip: list[str]) -> dict[str, str]:
    text = subprocess.run([*pip, "list", "--format=json"], capture_output=True, text=True).stdout
    return {entry["name"].lower(): entry["version"] for entry in json.loads(text)}


def du(path: str) -> int:
    return int(
        subprocess.run(["du", "-sk", path], capture_output=True, text=True).stdout.split()[0]
    )


# ------------------------------------------------------------------ tables


def mb(value: float) -> str:
    return f"{value / 2**20:.0f} MB"


def print_tables(results: dict[str, dict[str, Any]], tasks: int, runs: int) -> None:
    names = list(results)
    measured = [n for n in names if "error" not in results[n]]
    for name in names:
        if "error" in results[name]:
            print(f"{name}: {results[name]['error']}")
    if not measured:
        return
    print(f"\n{'':44}" + "".join(f"{n:>14}" for n in measured))

    def row(label: str, value: Callable[[dict[str, Any]], str]) -> None:
        print(f"{label:44}" + "".join(f"{value(results[n]):>14}" for n in measured))

    print("a. start-up (local cluster, 2 workers)")
    row("   import the engine", lambda r: f"{r['import_s']:.2f} s")
    row("   start until a task ran on each worker", lambda r: f"{r['start_s']:.2f} s")
    row("   shut down", lambda r: f"{r['shutdown_s']:.2f} s")
    first = results[measured[0]]
    print(f"b. round trip of one task (account pickled: {first['account_pickled_bytes']} bytes)")
    row("   empty task", lambda r: f"{r['round_trip_s']['empty'] * 1000:.1f} ms")
    row("   account there and back", lambda r: f"{r['round_trip_s']['account'] * 1000:.1f} ms")
    row(
        "   path, bundle loaded on the worker",
        lambda r: f"{r['round_trip_s']['path'] * 1000:.1f} ms",
    )
    print("c. memory")
    row("   worker processes started", lambda r: str(r["worker_processes"]))
    row("   idle RSS per worker", lambda r: mb(r["idle_rss"]))
    row(
        "   peak RSS per worker (2 workers, batch d)",
        lambda r: "/".join(f"{p / 2**20:.0f}" for p in r["peak_rss"]) + " MB",
    )
    row("   RSS of the engine's other processes", lambda r: mb(r["service_rss"]))
    row("   RSS the engine and cluster add to the caller", lambda r: mb(r["caller_growth"]))
    print(f"d. {tasks} proofs of specs/cks.spec on examples/cks-account")
    for label, stat in (("median", "batch_s"), ("best", "batch_best_s")):
        print(f"   {label} of {runs} runs")
        row("     in-process", lambda r, k=stat: f"{r[k]['0']:.1f} s")
        for workers in ("1", "2"):
            row(
                f"     {workers} worker{'s' if workers == '2' else ''} (speed-up)",
                lambda r, w=workers, k=stat: f"{r[k][w]:.1f} s ({r[k]['0'] / r[k][w]:.2f}x)",
            )
    row(
        "   CPU per proof: in-process / on a worker",
        lambda r: f"{r['proof_cpu_s']['0']:.2f}/{r['proof_cpu_s']['2']:.2f} s",
    )
    row(
        "   load average before the batches",
        lambda r: f"{min(r['load_before_batches']):.1f}-{max(r['load_before_batches']):.1f}",
    )
    if all("install" in results[n] for n in measured):
        print("e. installed into a fresh virtual environment")
        row("   version", lambda r: r["install"]["version"])
        row("   size", lambda r: f"{r['install']['mb']:.0f} MB")
        row("   packages", lambda r: str(r["install"]["packages"]))
    row("files left in the scratch directory", lambda r: str(len(r["files_left"])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="dask,ray")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--install-size", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="say nothing on stderr")
    parser.add_argument("--child", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    parser.add_argument("--batch", metavar="ENGINE:WORKERS:TASKS", help="run one batch of (d)")
    args = parser.parse_args()
    if args.batch:
        engine, workers, tasks = args.batch.split(":")
        print(json.dumps(run_batch(engine, int(workers), int(tasks))))
        return 0
    if args.child:
        print(json.dumps(measure(args.child, args.runs)))
        return 0
    results: dict[str, dict[str, Any]] = {}
    for engine in args.engines.split(","):
        if not args.quiet:
            print(f"measuring {engine} ...", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, __file__, "--child", engine, f"--runs={args.runs}"],
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            last = (child.stderr.strip().splitlines() or ["no output"])[-1]
            results[engine] = {"error": f"not measured ({last})"}
            continue
        results[engine] = json.loads(child.stdout.strip().splitlines()[-1])
    measured = [engine for engine in results if "error" not in results[engine]]
    if measured:
        if not args.quiet:
            print(f"{args.tasks} proofs in-process and on clusters ...", file=sys.stderr)
        for engine, batch_record in batches(measured, args.runs, args.tasks).items():
            results[engine] |= batch_record
    for engine in results if args.install_size else ():
        if not args.quiet:
            print(f"installing {engine} into a fresh virtual environment ...", file=sys.stderr)
        results[engine]["install"] = install_size(engine)
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; median of {args.runs} runs"
    )
    print_tables(results, args.tasks, args.runs)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_executor.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
