"""Typed callback data: one prefix per button kind, packed, parsed and matched only here.

Format: `<prefix>:<field>:<field>…`; every field is ASCII without ':' so the whole
string stays far below Telegram's 64-byte limit. Actions are enums, and every
`CallbackQueryHandler` pattern comes from the codec that packs the data, so a
handler can never be reached by data its parser would refuse. Anything that does
not parse — unknown action, a digit that is not ASCII, an id beyond 64 bits — is
a stale button to the caller, never an exception.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services.exports import ExportPeriod, ExportSection

MAX_BYTES = 64
MAX_ID = 2**63 - 1  # database ids are signed 64-bit
_ID = re.compile(r"[0-9]{1,19}\Z")  # ASCII only: "²".isdigit() is True, int("²") fails


def _pack(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_BYTES or any(":" in str(p) for p in parts[1:]):
        raise ValueError(f"callback data too long or malformed: {data!r}")
    return data


def parse_id(text: str) -> int | None:
    """A database id from callback data: ASCII digits within a signed 64-bit integer, else None."""
    if not _ID.match(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_offset(text: str) -> int | None:
    """A page offset: ASCII digits, 0 … 10^6."""
    if not re.fullmatch(r"[0-9]{1,7}", text):
        return None
    return int(text)


def _choices(enum_cls: type[enum.Enum]) -> str:
    return "|".join(re.escape(m.value) for m in enum_cls)


@dataclass(frozen=True)
class FormButton:
    """A button of a form: `<form>:<nonce>:<action>:<value>`; the form's own module names the actions."""

    form: str
    nonce: str
    action: str
    value: str = ""

    def pack(self) -> str:
        return _pack(self.form, self.nonce, self.action, self.value)

    @classmethod
    def parse(cls, data: str, form: str) -> "FormButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != form:
            return None
        return cls(*parts)

    @staticmethod
    def pattern(form: str) -> str:
        return rf"^{re.escape(form)}:"


class MyView(str, enum.Enum):
    quarter = "q"
    page = "p"


@dataclass(frozen=True)
class MyButton:
    """/my navigation: `my:<view>:<quarter label>:<offset>`."""

    view: MyView
    quarter: str
    offset: int = 0

    PREFIX = "my"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.view.value, self.quarter, self.offset)

    @classmethod
    def parse(cls, data: str) -> "MyButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX:
            return None
        offset = parse_offset(parts[3])
        try:
            view = MyView(parts[1])
        except ValueError:
            return None
        if offset is None:
            return None
        return cls(view, parts[2], offset)

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:"


class ActivityAction(str, enum.Enum):
    view = "view"
    edit = "edit"
    delete = "del"
    delete_ok = "delok"


@dataclass(frozen=True)
class ActivityButton:
    """An action on one saved activity: `act:<action>:<id>`."""

    action: ActivityAction
    activity_id: int

    PREFIX = "act"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value, self.activity_id)

    @classmethod
    def parse(cls, data: str) -> "ActivityButton | None":
        parts = data.split(":")
        if len(parts) != 3 or parts[0] != cls.PREFIX:
            return None
        try:
            action = ActivityAction(parts[1])
        except ValueError:
            return None
        activity_id = parse_id(parts[2])
        return None if activity_id is None else cls(action, activity_id)

    @classmethod
    def pattern(cls, *actions: ActivityAction) -> str:
        """Matches the prefix and these actions (all when none are named); the id is checked by parse()."""
        chosen = "|".join(re.escape(a.value) for a in actions) if actions else _choices(ActivityAction)
        return rf"^{cls.PREFIX}:(?:{chosen}):"


class CaseAction(str, enum.Enum):
    """What a button on a case does; who may do it is decided by the case lifecycle, not by the button."""

    view = "v"            # open the case's card / detail
    accept = "acc"        # 接收 (the handling member)
    decline = "dec"       # 无法办理
    transfer = "tr"       # 转交
    reply = "rep"         # 回复 (member -> resident)
    resolve = "res"       # 办结
    add = "add"           # 补充 (resident -> member)
    solved = "ok"         # 已解决
    unsolved = "no"       # 未解决
    rate = "rate"         # a 1–5 rating (arg)
    assign = "asg"        # staff: hand to member `arg`
    page = "pg"           # /mycases and /cases paging (case id 0, arg = offset)


