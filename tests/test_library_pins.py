"""The private library parts behind the two speed tricks, checked against the versions they were written for.

- HTTP_POOL_TUNING (bot/pool_tuning.py): httpcore's `_utils.is_socket_readable`, and the pool's network
  backend reached as `client._transport._pool._network_backend` on the httpx client PTB builds.
- SQLITE_FAST_DRIVER (bot/sqlite_async.py): subclasses of SQLAlchemy's aiosqlite adapter (cursor,
  connection, DBAPI module), and aiosqlite's connection internals they call.

A library upgrade that changes any of it fails here first, with a message naming the trick and the
setting that turns it off; the last tests check that off really is the libraries' plain path.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import socket
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PLAIN_LIBRARIES, TOKEN, offline_settings

POOL = "HTTP_POOL_TUNING"
DRIVER = "SQLITE_FAST_DRIVER"
MODULE = {POOL: "bot/pool_tuning.py", DRIVER: "bot/sqlite_async.py"}
# the versions each trick was written and checked for: after an upgrade, re-check the module
# against the new version (the tests below say what moved), then update the version here
WRITTEN_FOR = {
    "httpcore": ("1.0.9", POOL),
    "httpx": ("0.28.1", POOL),
    "SQLAlchemy": ("2.1.9", DRIVER),
    "aiosqlite": ("0.22.1", DRIVER),
}


def fenced(setting: str, what: str) -> str:
    return f"{setting} relies on {what}; re-check {MODULE[setting]} or set {setting}=false"


def private(setting: str, module: str, what: str) -> ModuleType:
    """Import a module the trick relies on; a failure names the trick and its setting."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(fenced(setting, f"{what}, which no longer imports ({exc})"))


# --- the versions ------------------------------------------------------------------------------

@pytest.mark.parametrize("package", list(WRITTEN_FOR))
def test_the_tricks_run_on_the_library_versions_they_were_written_for(package: str) -> None:
    expected, setting = WRITTEN_FOR[package]
    installed = version(package)
    assert installed == expected, fenced(
        setting, f"{package} {expected}'s private internals, and {package} {installed} is installed "
        f"(when the tests below pass, update WRITTEN_FOR in {Path(__file__).name})"
    )


# --- HTTP_POOL_TUNING: httpcore and httpx ------------------------------------------------------

def test_httpcore_can_still_tell_whether_a_socket_is_readable() -> None:
    utils = private(POOL, "httpcore._utils", "httpcore 1.0.x's private module httpcore._utils")
    check = getattr(utils, "is_socket_readable", None)
    assert callable(check) and list(inspect.signature(check).parameters) == ["sock"], fenced(
        POOL, "httpcore 1.0.x's private httpcore._utils.is_socket_readable(sock)"
    )
    left, right = socket.socketpair()
    with left, right:
        idle = check(left)
        right.sendall(b"x")
        assert (idle, check(left)) == (False, True), fenced(
            POOL, "httpcore._utils.is_socket_readable(sock) answering whether a socket has bytes to read"
        )


def test_httpcore_asks_an_idle_connection_is_readable_through_its_stream() -> None:
    import httpcore

    source = inspect.getsource(httpcore.AsyncHTTP11Connection.has_expired)
    assert 'get_extra_info("is_readable")' in source, fenced(
        POOL, "httpcore asking an idle HTTP/1.1 connection's stream get_extra_info(\"is_readable\") "
        "(AsyncHTTP11Connection.has_expired), which PooledStream answers"
    )


def test_the_wrappers_implement_every_method_of_httpcores_stream_and_backend() -> None:
    import httpcore

    tuning = private(POOL, "bot.pool_tuning", "httpcore's private parts (bot/pool_tuning.py)")
    for wrapper, base in [(tuning.PooledStream, httpcore.AsyncNetworkStream),
                          (tuning.PooledBackend, httpcore.AsyncNetworkBackend)]:
        methods = {name for name, value in vars(base).items() if callable(value) and not name.startswith("_")}
        missing = sorted(methods - set(vars(wrapper)))
        assert not missing, fenced(POOL, f"httpcore.{base.__name__} having no methods beyond those "
                                         f"{wrapper.__name__} forwards; new: {missing}")


