"""Every migration goes down as well as up, on SQLite and PostgreSQL, keeping the records."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from stackyard.store import Store
from stackyard.store.engine import MIGRATIONS
from tests.postgres import Engines


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _names(engine: Engine) -> list[str]:
    """The platforms' names, read without the models (which are the newest schema's)."""
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT name FROM platforms ORDER BY name")))


def _assessments(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM assessments")) or 0)


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_one_head_and_every_step_down_and_up_again(database_url: str, engines: Engines) -> None:
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1

    engine = engines(database_url)
    Store(engine).add_platform("acme", "/srv/acme")
    Store(engine).record_assessment("acme", "c1", level="L2", areas={"a": 2}, findings=1)
    assert "platform_readings" in _tables(engine)
    assert "idempotency_keys" not in _tables(engine)

    _to(engine, "0002", down=True)
    assert "idempotency_keys" in _tables(engine)
    _to(engine, "0001", down=True)
    assert "platform_readings" not in _tables(engine)
    assert _names(engine) == ["acme"]
    assert _assessments(engine) == 1  # no step rebuilt platforms and cascaded its history away

    _to(engine, "head")
    tables = _tables(engine)
    assert "platform_readings" in tables and "idempotency_keys" not in tables
    assert [p.name for p in Store(engine).platforms()] == ["acme"]
    assert [a.commit for a in Store(engine).assessments("acme")] == ["c1"]


def test_each_write_of_a_platforms_history_moves_its_revision_alone(
    database_url: str, engines: Engines
) -> None:
    store = Store(engines(database_url))
    store.add_platform("acme", "/srv/acme")
    store.add_platform("beta", "/srv/beta")
    assert [p.revision for p in store.platforms()] == [0, 0]

    store.record_assessment("acme", "c1", level="L2", areas={"a": 2}, findings=3)
    store.record_assessment("acme", "c1", level="L3", areas={"a": 3}, findings=1)  # replaced
    store.record_assessment("acme", "c2", level="L3", areas={"a": 3}, findings=1)

    revisions = {p.name: p.revision for p in store.platforms()}
    assert revisions == {"acme": 3, "beta": 0}
    assert store.platform("acme") == store.platforms()[0]


def test_a_writer_that_knows_nothing_of_revisions_moves_them_too(
    database_url: str, engines: Engines
) -> None:
    """As a replica still on the version before the revisions does, in a rolling upgrade."""
    engine = engines(database_url)
    store = Store(engine)
    store.add_platform("acme", "/srv/acme")
    with engine.begin() as connection:
        connection.execute(
            text(
                'INSERT INTO assessments (platform_id, "commit", level, areas, findings, at) '
                "SELECT id, 'c1', 'L1', '{}', 0, CURRENT_TIMESTAMP FROM platforms"
            )
        )
    assert store.platforms()[0].revision == 1
    with engine.begin() as connection:
        connection.execute(text("UPDATE assessments SET findings = 4"))
    assert store.platforms()[0].revision == 2
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM assessments"))
    assert store.platforms()[0].revision == 3


def test_a_saved_reading_is_found_by_its_state_only(database_url: str, engines: Engines) -> None:
    store = Store(engines(database_url))
    store.add_platform("acme", "/srv/acme")
    store.add_platform("beta", "/srv/beta")
    store.save_reading("acme", "c1", "b1", {"edition": "community"})
    store.save_reading("acme", "c1", "b1", {"edition": "ignored: the state is saved"})
    store.save_reading("acme", "c2", "b1", {"edition": "standard"})

    assert store.readings({"acme": ("c1", "b1"), "beta": ("c1", "b1")}) == {
        "acme": {"edition": "community"}
    }
    assert store.readings({"acme": ("c2", "b1")}) == {"acme": {"edition": "standard"}}
    assert store.readings({"acme": ("c1", "b2")}) == {}
    assert store.readings({}) == {}
