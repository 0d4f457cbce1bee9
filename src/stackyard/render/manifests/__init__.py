"""Per-cluster platform manifests, each kind of object built by a registered builder.

A builder returns :class:`Placed` groups: ``base`` files sync first through the
``platform-base`` Application (namespaces, quotas, network policy); files grouped
under a component sync with that component's Application, after its CRDs exist.
The registry is the explicit tuple below, one builder per subject module.
"""

from stackyard.render.manifests.access import access_manifests
from stackyard.render.manifests.apiclients import apiclients_manifests
from stackyard.render.manifests.apigateway import apigateway_manifests
from stackyard.render.manifests.apilimits import apilimits_manifests
from stackyard.render.manifests.apimetrics import apimetrics_manifests
from stackyard.render.manifests.auditdashboard import audit_dashboard_manifests
from stackyard.render.manifests.backup import backup_manifests
from stackyard.render.manifests.backupalerts import backup_alert_manifests
from stackyard.render.manifests.base import ManifestBuilder, Placed, builders_output
from stackyard.render.manifests.etcd_backup import etcd_backup_manifests
from stackyard.render.manifests.fleetservice import fleet_service_manifests
from stackyard.render.manifests.identity import identity_manifests
from stackyard.render.manifests.kiali import kiali_manifests
from stackyard.render.manifests.loadbalancing import loadbalancing_manifests
from stackyard.render.manifests.mesh import mesh_manifests
from stackyard.render.manifests.meshdashboards import mesh_dashboard_manifests
from stackyard.render.manifests.meshmonitoring import mesh_monitoring_manifests
from stackyard.render.manifests.meshservices import service_manifests
from stackyard.render.manifests.namespaces import namespace_manifests
from stackyard.render.manifests.network import network_manifests
from stackyard.render.manifests.observability import observability_manifests
from stackyard.render.manifests.pki import pki_manifests
from stackyard.render.manifests.policy import policy_manifests
from stackyard.render.manifests.routes import route_manifests
from stackyard.render.manifests.secrets import secret_store_manifests
from stackyard.render.manifests.teleportaccess import teleport_access_manifests
from stackyard.render.manifests.teleportagents import teleport_agent_manifests

ALL_BUILDERS: tuple[ManifestBuilder, ...] = (
    namespace_manifests,
    network_manifests,
    loadbalancing_manifests,
    route_manifests,
    pki_manifests,
    secret_store_manifests,
    policy_manifests,
    backup_manifests,
    etcd_backup_manifests,
    observability_manifests,
    backup_alert_manifests,
    identity_manifests,
    access_manifests,
    teleport_access_manifests,
    teleport_agent_manifests,
    service_manifests,
    mesh_manifests,
    mesh_monitoring_manifests,
    mesh_dashboard_manifests,
    kiali_manifests,
    apigateway_manifests,
    apilimits_manifests,
    apimetrics_manifests,
    apiclients_manifests,
    audit_dashboard_manifests,
    fleet_service_manifests,
)

__all__ = ["ALL_BUILDERS", "ManifestBuilder", "Placed", "builders_output"]
