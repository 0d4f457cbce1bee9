"""Files a tool turns into objects, which are therefore never applied as they are written.

Argo CD decides how to read a source folder from what it holds: a ``Chart.yaml`` makes it
a Helm chart, a ``kustomization.yaml`` a Kustomize overlay, anything else plain manifests
(https://argo-cd.readthedocs.io/en/stable/user-guide/tool_detection/). Two kinds of file
in a tree are inputs of such a tool, not objects:

- a Helm chart's ``templates/``: Go templates that Helm renders with the release's
  values (https://helm.sh/docs/topics/charts/#templates-and-values); the text on disk is
  usually not even YAML. The chart's ``crds/`` are applied as written
  (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/) and are
  checked like any object;
- a kustomization file and what it names as patches, replacements, generators,
  transformers or validators: kustomize merges or runs them
  (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/), so a
  strategic-merge patch is a partial object on purpose. The files it names under
  ``resources`` are whole objects and are checked as written.

Validate lists these as not checked, with the reason, rather than reporting a template as
broken YAML or a patch as an incomplete object.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from stackyard.yamlio import LocatedDocument

CHART_FILE = "Chart.yaml"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TEMPLATE_REASON = "a Helm chart template, rendered by Helm with the release's values"
KUSTOMIZATION_REASON = "a kustomization file, read by kustomize and never applied"
# What each field of a kustomization names, in words: all are read by kustomize, none
# is applied as written.
KUSTOMIZE_INPUTS = {
    "patchesStrategicMerge": "a kustomize patch, merged into the object it targets",
    "patches": "a kustomize patch, merged into the objects it targets",
    "patchesJson6902": "a kustomize JSON patch, applied to the object it targets",
    "replacements": "a kustomize replacement, copying fields between objects",
    "generators": "a kustomize generator, run to produce objects",
    "transformers": "a kustomize transformer, run over the objects",
    "validators": "a kustomize validator, run over the objects",
    "configurations": "a kustomize transformer configuration",
}


def chart_roots(paths: Iterable[str]) -> set[str]:
    """Folders of the tree that are Helm charts ('' for the tree itself)."""
    return {posixpath.dirname(p) for p in paths if posixpath.basename(p) == CHART_FILE}


def template_chart(path: str, charts: set[str]) -> str | None:
    """The chart whose ``templates/`` hold ``path``, or ``None``."""
    folder = posixpath.dirname(path)
    while True:
        parent, name = posixpath.dirname(folder), posixpath.basename(folder)
        if name == "templates" and parent in charts:
            return parent
        if not folder:
            return None
        folder = parent


def in_chart(path: str, charts: set[str]) -> bool:
    """Whether ``path`` lies inside a chart folder (its values, its ``crds/``, ...)."""
    folder = posixpath.dirname(path)
    while True:
        if folder in charts:
            return True
        if not folder:
            return False
        folder = posixpath.dirname(folder)


def is_kustomization(path: str) -> bool:
    """Whether ``path`` is a kustomization file by its name, as kustomize finds one."""
    return posixpath.basename(path) in KUSTOMIZATION_FILES


def kustomize_inputs(
    files: Mapping[str, list[LocatedDocument]],
) -> dict[str, tuple[str, str]]:
    """Files the tree's kustomizations read but never apply: path → (reason, by whom).

    Paths are resolved against the kustomization's folder; names that leave the tree, name
    a folder or a remote target, or are inline patches are not files of the tree and are
    left out.
    """
    inputs: dict[str, tuple[str, str]] = {}
    for path, documents in files.items():
        if not is_kustomization(path):
            continue
        folder = posixpath.dirname(path)
        for document in documents:
            if not isinstance(document.data, Mapping):
                continue
            for field, reason in KUSTOMIZE_INPUTS.items():
                for name in _named_files(document.data.get(field)):
                    target = posixpath.normpath(posixpath.join(folder, name))
                    if target in files and not target.startswith("../"):
                        inputs.setdefault(target, (reason, path))
    return inputs


def _named_files(entries: Any) -> Iterator[str]:
    """File names in a kustomization list: strings, or ``path`` of a mapping."""
    if not isinstance(entries, list):
        return
    for entry in entries:
        name = entry.get("path") if isinstance(entry, Mapping) else entry
        # An inline patch is YAML text, never one line without a colon-space.
        if isinstance(name, str) and name and "\n" not in name:
            yield name
