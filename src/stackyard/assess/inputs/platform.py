"""What the assessed platform runs on: its distribution, its provider, its GitOps engine.

Advice helps only in the reader's own terms: ``etcd-s3: true`` means nothing on Talos,
``syncPolicy.automated.selfHeal`` nothing to a Flux repository, an ``awskms`` seal
nothing on bare metal. Three dimensions are read from the facts of the index:

- distribution (kubeadm, RKE2, K3s, Talos): the node bootstrap files
  (``stackyard.assess.inputs.distribution``);
- GitOps engine: Argo CD (``Application``, ``ApplicationSet``, ``AppProject`` objects, the
  argo-cd chart) or Flux (``HelmRelease`` and ``Kustomization`` of the Flux toolkit, its
  source objects, the flux2 chart);
- provider: AWS, Google Cloud, Azure (Terraform providers and resources, cloud charts
  such as the AWS Load Balancer Controller, ``cloud-provider-name``) or on-premises
  (hypervisor Terraform providers: Proxmox, vSphere, libvirt, Harvester; bare-metal load
  balancing: MetalLB, kube-vip, Cilium LoadBalancer IP pools, L2 announcements or its BGP
  control plane, in objects or in the Cilium values).

A dimension the repository says nothing about stays empty and advice for it stays
neutral. A text written per term names terms of one dimension only; ``choose`` gives
the detected term's text, each detected term's text named when there are several, and
the neutral text when none is detected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from stackyard.assess.inputs.index import RepositoryIndex
from stackyard.assess.model import Distribution, Engine, Provider

Term = Literal["kubeadm", "rke2", "k3s", "talos", "argocd", "flux", "aws", "gcp", "azure", "onprem"]
Dimension = Literal["distribution", "engine", "provider"]
DIMENSIONS: dict[Dimension, tuple[str, ...]] = {
    "distribution": get_args(Distribution),
    "engine": get_args(Engine),
    "provider": get_args(Provider),
}
TERM_NAMES: dict[str, str] = {
    "kubeadm": "kubeadm",
    "rke2": "RKE2",
    "k3s": "K3s",
    "talos": "Talos",
    "argocd": "Argo CD",
    "flux": "Flux",
    "aws": "AWS",
    "gcp": "Google Cloud",
    "azure": "Azure",
    "onprem": "on-premises",
}
_CLOUD_PROVIDER_BLOCKS: dict[str, Provider] = {"aws": "aws", "google": "gcp", "azurerm": "azure"}
_CLOUD_RESOURCE_PREFIXES: dict[str, Provider] = {
    "aws_": "aws",
    "google_": "gcp",
    "azurerm_": "azure",
}
_ONPREM_TERRAFORM = ("proxmox", "vsphere", "libvirt", "harvester", "nutanix", "maas")
_CLOUD_CHARTS: dict[Provider, tuple[str, ...]] = {
    "aws": ("aws-load-balancer-controller", "aws-cloud-controller-manager", "aws-ebs-csi-driver"),
}
_CLOUD_NAMES: dict[str, Provider] = {"aws": "aws", "gce": "gcp", "google": "gcp", "azure": "azure"}
_ONPREM_CHARTS = ("metallb", "kube-vip")
_ONPREM_KINDS = (
    "IPAddressPool",
    "L2Advertisement",
    "BGPAdvertisement",
    "CiliumLoadBalancerIPPool",
    "CiliumL2AnnouncementPolicy",
    "CiliumBGPPeeringPolicy",
)
_FLUX_GROUP_SUFFIX = ".toolkit.fluxcd.io"


@dataclass(frozen=True)
class PlatformContext:
    """The distributions, GitOps engines and providers a repository shows."""

    distributions: tuple[Distribution, ...] = ()
    engines: tuple[Engine, ...] = ()
    providers: tuple[Provider, ...] = ()

    def detected(self, dimension: Dimension) -> tuple[str, ...]:
        """The detected terms of one dimension."""
        if dimension == "distribution":
            return self.distributions
        return self.engines if dimension == "engine" else self.providers

    def choose(self, by_term: Mapping[str, str], neutral: str) -> str:
        """The text for this platform: its own term's, each named for several, else neutral."""
        if not by_term:
            return neutral
        dimension = dimension_of(by_term)
        found = self.detected(dimension)
        if len(found) == 1:
            return by_term.get(found[0], neutral)
        specific = [t for t in found if t in by_term]
        if not specific:
            return neutral
        parts = [f"{TERM_NAMES[t]}: {by_term[t]}" for t in specific]
        if len(specific) < len(found):
            parts.append(f"elsewhere: {neutral}")
        return " ".join(parts)


