"""The context type every handler and job receives: typed access to our resources.

Its own module so that handlers, jobs and the app factory can all import it while
`bot/app.py` stays the one place that imports (and wires) everything else.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.db import Database
from bot.services.identity import Identity
from bot.services.policies import Policies
from bot.services.routing import RoutingTable


class LianxinContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Context with typed access to our resources and the sender's identity."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.identity: Identity | None = None

    @property
    def db(self) -> Database:
        return self.application.db  # type: ignore[attr-defined,return-value]

    @property
    def settings(self) -> Settings:
        return self.application.settings  # type: ignore[attr-defined,return-value]

    @property
    def routing(self) -> RoutingTable | None:
        """The request categories and their sectors, loaded at start-up (None when the file is unusable)."""
        return getattr(self.application, "routing", None)

    @property
    def policies(self) -> Policies:
        """Every rule's settings, built once when the application was (`bot.services.policies`)."""
        return self.application.policies  # type: ignore[attr-defined,return-value]

    def mark_saved(self, update: object, text: str) -> None:
        """The user's record is committed: if anything fails later in this update, tell them `text`
        (that it was saved), never to try again. Error handlers get a new context, so the note is
        kept on the application, keyed by the update."""
        notes = saved_notes(self.application)
        if isinstance(update, Update):
            notes[update.update_id] = text


def saved_notes(application: Application) -> dict[int, str]:
    """Per-update "it was saved" notes (see `LianxinContext.mark_saved`); dropped when the update is done."""
    notes = getattr(application, "_lianxin_saved_notes", None)
    if notes is None:
        notes = {}
        application._lianxin_saved_notes = notes  # type: ignore[attr-defined]
    return notes
