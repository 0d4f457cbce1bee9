"""The run-time settings a render wrote, each with its value, file and line.

Some rendered values decide how the platform behaves in an outage: how long External
Secrets keeps a synced Secret, how long Prometheus Agent buffers samples, how long an SSO
session lives, and which admission webhooks and policies make the API server reject
objects while their backend is down (``failurePolicy: Fail``). Render records them here
as it writes them, so readers such as ``simulate`` get typed values with their location
instead of re-parsing rendered files at paths they would have to know.

Backups are recorded the same way: the builder that writes an etcd snapshot schedule
(RKE2's node config, the kubeadm snapshot CronJob) or a Velero Schedule declares, next
to what it writes, which field is the schedule, which the retention and where the copies
go (:class:`BackupDeclared`); the record resolves each to its value, file and line. The
buckets of an in-cluster object store and their versioning come from its values.

Policy: a setting is recognised by what it is (the kind and field of a manifest, the
flag in a values file, the declaration of the builder that wrote it), never by the path
it is written to. A chart webhook whose failure policy the rendered values do not set is
recorded with the chart's default, which the catalog entry states with its source.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stackyard.catalog import Component
from stackyard.catalog.model import StoreValues
from stackyard.spec import field_path
from stackyard.spec.units import format_duration
from stackyard.yamlio import LocatedDocument, load_yaml_documents

BackupKind = Literal["etcd-snapshots", "volume-backups"]
# The kebab-case names under which a render records a setting it wrote (the spec's dotted
# names are catalog.settings.SettingName).
RecordedSettingName = Literal[
    "secret-refresh-interval",
    "agent-wal-retention",
    "sso-session-max-lifespan",
    "access-token-lifespan",
]
FailurePolicy = Literal["Fail", "Ignore"]
KYVERNO_POLICIES = "policies.kyverno.io/"
KYVERNO_KINDS = ("ValidatingPolicy", "ImageValidatingPolicy")
WAL_FLAG = "storage.agent.retention.max-time"
REALM_FIELD = "ssoSessionMaxLifespan"
# The realm's lifetimes a render records when it writes them (field -> recorded name).
REALM_FIELDS: dict[str, RecordedSettingName] = {
    REALM_FIELD: "sso-session-max-lifespan",
    "accessTokenLifespan": "access-token-lifespan",
}
OBJECT_STORAGE = "object-storage"
BUCKETS = "buckets"
"""The MinIO chart's list of buckets its job creates, each with ``versioning``."""
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

    def as_dict(self) -> dict[str, str | int]:
        """The JSON shape: value, file, line and field."""
        return {"value": self.value, "file": self.file, "line": self.line, "field": self.field}


@dataclass(frozen=True)
class RenderedSetting:
    """One run-time setting on one cluster."""

    name: RecordedSettingName
    cluster: str
    written: Written

    def as_dict(self) -> dict[str, str | int]:
        """The JSON shape: the setting, its cluster, and where render wrote which value."""
        return {"name": self.name, "cluster": self.cluster, **self.written.as_dict()}


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


@dataclass(frozen=True)
class At:
    """A field of a file being written: the document's index in the file, and the field."""

    field: Path
    document: int = 0


@dataclass(frozen=True)
class StoreDeclared:
    """Where a builder sends backup copies: the field naming the place, and whose it is.

    ``at`` is ``None`` where the place is the tool's default, not written in the file;
    ``default`` then says what it is.
    """

    at: At | None
    cluster: str | None
    """The cluster whose loss loses the copies; ``None``: a store outside the platform."""
    component: str | None = None
    """The component that must run for copies to land (an in-cluster object store);
    ``None``: the cluster's own node disks, or a store outside the platform."""
    default: str = ""


@dataclass(frozen=True)
class BackupDeclared:
    """A backup a builder writes into a file: what it copies, its schedule and retention."""

    kind: BackupKind
    method: str
    """How, in words (``RKE2 etcd snapshots``, ``Velero Schedule platform-volumes``)."""
    schedule: At
    """The cron expression (UTC)."""
    retention: At | None = None
    """How many copies are kept (a count) or for how long (a duration)."""
    stores: tuple[StoreDeclared, ...] = ()


@dataclass(frozen=True)
class BackupStore:
    """A place backup copies are kept, as rendered (or the tool's default, ``default``)."""

    written: Written | None
    cluster: str | None
    component: str | None
    default: str = ""

    @property
    def outside(self) -> bool:
        """Whether the copies are kept outside the platform (an external object store)."""
        return self.cluster is None


@dataclass(frozen=True)
class BackupSchedule:
    """A rendered backup on one cluster: its cron schedule, retention and stores."""

    cluster: str
    kind: BackupKind
    method: str
    schedule: Written
    retention: Written | None
    stores: tuple[BackupStore, ...]


@dataclass(frozen=True)
class Bucket:
    """A bucket an in-cluster object store creates, and whether it keeps old versions."""

    cluster: str
    store: str
    """The object-store component (``minio``)."""
    name: str
    versioned: bool
    written: Written
    """Its ``versioning`` field, or the bucket's name when versioning is not set."""


def store_keys(component: Component) -> StoreValues | None:
    """Where ``component``'s chart values name its object store (catalog ``objectStore.values``)."""
    return component.objectStore.values if component.objectStore is not None else None


def _dotted(key: str) -> Path:
    return tuple(key.split("."))


@dataclass(frozen=True)
class StoreTarget:
    """Where one consumer's uploads go on one cluster, as its values files set it.

    ``backend`` and ``endpoint`` are the last files' values (``None``: not set); the
    chart's ``default`` backend applies when neither is set.
    """

    cluster: str
    component: str
    backend: Written | None
    endpoint: Written | None
    default: str
    default_source: str

    @property
    def local(self) -> bool:
        """The consumer keeps its data on its own volume: nothing is uploaded."""
        backend = self.backend.value if self.backend else self.default
        return self.endpoint is None and backend.lower() in ("filesystem", "local")

    @property
    def evidence(self) -> str:
        """Where the store is chosen, for a report."""
        if self.endpoint is not None:
            return str(self.endpoint)
        if self.backend is not None:
            return str(self.backend)
        return f"backend = {self.default} (chart default, {self.default_source})"


@dataclass
class _Chart:
    component: Component
    hits: dict[str, Written]


class RenderSettings:
    """Every run-time setting and admission rule of one render."""

    def __init__(self) -> None:
        """Start empty; render records as it writes."""
        self._settings: dict[tuple[RecordedSettingName, str], RenderedSetting] = {}
        self._rules: list[AdmissionRule] = []
        self._charts: dict[tuple[str, str], _Chart] = {}
        # The same rules and charts by cluster, for admission_on (simulate asks per cluster).
        self._rules_on: dict[str, list[AdmissionRule]] = {}
        self._charts_on: dict[str, list[tuple[tuple[str, str], _Chart]]] = {}
        self._backups: list[BackupSchedule] = []
        self._buckets: dict[tuple[str, str], list[Bucket]] = {}
        self._stores: dict[tuple[str, str], dict[str, Written]] = {}

    def setting(self, name: RecordedSettingName, cluster: str) -> RenderedSetting | None:
        """The setting ``name`` as rendered for ``cluster`` (the most specific file wins)."""
        return self._settings.get((name, cluster))

    @property
    def settings(self) -> list[RenderedSetting]:
        """Every recorded setting, in the order written."""
        return list(self._settings.values())

    @property
    def admission(self) -> list[AdmissionRule]:
        """Rendered policies, then every chart webhook with its rendered or default policy."""
        return [*self._rules, *self._webhook_rules(sorted(self._charts.items()))]

    def admission_on(self, cluster: str) -> list[AdmissionRule]:
        """The admission rules of ``cluster``, in the order of :attr:`admission`.

        Built from that cluster's records alone: simulate asks for every cluster, and
        building the fleet's rules for each made its model quadratic in the fleet size.
        """
        charts = sorted(self._charts_on.get(cluster, []))
        return [*self._rules_on.get(cluster, []), *self._webhook_rules(charts)]

    @staticmethod
    def _webhook_rules(charts: list[tuple[tuple[str, str], _Chart]]) -> list[AdmissionRule]:
        rules = []
        for (cluster, _), chart in charts:
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

    def backups(self, cluster: str, kind: BackupKind) -> list[BackupSchedule]:
        """The rendered backups of ``kind`` on ``cluster``, in the order written."""
        return [b for b in self._backups if b.cluster == cluster and b.kind == kind]

    def store_target(self, cluster: str, component: str) -> StoreTarget | None:
        """Where ``component``'s uploads go on ``cluster``, as its values files set it.

        ``None``: not a rendered object-store consumer, or one whose store a Secret outside
        the render decides.
        """
        chart = self._charts.get((cluster, component))
        keys = store_keys(chart.component) if chart is not None else None
        found = self._stores.get((cluster, component))
        if keys is None or found is None:
            return None
        target = StoreTarget(
            cluster,
            component,
            found.get("backend"),
            found.get("endpoint"),
            keys.default,
            keys.source,
        )
        if target.backend is None and target.endpoint is None and not keys.default:
            return None
        return target

    @property
    def buckets(self) -> list[Bucket]:
        """Every bucket of every in-cluster object store, as its last values file sets them."""
        return [bucket for _, found in sorted(self._buckets.items()) for bucket in found]

    def record_backups(
        self, path: str, cluster: str, declared: Iterable[BackupDeclared], text: str
    ) -> None:
        """Note the backups a builder declared in the file it wrote to ``path`` as ``text``.

        Raises:
            ValueError: a declared field is not in the file (a builder bug).
        """
        documents = load_yaml_documents(text, path)

        def resolve(at: At) -> Written:
            document = documents[at.document]
            value = _get(document.data, at.field)
            if value is None:
                raise ValueError(f"{path}: {field_path(at.field)} is declared but not written")
            return _written(document, path, at.field, value)

        for backup in declared:
            self._backups.append(
                BackupSchedule(
                    cluster,
                    backup.kind,
                    backup.method,
                    resolve(backup.schedule),
                    resolve(backup.retention) if backup.retention else None,
                    tuple(
                        BackupStore(
                            resolve(store.at) if store.at else None,
                            store.cluster,
                            store.component,
                            store.default,
                        )
                        for store in backup.stores
                    ),
                )
            )

    def record_manifests(
        self, path: str, cluster: str, manifests: list[dict[str, Any]], text: str
    ) -> None:
        """Note the settings and policies among ``manifests``, written to ``path`` as ``text``."""
        documents: list[LocatedDocument] | None = None
        for index, manifest in enumerate(manifests):
            if manifest.get("kind") == "ConfigMap" and any(
                f in str(manifest.get("data")) for f in REALM_FIELDS
            ):
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
                    rule = _policy_rule(cluster, manifest, written)
                    self._rules.append(rule)
                    self._rules_on.setdefault(rule.cluster, []).append(rule)
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
            chart_key = (cluster, component.name)
            if chart_key not in self._charts:
                self._charts[chart_key] = _Chart(component, {})
                self._charts_on.setdefault(cluster, []).append((chart_key, self._charts[chart_key]))
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
        keys = store_keys(component)
        for cluster in clusters if keys else ():
            self._stores.setdefault((cluster, component.name), {})
        stores = [
            (name, key, value)
            for name, key in (
                (("backend", _dotted(keys.backend)), ("endpoint", _dotted(keys.endpoint)))
                if keys
                else ()
            )
            if (value := _get(values, key)) is not None
        ]
        buckets = values.get(BUCKETS) if OBJECT_STORAGE in component.provides else None
        if not wanted and not stores and not isinstance(buckets, list):
            return
        document = load_yaml_documents(text, path)[0]
        if isinstance(buckets, list):  # Helm replaces a list an earlier file set
            for cluster in clusters:
                self._buckets[cluster, component.name] = _buckets(
                    document, path, cluster, component.name, buckets
                )
        for name, key, value in wanted:
            written = _written(document, path, key, value)
            for cluster in clusters:
                if name == "agent-wal-retention":
                    self._put("agent-wal-retention", cluster, written)
                else:
                    self._charts[cluster, component.name].hits[name] = written
        for name, key, value in stores:  # a later file overrides field by field
            written = _written(document, path, key, value)
            for cluster in clusters:
                self._stores[cluster, component.name][name] = written

    def _put(self, name: RecordedSettingName, cluster: str, written: Written) -> None:
        self._settings[name, cluster] = RenderedSetting(name, cluster, written)

    def _realm(self, path: str, cluster: str, manifest: Mapping[str, Any], text: str) -> None:
        """Keycloak's realm is JSON inside a ConfigMap: the line is the key's own line."""
        for document in (manifest.get("data") or {}).values():
            try:
                realm = json.loads(document)
            except (TypeError, ValueError):
                continue
            if not isinstance(realm, dict):
                continue
            for key, name in REALM_FIELDS.items():
                if key not in realm:
                    continue
                value = format_duration(float(realm[key]))
                line = next((n for n, t in enumerate(text.splitlines(), 1) if f'"{key}"' in t), 0)
                self._put(name, cluster, Written(value, path, line, f"realm {key}"))


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


def _buckets(
    document: LocatedDocument, path: str, cluster: str, store: str, buckets: list[Any]
) -> list[Bucket]:
    found: list[Bucket] = []
    for index, bucket in enumerate(buckets):
        if not isinstance(bucket, Mapping) or "name" not in bucket:
            continue
        versioning = bucket.get("versioning")
        field: Path = (BUCKETS, index, "versioning" if versioning is not None else "name")
        value = versioning if versioning is not None else bucket["name"]
        written = _written(document, path, field, value)
        found.append(Bucket(cluster, store, str(bucket["name"]), versioning is True, written))
    return found


def _wal_index(values: Mapping[str, Any]) -> Path | None:
    """The path of the agent's WAL retention flag in Prometheus values, if set."""
    base: Path = ("prometheus", "prometheusSpec", "additionalArgs")
    args = _get(values, base)
    for index, arg in enumerate(args if isinstance(args, list) else []):
        if isinstance(arg, dict) and arg.get("name") == WAL_FLAG and "value" in arg:
            return (*base, index, "value")
    return None


def _written(document: LocatedDocument, path: str, field: Path, value: Any) -> Written:
    text = str(value).lower() if isinstance(value, bool) else str(value)  # as YAML writes it
    return Written(text, path, document.locate(field).line, field_path(field))


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
