"""Case handling in the chat: the member's card and actions, the resident's answers, relays, lists.

Every button is re-checked by the case lifecycle (`bot.services.cases`): the button only
says what the user asked for; whether they may is decided by the service from who they
are and where the case is. Texts that need typing (a reason, a result, a message) go
through a small form on the form kit, "ca" (flow diagram: docs/case_action.mmd), so one
form per user still holds.

Messages to the other side are sent after the commit; a failure to deliver is logged
and never undoes the case's step.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import LianxinContext
from bot.services import cases as svc
from bot.services.cases import Actor, CaseProblem, Intake, Role
from bot.services.access import identify
from bot.services.queue import assign_in_scope, staff_candidates
from bot.services.reachability import mark_blocked
from bot.services.contacts import (
    member_chat, member_name_sector, resident_chat, resident_for, staff_over, viewer_for,
)
from bot.services.rules import parse_people
from bot.texts import (
    CASE_ACTION_NAMES,
    CASE_STATUS_NAMES,
    Safe,
    case_problem,
    label,
    routing_reason,
    t,
)
from bot.callbacks import CaseAction, CaseButton, FormButton
from handlers.forms import PRIVATE, TEXT, Form, FormDraft, reply
from handlers.views import chunked, keyboard, paging
from models import Case, CaseStatus, utcnow

log = logging.getLogger(__name__)
PAGE = 5
STARS = {n: "⭐" * n for n in range(1, 6)}


def case_problem_text(problem: CaseProblem) -> str:
    return case_problem(problem.code, problem.detail)


def local(context: LianxinContext, moment) -> str:  # noqa: ANN001
    return moment.astimezone(context.settings.tz).strftime("%m-%d %H:%M")


# --- rendering ---------------------------------------------------------------------------------

def place_of(detail: svc.CaseDetail) -> str:
    parts = [p for p in (detail.region_path, detail.case.place_text) if p]
    return " ".join(parts) or t("req_place_none")


def member_buttons(case: Case) -> list[list[tuple[str, str]]]:
    """What the handling member can press now, from the lifecycle table."""
    status = CaseStatus(case.status)
    allowed = set(svc.allowed_actions(status, Role.member))
    row: list[tuple[str, str]] = []
    if "accept" in allowed:
        row.append((label("case_accept"), CaseButton(CaseAction.accept, case.id).pack()))
    if status in svc.MEMBER_CAN_WRITE and case.resident_id is not None:
        row.append((label("case_reply"), CaseButton(CaseAction.reply, case.id).pack()))
    if "resolve" in allowed:
        row.append((label("case_resolve"), CaseButton(CaseAction.resolve, case.id).pack()))
    rows = [row] if row else []
    second: list[tuple[str, str]] = []
    if "transfer" in allowed or "release" in allowed:
        second.append((label("case_transfer"), CaseButton(CaseAction.transfer, case.id).pack()))
    if "decline" in allowed:
        second.append((label("case_decline"), CaseButton(CaseAction.decline, case.id).pack()))
    if second:
        rows.append(second)
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
        if entry.member_name and entry.action in ("route", "assign", "transfer", "accept", "resolve"):
            who = f" · {entry.member_name}"
        note = entry.note or ""
        if entry.action == "route" and entry.detail and "sector" in entry.detail:
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


def resident_buttons(case: Case) -> list[list[tuple[str, str]]]:
    status = CaseStatus(case.status)
    rows = []
    if status is CaseStatus.resolved:
        rows.append([(label("case_solved"), CaseButton(CaseAction.solved, case.id).pack()),
                     (label("case_unsolved"), CaseButton(CaseAction.unsolved, case.id).pack())])
    if status in svc.RESIDENT_CAN_WRITE:
        rows.append([(label("case_add"), CaseButton(CaseAction.add, case.id).pack())])
    return rows


# --- sending to the other side (after the commit) ----------------------------------------------------

async def send_safely(context: LianxinContext, chat_id: int | None, text: str, markup=None) -> bool:  # noqa: ANN001
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
            actor = (Actor.admin(telegram_id) if telegram_id in context.settings.admin_ids
                     else Actor.coordinator(telegram_id, (await identify(session, telegram_id, [])).scopes))
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


async def tell_resident(context: LianxinContext, case: Case, text: str, markup=None) -> None:  # noqa: ANN001
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


# --- the small form for typed inputs ------------------------------------------------------------------

class Step(enum.StrEnum):
    TARGET = "target"
    NOTE = "note"
    PEOPLE = "people"
    MESSAGE = "message"


class Action(enum.StrEnum):
    TARGET = "to"
    PEOPLE = "ppl"


@dataclass
class Draft(FormDraft):
    """What a case action is waiting for."""

    case_id: int = 0
    action: str = ""  # decline | transfer | resolve | reply | add
    to_member_id: int | None = None  # transfer target; None = back to routing
    note: str | None = None
    people: int | None = None
    offered: list[int] = field(default_factory=list)  # member ids offered as transfer targets


FORM: Form[Draft] = Form(name="ca", conversation="case_action", draft=Draft, steps=Step,
                         button_steps={Step.TARGET})


async def ask_target(update: Update, context: LianxinContext, draft: Draft) -> str:
    async with context.db.session() as session:
        case = await svc.get_case(session, case_id=draft.case_id, actor=Actor.member(context.identity.member_id))
        candidates = await svc.transfer_candidates(session, case=case, actor=Actor.member(context.identity.member_id),
                                                   table=context.routing, limit=5) if context.routing else []
    draft.offered = [c.member_id for c in candidates]
    rows = [[FORM.button(draft, label("case_assign_to", name=c.name, reason=routing_reason(
        c.reason(has_region=case.region_id is not None))), Action.TARGET, str(c.member_id))] for c in candidates]
    rows.append([FORM.button(draft, label("case_release"), Action.TARGET, "0")])
    state = await FORM.at_step(update, context, draft, Step.TARGET)
    text = t("case_ask_transfer") if candidates else t("case_no_candidates")
    await reply(update, text, keyboard(rows))
    return state


async def ask_note(update: Update, context: LianxinContext, draft: Draft) -> str:
    key = {"decline": "case_ask_decline", "transfer": "case_ask_transfer_reason"}.get(draft.action)
    text = t(key) if key else t("case_ask_result", low=svc.RESULT_MIN, high=svc.RESULT_MAX)
    state = await FORM.at_step(update, context, draft, Step.NOTE)
    await reply(update, text)
    return state


async def ask_people(update: Update, context: LianxinContext, draft: Draft) -> str:
    rows = [[FORM.button(draft, label("people_one"), Action.PEOPLE, "1")]]
    state = await FORM.at_step(update, context, draft, Step.PEOPLE)
    await reply(update, t("case_ask_people"), keyboard(rows))
    return state


async def ask_message(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.MESSAGE)
    await reply(update, t("case_ask_message_member" if draft.action == "reply" else "case_ask_message_resident"))
    return state


FORM.asks = {Step.TARGET: ask_target, Step.NOTE: ask_note, Step.PEOPLE: ask_people, Step.MESSAGE: ask_message}


async def _actor(context: LianxinContext, action: str) -> Actor | None:
    """The actor a typed case action is made as: the handling member, or the resident for 补充."""
    if action == "add":
        async with context.db.session() as session:
            resident = await resident_for(session, context.identity.telegram_id)
        return Actor.resident(resident.id) if resident else None
    return Actor.member(context.identity.member_id) if context.identity.is_member else None


@FORM.entry
async def start_action(update: Update, context: LianxinContext) -> str | int:
    """回复 / 办结 / 转交 / 无法办理 / 补充 pressed on a case: check first, then ask what is needed."""
    query = update.callback_query
    button = CaseButton.parse(query.data or "")
    if button is None:
        await query.answer(t("stale_button"), show_alert=True)
        return ConversationHandler.END
    action = {CaseAction.decline: "decline", CaseAction.transfer: "transfer", CaseAction.resolve: "resolve",
              CaseAction.reply: "reply", CaseAction.add: "add"}[button.action]
    actor = await _actor(context, action)
    lifecycle = {"decline": "decline", "transfer": "transfer", "resolve": "resolve"}.get(action)
    async with context.db.session() as session:
        try:
            if actor is None:
                raise svc.CaseNotAllowed("not_yours")
            case = await svc.get_case(session, case_id=button.case_id, actor=actor)
            if lifecycle and lifecycle not in svc.allowed_actions(CaseStatus(case.status), actor.role) and not (
                    action == "transfer" and "release" in svc.allowed_actions(CaseStatus(case.status), actor.role)):
                raise svc.CaseNotAllowed("not_allowed", status=CaseStatus(case.status).value, action=action)
            writable = svc.RESIDENT_CAN_WRITE if action == "add" else svc.MEMBER_CAN_WRITE
            if action in ("reply", "add") and CaseStatus(case.status) not in writable:
                raise CaseProblem("relay_closed")
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return ConversationHandler.END
    await query.answer()
    draft = FORM.new(case_id=case.id, action=action)
    if action == "transfer":
        return await ask_target(update, context, draft)
    if action in ("reply", "add"):
        return await ask_message(update, context, draft)
    return await ask_note(update, context, draft)


async def cancel(update: Update, context: LianxinContext) -> int:
    state = await FORM.end(update, context)
    await reply(update, t("cancelled"))
    return state


@FORM.guarded
async def on_target(update: Update, context: LianxinContext) -> str | None:
    draft = FORM.get(context)
    offered = [str(m) for m in draft.offered] + ["0"]
    button = await FORM.pressed(update, context, Action.TARGET, values={Action.TARGET: offered})
    if button is None:
        return None
    draft.to_member_id = int(button.value) or None
    await FORM.mark_choice(update, FORM.pressed_label(update))
    return await ask_note(update, context, draft)


@FORM.guarded
async def on_note(update: Update, context: LianxinContext) -> str | int | None:
    draft = FORM.get(context)
    text = " ".join(update.effective_message.text.split())
    draft.note = text
    if draft.action == "resolve":
        if not svc.RESULT_MIN <= len(text) <= svc.RESULT_MAX:
            await reply(update, t("case_result_required", low=svc.RESULT_MIN, high=svc.RESULT_MAX))
            return None
        return await ask_people(update, context, draft)
    return await run_action(update, context, draft)


@FORM.guarded
async def on_people_button(update: Update, context: LianxinContext) -> str | int | None:
    button = await FORM.pressed(update, context, Action.PEOPLE, values={Action.PEOPLE: ("1",)})
    if button is None:
        return None
    draft = FORM.get(context)
    draft.people = 1
    await FORM.mark_choice(update, label("people_one"))
    return await run_action(update, context, draft)


@FORM.guarded
async def on_people_text(update: Update, context: LianxinContext) -> str | int | None:
    value = parse_people(update.effective_message.text)
    if value is None or not svc.PEOPLE_MIN <= value <= svc.PEOPLE_MAX:
        await reply(update, t("case_ask_people_bad"))
        return None
    draft = FORM.get(context)
    draft.people = value
    return await run_action(update, context, draft)


@FORM.guarded
async def on_message(update: Update, context: LianxinContext) -> str | int | None:
    draft = FORM.get(context)
    message = update.effective_message
    draft.note = message.text or message.caption or ""
    photos = [message.photo[-1].file_id] if message.photo else []
    return await run_action(update, context, draft, photos=photos)


async def run_action(update: Update, context: LianxinContext, draft: Draft, *, photos: list[str] | None = None
                     ) -> str | int | None:
    """Make the case action and end the form in one commit; then tell the other side."""
    actor = await _actor(context, draft.action)
    now = utcnow()
    policy = context.policies.case
    admin_ids = context.settings.admin_ids
    intake = relay = None
    async with context.db.session() as session:
        try:
            if actor is None:
                raise svc.CaseNotAllowed("not_yours")
            case = await svc.get_case(session, case_id=draft.case_id, actor=actor)
            if draft.action == "decline":
                intake = await svc.decline_case(session, case=case, member_id=actor.id, reason=draft.note or "",
                                                table=context.routing, now=now, admin_ids=admin_ids, policy=policy)
            elif draft.action == "transfer":
                intake = await svc.transfer_case(session, case=case, member_id=actor.id, reason=draft.note or "",
                                                 table=context.routing, now=now, to_member_id=draft.to_member_id,
                                                 admin_ids=admin_ids, policy=policy)
            elif draft.action == "resolve":
                await svc.resolve_case(session, case=case, member_id=actor.id, result=draft.note or "", now=now,
                                       people=draft.people, policy=policy)
            else:
                relay = await svc.add_message(session, case=case, actor=actor, text=draft.note or "", now=now,
                                              photo_file_ids=photos or [], policy=policy)
        except CaseProblem as problem:
            await reply(update, case_problem_text(problem))
            if problem.code in ("note_required", "note_long", "relay_empty", "relay_long", "result_required"):
                return None  # the same step asks again
            return await FORM.end(update, context)
        confirm = await FORM.end_in(session, update, context)
        await session.commit()
        confirm()
        state = ConversationHandler.END
        number = case.number
        context.mark_saved(update, t("case_message_sent"))
    if draft.action in ("decline", "transfer"):
        await reply(update, t("case_declined" if draft.action == "decline" else "case_transferred", number=number))
        await announce_routing(context, intake, resident_key="case_rerouted_resident")
    elif draft.action == "resolve":
        await reply(update, t("case_resolved_member", number=number))
        async with context.db.session() as session:
            detail = await svc.case_detail(session, case_id=draft.case_id, actor=actor)
        await tell_resident(
            context, detail.case,
            t("case_result_for_resident", number=number, name=detail.member_name or "", result=detail.case.result,
              days=policy.reopen_days),
            keyboard(resident_buttons(detail.case)[:1]),
        )
    else:
        await deliver_relay(update, context, case, relay)
    return state


async def deliver_relay(update: Update, context: LianxinContext, case: Case, relay: svc.Relay) -> None:
    """A 回复 or 补充 goes to the other side, stamped with the case number; never with who sent it on Telegram."""
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
        await reply(update, t("case_message_held"))
        return
    delivered = await send_safely(context, chat, body, markup)
    for file_id in relay.message.photo_file_ids or []:
        try:
            await context.bot.send_photo(chat, file_id, caption=t("case_photo_caption", number=case.number, n=1, total=1))
        except TelegramError as exc:
            log.warning("could not relay a photo of case %s: %s", case.number, exc)
    await reply(update, t("case_message_sent") if delivered else t("case_message_held"))


# --- buttons that act at once -------------------------------------------------------------------------

async def _button(update: Update) -> CaseButton | None:
    query = update.callback_query
    button = CaseButton.parse(query.data or "")
    if button is None:
        await query.answer(t("stale_button"), show_alert=True)
    return button


async def on_accept(update: Update, context: LianxinContext) -> None:
    """接收: the handling member takes the case."""
    query = update.callback_query
    button = await _button(update)
    if button is None:
        return
    if not context.identity.is_member:
        await query.answer(t("case_members_only"), show_alert=True)
        return
    actor = Actor.member(context.identity.member_id)
    async with context.db.session() as session:
        try:
            case = await svc.get_case(session, case_id=button.case_id, actor=actor)
            await svc.accept_case(session, case=case, member_id=actor.id, now=utcnow(), policy=context.policies.case)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return
        await session.commit()
        who = await member_name_sector(session, actor.id)
    context.mark_saved(update, t("case_accepted_member", number=case.number))
    await query.answer()
    try:
        await query.edit_message_reply_markup(keyboard(member_buttons(case)))
    except BadRequest:
        pass
    await reply(update, t("case_accepted_member", number=case.number))
    await tell_resident(context, case, t("case_accepted_resident", number=case.number, name=who[0] if who else ""))


async def on_answer(update: Update, context: LianxinContext) -> None:
    """已解决 (then a rating) / 未解决 (reopen within the window, else closed) from the case's resident."""
    query = update.callback_query
    button = await _button(update)
    if button is None:
        return
    async with context.db.session() as session:
        resident = await resident_for(session, context.identity.telegram_id)
        actor = Actor.resident(resident.id) if resident else None
        try:
            if actor is None:
                raise svc.CaseNotAllowed("not_yours")
            case = await svc.get_case(session, case_id=button.case_id, actor=actor)
            if button.action is CaseAction.solved:
                if CaseStatus(case.status) is not CaseStatus.resolved:
                    raise svc.CaseNotAllowed("not_allowed", status=CaseStatus(case.status).value, action="confirm")
                await query.answer()
                rows = [[(label("case_rate", stars=STARS[n]), CaseButton(CaseAction.rate, case.id, n).pack())]
                        for n in range(5, 0, -1)]
                await _drop_buttons(update)
                await reply(update, t("case_ask_rating"), keyboard(rows))
                return
            rating = button.arg if button.action is CaseAction.rate else None
            if button.action is CaseAction.rate and rating not in STARS:
                raise CaseProblem("rating_range")
            event = await svc.answer_case(session, case=case, actor=actor, solved=button.action is CaseAction.rate,
                                          now=utcnow(), rating=rating, policy=context.policies.case)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return
        await session.commit()
        member = await member_chat(session, case.member_id)
        who = await member_name_sector(session, case.member_id)
    await query.answer()
    await _drop_buttons(update)
    if event.action == "confirm":
        await reply(update, t("case_rated", rating=rating, number=case.number))
        await send_safely(context, member, t("case_confirmed_member", number=case.number, rating=rating))
    elif event.action == "reopen":
        await reply(update, t("case_reopened_resident", number=case.number))
        await send_safely(context, member, t("case_reopened_member", number=case.number), keyboard(member_buttons(case)))
        await _tell_staff_reopened(context, case, who[0] if who else "")
    else:
        await reply(update, t("case_closed_resident", number=case.number))


