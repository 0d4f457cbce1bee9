resource "aws_security_group" "bastion" {
  name   = "platform-dev-bastion"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
