"""SQLite through aiosqlite (bot/sqlite_async.py): a statement is one hand-off to aiosqlite's
thread, and inside `inline_reads()` a SELECT runs on the event loop's own thread. The fast driver is
turned on here whatever the pass (LIANXIN_TEST_PLAIN_LIBRARIES); `Database.bounded_reads()` is tested
both ways."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.db import Database
from bot.sqlite_async import inline_reads


@pytest.fixture
async def sqlite_db(request, tmp_path):
    """A SQLite database whose connections know `thread_ident()`: the id of the thread running the statement.
    The fast driver unless a test asks otherwise (indirect parametrisation)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/inline.db", fast_driver=getattr(request, "param", True))

    def register(dbapi_connection, _record) -> None:
        dbapi_connection.create_function("thread_ident", 0, threading.get_ident)

    event.listen(database.engine.sync_engine, "connect", register)
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE seen (ident INTEGER)"))
    yield database
    await database.dispose()


async def ident(session, statement: str = "SELECT thread_ident()") -> int:
    return (await session.exec(text(statement))).one()[0]


async def test_reads_inside_inline_reads_run_on_the_loop_thread(sqlite_db) -> None:
    loop_thread = threading.get_ident()
    async with sqlite_db.session() as session:
        assert await ident(session) != loop_thread  # by default every statement goes to aiosqlite's thread
        with inline_reads():
            assert await ident(session) == loop_thread
            assert await ident(session, "  select thread_ident()") == loop_thread
        assert await ident(session) != loop_thread  # only inside the block


async def test_writes_inside_inline_reads_still_go_to_the_thread(sqlite_db) -> None:
    loop_thread = threading.get_ident()
    async with sqlite_db.session() as session:
        with inline_reads():
            await session.exec(text("INSERT INTO seen (ident) VALUES (thread_ident())"))
            # the read runs inline, in the transaction the write opened, and sees the uncommitted row
            written = (await session.exec(text("SELECT ident FROM seen"))).all()
            assert [row[0] for row in written] != [loop_thread] and len(written) == 1
            await session.rollback()
            assert (await session.exec(text("SELECT count(*) FROM seen"))).one()[0] == 0


async def test_inline_reads_reach_the_nested_greenlet_and_other_tasks_are_unaffected(sqlite_db) -> None:
    loop_thread = threading.get_ident()
    started = asyncio.Event()
    release = asyncio.Event()

    async def outside() -> int:  # a task started before the block: its own context, not inline
        started.set()
        await release.wait()
        async with sqlite_db.session() as session:
            return await ident(session)

    task = asyncio.create_task(outside())
    await started.wait()
    with inline_reads():
        async with sqlite_db.engine.connect() as connection:  # a Core connection, as the sender lookup uses
            assert (await connection.execute(text("SELECT thread_ident()"))).one()[0] == loop_thread
        release.set()
        assert await task != loop_thread


async def test_an_inline_read_that_fails_raises_like_any_other(sqlite_db) -> None:
    async with sqlite_db.session() as session:
        with inline_reads(), pytest.raises(OperationalError, match="no such table"):
            await session.exec(text("SELECT * FROM no_such_table"))
        await session.rollback()
        with inline_reads():  # the connection is still good
            assert await ident(session) == threading.get_ident()


@pytest.mark.parametrize("sqlite_db", [True, False], ids=["fast", "stock"], indirect=True)
async def test_bounded_reads_are_inline_reads_with_the_fast_driver_and_nothing_without(sqlite_db) -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

    fast = sqlite_db.fast_driver
    dbapi = sqlite_db.engine.dialect.dbapi
    # SQLITE_FAST_DRIVER=false: SQLAlchemy's own adapter, not a subclass of it
    assert (type(dbapi) is AsyncAdapt_aiosqlite_dbapi) is not fast
    loop_thread = threading.get_ident()
    async with sqlite_db.session() as session:
        with sqlite_db.bounded_reads():
            assert (await ident(session) == loop_thread) is fast
            await session.exec(text("INSERT INTO seen (ident) VALUES (1)"))
            assert (await session.exec(text("SELECT count(*) FROM seen"))).one()[0] == 1
        await session.commit()
