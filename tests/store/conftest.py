"""A migrated registry database for the ledger's tests, on every configured backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from gsomia.store import database


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    migrated = database.connect(db_url, create=True)
    database.migrate(migrated)
    yield migrated
    migrated.dispose()
