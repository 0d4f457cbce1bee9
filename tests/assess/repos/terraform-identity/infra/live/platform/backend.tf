terraform {
  backend "s3" {
    bucket         = "acme-platform-tfstate"
    key            = "platform/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "acme-platform-tflock"
  }
}
