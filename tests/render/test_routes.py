"""Every public service URL the rendered tree uses is routed by some cluster's Gateway."""

from __future__ import annotations

import re

import pytest

from tests.render.conftest import EXAMPLE_NAMES, Rendered

# Hosts served by something other than the platform Gateway: the RFC2136 name server
# (outside the platform), Teleport's and Cluster Mesh's own load balancers.
NOT_ROUTED = ("ns", "teleport", "clustermesh")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_public_urls_have_routes(rendered: dict[str, Rendered], name: str) -> None:
    tree = rendered[name]
    domain = re.escape(tree.plan.spec.platform.domain)
    used = set()
    for path, text in tree.files.items():
        if path.startswith(("values/", "manifests/")):
            used |= set(re.findall(rf"https://([a-z0-9.-]+\.{domain})", text))
    routed = set()
    for _, obj in tree.objects("manifests/"):
        if obj["kind"] in ("HTTPRoute", "TLSRoute"):
            # A mesh route (GAMMA) attaches to a Service and names no host.
            routed |= set(obj["spec"].get("hostnames", []))
        if obj["kind"] == "Ingress":
            routed |= {rule["host"] for rule in obj["spec"]["rules"]}
    missing = {h for h in used - routed if not h.startswith(NOT_ROUTED)}
    assert missing == set()


def test_vault_is_passed_through_with_its_own_tls(rendered: dict[str, Rendered]) -> None:
    tree = rendered["local-multicluster"]
    gateway = tree.find("manifests/mgmt/cilium/gateway.yaml", "Gateway", "platform")
    listener = next(x for x in gateway["spec"]["listeners"] if x["name"] == "vault-passthrough")
    assert listener["tls"]["mode"] == "Passthrough"
    route = tree.find("manifests/mgmt/vault/routes.yaml", "TLSRoute", "vault")
    assert route["spec"]["parentRefs"][0]["sectionName"] == "vault-passthrough"
    app1 = tree.find("manifests/app1/cilium/gateway.yaml", "Gateway", "platform")
    assert "vault-passthrough" not in {x["name"] for x in app1["spec"]["listeners"]}


def test_dual_ingress_routes_platform_endpoints_internally(rendered: dict[str, Rendered]) -> None:
    tree = rendered["aws-standard"]
    grafana = tree.find("manifests/prod/grafana/ingress.yaml", "Ingress", "grafana")
    assert grafana["spec"]["ingressClassName"] == "nginx-internal"
    vault = tree.find("manifests/prod/vault/ingress.yaml", "Ingress", "vault")
    assert (
        vault["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
    )
