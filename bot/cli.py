"""`python -m bot …`: run the bot and administer the roster, invites and roles."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import re
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings, get_settings

NO_TOKEN = (
    "未设置 BOT_TOKEN。请在项目目录下的 .env 文件中写入一行 BOT_TOKEN=<从 @BotFather 获得的令牌>"
    "（可参照 .env.example），或设置同名环境变量。\n"
    "BOT_TOKEN is not set. Put a line BOT_TOKEN=<token from @BotFather> in the .env file in the "
    "project directory (see .env.example), or set the environment variable."
)
BAD_TOKEN = (
    "Telegram 拒绝了 BOT_TOKEN：请检查 .env 中的令牌是否完整、是否已在 @BotFather 处重置。\n"
    "Telegram rejected BOT_TOKEN: check the token in .env (complete? revoked at @BotFather?)."
)
EXIT_BAD_INPUT = 1
EXIT_CONFIG = 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    print(message, file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="连心桥 Lianxin — 政协委员联系界别群众 Telegram 机器人。设置从环境变量和 .env 读取（见 .env.example）。",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="启动机器人（默认长轮询；设置 WEBHOOK_URL 时以 webhook 方式运行）")

    db = sub.add_parser("db", help="数据库维护").add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db.add_parser("upgrade", help="把数据库结构升级到最新（启动时也会自动执行）")

    members = sub.add_parser("members", help="委员名册、邀请码").add_subparsers(
        dest="members_command", required=True, metavar="ACTION"
    )
    imp = members.add_parser("import", help="导入委员名册（CSV 或 XLSX；以“编号”为准，重复导入不会重复创建）")
    imp.add_argument("file", type=Path, help="名册文件 .csv / .xlsx（UTF-8、带 BOM 的 UTF-8 或 GB18030）")
    imp.add_argument("--dry-run", action="store_true", help="只显示将会发生的变化，不写入数据库")
    imp.add_argument("--deactivate-missing", action="store_true", help="把文件中没有的在册委员标记为停用")
    lst = members.add_parser("list", help="列出委员及绑定情况")
    lst.add_argument("--unbound", action="store_true", help="只列出尚未绑定 Telegram 的在册委员")
    inv = members.add_parser("invites", help="为尚未绑定的委员生成一次性邀请码（旧的未用邀请码随之作废）")
    inv.add_argument("--out", type=Path, help="把 编号,姓名,邀请码,链接,有效期至 写入此 CSV 文件（默认打印到屏幕）")
    inv.add_argument("--qr-dir", type=Path, help="为每位委员生成二维码 PNG（文件名为编号）")
    inv.add_argument("--member", action="append", metavar="编号", help="只为这些委员生成（可重复）")
    rev = members.add_parser("revoke", help="解除委员的 Telegram 绑定并作废其邀请码")
    rev.add_argument("number", metavar="编号")

    roles = sub.add_parser("roles", help="协调员权限").add_subparsers(dest="roles_command", required=True, metavar="ACTION")
    grant = roles.add_parser("grant", help="授予协调员权限，范围为活动组、界别或地区")
    grant.add_argument("telegram_id", type=int)
    grant.add_argument("role", choices=["coordinator"])
    scope = grant.add_mutually_exclusive_group(required=True)
    scope.add_argument("--group", help="界别活动组名称，如 第1界别活动组")
    scope.add_argument("--sector", help="界别全称或简称，如 民进")
    scope.add_argument("--region", help="地区路径，如 甘肃省/兰州市")
    rrev = roles.add_parser("revoke", help="收回某人的全部协调员权限")
    rrev.add_argument("telegram_id", type=int)
    roles.add_parser("list", help="列出协调员权限")
    return parser


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings or get_settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        return _fail(f"配置有误 / invalid settings: {problems}", EXIT_CONFIG)
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.token)
    if args.command == "run":
        return run(settings)

    from bot.db import upgrade

    upgrade(settings.database_url)
    if args.command == "db":
        print("数据库已是最新结构。")
        return 0
    if args.command == "members":
        if args.members_command == "import":
            return import_members(settings, args.file, dry_run=args.dry_run, deactivate_missing=args.deactivate_missing)
        return asyncio.run(_members_async(settings, args))
    return asyncio.run(_roles_async(settings, args))


def run(settings: Settings) -> int:
    """Start the bot; polling unless WEBHOOK_URL is set."""
    if not settings.bot_token:
        return _fail(NO_TOKEN, EXIT_CONFIG)
    from bot.app import allowed_updates, build_application, webhook_options
    from bot.db import upgrade

    from telegram.error import InvalidToken

    from bot.logs import redact

    upgrade(settings.database_url)
    application = build_application(settings)
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=allowed_updates())
    except InvalidToken:
        return _fail(BAD_TOKEN, EXIT_CONFIG)
    except Exception as exc:  # noqa: BLE001 - the traceback could carry the token; log it redacted
        logging.getLogger("bot").error("the bot stopped: %s", redact(repr(exc), settings.token), exc_info=True)
        return 1
    return 0


def import_members(settings: Settings, path: Path, *, dry_run: bool, deactivate_missing: bool) -> int:
    from tqdm import tqdm

    from bot.db import sync_engine
    from bot.services.roster import RosterFileError, import_roster

    if not path.is_file():
        return _fail(f"找不到文件：{path}")
    engine = sync_engine(settings.database_url)
    bar = tqdm(desc="导入", unit="行", disable=None, file=sys.stderr)
    try:
        with engine.begin() as connection:
            report = import_roster(
                connection, path, dry_run=dry_run, deactivate_missing=deactivate_missing, progress=bar.update
            )
            if not report.ok or dry_run:
                connection.rollback()
    except RosterFileError as exc:
        return _fail(f"名册无法导入：{exc}")
    finally:
        bar.close()
        engine.dispose()
    if not report.ok:
        lines = [f"名册有 {len({e.row for e in report.errors})} 行有误，整个文件未导入（没有写入任何数据）："]
        lines += [f"  第 {e.row} 行：{e.reason}" for e in report.errors[:200]]
        if len(report.errors) > 200:
            lines.append(f"  …… 另有 {len(report.errors) - 200} 处错误")
        return _fail("\n".join(lines))
    prefix = "【试运行，未写入】" if dry_run else ""
    print(
        f"{prefix}共 {report.rows} 行：新增 {report.created}，更新 {report.updated}"
        f"（其中恢复启用 {report.reactivated}），未变 {report.unchanged}；"
        f"文件中没有的在册委员 {report.missing} 人"
        + (f"，已停用 {report.deactivated} 人" if deactivate_missing else "（未停用，可加 --deactivate-missing）")
        + f"；新活动组 {report.new_groups}，新地区 {report.new_regions}。"
    )
    return 0


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if not settings.bot_token:
        raise RuntimeError("需要 BOT_USERNAME 或 BOT_TOKEN 才能生成邀请链接 / set BOT_USERNAME or BOT_TOKEN")
    from telegram import Bot

    async with Bot(settings.token, base_url=settings.bot_api_base_url, base_file_url=settings.bot_api_file_url) as bot:
        return bot.username


def _safe_filename(number: str) -> str:
    return re.sub(r"[^\w.-]", "_", number) or "member"


async def _members_async(settings: Settings, args: argparse.Namespace) -> int:
    from telegram.error import InvalidToken

    from bot.logs import redact
    from bot.db import Database
    from bot.services.access import NotFound, issue_invites, list_members, revoke_member
    from bot.texts import LEVEL_NAMES

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            if args.members_command == "list":
                rows = await list_members(session, unbound_only=args.unbound)
                for r in rows:
                    state = "已绑定" if r.bound else ("已停用" if not r.active else "未绑定")
                    print("\t".join([r.number, r.name, r.sector, r.group or "-", LEVEL_NAMES[r.level], r.region or "-", state]))
                print(f"共 {len(rows)} 人", file=sys.stderr)
                return 0
            if args.members_command == "revoke":
                try:
                    member = await revoke_member(session, args.number)
                except NotFound:
                    return _fail(f"没有编号为 {args.number} 的委员")
                print(f"已解除 {member.number} {member.name} 的绑定，其未使用的邀请码已作废。")
                return 0
            # invites
            try:
                username = await _bot_username(settings)
            except InvalidToken:
                return _fail(BAD_TOKEN, EXIT_CONFIG)
            except Exception as exc:  # network problems: say so (never the token), don't issue codes
                return _fail(f"无法取得机器人用户名：{redact(str(exc), settings.token)}", EXIT_CONFIG)
            try:
                issued = await issue_invites(session, ttl_days=settings.invite_ttl_days, numbers=args.member)
            except NotFound as exc:
                return _fail(f"以下编号不存在或已绑定/停用：{exc}")
    finally:
        await db.dispose()

    rows = [
        (i.number, i.name, i.code, f"https://t.me/{username}?start={i.code}",
         i.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"))
        for i in issued
    ]
    header = ("编号", "姓名", "邀请码", "链接", "有效期至")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
    if args.qr_dir:
        import qrcode

        args.qr_dir.mkdir(parents=True, exist_ok=True)
        for number, _name, _code, link, _exp in rows:
            qrcode.make(link).save(args.qr_dir / f"{_safe_filename(number)}.png")
    print(f"已为 {len(rows)} 位委员生成邀请码，有效期 {settings.invite_ttl_days} 天。", file=sys.stderr)
    return 0


async def _roles_async(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Database
    from bot.services.access import NotFound, grant_role, list_roles, revoke_role
    from bot.texts import SCOPE_NAMES
    from models import ScopeKind

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            if args.roles_command == "list":
                for grant in await list_roles(session):
                    print(f"{grant.telegram_id}\t{grant.role}\t{SCOPE_NAMES[grant.scope_kind.value]}\t{grant.scope_value}")
                return 0
            if args.roles_command == "revoke":
                count = await revoke_role(session, telegram_id=args.telegram_id)
                print(f"已收回 {args.telegram_id} 的 {count} 项协调员权限。")
                return 0
            kind, value = (
                (ScopeKind.group, args.group) if args.group
                else (ScopeKind.sector, args.sector) if args.sector
                else (ScopeKind.region, args.region)
            )
            try:
                grant, created = await grant_role(session, telegram_id=args.telegram_id, kind=kind, value=value)
            except NotFound:
                return _fail(f"找不到{SCOPE_NAMES[kind.value]}「{value}」（先导入名册，或检查名称）")
            verb = "已授予" if created else "已存在，无需重复授予："
            print(f"{verb} {args.telegram_id} 协调员权限（{SCOPE_NAMES[kind.value]}：{grant.scope_value}）。")
            return 0
    finally:
        await db.dispose()


def entrypoint() -> None:
    logging.captureWarnings(True)
    try:
        code = main()
    except BrokenPipeError:  # `members list | head`: the reader left, nothing to report
        sys.stderr.close()
        code = 0
    sys.exit(code)
