"""Two-phase PKI, the Vault secret store and the Keycloak realm, on the rendered tree."""

from __future__ import annotations

import json
from typing import Any

import yaml

from stackyard.spec.units import parse_duration
from tests.render.conftest import Rendered, RenderVariant

ISSUER_FILE = "manifests/{cluster}/vault-issuer/vault-cluster-issuer.yaml"


def wave(rendered: Rendered, component: str) -> int:
    waves = {
        int(application["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for application in rendered.documents(f"apps/applications/{component}.yaml")
    }
    (only,) = waves  # every cluster's Application of a component is in the same wave
    return only


def test_phase_one_exists_wherever_cert_manager_runs(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        for cluster in result.plan.clusters:
            if not cluster.has("cert-manager"):
                continue
            path = f"manifests/{cluster.name}/cert-manager/pki-phase-one.yaml"
            kinds = [(d["kind"], d["metadata"]["name"]) for d in result.documents(path)]
            assert kinds == [
                ("ClusterIssuer", "selfsigned"),
                ("Certificate", "platform-root-ca"),
                ("ClusterIssuer", "platform-ca"),
            ]
            root = result.find(path, "Certificate", "platform-root-ca")
            assert root["spec"]["isCA"] is True
            assert root["spec"]["issuerRef"]["name"] == "selfsigned"


def test_vault_issuer_is_phase_two_on_every_cluster_that_runs_it(
    rendered: dict[str, Rendered],
) -> None:
    result = rendered["local-multicluster"]
    assert wave(result, "vault-issuer") > wave(result, "vault")
    for cluster in result.plan.clusters:
        assert cluster.has("vault-issuer")
        path = ISSUER_FILE.format(cluster=cluster.name)
        issuer = result.find(path, "ClusterIssuer", "vault")["spec"]["vault"]
        assert issuer["path"] == "pki/sign/platform"
        assert issuer["auth"]["kubernetes"]["serviceAccountRef"] == {"name": "vault-issuer"}
        assert issuer["auth"]["kubernetes"]["mountPath"] == f"/v1/auth/kubernetes-{cluster.name}"
        assert "caBundle" not in issuer and issuer["caBundleSecretRef"]["key"] == "ca.crt"
        # cert-manager may request tokens for exactly that ServiceAccount.
        role = result.find(path, "Role", "vault-issuer-token")
        assert role["rules"][0]["resourceNames"] == ["vault-issuer"]


def test_vault_is_reached_in_cluster_at_home_and_through_the_gateway_elsewhere(
    rendered: dict[str, Rendered],
) -> None:
    result = rendered["local-multicluster"]
    servers = {
        c.name: result.find(ISSUER_FILE.format(cluster=c.name), "ClusterIssuer", "vault")["spec"][
            "vault"
        ]["server"]
        for c in result.plan.clusters
    }
    assert servers == {
        "mgmt": "https://vault.vault.svc:8200",
        "app1": "https://vault.platform.local.example",
        "app2": "https://vault.platform.local.example",
    }


def test_vault_tls_comes_from_phase_one_before_vault_starts(rendered: dict[str, Rendered]) -> None:
    result = rendered["local-multicluster"]
    certificate = result.find("manifests/mgmt/vault/vault-tls.yaml", "Certificate", "vault-tls")
    assert certificate["metadata"]["namespace"] == "vault"
    assert certificate["spec"]["issuerRef"]["name"] == "platform-ca"
    assert certificate["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-1"
    assert "vault.vault.svc" in certificate["spec"]["dnsNames"]
    assert not any(p.startswith("manifests/app1/vault/") for p in result.files)


def test_self_signed_platforms_have_no_vault_issuer(rendered: dict[str, Rendered]) -> None:
    result = rendered["community-poc"]
    assert not any("vault" in path for path in result.files)
    assert "manifests/poc/cert-manager/pki-phase-one.yaml" in result.files


def test_secret_store_refresh_bridges_an_hour_of_vault_outage(
    rendered: dict[str, Rendered],
) -> None:
    for name in ("local-multicluster", "aws-standard", "aws-enterprise"):
        result = rendered[name]
        for cluster in result.plan.clusters:
            path = f"manifests/{cluster.name}/external-secrets/cluster-secret-store.yaml"
            store = result.find(path, "ClusterSecretStore", "vault")["spec"]
            assert parse_duration(store["refreshInterval"]) >= 3600
            auth = store["provider"]["vault"]["auth"]["kubernetes"]
            assert auth == {"mountPath": f"kubernetes-{cluster.name}", "role": "external-secrets"}


def test_secret_store_follows_the_spec_refresh_interval(render_variant: RenderVariant) -> None:
    result = render_variant("local-multicluster", "refreshInterval: 1h", "refreshInterval: 2h")
    store = result.find(
        "manifests/app1/external-secrets/cluster-secret-store.yaml", "ClusterSecretStore", "vault"
    )
    assert store["spec"]["refreshInterval"] == "2h"


def realm(result: Rendered) -> dict[str, Any]:
    configmap = result.find(
        "manifests/prod/keycloak/realm-platform.yaml", "ConfigMap", "keycloak-realm-platform"
    )
    return json.loads(configmap["data"]["platform-realm.json"])


def platform_clients(result: Rendered) -> list[dict[str, Any]]:
    """The realm's clients but the applications the spec's identity section adds."""
    identity = result.plan.spec.platform.identity
    extra = {p.entityId for p in identity.samlProviders} | {c.name for c in identity.oidcClients}
    return [c for c in realm(result)["clients"] if c["clientId"] not in extra]


def test_realm_clients_follow_the_plan(rendered: dict[str, Rendered]) -> None:
    standard = {c["clientId"] for c in platform_clients(rendered["aws-standard"])}
    enterprise = {c["clientId"] for c in platform_clients(rendered["aws-enterprise"])}
    assert standard == {"argocd", "grafana", "harbor"}
    # Kiali (the mesh's console) logs in through Keycloak; each API consumer is a client.
    consumers = {c.name for api in rendered["aws-enterprise"].plan.spec.platform.apis
                 for c in api.consumers}  # fmt: skip
    assert consumers == {"mobile-app", "partner-portal"}
    assert (
        enterprise == {"argocd", "backstage", "grafana", "harbor", "teleport", "kiali"} | consumers
    )


def test_realm_clients_are_confidential_without_secrets(rendered: dict[str, Rendered]) -> None:
    document = realm(rendered["aws-enterprise"])
    assert document["realm"] == "platform"
    machines = set()
    for client in platform_clients(rendered["aws-enterprise"]):
        assert client["publicClient"] is False
        assert "secret" not in client
        if client["serviceAccountsEnabled"]:  # an API consumer: tokens for itself, no login
            assert client["standardFlowEnabled"] is False and "redirectUris" not in client
            machines.add(client["clientId"])
            continue
        root = f"https://{client['clientId']}.platform.example.com"
        assert client["redirectUris"]
        assert all(uri.startswith(root + "/") for uri in client["redirectUris"])
    assert machines == {"mobile-app", "partner-portal"}


def test_no_realm_where_keycloak_does_not_run(rendered: dict[str, Rendered]) -> None:
    for name in ("local-multicluster", "community-poc"):
        assert not any("/keycloak/" in path for path in rendered[name].files)


def test_manifests_hold_no_secret_objects(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        for path, document in result.objects():
            assert document["kind"] != "Secret", path
            text = yaml.safe_dump(document)
            assert "BEGIN CERTIFICATE" not in text and "PRIVATE KEY" not in text, path
