"""Derive ``catalog/facts/capa-iam.yaml`` from clusterawsadm's default bootstrap stack.

Cluster API's AWS provider (CAPA) expects IAM made by ``clusterawsadm bootstrap iam
create-cloudformation-stack``: instance profiles ``control-plane``, ``nodes`` and
``controllers`` (``.cluster-api-provider-aws.sigs.k8s.io``), their roles and the managed
policies attached to them. Its test fixture ``default.yaml`` is that stack as clusterawsadm
writes it with the default configuration; this script keeps the parts the rendered
Terraform needs, unchanged: the three EC2 roles with their instance profiles and the
control-plane, nodes and controllers policies with the roles each is attached to. Left out,
because the app clusters are not EKS: the EKS policy, the EKS control-plane role and the
EKS managed policies clusterawsadm attaches to the nodes role by default.

Usage: python scripts/derive_capa_iam.py FIXTURE [--check]
  FIXTURE: cmd/clusterawsadm/cloudformation/bootstrap/fixtures/default.yaml of
  kubernetes-sigs/cluster-api-provider-aws at the tag below (e.g. from a clone:
  git show v2.11.1:cmd/clusterawsadm/cloudformation/bootstrap/fixtures/default.yaml).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = "kubernetes-sigs/cluster-api-provider-aws"
TAG = "v2.11.1"  # render/clusterapi/providers.py AWS_VERSION
COMMIT = "eaa4c99b64d76179cb37e465808f6f00360d0bcc"
PATH = "cmd/clusterawsadm/cloudformation/bootstrap/fixtures/default.yaml"
OUT = Path(__file__).resolve().parents[1] / "src/stackyard/catalog/facts/capa-iam.yaml"
ROLES = {
    "AWSIAMRoleControlPlane": "control-plane",
    "AWSIAMRoleNodes": "nodes",
    "AWSIAMRoleControllers": "controllers",
}
POLICIES = {
    "AWSIAMManagedPolicyCloudProviderControlPlane": "control-plane",
    "AWSIAMManagedPolicyCloudProviderNodes": "nodes",
    "AWSIAMManagedPolicyControllers": "controllers",
}
HEADER = f"""\
# IAM that Cluster API's AWS provider (CAPA) expects in the account, as clusterawsadm's
# default bootstrap stack creates it: derived by scripts/derive_capa_iam.py from
# {REPOSITORY} {TAG}, {PATH}.
# Roles (EC2 trust) with their instance profiles of the same name, and the managed policies
# with the roles each is attached to. Not kept: the EKS parts (policy, control-plane role,
# the EKS managed policies on the nodes role); the app clusters are not EKS.
# Do not edit: run the script again for a new CAPA release.
"""


class _Loader(yaml.SafeLoader):
    """Safe loading that keeps the policies' ``Version: 2012-10-17`` the string IAM expects."""


_Loader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def derive(stack: dict[str, Any]) -> dict[str, Any]:
    """The kept parts of the stack (see module docs)."""
    resources = stack["Resources"]
    profiles = {
        body["Properties"]["Roles"][0]["Ref"]: body["Properties"]["InstanceProfileName"]
        for body in resources.values()
        if body["Type"] == "AWS::IAM::InstanceProfile"
    }
    roles = {}
    for key, short in ROLES.items():
        properties = resources[key]["Properties"]
        roles[short] = {
            "name": properties["RoleName"],
            "instanceProfile": profiles[key],
            "assumeRolePolicy": properties["AssumeRolePolicyDocument"],
        }
    policies = {}
    for key, short in POLICIES.items():
        properties = resources[key]["Properties"]
        policies[short] = {
            "name": properties["ManagedPolicyName"],
            "description": properties["Description"],
            "roles": [ROLES[ref["Ref"]] for ref in properties["Roles"]],
            "document": properties["PolicyDocument"],
        }
    return {
        "source": {"repository": REPOSITORY, "tag": TAG, "commit": COMMIT, "path": PATH},
        "roles": roles,
        "policies": policies,
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check compare) the facts file; 1 when it differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixture", type=Path)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stack = yaml.load(args.fixture.read_text(encoding="utf-8"), Loader=_Loader)
    text = HEADER + yaml.safe_dump(derive(stack), sort_keys=False, width=100)
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} differs from its derivation", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
