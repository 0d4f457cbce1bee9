"""Secrets management: a secret store, delivery to pods, workload auth, dynamic and HA.

Vault is read from its Helm values: ``injector.enabled`` (on by chart default),
``server.ha.enabled`` + ``server.ha.raft.enabled`` against ``server.standalone``,
and the ``seal "..."`` stanza inside the server's HCL config string, cited at its
own line. Terraform tells whether Kubernetes auth and the database secrets engine
are configured; External Secrets and the Vault Secrets Operator count as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    file_evidence,
    in_terms,
    line_in_string,
    missing,
    truthy,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.model import Evidence

_SEAL = re.compile(r'^\s*seal\s+"(awskms|gcpckms|azurekeyvault|transit|ocikms|alicloudkms|pkcs11)"')
_STORAGE = re.compile(r'^\s*storage\s+"(\w+)"')
_DYNAMIC_DB_TEXT = re.compile(r"vault\s+secrets\s+enable\s+.*database|database/config/")
CONFIG_PATHS = (
    ("server", "ha", "raft", "config"),
    ("server", "ha", "config"),
    ("server", "standalone", "config"),
)
DYNAMIC_DB_RESOURCES = (
    "vault_database_secret_backend_connection",
    "vault_database_secret_backend_role",
    "vault_database_secrets_mount",
)


def _secrets_manager(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index,
        charts=("vault", "external-secrets", "sealed-secrets", "secrets-store-csi-driver"),
        groups=("external-secrets.io", "secrets.hashicorp.com", "secrets-store.csi.x-k8s.io"),
        kinds=("SealedSecret",),
    )
    found += [
        file_evidence(p, "SOPS configuration") for p in index.marker_files.get(".sops.yaml", [])
    ]
    return achieved(found, "a secret store is deployed") if found else missing(looks_for)


def _injection(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found: list[Evidence] = []
    disabled: list[Evidence] = []
    for stack in index.values("vault"):
        hit = stack.get("injector", "enabled")
        if hit is None:
            found.append(stack.evidence)  # the chart enables the injector by default
        elif truthy(hit.value) or hit.value == "-":
            found.append(hit.evidence)
        else:
            disabled.append(hit.evidence)
    delivered = index.of_kind(
        "ExternalSecret",
        "ClusterExternalSecret",
        "SecretProviderClass",
        "VaultStaticSecret",
        "VaultDynamicSecret",
    )
    found += [o.evidence(text=f"{o.kind} {o.name}") for o in delivered]
    if found:
        return achieved(found, "secrets are delivered to pods by Vault Agent Injector / operators")
    return missing(looks_for, gaps=disabled)


def _auto_unseal(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        aws='a seal "awskms" stanza in the Vault server config',
        gcp='a seal "gcpckms" stanza in the Vault server config',
        azure='a seal "azurekeyvault" stanza in the Vault server config',
        onprem='a seal "transit" (or "pkcs11") stanza in the Vault server config',
    )
    found = []
    for stack in index.values("vault"):
        for layer in stack.layers:
            for path in CONFIG_PATHS:
                hit = line_in_string(layer, path, _SEAL)
                if hit is not None:
                    found.append(hit)
    if found:
        return achieved(found, "Vault unseals itself through a KMS / transit seal")
    if not index.values("vault") and _cloud_store(index):
        return achieved(_cloud_store(index), "a managed cloud secret store: nothing to unseal")
    return missing(looks_for)


def _workload_identity(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        b.evidence()
        for b in index.resources("vault_auth_backend")
        if b.attributes.get("type") in ("kubernetes", "jwt")
    ]
    found += [
        b.evidence()
        for b in index.resources("vault_kubernetes_auth_backend_config", "vault_jwt_auth_backend")
    ]
    for store in index.of_kind("SecretStore", "ClusterSecretStore"):
        provider = store.get("spec", "provider")
        if isinstance(provider, Mapping) and any(
            isinstance(p, Mapping)
            and isinstance(p.get("auth"), Mapping)
            and (
                {"kubernetes", "jwt", "serviceAccount"} & set(p["auth"]) or "jwt" in str(p["auth"])
            )
            for p in provider.values()
        ):
            found.append(store.evidence("spec", "provider"))
    found += [o.evidence() for o in index.of_kind("VaultAuth") if o.get("spec", "kubernetes")]
    if found:
        return achieved(
            found, "workloads authenticate with their service account (no static tokens)"
        )
    return missing(looks_for)


def _dynamic_db(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [b.evidence() for b in index.resources(*DYNAMIC_DB_RESOURCES)]
    found += [
        b.evidence()
        for b in index.resources("vault_mount")
        if b.attributes.get("type") == "database"
    ]
    found += [
        o.evidence()
        for o in index.of_kind("VaultDynamicSecret")
        if "database" in str(o.get("spec", "mount")) or "creds" in str(o.get("spec", "path"))
    ]
    found += index.text_hits(_DYNAMIC_DB_TEXT, ("ci", "script", "user-data"))
    if found:
        return achieved(found, "database credentials are issued on demand by Vault")
    return missing(looks_for)


def _vault_ha(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    stacks = index.values("vault")
    if not stacks:
        return missing(looks_for, "no Vault found")
    ha, single = [], []
    for stack in stacks:
        enabled = stack.get("server", "ha", "enabled")
        if enabled is not None and truthy(enabled.value):
            raft = stack.get("server", "ha", "raft", "enabled")
            ha.append(enabled.evidence)
            if raft is not None and truthy(raft.value):
                ha.append(raft.evidence)
            continue
        standalone = stack.get("server", "standalone", "enabled")
        single.append(standalone.evidence if standalone is not None else stack.evidence)
        for layer in stack.layers:
            storage = line_in_string(layer, ("server", "standalone", "config"), _STORAGE)
            if storage is not None:
                single.append(storage)
    if ha:
        return achieved(ha, "Vault runs highly available (server.ha, Raft storage)")
    return missing(looks_for, "Vault runs standalone (one pod, file storage)", gaps=single)


def _cloud_store(index: RepositoryIndex) -> list[Evidence]:
    found = []
    for store in index.of_kind("SecretStore", "ClusterSecretStore"):
        provider = store.get("spec", "provider")
        if isinstance(provider, Mapping) and {"aws", "gcpsm", "azurekv"} & set(provider):
            found.append(store.evidence("spec", "provider"))
    return found


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "secrets-manager",
        "Vault, External Secrets, Sealed Secrets, Secrets Store CSI or a .sops.yaml",
        _secrets_manager,
    ),
    FunctionDetector(
        "secret-injection",
        "Vault injector enabled, ExternalSecret, SecretProviderClass or VSO secret objects",
        _injection,
    ),
    FunctionDetector(
        "vault-auto-unseal",
        'a seal "awskms|gcpckms|azurekeyvault|transit" stanza in the Vault server config',
        _auto_unseal,
    ),
    FunctionDetector(
        "workload-identity",
        "Vault Kubernetes/JWT auth (Terraform), SecretStores with service-account auth, VaultAuth",
        _workload_identity,
    ),
    FunctionDetector(
        "dynamic-db-secrets",
        "Vault database secrets engine (vault_database_secret_backend_*, VaultDynamicSecret)",
        _dynamic_db,
    ),
    FunctionDetector(
        "vault-ha",
        "Vault values server.ha.enabled with server.ha.raft.enabled",
        _vault_ha,
    ),
)
