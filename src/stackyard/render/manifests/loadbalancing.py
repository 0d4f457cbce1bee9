"""How traffic and volumes reach a cluster: MetalLB pools, the Gateway, retained storage.

- MetalLB (where it runs and the cluster has ``network.loadBalancerPool``): one
  IPAddressPool ``default`` with exactly the spec's pool, announced over L2 (the reference
  local multi-cluster architecture: MetalLB L2 on the hosts' subnet).
- Gateway API: where Cilium's Gateway API feature or the Istio gateway runs, one Gateway
  ``platform`` (class ``cilium`` or ``istio``) with HTTP and HTTPS listeners, accepting
  routes from every namespace. On the cluster Argo CD runs on (mgmt or standalone) it
  answers ``*.<domain>``, where the platform's services live (``vault.<domain>``,
  ``grafana.<domain>``...); on the other clusters ``*.<cluster>.<domain>``, so one name
  never points at two clusters. cert-manager's gateway-shim issues the wildcard
  certificate named by the ``cert-manager.io/cluster-issuer`` annotation (the platform
  issuer of ``pki``) into the Secret ``platform-gateway-tls``. The implementation makes a
  ``LoadBalancer`` Service per Gateway and copies ``spec.infrastructure.annotations`` onto
  it: the load-balancer provider's annotations (:mod:`stackyard.render.loadbalancers`; an
  NLB targets the nodes of Cilium's Gateways, which have no pods) and,
  where Vault runs, external-dns's hostname annotation for ``vault.<domain>`` (external-dns
  reads TLSRoutes only at ``v1alpha2``, which the standard channel no longer serves, so the
  Service names the host for its ``service`` source).
- Dual entry where the load balancers can be internal (AWS: the Load Balancer Controller or
  the cloud controller manager's NLBs), as the ingress-nginx path's internal and public
  controllers: ``platform`` gets an internal load balancer and carries every platform route
  (endpoints are for operators and other clusters, not the internet), and a second Gateway
  ``public``, same listeners without Vault's, certificate in ``public-gateway-tls``, gets an
  internet-facing one for the routes of what is published to the internet (tenants'
  applications).
- local-path-provisioner: the StorageClass ``local-path-retain`` (reclaim policy Retain)
  beside the chart's ``local-path`` (Delete, the default); the reference local
  multi-cluster architecture puts Vault and MinIO on it, so deleting a claim never
  deletes their data.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.catalog import Component
from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.loadbalancers import has_internal_load_balancers, load_balancer_annotations
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.pki import platform_issuer
from stackyard.render.tree import Manifest
from stackyard.spec.units import AddressRange

POOL = "default"
GATEWAY = "platform"
PUBLIC_GATEWAY = "public"
VAULT_LISTENER = "vault-passthrough"
GATEWAY_TLS_SECRET = "platform-gateway-tls"
PUBLIC_GATEWAY_TLS_SECRET = "public-gateway-tls"
EXTERNAL_DNS_HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
RETAIN_CLASS = "local-path-retain"
LOCAL_PATH_PROVISIONER = "rancher.io/local-path"


def gateway_components(context: RenderContext, cluster: ClusterPlan) -> list[Component]:
    """The Gateway API implementations running on ``cluster``, by name.

    They are the catalog entries with a ``gatewayClass``; the Gateway lives in the
    component's namespace (Cilium: its own, kube-system; Istio: the gateway's).
    """
    return [c for c in context.catalog if c.gatewayClass is not None and cluster.has(c.name)]


def pool_addresses(pool: AddressRange) -> list[str]:
    """MetalLB's spelling of a spec range: the CIDR as written, or ``first-last`` in full."""
    if "/" in pool.text:
        return [pool.text]
    return [f"{pool.first}-{pool.last}"]


