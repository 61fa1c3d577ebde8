"""Alembic, driven from code: each service keeps its own migration history in `<package>/migrations`
and its own `alembic_version` table; the kit's tables are created by each service's first revision."""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from alembic.operations import Operations
from sqlalchemy import MetaData

from servicekit.db.database import Database
from servicekit.db.tables import kit_metadata


def alembic_config(migrations_dir, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def create_kit_tables(op: Operations) -> None:
    """Outbox, inbox, audit trail and access log; creates only the missing ones, so a later revision
    can call it again to add a kit table introduced since."""
    bind = op.get_bind()
    kit_metadata.create_all(bind)


def drop_kit_tables(op: Operations) -> None:
    kit_metadata.drop_all(op.get_bind())


def run_env(target_metadata: MetaData | None) -> None:
    """The body of every service's `migrations/env.py`."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    db = Database(url)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the original, which foreign keys that
            # point at it refuse once it holds rows ("FOREIGN KEY constraint failed" on the first real
            # upgrade of a `make run` database). Alembic's advice: switch them off around the batch
            # operations (outside a transaction, so below SQLAlchemy's BEGIN) and check afterwards.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose references do not exist: {broken[:5]}")
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    db.dispose()
