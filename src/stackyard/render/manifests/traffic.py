"""The traffic a plan implies: default deny per managed namespace plus the allows it needs.

The maturity scorecard lists "default-deny network policy missing"; this closes it without breaking
what the plan runs. Every platform namespace (those of ``namespaces``; kube-system and
the other cluster-owned namespaces are never touched) gets:

- ``default-deny`` for ingress and egress;
- ``allow-dns`` to the cluster DNS in kube-system, ``allow-kube-apiserver`` to the API
  server, and ingress from the API server and nodes (admission webhooks);
- ``allow-same-namespace`` both ways;
- ``allow-from-monitoring`` where a metrics scraper runs on the cluster;
- ``allow-from-gateway`` for components people or other clusters reach through the
  gateway: user interfaces (a catalog ``ui``, or they need SSO or provide it, a registry,
  dashboards, GitOps, a portal or secrets) and providers of a cross-cluster dependency;
- ``allow-load-balancer`` for what a LoadBalancer Service exposes (ingress controllers,
  gateways, Teleport): ingress from the world and the cluster; and ``allow-cluster-egress``
  for what must reach every pod and node (scrapers, ingress controllers);
- ``allow-dependencies`` / ``allow-dependents``: from ``plan.edges`` at run time (not the
  install-only ones, and not storage, certificates or load balancing, which are no pod
  traffic), egress to the provider's namespace on the same cluster, or to the world (and,
  with Cluster Mesh, the remote namespace) across clusters; the matching ingress on the
  provider side. Components that talk to outside services by nature (their catalog
  ``egress``: Git, registries, ACME, DNS and cloud APIs, notification targets), SSO
  clients (the OIDC issuer is a public URL) and optional platform needs with no provider
  in the plan (S3 on AWS) get egress to the world.

The restore check's canary namespace holds data (a ConfigMap, and a volume with the idle
pod that wrote it) and talks to nothing; it gets the baseline: default deny, DNS and the
API server.

Tenant namespaces (Enterprise) get default deny, DNS, traffic within the tenant's own
namespaces, ingress from monitoring and the gateway, and egress to the telemetry
pipeline; anything else is the tenant's to allow. The mesh's extra namespaces
(``mesh.namespaces`` that are neither a platform nor a tenant namespace) hold workloads
the same way and get the same policies, with traffic within the namespace in place of the
tenant's: every namespace the render writes denies by default.

Rules name their peers abstractly (a namespace, a tenant, the DNS service, the API server,
the world, the whole cluster, the nodes, the gateway proxy); ``ciliumpolicy`` and
``networkpolicy`` turn them into the two policy APIs and ``network`` picks one per cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackyard.plan import ClusterPlan, PlannedComponent
from stackyard.plan.model import Edge
from stackyard.render.context import RenderContext
from stackyard.render.manifests.namespaces import mesh_only_namespaces, platform_namespaces
from stackyard.render.manifests.restorecheck import canary_namespaces

PeerKind = Literal[
    "same",
    "namespace",
    "tenant",
    "remote",
    "dns",
    "apiserver",
    "world",
    "cluster",
    "nodes",
    "proxy",
]
Direction = Literal["ingress", "egress"]

# Capabilities whose edges carry no pod-to-pod traffic.
NOT_TRAFFIC = frozenset(
    {"certificates", "cloud-controller", "cni", "load-balancer", "policy", "policy-library"}
    | {"secrets-sync", "storage"}
)
# Optional platform needs that, with no provider in the plan, are met outside it (S3 on AWS).
OUTSIDE_SERVICES = frozenset({"object-storage"})
EXPOSED_CAPABILITIES = frozenset({"dashboards", "gitops", "portal", "registry", "secrets", "sso"})
SCRAPER_CAPABILITIES = frozenset({"metrics", "metrics-agent"})
EDGE_CAPABILITIES = frozenset({"gateway-api", "ingress"})


@dataclass(frozen=True, order=True)
class Peer:
    """The other end of a rule, independent of the policy API that expresses it."""

    kind: PeerKind
    name: str = ""
    cluster: str = ""


@dataclass(frozen=True)
class Rule:
    """Traffic allowed in one direction with some peers."""

    direction: Direction
    peers: tuple[Peer, ...]


@dataclass(frozen=True)
class Policy:
    """A named set of rules for every pod of one namespace."""

    name: str
    namespace: str
    rules: tuple[Rule, ...]


SAME = Peer("same")
DNS = Peer("dns")
APISERVER = Peer("apiserver")
WORLD = Peer("world")
CLUSTER = Peer("cluster")
NODES = Peer("nodes")
PROXY = Peer("proxy")


def _ingress(*peers: Peer) -> Rule:
    return Rule("ingress", tuple(sorted(set(peers))))


def _egress(*peers: Peer) -> Rule:
    return Rule("egress", tuple(sorted(set(peers))))


def traffic_edges(context: RenderContext) -> list[Edge]:
    """Edges that mean pod traffic at run time."""
    return [
        e
        for e in context.plan.edges
        if e.runtime != "install" and e.capability not in NOT_TRAFFIC and e.consumer != e.provider
    ]


@dataclass(frozen=True)
class TrafficIndex:
    """The traffic edges of the fleet, indexed by the questions the policies ask.

    Built once per render (:meth:`RenderContext.derived`): every component of every cluster
    asks about its own edges, and scanning the fleet's edges for each made render quadratic
    in the number of clusters.
    """

    by_consumer: dict[tuple[str, str], list[Edge]]
    """(cluster, consumer) → its traffic edges, in the plan's order."""
    reached_from_elsewhere: frozenset[tuple[str, str]]
    """(provider cluster, provider) pairs that a consumer on another cluster reaches."""
    local_consumers: dict[tuple[str, str], set[str]]
    """(cluster, provider namespace) → namespaces of consumers on the same cluster."""


