"""Alembic environment: migrates the database named by CLAIMDESK_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, event, text
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db import normalise_url, set_page_size

config = context.config
MIGRATION_LOCK = 7_231_105_001  # pg_advisory_lock key held while migrating
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return normalise_url(url or get_settings().database_url)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Keep autogenerate away from what the models do not describe: the PostgreSQL GIN indexes
    and tsvector columns (revisions 0003, 0004) and SQLite's FTS5 tables (0004)."""
    if name is None:
        return True
    if type_ == "index" and name.endswith("_gin"):
        return False
    if type_ == "column" and name == "search_tsv":
        return False
    return not (type_ == "table" and ("_fts" in name))


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = create_engine(_url())
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", set_page_size)  # a new file: the service's pages
        with engine.connect() as connection:
            locked = connection.dialect.name == "postgresql"
            if locked:
                # replicas that all run `claimdesk db upgrade` at start take turns: the first
                # migrates, the others then find the schema at head and do nothing
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
            try:
                _run(connection)
            finally:
                if locked:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                    )
                    connection.commit()
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
