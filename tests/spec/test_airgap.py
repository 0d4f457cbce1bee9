"""The ``airgap`` section: an internal registry as host[:port][/prefix], a Git server over
HTTPS unless a lab says plainHttp, and a CA file read under the directories' CA rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.errors import SpecError
from stackyard.spec import load_spec_text

SPEC_DATA = Path(__file__).parent / "data"
BASE = (SPEC_DATA / "minimal.yaml").read_text(encoding="utf-8")


def _load(section: str, folder: Path = SPEC_DATA) -> object:
    return load_spec_text(BASE + "airgap:\n" + section, "platform.yaml", folder)


def _refusal(section: str, folder: Path = SPEC_DATA) -> tuple[str, str, int]:
    with pytest.raises(SpecError) as info:
        _load(section, folder)
    (problem,) = info.value.problems
    return problem.field, problem.message, problem.location.line


def test_a_full_section_loads_with_its_ca() -> None:
    loaded = load_spec_text(
        BASE + "airgap:\n  registry: harbor.corp.example:8443/platform\n"
        "  git: https://git.corp.example/mirror\n  caFile: ca/corp-ca.pem\n",
        "platform.yaml",
        SPEC_DATA,
    )
    airgap = loaded.platform.airgap
    assert airgap is not None
    assert airgap.registry_host == "harbor.corp.example:8443"
    assert airgap.charts_repository == "harbor.corp.example:8443/platform/charts"
    assert airgap.git_url("https://github.com/acme/platform.git") == (
        "https://git.corp.example/mirror/acme/platform.git"
    )
    assert airgap.git_url("git@github.com:acme/platform.git") == (
        "https://git.corp.example/mirror/acme/platform.git"
    )
    assert loaded.airgap_ca == (SPEC_DATA / "ca/corp-ca.pem").read_text("ascii")


@pytest.mark.parametrize(
    "registry",
    ["https://harbor.corp.example", "Harbor.corp.example", "harbor.corp.example/", "a b"],
)
def test_a_registry_that_is_not_host_port_prefix_is_refused(registry: str) -> None:
    field, _, line = _refusal(f"  registry: '{registry}'\n  git: https://git.corp.example\n")
    assert field == "airgap.registry"
    assert line == len(BASE.splitlines()) + 2


def test_plain_http_git_is_refused_without_the_lab_switch() -> None:
    _, message, _ = _refusal("  registry: r.corp.example\n  git: http://git.corp.example\n")
    assert "plain HTTP" in message
    assert "plainHttp: true" in message


def test_the_lab_switch_allows_plain_http_but_not_a_ca() -> None:
    assert _load("  registry: r.lab\n  git: http://git.lab\n  plainHttp: true\n")
    _, message, _ = _refusal(
        "  registry: r.lab\n  git: http://git.lab\n  plainHttp: true\n  caFile: ca/corp-ca.pem\n"
    )
    assert "plainHttp: true has no TLS" in message


def test_a_ca_file_with_a_private_key_is_refused_at_its_field(tmp_path: Path) -> None:
    block = (SPEC_DATA / "ca/corp-ca.pem").read_text("ascii")
    key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    (tmp_path / "ca.pem").write_text(block + key, "ascii")
    field, message, line = _refusal(
        "  registry: r.corp.example\n  git: https://git.corp.example\n  caFile: ca.pem\n",
        tmp_path,
    )
    assert field == "airgap.caFile"
    assert "a private key must never be committed" in message
    assert line == len(BASE.splitlines()) + 4


def test_a_ca_file_outside_the_spec_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "ca.pem").write_bytes((SPEC_DATA / "ca/corp-ca.pem").read_bytes())
    field, message, _ = _refusal(
        "  registry: r.corp.example\n  git: https://git.corp.example\n  caFile: ../ca.pem\n",
        tmp_path / "spec",
    )
    assert field == "airgap.caFile"
    assert "outside the spec's folder" in message
