"""The two-phase PKI (contract C5): self-signed first, then Vault.

Vault needs a TLS certificate before it can serve, and the Vault issuer needs Vault, so
one issuer cannot bootstrap the other. Phase one, synced with cert-manager on every
cluster that runs it, needs nothing outside the cluster: a ``selfsigned`` ClusterIssuer
signs a ``platform-root-ca`` CA certificate, and the ``platform-ca`` ClusterIssuer signs
with it. Vault's own certificate comes from ``platform-ca`` and stays there, so Vault can
always restart. Phase two is the ``vault-issuer`` component: its own Application in a
later wave than Vault, holding the ``vault`` ClusterIssuer (Vault's PKI engine at
``pki/sign/platform``) and the ServiceAccount whose tokens cert-manager presents to Vault.

What Vault must hold (set up once, at bootstrap, by the operator): a PKI secrets engine at
``pki`` with role ``platform`` allowed to sign names under the platform domain and
in-cluster Service names; per cluster, a Kubernetes auth mount ``kubernetes-<cluster>``
with role ``cert-manager`` bound to ServiceAccount ``vault-issuer`` in cert-manager's
namespace, audience ``vault://vault`` (cert-manager's default for a ClusterIssuer named
``vault``). The CA bundle that lets cert-manager trust Vault is a Secret reference, never
inline; see :mod:`stackyard.render.manifests.endpoints`.

Platform certificates use ``vault`` where phase two runs and ``platform-ca`` elsewhere
(``pki.issuer: self-signed``, Community). ``acme`` needs an account and solver the spec
cannot describe yet, so it falls back to ``platform-ca`` as well.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, BEFORE_CHART, Placed, in_wave
from stackyard.render.manifests.endpoints import (
    ROOT_CA_SECRET,
    vault_address,
    vault_auth_mount,
    vault_ca,
)
from stackyard.render.tree import Manifest

SELF_SIGNED_ISSUER = "selfsigned"
CA_ISSUER = "platform-ca"
VAULT_ISSUER = "vault"
VAULT_ISSUER_COMPONENT = "vault-issuer"
VAULT_PKI_ROLE = "platform"
VAULT_AUTH_ROLE = "cert-manager"
ISSUER_SERVICE_ACCOUNT = "vault-issuer"
VAULT_TLS_SECRET = "vault-tls"
CERT_MANAGER_CONTROLLER = "cert-manager"  # the chart's controller ServiceAccount (release name)
COMMON_NAME_MAX = 64  # X.509 upper bound for commonName


def platform_issuer(context: RenderContext, cluster: ClusterPlan) -> str:
    """The ClusterIssuer that signs platform certificates on ``cluster``."""
    if context.plan.settings.pki.issuer.value == "vault" and cluster.has(VAULT_ISSUER_COMPONENT):
        return VAULT_ISSUER
    return CA_ISSUER


def issuer_ref(name: str) -> Manifest:
    """A reference to a cert-manager ClusterIssuer."""
    return {"name": name, "kind": "ClusterIssuer", "group": "cert-manager.io"}


def _cluster_issuer(name: str, spec: Manifest) -> Manifest:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": name},
        "spec": spec,
    }


def phase_one(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """Self-signed issuer, the cluster's root CA certificate and the CA issuer."""
    namespace = context.component("cert-manager").namespace
    common_name = f"{context.platform.name} root CA"[:COMMON_NAME_MAX]
    root_ca: Manifest = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": ROOT_CA_SECRET, "namespace": namespace},
        "spec": {
            "isCA": True,
            "commonName": common_name,
            "subject": {
                "organizations": [context.platform.name],
                "organizationalUnits": [cluster.name],
            },
            "secretName": ROOT_CA_SECRET,
            "duration": "87600h",  # ten years: rotating a root means re-trusting everywhere
            "renewBefore": "8760h",
            "privateKey": {"algorithm": "ECDSA", "size": 384},
            "issuerRef": issuer_ref(SELF_SIGNED_ISSUER),
        },
    }
    objects = [
        _cluster_issuer(SELF_SIGNED_ISSUER, {"selfSigned": {}}),
        root_ca,
        # A ClusterIssuer reads its Secret from cert-manager's own namespace.
        _cluster_issuer(CA_ISSUER, {"ca": {"secretName": ROOT_CA_SECRET}}),
    ]
    return [in_wave(o, AFTER_CHART) for o in objects]


