"""/reception: a member on duty at a station (or a coordinator whose scope covers it) schedules a reception
day (委员接待日), and changes one later (flow diagram: docs/reception.mmd).

Built on the form kit (handlers/forms.py): station (the member's own first), the member who receives (staff
at a station with several members on duty), date, time span (not overlapping another day of that member),
topic, capacity (optional), then a card to confirm (saying so when that member has not bound Telegram). A
date in the past, an end before the start or an overlap is refused with the reason at its step and checked
again on submitting. 修改 under /myreceptions opens the same form
on the card of a coming day (its station stays); the change, the end of the form and the notices to the
residents signed up are one commit.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.callbacks import FormButton, ReceptionAction, ReceptionButton
from bot.config import Settings
from bot.context import LianxinContext
from bot.sending import send_now
from bot.services import outbox
from bot.services import receptions as svc
from bot.services.receptions import ReceptionPolicy, ReceptionProblem, Scheduler
from bot.services.rules import is_date_shape, local_today
from bot.texts import Safe, label, t
from handlers.forms import PRIVATE, TEXT, Choice, RecordDraft, RecordForm, answer, reply
from handlers.views import chunked, keyboard
from models import Member, Station, utcnow

log = logging.getLogger(__name__)


class Step(enum.StrEnum):
    STATION = "station"
    MEMBER = "member"  # staff at a station with several members on duty: who receives
    DATE = "date"
    SPAN = "span"
    TOPIC = "topic"
    CAPACITY = "capacity"
    CONFIRM = "confirm"
    FIELD = "field"


class Action(enum.StrEnum):
    STATION = "st"
    MEMBER = "mb"
    CAPACITY = "cap"
    CONFIRM = "ok"
    FIELD = "fd"
    CANCEL = "x"


@dataclass
class Draft(RecordDraft):
    reception_id: int | None = None  # changing a coming reception day (its station stays)
    offered: list[int] = field(default_factory=list)  # the stations the station step offered
    station_id: int | None = None
    station_name: str | None = None
    member_id: int | None = None  # who holds the day (the scheduler on duty, or the one chosen)
    member_name: str | None = None
    member_bound: bool = True  # has a Telegram account: the reminder and the card reach them
    duty: list[int] = field(default_factory=list)  # the members on duty the member step offered
    day: str | None = None  # ISO date
    start: str | None = None  # HH:MM, local
    end: str | None = None
    topic: str | None = None
    capacity: int | None = None


FORM: RecordForm[Draft] = RecordForm(
    name="rcv", conversation="reception", draft=Draft, steps=Step, actions=Action,
    button_steps={Step.STATION, Step.MEMBER, Step.CONFIRM, Step.FIELD},
)
guarded = FORM.guarded


def scheduler_of(context: LianxinContext) -> Scheduler:
    identity = context.identity
    staff = identity.as_staff()
    return Scheduler(
        telegram_id=identity.telegram_id, member_id=identity.member_id, staff=staff is not None,
        scopes=None if staff is None or staff.scopes is None else tuple(staff.scopes),
    )


def policy_of(context: LianxinContext) -> ReceptionPolicy:
    return ReceptionPolicy.from_settings(context.settings)


def problem_text(problem: ReceptionProblem) -> str:
    return t(f"rcp_problem_{problem.code}", **problem.values)


def _times(draft: Draft, context: LianxinContext) -> tuple[datetime, datetime]:
    """The draft's day and span as UTC instants, every rule checked (`svc.check_times`)."""
    return svc.check_times(day=date.fromisoformat(draft.day), start=time.fromisoformat(draft.start),
                           end=time.fromisoformat(draft.end), tz=context.settings.tz, now=utcnow())


