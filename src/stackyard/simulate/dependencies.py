"""plan + rendered tree → runtime dependency model.

Functions come from three places, all listed in ``data/functions.yaml``:

- the plan's run-time edges (a component's soft or buffered need of a capability,
  resolved to the provider on its own cluster or on mgmt); Velero's backups need the store
  the render points its location at, and Loki's, Thanos', Tempo's and Mimir's uploads the
  store their rendered values name (an external store when the spec declares one, even
  with MinIO running; none when the values keep the data on the store's own volume);
- the components that serve people directly (queries, dashboards, alerting), or their own
  cluster (the cloud controller initialising nodes, ExternalDNS publishing records, scans);
- what every cluster relies on whatever the catalog says: its workloads need the
  cluster's nodes and CNI; deploys need Argo CD and the Git remote; image pulls need the
  registry (Harbor in the platform, or outside it when the plan does not run it); and
  scheduling needs the control plane;
- the data path: application ingress needs the cluster's gateway or ingress controller and
  its in-cluster load balancer (catalog ``dataPath``); name resolution needs CoreDNS, which
  every distribution runs; a client on another cluster reaches a platform service through
  the serving cluster's gateway (see ``render.manifests.endpoints``), so that gateway is a
  provider of every cross-cluster need (but Teleport's, whose proxy has its own load
  balancer: ``ownLoadBalancer``), and people reach UIs through it too;
- admission: every webhook or policy the render recorded with ``failurePolicy: Fail``
  makes the API server reject what it admits while its backend is down (running pods
  carry on); ``Ignore`` blocks nothing and is not a function;
- sign-in: where Keycloak runs, every API server trusts its realm (kubectl's ID tokens
  come from it, ``kube-api-login``), and each declared company directory
  (``identity.directories``) is a service outside the platform, ``directory:<name>``,
  whose outage stops its people's sign-in through Keycloak's federation
  (``directory-login``).

Edges with runtime ``install`` matter only while installing, and ``hard`` edges make the
consumer fail with its provider; neither is a function of its own.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan, Plan
from stackyard.plan.settings import cluster_facts
from stackyard.render import RenderedTree
from stackyard.render.settings import AdmissionRule, BackupStore, StoreTarget
from stackyard.simulate.functions import FunctionText, PlatformFunction, load_functions
from stackyard.simulate.model import (
    CLUSTER_BASE,
    CLUSTER_DNS,
    CONTROL_PLANE,
    NODES,
    OUTSIDE,
    FunctionInstance,
    RuntimeModel,
    Service,
)
from stackyard.simulate.settings import Buffer, RenderedSettings

GIT = "git"
CLUSTER_API_OPERATOR = "cluster-api-operator"
# The provider controllers the operator installs: they run on while the operator is down.
CLUSTER_API_CONTROLLERS = "cluster-api-controllers"
STORE = "object-storage"
REGISTRY = "harbor"
APP_ROLES = ("app", "standalone")
KEYCLOAK = "keycloak"
DIRECTORY = "directory"
"""The component name of every company directory (``--fail directory`` takes them all)."""
BACKUPS = "backups"
"""The function of Velero's need of an object store: its backups land where it writes."""
UPLOADS = "object-uploads"
"""The function of the other stores' need of an object store: uploads go where their values say."""


def build_runtime_model(plan: Plan, tree: RenderedTree) -> RuntimeModel:
    """The services and functions of ``plan``, with buffers read from ``tree``."""
    settings = RenderedSettings(tree)
    services = _services(plan)
    functions = [
        *_platform_functions(plan, services, settings),
        *_data_path_functions(plan, settings),
        *_sidecar_functions(plan, settings),
        *_admission_functions(plan, settings),
        *_need_functions(plan, settings),
        *_outside_store_functions(plan, settings),
        *_served_functions(plan),
        *_sign_in_functions(plan, settings),
    ]
    return RuntimeModel(plan, services, tuple(functions), settings, _hard_needs(plan))


