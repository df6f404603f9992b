"""Case cards and their keyboards, and every message about a case to the other side.

The member's card, the resident's detail with its timeline, the staff's card when nobody fits,
relays and results. The buttons shown are the ones the lifecycle offers the viewer now
(`lifecycle.offers`): a card never shows a button the lifecycle would refuse. Messages to
the other side are sent after the commit; a failure to deliver is logged and never undoes
the case's step.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.buttons import case_answer_row
from bot.callbacks import CaseAction, CaseButton
from bot.context import LianxinContext
from bot.services import cases as svc
from bot.services.cases import Intake
from bot.services.contacts import member_chat, member_name_sector, resident_chat, staff_over
from bot.services.identity import identify
from bot.services.lifecycle import RATINGS, Action, Actor, CaseProblem, Request, Role, offers
from bot.services.queue import staff_candidates
from bot.services.reachability import mark_blocked
from bot.texts import CASE_ACTION_NAMES, CASE_STATUS_NAMES, Safe, case_problem, label, routing_reason, t
from handlers.views import keyboard
from models import Case, CaseStatus, utcnow

log = logging.getLogger(__name__)
STARS = {n: "⭐" * n for n in RATINGS}
# a request as the button that asks it: label key and callback action
REQUEST_BUTTONS = {
    Request.accept: ("case_accept", CaseAction.accept), Request.reply: ("case_reply", CaseAction.reply),
    Request.resolve: ("case_resolve", CaseAction.resolve), Request.transfer: ("case_transfer", CaseAction.transfer),
    Request.decline: ("case_decline", CaseAction.decline), Request.add: ("case_add", CaseAction.add),
}
MEMBER_ROWS = ((Request.accept, Request.reply, Request.resolve), (Request.transfer, Request.decline))
# the timeline names the member with these steps
NAMED_STEPS = (Action.route, Action.assign, Action.transfer, Action.accept, Action.resolve)


def case_problem_text(problem: CaseProblem) -> str:
    return case_problem(problem.code, problem.detail)


def local(context: LianxinContext, moment) -> str:  # noqa: ANN001 - an aware datetime
    return moment.astimezone(context.settings.tz).strftime("%m-%d %H:%M")


def place_of(detail: svc.CaseDetail) -> str:
    parts = [p for p in (detail.region_path, detail.case.place_text) if p]
    return " ".join(parts) or t("req_place_none")


def _request_button(case: Case, request: Request) -> tuple[str, str]:
    key, action = REQUEST_BUTTONS[request]
    return label(key), CaseButton(action, case.id).pack()


def member_buttons(case: Case) -> list[list[tuple[str, str]]]:
    """What the handling member can press now: what the lifecycle offers, in two rows."""
    offered = set(offers(CaseStatus(case.status), Role.member, has_resident=case.resident_id is not None))
    rows = [[_request_button(case, r) for r in row if r in offered] for row in MEMBER_ROWS]
    return [row for row in rows if row]


def resident_buttons(case: Case) -> list[list[tuple[str, str]]]:
    """已解决 / 未解决 to a result, and 补充 while the case takes messages."""
    offered = offers(CaseStatus(case.status), Role.resident)
    rows = []
    if Request.answer in offered:
        rows.append(case_answer_row(case.id))
    if Request.add in offered:
        rows.append([_request_button(case, Request.add)])
    return rows


def card_text(detail: svc.CaseDetail) -> str:
    case = detail.case
    requester = (
        t("case_requester_recorded", name=case.requester_name) if case.requester_name
        else t("case_requester_resident")
    )
    return t(
        "case_card", number=case.number, status=CASE_STATUS_NAMES[CaseStatus(case.status).value],
        category=case.category, place=place_of(detail), requester=requester,
        phone=detail.phone or t("case_phone_none"), created=case.created_at.strftime("%Y-%m-%d"),
        description=case.description,
    )


def timeline_text(context: LianxinContext, detail: svc.CaseDetail) -> str:
    lines = []
    for entry in detail.timeline:
        who = ""
        if entry.member_name and entry.action in NAMED_STEPS:
            who = f" · {entry.member_name}"
        note = entry.note or ""
        if entry.action == Action.route and entry.detail and "sector" in entry.detail:
            note = routing_reason(entry.detail)
        elif entry.detail and entry.detail.get("rating"):
            note = STARS.get(int(entry.detail["rating"]), "")
        lines.append(t(
            "case_timeline_line", at=local(context, entry.at), action=CASE_ACTION_NAMES.get(entry.action, entry.action),
            who=who, note=f"（{note}）" if note else "",
        ))
    return "\n".join(lines)


def resident_detail_text(context: LianxinContext, detail: svc.CaseDetail) -> str:
    case = detail.case
    handler = f"{detail.member_name}（{detail.member_sector}）" if detail.member_name else t("case_handler_none")
    return t(
        "case_detail", number=case.number, status=CASE_STATUS_NAMES[CaseStatus(case.status).value],
        category=case.category, place=place_of(detail), handler=handler, description=case.description,
        result=Safe(t("case_detail_result", result=case.result)) if case.result else "",
        timeline=Safe(timeline_text(context, detail)),
    )


# --- sending to the other side (after the commit) ----------------------------------------------------

async def send_safely(context: LianxinContext, chat_id: int | None, text: str,
                      markup: InlineKeyboardMarkup | None = None) -> bool:
    if chat_id is None:
        return False
    try:
        await context.bot.send_message(chat_id, text, reply_markup=markup)
        return True
    except Forbidden:  # they blocked the bot: recorded for coordinators and jobs, not retried
        async with context.db.session() as session:
            await mark_blocked(session, telegram_id=chat_id, now=utcnow())
            await session.commit()
        log.info("chat %s blocked the bot; case message not delivered", chat_id)
        return False
    except TelegramError as exc:
        log.warning("could not send to chat %s: %s", chat_id, exc)
        return False


async def send_card_to_member(context: LianxinContext, case_id: int, member_id: int) -> None:
    """The case card with the member's buttons, then its photos."""
    async with context.db.session() as session:
        try:
            detail = await svc.case_detail(session, case_id=case_id, actor=Actor.member(member_id))
        except CaseProblem:
            return
        chat = await member_chat(session, member_id)
    if chat is None:
        return
    text = t("case_new_for_member") + "\n\n" + card_text(detail)
    if not await send_safely(context, chat, text, keyboard(member_buttons(detail.case))):
        return
    for n, file_id in enumerate(detail.photos, start=1):
        try:
            await context.bot.send_photo(chat, file_id, caption=t("case_photo_caption", number=detail.case.number,
                                                                   n=n, total=len(detail.photos)))
        except TelegramError as exc:
            log.warning("could not send photo %s of case %s: %s", n, detail.case.number, exc)


