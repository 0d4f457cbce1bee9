"""``stackyard diff`` judges the mesh, services, APIs, directories, hardening and the
Cluster Mesh: what a sync applies is calm, what refuses what was admitted before,
restarts pods or rebuilds clusters is disruptive, and each says why."""

from __future__ import annotations

import shutil
import typing
from functools import cache
from pathlib import Path

import pytest

from stackyard.catalog.settings import SETTING_VALUES
from stackyard.plan import Plan, make_plan
from stackyard.plan.diff import Change, compare_plans
from stackyard.plan.disruption import UNJUDGED, judge
from stackyard.plan.fieldchanges import path_text
from stackyard.spec import Platform, load_spec_text
from tests.cli.test_diff_every_field import ITEM, KEY, _base_type, _model, _unwrap, field_paths
from tests.conftest import EXAMPLES
from tests.plan.conftest import example_text
from tests.render.test_cluster_mesh_limits import _fleet
from tests.spec_sections import without_mesh_and_apis

APIS = Path(__file__).resolve().parent.parent / "render" / "data" / "apis"
SECTIONS = ("mesh", "services", "apis", "identity", "hardening")


def _plan(text: str, folder: Path = EXAMPLES) -> Plan:
    # Beside the examples by default, where aws-enterprise's OpenAPI document is.
    return make_plan(load_spec_text(text, "platform.yaml", folder))


def _changes(text: str, *replacements: tuple[str, str], folder: Path = EXAMPLES) -> list[Change]:
    """The changes from ``text`` to ``text`` with each replacement applied once."""
    new = text
    for old, now in replacements:
        assert old in new, old
        new = new.replace(old, now, 1)
    return list(compare_plans(_plan(text, folder), _plan(new, folder)).changes)


def _at(changes: list[Change], name: str) -> Change:
    found = [c for c in changes if (c.path or c.subject) == name]
    assert len(found) == 1, (name, changes)
    return found[0]


def _disruptive(changes: list[Change]) -> list[str]:
    return [c.path or c.subject for c in changes if c.disruptive]


def _judged_paths() -> list[str]:
    """The paths diff judges by rule in the new sections: leaves, list items, optional
    sections; not the settings (judged as settings), names (an item's key) or sections
    that are always there (walked field by field)."""
    paths = []
    for path, annotation in field_paths(Platform):
        if path[0] not in SECTIONS or path[-1] == "name" or ".".join(path) in SETTING_VALUES:
            continue
        base, optional = _unwrap(annotation)
        plain = _base_type(base)
        if _model(plain) is not None and not optional:
            continue
        segments = tuple("[x]" if s in (ITEM, KEY) else s for s in path)
        if typing.get_origin(plain) is list and _model(typing.get_args(plain)[0]):
            segments = (*segments, "[x]")
        paths.append(path_text(segments))
    return paths


def test_every_field_of_the_new_sections_has_a_rule() -> None:
    paths = _judged_paths()
    assert "services[x].versions[x].weight" in paths and "hardening" in paths
    assert [p for p in paths if judge(p, "a", "b")[1] == UNJUDGED] == []


# The mesh and the services (examples/mesh-local.yaml: checkout is a 90/10 canary).
MESH = example_text("mesh-local")


def test_canary_weights_and_timeouts_are_applied_by_a_sync() -> None:
    changes = _changes(
        MESH,
        ("{name: stable, weight: 90}", "{name: stable, weight: 80}"),
        ("{name: canary, weight: 10}", "{name: canary, weight: 20}"),
        ("timeout: 10s", "timeout: 30s"),
        ("retries: {attempts: 2,", "retries: {attempts: 3,"),
    )
    assert {c.path for c in changes} == {
        "services[checkout].versions[stable].weight",
        "services[checkout].versions[canary].weight",
        "services[checkout].timeout",
        "services[checkout].retries.attempts",
    }
    assert _disruptive(changes) == []


def test_a_removed_caller_is_refused_and_an_added_one_is_not() -> None:
    removed = _changes(MESH, ("callers: [storefront]\n    versions:", "callers: []\n    versions:"))
    change = _at(removed, "services[checkout].callers")
    assert change.disruptive and "refused" in change.reason
    added = _changes(MESH, ("callers: [storefront]\n", "callers: [storefront, checkout]\n"))
    assert not _at(added, "services[checkout].callers").disruptive


def test_mesh_mode_and_switch_disrupt_and_say_why() -> None:
    mode = _at(_changes(MESH, ("mode: ambient", "mode: sidecar")), "mesh.mode")
    assert mode.disruptive and "restarts" in mode.reason
    off = _changes(MESH, ("mesh:\n  enabled: true", "mesh:\n  enabled: false"))
    assert _at(off, "mesh.enabled").disruptive
    assert not _at(off, "mesh.mode").disruptive  # none: it follows mesh.enabled
    assert "mesh.enabled" in _at(off, "mesh.mode").reason


