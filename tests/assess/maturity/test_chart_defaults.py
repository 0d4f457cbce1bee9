"""Verdicts know what a chart does when its values say nothing, and where it reads resources."""

from __future__ import annotations

from pathlib import Path

import helm_python as helm

from stackyard.assess import assess_directory
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import WriteTree, control


def application(name: str, chart: str, values: str = "", version: str = "1.0.0") -> str:
    """An Argo CD Application of ``chart`` with inline ``valuesObject`` (indented YAML)."""
    helm = f"    helm:\n      valuesObject:\n{values}" if values else ""
    return (
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Application\n"
        f"metadata:\n  name: {name}\n"
        "spec:\n"
        f"  destination:\n    namespace: {name}\n"
        "  source:\n"
        f"    chart: {chart}\n"
        "    repoURL: https://charts.example.com\n"
        f"    targetRevision: {version}\n"
        f"{helm}"
    )


def test_loki_stack_ships_promtail_by_chart_default(write_tree: WriteTree) -> None:
    root = write_tree({"apps/loki.yaml": application("loki", "loki-stack", version="2.10.2")})
    logs = control(assess_directory(root), "OBS-LOGS")
    assert logs.status == "achieved", logs
    assert (
        Evidence(
            "apps/loki.yaml",
            1,
            11,
            "promtail by chart default (loki-stack 2.10.2: promtail.enabled not set)",
        )
        in logs.evidence
    )


def test_loki_stack_without_promtail_has_no_agent(write_tree: WriteTree) -> None:
    values = (
        "        promtail:\n          enabled: false\n        grafana:\n          enabled: false\n"
    )
    root = write_tree({"apps/loki.yaml": application("loki", "loki-stack", values, "2.10.2")})
    assessment = assess_directory(root)
    assert control(assessment, "OBS-LOGS").status == "partial"
    assert control(assessment, "OBS-GRAFANA").status == "missing"  # a switched-off block


def test_a_release_pinned_outside_the_facts_range_gets_no_default(write_tree: WriteTree) -> None:
    root = write_tree({"apps/loki.yaml": application("loki", "loki-stack", version="3.0.0")})
    assert control(assess_directory(root), "OBS-LOGS").status == "partial"


def test_kube_prometheus_stack_runs_grafana_and_alertmanager_by_default(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {"apps/kps.yaml": application("kps", "kube-prometheus-stack", version="88.5.3")}
    )
    assessment = assess_directory(root)
    for control_id in ("OBS-GRAFANA", "OBS-ALERTING"):
        verdict = control(assessment, control_id)
        assert verdict.status == "achieved", verdict
        assert any(
            "by chart default (kube-prometheus-stack 88.5.3" in e.text for e in verdict.evidence
        )


def test_hydration_wins_over_chart_defaults(write_tree: WriteTree, tmp_path: Path) -> None:
    # A chart called loki-stack that renders only helm create's nginx Deployment: with
    # --charts, what it renders is the truth, so no Promtail is assumed.
    charts = tmp_path / "charts"
    charts.mkdir()
    helm.Chart.create("loki-stack", charts).close()
    root = write_tree({"apps/loki.yaml": application("loki", "loki-stack", version="2.10.2")})
    hydrated = assess_directory(root, charts)
    assert hydrated.stats["hydrated"] == 1
    assert control(hydrated, "OBS-LOGS").status == "partial"
    assert control(assess_directory(root), "OBS-LOGS").status == "achieved"


def test_a_charts_own_cpu_memory_shape_counts_as_requests_and_limits(
    write_tree: WriteTree,
) -> None:
    standard = (
        "        resources:\n          requests: {cpu: 10m}\n          limits: {memory: 64Mi}\n"
    )
    own = "        shop:\n          resources:\n            cpu: 100m\n            memory: 128Mi\n"
    root = write_tree(
        {
            "apps/a.yaml": application("a", "podinfo", standard),
            "apps/b.yaml": application("b", "shop", own),
        }
    )
    assessment = assess_directory(root)
    for control_id in ("RM-REQUESTS-ALL", "RM-LIMITS-ALL"):
        verdict = control(assessment, control_id)
        assert verdict.status == "achieved", verdict
        assert "2 of 2 applications" in verdict.detail
    assert (
        Evidence(
            "apps/b.yaml",
            15,
            17,
            "shop.resources: — cpu/memory: the chart's own shape, requests and limits",
        )
        in control(assessment, "RM-LIMITS-ALL").evidence
    )


