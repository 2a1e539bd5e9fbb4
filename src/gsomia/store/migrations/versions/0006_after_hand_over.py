"""After the hand-over: changes to items (re-marking, declassification, destruction, return),
signed notices about items and to whom they went, items derived from others.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", name="fk_item_changes_item_id_items"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("by", sa.String(8), nullable=False),
        sa.Column("marking", sa.String(64)),
        sa.Column("holder_marking", sa.String(64)),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("method", sa.String(200)),
        sa.Column(
            "witness_id",
            sa.Integer,
            sa.ForeignKey("persons.id", name="fk_item_changes_witness_id_persons"),
        ),
        sa.Column("notice_id", sa.String(36)),
        sa.Column("content_erased", sa.Boolean),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_item_changes_item_id", "item_changes", ["item_id"])
    op.create_table(
        "item_notices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("originator", sa.String(8), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("by", sa.String(8), nullable=False),
        sa.Column("sender", sa.String(8)),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("applied", sa.Boolean, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "originator", "item", "sequence", "by", name="uq_item_notices_sequence"
        ),
    )
    op.create_table(
        "notice_holders",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column(
            "notice_id",
            sa.String(36),
            sa.ForeignKey("item_notices.id", name="fk_notice_holders_notice_id_item_notices"),
            nullable=False,
        ),
        sa.Column("holder", sa.String(8), nullable=False),
        sa.Column("via", sa.String(8)),
        sa.Column("sent_at", UTCDateTime, nullable=False),
        sa.Column("ack", sa.Text),
        sa.Column("acked_at", UTCDateTime),
    )
    op.create_index("ix_notice_holders_notice_id", "notice_holders", ["notice_id"])
    op.create_table(
        "derivations",
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", name="fk_derivations_item_id_items"),
            primary_key=True,
        ),
        sa.Column(
            "original_id",
            sa.Integer,
            sa.ForeignKey("items.id", name="fk_derivations_original_id_items"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "made_by",
            sa.Integer,
            sa.ForeignKey("persons.id", name="fk_derivations_made_by_persons"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_derivations_original_id", "derivations", ["original_id"])


def downgrade() -> None:
    for name in ("derivations", "notice_holders", "item_notices", "item_changes"):
        op.drop_table(name)
