"""What every command shares: its output lines and exit codes, the database it opens, files it writes
after the commit, and the bot's own name from Telegram."""

from __future__ import annotations

import errno
import logging
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.db import Database, describe_url, upgrade
from bot.logs import network_reason, redact, short_error
from bot.services.access import NumbersRefused
from bot.services.roster_import import ImportText
from bot.services.rules import Quarter, QuarterNumberError
from bot.texts import cli_text

EXIT_BAD_INPUT = 1
EXIT_CONFIG = 2  # also argparse's code for a wrong command line
EXIT_NETWORK = 3
EXIT_DATABASE = 4
EXIT_BUSY = 5  # another bot process uses this SQLite database

log = logging.getLogger("bot")


def say(key: str, /, **values: object) -> None:
    """A result line on stdout."""
    print(cli_text(key, **values))


def note(key: str, /, **values: object) -> None:
    """A remark on stderr (keeps stdout clean for piping lists and codes)."""
    print(cli_text(key, **values), file=sys.stderr)


def fail(key: str, code: int = EXIT_BAD_INPUT, /, **values: object) -> int:
    """A refusal on stderr; returns the exit code."""
    print(cli_text(key, **values), file=sys.stderr)
    return code


def parse_quarter(text: str) -> Quarter | None:
    """`--quarter 2026Q4` as a Quarter; None (after saying what a quarter looks like) when it is not one."""
    try:
        return Quarter.parse(text)
    except QuarterNumberError:
        fail("cli_quarter_number", value=text)
    except ValueError:
        fail("cli_bad_quarter", value=text)
    return None


def refused_numbers(exc: NumbersRefused) -> str:
    """Each 编号 a command could not take, with why: `GS9999（没有这个编号）、GS0002（已停用）`."""
    return "、".join(cli_text(f"number_{why}", number=number) for number, why in exc.reasons)


# --- the database ------------------------------------------------------------------------------------


def open_database(settings: Settings, *, writes: bool) -> int | None:
    """Say which database is used, bring its schema up to date; the exit code (one line said) if it cannot be reached.

    Without `writes` a SQLite file that does not exist is refused rather than made (a listing in a wrong
    folder would show an empty roster)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if not writes and not Path(url.database).exists():
            return fail("database_missing", EXIT_DATABASE, path=url.database)
    env_file = settings.env_file_used
    note("database_in_use", url=database_name(settings),
         source=cli_text("settings_from", path=env_file) if env_file else cli_text("settings_no_env"))
    try:
        seeded = upgrade(settings.database_url)
    except (DBAPIError, OSError) as exc:
        log.debug("database unreachable", exc_info=True)
        return fail("database_unreachable", EXIT_DATABASE, url=database_name(settings), reason=database_reason(exc))
    if seeded:
        log.info(cli_text("seeded_sectors", count=seeded))
    return None


def database(settings: Settings) -> Database:
    """The async database a command works on (the SQLite driver as SQLITE_FAST_DRIVER says)."""
    return Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)


def database_name(settings: Settings) -> str:
    return describe_url(settings.database_url) or cli_text("database_unparsable")


_DATABASE_REASONS = (
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
)


def database_reason(exc: BaseException) -> str:
    """Why the database could not be reached, in words a clerk can act on."""
    lowered = str(getattr(exc, "orig", None) or exc).lower()
    for needle, key in _DATABASE_REASONS:
        if needle in lowered:
            return cli_text(key)
    return cli_text("db_reason_other", error=short_error(getattr(exc, "orig", None) or exc))


# --- Telegram ----------------------------------------------------------------------------------------


def bare_bot(settings: Settings) -> Bot:
    """A Bot for one call (getMe), through the proxy when one is set."""
    request = HTTPXRequest(proxy=settings.bot_proxy_url) if settings.bot_proxy_url else None
    return Bot(settings.token, base_url=settings.bot_api_base_url, base_file_url=settings.bot_api_file_url,
               request=request)


async def get_me(settings: Settings) -> str:
    """The bot's @username, asked of Telegram."""
    async with bare_bot(settings) as bot:
        return bot.username


def telegram_host(settings: Settings) -> str:
    return urlparse(settings.bot_api_base_url).netloc or settings.bot_api_base_url


