"""/request: a resident raises a problem (急难愁盼); /record: a member records one heard in person
(flow diagram: docs/request.mmd).

Built on the form kit (handlers/forms.py): category (from the routing table), where
(drilled down through the roster's regions, typed, or a shared location), description,
photos, contact and whether the handling member may see the phone, then a card to
confirm. The case, its routing and the end of the form are one commit; the member (or
the staff) and the resident are told after it.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from telegram import ReplyKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.callbacks import CheckinAction, CheckinButton, FormButton, parse_id
from bot.config import Settings
from bot.context import LianxinContext
from bot.services import cases as svc
from bot.services.access import touch_resident
from bot.services.cases import CaseInput
from bot.services.checkin import CheckinPolicy, request_via
from bot.services.contacts import member_name_sector, resident_for
from bot.services.lifecycle import CaseProblem
from bot.services.media import MAX_VOICES, Voice, clock, total_seconds
from bot.services.places import find_region, region_children
from bot.services.roster import normalise_phone
from bot.texts import Safe, label, t
from handlers.case_cards import Notices, case_problem_text, routing
from handlers.forms import PRIVATE, TEXT, VOICE, Choice, RecordDraft, RecordForm, play_back, reply
from handlers.menus import REQUEST_BUTTON, contact_keyboard, member_keyboard, resident_keyboard
from handlers.views import checked_press, chunked, keyboard
from models import Region, utcnow

log = logging.getLogger(__name__)
REQUESTER_MAX = 32
VIA_MEMBER_KEY = "via_member"  # user_data: the member whose 找我反映 link the resident came through
SAVED_PHONE = "saved"  # the contact step's button: the phone the resident shared before


class Step(enum.StrEnum):
    REQUESTER = "requester"
    REQUESTER_PHONE = "requester_phone"
    CATEGORY = "category"
    REGION = "region"
    DESCRIPTION = "description"
    PHOTOS = "photos"
    CONTACT = "contact"
    CONSENT = "consent"
    CONFIRM = "confirm"
    FIELD = "field"
    DUPLICATE = "duplicate"


class Action(enum.StrEnum):
    CATEGORY = "cat"
    REGION = "rg"
    HERE = "here"
    UP = "up"
    SKIP = "skip"
    PHOTOS = "ph"
    CONSENT = "cs"
    CONFIRM = "ok"
    FIELD = "fd"
    DUPLICATE = "dup"
    CANCEL = "x"
    VOICE = "vc"


@dataclass
class Draft(RecordDraft):
    on_behalf: bool = False  # /record: a member records a request heard in person
    requester_name: str | None = None
    requester_phone: str | None = None
    category: str | None = None
    region_id: int | None = None
    region_path: str | None = None
    place_text: str = ""
    description: str | None = None
    phone: str | None = None
    phone_consent: bool = False
    contact_done: bool = False
    # raised after checking in at a reception day: its member on duty handles it, the station's region is set
    reception_id: int | None = None
    via_member_id: int | None = None
    voices: list[list] = field(default_factory=list)  # [file_id, file_unique_id, seconds, kind]


FORM: RecordForm[Draft] = RecordForm(
    name="req", conversation="request", draft=Draft, steps=Step, actions=Action,
    button_steps={Step.CATEGORY, Step.CONSENT, Step.CONFIRM, Step.FIELD, Step.DUPLICATE},
)
guarded = FORM.guarded


# --- steps ------------------------------------------------------------------------------------------

async def ask_requester(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.REQUESTER)
    await reply(update, t("req_ask_requester"))
    return state


async def ask_requester_phone(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.REQUESTER_PHONE)
    await reply(update, t("req_ask_requester_phone"), keyboard([[FORM.button(draft, label("skip"), Action.SKIP)]]))
    return state


async def ask_category(update: Update, context: LianxinContext, draft: Draft) -> str:
    names = context.routing.names
    buttons = [FORM.button(draft, name, Action.CATEGORY, str(i)) for i, name in enumerate(names)]
    rows = chunked(buttons, 3) + [[FORM.button(draft, label("cancel"), Action.CANCEL)]]
    state = await FORM.at_step(update, context, draft, Step.CATEGORY)
    await reply(update, t("req_ask_category"), keyboard(rows))
    return state


async def ask_region(update: Update, context: LianxinContext, draft: Draft) -> str:
    async with context.db.session() as session:
        children = await region_children(session, parent_id=draft.region_id)
    buttons = [FORM.button(draft, r.name, Action.REGION, str(r.id)) for r in children]
    rows = chunked(buttons, 3)
    if draft.region_id is not None:
        name = (draft.region_path or "").rsplit("/", 1)[-1]
        rows.insert(0, [FORM.button(draft, label("region_here", name=name), Action.HERE)])
        rows.append([FORM.button(draft, label("region_up"), Action.UP)])
    else:
        rows.append([FORM.button(draft, label("region_skip"), Action.SKIP)])
    state = await FORM.at_step(update, context, draft, Step.REGION)
    text = t("req_ask_region_in", path=draft.region_path) if draft.region_id else t("req_ask_region")
    await reply(update, text, keyboard(rows))
    return state


async def ask_description(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.DESCRIPTION)
    hint = t("voice_hint", high=clock(context.settings.voice_max_seconds), count=MAX_VOICES)
    await reply(update, t("req_ask_description", low=svc.DESCRIPTION_MIN, high=svc.DESCRIPTION_MAX) + "\n" + hint)
    return state


async def ask_description_again(update: Update, context: LianxinContext, draft: Draft) -> str:
    """修改 → 描述: said again from the start, in words or voice."""
    draft.description, draft.voices = None, []
    return await ask_description(update, context, draft)


def voices_of(draft: Draft) -> list[Voice]:
    return [Voice.from_list(v) for v in draft.voices]


def voice_summary(voices: list[Voice]) -> str:
    return t("voice_summary", count=len(voices), total=clock(total_seconds(voices)))


async def ask_photos(update: Update, context: LianxinContext, draft: Draft) -> str:
    if draft.photos:  # back from the card, or restored: keep or replace what is attached
        return await FORM.ask_photos(update, context, draft,
                                     t("req_ask_photos_existing", count=len(draft.photos), high=svc.MAX_PHOTOS))
    return await FORM.ask_photos(update, context, draft, t("req_ask_photos", high=svc.MAX_PHOTOS))


async def ask_contact(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.CONTACT)
    async with context.db.session() as session:
        resident = await resident_for(session, update.effective_user.id)
    saved = resident.phone if resident else None
    markup = contact_keyboard()
    rows = [[FORM.button(draft, label("skip"), Action.SKIP)]]
    if saved:
        rows.insert(0, [FORM.button(draft, label("use_saved_phone", phone=svc.mask_phone(saved)), Action.SKIP,
                                    SAVED_PHONE)])
    await reply(update, t("req_ask_contact"), markup)  # the share button lives on the reply keyboard
    await reply(update, t("req_contact_or_skip"), keyboard(rows))
    return state


async def ask_consent(update: Update, context: LianxinContext, draft: Draft) -> str:
    rows = [[FORM.button(draft, label("consent_yes"), Action.CONSENT, Choice.YES)],
            [FORM.button(draft, label("consent_no"), Action.CONSENT, Choice.NO)]]
    state = await FORM.at_step(update, context, draft, Step.CONSENT)
    await reply(update, t("req_ask_consent"), keyboard(rows))
    return state


def contact_text(draft: Draft) -> str:
    if not draft.phone:
        return t("req_contact_none")
    return t("req_contact_shown" if draft.phone_consent else "req_contact_hidden", phone=draft.phone)


async def show_card(update: Update, context: LianxinContext, draft: Draft) -> str:
    requester = (
        t("req_card_requester", name=draft.requester_name, phone=draft.requester_phone or t("req_contact_none"))
        if draft.on_behalf else ""
    )
    place = " ".join(p for p in (draft.region_path, draft.place_text) if p) or t("req_place_none")
    voices = voices_of(draft)
    text = t("req_card", requester=Safe(requester), category=draft.category, place=place,
             description=draft.description or t("voice_only"), photos=len(draft.photos),
             contact=t("req_contact_none") if draft.on_behalf else contact_text(draft))
    if voices:
        text += t("voice_card_line", summary=voice_summary(voices))
        await play_back(update, voices)  # heard again before submitting, right above the card
    return await FORM.show_card(update, context, draft, text)


def fields_of(draft: Draft) -> list[str]:
    names = ["category", "region", "description", "photos"]
    return (["requester"] + names) if draft.on_behalf else names + ["contact"]


async def ask_field(update: Update, context: LianxinContext, draft: Draft) -> str:
    return await FORM.ask_field(update, context, draft, fields_of(draft))


async def ask_region_again(update: Update, context: LianxinContext, draft: Draft) -> str:
    """修改 → 地点: the drill-down starts from the top again."""
    draft.region_id, draft.region_path, draft.place_text = None, None, ""
    return await ask_region(update, context, draft)


async def ask_duplicate(update: Update, context: LianxinContext, draft: Draft, problem: CaseProblem) -> str:
    return await FORM.ask_duplicate(update, context, draft, case_problem_text(problem))


FORM.asks = {
    Step.REQUESTER: ask_requester, Step.REQUESTER_PHONE: ask_requester_phone, Step.CATEGORY: ask_category,
    Step.REGION: ask_region, Step.DESCRIPTION: ask_description, Step.PHOTOS: ask_photos,
    Step.CONTACT: ask_contact, Step.CONSENT: ask_consent, Step.CONFIRM: show_card, Step.FIELD: ask_field,
    Step.DUPLICATE: show_card,
}
FIELD_STEPS = {"requester": ask_requester, "category": ask_category, "region": ask_region_again,
               "description": ask_description_again, "photos": ask_photos, "contact": ask_contact}


async def advance(update: Update, context: LianxinContext, draft: Draft, done: Step) -> str:
    """Onward through the form, or back to the card when reviewing."""
    FORM.put(context, draft)
    if draft.reviewing and not (done == Step.CONTACT and draft.phone):
        return await show_card(update, context, draft)
    following = {
        Step.REQUESTER: ask_requester_phone, Step.REQUESTER_PHONE: ask_category,
        Step.CATEGORY: ask_description if draft.reception_id and draft.region_id else ask_region,
        Step.REGION: ask_description, Step.DESCRIPTION: ask_photos,
        Step.PHOTOS: show_card if draft.on_behalf else ask_contact,
        Step.CONTACT: ask_consent if draft.phone else show_card, Step.CONSENT: show_card,
    }
    return await following[done](update, context, draft)


# --- entry, restart, cancel ---------------------------------------------------------------------------

async def _open(update: Update, context: LianxinContext, *, on_behalf: bool) -> str | int:
    if context.routing is None:
        await reply(update, t("req_closed"))
        return ConversationHandler.END
    draft = FORM.new(on_behalf=on_behalf)
    if on_behalf:
        return await ask_requester(update, context, draft)
    via = context.user_data.get(VIA_MEMBER_KEY)
    if isinstance(via, int):
        async with context.db.session() as session:
            who = await member_name_sector(session, via)
        if who:
            await reply(update, t("req_via_member", name=who[0], sector=who[1]))
    return await ask_category(update, context, draft)


@FORM.entry
async def start_request(update: Update, context: LianxinContext) -> str | int:
    """/request or 📮 我要反映: anyone may raise a problem (a member is a constituent too)."""
    return await _open(update, context, on_behalf=False)


@FORM.entry
async def start_record(update: Update, context: LianxinContext) -> str | int:
    """/record: a member records a request heard in person, and handles it."""
    if not context.identity.is_member:
        await reply(update, t("case_members_only"))
        return ConversationHandler.END
    return await _open(update, context, on_behalf=True)


@FORM.entry
async def start_from_checkin(update: Update, context: LianxinContext) -> str | int:
    """有问题要反映 under a check-in: the form with the station's region filled in, for the member on duty."""
    query = update.callback_query
    button = await checked_press(update, CheckinButton)
    if button is None:
        return ConversationHandler.END
    if context.routing is None:
        await query.answer()
        await reply(update, t("req_closed"))
        return ConversationHandler.END
    async with context.db.session() as session:
        via = await request_via(session, reception_id=button.reception_id, telegram_id=update.effective_user.id,
                                now=utcnow(), policy=CheckinPolicy.from_settings(context.settings))
        who = await member_name_sector(session, via.member_id) if via else None
    if via is None or who is None:
        await query.answer(t("checkin_request_stale"), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    draft = FORM.new(reception_id=via.reception_id, via_member_id=via.member_id, region_id=via.region_id,
                     region_path=via.region_path)
    await reply(update, t("checkin_request_via", station=via.station_name, name=who[0], sector=who[1]))
    return await ask_category(update, context, draft)


async def restart(update: Update, context: LianxinContext) -> str | int:
    if FORM.get(context) is not None:
        FORM.drop(context)
        await reply(update, t("req_restart"))
    return await start_request(update, context)


async def cancel(update: Update, context: LianxinContext) -> int:
    state = await FORM.end(update, context)
    await reply(update, t("req_cancelled"), main_keyboard(context))
    return state


def main_keyboard(context: LianxinContext) -> ReplyKeyboardMarkup:
    return member_keyboard() if context.identity.is_member else resident_keyboard()


# --- answers ----------------------------------------------------------------------------------------

@guarded
async def on_requester(update: Update, context: LianxinContext) -> str | None:
    name = " ".join(update.effective_message.text.split())
    if not 1 <= len(name) <= REQUESTER_MAX:
        await reply(update, t("req_bad_requester"))
        return None
    draft = FORM.get(context)
    draft.requester_name = name
    return await advance(update, context, draft, Step.REQUESTER)


@guarded
async def on_requester_phone(update: Update, context: LianxinContext) -> str | None:
    phone = normalise_phone(update.effective_message.text)
    if phone is None:
        await reply(update, t("req_bad_phone"))
        return None
    draft = FORM.get(context)
    draft.requester_phone = phone
    return await advance(update, context, draft, Step.REQUESTER_PHONE)


@guarded
async def on_requester_phone_skip(update: Update, context: LianxinContext) -> str | None:
    if await FORM.pressed(update, context, Action.SKIP) is None:
        return None
    draft = FORM.get(context)
    draft.requester_phone = None
    await FORM.mark_choice(update, label("skip"))
    return await advance(update, context, draft, Step.REQUESTER_PHONE)


@guarded
async def on_category(update: Update, context: LianxinContext) -> str | int | None:
    names = context.routing.names
    button = await FORM.pressed(update, context, Action.CATEGORY, Action.CANCEL,
                                values={Action.CATEGORY: [str(i) for i in range(len(names))]})
    if button is None:
        return None
    if button.action == Action.CANCEL:
        await FORM.mark_choice(update, label("cancel"))
        return await cancel(update, context)
    draft = FORM.get(context)
    draft.category = names[int(button.value)]
    await FORM.mark_choice(update, draft.category)
    return await advance(update, context, draft, Step.CATEGORY)


@guarded
async def on_region_button(update: Update, context: LianxinContext) -> str | None:
    button = await FORM.pressed(update, context, Action.REGION, Action.HERE, Action.UP, Action.SKIP)
    if button is None:
        return None
    draft = FORM.get(context)
    if button.action == Action.SKIP or (button.action == Action.HERE and draft.region_id is None):
        await FORM.mark_choice(update, label("region_skip"))
        draft.region_id, draft.region_path = None, None
        return await advance(update, context, draft, Step.REGION)
    if button.action == Action.HERE:
        await FORM.mark_choice(update, draft.region_path or "")
        return await advance(update, context, draft, Step.REGION)
    async with context.db.session() as session:
        if button.action == Action.UP:
            current = await session.get(Region, draft.region_id) if draft.region_id else None
            target = await session.get(Region, current.parent_id) if current and current.parent_id else None
        else:
            region_id = parse_id(button.value)
            target = await session.get(Region, region_id) if region_id else None
            if target is None or target.parent_id != draft.region_id:  # only a child of where we are
                await reply(update, t("stale_button"))
                return None
    draft.region_id, draft.region_path = (target.id, target.path) if target else (None, None)
    await FORM.mark_choice(update, FORM.pressed_label(update))
    return await ask_region(update, context, draft)


@guarded
async def on_region_text(update: Update, context: LianxinContext) -> str | None:
    """A typed place: kept as written; when it names one known region, that region too."""
    text = " ".join(update.effective_message.text.split())
    if not 2 <= len(text) <= svc.PLACE_MAX:
        await reply(update, t("problem_place_length", low=2, high=svc.PLACE_MAX))
        return None
    draft = FORM.get(context)
    async with context.db.session() as session:
        region = await find_region(session, text=text)
    if region is not None:
        draft.region_id, draft.region_path, draft.place_text = region.id, region.path, ""
    else:
        draft.place_text = text
    return await advance(update, context, draft, Step.REGION)


@guarded
async def on_location(update: Update, context: LianxinContext) -> str | None:
    location = update.effective_message.location
    draft = FORM.get(context)
    draft.place_text = t("req_location", lat=location.latitude, lon=location.longitude)
    return await advance(update, context, draft, Step.REGION)


@guarded
async def on_description(update: Update, context: LianxinContext) -> str | None:
    draft = FORM.get(context)
    try:
        text = svc.check_description(update.effective_message.text, voices=len(draft.voices))
    except CaseProblem as problem:
        await reply(update, case_problem_text(problem))
        return None
    draft.description = text
    return await advance(update, context, draft, Step.DESCRIPTION)


@guarded
async def on_voice(update: Update, context: LianxinContext) -> None:
    """A voice note (or an audio file) at the description step: kept, up to MAX_VOICES; 完成 goes on."""
    draft = FORM.get(context)
    voice = await FORM.take_voice(update, context, draft, held=len(draft.voices), limit=MAX_VOICES)
    if voice is None:
        return None
    rows = [[FORM.button(draft, label("done"), Action.VOICE, Choice.DONE)]]
    await reply(update, t("voice_added", count=len(draft.voices), high=MAX_VOICES, length=clock(voice.duration)),
                keyboard(rows))
    return None


@guarded
async def on_voice_done(update: Update, context: LianxinContext) -> str | None:
    """完成 under a voice note: the description is what was said (and typed, if anything)."""
    draft = FORM.get(context)
    if not draft.voices:
        await FORM.stale(update, context)
        return None
    if await FORM.pressed(update, context, Action.VOICE, values={Action.VOICE: (Choice.DONE,)}) is None:
        return None
    await FORM.mark_choice(update, voice_summary(voices_of(draft)))
    draft.description = draft.description or ""
    return await advance(update, context, draft, Step.DESCRIPTION)


@guarded
async def on_contact(update: Update, context: LianxinContext) -> str | None:
    contact = update.effective_message.contact
    if contact.user_id != update.effective_user.id:
        await reply(update, t("contact_not_own"))
        return None
    phone = normalise_phone(contact.phone_number)
    if phone is None:
        await reply(update, t("contact_bad_phone"))
        return None
    draft = FORM.get(context)
    draft.phone, draft.phone_consent, draft.contact_done = phone, False, True
    await reply(update, t("req_contact_saved", phone=phone), main_keyboard(context))
    return await advance(update, context, draft, Step.CONTACT)


@guarded
async def on_contact_button(update: Update, context: LianxinContext) -> str | None:
    button = await FORM.pressed(update, context, Action.SKIP, values={Action.SKIP: ("", SAVED_PHONE)})
    if button is None:
        return None
    draft = FORM.get(context)
    if button.value == SAVED_PHONE:
        async with context.db.session() as session:
            resident = await resident_for(session, update.effective_user.id)
        draft.phone = resident.phone if resident else None
    else:
        draft.phone = None
    draft.phone_consent, draft.contact_done = False, True
    await FORM.mark_choice(update, FORM.pressed_label(update))
    return await advance(update, context, draft, Step.CONTACT)


@guarded
async def contact_expected(update: Update, context: LianxinContext) -> None:
    await reply(update, t("req_ask_contact"), contact_keyboard())
    return None


@guarded
async def on_consent(update: Update, context: LianxinContext) -> str | None:
    button = await FORM.pressed(update, context, Action.CONSENT, values={Action.CONSENT: (Choice.YES, Choice.NO)})
    if button is None:
        return None
    draft = FORM.get(context)
    draft.phone_consent = button.value == Choice.YES
    await FORM.mark_choice(update, FORM.pressed_label(update))
    return await advance(update, context, draft, Step.CONSENT)


async def submit(update: Update, context: LianxinContext, draft: Draft) -> str | int | None:
    """Create, number and route the case and end the form in one commit; then tell everyone concerned."""
    user = update.effective_user
    identity = context.identity
    if draft.on_behalf and not identity.is_member:
        state = await FORM.end(update, context)
        await reply(update, t("case_members_only"))
        return state
    via = draft.via_member_id if draft.reception_id else context.user_data.get(VIA_MEMBER_KEY)
    data = CaseInput(
        category=draft.category or "", description=draft.description or "", region_id=draft.region_id,
        place_text=draft.place_text, phone=draft.phone, phone_consent=draft.phone_consent,
        photos=[(p[0], p[1]) for p in draft.photos],
        requester_name=draft.requester_name, requester_phone=draft.requester_phone, voices=voices_of(draft),
    )
    async with context.db.session() as session:
        try:
            if draft.on_behalf:
                intake = await svc.create_case(
                    session, data=data, table=context.routing, now=utcnow(), admin_ids=context.settings.admin_ids,
                    recorded_by_member_id=identity.member_id, policy=context.policies.case,
                )
            else:
                resident = await touch_resident(session, telegram_id=user.id, display_name=user.full_name,
                                                username=user.username)
                intake = await svc.create_case(
                    session, data=data, table=context.routing, now=utcnow(), admin_ids=context.settings.admin_ids,
                    resident_id=resident.id, via_member_id=via if isinstance(via, int) else None,
                    allow_duplicate=draft.duplicate_ok, policy=context.policies.case, reception_id=draft.reception_id,
                )
        except CaseProblem as problem:
            await session.rollback()
            if problem.code == "duplicate":
                return await ask_duplicate(update, context, draft, problem)
            await reply(update, case_problem_text(problem))
            if problem.code == "daily_limit":
                return await FORM.end(update, context)
            return await show_card(update, context, draft)
        if not draft.reception_id:
            context.user_data.pop(VIA_MEMBER_KEY, None)  # the link routes one request, as its card says
        notices = Notices(session, now=utcnow())
        if not draft.on_behalf:
            await routing(notices, context, intake, resident_key=None)
        confirm = await FORM.end_in(session, update, context)
        await session.commit()
        confirm()
        state = ConversationHandler.END
        case = intake.case
        who = await member_name_sector(session, intake.member_id)
    context.mark_saved(update, t("req_submitted_short", number=case.number))
    try:
        if draft.on_behalf:
            await reply(update, t("req_recorded", number=case.number), member_keyboard())
        elif who:
            await reply(update, t("req_submitted", number=case.number, name=who[0], sector=who[1]),
                        main_keyboard(context))
        else:
            await reply(update, t("req_submitted_staff", number=case.number), main_keyboard(context))
    except TelegramError as exc:
        log.warning("case %s saved, but the reply failed: %s", case.number, exc)
    await notices.send(context)
    return state


def build(settings: Settings) -> ConversationHandler:
    form = FormButton.pattern(FORM.name)
    return FORM.handler(
        entry_points=[
            CommandHandler("request", start_request, filters=PRIVATE),
            MessageHandler(PRIVATE & REQUEST_BUTTON, start_request),
            CommandHandler("record", start_record, filters=PRIVATE),
            CallbackQueryHandler(start_from_checkin, pattern=CheckinButton.pattern(CheckinAction.request)),
        ],
        states={
            Step.REQUESTER: [MessageHandler(TEXT, on_requester)],
            Step.REQUESTER_PHONE: [CallbackQueryHandler(on_requester_phone_skip, pattern=form),
                                   MessageHandler(TEXT, on_requester_phone)],
            Step.CATEGORY: [CallbackQueryHandler(on_category, pattern=form)],
            Step.REGION: [CallbackQueryHandler(on_region_button, pattern=form), MessageHandler(TEXT, on_region_text),
                          MessageHandler(PRIVATE & filters.LOCATION, on_location)],
            Step.DESCRIPTION: [MessageHandler(TEXT, on_description), MessageHandler(VOICE, on_voice),
                               CallbackQueryHandler(on_voice_done, pattern=form)],
            Step.CONTACT: [MessageHandler(PRIVATE & filters.CONTACT, on_contact),
                           CallbackQueryHandler(on_contact_button, pattern=form),
                           MessageHandler(TEXT, contact_expected)],
            Step.CONSENT: [CallbackQueryHandler(on_consent, pattern=form)],
            **FORM.record_states(
                photo_limit=svc.MAX_PHOTOS, ask_photos=ask_photos,
                after_photos=lambda u, c, d: advance(u, c, d, Step.PHOTOS), card=show_card, submit=submit,
                cancel=cancel, field_names=fields_of, asks=FIELD_STEPS,
            ),
        },
        cancel=cancel,
        restart=[CommandHandler("request", restart, filters=PRIVATE),
                 MessageHandler(PRIVATE & REQUEST_BUTTON, restart)],
        timeout_minutes=settings.conversation_timeout_minutes,
    )
