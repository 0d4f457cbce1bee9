"""HelmRelease settings a Flux Kustomization sets for every release it applies.

kustomize-controller runs ``kustomize build`` on a Kustomization's ``spec.path`` and
applies ``spec.patches`` to what it builds, each to the objects its ``target``
selects (group, kind, anchored-regex name and namespace, ``labelSelector``), or,
without a target, to the object the patch itself names
(https://fluxcd.io/flux/components/kustomize/kustomizations/#patches,
https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/). So a
homelab switches drift detection on for every HelmRelease in one place:

- directly: a Kustomization whose path holds the HelmReleases patches them;
- one level down, the common pattern: a root Kustomization patches its child
  Kustomizations (the ``ks.yaml`` files under its path) with a ``spec.patches`` of
  their own that targets ``HelmRelease``, so every HelmRelease under each child's path
  gets it.

A HelmRelease is taken as built by a Kustomization when its file lies under the
Kustomization's ``spec.path`` (the folders ``kustomize build`` reads). Of a patch, only
what the assessment reads is taken: ``spec.driftDetection.mode``, cited at the
patch's own line. JSON 6902 patches (a list of operations) are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from stackyard.assess.inputs.located import (
    Hit,
    Located,
    as_list,
    as_mapping,
    block_string_documents,
)
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.inputs.releases import Release
from stackyard.assess.model import Notice
from stackyard.errors import HostileYamlError, YamlError
from stackyard.yamlio import LocatedDocument

HELM_GROUP = "helm.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"


@dataclass(frozen=True)
class Target:
    """What a patch selects: every field given must match (kustomize's rule)."""

    group: str = ""
    kind: str = ""
    name: str = ""  # an anchored regular expression
    namespace: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # ``labelSelector`` equality terms
    unreadable: bool = False  # a selector with set terms (``in``, ``!``) is not read

    def selects(
        self, group: str, kind: str, name: str, namespace: str, labels: Mapping[str, object]
    ) -> bool:
        """Whether an object of this group, kind, name, namespace and labels is selected."""
        if self.unreadable:
            return False
        if (self.group and self.group != group) or (self.kind and self.kind != kind):
            return False
        if self.name and not _anchored(self.name, name):
            return False
        if self.namespace and not _anchored(self.namespace, namespace):
            return False
        return all(str(labels.get(k, "")) == v and k in labels for k, v in self.labels)


@dataclass(frozen=True)
class ReleasePatch:
    """A patch for HelmReleases: which it selects, and the drift detection mode it sets."""

    target: Target
    drift: Hit  # ``spec.driftDetection.mode`` as the patch writes it


@dataclass(frozen=True)
class FluxTree:
    """A Flux Kustomization: the folder it builds, and the HelmRelease patches it applies."""

    name: str
    namespace: str
    labels: Mapping[str, object]
    file: str
    path: str  # ``spec.path``, relative to the repository root, without ``./``
    releases: tuple[ReleasePatch, ...]  # patches for the HelmReleases it builds
    children: tuple[ReleasePatch, ...]  # ``spec.patches`` it gives child Kustomizations
    child_target: tuple[Target, ...]  # the targets those patches reach the children by


def flux_tree(obj: KubeObject, text: str, notices: list[Notice]) -> FluxTree:
    """The HelmRelease patches of a Flux Kustomization, direct and for its children."""
    direct: list[ReleasePatch] = []
    nested: list[ReleasePatch] = []
    targets: list[Target] = []
    for i, entry in enumerate(as_list(obj.get("spec", "patches"))):
        target = _target(as_mapping(as_mapping(entry).get("target")))
        for doc in _patch_documents(obj.child("spec", "patches", i), text, obj, notices):
            patch = Located(doc)
            kind = str(patch.get("kind") or "")
            group = str(patch.get("apiVersion") or "").rpartition("/")[0]
            own = (
                target
                if target != Target()
                else Target(group, kind, str(patch.get("metadata", "name") or ""))
            )
            if kind == "HelmRelease" or own.kind == "HelmRelease":
                direct += _release_patches(patch, own)
            elif kind == "Kustomization" or own.kind == "Kustomization":
                for j, inner in enumerate(as_list(patch.get("spec", "patches"))):
                    inner_target = _target(as_mapping(as_mapping(inner).get("target")))
                    for inner_doc in _patch_documents(
                        patch.child("spec", "patches", j), text, obj, notices
                    ):
                        inner_patch = Located(inner_doc)
                        inner_kind = str(inner_patch.get("kind") or "")
                        selects = (
                            inner_target
                            if inner_target != Target()
                            else Target(
                                "", inner_kind, str(inner_patch.get("metadata", "name") or "")
                            )
                        )
                        if inner_kind == "HelmRelease" or selects.kind == "HelmRelease":
                            found = _release_patches(inner_patch, selects)
                            nested += found
                            targets += [own] * len(found)
    return FluxTree(
        obj.name,
        obj.namespace,
        obj.labels(),
        obj.file,
        _folder(str(obj.get("spec", "path") or "")),
        tuple(direct),
        tuple(nested),
        tuple(targets),
    )


def apply_tree_patches(trees: list[FluxTree], releases: list[Release]) -> None:
    """Set each HelmRelease's drift detection from the patches of the trees that build it.

    A patch is applied over the HelmRelease as written, so its mode replaces the
    release's own; patches apply in order, a child's after its parent's gift.
    """
    effective: list[tuple[FluxTree, list[ReleasePatch]]] = []
    for tree in trees:
        patches = list(tree.releases)
        for parent in trees:
            if parent is tree or not _under(tree.file, parent.path):
                continue
            for patch, target in zip(parent.children, parent.child_target, strict=True):
                if target.selects(
                    KUSTOMIZE_GROUP, "Kustomization", tree.name, tree.namespace, tree.labels
                ):
                    patches.append(patch)
        if patches:
            effective.append((tree, patches))
    for release in releases:
        if release.kind != "HelmRelease":
            continue
        for tree, patches in effective:
            if not _under(release.file, tree.path):
                continue
            for patch in patches:
                if patch.target.selects(
                    HELM_GROUP,
                    "HelmRelease",
                    release.name,
                    release.object_namespace,
                    release.labels,
                ):
                    release.self_heal = patch.drift if patch.drift.value == "enabled" else None


def _release_patches(patch: Located, target: Target) -> list[ReleasePatch]:
    drift = patch.hit("spec", "driftDetection", "mode")
    return [ReleasePatch(target, drift)] if drift is not None else []


def _patch_documents(
    entry: Located, text: str, obj: KubeObject, notices: list[Notice]
) -> Iterator[LocatedDocument]:
    """The strategic-merge documents of one ``patches`` entry (a JSON 6902 list is skipped)."""
    try:
        documents = block_string_documents(entry, ("patch",), text)
    except HostileYamlError:
        raise
    except YamlError:
        notices.append(Notice(obj.file, f"Kustomization {obj.name}: a patch is not YAML; not read"))
        return
    for doc in documents:
        if isinstance(doc.data, Mapping):
            yield doc


def _target(data: Mapping[str, object]) -> Target:
    if not data:
        return Target()
    labels: list[tuple[str, str]] = []
    unreadable = False
    for term in str(data.get("labelSelector") or "").split(","):
        term = term.strip()
        if not term:
            continue
        key, sep, value = term.partition("=")
        if not sep or key.endswith("!") or " " in key.strip():
            unreadable = True
            continue
        labels.append((key.strip(), value.lstrip("=").strip()))
    return Target(
        str(data.get("group") or ""),
        str(data.get("kind") or ""),
        str(data.get("name") or ""),
        str(data.get("namespace") or ""),
        tuple(labels),
        unreadable,
    )


def _anchored(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _folder(path: str) -> str:
    parts = [p for p in path.strip().split("/") if p not in ("", ".")]
    return "/".join(parts)


def _under(file: str, folder: str) -> bool:
    """Whether ``file`` lies in ``folder`` or below it (``""`` is the repository root)."""
    parent = str(PurePosixPath(file).parent)
    return not folder or parent == folder or parent.startswith(folder + "/")
