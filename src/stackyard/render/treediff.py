"""Compare two rendered trees object by object, for pull-request review.

A rendered tree is the GitOps repository ``render`` writes (read from disk), or the
tree a spec renders in memory, so a reviewer can compare two renders, two specs, or the
tree on disk against the render of a proposed spec. Each YAML file whose documents are
all Kubernetes objects is compared per object, identified by file, API group, kind,
namespace and name; every other file (values, README, node bootstrap) is compared as
text. The render marker, its journal and its lock describe a render, not what Argo CD
applies, so they are never compared; neither is ``.git``, nor the header comment naming the
spec file a tree was rendered from (``proposed.yaml`` against ``platform.yaml`` would
otherwise change every values file).

An object change is disruptive when applying it deletes data or everything below it, or
cannot be applied in place:

- removing a Namespace, CustomResourceDefinition (every custom resource of it goes),
  PersistentVolumeClaim or PersistentVolume (the data), StatefulSet (its pods; its
  claims stay orphaned), an Argo CD Application or ApplicationSet (Argo CD prunes what
  it deployed), or an Argo CD cluster Secret (its Applications are removed);
- changing a field Kubernetes keeps immutable: a workload's ``spec.selector``, a
  StatefulSet's ``volumeClaimTemplates`` or ``serviceName``, a Service's ``clusterIP``,
  a claim's ``storageClassName`` or ``accessModes``; the API server refuses the update,
  so the object must be deleted and recreated.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from stackyard.errors import InputError, Location, Problem, YamlError
from stackyard.fsio.read import read_tree_file
from stackyard.plan import Plan
from stackyard.progress import Progress, no_progress
from stackyard.render.build import HEADER, RENDERING, render_plan
from stackyard.render.marker import MARKER, RESERVED
from stackyard.render.yamlout import dump_yaml
from stackyard.yamlio import load_yaml_documents

Status = Literal["added", "removed", "changed"]
MAX_FILE_BYTES = 4 * 1024 * 1024
COMPARING = "comparing objects"

_DELETES_WHAT_IT_HOLDS = {
    ("", "Namespace"): "every object in the namespace is deleted",
    ("apiextensions.k8s.io", "CustomResourceDefinition"): "every custom resource of it goes",
    ("", "PersistentVolumeClaim"): "the volume's data is deleted with the claim",
    ("", "PersistentVolume"): "the volume's data may be deleted",
    ("apps", "StatefulSet"): "its pods go and its claims are left behind",
    ("argoproj.io", "Application"): "Argo CD prunes everything the Application deployed",
    ("argoproj.io", "ApplicationSet"): "Argo CD deletes the Applications it generated",
}
# Fields the API server refuses to update (https://kubernetes.io/docs/concepts/workloads/
# controllers/deployment/#label-selector-updates, .../statefulset/#limitations,
# .../services-networking/service/#choosing-your-own-ip-address).
_IMMUTABLE: Mapping[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("apps", "Deployment"): (("spec", "selector"),),
    ("apps", "DaemonSet"): (("spec", "selector"),),
    ("apps", "StatefulSet"): (
        ("spec", "selector"),
        ("spec", "volumeClaimTemplates"),
        ("spec", "serviceName"),
    ),
    ("", "Service"): (("spec", "clusterIP"),),
    ("", "PersistentVolumeClaim"): (("spec", "storageClassName"), ("spec", "accessModes")),
    ("batch", "Job"): (("spec", "template"), ("spec", "selector")),
}
_CLUSTER_SECRET = "argocd.argoproj.io/secret-type"
_HEADER_LINE = re.compile(
    "# " + ".+".join(re.escape(part) for part in HEADER.split("{spec}")) + r"\n"
)


@dataclass(frozen=True)
class ObjectChange:
    """A Kubernetes object added, removed or changed, with a unified diff if changed."""

    status: Status
    path: str
    group: str
    kind: str
    namespace: str
    name: str
    disruptive: bool = False
    reason: str = ""
    diff: str = ""

    @property
    def identity(self) -> str:
        """``group/kind namespace/name`` as kubectl writes objects."""
        kind = f"{self.group}/{self.kind}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"


@dataclass(frozen=True)
class FileChange:
    """A file that is not a list of Kubernetes objects, added, removed or changed."""

    status: Status
    path: str
    diff: str = ""


@dataclass(frozen=True)
class TreeDiff:
    """Everything that differs between two rendered trees."""

    objects: tuple[ObjectChange, ...]
    files: tuple[FileChange, ...]
    skipped: tuple[str, ...] = ()

    @property
    def disruptive(self) -> tuple[ObjectChange, ...]:
        """Object changes that delete data or cannot be applied in place."""
        return tuple(c for c in self.objects if c.disruptive)

    def fails(self, *, fail_on_disruptive: bool) -> bool:
        """Whether a CI gate stops here: asked to, and something disrupts."""
        return fail_on_disruptive and bool(self.disruptive)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``diff --manifests --output json``, after the ``schema`` app adds."""
        statuses = [c.status for c in self.objects] + [c.status for c in self.files]
        counts = {status: statuses.count(status) for status in ("added", "removed", "changed")}
        return {
            "objects": [asdict(c) for c in self.objects],
            "files": [asdict(c) for c in self.files],
            "skipped": list(self.skipped),
            "summary": {**counts, "disruptive": len(self.disruptive)},
        }


