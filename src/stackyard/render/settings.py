"""The run-time settings a render wrote, each with its value, file and line.

Some rendered values decide how the platform behaves in an outage: how long External
Secrets keeps a synced Secret, how long Prometheus Agent buffers samples, how long an SSO
session lives, and which admission webhooks and policies make the API server reject
objects while their backend is down (``failurePolicy: Fail``). Render records them here
as it writes them, so readers such as ``simulate`` get typed values with their location
instead of re-parsing rendered files at paths they would have to know.

Policy: a setting is recognised by what it is (the kind and field of a manifest, the
flag in a values file), never by the path it is written to. A chart webhook whose failure
policy the rendered values do not set is recorded with the chart's default, which the
catalog entry states with its source.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stackyard.catalog import Component
from stackyard.spec import field_path
from stackyard.spec.units import format_duration
from stackyard.yamlio import LocatedDocument, load_yaml_documents

SettingName = Literal["secret-refresh-interval", "agent-wal-retention", "sso-session-max-lifespan"]
FailurePolicy = Literal["Fail", "Ignore"]
KYVERNO_POLICIES = "policies.kyverno.io/"
KYVERNO_KINDS = ("ValidatingPolicy", "ImageValidatingPolicy")
WAL_FLAG = "storage.agent.retention.max-time"
REALM_FIELD = "ssoSessionMaxLifespan"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Written:
    """A value as render wrote it: the text, the rendered file, its line and field."""

    value: str
    file: str
    line: int
    field: str

    def __str__(self) -> str:
        return f"{self.field} = {self.value} ({self.file}:{self.line})"


@dataclass(frozen=True)
class RenderedSetting:
    """One run-time setting on one cluster."""

    name: SettingName
    cluster: str
    written: Written


@dataclass(frozen=True)
class AdmissionRule:
    """A webhook or policy the API server consults before it admits objects on a cluster.

    ``written`` is where the rendered repository sets the failure policy; ``None`` means
    the chart's default applies, documented at ``default_source``.
    """

    cluster: str
    backend: str
    """The component whose pods answer the API server's admission calls."""
    name: str
    admits: str
    """What it admits, in words (``Pods outside system and platform namespaces``)."""
    pods: bool
    """Whether it admits Pods, so that an outage stops rollouts, scaling and rescheduling."""
    failure_policy: FailurePolicy
    written: Written | None = None
    default_source: str = ""

    @property
    def blocks_when_down(self) -> bool:
        """``failurePolicy: Fail``: the API server rejects what it admits while it is down."""
        return self.failure_policy == "Fail"

    @property
    def evidence(self) -> str:
        """Where the failure policy comes from, for a report."""
        if self.written is not None:
            return str(self.written)
        return f"failurePolicy = {self.failure_policy} (chart default, {self.default_source})"


@dataclass
class _Chart:
    component: Component
    hits: dict[str, Written]


