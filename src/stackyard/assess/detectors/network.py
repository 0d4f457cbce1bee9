"""Networking: which CNI (overlay or VPC-native, eBPF or not), TLS, ingress, L7, encryption.

The CNI is found where it is decided: RKE2's ``cni:`` setting (often inside a
Terraform ``user_data`` heredoc), the Cilium chart and its values (``ipam.mode: eni``,
``routingMode: native`` or the default VXLAN tunnel), Calico/Canal charts, the AWS
VPC CNI image. RKE2 without a ``cni:`` setting runs Canal. An overlay is a structural
defect on a cloud: pod IPs are not routable in the VPC, so NLB IP mode and L7 policy are
out of reach (hence the Cilium ENI design).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    first_set,
    in_terms,
    missing,
    partial,
    truthy,
)
from stackyard.assess.inputs import Located, RepositoryIndex, TerraformBlock
from stackyard.assess.inputs.charts import charts_with_role
from stackyard.assess.inputs.platform import providers
from stackyard.assess.model import Evidence, noted


@dataclass
class CniFinding:
    """The CNIs found, with their routing mode and evidence."""

    modes: dict[str, str] = field(default_factory=dict)  # cni -> routing mode
    evidence: list[Evidence] = field(default_factory=list)


def find_cni(index: RepositoryIndex) -> CniFinding:
    """Which CNIs the repository configures, and how pods are routed."""
    found = CniFinding()
    # "none" (RKE2, Talos) or "custom" (Talos) leave the CNI to a chart, cited with it.
    left_to_chart = [s for s in index.settings("cni") if s.value in ("none", "custom")]
    settings = [s for s in index.settings("cni") if s not in left_to_chart]
    for setting in settings:
        name = "canal" if setting.value == "flannel" and _rke2(index) else setting.value
        found.modes.setdefault(name, "overlay" if name in ("canal", "flannel") else "unknown")
        found.evidence.append(setting.evidence)
    for setting in index.settings("flannel-backend"):  # K3s
        if setting.value == "none":
            left_to_chart.append(setting)
        else:
            found.modes.setdefault("flannel", f"overlay ({setting.value})")
            found.evidence.append(setting.evidence)
    cilium = index.values("cilium")
    if cilium or index.chart_uses("cilium"):
        found.modes["cilium"] = _cilium_routing(index, found)
        found.evidence += index.chart_uses("cilium")
    for chart in ("canal", "calico"):
        uses = index.chart_uses(chart)
        if uses:
            found.modes.setdefault(chart, "overlay" if chart == "canal" else "unknown")
            found.evidence += uses
    vpc_cni = component(index, images=("amazon-k8s-cni",))
    if vpc_cni:
        found.modes["aws-vpc-cni"] = "vpc-native"
        found.evidence += vpc_cni
    for name, mode, evidence in terraform_cnis(index):
        found.modes.setdefault(name, mode)
        found.evidence.append(evidence)
    if found.modes:
        found.evidence = [s.evidence for s in left_to_chart] + found.evidence
    elif _rke2(index):
        found.modes["canal"] = "overlay (RKE2 default)"
        found.evidence += [s.evidence for s in index.node_settings][:3]
    elif not left_to_chart:
        found.modes.update(_flannel_by_default(index, found))
    return found


_VPC_CNI_KEY = re.compile(r"[{,\s]vpc-cni\s*=")


def terraform_cnis(index: RepositoryIndex) -> list[tuple[str, str, Evidence]]:
    """CNIs a managed cluster is given in Terraform: (name, routing mode, evidence).

    - EKS: the ``vpc-cni`` add-on, as ``aws_eks_addon`` or in the EKS module's
      ``cluster_addons``/``addons`` map (pod IPs come from the VPC).
    - GKE: ``datapath_provider = "ADVANCED_DATAPATH"`` is Dataplane V2, built on Cilium
      (https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2).
    - AKS: ``network_profile`` — Azure CNI powered by Cilium (``network_data_plane`` or
      ``network_policy = "cilium"``), Azure CNI (VNet IPs unless ``network_plugin_mode
      = "overlay"``) or kubenet
      (https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium).
    """
    found: list[tuple[str, str, Evidence]] = []
    for block in index.resources("aws_eks_addon"):
        if block.attributes.get("addon_name") == "vpc-cni":
            found.append(("aws-vpc-cni", "vpc-native", block.evidence("addon_name")))
    for block in index.terraform:
        if block.block_type != "module":
            continue
        for attribute in ("cluster_addons", "addons"):
            for document in block.documents.get(attribute, ()):
                addons = Located(document)
                if isinstance(addons.data, dict) and "vpc-cni" in addons.data:
                    found.append(("aws-vpc-cni", "vpc-native", addons.evidence("vpc-cni")))
            value = block.attributes.get(attribute)
            # An expression (``local.auto_mode ? {} : { vpc-cni = {} ... }``): the map is
            # not a literal, but the add-on is named in it.
            if (
                isinstance(value, str)
                and attribute in block.attribute_lines
                and _VPC_CNI_KEY.search(value)
            ):
                line = block.attribute_lines[attribute]
                cited = Evidence(
                    block.file, line, line, noted(attribute, "vpc-cni add-on in its expression")
                )
                found.append(("aws-vpc-cni", "vpc-native", cited))
    for block in index.resources("google_container_cluster"):
        if block.attributes.get("datapath_provider") == "ADVANCED_DATAPATH":
            found.append(("cilium", "native", block.evidence("datapath_provider")))
    for block in index.resources("azurerm_kubernetes_cluster"):
        found += _aks_cni(block)
    return found


def _aks_cni(block: TerraformBlock) -> list[tuple[str, str, Evidence]]:
    profiles = block.attributes.get("network_profile")
    spans = block.nested_lines.get("network_profile", ())
    if not isinstance(profiles, list) or not profiles or not isinstance(profiles[0], dict):
        return []
    profile = profiles[0]
    first, last = spans[0] if spans else (block.line, block.end_line)
    overlay = profile.get("network_plugin_mode") == "overlay"
    routing = "overlay" if overlay else "vpc-native"
    if "cilium" in (profile.get("network_data_plane"), profile.get("network_policy")):
        name, routing = "cilium", "overlay" if overlay else "native"
    elif profile.get("network_plugin") == "azure":
        name = "azure-cni"
    elif profile.get("network_plugin") == "kubenet":
        name, routing = "kubenet", "overlay"
    else:
        return []
    text = f"network_profile: {profile.get('network_plugin', '')} {name}".strip()
    return [(name, routing, Evidence(block.file, first, last, text))]


def _flannel_by_default(index: RepositoryIndex, found: CniFinding) -> dict[str, str]:
    """K3s and Talos run Flannel (VXLAN) when their configuration names no other CNI.

    https://docs.k3s.io/networking/basic-network-options,
    https://www.talos.dev/v1.9/kubernetes-guides/network/deploying-cilium/
    """
    distributions = index.distributions()
    modes = {}
    for name in ("k3s", "talos"):
        if name in distributions:
            modes["flannel"] = f"overlay ({'K3s' if name == 'k3s' else 'Talos'} default)"
            found.evidence += [
                s.evidence for s in index.distribution_signs if s.distribution == name
            ][:1]
    return modes


def on_cloud(index: RepositoryIndex) -> bool:
    """Whether the platform runs on a public cloud (Terraform providers, cloud charts)."""
    return any(p != "onprem" for p in providers(index))


def _cilium_routing(index: RepositoryIndex, found: CniFinding) -> str:
    for stack in index.values("cilium"):
        for hit in first_set([stack], ("ipam", "mode"), ("eni", "enabled")):
            if hit.value == "eni" or hit.value is True:
                found.evidence.append(hit.evidence)
                return "eni"
        for hit in first_set([stack], ("routingMode",), ("tunnel",), ("tunnelProtocol",)):
            found.evidence.append(hit.evidence)
            if hit.value in ("native", "disabled"):
                return "native"
            return "overlay"
    return "overlay (default VXLAN tunnel)"


def _cni_declared(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    cni = find_cni(index)
    if not cni.modes:
        setting = in_terms(
            index,
            "a cni setting in the node bootstrap",
            kubeadm="a CNI installed from Git (kubeadm installs none)",
            rke2="cni in the RKE2 config",
            k3s="flannel-backend in the K3s config",
            talos="cluster.network.cni in the Talos machine configuration",
        )
        cloud = in_terms(index, " or the AWS VPC CNI", aws=" or the AWS VPC CNI", onprem="")
        return missing(f"{setting}, a CNI chart (Cilium, Calico, Canal){cloud}")
    names = ", ".join(f"{name} ({mode})" for name, mode in sorted(cni.modes.items()))
    return achieved(cni.evidence, f"CNI: {names}")


def _cni_modern(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    cni = find_cni(index)
    if not cni.modes:
        return missing(looks_for, "no CNI configuration found")
    cloud = on_cloud(index)
    names = ", ".join(f"{name} ({mode})" for name, mode in sorted(cni.modes.items()))
    legacy = [n for n in cni.modes if n in ("canal", "flannel")]
    if legacy and "cilium" not in cni.modes:
        return missing(
            looks_for,
            f"{names}: overlay pod network (VXLAN); no eBPF dataplane or L7 policy"
            + ("; pod IPs are not routable in the VPC (no NLB IP mode)" if cloud else ""),
            gaps=cni.evidence,
        )
    cilium = cni.modes.get("cilium", "")
    if cilium in ("eni", "native") and not legacy:
        routable = "VPC-routable" if cloud else "routable"
        return achieved(cni.evidence, f"{names}: eBPF dataplane, {routable} pod IPs")
    if cilium and not legacy and not cloud:
        return achieved(cni.evidence, f"{names}: eBPF dataplane, L7 policy")
    detail = f"{names}: " + (
        "overlay on a cloud; pods are not VPC-routable"
        if cilium and cloud and not legacy
        else "not every cluster runs an eBPF, VPC-routable CNI"
    )
    return partial(cni.evidence, detail, looks_for)


def _tls(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(index, charts=("cert-manager",), groups=("cert-manager.io",))
    return (
        achieved(found, "certificates are issued and renewed automatically")
        if found
        else missing(looks_for)
    )


def _ingress(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index,
        charts=charts_with_role("ingress-controller"),
        groups=("gateway.networking.k8s.io",),
    )
    found += [
        h.evidence
        for h in first_set(
            index.values("cilium"), ("ingressController", "enabled"), ("gatewayAPI", "enabled")
        )
        if truthy(h.value)
    ]
    return achieved(found, "ingress is managed as code") if found else missing(looks_for)


def _flow_visibility(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        h.evidence
        for h in first_set(
            index.values("cilium"), ("hubble", "relay", "enabled"), ("hubble", "enabled")
        )
        if truthy(h.value)
    ]
    found += component(index, charts=("kiali", "kiali-operator"))
    return (
        achieved(found, "network flows are observable (Hubble/Kiali)")
        if found
        else missing(looks_for)
    )


def _l7_policy(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = []
    for policy in index.of_kind("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
        for direction in ("ingress", "egress"):
            for i, rule in enumerate(policy.get("spec", direction) or []):
                for j, port in enumerate(
                    rule.get("toPorts") or [] if isinstance(rule, dict) else []
                ):
                    if isinstance(port, dict) and isinstance(port.get("rules"), dict):
                        found.append(policy.evidence("spec", direction, i, "toPorts", j, "rules"))
    found += [o.evidence() for o in index.of_kind("AuthorizationPolicy")]
    return (
        achieved(found, f"{len(found)} L7 (HTTP/DNS) policy rules") if found else missing(looks_for)
    )


def _encryption(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        h.evidence
        for h in first_set(index.values("cilium"), ("encryption", "enabled"))
        if truthy(h.value)
    ]
    found += [
        o.evidence("spec", "mtls")
        for o in index.of_kind("PeerAuthentication")
        if str(o.get("spec", "mtls", "mode")).upper() == "STRICT"
    ]
    found += index.chart_uses("linkerd-control-plane", "linkerd2")
    return achieved(found, "pod-to-pod traffic is encrypted") if found else missing(looks_for)


def _gateway_api(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        o.evidence(text=f"{o.kind} {o.name}") for o in index.in_group("gateway.networking.k8s.io")
    ]
    return achieved(found, "Gateway API routes") if found else missing(looks_for)


def _rke2(index: RepositoryIndex) -> bool:
    distributions = index.distributions()
    if distributions:  # the bootstrap files say which: only RKE2 defaults to Canal
        return "rke2" in distributions
    return bool(index.settings("etcd-snapshot-schedule-cron", "profile", "etcd-s3")) or bool(
        index.of_kind("HelmChart", "HelmChartConfig")
    )


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "cni-declared",
        "a cni setting in the node bootstrap, a CNI chart (Cilium, Calico, Canal) "
        "or the AWS VPC CNI",
        _cni_declared,
    ),
    FunctionDetector(
        "cni-modern",
        "Cilium (eBPF) with ENI/native routing on clouds, instead of an overlay CNI",
        _cni_modern,
    ),
    FunctionDetector("tls-automation", "cert-manager chart or cert-manager.io objects", _tls),
    FunctionDetector(
        "ingress-controller",
        "an ingress controller chart, Cilium ingress/Gateway API or Gateway objects",
        _ingress,
    ),
    FunctionDetector("flow-visibility", "Cilium hubble.relay.enabled, or Kiali", _flow_visibility),
    FunctionDetector(
        "l7-policy",
        "CiliumNetworkPolicy toPorts.rules (HTTP/DNS) or Istio AuthorizationPolicy",
        _l7_policy,
    ),
    FunctionDetector(
        "traffic-encryption",
        "Cilium encryption.enabled (WireGuard/IPsec), Istio STRICT mTLS or Linkerd",
        _encryption,
    ),
    FunctionDetector("gateway-api", "Gateway / HTTPRoute objects", _gateway_api),
)
