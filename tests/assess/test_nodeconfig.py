"""Node settings read from Talos, kubeadm and K3s configuration, and kustomize overlays."""

from __future__ import annotations

from pathlib import Path

from stackyard.assess.inputs import index_repository
from stackyard.assess.model import Notice
from tests.assess.maturity.conftest import assess_files, control, spans, write_files

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
PRIVILEGED_PATCH = """\
cluster:
  apiServer:
    admissionControl:
      - name: PodSecurity
        configuration:
          apiVersion: pod-security.admission.config.k8s.io/v1alpha1
          kind: PodSecurityConfiguration
          defaults:
            enforce: privileged
"""
KUBEADM_V1BETA4 = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
    - name: oidc-issuer-url
      value: https://id.example.com/realms/lab
    - name: oidc-client-id
      value: kubernetes
"""
KUBEADM_V1BETA3 = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
apiServer:
  extraArgs:
    oidc-issuer-url: https://id.example.com/realms/lab
    admission-control-config-file: /etc/kubernetes/psa.yaml
"""
K3S = """\
token-file: /var/lib/rancher/token
tls-san: [k3s.lab.example]
write-kubeconfig-mode: "0644"
"""
CILIUM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
spec:
  interval: 1h
  chart:
    spec:
      chart: cilium
"""


def test_kubeadm_v1beta4_extra_args_as_a_list_carry_the_oidc_flags(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"cluster/kubeadm.yaml": KUBEADM_V1BETA4})
    assert spans(control(assessment, "SSO-KUBE-API")) == [("cluster/kubeadm.yaml", 5, 6)]


def test_kubeadm_v1beta3_extra_args_as_a_map_carry_oidc_and_admission(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"cluster/kubeadm.yaml": KUBEADM_V1BETA3})
    assert spans(control(assessment, "SSO-KUBE-API")) == [("cluster/kubeadm.yaml", 5, 5)]
    assert spans(control(assessment, "POL-PSA")) == [("cluster/kubeadm.yaml", 6, 6)]


def test_k3s_runs_flannel_unless_its_config_says_otherwise(tmp_path: Path) -> None:
    plain = assess_files(tmp_path / "plain", {"nodes/k3s/config.yaml": K3S})
    modern = control(plain, "NET-CNI-MODERN")
    assert modern.status == "missing"
    assert "flannel (overlay (K3s default))" in modern.detail
    replaced = assess_files(
        tmp_path / "cilium",
        {
            "nodes/k3s/config.yaml": K3S + "flannel-backend: none\ndisable-network-policy: true\n",
            "apps/cilium.yaml": CILIUM_RELEASE,
        },
    )
    modern = control(replaced, "NET-CNI-MODERN")
    assert modern.status == "achieved"
    assert spans(modern)[0] == ("nodes/k3s/config.yaml", 4, 4)


def test_talos_without_a_cni_setting_runs_flannel(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"talos/controlplane.yaml": TALOS})
    cni = control(assessment, "NET-CNI")
    assert cni.detail == "CNI: flannel (overlay (Talos default))"
    assert spans(cni) == [("talos/controlplane.yaml", 1, 8)]


def test_talos_enforces_baseline_pod_security_unless_a_patch_relaxes_it(tmp_path: Path) -> None:
    default = assess_files(tmp_path / "default", {"talos/controlplane.yaml": TALOS})
    assert control(default, "POL-PSA").status == "achieved"
    relaxed = assess_files(
        tmp_path / "relaxed",
        {"talos/controlplane.yaml": TALOS, "talos/patches/psa.yaml": PRIVILEGED_PATCH},
    )
    assert control(relaxed, "POL-PSA").status == "missing"


def test_talosctl_snapshots_count_off_the_node_only_with_an_upload(tmp_path: Path) -> None:
    local = "#!/bin/sh\ntalosctl -n 10.0.0.1 etcd snapshot /backup/etcd.db\n"
    kept = assess_files(
        tmp_path / "local", {"talos/controlplane.yaml": TALOS, "scripts/etcd.sh": local}
    )
    assert control(kept, "DR-ETCD-SNAPSHOT").status == "partial"
    uploaded = local + "rclone copy /backup/etcd.db remote:etcd\n"
    offsite = assess_files(
        tmp_path / "offsite", {"talos/controlplane.yaml": TALOS, "scripts/etcd.sh": uploaded}
    )
    etcd = control(offsite, "DR-ETCD-SNAPSHOT")
    assert etcd.status == "achieved"
    assert ("scripts/etcd.sh", 2, 2) in spans(etcd)


GRAFANA_BASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: grafana
spec:
  interval: 1h
  chart:
    spec:
      chart: grafana
  values:
    replicas: 1
"""
GRAFANA_PATCH = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: grafana
spec:
  values:
    replicas: {replicas}
