"""Per-update bookkeeping, help, status, fallbacks and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import LianxinContext, saved_notes
from bot.services.access import overview
from bot.services.forms import FORM_KEY
from bot.texts import scope_text, t
from handlers.menus import commands_for, role_names

log = logging.getLogger(__name__)

async def load_identity(update: Update, context: LianxinContext) -> None:
    """Group -1: work out once who sent this update; one query (bot.services.sender), or none
    while a recent answer is still good (bot.services.sender.SenderCache).

    A message or a button press from someone recorded as having blocked the bot clears that
    record (they are evidently talking to it again); only then is anything written.
    """
    from bot.services.reachability import mark_reachable
    from bot.services.sender import cached_sender
    from bot.texts import log_line
    from models import utcnow

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
    identity = context.identity
    assert identity is not None
    async with context.db.session() as session:
        if identity.is_admin:
            numbers = await overview(session)
            text = t("status_admin", members=numbers.members, bound=numbers.bound, residents=numbers.residents)
        elif identity.is_coordinator:
            numbers = await overview(session, identity.scopes)
            text = t("status_coordinator", scopes=scope_text(identity.scopes, "；"), members=numbers.members, bound=numbers.bound)
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


async def empty_button(update: Update, context: LianxinContext) -> None:
    """A press without callback data (PTB's pattern handlers all accept it): answered as stale, nothing else runs."""
    from telegram.ext import ApplicationHandlerStop

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
    from telegram.constants import ChatType
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

    from bot.request import RETRIES
    from bot.services.reachability import mark_blocked
    from bot.texts import log_line
    from models import utcnow

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
        log.warning(log_line("transient", update=update_id, error=described, retries=RETRIES))
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
        notice = saved_notes(context.application).get(update.update_id) or notice
        try:
            await context.bot.send_message(chat.id, notice)
        except TelegramError as exc:
            log.info(log_line("notify_failed", update=update_id, error=f"{exc.__class__.__name__}: {exc}"))


async def report_command(update: Update, context: LianxinContext) -> None:
    """/report [2026Q3]: the quarterly report for the sender's scope (admins: everything), XLSX and chart."""
    from telegram import InputFile

    from bot.services.rules import Quarter, local_today
    from bot.services.report import build_report, quarter_stats
    from models import utcnow

    identity = context.identity
    if not (identity.is_admin or identity.is_coordinator):
        await update.effective_message.reply_text(t("not_allowed"))
        return
    policy = context.policies.duty
    today = local_today(utcnow(), context.settings.tz)
    try:
        quarter = Quarter.parse(context.args[0]) if context.args else Quarter.of(today).prev()
    except ValueError:
        await update.effective_message.reply_text(t("report_bad_quarter", value=context.args[0]))
        return
    if quarter.first_day > today:
        await update.effective_message.reply_text(t("report_future", quarter=quarter.label))
        return
    scopes = None if identity.is_admin else identity.scopes  # scope is enforced in the statistics query
    async with context.db.session() as session:
        stats = await quarter_stats(session, quarter=quarter, today=today, policy=policy, scopes=scopes)
    report = await build_report(stats, kind_names={k.code: k.name for k in context.settings.activity_kinds})
    chat = update.effective_chat
    await chat.send_photo(report.png, caption=report.caption)
    await chat.send_document(InputFile(report.xlsx, filename=report.filename),
                             caption=t("report_document", quarter=quarter.cn_label))
