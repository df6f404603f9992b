"""Per-update bookkeeping (who sent it), /help, /status, the fallbacks and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import LianxinContext
from bot.logs import network_reason
from bot.request import RETRIES, OutcomeUnknown
from bot.services.access import overview
from bot.services.forms import FORM_KEY
from bot.services.identity import cached_sender
from bot.services.reachability import mark_blocked, mark_reachable
from bot.texts import log_line, scope_text, t
from handlers.menus import commands_for, role_names
from models import utcnow

log = logging.getLogger(__name__)


async def load_identity(update: Update, context: LianxinContext) -> None:
    """Group -1: work out once who sent this update; one query (bot.services.identity), or none
    while a recent answer is still good (bot.services.identity.SenderCache).

    A message or a button press from someone recorded as having blocked the bot clears that
    record (they are evidently talking to it again); only then is anything written.
    """
    user = update.effective_user
    if user is None:
        return
    sender = await cached_sender(context.db, telegram_id=user.id, admin_ids=context.settings.admin_ids)
    if sender.blocked and (update.message is not None or update.callback_query is not None):
        async with context.db.session() as session:
            await mark_reachable(session, telegram_id=user.id, now=utcnow())
            await session.commit()
        log.info(log_line("unblocked_by_message", user=user.id))
    context.identity = sender.identity


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
                quarter_target=context.policies.duty.quarter_target,
                year_target=context.policies.duty.year_target,
            )
        )
    elif identity.role == "resident":
        lines.append(t("help_resident_note"))
    await update.effective_message.reply_text("\n".join(lines))


async def status_command(update: Update, context: LianxinContext) -> None:
    """Member and binding counts for admins (everything) and coordinators (their scopes)."""
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("not_allowed"))
        return
    async with context.db.session() as session:
        numbers = await overview(session, staff.scopes)
    if staff.scopes is None:
        text = t("status_admin", members=numbers.members, bound=numbers.bound, residents=numbers.residents)
    else:
        text = t("status_coordinator", scopes=scope_text(staff.scopes, "；"), members=numbers.members,
                 bound=numbers.bound)
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


async def empty_button(update: Update, context: LianxinContext) -> None:
    """A press without callback data (PTB's pattern handlers all accept it): answered as stale, nothing else runs."""
    await update.callback_query.answer(t("stale_button"), show_alert=True)
    raise ApplicationHandlerStop


async def error_handler(update: object, context: LianxinContext) -> None:
    """One log line per failure (the traceback only at DEBUG), then tell the user what they need to know.

    - Telegram unreachable (5xx, network, 429) even after RetryingRequest's retries: the
      reply may be lost, and the handler may have committed before it failed, so the user
      is never told to simply try again: they are told to check /my first.
    - Forbidden: the user blocked the bot; recorded (reminders will skip them), nobody to tell.
    - An expired callback query (typically an update replayed after a restart): nothing to tell.
    """
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    described = f"{error.__class__.__name__}: {error}"
    log.debug("update %s failed", update_id, exc_info=error)
    user = update.effective_user if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    notice: str | None = t("error")
    if isinstance(error, Forbidden):
        log.warning(log_line("blocked", update=update_id, user=user.id if user else "?", error=error))
        if user is not None and chat is not None and chat.type == ChatType.PRIVATE:
            async with context.db.session() as session:
                await mark_blocked(session, telegram_id=user.id, now=utcnow())
                await session.commit()
        return
    if isinstance(error, (NetworkError, RetryAfter)):
        reason = network_reason(error, detail=log.isEnabledFor(logging.DEBUG))  # httpx's words only at DEBUG
        if isinstance(error, OutcomeUnknown):  # a send that may have arrived was not retried
            log.warning(log_line("outcome_unknown", update=update_id, error=reason))
        else:
            log.warning(log_line("transient", update=update_id, error=reason, retries=RETRIES))
        notice = t("error_transient")
    elif isinstance(error, BadRequest) and "query is too old" in str(error).lower():
        log.info(log_line("query_expired", update=update_id, error=error))
        return
    else:
        log.error(log_line("failed", update=update_id, error=described))
    if not isinstance(update, Update):
        return
    if update.callback_query:
        try:  # usually answered already by the failing handler; then Telegram refuses a second answer
            await update.callback_query.answer()
        except TelegramError:
            pass
    if chat is not None:
        # after a commit the record is safe: say so rather than inviting a second try
        notice = context.app.saved_notes.get(update.update_id) or notice
        try:
            await context.bot.send_message(chat.id, notice)
        except TelegramError as exc:
            log.info(log_line("notify_failed", update=update_id, error=f"{exc.__class__.__name__}: {exc}"))
