"""Taking over compute that already runs as a role: the edges actor -> compute -> role.

Whoever can change what a Lambda function, an EC2 instance, an ECS service, a
CloudFormation stack or a Glue development endpoint runs acts as its role. Each way
to do so (:class:`Takeover`) is a group of calls, all needed, each on the resource
the request names:

* Lambda: ``lambda:UpdateFunctionCode`` on the function; or a layer of the caller's
  (``lambda:UpdateFunctionConfiguration`` on the function, ``lambda:GetLayerVersion``
  on the layer). The role does not change, so no ``iam:PassRole``. A container-image
  function needs an image it can pull: undecided (repository policies are not collected).
* EC2: ``ssm:SendCommand`` on the instance *and* on the document
  (``arn:PARTITION:ssm:REGION::document/AWS-RunShellScript``, or
  ``AWS-RunPowerShellScript`` on Windows); ``ssm:StartSession`` on the instance; or new
  user data: ``ec2:ModifyInstanceAttribute`` on the instance, which must be stopped
  (``ec2:StopInstances``) and started again (``ec2:StartInstances``). A stopped
  instance needs ``ec2:StartInstances`` for SSM too. The SSM agent is assumed to run.
* ECS: a new revision of the service's task definition family naming the same task
  role (``ecs:RegisterTaskDefinition``, and ``iam:PassRole`` of the task role to
  ``ecs-tasks.amazonaws.com``: registering a task definition that names a role passes
  it), then ``ecs:UpdateService`` on the service.
* CloudFormation: ``cloudformation:UpdateStack`` on a stack with a service role, or
  ``cloudformation:CreateChangeSet`` + ``cloudformation:ExecuteChangeSet``: the stack's
  role carries out the new template, and the caller needs no ``iam:PassRole`` for the
  role already associated with the stack.
* Glue: ``glue:UpdateDevEndpoint`` on the endpoint (a public key of the caller's: a
  shell as the endpoint's role).

A listed Lambda function can also be given another role B that trusts Lambda
(:func:`role_swaps`): ``lambda:UpdateFunctionConfiguration`` on the function naming B
(``iam:PassRole`` of B to ``lambda.amazonaws.com``) with a layer of the caller's, or with
new code (``lambda:UpdateFunctionCode``): a ``pass_role`` edge actor -> B naming the
function.

Each call is decided by :class:`~cksmodel.graph.edges.Decider` with the whole
semantics (SCPs, boundary, protections); an undecided call makes the edge undecided.
Condition keys such a request would carry (``lambda:Layer``, ``ec2:Attribute``,
``cloudformation:RoleArn``, ``ecs:task-definition``) are left to the solver: any
value counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from cksmodel.account.access import Target
from cksmodel.account.model import Account, ComputeResource, IamPrincipal
from cksmodel.graph.actors import Actor
from cksmodel.graph.edges import Decider, Step

__all__ = ["COMPUTE_ACTIONS", "Call", "ComputeEdges", "Takeover", "role_swaps", "takeovers"]

COMPUTE_ACTIONS = (
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ec2:ModifyInstanceAttribute",
    "ecs:UpdateService",
    "cloudformation:UpdateStack",
    "cloudformation:CreateChangeSet",
    "glue:UpdateDevEndpoint",
)
"""The calls that change what existing compute runs (the first call of each takeover)."""

SERVICES = {
    "lambda": "lambda.amazonaws.com",
    "ec2": "ec2.amazonaws.com",
    "ecs": "ecs-tasks.amazonaws.com",
    "cloudformation": "cloudformation.amazonaws.com",
    "glue": "glue.amazonaws.com",
}
"""The service that assumes the role for each kind of compute."""

_WHAT = {
    "lambda": "Lambda function",
    "ec2": "EC2 instance",
    "ecs": "ECS service",
    "cloudformation": "CloudFormation stack",
    "glue": "Glue development endpoint",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Call:
    """One request a takeover needs: the action, and the resource it names."""

    action: str
    resource: str
    """An ARN, or empty for a resource of the caller's choosing."""
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Takeover:
    """One way to make a compute resource run the caller's code: every call needed."""

    calls: tuple[Call, ...]
    """The first changes what runs; the others make it possible."""
    effect: str
    undecided: str = ""
    """Why the bundle cannot settle it (the edge is then undecided)."""

    @property
    def via(self) -> str:
        return " + ".join(dict.fromkeys(c.action for c in self.calls))


def takeovers(resource: ComputeResource, partition: str) -> tuple[Takeover, ...]:
    """The ways to take over one compute resource, most direct first."""
    arn = resource.arn
    if resource.kind == "lambda":
        code = Takeover(
            calls=(Call(action="lambda:UpdateFunctionCode", resource=arn),),
            effect="replaces the function's code, which runs as its role when next invoked",
        )
        if resource.platform == "Image":
            return (
                replace(
                    code,
                    undecided="a container-image function runs an image it must be able to "
                    "pull from Amazon ECR; repository policies are not in the bundle",
                ),
            )
        layer = Takeover(
            calls=(
                Call(action="lambda:UpdateFunctionConfiguration", resource=arn),
                Call(action="lambda:GetLayerVersion", resource=""),
            ),
            effect="adds a layer of the caller's, whose code runs as the function's role",
        )
        return (code, layer)
    if resource.kind == "ec2":
        region = arn.split(":")[3]
        script = (
            "AWS-RunPowerShellScript" if resource.platform == "windows" else "AWS-RunShellScript"
        )
        document = f"arn:{partition}:ssm:{region}::document/{script}"
        stopped = resource.state in ("stopped", "stopping")
        start = (Call(action="ec2:StartInstances", resource=arn),) if stopped else ()
        stop = () if stopped else (Call(action="ec2:StopInstances", resource=arn),)
        return (
            Takeover(
                calls=(
                    Call(action="ssm:SendCommand", resource=arn),
                    Call(action="ssm:SendCommand", resource=document),
                    *start,
                ),
                effect=f"runs commands on the instance ({script}), which hold its "
                "instance profile's credentials",
            ),
            Takeover(
                calls=(Call(action="ssm:StartSession", resource=arn), *start),
                effect="opens a shell on the instance, which holds its instance profile's "
                "credentials",
            ),
            Takeover(
                calls=(
                    Call(action="ec2:ModifyInstanceAttribute", resource=arn),
                    *stop,
                    Call(action="ec2:StartInstances", resource=arn),
                ),
                effect="replaces the instance's user data (it must be stopped to do so), "
                "which runs as its instance profile's role when it starts",
            ),
        )
    if resource.kind == "ecs":
        service_region, account = arn.split(":")[3:5]
        family = (
            f"arn:{partition}:ecs:{service_region}:{account}:task-definition/{resource.family}:*"
        )
        return (
            Takeover(
                calls=(
                    Call(action="ecs:UpdateService", resource=arn),
                    Call(action="ecs:RegisterTaskDefinition", resource=family),
                    Call(
                        action="iam:PassRole",
                        resource=resource.role,
                        context=(("iam:PassedToService", "ecs-tasks.amazonaws.com"),),
                    ),
                ),
                effect="deploys a new revision of its task definition with the caller's "
                "container and the same task role",
            ),
        )
    if resource.kind == "cloudformation":
        effect = "the stack's service role carries out the caller's template"
        return (
            Takeover(
                calls=(Call(action="cloudformation:UpdateStack", resource=arn),), effect=effect
            ),
            Takeover(
                calls=(
                    Call(action="cloudformation:CreateChangeSet", resource=arn),
                    Call(action="cloudformation:ExecuteChangeSet", resource=arn),
                ),
                effect=effect,
            ),
        )
    return (
        Takeover(
            calls=(Call(action="glue:UpdateDevEndpoint", resource=arn),),
            effect="adds the caller's SSH public key: a shell on the endpoint as its role",
        ),
    )


def role_swaps(function: ComputeResource, role: str) -> tuple[Takeover, ...]:
    """The ways to make a listed Lambda function run the caller's code as another role:
    one ``lambda:UpdateFunctionConfiguration`` naming the role (``iam:PassRole`` of it to
    Lambda) and a layer of the caller's, or that and new code."""
    passed = Call(
        action="iam:PassRole",
        resource=role,
        context=(("iam:PassedToService", SERVICES["lambda"]),),
    )
    configure = Call(action="lambda:UpdateFunctionConfiguration", resource=function.arn)
    effect = "gives the function the role"
    if function.platform == "Image":
        return ()
    return (
        Takeover(
            calls=(configure, passed, Call(action="lambda:GetLayerVersion", resource="")),
            effect=f"{effect} and a layer of the caller's",
        ),
        Takeover(
            calls=(
                configure,
                passed,
                Call(action="lambda:UpdateFunctionCode", resource=function.arn),
            ),
            effect=f"{effect} and the caller's code",
        ),
    )


class ComputeEdges:
    """Decides the takeovers of the account's compute, for one graph build."""

    def __init__(self, account: Account, decider: Decider) -> None:
        self.account = account
        self.decider = decider
        self.by_role: dict[str, list[ComputeResource]] = {}
        for resource in account.compute:
            if resource.kind == "cloudformation" and resource.state == "ROLLBACK_COMPLETE":
                continue  # such a stack can only be deleted
            self.by_role.setdefault(resource.role, []).append(resource)
        self.functions = [r for r in account.compute if r.kind == "lambda"]
        self._trusts: dict[tuple[str, str], Step] = {}

    def running_as(self, role: str) -> list[ComputeResource]:
        return self.by_role.get(role, [])

    @staticmethod
    def node(resource: ComputeResource) -> dict[str, str | bool]:
        """The graph node's attributes."""
        return {
            "kind": "compute",
            "label": f"{_WHAT[resource.kind]} {resource.name}",
            "arn": resource.arn,
            "account": resource.arn.split(":")[4],
            "service_linked": False,
        }

    def trusted(self, role_arn: str, service: str) -> Step:
        """Does the role's trust policy let the service assume it (decided like any
        ``sts:AssumeRole`` of that service)?"""
        found = self._trusts.get((role_arn, service))
        if found is None:
            role = self.account.principal(role_arn)
            found = Step(holds=False)
            if role is not None and role.trust_policy is not None:
                actor = Actor(
                    id=f"service:{service}", kind="service", label=service, external=service
                )
                found = self.decider.decide(
                    actor,
                    ("sts:AssumeRole",),
                    Target(role.arn, role.arn, True, role.trust_policy),
                    prefer="resource",
                )
            self._trusts[(role_arn, service)] = found
        return found

    def runs_as(self, resource: ComputeResource) -> Step:
        """The edge compute -> role: the role's trust policy must let the service assume
        it; the reason says where the bundle names the role."""
        service = SERVICES[resource.kind]
        step = self.trusted(resource.role, service)
        where = f"{resource.source}:{resource.line}:{resource.column}"
        named = f"the {_WHAT[resource.kind]} runs as this role ({where}), assumed by {service}"
        return replace(step, reason="; ".join(filter(None, [named, step.reason])))

    def new_role(self, actor: Actor, role: IamPrincipal) -> tuple[str, Step] | None:
        """A listed Lambda function given the role and the caller's code
        (:func:`role_swaps`): the first one that holds, else the first undecided one;
        None when the role's trust does not let Lambda assume it or no function will do."""
        if self.trusted(role.arn, SERVICES["lambda"]).holds is False:
            return None
        if not (
            self.decider.usable(actor, "iam:PassRole")
            and self.decider.may(actor, "iam:PassRole", role.arn)
        ):
            return None
        return self._first(
            actor,
            (
                (function, way)
                for function in self.functions
                if function.role != role.arn
                for way in role_swaps(function, role.arn)
            ),
        )

    def takeover(self, actor: Actor, resource: ComputeResource) -> tuple[str, Step] | None:
        """The first takeover of the resource the actor can make (one that holds before
        an undecided one), as (the calls, the step); None when none is possible, or when
        the role's trust does not let the service act as it."""
        if self.runs_as(resource).holds is False:
            return None
        return self._first(
            actor, ((resource, way) for way in takeovers(resource, self.account.partition))
        )

    def _first(
        self, actor: Actor, ways: Iterable[tuple[ComputeResource, Takeover]]
    ) -> tuple[str, Step] | None:
        """The first way that holds, else the first undecided one, as (the calls, the step)."""
        found: tuple[str, Step] | None = None
        for resource, way in ways:
            step = self._decide(actor, resource, way)
            if step is None:
                continue
            if step.holds:
                return way.via, step
            found = found or (way.via, step)
        return found

    def _decide(self, actor: Actor, resource: ComputeResource, way: Takeover) -> Step | None:
        for call in way.calls:
            if not self.decider.usable(actor, call.action):
                return None
            literal = call.resource and "*" not in call.resource
            if literal and not self.decider.may(actor, call.action, call.resource):
                return None
        steps = []
        for call in way.calls:
            target = (
                Target(call.resource, call.resource, "*" not in call.resource)
                if call.resource
                else Target("any resource", "", False)
            )
            step = self.decider.decide(actor, (call.action,), target, call.context)
            if step.holds is False:
                return None
            steps.append(step)
        notes = [way.effect]
        for call, step in zip(way.calls[1:], steps[1:], strict=True):
            on = f" on {call.resource}" if call.resource else ""
            allowed = f" ({_statement(step)})" if step.holds and step.policy else ""
            notes.append(f"also {call.action}{on}{allowed}")
        undecided = [s.reason for s in steps if s.holds is None] + (
            [way.undecided] if way.undecided else []
        )
        holds = None if undecided else True
        return replace(
            steps[0], holds=holds, changes=resource.arn, reason="; ".join(notes + undecided)
        )


def _statement(step: Step) -> str:
    sid = f" '{step.sid}'" if step.sid else f" {step.statement_index}"
    return f"statement{sid} of {step.policy}"
