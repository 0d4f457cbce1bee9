"""Resolve the spec's ``auto`` choices into concrete settings, each with its reason.

The defaults encode the source documents' lessons: Canal only where RKE2 ships it for
Community; Cilium ENI on AWS so NLB IP mode works; VXLAN tunnel on local
VMs (contract C6); the AWS Load Balancer Controller only with VPC-routable pods.

The result is typed: :class:`Settings` has one attribute per setting, named as the spec
names it (``settings.networking.cni``), each a :class:`Setting` whose value has the
setting's own type (``Cni``, ``bool`` for ``clusterMesh``). Catalog entries select on
the dotted names (``selectedBy``), checked against ``stackyard.catalog.settings`` when
the catalog loads; :meth:`Settings.get` looks one up by that name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from stackyard.catalog.settings import (
    CLUSTER_SCOPE,
    CiliumRoutingMode,
    Cni,
    Ingress,
    Issuer,
    LoadBalancer,
    LoadBalancerTargetType,
    LogAgent,
    MeshMode,
    MetricsStore,
    SettingName,
    SettingValue,
    value_text,
)
from stackyard.plan.clustermesh import LARGEST_MAX_CLUSTERS
from stackyard.spec import Cluster, Platform

SpecPath = tuple[str | int, ...]
T = TypeVar("T", bound=SettingValue)
SPEC = "set in the spec"


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One resolved platform choice and why it has its value.

    ``path`` is where the spec sets it; empty when the planner chose.
    """

    name: SettingName
    value: T
    reason: str
    path: SpecPath = ()

    @property
    def text(self) -> str:
        """The value as the spec spells it (``true``/``false`` for a boolean)."""
        return value_text(self.value)


@dataclass(frozen=True)
class NetworkingSettings:
    """The resolved ``networking`` choices."""

    cni: Setting[Cni]
    ciliumRoutingMode: Setting[CiliumRoutingMode]
    ingress: Setting[Ingress]
    loadBalancer: Setting[LoadBalancer]
    loadBalancerTargetType: Setting[LoadBalancerTargetType]
    clusterMesh: Setting[bool]


@dataclass(frozen=True)
class ObservabilitySettings:
    """The resolved ``observability`` choices."""

    metricsStore: Setting[MetricsStore]
    logAgent: Setting[LogAgent]


@dataclass(frozen=True)
class PkiSettings:
    """The resolved ``pki`` choices."""

    issuer: Setting[Issuer]


@dataclass(frozen=True)
class MeshSettings:
    """The resolved ``mesh`` choices."""

    enabled: Setting[bool]
    mode: Setting[MeshMode]


@dataclass(frozen=True)
class FleetServiceSettings:
    """The resolved ``fleet.service`` choices."""

    enabled: Setting[bool]


@dataclass(frozen=True)
class FleetSettings:
    """The resolved ``fleet`` choices."""

    service: FleetServiceSettings


