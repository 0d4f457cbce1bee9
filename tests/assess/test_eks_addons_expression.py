"""The EKS module's add-ons written as a conditional expression still name the CNI.

Written in the style of a reference implementation that supports EKS Auto Mode (the
add-ons map is empty in Auto Mode, explicit otherwise), not copied from one.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import control

MAIN = """\
locals {
  auto_mode = false
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.31"

  cluster_name = "platform"
  cluster_addons = local.auto_mode ? {} : {
    coredns    = {}
    kube-proxy = {}
    vpc-cni    = {}
  }
}
"""


def test_vpc_cni_named_in_a_conditional_add_on_map(tmp_path: Path) -> None:
    (tmp_path / "cluster").mkdir()
    (tmp_path / "cluster" / "main.tf").write_text(MAIN, encoding="utf-8")

    cni = control(assess_directory(tmp_path), "NET-CNI")

    # Before, only a literal map was read: "not found".
    assert cni.status == "achieved"
    assert cni.evidence == (
        Evidence("cluster/main.tf", 10, 10, "cluster_addons — vpc-cni add-on in its expression"),
    )
