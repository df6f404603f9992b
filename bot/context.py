"""The application and context types every handler and job receives: typed access to our resources.

Their own module so that handlers, jobs and the app factory can all import them while
`bot/app.py` stays the one place that imports (and wires) everything else.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.db import Database
from bot.intake import Inbox
from bot.persistence import SQLPersistence
from bot.services.identity import Identity
from bot.services.policies import Policies
from bot.services.routing import RoutingTable

log = logging.getLogger(__name__)


class LianxinApplication(Application):
    """An Application that owns the database and flushes persistence after every update."""

    # set by the factory (bot/app.py: build_application) before the application starts
    db: Database
    settings: Settings
    policies: Policies
    routing: RoutingTable | None = None  # loaded at start-up; None while the routing file is unusable

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # per update: "it was saved" notes (LianxinContext.mark_saved), dropped when the update is done
        self.saved_notes: dict[int, str] = {}

    async def process_update(self, update: object) -> None:
        try:
            await self._process(update)
        finally:
            if isinstance(update, Update):
                self.saved_notes.pop(update.update_id, None)

    async def _process(self, update: object) -> None:
        persistence = self.persistence
        update_id = update.update_id if isinstance(update, Update) and isinstance(self.update_queue, Inbox) else None
        if not isinstance(persistence, SQLPersistence):
            try:
                await super().process_update(update)
            finally:
                if persistence is not None:
                    await self.update_persistence()
            return
        with persistence.handling(update_id):
            try:
                await super().process_update(update)
            finally:
                await self._commit_update(persistence, update_id)

    async def _commit_update(self, persistence: SQLPersistence, update_id: int | None) -> None:
        """After every update, one transaction (none if nothing changed): the persistence writes
        that change something, and the update's inbox row marked done unless a form step did
        that already. PTB alone would write every update_interval, one transaction per key.
        An update that wrote nothing (every statement it ran was a read) and leaves nothing to
        persist gets no transaction: its done mark is batched with others' (`Inbox.done_later`)."""
        with persistence.collecting() as writes:
            await self.update_persistence()
        if update_id is not None and persistence.read_only(writes):
            self.update_queue.done_later(update_id)  # type: ignore[attr-defined] - an Inbox (see _process)
            return
        if not persistence.pending(writes):
            return
        try:
            async with self.db.engine.begin() as connection:  # Core: no ORM needed
                marked = await persistence.stage(connection, writes)
        except Exception as exc:  # the update loop must go on; the inbox keeps the update
            log.error("could not persist the effects of update %s: %s", update_id, exc.__class__.__name__)
            log.debug("persistence failure", exc_info=exc)
            return
        persistence.confirm(writes, marked=marked)

    async def stop(self) -> None:
        await super().stop()  # every update handled
        if isinstance(self.update_queue, Inbox):
            await self.update_queue.close()  # the done marks still waiting




class LianxinContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Context with typed access to our resources and the sender's identity."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.identity: Identity | None = None

    @property
    def app(self) -> LianxinApplication:
        """The application, as ours (it always is: `build_application` makes it)."""
        return cast(LianxinApplication, self.application)

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def routing(self) -> RoutingTable | None:
        """The request categories and their sectors, loaded at start-up (None when the file is unusable)."""
        return self.app.routing

    @property
    def policies(self) -> Policies:
        """Every rule's settings, built once when the application was (`bot.services.policies`)."""
        return self.app.policies

    def mark_saved(self, update: object, text: str) -> None:
        """The user's record is committed: if anything fails later in this update, tell them `text`
        (that it was saved), never to try again. Error handlers get a new context, so the note is
        kept on the application, keyed by the update."""
        if isinstance(update, Update):
            self.app.saved_notes[update.update_id] = text
