"""Per-update bookkeeping, help, status, fallbacks and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import LianxinContext, saved_notes
from bot.services.access import identify, overview
from bot.services.forms import FORM_KEY
from bot.texts import SCOPE_NAMES, t
from handlers.menus import commands_for, role_names

log = logging.getLogger(__name__)

async def load_identity(update: Update, context: LianxinContext) -> None:
    """Group -1: work out once who sent this update."""
    user = update.effective_user
    if user is None:
        return
    async with context.db.session() as session:
        context.identity = await identify(session, user.id, context.settings.admin_ids)


async def help_command(update: Update, context: LianxinContext) -> None:
    """List what this user's roles can do."""
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
    """/cancel when no flow is running (a draft left behind by a form that ended elsewhere goes too)."""
    if context.user_data.pop(FORM_KEY, None) is not None:
        await update.effective_message.reply_text(t("cancelled"))
        return
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
        # after a commit the record is safe: say so rather than inviting a second try
        text = saved_notes(context.application).get(update.update_id) or t("error")
        try:
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError as exc:
            log.warning("could not tell user about the failure of update %s: %s", update_id, exc)

