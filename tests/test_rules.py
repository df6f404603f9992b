"""Quota, calendar and points rules, at the real boundaries (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.services.rules import (
    BottomCut,
    Quarter,
    bottom_cuts,
    check_activity_date,
    competition_rank,
    days_in_year,
    earliest_loggable,
    expected_people_by,
    local_today,
    median,
    parse_chinese_number,
    parse_date,
    parse_people,
    points_for,
    quarter_at,
)
from models import utcnow

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-03-31T15:59:59+00:00", Quarter(2026, 1)),  # 23:59:59 on 03-31 in Beijing
        ("2026-03-31T16:00:00+00:00", Quarter(2026, 2)),  # 00:00 on 04-01 in Beijing
        ("2026-12-31T15:59:59+00:00", Quarter(2026, 4)),
        ("2026-12-31T16:00:00+00:00", Quarter(2027, 1)),  # still 12-31 in UTC, already next year here
    ],
)
def test_quarter_of_now_at_quarter_ends(instant: str, expected: Quarter) -> None:
    with time_machine.travel(datetime.fromisoformat(instant), tick=False):
        assert quarter_at(utcnow(), SH) == expected


def test_quarter_bounds_and_navigation() -> None:
    q = Quarter(2024, 1)
    assert (q.first_day, q.last_day) == (date(2024, 1, 1), date(2024, 3, 31))
    assert Quarter(2024, 4).next() == Quarter(2025, 1)
    assert Quarter(2025, 1).prev() == Quarter(2024, 4)
    assert q.start(SH) == datetime(2023, 12, 31, 16, tzinfo=UTC)
    assert q.end(SH) == datetime(2024, 3, 31, 16, tzinfo=UTC)
    assert Quarter.parse("2026Q4") == Quarter(2026, 4) and Quarter(2026, 4).label == "2026Q4"
    assert Quarter(2026, 4).cn_label == "2026年第四季度"
    with pytest.raises(ValueError):
        Quarter.parse("2026Q5")


@pytest.mark.parametrize("label", ["2026Q4", "2026q4", "2026-Q4", "2026-4", "2026年第四季度", "2026年4季度",
                                   " 2026 Q4 ", "２０２６Ｑ４", "2026年第4季度", "2026年四季度", "2026季4"])
def test_a_quarter_as_offices_write_it(label: str) -> None:
    assert Quarter.parse(label) == Quarter(2026, 4)


@pytest.mark.parametrize("label", ["2026Q5", "2026Q0", "2026-5", "2026年第五季度", "2026年0季度"])
def test_a_quarter_numbered_beyond_four_is_said_to_be_so(label: str) -> None:
    from bot.services.rules import QuarterNumberError

    with pytest.raises(QuarterNumberError):
        Quarter.parse(label)


@pytest.mark.parametrize("label", ["2026", "Q4", "26Q4", "2026-04-01", "2026年", "四季度", "2026Q", "2026/4"])
def test_what_is_not_a_quarter_is_refused(label: str) -> None:
    from bot.services.rules import QuarterNumberError

    with pytest.raises(ValueError) as caught:
        Quarter.parse(label)
    assert not isinstance(caught.value, QuarterNumberError)


def test_local_today_needs_aware_time() -> None:
    with pytest.raises(ValueError):
        local_today(datetime(2026, 1, 1), SH)


def test_leap_years() -> None:
    assert days_in_year(2024) == 366 and days_in_year(2026) == 365 and days_in_year(2100) == 365
    assert days_in_year(2000) == 366
    # Feb 29 exists only in leap years; typed without a year it falls back a year
    assert parse_date("2-29", date(2024, 3, 1)) == date(2024, 2, 29)
    assert parse_date("2-29", date(2025, 3, 1)) == date(2024, 2, 29)  # last year's, then refused as too old
    assert parse_date("2-29", date(2026, 3, 1)) is None  # neither 2026 nor 2025 has one
    assert parse_date("2028-02-29", date(2028, 3, 1)) == date(2028, 2, 29)
    # pace at year end is the full target, leap or not
    assert expected_people_by(date(2024, 12, 31), 40) == 40
    assert expected_people_by(date(2025, 12, 31), 40) == 40


def test_expected_pace() -> None:
    assert expected_people_by(date(2026, 1, 1), 40) == 1  # ceil(40/365)
    assert expected_people_by(date(2026, 7, 2), 40) == 21  # day 183 of 365 -> 20.05, rounded up
    assert expected_people_by(date(2024, 7, 1), 40) == 20  # day 183 of 366 -> exactly 20
    assert expected_people_by(date(2026, 6, 30), 0) == 0


def test_loggable_window_with_grace() -> None:
    # 2026-04-05: five days into Q2, grace 10 days: Q1 still open
    assert earliest_loggable(date(2026, 4, 5), 10) == date(2026, 1, 1)
    # day 11 of Q2: Q1 closed
    assert earliest_loggable(date(2026, 4, 11), 10) == date(2026, 4, 1)
    assert earliest_loggable(date(2027, 1, 3), 10) == date(2026, 10, 1)
    assert earliest_loggable(date(2026, 4, 1), 0) == date(2026, 4, 1)
    check = check_activity_date(date(2026, 3, 31), date(2026, 4, 11), 10)
    assert (check.ok, check.reason) == (False, "too_old")
    assert check_activity_date(date(2026, 4, 12), date(2026, 4, 11), 10).reason == "future"
    assert check_activity_date(date(2026, 12, 31), date(2027, 1, 3), 10).ok


def test_competition_rank_handles_ties() -> None:
    ranks = competition_rank({"a": 10, "b": 7.5, "c": 7.5, "d": 3, "e": 0, "f": 0})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4, "e": 5, "f": 5}
    assert competition_rank({}) == {}
    assert competition_rank({"x": 0.1 + 0.2, "y": 0.3}) == {"x": 1, "y": 1}


def test_median_of_odd_even_and_no_values() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 2.0, 10.0]) == 3.0
    assert median([2.5]) == 2.5
    assert median([]) is None


def test_points_per_kind_from_configuration() -> None:
    config = {"visit": 2, "reception_day": 3.5}
    assert points_for(config, "reception_day") == 3.5
    assert points_for(config, "unknown") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("12人", 12), (" 12 人次 ", 12), ("十二", 12), ("十二人", 12), ("一百零五", 105),
     ("两千", 2000), ("十", 10), ("３０", 30), ("二十万", 200000), ("abc", None), ("12.5", None), ("", None),
     ("一二", None), ("-3", None)],
)
def test_parse_people(text: str, expected: int | None) -> None:
    assert parse_people(text) == expected


def test_parse_chinese_number_edge() -> None:
    assert parse_chinese_number("一万零一") == 10001
    assert parse_chinese_number("三十五") == 35


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("2026-11-20", date(2026, 11, 27), date(2026, 11, 20)),
        ("2026/11/20", date(2026, 11, 27), date(2026, 11, 20)),
        ("2026年11月20日", date(2026, 11, 27), date(2026, 11, 20)),
        ("11-20", date(2026, 11, 27), date(2026, 11, 20)),
        ("11月20日", date(2026, 11, 27), date(2026, 11, 20)),
        ("11.20", date(2026, 11, 27), date(2026, 11, 20)),
        ("12-30", date(2027, 1, 3), date(2026, 12, 30)),  # early January: last December
        ("11-28", date(2026, 11, 27), date(2026, 11, 28)),  # tomorrow stays tomorrow (then refused as future)
        ("2026-13-01", date(2026, 11, 27), None),
        ("昨天吧", date(2026, 11, 27), None),
        ("昨天", date(2026, 11, 27), date(2026, 11, 26)),
        ("前天", date(2026, 3, 1), date(2026, 2, 27)),
        ("11月20号", date(2026, 11, 27), date(2026, 11, 20)),
        ("2026年11月20号", date(2026, 11, 27), date(2026, 11, 20)),
        ("26-11-20", date(2026, 11, 27), date(2026, 11, 20)),
    ],
)
def test_parse_date(text: str, today: date, expected: date | None) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize("label", ["0000", "0001Q1", "9999Q4", "1948", "3000Q1"])
def test_labels_naming_years_out_of_range_are_refused(label: str) -> None:
    """Year 1 or 9999 in Asia/Shanghai cannot be turned into UTC: a forged /stats button or a typo in
    /report must be a ValueError (answered as a stale button / a bad quarter), not an OverflowError."""
    from bot.services.rules import Period

    with pytest.raises(ValueError):
        Period.parse(label)


def test_labels_within_range_parse() -> None:
    from bot.services.rules import Period

    assert Period.parse("1949") == Period(1949) and Period.parse("2026Q1") == Period(2026, 1)


def _bottom(points: list[float], share: float = 0.1) -> list[float | None]:
    """Each member's gap (None: outside the bottom) in a single peer group with these points."""
    cut = bottom_cuts({"g": list(points)}, share)["g"]
    return [cut.gap(p) for p in points]


