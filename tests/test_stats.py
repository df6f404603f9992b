"""Statistics and the quarterly report: figures against an independent recount, the XLSX opened and
checked, the chart a valid PNG whose Chinese text found its glyphs (warnings are errors)."""

from __future__ import annotations

import io
import math
import warnings
from collections import Counter, defaultdict
from datetime import date

from openpyxl import load_workbook

from bot.services.charts import render_report_chart
from bot.services.report import build_report, quarter_stats, report_sections
from bot.services.rules import Quarter
from bot.services.scopes import Committee, Scope
from models import Level, ScopeKind
from tests.support.fake_telegram import image_size
from tests.support.sheets import body, headers
from tests.test_reminders import G1_PROVINCE, POLICY, in_g1_province, recount, seed

KIND_NAMES = {"visit": "主动走访", "inspection": "调研视察", "other": "其他"}
Q3 = Quarter(2026, 3)


def independent(data: dict, quarter: Quarter, as_of: date, member_filter=lambda m: True) -> dict:
    members = [m for m in data["members"] if m[6] and member_filter(m)]
    ids = {m[0] for m in members}
    q_n: Counter = Counter()
    people: Counter = Counter()
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (member_id, day, n, _points, live), kind in zip(data["activities"], data["kinds"]):
        if not live or member_id not in ids or day.year != quarter.year:
            continue
        people[member_id] += n
        if (day.month - 1) // 3 + 1 == quarter.q:
            q_n[member_id] += 1
            by_kind[kind][0] += 1
            by_kind[kind][1] += n
    day_of_year = as_of.timetuple().tm_yday
    expected = math.ceil(40 * day_of_year / (366 if as_of.year % 4 == 0 else 365) - 1e-9)
    return {
        "members": len(members),
        "bound": sum(1 for m in members if m[7] is not None),
        "with_activity": sum(1 for m in members if q_n[m[0]] > 0),
        "on_pace": sum(1 for m in members if people[m[0]] >= expected),
        "by_kind": {k: tuple(v) for k, v in by_kind.items()},
        "lagging": {n for n in recount(data, quarter=quarter, as_of=as_of) if n in {m[1] for m in members}},
    }


async def test_quarter_figures_equal_an_independent_recount(db) -> None:
    data = await seed(db)
    cases = [
        (None, lambda m: True),
        # 第1界别活动组 of each committee: different members, different figures; no committee: nobody
        ([G1_PROVINCE], lambda m: m[1] in in_g1_province(data)),
        ([Scope(ScopeKind.group, "第1界别活动组", Committee(Level.city, "甘肃省/兰州市"))],
         lambda m: m[4] == data["g1"] and m[2] is Level.city),
        ([Scope(ScopeKind.group, "第1界别活动组")], lambda m: False),
        ([Scope(ScopeKind.region, "甘肃省/兰州市")], lambda m: m[2].value == "city"),
    ]
    for scopes, member_filter in cases:
        for quarter, today in [(Q3, date(2026, 11, 28)), (Quarter(2026, 4), date(2026, 11, 14))]:
            async with db.session() as session:
                stats = await quarter_stats(session, quarter=quarter, today=today, policy=POLICY, scopes=scopes)
            want = independent(data, quarter, min(today, quarter.last_day), member_filter)
            got = {
                "members": stats.members, "bound": stats.bound, "with_activity": stats.with_activity,
                "on_pace": stats.on_pace, "by_kind": {r.kind: (r.activities, r.people) for r in stats.by_kind},
                "lagging": {lag.number for lag in stats.lagging},
            }
            assert got == want, (scopes, quarter)
            assert sum(r.members for r in stats.by_group) == stats.members
            assert sum(r.people for r in stats.by_group) == sum(r.people for r in stats.by_kind)


