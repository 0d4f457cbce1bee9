"""Files named ``*.yaml.j2`` are read as YAML templates, makejinja delimiters included.

The fixtures are written in the style of a makejinja cluster template (a Flux + Talos
repository rendered from ``template/config/**/*.yaml.j2`` with ``#{ }#`` placeholders
and ``#% %#`` statements), not copied from one.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.inputs import index_repository
from stackyard.assess.inputs.walk import classify
from stackyard.assess.model import Notice
from tests.assess.maturity.conftest import control, write_files

MAKEJINJA = """\
[makejinja]
inputs = ["./template/config"]
jinja_suffix = ".j2"

[makejinja.delimiter]
block_start = "#%"
block_end = "%#"
comment_start = "#|"
comment_end = "#|"
variable_start = "#{"
variable_end = "}#"
"""
ROOT_KUSTOMIZATION = """\
---
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
"""
CILIUM_RELEASE = """\
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cilium
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: cilium
  values:
    #% if bgp_enabled %#
    bgpControlPlane:
      enabled: true
    #% endif %#
    ipv4NativeRoutingCIDR: "#{ network.pod_cidr }#"
    kubeProxyReplacement: true
    routingMode: native
    loadBalancer:
      mode: "#{ cilium.lb_mode }#"
"""
CILIUM_SOURCE = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: cilium
spec:
  interval: 15m
  url: oci://ghcr.io/home-operations/charts-mirror/cilium
  ref:
    tag: 1.18.2
"""
TALOS_CLUSTER = """\
#| The built-in CNI is replaced by the Cilium release #|
cluster:
  network:
    cni:
      name: none
    podSubnets: ["#{ network.pod_cidr }#"]
  proxy:
    disabled: true
machine:
  certSANs:
    #% for san in cert_sans %#
    - "#{ san }#"
    #% endfor %#
"""
FILES = {
    "makejinja.toml": MAKEJINJA,
    "template/config/kubernetes/flux/cluster/ks.yaml.j2": ROOT_KUSTOMIZATION,
    "template/config/kubernetes/apps/kube-system/cilium/app/helmrelease.yaml.j2": CILIUM_RELEASE,
    "template/config/kubernetes/apps/kube-system/cilium/app/ocirepository.yaml.j2": CILIUM_SOURCE,
    "template/config/talos/all/10-cluster.yaml.tpl.j2": TALOS_CLUSTER,
}


def test_yaml_jinja_files_are_read_as_yaml() -> None:
    assert classify("template/config/kubernetes/flux/cluster/ks.yaml.j2") == "yaml"
    assert classify("template/config/talos/all/00-install.yaml.tpl.j2") == "yaml"
    assert classify("roles/k3s/templates/k3s.service.j2") == "script"


def test_a_makejinja_cluster_template_is_assessed_as_the_cluster_it_renders(
    tmp_path: Path,
) -> None:
    assessment = assess_directory(write_files(tmp_path, FILES))
    ratings = {a.area: a.rating for a in assessment.areas}
    assert control(assessment, "GITOPS-CONTROLLER").status == "achieved"
    assert control(assessment, "GITOPS-APP-OF-APPS").status == "achieved"
    cni = control(assessment, "NET-CNI-MODERN")
    assert cni.status == "achieved", cni.detail
    assert "flannel" not in cni.detail  # Talos' default CNI is turned off in the template
    assert ratings["gitops-iac"] == 3  # controller, root Kustomization, Talos config as code


def test_makejinja_placeholders_are_unknown_and_lines_are_kept(tmp_path: Path) -> None:
    notices: list[Notice] = []
    index = index_repository(write_files(tmp_path, FILES), notices)
    (cilium,) = [r for r in index.releases if r.name == "cilium"]
    values = cilium.inline[0].data
    assert "ipv4NativeRoutingCIDR" not in values  # "#{ network.pod_cidr }#" is unknown
    assert "loadBalancer" not in values  # a block only a placeholder filled is left out
    assert values["bgpControlPlane"] == {"enabled": True}  # read as if its condition held
    assert {(s.key, s.value, s.evidence.line) for s in index.node_settings} >= {
        ("cni", "none", 5),
        ("kube-proxy-disabled", "true", 8),
    }
    talos_notice = [n.message for n in notices if n.file.endswith("10-cluster.yaml.tpl.j2")]
    assert talos_notice == [
        "read as a template (makejinja): 1 placeholder value unknown (not counted); "
        "3 template logic lines ignored"
    ]


def test_a_jinja_file_without_template_syntax_gets_no_notice(tmp_path: Path) -> None:
    notices: list[Notice] = []
    write_files(tmp_path, {"talos/controlplane.yaml.j2": "machine:\n  type: controlplane\n"})
    index_repository(tmp_path, notices)
    assert notices == []
