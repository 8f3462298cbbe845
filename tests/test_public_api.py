"""The public API (``cksmodel.__all__``) and the README's Python examples.

Every documented name must stay the documented object whatever else has been
imported: a submodule whose name equals a public function would replace it on
the package once imported (``cksmodel.evaluate`` used to). So every submodule is
imported first, then each public name is used twice.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import cksmodel

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "examples" / "scenarios" / "key-user-decrypt.json"


def _import_every_submodule() -> list[str]:
    names = [info.name for info in pkgutil.walk_packages(cksmodel.__path__, prefix="cksmodel.")]
    for name in names:
        importlib.import_module(name)
    return names


def _readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]


def test_every_stage_is_a_package_and_every_submodule_imports() -> None:
    names = _import_every_submodule()
    stages = {n.split(".")[1] for n in names if n.count(".") == 2}
    assert {"policy", "concrete", "symbolic", "account", "graph", "invariants"} <= stages
    top_modules = [p.name for p in (REPO / "cksmodel").glob("*.py")]
    assert len(top_modules) <= 5, top_modules


def test_no_public_name_is_shadowed_by_a_submodule() -> None:
    _import_every_submodule()
    for name in cksmodel.__all__:
        value = getattr(cksmodel, name)
        assert not isinstance(value, type(cksmodel)), f"cksmodel.{name} is a module"


def test_public_functions_work_twice_after_every_submodule_is_imported() -> None:
    _import_every_submodule()
    for _ in range(2):
        decision = cksmodel.simulate(str(SCENARIO))
        assert decision.decision == cksmodel.DecisionWord.ALLOWED
        request, policies = cksmodel.load_scenario(str(SCENARIO))
        assert cksmodel.evaluate(request, policies) == decision
        assert cksmodel.can(policies).verdict is cksmodel.Verdict.REFUTED
        assert cksmodel.always_denies(policies).verdict is cksmodel.Verdict.REFUTED
        assert cksmodel.implies(policies, policies).verdict is cksmodel.Verdict.PROVED
        assert cksmodel.equivalent(policies, policies).verdict is cksmodel.Verdict.PROVED
        assert cksmodel.compare(policies, policies).relation is cksmodel.Relation.EQUIVALENT
        assert issubclass(cksmodel.InputError, cksmodel.CksError)
        assert cksmodel.MatchedStatement is type(decision.matched_statements[0])
        assert isinstance(cksmodel.__version__, str)


def test_an_unknown_public_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        _ = cksmodel.simulat  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "marker",
    [
        "cksmodel.simulate(",
        "cksmodel.can(policies",
        "build_graph",
        "progress=show",
        "analyse_organization",
    ],
    ids=["simulation", "symbolic-questions", "graph", "progress", "organization"],
)
def test_the_readme_python_examples_run_after_every_submodule_is_imported(
    marker: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _import_every_submodule()
    code = next(block for block in _readme_python_blocks() if marker in block)
    monkeypatch.chdir(REPO)
    for _ in range(2):
        exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()
