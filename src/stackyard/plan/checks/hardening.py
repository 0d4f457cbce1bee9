"""Checks on the ``hardening`` section: where audit logs go, key rotation, CIS exemptions.

Each finds a hardening setting that looks done in the spec but fails in practice: an
audit log nobody collects, an encryption key that is never rotated (or rotated by a
provider that does not exist here), and a CIS profile whose restricted Pod Security
default would stop the platform's own privileged agents unless they are exempted.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import ClusterPlan
from stackyard.spec.units import parse_duration

LOG_AGENT = "log-agent"
LOG_STORE = "logs"
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
            hint="use provider vault-kms (the platform's Vault) or builtin",
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
