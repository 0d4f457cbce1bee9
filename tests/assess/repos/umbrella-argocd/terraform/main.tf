terraform {
  backend "s3" {
    bucket = "platform-tfstate"
    key    = "cluster/terraform.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "eks" {
  source          = "terraform-aws-modules/eks/aws"
  version         = "~> 20.0"
  cluster_name    = "platform"
  cluster_version = "1.31"
}
