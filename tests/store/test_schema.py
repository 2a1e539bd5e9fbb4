"""The schema: Alembic's migrations build exactly the tables the code uses, on every backend."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select

from gsomia.errors import DatabaseUnavailable
from gsomia.store import database, tables


def test_migrations_build_the_schema_the_code_declares(db_url):
    engine = database.connect(db_url)
    database.migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), tables.metadata)
    engine.dispose()
    assert diff == []


def test_migrating_twice_changes_nothing(db_url):
    engine = database.connect(db_url)
    database.migrate(engine)
    database.migrate(engine)
    assert database.current_revision(engine) == database.head_revision()
    engine.dispose()


def test_instants_come_back_aware_and_equal(db_url):
    engine = database.connect(db_url)
    database.migrate(engine)
    at = datetime(2019, 11, 22, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    with engine.begin() as connection:
        connection.execute(insert(tables.agreements).values(id="A", document="", origin=""))
        connection.execute(
            insert(tables.agreement_events).values(
                agreement_id="A",
                kind="termination_notice",
                party="KOR",
                at=at,
                note="",
                source="test",
                recorded_at=datetime.now(UTC),
            )
        )
        stored = connection.execute(select(tables.agreement_events.c.at)).scalar_one()
    engine.dispose()
    assert stored.tzinfo is not None
    assert stored == at


def test_naive_instants_are_refused_before_reaching_the_database(db_url):
    engine = database.connect(db_url)
    database.migrate(engine)
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as connection:
        connection.execute(
            insert(tables.persons).values(
                name="x", party="KOR", position="", recorded_at=datetime(2020, 1, 1)
            )
        )
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody@127.0.0.1:1/nothing",
        "mysql://x/y",
        "not a url",
        "sqlite:////proc/no/such/dir/x.db",
    ],
)
def test_an_unusable_database_url_is_one_clear_error(url):
    with pytest.raises(DatabaseUnavailable) as error:
        database.connect(url)
    assert "\n" not in error.value.message


def test_a_savepoint_does_not_commit_the_enclosing_transaction(db_url):
    """A failure after a nested insert rolls back everything the transaction did."""
    from gsomia.core.agreements import Event, EventKind
    from gsomia.store import documents

    engine = database.connect(db_url)
    database.migrate(engine)
    with engine.begin() as connection:
        connection.execute(insert(tables.agreements).values(id="A", document="", origin=""))
    at = datetime(2019, 8, 23, tzinfo=UTC)

    def fail_after_nested_insert() -> None:
        with engine.begin() as connection:
            connection.execute(select(tables.agreements.c.id)).all()
            event = Event("A", EventKind.TERMINATION_NOTICE, "KOR", at)
            documents.add_event(connection, event, "t", at)
            raise RuntimeError("the caller fails after the nested insert")

    with pytest.raises(RuntimeError):
        fail_after_nested_insert()
    with engine.connect() as connection:
        assert connection.execute(select(tables.agreement_events)).all() == []
    engine.dispose()
