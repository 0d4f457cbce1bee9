"""The typed model of ``platform.yaml``.

Field descriptions here are the spec reference: ``stackyard schema`` publishes them as
JSON Schema for editors and ``docs/spec-reference.md`` is generated from them. Unknown
keys are errors everywhere, so a typo can never be silently ignored. Settings that the
planner defaults from edition and provider are written ``auto``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from stackyard.spec.airgap import Airgap
from stackyard.spec.apis import Api
from stackyard.spec.base import DNS_LABEL as _DNS_LABEL
from stackyard.spec.base import EDITIONS as EDITIONS
from stackyard.spec.base import Edition as Edition
from stackyard.spec.base import SpecModel as _Spec
from stackyard.spec.base import refuse_bad_labels
from stackyard.spec.fleet import Fleet
from stackyard.spec.hardening import Hardening
from stackyard.spec.identity import Identity
from stackyard.spec.mesh import Mesh, Service
from stackyard.spec.policy import Policy
from stackyard.spec.text import Text
from stackyard.spec.units import (
    Count,
    Duration,
    Number,
    PositiveDuration,
    PositiveQuantity,
    Quantity,
    Range,
    parse_duration,
)

Provider = Literal["aws", "onprem", "local"]
Distribution = Literal["rke2", "kubeadm"]
Role = Literal["mgmt", "app", "standalone"]

PROVIDERS: tuple[Provider, ...] = ("aws", "onprem", "local")
DISTRIBUTIONS: tuple[Distribution, ...] = ("rke2", "kubeadm")
ROLES: tuple[Role, ...] = ("mgmt", "app", "standalone")

API_VERSION = "stackyard.dev/v1alpha1"
_DOMAIN = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$")
# A Kubernetes version as every layer accepts it (use ``fullmatch``): ASCII digits, at most
# nine to a part, so ``int()`` of any part is small and cannot fail.
KUBERNETES_VERSION = re.compile(r"v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?", re.ASCII)


class Kubernetes(_Spec):
    """The Kubernetes distribution and version every cluster runs."""

    distribution: Distribution = Field(
        description="rke2 (CSP-independent, air-gap capable) or kubeadm (local VMs)."
    )
    version: Text = Field(
        description='Kubernetes minor or patch version, quoted: "1.35" or "1.35.2".'
    )
    cloudProvider: Literal["external", "in-tree", "none"] = Field(
        default="external",
        description="'external' runs a cloud-controller-manager; in-tree is gone since 1.30.",
    )

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError(
                f'quote the version, e.g. "1.35": unquoted YAML reads the number {value!r}'
            )
        return value

    @field_validator("version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not KUBERNETES_VERSION.fullmatch(value):
            raise ValueError(f'{value!r} is not a Kubernetes version such as "1.35"')
        return value

    @property
    def minor(self) -> tuple[int, int]:
        """``(major, minor)`` of the version."""
        match = KUBERNETES_VERSION.fullmatch(self.version)
        assert match is not None  # checked by the validator
        return int(match.group(1)), int(match.group(2))

    @property
    def semver(self) -> str:
        """The version as ``major.minor.patch`` (patch 0 when not given)."""
        match = KUBERNETES_VERSION.fullmatch(self.version)
        assert match is not None
        return f"{match.group(1)}.{match.group(2)}.{match.group(3) or 0}"


class GitOps(_Spec):
    """Where the rendered GitOps repository lives, as Argo CD will read it."""

    repoURL: Text = Field(min_length=1, description="Git URL Argo CD pulls from.")
    revision: Text = Field(default="main", min_length=1, description="Branch, tag or commit.")
    path: Text = Field(default=".", description="Folder inside the repository.")

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if value.startswith("/") or ".." in parts:
            raise ValueError("path must stay inside the repository (no leading / or ..)")
        return value


class NodePool(_Spec):
    """A group of identical nodes."""

    name: Text = Field(pattern=_DNS_LABEL, max_length=40, description="Pool name (a DNS label).")
    role: Literal["control-plane", "worker"] = Field(
        default="worker", description="control-plane nodes run etcd and the API server."
    )
    count: Count = Field(ge=1, le=5000, description="How many nodes.")
    cpu: PositiveQuantity = Field(description="vCPUs per node, e.g. 2 or 4.")
    memory: PositiveQuantity = Field(description="Memory per node, e.g. 4Gi.")
    disk: PositiveQuantity | None = Field(
        default=None, description="Root disk per node, e.g. 40Gi."
    )
    schedulable: bool | None = Field(
        default=None,
        description="Whether platform pods may run here; default: workers yes, control plane no.",
    )
    instanceType: Text | None = Field(default=None, description="Cloud instance type, if any.")

    @property
    def takes_workloads(self) -> bool:
        """Whether non-DaemonSet pods can be scheduled on these nodes."""
        return self.schedulable if self.schedulable is not None else self.role == "worker"


class ClusterNetwork(_Spec):
    """A cluster's address plan."""

    nodeRange: Range = Field(description="Node addresses (VPC subnet or VM range).")
    nodeSubnet: Range | None = Field(
        default=None,
        description="The L2 network around the nodes; a MetalLB pool must lie inside it.",
    )
    podCIDR: Range | None = Field(
        default=None, description="Pod addresses; optional with Cilium ENI (pods use VPC IPs)."
    )
    serviceCIDR: Range = Field(description="ClusterIP service addresses.")
    loadBalancerPool: Range | None = Field(
        default=None, description="Addresses MetalLB hands to LoadBalancer services."
    )