def traffic_index(context: RenderContext) -> TrafficIndex:
    """Index :func:`traffic_edges`; call it through ``context.derived(traffic_index)``."""
    by_consumer: dict[tuple[str, str], list[Edge]] = {}
    remote: set[tuple[str, str]] = set()
    local: dict[tuple[str, str], set[str]] = {}
    for edge in traffic_edges(context):
        by_consumer.setdefault((edge.cluster, edge.consumer), []).append(edge)
        if edge.cluster != edge.provider_cluster:
            remote.add((edge.provider_cluster, edge.provider))
        else:
            namespace = _namespace(context, edge.provider)
            local.setdefault((edge.cluster, namespace), set()).add(
                _namespace(context, edge.consumer)
            )
    return TrafficIndex(by_consumer, frozenset(remote), local)


def _namespace(context: RenderContext, component: str) -> str:
    return context.component(component).namespace


def gateway_peers(context: RenderContext, cluster: ClusterPlan) -> list[Peer]:
    """Where traffic from the cluster's gateways and ingress controllers comes from."""
    peers = []
    for planned in cluster.components:
        if EDGE_CAPABILITIES & set(planned.component.provides):
            install = planned.component.install
            if install.method == "feature" and install.parent == "cilium":
                peers.append(PROXY)
            else:
                peers.append(Peer("namespace", planned.component.namespace))
    return sorted(set(peers))


def is_exposed(context: RenderContext, cluster: ClusterPlan, planned: PlannedComponent) -> bool:
    """Whether people or other clusters reach ``planned`` through the gateway."""
    component = planned.component
    if component.ui is not None or EXPOSED_CAPABILITIES & set(component.provides):
        return True
    if any(n.capability == "sso" for n in component.needs):
        return True
    return (cluster.name, planned.name) in context.derived(traffic_index).reached_from_elsewhere


def dependency_peers(
    context: RenderContext, cluster: ClusterPlan, planned: PlannedComponent
) -> list[Peer]:
    """Egress peers of one component: its providers, the world where it needs it."""
    peers: list[Peer] = []
    mesh = cluster.has("cilium-clustermesh")
    edges = context.derived(traffic_index).by_consumer.get((cluster.name, planned.name), [])
    for edge in edges:
        namespace = _namespace(context, edge.provider)
        if edge.provider_cluster == cluster.name:
            peers.append(Peer("namespace", namespace))
        else:
            peers.append(WORLD)
            if mesh:
                peers.append(Peer("remote", namespace, edge.provider_cluster))
    served = {e.capability for e in edges}
    for need in planned.component.needs:
        if need.capability in OUTSIDE_SERVICES and need.optional and need.capability not in served:
            peers.append(WORLD)
        if need.capability == "sso" and "sso" in served:
            peers.append(WORLD)  # OIDC discovery and tokens at the issuer's public URL
    if planned.component.egress:  # it talks to services outside the platform by nature
        peers.append(WORLD)
    own = planned.component.namespace
    return sorted({p for p in peers if not (p.kind == "namespace" and p.name == own)})


def dependent_peers(context: RenderContext, cluster: ClusterPlan, namespace: str) -> list[Peer]:
    """Ingress peers of a namespace: consumers on this cluster of what runs in it."""
    consumers = context.derived(traffic_index).local_consumers.get((cluster.name, namespace), ())
    return sorted({Peer("namespace", n) for n in consumers if n != namespace})


def scraper_namespaces(cluster: ClusterPlan) -> list[str]:
    """Namespaces of the metrics scrapers running on ``cluster``."""
    return sorted(
        {
            p.component.namespace
            for p in cluster.components
            if SCRAPER_CAPABILITIES & set(p.component.provides)
        }
    )


def _baseline(namespace: str) -> list[Policy]:
    return [
        Policy("default-deny", namespace, ()),
        Policy("allow-dns", namespace, (_egress(DNS),)),
        Policy("allow-kube-apiserver", namespace, (_egress(APISERVER), _ingress(APISERVER, NODES))),
    ]


