"""A provisioned cluster in a vCenter: its vSphere provider (CAPV) objects and API VIP.

- ``VSphereCluster``: vCenter's address and certificate fingerprint, the API server's
  virtual IP as the control plane endpoint (``clusters[].vsphere.apiVIP``), and the
  vCenter account as a Secret in the cluster's namespace (``identityRef``), so each
  cluster's credentials stay beside it.
- ``VSphereMachineTemplate`` per node pool: a full clone of ``onprem.vsphere.template``
  into its datacenter, datastore, folder and resource pool, with the pool's ``cpu``,
  ``memory`` and ``disk``, and one NIC on ``onprem.vsphere.network`` that takes its
  address by DHCP (``network.nodeRange`` is that range).
- kube-vip holds the API VIP, as the vSphere provider's own cluster templates do: a
  static pod on every control-plane node that announces the address by ARP from the
  node holding the leader lease. Its Service load balancing stays off (MetalLB serves
  LoadBalancer Services). On kubeadm the first node's ``kubeadm init`` grants
  ``admin.conf`` its rights only after the API server is up, so kube-vip there reads
  ``super-admin.conf`` (https://github.com/kube-vip/kube-vip/issues/684), as the
  provider's templates do; on RKE2 it reads the server's ``rke2.yaml``, which points at
  the node's own API server. The VIP is a TLS name of the API server.
- No vSphere cloud controller runs, so nothing sets a node's providerID, which Cluster
  API matches to its Machine (``vsphere://<BIOS UUID>``, as the provider records it). A
  script run before the distribution starts gives the kubelet that providerID from the
  VM's SMBIOS UUID (equal to vSphere's BIOS UUID from virtual hardware version 13).

The account's ``username`` and ``password`` come from Vault's key
``onprem.vsphere.credentialsRef`` through External Secrets on mgmt, into the cluster's
Secret and into the provider's variables (``capv-variables``); without External Secrets
and Vault on mgmt the README lists both Secrets to create by hand.
"""

from __future__ import annotations

import math
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.apiserver import API_PORT
from stackyard.render.clusterapi.machines import machine_file
from stackyard.render.clusterapi.names import INFRASTRUCTURE, namespace, pool_name
from stackyard.render.context import RenderContext
from stackyard.render.manifests.secrets import VaultProperty, vault_external_secret
from stackyard.render.tree import Manifest, RenderError
from stackyard.render.yamlout import dump_yaml
from stackyard.spec.model import NodePool, VSphere
from stackyard.spec.units import GIB, parse_quantity

VARIABLES_SECRET = "capv-variables"
"""The provider's clusterctl variables ``VSPHERE_USERNAME`` and ``VSPHERE_PASSWORD``."""
CREDENTIAL_KEYS = ("username", "password")
MIB = 1024**2
KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v0.6.4"
"""The kube-vip release the vSphere provider's v1.16.1 cluster templates run."""
KUBE_VIP_HOSTS = "/etc/kube-vip.hosts"
KUBEADM_MANIFESTS = "/etc/kubernetes/manifests"
RKE2_MANIFESTS = "/var/lib/rancher/rke2/agent/pod-manifests"
PROVIDER_ID_PATH = "/opt/stackyard/vsphere-provider-id.sh"

PROVIDER_ID_SCRIPT = """\
#!/bin/sh
# {header}
#
# Run on every node before the kubelet first starts. Sets its providerID to
# vsphere://<BIOS UUID>, which the vSphere provider records for the VM and Cluster API
# matches to the Machine; no vSphere cloud controller runs to set it.
set -eu
uuid=$(tr 'A-F' 'a-f' < /sys/class/dmi/id/product_uuid)
{write}
"""
_RKE2_PROVIDER_ID = (
    "mkdir -p /etc/rancher/rke2/config.yaml.d\n"
    "printf 'kubelet-arg+:\\n  - provider-id=vsphere://%s\\n' \"$uuid\" \\\n"
    "  > /etc/rancher/rke2/config.yaml.d/10-provider-id.yaml"
)
# kubeadm's kubelet unit reads KUBELET_EXTRA_ARGS from this file.
_KUBEADM_PROVIDER_ID = (
    "printf 'KUBELET_EXTRA_ARGS=--provider-id=vsphere://%s\\n' \"$uuid\" > /etc/default/kubelet"
)


