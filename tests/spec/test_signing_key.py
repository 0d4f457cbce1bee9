"""``policy.signingKey``: a Cosign public key file beside the spec, never a private key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from stackyard.errors import SpecError
from stackyard.spec import load_spec_text

SPEC_DATA = Path(__file__).parent / "data"
BASE = (SPEC_DATA / "minimal.yaml").read_text(encoding="utf-8")
PUBLIC = (SPEC_DATA / "keys" / "cosign.pub").read_text(encoding="ascii")


def _load(key: str, folder: Path) -> str | None:
    loaded = load_spec_text(BASE + f"policy:\n  signingKey: {key}\n", "platform.yaml", folder)
    return loaded.signing_key


def _refusal(key: str, folder: Path) -> tuple[str, str, int]:
    with pytest.raises(SpecError) as info:
        _load(key, folder)
    (problem,) = info.value.problems
    return problem.field, problem.message, problem.location.line


def test_a_public_key_loads_as_one_pem_block() -> None:
    assert _load("keys/cosign.pub", SPEC_DATA) == PUBLIC
    assert load_spec_text(BASE, "platform.yaml", SPEC_DATA).signing_key is None


def test_a_private_key_is_refused_at_its_field(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "cosign.key").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + PUBLIC.encode()
    )
    field, message, line = _refusal("cosign.key", tmp_path)
    assert field == "policy.signingKey"
    assert "private key, which must never be committed" in message
    assert line == BASE.count("\n") + 2


def test_a_key_outside_the_folder_or_not_a_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cosign.pub").write_text(PUBLIC)
    inside = tmp_path / "spec"
    inside.mkdir()
    assert "outside the spec's folder" in _refusal("../cosign.pub", inside)[1]
    (inside / "cert.pem").write_text((SPEC_DATA / "ca" / "corp-ca.pem").read_text())
    assert "holds no single PEM public key" in _refusal("cert.pem", inside)[1]
    (inside / "two.pub").write_text(PUBLIC + PUBLIC)
    assert "holds no single PEM public key" in _refusal("two.pub", inside)[1]
    (inside / "bad.pub").write_text(PUBLIC.replace("MFkw", "AAAA"))
    assert "cannot be read" in _refusal("bad.pub", inside)[1]


def test_a_key_cosign_cannot_verify_with_is_refused(tmp_path: Path) -> None:
    public = x25519.X25519PrivateKey.generate().public_key()  # a key exchange key
    (tmp_path / "x25519.pub").write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert "cannot verify Cosign signatures" in _refusal("x25519.pub", tmp_path)[1]
