"""Write a rendered tree to disk atomically, keeping the user's ``overrides/``.

Policy:

- The tree is written into a fresh sibling directory first; only when every file is
  on disk is it swapped in with two renames. A render that fails or is killed leaves
  the previous output untouched (at worst a stray ``.<name>.stackyard-*`` sibling).
- ``overrides/`` belongs to the user: it is moved, not copied, into the new tree
  unchanged, and a renderer that tries to write there is a bug.
- A directory is only ever replaced if it is empty or carries the marker file of an
  earlier render, so a typo in ``-o`` cannot wipe an unrelated folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from stackyard.render.tree import RenderedTree, RenderError, safe_relative_path

MARKER = ".stackyard-render"
OVERRIDES = "overrides"


def write_tree(tree: RenderedTree, output: Path, marker: str = "") -> None:
    """Replace ``output`` with ``tree``, preserving ``output/overrides``.

    Args:
        tree: the files to write.
        output: the directory to replace.
        marker: content of the marker file (render metadata that ``validate`` reads).

    Raises:
        RenderError: ``output`` is a non-empty directory Stackyard did not write, or a
            file; or the tree writes into ``overrides/``.
    """
    output = output.absolute()
    if output.exists() and not output.is_dir():
        raise RenderError(f"{output} exists and is not a directory")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).exists():
        raise RenderError(
            f"{output} is not empty and was not written by stackyard render; "
            "choose another output directory"
        )
    for path, _ in tree:
        if path == OVERRIDES or path.startswith(OVERRIDES + "/"):
            raise RenderError(f"refusing to write {path}: overrides/ belongs to the user")

    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.stackyard-new-", dir=output.parent))
    try:
        for path, text in tree:
            target = staging / safe_relative_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (staging / MARKER).write_text(marker or "{}\n", encoding="utf-8")
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, output: Path) -> None:
    if not output.exists():
        os.rename(staging, output)
        return
    user_overrides = output / OVERRIDES
    if user_overrides.exists():
        os.rename(user_overrides, staging / OVERRIDES)
    retired = Path(tempfile.mkdtemp(prefix=f".{output.name}.stackyard-old-", dir=output.parent))
    try:
        os.rename(output, retired / "tree")
    except OSError:
        if (staging / OVERRIDES).exists():  # put the user's files back before failing
            os.rename(staging / OVERRIDES, user_overrides)
        raise
    os.rename(staging, output)
    shutil.rmtree(retired, ignore_errors=True)
