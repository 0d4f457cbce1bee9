"""RKE2 node configuration: ``config.yaml`` for servers and agents, static manifests.

Policy, setting by setting (RKE2 v1.35 server options):

- ``cni``: ``canal`` where the plan runs Canal; otherwise ``none``, and Cilium comes from
  a static ``HelmChart`` that Argo CD later adopts (the decision is in ``cilium.py``).
  ``disable-kube-proxy`` when the Cilium values replace kube-proxy. Canal needs no
  ``HelmChartConfig``: RKE2 hands it ``cluster-cidr`` itself.
- ``ingress-controller: none``: ingress is the platform's (``networking.ingress``: the
  catalog's ingress-nginx, a Gateway API implementation, or deliberately none), never
  RKE2's bundled one. This option replaced ``disable: [rke2-ingress-nginx]`` and also
  covers ``rke2-traefik``, RKE2's default from v1.36. Nothing else is disabled: CoreDNS,
  metrics-server and the snapshot controller have no replacement in the catalog.
- Cloud provider (when the plan runs the AWS CCM): ``cloud-provider-name: external`` so
  kubelets wait for the external CCM, ``disable-cloud-controller`` so RKE2's embedded CCM
  does not initialise nodes with its own ``rke2://`` providerID first, and
  ``node-name-from-cloud-provider-metadata`` so node names are the EC2 private DNS
  names the CCM looks up. ``aws-provider-id.sh`` also sets the kubelet providerID
  ``aws:///<zone>/<instance-id>`` from instance metadata (the external CCM's identifier).
- ``tls-san``: the API host and the control-plane addresses (``apiserver.py``).
- ``node-taint: CriticalAddonsOnly=true:NoExecute`` on servers when the control-plane
  pools are not schedulable; only add-ons that tolerate it (CNI, CCM) run there.
- ``kube-apiserver-arg``: OIDC via Keycloak when Keycloak runs (``apiserver.py``).
- etcd (backup tier L1): ``etcd-snapshot-schedule-cron`` and ``etcd-snapshot-retention``
  from ``slo.rpo`` (``etcd_schedule.py``: interval never above the RPO). Off-node copies:
  to the spec's external object store when it declares one (``objectStorage``): its
  host as ``etcd-s3-endpoint``, its ``etcdSnapshots`` bucket, region, folder
  ``<cluster>``, ``etcd-s3-insecure`` for an ``http://`` endpoint and
  ``etcd-s3-bucket-lookup-type: path`` for path-style stores; keys, when the store has a
  credentials Secret, reach ``rke2-server`` as ``AWS_ACCESS_KEY_ID`` and
  ``AWS_SECRET_ACCESS_KEY`` in ``/etc/default/rke2-server``, the environment variables
  of ``etcd-s3-access-key`` and ``etcd-s3-secret-key`` (the README says so), never in
  the rendered file. Without one: on AWS to the S3 bucket of the cluster's region
  (``render/etcd_copies.py``), folder ``<cluster>``, with the server instance profile's
  credentials (none rendered); elsewhere, when MinIO runs, through
  ``etcd-s3-config-secret: etcd-s3-secret`` only, because RKE2 ignores that Secret as
  soon as any other ``etcd-s3-*`` option is set, so endpoint, bucket and keys live in the
  Secret (the README lists them). Options: https://docs.rke2.io/reference/server_config
  and https://docs.rke2.io/datastore/backup_restore#s3-compatible-api-support.
- Joining: every node reads the cluster token from ``/etc/rancher/rke2/cluster-token``
  (``token-file``); the token itself is generated and stored by the operator.
  ``write-kubeconfig-mode: "0600"`` keeps the admin kubeconfig root-only.

Servers share one ``config.yaml``; servers after the first add ``config.yaml.d/10-join.yaml``
(the registration address). Agents get ``agent-config.yaml``, installed as their
``/etc/rancher/rke2/config.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.apiserver import oidc_args, tls_sans
from stackyard.render.bootstrap.aws_ccm import CCM, INSTANCE_FROM_METADATA, ccm_manifests
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.bootstrap.cilium import (
    UNMANAGED_ANNOTATION,
    bootstrap_values,
    helm_chart,
    replaces_kube_proxy,
    runs_cilium,
)
from stackyard.render.bootstrap.gateway_api import (
    RKE2_MANIFEST,
    RKE2_MANIFESTS_DIR,
    argocd_application,
    crds_version,
    gateway_api_enabled,
    rke2_command,
)
from stackyard.render.bootstrap.mirrors import rke2_mirror_table
from stackyard.render.bootstrap.nodes import cluster_nodes, control_plane_schedulable
from stackyard.render.bootstrap.rke2_hardening import (
    cis_kubelet_args,
    rke2_hardening_files,
    rke2_hardening_options,
    rke2_hardening_readme,
    rke2_hardening_table,
)
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import etcd_bucket, snapshot_copies
from stackyard.render.etcd_schedule import SnapshotSchedule, snapshot_schedule
from stackyard.render.objectstore import ENV_ACCESS_KEY, ENV_SECRET_KEY, external_store
from stackyard.render.settings import At, BackupDeclared, StoreDeclared
from stackyard.render.tree import RenderError
from stackyard.spec.units import AddressRange

TOKEN_FILE = "/etc/rancher/rke2/cluster-token"
SUPERVISOR_PORT = 9345
CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoExecute"
ETCD_S3_SECRET = "etcd-s3-secret"
SNAPSHOT_DIR = "/var/lib/rancher/rke2/server/db/snapshots"
"""Where RKE2 writes snapshots unless ``etcd-snapshot-dir`` says otherwise."""
MINIO = "minio"
CANAL = "canal"


def _cidr(network: AddressRange, field: str, cluster: ClusterPlan) -> str:
    if "-" in network.text:
        raise RenderError(
            f"cluster {cluster.name}: network.{field} {network} must be a CIDR for RKE2"
        )
    return network.text


def _etcd_s3(
    context: RenderContext, cluster: ClusterPlan, schedule: SnapshotSchedule
) -> dict[str, Any]:
    copies = snapshot_copies(context, cluster)
    if copies is None:
        return {}
    if copies.via == "minio":
        # RKE2 ignores this Secret once any other etcd-s3-* option is set.
        return {"etcd-s3": True, "etcd-s3-config-secret": ETCD_S3_SECRET}
    options: dict[str, Any] = {
        "etcd-s3": True,
        "etcd-s3-endpoint": copies.host,
        "etcd-s3-region": copies.region,
        "etcd-s3-bucket": copies.bucket,
        "etcd-s3-folder": copies.folder,
        "etcd-s3-retention": schedule.retention,
    }
    if copies.insecure:
        options["etcd-s3-insecure"] = True
    if copies.path_style:
        options["etcd-s3-bucket-lookup-type"] = "path"
    return options


def server_config(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    """``/etc/rancher/rke2/config.yaml`` of every server of ``cluster``."""
    network = cluster.cluster.network
    config: dict[str, Any] = {
        "token-file": TOKEN_FILE,
        "write-kubeconfig-mode": "0600",
        "tls-san": tls_sans(context, cluster),
        "cni": CANAL if cluster.has(CANAL) else "none",
    }
    if runs_cilium(cluster) and replaces_kube_proxy(bootstrap_values(context, cluster)):
        config["disable-kube-proxy"] = True
    config["ingress-controller"] = "none"
    if network.podCIDR is not None:
        config["cluster-cidr"] = _cidr(network.podCIDR, "podCIDR", cluster)
    config["service-cidr"] = _cidr(network.serviceCIDR, "serviceCIDR", cluster)
    config.update(_cloud_provider(cluster))
    if not control_plane_schedulable(cluster):
        config["node-taint"] = [CRITICAL_ADDONS_TAINT]
    hardened, hardened_args = rke2_hardening_options(context)
    config.update(hardened)
    args = [f"{name}={value}" for name, value in oidc_args(context)] + hardened_args
    if args:
        config["kube-apiserver-arg"] = args
    schedule = snapshot_schedule(context.platform.slo.rpo)
    config["etcd-snapshot-schedule-cron"] = schedule.cron
    config["etcd-snapshot-retention"] = schedule.retention
    config.update(_etcd_s3(context, cluster, schedule))
    return config


def snapshot_backup(
    context: RenderContext, cluster: ClusterPlan, config: dict[str, Any]
) -> BackupDeclared:
    """What the render records of a server ``config``: schedule, retention, stores."""
    stores = [StoreDeclared(None, cluster.name, default=f"{SNAPSHOT_DIR} on every server")]
    if "etcd-s3-endpoint" in config:  # the spec's external store, or S3 on AWS
        stores.append(StoreDeclared(At(("etcd-s3-endpoint",)), None))
    elif "etcd-s3-config-secret" in config:  # MinIO, its endpoint in the Secret
        minio = context.clusters_running(MINIO)[0].name
        stores.append(StoreDeclared(At(("etcd-s3-config-secret",)), minio, MINIO))
    return BackupDeclared(
        "etcd-snapshots",
        "RKE2 etcd snapshots",
        At(("etcd-snapshot-schedule-cron",)),
        At(("etcd-snapshot-retention",)),
        tuple(stores),
    )


def _cloud_provider(cluster: ClusterPlan) -> dict[str, Any]:
    if not cluster.has(CCM):
        return {}
    return {
        "cloud-provider-name": "external",
        "disable-cloud-controller": True,
        "node-name-from-cloud-provider-metadata": True,
    }


def _has_agents(cluster: ClusterPlan) -> bool:
    return any(p.role == "worker" for p in cluster.cluster.nodePools)


def server_url(context: RenderContext, cluster: ClusterPlan) -> str:
    """The registration address joining nodes use (the API host, supervisor port)."""
    return f"https://{context.api_host(cluster)}:{SUPERVISOR_PORT}"


def agent_config(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    """``/etc/rancher/rke2/config.yaml`` of every agent of ``cluster``."""
    config: dict[str, Any] = {"server": server_url(context, cluster), "token-file": TOKEN_FILE}
    if context.platform.cis:
        config["profile"] = "cis"  # agents too: the kubelet's protect-kernel-defaults
        config["kubelet-arg"] = cis_kubelet_args()
    if cluster.has(CCM):
        config["cloud-provider-name"] = "external"
        config["node-name-from-cloud-provider-metadata"] = True
    return config


PROVIDER_ID_SCRIPT = (
    """\
