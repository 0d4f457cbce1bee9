"""The shipped catalog is well-formed and covers the platform; bad entries are rejected."""

from __future__ import annotations

import pytest

from stackyard.catalog import build_catalog, load_catalog
from stackyard.errors import CatalogError

REQUIRED = [
    "argo-cd", "canal", "cilium", "cilium-hubble", "cilium-clustermesh", "cilium-gateway-api",
    "aws-cloud-controller-manager", "aws-load-balancer-controller", "ingress-nginx-public",
    "ingress-nginx-internal", "external-dns", "cert-manager", "longhorn",
    "local-path-provisioner", "metallb", "harbor", "keycloak", "vault", "external-secrets",
    "teleport", "prometheus", "prometheus-agent", "alertmanager", "thanos", "mimir", "loki",
    "alloy", "promtail", "tempo", "opentelemetry-collector", "grafana", "velero", "minio",
    "kyverno", "kyverno-policies", "falco", "trivy-operator", "opencost", "backstage",
    "argo-rollouts", "k8sgpt-operator",
]  # fmt: skip

GOOD = """\
name: demo
title: Demo
description: d
install: {method: helm, repoURL: https://charts.example.com, chart: demo, version: 1.0.0}
namespace: demo
podSecurity: restricted
editions: [standard]
roles: [mgmt]
syncWave: 0
resources:
  requests: {cpu: 10m, memory: 16Mi}
  limits: {cpu: 100m, memory: 64Mi}
  source: estimate
"""


def test_every_component_of_the_platform_is_in_the_catalog() -> None:
    catalog = load_catalog()
    missing = [name for name in REQUIRED if name not in catalog]
    assert missing == []


def test_every_helm_entry_pins_a_version_and_a_repository() -> None:
    for component in load_catalog():
        install = component.install
        if install.method == "helm":
            assert install.version and install.version not in ("0.0.0", "v0.0.0", "latest")
            assert install.repoURL.startswith(("https://", "oci://"))


def test_retired_and_deprecated_entries_name_a_successor() -> None:
    for component in load_catalog():
        if component.upstream.lifecycle != "maintained":
            assert component.upstream.successor and component.upstream.since


def test_upstream_moves_are_recorded() -> None:
    catalog = load_catalog()
    assert catalog["ingress-nginx-public"].upstream.lifecycle == "retired"
    assert catalog["promtail"].upstream.lifecycle == "deprecated"
    assert catalog["promtail"].upstream.successor == "alloy"
    assert catalog["minio"].upstream.lifecycle != "maintained"
    assert "grafana-community" in catalog["grafana"].install.repoURL  # type: ignore[union-attr]


def test_seed_resource_numbers_are_used() -> None:
    vault = load_catalog()["vault"].resources
    assert vault is not None
    assert (vault.requests.cpu, vault.requests.memory) == ("100m", "256Mi")
    assert (vault.limits.cpu, vault.limits.memory) == ("500m", "512Mi")
    assert vault.source == (
        "the workload resource plan of the reference local multi-cluster architecture"
    )


def test_kyverno_never_runs_on_mgmt_by_default() -> None:
    assert "mgmt" not in load_catalog()["kyverno"].roles


def test_a_good_entry_loads() -> None:
    assert "demo" in build_catalog([("demo.yaml", GOOD)])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t + "colour: blue\n", "colour"),
        (lambda t: t.replace("podSecurity: restricted", "podSecurity: strict"), "podSecurity"),
        (lambda t: t.replace("roles: [mgmt]", "roles: [mgmt]\nprovides: [telepathy]"), "provides"),
        (lambda t: t + "conflicts: [nothing-here]\n", "unknown 'nothing-here'"),
        (lambda t: t + "companionOf: nothing-here\n", "companion of unknown 'nothing-here'"),
        (lambda t: t + "companionOf: demo\n", "its own companion"),
        (lambda t: t + "upstream: {lifecycle: retired}\n", "successor"),
        (lambda t: t.replace("resources:", "resourcez:"), "resourcez"),
        (lambda t: t.replace("name: demo", "name: other"), "differs from file name"),
        (lambda t: t.replace("cpu: 10m", "cpu: ten"), "cpu"),
        (lambda t: t + "oidc: {clientId: demo, redirectPaths: [/cb]}\n", "names its 'host'"),
        (lambda t: t + "oidc: {clientId: demo, host: demo, redirectPaths: [cb]}\n", "'/'"),
        (
            lambda t: (
                t + "oidc: {clientId: demo, host: demo, redirectPaths: [/cb], unlessSet: fleet.x}\n"
            ),
            "the spec has no field fleet.x",
        ),
        (
            lambda t: t + "objectStore: {use: demo, bucketSuffix: demo, keys: [cloud]}\n",
            "no objectStorage.buckets field",
        ),
        (
            lambda t: t + "objectStore: {use: loki, bucketSuffix: demo, keys: [password]}\n",
            "keys",
        ),
    ],
)
def test_malformed_entries_are_rejected(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CatalogError, match=message):
        build_catalog([("demo.yaml", change(GOOD))])


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        build_catalog([("demo.yaml", GOOD), ("x/demo.yaml", GOOD)])


@pytest.mark.parametrize(
    ("fact", "claim"),
    [
        ("oidc: {clientId: demo, host: demo, redirectPaths: [/cb]}", "OIDC client 'demo'"),
        ("objectStore: {use: loki, bucketSuffix: demo, keys: [cloud]}", "bucket 'loki'"),
    ],
)
def test_an_oidc_client_or_a_bucket_belongs_to_one_entry(fact: str, claim: str) -> None:
    other = GOOD.replace("name: demo", "name: other").replace("namespace: demo", "namespace: o")
    with pytest.raises(CatalogError, match=f"{claim} is already demo's"):
        build_catalog([("demo.yaml", f"{GOOD}{fact}\n"), ("other.yaml", f"{other}{fact}\n")])


def test_entries_sharing_a_namespace_must_agree_on_pod_security() -> None:
    other = GOOD.replace("name: demo", "name: other").replace("restricted", "baseline")
    with pytest.raises(CatalogError, match="namespace 'demo' is baseline"):
        build_catalog([("demo.yaml", GOOD), ("other.yaml", other)])


def test_a_selector_on_a_yaml_boolean_loads_as_a_boolean() -> None:
    entry = GOOD + "selectedBy:\n  - setting: networking.clusterMesh\n    values: [true]\n"
    (selector,) = build_catalog([("demo.yaml", entry)])["demo"].selectedBy
    assert selector.values == [True]


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("{setting: networking.cnii, values: [cilium]}", "networking.cnii"),
        ('{setting: networking.clusterMesh, values: ["true"]}', "never 'true'"),
        ("{setting: networking.cni, values: [flannel]}", "never 'flannel'.*canal, cilium"),
        ("{setting: networking.cni, values: [true]}", "never True"),
        ("{setting: networking.clusterMesh, values: [1]}", "valid boolean"),
    ],
)
def test_a_selector_the_planner_can_never_match_is_refused_naming_the_entry(
    selector: str, message: str
) -> None:
    entry = GOOD + f"selectedBy:\n  - {selector}\n"
    with pytest.raises(CatalogError, match=message) as raised:
        build_catalog([("catalog/data/demo.yaml", entry)])
    assert str(raised.value).startswith("catalog/data/demo.yaml: ")
