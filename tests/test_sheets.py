"""Every spreadsheet the product writes (the quarterly report, /export, the duty archive) opened and checked as an
office files it: title line, A4 page setup fit to one page wide, header rows repeated, page numbers, print area,
numbers as numbers, totals that add up; groups per committee in natural order; unbound and blocked apart; the
chart's values, order and empty state; and, where LibreOffice is installed, the report printed to PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.services.archive import archive_xlsx
from bot.services.charts import MAX_BARS, render_report_chart
from bot.services.exports import ExportRequest, ExportSection, summary_sheets, write_export
from bot.services.report import quarter_stats, render_report, report_sections
from bot.services.rules import Period, Quarter, natural_key
from bot.services.scopes import Committee, GroupKey, group_order
from bot.services.sheets import COUNT, DECIMAL, POINTS, Emphasis, Sheet, write_xlsx, xlsx_bytes
from bot.services.stats import Dimension, breakdown
from bot.texts import CASE_STATUS_NAMES, EXPORT, LEVEL_NAMES, REPORT, STATS_CHART
from models import Activity, ActivityGroup, Level, Member, Reachability, Region, Sector
from tests.support.sheets import body, check_printable, headers, open_book, title, totals
from tests.test_reminders import G1_PROVINCE, POLICY, TZ, seed

Q4 = Quarter(2026, 4)
TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=TZ)
KIND_NAMES = {"visit": "主动走访", "inspection": "调研视察", "other": "其他"}
# the report's sheets: their number columns (index -> format)
REPORT_NUMBERS = {
    "委员概况": {1: COUNT},
    "落后名单": {3: COUNT, 4: COUNT, 5: COUNT, 6: POINTS},
    "无法送达": {},
    "按活动类型": {1: COUNT, 2: COUNT},
    "按活动组": {1: COUNT, 2: COUNT, 3: COUNT, 4: COUNT},
    "诉求办理": {1: COUNT, 2: COUNT, 3: COUNT, 4: COUNT, 5: COUNT, 6: DECIMAL, 7: DECIMAL, 8: DECIMAL},
}


def test_natural_order() -> None:
    names = ["第10界别活动组", "第2界别活动组", "第1界别活动组", "第十六界别活动组", "第三界别活动组", None]
    assert sorted(names, key=natural_key) == ["第1界别活动组", "第2界别活动组", "第三界别活动组", "第10界别活动组",
                                              "第十六界别活动组", None]
    province, city = Committee(Level.province, "甘肃省"), Committee(Level.city, "甘肃省/兰州市")
    keys = [GroupKey("第10界别活动组", province), None, GroupKey("第2界别活动组", city),
            GroupKey("第2界别活动组", province)]
    assert sorted(keys, key=group_order) == [GroupKey("第2界别活动组", province), GroupKey("第2界别活动组", city),
                                             GroupKey("第10界别活动组", province), None]


def test_writer_sets_up_every_sheet_for_a4(tmp_path) -> None:
    consumed = []

    def rows():  # streamed: read once
        for n in range(300):
            consumed.append(n)
            yield [f"第{n}组", n, n / 2, "说明" * 40]

    narrow = Sheet("窄表", ["组", "人数", "积分", "说明"], rows(), caption="某表 · 全部委员 · 生成于 2026-12-06 09:00",
                   numbers={1: COUNT, 2: POINTS}, totals=[1, 2], total_label="合计 {rows} 组")
    wide = Sheet("宽表", [f"第{i}列" for i in range(16)], [[f"一段较长的文字{i}" for i in range(16)],
                                                       Emphasis(["小计"] + [1] * 15)],
                 caption="宽表 · 生成于 2026-12-06 09:00", numbers={i: COUNT for i in range(1, 16)}, totals=[1])
    path = tmp_path / "out.xlsx"
    assert write_xlsx(path, [narrow, wide]) == 301 and len(consumed) == 300
    book = open_book(path.read_bytes())
    first, second = book.worksheets
    check_printable(first, numbers={1: COUNT, 2: POINTS})
    check_printable(second, numbers={i: COUNT for i in range(1, 16)})
    assert first.page_setup.orientation == "portrait" and second.page_setup.orientation == "landscape"
    assert title(first) == "某表 · 全部委员 · 生成于 2026-12-06 09:00" and headers(first) == ["组", "人数", "积分", "说明"]
    assert len(body(first)) == 300 and totals(first) == ("合计 300 组", sum(range(300)), sum(range(300)) / 2, None)
    assert first["D3"].alignment.wrap_text  # text wider than its (capped) column wraps
    assert all(c.font.bold for c in first[first.max_row])
    # a bold subtotal row of the caller's own is printed but never added into the totals
    assert second["A4"].font.bold and totals(second)[:2] == ("合计", 0)


async def test_report_workbook_fits_to_print_and_counts_groups_per_committee(db) -> None:
    data = await seed(db)
    async with db.session() as session:
        blocked = next(m for m in data["members"] if m[6] and m[7] is not None)
        session.add(Reachability(telegram_id=blocked[7], blocked_at=NOW, updated_at=NOW))
        await session.commit()
        stats = await quarter_stats(session, quarter=Q4, today=TODAY, policy=POLICY, now=NOW)
        scoped = await quarter_stats(session, quarter=Q4, today=TODAY, policy=POLICY, now=NOW, scopes=[G1_PROVINCE])
    book = open_book(render_report(stats, kind_names=KIND_NAMES).xlsx)
    assert book.sheetnames == list(REPORT_NUMBERS)
    for sheet in book.worksheets:
        check_printable(sheet, numbers=REPORT_NUMBERS[sheet.title])
        assert title(sheet) == (f"2026年第四季度履职统计（{sheet.title}） · 全部委员 · 数据截至 2026-12-06 · "
                                "生成于 2026-12-06 09:00")
    # where a column adds up, the totals row is its sum
    for name, columns in (("落后名单", (3, 4, 6)), ("按活动类型", (1, 2)), ("按活动组", (1, 2, 3, 4))):
        rows, total = body(book[name]), totals(book[name])
        assert all(total[i] == pytest.approx(sum(r[i] for r in rows)) for i in columns), name
    assert totals(book["落后名单"])[0] == f"合计 {len(stats.lagging)} 人"
    # 按活动组: one row per group on its committee, in natural order, counted as the recount counts them
    active = [m for m in data["members"] if m[6]]
    groups = {row[0]: row[1] for row in body(book["按活动组"])}
    assert list(groups) == ["第1界别活动组（省·甘肃省）", "第1界别活动组（市·甘肃省/兰州市）", "第2界别活动组（省·甘肃省）",
                            "第2界别活动组（市·甘肃省/兰州市）", "未分组"]
    assert groups["第1界别活动组（省·甘肃省）"] == sum(1 for m in active if m[4] == data["g1"] and m[2] is Level.province)
    assert groups["第1界别活动组（市·甘肃省/兰州市）"] == sum(1 for m in active if m[4] == data["g1"] and m[2] is Level.city)
    # 落后名单 names the group the flag compared them in: with its committee
    lagging = {row[0]: row[2] for row in body(book["落后名单"])}
    by_number = {m[1]: m for m in active}
    for number, group in lagging.items():
        level = by_number[number][2]
        if by_number[number][4] == data["g1"]:
            assert group == f"第1界别活动组（{LEVEL_NAMES[level]}·{'甘肃省' if level is Level.province else '甘肃省/兰州市'}）"
    # unbound and blocked: two figures, the same in the overview, the list and the caption
    unbound = sum(1 for m in active if m[7] is None)
    overview = {row[0]: row[1] for row in body(book["委员概况"])}
    assert overview[REPORT["row_unbound"]] == unbound and overview[REPORT["row_blocked"]] == 1
    reasons = [row[3] for row in body(book["无法送达"])]
    assert reasons.count("未绑定") == unbound and reasons.count("已屏蔽机器人") == 1
    assert totals(book["无法送达"])[0] == f"合计：未绑定 {unbound} 人，已屏蔽 1 人"
    caption = render_report(stats, kind_names=KIND_NAMES).caption
    assert f"未绑定 {unbound}，已屏蔽 1" in caption and "无法送达 0" not in caption
    # the pace figure says what it is
    assert f"应达进度 {stats.expected_people} 人次：全年 40 人次按天数折算到 2026-12-06" in "".join(overview)
    assert headers(book["落后名单"])[5] == "应达进度（人次）"
    # a coordinator of one committee's group sees that group alone, not the same name on the other committee
    mine = open_book(render_report(scoped, kind_names=KIND_NAMES).xlsx)
    assert [row[0] for row in body(mine["按活动组"])] == ["第1界别活动组（省·甘肃省）"]
    assert "活动组：第1界别活动组（省·甘肃省）" in title(mine["按活动组"])


async def test_natural_order_in_the_report_the_breakdown_and_the_chart(db, monkeypatch) -> None:
    async with db.session() as session:
        sector = (await session.exec(select(Sector).limit(1))).one()
        province = Region(path="甘肃省", name="甘肃省", depth=1)
        session.add(province)
        groups = [ActivityGroup(name=f"第{n}界别活动组") for n in (10, 2, 1, 16, 3)]
        session.add_all(groups)
        await session.flush()
        for index, group in enumerate(groups):
            member = Member(number=f"N{index:03d}", name=f"委员{index}", sector_id=sector.id, activity_group_id=group.id,
                            region_id=province.id, level=Level.province)
            session.add(member)
            await session.flush()
            session.add(Activity(member_id=member.id, kind="visit", activity_date=TODAY, year=2026, quarter=4,
                                 place="某社区", people=index + 1, summary="走访群众", points=1.0))
        await session.commit()
        stats = await quarter_stats(session, quarter=Q4, today=TODAY, policy=POLICY, now=NOW)
        listed = await breakdown(session, period=Period(2026, 4), dimension=Dimension.group)
    want = [f"第{n}界别活动组（省·甘肃省）" for n in (1, 2, 3, 10, 16)]
    assert [row[0] for row in body(open_book(render_report(stats, kind_names={}).xlsx)["按活动组"])] == want
    assert [row.name for row in listed.rows] == want
    drawn = _capture_figures(monkeypatch)
    render_report_chart(stats, kind_names={})
    assert [t.get_text() for t in drawn[0].axes[1].get_yticklabels()] == want


def _capture_figures(monkeypatch) -> list:
    """The matplotlib figures the charts save, for their axes and texts."""
    import bot.services.charts as charts

    drawn = []
    real = charts._png

    def keep(figure) -> bytes:
        drawn.append(figure)
        return real(figure)

    monkeypatch.setattr(charts, "_png", keep)
    return drawn


def test_chart_values_on_bars_and_an_empty_quarter(monkeypatch) -> None:
    from bot.services.charts import render_stats_chart

    drawn = _capture_figures(monkeypatch)
    render_stats_chart(title="2026年第四季度", groups=[("第1活动组", 3), ("第2活动组", 12)], categories=[("教育", 2)],
                       labels=STATS_CHART, empty=STATS_CHART["empty_quarter"])
    groups_axes, categories_axes = drawn[-1].axes
    assert [t.get_text() for t in groups_axes.texts] == ["3", "12"] and [t.get_text() for t in categories_axes.texts] == ["2"]
    # nothing in the period: one figure that says so, no axes running from -0.04 to 0.04
    png = render_stats_chart(title="2026年第四季度", groups=[("第1活动组", 0)], categories=[],
                             labels=STATS_CHART, empty=STATS_CHART["empty_quarter"])
    assert png.startswith(b"\x89PNG") and drawn[-1].axes == []
    assert "本季度暂无数据" in [t.get_text() for t in drawn[-1].texts]
    # a whole province's groups: at most MAX_BARS bars, the rest added up in the last one
    many = [(f"第{n}活动组", n) for n in range(1, 41)]
    render_stats_chart(title="2026年", groups=many, categories=[("教育", 1)], labels=STATS_CHART,
                       empty=STATS_CHART["empty_year"])
    labels = [t.get_text() for t in drawn[-1].axes[0].get_yticklabels()]
    assert len(labels) == MAX_BARS and labels[-1] == f"其余 {40 - MAX_BARS + 1} 项"
    assert drawn[-1].axes[0].texts[-1].get_text() == str(sum(range(MAX_BARS, 41)))


async def test_exports_fit_to_print(db, database_url) -> None:
    data = await seed(db)
    names = {**EXPORT, "levels": LEVEL_NAMES, "bound": (EXPORT["bound"], EXPORT["unbound"]),
             "statuses": CASE_STATUS_NAMES}
    numbers = {ExportSection.members: {8: COUNT, 9: COUNT, 10: POINTS},
               ExportSection.activities: {9: COUNT, 10: POINTS}, ExportSection.cases: {14: COUNT, 15: COUNT}}
    for section, people_column in ((ExportSection.members, 9), (ExportSection.activities, 9),
                                   (ExportSection.cases, None)):
        request = ExportRequest(section, Period(2026), [G1_PROVINCE], full_phones=False, at=NOW)
        path, rows = write_export(database_url, request, names=names, tz=TZ, kind_names=KIND_NAMES)
        try:
            sheet = open_book(path.read_bytes()).worksheets[0]
        finally:
            path.unlink()
        check_printable(sheet, numbers=numbers[section])
        assert title(sheet) == (f"{EXPORT[f'sheet_{section.name}']} · 2026年 · 活动组：第1界别活动组（省·甘肃省） · "
                                "生成于 2026-12-06 09:00")
        assert len(body(sheet)) == rows and totals(sheet)[0].startswith(f"合计 {rows} ")
        if people_column is not None:
            assert totals(sheet)[people_column] == sum(r[people_column] for r in body(sheet)) > 0
    # the members' 绑定状态 tells the never bound from the blocked, as the report does
    members = {m[1]: m for m in data["members"] if m[6] and m[4] == data["g1"] and m[2] is Level.province}
    async with db.session() as session:
        gone = next(m for m in members.values() if m[7] is not None)
        session.add(Reachability(telegram_id=gone[7], blocked_at=NOW, updated_at=NOW))
        await session.commit()
    path, _ = write_export(database_url, ExportRequest(ExportSection.members, Period(2026), [G1_PROVINCE], False, NOW),
                           names=names, tz=TZ, kind_names=KIND_NAMES)
    states = {row[0]: row[7] for row in body(open_book(path.read_bytes()).worksheets[0])}
    path.unlink()
    assert states[gone[1]] == "已屏蔽机器人"
    assert {n for n, s in states.items() if s == "未绑定"} == {n for n, m in members.items() if m[7] is None}
    # the summary: the report's sections, each titled with its quarter for a year
    async with db.session() as session:
        sheets = await summary_sheets(session, period=Period(2026), today=TODAY, policy=POLICY, scopes=None,
                                      kind_names=KIND_NAMES, now=NOW)
    book = open_book(xlsx_bytes(sheets))
    assert book.sheetnames[:2] == ["2026Q1 委员概况", "2026Q1 落后名单"] and len(book.sheetnames) == 24
    for sheet in book.worksheets:
        check_printable(sheet, numbers=REPORT_NUMBERS[sheet.title.split(" ", 1)[1]])


def test_archive_fits_to_print() -> None:
    activities = [Activity(id=n, member_id=1, kind="visit", activity_date=date(2026, 3 * q, 2), year=2026, quarter=q,
                           place="祁连村", people=n, summary="=1+1 走访群众" if n == 1 else "走访" * 50, points=1.5,
                           verified_people=n - 1)
                  for n, q in ((1, 3), (2, 3), (3, 4))]
    content = archive_xlsx(member_name="胡刚", member_number="GS0003", sector="中国民主同盟", group="第1界别活动组",
                           activities=activities, kind_names=KIND_NAMES, photo_counts={2: 3}, generated_at=NOW)
    sheet = open_book(content).active
    check_printable(sheet, numbers={5: COUNT, 6: COUNT, 7: POINTS, 8: COUNT})
    assert title(sheet) == ("胡刚（GS0003）履职档案 · 界别：中国民主同盟 · 活动组：第1界别活动组 · "
                            "2026年第三季度至2026年第四季度 · 生成于 2026-12-06 09:00")
    rows = list(sheet.iter_rows(min_row=3))
    assert rows[0][2].number_format == "yyyy-mm-dd" and rows[0][9].data_type == "s"  # a date; text, not a formula
    assert [r[0].value for r in rows if r[0].font.bold] == ["2026Q3 小计", "2026Q4 小计", "合计"]
    # 人次 and, of them, those checked in at the door (其中扫码核实), per quarter and in all
    assert [c.value for c in rows[2][:8]] == ["2026Q3 小计", "2 次", None, None, None, 3, 1, 3.0]
    assert [c.value for c in rows[-1][:8]] == ["合计", "3 次", None, None, None, 6, 3, 4.5]
    assert sheet.page_setup.orientation == "landscape"


# --- printed: LibreOffice, where installed -----------------------------------------------------------------------

SOFFICE = shutil.which("soffice")


def pdf_pages(xlsx: bytes, folder: Path) -> int:
    """Pages of the workbook printed to PDF by LibreOffice Calc (headless, a profile of its own)."""
    source = folder / "report.xlsx"
    source.write_bytes(xlsx)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=180)
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", (folder / "report.pdf").read_bytes()))


@pytest.mark.skipif(SOFFICE is None and os.environ.get("LIANXIN_REQUIRE_SOFFICE") != "1",
                    reason="LibreOffice (soffice) not installed: see docs/printing.md to check by hand")
async def test_report_prints_one_page_per_sheet(db, tmp_path) -> None:
    assert SOFFICE is not None, "LIANXIN_REQUIRE_SOFFICE=1 but soffice is not on PATH"
    async with db.session() as session:
        empty = await quarter_stats(session, quarter=Q4, today=TODAY, policy=POLICY, now=NOW)
    await seed(db)
    async with db.session() as session:
        seeded = await quarter_stats(session, quarter=Q4, today=TODAY, policy=POLICY, now=NOW)
    for stats in (empty, seeded):
        sheets = report_sections(stats, kind_names=KIND_NAMES)
        # every sheet fits one page wide, and these are short: one page each
        assert pdf_pages(render_report(stats, kind_names=KIND_NAMES).xlsx, tmp_path) == len(sheets)
