"""Terraform plans (``terraform show -json PLAN``) to :class:`~cksmodel.infra.model.Infrastructure`.

Resources come from ``planned_values`` (the root module and every ``child_modules`` level, so
addresses such as ``module.x.aws_iam_role.y[0]`` and ``aws_iam_role.r["a"]`` are kept as
Terraform prints them), joined by address with ``resource_changes`` for what is known only
after apply (``after_unknown``) and what is sensitive (``after_sensitive``). Data sources read
while planning (``aws_iam_policy_document`` as rendered, ``aws_caller_identity``) come from
``prior_state``; ``configuration`` says which resource an unknown value references.

A value known only after apply becomes an :class:`~cksmodel.infra.model.Unknown`, listed as
an approximation. A sensitive value is never read, so no output can print it: it is an
``Unknown`` too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cksmodel.infra.model import (
    DEFAULT_REGION,
    PLACEHOLDER_ACCOUNT,
    Approximation,
    Attachment,
    HsmCluster,
    IamGroup,
    IamRole,
    IamUser,
    InfraError,
    Infrastructure,
    InstanceProfile,
    KeyStore,
    KmsGrant,
    KmsKey,
    Locus,
    ManagedPolicy,
    Membership,
    OrgPolicy,
    PolicyDocument,
    ReadOptions,
    Text,
    Unknown,
    partition_of,
)
from cksmodel.infra.resources import lambda_permission_document, positioned
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.jsontext import PDict, PList, Pos
from cksmodel.source import Span

__all__ = ["is_plan", "read_plan"]

_RESOURCE_POLICIES = {
    "aws_s3_bucket_policy": ("bucket", "AWS::S3::Bucket"),
    "aws_sqs_queue_policy": ("queue_url", "AWS::SQS::Queue"),
    "aws_sns_topic_policy": ("arn", "AWS::SNS::Topic"),
    "aws_secretsmanager_secret_policy": ("secret_arn", "AWS::SecretsManager::Secret"),
}

_ORG_TYPES: dict[str, Literal["SCP", "RCP"]] = {
    "SERVICE_CONTROL_POLICY": "SCP",
    "RESOURCE_CONTROL_POLICY": "RCP",
}


def is_plan(value: Any) -> bool:
    """A plan has ``format_version`` and ``planned_values`` or ``resource_changes``."""
    return (
        isinstance(value, Mapping)
        and "format_version" in value
        and ("planned_values" in value or "resource_changes" in value)
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Resource:
    """One resource instance of the plan: its values and what is unknown or sensitive."""

    address: str
    module: str
    mode: str
    type: str
    values: PDict
    unknown: Any
    sensitive: Any
    pos: Pos | None

    def attribute_pos(self, key: str) -> Pos | None:
        return self.values.value_pos.get(key) or self.pos


def read_plan(value: PDict, source: str, options: ReadOptions) -> Infrastructure:
    """Read a parsed plan (positioned values)."""
    return _Plan(value, source, options).read()


def _walk_modules(module: Any) -> Iterator[tuple[str, PDict, PDict]]:
    """(module address, module object, resource) for every resource of a module tree."""
    if not isinstance(module, PDict):
        return
    address = str(module.get("address", ""))
    for item in module.get("resources") or ():
        if isinstance(item, PDict):
            yield address, module, item
    for child in module.get("child_modules") or ():
        yield from _walk_modules(child)


class _Plan:
    def __init__(self, root: PDict, source: str, options: ReadOptions) -> None:
        self.root = root
        self.source = source
        self.options = options
        self.approximations: list[Approximation] = []
        self.policies: list[PolicyDocument] = []
        self.changes: dict[str, PDict] = {}
        for change in root.get("resource_changes") or ():
            if isinstance(change, PDict) and isinstance(change.get("address"), str):
                self.changes[change["address"]] = change
        self.references = self._references()

    def fail(self, pos: Pos | None, message: str) -> InfraError:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return InfraError(message, span=Span(source=self.source, line=line, column=column))

    def locus(self, address: str, pos: Pos | None) -> Locus:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return Locus(
            source=self.source,
            address=address,
            span=Span(source=self.source, line=line, column=column),
        )

    # --- configuration: which resource an expression references -------------------------

    def _references(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(configuration address, attribute) to the resources its expression references."""
        out: dict[tuple[str, str], tuple[str, ...]] = {}
        config = self.root.get("configuration")
        if not isinstance(config, Mapping):
            return out

        def visit(module: Any, prefix: str) -> None:
            if not isinstance(module, Mapping):
                return
            for resource in module.get("resources") or ():
                if not isinstance(resource, Mapping):
                    continue
                address = f"{prefix}{resource.get('address', '')}"
                for attr, expr in (resource.get("expressions") or {}).items():
                    refs = expr.get("references") if isinstance(expr, Mapping) else None
                    if isinstance(refs, list):
                        out[(address, attr)] = tuple(
                            dict.fromkeys(_resource_ref(prefix, str(r)) for r in refs if _is_ref(r))
                        )
            for name, call in (module.get("module_calls") or {}).items():
                if isinstance(call, Mapping):
                    visit(call.get("module"), f"{prefix}module.{name}.")

        visit(config.get("root_module"), "")
        return out

    def _config_address(self, resource: _Resource) -> str:
        """The resource's address without instance keys (``module.m.aws_x.y``)."""
        parts: list[str] = []
        for part in _split_address(resource.address):
            parts.append(part.split("[", 1)[0])
        return ".".join(parts)

    # --- values -----------------------------------------------------------------------------

    def resources(self) -> Iterator[_Resource]:
        seen: set[str] = set()
        planned = self.root.get("planned_values")
        prior = self.root.get("prior_state")
        trees: list[Any] = []
        if isinstance(planned, Mapping):
            trees.append(planned.get("root_module"))
        if isinstance(prior, Mapping) and isinstance(prior.get("values"), Mapping):
            trees.append(prior["values"].get("root_module"))
        for index, tree in enumerate(trees):
            for module, _, item in _walk_modules(tree):
                address = item.get("address")
                if not isinstance(address, str) or address in seen:
                    continue
                if index > 0 and item.get("mode") != "data":
                    continue
                seen.add(address)
                yield self._resource(address, module, item)
        for address, change in self.changes.items():
            if address in seen or not isinstance(change.get("change"), PDict):
                continue
            actions = change["change"].get("actions") or []
            if "delete" in actions and "create" not in actions:
                continue
            seen.add(address)
            yield self._resource(address, str(change.get("module_address", "")), change)

    def _resource(self, address: str, module: str, item: PDict) -> _Resource:
        change = self.changes.get(address)
        body = change.get("change") if change is not None else None
        values = item.get("values")
        unknown: Any = {}
        sensitive: Any = item.get("sensitive_values", {})
        if isinstance(body, PDict):
            unknown = body.get("after_unknown", {})
            sensitive = body.get("after_sensitive", sensitive)
            if not isinstance(values, PDict) and isinstance(body.get("after"), PDict):
                values = body["after"]
        if not isinstance(values, PDict):
            values = PDict()
            values.pos = item.pos
        return _Resource(
            address=address,
            module=module,
            mode=str(item.get("mode", "managed")),
            type=str(item.get("type", "")),
            values=values,
            unknown=unknown,
            sensitive=sensitive,
            pos=item.pos,
        )

    def value(self, r: _Resource, key: str) -> Any:
        """The attribute's value, or an :class:`Unknown` (after apply, or sensitive)."""
        if _flag(r.sensitive, key):
            return self._unknown(r, key, "sensitive")
        if _flag(r.unknown, key) and r.values.get(key) is None:
            return self._unknown(r, key, "known after apply")
        return r.values.get(key)

    def _unknown(self, r: _Resource, key: str, reason: str) -> Unknown:
        refs = self.references.get((self._config_address(r), key), ())
        found = Unknown(address=r.address, attribute=key, reason=reason, references=refs)
        note = Approximation(
            location=self.locus(r.address, r.attribute_pos(key)),
            message=f"{key} is {reason}"
            + (f" (from {', '.join(refs)})" if refs else "")
            + ("; its value is not read" if reason == "sensitive" else "; not guessed"),
        )
        if note not in self.approximations:
            self.approximations.append(note)
        return found

    def text(self, r: _Resource, key: str) -> Text | None:
        found = self.value(r, key)
        if found is None or isinstance(found, Unknown):
            return found
        if isinstance(found, Mapping | list):
            raise self.fail(r.attribute_pos(key), f"{r.address}: {key} must be a string")
        return str(found).lower() if isinstance(found, bool) else str(found)

    def texts(self, r: _Resource, key: str) -> tuple[Text, ...]:
        found = self.value(r, key)
        if found is None:
            return ()
        if isinstance(found, Unknown):
            return (found,)
        if not isinstance(found, list):
            raise self.fail(r.attribute_pos(key), f"{r.address}: {key} must be a list")
        flags = r.unknown.get(key) if isinstance(r.unknown, Mapping) else None
        out: list[Text] = []
        for index, item in enumerate(found):
            if isinstance(flags, list) and index < len(flags) and flags[index] is True:
                out.append(self._unknown(r, f"{key}[{index}]", "known after apply"))
            elif item is not None:
                out.append(str(item))
        return tuple(out)

    def rendered(self, references: tuple[str, ...]) -> str | None:
        """The ``json`` of the one ``aws_iam_policy_document`` data source an unknown policy
        attribute references, when the plan has it rendered (read while planning)."""
        sources = [ref for ref in references if ref.split(".")[-3:-2] == ["data"]]
        sources = [ref for ref in sources if ".aws_iam_policy_document." in f".{ref}"]
        if len(sources) != 1 or len(references) != 1:
            return None
        for r in self.resources():
            if r.mode == "data" and self._config_address(r) == sources[0]:
                found = r.values.get("json")
                if isinstance(found, str) and not _flag(r.unknown, "json"):
                    return None if _flag(r.sensitive, "json") else found
        return None

    def document(
        self,
        r: _Resource,
        key: str,
        policy_type: PolicyType,
        *,
        name: str | None = None,
        public_type: str | None = None,
        container: PDict | None = None,
        sensitive: Any = None,
        unknown: Any = None,
    ) -> PolicyDocument | None:
        """The policy held (as JSON text) in attribute ``key`` of the resource, or of
        ``container`` (an item of a nested block, with its own flags)."""
        holder = r.values if container is None else container
        flags_s = r.sensitive if container is None else sensitive
        flags_u = r.unknown if container is None else unknown
        pos = holder.value_pos.get(key) or holder.pos or r.pos
        missing: Unknown | None = None
        text = holder.get(key)
        if _flag(flags_s, key):
            missing, text = self._unknown(r, key, "sensitive"), None
        elif _flag(flags_u, key) and text is None:
            refs = self.references.get((self._config_address(r), key), ())
            text = self.rendered(refs)
            if text is None:
                missing = self._unknown(r, key, "known after apply")
        elif text in (None, ""):
            return None
        if text is not None and not isinstance(text, str | PDict):
            raise self.fail(pos, f"{r.address}: {key} must be a JSON policy document string")
        doc = PolicyDocument(
            resource=r.address,
            resource_type=r.type,
            name=name or key,
            policy_type=policy_type,
            location=self.locus(r.address, holder.key_pos.get(key) or pos),
            document=text,
            unknown=missing,
            approximations=(
                ()
                if missing is None
                else tuple(a for a in self.approximations if a.location.address == r.address)
            ),
            public_type=public_type,
        )
        self.policies.append(doc)
        return doc

    # --- resources ---------------------------------------------------------------------------

    def read(self) -> Infrastructure:
        account, region, partition = self._pseudo()
        facts: dict[str, list[Any]] = {k: [] for k in _FACT_KINDS}
        for r in self.resources():
            if r.mode == "data":
                continue
            reader = _READERS.get(r.type)
            if reader is not None:
                reader(self, r, facts)
        targets: dict[str, list[Text]] = {}
        for policy_ref, target in facts["org_targets"]:
            targets.setdefault(policy_ref, []).append(target)
        org = [
            _with_targets(
                p,
                list(
                    dict.fromkeys(
                        targets.get(p.location.address, [])
                        + targets.get(self._config_key(p.location.address), [])
                    )
                ),
            )
            for p in facts["org"]
        ]
        removed = tuple(
            self.locus(address, change.pos)
            for address, change in self.changes.items()
            if isinstance(change.get("change"), Mapping)
            and "delete" in (change["change"].get("actions") or [])
            and "create" not in (change["change"].get("actions") or [])
        )
        return Infrastructure(
            source=self.source,
            kind="terraform",
            account_id=account,
            region=region,
            partition=partition,
            policies=tuple(self.policies),
            roles=tuple(facts["roles"]),
            users=tuple(facts["users"]),
            groups=tuple(facts["groups"]),
            instance_profiles=tuple(facts["profiles"]),
            managed_policies=tuple(facts["managed"]),
            attachments=tuple(facts["attachments"]),
            memberships=tuple(facts["memberships"]),
            keys=tuple(facts["keys"]),
            grants=tuple(facts["grants"]),
            stores=tuple(facts["stores"]),
            clusters=tuple(facts["clusters"]),
            org_policies=tuple(org),
            removed=removed,
            approximations=tuple(self.approximations),
        )

    def _config_key(self, address: str) -> str:
        return ".".join(part.split("[", 1)[0] for part in _split_address(address))

    def _provider_region(self) -> str | None:
        """The Region the configuration's default ``aws`` provider is given as a constant."""
        config = self.root.get("configuration")
        providers = config.get("provider_config") if isinstance(config, Mapping) else None
        aws = providers.get("aws") if isinstance(providers, Mapping) else None
        return _constant(aws.get("expressions"), "region") if isinstance(aws, Mapping) else None

    def _pseudo(self) -> tuple[str, str, str]:
        """Account, Region and partition: the options, else the plan's ``aws_caller_identity``
        / ``aws_region`` / ``aws_partition`` data sources (and the provider's constant
        ``region``), else placeholders (noted)."""
        found: dict[str, str] = {}
        for r in self.resources():
            if r.mode != "data":
                continue
            for rtype, key, attr in (
                ("aws_caller_identity", "account", "account_id"),
                ("aws_region", "region", "name"),
                ("aws_partition", "partition", "partition"),
            ):
                value = r.values.get(attr)
                if r.type == rtype and isinstance(value, str) and not _flag(r.sensitive, attr):
                    found.setdefault(key, value)
        account = self.options.account_id or found.get("account")
        region = self.options.region or found.get("region") or self._provider_region()
        root_pos = self.root.pos
        if account is None:
            account = PLACEHOLDER_ACCOUNT
            self.approximations.append(
                Approximation(
                    location=self.locus("plan", root_pos),
                    message=f"no --account-id and no aws_caller_identity: account {account} "
                    "is a placeholder",
                )
            )
        if region is None:
            region = DEFAULT_REGION
            self.approximations.append(
                Approximation(
                    location=self.locus("plan", root_pos),
                    message=f"no --region and no aws_region: Region {region} is a placeholder",
                )
            )
        partition = self.options.partition or found.get("partition") or partition_of(region)
        return account, region, partition


