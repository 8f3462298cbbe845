"""Compute that runs as a role: Lambda functions, EC2 instances, ECS services,
CloudFormation stacks and Glue development endpoints, from their AWS CLI output.

Each part is optional. Whoever can change what such compute runs acts as its role
without ``iam:PassRole`` (the role does not change), so a bundle without a part
cannot show that escalation: the warning says which kinds were not analysed. Files::

    lambda/functions.json                       aws lambda list-functions
    ec2/instances.json                          aws ec2 describe-instances
    ecs/clusters.json                           aws ecs list-clusters
    ecs/services/<cluster-name>/list-services.json
                                                aws ecs list-services --cluster C
    ecs/services/<cluster-name>/describe-NN.json
                                                aws ecs describe-services --cluster C
                                                    --services (up to 10 ARNs per file)
    ecs/task-definitions/<family>-<rev>.json    aws ecs describe-task-definition
                                                    --task-definition ARN
    cloudformation/stacks.json                  aws cloudformation describe-stacks
    glue/dev-endpoints.json                     aws glue get-dev-endpoints

EC2 instances run as the role of their instance profile, read from the IAM file's
``InstanceProfileList``; an ECS service's tasks run as the task role of its task
definition (the execution role is used by the ECS agent, never handed to the
containers). Stacks without a service role, deleted stacks, terminated instances and
inactive services run as no role and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from cksmodel.account.files import BundleFile, read_file
from cksmodel.account.model import ComputeResource, IamPrincipal
from cksmodel.policy.jsontext import PDict

__all__ = ["COMPUTE_KINDS", "read_compute"]

Kind = Literal["lambda", "ec2", "ecs", "cloudformation", "glue"]

COMPUTE_KINDS: dict[Kind, tuple[str, str]] = {
    "lambda": (
        "lambda/functions.json",
        "escalation through Lambda code injection (lambda:UpdateFunctionCode, "
        "lambda:UpdateFunctionConfiguration with a layer) is not analysed",
    ),
    "ec2": (
        "ec2/instances.json",
        "escalation through EC2 instances (ssm:SendCommand, ssm:StartSession, user data "
        "through ec2:ModifyInstanceAttribute) is not analysed",
    ),
    "ecs": (
        "ecs/clusters.json",
        "escalation through ECS services (ecs:RegisterTaskDefinition with the task role, "
        "then ecs:UpdateService) is not analysed",
    ),
    "cloudformation": (
        "cloudformation/stacks.json",
        "escalation through CloudFormation stacks with a service role "
        "(cloudformation:UpdateStack) is not analysed",
    ),
    "glue": (
        "glue/dev-endpoints.json",
        "escalation through Glue development endpoints (glue:UpdateDevEndpoint) is not analysed",
    ),
}
"""Each kind of compute: its bundle file (or marker file), and what is lost without it."""


class _Reader:
    """Reads the compute files of one bundle, resolving roles against the IAM file."""

    def __init__(
        self,
        root: Path,
        warn: Callable[[str], None],
        partition: str,
        regions: tuple[str, ...],
        principals: Iterable[IamPrincipal],
    ) -> None:
        self.root = root
        self.warn = warn
        self.partition = partition
        self.regions = regions
        roles = [p for p in principals if p.kind == "role"]
        self.roles = {p.arn for p in roles}
        self.profiles = {arn: p.arn for p in roles for arn in p.instance_profiles}
        self.out: list[ComputeResource] = []

    def add(
        self,
        doc: BundleFile,
        entry: PDict,
        key: str,
        kind: Kind,
        arn: str,
        name: str,
        role: str,
        **details: str,
    ) -> None:
        """One resource running as ``role`` (named at ``entry[key]``); a role the IAM file
        does not hold is warned about and left out."""
        if role not in self.roles:
            self.warn(
                f"{doc.source}: {kind} {name} runs as {role}, which the IAM file does not "
                "hold: taking it over is not analysed"
            )
            return
        span = doc.span(entry, key)
        self.out.append(
            ComputeResource(
                kind=kind,
                arn=arn,
                name=name,
                role=role,
                source=span.source,
                line=span.line,
                column=span.column,
                **details,
            )
        )

    def region(self, zone: str) -> str:
        """The region of an availability zone (``us-east-1a``, or a Local Zone such as
        ``us-west-2-lax-1a`` of a region the bundle lists)."""
        listed = [r for r in self.regions if zone.startswith(r)]
        return max(listed, key=len) if listed else zone.rstrip("abcdefghijklmnopqrstuvwxyz")

    def lambda_functions(self, doc: BundleFile) -> None:
        top = doc.root_obj("the output of `aws lambda list-functions`")
        _complete(doc, top, "NextMarker", "aws lambda list-functions")
        for _, entry in doc.objects(top, "Functions", "the list-functions output"):
            name = doc.text(entry, "FunctionName", "a function")
            self.add(
                doc,
                entry,
                "Role",
                "lambda",
                doc.text(entry, "FunctionArn", f"function {name}"),
                name,
                doc.text(entry, "Role", f"function {name}"),
                platform=doc.opt_text(entry, "PackageType") or "Zip",
            )

    def ec2_instances(self, doc: BundleFile) -> None:
        top = doc.root_obj("the output of `aws ec2 describe-instances`")
        _complete(doc, top, "NextToken", "aws ec2 describe-instances")
        for _, reservation in doc.objects(top, "Reservations", "the describe-instances output"):
            owner = doc.text(reservation, "OwnerId", "a reservation")
            for _, entry in doc.objects(reservation, "Instances", "a reservation"):
                instance = doc.text(entry, "InstanceId", "an instance")
                state = doc.text(doc.obj(entry, "State", instance), "Name", f"{instance} State")
                profile = doc.opt_obj(entry, "IamInstanceProfile")
                if profile is None or state in ("terminated", "shutting-down"):
                    continue
                profile_arn = doc.text(profile, "Arn", f"{instance} IamInstanceProfile")
                role = self.profiles.get(profile_arn)
                if role is None:
                    self.warn(
                        f"{doc.source}: instance {instance} has instance profile {profile_arn}, "
                        "which holds no role of the IAM file: taking it over is not analysed"
                    )
                    continue
                zone = doc.text(
                    doc.obj(entry, "Placement", instance), "AvailabilityZone", f"{instance}"
                )
                arn = f"arn:{self.partition}:ec2:{self.region(zone)}:{owner}:instance/{instance}"
                self.add(
                    doc,
                    profile,
                    "Arn",
                    "ec2",
                    arn,
                    instance,
                    role,
                    state=state,
                    platform=(doc.opt_text(entry, "Platform") or "linux").lower(),
                )

    def ecs_services(self, marker: BundleFile) -> None:
        top = marker.root_obj("the output of `aws ecs list-clusters`")
        _complete(marker, top, "nextToken", "aws ecs list-clusters")
        folder = self.root / "ecs"
        definitions: dict[str, tuple[BundleFile, PDict]] = {}
        for path in sorted((folder / "task-definitions").glob("*.json")):
            doc = read_file(path)
            body = doc.obj(
                doc.root_obj("the output of `aws ecs describe-task-definition`"),
                "taskDefinition",
                "the describe-task-definition output",
            )
            arn = doc.text(body, "taskDefinitionArn", "a task definition")
            definitions[arn] = (doc, body)
        for cluster in marker.texts(top, "clusterArns"):
            name = cluster.rpartition("/")[2]
            listing = folder / "services" / name / "list-services.json"
            if not listing.exists():
                self.warn(
                    f"{listing} is missing: the services of ECS cluster {name} are unknown, "
                    "so taking them over is not analysed"
                )
                continue
            ldoc = read_file(listing)
            ltop = ldoc.root_obj("the output of `aws ecs list-services`")
            _complete(ldoc, ltop, "nextToken", "aws ecs list-services")
            described: dict[str, tuple[BundleFile, PDict]] = {}
            for path in sorted((folder / "services" / name).glob("describe-*.json")):
                doc = read_file(path)
                body = doc.root_obj("the output of `aws ecs describe-services`")
                for _, entry in doc.objects(body, "services", "the describe-services output"):
                    described[doc.text(entry, "serviceArn", "a service")] = (doc, entry)
            for service in ldoc.texts(ltop, "serviceArns"):
                found = described.get(service)
                if found is None:
                    self.warn(
                        f"{listing}: service {service} is described in no describe-*.json "
                        "file next to it: taking it over is not analysed"
                    )
                    continue
                self.ecs_service(service, *found, definitions)

    def ecs_service(
        self,
        service: str,
        doc: BundleFile,
        entry: PDict,
        definitions: dict[str, tuple[BundleFile, PDict]],
    ) -> None:
        """One service, running as the task role of its task definition."""
        if entry.get("status") == "INACTIVE":
            return
        used = doc.text(entry, "taskDefinition", f"service {service}")
        found = definitions.get(used)
        if found is None:
            self.warn(
                f"{doc.source}: service {service} uses task definition {used}, which "
                f"{self.root / 'ecs' / 'task-definitions'} does not hold: its task role is "
                "unknown, so taking it over is not analysed"
            )
            return
        tdoc, definition = found
        role = tdoc.opt_text(definition, "taskRoleArn")
        if role is not None:
            self.add(
                tdoc,
                definition,
                "taskRoleArn",
                "ecs",
                service,
                doc.opt_text(entry, "serviceName") or service.rpartition("/")[2],
                role,
                family=tdoc.text(definition, "family", f"task definition {used}"),
            )

    def cloudformation_stacks(self, doc: BundleFile) -> None:
        top = doc.root_obj("the output of `aws cloudformation describe-stacks`")
        _complete(doc, top, "NextToken", "aws cloudformation describe-stacks")
        for _, entry in doc.objects(top, "Stacks", "the describe-stacks output"):
            name = doc.text(entry, "StackName", "a stack")
            role = doc.opt_text(entry, "RoleARN")
            status = doc.text(entry, "StackStatus", f"stack {name}")
            if role is None or status == "DELETE_COMPLETE":
                continue
            arn = doc.text(entry, "StackId", f"stack {name}")
            self.add(doc, entry, "RoleARN", "cloudformation", arn, name, role, state=status)

    def glue_endpoints(self, doc: BundleFile, account_id: str) -> None:
        top = doc.root_obj("the output of `aws glue get-dev-endpoints`")
        _complete(doc, top, "NextToken", "aws glue get-dev-endpoints")
        for _, entry in doc.objects(top, "DevEndpoints", "the get-dev-endpoints output"):
            name = doc.text(entry, "EndpointName", "a development endpoint")
            zone = doc.opt_text(entry, "AvailabilityZone")
            region = (
                self.region(zone) if zone else (self.regions[0] if len(self.regions) == 1 else "*")
            )
            arn = f"arn:{self.partition}:glue:{region}:{account_id}:devEndpoint/{name}"
            role = doc.text(entry, "RoleArn", f"development endpoint {name}")
            self.add(doc, entry, "RoleArn", "glue", arn, name, role)


def _complete(doc: BundleFile, top: PDict, token: str, command: str) -> None:
    """Refuse a page of output that says more pages follow."""
    if top.get(token):
        raise doc.fail(
            f"the output is truncated ({token} is set); run `{command}` without --max-items "
            "or --no-paginate so the AWS CLI fetches every page",
            top,
            token,
        )


def read_compute(
    root: Path,
    warn: Callable[[str], None],
    account_id: str,
    partition: str,
    regions: tuple[str, ...],
    principals: Iterable[IamPrincipal],
) -> tuple[tuple[ComputeResource, ...], frozenset[str]]:
    """The compute of the bundle that runs as a role, and the kinds the bundle lists; a
    warning for each missing part says which escalation is not analysed."""
    reader = _Reader(root, warn, partition, regions, principals)
    known: set[str] = set()
    for kind, (name, lost) in COMPUTE_KINDS.items():
        path = root / name
        if not path.exists():
            warn(f"{path} is missing: {lost}")
            continue
        known.add(kind)
        doc = read_file(path)
        if kind == "lambda":
            reader.lambda_functions(doc)
        elif kind == "ec2":
            reader.ec2_instances(doc)
        elif kind == "ecs":
            reader.ecs_services(doc)
        elif kind == "cloudformation":
            reader.cloudformation_stacks(doc)
        else:
            reader.glue_endpoints(doc, account_id)
    return tuple(reader.out), frozenset(known)
