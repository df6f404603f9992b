"""Typed callback data: one prefix per button kind, packed and parsed only here.

Format: `<prefix>:<field>:<field>…`; every field is ASCII without ':' so the whole
string stays far below Telegram's 64-byte limit. Form buttons carry the form's
nonce, so a button from an older form is recognised as stale.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64
MAX_ID = 2**63 - 1  # a signed 64-bit database id


def parse_id(text: str) -> int | None:
    """ASCII digits within a signed 64-bit id, else None (a stale or forged button).

    `str.isdigit()` is not enough: it accepts '²' (then int() fails) and any length (then the
    database overflows).
    """
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _pack(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_BYTES or any(":" in str(p) for p in parts[1:]):
        raise ValueError(f"callback data too long or malformed: {data!r}")
    return data


@dataclass(frozen=True)
class FormButton:
    """A button of the /log form: `log:<nonce>:<action>:<value>`."""

    nonce: str
    action: str
    value: str = ""

    PREFIX = "log"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.nonce, self.action, self.value)

    @classmethod
    def parse(cls, data: str) -> "FormButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX:
            return None
        return cls(parts[1], parts[2], parts[3])


@dataclass(frozen=True)
class MyButton:
    """/my navigation: `my:<view>:<quarter label>:<offset>`; view is 'q' (quarter) or 'p' (page)."""

    view: str
    quarter: str
    offset: int = 0

    PREFIX = "my"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.view, self.quarter, self.offset)

    @classmethod
    def parse(cls, data: str) -> "MyButton | None":
        parts = data.split(":")
        offset = parse_id(parts[3]) if len(parts) == 4 else None
        if offset is None or parts[0] != cls.PREFIX:
            return None
        return cls(parts[1], parts[2], offset)


@dataclass(frozen=True)
class ActivityButton:
    """An action on one saved activity: `act:<action>:<id>` (view, edit, del, delok)."""

    action: str
    activity_id: int

    PREFIX = "act"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action, self.activity_id)

    @classmethod
    def parse(cls, data: str) -> "ActivityButton | None":
        parts = data.split(":")
        activity_id = parse_id(parts[2]) if len(parts) == 3 else None
        if activity_id is None or parts[0] != cls.PREFIX:
            return None
        return cls(parts[1], activity_id)


def pattern(prefix: str) -> str:
    """A CallbackQueryHandler pattern for one prefix."""
    return rf"^{prefix}:"
