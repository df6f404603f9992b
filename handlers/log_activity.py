"""/log: the member's form for one liaison activity (flow diagram: docs/log_activity.mmd).

Built on the form kit (handlers/forms.py): this module is the form's steps and nothing
else. The draft is never mistaken for a record: only "确认提交" writes an Activity, and
the activity and the form's end are committed together.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.callbacks import (
    ActivityAction,
    ActivityButton,
    CheckinAction,
    CheckinButton,
    FormButton,
    RemindButton,
    parse_id,
)
from bot.config import Settings
from bot.context import LianxinContext
from bot.services.activities import (
    MAX_PHOTOS,
    PLACE_MAX,
    PLACE_MIN,
    SUMMARY_MAX,
    SUMMARY_MIN,
    TITLE_MIN,
    ActivityInput,
    ActivityProblem,
    activity_photos,
    activity_voices,
    check_date,
    check_editable,
    check_people,
    check_people_verified,
    check_place,
    check_summary,
    member_places,
    own_activity,
    own_contact_point,
    save_activity,
    standing,
    update_activity,
)
from bot.services.checkin import (
    WALK_INS_MAX,
    CardProblem,
    CheckinPolicy,
    check_walk_ins,
    own_card,
    reception_card,
    save_reception_activity,
)
from bot.services.media import MAX_ACTIVITY_VOICES, Voice, clock, total_seconds
from bot.services.rules import Quarter, is_date_shape, local_today, parse_date, parse_people
from bot.texts import Safe, label, t
from handlers.forms import PRIVATE, TEXT, VOICE, RecordDraft, RecordForm, answer, reply
from handlers.menus import LOG_BUTTON
from handlers.views import checked_press, chunked, keyboard, kind_name, problem_text, standing_text
from models import Activity, utcnow

log = logging.getLogger(__name__)

class Step(enum.StrEnum):
    """What the form is waiting for; stored by name, so adding a step never renumbers forms in progress."""

    KIND = "kind"
    DATE = "date"
    PLACE = "place"
    PLACE_TEXT = "place_text"
    PEOPLE = "people"
    SUMMARY = "summary"
    WALK_INS = "walk_ins"  # a reception day's card: people who came without checking in
    PHOTOS = "photos"
    CONFIRM = "confirm"
    FIELD = "field"
    DUPLICATE = "duplicate"


class Action(enum.StrEnum):
    """What a /log button does (the `action` of its FormButton)."""

    KIND = "kind"
    CANCEL = "cancel"
    DATE = "date"
    PLACE = "place"
    PHOTOS = "photos"
    CONFIRM = "confirm"
    FIELD = "field"
    DUPLICATE = "dup"
    WALK_INS = "walk"


OTHER_PLACE = "other"  # the place step's 其他 button (the others carry a contact point's id)
DATE_CHOICES = {"0": 0, "1": 1}  # today, yesterday: the only date buttons ever offered


@dataclass
class Draft(RecordDraft):
    """The half-filled activity; JSON-serialisable because it is persisted."""

    kind: str | None = None
    day: str | None = None  # ISO date
    place: str | None = None
    contact_point_id: int | None = None
    people: int | None = None
    summary: str | None = None
    activity_id: int | None = None  # set when editing a saved activity
    # a reception day's card: kind, date and place are the day's; 人次 = check-ins + walk-ins
    reception_id: int | None = None
    verified: int = 0  # the card's check-ins; editing: the activity's verified 人次, the least 人次 it may have
    from_reception: bool = False  # editing an activity made from a reception day: kind, date, place are the day's
    walk_ins: int | None = None
    voices: list[list] = field(default_factory=list)  # [file_id, file_unique_id, seconds, kind]: evidence
    voices_kept: list[int] = field(default_factory=list)  # editing: the seconds of the voices already saved

    def to_input(self) -> ActivityInput:
        assert self.kind and self.day and self.place and self.people and self.summary
        return ActivityInput(
            kind=self.kind, activity_date=date.fromisoformat(self.day), place=self.place, people=self.people,
            summary=self.summary, contact_point_id=self.contact_point_id,
            photos=[(p[0], p[1]) for p in self.photos], voices=[Voice.from_list(v) for v in self.voices],
        )


FORM: RecordForm[Draft] = RecordForm(
    name="log", conversation="log_activity", draft=Draft, steps=Step, actions=Action,
    button_steps={Step.KIND, Step.CONFIRM, Step.FIELD, Step.DUPLICATE},
)
WALK_INS_NONE = "0"  # the walk-ins step's 没有 button
guarded = FORM.guarded


def today(context: LianxinContext) -> date:
    return local_today(utcnow(), context.settings.tz)


# --- steps: each asks for its field ---------------------------------------------------

# the steps a member goes through, in order: /log's six, and the three of a reception day's card (the day
# gives kind, date, place and the check-ins); "第 n/N 步" is counted in the draft's own flow
LOG_FLOW = (Step.KIND, Step.DATE, Step.PLACE, Step.PEOPLE, Step.SUMMARY, Step.PHOTOS)
RECEPTION_FLOW = (Step.SUMMARY, Step.WALK_INS, Step.PHOTOS)


def step_label(draft: Draft, step: Step) -> str:
    """"（第 n/N 步）" for `step` in the draft's flow; nothing for a step outside it."""
    flow = RECEPTION_FLOW if draft.reception_id is not None else LOG_FLOW
    return t("log_step", n=flow.index(step) + 1, total=len(flow)) if step in flow else ""

