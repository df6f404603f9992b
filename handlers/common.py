"""Per-update bookkeeping, help, status, fallbacks and the error handler."""

from __future__ import annotations

import logging

from telegram import ReplyKeyboardMarkup, Update
from telegram.ext import filters
from telegram.error import TelegramError

from bot.app import LianxinContext
from bot.services.access import Identity, identify, overview
from bot.texts import ROLE_NAMES, SCOPE_NAMES, label, t

log = logging.getLogger(__name__)

# reply-keyboard buttons that stand for commands; each matches its own label exactly
LOG_BUTTON = filters.Text([label("menu_log")])
MY_BUTTON = filters.Text([label("menu_my")])
ARCHIVE_BUTTON = filters.Text([label("menu_archive")])
HELP_BUTTON = filters.Text([label("menu_help")])
# menu labels are commands, never answers to a form step
MENU_LABELS = LOG_BUTTON | MY_BUTTON | ARCHIVE_BUTTON | HELP_BUTTON


def member_keyboard() -> ReplyKeyboardMarkup:
    rows = [[label("menu_log"), label("menu_my")], [label("menu_archive"), label("menu_help")]]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


async def load_identity(update: Update, context: LianxinContext) -> None:
    """Group -1: work out once who sent this update."""
    user = update.effective_user
    if user is None:
        return
    async with context.db.session() as session:
        context.identity = await identify(session, user.id, context.settings.admin_ids)


def role_names(identity: Identity) -> str:
    roles = []
    if identity.is_admin:
        roles.append(ROLE_NAMES["admin"])
    if identity.is_coordinator:
        roles.append(ROLE_NAMES["coordinator"])
    if identity.is_member:
        roles.append(ROLE_NAMES["member"])
    return "、".join(roles) or ROLE_NAMES["resident"]


async def help_command(update: Update, context: LianxinContext) -> None:
    """List what this user's roles can do."""
    from bot.app import commands_for

    identity = context.identity
    assert identity is not None
    lines = [t("help_header", roles=role_names(identity))]
    lines += [t("help_line", command=c.command, description=c.description) for c in commands_for(identity)]
    if identity.is_member:
        lines.append(
            t(
                "help_member_note",
                quarter_target=context.settings.quarterly_activity_target,
                year_target=context.settings.yearly_people_target,
            )
        )
    elif identity.role == "resident":
        lines.append(t("help_resident_note"))
    await update.effective_message.reply_text("\n".join(lines))


async def status_command(update: Update, context: LianxinContext) -> None:
    """Member and binding counts for admins (everything) and coordinators (their scopes)."""
    identity = context.identity
    assert identity is not None
    async with context.db.session() as session:
        if identity.is_admin:
            numbers = await overview(session)
            text = t("status_admin", members=numbers.members, bound=numbers.bound, residents=numbers.residents)
        elif identity.is_coordinator:
            numbers = await overview(session, identity.scopes)
            scopes = "；".join(f"{SCOPE_NAMES[s.kind.value]}：{s.value}" for s in identity.scopes)
            text = t("status_coordinator", scopes=scopes, members=numbers.members, bound=numbers.bound)
        else:
            text = t("not_allowed")
    await update.effective_message.reply_text(text)


async def cancel_outside(update: Update, context: LianxinContext) -> None:
    """/cancel when no flow is running."""
    await update.effective_message.reply_text(t("nothing_to_cancel"))


async def unknown_command(update: Update, context: LianxinContext) -> None:
    await update.effective_message.reply_text(t("unknown_command"))


async def plain_text(update: Update, context: LianxinContext) -> None:
    """Anything typed or sent outside a flow: residents hear about requests, others get the menu hint."""
    identity = context.identity
    if identity is not None and identity.role == "resident":
        await update.effective_message.reply_text(t("resident_text_hint"))
    else:
        await update.effective_message.reply_text(t("unknown_command"))


async def stale_button(update: Update, context: LianxinContext) -> None:
    """A button no running flow is waiting for: answer it so the client stops spinning."""
    await update.callback_query.answer(t("stale_button"), show_alert=True)


async def error_handler(update: object, context: LianxinContext) -> None:
    """Log first (with the update id), then tell the user; the bot keeps running."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    if update.callback_query:
        try:  # usually answered already by the failing handler; then Telegram refuses a second answer
            await update.callback_query.answer()
        except TelegramError:
            pass
    if update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, t("error"))
        except TelegramError as exc:
            log.warning("could not tell user about the failure of update %s: %s", update_id, exc)

