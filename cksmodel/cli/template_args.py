"""The command-line options of ``--template-path``, named as in AWS's policy validators
(``cfn-policy-validator``, ``tf-policy-validator``); kept apart from :mod:`cksmodel.cli.template`
so that building the parser imports nothing heavy."""

from __future__ import annotations

import argparse

from cksmodel.policy.findings import Severity

__all__ = ["add_template_options", "comma_list"]


def comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, not {text!r}")
    return items


def _key_value(text: str) -> tuple[str, str]:
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


def add_template_options(p: argparse.ArgumentParser, *, check: bool) -> None:
    """The options AWS's policy validators share, for a command taking ``--template-path``."""
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
        type=_key_value,
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
