"""The cloud-init user-data of the EC2 instances: the rendered RKE2 node files, installed.

The node bootstrap (``render/bootstrap``) writes every file an RKE2 node needs under
``nodes/<cluster>/`` and a README that says where each one goes and in which order. On
AWS, Terraform starts the machines, so that order becomes three ``#cloud-config``
documents, one per kind of node, whose ``write_files`` carry those same files, byte for
byte, to the places the README names:

- ``server-init``: the first server, which initialises the cluster;
- ``server-join``: every other server (``config.yaml.d/10-join.yaml`` on top);
- ``agent``: every worker (``agent-config.yaml`` as its ``config.yaml``).

Then ``runcmd`` does what the README asks before RKE2 first starts (the CIS host script,
the providerID script, the Gateway API CRDs first in the manifests folder), installs RKE2
of the spec's minor from its release channel (air-gapped: the golden image must carry it,
nothing is downloaded) and starts it. The join token is not here: Terraform generates it
and hands it over in a ``cloud-boothook`` part of its own, so no rendered file holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.base import NodeFile, header
from stackyard.render.bootstrap.gateway_api import gateway_api_enabled, rke2_command
from stackyard.render.bootstrap.mirrors import RKE2_CA
from stackyard.render.bootstrap.rke2_hardening import (
    AUDIT_POLICY,
    ENCRYPTION_CONFIG,
    POD_SECURITY_CONFIG,
    STATIC_PODS,
)
from stackyard.render.context import RenderContext
from stackyard.render.yamlout import dump_yaml

Kind = Literal["server-init", "server-join", "agent"]
KINDS: tuple[Kind, ...] = ("server-init", "server-join", "agent")
SERVERS: tuple[Kind, ...] = ("server-init", "server-join")
EVERY_NODE: tuple[Kind, ...] = KINDS
SCRIPTS = "/usr/local/lib/stackyard"
INSTALL_URL = "https://get.rke2.io"


@dataclass(frozen=True)
class Placement:
    """Where a node file goes on the machine, on which kinds of node, with which mode."""

    destination: str
    kinds: tuple[Kind, ...]
    permissions: str = "0644"
    run: bool = False
    """A script run once before RKE2 starts."""


def placement(path: str) -> Placement | None:
    """Where the node file ``path`` (relative to ``nodes/<cluster>/``) is installed.

    None for files no machine needs (the README).
    """
    rke2 = "/etc/rancher/rke2"
    fixed = {
        "rke2/config.yaml": Placement(f"{rke2}/config.yaml", SERVERS, "0600"),
        "rke2/config.yaml.d/10-join.yaml": Placement(
            f"{rke2}/config.yaml.d/10-join.yaml", ("server-join",), "0600"
        ),
        "rke2/agent-config.yaml": Placement(f"{rke2}/config.yaml", ("agent",), "0600"),
        "rke2/audit-policy.yaml": Placement(AUDIT_POLICY, SERVERS, "0600"),
        "rke2/encryption-config.yaml": Placement(ENCRYPTION_CONFIG, SERVERS, "0600"),
        "rke2/stackyard-pss.yaml": Placement(POD_SECURITY_CONFIG, SERVERS, "0600"),
        "rke2/registries.yaml": Placement(f"{rke2}/registries.yaml", EVERY_NODE, "0600"),
        "rke2/airgap-ca.pem": Placement(RKE2_CA, EVERY_NODE),
        "rke2/aws-provider-id.sh": Placement(
            f"{SCRIPTS}/aws-provider-id.sh", EVERY_NODE, "0700", run=True
        ),
        "rke2/cis-host.sh": Placement(f"{SCRIPTS}/cis-host.sh", EVERY_NODE, "0700", run=True),
    }
    if path in fixed:
        return fixed[path]
    if path.startswith("rke2/server/manifests/"):
        name = path.removeprefix("rke2/server/manifests/")
        return Placement(f"/var/lib/rancher/rke2/server/manifests/{name}", SERVERS, "0600")
    if path.startswith("rke2/agent/pod-manifests/"):
        name = path.removeprefix("rke2/agent/pod-manifests/")
        return Placement(f"{STATIC_PODS}/{name}", SERVERS, "0600")
    return None


def _install(context: RenderContext, kind: Kind) -> list[str]:
    if context.platform.airgap is not None:
        return []  # the golden image carries RKE2; nothing leaves the network
    major, minor = context.platform.kubernetes.minor
    node_type = "agent" if kind == "agent" else "server"
    # The release channel of the spec's minor: the newest RKE2 patch of that Kubernetes minor.
    return [
        f"curl -sfL {INSTALL_URL} | INSTALL_RKE2_CHANNEL=v{major}.{minor} "
        f"INSTALL_RKE2_TYPE={node_type} sh -"
    ]


def user_data(
    context: RenderContext, cluster: ClusterPlan, files: Iterable[NodeFile], kind: Kind
) -> dict[str, Any]:
    """The cloud-config of one kind of node (see module docs)."""
    written: list[dict[str, Any]] = []
    scripts: list[str] = []
    for node_file in files:
        where = placement(node_file.path)
        if where is None or kind not in where.kinds:
            continue
        written.append(
            {
                "path": where.destination,
                "permissions": where.permissions,
                "owner": "root:root",
                "content": node_file.text,
            }
        )
        if where.run:
            scripts.append(f"sh {where.destination}")
    runcmd = sorted(scripts, key=lambda s: "provider-id" in s)  # CIS host setup first
    if kind != "agent" and gateway_api_enabled(context, cluster):
        runcmd += ["mkdir -p /var/lib/rancher/rke2/server/manifests", rke2_command()]
    runcmd += _install(context, kind)
    service = "rke2-agent" if kind == "agent" else "rke2-server"
    runcmd.append(f"systemctl enable --now {service}.service")
    return {"write_files": written, "runcmd": runcmd}


def user_data_files(
    context: RenderContext, cluster: ClusterPlan, files: list[NodeFile], kinds: Iterable[Kind]
) -> list[tuple[str, str]]:
    """``(path, text)`` of each kind's user-data file, under ``user-data/``."""
    result = []
    for kind in kinds:
        comment = "".join(
            f"# {line}\n"
            for line in header(
                cluster,
                f"User-data of every {kind} machine: the files of nodes/{cluster.name}/, "
                "installed.\nThe join token comes in a part of its own (main.tf).",
            ).splitlines()
        )
        text = "#cloud-config\n" + comment + dump_yaml(user_data(context, cluster, files, kind))
        result.append((f"user-data/{kind}.yaml", text))
    return result
