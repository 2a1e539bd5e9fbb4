"""Writers in one process take turns (on SQLite, on the engine's lock before `BEGIN
IMMEDIATE`): the second decides on what the first committed, one kept waiting beyond the busy
timeout gets `Busy` and writes nothing, and the turn is given back afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select

from gsomia.errors import Busy
from gsomia.store import database, tables


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    engine = database.connect(f"sqlite:///{tmp_path / 'r.db'}", create=True, busy_timeout=0.5)
    database.migrate(engine)
    yield engine
    engine.dispose()


def _setting(engine: Engine, key: str) -> str | None:
    settings = tables.settings
    with database.transaction(engine, write=False) as connection:
        return connection.execute(
            select(settings.c.value).where(settings.c.key == key)
        ).scalar_one_or_none()


def _write(engine: Engine, key: str, value: str) -> None:
    with database.transaction(engine, write=True) as connection:
        connection.execute(insert(tables.settings).values(key=key, value=value))


def test_a_second_writer_in_the_process_starts_after_the_first_commits(engine):
    holding, seen = threading.Event(), []

    def first() -> None:
        with database.transaction(engine, write=True) as connection:
            connection.execute(insert(tables.settings).values(key="first", value="1"))
            holding.set()
            threading.Event().wait(0.2)

    def second() -> None:
        holding.wait()
        with database.transaction(engine, write=True) as connection:
            seen.append(
                connection.execute(
                    select(tables.settings.c.value).where(tables.settings.c.key == "first")
                ).scalar_one_or_none()
            )
            connection.execute(insert(tables.settings).values(key="second", value="2"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == ["1"], "the second writer decided before the first one's write committed"
    assert _setting(engine, "second") == "2"


def test_a_writer_kept_waiting_beyond_the_busy_timeout_is_busy_and_writes_nothing(engine):
    holding, release, failures = threading.Event(), threading.Event(), []

    def holder() -> None:
        with database.transaction(engine, write=True) as connection:
            connection.execute(insert(tables.settings).values(key="held", value="1"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(10)
    try:
        with pytest.raises(Busy, match="busy with other writers"):
            _write(engine, "late", "2")
        assert _setting(engine, "held") is None, "a reader saw an uncommitted write"
    except BaseException as exc:
        failures.append(exc)
    finally:
        release.set()
        thread.join(10)
    assert not failures
    assert _setting(engine, "held") == "1"
    assert _setting(engine, "late") is None
    _write(engine, "late", "3")  # the turn was given back
    assert _setting(engine, "late") == "3"