async def ask_kind(update: Update, context: LianxinContext, draft: Draft) -> str:
    buttons = [FORM.button(draft, k.name, Action.KIND, k.code) for k in context.settings.activity_kinds]
    state = await FORM.at_step(update, context, draft, Step.KIND)
    rows = chunked(buttons, 3) + [[FORM.button(draft, label("cancel"), Action.CANCEL)]]
    await reply(update, t("log_ask_kind", step=step_label(draft, Step.KIND)), keyboard(rows))
    return state


async def ask_date(update: Update, context: LianxinContext, draft: Draft) -> str:
    rows = [[FORM.button(draft, label("today"), Action.DATE, "0"),
             FORM.button(draft, label("yesterday"), Action.DATE, "1")]]
    state = await FORM.at_step(update, context, draft, Step.DATE)
    await reply(update, t("log_ask_date", step=step_label(draft, Step.DATE)), keyboard(rows))
    return state


async def ask_place(update: Update, context: LianxinContext, draft: Draft) -> str:
    async with context.db.session() as session:
        points = await member_places(session, context.identity.member_id)
    buttons = [FORM.button(draft, p.name, Action.PLACE, str(p.id)) for p in points]
    buttons.append(FORM.button(draft, label("place_other"), Action.PLACE, OTHER_PLACE))
    state = await FORM.at_step(update, context, draft, Step.PLACE)
    await reply(update, t("log_ask_place", step=step_label(draft, Step.PLACE)), keyboard(chunked(buttons, 2)))
    return state


async def ask_place_text(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.PLACE_TEXT)
    await reply(update, t("log_ask_place_text", low=PLACE_MIN, high=PLACE_MAX))
    return state


async def ask_people(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.PEOPLE)
    await reply(update, t("log_ask_people", step=step_label(draft, Step.PEOPLE)))
    return state


async def ask_summary(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.SUMMARY)
    hint = t("log_voice_hint", high=clock(context.settings.voice_max_seconds), low=TITLE_MIN)
    await reply(update, t("log_ask_summary", step=step_label(draft, Step.SUMMARY), low=SUMMARY_MIN,
                          high=SUMMARY_MAX) + "\n" + hint)
    return state


async def ask_walk_ins(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.WALK_INS)
    rows = [[FORM.button(draft, label("walk_ins_none"), Action.WALK_INS, WALK_INS_NONE)]]
    await reply(update, t("checkin_ask_walk_ins", step=step_label(draft, Step.WALK_INS), verified=draft.verified,
                            high=WALK_INS_MAX), keyboard(rows))
    return state


