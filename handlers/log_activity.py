"""/log: the member's form for one liaison activity (flow diagram: docs/log_activity.mmd).

The draft lives in user_data (persisted after every update) and is never mistaken for
a record: only "确认提交" writes an Activity. Every form button carries the form's
nonce, so buttons of an older form are answered as stale.
"""

from __future__ import annotations

import functools
import logging
import secrets
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.app import LianxinContext
from bot.services.activities import (
    MAX_PHOTOS,
    PLACE_MAX,
    PLACE_MIN,
    SUMMARY_MAX,
    SUMMARY_MIN,
    ActivityInput,
    ActivityProblem,
    activity_photos,
    check_date,
    check_editable,
    check_people,
    check_place,
    check_summary,
    find_duplicate,
    member_places,
    own_activity,
    save_activity,
    standing,
    update_activity,
)
from bot.services.rules import Quarter, local_today, parse_date, parse_people
from bot.texts import FORM_STEPS, Safe, label, t
from handlers.callbacks import ActivityButton, FormButton, parse_id, pattern
from handlers.common import LOG_BUTTON, MENU_LABELS
from handlers.views import chunked, keyboard, kind_name, problem_text, standing_text
from models import ContactPoint, utcnow

log = logging.getLogger(__name__)
KIND, DATE, PLACE, PLACE_TEXT, PEOPLE, SUMMARY, PHOTOS, CONFIRM, FIELD, DUPLICATE = range(10)
END = ConversationHandler.END
DRAFT_KEY = "log_draft"
CONVERSATION_NAME = "log_activity"
STEP_KEYS = {
    KIND: "kind", DATE: "date", PLACE: "place", PLACE_TEXT: "place", PEOPLE: "people", SUMMARY: "summary",
    PHOTOS: "photos", CONFIRM: "confirm", FIELD: "field", DUPLICATE: "duplicate",
}
FIELDS = ["kind", "date", "place", "people", "summary", "photos"]


def step_name(step: int | None) -> str:
    return FORM_STEPS[STEP_KEYS.get(step, "kind")]


@dataclass
class Draft:
    """The half-filled form; JSON-serialisable because it is persisted."""

    nonce: str
    kind: str | None = None
    day: str | None = None  # ISO date
    place: str | None = None
    contact_point_id: int | None = None
    people: int | None = None
    summary: str | None = None
    photos: list[list[str]] = field(default_factory=list)
    activity_id: int | None = None  # set when editing a saved activity
    reviewing: bool = False  # after a field step, go back to the card instead of onward
    step: int = KIND  # the step being asked, for "you are in the middle of …"
    touched_at: str | None = None  # ISO UTC of the last step, for expiring forms restored after a restart
    duplicate_ok: bool = False

    @classmethod
    def new(cls) -> "Draft":
        return cls(nonce=secrets.token_hex(3))

    def to_input(self) -> ActivityInput:
        assert self.kind and self.day and self.place and self.people and self.summary
        return ActivityInput(
            kind=self.kind, activity_date=date.fromisoformat(self.day), place=self.place, people=self.people,
            summary=self.summary, contact_point_id=self.contact_point_id,
            photos=[(p[0], p[1]) for p in self.photos],
        )

    def button(self, label: str, action: str, value: str = "") -> tuple[str, str]:
        return label, FormButton(self.nonce, action, value).pack()


async def checkpoint(update: Update, context: LianxinContext, state: int) -> int:
    """Make the form's state durable *before* the user sees the next question.

    PTB persists after the handler returns, i.e. after our reply went out; a crash in
    between would leave the member answering a question the restarted bot no longer
    expects. Writing first closes that window. END forgets the form.
    """
    persistence = context.application.persistence
    if persistence is not None:  # one transaction, and none when nothing changed
        await persistence.write_form_state(
            user_id=update.effective_user.id, user_data=dict(context.user_data), conversation=CONVERSATION_NAME,
            key=(update.effective_chat.id, update.effective_user.id), state=None if state == END else state,
        )
    return state


async def at_step(update: Update, context: LianxinContext, draft: Draft, step: int) -> int:
    """Record which step is being asked, durably; returns it as the conversation state."""
    draft.step = step
    draft.touched_at = utcnow().isoformat()
    put_draft(context, draft)
    return await checkpoint(update, context, step)


