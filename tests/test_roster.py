"""Roster import, through the CLI as an administrator runs it, and its rules directly."""

from __future__ import annotations

import csv
import re
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


def count(url: str, model, *where) -> int:
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
def cli_settings(database_url: str):
    class NoFake:
        base_url = "http://127.0.0.1:9/bot"
        base_file_url = "http://127.0.0.1:9/file/bot"

    return make_settings(database_url, NoFake(), bot_username="lianxin_test_bot")  # type: ignore[arg-type]


def run_cli(settings, *argv: str) -> int:
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


# --- a re-import never loses data; the clerk sees what would change ---------------------------------


def _snapshot(url: str) -> dict[str, tuple]:
    """Every member's importable fields and roster contact points, by number."""
    engine = sync_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Member.number, Member.name, Member.sector_id, Member.activity_group_id, Member.level,
                   Member.region_id, Member.phone, Member.active)
        ).all()
        points: dict[int, list[str]] = {}
        for member_id, name in connection.execute(
            select(ContactPoint.member_id, ContactPoint.name).order_by(ContactPoint.member_id, ContactPoint.position)
        ):
            points.setdefault(member_id, []).append(name)
        ids = dict(connection.execute(select(Member.number, Member.id)).all())
    engine.dispose()
    return {r.number: (*r[1:], tuple(points.get(ids[r.number], []))) for r in rows}


def _sample_rows() -> list[dict[str, str]]:
    with sample_roster().open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_unknown_headers_are_named_with_the_column_meant_and_change_nothing(
    cli_settings, database_url, tmp_path, capsys
) -> None:
    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    before = _snapshot(database_url)
    rows = _sample_rows()[:5]
    renamed = ["编号", "姓名", "界别", "联系电话", "活动小组", "所在地区", "联系点位"]
    path = write_csv(tmp_path / "renamed.csv",
                     [[r["编号"], r["姓名"], r["界别"], r["手机"], r["活动组"], r["地区"], r["联系点"]] for r in rows],
                     header=renamed)
    capsys.readouterr()
    for extra in ([], ["--dry-run"]):
        assert run_cli(cli_settings, "members", "import", str(path), *extra) == 1
        err = capsys.readouterr().err
        for pair in ("联系电话 → 手机？", "活动小组 → 活动组？", "所在地区 → 地区？", "联系点位 → 联系点？"):
            assert pair in err
    assert _snapshot(database_url) == before


def test_absent_columns_never_clear_and_empty_cells_in_present_columns_do(
    cli_settings, database_url, tmp_path, capsys
) -> None:
    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    before = _snapshot(database_url)
    rows = _sample_rows()
    # only the required columns, plus a column nobody knows (ignored and reported)
    path = write_csv(tmp_path / "narrow.csv", [[r["编号"], r["姓名"], r["界别"], "x"] for r in rows],
                     header=["编号", "姓名", "界别", "备注"])
    capsys.readouterr()
    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    captured = capsys.readouterr()
    assert "更新 0" in captured.out and "未变 120" in captured.out
    assert "未识别的列（已忽略）：备注" in captured.err and "保持不变：活动组、层级、地区、手机、联系点" in captured.err
    assert _snapshot(database_url) == before

    # an empty 手机 cell in a present 手机 column clears that phone, nothing else
    path = write_csv(tmp_path / "phones.csv",
                     [[r["编号"], r["姓名"], r["界别"], "" if r["编号"] == "GS0001" else r["手机"]] for r in rows],
                     header=["编号", "姓名", "界别", "手机"])
    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    after = _snapshot(database_url)
    assert after["GS0001"][5] is None and after["GS0001"][:5] == before["GS0001"][:5]
    assert {k: v for k, v in after.items() if k != "GS0001"} == {k: v for k, v in before.items() if k != "GS0001"}


