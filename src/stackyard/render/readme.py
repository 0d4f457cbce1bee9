"""The README.md written at the root of every rendered repository.

The prose lives in ``readme_template.md`` (``string.Template`` placeholders); this
module only fills in the platform's facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from string import Template

from stackyard.catalog.model import HelmInstall, SecretNeeded
from stackyard.plan import ClusterPlan
from stackyard.render.addresses import CA_BUNDLE_SECRET, CA_KEY
from stackyard.render.airgap import airgap_section, gitops_url, helm_chart_argument
from stackyard.render.clusterapi import provisioned
from stackyard.render.clusterapi.readme import clusterapi_section
from stackyard.render.clusterapi.vsphere import credentials_through_external_secrets, on_vsphere
from stackyard.render.context import IN_CLUSTER, RenderContext
from stackyard.render.etcd_copies import snapshot_copies
from stackyard.render.infrastructure import ROOT as INFRASTRUCTURE
from stackyard.render.manifests.backupalerts import readme_section
from stackyard.render.manifests.etcd_backup import NAMESPACE as ETCD_NAMESPACE
from stackyard.render.manifests.kiali import queries_metrics_over_https
from stackyard.render.manifests.policy import verifies_signatures
from stackyard.render.objectstore import (
    ENV_ACCESS_KEY,
    ENV_SECRET_KEY,
    VELERO_CREDENTIALS_KEY,
    external_store,
)
from stackyard.render.tree import RenderedTree

Needed = Callable[[RenderContext, ClusterPlan], bool]


def _always(context: RenderContext, cluster: ClusterPlan) -> bool:
    return True


def _with_keycloak(context: RenderContext, cluster: ClusterPlan) -> bool:
    return bool(context.clusters_running("keycloak"))


def _with_keycloak_groups(context: RenderContext, cluster: ClusterPlan) -> bool:
    return _with_keycloak(context, cluster) and bool(context.platform.identity.groups)


def _off_aws(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider != "aws"


def _on_minio(context: RenderContext, cluster: ClusterPlan) -> bool:
    return _off_aws(context, cluster) and external_store(context) is None


def _without_external_store(context: RenderContext, cluster: ClusterPlan) -> bool:
    return external_store(context) is None


def _on_aws(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider == "aws"


def _vsphere_by_hand(context: RenderContext, cluster: ClusterPlan) -> bool:
    return on_vsphere(context) and not credentials_through_external_secrets(context)


def _on_prem(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider == "onprem"


def _loki_on_minio(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider == "onprem" and external_store(context) is None


def _without_vault(context: RenderContext, cluster: ClusterPlan) -> bool:
    return not cluster.has("vault")


def _enterprise(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.edition == "enterprise"


def _signatures_without_key(context: RenderContext, cluster: ClusterPlan) -> bool:
    # With policy.signingKey the render writes the key's ConfigMap itself.
    return verifies_signatures(cluster) and context.plan.spec.signing_key is None


def _metrics_store_elsewhere(context: RenderContext, cluster: ClusterPlan) -> bool:
    return queries_metrics_over_https(context, cluster)


# When a catalog entry's required Secret is needed (``secrets[].needed``), per cluster.
NEEDED: Mapping[SecretNeeded, Needed] = {
    "always": _always,
    "with-keycloak": _with_keycloak,
    "on-minio": _on_minio,
    "without-external-store": _without_external_store,
    "onprem": _on_prem,
    "loki-on-minio": _loki_on_minio,
    "without-vault": _without_vault,
    "enterprise": _enterprise,
    "metrics-store-elsewhere": _metrics_store_elsewhere,
    "with-keycloak-groups": _with_keycloak_groups,
    "on-aws": _on_aws,
    "vsphere-by-hand": _vsphere_by_hand,
    "signatures-without-key": _signatures_without_key,
}

# The README lists required Secrets in this order of their components (operators' order:
# UIs, then object storage, then the rest); the rest follow by name.
README_ORDER = (
    "argo-cd", "grafana", "harbor", "keycloak", "minio", "velero", "thanos", "loki", "mimir",
    "backstage", "external-dns", "vault-issuer", "kyverno",
)  # fmt: skip


def secret_rows(context: RenderContext) -> list[str]:
    """README rows of the Secrets the catalog entries of running components require."""
    rank = {name: i for i, name in enumerate(README_ORDER)}
    components = sorted(context.catalog, key=lambda c: (rank.get(c.name, len(rank)), c.name))
    rows = []
    for component in components:
        running = context.clusters_running(component.name)
        for secret in component.secrets:
            clusters = [c.name for c in running if NEEDED[secret.needed](context, c)]
            if clusters:
                owner = context.component(secret.namespaceOf or component.name)
                kind = "" if secret.kind == "Secret" else f" ({secret.kind})"
                rows.append(
                    f"| `{owner.namespace}/{secret.name}`{kind} | {secret.keys} | "
                    f"{', '.join(clusters)} | {secret.purpose} |"
                )
    return rows


def readme(context: RenderContext, tree: RenderedTree) -> str:
    """Layout, bootstrap steps and credential handling for this platform."""
    template = Template(
        (resources.files("stackyard.render") / "readme_template.md").read_text("utf-8")
    )
    platform = context.platform
    install = context.component("argo-cd").install
    rows = [
        f"| `{c.name}` | {c.cluster.role} | {_server(context, c)} | {len(c.components)} |"
        for c in context.plan.clusters
    ]
    secrets = secret_rows(context) + _object_store_secrets(context) + _etcd_copy_secrets(context)
    infrastructure = [
        path.split("/")[1] for path in tree.files if path.startswith(f"{INFRASTRUCTURE}/")
    ]
    infrastructure_rows = (
        f"| `{INFRASTRUCTURE}/<cluster>/` | Terraform of the AWS infrastructure of "
        f"{', '.join(f'`{n}`' for n in sorted(set(infrastructure)))}: network, security "
        "groups, instance profiles, API load balancer, machines whose user-data is "
        "`nodes/<cluster>/` | you: `terraform apply`, before any node exists |\n"
        if infrastructure
        else ""
    )
    return template.substitute(
        infrastructure_rows=infrastructure_rows,
        name=platform.name,
        edition=platform.edition,
        provider=platform.provider,
        distribution=platform.kubernetes.distribution,
        version=platform.kubernetes.version,
        argocd_cluster=context.argocd_cluster.name,
        argocd_chart=_argocd_chart(context),
        argocd_version=install.version if install.method == "helm" else "",
        namespace=context.argocd_namespace,
        repo=gitops_url(context),
        airgap=airgap_section(context),
        clusterapi=clusterapi_section(context),
        hand_made="every cluster"
        if not provisioned(context)
        else "every cluster Cluster API does not create (below)",
        in_cluster=IN_CLUSTER,
        clusters="\n".join(rows),
        secrets="\n".join(secrets) or "| (none) | | | |",
        backups=readme_section(context),
        files=len(tree) + 2,  # this README and the render marker
    )


def _server(context: RenderContext, cluster: ClusterPlan) -> str:
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        return "its load balancer, once Cluster API made it"
    return context.server(cluster)


def _argocd_chart(context: RenderContext) -> str:
    """The ``helm install`` chart argument of Argo CD."""
    install = context.component("argo-cd").install
    return helm_chart_argument(context, install) if isinstance(install, HelmInstall) else ""


# What the README says a credentials key holds, where its name does not say it.
_KEY_NOTES = {VELERO_CREDENTIALS_KEY: "a credentials file"}


def _object_store_secrets(context: RenderContext) -> list[str]:
    """Rows of the external store's credentials Secret, one per running consumer.

    Each lists the keys its catalog entry reads (``objectStore.keys``), in the spec's
    bucket order.
    """
    store = external_store(context)
    if store is None or store.credentials_secret is None:
        return []
    rows = []
    for component in context.catalog.object_store_users():
        clusters = [c.name for c in context.clusters_running(component.name)]
        if clusters and component.objectStore is not None:
            keys = ", ".join(
                f"{key} ({_KEY_NOTES[key]})" if key in _KEY_NOTES else key
                for key in component.objectStore.keys
            )
            rows.append(
                f"| `{component.namespace}/{store.credentials_secret}` | {keys} | "
                f"{', '.join(clusters)} | the external object store |"
            )
    return rows


def _etcd_copy_secrets(context: RenderContext) -> list[str]:
    """Rows of the Secrets kubeadm's etcd snapshot upload reads in ``kube-system``.

    The object store's keys (none where the nodes' role is used) and, for MinIO behind
    another cluster's gateway, the platform CA bundle (``render/etcd_copies.py``).
    """
    if context.platform.kubernetes.distribution != "kubeadm":
        return []
    keys: dict[str, list[str]] = {}
    trusting = []
    for cluster in context.plan.clusters:
        copies = snapshot_copies(context, cluster)
        if copies is None:
            continue
        if copies.credentials_secret is not None:
            keys.setdefault(copies.credentials_secret, []).append(cluster.name)
        if copies.trusts_platform_ca:
            trusting.append(cluster.name)
    rows = [
        f"| `{ETCD_NAMESPACE}/{name}` | {ENV_ACCESS_KEY}, {ENV_SECRET_KEY} | "
        f"{', '.join(clusters)} | etcd snapshot copies to the object store |"
        for name, clusters in keys.items()
    ]
    if trusting:
        rows.append(
            f"| `{ETCD_NAMESPACE}/{CA_BUNDLE_SECRET}` | {CA_KEY} | {', '.join(trusting)} | "
            "the CA of MinIO's gateway, for etcd snapshot copies |"
        )
    return rows