async def ask_photos(update: Update, context: LianxinContext, draft: Draft) -> str:
    step = step_label(draft, Step.PHOTOS)
    if draft.photos:  # editing, or back from the card: keep or replace what is attached
        return await FORM.ask_photos(update, context, draft, t("log_ask_photos_existing", step=step,
                                                               count=len(draft.photos), high=MAX_PHOTOS))
    return await FORM.ask_photos(update, context, draft, t("log_ask_photos", step=step, high=MAX_PHOTOS))


async def show_card(update: Update, context: LianxinContext, draft: Draft) -> str:
    title = t("log_card_edit_title", id=draft.activity_id) if draft.activity_id else ""
    people: object = draft.people
    if draft.reception_id is not None:
        people = t("checkin_card_people_walk_ins", total=draft.people, verified=draft.verified,
                   walk_ins=draft.walk_ins or 0)
    elif draft.verified:
        people = t("checkin_card_people", total=draft.people, verified=draft.verified)
    text = title + t(
        "log_card",
        kind=kind_name(context.settings, draft.kind or ""),
        date=draft.day,
        place=draft.place,
        people=people,
        photos=len(draft.photos),
        summary=draft.summary,
    )
    if draft.voices or draft.voices_kept:
        seconds = total_seconds([Voice.from_list(v) for v in draft.voices]) + sum(draft.voices_kept)
        text += t("voice_card_line", summary=t("voice_summary", count=len(draft.voices) + len(draft.voices_kept),
                                               total=clock(seconds)))
    if draft.reception_id is not None:  # the day's requests, as on the card sent when check-in closed
        async with context.db.session() as session:
            card = await reception_card(session, draft.reception_id)
        if card is not None:
            text += card.cases_text()
    return await FORM.show_card(update, context, draft, text)


DAY_FIELDS = ("kind", "date", "place")  # a reception day's own, never changed on its activity


def fields_of(draft: Draft) -> list[str]:
    """The fields the card can change: every one, for a new activity and an edit alike; a reception day's
    kind, date, place and check-ins are the day's own (on its card and when its activity is edited)."""
    if draft.reception_id is not None:
        return ["summary", "walk_ins", "photos"]
    if draft.from_reception:
        return [name for name in FIELD_STEPS if name not in (*DAY_FIELDS, "walk_ins")]
    return [name for name in FIELD_STEPS if name != "walk_ins"]


async def ask_field(update: Update, context: LianxinContext, draft: Draft) -> str:
    return await FORM.ask_field(update, context, draft, fields_of(draft))


async def ask_duplicate(update: Update, context: LianxinContext, draft: Draft, twin: Activity) -> str:
    return await FORM.ask_duplicate(update, context, draft, t(
        "log_duplicate", id=twin.id, date=twin.activity_date.isoformat(), kind=kind_name(context.settings, twin.kind),
        place=twin.place))


async def reask_duplicate(update: Update, context: LianxinContext, draft: Draft) -> str:
    """The duplicate question again (after a restart): submitting re-checks and asks it if still true."""
    return await show_card(update, context, draft)


FORM.asks = {
    Step.KIND: ask_kind, Step.DATE: ask_date, Step.PLACE: ask_place, Step.PLACE_TEXT: ask_place_text,
    Step.PEOPLE: ask_people, Step.SUMMARY: ask_summary, Step.WALK_INS: ask_walk_ins, Step.PHOTOS: ask_photos,
    Step.CONFIRM: show_card,
    Step.FIELD: ask_field, Step.DUPLICATE: reask_duplicate,
}
NEXT_STEP = {Step.KIND: ask_date, Step.DATE: ask_place, Step.PLACE: ask_people, Step.PEOPLE: ask_summary,
             Step.SUMMARY: ask_photos, Step.WALK_INS: ask_photos, Step.PHOTOS: show_card}
FIELD_STEPS = {"kind": ask_kind, "date": ask_date, "place": ask_place, "people": ask_people,
               "summary": ask_summary, "walk_ins": ask_walk_ins, "photos": ask_photos}


