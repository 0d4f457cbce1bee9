"""Alerts on Velero's backups and on the monthly restore check, with their runbook.

Velero exports per-Schedule metrics on its ``/metrics`` port (8085), which its chart's
ServiceMonitor offers to Prometheus or the Prometheus Agent wherever one runs
(``metrics.serviceMonitor.enabled``); the restore check's result is kube-state-metrics'
view of its CronJob. The rules live in one PrometheusRule, ``platform-backups``, on the
cluster that runs Prometheus in full mode, labelled for the metrics store's ruler as well
(``stackyard.dev/rule-scope: fleet``, as the contract alerts in
:mod:`stackyard.render.manifests.observability`), since every cluster runs Velero.

Thresholds come from the spec's ``slo.rpo`` through the same schedule the render writes
(:func:`stackyard.render.manifests.backup.backup_interval`): with an interval ``I``
between two backups,

- ``VeleroBackupFailed`` / ``VeleroBackupPartiallyFailed``: a Schedule's
  ``velero_backup_failure_total`` / ``velero_backup_partial_failure_total`` grew within
  the last ``2 × I`` (at least 10 minutes, so two scrapes see it);
- ``VeleroBackupMissing``: its last successful backup is older than ``2 × I``
  (``time() - velero_backup_last_successful_timestamp``), so one late or failed run
  is tolerated and the second is not (for an RPO under two days, ``2 × I`` is over
  the RPO); or it never had one: the Schedule's ``velero_backup_attempt_total``
  existed ``2 × I`` ago and there is still no timestamp (:func:`missing_backup_expr`);
- ``RestoreCheckFailed``: the restore check's last scheduled run has not succeeded two
  hours later (its Job's deadline is one hour), or it never succeeded since it was first
  scheduled;
- ``RestoreCheckMissing``: no successful restore check in 32 days (one monthly run
  missed, plus a day).

Failures, missing backups and a failed restore check are critical (backups the
platform counts on are not being made, or do not restore); partial failures and a
missed check are warnings. Each alert's ``runbook_url`` points at its section of the
rendered README (:func:`readme_section`), on the Git host of ``gitops.repoURL`` when the
URL names one (``https://``, ``ssh://`` or ``git@host:``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.airgap import gitops_url
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.backup import DAY, PLATFORM_SCHEDULES, backup_interval
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.restorecheck import CANARY_SCHEDULE
from stackyard.render.manifests.restorecheck import NAME as CHECK
from stackyard.render.tree import Manifest
from stackyard.spec.units import format_duration, parse_duration

RULE_NAME = "platform-backups"
README_SECTION = "Backups and restore checks"
MIN_WINDOW = 600
CHECK_GRACE = "2h"
CHECK_MISSING_SECONDS = 32 * DAY

# Alert → (severity, what to do). The README renders the same texts under the alert's name.
RUNBOOK: dict[str, tuple[str, str]] = {
    "VeleroBackupFailed": (
        "critical",
        "`velero backup describe <backup> --details` and `velero backup logs <backup>` "
        "name the cause; most often the object store is unreachable or its credentials "
        "(`velero-credentials`) are wrong: `velero backup-location get` shows the "
        "location's phase. Fix it, then `velero backup create --from-schedule <schedule>` "
        "to take the missed backup now.",
    ),
    "VeleroBackupPartiallyFailed": (
        "warning",
        "Some items were not backed up: `velero backup describe <backup> --details` lists "
        "the errors (often a volume whose snapshot or file copy failed). Fix the item and "
        "take a backup from the schedule again.",
    ),
    "VeleroBackupMissing": (
        "critical",
        "No successful backup for two intervals, or none at all since the schedule was "
        "created two intervals ago: a loss now would take at least twice the data the "
        "schedule is sized for. Check that Velero runs (`kubectl -n velero get pods`), "
        "that the Schedule is not paused (`velero schedule get`) and the location is "
        "Available, then take a backup from the schedule.",
    ),
    "RestoreCheckFailed": (
        "critical",
        "The monthly restore check could not restore the canary namespace or its volume "
        "data: the backups may not restore. `kubectl -n velero logs job/<restore-check job> "
        "--all-containers` shows the failing step, `velero restore describe <restore> "
        "--details` the restore (with its volume restores), and "
        "`kubectl -n restore-check-scratch logs job/restore-check-verify` what the restored "
        "volume held. Run it again with `kubectl -n velero create job "
        "--from=cronjob/restore-check restore-check-manual`.",
    ),
    "RestoreCheckMissing": (
        "warning",
        "No successful restore check in 32 days: the CronJob did not run or kept failing. "
        "Check `kubectl -n velero get cronjob restore-check` (suspended? last schedule?) and "
        "run it by hand as for RestoreCheckFailed.",
    ),
}


def _anchor(title: str) -> str:
    """The anchor GitHub and GitLab give a Markdown heading."""
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def repository_web_url(repo_url: str) -> str | None:
    """The web address of a Git remote URL, when it names a host; else None."""
    url = repo_url.removesuffix("/").removesuffix(".git")
    if match := re.fullmatch(r"https?://(?:[^@/]+@)?([^/]+)/(.+)", url):
        return f"https://{match.group(1)}/{match.group(2)}"
    if match := re.fullmatch(r"ssh://(?:[^@/]+@)?([^/:]+)(?::\d+)?/(.+)", url):
        return f"https://{match.group(1)}/{match.group(2)}"
    if match := re.fullmatch(r"[^@/:]+@([^/:]+):(.+)", url):
        return f"https://{match.group(1)}/{match.group(2)}"
    return None


def runbook_url(context: RenderContext, alert: str) -> str | None:
    """Where the README explains ``alert``, on the repository's web host."""
    gitops = context.platform.gitops
    web = repository_web_url(gitops_url(context))
    if web is None:
        return None
    return f"{web}/blob/{gitops.revision}/{context.repo_path('README.md')}#{_anchor(alert)}"


