"""Which Helm chart a name means, and which sub-chart a key of an umbrella chart feeds.

Repositories name the same chart many ways (``keycloakx`` and ``keycloak``,
``teleport-cluster``, ``mimir-distributed``) and nest charts inside umbrellas
(kube-prometheus-stack carries Grafana's values under ``grafana:``). Detectors ask
for one canonical name — "the grafana values" — and get them wherever they were
written: an Argo CD Application's inline values, a values file, or the ``grafana:``
block of a kube-prometheus-stack release. The tables are explicit data: adding a
chart is adding a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ChartAlias:
    """A canonical chart name, the names it is published or vendored under, its sub-charts."""

    canonical: str
    names: tuple[str, ...] = ()
    subcharts: Mapping[str, str] | None = None  # values key -> canonical chart
    workloads: bool = True  # False for charts that install only policies, CRDs or config


CHARTS: tuple[ChartAlias, ...] = (
    ChartAlias("alertmanager"),
    ChartAlias("alloy", ("grafana-alloy",)),
    ChartAlias("argo-cd", ("argocd", "argo-cd-chart")),
    ChartAlias("argo-rollouts"),
    ChartAlias("backstage"),
    ChartAlias("calico", ("tigera-operator", "rke2-calico")),
    ChartAlias("canal", ("rke2-canal",)),
    ChartAlias("cert-manager"),
    ChartAlias("chaos-mesh"),
    ChartAlias("cilium", ("rke2-cilium",)),
    ChartAlias("dex"),
    ChartAlias("external-secrets"),
    ChartAlias("falco"),
    ChartAlias("flagger"),
    ChartAlias("fluent-bit", ("fluentbit",)),
    ChartAlias("fluentd"),
    ChartAlias("gatekeeper", ("opa-gatekeeper",)),
    ChartAlias("goldilocks"),
    ChartAlias("grafana"),
    ChartAlias("grafana-agent"),
    ChartAlias("harbor"),
    ChartAlias("ingress-nginx", ("nginx-ingress", "rke2-ingress-nginx")),
    ChartAlias("istiod", ("istio",)),
    ChartAlias("jaeger"),
    ChartAlias("keda"),
    ChartAlias("keycloak", ("keycloakx", "keycloak-operator")),
    ChartAlias("kubecost", ("cost-analyzer",)),
    ChartAlias(
        "kube-prometheus-stack",
        ("prometheus-operator",),
        {"grafana": "grafana", "alertmanager": "alertmanager", "prometheus": "prometheus"},
    ),
    ChartAlias("kyverno"),
    ChartAlias("kyverno-policies", workloads=False),
    ChartAlias("litmus", ("litmus-core", "litmuschaos")),
    ChartAlias("loki", ("loki-distributed", "loki-simple-scalable")),
    ChartAlias(
        "loki-stack",
        (),
        {"loki": "loki", "promtail": "promtail", "grafana": "grafana", "fluent-bit": "fluent-bit"},
    ),
    ChartAlias("longhorn"),
    ChartAlias("mimir", ("mimir-distributed",)),
    ChartAlias("opencost"),
    ChartAlias("opentelemetry-collector", ("otel-collector",)),
    ChartAlias("opentelemetry-operator"),
    ChartAlias("policy-controller", ("sigstore-policy-controller",)),
    ChartAlias(
        "prometheus",
        ("prometheus-community-prometheus",),
        {"alertmanager": "alertmanager", "server": "prometheus-server"},
    ),
    ChartAlias("promtail"),
    ChartAlias("rancher"),
    ChartAlias("sealed-secrets"),
    ChartAlias("teleport", ("teleport-cluster",)),
    ChartAlias("teleport-kube-agent"),
    ChartAlias("tempo", ("tempo-distributed",)),
    ChartAlias("thanos"),
    ChartAlias("trivy-operator"),
    ChartAlias("vault"),
    ChartAlias("vector"),
    ChartAlias("velero"),
    ChartAlias("vertical-pod-autoscaler", ("vpa",)),
)

_BY_NAME: dict[str, ChartAlias] = {
    name: alias for alias in CHARTS for name in (alias.canonical, *alias.names)
}


def canonical_chart(name: str) -> str:
    """The canonical name of chart ``name`` (unknown charts keep their own name)."""
    clean = name.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    alias = _BY_NAME.get(clean)
    return alias.canonical if alias else clean


def is_known_chart(name: str) -> bool:
    """Whether ``name`` is a chart the detectors read (after canonicalisation)."""
    return name.strip().lower() in _BY_NAME


def subcharts(canonical: str) -> Mapping[str, str]:
    """Values keys of an umbrella chart that configure another chart, by canonical name."""
    alias = _BY_NAME.get(canonical)
    return (alias.subcharts or {}) if alias else {}


def runs_workloads(canonical: str) -> bool:
    """Whether a chart runs pods (policy-only charts do not, so they set no resources)."""
    alias = _BY_NAME.get(canonical)
    return alias.workloads if alias else True


def chart_from_filename(stem: str) -> str | None:
    """The chart a values file is named after (``grafana``, ``grafana-values``...)."""
    name = stem.lower()
    for prefix in ("values-", "values_", "values."):
        name = name.removeprefix(prefix)
    for suffix in ("-values", "_values", ".values"):
        name = name.removesuffix(suffix)
    return canonical_chart(name) if is_known_chart(name) else None