class ComponentOverride(_Spec):
    """Turn a catalog component on or off, or layer Helm values over the defaults."""

    enabled: bool | None = Field(default=None, description="Force on (true) or off (false).")
    values: dict[str, Any] = Field(default_factory=dict, description="Helm values overlay.")


class AwsCluster(_Spec):
    """AWS details of one cluster."""

    region: Text | None = Field(default=None, description="Overrides the platform region.")
    tags: dict[Text, Text] = Field(
        default_factory=dict,
        description="EC2 tags; the external CCM needs kubernetes.io/cluster/<name>: owned.",
    )
    zones: list[Annotated[Text, Field(min_length=1)]] = Field(
        default_factory=list,
        description=(
            "Availability zones the cluster's subnets span, e.g. [ap-northeast-2a, "
            "ap-northeast-2b, ap-northeast-2c]; default: the region's first three."
        ),
    )

    @field_validator("zones")
    @classmethod
    def _unique_zones(cls, zones: list[str]) -> list[str]:
        duplicates = sorted({z for z in zones if zones.count(z) > 1})
        if duplicates:
            raise ValueError(f"zones must be unique: {', '.join(duplicates)}")
        return zones


class VSphereCluster(_Spec):
    """vSphere details of one cluster Cluster API creates there."""

    apiVIP: Text | None = Field(
        default=None,
        description=(
            "The API server's virtual IP, which kube-vip on the control-plane nodes holds: "
            "an unused address of network.nodeSubnet, outside network.nodeRange (the "
            "machines' DHCP range) and network.loadBalancerPool; required (SY422, SY423)."
        ),
    )

    @field_validator("apiVIP")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ipaddress.ip_address(value)
        except ValueError as e:
            raise ValueError(f"{value!r} is not an IP address such as 192.168.10.5") from e
        return value


