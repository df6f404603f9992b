"""`python -m bot …`: run the bot and administer the roster, invites and roles.

Every command that changes data validates its inputs and outputs first, works in one
transaction and commits last, after its output files are complete. Every message comes from
the CLI section of `bot/texts.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from bot.config import Settings
from bot.texts import cli_text

EXIT_BAD_INPUT = 1
EXIT_CONFIG = 2  # also argparse's code for a wrong command line
EXIT_NETWORK = 3
EXIT_DATABASE = 4

log = logging.getLogger("bot")


def say(key: str, /, **values: object) -> None:
    """A result line on stdout."""
    print(cli_text(key, **values))


def note(key: str, /, **values: object) -> None:
    """A remark on stderr (keeps stdout clean for piping lists and codes)."""
    print(cli_text(key, **values), file=sys.stderr)


def fail(key: str, code: int = EXIT_BAD_INPUT, /, **values: object) -> int:
    print(cli_text(key, **values), file=sys.stderr)
    return code


# --- argparse, in Chinese ------------------------------------------------------------

_ARGPARSE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (?P<names>.+)$"), "arg_required"),
    (re.compile(r"^one of the arguments (?P<names>.+) is required$"), "arg_one_required"),
    (re.compile(r"^unrecognized arguments: (?P<names>.+)$"), "arg_unrecognized"),
    (re.compile(r"^invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)$"), "arg_invalid_choice"),
    (re.compile(r"^invalid (?P<kind>\w+) value: (?P<value>.+)$"), "arg_invalid_value"),
    (re.compile(r"^expected one argument$"), "arg_expected_one"),
    (re.compile(r"^expected at least one argument$"), "arg_expected_some"),
    (re.compile(r"^not allowed with argument (?P<other>.+)$"), "arg_not_allowed_with"),
    (re.compile(r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.+)$"), "arg_ambiguous"),
    (re.compile(r"^ignored explicit argument (?P<value>.+)$"), "arg_ignored_value"),
]


def translate_argparse(message: str) -> str:
    """argparse's English error as Chinese (our own type functions already speak Chinese)."""
    found = re.match(r"^argument (?P<name>.+?): (?P<rest>.+)$", message, re.S)
    if found:
        return cli_text("arg_problem", name=found["name"], problem=translate_argparse(found["rest"]))
    for pattern, key in _ARGPARSE_MESSAGES:
        match = pattern.match(message)
        if match:
            values = {k: v.replace("'", "") for k, v in match.groupdict().items()}
            if "kind" in values:
                from bot.texts import ARG_KINDS

                values["kind"] = ARG_KINDS.get(values["kind"], values["kind"])
            return cli_text(key, **values)
    return message


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help laid out as argparse does, headed 用法：, with the epilog's examples kept as written."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001, ANN201
        # argparse itself passes prefix="" when it builds a subcommand's prog from the usage
        return super().add_usage(usage, actions, groups, prefix=cli_text("usage_prefix") if prefix is None else prefix)

    def add_argument(self, action: argparse.Action) -> None:
        # as argparse does, but measuring invocations in terminal columns (a Chinese character takes two)
        if action.help is not argparse.SUPPRESS:
            invocations = [self._format_action_invocation(action)]
            invocations += [self._format_action_invocation(sub) for sub in self._iter_indented_subactions(action)]
            length = max(map(_columns, invocations)) + self._current_indent
            self._action_max_length = max(self._action_max_length, length)
            self._add_item(self._format_action, [action])

    def _format_action(self, action: argparse.Action) -> str:
        # list a command's subcommands straight under their heading, without repeating the heading's name
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            self._dedent()
            try:
                return "".join(self._format_action(sub) for sub in self._iter_indented_subactions(action))
            finally:
                self._indent()
        # argparse's layout, padded in terminal columns so that Chinese option names line up
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        header = self._format_action_invocation(action)
        indent_first = help_position
        if not action.help:
            header = " " * self._current_indent + header + "\n"
        elif _columns(header) <= action_width:
            header = " " * self._current_indent + header + " " * (action_width - _columns(header)) + "  "
            indent_first = 0
        else:
            header = " " * self._current_indent + header + "\n"
        parts = [header]
        if action.help and action.help.strip():
            text = self._expand_help(action)
            if text:
                lines = self._split_lines(text, help_width)
                parts.append(" " * indent_first + lines[0] + "\n")
                parts += [" " * help_position + line + "\n" for line in lines[1:]]
        elif not header.endswith("\n"):
            parts.append("\n")
        parts += [self._format_action(sub) for sub in self._iter_indented_subactions(action)]
        return self._join_parts(parts)


