"""Top-level sections of a spec's text, for tests that build their own on an example."""

from __future__ import annotations

MESH_AND_APIS = ("mesh", "services", "apis")


def without_sections(text: str, *keys: str) -> str:
    """``text`` without the top-level sections ``keys``: each from its key to the next top-level
    key (comment and blank lines go with the section they follow)."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    dropping = False
    for line in lines:
        top = line[:1] not in (" ", "\t", "\n", "#", "")
        if top:
            dropping = line.split(":", 1)[0] in keys
        if not dropping:
            kept.append(line)
    return "".join(kept)


def without_mesh_and_apis(text: str) -> str:
    """``text`` without its ``mesh``, ``services`` and ``apis`` sections."""
    stripped = without_sections(text, *MESH_AND_APIS)
    assert all(f"\n{key}:" not in stripped for key in MESH_AND_APIS), "a section was left"
    return stripped
