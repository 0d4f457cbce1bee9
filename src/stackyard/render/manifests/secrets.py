"""The External Secrets ClusterSecretStore ``vault`` on every cluster that runs the operator.

Contract C3: when Vault (or mgmt) is down, synced Secrets keep their last values and
workloads keep running; they only stop getting new values. How long a value may be stale
is ``secrets.refreshInterval`` (1 h by default). The store's own ``refreshInterval``
(how often the operator re-validates the store) is set to it, so a Vault outage does not
flip every store to not-ready every few seconds, and ``retrySettings`` back off.
ExternalSecrets carry their own ``refreshInterval``, which the CRD defaults to ``1h0m0s``;
ExternalSecrets that need a different value set it explicitly.

Authentication is Vault's Kubernetes auth with the operator's own ServiceAccount token
(no ``serviceAccountRef`` or ``secretRef``: the controller's token is used), on the
per-cluster mount ``kubernetes-<cluster>`` with Vault role ``external-secrets``. The CA
that signs Vault's certificate is a Secret reference (see ``endpoints``); no token, key or
certificate is ever rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.endpoints import vault_address, vault_auth_mount, vault_ca
from stackyard.render.tree import Manifest

ESO_API = "external-secrets.io/v1"
STORE_NAME = "vault"
VAULT_ROLE = "external-secrets"
KV_MOUNT = "secret"
RETRY = {"maxRetries": 5, "retryInterval": "30s"}


def cluster_secret_store(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The ClusterSecretStore that reads Vault's KV v2 engine at ``secret/``."""
    ca = vault_ca(context, cluster)
    store: Manifest = {
        "apiVersion": ESO_API,
        "kind": "ClusterSecretStore",
        "metadata": {"name": STORE_NAME},
        "spec": {
            "refreshInterval": context.platform.secrets.refreshInterval,
            "retrySettings": dict(RETRY),
            "provider": {
                "vault": {
                    "server": vault_address(context, cluster),
                    "path": KV_MOUNT,
                    "version": "v2",
                    "caProvider": {
                        "type": "Secret",
                        "namespace": ca.namespace,
                        "name": ca.name,
                        "key": ca.key,
                    },
                    "auth": {
                        "kubernetes": {
                            "mountPath": vault_auth_mount(cluster),
                            "role": VAULT_ROLE,
                        }
                    },
                }
            },
        },
    }
    return in_wave(store, AFTER_CHART)


class VaultProperty(NamedTuple):
    """A property of a key in Vault's KV engine (``secret/``)."""

    key: str
    property: str


def vault_external_secret(
    context: RenderContext, name: str, namespace: str, data: Mapping[str, VaultProperty]
) -> Manifest:
    """The ExternalSecret that fills Secret ``name`` from Vault through the ``vault`` store.

    ``data`` maps each of the Secret's keys to where Vault keeps its value; the values
    never pass through Git.
    """
    return {
        "apiVersion": ESO_API,
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "refreshInterval": context.platform.secrets.refreshInterval,
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [
                {"secretKey": key, "remoteRef": {"key": ref.key, "property": ref.property}}
                for key, ref in data.items()
            ],
        },
    }


def secret_store_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The Vault store where External Secrets and a Vault to read from both exist."""
    if not cluster.has("external-secrets") or not context.clusters_running("vault"):
        return
    yield Placed(
        "external-secrets", "cluster-secret-store.yaml", [cluster_secret_store(context, cluster)]
    )