def _columns(text: str) -> int:
    """Terminal columns `text` takes: East Asian wide and full-width characters count two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class ChineseParser(argparse.ArgumentParser):
    """ArgumentParser whose help, group titles and errors are Chinese."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = cli_text("group_positionals")
        self._optionals.title = cli_text("group_options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=cli_text("help_help"))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, cli_text("usage_error", message=translate_argparse(message), prog=self.prog) + "\n")


def _telegram_id(text: str) -> int:
    if not re.fullmatch(r"\d{1,20}", text.strip()):
        raise argparse.ArgumentTypeError(cli_text("arg_bad_telegram_id", value=text))
    return int(text.strip())


def _share(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%％"))
    except ValueError:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_share", value=text)) from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_share", value=text))
    return value / 100


def _level(text: str):  # noqa: ANN202 - models.Level
    from bot.services.roster import LEVELS

    level = LEVELS.get(text.strip().lower())
    if level is None:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_level", value=text))
    return level


def _role(text: str) -> str:
    if text.strip().lower() in ("coordinator", "协调员"):
        return "coordinator"
    raise argparse.ArgumentTypeError(cli_text("arg_bad_role", value=text))


def _columns_help() -> str:
    from bot.services.roster import COLUMNS, LOOKALIKES

    lines = [cli_text("import_columns_title")]
    for key, aliases in COLUMNS.items():
        lines.append(cli_text("import_column_line", name=aliases[0], aliases="、".join(aliases[1:]),
                              meaning=cli_text(f"import_column_{key}")))
    lines.append(cli_text("import_lookalikes", names="、".join(sorted(LOOKALIKES))))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseParser(prog="python -m bot", description=cli_text("desc_main"), epilog=cli_text("epilog_main"))
    parser.add_argument("--env-file", type=Path, metavar=cli_text("metavar_env_file"), help=cli_text("help_env_file"))
    sub = parser.add_subparsers(dest="command", required=True, metavar=cli_text("metavar_command"),
                                title=cli_text("group_commands"), parser_class=ChineseParser)

    def command(parent, name: str, key: str):  # noqa: ANN001, ANN202
        return parent.add_parser(name, help=cli_text(f"help_{key}"), description=cli_text(f"help_{key}"),
                                 epilog=cli_text(f"epilog_{key}"))

    def actions(cmd: argparse.ArgumentParser, dest: str):  # noqa: ANN202
        return cmd.add_subparsers(dest=dest, required=True, metavar=cli_text("metavar_action"),
                                  title=cli_text("group_actions"), parser_class=ChineseParser)

    command(sub, "run", "run")

    db = actions(command(sub, "db", "db"), "db_command")
    command(db, "upgrade", "db_upgrade")

    members = actions(command(sub, "members", "members"), "members_command")
    imp = command(members, "import", "import")
    imp.epilog = cli_text("epilog_import") + "\n\n" + _columns_help()
    imp.add_argument("file", type=Path, metavar=cli_text("metavar_roster"), help=cli_text("help_import_file"))
    imp.add_argument("--dry-run", action="store_true", help=cli_text("help_dry_run"))
    imp.add_argument("--sheet", metavar=cli_text("metavar_sheet"), help=cli_text("help_sheet"))
    imp.add_argument("--deactivate-missing", action="store_true", help=cli_text("help_deactivate_missing"))
    imp.add_argument("--max-deactivate-share", type=_share, default=0.2, metavar=cli_text("metavar_percent"),
                     help=cli_text("help_max_deactivate_share"))
    imp.add_argument("--force", action="store_true", help=cli_text("help_force"))
    lst = command(members, "list", "members_list")
    lst.add_argument("--unbound", action="store_true", help=cli_text("help_unbound"))
    inv = command(members, "invites", "invites")
    inv.add_argument("--out", type=Path, metavar=cli_text("metavar_csv"), help=cli_text("help_out"))
    inv.add_argument("--qr-dir", type=Path, metavar=cli_text("metavar_folder"), help=cli_text("help_qr_dir"))
    inv.add_argument("--member", action="append", metavar=cli_text("metavar_number"), help=cli_text("help_member"))
    inv.add_argument("--replace", action="store_true", help=cli_text("help_replace"))
    cards = command(members, "cards", "cards")
    cards.add_argument("--out-dir", type=Path, required=True, metavar=cli_text("metavar_folder"),
                       help=cli_text("help_cards_out_dir"))
    cards.add_argument("--member", action="append", metavar=cli_text("metavar_number"), help=cli_text("help_member"))
    cards.add_argument("--rotate", action="store_true", help=cli_text("help_cards_rotate"))
    rev = command(members, "revoke", "revoke")
    rev.add_argument("number", metavar=cli_text("metavar_number"))

    roles = actions(command(sub, "roles", "roles"), "roles_command")
    grant = command(roles, "grant", "grant")
    grant.add_argument("telegram_id", type=_telegram_id, metavar=cli_text("metavar_telegram_id"),
                       help=cli_text("help_telegram_id"))
    grant.add_argument("role", nargs="?", type=_role, default="coordinator", metavar=cli_text("metavar_role"),
                       help=cli_text("help_role"))
    scope = grant.add_mutually_exclusive_group(required=True)
    scope.add_argument("--group", metavar=cli_text("metavar_name"), help=cli_text("help_group"))
    scope.add_argument("--sector", metavar=cli_text("metavar_name"), help=cli_text("help_sector"))
    scope.add_argument("--region", metavar=cli_text("metavar_name"), help=cli_text("help_region"))
    grant.add_argument("--level", type=_level, metavar=cli_text("metavar_level"), help=cli_text("help_level"))
    grant.add_argument("--committee-region", metavar=cli_text("metavar_name"), help=cli_text("help_committee_region"))
    rrev = command(roles, "revoke", "roles_revoke")
    rrev.add_argument("telegram_id", type=_telegram_id, metavar=cli_text("metavar_telegram_id"),
                      help=cli_text("help_telegram_id"))
    command(roles, "list", "roles_list")

    from bot import cli_remind, cli_report, cli_tally

    cli_remind.add_parser(sub)
    cli_report.add_parser(sub)
    cli_tally.add_parser(sub)

    for name in ("sectors", "groups", "regions"):
        names = actions(command(sub, name, name), f"{name}_command")
        command(names, "list", f"{name}_list")
    return parser


