"""Account bundles: what the AWS CLI prints about one account, read into the IR.

A bundle is a directory holding the unmodified output of a few AWS CLI
commands (``examples/collect.sh`` writes one), so that every question about
the account can be answered offline and every answer can name the file, line
and column it came from::

    account.json
        written by hand or by collect.sh (see below)
    iam/account-authorization-details.json
        aws iam get-account-authorization-details
    kms/custom-key-stores.json                              (optional)
        aws kms describe-custom-key-stores
    kms/keys/<key-id>/describe-key.json
        aws kms describe-key --key-id KEY
    kms/keys/<key-id>/key-policy.json
        aws kms get-key-policy --key-id KEY --policy-name default
    kms/keys/<key-id>/grants.json                           (optional)
        aws kms list-grants --key-id KEY
    cloudhsm/clusters.json                                  (optional)
        aws cloudhsmv2 describe-clusters
    organizations/scp/<NN>-<target>/<policy-id>.json        (optional)
    organizations/rcp/<NN>-<target>/<policy-id>.json        (optional)
        aws organizations describe-policy --policy-id ID, one file per policy
        attached to the target; NN orders the levels: 00 is the root, then
        each OU from the top, the account last (00-r-ab12, 01-ou-ab12-cd34ef56,
        02-111122223333)
    lambda/functions.json, ec2/instances.json, ecs/…,       (optional)
    cloudformation/stacks.json, glue/dev-endpoints.json
        compute that runs as a role (see :mod:`~cksmodel.account.compute`)

``account.json`` is the one file no AWS command prints (``collect.sh`` writes it
from ``aws sts get-caller-identity`` and ``aws organizations describe-organization``)::

    {"account_id": "111122223333", "partition": "aws",
     "organization_id": "o-exampleorgid", "management_account": "999999999999",
     "regions": ["us-east-1", "eu-west-1"]}

``account_id`` is required; ``partition`` defaults to ``aws``; the others are
optional. ``regions`` lists the regions the bundle describes (``collect.sh``
collects one region per run).

Every policy document may be a JSON object, a JSON string holding one, or a
URL-encoded string, as IAM returns them. In the identity-policy IR, the
policies in force are: inline policies, plus the default version
(``IsDefaultVersion``) of each attached managed policy, plus, for users, the
inline and attached policies of their groups. Policy names say where each
policy came from (``user/alice/inline/Oncall``, ``group/ops/inline/Logs``,
``role/app/inline/Kms``, ``role/app/trust``, ``managed/ARN``,
``boundary/ARN``, ``key/KEY-ID/key-policy``, ``scp/01-ou-x/NAME``) and their
spans name the bundle file (for documents given as strings: the file and
position of the string, then the position inside the decoded document).

Service-linked roles, such as ``AWSServiceRoleForKeyManagementServiceCustomKeyStores``
(path ``/aws-service-role/cks.kms.amazonaws.com/``), are ordinary roles here, and
their AWS managed policies ordinary entries of ``Policies``;
:attr:`~cksmodel.account.model.IamPrincipal.service_linked` tells them apart.

Errors (:class:`~cksmodel.account.model.BundleError`, an
:class:`~cksmodel.errors.InputError`) name the file, line and column and what
was expected: a missing bundle directory, ``account.json`` or IAM file;
malformed JSON (codes of :mod:`cksmodel.policy.jsontext`, e.g. ``E_SYNTAX``);
malformed policies (codes of :mod:`cksmodel.policy.parse`); wrong shapes,
missing key files and dangling references (``E_BUNDLE``); unreadable files
(``E_IO``). Missing optional parts are not errors:
:attr:`~cksmodel.account.model.Account.warnings` says, for each, how it
weakens the answers.

This module reads ``account.json`` and walks the directory; the readers of the
AWS CLI output are :mod:`~cksmodel.account.iam`, :mod:`~cksmodel.account.kms`,
:mod:`~cksmodel.account.cloudhsm`, :mod:`~cksmodel.account.organizations` and
:mod:`~cksmodel.account.compute`,
and the model they build is :mod:`~cksmodel.account.model`.
"""

from __future__ import annotations

import re
from pathlib import Path

from cksmodel.account.cloudhsm import read_clusters
from cksmodel.account.compute import read_compute
from cksmodel.account.files import file_start, missing_file, read_file
from cksmodel.account.iam import read_iam
from cksmodel.account.kms import read_keys, read_stores
from cksmodel.account.model import Account, BundleError
from cksmodel.account.organizations import read_organizations
from cksmodel.arguments import check_path
from cksmodel.policy.ir import Policy
from cksmodel.source import Span

BUNDLE_FORMS = "an Account or the path of an account bundle directory"

__all__ = ["load_bundle"]

