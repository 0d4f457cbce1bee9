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
from stackyard.spec import field_path
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


# Upstream defaults, used where the repository has no setting; each names its source.
DEFAULTS: dict[BufferName, Buffer] = {
    "eso-refresh-interval": Buffer(
        "eso-refresh-interval",
        3600.0,
        "External Secrets refresh interval",
        Evidence("1h", "ExternalSecret spec.refreshInterval", "External Secrets default"),
    ),
    "prometheus-wal-retention": Buffer(
        "prometheus-wal-retention",
        7200.0,
        "Prometheus WAL retention",
        Evidence(
            "2h",
            "WAL kept for the head block",
            "Prometheus default (remote write reads the WAL, truncated every 2h)",
        ),
    ),
    "cert-renew-before": Buffer(
        "cert-renew-before",
        720 * 3600.0,
        "certificate renewal window",
        Evidence(
            "720h",
            "Certificate spec.renewBefore",
            "cert-manager default: 2160h certificates renewed at 2/3 of their life",
        ),
    ),
    "node-log-files": Buffer(
        "node-log-files",
        None,
        "log files on the nodes",
        Evidence(
            "containerLogMaxSize 10Mi x containerLogMaxFiles 5",
            "kubelet log rotation",
            "kubelet defaults: bounded by log volume, not by time",
        ),
    ),
    "otel-retry": Buffer(
        "otel-retry",
        300.0,
        "span export retries",
        Evidence(
            "5m",
            "exporter retry_on_failure.max_elapsed_time",
            "OpenTelemetry Collector default",
        ),
    ),
    "keycloak-session": Buffer(
        "keycloak-session",
        36000.0,
        "SSO session maximum lifetime",
        Evidence("10h", "realm ssoSessionMaxLifespan", "Keycloak default"),
    ),
    "vault-aws-lease": Buffer(
        "vault-aws-lease",
        900.0,
        "AWS STS credential lease",
        Evidence(
            "15m",
            "Vault AWS secrets engine lease",
            "catalog aws-load-balancer-controller: 15-minute STS credentials (seed 002)",
        ),
    ),
    "node-image-cache": Buffer(
        "node-image-cache",
        None,
        "images cached on the nodes",
        Evidence(
            "imageGCHighThresholdPercent 85",
            "kubelet image garbage collection",
            "kubelet default: cached images stay until the disk fills",
        ),
    ),
}


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
                evidence = Evidence(str(value), field_path(field), f"{path}:{where.line}")
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
        """The buffer ``name`` of a consumer on ``consumer_cluster``: rendered, else default."""
        default = DEFAULTS[name]
        reader = _READERS.get(name)
        found = reader(self, consumer_cluster, provider_cluster) if reader else None
        if found is None:
            return default
        return Buffer(name, parse_duration(str(found.value)), default.what, found.evidence)


def _get(data: Any, field: Path) -> Any:
    for part in field:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[part] if isinstance(part, int) else data.get(part)
    return data


def _eso_refresh(settings: RenderedSettings, cluster: str, _provider: str) -> Found | None:
    path = f"manifests/{cluster}/external-secrets/cluster-secret-store.yaml"
    return settings.find(path, ("spec", "refreshInterval"), kind="ClusterSecretStore")


def _wal_retention(settings: RenderedSettings, cluster: str, _provider: str) -> Found | None:
    path = f"values/clusters/{cluster}/prometheus-agent.yaml"
    args: Path = ("prometheus", "prometheusSpec", "additionalArgs")
    found = settings.find(path, args)
    listed = found.value if found and isinstance(found.value, list) else []
    for index, arg in enumerate(listed):
        if isinstance(arg, dict) and arg.get("name") == "storage.agent.retention.max-time":
            return settings.find(path, (*args, index, "value"))
    return None


def _keycloak_session(settings: RenderedSettings, _cluster: str, provider: str) -> Found | None:
    path = f"manifests/{provider}/keycloak/realm-platform.yaml"
    found = settings.find(path, ("data", "platform-realm.json"), kind="ConfigMap")
    realm = json.loads(found.value) if found else {}
    if "ssoSessionMaxLifespan" not in realm:
        return None
    value = format_duration(float(realm["ssoSessionMaxLifespan"]))
    line = settings.text_line(path, '"ssoSessionMaxLifespan"')
    return Found(value, Evidence(value, "realm ssoSessionMaxLifespan", f"{path}:{line}"))


_READERS: dict[BufferName, Callable[[RenderedSettings, str, str], Found | None]] = {
    "eso-refresh-interval": _eso_refresh,
    "prometheus-wal-retention": _wal_retention,
    "keycloak-session": _keycloak_session,
}
