"""The registry's generation counter, and ledger entries indexed by the row they state.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "registry_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0}])
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("subject", sa.String(160)))
    op.create_index("ix_ledger_entries_subject", "ledger_entries", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_subject", "ledger_entries")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("subject")
    op.drop_table("registry_state")
