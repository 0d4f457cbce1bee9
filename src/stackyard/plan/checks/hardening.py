"""Checks on the ``hardening`` section: audit logs, key rotation, CIS exemptions, KMS.

Each finds a hardening setting that looks done in the spec but fails in practice: an
audit log nobody collects, an encryption key that is never rotated (or rotated by a
provider that does not exist here), a CIS profile whose restricted Pod Security
default would stop the platform's own privileged agents unless they are exempted, and a
KMS that the cluster it protects must itself be running to start.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import ClusterPlan
from stackyard.spec.units import parse_duration

LOG_AGENT = "log-agent"
LOG_STORE = "logs"
VAULT = "vault"
"""The component whose Transit engine ``vault-kms`` calls (not any ``secrets`` provider)."""
AWS_KMS_MIN_ROTATION = 90 * 24 * 3600
"""AWS KMS rotates a customer managed key every 90 to 2560 days, never more often."""


def privileged_namespaces(cluster: ClusterPlan) -> dict[str, list[str]]:
    """Namespaces whose components the catalog marks ``podSecurity: privileged``.

    These run host-level agents (CNI, storage, node exporters, log agents, runtime
    security), which the restricted Pod Security Standard refuses; keyed by namespace,
    the component names sorted.
    """
    found: dict[str, set[str]] = {}
    for planned in cluster.components:
        if planned.component.podSecurity == "privileged":
            found.setdefault(planned.component.namespace, set()).add(planned.name)
    return {namespace: sorted(names) for namespace, names in sorted(found.items())}


def _provides(cluster: ClusterPlan, capability: str) -> bool:
    return any(capability in p.component.provides for p in cluster.components)


@check("SY951", "Audit log with no log store", "error")
def audit_logs_have_a_store(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Audit log with no log store.

    With ``hardening`` the API servers write an audit log on the control-plane nodes,
    and the log agent ships it to Loki. Without Loki anywhere on the platform, or
    without a log agent on a cluster, the log stays on the nodes, is rotated away after
    ``audit.maxAge`` days and is lost with the node: nobody can answer who did what.
    """
    platform = context.platform
    hardening = platform.hardening
    if hardening is None or hardening.audit.level == "None":
        return
    path = ("hardening", "audit")
    if not any(_provides(plan, LOG_STORE) for plan in context.clusters):
        yield emit(
            "the API servers write an audit log, but no cluster runs a log store (Loki), "
            "so the log never leaves the control-plane nodes",
            path,
            hint="turn Loki on (observability) or set hardening.audit.level: None",
        )
        return
    for plan in context.clusters:
        if not _provides(plan, LOG_AGENT):
            yield emit(
                f"cluster {plan.name} runs no log agent, so its API server audit log is "
                "never shipped to Loki",
                path,
                hint="run a log agent (observability.logAgent) on every cluster",
                cluster=plan.name,
            )