async def test_the_pool_is_where_the_tuning_reaches_for_it_on_the_client_ptb_builds() -> None:
    import httpcore

    from bot.request import RetryingRequest

    plain = RetryingRequest(connection_pool_size=256, pool_tuning=False)  # as bot/app.py builds it
    pool = getattr(getattr(plain._client, "_transport", None), "_pool", None)
    assert isinstance(pool, httpcore.AsyncConnectionPool), fenced(
        POOL, f"httpx 0.28's private client._transport._pool being httpcore's AsyncConnectionPool (found {pool!r})"
    )
    backend = getattr(pool, "_network_backend", None)
    assert isinstance(backend, httpcore.AsyncNetworkBackend) and getattr(pool, "_http2", None) is False, fenced(
        POOL, "httpcore 1.0.x's private AsyncConnectionPool._network_backend and ._http2"
    )
    # the socket PooledStream keeps and polls: what httpcore's own stream gives for get_extra_info("socket")
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    try:
        stream = await backend.connect_tcp("127.0.0.1", server.sockets[0].getsockname()[1])
        try:
            kept = stream.get_extra_info("socket")
            assert callable(getattr(kept, "fileno", None)) and kept.fileno() >= 0, fenced(
                POOL, f"httpcore's network stream answering get_extra_info(\"socket\") with its socket (found {kept!r})"
            )
        finally:
            await stream.aclose()
    finally:
        server.close()
        await server.wait_closed()
    tuning = private(POOL, "bot.pool_tuning", "httpcore's private parts (bot/pool_tuning.py)")
    tuned = RetryingRequest(connection_pool_size=256, pool_tuning=True)
    assert isinstance(tuned._client._transport._pool._network_backend, tuning.PooledBackend), fenced(
        POOL, "python-telegram-bot building its httpx client in HTTPXRequest._build_client, which RetryingRequest extends"
    )


# --- SQLITE_FAST_DRIVER: SQLAlchemy's aiosqlite adapter and aiosqlite ---------------------------

ADAPTER = "sqlalchemy.dialects.sqlite.aiosqlite"
ADAPTER_CLASSES = ("AsyncAdapt_aiosqlite_cursor", "AsyncAdapt_aiosqlite_connection", "AsyncAdapt_aiosqlite_dbapi")


def test_sqlalchemys_aiosqlite_adapter_classes_are_there() -> None:
    adapter = private(DRIVER, ADAPTER, f"SQLAlchemy 2.1's private module {ADAPTER}")
    for name in ADAPTER_CLASSES:
        assert isinstance(getattr(adapter, name, None), type), fenced(DRIVER, f"SQLAlchemy 2.1's private {ADAPTER}.{name}")
    util = private(DRIVER, "sqlalchemy.util", "sqlalchemy.util")
    concurrency = private(DRIVER, "sqlalchemy.util.concurrency", "sqlalchemy.util.concurrency")
    assert hasattr(util, "EMPTY_DICT") and callable(getattr(concurrency, "await_", None)), fenced(
        DRIVER, "SQLAlchemy's sqlalchemy.util.EMPTY_DICT and sqlalchemy.util.concurrency.await_"
    )


def test_what_the_fast_driver_overrides_is_there_with_the_same_signature() -> None:
    fast = private(DRIVER, "bot.sqlite_async", f"SQLAlchemy 2.1's private {ADAPTER} (bot/sqlite_async.py)")
    own = {"_one_hop"}  # the one-hop cursor's own helper, no override
    for ours, base in [(fast.OneHopCursor, fast.AsyncAdapt_aiosqlite_cursor),
                       (fast.OneHopConnection, fast.AsyncAdapt_aiosqlite_connection),
                       (fast.OneHopDBAPI, fast.AsyncAdapt_aiosqlite_dbapi)]:
        names = {name for name in vars(ours) if not name.startswith("__") or name == "__init__"}
        for name in sorted(names - own - set(getattr(ours, "__slots__", ()))):
            what = f"SQLAlchemy 2.1's private {base.__name__}.{name}, which {ours.__name__} overrides"
            assert name in dir(base), fenced(DRIVER, what)
            mine, theirs = vars(ours)[name], inspect.getattr_static(base, name)
            assert type(mine) is type(theirs) or callable(mine) and callable(theirs), fenced(DRIVER, what + " (its kind changed)")
            if inspect.isfunction(mine):
                assert list(inspect.signature(mine).parameters) == list(inspect.signature(theirs).parameters), fenced(
                    DRIVER, what + f" (signature now {inspect.signature(theirs)})"
                )