class RenderSettings:
    """Every run-time setting and admission rule of one render."""

    def __init__(self) -> None:
        """Start empty; render records as it writes."""
        self._settings: dict[tuple[SettingName, str], RenderedSetting] = {}
        self._rules: list[AdmissionRule] = []
        self._charts: dict[tuple[str, str], _Chart] = {}

    def setting(self, name: SettingName, cluster: str) -> RenderedSetting | None:
        """The setting ``name`` as rendered for ``cluster`` (the most specific file wins)."""
        return self._settings.get((name, cluster))

    @property
    def settings(self) -> list[RenderedSetting]:
        """Every recorded setting, in the order written."""
        return list(self._settings.values())

    @property
    def admission(self) -> list[AdmissionRule]:
        """Rendered policies, then every chart webhook with its rendered or default policy."""
        rules = list(self._rules)
        for (cluster, _), chart in sorted(self._charts.items()):
            for webhook in chart.component.admission:
                written = chart.hits.get(webhook.name)
                policy = webhook.failurePolicy
                if written is not None and written.value in ("Fail", "Ignore"):
                    policy = "Fail" if written.value == "Fail" else "Ignore"
                rules.append(
                    AdmissionRule(
                        cluster,
                        chart.component.name,
                        webhook.name,
                        webhook.admits,
                        webhook.pods,
                        policy,
                        written,
                        "" if written else webhook.source,
                    )
                )
        return rules

    def admission_on(self, cluster: str) -> list[AdmissionRule]:
        """The admission rules of ``cluster``."""
        return [rule for rule in self.admission if rule.cluster == cluster]

    def record_manifests(
        self, path: str, cluster: str, manifests: list[dict[str, Any]], text: str
    ) -> None:
        """Note the settings and policies among ``manifests``, written to ``path`` as ``text``."""
        documents: list[LocatedDocument] | None = None
        for index, manifest in enumerate(manifests):
            if manifest.get("kind") == "ConfigMap" and REALM_FIELD in str(manifest.get("data")):
                self._realm(path, cluster, manifest, text)
            found = list(_manifest_settings(manifest))
            if not found:
                continue
            if documents is None:
                documents = load_yaml_documents(text, path)
            document = documents[index]
            for kind, field, value in found:
                written = _written(document, path, field, value)
                if kind == "admission":
                    self._rules.append(_policy_rule(cluster, manifest, written))
                else:
                    self._put("secret-refresh-interval", cluster, written)

    def record_values(
        self,
        path: str,
        clusters: Iterable[str],
        component: Component,
        values: Mapping[str, Any],
        text: str,
    ) -> None:
        """Note the settings in one values file of ``component`` for ``clusters``.

        Call it for the common, edition and cluster files in that order: a later file
        overrides an earlier one, as Argo CD passes them to Helm.
        """
        clusters = list(clusters)
        for cluster in clusters:
            self._charts.setdefault((cluster, component.name), _Chart(component, {}))
        wanted: list[tuple[str, Path, Any]] = []
        for webhook in component.admission:
            if webhook.valuesKey is None:
                continue
            key: Path = tuple(webhook.valuesKey.split("."))
            value = _get(values, key)
            if value is not None:
                wanted.append((webhook.name, key, value))
        wal = _wal_index(values)
        if wal is not None:
            wanted.append(("agent-wal-retention", wal, _get(values, wal)))
        if not wanted:
            return
        document = load_yaml_documents(text, path)[0]
        for name, key, value in wanted:
            written = _written(document, path, key, value)
            for cluster in clusters:
                if name == "agent-wal-retention":
                    self._put("agent-wal-retention", cluster, written)
                else:
                    self._charts[cluster, component.name].hits[name] = written

    def _put(self, name: SettingName, cluster: str, written: Written) -> None:
        self._settings[name, cluster] = RenderedSetting(name, cluster, written)

    def _realm(self, path: str, cluster: str, manifest: Mapping[str, Any], text: str) -> None:
        """Keycloak's realm is JSON inside a ConfigMap: the line is the key's own line."""
        for document in (manifest.get("data") or {}).values():
            try:
                realm = json.loads(document)
            except (TypeError, ValueError):
                continue
            if isinstance(realm, dict) and REALM_FIELD in realm:
                value = format_duration(float(realm[REALM_FIELD]))
                line = next(
                    (n for n, t in enumerate(text.splitlines(), 1) if f'"{REALM_FIELD}"' in t), 0
                )
                field = f"realm {REALM_FIELD}"
                self._put("sso-session-max-lifespan", cluster, Written(value, path, line, field))


def _manifest_settings(manifest: Mapping[str, Any]) -> Iterable[tuple[str, Path, Any]]:
    kind = manifest.get("kind")
    spec = manifest.get("spec") or {}
    if kind == "ClusterSecretStore" and "refreshInterval" in spec:
        yield "secret-refresh-interval", ("spec", "refreshInterval"), spec["refreshInterval"]
    if (
        kind in KYVERNO_KINDS
        and str(manifest.get("apiVersion", "")).startswith(KYVERNO_POLICIES)
        and "failurePolicy" in spec
    ):
        yield "admission", ("spec", "failurePolicy"), spec["failurePolicy"]


def _policy_rule(cluster: str, manifest: Mapping[str, Any], written: Written) -> AdmissionRule:
    """A Kyverno policy: Kyverno's admission controller answers for it."""
    spec = manifest["spec"]
    match = spec.get("matchConstraints") or {}
    resources = sorted(
        {r for rule in match.get("resourceRules") or [] for r in rule.get("resources") or []}
    )
    pods = "pods" in resources
    excluded = bool(match.get("namespaceSelector"))
    what = ", ".join(r.capitalize() for r in resources) or "objects"
    admits = f"{what} outside system and platform namespaces" if excluded else what
    policy: FailurePolicy = "Fail" if spec["failurePolicy"] == "Fail" else "Ignore"
    return AdmissionRule(
        cluster, "kyverno", manifest["metadata"]["name"], admits, pods, policy, written
    )


def _wal_index(values: Mapping[str, Any]) -> Path | None:
    """The path of the agent's WAL retention flag in Prometheus values, if set."""
    base: Path = ("prometheus", "prometheusSpec", "additionalArgs")
    args = _get(values, base)
    for index, arg in enumerate(args if isinstance(args, list) else []):
        if isinstance(arg, dict) and arg.get("name") == WAL_FLAG and "value" in arg:
            return (*base, index, "value")
    return None


def _written(document: LocatedDocument, path: str, field: Path, value: Any) -> Written:
    return Written(str(value), path, document.locate(field).line, field_path(field))


def _get(data: Any, field: Path) -> Any:
    for part in field:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
            data = data[part]
        elif isinstance(data, Mapping):
            data = data.get(part)
        else:
            return None
    return data
