"""Values for secrets, sign-in and the portals people use: Vault, Keycloak and its clients.

Keycloak's platform realm is the one OIDC issuer. Argo CD and Backstage here, and Grafana
in :mod:`.observability`, get it from :func:`keycloak_issuer` and their client id from their
catalog entry (:func:`oidc_client_id`), and sign in through it when
Keycloak is planned; otherwise they keep their own login. Keycloak and every portal
(Argo CD, Backstage, Teleport, Harbor) are served at their :func:`public_host` names.
Client secrets are named, never given: they come from Secrets (policy in the package
docstring).
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import KEYCLOAK_REALM, oidc_client_id, oidc_issuer, public_host
from stackyard.render.airgap import argocd_certificates
from stackyard.render.apicatalog import ALLOWED_KINDS, catalog_location_url
from stackyard.render.apis import realm_configmap_name, tenant_realms
from stackyard.render.context import RenderContext
from stackyard.render.identityrealm import VAULT_DIR, vault_file
from stackyard.render.keycloaktruststore import (
    TRUSTSTORE_CONFIGMAP,
    TRUSTSTORE_DIR,
    TRUSTSTORE_VOLUME,
    truststore_files,
)
from stackyard.render.loadbalancers import load_balancer_annotations
from stackyard.render.teleportjoin import (
    CLUSTER_LABEL,
    TOKEN_FILE,
    TOKEN_LIFETIME,
    TOKEN_MOUNT,
    TOKEN_VOLUME,
    agent_clusters,
    proxy_address,
    teleport_cluster_name,
    token_name,
)
from stackyard.render.valuebuilders.mesh import argocd_rollout_customizations
from stackyard.render.valuebuilders.storage import retain_class, storage_size
from stackyard.render.values import ValueBuilder, Values
from stackyard.spec.identity import Directory


def keycloak_issuer(context: RenderContext) -> str | None:
    """The OIDC issuer of the platform realm, or None when Keycloak is not planned."""
    return oidc_issuer(context) if context.clusters_running("keycloak") else None


def _vault(context: RenderContext, cluster: ClusterPlan) -> Values:
    storage: Values = {"size": storage_size(context, "vault"), **retain_class(context)}
    values: Values = {"server": {"dataStorage": storage}}
    # The same decision as the plan's pod count and `plan --why vault` (plan/replicas.py).
    planned = cluster.get("vault")
    if planned is not None and planned.replicas.ha:
        config = _raft_config(context, planned.replicas.count)
        values["server"]["ha"] = {"raft": {"config": config}}
    return values


def _raft_config(context: RenderContext, replicas: int) -> str:
    """Vault's Raft configuration with every peer in retry_join, so replicas join alone."""
    namespace = context.component("vault").namespace
    tls = "/vault/userconfig/vault-tls"
    joins = "".join(
        "  retry_join {\n"
        f'    leader_api_addr     = "https://vault-{i}.vault-internal.{namespace}.svc:8200"\n'
        f'    leader_ca_cert_file = "{tls}/ca.crt"\n'
        "  }\n"
        for i in range(replicas)
    )
    return (
        "ui = true\n\n"
        'listener "tcp" {\n'
        '  address         = "[::]:8200"\n'
        '  cluster_address = "[::]:8201"\n'
        f'  tls_cert_file   = "{tls}/tls.crt"\n'
        f'  tls_key_file    = "{tls}/tls.key"\n'
        "}\n\n"
        'storage "raft" {\n'
        '  path = "/vault/data"\n'
        f"{joins}"
        "}\n\n"
        'service_registration "kubernetes" {}\n'
    )


def _keycloak(context: RenderContext, cluster: ClusterPlan) -> Values:
    host = public_host(context, "keycloak")
    values: Values = {"extraEnv": f"- name: KC_HOSTNAME\n  value: https://{host}\n"}
    realms = tenant_realms(context)
    if realms:
        # The import folder is one volume: with tenants' realms it projects every realm's
        # ConfigMap (each file a realm), in place of the platform realm's alone.
        sources = "".join(
            f"      - configMap:\n          name: {realm_configmap_name(r)}\n"
            for r in [KEYCLOAK_REALM, *realms]
        )
        values["extraVolumes"] = f"- name: realm-platform\n  projected:\n    sources:\n{sources}"
    directories = context.platform.identity.directories
    if directories:
        values = _with_vault(context, values, directories)
    trusted = truststore_files(context)
    if trusted:
        values = _with_truststore(context, values, trusted)
    return values


