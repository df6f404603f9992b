"""`python -m bot stations import | list`: the station file read with the roster's care (dry run field by field,
all or nothing, absent columns untouched, unknown headers named, row-numbered errors, GB18030/BOM, title rows,
--sheet, members on duty that must exist, --deactivate-missing as the roster's), and the list's filters."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.db import sync_engine
from bot.services.stations import has, kind_of
from models import StationKind
from tests.conftest import SAMPLES, offline_settings, sample_roster

SAMPLE = SAMPLES / "stations_sample.csv"


@pytest.fixture
def cli(database_url: str, capsys):
    """Run the CLI on a database holding the sample roster: (exit code, stdout, stderr)."""
    settings = offline_settings(database_url)
    assert main(["members", "import", str(sample_roster())], settings=settings) == 0
    capsys.readouterr()

    def run(*argv: object) -> tuple[int, str, str]:
        code = main([str(a) for a in argv], settings=settings)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def sample_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8-sig"))))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8-sig",
              above: list[list[str]] = ()) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([*above, header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def db_rows(database_url: str, sql: str) -> list[tuple]:
    engine = sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql))]
    finally:
        engine.dispose()


def on_duty(database_url: str, code: str) -> list[str]:
    return [r[0] for r in db_rows(database_url, (
        "SELECT m.number FROM stationmember sm JOIN station s ON s.id = sm.station_id JOIN member m ON m.id = sm.member_id"
        f" WHERE s.code = '{code}' ORDER BY sm.position"))]


def test_the_sample_imports_once_and_a_dry_run_writes_nothing(cli, database_url) -> None:
    code, out, err = cli("stations", "import", SAMPLE, "--dry-run")
    assert code == 0
    assert "【试运行，未写入】新增 ZS001 城关区街道委员工作室" in out
    assert "【试运行，未写入】共 34 行：新增 34，更新 0" in out
    assert "读取：第 1 行为表头。" in err
    assert db_rows(database_url, "SELECT COUNT(*) FROM station") == [(0,)]

    code, out, _ = cli("stations", "import", SAMPLE)
    assert code == 0 and "共 34 行：新增 34" in out
    assert db_rows(database_url, "SELECT COUNT(*), SUM(CASE WHEN active THEN 1 ELSE 0 END) FROM station") == [(34, 34)]
    assert on_duty(database_url, "ZS004") == ["GS0075", "GS0089", "GS0005"]  # the file's order
    row = db_rows(database_url, "SELECT s.name, s.kind, s.address, r.path, s.latitude, s.longitude, s.phone, s.site, "
                                "s.sign, s.results FROM station s JOIN region r ON r.id = s.region_id WHERE s.code = 'ZS001'")
    assert row == [("城关区街道委员工作室", "studio", "甘肃省兰州市城关区49号", "甘肃省/兰州市/城关区", 36.05486, 103.81967,
                    "0931-1702635", "有", "无", "有")]
    # again: nothing changes
    code, out, _ = cli("stations", "import", SAMPLE)
    assert code == 0 and "新增 0，更新 0（其中恢复启用 0），未变 34" in out


def test_a_dry_run_says_each_change_field_by_field(cli, database_url, tmp_path) -> None:
    assert cli("stations", "import", SAMPLE)[0] == 0
    header, rows = sample_rows()
    rows[0][1] = "城关区委员工作室（新址）"
    rows[0][2] = "工作站"
    rows[0][7] = "GS0071;GS0005"
    rows[0][11] = "无"
    rows[1][5], rows[1][6] = "", ""
    code, out, _ = cli("stations", "import", write_csv(tmp_path / "s.csv", header, rows), "--dry-run")
    assert code == 0
    assert ("【试运行，未写入】更新 ZS001 城关区委员工作室（新址）：名称 城关区街道委员工作室 → 城关区委员工作室（新址）；"
            "类型 工作室 → 工作站；制度 有 → 无；驻站委员 GS0071 → GS0071；GS0005") in out
    assert "【试运行，未写入】更新 ZS002 七里河区社区委员工作站：纬度 36.05361 → （空）；经度 103.77568 → （空）" in out
    assert "更新 2" in out
    assert on_duty(database_url, "ZS001") == ["GS0071"]
    code, out, _ = cli("stations", "import", tmp_path / "s.csv")
    assert code == 0 and on_duty(database_url, "ZS001") == ["GS0071", "GS0005"]
    assert db_rows(database_url, "SELECT kind, rules FROM station WHERE code = 'ZS001'") == [("workstation", "无")]
    assert db_rows(database_url, "SELECT latitude, longitude FROM station WHERE code = 'ZS002'") == [(None, None)]


def test_one_bad_row_and_nothing_is_written_each_error_with_its_row(cli, database_url, tmp_path) -> None:
    header, rows = sample_rows()
    rows[2][7] = "GS0029;GS9999;gs0058"  # one unknown number (a lower-case one is the same member)
    rows[3][2] = "联络站"
    rows[4][5] = "北纬39"
    rows[5][0] = rows[4][0]  # a code twice
    rows[6][6] = ""  # a latitude without its longitude
    rows[7][1] = ""
    rows[8][8] = "电话见门口"
    code, out, err = cli("stations", "import", write_csv(tmp_path / "bad.csv", header, rows))
    assert code == 1 and out == ""
    assert "工作站名单有 7 行有误，整个文件未导入（没有写入任何数据）：" in err
    assert "第 4 行：驻站委员编号在名册中不存在：GS9999" in err
    assert "第 5 行：未知类型「联络站」（应为 工作站 或 工作室）" in err
    assert "第 6 行：纬度不正确「北纬39」" in err
    assert "第 7 行：编号 ZS005 与第 6 行重复" in err
    assert "第 8 行：纬度和经度要么都填，要么都空" in err
    assert "第 9 行：缺少名称" in err
    assert "第 10 行：联系电话格式不正确「电话见门口」" in err
    assert db_rows(database_url, "SELECT COUNT(*) FROM station") == [(0,)]
    assert db_rows(database_url, "SELECT COUNT(*) FROM stationmember") == [(0,)]


def test_a_near_miss_member_number_is_suggested(cli, tmp_path) -> None:
    header, rows = sample_rows()
    rows[0][7] = "GS00710"
    code, _, err = cli("stations", "import", write_csv(tmp_path / "s.csv", header, rows[:1]))
    assert code == 1 and "第 2 行：驻站委员编号在名册中不存在：GS00710（是不是 GS0071？）" in err


def test_an_absent_column_changes_nothing_and_is_named(cli, database_url, tmp_path) -> None:
    assert cli("stations", "import", SAMPLE)[0] == 0
    header, rows = sample_rows()
    keep = [header.index(c) for c in ("编号", "名称", "类型")]
    rows[0][1] = "改名的工作室"
    code, out, err = cli("stations", "import", write_csv(tmp_path / "s.csv", [header[i] for i in keep],
                                                          [[r[i] for i in keep] for r in rows]))
    assert code == 0
    assert "文件中没有这些列，工作站的这几项保持不变：地址、地区、纬度、经度、驻站委员、联系电话、场地、标识、制度、特色、档案、成果" in err
    assert "更新 ZS001 改名的工作室：名称 城关区街道委员工作室 → 改名的工作室" in out and "更新 1（" in out
    assert on_duty(database_url, "ZS004") == ["GS0075", "GS0089", "GS0005"]
    assert db_rows(database_url, "SELECT address, latitude, site FROM station WHERE code = 'ZS001'") == [
        ("甘肃省兰州市城关区49号", 36.05486, "有")]
    # an empty 驻站委员 cell in a present column does clear: the station has nobody on duty
    header2 = ["编号", "名称", "类型", "驻站委员"]
    code, out, _ = cli("stations", "import", write_csv(tmp_path / "s2.csv", header2, [["ZS004", rows[3][1], "工作站", ""]]))
    assert code == 0 and on_duty(database_url, "ZS004") == []
    assert "驻站委员 GS0075；GS0089；GS0005 → （空）" in out


def test_unknown_headers_are_named_and_a_lookalike_blocks(cli, database_url, tmp_path) -> None:
    header, rows = sample_rows()
    code, _, err = cli("stations", "import", write_csv(tmp_path / "s.csv", [*header, "备注"], [[*r, "x"] for r in rows]))
    assert code == 0 and "未识别的列（已忽略）：备注" in err
    # 委员 instead of 驻站委员 is not guessed: the file is refused, naming the column it probably means
    other = [("委员" if h == "驻站委员" else h) for h in header]
    code, out, err = cli("stations", "import", write_csv(tmp_path / "t.csv", other, rows))
    assert code == 1 and out == ""
    assert "工作站名单无法导入（没有写入任何数据）：第 1 行的表头中有无法识别的列：委员 → 驻站委员？" in err
    assert "可识别的列见 stations import -h" in err
    # a file without 类型
    code, _, err = cli("stations", "import", write_csv(tmp_path / "u.csv", header[:2], [r[:2] for r in rows]))
    assert code == 1 and "表头缺少必需的列：类型" in err
    # 纬度 without 经度 as a column
    code, _, err = cli("stations", "import", write_csv(tmp_path / "v.csv", header[:6], [r[:6] for r in rows]))
    assert code == 1 and "表头缺少必需的列：经度" in err
    assert db_rows(database_url, "SELECT COUNT(*) FROM station") == [(34,)]


def test_gb18030_under_a_title_row_and_an_xlsx_sheet(cli, database_url, tmp_path) -> None:
    header, rows = sample_rows()
    path = write_csv(tmp_path / "gbk.csv", header, rows[:5], encoding="gb18030",
                     above=[["甘肃省政协委员工作站名单（2026年）"], []])
    code, out, err = cli("stations", "import", path)
    assert code == 0 and "新增 5" in out and "读取：第 3 行为表头。" in err
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["本表由办公室填写"])
    sheet = workbook.create_sheet("工作站")
    sheet.append(["工作站名单"])
    sheet.append(header)
    for row in rows[5:10]:
        sheet.append(row)
    workbook.save(tmp_path / "s.xlsx")
    code, out, err = cli("stations", "import", tmp_path / "s.xlsx", "--sheet", "工作站")
    assert code == 0 and "新增 5" in out and "读取：工作表「工作站」，第 2 行为表头。" in err
    code, _, err = cli("stations", "import", tmp_path / "s.xlsx", "--sheet", "站点")
    assert code == 1 and "没有名为「站点」的工作表；文件中的工作表：说明、工作站" in err
    code, _, err = cli("stations", "import", tmp_path)
    assert code == 1 and "是一个文件夹，请给出工作站名单文件" in err
    assert db_rows(database_url, "SELECT COUNT(*) FROM station") == [(10,)]


def test_deactivate_missing_follows_the_rosters_rules(cli, database_url, tmp_path) -> None:
    assert cli("stations", "import", SAMPLE)[0] == 0
    header, rows = sample_rows()
    # one of 34 missing: deactivated only when asked
    code, out, _ = cli("stations", "import", write_csv(tmp_path / "a.csv", header, rows[1:]))
    assert code == 0 and "文件中没有的在用工作站 1 个（未停用，可加 --deactivate-missing）" in out
    code, out, _ = cli("stations", "import", tmp_path / "a.csv", "--deactivate-missing", "--dry-run")
    assert code == 0 and "文件中没有的在用工作站 1 个（将被停用）：" in out and "  ZS001 城关区街道委员工作室" in out
    assert db_rows(database_url, "SELECT active FROM station WHERE code = 'ZS001'") == [(True,)]
    code, out, _ = cli("stations", "import", tmp_path / "a.csv", "--deactivate-missing")
    assert code == 0 and "文件中没有的在用工作站 1 个，已停用 1 个" in out
    assert db_rows(database_url, "SELECT active FROM station WHERE code = 'ZS001'") == [(False,)]
    # too many would go: refused, nothing written, unless --force
    code, out, err = cli("stations", "import", write_csv(tmp_path / "b.csv", header, rows[:10]), "--deactivate-missing")
    assert code == 1 and "将停用 24 个，占在用工作站 33 个的 73%，超过上限 20%，已拒绝（没有写入任何数据）" in err
    assert db_rows(database_url, "SELECT COUNT(*) FROM station WHERE active") == [(33,)]
    # a header without rows never takes every station
    code, out, err = cli("stations", "import", write_csv(tmp_path / "c.csv", header, []), "--deactivate-missing",
                         "--force")
    assert code == 1 and "文件中没有任何工作站数据行，拒绝停用全部 33 个在用工作站" in err
    code, out, _ = cli("stations", "import", tmp_path / "b.csv", "--deactivate-missing", "--force")
    assert code == 0 and db_rows(database_url, "SELECT COUNT(*) FROM station WHERE active") == [(10,)]
    # back in the file: active again, the change said
    code, out, _ = cli("stations", "import", SAMPLE)
    assert code == 0 and "状态 已停用 → 在用" in out and "其中恢复启用 24" in out
    assert db_rows(database_url, "SELECT COUNT(*) FROM station WHERE active") == [(34,)]


def test_the_list_and_its_filters(cli, database_url, tmp_path) -> None:
    assert cli("stations", "import", SAMPLE)[0] == 0
    code, out, err = cli("stations", "list")
    assert code == 0 and "共 34 个" in err
    assert out.splitlines()[0] == "编号\t名称\t类型\t地区\t地址\t联系电话\t驻站委员\t六有\t状态"
    assert "ZS004\t兰州市社区委员工作站\t工作站\t甘肃省/兰州市\t甘肃省兰州市9号\t0931-4518474\tGS0075 " in out
    code, out, err = cli("stations", "list", "--region", "兰州市")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["ZS001", "ZS002", "ZS003", "ZS004"]
    code, out, _ = cli("stations", "list", "--region", "甘肃省/兰州市/城关区")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["ZS001"]
    code, out, _ = cli("stations", "list", "--region", "兰州市", "--kind", "工作室")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["ZS001", "ZS003"]
    code, out, _ = cli("stations", "list", "--member", "gs0089")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["ZS004"]
    code, _, err = cli("stations", "list", "--member", "GS9999")
    assert code == 1 and "没有编号为 GS9999 的委员" in err
    code, _, err = cli("stations", "list", "--kind", "联络站")
    assert code == 2 and "「联络站」不是类型，应为 工作站 或 工作室" in err
    code, out, _ = cli("stations", "list", "--inactive")
    assert out.splitlines()[1:] == []
    header, rows = sample_rows()
    assert cli("stations", "import", write_csv(tmp_path / "a.csv", header, rows[1:]), "--deactivate-missing")[0] == 0
    code, out, _ = cli("stations", "list", "--inactive")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == ["ZS001"] and "\t已停用" in out
    # to a file: .csv for programs, .xlsx print-ready with its title line
    code, out, _ = cli("stations", "list", "--out", tmp_path / "站.csv")
    assert code == 0 and f"工作站名单已写入 {tmp_path / '站.csv'}（33 个）" in out
    table = list(csv.reader(io.StringIO((tmp_path / "站.csv").read_text(encoding="utf-8-sig"))))
    assert table[0][0] == "编号" and len(table) == 34
    code, out, _ = cli("stations", "list", "--out", tmp_path / "站")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "站.xlsx").worksheets[0]
    assert sheet.title == "工作站名单"
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert any(row[0] == "编号" for row in values) and any(row[0] == "ZS034" for row in values)


def test_kinds_and_the_six() -> None:
    assert kind_of("委员工作站") is StationKind.workstation and kind_of(" 工作室 ") is StationKind.studio
    assert kind_of("联络站") is None
    assert [has(v) for v in ("有", "无", None, "", "有，在二楼", "否")] == [True, False, False, False, True, False]


def test_the_reception_days_with_their_ids(cli, database_url) -> None:
    """`stations receptions`: the ids `stations qr --reception` takes, from a day on, of one station or all."""
    from datetime import UTC, datetime, timedelta

    assert cli("stations", "import", SAMPLE)[0] == 0
    soon = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2)
    with sync_engine(database_url).begin() as conn:
        ids = {}
        for code, number, start, status in (("ZS004", "GS0089", soon, "scheduled"),
                                             ("ZS001", "GS0071", soon + timedelta(days=1), "cancelled"),
                                             ("ZS004", "GS0075", soon - timedelta(days=30), "held")):
            conn.execute(text(
                "INSERT INTO reception (station_id, member_id, starts_at, ends_at, topic, status, created_by, "
                "created_at, updated_at) SELECT s.id, m.id, :start, :end, '接待', :status, 1, :start, :start "
                "FROM station s, member m WHERE s.code = :code AND m.number = :number"),
                {"start": start, "end": start + timedelta(hours=2), "status": status, "code": code, "number": number})
            ids[code, status] = conn.execute(text("SELECT MAX(id) FROM reception")).scalar_one()
    code, out, err = cli("stations", "receptions")
    assert code == 0 and "共 2 场接待日" in err
    lines = out.splitlines()
    assert lines[0] == "接待日编号\t工作站\t时间\t接待委员\t状态\t报名\t签到"
    assert lines[1].startswith(f"{ids['ZS004', 'scheduled']}\tZS004 兰州市社区委员工作站\t")
    assert lines[1].endswith("\tGS0089 段强磊\t已安排\t0\t0")
    assert lines[2].split("\t")[4] == "已取消"
    code, out, _ = cli("stations", "receptions", "--station", " zs004 ", "--from", "２０２０年１月１日")
    assert [line.split("\t")[0] for line in out.splitlines()[1:]] == [
        str(ids["ZS004", "held"]), str(ids["ZS004", "scheduled"])]
    assert out.splitlines()[1].split("\t")[4] == "已举行"
    code, _, err = cli("stations", "receptions", "--station", "ZS999")
    assert code == 1 and err.splitlines()[-1] == "没有编号为 ZS999 的工作站（python -m bot stations list 可查看全部）。"
    code, _, err = cli("stations", "receptions", "--from", "下周")
    assert code == 1 and err.splitlines()[-1] == "「下周」不是日期，请写成 2026-12-01、12-1 或 12月1日。"


def test_a_misspelt_region_is_questioned_not_refused(cli, database_url, tmp_path) -> None:
    header, rows = sample_rows()
    rows[0][4] = "甘肃省/兰洲市/城关区"  # 州 mistyped as 洲
    code, out, _ = cli("stations", "import", write_csv(tmp_path / "s.csv", header, rows), "--dry-run")
    assert code == 0
    assert "新地区“甘肃省/兰洲市”与已有的“甘肃省/兰州市”只差一两个字，是不是写错了？" in out
    assert out.count("请核对：") == 1  # its district under it is new because of it: one line, not two
    assert db_rows(database_url, "SELECT count(*) FROM region WHERE path LIKE '%兰洲市%'") == [(0,)]
    # the sample as written: no question
    code, out, _ = cli("stations", "import", SAMPLE, "--dry-run")
    assert code == 0 and "请核对：" not in out


def test_region_hints_look_only_among_a_known_parents_children() -> None:
    from bot.services.roster import region_hints

    known = ["甘肃省", "甘肃省/兰州市", "甘肃省/兰州市/城关区", "甘肃省/兰州市/七里河区", "甘肃省/酒泉市"]
    assert region_hints(["甘肃省/兰洲市", "甘肃省/兰洲市/城关区", "甘肃省/天水市", "甘肃省/兰州市/七里河", "甘肃"],
                        known) == [("甘肃省/兰洲市", "甘肃省/兰州市"), ("甘肃省/兰州市/七里河", "甘肃省/兰州市/七里河区"),
                                   ("甘肃", "甘肃省")]
    assert region_hints(["青海省", "青海省/西宁市"], known) == []  # a new province, and a city in it