async def advance(update: Update, context: LianxinContext, draft: Draft, done: Step) -> str:
    """After step `done`: onward through the form, or back to the card when reviewing."""
    FORM.put(context, draft)
    if draft.reviewing:
        return await show_card(update, context, draft)
    if done == Step.SUMMARY and draft.reception_id is not None:
        return await ask_walk_ins(update, context, draft)
    return await NEXT_STEP[done](update, context, draft)


# --- entry, restart, cancel -----------------------------------------------------------

@FORM.entry
async def start_log(update: Update, context: LianxinContext) -> str | int:
    """/log: members only; opens a fresh form."""
    if not context.identity or not context.identity.is_member:
        await reply(update, t("log_members_only"))
        return ConversationHandler.END
    return await ask_kind(update, context, FORM.new())


@FORM.entry
async def start_log_from_reminder(update: Update, context: LianxinContext) -> str | int:
    """The 登记 button under a reminder: the same as sending /log. Another form open: its alert is the one
    answer (the entry check comes first). A press answered already (replayed, or answered again after its
    answer was lost) still opens the form."""
    await answer(update.callback_query)
    return await start_log(update, context)


async def restart_log(update: Update, context: LianxinContext) -> str | int:
    """/log again in the middle of the form: the old draft is dropped, said so, and a new one starts."""
    draft = FORM.get(context)
    if draft is not None:
        FORM.drop(context)
        if draft.activity_id:
            await reply(update, t("log_edit_abandoned", id=draft.activity_id))
        else:
            await reply(update, t("log_restart"))
    return await start_log(update, context)


async def cancel(update: Update, context: LianxinContext) -> int:
    draft = FORM.get(context)
    state = await FORM.end(update, context)
    if draft is not None and draft.activity_id:
        await reply(update, t("log_edit_cancelled", id=draft.activity_id))
    else:
        await reply(update, t("log_cancelled"))
    return state


# --- answers to each step -------------------------------------------------------------

@guarded
async def on_kind(update: Update, context: LianxinContext) -> str | int | None:
    button = await FORM.pressed(update, context, Action.KIND, Action.CANCEL)
    if button is None:
        return None
    draft = FORM.get(context)
    if button.action == Action.CANCEL:
        await FORM.mark_choice(update, label("cancel"))
        return await cancel(update, context)
    kind = context.settings.kind(button.value)
    if kind is None:
        await reply(update, t("log_bad_kind"))
        return None
    draft.kind = kind.code
    await FORM.mark_choice(update, kind.name)
    return await advance(update, context, draft, Step.KIND)


async def _set_date(update: Update, context: LianxinContext, day: date) -> str | None:
    draft = FORM.get(context)
    try:
        check_date(day, today(context), context.policies.activity.grace_days)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft.day = day.isoformat()
    return await advance(update, context, draft, Step.DATE)


@guarded
async def on_date_button(update: Update, context: LianxinContext) -> str | None:
    button = await FORM.pressed(update, context, Action.DATE, values={Action.DATE: DATE_CHOICES})
    if button is None:
        return None
    day = today(context) - timedelta(days=DATE_CHOICES[button.value])
    await FORM.mark_choice(update, day.isoformat())
    return await _set_date(update, context, day)


@guarded
async def on_date_text(update: Update, context: LianxinContext) -> str | None:
    day = parse_date(update.effective_message.text, today(context))
    if day is None:
        text = update.effective_message.text
        await reply(update, t("no_such_day", text=text.strip()[:20]) if is_date_shape(text) else t("log_bad_date"))
        return None
    return await _set_date(update, context, day)


@guarded
async def on_place_button(update: Update, context: LianxinContext) -> str | None:
    button = await FORM.pressed(update, context, Action.PLACE)
    if button is None:
        return None
    draft = FORM.get(context)
    if button.value == OTHER_PLACE:
        await FORM.mark_choice(update, label("place_other_chosen"))
        return await ask_place_text(update, context, draft)
    point_id = parse_id(button.value)
    point = None
    if point_id is not None:
        async with context.db.session() as session:
            point = await own_contact_point(session, member_id=context.identity.member_id, point_id=point_id)
    if point is None:
        # the query is answered already; say it in the chat (e.g. the roster dropped this point)
        await reply(update, t("stale_button"))
        return None
    draft.place, draft.contact_point_id = point.name, point.id
    await FORM.mark_choice(update, point.name)
    return await advance(update, context, draft, Step.PLACE)


