"""The registry's schema, in one place, for SQLite and PostgreSQL alike.

Agreements' status is never stored: it is derived from `agreement_events` by the core.
Instants are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored as UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

registry_state = Table(
    "registry_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)
"""One row (id 1). `generation` grows in the same transaction as any change to what the node
caches (reference documents, agreement events, registry settings), so that every process
knows when its cache is stale. Write transactions lock this row (PostgreSQL) so that writers
decide one after the other."""

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

schemes = Table(
    "schemes",
    metadata,
    Column("party", String(8), primary_key=True),
    Column("document", Text, nullable=False),
    Column("origin", Text, nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("document", Text, nullable=False),
    Column("origin", Text, nullable=False),
)

agreement_events = Table(
    "agreement_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(64), ForeignKey("agreements.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("party", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("source", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("agreement_id", "kind", "party", "at", name="uq_agreement_events_event"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("party", String(8), nullable=False),
    Column("position", String(200), nullable=False, default=""),
    Column("clearance", String(64)),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("party", "name", name="uq_persons_party_name"),
)

need_to_know = Table(
    "need_to_know",
    metadata,
    Column("person_id", Integer, ForeignKey("persons.id"), primary_key=True),
    Column("topic", String(64), primary_key=True),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("originator", String(8), nullable=False),
    Column("marking", String(64), nullable=False),
    Column("english", String(32), nullable=False),
    Column("topic", String(64), nullable=False, index=True),
    Column("purpose", Text, nullable=False, default=""),
    Column("releasable_to", JSON),
    Column("caveats", JSON, nullable=False),
    Column("holder", String(8), nullable=False),
    Column("holder_marking", String(64)),
    Column("received_from", String(8)),
    Column("originator_reference", String(64)),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("sealed_sha256", String(64)),
    Column("sealed_size", BigInteger),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("agreement_id", String(64)),
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("person_id", Integer, ForeignKey("persons.id")),
    Column("request", JSON, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

decision_reasons = Table(
    "decision_reasons",
    metadata,
    Column("decision_id", Integer, ForeignKey("decisions.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("code", String(32), nullable=False),
    Column("agreement_id", String(64)),
    Column("article", String(200)),
    Column("message", Text, nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("from_party", String(8), nullable=False),
    Column("to_party", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("agreement_id", String(64), nullable=False),
    Column("recipient_marking", String(64), nullable=False),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("sealed_sha256", String(64)),
    Column("sealed_size", BigInteger),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("originator", String(8), nullable=False),
    Column("recipient", String(8), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("reference", String(200), nullable=False, default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
)

party_keys = Table(
    "party_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("party", String(8), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("private_pem", Text),
    Column("origin", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)
"""Key pairs: this node's own (private part encrypted, PKCS #8) and partners' public keys.

`purpose` is `sign` (Ed25519), `wrapped` (RSA-2048) or `ec-wrapped` (EC P-256), the OpenTDF
key access types; `status` is `active` or `retired` (usable to open, never to seal or sign).
"""

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("subject", String(160), index=True),
)
"""The append-only log: entry `position` (0-based) with its canonical JSON body and the
RFC 9162 leaf hash of that body. `subject` names the registry row the entry states
(`items/5`): an index, derived from the body, to find a row's latest entry at once."""

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "position", name="pk_ledger_nodes"),
)
"""Hashes of complete subtrees: 2**level leaves starting at leaf position * 2**level."""

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
"""Signed checkpoints (C2SP tlog-checkpoint, signed-note format), one per tree size."""
