"""Alert rules for the platform: golden signals, SLO burn rates, contracts C2 and C3.

Roadmap item P4 asks for alert rules; the spec's ``slo`` sets the SLO. Rules are
PrometheusRules in the monitoring namespace of the cluster that runs Prometheus in full
mode (mgmt or standalone), synced with its Application and labelled ``release:
prometheus``, which kube-prometheus-stack's rule selector picks up. Prometheus Agents
cannot evaluate rules.

- Golden signals per platform namespace (every cluster's, so the same rules serve a
  fleet-wide ruler): availability (replicas missing, targets down), errors (restarts),
  saturation (memory near the limit, CPU throttling, volumes filling); latency and
  traffic come from the gateway below.
- SLO: the error ratio of requests through the platform's gateway or ingress controller
  (Prometheus targets ``up`` where there is none), recorded over 5m, 30m, 1h and 6h.
  With budget ``B = 1 - slo.availability / 100`` and burn rate ``ratio / B``, the
  multi-window alerts of the Google SRE workbook fire when both windows exceed it:
  1h and 5m above ``14.4 × B`` (2% of a 30-day budget in an hour: page), 6h and 30m
  above ``6 × B`` (5% in six hours: ticket).
- C2 (Prometheus Agents' WAL bridges a metrics-store outage of ``walRetention``) and C3
  (External Secrets' cache bridges a Vault outage of ``secrets.refreshInterval``):
  remote-write lag and failures, WAL growth, and ExternalSecrets that stop syncing.
  App clusters' series reach only the metrics store, so this object is labelled
  ``stackyard.dev/rule-scope: fleet`` for the store's ruler (Thanos Ruler, Mimir's ruler)
  to select as well; mgmt's Prometheus evaluates the same rules for its own series.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.namespaces import platform_namespaces
from stackyard.render.tree import Manifest
from stackyard.spec.units import parse_duration

RELEASE_LABEL = {"release": "prometheus"}
SLO_WINDOWS = ("5m", "30m", "1h", "6h")
# (severity, long window, short window, burn-rate factor, for)
BURN_ALERTS = (
    ("critical", "1h", "5m", 14.4, "2m"),
    ("warning", "6h", "30m", 6.0, "15m"),
)
LAG_RECORD = "stackyard:remote_write_lag:seconds"
LAG_WARNING_SECONDS = 120


def _alert(
    name: str, expr: str, duration: str, severity: str, summary: str, description: str
) -> Manifest:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def _rule_object(
    context: RenderContext, name: str, groups: list[Manifest], labels: dict[str, str]
) -> Manifest:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": name,
            "namespace": context.component("prometheus").namespace,
            "labels": {**RELEASE_LABEL, **labels},
        },
        "spec": {"groups": groups},
    }


def namespace_regex(context: RenderContext) -> str:
    """Every platform namespace of every cluster, as a PromQL regex alternation."""
    names = {n for cluster in context.plan.clusters for n in platform_namespaces(cluster)}
    return "|".join(sorted(names))


def golden_signals(context: RenderContext) -> Manifest:
    """Availability, error and saturation alerts on the platform's own namespaces."""
    ns = f'namespace=~"{namespace_regex(context)}"'
    by = "namespace, pod, container"
    containers = f'{ns},container!=""'
    rules = [
        _alert(
            "PlatformDeploymentReplicasMissing",
            f"kube_deployment_spec_replicas{{{ns}}}"
            f" - kube_deployment_status_replicas_available{{{ns}}} > 0",
            "15m",
            "warning",
            "Platform Deployment {{ $labels.namespace }}/{{ $labels.deployment }} lacks replicas",
            "Fewer replicas are available than desired for 15 minutes.",
        ),
        _alert(
            "PlatformStatefulSetReplicasMissing",
            f"kube_statefulset_replicas{{{ns}}}"
            f" - kube_statefulset_status_replicas_ready{{{ns}}} > 0",
            "15m",
            "warning",
            "Platform StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} lacks replicas",
            "Fewer replicas are ready than desired for 15 minutes.",
        ),
        _alert(
            "PlatformDaemonSetPodsUnavailable",
            f"kube_daemonset_status_number_unavailable{{{ns}}} > 0",
            "15m",
            "warning",
            "Platform DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} is incomplete",
            "Some nodes have run without this DaemonSet's pod for 15 minutes.",
        ),
        _alert(
            "PlatformTargetDown",
            f"up{{{ns}}} == 0",
            "10m",
            "warning",
            "Platform target {{ $labels.namespace }}/{{ $labels.job }} is down",
            "Prometheus could not scrape {{ $labels.instance }} for 10 minutes.",
        ),
        _alert(
            "PlatformContainerRestarting",
            f"increase(kube_pod_container_status_restarts_total{{{ns}}}[1h]) > 3",
            "5m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) keeps restarting",
            "More than three restarts in the last hour.",
        ),
        _alert(
            "PlatformMemoryNearLimit",
            f"max by ({by}) (container_memory_working_set_bytes{{{containers}}})"
            f' / max by ({by}) (kube_pod_container_resource_limits{{{ns},resource="memory"}})'
            " > 0.9",
            "15m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} uses over 90% of its memory limit",
            "The container will be OOM-killed if it grows further; raise its limit.",
        ),
        _alert(
            "PlatformCPUThrottled",
            f"sum by ({by})"
            f" (increase(container_cpu_cfs_throttled_periods_total{{{containers}}}[10m]))"
            f" / sum by ({by}) (increase(container_cpu_cfs_periods_total{{{containers}}}[10m]))"
            " > 0.5",
            "15m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} is CPU-throttled over half the time",
            "Latency suffers; raise its CPU limit.",
        ),
        _alert(
            "PlatformVolumeFilling",
            f"kubelet_volume_stats_available_bytes{{{ns}}}"
            f" / kubelet_volume_stats_capacity_bytes{{{ns}}} < 0.1",
            "15m",
            "warning",
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is over 90% full",
            "Grow the claim or reduce retention before writes fail.",
        ),
    ]
    group = {"name": "stackyard.platform-golden-signals", "interval": "1m", "rules": rules}
    return _rule_object(context, "platform-golden-signals", [group], {})


