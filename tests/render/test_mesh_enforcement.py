"""Who enforces each authorization policy in ambient mode, and whether traffic passes both layers.

Istio's ambient data plane has two enforcers. ztunnel, on every node, applies the policies
without ``targetRefs`` (namespace-wide or with a ``selector``) to traffic arriving at a
pod, and only understands L4 attributes. A waypoint applies the policies whose
``targetRefs`` name a Service (or the waypoint's Gateway) to traffic sent to that Service,
and traffic it forwards reaches ztunnel with the waypoint's own identity
(https://istio.io/latest/docs/ambient/usage/l7-features/,
https://istio.io/latest/docs/ambient/usage/waypoint/). Traffic addressed to a pod IP
never passes the Service's waypoint.

The model below replays a request through those layers on the rendered objects: mesh
callers address the Service, Istio's ingress gateway does so for Services labelled
``istio.io/ingress-use-waypoint``, and Envoy Gateway only when its BackendTrafficPolicy
says ``routingType: Service`` (by default it sends to the endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.spec import load_spec_text
from stackyard.validate.crdschemas import check_resource
from tests.render.conftest import Rendered

DATA = Path(__file__).parent / "data"
API_GATEWAY_NS = "envoy-gateway-system"
INGRESS_NS = "istio-ingress"
L4_SOURCE = {"principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks"}
L4_OPERATION = {"ports", "notPorts"}
Docs = list[dict[str, Any]]


@pytest.fixture(scope="module")
def result() -> Docs:
    text = (DATA / "mesh-ambient.yaml").read_text(encoding="utf-8")
    text = text.replace("components:\n", "components:\n  envoy-gateway: {enabled: true}\n")
    text += (DATA / "mesh-apis" / "spec-tail.yaml").read_text(encoding="utf-8")
    plan = make_plan(load_spec_text(text, "platform.yaml", DATA / "mesh-apis"))
    return [doc for _, doc in Rendered(plan, dict(render_plan(plan))).objects()]


@dataclass(frozen=True)
class Peer:
    """A workload's mesh identity."""

    namespace: str
    service_account: str

    @property
    def principal(self) -> str:
        return f"cluster.local/ns/{self.namespace}/sa/{self.service_account}"


def _kind(result: Docs, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in result if doc["kind"] == kind]


def enforcer(policy: dict[str, Any]) -> str:
    """``waypoint`` or ``ztunnel``: which proxy applies ``policy`` in ambient mode."""
    spec = policy["spec"]
    refs = spec.get("targetRefs", [])
    if refs:
        assert {ref["kind"] for ref in refs} <= {"Service", "Gateway"}, policy
        return "waypoint"
    return "ztunnel"


def _policies(result: Docs, namespace: str) -> list[dict[str, Any]]:
    return [
        p for p in _kind(result, "AuthorizationPolicy") if p["metadata"]["namespace"] == namespace
    ]


def _admits(policies: list[dict[str, Any]], peer: Peer) -> bool:
    """ALLOW semantics: with any ALLOW policy in force, some rule must match the peer."""
    for policy in policies:
        assert policy["spec"].get("action", "ALLOW") == "ALLOW", policy
    if not policies:
        return True
    for policy in policies:
        for rule in policy["spec"].get("rules", []):
            sources = [entry["source"] for entry in rule.get("from", [])]
            if not sources or any(
                peer.principal in s.get("principals", [])
                or peer.namespace in s.get("namespaces", [])
                for s in sources
            ):
                return True
    return False


def _service(result: Docs, namespace: str, name: str) -> dict[str, Any]:
    return next(
        s
        for s in _kind(result, "Service")
        if (s["metadata"]["namespace"], s["metadata"]["name"]) == (namespace, name)
    )


def reaches(result: Docs, peer: Peer, namespace: str, name: str, to_service: bool) -> bool:
    """Whether ``peer`` gets through to service ``name``'s pods in ``namespace``."""
    policies = _policies(result, namespace)
    waypoint = (
        _service(result, namespace, name)["metadata"].get("labels", {}).get("istio.io/use-waypoint")
    )
    if to_service and waypoint:
        at_waypoint = [
            p
            for p in policies
            if enforcer(p) == "waypoint"
            and {"kind": "Service", "name": name}
            in [{"kind": r["kind"], "name": r["name"]} for r in p["spec"]["targetRefs"]]
        ]
        if not _admits(at_waypoint, peer):
            return False
        # The waypoint runs as the ServiceAccount named after its Gateway.
        gateway = next(
            g
            for g in _kind(result, "Gateway")
            if (g["metadata"]["namespace"], g["metadata"]["name"]) == (namespace, waypoint)
        )
        assert gateway["spec"]["gatewayClassName"] == "istio-waypoint"
        peer = Peer(namespace, waypoint)
    at_pod = [
        p
        for p in policies
        if enforcer(p) == "ztunnel"
        and p["spec"].get("selector", {}).get("matchLabels", {}).get("app.kubernetes.io/name", name)
        == name
    ]
    return _admits(at_pod, peer)


