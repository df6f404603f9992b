"""The dashboard's web server: aiohttp on the bot's own event loop, the page's static files and its JSON API.

Every API request carries Telegram's initData (`Authorization: tma <initData>`, never in the URL),
verified by `auth.verify_init_data`; the user id in it becomes an identity through the same cached
lookup as a chat update (`identity.cached_sender`), and `Identity.as_staff` decides, as for /stats: a
resident or an unknown id gets 403. Every figure is a service's (`stats`, `outreach`, `queue`,
`dashboard`) called with the staff's scopes; this module only turns them into JSON. Nothing personal
goes into a log line: refusals log the reason and the Telegram id only.
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.buttons import log_button
from bot.context import LianxinApplication, LianxinContext
from bot.services import queue as queue_svc
from bot.services.cases import Intake, age_days, get_case
from bot.services.contacts import member_name_sector
from bot.services.dashboard import case_flow, member_report, member_year, station_board
from bot.services.duty_report import build_duty_report, filename
from bot.services.identity import Staff, cached_sender
from bot.services.lifecycle import Actor, CaseProblem
from bot.services.outreach import OutOfScope as MemberOutOfScope
from bot.services.outreach import laggard_page, nudge
from bot.services.rules import Period, Quarter, local_today
from bot.services.stations import StationStat, has_stations, verified_people
from bot.services.stats import Dimension, DrillDown, breakdown, parse_group_drill, stats_summary
from bot.services.stats import OutOfScope as DrillOutOfScope
from bot.texts import (
    CASE_STATUS_NAMES,
    QUEUE_REASON_NAMES,
    WEBAPP_PAGE,
    cli_text,
    plain,
    routing_reason,
    scope_text,
    t,
)
from handlers.case_cards import Notices, case_problem_text, routing
from handlers.views import kind_name
from handlers.webapp.auth import InitDataRefused, verify_init_data
from models import utcnow

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
LAGGARD_PAGE = 50
QUEUE_PAGE = 50
MAX_OFFSET = 10**6
# the page's own files only: no inline script or style, no other origin; Telegram Web shows it in a frame
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
APPLICATION = web.AppKey("application", LianxinApplication)


@dataclass(frozen=True)
class Caller:
    staff: Staff
    name: str  # as the coordinator signs a nudge (the chat uses the Telegram full name the same way)


class Refused(Exception):
    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


def _text(rendered: str) -> str:
    """A catalogue text for the page (set as textContent there): the HTML entities turned back into characters."""
    return html.unescape(rendered)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False, default=_default),
                             headers={"Cache-Control": "no-store"})


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


async def _caller(request: web.Request) -> Caller:
    application = request.app[APPLICATION]
    settings = application.settings
    header = request.headers.get("Authorization", "")
    scheme, _, init_data = header.partition(" ")
    if scheme.lower() != "tma":
        log.warning("dashboard: request without initData refused")
        raise Refused(403, "webapp_refused")
    try:
        user = verify_init_data(init_data.strip(), token=settings.token, now=time.time(),
                                max_age=settings.webapp_auth_max_age)
    except InitDataRefused as refused:
        log.warning("dashboard: initData refused (%s)", refused.reason)
        raise Refused(403, "webapp_refused") from None
    sender = await cached_sender(application.db, telegram_id=user.id, admin_ids=settings.admin_ids)
    staff = sender.identity.as_staff()
    if staff is None:
        log.warning("dashboard: %s refused (not staff)", user.id)
        raise Refused(403, "webapp_not_staff")
    return Caller(staff, user.full_name)


Handler = Callable[[web.Request, Caller], Awaitable[web.Response]]


def api(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The checks every API call goes through, and the services' refusals as JSON with a Chinese message."""

    async def checked(request: web.Request) -> web.Response:
        try:
            return await handler(request, await _caller(request))
        except Refused as refused:
            return _json({"error": _text(t(refused.key))}, refused.status)
        except (DrillOutOfScope, MemberOutOfScope):
            log.warning("dashboard: %s refused: outside the caller's scopes", request.path)
            return _json({"error": _text(t("webapp_out_of_scope"))}, 403)
        except CaseProblem as problem:
            status = 404 if problem.code == "not_found" else 403 if problem.code == "not_visible" else 409
            return _json({"error": _text(case_problem_text(problem))}, status)
        except (ValueError, KeyError, TypeError):
            log.debug("dashboard: bad request to %s", request.path, exc_info=True)
            return _json({"error": _text(t("webapp_bad_request"))}, 400)

    return checked


def _today(application: LianxinApplication) -> date:
    return local_today(utcnow(), application.settings.tz)


def _period(request: web.Request, today: date) -> Period:
    """The asked period (a quarter `2026Q3` or a year), this quarter when none; never one not begun."""
    given = request.query.get("period")
    period = Period.parse(given) if given else Period.of(Quarter.of(today))
    if period.first_day > today:
        raise ValueError("a period not begun")
    return period


