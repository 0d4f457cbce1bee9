"""Cluster hardening: the API audit log, Secrets encrypted at rest, the CIS benchmark.

These are settings of the control plane, read from the node bootstrap wherever it is
written (RKE2/K3s config keys and ``kube-apiserver-arg`` items, kubeadm
``ClusterConfiguration`` ``apiServer.extraArgs``, Talos machine configuration) and from
the files those settings point at (``EncryptionConfiguration``):

- **Audit log** (CIS 1.2.16, 3.2.1): the API server records requests only with an audit
  policy (``audit-policy-file``) *and* a backend: ``audit-log-path`` or
  ``audit-webhook-config-file`` — "not specifying this flag disables log backend"
  (https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend). RKE2 always
  passes a log path (``/var/lib/rancher/rke2/server/logs/audit.log``), so on RKE2 the
  policy file is enough; its built-in default policy records nothing (``level: None``),
  so a cluster without one is not audited.
- **Encryption at rest** (CIS 1.2.27/1.2.28): Secrets are encrypted with the *first*
  provider of the ``EncryptionConfiguration`` entry that covers them
  (https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/): ``aescbc``,
  ``aesgcm``, ``secretbox`` or ``kms`` encrypt, ``identity`` first writes plain text.
  RKE2 encrypts Secrets by default with a generated AES-CBC key
  (https://docs.rke2.io/security/secrets_encryption), unless its config says
  ``secrets-encryption: false`` without an ``encryption-provider-config`` of its own; K3s
  only with ``secrets-encryption: true`` (https://docs.k3s.io/security/secrets-encryption).
- **KMS**: a ``kms`` provider first keeps the key-encryption key outside the cluster
  (Vault Transit, a cloud KMS through a KMS v2 plugin).
- **CIS profile**: RKE2 ``profile: cis`` (``cis-1.23`` and older names included) applies
  the benchmark's control-plane and kubelet settings
  (https://docs.rke2.io/security/hardening_guide). kubeadm has no profile: the API
  server's ``profiling: false`` (1.2.15) and a ``KubeletConfiguration`` with
  ``protectKernelDefaults: true`` (4.2.6) stand for the settings a generator writes.
- **Benchmark run**: kube-bench (``aquasec/kube-bench``) as a Job or CronJob, or Trivy
  Operator compliance reports of a ``k8s-cis`` spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    in_terms,
    missing,
    partial,
)
from stackyard.assess.inputs import KubeObject, RepositoryIndex
from stackyard.assess.model import Evidence, noted

ENCRYPTING = ("aescbc", "aesgcm", "secretbox", "kms")
KUBE_BENCH = "aquasec/kube-bench"
_CIS_SPEC = re.compile(r"\bk8s-cis\b")
OFF = ("false", "no", "off", "0")


def _default_sign(index: RepositoryIndex, distribution: str, note: str) -> list[Evidence]:
    """The first sign that the repository runs ``distribution``, with ``note`` on it."""
    signs = [s.evidence for s in index.distribution_signs if s.distribution == distribution]
    signs.sort(key=lambda e: "config" not in e.file)
    return [Evidence(e.file, e.line, e.end_line, noted(e.quote, note)) for e in signs[:1]]


def _audit(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        rke2="audit-policy-file in the RKE2 config",
        kubeadm="audit-policy-file and audit-log-path in apiServer.extraArgs of the "
        "kubeadm ClusterConfiguration",
    )
    policies = [s.evidence for s in index.settings("audit-policy")]
    backends = [s.evidence for s in index.settings("audit-log-path", "audit-webhook")]
    distributions = index.distributions()
    if policies and (backends or "rke2" in distributions or "talos" in distributions):
        return achieved(policies + backends, "the API server writes an audit log")
    if policies:
        return partial(
            policies,
            "an audit policy without a log backend (audit-log-path or "
            "audit-webhook-config-file): the API server records nothing",
            looks_for,
        )
    if "talos" in distributions:
        talos = _default_sign(index, "talos", "Talos default: audit policy at Metadata level")
        if talos:
            return achieved(talos, "the API server writes an audit log (Talos default)")
    if backends:
        return partial(backends, "an audit log path without an audit policy", looks_for)
    return missing(looks_for)


def _secrets_at_rest(index: RepositoryIndex) -> tuple[list[Evidence], list[Evidence]]:
    """(what encrypts Secrets at rest, what leaves them in plain text).

    The ``EncryptionConfiguration`` files decide where the repository holds them; a flag
    that points at a file the repository does not hold is taken at its word. A
    ``secrets-encryption: false`` beside an ``encryption-provider-config`` of the same
    file (RKE2 handing encryption to a KMS) turns off only RKE2's own key.
    """
    encrypted: list[Evidence] = []
    plain: list[Evidence] = []
    for config in index.of_kind("EncryptionConfiguration"):
        for i, name in _first_providers(config):
            if name in ENCRYPTING:
                encrypted.append(config.evidence("resources", i, "providers", 0, text=f"{name}:"))
            else:
                plain.append(
                    config.evidence(
                        "resources",
                        i,
                        "providers",
                        0,
                        text=noted(f"{name}:", "Secrets written in plain text"),
                    )
                )
    settings = index.settings("secrets-encryption")
    on = [s for s in settings if s.value.lower() not in OFF]
    files_on = {s.evidence.file for s in on}
    if on and (encrypted or not plain):
        encrypted += [s.evidence for s in on]
    plain += [
        s.evidence for s in settings if s.value.lower() in OFF and s.evidence.file not in files_on
    ]
    if not settings and not encrypted and not plain and "rke2" in index.distributions():
        encrypted += _default_sign(index, "rke2", "RKE2 default: Secrets encrypted (aescbc)")
    return encrypted, plain


def _first_providers(config: KubeObject) -> list[tuple[int, str]]:
    """(index, name of the first provider) of each entry of ``config`` covering Secrets."""
    found = []
    for i, entry in enumerate(config.get("resources") or []):
        if not isinstance(entry, Mapping) or not _covers_secrets(entry.get("resources")):
            continue
        providers = entry.get("providers") or []
        if providers and isinstance(providers[0], Mapping) and providers[0]:
            found.append((i, str(next(iter(providers[0])))))
    return found


def _covers_secrets(resources: object) -> bool:
    names = [str(r) for r in resources] if isinstance(resources, list) else []
    return any(r in ("secrets", "*.*", "*.") for r in names)


def _encryption(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        rke2="RKE2 secrets-encryption (on by default) or an encryption-provider-config",
        kubeadm="an EncryptionConfiguration (aescbc, aesgcm, secretbox or kms first) passed "
        "with encryption-provider-config in the kubeadm ClusterConfiguration",
        k3s="secrets-encryption: true in the K3s config",
        talos="cluster.secretboxEncryptionSecret in the Talos machine configuration",
    )
    encrypted, plain = _secrets_at_rest(index)
    if encrypted and not plain:
        return achieved(encrypted, "Secrets are encrypted at rest in etcd")
    if encrypted:
        return partial(
            encrypted, "Secrets encrypted on some clusters, plain on others", looks_for, gaps=plain
        )
    return missing(looks_for, gaps=plain)


def _kms(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found: list[Evidence] = []
    local: list[Evidence] = []
    for config in index.of_kind("EncryptionConfiguration"):
        for i, name in _first_providers(config):
            where = config.evidence("resources", i, "providers", 0, text=f"{name}:")
            (found if name == "kms" else local).append(where)
    if found and not local:
        return achieved(found, "a KMS outside the cluster holds the key-encryption key")
    if found:
        return partial(found, "a KMS on some clusters only", looks_for, gaps=local)
    encrypted, _ = _secrets_at_rest(index)
    return missing(
        looks_for,
        "Secrets encrypted with a key kept on the control-plane nodes" if encrypted else "",
        gaps=local or encrypted,
    )


def _cis_profile(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        rke2="profile: cis in the RKE2 config of servers and agents",
        kubeadm="the CIS settings in the kubeadm ClusterConfiguration (apiServer profiling: "
        "false ...) and a KubeletConfiguration with protectKernelDefaults: true",
    )
    profiles = [s.evidence for s in index.settings("profile") if s.value.startswith("cis")]
    if profiles:
        return achieved(profiles, "nodes run the distribution's CIS profile")
    profiling = [
        s.evidence for s in index.settings("apiserver-profiling") if s.value.lower() in OFF
    ]
    kubelets = [
        k.evidence("protectKernelDefaults")
        for k in index.of_kind("KubeletConfiguration")
        if k.get("protectKernelDefaults") is True
    ]
    if profiling and kubelets:
        return achieved(profiling + kubelets, "CIS settings on the API server and kubelets")
    if profiling or kubelets:
        return partial(
            profiling + kubelets,
            "CIS settings on the " + ("API server only" if profiling else "kubelets only"),
            looks_for,
        )
    return missing(looks_for)


def _benchmark(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        c.image_evidence for w in index.workloads for c in w.containers if KUBE_BENCH in c.image
    ]
    for stack in index.values("trivy-operator"):
        specs = stack.get("compliance", "specs")
        if specs is not None and _CIS_SPEC.search(str(specs.value)):
            found.append(specs.evidence)
    found += [
        _report(o) for o in index.of_kind("ClusterComplianceReport") if _CIS_SPEC.search(o.name)
    ]
    if found:
        return achieved(found, "the CIS benchmark is checked on the clusters")
    return missing(looks_for)


def _report(obj: KubeObject) -> Evidence:
    return obj.evidence(text=f"{obj.kind} {obj.name}")


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "api-audit-log",
        "an audit policy (audit-policy-file) and an audit log path or webhook on the API server",
        _audit,
    ),
    FunctionDetector(
        "secrets-encryption-at-rest",
        "an EncryptionConfiguration whose first provider for secrets encrypts, or the "
        "distribution's own secrets encryption",
        _encryption,
    ),
    FunctionDetector(
        "encryption-kms",
        "an EncryptionConfiguration with a kms provider first for secrets",
        _kms,
    ),
    FunctionDetector(
        "cis-profile",
        "the distribution's CIS profile, or the benchmark's API server and kubelet settings "
        "(profiling: false, protectKernelDefaults: true)",
        _cis_profile,
    ),
    FunctionDetector(
        "cis-benchmark-scan",
        "kube-bench Jobs/CronJobs or Trivy Operator k8s-cis compliance reports",
        _benchmark,
    ),
)
