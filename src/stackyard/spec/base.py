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
