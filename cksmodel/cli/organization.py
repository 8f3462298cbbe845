"""``--organization``: ``prove``, ``who-can``, ``can`` and ``graph`` about a whole organization.

The member accounts are analysed as tasks on the executor ``--executor`` names
(in-process by default, a local cluster of ``--workers`` processes, or an existing
cluster by address); the answers are the same whichever runs them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cksmodel.cli.output import write_output
from cksmodel.cli.progress import command_progress
from cksmodel.errors import InputError

if TYPE_CHECKING:
    from cksmodel.invariants.spec import Spec
    from cksmodel.org.analysis import OrgAnalysis, Questions
    from cksmodel.org.union import OrgReach

EXECUTOR_HELP = (
    "where the per-account work runs: local (in this process, the default), local-cluster "
    "(a local cluster of --workers processes), or the address of an existing cluster"
)


def add_options(p: argparse.ArgumentParser) -> None:
    """``--organization``, ``--executor`` and ``--workers``."""
    p.add_argument(
        "--organization",
        metavar="DIR",
        help="an organization bundle (instead of --account): every member account at once",
    )
    p.add_argument("--executor", default="local", metavar="WHERE", help=EXECUTOR_HELP)
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes of the local cluster (default: one per CPU)",
    )


def check_options(args: argparse.Namespace) -> None:
    """``--organization`` replaces ``--account``; ``--executor``/``--workers`` need it."""
    if args.organization is not None and getattr(args, "account", None) is not None:
        raise InputError("give --account or --organization, not both", code="E_USAGE")
    if args.organization is not None and not args.organization.strip():
        raise InputError(
            "--organization is empty: give an organization bundle directory", code="E_USAGE"
        )
    if args.organization is None and (args.executor != "local" or args.workers is not None):
        raise InputError("--executor and --workers apply to --organization", code="E_USAGE")
    if args.workers is not None and args.executor != "local-cluster":
        raise InputError("--workers applies to --executor local-cluster", code="E_USAGE")


def _analyse(
    args: argparse.Namespace, *, specs: Sequence[Spec] = (), questions: Questions = ()
) -> OrgAnalysis:
    """The organization analysed on the executor asked for; warnings go to stderr, except
    for ``prove``, whose report lists them."""
    from cksmodel.org.analysis import analyse_organization
    from cksmodel.org.executor import open_executor

    progress = command_progress(args)
    with open_executor(args.executor, workers=args.workers) as executor:
        analysis = analyse_organization(
            args.organization,
            executor=executor,
            specs=specs,
            questions=questions,
            timeout=args.timeout,
            progress=progress,
        )
    for warning in analysis.warnings if args.command != "prove" else ():
        print(f"cksmodel {args.command}: warning: {warning}", file=sys.stderr)
    return analysis


def run_prove(args: argparse.Namespace, specs: Sequence[Spec]) -> int:
    """``prove --organization``: per-account invariants in every member account, and the
    organization-wide ones on the joined graph."""
    from cksmodel.cli import plan
    from cksmodel.org.prove import organization_report, questions_of, split_specs

    if args.plan is not None:
        raise InputError("--plan applies to --account, not --organization", code="E_USAGE")
    per_account, whole = split_specs(specs)
    analysis = _analyse(
        args,
        specs=[s for s in per_account if s.invariants],
        questions=lambda surveys: questions_of(whole, surveys),
    )
    report = organization_report(
        analysis,
        [s for s in per_account if s.invariants],
        whole,
        max_counterexamples=args.max_counterexamples,
    )
    text = plan.report_output(report, args.format)
    if args.format == "text":
        text = _org_line(analysis) + text.partition("\n")[2]
    write_output(text, args.output)
    return report.exit_code


def run_who_can(args: argparse.Namespace) -> int:
    """``who-can --organization``: principals of every member account (and those the
    organization names), each with its account and the account of every hop."""
    from cksmodel.graph.query import check_action

    check_action(args.action)
    if args.direct_only or args.max_hops is not None:
        raise InputError(
            "--direct-only and --max-hops apply to --account, not --organization",
            code="E_USAGE",
        )
    analysis = _analyse(args, questions=[(args.action, args.resource)])
    found = analysis.graph.who_can(
        args.action, args.resource, exclude_aws_internal=args.exclude_aws_internal
    )
    if args.format == "json":
        payload = {
            **_org_fields(analysis),
            "action": args.action,
            "resource": args.resource,
            "transitive": True,
            "principals": [r.to_json() for r in found],
            "accounts": sorted({r.reach.account for r in found if r.reach.account}),
            "warnings": list(analysis.warnings),
        }
        text = json.dumps(payload, indent=2) + "\n"
    else:
        text = _org_line(analysis) + _who_can_text(args.action, args.resource, found)
    write_output(text, args.output)
    return 3 if any(not r.reach.decided for r in found) else 0


def run_can(args: argparse.Namespace) -> int:
    """``can --organization``: one principal's cheapest path, across accounts."""
    from cksmodel.graph.query import check_action

    check_action(args.action)
    if not args.principal.startswith("arn:"):
        raise InputError(
            "with --organization, name the principal by ARN (names repeat across accounts)",
            code="E_USAGE",
        )
    analysis = _analyse(args, questions=[(args.action, args.resource)])
    from cksmodel.account.outside import same_identity

    found = next(
        (
            r
            for r in analysis.graph.who_can(args.action, args.resource)
            if same_identity(r.reach.arn, args.principal) or r.reach.arn == args.principal
        ),
        None,
    )
    if args.format == "json":
        payload: dict[str, object] = {
            **_org_fields(analysis),
            "can": found is not None and found.reach.decided,
            "undecided": bool(found and not found.reach.decided),
        }
        if found is not None:
            described = found.to_json()
            payload["principal"] = {k: v for k, v in described.items() if k != "path"}
            payload["path"] = described["path"]
        else:
            payload["path"] = []
        text = json.dumps(payload, indent=2) + "\n"
    elif found is None:
        text = _org_line(analysis) + f"{args.principal} cannot {args.action} on {args.resource}\n"
    else:
        verb = "can" if found.reach.decided else "may (undecided)"
        head = f"{args.principal} {verb} {args.action} on {args.resource}"
        text = _org_line(analysis) + "\n".join([head, *_path_lines(found)]) + "\n"
    write_output(text, args.output)
    if found is None:
        return 1
    return 0 if found.reach.decided else 3


