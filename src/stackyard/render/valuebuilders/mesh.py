"""Values for the service mesh: istiod, the Istio CNI agent, and what the mesh asks of others.

Where the mesh is off for a cluster (:func:`stackyard.render.meshmodel.mesh_scope`), every
builder here returns nothing, so such platforms render as before.

- istiod: ambient mode installs with ``profile: ambient``, and istio-cni with the ambient
  redirection that profile switches on (https://istio.io/latest/docs/ambient/install/helm/;
  ztunnel needs no values); the mesh config states the trust
  domain the authorization policies' principals use, and sends traces to the platform's
  OpenTelemetry Collector (OTLP gRPC) where it runs on the cluster, else to Tempo's OTLP
  HTTP receiver there, as the default tracing provider
  (https://istio.io/latest/docs/tasks/observability/distributed-tracing/opentelemetry/).
  Waypoints get the RuntimeDefault seccomp profile Pod Security ``restricted`` demands in
  tenant namespaces (istiod's waypoint template sets one only from
  ``gateways.seccompProfile``), and the requests and limits of the catalog's
  ``namespaceProxy`` (``global.waypoint.resources``; the chart's default limits, 2 CPU
  and 1Gi, would take a small tenant quota whole). Sidecar mode with istio-cni tells
  istiod's injector that the CNI agent, not a privileged init container, sets up the
  redirection (required in namespaces that enforce Pod Security ``restricted``).
- istio-cni on RKE2: the CNI binary and configuration directories RKE2 uses, written
  out (https://ranchermanager.docs.rancher.com/integrations-in-rancher/istio/configuration-options/install-istio-on-rke2-cluster).
- Cilium beside Istio's CNI agent: ``cni.exclusive: false`` so Cilium does not remove
  Istio's CNI configuration, and ``socketLB.hostNamespaceOnly: true`` so Cilium's socket
  load balancing does not bypass the mesh's redirection
  (https://docs.cilium.io/en/stable/network/servicemesh/istio/).
- Argo Rollouts: the Gateway API traffic-router plugin (copied from its multi-arch image
  by an init container, so no binary URL per architecture), with the chart's RBAC for
  Gateway API routes, where a declared service uses ``rollout: true``
  (https://rollouts-plugin-trafficrouter-gatewayapi.readthedocs.io/en/latest/installation/).
- Argo CD: ignores a route's rules while the plugin marks a canary in progress, so
  self-heal does not undo the weights Argo Rollouts set.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.meshmodel import (
    ROLLOUT_LABEL,
    TRUST_DOMAIN,
    MeshScope,
    declared_services,
    mesh_scope,
)
from stackyard.render.values import ValueBuilder, Values

TRACING_PROVIDER = "otel-tracing"
COLLECTOR = "opentelemetry-collector"
ZTUNNEL = "ztunnel"
OTLP_GRPC_PORT = 4317
RKE2_CNI = {"cniConfDir": "/etc/cni/net.d", "cniBinDir": "/opt/cni/bin"}

ROLLOUTS_PLUGIN = "argoproj-labs/gatewayAPI"
ROLLOUTS_PLUGIN_IMAGE = "ghcr.io/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi"
ROLLOUTS_PLUGIN_VERSION = "v0.15.0"
ROLLOUTS_PLUGIN_DIR = "/plugins"
ROLLOUTS_PLUGIN_BINARY = "rollouts-plugin-trafficrouter-gatewayapi"


def tracing_provider(context: RenderContext, cluster: ClusterPlan) -> Values | None:
    """Istio's OpenTelemetry tracing provider on ``cluster``, or None without a receiver."""
    if cluster.has(COLLECTOR):
        namespace = context.component(COLLECTOR).namespace
        return {
            "name": TRACING_PROVIDER,
            "opentelemetry": {
                # The chart names the Service after the release, which is the component.
                "service": f"{COLLECTOR}.{namespace}.svc.cluster.local",
                "port": OTLP_GRPC_PORT,
            },
        }
    endpoint = context.catalog.endpoint("tempo", "push")
    if cluster.has("tempo") and endpoint is not None:
        namespace = context.component("tempo").namespace
        return {
            "name": TRACING_PROVIDER,
            "opentelemetry": {
                "service": f"{endpoint.service}.{namespace}.svc.cluster.local",
                "port": endpoint.port,
                "http": {"path": "/v1/traces"},
            },
        }
    return None


