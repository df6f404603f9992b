"""Reception days (委员接待日) in the chat, outside the /reception form: residents find them, sign up and cancel;
members see, cancel and see who signed up for the days they hold.

/receptions or 📅 接待日: share a location (nearest first), drill down by region, or — after a member's 找我反映
link — that member's days. 报名 takes two taps: the day, then 报名 (with or without the saved phone, which the
member sees only when the resident chose so). /myreceptions: a member's coming days with 修改 (the form in
handlers/reception_form.py), 取消 (everyone signed up is told through the outbox, in the same commit) and
报名名单.
"""

from __future__ import annotations

import logging

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update

from bot.callbacks import ReceptionAction, ReceptionButton
from bot.context import LianxinContext
from bot.sending import send_now
from bot.services import outbox
from bot.services import receptions as svc
from bot.services.access import touch_resident
from bot.services.cases import mask_phone
from bot.services.contacts import member_name_sector, resident_for
from bot.services.places import region_children
from bot.services.receptions import ReceptionPolicy, ReceptionProblem, ReceptionView
from bot.texts import Safe, label, t
from handlers.menus import member_keyboard, resident_keyboard
from handlers.reception_form import problem_text, scheduler_of
from handlers.request import VIA_MEMBER_KEY
from handlers.views import chunked, edit_text, keyboard
from models import Reception, ReceptionStatus, Region, utcnow

log = logging.getLogger(__name__)


def _data(action: ReceptionAction, arg: int = 0, flag: int = 0) -> str:
    return ReceptionButton(action, arg, flag).pack()


async def _main_keyboard(context: LianxinContext) -> ReplyKeyboardMarkup:
    if context.identity.is_member:
        return member_keyboard()
    async with context.db.session() as session:  # 📱 only for a resident whose phone is not saved yet
        resident = await resident_for(session, context.identity.telegram_id)
    return resident_keyboard(ask_phone=resident is None or not resident.phone)


async def location_keyboard(context: LianxinContext) -> ReplyKeyboardMarkup:
    """The button that shares where the resident is, above their usual menu (which stays usable)."""
    menu = (await _main_keyboard(context)).keyboard
    return ReplyKeyboardMarkup([[KeyboardButton(label("rcp_share_location"), request_location=True)], *menu],
                               resize_keyboard=True, is_persistent=True)


def line_of(index: int, view: ReceptionView, context: LianxinContext, numbered: bool = False) -> str:
    """One day in a list; `numbered`: with its id (编号), which the office's `stations qr --reception` takes."""
    distance = t("rcp_distance", km=f"{view.distance_km:.1f}") if view.distance_km is not None else ""
    seats = (t("rcp_seats_full", taken=view.taken) if view.full else
             t("rcp_seats", taken=view.taken, capacity=view.capacity) if view.capacity else
             t("rcp_seats_open", taken=view.taken))
    number = t("rcp_number", id=view.id) if numbered else ""
    return t("rcp_line", index=index, when=svc.when_text(view.starts_at, view.ends_at, context.settings.tz),
             number=Safe(number), station=view.station, distance=Safe(distance), topic=view.topic,
             member=view.member, seats=Safe(seats))


def list_text(title: str, views: list[ReceptionView], context: LianxinContext, numbered: bool = False) -> str:
    lines = [line_of(i, v, context, numbered) for i, v in enumerate(views, 1)]
    return title + "\n\n" + "\n\n".join(lines)


def view_rows(views: list[ReceptionView]) -> list[list[tuple[str, str]]]:
    return chunked([(label("rcp_open", index=i), _data(ReceptionAction.view, v.id)) for i, v in enumerate(views, 1)],
                   5)


# --- finding reception days ------------------------------------------------------------------------

async def receptions_command(update: Update, context: LianxinContext) -> None:
    """/receptions or 📅 接待日: a member's days when the resident came through their link; then the ways to find
    more (a location, the regions) and their own sign-ups."""
    via = context.user_data.get(VIA_MEMBER_KEY)
    if isinstance(via, int):
        await _member_days(update, context, via)
    async with context.db.session() as session:
        top = await region_children(session, parent_id=None)
    rows = chunked([(r.name, _data(ReceptionAction.region, r.id)) for r in top], 3)
    rows.append([(label("rcp_mine"), _data(ReceptionAction.mine))])
    await update.effective_chat.send_message(t("rcp_find_location"), reply_markup=await location_keyboard(context))
    await update.effective_chat.send_message(t("rcp_find_region"), reply_markup=keyboard(rows))


