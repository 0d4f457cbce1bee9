resource "helm_release" "argocd" {
  name             = "argo-cd"
  repository       = "https://argoproj.github.io/argo-helm"
  chart            = "argo-cd"
  version          = "7.7.11"
  namespace        = "argocd"
  create_namespace = true

  values = [
    file("${path.module}/values/argocd.yaml"),
  ]

  set {
    name  = "server.replicas"
    value = "2"
  }
}

resource "helm_release" "grafana" {
  name       = "grafana"
  repository = "https://grafana.github.io/helm-charts"
  chart      = "grafana"
  version    = "8.6.4"
  namespace  = "monitoring"

  values = [
    yamlencode({
      "grafana.ini" = {
        "auth.generic_oauth" = {
          enabled   = true
          name      = "Keycloak"
          client_id = "grafana"
          auth_url  = "https://sso.acme.example/realms/platform/protocol/openid-connect/auth"
        }
      }
      resources = {
        requests = { cpu = "100m", memory = "256Mi" }
      }
    })
  ]
}
