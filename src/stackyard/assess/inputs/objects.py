"""Kubernetes objects found in a repository, and the compact facts kept about them.

Any mapping with a string ``apiVersion`` and ``kind`` is an object; a ``kind: List``
(what ``kubectl get -A -o yaml`` writes) is opened into its items, each keeping its
own position. To keep memory flat on large trees, the index keeps whole objects only
of the kinds and API groups some detector reads (``KEPT_KINDS``, ``KEPT_GROUPS``);
every workload is reduced to a ``Workload`` (containers, images, resources), and
every other object is only counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stackyard.assess.inputs.located import Located, as_mapping
from stackyard.assess.model import Evidence
from stackyard.kube import POD_SPEC_PATHS
from stackyard.yamlio import LocatedDocument

CONTAINER_LISTS = ("initContainers", "containers")

KEPT_KINDS = frozenset(
    {
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "ConfigMap",
        "CronJob",
        "Job",
        "RoleBinding",
        "ClusterRoleBinding",
        "KubeletConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "AdmissionConfiguration",
        "ClusterConfiguration",
        "InitConfiguration",
    }
)
KEPT_GROUPS = frozenset(
    {
        "apiserver.config.k8s.io",
        "argoproj.io",
        "autoscaling.k8s.io",
        "backstage.io",
        "capsule.clastix.io",
        "cert-manager.io",
        "chaos-mesh.org",
        "cilium.io",
        "cluster.x-k8s.io",
        "config.kio.kasten.io",
        "constraints.gatekeeper.sh",
        "external-secrets.io",
        "flagger.app",
        "fleet.cattle.io",
        "gateway.networking.k8s.io",
        "helm.cattle.io",
        "helm.toolkit.fluxcd.io",
        "k6.io",
        "k8s.keycloak.org",
        "keda.sh",
        "keycloak.org",
        "kubeadm.k8s.io",
        "kustomize.toolkit.fluxcd.io",
        "kyverno.io",
        "litmuschaos.io",
        "longhorn.io",
        "monitoring.coreos.com",
        "monitoring.grafana.com",
        "opentelemetry.io",
        "operator.victoriametrics.com",
        "policies.kyverno.io",
        "policy.sigstore.dev",
        "postgresql.cnpg.io",
        "barmancloud.cnpg.io",
        "pyrra.dev",
        "scaffolder.backstage.io",
        "secrets.hashicorp.com",
        "secrets-store.csi.x-k8s.io",
        "security.istio.io",
        "sloth.slok.dev",
        "snapshot.storage.k8s.io",
        "source.toolkit.fluxcd.io",
        "templates.gatekeeper.sh",
        "velero.io",
        "volsync.backube",
        "grafana.integreatly.org",
        # Service mesh and API gateways (detectors/mesh.py)
        "networking.istio.io",
        "install.istio.io",
        "gateway.envoyproxy.io",
        "configuration.konghq.com",
        "policy.linkerd.io",
    }
)
# Kinds only counted and cited (never read field by field): kept as evidence alone.
SIGHTED_KINDS = frozenset(
    {"HorizontalPodAutoscaler", "PodDisruptionBudget", "ScaledObject", "VerticalPodAutoscaler"}
)
CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"


class KubeObject(Located):
    """One Kubernetes object (possibly an item of a List, or rendered from a chart)."""

    __slots__ = ("api_version", "group", "kind", "name", "namespace", "origin")

    def __init__(
        self, doc: LocatedDocument, base: tuple[str | int, ...] = (), origin: Evidence | None = None
    ) -> None:
        """Wrap the object at ``base`` of ``doc``; ``origin`` marks rendered objects."""
        super().__init__(doc, base)
        data = as_mapping(self.data)
        metadata = as_mapping(data.get("metadata"))
        self.api_version = str(data.get("apiVersion", ""))
        self.group = self.api_version.rpartition("/")[0]  # "" for the core group
        self.kind = str(data.get("kind", ""))
        self.name = str(metadata.get("name", "") or "")
        self.namespace = str(metadata.get("namespace", "") or "")
        self.origin = origin

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` (namespace empty for cluster-scoped objects)."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    def labels(self) -> Mapping[str, Any]:
        """The object's labels."""
        value = self.get("metadata", "labels")
        return value if isinstance(value, Mapping) else {}

    def evidence(self, *path: str | int, text: str = "") -> Evidence:
        """Lines of ``path``; a rendered object points at the Application that renders it."""
        if self.origin is None:
            if not path and not text:
                text = f"{self.kind} {self.name}"
            return super().evidence(*path, text=text)
        detail = f"{text or f'{self.kind} {self.name}'} (rendered: {self.doc.source})"
        return Evidence(self.origin.file, self.origin.line, self.origin.end_line, detail[:120])


