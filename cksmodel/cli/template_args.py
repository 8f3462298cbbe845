"""The command-line options of ``--template-path``, named as in AWS's policy validators
(``cfn-policy-validator``, ``tf-policy-validator``); kept apart from :mod:`cksmodel.cli.template`
so that building the parser imports nothing heavy."""

from __future__ import annotations

import argparse
from typing import NoReturn

from cksmodel.errors import InputError
from cksmodel.policy.findings import Severity

__all__ = [
    "TEMPLATE_READING",
    "add_template_options",
    "comma_list",
    "key_value",
    "missing",
    "template_check",
    "template_or_documents",
    "usage",
]


def comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, not {text!r}")
    return items


def key_value(text: str) -> tuple[str, str]:
    """A ``KEY=VALUE`` argument as a pair."""
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def _blocking_types(text: str) -> tuple[Severity, ...]:
    out: list[Severity] = []
    for item in comma_list(text.upper()):
        if item == "NONE":
            return ()
        try:
            out.append(Severity(item))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not a finding type; expected ERROR, SECURITY_WARNING, WARNING, "
                "SUGGESTION or NONE"
            ) from None
    return tuple(out)


def add_template_options(p: argparse.ArgumentParser, *, command: str) -> None:
    """The options of AWS's policy validators, for a command taking ``--template-path``."""
    check = command != "validate"
    group = p.add_argument_group(
        "infrastructure code (instead of a policy document)",
        "A Terraform plan JSON (terraform show -json PLAN) or a CloudFormation template "
        "(JSON or YAML); every policy in it is one result.",
    )
    group.add_argument("--template-path", metavar="FILE", help="the plan or template")
    group.add_argument(
        "--parameters",
        nargs="+",
        action="extend",
        type=key_value,
        metavar="KEY=VALUE",
        help="CloudFormation parameter values (repeatable; they override the configuration file)",
    )
    group.add_argument(
        "--template-configuration-file",
        metavar="FILE",
        help='CloudFormation template configuration JSON: {"Parameters": {"KEY": "VALUE"}}',
    )
    group.add_argument(
        "--account-id",
        metavar="ID",
        help="AWS::AccountId (default: the plan's aws_caller_identity, else 123456789012, "
        "reported as an approximation)",
    )
    group.add_argument(
        "--region", help="AWS::Region (default: the plan's, else us-east-1, an approximation)"
    )
    group.add_argument("--partition", help="AWS::Partition (default: from the Region)")
    group.add_argument(
        "--ignore-finding",
        type=comma_list,
        action="extend",
        metavar="CODE,RESOURCE,RESOURCE.CODE",
        help="findings to drop: by code, by resource (logical id or address), or both",
    )
    if check:
        group.add_argument(
            "--treat-findings-as-non-blocking",
            action="store_true",
            help="report FAIL results as non-blocking findings (exit 0)",
        )
    else:
        group.add_argument(
            "--treat-finding-type-as-blocking",
            "--treat-as-blocking",
            dest="treat_as_blocking",
            type=_blocking_types,
            metavar="ERROR,SECURITY_WARNING,…",
            help="finding types that block (exit 1); default ERROR,SECURITY_WARNING; NONE: none",
        )

    if command == "check-no-new-access":
        group.add_argument(
            "--reference-policy",
            metavar="P",
            help="the policy every policy of the template is compared to",
        )
        group.add_argument(
            "--reference-policy-type",
            type=str.upper,
            choices=("IDENTITY", "RESOURCE"),
            help="IDENTITY compares identity policies; RESOURCE resource, trust and key policies",
        )
    elif command == "check-access-not-granted":
        group.add_argument(
            "--actions",
            type=comma_list,
            action="extend",
            metavar="A,B",
            help="actions no policy may grant (comma-separated)",
        )
        group.add_argument(
            "--resources",
            type=comma_list,
            action="extend",
            metavar="ARN,ARN",
            help="resources no policy may grant access to (comma-separated)",
        )


def usage(args: argparse.Namespace, message: str) -> NoReturn:
    """Refuse a combination of options as argparse refuses a missing one: the command's usage
    and the message on stderr, exit 2."""
    parser = getattr(args, "usage_parser", None)
    if isinstance(parser, argparse.ArgumentParser):
        parser.error(message)
    raise InputError(message, code="E_USAGE")


def template_or_documents(
    args: argparse.Namespace, template_only: tuple[str, ...], document_only: tuple[str, ...]
) -> bool:
    """Whether the command reads ``--template-path``; the options of the other way are refused,
    and those the chosen way needs are required."""

    def given(name: str) -> bool:
        return getattr(args, name.lstrip("-").replace("-", "_"), None) not in (None, [], False)

    if args.template_path:
        clash = [name for name in document_only if given(name)]
        if clash:
            usage(args, f"{', '.join(clash)} cannot be given with --template-path")
        return True
    clash = [name for name in template_only if given(name)]
    if clash:
        usage(args, f"{', '.join(clash)} needs --template-path")
    return False


TEMPLATE_READING = (
    "--parameters",
    "--template-configuration-file",
    "--account-id",
    "--region",
    "--partition",
    "--ignore-finding",
)


def missing(args: argparse.Namespace, *names: str) -> None:
    """Refuse the absence of options the policy-document way requires."""
    absent = [n for n in names if getattr(args, n.lstrip("-").replace("-", "_"), None) is None]
    if absent:
        required = ", ".join(absent)
        usage(args, f"the following arguments are required: {required} (or --template-path)")


def template_check(
    args: argparse.Namespace, template_only: tuple[str, ...], own: tuple[str, ...]
) -> bool:
    """Whether a check reads ``--template-path`` (then it runs there); else its own options
    are required."""
    template = (*TEMPLATE_READING, "--treat-findings-as-non-blocking", *template_only)
    if template_or_documents(args, template, own):
        return True
    missing(args, *own)
    return False
