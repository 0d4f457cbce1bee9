"""An air-gapped tree fetches nothing from the internet: every public reference left is an error.

The render marker says whether a tree was rendered for the air gap (``airgapRegistry``
and ``airgapGit``, from the spec's ``airgap`` section). For such a tree:

- every source of every Application and ApplicationSet must be on the internal Git
  server (``<git>/...``) or the internal registry's chart repository; a public
  ``repoURL`` is a sync that fails behind the gap, or worse, one that succeeds through
  a forgotten proxy;
- every image reference in the objects and Helm values (a string under a key ending in
  ``image``, or a chart's ``image: {registry, repository}``) must be on the internal
  registry or on a public registry the nodes mirror through it. The mirrored registries
  are read from the tree itself (the ``mirrors`` of ``nodes/*/rke2/registries.yaml`` and
  the folders of ``nodes/*/containerd/certs.d/<host>/hosts.toml``), so an image on a
  registry nobody mirrors is found even if the render's own list lacks it.

An image reference's registry is found the way container runtimes find it: the first
path component is a host when it has a ``.`` or a ``:`` or is ``localhost``; otherwise
the image is on ``docker.io``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stackyard.findings import Finding
from stackyard.validate.repository import Repository
from stackyard.yamlio import LocatedDocument

CHECK = "airgap"
DOCKER_HUB = "docker.io"
_APPLICATION_KINDS = ("Application", "ApplicationSet")
_MIRROR_FILE = "rke2/registries.yaml"
_HOSTS_TOML = "hosts.toml"


def check_airgap(repository: Repository) -> list[Finding]:
    """Every public repository or unmirrored image left in an air-gapped tree."""
    registry = repository.metadata.airgap_registry
    git = repository.metadata.airgap_git
    if not registry or not git:
        return []
    mirrored = mirrored_registries(repository)
    findings: list[Finding] = []
    for path, documents in sorted(repository.files.items()):
        if path.startswith("nodes/") and path.endswith(_MIRROR_FILE):
            continue  # the mirror configuration names the public registries on purpose
        for document in documents:
            findings += _sources(document, registry, git)
            findings += _images(document, registry, mirrored)
    return findings


def mirrored_registries(repository: Repository) -> frozenset[str]:
    """The public registries the tree's node files mirror through the internal registry."""
    hosts: set[str] = set()
    for path, documents in repository.files.items():
        if path.startswith("nodes/") and path.endswith(_MIRROR_FILE):
            for document in documents:
                mirrors = document.data.get("mirrors") if isinstance(document.data, dict) else None
                if isinstance(mirrors, dict):
                    hosts.update(str(host) for host in mirrors)
    for hosts_toml in repository.root.glob(f"nodes/*/containerd/certs.d/*/{_HOSTS_TOML}"):
        hosts.add(hosts_toml.parent.name)
    return frozenset(hosts)


def image_registry(reference: str) -> str:
    """The registry host of an image reference, as a container runtime resolves it."""
    first, _, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def _internal_source(url: str, registry: str, git: str) -> bool:
    url = url.removeprefix("oci://")
    return (
        url == registry or url.startswith(f"{registry}/") or url.startswith(f"{git.rstrip('/')}/")
    )


def _sources(document: LocatedDocument, registry: str, git: str) -> Iterator[Finding]:
    data = document.data
    if not isinstance(data, dict) or data.get("kind") not in _APPLICATION_KINDS:
        return
    spec = data.get("spec")
    at: tuple[str, ...] = ("spec",)
    if data["kind"] == "ApplicationSet" and isinstance(spec, dict):
        spec = (spec.get("template") or {}).get("spec")
        at = ("spec", "template", "spec")
    if not isinstance(spec, dict):
        return
    sources: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(spec.get("source"), dict):
        sources.append(((*at, "source"), spec["source"]))
    for index, source in enumerate(spec.get("sources") or []):
        sources.append(((*at, "sources", index), source))
    for where, source in sources:
        url = source.get("repoURL") if isinstance(source, dict) else None
        if isinstance(url, str) and not _internal_source(url, registry, git):
            name = (data.get("metadata") or {}).get("name", "?")
            yield Finding(
                document.locate((*where, "repoURL")),
                CHECK,
                f"{data['kind']} {name} reads {url}, outside the air gap: this tree was "
                f"rendered to fetch only from {git} and {registry}",
                field=".".join(str(p) for p in (*where, "repoURL")),
                hint="mirror the repository to the internal server and point repoURL there",
            )


def _images(
    document: LocatedDocument, registry: str, mirrored: frozenset[str]
) -> Iterator[Finding]:
    internal = registry.split("/", 1)[0]
    for where, reference in _image_references(document.data, ()):
        host = image_registry(reference)
        if host == internal or host in mirrored:
            continue
        yield Finding(
            document.locate(where),
            CHECK,
            f"image {reference} is on {host}, which the nodes do not mirror through "
            f"{registry}: behind the air gap the pull fails",
            field=".".join(str(p) for p in where),
            hint=f"push the image to {registry} and reference it there, or mirror {host}",
        )


def _image_references(
    data: Any, at: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, reference) of every image reference in ``data``."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _image_references(item, (*at, index))
        return
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        where = (*at, key)
        if isinstance(key, str) and key.lower().endswith("image"):
            if isinstance(value, str) and _looks_like_image(value):
                yield where, value
                continue
            if isinstance(value, Mapping) and isinstance(value.get("repository"), str):
                yield from _split_image(value, where)
                continue
        yield from _image_references(value, where)


def _split_image(
    value: Mapping[str, Any], where: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """A chart's ``image: {registry, repository, tag}`` as one reference."""
    repository = str(value["repository"])
    registry = value.get("registry")
    if isinstance(registry, str) and registry:
        yield (*where, "registry"), f"{registry}/{repository}"
    elif repository:
        yield (*where, "repository"), repository


def _looks_like_image(value: str) -> bool:
    """Whether a string under an ``image`` key is a reference (not a policy like ``Always``)."""
    return bool(value) and " " not in value and ("/" in value or ":" in value)
