"""The schema of a component catalog entry.

Every component the platform can run is one YAML file in ``catalog/data`` that must
match :class:`Component`; a malformed entry fails the test suite, never a user's run.
Selection is data too: an entry is eligible by edition, role, provider and
distribution, included by default or only on request, and may be tied to a spec
choice (``selectedBy``) such as ``networking.cni: cilium``.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator

from stackyard.catalog.settings import SETTING_VALUES, SettingName, value_text
from stackyard.spec.model import (
    DISTRIBUTIONS,
    PROVIDERS,
    Distribution,
    Edition,
    ObjectStorageBuckets,
    Platform,
    Provider,
    Role,
)
from stackyard.yamlio import type_at

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
Lifecycle = Literal["maintained", "deprecated", "retired"]

# What a component can provide or need. A closed vocabulary, so a typo in an entry
# is a schema error instead of a dependency that silently never resolves.
Capability = Literal[
    "access",
    "alerting",
    "api-gateway",
    "backup",
    "certificates",
    "cloud-controller",
    "cluster-mesh",
    "cluster-provisioning",
    "cni",
    "cost",
    "dashboards",
    "dns",
    "flow-visibility",
    "gateway-api",
    "gitops",
    "ingress",
    "load-balancer",
    "logs",
    "log-agent",
    "metrics",
    "metrics-agent",
    "metrics-store",
    "object-storage",
    "policy",
    "policy-library",
    "portal",
    "progressive-delivery",
    "registry",
    "runtime-security",
    "scanning",
    "secrets",
    "secrets-sync",
    "service-mesh",
    "sso",
    "storage",
    "telemetry-pipeline",
    "traces",
    "aiops",
]

_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti)?$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Quantity = Annotated[str, Field(pattern=_QUANTITY.pattern)]


class ResourceAmounts(_Strict):
    """CPU and memory as Kubernetes quantities."""

    cpu: Quantity
    memory: Quantity


class Resources(_Strict):
    """Default requests and limits of one replica, and where the numbers come from."""

    requests: ResourceAmounts
    limits: ResourceAmounts
    source: str = Field(
        description="Where the numbers come from, e.g. 'chart default resources' or the "
        "workload resource plan of the reference local multi-cluster architecture."
    )


class HelmInstall(_Strict):
    """A Helm chart from a repository (HTTP or OCI) or from a Git path."""

    method: Literal["helm"]
    repoURL: str = Field(description="Helm repository URL, oci:// URL or Git URL.")
    chart: str = Field(description="Chart name, or the path inside a Git repository.")
    version: str = Field(description="Pinned chart version (a Git tag for Git sources).")
    kubeVersion: str | None = Field(
        default=None, description="The chart's kubeVersion constraint, if it declares one."
    )


class BuiltinInstall(_Strict):
    """A component the distribution ships (RKE2 add-on charts)."""

    method: Literal["rke2-builtin"]
    addon: str = Field(description="RKE2 add-on name, e.g. rke2-canal.")


class ManifestInstall(_Strict):
    """Plain manifests; ``static`` ones are written to the RKE2 server manifests folder."""

    method: Literal["manifest"]
    static: bool = Field(
        default=False, description="Installed by the node bootstrap, before any pod runs."
    )
    source: str = Field(description="Where the manifests come from (URL or description).")
    image: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)+$",
        description="Repository of the image the rendered workload runs, for manifests "
        "Stackyard writes itself; its tag is Stackyard's version.",
    )


class FeatureInstall(_Strict):
    """A feature switched on inside another component's chart values."""

    method: Literal["feature"]
    parent: str = Field(description="The component whose chart carries this feature.")
    valuesKey: str = Field(description="Dotted values key that switches the feature on.")


Install = Annotated[
    HelmInstall | BuiltinInstall | ManifestInstall | FeatureInstall,
    Field(discriminator="method"),
]