@dataclass(frozen=True)
class Settings:
    """Every setting a catalog selector or a check can ask for, by section and name."""

    networking: NetworkingSettings
    observability: ObservabilitySettings
    pki: PkiSettings
    mesh: MeshSettings
    fleet: FleetSettings

    def __iter__(self) -> Iterator[Setting[Any]]:
        """Every setting, in the order a plan lists them."""
        return _settings_in(self)

    def get(self, name: SettingName) -> Setting[Any]:
        """The setting with the dotted ``name`` (``networking.cni``, ``fleet.service.enabled``)."""
        found: Any = self
        for part in name.split("."):
            found = getattr(found, part)
        setting: Setting[Any] = found
        return setting

    def find(self, name: str) -> Setting[Any] | None:
        """The setting with the dotted ``name``, or ``None`` when no setting has that name."""
        return next((setting for setting in self if setting.name == name), None)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The JSON shape: dotted name -> value (a boolean for a boolean) and reason."""
        return {s.name: {"value": s.value, "reason": s.reason} for s in self}


def _settings_in(group: Any) -> Iterator[Setting[Any]]:
    """The settings of a section, and of the sections within it, in declaration order."""
    for entry in fields(group):
        value = getattr(group, entry.name)
        if isinstance(value, Setting):
            yield value
        else:
            yield from _settings_in(value)


def resolve_settings(platform: Platform) -> Settings:
    """Every setting a catalog selector or a check can ask for."""
    net, obs = platform.networking, platform.observability
    edition, provider = platform.edition, platform.provider
    distribution = platform.kubernetes.distribution

    cni: Setting[Cni]
    if net.cni != "auto":
        cni = Setting("networking.cni", net.cni, SPEC, ("networking", "cni"))
    elif edition == "community" and distribution == "rke2":
        reason = "Community on RKE2 uses the built-in Canal (the edition table)"
        cni = Setting("networking.cni", "canal", reason)
    elif edition == "community":
        reason = "kubeadm ships no CNI; Cilium is the platform's CNI"
        cni = Setting("networking.cni", "cilium", reason)
    else:
        reason = f"{edition} edition runs Cilium (the edition table)"
        cni = Setting("networking.cni", "cilium", reason)

    mode: Setting[CiliumRoutingMode]
    name: SettingName = "networking.ciliumRoutingMode"
    if net.ciliumRoutingMode != "auto":
        mode = Setting(name, net.ciliumRoutingMode, SPEC, ("networking", "ciliumRoutingMode"))
    elif cni.value != "cilium":
        mode = Setting(name, "none", "Cilium does not run")
    elif provider == "aws":
        mode = Setting(name, "eni", "ENI mode gives pods VPC IPs on AWS")
    else:
        mode = Setting(name, "tunnel", "VXLAN tunnel off-cloud (contract C6)")

    how = SPEC if "ingress" in net.model_fields_set else "default: Gateway API (maintained)"
    ingress = Setting("networking.ingress", net.ingress, how, ("networking", "ingress"))

    balancer: Setting[LoadBalancer]
    name = "networking.loadBalancer"
    if net.loadBalancer != "auto":
        balancer = Setting(name, net.loadBalancer, SPEC, ("networking", "loadBalancer"))
    elif provider == "aws" and cni.value == "cilium":
        balancer = Setting(name, "aws-lb-controller", "AWS with VPC-routable pods: ALBC")
    elif provider == "aws":
        balancer = Setting(name, "cloud-controller", "AWS with an overlay CNI: CCM")
    else:
        balancer = Setting(name, "metallb", f"{provider}: MetalLB gives LoadBalancer IPs")

    target: Setting[LoadBalancerTargetType]
    name = "networking.loadBalancerTargetType"
    if net.loadBalancerTargetType != "auto":
        path = ("networking", "loadBalancerTargetType")
        target = Setting(name, net.loadBalancerTargetType, SPEC, path)
    elif balancer.value == "aws-lb-controller":
        target = Setting(name, "ip", "ALBC targets pod IPs directly")
    elif balancer.value == "cloud-controller":
        target = Setting(name, "instance", "the CCM targets node ports")
    else:
        target = Setting(name, "none", "no cloud load balancer")

    mesh: Setting[bool]
    name = "networking.clusterMesh"
    if net.clusterMesh != "auto":
        mesh = Setting(name, net.clusterMesh == "on", SPEC, ("networking", "clusterMesh"))
    elif cni.value == "cilium" and len(platform.clusters) > LARGEST_MAX_CLUSTERS:
        mesh = Setting(
            name, False, f"more than the {LARGEST_MAX_CLUSTERS} clusters one mesh connects"
        )
    elif cni.value == "cilium" and len(platform.clusters) > 1:
        mesh = Setting(name, True, "Cilium with several clusters")
    else:
        mesh = Setting(name, False, "one cluster or no Cilium")

    def observability(key: str) -> str:
        return SPEC if key in obs.model_fields_set else "default"

    issuer: Setting[Issuer]
    if platform.pki.issuer != "auto":
        issuer = Setting("pki.issuer", platform.pki.issuer, SPEC, ("pki", "issuer"))
    elif edition == "community":
        issuer = Setting("pki.issuer", "self-signed", "Community has no Vault")
    else:
        issuer = Setting("pki.issuer", "vault", f"{edition} runs Vault as the platform CA")

    return Settings(
        NetworkingSettings(cni, mode, ingress, balancer, target, mesh),
        ObservabilitySettings(
            Setting(
                "observability.metricsStore",
                obs.metricsStore,
                observability("metricsStore"),
                ("observability", "metricsStore"),
            ),
            Setting(
                "observability.logAgent",
                obs.logAgent,
                observability("logAgent"),
                ("observability", "logAgent"),
            ),
        ),
        PkiSettings(issuer),
        _mesh_settings(platform),
        _fleet_settings(platform),
    )


def _mesh_settings(platform: Platform) -> MeshSettings:
    mesh = platform.mesh
    if "enabled" in mesh.model_fields_set:
        enabled = Setting("mesh.enabled", mesh.enabled, SPEC, ("mesh", "enabled"))
    else:
        enabled = Setting("mesh.enabled", False, "default: no service mesh")
    mode: Setting[MeshMode]
    if not mesh.enabled:
        mode = Setting("mesh.mode", "none", "the service mesh is off")
    elif "mode" in mesh.model_fields_set:
        mode = Setting("mesh.mode", mesh.mode, SPEC, ("mesh", "mode"))
    else:
        reason = "default: ambient (GA since Istio 1.24, no sidecar per pod)"
        mode = Setting("mesh.mode", mesh.mode, reason)
    return MeshSettings(enabled, mode)


def _fleet_settings(platform: Platform) -> FleetSettings:
    service = platform.fleet.service
    name: SettingName = "fleet.service.enabled"
    if "enabled" in service.model_fields_set:
        enabled = Setting(name, service.enabled, SPEC, ("fleet", "service", "enabled"))
    else:
        enabled = Setting(name, False, "default: the fleet service runs elsewhere")
    return FleetSettings(FleetServiceSettings(enabled))


@dataclass(frozen=True)
class ClusterFacts:
    """The ``cluster.*`` settings of one cluster: which tenants' features run there."""

    inMesh: Setting[bool]
    servesApis: Setting[bool]
    managesClusters: Setting[bool]

    def get(self, name: SettingName) -> Setting[Any]:
        """The fact with the dotted ``name`` (``cluster.inMesh``)."""
        found: Setting[Any] = getattr(self, name.removeprefix(CLUSTER_SCOPE))
        return found


