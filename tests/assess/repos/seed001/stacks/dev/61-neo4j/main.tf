resource "aws_security_group" "neo4j" {
  name   = "platform-dev-neo4j"
  vpc_id = var.vpc_id
}

variable "vpc_id" {
  type = string
}
