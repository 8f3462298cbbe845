"""Cost of organization-wide analysis (``prove`` and ``who-can`` with ``--organization``)
on generated organizations, in-process and on a local cluster.

    python bench/bench_org.py [--sizes 100x200] [--runs 1] [--workers 1,2]
                              [--jobs prove,who-can] [--timeout 30]

For each ``--sizes`` ACCOUNTSxPRINCIPALS an organization is generated
(``bench/synthetic_org.py``: a security account with the custom key store and store
keys, a CI account, workload accounts in nested OUs, sandbox accounts; cross-account
trusts, store keys shared through key policies and grants, workload keys shared between
accounts). Each job runs ``--runs`` rounds of one run per executor: ``local`` (in this
process: the baseline) and ``local-cluster`` with each ``--workers`` count. Measured:
wall seconds; CPU seconds of this process plus of the cluster's processes (reaped when
the cluster shuts down, so counted through ``RUSAGE_CHILDREN``); the peak resident
memory of each worker and of this process (the driver, which joins the graphs and
answers on the joined graph; for ``local`` the one process), each counted from the start
of the run; and the CPU seconds the per-account tasks report. Tables show the median of
``--runs`` runs and the speed-up over ``local`` measured in the same process.

The projection to a 16-worker cluster is computed from the measured per-account task
costs (greedy assignment of the measured task times, longest first, to 16 workers,
plus the measured time outside the tasks) and is labelled as a projection: it assumes
workers as fast as this machine's cores and no network cost.

Everything goes to ``bench/out/bench_org.json`` as well.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_org import generate

from cksmodel.invariants.spec import load_spec
from cksmodel.org.analysis import OrgAnalysis, analyse_organization
from cksmodel.org.executor import open_executor, peak_rss
from cksmodel.org.prove import organization_report, questions_of, split_specs

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"


@dataclass
class Run:
    job: str
    executor: str
    workers: int
    wall_s: float
    cpu_s: float
    task_cpu_s: list[float]
    worker_peak_mb: list[float]
    driver_peak_mb: float
    verdicts: dict[str, int] = field(default_factory=dict)
    principals_found: int = 0


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _specs() -> tuple[list[Any], list[Any]]:
    paths = [
        *sorted((ROOT / "specs").glob("*.spec")),
        ROOT / "specs/organization/organization.spec",
    ]
    per_account, whole = split_specs([load_spec(p) for p in paths])
    return [s for s in per_account if s.invariants], whole


def run_once(org: Path, job: str, where: str, workers: int, timeout: float) -> Run:
    per_account, whole = _specs()
    _reset_peak()
    start, cpu = time.perf_counter(), _cpu()
    with open_executor(where, workers=workers if where == "local-cluster" else None) as ex:
        if job == "prove":
            analysis = analyse_organization(
                org,
                executor=ex,
                specs=per_account,
                questions=lambda surveys: questions_of(whole, surveys),
                timeout=timeout,
            )
            report = organization_report(analysis, per_account, whole)
            verdicts: dict[str, int] = {}
            for r in report.results:
                verdicts[r.verdict.value] = verdicts.get(r.verdict.value, 0) + 1
            found = 0
        else:
            analysis = _who_can(org, ex, timeout)
            verdicts = {}
            found = len(analysis[1])
            analysis = analysis[0]
        peaks = ex.peak_memory()
    wall, spent = time.perf_counter() - start, _cpu() - cpu
    if where == "local":
        peaks = {"this process": peak_rss()}
    return Run(
        job=job,
        executor=where,
        workers=workers if where == "local-cluster" else 1,
        wall_s=wall,
        cpu_s=spent,
        task_cpu_s=[g.cpu_s for g in analysis.accounts],
        worker_peak_mb=sorted(v / 2**20 for v in peaks.values()),
        driver_peak_mb=peak_rss() / 2**20,
        verdicts=verdicts,
        principals_found=found,
    )


def _reset_peak() -> None:
    """Start this process's peak memory afresh (Linux: writing 5 to ``clear_refs`` resets
    ``VmHWM``), so a ``local`` run's peak is its own, not an earlier run's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _who_can(org: Path, ex: Any, timeout: float) -> tuple[OrgAnalysis, list[Any]]:
    """Who can decrypt with the first store key, across the organization."""

    def asked(surveys: Any) -> list[tuple[str, str]]:
        keys = [k for s in surveys if s.holds_stores for k in s.keys]
        return [("kms:Decrypt", keys[0])]

    analysis = analyse_organization(org, executor=ex, questions=asked, timeout=timeout)
    question = next(iter(analysis.graph.questions))
    return analysis, analysis.graph.who_can(*question)


