"""/queue (coordinators within their scope, admins): cases nobody fitted, overdue ones and reopened
ones, oldest first, paged; a case opens with its timeline, the engine's candidates as 分派给 buttons
(the same `case:asg` buttons and handler as the card the staff get when nobody fits) and 重新分派.

Telegram glue only: the queue, the candidates and every action are scoped and checked in
`bot.services.queue`; a forged button for a case outside the scope is refused there and logged.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import CaseAction, CaseButton, QueueAction, QueueButton
from bot.context import LianxinContext
from bot.services import queue as svc
from bot.services.cases import age_days, case_detail
from bot.services.contacts import member_name_sector
from bot.services.lifecycle import Actor, CaseProblem, Request, may
from bot.texts import CASE_STATUS_NAMES, QUEUE_REASON_NAMES, label, routing_reason, t
from handlers.case_cards import Notices, card_text, case_problem_text, resident_detail_text, routing
from handlers.flags import open_button as open_flags
from handlers.forms import reply
from handlers.members import staff_actor
from handlers.views import checked_press, drop_buttons, keyboard, paging
from handlers.webapp import with_dashboard
from models import CaseStatus, utcnow

PAGE = 5
MESSAGE_MAX = 4096


def reasons_text(item: svc.QueueItem) -> str:
    return "、".join(QUEUE_REASON_NAMES[r] for r in item.reasons)


async def queue_page(context: LianxinContext, actor: Actor, offset: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """(text, markup) of one page of the queue."""
    now = utcnow()
    async with context.db.session() as session:
        items, total = await svc.case_queue(session, actor=actor, now=now,
                                            policy=context.policies.deadline,
                                            offset=offset, limit=PAGE)
    if not total:
        return t("queue_empty"), with_dashboard(keyboard([[open_flags()]]), context.settings, "queue")
    if not items:  # a page past the end (the queue shrank meanwhile): the last page
        return await queue_page(context, actor, max((total - 1) // PAGE * PAGE, 0))
    lines = [t("queue_header", start=offset + 1, end=offset + len(items), total=total)]
    for n, item in enumerate(items, start=offset + 1):
        lines.append(t("queue_line", n=n, number=item.number, category=item.category,
                       status=CASE_STATUS_NAMES[item.status.value], handler=item.member_name or t("case_handler_none"),
                       age=age_days(item.created_at, now), reasons=reasons_text(item)))
    rows = [[(label("queue_open", number=i.number, reasons=reasons_text(i)),
              QueueButton(QueueAction.open, i.id).pack())] for i in items]
    pages = paging(offset, total, PAGE, lambda at: QueueButton(QueueAction.page, 0, at).pack())
    if pages:
        rows.append(pages)
    rows.append([open_flags()])
    return "\n".join(lines), with_dashboard(keyboard(rows), context.settings, "queue")


async def queue_command(update: Update, context: LianxinContext) -> None:
    """/queue: the first page of the sender's queue."""
    actor = staff_actor(context)
    if actor is None:
        await update.effective_message.reply_text(t("not_allowed"))
        return
    text, markup = await queue_page(context, actor, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def open_case(update: Update, context: LianxinContext, actor: Actor, case_id: int) -> None:
    """One case of the queue: detail and timeline, then 分派给 … and 重新分派."""
    async with context.db.session() as session:
        detail = await case_detail(session, case_id=case_id, actor=actor)
        candidates = await svc.staff_candidates(session, case=detail.case, actor=actor, table=context.routing)
    text = resident_detail_text(context, detail)
    if len(text) > MESSAGE_MAX - 200:  # a long timeline: the card without it still says what the case is
        text = card_text(detail, context.settings.tz)
    text += "\n\n" + (t("queue_candidates") if candidates else t("queue_no_candidates"))
    has_region = detail.case.region_id is not None
    rows = [[(label("case_assign_to", name=c.name, reason=routing_reason(c.reason(has_region=has_region))),
              CaseButton(CaseAction.assign, detail.case.id, c.member_id).pack())] for c in candidates]
    if may(CaseStatus(detail.case.status), actor.role, Request.reroute):
        rows.append([(label("queue_reroute"), QueueButton(QueueAction.reroute, detail.case.id).pack())])
    await reply(update, text, keyboard(rows) if rows else None)


async def on_button(update: Update, context: LianxinContext) -> None:
    """Queue paging, opening a case and 重新分派; the service checks scope on each."""
    query = update.callback_query
    actor = staff_actor(context)
    button = await checked_press(update, QueueButton, allowed=actor is not None, refusal="not_allowed",
                                 refused_log=f"queue button refused to {context.identity.telegram_id} (not staff)")
    if button is None:
        return
    try:
        if button.action is QueueAction.page:
            text, markup = await queue_page(context, actor, min(button.arg, 10**6))
            await query.answer()
            try:
                await query.edit_message_text(text, reply_markup=markup)
            except BadRequest:
                pass
        elif button.action is QueueAction.open:
            await open_case(update, context, actor, button.case_id)
            await query.answer()
        else:
            await reroute(update, context, actor, button.case_id)
    except CaseProblem as problem:
        await query.answer(case_problem_text(problem), show_alert=True)


async def reroute(update: Update, context: LianxinContext, actor: Actor, case_id: int) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        intake = await svc.reroute_by_staff(session, actor=actor, case_id=case_id, table=context.routing,
                                            now=utcnow(), admin_ids=context.settings.admin_ids,
                                            policy=context.policies.case)
        who = await member_name_sector(session, intake.member_id)
        notices = Notices(session, now=utcnow())
        await routing(notices, context, intake, resident_key="case_rerouted_resident")
        await session.commit()
    number = intake.case.number
    text = (t("queue_rerouted_member", number=number, name=who[0], sector=who[1]) if who
            else t("queue_rerouted_staff", number=number))
    context.mark_saved(update, text)
    await query.answer()
    await drop_buttons(update)
    await reply(update, text)
    await notices.send(context)
