"""The commands that check policies one at a time: ``check-no-new-access``,
``check-access-not-granted``, ``check-no-public-access`` (each also over the policies of a
Terraform plan or CloudFormation template with ``--template-path``) and ``compare``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cksmodel.cli.progress import command_progress as _progress

if TYPE_CHECKING:
    from cksmodel.policy.ir import PolicyType

EXIT_OK, EXIT_UNKNOWN = 0, 3
READING_POLICIES = "reading the policies"


def _policy_type(args: argparse.Namespace) -> tuple[PolicyType, bool]:
    from cksmodel.symbolic.checks import POLICY_TYPES

    ptype = POLICY_TYPES[args.policy_type]
    return ptype, args.policy_type == "IDENTITY_POLICY"


def _emit_check(args: argparse.Namespace, result: object, sources: tuple[str, ...]) -> int:
    import json

    from cksmodel.cli.ci import catalog_json, check_junit, check_outcome, check_sarif
    from cksmodel.cli.output import write_output
    from cksmodel.symbolic.checks import CheckResult, result_text

    assert isinstance(result, CheckResult)
    if args.format == "json":
        text = json.dumps({**result.to_json(), "catalog": catalog_json()}, indent=2) + "\n"
    elif args.format in ("sarif", "junit"):
        outcome = check_outcome(args.command, result, sources)
        text = check_sarif(outcome) if args.format == "sarif" else check_junit(outcome)
    else:
        text = result_text(result)
    write_output(text, args.output)
    return result.exit_code


def _source(arg: str) -> str:
    """How a policy argument is named in a report: its path, or what it is."""
    if arg == "-":
        return "<stdin>"
    return "<inline>" if arg.lstrip().startswith("{") else arg.removeprefix("file://")


def cmd_no_new_access(args: argparse.Namespace) -> int:
    from cksmodel.cli.template_args import template_check
    from cksmodel.symbolic.checks import check_no_new_access, read_policy_argument

    if template_check(
        args,
        ("--reference-policy", "--reference-policy-type"),
        ("--existing-policy-document", "--new-policy-document", "--policy-type"),
    ):
        from cksmodel.cli.template import run_template_check

        return run_template_check(args, "check-no-new-access")

    ptype, identity = _policy_type(args)
    progress = _progress(args)
    progress(READING_POLICIES, 0, 2)
    existing = read_policy_argument(
        args.existing_policy_document, policy_type=ptype, name="existing"
    )
    new = read_policy_argument(args.new_policy_document, policy_type=ptype, name="new")
    progress(READING_POLICIES, 2, 2)
    result = check_no_new_access(
        existing,
        new,
        identity=identity,
        timeout=args.timeout,
        max_examples=args.max_counterexamples,
        progress=progress,
    )
    return _emit_check(
        args,
        result,
        (_source(args.existing_policy_document), _source(args.new_policy_document)),
    )


def cmd_access_not_granted(args: argparse.Namespace) -> int:
    from cksmodel.cli.template_args import template_check
    from cksmodel.symbolic.checks import (
        check_access_not_granted,
        parse_access,
        read_policy_argument,
    )

    if template_check(
        args, ("--actions", "--resources"), ("--policy-document", "--access", "--policy-type")
    ):
        from cksmodel.cli.template import run_template_check

        return run_template_check(args, "check-access-not-granted")
    ptype, identity = _policy_type(args)
    progress = _progress(args)
    progress(READING_POLICIES, 0, 1)
    policy = read_policy_argument(args.policy_document, policy_type=ptype, name="policy")
    progress(READING_POLICIES, 1, 1)
    result = check_access_not_granted(
        policy,
        parse_access(args.access),
        identity=identity,
        timeout=args.timeout,
        max_examples=args.max_counterexamples,
        progress=progress,
    )
    return _emit_check(args, result, (_source(args.policy_document),))


def cmd_no_public_access(args: argparse.Namespace) -> int:
    from cksmodel.cli.template_args import template_check
    from cksmodel.symbolic.checks import (
        RESOURCE_TYPES,
        check_no_public_access,
        read_policy_argument,
    )

    if template_check(args, (), ("--policy-document", "--resource-type")):
        from cksmodel.cli.template import run_template_check

        return run_template_check(args, "check-no-public-access")
    ptype = RESOURCE_TYPES[args.resource_type][0]
    progress = _progress(args)
    progress(READING_POLICIES, 0, 1)
    policy = read_policy_argument(args.policy_document, policy_type=ptype, name="policy")
    progress(READING_POLICIES, 1, 1)
    result = check_no_public_access(
        policy,
        args.resource_type,
        timeout=args.timeout,
        max_examples=args.max_counterexamples,
        progress=progress,
    )
    return _emit_check(args, result, (_source(args.policy_document),))


def cmd_compare(args: argparse.Namespace) -> int:
    import json

    from cksmodel.cli.ci import catalog_json, check_junit, check_sarif, comparison_outcome
    from cksmodel.cli.output import write_output
    from cksmodel.symbolic.checks import compare_policies, comparison_text, read_policy_argument
    from cksmodel.symbolic.query import Relation

    ptype, identity = _policy_type(args)
    progress = _progress(args)
    progress(READING_POLICIES, 0, 2)
    a = read_policy_argument(args.a, policy_type=ptype, name="A")
    b = read_policy_argument(args.b, policy_type=ptype, name="B")
    progress(READING_POLICIES, 2, 2)
    comparison = compare_policies(
        a,
        b,
        identity=identity,
        timeout=args.timeout,
        max_examples=args.max_counterexamples,
        progress=progress,
    )
    if args.format == "json":
        text = json.dumps({**comparison.to_json(), "catalog": catalog_json()}, indent=2) + "\n"
    elif args.format in ("sarif", "junit"):
        outcome = comparison_outcome(comparison, (_source(args.a), _source(args.b)))
        text = check_sarif(outcome) if args.format == "sarif" else check_junit(outcome)
    else:
        text = comparison_text(comparison)
    write_output(text, args.output)
    return EXIT_UNKNOWN if comparison.relation is Relation.UNKNOWN else EXIT_OK
