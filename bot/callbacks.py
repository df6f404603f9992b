"""Typed callback data: one prefix per button kind, packed, parsed and matched only here.

Format: `<prefix>:<field>:<field>…`; every field is ASCII without ':' so the whole string
stays far below Telegram's 64-byte limit. A button kind is a frozen dataclass: its fields,
in order, are the fields on the wire, each with the parser that reads it back (an enum's
value, an id, a page offset, a shape). Every `CallbackQueryHandler` pattern comes from the
codec that packs the data, so a handler can never be reached by data its parser would
refuse. Anything that does not parse — unknown action, a digit that is not ASCII, an id
beyond 64 bits — is a stale button to the caller, never an exception.

Handlers and scheduled jobs both build buttons from here (a reminder carries a /log
button); the enums of what a button asks for are the services' where they exist.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Any, ClassVar, TypeVar, get_type_hints

from bot.services.exports import ExportPeriod, ExportSection
from bot.services.plausibility import Rule as FlagRule
from bot.services.stats import parse_group_drill

MAX_BYTES = 64
MAX_ID = 2**63 - 1  # database ids are signed 64-bit
_ID = re.compile(r"[0-9]{1,19}\Z")  # ASCII only: "²".isdigit() is True, int("²") fails
_OFFSET = re.compile(r"[0-9]{1,7}\Z")
_PERIOD = re.compile(r"[0-9]{4}(?:Q[1-4])?\Z")
_KIND = re.compile(r"[a-z0-9_]{1,32}\Z")
_TOKEN = re.compile(r"[0-9a-f]{12}\Z")

B = TypeVar("B", bound="Button")


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
    """A page offset: ASCII digits, 0 … 10^7 - 1."""
    return int(text) if _OFFSET.match(text) else None


def _id_or_zero(text: str) -> int | None:
    """An id, or a literal 0 where the button kind allows "none" (checked by its `valid`)."""
    return 0 if text == "0" else parse_id(text)


def _offset_or_id(text: str) -> int | None:
    """A page offset (up to 7 digits) or an id (longer); which one the action wants is its `valid`'s call."""
    return parse_offset(text) if len(text) <= 7 else parse_id(text)


