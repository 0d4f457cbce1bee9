"""cloud-init user-data for local VMs (provider ``local``: Multipass, kubeadm).

One ``#cloud-config`` file per node, ``nodes/<cluster>/cloud-init/<node>.yaml``, that turns
a fresh Ubuntu 24.04 VM into a kubeadm node:

- hostname = node name; the node's fixed address (``nodes.py``) added to its NIC beside the
  DHCP lease. Multipass finds VMs by their DHCP lease, so DHCP stays on (with the MAC as
  client id, as Multipass configures it); the fixed address is what the kubelet, etcd and
  the API server use. The netplan file replaces cloud-init's own, which is then switched
  off so a reboot does not bring it back. One NIC is assumed (Multipass' default).
- the API host resolves, through ``/etc/hosts``, to the first control-plane node; host-
  network pods share that file, so Cilium reaches the API server by name before any
  cluster DNS runs;
- kernel modules ``overlay`` and ``br_netfilter``, bridge netfilter and IP forwarding;
- containerd (Ubuntu's package, systemd cgroup driver) and kubelet, kubeadm and kubectl
  from ``pkgs.k8s.io`` for the spec's minor (pinned to the patch when the spec has one),
  held against unattended upgrades;
- the node's kubeadm documents in ``/etc/kubernetes/kubeadm/config.yaml`` (mode 0600)
  and ``kubeadm init`` or ``kubeadm join`` with them.

The host steps (kernel settings, packages, containerd) are also those of a kubeadm
cluster's EC2 machines (``render/infrastructure/kubeadm_userdata.py``), which use the
functions below rather than a copy.

Secrets stay out: the join token, CA hash, certificate key and the SSH public key are
``${...}`` placeholders the provisioning script substitutes with ``envsubst``. The file
uses no other ``${`` so that substitution cannot touch anything else.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.base import NodeFile, header
from stackyard.render.bootstrap.kubeadm_hardening import after_kubeadm, node_files
from stackyard.render.bootstrap.mirrors import cloud_init_mirror_commands, cloud_init_mirror_files
from stackyard.render.bootstrap.nodes import Node
from stackyard.render.context import RenderContext
from stackyard.render.yamlout import dump_documents, dump_yaml
from stackyard.spec.units import GIB, parse_quantity

UBUNTU = "24.04"
SSH_PUBLIC_KEY = "${SSH_PUBLIC_KEY}"
KUBEADM_DIR = "/etc/kubernetes/kubeadm"
KUBEADM_FILE = f"{KUBEADM_DIR}/config.yaml"
KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
PACKAGE_REVISION = "1.1"  # pkgs.k8s.io package revision, e.g. kubeadm 1.35.2-1.1
K8S_PACKAGES = ("kubelet", "kubeadm", "kubectl")

# The kubeadm documents a node runs with, and the kubeadm command that uses them.
NodeKubeadm = Callable[[RenderContext, ClusterPlan, Node], tuple[list[dict[str, Any]], str]]


def package_repository(context: RenderContext) -> str:
    """The pkgs.k8s.io apt repository of the spec's minor version."""
    major, minor = context.platform.kubernetes.minor
    return f"https://pkgs.k8s.io/core:/stable:/v{major}.{minor}/deb/"


def pinned_packages(context: RenderContext) -> str:
    """The Kubernetes packages to install: pinned to the spec's patch when it names one."""
    version = context.platform.kubernetes.version.removeprefix("v")
    if version.count(".") == 2:
        return " ".join(f"{name}={version}-{PACKAGE_REVISION}" for name in K8S_PACKAGES)
    return " ".join(K8S_PACKAGES)


KERNEL_FILES: tuple[tuple[str, str], ...] = (
    ("/etc/modules-load.d/kubernetes.conf", "overlay\nbr_netfilter\n"),
    (
        "/etc/sysctl.d/99-kubernetes.conf",
        "net.bridge.bridge-nf-call-iptables = 1\n"
        "net.bridge.bridge-nf-call-ip6tables = 1\n"
        "net.ipv4.ip_forward = 1\n",
    ),
)
"""What every kubeadm node loads at boot: the kernel modules, bridge netfilter, forwarding."""
HOST_SETUP = ("modprobe overlay", "modprobe br_netfilter", "sysctl --system", "swapoff -a")
"""The same settings applied now, and swap off, as the kubelet requires."""


def kernel_files() -> list[dict[str, str]]:
    """``write_files`` entries of :data:`KERNEL_FILES`."""
    return [{"path": path, "content": content} for path, content in KERNEL_FILES]


