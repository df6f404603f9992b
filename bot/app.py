"""Builds the python-telegram-bot Application: resources, handlers, jobs.

The one place that wires everything: nothing imports this module back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlparse

from telegram import BotCommand, BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults

from bot.concurrency import PerPersonUpdateProcessor
from bot.config import Settings
from bot.context import LianxinApplication, LianxinContext
from bot.db import Database
from bot.intake import PRUNE_EVERY, Inbox, PollRequest, prune
from bot.persistence import SQLPersistence
from bot.ratelimit import PriorityRateLimiter
from bot.request import RetryingRequest
from bot.services import tally  # noqa: F401 - every activity written keeps the member's totals in step
from bot.services.identity import Identity
from bot.services.policies import Policies
from bot.services.routing import RoutingFileError, RoutingTable, load_routing_table
from bot.texts import COMMANDS
from handlers import register
from handlers.menus import set_menu
from handlers.webapp import start_webapp, stop_webapp
from models import utcnow
from scheduler import schedule_jobs

log = logging.getLogger(__name__)
CONCURRENT_UPDATES = 32  # updates of different people handled at once
BOT_API_IN_FLIGHT = 16  # Bot API calls at once (bot/request.py); hence at most that many pooled connections
# RetryAfter.retry_after as a timedelta (PTB 22.2+), without a deprecation warning on every 429
os.environ.setdefault("PTB_TIMEDELTA", "1")


async def _post_init(application: LianxinApplication) -> None:
    settings = application.settings
    await application.bot.set_my_commands(
        [BotCommand(c, d) for c, d in COMMANDS["resident"]], scope=BotCommandScopeDefault()
    )
    application.routing = await _load_routing(application.db, settings)
    for admin_id in settings.admin_ids:
        await set_menu(application, admin_id, Identity(telegram_id=admin_id, is_admin=True))
    schedule_jobs(application)
    await start_webapp(application)  # the dashboard, when WEBAPP_URL is set (handlers/webapp/)
    # updates fetched (or received by webhook) but not handled before the last stop come first
    if isinstance(application.update_queue, Inbox):
        await application.update_queue.requeue_pending(application.bot)
        await _prune_inbox(application)
        if application.job_queue is not None:
            application.job_queue.run_repeating(
                _prune_inbox, interval=PRUNE_EVERY, first=PRUNE_EVERY, name="prune_inbox"
            )


async def _prune_inbox(target: LianxinApplication | LianxinContext) -> None:
    application = target if isinstance(target, LianxinApplication) else target.app  # the app at start, then a job
    pruned = await prune(application.db, now=utcnow())
    if pruned:
        log.info("pruned %d handled updates from the inbox", pruned)


async def _load_routing(db: Database, settings: Settings) -> RoutingTable | None:
    """The routing table; a broken file is reported (one line per problem) and requests stay closed."""
    async with db.session() as session:
        try:
            return await load_routing_table(session, path=settings.routing_file)
        except RoutingFileError as problem:
            for line in problem.lines:
                log.error("%s", line)
            return None


async def _post_shutdown(application: LianxinApplication) -> None:
    await stop_webapp(application)
    await application.db.dispose()


def build_application(settings: Settings, *, rate_limit: bool = True,
                      fence: Callable[[], bool] | None = None) -> LianxinApplication:
    """A ready-to-start Application for these settings; it owns its database engine. `fence`: asked
    before every Bot API call, polling included; False refuses it (a leader that lost its lock)."""
    db = Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)
    inbox = Inbox(db)
    builder = (
        ApplicationBuilder()
        .application_class(LianxinApplication)
        .token(settings.token)
        .update_queue(inbox)
        # PTB's default getUpdates request (one connection), storing each batch before acknowledging it
        .get_updates_request(PollRequest(inbox, fence=fence, connection_pool_size=1, proxy=settings.bot_proxy_url))
        # different people concurrently, each person's updates in order (bot/concurrency.py)
        .concurrent_updates(PerPersonUpdateProcessor(CONCURRENT_UPDATES))
        # the same pool size as PTB's default request, plus bounded retries of transient faults
        # BOT_PROXY_URL (HTTP(S) or SOCKS5) carries every Bot API call, polling included
        .request(RetryingRequest(connection_pool_size=256, in_flight=BOT_API_IN_FLIGHT, proxy=settings.bot_proxy_url,
                                 pool_tuning=settings.http_pool_tuning, fence=fence))
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .context_types(ContextTypes(context=LianxinContext))
        .persistence(SQLPersistence(db, update_interval=settings.persistence_interval_seconds))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # replies before bulk sends (the outbox), ≤ 30 calls a second overall
        builder = builder.rate_limiter(PriorityRateLimiter(overall_rate=30))
    application = cast(LianxinApplication, builder.build())  # the application_class above
    application.db = db
    application.settings = settings
    application.policies = Policies.from_settings(settings)
    register(application)
    return application


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Webhook server options from settings; the same for `run` and the tests."""
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
    # my_chat_member: the user blocked or unblocked the bot (handlers/chat_member.py)
    return [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