class Cluster(_Spec):
    """One Kubernetes cluster of the platform."""

    name: Text = Field(
        pattern=_DNS_LABEL,
        max_length=40,
        description="Cluster name (a DNS label); AWS tags use it.",
    )
    role: Role = Field(description="mgmt runs platform services, app runs workloads.")
    nodePools: list[NodePool] = Field(min_length=1, description="Groups of identical nodes.")
    network: ClusterNetwork = Field(description="The cluster's address plan.")
    labels: dict[Text, Text] = Field(
        default_factory=dict, description="Extra labels for the Argo CD cluster secret."
    )
    components: dict[str, ComponentOverride] = Field(
        default_factory=dict, description="Per-cluster overrides, layered over platform ones."
    )
    policyMode: Literal["enforce", "audit"] | None = Field(
        default=None, description="Kyverno failure action here; default from policy.mode."
    )
    policyTemplate: Text | None = Field(
        default=None,
        description=(
            "The policy template this cluster carries (baseline, restricted, regulated or one "
            "of policy.templates); default: the first of policy.assignments whose labels "
            "match, else the template policy.mode implies."
        ),
    )
    aws: AwsCluster | None = Field(default=None, description="AWS details of this cluster.")
    vsphere: VSphereCluster | None = Field(
        default=None, description="vSphere details of this cluster (provider onprem)."
    )
    ha: bool | None = Field(
        default=None, description="Run HA replicas; default: true when 3+ control-plane nodes."
    )
    provisioning: Literal["auto", "clusterapi", "manual"] = Field(
        default="auto",
        description=(
            "Who creates the cluster's machines. clusterapi: Cluster API on the mgmt cluster "
            "(provider aws, or onprem with onprem.vsphere; the render writes the cluster's "
            "Cluster API objects there); manual: you do, from the rendered node files. auto: "
            "clusterapi for app clusters on AWS and on onprem with a vCenter, manual "
            "otherwise."
        ),
    )
    serviceAccountJwks: Text | None = Field(
        default=None,
        description=(
            "The public keys that sign this cluster's service-account tokens, as the API server "
            "publishes them (kubectl get --raw /openid/v1/jwks), once the cluster exists; "
            "Teleport on mgmt admits this app cluster's agent with them. Public keys, no secret."
        ),
    )

    @field_validator("serviceAccountJwks")
    @classmethod
    def _a_key_set(cls, jwks: str | None) -> str | None:
        if jwks is None:
            return None
        try:
            document = json.loads(jwks)
        except json.JSONDecodeError as e:
            raise ValueError(f"not JSON ({e.msg} at character {e.pos})") from e
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
            raise ValueError('not a JSON Web Key Set: expected {"keys": [ ... ]} with keys')
        return jwks

    @field_validator("labels")
    @classmethod
    def _kubernetes_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return refuse_bad_labels(labels)

    @field_validator("nodePools")
    @classmethod
    def _unique_pools(cls, pools: list[NodePool]) -> list[NodePool]:
        names = [p.name for p in pools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"node pool names must be unique: {', '.join(duplicates)}")
        if not any(p.role == "control-plane" for p in pools):
            raise ValueError("a cluster needs a node pool with role: control-plane")
        return pools

    @property
    def control_plane_nodes(self) -> int:
        """How many control-plane nodes the cluster has."""
        return sum(p.count for p in self.nodePools if p.role == "control-plane")

    @property
    def node_count(self) -> int:
        """How many nodes the cluster has."""
        return sum(p.count for p in self.nodePools)

    @property
    def is_ha(self) -> bool:
        """Whether components run their HA replica counts here."""
        return self.ha if self.ha is not None else self.control_plane_nodes >= 3


class Networking(_Spec):
    """Platform-wide network choices."""

    cni: Literal["auto", "canal", "cilium"] = Field(
        default="auto", description="auto: Canal for Community on RKE2, Cilium otherwise."
    )
    ciliumRoutingMode: Literal["auto", "tunnel", "native", "eni"] = Field(
        default="auto", description="auto: eni on AWS, tunnel (VXLAN) elsewhere."
    )
    ingress: Literal["gateway-api", "ingress-nginx", "none"] = Field(
        default="gateway-api",
        description="gateway-api (maintained) or ingress-nginx (retired upstream in 2026).",
    )
    loadBalancer: Literal["auto", "aws-lb-controller", "cloud-controller", "metallb", "none"] = (
        Field(
            default="auto",
            description=(
                "auto: AWS Load Balancer Controller on AWS with Cilium, the CCM with Canal, "
                "MetalLB elsewhere."
            ),
        )
    )
    loadBalancerTargetType: Literal["auto", "ip", "instance"] = Field(
        default="auto", description="NLB target type on AWS; ip needs VPC-routable pod IPs."
    )
    clusterMesh: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Cilium Cluster Mesh; auto: on with Cilium and 2 to 511 clusters.",
    )

    @field_validator("clusterMesh", mode="before")
    @classmethod
    def _switch_read_as_boolean(cls, value: object) -> object:
        # YAML 1.1, which PyYAML reads, turns an unquoted on/off into true/false.
        if isinstance(value, bool):
            return "on" if value else "off"
        return value


class Observability(_Spec):
    """Metrics, logs and traces choices."""

    metricsStore: Literal["thanos", "mimir"] = Field(
        default="mimir", description="Long-term metrics store on the mgmt cluster."
    )
    logAgent: Literal["alloy", "promtail"] = Field(
        default="alloy", description="Log shipper; promtail is deprecated upstream for alloy."
    )
    walRetention: Duration = Field(
        default="2h40m",
        description="Prometheus Agent WAL buffer on app clusters (contract C2, ~2.7 h).",
    )


