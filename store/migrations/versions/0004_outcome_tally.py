"""outcome_tally: anonymous counts of the outcomes recorded when cases close

Revision ID: 0004_outcome_tally
Revises: 0003_action_closed_at
Create Date: 2026-11-26 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outcome_tally"
down_revision: str | None = "0003_action_closed_at"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_tally",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("answer", sa.String(length=40), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "year", "indicator", "answer", name=op.f("pk_outcome_tally")),
    )


def downgrade() -> None:
    op.drop_table("outcome_tally")
