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


PARTNER = "579135791357"
"""A partner account whose principals the ``partner_bundle`` names."""
AUDIT = "444455556666"
"""An account the ``partner_bundle`` trusts as a whole."""
PARTNER_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
AUDITED_KEY = "0987dcba-09fe-87dc-65ba-ab0987654321"


@pytest.fixture(scope="session")
def partner_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compliant example with outside principals: the store manager's trust names the
    partner's ``role/partner-kms-operator`` (with an ExternalId), a grant on one key goes to
    the partner's ``role/partner-batch``, and another key's policy trusts account
    444455556666 as a whole."""
    import json
    import shutil

    root = tmp_path_factory.mktemp("bundle") / "partner-account"
    shutil.copytree(Path(__file__).parents[1] / "examples" / "cks-account", root)
    details = root / "iam" / "account-authorization-details.json"
    iam = json.loads(details.read_text(encoding="utf-8"))
    for role in iam["RoleDetailList"]:
        if role["RoleName"] == "cks-store-manager":
            role["AssumeRolePolicyDocument"]["Statement"].append(
                {
                    "Sid": "PartnerOperator",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:role/partner-kms-operator"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "cks-partner-7Q2"}},
                }
            )
    details.write_text(json.dumps(iam, indent=2), encoding="utf-8")
    keys = root / "kms" / "keys"
    key_arn = f"arn:aws:kms:us-east-1:111122223333:key/{PARTNER_KEY}"
    grant = {
        "KeyId": key_arn,
        "GrantId": "5be7a8f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9",
        "Name": "partner-batch-decrypt",
        "GranteePrincipal": f"arn:aws:iam::{PARTNER}:role/partner-batch",
        "IssuingAccount": "arn:aws:iam::111122223333:root",
        "Operations": ["Decrypt"],
    }
    (keys / PARTNER_KEY / "grants.json").write_text(
        json.dumps({"Grants": [grant]}, indent=2), encoding="utf-8"
    )
    policy_file = keys / AUDITED_KEY / "key-policy.json"
    wrapper = json.loads(policy_file.read_text(encoding="utf-8"))
    policy = json.loads(wrapper["Policy"])
    policy["Statement"].append(
        {
            "Sid": "AuditAccount",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{AUDIT}:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    wrapper["Policy"] = json.dumps(policy, indent=2)
    policy_file.write_text(json.dumps(wrapper, indent=2), encoding="utf-8")
    return root
