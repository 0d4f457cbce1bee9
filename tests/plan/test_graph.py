"""Dependency resolution, waves and cycle detection on small hand-made catalogs."""

from __future__ import annotations

from stackyard.catalog import Catalog, build_catalog
from stackyard.plan.graph import compute_waves, resolve_needs

ENTRY = """\
name: {name}
title: {name}
description: test entry
install: {{method: manifest, source: test}}
namespace: test
podSecurity: baseline
provides: [{provides}]
needs: [{needs}]
editions: [community, standard, enterprise]
roles: [mgmt, app, standalone]
syncWave: {wave}
workload: none
"""


def catalog(*entries: tuple[str, str, str, int]) -> Catalog:
    return build_catalog(
        (f"{name}.yaml", ENTRY.format(name=name, provides=provides, needs=needs, wave=wave))
        for name, provides, needs, wave in entries
    )


def test_waves_are_raised_above_dependencies() -> None:
    cat = catalog(
        ("store", "secrets", "", 5),
        ("sync", "secrets-sync", "{capability: secrets}", 0),
    )
    edges, unmet = resolve_needs({"c": {"store", "sync"}}, {"c": "standalone"}, cat)
    assert not unmet
    waves = compute_waves(["store", "sync"], edges, cat)
    assert waves.waves == {"store": 5, "sync": 6}
    assert "needs store" in waves.reasons["sync"]


def test_cycles_are_reported_with_their_members() -> None:
    cat = catalog(
        ("ca", "certificates", "{capability: secrets}", 0),
        ("vault", "secrets", "{capability: certificates}", 0),
    )
    edges, _ = resolve_needs({"c": {"ca", "vault"}}, {"c": "standalone"}, cat)
    waves = compute_waves(["ca", "vault"], edges, cat)
    assert set(waves.cycle) == {"ca", "vault"}


def test_platform_scope_needs_are_served_from_mgmt() -> None:
    cat = catalog(
        ("store", "secrets", "", 0),
        ("sync", "secrets-sync", "{capability: secrets, scope: platform, runtime: buffered}", 1),
    )
    running = {"mgmt": {"store", "sync"}, "app": {"sync"}}
    edges, unmet = resolve_needs(running, {"mgmt": "mgmt", "app": "app"}, cat)
    assert not unmet
    app_edge = next(e for e in edges if e.cluster == "app")
    assert (app_edge.provider, app_edge.provider_cluster, app_edge.runtime) == (
        "store",
        "mgmt",
        "buffered",
    )


def test_cluster_scope_needs_are_not_served_from_elsewhere() -> None:
    cat = catalog(
        ("cni", "cni", "", 0),
        ("app", "dns", "{capability: cni}", 1),
    )
    _, unmet = resolve_needs(
        {"mgmt": {"cni", "app"}, "app": {"app"}}, {"mgmt": "mgmt", "app": "app"}, cat
    )
    assert [(u.cluster, u.consumer, u.capability) for u in unmet] == [("app", "app", "cni")]
    assert unmet[0].candidates == ("cni",)


def test_optional_needs_may_stay_unmet() -> None:
    cat = catalog(("grafana", "dashboards", "{capability: sso, optional: true}", 0))
    _, unmet = resolve_needs({"c": {"grafana"}}, {"c": "standalone"}, cat)
    assert unmet == []
