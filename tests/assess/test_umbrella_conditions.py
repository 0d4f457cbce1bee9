"""Umbrella chart dependencies switched by ``condition`` and ``tags``, as Helm decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess.inputs import RepositoryIndex, index_repository
from stackyard.assess.model import Notice

CHART = """\
apiVersion: v2
name: platform
version: 1.0.0
dependencies:
  - name: kube-prometheus-stack
    version: 65.1.1
    repository: https://prometheus-community.github.io/helm-charts
    condition: monitoring.enabled,kube-prometheus-stack.enabled
  - name: loki-stack
    alias: logs
    version: 2.10.2
    repository: https://grafana.github.io/helm-charts
    condition: logs.enabled
  - name: velero
    version: 7.2.1
    repository: https://vmware-tanzu.github.io/helm-charts
    tags:
      - backup
  - name: minio
    version: 5.2.0
    repository: https://charts.min.io
    condition: minio.enabled
    tags:
      - backup
"""
VALUES = """\
tags:
  backup: false
kube-prometheus-stack:
  enabled: false
  grafana:
    enabled: true
logs:
  enabled: true
  loki:
    resources:
      requests:
        cpu: 100m
velero:
  resources:
    requests:
      cpu: 50m
minio:
  enabled: true
"""
# The release's value file, merged over the chart's values.yaml: logging off.
PRODUCTION = """\
logs:
  enabled: false
"""
APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: platform
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/platform.git
    targetRevision: main
    path: charts/platform
    helm:
      valueFiles:
        - values-production.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: platform
"""


def _index(
    root: Path, files: dict[str, str], notices: list[Notice] | None = None
) -> RepositoryIndex:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return index_repository(root, [] if notices is None else notices)


@pytest.fixture
def index(tmp_path: Path) -> RepositoryIndex:
    """The umbrella, installed by an Application with a production value file."""
    return _index(
        tmp_path,
        {
            "charts/platform/Chart.yaml": CHART,
            "charts/platform/values.yaml": VALUES,
            "charts/platform/values-production.yaml": PRODUCTION,
            "apps/platform.yaml": APPLICATION,
        },
    )


def test_a_dependency_switched_off_by_the_release_values_is_not_installed(
    index: RepositoryIndex,
) -> None:
    # values.yaml says logs.enabled: true; the release's value file turns it off, and
    # Helm decides on the merged values: no Loki, and no Promtail by loki-stack's default.
    assert index.values("loki-stack") == []
    assert index.values("promtail") == []
    release = next(r for r in index.releases if r.name == "platform")
    # Loki's requests were the only ones written (Velero's are switched off by its tag).
    assert release.summary.requests is None


def test_the_first_condition_path_that_resolves_decides(index: RepositoryIndex) -> None:
    # monitoring.enabled is not set; kube-prometheus-stack.enabled: false decides, so
    # its Grafana block does not make Grafana installed.
    assert index.values("kube-prometheus-stack") == []
    assert index.values("grafana") == []


def test_tags_switch_off_and_a_condition_overrides_them(index: RepositoryIndex) -> None:
    assert index.values("velero") == []  # tags.backup: false
    assert [s.chart for s in index.values("minio")] == ["minio"]  # minio.enabled: true wins


def test_a_dependency_left_on_keeps_its_values(tmp_path: Path) -> None:
    index = _index(
        tmp_path,
        {
            "charts/platform/Chart.yaml": CHART,
            "charts/platform/values.yaml": VALUES.replace("backup: false", "backup: true"),
            "apps/platform.yaml": APPLICATION.replace("values-production.yaml", "values.yaml"),
        },
    )
    assert [s.chart for s in index.values("loki-stack")] == ["loki-stack"]
    assert [s.chart for s in index.values("promtail")] == ["promtail"]  # loki-stack's default
    assert [s.chart for s in index.values("velero")] == ["velero"]


def test_a_condition_known_only_at_run_time_is_said_and_read_as_installed(
    tmp_path: Path,
) -> None:
    notices: list[Notice] = []
    index = _index(
        tmp_path,
        {
            "charts/platform/Chart.yaml": CHART,
            "charts/platform/values.yaml": VALUES.replace(
                "logs:\n  enabled: true", "logs:\n  enabled: '${LOGGING_ENABLED}'"
            ),
            "apps/platform.yaml": APPLICATION.replace("values-production.yaml", "values.yaml"),
        },
        notices,
    )
    assert [s.chart for s in index.values("loki-stack")] == ["loki-stack"]
    said = [n for n in notices if "logs.enabled" in n.message]
    assert said == [
        Notice(
            "charts/platform/values.yaml",
            "line 8: logs of chart platform: condition logs.enabled is known only at run "
            "time; read as Helm's default (installed) (platform)",
        )
    ]
