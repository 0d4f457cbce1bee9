"""A provisioned cluster's control plane and node bootstrap, per distribution.

RKE2 (rancher's cluster-api-provider-rke2): an ``RKE2ControlPlane`` and one
``RKE2ConfigTemplate`` per worker pool. They carry the node configuration the render
already decides for a cluster whose nodes are made by hand (``render.bootstrap.rke2``),
so both ways give one cluster: the provider's typed fields where it has them (CNI, the
external cloud provider, disabled components, TLS names, API server flags, the etcd
snapshot schedule and its S3 copies), and everything else as the same options in a
drop-in file, ``/etc/rancher/rke2/config.yaml.d/50-stackyard.yaml``, which RKE2 merges
over the ``config.yaml`` the provider writes (https://docs.rke2.io/install/configuration
#multiple-config-files). Options the provider owns are left to it: the join token and
address, ``tls-san`` (it adds the load balancer's name) and the pod and service ranges
(from the ``Cluster``). The static manifests the servers apply at start (the AWS cloud
controller, Cilium's bootstrap HelmChart) and the script that sets the kubelet's AWS
providerID are files of the machines, written before RKE2 starts.

kubeadm (Cluster API's own providers): a ``KubeadmControlPlane`` and one
``KubeadmConfigTemplate`` per worker pool, with the API server's names and flags of
``render.bootstrap.kubeadm`` and kube-proxy skipped where Cilium replaces it. The
distribution's version is the spec's; a minor version alone means its ``.0`` release,
as Cluster API needs a full version.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.apiserver import tls_sans
from stackyard.render.bootstrap.aws_ccm import CCM, ccm_manifests
from stackyard.render.bootstrap.cilium import bootstrap_values, helm_chart, runs_cilium
from stackyard.render.bootstrap.gateway_api import gateway_api_enabled, rke2_command
from stackyard.render.bootstrap.kubeadm import (
    KUBE_PROXY_PHASE,
    cluster_configuration,
    skips_kube_proxy,
)
from stackyard.render.bootstrap.rke2 import PROVIDER_ID_SCRIPT, agent_config, server_config
from stackyard.render.clusterapi.machines import control_plane_pool, machine_file, worker_pools
from stackyard.render.clusterapi.names import (
    BOOTSTRAP,
    CONTROL_PLANE,
    INFRASTRUCTURE_GROUP,
    control_plane_name,
    namespace,
    pool_name,
)
from stackyard.render.clusterapi.vsphere import (
    control_plane_files,
    kubeadm_init_command,
    on_vsphere,
)
from stackyard.render.clusterapi.vsphere import provider_id as vsphere_provider_id
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import snapshot_copies
from stackyard.render.tree import Manifest, RenderError
from stackyard.render.yamlout import dump_documents

DROP_IN = "/etc/rancher/rke2/config.yaml.d/50-stackyard.yaml"
MANIFESTS_DIR = "/var/lib/rancher/rke2/server/manifests"
PROVIDER_ID_PATH = "/opt/stackyard/aws-provider-id.sh"
KUBEADM_CCM = "/etc/kubernetes/stackyard/aws-ccm.yaml"
ETCD_S3_CREDENTIALS = "etcd-s3-credentials"
"""Keys ``aws_access_key_id`` and ``aws_secret_access_key``, as the RKE2 provider reads them."""
RKE2_RELEASE = "rke2r1"
"""The first RKE2 release of a Kubernetes version; the provider installs it."""

# Server options the provider sets itself, or that become typed fields below.
_PROVIDER_OWNED = {"token-file", "server", "tls-san", "cluster-cidr", "service-cidr"}
_TYPED = {
    "cni",
    "cloud-provider-name",
    "disable-kube-proxy",
    "disable-cloud-controller",
    "kube-apiserver-arg",
    "etcd-snapshot-schedule-cron",
    "etcd-snapshot-retention",
    "etcd-s3",
    "etcd-s3-endpoint",
    "etcd-s3-region",
    "etcd-s3-bucket",
    "etcd-s3-folder",
}


def kubernetes_version(context: RenderContext) -> str:
    """The version machines are created with, as the distribution's provider takes it."""
    version = f"v{context.platform.kubernetes.semver}"
    if context.platform.kubernetes.distribution == "rke2":
        return f"{version}+{RKE2_RELEASE}"
    return version


def control_plane_kind(context: RenderContext) -> str:
    """``RKE2ControlPlane`` or ``KubeadmControlPlane``."""
    if context.platform.kubernetes.distribution == "rke2":
        return "RKE2ControlPlane"
    return "KubeadmControlPlane"