@dataclass(frozen=True)
class CaseButton:
    """`case:<action>:<case id>:<arg>` — arg is a member id, a rating or a page offset (0 when unused)."""

    action: CaseAction
    case_id: int
    arg: int = 0

    PREFIX = "case"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value, self.case_id, self.arg)

    @classmethod
    def parse(cls, data: str) -> "CaseButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX:
            return None
        try:
            action = CaseAction(parts[1])
        except ValueError:
            return None
        case_id = 0 if parts[2] == "0" else parse_id(parts[2])
        arg = 0 if parts[3] == "0" else parse_id(parts[3])
        if case_id is None or arg is None or (case_id == 0 and action is not CaseAction.page):
            return None
        return cls(action, case_id, arg)

    @classmethod
    def pattern(cls, *actions: CaseAction) -> str:
        chosen = "|".join(re.escape(a.value) for a in actions) if actions else _choices(CaseAction)
        return rf"^{cls.PREFIX}:(?:{chosen}):"
class RemindAction(str, enum.Enum):
    log = "log"


@dataclass(frozen=True)
class RemindButton:
    """A button under a reminder (sent through the outbox): `rm:<action>`; `log` opens the /log form."""

    action: RemindAction = RemindAction.log

    PREFIX = "rm"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value)

    @classmethod
    def parse(cls, data: str) -> "RemindButton | None":
        parts = data.split(":")
        if len(parts) != 2 or parts[0] != cls.PREFIX:
            return None
        try:
            return cls(RemindAction(parts[1]))
        except ValueError:
            return None

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(RemindAction)})$"


# --- /stats and /ranking (issue 10) ---------------------------------------------------------------

_PERIOD = re.compile(r"[0-9]{4}(?:Q[1-4])?\Z")
_KIND = re.compile(r"[a-z0-9_]{1,32}\Z")


class StatsView(str, enum.Enum):
    summary = "s"  # the figures of one period and drill-down
    list = "l"  # a breakdown by `by`, one page
    chart = "c"  # send the chart of the period and drill-down


class StatsDim(str, enum.Enum):
    """A dimension in callback data; `none` for "no drill-down" / "no list"."""

    none = "-"
    group = "g"
    sector = "s"
    region = "r"
    kind = "k"


@dataclass(frozen=True)
class StatsButton:
    """/stats navigation: `st:<view>:<period>:<drill dim>:<drill value>:<list dim>:<offset>`.

    A period is `2026Q3` or `2026`; a drill value is an id (group, sector, region) or a kind code.
    Parsing checks the shape only: whether the caller may open the value is the service's call.
    """

    view: StatsView
    period: str
    drill: StatsDim = StatsDim.none
    value: str = "0"
    by: StatsDim = StatsDim.none
    offset: int = 0

    PREFIX = "st"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.view.value, self.period, self.drill.value, self.value, self.by.value,
                     self.offset)

    @classmethod
    def parse(cls, data: str) -> "StatsButton | None":
        parts = data.split(":")
        if len(parts) != 7 or parts[0] != cls.PREFIX or not _PERIOD.match(parts[2]):
            return None
        try:
            view, drill, by = StatsView(parts[1]), StatsDim(parts[3]), StatsDim(parts[5])
        except ValueError:
            return None
        offset = parse_offset(parts[6])
        if offset is None or (view is StatsView.list and by is StatsDim.none):
            return None
        if drill is StatsDim.none:
            value_ok = parts[4] == "0"
        elif drill is StatsDim.kind:
            value_ok = bool(_KIND.match(parts[4]))
        else:
            value_ok = parse_id(parts[4]) is not None
        return cls(view, parts[2], drill, parts[4], by, offset) if value_ok else None

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(StatsView)}):"


class RankView(str, enum.Enum):
    points = "p"  # duty points
    cases = "c"  # responsiveness on cases


@dataclass(frozen=True)
class RankButton:
    """/ranking navigation: `rk:<view>:<period>:<offset>`."""

    view: RankView
    period: str
    offset: int = 0

    PREFIX = "rk"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.view.value, self.period, self.offset)

    @classmethod
    def parse(cls, data: str) -> "RankButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX or not _PERIOD.match(parts[2]):
            return None
        try:
            view = RankView(parts[1])
        except ValueError:
            return None
        offset = parse_offset(parts[3])
        return None if offset is None else cls(view, parts[2], offset)

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(RankView)}):"

# --- /export and the roster from the chat (issue 10, helper "files") -------------------------------------


