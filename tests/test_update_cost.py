"""What handling one update costs: persistence writes only what changed, a bounded number of statements per
update, read-only updates batched, who sent it kept briefly, one person's updates in order, the Bot API pool."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from sqlalchemy import event
from sqlmodel import select

import bot.sqlite_async as sqlite_async
from bot.persistence import CONVERSATION, USER, SQLPersistence
from bot.services.identity import sender_cache
from models import BotState
from tests.conftest import bind, settle


class Statements:
    """Every SQL statement an engine executes (connection PRAGMAs left out)."""

    def __init__(self, engine) -> None:  # an AsyncEngine
        self.engine = engine.sync_engine
        self.seen: list[str] = []
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith("PRAGMA"):
            self.seen.append(" ".join(statement.split())[:120])

    def reset(self) -> None:
        self.seen = []

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


async def rows(db) -> dict[tuple[str, str], str]:
    async with db.session() as session:
        return {(r.kind, r.key): r.data for r in (await session.exec(select(BotState))).all()}


# --- persistence --------------------------------------------------------------------------

async def test_form_state_is_written_once_and_unchanged_state_costs_nothing(db) -> None:
    persistence = SQLPersistence(db)
    await persistence.get_user_data()
    await persistence.get_conversations("log_activity")
    counter = Statements(db.engine)
    try:
        state = {"user_id": 42, "user_data": {"draft": {"step": "date"}}, "conversation": "log_activity", "key": (42, 42)}
        await persistence.write_form_state(**state, state="date")
        assert len(counter.seen) == 2  # two upserts, one transaction
        assert await rows(db) == {
            (USER, "42"): '{"draft":{"step":"date"}}', (CONVERSATION + "log_activity", "[42, 42]"): '"date"',
        }
        counter.reset()
        await persistence.write_form_state(**state, state="date")
        await persistence.update_user_data(42, {"draft": {"step": "date"}})
        await persistence.update_conversation("log_activity", (42, 42), "date")
        assert counter.seen == []
        await persistence.write_form_state(**{**state, "user_data": {}}, state=None)  # the form ends
        assert len(counter.seen) == 2 and await rows(db) == {}
        counter.reset()
        # deleting what does not exist is not attempted
        await persistence.drop_user_data(42)
        await persistence.update_user_data(43, {})
        await persistence.update_conversation("log_activity", (43, 43), None)
        assert counter.seen == []
    finally:
        counter.close()


async def test_rows_read_at_start_up_are_known(db) -> None:
    first = SQLPersistence(db)
    await first.get_user_data()
    await first.update_user_data(7, {"a": 1})
    second = SQLPersistence(db)  # the next start
    assert await second.get_user_data() == {7: {"a": 1}}
    counter = Statements(db.engine)
    try:
        await second.update_user_data(7, {"a": 1})
        await second.drop_user_data(8)
        assert counter.seen == []
        await second.drop_user_data(7)
        assert len(counter.seen) == 1
    finally:
        counter.close()
    assert await rows(db) == {}


async def test_staged_form_state_commits_with_the_callers_work_or_not_at_all(db) -> None:
    persistence = SQLPersistence(db)
    await persistence.get_user_data()
    await persistence.get_conversations("log_activity")
    state = {"user_id": 5, "user_data": {"draft": 1}, "conversation": "log_activity", "key": (5, 5), "state": "confirm"}
    async with db.session() as session:
        confirm = await persistence.stage_form_state(session, **state)
        await session.rollback()  # the caller's unit of work failed
    assert await rows(db) == {}
    await persistence.write_form_state(**state)  # not believed written: written now
    assert len(await rows(db)) == 2

    ended = {**state, "user_data": {}, "state": None}
    async with db.session() as session:
        confirm = await persistence.stage_form_state(session, **ended)
        assert len(await rows(db)) == 2  # nothing visible before the caller commits
        await session.commit()
    confirm()
    assert await rows(db) == {}
    counter = Statements(db.engine)
    try:
        await persistence.write_form_state(**ended)  # the flush after the update: nothing left to do
        await persistence.update_conversation("log_activity", (5, 5), None)
        assert counter.seen == []
    finally:
        counter.close()


# --- statements per update ----------------------------------------------------------------

# Bounds (SQL statements per update, BEGIN/COMMIT not counted; PRAGMAs of new connections left out).
# "batched" is the one `UPDATE inbox ... IN (...)` that marks every read-only update handled within
# DONE_DELAY done (counted here because the test waits for it after each update; under load it is
# shared by many updates). Identity: one UNION ALL SELECT, then kept for IDENTITY_TTL.
#   /help after binding   3 = inbox INSERT + identity SELECT + batched
#   /help again           2 = inbox INSERT + batched
#   a form step (人次)     4 = inbox INSERT + user_data and conversation upserts with the inbox UPDATE in one
#                           transaction; the flush after the update writes nothing. before: 5 (identity)
#   /my                   5 = inbox INSERT + 3 reads (standing: the member's peers with this year's tally rows,
#                           the member's quarters among them; the page with its total; reminders) + batched.
#                           before: 9 (identity, 6 reads, inbox UPDATE), then 7 (member and quarters apart),
#                           then 6 (the member's row and the peers apart)
HELP_BOUNDS = {"help": 3, "help again": 2}
FORM_STEP_BOUND = 4
MY_BOUND = 5


async def quiet_member(fake, db, runner, settings):
    """A running bot with a bound member, its jobs paused so that only the updates' statements run."""
    app = await runner.start(settings)
    user = await bind(fake, db, 5001, "GS0003", "胡刚")
    app.job_queue.scheduler.pause()  # the outbox job polls the database meanwhile
    await settle(app)
    # a delivery run already under way goes on after the pause; it is over once it has chained the next one
    async def delivery_idle() -> None:
        while not app.job_queue.get_jobs_by_name("outbox_delivery"):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(delivery_idle(), 10)
    return app, user


