"""``images push`` and ``git push``: move what a bundle carries into the customer's servers.

The two halves of an air-gapped delivery's last step, each usable alone: the images and
charts (an OCI image layout) into the internal registry, the GitOps repository (a Git
bundle) into the internal Git server. ``bundle push`` composes exactly these two on the
parts of a bundle archive, so a user who unpacked a bundle by hand and one who pushes the
archive get the same pushes and the same results.

Credentials come only from the environment (``STACKYARD_REGISTRY_USERNAME`` and
``STACKYARD_REGISTRY_PASSWORD``; ``STACKYARD_GIT_USERNAME`` and ``STACKYARD_GIT_PASSWORD``),
never from arguments a process listing would show. A push that cannot complete raises (the
command line exits 2) — a refused login, an untrusted certificate, a corrupt blob named by
its digest, a registry that does not hold every manifest afterwards — so a result is only
ever returned for a push that is complete and verified.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.app.bundles import BundleResult, check_bundle
from stackyard.app.results import Describes
from stackyard.delivery.bundle import GITOPS_REF_PREFIX
from stackyard.delivery.gitpush import GitPushError, GitPushReport, git_bundle_of, push_git_bundle
from stackyard.delivery.registry import PushReport, push_layout
from stackyard.delivery.registry_client import RegistryPushError, credentials_from, parse_target
from stackyard.errors import StackyardError
from stackyard.progress import Progress, no_progress
from stackyard.versioning import schema_id


@dataclass(frozen=True)
class ImagesPushResult(Describes):
    """A complete, verified push of an OCI image layout."""

    layout: Path
    report: PushReport

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``images-push``)."""
        report = self.report
        return {
            "schema": schema_id("images-push"),
            "layout": str(self.layout),
            "registry": report.registry,
            "blobs": {
                "pushed": report.blobs_pushed,
                "skipped": report.blobs_skipped,
                "bytesPushed": report.bytes_pushed,
            },
            "manifests": {
                "pushed": report.manifests_pushed,
                "skipped": report.manifests_skipped,
            },
            "images": [
                {"repository": m.repository, "reference": m.reference, "digest": m.digest}
                for m in report.manifests
            ],
        }


@dataclass(frozen=True)
class GitPushResult(Describes):
    """A complete, verified push of a Git bundle."""

    bundle: Path
    report: GitPushReport

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``git-push``)."""
        return {
            "schema": schema_id("git-push"),
            "bundle": str(self.bundle),
            "url": self.report.url,
            "refs": [{"ref": ref, "commit": commit} for ref, commit in self.report.refs],
            "updated": list(self.report.updated),
        }


@dataclass(frozen=True)
class BundlePushResult(Describes):
    """A verified bundle whose images and charts, and GitOps repository, are all pushed."""

    verified: BundleResult
    images: ImagesPushResult
    git: GitPushResult

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``bundle-push``).

        Both pushes without their own ``schema`` and scratch paths: the unpacked layout is
        gone once the push returns.
        """
        images = self.images.as_dict()
        git = self.git.as_dict()
        return {
            "schema": schema_id("bundle-push"),
            "bundle": str(self.verified.path),
            "manifestDigest": self.verified.manifest_digest,
            "keyFingerprint": self.verified.key_fingerprint,
            "registry": {k: v for k, v in images.items() if k not in ("schema", "layout")},
            "git": {k: v for k, v in git.items() if k not in ("schema", "bundle")},
        }


def push_bundle(
    bundle: Path,
    *,
    key: Path,
    registry: str,
    git_url: str,
    ca_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
) -> BundlePushResult:
    """Verify ``bundle`` against ``key``, then push its images and charts and its GitOps repository.

    The bundle is unpacked only after its signature and every blob check out, into a scratch
    folder removed whatever happens; a bundle that does not verify pushes nothing.

    Raises:
        InputError: the bundle does not verify (nothing was pushed).
        RegistryPushError, GitPushError: a push could not complete (the message says why).
    """
    _check_ca_file(ca_file, RegistryPushError)
    with tempfile.TemporaryDirectory(prefix="stackyard-bundle-") as scratch:
        layout = Path(scratch) / "layout"
        verified = check_bundle(bundle, key=key, unpack=layout, progress=progress)
        images = push_images(
            layout,
            registry,
            ca_file=ca_file,
            environ=environ,
            progress=progress,
            leave_out=(GITOPS_REF_PREFIX,),
        )
        git = push_git(git_bundle_of(layout), git_url, ca_file=ca_file, environ=environ)
    return BundlePushResult(verified, images, git)


def push_images(
    layout: Path,
    registry: str,
    *,
    ca_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
    leave_out: tuple[str, ...] = (),
) -> ImagesPushResult:
    """Push every image of the OCI layout ``layout`` to ``registry`` (``HOST[:PORT][/PREFIX]``).

    ``leave_out`` names ref-name prefixes whose artifacts are not pushed.

    Raises:
        RegistryPushError: the push could not complete (the message says why).
    """
    _check_ca_file(ca_file, RegistryPushError)
    credentials = credentials_from(os.environ if environ is None else environ)
    report = push_layout(
        layout,
        parse_target(registry),
        credentials=credentials,
        ca_file=ca_file,
        leave_out=leave_out,
        progress=progress,
    )
    return ImagesPushResult(layout, report)


def push_git(
    bundle: Path,
    url: str,
    *,
    ca_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> GitPushResult:
    """Push every branch and tag of the Git bundle ``bundle`` to the repository at ``url``.

    Raises:
        GitPushError: the push could not complete (the message says why).
    """
    _check_ca_file(ca_file, GitPushError)
    report = push_git_bundle(
        bundle, url, environ=os.environ if environ is None else environ, ca_file=ca_file
    )
    return GitPushResult(bundle, report)


def _check_ca_file(ca_file: Path | None, error: type[StackyardError]) -> None:
    if ca_file is not None and not ca_file.is_file():
        raise error(f"--ca-file {ca_file}: no such file")
