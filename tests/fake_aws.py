"""A stand-in for the AWS CLI, for the tests of examples/collect.sh and collect-org.sh.

It answers from files: an account bundle (``FAKE_AWS_BUNDLE``) or an organization
bundle (``FAKE_AWS_ORG_DIR``), whose ``accounts/ID/`` answers for account ID. The
caller's account is the one ``sts assume-role`` put in ``AWS_ACCESS_KEY_ID``, else
the bundle's account (the management account for an organization). Only the
management account (or, for an account bundle, ``FAKE_AWS_ORG=1``) may read
Organizations beyond ``describe-organization``. ``FAKE_AWS_DENY`` lists account ids
that ``sts assume-role`` refuses; ``FAKE_AWS_NO_GRANTS`` a key whose grants it refuses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
"""The collection scripts are bash scripts."""

SCRIPT = r"""
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
opts = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
words = [a for i, a in enumerate(args) if not a.startswith("--")
         and not (i and args[i - 1].startswith("--") and args[i - 1] != "--no-paginate")]
service, operation = words[0], words[1]
text = opts.get("--output") == "text"
org_dir = os.environ.get("FAKE_AWS_ORG_DIR")
key = os.environ.get("AWS_ACCESS_KEY_ID", "")
if org_dir:
    org_dir = Path(org_dir)
    management = json.loads((org_dir / "organization.json").read_text())["Organization"]
    caller = key[8:] if key.startswith("ASIAFAKE") else management["MasterAccountId"]
    src = org_dir / "accounts" / caller
    org = caller == management["MasterAccountId"]
else:
    src = Path(os.environ["FAKE_AWS_BUNDLE"])
    caller = json.loads((src / "account.json").read_text())["account_id"]
    org = os.environ.get("FAKE_AWS_ORG") == "1"

def out(path):
    sys.stdout.write((src / path).read_text())

def listing(path, key, field="Id"):
    items = json.loads(Path(path).read_text())[key]
    print("\t".join(item[field] for item in items))

def parent_of(child):
    for folder in sorted((org_dir / "parents").iterdir()):
        for name, key in (("ous.json", "OrganizationalUnits"), ("accounts.json", "Accounts")):
            items = json.loads((folder / name).read_text())[key]
            if any(item["Id"] == child for item in items):
                kind = "ROOT" if folder.name.startswith("r-") else "ORGANIZATIONAL_UNIT"
                return f"{folder.name}\t{kind}"
    sys.exit(f"fake aws: {child} has no parent")

if (service, operation) == ("sts", "get-caller-identity"):
    print(f"{caller}\tarn:aws:iam::{caller}:role/collector")
elif (service, operation) == ("sts", "assume-role"):
    account = opts["--role-arn"].split(":")[4]
    if account in os.environ.get("FAKE_AWS_DENY", "").split():
        sys.exit("An error occurred (AccessDenied) when calling the AssumeRole operation")
    print(f"ASIAFAKE{account}\tsecret-{account}\ttoken-{account}")
elif (service, operation) == ("organizations", "describe-organization"):
    if not org_dir:
        print("o-exampleorgid\t999999999999")
    elif text:
        print(f"{management['Id']}\t{management['MasterAccountId']}")
    else:
        sys.stdout.write((org_dir / "organization.json").read_text())
elif (service, operation) == ("iam", "get-account-authorization-details"):
    out("iam/account-authorization-details.json")
elif (service, operation) == ("kms", "describe-custom-key-stores"):
    out("kms/custom-key-stores.json")
elif (service, operation) == ("kms", "list-keys"):
    print("\t".join(sorted(p.name for p in (src / "kms/keys").iterdir())))
elif service == "kms" and operation in ("describe-key", "get-key-policy", "list-grants"):
    key_id = opts["--key-id"]
    if operation == "list-grants" and key_id == os.environ.get("FAKE_AWS_NO_GRANTS"):
        sys.exit("An error occurred (AccessDeniedException) when calling the ListGrants operation")
    name = {"describe-key": "describe-key", "get-key-policy": "key-policy",
            "list-grants": "grants"}[operation]
    out(f"kms/keys/{key_id}/{name}.json")
elif (service, operation) == ("cloudhsmv2", "describe-clusters"):
    out("cloudhsm/clusters.json")
