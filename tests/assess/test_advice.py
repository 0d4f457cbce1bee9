"""Roadmap advice speaks the distribution, GitOps engine and provider the repository shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackyard.assess import Assessment
from stackyard.assess.inputs.platform import PlatformContext, dimension_of
from stackyard.assess.maturity import load_model
from tests.assess.maturity.conftest import assess_files

TALOS = """\
version: v1alpha1
machine:
  type: controlplane
  token: abc.def
cluster:
  clusterName: home
  network:
    cni:
      name: none
  controlPlane:
    endpoint: https://10.0.0.10:6443
"""
KUBEADM = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: lab
networking:
  podSubnet: 10.100.0.0/16
"""
FLUX_SOURCE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  url: https://github.com/example/home-ops
  ref:
    branch: main
"""
FLUX_APP = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 30m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
  values:
    replicaCount: 2
"""
METALLB_POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses: [192.168.1.240-192.168.1.250]
"""
AWS_TF = """\
provider "aws" {
  region = "eu-west-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
"""

RKE2_WORDS = re.compile(
    r"etcd-snapshot-schedule-cron|etcd-s3|kube-apiserver-arg|\bRKE2\b|profile: cis"
)
ARGO_WORDS = re.compile(
    r"syncPolicy|selfHeal|ApplicationSet|AppProject|configs\.cm|Argo CD|Argo Rollouts"
    r"|AnalysisTemplate"
)
AWS_WORDS = re.compile(r"\bAWS\b|awskms|\bENI\b|\bECR\b|\bEBS\b|VPC CNI")


def roadmap_text(assessment: Assessment) -> str:
    return "\n".join(
        f"{r.control}: {r.title} | {r.reason} | {r.next_step}" for r in assessment.roadmap
    )


def step(assessment: Assessment, control: str) -> str:
    return next(r.next_step for r in assessment.roadmap if r.control == control)


def leaks(pattern: re.Pattern[str], assessment: Assessment) -> list[str]:
    return [line for line in roadmap_text(assessment).splitlines() if pattern.search(line)]


def test_a_talos_repository_is_told_talos_steps_and_no_rke2_key(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"talos/controlplane.yaml": TALOS})
    assert assessment.distributions == ("talos",)
    assert "talosctl etcd snapshot" in step(assessment, "DR-ETCD-SNAPSHOT")
    assert "talos-backup" in step(assessment, "DR-ETCD-SNAPSHOT")
    assert "cluster.apiServer.extraArgs" in step(assessment, "SSO-KUBE-API")
    assert leaks(RKE2_WORDS, assessment) == []


def test_a_kubeadm_repository_is_told_kubeadm_steps_and_no_rke2_key(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"cluster/kubeadm.yaml": KUBEADM})
    assert assessment.distributions == ("kubeadm",)
    assert step(assessment, "DR-ETCD-SNAPSHOT").startswith("Run etcdctl snapshot save")
    assert "ClusterConfiguration" in step(assessment, "POL-PSA")
    assert leaks(RKE2_WORDS, assessment) == []


def test_a_flux_repository_is_told_flux_steps_and_no_argo_cd_key(tmp_path: Path) -> None:
    assessment = assess_files(
        tmp_path,
        {
            "kubernetes/flux/repo.yaml": FLUX_SOURCE,
            "kubernetes/apps/podinfo/helmrelease.yaml": FLUX_APP,
        },
    )
    assert assessment.engines == ("flux",)
    assert assessment.as_dict()["gitopsEngines"] == ["flux"]
    assert "driftDetection" in step(assessment, "GITOPS-SELF-HEAL")
    assert "Flagger" in step(assessment, "CICD-PROGRESSIVE")
    assert "HelmRelease" in step(assessment, "RM-LIMITS-ALL")
    assert leaks(ARGO_WORDS, assessment) == []


def test_a_helmrelease_without_drift_detection_does_not_revert_drift(tmp_path: Path) -> None:
    # helm-controller reverts in-cluster changes only with spec.driftDetection.mode: enabled.
    plain = assess_files(tmp_path / "plain", {"app.yaml": FLUX_APP})
    heal = next(c for c in plain.area("gitops-iac").controls if c.control == "GITOPS-SELF-HEAL")
    assert heal.status == "partial"
    assert "without driftDetection: podinfo" in heal.detail
    drift = "  interval: 30m\n  driftDetection:\n    mode: enabled\n"
    enabled = FLUX_APP.replace("  interval: 30m\n", drift)
    healed = assess_files(tmp_path / "enabled", {"app.yaml": enabled})
    heal = next(c for c in healed.area("gitops-iac").controls if c.control == "GITOPS-SELF-HEAL")
    assert heal.status == "achieved"
    assert [(e.file, e.line) for e in heal.evidence] == [("app.yaml", 9)]


def test_on_premises_and_aws_repositories_get_their_own_provider_steps(tmp_path: Path) -> None:
    onprem = assess_files(tmp_path / "onprem", {"infra/metallb/pool.yaml": METALLB_POOL})
    assert onprem.providers == ("onprem",)
    assert "transit" in step(onprem, "SEC-AUTO-UNSEAL")
    assert leaks(AWS_WORDS, onprem) == []
    aws = assess_files(tmp_path / "aws", {"infra/main.tf": AWS_TF})
    assert aws.providers == ("aws",)
    assert aws.as_dict()["providers"] == ["aws"]
    assert 'seal "awskms"' in step(aws, "SEC-AUTO-UNSEAL")


def test_a_repository_that_says_nothing_gets_neutral_advice(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"README.md": "# nothing here\n"})
    assert (assessment.distributions, assessment.engines, assessment.providers) == ((), (), ())
    assert step(assessment, "GITOPS-SELF-HEAL").startswith("Let the GitOps controller revert drift")


def test_every_per_term_step_stays_within_one_dimension() -> None:
    steps = [c.next_step_for for a in load_model().areas for c in a.controls if c.next_step_for]
    assert steps, "no per-term step in the model: the check would prove nothing"
    for step_for in steps:
        dimension_of(step_for)  # raises when a step mixes dimensions


def test_mixed_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="more than one dimension"):
        dimension_of({"talos": "a", "flux": "b"})


def test_several_engines_each_get_their_step_named() -> None:
    context = PlatformContext(engines=("argocd", "flux"))
    text = context.choose({"argocd": "sync it", "flux": "reconcile it"}, "neutral")
    assert text == "Argo CD: sync it Flux: reconcile it"
