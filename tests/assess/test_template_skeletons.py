"""Terraform in a Backstage software template's skeleton is not a stack of the platform.

Written in the style of a reference implementation on AWS (one root module for the
cluster, scaffolder templates that create an S3 bucket or a VPC for a new service),
not copied from one.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import control

CLUSTER = """\
terraform {
  backend "s3" {
    bucket = "platform-state"
    key    = "cluster/terraform.tfstate"
    region = "us-east-1"
  }
}

provider "aws" {
  region = "us-east-1"
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"
}
"""
TEMPLATE = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: {name}
spec:
  owner: platform-team
  type: resource
  parameters:
    - title: Name
      properties:
        name: {{type: string}}
  steps:
    - id: fetch
      name: Fetch skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{{{ parameters.name }}}}
    - id: publish
      action: publish:github
      input:
        repoUrl: github.com?owner=platform-example&repo=${{{{ parameters.name }}}}
"""
SKELETON = """\
terraform {
  backend "s3" {}
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "this" {
  bucket = "service-bucket"
}
"""


def test_skeleton_root_modules_are_not_counted_as_stacks(tmp_path: Path) -> None:
    files = {"cluster/terraform/main.tf": CLUSTER}
    for name in ("terraform-s3", "terraform-vpc"):
        files[f"templates/{name}/template.yaml"] = TEMPLATE.format(name=name)
        files[f"templates/{name}/skeleton/main.tf"] = SKELETON
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")

    assessment = assess_directory(tmp_path)

    # Before, the two skeletons made "3 Terraform root modules" and IAC-STACKS achieved.
    stacks = control(assessment, "IAC-STACKS")
    assert stacks.status == "partial"
    assert stacks.detail.startswith("1 Terraform root module: cluster/terraform ")
    assert stacks.evidence == (Evidence("cluster/terraform/main.tf", 1, 7, "terraform"),)
    state = control(assessment, "IAC-REMOTE-STATE")
    assert state.detail == "remote Terraform state in 1 folder"
    # The skeletons' buckets are what new services will create, not the platform's.
    assert control(assessment, "IAC-INFRASTRUCTURE").detail == (
        "1 Terraform resources/modules in 1 files"
    )
    # The golden paths themselves still count for the developer portal.
    assert control(assessment, "DEVP-TEMPLATES").status == "achieved"
