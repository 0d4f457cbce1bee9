"""The monthly restore check and the backup alerts: objects valid against the real schemas,
a check whose steps fit together and its permissions, and alert thresholds derived from
the spec's RPO."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import promql_parser
import pytest
import yaml
from cronsim import CronSim

from stackyard.render.manifests.backupalerts import repository_web_url
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.kube import validate_builtin
from tests.render.conftest import EXAMPLE_NAMES, Rendered, RenderVariant

CANARY = "restore-check-canary"
SCRATCH = "restore-check-scratch"


def check_objects(result: Rendered, cluster: str) -> dict[tuple[str, str], dict[str, Any]]:
    path = f"manifests/{cluster}/velero/restore-check.yaml"
    return {(d["kind"], d["metadata"]["name"]): d for d in result.documents(path)}


def flag(args: list[str], name: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]
    return value


def backup_rules(result: Rendered) -> dict[str, dict[str, Any]]:
    (path,) = [p for p in result.files if p.endswith("/prometheus/backup-alerts.yaml")]
    (rule,) = result.documents(path)
    check = check_resource(rule)
    assert check.ok, check.problems
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_velero_cluster_has_a_valid_restore_check(
    rendered: dict[str, Rendered], name: str
) -> None:
    result = rendered[name]
    version = result.plan.spec.platform.kubernetes.version
    for cluster in (c for c in result.plan.clusters if c.has("velero")):
        objects = check_objects(result, cluster.name)
        for document in objects.values():
            if document["apiVersion"] == "velero.io/v1":
                check = check_resource(document)
                assert check.ok, check.problems
            else:
                assert not list(validate_builtin(document, version)), document["kind"]
        # The Restore each run creates is in a ConfigMap: validate it as Velero would see it.
        restore = yaml.safe_load(objects["ConfigMap", "restore-check"]["data"]["restore.yaml"])
        check = check_resource(restore)
        assert check.ok, check.problems
        spec = restore["spec"]
        schedule = objects["Schedule", spec["scheduleName"]]["spec"]
        assert schedule["template"]["includedNamespaces"] == [CANARY]
        assert spec["namespaceMapping"] == {CANARY: SCRATCH}
        assert spec["includedNamespaces"] == [CANARY]
        # The verify step expects back exactly what the canary holds.
        canary = objects["ConfigMap", "stackyard-restore-check"]
        assert canary["metadata"]["namespace"] == CANARY
        pod = objects["CronJob", "restore-check"]["spec"]["jobTemplate"]["spec"]["template"]
        steps = {c["name"]: c["args"] for c in pod["spec"]["initContainers"]}
        verify = steps["verify"]
        assert verify[:4] == ["wait", "configmap/stackyard-restore-check", "-n", SCRATCH]
        assert flag(verify, "for") == f"jsonpath={{.data.cluster}}={canary['data']['cluster']}"
        assert canary["data"]["cluster"] == cluster.name


def test_the_check_runs_monthly_after_the_canary_backup_in_a_fixed_order(
    rendered: dict[str, Rendered],
) -> None:
    objects = check_objects(rendered["local-multicluster"], "app1")
    cronjob = objects["CronJob", "restore-check"]["spec"]
    assert cronjob["timeZone"] == "Etc/UTC" and cronjob["concurrencyPolicy"] == "Forbid"
    firings = CronSim(cronjob["schedule"], datetime(2026, 1, 1, tzinfo=UTC))
    runs = [next(firings) for _ in range(13)]
    gaps = {(b - a).days for a, b in itertools.pairwise(runs)}
    assert gaps <= {28, 29, 30, 31}  # once a month
    # The canary's daily backup runs in the hours before each check.
    canary = objects["Schedule", "restore-check-canary"]["spec"]["schedule"]
    for run in runs:
        backup = next(CronSim(canary, run - timedelta(hours=6)))
        assert backup < run
    job = cronjob["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    pod = job["template"]["spec"]
    order = [c["name"] for c in pod["initContainers"]] + [c["name"] for c in pod["containers"]]
    assert order == [
        "clear-scratch",
        "clear-restores",
        "restore",
        "wait-restore",
        "verify",
        "wait-volume",
        "verify-data",
        "wait-verify-data",
        "clean-up",
    ]
    images = {c["image"] for c in pod["initContainers"] + pod["containers"]}
    assert images == {"registry.k8s.io/kubectl:v1.35.0"}  # the spec's Kubernetes version
    wait = next(c["args"] for c in pod["initContainers"] if c["name"] == "wait-restore")
    assert flag(wait, "for") == "jsonpath={.status.phase}=Completed"


def test_the_check_may_only_restore_and_clean_up_after_itself(
    rendered: dict[str, Rendered],
) -> None:
    objects = check_objects(rendered["aws-enterprise"], "prod")
    (role_rule,) = objects["Role", "restore-check"]["rules"]
    assert role_rule["apiGroups"] == ["velero.io"] and role_rule["resources"] == ["restores"]
    assert objects["Role", "restore-check"]["metadata"]["namespace"] == "velero"
    cluster_rules = objects["ClusterRole", "stackyard-restore-check"]["rules"]
    granted = {
        (rule["resources"][0], name): set(rule["verbs"])
        for rule in cluster_rules
        for name in rule["resourceNames"]  # every cluster-wide rule is limited by name
    }
    assert granted == {
        ("namespaces", SCRATCH): {"get", "list", "watch", "delete"},
        ("configmaps", "stackyard-restore-check"): {"get", "list", "watch"},
        ("persistentvolumeclaims", "restore-check-canary"): {"get", "list", "watch"},
    }
    assert all("*" not in rule["verbs"] for rule in [role_rule, *cluster_rules])
    binding = objects["ClusterRoleBinding", "stackyard-restore-check"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "restore-check", "namespace": "velero"}
    ]


@pytest.mark.parametrize(
    ("rpo", "interval", "missing"),
    [("24h", 86400, 172800), ("6h", 21600, 43200), ("5h", 14400, 28800), ("30m", 1800, 3600)],
)
def test_missing_backup_alerts_fire_after_two_intervals_of_the_rpo_schedule(
    render_variant: RenderVariant, rpo: str, interval: int, missing: int
) -> None:
    result = render_variant("community-poc", "rpo: 24h", f"rpo: {rpo}")
    schedule = result.find("manifests/poc/velero/backups.yaml", "Schedule", "platform-resources")
    runs = CronSim(schedule["spec"]["schedule"], datetime(2026, 1, 1, tzinfo=UTC))
    first = next(runs)
    assert (next(runs) - first).total_seconds() == interval
    backup_rules(result)  # valid against the PrometheusRule CRD
    limits = {}
    for rule in (r for r in _all(result) if r["alert"] == "VeleroBackupMissing"):
        names = re.search(r'schedule=~"([^"]+)"', rule["expr"])
        assert names is not None
        for name in names.group(1).split("|"):
            limits[name] = _missing_limit(rule["expr"])
    assert limits == {
        "platform-resources": missing,
        "platform-volumes": missing,
        "restore-check-canary": 2 * 86400,  # the canary is backed up daily
    }
    failed = next(r for r in _all(result) if r["alert"] == "VeleroBackupFailed")
    window = re.search(r"\[(\w+)\]", failed["expr"])
    assert window is not None
    assert window.group(1) == _duration(max(2 * interval, 600))


def _missing_limit(expr: str) -> int:
    """The seconds without a success after which a VeleroBackupMissing expression fires.

    Parsed with a real PromQL parser: ``(time() - max(last success) > L) or (the schedule's
    counter L ago unless a last success)``; both sides must say the same ``L``.
    """
    parsed = promql_parser.parse(expr)
    assert isinstance(parsed, promql_parser.BinaryExpr) and str(parsed.op) == "or"
    assert isinstance(parsed.lhs, promql_parser.ParenExpr)
    assert isinstance(parsed.rhs, promql_parser.ParenExpr)
    late, never = parsed.lhs.expr, parsed.rhs.expr
    assert isinstance(late, promql_parser.BinaryExpr) and str(late.op) == ">"
    assert isinstance(late.rhs, promql_parser.NumberLiteral)
    assert _selectors(late) == {"velero_backup_last_successful_timestamp": None}
    # Never succeeded: the Schedule's counter (there from its first reconcile) existed
    # L ago, and no success timestamp (there only after a success) exists now.
    assert isinstance(never, promql_parser.BinaryExpr) and str(never.op) == "unless"
    assert never.modifier is not None and never.modifier.matching is not None
    assert never.modifier.matching.labels == ["cluster", "schedule"]
    assert _selectors(never.lhs) == {"velero_backup_attempt_total": timedelta(seconds=late.rhs.val)}
    assert _selectors(never.rhs) == {"velero_backup_last_successful_timestamp": None}
    same = {str(s.matchers) for s in _vector_selectors(parsed)}
    assert len(same) == 1, same  # every selector names the same schedules
    return int(late.rhs.val)


def _vector_selectors(expr: promql_parser.Expr) -> list[promql_parser.VectorSelector]:
    found: list[promql_parser.VectorSelector] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(expr, pre_visit=visit)
    return found


def _selectors(expr: promql_parser.Expr) -> dict[str | None, timedelta | None]:
    """Each metric the expression reads, with its offset."""
    return {s.name: s.offset for s in _vector_selectors(expr)}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_alert_and_recording_rule_is_valid_promql(
    rendered: dict[str, Rendered], name: str
) -> None:
    rules = [
        (path, rule)
        for path, document in rendered[name].objects()
        if document["kind"] == "PrometheusRule"
        for group in document["spec"]["groups"]
        for rule in group["rules"]
    ]
    assert any(rule.get("alert") == "VeleroBackupMissing" for _, rule in rules)
    for path, rule in rules:
        try:
            promql_parser.parse(rule["expr"])
        except ValueError as e:
            pytest.fail(f"{path} {rule.get('alert') or rule.get('record')}: {e}")


def test_the_promql_parser_refuses_what_prometheus_refuses() -> None:
    # The check above is only as good as the parser: it type-checks, as Prometheus does.
    for wrong in ("rate(velero_backup_attempt_total)", "sum(x) unless on (a) 3", "x offset 2x"):
        with pytest.raises(ValueError):
            promql_parser.parse(wrong)


def _all(result: Rendered) -> list[dict[str, Any]]:
    (path,) = [p for p in result.files if p.endswith("/prometheus/backup-alerts.yaml")]
    (rule,) = result.documents(path)
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}h" if hours else "") + (f"{rest // 60}m" if rest else "")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_alerts_have_severity_summary_and_a_runbook_section_that_exists(
    rendered: dict[str, Rendered], name: str
) -> None:
    result = rendered[name]
    rules = _all(result)
    assert {r["alert"] for r in rules} == {
        "VeleroBackupFailed",
        "VeleroBackupPartiallyFailed",
        "VeleroBackupMissing",
        "RestoreCheckFailed",
        "RestoreCheckMissing",
    }
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line[4:].lower()).replace(" ", "-")
        for line in result.files["README.md"].splitlines()
        if line.startswith("### ")
    }
    repo = result.plan.spec.platform.gitops.repoURL.removesuffix(".git")
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(f"{repo}/blob/main/README.md#")
        assert url.rsplit("#", 1)[1] in headings, url
    # Velero is scraped wherever Prometheus or its agent runs.
    for cluster in result.plan.clusters:
        monitor = result.values(cluster.name, "velero").get("metrics", {}).get("serviceMonitor")
        scraped = cluster.has("prometheus") or cluster.has("prometheus-agent")
        assert (monitor == {"enabled": True}) if scraped else monitor is None


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("https://github.com/org/gitops.git", "https://github.com/org/gitops"),
        (
            "git@gitlab.example.com:group/sub/gitops.git",
            "https://gitlab.example.com/group/sub/gitops",
        ),
        ("ssh://git@git.example.com:2222/org/gitops", "https://git.example.com/org/gitops"),
        ("file:///srv/gitops", None),
    ],
)
def test_runbook_links_use_the_web_address_of_the_gitops_remote(
    remote: str, web: str | None
) -> None:
    assert repository_web_url(remote) == web
