"""The numbers a simulation runs on, read from the rendered repository with their source.

A buffer is how long a consumer bridges an outage of its provider. Where the rendered
repository holds the setting, the number is read from that file and line, so the
simulation follows the spec (a shorter ``observability.walRetention`` renders a shorter
agent retention, which this module reads back). Where no setting exists, the buffer
carries the upstream default and names it; a buffer no setting bounds has no seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from stackyard.render import RenderedTree
from stackyard.simulate.functions import BufferName
from stackyard.spec.units import format_duration, parse_duration
from stackyard.yamlio import LocatedDocument, load_yaml_documents

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Evidence:
    """Where a number comes from: a rendered file and line, or a named upstream default."""

    value: str
    field: str
    source: str

    def __str__(self) -> str:
        return f"{self.field} = {self.value} ({self.source})"


@dataclass(frozen=True)
class Buffer:
    """How long a consumer bridges its provider's outage; ``None`` seconds: unbounded."""

    name: BufferName
    seconds: float | None
    what: str
    evidence: Evidence

    @property
    def label(self) -> str:
        """``1h`` or ``unbounded``."""
        return "unbounded" if self.seconds is None else format_duration(self.seconds)


@dataclass(frozen=True)
class Found:
    """A value read from one rendered YAML document."""

    value: Any
    evidence: Evidence


# Upstream defaults, used where the repository has no setting. Each names its source.
CERT_DEFAULT_DURATION = 2160 * 3600.0
CERT_DEFAULT_RENEW_BEFORE = CERT_DEFAULT_DURATION / 3
PROMETHEUS_HEAD_WAL = 2 * 3600.0
OTEL_RETRY_MAX_ELAPSED = 300.0


class RenderedSettings:
    """Typed, located reads of the settings a rendered repository holds."""

    def __init__(self, tree: RenderedTree) -> None:
        """Read from ``tree``; files are parsed once, on first use."""
        self._files = tree.files
        self._parsed: dict[str, list[LocatedDocument]] = {}

    def documents(self, path: str) -> list[LocatedDocument]:
        """The YAML documents of rendered file ``path`` (none if it was not rendered)."""
        if path not in self._parsed:
            text = self._files.get(path)
            self._parsed[path] = [] if text is None else load_yaml_documents(text, path)
        return self._parsed[path]

    def find(
        self, path: str, field: Path, kind: str | None = None, name: str | None = None
    ) -> Found | None:
        """The value at ``field`` in the first document of ``path`` matching kind and name."""
        for document in self.documents(path):
            data = document.data
            if not isinstance(data, dict):
                continue
            if kind and data.get("kind") != kind:
                continue
            if name and (data.get("metadata") or {}).get("name") != name:
                continue
            value = _get(data, field)
            if value is not None:
                where = document.locate(field)
                evidence = Evidence(str(value), _dotted(field), f"{path}:{where.line}")
                return Found(value, evidence)
        return None

    def find_all(self, path: str, kind: str) -> Iterator[tuple[LocatedDocument, dict[str, Any]]]:
        """Every document of ``kind`` in ``path``."""
        for document in self.documents(path):
            if isinstance(document.data, dict) and document.data.get("kind") == kind:
                yield document, document.data

    def text_line(self, path: str, needle: str) -> int:
        """The first line of ``path`` containing ``needle`` (0 when absent)."""
        for number, line in enumerate(self._files.get(path, "").splitlines(), start=1):
            if needle in line:
                return number
        return 0

    def buffer(self, name: BufferName, consumer_cluster: str, provider_cluster: str) -> Buffer:
        """The buffer ``name`` of a consumer on ``consumer_cluster``."""
        reader = _BUFFERS[name]
        return reader(self, consumer_cluster, provider_cluster)


def _get(data: Any, field: Path) -> Any:
    for part in field:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[part] if isinstance(part, int) else data.get(part)
    return data


def _dotted(field: Path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in field).lstrip(".")


def _seconds(value: Any) -> float:
    return parse_duration(str(value))


