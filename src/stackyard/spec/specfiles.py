"""Files a spec names beside itself: where they may live, and CA certificates in them.

A spec names some inputs by a path relative to its own folder (an API's OpenAPI document,
a directory's CA certificate). Each is read as hostile input the same way: the path must
stay inside the spec's folder once symbolic links are resolved, so a spec from an
untrusted repository cannot make Stackyard read ``/etc/shadow`` or put it into a render.

A signing key file must hold exactly one ``PUBLIC KEY`` PEM block that the cryptography
library loads as an ECDSA, RSA or Ed25519 public key (what Cosign signs with), and no
other block: it is rendered into the repository, so a private key must never get in.

A CA file must hold at least one ``CERTIFICATE`` PEM block, each of which OpenSSL loads as
a trust anchor (:meth:`ssl.SSLContext.load_verify_locations`, the parser the TLS clients
use), and no other PEM block: a ``PRIVATE KEY`` block would put a secret into the rendered
repository. Text around the blocks (``openssl x509 -text`` output, "Bag Attributes") is
allowed and dropped.
"""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from stackyard.errors import InputError
from stackyard.fsio.read import read_input_bytes
from stackyard.spec.text import shown

MAX_CA_BYTES = 256 * 1024
"""The largest CA file read (a bundle of a few hundred certificates)."""
MAX_KEY_BYTES = 16 * 1024
"""The largest public key file read (an RSA 8192 key in PEM is under 2 KiB)."""

_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n(?P<body>[A-Za-z0-9+/=\r\n]*?)"
    r"-----END (?P=label)-----"
)
_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_PEM_HINT = "give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)"


class RefusedFileError(Exception):
    """A file the spec names that cannot be used."""

    def __init__(self, message: str, hint: str = "") -> None:
        """``message`` names the file and what is wrong; ``hint`` says what to do."""
        super().__init__(message)
        self.hint = hint


def beside_spec(relative: str, folder: Path | None, what: str) -> str:
    """The real path of ``relative`` in the spec's ``folder``, refused when it leaves it.

    Args:
        relative: the path as the spec gives it.
        folder: the spec file's folder; None for a spec given as text.
        what: the kind of file in words ("an OpenAPI document"), for the messages.
    """
    if folder is None:
        raise RefusedFileError(
            f"{relative}: {what} is read relative to the spec file's folder, and this "
            "spec was not read from a file"
        )
    root = os.path.realpath(folder)
    real = os.path.realpath(folder / relative)
    if os.path.commonpath([root, real]) != root:
        raise RefusedFileError(
            f"{relative} resolves to {real}, outside the spec's folder {root}",
            f"keep {what} in the platform repository beside the spec",
        )
    return real


def read_public_key(relative: str, folder: Path | None) -> str:
    """The ``PUBLIC KEY`` block of the signing key file ``relative``, ending in a newline."""
    real = beside_spec(relative, folder, "the signing key")
    hint = "give the Cosign public key in PEM form (cosign.pub: -----BEGIN PUBLIC KEY-----)"
    try:
        text = read_input_bytes(real, max_bytes=MAX_KEY_BYTES, what="the key file").decode("ascii")
    except InputError as e:
        raise RefusedFileError(f"{relative}: {e.problems[0].message}") from e
    except UnicodeDecodeError as e:
        raise RefusedFileError(
            f"{relative} is not a PEM file: byte {e.start} is not ASCII", hint
        ) from e
    labels = _BEGIN.findall(text)
    if any("PRIVATE KEY" in label for label in labels):
        raise RefusedFileError(
            f"{relative} holds a private key, which must never be committed",
            "give the public half only (cosign.pub), never cosign.key",
        )
    blocks = [m.group(0).replace("\r\n", "\n") for m in _BLOCK.finditer(text)]
    if labels != ["PUBLIC KEY"] or len(blocks) != 1:
        raise RefusedFileError(f"{relative} holds no single PEM public key", hint)
    try:
        key = load_pem_public_key(blocks[0].encode())
    except (ValueError, UnsupportedAlgorithm) as e:
        raise RefusedFileError(f"{relative}: the public key cannot be read ({e})", hint) from e
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise RefusedFileError(
            f"{relative}: a {type(key).__name__} cannot verify Cosign signatures",
            "Cosign signs with ECDSA, RSA or Ed25519 keys",
        )
    return f"{blocks[0]}\n"


def read_ca_certificates(relative: str, folder: Path | None) -> str:
    """The ``CERTIFICATE`` blocks of the CA file ``relative``, each ending in a newline."""
    real = beside_spec(relative, folder, "a CA file")
    try:
        raw = read_input_bytes(real, max_bytes=MAX_CA_BYTES, what="the CA file")
    except InputError as e:
        raise RefusedFileError(f"{relative}: {e.problems[0].message}") from e
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as e:
        raise RefusedFileError(
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
        raise RefusedFileError(
            f"{relative} holds a {others[0]} block besides certificates"
            + (": a private key must never be committed" if secret else ""),
            "keep only the CA certificate (-----BEGIN CERTIFICATE-----) in the file",
        )
    blocks = [m.group(0).replace("\r\n", "\n") for m in _BLOCK.finditer(text)]
    if not blocks or len(blocks) != text.count("-----BEGIN CERTIFICATE-----"):
        raise RefusedFileError(f"{relative} holds no complete PEM certificate", _PEM_HINT)
    for number, block in enumerate(blocks, start=1):
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=block)
        except ssl.SSLError as e:
            reason = shown(e.reason or str(e))
            raise RefusedFileError(
                f"{relative}: certificate {number} is not an X.509 certificate ({reason})",
                _PEM_HINT,
            ) from e
    return "".join(f"{block}\n" for block in blocks)
