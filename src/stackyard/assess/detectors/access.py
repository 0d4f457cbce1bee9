"""Access control: a zero-trust gateway in front of SSH, Kubernetes, databases and apps.

Teleport is read from the ``teleport-cluster`` and ``teleport-kube-agent`` chart
values. Its defaults matter and are stated, not assumed silently: the cluster chart
serves Kubernetes access, asks for a second factor (``authentication.secondFactor:
"on"``) and records sessions (mode ``node``) unless the values turn them off.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    first_set,
    missing,
    partial,
)
from stackyard.assess.inputs import RepositoryIndex, ValuesStack
from stackyard.assess.model import Evidence

STRONG_MFA = ("on", "otp", "webauthn", "required", "true")


def _gateway(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index,
        charts=("teleport", "teleport-kube-agent", "boundary", "pomerium"),
        images=("gravitational/teleport", "public.ecr.aws/gravitational/teleport"),
    )
    if found:
        return achieved(found, "a zero-trust access gateway is deployed")
    rancher = index.chart_uses("rancher")
    if rancher:
        return partial(
            rancher, "Rancher proxies cluster access, without MFA or recording", looks_for
        )
    return missing(looks_for)


def _kubernetes_access(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [h.evidence for h in first_set(index.values("teleport"), ("kubeClusterName",))]
    found += [
        h.evidence
        for h in first_set(index.values("teleport-kube-agent"), ("roles",))
        if "kube" in str(h.value)
    ]
    if not found and index.values("teleport"):
        found = [s.evidence for s in index.values("teleport")]  # the chart serves kube access
    found += [s.evidence for s in index.settings("oidc-issuer-url")]
    if found:
        return achieved(found, "Kubernetes API access goes through the gateway or SSO")
    return missing(looks_for)


def _mfa(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    stacks = index.values("teleport")
    if not stacks:
        return missing(looks_for, "no Teleport found")
    strong: list[Evidence] = []
    weak: list[Evidence] = []
    for stack in stacks:
        hits = first_set(
            [stack],
            ("authentication", "secondFactor"),
            ("auth", "teleportConfig", "auth_service", "authentication", "second_factor"),
        )
        if not hits:
            strong.append(stack.evidence)
            continue
        value = str(hits[0].value).lower()
        (strong if value in STRONG_MFA else weak).append(hits[0].evidence)
    if strong and not weak:
        explicit = any(e not in [s.evidence for s in stacks] for e in strong)
        detail = "second factor required" + ("" if explicit else " (chart default: on)")
        return achieved(strong, detail)
    return missing(looks_for, "second factor optional or off", gaps=weak)


def _session_recording(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    stacks = index.values("teleport")
    if not stacks:
        return missing(looks_for, "no Teleport found")
    on, off = _recording(stacks)
    if on and not off:
        return achieved(on, "sessions are recorded")
    return missing(looks_for, "session recording turned off", gaps=off)


def _recording(stacks: Iterable[ValuesStack]) -> tuple[list[Evidence], list[Evidence]]:
    on, off = [], []
    for stack in stacks:
        hits = first_set(
            [stack],
            ("sessionRecording",),
            ("auth", "teleportConfig", "auth_service", "session_recording"),
        )
        if not hits or not str(hits[0].value).strip():
            on.append(stack.evidence)  # default mode: node
        elif str(hits[0].value).lower() == "off":
            off.append(hits[0].evidence)
        else:
            on.append(hits[0].evidence)
    return on, off


def _db_app_access(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = []
    for stack in index.values("teleport-kube-agent"):
        roles = stack.get("roles")
        if roles is not None and any(r in str(roles.value) for r in ("db", "app")):
            found.append(roles.evidence)
        for key in ("apps", "databases"):
            hit = stack.get(key)
            if hit is not None and hit.value:
                found.append(hit.evidence)
    for stack in index.values("teleport"):
        for key in ("db_service", "app_service"):
            hit = stack.get("auth", "teleportConfig", key) or stack.get(
                "proxy", "teleportConfig", key
            )
            if hit is not None:
                found.append(hit.evidence)
    if found:
        return achieved(found, "databases and web apps are reached through the gateway")
    return missing(looks_for)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "access-gateway",
        "Teleport, Boundary or Pomerium charts or images",
        _gateway,
    ),
    FunctionDetector(
        "kubernetes-access",
        "Teleport kube access (kubeClusterName, kube-agent roles: kube) or API server OIDC",
        _kubernetes_access,
    ),
    FunctionDetector(
        "access-mfa",
        "Teleport authentication.secondFactor on/otp/webauthn",
        _mfa,
    ),
    FunctionDetector(
        "session-recording",
        "Teleport sessionRecording not off",
        _session_recording,
    ),
    FunctionDetector(
        "database-app-access",
        "teleport-kube-agent roles with db/app, or apps/databases configured",
        _db_app_access,
    ),
)