def on_vsphere(context: RenderContext) -> bool:
    """Whether the provisioned clusters are vSphere VMs (else AWS instances)."""
    return context.platform.vsphere is not None


def _vsphere(context: RenderContext) -> VSphere:
    vsphere = context.platform.vsphere
    assert vsphere is not None, "only called for a platform with a vCenter"
    return vsphere


def api_vip(cluster: ClusterPlan) -> str:
    """The API server's virtual IP of ``cluster``.

    Raises:
        RenderError: the spec names none (SY422 says so first).
    """
    settings = cluster.cluster.vsphere
    if settings is None or settings.apiVIP is None:
        raise RenderError(f"cluster {cluster.name}: Cluster API on vSphere needs vsphere.apiVIP")
    return settings.apiVIP


def credentials_secret(cluster: ClusterPlan) -> str:
    """The Secret with the vCenter account, in the cluster's namespace on mgmt."""
    return f"{cluster.name}-vsphere-credentials"


def _server(vsphere: VSphere) -> dict[str, str]:
    server = {"server": vsphere.server}
    if vsphere.thumbprint is not None:
        server["thumbprint"] = vsphere.thumbprint
    return server


def vsphere_cluster(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The ``VSphereCluster``: vCenter, the API VIP and the account's Secret."""
    return {
        "apiVersion": INFRASTRUCTURE,
        "kind": "VSphereCluster",
        "metadata": {"name": cluster.name, "namespace": namespace(cluster)},
        "spec": {
            **_server(_vsphere(context)),
            "controlPlaneEndpoint": {"host": api_vip(cluster), "port": API_PORT},
            "identityRef": {"kind": "Secret", "name": credentials_secret(cluster)},
        },
    }


def vsphere_machine_template(
    context: RenderContext, cluster: ClusterPlan, pool: NodePool
) -> Manifest:
    """The ``VSphereMachineTemplate`` of one node pool.

    Raises:
        RenderError: the spec names no VM template (SY424 says so first).
    """
    vsphere = _vsphere(context)
    if vsphere.template is None:
        raise RenderError(f"cluster {cluster.name}: Cluster API on vSphere needs a template")
    machine: dict[str, Any] = {
        **_server(vsphere),
        "datacenter": vsphere.datacenter,
        "datastore": vsphere.datastore,
        "template": vsphere.template,
        "cloneMode": "fullClone",
        "numCPUs": math.ceil(parse_quantity(pool.cpu)),
        "memoryMiB": math.ceil(parse_quantity(pool.memory) / MIB),
        "network": {"devices": [{"networkName": vsphere.network, "dhcp4": True}]},
    }
    if vsphere.folder is not None:
        machine["folder"] = vsphere.folder
    if vsphere.resourcePool is not None:
        machine["resourcePool"] = vsphere.resourcePool
    if pool.disk is not None:
        machine["diskGiB"] = math.ceil(parse_quantity(pool.disk) / GIB)
    return {
        "apiVersion": INFRASTRUCTURE,
        "kind": "VSphereMachineTemplate",
        "metadata": {"name": pool_name(cluster, pool), "namespace": namespace(cluster)},
        "spec": {"template": {"spec": machine}},
    }


def kube_vip_pod(cluster: ClusterPlan, kubeconfig: str) -> dict[str, Any]:
    """kube-vip's static pod: the API VIP by ARP from the leader, Services left alone."""
    env = {
        "vip_arp": "true",
        "port": str(API_PORT),
        "vip_cidr": "32",
        "cp_enable": "true",
        "cp_namespace": "kube-system",
        "vip_ddns": "false",
        "svc_enable": "false",  # MetalLB serves LoadBalancer Services
        "vip_leaderelection": "true",
        "vip_leasename": "plndr-cp-lock",
        "vip_leaseduration": "15",
        "vip_renewdeadline": "10",
        "vip_retryperiod": "2",
        "address": api_vip(cluster),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "hostNetwork": True,
            "containers": [
                {
                    "name": "kube-vip",
                    "image": KUBE_VIP_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "args": ["manager"],
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                    "volumeMounts": [
                        {"name": "kubeconfig", "mountPath": "/etc/kubernetes/admin.conf"},
                        {"name": "etchosts", "mountPath": "/etc/hosts"},
                    ],
                }
            ],
            "volumes": [
                {"name": "kubeconfig", "hostPath": {"path": kubeconfig, "type": "File"}},
                {"name": "etchosts", "hostPath": {"path": KUBE_VIP_HOSTS, "type": "File"}},
            ],
        },
    }


