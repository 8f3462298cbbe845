"""Cost and verdicts of the symbolic check-no-new-access on realistic policies.

    python bench/bench_symbolic.py [--timeout 30] [--limit N] [--jobs 1]
                                   [--sections abc] [--sizes 10,100,1000] [--runs 3]

a. corpus vs mutants: every policy of ``policy_corpus.corpus()`` against each of its
   mutants (identity check for identity policies, resource check otherwise): count,
   p50/p95/p99/max seconds, PASS/FAIL/UNKNOWN/ERROR, UNKNOWN reasons, per mutation kind
   and per policy type, observed against expected verdicts, the slowest checks, and
   the traceback of every distinct crash (a crash is a bug in the package; the run goes
   on and counts it).
b. scaling: identity policies of 10/100/1,000 statements against a widened mutant, and
   one statement with k = 10/100/1,000 wildcard resource patterns against the same with
   one pattern widened, both directions; median of ``--runs`` runs.
c. CLI: median wall time of 5 ``cksmodel check-no-new-access`` subprocesses (start-up
   included) on a small pair of policy files, against ``cksmodel --version``.

Seconds are wall time around ``check_no_new_access`` (policies already built); the
corpus is generated in code from a fixed seed, nothing is read from disk.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy_corpus import (
    EXPECTED,
    MUTATION_KINDS,
    Doc,
    corpus,
    mutants,
    widen_path,
)
from terminal import add_quiet, progress_of, showing

from cksmodel.policy.ir import PolicyType
from cksmodel.policy.parse import load_policy
from cksmodel.symbolic.checks import check_no_new_access
from cksmodel.symbolic.progress import Progress

TARGET_P95, TARGET_P99, TARGET_CLI = 1.0, 5.0, 0.5
SEED = 20240611


# ------------------------------------------------------------------------------ one check


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    policy_type: str
    kind: str
    note: str
    existing: Doc
    new: Doc
    timeout: float


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    policy_type: str
    kind: str
    note: str
    result: str  # PASS FAIL UNKNOWN ERROR
    seconds: float
    cpu_seconds: float
    solver_seconds: float
    reason: str
    approximations: int
    error: str  # traceback text when result is ERROR
    variables: bool  # the original policy uses policy variables


def _has_variables(doc: Doc) -> bool:
    return "${" in json.dumps(doc)


def run_task(t: Task) -> Record:
    ptype = PolicyType(t.policy_type)
    start = time.perf_counter()
    try:
        existing = load_policy(t.existing, policy_type=ptype, name="existing")
        new = load_policy(t.new, policy_type=ptype, name="new")
        start, cpu = time.perf_counter(), time.process_time()
        res = check_no_new_access(
            existing,
            new,
            identity=ptype is PolicyType.IDENTITY,
            timeout=t.timeout,
            max_examples=1,
        )
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    except Exception as exc:
        return Record(
            t.name,
            t.policy_type,
            t.kind,
            t.note,
            "ERROR",
            time.perf_counter() - start,
            0.0,
            0.0,
            f"{type(exc).__name__}: {exc}",
            0,
            traceback.format_exc(),
            _has_variables(t.existing),
        )
    return Record(
        t.name,
        t.policy_type,
        t.kind,
        t.note,
        res.result,
        seconds,
        cpu,
        res.answer.elapsed,
        res.answer.reason,
        len(res.answer.approximations),
        "",
        _has_variables(t.existing),
    )


def run_all(tasks: Sequence[Task], jobs: int, progress: Progress) -> list[Record]:
    out: list[Record] = []
    if jobs <= 1:
        for i, t in enumerate(tasks, 1):
            progress("checks", i - 1, len(tasks), t.name)
            out.append(run_task(t))
            if i % 250 == 0:
                print(f"  ... {i}/{len(tasks)} checks", file=sys.stderr, flush=True)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for record in pool.map(run_task, tasks, chunksize=4):
                progress("checks", len(out), len(tasks))
                out.append(record)
    progress("checks", len(out), len(tasks))
    return out


# --------------------------------------------------------------------------- statistics


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def fmt(x: float) -> str:
    return f"{x:.3f}"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], left: Sequence[int] = (0,)) -> None:
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def summary_row(label: str, recs: Sequence[Record], base: float | None = None) -> list[Any]:
    secs = [r.seconds for r in recs]
    count = Counter(r.result for r in recs)
    row: list[Any] = [
        label,
        len(recs),
        fmt(pct(secs, 0.5)),
        fmt(pct(secs, 0.95)),
        fmt(pct(secs, 0.99)),
        fmt(max(secs)),
        count["PASS"],
        count["FAIL"],
        count["UNKNOWN"],
        count["ERROR"],
    ]
    if base is not None:
        row.append(f"{pct(secs, 0.5) / base:.2f}")
    return row


SUMMARY_HEADER = ["", "n", "p50 s", "p95 s", "p99 s", "max s", "PASS", "FAIL", "UNK", "ERR"]


# ------------------------------------------------------------------------ a. the corpus


def section_a(args: argparse.Namespace, progress: Progress) -> None:
    items = corpus(seed=SEED)[: args.limit]
    rng = random.Random(SEED + 1)
    tasks = [
        Task(
            item.name,
            item.policy_type.value,
            m.kind,
            m.note,
            item.document,
            m.document,
            args.timeout,
        )
        for item in items
        for m in mutants(item.document, rng)
    ]
    print(
        f"== a. corpus vs mutants: {len(items)} policies, {len(tasks)} checks, "
        f"timeout {args.timeout:g} s, jobs {args.jobs}"
    )
    start = time.perf_counter()
    recs = run_all(tasks, args.jobs, progress)
    total = time.perf_counter() - start
    print(
        f"total {total:.1f} s wall, {sum(r.seconds for r in recs):.1f} s in checks "
        f"({sum(r.cpu_seconds for r in recs):.1f} s cpu); load average now {_load()}"
    )
    print()
    overall = pct([r.seconds for r in recs], 0.5)

    def with_cpu(row: list[Any], group: Sequence[Record]) -> list[Any]:
        cpu = [r.cpu_seconds for r in group]
        return [*row, *(fmt(pct(cpu, q)) for q in (0.5, 0.95, 0.99))]

    table(
        [*SUMMARY_HEADER, "x p50", "cpu p50", "cpu p95", "cpu p99"],
        [with_cpu(summary_row("all", recs, overall), recs)]
        + [
            with_cpu(summary_row(f"type {t}", group, overall), group)
            for t in ("identity", "resource", "trust", "key")
            if (group := [r for r in recs if r.policy_type == t])
        ]
        + [
            with_cpu(summary_row(label, group, overall), group)
            for label, has in (("with ${...} vars", True), ("without vars", False))
            if (group := [r for r in recs if r.variables is has])
        ],
    )
    print()
    by_kind: dict[str, list[Record]] = defaultdict(list)
    for r in recs:
        by_kind[r.kind].append(r)
    rows = []
    for kind in MUTATION_KINDS:
        group = by_kind.get(kind)
        if not group:
            continue
        expected = EXPECTED[kind]
        fails = sum(r.result == "FAIL" for r in group)
        passes = sum(r.result == "PASS" for r in group)
        agree = fails if expected == "FAIL" else passes
        rows.append(
            [
                *summary_row(kind, group, overall),
                expected,
                f"{agree}/{len(group)}",
            ]
        )
    print("by mutation kind (expected: FAIL = usually FAIL; PASS! = PASS is a theorem)")
    table([*SUMMARY_HEADER, "x p50", "expect", "as expected"], rows)

    usual_fail = [r for r in recs if EXPECTED[r.kind] == "FAIL"]
    theorem = [r for r in recs if EXPECTED[r.kind] == "PASS!"]
    print()
    print(
        f"sanity: FAIL observed {sum(r.result == 'FAIL' for r in usual_fail)} "
        f"of {len(usual_fail)} expected (flip Deny->Allow, widen, drop an Allow condition, "
        "add principal); "
        f"PASS observed {sum(r.result == 'PASS' for r in theorem)} of {len(theorem)} "
        "where PASS is a theorem (flip Allow->Deny, drop a Deny condition, reorder)"
    )
    violations = [r for r in theorem if r.result == "FAIL"]
    if violations:
        print(f"FAIL where PASS is a theorem ({len(violations)}): a bug")
        for r in violations[:20]:
            print(f"  {r.name}  {r.kind}  {r.note}")
    surprises = [r for r in usual_fail if r.result == "PASS"]
    if surprises:
        print(f"PASS where FAIL was expected ({len(surprises)}; first 15, judge each):")
        for r in surprises[:15]:
            print(f"  {r.name}  {r.kind}  {r.note}")

    unknown = Counter(r.reason for r in recs if r.result == "UNKNOWN")
    print()
    print(f"UNKNOWN reasons ({sum(unknown.values())}):" + ("" if unknown else " none"))
    for reason, n in unknown.most_common():
        print(f"  {n:5d}  {reason}")
    approx = sum(r.approximations > 0 for r in recs)
    print(f"checks whose encoding approximated something: {approx}")

    print()
    print("slowest 5")
    table(
        ["policy", "kind", "seconds", "solver s", "result", "reason", "mutation"],
        [
            [r.name, r.kind, fmt(r.seconds), fmt(r.solver_seconds), r.result, r.reason, r.note]
            for r in sorted(recs, key=lambda r: -r.seconds)[:5]
        ],
        left=(0, 1, 5, 6),
    )

    errors = [r for r in recs if r.result == "ERROR"]
    print()
    print(f"errors: {len(errors)}" + ("" if errors else " (no crash)"))
    if errors:
        per_kind = Counter(r.kind for r in errors)
        print("  per kind: " + ", ".join(f"{k} {v}" for k, v in per_kind.most_common()))
        distinct: dict[str, list[Record]] = defaultdict(list)
        for r in errors:
            distinct[r.error.strip().splitlines()[-1]].append(r)
        for last, group in distinct.items():
            r = group[0]
            print(f"\n  {len(group)} x {last}\n  first: {r.name} {r.kind} ({r.note})")
            print("  " + r.error.rstrip().replace("\n", "\n  "))

    secs = [r.seconds for r in recs]
    print()
    print(
        f"targets: p95 {fmt(pct(secs, 0.95))} s (<= {TARGET_P95:g}: "
        f"{'met' if pct(secs, 0.95) <= TARGET_P95 else 'MISSED'}), "
        f"p99 {fmt(pct(secs, 0.99))} s (<= {TARGET_P99:g}: "
        f"{'met' if pct(secs, 0.99) <= TARGET_P99 else 'MISSED'}), "
        f"UNKNOWN {len([r for r in recs if r.result == 'UNKNOWN'])} at {args.timeout:g} s "
        f"(0: {'met' if not unknown else 'MISSED'})"
    )
    if args.dump:
        with open(args.dump, "w") as f:
            for r in recs:
                f.write(
                    json.dumps(
                        {
                            "name": r.name,
                            "type": r.policy_type,
                            "kind": r.kind,
                            "note": r.note,
                            "result": r.result,
                            "seconds": round(r.seconds, 4),
                            "cpu": round(r.cpu_seconds, 4),
                            "reason": r.reason,
                        }
                    )
                    + "\n"
                )


# -------------------------------------------------------------------------- b. scaling

REGION, ACCOUNT = "us-east-1", "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _statement(i: int, rng: random.Random, variables: bool = True) -> dict[str, Any]:
    """Statement ``i`` of a large identity policy: a realistic mix, distinct resources."""
    shape = i % 7
    if shape == 0:
        s = {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"arn:aws:s3:::bucket-{i}/team-{i % 13}/*",
        }
    elif shape == 1:
        s = {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
            "Resource": [
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t{i}-orders",
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t{i}-orders/index/*",
            ],
        }
    elif shape == 2:
        h = f"{i:08x}"
        s = {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{h}-12ab-34cd-56ef-1234567890ab",
        }
    elif shape == 3:
        s = {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
            "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue-{i}-*",
        }
    elif shape == 4:
        s = {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn-{i}-*",
        }
    elif shape == 5:
        s = {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/app{i}/*",
        }
    else:
        s = {
            "Effect": "Deny",
            "Action": ["s3:DeleteObject", "dynamodb:DeleteItem"],
            "Resource": f"arn:aws:s3:::bucket-{i - 6}/*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        }
    if s["Effect"] == "Allow" and i % 3 == 0:
        s["Condition"] = rng.choice(
            [
                {"StringEquals": {"aws:RequestedRegion": REGION}},
                {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
                {
                    "StringEquals": {
                        "aws:ResourceTag/team": "${aws:PrincipalTag/team}" if variables else "blue"
                    }
                },
                {"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
            ]
        )
    s["Sid"] = f"S{i}"
    return s


def big_identity_policy(n: int, variables: bool = True) -> tuple[Doc, Doc, str]:
    rng = random.Random(n)
    statements = [_statement(i, rng, variables) for i in range(n)]
    doc = {"Version": "2012-10-17", "Statement": statements}
    widened = json.loads(json.dumps(doc))
    i = next(
        j
        for j in range(n // 2, n)
        if statements[j]["Effect"] == "Allow" and isinstance(statements[j]["Resource"], str)
    )
    old = statements[i]["Resource"]
    new = widen_path(old)
    assert new is not None and new != old
    widened["Statement"][i]["Resource"] = new
    return doc, widened, f"S{i}: {old} -> {new}"


def _pattern(i: int) -> str:
    shape = i % 4
    if shape == 0:
        return f"arn:aws:s3:::bucket-{i}/*"
    if shape == 1:
        return f"arn:aws:s3:::logs-{i}/team?/*.csv"
    if shape == 2:
        return f"arn:aws:dynamodb:*:*:table/t{i}*"
    return f"arn:aws:s3:::data-{i}/*/reports/20??-*.parquet"


def wildcard_policy(k: int) -> tuple[Doc, Doc, str]:
    patterns = [_pattern(i) for i in range(k)]

    def doc(resources: list[str]) -> Doc:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "dynamodb:GetItem", "dynamodb:Query"],
                    "Resource": resources,
                }
            ],
        }

    i = next(j for j in range(k // 2, k) if j % 4 == 1)
    widened = list(patterns)
    widened[i] = f"arn:aws:s3:::logs-{i}/*.csv"
    return doc(patterns), doc(widened), f"{patterns[i]} -> {widened[i]}"


def timed_check(existing: Doc, new: Doc, timeout: float, runs: int) -> tuple[float, str, str]:
    e = load_policy(existing, policy_type=PolicyType.IDENTITY, name="existing")
    n = load_policy(new, policy_type=PolicyType.IDENTITY, name="new")
    times, verdicts, reasons = [], set(), set()
    for _ in range(runs):
        start = time.perf_counter()
        try:
            r = check_no_new_access(e, n, identity=True, timeout=timeout, max_examples=1)
            verdicts.add(r.result)
            reasons.add(r.answer.reason)
        except Exception as exc:
            verdicts.add("ERROR")
            reasons.add(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        times.append(time.perf_counter() - start)
    return statistics.median(times), "/".join(sorted(verdicts)), "; ".join(x for x in reasons if x)


def section_b(args: argparse.Namespace, progress: Progress) -> None:
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"== b. scaling: median of {args.runs} runs, timeout {args.timeout:g} s")
    print(
        "slope = log(t_n / t_prev) / log(n / n_prev): 1 linear, 2 quadratic; "
        "'>=' when the larger point hit the timeout, n/a when the smaller one did"
    )
    series: list[tuple[str, Callable[[int], tuple[Doc, Doc, str]]]] = [
        (
            "identity policy, n statements (mix; 1 in 12 with ${aws:PrincipalTag/team}) "
            "vs one resource widened",
            big_identity_policy,
        ),
        (
            "the same mix without policy variables",
            lambda n: big_identity_policy(n, variables=False),
        ),
        ("one statement with k wildcard resource patterns vs one widened", wildcard_policy),
    ]
    for title, make in series:
        print()
        print(title)
        rows = []
        base: dict[str, float] = {}
        prev: dict[str, tuple[int, float, str]] = {}
        for n in progress_of(sizes, "sizes", progress):
            orig, wide, note = make(n)
            for direction, (a, b), expect in (
                ("existing=orig new=widened", (orig, wide), "FAIL"),
                ("existing=widened new=orig", (wide, orig), "PASS"),
            ):
                secs, verdict, reason = timed_check(a, b, args.timeout, args.runs)
                base.setdefault(direction, secs)
                slope = ""
                if direction in prev:
                    n0, t0, v0 = prev[direction]
                    slope = f"{math.log(secs / t0) / math.log(n / n0):.2f}"
                    if v0 == "UNKNOWN":
                        slope = "n/a"  # the smaller point was already capped
                    elif verdict == "UNKNOWN":
                        slope = ">=" + slope
                prev[direction] = (n, secs, verdict)
                rows.append(
                    [
                        n,
                        direction,
                        fmt(secs),
                        f"{secs / base[direction]:.1f}",
                        slope,
                        verdict,
                        expect,
                        reason or note,
                    ]
                )
                sys.stdout.flush()
        table(
            ["n", "direction", "median s", f"x n={sizes[0]}", "slope", "verdict", "expect", "note"],
            rows,
            left=(0, 1, 5, 6, 7),
        )


# ------------------------------------------------------------------------------ c. CLI


def section_c(args: argparse.Namespace, progress: Progress) -> None:
    exe = Path(sys.executable).parent / "cksmodel"
    base_cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "cksmodel.cli"]
    existing = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UseKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            }
        ],
    }
    narrower = json.loads(json.dumps(existing))
    narrower["Statement"][0]["Action"] = "kms:Decrypt"
    wider = json.loads(json.dumps(existing))
    wider["Statement"][0]["Action"] = "kms:*"
    runs = args.cli_runs
    print(f"== c. CLI: median wall time of {runs} subprocess runs ({' '.join(base_cmd)})")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, doc in (("existing", existing), ("narrower", narrower), ("wider", wider)):
            paths[name] = Path(tmp) / f"{name}.json"
            paths[name].write_text(json.dumps(doc, indent=2))

        def nna(new: str) -> list[str]:
            return [
                *base_cmd,
                "check-no-new-access",
                "--existing-policy-document",
                str(paths["existing"]),
                "--new-policy-document",
                str(paths[new]),
                "--policy-type",
                "IDENTITY_POLICY",
                "--format",
                "json",
            ]

        commands: list[tuple[str, list[str], int]] = [
            ("cksmodel --version (start-up baseline)", [*base_cmd, "--version"], 0),
            ("check-no-new-access, PASS pair", nna("narrower"), 0),
            ("check-no-new-access, FAIL pair", nna("wider"), 1),
        ]
        rows = []
        base = None
        for label, cmd, expect in progress_of(commands, "commands", progress):
            times, cpus, codes = [], [], set()
            for _ in range(runs):
                start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
                p = subprocess.run(cmd, capture_output=True, text=True, check=False)
                times.append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                codes.add(p.returncode)
                if p.returncode != expect:
                    print(f"  unexpected exit {p.returncode} from {label}: {p.stderr.strip()}")
            secs = statistics.median(times)
            base = base or secs
            target = "" if base is secs else ("met" if secs <= TARGET_CLI else "MISSED")
            rows.append(
                [
                    label,
                    fmt(secs),
                    f"{secs / base:.2f}",
                    fmt(statistics.median(cpus)),
                    ",".join(map(str, sorted(codes))),
                    target,
                ]
            )
        table(["command", "median s", "x --version", "cpu s", "exit", f"<= {TARGET_CLI:g} s"], rows)
    e = load_policy(existing, policy_type=PolicyType.IDENTITY, name="existing")
    for label, doc in (("PASS pair", narrower), ("FAIL pair", wider)):
        n = load_policy(doc, policy_type=PolicyType.IDENTITY, name="new")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            check_no_new_access(e, n, identity=True, timeout=args.timeout, max_examples=1)
            times.append(time.perf_counter() - start)
        print(f"in-process check only, {label}: {fmt(statistics.median(times))} s")


# --------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per check")
    parser.add_argument("--limit", type=int, default=None, help="first N corpus policies")
    parser.add_argument("--jobs", type=int, default=1, help="processes for section a")
    parser.add_argument("--sections", default="abc", help="any of a, b, c")
    parser.add_argument("--sizes", default="10,100,1000", help="section b sizes")
    parser.add_argument("--runs", type=int, default=3, help="section b runs per point")
    parser.add_argument("--cli-runs", type=int, default=5, help="section c runs per command")
    parser.add_argument("--dump", metavar="FILE", help="section a records as JSON lines")
    add_quiet(parser)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {_load()}; "
        f"command: python bench/bench_symbolic.py {' '.join(sys.argv[1:])}".rstrip()
    )
    sections: dict[str, Callable[[argparse.Namespace, Progress], None]] = {
        "a": section_a,
        "b": section_b,
        "c": section_c,
    }
    with showing(args) as progress:
        for key in args.sections:
            print()
            sections[key](args, progress)
            sys.stdout.flush()
    print()
    print(f"load average at the end: {_load()}")


if __name__ == "__main__":
    main()