@check("SY952", "Encryption at rest without a key rotation path", "warning")
def encryption_key_rotation(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Encryption at rest without a key rotation path.

    A key that is never rotated protects every Secret ever written with one key for the
    cluster's whole life (CIS 1.2.28 asks for appropriately configured providers; NIST
    SP 800-57 for a cryptoperiod). ``keyRotation`` declares the cadence: RKE2 rotates
    its built-in key with ``rke2 secrets-encrypt rotate-keys``, Vault's Transit engine
    with ``auto_rotate_period`` and AWS KMS with automatic key rotation (90 days at the
    shortest). ``aws-kms`` needs AWS: off AWS the provider has no KMS to call.
    """
    platform = context.platform
    hardening = platform.hardening
    if hardening is None:
        return
    encryption = hardening.encryptionAtRest
    path = ("hardening", "encryptionAtRest")
    if encryption.provider == "aws-kms" and platform.provider != "aws":
        yield emit(
            f"encryption at rest uses AWS KMS, but the platform runs on {platform.provider}: "
            "the KMS plugin has no AWS credentials or endpoint there",
            (*path, "provider"),
            hint="use provider builtin, or vault-kms with a vaultAddress",
            severity="error",
        )
    if encryption.keyRotation is None:
        yield emit(
            f"encryption at rest ({encryption.provider}) declares no keyRotation: the key "
            "is never rotated",
            path,
            hint="add keyRotation: 90d",
        )
    elif (
        encryption.provider == "aws-kms"
        and parse_duration(encryption.keyRotation) < AWS_KMS_MIN_ROTATION
    ):
        yield emit(
            f"keyRotation {encryption.keyRotation} is shorter than AWS KMS can rotate "
            "a key automatically (every 90 days at the shortest)",
            (*path, "keyRotation"),
            hint="set keyRotation: 90d or longer",
        )


@check("SY953", "CIS profile with components that need Pod Security exemptions", "info")
def cis_exemptions(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """CIS profile with components that need Pod Security exemptions.

    RKE2's CIS profile enforces the restricted Pod Security Standard on every namespace
    by default (https://docs.rke2.io/security/pod_security_standards). The platform's
    host-level agents (the catalog marks them ``podSecurity: privileged``: CNI,
    storage, node exporters, log agents, runtime security) cannot run restricted.
    Render exempts their namespaces in the Pod Security admission configuration; this
    finding lists them so the exemption is a reviewed decision, not a silent one.
    kubeadm has no such default (its namespaces keep their own Pod Security labels).
    """
    platform = context.platform
    if not platform.cis or platform.kubernetes.distribution != "rke2":
        return
    for plan in context.clusters:
        namespaces = privileged_namespaces(plan)
        if not namespaces:
            continue
        listed = "; ".join(f"{ns} ({', '.join(names)})" for ns, names in namespaces.items())
        yield emit(
            f"cluster {plan.name}: the CIS profile enforces restricted Pod Security, and these "
            f"namespaces are exempted for privileged components: {listed}",
            ("hardening", "cis"),
            hint="review the exemptions; turn a component off to drop its namespace",
            cluster=plan.name,
        )


@check("SY954", "Vault KMS on the cluster that runs its Vault", "error")
def vault_kms_outside_its_cluster(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Vault KMS on the cluster that runs its Vault.

    With ``vault-kms`` the API server asks a plugin to unwrap every Secret's key with
    Vault's Transit engine, and does not start until the plugin answers. On a cluster that
    runs that Vault itself, a full outage (power, a restore from an etcd snapshot) never
    ends: the API server waits for the plugin, the plugin for Vault, and Vault, a Pod,
    for the API server. The platform's Vault runs on the management (or standalone)
    cluster, so it can serve the application clusters' plugins, never its own cluster's;
    and ``encryptionAtRest`` covers every cluster. ``vaultAddress`` names a Vault outside
    the platform; without it, and without the platform's Vault, the plugin has nothing
    to call at all.
    """
    platform = context.platform
    hardening = platform.hardening
    if hardening is None or hardening.encryptionAtRest.provider != "vault-kms":
        return
    address = hardening.encryptionAtRest.vaultAddress
    hosts = [plan.name for plan in context.clusters if plan.has(VAULT)]
    path = ("hardening", "encryptionAtRest")
    own = f"{VAULT}.{platform.domain}"  # the public name render gives the platform's Vault
    if address is not None and urlsplit(address).hostname != own:
        return
    if not hosts:
        yield emit(
            "encryption at rest uses Vault KMS, but no cluster runs Vault and no "
            "vaultAddress names one: the KMS plugin has no Vault to call, and the API "
            "servers wait for it",
            (*path, "provider"),
            hint="set hardening.encryptionAtRest.vaultAddress to your Vault, or use "
            "provider builtin",
        )
        return
    field = (*path, "vaultAddress") if address is not None else (*path, "provider")
    others = [plan.name for plan in context.clusters if plan.name not in hosts]
    alternatives = "builtin or aws-kms" if platform.provider == "aws" else "builtin"
    for name in hosts:
        reach = (
            f" ({', '.join(others)} could use the Vault on {name}, but the setting "
            f"covers {name} too)"
            if others
            else ""
        )
        yield emit(
            f"cluster {name} runs the Vault its own KMS plugin would use: after a full "
            "outage its API server waits for the plugin, the plugin for Vault, and Vault "
            "for the API server, so the cluster never starts again",
            field,
            hint="set hardening.encryptionAtRest.vaultAddress to a Vault outside the "
            f"platform{reach}, or use provider {alternatives}",
            cluster=name,
        )
