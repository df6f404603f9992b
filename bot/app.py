"""Builds the python-telegram-bot Application: resources, handlers, jobs.

The one place that wires everything: nothing imports this module back.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.config import Settings
from bot.context import LianxinContext, saved_notes
from bot.db import Database
from bot.persistence import SQLPersistence
from bot.ratelimit import PriorityRateLimiter
from bot.services.access import Identity
from bot.texts import COMMANDS
from handlers import register
from handlers.menus import set_menu
from scheduler import schedule_jobs

log = logging.getLogger(__name__)
# RetryAfter.retry_after as a timedelta (PTB 22.2+), without a deprecation warning on every 429
os.environ.setdefault("PTB_TIMEDELTA", "1")


class LianxinApplication(Application):
    """An Application that owns the database and flushes persistence after every update."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db: Database | None = None
        self.settings: Settings | None = None

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                saved_notes(self).pop(update.update_id, None)
            if self.persistence:
                # PTB writes persistence every update_interval; a form step must not wait for that
                await self.update_persistence()


async def _post_init(application: Application) -> None:
    settings: Settings = application.settings  # type: ignore[attr-defined]
    await application.bot.set_my_commands(
        [BotCommand(c, d) for c, d in COMMANDS["resident"]], scope=BotCommandScopeDefault()
    )
    for admin_id in settings.admin_ids:
        await set_menu(application, admin_id, Identity(telegram_id=admin_id, is_admin=True))
    schedule_jobs(application)


async def _post_shutdown(application: Application) -> None:
    db: Database | None = application.db  # type: ignore[attr-defined]
    if db is not None:
        await db.dispose()


def build_application(settings: Settings, *, rate_limit: bool = True) -> LianxinApplication:
    """A ready-to-start Application for these settings; it owns its database engine."""
    db = Database(settings.database_url)
    builder = (
        ApplicationBuilder()
        .application_class(LianxinApplication)
        .token(settings.token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .context_types(ContextTypes(context=LianxinContext))
        .persistence(SQLPersistence(db, update_interval=settings.persistence_interval_seconds))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # replies before bulk sends (the outbox), ≤ 30 calls a second overall
        builder = builder.rate_limiter(PriorityRateLimiter(overall_rate=30))
    application: LianxinApplication = builder.build()  # type: ignore[assignment]
    application.db = db
    application.settings = settings
    register(application)
    return application


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Webhook server options from settings; the same for `run` and the tests."""
    from urllib.parse import urlparse

    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlparse(settings.webhook_url or "").path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        "allowed_updates": allowed_updates(),
    }


def allowed_updates() -> list[str]:
    # edited messages are not asked for: an edit of an earlier answer must not answer the current step
    return [Update.MESSAGE, Update.CALLBACK_QUERY]
