"""Multi-tenancy: a namespace per tenant with quotas, network isolation and scoped access.

Tenant namespaces are Namespaces labelled with a tenant key (any label whose key
contains ``tenant``, such as ``stackyard.dev/tenant`` or Capsule's), or Capsule
``Tenant`` objects. Isolation is then checked per tenant namespace.
"""

from __future__ import annotations

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    by_units,
    missing,
    unit,
    units_phrase,
)
from stackyard.assess.detectors.policy import default_deny
from stackyard.assess.inputs import KubeObject, RepositoryIndex
from stackyard.assess.model import Evidence


def tenant_namespaces(index: RepositoryIndex) -> list[KubeObject]:
    """Namespaces that belong to a tenant."""
    return [n for n in index.of_kind("Namespace") if any("tenant" in k for k in n.labels())]


def _namespaces(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    tenants = tenant_namespaces(index)
    capsule = index.of_kind("Tenant")
    found = [n.evidence("metadata", "labels") for n in tenants] + [t.evidence() for t in capsule]
    if found:
        return achieved(found, f"{len(tenants) + len(capsule)} tenant namespaces/tenants")
    return missing(looks_for)


def _per_tenant(
    index: RepositoryIndex, looks_for: str, what: str, have: dict[str, Evidence]
) -> DetectorResult:
    tenants = tenant_namespaces(index)
    if not tenants:
        return missing(looks_for, "no tenant namespaces")
    units = [
        unit(n.name, True, have.get(n.name) or have["*"])
        if n.name in have or "*" in have
        else unit(n.name, False, n.evidence(text=f"Namespace {n.name}"))
        for n in tenants
    ]
    return by_units(units, f"{what} in {units_phrase(units, 'tenant namespaces')}", looks_for)


def _quotas(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    have = {
        q.namespace: q.evidence(text=f"ResourceQuota {q.name}")
        for q in index.of_kind("ResourceQuota")
    }
    return _per_tenant(index, looks_for, "ResourceQuota", have)


def _network(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    return _per_tenant(index, looks_for, "default-deny network policy", default_deny(index))


def _access(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    have = {
        b.namespace: b.evidence(text=f"RoleBinding {b.name}") for b in index.of_kind("RoleBinding")
    }
    for project in index.of_kind("AppProject"):
        for destination in project.get("spec", "destinations") or []:
            namespace = (
                str(destination.get("namespace", "")) if isinstance(destination, dict) else ""
            )
            if namespace and "*" not in namespace:
                have.setdefault(namespace, project.evidence(text=f"AppProject {project.name}"))
    return _per_tenant(index, looks_for, "scoped access (RoleBinding/AppProject)", have)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "tenant-namespaces",
        "Namespaces with a tenant label, or Capsule Tenant objects",
        _namespaces,
    ),
    FunctionDetector("tenant-quotas", "a ResourceQuota in every tenant namespace", _quotas),
    FunctionDetector(
        "tenant-network-isolation",
        "a default-deny network policy in every tenant namespace",
        _network,
    ),
    FunctionDetector(
        "tenant-access",
        "RoleBindings or AppProject destinations scoped to each tenant namespace",
        _access,
    ),
)
