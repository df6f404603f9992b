"""python-telegram-bot persistence kept in our own database, so forms survive restarts.

Only user_data (form drafts) and conversation states are stored; chat, bot and
callback data are switched off. The application flushes after every update in one
transaction together with marking the update done (see `bot.app.LianxinApplication`),
so an unclean stop loses nothing that was acknowledged.

Writes that change nothing are skipped: the JSON last committed for every key is
cached (loaded at start-up, when PTB reads everything back), so an update that leaves a
user's data as it was costs no statement, and deleting a row that does not exist is
not attempted. This process is the only writer of these rows (one bot per token).

Forms write their state *before* asking the next question: `stage_form_state` does
that in the caller's session (so a form can save its record and end its state in one
commit) and `write_form_state` in a transaction of its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import delete, event
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.db import Database, dialect_insert, is_write
from bot.intake import encode, execute, mark_done
from models import BotState, utcnow

log = logging.getLogger(__name__)
USER = "user_data"
CONVERSATION = "conversation:"
_UNKNOWN = object()  # a key whose row may or may not exist (its kind was never loaded)


def conversation_key(key: ConversationKey) -> str:
    # the spelling rows were always stored with; changing it would orphan forms in progress
    return json.dumps(list(key))


@dataclass
class Handling:
    """The update being handled, whether its inbox row was committed as done yet, and whether
    anything it ran (handlers included) may have written to the database."""

    update_id: int
    done: bool = False
    wrote: bool = False


@dataclass(frozen=True)
class Write:
    """One pending change of a `botstate` row: the new JSON, or None to delete it."""

    kind: str
    key: str
    payload: str | None


class SQLPersistence(BasePersistence[dict, dict, dict]):
    """Stores user_data and conversations as JSON rows in the `botstate` table."""

    def __init__(self, db: Database, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db
        # the JSON committed for each key (None: no row); kinds in _loaded are complete
        self._written: dict[tuple[str, str], str | None] = {}
        self._loaded: set[str] = set()
        # set while the application flushes after an update: writes are collected, not run
        self._collector: ContextVar[list[Write] | None] = ContextVar(f"persistence-{id(self)}", default=None)
        # the update being handled (set by the application); its inbox row is marked done by
        # the first commit of its state, so a replay after a crash never repeats a committed step
        self._handling: ContextVar[Handling | None] = ContextVar(f"handling-{id(self)}", default=None)
        # every statement of this engine: one that may write, run while an update is handled, makes it a writer
        event.listen(db.engine.sync_engine, "after_cursor_execute", self._saw_statement)

    def _saw_statement(self, conn, cursor, statement: str, *args: object) -> None:  # noqa: ANN001 - SQLAlchemy event
        handling = self._handling.get()
        if handling is not None and not handling.wrote and is_write(statement):
            handling.wrote = True

    # --- what to write --------------------------------------------------------------

    def _committed(self, kind: str, key: str) -> object:
        return self._written.get((kind, key), None if kind in self._loaded else _UNKNOWN)

    def plan(self, kind: str, key: str, payload: str | None) -> Write | None:
        """The write needed to make the row hold `payload`; None when it already does."""
        if self._committed(kind, key) == payload:
            return None
        return Write(kind, key, payload)

    def statement(self, write: Write):  # noqa: ANN201 - a SQLAlchemy DML statement
        if write.payload is None:
            return delete(BotState).where(BotState.kind == write.kind, BotState.key == write.key)
        now = utcnow()
        insert = dialect_insert(self.db.dialect, BotState.__table__).values(
            kind=write.kind, key=write.key, data=write.payload, updated_at=now
        )
        return insert.on_conflict_do_update(
            index_elements=["kind", "key"], set_={"data": write.payload, "updated_at": now}
        )

    def _undone(self) -> Handling | None:
        handling = self._handling.get()
        return handling if handling is not None and not handling.done else None

    async def stage(self, session: AsyncSession | AsyncConnection, writes: Iterable[Write]) -> bool:
        """Execute `writes` in the caller's session (or connection), nothing committed; True if the
        update being handled was marked done with them (pass it on to `confirm`)."""
        for write in writes:
            await execute(session, self.statement(write))
        handling = self._undone()
        if handling is None:
            return False
        await mark_done(session, update_id=handling.update_id, now=utcnow())
        return True

    def confirm(self, writes: Iterable[Write], *, marked: bool = False) -> None:
        """After the caller committed `writes`: remember what the rows now hold."""
        for write in writes:
            self._written[(write.kind, write.key)] = write.payload
        handling = self._handling.get()
        if marked and handling is not None:
            handling.done = True

    def read_only(self, writes: list[Write]) -> bool:
        """Whether the update being handled wrote nothing at all and leaves nothing to write: its
        done mark alone is left, and it may wait (`Inbox.done_later`): answering it again after a
        crash changes nothing."""
        handling = self._undone()
        return not writes and handling is not None and not handling.wrote

    def pending(self, writes: list[Write]) -> bool:
        """Whether committing `writes` (and the handled update's done mark) would change anything."""
        return bool(writes) or self._undone() is not None

    @contextlib.contextmanager
    def handling(self, update_id: int | None) -> Iterator[Handling | None]:
        """While one update is handled: the first commit of state also marks it done in the inbox."""
        current = Handling(update_id) if update_id is not None else None
        token = self._handling.set(current)
        try:
            yield current
        finally:
            self._handling.reset(token)

    @contextlib.contextmanager
    def collecting(self) -> Iterator[list[Write]]:
        """Within this block (and tasks started in it) writes are collected instead of run."""
        writes: list[Write] = []
        token = self._collector.set(writes)
        try:
            yield writes
        finally:
            self._collector.reset(token)

    async def _apply(self, write: Write | None) -> None:
        if write is None:
            return
        collector = self._collector.get()
        if collector is not None:
            collector.append(write)
            return
        async with self.db.session() as session:
            await session.exec(self.statement(write))
            await session.commit()
        self.confirm([write])

    # --- forms ----------------------------------------------------------------------

    def form_writes(
        self, *, user_id: int, user_data: dict, conversation: str, key: ConversationKey, state: object | None
    ) -> list[Write]:
        """The writes that make one user's data and one conversation key durable (only the changed ones)."""
        writes = [
            self.plan(USER, str(user_id), encode(user_data) if user_data else None),
            self.plan(CONVERSATION + conversation, conversation_key(key), None if state is None else encode(state)),
        ]
        return [w for w in writes if w is not None]

    async def stage_form_state(
        self,
        session: AsyncSession,
        *,
        user_id: int,
        user_data: dict,
        conversation: str,
        key: ConversationKey,
        state: object | None,
    ) -> Callable[[], None]:
        """Write a form's user data and state in the caller's session without committing.

        Returns the confirmation to call after the caller's commit succeeded, so that the
        flush after the update does not write the same values again. `state=None` ends the
        conversation (its row is deleted); empty `user_data` deletes the user's row.
        """
        writes = self.form_writes(user_id=user_id, user_data=user_data, conversation=conversation, key=key, state=state)
        marked = await self.stage(session, writes)
        return lambda: self.confirm(writes, marked=marked)

    async def write_form_state(
        self, *, user_id: int, user_data: dict, conversation: str, key: ConversationKey, state: object | None
    ) -> None:
        """`stage_form_state` and commit, in one transaction of its own (none when nothing changed)."""
        writes = self.form_writes(user_id=user_id, user_data=user_data, conversation=conversation, key=key, state=state)
        if not self.pending(writes):
            return
        async with self.db.session() as session:
            marked = await self.stage(session, writes)
            await session.commit()
        self.confirm(writes, marked=marked)

    # --- BasePersistence ------------------------------------------------------------

    async def _all(self, kind: str) -> list[tuple[str, str]]:
        async with self.db.session() as session:
            rows = (await session.exec(select(BotState.key, BotState.data).where(BotState.kind == kind))).all()
        for key, data in rows:
            self._written[(kind, key)] = data
        self._loaded.add(kind)
        return list(rows)

    async def get_user_data(self) -> dict[int, dict]:
        return {int(key): json.loads(data) for key, data in await self._all(USER)}

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._apply(self.plan(USER, str(user_id), encode(data) if data else None))

    async def drop_user_data(self, user_id: int) -> None:
        await self._apply(self.plan(USER, str(user_id), None))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing to refresh: this process is the only writer of its users' data."""

    async def get_conversations(self, name: str) -> ConversationDict:
        return {tuple(json.loads(key)): json.loads(state) for key, state in await self._all(CONVERSATION + name)}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        payload = None if new_state is None else encode(new_state)
        await self._apply(self.plan(CONVERSATION + name, conversation_key(key), payload))

    # switched off by PersistenceInput, but abstract in BasePersistence
    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def get_bot_data(self) -> dict:
        return {}

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def flush(self) -> None:
        """Every write is committed when made; nothing is buffered."""
