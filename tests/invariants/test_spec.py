"""The spec language (grammar/spec.lark, cksmodel.invariants.spec): every construct, every error.

Parsed specs are compared through a compact S-expression rendering of the IR
(``sx``), so each table row reads like the spec text it checks.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from cksmodel.errors import InputError
from cksmodel.invariants.spec import (
    BUILTIN_PERSONAS,
    MAX_NESTING,
    Actions,
    Formula,
    Guard,
    Invariant,
    Lifecycle,
    PrincipalRef,
    ResourceRef,
    SetExpr,
    Spec,
    SpecError,
    load_spec,
    parse_spec,
    persona_order,
)

REPO = Path(__file__).resolve().parents[2]
CKS_SPEC = REPO / "specs" / "cks.spec"
SRC = "t.spec"


# --------------------------------------------------------------------------- #
# rendering the IR


def sx_principal(p: PrincipalRef | None) -> str:
    assert p is not None
    if p.kind == "var":
        return p.name
    if p.kind in ("root", "anonymous"):
        assert p.name == ""
        return p.kind
    return f"{p.kind}:{p.name}"


def sx_actions(a: Actions | None) -> str:
    assert a is not None
    body = f"lp:{a.least_privilege}" if a.least_privilege else ",".join(a.names)
    return body if a.mode == "one" else f"{a.mode}[{body}]"


def sx_resource(r: ResourceRef | None) -> str:
    assert r is not None
    if r.kind in ("any_key", "any_store", "anything"):
        assert r.text == ""
        return {"any_key": "key*", "any_store": "store*", "anything": "anything"}[r.kind]
    return f"{r.kind}:{r.text}"


def sx_set(s: SetExpr | None) -> str:
    assert s is not None
    if s.op == "persona":
        return f"persona:{s.name}"
    if s.op in ("account_id", "account_var"):
        return f"(account {s.name})"
    if s.op in ("account", "outside", "organization", "store_accounts"):
        return s.op
    if s.op == "filter":
        return f"({s.name or 'any'} {s.on} {s.pattern})"
    if s.op == "that_can":
        return f"(that_can {sx_actions(s.actions)} {sx_resource(s.resource)})"
    sign = {"minus": "-", "union": "|", "intersect": "&"}[s.op]
    return f"({sign} {' '.join(sx_set(a) for a in s.args)})"


def sx(f: Formula | Lifecycle) -> str:
    if isinstance(f, Lifecycle):
        return f"(lifecycle {f.steps} {f.event} {sx_guard(f.guard)})"
    if f.op in ("forall", "exists"):
        if f.binder == "any_principal":
            binder = f"principal {f.var}"
        elif f.binder == "member_of":
            binder = f"{f.var} in {sx_set(f.members)}"
        elif f.binder == "account_of":
            binder = f"account {f.var}"
        else:
            assert f.binder == "key_of"
            binder = f"key {f.var} in {f.key_set}"
        return f"({f.op} {binder}: {sx(f.args[0])})"
    if f.op in ("true", "false"):
        return f.op
    if f.op in ("implies", "and", "or", "not"):
        return f"({f.op} {' '.join(sx(a) for a in f.args)})"
    if f.op == "can":
        ctx = "".join(f" {k}={v}" for k, v in f.context)
        return (
            f"(can {sx_principal(f.principal)} {sx_actions(f.actions)} "
            f"{sx_resource(f.resource)}{ctx})"
        )
    if f.op == "same":
        return f"(== {sx_principal(f.principal)} {sx_principal(f.other)})"
    if f.op == "member":
        return f"(in {f.var} {sx_set(f.members)})"
    if f.op == "permissions":
        who = f"persona:{f.persona}" if f.persona else sx_principal(f.principal)
        return f"(permissions {who} {f.relation} {sx_actions(f.actions)})"
    if f.op == "key_policy":
        return f"(key_policy {f.var} {f.relation})"
    raise AssertionError(f"unexpected formula {f.op}")


def sx_guard(g: Guard) -> str:
    if g.op == "state":
        return f"(state == {g.names[0]})"
    if g.op == "state_in":
        return f"(state in {' '.join(g.names)})"
    if g.op in ("keys", "zones"):
        return f"({g.op} {g.cmp} {g.number})"
    if g.op == "region":
        return "region"
    return f"({g.op} {' '.join(sx_guard(a) for a in g.args)})"


def one(text: str) -> Invariant:
    spec = parse_spec(text, SRC)
    assert len(spec.invariants) == 1
    return spec.invariants[0]


def body(formula: str) -> str:
    """The rendering of an invariant whose body is ``formula``."""
    return sx(one(f'invariant i "t":\n  {formula}\n').body)


def error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_spec(text, SRC)
    return info.value


# --------------------------------------------------------------------------- #
# personas and principal sets

SLR = "AWSServiceRoleForKeyManagementServiceCustomKeyStores"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("account", "account", id="account"),
        pytest.param("persona key_user", "persona:key_user", id="builtin-persona"),
        pytest.param(
            'principals that can any ["kms:Decrypt", "kms:Encrypt"] on key *',
            "(that_can any[kms:Decrypt,kms:Encrypt] key*)",
            id="that-can-any-on-any-key",
        ),
        pytest.param(
            'principals that can all ["kms:Decrypt"] on "*"',
            "(that_can all[kms:Decrypt] text:*)",
            id="that-can-all-on-star",
        ),
        pytest.param(
            'principals that can "kms:Decrypt" on key "' + KEY_ID + '"',
            f"(that_can kms:Decrypt key:{KEY_ID})",
            id="that-can-one-on-key-id",
        ),
        pytest.param(
            f'principals that can "sts:AssumeRole" on role "{SLR}"',
            f"(that_can sts:AssumeRole role:{SLR})",
            id="that-can-on-role",
        ),
        pytest.param(
            'principals that can any ["kms:CreateCustomKeyStore"] on store *',
            "(that_can any[kms:CreateCustomKeyStore] store*)",
            id="that-can-on-any-store",
        ),
        pytest.param(
            "principals that can all least_privilege store_manager on anything",
            "(that_can all[lp:store_manager] anything)",
            id="that-can-all-least-privilege-on-anything",
        ),
        pytest.param(
            'principals that can "s3:GetObject" on "arn:aws:s3:::bucket/*"',
            "(that_can s3:GetObject text:arn:aws:s3:::bucket/*)",
            id="that-can-on-arn-pattern",
        ),
        pytest.param(
            "persona key_user - persona key_manager",
            "(- persona:key_user persona:key_manager)",
            id="minus",
        ),
        pytest.param(
            "persona key_user | persona key_manager",
            "(| persona:key_user persona:key_manager)",
            id="union",
        ),
        pytest.param(
            "persona key_user & persona key_manager",
            "(& persona:key_user persona:key_manager)",
            id="intersect",
        ),
        pytest.param(
            "account - persona key_user | persona store_manager & persona key_manager",
            "(& (| (- account persona:key_user) persona:store_manager) persona:key_manager)",
            id="set-operators-are-left-associative-with-equal-precedence",
        ),
        pytest.param(
            "account - (persona key_user | persona store_manager)",
            "(- account (| persona:key_user persona:store_manager))",
            id="parentheses",
        ),
    ],
)
def test_persona_set_expressions(text: str, expected: str) -> None:
    spec = parse_spec(f"persona x = {text}\n", SRC)
    assert list(spec.personas) == ["x"]
    assert sx_set(spec.personas["x"].members) == expected
    assert spec.invariants == ()


def test_personas_may_refer_to_each_other_and_to_later_definitions() -> None:
    spec = parse_spec("persona a = persona b - persona key_user\npersona b = account\n", SRC)
    assert sx_set(spec.personas["a"].members) == "(- persona:b persona:key_user)"
    assert spec.personas["a"].span.line == 1
    assert spec.personas["b"].span.line == 2


# --------------------------------------------------------------------------- #
# formulas

CAN_SLR = f'can(p, "sts:AssumeRole", role "{SLR}")'


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        pytest.param("true", "true", id="true"),
        pytest.param("false", "false", id="false"),
        # binders
        pytest.param(
            f'forall principal p: {CAN_SLR} implies p == service "cks.kms.amazonaws.com"',
            f"(forall principal p: (implies (can p sts:AssumeRole role:{SLR}) "
            "(== p service:cks.kms.amazonaws.com)))",
            id="forall-principal",
        ),
        pytest.param(
            f"exists principal p: {CAN_SLR}",
            f"(exists principal p: (can p sts:AssumeRole role:{SLR}))",
            id="exists-principal",
        ),
        pytest.param(
            "forall p in account: true",
            "(forall p in account: true)",
            id="forall-in-account",
        ),
        pytest.param(
            "exists p in persona key_user - persona key_manager: true",
            "(exists p in (- persona:key_user persona:key_manager): true)",
            id="exists-in-set",
        ),
        pytest.param(
            'forall p in principals that can "kms:Decrypt" on key *: true',
            "(forall p in (that_can kms:Decrypt key*): true)",
            id="forall-in-inline-set",
        ),
        pytest.param(
            "forall key k in store_keys: key_policy(k) within default_key_policy",
            "(forall key k in store_keys: (key_policy k within))",
            id="forall-store-keys",
        ),
        pytest.param(
            "exists key k in keys: key_policy(k) equivalent default_key_policy",
            "(exists key k in all_keys: (key_policy k equivalent))",
            id="exists-all-keys",
        ),
        pytest.param(
            "forall p in account: forall q in account: p == q",
            "(forall p in account: (forall q in account: (== p q)))",
            id="nested-quantifiers",
        ),
        # precedence: not > and > or > implies (right-associative); quantifiers extend right
        pytest.param("not true and false", "(and (not true) false)", id="not-binds-tighter"),
        pytest.param("true or false and true", "(or true (and false true))", id="and-over-or"),
        pytest.param("true and false or true", "(or (and true false) true)", id="and-over-or-2"),
        pytest.param(
            "true or false implies false",
            "(implies (or true false) false)",
            id="or-over-implies",
        ),
        pytest.param(
            "true implies false implies true",
            "(implies true (implies false true))",
            id="implies-right-associative",
        ),
        pytest.param("true and false and true", "(and true false true)", id="and-chain-is-flat"),
        pytest.param("true or false or true", "(or true false true)", id="or-chain-is-flat"),
        pytest.param(
            "true and (false and (true and false))",
            "(and true false true false)",
            id="nested-and-is-flat",
        ),
        pytest.param(
            "(true or false) or (true or false)",
            "(or true false true false)",
            id="nested-or-is-flat",
        ),
        pytest.param(
            "true or (false and true)", "(or true (and false true))", id="other-operator-nests"
        ),
        pytest.param("not not false", "false", id="double-not-cancels"),
        pytest.param("not not not false", "(not false)", id="triple-not-is-one-not"),
        pytest.param("not (not (not false))", "(not false)", id="parenthesized-nots-cancel"),
        pytest.param("not (true or false)", "(not (or true false))", id="parenthesized"),
        pytest.param(
            "forall p in account: true implies false",
            "(forall p in account: (implies true false))",
            id="quantifier-body-extends-right",
        ),
        pytest.param(
            "(forall p in account: true) implies false",
            "(implies (forall p in account: true) false)",
            id="parenthesized-quantifier",
        ),
        pytest.param(
            "true and (exists p in account: false)",
            "(and true (exists p in account: false))",
            id="quantifier-inside-conjunction",
        ),
        # can
        pytest.param(
            'forall p in account: can(p, "kms:Decrypt", key *)',
            "(forall p in account: (can p kms:Decrypt key*))",
            id="can-one-action-any-key",
        ),
        pytest.param(
            'forall p in account: can(p, any ["kms:Encrypt", "kms:Decrypt"], key "' + KEY_ID + '")',
            f"(forall p in account: (can p any[kms:Encrypt,kms:Decrypt] key:{KEY_ID}))",
            id="can-any-on-key-id",
        ),
        pytest.param(
            'forall p in account: can(p, all ["kms:CreateKey"], "*")',
            "(forall p in account: (can p all[kms:CreateKey] text:*))",
            id="can-all-on-star",
        ),
        pytest.param(
            "forall p in account: can(p, any least_privilege key_user, anything)",
            "(forall p in account: (can p any[lp:key_user] anything))",
            id="can-least-privilege-on-anything",
        ),
        pytest.param(
            'forall p in account: can(p, "kms:DeleteCustomKeyStore", store *)',
            "(forall p in account: (can p kms:DeleteCustomKeyStore store*))",
            id="can-on-any-store",
        ),
        pytest.param(
            'forall p in account: can(p, "iam:PutRolePolicy", role "cks-store-manager")',
            "(forall p in account: (can p iam:PutRolePolicy role:cks-store-manager))",
            id="can-on-role",
        ),
        pytest.param(
            f'forall p in account: can(p, "iam:CreateServiceLinkedRole", role "{SLR}", '
            'when {"iam:AWSServiceName": "cks.kms.amazonaws.com", "aws:SourceIp": "10.0.0.1"})',
            f"(forall p in account: (can p iam:CreateServiceLinkedRole role:{SLR} "
            "iam:AWSServiceName=cks.kms.amazonaws.com aws:SourceIp=10.0.0.1))",
            id="can-when-context",
        ),
        pytest.param(
            'can(role "payments-app", "kms:Decrypt", key *)',
            "(can role:payments-app kms:Decrypt key*)",
            id="can-named-role",
        ),
        pytest.param(
            'not can(user "alice", "kms:Decrypt", key *)',
            "(not (can user:alice kms:Decrypt key*))",
            id="not-can-named-user",
        ),
        # principal equality
        pytest.param(
            'forall principal p: p == service "cks.kms.amazonaws.com"',
            "(forall principal p: (== p service:cks.kms.amazonaws.com))",
            id="same-service",
        ),
        pytest.param(
            'forall principal p: p == role "Admin"',
            "(forall principal p: (== p role:Admin))",
            id="same-role",
        ),
        pytest.param(
            'forall principal p: p == user "alice"',
            "(forall principal p: (== p user:alice))",
            id="same-user",
        ),
        pytest.param(
            "forall principal p: p == root or p == anonymous",
            "(forall principal p: (or (== p root) (== p anonymous)))",
            id="same-root-anonymous",
        ),
        pytest.param(
            "forall principal p: not p == anonymous",
            "(forall principal p: (not (== p anonymous)))",
            id="not-same",
        ),
        # permissions
        pytest.param(
            'permissions(role "cks-store-manager") == least_privilege store_manager',
            "(permissions role:cks-store-manager == all[lp:store_manager])",
            id="permissions-equal-least-privilege",
        ),
        pytest.param(
            'permissions(role "payments-app") within ["kms:Encrypt", "kms:Decrypt"]',
            "(permissions role:payments-app within all[kms:Encrypt,kms:Decrypt])",
            id="permissions-within-list",
        ),
        pytest.param(
            'permissions(user "alice") == ["kms:Decrypt"]',
            "(permissions user:alice == all[kms:Decrypt])",
            id="permissions-equal-list",
        ),
        pytest.param(
            "permissions(persona key_user) within least_privilege key_user",
            "(permissions persona:key_user within all[lp:key_user])",
            id="permissions-of-persona",
        ),
        pytest.param(
            "forall p in persona key_manager: permissions(p) within least_privilege key_manager",
            "(forall p in persona:key_manager: (permissions p within all[lp:key_manager]))",
            id="permissions-of-variable",
        ),
        *[
            pytest.param(
                f'permissions(role "r") within least_privilege {name}',
                f"(permissions role:r within all[lp:{name}])",
                id=f"least-privilege-{name}",
            )
            for name in BUILTIN_PERSONAS
        ],
    ],
)
def test_formulas(formula: str, expected: str) -> None:
    assert body(formula) == expected


OPERATOR = "arn:aws:iam::579135791357:role/partner-kms-operator"


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        pytest.param(
            f'not can(principal "{OPERATOR}", "kms:Decrypt", key *)',
            f"(not (can arn:{OPERATOR} kms:Decrypt key*))",
            id="principal-by-arn",
        ),
        pytest.param(
            'forall principal p: can(p, "sts:AssumeRole", role "r")'
            f' implies p == principal "{OPERATOR}"',
            f"(forall principal p: (implies (can p sts:AssumeRole role:r) (== p arn:{OPERATOR})))",
            id="same-as-arn",
        ),
        pytest.param(
            'forall p in outside: not can(p, "kms:Decrypt", key *)',
            "(forall p in outside: (not (can p kms:Decrypt key*)))",
            id="outside",
        ),
        pytest.param(
            'forall p in roles matching "AWSServiceRoleFor*":'
            ' p in roles with path "/aws-service-role/*"',
            "(forall p in (role name AWSServiceRoleFor*): (in p (role path /aws-service-role/*)))",
            id="name-and-path-patterns",
        ),
        pytest.param(
            'forall p in principals matching "arn:aws:iam::*:role/ops-*": false',
            "(forall p in (any arn arn:aws:iam::*:role/ops-*): false)",
            id="arn-pattern",
        ),
        pytest.param(
            'forall p in users matching "svc-*" - outside: p in persona key_user',
            "(forall p in (- (user name svc-*) outside): (in p persona:key_user))",
            id="filters-in-set-expressions",
        ),
        pytest.param(
            'forall p in organization: can(p, "kms:DeleteCustomKeyStore", store *)'
            " implies p in store_accounts",
            "(forall p in organization: (implies (can p kms:DeleteCustomKeyStore store*)"
            " (in p store_accounts)))",
            id="organization-and-store-accounts",
        ),
        pytest.param(
            "forall account a: forall p in account a: p in organization",
            "(forall account a: (forall p in (account a): (in p organization)))",
            id="accounts-one-at-a-time",
        ),
        pytest.param(
            'forall p in account "222233334444" | account "333344445555": false',
            "(forall p in (| (account 222233334444) (account 333344445555)): false)",
            id="accounts-by-id",
        ),
        pytest.param(
            'forall principal p: can(p, "kms:Decrypt", key *) implies p in organization',
            "(forall principal p: (implies (can p kms:Decrypt key*) (in p organization)))",
            id="anyone-in-the-organization",
        ),
        pytest.param(
            "forall p in account: not p in outside and p in account",
            "(forall p in account: (and (not (in p outside)) (in p account)))",
            id="membership-in-connectives",
        ),
    ],
)
def test_principals_by_arn_patterns_and_outside(formula: str, expected: str) -> None:
    assert body(formula) == expected


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        pytest.param("state == DISCONNECTED", "(state == DISCONNECTED)", id="state-equals"),
        pytest.param(
            "state in [CONNECTING, CONNECTED, DISCONNECTING]",
            "(state in CONNECTING CONNECTED DISCONNECTING)",
            id="state-in",
        ),
        pytest.param("state in [FAILED]", "(state in FAILED)", id="state-in-one"),
        *[
            pytest.param(f"keys {op} 3", f"(keys {op} 3)", id=f"keys-{op}")
            for op in ("==", "!=", ">=", "<=", ">", "<")
        ],
        *[
            pytest.param(f"active_hsm_zones {op} 2", f"(zones {op} 2)", id=f"zones-{op}")
            for op in ("==", "!=", ">=", "<=", ">", "<")
        ],
        pytest.param("region_supported", "region", id="region"),
        pytest.param(
            "not state in [DISCONNECTING, FAILED]",
            "(not (state in DISCONNECTING FAILED))",
            id="not",
        ),
        pytest.param(
            "state == CONNECTED and active_hsm_zones >= 2",
            "(and (state == CONNECTED) (zones >= 2))",
            id="and",
        ),
        pytest.param(
            "not state == CONNECTED and keys == 0 or region_supported",
            "(or (and (not (state == CONNECTED)) (keys == 0)) region)",
            id="not-and-or-precedence",
        ),
        pytest.param(
            "region_supported or keys == 0 and keys == 1",
            "(or region (and (keys == 0) (keys == 1)))",
            id="and-binds-tighter-than-or",
        ),
        pytest.param(
            "not (region_supported or keys > 0)",
            "(not (or region (keys > 0)))",
            id="parentheses",
        ),
    ],
)
def test_lifecycle_guards(guard: str, expected: str) -> None:
    got = body(f"lifecycle within 8 steps: DeleteCustomKeyStore requires {guard}")
    assert got == f"(lifecycle 8 DeleteCustomKeyStore {expected})"


def test_lifecycle_steps_and_event() -> None:
    inv = one(
        'invariant slr "t":\n'
        "  lifecycle within 12 steps: AssumeServiceLinkedRole requires state in [CONNECTED]\n"
    )
    assert isinstance(inv.body, Lifecycle)
    assert inv.body.steps == 12
    assert inv.body.event == "AssumeServiceLinkedRole"
    assert (inv.body.span.line, inv.body.span.column) == (2, 3)


# --------------------------------------------------------------------------- #
# invariants, spans, strings, comments


def test_invariant_name_title_and_spans() -> None:
    text = (
        "# leading comment\n"
        "\n"
        'invariant slr_trust "Only AWS KMS can assume the role":\n'
        "  forall principal p:\n"
        f"    {CAN_SLR}\n"
        '      implies p == service "cks.kms.amazonaws.com"\n'
    )
    spec = parse_spec(text, SRC)
    assert spec.source == SRC
    assert spec.personas == {}
    (inv,) = spec.invariants
    assert inv.name == "slr_trust"
    assert inv.title == "Only AWS KMS can assume the role"
    assert (inv.span.source, inv.span.line, inv.span.column) == (SRC, 3, 1)
    f = inv.body
    assert isinstance(f, Formula)
    assert (f.op, f.span.line, f.span.column) == ("forall", 4, 3)
    implies = f.args[0]
    assert (implies.op, implies.span.line, implies.span.column) == ("implies", 5, 5)
    can, same = implies.args
    assert (can.op, can.span.line, can.span.column) == ("can", 5, 5)
    assert can.principal is not None and can.principal.span is not None
    assert (can.principal.span.line, can.principal.span.column) == (5, 9)
    assert (same.op, same.span.line, same.span.column) == ("same", 6, 15)
    assert same.other is not None and same.other.span is not None
    assert (same.other.span.line, same.other.span.column) == (6, 20)


def test_several_items_keep_their_order() -> None:
    spec = parse_spec(
        "persona b = account\n"
        'invariant z "first": true\n'
        "persona a = persona b\n"
        'invariant y "second": false\n'
        'invariant x "third": lifecycle within 1 steps: Decrypt requires region_supported\n',
        SRC,
    )
    assert list(spec.personas) == ["b", "a"]
    assert [(i.name, i.title, i.span.line) for i in spec.invariants] == [
        ("z", "first", 2),
        ("y", "second", 4),
        ("x", "third", 5),
    ]


@pytest.mark.parametrize(
    ("title_source", "title"),
    [
        pytest.param('"plain"', "plain", id="plain"),
        pytest.param('"with \\"quotes\\""', 'with "quotes"', id="escaped-quotes"),
        pytest.param('"back\\\\slash"', "back\\slash", id="escaped-backslash"),
        pytest.param('"caf\\u00e9 é"', "café é", id="unicode"),
        pytest.param('"# not a comment"', "# not a comment", id="hash-in-string"),
        pytest.param('""', "", id="empty"),
    ],
)
def test_strings(title_source: str, title: str) -> None:
    assert one(f"invariant i {title_source}: true\n").title == title


def test_action_and_arn_strings_are_taken_literally() -> None:
    got = body('can(role "r", "kms:GenerateDataKey*", "arn:aws:kms:*:111122223333:key/*")')
    assert got == "(can role:r kms:GenerateDataKey* text:arn:aws:kms:*:111122223333:key/*)"


def test_comments_and_whitespace_are_ignored() -> None:
    text = (
        "# a spec with comments everywhere\n"
        "persona x = # the set\n"
        "  persona key_user   # trailing\n"
        "\t- persona key_manager\n"
        "invariant i # name\n"
        '  "title" :   # colon\n'
        "  not # negation\n"
        "  true # end\n"
        "# last line without a newline"
    )
    spec = parse_spec(text, SRC)
    assert sx_set(spec.personas["x"].members) == "(- persona:key_user persona:key_manager)"
    assert sx(spec.invariants[0].body) == "(not true)"
    assert spec.invariants[0].title == "title"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "   # x\n# y"])
def test_empty_specs(text: str) -> None:
    spec = parse_spec(text, SRC)
    assert spec.personas == {} and spec.invariants == ()


def test_the_ir_is_immutable() -> None:
    inv = one('invariant i "t": true\n')
    with pytest.raises(dataclasses.FrozenInstanceError):
        inv.name = "other"  # type: ignore[misc]


def test_variables_shadow_by_kind() -> None:
    # an inner key binder named like an outer principal makes it a key, and vice versa
    got = body("forall p in account: forall key p in keys: key_policy(p) within default_key_policy")
    assert got == "(forall p in account: (forall key p in all_keys: (key_policy p within)))"
    got = body('forall key k in keys: forall k in account: can(k, "kms:Decrypt", key *)')
    assert got == "(forall key k in all_keys: (forall k in account: (can k kms:Decrypt key*)))"


# --------------------------------------------------------------------------- #
# long chains are flat; deep nesting and huge numbers are positioned errors

N = 10_000
ROLES = " or ".join(f'p == role "r{i}"' for i in range(N))
LONG = 2_000
"""Beyond the interpreter's recursion limit (1,000), so a recursive walk would fail."""
DEEP = 3 * MAX_NESTING


