"""The property language (``grammar/spec.lark``) to a checked, immutable IR.

A spec file declares personas (sets of principals) and invariants. Syntax
errors, unknown personas, unbound variables and misplaced constructs are
:class:`SpecError` with the file, line and column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from cksmodel.errors import InputError
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, decode_document, grammar_text
from cksmodel.source import Span, read_regular_file

BUILTIN_PERSONAS = ("store_manager", "cluster_admin", "key_manager", "key_user")

MAX_NESTING = 100
"""Deepest nesting of a spec's syntax tree. Chains of one operator (``or``, ``and``,
``not``, ``|``, ``&``, ``-``) are flat and may be of any length; what nests is
parentheses around other operators, quantifiers and ``implies``."""

_SET_OPS = {"-": "minus", "|": "union", "&": "intersect"}


class SpecError(InputError):
    """A spec file is malformed or refers to something that does not exist."""

    code = "E_SPEC"


# ---------------------------------------------------------------- IR


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalRef:
    """``kind`` is var, service, role, user, arn (a principal by ARN, of the bundle or
    not), root or anonymous."""

    kind: str
    name: str = ""
    span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Actions:
    """``mode`` one (a single action or pattern), any or all; or a built-in set."""

    mode: str
    names: tuple[str, ...] = ()
    least_privilege: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceRef:
    """``kind`` text (``*`` or an ARN pattern), role, key, any_key, any_store, anything
    (each action on whatever resource it takes), or var (a bound principal's own user or role,
    ``text`` naming the variable)."""

    kind: str
    text: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class SetExpr:
    """A set of principals: persona, that_can, account (the bundle's), outside (the roles
    and users of other accounts the bundle names), filter (those of both whose ARN, name or
    path matches ``pattern``), organization (every principal of every member account),
    account_id (those of the account ``name``), account_var (those of the account bound
    to the variable ``name``), store_accounts (those of the accounts holding a custom
    key store), or minus/union/intersect.

    ``minus``, ``union`` and ``intersect`` fold ``args`` from left to right: ``a - b - c``
    is one ``minus`` node with three arguments.
    """

    op: str
    name: str = ""
    """The persona; for a filter, ``role``, ``user`` or empty for both."""
    on: str = ""
    """For a filter: ``arn``, ``name`` or ``path``."""
    pattern: str = ""
    actions: Actions | None = None
    resource: ResourceRef | None = None
    args: tuple[SetExpr, ...] = ()
    span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Formula:
    """A node of an invariant's formula.

    ``op`` is one of forall, exists (with ``binder`` any_principal, member_of,
    key_of, or account_of: the accounts of the organization, one at a time), implies,
    or, and, not, can, can_star (directly or through escalation, answered on the
    reachability graph), same, member (``var in members``), permissions, key_policy,
    true, false.
    """

    op: str
    span: Span
    args: tuple[Formula, ...] = ()
    var: str = ""
    binder: str = ""
    members: SetExpr | None = None
    key_set: str = ""
    principal: PrincipalRef | None = None
    other: PrincipalRef | None = None
    actions: Actions | None = None
    resource: ResourceRef | None = None
    context: tuple[tuple[str, str], ...] = ()
    persona: str = ""
    relation: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Guard:
    """A lifecycle guard: state, state_in, keys, zones, region, and, or, not."""

    op: str
    names: tuple[str, ...] = ()
    cmp: str = ""
    number: int = 0
    args: tuple[Guard, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Lifecycle:
    steps: int
    event: str
    guard: Guard
    span: Span
    event_span: Span | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Invariant:
    name: str
    title: str
    body: Formula | Lifecycle
    span: Span


@dataclass(frozen=True, kw_only=True, slots=True)
class Persona:
    name: str
    members: SetExpr
    span: Span


@dataclass(frozen=True, kw_only=True, slots=True)
class Spec:
    source: str
    personas: dict[str, Persona]
    invariants: tuple[Invariant, ...]


# ---------------------------------------------------------------- parsing


@cache
def _parser() -> Lark:
    return Lark(grammar_text("spec.lark"), parser="lalr", propagate_positions=True)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source

    def string(self, tok: Token) -> str:
        try:
            value: str = json.loads(str(tok))
        except ValueError:
            raise SpecError(
                'invalid escape in a string; expected one of \\\\ \\" \\n \\t \\uXXXX',
                span=self.span(tok),
                code="E_SPEC_SYNTAX",
            ) from None
        return value

    def span(self, node: Tree[Token] | Token) -> Span:
        if isinstance(node, Token):
            return Span(source=self.source, line=node.line or 1, column=node.column or 1)
        meta = node.meta
        line = getattr(meta, "line", 1)
        column = getattr(meta, "column", 1)
        return Span(source=self.source, line=line, column=column)

    def spec(self, tree: Tree[Token]) -> Spec:
        personas: dict[str, Persona] = {}
        invariants: list[Invariant] = []
        seen: dict[str, Span] = {}
        for item in tree.children:
            assert isinstance(item, Tree)
            name_tok = item.children[0]
            assert isinstance(name_tok, Token)
            name = str(name_tok)
            if item.data == "persona_def":
                if name in BUILTIN_PERSONAS:
                    raise SpecError(
                        f"persona {name!r} is built in and cannot be redefined; choose another "
                        f"name (built-in personas: {', '.join(BUILTIN_PERSONAS)})",
                        span=self.span(name_tok),
                        code="E_SPEC_NAME",
                    )
                if name in personas:
                    raise SpecError(
                        f"persona {name!r} is defined twice",
                        span=self.span(name_tok),
                        code="E_SPEC_NAME",
                    )
                sub = item.children[1]
                assert isinstance(sub, Tree)
                personas[name] = Persona(
                    name=name, members=self.set_expr(sub), span=self.span(item)
                )
            else:
                if name in seen:
                    first = seen[name]
                    raise SpecError(
                        f"invariant {name!r} is defined twice (first at line {first.line})",
                        span=self.span(name_tok),
                        code="E_SPEC_NAME",
                    )
                seen[name] = self.span(name_tok)
                title_tok, body = item.children[1], item.children[2]
                assert isinstance(title_tok, Token) and isinstance(body, Tree)
                parsed: Formula | Lifecycle = (
                    self.lifecycle(body) if body.data == "lifecycle" else self.formula(body)
                )
                invariants.append(
                    Invariant(
                        name=name, title=self.string(title_tok), body=parsed, span=self.span(item)
                    )
                )
        return Spec(source=self.source, personas=personas, invariants=tuple(invariants))

    def formula(self, t: Tree[Token]) -> Formula:
        span = self.span(t)
        kids = t.children
        if t.data == "quantified":
            quant, binder, body = kids
            assert isinstance(binder, Tree) and isinstance(body, Tree)
            var = str(binder.children[0])
            members = None
            key_set = ""
            if binder.data == "member_of":
                sub = binder.children[1]
                assert isinstance(sub, Tree)
                members = self.set_expr(sub)
            elif binder.data == "key_of":
                sub = binder.children[1]
                assert isinstance(sub, Tree)
                key_set = str(sub.data)
            return Formula(
                op=str(quant),
                span=span,
                args=(self.formula(body),),
                var=var,
                binder=str(binder.data),
                members=members,
                key_set=key_set,
            )
        if t.data == "implies":
            return Formula(
                op="implies", span=span, args=tuple(self.formula(_tree(k)) for k in kids)
            )
        if t.data in ("disjunction", "conjunction"):
            op = "or" if t.data == "disjunction" else "and"
            args: list[Formula] = []
            for k in kids:
                part = self.formula(_tree(k))
                args.extend(part.args if part.op == op else (part,))
            return Formula(op=op, span=span, args=tuple(args))
        if t.data == "negation":
            inner = self.formula(_tree(kids[-1]))
            if len(kids) % 2:
                return inner
            if inner.op == "not":
                return inner.args[0]
            return Formula(op="not", span=span, args=(inner,))
        if t.data in ("true", "false"):
            return Formula(op=str(t.data), span=span)
        if t.data == "can":
            principal, actions, resource, context = kids
            pairs: tuple[tuple[str, str], ...] = ()
            if context is not None:
                pairs = tuple(
                    (self.string(p.children[0]), self.string(p.children[1]))  # type: ignore[arg-type, union-attr]
                    for p in _tree(context).children
                )
            return Formula(
                op="can",
                span=span,
                principal=self.principal(_tree(principal)),
                actions=self.actions(_tree(actions)),
                resource=self.resource(_tree(resource)),
                context=pairs,
            )
        if t.data == "can_star":
            principal, actions, resource = kids[-3:]
            return Formula(
                op="can_star",
                span=span,
                principal=self.principal(_tree(principal)),
                actions=self.actions(_tree(actions)),
                resource=self.resource(_tree(resource)),
            )
        if t.data == "same":
            return Formula(
                op="same",
                span=span,
                principal=self.principal(_tree(kids[0])),
                other=self.principal(_tree(kids[1])),
            )
        if t.data == "member":
            return Formula(
                op="member",
                span=span,
                var=str(kids[0]),
                members=self.set_expr(_tree(kids[1])),
            )
        if t.data == "permissions":
            subject_tree = _tree(kids[0])
            persona = ""
            who: PrincipalRef | None = None
            if subject_tree.data == "persona_subject":
                persona = str(subject_tree.children[0])
            else:
                who = self.principal(_tree(subject_tree.children[0]))
            return Formula(
                op="permissions",
                span=span,
                principal=who,
                persona=persona,
                relation=str(kids[1]),
                actions=self.action_list(_tree(kids[2]), "all"),
            )
        if t.data == "key_policy":
            return Formula(op="key_policy", span=span, var=str(kids[0]), relation=str(kids[1]))
        raise SpecError(f"unexpected construct {t.data}", span=span)

    def principal(self, t: Tree[Token]) -> PrincipalRef:
        span = self.span(t)
        if t.data in ("root", "anonymous"):
            return PrincipalRef(kind=str(t.data), span=span)
        tok = t.children[0]
        assert isinstance(tok, Token)
        if t.data == "var":
            return PrincipalRef(kind="var", name=str(tok), span=span)
        return PrincipalRef(kind=str(t.data), name=self.string(tok), span=span)

    def action(self, tok: Token) -> str:
        name = self.string(tok)
        if not name.strip():
            raise SpecError(
                "an action cannot be empty; expected service:Action or a pattern such as kms:*",
                span=self.span(tok),
                code="E_SPEC_ACTION",
            )
        return name

    def actions(self, t: Tree[Token]) -> Actions:
        if t.data == "one_action":
            return Actions(mode="one", names=(self.action(_token(t.children[0])),))
        mode, action_list = t.children
        return self.action_list(_tree(action_list), str(mode))

    def action_list(self, t: Tree[Token], mode: str) -> Actions:
        if t.data == "least_privilege":
            name = str(t.children[0])
            if name not in BUILTIN_PERSONAS:
                raise SpecError(
                    f"no least-privilege set named {name!r}; expected one of "
                    + ", ".join(BUILTIN_PERSONAS),
                    span=self.span(t),
                    code="E_SPEC_NAME",
                )
            return Actions(mode=mode, least_privilege=name)
        return Actions(mode=mode, names=tuple(self.action(_token(k)) for k in t.children))

    def resource(self, t: Tree[Token]) -> ResourceRef:
        if t.data in ("any_key", "any_store", "anything"):
            return ResourceRef(kind=str(t.data))
        tok = t.children[0]
        assert isinstance(tok, Token)
        if t.data == "principal_resource":
            return ResourceRef(kind="var", text=str(tok))
        kind = {"resource_text": "text", "role_resource": "role", "key_resource": "key"}[
            str(t.data)
        ]
        return ResourceRef(kind=kind, text=self.string(tok))

    def set_expr(self, t: Tree[Token]) -> SetExpr:
        span = self.span(t)
        if t.data == "set_expr":
            kids = t.children
            acc = self.set_expr(_tree(kids[0]))
            op = ""
            run: list[SetExpr] = []
            for sign, term in zip(kids[1::2], kids[2::2], strict=True):
                if _SET_OPS[str(sign)] != op and run:
                    acc, run = _fold(op, acc, run, span), []
                op = _SET_OPS[str(sign)]
                right = self.set_expr(_tree(term))
                run.extend(right.args if right.op == op != "minus" else (right,))
            return _fold(op, acc, run, span)
        if t.data == "persona_ref":
            return SetExpr(op="persona", name=str(t.children[0]), span=span)
        if t.data in ("account", "outside", "organization", "store_accounts"):
            return SetExpr(op=str(t.data), span=span)
        if t.data == "account_id":
            text = self.string(_token(t.children[0]))
            if not (len(text) == 12 and text.isdigit()):
                raise SpecError(
                    f"expected a 12-digit account id, not {text!r}",
                    span=span,
                    code="E_SPEC_TYPE",
                )
            return SetExpr(op="account_id", name=text, span=span)
        if t.data == "account_var":
            return SetExpr(op="account_var", name=str(t.children[0]), span=span)
        if t.data in ("any_kind", "roles", "users"):
            rule = _tree(t.children[0])
            pattern = self.string(_token(rule.children[0]))
            on = "path" if rule.data == "with_path" else "name"
            if on == "name" and pattern.lower().startswith("arn:"):
                on = "arn"
            kind = {"any_kind": "", "roles": "role", "users": "user"}[str(t.data)]
            return SetExpr(op="filter", name=kind, on=on, pattern=pattern, span=span)
        actions, resource = t.children
        return SetExpr(
            op="that_can",
            actions=self.actions(_tree(actions)),
            resource=self.resource(_tree(resource)),
            span=span,
        )

    def number(self, tok: Token) -> int:
        try:
            return int(str(tok))
        except ValueError:
            raise SpecError(
                f"a number of {len(tok):,} digits is too large",
                span=self.span(tok),
                code="E_SPEC_LIMIT",
            ) from None

    def lifecycle(self, t: Tree[Token]) -> Lifecycle:
        steps, event, guard = t.children
        return Lifecycle(
            steps=self.number(_token(steps)),
            event=str(event),
            guard=self.guard(_tree(guard)),
            span=self.span(t),
            event_span=self.span(event),
        )

    def guard(self, t: Tree[Token]) -> Guard:
        kids = t.children
        if t.data in ("guard", "guard_and"):
            op = "or" if t.data == "guard" else "and"
            args: list[Guard] = []
            for k in kids:
                part = self.guard(_tree(k))
                args.extend(part.args if part.op == op else (part,))
            return Guard(op=op, args=tuple(args))
        if t.data == "guard_not":
            inner = self.guard(_tree(kids[-1]))
            if len(kids) % 2:
                return inner
            if inner.op == "not":
                return inner.args[0]
            return Guard(op="not", args=(inner,))
        if t.data == "g_state":
            return Guard(op="state", names=(str(kids[0]),))
        if t.data == "g_state_in":
            return Guard(op="state_in", names=tuple(str(k) for k in kids))
        if t.data in ("g_keys", "g_zones"):
            return Guard(op=str(t.data)[2:], cmp=str(kids[0]), number=self.number(_token(kids[1])))
        return Guard(op="region")


def _fold(op: str, acc: SetExpr, run: list[SetExpr], span: Span) -> SetExpr:
    """``acc op run[0] op run[1] ...`` as one node (``acc`` is kept whole unless it is
    already a chain of ``op``)."""
    if not run:
        return acc
    first = acc.args if acc.op == op else (acc,)
    return SetExpr(op=op, args=(*first, *run), span=span)


def _tree(node: Any) -> Tree[Token]:
    assert isinstance(node, Tree)
    return node


def _token(node: Any) -> Token:
    assert isinstance(node, Token)
    return node


def _check_nesting(tree: Tree[Token], builder: _Builder) -> None:
    """Refuse, without recursion, a syntax tree nested deeper than :data:`MAX_NESTING`."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise SpecError(
                f"expression nested more than {MAX_NESTING} levels deep; chains of one "
                "operator need no parentheses, or split the invariant",
                span=builder.span(node),
                code="E_SPEC_LIMIT",
            )
        stack.extend((k, depth + 1) for k in node.children if isinstance(k, Tree))


