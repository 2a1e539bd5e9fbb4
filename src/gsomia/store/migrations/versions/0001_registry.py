"""The registry: reference data, agreement events, persons, items, decisions, releases, consents.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    for name, key in (("schemes", "party"), ("agreements", "id")):
        op.create_table(
            name,
            sa.Column(key, sa.String(8 if key == "party" else 64), primary_key=True),
            sa.Column("document", sa.Text, nullable=False),
            sa.Column("origin", sa.Text, nullable=False),
        )
    op.create_table(
        "agreement_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(64), sa.ForeignKey("agreements.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "agreement_id", "kind", "party", "at", name="uq_agreement_events_event"
        ),
    )
    op.create_index("ix_agreement_events_agreement_id", "agreement_events", ["agreement_id"])
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("position", sa.String(200), nullable=False),
        sa.Column("clearance", sa.String(64)),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("party", "name", name="uq_persons_party_name"),
    )
    op.create_table(
        "need_to_know",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id"), primary_key=True),
        sa.Column("topic", sa.String(64), primary_key=True),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("originator", sa.String(8), nullable=False),
        sa.Column("marking", sa.String(64), nullable=False),
        sa.Column("english", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("releasable_to", sa.JSON),
        sa.Column("caveats", sa.JSON, nullable=False),
        sa.Column("holder", sa.String(8), nullable=False),
        sa.Column("holder_marking", sa.String(64)),
        sa.Column("received_from", sa.String(8)),
        sa.Column("originator_reference", sa.String(64)),
        sa.Column("registered_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_items_topic", "items", ["topic"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("allowed", sa.Boolean, nullable=False),
        sa.Column("agreement_id", sa.String(64)),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id")),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id")),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "decision_reasons",
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("decisions.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("agreement_id", sa.String(64)),
        sa.Column("article", sa.String(200)),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_party", sa.String(8), nullable=False),
        sa.Column("to_party", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("recipient_marking", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=False),
    )
    op.create_index("ix_releases_item_id", "releases", ["item_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("originator", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(8), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_consents_item_id", "consents", ["item_id"])


def downgrade() -> None:
    for name in (
        "consents",
        "releases",
        "decision_reasons",
        "decisions",
        "items",
        "need_to_know",
        "persons",
        "agreement_events",
        "agreements",
        "schemes",
        "settings",
    ):
        op.drop_table(name)
