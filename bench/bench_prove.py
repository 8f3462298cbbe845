"""Cost of ``cksmodel prove`` (specs/ against an account bundle), per invariant.

    python bench/bench_prove.py [--runs 3] [--sizes 1000x200] [--skip-large]
                                [--budget 900] [--fallback 50x10,100x20,200x40]
                                [--fallback-budget 3600] [--timeout 30]
                                [--profile SIZE]

a. examples/cks-account: every invariant's time and verdict, and the total; median of
   ``--runs`` runs, wall and CPU seconds. Target: under 2 s in total.
b. a synthetic account of each ``--sizes`` PRINCIPALSxKEYS (``bench/synthetic_account.py``,
   generated into a temporary directory): total time, verdict counts and the five slowest
   invariants (one run: ``--synthetic-runs``). Target: under 60 s for 1000x200. Each
   size runs in a child process with a wall-clock budget (``--budget``); a run that
   exceeds it is stopped, the invariants it finished are shown, and the ``--fallback``
   sizes (same principals:keys ratio) are run instead (each with ``--fallback-budget``),
   from which the time of the stopped size is extrapolated with a power law fitted to
   the two largest completed sizes. An extrapolation is labelled as one.
c. ``load_bundle`` time for the example and each synthetic bundle (median of ``--runs``).

``--skip-large`` skips (b) and the synthetic bundles of (c). ``--profile SIZE`` runs
prove once under cProfile on a synthetic account of that size and prints the 15
cksmodel functions with the largest cumulative time (the full statistics go to
``bench/out/profile-SIZE.prof``).

Per-invariant times are those of ``prove`` itself, run as ``cksmodel prove`` runs it
(one ``Prover`` per spec): principal sets (personas) and ``can`` answers are cached
across the invariants of a spec, so an invariant's time includes whatever cache it is
the first to fill. CPU seconds are this process's (the solver runs in-process); they
differ from wall seconds when other work shares the machine, which is why both are
shown. Everything goes to ``bench/out/bench_prove.json`` as well.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_account import generate, summary
from terminal import add_quiet, progress_of, showing

from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.invariants.prove import Prover, prove
from cksmodel.invariants.results import InvariantResult
from cksmodel.invariants.spec import Spec, load_spec
from cksmodel.symbolic.progress import Progress, no_progress

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cks-account"
SPECS = ROOT / "specs"
OUT = Path(__file__).resolve().parent / "out"
TARGET_EXAMPLE, TARGET_SYNTHETIC = 2.0, 60.0


def load_specs() -> list[Spec]:
    return [load_spec(p) for p in sorted(SPECS.glob("*.spec"))]


def parse_size(text: str) -> tuple[int, int]:
    principals, sep, keys = text.lower().partition("x")
    if not sep:
        raise argparse.ArgumentTypeError(f"size {text!r} is not PRINCIPALSxKEYS (e.g. 1000x200)")
    return int(principals), int(keys)


def size_label(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


# ------------------------------------------------------------------ timing prove


@dataclass(slots=True)
class Timed:
    """One invariant of one run."""

    name: str
    verdict: str
    wall: float
    cpu: float
    reason: str = ""


@contextlib.contextmanager
def instrumented(emit: Callable[[Timed], None]) -> Iterator[None]:
    """Report each invariant as ``prove`` finishes it, with wall and CPU seconds.

    Wraps ``Prover.invariant`` (what ``prove`` calls once per invariant), so ``prove``
    itself stays the driver.
    """
    original = Prover.invariant

    def invariant(self: Prover, inv: Any) -> InvariantResult:
        cpu = time.process_time()
        result = original(self, inv)
        emit(
            Timed(
                name=result.name,
                verdict=result.verdict.value,
                wall=result.time_s,
                cpu=time.process_time() - cpu,
                reason=result.reason,
            )
        )
        return result

    Prover.invariant = invariant  # type: ignore[method-assign]
    try:
        yield
    finally:
        Prover.invariant = original  # type: ignore[method-assign]


def prove_once(
    specs: list[Spec], account: Account, timeout: float
) -> tuple[list[Timed], float, float]:
    """One prove run: per-invariant results, total wall and CPU seconds."""
    rows: list[Timed] = []
    wall, cpu = time.perf_counter(), time.process_time()
    with instrumented(rows.append):
        prove(specs, account, timeout=timeout)
    return rows, time.perf_counter() - wall, time.process_time() - cpu


def time_load(bundle: Path, runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        load_bundle(bundle)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


# ------------------------------------------------------------------ the child process


def child(bundle: Path, out: Path, timeout: float) -> int:
    """Load and prove one bundle, writing one JSON line per event to ``out``."""
    with out.open("w", encoding="utf-8") as stream:

        def write(record: dict[str, Any]) -> None:
            stream.write(json.dumps(record) + "\n")
            stream.flush()

        specs = load_specs()
        wall, cpu = time.perf_counter(), time.process_time()
        account = load_bundle(bundle)
        write(
            {
                "event": "loaded",
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "principals": len(account.principals),
                "keys": len(account.keys),
                "invariants": sum(len(spec.invariants) for spec in specs),
                "warnings": list(account.warnings),
            }
        )

        def emit(t: Timed) -> None:
            write({"event": "invariant", **asdict(t)})

        wall, cpu = time.perf_counter(), time.process_time()
        with instrumented(emit):
            prove(specs, account, timeout=timeout)
        write(
            {"event": "done", "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        )
    return 0


@dataclass(slots=True)
class SyntheticRun:
    size: tuple[int, int]
    finished: bool
    budget: float
    rows: list[Timed] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    elapsed: float = 0.0
    """Wall seconds of the child process, start-up and loading included."""
    load_wall: float | None = None
    invariants: int = 0
    """How many invariants the specs hold."""
    error: str = ""


def child_progress(events: Path, label: str, progress: Progress) -> None:
    """Report the invariants a child process has finished, from its events file."""
    try:
        lines = events.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    records = [json.loads(line) for line in lines if line.endswith("}")]
    total = next((r["invariants"] for r in records if r["event"] == "loaded"), None)
    done = sum(1 for r in records if r["event"] == "invariant")
    note = "proving" if total is not None else "loading the bundle"
    progress(f"{label}: invariants", done, total, note)


def run_child(
    bundle: Path,
    size: tuple[int, int],
    budget: float,
    timeout: float,
    tmp: Path,
    progress: Progress = no_progress,
) -> SyntheticRun:
    events = tmp / f"events-{size_label(size)}-{time.monotonic_ns()}.jsonl"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(bundle),
        "--events",
        str(events),
        "--timeout",
        str(timeout),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while True:
        left = start + budget - time.perf_counter()
        try:
            _, stderr = proc.communicate(timeout=max(0.01, min(0.5, left)))
            finished = proc.returncode == 0
            break
        except subprocess.TimeoutExpired:
            if left <= 0.5:
                proc.kill()
                _, stderr = proc.communicate()
                finished = False
                break
            child_progress(events, size_label(size), progress)
    run = SyntheticRun(size=size, finished=False, budget=budget)
    run.elapsed = time.perf_counter() - start
    if proc.returncode not in (0, -9) and stderr:
        run.error = stderr.strip().splitlines()[-1]
    for line in events.read_text(encoding="utf-8").splitlines() if events.exists() else []:
        record = json.loads(line)
        if record["event"] == "loaded":
            run.load_wall = record["wall"]
            run.invariants = record["invariants"]
        elif record["event"] == "invariant":
            record.pop("event")
            run.rows.append(Timed(**record))
        elif record["event"] == "done":
            run.wall, run.cpu = record["wall"], record["cpu"]
            run.finished = finished
    if not run.finished:
        run.wall = sum(r.wall for r in run.rows)
        run.cpu = sum(r.cpu for r in run.rows)
    return run


# ------------------------------------------------------------------ printing


def verdict_counts(rows: list[Timed]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "none"


def section_a(
    specs: list[Spec], runs: int, timeout: float, progress: Progress = no_progress
) -> dict[str, Any]:
    account = load_bundle(EXAMPLE)
    per_run: list[tuple[list[Timed], float, float]] = [
        prove_once(specs, account, timeout) for _ in progress_of(range(runs), "(a) runs", progress)
    ]
    names = [t.name for t in per_run[0][0]]
    print(f"(a) examples/cks-account: prove specs/*.spec, median of {runs} run(s)")
    print()
    print(f"{'invariant':<54} {'verdict':<8} {'wall s':>8} {'cpu s':>8}")
    rows = []
    for i, name in enumerate(names):
        verdicts = {run[0][i].verdict for run in per_run}
        verdict = verdicts.pop() if len(verdicts) == 1 else "varies"
        wall = statistics.median(run[0][i].wall for run in per_run)
        cpu = statistics.median(run[0][i].cpu for run in per_run)
        rows.append({"name": name, "verdict": verdict, "wall": wall, "cpu": cpu})
        print(f"{name:<54} {verdict:<8} {wall:>8.3f} {cpu:>8.3f}")
    total_wall = statistics.median(run[1] for run in per_run)
    total_cpu = statistics.median(run[2] for run in per_run)
    print(f"{'total (median of run totals)':<54} {'':<8} {total_wall:>8.3f} {total_cpu:>8.3f}")
    print(
        f"runs (wall s): {', '.join(f'{run[1]:.2f}' for run in per_run)}; "
        f"verdicts: {verdict_counts(per_run[0][0])}"
    )
    met = "met" if total_wall < TARGET_EXAMPLE else "NOT met"
    print(
        f"target < {TARGET_EXAMPLE:g} s total: {met} "
        f"({total_wall:.2f} s wall, {total_cpu:.2f} s CPU)"
    )
    print()
    return {
        "invariants": rows,
        "total_wall": total_wall,
        "total_cpu": total_cpu,
        "run_walls": [run[1] for run in per_run],
    }


def print_synthetic(run: SyntheticRun, label: str) -> None:
    state = "finished" if run.finished else f"STOPPED after the {run.budget:g} s budget"
    if run.error:
        state = f"FAILED: {run.error}"
    print(
        f"{label} {size_label(run.size)}: {state}; "
        f"{len(run.rows)}/{run.invariants} invariants done, {verdict_counts(run.rows)}"
    )
    what = "total" if run.finished else "sum of finished invariants"
    print(f"  prove {what}: {run.wall:.1f} s wall, {run.cpu:.1f} s CPU")
    slowest = sorted(run.rows, key=lambda r: r.wall, reverse=True)[:5]
    if slowest:
        print(f"  {'5 slowest invariants':<54} {'verdict':<8} {'wall s':>9} {'cpu s':>9}")
        for r in slowest:
            print(f"  {r.name:<54} {r.verdict:<8} {r.wall:>9.2f} {r.cpu:>9.2f}")
    if not run.finished and run.rows:
        print(f"  last finished: {run.rows[-1].name}; the next invariant was still running")


def extrapolate(done: list[SyntheticRun], size: tuple[int, int]) -> tuple[float, float, float]:
    """Power law cpu = c * principals^b through the two largest completed runs; returns
    (b, predicted CPU s, predicted wall s at the largest run's wall/CPU ratio)."""
    small, large = sorted(done, key=lambda r: r.size[0])[-2:]
    b = math.log(large.cpu / small.cpu) / math.log(large.size[0] / small.size[0])
    cpu = large.cpu * (size[0] / large.size[0]) ** b
    return b, cpu, cpu * large.wall / large.cpu


def section_b(
    sizes: list[tuple[int, int]],
    args: argparse.Namespace,
    tmp: Path,
    progress: Progress = no_progress,
) -> tuple[dict[str, Any], list[tuple[str, Path]]]:
    print(
        f"(b) synthetic accounts: prove specs/*.spec, {args.synthetic_runs} run(s), "
        f"budget {args.budget:g} s per size"
    )
    print()
    report: dict[str, Any] = {"sizes": {}, "fallback": {}, "extrapolated": {}}
    bundles: list[tuple[str, Path]] = []
    stopped: list[tuple[int, int]] = []
    for size in progress_of(sizes, "(b) sizes", progress):
        bundle = tmp / size_label(size)
        generate(bundle, principals=size[0], keys=size[1], seed=args.seed)
        bundles.append((size_label(size), bundle))
        counts = summary(bundle)
        print(f"synthetic {size_label(size)}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        results = [
            run_child(bundle, size, args.budget, args.timeout, tmp, progress)
            for _ in range(args.synthetic_runs)
        ]
        run = min(results, key=lambda r: (not r.finished, r.wall))
        if args.synthetic_runs > 1 and all(r.finished for r in results):
            run.wall = statistics.median(r.wall for r in results)
            run.cpu = statistics.median(r.cpu for r in results)
        print_synthetic(run, "synthetic")
        if run.finished:
            met = "met" if run.wall < TARGET_SYNTHETIC else "NOT met"
            print(f"  target < {TARGET_SYNTHETIC:g} s total: {met}")
        else:
            stopped.append(size)
        report["sizes"][size_label(size)] = _run_json(run)
        print()
    if stopped:
        done: list[SyntheticRun] = []
        smallest = min(s[0] for s in stopped)
        for size in args.fallback:
            if size[0] >= smallest:
                continue
            bundle = tmp / size_label(size)
            generate(bundle, principals=size[0], keys=size[1], seed=args.seed)
            bundles.append((size_label(size), bundle))
            run = run_child(bundle, size, args.fallback_budget, args.timeout, tmp, progress)
            print_synthetic(run, "fallback")
            report["fallback"][size_label(size)] = _run_json(run)
            print()
            if not run.finished:
                break
            done.append(run)
        for size in stopped:
            if len(done) < 2:
                print(f"{size_label(size)}: too few completed fallback sizes to extrapolate")
                continue
            b, cpu, wall = extrapolate(done, size)
            a, c = sorted(done, key=lambda r: r.size[0])[-2:]
            print(
                f"EXTRAPOLATION (not a measurement) for {size_label(size)}: ~{cpu:,.0f} s CPU "
                f"(~{cpu / 3600:.1f} h), ~{wall:,.0f} s wall at this machine's load; power "
                f"law t ~ principals^{b:.2f} fitted to {size_label(a.size)} and "
                f"{size_label(c.size)} (keys scale with principals)"
            )
            report["extrapolated"][size_label(size)] = {
                "exponent": b,
                "cpu": cpu,
                "wall": wall,
                "from": [size_label(a.size), size_label(c.size)],
            }
        print()
    return report, bundles


def _run_json(run: SyntheticRun) -> dict[str, Any]:
    return {
        "finished": run.finished,
        "budget": run.budget,
        "wall": run.wall,
        "cpu": run.cpu,
        "elapsed": run.elapsed,
        "error": run.error,
        "invariants": [asdict(r) for r in run.rows],
    }


def section_c(
    bundles: list[tuple[str, Path]], runs: int, progress: Progress = no_progress
) -> dict[str, Any]:
    print(f"(c) load_bundle, median of {runs} run(s)")
    print()
    print(
        f"{'bundle':<22} {'users':>6} {'roles':>6} {'keys':>6} {'IAM MB':>7} "
        f"{'wall s':>8} {'cpu s':>8}"
    )
    out = {}
    for label, bundle in progress_of(bundles, "(c) bundles", progress):
        counts = summary(bundle)
        size = (bundle / "iam" / "account-authorization-details.json").stat().st_size / 1e6
        wall, cpu = time_load(bundle, runs)
        out[label] = {"wall": wall, "cpu": cpu, **counts}
        print(
            f"{label:<22} {counts['users']:>6} {counts['roles']:>6} {counts['keys']:>6} "
            f"{size:>7.2f} {wall:>8.3f} {cpu:>8.3f}"
        )
    print()
    return out


def profile(size: tuple[int, int], args: argparse.Namespace, tmp: Path) -> None:
    bundle = tmp / f"profile-{size_label(size)}"
    generate(bundle, principals=size[0], keys=size[1], seed=args.seed)
    specs = load_specs()
    account = load_bundle(bundle)
    profiler = cProfile.Profile()
    wall = time.perf_counter()
    profiler.enable()
    prove(specs, account, timeout=args.timeout)
    profiler.disable()
    wall = time.perf_counter() - wall
    OUT.mkdir(exist_ok=True)
    path = OUT / f"profile-{size_label(size)}.prof"
    profiler.dump_stats(str(path))
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(r"cksmodel[/\\]", 15)
    print(
        f"profile: prove on synthetic {size_label(size)} under cProfile ({wall:.1f} s wall "
        f"with profiling), top 15 cksmodel functions by cumulative time; full stats: "
        f"{path.relative_to(ROOT)}"
    )
    lines = text.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n".join(line.replace(str(ROOT) + os.sep, "") for line in lines[start:] if line.strip()))
    print()


def revision() -> str:
    """The commit measured, and whether the package had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "cksmodel", "specs"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return head + (" with uncommitted changes to cksmodel/ or specs/" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs for (a) and (c) (median)")
    parser.add_argument(
        "--sizes",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        default=[(1000, 200)],
        help="synthetic sizes PRINCIPALSxKEYS, comma-separated (default 1000x200)",
    )
    parser.add_argument("--skip-large", action="store_true", help="skip the synthetic accounts")
    parser.add_argument("--synthetic-runs", type=int, default=1)
    parser.add_argument("--budget", type=float, default=900.0, help="wall s per synthetic size")
    parser.add_argument(
        "--fallback",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        default=[(50, 10), (100, 20), (200, 40)],
        help="smaller sizes to measure and extrapolate from when a size exceeds its budget",
    )
    parser.add_argument("--fallback-budget", type=float, default=3600.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="per solver query, as prove")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=parse_size, metavar="SIZE", help="cProfile one size")
    parser.add_argument("--sections", default="abc", help="which of a, b, c to run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    add_quiet(parser)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child, args.events, args.timeout)
    with showing(args) as progress:
        return run_sections(args, progress)


def run_sections(args: argparse.Namespace, progress: Progress) -> int:

    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at start; cksmodel at {revision()}"
    )
    print()
    report: dict[str, Any] = {}
    specs = load_specs()
    names = [p.name for p in sorted(SPECS.glob("*.spec"))]
    count = sum(len(spec.invariants) for spec in specs)
    print(
        f"specs: {', '.join(names)} ({count} invariants); "
        f"per-query solver timeout {args.timeout:g} s"
    )
    print()
    with tempfile.TemporaryDirectory(prefix="bench_prove-") as tmpdir:
        tmp = Path(tmpdir)
        bundles: list[tuple[str, Path]] = [("examples/cks-account", EXAMPLE)]
        if "a" in args.sections:
            report["a"] = section_a(specs, args.runs, args.timeout, progress)
        if "b" in args.sections and not args.skip_large:
            report["b"], synthetic = section_b(args.sizes, args, tmp, progress)
            bundles += synthetic
        elif "c" in args.sections and not args.skip_large:
            for size in args.sizes:
                bundle = tmp / size_label(size)
                generate(bundle, principals=size[0], keys=size[1], seed=args.seed)
                bundles.append((size_label(size), bundle))
        if "c" in args.sections:
            report["c"] = section_c(bundles, args.runs, progress)
        if args.profile is not None:
            profile(args.profile, args, tmp)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at end")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_prove.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
