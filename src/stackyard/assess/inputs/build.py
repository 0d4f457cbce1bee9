"""Stream a repository into a ``RepositoryIndex``, one file at a time.

One pass over the files reads each one, turns it into facts and lets go of its
text. Values files cannot always be recognised on the way (an Application read
later may name them), so plain YAML files are remembered by path only; after the
pass, the value files that releases name are resolved against those paths
(``$values/`` refs, chart-relative paths) and read again. Values files named after a
known chart (``values/common/grafana.yaml``, ``vault-values.yaml``, a chart folder's
``values*.yaml``) are kept on the first read; those no release claims stay as the
chart's orphan values.

Two kinds of release can only be read once every file has been seen: Argo CD
applications declared inside chart values (``argocd-apps``, the argo-cd chart's
``extraObjects``), and the applications an ApplicationSet generates — its generators
read cluster Secrets and files anywhere in the repository.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from stackyard.assess.inputs.ansible import ansible_objects, ansible_releases
from stackyard.assess.inputs.appset_templates import is_templated
from stackyard.assess.inputs.appsets import ArgoSource, RepositoryView, expand
from stackyard.assess.inputs.argo_values import ARGO_CHARTS, argo_sources, extra_objects
from stackyard.assess.inputs.charts import canonical_chart, chart_from_filename
from stackyard.assess.inputs.clusters import registered_clusters
from stackyard.assess.inputs.distribution import signs_in_document, signs_in_text
from stackyard.assess.inputs.exclude import Exclusions
from stackyard.assess.inputs.fluxpatches import FluxTree, apply_tree_patches, flux_tree
from stackyard.assess.inputs.fluxsources import FluxCatalog
from stackyard.assess.inputs.hydrate import hydrate_releases
from stackyard.assess.inputs.index import LocalChart, RepositoryIndex
from stackyard.assess.inputs.located import Located, as_list
from stackyard.assess.inputs.machineconfig import structured_settings
from stackyard.assess.inputs.nodeconfig import node_settings
from stackyard.assess.inputs.objects import (
    SIGHTED_KINDS,
    KubeObject,
    is_kept,
    objects_in,
    workload_of,
)
from stackyard.assess.inputs.overlays import OverlayCatalog, deployments_summary
from stackyard.assess.inputs.reading import DRILL_SCHEMA, ReadFile, read_source, read_sources
from stackyard.assess.inputs.releases import (
    Release,
    ValuesLayer,
    argo_release,
    kustomize_releases,
    release_of,
)
from stackyard.assess.inputs.templating import is_jinja_file
from stackyard.assess.inputs.terraform import read_terraform
from stackyard.assess.inputs.texts import ci_system, text_file
from stackyard.assess.inputs.tfreleases import terraform_objects, terraform_release
from stackyard.assess.inputs.umbrella import dependencies
from stackyard.assess.inputs.walk import SourceFile, walk
from stackyard.assess.model import Evidence, Notice, noted
from stackyard.progress import Progress, no_progress
from stackyard.yamlio import LocatedDocument

ObjectObserver = Callable[[KubeObject], None]
READING = "reading files"

MARKER_FILES = frozenset(
    {"mkdocs.yml", "mkdocs.yaml", "pulumi.yaml", ".sops.yaml", "catalog-info.yaml"}
)
_NODE_PATH_HINTS = ("rke2", "k3s", "kubeadm", "cloud-init", "cloudinit", "user-data", "userdata")
_RKE2_KEYS = frozenset(
    {
        "tls-san",
        "cni",
        "token",
        "token-file",
        "server",
        "write-kubeconfig-mode",
        "node-taint",
        "etcd-snapshot-schedule-cron",
        "kube-apiserver-arg",
        "profile",
        "etcd-s3",
        "cluster-cidr",
    }
)


class IndexBuilder:
    """Feeds files into an index; call ``add`` per file, then ``finish``."""

    def __init__(
        self,
        root: Path,
        notices: list[Notice],
        observers: Iterable[ObjectObserver] = (),
        keep_all_values: bool = False,
    ) -> None:
        """Start an empty index of ``root``; keep every chart's values to render them."""
        self.root = root
        self.index = RepositoryIndex(root=str(root))
        self.notices = notices
        self.observers = tuple(observers)
        self._plain: dict[str, list[str]] = defaultdict(list)  # basename -> paths
        self._named_values: dict[str, list[ValuesLayer]] = {}
        self._templates: set[str] = set()
        self._keep_all_values = keep_all_values
        self._flux = FluxCatalog()
        self._files: list[str] = []  # every YAML/JSON file, for ApplicationSet git generators
        self._application_sets: list[ArgoSource] = []
        self._texts: dict[str, str] = {}
        self._overlays = OverlayCatalog()
        self._flux_trees: list[FluxTree] = []

    def add(self, read: ReadFile) -> None:
        """Take one file, as read, into the index."""
        source = read.source
        self.notices.extend(read.notices)
        self.index.stats["files"] += 1
        name = _basename(source.relative).lower()
        if name in MARKER_FILES:
            self.index.marker_files[name].append(source.relative)
        if source.kind in ("yaml", "json"):
            self._files.append(source.relative)
        if source.kind == "packer":
            self.index.packer.append(
                Evidence(
                    source.relative,
                    1,
                    1,
                    noted(PurePosixPath(source.relative).name, "Packer template"),
                )
            )
            return
        text = read.text
        if text is None:
            self.index.stats["skipped"] += 1
            return
        if source.kind == "ci":
            self.index.texts.append(
                text_file("ci", ci_system(source.relative), source.relative, text)
            )
        elif source.kind == "terraform":
            self._terraform(source.relative, text)
        if source.kind == "script" or is_jinja_file(source.relative):
            # A Jinja template of YAML is also read line by line, as any template: it
            # may be a node configuration (a K3s config.yaml.j2) written by Ansible.
            self.index.texts.append(text_file("script", "script", source.relative, text))
            self.index.node_settings += node_settings(text, source.relative)
            self.index.distribution_signs += signs_in_text(text, source.relative)
        if read.parsed:
            self._documents(source.relative, text, read.documents)

    def add_object(self, obj: KubeObject, text: str) -> None:
        """Index one object (from a file, a List, or a rendered chart) read from ``text``."""
        self.index.stats["objects"] += 1
        self.index.kind_counts[obj.kind] += 1
        for observer in self.observers:
            observer(obj)
        workload = workload_of(obj)
        if workload is not None:
            self.index.workloads.append(workload)
        self._flux.add_object(obj, text)
        if obj.kind == "Kustomization" and obj.group == "kustomize.toolkit.fluxcd.io":
            self._flux_trees.append(flux_tree(obj, text, self.notices))
        if obj.kind == "ApplicationSet" and obj.group == "argoproj.io":
            # Expanded once every file is read: generators read Secrets and files.
            evidence = obj.evidence(text=f"ApplicationSet {obj.name}")
            self._application_sets.append(
                ArgoSource(obj.kind, obj.name, evidence, obj.child("spec"), text)
            )
        release = release_of(obj, text, self.notices)
        if release is not None:
            if release.flux is None:  # a Flux chart is known once its source is read
                release.inline = release.absorb(release.inline, self._keep_all_values)
            self.index.releases.append(release)
        if is_kept(obj):
            self.index.keep(obj)
        elif obj.kind in SIGHTED_KINDS:
            text = f"{obj.kind} {obj.namespace}/{obj.name}".replace(" /", " ")
            self.index.sightings[obj.kind].append(obj.evidence(text=text))

    def resolve_values(self) -> None:
        """Attach the value files releases name; read Argo CD objects only known now.

        Applications declared in chart values and those ApplicationSets generate become
        releases here, each with its own value files; unclaimed named values are kept
        as orphans.
        """
        claimed: set[str] = set()
        self.index.releases = self._overlays.apply(self.index.releases, self.notices)
        for release in self.index.releases:
            if release.flux is not None:
                layers = self._flux.resolve(release, self._plain_documents)
                claimed.update(layer.file for layer in layers)
                release.file_layers += release.absorb(layers, self._keep_all_values)
                release.inline = release.absorb(release.inline, self._keep_all_values)
            self._attach_files(release, claimed)
            if release.overlays:
                chart = release.charts[0] if release.charts else ""
                for _, layers in release.overlays:
                    for layer in layers:
                        layer.chart = chart
                release.summary = deployments_summary(release)
                release.overlays = [
                    (overlay, release.worth_keeping(layers, self._keep_all_values))
                    for overlay, layers in release.overlays
                ]
        self._argo_in_values(claimed)
        view = RepositoryView(
            tuple(self._files), registered_clusters(self.index.of_kind("Secret")), self._read
        )
        for appset in self._application_sets:
            releases, facts = expand(appset, view, self.notices)
            self.index.application_sets.append(facts)
            for release in releases:
                release.inline = release.absorb(release.inline, self._keep_all_values)
                self.index.releases.append(release)
                self._attach_files(release, claimed)
        self._application_sets.clear()
        self._texts.clear()
        apply_tree_patches(self._flux_trees, self.index.releases)
        for path, layers in self._named_values.items():
            if path not in claimed:
                self.index.orphan_values += layers
        self._named_values.clear()

    def _attach_files(self, release: Release, claimed: set[str]) -> None:
        self._chart_folder_sources(release, claimed)
        for source in release.sources:
            for ref in source.value_files:
                for path in self._resolve(ref, source.path, release.file):
                    claimed.add(path)
                    layers = self._file_layers(path, source.chart, release)
                    release.file_layers += release.absorb(layers, self._keep_all_values)

    def _chart_folder_sources(self, release: Release, claimed: set[str]) -> None:
        """A source whose path holds a ``Chart.yaml`` installs that chart with its values.yaml.

        Argo CD renders such a folder with Helm, and Helm always reads the chart's own
        ``values.yaml`` beneath any value file the source names
        (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#values-files,
        https://helm.sh/docs/chart_template_guide/values_files/): an umbrella chart's
        settings live there, so they are this release's lowest values layer.
        """
        charts = []
        for i, source in enumerate(release.sources):
            local = self.index.local_charts.get(source.path.strip("/").removeprefix("./"))
            if local is not None and not source.unknown_chart:
                charts.append(local)
                sources = list(release.sources)
                sources[i] = replace(source, chart=source.chart or local.name)
                release.sources = tuple(sources)  # first: absorb keeps its own chart's layers
        for local in charts:
            path = f"{local.folder}/values.yaml" if local.folder != "." else "values.yaml"
            if path in self._plain.get("values.yaml", []):
                claimed.add(path)
                layers = self._file_layers(path, local.name, release)
                release.file_layers[:0] = release.absorb(layers, self._keep_all_values)

    def _argo_in_values(self, claimed: set[str]) -> None:
        """Releases and objects that argocd-apps or argo-cd values declare."""
        seen: set[tuple[str, tuple[str | int, ...]]] = set()
        # A chart's values.yaml and an override file beside it (values-seed.yaml) are
        # merged by Helm into one set of values: an entry both name is one object,
        # read once, from values.yaml (what the chart renders by default).
        declared: set[tuple[str, str, str]] = set()
        for layer, chart in sorted(self._argo_layers(), key=_defaults_first):
            if (layer.file, layer.base) in seen:
                continue
            seen.add((layer.file, layer.base))
            text = self._text(layer.file)
            folder = str(PurePosixPath(layer.file).parent)
            for source in argo_sources(layer, chart, text):
                if (folder, source.kind, source.name) in declared:
                    continue
                declared.add((folder, source.kind, source.name))
                if source.kind == "ApplicationSet":
                    self._application_sets.append(source)
                    continue
                release = argo_release(
                    source.kind, source.name, source.evidence, source.spec, text, self.notices
                )
                release.inline = release.absorb(release.inline, self._keep_all_values)
                self.index.releases.append(release)
                self._attach_files(release, claimed)
            before = len(self.index.releases)
            for obj in extra_objects(layer, chart):
                self.add_object(obj, text)
            for release in self.index.releases[before:]:
                self._attach_files(release, claimed)

    def _argo_layers(self) -> list[tuple[Located, str]]:
        """Values of argocd-apps and argo-cd: their own, and under an umbrella's alias."""
        # Each layer with the values it is merged with: its release's layers of the
        # same chart, or the named values files of its folder (values.yaml first).
        groups: dict[tuple[str, str], list[ValuesLayer]] = defaultdict(list)
        for release in self.index.releases:
            for layer in release.layers():
                groups[(release.key, layer.chart)].append(layer)
        for path, named in sorted(
            self._named_values.items(), key=lambda item: _values_first(item[0])
        ):
            for layer in named:
                groups[(str(PurePosixPath(path).parent), layer.chart)].append(layer)
        found: list[tuple[Located, str]] = []
        for (_, chart), layers in groups.items():
            off = self.index.switched_off(chart, layers)
            for layer in layers:
                found += self._argo_parts(layer, off)
        return found

    def _argo_parts(self, layer: ValuesLayer, off: set[str]) -> list[tuple[Located, str]]:
        found: list[tuple[Located, str]] = []
        if layer.chart in ARGO_CHARTS:
            found.append((layer, layer.chart))
        for key, sub in self.index.subchart_keys(layer.chart).items():
            if key not in off and sub in ARGO_CHARTS and isinstance(layer.get(key), Mapping):
                found.append((layer.child(key), sub))
        return found

    def _reread(self, path: str) -> ReadFile:
        """A repository file read again as YAML (the walk kept only its path).

        Its notices were raised when the walk read it first.
        """
        return read_source(SourceFile(str(self.root / path), path, "yaml", 0))

    def _text(self, path: str) -> str:
        if path not in self._texts:
            self._texts[path] = self._reread(path).text or ""
        return self._texts[path]

    def _read(self, path: str) -> list[LocatedDocument]:
        """A file a git generator names, parsed (JSON is YAML); its notices were given."""
        return list(self._reread(path).documents)

    def finish(self) -> RepositoryIndex:
        """Group values into stacks; the index is ready for detectors."""
        self.index.finalize(self.notices)
        return self.index

    # -- per file ------------------------------------------------------------------

    def _terraform(self, relative: str, text: str) -> None:
        parsed = read_terraform(text, relative, self.notices)
        self.index.terraform += parsed.blocks
        self.index.terraform_files.append(relative)
        for heredoc in parsed.heredocs:
            self.index.texts.append(heredoc)
            joined = "\n".join(heredoc.lines)
            self.index.node_settings += node_settings(joined, relative, heredoc.first_line)
            self.index.distribution_signs += signs_in_text(joined, relative, heredoc.first_line)
        self._templates.update(parsed.templates)
        for block in parsed.blocks:
            release = terraform_release(block, self.notices)
            if release is not None:
                release.inline = release.absorb(release.inline, self._keep_all_values)
                self.index.releases.append(release)
            for obj in terraform_objects(block, self.notices):
                self.add_object(obj, text)

    def _documents(self, relative: str, text: str, documents: Sequence[LocatedDocument]) -> None:
        self.index.stats["documents"] += len(documents)
        node_config = relative in self._templates or _node_config(relative, text, documents)
        if node_config:
            self.index.node_settings += node_settings(text, relative)
            self.index.distribution_signs += signs_in_text(text, relative)
        for doc in documents:
            self.index.distribution_signs += signs_in_document(
                doc, relative, node_config=node_config
            )
            structured = list(structured_settings(doc, relative))
            if structured:  # a setting already read line by line is kept once
                seen = {(n.key, n.evidence.file, n.evidence.line) for n in self.index.node_settings}
                self.index.node_settings += [
                    n for n in structured if (n.key, n.evidence.file, n.evidence.line) not in seen
                ]
        name = _basename(relative)
        plain = []
        for doc in documents:
            data = doc.data
            if isinstance(data, list):
                self._task_list(doc, text)
                continue
            if not isinstance(data, Mapping):
                continue
            api = str(data.get("apiVersion", ""))
            if name in ("kustomization.yaml", "kustomization.yml", "Kustomization") or (
                api.startswith("kustomize.config.k8s.io")
            ):
                self._kustomization(Located(doc), text)
            elif name == "Chart.yaml":
                self._chart(relative, Located(doc))
            elif "kind" in data and api:
                for obj in objects_in(doc):
                    self.add_object(obj, text)
            elif "realm" in data and isinstance(data.get("clients"), list):
                self.index.realms.append(Located(doc))
            elif data.get("schema") == DRILL_SCHEMA:
                self.index.drill_records.append(Located(doc))
            else:
                plain.append(doc)
        if plain:
            self._plain_file(relative, plain)

    def _task_list(self, doc: LocatedDocument, text: str) -> None:
        """A YAML list at the top level: an Ansible playbook or task file."""
        for release in ansible_releases(doc):
            release.inline = release.absorb(release.inline, self._keep_all_values)
            self.index.releases.append(release)
        for obj in ansible_objects(doc):
            self.add_object(obj, text)

    def _kustomization(self, doc: Located, text: str) -> None:
        counts = {
            key: len(as_list(doc.get(key)))
            for key in ("resources", "patches", "patchesStrategicMerge", "helmCharts")
        }
        summary = ", ".join(f"{n} {key}" for key, n in counts.items() if n)
        self.index.kustomizations.append(doc.evidence(text=f"kustomization: {summary or 'empty'}"))
        self._flux.add_kustomization(doc)
        self._overlays.add_kustomization(doc)
        for release in kustomize_releases(doc, text, self.notices):
            release.inline = release.absorb(release.inline, self._keep_all_values)
            self.index.releases.append(release)

    def _chart(self, relative: str, chart: Located) -> None:
        folder = str(PurePosixPath(relative).parent)
        declared = dependencies(chart, canonical_chart)
        mapping = {d.key: d.chart for d in declared}
        name = canonical_chart(str(chart.get("name") or PurePosixPath(folder).name))
        # Only dependencies Helm may leave out are kept to decide on.
        switched = tuple(d for d in declared if d.conditions or d.tags)
        self.index.local_charts[folder] = LocalChart(name, folder, mapping, switched)

    def _plain_file(self, relative: str, documents: Sequence[LocatedDocument]) -> None:
        folder, _, name = relative.rpartition("/")
        self._plain[name].append(relative)
        chart = self._named_chart(folder or ".", name)
        if chart is not None:
            self._named_values[relative] = [
                ValuesLayer(Located(d), chart, "", "values file") for d in documents
            ]

    def _named_chart(self, folder: str, name: str) -> str | None:
        """The chart a plain file's name or folder names (``folder`` is ``.`` at the root)."""
        local = self.index.local_charts.get(folder)
        if local is not None and name.startswith("values"):
            return local.name
        stem = _stem(name)
        by_name = chart_from_filename(stem)
        if by_name is not None:
            return by_name
        # ``values.yaml``, ``values-prod.yaml``, ``helm-values.yaml`` in a folder named
        # after a chart (``platform/argocd/helm-values.yaml``, passed to ``helm install
        # -f`` by a bootstrap script) are that chart's values.
        stem = stem.lower()
        if (stem.startswith("values") or stem.endswith("values")) and folder != ".":
            return chart_from_filename(folder.rpartition("/")[2])
        return None

    # -- value files ---------------------------------------------------------------

    def _resolve(self, ref: str, source_path: str, release_file: str) -> list[str]:
        """Repository files a ``valueFiles`` entry names (longest matching path suffix).

        A templated entry (``{{...}}``) that generation did not resolve names no file:
        matching it as a glob would give every application the same values.
        """
        if is_templated(ref):
            return []
        clean = re.sub(r"^\$[\w-]+/", "", ref.strip())
        candidates = [clean]
        if source_path and not ref.startswith("$"):
            candidates.insert(0, f"{source_path.rstrip('/')}/{clean}")
        for candidate in candidates:
            parts = [p for p in candidate.split("/") if p not in ("", ".")]
            if not parts:
                continue
            pool = self._pool(parts[-1])
            for k in range(len(parts), min(2, len(parts)) - 1, -1):
                pattern = "/".join(parts[-k:])
                found = [
                    p
                    for p in pool
                    if p == pattern
                    or fnmatch.fnmatch(p, "*/" + pattern)
                    or fnmatch.fnmatch(p, pattern)
                ]
                if found:
                    return sorted(found)
        return []

    def _pool(self, basename: str) -> list[str]:
        if "*" in basename or "?" in basename:
            return [
                p
                for name, paths in self._plain.items()
                if fnmatch.fnmatch(name, basename)
                for p in paths
            ]
        return self._plain.get(basename, [])

    def _plain_documents(self, path: str) -> list[LocatedDocument]:
        """The documents of a plain YAML file the walk read (none for any other path)."""
        if path not in self._plain.get(_basename(path), []):
            return []
        return self._read(path)

    def _file_layers(self, path: str, chart: str, release: Release) -> list[ValuesLayer]:
        named = self._named_values.get(path)
        if named is not None:
            return [ValuesLayer(layer, chart, release.name, "valueFiles") for layer in named]
        return [
            ValuesLayer(Located(d), chart, release.name, "valueFiles")
            for d in self._read(path)
            if isinstance(d.data, Mapping)
        ]


