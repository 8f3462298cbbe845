"""Progress on stderr: drawn when stderr is a terminal (a pseudo-terminal here), absent
without one and with ``--quiet``, and never changing a byte of stdout."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from cksmodel.cli.progress import TerminalProgress, showing_progress, stop_progress
from cksmodel.symbolic.progress import no_progress

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
OLD = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}'  # noqa: E501
NEW = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}'  # noqa: E501


def cksmodel(argv: list[str], *, terminal: bool) -> tuple[int, bytes, bytes]:
    """Run the console script; stderr is a pseudo-terminal or a pipe. Status, stdout,
    stderr."""
    command = [sys.executable, "-c", "import sys; from cksmodel.cli import main; sys.exit(main())"]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    if not terminal:
        done = subprocess.run(
            [*command, *argv], cwd=REPO, env=env, capture_output=True, check=False
        )
        return done.returncode, done.stdout, done.stderr
    master, slave = os.openpty()
    with subprocess.Popen(
        [*command, *argv], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=slave
    ) as proc:
        os.close(slave)
        assert proc.stdout is not None
        err = bytearray()
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the terminal is gone once the process has ended
                    break
                if not chunk:
                    break
                err += chunk
            elif proc.poll() is not None:
                break
        out = proc.stdout.read()
    os.close(master)
    return proc.returncode, out, bytes(err)


TIMES = re.compile(rb'"time_s": [0-9.e-]+')


def untimed(stdout: bytes) -> bytes:
    """The output with its measured durations (which differ from run to run) blanked;
    every other byte is compared."""
    return TIMES.sub(b'"time_s": 0', stdout)


def shown_text(stderr: bytes) -> str:
    return ANSI.sub("", stderr.decode("utf-8", "replace"))


CASES = [
    (["prove", "--format", "json"], ["reading the account bundle", "invariants", "principals"]),
    (
        ["who-can", "kms:DeleteCustomKeyStore", "--format", "json"],
        ["reading the account bundle", "principals", "direct callers"],
    ),
    (
        [
            "check-no-new-access",
            "--existing-policy-document",
            OLD,
            "--new-policy-document",
            NEW,
            "--policy-type",
            "IDENTITY_POLICY",
            "--format",
            "json",
        ],
        ["reading the policies", "counterexamples"],
    ),
]


@pytest.mark.parametrize(("argv", "tasks"), CASES, ids=lambda v: v[0] if v else "")
def test_progress_shows_on_a_terminal_and_leaves_stdout_unchanged(
    argv: list[str], tasks: list[str]
) -> None:
    status, out_plain, err_plain = cksmodel(argv, terminal=False)
    status_tty, out_tty, err_tty = cksmodel(argv, terminal=True)
    status_quiet, out_quiet, err_quiet = cksmodel(["--quiet", *argv], terminal=True)
    assert err_plain == b""
    assert err_quiet == b""
    assert untimed(out_tty) == untimed(out_plain) == untimed(out_quiet)
    assert out_plain.startswith(b"{\n")
    assert status == status_tty == status_quiet
    drawn = shown_text(err_tty)
    assert drawn.split()[1:3] == ["cksmodel", argv[0]], drawn[:200]
    for task in tasks:
        assert task in drawn


def test_quiet_after_the_command_is_accepted_too() -> None:
    status, out, err = cksmodel(["prove", "--format", "json", "--quiet"], terminal=True)
    assert (status, err) == (0, b"")
    assert out.startswith(b"{")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rows_are_drawn_on_a_terminal_stream_and_cleared_before_the_result() -> None:
    stream = FakeTerminal()
    with showing_progress(stream, quiet=False) as progress:
        assert isinstance(progress, TerminalProgress)
        progress("invariants", 3, 21, "slr_trust")
        stop_progress()
        drawn = shown_text(stream.getvalue().encode())
        assert "invariants" in drawn and "3/21" in drawn and "slr_trust" in drawn
        size = len(stream.getvalue())
        progress("invariants", 4, 21)
        assert len(stream.getvalue()) == size


@pytest.mark.parametrize(
    ("stream", "quiet"), [(io.StringIO(), False), (FakeTerminal(), True)], ids=["pipe", "quiet"]
)
def test_no_rows_without_a_terminal_or_with_quiet(stream: io.StringIO, quiet: bool) -> None:
    with showing_progress(stream, quiet=quiet) as progress:
        assert progress is no_progress
        progress("invariants", 1, 2)
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "examples/scenarios/key-user-decrypt.json", "--policy-type", "identity"],
        ["simulate", "examples/scenarios/key-user-decrypt.json"],
    ],
    ids=["validate", "simulate"],
)
def test_quick_commands_draw_nothing_even_on_a_terminal(argv: list[str]) -> None:
    _, out, err = cksmodel(argv, terminal=True)
    assert err == b""
    assert out
