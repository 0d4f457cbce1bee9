resource "aws_security_group" "access_gateway" {
  name   = "platform-dev-access_gateway"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
