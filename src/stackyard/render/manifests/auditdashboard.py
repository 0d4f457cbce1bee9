"""A Grafana dashboard of the API server audit log: who did what, and who failed to.

Where the spec asks for an audit log (:mod:`stackyard.render.auditlog`) and Grafana runs,
Grafana (the component with the ``dashboards`` capability) gets a ConfigMap labelled
``grafana_dashboard`` that its dashboard sidecar loads. Every query is LogQL over the
stream ``{job="kube-apiserver-audit"}``; ``| json`` turns the audit event's fields into
labels (``user.username`` becomes ``user_username``), so nothing high-cardinality is
indexed when the logs are shipped:

- requests by user and verb, and the writes themselves (create, update, patch, delete)
  with their object;
- denied requests (HTTP 403: authenticated, not authorised);
- every access to a Secret (the policy records Secrets at ``Metadata`` only, so the
  log says who read or changed which Secret, never its value);
- failed logins: API requests refused with 401 (no valid credentials). Where Keycloak
  runs, a second query counts its ``LOGIN_ERROR`` events: Keycloak's default
  ``jboss-logging`` event listener writes them to its log at WARN
  (https://www.keycloak.org/docs/latest/server_admin/#event-listener), which the log
  agent already ships with the rest of the pods' logs.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.auditlog import JOB, audit_log
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import Placed
from stackyard.render.manifests.dashboards import (
    dashboard_configmap,
    dashboard_model,
    grid_position,
    placed_where_grafana_runs,
)
from stackyard.render.tree import Manifest

KEYCLOAK = "keycloak"
UID = "stackyard-api-audit"
STREAM = f'{{job="{JOB}", cluster=~"$cluster"}}'
WINDOW = "[$__interval]"
WRITES = "create|update|patch|delete|deletecollection"


def _panel(
    number: int, title: str, kind: str, expr: str, legend: str = "", width: int = 12
) -> Manifest:
    panel: Manifest = {
        "id": number,
        "type": kind,
        "title": title,
        "datasource": {"type": "loki", "uid": "${datasource}"},
        "gridPos": grid_position(number, width),
        "targets": [{"refId": "A", "expr": expr, "legendFormat": legend}],
    }
    if kind == "logs":
        panel["options"] = {"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending"}
    return panel


def dashboard(keycloak_namespace: str | None) -> Manifest:
    """The audit dashboard; with Keycloak's namespace, its login errors too."""
    parsed = f'{STREAM} | json | __error__=""'
    by_user = f"topk(20, sum by (user_username, verb) (count_over_time({parsed} {WINDOW})))"
    denied = (
        "sum by (user_username, verb, objectRef_resource) "
        f'(count_over_time({parsed} | responseStatus_code="403" {WINDOW}))'
    )
    writes = (
        f'{parsed} | verb=~"{WRITES}" | line_format "{{{{.user_username}}}} {{{{.verb}}}} '
        "{{.objectRef_resource}} {{.objectRef_namespace}}/{{.objectRef_name}} "
        '-> {{.responseStatus_code}}"'
    )
    secrets = (
        f'{parsed} | objectRef_resource="secrets" | line_format "{{{{.user_username}}}} '
        '{{.verb}} {{.objectRef_namespace}}/{{.objectRef_name}} -> {{.responseStatus_code}}"'
    )
    unauthorised = (
        f'sum by (cluster) (count_over_time({parsed} | responseStatus_code="401" {WINDOW}))'
    )
    panels = [
        _panel(1, "Requests by user and verb", "timeseries", by_user, "{{user_username}} {{verb}}"),
        _panel(
            2,
            "Denied requests (403)",
            "timeseries",
            denied,
            "{{user_username}} {{verb}} {{objectRef_resource}}",
        ),
        _panel(3, "Who changed what", "logs", writes),
        _panel(4, "Secrets access", "logs", secrets),
        _panel(
            5,
            "Failed logins: API requests refused (401)",
            "timeseries",
            unauthorised,
            "{{cluster}}",
        ),
    ]
    if keycloak_namespace is not None:
        login_errors = (
            f'sum(count_over_time({{namespace="{keycloak_namespace}"}} '
            f'|~ "type=\\"?LOGIN_ERROR" {WINDOW}))'
        )
        panels.append(
            _panel(
                6,
                "Failed logins: Keycloak LOGIN_ERROR events",
                "timeseries",
                login_errors,
                "Keycloak",
            )
        )
    cluster = {
        "name": "cluster",
        "label": "Cluster",
        "type": "query",
        "datasource": {"type": "loki", "uid": "${datasource}"},
        "query": f'label_values({{job="{JOB}"}}, cluster)',
        "multi": True,
        "includeAll": True,
        "allValue": ".+",
        "current": {"text": "All", "value": "$__all"},
    }
    return dashboard_model(
        uid=UID,
        title="Kubernetes API audit",
        description="Who did what through the Kubernetes API, what was denied, who failed "
        "to log in (API server audit log in Loki).",
        tags=["audit", "security"],
        datasource="loki",
        variables=[cluster],
        since="now-24h",
        refresh="5m",
        panels=panels,
    )


def audit_dashboard_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The dashboard where Grafana runs, when the spec asks for an audit log."""
    if audit_log(context) is None:
        return
    # Keycloak's namespace, for its login-error panel, where some cluster runs it.
    keycloak = context.component(KEYCLOAK).namespace if context.clusters_running(KEYCLOAK) else None
    labels = {f"{LABEL_PREFIX}/platform": context.platform.name}
    yield from placed_where_grafana_runs(
        cluster,
        "audit-dashboard.yaml",
        lambda namespace: [
            dashboard_configmap(
                "dashboard-api-audit", namespace, labels, "api-audit.json", dashboard(keycloak)
            )
        ],
    )