"""


def overlay(kind: str) -> str:
    if kind == "patches":
        return (
            "resources:\n  - ../../base\npatches:\n  - path: patch.yaml\n"
            "    target:\n      kind: HelmRelease\n      name: grafana\n"
        )
    return "resources:\n  - ../../base\npatchesStrategicMerge:\n  - patch.yaml\n"


def test_each_overlay_is_a_deployment_of_one_release(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "grafana/base/helmrelease.yaml": GRAFANA_BASE,
            "grafana/base/kustomization.yaml": "resources:\n  - helmrelease.yaml\n",
            "grafana/overlays/prod/kustomization.yaml": overlay("patchesStrategicMerge"),
            "grafana/overlays/prod/patch.yaml": GRAFANA_PATCH.format(replicas=3),
            "grafana/overlays/staging/kustomization.yaml": overlay("patches"),
            "grafana/overlays/staging/patch.yaml": GRAFANA_PATCH.format(replicas=1),
        },
    )
    index = index_repository(root, [], workers=0)
    (release,) = index.releases
    assert release.file == "grafana/base/helmrelease.yaml"
    assert [folder for folder, _ in release.overlays] == [
        "grafana/overlays/prod",
        "grafana/overlays/staging",
    ]
    replicas = []
    for stack in index.values("grafana"):
        hit = stack.get("replicas")
        assert hit is not None
        replicas.append((hit.value, hit.evidence.file, hit.evidence.line))
    assert replicas == [
        (3, "grafana/overlays/prod/patch.yaml", 7),
        (1, "grafana/overlays/staging/patch.yaml", 7),
    ]


def test_a_patch_whose_base_is_elsewhere_is_no_release(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "overlays/prod/kustomization.yaml": (
                "resources:\n  - https://github.com/example/base//grafana\n"
                "patchesStrategicMerge:\n  - patch.yaml\n"
            ),
            "overlays/prod/patch.yaml": GRAFANA_PATCH.format(replicas=3),
        },
    )
    notices: list[Notice] = []
    index = index_repository(root, notices, workers=0)
    assert index.releases == []
    assert [n.file for n in notices if "its base is not in the repository" in n.message] == [
        "overlays/prod/patch.yaml"
    ]


def test_talosctl_with_global_flags_in_a_just_recipe_names_talos(tmp_path: Path) -> None:
    recipe = (
        "[doc('Apply the machine configuration')]\napply-node node:\n"
        '    just talos render-config "{{ node }}" | talosctl -n "{{ node }}" apply-config '
        "-f /dev/stdin\n"
    )
    assessment = assess_files(tmp_path, {"talos/mod.just": recipe})
    assert assessment.distributions == ("talos",)


TALOS_MULTI_DOC = """\
---
machine:
  type: controlplane
---
apiVersion: v1alpha1
kind: KubeAPIServerConfig
extraArgs:
  enable-aggregator-routing: "true"
---
apiVersion: v1alpha1
kind: KubeAuthenticationConfig
configuration:
  jwt:
    - issuer:
        url: https://id.example.com/realms/lab
        audiences:
          - kubernetes
---
apiVersion: v1alpha1
kind: KubeAuditPolicyConfig
configuration:
  apiVersion: audit.k8s.io/v1
  kind: Policy
  rules:
    - level: Metadata
---
apiVersion: v1alpha1
kind: KubeEtcdEncryptionConfig
config:
  resources:
    - resources: [secrets]
      providers:
        - secretbox:
            keys:
              - name: key1
                secret: op://vault/talos/SECRETBOX
---
apiVersion: v1alpha1
kind: KubeProxyConfig
enabled: false
---
apiVersion: v1alpha1
kind: KubeTalosAPIAccessConfig
allowedRoles:
  - os:etcd:backup
allowedKubernetesNamespaces:
  - kube-system
"""


def test_talos_multi_document_kinds_carry_their_settings(tmp_path: Path) -> None:
    notices: list[Notice] = []
    root = write_files(tmp_path, {"talos/controlplane.yaml": TALOS_MULTI_DOC})
    settings = {(s.key, s.evidence.line) for s in index_repository(root, notices).node_settings}
    assert settings == {
        ("oidc-issuer-url", 15),
        ("audit-policy", 21),
        ("secrets-encryption", 29),
        ("kube-proxy-disabled", 40),
        ("talos-etcd-backup-role", 45),
    }
    assessment = assess_files(tmp_path, {})
    assert spans(control(assessment, "SSO-KUBE-API")) == [("talos/controlplane.yaml", 15, 15)]
    assert control(assessment, "IAC-INFRASTRUCTURE").status == "partial"