def _eso_refresh(settings: RenderedSettings, cluster: str, _provider: str) -> Buffer:
    what = "External Secrets refresh interval"
    path = f"manifests/{cluster}/external-secrets/cluster-secret-store.yaml"
    found = settings.find(path, ("spec", "refreshInterval"), kind="ClusterSecretStore")
    if found:
        return Buffer("eso-refresh-interval", _seconds(found.value), what, found.evidence)
    # ExternalSecret's CRD default when no store setting is rendered.
    evidence = Evidence("1h", "ExternalSecret spec.refreshInterval", "External Secrets default")
    return Buffer("eso-refresh-interval", 3600.0, what, evidence)


def _wal_retention(settings: RenderedSettings, cluster: str, _provider: str) -> Buffer:
    what = "Prometheus WAL retention"
    path = f"values/clusters/{cluster}/prometheus-agent.yaml"
    args = settings.find(path, ("prometheus", "prometheusSpec", "additionalArgs"))
    if args and isinstance(args.value, list):
        for index, arg in enumerate(args.value):
            if isinstance(arg, dict) and arg.get("name") == "storage.agent.retention.max-time":
                field: Path = ("prometheus", "prometheusSpec", "additionalArgs", index, "value")
                found = settings.find(path, field)
                if found:
                    return Buffer(
                        "prometheus-wal-retention", _seconds(found.value), what, found.evidence
                    )
    evidence = Evidence(
        format_duration(PROMETHEUS_HEAD_WAL),
        "WAL kept for the head block",
        "Prometheus default (remote write reads the WAL, truncated every 2h)",
    )
    return Buffer("prometheus-wal-retention", PROMETHEUS_HEAD_WAL, what, evidence)


def _renew_before(settings: RenderedSettings, cluster: str, _provider: str) -> Buffer:
    what = "certificate renewal window"
    evidence = Evidence(
        format_duration(CERT_DEFAULT_RENEW_BEFORE),
        "Certificate spec.renewBefore",
        "cert-manager default: 2160h certificates renewed at 2/3 of their life",
    )
    return Buffer("cert-renew-before", CERT_DEFAULT_RENEW_BEFORE, what, evidence)


def _node_log_files(settings: RenderedSettings, cluster: str, _provider: str) -> Buffer:
    evidence = Evidence(
        "containerLogMaxSize 10Mi x containerLogMaxFiles 5",
        "kubelet log rotation",
        "kubelet defaults: bounded by log volume, not by time",
    )
    return Buffer("node-log-files", None, "log files on the nodes", evidence)


def _otel_retry(settings: RenderedSettings, cluster: str, _provider: str) -> Buffer:
    evidence = Evidence(
        format_duration(OTEL_RETRY_MAX_ELAPSED),
        "exporter retry_on_failure.max_elapsed_time",
        "OpenTelemetry Collector default",
    )
    return Buffer("otel-retry", OTEL_RETRY_MAX_ELAPSED, "span export retries", evidence)


def _keycloak_session(settings: RenderedSettings, _cluster: str, provider: str) -> Buffer:
    what = "SSO session maximum lifetime"
    path = f"manifests/{provider}/keycloak/realm-platform.yaml"
    found = settings.find(path, ("data", "platform-realm.json"), kind="ConfigMap")
    if found:
        realm = json.loads(found.value)
        if "ssoSessionMaxLifespan" in realm:
            seconds = float(realm["ssoSessionMaxLifespan"])
            line = settings.text_line(path, '"ssoSessionMaxLifespan"')
            evidence = Evidence(
                format_duration(seconds), "realm ssoSessionMaxLifespan", f"{path}:{line}"
            )
            return Buffer("keycloak-session", seconds, what, evidence)
    evidence = Evidence("10h", "realm ssoSessionMaxLifespan", "Keycloak default")
    return Buffer("keycloak-session", 36000.0, what, evidence)


def _node_image_cache(settings: RenderedSettings, cluster: str, _provider: str) -> Buffer:
    evidence = Evidence(
        "imageGCHighThresholdPercent 85",
        "kubelet image garbage collection",
        "kubelet default: cached images stay until the disk fills",
    )
    return Buffer("node-image-cache", None, "images cached on the nodes", evidence)


_BUFFERS: dict[BufferName, Callable[[RenderedSettings, str, str], Buffer]] = {
    "eso-refresh-interval": _eso_refresh,
    "prometheus-wal-retention": _wal_retention,
    "cert-renew-before": _renew_before,
    "node-log-files": _node_log_files,
    "otel-retry": _otel_retry,
    "keycloak-session": _keycloak_session,
    "node-image-cache": _node_image_cache,
}
