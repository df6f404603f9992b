"""Roster import, through the CLI as an administrator runs it, and its rules directly."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.cli import main
from bot.db import sync_engine
from bot.services.roster import contact_point_kind, normalise_phone
from models import ActivityGroup, ContactPoint, ContactPointKind, Level, Member, Region
from tests.conftest import make_settings, sample_roster

HEADER = ["编号", "姓名", "界别", "活动组", "层级", "地区", "手机", "联系点"]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig", header: list[str] = HEADER) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def count(url: str, model, *where) -> int:  # noqa: ANN001
    engine = sync_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    engine.dispose()
    return value


def member(url: str, number: str) -> Member:
    engine = sync_engine(url)
    with engine.connect() as connection:
        row = connection.execute(select(Member).where(Member.number == number)).one()
    engine.dispose()
    return row


@pytest.fixture
def cli_settings(database_url: str):  # noqa: ANN201
    class NoFake:
        base_url = "http://127.0.0.1:9/bot"
        base_file_url = "http://127.0.0.1:9/file/bot"

    return make_settings(database_url, NoFake(), bot_username="lianxin_test_bot")  # type: ignore[arg-type]


def run_cli(settings, *argv: str) -> int:  # noqa: ANN001
    return main(list(argv), settings=settings)


def test_sample_roster_imports_and_reimport_changes_nothing(cli_settings, database_url, capsys) -> None:
    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    assert "新增 120" in capsys.readouterr().out
    assert count(database_url, Member) == 120
    assert count(database_url, ActivityGroup) == 16
    first = member(database_url, "GS0003")
    assert first.name == "胡刚" and first.level == Level.city and first.phone == "18301951788"
    assert count(database_url, ContactPoint, ContactPoint.member_id == first.id) == 3
    assert count(database_url, Region, Region.path == "甘肃省/临夏回族自治州") == 1

    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    out = capsys.readouterr().out
    assert "新增 0" in out and "更新 0" in out and "未变 120" in out
    assert count(database_url, Member) == 120
    assert member(database_url, "GS0003").updated_at == first.updated_at


def test_bad_rows_reject_the_whole_file(cli_settings, database_url, tmp_path, capsys) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["A1", "张三", "教育界", "第1组", "省", "甘肃省", "13800000000", "城关社区"],
            ["A2", "", "教育界", "", "", "", "", ""],
            ["A3", "李四", "火星界", "", "", "", "", ""],
            ["A1", "王五", "民进", "", "", "", "", ""],
            ["A5", "赵六", "民进", "", "", "", "1234", ""],
            ["A6", "钱七", "民进", "", "乡", "", "", "a;b;c;d"],
        ],
    )
    assert run_cli(cli_settings, "members", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert "整个文件未导入" in err
    assert "第 3 行：缺少姓名" in err
    assert "第 4 行：未知界别「火星界」" in err
    assert "第 5 行：编号 A1 与第 2 行重复" in err
    assert "第 6 行：手机号格式不正确「1234」" in err
    assert "第 7 行：未知层级「乡」" in err and "联系点最多 3 个" in err
    assert count(database_url, Member) == 0
    assert count(database_url, ActivityGroup) == 0


def test_gb18030_spaces_blank_rows_and_english_headers(cli_settings, database_url, tmp_path) -> None:
    path = write_csv(
        tmp_path / "gbk.csv",
        [
            [" B1 ", " 张 三 ", "民进", " 第2界别活动组 ", "市级", " 甘肃省 / 兰州市 ", "+86 138-0013-8000", "城关社区；兰州一中、 "],
            ["", "", "", "", "", "", "", ""],
            ["B2", "李四", "中国民主促进会", "", "", "", "", ""],
        ],
        encoding="gb18030",
        header=["number", "Name", "sector", "group", "level", "region", "mobile", "contact_points"],
    )
    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    b1 = member(database_url, "B1")
    assert b1.name == "张 三" and b1.phone == "13800138000" and b1.level == Level.city
    assert count(database_url, Region, Region.path == "甘肃省/兰州市") == 1
    kinds = {
        cp.name: cp.kind
        for cp in _points(database_url, b1.id)
    }
    assert kinds == {"城关社区": ContactPointKind.community, "兰州一中": ContactPointKind.school}
    assert member(database_url, "B2").level == Level.province


def _points(url: str, member_id: int) -> list[ContactPoint]:
    engine = sync_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(ContactPoint).where(ContactPoint.member_id == member_id)).all()
    engine.dispose()
    return rows


def test_xlsx_with_numeric_cells(cli_settings, database_url, tmp_path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([1001, "孙八", "医药卫生界", "第3界别活动组", "县", "甘肃省/天水市/秦州区", 13912345678, "秦州区人民医院"])
    sheet.append([None] * 8)
    sheet.append([1002, "周九", "农工党", None, None, None, None, None])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    m = member(database_url, "1001")
    assert m.phone == "13912345678" and m.level == Level.county
    assert [p.kind for p in _points(database_url, m.id)] == [ContactPointKind.hospital]
    assert count(database_url, Member) == 2


def test_changes_update_and_missing_members_are_kept_unless_asked(cli_settings, database_url, tmp_path, capsys) -> None:
    rows = [
        ["C1", "甲", "民进", "", "", "", "", "一村"],
        ["C2", "乙", "民进", "", "", "", "", ""],
        ["C3", "丙", "民进", "", "", "", "", ""],
    ]
    assert run_cli(cli_settings, "members", "import", str(write_csv(tmp_path / "a.csv", rows))) == 0
    changed = [["C1", "甲", "民盟", "", "", "", "", "二村"], rows[1]]
    path = write_csv(tmp_path / "b.csv", changed)

    assert run_cli(cli_settings, "members", "import", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "试运行" in out and "更新 1" in out and "没有的在册委员 1 人" in out
    assert count(database_url, Member, Member.active.is_(True)) == 3

    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    assert count(database_url, Member, Member.active.is_(True)) == 3
    c1 = member(database_url, "C1")
    assert [p.name for p in _points(database_url, c1.id)] == ["二村"]

    # one of three is more than the default 20 % share: refused unless forced
    assert run_cli(cli_settings, "members", "import", str(path), "--deactivate-missing") == 1
    assert member(database_url, "C3").active is True
    assert run_cli(cli_settings, "members", "import", str(path), "--deactivate-missing", "--force") == 0
    assert "已停用 1 人" in capsys.readouterr().out
    assert member(database_url, "C3").active is False
    # coming back in a later file reactivates
    assert run_cli(cli_settings, "members", "import", str(write_csv(tmp_path / "c.csv", rows))) == 0
    assert member(database_url, "C3").active is True


def test_unreadable_files_are_refused(cli_settings, tmp_path, capsys) -> None:
    wrong = write_csv(tmp_path / "x.csv", [["1", "2"]], header=["foo", "bar"])
    assert run_cli(cli_settings, "members", "import", str(wrong)) == 1
    assert "缺少必需的列：编号、姓名、界别" in capsys.readouterr().err
    other = tmp_path / "x.pdf"
    other.write_bytes(b"%PDF")
    assert run_cli(cli_settings, "members", "import", str(other)) == 1
    assert "只支持" in capsys.readouterr().err
    assert run_cli(cli_settings, "members", "import", str(tmp_path / "missing.csv")) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"), ("8613800138000", "13800138000"),
     ("0931-8888888", None), ("1380013800", None), ("23800138000", None)],
)
def test_normalise_phone(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("name", "kind"),
    [("临洮村", ContactPointKind.village), ("合作丝路社区", ContactPointKind.community),
     ("凉州人民医院", ContactPointKind.hospital), ("兰州大学", ContactPointKind.school),
     ("甘肃某某有限公司", ContactPointKind.company), ("兰州市个体劳动者协会", ContactPointKind.new_org),
     ("某某", ContactPointKind.other)],
)
def test_contact_point_kind(name: str, kind: ContactPointKind) -> None:
    assert contact_point_kind(name) == kind


def test_reimport_keeps_contact_point_ids_and_adopts_member_added_units(cli_settings, database_url, tmp_path) -> None:
    rows = [["D1", "甲", "民进", "", "", "", "", "一村;二社区;三医院"]]
    assert run_cli(cli_settings, "members", "import", str(write_csv(tmp_path / "a.csv", rows))) == 0
    d1 = member(database_url, "D1")
    before = {p.name: p.id for p in _points(database_url, d1.id)}
    engine = sync_engine(database_url)
    with engine.begin() as connection:  # the member typed a unit of their own by chat
        connection.execute(ContactPoint.__table__.insert().values(member_id=d1.id, name="四学校", kind="school",
                                                                  position=99, from_roster=False))
    engine.dispose()
    reordered = [["D1", "甲", "民进", "", "", "", "", "二社区;一村;四学校"]]
    path = write_csv(tmp_path / "b.csv", reordered)
    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    after = {p.name: (p.id, p.position, p.from_roster) for p in _points(database_url, d1.id)}
    assert after["一村"] == (before["一村"], 1, True) and after["二社区"] == (before["二社区"], 0, True)
    assert after["四学校"][1:] == (2, True) and "三医院" not in after
    for _ in range(2):  # the same file again changes nothing
        engine = sync_engine(database_url)
        with engine.begin() as connection:
            from bot.services.roster import import_roster

            report = import_roster(connection, path)
        engine.dispose()
        assert (report.updated, report.unchanged) == (0, 1)
    assert {p.name: (p.id, p.position, p.from_roster) for p in _points(database_url, d1.id)} == after
