"""The registry database: reaching it, transactions that serialise writers, and its schema.

A registry is a SQLite file (the default) or a PostgreSQL database. Opening never creates or
migrates anything: `create` is for the one command that makes a registry, and `migrate` runs
Alembic (imported only then). Writers decide one after the other: on SQLite a write
transaction starts with `BEGIN IMMEDIATE`, on PostgreSQL it locks the registry's state row;
either waits at most the busy timeout, then raises `Busy`. Within one process, SQLite writers
also take turns on a lock of the engine's, so that a thread waiting to write wakes as soon as
the writer before it commits rather than at the next poll of SQLite's busy handler (which
sleeps up to 100 ms between tries); other processes still meet at `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from gsomia.errors import Busy, DatabaseUnavailable, SchemaOutdated
from gsomia.store import tables

SCHEMA = "0009"
"""The Alembic revision this version of gsomia reads and writes (a test checks it is the head)."""

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = "gsomia_write"
BUSY = "the registry stayed busy with other writers beyond the wait allowed; try again"
_WRITERS: weakref.WeakKeyDictionary[Engine, tuple[threading.Lock, float]] = (
    weakref.WeakKeyDictionary()
)
"""Each SQLite engine's lock for its writers in this process, and how long one may wait."""
"""The execution option that makes a transaction a writer's."""
_MIGRATION_LOCK = 0x67736F6D6961
"""PostgreSQL advisory lock key under which migrations run one at a time ("gsomia")."""

_alembic_version = Table(
    "alembic_version", MetaData(), Column("version_num", String(32), primary_key=True)
)


def parse(url: str) -> URL:
    """A registry URL, checked: SQLite or PostgreSQL, and never an in-memory database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"invalid database URL {url!r}; use sqlite:///PATH or postgresql://HOST/DB"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(f"unsupported database {backend!r}; use SQLite or PostgreSQL")
    if backend == "sqlite" and (
        parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed.query)
    ):
        raise DatabaseUnavailable(
            "an in-memory database keeps nothing once the command ends; name a file "
            "(sqlite:///PATH)"
        )
    return parsed


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite registry (None for PostgreSQL)."""
    if url.get_backend_name() != "sqlite" or url.database is None:
        return None
    return Path(url.database).expanduser()


def connect(url: str, *, create: bool = False, busy_timeout: float = 30.0) -> Engine:
    """An engine for the registry at `url`, checked to answer.

    A SQLite file must exist and be a regular file, unless `create`, which makes it (and its
    folder) readable by the owner only.
    """
    parsed = parse(url)
    path = sqlite_path(parsed)
    if path is not None:
        _check_sqlite_file(path, shown(parsed), create=create)
    engine = create_engine(parsed, connect_args=_connect_args(parsed, busy_timeout))
    _listen(engine, busy_timeout)
    if path is not None:
        _WRITERS[engine] = (threading.Lock(), busy_timeout)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot reach database {shown(parsed)}: {_first_line(exc)}"
        ) from None
    return engine


def _check_sqlite_file(path: Path, name: str, *, create: bool) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not create:
            raise DatabaseUnavailable(
                f"no registry at {name}: the file does not exist", subject="registry"
            ) from None
        _create_sqlite_file(path, name)
        return
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot use {name}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise DatabaseUnavailable(f"{name} is not a regular file; a registry is a SQLite file")


def _create_sqlite_file(path: Path, name: str) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # SQLite gives its journal and WAL files the database file's permissions.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot create {name}: {exc.strerror}") from None


def _connect_args(url: URL, busy_timeout: float) -> dict[str, object]:
    if url.get_backend_name() == "sqlite":
        return {"timeout": busy_timeout}
    return {"connect_timeout": max(1, int(busy_timeout))}


def _listen(engine: Engine, busy_timeout: float) -> None:
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: object, _record: object) -> None:
            # pysqlite defers BEGIN to the first write, so a savepoint taken before it would
            # open and then commit the transaction on its own. SQLAlchemy's documented remedy:
            # the driver leaves transactions alone and SQLAlchemy emits BEGIN itself.
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            # Write-ahead logging: readers do not block the writer; commits stay synced.
            _wal(cursor, busy_timeout)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # A writer takes the write lock at once: a deferred transaction that read first
            # could not upgrade once another writer committed (no check-then-act race).
            write = connection.get_execution_options().get(WRITE, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    else:

        @event.listens_for(engine, "begin")
        def _lock_timeout(connection: Connection) -> None:
            milliseconds = int(busy_timeout * 1000)
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")


def _wal(cursor: Any, busy_timeout: float) -> None:
    """Switch to write-ahead logging. While another connection creates the same fresh file,
    SQLite answers "locked" at once rather than through its busy handler: try again until the
    busy timeout."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """A transaction; a writer's waits for the writers before it (at most the busy timeout).

    On PostgreSQL a writer locks the registry's state row first and reads run on one
    snapshot (REPEATABLE READ).
    """
    options: dict[str, object] = {WRITE: write}
    if engine.dialect.name == "postgresql" and not write:
        options["isolation_level"] = "REPEATABLE READ"
    with (
        _translated(),
        _turn(engine, write),
        engine.connect().execution_options(**options) as connection,
        connection.begin(),
    ):
        if write and engine.dialect.name == "postgresql":
            connection.execute(
                select(tables.registry_state.c.generation)
                .where(tables.registry_state.c.id == 1)
                .with_for_update()
            )
        yield connection


@contextmanager
def _turn(engine: Engine, write: bool) -> Iterator[None]:
    """A SQLite writer's turn among this process's writers (nothing to wait for otherwise)."""
    writers = _WRITERS.get(engine) if write else None
    if writers is None:
        yield
        return
    lock, timeout = writers
    if not lock.acquire(timeout=timeout):
        raise Busy(BUSY)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _translated() -> Iterator[None]:
    """The driver's operational errors as gsomia's: a lock not obtained in time is `Busy`."""
    try:
        yield
    except OperationalError as exc:
        if _is_busy(exc):
            raise Busy(BUSY) from None
        raise DatabaseUnavailable(f"the database failed: {_first_line(exc)}") from None


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    message = str(exc.orig).lower()
    return code == "55P03" or "database is locked" in message or "database is busy" in message


def _first_line(exc: DBAPIError) -> str:
    detail = str(exc.orig).strip() if exc.orig is not None else str(exc)
    return detail.splitlines()[0] if detail else type(exc.orig).__name__


def schema_revision(connection: Connection) -> str | None:
    """The registry's Alembic revision; None when the database holds no registry."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    return connection.execute(select(_alembic_version.c.version_num)).scalar_one_or_none()


def check_schema(engine: Engine, name: str) -> None:
    """Refuse a database that holds no registry, or one at another schema revision."""
    with engine.connect() as connection:
        revision = schema_revision(connection)
    if revision is None:
        raise DatabaseUnavailable(f"{name} holds no registry", subject="registry")
    if revision != SCHEMA:
        raise SchemaOutdated(
            f"the registry at {name} is at schema {revision}; this version of gsomia "
            f"reads schema {SCHEMA}",
            subject="schema",
        )


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision, creating it on an empty database; safe when
    two run at once (they take turns). Returns (revision before, revision after)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with (
        _translated(),
        engine.connect().execution_options(**{WRITE: True}) as connection,
        connection.begin(),
    ):
        if engine.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        before = schema_revision(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        after = schema_revision(connection)
    assert after is not None
    return before, after


def head_revision() -> str | None:
    """The newest revision among the migrations (imports Alembic: for tests and `migrate`)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
