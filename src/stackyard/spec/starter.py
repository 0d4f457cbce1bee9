"""Commented starter specs for ``stackyard init``.

A starter is a complete ``platform.yaml`` that plans without errors for its edition,
provider and topology, written as text so it can carry comments that teach the
format. Sizes follow the edition table (3 / 5 / 10+ nodes), addresses follow the
reference local multi-cluster architecture on local VMs; new specs choose maintained
components (Gateway API, Alloy) rather than the retired ones of the source designs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackyard.spec.model import API_VERSION, Edition, Provider

Topology = Literal["single", "multi"]
TOPOLOGIES: tuple[Topology, ...] = ("single", "multi")


@dataclass(frozen=True)
class _Pool:
    name: str
    role: str
    count: int
    cpu: int
    memory: str
    disk: str
    schedulable: bool | None = None
    instanceType: str | None = None

    def render(self) -> str:
        extra = (
            f", schedulable: {str(self.schedulable).lower()}"
            if self.schedulable is not None
            else ""
        )
        if self.instanceType is not None:
            extra += f", instanceType: {self.instanceType}"
        return (
            f"      - {{name: {self.name}, role: {self.role}, count: {self.count}, "
            f"cpu: {self.cpu}, memory: {self.memory}, disk: {self.disk}{extra}}}"
        )


def _pools(edition: Edition, provider: Provider, role: str) -> list[_Pool]:
    if provider == "local":  # VMs on one workstation (reference sizes, a little larger)
        if role == "app":
            return [
                _Pool("cp", "control-plane", 1, 2, "3Gi", "30Gi", True),
                _Pool("worker", "worker", 1, 2, "6Gi", "40Gi"),
            ]
        workers = {"community": 1, "standard": 2, "enterprise": 2}[edition]
        return [
            _Pool("cp", "control-plane", 1, 2, "4Gi", "40Gi", True),
            _Pool("worker", "worker", workers, 4, "12Gi", "60Gi"),
        ]
    if edition == "community":
        launched = provider == "aws" and role == "app"
        return [
            _Pool(
                "server", "control-plane", 3, 4, "16Gi", "100Gi", True, _ec2(launched, "m6i.xlarge")
            )
        ]
    # Three servers make the cluster HA, and HA charts keep Vault's Raft peers, the three
    # Alertmanagers and Argo CD's Redis HA one per node: at least three workers (SY511).
    workers = {"standard": 3, "enterprise": 7}[edition] if role != "app" else 3
    # Cluster API launches an AWS app cluster's machines, so they name their EC2 type.
    launched = provider == "aws" and role == "app"
    return [
        _Pool("server", "control-plane", 3, 4, "8Gi", "100Gi", None, _ec2(launched, "m6i.xlarge")),
        _Pool("worker", "worker", workers, 8, "32Gi", "200Gi", None, _ec2(launched, "m6i.2xlarge")),
    ]


def _ec2(launched: bool, instance_type: str) -> str | None:
    return instance_type if launched else None


def _network(provider: Provider, index: int, cilium_eni: bool) -> list[str]:
    if provider == "aws":
        lines = [
            f"      nodeRange: 10.0.{index * 16}.0/20          # the cluster's VPC subnets",
        ]
        if not cilium_eni:
            lines.append(f"      podCIDR: 10.{100 + index}.0.0/16")
        lines.append(f"      serviceCIDR: 10.{96 + index}.0.0/16")
        return lines
    if provider == "onprem":
        return [
            f"      nodeSubnet: 10.10.{index}.0/24",
            f"      nodeRange: 10.10.{index}.10-10.10.{index}.99",
            f"      podCIDR: 10.{100 + index}.0.0/16  # unique per cluster (Cluster Mesh)",
            f"      serviceCIDR: 10.{96 + index}.0.0/16",
            f"      loadBalancerPool: 10.10.{index}.200-10.10.{index}.250  # MetalLB",
        ]
    first = 10 + index * 10
    pool = 200 + index * 11
    return [
        "      nodeSubnet: 192.168.64.0/24                # the Multipass bridge network",
        f"      nodeRange: 192.168.64.{first}-192.168.64.{first + 9}",
        f"      podCIDR: 10.{100 + index}.0.0/16  # unique per cluster (Cluster Mesh)",
        f"      serviceCIDR: 10.{96 + index}.0.0/16",
        f"      loadBalancerPool: 192.168.64.{pool}-192.168.64.{pool + 10}",
    ]


def starter_spec(edition: Edition, provider: Provider, topology: Topology) -> str:
    """A commented ``platform.yaml`` for ``edition`` on ``provider`` in ``topology``."""
    distribution = "kubeadm" if provider == "local" else "rke2"
    name = f"{edition}-{provider}-{topology}"
    cilium_eni = provider == "aws" and not (edition == "community" and distribution == "rke2")
    roles = (
        [("platform", "standalone")]
        if topology == "single"
        else [
            ("mgmt", "mgmt"),
            ("app1", "app"),
            ("app2", "app"),
        ]
    )
    out = [
        f"# Stackyard platform spec: {edition} edition on {provider}, {topology}-cluster topology.",
        "# Plan it with `stackyard plan platform.yaml`; explain one component with",
        "# `stackyard plan platform.yaml --why <component>`;",
        "# `stackyard schema` prints the JSON Schema for editor completion.",
        f"apiVersion: {API_VERSION}",
        "kind: Platform",
        f"name: {name}",
        f"edition: {edition}  # community | standard | enterprise",
        f"provider: {provider}  # aws | onprem | local",
        "kubernetes:",
        f"  distribution: {distribution}  # rke2 | kubeadm",
        '  version: "1.35"                # quoted: YAML would read 1.35 as a number',
        "  cloudProvider: "
        + (
            "external       # AWS needs the external CCM (no in-tree provider since 1.30)"
            if provider == "aws"
            else "none"
        ),
        "gitops:                          # where Argo CD reads the rendered repository",
        f"  repoURL: https://git.example.com/platform/{name}.git",
        "  revision: main",
        "  path: .",
        f"domain: {name}.example.com",
        "networking:",
        "  cni: auto                      # Canal for Community on RKE2, Cilium otherwise",
        "  ingress: gateway-api           # maintained; ingress-nginx is retired upstream",
        "  loadBalancer: auto             # AWS LB Controller / CCM on AWS, MetalLB elsewhere",
        "observability:",
        "  logAgent: alloy                # Promtail's maintained successor",
        "  metricsStore: mimir",
        "  walRetention: 2h40m            # C2: Prometheus Agent buffer while mgmt is away",
        "secrets:",
        "  refreshInterval: 1h            # C3: External Secrets cache bridges Vault outages",
        "pki:",
        "  bootstrap: two-phase           # C5: self-signed first, then the Vault issuer",
        "slo:",
        "  availability: 99.5             # percent",
        "  rto: 1h",
        "  rpo: 1h",
    ]
    if provider == "aws":
        out += ["aws:", "  region: eu-central-1"]
    if provider == "local":
        out += [
            "host:                            # the workstation that runs the VMs",
            "  cpu: 10",
            "  memory: 64Gi",
            "  systemReserved: 8Gi",
            "  reserve: 8Gi",
        ]
    out.append("clusters:")
    for index, (cluster, role) in enumerate(roles):
        out += [f"  - name: {cluster}", f"    role: {role}", "    nodePools:"]
        out += [pool.render() for pool in _pools(edition, provider, role)]
        out.append("    network:")
        out += _network(provider, index, cilium_eni)
        if provider == "aws":
            out += ["    aws:", "      tags:", f"        kubernetes.io/cluster/{cluster}: owned"]
    if edition == "enterprise":
        apps = [c for c, r in roles if r in ("app", "standalone")]
        out += [
            "tenants:                         # Enterprise: namespace, quota and policy per tenant",
            "  - name: team-a",
            f"    clusters: [{', '.join(apps)}]",
            '    quota: {cpu: "8", memory: 16Gi}',
        ]
    return "\n".join(_align_comments(line) for line in out) + "\n"


def _align_comments(line: str, column: int = 34) -> str:
    code, marker, comment = line.partition("  # ")
    if not marker or not code.strip() or code.lstrip().startswith("#"):
        return line
    return f"{code.rstrip():<{column - 1}} # {comment.strip()}"
