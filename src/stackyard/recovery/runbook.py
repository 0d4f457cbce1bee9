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

A cluster Cluster API made has no node files and no fixed node names: its sections come
from :mod:`stackyard.recovery.clusterapisteps`. The etcd paths and commands both kinds of
cluster share are :mod:`stackyard.recovery.etcdcommands`; the page and the sources it
cites, :mod:`stackyard.recovery.runbookpage`.

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
from stackyard.recovery.clusterapisteps import (
    cluster_api_machine_loss,
    cluster_api_rebuild,
    cluster_api_restore,
)
from stackyard.recovery.etcdcommands import (
    ETCD_PEER_PORT,
    ETCD_TOKEN_SUFFIX,
    KUBEADM_ADMIN,
    KUBEADM_MANIFESTS,
    RESTORE_SNAPSHOT,
    RESTORED_SUFFIX,
    RKE2_DATA_DIR,
    etcdctl_kubeadm,
    etcdctl_rke2,
    kubeadm_s3_download,
    rke2_etcd_options,
    rke2_s3_restore,
)
from stackyard.recovery.runbookpage import SOURCES, Page
from stackyard.render.bootstrap.kubeadm import cluster_configuration
from stackyard.render.bootstrap.nodes import Node, cluster_nodes
from stackyard.render.bootstrap.rke2 import (
    ETCD_S3_SECRET,
    SNAPSHOT_DIR,
    TOKEN_FILE,
)
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import etcd_bucket, snapshot_copies
from stackyard.render.manifests.backup import location_store, schedules, storage_location
from stackyard.render.manifests.etcd_backup import (
    HOST_BACKUP_DIR,
    IMAGE,
    NAME,
    NAMESPACE,
    etcd_snapshot_cronjob,
    snapshot_container,
)


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
    page = Page()
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
    page: Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
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


def _etcd_corruption(
    page: Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        cluster_api_restore(page, context, cluster)
    elif context.platform.kubernetes.distribution == "rke2":
        _rke2_restore(page, context, cluster)
    else:
        _kubeadm_restore(page, context, cluster)


def _rke2_restore(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
    etcd = rke2_etcd_options(context, cluster)
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
        page.sh(*rke2_s3_restore(context, cluster, etcd))
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


def _address(node: Node) -> str:
    return str(node.address) if node.address is not None else f"<{node.name.upper()}-IP>"


def _kubeadm_restore(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
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
        etcdctl_kubeadm("endpoint health"),
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
    page: Page, cluster: ClusterPlan, planes: Sequence[Node], data_dir: str
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
        etcdctl_kubeadm("member list -w table"),
        etcdctl_kubeadm("endpoint health --cluster"),
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
    page: Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        cluster_api_machine_loss(page, context, cluster)
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
            etcd = rke2_etcd_options(context, cluster)
            if etcd.get("etcd-s3"):
                page.add(
                    f"The node's own snapshots went with it; restore the newest copy in "
                    "object storage (RKE2 keeps the cluster token in "
                    f"`{TOKEN_FILE}`, which the restore needs to decrypt the snapshot's "
                    f"bootstrap data) {page.cite('rke2-restore')}:"
                )
                page.sh(*rke2_s3_restore(context, cluster, etcd), "systemctl start rke2-server")
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
            page.sh(*kubeadm_s3_download(copies))
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
            etcdctl_rke2("member list -w table"),
            etcdctl_rke2("member remove <MEMBER-ID>"),
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
        etcdctl_kubeadm("member list -w table"),
        etcdctl_kubeadm("member remove <MEMBER-ID>"),
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


# --- a whole cluster lost -------------------------------------------------------------


def _cluster_loss(
    page: Page, context: RenderContext, cluster: ClusterPlan, velero: _Velero | None
) -> None:
    argocd = context.argocd_cluster
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        cluster_api_rebuild(page, context, cluster)
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


def _velero_restore(page: Page, cluster: ClusterPlan, velero: _Velero | None) -> None:
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


_Writer = Callable[[Page, RenderContext, ClusterPlan, "_Velero | None"], None]
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