def projection(runs: list[Run], workers: int = 16) -> dict[str, float]:
    """Projected wall seconds on ``workers`` workers, from the measured task costs."""
    base = min(runs, key=lambda r: r.wall_s)
    tasks = sorted(base.task_cpu_s, reverse=True)
    loads = [0.0] * workers
    heapq.heapify(loads)
    for cost in tasks:
        heapq.heappush(loads, heapq.heappop(loads) + cost)
    local = [r for r in runs if r.executor == "local"]
    outside = (
        statistics.median(r.wall_s for r in local)
        - statistics.median(sum(r.task_cpu_s) for r in local)
        if local
        else 0.0
    )
    return {
        "workers": workers,
        "task_cpu_s_total": sum(tasks),
        "task_cpu_s_max": tasks[0] if tasks else 0.0,
        "outside_tasks_s": max(0.0, outside),
        "projected_wall_s": max(loads) + max(0.0, outside),
    }


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100x200", help="ACCOUNTSxPRINCIPALS,...")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="local-cluster worker counts")
    parser.add_argument("--jobs", default="prove,who-can")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load": os.getloadavg(), "sizes": {}}
    for size in args.sizes.split(","):
        accounts, principals = (int(n) for n in size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            org = Path(tmp) / "org"
            generate(org, accounts=accounts, principals=principals)
            runs: list[Run] = []
            configs = [("local", 1)] + [("local-cluster", int(w)) for w in args.workers.split(",")]
            for job in args.jobs.split(","):
                # one run of each executor per round: a drift of the machine's load over
                # the rounds falls on every executor alike
                for _ in range(args.runs):
                    for where, workers in configs:
                        run = run_once(org, job, where, workers, args.timeout)
                        runs.append(run)
                        print(
                            f"  {size} {job} {where} x{workers}: {run.wall_s:.1f} s wall, "
                            f"{run.cpu_s:.1f} s CPU",
                            file=sys.stderr,
                            flush=True,
                        )
        rows = [
            [
                "job",
                "executor",
                "workers",
                "wall s",
                "CPU s",
                "speed-up",
                "peak MB/worker",
                "driver peak MB",
                "result",
            ]
        ]
        for job in args.jobs.split(","):
            mine = [r for r in runs if r.job == job]
            local = statistics.median(r.wall_s for r in mine if r.executor == "local")
            for where, workers in configs:
                group = [r for r in mine if r.executor == where and r.workers == workers]
                wall = statistics.median(r.wall_s for r in group)
                cpu = statistics.median(r.cpu_s for r in group)
                peak = max(max(r.worker_peak_mb) for r in group)
                driver = max(r.driver_peak_mb for r in group)
                result = (
                    ", ".join(f"{v} {k}" for k, v in sorted(group[0].verdicts.items()))
                    if job == "prove"
                    else f"{group[0].principals_found} principals"
                )
                rows.append(
                    [
                        job,
                        where,
                        str(workers),
                        f"{wall:.1f}",
                        f"{cpu:.1f}",
                        f"{local / wall:.2f}x",
                        f"{peak:.0f}",
                        f"{driver:.0f}",
                        result,
                    ]
                )
        print(f"\n{size} (accounts x principals), median of {args.runs} run(s):")
        print(table(rows))
        prove_runs = [r for r in runs if r.job == "prove"] or runs
        projected = projection(prove_runs)
        wall16, total = projected["projected_wall_s"], projected["task_cpu_s_total"]
        print(
            f"\nprojection (not a measurement) for 16 workers, {size}: {wall16:.0f} s wall "
            f"(tasks {total:.0f} s CPU in all, longest {projected['task_cpu_s_max']:.1f} s; "
            f"{projected['outside_tasks_s']:.0f} s outside the tasks)"
        )
        results["sizes"][size] = {"runs": [asdict(r) for r in runs], "projection": projected}
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_org.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
