"""The workload policy set (Kyverno), on the clusters the plan runs Kyverno on.

Contract C4 keeps Kyverno off mgmt; this module never decides placement, it follows the
plan (``cluster.has("kyverno")``). Pod Security Admission is the first layer (namespace
labels, see ``namespaces``); these policies are the second:

- images only from the platform's Harbor (``harbor.<domain>``), enforced;
- CPU and memory requests and limits on every container, enforced (LimitRange defaults
  are applied before validation, so this catches namespaces without one);
- no privileged containers, enforced;
- ``app`` and ``version`` labels, audited only, whatever the mode;
- in Enterprise, image digests required and Cosign signatures verified, enforced.

Kinds: the pinned Kyverno (chart 3.9.0, app 1.19) recommends the CEL-based
``policies.kyverno.io`` types and its policies chart defaults to them (``ClusterPolicy``
is deprecated there), and their CRDs are shipped, so these are ``ValidatingPolicy`` and
``ImageValidatingPolicy`` at the served ``v1``. They match Pods; Kyverno's autogen adds
the same checks for Deployments, StatefulSets, DaemonSets, Jobs and CronJobs.

"enforce" means ``validationActions: [Deny]`` with ``failurePolicy: Fail``; "audit" means
``[Audit]`` with ``Ignore``. The mode is ``clusters[].policyMode``, else ``policy.mode``.
System namespaces, the namespaces of the platform components on the cluster and the
restore check's canary and scratch namespaces are excluded by name (a label could be set
by a tenant to escape): platform charts pull upstream images that the tenant-facing rules
would refuse, and so do the check's canary writer and Velero's restore helper.

Signature verification reads the Cosign public key from the ConfigMap
``cosign-public-key`` (key ``cosign.pub``) in Kyverno's namespace, created at bootstrap:
a public key, so a reference and not a secret. Key-signed images in a private,
possibly air-gapped Harbor are not in the public Rekor log, so the transparency-log check
is off; the signature itself is always checked.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.restorecheck import check_namespaces
from stackyard.render.tree import Manifest

API_VERSION = "policies.kyverno.io/v1"
SYSTEM_NAMESPACES = ("kube-node-lease", "kube-public", "kube-system")
COSIGN_CONFIGMAP = "cosign-public-key"
COSIGN_KEY = "cosign.pub"

# Every image of a Pod, wherever it is declared.
ALL_IMAGES = (
    "object.spec.containers.map(c, c.image)"
    " + object.spec.?initContainers.orValue([]).map(c, c.image)"
    " + object.spec.?ephemeralContainers.orValue([]).map(c, c.image)"
)
ALL_CONTAINERS = (
    "object.spec.containers"
    " + object.spec.?initContainers.orValue([])"
    " + object.spec.?ephemeralContainers.orValue([])"
)
HAS_RESOURCES = (
    "has(c.resources) && has(c.resources.requests) && has(c.resources.limits)"
    " && 'cpu' in c.resources.requests && 'memory' in c.resources.requests"
    " && 'cpu' in c.resources.limits && 'memory' in c.resources.limits"
)
NOT_PRIVILEGED = (
    "!has(c.securityContext) || !has(c.securityContext.privileged)"
    " || c.securityContext.privileged == false"
)


def policy_mode(context: RenderContext, cluster: ClusterPlan) -> str:
    """``enforce`` or ``audit`` for ``cluster``."""
    return cluster.cluster.policyMode or context.platform.policy.mode


def excluded_namespaces(cluster: ClusterPlan) -> list[str]:
    """System namespaces, those of the platform components and the restore check's."""
    components = (p.component.namespace for p in cluster.components)
    names = {*SYSTEM_NAMESPACES, *components, *check_namespaces(cluster)}
    return sorted(names)


def _match(cluster: ClusterPlan) -> Manifest:
    return {
        "namespaceSelector": {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "NotIn",
                    "values": excluded_namespaces(cluster),
                }
            ]
        },
        "resourceRules": [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["pods"],
            }
        ],
    }


def _actions(mode: str) -> Manifest:
    if mode == "enforce":
        return {"failurePolicy": "Fail", "validationActions": ["Deny"]}
    return {"failurePolicy": "Ignore", "validationActions": ["Audit"]}