_TOKEN_TEXT = {
    "STRING": "a quoted string",
    "NAME": "a name",
    "INT": "a number",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "COLON": "':'",
    "LSQB": "'['",
    "RSQB": "']'",
    "$END": "end of file",
}


def parse_spec(text: str, source: str) -> Spec:
    """Parse and check one spec document."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        if isinstance(exc, UnexpectedToken | UnexpectedEOF):
            expected = sorted({_terminal_text(e) for e in exc.expected})
            at_end = isinstance(exc, UnexpectedEOF) or (
                isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
            )
            got = "end of file" if at_end else repr(str(exc.token))
            message = f"unexpected {got}; expected {', '.join(expected[:8])}"
        elif isinstance(exc, UnexpectedCharacters):
            message = f"unexpected character {text[exc.pos_in_stream or 0]!r}"
        else:
            message = "invalid spec"
        line, column = exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1
        raise SpecError(
            message, span=Span(source=source, line=line, column=column), code="E_SPEC_SYNTAX"
        ) from None
    builder = _Builder(source)
    _check_nesting(tree, builder)
    spec = builder.spec(tree)
    check_spec(spec)
    return spec


def _terminal_text(name: str) -> str:
    """A terminal as people write it: ``'=='`` rather than lark's ``__ANON_0``."""
    if name in _TOKEN_TEXT:
        return _TOKEN_TEXT[name]
    try:
        pattern = _parser().get_terminal(name).pattern
    except KeyError:
        return repr(name.lower())
    if pattern.type == "str":
        return repr(pattern.value)
    return repr(name.lower().strip("_"))


