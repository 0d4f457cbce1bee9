"""The node image facts: derived from RKE2's release scripts, consistent with their releases."""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType

from stackyard.catalog.nodeimages import node_image_facts
from tests.conftest import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_reference_data", ROOT / "scripts" / "build_reference_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


VERSION_SH = """REGISTRY=docker.io
REPO=${REPO:-rancher}
KUBERNETES_IMAGE_TAG=${KUBERNETES_IMAGE_TAG:-v1.35.2-rke2r1-build20260101}
PAUSE_VERSION=${PAUSE_VERSION:-3.10.2}
"""
BUILD_IMAGES = """INGRESS_IMAGES="
    ${REGISTRY}/rancher/nginx-ingress-controller:v1.14.5-hardened1"

if [ "${REGISTRY}" != "docker.io" ]; then
    INGRESS_IMAGES="${INGRESS_IMAGES}
    ${REGISTRY}/rancher/nginx-ingress-controller:v1.14.5-prime1"
fi

awk '{print $1}' << EOF > $BUILD_DIR/images-core.txt
    ${REGISTRY}/${REPO}/${PROG}-runtime:${DOCKERIZED_VERSION}
EOF

xargs -n1 -t $PULL_CMD_CORE << EOF >> $BUILD_DIR/images-core.txt
    ${REGISTRY}/rancher/hardened-kubernetes:${KUBERNETES_IMAGE_TAG}
    ${REGISTRY}/rancher/mirrored-pause:${PAUSE_VERSION}
    ${INGRESS_IMAGES}
EOF

xargs -n1 -t $PULL_CMD << EOF > $BUILD_DIR/images-traefik.txt
    ${REGISTRY}/rancher/hardened-traefik:v3.6.10-build20260309
EOF

xargs -n1 -t $PULL_CMD_CORE << EOF > $BUILD_DIR/images-canal.txt
    ${REGISTRY}/rancher/hardened-calico:v3.31.4-build20260327
EOF
"""


def test_a_release_s_lists_are_what_its_build_script_writes_for_docker_io() -> None:
    lists = _script().rke2_release_images(VERSION_SH, BUILD_IMAGES, "v1.35.2+rke2r1")
    assert lists == {
        "core": [
            "docker.io/rancher/rke2-runtime:v1.35.2-rke2r1",
            "docker.io/rancher/hardened-kubernetes:v1.35.2-rke2r1-build20260101",
            "docker.io/rancher/mirrored-pause:3.10.2",
            # the docker.io build's ingress images, not the prime registry's
            "docker.io/rancher/nginx-ingress-controller:v1.14.5-hardened1",
        ],
        "canal": ["docker.io/rancher/hardened-calico:v3.31.4-build20260327"],
    }


def test_every_shipped_release_matches_its_tag_and_records_its_commit() -> None:
    facts = node_image_facts()
    assert "rancher/rke2" in facts["rke2"]["source"]
    for tag, release in facts["rke2"]["releases"].items():
        assert re.fullmatch(r"[0-9a-f]{40}", release["commit"]), tag
        core = release["images"]["core"]
        assert core[0] == f"docker.io/rancher/rke2-runtime:{tag.replace('+', '-')}"
        kubernetes = next(i for i in core if "/hardened-kubernetes:" in i)
        assert kubernetes.split(":")[1].startswith(f"v{release['kubernetes']}-"), tag
    for minor, newest in facts["newestKubernetes"].items():
        assert newest.startswith(f"{minor}.")
    for minor, constants in facts["kubeadm"]["constants"].items():
        assert constants["source"] == (
            f"kubernetes/kubernetes v{minor}.0 cmd/kubeadm/app/constants/constants.go"
        )
        assert set(constants) <= {"source", "secondary", "coredns", "pause", "etcd"}
    assert {"1.33", "1.34", "1.35"} <= set(facts["kubeadm"]["constants"])


CONSTANTS_GO = """const (
	// DefaultEtcdVersion indicates the default etcd version that kubeadm uses
	DefaultEtcdVersion = "3.6.4-0"
	// CoreDNSVersion is the version of CoreDNS to be deployed if it is used
	CoreDNSVersion = "v1.12.1"
	// PauseVersion indicates the default pause image version for kubeadm
	PauseVersion = "3.10.1"
)

var (
	SupportedEtcdVersion = map[uint8]string{
		32: "3.5.21-0",
		33: "3.5.21-0",
		34: "3.6.4-0",
	}
)
"""


def test_kubeadm_s_versions_are_read_from_its_constants_as_kubeadm_looks_etcd_up() -> None:
    script = _script()
    assert script.kubeadm_constants(CONSTANTS_GO, "1.34") == {
        "coredns": "v1.12.1",
        "pause": "3.10.1",
        "etcd": "3.6.4-0",
    }
    assert script.kubeadm_constants(CONSTANTS_GO, "1.33")["etcd"] == "3.5.21-0"
    # Outside the table kubeadm takes the nearest entry, and so does the build.
    assert script.kubeadm_constants(CONSTANTS_GO, "1.36")["etcd"] == "3.6.4-0"
    assert script.kubeadm_constants(CONSTANTS_GO, "1.30")["etcd"] == "3.5.21-0"