def test_bitnami_nginx_ingress_controller_is_an_ingress_with_preset_resources(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {"apps/ingress.yaml": application("ingress", "nginx-ingress-controller", version="11.6.0")}
    )
    assessment = assess_directory(root)
    assert control(assessment, "NET-INGRESS").status == "achieved"
    limits = control(assessment, "RM-LIMITS-ALL")
    assert limits.status == "achieved"
    assert limits.evidence[0].text == (
        "ingress: requests and limits by chart default (nginx-ingress-controller 11.6.0)"
    )


def test_resources_preset_none_turns_the_chart_default_off(write_tree: WriteTree) -> None:
    values = "        resourcesPreset: none\n"
    root = write_tree(
        {"apps/ingress.yaml": application("ingress", "nginx-ingress-controller", values, "11.6.0")}
    )
    assert control(assess_directory(root), "RM-LIMITS-ALL").status == "missing"


DIGEST = "sha256:" + "a" * 64


def test_digests_pinned_in_values_are_counted_by_every_image_control(
    write_tree: WriteTree,
) -> None:
    values = (
        f"        image:\n          tag: 1.2.3@{DIGEST}\n"
        "        sidecar:\n          image:\n            repository: x/y\n"
        f"            digest: {DIGEST}\n"
        f"        exporter:\n          image: ghcr.io/x/exporter:0.9@{DIGEST}\n"
    )
    root = write_tree({"apps/a.yaml": application("a", "podinfo", values)})
    assessment = assess_directory(root)
    digests = control(assessment, "SC-DIGESTS")
    assert digests.status == "achieved", digests
    assert digests.detail == "3 of 3 images pinned by digest"
    assert control(assessment, "SC-PINNED-TAGS").detail == (
        "no :latest or untagged images among 3 image references"
    )
    assert [e.line for e in digests.evidence] == [15, 19, 21]


VOLSYNC = """\
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata:
  name: data
spec:
  sourcePVC: data
  trigger:
    schedule: "0 3 * * *"
  kopia:
    repository: data-kopia
"""
K10 = """\
apiVersion: config.kio.kasten.io/v1alpha1
kind: Policy
metadata:
  name: daily
  namespace: kasten-io
spec:
  frequency: '@daily'
  actions:
    - action: backup
    - action: export
      exportParameters:
        profile: {name: s3, namespace: kasten-io}
"""


def test_kopia_based_backup_tools_count_as_off_cluster_backups(write_tree: WriteTree) -> None:
    root = write_tree({"backup/volsync.yaml": VOLSYNC, "backup/k10.yaml": K10})
    assessment = assess_directory(root)
    volumes = control(assessment, "DR-PV-BACKUP")
    assert volumes.status == "achieved"
    assert Evidence("backup/volsync.yaml", 9, 10, "kopia: — ReplicationSource data") in (
        volumes.evidence
    )
    assert (
        Evidence("backup/k10.yaml", 10, 12, "action: export — K10 Policy daily") in volumes.evidence
    )
    objects = control(assessment, "DR-VELERO")
    assert objects.status == "achieved"
    assert objects.evidence == (
        Evidence("backup/k10.yaml", 9, 9, "action: backup — K10 Policy daily"),
    )


def test_a_kopia_repository_on_a_pvc_is_not_off_the_cluster(write_tree: WriteTree) -> None:
    local = VOLSYNC.replace("repository: data-kopia", "repositoryPVC: backups")
    root = write_tree({"backup/volsync.yaml": local})
    assert control(assess_directory(root), "DR-PV-BACKUP").status == "missing"
