"""Alembic environment: runs on the connection ``store.migrate`` hands over (sync, inside run_sync)."""

from alembic import context

from store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via store.migrate
    raise SystemExit("Run migrations through `python -m store.migrate` (it supplies the connection).")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
