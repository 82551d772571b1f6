"""pending_reply: replies owed after commit, so a crash or a refusing connector loses none

Revision ID: 0005_pending_reply
Revises: 0004_outcome_tally
Create Date: 2026-11-30 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0005_pending_reply"
down_revision: str | None = "0004_outcome_tally"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_reply",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("turn_key", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("lease_until", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_reply")),
    )
    op.create_index(op.f("ix_pending_reply_turn_key"), "pending_reply", ["turn_key"])
    op.create_index(op.f("ix_pending_reply_lease_until"), "pending_reply", ["lease_until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_reply_lease_until"), table_name="pending_reply")
    op.drop_index(op.f("ix_pending_reply_turn_key"), table_name="pending_reply")
    op.drop_table("pending_reply")