def _istiod(context: RenderContext, cluster: ClusterPlan) -> Values:
    scope = mesh_scope(context, cluster)
    if scope is None:
        return {}
    mesh: Values = {"trustDomain": TRUST_DOMAIN}
    provider = tracing_provider(context, cluster)
    if provider is not None:
        mesh["enableTracing"] = True
        mesh["extensionProviders"] = [provider]
        mesh["defaultProviders"] = {"tracing": [TRACING_PROVIDER]}
    values: Values = {"meshConfig": mesh}
    if scope.mode == "ambient":
        values["profile"] = "ambient"
        # Waypoints run in the tenants' namespaces, which enforce Pod Security restricted;
        # istiod's waypoint template sets a seccomp profile only when asked to.
        values["gateways"] = {"seccompProfile": {"type": "RuntimeDefault"}}
        proxy = context.component("istiod").namespaceProxy
        if proxy is not None:
            # Each waypoint counts against its tenant namespace's quota (plan check SY810).
            values["global"] = {
                "waypoint": {
                    "resources": {
                        "requests": proxy.requests.model_dump(),
                        "limits": proxy.limits.model_dump(),
                    }
                }
            }
        ztunnel = cluster.get(ZTUNNEL)
        if (
            ztunnel is not None
            and ztunnel.component.namespace != context.component("istiod").namespace
        ):
            # istiod signs certificates only for a ztunnel in the namespace it trusts.
            values["trustedZtunnelNamespace"] = ztunnel.component.namespace
    elif cluster.has("istio-cni"):
        values["pilot"] = {"cni": {"enabled": True}}
    return values


def _istio_cni(context: RenderContext, cluster: ClusterPlan) -> Values:
    scope = mesh_scope(context, cluster)
    if scope is None:
        return {}
    values: Values = {}
    if scope.mode == "ambient":
        # What ``profile: ambient`` sets in this chart; the 1.30 chart's values.yaml has no
        # ``profile`` key, so the setting itself is written and checked against the chart.
        values["ambient"] = {"enabled": True}
    if context.platform.kubernetes.distribution == "rke2":
        values.update(RKE2_CNI)
    return values


def cilium_beside_istio(scope: MeshScope | None, cluster: ClusterPlan) -> Values:
    """Cilium's settings for coexisting with Istio's CNI agent (module docs)."""
    if scope is None or not cluster.has("istio-cni"):
        return {}
    return {"cni": {"exclusive": False}, "socketLB": {"hostNamespaceOnly": True}}


def rollout_services(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether a declared service on ``cluster`` has Argo Rollouts drive its weights."""
    scope = mesh_scope(context, cluster)
    return scope is not None and any(s.rollout for s in scope.services)


def _argo_rollouts(context: RenderContext, cluster: ClusterPlan) -> Values:
    if not rollout_services(context, cluster):
        return {}
    volume = "gatewayapi-plugin"
    mount = {"name": volume, "mountPath": ROLLOUTS_PLUGIN_DIR}
    return {
        "providerRBAC": {"providers": {"gatewayAPI": True}},
        "controller": {
            "trafficRouterPlugins": [
                {
                    "name": ROLLOUTS_PLUGIN,
                    "location": f"file://{ROLLOUTS_PLUGIN_DIR}/{ROLLOUTS_PLUGIN_BINARY}",
                }
            ],
            "initContainers": [
                {
                    "name": "copy-gatewayapi-plugin",
                    "image": f"{ROLLOUTS_PLUGIN_IMAGE}:{ROLLOUTS_PLUGIN_VERSION}",
                    "command": ["/bin/sh", "-c"],
                    "args": [f"cp /bin/{ROLLOUTS_PLUGIN_BINARY} {ROLLOUTS_PLUGIN_DIR}"],
                    "volumeMounts": [mount],
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "runAsNonRoot": True,
                    },
                }
            ],
            "volumes": [{"name": volume, "emptyDir": {}}],
            "volumeMounts": [mount],
        },
    }


def argocd_rollout_customizations(context: RenderContext) -> Values:
    """Argo CD ``configs.cm`` entries that leave canary weights to Argo Rollouts."""
    if not any(
        rollout_services(context, cluster)
        for cluster in context.clusters_running("argo-rollouts")
        if declared_services(context, cluster)
    ):
        return {}
    expression = f'select(.metadata.labels["{ROLLOUT_LABEL}"] == "in-progress") | .spec.rules'
    key = "resource.customizations.ignoreDifferences.gateway.networking.k8s.io_HTTPRoute"
    return {key: f"jqPathExpressions:\n  - {expression}\n"}


BUILDERS: dict[str, ValueBuilder] = {
    "argo-rollouts": _argo_rollouts,
    "istio-cni": _istio_cni,
    "istiod": _istiod,
}
