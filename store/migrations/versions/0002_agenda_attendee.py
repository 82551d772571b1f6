"""agenda: attendees of a run, and at most one running agenda per chat

Revision ID: 0002_agenda
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0002_agenda"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agenda_attendee",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("aad_object_id", sa.String(length=64), nullable=False),
        sa.Column("teams_user_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=True),
        sa.Column("first_seen_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["agenda_run.id"],
            name=op.f("fk_agenda_attendee_run_id_agenda_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_attendee")),
        sa.UniqueConstraint("run_id", "aad_object_id", name=op.f("uq_agenda_attendee_run_id")),
    )
    with op.batch_alter_table("agenda_attendee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_attendee_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("agenda_run", schema=None) as batch_op:
        batch_op.create_index(
            "uq_agenda_run_one_running",
            ["tenant_id", "conversation_id"],
            unique=True,
            postgresql_where=sa.text("state = 'running'"),
            sqlite_where=sa.text("state = 'running'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("agenda_run", schema=None) as batch_op:
        batch_op.drop_index("uq_agenda_run_one_running")
    with op.batch_alter_table("agenda_attendee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_attendee_run_id"))
    op.drop_table("agenda_attendee")