def validating_policy(
    cluster: ClusterPlan,
    name: str,
    mode: str,
    validations: list[Manifest],
    variables: list[Manifest] | None = None,
) -> Manifest:
    """A cluster-wide ValidatingPolicy on Pods outside system and platform namespaces."""
    spec: Manifest = {**_actions(mode), "matchConstraints": _match(cluster)}
    if variables:
        spec["variables"] = variables
    spec["validations"] = validations
    return {
        "apiVersion": API_VERSION,
        "kind": "ValidatingPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def registry(context: RenderContext) -> str:
    """The only registry tenant workloads may pull from."""
    return f"harbor.{context.platform.domain}"


def workload_policies(context: RenderContext, cluster: ClusterPlan, mode: str) -> list[Manifest]:
    """The workload policy set: registry, resources, privileged (mode) and labels (audit)."""
    prefix = f"{registry(context)}/"
    images = [{"name": "images", "expression": ALL_IMAGES}]
    return [
        validating_policy(
            cluster,
            "restrict-image-registries",
            mode,
            [
                {
                    "expression": f"variables.images.all(image, image.startsWith('{prefix}'))",
                    "message": f"Images must be pulled from {registry(context)}.",
                }
            ],
            images,
        ),
        validating_policy(
            cluster,
            "require-requests-limits",
            mode,
            [
                {
                    "expression": f"({ALL_CONTAINERS}).all(c, {HAS_RESOURCES})",
                    "message": "Every container must set CPU and memory requests and limits.",
                }
            ],
        ),
        validating_policy(
            cluster,
            "disallow-privileged-containers",
            mode,
            [
                {
                    "expression": f"({ALL_CONTAINERS}).all(c, {NOT_PRIVILEGED})",
                    "message": "Privileged containers are not allowed.",
                }
            ],
        ),
        validating_policy(
            cluster,
            "require-app-version-labels",
            "audit",
            [
                {
                    "expression": (
                        "has(object.metadata.labels) && 'app' in object.metadata.labels"
                        " && 'version' in object.metadata.labels"
                    ),
                    "message": "Pods should carry the labels app and version.",
                }
            ],
        ),
    ]


def digest_policy(cluster: ClusterPlan, mode: str) -> Manifest:
    """Images referenced by digest, so what runs is what was scanned and signed."""
    return validating_policy(
        cluster,
        "require-image-digest",
        mode,
        [
            {
                "expression": "variables.images.all(image, image.contains('@sha256:'))",
                "message": "Images must be referenced by digest (image@sha256:...).",
            }
        ],
        [{"name": "images", "expression": ALL_IMAGES}],
    )


def signature_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """Cosign signatures on every Harbor image, checked with the platform's public key."""
    namespace = context.component("kyverno").namespace
    verified = " && ".join(
        f"images.{kind}.all(image, verifyImageSignatures(image, [attestors.cosign]) > 0)"
        for kind in ("containers", "initContainers", "ephemeralContainers")
    )
    return {
        "apiVersion": API_VERSION,
        "kind": "ImageValidatingPolicy",
        "metadata": {"name": "verify-image-signatures"},
        "spec": {
            **_actions(mode),
            # Verification fetches signatures from the registry: allow more than 10 s.
            "webhookConfiguration": {"timeoutSeconds": 30},
            "matchConstraints": _match(cluster),
            "matchImageReferences": [{"glob": f"{registry(context)}/*"}],
            # Argo CD owns the workload specs: rewriting tags to digests would be drift.
            "validationConfigurations": {
                "mutateDigest": False,
                "verifyDigest": True,
                "required": True,
            },
            "variables": [
                {
                    "name": "cosignPublicKey",
                    "expression": (
                        f'resource.get("v1", "configmaps", "{namespace}", '
                        f'"{COSIGN_CONFIGMAP}").data["{COSIGN_KEY}"]'
                    ),
                }
            ],
            "attestors": [
                {
                    "name": "cosign",
                    "cosign": {
                        "key": {"expression": "variables.cosignPublicKey"},
                        "ctlog": {"insecureIgnoreTlog": True, "insecureIgnoreSCT": True},
                    },
                }
            ],
            "validations": [
                {
                    "expression": verified,
                    "message": f"Images from {registry(context)} must carry a valid Cosign "
                    "signature made with the platform key.",
                }
            ],
        },
    }


def policy_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Kyverno policies where Kyverno runs, synced with its policies chart if present."""
    if not cluster.has("kyverno"):
        return
    mode = policy_mode(context, cluster)
    objects = workload_policies(context, cluster, mode)
    if context.platform.edition == "enterprise":
        objects += [digest_policy(cluster, mode), signature_policy(context, cluster, mode)]
    group = "kyverno-policies" if cluster.has("kyverno-policies") else "kyverno"
    yield Placed(group, "workload-policies.yaml", [in_wave(o, AFTER_CHART) for o in objects])
