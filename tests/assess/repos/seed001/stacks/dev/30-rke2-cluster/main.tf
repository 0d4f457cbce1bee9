data "terraform_remote_state" "network" {
  backend = "s3"
  config = {
    bucket = "platform-dev-tfstate"
    key    = "dev/00-network/terraform.tfstate"
    region = "ap-northeast-2"
  }
}

resource "aws_instance" "server" {
  count                = 3
  ami                  = var.golden_ami
  instance_type        = "m6i.xlarge"
  subnet_id            = data.terraform_remote_state.network.outputs.private_subnet_ids[count.index]
  iam_instance_profile = aws_iam_instance_profile.rke2.name

  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    mkdir -p /etc/rancher/rke2
    cat > /etc/rancher/rke2/config.yaml <<EOF
    token: ${var.cluster_token}
    tls-san:
      - api.dev.platform.internal
    write-kubeconfig-mode: "0600"
    cni: canal
    cloud-provider-name: external
    node-taint:
      - CriticalAddonsOnly=true:NoExecute
    EOF
    curl -sfL https://get.rke2.io | INSTALL_RKE2_TYPE=server sh -
    systemctl enable --now rke2-server.service
  EOT

  tags = {
    Name                                 = "platform-dev-server-${count.index}"
    "kubernetes.io/cluster/platform-dev" = "owned"
  }
}

resource "aws_iam_instance_profile" "rke2" {
  name = "platform-dev-rke2"
  role = "platform-dev-rke2"
}

variable "golden_ami" {
  type = string
}

variable "cluster_token" {
  type      = string
  sensitive = true
}
