"""Decisions per second of the concrete evaluator, in three input settings.

    python bench/bench_simulate.py [--runs 5] [--count 200]

1. ir       policies already in IR; only ``evaluate`` runs.
2. objects  scenarios as Python objects (already JSON-decoded), turned into IR
            on every evaluation (plain-object policies hit the IR cache keyed by
            their JSON text, as repeated managed policies do in real accounts).
3. text     scenarios as JSON text, parsed by the grammar on every evaluation.

Then the grammar's cost per policy against ``json.loads``, what the parsed-policy
cache saves, and CLI start-up. Every figure is the median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import scenarios

from cksmodel.concrete.evaluate import evaluate
from cksmodel.concrete.scenario import load_scenario, simulate
from cksmodel.policy import parse
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.jsontext import parse_json

ROOT = Path(__file__).resolve().parent.parent


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def clear_caches() -> None:
    parse.policy_from_text.cache_clear()
    parse._policy_from_canonical.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    corpus = scenarios(args.count)
    texts = [json.dumps(s, indent=2) for s in corpus]
    prepared = [load_scenario(s) for s in corpus]
    n = len(corpus)

    def run_ir() -> None:
        for request, policies in prepared:
            evaluate(request, policies)

    def run_objects() -> None:
        for s in corpus:
            simulate(s)

    def run_objects_cold() -> None:
        clear_caches()
        for s in corpus:
            simulate(s)

    def run_text() -> None:
        for t in texts:
            simulate(t)

    run_objects()
    rows = [
        ("ir (policies already in IR)", median_time(run_ir, args.runs)),
        ("objects (IR built per evaluation, cache warm)", median_time(run_objects, args.runs)),
        (
            "objects (IR built per evaluation, cache cleared)",
            median_time(run_objects_cold, args.runs),
        ),
        ("text (grammar parse per evaluation)", median_time(run_text, args.runs)),
    ]
    base = rows[0][1]
    print(f"corpus: {n} scenarios, median of {args.runs} runs, one process, one core")
    print(f"{'setting':<52} {'decisions/s':>12} {'us/decision':>12} {'x ir time':>10}")
    for name, seconds in rows:
        print(
            f"{name:<52} {n / seconds:>12,.0f} {seconds / n * 1e6:>12.1f} {seconds / base:>10.2f}"
        )

    policies = [p for s in corpus for p in s["identity_policies"]]
    policy_texts = [json.dumps(p, indent=2) for p in policies]
    m = len(policy_texts)
    grammar = median_time(lambda: [parse_json(t, "p") for t in policy_texts], args.runs)
    loads = median_time(lambda: [json.loads(t) for t in policy_texts], args.runs)

    uncached = parse.policy_from_text.__wrapped__

    def from_text_cold() -> None:
        for t in policy_texts:
            uncached(t, policy_type=PolicyType.IDENTITY, name="p")

    def from_text_warm() -> None:
        for t in policy_texts:
            parse.policy_from_text(t, policy_type=PolicyType.IDENTITY, name="p")

    cold = median_time(from_text_cold, args.runs)
    from_text_warm()
    warm = median_time(from_text_warm, args.runs)
    size = statistics.mean(len(t) for t in policy_texts)
    print()
    print(f"policy text: {m} identity policies, mean {size:.0f} bytes")
    print(f"{'step':<52} {'us/policy':>12} {'x json.loads':>12}")
    for name, seconds in (
        ("json.loads", loads),
        ("grammar parse (positions kept)", grammar),
        ("grammar parse + IR build (no cache)", cold),
        ("text -> IR through the parsed-policy cache (warm)", warm),
    ):
        print(f"{name:<52} {seconds / m * 1e6:>12.1f} {seconds / loads:>12.1f}")
    print(f"cache saves {100 * (1 - warm / cold):.1f}% of text -> IR time for repeated documents")

    scenario_file = ROOT / "examples" / "scenarios" / "key-user-decrypt.json"
    commands = {
        "cksmodel --version": [sys.executable, "-m", "cksmodel.cli", "--version"],
        "cksmodel simulate (example)": [
            sys.executable,
            "-m",
            "cksmodel.cli",
            "simulate",
            str(scenario_file),
        ],
    }
    print()
    print(f"{'CLI start-up':<52} {'seconds':>12}")
    for name, cmd in commands.items():
        seconds = median_time(
            lambda cmd=cmd: subprocess.run(cmd, check=True, capture_output=True), args.runs
        )
        print(f"{name:<52} {seconds:>12.3f}")


if __name__ == "__main__":
    main()
