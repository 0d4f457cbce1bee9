"""``stackyard images list``: the nodes' images, the tree's, and the charts' once hydrated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.app import list_images
from stackyard.catalog.nodeimages import UnknownNodeReleaseError, kubeadm_release, rke2_release
from stackyard.cli.main import app
from tests.app.schemas import assert_matches, printed
from tests.conftest import EXAMPLES, render_example

RKE2_1_35 = "v1.35.7+rke2r1"  # the newest 1.35 release the node facts know
RKE2_NODE_IMAGES = {
    "docker.io/rancher/rke2-runtime:v1.35.7-rke2r1",
    "docker.io/rancher/hardened-kubernetes:v1.35.7-rke2r1-build20260723",
    "docker.io/rancher/hardened-etcd:v3.6.14-k3s1-build20260723",
    "docker.io/rancher/hardened-coredns:v1.14.6-build20260722",
    "docker.io/rancher/klipper-helm:v0.13.3-build20260727",
    "docker.io/rancher/mirrored-pause:3.10.2",
}
CANAL_IMAGES = {
    "docker.io/rancher/hardened-calico:v3.32.1-build20260722",
    "docker.io/rancher/hardened-flannel:v0.28.8-build20260722",
}
KUBEADM_IMAGES = {
    "registry.k8s.io/kube-apiserver:v1.35.7",
    "registry.k8s.io/kube-controller-manager:v1.35.7",
    "registry.k8s.io/kube-scheduler:v1.35.7",
    "registry.k8s.io/coredns/coredns:v1.13.1",
    "registry.k8s.io/pause:3.10.1",
    "registry.k8s.io/etcd:3.6.6-0",
}
DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      initContainers:
        - name: install
          image: {{ .Values.installer | default "quay.io/example/installer:v2" }}
      containers:
        - name: agent
          image: IMAGE
"""


def chart(store: Path, name: str, version: str, image: str) -> Path:
    """A chart whose only template is a DaemonSet running ``image``: named by no value file."""
    folder = store / name
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
    (folder / "templates" / "agent.yaml").write_text(DAEMONSET.replace("IMAGE", image))
    return folder


@pytest.fixture(scope="module")
def kubeadm_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "local-multicluster"
    render_example(EXAMPLES / "local-multicluster.yaml", out)
    return out


def test_an_rke2_platform_lists_its_release_canal_files_and_hydrated_charts(
    rendered_poc: Path, tmp_path: Path
) -> None:
    chart(tmp_path, "longhorn", "1.12.1", "ghcr.io/example/storage-agent:v1.2.3")
    inventory = list_images(rendered_poc, charts=tmp_path)
    found = {image.reference: image for image in inventory.images}
    assert found.keys() >= RKE2_NODE_IMAGES | CANAL_IMAGES
    runtime = found["docker.io/rancher/rke2-runtime:v1.35.7-rke2r1"]
    assert [str(s) for s in runtime.sources] == [f"node rke2 {RKE2_1_35}"]
    assert runtime.clusters == ("poc",)
    (node,) = inventory.nodes
    assert (node.cluster, node.release, node.resolved_from) == ("poc", RKE2_1_35, "1.35")
    # only the chart's template names these: found by rendering it, on the cluster it runs
    agent = found["ghcr.io/example/storage-agent:v1.2.3"]
    assert [str(s) for s in agent.sources] == ["chart longhorn-poc"]
    assert agent.clusters == ("poc",)
    assert "quay.io/example/installer:v2" in found
    # a file of the tree names this one
    busybox = found["docker.io/library/busybox:1.37.0"]
    assert [str(s) for s in busybox.sources] == ["manifests/poc/velero/restore-check.yaml"]
    # every other chart is missing from the store: each is named, none skipped silently
    gaps = {gap.name: gap for gap in inventory.not_inspected}
    assert "longhorn 1.12.1" not in gaps
    assert gaps["cert-manager 1.21.1"].kind == "chart"
    assert gaps["cert-manager 1.21.1"].reason == f"not in the chart store {tmp_path}"
    assert gaps["cert-manager 1.21.1"].where.endswith("apps/applications/cert-manager.yaml:13:3")
    assert inventory.charts_rendered == 1


