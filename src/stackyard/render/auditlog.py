"""The API server audit log, from the control-plane node's disk to Loki.

With ``hardening`` (and an audit level other than ``None``) every API server writes its
audit log to a file on its node (``bootstrap/rke2_hardening.py``,
``bootstrap/kubeadm_hardening.py``). The cluster's log agent, already a DaemonSet on
every node, tails that file and pushes it to Loki with the label
``job=kube-apiserver-audit`` (and ``cluster``, ``node``), where the audit dashboard
(``manifests/auditdashboard.py``) queries it:

- Alloy: a ``local.file_match`` plus ``loki.source.file`` pair appended to the
  pipeline of ``catalog/values/alloy.yaml``, writing through the same ``loki.write``.
- Promtail: an extra scrape job with a static target.

Only the live file is read, never the rotated copies beside it (``audit-<time>.log``):
the agents track read positions by path, so a rotated copy would be read again as a
new file and every line would reach Loki twice. Alloy labels each line with its
``node``. The agents tolerate every taint, so they also run on control-plane nodes that
take no workloads; on RKE2 the log folder, outside ``/var/log``, is mounted read-only.
"""

from __future__ import annotations

from dataclasses import dataclass

from stackyard.render.context import RenderContext
from stackyard.render.values import Values

RKE2_AUDIT_LOG = "/var/lib/rancher/rke2/server/logs/audit.log"
"""RKE2's own audit log path (``audit-log-path`` is left at its default)."""
KUBEADM_AUDIT_LOG = "/var/log/kubernetes/audit/audit.log"
"""The audit log path Stackyard gives kubeadm's API servers."""
JOB = "kube-apiserver-audit"
VARLOG = "/var/log"
VOLUME = "apiserver-audit"


@dataclass(frozen=True)
class AuditLog:
    """Where the audit log is on a control-plane node."""

    path: str

    @property
    def folder(self) -> str:
        """The folder holding the log."""
        return self.path.rsplit("/", 1)[0]

    @property
    def under_varlog(self) -> bool:
        """Whether the agents' ``/var/log`` mount already covers it."""
        return self.path.startswith(VARLOG + "/")


def audit_log(context: RenderContext) -> AuditLog | None:
    """The audit log every control-plane node writes, if the spec asks for one."""
    hardening = context.platform.hardening
    if hardening is None or hardening.audit.level == "None":
        return None
    if context.platform.kubernetes.distribution == "rke2":
        return AuditLog(RKE2_AUDIT_LOG)
    return AuditLog(KUBEADM_AUDIT_LOG)


ALLOY_PIPELINE = """
local.file_match "kube_apiserver_audit" {{
  path_targets = [{{
    "__path__" = "{path}",
    "job"      = "{job}",
    "node"     = sys.env("NODE_NAME"),
  }}]
}}

loki.source.file "kube_apiserver_audit" {{
  targets    = local.file_match.kube_apiserver_audit.targets
  forward_to = [loki.write.platform.receiver]
}}
"""

ALL_TAINTS = [{"operator": "Exists"}]


def alloy_audit_values(context: RenderContext, base_pipeline: str) -> Values:
    """Alloy values that add the audit log to ``base_pipeline``; none without one."""
    log = audit_log(context)
    if log is None:
        return {}
    alloy: Values = {
        "configMap": {"content": base_pipeline + ALLOY_PIPELINE.format(path=log.path, job=JOB)}
    }
    controller: Values = {"tolerations": ALL_TAINTS}
    if not log.under_varlog:
        alloy["mounts"] = {"extra": [_mount(log)]}
        controller["volumes"] = {"extra": [_volume(log)]}
    return {"alloy": alloy, "controller": controller}


def promtail_audit_values(context: RenderContext) -> Values:
    """Promtail values that add the audit log as a scrape job; none without one."""
    log = audit_log(context)
    if log is None:
        return {}
    job = (
        f"- job_name: {JOB}\n"
        "  static_configs:\n"
        "    - targets: [localhost]\n"
        "      labels:\n"
        f"        job: {JOB}\n"
        f"        __path__: {log.path}\n"
    )
    values: Values = {
        "config": {"snippets": {"extraScrapeConfigs": job}},
        "tolerations": ALL_TAINTS,
    }
    if not log.under_varlog:
        values["extraVolumes"] = [_volume(log)]
        values["extraVolumeMounts"] = [_mount(log)]
    return values


def _mount(log: AuditLog) -> Values:
    return {"name": VOLUME, "mountPath": log.folder, "readOnly": True}


def _volume(log: AuditLog) -> Values:
    return {"name": VOLUME, "hostPath": {"path": log.folder}}