@pytest.mark.parametrize(
    ("text", "op", "size"),
    [
        pytest.param(f"forall p in account: {ROLES}", "or", N, id="allow-list-of-10000-roles"),
        pytest.param(" and ".join(["true"] * LONG), "and", LONG, id="long-and-chain"),
        pytest.param("not " * LONG + "false", "false", 0, id="even-run-of-nots-cancels"),
        pytest.param("not " * (LONG + 1) + "false", "not", 1, id="odd-run-of-nots-is-one-not"),
        pytest.param(
            "(" * LONG + "true or false" + ")" * LONG, "or", 2, id="many-parentheses-around-a-term"
        ),
    ],
)
def test_long_formula_chains_are_one_node(text: str, op: str, size: int) -> None:
    f = one(f'invariant i "t":\n  {text}\n').body
    assert isinstance(f, Formula)
    if f.op == "forall":
        f = f.args[0]
    assert (f.op, len(f.args)) == (op, size)


@pytest.mark.parametrize(
    ("text", "op", "size"),
    [
        pytest.param(" | ".join(["account"] * LONG), "union", LONG, id="long-union"),
        pytest.param(" & ".join(["account"] * LONG), "intersect", LONG, id="long-intersection"),
        pytest.param(" - ".join(["account"] * LONG), "minus", LONG, id="long-difference"),
        pytest.param(
            "account | (account | (account | account))", "union", 4, id="nested-unions-are-flat"
        ),
        pytest.param(
            "account - (account - account)", "minus", 2, id="a-nested-difference-stays-nested"
        ),
    ],
)
def test_long_set_chains_are_one_node(text: str, op: str, size: int) -> None:
    members = parse_spec(f"persona x = {text}\n", SRC).personas["x"].members
    assert (members.op, len(members.args)) == (op, size)