# --- entry ------------------------------------------------------------------------------

def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a wrong command line (already explained)
        return exc.code if isinstance(exc.code, int) else EXIT_CONFIG
    if settings is None:
        from pydantic import ValidationError
        from pydantic_settings.exceptions import SettingsError

        from bot.config import EnvFileMissing, HomeMissing, load_settings, settings_problems

        try:
            settings = load_settings(args.env_file)
        except EnvFileMissing as exc:
            return fail("env_file_missing", EXIT_CONFIG, path=exc)
        except HomeMissing as exc:
            return fail("home_missing", EXIT_CONFIG, path=exc)
        except (ValidationError, SettingsError) as exc:
            for line in settings_problems(exc):
                print(line, file=sys.stderr)
            return EXIT_CONFIG
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.token, plain=args.command != "run")
    if args.command == "run":
        return run(settings)
    # listings never create a database (a wrong folder would show an empty roster); a dry-run
    # import may, so that a first try on a fresh install works
    writes = not (
        getattr(args, "members_command", None) == "list"
        or getattr(args, "roles_command", None) == "list"
        or args.command in ("sectors", "groups", "regions")
    )
    problem = open_database(settings, writes=writes)
    if problem is not None:
        return problem
    if args.command == "db":
        say("db_up_to_date")
        return 0
    if args.command in ("remind", "report"):
        from bot import cli_remind, cli_report

        return (cli_remind if args.command == "remind" else cli_report).run(settings, args)
    if args.command == "tally":
        from bot import cli_tally

        return cli_tally.run(settings, args)
    if args.command == "members" and args.members_command == "import":
        return import_members(settings, args)
    if args.command == "members" and args.members_command == "invites":
        return asyncio.run(invites(settings, args))
    if args.command == "members" and args.members_command == "cards":
        return asyncio.run(member_cards(settings, args))
    return asyncio.run(_session_command(settings, args))


