"""The annual duty report (履职报告 / 述职): a member's year as a Word document.

Telegram-free. `duty_figures` reads every figure: the points, rank and each quarter's quota from
`activities.standing` (the tally /my reads: the same places as /my and /ranking, peers being the
activity group on its committee), the activities by kind, quarter and month from the live activities
(`stats.live_in`), the liaison points from the member's contact points, the stations and the reception days held
there from `stations.member_station_year` (a day held as /stats' 🏠 工作站 counts it), the cases from the cases the
member handles now (as /ranking's responsiveness table counts them). `render_duty_report` writes the
DOCX (blocking: `build_duty_report` runs it in a thread); `duty_reports_zip` packs several.

Nothing about a resident is written: case examples are titled by category and a masked excerpt
(`masking.excerpt`), never the resident's name or phone.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.activities import standing
from bot.services.charts import render_month_chart
from bot.services.documents import Writer
from bot.services.masking import excerpt
from bot.services.reminders import DutyPolicy
from bot.services.rules import Period, Quarter
from bot.services.scopes import GroupKey, Scope, group_key, within_scopes
from bot.services.stations import MemberStation, member_station_year
from bot.services.stats import live_in
from bot.texts import CASE_STATUS_NAMES, DUTY, LEVEL_NAMES, cn_ordinal, group_label, number
from models import Activity, ActivityGroup, Case, CaseStatus, ContactPoint, Member, Region, Sector

ACCEPT_HOURS = 48  # "accepted within 48 h": from the case's creation to its acceptance
MAX_EXAMPLES = 10


class QuotaState:
    """Where a quarter stands against the quarterly activity quota."""

    met = "met"
    missed = "missed"  # the quarter is over and the quota was not reached
    running = "running"  # today's quarter, not reached yet
    ahead = "ahead"  # not begun yet


@dataclass(frozen=True)
class KindYear:
    kind: str
    activities: tuple[int, int, int, int]  # per quarter
    people: tuple[int, int, int, int]

    @property
    def total_activities(self) -> int:
        return sum(self.activities)

    @property
    def total_people(self) -> int:
        return sum(self.people)


@dataclass(frozen=True)
class QuarterDuty:
    quarter: Quarter
    activities: int
    people: int
    points: float
    target: int
    state: str  # QuotaState


@dataclass(frozen=True)
class PointRow:
    """A liaison point (联系点) of the member, with the year's activities held there."""

    name: str
    kind: str
    activities: int
    people: int


@dataclass(frozen=True)
class CaseExample:
    number: str
    category: str
    title: str  # masked excerpt of the description: no resident's name, phone, ID number or house number
    status: str
    rating: int | None


@dataclass(frozen=True)
class CaseDuty:
    handled: int
    accepted_in_time: int  # accepted within ACCEPT_HOURS of being raised
    resolved: int
    confirmed: int
    average_rating: float | None
    examples: list[CaseExample] = field(default_factory=list)


@dataclass
class DutyFigures:
    year: int
    member_id: int
    number: str
    name: str
    sector: str
    group: GroupKey | None
    level: str
    region: str | None
    by_kind: list[KindYear]
    quarters: list[QuarterDuty]
    activities: int
    people: int
    points: float
    rank: int | None
    peers: int
    peer_label: str | None  # the activity group's name; None: the member's sector
    people_by_month: list[int]  # 12 values, January first
    contact_points: list[PointRow]
    cases: CaseDuty
    as_of: date
    verified_people: int  # of `people`, those checked in at the door of a reception day (扫码核实)
    stations: list[MemberStation]  # on duty there, or held a reception day there this year


class MemberNotFound(Exception):
    """No member with that 编号."""


def _quota_state(quarter: Quarter, met: bool, today: date) -> str:
    if met:
        return QuotaState.met
    if quarter.last_day < today:
        return QuotaState.missed
    return QuotaState.running if quarter.first_day <= today else QuotaState.ahead


async def member_id_of(session: AsyncSession, number_text: str) -> int:
    """The member with this 编号 (any case, surrounding spaces ignored); `MemberNotFound` otherwise."""
    found = (await session.exec(sa_select(Member.id).where(func.upper(Member.number) == number_text.strip().upper())
                                )).first()
    if found is None:
        raise MemberNotFound(number_text)
    return found[0]


async def members_in_scope(session: AsyncSession, *, scopes: Sequence[Scope] | None) -> list[tuple[int, str, str]]:
    """(id, 编号, name) of the active members these scopes cover (None: all), by 编号."""
    query = within_scopes(sa_select(Member.id, Member.number, Member.name).where(Member.active.is_(True)), scopes)
    return [tuple(row) for row in (await session.exec(query.order_by(Member.number))).all()]  # type: ignore[misc]


