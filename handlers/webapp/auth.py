"""Telegram Mini App `initData`, verified as Telegram specifies (core.telegram.org/bots/webapps,
"Validating data received via the Mini App"): the data-check-string is every field but `hash`,
sorted by key, `key=value` joined by line feeds; its HMAC-SHA256 under the secret
HMAC-SHA256(key="WebAppData", message=bot token) must equal `hash` (compared in constant time);
`auth_date` must be no older than WEBAPP_AUTH_MAX_AGE. The user id in it is who asks."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

CLOCK_SKEW = 60  # seconds an auth_date may lie in the future (the phone's clock against ours)
MAX_INIT_DATA = 8192  # bytes: Telegram's initData is far smaller; anything longer is refused unread


@dataclass(frozen=True)
class WebAppUser:
    id: int
    full_name: str  # first and last name as Telegram gives them (signs a nudge, as in chat)


class InitDataRefused(Exception):
    """Not signed by Telegram for this bot, expired, or malformed; `reason` is for the log (no personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def secret_key(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], token: str) -> str:
    """The `hash` Telegram would put on these fields (tests and benchmarks build initData with it)."""
    return hmac.new(secret_key(token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def verify_init_data(init_data: str, *, token: str, now: float, max_age: int) -> WebAppUser:
    """The Telegram user `init_data` was issued to; `InitDataRefused` otherwise."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataRefused("missing or oversized")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRefused("a field repeated")
    given = fields.get("hash", "")
    if not hmac.compare_digest(sign(fields, token).encode(), given.encode()):
        raise InitDataRefused("bad signature")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise InitDataRefused("no auth_date") from None
    if now - auth_date > max_age:
        raise InitDataRefused("expired")
    if auth_date - now > CLOCK_SKEW:
        raise InitDataRefused("auth_date in the future")
    try:
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataRefused("no user") from None
    if user_id <= 0:
        raise InitDataRefused("no user")
    name = " ".join(str(user.get(part) or "") for part in ("first_name", "last_name")).strip()
    return WebAppUser(user_id, name)