async def _member_days(update: Update, context: LianxinContext, member_id: int) -> None:
    async with context.db.session() as session:
        who = await member_name_sector(session, member_id)
        views = await svc.of_member(session, member_id=member_id, now=utcnow())
    if who is None:
        return
    if not views:
        await update.effective_chat.send_message(t("rcp_member_none", name=who[0]))
        return
    await update.effective_chat.send_message(list_text(t("rcp_member_title", name=who[0]), views, context),
                                             reply_markup=keyboard(view_rows(views)))


async def on_location(update: Update, context: LianxinContext) -> None:
    """A location shared outside any form: the coming reception days nearest to it."""
    location = update.effective_message.location
    async with context.db.session() as session:
        views = await svc.nearest(session, latitude=location.latitude, longitude=location.longitude, now=utcnow())
    if not views:
        await update.effective_chat.send_message(t("rcp_none_coming"), reply_markup=await _main_keyboard(context))
        return
    await update.effective_chat.send_message(t("rcp_nearest_intro"), reply_markup=await _main_keyboard(context))
    await update.effective_chat.send_message(list_text(t("rcp_nearest_title"), views, context),
                                             reply_markup=keyboard(view_rows(views)))


async def _region(update: Update, context: LianxinContext, region_id: int) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        region = await session.get(Region, region_id) if region_id else None
        if region_id and region is None:
            await query.answer(t("stale_button"), show_alert=True)
            return
        children = await region_children(session, parent_id=region_id or None)
        views = await svc.in_region(session, region_id=region_id, now=utcnow()) if region else []
    await query.answer()
    rows = view_rows(views)
    rows += chunked([(r.name, _data(ReceptionAction.region, r.id)) for r in children], 3)
    if region is not None:
        rows.append([(label("region_up"), _data(ReceptionAction.region, region.parent_id or 0))])
    if region is None:
        text = t("rcp_find_region")
    elif views:
        text = list_text(t("rcp_region_title", path=region.path), views, context)
    else:
        text = t("rcp_region_none", path=region.path)
    await update.effective_chat.send_message(text, reply_markup=keyboard(rows))


async def _view(update: Update, context: LianxinContext, reception_id: int) -> None:
    query = update.callback_query
    user = update.effective_user
    async with context.db.session() as session:
        view = await svc.reception_view(session, reception_id)
        resident = await resident_for(session, user.id)
        mine = resident is not None and await svc.signed_up(session, reception_id=reception_id,
                                                               resident_id=resident.id)
    if view is None:
        await query.answer(t("rcp_problem_not_found"), show_alert=True)
        return
    await query.answer()
    text = t("rcp_detail", station=view.station, address=view.address or "—", region=view.region or "—",
             when=svc.when_text(view.starts_at, view.ends_at, context.settings.tz), topic=view.topic,
             member=view.member, seats=Safe(line_seats(view)))
    rows: list[list[tuple[str, str]]] = []
    now = utcnow()
    if view.status is not ReceptionStatus.scheduled:
        text += "\n" + t("rcp_problem_cancelled")
    elif view.ends_at <= now:
        text += "\n" + t("rcp_problem_over")
    elif mine:
        text += "\n" + t("rcp_you_signed_up")
        rows.append([(label("rcp_unsign"), _data(ReceptionAction.unsign, view.id))])
    elif view.full:
        text += "\n" + t("rcp_problem_full", capacity=view.capacity)
    else:
        rows.append([(label("rcp_signup"), _data(ReceptionAction.signup, view.id, 0))])
        if resident is not None and resident.phone:
            rows.append([(label("rcp_signup_phone", phone=mask_phone(resident.phone)),
                          _data(ReceptionAction.signup, view.id, 1))])
        else:
            text += "\n" + t("rcp_phone_hint")
    await update.effective_chat.send_message(text, reply_markup=keyboard(rows) if rows else None)


def line_seats(view: ReceptionView) -> str:
    if view.capacity is None:
        return t("rcp_seats_open", taken=view.taken)
    return t("rcp_seats_full", taken=view.taken) if view.full else t("rcp_seats", taken=view.taken,
                                                                         capacity=view.capacity)


