"""The pre-commit hooks (``.pre-commit-hooks.yaml``), run by pre-commit itself on a fixture
repository: ``try-repo`` installs this checkout as a hook repository; a good policy passes,
a bad one fails with its finding, and the prove hook proves a bundle.

pre-commit installs cksmodel into an environment of its own for each of the two runs
(``try-repo`` keeps its environments in a temporary store); the hook repository is a clean
copy of the checkout, uncommitted changes included, so the hooks tested are those on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
GOOD_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}\n'  # noqa: E501
BAD_POLICY = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Alow", "Action": "kms:Decrypt", "Resource": "*"}]}\n'  # noqa: E501
GIT_IDENTITY = ["-c", "user.name=cksmodel tests", "-c", "user.email=tests@example.com"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout


def hook_repository(into: Path) -> tuple[Path, str]:
    """A clean git repository holding the checkout's files as they are now (changes not
    yet committed included), and its commit."""
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(into, "init", "-q")
    git(into, "add", "-A")
    git(into, "commit", "-q", "--no-verify", "-m", "hooks under test")
    return into, git(into, "rev-parse", "HEAD").strip()


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env={**env, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_hook_definitions_name_the_commands_they_run() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"cksmodel-validate", "cksmodel-prove"}
    assert all(h["language"] == "python" for h in hooks.values())
    assert hooks["cksmodel-validate"]["entry"] == "cksmodel validate"
    assert hooks["cksmodel-validate"]["args"] == ["--policy-type", "identity"]
    assert hooks["cksmodel-prove"]["entry"] == "cksmodel prove --account"
    assert hooks["cksmodel-prove"]["pass_filenames"] is False


def test_pre_commit_runs_the_hooks_on_a_fixture_repository(tmp_path: Path) -> None:
    hooks, rev = hook_repository(tmp_path / "hooks")
    home = tmp_path / "pre-commit-home"
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    (project / "policies" / "good.json").write_text(GOOD_POLICY, encoding="utf-8")
    shutil.copytree(REPO / "examples" / "cks-account", project / "bundle")
    git(project, "init", "-q")
    git(project, "add", "-A")

    tried = pre_commit(
        project, home, "try-repo", str(hooks), "cksmodel-validate", "--files", "policies/good.json"
    )
    assert tried.returncode == 0, tried.stdout + tried.stderr
    assert "cksmodel validate" in tried.stdout and "Passed" in tried.stdout

    (project / "policies" / "bad.json").write_text(BAD_POLICY, encoding="utf-8")
    config = {
        "repos": [
            {
                "repo": str(hooks),
                "rev": rev,
                "hooks": [
                    {"id": "cksmodel-validate"},
                    {"id": "cksmodel-prove", "args": ["bundle"]},
                ],
            }
        ]
    }
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(project, "add", "-A")
    ran = pre_commit(project, home, "run", "--all-files")
    out = ran.stdout
    assert ran.returncode == 1, out + ran.stderr
    validate_line = next(line for line in out.splitlines() if line.startswith("cksmodel validate"))
    prove_line = next(line for line in out.splitlines() if line.startswith("cksmodel prove"))
    assert validate_line.endswith("Failed")
    assert prove_line.endswith("Passed")
    assert "policies/bad.json:2:27: ERROR E_EFFECT Effect must be 'Allow' or 'Deny'" in out
    assert "policies/good.json: no findings" in out
