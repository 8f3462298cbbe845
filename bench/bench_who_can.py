"""Whole-process cost of ``who-can`` on two account shapes, as the CLI answers it.

    python bench/bench_who_can.py [--sizes 200,1000,5000] [--runs 3] [--whole-max 200]
                                  [--shapes bench,admin] [--json PATH]

Shapes: ``bench`` is ``bench/synthetic_account.py`` (teams, service roles, vendor
roles, N/5 keys); ``admin`` is ``bench/admin_account.py`` (many administrators, 20 %
of roles trusting the account root, trust chains up to 5 hops, boundaries, Deny
policies, a handful of escalation-capable principals, one key with the default key
policy). For each shape, size N (principals) and question -- ``kms:DeleteCustomKeyStore``
on ``*`` and ``kms:Decrypt`` on one key -- a fresh Python process loads the bundle and
answers, as ``cksmodel who-can`` does, with:

- ``goal``: the goal-directed graph (``cksmodel.graph.goal``, what the CLI uses);
- ``whole``: the whole graph built first (``build_graph``, the pre-goal algorithm with
  today's edge semantics), then the question; only up to ``--whole-max`` principals.

Each row is the median of ``--runs`` processes: CPU seconds of the whole process
(imports, bundle loading, graph, answer: ``time.process_time`` at exit), its peak
RSS, and how many principals were found. Growth exponents are least-squares fits of
CPU seconds on log-log over the measured sizes, and between the two largest sizes
(start-up and bundle loading weigh on the small ones). Answers of the two algorithms are
compared (principal, direct, decided, path length) where both ran.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import admin_account  # noqa: E402
import synthetic_account  # noqa: E402
from terminal import add_quiet, progress_of, showing  # noqa: E402

from cksmodel.symbolic.progress import Progress  # noqa: E402

STORE_KEY = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
"""A key of the bench shape's fixed cast."""
QUESTIONS = {
    "bench": (("kms:DeleteCustomKeyStore", "*"), ("kms:Decrypt", STORE_KEY)),
    "admin": (("kms:DeleteCustomKeyStore", "*"), ("kms:Decrypt", admin_account.KEY_ID)),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    """One (shape, size, question, algorithm): medians over the processes."""

    shape: str
    n: int
    question: str
    algorithm: str
    cpu: float
    maxrss_mb: float
    found: int
    same: bool | None


def child(bundle: str, action: str, resource_: str, algorithm: str) -> None:
    """One question in this process; prints CPU seconds, peak RSS and the answer."""
    from cksmodel.account.bundle import load_bundle
    from cksmodel.graph import build_graph, who_can
    from cksmodel.graph.goal import goal_graph

    account = load_bundle(Path(bundle))
    g = goal_graph(account) if algorithm == "goal" else build_graph(account)
    answer = who_can(g, action, resource_)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = sorted([r.arn, r.direct, r.decided, len(r.path)] for r in answer.principals)
    print(json.dumps({"cpu": time.process_time(), "maxrss_mb": rss, "answer": found}))


def generate(shape: str, n: int, out: Path) -> None:
    if shape == "bench":
        keys = max(synthetic_account.FIXED_KEYS, round(n * 0.2))
        synthetic_account.generate(out, principals=n, keys=keys)
    else:
        admin_account.generate(out, principals=n)


def measure(bundle: Path, action: str, resource_: str, algorithm: str) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", str(bundle), action, resource_, algorithm]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def fit(points: list[tuple[int, float]]) -> float | None:
    """The exponent b of a least-squares power law t = c * N^b (None below two sizes)."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--whole-max", type=int, default=200)
    parser.add_argument("--shapes", default="bench,admin")
    parser.add_argument("--json", type=Path)
    add_quiet(parser)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    with showing(args) as progress:
        return measure_all(args, progress)


def measure_all(args: argparse.Namespace, progress: Progress) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[Row] = []
    accounts = [(shape, n) for shape in args.shapes.split(",") for n in sizes]
    with tempfile.TemporaryDirectory() as tmp:
        for shape, n in progress_of(accounts, "accounts", progress):
            bundle = Path(tmp) / f"{shape}-{n}"
            generate(shape, n, bundle)
            for action, resource_ in QUESTIONS[shape]:
                answers = {}
                for algorithm in ("goal", "whole"):
                    if algorithm == "whole" and n > args.whole_max:
                        continue
                    runs = [
                        measure(bundle, action, resource_, algorithm)
                        for _ in progress_of(range(args.runs), "processes", progress)
                    ]
                    answers[algorithm] = runs[0]["answer"]
                    rows.append(
                        Row(
                            shape=shape,
                            n=n,
                            question=action,
                            algorithm=algorithm,
                            cpu=statistics.median(float(r["cpu"]) for r in runs),
                            maxrss_mb=max(float(r["maxrss_mb"]) for r in runs),
                            found=len(runs[0]["answer"]),
                            same=answers["goal"] == answers["whole"] if len(answers) == 2 else None,
                        )
                    )
                    print(json.dumps(asdict(rows[-1])), file=sys.stderr)
    print(f"### who-can, whole process (median of {args.runs} processes)")
    print()
    print("| shape | N | question | algorithm | CPU s | peak RSS MB | found | same answer |")
    print("|---|---:|---|---|---:|---:|---:|---|")
    for r in rows:
        same = "" if r.same is None else "yes" if r.same else "NO"
        print(
            f"| {r.shape} | {r.n} | {r.question} | {r.algorithm} "
            f"| {r.cpu:.2f} | {r.maxrss_mb:.0f} | {r.found} | {same} |"
        )
    print()
    print("### Growth of CPU seconds (least squares on log-log)")
    print()
    print(
        "| shape | question | algorithm | sizes | exponent (all sizes) "
        "| exponent (two largest) | ratio to the whole graph |"
    )
    print("|---|---|---|---|---:|---:|---|")
    groups = sorted({(r.shape, r.question, r.algorithm) for r in rows})
    for shape, question, algorithm in groups:
        points = [
            (r.n, r.cpu)
            for r in rows
            if (r.shape, r.question, r.algorithm) == (shape, question, algorithm)
        ]
        exponent = fit(points)
        ratios = []
        for n, cpu in points:
            whole = [
                r.cpu
                for r in rows
                if (r.shape, r.n, r.question, r.algorithm) == (shape, n, question, "whole")
            ]
            if whole and algorithm == "goal":
                ratios.append(f"N={n}: {whole[0] / cpu:.1f}x faster")
        text = "" if exponent is None else f"{exponent:.2f}"
        last = fit(sorted(points)[-2:])
        tail = "" if last is None else f"{last:.2f}"
        used = ",".join(str(n) for n, _ in points)
        print(
            f"| {shape} | {question} | {algorithm} | {used} | {text} | {tail} "
            f"| {'; '.join(ratios)} |"
        )
    print()
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
