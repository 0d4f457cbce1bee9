"""Supply chain: a private registry, scanning, pinned images, signing, SBOMs, admission checks.

Harbor ships Trivy and enables it by chart default, so ``trivy.enabled: false`` is
what the maturity scorecard's "Harbor without Trivy" looks like in values. Images are read from
workload manifests (and rendered charts with ``--charts``) and from Helm values
(``image.tag``, ``image.digest``, ``image: repo:tag@sha256:…``, one list shared by every
control that counts them); a tag ``latest``, or no tag at all, is a floating image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    by_units,
    component,
    missing,
    partial,
    truthy,
    unit,
    units_phrase,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.summary import ImageRef, templated_image
from stackyard.assess.model import Evidence
from stackyard.wording import counted

_SCAN = re.compile(
    r"\b(trivy\s+(image|fs|repo|k8s)|grype|snyk\s+container|anchore|docker\s+scout)\b"
)
_SIGN = re.compile(r"\b(cosign\s+(sign|attest)|notation\s+sign|sigstore/cosign-installer)\b")
_SBOM = re.compile(
    r"\b(syft|cyclonedx|spdx|--sbom|sbom:\s*true|type=sbom|trivy\s+sbom|anchore/sbom-action)\b"
)


def _registry(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index, charts=("harbor", "docker-registry", "zot", "nexus-repository-manager")
    )
    return (
        achieved(found, "images are served from a private registry")
        if found
        else missing(looks_for)
    )


def _scanning(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found: list[Evidence] = []
    disabled: list[Evidence] = []
    for stack in index.values("harbor"):
        hit = stack.get("trivy", "enabled")
        if hit is None:
            found.append(stack.evidence)  # Harbor's chart enables Trivy by default
        elif truthy(hit.value):
            found.append(hit.evidence)
        else:
            disabled.append(hit.evidence)
    found += component(index, charts=("trivy-operator",), kinds=("VulnerabilityReport",))
    found += index.text_hits(_SCAN)
    if found:
        return achieved(found, "images are scanned for vulnerabilities")
    detail = "Harbor's Trivy scanner is disabled (trivy.enabled: false)" if disabled else ""
    return missing(looks_for, detail, gaps=disabled)


def _floating_tags(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    tagged: list[Evidence] = []
    floating: list[Evidence] = []
    references = [
        (container.image, container.image_evidence)
        for workload in index.workloads
        for container in workload.containers
    ]
    unknown = 0
    for ref in references:
        if _templated(ref[0]):
            unknown += 1  # known only when rendered: neither pinned nor floating
            continue
        (floating if _floating(ref[0]) else tagged).append(ref[1])
    for image in _values_images(index):
        if image.templated:
            unknown += 1
            continue
        (floating if image.floating else tagged).append(image.evidence)
    if floating:
        return missing(
            looks_for,
            f"{len(floating)} floating image references (:latest or no tag)"
            + _unknown_images(unknown),
            evidence=tagged,
            gaps=floating,
        )
    if not tagged:
        # Nothing to pin is no evidence of pinning: not applicable, so not achieved.
        return missing(
            looks_for,
            "not applicable: no image references in manifests or values" + _unknown_images(unknown),
        )
    return achieved(
        tagged,
        f"no :latest or untagged images among {len(tagged)} image references"
        + _unknown_images(unknown),
    )


def _unknown_images(count: int) -> str:
    """What a detail says of templated image references, counted neither way."""
    if not count:
        return ""
    return (
        f" ({counted(count, 'templated image reference')} unknown: "
        "placeholders filled in only when rendered, not counted)"
    )


def _signing(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = index.text_hits(_SIGN)
    found += [e for e, _ in _verify_policies(index)]
    return (
        achieved(found, "images are signed and/or signatures verified")
        if found
        else missing(looks_for)
    )


def _sbom(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = index.text_hits(_SBOM)
    return achieved(found, "SBOMs are generated") if found else missing(looks_for)


def _admission_verify(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    policies = _verify_policies(index)
    enforced = [e for e, enforce in policies if enforce]
    if enforced:
        return achieved(enforced, "unsigned images are refused at admission")
    if policies:
        return partial([e for e, _ in policies], "image verification in audit mode only", looks_for)
    return missing(looks_for)


def _digests(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    # One unit per image reference, named as written, so "N of M images" lists its M. A
    # templated reference is no unit: unknown until rendered, as the pinned-tags control
    # reads it, so it is neither a pinned image nor a gap.
    containers = [c for w in index.workloads for c in w.containers]
    values = _values_images(index)
    units = [
        unit(c.image, "@sha256:" in c.image, c.image_evidence)
        for c in containers
        if not _templated(c.image)
    ]
    units += [
        unit(image.evidence.quote, image.digest, image.evidence)
        for image in values
        if not image.templated
    ]
    unknown = sum(_templated(c.image) for c in containers) + sum(i.templated for i in values)
    if not units:
        return missing(
            looks_for,
            "no container images in manifests or values to check" + _unknown_images(unknown),
        )
    detail = f"{units_phrase(units, 'images')} pinned by digest" + _unknown_images(unknown)
    return by_units(units, detail, looks_for)


def _verify_policies(index: RepositoryIndex) -> list[tuple[Evidence, bool]]:
    found = []
    for policy in index.of_kind("ClusterPolicy", "Policy", group="kyverno.io"):
        action = str(policy.get("spec", "validationFailureAction") or "Audit").lower()
        for i, rule in enumerate(policy.get("spec", "rules") or []):
            if isinstance(rule, Mapping) and rule.get("verifyImages"):
                found.append(
                    (policy.evidence("spec", "rules", i, "verifyImages"), action == "enforce")
                )
    for policy in index.of_kind("ImageValidatingPolicy"):
        actions = [str(a).lower() for a in policy.get("spec", "validationActions") or ["deny"]]
        found.append(
            (policy.evidence(text=f"ImageValidatingPolicy {policy.name}"), "deny" in actions)
        )
    for policy in index.of_kind("ClusterImagePolicy"):
        mode = str(policy.get("spec", "mode") or "enforce").lower()
        found.append((policy.evidence(text=f"ClusterImagePolicy {policy.name}"), mode == "enforce"))
    return found


def _values_images(index: RepositoryIndex) -> list[ImageRef]:
    """Every image reference written in Helm values (the same list for every control).

    Once each: a values file that many releases share holds each reference once, and
    counting it per release would inflate "N images" by the number of releases.
    """
    once = {image.evidence: image for summary in index.summaries() for image in summary.images}
    return list(once.values())


def _templated(image: str) -> bool:
    return not image or templated_image(image)


def _floating(image: str) -> bool:
    if _templated(image) or "@sha256:" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector("private-registry", "Harbor or another registry chart", _registry),
    FunctionDetector(
        "image-scanning",
        "Harbor trivy.enabled (default on), trivy-operator, or trivy/grype in CI",
        _scanning,
    ),
    FunctionDetector(
        "pinned-image-tags",
        "image references without a tag or with :latest (manifests and image.tag values)",
        _floating_tags,
    ),
    FunctionDetector(
        "image-signing",
        "cosign/notation sign in CI, or Kyverno verifyImages / Sigstore ClusterImagePolicy",
        _signing,
    ),
    FunctionDetector("sbom", "syft, CycloneDX/SPDX or buildx SBOM attestation in CI", _sbom),
    FunctionDetector(
        "admission-verify",
        "Kyverno verifyImages / ImageValidatingPolicy / ClusterImagePolicy in enforce mode",
        _admission_verify,
    ),
    FunctionDetector(
        "image-digests",
        "container images pinned by @sha256 digest (manifests, image.digest or tag@sha256 values)",
        _digests,
    ),
)
