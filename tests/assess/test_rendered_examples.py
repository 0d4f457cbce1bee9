"""Stackyard's own rendered repositories: no open workload error, advice for their distribution.

Every example is rendered to disk and assessed as any repository would be. The
privileged objects Stackyard needs (the etcd snapshot job on kubeadm, the AWS CCM) carry
exemption annotations with a reason; nothing else may be excepted, and no roadmap item
may name a distribution the tree does not run. A practice Stackyard renders (GitOps,
the fleet of clusters, backups, policy, dashboards...) is never reported as a gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.workloads.exemptions import NO_REASON
from stackyard.plan import Plan
from tests.assess.citations import misquoted
from tests.conftest import EXAMPLES, render_example

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
DISTRIBUTION_WORDS = {"kubeadm": "kubeadm", "rke2": "rke2", "k3s": "k3s", "talos": "talos"}
# The objects Stackyard renders that need the host or root, and only they.
PRIVILEGED = {
    "CronJob/kube-system/etcd-snapshot",
    "DaemonSet/kube-system/aws-cloud-controller-manager",
    "Pod/kube-system/kms-plugin",
}


def components(plan: Plan) -> set[str]:
    """Every component the plan installs on any cluster."""
    return {p.component.name for cluster in plan.clusters for p in cluster.components}


def having(*names: str) -> Callable[[Plan], bool]:
    """The plan installs every one of ``names`` somewhere."""
    return lambda plan: set(names) <= components(plan)


def always(plan: Plan) -> bool:
    """Every render writes it (root app, self-healing Applications, CI, base policies)."""
    return True


# Each control the render itself provides evidence for, and when. Only what the tree
# truly holds: kubeadm's etcd snapshots stay on the nodes (RKE2's go to S3), Harbor and
# Mimir values set no resources, tenants get no RoleBindings - those remain gaps.
RENDERED_PRACTICES: dict[str, Callable[[Plan], bool]] = {
    "GITOPS-CONTROLLER": always,
    "GITOPS-APP-OF-APPS": always,
    "GITOPS-SELF-HEAL": always,
    "CICD-PIPELINE": always,  # .github/workflows/stackyard-validate.yaml
    "CICD-CHECKS": always,
    "POL-CI": always,
    "POL-PSA": always,  # Pod Security labels on every namespace
    "POL-DEFAULT-DENY": always,
    "RM-QUOTAS": always,
    "RM-REQUESTS-SOME": always,
    "SC-PINNED-TAGS": always,
    "CHAOS-SLO": always,  # the SLO recording and burn-rate rules
    "NET-CNI": always,
    "NET-TLS": having("cert-manager"),
    "OBS-METRICS": having("prometheus"),
    "OBS-ALERTING": having("alertmanager"),
    "OBS-ALERT-RULES": having("prometheus"),
    "OBS-GRAFANA": having("grafana"),
    "OBS-DASHBOARDS": having("prometheus", "grafana"),  # the chart's dashboards, sidecar on
    "MT-FLEET": lambda plan: len(plan.clusters) >= 2,
    "DR-PV-BACKUP": having("velero"),
    "DR-VELERO": having("velero"),
    "DR-ETCD-SNAPSHOT": lambda plan: plan.spec.platform.kubernetes.distribution == "rke2",
    "POL-ENGINE": having("kyverno-policies"),
    "POL-ENFORCE": having("kyverno-policies"),
    "NET-CNI-MODERN": having("cilium"),
    "NET-FLOW-VISIBILITY": having("cilium-hubble"),
    "NET-GATEWAY-API": having("cilium-gateway-api"),
    "OBS-LOGS": lambda plan: (
        "loki" in components(plan) and bool({"promtail", "alloy"} & components(plan))
    ),
    "OBS-TRACES": having("tempo"),
    "OBS-OTEL": having("opentelemetry-collector"),
    "SEC-STORE": having("vault"),
    "SC-REGISTRY": having("harbor"),
    "SC-SCANNING": lambda plan: bool({"harbor", "trivy-operator"} & components(plan)),
    "SSO-IDP": having("keycloak"),
    "SSO-WIRED": having("keycloak"),
    "ACC-GATEWAY": having("teleport"),
    "ACC-SESSION-RECORDING": having("teleport"),
    "FIN-COST-VISIBILITY": having("opencost"),
    "DEVP-PORTAL": having("backstage"),
    "MT-NAMESPACES": lambda plan: bool(plan.spec.platform.tenants),
    "MT-QUOTAS": lambda plan: bool(plan.spec.platform.tenants),
    "MT-NETWORK": lambda plan: bool(plan.spec.platform.tenants),
    # The service mesh: Istio, STRICT mTLS and default-deny authorization per mesh
    # namespace, weighted routes for the services with canary versions.
    "MESH-DATAPLANE": lambda plan: meshed(plan),
    "MESH-MTLS": lambda plan: meshed(plan),
    "MESH-AUTHORIZATION": lambda plan: meshed(plan),
    "MESH-CANARY-ROUTING": lambda plan: (
        meshed(plan)
        and any(v.weight is not None for s in plan.spec.platform.services for v in s.versions)
    ),
    # The API gateway: a JWT SecurityPolicy and the plans' rate limits per API, and a
    # Backstage API entity with its OpenAPI definition.
    "API-GATEWAY": lambda plan: bool(plan.spec.platform.apis),
    "API-AUTH": lambda plan: bool(plan.spec.platform.apis),
    "API-RATE-LIMITS": lambda plan: any(
        p.rateLimit is not None for api in plan.spec.platform.apis for p in api.plans
    ),
    "API-CATALOG": lambda plan: bool(plan.spec.platform.apis) and "backstage" in components(plan),
    # Hardening: the audit policy and its log, Secrets encrypted at rest (RKE2 always, by
    # default; kubeadm with an EncryptionConfiguration), the CIS profile, a KMS key.
    "HARD-AUDIT": lambda plan: plan.spec.platform.hardening is not None,
    "HARD-ENCRYPTION": lambda plan: (
        plan.spec.platform.hardening is not None
        or plan.spec.platform.kubernetes.distribution == "rke2"
    ),
    "HARD-CIS": lambda plan: plan.spec.platform.cis,
    "HARD-KMS": lambda plan: (
        plan.spec.platform.hardening is not None
        and plan.spec.platform.hardening.encryptionAtRest.provider != "builtin"
    ),
    "ACC-MFA": having("teleport"),  # Teleport's second factor, on in its chart by default
    # Identity: Keycloak federates the declared directories; groups get their bindings.
    "SSO-FEDERATION": lambda plan: (
        "keycloak" in components(plan) and bool(plan.spec.platform.identity.directories)
    ),
    "ACC-GROUP-RBAC": lambda plan: bool(plan.spec.platform.identity.groups),
}


def meshed(plan: Plan) -> bool:
    """The spec turns the service mesh on."""
    return bool(plan.settings.mesh.enabled.value)


@pytest.fixture(scope="module", params=[p.stem for p in EXAMPLE_FILES])
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(the plan, the assessment of its tree rendered to disk, assessed as any repository)."""
    out: Path = tmp_path_factory.mktemp(request.param) / "tree"
    plan = render_example(EXAMPLES / f"{request.param}.yaml", out)
    return plan, assess_directory(out, workers=0)


