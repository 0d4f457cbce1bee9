"""What every model of the spec shares: unknown keys are errors, values are frozen."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""A DNS label (RFC 1123) as Kubernetes names most objects; the length is capped apart."""

Edition = Literal["community", "standard", "enterprise"]
EDITIONS: tuple[Edition, ...] = ("community", "standard", "enterprise")

# Kubernetes label syntax: optional DNS-subdomain prefix, then a 63-character name.
_LABEL_NAME = re.compile(r"^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


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


def refuse_bad_labels(labels: dict[str, str]) -> dict[str, str]:
    """``labels`` when every key and value is a valid Kubernetes label, else ``ValueError``."""
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if prefix and (len(prefix) > 253 or not _DOMAIN_PREFIX.match(prefix)):
            raise ValueError(f"label key {key!r}: prefix must be a DNS subdomain")
        if not _LABEL_NAME.match(name):
            raise ValueError(f"label key {key!r} is not a valid Kubernetes label name")
        if value and not _LABEL_NAME.match(value):
            raise ValueError(f"label {key}={value!r}: value is not a valid label value")
    return labels
