"""The documents offices file: /report_me (and its button under /my), /duty_reports, /digest and its theme buttons.

Figures are read with the bot's async sessions; the documents are drawn, grouped and zipped in threads
(`build_duty_report`, `build_digest`, `asyncio.to_thread`), so the bot keeps answering everyone else
meanwhile. Only the one who asked waits (updates of one person run in order).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from telegram import Chat, InputFile, Message, Update

from bot.callbacks import DigestAction, DigestButton, DutyButton
from bot.context import LianxinContext
from bot.services.digest import Digest, build_digest, case_line, digest_cases, digest_filename, render_digest
from bot.services.duty_report import (
    build_duty_report,
    duty_figures,
    duty_reports_zip,
    filename,
    members_in_scope,
)
from bot.services.rules import Quarter, QuarterNumberError, check_year, local_today
from bot.services.scopes import Scope
from bot.texts import DUTY, Safe, label, number, progress_bar, scope_text, t
from handlers.views import checked_press, edit_text, keyboard
from models import utcnow

ZIP_PART = 200  # documents per ZIP sent in chat (about 60 KB each: far below Telegram's 50 MB)
PROGRESS_SECONDS = 3.0  # the progress message is edited at most this often
THEMES_SHOWN = 10  # themes listed (and given a button) under the digest's summary
CASES_SHOWN = 20  # cases listed under a theme's button


def _year(args: Sequence[str], today_year: int) -> int | None:
    """The year of a command's argument (none: this year); None when it is no year."""
    if not args:
        return today_year
    text = "".join(args).strip().removesuffix("年")
    return int(text) if text.isascii() and text.isdigit() and check_year(int(text)) else None


# --- the duty report -----------------------------------------------------------------------------------


async def _send_duty_report(chat: Chat, context: LianxinContext, year: int) -> None:
    now = utcnow()
    policy = context.policies.duty
    async with context.db.session() as session:
        figures = await duty_figures(session, member_id=context.identity.member_id, year=year,
                                     today=local_today(now, policy.tz), policy=policy, now=now)
    content = await build_duty_report(figures, kind_names={k.code: k.name for k in context.settings.activity_kinds},
                                      generated_at=now.astimezone(policy.tz))
    await chat.send_document(InputFile(content, filename=filename(figures)), caption=t(
        "duty_caption", name=figures.name, year=year, activities=figures.activities, people=figures.people,
        points=number(figures.points)))


async def report_me_command(update: Update, context: LianxinContext) -> None:
    """/report_me [2026]: the member's own duty report of a year (this year when none is named) as a DOCX."""
    message = update.effective_message
    if not context.identity.is_member:
        await message.reply_text(t("members_only"))
        return
    this_year = local_today(utcnow(), context.settings.tz).year
    year = _year(context.args or [], this_year)
    if year is None:
        await message.reply_text(t("duty_bad_year", value=" ".join(context.args or [])))
        return
    if year > this_year:
        await message.reply_text(t("duty_future_year", year=year))
        return
    await message.reply_text(t("duty_working", year=year))
    await _send_duty_report(update.effective_chat, context, year)


async def duty_pressed(update: Update, context: LianxinContext) -> None:
    """The button under /my: the presser's own duty report of the year shown."""
    button = await checked_press(update, DutyButton, allowed=context.identity.is_member, refusal="members_only")
    if button is None:
        return
    this_year = local_today(utcnow(), context.settings.tz).year
    if not check_year(button.year) or button.year > this_year:
        await update.callback_query.answer(t("stale_button"), show_alert=True)
        return
    await update.callback_query.answer(t("duty_working", year=button.year))
    await _send_duty_report(update.effective_chat, context, button.year)


async def duty_reports_command(update: Update, context: LianxinContext) -> None:
    """/duty_reports [2026]: every active member's duty report in the sender's scope (admins: all), zipped."""
    message = update.effective_message
    staff = context.identity.as_staff()
    if staff is None:
        await message.reply_text(t("not_allowed"))
        return
    now = utcnow()
    policy = context.policies.duty
    today = local_today(now, policy.tz)
    year = _year(context.args or [], today.year)
    if year is None:
        await message.reply_text(t("duty_reports_bad_year", value=" ".join(context.args or [])))
        return
    if year > today.year:
        await message.reply_text(t("duty_future_year", year=year))
        return
    async with context.db.session() as session:
        members = await members_in_scope(session, scopes=staff.scopes)
    if not members:
        await message.reply_text(t("duty_reports_none"))
        return
    scope = scope_text(staff.scopes)

    def progress(done: int) -> str:
        return t("duty_reports_progress", year=year, scope=scope, done=done, total=len(members),
                 bar=progress_bar(done, len(members)))

    shown = await message.reply_text(progress(0))
    kind_names = {k.code: k.name for k in context.settings.activity_kinds}
    parts = (len(members) + ZIP_PART - 1) // ZIP_PART
    part: list[tuple[str, bytes]] = []
    done, sent = 0, 0
    last = time.monotonic()
    for member_id, _, _ in members:
        async with context.db.session() as session:  # one short read per member: nothing held open for long
            figures = await duty_figures(session, member_id=member_id, year=year, today=today, policy=policy,
                                         now=now)
        part.append((filename(figures), await build_duty_report(figures, kind_names=kind_names,
                                                                generated_at=now.astimezone(policy.tz))))
        done += 1
        if len(part) == ZIP_PART or done == len(members):  # a part is sent as soon as it is full: memory stays flat
            sent += 1
            content = await asyncio.to_thread(duty_reports_zip, part)
            await update.effective_chat.send_document(
                InputFile(content, filename=DUTY["zip_name"].format(year=year, part=sent)),
                caption=t("duty_reports_caption", year=year, scope=scope, part=sent, parts=parts, count=len(part)))
            part = []
        elif time.monotonic() - last >= PROGRESS_SECONDS:
            await edit_text(shown, progress(done))
            last = time.monotonic()
    await edit_text(shown, t("duty_reports_done", year=year, total=done, parts=parts))


