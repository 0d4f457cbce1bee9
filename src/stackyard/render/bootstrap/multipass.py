"""Scripts that create and delete a local cluster's Multipass VMs (provider ``local``).

``multipass/launch.sh`` launches every node of the cluster with its pool's size and its
rendered user-data (``cloud-init/<node>.yaml``, the join credentials substituted with
``envsubst`` into a temporary copy that is removed on exit), in the order kubeadm needs:
the first control-plane node, which runs ``kubeadm init``; then, once its cloud-init has
finished and the CA hash can be read from it, the other control-plane nodes one at a time
(each joins etcd, and etcd adds one member at a time); then the workers. It is POSIX
``sh`` with ``set -eu`` and idempotent: a VM that already exists is skipped, so a run
interrupted half-way is finished by running it again. It refuses to start without the
credentials it substitutes, rather than launching nodes whose kubeadm would fail.

``multipass/teardown.sh`` deletes and purges the VMs that exist, workers first.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.base import NodeFile, header
from stackyard.render.bootstrap.cloudinit import multipass_command
from stackyard.render.bootstrap.nodes import Node

LAUNCH = "multipass/launch.sh"
TEARDOWN = "multipass/teardown.sh"
CA_HASH_COMMAND = (
    "openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt"
    " | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex"
)


def _comment(cluster: ClusterPlan, note: str) -> list[str]:
    return [f"# {line}" if line else "#" for line in header(cluster, note).splitlines()]


def _required(names: list[str]) -> list[str]:
    given = [n for n in names if n != "KUBEADM_CA_CERT_HASH"]  # read from the first node
    lines = [f': "${{{name}:?set {name} first: see README.md}}"' for name in given]
    return [*lines, f"export {' '.join(given)}"]


def _launch(node: Node) -> list[str]:
    user_data = f'"$work/{node.name}.yaml"'
    return [
        f"if multipass info {node.name} >/dev/null 2>&1; then",
        f'  echo "{node.name} exists: skipped"',
        "else",
        f'  envsubst "$placeholders" < cloud-init/{node.name}.yaml > {user_data}',
        f"  {multipass_command(node, user_data)}",
        "fi",
        f"wait_for {node.name}",
    ]


def launch_script(cluster: ClusterPlan, nodes: list[Node], placeholders: list[str]) -> str:
    """``launch.sh``: every node of ``cluster`` in join order (see module docs)."""
    shell_format = " ".join("${" + name + "}" for name in placeholders)
    first, rest = nodes[0], nodes[1:]
    servers = [n for n in rest if n.control_plane]
    agents = [n for n in rest if not n.control_plane]
    lines = [
        "#!/bin/sh",
        *_comment(
            cluster,
            "Launches the cluster's Multipass VMs; run again to finish an interrupted run.\n"
            "Needs multipass and envsubst (gettext) on the host.",
        ),
        "set -eu",
        'cd "$(dirname "$0")/.."',
        *_required(placeholders),
        "# envsubst replaces exactly these in the user-data, nothing else.",
        "# shellcheck disable=SC2016",
        f"placeholders='{shell_format}'",
        "work=$(mktemp -d)",
        "trap 'rm -rf \"$work\"' EXIT",
        "",
        "# cloud-init runs kubeadm; a node is ready for the next once it has finished.",
        "wait_for() {",
        '  echo "waiting for $1 (cloud-init)"',
        '  multipass start "$1"  # a stopped VM left by an earlier run',
        '  multipass exec "$1" -- cloud-init status --wait >/dev/null',
        "}",
        "",
        f"# 1. {first.name}: kubeadm init.",
        *_launch(first),
        "",
        "# The joins verify the cluster by its CA's public key hash.",
        f"ca_hash=$(multipass exec {first.name} -- sudo sh -c \\",
        f"  '{CA_HASH_COMMAND}')",
        'KUBEADM_CA_CERT_HASH="sha256:${ca_hash##* }"',
        "export KUBEADM_CA_CERT_HASH",
    ]
    if servers:
        lines += ["", "# 2. The other control-plane nodes, one at a time (etcd grows by one)."]
        for node in servers:
            lines += _launch(node)
    if agents:
        lines += ["", f"# {3 if servers else 2}. The workers."]
        for node in agents:
            lines += _launch(node)
    lines += ["", f'echo "{cluster.name}: {len(nodes)} VMs running"']
    return "\n".join(lines) + "\n"


def teardown_script(cluster: ClusterPlan, nodes: list[Node]) -> str:
    """``teardown.sh``: delete and purge the VMs of ``cluster`` that exist, workers first."""
    lines = [
        "#!/bin/sh",
        *_comment(cluster, "Deletes the cluster's Multipass VMs and their disks, workers first."),
        "set -eu",
    ]
    for node in reversed(nodes):
        lines += [
            f"if multipass info {node.name} >/dev/null 2>&1; then",
            f"  multipass delete --purge {node.name}",
            "fi",
        ]
    return "\n".join(lines) + "\n"


def multipass_files(
    cluster: ClusterPlan, nodes: list[Node], placeholders: list[str]
) -> list[NodeFile]:
    """The launch and teardown scripts of a local cluster."""
    return [
        NodeFile(LAUNCH, launch_script(cluster, nodes, placeholders)),
        NodeFile(TEARDOWN, teardown_script(cluster, nodes)),
    ]