def _constant(expressions: Any, key: str) -> str | None:
    expr = expressions.get(key) if isinstance(expressions, Mapping) else None
    value = expr.get("constant_value") if isinstance(expr, Mapping) else None
    return value if isinstance(value, str) else None


def _with_targets(policy: OrgPolicy, targets: list[Text]) -> OrgPolicy:
    from dataclasses import replace

    return replace(policy, targets=tuple(targets)) if targets else policy


def _is_ref(text: Any) -> bool:
    return isinstance(text, str) and not text.startswith(
        ("var.", "local.", "each.", "count.", "path.", "terraform.", "self.")
    )


def _resource_ref(prefix: str, text: str) -> str:
    """A reference as the resource it names, with the module path: ``aws_kms_key.k.arn``
    in module ``m`` is ``module.m.aws_kms_key.k``."""
    parts = _split_address(text)
    size = 2 if parts[0] != "data" else 3
    return prefix + ".".join(p.split("[", 1)[0] for p in parts[:size])


def _split_address(address: str) -> list[str]:
    """An address split at dots outside brackets (``aws_x.y["a.b"]`` stays whole)."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(address):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "." and depth == 0:
            parts.append(address[start:i])
            start = i + 1
    parts.append(address[start:])
    return parts


def _flag(flags: Any, key: str) -> bool:
    """Whether ``after_unknown`` / ``after_sensitive`` marks the attribute (wholly or inside)."""
    if flags is True:
        return True
    if not isinstance(flags, Mapping):
        return False
    return _any_true(flags.get(key))


def _any_true(value: Any) -> bool:
    if value is True:
        return True
    if isinstance(value, Mapping):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return False


# --- one reader per resource type -----------------------------------------------------------

_Facts = dict[str, list[Any]]

_FACT_KINDS = [
    "roles",
    "users",
    "groups",
    "profiles",
    "managed",
    "attachments",
    "memberships",
    "keys",
    "grants",
    "stores",
    "clusters",
    "org",
    "org_targets",
]


def _iam_role(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    trust = plan.document(
        r,
        "assume_role_policy",
        PolicyType.TRUST,
        name="TrustPolicy",
        public_type="AWS::IAM::AssumeRolePolicyDocument",
    )
    inline: list[PolicyDocument] = []
    blocks = plan.value(r, "inline_policy")
    if isinstance(blocks, PList):
        s_flags = r.sensitive.get("inline_policy") if isinstance(r.sensitive, Mapping) else None
        u_flags = r.unknown.get("inline_policy") if isinstance(r.unknown, Mapping) else None
        for index, block in enumerate(blocks):
            if not isinstance(block, PDict) or not block.get("policy"):
                continue
            doc = plan.document(
                r,
                "policy",
                PolicyType.IDENTITY,
                name=str(block.get("name") or f"inline_policy[{index}]"),
                container=block,
                sensitive=_item(s_flags, index),
                unknown=_item(u_flags, index),
            )
            if doc is not None:
                inline.append(doc)
    facts["roles"].append(
        IamRole(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            path=_plain(plan.text(r, "path")) or "/",
            trust=trust,
            inline=tuple(inline),
            managed=plan.texts(r, "managed_policy_arns"),
            boundary=plan.text(r, "permissions_boundary"),
            location=plan.locus(r.address, r.pos),
        )
    )


def _item(flags: Any, index: int) -> Any:
    if flags is True:
        return True
    return flags[index] if isinstance(flags, list) and index < len(flags) else None


def _plain(value: Text | None) -> str | None:
    return value if isinstance(value, str) else None


def _required(value: Text | None, r: _Resource, key: str) -> Text:
    return value if value is not None else Unknown(address=r.address, attribute=key, reason="unset")


def _iam_user(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    facts["users"].append(
        IamUser(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            path=_plain(plan.text(r, "path")) or "/",
            boundary=plan.text(r, "permissions_boundary"),
            location=plan.locus(r.address, r.pos),
        )
    )


def _iam_group(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    facts["groups"].append(
        IamGroup(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            path=_plain(plan.text(r, "path")) or "/",
            location=plan.locus(r.address, r.pos),
        )
    )


def _instance_profile(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    role = plan.text(r, "role")
    facts["profiles"].append(
        InstanceProfile(
            name=_required(plan.text(r, "name"), r, "name"),
            roles=(role,) if role is not None else (),
            location=plan.locus(r.address, r.pos),
        )
    )


def _iam_policy(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    doc = plan.document(r, "policy", PolicyType.IDENTITY, name=_plain(plan.text(r, "name")))
    if doc is None:
        return
    facts["managed"].append(
        ManagedPolicy(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            document=doc,
            location=plan.locus(r.address, r.pos),
        )
    )


def _inline_policy(kind: Literal["role", "user", "group"]) -> Any:
    def read(plan: _Plan, r: _Resource, facts: _Facts) -> None:
        doc = plan.document(r, "policy", PolicyType.IDENTITY, name=_plain(plan.text(r, "name")))
        target = plan.text(r, kind)
        if doc is not None and target is not None:
            facts["attachments"].append(
                Attachment(
                    policy=doc.name,
                    target_kind=kind,
                    target=target,
                    location=plan.locus(r.address, r.pos),
                    document=doc,
                )
            )

    return read


def _attachment(kind: Literal["role", "user", "group"]) -> Any:
    def read(plan: _Plan, r: _Resource, facts: _Facts) -> None:
        target = plan.text(r, kind)
        policy = plan.text(r, "policy_arn")
        if target is not None and policy is not None:
            facts["attachments"].append(
                Attachment(
                    policy=policy,
                    target_kind=kind,
                    target=target,
                    location=plan.locus(r.address, r.pos),
                )
            )

    return read


def _policy_attachment(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    policy = plan.text(r, "policy_arn")
    if policy is None:
        return
    for key, kind in (("roles", "role"), ("users", "user"), ("groups", "group")):
        for target in plan.texts(r, key):
            facts["attachments"].append(
                Attachment(
                    policy=policy,
                    target_kind=kind,  # type: ignore[arg-type]
                    target=target,
                    location=plan.locus(r.address, r.pos),
                )
            )


def _user_groups(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    user = plan.text(r, "user")
    for group in plan.texts(r, "groups"):
        if user is not None:
            facts["memberships"].append(
                Membership(user=user, group=group, location=plan.locus(r.address, r.pos))
            )


def _group_members(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    group = plan.text(r, "group")
    for user in plan.texts(r, "users"):
        if group is not None:
            facts["memberships"].append(
                Membership(user=user, group=group, location=plan.locus(r.address, r.pos))
            )


def _kms_key(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    doc = plan.document(r, "policy", PolicyType.KEY, name="KeyPolicy", public_type="AWS::KMS::Key")
    store = plan.text(r, "custom_key_store_id")
    facts["keys"].append(
        KmsKey(
            key_id=_required(plan.text(r, "key_id"), r, "key_id"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            policy=doc,
            custom_key_store_id=store,
            origin="AWS_CLOUDHSM" if store is not None else "AWS_KMS",
            key_spec=_plain(plan.text(r, "customer_master_key_spec")) or "SYMMETRIC_DEFAULT",
            location=plan.locus(r.address, r.pos),
        )
    )


def _kms_key_policy(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    plan.document(r, "policy", PolicyType.KEY, name="KeyPolicy", public_type="AWS::KMS::Key")


def _context(block: Any, key: str) -> tuple[tuple[str, str], ...] | None:
    found = block.get(key) if isinstance(block, Mapping) else None
    if not isinstance(found, Mapping):
        return None
    return tuple(sorted((str(k), str(v)) for k, v in found.items()))


def _kms_grant(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    constraints = plan.value(r, "constraints")
    block = constraints[0] if isinstance(constraints, list) and constraints else None
    facts["grants"].append(
        KmsGrant(
            key_id=_required(plan.text(r, "key_id"), r, "key_id"),
            grantee=_required(plan.text(r, "grantee_principal"), r, "grantee_principal"),
            operations=tuple(str(o) for o in plan.texts(r, "operations")),
            name=_plain(plan.text(r, "name")),
            retiring_principal=plan.text(r, "retiring_principal"),
            encryption_context_equals=_context(block, "encryption_context_equals"),
            encryption_context_subset=_context(block, "encryption_context_subset"),
            location=plan.locus(r.address, r.pos),
        )
    )


def _custom_key_store(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    facts["stores"].append(
        KeyStore(
            name=_required(plan.text(r, "custom_key_store_name"), r, "custom_key_store_name"),
            store_id=_required(plan.text(r, "id"), r, "id"),
            cluster_id=plan.text(r, "cloud_hsm_cluster_id"),
            store_type=_plain(plan.text(r, "custom_key_store_type")) or "AWS_CLOUDHSM",
            location=plan.locus(r.address, r.pos),
        )
    )


def _cloudhsm_cluster(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    facts["clusters"].append(
        HsmCluster(
            cluster_id=_required(plan.text(r, "cluster_id"), r, "cluster_id"),
            hsm_type=_plain(plan.text(r, "hsm_type")),
            subnets=plan.texts(r, "subnet_ids"),
            location=plan.locus(r.address, r.pos),
        )
    )


def _org_policy(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    kind = _ORG_TYPES.get(str(plan.text(r, "type") or "SERVICE_CONTROL_POLICY"))
    if kind is None:
        return
    ptype = PolicyType.SCP if kind == "SCP" else PolicyType.RCP
    doc = plan.document(r, "content", ptype, name=_plain(plan.text(r, "name")))
    if doc is None:
        return
    facts["org"].append(
        OrgPolicy(
            name=_required(plan.text(r, "name"), r, "name"),
            policy_id=_required(plan.text(r, "id"), r, "id"),
            kind=kind,
            document=doc,
            location=plan.locus(r.address, r.pos),
        )
    )


def _org_attachment(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    policy = plan.value(r, "policy_id")
    target = plan.text(r, "target_id")
    if target is None:
        return
    if isinstance(policy, Unknown):
        for ref in policy.references:
            facts["org_targets"].append((ref, target))
    else:
        for p in facts["org"]:
            if p.policy_id == policy:
                facts["org_targets"].append((p.location.address, target))


def _resource_policy(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    _, public_type = _RESOURCE_POLICIES[r.type]
    plan.document(r, "policy", PolicyType.RESOURCE, public_type=public_type)


def _lambda_permission(plan: _Plan, r: _Resource, facts: _Facts) -> None:
    fields = {
        key: plan.text(r, key)
        for key in (
            "action",
            "function_name",
            "principal",
            "source_arn",
            "source_account",
            "principal_org_id",
            "function_url_auth_type",
        )
    }
    unknown = [v for v in fields.values() if isinstance(v, Unknown)]
    here = plan.locus(r.address, r.pos)
    document = None
    if not unknown:
        function = str(fields["function_name"] or "")
        document = positioned(
            lambda_permission_document(
                action=str(fields["action"] or "lambda:InvokeFunction"),
                function_arn=function,
                principal=str(fields["principal"] or "*"),
                source_arn=_plain(fields["source_arn"]),
                source_account=_plain(fields["source_account"]),
                principal_org_id=_plain(fields["principal_org_id"]),
                url_auth_type=_plain(fields["function_url_auth_type"]),
            ),
            r.pos,
        )
    plan.policies.append(
        PolicyDocument(
            resource=r.address,
            resource_type=r.type,
            name="LambdaPermission",
            policy_type=PolicyType.RESOURCE,
            location=here,
            document=document,
            unknown=unknown[0] if unknown else None,
            public_type="AWS::Lambda::Function",
        )
    )


_READERS = {
    "aws_iam_role": _iam_role,
    "aws_iam_user": _iam_user,
    "aws_iam_group": _iam_group,
    "aws_iam_instance_profile": _instance_profile,
    "aws_iam_policy": _iam_policy,
    "aws_iam_role_policy": _inline_policy("role"),
    "aws_iam_user_policy": _inline_policy("user"),
    "aws_iam_group_policy": _inline_policy("group"),
    "aws_iam_role_policy_attachment": _attachment("role"),
    "aws_iam_user_policy_attachment": _attachment("user"),
    "aws_iam_group_policy_attachment": _attachment("group"),
    "aws_iam_policy_attachment": _policy_attachment,
    "aws_iam_user_group_membership": _user_groups,
    "aws_iam_group_membership": _group_members,
    "aws_kms_key": _kms_key,
    "aws_kms_key_policy": _kms_key_policy,
    "aws_kms_grant": _kms_grant,
    "aws_kms_custom_key_store": _custom_key_store,
    "aws_cloudhsm_v2_cluster": _cloudhsm_cluster,
    "aws_organizations_policy": _org_policy,
    "aws_organizations_policy_attachment": _org_attachment,
    "aws_lambda_permission": _lambda_permission,
    **dict.fromkeys(_RESOURCE_POLICIES, _resource_policy),
}
