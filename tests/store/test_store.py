"""The fleet store on SQLite and PostgreSQL: migrations, records, and the platform lock."""

from __future__ import annotations

import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from stackyard.store import (
    ClusterRecord,
    PlatformExistsError,
    Store,
    StoreError,
    make_engine,
    open_store,
)
from stackyard.store.models import Base
from tests.postgres import Engines


def test_migrations_build_exactly_the_models_tables(database_url: str, engines: Engines) -> None:
    engine = engines(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == [], "a model changed without a migration"
    assert {"platforms", "clusters", "renders", "assessments", "audit_events"} <= tables
    assert {"api_tokens", "platform_readings", "alembic_version"} <= tables
    assert "idempotency_keys" not in tables


def test_opening_a_migrated_store_again_keeps_its_records(
    database_url: str, engines: Engines
) -> None:
    Store(engines(database_url)).add_platform("acme", "/srv/acme")
    again = Store(engines(database_url))
    assert [p.name for p in again.platforms()] == ["acme"]


def test_a_platform_name_is_taken_once(database_url: str, engines: Engines) -> None:
    store = Store(engines(database_url))
    store.add_platform("acme", "/srv/acme", remote="git@example.com:acme.git")
    with pytest.raises(PlatformExistsError, match="'acme' already"):
        store.add_platform("acme", "/elsewhere")
    (platform,) = store.platforms()
    assert platform.repository == "/srv/acme"
    assert platform.remote == "git@example.com:acme.git"
    assert platform.spec_path == "platform.yaml"
    assert platform.rendered == "rendered"
    assert store.platform("nope") is None


def test_renders_assessments_and_audit_events_come_back_as_recorded(
    database_url: str, engines: Engines
) -> None:
    store = Store(engines(database_url))
    store.add_platform("acme", "/srv/acme")
    clusters = [ClusterRecord("mgmt", "mgmt", 30, None), ClusterRecord("app-1", "app", 20, None)]
    store.record_render("acme", "c1", spec_digest="d1", files=10, clusters=clusters)
    store.record_render("acme", "c2", spec_digest="d2", files=12, clusters=clusters[:1])
    last = store.last_render("acme")
    assert last is not None
    assert (last.commit, last.spec_digest, last.files) == ("c2", "d2", 12)
    assert last.at.tzinfo is not None
    assert store.clusters("acme") == [ClusterRecord("mgmt", "mgmt", 30, "c2")]

    store.record_assessment("acme", "c1", level="Level 2", areas={"a": 2}, findings=3)
    store.record_assessment("acme", "c2", level="Level 3", areas={"a": 3}, findings=1)
    store.record_assessment("acme", "c1", level="Level 2", areas={"a": 2}, findings=2)
    history = store.assessments("acme")
    assert [(a.commit, a.findings) for a in history] == [("c2", 1), ("c1", 2)]

    store.audit("ada", "platform.add", platform="acme", commit="c1")
    (event,) = store.audit_events()
    assert (event.actor, event.action, event.platform, event.commit) == (
        "ada",
        "platform.add",
        "acme",
        "c1",
    )


def test_a_sign_in_replaces_the_roles_of_the_one_before(
    database_url: str, engines: Engines
) -> None:
    store = Store(engines(database_url))
    assert store.sign_in("otto") is None
    store.record_sign_in("otto", ["operator", "admin"])
    first = store.sign_in("otto")
    assert first is not None and first.roles == ("admin", "operator")
    store.record_sign_in("otto", [])  # refused: no group of theirs grants a role
    again = Store(engines(database_url)).sign_in("otto")
    assert again is not None and again.roles == () and again.at >= first.at
    assert store.sign_in("vera") is None


def test_a_change_that_raises_inside_the_lock_writes_nothing(
    database_url: str, engines: Engines
) -> None:
    store = Store(engines(database_url))
    store.add_platform("acme", "/srv/acme")
    with pytest.raises(RuntimeError), store.locked("acme"):
        store.audit("ada", "cluster.register", platform="acme")
        raise RuntimeError("the render failed")
    assert store.audit_events() == []


def test_the_platform_lock_serialises_changes_across_engines(
    database_url: str, engines: Engines
) -> None:
    """Two replicas (two engines) read, wait and write the same record: none is lost."""
    stores = [Store(engines(database_url)), Store(engines(database_url))]
    rounds = 5
    errors: list[BaseException] = []

    def change(store: Store) -> None:
        try:
            for _ in range(rounds):
                with store.locked("acme"):
                    seen = len(store.audit_events(limit=1000))
                    time.sleep(0.02)  # without the lock, the other replica reads the same count
                    store.audit("replica", "count", platform="acme", detail=str(seen))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=change, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    counts = sorted(int(e.detail) for e in stores[0].audit_events(limit=1000))
    assert counts == list(range(2 * rounds))


def test_a_store_that_does_not_answer_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot open the store at postgresql"):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "not a database URL"), ("mysql://u@h/db", "unsupported database 'mysql'")],
)
def test_an_unusable_url_is_refused(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        make_engine(url)
