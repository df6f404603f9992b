"""Workstations and studios in the chat: a member's own stations (the 🏠 button of /my), and /station 名称或编号
for admins and coordinators (a coordinator sees the stations of their regions and those a member of their scope
is on duty at: `stations.station_in_scopes`)."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import StationAction, StationButton, StatsButton, StatsDim, StatsView
from bot.context import LianxinContext
from bot.services import stations as svc
from bot.services.rules import Period, local_today
from bot.services.scopes import Scope
from bot.texts import Safe, cli_text, label, scope_text, t
from handlers.forms import reply
from handlers.views import checked_press, edit_text, fit, keyboard
from models import ReceptionStatus, utcnow

SHOWN = 8
MAX_TEXT = 4096
LAST_STATUS = {ReceptionStatus.scheduled: "stn_last_scheduled", ReceptionStatus.held: "stn_last_held"}


def kind_name(station: svc.StationView) -> str:
    return cli_text(f"station_kind_{station.kind.value}")


def member_name(member: svc.OnDuty) -> str:
    return t("stn_member" if member.active else "stn_member_inactive", name=member.name, number=member.number)


def my_stations_text(stations: list[svc.StationView], member_id: int) -> str:
    if not stations:
        return t("my_stations_none")
    none = t("stn_none_value")
    lines = [t("my_stations_header", count=len(stations))]
    for s in stations:
        others = "、".join(member_name(m) for m in s.members if m.member_id != member_id)
        lines.append(t("my_station_line", name=s.name, kind=kind_name(s), code=s.code, address=s.address or none,
                       phone=s.phone or none, others=others or t("stn_no_others"), done=s.six_done))
    return "\n".join(lines)


async def my_stations(update: Update, context: LianxinContext) -> None:
    """🏠 on /my: the stations the member is on duty at, as a new message."""
    query = update.callback_query
    if not context.identity.is_member:
        await query.answer(t("members_only"), show_alert=True)
        return
    member_id = context.identity.member_id
    async with context.db.session() as session:
        found = await svc.member_stations(session, member_id)  # type: ignore[arg-type] - a member has an id
    await query.answer()
    await update.effective_chat.send_message(my_stations_text(found, member_id))  # type: ignore[arg-type]


def record_text(context: LianxinContext, station: svc.StationView, last: svc.LastReception | None) -> str:
    none = t("stn_none_value")
    tz = context.settings.tz
    if last is None:
        last_text = t("stn_last_none")
    else:
        start, end = last.starts_at.astimezone(tz), last.ends_at.astimezone(tz)
        last_text = t("stn_last", id=last.id, day=f"{start:%Y-%m-%d}", start=f"{start:%H:%M}", end=f"{end:%H:%M}",
                      topic=last.topic, member=last.member_name, checkins=last.checkins,
                      status=Safe(t(LAST_STATUS[last.status])) if last.status in LAST_STATUS else "")
    coordinates = (f"{station.latitude:.5f}, {station.longitude:.5f}"
                   if station.latitude is not None and station.longitude is not None else none)
    six = "　".join(t("stn_six_item", name=svc.HEADER_NAMES[key], value=value or none)
                    for key, value in zip(svc.SIX, station.six, strict=True))
    return t("stn_record", name=station.name, inactive=Safe(t("stn_inactive")) if not station.active else "",
             code=station.code, kind=kind_name(station), region=station.region or none,
             address=station.address or none, phone=station.phone or none, coordinates=coordinates,
             members="、".join(member_name(m) for m in station.members) or none, done=station.six_done,
             six=Safe(six), last=Safe(last_text))


async def show_station(update: Update, context: LianxinContext, station: svc.StationView) -> None:
    async with context.db.session() as session:
        last = await svc.last_reception(session, station.id, now=utcnow())
    await reply(update, record_text(context, station, last))


async def station_command(update: Update, context: LianxinContext) -> None:
    """/station <名称或编号>: the station's record, or the stations to choose from."""
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("stn_staff_only"))
        return
    text = " ".join(context.args or [])
    if not text.strip():
        await update.effective_message.reply_text(t("stn_prompt"))
        return
    async with context.db.session() as session:
        found = await svc.find_stations(session, text, scopes=staff.scopes, limit=SHOWN)
    if not found:
        await update.effective_message.reply_text(t("stn_none", query=" ".join(text.split())))
        return
    if len(found) == 1:
        await show_station(update, context, found[0])
        return
    rows = [[(label("stn_pick", name=s.name, code=s.code, mark=label("stn_mark_inactive") if not s.active else ""),
              StationButton(StationAction.view, s.id).pack())] for s in found[:SHOWN]]
    head = t("stn_results_more", shown=SHOWN) if len(found) > SHOWN else t("stn_results", total=len(found))
    await update.effective_message.reply_text(head, reply_markup=keyboard(rows))


