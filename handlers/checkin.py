"""Check-in at the door of a reception day: `/start c_<token>` for whoever scans, and /checkin_qr, the
member's poster of the day's link. The request raised after a check-in is the request form's
(handlers/request.py), the day's activity card the /log form's (handlers/log_activity.py)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.callbacks import CheckinAction, CheckinButton
from bot.context import LianxinContext
from bot.persistence import SQLPersistence
from bot.services.access import touch_resident
from bot.services.cards import checkin_poster_png
from bot.services.checkin import (
    CheckinOutcome,
    CheckinPolicy,
    ReceptionView,
    check_in,
    checkin_payload,
    coming_receptions,
    issue_token,
    parse_checkin_payload,
    reception_view,
)
from bot.services.contacts import member_name_sector
from bot.services.identity import Identity
from bot.texts import label, t
from handlers.menus import resident_keyboard, set_menu
from handlers.views import checked_press, drop_buttons, keyboard
from models import ReceptionStatus, utcnow

log = logging.getLogger(__name__)


def policy_of(context: LianxinContext) -> CheckinPolicy:
    return CheckinPolicy.from_settings(context.settings)


async def checkin_start(update: Update, context: LianxinContext) -> None:
    """`/start c_<token>`: count the sender at the reception day, once. The check-in and the inbox's done mark
    of this update are one commit, so a kill -9 before it leaves the update to be handled again, after it
    leaves nothing to do twice."""
    user = update.effective_user
    message = update.effective_message
    policy = policy_of(context)
    token = parse_checkin_payload(context.args[0]) if context.args else None
    if token is None:
        await message.reply_text(t("checkin_invalid"))
        return
    now = utcnow()
    async with context.db.session() as session:
        resident = await touch_resident(session, telegram_id=user.id, display_name=user.full_name,
                                        username=user.username)
        first_time = resident.created_at == resident.last_seen_at
        result = await check_in(session, token=token, resident_id=resident.id, now=now, policy=policy)
        persistence = context.application.persistence
        marked = isinstance(persistence, SQLPersistence) and await persistence.stage(session, [])
        await session.commit()
        if marked:
            persistence.confirm([], marked=True)
        who = await member_name_sector(session, result.view.reception.member_id) if result.view else None
    if result.flagged:
        log.warning("reception %s: more than %d check-ins within a minute; flagged", result.view.id, policy.burst)
    if first_time and context.identity is not None:  # someone new: their command menu, as /start gives it
        await set_menu(context.application, update.effective_chat.id, context.identity)
    view = result.view
    if result.outcome == CheckinOutcome.invalid or view is None:
        await message.reply_text(t("checkin_invalid"))
    elif result.outcome == CheckinOutcome.not_open:
        opens = result.opens_at.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M")
        await message.reply_text(t("checkin_not_open", opens=opens))
    elif result.outcome == CheckinOutcome.closed:
        await message.reply_text(t("checkin_closed"))
    else:
        button = keyboard([[(label("checkin_request"), CheckinButton(CheckinAction.request, view.id).pack())]])
        if result.outcome == CheckinOutcome.already:
            await message.reply_text(t("checkin_already", station=view.station.name, span=view.span(policy.tz)),
                                     reply_markup=button)
        else:
            await message.reply_text(t("checkin_counted", station=view.station.name, span=view.span(policy.tz),
                                       topic=view.reception.topic, name=who[0] if who else ""), reply_markup=button)
    identity = context.identity
    if first_time and identity is not None and not identity.is_member and identity.as_staff() is None:
        # scanning started the bot: the resident's menu buttons, as /start would show them
        await message.reply_text(t("welcome_resident", name=user.full_name), reply_markup=resident_keyboard())


async def checkin_qr_command(update: Update, context: LianxinContext) -> None:
    """/checkin_qr: the member's coming reception days, a button each for its check-in poster."""
    identity = context.identity
    if identity is None or not identity.is_member:
        await update.effective_message.reply_text(t("checkin_qr_members_only"))
        return
    async with context.db.session() as session:
        days = await coming_receptions(session, member_id=identity.member_id, now=utcnow(), policy=policy_of(context))
    if not days:
        await update.effective_message.reply_text(t("checkin_qr_none"))
        return
    tz = context.settings.tz
    rows = [[(f"{d.span(tz)} {d.station.name}"[:60], CheckinButton(CheckinAction.qr, d.id).pack())] for d in days]
    await update.effective_message.reply_text(t("checkin_qr_choose"), reply_markup=keyboard(rows))


def _usable(view: ReceptionView | None, identity: Identity, context: LianxinContext) -> bool:
    if view is None or view.reception.member_id != identity.member_id:
        return False
    return (view.reception.status == ReceptionStatus.scheduled
            and utcnow() < policy_of(context).closes_at(view.reception))


async def on_qr_button(update: Update, context: LianxinContext) -> None:
    """A reception day's poster: issued at the first press; later, replacing the token is asked first."""
    button = await checked_press(update, CheckinButton, allowed=context.identity.is_member,
                                 refusal="checkin_qr_members_only",
                                 refused_log=f"qr refused to {update.effective_user.id}")
    if button is None:
        return
    await update.callback_query.answer()
    if button.action == CheckinAction.rotate:  # used once: a second tap would kill the poster just printed
        await drop_buttons(update)
    chat = update.effective_chat
    async with context.db.session() as session:
        view = await reception_view(session, button.reception_id)
        if not _usable(view, context.identity, context):
            await chat.send_message(t("checkin_qr_stale"))
            return
        if button.action == CheckinAction.qr and view.reception.checkin_token_hash is not None:
            rotate = CheckinButton(CheckinAction.rotate, view.id).pack()
            await chat.send_message(t("checkin_qr_issued_before"),
                                    reply_markup=keyboard([[(label("checkin_rotate"), rotate)]]))
            return
        token = await issue_token(session, reception=view.reception, now=utcnow())
        username = context.bot.username
        tz = context.settings.tz
        link = f"https://t.me/{username}?start={checkin_payload(token)}"
        # drawing takes a moment of CPU: off the event loop
        png = await asyncio.to_thread(checkin_poster_png, station=view.station.name, span=view.span(tz),
                                      topic=view.reception.topic, link=link)
        await session.commit()  # the token is kept only once its poster exists
    # as a file: a photo would be recompressed to JPEG, and the poster is for printing at 300 DPI
    await chat.send_document(png, filename=f"checkin_{view.id}.png",
                             caption=t("checkin_qr_caption", station=view.station.name, span=view.span(tz)))
