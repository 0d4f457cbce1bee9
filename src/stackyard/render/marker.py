"""The render marker: for which platform a tree was rendered, and which files are Stackyard's.

``.stackyard-render`` (JSON, sorted keys, no clock: a re-render of the same spec writes
the same bytes) sits at the top of every rendered tree. ``validate`` reads its metadata
(Kubernetes version, repository path); ``render`` reads its file list to know what it
may replace or delete — everything else in the folder belongs to someone else. Format::

    {"format": 2, "renderedBy": "stackyard 0.1.0", "platform": "…", "edition": "…",
     "kubernetesVersion": "1.35", "repoURL": "…", "revision": "main", "path": ".",
     "specDigest": "sha256:…", "files": {"README.md": "<sha256 of the file>", …}}

Markers of earlier versions carry no ``format`` and no ``files``; they are read as
metadata only. A marker is input like any other: a damaged or edited one (bad JSON, a
path leaving the tree, a path into ``.git`` or ``overrides/``) is an ``InputError``
naming the marker, never a crash and never a licence to touch a file outside the tree.

The journal ``.stackyard-render.pending`` lists every file a render in progress may
touch (the old marker's and the new tree's), each with the SHA-256 of the content the
render means to leave there; it exists only while a render runs, so a render killed
half-way leaves the next one a complete list of what may be Stackyard's. A listed file
counts as Stackyard's only if its content is what the journal or the old marker says:
a file ``--force`` was about to adopt but never reached is still the user's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackyard import __version__
from stackyard.errors import InputError, Location, Problem, StackyardError
from stackyard.fsio.read import file_kind, read_input_bytes
from stackyard.render.metadata import METADATA_KEYS, RenderMetadata
from stackyard.render.tree import safe_relative_path
from stackyard.spec.model import EDITIONS, KUBERNETES_VERSION

MARKER = ".stackyard-render"
JOURNAL = ".stackyard-render.pending"
LOCK = ".stackyard-render.lock"
OVERRIDES = "overrides"
RESERVED = frozenset({MARKER, JOURNAL, LOCK})
FORMAT = 2
# A marker lists every file of a tree; 200 clusters need well under 2 MiB. Every
# render reads it whole, so a padded one must not cost seconds per render.
MAX_MARKER_BYTES = 8 * 1024 * 1024
MAX_FIELD_CHARS = 4096
"""Longest metadata value: URLs, paths and names, not documents."""
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def sha256_text(text: str) -> str:
    """The hex SHA-256 of ``text`` as written (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RenderMarker:
    """A parsed marker: metadata and the files Stackyard wrote (path -> SHA-256)."""

    metadata: RenderMetadata
    files: Mapping[str, str] = field(default_factory=dict)
    lists_files: bool = True  # False for the marker of an earlier version

    def text(self) -> str:
        """The marker file's content (deterministic)."""
        data: dict[str, Any] = {"format": FORMAT, **self.metadata.as_dict()}
        data["files"] = dict(sorted(self.files.items()))
        return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _damaged(source: str, field_name: str, message: str) -> InputError:
    hint = "restore it from Git, or delete it and render with --force"
    return InputError([Problem(Location(source), field_name, message, hint)])


def owned_path(path: object, source: str, field_name: str) -> str:
    """``path`` from a marker or journal, checked to be a file Stackyard may own.

    Raises:
        InputError: not a file name this system can hold, not a safe relative path,
            or inside ``.git`` or ``overrides/``, or one of the marker's own files.
    """
    if not isinstance(path, str):
        raise _damaged(source, field_name, f"{path!r} is not a path")
    try:  # JSON can spell a lone surrogate ("\ud800") that no file name can hold
        os.fsencode(path)
    except UnicodeError as e:
        raise _damaged(source, field_name, f"{path!r} is not a file name") from e
    try:
        safe_relative_path(path)
    except StackyardError as e:
        raise _damaged(source, field_name, f"{path!r} is not a path inside the tree") from e
    parts = path.split("/")
    if ".git" in parts or parts[0] == OVERRIDES or path in RESERVED:
        raise _damaged(source, field_name, f"{path!r} can never be a rendered file")
    return path


def _load_json(data: bytes, source: str) -> dict[str, Any]:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _damaged(source, "", f"is not valid JSON ({type(e).__name__})") from e
    if not isinstance(parsed, dict):
        raise _damaged(source, "", "is not a JSON object")
    return parsed


def parse_marker(data: bytes, source: str) -> RenderMarker:
    """Parse a marker file's bytes.

    Raises:
        InputError: damaged or edited beyond what Stackyard writes.
    """
    parsed = _load_json(data, source)
    metadata = _metadata(parsed, source)
    if "format" not in parsed and "files" not in parsed:
        return RenderMarker(metadata, {}, lists_files=False)
    if parsed.get("format") != FORMAT:
        raise _damaged(source, "format", f"must be {FORMAT} (this is stackyard {__version__})")
    files = parsed.get("files")
    if not isinstance(files, dict):
        raise _damaged(source, "files", "must map each rendered file to its SHA-256")
    checked: dict[str, str] = {}
    for path, digest in files.items():
        owned_path(path, source, "files")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise _damaged(source, "files", f"{path!r} has no SHA-256")
        checked[path] = digest
    return RenderMarker(metadata, checked)


def _metadata(parsed: Mapping[str, Any], source: str) -> RenderMetadata:
    """The metadata fields of a parsed marker, each checked to be what render writes."""
    values: dict[str, str] = {}
    for key, name in METADATA_KEYS.items():
        value = parsed.get(key, "")
        if not isinstance(value, str):
            raise _damaged(source, key, f"must be a string, not {_json_type(value)}")
        if len(value) > MAX_FIELD_CHARS:
            raise _damaged(source, key, f"is longer than {MAX_FIELD_CHARS} characters")
        if "\x00" in value or not _is_text(value):
            raise _damaged(source, key, "must be text (no NUL, no lone surrogate)")
        values[name] = value
    # What the spec accepts: markers written before versions were normalised keep a "v".
    if values["kubernetes_version"] and not KUBERNETES_VERSION.fullmatch(
        values["kubernetes_version"]
    ):
        raise _damaged(source, "kubernetesVersion", "must be a version such as 1.35")
    if values["edition"] and values["edition"] not in EDITIONS:
        raise _damaged(source, "edition", f"must be one of {', '.join(EDITIONS)}")
    if values["spec_digest"] and not _DIGEST.fullmatch(values["spec_digest"]):
        raise _damaged(source, "specDigest", "must be sha256: and 64 hex digits")
    parts = values["path"].replace("\\", "/").split("/")
    if values["path"].startswith("/") or ".." in parts:  # the spec's own rule for gitops.path
        raise _damaged(source, "path", "must stay inside the repository (no leading / or ..)")
    return RenderMetadata(**values)


def _is_text(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (JSON can spell a lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_type(value: object) -> str:
    """What JSON calls the type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"


def parse_journal(data: bytes, source: str) -> dict[str, str]:
    """What a killed render listed as possibly its own: path -> SHA-256 it meant to leave.

    The digest is of the content the render was about to write (or the old marker's,
    for a file it was about to delete); a journal of an earlier version lists paths
    only, read with an empty digest that no file matches.

    Raises:
        InputError: damaged or edited.
    """
    files = _load_json(data, source).get("files")
    if isinstance(files, list):
        return {owned_path(path, source, "files"): "" for path in files}
    if not isinstance(files, dict):
        raise _damaged(source, "files", "must map paths to SHA-256 digests")
    checked: dict[str, str] = {}
    for path, digest in files.items():
        owned_path(path, source, "files")
        if not isinstance(digest, str) or not (digest == "" or _SHA256.fullmatch(digest)):
            raise _damaged(source, "files", f"{path!r} has no SHA-256")
        checked[path] = digest
    return checked


def journal_text(files: Mapping[str, str]) -> str:
    """The journal's content for ``files`` (path -> SHA-256 of the content meant)."""
    return json.dumps({"format": FORMAT, "files": dict(sorted(files.items()))}, indent=1) + "\n"


def _read(folder: Path, name: str) -> bytes | None:
    """The bytes of the marker or journal ``name``; None when there is none.

    Only a regular file is read: a symbolic link there (to another tree's marker, or a
    file listing paths elsewhere) would hand ownership of files to whoever planted it.
    """
    path = folder / name
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _damaged(str(path), "", f"cannot be examined: {e.strerror or e}") from e
    if not stat.S_ISREG(status.st_mode):
        kind = file_kind(status.st_mode)
        raise _damaged(str(path), "", f"is {kind}; it must be a regular file stackyard wrote")
    return read_input_bytes(path, max_bytes=MAX_MARKER_BYTES, what="the render marker")


def read_marker(folder: Path) -> RenderMarker | None:
    """The marker of the tree at ``folder``, or None when it has none.

    Raises:
        InputError: the marker is unreadable, not a regular file, or damaged.
    """
    data = _read(folder, MARKER)
    return None if data is None else parse_marker(data, str(folder / MARKER))


def read_journal(folder: Path) -> dict[str, str]:
    """An interrupted render's journal: path -> SHA-256 meant (empty when none).

    Raises:
        InputError: the journal is unreadable or damaged.
    """
    data = _read(folder, JOURNAL)
    return {} if data is None else parse_journal(data, str(folder / JOURNAL))