def test_long_guard_chains_are_one_node() -> None:
    guard = " or ".join(["keys == 0"] * LONG)
    got = one(
        f'invariant i "t":\n  lifecycle within 3 steps: DeleteCustomKeyStore requires {guard}\n'
    ).body
    assert isinstance(got, Lifecycle)
    assert (got.guard.op, len(got.guard.args)) == ("or", LONG)


def test_a_long_chain_of_personas_is_ordered_without_recursion() -> None:
    lines = ["persona p0 = account"] + [f"persona p{i} = persona p{i - 1}" for i in range(1, LONG)]
    spec = parse_spec("\n".join(reversed(lines)) + "\n", SRC)
    assert persona_order(spec) == [f"p{i}" for i in range(LONG)]


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_NESTING - 2  # the invariant and the innermost term are levels too
    assert body("not (" * depth + "true" + ")" * depth) == "true"


LIMITS = {
    # id: (spec text, "line:column", part of the message)
    "nested-nots-in-parentheses": (
        'invariant i "t":\n  ' + "not (" * DEEP + "true" + ")" * DEEP + "\n",
        f"2:{3 + 5 * (MAX_NESTING - 1)}",
        f"nested more than {MAX_NESTING} levels deep",
    ),
    "alternating-operators": (
        'invariant i "t":\n  ' + "true and (false or " * DEEP + "true" + ")" * DEEP + "\n",
        f"2:{3 + 19 * (MAX_NESTING // 2 - 1) + 10}",
        "chains of one operator need no parentheses",
    ),
    "implies-chain": (
        'invariant i "t":\n  ' + "true implies " * DEEP + "true\n",
        f"2:{3 + 13 * (MAX_NESTING - 1)}",
        "nested more than",
    ),
    "alternating-set-operators": (
        "persona x = " + "account - (account | " * DEEP + "account" + ")" * DEEP + "\n",
        f"1:{13 + 21 * (MAX_NESTING - 2) + 11}",
        "nested more than",
    ),
    "steps-beyond-the-digit-limit": (
        'invariant i "t":\n  lifecycle within ' + "9" * 5000 + " steps: "
        "DeleteCustomKeyStore requires keys == 0\n",
        "2:20",
        "a number of 5,000 digits is too large",
    ),
    "guard-number-beyond-the-digit-limit": (
        'invariant i "t":\n  lifecycle within 3 steps: DeleteCustomKeyStore requires\n'
        "    keys >= " + "1" * 4301 + "\n",
        "3:13",
        "a number of 4,301 digits is too large",
    ),
}


