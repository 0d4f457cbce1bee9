"""Push an OCI image layout into a registry: every blob once, then every manifest, all verified.

The customer's registry (Harbor, GitLab's, the distribution registry, any OCI one) receives
what the bundle carries as an OCI image layout (``oci-layout``, ``index.json``,
``blobs/sha256/<hex>``). The index's ``org.opencontainers.image.ref.name`` annotations say
where each image goes (a full reference such as ``docker.io/library/nginx:1.25`` keeps its
registry host, repository path and tag, as the nodes' mirrors expect; a bare tag needs an
explicit mapping), under ``--registry
HOST[:PORT][/PREFIX]``.

Policy:

- The layout is checked before anything leaves: every blob a manifest names must exist with
  the size and sha256 its descriptor states, or nothing is pushed (the digest is named).
- A blob the registry already has (HEAD answers 200) is skipped and counted, so a re-push of
  an unchanged layout moves no blob bytes and an interrupted push resumes where it stopped.
  A blob an earlier image of the same push sent (a shared base layer) is mounted from that
  image's repository instead of sent again, and counted as skipped: no byte moves. A mount
  the registry cannot make (it answers with an upload session) sends the blob there.
- An image's blobs go up a few at a time (:data:`PARALLEL_BLOBS`): the registry hashes and
  stores one while the next is on the wire, which is where a one-at-a-time push waits.
- Small blobs go up in one PUT; large ones in chunks (POST, PATCH with Content-Range, PUT
  ``?digest=``). A request of it that breaks on the wire asks the upload URL how far it got
  (GET, ``Range``) and continues from there; if the registry cannot say (the distribution
  registry drops an upload whose PATCH broke), that blob starts over, and so it does when
  the session it continued is dropped after all (the registry cancels it only once its
  handler notices the break, which may be after it answered the question). A blob that
  keeps breaking (:data:`CHUNK_ATTEMPTS`) stops the push, as any other broken connection
  does, with an error; running it again resumes it.
- After each upload HEAD must answer with the same ``Docker-Content-Digest`` and size;
  manifests go up children first (an index after the manifests it lists) and the digest the
  registry computes must equal the layout's. A push that ends with any manifest missing, or
  a tag naming another digest than the one pushed, raises: nothing half-pushed is reported
  as done.
- Credentials come from the environment, never from the command line; how the login is
  negotiated (basic or a bearer token) lives in :mod:`stackyard.delivery.registry_client`.

The HTTP is ``urllib3`` directly, not ``oras``: oras-py pushes whole artifacts from files
and offers neither a blob-exists check per repository nor a resumable chunked upload, which
are the point here; the registry API for them is a handful of documented calls
(https://github.com/opencontainers/distribution-spec/blob/main/spec.md), and urllib3 is
typed, maintained and already underneath every HTTP client we use.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from stackyard.delivery.layout import (
    CHUNK,
    INDEX_FILE,
    INDEX_TYPES,
    REF_NAME,
    Descriptor,
    HashingReader,
    Layout,
    LayoutError,
)
from stackyard.delivery.registry_client import (
    Credentials,
    RegistryClient,
    RegistryPushError,
    Target,
    UploadLostError,
)
from stackyard.progress import Progress, no_progress

DOCKER_HUB = "docker.io"
UNHOSTED = frozenset({"charts", "gitops"})
"""First path segments of a bundle's own artifacts, which come from no registry."""
CHUNK_BYTES = 8 * 1024 * 1024
"""Blobs larger than this go up in chunks of this size; smaller ones in one request."""
CHUNK_ATTEMPTS = 5
"""Tries a chunked blob gets in all: each break (a request cut on the wire, a session the
registry dropped) costs one, and the push stops when none is left."""
PARALLEL_BLOBS = 4
"""Blobs of one image sent at once (skopeo sends up to six): while the registry hashes and
stores one, the next is on the wire."""


@dataclass(frozen=True)
class Image:
    """One top-level entry of the layout's index and where it goes."""

    repository: str
    reference: str
    descriptor: Descriptor


