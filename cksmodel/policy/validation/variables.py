"""Policy-variable checks where variables are substituted: Resource and String/Arn values.

Shared by the resource and condition checks: without Version 2012-10-17 a
variable is literal text; otherwise it must be well formed and name a known
condition key.
"""

from __future__ import annotations

from cksmodel.policy.ir import VERSION_2012, Value
from cksmodel.policy.patterns import variable_names
from cksmodel.policy.validation.checker import Checker, short


def check_variables(chk: Checker, v: Value, element: str) -> None:
    """Variables where they are substituted: Resource, String/Arn condition values."""
    if chk.variables_literal:
        chk.add(
            "W_VARIABLE_WITHOUT_VERSION",
            f"{short(v.text)} uses a policy variable, but without "
            f'"Version": "{VERSION_2012}" it is literal text; add that Version',
            v.span,
        )
        return
    problem = _variable_problem(v.text)
    if problem is not None:
        chk.add(
            "E_VARIABLE_SYNTAX",
            f"malformed policy variable in {element}: {problem}; expected ${{key}} or "
            "${key, 'default'}",
            v.span,
        )
        return
    for name in variable_names(v.text):
        if ":" in name and chk.catalog.condition_key(name) is None:
            chk.add(
                "W_UNKNOWN_VARIABLE",
                f"policy variable ${{{name}}} names no known condition key, so it never "
                "resolves and the value never matches",
                v.span,
            )


def _variable_problem(text: str) -> str | None:
    """Why the ``${…}`` variables in ``text`` are malformed, or ``None``."""
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            return None
        end = text.find("}", start + 2)
        if end < 0:
            return f"{short(text[start:], 30)} has no closing '}}'"
        body = text[start + 2 : end]
        pos = end + 1
        if body in ("*", "?", "$"):
            continue
        name, comma, default = body.partition(",")
        if not name.strip():
            return "an empty variable '${}'" if not body.strip() else f"'${{{body}}}' has no name"
        if any(ch.isspace() for ch in name.strip()):
            return f"'${{{body}}}' has a space in the variable name"
        if comma:
            d = default.strip()
            if len(d) < 2 or d[0] != "'" or d[-1] != "'" or "'" in d[1:-1]:
                return f"the default in '${{{body}}}' must be in single quotes, e.g. 'none'"