@pytest.mark.parametrize(("text", "where", "message"), list(LIMITS.values()), ids=list(LIMITS))
def test_deep_nesting_and_huge_numbers_are_positioned_limit_errors(
    text: str, where: str, message: str
) -> None:
    exc = error(text)
    assert exc.code == "E_SPEC_LIMIT"
    assert exc.span is not None
    assert f"{exc.span.line}:{exc.span.column}" == where
    assert message in exc.message


# --------------------------------------------------------------------------- #
# errors: code, line, column, message


ERRORS: dict[str, tuple[str, str, str]] = {
    # id: (spec text, "CODE line:column", part of the message)
    **{
        f"redefined-builtin-{name}": (
            f'persona ok = account\npersona {name} = principals that can "kms:Decrypt" on key *\n',
            "E_SPEC_NAME 2:9",
            f"persona {name!r} is built in and cannot be redefined",
        )
        for name in BUILTIN_PERSONAS
    },
    "empty-action": (
        'invariant a "t":\n  can(role "Admin", "", "*")\n',
        "E_SPEC_ACTION 2:21",
        "an action cannot be empty",
    ),
    "blank-action-in-a-list": (
        'invariant a "t":\n  can(role "Admin", any ["kms:Decrypt", " "], "*")\n',
        "E_SPEC_ACTION 2:41",
        "an action cannot be empty",
    ),
    "empty-action-in-a-set": (
        'persona x = principals that can "" on key *\n',
        "E_SPEC_ACTION 1:33",
        "expected service:Action",
    ),
    "empty-action-in-permissions": (
        'invariant a "t":\n  permissions(role "Admin") within [""]\n',
        "E_SPEC_ACTION 2:37",
        "an action cannot be empty",
    ),
    # syntax
    "missing-colon": ('invariant a "t"\n  true\n', "E_SPEC_SYNTAX 2:3", "expected ':'"),
    "unterminated-string": (
        'persona x = principals that can "kms:Decrypt on key *\n',
        "E_SPEC_SYNTAX 1:33",
        "unexpected character '\"'",
    ),
    "string-broken-by-newline": (
        'invariant a "t:\n  true\n',
        "E_SPEC_SYNTAX 1:13",
        "unexpected character",
    ),
    "unknown-top-level-keyword": (
        'invarint a "t":\n  true\n',
        "E_SPEC_SYNTAX 1:1",
        "unexpected 'invarint'; expected 'invariant', 'persona'",
    ),
    "unknown-resource-keyword": (
        'invariant a "t":\n  forall p in account: can(p, "kms:Decrypt", bucket "b")\n',
        "E_SPEC_SYNTAX 2:53",
        "unexpected '\"b\"'",
    ),
    "principal-as-resource-unbound": (
        'invariant a "t":\n  forall p in account: not can(p, "iam:PutRolePolicy", m)\n',
        "E_SPEC_NAME 2:28",
        "unknown principal 'm' as a resource; bind it with 'forall m in …' first",
    ),
    "principal-as-resource-of-anyone": (
        'invariant a "t":\n  forall m in account: forall principal p:'
        ' can(p, "iam:PutRolePolicy", m) implies p == m\n',
        "E_SPEC_TYPE 2:44",
        "a principal as a resource needs 'forall p in …' over the bundle",
    ),
    "bad-comparison": (
        'invariant a "t":\n  lifecycle within 8 steps: Decrypt requires state === CONNECTED\n',
        "E_SPEC_SYNTAX 2:54",
        "unexpected '='",
    ),
    "any-needs-a-list": (
        'invariant a "t":\n  can(role "r", any "kms:Decrypt", key *)\n',
        "E_SPEC_SYNTAX 2:21",
        "unexpected",
    ),
    "empty-action-list": (
        'invariant a "t":\n  permissions(role "r") within []\n',
        "E_SPEC_SYNTAX 2:33",
        "expected a quoted string",
    ),
    "trailing-comma": (
        'invariant a "t":\n  permissions(role "r") within ["kms:Decrypt",]\n',
        "E_SPEC_SYNTAX 2:47",
        "expected a quoted string",
    ),
    "steps-not-a-number": (
        'invariant a "t":\n  lifecycle within many steps: Decrypt requires region_supported\n',
        "E_SPEC_SYNTAX 2:20",
        "expected a number",
    ),
    "stray-character": (
        'invariant a "t":\n  can(role "r", "kms:Decrypt", key é)\n',
        "E_SPEC_SYNTAX 2:36",
        "unexpected character 'é'",
    ),
    "persona-without-name": ("persona = account\n", "E_SPEC_SYNTAX 1:9", "expected a name"),
    # names
    "unknown-persona-in-binder": (
        'invariant a "t":\n  forall p in persona nobody: true\n',
        "E_SPEC_NAME 2:15",
        "unknown persona 'nobody'",
    ),
    "unknown-persona-in-persona": (
        "persona x = persona key_user - persona nobody\n",
        "E_SPEC_NAME 1:32",
        "unknown persona 'nobody'",
    ),
    "unknown-persona-in-permissions": (
        'invariant a "t":\n  permissions(persona nobody) within ["kms:Decrypt"]\n',
        "E_SPEC_NAME 2:3",
        "unknown persona 'nobody'",
    ),
    "unbound-variable-in-can": (
        'invariant a "t":\n  forall p in account:\n    can(q, "kms:Decrypt", key *)\n',
        "E_SPEC_NAME 3:9",
        "unknown name 'q'",
    ),
    "unbound-variable-in-equality": (
        'invariant a "t":\n  forall p in account: p == q\n',
        "E_SPEC_NAME 2:29",
        "unknown name 'q'",
    ),
    "unbound-variable-in-permissions": (
        'invariant a "t":\n  permissions(p) within ["kms:Decrypt"]\n',
        "E_SPEC_NAME 2:15",
        "unknown name 'p'",
    ),
    "variable-out-of-scope": (
        'invariant a "t":\n  (forall p in account: true) and p == root\n',
        "E_SPEC_NAME 2:35",
        "unknown name 'p'",
    ),
    "unbound-key": (
        'invariant a "t":\n  key_policy(k) within default_key_policy\n',
        "E_SPEC_NAME 2:3",
        "unknown key 'k'",
    ),
    # types
    "key-where-principal-expected": (
        'invariant a "t":\n  forall key k in store_keys:\n    can(k, "kms:Decrypt", key *)\n',
        "E_SPEC_TYPE 3:9",
        "'k' is a key, but a principal is expected here",
    ),
    "key-in-equality": (
        'invariant a "t":\n  forall key k in keys: k == root\n',
        "E_SPEC_TYPE 2:25",
        "'k' is a key",
    ),
    "principal-where-key-expected": (
        'invariant a "t":\n  forall p in account:\n    key_policy(p) within default_key_policy\n',
        "E_SPEC_TYPE 3:5",
        "'p' is a principal, but a key is expected here",
    ),
    "symbolic-principal-where-key-expected": (
        'invariant a "t":\n  forall principal p: key_policy(p) equivalent default_key_policy\n',
        "E_SPEC_TYPE 2:23",
        "'p' is a principal",
    ),
    # least-privilege sets and duplicates are name errors too
    "unknown-least-privilege": (
        'invariant a "t":\n  permissions(role "r") == least_privilege nobody\n',
        "E_SPEC_NAME 2:28",
        "no least-privilege set named 'nobody'",
    ),
    "unknown-least-privilege-in-persona": (
        "persona x = principals that can any least_privilege admin on anything\n",
        "E_SPEC_NAME 1:37",
        "no least-privilege set named 'admin'",
    ),
    "membership-of-an-unbound-name": (
        'invariant a "t":\n  q in outside\n',
        "E_SPEC_NAME 2:3",
        "unknown name 'q'",
    ),
    "membership-inside-forall-principal": (
        'invariant a "t":\n  forall principal p: p in outside\n',
        "E_SPEC_TYPE 2:23",
        "'p in SET' is about principals of the bundle",
    ),
    "pattern-without-a-string": (
        'invariant a "t":\n  forall p in roles matching x: true\n',
        "E_SPEC_SYNTAX 2:30",
        "expected a quoted string",
    ),
    "duplicate-invariant": (
        'invariant a "t":\n  true\ninvariant a "u":\n  false\n',
        "E_SPEC_NAME 3:11",
        "invariant 'a' is defined twice (first at line 1)",
    ),
    "account-variable-unbound": (
        'invariant a "t":\n  forall p in account b: false\n',
        "E_SPEC_NAME 2:15",
        "unknown account 'b'; bind it with 'forall account b' first",
    ),
    "account-id-malformed": (
        'invariant a "t":\n  forall p in account "12345": false\n',
        "E_SPEC_TYPE 2:15",
        "expected a 12-digit account id, not '12345'",
    ),
    "membership-beyond-the-organization-when-anyone": (
        'invariant a "t":\n  forall principal p: p in outside\n',
        "E_SPEC_TYPE 2:23",
        "only 'p in organization' and 'p in account",
    ),
    "duplicate-persona": (
        "persona a = account\npersona a = account\n",
        "E_SPEC_NAME 2:9",
        "persona 'a' is defined twice",
    ),
}


