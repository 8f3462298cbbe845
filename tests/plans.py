"""Terraform plans for tests, built the way ``terraform show -json`` lays them out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROVIDER = "registry.terraform.io/hashicorp/aws"


def policy(*statements: dict[str, Any]) -> str:
    """A policy document as ``jsonencode`` renders it (compact, keys sorted)."""
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def resource(
    address: str,
    values: dict[str, Any],
    *,
    unknown: dict[str, Any] | None = None,
    sensitive: dict[str, Any] | None = None,
    actions: tuple[str, ...] = ("create",),
    mode: str = "managed",
) -> dict[str, Any]:
    """One resource instance: its planned values and its change."""
    parts = address.split(".")
    module = ".".join(parts[:-2]) if parts[0] == "module" else ""
    if parts[-3:-2] == ["data"]:
        module = ".".join(parts[:-3])
    rtype, name = parts[-2], parts[-1].split("[", 1)[0]
    entry: dict[str, Any] = {
        "address": address,
        "module": module,
        "mode": mode,
        "type": rtype,
        "name": name,
        "values": values,
        "unknown": unknown or {},
        "sensitive": sensitive or {},
        "actions": list(actions),
    }
    if "[" in parts[-1]:
        key = parts[-1].split("[", 1)[1].rstrip("]")
        entry["index"] = json.loads(key)
    return entry


def plan(
    *resources: dict[str, Any],
    data: tuple[dict[str, Any], ...] = (),
    references: dict[str, dict[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """A plan with ``planned_values`` (module tree), ``resource_changes``, ``prior_state``
    (data sources) and a ``configuration`` holding ``references``."""
    modules: dict[str, list[dict[str, Any]]] = {}
    changes = []
    for r in resources:
        planned = {k: r[k] for k in ("address", "mode", "type", "name", "index") if k in r} | {
            "provider_name": PROVIDER,
            "schema_version": 0,
            "values": r["values"],
            "sensitive_values": r["sensitive"],
        }
        deleting = r["actions"] == ["delete"]
        if not deleting:
            modules.setdefault(r["module"], []).append(planned)
        change = {k: r[k] for k in ("address", "mode", "type", "name", "index") if k in r}
        if r["module"]:
            change["module_address"] = r["module"]
        change["provider_name"] = PROVIDER
        change["change"] = {
            "actions": r["actions"],
            "before": r["values"] if deleting else None,
            "after": None if deleting else r["values"],
            "after_unknown": {} if deleting else r["unknown"],
            "before_sensitive": r["sensitive"] if deleting else False,
            "after_sensitive": False if deleting else r["sensitive"],
        }
        changes.append(change)

    def tree(prefix: str) -> dict[str, Any]:
        node: dict[str, Any] = {"resources": modules.get(prefix, [])}
        children = sorted(
            {
                ".".join(m.split(".")[: len(prefix.split(".")) + 2 if prefix else 2])
                for m in modules
                if m and m.startswith(prefix) and m != prefix
            }
        )
        if children:
            node["child_modules"] = [tree(c) | {"address": c} for c in children]
        return node

    config: dict[str, Any] = {"resources": []}
    for address, exprs in (references or {}).items():
        node, parts = config, address.split(".")
        while parts[0] == "module":
            calls = node.setdefault("module_calls", {})
            node = calls.setdefault(parts[1], {"module": {"resources": []}})["module"]
            parts = parts[2:]
        node["resources"].append(
            {
                "address": ".".join(parts),
                "expressions": {k: {"references": v} for k, v in exprs.items()},
            }
        )
    prior = [
        {k: d[k] for k in ("address", "mode", "type", "name")}
        | {"provider_name": PROVIDER, "schema_version": 0, "values": d["values"],
           "sensitive_values": d["sensitive"]}
        for d in data
    ]  # fmt: skip
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": tree("")},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": prior}}},
        "configuration": {"root_module": config},
        "timestamp": "2026-12-04T09:30:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def write(path: Path, value: dict[str, Any]) -> Path:
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")
    return path
