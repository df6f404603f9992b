"""The annual duty report: every figure against an independent recount of the raw rows, the DOCX read back,
and the command line (one member, and everyone in a region)."""

from __future__ import annotations

import asyncio
import io
import math
import zipfile
from datetime import timedelta
from pathlib import Path

import docx
import pytest

from bot.cli import main as cli_main
from bot.services.duty_report import (
    QuotaState,
    duty_figures,
    duty_reports_zip,
    filename,
    members_in_scope,
    render_duty_report,
)
from bot.services.reminders import DutyPolicy
from bot.services.rules import Quarter
from bot.services.scopes import Scope
from bot.texts import DUTY
from models import (
    Activity,
    Case,
    CaseStatus,
    ContactPoint,
    ContactPointKind,
    Reception,
    ReceptionCheckin,
    ReceptionStatus,
    Resident,
    ScopeKind,
    Station,
    StationKind,
    StationMember,
    utcnow,
)
from tests.conftest import offline_settings
from tests.stats_world import TZ, World, seed_world

POLICY = DutyPolicy(tz=TZ, quarter_target=1, year_target=40)
KIND_NAMES = {"visit": "走访群众", "inspection": "视察调研"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


async def seeded(db) -> tuple[World, dict]:
    """The statistics' world, plus contact points with activities and a case whose text names a resident."""
    now = utcnow()
    world = await seed_world(db, now=now)
    today = world.today
    member = next(m for m in world.members if m["active"] and m["group"] is not None)
    async with db.session() as session:
        points = [ContactPoint(member_id=member["id"], name="城关区幸福社区", kind=ContactPointKind.community),
                  ContactPoint(member_id=member["id"], name="榆中县三角城村", kind=ContactPointKind.village,
                               position=1)]
        session.add_all(points)
        await session.flush()
        for n, point in enumerate(points * 2):
            day = today - timedelta(days=n)
            session.add(Activity(member_id=member["id"], kind="visit", activity_date=day, year=day.year,
                                 quarter=(day.month - 1) // 3 + 1, place=point.name, contact_point_id=point.id,
                                 people=5 + n, summary="走访", points=2.0))
            world.activities.append(dict(member=member["id"], kind="visit", day=day, people=5 + n, points=2.0,
                                         live=True, point=point.name))
        created = now - timedelta(hours=3)
        session.add(Case(number=f"{today.year}-777777", year=today.year, seq=777777, category="出行",
                         description="我叫王建国，电话13912345678，住在人民路15号，门口路灯坏了",
                         status=CaseStatus.confirmed, member_id=member["id"], created_at=created,
                         updated_at=created, accepted_at=created + timedelta(hours=1),
                         resolved_at=created + timedelta(hours=2), rating=5, requester_name="王建国"))
        world.cases.append(dict(member=member["id"], category="出行", status="confirmed", created=created,
                                accepted=created + timedelta(hours=1), resolved=created + timedelta(hours=2),
                                rating=5))
        await seed_stations(session, world, member)
        await session.commit()
    return world, member


async def seed_stations(session, world: World, member: dict) -> None:
    """Stations with the member on duty (one of them inactive), one where they only held a day, and reception days
    held, cancelled, still to come, of last year and of another member, with check-ins; one activity made from a
    day with 扫码核实 人次. Kept as rows on `world` for the recount."""
    other = next(m for m in world.members if m["active"] and m["id"] != member["id"])
    stations = [Station(code="ZZ01", name="城关区委员工作站", kind=StationKind.workstation),
                Station(code="ZZ02", name="天水市委员工作室", kind=StationKind.studio),
                Station(code="ZZ03", name="停用的工作站", kind=StationKind.workstation, active=False),
                Station(code="ZZ04", name="别人的工作站", kind=StationKind.workstation)]
    session.add_all(stations)
    await session.flush()
    a, b, gone, elsewhere = stations
    duty = [(a, member), (gone, member), (elsewhere, other)]
    session.add_all([StationMember(station_id=s.id, member_id=m["id"]) for s, m in duty])
    now = world.now
    days = [  # station, member, start, status, check-ins
        (a, member, now - timedelta(days=2, hours=3), ReceptionStatus.held, 3),
        (a, member, now - timedelta(days=1, hours=3), ReceptionStatus.cancelled, 1),
        (a, member, now + timedelta(days=1), ReceptionStatus.scheduled, 0),
        (a, member, now - timedelta(hours=1), ReceptionStatus.scheduled, 1),  # not over yet
        (a, member, now - timedelta(days=400), ReceptionStatus.held, 1),
        (b, member, now - timedelta(days=3, hours=3), ReceptionStatus.scheduled, 2),  # over, card not confirmed
        (a, other, now - timedelta(days=2, hours=5), ReceptionStatus.held, 1),
    ]
    residents = [Resident(telegram_id=7100 + n, display_name=f"群众{n}") for n in range(3)]
    session.add_all(residents)
    receptions = [Reception(station_id=s.id, member_id=m["id"], starts_at=start, ends_at=start + timedelta(hours=2),
                            topic="接待日", status=status, created_by=1) for s, m, start, status, _ in days]
    session.add_all(receptions)
    await session.flush()
    session.add_all([ReceptionCheckin(reception_id=r.id, resident_id=residents[n].id)
                     for r, (*_, count) in zip(receptions, days, strict=True) for n in range(count)])
    day = days[0][2].astimezone(TZ).date()
    session.add(Activity(member_id=member["id"], kind="reception_day", activity_date=day, year=day.year,
                         quarter=(day.month - 1) // 3 + 1, place=a.name, people=7, verified_people=3,
                         summary="接待日", points=3.0, reception_id=receptions[0].id))
    world.activities.append(dict(member=member["id"], kind="reception_day", day=day, people=7, verified=3,
                                 points=3.0, live=True))
    world.stations = [dict(id=s.id, code=s.code, name=s.name, kind=s.kind, active=s.active) for s in stations]
    world.duty = [(s.id, m["id"]) for s, m in duty]
    world.receptions = [dict(station=s.id, member=m["id"], start=start, end=start + timedelta(hours=2),
                             status=status, checkins=count) for s, m, start, status, count in days]


async def main(args: list[str], settings) -> int:
    """The command line in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(cli_main, args, settings)


def recount(world: World, member: dict, year: int) -> dict:
    """The member's year from the rows as created, in plain Python."""
    live = [a for a in world.activities if a["member"] == member["id"] and a["live"] and a["day"].year == year]
    kinds: dict[str, tuple[list[int], list[int]]] = {}
    months = [0] * 12
    for a in live:
        q = (a["day"].month - 1) // 3
        counts, people = kinds.setdefault(a["kind"], ([0] * 4, [0] * 4))
        counts[q] += 1
        people[q] += a["people"]
        months[a["day"].month - 1] += a["people"]

    def committee(m: dict) -> tuple:
        return m["level"], m["region"]

    def is_peer(p: dict) -> bool:
        if not (p["active"] or p["id"] == member["id"]) or committee(p) != committee(member):
            return False
        if member["group"] is not None:
            return p["group"] == member["group"]
        return p["group"] is None and p["sector"] == member["sector"]

    def points_of(m: dict) -> float:
        return sum(a["points"] for a in world.activities
                   if a["member"] == m["id"] and a["live"] and a["day"].year == year)

    peers = {p["id"]: points_of(p) for p in world.members if is_peer(p)}
    mine = peers[member["id"]]
    rank = None if mine <= 0 else 1 + sum(1 for v in peers.values() if v > mine and not math.isclose(v, mine))
    quarters = []
    for q in range(4):
        n = sum(counts[q] for counts, _ in kinds.values())
        quarter = Quarter(year, q + 1)
        state = (QuotaState.met if n >= POLICY.quarter_target else QuotaState.missed if quarter.last_day < world.today
                 else QuotaState.running if quarter.first_day <= world.today else QuotaState.ahead)
        quarters.append((n, sum(people[q] for _, people in kinds.values()), state))
    held = [r for r in getattr(world, "receptions", []) if r["member"] == member["id"]
            and r["start"].astimezone(TZ).year == year and r["end"] <= world.now
            and r["status"] is not ReceptionStatus.cancelled]
    stations = sorted(
        (s["code"], s["name"], s["kind"], (s["id"], member["id"]) in world.duty and s["active"],
         sum(1 for r in held if r["station"] == s["id"]), sum(r["checkins"] for r in held if r["station"] == s["id"]))
        for s in getattr(world, "stations", [])
        if ((s["id"], member["id"]) in world.duty and s["active"]) or any(r["station"] == s["id"] for r in held))
    cases = [c for c in world.cases if c["member"] == member["id"] and c["created"].astimezone(TZ).year == year]
    ratings = [c["rating"] for c in cases if c["rating"] is not None]
    return dict(
        kinds={k: (tuple(c), tuple(p)) for k, (c, p) in kinds.items()}, months=months, points=mine, rank=rank,
        peers=len(peers), quarters=quarters, activities=len(live), people=sum(a["people"] for a in live),
        verified=sum(a.get("verified", 0) for a in live), stations=stations,
        cases=(len(cases), sum(1 for c in cases if c["accepted"] and c["accepted"] - c["created"] <= timedelta(hours=48)),
               sum(1 for c in cases if c["resolved"]), sum(1 for c in cases if c["status"] == "confirmed"),
               sum(ratings) / len(ratings) if ratings else None),
    )


async def test_every_figure_equals_an_independent_recount(db) -> None:
    world, _ = await seeded(db)
    year = world.today.year
    checked = 0
    async with db.session() as session:
        for member in world.members:
            figures = await duty_figures(session, member_id=member["id"], year=year, today=world.today, policy=POLICY,
                                         now=world.now)
            truth = recount(world, member, year)
            assert figures.verified_people == truth["verified"]
            assert [(s.code, s.name, s.kind, s.on_duty, s.receptions, s.checkins)
                    for s in figures.stations] == truth["stations"], member["number"]
            assert {k.kind: (k.activities, k.people) for k in figures.by_kind} == truth["kinds"], member["number"]
            assert figures.people_by_month == truth["months"]
            assert (figures.activities, figures.people) == (truth["activities"], truth["people"])
            assert math.isclose(figures.points, truth["points"])
            assert (figures.rank, figures.peers) == (truth["rank"], truth["peers"]), member["number"]
            assert [(q.activities, q.people, q.state) for q in figures.quarters] == truth["quarters"]
            cases = figures.cases
            assert (cases.handled, cases.accepted_in_time, cases.resolved, cases.confirmed) == truth["cases"][:4]
            assert cases.average_rating == pytest.approx(truth["cases"][4]) if truth["cases"][4] else \
                cases.average_rating is None
            assert len(cases.examples) == min(10, cases.handled)
            checked += bool(figures.activities or cases.handled)
    assert checked >= 20  # the world reaches most members


async def test_the_document_reads_back(db) -> None:
    world, member = await seeded(db)
    year = world.today.year
    async with db.session() as session:
        figures = await duty_figures(session, member_id=member["id"], year=year, today=world.today, policy=POLICY,
                                     now=world.now)
    content = render_duty_report(figures, kind_names=KIND_NAMES, generated_at=world.now.astimezone(TZ))
    document = docx.Document(io.BytesIO(content))
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == f"{member['name']}委员{year}年度履职报告"
    assert member["number"] in paragraphs[1].text and world.sectors[member["sector"]] in paragraphs[1].text
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == [
        DUTY["h_figures"], DUTY["h_points"], DUTY["h_cases"], DUTY["h_chart"], DUTY["h_plans"]]
    assert DUTY["h_stations"] in [p.text for p in paragraphs if p.style.name == "Heading 2"]
    kinds, quarters, points, stations, cases = document.tables
    truth = recount(world, member, year)
    figures_text = next(p.text for p in paragraphs if p.text.startswith(f"{year}年共开展"))
    assert f"联系群众 {truth['people']} 人次（其中扫码核实 {truth['verified']} 人次）" in figures_text
    assert truth["verified"] == 3 or world.today.timetuple().tm_yday <= 3  # the day may fall in last year
    kind_of = {StationKind.workstation: "工作站", StationKind.studio: "工作室"}
    assert [[c.text for c in row.cells] for row in stations.rows[1:]] == [
        [f"{name}（{code}）", kind_of[kind], "是" if on_duty else "否", str(days), str(checkins)]
        for code, name, kind, on_duty, days, checkins in truth["stations"]
    ] + [["合计", "", "", str(sum(s[4] for s in truth["stations"])), str(sum(s[5] for s in truth["stations"]))]]
    assert [s[0] for s in truth["stations"]] == ["ZZ01", "ZZ02"]  # the inactive one and another's left out
    assert DUTY["no_stations"] not in [p.text for p in document.paragraphs]
    rows = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in kinds.rows[1:]}
    for kind, (counts, people) in truth["kinds"].items():
        assert rows[KIND_NAMES.get(kind, kind)] == [str(v) for v in (*counts, sum(counts), sum(people))]
    assert rows[DUTY["total"]][-2:] == [str(truth["activities"]), str(truth["people"])]
    assert [row.cells[-1].text for row in quarters.rows[1:]] == [DUTY[f"quota_{s}"] for *_, s in truth["quarters"]]
    assert [[c.text for c in row.cells] for row in points.rows[1:]] == [
        ["城关区幸福社区", "社区", "2", str(5 + 7)], ["榆中县三角城村", "村", "2", str(6 + 8)]]
    handled, in_time, resolved, confirmed, rating = truth["cases"]
    assert [c.text for c in cases.rows[1].cells] == [str(handled), str(in_time), str(resolved), str(confirmed),
                                                     "—" if rating is None else f"{rating:.1f}"]
    # the chart is embedded as a PNG
    assert len(document.inline_shapes) == 1
    images = [p for p in document.part.package.parts if p.content_type == "image/png"]
    assert len(images) == 1 and images[0].blob.startswith(b"\x89PNG")
    # the plans are left empty for the member: the hint, then nothing
    texts = [p.text for p in document.paragraphs]
    after = texts[texts.index(DUTY["h_plans"]) + 1:]
    assert after[0] == DUTY["plans_hint"] and not any(after[1:])
    # nothing personal of the resident; the case is there, titled by a masked excerpt
    text = "\n".join(texts)
    assert f"{year}-777777" in text and "王某某" in text
    assert "王建国" not in text and "13912345678" not in text and "15号" not in text
    # fonts by name on the East Asian slot
    assert paragraphs[2].runs[0]._element.rPr.rFonts.get(f"{W}eastAsia") in ("仿宋", "黑体")
    heading = next(p for p in paragraphs if p.style.name == "Heading 1")
    assert heading.runs[0]._element.rPr.rFonts.get(f"{W}eastAsia") == "黑体"
    assert document.styles["Normal"].element.rPr.rFonts.get(f"{W}eastAsia") == "仿宋"
    # a ZIP of several documents keeps their names
    packed = zipfile.ZipFile(io.BytesIO(duty_reports_zip([(filename(figures), content), ("b.docx", content)])))
    assert packed.namelist() == [filename(figures), "b.docx"]


