"""Files written as templates are read with lines kept and templated values unknown."""

from __future__ import annotations

from pathlib import Path

from stackyard.assess.inputs import index_repository
from stackyard.assess.inputs.templating import untemplate
from stackyard.assess.model import Notice
from tests.assess.maturity.conftest import write_files

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ cookiecutter.project_slug }}-grafana
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${{ values.repoUrl }}
    chart: grafana
    targetRevision: 8.5.1
{% if cookiecutter.sso == "yes" %}
    helm:
      values: |
        replicas: {{ cookiecutter.grafana_replicas }}
        grafana.ini:
          auth.generic_oauth:
            enabled: true
{% endif %}
  destination:
    server: https://kubernetes.default.svc
    namespace: <NAMESPACE>
  syncPolicy:
    automated:
      selfHeal: true
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ cookiecutter.name }}
  namespace: web
spec:
  replicas: {{ cookiecutter.replicas }}
  template:
    spec:
      containers:
        - name: web
          image: "nginx:{{ cookiecutter.nginx_tag }}"
          resources:
            requests:
              cpu: {{ cookiecutter.cpu }}
              memory: {{ cookiecutter.memory }}
"""


def test_a_cookiecutter_application_is_read_with_exact_lines(tmp_path: Path) -> None:
    notices: list[Notice] = []
    index = index_repository(write_files(tmp_path, {"apps/grafana.yaml": APPLICATION}), notices)
    (release,) = index.releases
    assert release.name == "TEMPLATE-grafana"
    hit = release.self_heal
    assert hit is not None and hit.value is True and hit.evidence.line == 25
    assert [n.message for n in notices] == [
        "read as a template (cookiecutter, Backstage, Jinja): 3 placeholder values unknown "
        "(not counted); 2 template logic lines ignored"
    ]
    # Inside the conditional block, read as if it held; the templated replicas are unknown.
    (layer,) = release.inline
    assert layer.get("grafana.ini", "auth.generic_oauth", "enabled") is True
    assert layer.get("replicas") is None
    assert layer.evidence("grafana.ini").line == 16


def test_templated_settings_are_unknown_never_counted(tmp_path: Path) -> None:
    notices: list[Notice] = []
    index = index_repository(write_files(tmp_path, {"web.yaml": DEPLOYMENT}), notices)
    (workload,) = index.workloads
    assert workload.ref == "Deployment/web/TEMPLATE"
    assert workload.replicas == 1  # unknown, as if unset: not a declared count
    (container,) = workload.containers
    assert container.requests is False  # cpu and memory were placeholders
    assert container.image == "nginx:TEMPLATE"
    assert container.image_evidence.line == 12


def test_untemplating_keeps_every_line() -> None:
    for text in (APPLICATION, DEPLOYMENT, "{# a\ncomment #}\nkey: {{ x }}\n"):
        assert untemplate(text).text.count("\n") == text.count("\n")


def test_a_file_that_parses_is_read_as_written(tmp_path: Path) -> None:
    """Quoted Argo CD templating is the engine's own; it is not replaced."""
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: addons\n"
        "spec:\n  template:\n    metadata:\n      name: '{{.values.addonChart}}'\n"
    )
    notices: list[Notice] = []
    index = index_repository(write_files(tmp_path, {"appset.yaml": appset}), notices)
    (obj,) = index.of_kind("ApplicationSet")
    assert obj.get("spec", "template", "metadata", "name") == "{{.values.addonChart}}"
    assert notices == []


def test_a_bomb_behind_template_syntax_is_still_refused(tmp_path: Path) -> None:
    bomb = "name: {{ cookiecutter.name }}\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 10):
        bomb += (
            f"{chr(97 + level)}: &{chr(97 + level)} ["
            + ", ".join([f"*{chr(96 + level)}"] * 9)
            + "]\n"
        )
    notices: list[Notice] = []
    index = index_repository(write_files(tmp_path, {"bomb.yaml": bomb}), notices)
    assert [n.message.split(":")[0] for n in notices] == ["unsafe YAML, file skipped"]
    assert index.stats["documents"] == 0
