"""A real OpenLDAP server for the whole session, and specs that point at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.slapd import BIND_DN, GROUPS_DN, PEOPLE_DN, Slapd, SlapdMissingError, start_slapd

MINIMAL = Path(__file__).resolve().parent.parent / "spec" / "data" / "minimal.yaml"

WriteSpec = Callable[..., Path]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """slapd on two loopback ports with the test directory; a missing slapd fails the tests."""
    try:
        server = start_slapd(tmp_path_factory.mktemp("slapd"))
    except SlapdMissingError as missing:
        pytest.fail(str(missing))
    try:
        yield server
    finally:
        server.stop()


def directory_yaml(
    url: str,
    *,
    name: str = "corp",
    users_base: str = PEOPLE_DN,
    users_filter: str | None = None,
    groups_base: str = GROUPS_DN,
    groups_filter: str | None = None,
    extra: str = "",
) -> str:
    """One entry of identity.directories, indented for the spec."""
    users = f'baseDN: "{users_base}"' + (f', filter: "{users_filter}"' if users_filter else "")
    groups = f'baseDN: "{groups_base}"' + (f', filter: "{groups_filter}"' if groups_filter else "")
    return (
        f"    - name: {name}\n"
        f"      type: ldap\n"
        f"      url: {url}\n"
        f'      bindDN: "{BIND_DN}"\n'
        f"      bindPassword: {{secret: ldap-bind, key: password}}\n"
        f"      users: {{{users}}}\n"
        f"      groups: {{{groups}}}\n"
        f"{extra}"
    )


@pytest.fixture
def write_spec(tmp_path: Path, slapd: Slapd) -> WriteSpec:
    """Write a spec whose identity section holds the given directory entries; its path.

    The test CA is copied beside it as ca.pem and the unrelated CA as other-ca.pem.
    """

    def write(*entries: str) -> Path:
        (tmp_path / "ca.pem").write_bytes(slapd.ca_file.read_bytes())
        (tmp_path / "other-ca.pem").write_bytes(slapd.other_ca_file.read_bytes())
        text = MINIMAL.read_text(encoding="utf-8") + "identity:\n  directories:\n"
        path = tmp_path / "platform.yaml"
        path.write_text(text + "".join(entries), encoding="utf-8")
        return path

    return write