def open_database(settings: Settings, *, writes: bool) -> int | None:
    """Say which database is used, bring its schema up to date; one line if it cannot be reached."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from bot.db import describe_url, upgrade

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not writes and not Path(url.database).exists():
            return fail("database_missing", EXIT_DATABASE, path=url.database)
    env_file = settings.env_file_used
    note("database_in_use", url=describe_url(settings.database_url),
         source=cli_text("settings_from", path=env_file) if env_file else cli_text("settings_no_env"))
    try:
        upgrade(settings.database_url)
    except (DBAPIError, OSError) as exc:
        log.debug("database unreachable", exc_info=True)
        return fail("database_unreachable", EXIT_DATABASE, url=describe_url(settings.database_url),
                    reason=_database_reason(exc))
    return None


def _database_reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    lowered = text.lower()
    for needle, key in (
        ("password authentication failed", "db_reason_password"),
        ("no password supplied", "db_reason_password"),
        ("does not exist", "db_reason_no_database"),
        ("connection refused", "db_reason_refused"),
        ("could not translate host name", "db_reason_host"),
        ("name or service not known", "db_reason_host"),
        ("timeout", "db_reason_timeout"),
        ("unable to open database file", "db_reason_sqlite_file"),
        ("readonly database", "db_reason_sqlite_readonly"),
        ("permission denied", "db_reason_sqlite_readonly"),
    ):
        if needle in lowered:
            return cli_text(key)
    from bot.logs import short_error

    return cli_text("db_reason_other", error=short_error(getattr(exc, "orig", None) or exc))


# --- run -------------------------------------------------------------------------------------

def _bot(settings: Settings):  # noqa: ANN202
    """A bare Bot for one call (getMe), through the proxy when one is set."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(proxy=settings.bot_proxy_url) if settings.bot_proxy_url else None
    return Bot(settings.token, base_url=settings.bot_api_base_url, base_file_url=settings.bot_api_file_url,
               request=request)


async def _get_me(settings: Settings) -> str:
    async with _bot(settings) as bot:
        return bot.username


def _telegram_host(settings: Settings) -> str:
    from urllib.parse import urlparse

    return urlparse(settings.bot_api_base_url).netloc or settings.bot_api_base_url


def run(settings: Settings) -> int:
    """Start the bot; polling unless WEBHOOK_URL is set."""
    if not settings.bot_token:
        return fail("no_token", EXIT_CONFIG)
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.logs import redact, short_error

    # one getMe before anything else: an unreachable or refusing Telegram is one line, not a traceback
    try:
        asyncio.run(_get_me(settings))
    except InvalidToken:
        return fail("bad_token", EXIT_CONFIG)
    except NetworkError as exc:
        log.debug("Telegram unreachable", exc_info=True)
        return fail("telegram_unreachable", EXIT_NETWORK, host=_telegram_host(settings),
                    reason=redact(short_error(exc), settings.token))
    except TelegramError as exc:
        log.debug("Telegram refused getMe", exc_info=True)
        return fail("telegram_error", EXIT_NETWORK, reason=redact(short_error(exc), settings.token))
    problem = open_database(settings, writes=True)
    if problem is not None:
        return problem
    from bot.app import allowed_updates, build_application, webhook_options

    application = build_application(settings)
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            # after a good start python-telegram-bot's polling retries lost connections with back-off
            application.run_polling(allowed_updates=allowed_updates())
    except InvalidToken:
        return fail("bad_token", EXIT_CONFIG)
    except NetworkError as exc:
        log.debug("Telegram unreachable", exc_info=True)
        return fail("telegram_unreachable", EXIT_NETWORK, host=_telegram_host(settings),
                    reason=redact(short_error(exc), settings.token))
    except Exception as exc:  # noqa: BLE001 - one line; the traceback (redacted) only at DEBUG
        log.debug("the bot stopped", exc_info=True)
        return fail("bot_stopped", EXIT_BAD_INPUT, reason=redact(short_error(exc), settings.token))
    return 0


# --- members import ---------------------------------------------------------------------------

