"""Resolve the spec's ``auto`` choices into concrete settings, each with its reason.

The defaults encode the source documents' lessons: Canal only where RKE2 ships it for
Community; Cilium ENI on AWS so NLB IP mode works; VXLAN tunnel on local
VMs (contract C6); the AWS Load Balancer Controller only with VPC-routable pods.
Catalog entries select on these names (``selectedBy``).
"""

from __future__ import annotations

from stackyard.plan.model import Setting
from stackyard.spec import Platform


def resolve_settings(platform: Platform) -> dict[str, Setting]:
    """Every setting a catalog selector or a check can ask for."""
    settings: dict[str, Setting] = {}

    def put(name: str, value: str, reason: str, path: tuple[str, ...] = ()) -> None:
        settings[name] = Setting(name, value, reason, path)

    def from_spec(section: str, key: str) -> bool:
        """Take the spec's value when it is not ``auto``; tell whether it was taken."""
        value = getattr(getattr(platform, section), key)
        if value == "auto":
            return False
        put(f"{section}.{key}", value, "set in the spec", (section, key))
        return True

    net = platform.networking
    explicit = net.model_fields_set
    edition, provider = platform.edition, platform.provider
    distribution = platform.kubernetes.distribution

    if not from_spec("networking", "cni"):
        if edition == "community" and distribution == "rke2":
            put(
                "networking.cni",
                "canal",
                "Community on RKE2 uses the built-in Canal (the edition table)",
            )
        elif edition == "community":
            put("networking.cni", "cilium", "kubeadm ships no CNI; Cilium is the platform's CNI")
        else:
            put("networking.cni", "cilium", f"{edition} edition runs Cilium (the edition table)")
    cni = settings["networking.cni"].value

    if not from_spec("networking", "ciliumRoutingMode"):
        if cni != "cilium":
            put("networking.ciliumRoutingMode", "none", "Cilium does not run")
        elif provider == "aws":
            put("networking.ciliumRoutingMode", "eni", "ENI mode gives pods VPC IPs on AWS")
        else:
            put(
                "networking.ciliumRoutingMode",
                "tunnel",
                "VXLAN tunnel off-cloud (contract C6)",
            )

    source = "set in the spec" if "ingress" in explicit else "default: Gateway API (maintained)"
    put("networking.ingress", net.ingress, source, ("networking", "ingress"))

    if not from_spec("networking", "loadBalancer"):
        if provider == "aws" and cni == "cilium":
            put("networking.loadBalancer", "aws-lb-controller", "AWS with VPC-routable pods: ALBC")
        elif provider == "aws":
            put("networking.loadBalancer", "cloud-controller", "AWS with an overlay CNI: CCM")
        else:
            put("networking.loadBalancer", "metallb", f"{provider}: MetalLB gives LoadBalancer IPs")
    balancer = settings["networking.loadBalancer"].value

    if not from_spec("networking", "loadBalancerTargetType"):
        if balancer == "aws-lb-controller":
            put("networking.loadBalancerTargetType", "ip", "ALBC targets pod IPs directly")
        elif balancer == "cloud-controller":
            put("networking.loadBalancerTargetType", "instance", "the CCM targets node ports")
        else:
            put("networking.loadBalancerTargetType", "none", "no cloud load balancer")

    if net.clusterMesh != "auto":
        value = "true" if net.clusterMesh == "on" else "false"
        put("networking.clusterMesh", value, "set in the spec", ("networking", "clusterMesh"))
    elif cni == "cilium" and len(platform.clusters) > 1:
        put("networking.clusterMesh", "true", "Cilium with several clusters")
    else:
        put("networking.clusterMesh", "false", "one cluster or no Cilium")

    obs = platform.observability
    for key in ("metricsStore", "logAgent"):
        how = "set in the spec" if key in obs.model_fields_set else "default"
        put(f"observability.{key}", getattr(obs, key), how, ("observability", key))

    if not from_spec("pki", "issuer"):
        if edition == "community":
            put("pki.issuer", "self-signed", "Community has no Vault")
        else:
            put("pki.issuer", "vault", f"{edition} runs Vault as the platform CA")
    return settings
