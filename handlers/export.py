"""/export: coordinators (within their scopes) and admins pick a section and a period and get one XLSX."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.callbacks import ExportButton
from bot.context import LianxinContext
from bot.services.exports import (
    ExportPeriod,
    ExportRequest,
    ExportSection,
    resolve_period,
    summary_sheets,
    write_export,
)
from bot.services.rules import local_today
from bot.services.scopes import Scope
from bot.texts import (
    CASE_STATUS_NAMES,
    EXPORT,
    EXPORT_PERIOD_NAMES,
    EXPORT_SECTION_NAMES,
    LEVEL_NAMES,
    label,
    log_line,
    scope_text,
    t,
)
from handlers.views import checked_press, edit_text, fit
from models import utcnow

log = logging.getLogger(__name__)
MAX_CAPTION = 1024

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what the cloud Bot API lets a bot send
SECTION_LABELS = {ExportSection.members: "export_members", ExportSection.activities: "export_activities",
                  ExportSection.cases: "export_cases", ExportSection.summary: "export_summary"}
PERIOD_LABELS = {ExportPeriod.this_quarter: "export_this_quarter", ExportPeriod.last_quarter: "export_last_quarter",
                 ExportPeriod.this_year: "export_this_year", ExportPeriod.last_year: "export_last_year"}


def _sections_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(label(SECTION_LABELS[s]), callback_data=ExportButton(s).pack())
               for s in ExportSection]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def _periods_keyboard(section: ExportSection) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(label(PERIOD_LABELS[p]), callback_data=ExportButton(section, p).pack())
               for p in ExportPeriod]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


async def export_command(update: Update, context: LianxinContext) -> None:
    """/export: which section?"""
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("export_refused"))
        return
    await update.effective_message.reply_text(
        t("export_choose_section", scope=scope_text(staff.scopes)), reply_markup=_sections_keyboard())


async def export_pressed(update: Update, context: LianxinContext) -> None:
    """A section (then: which period?) or a period (then: build and send the file)."""
    query = update.callback_query
    staff = context.identity.as_staff()
    button = await checked_press(update, ExportButton, allowed=staff is not None, refusal="export_refused",
                                 refused_log=log_line("export_refused", user=update.effective_user.id, data=query.data))
    if button is None:
        return
    await query.answer()
    scopes = staff.scopes  # decided by who presses, never by the button
    section_name = EXPORT_SECTION_NAMES[button.section.name]
    if button.period is None:
        await edit_text(query, t("export_choose_period", section=section_name, scope=scope_text(scopes)),
                                      reply_markup=_periods_keyboard(button.section))
        return
    await send_export(update, context, section=button.section, choice=button.period, scopes=scopes)


async def send_export(update: Update, context: LianxinContext, *, section: ExportSection, choice: ExportPeriod,
                      scopes: list[Scope] | None) -> None:
    """Build the file off the event loop, send it, remove it."""
    settings = context.settings
    now = utcnow()
    today = local_today(now, settings.tz)
    period = resolve_period(choice, today)
    section_name, period_name = EXPORT_SECTION_NAMES[section.name], EXPORT_PERIOD_NAMES[choice.name]
    scope = scope_text(scopes)
    await edit_text(update.callback_query,
        t("export_working", section=section_name, period=period_name, scope=scope))
    kind_names = {k.code: k.name for k in settings.activity_kinds}
    sheets = []
    if section is ExportSection.summary:
        async with context.db.session() as session:
            sheets = await summary_sheets(session, period=period, today=today, scopes=scopes, kind_names=kind_names,
                                          policy=context.policies.duty, now=now)
    request = ExportRequest(section, period, scopes, full_phones=context.identity.is_admin, at=now)
    names = {**EXPORT, "levels": LEVEL_NAMES, "bound": (EXPORT["bound"], EXPORT["unbound"]),
             "statuses": CASE_STATUS_NAMES}
    path, rows = await asyncio.to_thread(write_export, context.db.url, request, names=names, tz=settings.tz,
                                         kind_names=kind_names, summary_sheets=sheets)
    try:
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            await update.effective_chat.send_message(t("export_too_big", size=round(size / 1024 / 1024, 1)))
            return
        filename = str(EXPORT["filename"]).format(section=section_name, period=period.label, day=today.isoformat())
        with path.open("rb") as handle:
            await update.effective_chat.send_document(
                InputFile(handle, filename=filename),
                caption=fit(t("export_caption", section=section_name, period=period_name, label=period.label,
                              scope=scope, rows=rows), MAX_CAPTION))
        log.info(log_line("export_sent", user=update.effective_user.id, section=section.name, period=period.label,
                          rows=rows, size=size))
    finally:
        path.unlink(missing_ok=True)
    await edit_text(update.callback_query, t("export_done", section=section_name, period=period_name,
                                                    scope=scope))
