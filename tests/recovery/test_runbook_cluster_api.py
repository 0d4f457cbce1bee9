"""Runbooks of clusters Cluster API made: a lost control-plane machine is deleted and its
control plane provider replaces it, etcd is restored on one machine found on mgmt from the
snapshot bucket, and a whole cluster lost is built again from Git with Argo CD's cluster
Secret following its new kubeconfig (through External Secrets where it runs on mgmt).
None of it points at node files, which such a cluster does not have; clusters made by
hand are provisioned again from theirs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from stackyard.app import write_runbooks
from tests.conftest import EXAMPLES, render_example

MULTICLUSTER = EXAMPLES / "aws-multicluster.yaml"


def _runbooks(spec_text: str, out: Path) -> Path:
    spec = out / "platform.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    render_example(spec, out)
    write_runbooks(spec, out)
    return out / "dr" / "runbooks"


def _cluster_loss(runbooks: Path, cluster: str) -> str:
    text = (runbooks / f"{cluster}.md").read_text(encoding="utf-8")
    return text.split("\n## 4. ", 1)[1].split("\n## ", 1)[0]


def _section(runbooks: Path, cluster: str, number: int) -> str:
    text = (runbooks / f"{cluster}.md").read_text(encoding="utf-8")
    return text.split(f"\n## {number}. ", 1)[1].split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = MULTICLUSTER.read_text(encoding="utf-8")
    return _runbooks(text, tmp_path_factory.mktemp("standard"))


@pytest.fixture(scope="module")
def kubeadm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = MULTICLUSTER.read_text(encoding="utf-8").replace(
        "distribution: rke2", "distribution: kubeadm"
    )
    return _runbooks(text, tmp_path_factory.mktemp("kubeadm"))


@pytest.mark.parametrize(
    ("tree", "control_plane"),
    [("standard", "rke2controlplane"), ("kubeadm", "kubeadmcontrolplane")],
)
def test_a_cluster_api_clusters_runbook_sends_no_one_to_node_files(
    tree: str, control_plane: str, request: pytest.FixtureRequest
) -> None:
    runbooks: Path = request.getfixturevalue(tree)
    text = (runbooks / "prod.md").read_text(encoding="utf-8")
    assert "nodes/prod/" not in text
    assert "prod-server-0" not in text  # the hand-made nodes' names: no such machine
    lost = _section(runbooks, "prod", 3)
    assert "kubectl delete machine <MACHINE> -n cluster-prod" in lost
    assert f"kubectl get {control_plane} prod-control-plane -n cluster-prod" in lost
    etcd = _section(runbooks, "prod", 2)
    paused = etcd.index('\'{"spec":{"paused":true}}\'')
    resumed = etcd.index('\'{"spec":{"paused":false}}\'')
    assert paused < etcd.index("cluster.x-k8s.io/control-plane") < resumed
    assert "aws-multicluster-etcd-snapshots" in etcd
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        filled = re.sub(r"<[A-Z][A-Z0-9_-]*>", "WORD", block)
        done = subprocess.run(["bash", "-n"], input=filled, text=True, capture_output=True)
        assert done.returncode == 0, (block, done.stderr)
    # mgmt is made by hand: its runbook keeps its node files.
    assert "nodes/mgmt/" in (runbooks / "mgmt.md").read_text(encoding="utf-8")


def test_kubeadm_restores_one_member_from_the_bucket_and_replaces_the_other_machines(
    kubeadm: Path,
) -> None:
    etcd = _section(kubeadm, "prod", 2)
    download = etcd.index("aws s3 cp s3://aws-multicluster-etcd-snapshots/prod/<NEWEST>")
    restore = etcd.index("etcdutl snapshot restore /var/lib/etcd-backup/etcd-snapshot-0.db")
    assert download < restore
    assert "--initial-cluster <NODE>=https://<ADDRESS>:2380 " in etcd
    assert etcd.index('paused":false') < etcd.index("kubectl delete machine -n cluster-prod")


def test_the_only_control_plane_machine_lost_is_a_rebuild(standard: Path) -> None:
    lost = _section(standard, "staging", 3)  # staging has one control-plane machine
    assert "Rebuild the cluster as in section 4" in lost
    assert "delete machine" not in lost and "nodes/staging/" not in lost


def test_a_cluster_api_cluster_is_rebuilt_from_mgmt_and_its_secret_follows(
    standard: Path,
) -> None:
    section = _cluster_loss(standard, "prod")
    assert "nodes/prod/" not in section
    assert "kubectl delete cluster prod -n cluster-prod --wait" in section
    assert "argocd app sync cluster-api-prod" in section
    assert "clusters/prod/cluster-api/" in section
    assert "annotate externalsecret cluster-prod force-sync" in section
    assert "edit nothing" in section
    assert "update its cluster Secret" not in section


def test_mgmt_made_by_hand_is_provisioned_again_from_its_node_files(standard: Path) -> None:
    section = _cluster_loss(standard, "mgmt")
    assert "Provision every node again from `nodes/mgmt/`" in section
    assert "delete cluster" not in section


def test_without_external_secrets_the_kubeconfig_comes_from_clusterctl(tmp_path: Path) -> None:
    text = MULTICLUSTER.read_text(encoding="utf-8").replace(
        "edition: standard", "edition: community"
    )
    section = _cluster_loss(_runbooks(text, tmp_path), "prod")
    assert "clusterctl get kubeconfig prod -n cluster-prod" in section
    assert "`apps/clusters/prod.yaml` names it" in section
    assert "externalsecret" not in section


def test_a_manual_app_cluster_keeps_the_hand_made_steps(tmp_path: Path) -> None:
    text = (
        MULTICLUSTER.read_text(encoding="utf-8")
        .replace(
            "    role: app                     # provisioning: auto",
            "    role: app\n    provisioning: manual  #",
        )
        .replace(
            "        cost-center: prod\n",
            "        cost-center: prod\n        kubernetes.io/cluster/prod: owned\n",
        )
    )
    section = _cluster_loss(_runbooks(text, tmp_path), "prod")
    assert "Provision every node again from `nodes/prod/`" in section
    assert "update its cluster Secret (`apps/clusters/prod.yaml` names it" in section
    assert "delete cluster" not in section
