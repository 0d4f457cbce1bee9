"""A whole app cluster lost: Cluster API builds it again from Git, and Argo CD's cluster
Secret follows its new kubeconfig (through External Secrets where it runs on mgmt);
clusters made by hand are provisioned again from their node files."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = MULTICLUSTER.read_text(encoding="utf-8")
    return _runbooks(text, tmp_path_factory.mktemp("standard"))


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
