"""Settings from the environment and `.env`, validated once and cached."""

from __future__ import annotations

import os
import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.texts import SETTING_EXAMPLES, cli_text, setting_problem

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
# the rule the token is checked against; the settings error message is built from the same numbers
TOKEN_MIN_DIGITS = 3
TOKEN_MIN_TAIL = 10
_TOKEN_RE = re.compile(rf"^\d{{{TOKEN_MIN_DIGITS},}}:[A-Za-z0-9_-]{{{TOKEN_MIN_TAIL},}}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
# ASCII and full-width commas, semicolons, the enumeration comma and whitespace
_ID_SEPARATORS = re.compile(r"[,，;；、\s]+")


def _problem(code: str, **values: object) -> PydanticCustomError:
    """A settings problem the CLI renders from the text catalogue (key `setting_<code>`)."""
    return PydanticCustomError("lianxin", code, dict(values))


class ActivityKind(BaseModel):
    """One kind of liaison activity and the duty points it earns."""

    code: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    name: str = Field(min_length=1, max_length=16)
    points: float = Field(ge=0, le=1000)


DEFAULT_ACTIVITY_KINDS = [
    ActivityKind(code="visit", name="主动走访", points=2),
    ActivityKind(code="reception_day", name="委员接待日", points=3),
    ActivityKind(code="consultation", name="协商议事", points=3),
    ActivityKind(code="practical_help", name="帮办实事", points=3),
    ActivityKind(code="policy_explainer", name="宣讲引导", points=2),
    ActivityKind(code="inspection", name="调研视察", points=3),
    ActivityKind(code="public_opinion", name="社情民意", points=2),
    ActivityKind(code="sector_activity", name="界别活动", points=2),
    ActivityKind(code="other", name="其他", points=1),
]


class Settings(BaseSettings):
    """Everything the bot, the CLI and the scheduler read from the environment."""

    # no env_file here: which .env is read is decided by load_settings() (project folder,
    # LIANXIN_HOME or --env-file), never by the folder the command happens to run in
    model_config = SettingsConfigDict(env_file=None, env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    bot_api_base_url: str = TELEGRAM_API
    bot_api_file_url: str = TELEGRAM_FILE_API
    bot_proxy_url: str | None = None
    # the .env file these settings were read from (None: environment only); set by load_settings
    _env_file_used: str | None = PrivateAttr(default=None)
    database_url: str = "sqlite+aiosqlite:///data/lianxin.db"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"

    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None

    invite_ttl_days: int = Field(default=30, ge=1, le=3650)
    bind_max_failures: int = Field(default=5, ge=1)
    bind_lockout_minutes: int = Field(default=60, ge=1)
    persistence_interval_seconds: float = Field(default=5, gt=0)

    conversation_timeout_minutes: float = Field(default=30, gt=0)
    activity_kinds: list[ActivityKind] = Field(default_factory=lambda: list(DEFAULT_ACTIVITY_KINDS))
    quarterly_activity_target: int = Field(default=1, ge=0)
    yearly_people_target: int = Field(default=40, ge=0)
    late_log_grace_days: int = Field(default=10, ge=0, le=92)
    activity_edit_window_days: int = Field(default=7, ge=0)
    duplicate_window_hours: float = Field(default=24, ge=0)

    # --- residents' requests (cases) ---
    # the category -> sectors table; None = bot/data/routing_sample.csv
    routing_file: str | None = None
    case_reopen_days: int = Field(default=7, ge=0, le=365)
    max_requests_per_day: int = Field(default=5, ge=1)
    duplicate_request_hours: float = Field(default=24, ge=0)
    # relay 补充/回复: at most this many messages per case and direction within the window
    case_relay_max_messages: int = Field(default=10, ge=1)
    case_relay_window_minutes: float = Field(default=10, gt=0)
    # Open311's expected_datetime: routed cases are expected to be resolved within this many days
    case_expected_days: int = Field(default=15, ge=1, le=365)
    # case deadlines: nudge after this many hours without 接收, re-route after these, alert the
    # coordinators when open longer than these days; a resolved case unanswered for CASE_REOPEN_DAYS
    # is asked once more, and closed (unconfirmed) this many days later
    case_remind_hours: int = Field(default=48, ge=1)
    case_reroute_hours: int = Field(default=72, ge=1)
    case_overdue_days: int = Field(default=15, ge=1)
    case_confirm_grace_days: int = Field(default=3, ge=0)
    # --- reminders, outbox and the quarterly report ---
    # rules: no_activity (none yet this quarter), below_pace (人次 below the pro-rata pace),
    # bottom_share (bottom REMINDER_BOTTOM_SHARE of the activity group by points this year)
    reminder_rules: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["no_activity", "below_pace", "bottom_share"]
    )
    # occasion=day: day N of the quarter (1 = first day), or -N: N days before the quarter ends
    reminder_moments: Annotated[dict[str, int], NoDecode] = Field(default_factory=lambda: {"mid": 45, "late": -15})
    reminder_time: time = time(9, 0)
    reminder_bottom_share: float = Field(default=0.10, gt=0, lt=1)
    # --- reception days: the reminder to residents signed up and the member on duty, the day before ---
    reception_reminder_time: time = time(18, 0)
    # --- voice notes: the longest one taken (seconds); photos and voices are kept on disk in MEDIA_DIR (above)
    voice_max_seconds: int = Field(default=120, ge=5, le=3600)
    # --- speed through libraries' private parts; false: the library's own path, as it comes ---
    # the Bot API connection pool's faster stream (bot/pool_tuning.py, httpcore internals)
    http_pool_tuning: bool = True
    # SQLite: one hand-off to aiosqlite's thread per statement, bounded reads on the loop's thread
    # (bot/sqlite_async.py, SQLAlchemy's aiosqlite adapter subclassed)
    sqlite_fast_driver: bool = True
    # check-in at the door of a reception day: the link works from this many minutes before the start
    # to this many after the end; more than CHECKIN_BURST check-ins within one minute flag the day
    checkin_opens_before: int = Field(default=60, ge=0, le=1440)
    checkin_closes_after: int = Field(default=120, ge=0, le=1440)
    checkin_burst: int = Field(default=30, ge=1)
    # --- backups and personal data: nightly backups into BACKUP_DIR (none when unset), the newest BACKUP_KEEP
    # kept; the media folder a backup with --media takes; phones on cases closed longer ago are cleared nightly
    backup_dir: str | None = None
    backup_keep: int = Field(default=14, ge=1, le=3650)
    media_dir: str = "data/media"
    phone_retention_days: int = Field(default=365, ge=1, le=36500)
    # hot standby on PostgreSQL: a standby takes over within this many seconds of the leader's end
    failover_seconds: float = Field(default=10, ge=2, le=300)
    # --- the dashboard (a Telegram Mini App served by the bot process; off while WEBAPP_URL is unset) ---
    webapp_url: str | None = None
    webapp_listen: str = "127.0.0.1"
    webapp_port: int = Field(default=8444, ge=1, le=65535)
    webapp_auth_max_age: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    # 存疑活动: one activity with more 人次 than this is flagged for coordinators (never refused)
    plausible_people_max: int = Field(default=300, ge=1, le=1_000_000)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in _ID_SEPARATORS.split(value.strip()) if p]
            for part in parts:
                if not part.isascii() or not part.isdigit():
                    raise _problem("admin_ids", part=part)
            return [int(p) for p in parts]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("reminder_rules", mode="before")
    @classmethod
    def _split_rules(cls, value: object) -> object:
        if isinstance(value, str):
            value = [p for p in re.split(r"[,\s;]+", value.strip()) if p]
        known = {"no_activity", "below_pace", "bottom_share"}
        if isinstance(value, list) and not set(value) <= known:
            raise ValueError("只能是 no_activity、below_pace、bottom_share 中的一项或几项（逗号分隔）")
        return value

    @field_validator("reminder_moments", mode="before")
    @classmethod
    def _split_moments(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in re.split(r"[,\s;]+", value.strip()) if p]
            try:
                if any(len(p) != 2 for p in pairs):
                    raise ValueError
                value = {k.strip(): int(v) for k, v in pairs}
            except ValueError:
                raise ValueError("格式应为 mid=45,late=-15") from None
        if isinstance(value, dict):
            if not set(value) <= {"mid", "late"}:
                raise ValueError("只能设置 mid 和 late 两个时机")
            if any(not (1 <= d <= 90 or -90 <= d <= -1) for d in value.values()):
                raise ValueError("天数应为 1…90（季度第几天）或 -90…-1（季度结束前几天）")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file name
            raise _problem("timezone", value=value) from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level == "WARN":
            level = "WARNING"
        if level not in LOG_LEVELS:
            raise _problem("log_level", value=value, choices="、".join(LOG_LEVELS))
        return level

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        value = value.strip()
        # Heroku-style and driverless URLs mean PostgreSQL through psycopg 3, the driver we ship
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value[len(prefix):]
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise _problem("database_url") from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise _problem("database_url")
        return value

    @field_validator("bot_proxy_url")
    @classmethod
    def _proxy_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parsed = urlparse(value.strip())
        if parsed.scheme.lower() not in PROXY_SCHEMES or not parsed.hostname:
            raise _problem("bot_proxy_url", schemes="、".join(PROXY_SCHEMES))
        return value.strip()

    @field_validator("bot_api_base_url", "bot_api_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value.strip()):
            raise _problem("api_url")
        return value.strip()

    @field_validator("webapp_url")
    @classmethod
    def _webapp_https(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.match(r"^https://[^/\s?#]+(/[^\s?#]*)?$", value.strip()):
            raise _problem("webapp_url")
        return value.strip()

    @field_validator("bot_username")
    @classmethod
    def _username_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name = value.strip().lstrip("@")
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]{3,31}$", name):
            raise _problem("bot_username")
        return name

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        if token.lower() in {"changeme", "your-token-here", "123456:replace-me"} or not _TOKEN_RE.match(
            token
        ):
            raise _problem("bot_token", digits=TOKEN_MIN_DIGITS, tail=TOKEN_MIN_TAIL)
        return SecretStr(token)

    @field_validator("activity_kinds")
    @classmethod
    def _unique_kinds(cls, value: list[ActivityKind]) -> list[ActivityKind]:
        codes = [k.code for k in value]
        if not value or len(set(codes)) != len(codes):
            raise _problem("activity_kinds_unique")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not _SECRET_RE.match(secret):
                raise _problem("webhook_secret", setting="WEBHOOK_SECRET")
        return self

    @property
    def env_file_used(self) -> str | None:
        return self._env_file_used

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value() if self.bot_token else ""

    def kind(self, code: str) -> ActivityKind | None:
        return next((k for k in self.activity_kinds if k.code == code), None)


def project_home() -> Path:
    """The folder `.env` and a relative SQLite path belong to.

    `LIANXIN_HOME` when set; otherwise the project folder (the one holding pyproject.toml next
    to the `bot` package, as in a checkout); otherwise, for an installed package, the current folder.
    """
    explicit = os.environ.get("LIANXIN_HOME", "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return root
    return Path.cwd()


def absolute_database_url(url: str, base: Path) -> str:
    """A relative SQLite path made absolute against `base`; other URLs unchanged."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    path = Path(parsed.database).expanduser()
    if path.is_absolute():
        return url
    return parsed.set(database=str((base / path).resolve())).render_as_string(hide_password=False)


def absolute_path(path: str, base: Path) -> Path:
    """A folder setting made absolute against `base` (the folder of `.env`), as a relative SQLite path is."""
    folder = Path(path).expanduser()
    return folder if folder.is_absolute() else (base / folder).resolve()


class EnvFileMissing(Exception):
    """An explicitly named .env file does not exist."""


class HomeMissing(Exception):
    """LIANXIN_HOME names a folder that does not exist (a typo would start an empty database)."""


def load_settings(env_file: Path | None = None) -> Settings:
    """Settings from the environment and the `.env` of the project folder (or the one given).

    Raises ValidationError / SettingsError for bad values (see `settings_problems`).
    """
    if env_file is not None:
        env_file = env_file.expanduser().resolve()
        if not env_file.is_file():
            raise EnvFileMissing(str(env_file))
        base = env_file.parent
    else:
        base = project_home()
        if os.environ.get("LIANXIN_HOME", "").strip() and not base.is_dir():
            raise HomeMissing(str(base))
        env_file = base / ".env"
    settings = Settings(_env_file=env_file if env_file.is_file() else None)  # type: ignore[call-arg] - pydantic-settings' init option
    settings.database_url = absolute_database_url(settings.database_url, base)
    settings.media_dir = str(absolute_path(settings.media_dir, base))
    if settings.backup_dir:
        settings.backup_dir = str(absolute_path(settings.backup_dir, base))
    settings._env_file_used = str(env_file) if env_file.is_file() else None  # noqa: SLF001 - Settings' own field
    return settings


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings(...)` instead."""
    return load_settings()


_SECRET_SETTINGS = {"bot_token", "webhook_secret"}
_SETTINGS_ERROR_FIELD = re.compile(r'field "(\w+)"')


def settings_problems(exc: ValidationError | SettingsError) -> list[str]:
    """One Chinese line per bad setting: its name, what is wrong with the value, a good example."""
    def line(field: str, problem: str) -> str:
        name = field.upper()
        example = SETTING_EXAMPLES.get(name)
        if example:
            return cli_text("setting_line", name=name, problem=problem, example=f"{name}={example}")
        return cli_text("setting_line_plain", name=name, problem=problem)

    if isinstance(exc, SettingsError):  # pydantic-settings could not decode a JSON value
        found = _SETTINGS_ERROR_FIELD.search(str(exc))
        field = found.group(1) if found else "?"
        return [line(field, cli_text("setting_json_invalid"))]
    lines: list[str] = []
    seen: set[str] = set()
    for error in exc.errors():
        loc = error.get("loc") or ()
        ctx = error.get("ctx") or {}
        field = str(loc[0]) if loc else str(ctx.get("setting", "?")).lower()
        if field in seen:
            continue
        seen.add(field)
        where = ""
        if len(loc) > 1 and isinstance(loc[1], int):
            where = cli_text("setting_item", index=loc[1] + 1, key=".".join(map(str, loc[2:])) or "")
        if error["type"] == "lianxin":
            problem = cli_text(f"setting_{error['msg']}", **ctx)
        else:
            value = "" if field in _SECRET_SETTINGS else str(error.get("input", ""))[:60]
            problem = setting_problem(error["type"], value=value, ctx=ctx, msg=error.get("msg", ""))
        lines.append(line(field, where + problem))
    return lines
