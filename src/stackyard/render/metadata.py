"""What a tree was rendered for: the metadata render returns and the marker records.

Render returns it with the files (``RenderedTree.metadata``); the marker
(``stackyard.render.marker``) writes it under the JSON keys of :data:`METADATA_KEYS` and
reads it back, checking every field, for ``validate`` and the next render.
"""

from __future__ import annotations

from dataclasses import dataclass

from stackyard import __version__

METADATA_KEYS = {
    "renderedBy": "rendered_by",
    "platform": "platform",
    "edition": "edition",
    "kubernetesVersion": "kubernetes_version",
    "repoURL": "repo_url",
    "revision": "revision",
    "path": "path",
    "specDigest": "spec_digest",
    "airgapRegistry": "airgap_registry",
    "airgapGit": "airgap_git",
}
"""The marker's JSON key of each field."""


def normal_kubernetes_version(version: str) -> str:
    """``version`` as the marker records it: ``"v1.35"`` and ``"1.35"`` are both ``1.35``."""
    return version.strip().removeprefix("v")


@dataclass(frozen=True)
class RenderMetadata:
    """What a tree was rendered for; every field is a string, '' when unknown.

    Render returns it with the tree (``RenderedTree.metadata``) and writes it into the
    marker; ``validate`` reads it back through ``read_marker``, which checks every field:
    a string of at most ``MAX_FIELD_CHARS`` characters, and a version, an edition, a
    digest or a path inside the repository where the field is one.
    """

    platform: str = ""
    edition: str = ""
    kubernetes_version: str = ""
    repo_url: str = ""
    revision: str = ""
    path: str = ""
    spec_digest: str = ""
    airgap_registry: str = ""
    """The internal OCI registry of an air-gapped render (``airgap.registry``); '' if none."""
    airgap_git: str = ""
    """The internal Git server of an air-gapped render (``airgap.git``); '' if none."""
    rendered_by: str = f"stackyard {__version__}"

    @property
    def repo_prefix(self) -> str:
        """``path`` as a prefix of repository paths: '' for the root, else ``folder/``."""
        path = self.path.strip("/")
        return "" if path in (".", "") else path + "/"

    def as_dict(self) -> dict[str, str]:
        """The metadata under its JSON keys (empty values left out)."""
        return {
            key: getattr(self, name) for key, name in METADATA_KEYS.items() if getattr(self, name)
        }
