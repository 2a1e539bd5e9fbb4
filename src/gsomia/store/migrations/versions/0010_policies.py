"""Partners' security policies imported from SPIFs.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("oid", sa.String(128), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.UniqueConstraint("oid", name="uq_policies_oid"),
    )


def downgrade() -> None:
    op.drop_table("policies")
