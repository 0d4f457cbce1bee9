"""The shipped examples with a mesh: STRICT mTLS and default-deny in every mesh namespace of
every cluster its tenants run on, and each declared canary's weights on its routes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.render.conftest import Rendered

MESHED = ["aws-enterprise", "mesh-local"]


def _objects(result: Rendered, kind: str, cluster: str) -> list[dict[str, Any]]:
    return [d for _, d in result.objects(f"manifests/{cluster}/") if d["kind"] == kind]


def _expected(result: Rendered) -> dict[str, set[str]]:
    """Per cluster, the namespaces the spec puts in the mesh (its tenants' namespaces)."""
    platform = result.plan.spec.platform
    joined = platform.mesh.tenants
    expected: dict[str, set[str]] = {}
    for tenant in platform.tenants:
        if joined is None or tenant.name in joined:
            for cluster in tenant.clusters:
                expected.setdefault(cluster, set()).update(tenant.namespace_names)
    return expected


@pytest.mark.parametrize("example", MESHED)
def test_every_mesh_namespace_is_strict_and_denies_by_default(
    rendered: dict[str, Rendered], example: str
) -> None:
    result = rendered[example]
    assert result.plan.spec.platform.mesh.enabled
    expected = _expected(result)
    assert expected  # the example puts someone in the mesh
    for cluster, namespaces in expected.items():
        strict = {
            d["metadata"]["namespace"]
            for d in _objects(result, "PeerAuthentication", cluster)
            if d["spec"] == {"mtls": {"mode": "STRICT"}}
        }
        deny = {
            d["metadata"]["namespace"]
            for d in _objects(result, "AuthorizationPolicy", cluster)
            if d["metadata"]["name"] == "default-deny" and d["spec"] == {}
        }
        assert strict == namespaces, cluster
        assert deny == namespaces, cluster


@pytest.mark.parametrize("example", MESHED)
def test_every_declared_canary_has_its_weights_on_its_routes(
    rendered: dict[str, Rendered], example: str
) -> None:
    result = rendered[example]
    platform = result.plan.spec.platform
    canaries = [s for s in platform.services if any(v.weight is not None for v in s.versions)]
    assert canaries  # each example declares one
    for service in canaries:
        for cluster in _tenant_clusters(result, service.tenant):
            routes = [
                d
                for d in _objects(result, "HTTPRoute", cluster)
                if d["spec"]["parentRefs"][0].get("kind") == "Service"
                and d["spec"]["parentRefs"][0]["name"] == service.name
            ]
            assert routes, (service.name, cluster)  # one per HTTP or gRPC port
            for route in routes:
                backends = route["spec"]["rules"][-1]["backendRefs"]
                assert [(b["name"], b["weight"]) for b in backends] == [
                    (f"{service.name}-{v.name}", v.weight) for v in service.versions
                ]


def _tenant_clusters(result: Rendered, tenant: str) -> list[str]:
    return next(list(t.clusters) for t in result.plan.spec.platform.tenants if t.name == tenant)
