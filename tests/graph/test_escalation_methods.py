"""One tiny account per well-known IAM privilege-escalation method, and a control case
that is not an escalation: ``who-can`` must find the attacker in the first and not in
the second. The prize is ``kms:DeleteCustomKeyStore``, held by a victim principal or
by a policy the attacker can put in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from cksmodel.account.model import Account, Group, IamPrincipal
from cksmodel.graph import build_graph, who_can
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.parse import load_policy

ACCT = "111122223333"
PRIZE = "kms:DeleteCustomKeyStore"


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCT}:{kind}/{name}"


def _doc(name: str, *statements: dict[str, Any], kind: PolicyType = PolicyType.IDENTITY) -> Policy:
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(doc, policy_type=kind, name=name)


def _allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


ATTACKER = _arn("user", "attacker")
PRIZE_ALLOW = _allow(PRIZE)
DEV_ARN = f"arn:aws:iam::{ACCT}:policy/dev"
READ_ONLY_ARN = f"arn:aws:iam::{ACCT}:policy/read-only"
READ_ONLY = _doc(f"managed/{READ_ONLY_ARN}", _allow(["iam:Get*", "iam:List*"]))
DENY_STORES = _doc(f"managed/arn:aws:iam::{ACCT}:policy/deny-stores", _deny("kms:*CustomKeyStore"))


@dataclass(frozen=True, kw_only=True)
class Shape:
    """A tiny account: the attacker's statements and what else the method needs."""

    attacker: tuple[dict[str, Any], ...]
    attacker_managed: tuple[Policy, ...] = ()
    attacker_groups: tuple[str, ...] = ()
    roles: tuple[IamPrincipal, ...] = ()
    users: tuple[IamPrincipal, ...] = ()
    groups: tuple[Group, ...] = ()
    stored: dict[str, tuple[tuple[str, Policy], ...]] = field(default_factory=dict)

    def account(self) -> Account:
        group_policies = tuple(
            p for g in self.groups if g.name in self.attacker_groups for p in g.policies
        )
        inline = (_doc("user/attacker/inline/p", *self.attacker),) if self.attacker else ()
        attacker = IamPrincipal(
            kind="user",
            arn=ATTACKER,
            name="attacker",
            path="/",
            account=ACCT,
            policies=inline + self.attacker_managed + group_policies,
            groups=self.attacker_groups,
            attached=tuple(p.name.removeprefix("managed/") for p in self.attacker_managed),
        )
        managed = {READ_ONLY_ARN: READ_ONLY}
        managed.update({p.name.removeprefix("managed/"): p for p in self.attacker_managed})
        return Account(
            account_id=ACCT,
            principals=(attacker, *self.users, *self.roles),
            groups=self.groups,
            managed_policies=managed,
            stored_versions=self.stored,
        )


def _role(
    name: str,
    trust: dict[str, Any],
    *policies: Policy,
    profile: bool = False,
    boundary: Policy | None = None,
) -> IamPrincipal:
    return IamPrincipal(
        kind="role",
        arn=_arn("role", name),
        name=name,
        path="/",
        account=ACCT,
        policies=policies or (_doc(f"role/{name}/inline/p", PRIZE_ALLOW),),
        boundary=boundary,
        trust_policy=_doc(
            f"role/{name}/trust",
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": trust},
            kind=PolicyType.TRUST,
        ),
        instance_profiles=(f"arn:aws:iam::{ACCT}:instance-profile/{name}",) if profile else (),
    )


def _victim_user(name: str = "admin") -> IamPrincipal:
    return IamPrincipal(
        kind="user",
        arn=_arn("user", name),
        name=name,
        path="/",
        account=ACCT,
        policies=(_doc(f"user/{name}/inline/p", PRIZE_ALLOW),),
    )


def _service(name: str, service: str, *, profile: bool = False) -> IamPrincipal:
    return _role(name, {"Service": service}, profile=profile)


def _dev(*statements: dict[str, Any]) -> Policy:
    return _doc(f"managed/{DEV_ARN}", *statements)


OPS_TRUST = {"AWS": ATTACKER}
OPS_PLAIN = _doc("role/ops/inline/p", _allow("s3:ListAllMyBuckets"))
DEVS = Group(name="devs", arn=_arn("group", "devs"), policies=(_doc("group/devs/inline/p"),))
ADMINS = Group(
    name="admins",
    arn=_arn("group", "admins"),
    policies=(_doc("group/admins/inline/p", PRIZE_ALLOW),),
)
READERS = Group(
    name="readers",
    arn=_arn("group", "readers"),
    policies=(_doc("group/readers/inline/p", _allow("s3:Get*")),),
)
DENYING_DEVS = Group(name="devs", arn=_arn("group", "devs"), policies=(DENY_STORES,))
S3_ONLY = _doc("boundary/s3-only", _allow("s3:*"), kind=PolicyType.BOUNDARY)


def _pass(role: str, *calls: str, **extra: Any) -> tuple[dict[str, Any], ...]:
    return (_allow("iam:PassRole", _arn("role", role), **extra), _allow(list(calls)))


