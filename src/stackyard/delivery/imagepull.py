"""Pull images from their registries into an OCI image layout, resumable and digest checked.

The connected side of an air-gapped delivery starts here: every image the platform runs
is fetched from its registry (or the mirror that stands in for it) into one OCI image
layout (:mod:`stackyard.delivery.layout`), whose ``index.json`` names each image by its
full reference (``org.opencontainers.image.ref.name``), exactly what ``bundle create
--images`` reads.

Policy:

- Every manifest and blob is checked against the digest that names it: a manifest asked
  for by digest must hash to it, one asked for by tag to the digest the registry states
  (``Docker-Content-Digest``); a child manifest, a config and a layer to the digest and
  size of the descriptor naming it, while it streams. Bytes that do not match are
  refused and removed: nothing unchecked ever sits under a blob's name.
- All manifests are read first, so the room every missing blob needs is known and
  checked against the free space before one byte of a layer is written.
- A layer gathers in a partial file beside its final name, flushed as it arrives, and is
  renamed once complete and checked. A pull that was interrupted (a dropped line, a
  killed process) is resumed by running it again: a partial blob continues from where its
  file ends (an HTTP ``Range`` request; the whole blob again when the registry ignores
  it), and blobs already in the layout are never fetched again.
- With platforms chosen, only their manifests and blobs are fetched; an index listing
  others too is rewritten to list only them (:func:`stackyard.delivery.layout.
  narrowed_index`, as ``bundle create --platform`` does). An image pinned by digest is
  the exception: a node asks for that exact index, so it is kept whole.
- An image is named in ``index.json`` only once all of its blobs are there; an entry of
  the same name is replaced, every other entry kept.
- One pull at a time writes a layout: it holds an exclusive lock (``fcntl.flock`` on
  :data:`LOCK_FILE` in the layout, gone when it ends). Two pulls into one layout would
  otherwise append to the same partial file and each rewrite ``index.json`` from what it
  read before the other's images were named. A second pull waits, saying so once, rather
  than failing: it is usually the same list run again (a CI job and a person, two jobs
  sharing a cache), and once the first is done it finds the blobs there and fetches
  nothing twice. The wait is bounded (:data:`LOCK_WAIT_SECONDS`), then it fails clearly.
- Every layer fetched and checked is entered in the layout's verification record
  (:mod:`stackyard.delivery.verified`) with the state of its file, under the lock, once
  the images are named: ``bundle create`` then copies it without hashing it again for as
  long as the file stays exactly as the pull left it.
- Credentials come from the environment, the login is negotiated as each registry asks
  (basic, a bearer token, an anonymous token for Docker Hub and ghcr.io) by
  :mod:`stackyard.delivery.registry_client`, asking for pull access only.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import urllib3

from stackyard.delivery.imagerefs import normalize
from stackyard.delivery.layout import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    REF_NAME,
    Descriptor,
    Layout,
    LayoutError,
    config_platform,
    copy_checked,
    narrowed_index,
    platform_matches,
    platform_name,
    sha256_digest,
)
from stackyard.delivery.registry_client import (
    Credentials,
    RegistryClient,
    RegistryPushError,
    Target,
    parse_target,
)
from stackyard.delivery.verified import (
    WRITER_LOCK,
    FileKey,
    add_verified,
    file_key,
    filesystem_clock,
)
from stackyard.errors import Location, StackyardError
from stackyard.fsio import exclusive_lock
from stackyard.progress import Progress, no_progress

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "https://registry-1.docker.io"
"""Where Docker Hub's registry API answers; ``docker.io`` is only the name images carry."""
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""The distribution registry's own limit on a manifest; anything larger is not one."""
MAX_CONFIG_BYTES = 64 * 1024 * 1024
TOP_TYPES = INDEX_TYPES | MANIFEST_TYPES
LOCK_FILE = WRITER_LOCK
"""The lock file a pull holds in the layout; OCI tools ignore a file they do not know."""
LOCK_WAIT_SECONDS = 3600.0
"""How long a second pull waits for the first: a large pull over a slow line takes long."""
"""What a reference may name: an image index (several platforms) or one image manifest."""

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = (
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])"
    r"(?::[0-9]+)?"
)
_REFERENCE = re.compile(
    rf"(?P<host>{_HOST})/(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)
"""The reference grammar of the distribution project, for a normalized reference."""


class ImagePullError(StackyardError):
    """An image that cannot be pulled: unknown, refused, unreachable or not what was promised."""


@dataclass(frozen=True)
class ImageName:
    """A normalized image reference split into the parts the registry API needs."""

    reference: str
    """``host/path[:tag][@digest]``, as a container runtime resolves it."""
    host: str
    path: str
    tag: str
    digest: str

    @property
    def pinned(self) -> bool:
        """Whether the reference names its content by digest."""
        return bool(self.digest)


def parse_image(text: str) -> ImageName:
    """``text`` as a normalized image reference (``nginx`` is ``docker.io/library/nginx:latest``).

    Raises:
        ValueError: ``text`` is not an image reference (the message says why).
    """
    reference = normalize(text.strip())
    match = _REFERENCE.fullmatch(reference)
    if not text.strip() or match is None:
        raise ValueError(f"{text.strip()!r} is not an image reference REGISTRY/PATH[:TAG][@DIGEST]")
    return ImageName(
        reference,
        match["host"],
        match["path"],
        match["tag"] or "",
        match["digest"] or "",
    )


@dataclass(frozen=True)
class PulledImage:
    """One image in the layout after the pull."""

    reference: str
    source: str
    """``HOST[:PORT]/REPOSITORY`` the image was fetched from (a mirror when one was mapped)."""
    digest: str
    """The digest ``index.json`` names: the source's, or the narrowed index's."""
    source_digest: str
    """The digest of the manifest or index the registry holds for the reference."""
    media_type: str
    platforms: tuple[str, ...]
    blobs_fetched: int
    bytes_fetched: int

    @property
    def status(self) -> str:
        """``pulled`` when any blob was fetched, ``present`` when all were in the layout."""
        return "pulled" if self.blobs_fetched else "present"


@dataclass(frozen=True)
class PullReport:
    """What a pull left in the layout and what it moved."""

    layout: Path
    images: tuple[PulledImage, ...]
    blobs_fetched: int
    blobs_present: int
    blobs_resumed: int
    bytes_fetched: int
    bytes_resumed: int
    """Bytes that partial files of an earlier, interrupted pull already held."""


@dataclass
class _Image:
    """One image's manifests read, its blobs known, nothing of its layers written yet."""

    name: ImageName
    client: RegistryClient
    repository: str
    top: Descriptor
    source_digest: str
    small: dict[str, tuple[Descriptor, bytes]] = field(default_factory=dict)
    """Manifests and configs, checked and held in memory until the layers are there."""
    layers: dict[str, Descriptor] = field(default_factory=dict)
    platforms: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        """Where the image comes from, as a person writes it."""
        host = self.client.target.base_url.split("://", 1)[1]
        return f"{host}/{self.repository}"


@dataclass
class _Tally:
    fetched: int = 0
    present: int = 0
    resumed: int = 0
    bytes_fetched: int = 0
    bytes_resumed: int = 0
    done: int = 0
    seen: set[str] = field(default_factory=set)
    checked: dict[str, FileKey] = field(default_factory=dict)
    """Blobs fetched and checked, and the state of their files once renamed into place."""


def pull_images(
    names: Sequence[ImageName],
    root: Path,
    *,
    platforms: tuple[str, ...] = (),
    registry_map: Mapping[str, str] | None = None,
    credentials: Credentials | None = None,
    ca_file: Path | None = None,
    progress: Progress = no_progress,
    on_wait: Callable[[], None] = lambda: None,
) -> PullReport:
    """Pull every image of ``names`` into the OCI image layout at ``root`` (made if missing).

    Args:
        names: the images, normalized (:func:`parse_image`).
        root: the layout directory; a missing or empty folder becomes a new layout.
        platforms: ``os/arch[/variant]`` to fetch of each image; empty: every platform.
        registry_map: ``HOST[/PATH]`` of images → ``HOST[:PORT][/PREFIX]`` of the mirror to
            fetch them from (the longest match wins).
        credentials: for basic auth or the token exchange; None for anonymous pulls.
        ca_file: PEM CA bundle to trust instead of the system's.
        progress: told ``("pulling images", bytes, total)`` as the layers stream in.
        on_wait: called once when another pull holds the layout's lock.

    Raises:
        ImagePullError: an image or tag the registry lacks, a refused login, an
            unreachable registry, bytes that do not match their digest, too little room.
        LayoutError: ``root`` is neither a layout nor an empty folder.
        InputError: another pull held the layout for :data:`LOCK_WAIT_SECONDS`.
    """
    if root.exists() and not root.is_dir():
        raise _not_a_layout(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImagePullError(f"{root}: cannot be written: {error.strerror or error}") from error
    busy = (
        f"another pull into {root} has held it for {LOCK_WAIT_SECONDS:.0f} s; "
        "run this pull again once it has ended"
    )
    with exclusive_lock(root / LOCK_FILE, timeout=LOCK_WAIT_SECONDS, busy=busy, on_wait=on_wait):
        return _pull_locked(
            names, _open_layout(root), platforms, registry_map, credentials, ca_file, progress
        )


def _pull_locked(
    names: Sequence[ImageName],
    layout: Layout,
    platforms: tuple[str, ...],
    registry_map: Mapping[str, str] | None,
    credentials: Credentials | None,
    ca_file: Path | None,
    progress: Progress,
) -> PullReport:
    clients: dict[str, RegistryClient] = {}
    mapping = dict(registry_map or {})
    images: list[_Image] = []
    try:
        for name in dict.fromkeys(names):
            base_url, repository = _source(name, mapping)
            client = clients.get(base_url)
            if client is None:
                target = Target(base_url, "")
                client = clients[base_url] = RegistryClient(
                    target, credentials, ca_file, actions="pull"
                )
            images.append(_read_image(layout, client, name, repository, platforms))
        _check_space(layout, images)
        tally = _Tally()
        total = _missing_bytes(layout, images)
        pulled = [_fetch_image(layout, image, tally, total, progress) for image in images]
    except RegistryPushError as error:
        raise ImagePullError(str(error)) from error
    if tally.checked:
        _record_checked(layout, tally.checked)
    return PullReport(
        layout.root,
        tuple(pulled),
        tally.fetched,
        tally.present,
        tally.resumed,
        tally.bytes_fetched,
        tally.bytes_resumed,
    )


def _open_layout(root: Path) -> Layout:
    if root.is_dir() and (root / "oci-layout").exists():
        return Layout.open(root)
    if any(child.name != LOCK_FILE for child in root.iterdir()):
        raise _not_a_layout(root)
    try:
        return Layout.create(root)
    except OSError as error:
        raise ImagePullError(f"{root}: cannot be written: {error.strerror or error}") from error


def _not_a_layout(root: Path) -> ImagePullError:
    return ImagePullError(
        f"{root}: neither an OCI image layout nor an empty folder; pull into a new folder"
    )


def _source(name: ImageName, mapping: Mapping[str, str]) -> tuple[str, str]:
    """The registry's base URL and the repository to ask for ``name`` (a mirror if mapped)."""
    full = f"{name.host}/{name.path}"
    matches = [key for key in mapping if full == key or full.startswith(key + "/")]
    if matches:
        key = max(matches, key=len)
        target = parse_target(mapping[key])
        rest = full[len(key) :].strip("/")
        return target.base_url, "/".join(part for part in (target.prefix, rest) if part)
    base_url = DOCKER_HUB_API if name.host == DOCKER_HUB else f"https://{name.host}"
    return base_url, name.path


# Reading the manifests ---------------------------------------------------------------------


def _read_image(
    layout: Layout,
    client: RegistryClient,
    name: ImageName,
    repository: str,
    platforms: tuple[str, ...],
) -> _Image:
    data, media_type = _top_manifest(layout, client, name, repository)
    digest = sha256_digest(data)
    top = Descriptor(media_type, digest, len(data), annotations={REF_NAME: name.reference})
    image = _Image(name, client, repository, top, digest)
    document = _json(data, name, digest)
    children = [top]
    if media_type in INDEX_TYPES:
        entries = document.get("manifests")
        if not isinstance(entries, list):
            raise ImagePullError(f"{name.reference}: the index {digest} lists no manifests")
        if platforms and not any(
            platform_matches(platform_name(e.get("platform")), platforms)
            for e in entries
            if isinstance(e, dict)
        ):
            found = sorted(
                {platform_name(e.get("platform")) for e in entries if isinstance(e, dict)}
            )
            raise ImagePullError(
                f"{name.reference} is built for {', '.join(n for n in found if n) or 'no platform'}"
                f", none of {', '.join(platforms)}"
            )
        # ``top`` is named by the reference, so a pinned one keeps its index whole.
        narrowed = narrowed_index(top, document, platforms)
        if narrowed is not None:
            new_top, new_data, kept = narrowed
            image.top = new_top  # the original index is not kept: it lists what is not here
            image.small[new_top.digest] = (new_top, new_data)
            children = kept
    for child in children:
        _read_manifest(layout, image, child, data if child is top else None)
    if (
        platforms
        and top.media_type in MANIFEST_TYPES
        and not any(platform_matches(p, platforms) for p in image.platforms)
    ):
        built = ", ".join(image.platforms) or "no platform"
        raise ImagePullError(
            f"{name.reference} is built for {built}, none of {', '.join(platforms)}"
        )
    return image


def _read_manifest(
    layout: Layout, image: _Image, descriptor: Descriptor, data: bytes | None
) -> None:
    """Hold ``descriptor``'s manifest (an index: its children too) and note its blobs."""
    name = image.name
    if data is None:
        data = _child_manifest(layout, image, descriptor)
    image.small[descriptor.digest] = (descriptor, data)
    document = _json(data, name, descriptor.digest)
    if descriptor.media_type in INDEX_TYPES:
        for entry in document.get("manifests") or []:
            _read_manifest(layout, image, _descriptor(entry, name, descriptor.digest), None)
        return
    if descriptor.media_type not in MANIFEST_TYPES:
        raise ImagePullError(
            f"{name.reference}: {descriptor.digest} has media type {descriptor.media_type!r}, "
            "not an image manifest or index"
        )
    config = _descriptor(document.get("config"), name, descriptor.digest)
    if config.size > MAX_CONFIG_BYTES:
        image.layers[config.digest] = config
    else:
        config_data = _small_blob(layout, image, config)
        image.small[config.digest] = (config, config_data)
        try:
            platform = config_platform(json.loads(config_data))
        except ValueError:
            platform = None
        if platform and platform not in image.platforms:
            image.platforms.append(platform)
    for layer in document.get("layers") or []:
        blob = _descriptor(layer, name, descriptor.digest)
        image.layers.setdefault(blob.digest, blob)


def _top_manifest(
    layout: Layout, client: RegistryClient, name: ImageName, repository: str
) -> tuple[bytes, str]:
    """The manifest or index ``name`` names, checked against its digest, and its media type."""
    if name.pinned:
        stored = _stored(layout, name.digest)
        if stored is not None:
            return stored, str(_json(stored, name, name.digest).get("mediaType", ""))
    reference = name.digest or name.tag
    url = f"{client.target.base_url}/v2/{repository}/manifests/{reference}"
    response = _get(client, url, repository, name, {"Accept": ", ".join(sorted(TOP_TYPES))})
    where = f"{client.target.base_url.split('://', 1)[1]}/{repository}"
    if response.status == 404:
        raise ImagePullError(_unknown(name, where, response))
    if response.status != 200:
        raise ImagePullError(f"{name.reference}: {where} answered HTTP {response.status}")
    data = response.data
    found = sha256_digest(data)
    promised = name.digest or response.headers.get("Docker-Content-Digest", found)
    if found != promised:
        raise ImagePullError(
            f"{name.reference}: {where} sent a manifest with digest {found}, not {promised}; "
            "refused"
        )
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media_type not in TOP_TYPES:
        media_type = str(_json(data, name, found).get("mediaType", media_type))
    if media_type not in TOP_TYPES:
        raise ImagePullError(f"{name.reference}: {where} sent {media_type!r}, not a manifest")
    return data, media_type


def _child_manifest(layout: Layout, image: _Image, descriptor: Descriptor) -> bytes:
    stored = _stored(layout, descriptor.digest)
    if stored is not None:
        return stored
    client, repository = image.client, image.repository
    url = f"{client.target.base_url}/v2/{repository}/manifests/{descriptor.digest}"
    response = _get(client, url, repository, image.name, {"Accept": descriptor.media_type})
    if response.status != 200:
        raise ImagePullError(
            f"{image.name.reference}: {image.source} lacks the manifest {descriptor.digest} "
            f"its index lists (HTTP {response.status})"
        )
    if sha256_digest(response.data) != descriptor.digest or len(response.data) != descriptor.size:
        raise ImagePullError(
            f"{image.name.reference}: the manifest {descriptor.digest} from {image.source} "
            "does not match its digest or size; refused"
        )
    return bytes(response.data)


def _small_blob(layout: Layout, image: _Image, descriptor: Descriptor) -> bytes:
    """A config's bytes, from the layout when it has them, checked as they stream."""
    stored = _stored(layout, descriptor.digest)
    if stored is not None:
        return stored
    response = _open_blob(image, descriptor, 0)
    target = io.BytesIO()
    try:
        copy_checked(cast(IO[bytes], response), target, descriptor, image.source)
    except LayoutError as error:
        raise _mismatch(image, descriptor, error) from error
    finally:
        response.release_conn()
    return target.getvalue()


def _stored(layout: Layout, digest: str) -> bytes | None:
    """A small blob the layout already holds, its digest checked; None when it has none."""
    path = layout.blob_path(digest)
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if size > MAX_CONFIG_BYTES:
        return None
    data = path.read_bytes()
    return data if sha256_digest(data) == digest else None


def _json(data: bytes, name: ImageName, digest: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise ImagePullError(f"{name.reference}: {digest} is not JSON") from error
    if not isinstance(document, dict):
        raise ImagePullError(f"{name.reference}: {digest} is not a JSON object")
    return document


def _descriptor(raw: Any, name: ImageName, parent: str) -> Descriptor:
    try:
        return Descriptor.from_dict(raw, Location(parent))
    except LayoutError as error:
        raise ImagePullError(
            f"{name.reference}: {parent} holds a bad descriptor: {error.problem.message}"
        ) from error


def _unknown(name: ImageName, where: str, response: urllib3.BaseHTTPResponse) -> str:
    """Why a manifest is not there: no such repository, or no such tag or digest in it."""
    try:
        codes = {e.get("code") for e in json.loads(response.data).get("errors", [])}
    except (ValueError, AttributeError, TypeError):
        codes = set()
    what = name.digest or name.tag
    if "NAME_UNKNOWN" in codes:
        return (
            f"{name.reference}: no such image: {where} has no repository {where.split('/', 1)[1]}"
        )
    return f"{name.reference}: no such image or tag: {where} has no {what}"


# Fetching the layers ----------------------------------------------------------------------


def _missing(layout: Layout, images: list[_Image]) -> dict[str, Descriptor]:
    missing: dict[str, Descriptor] = {}
    for image in images:
        for digest, descriptor in image.layers.items():
            if not layout.has_blob(descriptor):
                missing.setdefault(digest, descriptor)
    return missing


def _kept(layout: Layout, descriptor: Descriptor) -> int:
    """The bytes an earlier attempt left in the blob's partial file (0 when none, or too many)."""
    try:
        size = layout.partial_path(descriptor).stat().st_size
    except OSError:
        return 0
    return size if size < descriptor.size else 0


def _missing_bytes(layout: Layout, images: list[_Image]) -> int:
    return sum(d.size - _kept(layout, d) for d in _missing(layout, images).values())


def _check_space(layout: Layout, images: list[_Image]) -> None:
    needed = _missing_bytes(layout, images)
    needed += sum(len(data) for image in images for _, data in image.small.values())
    try:
        free = shutil.disk_usage(layout.root).free
    except OSError as error:
        raise ImagePullError(f"{layout.root}: cannot be written: {error.strerror}") from error
    if free < needed:
        raise ImagePullError(
            f"{layout.root}: the images need {needed} bytes but only {free} are free; "
            "no layer was downloaded"
        )


def _fetch_image(
    layout: Layout, image: _Image, tally: _Tally, total: int, progress: Progress
) -> PulledImage:
    fetched = 0
    bytes_fetched = 0
    for descriptor in image.layers.values():
        if descriptor.digest in tally.seen or layout.has_blob(descriptor):
            if descriptor.digest not in tally.seen:
                tally.present += 1
                tally.seen.add(descriptor.digest)
            continue

        def advanced(size: int) -> None:
            tally.done += size
            progress("pulling images", tally.done, total)

        moved = _fetch_blob(layout, image, descriptor, advanced)
        tally.checked[descriptor.digest] = file_key(layout.blob_path(descriptor.digest).stat())
        tally.seen.add(descriptor.digest)
        tally.fetched += 1
        tally.bytes_fetched += moved
        fetched += 1
        bytes_fetched += moved
        if moved < descriptor.size:
            tally.resumed += 1
            tally.bytes_resumed += descriptor.size - moved
    for descriptor, data in image.small.values():
        layout.add_bytes(data, descriptor.media_type)
    kept_entries = [m for m in layout.manifests() if m.reference != image.name.reference]
    layout.write_index([*kept_entries, image.top])
    return PulledImage(
        reference=image.name.reference,
        source=image.source,
        digest=image.top.digest,
        source_digest=image.source_digest,
        media_type=image.top.media_type,
        platforms=tuple(sorted(image.platforms)),
        blobs_fetched=fetched,
        bytes_fetched=bytes_fetched,
    )


def _record_checked(layout: Layout, checked: dict[str, FileKey]) -> None:
    """Enter the blobs this pull checked in the layout's verification record."""
    try:
        clock = filesystem_clock(layout.root)  # after every checked file was in place
    except OSError as error:
        raise ImagePullError(f"{layout.root}: cannot be written: {error.strerror}") from error
    add_verified(layout.root, checked, clock)


def _fetch_blob(
    layout: Layout, image: _Image, descriptor: Descriptor, advanced: Callable[[int], None]
) -> int:
    responses: list[urllib3.BaseHTTPResponse] = []

    def fetch(offset: int) -> tuple[IO[bytes], int]:
        response = _open_blob(image, descriptor, offset)
        responses.append(response)
        if response.status == 206 and _range_start(response) != offset:
            # A range other than the one asked for: take the whole blob rather than guess.
            response = _open_blob(image, descriptor, 0)
            responses.append(response)
        start = offset if response.status == 206 else 0
        return cast(IO[bytes], response), start

    try:
        return layout.resume_blob(descriptor, fetch, advanced)
    except LayoutError as error:
        raise _mismatch(image, descriptor, error) from error
    except (urllib3.exceptions.HTTPError, OSError) as error:
        kept = _kept(layout, descriptor)
        raise ImagePullError(
            f"{image.name.reference}: fetching {descriptor.digest} from {image.source} failed "
            f"({error}); run the same pull again to resume: the {kept} bytes received are kept"
        ) from error
    finally:
        for response in responses:
            response.release_conn()


def _range_start(response: urllib3.BaseHTTPResponse) -> int:
    match = re.fullmatch(r"bytes (\d+)-\d+/(?:\d+|\*)", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else -1


def _open_blob(image: _Image, descriptor: Descriptor, offset: int) -> urllib3.BaseHTTPResponse:
    try:
        response = image.client.open_blob(image.repository, descriptor.digest, offset)
    except urllib3.exceptions.HTTPError as error:
        raise _unreachable(image.client, image.name, error) from error
    if response.status not in (200, 206):
        response.drain_conn()
        raise ImagePullError(
            f"{image.name.reference}: {image.source} does not give the blob {descriptor.digest} "
            f"(HTTP {response.status})"
        )
    return response


def _mismatch(image: _Image, descriptor: Descriptor, error: LayoutError) -> ImagePullError:
    return ImagePullError(
        f"{image.name.reference}: the blob {descriptor.digest} from {image.source} "
        f"{error.problem.message}; refused and removed"
    )


def _get(
    client: RegistryClient,
    url: str,
    repository: str,
    name: ImageName,
    headers: Mapping[str, str],
) -> urllib3.BaseHTTPResponse:
    try:
        response = client.request("GET", url, repository, headers=headers)
    except urllib3.exceptions.HTTPError as error:
        raise _unreachable(client, name, error) from error
    if len(response.data) > MAX_MANIFEST_BYTES:
        raise ImagePullError(f"{name.reference}: {url} is larger than a manifest can be")
    return response


def _unreachable(client: RegistryClient, name: ImageName, error: Exception) -> ImagePullError:
    reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
    text = str(reason)
    if "Connection refused" in text:
        text = "connection refused"
    elif "Name or service not known" in text or "NameResolutionError" in text:
        text = "host name not known"
    return ImagePullError(
        f"{name.reference}: cannot reach {client.target.base_url}: {text.splitlines()[-1][:200]}"
    )
