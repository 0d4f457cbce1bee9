"""The runbook steps of a cluster Cluster API made, which has no node files.

Its control-plane machines have no fixed names or addresses: the steps find the Machines
on mgmt. A lost control-plane machine is replaced by deleting its Machine (both control
plane providers remove its etcd member with a pre-terminate hook, then create a machine
that joins as a new member); etcd is restored on one machine from the snapshot bucket
with Cluster API paused; a whole cluster is built again from its objects in Git.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.recovery.etcdcommands import (
    ETCD_PEER_PORT,
    KUBEADM_MANIFESTS,
    RESTORED_SUFFIX,
    RKE2_DATA_DIR,
    etcdctl_kubeadm,
    kubeadm_s3_download,
    rke2_etcd_options,
    rke2_s3_restore,
)
from stackyard.recovery.runbookpage import Page
from stackyard.render.bootstrap.kubeadm import cluster_configuration
from stackyard.render.bootstrap.rke2 import SNAPSHOT_DIR
from stackyard.render.clusterapi import names as clusterapi_names
from stackyard.render.clusterapi import objects_folder, registers_through_external_secrets
from stackyard.render.clusterapi.controlplane import control_plane_kind
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import snapshot_copies
from stackyard.render.gitops import application_name
from stackyard.render.manifests.etcd_backup import HOST_BACKUP_DIR, IMAGE


def _control_plane_machines(context: RenderContext, cluster: ClusterPlan) -> str:
    """``kubectl get machines`` of ``cluster``'s control plane, with nodes and addresses."""
    return (
        f"kubectl get machines -n {clusterapi_names.namespace(cluster)} "
        f"-l {clusterapi_names.CLUSTER_NAME_LABEL}={cluster.name},"
        f"{clusterapi_names.CONTROL_PLANE_MACHINE_LABEL} \\\n"
        "  -o custom-columns=MACHINE:.metadata.name,NODE:.status.nodeRef.name,"
        "ADDRESS:.status.addresses[0].address,PHASE:.status.phase"
    )


def cluster_api_machine_loss(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
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


def cluster_api_restore(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
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


def _cluster_api_rke2_restore(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
    etcd = rke2_etcd_options(context, cluster)
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
        page.sh(*rke2_s3_restore(context, cluster, etcd), "systemctl start rke2-server")
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


def _cluster_api_kubeadm_restore(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
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
    commands = [] if copies is None else kubeadm_s3_download(copies)
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
        etcdctl_kubeadm("member list -w table"),
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


def cluster_api_rebuild(page: Page, context: RenderContext, cluster: ClusterPlan) -> None:
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