def load_spec(path: Path) -> Spec:
    try:
        data = read_regular_file(path, limit=MAX_DOCUMENT_BYTES)
    except OSError as exc:
        raise SpecError(f"cannot read spec {str(path)!r}: {exc.strerror}", code="E_IO") from None
    return parse_spec(decode_document(data, str(path)), str(path))


def check_spec(spec: Spec) -> None:
    """Names resolve: personas exist, variables are bound where they are used."""
    for persona in spec.personas.values():
        _check_set(spec, persona.members)
    persona_order(spec)
    for inv in spec.invariants:
        if isinstance(inv.body, Formula):
            _check_formula(spec, inv.body, principals=set(), keys=set(), symbolic=False)
        else:
            _check_lifecycle(inv.body)


def persona_refs(s: SetExpr) -> list[str]:
    """The personas a set expression names, in order."""
    if s.op == "persona":
        return [s.name]
    return [n for a in s.args for n in persona_refs(a)]


def persona_order(spec: Spec) -> list[str]:
    """The spec's personas, each after the personas its definition names.

    Iterative, so a chain of thousands of personas defined in terms of each other
    needs no deep recursion; a cycle is a :class:`SpecError`.
    """
    order: list[str] = []
    done: set[str] = set()
    for root in spec.personas:
        if root in done:
            continue
        path, on_path = [root], {root}
        stack = [iter(persona_refs(spec.personas[root].members))]
        while stack:
            for ref in stack[-1]:
                if ref not in spec.personas or ref in done:
                    continue
                if ref in on_path:
                    cycle = " -> ".join([*path[path.index(ref) :], ref])
                    raise SpecError(
                        f"personas are defined in terms of each other: {cycle}",
                        span=spec.personas[ref].span,
                        code="E_SPEC_NAME",
                    )
                path.append(ref)
                on_path.add(ref)
                stack.append(iter(persona_refs(spec.personas[ref].members)))
                break
            else:
                stack.pop()
                on_path.discard(path[-1])
                done.add(path[-1])
                order.append(path.pop())
    return order


