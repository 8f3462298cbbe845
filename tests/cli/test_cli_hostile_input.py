"""Hostile input through the command line: long chains, deep nesting, huge numbers.

Specs and policies are generated from a fixed seed (chains of at least 10,000
terms, nesting around the spec limit, numbers beyond the interpreter's digit
limit). Whatever they contain, ``cksmodel`` answers with a documented exit
status (0, 1, 2 or 3) and never a traceback.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from cksmodel.cli import main
from cksmodel.invariants.spec import MAX_NESTING

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = str(REPO / "examples" / "cks-account")
SLR = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
CHAIN = 10_000
HUGE = "9" * 5_000
DOCUMENTED = {0, 1, 2, 3}


# --------------------------------------------------------------------------- specs


def allow_list(rng: random.Random) -> str:
    services = " or ".join(
        f'p == service "s{rng.randrange(10**6)}.amazonaws.com"' for _ in range(CHAIN)
    )
    return f'invariant allow_list "t":\n  forall p in account: {services}\n'


def formula_chain(rng: random.Random) -> str:
    op = rng.choice(["and", "or"])
    terms = [rng.choice(["true", "false", "(true)", "not false"]) for _ in range(CHAIN)]
    return f'invariant chain "t":\n  {f" {op} ".join(terms)}\n'


def not_run(rng: random.Random) -> str:
    return f'invariant nots "t":\n  {"not " * (CHAIN + rng.randrange(2))}false\n'


def set_chain(rng: random.Random) -> str:
    ops = [rng.choice("|&-") if rng.random() < 0.01 else "|" for _ in range(CHAIN)]
    terms = "account" + "".join(f" {op} account" for op in ops)
    return f'persona big = {terms}\ninvariant sets "t":\n  forall p in persona big: true\n'


def guard_chain(rng: random.Random) -> str:
    atoms = ["region_supported", "(keys == 0)", "not region_supported"]
    guard = " or ".join(rng.choice(atoms) for _ in range(CHAIN))
    return (
        f'invariant guard "t":\n  lifecycle within 4 steps: DeleteCustomKeyStore requires {guard}\n'
    )


def deep_nesting(rng: random.Random) -> str:
    depth = MAX_NESTING + rng.randrange(-5, MAX_NESTING)
    opener = rng.choice(["not (", "true and (false or ", "true implies (", "false or (true and "])
    return f'invariant deep "t":\n  {opener * depth}true{")" * depth}\n'


def deep_sets(rng: random.Random) -> str:
    depth = MAX_NESTING + rng.randrange(-5, MAX_NESTING)
    return f"persona deep = {'account - (account | ' * depth}account{')' * depth}\n"


def huge_number(rng: random.Random) -> str:
    where = rng.choice(["steps", "guard"])
    steps = HUGE if where == "steps" else "3"
    bound = HUGE if where == "guard" else "1"
    return (
        'invariant big "t":\n'
        f"  lifecycle within {steps} steps: DeleteCustomKeyStore requires keys >= {bound}\n"
    )


SPECS: dict[str, Callable[[random.Random], str]] = {
    "allow-list-of-10000-services": allow_list,
    "chain-of-10000-and-or-terms": formula_chain,
    "run-of-10000-nots": not_run,
    "set-expression-of-10000-terms": set_chain,
    "lifecycle-guard-of-10000-terms": guard_chain,
    "formula-nested-around-the-limit": deep_nesting,
    "set-expression-nested-around-the-limit": deep_sets,
    "number-beyond-the-digit-limit": huge_number,
}


# --------------------------------------------------------------------------- policies


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def many_condition_values(rng: random.Random) -> str:
    values = [f"v{rng.randrange(10**6)}" for _ in range(CHAIN)]
    condition = {"StringLike": {"aws:PrincipalTag/team": values}}
    return json.dumps(policy(allow("kms:Decrypt", Condition=condition)))


def huge_policy_number(rng: random.Random) -> str:
    sign = rng.choice(["", "-"])
    return json.dumps(policy(allow("kms:Decrypt"))).replace(
        '"Resource": "*"',
        f'"Resource": "*", "Condition": {{"NumericLessThan": {{"kms:X": {sign}{HUGE}}}}}',
    )


def deep_json(rng: random.Random) -> str:
    depth = rng.randrange(65, CHAIN)
    return '{"Version": "2012-10-17", "Statement": ' + "[" * depth + "]" * depth + "}"


POLICIES: dict[str, Callable[[random.Random], str]] = {
    "10000-condition-values": many_condition_values,
    "number-beyond-the-digit-limit": huge_policy_number,
    "json-nested-beyond-the-limit": deep_json,
}


def scenario(identity: str) -> str:
    """A simulation scenario around one identity policy document (JSON text)."""
    request = {
        "principal": "arn:aws:iam::111122223333:user/alice",
        "action": "kms:Decrypt",
        "resource": "arn:aws:kms:us-east-1:111122223333:key/k1",
        "context": {"aws:PrincipalTag/team": "v1"},
    }
    return f'{{"request": {json.dumps(request)}, "identity_policies": [{identity}]}}'


# --------------------------------------------------------------------------- running


def run(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``main`` in-process: its status (argparse exits included) and stderr."""
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, capsys.readouterr().err


SEED = 14


@pytest.mark.parametrize("make", list(SPECS.values()), ids=list(SPECS))
def test_hostile_specs_get_a_documented_exit_status(
    make: Callable[[random.Random], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "hostile.spec"
    spec.write_text(make(random.Random(SEED)), encoding="utf-8")
    status, err = run(["prove", str(spec), "--account", ACCOUNT, "--timeout", "5"], capsys)
    assert status in DOCUMENTED, err
    assert "Traceback" not in err
    if status == 2:
        assert err.startswith(f"cksmodel prove: {spec}:"), err


@pytest.mark.parametrize("make", list(POLICIES.values()), ids=list(POLICIES))
@pytest.mark.parametrize("command", ["validate", "simulate"])
def test_hostile_policies_get_a_documented_exit_status(
    command: str,
    make: Callable[[random.Random], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = make(random.Random(SEED))
    path = tmp_path / "hostile.json"
    if command == "validate":
        path.write_text(document, encoding="utf-8")
        argv = ["validate", str(path), "--policy-type", "identity"]
    else:
        path.write_text(scenario(document), encoding="utf-8")
        argv = ["simulate", str(path)]
    status, err = run(argv, capsys)
    assert status in DOCUMENTED, err
    assert "Traceback" not in err
    if status == 2:
        assert err.startswith(f"cksmodel {command}: {path}:"), err


@pytest.mark.parametrize("make", [huge_policy_number, deep_json], ids=["huge-number", "deep-json"])
def test_hostile_policies_are_input_errors_for_the_symbolic_checks(
    make: Callable[[random.Random], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(make(random.Random(SEED)), encoding="utf-8")
    argv = [
        "check-access-not-granted",
        "--policy-document",
        str(path),
        "--access",
        '{"actions": ["kms:Decrypt"]}',
        "--policy-type",
        "IDENTITY_POLICY",
    ]
    status, err = run(argv, capsys)
    assert status == 2
    assert err.startswith(f"cksmodel check-access-not-granted: {path}:1:"), err


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.spec"
    spec.write_text(not_run(random.Random(SEED)) + deep_nesting(random.Random(SEED)))
    done = subprocess.run(
        [sys.executable, "-m", "cksmodel.cli.commands", "prove", str(spec), "--account", ACCOUNT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in DOCUMENTED, done.stderr
    assert "Traceback" not in done.stderr
