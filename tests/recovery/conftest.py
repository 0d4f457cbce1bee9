"""A real, seeded etcd and an S3-compatible server for the whole session; a missing etcd
fails the tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.etcd import Etcd, EtcdMissingError, seed, start_etcd
from tests.objectstore import ObjectStore, start_object_store


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


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    """An S3-compatible server on loopback (moto's), shared by the session."""
    store = start_object_store()
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Credentials from the environment only: no profile, config file or instance role."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    nowhere = tmp_path_factory.mktemp("aws") / "none"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nowhere))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "drill-reader")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "drill-reader-secret")
