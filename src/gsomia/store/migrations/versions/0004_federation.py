"""The federation: peers, deliveries with their outbox, the inbox, nonces, consent requests,
diplomatic notes, what became of checkpoints offered for witnessing; signed consents; the delivery a received copy came by.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from gsomia.store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("party", sa.String(8), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(8), nullable=False),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id")),
        sa.Column("subject", sa.String(64)),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answer_verified", sa.Boolean),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("settled_at", UTCDateTime),
    )
    op.create_index("ix_deliveries_recipient", "deliveries", ["recipient"])
    op.create_index("ix_deliveries_state", "deliveries", ["state"])
    op.create_table(
        "outbox",
        sa.Column("delivery_id", sa.String(36), sa.ForeignKey("deliveries.id"), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("leased_until", UTCDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])
    op.create_table(
        "inbox",
        sa.Column("sender", sa.String(8), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "nonces",
        sa.Column("sender", sa.String(8), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("seen_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_nonces_seen_at", "nonces", ["seen_at"])
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("originator", sa.String(8), nullable=False),
        sa.Column("holder", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(8), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answered_at", UTCDateTime),
    )
    op.create_table(
        "witness_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("peer", sa.String(8), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_witness_log_peer", "witness_log", ["peer"])
    op.create_table(
        "notes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("agreement_events.id")),
        sa.Column("by", sa.String(8), nullable=False),
        sa.Column("to", sa.String(8), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("ack", sa.Text),
        sa.Column("acked_at", UTCDateTime),
    )
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("purpose", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("token", sa.Text))
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("delivery_id", sa.String(36)))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("delivery_id")
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("token")
        batch.drop_column("purpose")
    for name in (
        "notes",
        "witness_log",
        "consent_requests",
        "nonces",
        "inbox",
        "outbox",
        "deliveries",
        "peers",
    ):
        op.drop_table(name)
