"""The case-action form "ca" (flow diagram: docs/case_action.mmd): what a case button starts that
needs typing — 回复 and 补充 (a message), 办结 (a result and 人次), 转交 (a target and a reason),
无法办理 (a reason).

Every press is checked by the case lifecycle (`lifecycle.check_request`) before anything is
asked, and again by the service when the action is made; the action and the end of the form are
one commit, then the other side is told (`case_cards`). On the form kit, so one form per user holds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.callbacks import CaseButton, FormButton
from bot.config import Settings
from bot.context import LianxinContext
from bot.services import cases as svc
from bot.services.contacts import resident_for
from bot.services.lifecycle import Actor, CaseNotAllowed, CaseProblem, Request, check_request
from bot.services.media import MediaProblem, Voice
from bot.services.rules import parse_people
from bot.texts import label, routing_reason, t
from handlers.case_cards import (
    REQUEST_BUTTONS,
    Notices,
    case_problem_text,
    relay_message,
    resident_buttons,
    routing,
    to_resident,
)
from handlers.forms import PRIVATE, TEXT, VOICE, Form, FormDraft, reply, voice_of
from handlers.views import checked_press, keyboard
from models import CaseStatus, utcnow

# the case buttons that open this form (what needs typing), as the lifecycle requests they make
TYPED = (Request.decline, Request.transfer, Request.resolve, Request.reply, Request.add)
REQUESTS = {REQUEST_BUTTONS[request][1]: request for request in TYPED}


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
    action: str = ""  # the lifecycle.Request: decline | transfer | resolve | reply | add
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
    key = {Request.decline: "case_ask_decline", Request.transfer: "case_ask_transfer_reason"}.get(Request(draft.action))
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
    await reply(update, t("case_ask_message_member" if draft.action == Request.reply else "case_ask_message_resident"))
    return state


FORM.asks = {Step.TARGET: ask_target, Step.NOTE: ask_note, Step.PEOPLE: ask_people, Step.MESSAGE: ask_message}


async def _actor(context: LianxinContext, request: Request) -> Actor | None:
    """The actor a typed case action is made as: the handling member, or the resident for 补充."""
    if request is Request.add:
        async with context.db.session() as session:
            resident = await resident_for(session, context.identity.telegram_id)
        return Actor.resident(resident.id) if resident else None
    return Actor.member(context.identity.member_id) if context.identity.is_member else None


@FORM.entry
async def start_action(update: Update, context: LianxinContext) -> str | int:
    """回复 / 办结 / 转交 / 无法办理 / 补充 pressed on a case: check first, then ask what is needed."""
    query = update.callback_query
    button = await checked_press(update, CaseButton)
    if button is None:
        return ConversationHandler.END
    request = REQUESTS[button.action]
    actor = await _actor(context, request)
    async with context.db.session() as session:
        try:
            if actor is None:
                raise CaseNotAllowed("not_yours")
            case = await svc.get_case(session, case_id=button.case_id, actor=actor)
            check_request(CaseStatus(case.status), actor.role, request)
        except CaseProblem as problem:
            await query.answer(case_problem_text(problem), show_alert=True)
            return ConversationHandler.END
    await query.answer()
    draft = FORM.new(case_id=case.id, action=request.value)
    if request is Request.transfer:
        return await ask_target(update, context, draft)
    if request in (Request.reply, Request.add):
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
    if draft.action == Request.resolve:
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
    voices = []
    if message.voice or message.audio:  # a voice note goes across as one, both ways
        try:
            voices = [voice_of(message, max_seconds=context.settings.voice_max_seconds)]
        except MediaProblem as problem:
            await reply(update, t(f"voice_{problem.code}", **problem.detail))
            return None
    return await run_action(update, context, draft, photos=photos, voices=voices)


async def run_action(update: Update, context: LianxinContext, draft: Draft, *, photos: list[str] | None = None,
                     voices: list[Voice] | None = None) -> str | int | None:
    """Make the case action and end the form in one commit; then tell the other side."""
    request = Request(draft.action)
    actor = await _actor(context, request)
    now = utcnow()
    policy = context.policies.case
    admin_ids = context.settings.admin_ids
    intake = relay = None
    async with context.db.session() as session:
        try:
            if actor is None:
                raise CaseNotAllowed("not_yours")
            case = await svc.get_case(session, case_id=draft.case_id, actor=actor)
            if request is Request.decline:
                intake = await svc.decline_case(session, case=case, member_id=actor.id, reason=draft.note or "",
                                                table=context.routing, now=now, admin_ids=admin_ids, policy=policy)
            elif request is Request.transfer:
                intake = await svc.transfer_case(session, case=case, member_id=actor.id, reason=draft.note or "",
                                                 table=context.routing, now=now, to_member_id=draft.to_member_id,
                                                 admin_ids=admin_ids, policy=policy)
            elif request is Request.resolve:
                await svc.resolve_case(session, case=case, member_id=actor.id, result=draft.note or "", now=now,
                                       people=draft.people, policy=policy)
            else:
                relay = await svc.add_message(session, case=case, actor=actor, text=draft.note or "", now=now,
                                              photo_file_ids=photos or [], policy=policy, voices=voices or [])
        except CaseProblem as problem:
            await reply(update, case_problem_text(problem))
            if problem.code in ("note_required", "note_long", "relay_empty", "relay_long", "result_required"):
                return None  # the same step asks again
            return await FORM.end(update, context)
        notices = Notices(session, now=now)
        relayed = None
        if intake is not None:
            await routing(notices, context, intake, resident_key="case_rerouted_resident")
        elif request is Request.resolve:
            detail = await svc.case_detail(session, case_id=case.id, actor=actor)
            await to_resident(notices, detail.case,
                              t("case_result_for_resident", number=case.number, name=detail.member_name or "",
                                result=detail.case.result, days=policy.reopen_days),
                              resident_buttons(detail.case)[:1], part="result")
        elif relay is not None:
            relayed = await relay_message(notices, case, relay, voices or [])
        confirm = await FORM.end_in(session, update, context)
        await session.commit()
        confirm()
        state = ConversationHandler.END
        number = case.number
        context.mark_saved(update, t("case_message_sent"))
    if request in (Request.decline, Request.transfer):
        await reply(update, t("case_declined" if request is Request.decline else "case_transferred", number=number))
        await notices.send(context)
    elif request is Request.resolve:
        await reply(update, t("case_resolved_member", number=number))
        await notices.send(context)
    else:
        sent = await notices.send(context)
        if relayed is None:
            await reply(update, t("case_message_held"))
        else:
            await reply(update, t("case_message_sent") if relayed in sent else t("case_message_later"))
    return state


def build(settings: Settings) -> ConversationHandler:
    form = FormButton.pattern(FORM.name)
    typed = CaseButton.pattern(*REQUESTS)
    return FORM.handler(
        entry_points=[CallbackQueryHandler(start_action, pattern=typed)],
        states={
            Step.TARGET: [CallbackQueryHandler(on_target, pattern=form)],
            Step.NOTE: [MessageHandler(TEXT, on_note)],
            Step.PEOPLE: [CallbackQueryHandler(on_people_button, pattern=form), MessageHandler(TEXT, on_people_text)],
            Step.MESSAGE: [MessageHandler(TEXT | (PRIVATE & filters.PHOTO) | VOICE, on_message)],
        },
        cancel=cancel,
        restart=[],
        timeout_minutes=settings.conversation_timeout_minutes,
    )
