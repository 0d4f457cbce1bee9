"""A generator's own ``template`` is merged over the ApplicationSet's, as Argo CD does."""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.inputs import index_repository
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import control

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: addons
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - name: grafana
          - name: loki
    - list:
        elements:
          - name: velero
        template:
          metadata: {}
          spec:
            source:
              path: 'critical/{{.name}}'
            syncPolicy:
              automated:
                selfHeal: true
  template:
    metadata:
      name: '{{.name}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/platform.git
        targetRevision: main
        path: 'addons/{{.name}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{.name}}'
      syncPolicy:
        automated:
          prune: true
"""


def test_a_generator_template_overrides_the_set_template_for_its_applications(
    tmp_path: Path,
) -> None:
    # Once ignored: every application took the set's template, 0 of 3 healed.
    (tmp_path / "appset.yaml").write_text(APPSET)
    assessment = assess_directory(tmp_path)
    heal = control(assessment, "GITOPS-SELF-HEAL")
    assert heal.detail.startswith("automated sync with selfHeal on 1 of 3 applications"), heal
    # Cited where the generator's template writes it, not at the set's template.
    assert heal.evidence == (Evidence("appset.yaml", 23, 23, "automated.selfHeal: true"),)
    velero = next(u for u in heal.units if u.name == "velero")
    assert velero.counted
    assert not any("own template" in n.message for n in assessment.notices)


def test_the_merged_template_keeps_the_set_fields_the_generator_does_not_write(
    tmp_path: Path,
) -> None:
    (tmp_path / "appset.yaml").write_text(APPSET)
    index = index_repository(tmp_path, [])
    paths = {r.name: r.sources[0].path for r in index.releases if r.application_set}
    assert paths == {
        "grafana": "addons/grafana",
        "loki": "addons/loki",
        "velero": "critical/velero",
    }
    velero = next(r for r in index.releases if r.name == "velero")
    # The repository URL and the name come from the set's template, cited there; the
    # ``automated`` block the generator writes is cited at the generator.
    assert velero.sources[0].repo_url == "https://git.example.com/platform.git"
    assert velero.evidence.line == 26
    assert velero.automated is not None and velero.automated.evidence.line == 22
