"""`python -m bot run`: start the bot (polling, or a webhook when WEBHOOK_URL is set)."""

from __future__ import annotations

import argparse
import asyncio

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CONFIG,
    fail,
    get_me,
    log,
    open_database,
    telegram_failure,
)
from bot.cli.parsing import command
from bot.config import Settings
from bot.logs import redact, short_error


def add_parsers(sub) -> None:  # noqa: ANN001 - argparse's subparsers
    command(sub, "run", "run").set_defaults(handler=run, database=None)


def run(settings: Settings, args: argparse.Namespace | None = None) -> int:
    """Start the bot; polling unless WEBHOOK_URL is set. Returns only when it stops."""
    if not settings.bot_token:
        return fail("no_token", EXIT_CONFIG)
    # one getMe before anything else: an unreachable or refusing Telegram is one line, not a traceback
    try:
        asyncio.run(get_me(settings))
    except TelegramError as exc:
        return telegram_failure(settings, exc)
    problem = open_database(settings, writes=True)
    if problem is not None:
        return problem
    # the bot itself (handlers, PTB's Application) takes ~0.5 s to import: only `run` needs it
    from bot.app import allowed_updates, build_application, webhook_options

    application = build_application(settings)
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            # after a good start python-telegram-bot's polling retries lost connections with back-off
            application.run_polling(allowed_updates=allowed_updates())
    except InvalidToken:
        return fail("bad_token", EXIT_CONFIG)
    except NetworkError as exc:
        return telegram_failure(settings, exc)
    except Exception as exc:  # noqa: BLE001 - one line; the traceback (redacted) only at DEBUG
        log.debug("the bot stopped", exc_info=True)
        return fail("bot_stopped", EXIT_BAD_INPUT, reason=redact(short_error(exc), settings.token))
    return 0

