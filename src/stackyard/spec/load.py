"""Read ``platform.yaml`` into a :class:`Platform`, or explain exactly what is wrong.

Every problem names file:line:column and the field, and where the user probably made
a typo (an unknown key, a value outside a fixed set) it names the nearest valid one
(:func:`stackyard.yamlio.models.validate_document`). All problems of a file are
reported together, so one run is enough to fix them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stackyard.errors import SpecError
from stackyard.spec.coherence import coherence_problems
from stackyard.spec.model import Platform
from stackyard.yamlio import (
    LocatedDocument,
    load_yaml_text,
    read_yaml_document,
    validate_document,
)

MAX_SPEC_BYTES = 1024 * 1024


@dataclass(frozen=True)
class LoadedSpec:
    """A valid platform spec and the document it came from (for locating findings)."""

    platform: Platform
    document: LocatedDocument

    @property
    def source(self) -> str:
        """The file the spec was read from."""
        return self.document.source


def load_spec(path: Path) -> LoadedSpec:
    """Load and validate a spec file.

    Raises:
        YamlError: the file is not safe, readable YAML.
        SpecError: the YAML does not describe a valid platform.
    """
    return validate_spec(read_yaml_document(path, max_bytes=MAX_SPEC_BYTES, what="the spec"))


def load_spec_text(text: str, source: str = "<text>") -> LoadedSpec:
    """Load and validate a spec given as text (used by ``init`` to check its own output)."""
    return validate_spec(load_yaml_text(text, source))


def validate_spec(document: LocatedDocument) -> LoadedSpec:
    """Validate an already loaded document against the spec model."""
    platform = validate_document(Platform, document, error=SpecError)
    problems = coherence_problems(platform, document)
    if problems:
        raise SpecError(problems)
    return LoadedSpec(platform=platform, document=document)