def _period_json(period: Period, today: date) -> dict:
    following = period.next()
    return {"label": period.label, "name": period.cn_label, "prev": period.prev().label,
            "next": following.label if following.first_day <= today else None}


def _drill(request: web.Request) -> DrillDown | None:
    dimension = request.query.get("dim")
    if not dimension:
        return None
    dim = Dimension(dimension)
    value = request.query["value"]
    if dim is Dimension.group:
        if parse_group_drill(value) is None:
            raise ValueError("not a group drill-down")
        return DrillDown(dim, value)
    return DrillDown(dim, value if dim is Dimension.kind else int(value))


def _offset(request: web.Request) -> int:
    return min(max(int(request.query.get("offset", "0")), 0), MAX_OFFSET)


# --- the API ----------------------------------------------------------------------------------------


async def me(request: web.Request, caller: Caller) -> web.Response:
    application = request.app[APPLICATION]
    today = _today(application)
    async with application.db.session() as session:
        stations = await has_stations(session, scopes=caller.staff.scopes)
    return _json({
        "role": "admin" if caller.staff.scopes is None else "coordinator",
        "scope": _text(scope_text(caller.staff.scopes)),
        "period": Period.of(Quarter.of(today)).label,
        "labels": WEBAPP_PAGE,
        "stations": stations,  # the 🏠 工作站 drill-down only when the scope has stations, as /stats' button
    })


async def overview(request: web.Request, caller: Caller) -> web.Response:
    """The quarter (or year) in the caller's scope: `stats.stats_summary` (as /stats) and `dashboard.case_flow`."""
    application = request.app[APPLICATION]
    settings, policies = application.settings, application.policies
    today = _today(application)
    period = _period(request, today)
    scopes = caller.staff.scopes
    async with application.db.session() as session:
        summary = await stats_summary(session, period=period, now=utcnow(), policy=policies.duty, scopes=scopes,
                                      deadlines=policies.deadline)
        flow = await case_flow(session, period=period, tz=settings.tz, scopes=scopes)
        verified = await verified_people(session, period=period, scopes=scopes)
    m, c = summary.members, summary.cases
    return _json({
        "period": _period_json(period, today),
        "as_of": summary.as_of,
        "scope": _text(scope_text(scopes)),
        "members": {"members": m.members, "bound": m.bound, "with_activity": m.with_activity, "on_pace": m.on_pace,
                    "unbound": m.unbound, "blocked": m.blocked, "expected_people": m.expected_people},
        "by_kind": [{"kind": r.kind, "name": kind_name(settings, r.kind), "activities": r.activities,
                     "people": r.people} for r in summary.by_kind],
        "activities": sum(r.activities for r in summary.by_kind),
        "people": sum(r.people for r in summary.by_kind),
        "verified_people": verified,  # of those 人次, checked in at the door of a reception day (as /stats)
        "cases": None if c is None else {
            "received": c.received, "accepted": flow.accepted, "open": c.open, "overdue": c.overdue,
            "resolved": c.resolved, "confirmed": c.confirmed, "average_rating": c.average_rating,
            "median_hours_to_accept": flow.median_hours_to_accept,
            "median_hours_to_resolve": flow.median_hours_to_resolve,
        },
    })


async def drill(request: web.Request, caller: Caller) -> web.Response:
    """One breakdown (`stats.breakdown`, as /stats's lists): by activity group, sector, region or kind."""
    application = request.app[APPLICATION]
    settings = application.settings
    today = _today(application)
    period = _period(request, today)
    by = Dimension(request.query.get("by", "group"))
    down = _drill(request)
    async with application.db.session() as session:
        result = await breakdown(session, period=period, dimension=by, scopes=caller.staff.scopes, drill=down)
    none_key = "stats_none_region" if by is Dimension.region else "stats_none_group"

    def name(row_key: object, row_name: str | None) -> str:
        if by is Dimension.kind:
            return kind_name(settings, str(row_key))
        return row_name or "" if row_key is not None else _text(t(none_key))

    return _json({
        "period": _period_json(period, today),
        "by": by.value,
        "drill": None if down is None else {"dim": down.dimension.value, "value": down.value,
                                            "name": result.drill_name},
        "parent": result.parent,
        "parent_name": result.parent_name,
        "rows": [{"key": r.key, "name": name(r.key, r.name), "members": r.members, "active_members": r.active_members,
                  "activities": r.activities, "people": r.people} for r in result.rows],
    })


def _station(s: StationStat) -> dict:
    return {"code": s.code, "name": s.name, "kind": cli_text(f"station_kind_{s.kind.value}"), "region": s.region,
            "members": s.members, "six_done": s.six_done, "receptions": s.receptions, "checkins": s.checkins,
            "cases": s.cases}


