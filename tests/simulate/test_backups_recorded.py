"""Backup tiers come from what render recorded as it wrote them, and follow the spec.

Every number and every cited ``file:line`` is checked against the rendered text itself,
and the check runs again with every file emptied to prove nothing is re-read.
"""

from __future__ import annotations

from dataclasses import replace

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.render.tree import RenderedTree
from stackyard.simulate.backups import DisasterRecovery, TierCheck, check_disaster_recovery
from stackyard.simulate.dependencies import build_runtime_model
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from stackyard.simulate.settings import Evidence
from stackyard.spec import load_spec_text
from tests.simulate.conftest import local_text

EXTERNAL_STORE = """objectStorage:
  endpoint: https://s3.example.com
  credentialsSecret: object-storage
clusters:
"""


def render(text: str) -> tuple[RenderedTree, DisasterRecovery]:
    plan = make_plan(load_spec_text(text, "platform.yaml"))
    tree = render_plan(plan)
    return tree, check_disaster_recovery(build_runtime_model(plan, tree))


def tiers(recovery: DisasterRecovery) -> dict[tuple[str, str | None], TierCheck]:
    return {(t.tier, t.cluster): t for t in recovery.tiers}


def line_of(tree: RenderedTree, evidence: Evidence | None) -> str:
    """The rendered line ``evidence`` cites (``file:line``)."""
    assert evidence is not None
    path, line = evidence.source.rsplit(":", 1)
    return tree.files[path].splitlines()[int(line) - 1]


def test_a_different_rpo_moves_snapshot_schedule_and_retention_and_their_cited_lines() -> None:
    daily_tree, daily = render(local_text())
    hourly_tree, hourly = render(local_text().replace("rpo: 24h", "rpo: 1h"))
    for tree, recovery, cron, kept in (
        (daily_tree, daily, "0 0 * * *", "5"),
        (hourly_tree, hourly, "0 * * * *", "24"),
    ):
        etcd = tiers(recovery)["L1", "app1"]
        assert etcd.evidence and etcd.evidence.value == cron
        assert line_of(tree, etcd.evidence) == f"  schedule: {cron}"
        assert etcd.retention == f"{kept} snapshots"
        assert line_of(tree, etcd.retention_evidence).strip() == f"value: '{kept}'"
        assert etcd.rpo_seconds == (86400 if kept == "5" else 3600)
        volumes = tiers(recovery)["L2", "app1"]
        assert volumes.evidence and line_of(tree, volumes.evidence).endswith(
            f"schedule: {volumes.evidence.value}"
        )
        assert line_of(tree, volumes.retention_evidence).strip() == "ttl: 720h0m0s"
    hourly_volumes = tiers(hourly)["L2", "app1"]
    assert hourly_volumes.evidence and hourly_volumes.evidence.value == "10 * * * *"
    assert hourly_volumes.rpo_seconds == 3600


def test_rke2_schedule_retention_and_store_cite_the_node_config_lines() -> None:
    text = local_text().replace("distribution: kubeadm", "distribution: rke2")
    tree, recovery = render(text.replace("rpo: 24h", "rpo: 6h"))
    etcd = tiers(recovery)["L1", "mgmt"]
    assert etcd.method.startswith("RKE2 etcd snapshots")
    assert line_of(tree, etcd.evidence) == "etcd-snapshot-schedule-cron: 0 */6 * * *"
    assert line_of(tree, etcd.retention_evidence) == "etcd-snapshot-retention: 5"
    assert etcd.rpo_seconds == 6 * 3600
    # Off-node copies go to MinIO on mgmt through the config Secret RKE2 reads.
    assert [s.component for s in etcd.stores] == [None, "minio"]
    store = etcd.as_dict()["keptIn"][1]
    assert store["where"] == "MinIO on mgmt"
    path, line = store["source"].rsplit("(", 1)[1].rstrip(")").rsplit(":", 1)
    assert tree.files[path].splitlines()[int(line) - 1] == "etcd-s3-config-secret: etcd-s3-secret"


def test_minio_versioning_follows_a_values_overlay_and_cites_its_line() -> None:
    # The cluster's overlay is the last values file Helm reads for mgmt: its list wins.
    text = local_text().replace(
        "    role: mgmt\n",
        "    role: mgmt\n"
        "    components: {minio: {values: {buckets: [{name: scratch, versioning: false}]}}}\n",
    )
    tree, recovery = render(text)
    objects = tiers(recovery)["L3", "mgmt"]
    assert objects.verdict == "missing" and "scratch" in objects.note
    assert objects.evidence and objects.evidence.source.startswith("values/clusters/mgmt/")
    assert line_of(tree, objects.evidence).strip() == "versioning: false"
    _, default = render(local_text())
    assert tiers(default)["L3", "mgmt"].verdict == "meets"


def test_the_simulation_reads_no_rendered_file() -> None:
    plan = make_plan(load_spec_text(local_text(), "platform.yaml"))
    tree = render_plan(plan)
    recorded = check_disaster_recovery(build_runtime_model(plan, tree))
    # With every file's contents gone, tiers, numbers and citations are the same.
    emptied = replace(tree, files={})
    assert check_disaster_recovery(build_runtime_model(plan, emptied)) == recorded
    assert (
        recorded.as_dict() == check_disaster_recovery(build_runtime_model(plan, emptied)).as_dict()
    )
    assert all(t.evidence for t in recorded.tiers)


def backups_interrupted_by_a_mgmt_outage(text: str) -> set[str]:
    """The clusters whose scheduled backups stop while mgmt is down for 3 h."""
    plan = make_plan(load_spec_text(text, "platform.yaml"))
    model = build_runtime_model(plan, render_plan(plan))
    report = run_scenario(model, single_failure(model, "mgmt", "3h"))
    return {o.function.where for o in report.simulation.affected() if o.function.id == "backups"}


def test_an_external_store_keeps_backups_through_a_mgmt_outage_and_a_mgmt_loss() -> None:
    _, in_cluster = render(local_text())
    assert tiers(in_cluster)["L2", "app1"].kept_on == {"mgmt"}
    assert {s.id: s.unrecoverable for s in in_cluster.scenarios}["cluster-loss"] == ("mgmt",)
    assert backups_interrupted_by_a_mgmt_outage(local_text()) == {"app1", "app2"}

    # MinIO still runs (a plan warning), but Velero writes to the spec's store.
    external = local_text().replace("clusters:\n", EXTERNAL_STORE, 1)
    tree, recovery = render(external)
    volumes = tiers(recovery)["L2", "app1"]
    assert volumes.kept_on == {None}
    written = volumes.stores[0].written
    assert written is not None
    assert tree.files[written.file].splitlines()[written.line - 1].strip() == (
        "s3Url: https://s3.example.com"
    )
    assert "outside the platform (https://s3.example.com)" in volumes.method
    cluster_loss = {s.id: s for s in recovery.scenarios}["cluster-loss"]
    assert cluster_loss.unrecoverable == ()
    assert cluster_loss.verdict == "exceeds"  # 2 h against an RTO of 1 h, nothing lost
    assert backups_interrupted_by_a_mgmt_outage(external) == set()
