"""Engines, sessions and schema upgrades; nothing here runs at import time."""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, create_engine, event, select, text, update
from sqlalchemy.dialects.postgresql import dml as pg_dml
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import dml as sqlite_dml
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Sector

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


def _normalise(url: str, *, want_async: bool) -> URL:
    """Map a DATABASE_URL to the driver we use: aiosqlite/sqlite, psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):  # Heroku-style; SQLAlchemy no longer knows the name
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite" if want_async else "sqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database: {backend} (use sqlite or postgresql)")


def _ensure_sqlite_dir(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - SQLAlchemy event signature
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # a big roster import holds the write lock for seconds; wait rather than fail
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sync_engine(url: str) -> Engine:
    """A blocking engine, for migrations and bulk CLI work."""
    target = _normalise(url, want_async=False)
    _ensure_sqlite_dir(target)
    engine = create_engine(target)
    if target.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """The async engine and session factory one process uses."""

    def __init__(self, url: str, *, pool_size: int = 16, fast_driver: bool = True) -> None:
        target = _normalise(url, want_async=True)
        _ensure_sqlite_dir(target)
        self.url = url
        self.dialect = target.get_backend_name()
        # SQLite: one hand-off to aiosqlite's thread per statement instead of four, none for the hot
        # path's bounded reads (bot/sqlite_async.py). It subclasses SQLAlchemy's private adapter, so
        # it is imported only when asked for: fast_driver=False (SQLITE_FAST_DRIVER=false) is
        # SQLAlchemy's stock aiosqlite driver, untouched
        self.fast_driver = fast_driver and self.dialect == "sqlite"
        driver: dict = {}
        self._bounded_reads: Callable[[], AbstractContextManager[None]] = nullcontext
        if self.fast_driver:
            from bot.sqlite_async import CONNECT_ARGS, inline_reads, one_hop_dbapi

            driver = {"module": one_hop_dbapi(), "connect_args": CONNECT_ARGS}
            self._bounded_reads = inline_reads
        # the bot handles up to 32 updates at once (bot/concurrency.py): keep that many connections
        # open rather than opening and closing overflow ones (each new SQLite one runs 4 PRAGMAs)
        self.engine: AsyncEngine = create_async_engine(
            target, pool_pre_ping=self.dialect != "sqlite", pool_size=pool_size, max_overflow=16, **driver
        )
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # ORM flushes of activities keep the tally in step (listeners of bot/services/tally.py)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that rolls back on error; callers commit explicitly."""
        async with self._sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    def bounded_reads(self) -> AbstractContextManager[None]:
        """A block whose reads an index bounds (a lookup, a page of rows): with the fast SQLite
        driver they run on the event loop's thread, which they block meanwhile, instead of being
        handed to aiosqlite's (bot/sqlite_async.py: `inline_reads`). Never a scan, an export or a
        report. No effect on PostgreSQL or with SQLITE_FAST_DRIVER=false."""
        return self._bounded_reads()

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    rendered = _normalise(url, want_async=False).render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> int:
    """Bring the schema to the newest migration and seed the sector catalogue (idempotent); the
    number of sectors seeded (0 unless the database is new)."""
    migrate(url, "head")
    engine = sync_engine(url)
    try:
        with engine.begin() as connection:
            return _seed_sectors(connection)
    finally:
        engine.dispose()


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Run the migrations up (or down) to `revision` in one transaction.

    On SQLite, foreign keys are switched off meanwhile: ALTERs there rebuild tables
    (batch mode), and dropping a table that others reference would fail or cascade with
    them on. Integrity is checked before the transaction commits.
    """
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no effect inside a transaction
                connection.commit()
            with connection.begin():
                cfg = alembic_config(url)
                cfg.attributes["connection"] = connection
                (command.downgrade if down else command.upgrade)(cfg, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    finally:
        engine.dispose()


def sector_catalogue() -> list[tuple[str, str]]:
    """The (name, short name) pairs shipped with the bot."""
    text = resources.files("bot").joinpath("data/sectors.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    return [(r["界别"].strip(), r["简称"].strip()) for r in rows if r.get("界别", "").strip()]


def _seed_sectors(connection: Connection) -> int:
    known = dict(connection.execute(select(Sector.name, Sector.short_name)).all())
    catalogue = sector_catalogue()
    missing = [{"name": n, "short_name": s} for n, s in catalogue if n not in known]
    if missing:
        connection.execute(Sector.__table__.insert(), missing)
    # a sector seeded while the catalogue gave no short form (台盟, 台联) has its full name as short name:
    # it takes the catalogue's now. Short names come only from the catalogue, so nothing an office chose is lost
    for name, short in catalogue:
        if short != name and known.get(name) == name:
            connection.execute(update(Sector).where(Sector.name == name, Sector.short_name == name)
                               .values(short_name=short))
    return len(missing)


def describe_url(url: str) -> str | None:
    """The database as shown to whoever runs a command: a SQLite file's path, or the URL without its
    password; None when the URL cannot be read."""
    try:
        parsed = _normalise(url, want_async=False)
    except Exception:  # noqa: BLE001 - shown in an error message; never fail here
        return None
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database}"
    return parsed.set(drivername="postgresql").render_as_string(hide_password=True)


def dialect_of(session) -> str:  # noqa: ANN001 - an AsyncSession or a Session
    """The session's database: "sqlite" or "postgresql" ("sqlite" for a session bound to nothing)."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


async def analytic(session: AsyncSession) -> None:
    """PostgreSQL, for the rest of the transaction: sorts and hashes of a few statements over every
    member in memory, and no JIT compilation (≈ 70 ms a statement). Nothing on SQLite."""
    if dialect_of(session) == "postgresql":
        await session.exec(text("SET LOCAL work_mem = '64MB'"))
        await session.exec(text("SET LOCAL jit = off"))


async def lock_row(session: AsyncSession, table: Table, row_id: int) -> None:
    """Hold one row of `table` until the commit, so that a check read after this sees every write committed before
    it and none commits meanwhile (one member's overlapping reception days, an activity's edit and its flag mark).

    PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks, and its reads start no transaction (the driver begins
    one at the first write), so two checks could both read "free" and both write: a no-op UPDATE of the row takes
    the database's one write lock first, and a second writer waits for the commit (busy_timeout)."""
    if dialect_of(session) == "postgresql":
        await session.exec(select(table.c.id).where(table.c.id == row_id).with_for_update())
    else:
        await session.exec(update(table).where(table.c.id == row_id).values(id=table.c.id))


def dialect_insert(dialect: str, table: Table) -> pg_dml.Insert | sqlite_dml.Insert:
    """INSERT with ON CONFLICT support for the dialect in use (SQLite ≥ 3.24 and PostgreSQL)."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


_READ_VERBS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "SHOW", "SET", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK",
                         "COMMIT", "VALUES", "RESET"})
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def is_write(statement: str) -> bool:
    """Whether a SQL statement (as sent to the driver) may change data. Errs on the side of yes:
    anything but a plain read counts (a `WITH` counts when it contains DML)."""
    head = statement.lstrip(" \t\r\n(")[:10].split(None, 1)
    verb = head[0].upper() if head else ""
    if verb == "WITH":
        return _DML.search(statement) is not None
    return verb not in _READ_VERBS
