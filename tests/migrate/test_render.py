"""The migration's files: Velero objects that validate against the real CRD schemas, written
into a rendered tree where Argo CD never syncs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.app import plan_cluster_migration, validate
from stackyard.errors import InputError
from tests.conftest import EXAMPLES, render_example

MESH = EXAMPLES / "mesh-local.yaml"
FOLDER = "migrations/app1-to-app2"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _by_kind(folder: Path) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for name in sorted(folder.glob("*.yaml")) for d in _documents(name)}


def test_written_migration_validates_against_the_velero_crds(mesh_tree: Path) -> None:
    result = plan_cluster_migration(
        MESH,
        "app1",
        "app2",
        namespaces=["shop=shop-v2"],
        storage_class_map=["local-path-retain=local-path"],
        write=mesh_tree,
    )
    folder = mesh_tree / FOLDER
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "source-backup.yaml",
        "target-location.yaml",
        "target-restore.yaml",
    ]
    assert {f.state for f in result.files} == {"written"}
    validation = validate(mesh_tree)
    assert not validation.failed, validation.errors
    objects = _by_kind(folder)
    assert set(objects) == {"Backup", "BackupStorageLocation", "ConfigMap", "Restore"}
    # The same files, broken, fail validation: the tree's checks do read them.
    restore = folder / "target-restore.yaml"
    restore.write_text(
        restore.read_text(encoding="utf-8").replace("restorePVs:", "restorePVz:"),
        encoding="utf-8",
    )
    broken = validate(mesh_tree)
    assert [(f.check, Path(f.location.file).name) for f in broken.errors] == [
        ("crd", "target-restore.yaml")
    ]


def test_namespace_and_storage_class_mapping_reach_the_restore(mesh_tree: Path) -> None:
    plan_cluster_migration(
        MESH,
        "app1",
        "app2",
        namespaces=["shop=shop-v2"],
        storage_class_map=["local-path-retain=local-path"],
        write=mesh_tree,
    )
    objects = _by_kind(mesh_tree / FOLDER)
    backup, restore = objects["Backup"], objects["Restore"]
    assert backup["metadata"]["namespace"] == "velero"
    assert backup["spec"]["includedNamespaces"] == ["shop"]
    assert backup["spec"]["storageLocation"] == "default"
    assert backup["spec"]["defaultVolumesToFsBackup"] is True
    assert restore["spec"]["backupName"] == backup["metadata"]["name"]
    assert restore["spec"]["includedNamespaces"] == ["shop"]
    assert restore["spec"]["namespaceMapping"] == {"shop": "shop-v2"}
    config = objects["ConfigMap"]
    assert config["metadata"]["labels"]["velero.io/plugin-config"] == ""
    assert config["metadata"]["labels"]["velero.io/change-storage-class"] == "RestoreItemAction"
    assert config["data"] == {"local-path-retain": "local-path"}


def test_the_target_reads_the_source_prefix_read_only(mesh_tree: Path) -> None:
    plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    objects = _by_kind(mesh_tree / FOLDER)
    location = objects["BackupStorageLocation"]
    assert location["spec"]["accessMode"] == "ReadOnly"
    assert location["spec"]["default"] is False
    # The source's own location, as rendered for app1: same bucket, app1's prefix.
    (source,) = [
        d
        for d in _documents(mesh_tree / "manifests/app1/velero/backups.yaml")
        if d["kind"] == "BackupStorageLocation"
    ]
    assert (
        location["spec"]["objectStorage"]["bucket"] == (source["spec"]["objectStorage"]["bucket"])
    )
    assert location["spec"]["objectStorage"]["prefix"] == "app1"
    assert location["metadata"]["name"] != source["metadata"]["name"]
    # No mapping needed, so no ConfigMap that would rewrite every restore on the target.
    assert "ConfigMap" not in objects
    assert "namespaceMapping" not in objects["Restore"]["spec"]


def _source_paths(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["path"]] if isinstance(node.get("path"), str) else []
        return found + [p for value in node.values() for p in _source_paths(value)]
    if isinstance(node, list):
        return [p for item in node for p in _source_paths(item)]
    return []


def test_argo_cd_never_syncs_the_migrations_folder(mesh_tree: Path) -> None:
    plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    paths = [
        path
        for file in [*mesh_tree.glob("apps/**/*.yaml"), *mesh_tree.glob("bootstrap/**/*.yaml")]
        for document in _documents(file)
        if document.get("kind") in {"Application", "ApplicationSet"}
        for path in _source_paths(document.get("spec", {}))
    ]
    assert paths, "the rendered tree has Applications with source paths"
    assert not [p for p in paths if p in {".", ""} or p.startswith("migrations")]
    readme = (mesh_tree / FOLDER / "README.md").read_text(encoding="utf-8")
    assert "Argo CD does not sync this folder" in readme


def test_a_rerender_keeps_the_migration_and_a_rewrite_is_unchanged(mesh_tree: Path) -> None:
    plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    render_example(MESH, mesh_tree)
    assert (mesh_tree / FOLDER / "target-restore.yaml").is_file()
    again = plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    assert {f.state for f in again.files} == {"unchanged"}


def test_the_runbook_lists_the_steps_in_order(mesh_tree: Path) -> None:
    result = plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    titles = [s.title for s in result.steps]
    assert titles == [
        "Freeze writes",
        "Back up the namespaces",
        "Wait until the backup is Completed",
        "Sync the backup to the target",
        "Restore on the target",
        "Verify",
        "Cut traffic over",
        "Decommission",
    ]
    readme = (mesh_tree / FOLDER / "README.md").read_text(encoding="utf-8")
    positions = [readme.index(f". {title}") for title in titles]
    assert positions == sorted(positions)
    assert "kubectl --context app1 apply -f source-backup.yaml" in readme
    assert "kubectl --context app2 apply -f target-restore.yaml" in readme


def test_a_cross_platform_migration_validates_in_the_source_tree(tmp_path: Path) -> None:
    tree = tmp_path / "enterprise"
    render_example(EXAMPLES / "aws-enterprise.yaml", tree)
    result = plan_cluster_migration(
        EXAMPLES / "aws-enterprise.yaml",
        "prod",
        "prod",
        namespaces=["team-data", "team-data-batch"],
        to_spec=EXAMPLES / "aws-standard.yaml",
        write=tree,
    )
    assert not result.failed
    folder = tree / "migrations" / "prod-to-aws-standard-prod"
    objects = _by_kind(folder)
    # Same Longhorn on AWS in the same region: CSI snapshots, moved to the store.
    assert objects["Backup"]["spec"]["snapshotMoveData"] is True
    assert objects["BackupStorageLocation"]["metadata"]["name"] == "from-aws-enterprise-prod"
    validation = validate(tree)
    assert not validation.failed, validation.errors


def test_a_migration_with_an_error_renders_and_writes_nothing(mesh_tree: Path) -> None:
    result = plan_cluster_migration(MESH, "app1", "mgmt", write=mesh_tree)
    assert result.failed
    assert result.files == ()
    assert result.manifests() == ""
    assert not (mesh_tree / "migrations").exists()


@pytest.mark.parametrize("case", ["empty", "missing", "other-platform"])
def test_write_refuses_what_is_not_the_source_tree(tmp_path: Path, case: str) -> None:
    target = tmp_path / "dir"
    if case == "empty":
        target.mkdir()
        expected = "is not a tree stackyard rendered"
    elif case == "missing":
        expected = "is not a directory"
    else:
        render_example(EXAMPLES / "community-poc.yaml", target)
        expected = "was rendered for platform community-poc, not mesh-local"
    with pytest.raises(InputError, match=expected):
        plan_cluster_migration(MESH, "app1", "app2", write=target)
    assert not (target / "migrations").exists()


def test_write_refuses_a_file_it_cannot_replace_before_writing_any(mesh_tree: Path) -> None:
    folder = mesh_tree / FOLDER
    (folder / "target-restore.yaml").mkdir(parents=True)
    with pytest.raises(InputError, match="refusing to replace it"):
        plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    assert sorted(p.name for p in folder.iterdir()) == ["target-restore.yaml"]


def test_write_refuses_a_migrations_folder_linking_out_of_the_tree(
    mesh_tree: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (mesh_tree / "migrations").symlink_to(outside)
    with pytest.raises(InputError, match="is not a folder inside the tree"):
        plan_cluster_migration(MESH, "app1", "app2", write=mesh_tree)
    assert list(outside.iterdir()) == []
