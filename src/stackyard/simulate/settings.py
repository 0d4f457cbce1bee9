"""The numbers a simulation runs on, as the render wrote them, with their file and line.

A buffer is how long a consumer bridges an outage of its provider. Where the rendered
repository holds the setting, the render recorded its value, file and line as it wrote
it (``stackyard.render.settings``), so the simulation follows the spec (a shorter
``observability.walRetention`` renders a shorter agent retention, which this module
takes from the render's record, never by re-reading files at paths it would have to
know). Where no setting exists, the buffer carries the upstream default and names it; a
buffer no setting bounds has no seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackyard.render import RenderedTree
from stackyard.render.settings import RecordedSettingName, RenderSettings
from stackyard.simulate.functions import BufferName
from stackyard.spec.units import format_duration, parse_duration


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
        Evidence("10h", "realm ssoSessionMaxLifespan", "Keycloak default, 36000 s"),
    ),
    "vault-aws-lease": Buffer(
        "vault-aws-lease",
        900.0,
        "AWS STS credential lease",
        Evidence(
            "15m",
            "Vault AWS secrets engine lease",
            "the AWS secrets engine lease the load balancer controller's Vault role is given",
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
    "istio-workload-cert": Buffer(
        "istio-workload-cert",
        12 * 3600.0,
        "workload certificate life left",
        Evidence(
            "12h",
            "SECRET_TTL 24h x SECRET_GRACE_PERIOD_RATIO 0.5",
            "Istio default: 24h workload certificates renewed at half their life, so 12h "
            "is what the oldest one is sure to have left when istiod goes down",
        ),
    ),
    "keycloak-access-token": Buffer(
        "keycloak-access-token",
        300.0,
        "access token lifespan",
        Evidence(
            "5m",
            "realm accessTokenLifespan",
            "Keycloak default, 300 s; ID tokens live as long",
        ),
    ),
}


# Which setting the render records for each buffer, and whose cluster's copy applies.
_RENDERED: dict[BufferName, tuple[RecordedSettingName, Literal["consumer", "provider"]]] = {
    "eso-refresh-interval": ("secret-refresh-interval", "consumer"),
    "prometheus-wal-retention": ("agent-wal-retention", "consumer"),
    "keycloak-session": ("sso-session-max-lifespan", "provider"),
    "keycloak-access-token": ("access-token-lifespan", "provider"),
}


class RenderedSettings:
    """The buffers of one render, from the settings it recorded as it wrote them."""

    def __init__(self, tree: RenderedTree) -> None:
        """Read the settings ``tree`` recorded (see ``stackyard.render.settings``)."""
        self.recorded: RenderSettings = tree.settings

    def buffer(self, name: BufferName, consumer_cluster: str, provider_cluster: str) -> Buffer:
        """The buffer ``name`` of a consumer on ``consumer_cluster``: rendered, else default."""
        default = DEFAULTS[name]
        if name not in _RENDERED:
            return default
        setting, whose = _RENDERED[name]
        cluster = consumer_cluster if whose == "consumer" else provider_cluster
        found = self.recorded.setting(setting, cluster)
        if found is None:
            return default
        written = found.written
        evidence = Evidence(written.value, written.field, f"{written.file}:{written.line}")
        return Buffer(name, parse_duration(written.value), default.what, evidence)