def platform_policies(
    context: RenderContext, cluster: ClusterPlan, namespace: str, components: list[PlannedComponent]
) -> list[Policy]:
    """The policies of one platform namespace."""
    policies = [*_baseline(namespace)]
    policies.append(Policy("allow-same-namespace", namespace, (_ingress(SAME), _egress(SAME))))
    scrapers = [Peer("namespace", n) for n in scraper_namespaces(cluster) if n != namespace]
    if scrapers:
        policies.append(Policy("allow-from-monitoring", namespace, (_ingress(*scrapers),)))
    gateways = [
        p
        for p in gateway_peers(context, cluster)
        if not (p.kind == "namespace" and p.name == namespace)
    ]
    if gateways and any(is_exposed(context, cluster, p) for p in components):
        policies.append(Policy("allow-from-gateway", namespace, (_ingress(*gateways),)))
    provided = {c for p in components for c in p.component.provides}
    needs = {n.capability for p in components for n in p.component.needs}
    if EDGE_CAPABILITIES & provided or "load-balancer" in needs:
        policies.append(Policy("allow-load-balancer", namespace, (_ingress(WORLD, CLUSTER),)))
    if "telemetry-pipeline" in provided:
        policies.append(Policy("allow-telemetry-senders", namespace, (_ingress(CLUSTER),)))
    if (SCRAPER_CAPABILITIES | EDGE_CAPABILITIES) & provided:
        policies.append(Policy("allow-cluster-egress", namespace, (_egress(CLUSTER, NODES),)))
    dependencies = sorted({p for c in components for p in dependency_peers(context, cluster, c)})
    if dependencies:
        policies.append(Policy("allow-dependencies", namespace, (_egress(*dependencies),)))
    dependents = dependent_peers(context, cluster, namespace)
    if dependents:
        policies.append(Policy("allow-dependents", namespace, (_ingress(*dependents),)))
    return policies


@dataclass(frozen=True)
class _WorkloadPeers:
    """Who may reach, and be reached from, a namespace of workloads the platform does not run."""

    scrapers: tuple[Peer, ...]
    gateways: tuple[Peer, ...]
    pipelines: tuple[Peer, ...]

    @classmethod
    def of(cls, context: RenderContext, cluster: ClusterPlan) -> _WorkloadPeers:
        pipelines = {
            Peer("namespace", p.component.namespace)
            for p in cluster.components
            if "telemetry-pipeline" in p.component.provides
        }
        return cls(
            tuple(Peer("namespace", n) for n in scraper_namespaces(cluster)),
            tuple(gateway_peers(context, cluster)),
            tuple(sorted(pipelines)),
        )

    def policies(self, namespace: str, own: Policy) -> list[Policy]:
        """Default deny, DNS, ``own`` traffic, then monitoring, the gateway and telemetry."""
        policies = [
            Policy("default-deny", namespace, ()),
            Policy("allow-dns", namespace, (_egress(DNS),)),
            own,
        ]
        if self.scrapers:
            policies.append(Policy("allow-from-monitoring", namespace, (_ingress(*self.scrapers),)))
        if self.gateways:
            policies.append(Policy("allow-from-gateway", namespace, (_ingress(*self.gateways),)))
        if self.pipelines:
            policies.append(Policy("allow-telemetry", namespace, (_egress(*self.pipelines),)))
        return policies


def tenant_policies(context: RenderContext, cluster: ClusterPlan) -> list[Policy]:
    """Default deny and intra-tenant traffic for every tenant namespace on ``cluster``."""
    peers = _WorkloadPeers.of(context, cluster)
    policies: list[Policy] = []
    for tenant in context.platform.tenants:
        if cluster.name not in tenant.clusters:
            continue
        own = Peer("tenant", tenant.name)
        for namespace in tenant.namespaces or [tenant.name]:
            same = Policy("allow-same-tenant", namespace, (_ingress(own), _egress(own)))
            policies += peers.policies(namespace, same)
    return policies


def mesh_only_policies(context: RenderContext, cluster: ClusterPlan) -> list[Policy]:
    """A tenant's policies, within the namespace, for each mesh-only namespace on ``cluster``."""
    peers = _WorkloadPeers.of(context, cluster)
    policies: list[Policy] = []
    for namespace in mesh_only_namespaces(context, cluster):
        same = Policy("allow-same-namespace", namespace, (_ingress(SAME), _egress(SAME)))
        policies += peers.policies(namespace, same)
    return policies


def cluster_policies(context: RenderContext, cluster: ClusterPlan) -> list[Policy]:
    """Every policy of ``cluster``, platform namespaces first, each sorted by namespace."""
    policies: list[Policy] = []
    for namespace, components in platform_namespaces(cluster).items():
        policies += platform_policies(context, cluster, namespace, components)
    for namespace in canary_namespaces(cluster):
        policies += _baseline(namespace)
    return policies + tenant_policies(context, cluster) + mesh_only_policies(context, cluster)
