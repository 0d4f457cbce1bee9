resource "aws_security_group" "nlb" {
  name   = "platform-dev-nlb"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
