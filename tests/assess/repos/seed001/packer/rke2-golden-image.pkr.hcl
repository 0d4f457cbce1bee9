packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

source "amazon-ebs" "rke2" {
  ami_name      = "platform-rke2-{{timestamp}}"
  instance_type = "m6i.large"
  region        = "ap-northeast-2"
  source_ami_filter {
    filters = {
      name = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
  ssh_username = "ubuntu"
}

build {
  sources = ["source.amazon-ebs.rke2"]
  provisioner "shell" {
    inline = ["curl -sfL https://get.rke2.io | INSTALL_RKE2_METHOD=tar sh -"]
  }
}