async def username_or_fail(settings: Settings) -> str | int:
    """The bot's @username for links (BOT_USERNAME, else getMe), or the exit code after saying (one line) why not."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if not settings.bot_token:
        return fail("invites_need_username", EXIT_CONFIG)
    try:
        return await get_me(settings)
    except TelegramError as exc:  # offline, blocked, proxy down: BOT_USERNAME avoids the call
        return telegram_failure(settings, exc, offline="invites_username_offline")


def telegram_failure(settings: Settings, exc: TelegramError, *, offline: str = "telegram_unreachable") -> int:
    """One line (and its exit code) for a first Bot API call that failed: Telegram out of reach (`offline`, a
    text with {host} and {reason}), an address that is no Bot API, a refused token, or Telegram's own refusal."""
    if isinstance(exc, NetworkError):  # TimedOut, and an answer of 5xx: worth starting again later
        log.debug("Telegram unreachable", exc_info=True)
        return fail(offline, EXIT_NETWORK, host=telegram_host(settings),
                    reason=redact(network_reason(exc, detail=settings.log_level == "DEBUG"), settings.token))
    # python-telegram-bot's getMe wraps the answer's error (Bot.initialize); the answer itself may be a web
    # page: it is never logged, not even at DEBUG
    causes = [exc]
    while isinstance(causes[-1].__cause__, TelegramError) and len(causes) < 5:
        causes.append(causes[-1].__cause__)
    if any(isinstance(e, InvalidToken) and str(e).startswith("Not Found") for e in causes):
        return fail("not_bot_api_404", EXIT_CONFIG, url=settings.bot_api_base_url)
    if any(str(e) == "Invalid server response" for e in causes):  # the answer was no JSON
        return fail("not_bot_api_page", EXIT_CONFIG, url=settings.bot_api_base_url)
    if isinstance(exc, InvalidToken):
        return fail("bad_token", EXIT_CONFIG)
    log.debug("Telegram refused getMe", exc_info=True)
    return fail("telegram_error", EXIT_NETWORK, reason=redact(short_error(exc), settings.token))


# --- files written only once the data is committed ---------------------------------------------------


def output_path(path: Path, option: str, default: str, allowed: tuple[str, ...]) -> Path | int:
    """`path` with `default` added when it has no extension (said on stderr); the exit code when its
    extension is another format (a name like 报告v1.0 has none: .0 is no format)."""
    suffix = path.suffix.lower()
    if suffix in allowed:
        return path
    if suffix[1:].isalpha():
        return fail("out_wrong_suffix", EXIT_BAD_INPUT, option=option, path=path, suffix=path.suffix,
                    allowed="、".join(allowed))
    named = path.with_name(path.name + default)
    note("out_suffix_added", option=option, path=named)
    return named


_FILE_REASONS = {
    errno.ENOSPC: "file_reason_full",
    errno.EACCES: "file_reason_denied", errno.EPERM: "file_reason_denied",
    errno.EROFS: "file_reason_read_only",
    errno.ENOENT: "file_reason_missing",
    errno.EISDIR: "file_reason_folder",
    errno.ENAMETOOLONG: "file_reason_name_long",
}


def file_reason(exc: OSError, settings: Settings | None = None) -> str:
    """Why a file could not be written, in Chinese; the system's own (English) words only at LOG_LEVEL=DEBUG."""
    key = _FILE_REASONS.get(exc.errno or 0)
    reason = cli_text(key) if key else cli_text("file_reason_other", errno=exc.errno or "?")
    if settings is not None and settings.log_level == "DEBUG":
        return cli_text("net_detail", reason=reason, error=short_error(exc))
    return reason


def writable_file(path: Path) -> str | None:
    """Why `path` cannot be written (its folder must exist already), or None."""
    parent = path.resolve().parent
    if not parent.is_dir():
        return cli_text("out_parent_missing", parent=parent)
    if path.exists() and path.is_dir():
        return cli_text("out_is_a_folder")
    return None


def writable_folder(folder: Path) -> str | None:
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


def temp_beside(target: Path) -> Path:
    """An empty file next to `target` (same folder, so the final rename is atomic), with normal permissions."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


def make_dirs(folder: Path, made: list[Path]) -> None:
    """Create `folder` and its missing parents, noting each in `made` (to remove them if the command fails)."""
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def print_import(text: ImportText) -> int:
    """A register import's outcome (the roster's, the stations'): notes and errors to stderr, the changes to
    stdout, a refusal last; the exit code."""
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