def bootstrap_kind(context: RenderContext) -> str:
    """``RKE2ConfigTemplate`` or ``KubeadmConfigTemplate``: the workers' bootstrap."""
    if context.platform.kubernetes.distribution == "rke2":
        return "RKE2ConfigTemplate"
    return "KubeadmConfigTemplate"


def control_plane(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The control plane object of ``cluster``."""
    if context.platform.kubernetes.distribution == "rke2":
        return _rke2_control_plane(context, cluster)
    return _kubeadm_control_plane(context, cluster)


def worker_bootstrap(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """One bootstrap template per worker pool."""
    if context.platform.kubernetes.distribution == "rke2":
        spec = _rke2_agent(context, cluster)
    else:
        spec = {"joinConfiguration": {"nodeRegistration": _kubeadm_registration(context, cluster)}}
        script, commands = _provider_id(context, cluster)
        if on_vsphere(context):
            spec |= {"files": script, "preKubeadmCommands": commands}
    return [
        {
            "apiVersion": BOOTSTRAP,
            "kind": bootstrap_kind(context),
            "metadata": {"name": pool_name(cluster, pool), "namespace": namespace(cluster)},
            "spec": {"template": {"spec": spec}},
        }
        for pool in worker_pools(cluster)
    ]


def _machine_template(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    pool = control_plane_pool(cluster)
    kind = "VSphereMachineTemplate" if on_vsphere(context) else "AWSMachineTemplate"
    return {
        "spec": {
            "infrastructureRef": {
                "apiGroup": INFRASTRUCTURE_GROUP,
                "kind": kind,
                "name": pool_name(cluster, pool),
            }
        }
    }


def _drop_in(options: dict[str, Any], cluster: ClusterPlan) -> str:
    note = (
        f"Cluster {cluster.name}: options the Cluster API provider does not model, "
        "merged over its config.yaml."
    )
    return dump_documents([options], note)


def _provider_id(
    context: RenderContext, cluster: ClusterPlan
) -> tuple[list[dict[str, str]], list[str]]:
    """The providerID script as a file and the command that runs it.

    On AWS where the CCM runs; on vSphere, where none does, from the VM's UUID.
    """
    if on_vsphere(context):
        return vsphere_provider_id(context, cluster)
    if not cluster.has(CCM):
        return [], []
    script = PROVIDER_ID_SCRIPT.format(header=f"Cluster {cluster.name}, from Cluster API.")
    return [machine_file(PROVIDER_ID_PATH, script, "0700")], [f"sh {PROVIDER_ID_PATH}"]


def _etcd(context: RenderContext, cluster: ClusterPlan, config: dict[str, Any]) -> dict[str, Any]:
    backup: dict[str, Any] = {
        "scheduleCron": config["etcd-snapshot-schedule-cron"],
        "retention": str(config["etcd-snapshot-retention"]),
    }
    if "etcd-s3-endpoint" in config:
        backup["s3"] = {
            "endpoint": config["etcd-s3-endpoint"],
            "bucket": config["etcd-s3-bucket"],
            "folder": config["etcd-s3-folder"],
            "region": config["etcd-s3-region"],
        }
        copies = snapshot_copies(context, cluster)
        if copies is not None and copies.credentials_secret is not None:
            # The provider hands the keys to RKE2 from this Secret on mgmt, where a
            # hand-made server reads them from /etc/default/rke2-server.
            backup["s3"]["s3CredentialSecret"] = {
                "kind": "Secret",
                "name": ETCD_S3_CREDENTIALS,
                "namespace": namespace(cluster),
            }
    return {"backupConfig": backup}


def _rke2_control_plane(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    config = server_config(context, cluster)
    if "etcd-s3-config-secret" in config:  # MinIO runs on AWS only without S3: not here
        raise RenderError(f"cluster {cluster.name}: etcd copies through MinIO need manual nodes")
    disabled = [
        component
        for option, component in (
            ("disable-kube-proxy", "kubeProxy"),
            ("disable-cloud-controller", "cloudController"),
        )
        if config.get(option)
    ]
    server: dict[str, Any] = {"cni": config["cni"]}
    if "cloud-provider-name" in config:
        server["cloudProviderName"] = config["cloud-provider-name"]
    if disabled:
        server["disableComponents"] = {"kubernetesComponents": disabled}
    server["tlsSan"] = tls_sans(context, cluster)
    if "kube-apiserver-arg" in config:
        server["kubeAPIServer"] = {"extraArgs": list(config["kube-apiserver-arg"])}
    server["etcd"] = _etcd(context, cluster, config)
    rest = {k: v for k, v in config.items() if k not in _PROVIDER_OWNED | _TYPED}
    files = [machine_file(DROP_IN, _drop_in(rest, cluster))]
    if cluster.has(CCM):
        manifests = dump_documents(ccm_manifests(context, cluster))
        files.append(machine_file(f"{MANIFESTS_DIR}/aws-ccm.yaml", manifests))
    if runs_cilium(cluster):
        chart = dump_documents([helm_chart(context, bootstrap_values(context, cluster))])
        files.append(machine_file(f"{MANIFESTS_DIR}/cilium.yaml", chart))
    if on_vsphere(context):
        files += control_plane_files(context, cluster)
    script, commands = _provider_id(context, cluster)
    files += script
    if gateway_api_enabled(context, cluster):  # the CRDs before Cilium starts
        commands = [f"mkdir -p {MANIFESTS_DIR}", rke2_command(), *commands]
    spec: dict[str, Any] = {
        "version": kubernetes_version(context),
        "replicas": cluster.cluster.control_plane_nodes,
        "machineTemplate": _machine_template(context, cluster),
        # Nodes register through the API load balancer's supervisor listener.
        "registrationMethod": "control-plane-endpoint",
        "rolloutStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        "serverConfig": server,
        "files": files,
    }
    if commands:
        spec["preRKE2Commands"] = commands
    return {
        "apiVersion": CONTROL_PLANE,
        "kind": "RKE2ControlPlane",
        "metadata": {"name": control_plane_name(cluster), "namespace": namespace(cluster)},
        "spec": spec,
    }


def _rke2_agent(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    config = agent_config(context, cluster)
    rest = {k: v for k, v in config.items() if k not in _PROVIDER_OWNED}
    script, commands = _provider_id(context, cluster)
    spec: dict[str, Any] = {"files": [machine_file(DROP_IN, _drop_in(rest, cluster)), *script]}
    if commands:
        spec["preRKE2Commands"] = commands
    return spec


def _kubeadm_registration(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    # On AWS the node is named as the instance's private DNS name, which the AWS cloud
    # controller and the provider's providerID expect; on vSphere as the VM, whose name
    # the provider hands cloud-init (cloud-init fills both in).
    hostname = (
        "{{ local_hostname }}" if on_vsphere(context) else "{{ ds.meta_data.local_hostname }}"
    )
    registration: dict[str, Any] = {"name": hostname}
    if cluster.has(CCM):
        registration["kubeletExtraArgs"] = [{"name": "cloud-provider", "value": "external"}]
    return registration


def _kubeadm_control_plane(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    rendered = cluster_configuration(context, cluster)
    if "extraVolumes" in rendered["apiServer"]:
        raise RenderError(
            f"cluster {cluster.name}: API server hardening files on kubeadm need manual nodes"
        )
    # The API server's names and flags (OIDC, hardening) as for hand-made nodes; the
    # networks, version and endpoint come from the Cluster and the control plane object.
    api_server = {k: v for k, v in rendered["apiServer"].items() if k in ("certSANs", "extraArgs")}
    configuration: dict[str, Any] = {"apiServer": api_server}
    for part in ("controllerManager", "scheduler"):
        if part in rendered:
            configuration[part] = rendered[part]
    init: dict[str, Any] = {"nodeRegistration": _kubeadm_registration(context, cluster)}
    if skips_kube_proxy(context, cluster):
        init["skipPhases"] = [KUBE_PROXY_PHASE]
    config_spec: dict[str, Any] = {
        "clusterConfiguration": configuration,
        "initConfiguration": init,
        "joinConfiguration": {"nodeRegistration": _kubeadm_registration(context, cluster)},
    }
    if on_vsphere(context):
        script, commands = _provider_id(context, cluster)
        config_spec["files"] = [*control_plane_files(context, cluster), *script]
        config_spec["preKubeadmCommands"] = [kubeadm_init_command(), *commands]
    elif cluster.has(CCM):
        # The kubelets wait for the external AWS cloud controller (cloud-provider: external):
        # every control-plane machine applies it once its API server runs (idempotent).
        manifests = dump_documents(ccm_manifests(context, cluster))
        config_spec["files"] = [machine_file(KUBEADM_CCM, manifests)]
        config_spec["postKubeadmCommands"] = [
            f"kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f {KUBEADM_CCM}"
        ]
    return {
        "apiVersion": CONTROL_PLANE,
        "kind": "KubeadmControlPlane",
        "metadata": {"name": control_plane_name(cluster), "namespace": namespace(cluster)},
        "spec": {
            "version": kubernetes_version(context),
            "replicas": cluster.cluster.control_plane_nodes,
            "machineTemplate": _machine_template(context, cluster),
            "kubeadmConfigSpec": config_spec,
        },
    }
