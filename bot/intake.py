"""Durable intake: no update is acknowledged to Telegram before it is stored.

PTB's Updater acknowledges a batch of polled updates with its *next* getUpdates call,
after `await update_queue.put(update)` returned for each of them; its webhook handler
answers 200 after that same call returned (python-telegram-bot 22.8,
`telegram/ext/_updater.py` and `_utils/webhookhandler.py`). So the application's update
queue is an `Inbox` whose `put` first inserts the update into the `inbox` table:

- a process killed after a fetch finds the stored updates at the next start and handles
  them first (`requeue_pending`, from post_init, before polling starts);
- an update is marked done in the same transaction that persists its effects
  (`LianxinApplication.process_update`), so it is handled once; an update that wrote
  nothing (/help, /my, paging: every statement it ran was a read) is marked done a little
  later, in one UPDATE with the others handled meanwhile (`Inbox.done_later`, at most
  `DONE_DELAY` after it was handled, and at the latest when the application stops). A
  crash within that window makes the bot answer such an update a second time, which is
  harmless because it changed nothing;
- an update Telegram delivers again (never acknowledged because the process died) is
  already in the table: it is neither queued again nor handled twice. Done rows are kept
  for `KEEP_DONE` (Telegram keeps unacknowledged updates for 24 hours), then pruned.

Polling stores each fetched batch in one transaction: `PollRequest` (the Updater's
getUpdates request) calls `Inbox.flush` just before sending the getUpdates that
acknowledges the batch; each update is stored as getUpdates delivered it (`PollRequest.parse_json_payload`
hands the inbox the raw updates), not rebuilt from PTB's objects. A webhook update is stored by `put`
itself, before the 200.

If the database cannot take the updates, a `NetworkError` is raised: PTB's polling loop
tries again without having acknowledged anything, and the webhook answers 500 so
Telegram sends the update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Executable, Result, bindparam, delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from bot.db import Database, dialect_insert
from models import InboxUpdate, UTCDateTime, utcnow

log = logging.getLogger(__name__)
KEEP_DONE = timedelta(hours=48)
PRUNE_EVERY = timedelta(hours=1)
DONE_DELAY = 0.25  # seconds: read-only updates handled meanwhile are marked done together


_TABLE = InboxUpdate.__table__
# built once: every update runs both, and building a statement costs more than running it on SQLite
MARK_DONE = update(_TABLE).where(_TABLE.c.update_id == bindparam("b_update_id")).values(
    done_at=bindparam("b_now", type_=UTCDateTime())
)
MARK_MANY_DONE = update(_TABLE).where(_TABLE.c.update_id.in_(bindparam("b_update_ids", expanding=True))).values(
    done_at=bindparam("b_now", type_=UTCDateTime())
)


def encode(data: Any) -> str:
    """Stored JSON (an update here, a form's state in `bot/persistence.py`): compact, so equal values
    give equal strings."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def execute(executor: AsyncConnection | AsyncSession, statement: Executable, params: dict | None = None
            ) -> Awaitable[Result]:
    """Run on an AsyncConnection or a (SQLModel) AsyncSession, whichever the caller holds."""
    if isinstance(executor, AsyncConnection):
        return executor.execute(statement, params)
    return executor.exec(statement, params=params)


class PollRequest(HTTPXRequest):
    """The Updater's getUpdates request: the inbox stores the previous batch before this call acknowledges it."""

    def __init__(self, inbox: Inbox, *, fence: Callable[[], bool] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type] - HTTPXRequest's keywords
        self.inbox = inbox
        self.fence = fence  # with a hot standby: only the leader polls (bot/leader.py)

    async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
        if self.fence is not None and not self.fence():
            raise NetworkError("getUpdates not called: this process no longer leads")
        self.inbox.polling = True
        await self.inbox.flush()
        return await super().do_request(*args, **kwargs)  # type: ignore[arg-type] - BaseRequest's signature

    def parse_json_payload(self, payload: bytes) -> dict:  # type: ignore[override] - PTB's is a staticmethod
        """getUpdates' answer, parsed as PTB does; the updates' JSON is also handed to the inbox, which
        stores it as received rather than rebuilding it from PTB's objects (`Update.to_dict`)."""
        data = super().parse_json_payload(payload)
        result = data.get("result") if isinstance(data, dict) else None
        if isinstance(result, list):
            self.inbox.received(result)
        return data


