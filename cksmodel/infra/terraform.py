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

from collections.abc import Mapping
from typing import Any, Literal

from cksmodel.infra.model import (
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
    ManagedPolicy,
    Membership,
    OrgPolicy,
    PolicyDocument,
    ReadOptions,
    Removed,
    Text,
    Unknown,
)
from cksmodel.infra.plan import Plan, PlanResource
from cksmodel.infra.resources import function_arn, lambda_permission_document, positioned
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.jsontext import PDict, PList
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


def read_plan(value: PDict, source: str, options: ReadOptions) -> Infrastructure:
    """Read a parsed plan (positioned values)."""
    if options.parameters:
        raise InfraError(
            "--parameters and --template-configuration-file are for CloudFormation templates; "
            f"{source} is a Terraform plan",
            span=Span(source=source, line=1, column=1),
            code="E_USAGE",
        )
    plan = Plan(value, source, options)
    account, region, partition = plan.pseudo()
    facts: dict[str, list[Any]] = {k: [] for k in _FACT_KINDS}
    for r in plan.resources():
        if r.mode == "data":
            continue
        reader = _READERS.get(r.type)
        if reader is not None:
            reader(plan, r, facts)
    targets: dict[str, list[Text]] = {}
    for policy_ref, target in facts["org_targets"]:
        targets.setdefault(policy_ref, []).append(target)
    org = [
        _with_targets(
            p,
            list(
                dict.fromkeys(
                    targets.get(p.location.address, [])
                    + targets.get(plan.config_key(p.location.address), [])
                )
            ),
        )
        for p in facts["org"]
    ]
    removed_resources = tuple(
        Removed(
            location=plan.locus(address, change.pos),
            resource_type=str(change.get("type", "")),
            before=_strings(
                change["change"].get("before"), change["change"].get("before_sensitive")
            ),
        )
        for address, change in plan.changes.items()
        if isinstance(change.get("change"), Mapping)
        and "delete" in (change["change"].get("actions") or [])
        and "create" not in (change["change"].get("actions") or [])
    )
    removed = tuple(r.location for r in removed_resources)
    return Infrastructure(
        source=plan.source,
        kind="terraform",
        account_id=account,
        region=region,
        partition=partition,
        policies=tuple(plan.policies),
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
        removed_resources=removed_resources,
        approximations=tuple(plan.approximations),
    )


def _strings(before: Any, sensitive: Any) -> tuple[tuple[str, str], ...]:
    """The string attributes of a destroyed resource's ``before`` (sorted by name), except
    those the plan marks sensitive: they are never read."""
    if not isinstance(before, Mapping) or sensitive is True:
        return ()
    hidden = sensitive if isinstance(sensitive, Mapping) else {}
    return tuple(
        sorted((k, v) for k, v in before.items() if isinstance(v, str) and not hidden.get(k))
    )


def _with_targets(policy: OrgPolicy, targets: list[Text]) -> OrgPolicy:
    from dataclasses import replace

    return replace(policy, targets=tuple(targets)) if targets else policy


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