@pytest.mark.parametrize(("text", "where", "message"), list(ERRORS.values()), ids=list(ERRORS))
def test_errors(text: str, where: str, message: str) -> None:
    code, position = where.split()
    line, column = (int(n) for n in position.split(":"))
    exc = error(text)
    assert isinstance(exc, InputError)
    assert (exc.code, exc.span.source if exc.span else None) == (code, SRC)
    assert exc.span is not None
    assert (exc.span.line, exc.span.column) == (line, column)
    assert message in exc.message
    assert str(exc) == f"{SRC}:{line}:{column}: {code} {exc.message}"


def test_syntax_error_messages_name_no_internal_terminals() -> None:
    # after a principal, "==" is expected; lark calls that terminal __ANON_0
    exc = error('invariant a "t":\n  forevery principal p: true\n')
    assert exc.code == "E_SPEC_SYNTAX"
    assert exc.span is not None and (exc.span.line, exc.span.column) == (2, 12)
    assert not re.search(r"anon|__", exc.message, re.IGNORECASE), exc.message
    assert "'=='" in exc.message


def test_unexpected_end_of_file_says_so() -> None:
    exc = error('invariant a "t":\n  not\n')
    assert exc.code == "E_SPEC_SYNTAX"
    assert "end of file" in exc.message, exc.message