@dataclass(frozen=True)
class PushedManifest:
    """A manifest the registry holds afterwards: repository, tag or digest, digest."""

    repository: str
    reference: str
    digest: str


@dataclass(frozen=True)
class PushReport:
    """What a push moved and what it found already there."""

    registry: str
    blobs_pushed: int
    blobs_skipped: int
    bytes_pushed: int
    manifests_pushed: int
    manifests_skipped: int
    manifests: tuple[PushedManifest, ...]


@dataclass
class _Tally:
    blobs_pushed: int = 0
    blobs_skipped: int = 0
    bytes_pushed: int = 0
    manifests_pushed: int = 0
    manifests_skipped: int = 0
    done: int = 0
    total: int = 0
    manifests: list[PushedManifest] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)
    """Blob digest → a repository of this push that holds it, to mount it from."""


def push_layout(
    layout: Path,
    target: Target,
    *,
    credentials: Credentials | None = None,
    ca_file: Path | None = None,
    repositories: Mapping[str, str] | None = None,
    leave_out: tuple[str, ...] = (),
    chunk_bytes: int = CHUNK_BYTES,
    progress: Progress = no_progress,
) -> PushReport:
    """Push every image of the OCI layout at ``layout`` to ``target``.

    Args:
        layout: an OCI image layout directory.
        target: the registry and repository prefix.
        credentials: for basic auth or the token exchange; None for an open registry.
        ca_file: PEM CA bundle to trust instead of the system's.
        repositories: ref name → ``REPOSITORY[:TAG]`` overriding the annotation's meaning.
        leave_out: ref-name prefixes whose artifacts stay out of the registry (a bundle's
            GitOps repository goes to the Git server instead).
        chunk_bytes: blobs above this size go up in chunks of it.
        progress: told ``("pushing blobs", done, total)`` after each blob.

    Raises:
        RegistryPushError: a broken layout (before anything is sent), a refused login, an
            untrusted certificate, or a registry that does not end up holding every manifest.
    """
    try:
        opened = Layout.open(layout)
        images = _images(opened, repositories or {}, leave_out)
        graph = {image.descriptor.digest: _walk(opened, image.descriptor) for image in images}
        _check_blobs(opened, graph)
    except LayoutError as error:
        raise RegistryPushError(f"{error.problem}; nothing pushed") from error
    client = RegistryClient(target, credentials, ca_file)
    try:
        tally = _push_images(client, opened, images, graph, chunk_bytes, progress)
    except urllib3.exceptions.HTTPError as error:
        raise RegistryPushError(
            f"{target.base_url}: the connection failed ({error}); run the same push again "
            "to resume: what arrived is kept"
        ) from error
    finally:
        client.close()
    return PushReport(
        target.base_url,
        tally.blobs_pushed,
        tally.blobs_skipped,
        tally.bytes_pushed,
        tally.manifests_pushed,
        tally.manifests_skipped,
        tuple(tally.manifests),
    )


def _push_images(
    client: RegistryClient,
    layout: Layout,
    images: list[Image],
    graph: Mapping[str, tuple[list[Descriptor], list[Descriptor]]],
    chunk_bytes: int,
    progress: Progress,
) -> _Tally:
    client.ping()
    tally = _Tally(total=sum(len(blobs) for _, blobs in graph.values()))
    with ThreadPoolExecutor(PARALLEL_BLOBS, thread_name_prefix="push") as pool:
        for image in images:
            repository = client.target.repository(image.repository)
            manifests, blobs = graph[image.descriptor.digest]
            _push_blobs(client, layout, repository, blobs, chunk_bytes, pool, tally, progress)
            for manifest in manifests:  # children first, the image's own descriptor last
                reference = image.reference if manifest == image.descriptor else manifest.digest
                _push_manifest(client, layout, repository, reference, manifest, tally)
    for pushed in tally.manifests:  # by the tag too: another push may have moved it since
        found = client.manifest_digest(pushed.repository, pushed.reference)
        if found != pushed.digest:
            held = "is missing" if found is None else f"is {found}"
            raise RegistryPushError(
                f"{client.target.base_url}: {pushed.repository}:{pushed.reference} {held} "
                f"after the push, not {pushed.digest}"
            )
    return tally


