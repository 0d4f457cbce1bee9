"""The architecture contract C1–C6, checked on every plan.

C1 app workloads survive mgmt loss; C2 Prometheus Agent keeps a WAL buffer; C3 the
External Secrets cache bridges Vault outages; C4 Kyverno enforces on app clusters
only; C5 PKI bootstraps in two phases; C6 Cilium tunnels on local VMs.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import ClusterPlan
from stackyard.spec.units import format_duration, parse_duration

MIN_REFRESH = 3600.0
MIN_WAL = 3600.0


def _buffer_seconds(context: CheckContext, setting: str) -> float:
    section, key = setting.split(".")
    return parse_duration(getattr(getattr(context.platform, section), key))


@check("C1", "App cluster with a hard runtime dependency on another cluster", "error")
def app_clusters_stand_alone(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """App cluster with a hard runtime dependency on another cluster.

    App-cluster workloads must keep running while mgmt is down. A need served from
    another cluster is acceptable only if it is install-time or buffered by a non-zero
    buffer (cache interval, WAL, disk); a hard need, or a buffer set to zero, makes mgmt
    a runtime dependency of the app cluster.
    """
    by_name: dict[str, ClusterPlan] = {}
    for cluster_plan in context.clusters:
        by_name.setdefault(cluster_plan.name, cluster_plan)  # the first, as a scan finds it
    for edge in context.edges:
        if edge.provider_cluster == edge.cluster:
            continue
        plan = by_name[edge.cluster]
        if plan.cluster.role != "app":
            continue
        hard = edge.runtime == "hard"
        if edge.runtime == "buffered" and edge.buffer:
            hard = _buffer_seconds(context, edge.buffer) == 0
        if hard:
            why = (
                f"its buffer {edge.buffer} is 0"
                if edge.buffer and edge.runtime != "hard"
                else "a hard runtime need"
            )
            yield emit(
                f"{edge.consumer} on {edge.cluster} needs {edge.capability} from "
                f"{edge.provider} on {edge.provider_cluster} at run time ({why})",
                ("clusters", plan.index, "role"),
                hint="run the provider on the app cluster or give the need a buffer",
                cluster=edge.cluster,
            )


@check("C2", "Prometheus Agent without a WAL buffer", "error")
def agent_wal_buffer(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Prometheus Agent without a WAL buffer.

    App clusters ship metrics with Prometheus Agent, whose write-ahead log buffers
    samples while the metrics store on mgmt is unreachable (~2.7 h in the reference
    local multi-cluster architecture). Zero retention loses metrics at once; under an
    hour is a warning.
    """
    wal = parse_duration(context.platform.observability.walRetention)
    if wal >= MIN_WAL:
        return
    agents = [p.name for p in context.clusters if p.has("prometheus-agent")]
    if not agents:
        return
    yield emit(
        f"Prometheus Agent on {', '.join(agents)} buffers only {format_duration(wal)} of metrics",
        ("observability", "walRetention"),
        severity="error" if wal == 0 else "warning",
        hint="set observability.walRetention to a few hours, e.g. 2h40m",
    )


@check("C3", "External Secrets refresh shorter than the cache contract", "error")
def secrets_cache(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """External Secrets refresh shorter than the cache contract.

    External Secrets keeps the last synced Secret while Vault is down; with a
    refresh interval of at least 1 h the cache, not Vault, serves workloads. A shorter
    interval turns every Vault blip into sync errors, zero disables refresh.
    """
    refresh = parse_duration(context.platform.secrets.refreshInterval)
    if refresh >= MIN_REFRESH:
        return
    users = [
        p.name for p in context.clusters if p.has("external-secrets") and p.cluster.role == "app"
    ]
    if not users:
        return
    yield emit(
        f"External Secrets on {', '.join(users)} refreshes every {format_duration(refresh)}; "
        "contract C3 needs at least 1h",
        ("secrets", "refreshInterval"),
        hint="set secrets.refreshInterval: 1h",
    )


@check("C4", "Kyverno enforcing on a mgmt cluster", "error")
def kyverno_not_on_mgmt(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Kyverno enforcing on a mgmt cluster.

    Kyverno enforces workload policy on app clusters only: an enforcing
    webhook on mgmt can block the platform services that would repair it.
    """
    platform = context.platform
    for plan in context.clusters:
        if plan.cluster.role != "mgmt" or not plan.has("kyverno"):
            continue
        mode = plan.cluster.policyMode or platform.policy.mode
        if mode != "enforce":
            continue
        path = plan.source("kyverno")
        yield emit(
            f"Kyverno enforces on mgmt cluster {plan.name}",
            path,
            hint="remove Kyverno from mgmt, or set policyMode: audit on that cluster",
            cluster=plan.name,
        )


@check("C5", "Vault issuer without two-phase PKI", "error")
def two_phase_pki(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Vault issuer without two-phase PKI.

    Vault's own TLS certificate cannot come from a Vault issuer that needs Vault
    running: cert-manager and Vault wait on each other forever. Bootstrap with a
    self-signed issuer first, then switch to the Vault issuer.
    """
    pki = context.platform.pki
    if context.settings.pki.issuer.value == "vault" and pki.bootstrap != "two-phase":
        yield emit(
            "a Vault issuer with direct bootstrap deadlocks cert-manager and Vault",
            ("pki", "bootstrap"),
            hint="set pki.bootstrap: two-phase",
        )


@check("C6", "Cilium not tunnelling on local VMs", "error")
def local_cilium_tunnel(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cilium not tunnelling on local VMs.

    On local VMs (Multipass) nothing routes pod CIDRs between nodes, so Cilium must
    run in tunnel (VXLAN) mode; ENI mode exists only on AWS.
    """
    platform = context.platform
    if context.settings.networking.cni.value != "cilium":
        return
    mode = context.settings.networking.ciliumRoutingMode.value
    if platform.provider == "local" and mode != "tunnel":
        yield emit(
            f"Cilium in {mode} mode on local VMs; pods on different nodes cannot reach each other",
            ("networking", "ciliumRoutingMode"),
            hint="set networking.ciliumRoutingMode: tunnel",
        )
    elif mode == "eni" and platform.provider != "aws":
        yield emit(
            f"Cilium ENI mode needs AWS, not {platform.provider}",
            ("networking", "ciliumRoutingMode"),
            hint="use tunnel or native routing",
        )
