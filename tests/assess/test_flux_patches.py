"""Drift detection a Flux Kustomization patches into every HelmRelease it applies."""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import control, write_files

# The home-ops pattern: the root Kustomization gives every child Kustomization a
# ``spec.patches`` that switches drift detection on for the HelmReleases it applies.
ROOT = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  driftDetection:
                    mode: enabled
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
"""
CHILD = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps/{name}/app
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  labels:
    tier: {tier}
spec:
  interval: 1h
  chart:
    spec:
      chart: {name}
      sourceRef:
        kind: HelmRepository
        name: charts
"""
# A Kustomization that patches its own HelmReleases directly, selected by label.
DIRECT = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: platform
  namespace: flux-system
spec:
  interval: 1h
  path: ./platform
  patches:
    - patch: |
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: any
        spec:
          driftDetection:
            mode: enabled
      target:
        kind: HelmRelease
        labelSelector: tier=core
"""


def test_a_root_kustomization_gives_every_child_helmrelease_drift_detection(
    tmp_path: Path,
) -> None:
    # Once read as "drift reverted on 2 of 4 applications": the patch was not read.
    repo = write_files(
        tmp_path,
        {
            "kubernetes/flux/cluster/ks.yaml": ROOT,
            "kubernetes/apps/echo/ks.yaml": CHILD.format(name="echo"),
            "kubernetes/apps/echo/app/helmrelease.yaml": RELEASE.format(name="echo", tier="apps"),
            "kubernetes/apps/blog/ks.yaml": CHILD.format(name="blog"),
            "kubernetes/apps/blog/app/helmrelease.yaml": RELEASE.format(name="blog", tier="apps"),
        },
    )
    heal = control(assess_directory(repo), "GITOPS-SELF-HEAL")
    assert heal.status == "achieved", heal
    assert heal.detail == "drift reverted on 5 of 5 applications"
    patch_line = Evidence("kubernetes/flux/cluster/ks.yaml", 28, 28, "driftDetection.mode: enabled")
    assert patch_line in heal.evidence


def test_a_patch_reaches_only_the_helmreleases_its_target_selects(tmp_path: Path) -> None:
    repo = write_files(
        tmp_path,
        {
            "clusters/main/platform.yaml": DIRECT,
            "platform/cilium/helmrelease.yaml": RELEASE.format(name="cilium", tier="core"),
            "platform/blog/helmrelease.yaml": RELEASE.format(name="blog", tier="apps"),
            # Outside the Kustomization's path: not built by it, not patched.
            "other/grafana/helmrelease.yaml": RELEASE.format(name="grafana", tier="core"),
        },
    )
    heal = control(assess_directory(repo), "GITOPS-SELF-HEAL")
    healed = sorted(u.name for u in heal.units if u.counted)
    assert healed == ["cilium", "platform"]
    assert Evidence("clusters/main/platform.yaml", 17, 17, "driftDetection.mode: enabled") in (
        heal.evidence
    )