# --- signing up ---------------------------------------------------------------------------------------

async def _signup(update: Update, context: LianxinContext, reception_id: int, with_phone: bool) -> None:
    query = update.callback_query
    user = update.effective_user
    now = utcnow()
    async with context.db.session() as session:
        resident = await touch_resident(session, telegram_id=user.id, display_name=user.full_name,
                                        username=user.username)
        phone = resident.phone if with_phone else None
        try:
            await svc.sign_up(session, reception_id=reception_id, resident_id=resident.id, phone=phone, now=now)
        except ReceptionProblem as problem:
            await session.rollback()
            await query.answer(problem_text(problem), show_alert=True)
            await update.effective_chat.send_message(problem_text(problem))
            return
        await session.commit()
        view = await svc.reception_view(session, reception_id)
    await query.answer()
    policy = ReceptionPolicy.from_settings(context.settings)
    reminder = t("rcp_signed_up_reminder") if policy.reminds_later(view.starts_at, now) else t("rcp_signed_up_soon")
    await edit_text(query, t("rcp_signed_up", station=view.station, address=view.address or "—",
                             when=svc.when_text(view.starts_at, view.ends_at, context.settings.tz), topic=view.topic,
                             phone=t("rcp_phone_shared", phone=phone) if phone else t("rcp_phone_not_shared"),
                             reminder=Safe(reminder)),
                    reply_markup=keyboard([[(label("rcp_unsign"), _data(ReceptionAction.unsign, reception_id))]]))


async def _unsign(update: Update, context: LianxinContext, reception_id: int) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        resident = await resident_for(session, update.effective_user.id)
        try:
            done = resident is not None and await svc.cancel_signup(session, reception_id=reception_id,
                                                                    resident_id=resident.id, now=utcnow())
        except ReceptionProblem:  # the day was cancelled by its side: said so, nothing changes
            await session.rollback()
            done = None
        await session.commit()
        view = await svc.reception_view(session, reception_id)
    if done is None and view is not None:
        text = t("rcp_unsign_day_cancelled", station=view.station,
                 when=svc.when_text(view.starts_at, view.ends_at, context.settings.tz))
        await query.answer(text, show_alert=True)
        await edit_text(query, text)
        return
    if not done or view is None:
        await query.answer(t("rcp_not_signed_up"), show_alert=True)
        return
    await query.answer()
    await edit_text(query, t("rcp_unsigned", station=view.station,
                             when=svc.when_text(view.starts_at, view.ends_at, context.settings.tz)))


async def _mine(update: Update, context: LianxinContext) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        resident = await resident_for(session, update.effective_user.id)
        views = await svc.signups_of(session, resident_id=resident.id, now=utcnow()) if resident else []
    if query is not None:
        await query.answer()
    if not views:
        await update.effective_chat.send_message(t("rcp_mine_none"))
        return
    await update.effective_chat.send_message(list_text(t("rcp_mine_title"), views, context),
                                             reply_markup=keyboard(view_rows(views)))


async def mysignups_command(update: Update, context: LianxinContext) -> None:
    """/mysignups: the coming reception days the resident signed up for."""
    await _mine(update, context)


# --- the member's reception days ----------------------------------------------------------------------

async def myreceptions_command(update: Update, context: LianxinContext) -> None:
    """/myreceptions: the coming reception days the member holds (or the coordinator scheduled)."""
    who = scheduler_of(context)
    if who.member_id is None and not who.staff:
        await update.effective_chat.send_message(t("rcv_not_allowed"))
        return
    async with context.db.session() as session:
        views = await svc.managed_by(session, who, now=utcnow())
    if not views:
        await update.effective_chat.send_message(t("rcp_held_none"))
        return
    rows = []
    for i, v in enumerate(views, 1):
        rows.append([(label("rcp_edit", index=i), _data(ReceptionAction.edit, v.id)),
                     (label("rcp_cancel", index=i), _data(ReceptionAction.cancel, v.id)),
                     (label("rcp_attendees", index=i), _data(ReceptionAction.attendees, v.id))])
    await update.effective_chat.send_message(list_text(t("rcp_held_title"), views, context, numbered=True),
                                             reply_markup=keyboard(rows))