async def _tell_staff_reopened(context: LianxinContext, case: Case, name: str) -> None:
    """A reopened case is news for the coordinators over it (the admins when none covers it)."""
    async with context.db.session() as session:
        recipients = await staff_over(session, case, context.routing, context.settings.admin_ids)
    for telegram_id in recipients:
        await send_safely(context, telegram_id, t("case_reopened_staff", number=case.number, name=name))


async def _drop_buttons(update: Update) -> None:
    try:
        await update.callback_query.edit_message_reply_markup(None)
    except BadRequest:
        pass


async def on_assign(update: Update, context: LianxinContext) -> None:
    """Staff hand a case to one of the engine's candidates (from the nobody-fits card or /queue); the case and,
    for a coordinator, the member must be in scope."""
    query = update.callback_query
    button = await _button(update)
    if button is None:
        return
    identity = context.identity
    if identity.is_admin:
        actor = Actor.admin(identity.telegram_id)
    elif identity.is_coordinator:
        actor = Actor.coordinator(identity.telegram_id, identity.scopes)
    else:
        await query.answer(t("not_allowed"), show_alert=True)
        return
    async with context.db.session() as session:
        try:
            case = await assign_in_scope(session, actor=actor, case_id=button.case_id, to_member_id=button.arg,
                                         now=utcnow(), policy=context.policies.case)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return
        await session.commit()
        who = await member_name_sector(session, button.arg)
    await query.answer()
    await _drop_buttons(update)
    await reply(update, t("case_assigned_staff", number=case.number, name=who[0] if who else ""))
    await announce_routing(context, Intake(case, button.arg), resident_key="case_assigned_resident")


