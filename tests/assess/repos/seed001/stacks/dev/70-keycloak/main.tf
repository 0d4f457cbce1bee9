provider "keycloak" {
  client_id = "terraform"
  url       = "https://keycloak.dev.platform.internal"
}

resource "keycloak_realm" "platform" {
  realm   = "platform"
  enabled = true
}

resource "keycloak_openid_client" "grafana" {
  realm_id              = keycloak_realm.platform.id
  client_id             = "grafana"
  access_type           = "CONFIDENTIAL"
  standard_flow_enabled = true
  valid_redirect_uris   = ["https://grafana.dev.platform.internal/login/generic_oauth"]
}

resource "keycloak_openid_client" "harbor" {
  realm_id              = keycloak_realm.platform.id
  client_id             = "harbor"
  access_type           = "CONFIDENTIAL"
  standard_flow_enabled = true
  valid_redirect_uris   = ["https://harbor.dev.platform.internal/c/oidc/callback"]
}

resource "keycloak_openid_client" "rancher" {
  realm_id              = keycloak_realm.platform.id
  client_id             = "rancher"
  access_type           = "CONFIDENTIAL"
  standard_flow_enabled = true
  valid_redirect_uris   = ["https://rancher.dev.platform.internal/verify-auth"]
}

resource "keycloak_openid_client" "teleport" {
  realm_id              = keycloak_realm.platform.id
  client_id             = "teleport"
  access_type           = "CONFIDENTIAL"
  standard_flow_enabled = true
  valid_redirect_uris   = ["https://teleport.dev.platform.internal/v1/webapi/oidc/callback"]
}
