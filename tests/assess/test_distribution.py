"""The roadmap speaks the distribution the repository bootstraps, and none other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.model import Distribution

KUBEADM = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: lab
networking:
  podSubnet: 10.100.0.0/16
"""
RANCHER_CONFIG = """\
token-file: /var/lib/cluster-token
tls-san: [api.lab.example]
etcd-snapshot-retention: 5
"""
TALOS = """\
version: v1alpha1
machine:
  type: controlplane
  token: abc.def
cluster:
  clusterName: lab
  controlPlane:
    endpoint: https://10.0.0.1:6443
"""
TALOS_SCRIPT = "#!/bin/sh\ntalosctl apply-config --insecure --nodes 10.0.0.2 --file cp.yaml\n"

FIXTURES: dict[str, tuple[dict[str, str], tuple[Distribution, ...]]] = {
    "kubeadm-config": ({"clusters/lab/kubeadm.yaml": KUBEADM}, ("kubeadm",)),
    "kubeadm-script": (
        {"scripts/join.sh": "#!/bin/sh\nkubeadm join --config /etc/join.yaml\n"},
        ("kubeadm",),
    ),
    "rke2-by-path": ({"nodes/rke2/config.yaml": RANCHER_CONFIG}, ("rke2",)),
    "rke2-by-key": (
        {"nodes/cloud-init/server.yaml": RANCHER_CONFIG + "cni: cilium\n"},
        ("rke2",),
    ),
    "k3s-by-path": ({"nodes/k3s/config.yaml": RANCHER_CONFIG}, ("k3s",)),
    "k3s-by-installer": (
        {"scripts/install.sh": "curl -sfL https://get.k3s.io | INSTALL_K3S_EXEC=server sh -\n"},
        ("k3s",),
    ),
    "talos-machine-config": ({"talos/controlplane.yaml": TALOS}, ("talos",)),
    "talos-cli": ({"scripts/apply.sh": TALOS_SCRIPT}, ("talos",)),
    "fleet": (
        {"a/kubeadm.yaml": KUBEADM, "b/rke2/config.yaml": RANCHER_CONFIG},
        ("kubeadm", "rke2"),
    ),
    "unknown": ({"apps/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"}, ()),
}
NAMES = {"kubeadm": "kubeadm", "rke2": "rke2", "k3s": "k3s", "talos": "talos"}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def named(assessment: Assessment) -> set[str]:
    """The distributions any roadmap item names, in its reason or its next step."""
    text = " ".join(f"{r.reason} {r.next_step}" for r in assessment.roadmap).lower()
    return {d for d in NAMES if re.search(rf"\b{d}\b", text)}


def step(assessment: Assessment, control: str) -> str:
    return next(r.next_step for r in assessment.roadmap if r.control == control)


@pytest.mark.parametrize("case", sorted(FIXTURES))
def test_the_distribution_is_read_from_the_bootstrap_files(case: str, tmp_path: Path) -> None:
    files, expected = FIXTURES[case]
    assessment = assess_directory(write(tmp_path, files), workers=0)
    assert assessment.distributions == expected
    assert named(assessment) <= set(expected)  # never advice for another distribution


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("kubeadm-config", "apiServer.extraArgs of the kubeadm ClusterConfiguration"),
        ("rke2-by-path", "kube-apiserver-arg in the RKE2 config"),
        ("k3s-by-path", "kube-apiserver-arg in the K3s config"),
        ("talos-machine-config", "cluster.apiServer.extraArgs of the Talos machine"),
        ("unknown", "in the cluster's bootstrap configuration"),
    ],
)
def test_oidc_advice_is_in_the_distributions_own_terms(
    case: str, words: str, tmp_path: Path
) -> None:
    assessment = assess_directory(write(tmp_path, FIXTURES[case][0]), workers=0)
    assert words in step(assessment, "SSO-KUBE-API")


def test_a_fleet_gets_each_distributions_advice_named(tmp_path: Path) -> None:
    assessment = assess_directory(write(tmp_path, FIXTURES["fleet"][0]), workers=0)
    advice = step(assessment, "DR-ETCD-SNAPSHOT")
    assert advice.startswith("kubeadm: Run etcdctl snapshot save")
    assert "RKE2: Set etcd-snapshot-schedule-cron" in advice


def test_a_values_file_with_server_and_token_keys_is_no_rke2_config(tmp_path: Path) -> None:
    # The keys RKE2 and K3s share are common words; without a path, an install path or
    # a key of one distribution only, the file names no distribution.
    values = "server: vault.example\ntoken: abc\ndisable: false\n"
    assessment = assess_directory(write(tmp_path, {"values/app.yaml": values}), workers=0)
    assert assessment.distributions == ()
