"""The tally (per member and year: live activities, 人次, points per quarter) kept on write.

Random sequences of saves, edits across quarter and year boundaries, deletes and case
confirmations around midnight in Asia/Shanghai, then the tally is compared with a recount
of the activity table written here; the migration's backfill; a failure half-way rolls both
back; concurrent writers for one member add up; `python -m bot tally --check / --rebuild`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text, update
from sqlmodel import select

from bot.cli import main
from bot.db import migrate, sync_engine, upgrade
from bot.services import tally
from bot.services.activities import (
    ActivityInput,
    ActivityPolicy,
    ActivityProblem,
    delete_activity,
    save_activity,
    update_activity,
)
from bot.services.cases import CasePolicy, accept_case, answer_case, resolve_case
from bot.services.lifecycle import Actor
from bot.services.rules import earliest_loggable
from models import Activity, Case, Member, Tally
from tests.conftest import make_settings
from tests.test_cases import new_case, world  # noqa: F401 - `world` is a fixture used here

KINDS = {"visit": 2.0, "inspection": 3.0, "other": 1.5, "consultation": 0.5}
GRACE = 15
WINDOW = 100_000
NOW = datetime(2027, 1, 5, 4, 0, tzinfo=UTC)
# days the members log on: the previous quarter is still open for GRACE days, so entries land on
# both sides of 31 December and of 31 March
TODAYS = [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 9), date(2027, 3, 31), date(2027, 4, 2), date(2027, 4, 14)]
# instants a resident confirms a case at: either side of midnight in Beijing (UTC+8)
CONFIRM_AT = [datetime(2026, 12, 31, 15, 59, tzinfo=UTC), datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
              datetime(2027, 3, 31, 15, 59, tzinfo=UTC), datetime(2027, 3, 31, 16, 1, tzinfo=UTC)]
POLICY = CasePolicy(max_per_day=10_000)
MEASURES = ("activities", "people", "points", "verified")


async def recount(db) -> dict[tuple[int, int], dict]:
    """The tally as it should be, counted in Python from the activity rows (year and quarter from the date)."""
    expected: dict[tuple[int, int], dict] = defaultdict(lambda: defaultdict(float))
    async with db.session() as session:
        for a in (await session.exec(select(Activity))).all():
            if a.deleted_at is not None:
                continue
            row = expected[(a.activity_date.year, a.member_id)]
            q = (a.activity_date.month - 1) // 3 + 1
            for prefix in (f"q{q}_", ""):
                row[prefix + "activities"] += 1
                row[prefix + "people"] += a.people
                row[prefix + "points"] += a.points
                row[prefix + "verified"] += a.verified_people
            row["last_activity_date"] = max(row.get("last_activity_date") or a.activity_date, a.activity_date)
    return {key: {k: v for k, v in value.items() if v} for key, value in expected.items()}  # as `tallied`: no zeros


async def tallied(db) -> dict[tuple[int, int], dict]:
    """The tally's rows, without the all-zero rows a member keeps once all of a year's activities are deleted."""
    found = {}
    async with db.session() as session:
        for row in (await session.exec(select(Tally))).all():
            values = {f"q{q}_{m}": getattr(row, f"q{q}_{m}") for q in range(1, 5) for m in MEASURES}
            values.update({m: getattr(row, m) for m in MEASURES})
            values = {k: v for k, v in values.items() if v}
            if values or row.last_activity_date is not None:
                found[(row.year, row.member_id)] = {**values, "last_activity_date": row.last_activity_date}
    return found


async def assert_consistent(db) -> int:
    want, got = await recount(db), await tallied(db)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key].pop("last_activity_date") == want[key].pop("last_activity_date"), key
        assert got[key] == pytest.approx(want[key]), key
    async with db.session() as session:
        _, mismatches = await tally.check(session)
    assert mismatches == []
    return len(want)


def loggable_day(rng: random.Random, today: date) -> date:
    earliest = earliest_loggable(today, GRACE)
    # mostly the edges of the open period, where quarters and years meet
    choices = [earliest, today, today - timedelta(days=1), earliest + timedelta(days=1)]
    return rng.choice(choices) if rng.random() < 0.7 else earliest + timedelta(days=rng.randrange((today - earliest).days + 1))


def entry(rng: random.Random, today: date) -> ActivityInput:
    return ActivityInput(kind=rng.choice(list(KINDS)), activity_date=loggable_day(rng, today), place="城关区某社区",
                         people=rng.randint(1, 60), summary="走访群众，了解诉求")


async def confirmed_case(w, rng: random.Random, step: int) -> None:
    """A case from intake to the resident's 已解决, which makes its one 帮办实事 activity."""
    at = rng.choice(CONFIRM_AT)
    case = await new_case(w, text=f"第{step}件：小区门口的路灯坏了很久，晚上出行不便", now=at - timedelta(days=2),
                          allow_duplicate=True, policy=POLICY)
    db = w["db"]
    async with db.session() as session:
        row = await session.get(Case, case.id)
        await accept_case(session, case=row, member_id=row.member_id, now=at - timedelta(days=2))
        await resolve_case(session, case=row, member_id=row.member_id, result="已协调修复路灯", now=at - timedelta(hours=1),
                           people=rng.randint(1, 9))
        await answer_case(session, case=row, actor=Actor.resident(w["r1"]), solved=True, rating=5, now=at)
        await session.commit()


