resource "aws_security_group" "dns" {
  name   = "platform-dev-dns"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
