resource "aws_security_group" "opensearch" {
  name   = "platform-dev-opensearch"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