def control_plane_files(context: RenderContext, cluster: ClusterPlan) -> list[dict[str, str]]:
    """kube-vip's static pod and its hosts file, on the control-plane machines."""
    if context.platform.kubernetes.distribution == "rke2":
        manifest, kubeconfig = f"{RKE2_MANIFESTS}/kube-vip.yaml", "/etc/rancher/rke2/rke2.yaml"
    else:
        manifest, kubeconfig = f"{KUBEADM_MANIFESTS}/kube-vip.yaml", "/etc/kubernetes/admin.conf"
    return [
        machine_file(manifest, dump_yaml(kube_vip_pod(cluster, kubeconfig)), "0644"),
        # kube-vip reaches the API server as "kubernetes": the node itself.
        machine_file(KUBE_VIP_HOSTS, "127.0.0.1 localhost kubernetes\n", "0644"),
    ]


def kubeadm_init_command() -> str:
    """Before ``kubeadm init`` only: kube-vip reads super-admin.conf (see module docs)."""
    return (
        "if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i "
        "'s#path: /etc/kubernetes/admin.conf#path: /etc/kubernetes/super-admin.conf#' "
        f"{KUBEADM_MANIFESTS}/kube-vip.yaml; fi"
    )


def provider_id(
    context: RenderContext, cluster: ClusterPlan
) -> tuple[list[dict[str, str]], list[str]]:
    """The providerID script as a file and the command that runs it."""
    rke2 = context.platform.kubernetes.distribution == "rke2"
    script = PROVIDER_ID_SCRIPT.format(
        header=f"Cluster {cluster.name}, from Cluster API.",
        write=_RKE2_PROVIDER_ID if rke2 else _KUBEADM_PROVIDER_ID,
    )
    return [machine_file(PROVIDER_ID_PATH, script, "0700")], [f"sh {PROVIDER_ID_PATH}"]


def credentials_through_external_secrets(context: RenderContext) -> bool:
    """Whether External Secrets on mgmt copies the vCenter account from Vault."""
    return context.argocd_cluster.has("external-secrets") and bool(
        context.clusters_running("vault")
    )


def _from_vault(context: RenderContext, fields: dict[str, str]) -> dict[str, VaultProperty]:
    """Each Secret key's field of the vCenter account in Vault (``credentialsRef``)."""
    remote = _vsphere(context).credentialsRef
    return {key: VaultProperty(remote, field) for key, field in fields.items()}


def cluster_credentials(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """The ExternalSecret of the cluster's vCenter Secret (none without External Secrets)."""
    if not credentials_through_external_secrets(context):
        return []
    data = _from_vault(context, {key: key for key in CREDENTIAL_KEYS})
    return [vault_external_secret(context, credentials_secret(cluster), namespace(cluster), data)]


def provider_variables(context: RenderContext, operator_namespace: str) -> list[Manifest]:
    """The ExternalSecret of the provider's variables (none without External Secrets)."""
    if not credentials_through_external_secrets(context):
        return []
    data = _from_vault(context, {f"VSPHERE_{key.upper()}": key for key in CREDENTIAL_KEYS})
    return [vault_external_secret(context, VARIABLES_SECRET, operator_namespace, data)]