def index_repository(
    root: Path,
    notices: list[Notice],
    observers: Iterable[ObjectObserver] = (),
    charts: Path | None = None,
    workers: int | None = None,
    exclusions: Exclusions | None = None,
    progress: Progress = no_progress,
) -> RepositoryIndex:
    """Stream every file under ``root`` into a finished index.

    Args:
        root: the repository (or any folder) to read.
        notices: receives a notice for everything skipped or handled specially.
        observers: called with every Kubernetes object, as it is read.
        charts: a folder of charts; releases of charts found there are rendered and
            their objects indexed too.
        workers: processes that parse ahead on large trees (None: one per spare
            core; 0: none).
        exclusions: the exclude rules (None: the defaults); they record what they left out.
        progress: hears "reading files" as each file is taken into the index (their
            number is unknown until the walk ends), then "hydrating releases".
    """
    builder = IndexBuilder(root, notices, observers, keep_all_values=charts is not None)
    done = 0
    progress(READING, done, None)
    for read in read_sources(walk(root, notices, exclusions), workers):
        builder.add(read)
        done += 1
        progress(READING, done, None)
    progress(READING, done, done)
    builder.resolve_values()
    if charts is not None:
        rendered = hydrate_releases(
            builder.index.child_releases(), charts, builder.add_object, notices, progress
        )
        builder.index.hydrated = rendered
        builder.index.stats["hydrated"] = len(rendered)
    return builder.finish()


def _defaults_first(entry: tuple[Located, str]) -> tuple[str, bool]:
    """Sort key putting each folder's ``values.yaml`` before its other values files."""
    return _values_first(entry[0].file)


def _values_first(file: str) -> tuple[str, bool]:
    path = PurePosixPath(file)
    return (str(path.parent), path.name != "values.yaml")


def _basename(relative: str) -> str:
    # Not PurePosixPath(...).name: this runs for every file, and the path is already POSIX.
    return relative.rpartition("/")[2]


def _stem(name: str) -> str:
    """``PurePosixPath(name).stem`` without building a path: this runs for every plain file."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _node_config(relative: str, text: str, documents: Sequence[LocatedDocument]) -> bool:
    lowered = relative.lower()
    if any(hint in lowered for hint in _NODE_PATH_HINTS) or text.startswith("#cloud-config"):
        return True
    for doc in documents:
        if isinstance(doc.data, Mapping) and len(_RKE2_KEYS.intersection(doc.data)) >= 2:
            return True
        if isinstance(doc.data, Mapping) and str(doc.data.get("apiVersion", "")).startswith(
            "kubeadm"
        ):
            return True
    return False
