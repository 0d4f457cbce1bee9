"""A real, seeded etcd for the whole session; a missing etcd fails the tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.etcd import Etcd, EtcdMissingError, seed, start_etcd


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Etcd]:
    """etcd with TLS and client-certificate authentication on loopback, holding 1000 keys."""
    try:
        server = start_etcd(tmp_path_factory.mktemp("etcd"))
    except EtcdMissingError as missing:
        pytest.fail(str(missing))
    try:
        seed(server)
        yield server
    finally:
        server.stop()