@dataclass(frozen=True)
class ExportButton:
    """/export: `ex:<section>` (then choose the period) or `ex:<section>:<period>` (build it).

    The data names only what to export: the scope always comes from who presses.
    """

    section: "ExportSection"
    period: "ExportPeriod | None" = None

    PREFIX = "ex"

    def pack(self) -> str:
        if self.period is None:
            return _pack(self.PREFIX, self.section.value)
        return _pack(self.PREFIX, self.section.value, self.period.value)

    @classmethod
    def parse(cls, data: str) -> "ExportButton | None":
        from bot.services.exports import ExportPeriod, ExportSection

        parts = data.split(":")
        if len(parts) not in (2, 3) or parts[0] != cls.PREFIX:
            return None
        try:
            section = ExportSection(parts[1])
            period = ExportPeriod(parts[2]) if len(parts) == 3 else None
        except ValueError:
            return None
        return cls(section, period)

    @classmethod
    def pattern(cls) -> str:
        from bot.services.exports import ExportPeriod, ExportSection

        return rf"^{cls.PREFIX}:(?:{_choices(ExportSection)})(?::(?:{_choices(ExportPeriod)}))?$"


class RosterAction(str, enum.Enum):
    confirm = "ok"          # 确认导入
    deactivate = "okd"      # 确认导入并停用名单外委员
    cancel = "no"


_TOKEN = re.compile(r"[0-9a-f]{12}\Z")


@dataclass(frozen=True)
class RosterButton:
    """Under a roster's dry run: `rs:<action>:<token>`; the token names the pending file (a newer one replaces it)."""

    action: RosterAction
    token: str

    PREFIX = "rs"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value, self.token)

    @classmethod
    def parse(cls, data: str) -> "RosterButton | None":
        parts = data.split(":")
        if len(parts) != 3 or parts[0] != cls.PREFIX or not _TOKEN.match(parts[2]):
            return None
        try:
            return cls(RosterAction(parts[1]), parts[2])
        except ValueError:
            return None

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(RosterAction)}):"

class LagAction(str, enum.Enum):
    page = "p"   # arg: the page offset
    nudge = "n"  # arg: the member to nudge


@dataclass(frozen=True)
class LagButton:
    """/laggards: `lag:<action>:<arg>:<offset>` — a page (arg 0) or a nudge to member `arg` from page `offset`.

    The member id is only a request: the service checks it against the presser's scopes.
    """

    action: LagAction
    arg: int
    offset: int = 0

    PREFIX = "lag"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value, self.arg, self.offset)

    @classmethod
    def parse(cls, data: str) -> "LagButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX:
            return None
        try:
            action = LagAction(parts[1])
        except ValueError:
            return None
        arg = parse_offset(parts[2]) if action is LagAction.page else parse_id(parts[2])
        offset = parse_offset(parts[3])
        if arg is None or offset is None or (action is LagAction.page and arg != offset):
            return None
        return cls(action, arg, offset)

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(LagAction)}):"



class MemberAction(str, enum.Enum):
    """/member (admins): what a button on a member's record or the search results does."""

    view = "v"             # open a member's record
    page = "pg"            # search results page (member id = the search's token, arg = offset)
    reissue = "inv"        # 重发邀请
    deactivate = "off"     # 停用 → confirm
    deactivate_ok = "offok"
    reactivate = "on"      # 恢复 → confirm
    reactivate_ok = "onok"


@dataclass(frozen=True)
class MemberButton:
    """`mbr:<action>:<member id or search token>:<offset>`."""

    action: MemberAction
    member_id: int
    arg: int = 0

    PREFIX = "mbr"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value, self.member_id, self.arg)

    @classmethod
    def parse(cls, data: str) -> "MemberButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX:
            return None
        try:
            action = MemberAction(parts[1])
        except ValueError:
            return None
        member_id = parse_id(parts[2])
        arg = parse_offset(parts[3])
        return None if member_id is None or arg is None else cls(action, member_id, arg)

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(MemberAction)}):"


class QueueAction(str, enum.Enum):
    """/queue (staff): paging, opening a case, re-running the engine (assigning is CaseAction.assign)."""

    page = "pg"      # case id 0, arg = offset
    open = "o"
    reroute = "rr"


@dataclass(frozen=True)
class QueueButton:
    """`que:<action>:<case id>:<offset>`."""

    action: QueueAction
    case_id: int
    arg: int = 0

    PREFIX = "que"

    def pack(self) -> str:
        return _pack(self.PREFIX, self.action.value, self.case_id, self.arg)

    @classmethod
    def parse(cls, data: str) -> "QueueButton | None":
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX:
            return None
        try:
            action = QueueAction(parts[1])
        except ValueError:
            return None
        case_id = 0 if parts[2] == "0" and action is QueueAction.page else parse_id(parts[2])
        arg = parse_offset(parts[3])
        return None if case_id is None or arg is None else cls(action, case_id, arg)

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:(?:{_choices(QueueAction)}):"
