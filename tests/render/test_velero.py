"""Velero per cluster: CSI snapshots with the data mover where the storage and the
distribution allow them, file-system backup elsewhere, and the objects valid against the
real CRD schemas and chart values."""

from __future__ import annotations

import pytest

from stackyard.catalog import load_catalog
from stackyard.plan.volumebackup import volume_backup
from stackyard.validate.crdschemas import check_resource
from tests.render.conftest import Rendered, RenderVariant, example_text, render_text

KUBEADM = ("distribution: rke2", "distribution: kubeadm")


def snapshot_drivers() -> dict[str, str]:
    """Storage provider → CSI driver, for the catalog entries that take CSI snapshots."""
    return {
        c.name: c.csi.driver
        for c in load_catalog()
        if "storage" in c.provides and c.csi is not None and c.csi.snapshots is not None
    }


def volumes_schedule(result: Rendered, cluster: str) -> dict[str, object]:
    schedule = result.find(
        f"manifests/{cluster}/velero/backups.yaml", "Schedule", "platform-volumes"
    )
    template: dict[str, object] = schedule["spec"]["template"]
    return template


def kubeadm_with_longhorn() -> Rendered:
    text = example_text("community-poc").replace(*KUBEADM).replace("cni: canal", "cni: cilium")
    return render_text(text)


def test_longhorn_is_the_catalogs_snapshot_capable_storage() -> None:
    # The render below depends on this catalog fact, not on a list in the code.
    assert snapshot_drivers() == {"longhorn": "driver.longhorn.io"}
    entry = next(c for c in load_catalog() if c.name == "local-path-provisioner")
    assert entry.csi is None


@pytest.mark.parametrize("name", ["aws-standard", "aws-enterprise", "community-poc"])
def test_rke2_clusters_with_longhorn_snapshot_through_its_csi_driver(
    rendered: dict[str, Rendered], name: str
) -> None:
    result = rendered[name]
    for cluster in result.plan.clusters:
        if not cluster.has("velero"):
            continue
        path = f"manifests/{cluster.name}/velero/snapshot-classes.yaml"
        classes = result.documents(path)
        assert [c["kind"] for c in classes] == ["VolumeSnapshotClass"]
        vsc = classes[0]
        assert vsc["apiVersion"] == "snapshot.storage.k8s.io/v1"
        assert vsc["driver"] == "driver.longhorn.io"
        assert vsc["metadata"]["labels"] == {"velero.io/csi-volumesnapshot-class": "true"}
        assert vsc["parameters"] == {"type": "snap"}  # a Longhorn snapshot, not a backup
        assert vsc["deletionPolicy"] == "Delete"
        check = check_resource(vsc)
        assert check.ok, check.problems
        template = volumes_schedule(result, cluster.name)
        assert template["snapshotVolumes"] is True
        assert template["snapshotMoveData"] is True
        assert template["defaultVolumesToFsBackup"] is False
        configuration = result.values(cluster.name, "velero")["configuration"]
        assert configuration["features"] == "EnableCSI"
        assert configuration["defaultSnapshotMoveData"] is True
        assert configuration["defaultVolumesToFsBackup"] is False
        assert result.values(cluster.name, "velero")["deployNodeAgent"] is True  # data mover


@pytest.mark.parametrize("name", ["local-multicluster", "mesh-local"])
def test_local_path_clusters_keep_file_system_backup(
    rendered: dict[str, Rendered], name: str
) -> None:
    result = rendered[name]
    clusters = [c for c in result.plan.clusters if c.has("velero")]
    assert clusters
    for cluster in clusters:
        assert f"manifests/{cluster.name}/velero/snapshot-classes.yaml" not in result.files
        template = volumes_schedule(result, cluster.name)
        assert template["snapshotVolumes"] is False
        assert "snapshotMoveData" not in template
        assert template["defaultVolumesToFsBackup"] is True
        values = result.values(cluster.name, "velero")
        assert "features" not in values["configuration"]
        assert values["configuration"]["defaultVolumesToFsBackup"] is True
        assert values["configuration"]["uploaderType"] == "kopia"


def test_kubeadm_with_longhorn_falls_back_to_file_system_backup_and_warns() -> None:
    result = kubeadm_with_longhorn()
    (cluster,) = result.plan.clusters
    backup = volume_backup(cluster, "kubeadm")
    assert backup.method == "filesystem"
    assert backup.blocked == ("longhorn",)
    assert "manifests/poc/velero/snapshot-classes.yaml" not in result.files
    assert volumes_schedule(result, "poc")["defaultVolumesToFsBackup"] is True
    (finding,) = [f for f in result.plan.findings if f.check == "SY704"]
    assert finding.severity == "warning"
    assert "longhorn" in finding.message and "kubeadm" in finding.message
    assert finding.location.line == 11  # kubernetes.distribution in the spec


def test_rke2_with_longhorn_has_no_snapshot_warning(rendered: dict[str, Rendered]) -> None:
    assert not [f for f in rendered["community-poc"].plan.findings if f.check == "SY704"]


def test_a_cluster_without_storage_has_no_volumes_schedule(
    render_variant: RenderVariant,
) -> None:
    result = render_variant(
        "community-poc", "pki:\n", "components:\n  longhorn: {enabled: false}\npki:\n"
    )
    names = [d["metadata"]["name"] for d in result.documents("manifests/poc/velero/backups.yaml")]
    assert names == ["default", "platform-resources"]
    assert "manifests/poc/velero/snapshot-classes.yaml" not in result.files
