"""The public IAM Access Analyzer custom-check samples, decided offline.

    python bench/bench_samples.py [--timeout 30] [--only trust] [--verbose]

Every candidate policy of ``tests/data/access-analyzer-samples/samples.json`` (207, from
github.com/aws-samples/iam-access-analyzer-custom-policy-check-samples; see the README
there) is checked against its reference policy with ``check-no-new-access``, as
published (trust policies without a ``Resource``), and the result is compared with the
sample's label (a reference's ``<ACCOUNT ID>`` placeholder becomes the candidates'
account, as the samples' README asks). Prints one line per mismatch or UNKNOWN, then
counts and times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "access-analyzer-samples" / "samples.json"
SAMPLE_ACCOUNT = "111111111111"
"""The account the candidates use; references say ``<ACCOUNT ID>`` where it goes."""

sys.path.insert(0, str(Path(__file__).resolve().parent))

from terminal import add_quiet, progress_of, showing  # noqa: E402

from cksmodel.policy.ir import PolicyType  # noqa: E402
from cksmodel.symbolic.checks import check_no_new_access, read_policy_argument  # noqa: E402
from cksmodel.symbolic.progress import Progress  # noqa: E402


def decide(sample: dict[str, Any], reference: dict[str, Any], timeout: float) -> str:
    """The check's result word for one candidate against its reference policy."""
    ptype = (
        PolicyType.IDENTITY
        if reference["policy_type"] == "IDENTITY_POLICY"
        else PolicyType.RESOURCE
    )
    text = reference["reference"].replace("<ACCOUNT ID>", SAMPLE_ACCOUNT)
    existing = read_policy_argument(text, policy_type=ptype, name="reference")
    new = read_policy_argument(sample["policy"], policy_type=ptype, name="candidate")
    result = check_no_new_access(
        existing,
        new,
        identity=ptype is PolicyType.IDENTITY,
        timeout=timeout,
        max_examples=1,
    )
    if result.result == "FAIL":
        assert result.answer.counterexamples, "a FAIL without a counterexample"
    return result.result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--only", choices=("trust",), default=None)
    parser.add_argument("--verbose", action="store_true")
    add_quiet(parser)
    args = parser.parse_args()
    data = json.loads(SAMPLES.read_text(encoding="utf-8"))
    samples = [
        sample
        for sample in data["candidates"]
        if args.only != "trust" or "role-trust-policies" in sample["file"]
    ]
    with showing(args) as progress:
        return check_all(samples, data["references"], args, progress)


def check_all(
    samples: list[dict[str, Any]],
    references: dict[str, Any],
    args: argparse.Namespace,
    progress: Progress,
) -> int:
    times: list[float] = []
    counts: dict[str, int] = {}
    for sample in progress_of(samples, "samples", progress):
        reference = references[sample["file"]]
        start = time.monotonic()
        got = decide(sample, reference, args.timeout)
        times.append(time.monotonic() - start)
        outcome = (
            "as labelled" if got == sample["expected"] else f"{got} (labelled {sample['expected']})"
        )
        counts[outcome] = counts.get(outcome, 0) + 1
        if got != sample["expected"] or args.verbose:
            print(f"{sample['file']} candidate {sample['candidate']}: {outcome}")
    print(f"candidates {len(times)}")
    for outcome, n in sorted(counts.items()):
        print(f"  {outcome:<40} {n}")
    times.sort()
    print(
        f"seconds: total {sum(times):.1f}, p50 {statistics.median(times):.2f}, "
        f"p95 {times[int(0.95 * (len(times) - 1))]:.2f}, max {times[-1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