def _api_to_service(result: Docs, route: str) -> bool:
    """Whether Envoy Gateway addresses the Service (not its pods) on ``route``."""
    policies = [p for p in _kind(result, "BackendTrafficPolicy") if p["metadata"]["name"] == route]
    return any(p["spec"].get("routingType") == "Service" for p in policies)


def test_each_policy_has_the_enforcer_it_was_written_for(result: Docs) -> None:
    found = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): enforcer(p)
        for p in _kind(result, "AuthorizationPolicy")
    }
    assert found == {
        ("legacy", "default-deny"): "ztunnel",
        ("shop", "default-deny"): "ztunnel",
        ("shop", "allow-waypoint"): "ztunnel",
        ("shop", "allow-checkout"): "waypoint",
        ("shop", "allow-storefront"): "waypoint",
        ("shop-jobs", "default-deny"): "ztunnel",
        ("shop-jobs", "allow-ledger"): "ztunnel",
        ("web", "default-deny"): "ztunnel",
        ("web", "allow-waypoint"): "ztunnel",
        ("web", "allow-frontend"): "waypoint",
    }


def test_ztunnel_policies_use_only_l4_attributes(result: Docs) -> None:
    for policy in _kind(result, "AuthorizationPolicy"):
        if enforcer(policy) != "ztunnel":
            continue
        for rule in policy["spec"].get("rules", []):
            assert "when" not in rule, policy
            for entry in rule.get("from", []):
                assert set(entry["source"]) <= L4_SOURCE, policy
            for entry in rule.get("to", []):
                assert set(entry["operation"]) <= L4_OPERATION, policy


def test_api_gateway_traffic_passes_the_waypoint_and_ztunnel(result: Docs) -> None:
    proxy = Peer(API_GATEWAY_NS, "envoy-apis")
    for route, service in [("api-orders", "checkout"), ("api-ledger-feed", "storefront")]:
        to_service = _api_to_service(result, route)
        assert to_service, route
        assert reaches(result, proxy, "shop", service, to_service), route
        # Addressed to the pods, as Envoy Gateway does by default, ztunnel refuses it.
        assert not reaches(result, proxy, "shop", service, to_service=False), route
    # A service that publishes no API does not admit the API gateway.
    assert not reaches(result, proxy, "web", "frontend", to_service=True)


def test_the_routing_policy_passes_envoy_gateways_schema(result: Docs) -> None:
    for policy in _kind(result, "BackendTrafficPolicy"):
        check = check_resource(policy)
        assert check.ok, (check.status, [str(p) for p in check.problems])


def test_ingress_gateway_and_declared_callers_pass_undeclared_ones_do_not(
    result: Docs,
) -> None:
    ingress = Peer(INGRESS_NS, "istio-gateway")
    for namespace, name in [("shop", "checkout"), ("shop", "storefront"), ("web", "frontend")]:
        labels = _service(result, namespace, name)["metadata"]["labels"]
        to_service = labels.get("istio.io/ingress-use-waypoint") == "true"
        assert reaches(result, ingress, namespace, name, to_service), name
    # The TCP-only ledger has no waypoint: ztunnel applies its policy directly.
    assert reaches(result, ingress, "shop-jobs", "ledger", to_service=True)
    callers = {
        ("shop", "checkout"): [Peer("shop", "storefront"), Peer("web", "frontend")],
        ("shop-jobs", "ledger"): [Peer("shop", "checkout")],
    }
    for (namespace, name), peers in callers.items():
        for peer in peers:
            assert reaches(result, peer, namespace, name, to_service=True), (peer, name)
    outsider = Peer("web", "frontend")
    assert not reaches(result, outsider, "shop-jobs", "ledger", to_service=True)
    assert not reaches(result, Peer("shop", "storefront"), "web", "frontend", to_service=True)
    # Bypassing the waypoint by pod IP does not help a declared caller either: only the
    # waypoint's identity passes ztunnel.
    assert not reaches(result, Peer("shop", "storefront"), "shop", "checkout", to_service=False)
