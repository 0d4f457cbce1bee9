"""``images pull``: the images a platform runs, from their registries into one OCI image layout.

The connected side's first step for the images of an air-gapped delivery: the references
come from the command line or from a list (``images.txt``, as ``validate --hydrate``
writes it: one reference a line, ``#`` comments, anything after the reference on a line
ignored), and land in a layout that ``bundle create --images`` reads
(:mod:`stackyard.delivery.imagepull` fetches them).

Credentials come only from the environment (``STACKYARD_REGISTRY_USERNAME`` and
``STACKYARD_REGISTRY_PASSWORD``). A pull that cannot complete raises (the command line
exits 2), naming the image; what it fetched stays, so running it again resumes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.app.charts import parse_repository_map
from stackyard.app.results import Describes
from stackyard.delivery import imagepull
from stackyard.delivery.imagepull import ImageName, PullReport, parse_image
from stackyard.delivery.layout import refuse_bad_platforms
from stackyard.delivery.registry_client import RegistryPushError, credentials_from, parse_target
from stackyard.errors import COMMAND_LINE, InputError, Location, Problem
from stackyard.progress import Progress, no_progress
from stackyard.versioning import schema_id

DOCKER_HUB_NAMES = frozenset({"index.docker.io", "registry-1.docker.io"})
"""Other names of Docker Hub, mapped as ``docker.io``, the name its images carry."""
MAP_OPTION = "--registry-map"
MAP_EXAMPLE = "docker.io=harbor.example.com/dockerhub"


@dataclass(frozen=True)
class ImagesPullResult(Describes):
    """A complete pull: every image is in the layout, named in its ``index.json``."""

    report: PullReport

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``images-pull``)."""
        report = self.report
        return {
            "schema": schema_id("images-pull"),
            "layout": str(report.layout),
            "images": [
                {
                    "reference": image.reference,
                    "source": image.source,
                    "digest": image.digest,
                    "sourceDigest": image.source_digest,
                    "mediaType": image.media_type,
                    "platforms": list(image.platforms),
                    "status": image.status,
                    "blobsFetched": image.blobs_fetched,
                    "bytesFetched": image.bytes_fetched,
                }
                for image in report.images
            ],
            "blobs": {
                "fetched": report.blobs_fetched,
                "present": report.blobs_present,
                "resumed": report.blobs_resumed,
                "bytesFetched": report.bytes_fetched,
                "bytesResumed": report.bytes_resumed,
            },
        }


def _read_image_list(path: Path) -> list[ImageName]:
    """The references of an image list: one a line, ``#`` comments, further columns ignored.

    Raises:
        InputError: the file cannot be read, or a line's reference is not one (with its line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise InputError([Problem(Location(str(path)), "", f"cannot be read: {reason}")]) from error
    names, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            names.append(parse_image(fields[0]))
        except ValueError as error:
            problems.append(Problem(Location(str(path), number), "", str(error)))
    if problems:
        raise InputError(problems)
    return names


def _parse_registry_map(pairs: Sequence[str]) -> dict[str, str]:
    """``HOST[/PATH]=MIRROR`` pairs, each mirror ``[http://]HOST[:PORT][/PREFIX]``.

    Raises:
        InputError: a pair that is not ORIGINAL=MIRROR, an original with a scheme, a mirror
            that is not a registry address.
    """
    mapping: dict[str, str] = {}
    problems = []
    for original, mirror in parse_repository_map(pairs, MAP_OPTION, MAP_EXAMPLE).items():
        host, slash, path = original.partition("/")
        if "://" in original or not host:
            problems.append(
                Problem(
                    COMMAND_LINE,
                    MAP_OPTION,
                    f"{original!r} is not a registry HOST[/PATH] as images name it",
                    f"e.g. {MAP_EXAMPLE}",
                )
            )
            continue
        try:
            parse_target(mirror)
        except RegistryPushError as error:
            message = str(error).replace("--registry ", "")
            problems.append(Problem(COMMAND_LINE, MAP_OPTION, message))
            continue
        host = "docker.io" if host in DOCKER_HUB_NAMES else host
        mapping[host + slash + path.strip("/")] = mirror
    if problems:
        raise InputError(problems)
    return {k.rstrip("/"): v for k, v in mapping.items()}


def _image_names(arguments: Sequence[str]) -> list[ImageName]:
    """The images the arguments name: one image list file, or references.

    Raises:
        InputError: no image named, or an argument that is neither a reference nor a file.
    """
    if len(arguments) == 1 and Path(arguments[0]).is_file():
        names = _read_image_list(Path(arguments[0]))
        where = Location(arguments[0])
    else:
        names, problems = [], []
        for argument in arguments:
            try:
                names.append(parse_image(argument))
            except ValueError as error:
                problems.append(Problem(COMMAND_LINE, "IMAGES", f"{error} (nor a file)"))
        if problems:
            raise InputError(problems)
        where = COMMAND_LINE
    if not names:
        raise InputError([Problem(where, "IMAGES", "names no image")])
    return names


def pull_images(
    images: Sequence[str],
    layout: Path,
    *,
    platforms: tuple[str, ...] = (),
    registry_map: Sequence[str] = (),
    ca_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
    on_wait: Callable[[], None] = lambda: None,
) -> ImagesPullResult:
    """Pull the images ``images`` names (one list file, or references) into ``layout``.

    Raises:
        InputError: a malformed reference, list, ``--platform`` or ``--registry-map``.
        ImagePullError: an image cannot be pulled (the message names it and says why).
    """
    names = _image_names(images)
    refuse_bad_platforms(platforms)
    mapping = _parse_registry_map(registry_map)
    if ca_file is not None and not ca_file.is_file():
        raise InputError([Problem(COMMAND_LINE, "--ca-file", f"{ca_file}: no such file")])
    try:
        credentials = credentials_from(os.environ if environ is None else environ)
    except RegistryPushError as error:
        raise InputError([Problem(COMMAND_LINE, "", str(error))]) from error
    report = imagepull.pull_images(
        names,
        layout,
        platforms=platforms,
        registry_map=mapping,
        credentials=credentials,
        ca_file=ca_file,
        progress=progress,
        on_wait=on_wait,
    )
    return ImagesPullResult(report)