def cluster_facts(platform: Platform, cluster: Cluster) -> ClusterFacts:
    """Whether tenants of the mesh and of the declared APIs run on ``cluster``, and Cluster API.

    The mesh runs on the clusters of the tenants that join it (``mesh.tenants``, every
    tenant when null); the API gateway on the clusters of the tenants whose APIs it
    serves; Cluster API on the mgmt cluster when any cluster is provisioned through it.
    """
    here = [t for t in platform.tenants if cluster.name in t.clusters]
    joined = {t.name for t in platform.mesh_tenants}
    meshed = [t.name for t in here if t.name in joined]
    if meshed:
        in_mesh = Setting("cluster.inMesh", True, f"tenants in the mesh run here: {_names(meshed)}")
    elif not platform.mesh.enabled:
        in_mesh = Setting("cluster.inMesh", False, "the service mesh is off")
    else:
        in_mesh = Setting("cluster.inMesh", False, "no tenant in the mesh runs here")
    owners = {api.tenant for api in platform.apis}
    serving = [t.name for t in here if t.name in owners]
    if serving:
        reason = f"tenants with APIs run here: {_names(serving)}"
        apis = Setting("cluster.servesApis", True, reason)
    elif not platform.apis:
        apis = Setting("cluster.servesApis", False, "the spec declares no API")
    else:
        apis = Setting("cluster.servesApis", False, "no tenant with an API runs here")
    return ClusterFacts(in_mesh, apis, _manages_clusters(platform, cluster))


def _manages_clusters(platform: Platform, cluster: Cluster) -> Setting[bool]:
    name: SettingName = "cluster.managesClusters"
    provisioned = [c.name for c in platform.cluster_api_clusters]
    if cluster.role != "mgmt":
        return Setting(name, False, "Cluster API runs on the mgmt cluster only")
    if not provisioned:
        return Setting(name, False, "no cluster is provisioned through Cluster API")
    return Setting(name, True, f"Cluster API provisions {_names(provisioned)} from here")


def _names(names: list[str]) -> str:
    return ", ".join(names)