# method name -> (positive shape, control shape, positive expectation)
METHODS: dict[str, tuple[Shape, Shape, str]] = {
    "CreatePolicyVersion": (
        Shape(attacker=(), attacker_managed=(_dev(_allow("iam:CreatePolicyVersion", DEV_ARN)),)),
        Shape(
            attacker=(),
            attacker_managed=(
                _dev(_allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCT}:policy/other")),
            ),
        ),
        "decided",
    ),
    "SetDefaultPolicyVersion": (
        Shape(
            attacker=(),
            attacker_managed=(_dev(_allow("iam:SetDefaultPolicyVersion", DEV_ARN)),),
            stored={DEV_ARN: (("v2", _doc(f"managed/{DEV_ARN}@v2", PRIZE_ALLOW)),)},
        ),
        Shape(
            attacker=(), attacker_managed=(_dev(_allow("iam:SetDefaultPolicyVersion", DEV_ARN)),)
        ),
        "decided",
    ),
    "PassRole_EC2": (
        Shape(
            attacker=_pass("box", "ec2:RunInstances"),
            roles=(_service("box", "ec2.amazonaws.com", profile=True),),
        ),
        Shape(
            attacker=_pass("box", "ec2:RunInstances"),
            roles=(_service("box", "ec2.amazonaws.com"),),
        ),
        "decided",
    ),
    "CreateAccessKey": (
        Shape(
            attacker=(_allow("iam:CreateAccessKey", _arn("user", "admin")),),
            users=(_victim_user(),),
        ),
        Shape(
            attacker=(_allow("iam:CreateAccessKey", _arn("user", "${aws:username}")),),
            users=(_victim_user(),),
        ),
        "decided",
    ),
    "CreateLoginProfile": (
        Shape(
            attacker=(_allow("iam:CreateLoginProfile", _arn("user", "admin")),),
            users=(_victim_user(),),
        ),
        Shape(
            attacker=(_allow("iam:CreateLoginProfile", _arn("user", "intern")),),
            users=(_victim_user(),),
        ),
        "decided",
    ),
    "UpdateLoginProfile": (
        Shape(
            attacker=(_allow("iam:UpdateLoginProfile", _arn("user", "admin")),),
            users=(_victim_user(),),
        ),
        Shape(
            attacker=(_allow("iam:UpdateLoginProfile", _arn("user", "intern")),),
            users=(_victim_user(),),
        ),
        "decided",
    ),
    "AttachUserPolicy": (
        Shape(attacker=(_allow("iam:AttachUserPolicy", ATTACKER),)),
        Shape(
            attacker=(
                _allow(
                    "iam:AttachUserPolicy",
                    ATTACKER,
                    Condition={"ArnEquals": {"iam:PolicyARN": READ_ONLY_ARN}},
                ),
            )
        ),
        "decided",
    ),
    "AttachGroupPolicy": (
        Shape(
            attacker=(_allow("iam:AttachGroupPolicy", DEVS.arn),),
            attacker_groups=("devs",),
            groups=(DEVS, READERS),
        ),
        Shape(
            attacker=(_allow("iam:AttachGroupPolicy", READERS.arn),),
            attacker_groups=("devs",),
            groups=(DEVS, READERS),
        ),
        "decided",
    ),
    "AttachRolePolicy": (
        Shape(
            attacker=(_allow("iam:AttachRolePolicy", _arn("role", "ops")),),
            roles=(_role("ops", OPS_TRUST, OPS_PLAIN),),
        ),
        Shape(
            attacker=(_allow("iam:AttachRolePolicy", _arn("role", "ops")),),
            roles=(_role("ops", OPS_TRUST, OPS_PLAIN, DENY_STORES),),
        ),
        "decided",
    ),
    "PutUserPolicy": (
        Shape(attacker=(_allow("iam:PutUserPolicy", ATTACKER),)),
        Shape(
            attacker=(_allow("iam:PutUserPolicy", ATTACKER),),
            attacker_groups=("devs",),
            groups=(DENYING_DEVS,),
        ),
        "decided",
    ),
    "PutGroupPolicy": (
        Shape(
            attacker=(_allow("iam:PutGroupPolicy", DEVS.arn),),
            attacker_groups=("devs",),
            groups=(DEVS, READERS),
        ),
        Shape(
            attacker=(_allow("iam:PutGroupPolicy", READERS.arn),),
            attacker_groups=("devs",),
            groups=(DEVS, READERS),
        ),
        "decided",
    ),
    "PutRolePolicy": (
        Shape(
            attacker=(_allow("iam:PutRolePolicy", _arn("role", "ops")),),
            roles=(_role("ops", OPS_TRUST, OPS_PLAIN),),
        ),
        Shape(
            attacker=(_allow("iam:PutRolePolicy", _arn("role", "ops")),),
            roles=(_role("ops", OPS_TRUST, OPS_PLAIN, boundary=S3_ONLY),),
        ),
        "decided",
    ),
    "AddUserToGroup": (
        Shape(attacker=(_allow("iam:AddUserToGroup", ADMINS.arn),), groups=(ADMINS, READERS)),
        Shape(attacker=(_allow("iam:AddUserToGroup", READERS.arn),), groups=(ADMINS, READERS)),
        "decided",
    ),
    "UpdateAssumeRolePolicy": (
        Shape(
            attacker=(
                _allow("iam:UpdateAssumeRolePolicy", _arn("role", "vault")),
                _allow("sts:AssumeRole"),
            ),
            roles=(_service("vault", "ec2.amazonaws.com"),),
        ),
        Shape(
            attacker=(
                _allow("iam:UpdateAssumeRolePolicy", _arn("role", "empty")),
                _allow("sts:AssumeRole"),
            ),
            roles=(
                _service("vault", "ec2.amazonaws.com"),
                _role("empty", {"Service": "ec2.amazonaws.com"}, OPS_PLAIN),
            ),
        ),
        "decided",
    ),
    "PassRole_Lambda_CreateFunction_InvokeFunction": (
        Shape(
            attacker=_pass("fn", "lambda:CreateFunction", "lambda:InvokeFunction"),
            roles=(_service("fn", "lambda.amazonaws.com"),),
        ),
        Shape(
            attacker=_pass("fn", "lambda:CreateFunction"),
            roles=(_service("fn", "lambda.amazonaws.com"),),
        ),
        "decided",
    ),
    "PassRole_Lambda_EventSourceMapping": (
        Shape(
            attacker=_pass("fn", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
            roles=(_service("fn", "lambda.amazonaws.com"),),
        ),
        Shape(
            attacker=_pass("fn", "lambda:UpdateFunctionConfiguration"),
            roles=(_service("fn", "lambda.amazonaws.com"),),
        ),
        "decided",
    ),
    "UpdateFunctionCode": (
        Shape(
            attacker=(_allow("lambda:UpdateFunctionCode"),),
            roles=(_service("fn", "lambda.amazonaws.com"),),
        ),
        Shape(
            attacker=(_allow("lambda:UpdateFunctionCode"),),
            roles=(_service("box", "ec2.amazonaws.com", profile=True),),
        ),
        "undecided",
    ),
    "PassRole_Glue_CreateDevEndpoint": (
        Shape(
            attacker=_pass("etl", "glue:CreateDevEndpoint"),
            roles=(_service("etl", "glue.amazonaws.com"),),
        ),
        Shape(
            attacker=_pass(
                "etl",
                "glue:CreateDevEndpoint",
                Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            ),
            roles=(_service("etl", "glue.amazonaws.com"),),
        ),
        "decided",
    ),
    "UpdateDevEndpoint": (
        Shape(
            attacker=(_allow("glue:UpdateDevEndpoint"),),
            roles=(_service("etl", "glue.amazonaws.com"),),
        ),
        Shape(
            attacker=(_allow("glue:GetDevEndpoint"),),
            roles=(_service("etl", "glue.amazonaws.com"),),
        ),
        "undecided",
    ),
    "PassRole_CloudFormation": (
        Shape(
            attacker=_pass("stack", "cloudformation:CreateStack"),
            roles=(_service("stack", "cloudformation.amazonaws.com"),),
        ),
        Shape(
            attacker=(*_pass("stack", "cloudformation:CreateStack"), _deny("cloudformation:*")),
            roles=(_service("stack", "cloudformation.amazonaws.com"),),
        ),
        "decided",
    ),
    "PassRole_DataPipeline": (
        Shape(
            attacker=_pass(
                "pipe",
                "datapipeline:CreatePipeline",
                "datapipeline:PutPipelineDefinition",
                "datapipeline:ActivatePipeline",
            ),
            roles=(_service("pipe", "datapipeline.amazonaws.com"),),
        ),
        Shape(
            attacker=_pass("pipe", "datapipeline:CreatePipeline"),
            roles=(_service("pipe", "datapipeline.amazonaws.com"),),
        ),
        "decided",
    ),
}


def _found(shape: Shape) -> str:
    answer = who_can(build_graph(shape.account()), PRIZE)
    reach = next((r for r in answer.principals if r.arn == ATTACKER), None)
    if reach is None:
        return "absent"
    return "decided" if reach.decided else "undecided"


@pytest.mark.parametrize("method", sorted(METHODS))
def test_escalation_method_is_found(method: str) -> None:
    positive, _, expected = METHODS[method]
    assert _found(positive) == expected


@pytest.mark.parametrize("method", sorted(METHODS))
def test_control_case_is_no_escalation(method: str) -> None:
    _, control, _ = METHODS[method]
    assert _found(control) == "absent"


def test_attach_limited_by_policy_arn_with_create_policy_is_undecided() -> None:
    """Attaching is limited to policies named team-*, which the attacker may create:
    whether its conditions allow one it creates is not decided, so it may reach."""
    shape = Shape(
        attacker=(
            _allow(
                "iam:AttachUserPolicy",
                ATTACKER,
                Condition={"ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{ACCT}:policy/team-*"}},
            ),
            _allow("iam:CreatePolicy"),
        )
    )
    assert _found(shape) == "undecided"