@dataclass
class _Side:
    objects: dict[tuple[str, str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def read_tree(folder: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """The text files of a tree on disk by relative path, and what was skipped and why.

    Raises:
        InputError: ``folder`` is not a readable directory.
    """
    if not folder.is_dir():
        raise _input_error(str(folder), "not a directory")
    files: dict[str, str] = {}
    skipped: list[str] = []
    for top, folders, names in os.walk(folder, onerror=_refuse):
        folders[:] = sorted(f for f in folders if f != ".git")
        for name in sorted(names):
            path = Path(top) / name
            relative = path.relative_to(folder).as_posix()
            if relative in RESERVED:
                continue
            data = read_tree_file(path, max_bytes=MAX_FILE_BYTES)
            if isinstance(data, str):
                skipped.append(f"{relative}: {data}")
                continue
            try:
                files[relative] = data.decode("utf-8")
            except UnicodeDecodeError:
                skipped.append(f"{relative}: not UTF-8 text; skipped")
    return files, tuple(skipped)


def _refuse(error: OSError) -> None:
    raise _input_error(str(error.filename), error.strerror or str(error)) from error


def _input_error(where: str, message: str, hint: str = "") -> InputError:
    return InputError([Problem(Location(where), "", message, hint)])


Planner = Callable[[Path], Plan]
"""How a spec file becomes the plan to render: the caller's policy (the application
refuses a plan with error findings, as ``render`` does)."""


def rendered_tree(
    source: Path, plan_spec: Planner, progress: Progress = no_progress
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The tree to compare: a rendered folder as it is on disk, or what a spec renders.

    ``plan_spec`` plans a spec file (and refuses one it would not render);
    ``progress`` hears the render of a spec ("rendering", as :func:`render_plan` reports).

    Returns:
        Text by relative path, and the files of a folder that were skipped, with why.

    Raises:
        InputError: the folder cannot be read.
        StackyardError: whatever ``plan_spec`` raises for a spec it refuses.
    """
    if source.is_dir():
        return read_tree(source)
    return dict(render_plan(plan_spec(source), progress)), ()


def is_rendered_tree(path: Path) -> bool:
    """Whether ``path`` is a folder ``render`` wrote: it holds the render marker."""
    return path.is_dir() and (path / MARKER).is_file()


def compare_rendered(
    old: Path, new: Path, plan_spec: Planner, progress: Progress = no_progress
) -> TreeDiff:
    """Compare two rendered trees, each a folder on disk or the render of a spec file.

    ``plan_spec`` plans each side that is a spec (:func:`rendered_tree`).

    ``progress`` hears "rendering the old spec" and "rendering the new spec" for each side
    that is a spec (each renders its whole platform), then "comparing objects".
    """
    old_files, old_skipped = rendered_tree(
        old, plan_spec, _renamed(progress, f"{RENDERING} the old spec")
    )
    new_files, new_skipped = rendered_tree(
        new, plan_spec, _renamed(progress, f"{RENDERING} the new spec")
    )
    skipped = tuple(f"{old}: {s}" for s in old_skipped) + tuple(f"{new}: {s}" for s in new_skipped)
    return compare_trees(old_files, new_files, skipped, progress)


def _renamed(progress: Progress, label: str) -> Progress:
    """``progress``, hearing every step reported to it as ``label``."""

    def receiver(step: str, done: int, total: int | None) -> None:
        progress(label, done, total)

    return receiver


def compare_trees(
    old: Mapping[str, str],
    new: Mapping[str, str],
    skipped: tuple[str, ...] = (),
    progress: Progress = no_progress,
) -> TreeDiff:
    """Compare two trees given as text by relative path.

    ``progress`` hears "comparing objects", one unit per object of either tree.
    """
    a, b = _split(old), _split(new)
    objects: list[ObjectChange] = []
    identities = sorted(a.objects.keys() | b.objects.keys())
    for done, identity in enumerate(identities):
        progress(COMPARING, done, len(identities))
        was, now = a.objects.get(identity), b.objects.get(identity)
        if was == now:
            continue
        path, group, kind, namespace, name = identity
        if now is None:
            disruptive, reason = _removal(group, kind, was or {})
            objects.append(
                ObjectChange("removed", path, group, kind, namespace, name, disruptive, reason)
            )
        elif was is None:
            objects.append(ObjectChange("added", path, group, kind, namespace, name))
        else:
            change = ObjectChange("changed", path, group, kind, namespace, name)
            immutable = _immutable_changed(group, kind, was, now)
            reason = f"{immutable} cannot be changed in place; recreated" if immutable else ""
            label = f"{path}: {change.identity}"
            objects.append(
                replace(
                    change,
                    disruptive=bool(immutable),
                    reason=reason,
                    diff=_unified(dump_yaml(was), dump_yaml(now), label),
                )
            )
    files: list[FileChange] = []
    for path in sorted(a.files.keys() | b.files.keys()):
        was_text, now_text = _content(a.files.get(path)), _content(b.files.get(path))
        if was_text == now_text:
            continue
        if now_text is None:
            files.append(FileChange("removed", path))
        elif was_text is None:
            files.append(FileChange("added", path))
        else:
            files.append(FileChange("changed", path, _unified(was_text, now_text, path)))
    progress(COMPARING, len(identities), len(identities))
    return TreeDiff(tuple(objects), tuple(files), skipped)


def _content(text: str | None) -> str | None:
    """``text`` without render's header comment, which names the spec file, not content."""
    if text is None:
        return None
    header = _HEADER_LINE.match(text)
    return text[header.end() :] if header else text


def _split(tree: Mapping[str, str]) -> _Side:
    side = _Side()
    for path, text in tree.items():
        documents = _objects(path, text) if path.endswith((".yaml", ".yml")) else None
        if documents is None:
            side.files[path] = text
            continue
        for document in documents:
            identity = _identity(path, document)
            count = 2
            while identity in side.objects:  # the same object twice in a file
                identity = (*identity[:4], f"{identity[4]}#{count}")
                count += 1
            side.objects[identity] = document
    return side


def _objects(path: str, text: str) -> list[dict[str, Any]] | None:
    """The file's documents if every one is a Kubernetes object, else None (plain text)."""
    try:
        documents = [d.data for d in load_yaml_documents(text, path) if d.data is not None]
    except YamlError:
        return None
    if documents and all(_is_object(d) for d in documents):
        return documents
    return None


def _is_object(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("apiVersion"), str)
        and isinstance(document.get("kind"), str)
    )


def _identity(path: str, document: dict[str, Any]) -> tuple[str, str, str, str, str]:
    api_version: str = document["apiVersion"]
    group = api_version.rpartition("/")[0]
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return (
        path,
        group,
        document["kind"],
        str(metadata.get("namespace") or ""),
        str(metadata.get("name") or ""),
    )


def _removal(group: str, kind: str, document: dict[str, Any]) -> tuple[bool, str]:
    reason = _DELETES_WHAT_IT_HOLDS.get((group, kind))
    if reason:
        return True, reason
    labels = _get(document, ("metadata", "labels"))
    if kind == "Secret" and isinstance(labels, dict) and labels.get(_CLUSTER_SECRET) == "cluster":
        return True, "Argo CD forgets the cluster and removes the Applications generated for it"
    return False, ""


def _immutable_changed(group: str, kind: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    for path in _IMMUTABLE.get((group, kind), ()):
        if _get(old, path) != _get(new, path):
            return ".".join(path)
    return ""


def _get(document: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def _unified(old: str, new: str, label: str) -> str:
    lines: Iterator[str] = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{label}",
        tofile=f"b/{label}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
