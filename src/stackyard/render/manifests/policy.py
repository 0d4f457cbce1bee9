"""The workload policy set (Kyverno), on the clusters the plan runs Kyverno on.

Contract C4 keeps Kyverno off mgmt; this module never decides placement, it follows the
plan (``cluster.has("kyverno")``). Pod Security Admission is the first layer (namespace
labels, see ``namespaces``); these policies are the second. Which of them a cluster gets,
and whether each enforces or audits, is its policy template's (``cluster.policy``,
:mod:`stackyard.plan.policy`); this module only builds each rule by name (``RULES``):

- images only from the platform's Harbor (``harbor.<domain>``);
- CPU and memory requests and limits on every container (LimitRange defaults are
  applied before validation, so this catches namespaces without one);
- no privileged containers;
- ``app`` and ``version`` labels;
- no ``latest`` or missing tag;
- a NetworkPolicy in the pod's namespace;
- image digests required and Cosign signatures verified.

A cluster no template is chosen for carries ``default``: the first three in its mode,
the labels audited, and in Enterprise digests and signatures in its mode.

Kinds: the pinned Kyverno (chart 3.9.0, app 1.19) recommends the CEL-based
``policies.kyverno.io`` types and its policies chart defaults to them (``ClusterPolicy``
is deprecated there), and their CRDs are shipped, so these are ``ValidatingPolicy`` and
``ImageValidatingPolicy`` at the served ``v1``. They match Pods; Kyverno's autogen adds
the same checks for Deployments, StatefulSets, DaemonSets, Jobs and CronJobs.

"enforce" means ``validationActions: [Deny]`` with ``failurePolicy: Fail``; "audit" means
``[Audit]`` with ``Ignore``; a template's ``mode`` is ``clusters[].policyMode``, else
``policy.mode``.
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

from collections.abc import Callable, Iterable

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
# An image reference whose last path segment names a tag (a registry port is not one).
PINNED_TAG = ":[^/:@]+$"
NOT_PRIVILEGED = (
    "!has(c.securityContext) || !has(c.securityContext.privileged)"
    " || c.securityContext.privileged == false"
)


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


def registry_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """Images only from the platform's Harbor."""
    prefix = f"{registry(context)}/"
    return validating_policy(
        cluster,
        "restrict-image-registries",
        mode,
        [
            {
                "expression": f"variables.images.all(image, image.startsWith('{prefix}'))",
                "message": f"Images must be pulled from {registry(context)}.",
            }
        ],
        [{"name": "images", "expression": ALL_IMAGES}],
    )


def resources_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """CPU and memory requests and limits on every container."""
    return validating_policy(
        cluster,
        "require-requests-limits",
        mode,
        [
            {
                "expression": f"({ALL_CONTAINERS}).all(c, {HAS_RESOURCES})",
                "message": "Every container must set CPU and memory requests and limits.",
            }
        ],
    )


def privileged_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """No privileged containers."""
    return validating_policy(
        cluster,
        "disallow-privileged-containers",
        mode,
        [
            {
                "expression": f"({ALL_CONTAINERS}).all(c, {NOT_PRIVILEGED})",
                "message": "Privileged containers are not allowed.",
            }
        ],
    )


def labels_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """The labels app and version on every pod."""
    return validating_policy(
        cluster,
        "require-app-version-labels",
        mode,
        [
            {
                "expression": (
                    "has(object.metadata.labels) && 'app' in object.metadata.labels"
                    " && 'version' in object.metadata.labels"
                ),
                "message": "Pods should carry the labels app and version.",
            }
        ],
    )


def latest_tag_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """Every image pinned: by digest, or by a tag other than ``latest``.

    An image without a tag means ``latest``; the tag is what follows the last ``:`` after
    the last ``/`` (a registry's port is not a tag).
    """
    return validating_policy(
        cluster,
        "disallow-latest-tag",
        mode,
        [
            {
                "expression": (
                    "variables.images.all(image, image.contains('@sha256:') || "
                    f"(image.matches('{PINNED_TAG}') && !image.endsWith(':latest')))"
                ),
                "message": "Images must name a tag other than latest, or a digest.",
            }
        ],
        [{"name": "images", "expression": ALL_IMAGES}],
    )


def network_policy_required(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
    """A NetworkPolicy in the pod's namespace, so nothing runs before its traffic rules.

    Kyverno's resource library lists the namespace's NetworkPolicies at admission
    (https://kyverno.io/docs/policy-types/cel-libraries/#resource-library); the admission
    controller may read them through the ``view`` ClusterRole its chart binds by default
    (``admissionController.rbac.createViewRoleBinding``), which the catalog leaves on.
    """
    return validating_policy(
        cluster,
        "require-network-policy",
        mode,
        [
            {
                "expression": (
                    'resource.List("networking.k8s.io/v1", "networkpolicies", '
                    "object.metadata.namespace).items.size() > 0"
                ),
                "message": "The namespace needs a NetworkPolicy before pods run in it.",
            }
        ],
    )


def digest_policy(context: RenderContext, cluster: ClusterPlan, mode: str) -> Manifest:
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


RuleBuilder = Callable[[RenderContext, ClusterPlan, str], Manifest]

RULES: dict[str, RuleBuilder] = {
    "restrict-image-registries": registry_policy,
    "require-requests-limits": resources_policy,
    "disallow-privileged-containers": privileged_policy,
    "require-app-version-labels": labels_policy,
    "disallow-latest-tag": latest_tag_policy,
    "require-network-policy": network_policy_required,
    "require-image-digest": digest_policy,
    "verify-image-signatures": signature_policy,
}
"""Every policy a template may name, by the name the policy library gives it."""


def policy_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The Kyverno policies of the cluster's template, where Kyverno runs.

    Synced with Kyverno's policies chart if present, else with Kyverno.
    """
    if not cluster.has("kyverno"):
        return
    objects = [RULES[rule.name](context, cluster, rule.action) for rule in cluster.policy.rules]
    group = "kyverno-policies" if cluster.has("kyverno-policies") else "kyverno"
    yield Placed(group, "workload-policies.yaml", [in_wave(o, AFTER_CHART) for o in objects])
