"""kubeadm configuration: ``init-config.yaml`` and the ``JoinConfiguration`` files.

API ``kubeadm.k8s.io/v1beta4``, the current kubeadm config API (since 1.31, still the
newest in 1.35; its extra arguments are lists of name/value pairs).

- ``kubernetesVersion``: ``v<major.minor.patch>`` when the spec pins a patch; for a
  minor-only spec (``"1.35"``) the label ``stable-1.35``, because kubeadm rejects
  ``v1.35`` and the nodes install the newest 1.35 packages, which that label matches.
- ``controlPlaneEndpoint``: ``<api host>:6443``; certificate SANs, OIDC flags from
  ``apiserver.py``; pod and service subnets from the spec; etcd local (stacked).
- kube-proxy: when the Cilium values replace it, ``skipPhases: [addon/kube-proxy]`` and
  ``proxy.disabled`` (the latter is kept in the cluster's kubeadm-config, so
  ``kubeadm upgrade`` does not bring kube-proxy back).
- Control-plane pools that take workloads get ``taints: []``; otherwise kubeadm's own
  ``node-role.kubernetes.io/control-plane:NoSchedule`` stays.

Join credentials are never rendered: the files carry the placeholders ``${KUBEADM_TOKEN}``,
``${KUBEADM_CA_CERT_HASH}`` and, with several control-plane nodes,
``${KUBEADM_CERTIFICATE_KEY}``. The provisioning script generates the token
(``kubeadm token generate``) and certificate key (``kubeadm certs certificate-key``)
before ``kubeadm init``, reads the CA hash from the first control-plane node afterwards,
and substitutes them (``envsubst``) when it hands the files to the nodes. kubeadm rejects
the unsubstituted placeholders, so a forgotten step fails loudly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.apiserver import API_PORT, api_endpoint, oidc_args, tls_sans
from stackyard.render.bootstrap.aws_ccm import CCM, INSTANCE_FROM_METADATA, ccm_manifests
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.bootstrap.cilium import (
    bootstrap_values,
    helm_install_command,
    replaces_kube_proxy,
    runs_cilium,
)
from stackyard.render.bootstrap.cloudinit import (
    KUBEADM_DIR,
    cloud_init_files,
    multipass_command,
)
from stackyard.render.bootstrap.gateway_api import (
    argocd_application,
    crds_version,
    gateway_api_enabled,
    kubeadm_commands,
)
from stackyard.render.bootstrap.kubeadm_hardening import (
    apiserver_hardening,
    controller_manager_args,
    etcd_args,
    kubeadm_hardening_files,
    kubeadm_hardening_readme,
    kubelet_documents,
    preflight_ignores,
    scheduler_args,
    secret_placeholders,
    uses_encryption_key,
)
from stackyard.render.bootstrap.multipass import LAUNCH, TEARDOWN, multipass_files
from stackyard.render.bootstrap.nodes import Node, cluster_nodes, control_plane_schedulable
from stackyard.render.context import RenderContext
from stackyard.render.tree import RenderError
from stackyard.spec.units import AddressRange

CCM_FILE = "kubeadm/aws-ccm.yaml"
PROVIDER_ID_FILE = "kubeadm/aws-provider-id.sh"
KUBELET_DEFAULTS = "/etc/default/kubelet"
"""Read by the kubelet unit of the Kubernetes packages (``KUBELET_EXTRA_ARGS``)."""
KUBEADM_PROVIDER_ID_SCRIPT = (
    """\
#!/bin/sh
# {header}
#
# Run on every node before kubeadm init or join. Sets the kubelet providerID
# aws:///<zone>/<instance-id> from instance metadata (IMDSv2), so the AWS
# cloud-controller-manager maps the node to its EC2 instance whatever the node's name.
set -eu
"""
    + INSTANCE_FROM_METADATA
    + """\
printf 'KUBELET_EXTRA_ARGS=--provider-id=aws:///%s/%s\\n' "$zone" "$id" > {defaults}
"""
)
API_VERSION = "kubeadm.k8s.io/v1beta4"
TOKEN = "${KUBEADM_TOKEN}"
CA_CERT_HASH = "${KUBEADM_CA_CERT_HASH}"
CERTIFICATE_KEY = "${KUBEADM_CERTIFICATE_KEY}"
CRI_SOCKET = "unix:///var/run/containerd/containerd.sock"
KUBE_PROXY_PHASE = "addon/kube-proxy"
PLACEHOLDERS = ("KUBEADM_TOKEN", "KUBEADM_CA_CERT_HASH", "KUBEADM_CERTIFICATE_KEY")


def kubernetes_version(context: RenderContext) -> str:
    """The ``kubernetesVersion`` kubeadm gets for the spec's version (see module docs)."""
    version = context.platform.kubernetes.version.removeprefix("v")
    if version.count(".") == 2:
        return f"v{version}"
    return f"stable-{version}"