def _sli(context: RenderContext, cluster: ClusterPlan) -> tuple[str, dict[str, str]]:
    """The SLI's source and its error ratio expression per window.

    The source is the first edge proxy on the cluster (in catalog order) whose entry
    names its ``requestMetrics``; without one, the platform's targets being up.
    """
    for component in context.catalog:
        metrics = component.requestMetrics
        if metrics is not None and cluster.has(component.name):
            errors, total = metrics.errors, metrics.total
            return component.name, {
                w: f"sum(rate({errors}[{w}])) / sum(rate({total}[{w}]))" for w in SLO_WINDOWS
            }
    up = f'up{{namespace=~"{namespace_regex(context)}"}}'
    return "up", {w: f"1 - avg(avg_over_time({up}[{w}]))" for w in SLO_WINDOWS}


def _number(value: float) -> str:
    return f"{value:.6g}"


def slo_rules(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """Error-ratio recording rules and multi-window burn-rate alerts (see module docs)."""
    availability = context.platform.slo.availability
    budget = 1 - availability / 100
    source, ratios = _sli(context, cluster)
    records: list[Manifest] = [
        {"record": f"stackyard:platform_error_ratio:rate{w}", "expr": ratios[w]}
        for w in SLO_WINDOWS
    ]
    alerts = []
    for severity, long, short, factor, duration in BURN_ALERTS:
        threshold = _number(factor * budget)
        name = "PlatformErrorBudgetFastBurn" if factor > 10 else "PlatformErrorBudgetSlowBurn"
        alerts.append(
            _alert(
                name,
                f"stackyard:platform_error_ratio:rate{long} > {threshold}"
                f" and stackyard:platform_error_ratio:rate{short} > {threshold}",
                duration,
                severity,
                f"The {availability:g}% availability SLO burns {factor:g}x too fast",
                f"Error ratio (from {source}) above {factor:g} x budget {_number(budget)} "
                f"over {long} and {short}: at this rate the 30-day budget lasts "
                f"{30 / factor:.2g} days.",
            )
        )
    groups = [
        {"name": "stackyard.slo.records", "interval": "1m", "rules": records},
        {"name": "stackyard.slo.alerts", "interval": "1m", "rules": alerts},
    ]
    return _rule_object(context, "platform-slo", groups, {})


def _c2_rules(context: RenderContext) -> Manifest:
    retention = parse_duration(context.platform.observability.walRetention)
    at_risk = _number(retention / 2)
    lag = (
        "max by (cluster, job, instance) (prometheus_remote_storage_highest_timestamp_in_seconds)"
        " - min by (cluster, job, instance)"
        " (prometheus_remote_storage_queue_highest_sent_timestamp_seconds)"
    )
    rules = [
        {"record": LAG_RECORD, "expr": lag},
        _alert(
            "StackyardRemoteWriteBehind",
            f"{LAG_RECORD} > {LAG_WARNING_SECONDS}",
            "15m",
            "warning",
            "Remote write from {{ $labels.cluster }} is behind",
            "Samples reach the metrics store more than two minutes late; the agent's WAL "
            "is buffering (contract C2).",
        ),
        _alert(
            "StackyardRemoteWriteBufferAtRisk",
            f"{LAG_RECORD} > {at_risk}",
            "5m",
            "critical",
            "Remote write from {{ $labels.cluster }} has used half its WAL buffer",
            f"Lag exceeds half of observability.walRetention "
            f"({context.platform.observability.walRetention}); samples older than that "
            "are lost (contract C2). Restore the metrics store or mgmt.",
        ),
        _alert(
            "StackyardRemoteWriteFailing",
            "rate(prometheus_remote_storage_samples_failed_total[5m]) > 0",
            "15m",
            "warning",
            "Remote write from {{ $labels.cluster }} fails",
            "The metrics store rejects or cannot take samples.",
        ),
        _alert(
            "StackyardAgentWALGrowing",
            "deriv(prometheus_tsdb_wal_storage_size_bytes[3h]) > 0"
            f" and on (cluster, job, instance) {LAG_RECORD} > 600",
            "30m",
            "warning",
            "The WAL of {{ $labels.cluster }}'s agent keeps growing",
            "Remote write cannot drain the WAL; check its volume's free space (contract C2).",
        ),
    ]
    return {"name": "stackyard.contract-c2", "interval": "1m", "rules": rules}


def _c3_rules(context: RenderContext) -> Manifest:
    refresh = context.platform.secrets.refreshInterval
    rules = [
        _alert(
            "StackyardExternalSecretSyncErrors",
            "sum by (cluster, namespace, name)"
            " (increase(externalsecret_sync_calls_error[15m])) > 0",
            "15m",
            "warning",
            "ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} fails to sync",
            f"Its Secret keeps the last synced value (contract C3) but will not see changes; "
            f"values may be up to {refresh} old already.",
        ),
        _alert(
            "StackyardExternalSecretNotReady",
            "max by (cluster, namespace, name)"
            ' (externalsecret_status_condition{condition="Ready",status="False"}) == 1',
            "30m",
            "warning",
            "ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} is not ready",
            "Check the ClusterSecretStore vault and Vault's availability.",
        ),
    ]
    return {"name": "stackyard.contract-c3", "interval": "1m", "rules": rules}


def contract_rules(context: RenderContext) -> Manifest | None:
    """C2 and C3 alerts for the components the plan runs, or None."""
    groups = []
    if context.clusters_running("prometheus-agent"):
        groups.append(_c2_rules(context))
    if context.clusters_running("external-secrets"):
        groups.append(_c3_rules(context))
    if not groups:
        return None
    scope = {f"{LABEL_PREFIX}/rule-scope": "fleet"}
    return _rule_object(context, "platform-contracts", groups, scope)


def observability_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """PrometheusRules on the clusters that run Prometheus in full mode."""
    if not cluster.has("prometheus"):
        return
    objects = [golden_signals(context), slo_rules(context, cluster)]
    contracts = contract_rules(context)
    if contracts is not None:
        objects.append(contracts)
    yield Placed("prometheus", "alert-rules.yaml", [in_wave(o, AFTER_CHART) for o in objects])
