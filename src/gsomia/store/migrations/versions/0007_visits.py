"""Visits (Art 8): requests for visit made by this node's party or of it as host, with the
host's signed answer.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("requester", sa.String(8), nullable=False),
        sa.Column("host", sa.String(8), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("facility", sa.Text, nullable=False),
        sa.Column("first_day", sa.String(10), nullable=False),
        sa.Column("last_day", sa.String(10), nullable=False),
        sa.Column("max_marking", sa.String(64), nullable=False),
        sa.Column("visitors", sa.JSON, nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answered_at", UTCDateTime),
        sa.Column("answer_note", sa.Text),
        sa.Column(
            "decision_id",
            sa.Integer,
            sa.ForeignKey("decisions.id", name="fk_visits_decision_id_decisions"),
        ),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("visits")
