"""The migration plan: what moves, how, and every pre-flight finding firing and staying quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.plan.migration import MigrationPlan, plan_migration
from stackyard.plan.preflight import PREFLIGHT
from tests.conftest import EXAMPLES
from tests.migrate.conftest import Variant, plan_of

MESH = EXAMPLES / "mesh-local.yaml"
VELERO_OFF_ON_APP2 = (
    "  - name: app2\n    role: app\n",
    "  - name: app2\n    role: app\n    components: {velero: {enabled: false}}\n",
)


def _checks(migration: MigrationPlan) -> list[str]:
    return [f.check for f in migration.findings]


def test_the_default_moves_every_tenant_namespace_of_the_source(multicluster: Path) -> None:
    migration = plan_migration(plan_of(multicluster), "app1", "app2")
    assert migration.namespaces == (
        ("team-a", "team-a"),
        ("team-a-jobs", "team-a-jobs"),
        ("team-b", "team-b"),
    )
    assert migration.name == "app1-to-app2"
    assert not migration.cross_platform
    # Same storage on both: nothing to map, and local-path volumes move file by file.
    assert migration.storage_classes == ()
    assert migration.file_system_backup


def test_a_move_between_twin_clusters_has_no_finding() -> None:
    migration = plan_migration(plan_of(MESH), "app1", "app2")
    assert migration.findings == ()
    assert migration.namespaces == (("shop", "shop"),)


def test_named_namespaces_move_alone_and_may_be_renamed(multicluster: Path) -> None:
    migration = plan_migration(
        plan_of(multicluster), "app1", "app2", namespaces=["team-b", "team-a=team-a-new"]
    )
    assert migration.namespaces == (("team-b", "team-b"), ("team-a", "team-a-new"))


def test_velero_missing_on_the_target_is_an_error(variant: Variant) -> None:
    spec = variant("local-multicluster.yaml", VELERO_OFF_ON_APP2, extra=_tenants_on_both())
    migration = plan_migration(plan_of(spec), "app1", "app2")
    (finding,) = [f for f in migration.findings if f.check == "SY721"]
    assert finding.severity == "error"
    assert finding.cluster == "app2"
    assert "Velero does not run on app2" in finding.message
    reverse = plan_migration(plan_of(spec), "app2", "app1")
    assert [f.cluster for f in reverse.findings if f.check == "SY721"] == ["app2"]


def test_velero_on_both_clusters_is_quiet(multicluster: Path) -> None:
    assert "SY721" not in _checks(plan_migration(plan_of(multicluster), "app1", "app2"))


def _tenants_on_both() -> str:
    return "\ntenants:\n  - name: team-b\n    clusters: [app1, app2]\n"


def test_a_storage_class_the_target_lacks_is_an_error() -> None:
    migration = plan_migration(
        plan_of(MESH), "app1", "app2", storage_class_map=["local-path-retain=fast-ssd"]
    )
    assert migration.storage_classes == (("local-path-retain", "fast-ssd"),)
    (finding,) = [f for f in migration.findings if f.check == "SY723"]
    assert finding.severity == "error"
    assert "need class fast-ssd on app2" in finding.message


def test_a_mapping_to_a_class_the_target_has_is_quiet() -> None:
    migration = plan_migration(
        plan_of(MESH), "app1", "app2", storage_class_map=["local-path-retain=local-path"]
    )
    assert migration.storage_classes == (("local-path-retain", "local-path"),)
    assert "SY723" not in _checks(migration)


def test_classes_the_target_lacks_map_to_its_default_class() -> None:
    # local-path on provider local → Longhorn on AWS: both source classes become longhorn.
    migration = plan_migration(
        plan_of(MESH),
        "app1",
        "prod",
        target_plan=plan_of(EXAMPLES / "aws-standard.yaml"),
        namespaces=["shop"],
    )
    assert migration.storage_classes == (
        ("local-path", "longhorn"),
        ("local-path-retain", "longhorn"),
    )
    assert "SY723" not in _checks(migration)


def test_a_target_older_than_the_source_is_an_error(variant: Variant) -> None:
    older = variant("mesh-local.yaml", ('version: "1.35"', 'version: "1.34"'), name="old.yaml")
    migration = plan_migration(plan_of(MESH), "app1", "app2", target_plan=plan_of(older))
    (finding,) = [f for f in migration.findings if f.check == "SY724"]
    assert finding.severity == "error"
    assert "runs Kubernetes 1.34, older than 1.35" in finding.message
    assert finding.field == "kubernetes.version"
    assert "SY725" not in _checks(migration)


def test_a_target_two_minors_newer_is_a_warning(variant: Variant) -> None:
    older = variant("mesh-local.yaml", ('version: "1.35"', 'version: "1.33"'), name="old.yaml")
    migration = plan_migration(plan_of(older), "app1", "app2", target_plan=plan_of(MESH))
    (finding,) = [f for f in migration.findings if f.check == "SY725"]
    assert finding.severity == "warning"
    assert "2 minor versions newer" in finding.message
    assert "SY724" not in _checks(migration)


def test_one_minor_newer_is_quiet(variant: Variant) -> None:
    older = variant("mesh-local.yaml", ('version: "1.35"', 'version: "1.34"'), name="old.yaml")
    migration = plan_migration(plan_of(older), "app1", "app2", target_plan=plan_of(MESH))
    assert not {"SY724", "SY725"} & set(_checks(migration))


def test_api_groups_missing_on_the_target_are_a_warning() -> None:
    migration = plan_migration(plan_of(MESH), "app1", "mgmt")
    (finding,) = [f for f in migration.findings if f.check == "SY726"]
    assert finding.severity == "warning"
    assert "networking.istio.io" in finding.message
    assert "kyverno.io" in finding.message
    assert "installed on app1 by istio-base, kiali-operator, kyverno" in finding.message
    assert "SY726" not in _checks(plan_migration(plan_of(MESH), "app2", "app1"))


def test_a_mesh_tenant_needs_the_mesh_on_the_target() -> None:
    migration = plan_migration(plan_of(MESH), "app1", "mgmt")
    (finding,) = [f for f in migration.findings if f.check == "SY727"]
    assert finding.severity == "error"
    assert "shop need the service mesh" in finding.message
    assert migration.errors == [finding]


def test_a_tenant_outside_the_mesh_needs_no_mesh(variant: Variant) -> None:
    outside = variant("mesh-local.yaml", ("  tenants: [shop]\n", "  tenants: []\n"))
    migration = plan_migration(plan_of(outside), "app1", "mgmt")
    assert "SY727" not in _checks(migration)


def test_a_namespace_not_placed_on_the_target_is_a_warning() -> None:
    migration = plan_migration(plan_of(MESH), "app1", "app2", namespaces=["shop=shop-v2"])
    (finding,) = [f for f in migration.findings if f.check == "SY728"]
    assert finding.severity == "warning"
    assert "namespace shop-v2 (renamed from shop) is not a tenant namespace of app2" in (
        finding.message
    )
    (placed,) = [
        f for f in plan_migration(plan_of(MESH), "app1", "mgmt").findings if f.check == "SY728"
    ]
    assert placed.field == "tenants.0.clusters"


def test_csi_volumes_move_as_snapshots_only_to_the_same_storage() -> None:
    enterprise = plan_of(EXAMPLES / "aws-enterprise.yaml")
    standard = plan_of(EXAMPLES / "aws-standard.yaml")
    same = plan_migration(enterprise, "prod", "prod", target_plan=standard)
    assert same.source.volume_backup == "csi"
    assert not same.file_system_backup
    assert "SY729" not in _checks(same)
    elsewhere = plan_migration(enterprise, "prod", "app1", target_plan=plan_of(MESH))
    assert elsewhere.file_system_backup
    (finding,) = [f for f in elsewhere.findings if f.check == "SY729"]
    assert finding.severity == "info"


def test_another_platform_must_be_given_the_source_store() -> None:
    enterprise = plan_of(EXAMPLES / "aws-enterprise.yaml")
    migration = plan_migration(
        enterprise, "prod", "prod", target_plan=plan_of(EXAMPLES / "aws-standard.yaml")
    )
    assert migration.cross_platform
    assert migration.name == "prod-to-aws-standard-prod"
    (finding,) = [f for f in migration.findings if f.check == "SY722"]
    assert "store of platform aws-enterprise (prefix prod)" in finding.message
    assert "SY722" not in _checks(plan_migration(plan_of(MESH), "app1", "app2"))


def test_every_preflight_code_is_documented_once() -> None:
    ids = [check.id for check in PREFLIGHT]
    assert len(ids) == len(set(ids))
    text = (EXAMPLES.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    for check in PREFLIGHT:
        assert f"## {check.id}\n\n**{check.title}** ({check.severity})." in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"from_cluster": "nope"}, "'nope' is not a cluster of"),
        ({"to_cluster": "nope"}, "'nope' is not a cluster of"),
        ({"to_cluster": "app1"}, "'app1' is the source cluster too"),
        ({"namespaces": ["team-c"]}, "'team-c' is not a tenant namespace of cluster app1"),
        ({"namespaces": ["Team_A"]}, "'Team_A' is not NAME or NAME=NEW"),
        ({"namespaces": ["team-a=Bad_Name"]}, "'Bad_Name' is not a name"),
        ({"namespaces": ["team-a", "team-a=x"]}, "'team-a' is given twice"),
        ({"namespaces": ["team-a=team-b", "team-b"]}, "two namespaces become 'team-b'"),
        ({"storage_class_map": ["local-path"]}, "'local-path' is not OLD=NEW"),
        ({"storage_class_map": ["=x"]}, "'=x' is not OLD=NEW"),
        ({"storage_class_map": ["gold=x"]}, "'gold' is not a storage class of cluster app1"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    multicluster: Path, kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"from_cluster": "app1", "to_cluster": "app2", **kwargs}
    with pytest.raises(InputError) as error:
        plan_migration(plan_of(multicluster), **arguments)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_a_source_without_tenants_has_nothing_to_move() -> None:
    with pytest.raises(InputError, match="cluster app1 has no tenant namespace to migrate"):
        plan_migration(plan_of(EXAMPLES / "local-multicluster.yaml"), "app1", "app2")


def test_a_tenant_publishing_apis_needs_the_api_gateway_on_the_target() -> None:
    enterprise = plan_of(EXAMPLES / "aws-enterprise.yaml")
    standard = plan_of(EXAMPLES / "aws-standard.yaml")
    web = plan_migration(enterprise, "prod", "prod", target_plan=standard, namespaces=["team-web"])
    messages = [f.message for f in web.findings if f.check == "SY727"]
    assert any("team-web need the API gateway" in m for m in messages)
    data = plan_migration(
        enterprise, "prod", "prod", target_plan=standard, namespaces=["team-data"]
    )
    assert "SY727" not in _checks(data)
