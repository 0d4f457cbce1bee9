"""Read a GitOps tree from disk: every manifest file, parsed safely with positions.

Manifest files are the ones Argo CD applies from a directory source: ``.yaml``, ``.yml``
and ``.json`` (https://argo-cd.readthedocs.io/en/stable/user-guide/directory/). A tree is
usually one ``stackyard render`` wrote (its marker file says which Kubernetes version and
repository path it targets), but any directory in the same layout can be read.
Unreadable or hostile YAML or JSON becomes a finding, never a crash; so does a file with
a manifest name that is not a regular file (a FIFO, a device, a socket), which is never
opened. A Helm chart's templates are not read as YAML: Helm renders them
(``toolinputs``).

A ``List`` (``v1`` ``List``, or a typed list such as ``ConfigMapList``) is not an object
the API server stores: kubectl and Argo CD apply each of its items, so each item is an
object of its own, located where it is written.

A cloud-init user-data's ``write_files`` entries are files of their own on the node (the
kubeadm configuration, static Pods): their documents are read too, located in the
user-data file (``userdata``).

An OpenAPI document (``openapi: 3.1.0`` with ``info``) is not an object wherever it is:
``backstage`` checks it with openapi-spec-validator, as the Backstage API entities that
point at it expect.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from stackyard.errors import Location, YamlError
from stackyard.findings import Finding
from stackyard.progress import Progress, no_progress
from stackyard.render.marker import read_marker
from stackyard.render.metadata import RenderMetadata
from stackyard.validate.jsonfiles import read_json_file
from stackyard.validate.toolinputs import (
    KUSTOMIZATION_REASON,
    chart_roots,
    in_chart,
    is_kustomization,
    kustomize_inputs,
    template_chart,
)
from stackyard.validate.userdata import is_user_data, written_files
from stackyard.yamlio import LocatedDocument, read_text_file, read_yaml_file

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Folders where Stackyard writes only Kubernetes objects: every document there must be one.
# Elsewhere (a plain folder, ``extra/``, ``overrides/``) a document that names an
# ``apiVersion`` and a ``kind`` is one too, so nothing a user adds escapes the checks.
OBJECT_FOLDERS = ("apps", "bootstrap", "manifests")
READING = "reading files"


@dataclass
class Repository:
    """The manifest files of a tree, by path relative to its root.

    ``templates`` are the Helm chart templates (path → chart folder), which are not
    parsed; ``tool_inputs`` the parsed files a tool reads rather than applies (path →
    reason), kustomization files and what they name as patches; ``written`` the documents
    of the files a user-data writes (path of the user-data → documents).
    """

    root: Path
    metadata: RenderMetadata
    """What the marker says the tree was rendered for; every field '' without a marker."""
    files: dict[str, list[LocatedDocument]] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)
    tool_inputs: dict[str, str] = field(default_factory=dict)
    charts: set[str] = field(default_factory=set)
    written: dict[str, list[LocatedDocument]] = field(default_factory=dict)
    _by_folder: dict[str, list[str]] | None = field(default=None, repr=False)

    def exists(self, relative: str) -> bool:
        """Whether ``relative`` is a file or folder of the tree."""
        return (self.root / relative).exists()

    def files_under(self, folder: str) -> list[str]:
        """Paths of the YAML files below ``folder``, sorted (indexed once)."""
        if self._by_folder is None:
            index: dict[str, list[str]] = {}
            for path in sorted(self.files):
                parts = path.split("/")
                for depth in range(1, len(parts)):
                    index.setdefault("/".join(parts[:depth]), []).append(path)
            self._by_folder = index
        return self._by_folder.get(folder.strip("/"), [])

    def objects(self) -> Iterator[tuple[str, LocatedDocument]]:
        """Every document that is, or in an object folder should be, a Kubernetes object.

        Anywhere in the tree a mapping with both ``apiVersion`` and ``kind`` counts; in
        Stackyard's object folders every non-empty document does, so one that is not an
        object is reported rather than skipped. The items of a ``List`` are yielded in
        its place; files a tool reads rather than applies (``tool_inputs``) are not. The
        files a user-data writes follow its own documents, under its path.
        """
        for path, documents in sorted(self.files.items()):
            if path in self.tool_inputs:
                continue
            top = path.split("/", 1)[0]
            is_static_manifest = "/server/manifests/" in path and top == "nodes"
            # A chart's own files (values, Chart.yaml) are Helm's, wherever the chart is.
            in_object_folder = (top in OBJECT_FOLDERS or is_static_manifest) and not in_chart(
                path, self.charts
            )
            for document in documents:
                if document.data is None or is_openapi_document(document.data):
                    continue  # an OpenAPI document is checked as one (``backstage``)
                if in_object_folder or names_a_kind(document.data):
                    yield from ((path, item) for item in list_items(document))
            for document in self.written.get(path, []):
                if names_a_kind(document.data):
                    yield from ((path, item) for item in list_items(document))

    def location(
        self, path: str, document: LocatedDocument | None = None, at: tuple[str | int, ...] = ()
    ) -> Location:
        """Where ``at`` is in ``path`` (the file's first line when unknown)."""
        if document is None:
            return Location(str(self.root / path), 1, 1)
        return document.locate(at)

    @property
    def kubernetes_version(self) -> str | None:
        """The Kubernetes version the tree was rendered for, if known."""
        return self.metadata.kubernetes_version or None

    @property
    def repo_prefix(self) -> str:
        """``gitops.path`` the tree was rendered for ('' for the repository root)."""
        return self.metadata.repo_prefix


def is_openapi_document(data: object) -> bool:
    """Whether a document is an OpenAPI (or Swagger) description, not an object.

    A mapping with an ``openapi`` or ``swagger`` version and ``info`` or ``paths``; such a
    document is checked with openapi-spec-validator (``backstage``), even in an object folder.
    """
    if not isinstance(data, Mapping):
        return False
    versioned = isinstance(data.get("openapi"), str) or isinstance(data.get("swagger"), str)
    return versioned and ("info" in data or "paths" in data)


def names_a_kind(data: object) -> bool:
    """Whether a YAML document declares itself an object: ``apiVersion`` and ``kind``."""
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def list_items(document: LocatedDocument) -> Iterator[LocatedDocument]:
    """The objects a document stands for: itself, or the items of a ``List``, flattened.

    A kind ending in ``List`` whose ``items`` is a list is expanded as kubectl and Argo CD
    do. Items of a typed list (``ConfigMapList``) may omit ``apiVersion`` and ``kind``;
    like Kubernetes' own list decoding, they take the list's ``apiVersion`` and the kind
    without ``List``. Each item keeps its own positions, so findings point into it.
    """
    data = document.data
    items = data.get("items") if isinstance(data, dict) else None
    kind = str(data.get("kind", "")) if isinstance(data, dict) else ""
    if not names_a_kind(data) or not kind.endswith("List") or not isinstance(items, list):
        yield document
        return
    children = document.positions[5]
    entry = children.get("items") if isinstance(children, dict) else None
    entries = entry[5] if entry is not None and isinstance(entry[5], list) else []
    for index, item in enumerate(items):
        if isinstance(item, dict) and kind != "List":
            item = {"apiVersion": data["apiVersion"], "kind": kind[: -len("List")]} | item
        where = entries[index] if index < len(entries) else document.positions
        yield replace(document, data=item, positions=where, start_line=where[2] or 1)


def read_repository(root: Path, progress: Progress = no_progress) -> Repository:
    """Load every manifest file under ``root`` (following no symlinks out of it).

    ``progress`` hears "reading files" once per manifest file.
    """
    marker = read_marker(root)  # a damaged marker is an InputError naming it (exit 2)
    unknown = RenderMetadata(rendered_by="")
    repository = Repository(root=root, metadata=marker.metadata if marker else unknown)
    # Anything with a manifest name that is not a folder or a link is read, and the
    # readers refuse what is not a regular file (a FIFO, or a device named zero.yaml)
    # without opening it: a finding, never a hang.
    paths = {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if (path.suffix in MANIFEST_SUFFIXES or is_kustomization(path.name))
        and not path.is_symlink()
        and not path.is_dir()
    }
    repository.charts = chart_roots(paths)
    for done, (relative, path) in enumerate(paths.items()):
        progress(READING, done, len(paths))
        chart = template_chart(relative, repository.charts)
        if chart is not None:
            repository.templates[relative] = chart
            continue
        try:
            if path.suffix == ".json":
                repository.files[relative] = read_json_file(path)
            else:
                repository.files[relative] = read_yaml_file(path)
        except YamlError as e:
            for problem in e.problems:
                repository.problems.append(Finding(problem.location, "yaml", problem.message))
    progress(READING, len(paths), len(paths))
    _read_written_files(repository, paths)
    inputs = kustomize_inputs(repository.files)
    repository.tool_inputs = {
        path: f"{reason}, named by {by}" for path, (reason, by) in inputs.items()
    }
    for name in repository.files:
        if is_kustomization(name):
            repository.tool_inputs[name] = KUSTOMIZATION_REASON
    return repository


def _read_written_files(repository: Repository, paths: dict[str, Path]) -> None:
    """Read the files every user-data of the tree writes (``userdata``)."""
    for relative, documents in repository.files.items():
        user_data = [d for d in documents if is_user_data(d.data)]
        if not user_data:
            continue
        try:
            text = read_text_file(paths[relative])
        except YamlError:
            continue  # it was read a moment ago; a file changing meanwhile is not ours
        for document in user_data:
            found = written_files(document, text)
            repository.written.setdefault(relative, []).extend(found.documents)
            repository.problems.extend(found.problems)
