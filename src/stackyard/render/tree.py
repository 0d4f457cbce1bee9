"""An in-memory output tree: relative POSIX paths to file contents.

Rendering builds the whole tree in memory before anything touches the disk, so a
failure can never leave half a repository behind (see ``write``). Every path is
checked here, once: relative, normalised, no ``..``, no absolute or hidden tricks,
so no spec value can make a file land outside the output directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from stackyard.errors import StackyardError
from stackyard.render.metadata import RenderMetadata
from stackyard.render.settings import RenderSettings
from stackyard.render.yamlout import dump_documents

Manifest = dict[str, Any]


class RenderError(StackyardError):
    """Rendering produced something unsafe or inconsistent (a bug or hostile input)."""


def safe_relative_path(path: str) -> PurePosixPath:
    """``path`` as a relative POSIX path that cannot leave its root.

    Raises:
        RenderError: absolute, empty, with ``..`` or backslashes, or not normalised.
    """
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or "\x00" in path
        or pure.is_absolute()
        or any(part in ("..", ".", "") for part in path.split("/"))
    ):
        raise RenderError(f"unsafe output path {path!r}")
    return pure


@dataclass
class RenderedTree:
    """Files to write, by relative path; each path may be written once."""

    files: dict[str, str] = field(default_factory=dict)
    settings: RenderSettings = field(default_factory=RenderSettings, compare=False, repr=False)
    """The run-time settings written into ``files``, with their file and line."""
    metadata: RenderMetadata = field(default_factory=RenderMetadata, compare=False)
    """What the files were rendered for, as the marker records it."""

    def add_text(self, path: str, text: str) -> None:
        """Add a text file.

        Raises:
            RenderError: the path is unsafe or already taken.
        """
        key = str(safe_relative_path(path))
        if key in self.files:
            raise RenderError(f"two renderers write {key}")
        self.files[key] = text if text.endswith("\n") else text + "\n"

    def add_manifests(self, path: str, manifests: list[Manifest], header: str = "") -> None:
        """Add a multi-document YAML file of Kubernetes objects."""
        self.add_text(path, dump_documents(manifests, header))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(sorted(self.files.items()))

    def __len__(self) -> int:
        return len(self.files)
