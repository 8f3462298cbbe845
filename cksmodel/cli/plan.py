"""``prove --plan`` and ``diff``: an account bundle against the bundle after a Terraform plan or
a CloudFormation template is applied (:mod:`cksmodel.infra.apply`).

``prove --plan`` proves the invariants on the applied account and locates every result in the
plan (:func:`cksmodel.invariants.change.prove_change`); ``diff`` lists, per principal, the
actions gained and lost on the account's keys, roles and ``*`` with a replayed witness request
for each. Both render text, JSON or a Markdown summary for a pull-request comment
(:mod:`cksmodel.cli.markdown`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cksmodel.cli.output import write_output
from cksmodel.cli.template_args import key_value

if TYPE_CHECKING:
    from cksmodel.account.model import Account
    from cksmodel.infra.apply import AppliedPlan
    from cksmodel.invariants.access_diff import Access, PermissionDiff
    from cksmodel.invariants.results import ProveReport
    from cksmodel.invariants.spec import Spec
    from cksmodel.symbolic.progress import Progress

__all__ = [
    "add_plan_options",
    "applied_plan",
    "diff_pairs",
    "report_markdown",
    "run_diff",
    "run_prove_plan",
]

EXIT_OK, EXIT_GAINED, EXIT_UNKNOWN = 0, 1, 3

APPLYING = "applying the plan"


def add_plan_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    """``--plan`` and what reading a template needs (the account comes from the bundle)."""
    group = p.add_argument_group(
        "infrastructure code applied to the bundle",
        "A Terraform plan JSON (terraform show -json PLAN) or a CloudFormation template (JSON "
        "or YAML); its account id and partition are the bundle's.",
    )
    group.add_argument(
        "--plan", metavar="FILE", required=required, help="the plan or template to apply"
    )
    group.add_argument(
        "--parameters",
        nargs="+",
        action="extend",
        type=key_value,
        metavar="KEY=VALUE",
        help="CloudFormation parameter values",
    )
    group.add_argument(
        "--template-configuration-file",
        metavar="FILE",
        help='CloudFormation template configuration JSON: {"Parameters": {"KEY": "VALUE"}}',
    )
    group.add_argument(
        "--region", help="AWS::Region (default: the plan's, else the bundle's first Region)"
    )


def applied_plan(args: argparse.Namespace, account: Account, progress: Progress) -> AppliedPlan:
    """The plan or template of ``--plan`` read for the bundle's account and applied to it."""
    from cksmodel.cli.template import read_options
    from cksmodel.infra import read_infrastructure
    from cksmodel.infra.apply import apply_infrastructure
    from cksmodel.infra.model import PLACEHOLDER_ACCOUNT

    progress(APPLYING, 0, 1)
    reading = argparse.Namespace(
        template_configuration_file=args.template_configuration_file,
        parameters=args.parameters,
        account_id=account.account_id,
        region=args.region or (account.regions[0] if account.regions else None),
        partition=account.partition,
    )
    infra = read_infrastructure(Path(args.plan), read_options(reading))
    if infra.kind == "terraform":
        # A plan's own aws_caller_identity and provider Region come first: a plan for
        # another account is refused by apply_infrastructure rather than read as the bundle's.
        options = replace(read_options(reading), account_id=None, region=args.region)
        own = read_infrastructure(Path(args.plan), options)
        if own.account_id != PLACEHOLDER_ACCOUNT:
            infra = own
    applied = apply_infrastructure(account, infra)
    progress(APPLYING, 1, 1)
    return applied


def run_prove_plan(
    args: argparse.Namespace,
    specs: list[Spec],
    account: Account,
    label: str,
    bundled: bool,
    progress: Progress,
) -> int:
    """Prove the specs on the bundle after ``--plan``; exit as ``prove`` does."""
    from cksmodel.cli.markdown import prove_markdown
    from cksmodel.invariants.change import prove_change
    from cksmodel.invariants.reports import sarif_json, to_junit, to_text

    applied = applied_plan(args, account, progress)
    proof = prove_change(
        specs,
        account,
        applied,
        timeout=args.timeout,
        max_counterexamples=args.max_counterexamples,
        progress=progress,
    )
    after = replace(proof.after, account=f"{label} after {args.plan}", bundled_example=bundled)
    proof = replace(proof, after=after)
    if args.format == "json":
        text = json.dumps(proof.to_json(), indent=2) + "\n"
    elif args.format == "sarif":
        text = sarif_json(after)
    elif args.format == "junit":
        text = to_junit(after)
    elif args.format == "markdown":
        text = prove_markdown(proof, plan=args.plan)
    else:
        text = to_text(after)
    write_output(text, args.output)
    return after.exit_code


def report_output(report: ProveReport, fmt: str) -> str:
    """A prove report in the output format asked for (text, json, markdown, sarif, junit)."""
    import json

    from cksmodel.invariants.reports import sarif_json, to_junit, to_text

    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "markdown":
        return report_markdown(report)
    if fmt == "sarif":
        return sarif_json(report)
    if fmt == "junit":
        return to_junit(report)
    return to_text(report)