async def test_report_xlsx_and_chart(db) -> None:
    await seed(db)
    async with db.session() as session:
        stats = await quarter_stats(session, quarter=Q3, today=date(2026, 10, 1), policy=POLICY)
    report = await build_report(stats, kind_names=KIND_NAMES)
    assert report.filename == "季度报告_2026Q3.xlsx"
    assert "2026年第三季度" in report.caption and f"在册委员 {stats.members}" in report.caption
    book = load_workbook(io.BytesIO(report.xlsx))
    assert book.sheetnames == ["委员概况", "落后名单", "无法送达", "按活动类型", "按活动组", "诉求办理"]
    for section, sheet in zip(report_sections(stats, kind_names=KIND_NAMES), book.worksheets):
        assert sheet.freeze_panes == "A3"
        assert headers(sheet) == list(section.headers) and sheet["A2"].font.bold
        assert sheet.max_row == 2 + len(section.rows) + (section.totals is not None)
        merged = {r.start_cell.coordinate for r in sheet.merged_cells.ranges}  # the title, a totals label
        for column, _header in zip("ABCDEFGH", section.headers):
            longest = max(len(str(v.value or "")) for v in sheet[column] if v.coordinate not in merged)
            assert sheet.column_dimensions[column].width >= longest  # fits (CJK counted double)
    overview = {row[0]: row[1] for row in body(book["委员概况"])}
    assert overview["在册委员"] == stats.members and overview["本季度有活动"] == stats.with_activity
    lagging = book["落后名单"]
    assert {row[0] for row in body(lagging)} == {lag.number for lag in stats.lagging}
    kinds = {row[0]: (row[1], row[2]) for row in body(book["按活动类型"])}
    assert kinds == {KIND_NAMES[r.kind]: (r.activities, r.people) for r in stats.by_kind}
    assert image_size(report.png)[0] == "png" and report.png.startswith(b"\x89PNG\r\n\x1a\n")


