"""The ``cksmodel`` command line.

Exit status: 0 success (a decision was made, or no ERROR finding); 1 ERROR
findings (``validate``); 2 invalid input or usage; 70 internal error. Heavy
modules are imported inside the commands so that start-up stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cksmodel import __version__

if TYPE_CHECKING:
    from cksmodel.graph import AccessGraph, Reach, WhoCan
    from cksmodel.policy.ir import PolicyType

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 70

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
    from pathlib import Path

    from cksmodel.cli.output import findings_json, findings_text, write_output
    from cksmodel.policy.findings import Severity
    from cksmodel.policy.ir import PolicyType
    from cksmodel.policy.validate import validate_text

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"cksmodel validate: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_INPUT
    findings = validate_text(data, policy_type=PolicyType(args.policy_type), source=args.file)
    render = findings_json if args.format == "json" else findings_text
    write_output(render(findings, args.file), args.output)
    return EXIT_FINDINGS if any(f.severity is Severity.ERROR for f in findings) else EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cksmodel.cli.output import decision_json, decision_text, write_output
    from cksmodel.concrete.scenario import simulate

    decision = simulate(Path(args.scenario))
    render = decision_json if args.format == "json" else decision_text
    write_output(render(decision), args.output)
    return EXIT_OK


EXIT_UNKNOWN = 3


def _policy_type(args: argparse.Namespace) -> tuple[PolicyType, bool]:
    from cksmodel.symbolic.checks import POLICY_TYPES

    ptype = POLICY_TYPES[args.policy_type]
    return ptype, args.policy_type == "IDENTITY_POLICY"


def _emit_check(args: argparse.Namespace, result: object) -> int:
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.symbolic.checks import CheckResult, result_text

    assert isinstance(result, CheckResult)
    text = (
        json.dumps(result.to_json(), indent=2) + "\n"
        if args.format == "json"
        else result_text(result)
    )
    write_output(text, args.output)
    return result.exit_code


def _cmd_no_new_access(args: argparse.Namespace) -> int:
    from cksmodel.symbolic.checks import check_no_new_access, read_policy_argument

    ptype, identity = _policy_type(args)
    existing = read_policy_argument(
        args.existing_policy_document, policy_type=ptype, name="existing"
    )
    new = read_policy_argument(args.new_policy_document, policy_type=ptype, name="new")
    result = check_no_new_access(
        existing,
        new,
        identity=identity,
        timeout=args.timeout,
        max_examples=args.max_counterexamples,
    )
    return _emit_check(args, result)


def _cmd_access_not_granted(args: argparse.Namespace) -> int:
    from cksmodel.symbolic.checks import (
        check_access_not_granted,
        parse_access,
        read_policy_argument,
    )

    ptype, identity = _policy_type(args)
    policy = read_policy_argument(args.policy_document, policy_type=ptype, name="policy")
    result = check_access_not_granted(
        policy,
        parse_access(args.access),
        identity=identity,
        timeout=args.timeout,
        max_examples=args.max_counterexamples,
    )
    return _emit_check(args, result)


def _cmd_no_public_access(args: argparse.Namespace) -> int:
    from cksmodel.symbolic.checks import (
        RESOURCE_TYPES,
        check_no_public_access,
        read_policy_argument,
    )

    ptype = RESOURCE_TYPES[args.resource_type][0]
    policy = read_policy_argument(args.policy_document, policy_type=ptype, name="policy")
    result = check_no_public_access(
        policy, args.resource_type, timeout=args.timeout, max_examples=args.max_counterexamples
    )
    return _emit_check(args, result)


def _cmd_compare(args: argparse.Namespace) -> int:
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.symbolic.checks import compare_policies, comparison_text, read_policy_argument
    from cksmodel.symbolic.query import Relation

    ptype, identity = _policy_type(args)
    a = read_policy_argument(args.a, policy_type=ptype, name="A")
    b = read_policy_argument(args.b, policy_type=ptype, name="B")
    comparison = compare_policies(
        a, b, identity=identity, timeout=args.timeout, max_examples=args.max_counterexamples
    )
    text = (
        json.dumps(comparison.to_json(), indent=2) + "\n"
        if args.format == "json"
        else comparison_text(comparison)
    )
    write_output(text, args.output)
    return EXIT_UNKNOWN if comparison.relation is Relation.UNKNOWN else EXIT_OK


def _shipped(name: str) -> str:
    """A directory shipped with the package (or beside it in a checkout)."""
    from importlib import resources
    from pathlib import Path

    packaged = resources.files("cksmodel") / name
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parents[2] / name)


def _cmd_prove(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cksmodel.account.bundle import load_bundle
    from cksmodel.cli.output import write_output
    from cksmodel.invariants.prove import prove
    from cksmodel.invariants.reports import sarif_json, to_junit, to_text
    from cksmodel.invariants.spec import SpecError, load_spec

    paths: list[Path] = []
    for given in args.specs or [_shipped("specs")]:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.glob("*.spec"))
            if not found:
                raise SpecError(f"no *.spec files in {given!r}", code="E_IO")
            paths.extend(found)
        else:
            paths.append(path)
    specs = [load_spec(p) for p in paths]
    account = load_bundle(Path(args.account or _shipped("examples/cks-account")))
    report = prove(
        specs, account, timeout=args.timeout, max_counterexamples=args.max_counterexamples
    )
    if args.format == "json":
        import json

        text = json.dumps(report.to_json(), indent=2) + "\n"
    elif args.format == "sarif":
        text = sarif_json(report)
    elif args.format == "junit":
        text = to_junit(report)
    else:
        text = to_text(report)
    write_output(text, args.output)
    return report.exit_code


def _load_graph(args: argparse.Namespace, *, whole: bool = False) -> AccessGraph:
    """The account's graph, after the question's action and principal are checked: built
    whole for drawing, grown by the question otherwise."""
    from pathlib import Path

    from cksmodel.account.bundle import load_bundle
    from cksmodel.graph import build_graph
    from cksmodel.graph.goal import goal_graph
    from cksmodel.graph.query import check_action, check_principal

    if getattr(args, "action", None):
        check_action(args.action)
    account = load_bundle(Path(args.account or _shipped("examples/cks-account")))
    if getattr(args, "principal", None):
        check_principal(account, args.principal)
    for warning in account.warnings:
        print(f"cksmodel {args.command}: warning: {warning}", file=sys.stderr)
    if whole:
        return build_graph(account, timeout=args.timeout)
    return goal_graph(account, timeout=args.timeout)


def _path_lines(reach: Reach) -> list[str]:
    lines = []
    for n, hop in enumerate(reach.path, 1):
        where = f" at {hop.file}:{hop.line}:{hop.column}" if hop.line >= 0 else ""
        statement = f"{hop.policy} statement {hop.statement_index}" if hop.policy else ""
        sid = f" ({hop.sid})" if hop.sid else ""
        lines.append(f"    {n}. {hop.source} -> {hop.target}  [{hop.via}, {hop.status}]")
        if statement:
            lines.append(f"       {statement}{sid}{where}")
        if hop.condition:
            lines.append(f"       when {hop.condition}")
        if hop.reason:
            lines.append(f"       note: {hop.reason}")
    return lines


def _who_can_text(answer: WhoCan) -> str:
    lines = [f"who can {answer.action} on {answer.resource}:"]
    for r in answer.principals:
        how = "directly" if r.direct else f"through {len(r.path) - 1} step(s)"
        state = "" if r.decided else "  (undecided: may reach)"
        lines.append(f"  {r.label}  {how}{state}")
        lines += _path_lines(r)
    direct = sum(1 for r in answer.principals if r.direct)
    undecided = sum(1 for r in answer.principals if not r.decided)
    lines.append(
        f"{len(answer.principals)} principal(s): {direct} directly, "
        f"{len(answer.principals) - direct} through escalation, {undecided} undecided"
    )
    return "\n".join(lines) + "\n"


def _cmd_who_can(args: argparse.Namespace) -> int:
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.graph import who_can

    g = _load_graph(args)
    answer = who_can(
        g,
        args.action,
        args.resource,
        transitive=not args.direct_only,
        max_hops=args.max_hops,
    )
    if args.format == "json":
        text = json.dumps(answer.to_json(), indent=2) + "\n"
    else:
        text = _who_can_text(answer)
    write_output(text, args.output)
    return EXIT_UNKNOWN if any(not r.decided for r in answer.principals) else EXIT_OK


def _cmd_can(args: argparse.Namespace) -> int:
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.graph import can

    g = _load_graph(args)
    reach = can(g, args.principal, args.action, args.resource)
    if args.format == "json":
        payload: dict[str, object] = {
            "can": reach is not None and reach.decided,
            "undecided": bool(reach and not reach.decided),
        }
        payload["path"] = [h.to_json() for h in reach.path] if reach else []
        text = json.dumps(payload, indent=2) + "\n"
    elif reach is None:
        text = f"{args.principal} cannot {args.action} on {args.resource}\n"
    else:
        verb = "can" if reach.decided else "may (undecided)"
        text = (
            "\n".join(
                [f"{args.principal} {verb} {args.action} on {args.resource}", *_path_lines(reach)]
            )
            + "\n"
        )
    write_output(text, args.output)
    if reach is None:
        return EXIT_FINDINGS
    return EXIT_OK if reach.decided else EXIT_UNKNOWN


def _cmd_graph(args: argparse.Namespace) -> int:
    import json

    from cksmodel.cli.output import write_output
    from cksmodel.graph.query import add_action
    from cksmodel.graph.render import focus, to_dot, to_graphml, to_html, to_json

    g = _load_graph(args, whole=True)
    graph = g.graph
    if args.focus:
        if ":" in args.focus and not args.focus.startswith("arn:"):
            add_action(g, args.focus)
        graph = focus(graph, args.focus)
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


def _symbolic_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")
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
        help="how many distinct replayed counterexamples to report on FAIL (default 1)",
    )


POLICY_ARG_HELP = "a path, '-' for stdin, file://path, or inline JSON"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cksmodel",
        description=(
            "Formal authorization model and policy simulator for AWS KMS custom key stores. "
            "Exit status: 0 success, 1 findings/refutation, 2 invalid input, 70 internal error."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cksmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = sub.add_parser(
        "validate",
        help="check a policy document for errors and risky patterns",
        description=(
            "Report findings (ERROR, SECURITY_WARNING, WARNING, SUGGESTION) with stable codes "
            "and line:column. Exit 0 when no ERROR, 1 when any ERROR, 2 when the file "
            "cannot be read."
        ),
    )
    validate.add_argument("file", metavar="FILE", help="policy document (JSON)")
    validate.add_argument(
        "--policy-type", required=True, choices=POLICY_TYPES, help="where the policy is attached"
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument(
        "--output", metavar="FILE", help="write the report here instead of stdout"
    )
    validate.set_defaults(run=_cmd_validate)

    simulate = sub.add_parser(
        "simulate",
        help="decide one request exactly as AWS would, and explain why",
        description=(
            "Evaluate the request of a scenario file against its policies. Prints the decision "
            "(allowed, explicitDeny, implicitDeny), the statements that decided it with their "
            "positions, and the context keys the conditions needed but the request lacked. "
            "Exit 0 when a decision was made, whatever it is; 2 on invalid input."
        ),
    )
    simulate.add_argument("scenario", metavar="SCENARIO", help="scenario file (JSON)")
    simulate.add_argument("--format", choices=("text", "json"), default="text")
    simulate.add_argument(
        "--output", metavar="FILE", help="write the result here instead of stdout"
    )
    simulate.set_defaults(run=_cmd_simulate)

    checks_epilog = "Exit status: 0 PASS, 1 FAIL, 3 UNKNOWN, 2 invalid input."
    nna = sub.add_parser(
        "check-no-new-access",
        help="does a new policy grant anything the existing one does not?",
        description=(
            "PASS when every request the new policy allows is allowed by the existing policy; "
            "FAIL with replayed counterexample requests otherwise."
        ),
        epilog=checks_epilog,
    )
    nna.add_argument("--existing-policy-document", required=True, metavar="P", help=POLICY_ARG_HELP)
    nna.add_argument("--new-policy-document", required=True, metavar="P", help=POLICY_ARG_HELP)
    nna.add_argument("--policy-type", required=True, choices=("IDENTITY_POLICY", "RESOURCE_POLICY"))
    _symbolic_options(nna)
    nna.set_defaults(run=_cmd_no_new_access)

    ang = sub.add_parser(
        "check-access-not-granted",
        help="does a policy grant none of the listed actions/resources?",
        description=(
            "PASS when the policy allows no request for the listed actions on the listed resources."
        ),
        epilog=checks_epilog,
    )
    ang.add_argument("--policy-document", required=True, metavar="P", help=POLICY_ARG_HELP)
    ang.add_argument(
        "--access",
        required=True,
        metavar="JSON",
        help='e.g. \'{"actions": ["kms:Decrypt"], "resources": ["arn:aws:kms:..."]}\'',
    )
    ang.add_argument("--policy-type", required=True, choices=("IDENTITY_POLICY", "RESOURCE_POLICY"))
    _symbolic_options(ang)
    ang.set_defaults(run=_cmd_access_not_granted)

    from cksmodel.symbolic.checks import RESOURCE_TYPES

    npa = sub.add_parser(
        "check-no-public-access",
        help="does a resource policy grant access to anonymous callers or unnamed accounts?",
        description=(
            "PASS when no anonymous caller and no principal of an account the policy does not "
            "name (without a fixed organization, VPC, source or IP value named in the policy) "
            "is allowed."
        ),
        epilog=checks_epilog,
    )
    npa.add_argument("--policy-document", required=True, metavar="P", help=POLICY_ARG_HELP)
    npa.add_argument("--resource-type", required=True, choices=sorted(RESOURCE_TYPES))
    _symbolic_options(npa)
    npa.set_defaults(run=_cmd_no_public_access)

    cmp_ = sub.add_parser(
        "compare",
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
    _symbolic_options(cmp_)
    cmp_.set_defaults(run=_cmd_compare)

    prove = sub.add_parser(
        "prove",
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
    prove.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text")
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
    prove.set_defaults(run=_cmd_prove)

    def graph_options(p: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
        p.add_argument(
            "--account", metavar="BUNDLE", help="account bundle directory (default: the example)"
        )
        p.add_argument("--format", choices=formats, default=formats[0])
        p.add_argument("--output", metavar="FILE", help="write the result here instead of stdout")
        p.add_argument(
            "--timeout", type=_seconds, default=30.0, metavar="S", help="seconds per solver query"
        )

    who = sub.add_parser(
        "who-can",
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
    graph_options(who, ("text", "json"))
    who.set_defaults(run=_cmd_who_can)

    can_ = sub.add_parser(
        "can",
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
        help="the reachability graph: DOT, GraphML, JSON or an interactive HTML page",
        description=(
            "Who can act as whom in the account, every edge with the statement that allows it. "
            "--focus keeps one principal's ancestors and descendants, or everyone who can "
            "reach an action."
        ),
    )
    graph.add_argument("--focus", metavar="PRINCIPAL|ACTION", help="keep only what leads there")
    graph_options(graph, ("dot", "graphml", "json", "html"))
    graph.set_defaults(run=_cmd_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from cksmodel.errors import CksError, InputError

    try:
        status: int = args.run(args)
    except InputError as exc:
        print(f"cksmodel {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except CksError as exc:
        print(f"cksmodel {args.command}: internal error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print(f"cksmodel {args.command}: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
