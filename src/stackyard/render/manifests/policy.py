"""The workload policy set (Kyverno), on the clusters the plan runs Kyverno on.

Contract C4 keeps Kyverno off mgmt; this module never decides placement, it follows the
plan (``cluster.has("kyverno")``). Pod Security Admission is the first layer (namespace
labels, see ``namespaces``); these policies are the second. Which of them a cluster gets,
and whether each enforces or audits, is its policy template's (``cluster.policy``,
:mod:`stackyard.plan.policy`); this module only builds each rule by name, the
ValidatingPolicies from one table of rule data (``VALIDATIONS``):

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
``cosign-public-key`` (key ``cosign.pub``) in Kyverno's namespace: a public key, so a
reference and not a secret. With ``policy.signingKey`` the render writes that ConfigMap
beside the policy, so the policy never refers to something the repository lacks;
without it the README lists it as created at bootstrap. Key-signed images in a private,
possibly air-gapped Harbor are not in the public Rekor log, so the transparency-log check
is off; the signature itself is always checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.restorecheck import check_namespaces
from stackyard.render.tree import Manifest

API_VERSION = "policies.kyverno.io/v1"
SYSTEM_NAMESPACES = ("kube-node-lease", "kube-public", "kube-system")
COSIGN_CONFIGMAP = "cosign-public-key"
COSIGN_KEY = "cosign.pub"
SIGNATURE_POLICY = "verify-image-signatures"
"""The one rule that is an ImageValidatingPolicy (it verifies, rather than checks, images)."""

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


@dataclass(frozen=True)
class Validation:
    """The rule of one ValidatingPolicy: a CEL check of each Pod and what a refusal says.

    ``expression`` and ``message`` may name ``{registry}`` (the platform's Harbor);
    ``images`` binds ``variables.images`` to every image of the Pod.
    """

    expression: str
    message: str
    images: bool = False


VALIDATIONS: dict[str, Validation] = {
    # Images only from the platform's Harbor.
    "restrict-image-registries": Validation(
        "variables.images.all(image, image.startsWith('{registry}/'))",
        "Images must be pulled from {registry}.",
        images=True,
    ),
    "require-requests-limits": Validation(
        f"({ALL_CONTAINERS}).all(c, {HAS_RESOURCES})",
        "Every container must set CPU and memory requests and limits.",
    ),
    "disallow-privileged-containers": Validation(
        f"({ALL_CONTAINERS}).all(c, {NOT_PRIVILEGED})",
        "Privileged containers are not allowed.",
    ),
    "require-app-version-labels": Validation(
        "has(object.metadata.labels) && 'app' in object.metadata.labels"
        " && 'version' in object.metadata.labels",
        "Pods should carry the labels app and version.",
    ),
    # Pinned by digest, or by a tag other than latest. An image without a tag means
    # latest; the tag is what follows the last ':' after the last '/' (a registry's port
    # is not a tag).
    "disallow-latest-tag": Validation(
        "variables.images.all(image, image.contains('@sha256:') || "
        f"(image.matches('{PINNED_TAG}') && !image.endsWith(':latest')))",
        "Images must name a tag other than latest, or a digest.",
        images=True,
    ),
    # Nothing runs before its namespace has traffic rules. Kyverno's resource library
    # lists the namespace's NetworkPolicies at admission
    # (https://kyverno.io/docs/policy-types/cel-libraries/#resource-library); the admission
    # controller may read them through the ``view`` ClusterRole its chart binds by default
    # (``admissionController.rbac.createViewRoleBinding``), which the catalog leaves on.
    "require-network-policy": Validation(
        'resource.List("networking.k8s.io/v1", "networkpolicies", '
        "object.metadata.namespace).items.size() > 0",
        "The namespace needs a NetworkPolicy before pods run in it.",
    ),
    # What runs is what was scanned and signed.
    "require-image-digest": Validation(
        "variables.images.all(image, image.contains('@sha256:'))",
        "Images must be referenced by digest (image@sha256:...).",
        images=True,
    ),
}
"""Every ValidatingPolicy a template may name, by the name the policy library gives it."""


def validating_policy(
    context: RenderContext, cluster: ClusterPlan, name: str, mode: str
) -> Manifest:
    """The ValidatingPolicy ``name`` on Pods outside system and platform namespaces."""
    rule = VALIDATIONS[name]
    spec: Manifest = {**_actions(mode), "matchConstraints": _match(cluster)}
    if rule.images:
        spec["variables"] = [{"name": "images", "expression": ALL_IMAGES}]
    spec["validations"] = [
        {
            "expression": rule.expression.replace("{registry}", registry(context)),
            "message": rule.message.replace("{registry}", registry(context)),
        }
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "ValidatingPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def registry(context: RenderContext) -> str:
    """The only registry tenant workloads may pull from."""
    return f"harbor.{context.platform.domain}"


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
        "metadata": {"name": SIGNATURE_POLICY},
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


def signing_key_configmap(context: RenderContext, key: str) -> Manifest:
    """The ConfigMap the signature policy reads the Cosign public key from."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": COSIGN_CONFIGMAP,
            "namespace": context.component("kyverno").namespace,
        },
        "data": {COSIGN_KEY: key},
    }


RULES = frozenset({*VALIDATIONS, SIGNATURE_POLICY})
"""Every policy a template may name, by the name the policy library gives it."""


def verifies_signatures(cluster: ClusterPlan) -> bool:
    """Whether Kyverno runs on ``cluster`` and its template verifies image signatures."""
    return cluster.has("kyverno") and any(
        rule.name == SIGNATURE_POLICY for rule in cluster.policy.rules
    )


def rule_policy(context: RenderContext, cluster: ClusterPlan, name: str, mode: str) -> Manifest:
    """The policy a template's rule ``name`` stands for, in ``mode``."""
    if name == SIGNATURE_POLICY:
        return signature_policy(context, cluster, mode)
    return validating_policy(context, cluster, name, mode)


def policy_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The Kyverno policies of the cluster's template, where Kyverno runs.

    Synced with Kyverno's policies chart if present, else with Kyverno.
    """
    if not cluster.has("kyverno"):
        return
    objects = [
        rule_policy(context, cluster, rule.name, rule.action) for rule in cluster.policy.rules
    ]
    key = context.plan.spec.signing_key
    if key is not None and verifies_signatures(cluster):
        objects.insert(0, signing_key_configmap(context, key))
    group = "kyverno-policies" if cluster.has("kyverno-policies") else "kyverno"
    yield Placed(group, "workload-policies.yaml", [in_wave(o, AFTER_CHART) for o in objects])