def kubernetes_packages(context: RenderContext, *also: str) -> list[str]:
    """Commands that add pkgs.k8s.io and install (and hold) the Kubernetes packages.

    ``also`` are Ubuntu packages installed in the same step. The keyring folder must exist.
    """
    repository = package_repository(context)
    return [
        f"curl -fsSL {repository}Release.key | gpg --dearmor -o {KEYRING}",
        f"echo 'deb [signed-by={KEYRING}] {repository} /' "
        "> /etc/apt/sources.list.d/kubernetes.list",
        "apt-get update",
        f"apt-get install -y {' '.join([*also, pinned_packages(context)])}",
        f"apt-mark hold {' '.join(K8S_PACKAGES)}",
    ]


def containerd_and_kubelet(context: RenderContext) -> list[str]:
    """Commands that configure containerd (systemd cgroups, mirrors) and enable the kubelet.

    ``/etc/containerd`` must exist.
    """
    return [
        "containerd config default > /etc/containerd/config.toml",
        "sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml",
        *cloud_init_mirror_commands(context),
        "systemctl restart containerd",
        "systemctl enable kubelet",
    ]


def _prefix(cluster: ClusterPlan, node: Node) -> int:
    subnet = cluster.cluster.network.nodeSubnet
    if subnet is not None and "-" not in subnet.text:
        return int(subnet.text.rsplit("/", 1)[1])
    assert node.address is not None
    return node.address.max_prefixlen  # a host address; DHCP provides the subnet route


def netplan(cluster: ClusterPlan, node: Node) -> dict[str, Any]:
    """The node's netplan: DHCP as Multipass expects, plus its fixed address."""
    return {
        "network": {
            "version": 2,
            "ethernets": {
                "primary": {
                    "match": {"name": "en*"},
                    "dhcp4": True,
                    "dhcp-identifier": "mac",
                    "addresses": [f"{node.address}/{_prefix(cluster, node)}"],
                }
            },
        }
    }


def user_data(
    context: RenderContext,
    cluster: ClusterPlan,
    node: Node,
    kubeadm: tuple[list[dict[str, Any]], str],
    api_address: str,
) -> dict[str, Any]:
    """The cloud-config of one node (see module docs)."""
    documents, command = kubeadm
    runcmd = [
        "rm -f /etc/netplan/50-cloud-init.yaml",
        "netplan apply",
        f"echo '{api_address} {context.api_host(cluster)}' >> /etc/hosts",
        *HOST_SETUP,
        "mkdir -p /etc/apt/keyrings /etc/containerd",
        *kubernetes_packages(context),
        *containerd_and_kubelet(context),
        command,
        *after_kubeadm(context, node.control_plane),
    ]
    if command.startswith("kubeadm init"):
        runcmd.append(
            "mkdir -p /home/ubuntu/.kube && cp /etc/kubernetes/admin.conf /home/ubuntu/.kube/config"
            " && chown -R ubuntu:ubuntu /home/ubuntu/.kube"
        )
    return {
        "hostname": node.name,
        "ssh_authorized_keys": [SSH_PUBLIC_KEY],
        "package_update": True,
        "packages": ["apt-transport-https", "ca-certificates", "containerd", "curl", "gpg"],
        "write_files": [
            *kernel_files(),
            {
                "path": "/etc/cloud/cloud.cfg.d/99-stackyard-network.cfg",
                "content": "network: {config: disabled}\n",
            },
            {
                "path": "/etc/netplan/60-stackyard.yaml",
                "permissions": "0600",
                "content": dump_yaml(netplan(cluster, node)),
            },
            {
                "path": KUBEADM_FILE,
                "permissions": "0600",
                "content": dump_documents(documents),
            },
            *node_files(context, cluster, node.control_plane),
            *cloud_init_mirror_files(context, cluster),
        ],
        "runcmd": runcmd,
    }


def cloud_init_files(
    context: RenderContext,
    cluster: ClusterPlan,
    nodes: list[Node],
    kubeadm: NodeKubeadm,
) -> list[NodeFile]:
    """One user-data file per node of ``cluster``."""
    api_address = str(nodes[0].address)
    files = []
    for node in nodes:
        data = user_data(context, cluster, node, kubeadm(context, cluster, node), api_address)
        comment = "".join(
            f"# {line}\n" for line in header(cluster, f"User-data of {node.name}.").splitlines()
        )
        files.append(
            NodeFile(f"cloud-init/{node.name}.yaml", "#cloud-config\n" + comment + dump_yaml(data))
        )
    return files


def _gib(quantity: str) -> int:
    return max(1, math.ceil(parse_quantity(quantity) / GIB))


def multipass_command(node: Node, user_data_path: str) -> str:
    """``multipass launch`` with the node's pool size and its user-data."""
    pool = node.pool
    parts = [
        f"multipass launch {UBUNTU} --name {node.name}",
        f"--cpus {math.ceil(parse_quantity(pool.cpu))}",
        f"--memory {_gib(pool.memory)}G",
    ]
    if pool.disk is not None:
        parts.append(f"--disk {_gib(pool.disk)}G")
    parts.append(f"--cloud-init {user_data_path}")
    return " ".join(parts)