class Need(_Strict):
    """A capability a component needs, where, and how hard at run time."""

    capability: Capability
    scope: Literal["cluster", "platform"] = Field(
        default="cluster",
        description="'cluster': on the same cluster; 'platform': anywhere (usually mgmt).",
    )
    runtime: Literal["install", "soft", "buffered", "hard"] = Field(
        default="install",
        description=(
            "'install': only needed to install or reconcile; 'soft': the component degrades "
            "without it but the cluster's workloads run on; 'buffered': needed at run time, "
            "a local buffer bridges an outage; 'hard': the cluster's workloads break without "
            "it (contract C1 forbids that across clusters)."
        ),
    )
    buffer: str | None = Field(
        default=None,
        description="Spec setting that sizes the buffer, e.g. 'secrets.refreshInterval'.",
    )
    optional: bool = Field(default=False, description="Used when present, fine without.")

    @model_validator(mode="after")
    def _buffer_only_when_buffered(self) -> Need:
        if self.buffer is not None and self.runtime != "buffered":
            raise ValueError("'buffer' only applies to runtime: buffered")
        return self


class Selector(_Strict):
    """Ties an entry to a spec choice: included only when the setting has one of these values.

    ``setting`` is a resolved setting's dotted name (``stackyard.catalog.settings``);
    ``values`` are values it can take, booleans written as YAML booleans (``[true]``).
    """

    setting: SettingName
    values: list[StrictStr | StrictBool] = Field(min_length=1)

    @model_validator(mode="after")
    def _values_the_setting_can_take(self) -> Selector:
        allowed = SETTING_VALUES[self.setting]
        for value in self.values:
            if value not in allowed:
                choices = ", ".join(value_text(v) for v in allowed)
                raise ValueError(f"{self.setting} is never {value!r} (it is one of {choices})")
        return self


class Upstream(_Strict):
    """The upstream project's status, so plans warn before a dead end ships."""

    lifecycle: Lifecycle = "maintained"
    since: datetime.date | None = None
    successor: str | None = Field(default=None, description="Catalog name or product name.")
    note: str = ""

    @model_validator(mode="after")
    def _dead_ends_name_a_way_out(self) -> Upstream:
        if self.lifecycle != "maintained" and not (self.successor and self.since):
            raise ValueError("a deprecated or retired component needs 'since' and 'successor'")
        return self


class AdmissionWebhook(_Strict):
    """An admission webhook the component's chart installs, and what it admits.

    With ``failurePolicy: Fail`` the API server rejects what the webhook admits while the
    component's pods are down; with ``Ignore`` it admits it unchecked. See
    https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#failure-policy
    """

    name: str = Field(description="The webhook configuration's name.")
    admits: str = Field(description="What it admits, in words, e.g. 'cert-manager resources'.")
    pods: bool = Field(default=False, description="It admits Pods (outage stops rollouts).")
    failurePolicy: Literal["Fail", "Ignore"] = Field(description="The chart's default.")
    valuesKey: str | None = Field(
        default=None,
        description="Dotted chart value that sets the failure policy; none: fixed in the chart.",
    )
    source: str = Field(description="Where the chart's default is documented (URL).")


DataPath = Literal["ingress"]


class Modes(_Strict):
    """What one replica and the HA replica count run as, where they differ in kind."""

    single: str = Field(min_length=1, description="The single-replica mode, e.g. standalone.")
    ha: str = Field(min_length=1, description="The HA mode, e.g. three Raft peers.")


class Spread(_Strict):
    """HA pods the chart keeps on separate nodes (a required pod anti-affinity per hostname)."""

    pods: int = Field(ge=2, le=10, description="How many pods need a node each in the HA mode.")
    what: str = Field(
        min_length=1, description="Which pods, and the chart setting that keeps them apart."
    )


class RunPods(_Strict):
    """Pods a component creates at run time, not from its chart, that run on without it.

    A controller that starts the proxies or servers it configures (Envoy Gateway's Envoy
    proxies, the Kiali server the operator runs) leaves them serving their last
    configuration while it is down; simulate makes each a service of its own.
    """

    name: str = Field(pattern=_NAME.pattern, description="How simulate names them.")
    description: str = Field(min_length=1, description="What they are, for reports.")