def _alert(
    context: RenderContext, name: str, expr: str, duration: str, summary: str, description: str
) -> Manifest:
    severity, _ = RUNBOOK[name]
    annotations = {"summary": summary, "description": description}
    url = runbook_url(context, name)
    if url is not None:
        annotations["runbook_url"] = url
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": annotations,
    }


def _seconds(value: float) -> str:
    return format_duration(value)


def _schedule_rules(context: RenderContext, schedules: list[str], interval: int) -> list[Manifest]:
    selector = f'schedule=~"{"|".join(schedules)}"'
    window = _seconds(max(2 * interval, MIN_WINDOW))
    limit = 2 * interval
    by = "sum by (cluster, schedule)"
    return [
        _alert(
            context,
            "VeleroBackupFailed",
            f"{by} (increase(velero_backup_failure_total{{{selector}}}[{window}])) > 0",
            "0m",
            "Velero backup of schedule {{ $labels.schedule }} on {{ $labels.cluster }} failed",
            f"A backup failed within the last {window}; the next runs every {_seconds(interval)}.",
        ),
        _alert(
            context,
            "VeleroBackupPartiallyFailed",
            f"{by} (increase(velero_backup_partial_failure_total{{{selector}}}[{window}])) > 0",
            "0m",
            "Velero backup of schedule {{ $labels.schedule }} on {{ $labels.cluster }} "
            "partially failed",
            f"A backup within the last {window} finished with errors: some items are missing.",
        ),
        _alert(
            context,
            "VeleroBackupMissing",
            missing_backup_expr(selector, limit),
            "5m",
            "No successful backup of schedule {{ $labels.schedule }} on {{ $labels.cluster }} "
            f"in {_seconds(limit)}",
            f"The schedule runs every {_seconds(interval)} (slo.rpo "
            f"{context.platform.slo.rpo}); two intervals passed without a successful backup.",
        ),
    ]


