"""Check the Helm values files a tree feeds to each chart.

For every Application or ApplicationSet with a chart source, each ``$values`` file is
checked key by key against the pinned chart's key tree (located at the offending
key, with the nearest real key as a hint), and for every cluster the Application
targets, the merged layers (common → edition → cluster → overrides) are checked
against the chart's ``values.schema.json`` as ``helm install`` would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stackyard.findings import Finding
from stackyard.kube import merge_values
from stackyard.progress import Progress, no_progress
from stackyard.validate.chartkeys import (
    ChartKeys,
    chart_keys,
    unknown_keys,
    values_schema_problems,
)
from stackyard.validate.repository import Repository
from stackyard.validate.topology import VALUES_REF, ClusterSecret, helm_sources
from stackyard.yamlio import LocatedDocument

CHECKING = "checking values"


def check_values(repository: Repository, progress: Progress = no_progress) -> Iterator[Finding]:
    """Key and schema findings for every values file the tree's charts use.

    ``progress`` hears "checking values" once per chart source.
    """
    checked: set[tuple[str, str]] = set()
    sources = list(helm_sources(repository))
    for done, helm in enumerate(sources):
        progress(CHECKING, done, len(sources))
        source = helm.source
        chart = str(source.get("chart") or source.get("path") or "")
        keys = chart_keys(chart, str(source.get("targetRevision")))
        if not isinstance(keys, ChartKeys):
            yield Finding.not_checked(
                helm.document.locate(helm.at),
                "values",
                f"values of {chart} {keys.version} are not checked: {keys.reason}",
            )
            continue
        for cluster in helm.clusters:
            files = value_layers(repository, source["helm"].get("valueFiles") or [], cluster)
            for relative, layer in files:
                if (relative, chart) not in checked:
                    checked.add((relative, chart))
                    yield from _unknown(keys, relative, layer)
            yield from _schema(keys, files, cluster)
    progress(CHECKING, len(sources), len(sources))


def value_layers(
    repository: Repository, value_files: list[Any], cluster: ClusterSecret
) -> list[tuple[str, LocatedDocument]]:
    """The ``$values`` files of the tree that exist for ``cluster``, in merge order."""
    prefix = repository.repo_prefix
    layers = []
    for value_file in value_files:
        text = str(value_file)
        if not text.startswith(VALUES_REF):
            continue
        relative = text[len(VALUES_REF) :].replace("{{.name}}", cluster.name)
        if prefix and relative.startswith(prefix):
            relative = relative[len(prefix) :]
        documents = repository.files.get(relative)
        if documents:
            layers.append((relative, documents[0]))
    return layers


def _unknown(keys: ChartKeys, relative: str, layer: LocatedDocument) -> Iterator[Finding]:
    if not isinstance(layer.data, dict):
        return
    for unknown in unknown_keys(keys.tree, layer.data):
        hint = f" (did you mean {unknown.suggestion!r}?)" if unknown.suggestion else ""
        yield Finding(
            layer.locate(unknown.path, key=True),
            "values",
            f"{unknown.dotted} is not a key of {keys.chart} {keys.version}{hint}",
        )


def _schema(
    keys: ChartKeys, files: list[tuple[str, LocatedDocument]], cluster: ClusterSecret
) -> Iterator[Finding]:
    if keys.schema_file is None or not files:
        return
    merged: dict[str, Any] = {}
    for _, layer in files:
        if isinstance(layer.data, dict):
            merged = merge_values(merged, layer.data)
    last = files[-1][1]
    for problem in values_schema_problems(keys, merged):
        yield Finding(
            last.locate(()),
            "values",
            f"{keys.chart} values for {cluster.name} break values.schema.json: {problem}",
        )
