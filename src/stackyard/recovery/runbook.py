"""Recovery runbooks: one Markdown page per cluster, one section per recovery scenario.

The scenarios are simulate's (``simulate/data/recovery.yaml``: a resource deleted by
mistake, etcd corrupted, a control-plane node lost, a whole cluster lost); each section
has the exact commands for the cluster's distribution, with the settings the render
writes for it, read from the render's own functions rather than retyped:

- etcd snapshots: RKE2's ``etcd-snapshot-schedule-cron``, retention and ``etcd-s3-*``
  options from :func:`stackyard.render.bootstrap.rke2.server_config` (snapshots in
  :data:`~stackyard.render.bootstrap.rke2.SNAPSHOT_DIR` on every server); kubeadm's
  snapshot CronJob from :func:`stackyard.render.manifests.etcd_backup.etcd_snapshot_cronjob`
  (snapshots in :data:`~stackyard.render.manifests.etcd_backup.HOST_BACKUP_DIR` on the
  control-plane node that took them) and etcd's data directory from kubeadm's
  ``ClusterConfiguration``;
- Velero: the BackupStorageLocation (bucket, prefix) and the Schedules of
  :mod:`stackyard.render.manifests.backup`, restored resources first, then volumes, as that
  module says (the volumes backup holds only Pods, PVCs and PVs);
- nodes: the rendered node files under ``nodes/<cluster>/`` and the node names and
  addresses of :func:`stackyard.render.bootstrap.nodes.cluster_nodes`.

A cluster Cluster API made has no node files and no fixed node names: its runbook finds
the control-plane Machines on mgmt, replaces a lost one by deleting its Machine (the
KubeadmControlPlane or RKE2ControlPlane removes its etcd member and makes a new machine),
and restores etcd on one machine from the snapshot bucket with Cluster API paused.

A kubeadm cluster with several control-plane nodes runs a stacked etcd member on each:
its etcd restore restores every member from the same snapshot (each node's name and peer
URL, one new cluster token) and starts them together, as etcd's disaster-recovery guide
does, instead of restoring one member and rejoining the rest.

Commands follow the upstream procedures, cited in each runbook (:data:`SOURCES`): RKE2's
backup and restore page, Kubernetes' "Operating etcd clusters" and kubeadm's reference,
Velero's restore reference and disaster case. A runbook never contains a secret: keys and
tokens are ``<PLACEHOLDERS>`` or read on the node from the files the render names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.plan.recoverytime import RecoveryTime
from stackyard.render.bootstrap.kubeadm import cluster_configuration
from stackyard.render.bootstrap.nodes import Node, cluster_nodes
from stackyard.render.bootstrap.rke2 import (
    ETCD_S3_SECRET,
    SNAPSHOT_DIR,
    TOKEN_FILE,
    server_config,
)
from stackyard.render.clusterapi import names as clusterapi_names
from stackyard.render.clusterapi import objects_folder, registers_through_external_secrets
from stackyard.render.clusterapi.controlplane import control_plane_kind
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import SnapshotCopies, etcd_bucket, snapshot_copies
from stackyard.render.gitops import application_name
from stackyard.render.manifests.backup import location_store, schedules, storage_location
from stackyard.render.manifests.etcd_backup import (
    HOST_BACKUP_DIR,
    IMAGE,
    NAME,
    NAMESPACE,
    PKI_DIR,
    etcd_snapshot_cronjob,
    snapshot_container,
)

RKE2_DATA_DIR = "/var/lib/rancher/rke2"
"""RKE2's default ``data-dir`` (the render never changes it)."""
RKE2_ETCD_TLS = f"{RKE2_DATA_DIR}/server/tls/etcd"
RKE2_ENV_FILE = "/etc/default/rke2-server"
KUBEADM_MANIFESTS = "/etc/kubernetes/manifests"
"""Where the kubelet reads kubeadm's static Pods (kubeadm's default)."""
KUBEADM_ADMIN = "/etc/kubernetes/admin.conf"
ETCD_PEER_PORT = 2380
RESTORED_SUFFIX = "-restored"
RESTORE_SNAPSHOT = "/root/etcd-restore.db"
"""Where the one snapshot every member restores is copied to on each node."""
ETCD_TOKEN_SUFFIX = "-etcd-restored"
"""The restored cluster's ``--initial-cluster-token``: ``<cluster>-etcd-restored``, not
kubeadm's (etcd's default ``etcd-cluster``), so no old member can join it."""

SOURCES: dict[str, tuple[str, str]] = {
    "rke2-restore": (
        "RKE2: Backup and Restore (cluster reset, restoring to existing and new nodes, S3)",
        "https://docs.rke2.io/datastore/backup_restore",
    ),
    "rke2-ha": (
        "RKE2: High Availability (launching additional server nodes)",
        "https://docs.rke2.io/install/ha",
    ),
    "rke2-remove": (
        "RKE2: deleting a server node removes its etcd member (rancher/rke2#3842)",
        "https://github.com/rancher/rke2/issues/3842",
    ),
    "k8s-etcd": (
        "Kubernetes: Operating etcd clusters for Kubernetes (restoring an etcd cluster)",
        "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/",
    ),
    "etcd-recovery": (
        "etcd: Disaster recovery (snapshot restore with etcdutl)",
        "https://etcd.io/docs/v3.6/op-guide/recovery/",
    ),
    "etcd-members": (
        "etcd: How to add and remove members",
        "https://etcd.io/docs/v3.6/tutorials/how-to-deal-with-membership/",
    ),
    "kubeadm-ha": (
        "kubeadm: Creating highly available clusters (upload-certs, join --control-plane)",
        "https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/high-availability/",
    ),
    "kubeadm-reset": (
        "kubeadm reset",
        "https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/",
    ),
    "velero-restore": (
        "Velero: Restore Reference (velero restore create, --from-backup, --include-*)",
        "https://velero.io/docs/main/restore-reference/",
    ),
    "velero-disaster": (
        "Velero: Disaster case (read-only backup storage location during a restore)",
        "https://velero.io/docs/main/disaster-case/",
    ),
    "argocd-sync": (
        "Argo CD: argocd app sync",
        "https://argo-cd.readthedocs.io/en/stable/user-guide/commands/argocd_app_sync/",
    ),
    "capi-kcp-remediation": (
        "Cluster API: KubeadmControlPlane remediation (a deleted control-plane Machine is "
        "replaced; its etcd member is removed first)",
        "https://cluster-api.sigs.k8s.io/tasks/control-plane/kubeadm-control-plane",
    ),
    "capi-rke2-controlplane": (
        "Cluster API provider RKE2: the RKE2ControlPlane (control-plane Machines and their "
        "etcd members)",
        "https://github.com/rancher/cluster-api-provider-rke2",
    ),
    "capi-delete": (
        "Cluster API: deleting a cluster (delete the Cluster object, not its parts)",
        "https://cluster-api.sigs.k8s.io/user/quick-start#clean-up",
    ),
}


