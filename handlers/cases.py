"""Case buttons that act at once — 接收, 已解决 / 未解决 and the rating, staff's 分派给, opening a case —
and the lists: the resident's /mycases, the member's /cases.

Every press is re-checked: the button only says what the user asked for; whether they may is
decided by the lifecycle (`bot.services.lifecycle`) and the case services from who they are and
where the case is. What needs typing is the case-action form (`case_action.py`); cards and
messages to the other side are `case_cards.py`.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.callbacks import CaseAction, CaseButton
from bot.context import LianxinContext
from bot.services import cases as svc
from bot.services.cases import Intake
from bot.services.contacts import member_name_sector, resident_for, viewer_for
from bot.services.lifecycle import (
    RATINGS,
    Action,
    Actor,
    CaseNotAllowed,
    CaseProblem,
    Request,
    Role,
    check_rating,
    check_request,
)
from bot.services.media import clock, voice_totals
from bot.services.queue import assign_in_scope
from bot.texts import CASE_STATUS_NAMES, Safe, label, t
from handlers.case_cards import (
    STARS,
    Notices,
    card_text,
    case_problem_text,
    local,
    member_buttons,
    resident_buttons,
    resident_detail_text,
    routing,
    staff_reopened,
    to_member,
    to_resident,
    voice_list_text,
)
from handlers.forms import reply
from handlers.views import checked_press, chunked, drop_buttons, keyboard, paging
from models import Case, CaseStatus, utcnow

log = logging.getLogger(__name__)
PAGE = 5


# --- buttons that act at once -------------------------------------------------------------------------

async def on_accept(update: Update, context: LianxinContext) -> None:
    """接收: the handling member takes the case."""
    query = update.callback_query
    button = await checked_press(update, CaseButton, allowed=context.identity.is_member, refusal="case_members_only",
                                 refused_log=f"case accept refused to {context.identity.telegram_id} (not a member)")
    if button is None:
        return
    actor = Actor.member(context.identity.member_id)
    async with context.db.session() as session:
        try:
            case = await svc.get_case(session, case_id=button.case_id, actor=actor)
            await svc.accept_case(session, case=case, member_id=actor.id, now=utcnow(), policy=context.policies.case)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return
        who = await member_name_sector(session, actor.id)
        notices = Notices(session, now=utcnow())
        await to_resident(notices, case, t("case_accepted_resident", number=case.number, name=who[0] if who else ""))
        await session.commit()
    context.mark_saved(update, t("case_accepted_member", number=case.number))
    await query.answer()
    try:
        await query.edit_message_reply_markup(keyboard(member_buttons(case)))
    except BadRequest:
        pass
    await reply(update, t("case_accepted_member", number=case.number))
    await notices.send(context)


async def on_answer(update: Update, context: LianxinContext) -> None:
    """已解决 (then a rating) / 未解决 (reopen within the window, else closed) from the case's resident."""
    query = update.callback_query
    button = await checked_press(update, CaseButton)
    if button is None:
        return
    async with context.db.session() as session:
        resident = await resident_for(session, context.identity.telegram_id)
        actor = Actor.resident(resident.id) if resident else None
        try:
            if actor is None:
                raise CaseNotAllowed("not_yours")
            case = await svc.get_case(session, case_id=button.case_id, actor=actor)
            if button.action is CaseAction.solved:
                check_request(CaseStatus(case.status), actor.role, Request.answer)
                await query.answer()
                rows = [[(label("case_rate", stars=STARS[n]), CaseButton(CaseAction.rate, case.id, n).pack())]
                        for n in reversed(RATINGS)]
                await drop_buttons(update)
                await reply(update, t("case_ask_rating"), keyboard(rows))
                return
            rating = button.arg if button.action is CaseAction.rate else None
            if button.action is CaseAction.rate:
                check_rating(rating)
            event = await svc.answer_case(session, case=case, actor=actor, solved=button.action is CaseAction.rate,
                                          now=utcnow(), rating=rating, policy=context.policies.case)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return
        notices = Notices(session, now=utcnow())
        if event.action == Action.confirm:
            await to_member(notices, case, t("case_confirmed_member", number=case.number, rating=rating))
        elif event.action == Action.reopen:
            await to_member(notices, case, t("case_reopened_member", number=case.number), member_buttons(case))
            who = await member_name_sector(session, case.member_id)
            await staff_reopened(notices, context, case, who[0] if who else "")
        await session.commit()
    await query.answer()
    await drop_buttons(update)
    if event.action == Action.confirm:
        await reply(update, t("case_rated", rating=rating, number=case.number))
    elif event.action == Action.reopen:
        await reply(update, t("case_reopened_resident", number=case.number))
    else:
        await reply(update, t("case_closed_resident", number=case.number))
    await notices.send(context)