def dimension_of(by_term: Mapping[str, str]) -> Dimension:
    """The one dimension the terms of ``by_term`` belong to.

    Raises:
        ValueError: a term is unknown, or the terms mix dimensions.
    """
    dimensions = {d for term in by_term for d, terms in DIMENSIONS.items() if term in terms}
    unknown = sorted(t for t in by_term if t not in TERM_NAMES)
    if unknown:
        raise ValueError(f"unknown terms: {', '.join(unknown)}")
    if len(dimensions) != 1:
        raise ValueError(f"terms of more than one dimension: {', '.join(sorted(by_term))}")
    (only,) = dimensions
    return only


def platform_context(index: RepositoryIndex) -> PlatformContext:
    """What ``index``'s repository runs on (see the module docs)."""
    return PlatformContext(index.distributions(), gitops_engines(index), providers(index))


def gitops_engines(index: RepositoryIndex) -> tuple[Engine, ...]:
    """Argo CD and/or Flux, in that order, when the repository declares their objects."""
    kinds = {r.kind for r in index.releases}
    found: list[Engine] = []
    if (
        kinds & {"Application", "ApplicationSet"}
        or index.of_kind("AppProject", group="argoproj.io")
        or index.chart_uses("argo-cd")
    ):
        found.append("argocd")
    if (
        kinds & {"HelmRelease", "Kustomization"}
        or any(group.endswith(_FLUX_GROUP_SUFFIX) for group in index.groups)
        or index.chart_uses("flux2")
    ):
        found.append("flux")
    return tuple(found)


def _cilium_announces_addresses(index: RepositoryIndex) -> bool:
    """Cilium answering ARP or BGP for LoadBalancer IPs: a network of one's own."""
    for stack in index.values("cilium"):
        for path in (("l2announcements", "enabled"), ("bgpControlPlane", "enabled")):
            hit = stack.get(*path)
            if hit is not None and hit.value is True:
                return True
    return False


def providers(index: RepositoryIndex) -> tuple[Provider, ...]:
    """The clouds (AWS, Google Cloud, Azure) and on-premises signs of the repository."""
    found: set[Provider] = set()
    for block in index.terraform:
        label = block.labels[0] if block.labels else ""
        if block.block_type == "provider":
            if label in _CLOUD_PROVIDER_BLOCKS:
                found.add(_CLOUD_PROVIDER_BLOCKS[label])
            elif label in _ONPREM_TERRAFORM:
                found.add("onprem")
        elif block.block_type in ("resource", "data"):
            for prefix, provider in _CLOUD_RESOURCE_PREFIXES.items():
                if label.startswith(prefix):
                    found.add(provider)
            if label.startswith(tuple(f"{name}_" for name in _ONPREM_TERRAFORM)):
                found.add("onprem")
    for provider, charts in _CLOUD_CHARTS.items():
        if index.chart_uses(*charts):
            found.add(provider)
    for setting in index.settings("cloud-provider-name"):
        if setting.value in _CLOUD_NAMES:
            found.add(_CLOUD_NAMES[setting.value])
    if (
        index.chart_uses(*_ONPREM_CHARTS)
        or any(index.kind_counts[k] for k in _ONPREM_KINDS)
        or _cilium_announces_addresses(index)
    ):
        found.add("onprem")
    return tuple(p for p in get_args(Provider) if p in found)