#!/bin/sh
# {header}
#
# Run on every node before rke2-server or rke2-agent first starts. Sets the kubelet
# providerID aws:///<zone>/<instance-id> from instance metadata (IMDSv2), so the AWS
# cloud-controller-manager maps the node to its EC2 instance.
set -eu
"""
    + INSTANCE_FROM_METADATA
    + """\
mkdir -p /etc/rancher/rke2/config.yaml.d
printf 'kubelet-arg+:\\n  - provider-id=aws:///%s/%s\\n' "$zone" "$id" \\
  > /etc/rancher/rke2/config.yaml.d/10-provider-id.yaml
"""
)


def rke2_files(context: RenderContext, cluster: ClusterPlan) -> Iterable[NodeFile]:
    """Every RKE2 node file of ``cluster`` (none on other distributions)."""
    if context.platform.kubernetes.distribution != "rke2":
        return []
    note = header(cluster)
    config = server_config(context, cluster)
    files = [
        yaml_file(
            "rke2/config.yaml",
            [config],
            header(cluster, "Install as /etc/rancher/rke2/config.yaml on every server."),
            (snapshot_backup(context, cluster, config),),
        )
    ]
    if cluster.cluster.control_plane_nodes > 1:
        files.append(
            yaml_file(
                "rke2/config.yaml.d/10-join.yaml",
                [{"server": server_url(context, cluster)}],
                header(cluster, "Every server but the first: joins the existing cluster."),
            )
        )
    if _has_agents(cluster):
        files.append(
            yaml_file(
                "rke2/agent-config.yaml",
                [agent_config(context, cluster)],
                header(cluster, "Install as /etc/rancher/rke2/config.yaml on every agent."),
            )
        )
    if cluster.has(CCM):
        files.append(
            yaml_file(
                "rke2/server/manifests/aws-ccm.yaml",
                ccm_manifests(context, cluster),
                header(cluster, "Static manifest: /var/lib/rancher/rke2/server/manifests/."),
            )
        )
        files.append(
            NodeFile(
                "rke2/aws-provider-id.sh",
                PROVIDER_ID_SCRIPT.format(header=note.replace("\n", "\n# ")),
            )
        )
    if runs_cilium(cluster):
        values = bootstrap_values(context, cluster)
        files.append(
            yaml_file(
                "rke2/server/manifests/cilium.yaml",
                [helm_chart(context, values)],
                header(
                    cluster,
                    "Static manifest: installs Cilium once; Argo CD adopts the release.\n"
                    f"After Argo CD's cilium-{cluster.name} Application is Healthy, annotate\n"
                    f"this HelmChart {UNMANAGED_ANNOTATION}=true (see README.md).",
                ),
            )
        )
    files += rke2_hardening_files(context, cluster)
    files.append(NodeFile("README.md", rke2_readme(context, cluster)))
    return files


def rke2_readme(context: RenderContext, cluster: ClusterPlan) -> str:
    """Which file goes where, and the bootstrap order, for one RKE2 cluster."""
    platform = context.platform
    name = cluster.name
    lines = [
        f"# Node bootstrap: {name} (RKE2, Kubernetes {platform.kubernetes.version})",
        "",
        "These files configure the nodes before RKE2 first starts; Argo CD never reads them.",
        "Nothing secret is rendered here.",
        "",
        "| file | install as | on |",
        "|---|---|---|",
        "| `rke2/config.yaml` | `/etc/rancher/rke2/config.yaml` | every server |",
    ]
    if cluster.cluster.control_plane_nodes > 1:
        lines.append(
            "| `rke2/config.yaml.d/10-join.yaml` | `/etc/rancher/rke2/config.yaml.d/` "
            "| every server but the first |"
        )
    if _has_agents(cluster):
        lines.append("| `rke2/agent-config.yaml` | `/etc/rancher/rke2/config.yaml` | every agent |")
    if cluster.has(CCM) or runs_cilium(cluster):
        lines.append(
            "| `rke2/server/manifests/*.yaml` | `/var/lib/rancher/rke2/server/manifests/` "
            "| every server |"
        )
    lines += rke2_hardening_table(context, cluster)
    lines += rke2_mirror_table(context)
    if cluster.has(CCM):
        lines.append("| `rke2/aws-provider-id.sh` | run once before RKE2 starts | every node |")
    lines += ["", "## Nodes", "", "| node | pool | role | address |", "|---|---|---|---|"]
    for node in cluster_nodes(context, cluster):
        address = str(node.address) if node.address is not None else "DHCP (VPC)"
        lines.append(f"| `{node.name}` | {node.pool.name} | {node.pool.role} | {address} |")
    api = context.api_host(cluster)
    lines += [
        "",
        "## Order",
        "",
        "1. Generate one join token for the cluster, keep it in your secret store, and write it",
        f"   to `{TOKEN_FILE}` (mode 0600) on every node.",
        f"2. Make `{api}` resolve to the servers (DNS, or a load balancer",
        f"   for ports 6443 and {SUPERVISOR_PORT}).",
    ]
    step = 3
    if cluster.has(CCM):
        lines += [
            f"{step}. AWS: tag every instance `kubernetes.io/cluster/{name}=owned` (the CCM runs",
            f"   with `--cluster-name={name}`; the names must match exactly), give the server",
            "   instance profile the cloud-controller-manager's EC2 and ELB permissions, and run",
            "   `sh rke2/aws-provider-id.sh` as root on every node.",
        ]
        step += 1
    if gateway_api_enabled(context, cluster):
        lines += _gateway_api_readme(step)
        step += 1
    start = "Start `rke2-server` on the first server, then on the others"
    lines.append(
        f"{step}. {start}, then `rke2-agent`." if _has_agents(cluster) else f"{step}. {start}."
    )
    step += 1
    if runs_cilium(cluster):
        lines += [
            f"{step}. Cilium: `cilium.yaml` installs it (`cni: none`, so RKE2's own Cilium stays",
            "   off) with the values Argo CD renders for this cluster. Once Argo CD runs and the",
            f"   `cilium-{name}` Application is Healthy, hand the release over to Argo CD:",
            "",
            "   ```sh",
            f"   kubectl -n kube-system annotate helmchart cilium {UNMANAGED_ANNOTATION}=true",
            "   ```",
            "",
            "   Never delete that HelmChart without the annotation: RKE2 would uninstall Cilium.",
        ]
        if gateway_api_enabled(context, cluster):
            lines += [
                f"   Once `{argocd_application(cluster)}` is Healthy too, delete",
                f"   `{RKE2_MANIFEST}` from every server: RKE2 keeps the CRDs of a deleted",
                "   manifest, and a restart no longer re-applies that version over Argo CD's.",
            ]
    elif cluster.has(CANAL):
        lines.append(f"{step}. Canal: RKE2 installs it (`cni: canal`); Argo CD does not manage it.")
    else:
        lines.append(f"{step}. No CNI is planned: nodes stay NotReady until you install one.")
    lines += _etcd_readme(context, cluster)
    lines += rke2_hardening_readme(context, cluster)
    if oidc_args(context):
        lines += [
            "",
            "## API login",
            "",
            "The API servers accept Keycloak tokens (realm `platform`, client `kubernetes`);",
            "bind RBAC to `oidc:<user>` and `oidc:<group>`.",
        ]
    return "\n".join(lines) + "\n"


def _gateway_api_readme(step: int) -> list[str]:
    """Put the Gateway API CRDs first in the manifests folder (``gateway_api.py``)."""
    return [
        f"{step}. Gateway API CRDs ({crds_version()}): on every server, before RKE2 first starts,",
        "   put the release's install file first in the manifests folder (air-gapped: copy",
        "   it from your mirror):",
        "",
        "   ```sh",
        f"   mkdir -p {RKE2_MANIFESTS_DIR}",
        f"   {rke2_command()}",
        "   ```",
        "",
        "   RKE2 applies that folder in name order, so the CRDs exist before `cilium.yaml`",
        "   installs Cilium, which serves Gateways only if it finds them when it starts.",
    ]


def _etcd_readme(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    schedule = snapshot_schedule(context.platform.slo.rpo)
    lines = [
        "",
        "## etcd snapshots",
        "",
        f"RKE2 snapshots etcd on `{schedule.cron}` (UTC) and keeps {schedule.retention}, so",
        f"no more than `{context.platform.slo.rpo}` (`slo.rpo`) of cluster state can be lost.",
    ]
    s3 = _etcd_s3(context, cluster, schedule)
    external = external_store(context)
    if external is not None and not external.is_aws:
        lines += [
            f"Copies go to `{s3['etcd-s3-bucket']}/{s3['etcd-s3-folder']}` on the object store",
            f"`{s3['etcd-s3-endpoint']}` (`objectStorage` in the spec); create the bucket.",
        ]
        if external.credentials_secret is not None:
            lines += _etcd_keys_readme()
    elif "etcd-s3-bucket" in s3:
        lines += [
            f"Copies go to `s3://{s3['etcd-s3-bucket']}/{s3['etcd-s3-folder']}` in",
            f"{s3['etcd-s3-region']}; create the bucket and allow the server instance profile",
            "`s3:PutObject`, `s3:GetObject`, `s3:ListBucket` and `s3:DeleteObject` on it.",
        ]
        if external is not None and external.credentials_secret is not None:
            lines += ["Or, instead of the instance profile:", *_etcd_keys_readme()]
    elif s3:
        minio_host = f"minio.{context.platform.domain}"
        lines += [
            f"Copies go to MinIO through the Secret `{ETCD_S3_SECRET}` in `kube-system`, which",
            "you create (or let External Secrets create) with these keys:",
            "",
            f"- `etcd-s3-endpoint`: `{minio_host}`",
            f"- `etcd-s3-bucket`: `{etcd_bucket(context)}`",
            f"- `etcd-s3-folder`: `{cluster.name}`",
            f"- `etcd-s3-retention`: `{schedule.retention}`",
            "- `etcd-s3-access-key`, `etcd-s3-secret-key`: from your secret store",
            "- `etcd-s3-endpoint-ca`: the platform CA, unless MinIO's certificate is public",
            "",
            "Until it exists, snapshots stay on the servers only. A restore runs before the API",
            "server, so pass the same settings as `--etcd-s3-*` flags to `rke2 server",
            "--cluster-reset`. Where MinIO runs on this cluster, copy the bucket off it too.",
        ]
    else:
        lines.append("No object store is planned: snapshots stay on the servers' disks.")
    return lines


def _etcd_keys_readme() -> list[str]:
    return [
        f"Put the store's keys in `/etc/default/rke2-server` as `{ENV_ACCESS_KEY}=` and",
        f"`{ENV_SECRET_KEY}=` (mode 0600) on every server: RKE2 reads them as",
        "`etcd-s3-access-key` and `etcd-s3-secret-key`; they are never rendered.",
    ]
