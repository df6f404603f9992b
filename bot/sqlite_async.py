"""SQLite through aiosqlite with one thread hand-off per statement instead of four.

aiosqlite runs every sqlite3 call in its own thread; SQLAlchemy's adapter awaits each
cursor step separately (create the cursor, execute, fetch all rows, close), so a statement
costs four round trips between the event loop and that thread, each a queue put, a
thread wake-up and an event-loop wake-up. On the bot's hot path (a few indexed
lookups per update) those hand-offs cost more CPU than SQLite itself. This cursor sends
the four steps to the thread as one function. Everything else (transactions, the
connection, server-side cursors, error translation) is SQLAlchemy's own aiosqlite adapter,
except that a rollback with no transaction open is not sent to the thread at all.

Used by `bot.db.Database` for SQLite (`create_async_engine(..., module=one_hop_dbapi())`).
"""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


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
            description, rows, rowcount, lastrowid = await connection._execute(
                _run, connection._conn, many, operation, parameters
            )
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows) if rows else collections.deque()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._one_hop(False, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._one_hop(True, operation, seq_of_parameters))
        except Exception as error:
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


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(__import__("aiosqlite"), __import__("sqlite3"))
