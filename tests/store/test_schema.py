"""The schema: Alembic's migrations build exactly the tables the code uses, on every backend."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, text

from gsomia.errors import DatabaseUnavailable, SchemaOutdated
from gsomia.store import database, tables


def test_migrations_build_the_schema_the_code_declares(db_url):
    engine = database.connect(db_url, create=True)
    database.migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), tables.metadata)
    engine.dispose()
    assert diff == []


def test_migrating_twice_changes_nothing(db_url):
    engine = database.connect(db_url, create=True)
    assert database.migrate(engine) == (None, database.SCHEMA)
    assert database.migrate(engine) == (database.SCHEMA, database.SCHEMA)
    engine.dispose()


def test_instants_come_back_aware_and_equal(db_url):
    engine = database.connect(db_url, create=True)
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
    engine = database.connect(db_url, create=True)
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
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:x?mode=memory&uri=true",
        "sqlite:////dev/null",
        "sqlite:////tmp",
    ],
)
def test_an_unusable_database_url_is_one_clear_error(url):
    with pytest.raises(DatabaseUnavailable) as error:
        database.connect(url)
    assert "\n" not in error.value.message


def test_opening_never_creates_a_registry(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        database.connect(f"sqlite:///{tmp_path / 'nothing.db'}")
    assert list(tmp_path.iterdir()) == []


def test_a_created_registry_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private" / "registry.db"
    engine = database.connect(f"sqlite:///{path}", create=True)
    database.migrate(engine)
    engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    for companion in path.parent.iterdir():
        assert companion.stat().st_mode & 0o077 == 0, companion


def test_the_schema_the_code_reads_is_the_newest_migration():
    assert database.head_revision() == database.SCHEMA


def test_a_database_without_a_registry_or_at_another_schema_is_refused(db_url):
    engine = database.connect(db_url, create=True)
    with pytest.raises(DatabaseUnavailable, match="holds no registry"):
        database.check_schema(engine, "the registry")
    database.migrate(engine)
    database.check_schema(engine, "the registry")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    with pytest.raises(SchemaOutdated, match="at schema 0002"):
        database.check_schema(engine, "the registry")
    engine.dispose()


def test_a_savepoint_does_not_commit_the_enclosing_transaction(db_url):
    """A failure after a nested insert rolls back everything the transaction did."""
    from gsomia.core.agreements import Event, EventKind
    from gsomia.store import documents

    engine = database.connect(db_url, create=True)
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
