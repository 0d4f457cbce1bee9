terraform {
  required_version = ">= 1.6"

  backend "s3" {
    bucket         = "platform-dev-tfstate"
    key            = "dev/75-vault/terraform.tfstate"
    region         = "ap-northeast-2"
    dynamodb_table = "platform-dev-tflock"
    encrypt        = true
  }
}

provider "aws" {
  region = "ap-northeast-2"
}
