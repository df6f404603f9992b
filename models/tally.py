"""The tally: each member's live activities, 人次 (and of them the verified) and duty points per year and quarter,
kept on write."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Float, ForeignKey, Integer
from sqlmodel import Field, SQLModel

QUARTERS = (1, 2, 3, 4)
# the counted measures, in the order of the columns: per quarter `q<N>_<measure>`, the year `<measure>`
MEASURES = ("activities", "people", "points", "verified")


def _count() -> Column:
    return Column(Integer, nullable=False, default=0, server_default="0")


def _points() -> Column:
    return Column(Float, nullable=False, default=0.0, server_default="0")


class Tally(SQLModel, table=True):
    """One member's live (not deleted) activities of one year: count, 人次, points and verified 人次 per quarter
    and in total.

    Written in the same unit of work as every change to `activity` (`bot/services/tally.py`), so the
    reminder scan and the statistics read 200,000 rows instead of aggregating millions. Clustered on
    (year, member_id) on SQLite (WITHOUT ROWID): a year's rows are one range read in member order.
    """

    __table_args__ = {"sqlite_with_rowid": False}

    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    member_id: int = Field(sa_column=Column(Integer, ForeignKey("member.id"), primary_key=True, autoincrement=False))
    q1_activities: int = Field(default=0, sa_column=_count())
    q1_people: int = Field(default=0, sa_column=_count())
    q1_points: float = Field(default=0.0, sa_column=_points())
    q1_verified: int = Field(default=0, sa_column=_count())
    q2_activities: int = Field(default=0, sa_column=_count())
    q2_people: int = Field(default=0, sa_column=_count())
    q2_points: float = Field(default=0.0, sa_column=_points())
    q2_verified: int = Field(default=0, sa_column=_count())
    q3_activities: int = Field(default=0, sa_column=_count())
    q3_people: int = Field(default=0, sa_column=_count())
    q3_points: float = Field(default=0.0, sa_column=_points())
    q3_verified: int = Field(default=0, sa_column=_count())
    q4_activities: int = Field(default=0, sa_column=_count())
    q4_people: int = Field(default=0, sa_column=_count())
    q4_points: float = Field(default=0.0, sa_column=_points())
    q4_verified: int = Field(default=0, sa_column=_count())
    activities: int = Field(default=0, sa_column=_count())
    people: int = Field(default=0, sa_column=_count())
    points: float = Field(default=0.0, sa_column=_points())
    # of `people`, those checked in at the door of a reception day (Activity.verified_people, 扫码核实)
    verified: int = Field(default=0, sa_column=_count())
    # the latest activity_date among the year's live activities; None once they are all deleted
    last_activity_date: date | None = Field(default=None)


def tally_column(measure: str, quarter: int | None = None) -> str:
    """The column holding `measure` for `quarter` (None: the whole year)."""
    if measure not in MEASURES or (quarter is not None and quarter not in QUARTERS):
        raise ValueError(f"no tally column for {measure!r} in quarter {quarter!r}")
    return measure if quarter is None else f"q{quarter}_{measure}"
