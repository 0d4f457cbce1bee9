"""Kustomize overlays that patch a release's values: one definition, one deployment per overlay.

A base folder declares a HelmRelease (or an Argo CD Application); overlays
(``overlays/staging``, ``overlays/production``) list the base in ``resources`` and patch
it with a file named in ``patches`` (``path:``) or ``patchesStrategicMerge``. Read as
plain YAML, each patch file looks like one more release of the same name: three
"applications" where there is one, the patch's own with no chart. Kustomize merges the
patch into the base object instead
(https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/), so
here:

- a patch file is not a release: its values (``spec.values`` of a HelmRelease, the
  ``helm`` values of an Application that names its chart) become one values layer of
  the base release it targets (same kind, the ``target`` name or the patch's own name,
  declared under a folder the overlay lists in ``resources``), above the base's own
  values, cited at the patch file's lines;
- the base release is counted once, as one application; each overlay is one deployment
  of it, with its own values stack (base layers + that overlay's layer). A practice
  counts for the release only when every deployment has it (requests set in the base
  count for both; limits set in one overlay only do not);
- a patch whose base is not in the repository (a remote base) is dropped with a notice.

Inline patches, JSON 6902 patches and patches of other kinds are not read: a kustomize
build would be needed (``--charts`` hydration does not run kustomize).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from stackyard.assess.inputs.located import Located, as_list, as_mapping
from stackyard.assess.inputs.releases import Release, ValuesLayer
from stackyard.assess.inputs.repopaths import in_repository
from stackyard.assess.inputs.summary import ValuesSummary, summarize
from stackyard.assess.model import Notice


@dataclass(frozen=True)
class Patch:
    """A patch file named by an overlay, and the folders the overlay builds upon."""

    overlay: str  # the overlay's folder
    bases: tuple[str, ...]  # local folders listed in its resources
    target_name: str  # the target's name, "" when the patch's own name applies


class OverlayCatalog:
    """Patch files named by kustomizations, applied to their base releases after the walk."""

    def __init__(self) -> None:
        """No patches yet."""
        self._patches: dict[str, Patch] = {}

    def add_kustomization(self, doc: Located) -> None:
        """Remember the patch files ``doc`` (a kustomization.yaml) names."""
        folder = PurePosixPath(doc.file).parent
        bases = tuple(
            in_repository(folder, str(r))
            for r in as_list(doc.get("resources"))
            if isinstance(r, str) and "://" not in r and not r.endswith((".yaml", ".yml"))
        )
        entries: list[tuple[str, str]] = []
        for item in as_list(doc.get("patches")):
            if isinstance(item, Mapping) and isinstance(item.get("path"), str):
                entries.append((item["path"], str(as_mapping(item.get("target")).get("name", ""))))
        for item in as_list(doc.get("patchesStrategicMerge")):
            if isinstance(item, str) and "\n" not in item:
                entries.append((item, ""))
        for path, target in entries:
            self._patches[in_repository(folder, path)] = Patch(str(folder), bases, target)

    def apply(self, releases: list[Release], notices: list[Notice]) -> list[Release]:
        """``releases`` without the patch files, each patch a layer of its base release."""
        patches = [(r, self._patches[r.file]) for r in releases if r.file in self._patches]
        if not patches:
            return releases
        patch_ids = {id(r) for r, _ in patches}
        kept = [r for r in releases if id(r) not in patch_ids]
        for release, patch in patches:
            base = _base_of(release, patch, kept)
            if base is None:
                notices.append(
                    Notice(
                        release.file,
                        f"patch of {release.kind} {patch.target_name or release.name}: "
                        "its base is not in the repository; its values are not read",
                    )
                )
                continue
            layers = [
                ValuesLayer(layer, layer.chart, base.name, f"patch {patch.overlay}")
                for layer in release.inline
            ]
            base.overlays.append((patch.overlay, layers))
        return kept


def deployments_summary(release: Release) -> ValuesSummary:
    """What every deployment of ``release`` sets: requests/limits only if all of them do.

    ``release.summary`` is the base's (every base layer, before any is left out); each
    deployment is the base plus one overlay's layers.
    """
    base = release.summary
    overlays = [summarize(layers) for _, layers in release.overlays]
    if not overlays:
        return base
    merged = base
    for summary in overlays:
        merged = merged.merge(summary)
    requests = base.requests is not None or all(s.requests for s in overlays)
    limits = base.limits is not None or all(s.limits for s in overlays)
    return ValuesSummary(
        merged.requests if requests else None,
        merged.limits if limits else None,
        merged.images,
        merged.autoscaling,
        merged.budgets,
    )


def _base_of(patch_release: Release, patch: Patch, releases: list[Release]) -> Release | None:
    name = patch.target_name or patch_release.name
    for release in releases:
        if release.kind != patch_release.kind or release.name != name:
            continue
        if any(release.file.startswith(f"{base}/") for base in patch.bases):
            return release
    return None