def test_dry_run_shows_each_members_changes_from_what_to_what(cli_settings, database_url, tmp_path, capsys) -> None:
    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    before = _snapshot(database_url)
    rows = _sample_rows()
    for index, row in enumerate(rows[:25]):
        row["手机"] = f"139{index:08d}"
    rows[0]["活动组"] = "第9界别活动组"
    path = write_csv(tmp_path / "changed.csv", [[r[h] for h in HEADER] for r in rows])
    capsys.readouterr()
    assert run_cli(cli_settings, "members", "import", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    first = rows[0]
    old_phone = _sample_rows()[0]["手机"]
    assert (f"【试运行，未写入】更新 GS0001 {first['姓名']}：活动组 第1界别活动组 → 第9界别活动组；"
            f"手机 {old_phone} → 13900000000") in out
    assert out.count("更新 GS0") == 20 and "另有 5 位委员有变化" in out
    assert _snapshot(database_url) == before


def test_a_header_only_file_cannot_deactivate_everyone(cli_settings, database_url, tmp_path, capsys) -> None:
    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    path = write_csv(tmp_path / "header-only.csv", [])
    capsys.readouterr()
    for extra in ([], ["--force"]):
        assert run_cli(cli_settings, "members", "import", str(path), "--deactivate-missing", *extra) == 1
        assert "没有任何委员数据行" in capsys.readouterr().err
    assert count(database_url, Member, Member.active.is_(True)) == 120


def test_deactivating_more_than_the_share_needs_force_and_the_dry_run_lists_who(
    cli_settings, database_url, tmp_path, capsys
) -> None:
    assert run_cli(cli_settings, "members", "import", str(sample_roster())) == 0
    rows = _sample_rows()[:90]  # 30 of 120 (25 %) would go
    path = write_csv(tmp_path / "partial.csv", [[r[h] for h in HEADER] for r in rows])
    capsys.readouterr()
    assert run_cli(cli_settings, "members", "import", str(path), "--deactivate-missing") == 1
    captured = capsys.readouterr()
    assert "将停用 30 人，占在册委员 120 人的 25%，超过上限 20%" in captured.err
    assert count(database_url, Member, Member.active.is_(True)) == 120

    assert run_cli(cli_settings, "members", "import", str(path), "--deactivate-missing", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "文件中没有的在册委员 30 人（将被停用）" in out and "GS0091" in out and "另有 10 人" in out
    assert "正式导入时会被拒绝" in out
    assert count(database_url, Member, Member.active.is_(True)) == 120

    assert run_cli(cli_settings, "members", "import", str(path), "--deactivate-missing",
                   "--max-deactivate-share", "30") == 0
    assert count(database_url, Member, Member.active.is_(True)) == 90


def test_xlsx_with_a_title_row_on_another_sheet(cli_settings, database_url, tmp_path, capsys) -> None:
    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["本表为 2026 年委员名册，请勿改动列名"])
    sheet = book.create_sheet("委员名单")
    sheet.append(["甘肃省政协委员名册（2026 年）"])
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(["X1", "甲", "民进", "", "", "甘肃省/兰州市", "", ""])
    sheet.append(["X2", "乙", "民盟", "", "", "", "", ""])
    path = tmp_path / "roster.xlsx"
    book.save(path)

    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    captured = capsys.readouterr()
    assert "读取：工作表「委员名单」，第 3 行为表头" in captured.err and "新增 2" in captured.out
    assert count(database_url, Member) == 2

    assert run_cli(cli_settings, "members", "import", str(path), "--sheet", "说明") == 1
    assert "缺少必需的列" in capsys.readouterr().err
    assert run_cli(cli_settings, "members", "import", str(path), "--sheet", "名单") == 1
    assert "文件中的工作表：说明、委员名单" in capsys.readouterr().err
    assert run_cli(cli_settings, "members", "import", str(path), "--sheet", "2") == 0


def test_a_folder_or_a_txt_file_gets_a_proper_message(cli_settings, tmp_path, capsys) -> None:
    txt = write_csv(tmp_path / "roster.txt", [["T1", "甲", "民进", "", "", "", "", ""]])
    assert run_cli(cli_settings, "members", "import", str(txt)) == 1
    err = capsys.readouterr().err
    assert "只支持 .csv 和 .xlsx" in err and ".txt" in err
    assert run_cli(cli_settings, "members", "import", str(tmp_path)) == 1
    assert "是一个文件夹" in capsys.readouterr().err
    csv_file = write_csv(tmp_path / "roster.csv", [["T1", "甲", "民进", "", "", "", "", ""]])
    assert run_cli(cli_settings, "members", "import", str(csv_file), "--sheet", "1") == 1
    assert "--sheet 只用于 .xlsx 文件" in capsys.readouterr().err


def test_unknown_sector_suggests_the_nearest(cli_settings, tmp_path, capsys) -> None:
    path = write_csv(tmp_path / "s.csv", [["S1", "甲", "共产党", "", "", "", "", ""]])
    assert run_cli(cli_settings, "members", "import", str(path)) == 1
    assert "第 2 行：未知界别「共产党」，您是不是要找：中国共产党" in capsys.readouterr().err


def test_look_alike_headers_on_a_sheet_are_explained_not_hidden_behind_other_sheets(cli_settings, tmp_path,
                                                                                       capsys) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append(["编号", "姓名", "界别", "联系电话"])
    sheet.append(["Y1", "甲", "民进", "13800138000"])
    book.create_sheet("说明").append(["填表说明"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert run_cli(cli_settings, "members", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert "工作表「名单」第 1 行的表头中有无法识别的列：联系电话 → 手机？" in err
    assert "必需列" not in err and "：-" not in err  # nothing required is missing: no empty list shown


# a word of a library's English (openpyxl's, zipfile's …) inside a Chinese message
ENGLISH_WORDS = re.compile(r"[A-Za-z]{4,}")


def _without_paths(text: str, *paths: Path) -> str:
    for path in paths:
        text = text.replace(str(path), "")
    return text.replace("members import -h", "").replace(".xlsx", "").replace("Excel", "").replace("WPS", "").replace("HTML", "")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("名册.xlsx", "编号,姓名,界别\nA1,甲,民进\n".encode(), "这个文件实际上是文本（CSV）格式，请把扩展名改为 .csv 后再导入"),
        ("名册.xlsx", "编号,姓名,界别\nA1,甲,民进\n".encode("gb18030"), "这个文件实际上是文本（CSV）格式"),
        ("名册.xlsx", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "实际上是网页（HTML）格式"),
        ("名册.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "实际上是旧版 Excel（.xls）格式"),
        ("名册.csv", b"PK\x03\x04" + bytes(100), "这个文件实际上是 Excel（.xlsx）格式，请把扩展名改为 .xlsx 后再导入"),
        ("名册.xlsx", b"PK\x03\x04" + bytes(100), "无法读取这个 Excel 文件：它可能已损坏"),
    ],
    ids=["csv-as-xlsx", "gb18030-csv-as-xlsx", "html-as-xlsx", "xls-as-xlsx", "xlsx-as-csv", "damaged-xlsx"],
)
def test_a_file_whose_content_is_not_what_its_name_says(cli_settings, database_url, tmp_path, capsys, name, content,
                                                         expected) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    for extra in ([], ["--dry-run"]):
        assert run_cli(cli_settings, "members", "import", str(path), *extra) == 1
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err
        (line,) = [line for line in err.splitlines() if line.startswith("名册无法导入")]
        assert not ENGLISH_WORDS.search(_without_paths(line, path)), line
    assert count(database_url, Member) == 0


def test_a_missing_file_in_a_dry_run_creates_no_database_and_says_where_it_looked(
    monkeypatch, tmp_path, capsys
) -> None:
    target = tmp_path / "new" / "lianxin.db"
    for name in ("BOT_TOKEN", "BOT_USERNAME", "LIANXIN_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIANXIN_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    folder = tmp_path / "files"
    folder.mkdir()
    write_csv(folder / "2026名册.csv", [["T1", "甲", "民进", "", "", "", "", ""]])
    monkeypatch.chdir(folder)
    for extra in (["--dry-run"], []):
        assert main(["members", "import", "2026名册.xlsx", *extra]) == 1
        err = capsys.readouterr().err
        assert f"找不到文件：2026名册.xlsx（在文件夹 {folder} 中没有这个文件，您是不是要找：2026名册.csv）" in err
        assert "数据库：" not in err
        assert not target.exists() and not target.parent.exists()
    assert main(["members", "import", "nowhere/名册.csv", "--dry-run"]) == 1
    assert f"文件夹 {folder / 'nowhere'} 不存在" in capsys.readouterr().err
    assert not target.parent.exists()


def test_a_row_counter_next_to_the_number_is_ignored_without_a_word(cli_settings, tmp_path, capsys) -> None:
    path = write_csv(tmp_path / "r.csv", [["1", "N1", "甲", "民进"]], header=["序号", "编号", "姓名", "界别"])
    assert run_cli(cli_settings, "members", "import", str(path)) == 0
    err = capsys.readouterr().err
    assert "序号" not in err and "未识别的列" not in err
    # without 编号 it is still the look-alike it may be
    path = write_csv(tmp_path / "s.csv", [["1", "甲", "民进"]], header=["序号", "姓名", "界别"])
    assert run_cli(cli_settings, "members", "import", str(path)) == 1
    assert "序号 → 编号？" in capsys.readouterr().err