async def send_to_staff(context: LianxinContext, intake: Intake) -> None:
    """Nobody fits: the coordinators in scope (or the admins) get the case with the engine's candidates."""
    fallback = intake.fallback
    if fallback is None:
        return
    for telegram_id in fallback.telegram_ids:
        async with context.db.session() as session:
            # a coordinator's candidates are limited to their scope (bot.services.queue), so their grants count
            staff = (await identify(session, telegram_id, context.settings.admin_ids)).as_staff()
            if staff is None:
                continue
            actor = Actor.for_staff(staff)
            try:
                detail = await svc.case_detail(session, case_id=intake.case.id, actor=actor)
            except CaseProblem:
                continue
            candidates = await staff_candidates(session, case=detail.case, actor=actor, table=context.routing)
        rows = [[(label("case_assign_to", name=c.name, reason=routing_reason(
            c.reason(has_region=detail.case.region_id is not None))),
                  CaseButton(CaseAction.assign, detail.case.id, c.member_id).pack())] for c in candidates]
        text = t("case_for_staff", number=detail.case.number, category=detail.case.category,
                 place=place_of(detail)) + "\n\n" + card_text(detail)
        await send_safely(context, telegram_id, text, keyboard(rows) if rows else None)


async def tell_resident(context: LianxinContext, case: Case, text: str,
                        markup: InlineKeyboardMarkup | None = None) -> None:
    async with context.db.session() as session:
        chat = await resident_chat(session, case.resident_id)
    await send_safely(context, chat, text, markup)


async def announce_routing(context: LianxinContext, intake: Intake, *, resident_key: str | None) -> None:
    """After a case was (re)routed: the new member gets the card, or the staff get it; the resident hears where."""
    if intake.member_id is not None:
        await send_card_to_member(context, intake.case.id, intake.member_id)
        if resident_key:
            async with context.db.session() as session:
                who = await member_name_sector(session, intake.member_id)
            if who:
                await tell_resident(context, intake.case,
                                    t(resident_key, number=intake.case.number, name=who[0], sector=who[1]))
    else:
        await send_to_staff(context, intake)
        if resident_key:
            await tell_resident(context, intake.case, t("case_to_staff_resident", number=intake.case.number))


async def deliver_relay(context: LianxinContext, case: Case, relay: svc.Relay) -> bool:
    """A 回复 or 补充 goes to the other side, stamped with the case number; never with who sent it on Telegram.
    Whether it was delivered (an unbound or blocked recipient gets it in /mycases or /cases)."""
    text = relay.message.text
    async with context.db.session() as session:
        if relay.to_role is Role.member:
            chat = await member_chat(session, relay.to_id)
            body = t("case_message_to_member", number=case.number, text=text)
            markup = keyboard(member_buttons(case))
        else:
            chat = await resident_chat(session, relay.to_id)
            who = await member_name_sector(session, case.member_id)
            body = t("case_message_to_resident", number=case.number, name=who[0] if who else "", text=text)
            markup = keyboard(resident_buttons(case))
    if chat is None:
        return False
    delivered = await send_safely(context, chat, body, markup)
    for file_id in relay.message.photo_file_ids or []:
        try:
            caption = t("case_photo_caption", number=case.number, n=1, total=1)
            await context.bot.send_photo(chat, file_id, caption=caption)
        except TelegramError as exc:
            log.warning("could not relay a photo of case %s: %s", case.number, exc)
    return delivered


async def tell_staff_reopened(context: LianxinContext, case: Case, name: str) -> None:
    """A reopened case is news for the coordinators over it (the admins when none covers it)."""
    async with context.db.session() as session:
        recipients = await staff_over(session, case, context.routing, context.settings.admin_ids)
    for telegram_id in recipients:
        await send_safely(context, telegram_id, t("case_reopened_staff", number=case.number, name=name))