ACCOUNT_KEYS = ("account_id", "partition", "organization_id", "management_account", "regions")

ACCOUNT_ID = re.compile(r"^\d{12}$")
ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")


def _read_account(root: Path) -> tuple[str, str, str | None, str | None, tuple[str, ...]]:
    """``account.json``: account id, partition, organization, management account, regions."""
    path = root / "account.json"
    if not path.exists():
        raise missing_file(
            path,
            'write {"account_id": "111122223333"} there (partition, organization_id, '
            "management_account and regions are optional)",
        )
    doc = read_file(path)
    top = doc.root_obj("the account description")
    for key in top:
        if key not in ACCOUNT_KEYS:
            close = [k for k in ACCOUNT_KEYS if k.replace("_", "") == key.lower()]
            hint = f"did you mean {close[0]!r}?" if close else f"expected {', '.join(ACCOUNT_KEYS)}"
            raise BundleError(
                f"unknown key {key!r} in account.json; {hint}",
                span=Span(source=doc.source, line=top.key_pos[key][0], column=top.key_pos[key][1]),
            )
    account_id = doc.text(top, "account_id", "account.json")
    if not ACCOUNT_ID.match(account_id):
        raise doc.fail(
            f"account_id must be a 12-digit account id, not {account_id!r}", top, "account_id"
        )
    partition = doc.opt_text(top, "partition") or "aws"
    organization = doc.opt_text(top, "organization_id")
    if organization is not None and not ORG_ID.match(organization):
        raise doc.fail(
            f"organization_id must look like 'o-exampleorgid' (o- and 10 to 32 lower-case "
            f"letters or digits), not {organization!r}",
            top,
            "organization_id",
        )
    management = doc.opt_text(top, "management_account")
    if management is not None and not ACCOUNT_ID.match(management):
        raise doc.fail(
            f"management_account must be a 12-digit account id, not {management!r}",
            top,
            "management_account",
        )
    regions = doc.texts(top, "regions")
    return account_id, partition, organization, management, regions


def load_bundle(
    path: str | Path,
    *,
    levels: tuple[tuple[tuple[Policy, ...], ...], tuple[tuple[Policy, ...], ...]] | None = None,
) -> Account:
    """Read an account bundle directory (see the module docstring for its layout).

    ``levels``, the SCP and RCP levels of the account as its organization bundle
    gives them (:func:`cksmodel.account.organization.load_member`), replace the
    bundle's own ``organizations/`` folder, which is then not read.
    """
    root = Path(path)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise BundleError(
            f"bundle directory {root} {what}; expected a folder holding account.json and "
            "iam/account-authorization-details.json",
            span=file_start(str(root)),
        )
    warnings: list[str] = []
    warn = warnings.append
    account_id, partition, organization, management, regions = _read_account(root)
    iam = read_iam(root, warn, account_id)
    if (root / "kms").is_dir():
        stores = read_stores(root, warn)
        keys = read_keys(root, warn, account_id, regions, stores)
    else:
        warn(
            f"{root / 'kms'} is missing: the bundle has no KMS keys or custom key stores, so "
            "invariants about keys and grants are UNKNOWN"
        )
        stores, keys = None, None
    clusters = read_clusters(root, warn)
    if stores is not None and clusters is not None:
        known = {c.id for c in clusters}
        for store in stores:
            if store.cluster_id is not None and store.cluster_id not in known:
                warn(
                    f"custom key store {store.id} is associated with cluster "
                    f"{store.cluster_id}, which cloudhsm/clusters.json does not list "
                    "(deleted, or collected in another region?)"
                )
    if levels is None:
        scps, rcps = read_organizations(root, warn, account_id, organization, management)
    else:
        if (root / "organizations").exists():
            warn(
                f"{root / 'organizations'} is ignored: the SCPs and RCPs of the organization "
                "bundle apply"
            )
        scps, rcps = levels
    compute, compute_known = read_compute(
        root, warn, account_id, partition, regions, iam.principals
    )
    return Account(
        account_id=account_id,
        partition=partition,
        organization_id=organization,
        management_account=management,
        regions=regions,
        principals=iam.principals,
        groups=iam.groups,
        managed_policies=iam.managed_policies,
        stored_versions=iam.stored_versions,
        keys=keys or (),
        keys_known=keys is not None,
        stores=stores or (),
        clusters=clusters or (),
        scps=scps,
        rcps=rcps,
        compute=compute,
        compute_known=compute_known,
        warnings=tuple(warnings),
        root=root,
    )


def as_account(name: str, value: object) -> Account:
    """The account an argument stands for: an :class:`Account`, or a bundle path to load."""
    if isinstance(value, Account):
        return value
    return load_bundle(check_path(name, value, BUNDLE_FORMS))
