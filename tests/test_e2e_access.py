"""End to end through the fake Bot API: start-up, invites and binding, residents, roles and menus."""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import update
from sqlmodel import select

from bot.cli import main
from bot.logs import RedactTokens, setup_logging
from models import BindAttempt, InviteCode, Member, Resident, utcnow
from tests.conftest import ADMIN_ID, TOKEN, issue_code, make_settings

ROOT = Path(__file__).resolve().parent.parent


def test_run_without_token_exits_with_bilingual_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_URL", "WEBHOOK_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    # one Chinese line for the clerk; it says where the token goes
    assert result.stderr.count("\n") == 1 and "未设置 BOT_TOKEN" in result.stderr and ".env" in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was created before refusing


def test_bad_settings_are_reported_not_traced(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_URL", "WEBHOOK_"))}
    env.update(PYTHONPATH=str(ROOT), BOT_TOKEN="changeme")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


async def test_invites_cli_then_member_binds_by_deep_link(fake, database_url, db, roster, tmp_path, runner) -> None:
    settings = make_settings(database_url, fake)
    out, qr = tmp_path / "codes.csv", tmp_path / "qr"
    # the CLI asks the (fake) Bot API for the username, as it would ask Telegram
    assert await asyncio.to_thread(main, ["members", "invites", "--out", str(out), "--qr-dir", str(qr)], settings) == 0
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and list(rows[0]) == ["编号", "姓名", "邀请码", "链接", "有效期至"]
    row = next(r for r in rows if r["编号"] == "GS0003")
    assert row["链接"] == f"https://t.me/lianxin_test_bot?start={row['邀请码']}"
    assert len(row["邀请码"]) == 16 and not set(row["邀请码"]) & set("01OIL")
    assert (qr / f"邀请_GS0003_{row['姓名']}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    async with db.session() as session:
        stored = (await session.exec(select(InviteCode.code_hash))).all()
    assert row["邀请码"] not in "".join(stored)  # only hashes are kept

    await runner.start(settings)
    user = fake.user(5001, first_name="胡刚")
    await user.send(f"/start {row['邀请码']}")
    done, welcome = await user.expect_messages(2)
    assert "绑定成功" in done.text
    assert "胡刚委员" in welcome.text and "中国民主同盟" in welcome.text and "第3界别活动组" in welcome.text
    assert "甘肃省/临夏回族自治州" in welcome.text and "层级：市" in welcome.text
    assert "联系点：临夏渭源社区、临夏东岗社区、祁连村" in welcome.text
    assert welcome.reply_keyboard and ["📝 登记活动", "📊 我的进度"] in welcome.reply_keyboard
    assert ("log", "登记联系活动") in fake.commands_for(5001)
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == "GS0003"))).one()
    assert member.telegram_id == 5001 and member.bound_at is not None

    # the same link a second time, by someone else: used
    other = fake.user(5002, first_name="路人")
    await other.send(f"/start {row['邀请码']}")
    assert "已被使用" in (await other.expect_message()).text
    # and the member themself, again: just their welcome
    await user.send(f"/start {row['邀请码']}")
    assert "胡刚委员" in (await user.expect_message()).text

    # `members list --unbound` no longer shows them
    assert await asyncio.to_thread(main, ["members", "list", "--unbound"], settings) == 0


