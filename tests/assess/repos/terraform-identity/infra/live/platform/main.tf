variable "region" {
  type    = string
  default = "eu-west-1"
}

module "eks" {
  source = "../../modules/eks"
}

module "identity" {
  source = "../../modules/identity"
}

module "argocd" {
  source     = "../../modules/argocd"
  depends_on = [module.eks]
}