async def _cancel_ask(update: Update, context: LianxinContext, reception_id: int) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        try:
            await svc.managed(session, scheduler_of(context), reception_id, utcnow())
        except ReceptionProblem as problem:
            await query.answer(problem_text(problem), show_alert=True)
            return
        view = await svc.reception_view(session, reception_id)
    await query.answer()
    rows = [[(label("rcp_cancel_ok"), _data(ReceptionAction.cancel_ok, reception_id))]]
    await update.effective_chat.send_message(
        t("rcp_cancel_question", station=view.station, when=svc.when_text(view.starts_at, view.ends_at,
                                                                          context.settings.tz), count=view.taken),
        reply_markup=keyboard(rows))


async def _cancel(update: Update, context: LianxinContext, reception_id: int) -> None:
    """Cancel the day and tell everyone signed up, in one commit; the notices are sent right after it."""
    query = update.callback_query
    claim = outbox.claim_token()
    policy = ReceptionPolicy.from_settings(context.settings)
    async with context.db.session() as session:
        try:
            reception, told = await svc.cancel(session, who=scheduler_of(context), reception_id=reception_id,
                                               now=utcnow(), policy=policy, claim=claim)
        except ReceptionProblem as problem:
            await session.rollback()
            await query.answer(problem_text(problem), show_alert=True)
            return
        await session.commit()
    await query.answer()
    await edit_text(query, t("rcp_cancel_done", when=svc.when_text(reception.starts_at, reception.ends_at, policy.tz),
                             count=told))
    await send_now(context.application, context.db, claim)


async def _attendees(update: Update, context: LianxinContext, reception_id: int) -> None:
    """Who signed up: a resident who chose to leave their phone is named with it (the member on duty sees it
    whole, staff masked); the others are counted, never named (as case cards never name a resident)."""
    query = update.callback_query
    who = scheduler_of(context)
    async with context.db.session() as session:
        reception = await session.get(Reception, reception_id)
        allowed = reception is not None and await svc.may_manage(session, who, reception)
        people, checkins = await svc.attendees(session, reception_id=reception_id) if allowed else ([], 0)
        view = await svc.reception_view(session, reception_id) if allowed else None
    if not allowed:
        await query.answer(t("rcp_problem_not_found"), show_alert=True)
        return
    await query.answer()
    on_duty = who.member_id is not None and reception.member_id == who.member_id
    lines = [(t("rcp_attendee", index=i, name=p.name, phone=p.phone if on_duty else mask_phone(p.phone))
              if p.phone else t("rcp_attendee_anonymous", index=i))
             + (t("rcp_attendee_checked_in") if p.checked_in else "") for i, p in enumerate(people, 1)]
    title = t("rcp_attendees_title", station=view.station,
              when=svc.when_text(view.starts_at, view.ends_at, context.settings.tz), count=len(people))
    if checkins:
        title += t("rcp_attendees_checkins", checkins=checkins)
    await update.effective_chat.send_message("\n".join([title, *lines]) if lines else title)


# --- the buttons ---------------------------------------------------------------------------------------

async def on_button(update: Update, context: LianxinContext) -> None:
    """Every reception button but 修改 (which opens the form); the services decide who may do what."""
    query = update.callback_query
    button = ReceptionButton.parse(query.data or "")
    if button is None:
        await query.answer(t("stale_button"), show_alert=True)
        return
    action = button.action
    if action is ReceptionAction.region:
        await _region(update, context, button.arg)
    elif action is ReceptionAction.view:
        await _view(update, context, button.arg)
    elif action is ReceptionAction.signup:
        await _signup(update, context, button.arg, button.flag == 1)
    elif action is ReceptionAction.unsign:
        await _unsign(update, context, button.arg)
    elif action is ReceptionAction.mine:
        await _mine(update, context)
    elif action is ReceptionAction.member:
        await query.answer()
        await _member_days(update, context, button.arg)
    elif action is ReceptionAction.cancel:
        await _cancel_ask(update, context, button.arg)
    elif action is ReceptionAction.cancel_ok:
        await _cancel(update, context, button.arg)
    elif action is ReceptionAction.attendees:
        await _attendees(update, context, button.arg)
    else:
        await query.answer(t("stale_button"), show_alert=True)


ACTIONS = tuple(a for a in ReceptionAction if a is not ReceptionAction.edit)