def metallb_objects(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """An IPAddressPool with the cluster's pool and its L2 announcement."""
    pool = cluster.cluster.network.loadBalancerPool
    if pool is None:
        return []
    namespace = context.component("metallb").namespace
    return [
        {
            "apiVersion": "metallb.io/v1beta1",
            "kind": "IPAddressPool",
            "metadata": {"name": POOL, "namespace": namespace},
            "spec": {"addresses": pool_addresses(pool), "autoAssign": True},
        },
        {
            "apiVersion": "metallb.io/v1beta1",
            "kind": "L2Advertisement",
            "metadata": {"name": POOL, "namespace": namespace},
            "spec": {"ipAddressPools": [POOL]},
        },
    ]


def gateway_domain(context: RenderContext, cluster: ClusterPlan) -> str:
    """The domain the cluster's Gateway answers for (see the module docs)."""
    domain = context.platform.domain
    if cluster.name == context.argocd_cluster.name:
        return domain
    return f"{cluster.name}.{domain}"


def gateway(context: RenderContext, cluster: ClusterPlan, component: Component) -> Manifest:
    """The platform Gateway of ``cluster`` for the implementation ``component``.

    Its load balancer is internal where the provider makes internal ones (module docs).
    """
    listeners = _listeners(context, cluster, GATEWAY_TLS_SECRET)
    pods = component.workload != "none"
    annotations = load_balancer_annotations(context, cluster, internal=True, pods=pods)
    if cluster.has("vault"):
        listeners.append(vault_listener(context, cluster))
        annotations[EXTERNAL_DNS_HOSTNAME] = f"vault.{gateway_domain(context, cluster)}"
    return _gateway(context, cluster, component, GATEWAY, listeners, annotations)


def public_gateway(context: RenderContext, cluster: ClusterPlan, component: Component) -> Manifest:
    """The internet-facing Gateway beside the internal platform one (module docs)."""
    listeners = _listeners(context, cluster, PUBLIC_GATEWAY_TLS_SECRET)
    pods = component.workload != "none"
    annotations = load_balancer_annotations(context, cluster, internal=False, pods=pods)
    return _gateway(context, cluster, component, PUBLIC_GATEWAY, listeners, annotations)


def _gateway(
    context: RenderContext,
    cluster: ClusterPlan,
    component: Component,
    name: str,
    listeners: list[Manifest],
    annotations: dict[str, str],
) -> Manifest:
    spec: Manifest = {"gatewayClassName": component.gatewayClass, "listeners": listeners}
    if annotations:
        spec["infrastructure"] = {"annotations": annotations}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": name,
            "namespace": component.namespace,
            "annotations": {"cert-manager.io/cluster-issuer": platform_issuer(context, cluster)},
        },
        "spec": spec,
    }


def _listeners(context: RenderContext, cluster: ClusterPlan, secret: str) -> list[Manifest]:
    """HTTP and HTTPS on ``*.<domain>``, TLS terminated with ``secret``, any namespace's routes."""
    hostname = f"*.{gateway_domain(context, cluster)}"
    every_namespace = {"namespaces": {"from": "All"}}
    return [
        {
            "name": "http",
            "hostname": hostname,
            "port": 80,
            "protocol": "HTTP",
            "allowedRoutes": every_namespace,
        },
        {
            "name": "https",
            "hostname": hostname,
            "port": 443,
            "protocol": "HTTPS",
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"group": "", "kind": "Secret", "name": secret}],
            },
            "allowedRoutes": every_namespace,
        },
    ]


def vault_listener(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The Gateway listener that passes Vault's TLS through (added where Vault runs)."""
    return {
        "name": VAULT_LISTENER,
        "hostname": f"vault.{gateway_domain(context, cluster)}",
        "port": 443,
        "protocol": "TLS",
        "tls": {"mode": "Passthrough"},
        "allowedRoutes": {"namespaces": {"from": "All"}, "kinds": [{"kind": "TLSRoute"}]},
    }


def retain_storage_class() -> Manifest:
    """local-path with reclaim policy Retain, for data that must survive its claim."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": RETAIN_CLASS},
        "provisioner": LOCAL_PATH_PROVISIONER,
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def loadbalancing_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """MetalLB pool, Gateway and retained StorageClass where their components run."""
    if cluster.has("metallb"):
        objects = [in_wave(o, AFTER_CHART) for o in metallb_objects(context, cluster)]
        yield Placed("metallb", "address-pool.yaml", objects)
    for component in gateway_components(context, cluster):
        # A feature syncs with its parent's Application (cilium for Cilium's Gateway).
        install = component.install
        group = install.parent if install.method == "feature" else component.name
        gateways = [gateway(context, cluster, component)]
        if has_internal_load_balancers(context, cluster):
            gateways.append(public_gateway(context, cluster, component))
        yield Placed(group, "gateway.yaml", [in_wave(g, AFTER_CHART) for g in gateways])
    if cluster.has("local-path-provisioner"):
        yield Placed("local-path-provisioner", "storage-class.yaml", [retain_storage_class()])
