"""The directories' CAs in Keycloak's truststore: the ConfigMap holds each CA file's PEM,
the chart mounts it and lists each file in ``KC_TRUSTSTORE_PATHS``, the tree validates,
and a CA file that is not a PEM certificate stops render with exit 2 naming the file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from stackyard.cli.main import app
from tests.certificates import certificate_authority, write_certificate
from tests.render.conftest import EXAMPLES, example_text

Cli = Callable[..., Result]
DIRECTORY_GROUPS = '      groups: {baseDN: "ou=groups,dc=corp,dc=example,dc=com"}\n'
SECOND_DIRECTORY = """    - name: staff
      type: active-directory
      url: ldaps://dc1.staff.example.com
      bindDN: CN=svc-keycloak,DC=staff,DC=example,DC=com
      bindPassword: {secret: keycloak-staff-bind, key: password}
      users: {baseDN: "OU=People,DC=staff,DC=example,DC=com"}
      tls: {caFile: ca/staff.pem}
"""


@pytest.fixture(scope="module")
def cli() -> Cli:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def spec_with_cas(folder: Path) -> Path:
    """aws-standard with two directories, each naming its own CA file beside the spec."""
    shutil.copytree(EXAMPLES / "apis", folder / "apis")
    (folder / "ca").mkdir()
    for name in ("corp", "staff"):
        write_certificate(folder / "ca" / f"{name}.pem", certificate_authority(f"{name} CA")[1])
    text = example_text("aws-standard")
    assert DIRECTORY_GROUPS in text
    text = text.replace(
        DIRECTORY_GROUPS,
        DIRECTORY_GROUPS + "      tls: {caFile: ca/corp.pem}\n" + SECOND_DIRECTORY,
        1,
    )
    spec = folder / "platform.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_keycloak_trusts_exactly_the_pem_of_each_directory_ca_file(
    tmp_path: Path, cli: Cli
) -> None:
    spec = spec_with_cas(tmp_path)
    tree = tmp_path / "repo"
    result = cli("render", str(spec), str(tree))
    assert result.exit_code == 0, result.stderr
    (configmap,) = yaml.safe_load_all(
        (tree / "manifests/prod/keycloak/truststore.yaml").read_text(encoding="utf-8")
    )
    assert configmap["kind"] == "ConfigMap"
    assert configmap["metadata"]["name"] == "keycloak-truststore"
    assert configmap["metadata"]["namespace"] == "keycloak"
    assert configmap["data"] == {
        "corp.pem": (tmp_path / "ca/corp.pem").read_text(encoding="ascii"),
        "staff.pem": (tmp_path / "ca/staff.pem").read_text(encoding="ascii"),
    }
    values = yaml.safe_load((tree / "values/clusters/prod/keycloak.yaml").read_text("utf-8"))
    env = {e["name"]: e["value"] for e in yaml.safe_load(values["extraEnv"])}
    mounts = {m["name"]: m for m in yaml.safe_load(values["extraVolumeMounts"])}
    volumes = {v["name"]: v for v in yaml.safe_load(values["extraVolumes"])}
    mount = mounts["directory-cas"]
    assert volumes["directory-cas"]["configMap"]["name"] == "keycloak-truststore"
    assert mount["readOnly"] is True
    assert env["KC_TRUSTSTORE_PATHS"].split(",") == [
        f"{mount['mountPath']}/{key}" for key in sorted(configmap["data"])
    ]
    # The vault and the realm import are still mounted beside it.
    assert {"realm-platform", "ldap-vault"} <= set(mounts)
    # The rendered tree passes the real schemas, the chart's values and the secret scan.
    checked = cli("validate", str(tree), "-o", "json")
    assert checked.exit_code == 0, checked.stdout
    assert json.loads(checked.stdout)["findings"] == []


def test_without_a_ca_file_nothing_is_added_to_the_truststore(tmp_path: Path, cli: Cli) -> None:
    tree = tmp_path / "repo"
    assert cli("render", str(EXAMPLES / "aws-standard.yaml"), str(tree)).exit_code == 0
    assert not (tree / "manifests/prod/keycloak/truststore.yaml").exists()
    values = (tree / "values/clusters/prod/keycloak.yaml").read_text(encoding="utf-8")
    assert "KC_TRUSTSTORE_PATHS" not in values and "directory-cas" not in values


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not a certificate\n", "ca/corp.pem holds no complete PEM certificate"),
        (
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            "ca/corp.pem: certificate 1 is not an X.509 certificate",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
            "ca/corp.pem holds a PRIVATE KEY block besides certificates: a private key must "
            "never be committed",
        ),
    ],
    ids=["text", "garbage-certificate", "private-key"],
)
def test_a_ca_file_that_is_not_a_pem_certificate_stops_render(
    tmp_path: Path, cli: Cli, content: str, message: str
) -> None:
    spec = spec_with_cas(tmp_path)
    (tmp_path / "ca/corp.pem").write_text(content, encoding="ascii")
    tree = tmp_path / "repo"
    result = cli("render", str(spec), str(tree))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "identity.directories[0].tls.caFile" in result.stderr
    assert "Traceback" not in result.stderr
    assert not tree.exists()


def test_a_der_ca_file_is_refused_as_not_pem(tmp_path: Path, cli: Cli) -> None:
    spec = spec_with_cas(tmp_path)
    (tmp_path / "ca/corp.pem").write_bytes(b"\x30\x82\x01\x60\x30\x82")
    result = cli("render", str(spec), str(tmp_path / "repo"))
    assert result.exit_code == 2
    assert "ca/corp.pem is not a PEM file" in result.stderr
