"""The GitHub Action (``action.yml`` and its step script): valid metadata, inputs that reach
the script only through environment variables, crafted inputs passed as literal arguments,
and cksmodel's exit status as the action's."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"
SCRIPT = REPO / ".github" / "action" / "run.py"
GOOD_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}\n'  # noqa: E501
BAD_POLICY = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Alow", "Action": "kms:Decrypt", "Resource": "*"}]}\n'  # noqa: E501

CRAFTED = [
    '; rm -rf "$HOME" ; touch pwned-semicolon',
    "$(touch pwned-dollar)",
    "`touch pwned-backtick`",
    "x\ntouch pwned-newline",
    "&& touch pwned-and | cat > pwned-pipe",
    "${IFS}touch${IFS}pwned-ifs",
]
"""Inputs that would run commands if any shell expanded them."""


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cksmodel_action_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


action_run = load_script()


def metadata() -> dict[str, Any]:
    loaded = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# --------------------------------------------------------------------------- metadata


INTERPOLATION = re.compile(r"\$\{\{")


def shell_injection_risks(action: dict[str, Any]) -> list[str]:
    """Run steps whose shell text holds a ``${{ … }}`` expression: the runner pastes its
    value into the script before the shell reads it, so an input could inject commands."""
    return [
        str(step.get("name", step.get("id", "?")))
        for step in action["runs"]["steps"]
        if "run" in step and INTERPOLATION.search(str(step["run"]))
    ]


def test_action_metadata_has_the_required_keys_and_is_composite() -> None:
    action = metadata()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert steps
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", f"run step without a shell: {step}"
    for name, spec in action["inputs"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", name)
        assert spec["description"], name
        assert isinstance(spec.get("default", ""), str), f"input {name}: default is not text"
    for name, spec in action["outputs"].items():
        assert spec["description"] and spec["value"], name


def test_no_run_step_interpolates_an_expression() -> None:
    assert shell_injection_risks(metadata()) == []


@pytest.mark.parametrize(
    "run_text",
    [
        'echo "${{ inputs.args }}"',
        "python run.py ${{inputs.command}}",
        'echo "${{ github.event.pull_request.title }}"',
    ],
)
def test_an_interpolated_run_step_is_caught(run_text: str) -> None:
    action = metadata()
    action["runs"]["steps"].append({"name": "tampered", "shell": "bash", "run": run_text})
    assert shell_injection_risks(action) == ["tampered"]


def test_every_input_reaches_the_script_through_an_environment_variable() -> None:
    action = metadata()
    mapped: dict[str, str] = {}
    used_in_with: set[str] = set()
    for step in action["runs"]["steps"]:
        for var, value in (step.get("env") or {}).items():
            mapped[var] = str(value)
        for value in (step.get("with") or {}).values():
            used_in_with.update(re.findall(r"inputs\.([a-z0-9-]+)", str(value)))
    literal = set(re.findall(r"INPUT_[A-Z_]+", SCRIPT.read_text(encoding="utf-8")))
    script_vars = literal | action_run.input_variables()
    for var in script_vars:
        name = var.removeprefix("INPUT_").lower().replace("_", "-")
        assert mapped.get(var) == f"${{{{ inputs.{name} }}}}", var
    conditions = {
        m
        for step in action["runs"]["steps"]
        for m in re.findall(r"inputs\.([a-z0-9-]+)", str(step.get("if", "")))
    }
    for name in action["inputs"]:
        var = "INPUT_" + name.upper().replace("-", "_")
        assert var in script_vars or name in used_in_with | conditions, f"input {name} unused"


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("inputs", "argv"),
    [
        ({"COMMAND": "prove"}, ["prove"]),
        (
            {"COMMAND": "prove", "SPEC": "specs 'my specs/app.spec'", "ACCOUNT": "bundle dir"},
            ["prove", "specs", "my specs/app.spec", "--account", "bundle dir"],
        ),
        (
            {
                "COMMAND": "validate",
                "ARGS": "--policy-type key\n'policies/*.json'",
                "FORMAT": "json",
            },
            ["validate", "--format", "json", "--policy-type", "key", "policies/*.json"],
        ),
        (
            {"COMMAND": "prove", "SARIF_FILE": "out/prove.sarif"},
            ["prove", "--format", "sarif", "--output", "out/prove.sarif"],
        ),
        (
            {"COMMAND": "prove", "UPLOAD_SARIF": "true"},
            ["prove", "--format", "sarif", "--output", "cksmodel.sarif"],
        ),
        (
            {"COMMAND": " who-can ", "ARGS": "kms:DeleteCustomKeyStore", "ACCOUNT": "b"},
            ["who-can", "--account", "b", "kms:DeleteCustomKeyStore"],
        ),
        (
            {"COMMAND": "prove", "ACCOUNT": "b", "PLAN": "plan.json", "SARIF_FILE": "p.sarif"},
            [
                "prove",
                "--account",
                "b",
                "--plan",
                "plan.json",
                "--format",
                "sarif",
                "--output",
                "p.sarif",
            ],
        ),
        (
            {"COMMAND": "diff", "ACCOUNT": "b", "PLAN": "plan.json", "FORMAT": "markdown"},
            ["diff", "--account", "b", "--plan", "plan.json", "--format", "markdown"],
        ),
    ],
)
def test_inputs_become_these_arguments(inputs: dict[str, str], argv: list[str]) -> None:
    env = {f"INPUT_{k}": v for k, v in inputs.items()}
    assert list(action_run.invocation(env).argv) == argv


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"COMMAND": "prove; rm -rf /"}, "is not a cksmodel command"),
        ({"COMMAND": ""}, "is not a cksmodel command"),
        ({"COMMAND": "validate", "ACCOUNT": "b"}, "validate takes no --account"),
        ({"COMMAND": "validate", "SPEC": "s.spec"}, "validate takes no spec"),
        ({"COMMAND": "who-can", "SARIF_FILE": "x.sarif"}, "who-can does not write SARIF"),
        ({"COMMAND": "prove", "SARIF_FILE": "x.sarif", "FORMAT": "json"}, "not 'json'"),
        ({"COMMAND": "prove", "SARIF_FILE": "x\n::set-output"}, "line break"),
        ({"COMMAND": "prove", "ARGS": "'unbalanced"}, "input args: No closing quotation"),
    ],
)
def test_unusable_inputs_are_refused_with_status_2(
    inputs: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {f"INPUT_{k}": v for k, v in inputs.items()}
    with pytest.raises(action_run.ActionInputError, match=re.escape(message)):
        action_run.invocation(env)
    assert action_run.run(env, "/nonexistent/cksmodel") == 2
    assert message in capsys.readouterr().err


# --------------------------------------------------------------------------- the step, run


@pytest.fixture
def fake_cksmodel(tmp_path: Path) -> Path:
    """A ``cksmodel`` that records its arguments and exits with ``$FAKE_STATUS``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "cksmodel"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['FAKE_ARGV'], 'w') as f:\n"
        "    json.dump(sys.argv[1:], f)\n"
        "sys.exit(int(os.environ.get('FAKE_STATUS', '0')))\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    return bin_dir


