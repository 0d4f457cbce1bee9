resource "aws_security_group" "security" {
  name   = "platform-dev-security"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
