"""What every model of the spec shares: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""A DNS label (RFC 1123) as Kubernetes names most objects; the length is capped apart."""


class SpecModel(BaseModel):
    """The base of every spec model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def refuse_duplicates(names: list[str], what: str) -> None:
    """Raise ``ValueError`` naming the first name given twice (for a field validator)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is given twice")
        seen.add(name)


def refuse_outside_folder(path: str) -> str:
    """``path`` when it stays inside the spec file's folder, else ``ValueError``.

    For a field validator of a file the spec names relative to its own folder: no
    absolute path, no drive, no ``..`` segment.
    """
    parts = path.replace("\\", "/").split("/")
    if path.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise ValueError(
            f"{path!r} must be a path relative to the spec file's folder, inside it "
            "(no leading / and no ..)"
        )
    return path