async def test_statements_per_update(fake, db, roster, runner, settings) -> None:
    app, user = await quiet_member(fake, db, runner, settings)
    counter = Statements(app.db.engine)
    try:
        counts = {}
        for name, action in [
            ("help", lambda: user.send("/help")),
            ("help again", lambda: user.send("/help")),
            ("my", lambda: user.send("/my")),
        ]:
            counter.reset()
            await action()
            await user.expect_message()
            await settle(app)
            counts[name] = list(counter.seen)
        await user.send("/log")
        await user.expect_message()
        await user.press("主动走访")
        await user.expect_message()
        await user.press("今天")
        await user.expect_message()
        await user.press("临夏渭源社区")
        await user.expect_message()
        await settle(app)
        counter.reset()
        await user.send("12")
        assert "活动内容" in (await user.expect_message()).text
        await settle(app)
        counts["form step"] = list(counter.seen)
    finally:
        counter.close()
    assert len(counts["help"]) <= HELP_BOUNDS["help"], counts["help"]
    assert len(counts["help again"]) <= HELP_BOUNDS["help again"], "\n".join(s[:70] for s in counts["help again"])
    assert len(counts["form step"]) <= FORM_STEP_BOUND, counts["form step"]
    assert len(counts["my"]) <= MY_BOUND, "\n".join(s[:70] for s in counts["my"])
    # read-only updates share one done mark; the form step's is part of its own commit
    for name in ("help", "help again", "my"):
        marks = [s for s in counts[name] if s.startswith("UPDATE inbox")]
        assert len(marks) == 1 and " IN (" in marks[0], counts[name]
    assert any(s.startswith("UPDATE inbox") and " IN (" not in s for s in counts["form step"]), counts["form step"]


async def test_my_reads_run_on_the_loop_thread_on_sqlite(fake, db, roster, runner, settings, monkeypatch) -> None:
    """/my's reads and the sender lookup skip the hand-off to aiosqlite's thread (bot/sqlite_async.py);
    its one write (the inbox row) does not."""
    if db.dialect != "sqlite":
        pytest.skip("aiosqlite's thread is SQLite's")
    fast = settings.model_copy(update={"sqlite_fast_driver": True})  # the trick under test, in either pass
    app, user = await quiet_member(fake, db, runner, fast)
    sender_cache(app.db.engine)._kept.clear()  # so that the sender is looked up again
    seen: list[tuple[bool, str]] = []
    loop_thread = threading.get_ident()
    run = sqlite_async._run

    def recording(raw, many, operation, parameters):
        seen.append((threading.get_ident() == loop_thread, " ".join(str(operation).split())[:40]))
        return run(raw, many, operation, parameters)

    monkeypatch.setattr(sqlite_async, "_run", recording)
    await user.send("/my")
    assert "本季度" in (await user.expect_message()).text
    await settle(app)
    reads = [inline for inline, statement in seen if statement.upper().startswith("SELECT")]
    writes = [inline for inline, statement in seen if not statement.upper().startswith("SELECT")]
    assert len(reads) >= 4 and all(reads), seen  # sender, standing, page, reminders: on the loop's thread
    assert writes and not any(writes), seen  # the inbox row: in aiosqlite's thread


