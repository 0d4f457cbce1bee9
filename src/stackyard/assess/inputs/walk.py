"""Find the files of a repository worth reading, safely, one at a time.

Policy for strangers' trees:

- walk with ``os.scandir`` in sorted order (deterministic reports), yielding files as
  they are found so memory does not grow with the tree;
- never leave the root: a symlink is followed only when its target is inside the root,
  and a directory reached twice (a symlink loop, or a link to a parent) is walked once;
- skip what is not the platform's own code: version control metadata always, and
  what the exclude rules leave out (by default vendored dependencies and test
  fixtures, ``stackyard.assess.inputs.exclude``), each with a notice and recorded by
  rule;
- classify each file by name; files of no interest are counted, never opened;
- open regular files only: a FIFO, device or socket with an interesting name (a device
  called ``zero.yaml``) is skipped with a notice, never opened (``stackyard.fsio``);
- read text only: files over the size cap (counted while reading, not taken from the
  size the file announces), with a NUL byte (binary), or not UTF-8 are skipped with a
  notice.

In each directory ``Chart.yaml`` is yielded first, so a chart's values files are
known to belong to it when they are read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from stackyard.assess.inputs.exclude import ALWAYS_SKIPPED, Exclusions, notice_text
from stackyard.assess.inputs.templating import is_jinja_file
from stackyard.assess.model import Notice
from stackyard.fsio import file_kind, read_tree_file

MAX_FILE_BYTES = 4 * 1024 * 1024

FileKind = Literal["yaml", "json", "terraform", "packer", "script", "ci"]

_SCRIPT_SUFFIXES = (
    ".sh",
    ".bash",
    ".tpl",
    ".tftpl",
    ".tmpl",
    ".j2",
    ".cfg",
    ".service",
    ".just",  # just recipes (justfile, mod.just) run talosctl, kubeadm, flux...
)
_CI_NAMES = frozenset(
    {
        ".gitlab-ci.yml",
        "jenkinsfile",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        ".drone.yml",
        ".woodpecker.yml",
        ".woodpecker.yaml",
        "cloudbuild.yaml",
        "buildspec.yml",
    }
)


@dataclass(frozen=True)
class SourceFile:
    """A file to read: its real path, its path relative to the root (POSIX), its kind."""

    path: str
    relative: str
    kind: FileKind
    size: int


def _runs_here(parts: list[str], folder: str = ".github") -> bool:
    """Whether a workflow under ``folder`` is one this repository runs.

    GitHub runs the workflows of ``.github/workflows`` at the repository's root only
    (https://docs.github.com/en/actions/writing-workflows/about-workflows), and so do
    Woodpecker (``.woodpecker/``), Gitea and Forgejo; a copy deeper in the tree (a
    generated application kept as an example, a Backstage skeleton for new services)
    never runs. A template project's folder (``{{cookiecutter.project_slug}}/``)
    becomes a repository's root once generated, so its workflows are the platform's.
    """
    top = parts.index(folder)
    return all("{{" in part for part in parts[:top])


def _in_ci_folder(parts: list[str]) -> bool:
    """A workflow folder of a CI system that reads every YAML file in it.

    Woodpecker runs each file of ``.woodpecker/`` as a workflow
    (https://woodpecker-ci.org/docs/usage/workflows); Gitea and Forgejo Actions read
    ``.gitea/workflows`` and ``.forgejo/workflows`` as GitHub Actions reads its own
    (https://forgejo.org/docs/latest/user/actions/).
    """
    folders = parts[:-1]
    if ".woodpecker" in folders:
        return _runs_here(parts, ".woodpecker")
    return any(
        folders[i] in (".gitea", ".forgejo")
        and folders[i + 1] == "workflows"
        and _runs_here(parts, folders[i])
        for i in range(len(folders) - 1)
    )


def classify(relative: str) -> FileKind | None:
    """What kind of input a file is, from its path alone (None: not read)."""
    parts = relative.lower().split("/")
    name = parts[-1]
    if name in _CI_NAMES or name.endswith(".gitlab-ci.yml"):
        return "ci"
    if ".github" in parts and "workflows" in parts and name.endswith((".yml", ".yaml")):
        return "ci" if _runs_here(parts) else None
    if ".circleci" in parts and name == "config.yml":
        return "ci"
    if _in_ci_folder(parts) and name.endswith((".yml", ".yaml")):
        return "ci"
    if name in ("atlantis.yaml", "atlantis.yml") or (
        name == "repos.yaml" and "atlantis" in relative.lower()
    ):
        return "ci"
    if name.endswith((".pkr.hcl", ".pkr.json")):
        return "packer"
    if name.endswith(".tf"):
        return "terraform"
    if name.endswith((".yaml", ".yml")) or is_jinja_file(name):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith(_SCRIPT_SUFFIXES) or name in (
        "makefile",
        "justfile",
        "user-data",
        "user_data",
    ):
        return "script"
    return None


def walk(
    root: Path, notices: list[Notice], exclusions: Exclusions | None = None
) -> Iterator[SourceFile]:
    """Yield the files under ``root`` worth reading; append a notice for each skip.

    Args:
        root: the folder to walk.
        notices: receives a notice for each path skipped.
        exclusions: the exclude rules, which also record what they left out (None: the
            default rules).
    """
    exclusions = Exclusions() if exclusions is None else exclusions
    real_root = os.path.realpath(root)
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, str]] = [(real_root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            info = os.stat(directory)
        except OSError as e:
            notices.append(Notice(prefix or ".", f"cannot read folder: {e.strerror or e}"))
            continue
        if (info.st_dev, info.st_ino) in seen:
            notices.append(Notice(prefix or ".", "folder reached twice (symlink loop): skipped"))
            continue
        seen.add((info.st_dev, info.st_ino))
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=_order)
        except OSError as e:
            notices.append(Notice(prefix or ".", f"cannot list folder: {e.strerror or e}"))
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            relative = f"{prefix}/{entry.name}" if prefix else entry.name
            target = _target(entry, real_root, relative, notices)
            if target is None:
                continue
            path, is_dir = target
            if is_dir and entry.name in ALWAYS_SKIPPED:
                continue
            kind = None if is_dir else classify(relative)
            if (is_dir or kind is not None) and (rule := exclusions.match(relative, is_dir)):
                notices.append(Notice(relative, notice_text(rule)))
                continue
            if is_dir:
                subdirs.append((path, relative))
                continue
            if kind is None:
                continue
            mode, size = _status(entry, path)
            if not stat.S_ISREG(mode):
                notices.append(Notice(relative, f"{file_kind(mode)}, not a regular file: skipped"))
                continue
            if size > MAX_FILE_BYTES:
                notices.append(
                    Notice(
                        relative, f"file is {size} bytes, over the {MAX_FILE_BYTES} cap: skipped"
                    )
                )
                continue
            yield SourceFile(path, relative, kind, size)
        stack.extend(reversed(subdirs))


def read_text(source: SourceFile, notices: list[Notice]) -> str | None:
    """The file's text, or None (with a notice) when it is binary, not UTF-8 or unreadable."""
    raw = read_tree_file(source.path, max_bytes=MAX_FILE_BYTES)
    if isinstance(raw, str):  # why it was not read
        notices.append(Notice(source.relative, raw.removesuffix("; skipped") + ": skipped"))
        return None
    if b"\x00" in raw[:8192]:
        notices.append(Notice(source.relative, "binary file (NUL byte): skipped"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        notices.append(Notice(source.relative, f"not UTF-8 text (line {line}): skipped"))
        return None


def _order(entry: os.DirEntry[str]) -> tuple[int, str]:
    return (0 if entry.name == "Chart.yaml" else 1, entry.name)


def _target(
    entry: os.DirEntry[str], root: str, relative: str, notices: list[Notice]
) -> tuple[str, bool] | None:
    """The real path of an entry and whether it is a folder; None to skip it."""
    try:
        if not entry.is_symlink():
            return entry.path, entry.is_dir(follow_symlinks=False)
        resolved = str(Path(entry.path).resolve(strict=True))
    except (OSError, RuntimeError):
        notices.append(Notice(relative, "broken or looping symlink: skipped"))
        return None
    if resolved != root and not resolved.startswith(root.rstrip(os.sep) + os.sep):
        notices.append(Notice(relative, "symlink points outside the repository: skipped"))
        return None
    return resolved, os.path.isdir(resolved)


def _status(entry: os.DirEntry[str], path: str) -> tuple[int, int]:
    """The file's mode and size (a symlink's target's); a regular file of 0 when unknown.

    When the status cannot be read, reading the file says why, in a notice.
    """
    try:
        status = entry.stat() if path == entry.path else os.stat(path)
    except OSError:
        return stat.S_IFREG, 0
    return status.st_mode, status.st_size
