"""The nodes' registry mirrors: every image is pulled through the internal registry.

An air-gapped platform runs the charts' images unchanged: rewriting each chart's image
values would mean one override per image and per chart version. Instead the container
runtime of every node maps each public registry of :data:`UPSTREAM_REGISTRIES` to the
internal one, under ``<registry prefix>/<public host>/``:

- RKE2 reads ``/etc/rancher/rke2/registries.yaml``: a ``mirrors`` entry per public
  registry with the internal endpoint and a ``rewrite`` that puts the prefix in front of
  the repository, and a ``configs`` entry with the CA
  (https://docs.rke2.io/install/private_registry). RKE2's own system images
  (``docker.io/rancher/...``) go through the same mirror.
- kubeadm's containerd reads ``/etc/containerd/certs.d/<public host>/hosts.toml``
  (https://github.com/containerd/containerd/blob/main/docs/hosts.md): one internal host
  with ``capabilities = ["pull", "resolve"]``; its URL carries the ``/v2/<prefix>/<host>``
  path, so ``override_path`` is set. containerd reads the folder only when its CRI
  registry ``config_path`` names it; the local VMs' cloud-init sets it. kubeadm's
  ``imageRepository`` stays ``registry.k8s.io``: the mirror serves it.

Registry credentials never reach Git: RKE2's ``configs.<host>.auth`` and containerd's
``[host].header`` are added on the node at install (see the README).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.airgap import UPSTREAM_REGISTRIES, airgap
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.context import RenderContext
from stackyard.spec import Airgap

RKE2_CA = "/etc/rancher/rke2/airgap-ca.pem"
CONTAINERD_HOSTS = "/etc/containerd/certs.d"
CONTAINERD_CA = f"{CONTAINERD_HOSTS}/airgap-ca.pem"
CONFIG_PATH_COMMAND = (
    "sed -i 's|config_path = .*|config_path = \"/etc/containerd/certs.d\"|' "
    "/etc/containerd/config.toml"
)
"""Points the CRI registry configuration at ``certs.d`` (the default config leaves it empty)."""


def _endpoint(section: Airgap) -> str:
    return f"{'http' if section.plainHttp else 'https'}://{section.registry_host}"


def _prefix(section: Airgap, upstream: str) -> str:
    """The repository path an upstream registry's images have inside the internal one."""
    parts = section.registry.split("/", 1)
    return f"{parts[1]}/{upstream}" if len(parts) == 2 else upstream


def registries_yaml(section: Airgap, has_ca: bool) -> dict[str, Any]:
    """RKE2's ``registries.yaml``: every public registry mirrored to the internal one."""
    mirrors = {
        upstream: {
            "endpoint": [_endpoint(section)],
            "rewrite": {"^(.*)$": f"{_prefix(section, upstream)}/$1"},
        }
        for upstream in sorted(UPSTREAM_REGISTRIES)
    }
    document: dict[str, Any] = {"mirrors": mirrors}
    if has_ca:
        document["configs"] = {section.registry_host: {"tls": {"ca_file": RKE2_CA}}}
    return document


def hosts_toml(cluster: ClusterPlan, section: Airgap, upstream: str, has_ca: bool) -> str:
    """The ``hosts.toml`` of one public registry: containerd pulls through the internal one."""
    note = f"Install as {CONTAINERD_HOSTS}/{upstream}/hosts.toml on every node."
    lines = [
        *(f"# {line}" for line in header(cluster, note).splitlines()),
        f'server = "{UPSTREAM_REGISTRIES[upstream]}"',
        "",
        f'[host."{_endpoint(section)}/v2/{_prefix(section, upstream)}"]',
        '  capabilities = ["pull", "resolve"]',
        "  override_path = true",
    ]
    if has_ca:
        lines.append(f'  ca = "{CONTAINERD_CA}"')
    return "\n".join(lines) + "\n"


def containerd_files(context: RenderContext, cluster: ClusterPlan) -> list[tuple[str, str]]:
    """(path under ``/etc/containerd/certs.d``, content) of every containerd mirror file."""
    section = airgap(context)
    if section is None:
        return []
    pem = context.plan.spec.airgap_ca
    files = [
        (f"{upstream}/hosts.toml", hosts_toml(cluster, section, upstream, pem is not None))
        for upstream in sorted(UPSTREAM_REGISTRIES)
    ]
    if pem is not None:
        files.append(("airgap-ca.pem", pem))
    return files


def cloud_init_mirror_files(context: RenderContext, cluster: ClusterPlan) -> list[dict[str, Any]]:
    """The cloud-init ``write_files`` entries of the containerd mirror files."""
    return [
        {"path": f"{CONTAINERD_HOSTS}/{path}", "content": text}
        for path, text in containerd_files(context, cluster)
    ]


def cloud_init_mirror_commands(context: RenderContext) -> list[str]:
    """The cloud-init ``runcmd`` lines that make containerd read the mirror files."""
    return [CONFIG_PATH_COMMAND] if airgap(context) is not None else []


def mirror_files(context: RenderContext, cluster: ClusterPlan) -> Iterable[NodeFile]:
    """The node files that send every image pull through the internal registry."""
    section = airgap(context)
    if section is None:
        return []
    pem = context.plan.spec.airgap_ca
    if context.platform.kubernetes.distribution == "rke2":
        files = [
            yaml_file(
                "rke2/registries.yaml",
                [registries_yaml(section, pem is not None)],
                header(
                    cluster,
                    "Install as /etc/rancher/rke2/registries.yaml on every node, before "
                    "RKE2 starts.\nCredentials (configs.<host>.auth) are added on the node.",
                ),
            )
        ]
        if pem is not None:
            files.append(NodeFile("rke2/airgap-ca.pem", pem))
        return files
    return [
        NodeFile(f"containerd/certs.d/{path}", text)
        for path, text in containerd_files(context, cluster)
    ]


def rke2_mirror_table(context: RenderContext) -> list[str]:
    """The node README's rows for the mirror files of an air-gapped RKE2 cluster."""
    if airgap(context) is None:
        return []
    rows = ["| `rke2/registries.yaml` | `/etc/rancher/rke2/registries.yaml` | every node |"]
    if context.plan.spec.airgap_ca is not None:
        rows.append(f"| `rke2/airgap-ca.pem` | `{RKE2_CA}` | every node |")
    return rows
