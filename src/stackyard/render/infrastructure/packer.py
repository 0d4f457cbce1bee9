"""The golden image of an air-gapped cluster's machines, as a Packer template.

With the spec's ``airgap`` section nothing is downloaded when a machine boots: the
user-data installs neither RKE2 nor containerd and the Kubernetes packages, and the nodes
pull their images through the internal registry only once the registry mirrors are in
place. ``infrastructure/<cluster>/packer/golden-image.pkr.hcl`` builds the AMI that
carries all of it (Packer's amazon plugin, pinned): Canonical's Ubuntu for each CPU
architecture of the cluster's machines, with

- RKE2: its air-gap tarball installed (https://docs.rke2.io/install/airgap#tarball-method)
  and the bundle's images in ``/var/lib/rancher/rke2/agent/images/``, which RKE2 imports
  when it first starts;
- kubeadm: the .deb files of containerd, kubelet, kubeadm and kubectl with their
  dependencies and the AWS CLI (the join credentials come from SSM Parameter Store)
  installed, and the bundle's images imported into containerd's ``k8s.io`` namespace.

The air-gap bundle (``stackyard bundle verify ... --unpack DIR``) is an OCI image layout;
the build tars it whole as one OCI archive, which both runtimes import. Terraform boots the
image with ``-var image_id=``.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext

AMAZON_PLUGIN = "1.8.0"
"""hashicorp/packer-plugin-amazon, pinned exactly."""
STAGING = "/tmp/stackyard"
ARCHIVE = "bundle-images.tar"
CLI_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}
"""The AWS CLI's names of the architectures (awscli-exe-linux-<arch>.zip)."""


def renders_image(context: RenderContext) -> bool:
    """Whether the stacks get a Packer template: only air-gapped platforms need the image."""
    return context.platform.airgap is not None


def _commands(rke2: bool) -> list[str]:
    if rke2:
        images = "/var/lib/rancher/rke2/agent/images"
        return [
            f"sudo mkdir -p {images}",
            f"sudo mv {STAGING}/{ARCHIVE} {images}/{ARCHIVE}",
            f"sudo INSTALL_RKE2_ARTIFACT_PATH={STAGING}/artifacts "
            f"sh {STAGING}/artifacts/install.sh",
            f"sudo rm -rf {STAGING}",
        ]
    return [
        f"sudo apt-get install -y --no-download {STAGING}/artifacts/*.deb",
        "sudo apt-mark hold kubelet kubeadm kubectl",
        f"cd {STAGING}/artifacts && unzip -q awscli-exe-linux-*.zip && sudo ./aws/install",
        "sudo systemctl start containerd",
        f"sudo ctr -n k8s.io images import --all-platforms {STAGING}/{ARCHIVE}",
        f"sudo rm -rf {STAGING}",
    ]


def _about(context: RenderContext, cluster: ClusterPlan, rke2: bool, arches: list[str]) -> str:
    if rke2:
        what = "RKE2 installed"
        artifacts = [
            "artifacts: RKE2's air-gap release files of the nodes' release (the one",
            "`stackyard images list` names): rke2.linux-<arch>.tar.gz, sha256sum-<arch>.txt",
            "and install.sh (https://docs.rke2.io/install/airgap#tarball-method).",
        ]
    else:
        what = "containerd, the Kubernetes packages and the AWS CLI installed"
        version = context.platform.kubernetes.version
        clis = ", ".join(f"awscli-exe-linux-{CLI_ARCH[a]}.zip" for a in arches)
        artifacts = [
            "artifacts: the .deb files of containerd, kubelet, kubeadm and kubectl",
            f"{version} with their dependencies (cri-tools, kubernetes-cni, conntrack, socat,",
            f"unzip), and the AWS CLI's {clis}.",
        ]
    lines = [
        f"The golden image of {cluster.name}'s machines for an air-gapped account: Canonical's",
        f"Ubuntu with {what} and every image the nodes pull before",
        "Argo CD runs preloaded from the air-gap bundle, so a node boots without a download.",
        "Build it where Packer reaches the bundle and the release files, then boot it:",
        "  packer init . && packer build -var bundle=DIR -var artifacts=DIR .",
        "  terraform -chdir=.. apply -var image_id=<the AMI Packer printed>",
        "bundle: the unpacked air-gap bundle (stackyard bundle verify ... --unpack DIR), an",
        "OCI image layout holding the nodes' images.",
        *artifacts,
    ]
    return "".join(f"# {line}\n" for line in lines).rstrip("\n")


def packer_values(
    context: RenderContext, cluster: ClusterPlan, machines: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The template's values: one build source per CPU architecture of the machines."""
    rke2 = context.platform.kubernetes.distribution == "rke2"
    images: dict[str, str] = {}
    for machine in machines.values():
        images.setdefault(machine["arch"], machine["instance_type"])
    arches = sorted(images)
    return {
        "about": _about(context, cluster, rke2, arches),
        "amazon_plugin": AMAZON_PLUGIN,
        "images": {arch: images[arch] for arch in arches},
        "sources": [f"source.amazon-ebs.{arch}" for arch in arches],
        "commands": _commands(rke2),
    }