# --- read-only updates: done marks batched --------------------------------------------------

def test_what_counts_as_a_write() -> None:
    from bot.db import is_write

    for statement in ["SELECT 1", "  select x from member", "PRAGMA foreign_keys=ON", "(SELECT 1) UNION (SELECT 2)",
                      "WITH r AS (SELECT 1) SELECT * FROM r", "BEGIN", "ROLLBACK", "SAVEPOINT sa_1"]:
        assert not is_write(statement), statement
    for statement in ["INSERT INTO inbox VALUES (1)", "update member set name = 'x'", "DELETE FROM botstate",
                      "WITH r AS (SELECT 1) UPDATE member SET active = 0", "CREATE TABLE x (y int)", "REPLACE INTO x"]:
        assert is_write(statement), statement


async def test_a_read_only_update_is_marked_done_with_others_and_a_writing_one_at_once(fake, db, roster, runner, settings) -> None:
    from models import InboxUpdate

    app, user = await quiet_member(fake, db, runner, settings)
    counter = Statements(app.db.engine)
    try:
        for _ in range(3):  # read-only: no transaction of their own
            await user.send("/my")
            await user.expect_message()
        await fake.wait_until(lambda: not fake.pending_updates, timeout=5)
        own = [s for s in counter.seen if s.startswith("UPDATE inbox")]
        assert own == [], counter.seen
        await settle(app)  # the batch is written by now (DONE_DELAY, or here: the queue's join)
        marks = [s for s in counter.seen if s.startswith("UPDATE inbox")]
        assert len(marks) == 1 and " IN (" in marks[0], counter.seen
    finally:
        counter.close()
    async with db.session() as session:
        rows = (await session.exec(select(InboxUpdate))).all()
    assert rows and all(r.done_at is not None for r in rows)

    # a handler that writes (deleting an activity) gets its done mark at once, not batched
    from bot.services.rules import Quarter
    from models import Activity, Member, utcnow

    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.telegram_id == 5001))).one()
        today = utcnow().date()
        activity = Activity(member_id=member.id, kind="visit", activity_date=today, year=today.year,
                            quarter=Quarter.of(today).q, place="社区", people=3, summary="走访社区老人",
                            points=1.0, created_at=utcnow(), updated_at=utcnow())
        session.add(activity)
        await session.commit()
        activity_id = activity.id
    await user.send("/my")
    my = await user.expect_message()
    await settle(app)
    from bot.callbacks import ActivityAction, ActivityButton

    counter = Statements(app.db.engine)
    try:
        await user.press_data(ActivityButton(ActivityAction.delete_ok, activity_id).pack(), message=my)
        assert f"#{activity_id}" in (await user.expect_edit()).text
        await fake.wait_until(lambda: not fake.pending_updates, timeout=5)
        for _ in range(50):  # the eager mark comes right after the handler, before any batch
            if any(s.startswith("UPDATE inbox") for s in counter.seen):
                break
            await asyncio.sleep(0.01)
        marks = [s for s in counter.seen if s.startswith("UPDATE inbox")]
        assert marks and " IN (" not in marks[0], counter.seen
    finally:
        counter.close()


# --- who sent it: kept briefly --------------------------------------------------------------

@contextlib.contextmanager
def unseen_by_this_process():
    """Writes made meanwhile are invisible to the identity cache's listeners, as another process's are."""
    from sqlalchemy.engine import Engine

    from bot.services import identity

    listeners = [("after_execute", identity._saw_statement), ("commit", identity._transaction_ended),
                 ("rollback", identity._transaction_ended)]
    for name, fn in listeners:
        event.remove(Engine, name, fn)
    try:
        yield
    finally:
        for name, fn in listeners:
            event.listen(Engine, name, fn)


async def grant(db, telegram_id: int, value: str) -> None:
    from models import RoleGrant, ScopeKind

    async with db.session() as session:
        session.add(RoleGrant(telegram_id=telegram_id, scope_kind=ScopeKind.sector, scope_value=value))
        await session.commit()


async def revoke(db, telegram_id: int) -> None:
    from sqlalchemy import delete

    from models import RoleGrant

    async with db.session() as session:
        await session.exec(delete(RoleGrant).where(RoleGrant.telegram_id == telegram_id))
        await session.commit()


async def roles_shown(user) -> str:
    await user.send("/help")
    return (await user.expect_message()).text.split("\n", 1)[0]


async def test_identity_changes_in_this_process_count_on_the_next_update(fake, db, app) -> None:
    """`db` is another engine than the bot's: any engine of this process forgets the kept identities."""
    user = fake.user(7400, first_name="居民")
    assert "协调员" not in await roles_shown(user)
    await grant(db, 7400, "经济界")
    assert "协调员" in await roles_shown(user)
    await revoke(db, 7400)
    assert "协调员" not in await roles_shown(user)


async def test_identity_changes_by_another_process_count_within_the_ttl(fake, db, app) -> None:
    from bot.services.identity import IDENTITY_TTL

    now = [1000.0]
    cache = sender_cache(app.db.engine)
    cache.clock = lambda: now[0]
    user = fake.user(7401, first_name="居民")
    assert "协调员" not in await roles_shown(user)
    with unseen_by_this_process():  # e.g. `python -m bot roles grant` in a shell
        await grant(db, 7401, "经济界")
    now[0] += IDENTITY_TTL - 0.5
    assert "协调员" not in await roles_shown(user)  # still the kept answer
    now[0] += 0.5
    assert "协调员" in await roles_shown(user)  # never older than IDENTITY_TTL
    with unseen_by_this_process():
        await revoke(db, 7401)
    now[0] += IDENTITY_TTL
    assert "协调员" not in await roles_shown(user)


def test_the_identity_cache_keeps_a_bounded_number_of_people_and_hands_out_copies() -> None:
    from bot.services.identity import Identity, Sender, SenderCache, _generation
    from bot.services.scopes import Scope
    from models import ScopeKind

    cache = SenderCache(size=2)
    for telegram_id in (1, 2, 3):
        cache.put(telegram_id, Sender(Identity(telegram_id=telegram_id)), _generation)
    assert cache.get(1) is None and cache.get(3) is not None
    cache.put(4, Sender(Identity(telegram_id=4, scopes=[Scope(ScopeKind.sector, "经济界")])), _generation)
    first = cache.get(4)
    first.identity.scopes.clear()
    assert cache.get(4).identity.scopes == [Scope(ScopeKind.sector, "经济界")]
    cache.put(5, Sender(Identity(telegram_id=5)), _generation - 1)  # read before a write: not kept
    assert cache.get(5) is None


# --- concurrency ------------------------------------------------------------------------

def _message(update_id: int, user_id: int):
    from telegram import Update

    chat = {"id": user_id, "type": "private", "first_name": "x"}
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": chat, "from": {"id": user_id, "is_bot": False, "first_name": "x"},
        "text": "t"}}, None)


async def test_one_persons_updates_run_in_order_and_others_overlap() -> None:
    from bot.concurrency import PerPersonUpdateProcessor

    processor = PerPersonUpdateProcessor(8)
    events: list[str] = []
    first_running = asyncio.Event()
    release = asyncio.Event()

    async def slow(name: str) -> None:
        events.append(f"{name} start")
        first_running.set()
        await release.wait()
        events.append(f"{name} end")

    async def quick(name: str) -> None:
        events.append(f"{name} start")
        events.append(f"{name} end")

    tasks = [asyncio.create_task(processor.process_update(_message(1, 100), slow("a1")))]
    await first_running.wait()
    tasks.append(asyncio.create_task(processor.process_update(_message(2, 100), quick("a2"))))
    tasks.append(asyncio.create_task(processor.process_update(_message(3, 200), quick("b1"))))
    await asyncio.sleep(0.05)
    assert events == ["a1 start", "b1 start", "b1 end"]  # b overlaps a1; a2 waits for a1
    release.set()
    await asyncio.gather(*tasks)
    assert events[3:] == ["a1 end", "a2 start", "a2 end"]
    assert processor._locks == {}  # no lock left behind per person


# --- the Bot API connection pool --------------------------------------------------------------