def get_draft(context: LianxinContext) -> Draft | None:
    """The running form's draft; None when there is none or it is from an incompatible version."""
    raw = context.user_data.get(DRAFT_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return Draft(**raw)
    except TypeError:
        return None


def put_draft(context: LianxinContext, draft: Draft) -> None:
    context.user_data[DRAFT_KEY] = asdict(draft)


def drop_draft(context: LianxinContext) -> None:
    context.user_data.pop(DRAFT_KEY, None)


def today(context: LianxinContext) -> date:
    return local_today(utcnow(), context.settings.tz)


async def reply(update: Update, text: str, markup=None) -> None:  # noqa: ANN001
    await update.effective_chat.send_message(text, reply_markup=markup)


async def pressed(update: Update, context: LianxinContext, *actions: str) -> FormButton | None:
    """Answer the query; the button if it is this form's and this step's, else None (answered as stale)."""
    query = update.callback_query
    button = FormButton.parse(query.data or "")
    draft = get_draft(context)
    if button is None or draft is None or button.nonce != draft.nonce or button.action not in actions:
        await query.answer(t("stale_button"), show_alert=True)
        return None
    await query.answer()
    return button


async def mark_choice(update: Update, choice: str) -> None:
    """Show the choice on the pressed message and drop its buttons, so it can't be pressed twice."""
    query = update.callback_query
    try:
        await query.edit_message_text(f"{query.message.text_html}\n✔ {t('choice', value=choice)}")
    except BadRequest:
        pass


def with_draft(handler):  # noqa: ANN001, ANN201
    """For state handlers: a form whose draft is gone (expired while the bot was down) ends politely."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: LianxinContext) -> int | None:
        if get_draft(context) is not None:
            # any answer, even a wrong one, means the member is still there
            context.user_data[DRAFT_KEY]["touched_at"] = utcnow().isoformat()
            return await handler(update, context)
        if update.callback_query:
            await update.callback_query.answer(t("stale_button"), show_alert=True)
        drop_draft(context)
        await checkpoint(update, context, END)
        await reply(update, t("log_expired"))
        return END

    return wrapper


async def expire_idle_forms(context: LianxinContext) -> None:
    """Job: forms idle past the timeout that PTB will not time out (restored after a restart)."""
    application = context.application
    settings = application.settings
    slack = timedelta(seconds=sweep_interval(settings))
    limit = utcnow() - timedelta(minutes=settings.conversation_timeout_minutes) - slack
    expired = []
    for user_id, data in list(application.user_data.items()):
        raw = data.get(DRAFT_KEY)
        touched = raw.get("touched_at") if isinstance(raw, dict) else None
        if touched and datetime.fromisoformat(touched) < limit:
            data.pop(DRAFT_KEY, None)
            expired.append(user_id)
    if not expired:
        return
    application.mark_data_for_update_persistence(user_ids=expired)
    await application.update_persistence()
    minutes = f"{settings.conversation_timeout_minutes:g}"
    for user_id in expired:
        try:
            await application.bot.send_message(user_id, t("log_timeout", minutes=minutes))
        except TelegramError as exc:
            log.info("could not tell %s that their form expired: %s", user_id, exc)


def sweep_interval(settings) -> float:  # noqa: ANN001
    """How often idle forms are swept: a quarter of the timeout, between 1 s and 60 s."""
    return max(1.0, min(60.0, settings.conversation_timeout_minutes * 60 / 4))


# --- steps: each asks for its field ---------------------------------------------------

async def ask_kind(update: Update, context: LianxinContext, draft: Draft) -> int:
    buttons = [draft.button(k.name, "kind", k.code) for k in context.settings.activity_kinds]
    state = await at_step(update, context, draft, KIND)
    await reply(update, t("log_ask_kind"), keyboard(chunked(buttons, 3) + [[draft.button(label("cancel"), "cancel")]]))
    return state


async def ask_date(update: Update, context: LianxinContext, draft: Draft) -> int:
    rows = [[draft.button(label("today"), "date", "0"), draft.button(label("yesterday"), "date", "1")]]
    state = await at_step(update, context, draft, DATE)
    await reply(update, t("log_ask_date"), keyboard(rows))
    return state


async def ask_place(update: Update, context: LianxinContext, draft: Draft) -> int:
    async with context.db.session() as session:
        points = await member_places(session, context.identity.member_id)
    buttons = [draft.button(p.name, "place", str(p.id)) for p in points]
    buttons.append(draft.button(label("place_other"), "place", "other"))
    state = await at_step(update, context, draft, PLACE)
    await reply(update, t("log_ask_place"), keyboard(chunked(buttons, 2)))
    return state


async def ask_people(update: Update, context: LianxinContext, draft: Draft) -> int:
    state = await at_step(update, context, draft, PEOPLE)
    await reply(update, t("log_ask_people"))
    return state


async def ask_summary(update: Update, context: LianxinContext, draft: Draft) -> int:
    state = await at_step(update, context, draft, SUMMARY)
    await reply(update, t("log_ask_summary", low=SUMMARY_MIN, high=SUMMARY_MAX))
    return state


async def ask_photos(update: Update, context: LianxinContext, draft: Draft) -> int:
    if draft.photos:  # editing, or back from the card: keep or replace what is attached
        text = t("log_ask_photos_existing", count=len(draft.photos), high=MAX_PHOTOS)
        rows = [[draft.button(label("photos_keep", count=len(draft.photos)), "photos", "done"),
                 draft.button(label("photos_clear"), "photos", "clear")]]
    else:
        text = t("log_ask_photos", high=MAX_PHOTOS)
        rows = [[draft.button(label("done"), "photos", "done"), draft.button(label("skip"), "photos", "skip")]]
    state = await at_step(update, context, draft, PHOTOS)
    await reply(update, text, keyboard(rows))
    return state


async def show_card(update: Update, context: LianxinContext, draft: Draft) -> int:
    draft.reviewing = True
    put_draft(context, draft)
    title = t("log_card_edit_title", id=draft.activity_id) if draft.activity_id else ""
    text = title + t(
        "log_card",
        kind=kind_name(context.settings, draft.kind or ""),
        date=draft.day,
        place=draft.place,
        people=draft.people,
        photos=len(draft.photos),
        summary=draft.summary,
    )
    rows = [[draft.button(label("submit"), "confirm", "submit")],
            [draft.button(label("change"), "confirm", "edit"), draft.button(label("cancel"), "confirm", "cancel")]]
    state = await at_step(update, context, draft, CONFIRM)
    await reply(update, text, keyboard(rows))
    return state


NEXT_STEP = {KIND: ask_date, DATE: ask_place, PLACE: ask_people, PEOPLE: ask_summary, SUMMARY: ask_photos,
             PHOTOS: show_card}
FIELD_STEPS = {"kind": ask_kind, "date": ask_date, "place": ask_place, "people": ask_people,
               "summary": ask_summary, "photos": ask_photos}


async def advance(update: Update, context: LianxinContext, draft: Draft, done: int) -> int:
    """After step `done`: onward through the form, or back to the card when reviewing."""
    put_draft(context, draft)
    if draft.reviewing:
        return await show_card(update, context, draft)
    return await NEXT_STEP[done](update, context, draft)


# --- entry, restart, cancel -----------------------------------------------------------

async def start_log(update: Update, context: LianxinContext) -> int:
    """/log: members only; opens a fresh form."""
    if not context.identity or not context.identity.is_member:
        await reply(update, t("log_members_only"))
        return END
    draft = Draft.new()
    put_draft(context, draft)
    return await ask_kind(update, context, draft)


async def restart_log(update: Update, context: LianxinContext) -> int:
    """/log again in the middle of the form: the old draft is dropped, said so, and a new one starts."""
    draft = get_draft(context)
    if draft is not None:
        drop_draft(context)
        if draft.activity_id:
            await reply(update, t("log_edit_abandoned", id=draft.activity_id))
        else:
            await reply(update, t("log_restart"))
    return await start_log(update, context)


async def cancel(update: Update, context: LianxinContext) -> int:
    draft = get_draft(context)
    drop_draft(context)
    await checkpoint(update, context, END)
    if draft is not None and draft.activity_id:
        await reply(update, t("log_edit_cancelled", id=draft.activity_id))
    else:
        await reply(update, t("log_cancelled"))
    return END


@with_draft
async def busy(update: Update, context: LianxinContext) -> None:
    """Another command mid-form: say what is running; stay in the same step."""
    draft = get_draft(context)
    await reply(update, t("log_busy", step=step_name(draft.step if draft else KIND)))
    return None


async def timed_out(update: Update, context: LianxinContext) -> None:
    if get_draft(context) is None:  # the sweep (expire_idle_forms) got there first and said so
        return
    drop_draft(context)
    await context.bot.send_message(
        update.effective_chat.id, t("log_timeout", minutes=f"{context.settings.conversation_timeout_minutes:g}")
    )


async def stale(update: Update, context: LianxinContext) -> None:
    """A button this step does not expect (an old message, or another step's): answer, change nothing."""
    await update.callback_query.answer(t("stale_button"), show_alert=True)
    return None


@with_draft
async def use_buttons(update: Update, context: LianxinContext) -> None:
    await reply(update, t("log_use_buttons"))
    return None


@with_draft
async def not_understood(update: Update, context: LianxinContext) -> None:
    """Something the current step cannot take (a sticker, a voice message, a photo at a text step)."""
    step = get_draft(context).step
    if step in (KIND, CONFIRM, FIELD, DUPLICATE):
        await reply(update, t("log_use_buttons"))
    else:
        await reply(update, t("log_text_expected", step=step_name(step)))
    return None


@with_draft
async def busy_button(update: Update, context: LianxinContext) -> None:
    """A /my or activity button while the form runs: explain instead of calling it stale."""
    await update.callback_query.answer(t("log_busy", step=step_name(get_draft(context).step)),
                                       show_alert=True)
    return None


# --- answers to each step -------------------------------------------------------------

@with_draft
async def on_kind(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "kind", "cancel")
    if button is None:
        return None
    draft = get_draft(context)
    if button.action == "cancel":
        await mark_choice(update, label("cancel"))
        return await cancel(update, context)
    kind = context.settings.kind(button.value)
    if kind is None:
        await reply(update, t("log_bad_kind"))
        return None
    draft.kind = kind.code
    await mark_choice(update, kind.name)
    return await advance(update, context, draft, KIND)


async def _set_date(update: Update, context: LianxinContext, day: date) -> int | None:
    draft = get_draft(context)
    try:
        check_date(day, today(context), context.settings.late_log_grace_days)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft.day = day.isoformat()
    return await advance(update, context, draft, DATE)


@with_draft
async def on_date_button(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "date")
    if button is None:
        return None
    if button.value not in ("0", "1"):  # not a value this form offered; the query is answered already
        await reply(update, t("stale_button"))
        return None
    day = today(context) - timedelta(days=int(button.value))
    await mark_choice(update, day.isoformat())
    return await _set_date(update, context, day)


@with_draft
async def on_date_text(update: Update, context: LianxinContext) -> int | None:
    day = parse_date(update.effective_message.text, today(context))
    if day is None:
        await reply(update, t("log_bad_date"))
        return None
    return await _set_date(update, context, day)


@with_draft
async def on_place_button(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "place")
    if button is None:
        return None
    draft = get_draft(context)
    if button.value == "other":
        await mark_choice(update, label("place_other_chosen"))
        state = await at_step(update, context, draft, PLACE_TEXT)
        await reply(update, t("log_ask_place_text", low=PLACE_MIN, high=PLACE_MAX))
        return state
    async with context.db.session() as session:
        point_id = parse_id(button.value)
        point = await session.get(ContactPoint, point_id) if point_id is not None else None
    if point is None or point.member_id != context.identity.member_id:
        # the query is answered already; say it in the chat (e.g. the roster dropped this point)
        await reply(update, t("stale_button"))
        return None
    draft.place, draft.contact_point_id = point.name, point.id
    await mark_choice(update, point.name)
    return await advance(update, context, draft, PLACE)


@with_draft
async def on_place_text(update: Update, context: LianxinContext) -> int | None:
    """A typed place, at the place step or after "其他"."""
    try:
        place = check_place(update.effective_message.text)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft = get_draft(context)
    draft.place, draft.contact_point_id = place, None
    return await advance(update, context, draft, PLACE)


@with_draft
async def on_people(update: Update, context: LianxinContext) -> int | None:
    value = parse_people(update.effective_message.text)
    try:
        check_people(value)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft = get_draft(context)
    draft.people = value
    return await advance(update, context, draft, PEOPLE)


@with_draft
async def on_summary(update: Update, context: LianxinContext) -> int | None:
    try:
        summary = check_summary(update.effective_message.text)
    except ActivityProblem as problem:
        await reply(update, problem_text(problem))
        return None
    draft = get_draft(context)
    draft.summary = summary
    return await advance(update, context, draft, SUMMARY)


@with_draft
async def on_photo(update: Update, context: LianxinContext) -> int | None:
    draft = get_draft(context)
    if len(draft.photos) >= MAX_PHOTOS:
        await reply(update, t("log_photos_full", high=MAX_PHOTOS))
        return None
    biggest = update.effective_message.photo[-1]
    draft.photos.append([biggest.file_id, biggest.file_unique_id])
    put_draft(context, draft)
    rows = [[draft.button(label("done"), "photos", "done")]]
    await reply(update, t("log_photo_added", count=len(draft.photos), high=MAX_PHOTOS), keyboard(rows))
    return None


@with_draft
async def on_photos_button(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "photos")
    if button is None:
        return None
    draft = get_draft(context)
    if button.value == "clear":
        draft.photos = []
        await mark_choice(update, label("photos_cleared"))
        return await ask_photos(update, context, draft)
    if button.value == "skip":
        draft.photos = []
    await mark_choice(
        update, label("skip") if button.value == "skip" else label("photos_count", count=len(draft.photos))
    )
    return await advance(update, context, draft, PHOTOS)


@with_draft
async def photos_expected(update: Update, context: LianxinContext) -> None:
    await reply(update, t("log_photos_expected"))
    return None


@with_draft
async def on_confirm(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "confirm")
    if button is None:
        return None
    draft = get_draft(context)
    if button.value == "cancel":
        await mark_choice(update, label("cancel"))
        return await cancel(update, context)
    if button.value == "edit":
        await mark_choice(update, label("change"))
        rows = chunked([draft.button(label(f"field_{name}"), "field", name) for name in FIELDS], 3)
        rows.append([draft.button(label("back"), "field", "back")])
        state = await at_step(update, context, draft, FIELD)
        await reply(update, t("log_choose_field"), keyboard(rows))
        return state
    await mark_choice(update, label("submit"))
    return await submit(update, context, draft)


@with_draft
async def on_field(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "field")
    if button is None:
        return None
    draft = get_draft(context)
    if button.value == "back" or button.value not in FIELD_STEPS:
        return await show_card(update, context, draft)
    await mark_choice(update, label(f"field_{button.value}"))
    return await FIELD_STEPS[button.value](update, context, draft)


@with_draft
async def on_duplicate(update: Update, context: LianxinContext) -> int | None:
    button = await pressed(update, context, "dup")
    if button is None:
        return None
    draft = get_draft(context)
    if button.value == "yes":
        await mark_choice(update, label("duplicate_yes"))
        draft.duplicate_ok = True
        return await submit(update, context, draft)
    await mark_choice(update, label("duplicate_no"))
    return await show_card(update, context, draft)


async def submit(update: Update, context: LianxinContext, draft: Draft) -> int | None:
    """Write the activity (or the edit) and show where the member stands now."""
    settings = context.settings
    if not context.identity or not context.identity.is_member:
        drop_draft(context)
        await reply(update, t("log_members_only"))
        return END
    member_id = context.identity.member_id
    kind_points = {k.code: k.points for k in settings.activity_kinds}
    now = utcnow()
    day = today(context)
    data = draft.to_input()
    async with context.db.session() as session:
        try:
            if draft.activity_id is None and not draft.duplicate_ok:
                twin = await find_duplicate(
                    session, member_id=member_id, data=data,
                    since=now - timedelta(hours=settings.duplicate_window_hours),
                )
                if twin is not None:
                    state = await at_step(update, context, draft, DUPLICATE)
                    rows = [[draft.button(label("duplicate_yes"), "dup", "yes"), draft.button(label("duplicate_no"), "dup", "no")]]
                    await reply(
                        update,
                        t("log_duplicate", id=twin.id, date=twin.activity_date.isoformat(),
                          kind=kind_name(settings, twin.kind), place=twin.place),
                        keyboard(rows),
                    )
                    return state
            if draft.activity_id is None:
                activity = await save_activity(
                    session, member_id=member_id, data=data, kind_points=kind_points, today=day,
                    grace_days=settings.late_log_grace_days, now=now,
                )
                key = "log_saved"
            else:
                activity = await update_activity(
                    session, member_id=member_id, activity_id=draft.activity_id, data=data, kind_points=kind_points,
                    today=day, grace_days=settings.late_log_grace_days,
                    window_days=settings.activity_edit_window_days, now=now,
                )
                key = "log_updated"
        except ActivityProblem as problem:
            await reply(update, problem_text(problem))
            if problem.code in ("not_found", "locked"):
                drop_draft(context)
                return END
            return await show_card(update, context, draft)
        # the quarter the activity counts in: a late entry shows the quarter it completes
        current = await standing(
            session, member_id=member_id, quarter=Quarter.of(activity.activity_date), today=day,
            quarter_target=settings.quarterly_activity_target, year_target=settings.yearly_people_target,
        )
    drop_draft(context)
    await checkpoint(update, context, END)
    await reply(update, t(key, id=activity.id, standing=Safe(standing_text(current))))
    return END


async def start_edit(update: Update, context: LianxinContext) -> int:
    """The 编辑 button under a saved activity: the form opens on its card, pre-filled."""
    query = update.callback_query
    button = ActivityButton.parse(query.data or "")
    if button is None:  # e.g. non-ASCII digits, which the pattern's \d lets through
        await query.answer(t("stale_button"), show_alert=True)
        return END
    if not context.identity or not context.identity.is_member:
        await query.answer(t("members_only"), show_alert=True)
        return END
    member_id = context.identity.member_id
    async with context.db.session() as session:
        try:
            activity = await own_activity(session, member_id=member_id, activity_id=button.activity_id)
            check_editable(activity, context.settings.activity_edit_window_days, utcnow())
        except ActivityProblem as problem:
            await query.answer(problem_text(problem), show_alert=True)
            return END
        photos = await activity_photos(session, activity.id)
    await query.answer()
    draft = Draft.new()
    draft.kind, draft.day, draft.place = activity.kind, activity.activity_date.isoformat(), activity.place
    draft.contact_point_id, draft.people, draft.summary = activity.contact_point_id, activity.people, activity.summary
    draft.photos = [[f, u] for f, u in photos]
    draft.activity_id = activity.id
    return await show_card(update, context, draft)


def build(settings) -> ConversationHandler:  # noqa: ANN001
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    text = private & filters.TEXT & ~filters.COMMAND & ~MENU_LABELS
    form = pattern(FormButton.PREFIX)
    with warnings.catch_warnings():
        # per_message=False on purpose: the form mixes buttons and typed answers; stale
        # buttons are recognised by the form nonce instead of per-message tracking
        warnings.simplefilter("ignore", PTBUserWarning)
        handler = ConversationHandler(
            entry_points=[
                CommandHandler("log", start_log, filters=private),
                MessageHandler(private & LOG_BUTTON, start_log),
                CallbackQueryHandler(start_edit, pattern=r"^act:edit:\d+$"),
            ],
            states={
                KIND: [CallbackQueryHandler(on_kind, pattern=form), MessageHandler(text, use_buttons)],
                DATE: [CallbackQueryHandler(on_date_button, pattern=form), MessageHandler(text, on_date_text)],
                PLACE: [CallbackQueryHandler(on_place_button, pattern=form), MessageHandler(text, on_place_text)],
                PLACE_TEXT: [MessageHandler(text, on_place_text)],
                PEOPLE: [MessageHandler(text, on_people)],
                SUMMARY: [MessageHandler(text, on_summary)],
                PHOTOS: [
                    MessageHandler(private & filters.PHOTO, on_photo),
                    CallbackQueryHandler(on_photos_button, pattern=form),
                    MessageHandler(private & ~filters.COMMAND & ~MENU_LABELS, photos_expected),
                ],
                CONFIRM: [CallbackQueryHandler(on_confirm, pattern=form), MessageHandler(text, use_buttons)],
                FIELD: [CallbackQueryHandler(on_field, pattern=form), MessageHandler(text, use_buttons)],
                DUPLICATE: [CallbackQueryHandler(on_duplicate, pattern=form), MessageHandler(text, use_buttons)],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                CommandHandler("cancel", cancel, filters=private),
                CommandHandler("log", restart_log, filters=private),
                MessageHandler(private & LOG_BUTTON, restart_log),
                # other commands and menu buttons: say what is running, stay where we are
                MessageHandler(private & (filters.COMMAND | MENU_LABELS), busy),
                CallbackQueryHandler(stale, pattern=form),
                CallbackQueryHandler(busy_button),
                MessageHandler(private, not_understood),
            ],
            name=CONVERSATION_NAME,
            persistent=True,
            conversation_timeout=settings.conversation_timeout_minutes * 60,
            allow_reentry=False,
        )
    return handler
