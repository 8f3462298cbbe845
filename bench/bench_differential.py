"""Differential run: the concrete evaluator against the symbolic encoding, on random scenarios.

    python bench/bench_differential.py --pairs 100000 [--seed S] [--jobs 2] [--timeout 10]
    python bench/bench_differential.py --mode unpinned --pairs 2000
    python bench/bench_differential.py --minimize bench/out/disagreements/FILE.json ...

Pair ``i`` of seed ``S`` is ``tests/strategies.seeded_scenario(S, i)`` (a scenario
is one request with its policies), so any pair can be regenerated on its own. For
each pair the table counts the evaluator's decision, the symbolic one
(``cksmodel.symbolic.query.symbolic_decision``; ``None`` is "undecided"), why a pair was
undecided, and whether the encoding used approximations (free atoms) at all.
Every disagreement is written as a scenario ``bench/out/disagreements/s{S}-{i}.json``
(loadable by ``cksmodel simulate``), with one line per disagreement in
``index.jsonl`` next to them. ``--minimize`` shrinks such files by deleting parts
of the scenario while the two engines still disagree the same way, and writes
``*.min.json`` beside each (pinned disagreements).

``--mode unpinned`` checks the free encoding instead (what ``can``/``implies``/
``prove`` use, where derived keys and grant constraints are not shortcut by the
pinned request's concrete values): for each decision word it searches for up to
two models, each replayed through the evaluator (a mismatch without
approximations is an ``InternalError``, counted as a disagreement), and the word
the scenario's own request gets must not be PROVED impossible. In this mode the
"symbolic" word is the request's own word when a model of it was found.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from strategies import seeded_scenario  # noqa: E402
from terminal import add_quiet, showing  # noqa: E402

from cksmodel.concrete.decision import DecisionWord  # noqa: E402
from cksmodel.concrete.evaluate import evaluate  # noqa: E402
from cksmodel.concrete.request import Request, derived_context  # noqa: E402
from cksmodel.concrete.scenario import load_scenario  # noqa: E402
from cksmodel.policy.ir import PolicySet  # noqa: E402
from cksmodel.symbolic.encode import Encoder  # noqa: E402
from cksmodel.symbolic.progress import Progress  # noqa: E402
from cksmodel.symbolic.query import (  # noqa: E402
    Question,
    Verdict,
    fix_request,
    free_decision_check,
    search,
    symbolic_decision,
)
from cksmodel.symbolic.universe import build_universe  # noqa: E402

OUT = ROOT / "bench" / "out" / "disagreements"


def approximations(request: Request, policies: PolicySet) -> list[str]:
    """The reasons the encoding of this pinned request is not exact (its free atoms)."""
    enc = Encoder(build_universe([policies], request), [policies], derived_context(request))
    enc.decision(policies)
    fix_request(enc, request)
    return sorted({f.reason for f in enc.free})


def undecided_reason(request: Request, policies: PolicySet, timeout: float) -> str:
    """Why ``symbolic_decision`` gave no word (re-runs its two searches)."""
    verdicts = []
    for pick in (0, 1):
        answer = search(
            Question(
                [policies],
                lambda enc, pick=pick: enc.decision(policies)[pick],
                lambda r: (True, {}),
                request,
                timeout,
                1,
            )
        )
        if answer.verdict is Verdict.UNKNOWN:
            return f"unknown: {answer.reason}"
        verdicts.append(answer.verdict)
    if all(v is Verdict.REFUTED for v in verdicts):
        return "both allowed and explicitly denied"
    return "undecided on re-run"


def check(request: Request, policies: PolicySet, timeout: float) -> tuple[str, str | None]:
    return evaluate(request, policies).decision.value, symbolic_decision(
        request, policies, timeout=timeout
    )


WORDS = tuple(w.value for w in DecisionWord)


def run_pair(job: tuple[int, int, float, str]) -> dict[str, Any]:
    seed, index, timeout, mode = job
    scenario = seeded_scenario(seed, index)
    start = time.perf_counter()
    out: dict[str, Any] = {"index": index}
    try:
        request, policies = load_scenario(scenario)
        if mode == "unpinned":
            concrete = evaluate(request, policies).decision.value
            free = free_decision_check(request, policies, timeout=timeout)
            symbolic, problems = free.own, list(free.problems)
            approximated = list(free.approximations)
            out.update(concrete=concrete, symbolic=symbolic, approximations=approximated)
            if symbolic is None and not problems:
                out["undecided"] = [f"approximation: {a}" for a in approximated] or [
                    f"no model of {concrete} found (timeout or solver unknown)"
                ]
        else:
            concrete, symbolic = check(request, policies, timeout)
            out.update(concrete=concrete, symbolic=symbolic)
            out["approximations"] = approximations(request, policies)
            problems = [] if symbolic in (None, concrete) else [f"{concrete} -> {symbolic}"]
            if symbolic is None:
                out["undecided"] = (
                    [f"approximation: {reason}" for reason in out["approximations"]]
                    if out["approximations"]
                    else [undecided_reason(request, policies, timeout)]
                )
        out["problems"] = problems
        if problems:
            out["scenario"] = scenario
    except Exception as exc:  # a crash is a finding too: keep the scenario
        out.update(error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
        out["scenario"] = scenario
    out["seconds"] = time.perf_counter() - start
    return out


def results(
    seed: int, pairs: int, jobs: int, timeout: float, mode: str
) -> Iterator[dict[str, Any]]:
    work = ((seed, i, timeout, mode) for i in range(pairs))
    if jobs <= 1:
        yield from map(run_pair, work)
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap_unordered(run_pair, work, chunksize=4)


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main_run(args: argparse.Namespace, progress: Progress) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    index_path = out_dir / "index.jsonl"
    concrete: collections.Counter[str] = collections.Counter()
    symbolic: collections.Counter[str] = collections.Counter()
    undecided: collections.Counter[str] = collections.Counter()
    confusion: collections.Counter[str] = collections.Counter()
    approx_reasons: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    n = decided = undecided_pairs = disagree = disagree_exact = approximated = written = 0
    slowest = 0.0
    start = time.perf_counter()
    with index_path.open("a", encoding="utf-8") as index:
        for row in results(args.seed, args.pairs, args.jobs, args.timeout, args.mode):
            n += 1
            progress("pairs", n, args.pairs, f"{disagree} disagreements")
            slowest = max(slowest, row["seconds"])
            if args.progress and n % args.progress == 0:
                print(f"... {n} pairs, {disagree} disagreements", file=sys.stderr, flush=True)
            name = f"s{args.seed}-{row['index']:06d}.json"
            if "error" in row:
                errors[row["error"].splitlines()[0][:100]] += 1
                if written < args.max_written:
                    (out_dir / name.replace(".json", ".error.json")).write_text(
                        json.dumps(row["scenario"], indent=2) + "\n", encoding="utf-8"
                    )
                    written += 1
                continue
            concrete[row["concrete"]] += 1
            symbolic[str(row["symbolic"])] += 1
            if row["approximations"]:
                approximated += 1
                approx_reasons.update(row["approximations"])
            if row["symbolic"] is None and not row["problems"]:
                undecided_pairs += 1
                undecided.update(row["undecided"])
                continue
            decided += 1
            if not row["problems"]:
                continue
            disagree += 1
            disagree_exact += not row["approximations"]
            confusion.update(p.split(":")[0] for p in row["problems"])
            if written < args.max_written:
                (out_dir / name).write_text(
                    json.dumps(row["scenario"], indent=2) + "\n", encoding="utf-8"
                )
                written += 1
            index.write(
                json.dumps(
                    {
                        "file": name,
                        "seed": args.seed,
                        "index": row["index"],
                        "mode": args.mode,
                        "evaluator": row["concrete"],
                        "symbolic": row["symbolic"],
                        "problems": row["problems"],
                        "approximations": row["approximations"],
                    }
                )
                + "\n"
            )
    elapsed = time.perf_counter() - start

    def pct(k: int) -> str:
        return f"{k:>8,}  ({100 * k / n:5.1f} %)" if n else f"{k:>8,}"

    rows = [
        ("pairs", f"{n:>8,}"),
        ("decided", pct(decided)),
        ("undecided (by reason; a pair may have several)", pct(undecided_pairs)),
        *((f"  {reason}", pct(k)) for reason, k in undecided.most_common()),
        ("errors", pct(sum(errors.values()))),
        *((f"  {reason}", pct(k)) for reason, k in errors.most_common()),
        ("disagreements", pct(disagree)),
        ("  with an exact encoding", pct(disagree_exact)),
        ("  with approximations", pct(disagree - disagree_exact)),
        *((f"  {k}", pct(v)) for k, v in confusion.most_common()),
        ("encoding approximated", pct(approximated)),
        *((f"  {reason}", pct(k)) for reason, k in approx_reasons.most_common()),
        *((f"evaluator {w}", pct(concrete[w])) for w in WORDS),
        *((f"symbolic {w}", pct(symbolic[w])) for w in (*WORDS, "None")),
        ("seconds", f"{elapsed:>8.1f}  (jobs {args.jobs}, slowest pair {slowest:.2f} s)"),
        ("pairs/second", f"{n / elapsed:>8.2f}"),
    ]
    print(f"mode {args.mode}, seed {args.seed}; disagreements in {out_dir}")
    print(table(rows))
    return 0


# --------------------------------------------------------------------------- minimizing


def _variants(obj: Any) -> Iterator[Any]:
    """Strictly smaller variants of a JSON value: one deletion or one simplification."""
    if isinstance(obj, dict):
        for key in list(obj):
            yield {k: v for k, v in obj.items() if k != key}
        for key, value in obj.items():
            for smaller in _variants(value):
                yield {**obj, key: smaller}
    elif isinstance(obj, list):
        if len(obj) == 1:
            yield obj[0]
        for i in range(len(obj)):
            yield obj[:i] + obj[i + 1 :]
        for i, value in enumerate(obj):
            for smaller in _variants(value):
                yield [*obj[:i], smaller, *obj[i + 1 :]]


def _keeps_request(candidate: Any) -> bool:
    request = candidate.get("request") if isinstance(candidate, dict) else None
    return isinstance(request, dict) and all(
        isinstance(request.get(k), str) for k in ("principal", "action", "resource")
    )


def _same_disagreement(
    scenario: dict[str, Any], want: tuple[str, str | None], timeout: float
) -> bool:
    try:
        request, policies = load_scenario(scenario)
        if evaluate(request, policies).decision.value != want[0]:
            return False
        return symbolic_decision(request, policies, timeout=timeout) == want[1]
    except Exception:
        return False


def minimize(scenario: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Greedy delta debugging: keep any deletion that preserves the same disagreement.

    The request's principal, action and resource are kept; everything else may go.
    """
    request, policies = load_scenario(scenario)
    want = check(request, policies, timeout)
    if want[1] is None or want[0] == want[1]:
        raise ValueError(f"not a disagreement: evaluator {want[0]}, symbolic {want[1]}")
    current = scenario
    improved = True
    while improved:
        improved = False
        position = 0
        while True:
            candidates = list(_variants(current))
            if position >= len(candidates):
                break
            candidate = candidates[position]
            if _keeps_request(candidate) and _same_disagreement(candidate, want, timeout):
                current = candidate
                improved = True
            else:
                position += 1
    return current


def main_minimize(args: argparse.Namespace) -> int:
    for name in args.minimize:
        path = Path(name)
        scenario = json.loads(path.read_text(encoding="utf-8"))
        small = minimize(scenario, args.timeout)
        request, policies = load_scenario(small)
        concrete, symbolic = check(request, policies, args.timeout)
        target = path.with_suffix(".min.json")
        target.write_text(json.dumps(small, indent=2) + "\n", encoding="utf-8")
        print(f"{target}: evaluator {concrete}, symbolic {symbolic}")
        print(json.dumps(small))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=10.0, help="per symbolic search, s")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--max-written", type=int, default=5000, help="scenario files at most")
    parser.add_argument("--progress", type=int, default=0, help="report every N pairs")
    parser.add_argument(
        "--mode",
        choices=("pinned", "unpinned"),
        default="pinned",
        help="pinned: symbolic_decision on the request; unpinned: replay models of each word",
    )
    parser.add_argument("--minimize", nargs="+", metavar="SCENARIO.json")
    add_quiet(parser)
    args = parser.parse_args()
    if args.minimize:
        return main_minimize(args)
    with showing(args) as progress:
        return main_run(args, progress)


if __name__ == "__main__":
    sys.exit(main())
