"""Read a GitOps tree from disk: every YAML file, parsed safely with positions.

A tree is usually one ``stackyard render`` wrote (its marker file says which
Kubernetes version and repository path it targets), but any directory in the same
layout can be read. Unreadable or hostile YAML becomes a finding, never a crash; so
does a file with a YAML name that is not a regular file (a FIFO, a device, a socket),
which is never opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackyard.errors import Location, YamlError
from stackyard.render.marker import read_marker
from stackyard.validate.findings import ValidationFinding
from stackyard.yamlio import LocatedDocument, read_yaml_file

YAML_SUFFIXES = (".yaml", ".yml")
# Folders where Stackyard writes only Kubernetes objects: every document there must be one.
# Elsewhere (a plain folder, ``extra/``, ``overrides/``) a document that names an
# ``apiVersion`` and a ``kind`` is one too, so nothing a user adds escapes the checks.
OBJECT_FOLDERS = ("apps", "bootstrap", "manifests")


@dataclass
class Repository:
    """The YAML files of a tree, by path relative to its root."""

    root: Path
    metadata: dict[str, Any]
    files: dict[str, list[LocatedDocument]] = field(default_factory=dict)
    problems: list[ValidationFinding] = field(default_factory=list)
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
        object is reported rather than skipped.
        """
        for path, documents in sorted(self.files.items()):
            top = path.split("/", 1)[0]
            is_static_manifest = "/server/manifests/" in path and top == "nodes"
            in_object_folder = top in OBJECT_FOLDERS or is_static_manifest
            for document in documents:
                if document.data is None:
                    continue
                if in_object_folder or names_a_kind(document.data):
                    yield path, document

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
        version = self.metadata.get("kubernetesVersion")
        return str(version) if version else None

    @property
    def repo_prefix(self) -> str:
        """``gitops.path`` the tree was rendered for ('' for the repository root)."""
        path = str(self.metadata.get("path") or ".").strip("/")
        return "" if path in (".", "") else path + "/"


def names_a_kind(data: object) -> bool:
    """Whether a YAML document declares itself an object: ``apiVersion`` and ``kind``."""
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def read_repository(root: Path) -> Repository:
    """Load every YAML file under ``root`` (following no symlinks out of it)."""
    marker = read_marker(root)  # a damaged marker is an InputError naming it (exit 2)
    metadata: dict[str, Any] = marker.metadata.as_json() if marker else {}
    repository = Repository(root=root, metadata=metadata)
    for path in sorted(root.rglob("*")):
        # Anything with a YAML name that is not a folder or a link is read, and
        # ``read_yaml_file`` refuses what is not a regular file (a FIFO, or a device
        # named zero.yaml) without opening it: a finding, never a hang.
        if path.suffix not in YAML_SUFFIXES or path.is_symlink() or path.is_dir():
            continue
        relative = path.relative_to(root).as_posix()
        try:
            repository.files[relative] = read_yaml_file(path)
        except YamlError as e:
            for problem in e.problems:
                repository.problems.append(
                    ValidationFinding(problem.location, "yaml", problem.message)
                )
    return repository
