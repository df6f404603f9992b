"""/start: deep-link binding for members, welcome and menu for everyone."""

from __future__ import annotations

from datetime import timedelta

from telegram import ReplyKeyboardRemove, Update

from bot.callbacks import ReceptionAction, ReceptionButton
from bot.context import LianxinContext
from bot.services.access import BindOutcome, bind_member, member_profile, touch_resident
from bot.services.cases import member_for_link, parse_link_payload
from bot.services.contacts import member_name_sector
from bot.services.identity import identify
from bot.services.receptions import of_member
from bot.services.roster import normalise_phone
from bot.texts import LEVEL_NAMES, label, t
from handlers.menus import member_keyboard, resident_keyboard, role_names, set_menu
from handlers.request import VIA_MEMBER_KEY
from handlers.views import keyboard
from models import Member, utcnow

BIND_TEXTS = {
    BindOutcome.invalid: "bind_invalid",
    BindOutcome.expired: "bind_expired",
    BindOutcome.used: "bind_used",
    BindOutcome.member_taken: "bind_member_taken",
}


async def shared_contact(update: Update, context: LianxinContext) -> None:
    """A resident shares their own phone number, to be reachable about their requests."""
    message = update.effective_message
    contact = message.contact
    user = update.effective_user
    if contact.user_id != user.id:
        await message.reply_text(t("contact_not_own"))
        return
    phone = normalise_phone(contact.phone_number)
    if phone is None:
        await message.reply_text(t("contact_bad_phone"))
        return
    async with context.db.session() as session:
        await touch_resident(
            session, telegram_id=user.id, display_name=user.full_name, username=user.username, phone=phone
        )
        await session.commit()
    keep = member_keyboard() if context.identity and context.identity.is_member else resident_keyboard(ask_phone=False)
    await message.reply_text(t("contact_saved", phone=phone), reply_markup=keep)


async def start(update: Update, context: LianxinContext) -> None:
    """Bind with a code if one came with the link; then greet by role and set the menu."""
    user = update.effective_user
    message = update.effective_message
    settings = context.settings
    token = parse_link_payload(context.args[0]) if context.args else None
    if token is not None:  # a member's 找我反映 link: the next request goes straight to them
        async with context.db.session() as session:
            member = await member_for_link(session, token=token)
            who = await member_name_sector(session, member.id) if member else None
            days = await of_member(session, member_id=member.id, now=utcnow(), limit=1) if who else []
        if who:
            context.user_data[VIA_MEMBER_KEY] = member.id
            # the member's coming reception days, one tap away (the link stands for the member)
            markup = keyboard([[(label("rcp_member_days", name=who[0]),
                                 ReceptionButton(ReceptionAction.member, member.id).pack())]]) if days else None
            await message.reply_text(t("req_via_member", name=who[0], sector=who[1]) + "\n" + t("start_via_member"),
                                     reply_markup=markup)
        else:
            await message.reply_text(t("start_link_unknown"))
    elif context.args:
        code = context.args[0]
        async with context.db.session() as session:
            result = await bind_member(
                session,
                telegram_id=user.id,
                code=code,
                max_failures=settings.bind_max_failures,
                lockout=timedelta(minutes=settings.bind_lockout_minutes),
            )
            await session.commit()
            if result.outcome is BindOutcome.locked:
                await message.reply_text(t("bind_locked", minutes=settings.bind_lockout_minutes))
                return
            if result.outcome is BindOutcome.account_taken:
                member = await session.get(Member, result.member_id) if result.member_id else None
                await message.reply_text(t("bind_account_taken", name=member.name if member else ""))
            elif result.outcome in BIND_TEXTS:
                await message.reply_text(t(BIND_TEXTS[result.outcome]))
                return
            elif result.outcome is BindOutcome.bound:
                await message.reply_text(t("bound_ok"))
            context.identity = await identify(session, user.id, settings.admin_ids)

    identity = context.identity
    assert identity is not None
    # the menu first, so it is in place when the greeting arrives
    await set_menu(context.application, update.effective_chat.id, identity)
    async with context.db.session() as session:
        if identity.is_member:
            profile = await member_profile(session, identity.member_id)
            assert profile is not None
            text = t(
                "welcome_member",
                name=profile.name,
                sector=profile.sector,
                group=profile.group or "—",
                level=LEVEL_NAMES[profile.level],
                region=profile.region or "—",
                points="、".join(profile.contact_points) or "—",
            )
            await message.reply_text(text, reply_markup=member_keyboard())
        elif identity.as_staff() is not None:  # staff are not residents
            await message.reply_text(t("welcome_staff", name=user.full_name, roles=role_names(identity)),
                                     reply_markup=ReplyKeyboardRemove())
        else:
            await touch_resident(
                session, telegram_id=user.id, display_name=user.full_name, username=user.username
            )
            await session.commit()
            await message.reply_text(t("welcome_resident", name=user.full_name), reply_markup=resident_keyboard())
