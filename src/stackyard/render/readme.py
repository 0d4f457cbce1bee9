"""The README.md written at the root of every rendered repository.

The prose lives in ``readme_template.md`` (``string.Template`` placeholders); this
module only fills in the platform's facts.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from string import Template

from stackyard.plan import ClusterPlan
from stackyard.render.context import IN_CLUSTER, RenderContext
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


def _off_aws(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider != "aws"


def _on_minio(context: RenderContext, cluster: ClusterPlan) -> bool:
    return _off_aws(context, cluster) and external_store(context) is None


def _without_external_store(context: RenderContext, cluster: ClusterPlan) -> bool:
    return external_store(context) is None


def _on_prem(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider == "onprem"


def _loki_on_minio(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.provider == "onprem" and external_store(context) is None


def _without_vault(context: RenderContext, cluster: ClusterPlan) -> bool:
    return not cluster.has("vault")


def _enterprise(context: RenderContext, cluster: ClusterPlan) -> bool:
    return context.platform.edition == "enterprise"


# Secrets the rendered values and manifests reference by name and that must exist before
# the first sync: (component, namespace owner, Secret, keys, purpose, when needed).
REQUIRED_SECRETS: tuple[tuple[str, str, str, str, str, Needed], ...] = (
    ("argo-cd", "argo-cd", "argocd-secret", "oidc.keycloak.clientSecret",
     "Argo CD's Keycloak client secret", _with_keycloak),
    ("grafana", "grafana", "grafana-oidc", "client-secret",
     "Grafana's Keycloak client secret", _with_keycloak),
    ("harbor", "harbor", "harbor-admin", "HARBOR_ADMIN_PASSWORD", "Harbor admin password", _always),
    ("harbor", "harbor", "harbor-secret-key", "secretKey", "Harbor encryption key", _always),
    ("keycloak", "keycloak", "keycloak-db", "password", "Keycloak's PostgreSQL password", _always),
    ("minio", "minio", "minio-root", "rootUser, rootPassword", "MinIO root credentials", _always),
    ("velero", "velero", "velero-credentials", "cloud", "S3 credentials for MinIO", _on_minio),
    ("thanos", "thanos", "thanos-objstore", "objstore.yml", "Thanos object storage",
     _without_external_store),
    ("loki", "loki", "loki-object-storage", "S3 keys", "Loki's MinIO bucket", _loki_on_minio),
    ("mimir", "mimir", "mimir-object-storage", "S3 credentials", "Mimir's MinIO bucket", _on_minio),
    ("backstage", "backstage", "backstage-secrets", "see values", "Backstage backend", _always),
    ("external-dns", "external-dns", "external-dns-rfc2136", "TSIG key",
     "on-premises DNS updates", _on_prem),
    ("vault-issuer", "cert-manager", "platform-ca-bundle", "ca.crt",
     "the CA of mgmt's Vault and Gateway", _without_vault),
    ("kyverno", "kyverno", "cosign-public-key", "cosign.pub (a ConfigMap)",
     "image signature verification", _enterprise),
)  # fmt: skip


def readme(context: RenderContext, tree: RenderedTree) -> str:
    """Layout, bootstrap steps and credential handling for this platform."""
    template = Template(
        (resources.files("stackyard.render") / "readme_template.md").read_text("utf-8")
    )
    platform = context.platform
    install = context.component("argo-cd").install
    rows = [
        f"| `{c.name}` | {c.cluster.role} | {context.server(c)} | {len(c.components)} |"
        for c in context.plan.clusters
    ]
    secrets = []
    for component, owner, name, keys, purpose, needed in REQUIRED_SECRETS:
        running = context.clusters_running(component)
        clusters = [c.name for c in running if needed(context, c)]
        if clusters:
            namespace = context.component(owner).namespace
            secrets.append(f"| `{namespace}/{name}` | {keys} | {', '.join(clusters)} | {purpose} |")
    secrets += _object_store_secrets(context)
    return template.substitute(
        name=platform.name,
        edition=platform.edition,
        provider=platform.provider,
        distribution=platform.kubernetes.distribution,
        version=platform.kubernetes.version,
        argocd_cluster=context.argocd_cluster.name,
        argocd_repo=install.repoURL if install.method == "helm" else "",
        argocd_version=install.version if install.method == "helm" else "",
        namespace=context.argocd_namespace,
        repo=platform.gitops.repoURL,
        in_cluster=IN_CLUSTER,
        clusters="\n".join(rows),
        secrets="\n".join(secrets) or "| (none) | | | |",
        files=len(tree) + 2,  # this README and the render marker
    )


# The consumers that read the external object store's credentials Secret (objectstore.py).
_OBJECT_STORE_USERS = ("velero", "loki", "tempo", "thanos", "mimir")


def _object_store_secrets(context: RenderContext) -> list[str]:
    store = external_store(context)
    if store is None or store.credentials_secret is None:
        return []
    rows = []
    for component in _OBJECT_STORE_USERS:
        clusters = [c.name for c in context.clusters_running(component)]
        if clusters:
            namespace = context.component(component).namespace
            keys = f"{ENV_ACCESS_KEY}, {ENV_SECRET_KEY}"
            if component == "velero":
                keys += f", {VELERO_CREDENTIALS_KEY} (a credentials file)"
            rows.append(
                f"| `{namespace}/{store.credentials_secret}` | {keys} | {', '.join(clusters)} "
                "| the external object store |"
            )
    return rows