@guarded
async def on_place_text(update: Update, context: LianxinContext) -> str | None:
    """A typed place, at the place step or after "其他"."""
    try:
        place = check_place(update.effective_message.text)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft = FORM.get(context)
    draft.place, draft.contact_point_id = place, None
    return await advance(update, context, draft, Step.PLACE)


@guarded
async def on_people(update: Update, context: LianxinContext) -> str | None:
    value = parse_people(update.effective_message.text)
    draft = FORM.get(context)
    try:
        check_people(value)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    try:
        check_people_verified(value, draft.verified)  # editing a reception day's activity: the check-ins stay
    except ActivityProblem as problem:  # the reason, and the question again (the step stays, nothing written)
        await reply(update, problem_text(problem))
        await reply(update, t("log_ask_people", step=step_label(draft, Step.PEOPLE)))
        return None
    draft.people = value
    return await advance(update, context, draft, Step.PEOPLE)


@guarded
async def on_summary(update: Update, context: LianxinContext) -> str | None:
    draft = FORM.get(context)
    try:
        summary = check_summary(update.effective_message.text, voices=len(draft.voices) + len(draft.voices_kept))
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft.summary = summary
    return await advance(update, context, draft, Step.SUMMARY)


async def _set_walk_ins(update: Update, context: LianxinContext, value: int | None) -> str | None:
    try:
        walk_ins = check_walk_ins(value)
    except CardProblem:
        await reply(update, t("checkin_bad_walk_ins", high=WALK_INS_MAX))
        return None
    draft = FORM.get(context)
    if draft.verified + walk_ins < 1:  # nobody checked in: an activity still needs someone who came
        await reply(update, t("checkin_walk_ins_needed", high=WALK_INS_MAX))
        return None
    draft.walk_ins = walk_ins
    draft.people = draft.verified + walk_ins
    return await advance(update, context, draft, Step.WALK_INS)


@guarded
async def on_walk_ins(update: Update, context: LianxinContext) -> str | None:
    text = update.effective_message.text.strip()
    value = parse_people(text)
    return await _set_walk_ins(update, context, 0 if value is None and text in ("零", "〇", "没有", "无") else value)


@guarded
async def on_walk_ins_button(update: Update, context: LianxinContext) -> str | None:
    if await FORM.pressed(update, context, Action.WALK_INS, values={Action.WALK_INS: (WALK_INS_NONE,)}) is None:
        return None
    await FORM.mark_choice(update, label("walk_ins_none"))
    return await _set_walk_ins(update, context, 0)


@guarded
async def on_summary_voice(update: Update, context: LianxinContext) -> None:
    """A voice note at the summary step: kept as evidence; the report still needs a short title in text."""
    draft = FORM.get(context)
    if await FORM.take_voice(update, context, draft, held=len(draft.voices) + len(draft.voices_kept),
                             limit=MAX_ACTIVITY_VOICES) is None:
        return None
    total = clock(sum(int(v[2]) for v in draft.voices))
    await reply(update, t("log_voice_added", count=len(draft.voices), length=total, low=TITLE_MIN))
    return None


@guarded
async def on_field(update: Update, context: LianxinContext) -> str | int | None:
    """A field to change: the kit's step, except that a reception day's kind, date or place (never offered,
    so a forged or very old button) is refused with the reason and changes nothing."""
    draft = FORM.get(context)
    button = FormButton.parse(update.callback_query.data or "", FORM.name)
    if (button is not None and button.nonce == draft.nonce and button.action == Action.FIELD
            and button.value in DAY_FIELDS and (draft.reception_id is not None or draft.from_reception)):
        await answer(update.callback_query, problem_text(ActivityProblem("reception_fixed")))
        return None
    return await FORM.field_pressed(update, context, field_names=fields_of, asks=FIELD_STEPS, card=show_card)