async def test_wrong_expired_and_lockout(fake, db, roster, app) -> None:
    user = fake.user(5101)
    await user.send("/start NOTAREALCODE2345")
    assert "邀请码无效" in (await user.expect_message()).text

    code = await issue_code(db, "GS0010")
    async with db.session() as session:
        await session.exec(update(InviteCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    await user.send(f"/start {code}")
    assert "已过期" in (await user.expect_message()).text

    for attempt in range(3):
        await user.send(f"/start WRONG{attempt}")
        assert "邀请码无效" in (await user.expect_message()).text
    # five failures in the hour: even a good code is refused now
    good = await issue_code(db, "GS0011")
    await user.send(f"/start {good}")
    assert "尝试次数过多" in (await user.expect_message()).text
    async with db.session() as session:
        assert (await session.exec(select(Member.telegram_id).where(Member.number == "GS0011"))).one() is None
        # an hour later the lock is gone
        await session.exec(update(BindAttempt).values(attempted_at=utcnow() - timedelta(minutes=61)))
        await session.commit()
    await user.send(f"/start {good}")
    assert "绑定成功" in (await user.expect_message()).text


async def test_bound_account_cannot_take_a_second_member_until_revoked(fake, db, roster, app, settings) -> None:
    user = fake.user(5201, first_name="陆勇")
    await user.send(f"/start {await issue_code(db, 'GS0001')}")
    await user.expect_messages(2)
    second = await issue_code(db, "GS0002")
    await user.send(f"/start {second}")
    assert "已绑定委员「陆勇」" in (await user.expect_message()).text
    async with db.session() as session:
        assert (await session.exec(select(Member.telegram_id).where(Member.number == "GS0002"))).one() is None

    assert await asyncio.to_thread(main, ["members", "revoke", "GS0001"], settings) == 0
    await user.send(f"/start {second}")
    assert "绑定成功" in (await user.expect_message()).text
    assert "范鹏委员" in (await user.expect_message()).text


async def test_revoke_invalidates_open_codes(fake, db, roster, app, settings) -> None:
    code = await issue_code(db, "GS0020")
    assert await asyncio.to_thread(main, ["members", "revoke", "GS0020"], settings) == 0
    user = fake.user(5301)
    await user.send(f"/start {code}")
    assert "邀请码无效" in (await user.expect_message()).text


async def test_resident_start_help_and_refusals(fake, db, app) -> None:
    resident = fake.user(6001, first_name="王<b>老师</b>", username="wang")
    await resident.send("/start")
    welcome = await resident.expect_message()
    assert "王<b>老师</b>" in welcome.text  # shown literally: escaped, not interpreted
    assert "急难愁盼" in welcome.text
    async with db.session() as session:
        row = (await session.exec(select(Resident).where(Resident.telegram_id == 6001))).one()
    assert row.display_name == "王<b>老师</b>" and row.username == "wang"
    resident_menu = ["start", "request", "mycases", "receptions", "mysignups", "forget", "help", "cancel"]
    assert [c for c, _ in fake.commands_for(6001)] == resident_menu
    assert [c for c, _ in fake.commands_for()] == resident_menu  # the default menu

    await resident.send("/help")
    text = (await resident.expect_message()).text
    assert "界别群众" in text and "/log" not in text and "邀请链接" in text
    for command in ("/log", "/my", "/archive", "/status"):
        await resident.send(command)
        reply = (await resident.expect_message()).text
        assert "仅限" in reply or "没有使用此功能的权限" in reply, (command, reply)
    await resident.send("/nonsense")
    assert "未识别的命令" in (await resident.expect_message()).text
    await resident.send("我家楼下路灯坏了")  # outside the form: pointed at it, and told it was not recorded
    assert "我要反映" in (await resident.expect_message()).text and "没有被记录" in resident.last_message.text
    await resident.send_photo()
    assert "我要反映" in (await resident.expect_message()).text


async def test_role_menus_and_status(fake, db, roster, app, settings) -> None:
    admin = fake.user(ADMIN_ID, first_name="管理员")
    # post_init set the admin's menu already (the fake knows the chat)
    await admin.send("/start")
    await admin.expect_message()
    assert "status" in [c for c, _ in fake.commands_for(ADMIN_ID)]
    await admin.send("/status")
    text = (await admin.expect_message()).text
    assert "在册委员：120" in text and "已绑定：0" in text and "群众用户：0" in text  # staff are not residents
    assert "管理员" in admin.messages[0].text and "/status" in admin.messages[0].text

    coordinator = fake.user(7001, first_name="协调员")
    assert await asyncio.to_thread(
        main, ["roles", "grant", "7001", "coordinator", "--group", "第1界别活动组", "--level", "市",
               "--committee-region", "临夏回族自治州"], settings
    ) == 0
    await coordinator.send("/start")
    await coordinator.expect_message()
    assert [c for c, _ in fake.commands_for(7001)] == ["status", "report", "stats", "ranking", "export", "laggards", "broadcast", "queue",
                                                     "station", "duty_reports", "digest", "reception", "myreceptions", "help", "cancel"]
    await coordinator.send("/status")
    text = (await coordinator.expect_message()).text
    async with db.session() as session:
        from models import ActivityGroup, Level, Region

        group_id = (await session.exec(select(ActivityGroup.id).where(ActivityGroup.name == "第1界别活动组"))).one()
        region_id = (await session.exec(select(Region.id).where(Region.path == "甘肃省/临夏回族自治州"))).one()
        # the group on its committee only (市, 临夏回族自治州): not the same-named group of other committees
        in_group = len((await session.exec(select(Member.id).where(
            Member.activity_group_id == group_id, Member.level == Level.city, Member.region_id == region_id))).all())
    assert in_group == 2
    assert f"在册委员：{in_group}" in text and "活动组：第1界别活动组（市·甘肃省/临夏回族自治州）" in text
    assert "群众用户" not in text
    await coordinator.send("/help")
    assert "协调员" in (await coordinator.expect_message()).text
    # the quarterly report in chat: their group only, as a chart and a spreadsheet
    await coordinator.send("/report 2026Q3")
    chart, sheet = await coordinator.expect_messages(2, timeout=30)
    assert chart.photo and "第1界别活动组" in chart.caption and "2026" in chart.caption
    assert sheet.document and sheet.document["file_name"].endswith(".xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(fake.files[sheet.document["file_id"]].content))
    rows = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}
    assert rows["在册委员"] == in_group  # their group, not the 120 of the whole roster
    await coordinator.send("/report 2026Q9")
    assert "一年只有第 1 至第 4 季度" in (await coordinator.expect_message()).text
    await coordinator.send("/report 2026年")
    assert "没看懂季度" in (await coordinator.expect_message()).text
    await coordinator.send("/report 2030Q1")
    assert "还没有开始" in (await coordinator.expect_message()).text

    member = fake.user(7002, first_name="委员")
    await member.send(f"/start {await issue_code(db, 'GS0005')}")
    await member.expect_messages(2)
    assert [c for c, _ in fake.commands_for(7002)] == [
        "log", "my", "cases", "record", "reception", "myreceptions", "archive", "checkin_qr", "report_me", "request",
        "mycases", "help", "cancel"]
    await member.send("/help")
    help_text = (await member.expect_message()).text
    assert "/log" in help_text and "40 人次" in help_text


async def test_error_handler_tells_user_and_bot_keeps_running(fake, app, runner, monkeypatch) -> None:
    import handlers.common

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(handlers.common, "overview", broken)
    admin = fake.user(ADMIN_ID)
    await admin.send("/status")
    assert "出了点问题" in (await admin.expect_message()).text
    assert [type(e) for e in runner.errors] == [RuntimeError]
    runner.errors.clear()
    await admin.send("/help")
    assert "管理员" in (await admin.expect_message()).text


async def test_token_never_logged(fake, roster, db, app, caplog) -> None:
    root = logging.getLogger()
    before = {h: list(h.filters) for h in root.handlers}
    levels = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "apscheduler", "alembic")}
    caplog.set_level(logging.DEBUG)
    setup_logging("DEBUG", TOKEN)
    try:
        logging.getLogger("httpx").info("HTTP Request: POST %s/getMe", f"https://api.telegram.org/bot{TOKEN}")
        logging.getLogger("telegram").warning("failed: %s", RuntimeError(f"url .../bot{TOKEN}/sendMessage"))
        user = fake.user(8001)
        await user.send(f"/start {await issue_code(db, 'GS0030')}")
        await user.expect_messages(2)
        assert TOKEN not in caplog.text
        assert logging.getLogger("httpx").level == logging.WARNING
        assert any(isinstance(f, RedactTokens) for h in root.handlers for f in h.filters)
        assert "<token>" in caplog.text or "HTTP Request" not in caplog.text
    finally:
        for handler, filters in before.items():
            handler.filters = filters
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_webhook_refuses_requests_without_the_secret(fake, database_url, runner) -> None:
    from bot.app import build_application, webhook_options

    secret = "s3cret-token-for-tests"
    with socket_port() as port:
        settings = make_settings(
            database_url, fake, webhook_url="https://bot.example.invalid/tg-hook", webhook_secret=secret,
            webhook_port=port,
        )
    application = build_application(settings, rate_limit=False)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_webhook(**webhook_options(settings))
    await application.start()
    try:
        assert fake.webhook["url"] == "https://bot.example.invalid/tg-hook"
        assert fake.webhook.get("secret_token") == secret
        user = fake.user(8101, first_name="网")
        update = {
            "update_id": 1,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 8101, "type": "private"},
                        "from": {"id": 8101, "is_bot": False, "first_name": "网"}, "text": "/help",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]},
        }
        url = f"http://127.0.0.1:{port}/tg-hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as response:
                assert response.status == 403
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
                assert response.status == 403
            await user.expect_silence(0.3)
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as response:
                assert response.status == 200
        assert "使用说明" in (await user.expect_message()).text
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


class socket_port:
    """A free TCP port on 127.0.0.1."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


async def test_resident_shares_own_phone_only(fake, db, app) -> None:
    resident = fake.user(6201, first_name="李")
    await resident.send("/start")
    welcome = await resident.expect_message()
    assert welcome.reply_keyboard[:2] == [["📮 我要反映", "📋 我的诉求"], ["📱 分享我的手机号"]]
    assert welcome.reply_markup["keyboard"][1][0].get("request_contact") is True
    await resident.share_contact("+86 139-1234-5678", user_id=999)  # someone else's card
    assert "本人的号码" in (await resident.expect_message()).text
    await resident.share_contact("12345")
    assert "不是有效的手机号" in (await resident.expect_message()).text
    await resident.share_contact("+86 139-1234-5678")
    saved = await resident.expect_message()
    assert "13912345678" in saved.text
    assert saved.reply_keyboard[0] == ["📮 我要反映", "📋 我的诉求"] and ["📱 分享我的手机号"] not in saved.reply_keyboard
    async with db.session() as session:
        row = (await session.exec(select(Resident).where(Resident.telegram_id == 6201))).one()
    assert row.phone == "13912345678"
