provider "vault" {
  address = "https://vault.dev.platform.internal"
}

resource "vault_auth_backend" "kubernetes" {
  type = "kubernetes"
}

resource "vault_kubernetes_auth_backend_config" "platform" {
  backend         = vault_auth_backend.kubernetes.path
  kubernetes_host = "https://kubernetes.default.svc"
}

resource "vault_aws_secret_backend" "aws" {
  path                      = "aws"
  region                    = "ap-northeast-2"
  default_lease_ttl_seconds = 900
}

resource "vault_aws_secret_backend_role" "alb_controller" {
  backend         = vault_aws_secret_backend.aws.path
  name            = "aws-load-balancer-controller"
  credential_type = "assumed_role"
  role_arns       = ["arn:aws:iam::123456789012:role/platform-dev-albc"]
}
