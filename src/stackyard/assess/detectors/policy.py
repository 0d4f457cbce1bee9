"""Policy as code: Pod Security admission, default-deny networking, a policy engine, enforcement.

Default deny is recognised in its three spellings: a NetworkPolicy selecting every
pod with ``policyTypes: [Ingress]`` and no ingress rule; a Cilium policy selecting
every endpoint with empty ingress rules (``ingress: [{}]``) or ``ingressDeny``; and
Cilium's ``enableDefaultDeny``. Pod Security is enforced per namespace
(``pod-security.kubernetes.io/enforce``) or cluster-wide (RKE2 ``profile: cis``, an
admission configuration file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    first_set,
    missing,
    partial,
    uncounted_evidence,
    unit,
    units_phrase,
)
from stackyard.assess.inputs import KubeObject, RepositoryIndex
from stackyard.assess.inputs.machineconfig import DELETED
from stackyard.assess.model import Evidence, noted

ENFORCE = "pod-security.kubernetes.io/enforce"
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "default"})
KYVERNO_KINDS = (
    "ClusterPolicy",
    "Policy",
    "ValidatingPolicy",
    "ImageValidatingPolicy",
    "MutatingPolicy",
)
_POLICY_CI = re.compile(
    r"\b(kyverno\s+(apply|test)|conftest|kubeconform|kubeval|checkov|kube-score|polaris|datree"
    r"|stackyard\s+(validate|assess)|opa\s+test|trivy\s+config|kube-linter)\b"
)


def _talos_pod_security(index: RepositoryIndex) -> list[Evidence]:
    """Where a Talos cluster enforces Pod Security cluster-wide (none when it does not).

    Talos configures the PodSecurity admission plugin with ``enforce: baseline`` unless
    its machine configuration changes it
    (https://www.talos.dev/v1.9/kubernetes-guides/configuration/pod-security/), or a
    patch deletes it (``$patch: delete``, read as the value ``deleted``).
    """
    if "talos" not in index.distributions():
        return []
    levels = index.settings("pod-security-enforce")
    if levels:
        return [s.evidence for s in levels if s.value in ("baseline", "restricted")]
    signs = [s.evidence for s in index.distribution_signs if s.distribution == "talos"]
    # a machine configuration shows the cluster is Talos better than a talosctl line
    signs.sort(key=lambda e: "configuration" not in e.text)
    return [
        Evidence(
            e.file,
            e.line,
            e.end_line,
            noted(e.quote, "Talos default: PodSecurity enforce baseline"),
        )
        for e in signs[:1]
    ]


def _psa(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    cluster = [
        s.evidence
        for s in index.settings(
            "profile", "pod-security-admission-config-file", "admission-control-config-file"
        )
    ]
    cluster += _talos_pod_security(index)
    cluster += [
        o.evidence(text="AdmissionConfiguration PodSecurity")
        for o in index.of_kind("AdmissionConfiguration")
        if "PodSecurity" in str(o.get("plugins"))
    ]
    if cluster:
        return achieved(cluster, "Pod Security Standards enforced cluster-wide")
    namespaces = [n for n in index.of_kind("Namespace") if n.name not in SYSTEM_NAMESPACES]
    enforced = [n for n in namespaces if ENFORCE in n.labels()]
    audited = [
        n
        for n in namespaces
        if n not in enforced
        and any(k.startswith("pod-security.kubernetes.io/") for k in n.labels())
    ]
    evidence = [n.evidence("metadata", "labels", ENFORCE) for n in enforced]
    evidence += [n.evidence("metadata", "labels") for n in audited]
    units = [
        unit(
            n.name,
            n in enforced,
            n.evidence("metadata", "labels", ENFORCE)
            if n in enforced
            else n.evidence(text=f"Namespace {n.name}"),
        )
        for n in namespaces
    ]
    gaps = uncounted_evidence(units)
    # A Talos patch that deletes the default PodSecurity plugin proves its absence.
    removed = [s.evidence for s in index.settings("pod-security-enforce") if s.value == DELETED]
    gaps = removed + gaps
    unset = "no cluster-wide config" if not removed else "Talos' PodSecurity defaults deleted"
    if enforced and len(enforced) == len(namespaces):
        return achieved(
            evidence, f"Pod Security enforced on {units_phrase(units, 'namespaces')}", units=units
        )
    if enforced or audited:
        return partial(
            evidence,
            f"Pod Security enforced on {units_phrase(units, 'namespaces')}"
            + (f", audit/warn only on {len(audited)}" if audited else ""),
            looks_for,
            gaps=gaps,
            units=units,
        )
    return missing(
        looks_for,
        f"no enforce label on {len(namespaces)} Namespace objects and {unset}",
        gaps=gaps,
        units=units,
    )


def default_deny(index: RepositoryIndex) -> dict[str, Evidence]:
    """Namespaces (or ``*`` for cluster-wide) with a default-deny ingress policy."""
    found: dict[str, Evidence] = {}
    for policy in index.of_kind("NetworkPolicy"):
        spec = policy.get("spec") or {}
        types = spec.get("policyTypes") or ["Ingress"]
        if _selects_all(spec.get("podSelector")) and "Ingress" in types and not spec.get("ingress"):
            found.setdefault(
                policy.namespace or "default", policy.evidence(text=f"NetworkPolicy {policy.name}")
            )
    for policy in index.of_kind("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
        spec = policy.get("spec") or {}
        if _cilium_default_deny(spec):
            scope = policy.namespace if policy.kind == "CiliumNetworkPolicy" else "*"
            found.setdefault(
                scope or "default", policy.evidence(text=f"{policy.kind} {policy.name}")
            )
    return found


def _default_deny(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = default_deny(index)
    if not found:
        return missing(looks_for)
    namespaces = {n.name for n in index.of_kind("Namespace")} - SYSTEM_NAMESPACES
    covered = set(found)
    detail = f"default deny in {len(covered - {'*'})} namespaces" + (
        " and cluster-wide" if "*" in covered else ""
    )
    if "*" in covered or not namespaces or namespaces <= covered:
        return achieved(found.values(), detail)
    bare = {n.name: n for n in index.of_kind("Namespace") if n.name in namespaces - covered}
    gaps = [n.evidence(text=f"Namespace {name}") for name, n in sorted(bare.items())]
    return partial(
        found.values(),
        f"{detail}; {len(namespaces - covered)} namespaces without",
        looks_for,
        gaps=gaps,
    )


def _engine(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    engines = component(index, charts=("kyverno", "gatekeeper", "kubewarden-controller"))
    policies = _policies(index)
    policies += index.chart_uses("kyverno-policies")
    if policies:
        return achieved(engines + policies, f"{len(policies)} policies as code")
    if engines:
        return partial(engines, "a policy engine without policies", looks_for)
    return missing(looks_for)


def _enforcement(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    enforced: list[Evidence] = []
    audited: list[Evidence] = []
    for policy in index.of_kind(*KYVERNO_KINDS):
        (enforced if _enforces(policy) else audited).append(
            policy.evidence(text=f"{policy.kind} {policy.name}")
        )
    for constraint in index.in_group("constraints.gatekeeper.sh"):
        action = str(constraint.get("spec", "enforcementAction") or "deny").lower()
        (enforced if action == "deny" else audited).append(constraint.evidence())
    for binding in index.of_kind("ValidatingAdmissionPolicyBinding"):
        actions = [str(a) for a in binding.get("spec", "validationActions") or []]
        (enforced if "Deny" in actions else audited).append(binding.evidence())
    for hit in first_set(index.values("kyverno-policies"), ("validationFailureAction",)):
        (enforced if str(hit.value).lower() == "enforce" else audited).append(hit.evidence)
    if enforced:
        return achieved(enforced, f"{len(enforced)} policies enforce (deny on violation)")
    if audited:
        return partial(audited, "policies only audit", looks_for)
    return missing(looks_for)


def _policy_ci(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = index.text_hits(_POLICY_CI)
    return (
        achieved(found, "manifests are checked against policy in CI")
        if found
        else missing(looks_for)
    )


def _policies(index: RepositoryIndex) -> list[Evidence]:
    objects = index.of_kind(*KYVERNO_KINDS) + index.of_kind(
        "ConstraintTemplate", "ValidatingAdmissionPolicy"
    )
    objects += index.in_group("constraints.gatekeeper.sh")
    return [o.evidence(text=f"{o.kind} {o.name}") for o in objects]


def _enforces(policy: KubeObject) -> bool:
    spec = policy.get("spec") or {}
    if str(spec.get("validationFailureAction", "")).lower() == "enforce":
        return True
    if "Deny" in [str(a) for a in spec.get("validationActions") or []]:
        return True
    rules = spec.get("rules") or []
    return any(
        isinstance(r, Mapping)
        and str((r.get("validate") or {}).get("failureAction", "")).lower() == "enforce"
        for r in rules
    )


def _selects_all(selector: Any) -> bool:
    return (
        selector is None
        or selector == {}
        or (
            isinstance(selector, Mapping)
            and not selector.get("matchLabels")
            and not selector.get("matchExpressions")
        )
    )


def _cilium_default_deny(spec: Mapping[str, Any]) -> bool:
    if not _selects_all(spec.get("endpointSelector")) or "nodeSelector" in spec:
        return False
    if isinstance(spec.get("enableDefaultDeny"), Mapping) and spec["enableDefaultDeny"].get(
        "ingress"
    ):
        return True
    ingress = spec.get("ingress")
    if spec.get("ingressDeny"):
        return True
    return isinstance(ingress, list) and bool(ingress) and all(rule == {} for rule in ingress)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "pod-security-admission",
        "pod-security.kubernetes.io/enforce on Namespaces, a CIS profile or a PSA config",
        _psa,
    ),
    FunctionDetector(
        "default-deny",
        "NetworkPolicy/CiliumNetworkPolicy selecting all pods with no ingress rule",
        _default_deny,
    ),
    FunctionDetector(
        "policy-engine",
        "Kyverno/Gatekeeper/Kubewarden with policies (ClusterPolicy, ValidatingPolicy...)",
        _engine,
    ),
    FunctionDetector(
        "policy-enforcement",
        "policies in Enforce/deny mode (validationFailureAction, validationActions...)",
        _enforcement,
    ),
    FunctionDetector(
        "policy-in-ci",
        "kyverno/conftest/kubeconform/checkov/kube-score/stackyard in CI pipelines",
        _policy_ci,
    ),
)
