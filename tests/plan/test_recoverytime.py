"""A recovery time and its origin: the one type simulate's per-cluster estimates and the
runbook's per-scenario times share, so both say the same thing in the same JSON."""

from __future__ import annotations

from stackyard.plan.recoverytime import RecoveryTime
from stackyard.recovery.runbook import Estimate
from stackyard.simulate.backups import ClusterEstimate

MEASURED = RecoveryTime.measured(7.254, "dr/drills/app1/x-etcd.json", "2026-11-20T08:00:00+00:00")
DOCUMENTED = RecoveryTime.documented(1800)


def test_a_documented_estimate_names_no_drill() -> None:
    assert DOCUMENTED.as_dict() == {
        "estimate": "30m",
        "estimateSeconds": 1800,
        "source": "documented",
        "record": None,
        "date": None,
    }
    assert DOCUMENTED.describe() == "30m documented estimate (no drill record)"


def test_a_measured_time_names_its_drill_and_rounds_to_milliseconds() -> None:
    assert MEASURED.as_dict() == {
        "estimate": "7s",
        "estimateSeconds": 7.254,
        "source": "measured",
        "record": "dr/drills/app1/x-etcd.json",
        "date": "2026-11-20T08:00:00+00:00",
    }
    assert RecoveryTime.measured(1.23456, "r", "d").as_dict()["estimateSeconds"] == 1.235
    assert MEASURED.describe() == (
        "7s measured by the drill of 2026-11-20T08:00:00+00:00 (dr/drills/app1/x-etcd.json)"
    )


def test_simulate_and_the_runbook_carry_the_same_time() -> None:
    for time in (MEASURED, DOCUMENTED):
        per_cluster = ClusterEstimate("app1", time).as_dict()
        per_scenario = Estimate("etcd-corruption", "etcd data corrupted", "restore", time).as_dict()
        assert per_cluster == {"cluster": "app1", **time.as_dict()}
        assert per_scenario == {"scenario": "etcd-corruption", **time.as_dict()}
    assert Estimate("s", "t", "m", MEASURED).describe() == (
        "7s (7.25 s measured by the etcd restore drill of 2026-11-20T08:00:00+00:00, "
        "`dr/drills/app1/x-etcd.json`)"
    )
    assert Estimate("s", "t", "m", DOCUMENTED).describe() == "30m (simulate's documented estimate)"
