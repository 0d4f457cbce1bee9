resource "vault_identity_oidc_key" "platform" {
  name               = "platform"
  allowed_client_ids = ["*"]
  rotation_period    = 3600
}

resource "vault_identity_oidc_provider" "platform" {
  name          = "platform"
  https_enabled = true
  issuer_host   = "vault.acme.example"
  allowed_client_ids = [
    vault_identity_oidc_client.backstage.client_id,
  ]
}

resource "vault_identity_oidc_client" "backstage" {
  name          = "backstage"
  key           = vault_identity_oidc_key.platform.name
  redirect_uris = ["https://backstage.acme.example/api/auth/vault/handler/frame"]
}

resource "vault_jwt_auth_backend" "keycloak" {
  path               = "oidc"
  type               = "oidc"
  oidc_discovery_url = "https://sso.acme.example/realms/platform"
  oidc_client_id     = "vault"
  default_role       = "platform"
}
