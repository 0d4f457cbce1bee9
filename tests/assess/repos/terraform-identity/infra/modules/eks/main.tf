locals {
  # Filled in by the scaffolder; python-hcl2 cannot read this line as it stands.
  cluster_name = <CLUSTER_NAME>
  tags = {
    Team = "platform"
  }
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"

  cluster_name    = local.cluster_name
  cluster_version = "1.30"

  cluster_addons = {
    coredns = {}
    kube-proxy = {}
    vpc-cni = {
      most_recent = true
    }
  }

  eks_managed_node_groups = {
    default = {
      instance_types = ["m6i.large"]
      min_size       = 3
      max_size       = 6
    }
  }
}

output "cluster_endpoint" {
  value = module.eks.cluster_endpoint
}
