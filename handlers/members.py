"""/member (admins): find a member, see their record, re-issue an invite, deactivate or reactivate.

Telegram glue only: who may do what is decided by `bot.services.member_admin`, which refuses
everyone but admins, so a forged button gets the same refusal as a coordinator typing /member.
"""

from __future__ import annotations

import logging
import secrets

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, TelegramError

from bot.callbacks import MemberAction, MemberButton
from bot.context import LianxinContext
from bot.services import member_admin as svc
from bot.services.cards import invite_file_name, invite_slip_png
from bot.services.cases import age_days
from bot.services.identity import identify
from bot.services.lifecycle import Actor, Role
from bot.services.member_admin import MemberAdminProblem
from bot.services.rules import local_today
from bot.texts import CASE_STATUS_NAMES, LEVEL_NAMES, Safe, label, t
from handlers.case_cards import Notices, routing
from handlers.forms import reply
from handlers.menus import set_menu
from handlers.views import checked_press, drop_buttons, keyboard, paging, standing_text
from models import utcnow

log = logging.getLogger(__name__)
PAGE = 8
POINTS_SHOWN = 10
SEARCH_KEY = "member_search"  # user_data: the last search's text and the token its page buttons carry


def staff_actor(context: LianxinContext) -> Actor | None:
    """The sender as staff acting on cases and members (`Identity.as_staff`); None for members and residents."""
    staff = context.identity.as_staff()
    return None if staff is None else Actor.for_staff(staff)


def problem_text(problem: MemberAdminProblem) -> str:
    return t(f"mbr_{problem.code}", **problem.detail)


# --- search ----------------------------------------------------------------------------------------

async def results(context: LianxinContext, actor: Actor, query: str, token: int, offset: int
                  ) -> tuple[str | None, InlineKeyboardMarkup | None, int | None]:
    """(text, markup, single member id or None) for one page of a search."""
    async with context.db.session() as session:
        hits, total = await svc.find_members(session, actor=actor, query=query, offset=offset, limit=PAGE)
    if not total:
        return t("mbr_none", query=query), None, None
    if total == 1 and offset == 0:
        return None, None, hits[0].id
    rows = []
    for hit in hits:
        mark = label("mbr_mark_inactive") if not hit.active else ("" if hit.bound else label("mbr_mark_unbound"))
        rows.append([(label("mbr_pick", name=hit.name, number=hit.number, mark=mark),
                      MemberButton(MemberAction.view, hit.id).pack())])
    pages = paging(offset, total, PAGE, lambda at: MemberButton(MemberAction.page, token, at).pack())
    if pages:
        rows.append(pages)
    text = t("mbr_results", total=total, start=offset + 1, end=offset + len(hits))
    return text, keyboard(rows), None


async def member_command(update: Update, context: LianxinContext) -> None:
    """/member <姓名或编号>: the member, or a list to choose from; without a query, how to ask."""
    actor = staff_actor(context)
    if actor is None:
        await update.effective_message.reply_text(t("mbr_admins_only"))
        return
    query = " ".join(context.args or [])
    if not query.strip():
        await update.effective_message.reply_text(t("mbr_prompt"))
        return
    token = secrets.randbelow(2**31 - 1) + 1
    try:
        text, markup, single = await results(context, actor, query, token, 0)
    except MemberAdminProblem as problem:
        await update.effective_message.reply_text(problem_text(problem))
        return
    context.user_data[SEARCH_KEY] = {"query": " ".join(query.split()), "token": token}
    if single is not None:
        await show_record(update, context, actor, single)
        return
    await update.effective_message.reply_text(text, reply_markup=markup)


# --- the record ----------------------------------------------------------------------------------

def record_buttons(record: svc.MemberRecord) -> list[list[tuple[str, str]]]:
    member_id = record.profile.id
    row = []
    if record.active and not record.bound:
        row.append((label("mbr_reissue"), MemberButton(MemberAction.reissue, member_id).pack()))
    if record.active:
        row.append((label("mbr_deactivate"), MemberButton(MemberAction.deactivate, member_id).pack()))
    else:
        row.append((label("mbr_reactivate"), MemberButton(MemberAction.reactivate, member_id).pack()))
    return [row]


