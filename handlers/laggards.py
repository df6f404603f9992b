"""/laggards: the members in the caller's scope who are behind, paged, with a personal nudge per member.

Who is listed and who may be nudged is decided by the service (bot/services/outreach.py)
with the presser's scopes on every press; a button for someone outside them is refused
and logged, whatever the button says.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.buttons import log_button
from bot.callbacks import LagAction, LagButton
from bot.context import LianxinContext
from bot.services.identity import Staff
from bot.services.outreach import LaggardPage, OutOfScope, laggard_page, nudge
from bot.services.rules import local_today
from bot.texts import Safe, label, log_line, pace_text, render_laggard_line, scope_text, t
from handlers.views import checked_press, edit_text, keyboard
from handlers.webapp import with_dashboard
from models import utcnow

log = logging.getLogger(__name__)
PAGE = 10


def render_page(staff: Staff, page: LaggardPage, *, year_target: int) -> tuple[str, InlineKeyboardMarkup | None]:
    if not page.rows:
        return t("lag_none", quarter=page.quarter.cn_label, scope=scope_text(staff.scopes)), None
    pace = pace_text(page.rows[0].laggard.expected_people, year_target, page.as_of)
    lines = [t("lag_header", quarter=page.quarter.cn_label, day=page.as_of.isoformat(),
               scope=scope_text(staff.scopes), total=page.total,
               start=page.offset + 1, end=page.offset + len(page.rows), pace=Safe(pace))]
    lines += [render_laggard_line(row, page.offset + i + 1) for i, row in enumerate(page.rows)]
    rows = [[(label("lag_nudge", index=page.offset + i + 1, name=row.laggard.name),
              LagButton(LagAction.nudge, row.laggard.member_id, page.offset).pack())]
            for i, row in enumerate(page.rows) if row.reachable]
    nav = []
    if page.offset > 0:
        previous = max(0, page.offset - PAGE)
        nav.append((label("page_prev"), LagButton(LagAction.page, previous, previous).pack()))
    if page.offset + PAGE < page.total:
        following = page.offset + PAGE
        nav.append((label("page_next"), LagButton(LagAction.page, following, following).pack()))
    if nav:
        rows.append(nav)
    return "\n".join(lines), keyboard(rows) if rows else None


async def _page(context: LianxinContext, staff: Staff, offset: int) -> LaggardPage:
    policy = context.policies.duty
    today = local_today(utcnow(), context.settings.tz)
    async with context.db.session() as session:
        return await laggard_page(session, today=today, policy=policy, scopes=staff.scopes, offset=offset, limit=PAGE)


async def laggards_command(update: Update, context: LianxinContext) -> None:
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("not_allowed"))
        return
    text, markup = render_page(staff, await _page(context, staff, 0), year_target=context.policies.duty.year_target)
    await update.effective_message.reply_text(text, reply_markup=with_dashboard(markup, context.settings, "laggards"))


async def laggards_button(update: Update, context: LianxinContext) -> None:
    query = update.callback_query
    staff = context.identity.as_staff()
    button = await checked_press(update, LagButton, allowed=staff is not None, refusal="not_allowed",
                                 refused_log=log_line("lag_refused", user=update.effective_user.id, data=query.data))
    if button is None:
        return
    if button.action is LagAction.page:
        await query.answer()
        text, markup = render_page(staff, await _page(context, staff, button.arg),
                                   year_target=context.policies.duty.year_target)
        # the same page again: nothing changed
        await edit_text(query, text, reply_markup=with_dashboard(markup, context.settings, "laggards"))
        return
    user = update.effective_user
    policy = context.policies.duty
    now = utcnow()
    async with context.db.session() as session:
        try:
            result = await nudge(
                session, member_id=button.arg, scopes=staff.scopes, today=local_today(now, context.settings.tz),
                now=now, policy=policy, sender=user.full_name,
                log_button=log_button(),
            )
        except OutOfScope:
            log.warning(log_line("lag_refused", user=user.id, data=query.data))
            await query.answer(t("lag_out_of_scope"), show_alert=True)
            return
        await session.commit()
    await query.answer(t(f"lag_nudge_{result.outcome}", name=result.name), show_alert=True)
