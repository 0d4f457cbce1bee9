"""Push the GitOps repository, carried as a Git bundle, into the customer's internal Git server.

The bundle (``git bundle create --all``) holds every branch and tag of the rendered
repository. It is checked (``git bundle verify``), cloned as a mirror into a temporary
folder, and its branches and tags pushed to the internal server in one atomic push: either
every ref moves or none does, so a half-updated repository is never left for Argo CD to
sync. The push never forces: a server branch that moved on past the bundle is reported, not
overwritten. Afterwards the server's refs (``git ls-remote``) must equal the bundle's.

Credentials come from the environment (:data:`USERNAME_VARIABLE`, :data:`PASSWORD_VARIABLE`)
and reach git through a credential helper that reads them from its own environment, so they
are never in a URL, an argument list or a log; a URL that carries a password is refused.
A private CA is trusted with ``ca_file`` (``http.sslCAInfo``). The bundle may also be given
as the OCI layout a verified bundle archive unpacks to: its GitOps artifact's layer is the
Git bundle (:func:`git_bundle_of`). Git itself does the work —
it speaks every transport the customer's server may offer (smart HTTP, SSH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from stackyard.delivery.bundle import GIT_ARTIFACT, GIT_LAYER
from stackyard.delivery.layout import Layout
from stackyard.errors import StackyardError

USERNAME_VARIABLE = "STACKYARD_GIT_USERNAME"
PASSWORD_VARIABLE = "STACKYARD_GIT_PASSWORD"
PUSHED_REFS = ("refs/heads/", "refs/tags/")
# Answers git's credential questions from the helper's environment, never from its arguments.
_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'echo "username=$STACKYARD_GIT_USERNAME"; echo "password=$STACKYARD_GIT_PASSWORD"; }; f'
)


class GitPushError(StackyardError):
    """A Git bundle that could not be pushed: unreadable, refused, or not all there afterwards."""


@dataclass(frozen=True)
class GitPushReport:
    """What the server holds after the push: every branch and tag of the bundle."""

    url: str
    refs: tuple[tuple[str, str], ...]
    """(ref, commit) pairs, sorted."""
    updated: tuple[str, ...]
    """The refs the push created or moved (empty when the server was up to date)."""


def push_git_bundle(
    bundle: Path,
    url: str,
    *,
    environ: Mapping[str, str],
    ca_file: Path | None = None,
) -> GitPushReport:
    """Push every branch and tag of ``bundle`` to ``url`` and check the server holds them.

    Args:
        bundle: a Git bundle file holding complete history (``git bundle create --all``),
            or an unpacked bundle's OCI layout carrying one.
        url: the internal repository's URL, without credentials.
        environ: where :data:`USERNAME_VARIABLE` and :data:`PASSWORD_VARIABLE` are read.
        ca_file: PEM CA bundle to trust for an HTTPS server.

    Raises:
        GitPushError: git is missing, the bundle is unreadable, the URL carries a password,
            the server refuses the login or the update, or its refs differ afterwards.
    """
    parts = urlsplit(url)
    if parts.password:
        raise GitPushError(
            f"--git: the URL carries a password; leave it out and set {USERNAME_VARIABLE} "
            f"and {PASSWORD_VARIABLE}"
        )
    git = shutil.which("git")
    if git is None:
        raise GitPushError("pushing the GitOps repository needs git on the PATH")
    bundle = git_bundle_of(bundle)
    if not bundle.is_file():
        raise GitPushError(f"{bundle}: no such Git bundle")
    options = ["-c", "credential.helper=", "-c", f"credential.helper={_HELPER}"]
    if ca_file is not None:
        options += ["-c", f"http.sslCAInfo={ca_file}"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_GIT_")},
        "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a terminal
        USERNAME_VARIABLE: environ.get(USERNAME_VARIABLE, ""),
        PASSWORD_VARIABLE: environ.get(PASSWORD_VARIABLE, ""),
    }
    with tempfile.TemporaryDirectory(prefix="stackyard-git-") as scratch:
        mirror = Path(scratch) / "mirror.git"
        _git([git, "clone", "--quiet", "--mirror", str(bundle), str(mirror)], env, bundle)
        wanted = _refs(_git([git, "-C", str(mirror), "show-ref"], env, bundle))
        if not wanted:
            raise GitPushError(f"{bundle}: the bundle holds no branch or tag")
        before = _remote_refs(git, options, url, env)
        specs = [f"{prefix}*:{prefix}*" for prefix in PUSHED_REFS]
        _git(
            [git, *options, "-C", str(mirror), "push", "--quiet", "--atomic", url, *specs],
            env,
            url,
        )
    after = _remote_refs(git, options, url, env)
    missing = sorted(ref for ref, commit in wanted.items() if after.get(ref) != commit)
    if missing:
        raise GitPushError(f"{url}: after the push the server lacks {', '.join(missing)}")
    updated = tuple(sorted(ref for ref, commit in wanted.items() if before.get(ref) != commit))
    return GitPushReport(url, tuple(sorted(wanted.items())), updated)


def git_bundle_of(path: Path) -> Path:
    """The Git bundle ``path`` names: the file itself, or the one an unpacked bundle carries.

    Raises:
        GitPushError: the layout holds no GitOps repository, or more than one.
    """
    if not (path / "oci-layout").is_file():
        return path
    layout = Layout.open(path)
    layers = [
        child
        for top in layout.manifests()
        if top.artifact_type == GIT_ARTIFACT or (top.reference or "").startswith("gitops/")
        for child in layout.children(top)
        if child.media_type == GIT_LAYER
    ]
    if len(layers) != 1:
        raise GitPushError(
            f"{path}: an unpacked bundle with {len(layers)} GitOps repositories; expected one"
        )
    return layout.blob_path(layers[0].digest)


def _remote_refs(git: str, options: list[str], url: str, env: Mapping[str, str]) -> dict[str, str]:
    return _refs(_git([git, *options, "ls-remote", url], env, url))


def _refs(listing: str) -> dict[str, str]:
    refs = {}
    for line in listing.splitlines():
        commit, _, ref = line.replace("\t", " ").partition(" ")
        if ref.startswith(PUSHED_REFS) and not ref.endswith("^{}"):
            refs[ref] = commit
    return refs


def _git(command: list[str], env: Mapping[str, str], subject: object) -> str:
    try:
        done = subprocess.run(
            command, env=dict(env), capture_output=True, text=True, check=False, timeout=600
        )
    except subprocess.TimeoutExpired as error:
        raise GitPushError(f"{subject}: git did not finish in 10 minutes") from error
    if done.returncode != 0:
        raise GitPushError(f"{subject}: {_reason(done.stderr)}")
    return done.stdout


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line and not line.startswith("hint:")]
    rejected = [line for line in lines if "[rejected]" in line or "[remote rejected]" in line]
    if rejected:
        return (
            "the server refused to update, nothing was pushed (a branch there moved on past "
            f"the bundle; nothing is forced): {'; '.join(rejected)}"
        )
    text = "; ".join(lines[-3:]) or "git failed"
    if "Authentication failed" in text or "could not read Username" in text:
        return (
            f"the server refused the login ({text}); set {USERNAME_VARIABLE} and "
            f"{PASSWORD_VARIABLE}"
        )
    if "certificate" in text.lower():
        return f"the server's TLS certificate is not trusted ({text}); pass --ca-file"
    return text
