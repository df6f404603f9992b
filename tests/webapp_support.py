"""initData as Telegram signs it, and a free port, for the dashboard's tests (API and browser) and its benchmark."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlencode

from handlers.webapp.auth import sign
from tests.conftest import TOKEN

WEBAPP_URL = "https://board.example.org/"


def init_data(user_id: int, *, token: str = TOKEN, auth_date: int | None = None, first_name: str = "联络员") -> str:
    """initData for `user_id`, signed with `token` (the bot's unless told), issued at `auth_date` (now)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": first_name, "language_code": "zh-hans"},
                           ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    fields["hash"] = sign(fields, token)
    return urlencode(fields)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def auth(data: str) -> dict[str, str]:
    return {"Authorization": f"tma {data}"}