@pytest.mark.parametrize("seed_value", [11, 12])
async def test_random_writes_keep_the_tally_equal_to_a_recount(world, seed_value) -> None:
    db, rng = world["db"], random.Random(seed_value)
    async with db.session() as session:
        members = list((await session.exec(select(Member.id).where(Member.active.is_(True)).order_by(Member.id)
                                           .limit(3))).all())
    live: list[int] = []
    done = defaultdict(int)
    for step in range(45):
        action = rng.choice(["save", "save", "edit", "edit", "delete", "case", "batch", "summary", "checkins"])
        if action in ("edit", "delete", "summary", "checkins") and not live:
            action = "save"
        today = rng.choice(TODAYS)
        async with db.session() as session:
            if action == "save":
                saved = await save_activity(session, member_id=rng.choice(members), data=entry(rng, today),
                                            policy=ActivityPolicy(kind_points=KINDS, grace_days=GRACE), today=today, now=NOW)
                live.append(saved.id)
            elif action in ("edit", "summary"):
                target = await session.get(Activity, rng.choice(live))
                data = entry(rng, today)
                if data.people < target.verified_people:  # those who checked in stay counted
                    data = dataclasses.replace(data, people=target.verified_people + rng.randint(0, 5))
                if action == "summary":  # nothing the tally counts changes
                    data = ActivityInput(kind=target.kind, activity_date=target.activity_date, place=target.place,
                                         people=target.people, summary="补充了活动内容的说明")
                await update_activity(session, member_id=target.member_id, activity_id=target.id, data=data,
                                      policy=ActivityPolicy(kind_points=KINDS, grace_days=GRACE, edit_window_days=WINDOW), today=today, now=NOW)
            elif action == "checkins":  # as a reception day's card sets it: some of the 人次 checked in at the door
                target = await session.get(Activity, rng.choice(live))
                target.verified_people = rng.randint(1, target.people)
                session.add(target)
            elif action == "delete":
                target_id = live.pop(rng.randrange(len(live)))
                member_id = (await session.get(Activity, target_id)).member_id
                await delete_activity(session, member_id=member_id, activity_id=target_id, policy=ActivityPolicy(edit_window_days=WINDOW), now=NOW)
            elif action == "batch":  # several writes, several flushes, one commit
                first = await save_activity(session, member_id=members[0], data=entry(rng, today), policy=ActivityPolicy(kind_points=KINDS, grace_days=GRACE),
                                            today=today, now=NOW)
                await update_activity(session, member_id=members[0], activity_id=first.id, data=entry(rng, today),
                                      policy=ActivityPolicy(kind_points=KINDS, grace_days=GRACE, edit_window_days=WINDOW), today=today, now=NOW)
                second = await save_activity(session, member_id=members[1], data=entry(rng, today), policy=ActivityPolicy(kind_points=KINDS, grace_days=GRACE),
                                             today=today, now=NOW)
                await delete_activity(session, member_id=members[1], activity_id=second.id, policy=ActivityPolicy(edit_window_days=WINDOW), now=NOW)
                live.append(first.id)
            await session.commit()
        if action == "case":
            await confirmed_case(world, rng, step)
        done[action] += 1
    rows = await assert_consistent(db)
    years = {year for year, _ in (await recount(db))}
    # the sequence really crossed the year and exercised every kind of write
    assert years == {2026, 2027} and rows >= 4
    assert all(done[a] for a in ("save", "edit", "delete", "case", "batch", "summary", "checkins")), done
    async with db.session() as session:
        confirmed = (await session.exec(select(Activity).where(Activity.case_id.is_not(None)))).all()
    assert {a.activity_date for a in confirmed} & {date(2027, 1, 1), date(2027, 4, 1)}


