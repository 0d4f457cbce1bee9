"""RPO/RTO check: worst-case gaps from the rendered cron schedules, tiers and scenarios."""

from __future__ import annotations

import pytest

from stackyard.simulate.backups import check_disaster_recovery, cron_worst_gap
from tests.simulate.conftest import example_model, local_text, model_from_text


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("0 0 * * *", 86400),
        ("*/15 * * * *", 900),
        ("0 */6 * * *", 21600),
        ("0 2 * * 1", 7 * 86400),
        ("0 2 * * 1-5", 3 * 86400),  # Friday to Monday
        ("0 0 1 * *", 31 * 86400),
    ],
)
def test_worst_gap_between_firings(expression: str, seconds: int) -> None:
    assert cron_worst_gap(expression) == seconds


def test_a_broken_cron_expression_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        cron_worst_gap("every day")


def test_local_tiers_come_from_the_rendered_files() -> None:
    recovery = check_disaster_recovery(example_model("local-multicluster"))
    tiers = {(t.tier, t.cluster): t for t in recovery.tiers}
    etcd = tiers["L1", "app1"]
    assert etcd.rpo_seconds == 86400 and etcd.verdict == "meets"
    assert etcd.evidence and etcd.evidence.source == "manifests/app1/base/etcd-backup.yaml:16"
    assert etcd.retention == "5 snapshots"
    volumes = tiers["L2", "app2"]
    assert volumes.evidence and volumes.evidence.source.startswith(
        "manifests/app2/velero/backups.yaml:"
    )
    assert tiers["L3", "mgmt"].method == "MinIO bucket versioning"
    assert tiers["L4", None].rpo_seconds == 0
    scenarios = {s.id: s.verdict for s in recovery.scenarios}
    # Snapshots are copied off each cluster's only control-plane node to MinIO on mgmt, so
    # losing that node leaves them; but mgmt's backups (and the app clusters') are kept in
    # MinIO on mgmt: losing mgmt leaves nothing to restore.
    assert scenarios == {
        "deleted-resource": "meets",
        "etcd-corruption": "meets",
        "control-plane-loss": "meets",
        "cluster-loss": "missing",
    }


def test_rke2_snapshots_are_read_from_the_node_config() -> None:
    recovery = check_disaster_recovery(example_model("aws-enterprise"))
    etcd = [t for t in recovery.tiers if t.tier == "L1"]
    assert etcd and all(t.method.startswith("RKE2 etcd snapshots") for t in etcd)
    assert all(t.evidence and "/rke2/config.yaml:" in t.evidence.source for t in etcd)
    # No MinIO on AWS: the object tier is outside the repository, and says so.
    assert any(t.tier == "L3" and t.verdict == "missing" for t in recovery.tiers)


def test_a_tighter_rpo_renders_schedules_that_still_meet_it() -> None:
    model = model_from_text(local_text().replace("rpo: 24h", "rpo: 12h"))
    recovery = check_disaster_recovery(model)
    # The render follows the RPO: schedules tighten with it and still meet it.
    assert all(t.verdict == "meets" for t in recovery.tiers if t.tier in ("L1", "L2"))
    assert max(t.rpo_seconds or 0 for t in recovery.tiers) <= 12 * 3600
