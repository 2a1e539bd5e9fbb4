"""Party keys, sealed content of items and releases, and the tamper-evident ledger.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("items", "releases"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("sealed_sha256", sa.String(64)))
            batch.add_column(sa.Column("sealed_size", sa.BigInteger))
    op.create_table(
        "party_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_pem", sa.Text, nullable=False),
        sa.Column("private_pem", sa.Text),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("retired_at", UTCDateTime),
    )
    op.create_index("ix_party_keys_party", "party_keys", ["party"])
    op.create_table(
        "ledger_entries",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name="pk_ledger_nodes"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("ledger_checkpoints", "ledger_nodes", "ledger_entries", "party_keys"):
        op.drop_table(name)
    for table in ("releases", "items"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("sealed_size")
            batch.drop_column("sealed_sha256")