async def test_chart_text_renders_with_a_cjk_font(db) -> None:
    await seed(db)
    async with db.session() as session:
        stats = await quarter_stats(session, quarter=Q3, today=date(2026, 10, 1), policy=POLICY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" is a UserWarning
        png = render_report_chart(stats, kind_names=KIND_NAMES)
    kind, width, height = image_size(png)
    assert kind == "png" and (width, height) == (1000, 550)
    # and without the font the same chart would warn: the test can fail
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure()
    figure.subplots().set_title("按活动组", fontfamily="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in caught)


async def test_quarterly_report_is_delivered_once_to_each_coordinator_and_admin(database_url, db, fake) -> None:
    import time_machine
    from sqlmodel import select

    from bot.app import build_application
    from bot.context import LianxinContext
    from models import OutboxMessage
    from scheduler.delivery import Delivery, DeliveryConfig
    from scheduler.reminders import send_reports
    from tests.conftest import ADMIN_ID, make_settings
    from tests.test_reminders import COORDINATOR, shanghai

    await seed(db)
    coordinator, admin = fake.user(COORDINATOR), fake.user(ADMIN_ID)
    application = build_application(make_settings(database_url, fake), rate_limit=False)
    await application.initialize()
    try:
        context = LianxinContext(application)
        with time_machine.travel(shanghai(2026, 10, 1, 8, 59), tick=False):
            await send_reports(context)  # Q3's quarter-end moment has not come yet
        async with db.session() as session:
            assert (await session.exec(select(OutboxMessage))).all() == []
        with time_machine.travel(shanghai(2026, 10, 1, 9, 30), tick=False):
            await send_reports(context)
            await send_reports(context)
        with time_machine.travel(shanghai(2026, 10, 1, 9, 31), tick=True):
            await Delivery(application, application.db, config=DeliveryConfig(per_chat_interval=0)).run(budget=20)
        for person in (coordinator, admin):
            chart, sheet = person.messages
            assert chart.photo and "2026年第三季度季度报告" in chart.caption
            assert sheet.document["file_name"] == "季度报告_2026Q3.xlsx"
        assert "活动组：第1界别活动组" in coordinator.messages[0].caption and "全部委员" in admin.messages[0].caption
    finally:
        await application.shutdown()
        await application.db.dispose()


async def test_the_quarterly_report_brings_the_digest_draft_of_each_scope_with_cases(database_url, db, fake) -> None:
    import time_machine
    from docx import Document

    from bot.app import build_application
    from bot.context import LianxinContext
    from scheduler.delivery import Delivery, DeliveryConfig
    from scheduler.reminders import send_reports
    from tests.conftest import ADMIN_ID, make_settings
    from tests.support.digest_cases import seed_labelled
    from tests.test_reminders import COORDINATOR, shanghai

    await seed(db)
    themes = await seed_labelled(db, Q3)  # handled by members outside the coordinator's group
    coordinator, admin = fake.user(COORDINATOR), fake.user(ADMIN_ID)
    application = build_application(make_settings(database_url, fake), rate_limit=False)
    await application.initialize()
    try:
        with time_machine.travel(shanghai(2026, 10, 1, 9, 30), tick=False):
            await send_reports(LianxinContext(application))
        with time_machine.travel(shanghai(2026, 10, 1, 9, 31), tick=True):
            await Delivery(application, application.db, config=DeliveryConfig(per_chat_interval=0)).run(budget=20)
        assert len(coordinator.messages) == 2  # no case in the group's scope: no draft
        _, _, draft = admin.messages
        assert draft.document["file_name"] == "社情民意信息（草稿）_2026Q3.docx" and "社情民意信息（草稿）" in draft.caption
        text = "\n".join(p.text for p in Document(io.BytesIO(draft.document_bytes)).paragraphs)
        assert "反映的主要问题" in text and f"{sum(len(v) for v in themes.values())}" in text
    finally:
        await application.shutdown()
        await application.db.dispose()


def test_cli_report(database_url, tmp_path, capsys) -> None:
    import argparse
    import asyncio

    import time_machine

    from bot.cli import report as cli_report
    from bot.config import Settings
    from bot.db import Database
    from tests.test_reminders import shanghai

    async def seeded() -> dict:
        database = Database(database_url)
        try:
            return await seed(database)
        finally:
            await database.dispose()

    data = asyncio.run(seeded())
    parser = argparse.ArgumentParser()
    cli_report.add_parser(parser.add_subparsers(dest="command"))
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    out, chart = tmp_path / "q3.xlsx", tmp_path / "q3.png"
    with time_machine.travel(shanghai(2026, 10, 2, 10, 0), tick=False):
        code = cli_report.run(settings, parser.parse_args(
            ["report", "--quarter", "2026Q3", "--out", str(out), "--chart", str(chart)]))
    printed = capsys.readouterr()
    want = independent(data, Q3, date(2026, 9, 30))
    assert code == 0 and f"{want['members']} 位委员" in printed.out
    book = load_workbook(out)
    overview = {row[0]: row[1] for row in body(book["委员概况"])}
    assert overview["在册委员"] == want["members"] and overview["本季度有活动"] == want["with_activity"]
    assert chart.read_bytes().startswith(b"\x89PNG")
    # a bad quarter or an unwritable place: one line, nothing written
    assert cli_report.run(settings, parser.parse_args(["report", "--quarter", "Q3", "--out", str(out)])) == 1
    missing = tmp_path / "nowhere" / "x.xlsx"
    assert cli_report.run(settings, parser.parse_args(["report", "--quarter", "2026Q3", "--out", str(missing)])) == 1
    assert not missing.exists() and "不存在" in capsys.readouterr().err


async def test_unreachable_is_who_blocked_the_bot_last(db) -> None:
    from bot.services.reachability import mark_blocked, mark_reachable
    from bot.services.report import unreachable_members
    from models import utcnow

    data = await seed(db)
    bound = [m for m in data["members"] if m[7] is not None and m[6]]
    blocked, came_back = bound[0], bound[1]
    now = utcnow()
    async with db.session() as session:
        await mark_blocked(session, telegram_id=blocked[7], now=now)
        await mark_blocked(session, telegram_id=came_back[7], now=now)
        await mark_reachable(session, telegram_id=came_back[7], now=now)  # wrote to the bot again
        await session.commit()
        found = await unreachable_members(session)
        assert [u.number for u in found if u.blocked] == [blocked[1]]
        # and, as a second figure, those who never bound
        assert sorted(u.number for u in found if not u.blocked) == sorted(
            m[1] for m in data["members"] if m[6] and m[7] is None)
        assert await unreachable_members(session, scopes=[Scope(ScopeKind.sector, "no such sector")]) == []