async def _check_overlap(context: LianxinContext, draft: Draft, starts_at: datetime, ends_at: datetime) -> None:
    """At the time step already: the member on duty holds no other reception day then (checked again on saving)."""
    if draft.member_id is None:
        return
    async with context.db.session() as session:
        member = await session.get(Member, draft.member_id)
        if member is not None:
            await svc.check_overlap(session, member=member, starts_at=starts_at, ends_at=ends_at,
                                    tz=context.settings.tz, other_than=draft.reception_id, lock=False)


# --- steps ------------------------------------------------------------------------------------------

async def ask_station(update: Update, context: LianxinContext, draft: Draft) -> str:
    async with context.db.session() as session:
        stations = await svc.stations_for(session, scheduler_of(context))
    draft.offered = [s.id for s in stations]
    rows = chunked([FORM.button(draft, s.name, Action.STATION, str(s.id)) for s in stations], 2)
    rows.append([FORM.button(draft, label("cancel"), Action.CANCEL)])
    state = await FORM.at_step(update, context, draft, Step.STATION)
    await reply(update, t("rcv_ask_station"), keyboard(rows))
    return state


async def ask_member(update: Update, context: LianxinContext, draft: Draft) -> str:
    """Staff at a station with several members on duty: who receives; bound ones first, the others marked."""
    async with context.db.session() as session:
        members = await svc.choosable_members(session, scheduler_of(context), draft.station_id or 0)
    draft.duty = [m.id for m in members]
    buttons = [FORM.button(draft, m.name if m.telegram_id is not None else label("rcv_member_unbound", name=m.name),
                           Action.MEMBER, str(m.id)) for m in members]
    rows = chunked(buttons, 2)
    rows.append([FORM.button(draft, label("cancel"), Action.CANCEL)])
    state = await FORM.at_step(update, context, draft, Step.MEMBER)
    await reply(update, t("rcv_ask_member", station=draft.station_name), keyboard(rows))
    return state


async def ask_date(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.DATE)
    await reply(update, t("rcv_ask_date", station=draft.station_name))
    return state


async def ask_span(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.SPAN)
    await reply(update, t("rcv_ask_span"))
    return state


async def ask_topic(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.TOPIC)
    await reply(update, t("rcv_ask_topic", low=svc.TOPIC_MIN, high=svc.TOPIC_MAX))
    return state


async def ask_capacity(update: Update, context: LianxinContext, draft: Draft) -> str:
    rows = [[FORM.button(draft, label("rcv_no_limit"), Action.CAPACITY, Choice.SKIP)]]
    state = await FORM.at_step(update, context, draft, Step.CAPACITY)
    await reply(update, t("rcv_ask_capacity"), keyboard(rows))
    return state


def capacity_text(capacity: int | None) -> str:
    return t("rcp_capacity_none") if capacity is None else t("rcp_capacity", capacity=capacity)


async def show_card(update: Update, context: LianxinContext, draft: Draft) -> str:
    tz = context.settings.tz
    starts = datetime.combine(date.fromisoformat(draft.day), time.fromisoformat(draft.start), tzinfo=tz)
    ends = datetime.combine(date.fromisoformat(draft.day), time.fromisoformat(draft.end), tzinfo=tz)
    text = t("rcv_card_edit" if draft.reception_id else "rcv_card", station=draft.station_name,
             member=draft.member_name or "—", when=svc.when_text(starts, ends, tz), topic=draft.topic,
             capacity=capacity_text(draft.capacity))
    if not draft.member_bound:
        text += t("rcv_card_unbound", member=draft.member_name or "—")
    return await FORM.show_card(update, context, draft, text)


def fields_of(draft: Draft) -> list[str]:
    names = ["date", "span", "topic", "capacity"]
    if draft.reception_id:
        return names
    return ["station", "member", *names] if draft.duty else ["station", *names]


async def ask_field(update: Update, context: LianxinContext, draft: Draft) -> str:
    return await FORM.ask_field(update, context, draft, fields_of(draft))