def run_graph(args: argparse.Namespace) -> int:
    """``graph --organization``: the joined graph of every member account."""
    from cksmodel.graph.render import (
        focus,
        to_dot,
        to_graphml,
        to_html,
        to_json,
        without_aws_internal,
    )

    questions: list[tuple[str, str]] = []
    if args.focus and ":" in args.focus and not args.focus.startswith("arn:"):
        questions.append((args.focus, "*"))
    analysis = _analyse(args, questions=questions)
    graph = analysis.graph.graph
    title = f"Reachability graph of organization {analysis.organization.organization_id}"
    graph.graph.update(
        title=title,
        account=analysis.organization.organization_id,
        bundle=args.organization,
        bundled_example=False,
        warnings=list(analysis.warnings),
    )
    if args.focus:
        graph = focus(graph, _focus_node(analysis, args.focus))
    if args.exclude_aws_internal:
        graph = without_aws_internal(graph)
    if args.format == "dot":
        text = to_dot(graph)
    elif args.format == "graphml":
        text = to_graphml(graph)
    elif args.format == "html":
        text = to_html(graph, title=title)
    else:
        text = json.dumps(to_json(graph), indent=2) + "\n"
    write_output(text, args.output)
    return 0


def _focus_node(analysis: OrgAnalysis, name: str) -> str:
    """An action is focused on every account's node for it."""
    nodes = analysis.graph.questions.get((name, "*"))
    if not nodes:
        return name
    graph = analysis.graph.graph
    hub = f"action:{name} in the organization"
    graph.add_node(
        hub,
        kind="action",
        label=f"{name} in any account",
        arn="",
        account="",
        service_linked=False,
        outside_bundle=False,
        aws_internal=False,
        member=False,
    )
    for node in nodes:
        graph.add_edge(node, hub, kind="in", via="in the organization", status="holds")
    return hub


def _org_fields(analysis: OrgAnalysis) -> dict[str, object]:
    org = analysis.organization
    return {
        "organization": analysis.folder,
        "organization_id": org.organization_id,
        "management_account": org.management_account,
        "accounts_analysed": [g.account_id for g in analysis.accounts],
    }


def _org_line(analysis: OrgAnalysis) -> str:
    org = analysis.organization
    return (
        f"organization {org.organization_id} (bundle {analysis.folder}): "
        f"{len(analysis.accounts)} member account(s) analysed\n"
    )


def _path_lines(found: OrgReach) -> list[str]:
    """A path hop by hop, each hop with the account whose policies decided it."""
    from cksmodel.cli.reach_text import path_lines

    lines = path_lines(found.reach)
    hop = 0
    for n, text in enumerate(lines):
        if text.startswith("    ") and text[4:].split(".", 1)[0].isdigit():
            lines[n] = f"{text}  (account {found.accounts[hop]})"
            hop += 1
    return lines


def _who_can_text(action: str, resource: str, found: Sequence[OrgReach]) -> str:
    lines = [f"who can {action} on {resource}:"]
    for r in found:
        reach = r.reach
        how = "directly" if reach.direct else f"through {len(reach.path) - 1} step(s)"
        state = "" if reach.decided else "  (undecided: may reach)"
        where = "" if r.member else "  [outside the organization's bundles]"
        lines.append(f"  {reach.label}  {how}{state}{where}")
        lines += _path_lines(r)
    accounts = sorted({r.reach.account for r in found if r.reach.account})
    undecided = sum(1 for r in found if not r.reach.decided)
    lines.append(f"{len(found)} principal(s) of {len(accounts)} account(s), {undecided} undecided")
    return "\n".join(lines) + "\n"