class Inbox(asyncio.Queue):
    """The application's update queue; updates are stored before they are queued."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.polling = False  # set by PollRequest: updates come in batches acknowledged by getUpdates
        self._batch: list[Update] = []
        self._as_received: dict[int, str] = {}  # update_id → its JSON as getUpdates delivered it (the batch)
        self._done: list[int] = []  # read-only updates handled, not yet marked done (done_later)
        self._done_writer: asyncio.Task | None = None
        self._done_lock = asyncio.Lock()
        self._insert = (
            dialect_insert(db.dialect, _TABLE)
            .values(update_id=bindparam("b_update_id"), payload=bindparam("b_payload"),
                    received_at=bindparam("b_now", type_=UTCDateTime()))
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(_TABLE.c.update_id)  # rowcount is -1 here on psycopg's async cursor
        )

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.polling:
            # PTB's Updater puts a whole batch, then acknowledges it with its next getUpdates:
            # `flush` (called by PollRequest just before that call) stores the batch in one transaction
            self._batch.append(item)
            return
        if isinstance(item, Update):
            try:
                fresh = await self.store(item)
            except SQLAlchemyError as exc:
                # a TelegramError makes PTB's polling loop fetch the same batch again
                raise NetworkError(f"could not store update {item.update_id}: {exc.__class__.__name__}") from exc
            if not fresh:
                log.debug("update %s is known already; not queued again", item.update_id)
                return
        await super().put(item)

    def received(self, updates: list) -> None:
        """The raw updates of a getUpdates answer (`PollRequest`), before PTB turns them into objects."""
        self._as_received = {
            raw["update_id"]: encode(raw)
            for raw in updates if isinstance(raw, dict) and isinstance(raw.get("update_id"), int)
        }

    async def store(self, item: Update) -> bool:
        """Insert the update; False when it was there already (queued or handled before)."""
        params = {"b_update_id": item.update_id, "b_payload": encode(item.to_dict()), "b_now": utcnow()}
        async with self.db.engine.begin() as connection:
            return (await connection.execute(self._insert, params)).first() is not None

    async def flush(self) -> None:
        """Store the polled batch (one transaction), then queue the updates not known before, in order."""
        if not self._batch:
            return
        batch, as_received = self._batch, self._as_received
        rows = [
            {"b_update_id": item.update_id, "b_now": utcnow(),
             "b_payload": as_received.get(item.update_id) or encode(item.to_dict())}
            for item in batch
        ]
        try:
            async with self.db.engine.begin() as connection:
                fresh = set((await connection.execute(self._insert, rows)).scalars().all())
        except SQLAlchemyError as exc:
            # the batch stays here and getUpdates is not sent: nothing is acknowledged; PTB retries
            raise NetworkError(f"could not store updates {batch[0].update_id}…: {exc.__class__.__name__}") from exc
        self._batch, self._as_received = [], {}
        for item in batch:
            if item.update_id in fresh:
                await super().put(item)
            else:
                log.debug("update %s is known already; not queued again", item.update_id)

    def done_later(self, update_id: int) -> None:
        """This update was handled and wrote nothing: mark it done with the next batch of such updates."""
        self._done.append(update_id)
        if self._done_writer is None or self._done_writer.done():
            self._done_writer = asyncio.get_running_loop().create_task(self._write_done_soon())

    async def _write_done_soon(self) -> None:
        await asyncio.sleep(DONE_DELAY)
        await self.write_done()

    async def write_done(self) -> None:
        """Mark the updates collected by `done_later` done, in one statement. On a database error
        they stay collected (tried again with the next ones); at worst they are answered again
        after a restart."""
        async with self._done_lock:  # one at a time: whoever returns from here finds all earlier marks written
            if not self._done:
                return
            ids, self._done = self._done, []
            try:
                async with self.db.engine.begin() as connection:
                    await connection.execute(MARK_MANY_DONE, {"b_update_ids": ids, "b_now": utcnow()})
            except Exception as exc:  # a timer task: nobody above to catch it
                log.error("could not mark %d handled updates done: %s", len(ids), exc.__class__.__name__)
                log.debug("inbox done marks", exc_info=exc)
                self._done[:0] = ids

    async def close(self) -> None:
        """When the application stops: the last done marks are written now."""
        writer, self._done_writer = self._done_writer, None
        if writer is not None and not writer.done():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        await self.write_done()

    async def join(self) -> None:
        """Until every queued update was handled and its done mark is written (tests and shutdown)."""
        await super().join()
        await self.write_done()

    async def requeue_pending(self, bot: Bot) -> int:
        """Queue the stored updates not yet done, oldest first; called once before polling starts."""
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(InboxUpdate.update_id, InboxUpdate.payload)
                    .where(InboxUpdate.done_at.is_(None))
                    .order_by(InboxUpdate.update_id)
                )
            ).all()
        for update_id, payload in rows:
            try:
                item = Update.de_json(json.loads(payload), bot)
            except Exception as exc:  # noqa: BLE001 - one unreadable row must not stop the bot
                log.error("stored update %s cannot be read (%s); skipped", update_id, exc)
                continue
            await super().put(item)
        if rows:
            log.info("re-queued %d stored updates not handled before the last stop", len(rows))
        return len(rows)


async def mark_done(executor: AsyncSession | AsyncConnection, *, update_id: int, now: datetime) -> None:
    """Part of the caller's unit of work: this update's effects are being committed with it."""
    await execute(executor, MARK_DONE, {"b_update_id": update_id, "b_now": now})


async def prune(db: Database, *, now: datetime) -> int:
    """Forget updates done longer ago than Telegram could send them again."""
    async with db.session() as session:
        result = await session.exec(delete(InboxUpdate).where(InboxUpdate.done_at < now - KEEP_DONE))
        await session.commit()
    return result.rowcount