FORM.asks = {
    Step.STATION: ask_station, Step.MEMBER: ask_member, Step.DATE: ask_date, Step.SPAN: ask_span, Step.TOPIC: ask_topic,
    Step.CAPACITY: ask_capacity, Step.CONFIRM: show_card, Step.FIELD: ask_field,
}
FIELD_STEPS = {"station": ask_station, "member": ask_member, "date": ask_date, "span": ask_span, "topic": ask_topic,
               "capacity": ask_capacity}


async def advance(update: Update, context: LianxinContext, draft: Draft, done: Step) -> str:
    """Onward through the form, or back to the card when reviewing."""
    FORM.put(context, draft)
    if draft.reviewing:
        return await show_card(update, context, draft)
    following = {Step.STATION: ask_date, Step.MEMBER: ask_date, Step.DATE: ask_span, Step.SPAN: ask_topic,
                 Step.TOPIC: ask_capacity, Step.CAPACITY: show_card}
    return await following[done](update, context, draft)


# --- entry, restart, cancel ---------------------------------------------------------------------------

@FORM.entry
async def start_reception(update: Update, context: LianxinContext) -> str | int:
    """/reception: members on duty at a station and coordinators over one."""
    who = scheduler_of(context)
    if who.member_id is None and not who.staff:
        await reply(update, t("rcv_not_allowed"))
        return ConversationHandler.END
    async with context.db.session() as session:
        stations = await svc.stations_for(session, who)
    if not stations:
        await reply(update, t("rcv_no_stations"))
        return ConversationHandler.END
    return await ask_station(update, context, FORM.new())


@FORM.entry
async def start_edit(update: Update, context: LianxinContext) -> str | int | None:
    """修改 under a reception day in /myreceptions: the form on the card of that day."""
    query = update.callback_query
    button = ReceptionButton.parse(query.data or "")
    if button is None:
        await answer(query, t("stale_button"))
        return None
    tz = context.settings.tz
    async with context.db.session() as session:
        try:
            reception = await svc.managed(session, scheduler_of(context), button.arg, utcnow())
        except ReceptionProblem as problem:
            await answer(query, problem_text(problem))
            return ConversationHandler.END
        station = await session.get(Station, reception.station_id)
        member = await session.get(Member, reception.member_id)
    await answer(query)
    starts, ends = reception.starts_at.astimezone(tz), reception.ends_at.astimezone(tz)
    draft = FORM.new(reception_id=reception.id, station_id=station.id, station_name=station.name,
                     member_id=reception.member_id, member_name=member.name if member else None,
                     member_bound=member is not None and member.telegram_id is not None,
                     day=starts.date().isoformat(),
                     start=starts.strftime("%H:%M"), end=ends.strftime("%H:%M"), topic=reception.topic,
                     capacity=reception.capacity)
    return await show_card(update, context, draft)


async def restart(update: Update, context: LianxinContext) -> str | int:
    if FORM.get(context) is not None:
        FORM.drop(context)
        await reply(update, t("rcv_restart"))
    return await start_reception(update, context)


async def cancel(update: Update, context: LianxinContext) -> int:
    state = await FORM.end(update, context)
    await reply(update, t("rcv_cancelled"))
    return state


# --- answers ----------------------------------------------------------------------------------------

@guarded
async def on_station(update: Update, context: LianxinContext) -> str | int | None:
    draft = FORM.get(context)
    button = await FORM.pressed(update, context, Action.STATION, Action.CANCEL,
                                values={Action.STATION: [str(i) for i in draft.offered]})
    if button is None:
        return None
    if button.action == Action.CANCEL:
        await FORM.mark_choice(update, label("cancel"))
        return await cancel(update, context)
    who = scheduler_of(context)
    async with context.db.session() as session:
        station = await session.get(Station, int(button.value))
        member = await svc.member_on_duty(session, who, station.id) if station else None
        several = await svc.choosable_members(session, who, station.id) if station else []
    if station is None or member is None:
        await reply(update, t("rcp_problem_no_member"))
        return await ask_station(update, context, draft)
    draft.station_id, draft.station_name = station.id, station.name
    _hold(draft, member)
    await FORM.mark_choice(update, station.name)
    if several:  # staff at a station with several members on duty: who receives
        FORM.put(context, draft)
        return await ask_member(update, context, draft)
    draft.duty = []
    return await advance(update, context, draft, Step.STATION)


