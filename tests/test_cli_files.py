"""The files the CLI writes: named as the clerk meant, in the format the name says, opened by office programs."""

from __future__ import annotations

import pytest

from bot.cli import main
from tests.conftest import offline_settings, sample_roster


@pytest.fixture
def cli_settings(database_url: str):
    settings = offline_settings(database_url, bot_username="lianxin_test_bot")
    assert main(["members", "import", str(sample_roster())], settings=settings) == 0
    return settings


def test_a_report_named_without_extension_is_an_xlsx_and_a_jpg_chart_is_a_jpeg(cli_settings, tmp_path, capsys) -> None:
    capsys.readouterr()
    assert main(["report", "--quarter", "2025Q4", "--out", str(tmp_path / "报告"), "--chart", str(tmp_path / "图.jpg")],
                settings=cli_settings) == 0
    captured = capsys.readouterr()
    assert not (tmp_path / "报告").exists()
    assert (tmp_path / "报告.xlsx").read_bytes()[:2] == b"PK"
    assert f"--out 没有写扩展名，文件存为 {tmp_path / '报告.xlsx'}" in captured.err
    assert f"已写入 {tmp_path / '报告.xlsx'}" in captured.out
    assert (tmp_path / "图.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG, not PNG bytes under a .jpg name
    from PIL import Image

    with Image.open(tmp_path / "图.jpg") as image:
        assert image.format == "JPEG" and image.mode == "RGB"
    assert main(["report", "--quarter", "2025Q4", "--out", str(tmp_path / "r.xlsx"), "--chart", str(tmp_path / "图")],
                settings=cli_settings) == 0
    assert (tmp_path / "图.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a name like 报告v1.0 has no format in it: .xlsx is added
    assert main(["report", "--quarter", "2025Q4", "--out", str(tmp_path / "报告v1.0")], settings=cli_settings) == 0
    assert (tmp_path / "报告v1.0.xlsx").exists()


@pytest.mark.parametrize(("option", "name", "allowed"), [("--out", "报告.xls", ".xlsx"), ("--out", "报告.csv", ".xlsx"),
                                                         ("--chart", "图.gif", ".png、.jpg、.jpeg")])
def test_another_format_is_refused_before_anything_is_written(cli_settings, tmp_path, capsys, option, name,
                                                              allowed) -> None:
    argv = ["report", "--quarter", "2025Q4", "--out", str(tmp_path / "r.xlsx"), option, str(tmp_path / name)]
    capsys.readouterr()
    assert main(argv, settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert f"这里只能写成 {allowed} 文件" in err and "没有生成任何文件" in err
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("lianxin.db")) == []


def test_members_list_to_a_csv_windows_excel_reads_and_an_xlsx(cli_settings, tmp_path, capsys) -> None:
    import csv

    from openpyxl import load_workbook

    capsys.readouterr()
    assert main(["members", "list", "--out", str(tmp_path / "名单.csv")], settings=cli_settings) == 0
    captured = capsys.readouterr()
    assert f"委员名单已写入 {tmp_path / '名单.csv'}（120 人）" in captured.out and "GS0001" not in captured.out
    raw = (tmp_path / "名单.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Windows Excel shows the Chinese instead of mojibake
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["编号", "姓名", "界别", "活动组", "层级", "地区", "状态"] and len(rows) == 121
    assert rows[1][0] == "GS0001" and rows[1][6] == "未绑定"

    assert main(["members", "list", "--unbound", "--out", str(tmp_path / "未绑定")], settings=cli_settings) == 0
    assert f"文件存为 {tmp_path / '未绑定.xlsx'}" in capsys.readouterr().err
    sheet = load_workbook(tmp_path / "未绑定.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "委员名单" and values[0][0].startswith("委员名单 · 仅未绑定的在册委员 · 生成于 ")
    assert list(values[1]) == rows[0] and len(values) == 122  # the title line, the header, 120 members
    assert list(values[2]) == [None if v == "" else v for v in rows[1]]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_members_list_refuses_another_format_or_a_missing_folder(cli_settings, tmp_path, capsys) -> None:
    capsys.readouterr()
    assert main(["members", "list", "--out", str(tmp_path / "名单.txt")], settings=cli_settings) == 1
    assert "这里只能写成 .csv、.xlsx 文件" in capsys.readouterr().err
    assert main(["members", "list", "--out", str(tmp_path / "无此文件夹" / "名单.csv")], settings=cli_settings) == 1
    assert "不存在" in capsys.readouterr().err and not (tmp_path / "无此文件夹").exists()
