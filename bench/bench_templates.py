"""Run ``validate --template-path`` (or a check) on every template or plan under a directory
and print one table: how many files gave each exit status, the policies read, the input
errors by code, and the time. An exit status of 70 (internal error) is listed file by file.

    python bench/bench_templates.py DIR [-- COMMAND-AND-OPTIONS]

e.g. on a checkout of github.com/aws-cloudformation/aws-cloudformation-templates:

    python bench/bench_templates.py aws-cloudformation-templates
    python bench/bench_templates.py aws-cloudformation-templates -- check-no-public-access
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import time
from pathlib import Path

from cksmodel.cli import main

SUFFIXES = (".yaml", ".yml", ".json", ".template")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("command", nargs="*", default=["validate"])
    args = parser.parse_args()
    files = sorted(
        p
        for p in args.directory.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES and ".github" not in p.parts
    )
    statuses: collections.Counter[int] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    policies = 0
    start = time.perf_counter()
    for path in files:
        argv = [*args.command, "--template-path", str(path), "--format", "json"]
        argv += ["--account-id", "111122223333", "--region", "us-east-1"]
        status, out, err = run(argv)
        statuses[status] += 1
        if status == 2:
            errors[err.split(": ", 2)[-1].split(" ", 1)[0]] += 1
        elif status == 70:
            print(f"internal error on {path}: {err.strip()}")
        else:
            policies += len(json.loads(out)["policies"])
    elapsed = time.perf_counter() - start
    print(f"| files | {' | '.join(f'exit {s}' for s in sorted(statuses))} | policies | seconds |")
    print(f"|---|{'---|' * len(statuses)}---|---|")
    counts = " | ".join(str(statuses[s]) for s in sorted(statuses))
    print(f"| {len(files)} | {counts} | {policies} | {elapsed:.1f} |")
    print("input errors by code: " + ", ".join(f"{c} {n}" for c, n in errors.most_common()))


if __name__ == "__main__":
    main_bench()
