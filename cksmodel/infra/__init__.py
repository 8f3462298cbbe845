"""Infrastructure code as input: Terraform plans and CloudFormation templates.

:func:`read_infrastructure` reads either (the kind is told from the content: a plan has
``format_version`` and ``planned_values`` or ``resource_changes``) into one
:class:`~cksmodel.infra.model.Infrastructure`: the policy documents the ``validate`` and
``check-*`` commands report on, and the account-level facts, each with its location.
"""

from __future__ import annotations

from pathlib import Path

from cksmodel.errors import InputError
from cksmodel.infra.cloudformation import read_template
from cksmodel.infra.model import InfraError, Infrastructure, ReadOptions
from cksmodel.infra.terraform import is_plan, read_plan
from cksmodel.infra.yamltext import parse_yaml
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, decode_document, parse_json
from cksmodel.source import Span, read_regular_file

__all__ = ["MAX_PLAN_BYTES", "MAX_TEMPLATE_BYTES", "read_infrastructure"]

MAX_PLAN_BYTES = 64 * 1024 * 1024
"""Largest plan read: plans of large stacks run to tens of MB."""

MAX_TEMPLATE_BYTES = MAX_DOCUMENT_BYTES
"""Largest YAML template read: CloudFormation's own limit is 1 MB (from S3)."""


def read_infrastructure(path: Path, options: ReadOptions | None = None) -> Infrastructure:
    """Read a Terraform plan JSON or a CloudFormation template (JSON or YAML).

    Every problem with the file is an :class:`InfraError` naming the file, line and column.
    """
    source = str(path)
    start = Span(source=source, line=1, column=1)
    try:
        data = read_regular_file(path, limit=MAX_PLAN_BYTES)
    except FileNotFoundError:
        raise InfraError(f"{source} does not exist", span=start, code="E_IO") from None
    except OSError as exc:
        raise InfraError(f"cannot read {source}: {exc.strerror}", span=start, code="E_IO") from None
    try:
        text = decode_document(data, source, limit=MAX_PLAN_BYTES)
        if text.lstrip().startswith(("{", "[")):
            value = parse_json(text, source, limit=MAX_PLAN_BYTES)
        else:
            if len(text) > MAX_TEMPLATE_BYTES:
                raise InfraError(
                    f"the YAML template is {len(text):,} characters; the limit is "
                    f"{MAX_TEMPLATE_BYTES:,}",
                    span=start,
                    code="E_TOO_LARGE",
                )
            value = parse_yaml(text, source)
    except InfraError:
        raise
    except InputError as exc:
        raise InfraError(exc.message, span=exc.span, code=exc.code) from None
    options = options or ReadOptions()
    if is_plan(value):
        return read_plan(value, source, options)
    return read_template(value, source, options)