def _hard_needs(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Pods stop with their nodes and lose their network with the CNI.

    A feature stops with the component whose pods run it (the CCM's service load balancers
    with the CCM).
    """
    needs: dict[str, list[str]] = {}
    for cluster in plan.clusters:
        nodes = service_id(NODES, cluster.name)
        cni = next((p.name for p in cluster.components if "cni" in p.component.provides), None)
        needs[service_id(CONTROL_PLANE, cluster.name)] = [nodes]
        needs[service_id(CLUSTER_DNS, cluster.name)] = [nodes]
        if cni is not None:
            needs[service_id(CLUSTER_DNS, cluster.name)].append(service_id(cni, cluster.name))
        for planned in cluster.components:
            own = [nodes]
            if cni is not None and planned.name != cni:
                own.append(service_id(cni, cluster.name))
            install = planned.component.install
            if install.method == "feature" and cluster.has(install.parent):
                own.append(service_id(install.parent, cluster.name))  # runs in its parent's pods
            needs[service_id(planned.name, cluster.name)] = own
            for pods in planned.component.runs:  # they run on without their controller
                network = [service_id(cni, cluster.name)] if cni is not None else []
                needs[service_id(pods.name, cluster.name)] = [nodes, *network]
    for edge in plan.edges:
        if edge.runtime == "hard":
            consumer = service_id(edge.consumer, edge.cluster)
            needs.setdefault(consumer, []).append(service_id(edge.provider, edge.provider_cluster))
    return {service: tuple(sorted(set(n))) for service, n in needs.items()}


def directory_id(name: str) -> str:
    """``directory:corp``: a company directory the platform's Keycloak federates."""
    return f"{DIRECTORY}:{name}"


def _keycloak(plan: Plan) -> ClusterPlan | None:
    """The cluster whose Keycloak serves the platform realm (a mgmt cluster first)."""
    running = [c for c in plan.clusters if c.has(KEYCLOAK)]
    return next((c for c in running if c.cluster.role == "mgmt"), running[0] if running else None)


def _sign_in_functions(plan: Plan, settings: RenderedSettings) -> list[FunctionInstance]:
    """Sign-in: kubectl's on every cluster, and that of each directory's people.

    Render points every API server at Keycloak's platform realm when Keycloak runs
    (``render.bootstrap.apiserver.oidc_args``). People reach Keycloak through its
    cluster's gateway.
    """
    keycloak = _keycloak(plan)
    if keycloak is None:
        return []
    texts = load_functions().platform
    idp = service_id(KEYCLOAK, keycloak.name)
    reach = (idp, *ingress_path(keycloak))
    functions = [
        FunctionInstance(
            "kube-api-login",
            texts["kube-api-login"],
            cluster.name,
            service_id(CONTROL_PLANE, cluster.name),
            reach,
            settings.buffer("keycloak-access-token", cluster.name, keycloak.name),
            f"the API server of {cluster.name} accepts ID tokens that kubectl gets from {idp}",
            None,
            idp,
        )
        for cluster in plan.clusters
    ]
    for directory in plan.spec.platform.identity.directories:
        did = directory_id(directory.name)
        functions.append(
            FunctionInstance(
                "directory-login",
                texts["directory-login"],
                keycloak.name,
                idp,
                (did,),
                settings.buffer("keycloak-session", keycloak.name, keycloak.name),
                f"{idp} checks the passwords of {directory.name}'s people against {directory.url}",
                None,
                did,
            )
        )
    return functions


def service_id(component: str, cluster: str) -> str:
    """``vault@mgmt``."""
    return f"{component}@{cluster}"


def _services(plan: Plan) -> dict[str, Service]:
    services: dict[str, Service] = {}
    platform = plan.spec.platform
    git = Service(GIT, GIT, None, OUTSIDE, f"the Git remote {platform.gitops.repoURL}")
    services[GIT] = git
    if not any(c.has(REGISTRY) for c in plan.clusters):
        registry = f"harbor.{platform.domain}"
        services[REGISTRY] = Service(
            REGISTRY, REGISTRY, None, OUTSIDE, f"the registry {registry}, outside the clusters"
        )
    if _keycloak(plan) is not None:  # a directory matters only through Keycloak's federation
        for directory in platform.identity.directories:
            did = directory_id(directory.name)
            services[did] = Service(
                did, DIRECTORY, None, OUTSIDE, f"the company directory {directory.url}"
            )
    for cluster in plan.clusters:
        name = cluster.name
        builtin = (
            (NODES, "nodes"),
            (CONTROL_PLANE, "API server and etcd"),
            (CLUSTER_DNS, "cluster DNS (CoreDNS)"),
        )
        for component, what in builtin:
            services[service_id(component, name)] = Service(
                service_id(component, name), component, name, CLUSTER_BASE, f"{name} {what}"
            )
        for planned in cluster.components:
            sid = service_id(planned.name, name)
            services[sid] = Service(
                sid, planned.name, name, planned.wave, planned.component.description
            )
            for pods in planned.component.runs:
                pid = service_id(pods.name, name)
                services[pid] = Service(pid, pods.name, name, planned.wave, pods.description)
    return services


def _runner(plan: Plan, component: str, near: ClusterPlan) -> ClusterPlan | None:
    """The cluster whose ``component`` serves ``near``: itself, else a mgmt cluster."""
    if near.has(component):
        return near
    return next((c for c in plan.clusters if c.cluster.role == "mgmt" and c.has(component)), None)


def _platform_functions(
    plan: Plan, services: dict[str, Service], settings: RenderedSettings
) -> list[FunctionInstance]:
    catalog = load_functions()
    functions: list[FunctionInstance] = []
    for cluster in plan.clusters:
        name = cluster.name
        nodes = service_id(NODES, name)
        if cluster.cluster.role in APP_ROLES:
            cni = next((p.name for p in cluster.components if "cni" in p.component.provides), None)
            providers = (nodes,) if cni is None else (nodes, service_id(cni, name))
            functions.append(
                _instance(
                    "workloads",
                    catalog.platform["workloads"],
                    name,
                    None,
                    providers,
                    f"application pods on {name} need its nodes and its CNI",
                )
            )
        argo = _runner(plan, "argo-cd", cluster)
        if argo is not None:
            functions.append(
                _instance(
                    "deploys",
                    catalog.platform["deploys"],
                    name,
                    nodes,
                    (service_id("argo-cd", argo.name), service_id(CLUSTER_DNS, argo.name), GIT),
                    f"Argo CD on {argo.name} syncs {name} from the Git remote",
                )
            )
        registry = _runner(plan, REGISTRY, cluster)
        registry_id = service_id(REGISTRY, registry.name) if registry else REGISTRY
        if registry_id in services:
            functions.append(
                _instance(
                    "image-pulls",
                    catalog.platform["image-pulls"],
                    name,
                    nodes,
                    (registry_id,),
                    f"pods on {name} pull from {services[registry_id].description}",
                    settings.buffer("node-image-cache", name, name),
                )
            )
        functions.append(
            _instance(
                "cluster-control",
                catalog.platform["cluster-control"],
                name,
                nodes,
                (service_id(CONTROL_PLANE, name),),
                f"{name} schedules and heals pods through its control plane",
            )
        )
        manager = _machine_manager(plan, cluster)
        if manager is not None:
            functions.append(
                _instance(
                    "machine-management",
                    catalog.platform["machine-management"],
                    name,
                    nodes,
                    (service_id(CLUSTER_API_CONTROLLERS, manager.name),),
                    f"Cluster API on {manager.name} creates, repairs and upgrades the machines"
                    f" of {name}",
                )
            )
    return functions


def _machine_manager(plan: Plan, cluster: ClusterPlan) -> ClusterPlan | None:
    """The cluster whose Cluster API makes ``cluster``'s machines, if any does."""
    if not plan.spec.platform.provisioned_by_cluster_api(cluster.cluster):
        return None
    return next((c for c in plan.clusters if c.has(CLUSTER_API_OPERATOR)), None)


def _instance(
    function: str,
    text: FunctionText,
    cluster: str,
    consumer: str | None,
    providers: tuple[str, ...],
    why: str,
    buffer: Buffer | None = None,
) -> FunctionInstance:
    return FunctionInstance(function, text, cluster, consumer, providers, buffer, why)


def _need_functions(plan: Plan, settings: RenderedSettings) -> list[FunctionInstance]:
    catalog = load_functions()
    functions: list[FunctionInstance] = []
    for edge in plan.edges:
        if edge.runtime not in ("soft", "buffered"):
            continue
        entry = catalog.for_need(edge.consumer, edge.capability)
        if entry is None:
            continue
        buffer = None
        if entry.buffer is not None:
            buffer = settings.buffer(entry.buffer, edge.cluster, edge.provider_cluster)
        provider: str | None = service_id(edge.provider, edge.provider_cluster)
        provider_cluster = edge.provider_cluster
        source = None
        if entry.id == BACKUPS:  # where the render sends the backups, not only what runs
            store = _backup_store(settings, edge.cluster)
            if store is not None:
                provider_cluster = store.cluster or edge.cluster
                provider = (
                    service_id(store.component, provider_cluster) if store.component else None
                )
        elif entry.id == UPLOADS:  # where the rendered values send the uploads
            target = settings.recorded.store_target(edge.cluster, edge.consumer)
            if target is not None:
                if target.local:
                    continue  # it keeps its data on its own volume: nothing to upload
                provider_cluster = edge.cluster
                provider = _store_service(plan.cluster(edge.cluster), target)
                source = target.evidence
        consumer = service_id(edge.consumer, edge.cluster)
        route: tuple[str, ...] = (service_id(CLUSTER_DNS, edge.cluster),)
        if provider_cluster != edge.cluster and not entry.ownLoadBalancer:
            route += ingress_path(plan.cluster(provider_cluster))  # the serving gateway
        named = provider or "the object store outside the platform"
        functions.append(
            FunctionInstance(
                entry.id,
                entry,
                edge.cluster,
                consumer,
                (provider, *route) if provider else route,
                buffer,
                f"{edge.consumer} on {edge.cluster} needs {edge.capability} from {named}"
                f" at run time ({edge.runtime})",
                source,
                provider,
            )
        )
    return functions


def _outside_store_functions(plan: Plan, settings: RenderedSettings) -> list[FunctionInstance]:
    """What a consumer of an object store outside the platform still delivers itself.

    With no MinIO in the plan, Velero, Loki, Tempo, Thanos and Mimir write to S3 or the
    spec's ``objectStorage``: the plan has no edge to it, yet the consumer still runs the
    uploads, so its own outage stops them (scheduled backups fail while Velero is down).
    The store itself is not a simulated service. A consumer whose rendered values keep
    its data on its own volume (Tempo's chart default) uploads nothing.
    """
    catalog = load_functions()
    served = {(edge.cluster, edge.consumer) for edge in plan.edges if edge.capability == STORE}
    functions: list[FunctionInstance] = []
    for cluster in plan.clusters:
        for planned in cluster.components:
            if (cluster.name, planned.name) in served:
                continue
            for need in planned.component.needs:
                entry = catalog.for_need(planned.name, need.capability)
                if need.capability != STORE or need.runtime == "install" or entry is None:
                    continue
                target = settings.recorded.store_target(cluster.name, planned.name)
                if target is not None and target.local:
                    continue
                consumer = service_id(planned.name, cluster.name)
                functions.append(
                    FunctionInstance(
                        entry.id,
                        entry,
                        cluster.name,
                        consumer,
                        (service_id(CLUSTER_DNS, cluster.name),),
                        None,
                        f"{planned.name} on {cluster.name} writes to the object store outside "
                        "the platform",
                        target.evidence if target else None,
                    )
                )
    return functions


def _store_service(cluster: ClusterPlan, target: StoreTarget) -> str | None:
    """The in-cluster store the rendered endpoint names (``minio@mgmt``); ``None``: outside.

    An in-cluster store is addressed by its Service, ``<name>.<namespace>.svc``; any other
    endpoint, or an S3 backend with none (the AWS default endpoint), is outside the platform.
    """
    if target.endpoint is None:
        return None
    host = target.endpoint.value.split("://", 1)[-1]
    for planned in cluster.components:
        in_cluster = f"{planned.name}.{planned.component.namespace}.svc"
        if STORE in planned.component.provides and host.startswith(in_cluster):
            return service_id(planned.name, cluster.name)
    return None


def _backup_store(settings: RenderedSettings, cluster: str) -> BackupStore | None:
    """Where the render sends ``cluster``'s volume backups (Velero's location), if recorded."""
    for backup in settings.recorded.backups(cluster, "volume-backups"):
        for store in backup.stores:
            return store
    return None


def _served_functions(plan: Plan) -> list[FunctionInstance]:
    """What components do directly: for people (queries, dashboards) or for their cluster."""
    catalog = load_functions()
    functions: list[FunctionInstance] = []
    for cluster in plan.clusters:
        served = [(p.name, p.component.provides) for p in cluster.components]
        served += [(pods.name, []) for p in cluster.components for pods in p.component.runs]
        for component, provides in served:
            sid = service_id(component, cluster.name)
            for entry in catalog.for_service(component, provides):
                if entry.serves == "cluster":
                    functions.append(
                        FunctionInstance(
                            entry.id,
                            entry,
                            cluster.name,
                            service_id(NODES, cluster.name),
                            (sid,),
                            None,
                            f"{component} does this for {cluster.name} while it runs",
                        )
                    )
                    continue
                gateway = ingress_path(cluster) if entry.viaGateway else ()
                how = f" through {', '.join(gateway)}" if gateway else ""
                functions.append(
                    FunctionInstance(
                        entry.id, entry, None, None, (sid, *gateway), None, f"people use {sid}{how}"
                    )
                )
    return functions


def ingress_path(cluster: ClusterPlan) -> tuple[str, ...]:
    """The services requests from outside ``cluster`` pass through: gateway, load balancer."""
    return tuple(
        service_id(p.name, cluster.name)
        for p in cluster.components
        if "ingress" in p.component.dataPath
    )


def _provider(cluster: ClusterPlan, capability: str) -> str | None:
    """The service on ``cluster`` that provides ``capability`` (the first in plan order)."""
    planned = next((p for p in cluster.components if capability in p.component.provides), None)
    return None if planned is None else service_id(planned.name, cluster.name)


def _data_path_functions(plan: Plan, settings: RenderedSettings) -> list[FunctionInstance]:
    """Ingress, DNS, and the cluster services every application relies on."""
    texts = load_functions().platform
    functions: list[FunctionInstance] = []
    meshed = [c.name for c in plan.clusters if c.has("cilium-clustermesh")]
    for cluster in plan.clusters:
        name = cluster.name
        dns = service_id(CLUSTER_DNS, name)
        functions.append(
            _instance(
                "service-discovery",
                texts["service-discovery"],
                name,
                service_id(NODES, name),
                (dns,),
                f"pods on {name} resolve names through CoreDNS",
            )
        )
        issuer = _provider(cluster, "certificates")
        if issuer is not None and cluster.has("cert-manager"):
            functions.append(
                _instance(
                    "certificate-issuance",
                    texts["certificate-issuance"],
                    name,
                    service_id(NODES, name),
                    (service_id("cert-manager", name),),
                    f"cert-manager on {name} issues and renews its certificates",
                    settings.buffer("cert-renew-before", name, name),
                )
            )
        mesh = [service_id("cilium-clustermesh", other) for other in meshed if other != name]
        if mesh and cluster.has("cilium-clustermesh"):
            functions.append(
                _instance(
                    "cluster-mesh",
                    texts["cluster-mesh"],
                    name,
                    service_id(NODES, name),
                    tuple(mesh),
                    f"Cilium on {name} learns remote endpoints from the other clusters' mesh API",
                )
            )
        if cluster.cluster.role not in APP_ROLES:
            continue
        gateway = ingress_path(cluster)
        if gateway:
            functions.append(
                _instance(
                    "application-ingress",
                    texts["application-ingress"],
                    name,
                    service_id(NODES, name),
                    gateway,
                    f"requests reach applications on {name} through {', '.join(gateway)}",
                )
            )
        cluster_services: tuple[tuple[PlatformFunction, str], ...] = (
            ("volume-provisioning", "storage"),
            ("load-balancer-addresses", "load-balancer"),
        )
        for function, capability in cluster_services:
            provider = _provider(cluster, capability)
            if provider is not None:
                functions.append(
                    _instance(
                        function,
                        texts[function],
                        name,
                        service_id(NODES, name),
                        (provider,),
                        f"applications on {name} get {capability} from {provider}",
                    )
                )
    return functions


def _sidecar_functions(plan: Plan, settings: RenderedSettings) -> list[FunctionInstance]:
    """In sidecar mode the tenants' pods carry the mesh's proxies and their certificates.

    No component stands for them (ambient mode has ztunnel, whose catalog need covers
    it), so each cluster where tenants of the mesh run relies on its mesh control plane.
    """
    if plan.settings.mesh.mode.value != "sidecar":
        return []
    text = load_functions().platform["mesh-sidecars"]
    functions: list[FunctionInstance] = []
    for cluster in plan.clusters:
        control = _provider(cluster, "service-mesh")
        if control is None or not cluster_facts(plan.spec.platform, cluster.cluster).inMesh.value:
            continue
        functions.append(
            _instance(
                "mesh-sidecars",
                text,
                cluster.name,
                service_id(NODES, cluster.name),
                (control,),
                f"the sidecars of mesh pods on {cluster.name} take configuration and "
                f"certificates from {control}",
                settings.buffer("istio-workload-cert", cluster.name, cluster.name),
            )
        )
    return functions


def _admission_functions(plan: Plan, settings: RenderedSettings) -> list[FunctionInstance]:
    """One function per cluster and backend whose webhooks or policies fail closed."""
    functions: list[FunctionInstance] = []
    for cluster in plan.clusters:
        by_backend: dict[str, list[AdmissionRule]] = {}
        for rule in settings.recorded.admission_on(cluster.name):
            if rule.blocks_when_down and cluster.has(rule.backend):
                by_backend.setdefault(rule.backend, []).append(rule)
        for backend, rules in sorted(by_backend.items()):
            functions.append(_admission_function(cluster.name, backend, rules))
    return functions


def _admission_function(cluster: str, backend: str, rules: list[AdmissionRule]) -> FunctionInstance:
    admits = " and ".join(dict.fromkeys(rule.admits for rule in rules))
    names = ", ".join(rule.name for rule in rules)
    pods = any(rule.pods for rule in rules)
    kept = (
        "running pods keep running; no rollouts, scaling or rescheduling there"
        if pods
        else "objects already admitted keep working"
    )
    text = FunctionText(
        title=f"admission of {admits}",
        impact="workloads" if pods else "delivery",
        interrupted=f"the API server rejects new and changed {admits} (failurePolicy Fail)",
        kept=kept,
    )
    return FunctionInstance(
        f"{backend}-admission",
        text,
        cluster,
        service_id(NODES, cluster),
        (service_id(backend, cluster),),
        None,
        f"{backend} on {cluster} answers the admission calls of {names}",
        "; ".join(dict.fromkeys(rule.evidence for rule in rules)),
    )