def _check_lifecycle(life: Lifecycle) -> None:
    from cksmodel.cks.lifecycle import EVENTS, ConnectionState

    if life.event not in EVENTS:
        raise SpecError(
            f"unknown lifecycle event {life.event!r}; expected one of {', '.join(EVENTS)}",
            span=life.event_span or life.span,
            code="E_SPEC_NAME",
        )
    states = {s.value for s in ConnectionState} | {"NONE"}

    def walk(g: Guard) -> None:
        for name in g.names:
            if name not in states:
                raise SpecError(
                    f"unknown store state {name!r}; expected one of {', '.join(sorted(states))}",
                    span=life.span,
                    code="E_SPEC_NAME",
                )
        for a in g.args:
            walk(a)

    walk(life.guard)


def _check_set(spec: Spec, s: SetExpr, accounts: frozenset[str] = frozenset()) -> None:
    if s.op == "account_var" and s.name not in accounts:
        assert s.span is not None
        raise SpecError(
            f"unknown account {s.name!r}; bind it with 'forall account {s.name}' first",
            span=s.span,
            code="E_SPEC_NAME",
        )
    if s.op == "persona" and s.name not in spec.personas and s.name not in BUILTIN_PERSONAS:
        assert s.span is not None
        known = sorted(set(spec.personas) | set(BUILTIN_PERSONAS))
        raise SpecError(
            f"unknown persona {s.name!r}; known personas: {', '.join(known)}",
            span=s.span,
            code="E_SPEC_NAME",
        )
    for a in s.args:
        _check_set(spec, a, accounts)


