"""存疑活动 in /queue (coordinators within their scope, admins): the activities the plausibility rules
flag, paged, each with 已核实 / 存疑 buttons; a mark is kept and audited by the service.

Telegram glue only: the flags, the scope (the members /queue lets a coordinator assign to) and every
mark are checked in `bot.services.plausibility`; a forged button outside the scope is refused there.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import FlagAction, FlagButton, QueueAction, QueueButton
from bot.context import LianxinContext
from bot.services import plausibility as svc
from bot.services.lifecycle import Actor
from bot.services.receptions import when_text
from bot.services.rules import local_today
from bot.texts import label, t
from bot.texts.flags import flag_reason
from handlers.members import staff_actor
from handlers.views import checked_press, keyboard, paging
from models import FlagMark, utcnow

PAGE = 5
MARKS = {FlagAction.verify: FlagMark.verified, FlagAction.question: FlagMark.questioned}
MARKED = {FlagMark.verified: "flag_marked_verified", FlagMark.questioned: "flag_marked_questioned"}


def open_button() -> tuple[str, str]:
    """The ⚠️ 存疑活动 button under /queue."""
    return label("flags_open"), FlagButton(FlagAction.page).pack()


async def flags_page(context: LianxinContext, actor: Actor, offset: int) -> tuple[str, InlineKeyboardMarkup]:
    """(text, markup) of one page of the open flags in the actor's scope, this quarter and the last."""
    duty = context.policies.duty
    quarters = svc.queue_quarters(local_today(utcnow(), duty.tz))
    period = t("flags_period", previous=quarters[0].cn_label, current=quarters[1].cn_label)
    async with context.db.session() as session:
        flags = await svc.flags_for(session, actor=actor, quarters=quarters, people_max=duty.plausible_people_max)
        bursts = await svc.bursts_for(session, actor=actor, quarters=quarters)
    back = [(label("flags_back"), QueueButton(QueueAction.page, 0, 0).pack())]
    burst_lines = [t("flags_bursts_header")] if bursts else []
    burst_lines += [t("flags_burst_line", station=b.station, when=when_text(b.starts_at, b.ends_at, duty.tz),
                      name=b.member_name, number=b.member_number) for b in bursts[:PAGE * 2]]
    if not flags:
        return "\n".join([t("flags_empty", period=period), *burst_lines]), keyboard([back])
    offset = min(offset, (len(flags) - 1) // PAGE * PAGE)  # a page past the end (marks shrank the list): the last
    shown = flags[offset:offset + PAGE]
    kinds = {k.code: k.name for k in context.settings.activity_kinds}
    lines = [t("flags_header", period=period, start=offset + 1, end=offset + len(shown), total=len(flags))]
    rows = []
    for n, flag in enumerate(shown, start=offset + 1):
        mark = t("flag_mark_questioned") if flag.mark is FlagMark.questioned else ""
        lines.append(t("flags_line", n=n, name=flag.member_name, number=flag.member_number,
                       day=flag.activity_date.isoformat(), kind=kinds.get(flag.kind, flag.kind), people=flag.people,
                       reason=flag_reason(flag.rule.value, flag.detail, duty.tz), mark=mark))
        rows.append([(label(key, n=n), FlagButton(action, offset, flag.activity_id, flag.rule).pack())
                     for key, action in (("flag_verify", FlagAction.verify), ("flag_question", FlagAction.question))])
    pages = paging(offset, len(flags), PAGE, lambda at: FlagButton(FlagAction.page, at).pack())
    if pages:
        rows.append(pages)
    rows.append(back)
    if offset == 0:
        lines += burst_lines
    return "\n".join(lines), keyboard(rows)


async def on_button(update: Update, context: LianxinContext) -> None:
    """A page of 存疑活动, or a mark on one flag (then the page again, without it once 已核实)."""
    query = update.callback_query
    actor = staff_actor(context)
    button = await checked_press(update, FlagButton, allowed=actor is not None, refusal="not_allowed",
                                 refused_log=f"flag button refused to {context.identity.telegram_id} (not staff)")
    if button is None:
        return
    notice = None
    if button.action is not FlagAction.page:
        mark = MARKS[button.action]
        try:
            async with context.db.session() as session:
                await svc.mark_flag(session, actor=actor, activity_id=button.activity_id, rule=button.rule, mark=mark,
                                    now=utcnow(), people_max=context.policies.duty.plausible_people_max)
                await session.commit()
        except svc.FlagProblem as problem:
            await query.answer(t(f"flag_problem_{problem.code}"), show_alert=True)
            return
        notice = t(MARKED[mark])
    text, markup = await flags_page(context, actor, min(button.offset, 10**6))
    await query.answer(notice)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:  # the page did not change
        pass