def run_step(
    step_id: str, env: dict[str, str], cwd: Path, path_first: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """One run step of action.yml as the runner runs it: its text through
    ``bash --noprofile --norc -eo pipefail``, with the step's ``env`` given here."""
    action = metadata()
    steps = [s for s in action["runs"]["steps"] if s.get("id") == step_id]
    assert len(steps) == 1
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    path = os.pathsep.join(
        [*([str(path_first)] if path_first else []), str(Path(sys.executable).parent)]
    )
    script = cwd / f"step-{step_id}.sh"
    script.write_text(steps[0]["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env={**base, "PATH": path + os.pathsep + base.get("PATH", ""), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def step_env(github_output: Path, inputs: dict[str, str], **more: str) -> dict[str, str]:
    """The environment of the run step: the runner's variables, the inputs, and more."""
    return {
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_OUTPUT": str(github_output),
        **{f"INPUT_{name}": value for name, value in inputs.items()},
        **more,
    }


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def test_crafted_inputs_reach_cksmodel_as_literal_arguments(
    tmp_path: Path, fake_cksmodel: Path
) -> None:
    argv_file = tmp_path / "argv.json"
    work = tmp_path / "work"
    work.mkdir()
    args = " ".join(action_run.shlex.quote(c) for c in CRAFTED) + "\n$(touch pwned-bare) `id`"
    inputs = {
        "COMMAND": "prove",
        "ARGS": args,
        "ACCOUNT": CRAFTED[0],
        "SPEC": "'" + CRAFTED[1] + "'",
        "FORMAT": "",
        "SARIF_FILE": "",
        "UPLOAD_SARIF": "false",
    }
    env = step_env(
        tmp_path / "github_output",
        inputs,
        GITHUB_ACTIONS="true",
        FAKE_ARGV=str(argv_file),
        FAKE_STATUS="3",
    )
    done = run_step("run", env, work, fake_cksmodel)
    assert done.returncode == 0, done.stderr
    received = json.loads(argv_file.read_text(encoding="utf-8"))
    assert received == [
        "prove",
        CRAFTED[1],
        "--account",
        CRAFTED[0],
        *CRAFTED,
        "$(touch",
        "pwned-bare)",
        "`id`",
    ]
    assert sorted(p.name for p in work.iterdir()) == ["step-run.sh"]
    assert (tmp_path / "github_output").read_text(encoding="utf-8") == "sarif-file=\nexit-code=3\n"
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::stop-commands::")
    assert lines[-1] == f"::{lines[0].removeprefix('::stop-commands::')}::"
    assert not any(line.startswith("::") for line in lines[1:-1])


@pytest.mark.parametrize("status", ["0", "1", "2", "3", "70"])
def test_the_action_ends_with_the_exit_status_of_cksmodel(
    tmp_path: Path, fake_cksmodel: Path, status: str
) -> None:
    github_output = tmp_path / "github_output"
    inputs = {"COMMAND": "validate", "ARGS": "--policy-type identity p.json"}
    env = step_env(github_output, inputs, FAKE_ARGV=str(tmp_path / "argv.json"), FAKE_STATUS=status)
    assert run_step("run", env, tmp_path, fake_cksmodel).returncode == 0
    recorded = outputs(github_output)["exit-code"]
    assert recorded == status
    final = [s for s in metadata()["runs"]["steps"] if "CKSMODEL_STATUS" in (s.get("env") or {})]
    assert len(final) == 1
    script = tmp_path / "final.sh"
    script.write_text(final[0]["run"], encoding="utf-8")
    ended = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env={**os.environ, "CKSMODEL_STATUS": recorded},
        check=False,
    )
    assert ended.returncode == int(status)


def test_the_script_runs_cksmodel_and_writes_sarif_with_a_summary(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "good.json").write_text(GOOD_POLICY, encoding="utf-8")
    (tmp_path / "policies" / "bad.json").write_text(BAD_POLICY, encoding="utf-8")
    github_output = tmp_path / "github_output"
    inputs = {
        "COMMAND": "validate",
        "ARGS": "--policy-type identity 'policies/*.json'",
        "SARIF_FILE": "reports/validate.sarif",
    }
    env = step_env(github_output, inputs)
    (tmp_path / "reports").mkdir()
    done = run_step("run", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs(github_output) == {"sarif-file": "reports/validate.sarif", "exit-code": "1"}
    sarif = json.loads((tmp_path / "reports" / "validate.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert "error E_EFFECT policies/bad.json:2: " in done.stdout


# --------------------------------------------------------------------------- the examples


WORKFLOW = REPO / "examples" / "ci" / "github-workflow.yml"


def test_the_workflow_example_uses_only_inputs_the_action_declares() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    declared = set(metadata()["inputs"])
    uses = [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("OWNER/cksmodel@")
    ]
    assert len(uses) == 6
    for step in uses:
        assert set(step["with"]) <= declared, step["name"]
        env = {
            "INPUT_" + k.upper().replace("-", "_"): str(v).replace("${{ runner.temp }}", "/tmp")
            for k, v in step["with"].items()
        }
        assert action_run.invocation(env).argv[0] == step["with"]["command"]
    assert (
        shell_injection_risks(
            {"runs": {"steps": [s for j in workflow["jobs"].values() for s in j["steps"]]}}
        )
        == []
    )
