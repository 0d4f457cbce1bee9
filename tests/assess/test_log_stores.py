"""Log pipelines other than Loki: VictoriaLogs with its collector, installed by Flux.

Written in the style of a Flux homelab (a HelmRelease with ``chartRef`` to an
OCIRepository per chart), not copied from one.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory


def release(name: str, chart: str, version: str) -> str:
    """A Flux HelmRelease and the OCIRepository it takes its chart from."""
    return f"""\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
spec:
  interval: 15m
  ref:
    tag: {version}
  url: oci://ghcr.io/victoriametrics/helm-charts/{chart}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: {name}
"""


def test_victoria_logs_and_its_collector_are_a_log_pipeline(tmp_path: Path) -> None:
    files = {
        "apps/o11y/victoria-logs/app/helmrelease.yaml": release(
            "victoria-logs", "victoria-logs-single", "0.11.0"
        ),
        "apps/o11y/victoria-logs/collector/helmrelease.yaml": release(
            "victoria-logs-collector", "victoria-logs-collector", "0.2.0"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assessment = assess_directory(tmp_path, workers=0)
    logs = next(c for a in assessment.areas for c in a.controls if c.control == "OBS-LOGS")
    assert logs.status == "achieved", logs.detail
    assert sorted(e.file for e in logs.evidence) == sorted(files)
