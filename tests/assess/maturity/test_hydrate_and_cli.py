"""--charts renders releases with Helm; the command prints a table or the JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import helm_python as helm
import pytest

from stackyard.app import AssessRequest
from stackyard.assess import assess_directory
from stackyard.assess.model import SCHEMA_VERSION, Evidence
from stackyard.cli.commands.assess import AssessOutput, assess_command
from tests.assess.maturity.conftest import SEED001, WriteTree, control
from tests.assess.maturity.test_count_units import broken_promises

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  destination:
    namespace: shop
  source:
    chart: webapp
    repoURL: https://charts.example.com
    helm:
      valuesObject:
        replicaCount: 2
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {memory: 128Mi}
"""


def test_releases_with_local_charts_are_rendered_and_indexed(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    charts = tmp_path / "charts"
    charts.mkdir()
    helm.Chart.create("webapp", charts).close()
    root = write_tree(
        {"apps/web.yaml": APPLICATION, "apps/vault.yaml": APPLICATION.replace("webapp", "vault")}
    )
    assessment = assess_directory(root, charts)
    assert assessment.stats["hydrated"] == 1
    assert any(
        "not hydrated, chart not in the charts folder: vault" in n.message
        for n in assessment.notices
    )
    limits = control(assessment, "RM-LIMITS-ALL")
    assert "1 of 1 workloads" in limits.detail  # the rendered Deployment carries the values
    rendered = [e for e in limits.evidence if "Deployment" in e.text]
    assert rendered == [
        Evidence(
            "apps/web.yaml",
            1,
            16,
            "Deployment web-webapp (rendered: web:webapp/templates/deployment.yaml)",
        )
    ]


def test_a_missing_charts_folder_is_an_input_error(tmp_path: Path) -> None:
    from stackyard.errors import InputError

    with pytest.raises(InputError, match="charts directory not found"):
        assess_directory(tmp_path, tmp_path / "nope")


def test_text_output_shows_areas_level_and_roadmap(capsys: pytest.CaptureFixture[str]) -> None:
    assert assess_command(SEED001, AssessRequest()) == 0
    out = capsys.readouterr().out
    assert "Disaster recovery" in out and "DR-ETCD-SNAPSHOT" in out
    assert "CNCF Cloud Native Maturity Model level: Scale" in out


def test_json_output_is_the_versioned_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert assess_command(SEED001, AssessRequest(), AssessOutput.json) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == SCHEMA_VERSION and data["level"] == "Scale"
    areas = {a["id"]: a["rating"] for a in data["areas"]}
    assert areas["disaster-recovery"] == 2
    assert data["roadmap"][0]["control"] == "DR-ETCD-SNAPSHOT"


def test_a_rendered_release_is_counted_by_its_workloads_not_also_by_its_values(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    charts = tmp_path / "charts"
    charts.mkdir()
    helm.Chart.create("webapp", charts).close()
    vault = APPLICATION.replace("webapp", "vault").replace("name: web", "name: vault")
    root = write_tree({"apps/web.yaml": APPLICATION, "apps/vault.yaml": vault})
    limits = control(assess_directory(root, charts), "RM-LIMITS-ALL")
    # web is rendered: its Deployment is the one unit for it; vault's chart is not in the
    # folder, so its values are all there is to count it by.
    assert limits.detail == "limits on 1 of 1 applications and 1 of 1 workloads"
    assert [(u.name, u.counted) for u in limits.units] == [
        ("vault", True),
        ("Deployment//web-webapp", True),
    ]
    assert broken_promises(limits) == []
