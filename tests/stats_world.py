"""A seeded data set for /stats and /ranking, and an independent recount of every figure in plain Python.

The recount works on the rows as created here (lists of dicts), never on the statistics module's queries.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from models import (
    Activity,
    ActivityGroup,
    Case,
    CaseStatus,
    Level,
    Member,
    Reachability,
    Region,
    RoleGrant,
    ScopeKind,
    Sector,
)

TZ = ZoneInfo("Asia/Shanghai")
COORD_GROUP = 778001  # coordinator of 第1活动组 of the city committee of 甘肃省/兰州市
COORD_GROUP_COUNTY = 778003  # coordinator of 第1活动组 of the county committee of 甘肃省/兰州市/城关区
GROUP_COMMITTEE = ("city", "甘肃省/兰州市")
COUNTY_COMMITTEE = ("county", "甘肃省/兰州市/城关区")
COORD_REGION = 778002  # coordinator of 甘肃省/兰州市 (and everything below it)
KINDS = ["visit", "inspection", "other", "practical_help"]
CATEGORIES = ["教育", "医疗", "养老"]
FINAL = {"confirmed", "closed"}


@dataclass
class World:
    today: date
    now: datetime
    groups: dict[int, str] = field(default_factory=dict)
    sectors: dict[int, str] = field(default_factory=dict)
    regions: dict[int, str] = field(default_factory=dict)  # id -> path
    members: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)

    def group_id(self, name: str) -> int:
        return next(i for i, n in self.groups.items() if n == name)

    def region_id(self, path: str) -> int:
        return next(i for i, p in self.regions.items() if p == path)

    def member(self, member_id: int) -> dict:
        return next(m for m in self.members if m["id"] == member_id)


async def seed_world(db, *, now: datetime, seed_value: int = 5) -> World:
    rng = random.Random(seed_value)
    today = now.astimezone(TZ).date()
    world = World(today=today, now=now)
    async with db.session() as session:
        sectors = (await session.exec(select(Sector).order_by(Sector.id).limit(3))).all()
        world.sectors = {s.id: s.name for s in sectors}
        groups = [ActivityGroup(name=f"第{i}活动组") for i in (1, 2, 3)]
        session.add_all(groups)
        province = Region(path="甘肃省", name="甘肃省", depth=1)
        session.add(province)
        await session.flush()
        lanzhou = Region(path="甘肃省/兰州市", name="兰州市", depth=2, parent_id=province.id)
        tianshui = Region(path="甘肃省/天水市", name="天水市", depth=2, parent_id=province.id)
        session.add_all([lanzhou, tianshui])
        await session.flush()
        district = Region(path="甘肃省/兰州市/城关区", name="城关区", depth=3, parent_id=lanzhou.id)
        session.add(district)
        await session.flush()
        world.groups = {g.id: g.name for g in groups}
        region_choices = [province.id, lanzhou.id, tianshui.id, district.id, None]
        # each region's committee: the same group name is on five committees (no region: the province's)
        level_choices = [Level.province, Level.city, Level.city, Level.county, Level.province]
        world.regions = {r.id: r.path for r in (province, lanzhou, tianshui, district)}
        members = []
        for i in range(60):
            members.append(Member(
                number=f"S{i:03d}", name=f"委员{i}", sector_id=sectors[i % 3].id,
                activity_group_id=[groups[0].id, groups[1].id, groups[2].id, None][i % 4],
                region_id=region_choices[i % 5], level=level_choices[i % 5], telegram_id=None if i % 9 == 4 else 200000 + i, active=i % 13 != 6,
            ))
        session.add_all(members)
        await session.flush()
        world.members = [dict(id=m.id, number=m.number, name=m.name, sector=m.sector_id, group=m.activity_group_id,
                              region=m.region_id, level=m.level.value, telegram_id=m.telegram_id, active=m.active)
                         for m in members]
        activities = []
        for member in members:
            for _ in range(rng.choice([0, 0, 1, 2, 4, 6])):
                day = today - timedelta(days=rng.randrange(0, 520))
                activities.append(Activity(
                    member_id=member.id, kind=rng.choice(KINDS), activity_date=day, year=day.year,
                    quarter=(day.month - 1) // 3 + 1, place="某社区", people=rng.randint(1, 15), summary="走访群众",
                    # several equal totals, so places are shared
                    points=float(rng.choice([1, 2, 3])),
                    deleted_at=now if rng.random() < 0.08 else None,
                ))
        session.add_all(activities)
        world.activities = [dict(member=a.member_id, kind=a.kind, day=a.activity_date, people=a.people, points=a.points,
                                 live=a.deleted_at is None) for a in activities]
        cases = []
        for seq in range(1, 81):
            created = now - timedelta(hours=rng.randrange(1, 520 * 24))
            status = rng.choice(list(CaseStatus))
            handled = status not in (CaseStatus.new, CaseStatus.unassigned)
            accepted = created + timedelta(hours=rng.randrange(1, 90), minutes=rng.randrange(60)) \
                if status in (CaseStatus.accepted, CaseStatus.resolved, CaseStatus.confirmed, CaseStatus.reopened,
                              CaseStatus.closed) else None
            resolved = accepted + timedelta(hours=rng.randrange(2, 400)) \
                if accepted and status in (CaseStatus.resolved, CaseStatus.confirmed, CaseStatus.reopened) else None
            if status is CaseStatus.closed and accepted and rng.random() < 0.5:
                resolved = accepted + timedelta(hours=rng.randrange(2, 400))
            cases.append(Case(
                number=f"{created.year}-{seq:06d}", year=created.year, seq=seq, category=rng.choice(CATEGORIES),
                description="路灯坏了很久没人修", status=status,
                member_id=rng.choice(members).id if handled else None, created_at=created, updated_at=created,
                accepted_at=accepted, resolved_at=resolved,
                rating=rng.choice([None, 3, 4, 5, 5]) if status is CaseStatus.confirmed else None,
            ))
        session.add_all(cases)
        world.cases = [dict(member=c.member_id, category=c.category, status=c.status.value, created=c.created_at,
                            accepted=c.accepted_at, resolved=c.resolved_at, rating=c.rating) for c in cases]
        bound = [m for m in members if m.telegram_id is not None]
        for index, member in enumerate(bound[:12]):
            # every third one wrote to the bot again: reachable
            blocked_at = None if index % 3 == 2 else now
            session.add(Reachability(telegram_id=member.telegram_id, blocked_at=blocked_at, updated_at=now))
            if blocked_at is not None:
                world.blocked.add(member.telegram_id)
        for telegram_id, (level, path) in ((COORD_GROUP, GROUP_COMMITTEE), (COORD_GROUP_COUNTY, COUNTY_COMMITTEE)):
            session.add(RoleGrant(telegram_id=telegram_id, scope_kind=ScopeKind.group, scope_value="第1活动组",
                                  committee_level=Level(level), committee_region=path))
        session.add(RoleGrant(telegram_id=COORD_REGION, scope_kind=ScopeKind.region, scope_value="甘肃省/兰州市"))
        await session.commit()
    return world


# --- the recount ---------------------------------------------------------------------------------


def under(world: World, region_id: int | None, top_path: str) -> bool:
    path = world.regions.get(region_id) if region_id is not None else None
    return path is not None and (path == top_path or path.startswith(top_path + "/"))


def in_scopes(world: World, member: dict | None, scopes: list[tuple] | None) -> bool:
    """scopes as (kind, value) pairs, a group's as (kind, value, (level, region path)); None: everything.

    A group scope covers its group on its committee only (the same level and region)."""
    if scopes is None:
        return True
    if member is None:
        return False
    for kind, value, *committee in scopes:
        if kind == "group" and world.groups.get(member["group"]) == value and committee \
                and (member["level"], world.regions.get(member["region"])) == committee[0]:
            return True
        if kind == "sector" and world.sectors.get(member["sector"]) == value:
            return True
        if kind == "region" and under(world, member["region"], value):
            return True
    return False


def in_drill(world: World, member: dict | None, drill: tuple[str, object] | None) -> bool:
    if drill is None or drill[0] == "kind":
        return True
    if member is None:
        return False
    kind, value = drill
    if kind == "group":  # (group id, level, region id): the group on one committee
        return (member["group"], member["level"], member["region"]) == value
    if kind == "sector":
        return member["sector"] == value
    return under(world, member["region"], world.regions[value])


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def in_period(day: date, period: tuple[int, int | None]) -> bool:
    year, q = period
    return day.year == year and (q is None or quarter_of(day)[1] == q)


def period_bounds(period: tuple[int, int | None]) -> tuple[date, date]:
    year, q = period
    if q is None:
        return date(year, 1, 1), date(year, 12, 31)
    first = date(year, 3 * q - 2, 1)
    last = (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)
    return first, last


def expected_people(as_of: date, target: int = 40) -> int:
    days = (date(as_of.year, 12, 31) - date(as_of.year, 1, 1)).days + 1
    return math.ceil(target * as_of.timetuple().tm_yday / days - 1e-9)


def allowed(world: World, scopes, drill) -> bool:
    if drill is None or drill[0] == "kind":
        return True
    return any(m["active"] and in_scopes(world, m, scopes) and in_drill(world, m, drill) for m in world.members)


def recount_summary(world: World, *, period, scopes, drill) -> dict:
    members = [m for m in world.members if m["active"] and in_scopes(world, m, scopes) and in_drill(world, m, drill)]
    ids = {m["id"] for m in members}
    kind = drill[1] if drill and drill[0] == "kind" else None
    as_of = min(world.today, period_bounds(period)[1])
    expected = expected_people(as_of)
    live = [a for a in world.activities if a["live"] and a["member"] in ids]
    year_people = {i: sum(a["people"] for a in live if a["member"] == i and a["day"].year == period[0]) for i in ids}
    counted = [a for a in live if in_period(a["day"], period) and (kind is None or a["kind"] == kind)]
    by_kind: dict[str, tuple[int, int]] = {}
    for a in counted:
        n, p = by_kind.get(a["kind"], (0, 0))
        by_kind[a["kind"]] = (n + 1, p + a["people"])
    result = {
        "members": len(members),
        "bound": sum(1 for m in members if m["telegram_id"] is not None),
        "with_activity": len({a["member"] for a in counted}),
        "on_pace": sum(1 for i in ids if year_people[i] >= expected),
        "blocked": sum(1 for m in members if m["telegram_id"] in world.blocked),
        "unbound": sum(1 for m in members if m["telegram_id"] is None),
        "expected": expected,
        "by_kind": by_kind,
        "cases": None,
        "categories": {},
    }
    if kind is None:
        cases = received(world, period=period, scopes=scopes, drill=drill)
        result["cases"] = case_numbers(world, cases)
        result["categories"] = {c: case_numbers(world, [x for x in cases if x["category"] == c])
                                for c in sorted({x["category"] for x in cases})}
    return result


def received(world: World, *, period, scopes, drill, active_only: bool = False) -> list[dict]:
    found = []
    for c in world.cases:
        member = world.member(c["member"]) if c["member"] is not None else None
        if not in_period(c["created"].astimezone(TZ).date(), period):
            continue
        if (scopes is not None or (drill and drill[0] != "kind")) and member is None:
            continue
        if not (in_scopes(world, member, scopes) and in_drill(world, member, drill)):
            continue
        if active_only and (member is None or not member["active"]):
            continue
        found.append(c)
    return found


def case_numbers(world: World, cases: list[dict]) -> dict:
    ratings = [c["rating"] for c in cases if c["rating"] is not None]
    return {
        "received": len(cases),
        "open": sum(1 for c in cases if c["status"] not in FINAL),
        "overdue": sum(1 for c in cases if c["status"] not in FINAL | {"resolved"}
                       and c["created"] <= world.now - timedelta(days=15)),
        "resolved": sum(1 for c in cases if c["resolved"] is not None),
        "confirmed": sum(1 for c in cases if c["status"] == "confirmed"),
        "rating": round(sum(ratings) / len(ratings), 1) if ratings else None,
    }


def recount_breakdown(world: World, *, period, scopes, drill, dimension, parent: int | None = None) -> dict:
    """key -> (members, active, activities, people)"""
    members = [m for m in world.members if m["active"] and in_scopes(world, m, scopes) and in_drill(world, m, drill)]
    kind = drill[1] if drill and drill[0] == "kind" else None
    acts = [a for a in world.activities if a["live"] and in_period(a["day"], period)]
    if dimension == "kind":
        ids = {m["id"] for m in members}
        rows: dict = {}
        for a in acts:
            if a["member"] in ids and (kind is None or a["kind"] == kind):
                rows.setdefault(a["kind"], [set(), 0, 0])
                rows[a["kind"]][0].add(a["member"])
                rows[a["kind"]][1] += 1
                rows[a["kind"]][2] += a["people"]
        return {k: (len(v[0]), len(v[0]), v[1], v[2]) for k, v in rows.items()}

    def key_of(m: dict):
        if dimension == "group":  # the group on the member's committee, as its drill-down names it
            levels = ["national", "province", "city", "county"]
            return None if m["group"] is None else f"{m['group']}.{levels.index(m['level'])}.{m['region'] or 0}"
        if dimension == "sector":
            return m["sector"]
        children = [i for i, p in world.regions.items()
                    if (p.count("/") == 0 if parent is None else "/" in p and p.rsplit("/", 1)[0] == world.regions[parent])]
        return next((c for c in children if under(world, m["region"], world.regions[c])), None)

    rows = {}
    for m in members:
        mine = [a for a in acts if a["member"] == m["id"]]
        n, active, count, people = rows.get(key_of(m), (0, 0, 0, 0))
        rows[key_of(m)] = (n + 1, active + (1 if mine else 0), count + len(mine), people + sum(a["people"] for a in mine))
    return rows


def recount_ranking(world: World, *, period, scopes) -> list[tuple[int | None, str, float]]:
    """(place, number, points) in order; a place is 1 + how many have more points; none without points."""
    members = [m for m in world.members if m["active"] and in_scopes(world, m, scopes)]
    points = {m["number"]: sum(a["points"] for a in world.activities
                               if a["live"] and a["member"] == m["id"] and in_period(a["day"], period))
              for m in members}
    placed = {n: (1 + sum(1 for v in points.values() if v > p) if p > 0 else None) for n, p in points.items()}
    return sorted(((placed[n], n, p) for n, p in points.items()), key=lambda r: (r[0] is None, r[0] or 0, r[1]))


def recount_responsiveness(world: World, *, period, scopes) -> dict[str, dict]:
    cases = received(world, period=period, scopes=scopes, drill=None, active_only=True)
    result = {}
    for member_id in {c["member"] for c in cases if c["member"] is not None}:
        mine = [c for c in cases if c["member"] == member_id]
        accept = [(c["accepted"] - c["created"]).total_seconds() / 3600 for c in mine if c["accepted"]]
        resolve = [(c["resolved"] - c["created"]).total_seconds() / 3600 for c in mine if c["resolved"]]
        ratings = [c["rating"] for c in mine if c["rating"] is not None]
        resolved = len(resolve)
        confirmed = sum(1 for c in mine if c["status"] == "confirmed")
        result[world.member(member_id)["number"]] = {
            "cases": len(mine), "resolved": resolved, "confirmed": confirmed,
            "accept": statistics.median(accept) if accept else None,
            "resolve": statistics.median(resolve) if resolve else None,
            "rating": sum(ratings) / len(ratings) if ratings else None,
        }
    return result


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
