"""/report [2026Q3]: the quarterly report (XLSX and chart) for a coordinator's scope or, for admins, everything."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.context import LianxinContext
from bot.services.report import build_report, quarter_stats
from bot.services.rules import Quarter, QuarterNumberError, local_today
from bot.texts import t
from models import utcnow


async def report_command(update: Update, context: LianxinContext) -> None:
    """/report [2026Q3]: the quarterly report for the sender's scope (admins: everything), XLSX and chart."""
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("not_allowed"))
        return
    policy = context.policies.duty
    now = utcnow()
    today = local_today(now, context.settings.tz)
    try:
        # "2026年 第四季度" arrives as two arguments
        quarter = Quarter.parse("".join(context.args)) if context.args else Quarter.of(today).prev()
    except QuarterNumberError:
        await update.effective_message.reply_text(t("quarter_number", value=" ".join(context.args)))
        return
    except ValueError:
        await update.effective_message.reply_text(t("report_bad_quarter", value=" ".join(context.args)))
        return
    if quarter.first_day > today:
        await update.effective_message.reply_text(t("report_future", quarter=quarter.label))
        return
    async with context.db.session() as session:  # the scope is enforced in the statistics query
        stats = await quarter_stats(session, quarter=quarter, today=today, policy=policy, scopes=staff.scopes, now=now)
    report = await build_report(stats, kind_names={k.code: k.name for k in context.settings.activity_kinds})
    chat = update.effective_chat
    await chat.send_photo(report.png, caption=report.caption)
    await chat.send_document(InputFile(report.xlsx, filename=report.filename),
                             caption=t("report_document", quarter=quarter.cn_label))
