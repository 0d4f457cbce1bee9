"""Ed25519 signatures over a bundle's manifest, through the ``cryptography`` library.

The manifest names every blob by digest, so one signature over its exact bytes vouches
for the whole bundle. Keys are PEM files: the private key (PKCS#8, unencrypted, written
readable by its owner only) signs, the public key (SubjectPublicKeyInfo) verifies. A
private key is never printed or logged; only its public half and fingerprint are shown.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stackyard.errors import InputError, Location, Problem


def _refuse(path: Path, option: str, message: str) -> InputError:
    return InputError([Problem(Location(str(path)), option, message)])


def generate_keys(private: Path, public: Path) -> str:
    """Write a new key pair, never over an existing file; return the public fingerprint."""
    for path in (private, public):
        if path.exists():
            raise _refuse(path, "", "already exists; a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    public.write_bytes(_public_pem(key.public_key()))
    return fingerprint(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an unencrypted Ed25519 private key from PEM."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as e:
        raise _refuse(path, "--key", f"cannot be read: {e.strerror}") from e
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise _refuse(path, "--key", "is not an unencrypted PEM private key") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise _refuse(path, "--key", "is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as e:
        raise _refuse(path, "--key", f"cannot be read: {e.strerror}") from e
    except (ValueError, UnsupportedAlgorithm) as e:
        raise _refuse(path, "--key", "is not a PEM public key") from e
    if not isinstance(key, Ed25519PublicKey):
        raise _refuse(path, "--key", "is not an Ed25519 public key")
    return key


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The detached signature over ``data``, base64 text with a newline."""
    return base64.b64encode(key.sign(data)) + b"\n"


def verifies(key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (as :func:`sign` writes it) is ``key``'s over ``data``."""
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the raw public key: how a user tells keys apart."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
