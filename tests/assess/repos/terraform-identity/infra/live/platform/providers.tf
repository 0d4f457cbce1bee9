provider "aws" {
  region = var.region
}

provider "helm" {
  kubernetes {
    host                   = module.eks.cluster_endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)
  }
}

provider "keycloak" {
  client_id = "terraform"
  url       = "https://sso.acme.example"
}

provider "vault" {
  address = "https://vault.acme.example"
}
