"""The local chart store: every pinned chart a render needs, fetched once, digest checked.

Layout: the flat folder ``helm pull -d DIR`` writes, ``DIR/<chart>-<version>.tgz``, which
is what ``validate --hydrate --charts DIR`` and ``assess --charts DIR`` read (they match
archives by the name and version inside ``Chart.yaml``). Beside the archives,
``DIR/charts.json`` records where each came from and its ``sha256`` digest, so a second
pull finds an archive whose bytes still have that digest and moves nothing — not even
the repository's index, which keeps a re-run working on the disconnected side.

The charts come from the plan of a spec (each Helm install of a component Argo CD syncs)
or from a rendered tree (each Argo CD Application's Helm chart source). A chart Argo CD
reads from a Git repository (a ``path`` source) is no Helm archive: it is listed as
skipped, for the Git mirror to carry. Archives are written atomically, one by one, only
after their digest is checked; the record is written after each, so a failure half-way
leaves whole archives and a record that matches them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from stackyard.delivery.chartsources import (
    ChartRef,
    download,
    locate,
    sha256_digest,
)
from stackyard.errors import InputError, Location, Problem
from stackyard.fsio import make_folders, read_input_bytes, write_bytes, write_text
from stackyard.plan.model import Plan
from stackyard.progress import Progress, no_progress
from stackyard.render.gitops import is_synced
from stackyard.yamlio import load_yaml_documents, read_text_file

RECORD = "charts.json"
PULLING = "pulling charts"
MAX_TREE_FILE_BYTES = 8 * 1024 * 1024
ChartStatus = Literal["pulled", "present", "skipped"]


@dataclass(frozen=True)
class StoredChart:
    """One chart of the store after a pull: where from, its digest, what the pull did."""

    ref: ChartRef
    status: ChartStatus
    path: str
    """The archive, relative to the store (empty when skipped)."""
    digest: str
    source: str
    """Where the bytes came from: the archive URL, or the mirror a map pointed at."""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "chart": self.ref.chart,
            "version": self.ref.version,
            "repoURL": self.ref.repo_url,
            "source": self.source,
            "path": self.path,
            "digest": self.digest,
            "status": self.status,
            "note": self.note,
        }


def charts_of_plan(plan: Plan) -> list[ChartRef]:
    """Every chart the render of ``plan`` installs through Argo CD, once each."""
    found = {
        ChartRef(
            c.component.install.repoURL, c.component.install.chart, c.component.install.version
        )
        for cluster in plan.clusters
        for c in cluster.components
        if c.component.install.method == "helm" and is_synced(c.component)
    }
    return sorted(found)


def charts_of_tree(root: Path) -> list[ChartRef]:
    """Every Helm chart the Argo CD Applications (and ApplicationSets) of a tree install.

    Raises:
        YamlError: a YAML file of the tree cannot be read.
    """
    found: set[ChartRef] = set()
    for path in sorted(root.rglob("*.y*ml")):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        text = read_text_file(path, max_bytes=MAX_TREE_FILE_BYTES)
        if "argoproj.io" not in text:
            continue
        for document in load_yaml_documents(text, str(path)):
            found.update(_chart_sources(document.data))
    return sorted(found)


def _chart_sources(obj: Any) -> Iterator[ChartRef]:
    if not isinstance(obj, dict) or not str(obj.get("apiVersion", "")).startswith("argoproj.io/"):
        return
    spec = obj.get("spec") or {}
    if obj.get("kind") == "ApplicationSet":
        spec = (spec.get("template") or {}).get("spec") or {}
    elif obj.get("kind") != "Application":
        return
    sources = [spec.get("source"), *(spec.get("sources") or [])]
    for source in sources:
        if not isinstance(source, dict) or not source.get("repoURL"):
            continue
        revision = str(source.get("targetRevision") or "")
        if source.get("chart"):
            yield ChartRef(str(source["repoURL"]), str(source["chart"]), revision)
        elif source.get("path") and "helm" in source:
            yield ChartRef(str(source["repoURL"]), str(source["path"]), revision)


def archive_name(ref: ChartRef) -> str:
    """``<chart>-<version>.tgz``, as ``helm pull`` names it."""
    return f"{ref.chart.rsplit('/', 1)[-1]}-{ref.version}.tgz"


def mirrored(ref: ChartRef, repository_map: Mapping[str, str]) -> str:
    """Where to fetch ``ref``: its repository, or the mirror ``repository_map`` names for it."""
    return repository_map.get(ref.repo_url.rstrip("/"), ref.repo_url)


def pull_charts(
    refs: Iterable[ChartRef],
    store: Path,
    repository_map: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
    ca_file: Path | None = None,
) -> list[StoredChart]:
    """Fetch every chart of ``refs`` into ``store`` that it does not hold already.

    ``repository_map`` maps a repository URL (without trailing slash) to the mirror to
    fetch it from. ``progress`` hears "pulling charts" once per chart. ``ca_file`` is a PEM
    bundle to trust (an internal mirror's CA) instead of the system's.

    Raises:
        InputError: ``store`` cannot be made a folder or written.
        ChartSourceError: a chart cannot be fetched, or is not what its source promised.
    """
    charts = list(refs)
    mapping = {k.rstrip("/"): v.rstrip("/") for k, v in (repository_map or {}).items()}
    make_folders(store, "--directory")
    record = _read_record(store)
    results: list[StoredChart] = []
    for done, ref in enumerate(charts):
        progress(PULLING, done, len(charts))
        result = _pull_one(ref, store, mapping, record, ca_file)
        results.append(result)
        entry = {"path": result.path, "digest": result.digest, "source": result.source}
        if result.status != "skipped" and record.get(_key(ref)) != entry:
            record[_key(ref)] = entry
            _write_record(store, record)
    progress(PULLING, len(charts), len(charts))
    return results


def _pull_one(
    ref: ChartRef,
    store: Path,
    mapping: Mapping[str, str],
    record: dict[str, dict[str, str]],
    ca_file: Path | None,
) -> StoredChart:
    location = mirrored(ref, mapping)
    if ref.repo_url.endswith(".git") or (not ref.is_oci and not location.startswith("http")):
        return StoredChart(
            ref, "skipped", "", "", location, "a chart in a Git repository: mirror the repository"
        )
    name = archive_name(ref)
    path = store / name
    kept = record.get(_key(ref))
    if kept and kept.get("path") == name and _digest_of(path) == kept.get("digest"):
        return StoredChart(ref, "present", name, kept["digest"], kept.get("source", location))
    url, digest = locate(ref, location, ca_file)
    if _digest_of(path) == digest:
        return StoredChart(ref, "present", name, digest, url)
    fetched = download(ref, url, digest, ca_file)
    write_bytes(path, fetched.data, option="--directory")
    return StoredChart(ref, "pulled", name, fetched.digest, fetched.url)


def _digest_of(path: Path) -> str:
    """``sha256:<hex>`` of the regular file at ``path``; empty when there is none."""
    if not path.is_file() or path.is_symlink():
        return ""
    try:
        return sha256_digest(read_input_bytes(path, max_bytes=1 << 30))
    except InputError:
        return ""


def _key(ref: ChartRef) -> str:
    return f"{ref.repo_url.rstrip('/')}|{ref.chart}|{ref.version}"


def _read_record(store: Path) -> dict[str, dict[str, str]]:
    """The store's record of what it holds; an unreadable record only costs a re-fetch."""
    path = store / RECORD
    if not path.is_file():
        return {}
    try:
        data = json.loads(read_input_bytes(path, max_bytes=16 * 1024 * 1024))
    except (InputError, ValueError):
        return {}
    charts = data.get("charts") if isinstance(data, dict) else None
    if not isinstance(charts, list):
        return {}
    return {
        f"{c['repoURL']}|{c['chart']}|{c['version']}": {
            "path": str(c.get("path", "")),
            "digest": str(c.get("digest", "")),
            "source": str(c.get("source", "")),
        }
        for c in charts
        if isinstance(c, dict) and {"repoURL", "chart", "version"} <= c.keys()
    }


def _write_record(store: Path, record: Mapping[str, Mapping[str, str]]) -> None:
    charts = []
    for key in sorted(record):
        repo_url, chart, version = key.split("|", 2)
        charts.append({"repoURL": repo_url, "chart": chart, "version": version, **record[key]})
    text = json.dumps({"charts": charts}, indent=2) + "\n"
    write_text(store / RECORD, text, option="--directory")


def refuse_store_file(store: Path) -> None:
    """Refuse a store path that exists but is not a folder, before any network work."""
    if store.exists() and not store.is_dir():
        raise InputError(
            [Problem(Location(str(store)), "--directory", "exists and is not a folder")]
        )