def _slots(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())}


async def test_the_one_hop_cursor_sets_every_slot_and_finds_the_connection_internals_it_uses(tmp_path: Path) -> None:
    from bot.db import Database

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pins.db'}", fast_driver=True)
    try:
        async with database.engine.connect() as connection:
            adapted = (await connection.get_raw_connection()).dbapi_connection
            fast = private(DRIVER, "bot.sqlite_async", "bot/sqlite_async.py")
            assert isinstance(adapted, fast.OneHopConnection)
            cursor = adapted.cursor()
            unset = sorted(slot for slot in _slots(fast.AsyncAdapt_aiosqlite_cursor) if not hasattr(cursor, slot))
            assert not unset, fenced(DRIVER, f"the slots of SQLAlchemy's private AsyncAdapt_aiosqlite_cursor, "
                                             f"which OneHopCursor.__init__ sets itself; not set: {unset}")
            for name in ("_execute_mutex", "_handle_exception", "_connection"):
                assert hasattr(adapted, name), fenced(DRIVER, f"SQLAlchemy's private AsyncAdapt_aiosqlite_connection.{name}")
            raw = adapted._connection  # aiosqlite's Connection
            assert inspect.iscoroutinefunction(getattr(raw, "_execute", None)), fenced(
                DRIVER, "aiosqlite 0.22's private Connection._execute(fn, *args), the one hand-off to its thread"
            )
            for name in ("_conn", "_connection"):
                assert isinstance(getattr(raw, name, None), sqlite3.Connection), fenced(
                    DRIVER, f"aiosqlite 0.22's private Connection.{name}, its sqlite3 connection"
                )
    finally:
        await database.dispose()


# --- off is the plain path: nothing private imported ---------------------------------------------

PROBE = """
import asyncio, sys
from sqlalchemy import text
from bot.app import build_application
from bot.config import load_settings

async def main():
    app = build_application(load_settings(), rate_limit=False)
    with app.db.bounded_reads():
        async with app.db.session() as session:
            assert (await session.exec(text("SELECT 1"))).one()[0] == 1
    await app.db.dispose()
    backend = app.bot.request._client._transport._pool._network_backend
    print(type(backend).__module__, type(app.db.engine.dialect.dbapi).__module__,
          *sorted(name for name in ("bot.pool_tuning", "bot.sqlite_async") if name in sys.modules))

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("false", ["httpcore._backends.auto", "sqlalchemy.dialects.sqlite.aiosqlite"]),
        (None, ["bot.pool_tuning", "bot.sqlite_async", "bot.pool_tuning", "bot.sqlite_async"]),  # the default
    ],
    ids=["off", "default"],
)
def test_the_settings_turn_the_tricks_off_and_leave_them_on_by_default(tmp_path: Path, value: str | None,
                                                                        expected: list[str]) -> None:
    env = {name: text for name, text in os.environ.items() if name not in (POOL, DRIVER, "DATABASE_URL", "BOT_PROXY_URL")}
    env.update(LIANXIN_HOME=str(tmp_path), BOT_TOKEN=TOKEN, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}")
    if value is not None:
        env.update({POOL: value, DRIVER: value})
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected, done.stdout


async def test_the_plain_pass_builds_only_plain_bots_and_databases(tmp_path: Path) -> None:
    """LIANXIN_TEST_PLAIN_LIBRARIES=1 (tests/conftest.py): what the other tests build is on the plain path."""
    if not PLAIN_LIBRARIES:
        pytest.skip("the plain pass only (LIANXIN_TEST_PLAIN_LIBRARIES=1)")
    from bot.app import build_application
    from bot.db import Database
    from bot.request import RetryingRequest

    settings = offline_settings(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    assert not settings.http_pool_tuning and not settings.sqlite_fast_driver
    app = build_application(settings, rate_limit=False)
    try:
        assert not app.db.fast_driver and not app.bot.request.pool_tuning
    finally:
        await app.db.dispose()
    database = Database(settings.database_url)
    assert not database.fast_driver and not RetryingRequest().pool_tuning
    await database.dispose()