def test_a_kubeadm_platform_lists_the_control_plane_and_its_cni_chart(
    kubeadm_tree: Path, tmp_path: Path
) -> None:
    chart(tmp_path, "cilium", "1.20.0", "quay.io/cilium/cilium:v1.20.0")
    inventory = list_images(kubeadm_tree, charts=tmp_path)
    found = {image.reference: image for image in inventory.images}
    assert found.keys() >= KUBEADM_IMAGES
    apiserver = found["registry.k8s.io/kube-apiserver:v1.35.7"]
    assert [str(s) for s in apiserver.sources] == ["node kubeadm v1.35.7"]
    assert apiserver.clusters == ("app1", "app2", "mgmt")
    # Cilium replaces kube-proxy (skipPhases: addon/kube-proxy): no node pulls it
    assert not [r for r in found if "kube-proxy" in r]
    # the CNI: the chart the nodes install at bootstrap and Argo CD adopts, on every cluster
    cilium = found["quay.io/cilium/cilium:v1.20.0"]
    assert {str(s) for s in cilium.sources} == {"chart cilium-app1", "chart cilium-app2",
                                                "chart cilium-mgmt"}  # fmt: skip
    assert cilium.clusters == ("app1", "app2", "mgmt")
    assert inventory.charts_rendered == 3


def test_json_matches_its_schema_and_name_prints_only_references(
    rendered_poc: Path, tmp_path: Path
) -> None:
    chart(tmp_path, "longhorn", "1.12.1", "ghcr.io/example/storage-agent:v1.2.3")
    document = printed("images", "list", str(rendered_poc), "--charts", str(tmp_path))
    assert_matches("images-list", document)
    references = [image["reference"] for image in document["images"]]
    names = CliRunner().invoke(
        app, ["images", "list", str(rendered_poc), "--charts", str(tmp_path), "-o", "name"]
    )
    assert names.exit_code == 0, names.stderr
    assert names.stdout.splitlines() == references == sorted(references)
    # what was not inspected is a warning on stderr, never a line of the list
    assert "chart cert-manager 1.21.1 not inspected" in names.stderr
    table = CliRunner().invoke(app, ["images", "list", str(rendered_poc)])
    assert table.exit_code == 0, table.stderr
    assert "found in" in table.stdout and "no chart store given" in table.stderr


def test_a_version_the_facts_do_not_know_is_reported_for_its_nodes(
    rendered_poc: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(rendered_poc, tree)
    marker = tree / ".stackyard-render"
    metadata = json.loads(marker.read_text())
    marker.write_text(json.dumps({**metadata, "kubernetesVersion": "1.29"}))
    inventory = list_images(tree)
    (gap,) = [gap for gap in inventory.not_inspected if gap.kind == "nodes"]
    assert (gap.name, gap.where) == ("poc", "nodes/poc/rke2/config.yaml")
    assert "1.29" in gap.reason
    assert not [r for r in inventory.references if r.startswith("docker.io/rancher/")]


def test_a_patch_version_picks_that_release() -> None:
    release = rke2_release("1.35.2", "canal")
    assert (release.release, release.resolved_from) == ("v1.35.2+rke2r1", None)
    assert "docker.io/rancher/rke2-runtime:v1.35.2-rke2r1" in release.images
    assert not [i for i in rke2_release("1.35.2", "none").images if "calico" in i]
    kubeadm = kubeadm_release("v1.35.2")
    assert "registry.k8s.io/kube-proxy:v1.35.2" in kubeadm.images
    assert kubeadm_release("stable-1.35").resolved_from == "1.35"
    with pytest.raises(UnknownNodeReleaseError, match=r"1\.36"):
        kubeadm_release("1.36.1")  # no kubeadm constants for 1.36 are pinned yet


@pytest.mark.parametrize(
    ("version", "coredns", "pause", "etcd"),
    [
        ("1.33.4", "v1.12.0", "3.10", "3.5.21-0"),
        ("1.34.1", "v1.12.1", "3.10.1", "3.6.4-0"),
        ("1.35.2", "v1.13.1", "3.10.1", "3.6.6-0"),
    ],
)
def test_kubeadm_pins_coredns_pause_and_etcd_per_minor(
    version: str, coredns: str, pause: str, etcd: str
) -> None:
    release = kubeadm_release(version)
    assert release.images[-3:] == (
        f"registry.k8s.io/coredns/coredns:{coredns}",
        f"registry.k8s.io/pause:{pause}",
        f"registry.k8s.io/etcd:{etcd}",
    )
    assert f"registry.k8s.io/kube-apiserver:v{version}" in release.images
    # Read at the tag or not, the source says which.
    assert (
        f"v{version.rsplit('.', 1)[0]}.0 cmd/kubeadm/app/constants/constants.go" in release.source
    )


def test_a_chart_store_that_is_not_a_folder_is_a_usage_error(rendered_poc: Path) -> None:
    result = CliRunner().invoke(
        app, ["images", "list", str(rendered_poc), "--charts", str(rendered_poc / "README.md")]
    )
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr
