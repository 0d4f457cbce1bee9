"""Releases declared in Git, and the Helm values they carry inline.

A platform repository installs charts through several front doors; each becomes a
``Release`` with its sources, sync policy and inline values layers:

- Argo CD ``Application`` (``spec.source`` or ``spec.sources``, ``helm.values`` as a
  string, ``helm.valuesObject``, ``helm.valueFiles``), and each application an
  ``ApplicationSet`` generates (``appsets``);
- Flux ``HelmRelease`` (``spec.values``) and ``Kustomization`` (always reconciled);
- RKE2 ``HelmChart`` / ``HelmChartConfig`` (``spec.valuesContent`` string);
- Kustomize ``kustomization.yaml`` ``helmCharts`` (``valuesInline``, ``valuesFile``).

Precedence inside one release follows Argo CD: value files in order, then ``values``,
then ``valuesObject`` (highest). Value files are only names here; the index resolves
them against the repository once every file has been seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from stackyard.assess.inputs.appset_templates import is_templated
from stackyard.assess.inputs.charts import canonical_chart, is_known_chart
from stackyard.assess.inputs.fluxrefs import FluxChart, flux_chart
from stackyard.assess.inputs.located import (
    Hit,
    Located,
    as_list,
    as_mapping,
    block_string_documents,
)
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.inputs.summary import ValuesSummary, summarize
from stackyard.assess.inputs.templating import INLINE
from stackyard.assess.model import Evidence, Notice, noted
from stackyard.errors import YamlError

RELEASE_KINDS = frozenset(
    {"Application", "ApplicationSet", "HelmRelease", "HelmChart", "HelmChartConfig"}
)


class ValuesLayer(Located):
    """Helm values for one chart, from one place (a file, an inline block, a sub-chart key)."""

    __slots__ = ("chart", "origin", "release")

    def __init__(self, located: Located, chart: str, release: str, origin: str) -> None:
        """Values of ``chart`` at ``located``; ``release`` names who installs them."""
        super().__init__(located.doc, located.base, located.data)
        self.chart = chart
        self.release = release
        self.origin = origin


@dataclass(frozen=True)
class Unknown:
    """A field of a generated application whose value is not known from the repository."""

    field: str  # e.g. ``source.helm.valueFiles[0]``
    template: str  # the template expression as written
    reason: str  # "known only at run time (...)" or "not provided by the generators"

    def describe(self) -> str:
        """``source.chart '{{.values.addonChart}}': known only at run time (...)``."""
        return f"{self.field} '{self.template}': {self.reason}"


@dataclass(frozen=True)
class ReleaseSource:
    """One chart or path a release installs."""

    chart: str  # canonical chart name, "" for plain manifests (or a chart not known)
    repo_url: str
    path: str
    value_files: tuple[str, ...]
    evidence: Evidence
    version: str = ""  # the chart version pinned (targetRevision, spec.chart.spec.version...)
    # Value files whose path is a template nothing in the repository resolves: never
    # matched against files, so no other application's values are claimed for them.
    unresolved_files: tuple[str, ...] = ()
    unknown_chart: str = ""  # the chart field as written, when it cannot be rendered


@dataclass
class Release:
    """An Application, ApplicationSet, HelmRelease, HelmChart or kustomize helmChart."""

    kind: str
    name: str
    file: str
    evidence: Evidence
    sources: tuple[ReleaseSource, ...]
    automated: Hit | None = None
    self_heal: Hit | None = None
    inline: list[ValuesLayer] = field(default_factory=list)
    file_layers: list[ValuesLayer] = field(default_factory=list)
    namespace: str = ""
    summary: ValuesSummary = field(default_factory=ValuesSummary)
    # The cluster it deploys to, when written: an Argo CD destination server or name,
    # or the Secret name of a Flux kubeConfig. None means the cluster it runs in.
    cluster: Hit | None = None
    # A Flux HelmRelease's chart source and valuesFrom, resolved once every file is read.
    flux: FluxChart | None = None
    # For an application an ApplicationSet generates: the ApplicationSet's name, the
    # generator elements that produced it (a list element, a git file, a cluster
    # Secret) and the fields whose value the repository does not tell.
    application_set: str = ""
    elements: tuple[Evidence, ...] = ()
    unknowns: tuple[Unknown, ...] = ()

    # Kustomize overlays that patch this release: (overlay folder, its values layers);
    # each overlay is one deployment of the release (see overlays.py).
    overlays: list[tuple[str, list[ValuesLayer]]] = field(default_factory=list)
    # The object's own metadata, for patches that select it (see fluxpatches.py).
    labels: Mapping[str, object] = field(default_factory=dict)
    object_namespace: str = ""

    @property
    def values_unknown(self) -> bool:
        """Whether a chart or a values file of the release is known only at run time."""
        return any(s.unresolved_files or s.unknown_chart for s in self.sources)

    @property
    def key(self) -> str:
        """Unique name: ``Kind name (file)``."""
        return f"{self.kind} {self.name} ({self.file})"

    @property
    def directory(self) -> str:
        """The folder of the file that declares the release."""
        return str(PurePosixPath(self.file).parent)

    @property
    def charts(self) -> tuple[str, ...]:
        """Canonical names of the charts it installs."""
        return tuple(s.chart for s in self.sources if s.chart)

    def chart_version(self, chart: str) -> str:
        """The version of ``chart`` the release pins ('' when it pins none)."""
        return next((s.version for s in self.sources if s.chart == chart and s.version), "")

    def layers(self) -> list[ValuesLayer]:
        """Every values layer, lowest precedence first."""
        return [*self.file_layers, *self.inline]

    def absorb(self, layers: list[ValuesLayer], keep_all: bool) -> list[ValuesLayer]:
        """Summarise ``layers``; return those worth keeping.

        Kept: values of charts detectors read by name, and of the repository's own charts
        (installed from a path; they may be umbrellas over known charts). With
        ``keep_all`` (the releases will be rendered with Helm) every layer is kept.
        """
        self.summary = self.summary.merge(summarize(layers))
        return self.worth_keeping(layers, keep_all)

    def worth_keeping(self, layers: list[ValuesLayer], keep_all: bool) -> list[ValuesLayer]:
        """The layers detectors read (see ``absorb``), without summarising them."""
        if keep_all:
            return layers
        own = {s.chart for s in self.sources if s.path}
        return [layer for layer in layers if is_known_chart(layer.chart) or layer.chart in own]


def release_of(obj: KubeObject, text: str, notices: list[Notice]) -> Release | None:
    """The release ``obj`` declares, or None when it is not one."""
    if obj.kind == "Application" and obj.group == "argoproj.io":
        return _argo(obj, text, notices)
    if obj.kind == "HelmRelease":
        return _flux_helm(obj)
    if obj.kind == "Kustomization" and obj.group == "kustomize.toolkit.fluxcd.io":
        return _flux_kustomization(obj)
    if obj.kind in ("HelmChart", "HelmChartConfig") and obj.group == "helm.cattle.io":
        return _rke2_chart(obj, text, notices)
    return None


def kustomize_releases(doc: Located, text: str, notices: list[Notice]) -> Iterator[Release]:
    """Releases of the ``helmCharts`` of a kustomization.yaml."""
    charts = doc.get("helmCharts")
    for i, item in enumerate(charts if isinstance(charts, list) else []):
        if not isinstance(item, Mapping) or not item.get("name"):
            continue
        chart = canonical_chart(str(item["name"]))
        entry = doc.child("helmCharts", i)
        name = str(item.get("releaseName") or item["name"])
        files = (str(item["valuesFile"]),) if item.get("valuesFile") else ()
        release = Release(
            "kustomize helmChart",
            name,
            doc.file,
            entry.evidence(text=f"helmCharts: {item['name']}"),
            (
                ReleaseSource(
                    chart,
                    str(item.get("repo", "")),
                    "",
                    files,
                    entry.evidence(),
                    str(item.get("version") or ""),
                ),
            ),
        )
        if isinstance(item.get("valuesInline"), Mapping):
            release.inline.append(
                ValuesLayer(entry.child("valuesInline"), chart, name, "valuesInline")
            )
        yield release


def _argo(obj: KubeObject, text: str, notices: list[Notice]) -> Release:
    return argo_release(
        obj.kind,
        obj.name,
        obj.evidence(text=_named(obj)),
        obj.child("spec"),
        text,
        notices,
    )


def _named(obj: KubeObject) -> str:
    """``Application platform-root``; a templated name is a note after ``kind:``."""
    if INLINE in obj.name:  # a placeholder the lines write as ``{{ ... }}``
        return noted(f"kind: {obj.kind}", f"{obj.kind} {obj.name}")
    return f"{obj.kind} {obj.name}"


def argo_release(
    kind: str,
    name: str,
    evidence: Evidence,
    spec: Located,
    text: str,
    notices: list[Notice],
    unknowns: tuple[Unknown, ...] = (),
) -> Release:
    """The release of an Argo CD Application ``spec`` (as written, or rendered).

    Args:
        kind: ``Application``, or ``ApplicationSet`` for one whose applications are
            not known.
        name: the application's name.
        evidence: where the application is declared.
        spec: its ``spec`` (``source``/``sources``, ``destination``, ``syncPolicy``).
        text: the text of the file ``spec`` is written in (for ``helm.values`` blocks).
        notices: receives a notice for inline values that are not YAML.
        unknowns: fields of a generated application whose value is not known; value
            files and charts among them are kept apart, never resolved.
    """
    raw_sources = spec.get("sources")
    if isinstance(raw_sources, list):
        entries = [
            (spec.child("sources", i), s, f"sources[{i}]") for i, s in enumerate(raw_sources)
        ]
    else:
        entries = [(spec.child("source"), spec.get("source"), "source")]
    sources = []
    inline: list[ValuesLayer] = []
    for located, source, field_name in entries:
        if not isinstance(source, Mapping) or (source.get("ref") and not source.get("chart")):
            continue
        unknown_here = [u for u in unknowns if u.field.startswith(field_name + ".")]
        unknown_chart = next(
            (u.template for u in unknown_here if u.field == f"{field_name}.chart"), ""
        )
        chart = "" if unknown_chart else _chart_name(source)
        helm = as_mapping(source.get("helm"))
        files = [str(f) for f in as_list(helm.get("valueFiles"))]
        unresolved = tuple(f for f in files if is_templated(f))
        sources.append(
            ReleaseSource(
                chart,
                str(source.get("repoURL", "")),
                str(source.get("path", "") or ""),
                tuple(f for f in files if not is_templated(f)),
                located.evidence(
                    text=f"chart: {source.get('chart')}" if source.get("chart") else ""
                ),
                str(source.get("targetRevision") or "") if source.get("chart") else "",
                unresolved,
                unknown_chart,
            )
        )
        if chart:
            inline += _inline_values(located, chart, name, text, notices)
    automated = spec.hit("syncPolicy", "automated")
    self_heal = spec.hit("syncPolicy", "automated", "selfHeal")
    cluster = spec.hit("destination", "server") or spec.hit("destination", "name")
    if cluster is not None and is_templated(str(cluster.value)):
        cluster = None  # a destination known only at run time names no cluster
    return Release(
        "Application" if kind == "Application" else kind,
        name,
        spec.file,
        evidence,
        tuple(sources),
        automated if automated is not None and automated.value is not False else None,
        self_heal if self_heal is not None and _true(self_heal.value) else None,
        inline,
        namespace=str(spec.get("destination", "namespace") or ""),
        cluster=cluster,
        unknowns=unknowns,
    )


def _true(value: object) -> bool:
    # A generated application's selfHeal may be a rendered string ("true").
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _inline_values(
    source: Located, chart: str, release: str, text: str, notices: list[Notice]
) -> list[ValuesLayer]:
    layers = []
    values = source.get("helm", "values")
    if isinstance(values, Mapping):
        layers.append(ValuesLayer(source.child("helm", "values"), chart, release, "helm.values"))
    elif isinstance(values, str):
        layers += _string_layers(source, ("helm", "values"), chart, release, text, notices)
    if isinstance(source.get("helm", "valuesObject"), Mapping):
        layers.append(
            ValuesLayer(source.child("helm", "valuesObject"), chart, release, "helm.valuesObject")
        )
    return layers


def _string_layers(
    owner: Located,
    path: tuple[str, ...],
    chart: str,
    release: str,
    text: str,
    notices: list[Notice],
) -> list[ValuesLayer]:
    try:
        documents = block_string_documents(owner, path, text)
    except YamlError as e:
        line = owner.evidence(*path).line
        notices.append(
            Notice(
                owner.file, f"line {line}: inline Helm values are not YAML: {e.problems[0].message}"
            )
        )
        return []
    return [
        ValuesLayer(Located(d), chart, release, ".".join(path))
        for d in documents
        if isinstance(d.data, Mapping)
    ]


def _flux_helm(obj: KubeObject) -> Release:
    refs = flux_chart(obj)
    # A chart in a GitRepository is a path (./charts/app); an OCIRepository's name is only
    # a first guess at its chart until its URL is read (see fluxsources.py).
    name = refs.chart.rstrip("/").rsplit("/", 1)[-1] or obj.get("spec", "chartRef", "name")
    chart = canonical_chart(str(name or obj.name))
    # helm-controller upgrades on a change of chart or values; it reverts changes made in
    # the cluster only with drift detection enabled (off by default):
    # https://fluxcd.io/flux/components/helm/helmreleases/#drift-detection
    drift = obj.hit("spec", "driftDetection", "mode")
    where = "chartRef" if refs.chart_ref is not None else "chart"
    release = Release(
        obj.kind,
        obj.name,
        obj.file,
        obj.evidence(text=f"HelmRelease {obj.name}"),
        (
            ReleaseSource(
                chart,
                "",
                "",
                (),
                obj.evidence("spec", where),
                str(obj.get("spec", "chart", "spec", "version") or ""),
            ),
        ),
        automated=obj.hit("spec", "interval") or Hit(True, obj.evidence()),
        self_heal=drift if drift is not None and drift.value == "enabled" else None,
        namespace=str(obj.get("spec", "targetNamespace") or obj.namespace),
        cluster=obj.hit("spec", "kubeConfig", "secretRef", "name"),
        flux=refs,
        labels=obj.labels(),
        object_namespace=obj.namespace,
    )
    if isinstance(obj.get("spec", "values"), Mapping):
        release.inline.append(
            ValuesLayer(obj.child("spec", "values"), chart, obj.name, "spec.values")
        )
    return release


def _flux_kustomization(obj: KubeObject) -> Release:
    path = str(obj.get("spec", "path") or "")
    # kustomize-controller applies the whole set at every interval, reverting drift.
    interval = obj.hit("spec", "interval") or Hit(True, obj.evidence())
    return Release(
        obj.kind,
        obj.name,
        obj.file,
        obj.evidence(text=f"Kustomization {obj.name}"),
        (ReleaseSource("", "", path, (), obj.evidence("spec", "path")),),
        automated=interval,
        self_heal=interval,
        cluster=obj.hit("spec", "kubeConfig", "secretRef", "name"),
    )


def _rke2_chart(obj: KubeObject, text: str, notices: list[Notice]) -> Release:
    name = obj.get("spec", "chart") if obj.kind == "HelmChart" else obj.name
    chart = canonical_chart(str(name or obj.name))
    release = Release(
        obj.kind,
        obj.name,
        obj.file,
        obj.evidence(text=f"{obj.kind} {obj.name}"),
        (
            ReleaseSource(
                chart,
                str(obj.get("spec", "repo") or ""),
                "",
                (),
                obj.evidence("spec"),
                str(obj.get("spec", "version") or ""),
            ),
        ),
        namespace=str(obj.get("spec", "targetNamespace") or obj.namespace),
    )
    release.inline += _string_layers(obj, ("spec", "valuesContent"), chart, obj.name, text, notices)
    return release


def _chart_name(source: Mapping[str, object]) -> str:
    if source.get("chart"):
        return canonical_chart(str(source["chart"]))
    path = str(source.get("path", "") or "").rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if source.get("helm") is not None or is_known_chart(last):
        return canonical_chart(last) if last else ""
    return ""
