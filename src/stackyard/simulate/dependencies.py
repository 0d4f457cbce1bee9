"""plan + rendered tree → runtime dependency model.

Functions come from three places, all listed in ``data/functions.yaml``:

- the plan's run-time edges (a component's soft or buffered need of a capability,
  resolved to the provider on its own cluster or on mgmt);
- the components that serve people directly (queries, dashboards, alerting);
- what every cluster relies on whatever the catalog says: its workloads need the
  cluster's nodes and CNI; deploys need Argo CD and the Git remote; image pulls need the
  registry (Harbor in the platform, or outside it when the plan does not run it); and
  scheduling needs the control plane.

Edges with runtime ``install`` matter only while installing, and ``hard`` edges make the
consumer fail with its provider; neither is a function of its own.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan, Plan
from stackyard.render import RenderedTree
from stackyard.simulate.functions import FunctionText, load_functions
from stackyard.simulate.model import (
    CLUSTER_BASE,
    CONTROL_PLANE,
    NODES,
    OUTSIDE,
    FunctionInstance,
    RuntimeModel,
    Service,
)
from stackyard.simulate.settings import Buffer, RenderedSettings

GIT = "git"
REGISTRY = "harbor"
APP_ROLES = ("app", "standalone")


def build_runtime_model(plan: Plan, tree: RenderedTree) -> RuntimeModel:
    """The services and functions of ``plan``, with buffers read from ``tree``."""
    settings = RenderedSettings(tree)
    services = _services(plan)
    functions = [
        *_platform_functions(plan, services, settings),
        *_need_functions(plan, settings),
        *_people_functions(plan),
    ]
    return RuntimeModel(plan, services, tuple(functions), settings, _hard_needs(plan))


def _hard_needs(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Pods stop with their nodes, and lose their network with the CNI."""
    needs: dict[str, list[str]] = {}
    for cluster in plan.clusters:
        nodes = service_id(NODES, cluster.name)
        cni = next((p.name for p in cluster.components if "cni" in p.component.provides), None)
        needs[service_id(CONTROL_PLANE, cluster.name)] = [nodes]
        for planned in cluster.components:
            own = [nodes]
            if cni is not None and planned.name != cni:
                own.append(service_id(cni, cluster.name))
            needs[service_id(planned.name, cluster.name)] = own
    for edge in plan.edges:
        if edge.runtime == "hard":
            consumer = service_id(edge.consumer, edge.cluster)
            needs.setdefault(consumer, []).append(service_id(edge.provider, edge.provider_cluster))
    return {service: tuple(sorted(set(n))) for service, n in needs.items()}


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
    for cluster in plan.clusters:
        name = cluster.name
        for component, what in ((NODES, "nodes"), (CONTROL_PLANE, "API server and etcd")):
            services[service_id(component, name)] = Service(
                service_id(component, name), component, name, CLUSTER_BASE, f"{name} {what}"
            )
        for planned in cluster.components:
            sid = service_id(planned.name, name)
            services[sid] = Service(
                sid, planned.name, name, planned.wave, planned.component.description
            )
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
                    (service_id("argo-cd", argo.name), GIT),
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
    return functions


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
        provider = service_id(edge.provider, edge.provider_cluster)
        consumer = service_id(edge.consumer, edge.cluster)
        functions.append(
            FunctionInstance(
                entry.id,
                entry,
                edge.cluster,
                consumer,
                (provider,),
                buffer,
                f"{edge.consumer} on {edge.cluster} needs {edge.capability} from {provider}"
                f" at run time ({edge.runtime})",
            )
        )
    return functions


def _people_functions(plan: Plan) -> list[FunctionInstance]:
    catalog = load_functions()
    functions: list[FunctionInstance] = []
    for cluster in plan.clusters:
        for planned in cluster.components:
            entry = catalog.for_service(planned.name)
            if entry is None:
                continue
            sid = service_id(planned.name, cluster.name)
            functions.append(
                FunctionInstance(
                    entry.id, entry, None, None, (sid,), None, f"people use {sid} directly"
                )
            )
    return functions