async def test_deleting_the_latest_activity_moves_the_last_date_back(db, roster) -> None:
    async with db.session() as session:
        member_id = (await session.exec(select(Member.id).order_by(Member.id))).first()
        early = await save_activity(session, member_id=member_id, data=ActivityInput("visit", date(2026, 10, 3), "城关区某社区", 5, "走访群众，了解诉求"),
                                    policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
        late = await save_activity(session, member_id=member_id, data=ActivityInput("visit", date(2026, 11, 19), "城关区某社区", 7, "走访群众，了解诉求"),
                                   policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
        await session.commit()
        row = await session.get(Tally, (2026, member_id))
        assert (row.q4_activities, row.people, row.last_activity_date) == (2, 12, date(2026, 11, 19))
        await delete_activity(session, member_id=member_id, activity_id=late.id, policy=ActivityPolicy(edit_window_days=WINDOW), now=NOW)
        await session.commit()
        await session.refresh(row)
        assert (row.q4_activities, row.people, row.last_activity_date) == (1, 5, date(2026, 10, 3))
        await delete_activity(session, member_id=member_id, activity_id=early.id, policy=ActivityPolicy(edit_window_days=WINDOW), now=NOW)
        await session.commit()
        await session.refresh(row)
        assert (row.activities, row.people, row.points, row.last_activity_date) == (0, 0, 0.0, None)
    await assert_consistent(db)


async def test_a_failure_half_way_leaves_activities_and_tally_as_they_were(db, roster, monkeypatch) -> None:
    async with db.session() as session:
        member_id = (await session.exec(select(Member.id).order_by(Member.id))).first()
        kept = await save_activity(session, member_id=member_id, data=ActivityInput("visit", date(2026, 11, 2), "城关区某社区", 4, "走访群众，了解诉求"),
                                   policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
        await session.commit()
    before = await tallied(db)
    # 1. the use case fails after the activity and its tally were flushed: the caller never commits
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await save_activity(session, member_id=member_id, data=ActivityInput("inspection", date(2026, 11, 19), "城关区某社区", 30, "调研视察，了解情况"),
                                policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
            await update_activity(session, member_id=member_id, activity_id=kept.id,
                                  data=ActivityInput("visit", date(2026, 10, 1), "城关区某社区", 9, "走访群众，了解诉求"),
                                  policy=ActivityPolicy(kind_points=KINDS, grace_days=0, edit_window_days=WINDOW), today=date(2026, 11, 20), now=NOW)
            assert (await session.get(Tally, (2026, member_id))).q4_activities == 2  # it was written, uncommitted
            raise RuntimeError("the confirmation could not be rendered")
    # 2. the tally's own statement fails: the activity is not saved either
    real = tally.statements
    monkeypatch.setattr(tally, "statements", lambda changes, dialect: [*real(changes, dialect), text("SELECT * FROM no_such_table")])
    with pytest.raises(Exception):  # noqa: B017 - whatever the database raises, nothing may be kept
        async with db.session() as session:
            await save_activity(session, member_id=member_id, data=ActivityInput("visit", date(2026, 11, 18), "城关区某社区", 3, "走访群众，了解诉求"),
                                policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
            await session.commit()
    monkeypatch.undo()
    assert await tallied(db) == before
    async with db.session() as session:
        assert len((await session.exec(select(Activity))).all()) == 1
    await assert_consistent(db)


async def test_a_refused_write_changes_nothing(db, roster) -> None:
    async with db.session() as session:
        member_id = (await session.exec(select(Member.id).order_by(Member.id))).first()
        with pytest.raises(ActivityProblem):
            await save_activity(session, member_id=member_id, data=ActivityInput("visit", date(2026, 12, 1), "城关区某社区", 3, "走访群众，了解诉求"),
                                policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
        await session.commit()
    assert await tallied(db) == {}


async def test_concurrent_writers_for_one_member_add_up(db, roster, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; PostgreSQL runs these transactions concurrently")
    async with db.session() as session:
        member_id = (await session.exec(select(Member.id).order_by(Member.id))).first()

    async def writer(n: int) -> None:
        async with db.session() as session:
            await save_activity(session, member_id=member_id,
                                data=ActivityInput("visit", date(2026, 11, 1 + n), f"城关区第{n}社区", n + 1, "走访群众，了解诉求"),
                                policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
            await asyncio.sleep(0.05)  # hold the transaction open while the others write
            await session.commit()

    # eight transactions insert, then update, the same absent tally row at once
    await asyncio.gather(*(writer(n) for n in range(8)))
    async with db.session() as session:
        row = await session.get(Tally, (2026, member_id))
    assert (row.q4_activities, row.people, row.points, row.last_activity_date) == (8, sum(range(1, 9)), 16.0, date(2026, 11, 8))
    await assert_consistent(db)


async def test_the_migration_tallies_what_was_written_before_it(database_url) -> None:
    """Activities written at revision 0006 (no tally yet) are counted once 0007 has run."""
    migrate(database_url, "0006", down=True)
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            assert "tally" not in _tables(connection)
            connection.execute(text("INSERT INTO member (number, name, level, sector_id, active, created_at, updated_at,"
                                    " open_cases, case_assigned_us) SELECT 'M' || id, '委员', 'province', id, true,"
                                    " '2026-01-01', '2026-01-01', 0, 0 FROM sector WHERE id <= 3"))
            members = [r[0] for r in connection.execute(text("SELECT id FROM member ORDER BY id"))]
            rng = random.Random(7)
            rows = []
            for i in range(120):
                day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
                rows.append({"m": rng.choice(members), "kind": "visit", "day": day, "y": day.year, "q": (day.month - 1) // 3 + 1,
                             "people": rng.randint(1, 20), "points": rng.choice([0.5, 2.0, 3.0]),
                             "deleted": datetime(2026, 6, 1, tzinfo=UTC) if i % 9 == 0 else None})
            connection.execute(text(
                "INSERT INTO activity (member_id, kind, activity_date, year, quarter, place, people, summary, points,"
                " created_at, updated_at, deleted_at) VALUES (:m, :kind, :day, :y, :q, '某社区', :people, '走访', :points,"
                " '2026-01-01', '2026-01-01', :deleted)"), rows)
    finally:
        engine.dispose()
    upgrade(database_url)
    from bot.db import Database

    db = Database(database_url)
    try:
        assert await assert_consistent(db) >= 6
        async with db.session() as session:
            row = await session.get(Tally, (2026, members[0]))
        live = [r for r in rows if r["m"] == members[0] and r["y"] == 2026 and r["deleted"] is None]
        assert row.people == sum(r["people"] for r in live) and row.last_activity_date == max(r["day"] for r in live)
    finally:
        await db.dispose()


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_cli_check_finds_and_rebuild_repairs(db, roster, database_url, capsys) -> None:
    async with db.session() as session:
        first, second = (await session.exec(select(Member.id, Member.number).order_by(Member.id).limit(2))).all()
        for member_id, day, people in ((first[0], date(2026, 11, 2), 4), (second[0], date(2026, 10, 9), 6)):
            await save_activity(session, member_id=member_id, data=ActivityInput("visit", day, "城关区某社区", people, "走访群众，了解诉求"),
                                policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=date(2026, 11, 20), now=NOW)
        await session.commit()
    settings = make_settings(database_url, _NoTelegram())  # type: ignore[arg-type]
    loop_free = lambda argv: asyncio.get_running_loop().run_in_executor(None, lambda: main(argv, settings=settings))  # noqa: E731
    assert await loop_free(["tally", "--check"]) == 0
    assert "一致：共核对 2 行" in capsys.readouterr().out
    # someone changed the database by hand, around the service layer
    async with db.session() as session:
        await session.exec(update(Tally).where(Tally.member_id == first[0]).values(q4_people=40, people=40,
                                                                                   q4_verified=3, verified=3))
        await session.exec(text("DELETE FROM tally WHERE member_id = :m").bindparams(m=second[0]))
        session.add(Tally(year=2025, member_id=second[0], q2_activities=1, activities=1))  # nothing behind it
        await session.commit()
    assert await loop_free(["tally", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"2026年 {first[1]}：第4季度人次、第4季度扫码核实人次、全年人次、全年扫码核实人次" in out
    assert f"2026年 {second[1]}：" in out and f"2025年 {second[1]}：" in out and "--rebuild" in out
    assert await loop_free(["tally", "--rebuild"]) == 0
    assert "重建年度汇总：2 行" in capsys.readouterr().out
    assert await loop_free(["tally", "--check"]) == 0
    await assert_consistent(db)


class _NoTelegram:
    base_url = "http://127.0.0.1:9/bot"
    base_file_url = "http://127.0.0.1:9/file/bot"


# --- the laggard scan read from the tally: the points that leave the bottom ---------------


def leave_bottom_gaps(data: dict, *, year: int, share: float) -> dict[str, float]:
    """Number -> points to reach the lowest peer outside the bottom, recounted in plain Python."""
    points: dict[int, float] = defaultdict(float)
    for member_id, day, _people, n_points, live in data["activities"]:
        if live and day.year == year:
            points[member_id] += n_points
    peers: dict[tuple, list[int]] = defaultdict(list)
    numbers = {}
    for member_id, number, level, region, group, sector, active, _tg in data["members"]:
        if active:
            peers[(level, region, group, sector if group is None else None)].append(member_id)
            numbers[member_id] = number
    gaps = {}
    for ids in peers.values():
        if len(ids) < 2:
            continue
        top = max(points[i] for i in ids)
        bottom = {i for i in ids if points[i] < top and sum(1 for j in ids if points[j] < points[i]) < len(ids) * share}
        if bottom:
            lowest_outside = min(points[i] for i in ids if i not in bottom)
            gaps.update({numbers[i]: lowest_outside - points[i] for i in bottom})
    return gaps


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
async def test_points_to_leave_the_bottom_equal_a_recount(db, share) -> None:
    from bot.services.reminders import DutyPolicy, Rule, laggards
    from bot.services.rules import Quarter
    from bot.services.scopes import Scope
    from models import ScopeKind, Sector
    from tests.test_reminders import TZ, seed

    data = await seed(db, seed_value=23)
    policy = DutyPolicy(tz=TZ, bottom_share=share)
    gaps = leave_bottom_gaps(data, year=2026, share=share)
    assert len(gaps) >= 3 and len(set(gaps.values())) >= 2
    async with db.session() as session:
        sector = (await session.exec(select(Sector.name).order_by(Sector.id).limit(1))).one()
        q4, as_of = Quarter(2026, 4), date(2026, 11, 14)
        every = await laggards(session, quarter=q4, as_of=as_of, policy=policy)
        assert {lag.number: lag.points_to_leave_bottom for lag in every if lag.points_to_leave_bottom is not None} == \
            pytest.approx(gaps)
        # the gap is told when the bottom share is asked for (nobody is ranked otherwise), and a sector
        # scope (which cuts through activity groups) narrows who is listed, not whom they are compared with
        for rules, scopes in (([Rule.no_activity], None), ([Rule.bottom_share], [Scope(ScopeKind.sector, sector)]),
                              ([Rule.below_pace, Rule.bottom_share], [Scope(ScopeKind.sector, sector)]),
                              ([Rule.below_pace, Rule.no_activity], [Scope(ScopeKind.sector, sector)])):
            some = await laggards(session, quarter=q4, as_of=as_of, policy=policy, rules=rules, scopes=scopes)
            assert some and all(set(lag.rules) <= set(rules) for lag in some)
            ranked = Rule.bottom_share in rules
            for lag in some:
                assert lag.points_to_leave_bottom == pytest.approx(gaps.get(lag.number)) if ranked and lag.number in gaps \
                    else lag.points_to_leave_bottom is None
            if scopes:
                sector_id = (await session.exec(select(Sector.id).where(Sector.name == sector))).one()
                in_sector = {m[1] for m in data["members"] if m[5] == sector_id}
                assert {lag.number for lag in some} <= in_sector


async def test_the_migration_tallies_the_verified_people_written_before_it(database_url, roster) -> None:
    """Activities with 人次 checked in at the door, written before the tally kept them, are counted once
    the migration has run; going down and up keeps the tally's other figures and its clustering."""
    from bot.db import Database

    db = Database(database_url)
    try:
        async with db.session() as session:
            member_id = (await session.exec(select(Member.id).order_by(Member.id))).first()
            for day, people, verified in ((date(2026, 9, 28), 9, 4), (date(2026, 10, 2), 6, 6), (date(2026, 10, 4), 3, 0)):
                saved = await save_activity(session, member_id=member_id,
                                            data=ActivityInput("visit", day, "城关区某社区", people, f"接待群众{day}"),
                                            policy=ActivityPolicy(kind_points=KINDS, grace_days=GRACE),
                                            today=date(2026, 10, 5), now=NOW)
                saved.verified_people = verified
                session.add(saved)
            await session.commit()
    finally:
        await db.dispose()
    migrate(database_url, "0015", down=True)
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("tally")}
            assert "verified" not in columns and "q4_verified" not in columns
            assert connection.execute(text("SELECT people FROM tally WHERE year = 2026")).scalar_one() == 18
    finally:
        engine.dispose()
    upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.session() as session:
            row = await session.get(Tally, (2026, member_id))
        assert (row.q3_verified, row.q4_verified, row.verified, row.people) == (4, 6, 10, 18)
        await assert_consistent(db)
    finally:
        await db.dispose()
    if database_url.startswith("sqlite"):
        engine = sync_engine(database_url)
        try:
            with engine.connect() as connection:
                ddl = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'tally'")).scalar_one()
            assert "WITHOUT ROWID" in ddl.upper()
        finally:
            engine.dispose()
