"""How Argo CD learns a cluster Cluster API made: its cluster Secret, from the kubeconfig.

Argo CD deploys to a cluster once a Secret labelled ``argocd.argoproj.io/secret-type:
cluster`` names its server and credentials (https://argo-cd.readthedocs.io/en/stable/
operator-manual/declarative-setup/#clusters). For a cluster made by hand the render writes
that Secret without credentials, which the operator adds. A cluster Cluster API makes
has its admin kubeconfig in the Secret ``<cluster>-kubeconfig`` (key ``value``) next to its
``Cluster`` on mgmt (https://cluster-api.sigs.k8s.io/developer/architecture/controllers/
cluster#kubeconfig-secrets), and its API server is the load balancer the AWS provider
created, known only once it exists. So where External Secrets runs on mgmt, the render
writes an ``ExternalSecret`` instead that builds Argo CD's Secret from that kubeconfig:
its server and its client certificate, key and CA, templated into Argo CD's ``config``
(engine v2's ``fromYaml``), and the same selection labels the hand-made clusters' Secrets
carry, so the new cluster receives its platform without a step by hand. A ``SecretStore``
reads the cluster's namespace with a service account that may read Secrets there only.

Without External Secrets on mgmt (Community), the declarative Secret is written as for a
hand-made cluster, and its server and credentials come from ``clusterctl get kubeconfig``
(the README says so).
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.clusterapi.names import kubeconfig_secret, namespace
from stackyard.render.context import RenderContext
from stackyard.render.manifests.secrets import ESO_API
from stackyard.render.tree import Manifest

EXTERNAL_SECRETS = "external-secrets"
READER = "cluster-api-kubeconfig-reader"
KUBECONFIG_KEY = "kubeconfig"
_CONFIG = (
    "{{- $k := .kubeconfig | fromYaml -}}"
    "{{- $c := (index $k.clusters 0).cluster -}}"
    "{{- $u := (index $k.users 0).user -}}"
    '{"tlsClientConfig": {"caData": "{{ index $c "certificate-authority-data" }}", '
    '"certData": "{{ index $u "client-certificate-data" }}", '
    '"keyData": "{{ index $u "client-key-data" }}"}}'
)
_SERVER = "{{ (index (.kubeconfig | fromYaml).clusters 0).cluster.server }}"


def registers_through_external_secrets(context: RenderContext) -> bool:
    """Whether provisioned clusters' Argo CD Secrets come from their kubeconfig."""
    return context.argocd_cluster.has(EXTERNAL_SECRETS)


def reader_account(context: RenderContext) -> Manifest:
    """The service account the stores read kubeconfig Secrets as (one for every cluster)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": READER, "namespace": context.argocd_namespace},
    }


def registration_manifests(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """The reader's permission, the store and the ExternalSecret for ``cluster``."""
    argocd = context.argocd_namespace
    store = f"cluster-{cluster.name}"
    labels = context.cluster_labels(cluster)
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": READER, "namespace": namespace(cluster)},
            "rules": [
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": READER, "namespace": namespace(cluster)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": READER},
            "subjects": [{"kind": "ServiceAccount", "name": READER, "namespace": argocd}],
        },
        {
            "apiVersion": ESO_API,
            "kind": "SecretStore",
            "metadata": {"name": store, "namespace": argocd},
            "spec": {
                "provider": {
                    "kubernetes": {
                        "remoteNamespace": namespace(cluster),
                        "server": {
                            "url": "https://kubernetes.default.svc",
                            "caProvider": {
                                "type": "ConfigMap",
                                "name": "kube-root-ca.crt",
                                "key": "ca.crt",
                            },
                        },
                        "auth": {"serviceAccount": {"name": READER}},
                    }
                }
            },
        },
        {
            "apiVersion": ESO_API,
            "kind": "ExternalSecret",
            "metadata": {"name": store, "namespace": argocd},
            "spec": {
                "refreshInterval": context.platform.secrets.refreshInterval,
                "secretStoreRef": {"kind": "SecretStore", "name": store},
                "target": {
                    "name": f"cluster-{cluster.name}",
                    "creationPolicy": "Owner",
                    "template": {
                        "engineVersion": "v2",
                        "type": "Opaque",
                        "metadata": {"labels": labels},
                        "data": {"name": cluster.name, "server": _SERVER, "config": _CONFIG},
                    },
                },
                "data": [
                    {
                        "secretKey": KUBECONFIG_KEY,
                        "remoteRef": {"key": kubeconfig_secret(cluster), "property": "value"},
                    }
                ],
            },
        },
    ]
