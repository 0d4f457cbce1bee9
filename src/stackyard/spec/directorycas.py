"""The CA certificates the spec's directories name, read and checked when the spec loads.

A directory's ``tls.caFile`` is the PEM file of the CA that signed its server's
certificate, relative to the spec file's folder. Two things use it: ``stackyard identity
check`` verifies the server with it, and render puts it into Keycloak's truststore, so
that Keycloak's LDAP federation trusts the server too. Both read it from here.

A CA certificate is public, so it may be committed to Git beside the spec; a private key
may not. The file is read as hostile input, like an OpenAPI document, and must hold PEM
certificates only (:func:`stackyard.spec.specfiles.read_ca_certificates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stackyard.errors import Problem
from stackyard.spec.model import Platform
from stackyard.spec.specfiles import RefusedFileError, read_ca_certificates
from stackyard.yamlio import LocatedDocument


@dataclass(frozen=True)
class DirectoryCa:
    """One directory's CA file as read: where it is and its certificate blocks."""

    directory: str
    path: str
    pem: str
    """The file's ``CERTIFICATE`` blocks, each ending in a newline."""


def read_directory_cas(
    platform: Platform, document: LocatedDocument, folder: Path | None
) -> tuple[dict[str, DirectoryCa], list[Problem]]:
    """Read and check the CA file of every directory of ``platform`` that names one.

    Args:
        platform: the validated spec.
        document: the spec's document, to locate problems at each ``tls.caFile`` field.
        folder: the spec file's folder; None for a spec given as text.

    Returns:
        The CAs by directory name, and a problem for each directory whose CA file is
        missing, outside the spec's folder or not PEM certificates.
    """
    cas: dict[str, DirectoryCa] = {}
    problems: list[Problem] = []
    for index, directory in enumerate(platform.identity.directories):
        relative = directory.tls.caFile
        if relative is None:
            continue
        at = ("identity", "directories", index, "tls", "caFile")
        try:
            pem = read_ca_certificates(relative, folder)
        except RefusedFileError as e:
            field = f"identity.directories[{index}].tls.caFile"
            problems.append(Problem(document.locate(at), field, str(e), e.hint))
            continue
        cas[directory.name] = DirectoryCa(directory=directory.name, path=relative, pem=pem)
    return cas, problems