class Secrets(_Spec):
    """Secret delivery settings."""

    refreshInterval: Duration = Field(
        default="1h",
        description="External Secrets refresh interval; its cache bridges Vault outages (C3).",
    )


class Pki(_Spec):
    """How cluster certificates are issued."""

    issuer: Literal["auto", "vault", "self-signed", "acme"] = Field(
        default="auto",
        description="ClusterIssuer for platform certificates; auto: vault where Vault runs.",
    )
    bootstrap: Literal["two-phase", "direct"] = Field(
        default="two-phase",
        description="two-phase: self-signed first, then Vault (contract C5).",
    )


class Slo(_Spec):
    """The service-level objectives the platform is held to."""

    availability: Number = Field(
        default=99.0,
        gt=0,
        lt=100,
        allow_inf_nan=False,
        description="Availability target in percent, above 0 and below 100, e.g. 99.9.",
    )
    rto: PositiveDuration = Field(default="1h", description="Recovery time objective.")
    rpo: Duration = Field(
        default="24h",
        description="Recovery point objective; at least 1m (snapshots are cron jobs).",
    )

    @field_validator("rpo")
    @classmethod
    def _rpo_at_least_a_minute(cls, value: str) -> str:
        if parse_duration(value) < 60:
            raise ValueError(f"{value!r} is under a minute; backups run at most once a minute")
        return value


class Host(_Spec):
    """The machine that runs local VMs (provider local)."""

    cpu: Count = Field(ge=1, le=4096, description="Physical cores.")
    memory: PositiveQuantity = Field(description="Physical memory, e.g. 64Gi.")
    systemReserved: Quantity = Field(
        default="8Gi", description="Memory kept for the host OS (a 64 GB host leaves 56 usable)."
    )
    externalServices: Quantity = Field(
        default="0", description="Memory of services beside the VMs (e.g. Harbor and Nexus, 6GB)."
    )
    reserve: Quantity = Field(
        default="0", description="Memory deliberately left free as a buffer (e.g. 24GB)."
    )


class Tenant(_Spec):
    """A tenant: its own namespaces, quota and policies (Enterprise multi-tenancy)."""

    name: Text = Field(pattern=_DNS_LABEL, max_length=40, description="Tenant name (a DNS label).")
    clusters: list[Text] = Field(min_length=1, description="Clusters the tenant runs on.")
    namespaces: list[Annotated[Text, Field(pattern=_DNS_LABEL, max_length=63)]] = Field(
        default_factory=list, description="Namespaces of the tenant; default: its name."
    )
    quota: dict[Literal["cpu", "memory"], PositiveQuantity] = Field(
        default_factory=dict, description="ResourceQuota totals: cpu and memory."
    )

    @property
    def namespace_names(self) -> list[str]:
        """The tenant's namespaces (its name when it declares none)."""
        return list(self.namespaces) or [self.name]


class Aws(_Spec):
    """AWS settings shared by every cluster."""

    region: Text = Field(min_length=1, description="AWS region, e.g. ap-northeast-2.")
    stateBucket: Text | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description=(
            "S3 bucket holding the Terraform state of the infrastructure/ stacks; "
            "default: <platform>-terraform-state."
        ),
    )


class VSphere(_Spec):
    """The vCenter in which Cluster API creates the onprem clusters' VMs.

    Through its vSphere provider; every cluster's machines go to the same datacenter,
    datastore and network.
    """

    server: Text = Field(min_length=1, description="vCenter's address, e.g. vcenter.corp.example.")
    thumbprint: Text | None = Field(
        default=None,
        pattern=r"^([0-9A-Fa-f]{2}:){19,31}[0-9A-Fa-f]{2}$",
        description=(
            "Fingerprint of vCenter's TLS certificate (SHA-1 or SHA-256, colon-separated "
            "hex); default: its certificate must chain to a trusted CA."
        ),
    )
    datacenter: Text = Field(min_length=1, description="Datacenter the VMs are created in.")
    datastore: Text = Field(min_length=1, description="Datastore of the VMs' disks.")
    network: Text = Field(
        min_length=1,
        description=(
            "Port group of the VMs' NIC; its DHCP gives them addresses from network.nodeRange."
        ),
    )
    resourcePool: Text | None = Field(
        default=None, description="Resource pool of the VMs; default: the datacenter's root."
    )
    folder: Text | None = Field(
        default=None, description="VM folder of the VMs; default: the datacenter's root."
    )
    template: Text | None = Field(
        default=None,
        description=(
            "The VM template every machine is cloned from: an image with the distribution's "
            "binaries for kubernetes.version (image-builder's OVAs); required (SY424)."
        ),
    )
    credentialsRef: Text = Field(
        pattern=r"^[A-Za-z0-9][-A-Za-z0-9_./]*$",
        max_length=253,
        description=(
            "Key in Vault's KV engine (secret/) holding the vCenter account's username and "
            "password; External Secrets on mgmt copies them to Cluster API, and without it "
            "you create the Secrets the README names. Never the credentials themselves."
        ),
    )


