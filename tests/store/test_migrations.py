"""Every migration goes down as well as up, on SQLite and PostgreSQL, keeping the records."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from stackyard.store import Store
from stackyard.store.engine import MIGRATIONS
from tests.postgres import Engines


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


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
    assert "platform_readings" in _tables(engine)
    assert "idempotency_keys" not in _tables(engine)

    _to(engine, "0002", down=True)
    assert "idempotency_keys" in _tables(engine)
    _to(engine, "0001", down=True)
    assert "platform_readings" not in _tables(engine)
    assert [p.name for p in Store(engine).platforms()] == ["acme"]

    _to(engine, "head")
    tables = _tables(engine)
    assert "platform_readings" in tables and "idempotency_keys" not in tables
    assert [p.name for p in Store(engine).platforms()] == ["acme"]


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
