"""What an attacker with a copy of a file or of the database would try, for the demo to show
and the tests to keep as attacks: a sealed file whose label was edited, a ledger entry
rewritten in place, a registry row changed behind gsomia's back.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, insert, select, update

from gsomia.formats import ztdf
from gsomia.ledger.entries import canonical_json
from gsomia.store import tables


def relabel(sealed: Path, forged: Path, **statement: Any) -> None:
    """A copy of a sealed file whose label statement says something else (its `Topic`, say),
    its signature left as it was."""
    with zipfile.ZipFile(sealed) as archive:
        manifest = json.loads(archive.read(ztdf.MANIFEST))
        payload = archive.read(ztdf.PAYLOAD)
    label = manifest["assertions"][0]["statement"]
    label["value"] = json.dumps({**json.loads(label["value"]), **statement})
    with zipfile.ZipFile(forged, "w") as archive:
        archive.writestr(ztdf.PAYLOAD, payload)
        archive.writestr(ztdf.MANIFEST, json.dumps(manifest))


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite registry, its write-ahead log included."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()


def rewrite_entry(url: str, position: int, **row: Any) -> None:
    """Rewrite fields of the row a ledger entry states, in place, as someone editing the
    database would (its leaf hash left as it was)."""
    engine = create_engine(url)
    entries = tables.ledger_entries
    with engine.begin() as connection:
        body = json.loads(
            connection.execute(
                select(entries.c.body).where(entries.c.position == position)
            ).scalar_one()
        )
        body["row"].update(row)
        connection.execute(
            update(entries).where(entries.c.position == position).values(body=canonical_json(body))
        )
    engine.dispose()


def edit_row(url: str, table: str, key: object, **values: Any) -> None:
    """Change a registry row directly in the database, around gsomia and its ledger."""
    engine = create_engine(url)
    target = tables.metadata.tables[table]
    primary = next(iter(target.primary_key.columns))
    with engine.begin() as connection:
        connection.execute(update(target).where(primary == key).values(**values))
    engine.dispose()


def grant_need_to_know(url: str, person_id: int, topic: str) -> None:
    """Give a person need-to-know directly in the database, around gsomia and its ledger."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(tables.need_to_know).values(person_id=person_id, topic=topic))
    engine.dispose()


def roll_back_ledger(url: str, size: int) -> None:
    """Cut the ledger back to its first `size` entries, its stored hashes, signed checkpoints
    and received cosignatures with it, as someone erasing recent history would."""
    engine = create_engine(url)
    entries, nodes = tables.ledger_entries, tables.ledger_nodes
    with engine.begin() as connection:
        connection.execute(delete(tables.cosignatures).where(tables.cosignatures.c.size > size))
        connection.execute(
            delete(tables.ledger_checkpoints).where(tables.ledger_checkpoints.c.size > size)
        )
        connection.execute(delete(entries).where(entries.c.position >= size))
        beyond = [
            (level, index)
            for level, index in connection.execute(select(nodes.c.level, nodes.c.position))
            if (index + 1) << level > size
        ]
        for level, index in beyond:
            connection.execute(
                delete(nodes).where(nodes.c.level == level, nodes.c.position == index)
            )
    engine.dispose()