def points_text(points: tuple[str, ...]) -> str:
    """The contact points, the first POINTS_SHOWN of them (members may add many by chat; the message must fit)."""
    shown = "、".join(points[:POINTS_SHOWN])
    return shown + (t("mbr_points_more", count=len(points)) if len(points) > POINTS_SHOWN else "")


def record_text(context: LianxinContext, record: svc.MemberRecord) -> str:
    profile = record.profile
    none = t("mbr_none_value")
    now = utcnow()
    if not record.bound:
        bound = t("mbr_bound_no")
    else:
        at = record.bound_at.astimezone(context.settings.tz).strftime("%Y-%m-%d") if record.bound_at else ""
        bound = t("mbr_bound_yes", at=at)
    reach = (t("mbr_reach_blocked") if record.blocked else t("mbr_reach_ok")) if record.bound else ""
    cases = "\n".join(
        t("mbr_case_line", number=c.number, category=c.category, status=CASE_STATUS_NAMES[c.status.value],
          age=age_days(c.created_at, now)) for c in record.open_cases
    ) or none
    return t(
        "mbr_record", name=profile.name, number=profile.number,
        inactive=Safe(t("mbr_inactive")) if not record.active else "",
        sector=profile.sector, group=profile.group or none, level=LEVEL_NAMES[profile.level],
        region=profile.region or none, phone=record.phone or none,
        points=points_text(profile.contact_points) or none, bound=Safe(bound), reach=Safe(reach),
        codes=t("mbr_codes", count=record.open_codes), last=record.last_activity.isoformat() if record.last_activity
        else none, standing=Safe(standing_text(record.standing)), cases=Safe(cases),
    )


async def show_record(update: Update, context: LianxinContext, actor: Actor, member_id: int) -> None:
    settings = context.settings
    now = utcnow()
    async with context.db.session() as session:
        record = await svc.member_record(
            session, actor=actor, member_id=member_id, today=local_today(now, settings.tz), now=now,
            quarter_target=context.policies.duty.quarter_target, year_target=context.policies.duty.year_target)
    await reply(update, record_text(context, record), keyboard(record_buttons(record)))


# --- buttons -------------------------------------------------------------------------------------

async def on_button(update: Update, context: LianxinContext) -> None:
    """Every /member button: parsed by the codec, checked (admins only) by the service."""
    query = update.callback_query
    button = await checked_press(update, MemberButton)
    if button is None:
        return
    # not staff: an actor the service refuses (and logs with this Telegram id)
    actor = staff_actor(context) or Actor(Role.resident, context.identity.telegram_id)
    try:
        if button.action is MemberAction.page:
            await _page(update, context, actor, button)
        elif button.action is MemberAction.view:
            await show_record(update, context, actor, button.member_id)
            await query.answer()
        elif button.action is MemberAction.reissue:
            await _reissue(update, context, actor, button.member_id)
        elif button.action in (MemberAction.deactivate, MemberAction.reactivate):
            await _confirm(update, context, actor, button)
        elif button.action is MemberAction.deactivate_ok:
            await _deactivate(update, context, actor, button.member_id)
        else:
            await _reactivate(update, context, actor, button.member_id)
    except MemberAdminProblem as problem:
        await query.answer(problem_text(problem), show_alert=True)


async def _page(update: Update, context: LianxinContext, actor: Actor, button: MemberButton) -> None:
    query = update.callback_query
    search = context.user_data.get(SEARCH_KEY) or {}
    if search.get("token") != button.member_id:  # a page of an older search
        await query.answer(t("stale_button"), show_alert=True)
        return
    text, markup, _ = await results(context, actor, search["query"], button.member_id, min(button.arg, 10**6))
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        pass


