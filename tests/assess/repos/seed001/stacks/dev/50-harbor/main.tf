resource "aws_security_group" "harbor" {
  name   = "platform-dev-harbor"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