@pytest.fixture(scope="module")
def rendered(planned: tuple[Plan, Assessment]) -> tuple[str, Assessment]:
    """(the spec's distribution, the assessment of its rendered tree)."""
    plan, assessment = planned
    return plan.spec.platform.kubernetes.distribution, assessment


def test_no_open_workload_errors(rendered: tuple[str, Assessment]) -> None:
    _, assessment = rendered
    open_errors = [
        f"{f.check} {f.object_ref} {f.evidence.file}:{f.evidence.line}"
        for f in assessment.workload_findings
        if f.severity == "error" and not f.excepted
    ]
    assert open_errors == []


def test_only_the_privileged_objects_stackyard_needs_are_excepted_with_a_reason(
    rendered: tuple[str, Assessment],
) -> None:
    _, assessment = rendered
    excepted = {f.object_ref for f in assessment.workload_findings if f.excepted}
    assert excepted <= PRIVILEGED
    for use in assessment.exceptions:
        assert use.origin == "annotation"
        assert use.matched > 0, use  # no stale exemption
        assert use.reason != NO_REASON and len(use.reason) > 40


def test_the_distribution_is_the_specs_and_no_advice_names_another(
    rendered: tuple[str, Assessment],
) -> None:
    distribution, assessment = rendered
    assert assessment.distributions == (distribution,)
    for item in assessment.roadmap:
        text = f"{item.reason} {item.next_step}".lower()
        named = {d for d in DISTRIBUTION_WORDS if re.search(rf"\b{d}\b", text)}
        assert named <= {distribution}, (item.control, named)


def test_no_practice_stackyard_renders_is_reported_as_a_gap(
    planned: tuple[Plan, Assessment],
) -> None:
    plan, assessment = planned
    provided = {control for control, renders in RENDERED_PRACTICES.items() if renders(plan)}
    gaps = {item.control for item in assessment.roadmap}
    assert provided & gaps == set()
    statuses = {c.control: c.status for area in assessment.areas for c in area.controls}
    assert {c: statuses[c] for c in provided if statuses[c] != "achieved"} == {}


def test_every_cited_span_shows_its_claim(rendered: tuple[str, Assessment]) -> None:
    _, assessment = rendered
    assert misquoted(assessment) == []