async def duty_figures(session: AsyncSession, *, member_id: int, year: int, today: date,
                       policy: DutyPolicy, now: datetime) -> DutyFigures:
    """Every figure of one member's duty report for `year`, judged at `today` (quarters not over are "running");
    a reception day counts as held once it is over by `now`."""
    row = (await session.exec(
        sa_select(Member.number, Member.name, Sector.name, ActivityGroup.name, Member.level, Region.path)
        .join(Sector, Sector.id == Member.sector_id)
        .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .outerjoin(Region, Region.id == Member.region_id)
        .where(Member.id == member_id)
    )).first()
    if row is None:
        raise MemberNotFound(str(member_id))
    member_number, name, sector, group, level, region = row
    # points, rank and each quarter's quota: the standing /my shows (the tally, peers on the committee)
    quarters: list[QuarterDuty] = []
    rank, peers, peer_label, points = None, 0, None, 0.0
    for q in (1, 2, 3, 4):
        quarter = Quarter(year, q)
        st = await standing(session, member_id=member_id, quarter=quarter, today=today,
                            quarter_target=policy.quarter_target, year_target=policy.year_target)
        quarters.append(QuarterDuty(quarter, st.quarter_activities, st.quarter_people, st.quarter_points,
                                    st.quarter_target, _quota_state(quarter, st.quarter_met, today)))
        rank, peers, peer_label, points = st.rank, st.peers, st.peer_label, st.year_points
    # activities and 人次 by kind and quarter, and 人次 by month: the member's live activities of the year
    live = and_(Activity.member_id == member_id, live_in(Period(year)))
    kinds: dict[str, tuple[list[int], list[int]]] = {}
    for kind, q, n, people in (await session.exec(
        sa_select(Activity.kind, Activity.quarter, func.count(), func.coalesce(func.sum(Activity.people), 0))
        .where(live).group_by(Activity.kind, Activity.quarter)
    )).all():
        counts, heads = kinds.setdefault(kind, ([0] * 4, [0] * 4))
        counts[q - 1] += int(n)
        heads[q - 1] += int(people)
    by_kind = [KindYear(kind, tuple(c), tuple(p)) for kind, (c, p) in sorted(kinds.items())]  # type: ignore[arg-type]
    verified = int((await session.exec(
        sa_select(func.coalesce(func.sum(Activity.verified_people), 0)).where(live))).scalar_one())
    months = [0] * 12
    for day, people in (await session.exec(sa_select(Activity.activity_date, Activity.people).where(live))).all():
        months[day.month - 1] += int(people)
    per_point = {
        point_id: (int(n), int(people))
        for point_id, n, people in (await session.exec(
            sa_select(Activity.contact_point_id, func.count(), func.coalesce(func.sum(Activity.people), 0))
            .where(live, Activity.contact_point_id.is_not(None)).group_by(Activity.contact_point_id)
        )).all()
    }
    contact_points = [
        PointRow(point.name, point.kind.value, *per_point.get(point.id, (0, 0)))
        for point in (await session.exec(
            sa_select(ContactPoint).where(ContactPoint.member_id == member_id)
            .order_by(ContactPoint.position, ContactPoint.id)
        )).scalars().all()
    ]
    return DutyFigures(
        year=year, member_id=member_id, number=member_number, name=name, sector=sector,
        group=group_key(group, level, region), level=str(getattr(level, "value", level)), region=region,
        by_kind=by_kind, quarters=quarters,
        activities=sum(k.total_activities for k in by_kind), people=sum(k.total_people for k in by_kind),
        points=points, rank=rank, peers=peers, peer_label=peer_label, people_by_month=months,
        contact_points=contact_points, verified_people=verified,
        stations=await member_station_year(session, member_id=member_id, start=Period(year).start(policy.tz),
                                           end=Period(year).end(policy.tz), now=now),
        cases=await case_duty(session, member_id=member_id, year=year, policy=policy),
        as_of=min(today, date(year, 12, 31)),
    )


async def case_duty(session: AsyncSession, *, member_id: int, year: int, policy: DutyPolicy) -> CaseDuty:
    """The cases raised in `year` (local days) that the member handles now: counts, rating, examples."""
    period = Period(year)
    cases = (await session.exec(
        sa_select(Case).where(Case.member_id == member_id, Case.created_at >= period.start(policy.tz),
                              Case.created_at < period.end(policy.tz))
        .order_by(Case.created_at.desc(), Case.id.desc())
    )).scalars().all()
    in_time = timedelta(hours=ACCEPT_HOURS)
    ratings = [c.rating for c in cases if c.rating is not None]
    # the best evidence first: confirmed solved, then given a result, then the rest; newest first within each
    order = {CaseStatus.confirmed: 0, CaseStatus.resolved: 1, CaseStatus.closed: 2}
    chosen = sorted(cases, key=lambda c: order.get(CaseStatus(c.status), 3))[:MAX_EXAMPLES]
    examples = [CaseExample(c.number, c.category,
                            excerpt(c.description, 40, extra_names=(c.requester_name or "",)),
                            CaseStatus(c.status).value, c.rating) for c in chosen]
    return CaseDuty(
        handled=len(cases),
        accepted_in_time=sum(1 for c in cases if c.accepted_at is not None and c.accepted_at - c.created_at <= in_time),
        resolved=sum(1 for c in cases if c.resolved_at is not None),
        confirmed=sum(1 for c in cases if CaseStatus(c.status) is CaseStatus.confirmed),
        average_rating=sum(ratings) / len(ratings) if ratings else None,
        examples=examples,
    )