# The layout ------------------------------------------------------------------------------


def _images(
    layout: Layout, repositories: Mapping[str, str], leave_out: tuple[str, ...]
) -> list[Image]:
    index_file = layout.root / INDEX_FILE
    images = []
    for descriptor in layout.manifests():
        ref = descriptor.reference
        if not ref:
            raise RegistryPushError(f"{index_file}: {descriptor.digest} has no {REF_NAME}")
        if leave_out and ref.startswith(leave_out):
            continue
        repository, reference = _split_reference(repositories.get(ref, ref), index_file)
        images.append(Image(repository, reference or descriptor.digest, descriptor))
    if not images:
        raise RegistryPushError(f"{index_file}: the layout holds no images")
    return images


def _split_reference(ref: str, where: Path) -> tuple[str, str]:
    """``[REGISTRY/]PATH[:TAG][@DIGEST]`` → (repository under the prefix, tag or digest).

    An image keeps its source registry as the first path segment (``docker.io/library/
    nginx``, ``quay.io/cilium/cilium``): the nodes' mirrors rewrite a pull of
    ``<host>/<path>`` to ``<prefix>/<host>/<path>`` (``render/bootstrap/mirrors.py``), and two
    registries' images of one path never collide. A name without a registry is Docker
    Hub's, as a container runtime reads it. A bundle's charts (``charts/<name>``) and
    GitOps repository have no source registry and keep their path.
    """
    name, _, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon + 1 :] if colon > slash else ""
    path = name[:colon] if colon > slash else name
    if "/" not in path and not tag and not digest:
        raise RegistryPushError(
            f"{where}: {REF_NAME} {ref!r} is only a tag; give the image's repository for it"
        )
    first, _, rest = path.partition("/")
    has_registry = bool(rest) and ("." in first or ":" in first or first == "localhost")
    if not has_registry and first not in UNHOSTED:
        path = f"{DOCKER_HUB}/{path if rest else 'library/' + path}"
    return path, digest or tag


def _walk(layout: Layout, top: Descriptor) -> tuple[list[Descriptor], list[Descriptor]]:
    """The manifests under ``top`` (children first, ``top`` last) and the blobs they name.

    Reading a manifest through the layout checks it against its digest, so a tampered
    manifest is refused here, before anything is sent.
    """
    manifests: list[Descriptor] = []
    blobs: dict[str, Descriptor] = {}

    def visit(descriptor: Descriptor) -> None:
        children = layout.children(descriptor)
        if descriptor.media_type in INDEX_TYPES:
            for child in children:
                visit(child)
        else:
            for blob in children:
                blobs.setdefault(blob.digest, blob)
        if descriptor not in manifests:
            manifests.append(descriptor)

    visit(top)
    return manifests, list(blobs.values())


def _check_blobs(
    layout: Layout, graph: Mapping[str, tuple[list[Descriptor], list[Descriptor]]]
) -> None:
    """Hash every blob the manifests name before the first byte leaves."""
    checked: set[str] = set()
    for _, blobs in graph.values():
        for blob in blobs:
            if blob.digest in checked:
                continue
            with layout.open_blob(blob) as stream:
                reader = HashingReader(stream)
                while reader.read(CHUNK):
                    pass
                reader.check(blob, str(layout.root))
            checked.add(blob.digest)


# Pushing ----------------------------------------------------------------------------------