@pytest.mark.parametrize(
    "title",
    [
        pytest.param('"bad \\q escape"', id="unknown-escape"),
        pytest.param('"short \\u12 escape"', id="short-unicode-escape"),
    ],
)
def test_invalid_string_escapes_are_spec_errors(title: str) -> None:
    text = f"invariant a {title}:\n  true\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text, SRC)
    assert info.value.code == "E_SPEC_SYNTAX"
    assert info.value.span is not None
    assert (info.value.span.line, info.value.span.column) == (1, 13)


@pytest.mark.parametrize(
    ("text", "column", "name"),
    [
        pytest.param(
            "lifecycle within 8 steps: Frobnicate requires state == CONNECTED",
            29,
            "Frobnicate",
            id="unknown-event",
        ),
        pytest.param(
            "lifecycle within 8 steps: decrypt requires state == CONNECTED",
            29,
            "decrypt",
            id="event-names-are-case-sensitive",
        ),
    ],
)
def test_unknown_lifecycle_events_are_name_errors(text: str, column: int, name: str) -> None:
    exc = error(f'invariant a "t":\n  {text}\n')
    assert exc.code == "E_SPEC_NAME"
    assert exc.span is not None and (exc.span.line, exc.span.column) == (2, column)
    assert name in exc.message


@pytest.mark.parametrize(
    "guard",
    [
        pytest.param("not state == CONECTED", id="state-typo"),
        pytest.param("state in [CONNECTED, DISCONECTED]", id="state-in-typo"),
        pytest.param("state == connected", id="state-lower-case"),
    ],
)
def test_unknown_store_states_are_name_errors(guard: str) -> None:
    # otherwise a typo makes the guard constant and the invariant vacuously PROVED
    exc = error(f'invariant a "t":\n  lifecycle within 8 steps: Decrypt requires {guard}\n')
    assert exc.code == "E_SPEC_NAME"
    assert exc.span is not None and exc.span.line == 2