def test_bottom_share_is_the_decimal_as_written() -> None:
    # 30 peers, share 0.1: exactly 3 places. In floating point 30 × 0.1 is 3.0000000000000004,
    # which would let a fourth member (3 below them) in.
    points = [float(i) for i in range(30)]
    gaps = _bottom(points)
    assert [p for p, gap in zip(points, gaps) if gap is not None] == [0.0, 1.0, 2.0]
    assert gaps[:3] == [3.0, 2.0, 1.0]  # the fewest points outside the bottom is 3


def test_bottom_share_ties_stand_together_and_level_groups_have_no_bottom() -> None:
    # 10 peers: one place; the two at 0 are tied for it, so both are in, and both need 5 to leave
    assert _bottom([0, 0, 5, 5, 5, 6, 7, 8, 9, 9]) == [5, 5] + [None] * 8
    assert _bottom([4.0] * 12) == [None] * 12  # everyone level with the top: nobody is behind
    assert _bottom([1.0]) == [None]  # a group of one
    assert _bottom([1.0, 2.0]) == [1.0, None]  # 2 peers × 0.1: one place


def test_bottom_share_ties_sums_that_differ_in_the_last_bit() -> None:
    a = 0.1 + 0.2  # 0.30000000000000004
    b = 0.3
    assert a != b
    gaps = _bottom([a, b] + [1.0] * 8, share=0.1)
    assert gaps[0] is not None and gaps[1] is not None  # tied: both in the one place
    assert abs(gaps[0] - 0.7) < 1e-9


def test_bottom_cut_fields() -> None:
    cut = bottom_cuts({("g", 1): [3.0, 1.0, 2.0, 8.0]}, 0.25)[("g", 1)]
    assert cut == BottomCut(peers=4, top=8.0, best=1.0, leave_at=2.0)