async def submit(update: Update, context: LianxinContext, draft: Draft) -> str | int | None:
    """Write the activity (or the edit) and end the form in one commit; then show where the member stands."""
    if not context.identity or not context.identity.is_member:
        return await _refuse_submit(update, context)
    member_id = context.identity.member_id
    policy = context.policies.activity
    now = utcnow()
    day = today(context)
    data = draft.to_input()
    async with context.db.session() as session:
        try:
            if draft.reception_id is not None:
                activity = await save_reception_activity(
                    session, member_id=member_id, reception_id=draft.reception_id, data=data,
                    walk_ins=draft.walk_ins or 0, policy=policy, checkin_policy=CheckinPolicy.from_settings(
                        context.settings), today=day, now=now, allow_duplicate=draft.duplicate_ok,
                )
                key = "log_saved"
            elif draft.activity_id is None:
                activity = await save_activity(
                    session, member_id=member_id, data=data, policy=policy, today=day, now=now,
                    allow_duplicate=draft.duplicate_ok,
                )
                key = "log_saved"
            else:
                activity = await update_activity(
                    session, member_id=member_id, activity_id=draft.activity_id, data=data, policy=policy,
                    today=day, now=now,
                )
                key = "log_updated"
        except ActivityProblem as problem:  # found before anything was written; the session writes nothing
            if problem.code == "duplicate":
                return await ask_duplicate(update, context, draft, problem.detail["twin"])
            await reply(update, problem_text(problem))
            if problem.code in ("not_found", "locked"):
                return await FORM.end(update, context)
            return await show_card(update, context, draft)
        except CardProblem as problem:  # the day was saved meanwhile, cancelled, or is no longer theirs
            await session.rollback()
            await reply(update, t(f"checkin_card_{problem.code}", **problem.detail))
            return await FORM.end(update, context)
        confirm = await FORM.end_in(session, update, context)
        await session.commit()
        confirm()
        state = ConversationHandler.END
    # the record is saved and the form ended: whatever fails now, the member hears that it was
    # saved (never "try again"), and the conversation still ends
    saved = t(f"{key}_short", id=activity.id)
    context.mark_saved(update, saved)
    try:
        async with context.db.session() as session:
            # the quarter the activity counts in: a late entry shows the quarter it completes
            current = await standing(
                session, member_id=member_id, quarter=Quarter.of(activity.activity_date), today=day,
                quarter_target=context.policies.duty.quarter_target, year_target=context.policies.duty.year_target,
            )
        await reply(update, t(key, id=activity.id, standing=Safe(standing_text(current))))
    except Exception as exc:  # see above; logged, and the short confirmation is sent instead
        log.warning("activity %s saved, but its confirmation failed: %r", activity.id, exc,
                    exc_info=log.isEnabledFor(logging.DEBUG))
        try:
            await reply(update, saved)
        except TelegramError as again:
            log.warning("could not confirm activity %s to the member: %r", activity.id, again)
    return state


async def _refuse_submit(update: Update, context: LianxinContext) -> int:
    """The member was unbound or deactivated while the form was open."""
    state = await FORM.end(update, context)
    await reply(update, t("log_members_only"))
    return state


@FORM.entry
async def start_edit(update: Update, context: LianxinContext) -> str | int:
    """The 编辑 button under a saved activity: the form opens on its card, pre-filled."""
    query = update.callback_query
    button = await checked_press(update, ActivityButton, allowed=context.identity.is_member,
                                 refusal="members_only", refused_log=f"edit refused to {update.effective_user.id}")
    if button is None:
        return ConversationHandler.END
    member_id = context.identity.member_id
    async with context.db.session() as session:
        try:
            activity = await own_activity(session, member_id=member_id, activity_id=button.activity_id)
            check_editable(activity, context.policies.activity, utcnow())
        except ActivityProblem as problem:
            await query.answer(problem_text(problem), show_alert=True)
            return ConversationHandler.END
        photos = await activity_photos(session, activity.id)
        voices = await activity_voices(session, activity.id)
    await answer(query)
    draft = FORM.new(
        kind=activity.kind, day=activity.activity_date.isoformat(), place=activity.place,
        contact_point_id=activity.contact_point_id, people=activity.people, summary=activity.summary,
        photos=[[f, u] for f, u in photos], activity_id=activity.id, voices_kept=[v.duration for v in voices],
        verified=activity.verified_people, from_reception=activity.reception_id is not None,
    )
    return await show_card(update, context, draft)