def report_markdown(report: ProveReport) -> str:
    """``prove --format markdown`` without ``--plan``: the verdicts of one bundle."""
    from cksmodel.cli.markdown import verdicts_markdown

    return verdicts_markdown(report)


def diff_pairs(before: Account, after: Account) -> list[Access]:
    """What ``diff`` asks: every ``kms:`` and ``cloudhsm:`` action, ``iam:PassRole``,
    ``iam:CreateServiceLinkedRole`` and ``sts:AssumeRole`` on ``*``; the key actions on every
    key of either side; the role actions of ``iam:`` and ``sts:AssumeRole`` on every role."""
    from cksmodel.invariants.access_diff import default_actions, on_keys, on_roles
    from cksmodel.policy.catalog import get_catalog

    names = default_actions()
    keys = sorted({k.arn for k in (*before.keys, *after.keys)})
    roles = sorted({p.arn for p in (*before.principals, *after.principals) if p.kind == "role"})
    role_actions = [a for a in (*get_catalog().actions_of("iam"), "sts:AssumeRole") if on_roles(a)]
    return [
        *((a, "*") for a in names),
        *((a, k) for k in keys for a in names if on_keys(a)),
        *((a, r) for r in roles for a in dict.fromkeys(role_actions)),
    ]


def _principals(args: argparse.Namespace, before: Account, after: Account) -> list[str]:
    """The ARNs compared: every user and role of either side, or those ``--principal`` names."""
    from cksmodel.errors import InputError

    every = sorted({p.arn for p in (*before.principals, *after.principals)})
    if not args.principal:
        return every
    chosen = []
    for ref in args.principal:
        found = after.principal(ref) or before.principal(ref)
        if found is None:
            raise InputError(
                f"--principal {ref!r}: no user or role of that name or ARN in the bundle or "
                "the plan",
                code="E_USAGE",
            )
        chosen.append(found.arn)
    return list(dict.fromkeys(chosen))


def diff_json(
    diffs: list[PermissionDiff], applied: AppliedPlan, label: str, plan: str
) -> dict[str, Any]:
    return {
        "account": label,
        "account_id": applied.account.account_id,
        "plan": plan,
        "principals": [d.to_json() for d in diffs],
        "approximations": [a.to_json() for a in applied.approximations],
    }


def diff_exit(diffs: list[PermissionDiff]) -> int:
    """1 when a principal gains access, else 3 when an answer is undecided, else 0."""
    if any(d.gained for d in diffs):
        return EXIT_GAINED
    if any(d.undecided for d in diffs):
        return EXIT_UNKNOWN
    return EXIT_OK


def _witness_text(witness: dict[str, Any] | None) -> str:
    from cksmodel.invariants.reports import summarize_counterexample

    return "" if witness is None else f"  witness: {summarize_counterexample(witness)}"


def diff_text(diffs: list[PermissionDiff], applied: AppliedPlan, label: str, plan: str) -> str:
    lines = [f"account {applied.account.account_id}: bundle {label}, after {plan}", ""]
    for d in diffs:
        if not (d.gained or d.lost or d.undecided):
            continue
        lines.append(
            f"{d.principal}: {len(d.gained)} gained, {len(d.lost)} lost, "
            f"{len(d.undecided)} undecided"
        )
        for sign, items in (("+", d.gained), ("-", d.lost), ("?", d.undecided)):
            for pair in items:
                lines.append(f"  {sign} {pair[0]} on {pair[1]}{_witness_text(d.witness(pair))}")
    if applied.approximations:
        lines += ["", "approximations:", *(f"  - {a}" for a in applied.approximations)]
    gained = sum(len(d.gained) for d in diffs)
    lost = sum(len(d.lost) for d in diffs)
    undecided = sum(len(d.undecided) for d in diffs)
    changed = sum(1 for d in diffs if d.gained or d.lost or d.undecided)
    lines += [
        "",
        f"{gained} gained, {lost} lost, {undecided} undecided; {changed} of {len(diffs)} "
        "principals changed",
    ]
    return "\n".join(lines) + "\n"


def run_diff(args: argparse.Namespace, account: Account, label: str, progress: Progress) -> int:
    """The access each principal gains and loses when ``--plan`` is applied to the bundle."""
    from cksmodel.cli.markdown import diff_markdown
    from cksmodel.invariants.access_diff import permission_diffs

    applied = applied_plan(args, account, progress)
    pairs = diff_pairs(account, applied.account)
    principals = _principals(args, account, applied.account)
    diffs = permission_diffs(
        account, applied.account, principals, pairs, timeout=args.timeout, progress=progress
    )
    if args.format == "json":
        text = json.dumps(diff_json(diffs, applied, label, args.plan), indent=2) + "\n"
    elif args.format == "markdown":
        text = diff_markdown(diffs, applied, label=label, plan=args.plan)
    else:
        text = diff_text(diffs, applied, label, args.plan)
    write_output(text, args.output)
    return diff_exit(diffs)
