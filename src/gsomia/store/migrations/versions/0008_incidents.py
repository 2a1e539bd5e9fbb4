"""Loss or compromise (Art 17): cases, their items and the notices of each step.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("reporter", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("discovered_at", UTCDateTime, nullable=False),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("investigating_at", UTCDateTime),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("concluded_at", UTCDateTime),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("measures", sa.Text, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "incident_items",
        sa.Column(
            "case_id",
            sa.String(36),
            sa.ForeignKey("incidents.id", name="fk_incident_items_case_id_incidents"),
            primary_key=True,
        ),
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", name="fk_incident_items_item_id_items"),
            primary_key=True,
        ),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("originator", sa.String(8), nullable=False),
        sa.Column("originator_reference", sa.String(64), nullable=False),
    )
    op.create_table(
        "incident_notices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "case_id",
            sa.String(36),
            sa.ForeignKey("incidents.id", name="fk_incident_notices_case_id_incidents"),
            nullable=False,
        ),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("queued_at", UTCDateTime),
        sa.Column("ack", sa.Text),
        sa.Column("acked_at", UTCDateTime),
    )
    op.create_index("ix_incident_notices_case_id", "incident_notices", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_notices_case_id", "incident_notices")
    op.drop_table("incident_notices")
    op.drop_table("incident_items")
    op.drop_table("incidents")
