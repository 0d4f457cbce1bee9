"""The container images a rendered tree names itself, and the normal form of a reference.

A rendered tree names images in two places a reader can see without running Helm: the
static manifests (a CronJob's ``containers``) and the chart values Stackyard writes (an
``initContainers`` list in ``values/``). Both are found the same way: every list under a
``containers``, ``initContainers`` or ``ephemeralContainers`` key whose items have an
``image`` string. Images a chart's own templates add appear only once the chart is
hydrated with its values, which this module does not do.

References are compared in their normal form (``nginx`` is
``docker.io/library/nginx:latest``), as container runtimes resolve them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stackyard.yamlio import load_yaml_documents, read_text_file

CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
DEFAULT_REGISTRY = "docker.io"


def rendered_images(rendered: Path) -> tuple[str, ...]:
    """Every image the tree's YAML files name in a container list, normalized and sorted.

    Raises:
        YamlError: a YAML file of the tree that cannot be read or parsed.
    """
    return tuple(sorted(rendered_image_files(rendered)))


def rendered_image_files(rendered: Path) -> dict[str, tuple[str, ...]]:
    """Each image the tree's YAML files name (normalized), with the files naming it.

    Files are relative to ``rendered``, ``/``-separated and sorted.

    Raises:
        YamlError: a YAML file of the tree that cannot be read or parsed.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(rendered.rglob("*.y*ml")):
        relative = path.relative_to(rendered)
        if ".git" in relative.parts or path.suffix not in {".yaml", ".yml"}:
            continue
        for document in load_yaml_documents(read_text_file(path), str(path)):
            for image in _images(document.data):
                found.setdefault(normalize(image), set()).add(relative.as_posix())
    return {image: tuple(sorted(files)) for image, files in sorted(found.items())}


def normalize(reference: str) -> str:
    """A reference as a runtime resolves it: registry host, ``library/`` and tag filled in."""
    name, at, digest = reference.partition("@")
    first, slash, rest = name.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        first, rest = DEFAULT_REGISTRY, name
    if first == DEFAULT_REGISTRY and "/" not in rest:
        rest = f"library/{rest}"
    if not at and ":" not in rest.rsplit("/", 1)[-1]:
        rest = f"{rest}:latest"
    return f"{first}/{rest}{at}{digest}"


def _images(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and isinstance(item.get("image"), str):
                        yield item["image"]
            yield from _images(value)
    elif isinstance(node, list):
        for item in node:
            yield from _images(item)
