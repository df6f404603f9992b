"""The context type every handler and job receives: typed access to our resources.

Its own module so that handlers, jobs and the app factory can all import it while
`bot/app.py` stays the one place that imports (and wires) everything else.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.db import Database
from bot.services.access import Identity


class LianxinContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Context with typed access to our resources and the sender's identity."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.identity: Identity | None = None
        # set once a handler has committed the user's record: from then on a failure must
        # tell them it was saved (this text), never to try again
        self.saved_text: str | None = None

    @property
    def db(self) -> Database:
        return self.application.db  # type: ignore[attr-defined,return-value]

    @property
    def settings(self) -> Settings:
        return self.application.settings  # type: ignore[attr-defined,return-value]