def vault_certificate(context: RenderContext) -> Manifest:
    """Vault's serving certificate from the phase-one CA (never from Vault itself)."""
    namespace = context.component("vault").namespace
    service = f"vault.{namespace}.svc"
    internal = f"vault-internal.{namespace}.svc"  # the chart's headless Service (Raft peers)
    names = [
        "vault",
        f"vault.{namespace}",
        service,
        f"{service}.cluster.local",
        f"vault-active.{namespace}.svc",
        f"*.{internal}",
        f"*.{internal}.cluster.local",
        f"vault.{context.platform.domain}",
    ]
    certificate: Manifest = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": VAULT_TLS_SECRET, "namespace": namespace},
        "spec": {
            "secretName": VAULT_TLS_SECRET,
            "commonName": service,
            "dnsNames": names,
            "ipAddresses": ["127.0.0.1"],  # the vault CLI inside the pod
            "duration": "2160h",
            "renewBefore": "720h",
            "usages": ["digital signature", "key encipherment", "server auth", "client auth"],
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": issuer_ref(CA_ISSUER),
        },
    }
    # Vault's pods mount the Secret, so it must exist before the chart's StatefulSet.
    return in_wave(certificate, BEFORE_CHART)


def phase_two(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """The Vault ClusterIssuer and the token-request RBAC cert-manager needs for it."""
    namespace = context.component("cert-manager").namespace
    ca = vault_ca(context, cluster)
    service_account: Manifest = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": ISSUER_SERVICE_ACCOUNT, "namespace": namespace},
    }
    role: Manifest = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": f"{ISSUER_SERVICE_ACCOUNT}-token", "namespace": namespace},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["serviceaccounts/token"],
                "resourceNames": [ISSUER_SERVICE_ACCOUNT],
                "verbs": ["create"],
            }
        ],
    }
    binding: Manifest = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": f"{ISSUER_SERVICE_ACCOUNT}-token", "namespace": namespace},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": f"{ISSUER_SERVICE_ACCOUNT}-token",
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": CERT_MANAGER_CONTROLLER, "namespace": namespace}
        ],
    }
    issuer = _cluster_issuer(
        VAULT_ISSUER,
        {
            "vault": {
                "server": vault_address(context, cluster),
                "path": f"pki/sign/{VAULT_PKI_ROLE}",
                # The CA bundle is referenced, never inlined: see endpoints.vault_ca.
                "caBundleSecretRef": {"name": ca.name, "key": ca.key},
                "auth": {
                    "kubernetes": {
                        "role": VAULT_AUTH_ROLE,
                        "mountPath": f"/v1/auth/{vault_auth_mount(cluster)}",
                        "serviceAccountRef": {"name": ISSUER_SERVICE_ACCOUNT},
                    }
                },
            }
        },
    )
    return [service_account, role, binding, in_wave(issuer, AFTER_CHART)]


def pki_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Phase one with cert-manager, Vault's certificate with Vault, phase two on its own."""
    if cluster.has("cert-manager"):
        yield Placed("cert-manager", "pki-phase-one.yaml", phase_one(context, cluster))
    if cluster.has("vault"):
        yield Placed("vault", "vault-tls.yaml", [vault_certificate(context)])
    if cluster.has(VAULT_ISSUER_COMPONENT):
        yield Placed(
            VAULT_ISSUER_COMPONENT, "vault-cluster-issuer.yaml", phase_two(context, cluster)
        )
