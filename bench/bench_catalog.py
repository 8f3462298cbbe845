"""Benchmark the IAM action catalog: cold build, warm load and lookups.

Run from the repository root: ``python bench/bench_catalog.py``. Every row is
the median of 5 runs; per-call rows divide a timed batch by its size. Caches
go to a temporary directory, so the user's cache is never touched.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cksmodel.policy.catalog import Catalog

RUNS = 5
REPEAT = 1000


def median_seconds(run: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """Median wall time of ``run`` over RUNS runs, each after an untimed ``setup``."""
    times = []
    for _ in range(RUNS):
        if setup is not None:
            setup()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fresh_dirs = (root / f"cold-{i}" for i in itertools.count())
        cold = median_seconds(lambda: Catalog.load(cache_dir=next(fresh_dirs)))
        warm_dir = root / "warm"
        Catalog.load(cache_dir=warm_dir)
        warm = median_seconds(lambda: Catalog.load(cache_dir=warm_dir))

        current = [Catalog.load(cache_dir=warm_dir)]
        everything = current[0].expand("*")
        sample = everything[::20]  # ~1000 actions spread over every service

        def new_catalog() -> None:
            current[0] = Catalog.load(cache_dir=warm_dir)

        rows: list[tuple[str, float, str]] = [
            ("cold build from dataset, incl. cache write", cold * 1e3, "ms"),
            ("warm load from cache", warm * 1e3, "ms"),
            ("warm / cold", warm / cold, "ratio"),
        ]

        def per_call(
            label: str, batch: Callable[[Catalog], object], size: int, fresh: bool
        ) -> None:
            """Time ``batch`` (``size`` calls); ``fresh`` gives every run a new catalog."""
            seconds = median_seconds(lambda: batch(current[0]), new_catalog if fresh else None)
            rows.append((label, seconds / size * 1e6, "µs/call"))

        def repeated(call: Callable[[Catalog], object]) -> Callable[[Catalog], object]:
            return lambda cat: [call(cat) for _ in range(REPEAT)]

        def lookups(cat: Catalog) -> object:
            return [cat.action(name) for name in sample]

        per_call('expand("kms:*")', repeated(lambda c: c.expand("kms:*")), REPEAT, False)
        per_call(
            'expand("kms:Generate*")', repeated(lambda c: c.expand("kms:Generate*")), REPEAT, False
        )
        per_call('expand("*"), first call on a new catalog', lambda c: c.expand("*"), 1, True)
        per_call('expand("*"), repeated', repeated(lambda c: c.expand("*")), REPEAT, False)
        per_call(
            'expand("*Describe*"), no colon: full scan', lambda c: c.expand("*Describe*"), 1, False
        )
        per_call("action(...), first lookup on a new catalog", lookups, len(sample), True)
        per_call("action(...), memoised", lookups, len(sample), False)
        per_call(
            'condition_key("aws:RequestTag/Env"), template',
            repeated(lambda c: c.condition_key("aws:RequestTag/Env")),
            REPEAT,
            False,
        )

    print(
        f"{len(current[0].services())} services, {len(everything)} actions; median of {RUNS} runs"
    )
    width = max(len(label) for label, _, _ in rows)
    print(f"| {'measurement':<{width}} | {'value':>9} | unit    |")
    print(f"|{'-' * (width + 2)}|{'-' * 11}|---------|")
    for label, value, unit in rows:
        print(f"| {label:<{width}} | {value:>9.3f} | {unit:<7} |")


if __name__ == "__main__":
    main()