elif (service, operation) in (("lambda", "list-functions"), ("ec2", "describe-instances"),
                              ("cloudformation", "describe-stacks"), ("glue", "get-dev-endpoints")):
    out({"lambda": "lambda/functions.json", "ec2": "ec2/instances.json",
         "cloudformation": "cloudformation/stacks.json",
         "glue": "glue/dev-endpoints.json"}[service])
elif (service, operation) in (("ecs", "list-clusters"), ("ecs", "list-services")):
    cluster = opts.get("--cluster", "").rpartition("/")[2]
    rel = f"ecs/services/{cluster}/list-services.json" if cluster else "ecs/clusters.json"
    if text:
        print("\t".join(next(iter(json.loads((src / rel).read_text()).values()))))
    else:
        out(rel)
elif (service, operation) == ("ecs", "describe-services"):
    out(f"ecs/services/{opts['--cluster'].rpartition('/')[2]}/describe-01.json")
elif (service, operation) == ("ecs", "describe-task-definition"):
    name = opts["--task-definition"].rpartition("/")[2].replace(":", "-")
    out(f"ecs/task-definitions/{name}.json")
elif service == "organizations" and not org:
    sys.exit("An error occurred (AccessDeniedException): not the management account")
elif not org_dir and (service, operation) == ("organizations", "list-parents"):
    parents = {"111122223333": "ou-a1b2-5wd9k3xj\tORGANIZATIONAL_UNIT",
               "ou-a1b2-5wd9k3xj": "r-a1b2\tROOT"}
    print(parents[opts["--child-id"]])
elif not org_dir and (service, operation) == ("organizations", "list-policies-for-target"):
    kind = "scp" if opts["--filter"] == "SERVICE_CONTROL_POLICY" else "rcp"
    level = next((src / "organizations" / kind).glob(f"*-{opts['--target-id']}"))
    print("\t".join(sorted(p.stem for p in level.iterdir())))
elif not org_dir and (service, operation) == ("organizations", "describe-policy"):
    path = next((src / "organizations").rglob(f"{opts['--policy-id']}.json"))
    out(str(path.relative_to(src)))
elif (service, operation) == ("organizations", "list-parents"):
    print(parent_of(opts["--child-id"]))
elif (service, operation) == ("organizations", "list-policies-for-target"):
    kind = "scp" if opts["--filter"] == "SERVICE_CONTROL_POLICY" else "rcp"
    targets = sorted((org_dir / "policies" / kind).glob("*.targets.json"))
    found = [p.name.split(".")[0] for p in targets if opts["--target-id"] in p.read_text()]
    print("\t".join(found))
elif (service, operation) == ("organizations", "list-policies"):
    kind = "scp" if opts["--filter"] == "SERVICE_CONTROL_POLICY" else "rcp"
    folder = org_dir / "policies" / kind
    if not folder.is_dir():
        sys.exit("An error occurred (PolicyTypeNotEnabledException): not enabled")
    print("\t".join(p.name.split(".")[0] for p in sorted(folder.glob("*.targets.json"))))
elif (service, operation) in (("organizations", "describe-policy"),
                              ("organizations", "list-targets-for-policy")):
    pid = opts["--policy-id"]
    suffix = ".json" if operation == "describe-policy" else ".targets.json"
    path = next(p for p in (org_dir / "policies").rglob(pid + suffix))
    sys.stdout.write(path.read_text())
elif (service, operation) == ("organizations", "list-roots"):
    path = org_dir / "roots.json"
    listing(path, "Roots") if text else sys.stdout.write(path.read_text())
elif operation in ("list-organizational-units-for-parent", "list-accounts-for-parent"):
    name, key = (("ous.json", "OrganizationalUnits") if "units" in operation
                 else ("accounts.json", "Accounts"))
    path = org_dir / "parents" / opts["--parent-id"] / name
    listing(path, key) if text else sys.stdout.write(path.read_text())
elif (service, operation) == ("organizations", "list-accounts"):
    path = org_dir / "accounts.json"
    if text:
        items = json.loads(path.read_text())["Accounts"]
        print("\t".join(item["Id"] for item in items if item["Status"] == "ACTIVE"))
    else:
        sys.stdout.write(path.read_text())
else:
    sys.exit(f"fake aws: unexpected call {args}")
"""


def run_with_fake_aws(
    tmp_path: Path, command: list[str], **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with the stand-in ``aws`` first on PATH and ``env`` added."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "aws"
    fake.write_text(f"#!{sys.executable}\n{SCRIPT}")
    fake.chmod(0o755)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        **env,
    }
    return subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
