"""Roles turned into what Telegram shows: command menus, reply keyboards, role names.

The order of roles is `bot.services.identity.ROLE_ORDER`; nothing here restates it.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, KeyboardButton, ReplyKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application, filters

from bot.services.identity import Identity
from bot.texts import COMMANDS, ROLE_NAMES, label

log = logging.getLogger(__name__)

# reply-keyboard buttons that stand for commands; each matches its own label exactly
LOG_BUTTON = filters.Text([label("menu_log")])
MY_BUTTON = filters.Text([label("menu_my")])
ARCHIVE_BUTTON = filters.Text([label("menu_archive")])
HELP_BUTTON = filters.Text([label("menu_help")])
REQUEST_BUTTON = filters.Text([label("menu_request")])
MYCASES_BUTTON = filters.Text([label("menu_mycases")])
CASES_BUTTON = filters.Text([label("menu_cases")])
RECEPTIONS_BUTTON = filters.Text([label("menu_receptions")])
# menu labels are commands, never answers to a form step
MENU_LABELS = (LOG_BUTTON | MY_BUTTON | ARCHIVE_BUTTON | HELP_BUTTON | REQUEST_BUTTON | MYCASES_BUTTON | CASES_BUTTON
               | RECEPTIONS_BUTTON)


def commands_for(identity: Identity) -> list[BotCommand]:
    """The union of the menus of every role the user holds, widest role last."""
    seen: dict[str, str] = {}
    for role in identity.roles:
        for command, description in COMMANDS[role]:
            seen.setdefault(command, description)
    return [BotCommand(c, d) for c, d in seen.items()]


def role_names(identity: Identity) -> str:
    """The roles held, widest first, in Chinese."""
    return "、".join(ROLE_NAMES[r] for r in reversed(identity.roles))


async def set_menu(application: Application, chat_id: int, identity: Identity) -> None:
    try:
        await application.bot.set_my_commands(commands_for(identity), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # e.g. an admin who never opened the bot: their chat is unknown
        log.info("could not set the menu of chat %s: %s", chat_id, exc)


def member_keyboard() -> ReplyKeyboardMarkup:
    """A member is also a constituent: their keyboard has the request entry too."""
    rows = [[label("menu_log"), label("menu_my")], [label("menu_cases"), label("menu_request")],
            [label("menu_archive"), label("menu_help")]]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def resident_keyboard(*, ask_phone: bool = True) -> ReplyKeyboardMarkup:
    rows: list[list] = [[label("menu_request"), label("menu_mycases")]]
    if ask_phone:
        rows.append([KeyboardButton(label("share_phone"), request_contact=True)])
    rows.append([label("menu_receptions"), label("menu_help")])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def contact_keyboard() -> ReplyKeyboardMarkup:
    """The request form's contact step: the one button that shares the user's own number."""
    return ReplyKeyboardMarkup([[KeyboardButton(label("share_phone"), request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)
