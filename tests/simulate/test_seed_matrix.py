"""``--all-single-failures`` on the seed 004 example reproduces §9.1 and §9.3 row by row.

Each seed statement is mapped to the function it talks about and the part of it the
seed marks: ``interrupted`` (❌ what stops), ``kept`` (the cache or buffer the seed puts
in parentheses or marks ✅), ``running`` (✅ workloads keep running). Rows may say more
than the seed; what they add is listed, so the match is exact both ways.
"""

from __future__ import annotations

from stackyard.simulate.matrix import FailureMatrix, MatrixRow, failure_matrix
from stackyard.simulate.recovery import priority_of
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from tests.simulate.conftest import example_model

Statement = tuple[str, str]  # (function id, interrupted | kept)

SEED_9_1: dict[str, list[Statement]] = {
    # mgmt 클러스터 전체 다운
    "mgmt": [
        ("secret-refresh", "interrupted"),  # ❌ 시크릿 갱신 불가
        ("secret-refresh", "kept"),  # (캐시로 동작)
        ("metrics-query", "interrupted"),  # ❌ 중앙 메트릭/로그 조회 불가
        ("logs-query", "interrupted"),
        ("metrics-shipping", "kept"),  # (로컬 수집 지속)
        ("log-shipping", "kept"),
        ("certificate-issuance", "interrupted"),  # ❌ 새 인증서 발급 불가
        ("certificate-issuance", "kept"),  # (기존 인증서로 동작)
        ("deploys", "interrupted"),  # ❌ GitOps 배포 중단
        ("deploys", "kept"),  # (기존 워크로드는 정상 실행)
    ],
    # Vault 다운
    "vault@mgmt": [
        ("secret-refresh", "interrupted"),  # ❌ 새 시크릿 발급 불가
        ("secret-refresh", "kept"),  # ✅ External Secrets 캐시로 동작
    ],
    # ArgoCD 다운
    "argo-cd@mgmt": [
        ("deploys", "interrupted"),  # ❌ GitOps 배포 중단
        ("deploys", "kept"),  # ✅ 기존 워크로드 정상 실행
    ],
    # Harbor (외부) 다운
    "harbor": [
        ("image-pulls", "interrupted"),  # ❌ 새 이미지 Pull 불가
        ("image-pulls", "kept"),  # ✅ 캐시된 이미지로 Pod 실행
    ],
}
SEED_RUNNING = {"mgmt": ("app1", "app2")}  # ✅ app1/app2 워크로드 정상 실행

# What the computed rows add to the seed's hand-written ones.
BEYOND_SEED: dict[str, set[str]] = {
    "mgmt": {
        *("backups", "alert-notifications", "alert-evaluation", "dashboards"),
        "flow-visibility",  # Hubble on mgmt
        "ai-diagnostics",  # K8sGPT on mgmt
        "cluster-mesh",  # app clusters stop learning mgmt's endpoints (they keep the last)
    },
    "vault@mgmt": {"certificate-issuance"},  # the Vault issuer is down as well
    "argo-cd@mgmt": set(),
    "harbor": set(),
}


def matrix() -> FailureMatrix:
    return failure_matrix(example_model("local-multicluster"), 1800.0)


def statements(row: MatrixRow) -> set[Statement]:
    found: set[Statement] = set()
    for effect in row.effects:
        found.add((effect.function, "interrupted"))
        if effect.kept and effect.state == "kept":
            found.add((effect.function, "kept"))
    return found


def test_every_seed_row_is_reproduced_with_nothing_unexplained() -> None:
    computed = matrix()
    for target, seed in SEED_9_1.items():
        row = computed.row(target)
        found = statements(row)
        assert set(seed) <= found, (target, set(seed) - found)
        extra = {function for function, _ in found} - {function for function, _ in seed}
        assert extra == BEYOND_SEED[target], (target, extra)


def test_app_workloads_run_through_every_seed_failure() -> None:
    computed = matrix()
    for target in SEED_9_1:
        assert computed.row(target).running == ("app1", "app2"), target
    assert not computed.row("mgmt").effects_on("workloads")


def test_buffers_cover_a_half_hour_outage_in_the_seed_rows() -> None:
    row = matrix().row("mgmt")
    states = {e.function: e.state for e in row.effects}
    assert states["secret-refresh"] == "kept"
    assert states["metrics-shipping"] == "kept"
    assert {e.buffer for e in row.effects_on("secret-refresh")} == {"1h"}
    assert {e.buffer for e in row.effects_on("metrics-shipping")} == {"2h40m"}


SEED_9_3 = {
    "P0": {"harbor"},  # Harbor 15분
    "P1": {"vault@mgmt", "control-plane@mgmt", "argo-cd@mgmt"},  # 30분
    "P2": {"thanos@mgmt", "loki@mgmt", "grafana@mgmt"},  # 1시간
}


def test_recovery_priorities_match_seed_9_3() -> None:
    model = example_model("local-multicluster")
    for priority, services in SEED_9_3.items():
        for service in services:
            assert priority_of(model, model.services[service])[0] == priority, service


def test_recovery_targets_follow_the_spec_rto() -> None:
    model = example_model("local-multicluster")  # slo.rto: 1h
    targets = {}
    for service in ("harbor", "vault@mgmt", "thanos@mgmt", "kyverno-policies@app1"):
        report = run_scenario(model, single_failure(model, service, "10m"))
        recovery = next(r for r in report.recovery if r.service.id == service)
        targets[recovery.priority] = recovery.target_seconds
    assert targets == {
        "P0": 900.0,  # 15 min
        "P1": 1800.0,  # 30 min
        "P2": 3600.0,  # 1 h
        "P3": None,
    }
