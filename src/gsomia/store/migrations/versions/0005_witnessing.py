"""Witnessing: the latest checkpoint cosigned per partner log, and partners' cosignatures of
this node's checkpoints.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witnessed",
        sa.Column("origin", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "cosignatures",
        sa.Column(
            "size",
            sa.BigInteger,
            sa.ForeignKey(
                "ledger_checkpoints.size", name="fk_cosignatures_size_ledger_checkpoints"
            ),
            nullable=False,
        ),
        sa.Column("witness", sa.Text, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name="pk_cosignatures"),
    )


def downgrade() -> None:
    op.drop_table("cosignatures")
    op.drop_table("witnessed")