# --------------------------------------------------------------------------- #
# load_spec


def test_load_spec_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "one.spec"
    path.write_bytes(b'invariant a "t":\r\n  true\r\ninvariant b "\xc3\xa9": false\r\n')
    spec = load_spec(path)
    assert spec.source == str(path)
    assert [(i.name, i.title, i.span.line) for i in spec.invariants] == [
        ("a", "t", 1),
        ("b", "é", 3),
    ]
    assert spec.invariants[0].span.source == str(path)


def test_load_spec_refuses_a_byte_order_mark_like_every_document(tmp_path: Path) -> None:
    path = tmp_path / "bom.spec"
    path.write_bytes(b'\xef\xbb\xbfinvariant a "t": true\n')
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}:1:1: E_BOM ")


def test_load_spec_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.spec"
    path.write_text('invariant a "t":\n  forall p in persona nobody: true\n', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}:2:15: E_SPEC_NAME ")
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "missing.spec")
    assert info.value.code == "E_IO"
    assert "missing.spec" in info.value.message


# --------------------------------------------------------------------------- #
# specs/cks.spec against the seed facts of the design brief

SEED_FACTS: dict[str, tuple[str, ...]] = {
    "service-linked role: cannot be created directly, only by AWS KMS": (
        "slr_not_created_directly",
    ),
    "lifecycle: disconnect is refused while DISCONNECTING or DISCONNECTED": (
        "disconnect_refused_while_disconnecting_or_disconnected",
    ),
    # personas and their least privilege
    "store manager: creating and managing stores is theirs alone to change": (
        "store_manager_roles_are_tamper_proof",
    ),
    "store manager: creating the first store needs iam:CreateServiceLinkedRole": (
        "first_store_needs_slr_permission",
    ),
    "key manager: what any KMS key manager needs (kms:CreateKey), nothing extra": (
        "key_manager_needs_nothing_extra",
    ),
    "key manager: the default key policy of a store key is that of any KMS key": (
        "store_key_policy_is_default",
    ),
    "key user: the operation's permission, from IAM or key policy; nothing extra": (
        "key_users_need_nothing_store_specific",
        "key_user_no_store_management",
        "key_user_cannot_delete_store",
        "key_users_cannot_administer_keys",
        "key_users_cannot_regrant",
    ),
    # the service-linked role
    "service-linked role: only cks.kms.amazonaws.com may assume it": ("slr_trust",),
    "service-linked role: cloudhsm:Describe* and nine EC2 actions on *": ("slr_permissions_scope",),
    "service-linked role: nothing that creates, manages or deletes clusters, HSMs or backups": (
        "slr_cannot_manage_cloudhsm",
    ),
    "service-linked role: name and policies cannot be edited; it cannot be deleted": (
        "slr_is_protected",
    ),
    "service-linked role: assumed only while an active custom key store exists": (
        "slr_used_only_while_store_active",
    ),
    "service-linked role: supported where both KMS and CloudHSM are available": (
        "stores_only_in_supported_regions",
    ),
    # the store lifecycle
    "lifecycle: connect refused while DISCONNECTING or FAILED": (
        "connect_refused_while_disconnecting_or_failed",
    ),
    "lifecycle: after a disconnect the keys are unusable until reconnected": (
        "keys_unusable_while_disconnected",
    ),
    "lifecycle: delete requires DISCONNECTED and no KMS keys": (
        "delete_requires_disconnected_and_empty",
    ),
    "lifecycle: creating a key requires CONNECTED and active HSMs in two AZs": (
        "create_key_requires_connected_cluster",
    ),
}
"""Each checkable seed fact of the design brief and the built-in invariants that state it.

Not invariants of the built-in spec: the cluster administrator's permissions (a loose list
with "possibly"), the list of connection states and "a new store starts DISCONNECTED" (the
lifecycle model's vocabulary and initial state), and the store manager's exact permission
set, which is about a role the account names (``store_manager_least_privilege`` in the
examples' ``app.spec``): a principal recognised only by what it can do may be an
administrator that holds much more.
"""

