"""Every public service URL the rendered tree uses is routed by some cluster's Gateway."""

from __future__ import annotations

import re

import pytest

from stackyard.render.manifests.loadbalancing import EXTERNAL_DNS_HOSTNAME
from tests.render.conftest import EXAMPLE_NAMES, Rendered, RenderVariant, schema_problems

# Hosts served by something other than the platform Gateway: the RFC2136 name server
# (outside the platform), Teleport's and Cluster Mesh's own load balancers.
NOT_ROUTED = ("ns", "teleport", "clustermesh")
INGRESS_NGINX = ("ingress: gateway-api", "ingress: ingress-nginx")
LB = "service.beta.kubernetes.io/aws-load-balancer"


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


def test_dual_ingress_routes_platform_endpoints_internally(render_variant: RenderVariant) -> None:
    tree = render_variant("aws-standard", *INGRESS_NGINX)
    assert not tree.plan.cluster("prod").has("cilium-gateway-api")
    assert "manifests/prod/cilium/gateway.yaml" not in tree.files
    grafana = tree.find("manifests/prod/grafana/ingress.yaml", "Ingress", "grafana")
    assert grafana["spec"]["ingressClassName"] == "nginx-internal"
    vault = tree.find("manifests/prod/vault/ingress.yaml", "Ingress", "vault")
    assert (
        vault["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
    )


@pytest.mark.parametrize("name", ["aws-standard", "aws-enterprise"])
def test_aws_gateways_keep_the_dual_entry(rendered: dict[str, Rendered], name: str) -> None:
    tree = rendered[name]
    path = "manifests/prod/cilium/gateway.yaml"
    assert [d["metadata"]["name"] for d in tree.documents(path)] == ["platform", "public"]
    platform = tree.find(path, "Gateway", "platform")["spec"]
    public = tree.find(path, "Gateway", "public")["spec"]
    internal, facing = (
        platform["infrastructure"]["annotations"],
        public["infrastructure"]["annotations"],
    )
    assert (internal[f"{LB}-scheme"], facing[f"{LB}-scheme"]) == ("internal", "internet-facing")
    for found in (internal, facing):
        assert found[f"{LB}-type"] == "external"  # the AWS Load Balancer Controller's
        # Cilium's Envoy runs on the nodes: no pod behind the Service for an IP target.
        assert found[f"{LB}-nlb-target-type"] == "instance"
    # Vault's passthrough host is published through the internal Gateway's Service.
    assert internal[EXTERNAL_DNS_HOSTNAME] == "vault.platform.example.com"
    assert EXTERNAL_DNS_HOSTNAME not in facing
    assert "vault-passthrough" not in {x["name"] for x in public["listeners"]}
    secrets = [
        x["tls"]["certificateRefs"][0]["name"]
        for spec in (platform, public)
        for x in spec["listeners"]
        if x["name"] == "https"
    ]
    assert secrets == ["platform-gateway-tls", "public-gateway-tls"]
    # Every platform host is on the internal Gateway, as on the internal ingress class.
    routes = [
        o
        for path, o in tree.objects()
        if o["kind"] in ("HTTPRoute", "TLSRoute", "Ingress")
        and path.endswith(("/routes.yaml", "/ingress.yaml"))  # not the APIs' on Envoy Gateway
    ]
    assert {o["metadata"]["name"] for o in routes} >= {"grafana", "argocd", "keycloak", "vault"}
    for route in routes:
        assert route["kind"] != "Ingress"
        assert [p["name"] for p in route["spec"]["parentRefs"]] == ["platform"]
    assert schema_problems(tree) == []


def test_one_gateway_where_load_balancers_cannot_be_internal(rendered: dict[str, Rendered]) -> None:
    tree = rendered["local-multicluster"]
    [mgmt] = tree.documents("manifests/mgmt/cilium/gateway.yaml")
    domain = tree.plan.spec.platform.domain
    assert mgmt["spec"]["infrastructure"] == {
        "annotations": {EXTERNAL_DNS_HOSTNAME: f"vault.{domain}"}
    }
    [app1] = tree.documents("manifests/app1/cilium/gateway.yaml")
    assert "infrastructure" not in app1["spec"], "no Vault, no MetalLB annotations"
