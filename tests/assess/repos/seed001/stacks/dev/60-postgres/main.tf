resource "aws_security_group" "postgres" {
  name   = "platform-dev-postgres"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
