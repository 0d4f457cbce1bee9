"""Render releases whose charts are available locally, so verdicts see real objects.

With ``--charts DIR``, every release (Argo CD Application, HelmRelease, ...) that
installs a chart found in DIR — a ``.tgz`` archive or an unpacked chart folder,
matched by the canonical chart name in its ``Chart.yaml``, the version the release
pins first when DIR holds several — is rendered offline
through helm-python-sdk (Helm's Go engine) with the release's merged values, its
release name and namespace. The rendered objects are indexed like the repository's
own, with evidence pointing at the release that renders them; ``helm test`` hooks
are left out, as Argo CD leaves them out. Charts that fail to render, and releases
whose chart is not in DIR, are reported as notices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import helm_python as helm

from stackyard.assess.inputs.charts import canonical_chart
from stackyard.assess.inputs.documents import yaml_documents
from stackyard.assess.inputs.objects import KubeObject, objects_in
from stackyard.assess.inputs.releases import Release
from stackyard.assess.model import Notice
from stackyard.kube import merge_values
from stackyard.progress import Progress, no_progress

AddObject = Callable[[KubeObject, str], None]
HYDRATING = "hydrating releases"


def local_charts(directory: Path) -> dict[str, Path]:
    """Charts in ``directory`` by canonical name: archives and unpacked folders."""
    found: dict[str, Path] = {}
    for (name, _), path in local_chart_versions(directory).items():
        found.setdefault(name, path)
    return found


def local_chart_versions(directory: Path) -> dict[tuple[str, str], Path]:
    """Charts in ``directory`` by (canonical name, version without a leading ``v``).

    A chart store (``stackyard charts pull``) may hold several versions of one chart;
    a release is rendered with the version it pins when the store has it.
    """
    found: dict[tuple[str, str], Path] = {}
    candidates = sorted(directory.glob("*.tgz")) + sorted(
        p for p in directory.iterdir() if (p / "Chart.yaml").is_file()
    )
    for path in candidates:
        try:
            with helm.Chart.load(path) as chart:
                key = (canonical_chart(chart.name), str(chart.version).removeprefix("v"))
                found.setdefault(key, path)
        except helm.HelmError:
            continue
    return found


def hydrate_releases(
    releases: Iterable[Release],
    charts: Path,
    add: AddObject,
    notices: list[Notice],
    progress: Progress = no_progress,
) -> set[tuple[str, str]]:
    """Render every release whose chart is in ``charts``; return (release key, chart) of each.

    ``progress`` hears "hydrating releases" once per chart of each release.
    """
    if not charts.is_dir():
        notices.append(Notice(str(charts), "charts folder not found: nothing hydrated"))
        return set()
    versions = local_chart_versions(charts)
    available: dict[str, Path] = {}
    for (name, _), found in versions.items():
        available.setdefault(name, found)
    rendered: set[tuple[str, str]] = set()
    missing: set[str] = set()
    pairs = [(release, chart) for release in releases for chart in dict.fromkeys(release.charts)]
    for done, (release, chart) in enumerate(pairs):
        progress(HYDRATING, done, len(pairs))
        pinned = release.chart_version(chart).removeprefix("v")
        candidate = versions.get((chart, pinned)) or available.get(chart)
        if candidate is None:
            missing.add(chart)
            continue
        values: dict[str, Any] = {}
        for layer in release.layers():
            if layer.chart == chart and isinstance(layer.data, Mapping):
                values = merge_values(values, layer.data)
        if _render(release, chart, candidate, values, add, notices):
            rendered.add((release.key, chart))
    progress(HYDRATING, len(pairs), len(pairs))
    if missing:
        names = ", ".join(sorted(missing))
        notices.append(
            Notice(str(charts), f"not hydrated, chart not in the charts folder: {names}")
        )
    return rendered


def _render(
    release: Release,
    chart: str,
    path: Path,
    values: dict[str, Any],
    add: AddObject,
    notices: list[Notice],
) -> bool:
    namespace = release.namespace or "default"
    try:
        with helm.Chart.load(path) as loaded:
            manifests = loaded.render(
                values=values, name=release.name, namespace=namespace, is_install=True
            )
    except helm.HelmError as e:
        notices.append(Notice(release.file, f"{release.name}: chart {chart} failed to render: {e}"))
        return False
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml")) or not text.strip():
            continue
        source = f"{release.name}:{template}"
        for document in yaml_documents(text, source, notices):
            for obj in objects_in(document, origin=release.evidence):
                if not _test_hook(obj):
                    add(obj, text)
    return True


def _test_hook(obj: KubeObject) -> bool:
    """``helm test`` pods: rendered by the chart, never deployed by Argo CD or Flux."""
    hook = obj.get("metadata", "annotations", "helm.sh/hook")
    return isinstance(hook, str) and "test" in hook