def import_members(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.roster_text import file_error, render_import, run_import
    from bot.services.roster import RosterFileError

    bar = tqdm(desc=cli_text("progress_import"), unit=cli_text("progress_unit"), disable=None, file=sys.stderr)
    try:
        report = run_import(
            settings.database_url, args.file, apply=not args.dry_run, deactivate_missing=args.deactivate_missing,
            sheet=args.sheet, max_deactivate_share=args.max_deactivate_share, force=args.force, progress=bar.update,
        ).report
    except RosterFileError as exc:
        return fail("roster_cannot_import", EXIT_BAD_INPUT, reason=file_error(exc))
    finally:
        bar.close()

    text = render_import(report, dry_run=args.dry_run, deactivate_missing=args.deactivate_missing,
                         max_deactivate_share=args.max_deactivate_share)
    for line in text.notes:
        print(line, file=sys.stderr)
    if text.errors:
        print("\n".join(text.errors), file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in text.lines:
        print(line)
    if text.refusal:
        print(text.refusal, file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


# --- members invites ----------------------------------------------------------------------------

def _writable_folder(folder: Path) -> str | None:
    """None when files can be created in `folder` (made if missing), else the text key of the problem."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return "path_not_writable"
        probe = probe.parent
    if not probe.is_dir():
        return "path_parent_is_file"
    if not os.access(probe, os.W_OK | os.X_OK):
        return "path_not_writable"
    return None


def check_outputs(out: Path | None, qr_dir: Path | None) -> tuple[str, dict] | None:
    """Every output path checked before a single code is made: (text key, values) of the first problem."""
    if out is not None:
        if out.is_dir():
            return "out_is_folder", {"path": out}
        if out.exists():
            return "out_exists", {"path": out}
        if out.suffix.lower() != ".csv":
            return "out_not_csv", {"path": out}
        problem = _writable_folder(out.parent)
        if problem:
            return problem, {"path": out.parent, "option": "--out"}
    if qr_dir is not None:
        if qr_dir.exists() and not qr_dir.is_dir():
            return "qr_not_folder", {"path": qr_dir}
        problem = _writable_folder(qr_dir)
        if problem:
            return problem, {"path": qr_dir, "option": "--qr-dir"}
    return None


def _safe_filename(number: str) -> str:
    return re.sub(r"[^\w.-]", "_", number) or "member"


def _temp_beside(target: Path) -> Path:
    """An empty file next to `target` (same folder, so the final rename is atomic), with normal permissions."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


async def _username_or_fail(settings: Settings) -> str | int:
    """The bot's @username for links, or the exit code after saying (one line) why it is not known."""
    from telegram.error import InvalidToken, TelegramError

    from bot.logs import redact, short_error

    if not settings.bot_username and not settings.bot_token:
        return fail("invites_need_username", EXIT_CONFIG)
    try:
        return await _bot_username(settings)
    except InvalidToken:
        return fail("bad_token", EXIT_CONFIG)
    except TelegramError as exc:  # offline, blocked, proxy down: BOT_USERNAME avoids the call
        log.debug("getMe failed", exc_info=True)
        return fail("invites_username_offline", EXIT_NETWORK, reason=redact(short_error(exc), settings.token))


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    return await _get_me(settings)


async def invites(settings: Settings, args: argparse.Namespace) -> int:
    """Issue codes: outputs checked, codes made in the session, files written, then commit, then files in place."""
    from sqlalchemy.exc import DBAPIError

    from bot.db import Database
    from bot.logs import short_error
    from bot.services.access import CodesOutstanding, NotFound, issue_invites

    problem = check_outputs(args.out, args.qr_dir)
    if problem is not None:
        return fail(problem[0], EXIT_BAD_INPUT, **problem[1])
    username = await _username_or_fail(settings)
    if isinstance(username, int):
        return username

    db = Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)
    temps: list[Path] = []
    made_dirs: list[Path] = []
    committed = False
    try:
        async with db.session() as session:
            try:
                batch = await issue_invites(session, ttl_days=settings.invite_ttl_days, numbers=args.member,
                                            replace=args.replace)
            except NotFound as exc:
                return fail("invites_unknown_members", EXIT_BAD_INPUT, numbers=exc)
            except CodesOutstanding as exc:
                return fail("invites_need_replace", EXIT_BAD_INPUT, numbers="、".join(exc.numbers), codes=exc.codes)
            if not batch.issued:
                await session.rollback()
                if batch.skipped:
                    note("invites_skipped", count=len(batch.skipped))
                say("invites_none")
                return 0
            if batch.replaced:
                note("invites_will_replace", codes=batch.replaced, members=batch.replaced_members)
            rows = [
                (i.number, i.name, i.code, f"https://t.me/{username}?start={i.code}",
                 i.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"))
                for i in batch.issued
            ]
            header = tuple(cli_text("invites_header").split(","))
            try:
                moves = _write_invite_files(args, rows, header, temps, made_dirs)
            except OSError as exc:
                await session.rollback()
                return fail("invites_write_failed", EXIT_BAD_INPUT, reason=short_error(exc))
            try:
                await session.commit()
            except DBAPIError as exc:
                log.debug("commit failed", exc_info=True)
                return fail("invites_commit_failed", EXIT_DATABASE, reason=short_error(exc))
            committed = True
    finally:
        await db.dispose()
        if not committed:  # nothing was stored: remove every file this run started
            for temp in temps:
                with contextlib.suppress(OSError):
                    temp.unlink()
            for folder in reversed(made_dirs):
                with contextlib.suppress(OSError):
                    folder.rmdir()

    for temp, target in moves:
        try:
            os.replace(temp, target)
        except OSError as exc:  # the codes are committed: say where the file is rather than lose it
            return fail("invites_move_failed", EXIT_BAD_INPUT, temp=temp, target=target, reason=short_error(exc))
    note("invites_done", count=len(rows), days=settings.invite_ttl_days, until=rows[0][4])
    if batch.replaced:
        note("invites_replaced", codes=batch.replaced, members=batch.replaced_members)
    if batch.skipped:
        note("invites_skipped", count=len(batch.skipped))
    if args.out:
        note("invites_written", path=args.out)
    if args.qr_dir:
        note("invites_qr_written", path=args.qr_dir, count=len(rows))
    return 0


def _write_invite_files(args: argparse.Namespace, rows: list[tuple], header: tuple, temps: list[Path],
                        made_dirs: list[Path]) -> list[tuple[Path, Path]]:
    """Write the CSV (or stdout) and the QR codes to temporary names; [(temp, final)] to move after commit."""
    moves: list[tuple[Path, Path]] = []
    if args.out:
        _make_dirs(args.out.parent, made_dirs)
        temp = _temp_beside(args.out)
        temps.append(temp)
        with temp.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        moves.append((temp, args.out))
    if args.qr_dir:
        from bot.services.cards import invite_qr_png

        _make_dirs(args.qr_dir, made_dirs)
        for number, _name, _code, link, _expires in rows:
            target = args.qr_dir / f"{_safe_filename(number)}.png"
            if target.is_dir():
                raise IsADirectoryError(str(target))
            temp = _temp_beside(target)
            temps.append(temp)
            with temp.open("wb") as handle:
                handle.write(invite_qr_png(link))
            moves.append((temp, target))
    if not args.out:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
    return moves


async def member_cards(settings: Settings, args: argparse.Namespace) -> int:
    """找我反映 cards: the folder checked first, links made in the session, files written, commit, files in place."""
    from bot.db import Database
    from bot.services.access import NotFound
    from bot.services.cards import member_card_png, member_links
    from bot.services.cases import link_payload

    out: Path = args.out_dir
    if out.exists() and not out.is_dir():
        return fail("qr_not_folder", path=out)
    problem = _writable_folder(out)
    if problem:
        return fail(problem, path=out, option="--out-dir")
    username = await _username_or_fail(settings)
    if isinstance(username, int):
        return username
    db = Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)
    temps: list[Path] = []
    made: list[Path] = []
    try:
        async with db.session() as session:
            try:
                links = await member_links(session, numbers=args.member, rotate=args.rotate)
            except NotFound as exc:
                return fail("cards_unknown_members", EXIT_BAD_INPUT, numbers=exc)
            moves: list[tuple[Path, Path]] = []
            _make_dirs(out, made)
            index = out / "links.csv"
            temp = _temp_beside(index)
            temps.append(temp)
            with temp.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(cli_text("cards_header").split(","))
                for number, name, _sector, token in links:
                    writer.writerow([number, name, f"https://t.me/{username}?start={link_payload(token)}"])
            moves.append((temp, index))
            for number, name, sector, token in links:
                target = out / f"{_safe_filename(number)}.png"
                temp = _temp_beside(target)
                temps.append(temp)
                temp.write_bytes(member_card_png(
                    name=name, sector=sector, link=f"https://t.me/{username}?start={link_payload(token)}"))
                moves.append((temp, target))
            await session.commit()
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        await db.dispose()
    for temp, target in moves:
        temp.replace(target)
    say("cards_done", count=len(links), path=out)
    if args.rotate:
        note("cards_rotated")
    return 0


def _make_dirs(folder: Path, made: list[Path]) -> None:
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


# --- commands on one async session ---------------------------------------------------------------

async def _session_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Database

    db = Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)
    try:
        async with db.session() as session:
            if args.command == "members":
                return await _members(session, args)
            if args.command == "roles":
                return await _roles(session, args)
            return await _names(session, args.command)
    finally:
        await db.dispose()


async def _members(session, args: argparse.Namespace) -> int:  # noqa: ANN001
    from bot.services.access import NotFound, list_members, revoke_member
    from bot.texts import LEVEL_NAMES

    if args.members_command == "list":
        rows = await list_members(session, unbound_only=args.unbound)
        say("members_list_header")
        for r in rows:
            state = cli_text("state_bound") if r.bound else (
                cli_text("state_inactive") if not r.active else cli_text("state_unbound"))
            print("\t".join([r.number, r.name, r.sector, r.group or "-", LEVEL_NAMES[r.level], r.region or "-", state]))
        note("members_count", count=len(rows))
        return 0
    try:
        result = await revoke_member(session, args.number)
    except NotFound:
        return fail("member_not_found", EXIT_BAD_INPUT, number=args.number)
    number, name = result.member.number, result.member.name
    if not result.changed:
        await session.rollback()
        return fail("revoke_nothing", EXIT_BAD_INPUT, number=number, name=name)
    await session.commit()
    if result.unbound_telegram_id is not None:
        say("revoke_unbound", number=number, name=name, telegram_id=result.unbound_telegram_id,
            codes=result.codes_revoked)
    else:
        say("revoke_codes_only", number=number, name=name, codes=result.codes_revoked)
    return 0


async def _roles(session, args: argparse.Namespace) -> int:  # noqa: ANN001
    from bot.services.access import (
        NO_REGION, Ambiguous, CommitteeNeeded, GrantOutcome, NotFound, grant_role, list_roles, resolve_scope,
        revoke_role, scope_of,
    )
    from bot.texts import LEVEL_NAMES, ROLE_NAMES, SCOPE_NAMES, committee_label, scope_label
    from models import ScopeKind

    if args.roles_command == "list":
        grants = await list_roles(session)
        if not grants:
            note("roles_none")
            return 0
        say("roles_list_header")
        unresolved = 0
        for grant in grants:
            scope = scope_of(grant.scope_kind, grant.scope_value, grant.committee_level, grant.committee_region)
            unresolved += scope.unresolved
            committee = (committee_label(scope.committee) if scope.committee else
                         cli_text("roles_list_unresolved") if scope.unresolved else "-")
            print("\t".join([str(grant.telegram_id), ROLE_NAMES.get(grant.role, grant.role),
                             SCOPE_NAMES[grant.scope_kind.value], grant.scope_value, committee]))
        if unresolved:
            note("roles_unresolved_note", count=unresolved)
        return 0
    if args.roles_command == "revoke":
        count = await revoke_role(session, telegram_id=args.telegram_id)
        if not count:
            await session.rollback()
            return fail("roles_revoke_none", EXIT_BAD_INPUT, telegram_id=args.telegram_id)
        await session.commit()
        say("roles_revoked", telegram_id=args.telegram_id, count=count)
        return 0
    kind, value = (
        (ScopeKind.group, args.group) if args.group is not None
        else (ScopeKind.sector, args.sector) if args.sector is not None
        else (ScopeKind.region, args.region)
    )
    if kind is not ScopeKind.group and (args.level is not None or args.committee_region is not None):
        return fail("grant_committee_not_group", EXIT_BAD_INPUT)
    region = args.committee_region
    if region is not None and region.strip() != NO_REGION:  # the committee's region, named as region scopes are
        try:
            region = await resolve_scope(session, ScopeKind.region, region)
        except (NotFound, Ambiguous) as exc:
            return _scope_problem(exc, ScopeKind.region, args.committee_region)
    try:
        grant, outcome = await grant_role(session, telegram_id=args.telegram_id, kind=kind, value=value,
                                          level=args.level, region=region)
    except (NotFound, Ambiguous) as exc:
        await session.rollback()
        return _scope_problem(exc, kind, value)
    except CommitteeNeeded as exc:
        await session.rollback()
        if not exc.committees:
            return fail("grant_committee_no_members", EXIT_BAD_INPUT, value=exc.value)
        if not exc.matching:
            return fail("grant_committee_no_match", EXIT_BAD_INPUT, value=exc.value,
                        candidates="、".join(committee_label(c) for c in exc.committees))
        example = exc.matching[-1]
        return fail("grant_committee_needed", EXIT_BAD_INPUT, value=exc.value,
                    candidates="、".join(committee_label(c) for c in exc.matching),
                    level=LEVEL_NAMES[example.level], region=example.region or NO_REGION)
    scope = scope_of(grant.scope_kind, grant.scope_value, grant.committee_level, grant.committee_region)
    scope_name = SCOPE_NAMES[kind.value]
    if outcome is GrantOutcome.exists:
        await session.rollback()
        say("grant_exists", telegram_id=args.telegram_id, kind=scope_name, value=scope_label(scope))
        return 0
    await session.commit()
    if outcome is GrantOutcome.fixed:
        say("grant_fixed", telegram_id=args.telegram_id, value=scope.value, committee=committee_label(scope.committee))
        return 0
    say("grant_done", telegram_id=args.telegram_id, kind=scope_name, value=scope_label(scope))
    return 0


def _scope_problem(exc: Exception, kind, value: str) -> int:  # noqa: ANN001 - ScopeKind
    """A name `roles grant` could not resolve: unknown (with the nearest names) or ambiguous (the candidates)."""
    from bot.services.access import NotFound
    from bot.texts import SCOPE_NAMES

    if isinstance(exc, NotFound):
        hint = cli_text("did_you_mean", names="、".join(exc.suggestions)) if exc.suggestions else ""
        return fail("scope_not_found", EXIT_BAD_INPUT, kind=SCOPE_NAMES[kind.value], value=value, hint=hint,
                    command=_LIST_COMMANDS[kind.value])
    return fail("scope_ambiguous", EXIT_BAD_INPUT, kind=SCOPE_NAMES[kind.value], value=value,
                candidates="、".join(exc.candidates))  # type: ignore[attr-defined]


_LIST_COMMANDS = {"group": "groups list", "sector": "sectors list", "region": "regions list"}


async def _names(session, command: str) -> int:  # noqa: ANN001
    from bot.services.access import list_groups, list_regions, list_sectors

    if command == "sectors":
        say("sectors_header")
        for row in await list_sectors(session):
            print(f"{row.name}\t{row.short_name if row.short_name != row.name else '-'}\t{row.members}")
        return 0
    rows = await (list_groups(session) if command == "groups" else list_regions(session))
    if not rows:
        note(f"{command}_none")
        return 0
    say(f"{command}_header")
    if command == "groups":  # the committees each name is on: what `roles grant --group` asks for
        from bot.services.access import group_committee_counts
        from bot.texts import committee_label

        committees = await group_committee_counts(session)
        for row in rows:
            on = "、".join(f"{committee_label(c)} {n}" for c, n in committees.get(row.name, []))
            print(f"{row.name}\t{row.members}\t{on or '-'}")
        return 0
    for row in rows:
        print(f"{row.name}\t{row.members}")
    return 0


def entrypoint() -> None:
    logging.captureWarnings(True)
    try:
        code = main()
    except BrokenPipeError:  # `members list | head`: the reader left, nothing to report
        sys.stderr.close()
        code = 0
    except KeyboardInterrupt:
        code = fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - a clerk gets one line; the traceback only at DEBUG
        from bot.logs import redact, short_error

        log.debug("unexpected error", exc_info=True)
        code = fail("unexpected_error", EXIT_BAD_INPUT, reason=redact(short_error(exc)))
    sys.exit(code)
