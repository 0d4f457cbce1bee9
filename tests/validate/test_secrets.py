"""validate's secret scan: each class of secret at its line, references left alone, and
hostile files (alias bombs, FIFOs, binaries, other encodings) never hang or crash it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stackyard.findings import Finding
from stackyard.validate import secrets
from stackyard.validate.secrets import scan_tree
from stackyard.yamlio import loader
from stackyard.yamlio.loader import MAX_NODES

# Made-up material in the shapes real credentials have; none of it was ever valid.
PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
PEM = (
    f"{PEM_HEADER}\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qAbCdEfGhIjKlM\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def scan(root: Path) -> list[Finding]:
    return list(scan_tree(root))


def errors(root: Path) -> list[tuple[str, int]]:
    return [
        (Path(f.location.file).name, f.location.line) for f in scan(root) if f.severity == "error"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "apiKey: 3f9a1c77",
        "ApiKey: 3f9a1c77",
        "api_key: 3f9a1c77",
        "API-KEY: 3f9a1c77",
        "secretKey: minio123",
        "SECRET_KEY: minio123",
        "clientSecret: s3cr3t-value",
        "client-secret: s3cr3t-value",
        "client_secret: secret://s3cr3t value with spaces",  # no Secret/key reference
        "token: abc123",
        '"accessKey": "minio"',
    ],
)
def test_credential_keys_in_any_spelling_are_found_at_their_line(tmp_path: Path, line: str) -> None:
    (tmp_path / "values.yaml").write_text(f"replicas: 1\nauth:\n  {line}\n", encoding="utf-8")
    assert errors(tmp_path) == [("values.yaml", 3)]


def test_literal_values_of_secret_env_vars_are_found(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(
        "env:\n"
        "  - name: DB_PASSWORD\n"
        "    value: hunter2\n"
        "  - name: GITHUB_TOKEN\n"
        "    value: 'abc'\n"
        "  - {name: SIGNING_SECRET, value: xyz}\n"
        "  - name: LOG_LEVEL\n"
        "    value: debug\n"
        "  - name: API_TOKEN\n"
        "    valueFrom:\n"
        "      secretKeyRef: {name: api, key: token}\n",
        encoding="utf-8",
    )
    assert errors(tmp_path) == [("deploy.yaml", 3), ("deploy.yaml", 5), ("deploy.yaml", 6)]


def test_secrets_in_yaml_comments_are_found(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(
        "# the old one was\n# password: Sup3rS3cretPassw0rd\nreplicas: 1  # apiKey: 3f9a1c77\n"
        "  #   adminPassword: hunter2\n",
        encoding="utf-8",
    )
    lines = [line for _, line in errors(tmp_path)]
    assert lines == [2, 4]


def test_a_private_key_in_a_binary_file_is_found(tmp_path: Path) -> None:
    blob = os.urandom(300).replace(b"-", b"_") + b"\0\n\n" + PEM.encode() + os.urandom(64)
    (tmp_path / "bundle.bin").write_bytes(blob)
    (finding,) = scan(tmp_path)
    assert finding.severity == "error"
    assert "private key" in finding.message and "binary" in finding.message
    assert finding.location.line == blob.count(b"\n", 0, blob.index(b"-----BEGIN")) + 1


def test_random_binary_files_are_not_findings(tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + bytes(range(256)) * 40)
    assert scan(tmp_path) == []


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_secrets_in_files_that_are_not_utf8_are_found(tmp_path: Path, encoding: str) -> None:
    text = "# Zugangsdaten für die Datenbank\nuser: jürgen\npassword: Pässwörd-geheim\n"
    (tmp_path / "values.yaml").write_bytes(text.encode(encoding))
    assert errors(tmp_path) == [("values.yaml", 3)]


REFERENCES = """\
admin:
  existingSecret: grafana-admin
  passwordKey: admin-password
password: ""
token: "${GRAFANA_TOKEN}"
apiKey: "$(API_KEY)"
clientSecret: "{{ .Values.oidc.secret }}"
clientSecret: $oidc.keycloak.clientSecret
client_secret: secret://teleport-oidc/client-secret
secretKey: <your-secret-key>
passwordFile: /etc/secrets/password
envFromSecret: grafana-env
automountServiceAccountToken: false
component.stackyard.dev/external-secrets: enabled
tokenSecretRef:
  name: grafana-token
data:
  - secretKey: admin-password
    remoteRef: {key: grafana/admin, property: password}
"""


def test_references_to_secrets_are_not_findings(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(REFERENCES, encoding="utf-8")
    assert scan(tmp_path) == []


def _calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Count calls of ``owner.name`` (still made) in this process: one list item each."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_an_alias_bomb_in_a_tree_is_scanned_as_text_within_the_node_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    (tmp_path / "bomb.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    monkeypatch.setattr(secrets, "PARALLEL_FROM", 10**9)  # counted here, not in a worker
    built = _calls(monkeypatch, loader._Builder, "build")
    assert scan(tmp_path) == []
    # Expanded, the bomb is 9**11 nodes; the value scan's loader stops at its cap.
    assert 0 < len(built) <= MAX_NODES + 1


def test_validate_of_a_tree_with_an_alias_bomb_finishes(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "bomb.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "stackyard", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "bomb.yaml" in result.stdout + result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_a_tree_is_listed_as_not_scanned(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "values.yaml")
    (finding,) = scan(tmp_path)
    assert finding.unchecked and finding.severity == "info"
    assert "FIFO" in finding.message and "not scanned" in finding.message


def test_a_gcp_service_account_key_file_is_found_at_its_type_line(tmp_path: Path) -> None:
    (tmp_path / "sa.json").write_text(
        '{\n  "type": "service_account",\n  "project_id": "demo",\n'
        '  "private_key_id": "0123",\n  "private_key": "x"\n}\n',
        encoding="utf-8",
    )
    first, *_ = scan(tmp_path)
    assert "gcp service account key" in first.message
    assert first.location.line == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # Deep indentation and long lines of words before "=": detect-secrets' own
        # filters backtrack on both (minutes for these files when run on every line).
        ("deep.yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(2000)).encode()),
        ("words.yaml", (b"a " * 499 + b"=\n") * 2000),
        ("padding.yaml", b"# padding\n" * 400_000),
    ],
)
def test_hostile_line_shapes_never_reach_detect_secrets_line_loop(
    tmp_path: Path, name: str, content: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / name).write_bytes(content)
    monkeypatch.setattr(secrets, "PARALLEL_FROM", 10**9)  # counted here, not in a worker
    scanned = _calls(monkeypatch, secrets, "_plugin_secrets")
    line_loop = _calls(monkeypatch, secrets, "_process_line_based_plugins")
    indirect = _calls(monkeypatch, secrets, "is_indirect_reference")
    assert scan(tmp_path) == []
    assert scanned  # the scan ran in this process, through the counted names
    # The plugins look at each distinct line directly; detect-secrets' line loop and its
    # backtracking filters run only on lines with a match, and these have none.
    assert (line_loop, indirect) == ([], [])


def test_a_file_over_the_cap_is_listed_as_not_scanned(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"password: hunter2\n" + b"#" * (5 * 1024 * 1024))
    (finding,) = scan(tmp_path)
    assert finding.unchecked and finding.severity == "info"
    assert "not scanned" in finding.message and "bytes" in finding.message