@dataclass(frozen=True)
class Estimate:
    """The recovery time a runbook states for one scenario on one cluster, and its origin."""

    scenario: str
    title: str
    method: str
    time: RecoveryTime

    def describe(self) -> str:
        """``30m (simulate's documented estimate)`` or ``12s (… measured by the drill of …)``."""
        time = self.time
        if time.source == "measured":
            return (
                f"{time.duration} ({time.seconds:.2f} s measured by the etcd "
                f"restore drill of {time.date}, `{time.record}`)"
            )
        return f"{time.duration} (simulate's documented estimate)"

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"scenario": self.scenario, **self.time.as_dict()}


@dataclass(frozen=True)
class _Velero:
    namespace: str
    location: str
    bucket: str
    prefix: str
    endpoint: str | None
    resources: tuple[str, str, str]  # name, cron, ttl
    volumes: tuple[str, str, str] | None
    kept_on: str | None
    """The cluster whose object store keeps the backups (None: a store outside)."""


class _Page:
    """Markdown lines, with the sources cited so far."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cited: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def cite(self, *keys: str) -> str:
        for key in keys:
            if key not in self.cited:
                self.cited.append(key)
        return " ".join(f"[{self.cited.index(k) + 1}]" for k in keys)

    def sh(self, *commands: str) -> None:
        self.lines += ["", "```sh", *commands, "```", ""]


def _velero(context: RenderContext, cluster: ClusterPlan) -> _Velero | None:
    if not cluster.has("velero"):
        return None
    location = storage_location(context, cluster)
    storage = location["spec"]["objectStorage"]
    found: dict[str, tuple[str, str, str]] = {}
    for schedule in schedules(context, cluster):
        template = schedule["spec"]["template"]
        # Volume data: file-system backup, or CSI snapshots (moved to the object store).
        copies = template.get("defaultVolumesToFsBackup") or template.get("snapshotVolumes")
        kind = "volumes" if copies else "resources"
        found.setdefault(
            kind, (schedule["metadata"]["name"], schedule["spec"]["schedule"], template["ttl"])
        )
    return _Velero(
        location["metadata"]["namespace"],
        location["metadata"]["name"],
        storage["bucket"],
        storage["prefix"],
        location["spec"]["config"].get("s3Url"),
        found["resources"],
        found.get("volumes"),
        location_store(context, cluster, location).cluster,
    )


def scenario_ids() -> tuple[str, ...]:
    """The recovery scenarios a runbook has a section for, in order."""
    return tuple(_SECTIONS)


def cluster_runbook(
    context: RenderContext,
    cluster: ClusterPlan,
    estimates: Mapping[str, Estimate],
    *,
    spec: str,
) -> str:
    """The Markdown runbook of ``cluster``; ``estimates`` by scenario id (every one of them)."""
    platform = context.platform
    distribution = platform.kubernetes.distribution
    page = _Page()
    page.add(
        f"# Recovery runbook: {cluster.name}",
        "",
        f"Platform `{platform.name}`, cluster `{cluster.name}` ({cluster.cluster.role}), "
        f"{_distribution(distribution)}, Kubernetes {platform.kubernetes.version}, "
        f"{cluster.cluster.control_plane_nodes} control-plane node"
        f"{'s' if cluster.cluster.control_plane_nodes != 1 else ''}. "
        f"Generated by `stackyard dr runbook` from `{spec}`; render it again when the spec "
        "changes. Objectives (`slo`): recovery point "
        f"`{platform.slo.rpo}`, recovery time `{platform.slo.rto}`.",
        "",
        "| Scenario | Recovery time | Source | Method |",
        "| --- | --- | --- | --- |",
    )
    for scenario in _SECTIONS:
        estimate = estimates[scenario]
        time = estimate.time
        origin = (
            f"measured, drill of {time.date}"
            if time.source == "measured"
            else "documented estimate"
        )
        page.add(f"| {estimate.title} | {time.duration} | {origin} | {estimate.method} |")
    page.add(
        "",
        "Recovery times are those `stackyard simulate` uses: the documented estimate of each "
        "scenario, or, for an etcd restore, the time measured by the newest restore drill "
        "recorded for this cluster (`stackyard dr drill etcd --record`).",
    )
    velero = _velero(context, cluster)
    for number, (scenario, writer) in enumerate(_SECTIONS.items(), 1):
        estimate = estimates[scenario]
        title = estimate.title
        if not title.startswith("etcd"):
            title = title[0].upper() + title[1:]
        page.add("", f"## {number}. {title}", "")
        page.add(f"Recovery time: {estimate.describe()}. Method: {estimate.method}.", "")
        writer(page, context, cluster, velero)
    page.add("", "## Sources", "")
    page.add(*(f"{i}. {SOURCES[k][0]}: <{SOURCES[k][1]}>" for i, k in enumerate(page.cited, 1)))
    return "\n".join(page.lines).replace("\n\n\n", "\n\n") + "\n"


def _distribution(name: str) -> str:
    return {"rke2": "RKE2", "kubeadm": "kubeadm"}.get(name, name)


# --- a resource deleted by mistake -------------------------------------------------


def _deleted_resource(
    page: _Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    page.add(
        "1. What Argo CD manages comes back from Git: find the Application of the object's "
        f"component (`<component>-{cluster.name}`, or `platform-base-{cluster.name}` for "
        "namespaces, quotas and network policies) and sync it "
        f"{page.cite('argocd-sync')}:"
    )
    page.sh(
        f"argocd app list | grep -- '-{cluster.name} '",
        f"argocd app sync <component>-{cluster.name}",
    )
    if velero is None:
        page.add(
            f"2. Nothing else can be restored: Velero does not run on `{cluster.name}`, so "
            "objects that are not in Git (created by hand or by an operator) are lost."
        )
        return
    name, cron, ttl = velero.resources
    ns = velero.namespace
    page.add(
        "2. What is not in Git (objects created by hand or by operators, Secrets written by "
        f"controllers) comes from Velero's `{name}` Schedule (cron `{cron}` UTC, kept "
        f"`{ttl}`), stored in bucket `{velero.bucket}` under prefix `{velero.prefix}` "
        f"(BackupStorageLocation `{velero.location}` in `{ns}`). Pick the newest backup "
        f"from before the deletion and restore only what was lost "
        f"{page.cite('velero-restore')}:"
    )
    page.sh(
        f"velero -n {ns} backup get --selector velero.io/schedule-name={name}",
        "# one namespace:",
        f"velero -n {ns} restore create --from-backup <BACKUP> \\",
        "  --include-namespaces <NAMESPACE> --wait",
        "# or one kind of resource in it, narrowed by a label:",
        f"velero -n {ns} restore create --from-backup <BACKUP> \\",
        "  --include-namespaces <NAMESPACE> --include-resources <RESOURCE> \\",
        "  --selector <LABEL>=<VALUE> --wait",
        f"velero -n {ns} restore describe <RESTORE> --details",
    )
    page.add(
        "Velero skips objects that still exist; it never overwrites them unless asked "
        "(`--existing-resource-policy update`).",
        "",
    )
    if velero.volumes is not None:
        volumes, _, _ = velero.volumes
        page.add(
            f"3. A deleted PersistentVolumeClaim's data is in the `{volumes}` backups: restore "
            "its namespace's PVCs, PVs and Pods from them after the objects above "
            "(`--include-resources persistentvolumeclaims,persistentvolumes,pods`)."
        )


# --- etcd corrupted ------------------------------------------------------------------


def _rke2_s3(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    return {k: v for k, v in server_config(context, cluster).items() if k.startswith("etcd-")}


def _etcd_corruption(
    page: _Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        _cluster_api_restore(page, context, cluster)
    elif context.platform.kubernetes.distribution == "rke2":
        _rke2_restore(page, context, cluster)
    else:
        _kubeadm_restore(page, context, cluster)


def _rke2_restore(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    etcd = _rke2_s3(context, cluster)
    servers = [n for n in cluster_nodes(context, cluster) if n.control_plane]
    first = servers[0].name
    page.add(
        f"Snapshots: `{etcd['etcd-snapshot-schedule-cron']}` (UTC), "
        f"{etcd['etcd-snapshot-retention']} kept, in `{SNAPSHOT_DIR}` on every server "
        f"(`nodes/{cluster.name}/rke2/config.yaml`){_rke2_s3_words(context, etcd)}. "
        f"The restore resets etcd to a one-member cluster on `{first}` "
        f"{page.cite('rke2-restore')}.",
        "",
        "1. Stop RKE2 on every server:",
    )
    page.sh("systemctl stop rke2-server")
    page.add(f"2. On `{first}`, restore the newest snapshot kept on the node:")
    local = [f"ls -t {SNAPSHOT_DIR} | head -n 1"]
    restore = ["rke2 server --cluster-reset \\"]
    if etcd.get("etcd-s3"):
        # With etcd-s3 in the config, a bare path is looked up in S3: say local explicitly.
        restore.append("  --etcd-s3=false \\")
    restore.append(f"  --cluster-reset-restore-path={SNAPSHOT_DIR}/<SNAPSHOT>")
    page.sh(*local, *restore)
    if etcd.get("etcd-s3"):
        page.add(
            "   Or, when the nodes lost their snapshots, the newest copy in object storage "
            "(only the snapshot's name: RKE2 fetches it with the `etcd-s3-*` settings):"
        )
        page.sh(*_rke2_s3_restore(context, cluster, etcd))
    page.add(
        f"3. Start RKE2 on `{first}` and wait until the node is Ready "
        f"(`kubectl --kubeconfig /etc/rancher/rke2/rke2.yaml get nodes`):"
    )
    page.sh("systemctl start rke2-server")
    if len(servers) > 1:
        others = ", ".join(f"`{n.name}`" for n in servers[1:])
        page.add(f"4. On the other servers ({others}), drop the old etcd data and rejoin:")
        page.sh(f"rm -rf {RKE2_DATA_DIR}/server/db", "systemctl start rke2-server")
    page.add(
        f"RKE2 leaves `{RKE2_DATA_DIR}/server/db/reset-flag` behind until it next starts "
        "normally; a later reset needs it gone. Workloads changed after the snapshot are "
        "put back by Argo CD from Git."
    )


def _kubeadm_s3_words(context: RenderContext, cluster: ClusterPlan) -> str:
    copies = snapshot_copies(context, cluster)
    if copies is None:
        return "; no copy off the nodes is configured"
    where = "S3" if copies.url is None else f"`{copies.outside_url}`"
    return (
        f"; each snapshot is also copied to bucket `{copies.bucket}` folder "
        f"`{copies.folder}/` on {where}, as `etcd-snapshot-<node>-<unix time>`"
    )


def _kubeadm_s3_download(copies: SnapshotCopies) -> list[str]:
    endpoint = "" if copies.outside_url is None else f" --endpoint-url {copies.outside_url}"
    folder = f"s3://{copies.bucket}/{copies.folder}/"
    return [
        f"aws s3 ls{endpoint} {folder}",
        f"mkdir -p {HOST_BACKUP_DIR}",
        f"aws s3 cp{endpoint} {folder}<NEWEST> {HOST_BACKUP_DIR}/etcd-snapshot-0.db",
    ]


def _rke2_s3_words(context: RenderContext, etcd: Mapping[str, Any]) -> str:
    if "etcd-s3-bucket" in etcd:
        return (
            f", and copied to bucket `{etcd['etcd-s3-bucket']}` folder "
            f"`{etcd['etcd-s3-folder']}` at `{etcd['etcd-s3-endpoint']}`"
        )
    if "etcd-s3-config-secret" in etcd:
        return (
            f", and copied to MinIO bucket `{etcd_bucket(context)}` through the Secret "
            f"`{ETCD_S3_SECRET}` in `kube-system`"
        )
    return "; no copy off the nodes is configured"


def _rke2_s3_restore(
    context: RenderContext, cluster: ClusterPlan, etcd: Mapping[str, Any]
) -> list[str]:
    if "etcd-s3-bucket" in etcd:
        # rke2 server reads the etcd-s3-* settings from config.yaml; the keys, when the
        # store has any, come from the service's environment file, which only systemd loads.
        return [
            f"set -a; [ -f {RKE2_ENV_FILE} ] && . {RKE2_ENV_FILE}; set +a",
            f"# <SNAPSHOT-NAME>: the newest object in {etcd['etcd-s3-bucket']}"
            f"/{etcd['etcd-s3-folder']}/",
            "rke2 server --cluster-reset --cluster-reset-restore-path=<SNAPSHOT-NAME>",
        ]
    # MinIO through the Secret: the API server is down, so the settings go on the command
    # line (the node README says the same).
    return [
        "rke2 server --cluster-reset --etcd-s3 \\",
        f"  --etcd-s3-endpoint=minio.{context.platform.domain} \\",
        f"  --etcd-s3-bucket={etcd_bucket(context)} --etcd-s3-folder={cluster.name} \\",
        "  --etcd-s3-access-key=<ACCESS-KEY> --etcd-s3-secret-key=<SECRET-KEY> \\",
        "  --cluster-reset-restore-path=<SNAPSHOT-NAME>",
    ]


def _etcdctl_kubeadm(command: str) -> str:
    return (
        f"ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 "
        f"--cacert {PKI_DIR}/ca.crt --cert {PKI_DIR}/healthcheck-client.crt "
        f"--key {PKI_DIR}/healthcheck-client.key {command}"
    )


def _etcdctl_rke2(command: str) -> str:
    return (
        f"ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 "
        f"--cacert {RKE2_ETCD_TLS}/server-ca.crt --cert {RKE2_ETCD_TLS}/server-client.crt "
        f"--key {RKE2_ETCD_TLS}/server-client.key {command}"
    )


def _address(node: Node) -> str:
    return str(node.address) if node.address is not None else f"<{node.name.upper()}-IP>"


def _kubeadm_restore(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    cronjob = etcd_snapshot_cronjob(context, cluster)
    env = {e["name"]: e["value"] for e in snapshot_container(cronjob)["env"]}
    data_dir = cluster_configuration(context, cluster)["etcd"]["local"]["dataDir"]
    restored = data_dir + RESTORED_SUFFIX
    planes = [n for n in cluster_nodes(context, cluster) if n.control_plane]
    first = planes[0]
    version = IMAGE.rsplit(":", 1)[1].split("-")[0]
    page.add(
        f"Snapshots: the CronJob `{NAMESPACE}/{NAME}` "
        f"(`manifests/{cluster.name}/base/etcd-backup.yaml`) runs on "
        f"`{cronjob['spec']['schedule']}` (UTC) and keeps {env['SNAPSHOT_RETENTION']} in "
        f"`{HOST_BACKUP_DIR}` on the control-plane node it ran on, as "
        f"`etcd-snapshot-<slot>.db`; the newest is the most recently modified. etcd's data "
        f"directory is `{data_dir}` (kubeadm's `etcd.local.dataDir`)"
        f"{_kubeadm_s3_words(context, cluster)}. "
        f"The restore follows Kubernetes' procedure {page.cite('k8s-etcd', 'etcd-recovery')}: "
        "restore into a new directory with `etcdutl`, then point etcd's static Pod at it.",
        "",
    )
    if len(planes) > 1:
        _kubeadm_restore_members(page, cluster, planes, data_dir)
        return
    page.add(
        "1. Stop every API server (on each control-plane node) so nothing writes while "
        "etcd is replaced:",
    )
    page.sh(f"mv {KUBEADM_MANIFESTS}/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml")
    page.add(
        f"2. On `{first.name}`, restore the newest snapshot with `etcdutl` {version} (the "
        f"etcd of `{IMAGE}`, which the snapshot CronJob also runs) as a one-member cluster "
        f"named after the node:"
    )
    member = f"{first.name}=https://{_address(first)}:{ETCD_PEER_PORT}"
    page.sh(
        f"ls -t {HOST_BACKUP_DIR}/etcd-snapshot-*.db | head -n 1",
        f"etcdutl snapshot restore {HOST_BACKUP_DIR}/etcd-snapshot-<SLOT>.db \\",
        f"  --data-dir {restored} --name {first.name} \\",
        f"  --initial-cluster {member} \\",
        f"  --initial-advertise-peer-urls https://{_address(first)}:{ETCD_PEER_PORT}",
    )
    page.add(
        f"3. Edit the static Pod `{KUBEADM_MANIFESTS}/etcd.yaml`: the `hostPath.path` of the "
        f"volume `etcd-data` becomes `{restored}` (the container keeps `{data_dir}`). The "
        "kubelet restarts etcd on the restored data:"
    )
    page.sh(
        f"sed -i 's#^\\( *path: \\){data_dir}$#\\1{restored}#' {KUBEADM_MANIFESTS}/etcd.yaml",
        f"grep -n '{restored}' {KUBEADM_MANIFESTS}/etcd.yaml",
        _etcdctl_kubeadm("endpoint health"),
    )
    page.add(
        "4. Start the API server again and restart the kubelet, so every component "
        "reads the restored state:"
    )
    page.sh(
        f"mv /etc/kubernetes/kube-apiserver.yaml {KUBEADM_MANIFESTS}/kube-apiserver.yaml",
        "systemctl restart kubelet",
        f"kubectl --kubeconfig {KUBEADM_ADMIN} get nodes",
    )
    page.add(
        "Workloads changed after the snapshot are put back by Argo CD from Git. Without any "
        f"snapshot left (the node that kept `{HOST_BACKUP_DIR}` is gone), rebuild the cluster "
        "as in section 4."
    )


def _kubeadm_restore_members(
    page: _Page, cluster: ClusterPlan, planes: Sequence[Node], data_dir: str
) -> None:
    """Stacked etcd on several control-plane nodes: every member restored from one snapshot.

    etcd's recovery guide: all members restore the *same* snapshot, each with its own
    ``--name`` and ``--initial-advertise-peer-urls``, the whole new ``--initial-cluster``
    and a new ``--initial-cluster-token``, so the restored cluster (new member and cluster
    IDs) cannot join the old one; then they start together. Kubernetes' page adds: stop
    every API server first, start them again after. The names and peer URLs are the
    ones kubeadm gave each member (node name, ``https://<address>:2380``).
    """
    restored = data_dir + RESTORED_SUFFIX
    members = ",".join(f"{n.name}=https://{_address(n)}:{ETCD_PEER_PORT}" for n in planes)
    token = f"{cluster.name}{ETCD_TOKEN_SUFFIX}"
    names = ", ".join(f"`{n.name}`" for n in planes)
    version = IMAGE.rsplit(":", 1)[1].split("-")[0]
    page.add(
        f"`{cluster.name}` runs a stacked etcd member on each of its {len(planes)} "
        f"control-plane nodes ({names}): all of them are restored from the same snapshot as "
        "one new etcd cluster and started together; restoring one member and rejoining the "
        f"others would not do, as the survivors still hold the old data "
        f"{page.cite('etcd-recovery', 'k8s-etcd')}.",
        "",
        "1. On every control-plane node, stop the API server and etcd (the kubelet stops a "
        "static Pod whose manifest leaves its folder):",
    )
    page.sh(
        f"mv {KUBEADM_MANIFESTS}/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml",
        f"mv {KUBEADM_MANIFESTS}/etcd.yaml /etc/kubernetes/etcd.yaml",
    )
    addresses = ", ".join(f"`{_address(n)}`" for n in planes)
    page.add(
        "2. Choose one snapshot: the newest across the nodes (each node keeps the runs that "
        "landed on it; compare the times on each). On the node that holds it, copy it to "
        f"`{RESTORE_SNAPSHOT}`, copy that file to the same path on the other control-plane "
        f"nodes ({addresses}, e.g. with `scp`), and check its SHA-256 is the same on every "
        "node:"
    )
    page.sh(
        f"ls -lt --time-style=full-iso {HOST_BACKUP_DIR}/etcd-snapshot-*.db | head -n 1",
        f"cp {HOST_BACKUP_DIR}/etcd-snapshot-<SLOT>.db {RESTORE_SNAPSHOT}",
        f"sha256sum {RESTORE_SNAPSHOT}",
    )
    page.add(
        f"3. On each node, restore it with `etcdutl` {version} (the etcd of `{IMAGE}`) as that "
        "node's member of the new cluster: its own `--name` and "
        "`--initial-advertise-peer-urls`, the same `--initial-cluster` and the same new "
        f"`--initial-cluster-token` (`{token}`; kubeadm left etcd's default):"
    )
    for node in planes:
        page.add(f"   On `{node.name}`:")
        page.sh(
            f"etcdutl snapshot restore {RESTORE_SNAPSHOT} \\",
            f"  --data-dir {restored} --name {node.name} \\",
            f"  --initial-cluster {members} \\",
            f"  --initial-cluster-token {token} \\",
            f"  --initial-advertise-peer-urls https://{_address(node)}:{ETCD_PEER_PORT}",
        )
    page.add(
        f"4. On every node, point the `etcd-data` volume of the etcd manifest at `{restored}` "
        "(the container keeps `--data-dir` and its flags: etcd ignores `--initial-cluster` "
        "once its data directory exists) and put the manifest back. Do this on all nodes "
        "within a minute: each member waits for a quorum of its peers.",
    )
    page.sh(
        f"sed -i 's#^\\( *path: \\){data_dir}$#\\1{restored}#' /etc/kubernetes/etcd.yaml",
        f"grep -n '{restored}' /etc/kubernetes/etcd.yaml",
        f"mv /etc/kubernetes/etcd.yaml {KUBEADM_MANIFESTS}/etcd.yaml",
    )
    page.add(
        f"5. Once every member is back, check the new cluster from any node ({len(planes)} "
        "members, all healthy):"
    )
    page.sh(
        _etcdctl_kubeadm("member list -w table"),
        _etcdctl_kubeadm("endpoint health --cluster"),
    )
    page.add(
        "6. On every node, start the API server again and restart the kubelet, so every "
        "component reads the restored state:"
    )
    page.sh(
        f"mv /etc/kubernetes/kube-apiserver.yaml {KUBEADM_MANIFESTS}/kube-apiserver.yaml",
        "systemctl restart kubelet",
    )
    page.sh(f"kubectl --kubeconfig {KUBEADM_ADMIN} get nodes")
    page.add(
        "Workloads changed after the snapshot are put back by Argo CD from Git. Without any "
        "snapshot left on any node, rebuild the cluster as in section 4."
    )


# --- a control-plane node lost --------------------------------------------------------


def _control_plane_loss(
    page: _Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        _cluster_api_machine_loss(page, context, cluster)
        return
    planes = [n for n in cluster_nodes(context, cluster) if n.control_plane]
    rke2 = context.platform.kubernetes.distribution == "rke2"
    if len(planes) == 1:
        only = planes[0].name
        page.add(
            f"`{cluster.name}` has one control-plane node (`{only}`): losing it stops the API "
            "and etcd. Provision a replacement with the same name and address from "
            f"`nodes/{cluster.name}/`, then restore etcd on it as in section 2.",
            "",
        )
        if rke2:
            etcd = _rke2_s3(context, cluster)
            if etcd.get("etcd-s3"):
                page.add(
                    f"The node's own snapshots went with it; restore the newest copy in "
                    "object storage (RKE2 keeps the cluster token in "
                    f"`{TOKEN_FILE}`, which the restore needs to decrypt the snapshot's "
                    f"bootstrap data) {page.cite('rke2-restore')}:"
                )
                page.sh(*_rke2_s3_restore(context, cluster, etcd), "systemctl start rke2-server")
            else:
                page.add(
                    "The snapshots were on that node only: nothing is left to restore from, "
                    "so rebuild the cluster (section 4)."
                )
        elif (copies := snapshot_copies(context, cluster)) is not None:
            page.add(
                f"The snapshots in `{HOST_BACKUP_DIR}` went with the node; download the newest "
                "copy in object storage onto the replacement as "
                f"`{HOST_BACKUP_DIR}/etcd-snapshot-0.db` (the newest `LastModified` under the "
                "folder) and restore it as in section 2:"
            )
            page.sh(*_kubeadm_s3_download(copies))
        else:
            page.add(
                f"The snapshots in `{HOST_BACKUP_DIR}` were on that node only: unless its disk "
                "survived, nothing is left to restore from, so rebuild the cluster (section 4)."
            )
        return
    dead = "<DEAD-NODE>"
    names = ", ".join(f"`{n.name}`" for n in planes)
    page.add(
        f"Control-plane nodes: {names}. etcd keeps quorum while a majority "
        f"({len(planes) // 2 + 1} of {len(planes)}) is up; replace the lost one before "
        "another fails."
    )
    if rke2:
        page.add(
            "",
            "1. From a surviving server, delete the lost node; RKE2 removes its etcd member "
            f"with it {page.cite('rke2-remove')}. Check that the member is gone (etcdctl is not "
            "part of RKE2: install etcd's client) and remove it by hand if it is not "
            f"{page.cite('etcd-members')}:",
        )
        page.sh(
            "export KUBECONFIG=/etc/rancher/rke2/rke2.yaml",
            f"kubectl delete node {dead}",
            _etcdctl_rke2("member list -w table"),
            _etcdctl_rke2("member remove <MEMBER-ID>"),
        )
        page.add(
            "2. Provision the replacement (same name and address) with "
            f"`nodes/{cluster.name}/rke2/config.yaml` and "
            f"`nodes/{cluster.name}/rke2/config.yaml.d/10-join.yaml` in `/etc/rancher/rke2/`, "
            f"the cluster token in `{TOKEN_FILE}`, then start it; it joins as a new etcd "
            f"member {page.cite('rke2-ha')}:"
        )
        page.sh("systemctl enable --now rke2-server")
        page.add(
            f"   If the node is reused rather than replaced, remove its old etcd data first "
            f"(`rm -rf {RKE2_DATA_DIR}/server/db`): a removed member may not rejoin with it."
        )
        return
    page.add(
        "",
        "1. From a surviving control-plane node, delete the lost node and remove its etcd "
        f"member {page.cite('etcd-members')}:",
    )
    page.sh(
        f"export KUBECONFIG={KUBEADM_ADMIN}",
        f"kubectl delete node {dead}",
        _etcdctl_kubeadm("member list -w table"),
        _etcdctl_kubeadm("member remove <MEMBER-ID>"),
    )
    page.add(
        "2. Make fresh join credentials there: a token, and a certificate key with the "
        f"control-plane certificates uploaded for two hours {page.cite('kubeadm-ha')}:"
    )
    page.sh(
        "kubeadm token create --print-join-command",
        "kubeadm init phase upload-certs --upload-certs",
    )
    page.add(
        "3. On the replacement (same name and address; a reused node is reset first "
        f"{page.cite('kubeadm-reset')}), join with the rendered "
        f"`nodes/{cluster.name}/kubeadm/join-control-plane-config.yaml`, its "
        "`${KUBEADM_TOKEN}`, `${KUBEADM_CA_CERT_HASH}` and `${KUBEADM_CERTIFICATE_KEY}` "
        "substituted from step 2 as the node README describes:"
    )
    page.sh(
        "kubeadm reset -f",
        "envsubst '${KUBEADM_TOKEN} ${KUBEADM_CA_CERT_HASH} ${KUBEADM_CERTIFICATE_KEY}' \\",
        "  < join-control-plane-config.yaml > /etc/kubernetes/kubeadm/config.yaml",
        "kubeadm join --config /etc/kubernetes/kubeadm/config.yaml",
    )


# --- a cluster Cluster API made: its control-plane Machines ----------------------------


def _control_plane_machines(context: RenderContext, cluster: ClusterPlan) -> str:
    """``kubectl get machines`` of ``cluster``'s control plane, with nodes and addresses."""
    return (
        f"kubectl get machines -n {clusterapi_names.namespace(cluster)} "
        f"-l {clusterapi_names.CLUSTER_NAME_LABEL}={cluster.name},"
        f"{clusterapi_names.CONTROL_PLANE_MACHINE_LABEL} \\\n"
        "  -o custom-columns=MACHINE:.metadata.name,NODE:.status.nodeRef.name,"
        "ADDRESS:.status.addresses[0].address,PHASE:.status.phase"
    )


def _cluster_api_machine_loss(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    """A control-plane machine lost on a cluster Cluster API made: the provider replaces it.

    Both control plane providers put a pre-terminate hook on their Machines that removes
    the machine's etcd member before the machine goes, then create a replacement that
    joins as a new member, so nothing is provisioned or joined by hand.
    """
    mgmt = context.argocd_cluster.name
    ns = clusterapi_names.namespace(cluster)
    kind = control_plane_kind(context)
    name = clusterapi_names.control_plane_name(cluster)
    replicas = cluster.cluster.control_plane_nodes
    source = "capi-rke2-controlplane" if kind == "RKE2ControlPlane" else "capi-kcp-remediation"
    if replicas == 1:
        page.add(
            f"`{cluster.name}` has one control-plane machine, kept by the {kind} "
            f"`{ns}/{name}` on `{mgmt}`: losing it loses etcd's only member, which the "
            "provider cannot replace (a new machine has no member to join). Rebuild the "
            "cluster as in section 4."
        )
        return
    page.add(
        f"`{cluster.name}` has {replicas} control-plane machines, which Cluster API made "
        f"and the {kind} `{ns}/{name}` on `{mgmt}` keeps at {replicas}; there are no node "
        f"files to provision by hand. etcd keeps quorum while a majority "
        f"({replicas // 2 + 1} of {replicas}) is up; replace the lost one before another "
        f"fails {page.cite(source)}.",
        "",
        f"1. On `{mgmt}`, find the failed machine (its node not Ready, or none at all):",
    )
    page.sh(
        _control_plane_machines(context, cluster),
        f"clusterctl describe cluster {cluster.name} -n {ns}",
    )
    page.add(
        "2. Delete its Machine. Before the machine goes, the provider's pre-terminate hook "
        "removes its etcd member; then the provider creates a replacement, which joins as "
        f"a new member, until {replicas} machines are Ready again:"
    )
    page.sh(
        f"kubectl delete machine <MACHINE> -n {ns} --wait=false",
        f"kubectl get {kind.lower()} {name} -n {ns} -w",
    )
    page.add(
        "   Delete one machine at a time: a second deletion before the replacement is Ready "
        "can cost etcd its quorum. A deletion that does not finish says why in "
        f"`clusterctl describe cluster {cluster.name} -n {ns} --show-conditions all`."
    )


def _cluster_api_restore(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    """Restore etcd on a cluster Cluster API made: on one machine, the others replaced.

    Cluster API is paused first, so no controller replaces or remediates a machine while
    etcd is down; the snapshot comes from the bucket where the copies are, as the
    machines' local snapshots may be gone with a replaced machine. RKE2 resets etcd on one
    server and the others rejoin (RKE2's procedure); on kubeadm one machine restores a
    one-member etcd and the provider replaces the other control-plane machines, whose new
    members join it.
    """
    ns = clusterapi_names.namespace(cluster)
    mgmt = context.argocd_cluster.name
    rke2 = context.platform.kubernetes.distribution == "rke2"
    copies = snapshot_copies(context, cluster)
    if copies is None:
        where = "on the machines only: no copy off them is configured"
    else:
        where = f"copied to bucket `{copies.bucket}` folder `{copies.folder}/`"
    page.add(
        f"`{cluster.name}` was made by Cluster API: its control-plane machines have no fixed "
        f"names or addresses, so they are found on `{mgmt}`. Snapshots are taken on the "
        f"control-plane machines and {where}. You need a shell on the control-plane "
        "machines (Cluster API gives them no SSH key: use your image's access or the "
        "cloud's or vCenter's console).",
        "",
        f"1. On `{mgmt}`, pause Cluster API for the cluster, so no machine is replaced or "
        f"remediated while etcd is down (`spec.paused`), and list the "
        "control-plane machines with their nodes and addresses:",
    )
    page.sh(
        f"kubectl patch cluster {cluster.name} -n {ns} --type merge "
        '-p \'{"spec":{"paused":true}}\'',
        _control_plane_machines(context, cluster),
    )
    if rke2:
        _cluster_api_rke2_restore(page, context, cluster)
    else:
        _cluster_api_kubeadm_restore(page, context, cluster)
    page.add(
        "Workloads changed after the snapshot are put back by Argo CD from Git. Without any "
        "snapshot left, rebuild the cluster as in section 4."
    )


def _cluster_api_rke2_restore(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    etcd = _rke2_s3(context, cluster)
    ns = clusterapi_names.namespace(cluster)
    page.add(
        f"2. Stop RKE2 on every control-plane machine {page.cite('rke2-restore')}:",
    )
    page.sh("systemctl stop rke2-server")
    if etcd.get("etcd-s3"):
        page.add(
            "3. On one of them (`<FIRST>`), reset etcd to the newest copy in object storage "
            "(only the snapshot's name: RKE2 fetches it with the `etcd-s3-*` settings the "
            "provider wrote), then start RKE2:"
        )
        page.sh(*_rke2_s3_restore(context, cluster, etcd), "systemctl start rke2-server")
    else:
        page.add(
            f"3. On one of them (`<FIRST>`), reset etcd to its newest snapshot in "
            f"`{SNAPSHOT_DIR}`, then start RKE2:"
        )
        page.sh(
            f"ls -t {SNAPSHOT_DIR} | head -n 1",
            f"rke2 server --cluster-reset --cluster-reset-restore-path={SNAPSHOT_DIR}/<SNAPSHOT>",
            "systemctl start rke2-server",
        )
    page.add("4. On the other control-plane machines, drop the old etcd data and rejoin:")
    page.sh(f"rm -rf {RKE2_DATA_DIR}/server/db", "systemctl start rke2-server")
    page.add(f"5. On `{context.argocd_cluster.name}`, resume Cluster API for the cluster:")
    page.sh(
        f"kubectl patch cluster {cluster.name} -n {ns} --type merge "
        '-p \'{"spec":{"paused":false}}\'',
        f"clusterctl describe cluster {cluster.name} -n {ns}",
    )


def _cluster_api_kubeadm_restore(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    ns = clusterapi_names.namespace(cluster)
    data_dir = cluster_configuration(context, cluster)["etcd"]["local"]["dataDir"]
    restored = data_dir + RESTORED_SUFFIX
    version = IMAGE.rsplit(":", 1)[1].split("-")[0]
    page.add(
        "2. On every control-plane machine, stop the API server and etcd (the kubelet stops "
        "a static Pod whose manifest leaves its folder):"
    )
    page.sh(
        f"mv {KUBEADM_MANIFESTS}/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml",
        f"mv {KUBEADM_MANIFESTS}/etcd.yaml /etc/kubernetes/etcd.yaml",
    )
    copies = snapshot_copies(context, cluster)
    page.add(
        "3. On one of them (`<NODE>` at `<ADDRESS>` in the list above), get the newest "
        + (
            "copy from object storage"
            if copies is not None
            else f"snapshot in `{HOST_BACKUP_DIR}` of any control-plane machine"
        )
        + f" and restore it with `etcdutl` {version} (the etcd of `{IMAGE}`) as a one-member "
        f"cluster {page.cite('k8s-etcd', 'etcd-recovery')}:"
    )
    commands = [] if copies is None else _kubeadm_s3_download(copies)
    snapshot = (
        f"{HOST_BACKUP_DIR}/etcd-snapshot-0.db"
        if copies is not None
        else f"{HOST_BACKUP_DIR}/etcd-snapshot-<SLOT>.db"
    )
    page.sh(
        *commands,
        f"etcdutl snapshot restore {snapshot} \\",
        f"  --data-dir {restored} --name <NODE> \\",
        f"  --initial-cluster <NODE>=https://<ADDRESS>:{ETCD_PEER_PORT} \\",
        f"  --initial-advertise-peer-urls https://<ADDRESS>:{ETCD_PEER_PORT}",
    )
    page.add(
        f"4. There, point the `etcd-data` volume of the etcd manifest at `{restored}`, put "
        "the manifests back and check etcd:"
    )
    page.sh(
        f"sed -i 's#^\\( *path: \\){data_dir}$#\\1{restored}#' /etc/kubernetes/etcd.yaml",
        f"mv /etc/kubernetes/etcd.yaml {KUBEADM_MANIFESTS}/etcd.yaml",
        f"mv /etc/kubernetes/kube-apiserver.yaml {KUBEADM_MANIFESTS}/kube-apiserver.yaml",
        "systemctl restart kubelet",
        _etcdctl_kubeadm("member list -w table"),
    )
    page.add(
        f"5. On `{context.argocd_cluster.name}`, resume Cluster API for the cluster and delete "
        "the Machines of the other control-plane machines, all of them (their etcd members "
        "belong to the old cluster; the KubeadmControlPlane adds machines only while every "
        "remaining one is healthy). It replaces them one by one with machines whose new "
        f"members join the restored etcd {page.cite('capi-kcp-remediation')}:"
    )
    page.sh(
        f"kubectl patch cluster {cluster.name} -n {ns} --type merge "
        '-p \'{"spec":{"paused":false}}\'',
        f"kubectl delete machine -n {ns} <OTHER-MACHINE> <OTHER-MACHINE> --wait=false",
        f"clusterctl describe cluster {cluster.name} -n {ns}",
    )


# --- a whole cluster lost -------------------------------------------------------------


def _cluster_api_rebuild(page: _Page, context: RenderContext, cluster: ClusterPlan) -> None:
    """Steps 1 and 2 for a cluster Cluster API made: mgmt builds it again from Git."""
    argocd = context.argocd_cluster
    ns = clusterapi_names.namespace(cluster)
    app = application_name("cluster-api", cluster)
    page.add(
        f"1. Cluster API on `{argocd.name}` made `{cluster.name}` from its objects in "
        f"`{objects_folder(cluster)}/`; there are no node files to provision by hand. On "
        f"`{argocd.name}`, delete the `Cluster` so Cluster API removes what is left of it "
        "(machines, load balancer, its kubeconfig Secret), then sync the Application that "
        "applies its objects: Cluster API builds the cluster again from Git "
        f"{page.cite('capi-delete', 'argocd-sync')}:"
    )
    page.sh(
        f"kubectl delete cluster {cluster.name} -n {ns} --wait",
        f"argocd app sync {app}",
        f"clusterctl describe cluster {cluster.name} -n {ns}",
    )
    secret = clusterapi_names.kubeconfig_secret(cluster)
    if registers_through_external_secrets(context):
        page.add(
            "2. The new cluster has a new CA and credentials in the Secret "
            f"`{ns}/{secret}`. Argo CD's cluster Secret for `{cluster.name}` is built from it "
            f"by the ExternalSecret `{context.argocd_namespace}/{ns}` (in "
            f"`apps/clusters/{cluster.name}.yaml`): edit nothing, let it refresh (or force it "
            "now), then sync the cluster's Applications:"
        )
        page.sh(
            f"kubectl -n {context.argocd_namespace} annotate externalsecret {ns} "
            'force-sync="$(date +%s)" --overwrite',
            f"argocd app list | grep -- '-{cluster.name} '",
            f"argocd app sync platform-base-{cluster.name}",
        )
    else:
        page.add(
            "2. The new cluster has a new CA and credentials: read its kubeconfig from "
            f"Cluster API and put its server and credentials into Argo CD's cluster Secret "
            f"(`apps/clusters/{cluster.name}.yaml` names it), then sync its Applications:"
        )
        page.sh(
            f"clusterctl get kubeconfig {cluster.name} -n {ns} > {cluster.name}.kubeconfig",
            f"argocd app list | grep -- '-{cluster.name} '",
            f"argocd app sync platform-base-{cluster.name}",
        )


def _cluster_loss(
    page: _Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    argocd = context.argocd_cluster
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        _cluster_api_rebuild(page, context, cluster)
        _velero_restore(page, cluster, velero)
        return
    page.add(
        f"1. Provision every node again from `nodes/{cluster.name}/` in the order of its "
        "`README.md` (the same names, addresses and API name "
        f"`{context.api_host(cluster)}`)."
    )
    if cluster.name == argocd.name:
        page.add(
            "2. This cluster runs Argo CD: install it again and apply the root app, as the "
            "repository's `README.md` (Bootstrap) says; Argo CD then installs every "
            "component wave by wave on every cluster:"
        )
        page.sh(
            f"kubectl apply -n {context.argocd_namespace} -f bootstrap/root-app.yaml",
            "argocd app list",
        )
    else:
        page.add(
            f"2. Argo CD on `{argocd.name}` syncs the cluster again once it can reach it: the "
            "new cluster has a new CA and credentials, so update its cluster Secret "
            f"(`apps/clusters/{cluster.name}.yaml` names it; supply the credentials as the "
            "repository's `README.md` says), then sync its Applications "
            f"{page.cite('argocd-sync')}:"
        )
        page.sh(
            f"argocd app list | grep -- '-{cluster.name} '",
            f"argocd app sync platform-base-{cluster.name}",
        )
    _velero_restore(page, cluster, velero)


def _velero_restore(page: _Page, cluster: ClusterPlan, velero: _Velero | None) -> None:
    """Step 3 of a cluster loss: the objects and volumes not in Git, from Velero's backups."""
    if velero is None:
        page.add(
            f"3. Velero does not run on `{cluster.name}`: what is not in Git, and the data on "
            "its volumes, cannot be restored."
        )
        return
    if velero.kept_on == cluster.name:
        page.add(
            f"Note: the Velero backups of `{cluster.name}` are kept in an object store on "
            f"`{cluster.name}` itself: they were lost with it. Restore them only from a copy "
            "kept elsewhere (bucket replication), then continue as below; otherwise what is "
            "not in Git, and the data on volumes, is gone.",
            "",
        )
    ns = velero.namespace
    resources, _, _ = velero.resources
    where = f"bucket `{velero.bucket}`, prefix `{velero.prefix}`" + (
        f" at `{velero.endpoint}`" if velero.endpoint else ""
    )
    page.add(
        f"3. Once Velero is synced and its BackupStorageLocation `{velero.location}` "
        f"({where}) is Available, the old cluster's backups are listed. Keep the location "
        "read-only while restoring, so the new cluster's Schedules neither write nor expire "
        f"backups {page.cite('velero-disaster')}, and restore from the newest backups from "
        f"before the loss {page.cite('velero-restore')}"
        + (
            ": first the objects, then the volumes (the resources backup holds every object "
            "but Events, the volumes backup only Pods, PVCs and PVs)."
            if velero.volumes is not None
            else " (no storage provider runs here, so there are no volumes to restore)."
        )
    )
    commands = [
        f"kubectl -n {ns} patch backupstoragelocation {velero.location} --type merge \\",
        '  --patch \'{"spec":{"accessMode":"ReadOnly"}}\'',
        f"velero -n {ns} backup get --selector velero.io/schedule-name={resources}",
        f"velero -n {ns} restore create --from-backup <{resources.upper()}-BACKUP> --wait",
    ]
    if velero.volumes is not None:
        volumes, _, _ = velero.volumes
        commands += [
            "# then the volumes (Pods, PVCs and PVs, with the data Velero copied):",
            f"velero -n {ns} backup get --selector velero.io/schedule-name={volumes}",
            f"velero -n {ns} restore create --from-backup <{volumes.upper()}-BACKUP> --wait",
        ]
    commands += [
        f"kubectl -n {ns} patch backupstoragelocation {velero.location} --type merge \\",
        '  --patch \'{"spec":{"accessMode":"ReadWrite"}}\'',
    ]
    page.sh(*commands)
    page.add(
        f"   A sync of the `velero-{cluster.name}` Application puts the location back to "
        "ReadWrite from Git: disable its automated sync until the restore has finished."
    )


_Writer = Callable[[_Page, RenderContext, ClusterPlan, "_Velero | None"], None]
_SECTIONS: dict[str, _Writer] = {
    "deleted-resource": _deleted_resource,
    "etcd-corruption": _etcd_corruption,
    "control-plane-loss": _control_plane_loss,
    "cluster-loss": _cluster_loss,
}

__all__ = [
    "SOURCES",
    "Estimate",
    "cluster_runbook",
    "scenario_ids",
]
