resource "keycloak_realm" "platform" {
  realm        = "platform"
  enabled      = true
  display_name = "ACME platform"
}

resource "keycloak_openid_client" "argocd" {
  realm_id              = keycloak_realm.platform.id
  client_id             = "argocd"
  access_type           = "CONFIDENTIAL"
  standard_flow_enabled = true
  valid_redirect_uris   = ["https://argocd.acme.example/auth/callback"]
}

resource "keycloak_openid_client" "grafana" {
  realm_id              = keycloak_realm.platform.id
  client_id             = "grafana"
  access_type           = "CONFIDENTIAL"
  standard_flow_enabled = true
  valid_redirect_uris   = ["https://grafana.acme.example/login/generic_oauth"]
}
