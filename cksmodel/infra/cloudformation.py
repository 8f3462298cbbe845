"""CloudFormation templates (JSON or YAML, a CDK app's synthesized template too) to
:class:`~cksmodel.infra.model.Infrastructure`.

Parameters come from the command line (``--parameters``, a template configuration file) or
their ``Default``; pseudo parameters from ``--account-id``, ``--region`` and ``--partition``.
Intrinsic functions are resolved by :mod:`cksmodel.infra.intrinsics`; a resource whose
``Condition`` is false is left out. Every policy keeps the positions of its values in the
template, so findings and counterexample statements point at the template's lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from cksmodel.infra.intrinsics import NO_VALUE, Placeholder, Resolver, StackContext, stable_id
from cksmodel.infra.model import (
    DEFAULT_REGION,
    PLACEHOLDER_ACCOUNT,
    Approximation,
    Attachment,
    IamGroup,
    IamRole,
    IamUser,
    InfraError,
    Infrastructure,
    InstanceProfile,
    KmsKey,
    Locus,
    ManagedPolicy,
    Membership,
    OrgPolicy,
    PolicyDocument,
    ReadOptions,
    Unknown,
    partition_of,
)
from cksmodel.infra.resources import (
    attribute_value,
    function_arn,
    lambda_permission_document,
    positioned,
)
from cksmodel.policy.ir import PolicyType
from cksmodel.policy.jsontext import PDict, PList, Pos
from cksmodel.source import Span

__all__ = ["read_template"]

_NAME_PROPERTY = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Organizations::Policy": "Name",
    "AWS::KMS::Alias": "AliasName",
}

_RESOURCE_POLICIES = {
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket", "AWS::S3::Bucket"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues", "AWS::SQS::Queue"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics", "AWS::SNS::Topic"),
    "AWS::SecretsManager::ResourcePolicy": (
        "ResourcePolicy",
        "SecretId",
        "AWS::SecretsManager::Secret",
    ),
}
"""Resource-policy types: the property holding the document, the one naming the resource,
and the resource type ``check-no-public-access`` knows."""

_ORG_TYPES: dict[str, Literal["SCP", "RCP"]] = {
    "SERVICE_CONTROL_POLICY": "SCP",
    "RESOURCE_CONTROL_POLICY": "RCP",
}


def read_template(value: Any, source: str, options: ReadOptions) -> Infrastructure:
    """Read a parsed template (positioned values)."""
    if not isinstance(value, PDict) or not isinstance(value.get("Resources"), PDict):
        raise InfraError(
            "not a CloudFormation template: expected an object with a 'Resources' object "
            "(or a Terraform plan: 'format_version' with 'planned_values' or 'resource_changes')",
            span=Span(source=source, line=1, column=1),
        )
    return _Template(value, source, options).read()


class _Template:
    def __init__(self, root: PDict, source: str, options: ReadOptions) -> None:
        self.root = root
        self.source = source
        self.resources: PDict = root["Resources"]
        defaults: set[str] = set()
        region = options.region
        if region is None:
            region = DEFAULT_REGION
            defaults.add("AWS::Region")
        account = options.account_id
        if account is None:
            account = PLACEHOLDER_ACCOUNT
            defaults.add("AWS::AccountId")
        declared = self._obj(root, "Parameters")
        given = dict(options.parameters)
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise InfraError(
                f"--parameters names {', '.join(unknown)}, not a parameter of the template "
                f"(it has {', '.join(sorted(declared)) or 'none'})",
                span=Span(source=source, line=1, column=1),
                code="E_USAGE",
            )
        values: dict[str, Any] = {}
        secret: set[str] = set()
        for name, spec in declared.items():
            spec = spec if isinstance(spec, Mapping) else {}
            if str(spec.get("NoEcho", "false")).lower() == "true":
                secret.add(name)
                continue
            raw = given.get(name, spec.get("Default"))
            if raw is None:
                continue
            kind = str(spec.get("Type", "String"))
            if kind.startswith("List<") or kind == "CommaDelimitedList":
                items = PList()
                items.extend(p.strip() for p in str(raw).split(","))
                items.item_pos = [declared.value_pos[name]] * len(items)
                values[name] = items
            else:
                values[name] = str(raw) if not isinstance(raw, bool) else str(raw).lower()
        self.ctx = StackContext(
            source=source,
            account_id=account,
            region=region,
            partition=options.partition or partition_of(region),
            parameters=values,
            secret_parameters=frozenset(secret),
            parameter_names=frozenset(declared),
            mappings=self._obj(root, "Mappings"),
            conditions=self._obj(root, "Conditions"),
            resources=self.resources,
            defaults=frozenset(defaults),
            names=self._names,
        )
        self.resolver = Resolver(self.ctx)
        self._naming: set[str] = set()
        self.approximations: list[Approximation] = []
        self.policies: list[PolicyDocument] = []

    def _obj(self, container: PDict, key: str) -> PDict:
        value = container.get(key)
        if value is None:
            return PDict()
        if not isinstance(value, PDict):
            raise self._fail(container.value_pos.get(key), f"{key} must be an object")
        return value

    def _fail(self, pos: Pos | None, message: str) -> InfraError:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return InfraError(message, span=Span(source=self.source, line=line, column=column))

    def _locus(self, address: str, pos: Pos | None) -> Locus:
        line, column = (pos[0], pos[1]) if pos else (1, 1)
        return Locus(
            source=self.source,
            address=address,
            span=Span(source=self.source, line=line, column=column),
        )

    def _take_notes(self, address: str) -> tuple[Approximation, ...]:
        notes = tuple(
            Approximation(location=self._locus(address, pos), message=message)
            for pos, message in self.resolver.notes
        )
        self.resolver.notes.clear()
        for note in notes:
            if note not in self.approximations:
                self.approximations.append(note)
        return notes

    # --- what Ref and Fn::GetAtt give ----------------------------------------------------

    def _names(self, logical_id: str, attribute: str) -> str:
        resource = self.resources[logical_id]
        rtype = str(resource.get("Type", "")) if isinstance(resource, Mapping) else ""
        props = resource.get("Properties") if isinstance(resource, Mapping) else None
        props = props if isinstance(props, PDict) else PDict()
        name = self._physical_name(logical_id, rtype, props)
        path = self._path(props)
        ctx = self.ctx
        out = attribute_value(
            rtype,
            attribute,
            name=name,
            path=path,
            partition=ctx.partition,
            region=ctx.region,
            account=ctx.account_id,
            key_id=Placeholder(stable_id(logical_id, "kms-key")),
        )
        if out is None:
            suffix = "" if attribute == "Ref" else f"-{attribute}"
            return Placeholder(f"unresolved-{logical_id}{suffix}")
        vague = isinstance(name, Placeholder) or isinstance(path, Placeholder)
        return Placeholder(out) if vague else out

    def _physical_name(self, logical_id: str, rtype: str, props: PDict) -> str:
        prop = _NAME_PROPERTY.get(rtype)
        if prop is None or prop not in props:
            return Placeholder(logical_id)
        if logical_id in self._naming:
            raise self._fail(props.value_pos.get(prop), f"{logical_id}'s {prop} refers to itself")
        self._naming.add(logical_id)
        try:
            name = self.resolver.text(props[prop], props.value_pos.get(prop), prop)
        finally:
            self._naming.discard(logical_id)
        return name

    def _path(self, props: PDict) -> str:
        if "Path" not in props:
            return "/"
        path = self.resolver.text(props["Path"], props.value_pos.get("Path"), "Path")
        return path if path.endswith("/") else f"{path}/"

    # --- resources -------------------------------------------------------------------------

    def read(self) -> Infrastructure:
        if "Transform" in self.root:
            self.resolver.note(
                self.root.value_pos.get("Transform"),
                "the template's Transform (e.g. AWS::Serverless) is not expanded: resources "
                "it would create are not read",
            )
            self._take_notes("Transform")
        roles: list[IamRole] = []
        users: list[IamUser] = []
        groups: list[IamGroup] = []
        profiles: list[InstanceProfile] = []
        managed: list[ManagedPolicy] = []
        attachments: list[Attachment] = []
        memberships: list[Membership] = []
        keys: list[KmsKey] = []
        org: list[OrgPolicy] = []
        aliases: list[tuple[str, str]] = []
        for logical_id, resource in self.resources.items():
            pos = self.resources.value_pos.get(logical_id)
            if logical_id.startswith("Fn::ForEach::"):
                self.resolver.note(
                    pos,
                    f"{logical_id} (AWS::LanguageExtensions) is not expanded: the resources "
                    "it would create are not read",
                )
                self._take_notes(logical_id)
                continue
            if not isinstance(resource, PDict):
                raise self._fail(pos, f"resource {logical_id} must be an object")
            if not self._created(logical_id, resource):
                continue
            rtype = str(resource.get("Type", ""))
            props = resource.get("Properties", PDict())
            if not isinstance(props, PDict):
                raise self._fail(
                    resource.value_pos.get("Properties"), "Properties must be an object"
                )
            here = self._locus(logical_id, pos)
            if rtype == "AWS::IAM::Role":
                roles.append(self._role(logical_id, props, here))
            elif rtype == "AWS::IAM::User":
                users.append(self._user(logical_id, props, here))
            elif rtype == "AWS::IAM::Group":
                groups.append(
                    IamGroup(
                        name=self._names(logical_id, "Ref"),
                        arn=self._names(logical_id, "Arn"),
                        path=self._path(props),
                        inline=self._inline(logical_id, props),
                        managed=self._texts(props, "ManagedPolicyArns"),
                        location=here,
                    )
                )
            elif rtype == "AWS::IAM::InstanceProfile":
                profiles.append(
                    InstanceProfile(
                        name=self._names(logical_id, "Ref"),
                        roles=self._texts(props, "Roles"),
                        location=here,
                    )
                )
            elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                doc = self._document(
                    logical_id, rtype, props, "PolicyDocument", PolicyType.IDENTITY
                )
                if doc is None:
                    continue
                policy_ref = self._names(logical_id, "Ref")
                if rtype == "AWS::IAM::ManagedPolicy":
                    name = self._physical_name(logical_id, rtype, props)
                    managed.append(
                        ManagedPolicy(name=name, arn=policy_ref, document=doc, location=here)
                    )
                for prop, kind in (("Roles", "role"), ("Users", "user"), ("Groups", "group")):
                    for target in self._texts(props, prop):
                        attachments.append(
                            Attachment(
                                policy=policy_ref,
                                target_kind=kind,  # type: ignore[arg-type]
                                target=target,
                                location=here,
                                document=doc if rtype == "AWS::IAM::Policy" else None,
                            )
                        )
            elif rtype in ("AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"):
                kind = rtype.removeprefix("AWS::IAM::").removesuffix("Policy").lower()
                doc = self._document(
                    logical_id, rtype, props, "PolicyDocument", PolicyType.IDENTITY
                )
                holder = self._text(props, f"{kind.capitalize()}Name")
                if doc is not None and holder is not None:
                    attachments.append(
                        Attachment(
                            policy=doc.name,
                            target_kind=kind,  # type: ignore[arg-type]
                            target=holder,
                            location=here,
                            document=doc,
                        )
                    )
            elif rtype == "AWS::IAM::UserToGroupAddition":
                group = self._text(props, "GroupName")
                for user in self._texts(props, "Users"):
                    if group is not None:
                        memberships.append(Membership(user=user, group=group, location=here))
            elif rtype == "AWS::KMS::Key":
                doc = self._document(
                    logical_id, rtype, props, "KeyPolicy", PolicyType.KEY, "AWS::KMS::Key"
                )
                keys.append(
                    KmsKey(
                        key_id=self._names(logical_id, "Ref"),
                        arn=self._names(logical_id, "Arn"),
                        policy=doc,
                        origin=self._text(props, "Origin") or "AWS_KMS",
                        key_spec=self._text(props, "KeySpec") or "SYMMETRIC_DEFAULT",
                        location=here,
                    )
                )
            elif rtype == "AWS::KMS::Alias":
                alias_target = self._text(props, "TargetKeyId")
                alias_name = self._text(props, "AliasName")
                if alias_target is not None and alias_name is not None:
                    aliases.append((alias_target, alias_name))
            elif rtype in _RESOURCE_POLICIES:
                prop, holder, public_type = _RESOURCE_POLICIES[rtype]
                if holder in ("Queues", "Topics"):
                    held = self._texts(props, holder)
                else:
                    one = self._text(props, holder)
                    held = (one,) if one is not None else ()
                self._take_notes(logical_id)  # the target's, not the document's
                self._document(
                    logical_id, rtype, props, prop, PolicyType.RESOURCE, public_type, targets=held
                )
            elif rtype == "AWS::Lambda::Permission":
                self._lambda_permission(logical_id, props, here)
            elif rtype == "AWS::Organizations::Policy":
                found = self._org_policy(logical_id, props, here)
                if found is not None:
                    org.append(found)
            self._take_notes(logical_id)
        keys = [self._with_aliases(k, aliases) for k in keys]
        return Infrastructure(
            source=self.source,
            kind="cloudformation",
            account_id=self.ctx.account_id,
            region=self.ctx.region,
            partition=self.ctx.partition,
            policies=tuple(self.policies),
            roles=tuple(roles),
            users=tuple(users),
            groups=tuple(groups),
            instance_profiles=tuple(profiles),
            managed_policies=tuple(managed),
            attachments=tuple(attachments),
            memberships=tuple(memberships),
            keys=tuple(keys),
            org_policies=tuple(org),
            approximations=tuple(self.approximations),
        )

    def _created(self, logical_id: str, resource: PDict) -> bool:
        """Whether the resource's Condition (if any) holds; an undecided one keeps it."""
        if "Condition" not in resource:
            return True
        pos = resource.value_pos.get("Condition")
        name = self.resolver.text(resource["Condition"], pos, "Condition")
        decided = self.resolver.condition(name, pos)
        if decided is None:
            self.resolver.note(pos, f"condition {name} cannot be decided; the resource is read")
            self._take_notes(logical_id)
        return decided is not False

    def _with_aliases(self, key: KmsKey, aliases: list[tuple[str, str]]) -> KmsKey:
        names = tuple(n for target, n in aliases if target in (key.key_id, key.arn))
        return replace(key, aliases=names) if names else key

    def _text(self, props: PDict, key: str) -> str | None:
        if key not in props:
            return None
        value = self.resolver.resolve(props[key], props.value_pos.get(key))
        if value is NO_VALUE or value is None:
            return None
        if isinstance(value, list | Mapping):
            raise self._fail(props.value_pos.get(key), f"{key} must be a string")
        return str(value).lower() if isinstance(value, bool) else str(value)

    def _texts(self, props: PDict, key: str) -> tuple[str, ...]:
        if key not in props:
            return ()
        value = self.resolver.resolve(props[key], props.value_pos.get(key))
        if value is NO_VALUE:
            return ()
        if not isinstance(value, list):
            raise self._fail(props.value_pos.get(key), f"{key} must be a list")
        return tuple(str(v) for v in value)

    def _document(
        self,
        logical_id: str,
        rtype: str,
        props: PDict,
        prop: str,
        policy_type: PolicyType,
        public_type: str | None = None,
        *,
        name: str | None = None,
        container: PDict | None = None,
        targets: tuple[str, ...] = (),
    ) -> PolicyDocument | None:
        """The policy document at ``props[prop]`` (resolved here), or at ``container[prop]``
        (a value resolved already), as one :class:`PolicyDocument` of the resource."""
        holder = props if container is None else container
        if prop not in holder:
            return None
        pos = holder.value_pos.get(prop)
        value = holder[prop] if container is not None else self.resolver.resolve(holder[prop], pos)
        if value is NO_VALUE:
            self._take_notes(logical_id)
            return None
        notes = self._take_notes(logical_id)
        unknown = None
        if isinstance(value, Placeholder):
            unknown = Unknown(address=logical_id, attribute=prop, reason="unresolved")
            value = None
        doc = PolicyDocument(
            resource=logical_id,
            resource_type=rtype,
            name=name or self._policy_name(props, prop),
            policy_type=policy_type,
            location=self._locus(logical_id, holder.key_pos.get(prop) or pos),
            document=value
            if value is None or isinstance(value, PDict | str)
            else positioned(value, pos),
            unknown=unknown,
            approximations=notes,
            public_type=public_type,
            targets=targets,
        )
        self.policies.append(doc)
        return doc

    def _policy_name(self, props: PDict, prop: str) -> str:
        if prop == "PolicyDocument":
            for key in ("PolicyName", "ManagedPolicyName"):
                name = self._text(props, key)
                if name is not None:
                    return name
        return prop

    def _role(self, logical_id: str, props: PDict, here: Locus) -> IamRole:
        trust = self._document(
            logical_id,
            "AWS::IAM::Role",
            props,
            "AssumeRolePolicyDocument",
            PolicyType.TRUST,
            "AWS::IAM::AssumeRolePolicyDocument",
            name="TrustPolicy",
        )
        return IamRole(
            name=self._names(logical_id, "Ref"),
            arn=self._names(logical_id, "Arn"),
            path=self._path(props),
            trust=trust,
            inline=self._inline(logical_id, props, "AWS::IAM::Role"),
            managed=self._texts(props, "ManagedPolicyArns"),
            boundary=self._text(props, "PermissionsBoundary"),
            location=here,
        )

    def _user(self, logical_id: str, props: PDict, here: Locus) -> IamUser:
        return IamUser(
            name=self._names(logical_id, "Ref"),
            arn=self._names(logical_id, "Arn"),
            path=self._path(props),
            inline=self._inline(logical_id, props, "AWS::IAM::User"),
            managed=self._texts(props, "ManagedPolicyArns"),
            groups=self._texts(props, "Groups"),
            boundary=self._text(props, "PermissionsBoundary"),
            location=here,
        )

    def _inline(
        self, logical_id: str, props: PDict, rtype: str = "AWS::IAM::Group"
    ) -> tuple[PolicyDocument, ...]:
        """The ``Policies`` property: inline policies, each {PolicyName, PolicyDocument}; each
        item is resolved apart, so a document carries only its own approximations."""
        if "Policies" not in props:
            return ()
        raw, pos = props["Policies"], props.value_pos.get("Policies")
        items: list[tuple[Any, Pos | None]]
        if isinstance(raw, PList):
            items = [(raw[i], raw.item_pos[i]) for i in range(len(raw))]
        else:
            items = [(raw, pos)]
        out: list[PolicyDocument] = []
        for item, ipos in items:
            resolved = self.resolver.resolve(item, ipos)
            if resolved is NO_VALUE:
                continue
            if isinstance(resolved, Placeholder):
                resolved = self._either_branch(item, ipos)
            entries = resolved if isinstance(resolved, list) and item is raw else [resolved]
            for entry in entries:
                if not isinstance(entry, PDict) or "PolicyDocument" not in entry:
                    raise self._fail(
                        ipos,
                        "each item of Policies must be an object with PolicyName and "
                        "PolicyDocument",
                    )
                name = str(entry.get("PolicyName", "Policies"))
                doc = self._document(
                    logical_id,
                    rtype,
                    props,
                    "PolicyDocument",
                    PolicyType.IDENTITY,
                    name=name,
                    container=entry,
                )
                if doc is not None:
                    out.append(doc)
        return tuple(out)

    def _either_branch(self, item: Any, pos: Pos | None) -> Any:
        """An ``Fn::If`` whose condition cannot be decided, read as its true branch (or its
        false one when the true one is ``AWS::NoValue``): the policy may exist, so it is
        checked, with the condition noted as an approximation."""
        branches = item.get("Fn::If") if isinstance(item, Mapping) else None
        if not isinstance(branches, list) or len(branches) != 3:
            return NO_VALUE
        for index in (1, 2):
            at = branches.item_pos[index] if isinstance(branches, PList) else pos
            value = self.resolver.resolve(branches[index], at)
            if value is not NO_VALUE and not isinstance(value, Placeholder):
                self.resolver.note(pos, f"read as if condition {branches[0]} were {index == 1}")
                return value
        return NO_VALUE

    def _lambda_permission(self, logical_id: str, props: PDict, here: Locus) -> None:
        fields = {
            key: self._text(props, key)
            for key in (
                "Action",
                "FunctionName",
                "Principal",
                "SourceArn",
                "SourceAccount",
                "PrincipalOrgID",
                "FunctionUrlAuthType",
            )
        }
        notes = self._take_notes(logical_id)
        function = function_arn(
            fields["FunctionName"] or "unresolved-function",
            partition=self.ctx.partition,
            region=self.ctx.region,
            account=self.ctx.account_id,
        )
        doc = lambda_permission_document(
            action=fields["Action"] or "lambda:InvokeFunction",
            function_arn=function,
            principal=fields["Principal"] or "*",
            source_arn=fields["SourceArn"],
            source_account=fields["SourceAccount"],
            principal_org_id=fields["PrincipalOrgID"],
            url_auth_type=fields["FunctionUrlAuthType"],
        )
        self.policies.append(
            PolicyDocument(
                resource=logical_id,
                resource_type="AWS::Lambda::Permission",
                name="LambdaPermission",
                policy_type=PolicyType.RESOURCE,
                location=here,
                document=positioned(doc, _span_pos(here.span)),
                approximations=notes,
                public_type="AWS::Lambda::Function",
                targets=(function,),
            )
        )

    def _org_policy(self, logical_id: str, props: PDict, here: Locus) -> OrgPolicy | None:
        kind = _ORG_TYPES.get(self._text(props, "Type") or "")
        if kind is None:
            return None
        doc = self._document(
            logical_id,
            "AWS::Organizations::Policy",
            props,
            "Content",
            PolicyType.SCP if kind == "SCP" else PolicyType.RCP,
            name=self._text(props, "Name") or "Content",
        )
        if doc is None:
            return None
        return OrgPolicy(
            name=self._names(logical_id, "Ref") if "Name" not in props else doc.name,
            policy_id=Placeholder(f"p-{stable_id(logical_id, 'org-policy')[:8]}"),
            kind=kind,
            document=doc,
            targets=self._texts(props, "TargetIds"),
            location=here,
        )


def _span_pos(span: Span) -> Pos:
    return (span.line, span.column, span.line, span.column)