async def on_assign(update: Update, context: LianxinContext) -> None:
    """Staff hand a case to one of the engine's candidates (from the nobody-fits card or /queue); the case and,
    for a coordinator, the member must be in scope."""
    query = update.callback_query
    staff = context.identity.as_staff()
    button = await checked_press(update, CaseButton, allowed=staff is not None, refusal="not_allowed",
                                 refused_log=f"case assign refused to {context.identity.telegram_id} (not staff)")
    if button is None:
        return
    actor = Actor.for_staff(staff)
    async with context.db.session() as session:
        try:
            case = await assign_in_scope(session, actor=actor, case_id=button.case_id, to_member_id=button.arg,
                                         now=utcnow(), policy=context.policies.case)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return
        who = await member_name_sector(session, button.arg)
        notices = Notices(session, now=utcnow())
        await routing(notices, context, Intake(case, button.arg), resident_key="case_assigned_resident")
        await session.commit()
    await query.answer()
    await drop_buttons(update)
    await reply(update, t("case_assigned_staff", number=case.number, name=who[0] if who else ""))
    await notices.send(context)


async def on_view(update: Update, context: LianxinContext) -> None:
    """A case from a list: its card (handler), its detail and timeline (resident, staff)."""
    query = update.callback_query
    button = await checked_press(update, CaseButton)
    if button is None:
        return
    async with context.db.session() as session:
        case = await session.get(Case, button.case_id)
        actor = await viewer_for(session, context.identity, case) if case else None
        if actor is None:
            log.warning("case view %s refused to %s", button.case_id, context.identity.telegram_id)
            await query.answer(t("case_not_visible"), show_alert=True)
            return
        detail = await svc.case_detail(session, case_id=case.id, actor=actor)
    await query.answer()
    if actor.role is Role.member:
        voices = voice_list_text(context, detail)
        text = card_text(detail, context.settings.tz) + (t("voice_card_line", summary=Safe(voices)) if voices else "")
        await reply(update, text, keyboard(member_buttons(detail.case)))
    else:
        rows = resident_buttons(detail.case) if actor.role is Role.resident else []
        await reply(update, resident_detail_text(context, detail), keyboard(rows) if rows else None)


# --- lists ------------------------------------------------------------------------------------------

async def mycases_text(context: LianxinContext, offset: int) -> tuple[str, object]:
    async with context.db.session() as session:
        resident = await resident_for(session, context.identity.telegram_id)
        items, total = ([], 0) if resident is None else await svc.cases_for_resident(
            session, resident_id=resident.id, page=offset // PAGE, per_page=PAGE)
        voices = await voice_totals(session, case_ids=[i.id for i in items])
    if not total:
        return t("mycases_empty"), None
    lines = [t("mycases_header", start=offset + 1, end=offset + len(items), total=total)]
    for item in items:
        lines.append(t("mycases_line", number=item.number, category=item.category,
                       status=CASE_STATUS_NAMES[item.status.value], handler=item.member_name or t("case_handler_none"),
                       updated=local(context, item.updated_at)) + voice_mark(voices.get(item.id)))
    rows = [[(label("case_view", number=i.number, status=CASE_STATUS_NAMES[i.status.value]),
              CaseButton(CaseAction.view, i.id).pack())] for i in items]
    pages = paging(offset, total, PAGE, lambda at: CaseButton(CaseAction.page, 0, at).pack())
    if pages:
        rows.append(pages)
    return "\n".join(lines), keyboard(rows)


async def mycases_command(update: Update, context: LianxinContext) -> None:
    """/mycases: the resident's own cases, newest first, paged."""
    text, markup = await mycases_text(context, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def mycases_page(update: Update, context: LianxinContext) -> None:
    query = update.callback_query
    button = await checked_press(update, CaseButton)
    if button is None:
        return
    await query.answer()
    text, markup = await mycases_text(context, min(button.arg, 10**6))
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        pass


async def cases_command(update: Update, context: LianxinContext) -> None:
    """/cases: the member's open cases, oldest first, with age and status."""
    if not context.identity.is_member:
        await update.effective_message.reply_text(t("case_members_only"))
        return
    now = utcnow()
    async with context.db.session() as session:
        items = await svc.cases_for_member(session, member_id=context.identity.member_id, limit=50)
        voices = await voice_totals(session, case_ids=[i.id for i in items])
    if not items:
        await update.effective_message.reply_text(t("cases_empty"))
        return
    lines = [t("cases_header", total=len(items))]
    lines += [t("cases_line", number=i.number, category=i.category, status=CASE_STATUS_NAMES[i.status.value],
                age=svc.age_days(i.created_at, now)) + voice_mark(voices.get(i.id)) for i in items]
    rows = chunked([(i.number, CaseButton(CaseAction.view, i.id).pack()) for i in items], 2)
    await update.effective_message.reply_text("\n".join(lines), reply_markup=keyboard(rows))


def voice_mark(counted: tuple[int, int] | None) -> str:
    """After a case in a list: how many voice notes it has and how long they are together."""
    if not counted:
        return ""
    return t("voice_list_mark", count=counted[0], total=clock(counted[1]))