class UserInterface(_Strict):
    """A web UI people open at ``https://<host>.<domain>`` (an HTTPRoute or Ingress)."""

    host: str = Field(pattern=_NAME.pattern, description="Public host name under the domain.")
    service: str = Field(
        pattern=_NAME.pattern, description="The chart's Service (release name = component name)."
    )
    port: int = Field(ge=1, le=65535, description="The Service port.")


class OidcClient(_Strict):
    """The component signs people in through Keycloak's realm ``platform`` with this client.

    Render adds a confidential client to the realm where the plan runs the component
    (redirect URIs under ``https://<host>.<domain>``), and the component's values name
    ``clientId``.
    """

    clientId: str = Field(pattern=_NAME.pattern, description="The client's id in the realm.")
    host: str | None = Field(
        default=None,
        pattern=_NAME.pattern,
        description="Public host name its redirect URIs are under; none: its UI's host.",
    )
    redirectPaths: list[str] = Field(
        min_length=1,
        description="The application's documented OIDC redirect endpoints, e.g. /auth/callback.",
    )
    groupRoles: dict[str, str] = Field(
        default_factory=dict,
        description="Groups of the token's groups claim its values map to its own roles "
        "(group: role), e.g. Argo CD's policy line for platform-admins.",
    )
    unlessSet: str | None = Field(
        default=None,
        description="A spec field (dotted) that, when set, names another provider the "
        "component signs in with instead of the realm, e.g. fleet.service.oidc: then "
        "neither its client nor its groupRoles apply.",
    )

    @model_validator(mode="after")
    def _paths(self) -> OidcClient:
        for path in self.redirectPaths:
            if not re.fullmatch(r"/[^\s]*", path):
                raise ValueError(f"redirect path {path!r} must start with '/'")
        if (
            self.unlessSet is not None
            and type_at(Platform, tuple(self.unlessSet.split("."))) is None
        ):
            raise ValueError(f"unlessSet: the spec has no field {self.unlessSet}")
        return self


class Endpoint(_Strict):
    """A service of the component that other components use, on its cluster or across clusters.

    On the serving cluster a client uses the Service; elsewhere the serving cluster's
    Gateway at ``https://<host>.<domain>`` (which routes ``host`` to the Service).
    """

    use: Literal["push", "query"] = Field(description="What clients do there.")
    host: str = Field(pattern=_NAME.pattern, description="Public host name under the domain.")
    service: str = Field(pattern=_NAME.pattern, description="The chart's Service.")
    port: int = Field(ge=1, le=65535, description="The Service port.")
    path: str = Field(
        default="", pattern=r"^(/[^\s]*)?$", description="URL path, e.g. /api/v1/push."
    )


SecretNeeded = Literal[
    "always",
    "with-keycloak",
    "on-minio",
    "without-external-store",
    "onprem",
    "loki-on-minio",
    "without-vault",
    "enterprise",
    "metrics-store-elsewhere",
    "with-keycloak-groups",
    "on-aws",
    "vsphere-by-hand",
    "signatures-without-key",
]


class RequiredSecret(_Strict):
    """A Secret the rendered values name and the operator creates before the first sync."""

    name: str = Field(pattern=_NAME.pattern, description="The Secret's name.")
    keys: str = Field(min_length=1, description="Its keys, as the README lists them.")
    purpose: str = Field(min_length=1, description="What it holds, for the README.")
    needed: SecretNeeded = Field(
        default="always",
        description="When render needs it: 'always', or a condition on the plan "
        "(render/readme.py says what each means).",
    )
    namespaceOf: str | None = Field(
        default=None,
        description="The component whose namespace holds it; none: this component's.",
    )
    kind: Literal["Secret", "ConfigMap"] = Field(
        default="Secret",
        description="ConfigMap where the component reads only a ConfigMap (a CA bundle for "
        "Kiali); nothing secret may go into one.",
    )