def _with_vault(context: RenderContext, values: Values, directories: list[Directory]) -> Values:
    """Keycloak's file vault, holding each directory's bind password from its Secret.

    The realm's LDAP federation names the password ``${vault.ldap-<directory>-bind}``
    (:mod:`stackyard.render.identityrealm`); Keycloak's file vault (``vault=file``,
    ``vault-dir``; https://www.keycloak.org/server/vault) reads it from the file
    ``platform_ldap-<directory>-bind`` in the vault folder, where the key of the Secret
    ``bindPassword`` names is projected.
    """
    common = context.catalog.values_of("keycloak").common
    volumes = str(values.get("extraVolumes", common["extraVolumes"]))
    sources = "".join(
        f"      - secret:\n          name: {d.bindPassword.secret}\n"
        f"          items:\n            - key: {d.bindPassword.key}\n"
        f"              path: {vault_file(d)}\n"
        for d in directories
    )
    return {
        **values,
        "extraEnv": values["extraEnv"]
        + f"- name: KC_VAULT\n  value: file\n- name: KC_VAULT_DIR\n  value: {VAULT_DIR}\n",
        "extraVolumes": volumes + f"- name: ldap-vault\n  projected:\n    sources:\n{sources}",
        "extraVolumeMounts": str(common["extraVolumeMounts"])
        + f"- name: ldap-vault\n  mountPath: {VAULT_DIR}\n  readOnly: true\n",
    }


def _with_truststore(context: RenderContext, values: Values, files: list[str]) -> Values:
    """Keycloak trusting the directories' CAs (:mod:`stackyard.render.keycloaktruststore`)."""
    common = context.catalog.values_of("keycloak").common
    volumes = str(values.get("extraVolumes", common["extraVolumes"]))
    mounts = str(values.get("extraVolumeMounts", common["extraVolumeMounts"]))
    return {
        **values,
        "extraEnv": str(values["extraEnv"])
        + f"- name: KC_TRUSTSTORE_PATHS\n  value: {','.join(files)}\n",
        "extraVolumes": volumes
        + f"- name: {TRUSTSTORE_VOLUME}\n  configMap:\n    name: {TRUSTSTORE_CONFIGMAP}\n",
        "extraVolumeMounts": mounts
        + f"- name: {TRUSTSTORE_VOLUME}\n  mountPath: {TRUSTSTORE_DIR}\n  readOnly: true\n",
    }