def test_strict_mtls_refuses_plain_text_and_permissive_does_not() -> None:
    permissive = _at(_changes(MESH, ("mtls: strict", "mtls: permissive")), "mesh.mtls")
    assert not permissive.disruptive
    relaxed = MESH.replace("mtls: strict", "mtls: permissive", 1)
    strict = _at(_changes(relaxed, ("mtls: permissive", "mtls: strict")), "mesh.mtls")
    assert strict.disruptive and "plain-text" in strict.reason


def test_services_of_the_same_name_in_two_tenants_are_told_apart() -> None:
    tail = "\n".join(
        [
            "services:",
            "  - {name: web, tenant: team-web, ports: [{name: http, port: 80}]}",
            "  - {name: web, tenant: team-data, ports: [{name: http, port: 80}]}",
            "",
        ]
    )
    text = without_mesh_and_apis(example_text("aws-enterprise")) + tail
    changes = _changes(text, ("port: 80}]}\n  - {name: web", "port: 81}]}\n  - {name: web"))
    change = _at(changes, "services[team-web/web].ports[http].port")
    assert change.disruptive


# APIs (examples/aws-enterprise.yaml, without its own, plus the APIs of tests/render/data/apis).


@pytest.fixture(scope="module")
def api_spec(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("apis")
    (folder / "apis").mkdir()
    shutil.copy(APIS / "orders.yaml", folder / "apis" / "orders.yaml")
    text = without_mesh_and_apis((EXAMPLES / "aws-enterprise.yaml").read_text(encoding="utf-8"))
    return text + (APIS / "spec-tail.yaml").read_text(encoding="utf-8"), folder


def test_plans_and_added_consumers_are_calm_and_a_removed_consumer_is_not(
    api_spec: tuple[str, Path],
) -> None:
    text, folder = api_spec
    calm = _changes(
        text,
        ("rateLimit: {requests: 100, unit: Minute}", "rateLimit: {requests: 50, unit: Minute}"),
        ("{name: mobile-app, plan: basic}", "{name: mobile-app, plan: basic}, {name: web}"),
        folder=folder,
    )
    assert _disruptive(calm) == []
    assert _at(calm, "apis[reports].consumers[web]").reason.startswith("a Keycloak client")
    removed = _changes(text, ("      - {name: partner-portal, plan: free}\n", ""), folder=folder)
    assert _disruptive(removed) == ["apis[orders].consumers[partner-portal]"]


def test_a_required_scope_added_disrupts_and_one_dropped_does_not(
    api_spec: tuple[str, Path],
) -> None:
    text, folder = api_spec
    more = _changes(text, ("scopes: [reports.read]", "scopes: [reports.read, x]"), folder=folder)
    assert _disruptive(more) == ["apis[reports].auth.scopes"]
    fewer = _changes(text, ("scopes: [orders.read]", "scopes: []"), folder=folder)
    assert _disruptive(fewer) == []


# Directories.

DIRECTORY = (
    "identity:\n"
    "  directories:\n"
    "    - name: corp\n"
    "      type: ldap\n"
    "      url: ldaps://ldap.example.com\n"
    '      bindDN: "cn=keycloak,ou=services,dc=example,dc=com"\n'
    "      bindPassword: {secret: ldap-bind, key: password}\n"
    '      users: {baseDN: "ou=people,dc=example,dc=com"}\n'
)
WITH_DIRECTORY = example_text("aws-standard").split("\nidentity:", 1)[0] + "\n" + DIRECTORY


def test_a_directory_moving_or_binding_anew_is_calm() -> None:
    changes = _changes(
        WITH_DIRECTORY,
        ("ldaps://ldap.example.com", "ldaps://ldap2.example.com"),
        ("cn=keycloak,ou=services", "cn=sso,ou=services"),
    )
    assert len(changes) == 2
    assert _disruptive(changes) == []


def test_a_directory_edit_mode_or_user_base_change_disrupts() -> None:
    mode = _changes(WITH_DIRECTORY, ("users:", "editMode: UNSYNCED\n      users:"))
    assert _disruptive(mode) == ["identity.directories[corp].editMode"]
    base = _changes(WITH_DIRECTORY, ("ou=people", "ou=staff"))
    change = _at(base, "identity.directories[corp].users.baseDN")
    assert change.disruptive and "vanish" in change.reason


# Hardening (examples/aws-enterprise.yaml: CIS auto, so on for Enterprise).
ENTERPRISE = example_text("aws-enterprise")


def test_cis_on_or_off_disrupts_and_said_again_does_not() -> None:
    off = _changes(ENTERPRISE, ("hardening:", "hardening:\n  cis: false"))
    assert _disruptive(off) == ["hardening.cis"]
    assert "reconfigured" in _at(off, "hardening.cis").reason
    same = _changes(ENTERPRISE, ("hardening:", "hardening:\n  cis: true"))
    assert [c.path for c in same] == ["hardening.cis"]
    assert _disruptive(same) == []


def test_the_edition_turning_cis_on_disrupts() -> None:
    standard = ENTERPRISE.replace("edition: enterprise", "edition: standard", 1)
    changes = _changes(standard, ("edition: standard", "edition: enterprise"))
    assert "hardening.cis" in _disruptive(changes)


def test_audit_level_is_calm_and_an_encryption_provider_change_is_not() -> None:
    audit = _changes(ENTERPRISE, ("level: Metadata", "level: Request"))
    assert _disruptive(audit) == [] and len(audit) == 1
    provider = _changes(
        ENTERPRISE,
        ("provider: aws-kms", "provider: vault-kms"),
        ("key: alias/aws-enterprise-k8s-secrets", "key: kubernetes-secrets"),
    )
    change = _at(provider, "hardening.encryptionAtRest.provider")
    assert change.disruptive and "re-encrypted" in change.reason


def test_moving_the_kms_plugin_to_another_vault_restarts_the_api_servers() -> None:
    vault = ENTERPRISE.replace("provider: aws-kms", "provider: vault-kms", 1).replace(
        "key: alias/aws-enterprise-k8s-secrets",
        "key: kubernetes-secrets\n    vaultAddress: https://vault-a.corp.example",
        1,
    )
    moved = _changes(vault, ("https://vault-a.corp.example", "https://vault-b.corp.example:8200"))
    change = _at(moved, "hardening.encryptionAtRest.vaultAddress")
    assert change.disruptive and "API server restarts" in change.reason
    assert _disruptive(moved) == ["hardening.encryptionAtRest.vaultAddress"]


# Cluster Mesh: facts Cilium cannot change on a running cluster.


@cache
def _fleet_plan(clusters: int) -> Plan:
    return _plan(_fleet(clusters))


def _fleet_changes(old: int, new: int) -> list[Change]:
    return list(compare_plans(_fleet_plan(old), _fleet_plan(new)).changes)


def test_growing_a_mesh_past_255_clusters_disrupts_every_running_cluster() -> None:
    # One management cluster and 254 app clusters, then 256.
    change = _at(_fleet_changes(255, 257), "clustermesh.maxConnectedClusters")
    assert (change.old, change.new, change.disruptive) == ("255", "511", True)
    assert "255 running clusters" in change.reason and "cannot change" in change.reason


def test_growing_a_mesh_within_255_clusters_is_calm() -> None:
    assert _disruptive(_fleet_changes(254, 255)) == []


def test_auto_turning_the_mesh_off_above_511_clusters_disrupts() -> None:
    change = _at(_fleet_changes(511, 512), "networking.clusterMesh")
    assert change.disruptive and "511" in change.reason


def _without(text: str, cluster: str) -> str:
    lines = text.split("\n")
    start = lines.index(f"  - name: {cluster}")
    ends = (i for i in range(start + 1, len(lines)) if lines[i].startswith("  - name:"))
    end = next(ends, len(lines) - 1)  # the last cluster ends before the final newline
    return "\n".join(lines[:start] + lines[end:])


def test_removing_a_meshed_cluster_from_the_middle_shifts_the_ids_after_it() -> None:
    text = _fleet(6)
    changes = list(compare_plans(_plan(text), _plan(_without(text, "c3"))).changes)
    moved = [(c.cluster, c.old, c.new) for c in changes if c.subject == "cluster id"]
    assert moved == [("c4", "5", "4"), ("c5", "6", "5")]
    assert all(c.disruptive for c in changes if c.subject == "cluster id")


def test_removing_the_last_cluster_moves_no_id() -> None:
    text = _fleet(6)
    changes = list(compare_plans(_plan(text), _plan(_without(text, "c5"))).changes)
    assert [c.cluster for c in changes if c.disruptive] == ["c5"]
    assert [c for c in changes if c.subject == "cluster id"] == []


def test_turning_the_fleet_service_off_deletes_its_store_and_is_listed_once() -> None:
    off = "fleet:\n  service:\n    enabled: false\n"
    text = example_text("aws-standard") + off
    on = _changes(text, (off, off.replace("false", "true")))
    assert not _at(on, "fleet.service.enabled").disruptive
    gone = _changes(
        text.replace(off, off.replace("false", "true")), ("enabled: true", "enabled: false")
    )
    change = _at(gone, "fleet.service.enabled")
    assert change.kind == "setting" and change.disruptive
    assert "SQLite store" in change.reason
    assert _at(gone, "stackyard-fleet").kind == "component"


def test_moving_the_fleet_service_to_another_database_is_disruptive() -> None:
    text = example_text("aws-standard") + "fleet:\n  service:\n    enabled: true\n"
    changes = _changes(text, ("enabled: true\n", "enabled: true\n    database: postgresql\n"))
    change = _at(changes, "fleet.service.database")
    assert change.disruptive and "not copied" in change.reason