async def stations(request: web.Request, caller: Caller) -> web.Response:
    """The stations in scope (`dashboard.station_board` over `stations.station_stats`, as /stats' 🏠 工作站)."""
    application = request.app[APPLICATION]
    today = _today(application)
    period = _period(request, today)
    async with application.db.session() as session:
        board = await station_board(session, period=period, tz=application.settings.tz, now=utcnow(),
                                    scopes=caller.staff.scopes)
    chart = [{"name": s.name, "receptions": s.receptions} for s in board.chart]
    if board.rest is not None:
        chart.append({"name": plain("webapp_chart_rest", count=board.rest[0]), "receptions": board.rest[1]})
    return _json({
        "period": _period_json(period, today),
        "scope": _text(scope_text(caller.staff.scopes)),
        "stations": len(board.rows), "receptions": board.receptions, "checkins": board.checkins,
        "cases": board.cases, "six_complete": board.six_complete,
        "rows": [_station(s) for s in board.rows],
        "idle": [_station(s) for s in board.idle],
        "chart": chart,
    })


async def laggards(request: web.Request, caller: Caller) -> web.Response:
    """The laggards in scope (`outreach.laggard_page`, as /laggards), why each is listed, reachable or not."""
    application = request.app[APPLICATION]
    async with application.db.session() as session:
        page = await laggard_page(session, today=_today(application), policy=application.policies.duty,
                                  scopes=caller.staff.scopes, offset=_offset(request), limit=LAGGARD_PAGE)
    rows = []
    for row in page.rows:
        lag = row.laggard
        why = []
        if any(rule.value == "no_activity" for rule in lag.rules):
            why.append(plain("lag_behind_quarter"))
        if lag.people_short > 0:
            why.append(plain("lag_behind_pace", people=lag.year_people, expected=lag.expected_people,
                             short=lag.people_short))
        reach = "lag_reach_ok" if row.reachable else "lag_reach_unbound" if not row.bound else "lag_reach_blocked"
        rows.append({"member_id": lag.member_id, "number": lag.number, "name": lag.name, "group": lag.peer_label,
                     "why": why, "year_people": lag.year_people, "expected_people": lag.expected_people,
                     "last_activity": row.last_activity.isoformat() if row.last_activity else plain("lag_last_none"),
                     "reachable": row.reachable, "reach": plain(reach)})
    return _json({"quarter": page.quarter.cn_label, "as_of": page.as_of, "total": page.total, "offset": page.offset,
                  "page": LAGGARD_PAGE, "rows": rows})


async def nudge_member(request: web.Request, caller: Caller) -> web.Response:
    """🔔: the same nudge as /laggards's button (`outreach.nudge`: once a member a day, through the outbox)."""
    application = request.app[APPLICATION]
    body = await request.json()
    member_id = int(body["member"])
    now = utcnow()
    async with application.db.session() as session:
        result = await nudge(session, member_id=member_id, scopes=caller.staff.scopes,
                             today=local_today(now, application.settings.tz), now=now,
                             policy=application.policies.duty, sender=caller.name, log_button=log_button())
        await session.commit()
    return _json({"outcome": result.outcome, "message": plain(f"lag_nudge_{result.outcome}", name=result.name)})


async def case_queue(request: web.Request, caller: Caller) -> web.Response:
    """Unassigned, overdue and reopened cases in scope, oldest first (`queue.case_queue`, as /queue)."""
    application = request.app[APPLICATION]
    now = utcnow()
    async with application.db.session() as session:
        items, total = await queue_svc.case_queue(session, actor=Actor.for_staff(caller.staff), now=now,
                                                  policy=application.policies.deadline, offset=_offset(request),
                                                  limit=QUEUE_PAGE)
    return _json({"total": total, "offset": _offset(request), "page": QUEUE_PAGE, "rows": [
        {"id": i.id, "number": i.number, "category": i.category, "state": i.status.value,
         "status": CASE_STATUS_NAMES[i.status.value],
         "handler": i.member_name or plain("case_handler_none"), "age_days": age_days(i.created_at, now),
         "reasons": [QUEUE_REASON_NAMES[r] for r in i.reasons]} for i in items]})


async def candidates(request: web.Request, caller: Caller) -> web.Response:
    """分派给: the routing engine's candidates for one case in scope (`queue.staff_candidates`, as /queue)."""
    application = request.app[APPLICATION]
    actor = Actor.for_staff(caller.staff)
    async with application.db.session() as session:
        case = await get_case(session, case_id=int(request.match_info["case_id"]), actor=actor)
        found = await queue_svc.staff_candidates(session, case=case, actor=actor, table=application.routing)
        has_region = case.region_id is not None
        return _json({"case": case.id, "number": case.number, "rows": [
            {"member_id": c.member_id, "name": c.name,
             "reason": _text(routing_reason(c.reason(has_region=has_region)))} for c in found]})