def _argo_cd(context: RenderContext, cluster: ClusterPlan) -> Values:
    host = public_host(context, "argocd")
    cm: Values = {"url": f"https://{host}", **argocd_rollout_customizations(context)}
    if context.platform.identity.groups:
        # The access ClusterRoles are aggregated: the controller fills in their rules, which
        # Argo CD would otherwise report as drift forever
        # (https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/).
        cm["resource.compareoptions"] = "ignoreAggregatedRoles: true\n"
    values: Values = {"global": {"domain": host}, "configs": {"cm": cm}}
    certificates = argocd_certificates(context)
    if certificates:  # the internal registry's and Git server's CA (air gap)
        values["configs"]["tls"] = {"certificates": certificates}
    issuer = keycloak_issuer(context)
    if issuer is None:
        return values
    values["configs"]["cm"]["oidc.config"] = (
        "name: Keycloak\n"
        f"issuer: {issuer}\n"
        f"clientID: {oidc_client_id(context, 'argo-cd')}\n"
        "clientSecret: $oidc.keycloak.clientSecret\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )
    oidc = context.component("argo-cd").oidc
    group_roles = dict(oidc.groupRoles) if oidc is not None else {}
    # A declared platform-admin group administers the platform's GitOps too; everyone
    # else signed in reads (policy.default). The spec keeps "," out of group names.
    for group in context.platform.identity.groups:
        if group.role == "platform-admin":
            group_roles.setdefault(group.name, "admin")
    values["configs"]["rbac"] = {
        "policy.default": "role:readonly",
        "policy.csv": "".join(f"g, {group}, role:{role}\n" for group, role in group_roles.items()),
        "scopes": "[groups]",
    }
    values["dex"] = {"enabled": False}
    return values


def _backstage(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = f"https://{public_host(context, 'backstage')}"
    app_config: Values = {
        "app": {"baseUrl": url},
        "backend": {
            "baseUrl": url,
            "database": {
                "client": "pg",
                "connection": {
                    "host": "backstage-postgresql",
                    "port": 5432,
                    "user": "backstage",
                    "password": "${POSTGRES_PASSWORD}",
                },
            },
        },
    }
    issuer = keycloak_issuer(context)
    if issuer is not None:
        app_config["auth"] = {
            "environment": "production",
            "providers": {
                "oidc": {
                    "production": {
                        "metadataUrl": f"{issuer}/.well-known/openid-configuration",
                        "clientId": oidc_client_id(context, "backstage"),
                        "clientSecret": "${AUTH_OIDC_CLIENT_SECRET}",
                    }
                }
            },
        }
    apis = catalog_location_url(context)
    if apis is not None:  # the API catalog rendered beside the manifests
        app_config["catalog"] = {
            "locations": [{"type": "url", "target": apis, "rules": [{"allow": ALLOWED_KINDS}]}]
        }
    return {"backstage": {"appConfig": app_config, "extraEnvVarsSecrets": ["backstage-secrets"]}}


def _teleport(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {
        "clusterName": teleport_cluster_name(context),
        "kubeClusterName": cluster.name,
    }
    annotations = load_balancer_annotations(context, cluster, internal=False)
    if annotations:
        values["annotations"] = {"service": annotations}
    if context.platform.identity.groups or agent_clusters(context):
        # The groups' Teleport roles, the Keycloak connector and the app clusters' join
        # tokens are custom resources the chart's Teleport operator reconciles
        # (render/manifests/teleportaccess.py, teleportagents.py); the roles select
        # Kubernetes clusters by this label of the Kubernetes service, which every
        # cluster's agent carries too.
        values["operator"] = {"enabled": True}
        values["labels"] = {CLUSTER_LABEL: cluster.name}
    return values


def _teleport_kube_agent(context: RenderContext, cluster: ClusterPlan) -> Values:
    """Join mgmt's Teleport with a projected token (policy in :mod:`..teleportjoin`)."""
    token_path = f"{TOKEN_MOUNT}/{TOKEN_FILE}"
    return {
        "proxyAddr": proxy_address(context),
        "kubeClusterName": cluster.name,
        "labels": {CLUSTER_LABEL: cluster.name},
        "joinParams": {"method": "kubernetes", "tokenName": token_name(cluster)},
        # Teleport reads the join token from KUBERNETES_TOKEN_PATH: a token projected for
        # the Teleport cluster's audience, not the pod's default API token.
        "extraEnv": [{"name": "KUBERNETES_TOKEN_PATH", "value": token_path}],
        "extraVolumes": [
            {
                "name": TOKEN_VOLUME,
                "projected": {
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "path": TOKEN_FILE,
                                "audience": teleport_cluster_name(context),
                                "expirationSeconds": TOKEN_LIFETIME,
                            }
                        }
                    ]
                },
            }
        ],
        "extraVolumeMounts": [{"name": TOKEN_VOLUME, "mountPath": TOKEN_MOUNT, "readOnly": True}],
    }


def _harbor(context: RenderContext, cluster: ClusterPlan) -> Values:
    return {"externalURL": f"https://{public_host(context, 'harbor')}"}


BUILDERS: dict[str, ValueBuilder] = {
    "argo-cd": _argo_cd,
    "backstage": _backstage,
    "harbor": _harbor,
    "keycloak": _keycloak,
    "teleport": _teleport,
    "teleport-kube-agent": _teleport_kube_agent,
    "vault": _vault,
}