def _check_principal(ref: PrincipalRef | None, principals: set[str], keys: set[str]) -> None:
    if ref is None or ref.kind != "var":
        return
    if ref.name in keys:
        raise SpecError(
            f"{ref.name!r} is a key, but a principal is expected here",
            span=ref.span,
            code="E_SPEC_TYPE",
        )
    if ref.name not in principals:
        raise SpecError(
            f"unknown name {ref.name!r}; bind it with 'forall {ref.name} in ...' first",
            span=ref.span,
            code="E_SPEC_NAME",
        )


def _check_formula(
    spec: Spec,
    f: Formula,
    *,
    principals: set[str],
    keys: set[str],
    symbolic: bool,
    accounts: frozenset[str] = frozenset(),
) -> None:
    if f.op in ("forall", "exists"):
        if f.members is not None:
            _check_set(spec, f.members, accounts)
        inner_accounts = accounts
        if f.binder == "key_of":
            inner_keys, inner_principals = keys | {f.var}, principals - {f.var}
        elif f.binder == "account_of":
            inner_keys, inner_principals = keys - {f.var}, principals - {f.var}
            inner_accounts = accounts | {f.var}
        else:
            inner_keys, inner_principals = keys - {f.var}, principals | {f.var}
        inner_symbolic = symbolic or f.binder == "any_principal"
        for a in f.args:
            _check_formula(
                spec,
                a,
                principals=inner_principals,
                keys=inner_keys,
                symbolic=inner_symbolic,
                accounts=inner_accounts,
            )
        return
    for a in f.args:
        _check_formula(
            spec, a, principals=principals, keys=keys, symbolic=symbolic, accounts=accounts
        )
    _check_principal(f.principal, principals, keys)
    _check_principal(f.other, principals, keys)
    if f.op == "member":
        assert f.members is not None
        _check_set(spec, f.members, accounts)
        _check_principal(PrincipalRef(kind="var", name=f.var, span=f.span), principals, keys)
        if symbolic and f.members.op not in ("organization", "account_id"):
            raise SpecError(
                "'p in SET' is about principals of the bundle or those it names: "
                "quantify with 'forall p in …', not 'forall principal' (which allows "
                "only 'p in organization' and 'p in account \"ID\"')",
                span=f.span,
                code="E_SPEC_TYPE",
            )
    if f.resource is not None and f.resource.kind == "var":
        if f.resource.text not in principals:
            raise SpecError(
                f"unknown principal {f.resource.text!r} as a resource; bind it with "
                f"'forall {f.resource.text} in …' first",
                span=f.span,
                code="E_SPEC_NAME",
            )
        if symbolic:
            raise SpecError(
                "a principal as a resource needs 'forall p in …' over the bundle, "
                "not 'forall principal'",
                span=f.span,
                code="E_SPEC_TYPE",
            )
    if f.op == "permissions" and f.persona:
        _check_set(spec, SetExpr(op="persona", name=f.persona, span=f.span))
    if f.op == "key_policy":
        if f.var in principals:
            raise SpecError(
                f"{f.var!r} is a principal, but a key is expected here",
                span=f.span,
                code="E_SPEC_TYPE",
            )
        if f.var not in keys:
            raise SpecError(
                f"unknown key {f.var!r}; bind it with 'forall key {f.var} in store_keys' first",
                span=f.span,
                code="E_SPEC_NAME",
            )
