"""Kiali, the mesh's console: one Kiali resource for the operator, wired to the platform.

Where the mesh is on and the Kiali operator runs, a ``Kiali`` resource (``kiali.io``)
in the operator's namespace, synced with its Application after the chart, asks the
operator for a Kiali server there (its UI route comes from the catalog entry's ``ui``):

- metrics: the cluster's own Prometheus where it runs in full mode, else the metrics
  store's query endpoint scoped to this cluster's series (``query_scope``: the
  ``cluster`` external label every Prometheus adds): its in-cluster Service where the
  store runs on the cluster, else its public name, whose certificate the platform CA
  signs. Kiali trusts only the system CAs plus the ConfigMap ``kiali-cabundle`` (key
  ``additional-ca-bundle.pem``) in its namespace
  (https://kiali.io/docs/configuration/p8s-jaeger-grafana/tls-configuration/), so the
  catalog entry requires that ConfigMap on such clusters, made by the operator from the
  same CA file as the Secrets ``platform-ca-bundle`` (the README lists it; no
  certificate is rendered);
- Grafana for the Istio dashboards and Tempo for traces (Kiali's ``tempo`` provider over
  HTTP, linking into Grafana's Tempo data source ``tempo``), in-cluster where they run
  on the cluster, else at their public names;
- sign-in through the platform realm (OpenID Connect, client from the catalog entry's
  ``oidc``) where Keycloak runs, else Kiali's ``token`` strategy. The client secret is
  read from the Secret ``kiali`` (key ``oidc-secret``), as Kiali expects; Kiali checks
  what a user may see with its own service account (``disable_rbac``), because the API
  servers accept tokens for their own client only.

Field names follow Kiali's CR reference
(https://kiali.io/docs/configuration/kialis.kiali.io/).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import endpoint_url, oidc_issuer, public_host
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.loadbalancing import gateway_domain
from stackyard.render.meshmodel import CONTROL_PLANE, mesh_scope
from stackyard.render.tree import Manifest

OPERATOR = "kiali-operator"
GRAFANA = "grafana"
TEMPO_DATASOURCE = "tempo"


def _prometheus(context: RenderContext, cluster: ClusterPlan) -> Manifest | None:
    local = endpoint_url(context, cluster, "prometheus", "query")
    if cluster.has("prometheus") and local is not None:
        return {"url": local}
    store = context.plan.settings.observability.metricsStore.value
    url = endpoint_url(context, cluster, store, "query")
    if url is None:
        return None
    return {"url": url, "query_scope": {"cluster": cluster.name}}


def queries_metrics_over_https(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether Kiali on ``cluster`` reads metrics from a public URL (the platform CA's)."""
    if mesh_scope(context, cluster) is None or not cluster.has(OPERATOR):
        return False
    prometheus = _prometheus(context, cluster)
    return prometheus is not None and str(prometheus["url"]).startswith("https://")


def _grafana(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    running = context.clusters_running(GRAFANA)
    ui = context.component(GRAFANA).ui
    if not running or ui is None:
        return {"enabled": False}
    external = f"https://{public_host(context, ui.host)}"
    internal = external
    if cluster.has(GRAFANA):
        namespace = context.component(GRAFANA).namespace
        internal = f"http://{ui.service}.{namespace}.svc:{ui.port}"
    return {"enabled": True, "internal_url": internal, "external_url": external}


def _tracing(context: RenderContext, cluster: ClusterPlan, grafana: Manifest) -> Manifest:
    url = endpoint_url(context, cluster, "tempo", "query")
    if url is None:
        return {"enabled": False}
    tracing: Manifest = {
        "enabled": True,
        "provider": "tempo",
        "internal_url": url,
        "use_grpc": False,
    }
    if grafana["enabled"]:
        tracing["external_url"] = grafana["external_url"]
        tracing["tempo_config"] = {
            "datasource_uid": TEMPO_DATASOURCE,
            "org_id": "1",
            "url_format": "grafana",
        }
    return tracing


def _auth(context: RenderContext) -> Manifest:
    oidc = context.component(OPERATOR).oidc
    if oidc is None or not context.clusters_running("keycloak"):
        return {"strategy": "token"}
    return {
        "strategy": "openid",
        "openid": {
            "client_id": oidc.clientId,
            "issuer_uri": oidc_issuer(context),
            "scopes": ["openid", "profile", "email"],
            "username_claim": "preferred_username",
            "disable_rbac": True,
        },
    }


def kiali(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The Kiali resource for ``cluster``."""
    component = context.component(OPERATOR)
    external: Manifest = {}
    prometheus = _prometheus(context, cluster)
    if prometheus is not None:
        external["prometheus"] = prometheus
    grafana = _grafana(context, cluster)
    external["grafana"] = grafana
    external["tracing"] = _tracing(context, cluster, grafana)
    spec: Manifest = {
        "istio_namespace": context.component(CONTROL_PLANE).namespace,
        "auth": _auth(context),
        "external_services": external,
    }
    if component.ui is not None:
        spec["server"] = {
            # The name the cluster's Gateway serves Kiali at (routes).
            "web_fqdn": f"{component.ui.host}.{gateway_domain(context, cluster)}",
            "web_schema": "https",
            "web_port": "443",
            "web_root": "/",
        }
    return {
        "apiVersion": "kiali.io/v1alpha1",
        "kind": "Kiali",
        "metadata": {
            "name": "kiali",
            "namespace": component.namespace,
            "labels": {f"{LABEL_PREFIX}/platform": context.platform.name},
        },
        "spec": spec,
    }


def kiali_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The Kiali resource where the mesh is on and the operator runs."""
    if mesh_scope(context, cluster) is None or not cluster.has(OPERATOR):
        return
    yield Placed(OPERATOR, "kiali.yaml", [in_wave(kiali(context, cluster), AFTER_CHART)])
