"""Cost of the reachability graph (``cksmodel.graph``) on synthetic accounts.

    python bench/bench_graph.py [--sizes 50,100,200] [--runs 3] [--baseline-max 200]
                                [--budget 480] [--profile N] [--json PATH] [--quick]

For each size N (principals; keys scale as in ``bench/bench_prove.py``, N/5, at least
the example's 4) a synthetic bundle (``bench/synthetic_account.py``) is generated into a
temporary directory and loaded once. Each run then measures, in this process:

- ``build_graph``: wall seconds, actors, edges, decision questions, undecided edges,
  and the growth of the process's peak RSS (``resource.getrusage`` ``ru_maxrss``, a
  high-water mark: the delta is only meaningful when this build raises the peak, which
  is why sizes run in increasing order and the first run's delta is shown);
- ``who_can(g, "kms:DeleteCustomKeyStore")`` on the built graph: first call (uncached)
  and second call (cached), and the number of principals found;
- a naive baseline: every ordered pair (A, B) of bundle principals with B a role
  decided for ``sts:AssumeRole`` against B's trust policy, and every principal decided
  for ``kms:DeleteCustomKeyStore`` on ``*``, with no filter. It covers only assume-role
  and direct calls (none of the graph's pass-role, credential, trust, rewrite, group or
  key edges), uses a fresh ``Decider`` (so no per-decider caches from the build; the
  process-wide memo caches are shared) and is skipped above ``--baseline-max``.

Medians of ``--runs`` runs are shown. A size stops taking runs once another run would
exceed ``--budget`` seconds, and larger sizes are skipped once a power law fitted to
the measured build times predicts that their first run would. Build times of 5000 and
20000 principals are extrapolated from that fit and labelled as extrapolations.
``--profile N`` builds the graph of size N once under cProfile and prints the top
cksmodel functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_account import FIXED_KEYS, FIXED_PRINCIPALS, generate
from terminal import add_quiet, progress_of, showing

from cksmodel.account.access import Target
from cksmodel.account.bundle import load_bundle
from cksmodel.account.model import Account
from cksmodel.graph import build_graph, who_can
from cksmodel.graph.actors import principal_actor
from cksmodel.graph.edges import Decider
from cksmodel.symbolic.progress import Progress, no_progress

ROOT = Path(__file__).resolve().parent.parent
ACTION = "kms:DeleteCustomKeyStore"
KEYS_PER_PRINCIPAL = 0.2
"""Keys per principal, as ``bench_prove.py``'s sizes (50x10 ... 1000x200)."""
EXTRAPOLATE_TO = (5000, 20000)


@dataclass(slots=True)
class Run:
    """One run on one account."""

    build: float
    build_cpu: float
    actors: int
    edges: int
    questions: int
    undecided: int
    maxrss_delta_mb: float
    maxrss_mb: float
    who_first: float
    who_cached: float
    found: int
    direct: int
    baseline: float | None = None
    baseline_questions: int = 0
    baseline_pairs: int = 0


def keys_for(principals: int) -> int:
    return max(FIXED_KEYS, round(principals * KEYS_PER_PRINCIPAL))


def maxrss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def naive_baseline(account: Account, timeout: float) -> tuple[float, int, int]:
    """Decide every (principal, role) assume-role pair and every direct call, unfiltered.

    Returns wall seconds, questions asked and assume-role pairs.
    """
    decider = Decider(account, timeout=timeout)
    actors = [(p, principal_actor(p)) for p in account.principals]
    roles = [p for p in account.principals if p.kind == "role"]
    pairs = 0
    start = time.perf_counter()
    for a, actor in actors:
        for b in roles:
            if a.arn == b.arn:
                continue
            decider.decide(actor, ("sts:AssumeRole",), Target(b.arn, b.arn, True, b.trust_policy))
            pairs += 1
    everything = Target("*", "*", True)
    for _, actor in actors:
        decider.decide(actor, (ACTION,), everything)
    return time.perf_counter() - start, decider.questions, pairs


def run_once(
    account: Account, *, baseline: bool, timeout: float, progress: Progress = no_progress
) -> Run:
    before = maxrss_mb()
    cpu = time.process_time()
    g = build_graph(account, timeout=timeout, progress=progress)
    cpu = time.process_time() - cpu
    after = maxrss_mb()
    start = time.perf_counter()
    answer = who_can(g, ACTION)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = who_can(g, ACTION)
    cached = time.perf_counter() - start
    assert len(again.principals) == len(answer.principals)
    s = g.stats
    run = Run(
        build=s.seconds,
        build_cpu=cpu,
        actors=s.actors,
        edges=s.edges,
        questions=s.questions,
        undecided=s.undecided,
        maxrss_delta_mb=after - before,
        maxrss_mb=after,
        who_first=first,
        who_cached=cached,
        found=len(answer.principals),
        direct=sum(1 for r in answer.principals if r.direct),
    )
    if baseline:
        run.baseline, run.baseline_questions, run.baseline_pairs = naive_baseline(account, timeout)
    return run


def fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """Least-squares power law t = c * n^b on log-log; (c, b), or None below two sizes."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return math.exp(my - b * mx), b


def med(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def print_tables(results: dict[int, list[Run]], sizes: list[int], baseline_max: int) -> None:
    print("### Graph build (median of runs)")
    print()
    print(
        "| principals | keys | runs | build s | build CPU s | actors | edges | questions "
        "| undecided "
        "| maxrss Δ MB (run 1) | maxrss MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        runs = results.get(n)
        if not runs:
            print(f"| {n} | {keys_for(n)} | 0 | skipped | | | | | | | |")
            continue
        print(
            f"| {n} | {keys_for(n)} | {len(runs)} | {med(runs, 'build'):.2f} "
            f"| {med(runs, 'build_cpu'):.2f} "
            f"| {med(runs, 'actors'):.0f} | {med(runs, 'edges'):.0f} "
            f"| {med(runs, 'questions'):.0f} | {med(runs, 'undecided'):.0f} "
            f"| {runs[0].maxrss_delta_mb:.0f} | {max(r.maxrss_mb for r in runs):.0f} |"
        )
    print()
    print(f"### who_can(g, {ACTION!r}) on the built graph (median of runs)")
    print()
    print("| principals | first call s (uncached) | second call s (cached) | found | direct |")
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        runs = results.get(n)
        if not runs:
            print(f"| {n} | skipped | | | |")
            continue
        print(
            f"| {n} | {med(runs, 'who_first'):.2f} | {med(runs, 'who_cached'):.4f} "
            f"| {med(runs, 'found'):.0f} | {med(runs, 'direct'):.0f} |"
        )
    print()
    print(
        "### Naive baseline: sts:AssumeRole for every (principal, role) pair + "
        f"{ACTION} on * for every principal, no filters (median of runs)"
    )
    print()
    print(
        "NOTE: covers only assume-role edges and direct calls, not the graph's pass-role, "
        "credential, trust, rewrite, group or key edges, nor modified actors."
    )
    print()
    print("| principals | pairs | questions | baseline s | build s | baseline / build |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        runs = results.get(n)
        if not runs or n > baseline_max or runs[0].baseline is None:
            why = f"skipped (> --baseline-max {baseline_max})" if n > baseline_max else "skipped"
            print(f"| {n} | | | {why} | | |")
            continue
        base, build = med(runs, "baseline"), med(runs, "build")
        print(
            f"| {n} | {runs[0].baseline_pairs} | {runs[0].baseline_questions} | {base:.2f} "
            f"| {build:.2f} | {base / build:.3f} |"
        )
    print()


def print_growth(results: dict[int, list[Run]]) -> None:
    measured = sorted((n, runs) for n, runs in results.items() if runs)
    wall = fit([(n, med(runs, "build")) for n, runs in measured])
    print("### Growth")
    print()
    if wall is None:
        print("fewer than two sizes measured: no fit")
        print()
        return
    used = ", ".join(str(n) for n, _ in measured)
    print(f"least-squares power laws on log-log over N = {used}:")
    print(f"build wall s ~ {wall[0]:.3g} * N^{wall[1]:.2f}")
    laws: dict[str, tuple[float, float]] = {}
    for attr in ("build_cpu", "actors", "edges", "questions", "who_first"):
        law = fit([(n, med(runs, attr)) for n, runs in measured])
        if law is not None:
            laws[attr] = law
            print(f"{attr} ~ {law[0]:.3g} * N^{law[1]:.2f}")
    largest, runs = measured[-1]
    per_question = med(runs, "build_cpu") / med(runs, "questions")
    print(
        f"build CPU s per question at N={largest}: {per_question * 1000:.2f} ms "
        "(wall times are sensitive to other load on the machine; CPU times and "
        "question counts less so)"
    )
    print()
    print(
        "| principals | EXTRAPOLATED build wall s (wall fit) | EXTRAPOLATED build CPU s "
        f"(CPU fit) | EXTRAPOLATED build CPU s (questions fit x s/question at N={largest}) |"
    )
    print("|---:|---:|---:|---:|")
    for n in EXTRAPOLATE_TO:
        cells = [wall[0] * n ** wall[1]]
        cells.append(laws["build_cpu"][0] * n ** laws["build_cpu"][1])
        cells.append(laws["questions"][0] * n ** laws["questions"][1] * per_question)
        text = " | ".join(f"~{t:,.0f} (~{t / 3600:.1f} h)" for t in cells)
        print(f"| {n} | {text} |")
    print()
    print("All three columns are extrapolations, not measurements.")
    print()


def profile(n: int, tmp: Path, seed: int, timeout: float) -> None:
    bundle = tmp / f"profile-{n}"
    generate(bundle, principals=n, keys=keys_for(n), seed=seed)
    account = load_bundle(bundle)
    profiler = cProfile.Profile()
    wall = time.perf_counter()
    profiler.enable()
    build_graph(account, timeout=timeout)
    profiler.disable()
    wall = time.perf_counter() - wall
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(r"cksmodel", 25)
    print(
        f"### Profile: build_graph at N={n} under cProfile ({wall:.1f} s wall with "
        "profiling), top 25 cksmodel functions by cumulative time"
    )
    print()
    lines = text.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("```")
    print("\n".join(line.replace(str(ROOT) + os.sep, "") for line in lines[start:] if line))
    print("```")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda s: sorted(int(x) for x in s.split(",")),
        default=[50, 100, 200],
        help="principal counts, comma-separated (default 50,100,200)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median)")
    parser.add_argument(
        "--baseline-max", type=int, default=200, help="largest size for the naive baseline"
    )
    parser.add_argument(
        "--budget", type=float, default=480.0, help="wall s per size before runs stop"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per solver query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile one build of size N")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--quick", action="store_true", help="smoke run: size 20, one run")
    add_quiet(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs = [20], 1
    if min(args.sizes) < FIXED_PRINCIPALS:
        parser.error(f"sizes must be at least {FIXED_PRINCIPALS} (the example's fixed cast)")
    with showing(args) as progress:
        return measure_sizes(args, progress)


def measure_sizes(args: argparse.Namespace, progress: Progress) -> int:

    print(
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at start"
    )
    print(
        f"sizes {','.join(map(str, args.sizes))} principals (keys = N/5, at least "
        f"{FIXED_KEYS}); up to {args.runs} run(s) each, budget {args.budget:g} s per size; "
        f"seed {args.seed}; solver timeout {args.timeout:g} s; memory = ru_maxrss"
    )
    print()
    results: dict[int, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_graph-") as tmpdir:
        tmp = Path(tmpdir)
        for n in progress_of(args.sizes, "sizes", progress):
            measured = [(m, med(r, "build") + med(r, "who_first")) for m, r in results.items()]
            law = fit(measured)
            if law is None and measured:
                law = (measured[-1][1] / measured[-1][0] ** 2, 2.0)
            if law is not None and law[0] * n ** law[1] > args.budget:
                print(
                    f"N={n}: skipped, predicted first run ~{law[0] * n ** law[1]:,.0f} s "
                    f"> budget {args.budget:g} s",
                    flush=True,
                )
                continue
            bundle = tmp / str(n)
            generate(bundle, principals=n, keys=keys_for(n), seed=args.seed)
            start = time.perf_counter()
            account = load_bundle(bundle)
            loaded = time.perf_counter() - start
            roles = sum(1 for p in account.principals if p.kind == "role")
            print(
                f"N={n}: {len(account.principals)} principals ({roles} roles), "
                f"{len(account.keys)} keys, {len(account.groups)} groups; "
                f"load_bundle {loaded:.2f} s",
                flush=True,
            )
            runs: list[Run] = []
            spent = 0.0
            while len(runs) < args.runs:
                start = time.perf_counter()
                run = run_once(
                    account,
                    baseline=n <= args.baseline_max,
                    timeout=args.timeout,
                    progress=progress,
                )
                took = time.perf_counter() - start
                spent += took
                runs.append(run)
                base = "skipped" if run.baseline is None else f"{run.baseline:.2f} s"
                print(
                    f"  run {len(runs)}: build {run.build:.2f} s, who-can {run.who_first:.2f} s "
                    f"/ {run.who_cached:.4f} s, baseline {base} ({took:.0f} s in all)",
                    flush=True,
                )
                if len(runs) < args.runs and spent + took > args.budget:
                    print(f"  stopping after {len(runs)} run(s): budget {args.budget:g} s")
                    break
            results[n] = runs
        print()
        print_tables(results, args.sizes, args.baseline_max)
        print_growth(results)
        if args.profile is not None:
            profile(args.profile, tmp, args.seed, args.timeout)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at end")
    if args.json is not None:
        report = {str(n): [asdict(r) for r in runs] for n, runs in results.items()}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