def _cidr(network: AddressRange, field: str, cluster: ClusterPlan) -> str:
    if "-" in network.text:
        raise RenderError(
            f"cluster {cluster.name}: network.{field} {network} must be a CIDR for kubeadm"
        )
    return network.text


def skips_kube_proxy(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether Cilium replaces kube-proxy on ``cluster``."""
    return runs_cilium(cluster) and replaces_kube_proxy(bootstrap_values(context, cluster))


def _args(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def cluster_configuration(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    """The ``ClusterConfiguration`` of ``cluster``."""
    network = cluster.cluster.network
    networking: dict[str, str] = {"dnsDomain": "cluster.local"}
    if network.podCIDR is not None:
        networking["podSubnet"] = _cidr(network.podCIDR, "podCIDR", cluster)
    networking["serviceSubnet"] = _cidr(network.serviceCIDR, "serviceCIDR", cluster)
    api_server: dict[str, Any] = {"certSANs": tls_sans(context, cluster)}
    hardened, volumes = apiserver_hardening(context)
    args = oidc_args(context) + hardened
    if args:
        api_server["extraArgs"] = _args(args)
    if volumes:
        api_server["extraVolumes"] = volumes
    config: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "ClusterConfiguration",
        "clusterName": cluster.name,
        "kubernetesVersion": kubernetes_version(context),
        "controlPlaneEndpoint": api_endpoint(context, cluster),
        "networking": networking,
        "apiServer": api_server,
        "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
    }
    etcd = etcd_args(context)
    if etcd:
        config["etcd"]["local"]["extraArgs"] = _args(etcd)
    controller_manager = controller_manager_args(context)
    if controller_manager:
        config["controllerManager"] = {"extraArgs": _args(controller_manager)}
    scheduler = scheduler_args(context)
    if scheduler:
        config["scheduler"] = {"extraArgs": _args(scheduler)}
    if skips_kube_proxy(context, cluster):
        config["proxy"] = {"disabled": True}
    return config


def _node_registration(
    node: Node | None,
    control_plane: bool,
    schedulable: bool,
    ignores: list[str],
    cloud_provider: bool = False,
) -> dict[str, Any]:
    registration: dict[str, Any] = {}
    if node is not None:
        registration["name"] = node.name
    registration["criSocket"] = CRI_SOCKET
    kubelet: list[tuple[str, str]] = []
    if node is not None and node.address is not None:
        kubelet.append(("node-ip", str(node.address)))
    if cloud_provider:
        # The AWS cloud controller initialises the node (providerID from aws-provider-id.sh).
        kubelet.append(("cloud-provider", "external"))
    if kubelet:
        registration["kubeletExtraArgs"] = _args(kubelet)
    if control_plane and schedulable:
        registration["taints"] = []
    if control_plane and ignores:
        registration["ignorePreflightErrors"] = ignores
    return registration


def init_configuration(
    context: RenderContext, cluster: ClusterPlan, node: Node | None
) -> dict[str, Any]:
    """The ``InitConfiguration`` of the first control-plane node."""
    config: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "InitConfiguration",
        "bootstrapTokens": [
            {
                "token": TOKEN,
                "ttl": "2h0m0s",
                "usages": ["signing", "authentication"],
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
            }
        ],
    }
    if cluster.cluster.control_plane_nodes > 1:
        config["certificateKey"] = CERTIFICATE_KEY
    if node is not None and node.address is not None:
        config["localAPIEndpoint"] = {"advertiseAddress": str(node.address), "bindPort": API_PORT}
    config["nodeRegistration"] = _node_registration(
        node,
        control_plane=True,
        schedulable=control_plane_schedulable(cluster),
        ignores=preflight_ignores(context, cluster),
        cloud_provider=cluster.has(CCM),
    )
    if skips_kube_proxy(context, cluster):
        config["skipPhases"] = [KUBE_PROXY_PHASE]
    return config


def join_configuration(
    context: RenderContext, cluster: ClusterPlan, node: Node | None, control_plane: bool
) -> dict[str, Any]:
    """A ``JoinConfiguration`` for a worker or an additional control-plane node."""
    config: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": api_endpoint(context, cluster),
                "token": TOKEN,
                "caCertHashes": [CA_CERT_HASH],
            }
        },
        "nodeRegistration": _node_registration(
            node,
            control_plane,
            control_plane and control_plane_schedulable(cluster),
            preflight_ignores(context, cluster),
            cluster.has(CCM),
        ),
    }
    if control_plane:
        plane: dict[str, Any] = {}
        if node is not None and node.address is not None:
            plane["localAPIEndpoint"] = {
                "advertiseAddress": str(node.address),
                "bindPort": API_PORT,
            }
        plane["certificateKey"] = CERTIFICATE_KEY
        config["controlPlane"] = plane
    return config


def node_kubeadm(
    context: RenderContext, cluster: ClusterPlan, node: Node
) -> tuple[list[dict[str, Any]], str]:
    """The kubeadm documents of one node and its command: init on the first, join after."""
    nodes = cluster_nodes(context, cluster)
    if node == nodes[0]:
        documents = [
            init_configuration(context, cluster, node),
            cluster_configuration(context, cluster),
            *kubelet_documents(context),
        ]
        return documents, init_command(cluster, KUBEADM_DIR, "config.yaml")
    join = join_configuration(context, cluster, node, node.control_plane)
    return [join], f"kubeadm join --config {KUBEADM_DIR}/config.yaml"


def kubeadm_files(context: RenderContext, cluster: ClusterPlan) -> Iterable[NodeFile]:
    """Every kubeadm node file of ``cluster`` (none on other distributions)."""
    if context.platform.kubernetes.distribution != "kubeadm":
        return []
    nodes = cluster_nodes(context, cluster)
    note = "Placeholders ${...} are filled in by the provisioning script; see README.md."
    files = [
        yaml_file(
            "kubeadm/init-config.yaml",
            [
                init_configuration(context, cluster, nodes[0]),
                cluster_configuration(context, cluster),
                *kubelet_documents(context),
            ],
            header(cluster, f"kubeadm init --config on {nodes[0].name}. {note}"),
        )
    ]
    if any(n.control_plane for n in nodes[1:]):
        files.append(
            yaml_file(
                "kubeadm/join-control-plane-config.yaml",
                [join_configuration(context, cluster, None, control_plane=True)],
                header(cluster, f"kubeadm join --config on other control-plane nodes. {note}"),
            )
        )
    if any(not n.control_plane for n in nodes):
        files.append(
            yaml_file(
                "kubeadm/join-config.yaml",
                [join_configuration(context, cluster, None, control_plane=False)],
                header(cluster, f"kubeadm join --config on workers. {note}"),
            )
        )
    files += kubeadm_hardening_files(context, cluster)
    if cluster.has(CCM):
        files += [
            yaml_file(
                CCM_FILE,
                ccm_manifests(context, cluster),
                header(cluster, "kubectl apply -f on the first control-plane node after init."),
            ),
            NodeFile(
                PROVIDER_ID_FILE,
                KUBEADM_PROVIDER_ID_SCRIPT.format(
                    header=header(cluster).replace("\n", "\n# "), defaults=KUBELET_DEFAULTS
                ),
            ),
        ]
    if context.platform.provider == "local":
        user_data = cloud_init_files(context, cluster, nodes, node_kubeadm)
        files += user_data
        files += multipass_files(cluster, nodes, _used_placeholders(context, user_data))
    files.append(NodeFile("README.md", kubeadm_readme(context, cluster)))
    return files


def kubeadm_readme(context: RenderContext, cluster: ClusterPlan) -> str:
    """Which file goes where, and the bootstrap order, for one kubeadm cluster."""
    platform = context.platform
    nodes = cluster_nodes(context, cluster)
    local = platform.provider == "local"
    lines = [
        f"# Node bootstrap: {cluster.name} (kubeadm, Kubernetes {platform.kubernetes.version})",
        "",
        "These files set up the nodes before Argo CD can run; Argo CD never reads them.",
        "Nothing secret is rendered here: join credentials are `${...}` placeholders.",
        "",
        "| node | pool | role | address | kubeadm |",
        "|---|---|---|---|---|",
    ]
    for node in nodes:
        address = str(node.address) if node.address is not None else "(provisioning)"
        how = "init" if node == nodes[0] else "join"
        lines.append(f"| `{node.name}` | {node.pool.name} | {node.pool.role} | {address} | {how} |")
    lines += [
        "",
        "## Order",
        "",
        "1. Generate the join credentials and keep them in your secret store:",
        "   `KUBEADM_TOKEN=$(kubeadm token generate)`"
        + (
            ", `KUBEADM_CERTIFICATE_KEY=$(kubeadm certs certificate-key)`"
            if cluster.cluster.control_plane_nodes > 1
            else ""
        )
        + (
            ", `ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)`."
            if uses_encryption_key(context)
            else "."
        ),
    ]
    if local:
        first = nodes[0]
        lines += [
            "2. Export them and `SSH_PUBLIC_KEY` (the key you log in to the VMs with), then",
            "   create the VMs from this folder:",
            "",
            "   ```sh",
            f"   sh {LAUNCH}",
            "   ```",
            "",
            f"   It launches `{first.name}`, whose cloud-init runs `kubeadm init` with",
            "   `kubeadm/init-config.yaml`, reads the CA hash from it, then launches the other",
            "   control-plane nodes one at a time and the workers, each with its pool's size and",
            "   its user-data from `cloud-init/`, the placeholders substituted. It skips VMs that",
            f"   exist, so run it again after an interruption. `sh {TEARDOWN}` deletes the VMs.",
            "3. By hand instead: substitute the placeholders",
            f"   (`envsubst '{_shell_format(context)}'`) into each node's user-data and launch the",
            "   nodes in this order, waiting for each one's `cloud-init status --wait`:",
            "",
        ]
        for node in nodes:
            lines.append(f"   - `{multipass_command(node, f'<{node.name} user-data>')}`")
        lines += [
            "",
            f"   Every node maps `{context.api_host(cluster)}` to {first.address} in",
            "   `/etc/hosts`; with several control-plane nodes put a virtual IP behind that name.",
            "   Keep the node addresses out of the host network's DHCP pool.",
        ]
    else:
        lines += [
            f"2. On the first control-plane node: `{init_command(cluster, 'kubeadm')}`.",
            "3. Read the CA hash there (`sha256:` plus the SHA-256 of the CA's public key) and run",
            "   `kubeadm join --config` with the join files on the other nodes.",
        ]
        if cluster.has(CCM):
            lines += [
                f"   On AWS: run `sh {PROVIDER_ID_FILE}` as root on every node before",
                "   `kubeadm init` or `join` (the kubelet's providerID), and apply the cloud",
                f"   controller on the first node right after init: `kubectl apply -f {CCM_FILE}`",
                "   (nodes stay tainted uninitialized until it runs).",
            ]
    if runs_cilium(cluster):
        lines += [
            "4. Install Cilium once, from the repository root, with the values Argo CD will use",
            "   (the admin kubeconfig is `/etc/kubernetes/admin.conf` on the first node):",
            "",
            "   ```sh",
            *(f"   {command}" for command in _gateway_api_first(context, cluster)),
            "   " + helm_install_command(context, cluster).replace("\n", "\n   "),
            "   ```",
            "",
            *_gateway_api_readme(context, cluster),
            f"   Argo CD's `cilium-{cluster.name}` Application adopts this release (same chart,",
            "   version, values and release name); afterwards change Cilium only through Git.",
        ]
    else:
        lines.append("4. No CNI is planned: nodes stay NotReady until you install one.")
    lines += [
        "",
        "## etcd snapshots",
        "",
        "kubeadm has no snapshot schedule; the CronJob `kube-system/etcd-snapshot` in",
        f"`manifests/{cluster.name}/base/etcd-backup.yaml` takes them on a control-plane node",
        "(see that file for schedule and retention).",
    ]
    lines += kubeadm_hardening_readme(context, cluster)
    return "\n".join(lines) + "\n"


def _gateway_api_first(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """The Gateway API CRD commands that must run before ``helm install`` (``gateway_api.py``)."""
    if not gateway_api_enabled(context, cluster):
        return []
    return kubeadm_commands()


def _gateway_api_readme(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    if not gateway_api_enabled(context, cluster):
        return []
    return [
        f"   The first two commands install the Gateway API CRDs ({crds_version()}), which Cilium",
        "   must find when it starts to serve Gateways; Argo CD's",
        f"   `{argocd_application(cluster)}` Application manages that same version afterwards.",
        "   Air-gapped: apply a copy of that file from your mirror instead of the URL.",
        "",
    ]


def init_command(cluster: ClusterPlan, folder: str, file: str = "init-config.yaml") -> str:
    """``kubeadm init`` with ``file`` in ``folder``; certificates shared for HA."""
    command = f"kubeadm init --config {folder}/{file}"
    if cluster.cluster.control_plane_nodes > 1:
        command += " --upload-certs"
    return command


def _placeholders(context: RenderContext) -> list[str]:
    return [*PLACEHOLDERS, "SSH_PUBLIC_KEY", *secret_placeholders(context)]


def _used_placeholders(context: RenderContext, files: list[NodeFile]) -> list[str]:
    """The placeholders some user-data file carries: what the launch script must be given."""
    return [n for n in _placeholders(context) if any("${" + n + "}" in f.text for f in files)]


def _shell_format(context: RenderContext) -> str:
    return " ".join("${" + name + "}" for name in _placeholders(context))
