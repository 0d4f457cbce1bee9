"""What Stackyard offers before there is a spec: the catalog, the spec's JSON Schema, a starter.

``catalog`` lists the components Stackyard can plan; ``schema`` is the JSON Schema of
platform.yaml (for editors, and the generated spec reference in ``docs/``); ``init``
writes a commented starter spec that plans without errors, and never overwrites a file
unless asked to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.app.results import Describes
from stackyard.catalog import Component, load_catalog
from stackyard.errors import InputError, Location, Problem
from stackyard.fsio.write import write_text
from stackyard.spec import Edition, Platform, Provider, load_spec_text
from stackyard.spec.starter import Topology, starter_spec
from stackyard.versioning import SCHEMA_HOST, schema_id

PLATFORM_SCHEMA_ID = f"https://{SCHEMA_HOST}/schemas/platform-v1alpha1.json"


def platform_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of platform.yaml.

    It is a schema, not a report: it carries ``$schema`` and ``$id`` rather than the
    ``"schema"`` field of Stackyard's JSON outputs.
    """
    schema = Platform.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": PLATFORM_SCHEMA_ID,
        **schema,
    }


@dataclass(frozen=True)
class CatalogListing(Describes):
    """Every component Stackyard can plan, in the catalog's order."""

    components: tuple[Component, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard catalog --output json``."""
        return {
            "schema": schema_id("catalog"),
            "components": [c.model_dump(mode="json") for c in self.components],
        }


def catalog() -> CatalogListing:
    """The catalog shipped with Stackyard.

    Raises:
        CatalogError: an entry breaks the catalog schema (a packaging bug).
    """
    return CatalogListing(tuple(load_catalog()))


@dataclass(frozen=True)
class Starter(Describes):
    """A starter spec, and the file it was written to (None: the shell prints it)."""

    text: str
    path: Path | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard init --output json``."""
        return {
            "schema": schema_id("starter"),
            "path": None if self.path is None else str(self.path),
            "text": self.text,
        }


def init(
    edition: Edition,
    provider: Provider,
    topology: Topology,
    destination: Path | None = None,
    *,
    force: bool = False,
) -> Starter:
    """A commented starter spec; written to ``destination`` when one is given.

    Raises:
        InputError: ``destination`` exists and ``force`` is not set, or cannot be written.
    """
    text = starter_spec(edition, provider, topology)
    load_spec_text(text, "<starter>")  # a starter that does not load is a bug: fail loudly
    if destination is None:
        return Starter(text, None)
    if os.path.lexists(destination) and not force:
        raise InputError(
            [Problem(Location(str(destination)), "", "exists", "pass --force to overwrite it")]
        )
    write_text(destination, text, option="FILE")
    return Starter(text, destination)