async def on_view(update: Update, context: LianxinContext) -> None:
    """A case from a list: its card (handler), its detail and timeline (resident, staff)."""
    query = update.callback_query
    button = await _button(update)
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
        await reply(update, card_text(detail), keyboard(member_buttons(detail.case)))
    else:
        rows = resident_buttons(detail.case) if actor.role is Role.resident else []
        await reply(update, resident_detail_text(context, detail), keyboard(rows) if rows else None)


# --- lists ------------------------------------------------------------------------------------------

async def mycases_text(context: LianxinContext, offset: int) -> tuple[str, object]:
    async with context.db.session() as session:
        resident = await resident_for(session, context.identity.telegram_id)
        items, total = ([], 0) if resident is None else await svc.cases_for_resident(
            session, resident_id=resident.id, page=offset // PAGE, per_page=PAGE)
    if not total:
        return t("mycases_empty"), None
    lines = [t("mycases_header", start=offset + 1, end=offset + len(items), total=total)]
    for item in items:
        lines.append(t("mycases_line", number=item.number, category=item.category,
                       status=CASE_STATUS_NAMES[item.status.value], handler=item.member_name or t("case_handler_none"),
                       updated=local(context, item.updated_at)))
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
    button = await _button(update)
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
    if not items:
        await update.effective_message.reply_text(t("cases_empty"))
        return
    lines = [t("cases_header", total=len(items))]
    lines += [t("cases_line", number=i.number, category=i.category, status=CASE_STATUS_NAMES[i.status.value],
                age=svc.age_days(i.created_at, now)) for i in items]
    rows = chunked([(i.number, CaseButton(CaseAction.view, i.id).pack()) for i in items], 2)
    await update.effective_message.reply_text("\n".join(lines), reply_markup=keyboard(rows))


def build(settings) -> ConversationHandler:  # noqa: ANN001
    form = FormButton.pattern(FORM.name)
    typed = CaseButton.pattern(CaseAction.decline, CaseAction.transfer, CaseAction.resolve, CaseAction.reply,
                               CaseAction.add)
    return FORM.handler(
        entry_points=[CallbackQueryHandler(start_action, pattern=typed)],
        states={
            Step.TARGET: [CallbackQueryHandler(on_target, pattern=form)],
            Step.NOTE: [MessageHandler(TEXT, on_note)],
            Step.PEOPLE: [CallbackQueryHandler(on_people_button, pattern=form), MessageHandler(TEXT, on_people_text)],
            Step.MESSAGE: [MessageHandler(TEXT | (PRIVATE & filters.PHOTO), on_message)],
        },
        cancel=cancel,
        restart=[],
        timeout_minutes=settings.conversation_timeout_minutes,
    )


def register(application) -> None:  # noqa: ANN001
    """The case buttons that act at once and the lists (the typed actions are the conversation above)."""
    application.add_handler(CallbackQueryHandler(on_accept, pattern=CaseButton.pattern(CaseAction.accept)))
    application.add_handler(CallbackQueryHandler(
        on_answer, pattern=CaseButton.pattern(CaseAction.solved, CaseAction.unsolved, CaseAction.rate)))
    application.add_handler(CallbackQueryHandler(on_assign, pattern=CaseButton.pattern(CaseAction.assign)))
    application.add_handler(CallbackQueryHandler(on_view, pattern=CaseButton.pattern(CaseAction.view)))
    application.add_handler(CallbackQueryHandler(mycases_page, pattern=CaseButton.pattern(CaseAction.page)))
