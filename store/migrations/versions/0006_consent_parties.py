"""Who consents (issue 15): the child's number of custodians, and the named others a consent covers

sspf_case.custodians: how many custodians (vårdnadshavare) the child has, recorded by the coordinator;
NULL for cases registered before this revision (the consent card asks, and the consent is not complete
until it is answered). consent.parties: the named others (Region/BUP, förening, a relative) with their
role, as a JSON list; existing consents name none.

Revision ID: 0006_consent_parties
Revises: 0005_pending_reply
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_consent_parties"
down_revision: str | None = "0005_pending_reply"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sspf_case") as batch:
        batch.add_column(sa.Column("custodians", sa.Integer(), nullable=True))
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("parties", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("parties")
    with op.batch_alter_table("sspf_case") as batch:
        batch.drop_column("custodians")
