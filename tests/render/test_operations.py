"""Backups and alert rules on the rendered tree."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from stackyard.render.manifests.backup import backup_cron
from stackyard.spec.units import parse_duration
from tests.render.conftest import Rendered, RenderVariant


def _field(text: str, size: int) -> list[int]:
    if text == "*":
        return list(range(size))
    if text.startswith("*/"):
        return list(range(0, size, int(text[2:])))
    return [int(text)]


def longest_gap_seconds(cron: str) -> int:
    """The longest wait between two runs of a minute/hour cron over two days."""
    minute, hour, day, month, weekday = cron.split()
    assert (day, month, weekday) == ("*", "*", "*")
    runs = [
        d * 86400 + h * 3600 + m * 60
        for d in range(2)
        for h in _field(hour, 24)
        for m in _field(minute, 60)
    ]
    return max(b - a for a, b in itertools.pairwise(runs))


@pytest.mark.parametrize("rpo", ["5m", "30m", "45m", "1h", "90m", "5h", "12h", "24h", "72h"])
def test_backup_interval_never_exceeds_the_rpo(rpo: str) -> None:
    seconds = parse_duration(rpo)
    gap = longest_gap_seconds(backup_cron(seconds, offset_minute=20))
    assert gap <= seconds or (seconds > 86400 and gap == 86400)


def schedules(result: Rendered, cluster: str) -> dict[str, str]:
    path = f"manifests/{cluster}/velero/backups.yaml"
    return {
        d["metadata"]["name"]: d["spec"]["schedule"]
        for d in result.documents(path)
        if d["kind"] == "Schedule"
    }


def test_example_schedules_meet_their_rpo(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        rpo = parse_duration(result.plan.spec.platform.slo.rpo)
        for cluster in result.plan.clusters:
            for cron in schedules(result, cluster.name).values():
                assert longest_gap_seconds(cron) <= rpo


def test_an_hourly_rpo_gives_hourly_backups_staggered_by_cluster(
    render_variant: RenderVariant,
) -> None:
    result = render_variant("local-multicluster", "rpo: 24h", "rpo: 1h")
    assert schedules(result, "mgmt")["platform-resources"] == "0 * * * *"
    assert schedules(result, "app1")["platform-resources"] == "10 * * * *"


def test_daily_rpo_backs_up_objects_and_volume_data(rendered: dict[str, Rendered]) -> None:
    result = rendered["local-multicluster"]
    found = schedules(result, "app2")
    assert found == {"platform-resources": "20 2 * * *", "platform-volumes": "20 2 * * *"}
    volumes = result.find("manifests/app2/velero/backups.yaml", "Schedule", "platform-volumes")
    assert volumes["spec"]["template"]["defaultVolumesToFsBackup"] is True
    assert volumes["spec"]["template"]["ttl"] == "720h0m0s"


def test_storage_location_per_provider(rendered: dict[str, Rendered]) -> None:
    def location(result: Rendered, cluster: str) -> dict[str, Any]:
        path = f"manifests/{cluster}/velero/backups.yaml"
        return result.find(path, "BackupStorageLocation", "default")["spec"]

    local = rendered["local-multicluster"]
    assert location(local, "mgmt")["config"]["s3Url"] == "http://minio.minio.svc:9000"
    app1 = location(local, "app1")
    assert app1["config"]["s3Url"] == "https://minio.platform.local.example"
    assert app1["config"]["s3ForcePathStyle"] == "true"
    assert app1["objectStorage"] == {
        "bucket": "local-multicluster-velero",
        "prefix": "app1",
        "caCertRef": {"name": "platform-ca-bundle", "key": "ca.crt"},
    }
    aws = location(rendered["aws-standard"], "prod")
    assert aws["config"] == {"region": "ap-northeast-2"}
    assert "credential" not in aws  # the nodes' instance profile
    assert app1["credential"] == {"name": "velero-credentials", "key": "cloud"}


def rules(result: Rendered, cluster: str) -> dict[str, dict[str, Any]]:
    path = f"manifests/{cluster}/prometheus/alert-rules.yaml"
    return {
        rule.get("alert") or rule["record"]: rule
        for document in result.documents(path)
        for group in document["spec"]["groups"]
        for rule in group["rules"]
    }


def test_rules_live_where_prometheus_runs_in_full_mode(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        for cluster in result.plan.clusters:
            path = f"manifests/{cluster.name}/prometheus/alert-rules.yaml"
            assert (path in result.files) == cluster.has("prometheus")
            if path in result.files:
                labels = [d["metadata"]["labels"] for d in result.documents(path)]
                assert all(label["release"] == "prometheus" for label in labels)


def test_burn_rate_thresholds_follow_the_slo(rendered: dict[str, Rendered]) -> None:
    found = rules(rendered["aws-standard"], "prod")  # availability 99.9
    fast = found["PlatformErrorBudgetFastBurn"]
    slow = found["PlatformErrorBudgetSlowBurn"]
    assert "rate1h > 0.0144" in fast["expr"] and "rate5m > 0.0144" in fast["expr"]
    assert "rate6h > 0.006" in slow["expr"] and "rate30m > 0.006" in slow["expr"]
    assert fast["labels"]["severity"] == "critical"
    # The edge's request metrics: Cilium's Envoy here, ingress-nginx's where it runs.
    ratio = "stackyard:platform_error_ratio:rate1h"
    assert "envoy_http_downstream_rq_total" in found[ratio]["expr"]
    nginx = rules(rendered["community-poc"], "poc")[ratio]
    assert "nginx_ingress_controller_requests" in nginx["expr"]


def test_contract_alerts_for_agents_and_external_secrets(rendered: dict[str, Rendered]) -> None:
    found = rules(rendered["local-multicluster"], "mgmt")
    # walRetention 2h40m: half of the buffer is 4800 s.
    assert found["StackyardRemoteWriteBufferAtRisk"]["expr"].endswith("> 4800")
    assert "StackyardAgentWALGrowing" in found
    assert "StackyardExternalSecretSyncErrors" in found
    community = rules(rendered["community-poc"], "poc")
    assert "StackyardRemoteWriteBehind" not in community
    assert "StackyardExternalSecretSyncErrors" not in community