# --- the document ------------------------------------------------------------------------------------


def filename(figures: DutyFigures) -> str:
    return DUTY["filename"].format(year=figures.year, number=figures.number, name=figures.name)


def month_chart(figures: DutyFigures) -> bytes:
    return render_month_chart(
        title=DUTY["chart_title"].format(year=figures.year, name=figures.name),
        months=[DUTY["chart_month"].format(month=m) for m in range(1, 13)], values=figures.people_by_month,
        unit=DUTY["chart_people"], empty=DUTY["chart_empty"],
    )


def _rating(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render_duty_report(figures: DutyFigures, *, kind_names: Mapping[str, str], generated_at: datetime) -> bytes:
    """The DOCX (blocking: see `build_duty_report`)."""
    doc = Writer()
    doc.title(DUTY["title"].format(year=figures.year, name=figures.name))
    committee = LEVEL_NAMES.get(figures.level, figures.level) + (f"·{figures.region}" if figures.region else "")
    doc.centred(DUTY["who"].format(name=figures.name, number=figures.number, sector=figures.sector,
                                   committee=committee, group=group_label(figures.group, DUTY["no_group"])))
    doc.centred(DUTY["generated"].format(day=generated_at.strftime("%Y年%m月%d日"), as_of=figures.as_of.isoformat()),
                size=12)

    doc.heading(DUTY["h_figures"])
    rank = (DUTY["rank"].format(label=figures.peer_label or DUTY["peer_sector"], rank=figures.rank, peers=figures.peers)
            if figures.rank is not None else DUTY["no_rank"])
    met = sum(1 for q in figures.quarters if q.state == QuotaState.met)
    doc.paragraph(DUTY["figures_text"].format(year=figures.year, activities=figures.activities, people=figures.people,
                                              verified=DUTY["verified"].format(people=figures.verified_people),
                                              points=number(figures.points), rank=rank, met=met))
    doc.heading(DUTY["h_by_kind"], 2)
    doc.table(DUTY["cols_kinds"], [
        [kind_names.get(k.kind, k.kind), *k.activities, k.total_activities, k.total_people] for k in figures.by_kind
    ] + [[DUTY["total"], *(sum(k.activities[i] for k in figures.by_kind) for i in range(4)), figures.activities,
          figures.people]])
    doc.heading(DUTY["h_quarters"], 2)
    doc.table(DUTY["cols_quarters"], [
        [DUTY["quarter_name"].format(n=cn_ordinal(q.quarter.q)), q.activities, q.people, number(q.points), q.target,
         DUTY[f"quota_{q.state}"]]
        for q in figures.quarters
    ])

    doc.heading(DUTY["h_points"])
    if figures.contact_points:
        doc.table(DUTY["cols_points"], [[p.name, DUTY.get(f"point_kind_{p.kind}", p.kind), p.activities, p.people]
                                        for p in figures.contact_points])
    else:
        doc.paragraph(DUTY["no_points"])
    doc.heading(DUTY["h_stations"], 2)
    if figures.stations:
        doc.table(DUTY["cols_stations"], [
            [f"{s.name}（{s.code}）", DUTY[f"station_kind_{s.kind.value}"],
             DUTY["on_duty_yes" if s.on_duty else "on_duty_no"], s.receptions, s.checkins] for s in figures.stations
        ] + [[DUTY["total"], "", "", sum(s.receptions for s in figures.stations),
              sum(s.checkins for s in figures.stations)]])
    else:
        doc.paragraph(DUTY["no_stations"])

    doc.heading(DUTY["h_cases"])
    cases = figures.cases
    doc.table(DUTY["cols_cases"], [[cases.handled, cases.accepted_in_time, cases.resolved, cases.confirmed,
                                    _rating(cases.average_rating)]])
    if cases.examples:
        doc.heading(DUTY["h_examples"], 2)
        for index, example in enumerate(cases.examples, start=1):
            doc.paragraph(DUTY["example"].format(index=index, number=example.number, category=example.category,
                                                 title=example.title, status=CASE_STATUS_NAMES[example.status],
                                                 rating=DUTY["example_rating"].format(rating=example.rating)
                                                 if example.rating is not None else ""))
    else:
        doc.paragraph(DUTY["no_cases"])

    doc.heading(DUTY["h_chart"])
    doc.picture(month_chart(figures))

    doc.heading(DUTY["h_plans"])
    doc.paragraph(DUTY["plans_hint"])
    doc.blank_lines(8)
    return doc.bytes()


async def build_duty_report(figures: DutyFigures, *, kind_names: Mapping[str, str], generated_at: datetime) -> bytes:
    """`render_duty_report` off the event loop."""
    return await asyncio.to_thread(render_duty_report, figures, kind_names=dict(kind_names), generated_at=generated_at)


def duty_reports_zip(documents: Sequence[tuple[str, bytes]]) -> bytes:
    """Several documents as one ZIP (names in UTF-8, as Windows' own unzip reads them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in documents:
            archive.writestr(name, content)
    return buffer.getvalue()
