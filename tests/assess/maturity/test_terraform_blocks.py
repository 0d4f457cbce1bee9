"""Terraform that python-hcl2 cannot parse whole is read block by block."""

from __future__ import annotations

from stackyard.assess import assess_directory
from stackyard.assess.inputs.hclblocks import top_level_chunks
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import WriteTree, control, index, messages
from tests.processes import run_bounded

PLACEHOLDER = """\
locals {
  cluster_name = <CLUSTER_NAME>
  region       = "eu-west-1"
}

resource "aws_eks_addon" "vpc_cni" {
  cluster_name = local.cluster_name
  addon_name   = "vpc-cni"
}

module "eks" {
  source = "terraform-aws-modules/eks/aws"
  name   = "${{ values.name }}"
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs" # a } in a comment does not close the block
  tags = {
    Note = "a { in a string does not open one: ${var.env}"
  }
  policy = <<-EOT
    { "Version": "2012-10-17"
  EOT
}
"""


def test_a_placeholder_line_loses_its_block_not_the_file(write_tree: WriteTree) -> None:
    root = write_tree({"infra/main.tf": PLACEHOLDER})
    facts, notices = index(root)
    kept = {(b.address, b.line, b.end_line) for b in facts.terraform}
    assert kept == {("aws_eks_addon.vpc_cni", 6, 9), ("aws_s3_bucket.logs", 16, 24)}
    addon = facts.resources("aws_eks_addon")[0]
    assert addon.attribute_lines["addon_name"] == 8
    lost = messages(notices, "infra/main.tf")
    assert len(lost) == 2
    assert lost[0].startswith("line 1: Terraform block locals not read (python-hcl2: ")
    assert "at line 2," in lost[0]  # the error's line is the file's, not the block's
    assert lost[1].startswith('line 11: Terraform block module "eks" not read')


def test_an_unclosed_brace_costs_one_block(write_tree: WriteTree) -> None:
    text = (
        'resource "a" "broken" {\n'
        "  tags = {\n"
        '    Name = "x"\n'
        "}\n"
        'resource "aws_eks_addon" "cni" {\n'
        '  addon_name = "vpc-cni"\n'
        "}\n"
    )
    facts, notices = index(write_tree({"main.tf": text}))
    assert [(b.address, b.line) for b in facts.terraform] == [("aws_eks_addon.cni", 5)]
    assert messages(notices, "main.tf")[0].startswith('line 1: Terraform block resource "a"')


def test_hostile_terraform_is_bounded_and_never_crashes(write_tree: WriteTree) -> None:
    bomb = "locals {\n  x = " + "[" * 50_000 + "]" * 50_000 + "\n}\n"
    many = "".join(f'resource "a" "r{i}" {{\n  x = <BAD>\n}}\n' for i in range(3000))
    strays = "}" * 200_000 + "\n" + '"' * 200_000 + "\n"
    root = write_tree({"bomb.tf": bomb, "many.tf": many, "strays.tf": strays})
    facts, notices = run_bounded(index, root)  # a hang fails, however slow the machine
    assert not facts.terraform
    assert messages(notices, "bomb.tf") == [
        "line 1: Terraform block locals not read (python-hcl2: nested too deep to read); "
        "the other blocks of the file are read"
    ]
    assert len(messages(notices, "many.tf")) == 21  # 20 named, then one count
    assert messages(notices, "many.tf")[-1] == "2980 more Terraform blocks not read"
    assert len(messages(notices, "strays.tf")) <= 2


def test_chunks_follow_strings_templates_heredocs_and_comments() -> None:
    chunks = top_level_chunks(PLACEHOLDER)
    assert [(c.line, c.end_line, c.head) for c in chunks] == [
        (1, 4, "locals"),
        (6, 9, 'resource "aws_eks_addon" "vpc_cni"'),
        (11, 14, 'module "eks"'),
        (16, 24, 'resource "aws_s3_bucket" "logs"'),
    ]
    assert all(c.closed for c in chunks)


ROOT = """\
terraform {
  backend "s3" {
    bucket = "state"
    key    = "platform.tfstate"
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "network" {
  source = "./modules/network"
}

module "cluster" {
  source = "./modules/cluster"
}
"""
CHILD = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "kubernetes" {
  host = var.host
}
"""
CALLS_ADDONS = 'module "addons" {\n  source = "../addons"\n}\n'


def test_a_stack_is_a_root_module_not_every_folder_with_providers(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            "infra/main.tf": ROOT,
            "infra/modules/network/main.tf": CHILD,
            "infra/modules/cluster/main.tf": CHILD + CALLS_ADDONS,
            "infra/modules/addons/main.tf": CHILD,
        }
    )
    stacks = control(assess_directory(root), "IAC-STACKS")
    assert stacks.status == "partial"
    assert stacks.detail.startswith("1 Terraform root module: infra (")
    assert stacks.evidence == (Evidence("infra/main.tf", 1, 6, "terraform"),)