CredentialsKey = Literal["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "cloud"]
"""Keys of the spec's ``objectStorage.credentialsSecret``: the AWS SDK's environment
variables, and ``cloud``, an AWS credentials file (Velero's BackupStorageLocation)."""


class StoreValues(_Strict):
    """Where the chart's values name the object store its uploads go to (dotted keys)."""

    backend: str = Field(min_length=1, description="The backend it writes to (s3, filesystem).")
    endpoint: str = Field(
        min_length=1, description="The S3 endpoint; absent with an S3 backend: AWS's."
    )
    default: str = Field(
        default="",
        description="The chart's backend when the values name none; empty: a Secret the "
        "operator creates decides, which the render does not see.",
    )
    source: str = Field(default="", description="Where the chart documents that default (URL).")


class ObjectStoreUse(_Strict):
    """The component keeps data in the platform's object store (MinIO, S3 or ``objectStorage``)."""

    use: str = Field(
        description="The spec's objectStorage.buckets field that names its bucket there."
    )
    bucketSuffix: str = Field(
        pattern=_NAME.pattern, description="Its bucket defaults to <platform>-<bucketSuffix>."
    )
    keys: list[CredentialsKey] = Field(
        min_length=1, description="The keys it reads from the store's credentials Secret."
    )
    required: bool = Field(
        default=True,
        description="It has nowhere to keep its data without an object store (plan error "
        "SY701); false: it falls back to its own volume.",
    )
    platformStore: bool = Field(
        default=True,
        description="Without the spec's objectStorage it writes to the platform's own store "
        "(MinIO on its cluster, S3 on AWS); false: only to objectStorage, else to its own "
        "volume (its chart values name no other store).",
    )
    values: StoreValues | None = Field(
        default=None,
        description="Where its chart values name the store, for validate and simulate; "
        "none: render writes no such values (the store is in a manifest).",
    )

    @model_validator(mode="after")
    def _a_bucket_of_the_spec(self) -> ObjectStoreUse:
        if self.use not in ObjectStorageBuckets.model_fields:
            uses = ", ".join(ObjectStorageBuckets.model_fields)
            raise ValueError(f"use {self.use!r} is no objectStorage.buckets field ({uses})")
        return self


class RequestMetrics(_Strict):
    """PromQL selectors of the requests an edge proxy serves (the gateway availability SLI)."""

    errors: str = Field(min_length=1, description="Selector of the failed (5xx) requests.")
    total: str = Field(min_length=1, description="Selector of every request.")


class SnapshotClass(_Strict):
    """The VolumeSnapshotClass a CSI driver needs for Velero's CSI snapshots."""

    parameters: dict[str, str] = Field(
        default_factory=dict, description="The driver's class parameters, as its docs give them."
    )
    source: str = Field(min_length=1, description="Where the driver documents them (URL).")


class StorageClassFact(_Strict):
    """A StorageClass a storage provider puts on every cluster it runs on."""

    name: str = Field(pattern=_NAME.pattern, max_length=63, description="The class's name.")
    default: bool = Field(
        default=False,
        description="It is the cluster's default class (annotated "
        "storageclass.kubernetes.io/is-default-class).",
    )
    source: str = Field(
        min_length=1, description="What creates it: the chart value, or Stackyard's manifest."
    )


_API_GROUP = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$"


class CsiDriver(_Strict):
    """The CSI driver a storage provider registers, and whether it takes volume snapshots."""

    driver: str = Field(
        min_length=1, description="The driver name PersistentVolumes carry (spec.csi.driver)."
    )
    snapshots: SnapshotClass | None = Field(
        default=None,
        description="The snapshot class for its CSI VolumeSnapshots; none: it takes none, "
        "so Velero copies its volumes file by file.",
    )


class Values(_Strict):
    """How render computes the component's per-cluster chart values."""

    builder: str | None = Field(
        default=None,
        pattern=_NAME.pattern,
        description="The value builder (render/valuebuilders) that computes what depends on "
        "the cluster and plan; none: the values file alone.",
    )


class Component(_Strict):
    """One catalog entry."""

    name: str = Field(pattern=_NAME.pattern, max_length=63)
    title: str
    description: str
    install: Install
    namespace: str = Field(pattern=_NAME.pattern, max_length=63)
    podSecurity: PodSecurityLevel = Field(
        description="Pod Security Admission level its namespace enforces."
    )
    provides: list[Capability] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)
    conflicts: list[str] = Field(
        default_factory=list, description="Component names that cannot run beside it."
    )
    editions: list[Edition] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    providers: list[Provider] = Field(default_factory=lambda: list(PROVIDERS))
    distributions: list[Distribution] = Field(default_factory=lambda: list(DISTRIBUTIONS))
    default: bool = Field(
        default=True, description="Included when eligible; false means only on request."
    )
    selectedBy: list[Selector] = Field(
        default_factory=list, description="Spec choices that must all hold to include it."
    )
    orSelectedBy: list[Selector] = Field(
        default_factory=list,
        description="Other spec choices that, all holding, include it too where selectedBy "
        "does not hold (istiod: the Gateway API on Canal, or the service mesh).",
    )
    companionOf: str | None = Field(
        default=None,
        pattern=_NAME.pattern,
        description="The component it exists to work with, usually on other clusters "
        "(teleport-kube-agent: teleport on mgmt); it stays out wherever the platform turns "
        "that component off.",
    )
    syncWave: int = Field(ge=-20, le=20, description="Argo CD sync wave.")
    workload: Literal["deployment", "statefulset", "daemonset", "none"] = "deployment"
    replicas: int = Field(default=1, ge=0, le=10)
    haReplicas: int | None = Field(
        default=None, ge=2, le=10, description="Replicas when the cluster runs HA."
    )
    replicaKeys: list[str] = Field(
        default_factory=list,
        description="Dotted chart values keys that take the replica count (the chart's "
        "documented keys); render writes the plan's count there.",
    )
    modes: Modes | None = Field(
        default=None, description="What the single and HA replica counts run as (plan --why)."
    )
    haNeedsObjectStorage: bool = Field(
        default=False,
        description="The HA replica count needs an object store; where the component keeps "
        "its data on its own volume it runs its single count (the chart refuses more).",
    )
    localVolume: bool = Field(
        default=False,
        description="On provider local without the spec's objectStorage, it keeps its data on "
        "its own volume rather than in an object store.",
    )
    haSpread: list[Spread] = Field(
        default_factory=list,
        description="HA pods that each need their own schedulable node (SY511).",
    )
    resources: Resources | None = None
    namespaceProxy: Resources | None = Field(
        default=None,
        description="A proxy it starts in each namespace that needs one (istiod: the waypoint "
        "of an ambient mesh namespace with HTTP services): requests and limits of one, set in "
        "its values where used and counted against tenant quotas.",
    )
    admission: list[AdmissionWebhook] = Field(
        default_factory=list, description="Admission webhooks its chart installs."
    )
    dataPath: list[DataPath] = Field(
        default_factory=list,
        description="Traffic that flows through its pods: 'ingress' (requests from outside).",
    )
    runs: list[RunPods] = Field(
        default_factory=list,
        description=(
            "Pods it creates at run time, not from its chart, which keep running while it "
            "is down (proxies a gateway controller starts)."
        ),
    )
    storage: str | None = Field(default=None, pattern=_QUANTITY.pattern)
    ui: UserInterface | None = Field(default=None, description="The web UI people open.")
    oidc: OidcClient | None = Field(
        default=None, description="Its OIDC client in Keycloak's platform realm (sign-in)."
    )
    endpoints: list[Endpoint] = Field(
        default_factory=list, description="Services other components push to or query."
    )
    egress: list[str] = Field(
        default_factory=list,
        description="Services outside the platform it talks to by nature (Git, registries, "
        "cloud APIs...); render allows its egress to the world.",
    )
    secrets: list[RequiredSecret] = Field(
        default_factory=list,
        description="Secrets its values or manifests name that must exist before the first "
        "sync (the README lists them).",
    )
    gatewayClass: str | None = Field(
        default=None,
        pattern=_NAME.pattern,
        description="It implements the Gateway API: the GatewayClass of the platform Gateway, "
        "which lives in its namespace.",
    )
    ingressClass: str | None = Field(
        default=None,
        pattern=_NAME.pattern,
        description="It is an ingress controller: the IngressClass platform routes use.",
    )
    requestMetrics: RequestMetrics | None = Field(
        default=None, description="Its request metrics, for the gateway availability SLO."
    )
    csi: CsiDriver | None = Field(
        default=None,
        description="The CSI driver of a storage provider; none: its volumes are not CSI.",
    )
    objectStore: ObjectStoreUse | None = Field(
        default=None, description="What it keeps in the platform's object store, and how."
    )
    crds: list[Annotated[str, Field(pattern=_API_GROUP)]] = Field(
        default_factory=list,
        description="API groups of the CustomResourceDefinitions its chart installs: custom "
        "resources of these groups exist only where it runs.",
    )
    storageClasses: list[StorageClassFact] = Field(
        default_factory=list,
        description="The StorageClasses a storage provider creates where it runs.",
    )
    values: Values = Field(default_factory=Values)
    upstream: Upstream = Field(default_factory=Upstream)
    docs: str | None = Field(default=None, description="Upstream documentation URL.")

    @model_validator(mode="after")
    def _consistent(self) -> Component:
        if self.name in self.conflicts:
            raise ValueError("a component cannot conflict with itself")
        if self.orSelectedBy and not self.selectedBy:
            raise ValueError("'orSelectedBy' is an alternative to 'selectedBy': give both")
        if self.workload != "none" and self.install.method != "feature" and not self.resources:
            raise ValueError("a component that runs pods needs default 'resources'")
        if self.replicaKeys and self.install.method != "helm":
            raise ValueError("'replicaKeys' are chart values keys: only for helm installs")
        if self.install.method == "feature" and self.install.parent == self.name:
            raise ValueError("a feature's parent must be another component")
        if self.companionOf == self.name:
            raise ValueError("a component cannot be its own companion")
        if self.oidc is not None and self.oidc.host is None and self.ui is None:
            raise ValueError("an 'oidc' client without a UI names its 'host'")
        if self.storageClasses and "storage" not in self.provides:
            raise ValueError("only a storage provider creates 'storageClasses'")
        if sum(c.default for c in self.storageClasses) > 1:
            raise ValueError("at most one of its 'storageClasses' is the default")
        uses = [e.use for e in self.endpoints]
        if len(uses) != len(set(uses)):
            raise ValueError("one endpoint per use ('push', 'query')")
        return self


ChartValues = dict[str, Any]


class ValuesKeys(_Strict):
    """Where generic settings go in this chart's values (dotted paths)."""

    resources: list[str] = Field(
        default_factory=list, description="Keys that take the catalog requests/limits."
    )


class ValuesData(_Strict):
    """A component's values file (``catalog/values/<name>.yaml``): its chart's base values.

    Render writes ``common`` and the edition's, role's and (where the cluster runs HA)
    ``ha`` values in Argo CD's value layers; every key must exist in the pinned chart.
    """

    keys: ValuesKeys = Field(default_factory=ValuesKeys)
    common: ChartValues = Field(default_factory=dict)
    editions: dict[str, ChartValues] = Field(default_factory=dict)
    roles: dict[str, ChartValues] = Field(default_factory=dict)
    ha: ChartValues = Field(default_factory=dict, description="Merged where the cluster runs HA.")
    notes: str = ""