def _iam_role(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    trust = plan.document(
        r,
        "assume_role_policy",
        PolicyType.TRUST,
        name="TrustPolicy",
        public_type="AWS::IAM::AssumeRolePolicyDocument",
    )
    inline: list[PolicyDocument] = []
    s_flags = r.sensitive.get("inline_policy") if isinstance(r.sensitive, Mapping) else None
    u_flags = r.unknown.get("inline_policy") if isinstance(r.unknown, Mapping) else None
    blocks = r.values.get("inline_policy")
    if r.sensitive is True or s_flags is True or (u_flags is True and blocks is None):
        plan.value(r, "inline_policy")  # noted as an approximation: the blocks are not known
    elif isinstance(blocks, PList):
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


def _policy_path(value: Text | None) -> str | None:
    """A policy's path: ``/`` when unset (the AWS default), ``None`` when unknown."""
    if value is None:
        return "/"
    return value if isinstance(value, str) else None


def _required(value: Text | None, r: PlanResource, key: str) -> Text:
    return value if value is not None else Unknown(address=r.address, attribute=key, reason="unset")


def _iam_user(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    facts["users"].append(
        IamUser(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            path=_plain(plan.text(r, "path")) or "/",
            boundary=plan.text(r, "permissions_boundary"),
            location=plan.locus(r.address, r.pos),
        )
    )


def _iam_group(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    facts["groups"].append(
        IamGroup(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            path=_plain(plan.text(r, "path")) or "/",
            location=plan.locus(r.address, r.pos),
        )
    )


def _instance_profile(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    role = plan.text(r, "role")
    facts["profiles"].append(
        InstanceProfile(
            name=_required(plan.text(r, "name"), r, "name"),
            roles=(role,) if role is not None else (),
            location=plan.locus(r.address, r.pos),
        )
    )


def _iam_policy(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    doc = plan.document(r, "policy", PolicyType.IDENTITY, name=_plain(plan.text(r, "name")))
    if doc is None:
        return
    facts["managed"].append(
        ManagedPolicy(
            name=_required(plan.text(r, "name"), r, "name"),
            arn=_required(plan.text(r, "arn"), r, "arn"),
            document=doc,
            location=plan.locus(r.address, r.pos),
            path=_policy_path(plan.text(r, "path")),
        )
    )


def _inline_policy(kind: Literal["role", "user", "group"]) -> Any:
    def read(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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
    def read(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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


def _policy_attachment(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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


def _user_groups(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    user = plan.text(r, "user")
    for group in plan.texts(r, "groups"):
        if user is not None:
            facts["memberships"].append(
                Membership(user=user, group=group, location=plan.locus(r.address, r.pos))
            )


def _group_members(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    group = plan.text(r, "group")
    for user in plan.texts(r, "users"):
        if group is not None:
            facts["memberships"].append(
                Membership(user=user, group=group, location=plan.locus(r.address, r.pos))
            )


def _kms_key(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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


def _kms_key_policy(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    key = plan.text(r, "key_id")
    plan.document(
        r,
        "policy",
        PolicyType.KEY,
        name="KeyPolicy",
        public_type="AWS::KMS::Key",
        targets=(key,) if key is not None else (),
    )


def _context(block: Any, key: str) -> tuple[tuple[str, str], ...] | None:
    found = block.get(key) if isinstance(block, Mapping) else None
    if not isinstance(found, Mapping):
        return None
    return tuple(sorted((str(k), str(v)) for k, v in found.items()))


def _kms_grant(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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


def _custom_key_store(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    facts["stores"].append(
        KeyStore(
            name=_required(plan.text(r, "custom_key_store_name"), r, "custom_key_store_name"),
            store_id=_required(plan.text(r, "id"), r, "id"),
            cluster_id=plan.text(r, "cloud_hsm_cluster_id"),
            store_type=_plain(plan.text(r, "custom_key_store_type")) or "AWS_CLOUDHSM",
            location=plan.locus(r.address, r.pos),
        )
    )


def _cloudhsm_cluster(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    facts["clusters"].append(
        HsmCluster(
            cluster_id=_required(plan.text(r, "cluster_id"), r, "cluster_id"),
            hsm_type=_plain(plan.text(r, "hsm_type")),
            subnets=plan.texts(r, "subnet_ids"),
            location=plan.locus(r.address, r.pos),
        )
    )


def _org_policy(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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


def _org_attachment(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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


def _resource_policy(plan: Plan, r: PlanResource, facts: _Facts) -> None:
    holder, public_type = _RESOURCE_POLICIES[r.type]
    target = plan.text(r, holder)
    plan.document(
        r,
        "policy",
        PolicyType.RESOURCE,
        public_type=public_type,
        targets=(target,) if target is not None else (),
    )


def _lambda_permission(plan: Plan, r: PlanResource, facts: _Facts) -> None:
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
            "statement_id",
        )
    }
    unknown = [v for v in fields.values() if isinstance(v, Unknown)]
    here = plan.locus(r.address, r.pos)
    document = None
    function = ""
    if not unknown:
        function = function_arn(
            str(fields["function_name"] or ""),
            partition=plan.partition,
            region=plan.region,
            account=plan.account_id,
        )
        document = positioned(
            lambda_permission_document(
                action=str(fields["action"] or "lambda:InvokeFunction"),
                function_arn=function,
                sid=_plain(fields["statement_id"]),
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
            targets=(function,) if not unknown else (),
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
