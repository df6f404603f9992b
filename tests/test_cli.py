"""The CLI as a clerk meets it: Chinese help and errors, name listings and suggestions, honest small commands."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from bot.cli import build_parser, main
from bot.db import sync_engine
from models import AuditEvent, Member, RoleGrant
from tests.conftest import offline_settings, sample_roster

# fragments of argparse's own English that must never reach a clerk
ENGLISH = re.compile(
    r"usage:|positional arguments|options:|optional arguments|show this help|error:|required|invalid|"
    r"expected one argument|unrecognized|choose from|not allowed with"
)


@pytest.fixture
def cli_settings(database_url: str):
    return offline_settings(database_url, bot_username="lianxin_test_bot")


@pytest.fixture
def imported(cli_settings) -> None:
    assert main(["members", "import", str(sample_roster())], settings=cli_settings) == 0


def _all_commands() -> list[list[str]]:
    commands: list[list[str]] = [[]]
    parser = build_parser()

    def walk(p, prefix: list[str]) -> None:
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, child in action.choices.items():
                    commands.append([*prefix, name])
                    walk(child, [*prefix, name])

    walk(parser, [])
    return commands


@pytest.mark.parametrize("command", _all_commands(), ids=lambda c: " ".join(c) or "main")
def test_every_help_is_chinese_with_an_example(command: list[str], capsys) -> None:
    assert main([*command, "-h"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：") and "示例" in out
    assert not ENGLISH.search(out), out


def test_import_help_lists_the_columns_and_their_aliases(capsys) -> None:
    assert main(["members", "import", "-h"]) == 0
    out = capsys.readouterr().out
    assert "手机（手机号、手机号码、电话、phone、mobile）" in out and "联系点（contact_points" in out
    assert "联系电话" in out  # the look-alikes it will not guess


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "缺少必需的参数：命令"),
        (["members"], "缺少必需的参数：操作"),
        (["members", "import"], "缺少必需的参数：名册文件"),
        (["roles", "grant", "abc", "--group", "x"], "「abc」不是 Telegram 用户 ID"),
        (["roles", "grant", "123"], "必须指定以下选项之一：--group --sector --region"),
        (["roles", "grant", "123", "--group", "a", "--sector", "b"], "不能与 --group 同时使用"),
        (["roles", "grant", "123", "admin", "--group", "a"], "目前只有 协调员"),
        (["members", "list", "--bogus"], "无法识别的参数：--bogus"),
        (["nonsense"], "没有「nonsense」这个选项"),
        (["members", "import", "x.csv", "--max-deactivate-share", "abc"], "应为 0 到 100 之间的百分比"),
        (["members", "invites", "--out"], "需要跟一个值"),
        # a typo gets the name meant; a group without its action lists the actions
        (["member", "list"], "没有「member」这个选项，您是不是要输入：members"),
        (["members", "lst"], "您是不是要输入：list"),
        (["members"], "缺少必需的参数：操作，可选：import、list、invites、cards、revoke"),
        (["members", "list", "--unbnd"], "无法识别的参数：--unbnd，您是不是要输入：--unbound"),
        (["remind", "--occasion", "md", "--quarter", "2026Q4", "--dry-run"], "您是不是要输入：mid（可选：mid、late、quarter-end）"),
    ],
)
def test_wrong_command_lines_are_explained_in_chinese(argv: list[str], expected: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and err.startswith("用法：") and "错误：" in err
    assert not ENGLISH.search(err.replace("错误：", "")), err


@pytest.mark.usefixtures("imported")
def test_names_can_be_listed(cli_settings, capsys) -> None:
    assert main(["sectors", "list"], settings=cli_settings) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "界别\t简称\t在册委员\t也可写作" and len(out) == 35
    assert any(line.startswith("中国民主促进会\t民进\t") for line in out)
    assert main(["groups", "list"], settings=cli_settings) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "活动组\t在册委员\t所在委员会（层级·地区 在册委员）"
    assert out[1].startswith("第1界别活动组\t") and out[2].startswith("第2界别活动组\t")
    # each name with the committees it is on (the sample roster: 第1界别活动组 on five)
    assert out[1].split("\t")[2] == ("省·甘肃省 3、市·甘肃省/临夏回族自治州 2、市·甘肃省/天水市 1、"
                                     "县·甘肃省/天水市/秦州区 1、县·甘肃省/庆阳市/西峰区 1")
    assert sum(int(part.rsplit(" ", 1)[1]) for part in out[1].split("\t")[2].split("、")) == int(out[1].split("\t")[1])
    assert main(["regions", "list"], settings=cli_settings) == 0
    out = capsys.readouterr().out.splitlines()
    total = next(int(line.split("\t")[1]) for line in out if line.startswith("甘肃省\t"))
    assert total == 120  # a region counts the members below it
    assert any(line.startswith("甘肃省/兰州市\t") for line in out)


@pytest.mark.usefixtures("imported")
def test_grant_accepts_a_unique_short_region_and_suggests_on_a_miss(cli_settings, database_url, capsys) -> None:
    assert main(["roles", "grant", "123456", "--region", "兰州市"], settings=cli_settings) == 0
    assert "甘肃省/兰州市" in capsys.readouterr().out
    assert main(["roles", "grant", "123456", "--sector", "共产党"], settings=cli_settings) == 1
    assert "未知界别「共产党」，您是不是要找：中国共产党" in capsys.readouterr().err
    assert main(["roles", "grant", "123456", "--group", "第一界别活动组"], settings=cli_settings) == 1
    assert "您是不是要找：第1界别活动组" in capsys.readouterr().err
    engine = sync_engine(database_url)
    with engine.connect() as connection:
        grants = connection.execute(select(RoleGrant.scope_value)).scalars().all()
    engine.dispose()
    assert grants == ["甘肃省/兰州市"]


def test_an_ambiguous_short_region_is_refused_with_the_candidates(cli_settings, tmp_path, capsys) -> None:
    path = tmp_path / "r.csv"
    path.write_text("编号,姓名,界别,地区\nA1,甲,民进,甲省/新区\nA2,乙,民进,乙省/新区\n", encoding="utf-8")
    assert main(["members", "import", str(path)], settings=cli_settings) == 0
    assert main(["roles", "grant", "1", "--region", "新区"], settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert "「新区」对应多个地区：" in err and "甲省/新区" in err and "乙省/新区" in err


@pytest.mark.usefixtures("imported")
def test_roles_without_typing_coordinator_listed_in_chinese_and_revoking_nothing_fails(
    cli_settings, database_url, capsys
) -> None:
    assert main(["roles", "grant", "777", "--sector", "民进"], settings=cli_settings) == 0
    # 第1界别活动组 is in several committees, one of them at 省: the level alone names it
    assert main(["roles", "grant", "777", "协调员", "--group", "第1界别活动组", "--level", "省"], settings=cli_settings) == 0
    capsys.readouterr()
    assert main(["roles", "list"], settings=cli_settings) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "TelegramID\t角色\t范围\t名称\t委员会"
    assert "777\t协调员\t界别\t中国民主促进会\t-" in out and "coordinator" not in out
    assert "777\t协调员\t活动组\t第1界别活动组\t省·甘肃省" in out

    audits_before = _audits(database_url)
    assert main(["roles", "revoke", "999"], settings=cli_settings) == 1
    assert "999 没有任何协调员权限" in capsys.readouterr().err
    assert _audits(database_url) == audits_before
    assert main(["roles", "revoke", "777"], settings=cli_settings) == 0
    assert "已收回 777 的 2 项协调员权限" in capsys.readouterr().out


def _audits(url: str) -> list[str]:
    engine = sync_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    engine.dispose()
    return rows


@pytest.mark.usefixtures("imported")
def test_revoke_tells_the_truth_about_a_member_who_never_bound(cli_settings, database_url, capsys) -> None:
    assert main(["members", "revoke", "GS0001"], settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert "尚未绑定 Telegram，也没有未使用的邀请码" in err and "已解除" not in err
    assert _audits(database_url) == []

    assert main(["members", "invites", "--member", "GS0001"], settings=cli_settings) == 0
    capsys.readouterr()
    assert main(["members", "revoke", "gs 0001"], settings=cli_settings) == 0
    out = capsys.readouterr().out
    assert "尚未绑定 Telegram（无需解除）；已作废其 1 个未使用的邀请码" in out

    engine = sync_engine(database_url)  # as if GS0002 had opened their link
    with engine.begin() as connection:
        connection.execute(update(Member).where(Member.number == "GS0002").values(telegram_id=4242))
    engine.dispose()
    assert main(["members", "revoke", "GS0002"], settings=cli_settings) == 0
    assert "已解除 GS0002" in capsys.readouterr().out and "4242" in _audit_details(database_url)


def _audit_details(url: str) -> str:
    engine = sync_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.detail)).scalars().all()
    engine.dispose()
    return " ".join(rows)


@pytest.mark.usefixtures("imported")
def test_members_list_has_a_header_row(cli_settings, capsys) -> None:
    assert main(["members", "list"], settings=cli_settings) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "编号\t姓名\t界别\t活动组\t层级\t地区\t状态" and len(lines) == 121
    assert lines[1].startswith("GS0001\t") and lines[1].endswith("\t未绑定")
    assert "共 120 人" in captured.err and "数据库：" in captured.err