def objects_in(doc: LocatedDocument, origin: Evidence | None = None) -> Iterator[KubeObject]:
    """The objects of a document: itself, or the items of a ``kind: List``."""
    data = doc.data
    if not _is_object(data):
        return
    if str(data["kind"]).endswith("List") and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            if _is_object(item):
                yield KubeObject(doc, ("items", i), origin)
        return
    yield KubeObject(doc, (), origin)


def is_kept(obj: KubeObject) -> bool:
    """Whether the index keeps the whole object (some detector reads its fields).

    Applications are kept as releases instead; ConfigMaps, Jobs and CronJobs only when
    they hold what a detector looks for (dashboards, Argo CD or realm configuration,
    etcd or Velero commands), since repositories hold many of them.
    """
    if obj.kind == "Secret":
        return CLUSTER_SECRET_LABEL in obj.labels()
    if obj.kind in SIGHTED_KINDS:
        return False
    if obj.kind == "Application" and obj.group == "argoproj.io":
        return False
    if obj.kind == "ConfigMap":
        return (
            "grafana_dashboard" in obj.labels()
            or obj.name == "argocd-cm"
            or any(key in str(obj.get("data")) for key in ('"clients"', '"realm"'))
        )
    if obj.kind in ("CronJob", "Job"):
        spec = str(obj.get("spec"))
        return any(word in spec for word in ("etcdctl", "talosctl", "velero", "restore"))
    return obj.kind in KEPT_KINDS or obj.group in KEPT_GROUPS


@dataclass(frozen=True)
class Container:
    """A container of a workload: image, where it is written, resources set."""

    name: str
    image: str
    image_evidence: Evidence
    requests: bool
    limits: bool


@dataclass(frozen=True)
class Workload:
    """The compact facts of a workload object (Deployment, StatefulSet, Pod...)."""

    ref: str
    kind: str
    namespace: str
    file: str
    evidence: Evidence
    replicas: int
    containers: tuple[Container, ...]
    rendered: bool

    @property
    def requests(self) -> bool:
        """Every container requests CPU or memory."""
        return bool(self.containers) and all(c.requests for c in self.containers)

    @property
    def limits(self) -> bool:
        """Every container sets a limit."""
        return bool(self.containers) and all(c.limits for c in self.containers)


def workload_of(obj: KubeObject) -> Workload | None:
    """The workload facts of ``obj``, or None when it runs no pods."""
    spec_path = POD_SPEC_PATHS.get(obj.kind)
    if spec_path is None:
        return None
    pod = obj.get(*spec_path)
    if not isinstance(pod, Mapping):
        return None
    containers = []
    for list_name in CONTAINER_LISTS:
        items = pod.get(list_name)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, Mapping):
                continue
            resources = as_mapping(item.get("resources"))
            image = str(item.get("image", "") or "")
            containers.append(
                Container(
                    name=str(item.get("name", "")),
                    image=image,
                    image_evidence=obj.evidence(*spec_path, list_name, i, "image"),
                    requests=bool(resources.get("requests")),
                    limits=bool(resources.get("limits")),
                )
            )
    replicas = obj.get("spec", "replicas")
    return Workload(
        ref=obj.ref,
        kind=obj.kind,
        namespace=obj.namespace,
        file=obj.file,
        evidence=obj.evidence(text=f"{obj.kind} {obj.name}"),
        replicas=replicas if isinstance(replicas, int) else 1,
        containers=tuple(containers),
        rendered=obj.origin is not None,
    )


def _is_object(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
    )
