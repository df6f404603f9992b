"""Form drafts as data: where they live in a user's data and when an idle one expires. No Telegram here.

Every form (the /log activity form, the resident's request form…) keeps its draft under
one key, so a user has at most one form open at a time across all flows.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta

FORM_KEY = "form"


def open_form(user_data: MutableMapping) -> dict | None:
    """The raw draft of the user's open form (with its `form` name), or None."""
    raw = user_data.get(FORM_KEY)
    return raw if isinstance(raw, dict) and isinstance(raw.get("form"), str) else None


def is_idle(draft: dict, *, now: datetime, timeout: timedelta) -> bool:
    """A draft untouched for longer than `timeout` (a draft without a time never expires by itself)."""
    touched = draft.get("touched_at")
    if not isinstance(touched, str):
        return False
    try:
        return datetime.fromisoformat(touched) < now - timeout
    except ValueError:
        return True


def expire_idle_forms(
    user_data: MutableMapping[int, MutableMapping], *, now: datetime, timeout: timedelta
) -> list[tuple[int, str]]:
    """Remove drafts idle past `timeout`; returns (user id, form name) for each one removed."""
    expired = []
    for user_id, data in list(user_data.items()):
        draft = open_form(data)
        if draft is not None and is_idle(draft, now=now, timeout=timeout):
            data.pop(FORM_KEY, None)
            expired.append((user_id, draft["form"]))
    return expired


def sweep_interval(timeout_minutes: float) -> float:
    """How often idle forms are swept: a quarter of the timeout, between 1 s and 60 s."""
    return max(1.0, min(60.0, timeout_minutes * 60 / 4))
