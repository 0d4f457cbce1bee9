"""Only a component whose loss truly changes nothing is listed as "No function affected".

Every example runs in every edition, and each single failure of every component is
simulated; the unaffected list must equal the explicit set below, which
docs/simulation.md justifies entry by entry.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from tests.conftest import EXAMPLES
from tests.simulate.conftest import model_from_text

EDITIONS = ("community", "standard", "enterprise")
EXAMPLE_NAMES = (
    "aws-enterprise",
    "aws-standard",
    "community-poc",
    "local-multicluster",
    "mesh-local",
)


# Where the mesh runs, Istio's base chart holds only CRDs and cluster-wide configuration
# (no pods), and the Kiali operator only reconciles the Kiali server, which runs on
# (catalog `runs`): losing either changes nothing until someone changes them.
def mesh_apps(*clusters: str) -> set[str]:
    return {f"{c}@{cluster}" for c in ("istio-base", "kiali-operator") for cluster in clusters}


MESH_APPS = mesh_apps("app1", "app2")  # mesh-local: the tenant shop's clusters
AWS_MESH = mesh_apps("prod")  # aws-enterprise: team-web's services in the mesh on prod

# Kyverno's policy library is a chart of policies with no pods of its own (catalog
# `workload: none`): while "it" is down Kyverno keeps enforcing the policies already in
# the API server, so nothing changes. It is planned on workload clusters in Enterprise.
UNAFFECTED: dict[tuple[str, str], set[str]] = {
    **{(example, edition): set() for example in EXAMPLE_NAMES for edition in EDITIONS},
    ("aws-enterprise", "community"): AWS_MESH,
    ("aws-enterprise", "standard"): AWS_MESH,
    ("aws-enterprise", "enterprise"): AWS_MESH | {"kyverno-policies@prod"},
    ("aws-standard", "enterprise"): {"kyverno-policies@prod"},
    ("community-poc", "enterprise"): {"kyverno-policies@poc"},
    ("local-multicluster", "enterprise"): {"kyverno-policies@app1", "kyverno-policies@app2"},
    ("mesh-local", "community"): MESH_APPS,
    ("mesh-local", "standard"): MESH_APPS,
    ("mesh-local", "enterprise"): MESH_APPS | {"kyverno-policies@app1", "kyverno-policies@app2"},
}


@cache
def edition_model(example: str, edition: str) -> RuntimeModel:
    """``examples/<example>.yaml`` planned and rendered as ``edition``."""
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    edited = re.sub(r"^edition: \w+$", f"edition: {edition}", text, count=1, flags=re.MULTILINE)
    return model_from_text(edited, f"{example}.yaml")


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_unaffected_components_are_exactly_the_documented_ones(example: str, edition: str) -> None:
    model = edition_model(example, edition)
    assert set(failure_matrix(model, 3600.0).harmless) == UNAFFECTED[example, edition]


def affected_keys(model: RuntimeModel, target: str) -> set[str]:
    """The keys of the functions a one-hour outage of ``target`` affects."""
    report = run_scenario(model, single_failure(model, target, "1h"))
    return {o.function.key for o in report.simulation.affected()}


@pytest.mark.parametrize("example", ["aws-standard", "aws-enterprise"])
def test_losing_the_cloud_controller_stops_node_initialisation(example: str) -> None:
    model = edition_model(example, "standard")
    assert "node-initialisation@prod" in affected_keys(model, "aws-cloud-controller-manager@prod")


def test_losing_the_cloud_controller_stops_its_service_load_balancers() -> None:
    text = (EXAMPLES / "aws-standard.yaml").read_text(encoding="utf-8")
    text = text.replace("loadBalancer: aws-lb-controller", "loadBalancer: cloud-controller")
    model = model_from_text(text.replace("  loadBalancerTargetType: ip\n", ""))
    affected = affected_keys(model, "aws-cloud-controller-manager@prod")
    # The service controller runs in the CCM's pods: its load balancers stop with it.
    assert {"node-initialisation@prod", "load-balancer-addresses@prod"} <= affected


@pytest.mark.parametrize(
    ("example", "target", "key"),
    [
        ("aws-standard", "external-dns@prod", "dns-records@prod"),
        ("community-poc", "external-dns@poc", "dns-records@poc"),
        ("aws-enterprise", "trivy-operator@prod", "security-reports@prod"),
        ("aws-standard", "aws-load-balancer-controller@prod", "load-balancer-addresses@prod"),
    ],
)
def test_a_cluster_service_stops_with_its_component(example: str, target: str, key: str) -> None:
    model = edition_model(example, "enterprise" if "trivy" in target else "standard")
    assert key in affected_keys(model, target)


def test_a_whole_cluster_down_does_not_count_its_own_services_twice() -> None:
    # With the cluster's nodes down, what it did for itself shows through the cluster.
    model = edition_model("aws-standard", "standard")
    assert "dns-records@prod" not in affected_keys(model, "prod")