class Onprem(_Spec):
    """On-premises settings shared by every cluster (provider onprem)."""

    vsphere: VSphere | None = Field(
        default=None,
        description=(
            "A vCenter: Cluster API on mgmt creates the app clusters' VMs there; without "
            "it every cluster runs on machines you provide, from the rendered node files."
        ),
    )


_S3_BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
_SECRET_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


class ObjectStorageBuckets(_Spec):
    """One bucket per use of the object store; each defaults to ``<platform>-<use>``."""

    velero: Text | None = Field(
        default=None, pattern=_S3_BUCKET, description="Velero backups (every cluster)."
    )
    loki: Text | None = Field(default=None, pattern=_S3_BUCKET, description="Loki chunks.")
    tempo: Text | None = Field(default=None, pattern=_S3_BUCKET, description="Tempo traces.")
    thanos: Text | None = Field(default=None, pattern=_S3_BUCKET, description="Thanos blocks.")
    mimir: Text | None = Field(default=None, pattern=_S3_BUCKET, description="Mimir blocks.")
    etcdSnapshots: Text | None = Field(
        default=None, pattern=_S3_BUCKET, description="RKE2 etcd snapshot copies."
    )


class ObjectStorage(_Spec):
    """An S3-compatible object store outside the platform, used instead of MinIO.

    Velero, Loki, Tempo, Thanos, Mimir and RKE2 etcd snapshots write to it. On AWS,
    leave ``endpoint`` and ``credentialsSecret`` out: S3 itself is reached with the
    nodes' instance profile or IRSA.
    """

    endpoint: Text | None = Field(
        default=None,
        pattern=r"^https?://[^\s/@]+(:[0-9]{1,5})?/?$",
        description=("S3 API URL, e.g. https://s3.example.com; omit on AWS for S3 in the region."),
    )
    region: Text | None = Field(
        default=None,
        min_length=1,
        description="Bucket region; default: aws.region on AWS, else us-east-1.",
    )
    pathStyle: bool | None = Field(
        default=None,
        description="Path-style addressing; default: true with an endpoint, false on AWS S3.",
    )
    credentialsSecret: Text | None = Field(
        default=None,
        pattern=_SECRET_NAME,
        max_length=253,
        description=(
            "Name of the Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and `cloud`, "
            "a credentials file, for Velero) in each consumer's namespace; omit to use the "
            "nodes' IAM role or IRSA."
        ),
    )
    buckets: ObjectStorageBuckets = Field(
        default_factory=ObjectStorageBuckets, description="Bucket names per use."
    )