def _shaped(pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    return lambda text: text if pattern.match(text) else None


def _any(text: str) -> str:
    return text


def _wire(value: object) -> str:
    return value.value if isinstance(value, enum.Enum) else str(value)


def _choices(enum_cls: type[enum.Enum]) -> str:
    return "|".join(re.escape(m.value) for m in enum_cls)


def wire(parse: Callable[[str], Any], default: Any = MISSING, *, optional: bool = False) -> Any:
    """A button field read back by `parse` (None: not valid); `optional`: may be left off the end of the data."""
    return field(default=default, metadata={"parse": parse, "optional": optional})


class Button:
    """A button kind: `PREFIX` and dataclass fields, each declared with `wire(parser)` or an enum type."""

    PREFIX: ClassVar[str]
    KINDS: ClassVar[dict[str, type[Button]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "PREFIX" in cls.__dict__:
            Button.KINDS[cls.PREFIX] = cls

    def pack(self) -> str:
        values = [getattr(self, f.name) for f in fields(self)]  # type: ignore[arg-type] - a dataclass
        while values and values[-1] is None:  # optional trailing fields left unset
            values.pop()
        return _pack(self.PREFIX, *(_wire(v) for v in values))

    def valid(self) -> bool:
        """Checks across fields (e.g. a page button names no case); each field was checked on its own."""
        return True

    @classmethod
    def parse(cls: type[B], data: str) -> B | None:
        prefix, *parts = data.split(":")
        spec = _spec(cls)
        least = sum(1 for _, _, optional in spec if not optional)
        if prefix != cls.PREFIX or not least <= len(parts) <= len(spec):
            return None
        values = {}
        for (name, parser, _), text in zip(spec, parts, strict=False):  # optional fields may be left off
            try:
                value = parser(text)
            except ValueError:  # an enum without this value
                return None
            if value is None:
                return None
            values[name] = value
        button = cls(**values)
        return button if button.valid() else None

    @classmethod
    def pattern(cls, *actions: enum.Enum) -> str:
        """Matches the prefix and these values of the first field (every value of its enum when none are
        named); the rest is checked by parse()."""
        first = _spec(cls)[0][1]
        chosen = "|".join(re.escape(a.value) for a in actions) if actions else _choices(first)
        return rf"^{re.escape(cls.PREFIX)}:(?:{chosen}):"


@cache
def _spec(kind: type[Button]) -> tuple[tuple[str, Callable[[str], Any], bool], ...]:
    """(name, parser, optional) of each field on the wire, in order; an enum-typed field parses as its enum."""
    hints = get_type_hints(kind)
    return tuple((f.name, f.metadata.get("parse") or hints[f.name], bool(f.metadata.get("optional")))
                 for f in fields(kind))  # type: ignore[arg-type] - a dataclass


def any_button_pattern(forms: Iterable[str]) -> str:
    """Data of any button kind or of these forms: what a running form answers with "you are in the middle
    of…" rather than "stale"."""
    prefixes = sorted({*Button.KINDS, *forms})
    return rf"^(?:{'|'.join(re.escape(p) for p in prefixes)}):"


# --- forms -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormButton:
    """A button of a form: `<form>:<nonce>:<action>:<value>`; the form's own module names the actions.

    The prefix is the form's name, so this kind is not in `Button.KINDS`: each form matches its own
    (a form may not take a button kind's prefix: `check_form_name`).
    """

    form: str
    nonce: str
    action: str
    value: str = ""

    def pack(self) -> str:
        return _pack(self.form, self.nonce, self.action, self.value)

    @classmethod
    def parse(cls, data: str, form: str) -> FormButton | None:
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != form:
            return None
        return cls(*parts)

    @staticmethod
    def pattern(form: str) -> str:
        return rf"^{re.escape(form)}:"

    @staticmethod
    def check_form_name(form: str) -> None:
        if form in Button.KINDS or not form.isascii() or ":" in form:
            raise ValueError(f"form name {form!r} is a button prefix already, or not plain ASCII")


# --- /my and saved activities -------------------------------------------------------------------------


class MyView(str, enum.Enum):
    quarter = "q"
    page = "p"


@dataclass(frozen=True)
class MyButton(Button):
    """/my navigation: `my:<view>:<quarter label>:<offset>` (the quarter is checked by the handler)."""

    PREFIX: ClassVar[str] = "my"
    view: MyView
    quarter: str = wire(_any)
    offset: int = wire(parse_offset, 0)


class ActivityAction(str, enum.Enum):
    view = "view"
    edit = "edit"
    delete = "del"
    delete_ok = "delok"


@dataclass(frozen=True)
class ActivityButton(Button):
    """An action on one saved activity: `act:<action>:<id>`."""

    PREFIX: ClassVar[str] = "act"
    action: ActivityAction
    activity_id: int = wire(parse_id)


class RemindAction(str, enum.Enum):
    log = "log"


@dataclass(frozen=True)
class RemindButton(Button):
    """A button under a reminder (sent through the outbox): `rm:<action>`; `log` opens the /log form."""

    PREFIX: ClassVar[str] = "rm"
    action: RemindAction = RemindAction.log

    @classmethod
    def pattern(cls, *actions: enum.Enum) -> str:
        chosen = _choices(RemindAction) if not actions else "|".join(re.escape(a.value) for a in actions)
        return rf"^{cls.PREFIX}:(?:{chosen})$"


# --- cases ------------------------------------------------------------------------------------------


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
class CaseButton(Button):
    """`case:<action>:<case id>:<arg>` — arg is a member id, a rating or a page offset (0 when unused)."""

    PREFIX: ClassVar[str] = "case"
    action: CaseAction
    case_id: int = wire(_id_or_zero)
    arg: int = wire(_id_or_zero, 0)

    def valid(self) -> bool:
        return self.case_id != 0 or self.action is CaseAction.page


class QueueAction(str, enum.Enum):
    """/queue (staff): paging, opening a case, re-running the engine (assigning is CaseAction.assign)."""

    page = "pg"      # case id 0, arg = offset
    open = "o"
    reroute = "rr"


@dataclass(frozen=True)
class QueueButton(Button):
    """`que:<action>:<case id>:<offset>`."""

    PREFIX: ClassVar[str] = "que"
    action: QueueAction
    case_id: int = wire(_id_or_zero)
    arg: int = wire(parse_offset, 0)

    def valid(self) -> bool:
        return self.case_id != 0 or self.action is QueueAction.page


# --- /stats and /ranking ----------------------------------------------------------------------------


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
class StatsButton(Button):
    """/stats navigation: `st:<view>:<period>:<drill dim>:<drill value>:<list dim>:<offset>`.

    A period is `2026Q3` or `2026`; a drill value is an id (sector, region), a group on its committee
    (`stats.group_drill_value`: `<group id>.<level>.<region id>`) or a kind code. Parsing checks the
    shape only: whether the caller may open the value is the service's call.
    """

    PREFIX: ClassVar[str] = "st"
    view: StatsView
    period: str = wire(_shaped(_PERIOD))
    drill: StatsDim = StatsDim.none
    value: str = wire(_any, "0")
    by: StatsDim = StatsDim.none
    offset: int = wire(parse_offset, 0)

    def valid(self) -> bool:
        if self.view is StatsView.list and self.by is StatsDim.none:
            return False
        if self.drill is StatsDim.none:
            return self.value == "0"
        if self.drill is StatsDim.kind:
            return bool(_KIND.match(self.value))
        if self.drill is StatsDim.group:
            return parse_group_drill(self.value) is not None
        return parse_id(self.value) is not None


class RankView(str, enum.Enum):
    points = "p"  # duty points
    cases = "c"  # responsiveness on cases


@dataclass(frozen=True)
class RankButton(Button):
    """/ranking navigation: `rk:<view>:<period>:<offset>`."""

    PREFIX: ClassVar[str] = "rk"
    view: RankView
    period: str = wire(_shaped(_PERIOD))
    offset: int = wire(parse_offset, 0)


# --- /export and the roster from the chat -----------------------------------------------------------


@dataclass(frozen=True)
class ExportButton(Button):
    """/export: `ex:<section>` (then choose the period) or `ex:<section>:<period>` (build it).

    The data names only what to export: the scope always comes from who presses.
    """

    PREFIX: ClassVar[str] = "ex"
    section: ExportSection
    period: ExportPeriod | None = wire(ExportPeriod, None, optional=True)

    @classmethod
    def pattern(cls, *actions: enum.Enum) -> str:
        """A section (all when none are named) and, optionally, a period."""
        sections = _choices(ExportSection) if not actions else "|".join(re.escape(a.value) for a in actions)
        return rf"^{cls.PREFIX}:(?:{sections})(?::(?:{_choices(ExportPeriod)}))?$"


class RosterAction(str, enum.Enum):
    confirm = "ok"          # 确认导入
    deactivate = "okd"      # 确认导入并停用名单外委员
    cancel = "no"


@dataclass(frozen=True)
class RosterButton(Button):
    """Under a roster's dry run: `rs:<action>:<token>`; the token names the pending file (a newer one replaces it)."""

    PREFIX: ClassVar[str] = "rs"
    action: RosterAction
    token: str = wire(_shaped(_TOKEN))


# --- /laggards and /member --------------------------------------------------------------------------


class LagAction(str, enum.Enum):
    page = "p"   # arg: the page offset
    nudge = "n"  # arg: the member to nudge


@dataclass(frozen=True)
class LagButton(Button):
    """/laggards: `lag:<action>:<arg>:<offset>` — a page (arg = offset) or a nudge to member `arg` from page `offset`.

    The member id is only a request: the service checks it against the presser's scopes.
    """

    PREFIX: ClassVar[str] = "lag"
    action: LagAction
    arg: int = wire(_offset_or_id)
    offset: int = wire(parse_offset, 0)

    def valid(self) -> bool:
        return self.arg == self.offset if self.action is LagAction.page else self.arg > 0


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
class MemberButton(Button):
    """`mbr:<action>:<member id or search token>:<offset>`."""

    PREFIX: ClassVar[str] = "mbr"
    action: MemberAction
    member_id: int = wire(parse_id)
    arg: int = wire(parse_offset, 0)


# --- check-in at a reception day ----------------------------------------------------------------------


class CheckinAction(str, enum.Enum):
    qr = "qr"  # the member: the day's check-in poster (a new token when none was issued)
    rotate = "rot"  # the member: replace the token (the old poster stops working)
    request = "req"  # the resident after checking in: 有问题要反映？ opens the request form
    card = "card"  # the member on duty: the day's activity card opens the /log form


@dataclass(frozen=True)
class CheckinButton(Button):
    """`ck:<action>:<reception id>`."""

    PREFIX: ClassVar[str] = "ck"
    action: CheckinAction
    reception_id: int = wire(parse_id)


class ForgetAction(str, enum.Enum):
    """/forget: the resident's answer to "delete my personal data?"."""

    keep_content = "ok"  # delete name, phone and Telegram account; the texts and photos sent stay with the cases
    with_content = "all"  # delete those and the texts and photos sent
    cancel = "no"


@dataclass(frozen=True)
class ForgetButton(Button):
    """`fgt:<action>`."""

    PREFIX: ClassVar[str] = "fgt"
    action: ForgetAction

    @classmethod
    def pattern(cls, *actions: enum.Enum) -> str:
        chosen = _choices(ForgetAction) if not actions else "|".join(re.escape(a.value) for a in actions)
        return rf"^{cls.PREFIX}:(?:{chosen})$"


# --- the documents: the duty report and the 社情民意 digest -------------------------------------------


class DutyAction(str, enum.Enum):
    mine = "me"  # the presser's own duty report of a year


@dataclass(frozen=True)
class DutyButton(Button):
    """Under /my: `dr:me:<year>`, the member's own duty report of that year (the member is who presses)."""

    PREFIX: ClassVar[str] = "dr"
    action: DutyAction
    year: int = wire(parse_offset)


class DigestAction(str, enum.Enum):
    theme = "t"  # list a theme's cases


_THEME_KEY = re.compile(r"[0-9a-f]{8}\Z")


@dataclass(frozen=True)
class DigestButton(Button):
    """Under /digest's summary: `dg:t:<quarter>:<theme index>:<theme key>`. The scope comes from who presses;
    the key (a fingerprint of the theme's cases) tells a theme that changed since."""

    PREFIX: ClassVar[str] = "dg"
    action: DigestAction
    quarter: str = wire(_shaped(re.compile(r"[0-9]{4}Q[1-4]\Z")))
    index: int = wire(parse_offset)
    key: str = wire(_shaped(_THEME_KEY))


# --- reception days (委员接待日) ---------------------------------------------------------------------


class ReceptionAction(str, enum.Enum):
    """What a button about reception days does; who may do it is the services' call, not the button's."""

    view = "v"          # a reception day's details, with 报名 / 取消报名
    signup = "s"        # 报名 (flag 1: with the resident's saved phone, shown to the member)
    unsign = "c"        # 取消报名
    mine = "my"         # the resident's sign-ups (id 0)
    region = "rg"       # reception days in a region, and its regions below (id 0: the top level)
    member = "m"        # a member's coming reception days (id: the member)
    edit = "e"          # the member: change a reception day (opens the /reception form)
    cancel = "x"        # the member: cancel a reception day → confirm
    cancel_ok = "xo"
    attendees = "l"     # the member: who signed up


@dataclass(frozen=True)
class ReceptionButton(Button):
    """`rcp:<action>:<id>:<flag>` — the id is a reception day's (a region's or a member's for those actions)."""

    PREFIX: ClassVar[str] = "rcp"
    action: ReceptionAction
    arg: int = wire(_id_or_zero, 0)
    flag: int = wire(parse_offset, 0)

    def valid(self) -> bool:
        if self.action in (ReceptionAction.mine, ReceptionAction.region):
            return True
        return self.arg != 0 and (self.flag in (0, 1) if self.action is ReceptionAction.signup else self.flag == 0)


# --- workstations and studios ----------------------------------------------------------------------


class StationAction(str, enum.Enum):
    mine = "my"    # /my: the stations the member is on duty at
    view = "v"     # /station: one station's record (staff)
    stats = "st"   # /stats: the stations in scope in a period (staff)


@dataclass(frozen=True)
class StationButton(Button):
    """`stn:<action>:<station id, 0 for none>[:<period>]`; the period (`2026Q3` or `2026`) for `stats` only."""

    PREFIX: ClassVar[str] = "stn"
    action: StationAction
    station_id: int = wire(_id_or_zero, 0)
    period: str | None = wire(_shaped(_PERIOD), None, optional=True)

    def valid(self) -> bool:
        if self.action is StationAction.view:
            return self.station_id > 0 and self.period is None
        return self.station_id == 0 and (self.period is not None) == (self.action is StationAction.stats)


# --- 存疑活动 (plausibility flags) in /queue ------------------------------------------------------------


class FlagAction(str, enum.Enum):
    page = "l"  # the open flags in scope, one page
    verify = "ok"  # mark the flag 已核实 (it leaves the list)
    question = "q"  # mark the flag 存疑 (it stays, marked)


@dataclass(frozen=True)
class FlagButton(Button):
    """`pf:<action>:<offset>[:<activity id>:<rule>]`: a page of the flags, or a mark on one (activity, rule),
    after which the page at `offset` is shown again. The service checks the activity against the scope."""

    PREFIX: ClassVar[str] = "pf"
    action: FlagAction
    offset: int = wire(parse_offset, 0)
    activity_id: int | None = wire(parse_id, None, optional=True)
    rule: FlagRule | None = wire(FlagRule, None, optional=True)

    def valid(self) -> bool:
        named = self.activity_id is not None and self.rule is not None
        return named != (self.action is FlagAction.page) and (named or self.activity_id is None)
