"""Settings from the environment and `.env`, validated once and cached."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


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

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    bot_api_base_url: str = TELEGRAM_API
    bot_api_file_url: str = TELEGRAM_FILE_API
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

    # --- reminders, outbox and the quarterly report (issue 9) ---
    # rules: no_activity (none yet this quarter), below_pace (人次 below the pro-rata pace),
    # bottom_share (bottom REMINDER_BOTTOM_SHARE of the activity group by points this year)
    reminder_rules: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["no_activity", "below_pace", "bottom_share"]
    )
    # occasion=day: day N of the quarter (1 = first day), or -N: N days before the quarter ends
    reminder_moments: Annotated[dict[str, int], NoDecode] = Field(default_factory=lambda: {"mid": 45, "late": -15})
    reminder_time: time = time(9, 0)
    reminder_bottom_share: float = Field(default=0.10, gt=0, lt=1)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s;]+", value.strip()) if p]
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
            raise ValueError(f"REMINDER_RULES must be among {sorted(known)}")
        return value

    @field_validator("reminder_moments", mode="before")
    @classmethod
    def _split_moments(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in re.split(r"[,\s;]+", value.strip()) if p]
            if any(len(p) != 2 for p in pairs):
                raise ValueError("REMINDER_MOMENTS looks like mid=45,late=-15")
            value = {k.strip(): int(v) for k, v in pairs}
        if isinstance(value, dict):
            if not set(value) <= {"mid", "late"}:
                raise ValueError("REMINDER_MOMENTS names the occasions mid and late")
            if any(not (1 <= d <= 90 or -90 <= d <= -1) for d in value.values()):
                raise ValueError("REMINDER_MOMENTS days are 1…90 or -90…-1")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        if token.lower() in {"changeme", "your-token-here", "123456:replace-me"} or not _TOKEN_RE.match(
            token
        ):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (digits:letters)")
        return SecretStr(token)

    @field_validator("activity_kinds")
    @classmethod
    def _unique_kinds(cls, value: list[ActivityKind]) -> list[ActivityKind]:
        codes = [k.code for k in value]
        if not value or len(set(codes)) != len(codes):
            raise ValueError("ACTIVITY_KINDS must be a non-empty list with unique codes")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> "Settings":
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not _SECRET_RE.match(secret):
                raise ValueError(
                    "WEBHOOK_SECRET must be set (16-256 chars of A-Z a-z 0-9 _ -) when WEBHOOK_URL is set"
                )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value() if self.bot_token else ""

    def kind(self, code: str) -> ActivityKind | None:
        return next((k for k in self.activity_kinds if k.code == code), None)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings(...)` instead."""
    return Settings()