class Platform(_Spec):
    """A whole platform: one ``platform.yaml``."""

    apiVersion: Literal["stackyard.dev/v1alpha1"] = Field(description="Spec format version.")
    kind: Literal["Platform"] = Field(description="Always Platform.")
    name: Text = Field(pattern=_DNS_LABEL, max_length=40, description="Platform name.")
    edition: Edition = Field(description="Which component bundle (community/standard/enterprise).")
    provider: Provider = Field(description="Where the clusters run.")
    kubernetes: Kubernetes = Field(description="Distribution and version.")
    gitops: GitOps = Field(description="The Git repository Argo CD reads.")
    domain: Text = Field(description="Base DNS domain for platform endpoints.")
    clusters: list[Cluster] = Field(min_length=1, description="Every cluster of the platform.")
    networking: Networking = Field(default_factory=Networking, description="Network choices.")
    observability: Observability = Field(
        default_factory=Observability, description="Metrics and logs choices."
    )
    secrets: Secrets = Field(default_factory=Secrets, description="Secret delivery.")
    pki: Pki = Field(default_factory=Pki, description="Certificate issuing.")
    policy: Policy = Field(default_factory=Policy, description="Policy as code.")
    slo: Slo = Field(default_factory=Slo, description="Service-level objectives.")
    tenants: list[Tenant] = Field(
        default_factory=list, description="Tenants (Enterprise multi-tenancy)."
    )
    host: Host | None = Field(default=None, description="Required for provider local.")
    aws: Aws | None = Field(default=None, description="Required for provider aws.")
    onprem: Onprem | None = Field(default=None, description="For provider onprem only.")
    objectStorage: ObjectStorage | None = Field(
        default=None,
        description="An external S3-compatible store; without it MinIO (or S3 on AWS) is used.",
    )
    components: dict[str, ComponentOverride] = Field(
        default_factory=dict, description="Platform-wide component overrides."
    )
    mesh: Mesh = Field(
        default_factory=Mesh, description="The service mesh (Istio) for tenants' services."
    )
    services: list[Service] = Field(
        default_factory=list, description="Tenants' services: ports, callers, versions."
    )
    apis: list[Api] = Field(
        default_factory=list, description="Tenants' backend APIs behind the API gateway."
    )
    identity: Identity = Field(
        default_factory=Identity,
        description=(
            "People and their access: company directories for Keycloak to federate, the "
            "second factor, groups and their roles, and applications beyond the platform's "
            "own."
        ),
    )
    hardening: Hardening | None = Field(
        default=None,
        description="CIS hardening, encryption of Secrets at rest and the API audit log; "
        "without it the distribution's defaults apply.",
    )
    airgap: Airgap | None = Field(
        default=None,
        description="The internal OCI registry and Git server of a disconnected platform: "
        "charts, images and the GitOps repository come from there, never the internet.",
    )
    fleet: Fleet = Field(
        default_factory=Fleet,
        description="The fleet service (stackyard serve) deployed on the mgmt cluster.",
    )

    @field_validator("domain")
    @classmethod
    def _dns_domain(cls, value: str) -> str:
        if not _DOMAIN.match(value) or len(value) > 253:
            raise ValueError(f"{value!r} is not a DNS domain such as platform.example.com")
        return value

    def cluster(self, name: str) -> Cluster:
        """The cluster called ``name``."""
        return next(c for c in self.clusters if c.name == name)

    def tenant(self, name: str) -> Tenant | None:
        """The tenant called ``name``, if declared."""
        return next((t for t in self.tenants if t.name == name), None)

    def service(self, tenant: str, name: str) -> Service | None:
        """The service ``name`` of ``tenant``, if declared."""
        return next((s for s in self.services if s.tenant == tenant and s.name == name), None)

    def service_namespace(self, service: Service) -> str:
        """The namespace ``service`` runs in: its own, else its tenant's first namespace."""
        if service.namespace:
            return service.namespace
        tenant = self.tenant(service.tenant)
        return tenant.namespace_names[0] if tenant else service.tenant

    @property
    def cis(self) -> bool:
        """Whether the nodes follow the CIS Kubernetes Benchmark (``hardening.cis``)."""
        return self.hardening is not None and self.hardening.cis_on(self.edition)

    def provisioned_by_cluster_api(self, cluster: Cluster) -> bool:
        """Whether Cluster API on mgmt creates ``cluster``'s machines (``provisioning``)."""
        if cluster.provisioning == "auto":
            return cluster.role == "app" and (self.provider == "aws" or self.vsphere is not None)
        return cluster.provisioning == "clusterapi"

    @property
    def vsphere(self) -> VSphere | None:
        """The vCenter of an onprem platform, if the spec names one."""
        if self.provider != "onprem" or self.onprem is None:
            return None
        return self.onprem.vsphere

    @property
    def cluster_api_clusters(self) -> list[Cluster]:
        """The clusters Cluster API on mgmt provisions, in spec order."""
        return [c for c in self.clusters if self.provisioned_by_cluster_api(c)]

    @property
    def mesh_tenants(self) -> list[Tenant]:
        """The tenants whose namespaces join the mesh (none while it is off)."""
        if not self.mesh.enabled:
            return []
        chosen = self.mesh.tenants
        return [t for t in self.tenants if chosen is None or t.name in chosen]

    @property
    def mesh_namespaces(self) -> list[str]:
        """Every namespace in the mesh, in spec order, each once (none while it is off)."""
        if not self.mesh.enabled:
            return []
        names = [n for t in self.mesh_tenants for n in t.namespace_names]
        return list(dict.fromkeys([*names, *self.mesh.namespaces]))