def _push_blobs(
    client: RegistryClient,
    layout: Layout,
    repository: str,
    blobs: list[Descriptor],
    chunk: int,
    pool: ThreadPoolExecutor,
    tally: _Tally,
    progress: Progress,
) -> None:
    """One image's blobs, several at a time: the registry stores one while the next arrives.

    An image's blobs are distinct, so none waits for another; a blob an earlier image of
    the push sent is mounted from that image's repository. The first failure cancels the
    blobs not started and is raised once those under way have ended.
    """
    futures = {
        pool.submit(
            _push_blob, client, layout, repository, blob, chunk, tally.held.get(blob.digest)
        ): blob
        for blob in blobs
    }
    try:
        for future in as_completed(futures):
            blob = futures[future]
            if future.result():
                tally.blobs_pushed += 1
                tally.bytes_pushed += blob.size
            else:
                tally.blobs_skipped += 1
            tally.held.setdefault(blob.digest, repository)
            tally.done += 1
            progress("pushing blobs", tally.done, tally.total)
    except BaseException:
        for future in futures:
            future.cancel()
        wait(futures)
        raise


def _push_blob(
    client: RegistryClient,
    layout: Layout,
    repository: str,
    blob: Descriptor,
    chunk: int,
    source: str | None,
) -> bool:
    """Make ``repository`` hold ``blob``; True when its bytes were sent.

    False when the registry had it already: there, or in ``source``, a repository of this
    push holding it, from which it is mounted.
    """
    if client.blob_size(repository, blob.digest) == blob.size:
        return False
    # A mount the registry cannot make opens an upload session instead: the bytes go there.
    session: str | None
    if source is None:
        session = client.start_upload(repository)
    else:
        session = client.mount(repository, blob.digest, source)
    if session is None:
        _check_arrived(client, repository, blob)
        return False
    if blob.size <= chunk:
        client.finish_upload(session, blob.digest, layout.read_blob(blob))
    else:
        _chunked_upload(client, repository, layout, blob, chunk, session)
    _check_arrived(client, repository, blob)
    return True


def _check_arrived(client: RegistryClient, repository: str, blob: Descriptor) -> None:
    if client.blob_size(repository, blob.digest) != blob.size:
        raise RegistryPushError(
            f"{client.target.base_url}: {repository} does not hold {blob.digest} "
            f"({blob.size} bytes) after sending it"
        )


def _chunked_upload(
    client: RegistryClient,
    repository: str,
    layout: Layout,
    blob: Descriptor,
    chunk: int,
    opened: str,
) -> None:
    """Send ``blob`` in chunks from the session ``opened``, going on after a break.

    After any request of the upload broken on the wire the session is asked how far it got
    and the upload goes on from there; when the registry cannot say, or answers that it
    dropped the session (the distribution registry does once its handler notices a broken
    PATCH, which may be after it answered the question), the blob starts over in a new
    session. The CHUNK_ATTEMPTS-th try that breaks stops the push.
    """
    session: str | None = opened
    offset = 0
    for _ in range(CHUNK_ATTEMPTS):
        if session is None:
            session, offset = client.start_upload(repository), 0
        try:
            while offset < blob.size:
                piece = _piece(layout, blob, offset, chunk)
                session = client.patch(session, offset, piece)
                offset += len(piece)
            client.finish_upload(session, blob.digest, b"")
            return
        except UploadLostError:
            session = None
        except urllib3.exceptions.HTTPError:
            held = client.upload_offset(session)
            session, offset = (None, 0) if held is None else (session, held)
    raise RegistryPushError(
        f"{client.target.base_url}: the upload of {blob.digest} to {repository} kept breaking"
    )


def _piece(layout: Layout, blob: Descriptor, offset: int, size: int) -> bytes:
    with layout.open_blob(blob) as stream:
        stream.seek(offset)
        return stream.read(size)


def _push_manifest(
    client: RegistryClient,
    layout: Layout,
    repository: str,
    reference: str,
    manifest: Descriptor,
    tally: _Tally,
) -> None:
    tally.manifests.append(PushedManifest(repository, reference, manifest.digest))
    if client.manifest_digest(repository, reference) == manifest.digest:
        tally.manifests_skipped += 1
        return
    body = layout.read_blob(manifest)
    digest = client.put_manifest(repository, reference, manifest.media_type, body)
    if digest != manifest.digest:
        raise RegistryPushError(
            f"{client.target.base_url}: {repository}:{reference} was stored as {digest}, "
            f"not {manifest.digest}"
        )
    tally.manifests_pushed += 1