def _hold(draft: Draft, member: Member) -> None:
    draft.member_id, draft.member_name, draft.member_bound = member.id, member.name, member.telegram_id is not None


@guarded
async def on_member(update: Update, context: LianxinContext) -> str | int | None:
    draft = FORM.get(context)
    button = await FORM.pressed(update, context, Action.MEMBER, Action.CANCEL,
                                values={Action.MEMBER: [str(i) for i in draft.duty]})
    if button is None:
        return None
    if button.action == Action.CANCEL:
        await FORM.mark_choice(update, label("cancel"))
        return await cancel(update, context)
    async with context.db.session() as session:
        member = await svc.member_on_duty(session, scheduler_of(context), draft.station_id or 0, int(button.value))
    if member is None:
        await reply(update, t("rcp_problem_member_not_on_duty"))
        return await ask_member(update, context, draft)
    _hold(draft, member)
    await FORM.mark_choice(update, member.name)
    return await advance(update, context, draft, Step.MEMBER)


@guarded
async def on_date(update: Update, context: LianxinContext) -> str | None:
    tz = context.settings.tz
    today = local_today(utcnow(), tz)
    text = update.effective_message.text
    day = svc.parse_day(text, today)
    if day is None:
        await reply(update, t("no_such_day", text=text.strip()[:20]) if is_date_shape(text)
                    else t("rcv_bad_date"))
        return None
    if day < today:
        await reply(update, t("rcp_problem_past_day", day=f"{day.year}年{day.month}月{day.day}日"))
        return None
    draft = FORM.get(context)
    draft.day = day.isoformat()
    if draft.start and draft.end:  # changing the date of a span given before: the span is checked again
        try:
            _times(draft, context)
        except ReceptionProblem as problem:
            await reply(update, problem_text(problem))
            return await ask_span(update, context, draft)
    return await advance(update, context, draft, Step.DATE)


@guarded
async def on_span(update: Update, context: LianxinContext) -> str | None:
    span = svc.parse_span(update.effective_message.text)
    if span is None:
        await reply(update, t("rcv_bad_span"))
        return None
    draft = FORM.get(context)
    start, end = span
    tz = context.settings.tz
    try:
        starts_at, ends_at = svc.check_times(day=date.fromisoformat(draft.day), start=start, end=end, tz=tz,
                                             now=utcnow())
        await _check_overlap(context, draft, starts_at, ends_at)
    except ReceptionProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft.start, draft.end = start.strftime("%H:%M"), end.strftime("%H:%M")
    return await advance(update, context, draft, Step.SPAN)


@guarded
async def on_topic(update: Update, context: LianxinContext) -> str | None:
    try:
        topic = svc.check_topic(update.effective_message.text)
    except ReceptionProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft = FORM.get(context)
    draft.topic = topic
    return await advance(update, context, draft, Step.TOPIC)


@guarded
async def on_capacity(update: Update, context: LianxinContext) -> str | None:
    try:
        capacity = svc.check_capacity(update.effective_message.text)
    except ReceptionProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft = FORM.get(context)
    draft.capacity = capacity
    return await advance(update, context, draft, Step.CAPACITY)


@guarded
async def on_no_limit(update: Update, context: LianxinContext) -> str | None:
    if await FORM.pressed(update, context, Action.CAPACITY, values={Action.CAPACITY: (Choice.SKIP,)}) is None:
        return None
    draft = FORM.get(context)
    draft.capacity = None
    await FORM.mark_choice(update, label("rcv_no_limit"))
    return await advance(update, context, draft, Step.CAPACITY)