APP_SPEC = REPO / "examples" / "cks-account" / "app.spec"
APP_INVARIANTS = (
    "store_manager_least_privilege",
    "store_manager_role_is_tamper_proof",
    "payments_app_least_privilege",
    "ledger_app_least_privilege",
)
"""The example account's own invariants, by role name, in its ``app.spec``."""


@pytest.fixture(scope="module")
def cks_spec() -> Spec:
    return load_spec(CKS_SPEC)


def test_cks_spec_parses(cks_spec: Spec) -> None:
    assert cks_spec.source == str(CKS_SPEC)
    assert list(cks_spec.personas) == ["store_managers"]
    assert len(cks_spec.invariants) == 21
    text = CKS_SPEC.read_text(encoding="utf-8").splitlines()
    for inv in cks_spec.invariants:
        assert inv.title and inv.title[0].isupper(), inv.name
        assert text[inv.span.line - 1].startswith(f"invariant {inv.name} "), inv.name
        assert inv.span.column == 1
    lifecycle = [i.name for i in cks_spec.invariants if isinstance(i.body, Lifecycle)]
    assert lifecycle == [
        "slr_used_only_while_store_active",
        "delete_requires_disconnected_and_empty",
        "keys_unusable_while_disconnected",
        "create_key_requires_connected_cluster",
        "disconnect_refused_while_disconnecting_or_disconnected",
        "connect_refused_while_disconnecting_or_failed",
        "stores_only_in_supported_regions",
    ]


def test_cks_spec_states_the_seed_facts_and_nothing_unaccounted(cks_spec: Spec) -> None:
    names = [i.name for i in cks_spec.invariants]
    mapped = [n for group in SEED_FACTS.values() for n in group]
    assert len(set(mapped)) == len(mapped), "an invariant is mapped to two facts"
    assert sorted(names) == sorted(mapped)


def test_the_builtin_spec_names_no_role_of_the_examples(cks_spec: Spec) -> None:
    text = CKS_SPEC.read_text(encoding="utf-8")
    for name in ("cks-store-manager", "payments-app", "ledger-app", "ci-deployer", '"Admin"'):
        assert name not in text
    app = load_spec(APP_SPEC)
    assert [i.name for i in app.invariants] == list(APP_INVARIANTS)


@pytest.mark.parametrize("fact", list(SEED_FACTS))
def test_cks_spec_has_an_invariant_for_each_seed_fact(cks_spec: Spec, fact: str) -> None:
    names = {i.name for i in cks_spec.invariants}
    assert set(SEED_FACTS[fact]) <= names


def _mentions(f: Formula | Lifecycle, action: str) -> bool:
    if isinstance(f, Lifecycle):
        return False
    if f.actions is not None and action in f.actions.names:
        return True
    return any(_mentions(a, action) for a in f.args)


def test_cks_spec_states_that_disconnect_is_refused_while_disconnecting_or_disconnected(
    cks_spec: Spec,
) -> None:
    # seed: "Disconnect is refused while DISCONNECTING/DISCONNECTED"
    found = [
        i.name
        for i in cks_spec.invariants
        if isinstance(i.body, Lifecycle) and i.body.event == "DisconnectCustomKeyStore"
    ]
    assert found, "no invariant about DisconnectCustomKeyStore in specs/cks.spec"


def test_cks_spec_states_that_the_slr_cannot_be_created_directly(cks_spec: Spec) -> None:
    # seed: "It cannot be created or re-created directly" (only KMS creates it)
    found = [i.name for i in cks_spec.invariants if _mentions(i.body, "iam:CreateRole")]
    assert found, "no invariant says that iam:CreateRole cannot create the service-linked role"