def missing_backup_expr(selector: str, limit: int) -> str:
    """No successful backup of a schedule in ``limit`` seconds, including never one.

    ``velero_backup_last_successful_timestamp`` appears only with a schedule's first
    success (and again after a restart, from the backups kept), so a schedule that never
    succeeded has no series to compare. Its counters, though, exist from the moment
    Velero reconciles the Schedule (``InitSchedule`` sets ``velero_backup_attempt_total``
    to 0): a schedule whose counter existed ``limit`` ago and that has no timestamp now
    has gone ``limit`` without a success.
    """
    by = "max by (cluster, schedule)"
    succeeded = f"velero_backup_last_successful_timestamp{{{selector}}}"
    existed = f"velero_backup_attempt_total{{{selector}}} offset {_seconds(limit)}"
    return (
        f"(time() - {by} ({succeeded}) > {limit}) "
        f"or ({by} ({existed}) unless on (cluster, schedule) {succeeded})"
    )


def _check_rules(context: RenderContext, namespace: str) -> list[Manifest]:
    selector = f'namespace="{namespace}",cronjob="{CHECK}"'
    on = "on (cluster, namespace, cronjob)"
    scheduled = f"kube_cronjob_status_last_schedule_time{{{selector}}}"
    succeeded = f"kube_cronjob_status_last_successful_time{{{selector}}}"
    return [
        _alert(
            context,
            "RestoreCheckFailed",
            f"({scheduled} > {on} {succeeded}) or ({scheduled} unless {on} {succeeded})",
            CHECK_GRACE,
            "The restore check on {{ $labels.cluster }} did not succeed",
            f"Its last run was scheduled over {CHECK_GRACE} ago and has not completed: the "
            "canary namespace or its volume data did not restore from its newest backup.",
        ),
        _alert(
            context,
            "RestoreCheckMissing",
            f"time() - {succeeded} > {CHECK_MISSING_SECONDS}",
            "1h",
            "No successful restore check on {{ $labels.cluster }} in 32 days",
            "The monthly restore check has not succeeded for over a month.",
        ),
    ]


def backup_rules(context: RenderContext) -> Manifest:
    """The ``platform-backups`` PrometheusRule (see module docs)."""
    interval = backup_interval(parse_duration(context.platform.slo.rpo))
    groups: dict[int, list[str]] = {interval: list(PLATFORM_SCHEDULES)}
    groups.setdefault(DAY, []).append(CANARY_SCHEDULE)
    rules = [
        rule
        for seconds, names in sorted(groups.items())
        for rule in _schedule_rules(context, names, seconds)
    ]
    rules += _check_rules(context, context.component("velero").namespace)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": RULE_NAME,
            "namespace": context.component("prometheus").namespace,
            "labels": {"release": "prometheus", f"{LABEL_PREFIX}/rule-scope": "fleet"},
        },
        "spec": {"groups": [{"name": "stackyard.backups", "interval": "1m", "rules": rules}]},
    }


def readme_section(context: RenderContext) -> str:
    """The README's runbook for these alerts, or nothing where Velero runs nowhere."""
    if not context.clusters_running("velero"):
        return ""
    lines = [
        f"## {README_SECTION}",
        "",
        "Velero backs up every cluster that runs it on the schedules in "
        "`manifests/<cluster>/velero/backups.yaml`, and once a month the CronJob "
        "`restore-check` restores the canary namespace `restore-check-canary` into "
        "`restore-check-scratch`, checks the restored ConfigMap and the checksum of the "
        "restored canary volume, and deletes the copy "
        "(`manifests/<cluster>/velero/restore-check.yaml`). The PrometheusRule "
        f"`{RULE_NAME}` alerts as follows; each alert links here.",
    ]
    for alert, (severity, action) in RUNBOOK.items():
        lines += ["", f"### {alert}", "", f"Severity {severity}. {action}"]
    return "\n".join(lines) + "\n\n"


def backup_alert_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The backup alerts on the cluster that runs Prometheus in full mode."""
    if cluster.has("prometheus") and context.clusters_running("velero"):
        yield Placed(
            "prometheus", "backup-alerts.yaml", [in_wave(backup_rules(context), AFTER_CHART)]
        )