@FORM.entry
async def start_from_reception(update: Update, context: LianxinContext) -> str | int:
    """补充并提交 under a reception day's card: the form opens pre-filled with the day (kind, date, the
    station as the place, 人次 = check-ins) and asks for the summary and the walk-ins."""
    query = update.callback_query
    button = await checked_press(update, CheckinButton, allowed=context.identity.is_member,
                                 refusal="log_members_only", refused_log=f"card refused to {update.effective_user.id}")
    if button is None:
        return ConversationHandler.END
    async with context.db.session() as session:
        try:
            card = await own_card(session, member_id=context.identity.member_id, reception_id=button.reception_id,
                                  now=utcnow(), policy=CheckinPolicy.from_settings(context.settings))
        except CardProblem as problem:
            await query.answer(t(f"checkin_card_{problem.code}", **problem.detail), show_alert=True)
            return ConversationHandler.END
    await answer(query)
    draft = FORM.new(
        kind=card.kind(), day=card.view.day(context.settings.tz).isoformat(), place=card.place(),
        people=card.checkins, reception_id=card.view.id, verified=card.checkins,
    )
    await reply(update, t("checkin_card_start", station=card.place(), date=draft.day, checkins=card.checkins))
    return await ask_summary(update, context, draft)


def build(settings: Settings) -> ConversationHandler:
    form = FormButton.pattern(FORM.name)
    return FORM.handler(
        entry_points=[
            CommandHandler("log", start_log, filters=PRIVATE),
            MessageHandler(PRIVATE & LOG_BUTTON, start_log),
            CallbackQueryHandler(start_edit, pattern=ActivityButton.pattern(ActivityAction.edit)),
            CallbackQueryHandler(start_log_from_reminder, pattern=RemindButton.pattern()),
            CallbackQueryHandler(start_from_reception, pattern=CheckinButton.pattern(CheckinAction.card)),
        ],
        states={
            Step.KIND: [CallbackQueryHandler(on_kind, pattern=form)],
            Step.DATE: [CallbackQueryHandler(on_date_button, pattern=form), MessageHandler(TEXT, on_date_text)],
            Step.PLACE: [CallbackQueryHandler(on_place_button, pattern=form), MessageHandler(TEXT, on_place_text)],
            Step.PLACE_TEXT: [MessageHandler(TEXT, on_place_text)],
            Step.PEOPLE: [MessageHandler(TEXT, on_people)],
            Step.SUMMARY: [MessageHandler(TEXT, on_summary), MessageHandler(VOICE, on_summary_voice)],
            Step.WALK_INS: [CallbackQueryHandler(on_walk_ins_button, pattern=form), MessageHandler(TEXT, on_walk_ins)],
            **FORM.record_states(
                photo_limit=MAX_PHOTOS, ask_photos=ask_photos,
                after_photos=lambda u, c, d: advance(u, c, d, Step.PHOTOS), card=show_card, submit=submit,
                cancel=cancel, field_names=fields_of, asks=FIELD_STEPS,
            ),
            Step.FIELD: [CallbackQueryHandler(on_field, pattern=form)],  # the kit's, refusing a day's own fields
        },
        cancel=cancel,
        restart=[CommandHandler("log", restart_log, filters=PRIVATE),
                 MessageHandler(PRIVATE & LOG_BUTTON, restart_log)],
        timeout_minutes=settings.conversation_timeout_minutes,
    )
