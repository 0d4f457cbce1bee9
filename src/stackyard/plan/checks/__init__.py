"""The static checks, in the order they run and are documented.

The registry is this explicit tuple: adding a check is writing it in one of the
modules and listing it here.
"""

from stackyard.plan.checks import (
    apis,
    budget,
    compatibility,
    contracts,
    hardening,
    identity,
    mesh,
    network,
    objectstorage,
    placement,
    secrets,
    spread,
)
from stackyard.plan.checks.base import Check, CheckContext, FunctionCheck, check

ALL_CHECKS: tuple[Check, ...] = (
    network.overlap_within_cluster,
    network.overlap_across_clusters,
    network.mesh_within_cilium_limit,
    network.pool_in_node_network,
    network.node_range_fits_nodes,
    network.kubeadm_needs_cidrs,
    budget.cluster_budget_fits,
    budget.host_budget_fits,
    compatibility.chart_kube_version,
    compatibility.no_in_tree_cloud_provider,
    compatibility.aws_external_ccm,
    compatibility.aws_cluster_tag,
    compatibility.ip_mode_needs_routable_pods,
    placement.forced_outside_eligibility,
    placement.no_conflicts,
    placement.dependencies_met,
    placement.no_cycles,
    placement.upstream_lifecycle,
    placement.topology,
    placement.tenants_need_enterprise,
    placement.edition_minimum_nodes,
    placement.control_plane_pools_agree,
    spread.ha_pods_fit_apart,
    secrets.no_secrets_in_spec,
    objectstorage.consumers_have_a_store,
    objectstorage.external_store_complete,
    objectstorage.minio_unused,
    mesh.cilium_beside_istio,
    mesh.mesh_node_agents,
    mesh.strict_mtls_callers,
    mesh.canary_metrics,
    mesh.rollout_controller,
    apis.api_realm,
    apis.api_consumers,
    apis.api_routes,
    mesh.retries_not_rendered,
    mesh.waypoint_quota,
    hardening.audit_logs_have_a_store,
    hardening.encryption_key_rotation,
    hardening.cis_exemptions,
    identity.directories_not_federated,
    contracts.app_clusters_stand_alone,
    contracts.agent_wal_buffer,
    contracts.secrets_cache,
    contracts.kyverno_not_on_mgmt,
    contracts.two_phase_pki,
    contracts.local_cilium_tunnel,
)

__all__ = ["ALL_CHECKS", "Check", "CheckContext", "FunctionCheck", "check"]