async def on_button(update: Update, context: LianxinContext) -> None:
    """🏠 of /my, and a station picked from /station's list (checked against the scopes again)."""
    button = await checked_press(update, StationButton)
    if button is None:
        return
    if button.action is StationAction.mine:
        await my_stations(update, context)
        return
    query = update.callback_query
    staff = context.identity.as_staff()
    if staff is None:
        await query.answer(t("stn_staff_only"), show_alert=True)
        return
    if button.action is StationAction.stats:
        await stations_in_stats(update, context, staff.scopes, str(button.period))
        return
    async with context.db.session() as session:
        station = await svc.station_view(session, button.station_id, scopes=staff.scopes)
    if station is None:
        await query.answer(t("stn_not_in_scope"), show_alert=True)
        return
    await query.answer()
    await show_station(update, context, station)


# --- /stats: the places in scope --------------------------------------------------------------------------


def stats_text(stats: list[svc.StationStat], *, period: Period, scopes: list[Scope] | None) -> str:
    """Reception days held, check-ins and cases per station (the busiest first), the stations without a reception
    day, and how many have all of the 六有; cut to one message (the whole table: /export's summary)."""
    busy = sorted((s for s in stats if s.receptions), key=lambda s: (-s.receptions, -s.checkins, s.code))
    idle = [s for s in stats if not s.receptions]
    lines = [t("stn_stats_head", period=period.cn_label, scope=scope_text(scopes), stations=len(stats),
               receptions=sum(s.receptions for s in stats), checkins=sum(s.checkins for s in stats),
               cases=sum(s.cases for s in stats), six=sum(1 for s in stats if s.six_done == 6))]
    lines += [t("stn_stats_line", code=s.code, name=s.name, receptions=s.receptions, checkins=s.checkins,
                cases=s.cases, done=s.six_done) for s in busy]
    if idle:
        lines.append(t("stn_stats_idle", count=len(idle)))
        lines += [t("stn_stats_idle_line", code=s.code, name=s.name, done=s.six_done) for s in idle]
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    cut = t("stn_stats_cut")
    return fit(text, MAX_TEXT - len(cut)) + cut


async def stations_in_stats(update: Update, context: LianxinContext, scopes: list[Scope] | None, label_: str) -> None:
    query = update.callback_query
    period = Period.parse(label_)
    if period.first_day > local_today(utcnow(), context.settings.tz):
        await query.answer(t("stats_future"), show_alert=True)
        return
    tz = context.settings.tz
    async with context.db.session() as session:
        stats = await svc.station_stats(session, start=period.start(tz), end=period.end(tz), now=utcnow(),
                                        scopes=scopes)
    back = StatsButton(StatsView.summary, period.label, StatsDim.none, "0").pack()
    await query.answer()
    await edit_text(query, stats_text(stats, period=period, scopes=scopes),
                    reply_markup=keyboard([[(label("stn_stats_back"), back)]]))
