"""The export's rules without Telegram: periods, the streamed spreadsheet, the one scope rule for cases."""

from __future__ import annotations

import random
from datetime import date

from openpyxl import load_workbook
from sqlmodel import select

from bot.services.cases import visible_to
from bot.services.exports import ExportPeriod, begun_quarters, resolve_period
from bot.services.lifecycle import Actor
from bot.services.scopes import Committee, Scope, case_in_scopes, member_in_scopes
from bot.services.sheets import Sheet, write_xlsx
from models import ActivityGroup, Case, CaseStatus, Level, Member, Region, ScopeKind, Sector
from tests.support.scopes import group_everywhere


def _p(period):
    return period.year, period.q, period.first_day, period.last_day


def test_periods_seen_from_a_day() -> None:
    day = date(2026, 11, 28)
    assert _p(resolve_period(ExportPeriod.this_quarter, day)) == (2026, 4, date(2026, 10, 1), date(2026, 12, 31))
    assert _p(resolve_period(ExportPeriod.last_quarter, day)) == (2026, 3, date(2026, 7, 1), date(2026, 9, 30))
    assert _p(resolve_period(ExportPeriod.this_year, day)) == (2026, None, date(2026, 1, 1), date(2026, 12, 31))
    assert resolve_period(ExportPeriod.last_year, day).label == "2025"
    # early January: the last quarter is last year's fourth
    assert resolve_period(ExportPeriod.last_quarter, date(2027, 1, 3)).label == "2026Q4"
    assert [q.label for q in begun_quarters(resolve_period(ExportPeriod.this_year, day), day)] == [
        "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    may = date(2026, 5, 2)
    assert [q.label for q in begun_quarters(resolve_period(ExportPeriod.this_year, may), may)] == ["2026Q1", "2026Q2"]
    assert [q.label for q in begun_quarters(resolve_period(ExportPeriod.this_quarter, may), may)] == ["2026Q2"]


def test_streamed_sheet_header_frozen_widths_and_text(tmp_path) -> None:
    consumed = []

    def rows():  # a generator, read once, longer than the width sample
        for n in range(5000):
            consumed.append(n)
            yield [n, "=HYPERLINK(\"x\")" if n == 3 else f"第{n}行", "bad\x01char" if n == 4 else ""]

    path = tmp_path / "out.xlsx"
    written = write_xlsx(path, [Sheet("一" * 40, ["编号", "很长很长的中文标题", "备注"], rows()),
                                Sheet("空表", ["甲"], [])])
    assert written == 5000 and len(consumed) == 5000
    book = load_workbook(path)
    sheet = book.worksheets[0]
    assert sheet.title == "一" * 31 and book.worksheets[1].title == "空表"
    assert sheet.freeze_panes == "A3" and book.worksheets[1].freeze_panes == "A3"  # the title line and the headers
    assert sheet["A1"].value == "一" * 40  # no caption given: the sheet's name
    assert [c.value for c in sheet[2]] == ["编号", "很长很长的中文标题", "备注"] and sheet["A2"].font.bold
    assert sheet.column_dimensions["B"].width == 2 * len("很长很长的中文标题") + 2
    assert sheet.column_dimensions["A"].width == 8  # the minimum
    assert sheet["B6"].value == '=HYPERLINK("x")' and sheet["B6"].data_type == "s"
    assert sheet["C7"].value == "badchar"
    assert sheet.max_row == 5002


def _under(path: str | None, scope: str) -> bool:
    return path is not None and (path == scope or path.startswith(scope + "/"))


async def test_case_scope_rule_matches_a_recount_and_visibility(db, roster) -> None:
    """`case_in_scopes` (SQL, for exports, and inside `visible_to`) equals a recount written here in Python."""
    rng = random.Random(3)
    async with db.session() as session:
        members = (await session.exec(select(Member))).all()
        regions = (await session.exec(select(Region))).all()
        for seq in range(1, 61):
            session.add(Case(number=f"2026-{seq:06d}", year=2026, seq=seq, category="教育", description="一件诉求的描述",
                             status=CaseStatus.routed, member_id=rng.choice(members).id if seq % 5 else None,
                             region_id=rng.choice(regions).id if seq % 3 else None))
        await session.commit()
        path_of = {r.id: r.path for r in regions}
        sector_of = dict((await session.exec(select(Sector.id, Sector.name))).all())
        group_of = dict((await session.exec(select(ActivityGroup.id, ActivityGroup.name))).all())
        who = {m.id: (sector_of[m.sector_id], group_of.get(m.activity_group_id), path_of.get(m.region_id), m.level)
               for m in members}
        cases = (await session.exec(select(Case))).all()

        def covered(case: Case, scopes: list[Scope]) -> bool:
            sector, group, home, level = who.get(case.member_id, (None, None, None, None))
            for scope in scopes:
                # a group on its committee only; a group scope naming no committee covers nobody
                if scope.kind is ScopeKind.group and group == scope.value and scope.committee is not None \
                        and (level, home) == (scope.committee.level, scope.committee.region):
                    return True
                if scope.kind is ScopeKind.sector and sector == scope.value:
                    return True
                if scope.kind is ScopeKind.region and (_under(home, scope.value)
                                                       or _under(path_of.get(case.region_id), scope.value)):
                    return True
            return False

        groups = sorted(set(group_of.values()))
        sectors = sorted({s for s, *_ in who.values()})

        def on(group: str, level: str, path: str) -> Scope:
            return Scope(ScopeKind.group, group, Committee(Level(level), path))

        scope_sets = [[on(groups[0], "province", "甘肃省")], [Scope(ScopeKind.sector, sectors[1])],
                      [Scope(ScopeKind.region, "甘肃省/兰州市")], [Scope(ScopeKind.region, "甘肃省")],
                      [on(groups[2], "province", "甘肃省"), Scope(ScopeKind.region, "甘肃省/临夏回族自治州")],
                      [Scope(ScopeKind.group, "没有这个组", Committee(Level.province, "甘肃省"))],
                      await group_everywhere(session, groups[0]),
                      [Scope(ScopeKind.group, groups[0])]]  # no committee: nobody
        for scopes in scope_sets:
            expected = {c.id for c in cases if covered(c, scopes)}
            found = set((await session.exec(select(Case.id).where(case_in_scopes(scopes)))).all())
            assert found == expected, scopes
            actor = Actor.coordinator(7001, scopes)
            assert {c.id for c in cases if await visible_to(session, case=c, actor=actor)} == expected
        assert case_in_scopes(None) is None
        # the recount is not trivially everything or nothing
        assert 0 < len({c.id for c in cases if covered(c, scope_sets[2])}) < len(cases)
        # one committee's group is a strict part of the same-named group on every committee
        assert {c.id for c in cases if covered(c, scope_sets[0])} <= {c.id for c in cases if covered(c, scope_sets[6])}
        one, every = ({who_id for who_id, (_, group, home, level) in who.items() if group == groups[0] and (
            scopes is scope_sets[6] or (level, home) == (Level.province, "甘肃省"))} for scopes in scope_sets[::6])
        assert one and one < every
        assert set(await session.exec(select(Member.id).where(member_in_scopes(scope_sets[0])))) == one
        assert set(await session.exec(select(Member.id).where(member_in_scopes(scope_sets[6])))) == every
