"""The resolved settings a catalog entry can select on: their names and their values.

The planner resolves the spec's ``auto`` choices into these settings
(``stackyard.plan.settings``); an entry's ``selectedBy`` names them in their dotted
spelling (``networking.cni``) and lists the values it runs with, booleans as YAML
booleans (``values: [true]``). Both sides read the value types from here, so a name or a
value the planner can never produce is refused when the catalog loads, not silently
never matched. Most settings hold for the whole platform; the ``cluster.*`` ones are
resolved for each cluster (where the tenants of the mesh and of the APIs run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

Cni = Literal["canal", "cilium"]
CiliumRoutingMode = Literal["none", "tunnel", "native", "eni"]
Ingress = Literal["gateway-api", "ingress-nginx", "none"]
LoadBalancer = Literal["aws-lb-controller", "cloud-controller", "metallb", "none"]
LoadBalancerTargetType = Literal["ip", "instance", "none"]
MetricsStore = Literal["thanos", "mimir"]
LogAgent = Literal["alloy", "promtail"]
Issuer = Literal["vault", "self-signed", "acme"]
MeshMode = Literal["none", "ambient", "sidecar"]

SettingName = Literal[
    "networking.cni",
    "networking.ciliumRoutingMode",
    "networking.ingress",
    "networking.loadBalancer",
    "networking.loadBalancerTargetType",
    "networking.clusterMesh",
    "observability.metricsStore",
    "observability.logAgent",
    "pki.issuer",
    "mesh.enabled",
    "mesh.mode",
    "fleet.service.enabled",
    "cluster.inMesh",
    "cluster.servesApis",
    "cluster.managesClusters",
]
SettingValue = str | bool
"""A resolved value: one of a setting's words, or a boolean."""

SETTING_VALUES: Mapping[SettingName, tuple[SettingValue, ...]] = {
    "networking.cni": get_args(Cni),
    "networking.ciliumRoutingMode": get_args(CiliumRoutingMode),
    "networking.ingress": get_args(Ingress),
    "networking.loadBalancer": get_args(LoadBalancer),
    "networking.loadBalancerTargetType": get_args(LoadBalancerTargetType),
    "networking.clusterMesh": (True, False),
    "observability.metricsStore": get_args(MetricsStore),
    "observability.logAgent": get_args(LogAgent),
    "pki.issuer": get_args(Issuer),
    "mesh.enabled": (True, False),
    "mesh.mode": get_args(MeshMode),
    "fleet.service.enabled": (True, False),
    "cluster.inMesh": (True, False),
    "cluster.servesApis": (True, False),
    "cluster.managesClusters": (True, False),
}
"""Every setting, in the order a plan lists them, with the values it can take."""

CLUSTER_SCOPE = "cluster."
"""Settings named ``cluster.*`` are facts of each cluster, not of the platform: whether a
tenant that joins the mesh runs there (``cluster.inMesh``), whether the tenant of a declared
API does (``cluster.servesApis``), whether Cluster API runs there to provision other
clusters (``cluster.managesClusters``). The planner resolves them per cluster."""


def value_text(value: SettingValue) -> str:
    """``value`` as YAML and the spec spell it: ``true``/``false`` for a boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
