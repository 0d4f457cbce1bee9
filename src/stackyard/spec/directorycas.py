"""The CA certificates the spec's directories name, read and checked when the spec loads.

A directory's ``tls.caFile`` is the PEM file of the CA that signed its server's
certificate, relative to the spec file's folder. Two things use it: ``stackyard identity
check`` verifies the server with it, and render puts it into Keycloak's truststore, so
that Keycloak's LDAP federation trusts the server too. Both read it from here.

A CA certificate is public, so it may be committed to Git beside the spec; a private key
may not. The file is read as hostile input, like an OpenAPI document:

- the path must stay inside the spec's folder once symbolic links are resolved;
- only a regular file of at most :data:`MAX_CA_BYTES` is read (``stackyard.fsio``);
- it must hold at least one ``CERTIFICATE`` PEM block, each of which OpenSSL loads as a
  trust anchor (:meth:`ssl.SSLContext.load_verify_locations`, the same parser ``identity
  check`` uses), and no other PEM block: a ``PRIVATE KEY`` block would put a secret into
  the rendered repository.

Text around the blocks (``openssl x509 -text`` output, "Bag Attributes") is allowed and
dropped: what is kept is the certificate blocks, one after the other.
"""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from stackyard.errors import InputError, Problem
from stackyard.fsio.read import read_input_bytes
from stackyard.spec.model import Platform
from stackyard.spec.text import shown
from stackyard.yamlio import LocatedDocument

MAX_CA_BYTES = 256 * 1024
"""The largest CA file read (a bundle of a few hundred certificates)."""

_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n(?P<body>[A-Za-z0-9+/=\r\n]*?)"
    r"-----END (?P=label)-----"
)
_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


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
            pem = _read(relative, folder)
        except _RefusedError as e:
            field = f"identity.directories[{index}].tls.caFile"
            problems.append(Problem(document.locate(at), field, str(e), e.hint))
            continue
        cas[directory.name] = DirectoryCa(directory=directory.name, path=relative, pem=pem)
    return cas, problems


class _RefusedError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


_PEM_HINT = "give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)"


def _read(relative: str, folder: Path | None) -> str:
    if folder is None:
        raise _RefusedError(
            f"{relative}: a CA file is read relative to the spec file's folder, and this "
            "spec was not read from a file"
        )
    root = os.path.realpath(folder)
    real = os.path.realpath(folder / relative)
    if os.path.commonpath([root, real]) != root:
        raise _RefusedError(
            f"{relative} resolves to {real}, outside the spec's folder {root}",
            "keep the CA file in the platform repository beside the spec",
        )
    try:
        raw = read_input_bytes(real, max_bytes=MAX_CA_BYTES, what="the CA file")
    except InputError as e:
        raise _RefusedError(f"{relative}: {e.problems[0].message}") from e
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as e:
        raise _RefusedError(
            f"{relative} is not a PEM file: byte {e.start} is not ASCII (DER or PKCS#12?)",
            _PEM_HINT,
        ) from e
    return _certificates(relative, text)


def _certificates(relative: str, text: str) -> str:
    """The file's certificate blocks, each checked by OpenSSL."""
    labels = set(_BEGIN.findall(text))
    others = sorted(labels - {"CERTIFICATE"})
    if others:
        secret = any("PRIVATE KEY" in label for label in others)
        raise _RefusedError(
            f"{relative} holds a {others[0]} block besides certificates"
            + (": a private key must never be committed" if secret else ""),
            "keep only the CA certificate (-----BEGIN CERTIFICATE-----) in the file",
        )
    blocks = [m.group(0).replace("\r\n", "\n") for m in _BLOCK.finditer(text)]
    if not blocks or len(blocks) != text.count("-----BEGIN CERTIFICATE-----"):
        raise _RefusedError(f"{relative} holds no complete PEM certificate", _PEM_HINT)
    for number, block in enumerate(blocks, start=1):
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=block)
        except ssl.SSLError as e:
            reason = shown(e.reason or str(e))
            raise _RefusedError(
                f"{relative}: certificate {number} is not an X.509 certificate ({reason})",
                _PEM_HINT,
            ) from e
    return "".join(f"{block}\n" for block in blocks)
