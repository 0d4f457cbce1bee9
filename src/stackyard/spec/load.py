"""Read ``platform.yaml`` into a :class:`Platform`, or explain exactly what is wrong.

Every problem names file:line:column and the field, and where the user probably made
a typo (an unknown key, a value outside a fixed set) it names the nearest valid one
(:func:`stackyard.yamlio.models.validate_document`). All problems of a file are
reported together, so one run is enough to fix them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stackyard.errors import Problem, SpecError
from stackyard.spec.airgap import read_airgap_ca
from stackyard.spec.coherence import coherence_problems
from stackyard.spec.directorycas import DirectoryCa, read_directory_cas
from stackyard.spec.model import Platform
from stackyard.spec.openapi import OpenApiDocument, read_openapi_documents
from stackyard.spec.specfiles import RefusedFileError, read_public_key
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
    openapi: Mapping[str, OpenApiDocument] = field(default_factory=dict)
    """Each API's OpenAPI document, read and checked, by API name."""
    directory_cas: Mapping[str, DirectoryCa] = field(default_factory=dict)
    """Each directory's CA certificates (``tls.caFile``), read and checked, by directory."""
    airgap_ca: str | None = None
    """The internal registry's and Git server's CA certificates (``airgap.caFile``)."""
    signing_key: str | None = None
    """The Cosign public key of ``policy.signingKey``, one PEM block."""

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
    document = read_yaml_document(path, max_bytes=MAX_SPEC_BYTES, what="the spec")
    return validate_spec(document, folder=path.parent)


def load_spec_text(text: str, source: str = "<text>", folder: Path | None = None) -> LoadedSpec:
    """Load and validate a spec given as text (used by ``init`` to check its own output).

    Args:
        text: the spec.
        source: the name problems are located in.
        folder: the folder the APIs' OpenAPI paths and the directories' CA files are
            relative to, if any.
    """
    return validate_spec(load_yaml_text(text, source), folder)


def validate_spec(document: LocatedDocument, folder: Path | None = None) -> LoadedSpec:
    """Validate an already loaded document against the spec model.

    Args:
        document: the spec as loaded.
        folder: the spec file's folder, which the APIs' OpenAPI paths and the directories'
            CA files are relative to; None for a spec given as text (then it may declare
            no API and no CA file).
    """
    platform = validate_document(Platform, document, error=SpecError)
    problems = coherence_problems(platform, document)
    openapi, unreadable = read_openapi_documents(platform, document, folder)
    cas, bad_cas = read_directory_cas(platform, document, folder)
    airgap_ca, bad_airgap_ca = read_airgap_ca(platform.airgap, document, folder)
    signing_key, bad_key = _signing_key(platform, document, folder)
    if problems or unreadable or bad_cas or bad_airgap_ca or bad_key:
        raise SpecError(problems + unreadable + bad_cas + bad_airgap_ca + bad_key)
    return LoadedSpec(
        platform=platform,
        document=document,
        openapi=openapi,
        directory_cas=cas,
        airgap_ca=airgap_ca,
        signing_key=signing_key,
    )


def _signing_key(
    platform: Platform, document: LocatedDocument, folder: Path | None
) -> tuple[str | None, list[Problem]]:
    """The public key of ``policy.signingKey``, or the problem that keeps it out."""
    if platform.policy.signingKey is None:
        return None, []
    try:
        return read_public_key(platform.policy.signingKey, folder), []
    except RefusedFileError as e:
        at = document.locate(("policy", "signingKey"))
        return None, [Problem(at, "policy.signingKey", str(e), e.hint)]