async def submit(update: Update, context: LianxinContext, draft: Draft) -> str | int | None:
    """Schedule (or change) the reception day and end the form in one commit, with the notices it causes."""
    who = scheduler_of(context)
    policy = policy_of(context)
    now = utcnow()
    claim = outbox.claim_token()
    async with context.db.session() as session:
        try:
            starts_at, ends_at = _times(draft, context)
            if draft.reception_id:
                reception, told = await svc.edit(
                    session, who=who, reception_id=draft.reception_id, starts_at=starts_at, ends_at=ends_at,
                    topic=draft.topic or "", capacity=draft.capacity, now=now, policy=policy, claim=claim)
            else:
                reception = await svc.schedule(
                    session, who=who, station_id=draft.station_id or 0, starts_at=starts_at, ends_at=ends_at,
                    topic=draft.topic or "", capacity=draft.capacity, now=now, policy=policy, claim=claim,
                    member_id=draft.member_id)
                told = 0
        except ReceptionProblem as problem:
            await session.rollback()
            await reply(update, problem_text(problem))
            if problem.code in ("not_allowed", "not_found", "cancelled", "started", "no_member"):
                return await FORM.end(update, context)
            if problem.code == "overlap":
                return await ask_span(update, context, draft)
            if problem.code == "member_not_on_duty":
                return await ask_station(update, context, draft)
            return await show_card(update, context, draft)
        confirm = await FORM.end_in(session, update, context)
        await session.commit()
        confirm()
        when = svc.when_text(reception.starts_at, reception.ends_at, policy.tz)
    if draft.reception_id:
        context.mark_saved(update, t("rcv_changed", when=when, count=told))
        await reply(update, t("rcv_changed", when=when, count=told))
    else:
        reminder = Safe(t("rcv_saved_reminder") if policy.reminds_later(reception.starts_at, now)
                        else t("rcv_saved_no_reminder"))
        saved = t("rcv_saved", station=draft.station_name, when=when, reminder=reminder)
        context.mark_saved(update, saved)
        await reply(update, saved)
    await send_now(context.application, context.db, claim)
    return ConversationHandler.END


def build(settings: Settings) -> ConversationHandler:
    form = FormButton.pattern(FORM.name)
    return FORM.handler(
        entry_points=[
            CommandHandler("reception", start_reception, filters=PRIVATE),
            CallbackQueryHandler(start_edit, pattern=ReceptionButton.pattern(ReceptionAction.edit)),
        ],
        states={
            Step.STATION: [CallbackQueryHandler(on_station, pattern=form)],
            Step.MEMBER: [CallbackQueryHandler(on_member, pattern=form)],
            Step.DATE: [MessageHandler(TEXT, on_date)],
            Step.SPAN: [MessageHandler(TEXT, on_span)],
            Step.TOPIC: [MessageHandler(TEXT, on_topic)],
            Step.CAPACITY: [CallbackQueryHandler(on_no_limit, pattern=form), MessageHandler(TEXT, on_capacity)],
            Step.CONFIRM: [CallbackQueryHandler(guarded(on_confirm), pattern=form)],
            Step.FIELD: [CallbackQueryHandler(guarded(on_field), pattern=form)],
        },
        cancel=cancel,
        restart=[CommandHandler("reception", restart, filters=PRIVATE)],
        timeout_minutes=settings.conversation_timeout_minutes,
    )


async def on_confirm(update: Update, context: LianxinContext) -> str | int | None:
    return await FORM.confirm_pressed(update, context, field_names=fields_of, submit=submit, cancel=cancel)


async def on_field(update: Update, context: LianxinContext) -> str | int | None:
    return await FORM.field_pressed(update, context, field_names=fields_of, asks=FIELD_STEPS, card=show_card)