async def test_cli_one_member_and_a_region(database_url, db, tmp_path: Path, capsys) -> None:
    world, member = await seeded(db)
    settings = offline_settings(database_url)
    year = str(world.today.year)
    out = tmp_path / "报告"
    assert await main(["duty-report", "--year", year, "--member", member["number"].lower(), "--out", str(out)],
                settings) == 0
    assert (tmp_path / "报告.docx").exists()
    assert docx.Document(str(tmp_path / "报告.docx")).paragraphs[0].text.startswith(member["name"])
    assert member["number"] in capsys.readouterr().out

    folder = tmp_path / "兰州"
    assert await main(["duty-report", "--year", year, "--all", "--region", "甘肃省/兰州市", "--out-dir", str(folder)],
                settings) == 0
    async with db.session() as session:
        expected = await members_in_scope(session, scopes=[Scope(ScopeKind.region, "甘肃省/兰州市")])
    names = sorted(p.name for p in folder.iterdir())
    assert expected and len(names) == len(expected)
    assert all(any(f"_{number}_" in n for n in names) for _, number, _ in expected)

    # bad input: said in one line, nothing written
    assert await main(["duty-report", "--year", "20x6", "--member", "S001", "--out", str(tmp_path / "x.docx")],
                settings) == 1
    assert await main(["duty-report", "--year", year, "--member", "NOPE99", "--out", str(tmp_path / "y.docx")],
                settings) == 1
    assert await main(["duty-report", "--year", year, "--all", "--out", str(tmp_path / "z.docx")], settings) == 1
    err = capsys.readouterr().err
    assert "年份写得不对" in err and "NOPE99" in err and "--out-dir" in err
    assert not any((tmp_path / n).exists() for n in ("x.docx", "y.docx", "z.docx"))


async def test_cli_digest(database_url, db, tmp_path: Path, capsys) -> None:
    from tests.support.digest_cases import seed_labelled

    quarter = Quarter.of(utcnow().astimezone(TZ).date())
    await seed_labelled(db, quarter)
    settings = offline_settings(database_url)
    out = tmp_path / "社情民意.docx"
    assert await main(["digest", "--quarter", quarter.label, "--region", "甘肃省/天水市", "--out", str(out)], settings) == 0
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "社情民意信息（草稿）"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "苹果" in text and "加装电梯" not in text  # 兰州's cases are outside the region
    assert "已写入" in capsys.readouterr().out
    assert await main(["digest", "--quarter", "2026Q5", "--out", str(out)], settings) == 1
