"""SQLite through aiosqlite with one thread hand-off per statement instead of four.

aiosqlite runs every sqlite3 call in its own thread; SQLAlchemy's adapter awaits each
cursor step separately (create the cursor, execute, fetch all rows, close), so a statement
costs four round trips between the event loop and that thread, each a queue put, a
thread wake-up and an event-loop wake-up. On the bot's hot path (a few indexed
lookups per update) those hand-offs cost more CPU than SQLite itself. This cursor sends
the four steps to the thread as one function. Everything else (transactions, the
connection, server-side cursors, error translation) is SQLAlchemy's own aiosqlite adapter,
except that a rollback with no transaction open is not sent to the thread at all.

Within `inline_reads()` a SELECT is not handed to the thread at all: it runs on the event loop's
own thread, under the same lock. For the hot path's small reads (an index lookup, a page of five
rows, one member's peers) the hand-off costs more CPU than the read: /my's three reads take
1.6 ms with it and 0.7 ms without, with 16–32 updates at once (bench/README.md). The loop is
blocked while such a read runs, so only reads whose cost an index bounds belong there; a scan,
an export or a report never does. A read in WAL mode does not wait for writers, so a busy
writer cannot stall the loop (the exceptions are recovery after a crash, done once when the
file is opened, and connections in exclusive locking mode, which the bot never uses).

Used by `bot.db.Database` for SQLite (`create_async_engine(..., module=one_hop_dbapi())`), whose
`bounded_reads()` is `inline_reads()`; nothing else imports this module. It subclasses SQLAlchemy's
aiosqlite adapter, which is not SQLAlchemy's public API: the setting SQLITE_FAST_DRIVER=false
(`Database(fast_driver=False)`) leaves this module unimported, SQLAlchemy's stock aiosqlite driver
in use and `bounded_reads()` without effect. tests/test_library_pins.py checks what it overrides
against the pinned versions.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_INLINE_READS: ContextVar[bool] = ContextVar("lianxin_inline_reads", default=False)


@contextmanager
def inline_reads() -> Iterator[None]:
    """SQLite SELECTs run inside this block skip the hand-off to aiosqlite's thread (see the
    module docstring: bounded reads only). No effect on other statements or other databases."""
    token = _INLINE_READS.set(True)
    try:
        yield
    finally:
        _INLINE_READS.reset(token)


def _is_read(operation: Any) -> bool:
    return isinstance(operation, str) and operation.lstrip()[:6].upper() == "SELECT"


def _run(raw: Any, many: bool, operation: str, parameters: Any) -> tuple[Any, list | None, int, int | None]:
    """In aiosqlite's thread: the whole statement, rows included."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose execute is a single call into aiosqlite's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:  # no aiosqlite cursor at all
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None  # nothing open in the thread: the rows are here already

    def close(self) -> None:
        self._rows.clear()

    async def _one_hop(self, many: bool, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            if not many and _INLINE_READS.get() and _is_read(operation):
                # nothing else is queued for this connection: every call into its thread is awaited
                description, rows, rowcount, lastrowid = _run(connection._conn, many, operation, parameters)
            else:
                description, rows, rowcount, lastrowid = await connection._execute(
                    _run, connection._conn, many, operation, parameters
                )
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows) if rows else collections.deque()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._one_hop(False, operation, parameters))
        except Exception as error:  # noqa: BLE001 - SQLAlchemy's adapter translates (and raises) every error
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._one_hop(True, operation, seq_of_parameters))
        except Exception as error:  # noqa: BLE001 - as in execute()
            self._adapt_connection._handle_exception(error)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor

    def rollback(self) -> None:
        """No trip to the thread when SQLite has no transaction open: a connection that only
        read is rolled back every time it goes back to the pool (a session's close), and a
        rollback outside a transaction does nothing. `in_transaction` is SQLite's own flag
        (sqlite3_get_autocommit), read without a statement running: the connection is ours
        until it is returned."""
        raw = self._connection._connection
        if raw is not None and not raw.in_transaction:
            return
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


# the sqlite3 connection is opened in aiosqlite's thread; inline reads use it from the loop's
# (never both at once: the cursor's lock, and every call into the thread is awaited)
CONNECT_ARGS = {"check_same_thread": False}


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(__import__("aiosqlite"), __import__("sqlite3"))
