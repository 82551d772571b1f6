"""action_item.text: empty where it only repeated its kind's label (rendered in each reader's language now)

An action saved without its own text used to store the label of its kind in the language of whoever pressed
Spara ("Homework help" in a Swedish minnesanteckningar). The kind was stored too; the label is now rendered
from it for each reader. This empties the text of rows whose text is exactly that kind's label, in Swedish or
English, as the catalogs said when this migration was written (a snapshot: migrations do not read the bot's
catalogs). Any other text is the person's own and stays.

Revision ID: 0007_action_text_by_kind
Revises: 0006_consent_parties
Create Date: 2026-11-30 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_action_text_by_kind"
down_revision: str | None = "0006_consent_parties"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

LABELS = {
    "laxlasning": ("Läxläsning", "Homework help"),
    "samtalskontakt": ("Samtalskontakt", "Counselling contact"),
    "fritidsaktivitet": ("Hjälp att hitta en fritidsaktivitet", "Help finding a leisure activity"),
    "stod_vardnadshavare": ("Stöd till vårdnadshavare", "Support for guardians"),
    "kommunikation_skola": ("Förbättrad kommunikation med skolan", "Better communication with the school"),
}


def upgrade() -> None:
    action = sa.table("action_item", sa.column("kind", sa.String), sa.column("text", sa.Text))
    for kind, labels in LABELS.items():
        op.execute(action.update().where(action.c.kind == kind, action.c.text.in_(labels)).values(text=""))


def downgrade() -> None:
    action = sa.table("action_item", sa.column("kind", sa.String), sa.column("text", sa.Text))
    for kind, (swedish, _english) in LABELS.items():
        op.execute(action.update().where(action.c.kind == kind, action.c.text == "").values(text=swedish))
