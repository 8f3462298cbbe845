"""Shared test fixtures: golden files regenerated with ``pytest --update-golden``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with ``tests/golden/NAME``, or rewrite it under ``--update-golden``."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check


@pytest.fixture(autouse=True)
def counterexamples_are_real_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every counterexample a test produces names a resource its action accepts: an ARN
    of one of the action's resource types in the catalog, or ``*`` for an action
    without any (searches pinned to a given request are not counterexamples)."""
    from cksmodel.symbolic import query
    from cksmodel.symbolic.formats import well_formed

    made: list[Any] = []
    original = query._answer

    def recording(s: Any, *args: Any, **kwargs: Any) -> Any:
        answer = original(s, *args, **kwargs)
        if s.fixed is None:
            made.extend(answer.counterexamples)
        return answer

    monkeypatch.setattr(query, "_answer", recording)
    yield
    bad = [
        (c.request.action, c.request.resource)
        for c in made
        if not well_formed(c.request.action, c.request.resource)
    ]
    assert not bad, f"counterexamples no real request could be: {bad}"