async def test_pooled_connections_keep_their_socket_and_still_notice_a_server_that_closed_them() -> None:
    """bot/pool_tuning.py answers httpcore's "is this idle connection readable?" from the socket it kept:
    a connection the server closed while idle must still be dropped, not reused (a reused one fails
    with "Server disconnected without sending a response")."""
    from bot.pool_tuning import PooledBackend
    from bot.request import RetryingRequest

    served: list[int] = []
    closed = asyncio.Event()

    async def one_answer_then_close(reader, writer) -> None:
        served.append(len(served) + 1)
        await reader.readuntil(b"\r\n\r\n")
        body = str(len(served)).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()  # keep-alive was offered (HTTP/1.1); the server closes anyway
        await writer.wait_closed()
        closed.set()

    server = await asyncio.start_server(one_answer_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = RetryingRequest(connection_pool_size=4, pool_tuning=True)  # the trick under test, in either pass
    try:
        await request.initialize()
        client = request._client
        assert isinstance(client._transport._pool._network_backend, PooledBackend)
        answers = []
        for _ in range(3):
            closed.clear()
            answers.append((await client.get(f"http://127.0.0.1:{port}/")).text)
            await closed.wait()
        assert answers == ["1", "2", "3"] and served == [1, 2, 3]  # a new connection each time
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()


class _Recorded:
    """A network stream that records what reaches it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes | int, float | None]] = []

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.seen.append(("write", buffer, timeout))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.seen.append(("read", max_bytes, timeout))
        return b"HTTP/1.1 200 OK\r\n"

    async def aclose(self) -> None:
        self.seen.append(("close", b"", None))

    def get_extra_info(self, info: str):
        return None


async def test_a_requests_head_goes_out_with_its_body_and_nothing_waits_for_a_read() -> None:
    from bot.pool_tuning import HOLD_AT_MOST, PooledStream

    inner = _Recorded()
    stream = PooledStream(inner)
    # a POST: head, body, httpcore's empty end of message, then the response is read
    await stream.write(b"POST /bot/sendMessage HTTP/1.1\r\n\r\n", 5.0)
    assert inner.seen == []
    await stream.write(b"chat_id=1&text=x", 5.0)
    await stream.write(b"", 5.0)
    await stream.read(4096, 7.0)
    assert inner.seen == [("write", b"POST /bot/sendMessage HTTP/1.1\r\n\r\nchat_id=1&text=x", 5.0), ("read", 4096, 7.0)]
    # the next request on the connection, without a body: the head is sent before the read, with its timeout
    inner.seen.clear()
    await stream.write(b"GET /x HTTP/1.1\r\n\r\n", 3.0)
    await stream.read(4096, 7.0)
    assert inner.seen == [("write", b"GET /x HTTP/1.1\r\n\r\n", 3.0), ("read", 4096, 7.0)]
    # a big upload: nothing longer than HOLD_AT_MOST is held, and later chunks go out as they come
    inner.seen.clear()
    big = b"h" * (HOLD_AT_MOST + 1)
    await stream.write(big, 5.0)
    await stream.write(b"chunk", 5.0)
    assert inner.seen == [("write", big, 5.0), ("write", b"chunk", 5.0)]
    # a request abandoned after its head: closing drops it
    inner.seen.clear()
    await stream.read(1, None)
    await stream.write(b"POST /y HTTP/1.1\r\n\r\n", 5.0)
    await stream.aclose()
    assert [kind for kind, *_ in inner.seen] == ["read", "close"]


async def test_bot_api_calls_in_flight_are_bounded_and_the_rest_wait_their_turn(monkeypatch) -> None:
    """RetryingRequest(in_flight=n): at most n calls reach httpx at once (so httpcore's pool never holds
    more than n connections); the others wait, none is refused or lost."""
    from telegram.request import HTTPXRequest

    from bot.request import RetryingRequest

    running: list[str] = []
    most = 0
    release = asyncio.Event()

    async def held_call(self, url, method, *args, **kwargs):
        nonlocal most
        running.append(url)
        most = max(most, len(running))
        await release.wait()
        running.remove(url)
        return 200, b'{"ok":true,"result":true}'

    monkeypatch.setattr(HTTPXRequest, "do_request", held_call)
    request = RetryingRequest(in_flight=2)
    calls = [asyncio.create_task(request.do_request(f"http://bot/api/m{n}", "POST")) for n in range(5)]
    for _ in range(20):  # every task that can run gets to run
        await asyncio.sleep(0)
    assert len(running) == 2 and not any(call.done() for call in calls)
    release.set()
    assert [code for code, _ in await asyncio.gather(*calls)] == [200] * 5
    assert most == 2 and running == []
