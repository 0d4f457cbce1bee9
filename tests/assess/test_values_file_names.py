"""Values files named after their role, in a folder named after their chart.

Written in the style of a reference implementation that installs Argo CD with a
bootstrap script (``helm upgrade --install ... -f platform/argocd/helm-values.yaml``)
and Keycloak from an Application, not copied from one.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import control

BOOTSTRAP = """\
#!/usr/bin/env bash
set -euo pipefail
helm upgrade --install argocd argo/argo-cd --namespace argocd --create-namespace \\
  -f platform/argocd/helm-values.yaml
"""
ARGOCD_VALUES = """\
configs:
  params:
    server.insecure: true
  cm:
    url: https://argocd.platform.example
    oidc.config: |
      name: Keycloak
      issuer: https://keycloak.platform.example/realms/platform
      clientID: argocd
      requestedScopes: [openid, profile, email, groups]
"""
KEYCLOAK = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: keycloak
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://charts.bitnami.com/bitnami
    chart: keycloak
    targetRevision: 21.4.4
  destination:
    server: https://kubernetes.default.svc
    namespace: keycloak
"""


def test_helm_values_in_the_argocd_folder_configure_argo_cd(tmp_path: Path) -> None:
    files = {
        "scripts/bootstrap.sh": BOOTSTRAP,
        "platform/argocd/helm-values.yaml": ARGOCD_VALUES,
        "platform/keycloak/application.yaml": KEYCLOAK,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")

    assessment = assess_directory(tmp_path)

    # Before, only values*.yaml fell back to the folder's chart: the OIDC login of Argo
    # CD was not read and Identity rated one level low.
    wired = control(assessment, "SSO-WIRED")
    assert wired.status == "achieved"
    assert wired.evidence == (
        Evidence("platform/argocd/helm-values.yaml", 6, 10, "cm.oidc.config: name: Keycloak ..."),
    )
