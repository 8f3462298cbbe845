"""The ``cksmodel`` command line.

Exit status: 0 success (a decision was made, or no ERROR finding); 1 ERROR
findings (``validate``); 2 invalid input or usage; 70 internal error. Heavy
modules are imported inside the commands so that start-up stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cksmodel import __version__

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

    from cksmodel.findings import Severity
    from cksmodel.ir import PolicyType
    from cksmodel.report import findings_json, findings_text, write_output
    from cksmodel.validate import validate_text

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

    from cksmodel.report import decision_json, decision_text, write_output
    from cksmodel.scenario import simulate

    decision = simulate(Path(args.scenario))
    render = decision_json if args.format == "json" else decision_text
    write_output(render(decision), args.output)
    return EXIT_OK


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