async def assign(request: web.Request, caller: Caller) -> web.Response:
    """Hand a case to a candidate: `queue.assign_in_scope` and the same notices as the chat's 分派给 button,
    in one commit, then sent at once (`Notices.send`)."""
    application = request.app[APPLICATION]
    body = await request.json()
    case_id, member_id = int(body["case"]), int(body["member"])
    actor = Actor.for_staff(caller.staff)
    context = LianxinContext(application)
    async with application.db.session() as session:
        case = await queue_svc.assign_in_scope(session, actor=actor, case_id=case_id, to_member_id=member_id,
                                               now=utcnow(), policy=application.policies.case)
        who = await member_name_sector(session, member_id)
        notices = Notices(session, now=utcnow())
        await routing(notices, context, Intake(case, member_id), resident_key="case_assigned_resident")
        await session.commit()
    await notices.send(context)
    return _json({"message": plain("case_assigned_staff", number=case.number, name=who[0] if who else "")})


def _year(request: web.Request, today: date) -> int:
    year = int(request.query.get("year", today.year))
    if not 2000 <= year <= today.year:
        raise ValueError("year")
    return year


async def member(request: web.Request, caller: Caller) -> web.Response:
    """A member's page: the duty record of the year and their cases (`dashboard.member_year`)."""
    application = request.app[APPLICATION]
    settings = application.settings
    today = _today(application)
    year = _year(request, today)
    async with application.db.session() as session:
        record = await member_year(session, member_id=int(request.match_info["member_id"]),
                                   scopes=caller.staff.scopes, year=year, today=today,
                                   policy=application.policies.duty)
    p = record.profile
    return _json({
        "id": p.id, "number": p.number, "name": p.name, "sector": p.sector, "group": p.group, "region": p.region,
        "phone": record.phone, "bound": record.bound, "year": record.year,
        "quarters": [{"quarter": q.quarter, "activities": q.activities, "people": q.people,
                      "verified_people": q.verified, "points": q.points} for q in record.quarters],
        "year_activities": record.year_activities, "year_people": record.year_people,
        "year_verified_people": record.year_verified,
        "year_points": record.year_points, "expected_people": record.expected_people,
        "year_target": record.year_target, "rank": record.rank, "peers": record.peers,
        "activities": [{"date": a.day, "kind": kind_name(settings, a.kind), "people": a.people}
                       for a in record.activities],
        "cases": [{"id": c.id, "number": c.number, "category": c.category,
                   "status": CASE_STATUS_NAMES[c.status.value], "created": c.created_at.astimezone(settings.tz).date()}
                  for c in record.cases],
        # the page fetches it with initData in the header (a plain link could not carry it)
        "report": {"path": f"api/members/{p.id}/report?year={record.year}",
                   "label": plain("webapp_report_label", year=record.year)},
    })


async def member_report_docx(request: web.Request, caller: Caller) -> web.Response:
    """The member's duty report of the year (DOCX, as /report_me writes it), under the member page's scope rule."""
    application = request.app[APPLICATION]
    settings, policy = application.settings, application.policies.duty
    now = utcnow()
    today = _today(application)
    year = _year(request, today)
    async with application.db.session() as session:
        figures = await member_report(session, member_id=int(request.match_info["member_id"]),
                                      scopes=caller.staff.scopes, year=year, today=today, now=now, policy=policy)
    content = await build_duty_report(figures, kind_names={k.code: k.name for k in settings.activity_kinds},
                                      generated_at=now.astimezone(policy.tz))
    name = filename(figures)
    return web.Response(body=content, content_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"duty-report-{figures.year}.docx\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})


# --- the app ----------------------------------------------------------------------------------------


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def make_app(application: LianxinApplication) -> web.Application:
    app = web.Application(client_max_size=16 * 1024)
    app[APPLICATION] = application
    app.on_response_prepare.append(_headers)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    app.router.add_get("/api/me", api(me))
    app.router.add_get("/api/overview", api(overview))
    app.router.add_get("/api/drill", api(drill))
    app.router.add_get("/api/stations", api(stations))
    app.router.add_get("/api/laggards", api(laggards))
    app.router.add_post("/api/nudge", api(nudge_member))
    app.router.add_get("/api/queue", api(case_queue))
    app.router.add_get("/api/cases/{case_id:[0-9]{1,10}}/candidates", api(candidates))
    app.router.add_post("/api/assign", api(assign))
    app.router.add_get("/api/members/{member_id:[0-9]{1,10}}", api(member))
    app.router.add_get("/api/members/{member_id:[0-9]{1,10}}/report", api(member_report_docx))
    return app