# --- the 社情民意 digest ---------------------------------------------------------------------------------


async def _digest(context: LianxinContext, quarter: Quarter, scopes: list[Scope] | None) -> Digest:
    async with context.db.session() as session:  # the scope is enforced in the query
        cases = await digest_cases(session, quarter=quarter, tz=context.settings.tz, scopes=scopes)
    return await build_digest(cases, quarter=quarter, scopes=scopes,
                              generated_at=utcnow().astimezone(context.settings.tz))


async def digest_command(update: Update, context: LianxinContext) -> None:
    """/digest [2026Q4]: the quarter's cases in scope grouped into themes (last quarter when none is named):
    the DOCX draft, then a short summary with a button per theme."""
    message = update.effective_message
    staff = context.identity.as_staff()
    if staff is None:
        await message.reply_text(t("not_allowed"))
        return
    today = local_today(utcnow(), context.settings.tz)
    args = context.args or []
    try:
        quarter = Quarter.parse("".join(args)) if args else Quarter.of(today).prev()
    except QuarterNumberError:
        await message.reply_text(t("quarter_number", value=" ".join(args)))
        return
    except ValueError:
        await message.reply_text(t("report_bad_quarter", value=" ".join(args)))
        return
    if quarter.first_day > today:
        await message.reply_text(t("report_future", quarter=quarter.label))
        return
    working = await message.reply_text(t("digest_working", quarter=quarter.cn_label))
    digest = await _digest(context, quarter, staff.scopes)
    scope = scope_text(staff.scopes)
    if digest.total == 0:
        await edit_text(working, t("digest_empty", quarter=quarter.cn_label, scope=scope))
        return
    content = await asyncio.to_thread(render_digest, digest)
    chat = update.effective_chat
    await chat.send_document(InputFile(content, filename=digest_filename(digest)),
                             caption=t("digest_caption", quarter=quarter.cn_label))
    await _send_summary(chat, digest, scope)


async def _send_summary(chat: Chat, digest: Digest, scope: str) -> Message:
    shown = digest.themes[:THEMES_SHOWN]
    lines = [t("digest_theme_line", n=n, title=theme.title, count=theme.count, unresolved=theme.unresolved)
             for n, theme in enumerate(shown, start=1)]
    if len(digest.themes) > len(shown):
        lines.append(t("digest_more_lines", themes=len(digest.themes) - len(shown)))
    if shown:
        lines.append(t("digest_buttons_hint"))
    text = t("digest_summary", quarter=digest.quarter.cn_label, scope=scope, total=digest.total,
             resolved=digest.resolved, themes=len(digest.themes), themed=digest.total - digest.single,
             single=digest.single, lines=Safe("\n".join(lines)))
    rows = [[(label("digest_theme_button", n=n, title=theme.title, count=theme.count),
              DigestButton(DigestAction.theme, digest.quarter.label, n - 1, theme.key).pack())]
            for n, theme in enumerate(shown, start=1)]
    return await chat.send_message(text, reply_markup=keyboard(rows) if rows else None)


async def digest_theme(update: Update, context: LianxinContext) -> None:
    """A theme's button: its cases within the presser's scope (grouped again: the same cases give the same key)."""
    staff = context.identity.as_staff()
    button = await checked_press(update, DigestButton, allowed=staff is not None, refusal="not_allowed",
                                 refused_log="digest theme")
    if button is None:
        return
    query = update.callback_query
    quarter = Quarter.parse(button.quarter)
    digest = await _digest(context, quarter, staff.scopes)
    theme = digest.themes[button.index] if button.index < len(digest.themes) else None
    if theme is None or theme.key != button.key:
        await query.answer(t("digest_theme_gone", quarter=quarter.label), show_alert=True)
        return
    await query.answer()
    lines = [t("digest_case_line", number=n, status=status, region=region, excerpt=text)
             for n, status, region, text in map(case_line, theme.cases[:CASES_SHOWN])]
    if theme.count > CASES_SHOWN:
        lines.append(t("digest_more_cases", count=theme.count - CASES_SHOWN))
    await update.effective_chat.send_message(t("digest_theme_cases", title=theme.title, count=theme.count,
                                               lines=Safe("\n".join(lines))))