async def _reissue(update: Update, context: LianxinContext, actor: Actor, member_id: int) -> None:
    query = update.callback_query
    now = utcnow()
    async with context.db.session() as session:
        issued, replaced = await svc.reissue_invite(session, actor=actor, member_id=member_id,
                                                    ttl_days=context.settings.invite_ttl_days, now=now)
        await session.commit()
    await query.answer()
    await drop_buttons(update)
    link = f"https://t.me/{context.bot.username}?start={issued.code}"
    until = issued.expires_at.astimezone(context.settings.tz).strftime("%Y-%m-%d %H:%M")
    await reply(update, t("mbr_reissued", name=issued.name, number=issued.number, until=until, link=link,
                          replaced=replaced))
    try:
        await context.bot.send_photo(
            update.effective_chat.id,
            InputFile(invite_slip_png(name=issued.name, number=issued.number, until=until, link=link),
                      filename=invite_file_name(number=issued.number, name=issued.name)),
            caption=t("mbr_qr_caption", name=issued.name, number=issued.number, until=until))
    except TelegramError as exc:  # the link above is enough to bind; never log the link (it holds the code)
        log.warning("could not send the invite QR of member %s: %s", issued.number, type(exc).__name__)


async def _confirm(update: Update, context: LianxinContext, actor: Actor, button: MemberButton) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        if button.action is MemberAction.deactivate:
            member, cases = await svc.deactivation_preview(session, actor=actor, member_id=button.member_id)
            detail = (t("mbr_deactivate_cases", count=len(cases), numbers="、".join(c.number for c in cases))
                      if cases else t("mbr_deactivate_no_cases"))
            text = t("mbr_deactivate_confirm", name=member.name, number=member.number, cases=Safe(detail))
            ok = (label("mbr_deactivate_ok"), MemberButton(MemberAction.deactivate_ok, member.id).pack())
        else:
            member = await svc.reactivation_preview(session, actor=actor, member_id=button.member_id)
            text = t("mbr_reactivate_confirm", name=member.name, number=member.number)
            ok = (label("mbr_reactivate_ok"), MemberButton(MemberAction.reactivate_ok, member.id).pack())
    await query.answer()
    await reply(update, text, keyboard([[ok, (label("cancel"), MemberButton(MemberAction.view, member.id).pack())]]))


async def _deactivate(update: Update, context: LianxinContext, actor: Actor, member_id: int) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        done = await svc.deactivate_member(session, actor=actor, member_id=member_id, table=context.routing,
                                           now=utcnow(), admin_ids=context.settings.admin_ids,
                                           policy=context.policies.case)
        notices = Notices(session, now=utcnow())
        for intake in done.rerouted:  # the new handlers (or the staff) get the case; the resident hears
            await routing(notices, context, intake, resident_key="case_rerouted_resident")
        await session.commit()
    text = t("mbr_deactivated", name=done.member.name, number=done.member.number, cases=len(done.rerouted),
             codes=done.codes_revoked)
    context.mark_saved(update, text)
    await query.answer()
    await drop_buttons(update)
    await reply(update, text)
    await notices.send(context)
    await _refresh_menu(context, done.member.telegram_id)


async def _reactivate(update: Update, context: LianxinContext, actor: Actor, member_id: int) -> None:
    query = update.callback_query
    async with context.db.session() as session:
        member = await svc.reactivate_member(session, actor=actor, member_id=member_id, now=utcnow())
        await session.commit()
    key = "mbr_reactivated_bound" if member.telegram_id is not None else "mbr_reactivated_unbound"
    text = t(key, name=member.name, number=member.number)
    context.mark_saved(update, text)
    await query.answer()
    await drop_buttons(update)
    await reply(update, text)
    await _refresh_menu(context, member.telegram_id)


async def _refresh_menu(context: LianxinContext, telegram_id: int | None) -> None:
    """The person's command menu as their roles are now (a deactivated member keeps only what residents
    and any staff role of theirs have), without waiting for their next /start. Nothing is sent to them."""
    if telegram_id is None:
        return
    async with context.db.session() as session:
        identity = await identify(session, telegram_id, context.settings.admin_ids)
    await set_menu(context.application, telegram_id, identity)
