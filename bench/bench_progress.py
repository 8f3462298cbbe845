"""How soon progress reaches a terminal: seconds from starting a cksmodel process to the
first progress row on its stderr (a pseudo-terminal), and what drawing it costs.

    python bench/bench_progress.py [--principals 1000] [--keys 200] [--runs 3] [--seed 7]

Commands: ``prove``, ``who-can kms:DeleteCustomKeyStore`` and ``graph --format json`` on a
synthetic account (``bench/synthetic_account.py``), each run ``--runs`` times with stderr a
pseudo-terminal and stdout kept; the first row is the first stderr text after the
terminal escape sequences. The same command with ``--quiet`` (no rows) runs as often, for
the CPU seconds drawing costs and to check that stdout is the same (measured durations
blanked). Medians are printed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic_account import generate
from terminal import add_quiet, progress_of, showing

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
TIMES = re.compile(rb'"time_s": [0-9.e-]+')
CLI = [sys.executable, "-c", "import sys; from cksmodel.cli import main; sys.exit(main())"]


def on_terminal(argv: list[str]) -> tuple[float | None, float, bytes]:
    """Seconds to the first visible stderr text, CPU seconds of the process, and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    master, slave = os.openpty()
    env = {**os.environ, "TERM": "xterm-256color"}
    start = time.perf_counter()
    first: float | None = None
    with (
        subprocess.Popen([*CLI, *argv], env=env, stdout=subprocess.PIPE, stderr=slave) as proc,
        tempfile.TemporaryFile() as sink,
    ):
        os.close(slave)
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        while True:
            ready, _, _ = select.select([master, proc.stdout], [], [], 0.05)
            if proc.stdout in ready:
                sink.write(proc.stdout.read() or b"")
            if master in ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if first is None and ANSI.sub(b"", chunk).strip():
                    first = time.perf_counter() - start
            elif proc.poll() is not None and proc.stdout not in ready:
                break
        os.set_blocking(proc.stdout.fileno(), True)
        sink.write(proc.stdout.read() or b"")
        sink.seek(0)
        out = sink.read()
    os.close(master)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return first, cpu, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--principals", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    add_quiet(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_progress-") as tmp:
        bundle = Path(tmp) / "account"
        generate(bundle, principals=args.principals, keys=args.keys, seed=args.seed)
        commands = {
            "prove": ["prove", "--format", "json", "--account", str(bundle)],
            "who-can": [
                "who-can",
                "kms:DeleteCustomKeyStore",
                "--format",
                "json",
                "--account",
                str(bundle),
            ],
            "graph": ["graph", "--format", "json", "--account", str(bundle)],
        }
        print(
            f"synthetic account {args.principals}x{args.keys}; median of {args.runs} run(s); "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start"
        )
        print()
        print(
            "| command | first progress s | CPU s with progress | CPU s with --quiet "
            "| stdout same with --quiet |"
        )
        print("|---|---:|---:|---:|---|")
        with showing(args) as progress:
            for name, argv in progress_of(list(commands.items()), "commands", progress):
                runs, quiet = [], []
                for _ in range(args.runs):
                    runs.append(on_terminal(argv))
                    quiet.append(on_terminal(["--quiet", *argv]))
                same = all(
                    TIMES.sub(b"", out) == TIMES.sub(b"", q[2])
                    for (*_, out), q in zip(runs, quiet, strict=True)
                )
                firsts = [f for f, _, _ in runs if f is not None]
                shown = f"{statistics.median(firsts):.2f}" if len(firsts) == len(runs) else "none"
                cpu = statistics.median(c for _, c, _ in runs)
                cpu_quiet = statistics.median(c for _, c, _ in quiet)
                print(
                    f"| {name} | {shown} | {cpu:.1f} | {cpu_quiet:.1f} "
                    f"| {'yes' if same else 'NO'} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
