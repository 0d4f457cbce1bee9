"""Node bootstrap installs the Gateway API CRDs before the Cilium that serves Gateways.

Cilium's operator enables its Gateway API controller only if the CRDs exist when it
starts (https://docs.cilium.io/en/stable/network/servicemesh/gateway-api/gateway-api/),
and node bootstrap installs Cilium before Argo CD runs. So the rendered node steps must
apply the CRDs first, at the very version Argo CD's ``gateway-api-crds`` Application
manages afterwards.
"""

from __future__ import annotations

import re

import pytest

from tests.render.conftest import Rendered, RenderVariant

RELEASE_URL = re.compile(
    r"https://github\.com/kubernetes-sigs/gateway-api/releases/download/"
    r"(?P<version>v[0-9][^/\s]*)/standard-install\.yaml"
)
HELM_INSTALL_CILIUM = "helm install cilium "
INGRESS_NGINX = ("ingress: gateway-api", "ingress: ingress-nginx")


def crds_application(tree: Rendered, cluster: str) -> dict[str, object]:
    """The Argo CD Application that installs the Gateway API CRDs on ``cluster``."""
    [application] = [
        doc
        for doc in tree.documents("apps/applications/gateway-api-crds.yaml")
        if doc["metadata"]["labels"]["stackyard.dev/cluster"] == cluster
    ]
    return application


def assert_same_release_as_argo_cd(tree: Rendered, cluster: str, readme: str) -> None:
    source = crds_application(tree, cluster)["spec"]["source"]  # type: ignore[index]
    urls = list(RELEASE_URL.finditer(readme))
    assert urls, "no Gateway API release URL in the node README"
    for url in urls:
        assert url["version"] == source["targetRevision"]
        assert url[0].startswith(source["repoURL"].removesuffix(".git") + "/")
    assert source["path"] == "config/crd/standard"  # the channel standard-install.yaml ships


def line_of(readme: str, text: str) -> int:
    lines = readme.splitlines()
    matches = [i for i, line in enumerate(lines) if text in line]
    assert matches, text
    return matches[0]


def test_kubeadm_applies_the_crds_and_waits_before_installing_cilium(
    rendered: dict[str, Rendered],
) -> None:
    tree = rendered["local-multicluster"]
    for cluster in tree.plan.clusters:
        assert cluster.has("cilium-gateway-api"), cluster.name
        readme = tree.files[f"nodes/{cluster.name}/README.md"]
        apply = line_of(readme, "kubectl apply --server-side -f https://github.com/kubernetes-sigs")
        wait = line_of(readme, "kubectl wait --for condition=Established")
        install = line_of(readme, HELM_INSTALL_CILIUM)
        assert apply < wait < install
        assert_same_release_as_argo_cd(tree, cluster.name, readme)


def test_rke2_puts_the_crds_first_in_the_manifests_folder(rendered: dict[str, Rendered]) -> None:
    tree = rendered["aws-standard"]
    [cluster] = tree.plan.clusters
    assert cluster.has("cilium-gateway-api")
    readme = tree.files[f"nodes/{cluster.name}/README.md"]
    fetch = RELEASE_URL.search(readme)
    assert fetch is not None
    target = re.search(r"-o (\S+/server/manifests/(\S+)) ", readme)
    assert target is not None
    crds_file = target[2]
    # RKE2's deploy controller applies the folder's files sorted by name, one by one.
    manifests = [
        path.rsplit("/", 1)[1]
        for path in tree.files
        if path.startswith(f"nodes/{cluster.name}/rke2/server/manifests/")
    ]
    assert "cilium.yaml" in manifests
    assert sorted([crds_file, *manifests])[0] == crds_file
    # The file is in place before RKE2 first starts (and with it the Cilium HelmChart).
    assert line_of(readme, target[1]) < line_of(readme, "Start `rke2-server`")
    assert_same_release_as_argo_cd(tree, cluster.name, readme)
    # Handed over to Argo CD afterwards, so a restart never re-applies an older version.
    assert f"delete\n   `{crds_file}` from every server" in readme


@pytest.mark.parametrize("name", ["aws-standard", "community-poc"])
def test_no_crd_step_where_cilium_serves_no_gateways(
    rendered: dict[str, Rendered], render_variant: RenderVariant, name: str
) -> None:
    # The AWS example runs Cilium's Gateway API; with ingress-nginx instead, Cilium serves none.
    tree = rendered[name] if name == "community-poc" else render_variant(name, *INGRESS_NGINX)
    for cluster in tree.plan.clusters:
        assert not cluster.has("cilium-gateway-api")
        readme = tree.files[f"nodes/{cluster.name}/README.md"]
        assert RELEASE_URL.search(readme) is None
        assert "Gateway API CRDs" not in readme
