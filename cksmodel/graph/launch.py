"""Services that act as a role, and the calls that make them do it.

A launch edge needs every call of one method (create *and* run), ``iam:PassRole``
of the role to the service when the method passes it, and what the bundle can show
(an instance profile for EC2). Methods that need a resource bundles do not list
(an existing function, instance or development endpoint) give undecided edges, unless
the bundle lists that kind of compute: then :mod:`~cksmodel.graph.compute` decides
them for each listed resource.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LAUNCHERS", "Launch"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Launch:
    """One way to make a service act as a role: every call it needs (all of them), and
    what it needs that the bundle may not show."""

    calls: tuple[str, ...]
    instance_profile: bool = False
    """The role must be in an instance profile (the bundle lists them)."""
    existing: str = ""
    """A resource the method needs and bundles do not list: the step is undecided."""
    pass_role: bool = True
    """``iam:PassRole`` of the role to the service is needed too."""
    inventory: str = ""
    """The compute kind of the bundle listing the resources the method needs
    (``lambda``, ``ecs``, ``glue``): when the bundle has it, each listed resource is
    decided instead (:mod:`~cksmodel.graph.compute`), and this launch is not."""


LAUNCHERS: dict[str, tuple[Launch, ...]] = {
    "ec2.amazonaws.com": (
        Launch(calls=("ec2:RunInstances",), instance_profile=True),
        Launch(
            calls=(
                "iam:CreateInstanceProfile",
                "iam:AddRoleToInstanceProfile",
                "ec2:RunInstances",
            )
        ),
        Launch(
            calls=("ec2:AssociateIamInstanceProfile",),
            instance_profile=True,
            existing="a running EC2 instance the caller controls",
        ),
    ),
    "lambda.amazonaws.com": (
        Launch(calls=("lambda:CreateFunction", "lambda:InvokeFunction")),
        Launch(calls=("lambda:CreateFunction", "lambda:CreateEventSourceMapping")),
        Launch(
            calls=("lambda:UpdateFunctionConfiguration", "lambda:InvokeFunction"),
            existing="an existing Lambda function",
            inventory="lambda",
        ),
        Launch(
            calls=("lambda:UpdateFunctionCode",),
            existing="a Lambda function already running as the role",
            pass_role=False,
            inventory="lambda",
        ),
    ),
    "ecs-tasks.amazonaws.com": (
        Launch(calls=("ecs:RegisterTaskDefinition", "ecs:RunTask")),
        Launch(calls=("ecs:RegisterTaskDefinition", "ecs:StartTask")),
        Launch(calls=("ecs:RegisterTaskDefinition", "ecs:CreateService")),
        Launch(calls=("ecs:RegisterTaskDefinition", "ecs:UpdateService"), inventory="ecs"),
    ),
    "cloudformation.amazonaws.com": (Launch(calls=("cloudformation:CreateStack",)),),
    "codebuild.amazonaws.com": (Launch(calls=("codebuild:CreateProject", "codebuild:StartBuild")),),
    "glue.amazonaws.com": (
        Launch(calls=("glue:CreateDevEndpoint",)),
        Launch(calls=("glue:CreateJob", "glue:StartJobRun")),
        Launch(
            calls=("glue:UpdateDevEndpoint",),
            existing="a Glue development endpoint already running as the role",
            pass_role=False,
            inventory="glue",
        ),
    ),
    "sagemaker.amazonaws.com": (
        Launch(calls=("sagemaker:CreateNotebookInstance",)),
        Launch(calls=("sagemaker:CreateTrainingJob",)),
        Launch(calls=("sagemaker:CreateProcessingJob",)),
    ),
    "states.amazonaws.com": (Launch(calls=("states:CreateStateMachine", "states:StartExecution")),),
    "datapipeline.amazonaws.com": (
        Launch(
            calls=(
                "datapipeline:CreatePipeline",
                "datapipeline:PutPipelineDefinition",
                "datapipeline:ActivatePipeline",
            )
        ),
    ),
}
"""Services that act as a role, and the ways (each a group of calls, all needed) to
make them do it."""
