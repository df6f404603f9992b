"""Quota, calendar and points rules — pure functions shared by the bot, reminders and reports.

Quarters are calendar quarters in the configured zone (Asia/Shanghai by default): an
activity belongs to the quarter of its local date, and "today" is the local date of
the current instant, so 2026-03-31 23:59 Beijing time is still Q1.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from bisect import bisect_right
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TypeVar
from zoneinfo import ZoneInfo

K = TypeVar("K", bound=Hashable)
# how offices write a quarter (compared after NFKC, without spaces)
_QUARTER_FORMS = (
    re.compile(r"(\d{4})-?[Qq季](\d+)"),  # 2026Q4 2026q4 2026-Q4 2026季4
    re.compile(r"(\d{4})-(\d+)"),  # 2026-4
    re.compile(r"(\d{4})年第?([\d零一二两三四五六七八九十]+)季度?"),  # 2026年第四季度 2026年4季度
)
_CN_QUARTERS = "一二三四"


class QuarterNumberError(ValueError):
    """A quarter written as one, with a number that is not 1–4 (2026Q5)."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise ValueError(f"quarter must be 1-4, got {self.q}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, label: str) -> Quarter:
        """A quarter as offices write it (see _QUARTER_FORMS; full-width characters too); ValueError otherwise,
        QuarterNumberError when only the quarter's number is wrong."""
        text = "".join(unicodedata.normalize("NFKC", label).split())
        match = next((m for m in (form.fullmatch(text) for form in _QUARTER_FORMS) if m), None)
        if not match or not check_year(int(match.group(1))):
            raise ValueError(f"not a quarter label: {label!r}")
        number = match.group(2)
        q = int(number) if number.isdigit() else parse_chinese_number(number)
        if q is None or not 1 <= q <= 4:
            raise QuarterNumberError(f"a quarter is 1-4: {label!r}")
        return cls(int(match.group(1)), q)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def cn_label(self) -> str:
        return f"{self.year}年第{_CN_QUARTERS[self.q - 1]}季度"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def start(self, tz: ZoneInfo) -> datetime:
        """The first instant of the quarter in `tz` (aware)."""
        return datetime.combine(self.first_day, datetime.min.time(), tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """The first instant after the quarter (exclusive bound)."""
        return self.next().start(tz)


@dataclass(frozen=True, order=True)
class Period:
    """A quarter (`q` 1–4) or a whole year (`q` None), in the configured zone's calendar."""

    year: int
    q: int | None = None

    @classmethod
    def of(cls, quarter: Quarter) -> Period:
        return cls(quarter.year, quarter.q)

    @classmethod
    def parse(cls, label: str) -> Period:
        """'2026Q3' or '2026'; ValueError otherwise."""
        text = label.strip()
        if len(text) == 4 and text.isascii() and text.isdigit():
            if not check_year(int(text)):
                raise ValueError(f"not a year: {label!r}")
            return cls(int(text))
        return cls.of(Quarter.parse(text))

    @property
    def quarter(self) -> Quarter | None:
        return Quarter(self.year, self.q) if self.q is not None else None

    @property
    def label(self) -> str:
        return self.quarter.label if self.quarter else str(self.year)

    @property
    def cn_label(self) -> str:
        """2026年第四季度, or 2026年 for a year."""
        return self.quarter.cn_label if self.quarter else f"{self.year}年"

    @property
    def first_day(self) -> date:
        return self.quarter.first_day if self.quarter else date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return self.quarter.last_day if self.quarter else date(self.year, 12, 31)

    def prev(self) -> Period:
        return Period.of(self.quarter.prev()) if self.quarter else Period(self.year - 1)

    def next(self) -> Period:
        return Period.of(self.quarter.next()) if self.quarter else Period(self.year + 1)

    def start(self, tz: ZoneInfo) -> datetime:
        return datetime.combine(self.first_day, datetime.min.time(), tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return datetime.combine(self.last_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar date in `tz` at instant `now` (which must be aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()


def quarter_at(now: datetime, tz: ZoneInfo) -> Quarter:
    return Quarter.of(local_today(now, tz))


def earliest_loggable(today: date, grace_days: int) -> date:
    """The oldest date an activity may be logged for today.

    The current quarter is always open; the previous quarter stays open for the first
    `grace_days` days of the new one, so late entries still count where they happened,
    and the quarter's numbers are final after that.
    """
    current = Quarter.of(today)
    if (today - current.first_day).days < grace_days:
        return current.prev().first_day
    return current.first_day


@dataclass(frozen=True)
class DateCheck:
    ok: bool
    reason: str | None = None  # "future" or "too_old"
    earliest: date | None = None


def check_activity_date(day: date, today: date, grace_days: int) -> DateCheck:
    earliest = earliest_loggable(today, grace_days)
    if day > today:
        return DateCheck(False, "future", earliest)
    if day < earliest:
        return DateCheck(False, "too_old", earliest)
    return DateCheck(True, None, earliest)


def days_in_year(year: int) -> int:
    return 366 if date(year, 12, 31).timetuple().tm_yday == 366 else 365


def expected_people_by(today: date, yearly_target: int) -> int:
    """人次 a member should have reached by the end of `today` to be on pace for the yearly target."""
    day = today.timetuple().tm_yday
    return math.ceil(yearly_target * day / days_in_year(today.year) - 1e-9)


# points closer than this are level (places, the bottom share): the same activities summed in another order tie
POINTS_EPSILON = 1e-9


def competition_rank(scores: Mapping[K, float]) -> dict[K, int]:
    """Standard competition ranking (1, 2, 2, 4): equal scores share the better rank."""
    ordered = sorted(scores.items(), key=lambda item: -item[1])
    ranks: dict[K, int] = {}
    previous: float | None = None
    rank = 0
    for position, (key, score) in enumerate(ordered, start=1):
        if previous is None or not math.isclose(score, previous, abs_tol=POINTS_EPSILON):
            rank = position
            previous = score
        ranks[key] = rank
    return ranks


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None for no values."""
    return statistics.median(values) if values else None


def duty_ranks(points: Mapping[K, float]) -> dict[K, int | None]:
    """Places by duty points as /my and /ranking show them: ties share a place (`competition_rank`),
    and nobody is placed with nothing earned (None)."""
    ranks = competition_rank(points)
    return {key: ranks[key] if score > 0 else None for key, score in points.items()}


@dataclass(frozen=True, slots=True)
class BottomCut:
    """Where the bottom share of one peer group ends (reminder rule (c)), from `bottom_cuts`."""

    peers: int
    top: float  # the most points in the group
    best: float  # the most points inside the bottom
    leave_at: float | None  # the fewest points outside the bottom (None: nobody is outside)

    def gap(self, points: float) -> float | None:
        """None when `points` are outside the bottom; else the points still needed to leave it.

        Nobody is in the bottom of a group of one, nor where everyone is level with the top."""
        if (self.peers < 2 or self.leave_at is None or points > self.best + POINTS_EPSILON
                or points >= self.top - POINTS_EPSILON):
            return None
        return self.leave_at - points


def bottom_cuts(points_by_group: Mapping[K, list[float]], share: float) -> dict[K, BottomCut]:
    """Each peer group's bottom `share`: a member is in it when fewer than share × peers have fewer
    points (ties stand together). The share is the decimal it is written as (0.1 of 30 peers is 3,
    not 3.0000000000000004). Sorts the lists in place."""
    share_ = Fraction(str(share))
    cuts: dict[K, BottomCut] = {}
    for group, points in points_by_group.items():
        points.sort()
        inside = math.ceil(len(points) * share_)  # the first `inside` places have < share × peers below
        best = points[inside - 1] if inside else -math.inf
        # the level of the bottom's best reaches as far as its ties do; the next value leaves the bottom
        above = bisect_right(points, best + POINTS_EPSILON)
        cuts[group] = BottomCut(len(points), points[-1], best, points[above] if above < len(points) else None)
    return cuts


def points_for(kind_points: Mapping[str, float], kind: str) -> float:
    """Duty points one activity of `kind` earns, per configuration; unknown kinds earn nothing."""
    return float(kind_points.get(kind, 0.0))


# --- parsing what members type ----------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_DAY_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")


def is_date_shape(text: str) -> bool:
    """Whether `text` is written like a date (2026-02-30, 2月30日, 2/30), so a date parser's None means there is
    no such day rather than that it is not a date at all."""
    cleaned = text.strip().translate(_FULLWIDTH).replace(" ", "")
    return re.fullmatch(r"(?:\d{2}(?:\d{2})?[-/.年])?\d{1,2}[-/.月]\d{1,2}[日号]?", cleaned) is not None


def check_year(year: int) -> bool:
    """A year a label may name: the CPPCC's (1949 on) to far ahead, never year 1 or 9999, whose first or
    last day in Asia/Shanghai cannot be turned into UTC (a forged /stats button, a typo in /report)."""
    return 1949 <= year <= 2999


def parse_chinese_number(text: str) -> int | None:
    """'十二' -> 12, '一百零五' -> 105, '两千' -> 2000; None if it is not a Chinese numeral."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in "零〇":  # a placeholder, as in 一百零五
            continue
        if ch in _CN_DIGITS:
            if digit is not None:  # two digits in a row ("一二") is not a numeral we accept
                return None
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


_NUMBER_RUN = re.compile(r"([0-9]+|[零〇一二两三四五六七八九十百千万]+)")


def natural_key(text: str | None) -> tuple:
    """The order people read names in: 第2 before 第10 (and 第二 before 第十), then letter by letter.

    Every list of groups, sectors and regions (the report, /stats, charts, exports) sorts by it; a run
    of digits or a Chinese numeral counts as its value, the rest as text. None sorts last."""
    if text is None:
        return (1,)
    parts: list[tuple[int, int | str]] = []
    for index, piece in enumerate(_NUMBER_RUN.split(text)):
        if not piece:
            continue
        value = (int(piece) if piece.isascii() else parse_chinese_number(piece)) if index % 2 else None
        parts.append((0, value) if value is not None else (1, piece))
    return (0, tuple(parts))


def parse_people(text: str) -> int | None:
    """'12', '12人', '12 人次', '十二', '十二人' -> 12; None when it is not a head count."""
    cleaned = text.strip().translate(_FULLWIDTH).replace(" ", "")
    cleaned = re.sub(r"(人次|人|名|位)$", "", cleaned)
    if re.fullmatch(r"\d{1,7}", cleaned):
        return int(cleaned)
    return parse_chinese_number(cleaned)


def parse_date(text: str, today: date) -> date | None:
    """2026-11-20, 26-11-20, 2026年11月20日/号, 11-20, 11月20号, 11.20, 今天/昨天/前天; None if not a date.

    A date without a year is in the current year, unless that is more than a month
    ahead, then it is last year's (typed on 2027-01-03, "12-30" is 2026-12-30); a date
    just ahead stays in the future so the member is told, not silently moved a year.
    """
    cleaned = text.strip().translate(_FULLWIDTH).replace(" ", "")
    if cleaned in _DAY_WORDS:
        return today - timedelta(days=_DAY_WORDS[cleaned])
    match = re.fullmatch(r"(\d{4}|\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?", cleaned)
    try:
        if match:
            year = int(match.group(1))
            return date(year + 2000 if year < 100 else year, int(match.group(2)), int(match.group(3)))
        match = re.fullmatch(r"(\d{1,2})[-/.月](\d{1,2})[日号]?", cleaned)
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            try:
                candidate = date(today.year, month, day)
            except ValueError:  # e.g. 02-29 this year: last year's, or not a date at all
                candidate = None
            if candidate is not None and (candidate - today).days <= 31:
                return candidate
            return date(today.year - 1, month, day)
    except ValueError:
        return None
    return None
