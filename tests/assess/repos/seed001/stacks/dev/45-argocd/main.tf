resource "aws_security_group" "argocd" {
  name   = "platform-dev-argocd"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
