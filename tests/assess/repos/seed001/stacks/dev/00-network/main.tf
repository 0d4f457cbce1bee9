resource "aws_vpc" "platform" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = "platform-dev"
  }
}

resource "aws_subnet" "private" {
  count             = 3
  vpc_id            = aws_vpc.platform.id
  cidr_block        = cidrsubnet(aws_vpc.platform.cidr_block, 4, count.index)
  availability_zone = element(["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"], count.index)
}
