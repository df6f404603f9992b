"""Alembic environment: runs on the connection the bot hands it, or on DATABASE_URL."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_, obj, autogen_context) -> str | bool:  # noqa: ANN001 - alembic's render_item hook
    """Render our UTC decorator as a plain timezone-aware DateTime so migrations stay import-free."""
    from models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        render_item=_render_item,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from bot.config import get_settings
    from bot.db import sync_engine

    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = sync_engine(url)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # table rebuilds (batch mode) need foreign keys off; see bot.db.migrate
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        with conn.begin():
            _run(conn)
    engine.dispose()
