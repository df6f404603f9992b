"""The tally (`models.Tally`): each member's live activities, 人次, points and verified 人次 per year and quarter,
kept on write.

Every change to a live activity moves the tally in the same unit of work, with one atomic
statement per (member, year) touched: `INSERT … ON CONFLICT (year, member_id) DO UPDATE SET
x = tally.x + excluded.x`, so two transactions writing for the same member add up instead of
overwriting each other (on SQLite and PostgreSQL). Two ways in, one piece of SQL (`statements`):

- ORM writes of `Activity` (session.add, a changed attribute, session.delete) are tallied when
  any session flushes: listeners on SQLModel's `Session` class (every session `bot.db.Database`
  hands out, and any other) read the rows' previous values before the flush and write the
  difference right after it. They are registered when this module is imported, which importing
  any service does (`bot/services/__init__.py`). So `activities.save_activity`,
  `update_activity`, `delete_activity` and anything else that goes through the ORM need not do
  anything.
- Core statements on `activity` (`cases._make_activity`'s INSERT … ON CONFLICT) bypass the ORM:
  they call `record(session, before=…, after=…)` in the same transaction.

Nothing here commits. `check` compares the tally with a recount of the activity table and
`rebuild` replaces it with that recount (`python -m bot tally --check / --rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, Table, and_, case, delete, event, func, literal, or_, select, text, update
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of
from models import Activity, Member, Tally
from models.tally import MEASURES, QUARTERS, tally_column

POINTS_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Entry:
    """What one live activity adds to the tally: its member, year and quarter, 人次, points and verified 人次."""

    member_id: int
    year: int
    quarter: int
    people: int
    points: float
    activity_date: date
    verified: int = 0  # of `people`, checked in at the door (扫码核实)

    @classmethod
    def of(cls, activity: Activity) -> Entry | None:
        """The activity's share; None when it is deleted (deleted activities count nowhere)."""
        if activity.deleted_at is not None:
            return None
        return cls(activity.member_id, activity.year, activity.quarter, activity.people, float(activity.points),
                   activity.activity_date, activity.verified_people or 0)


@dataclass
class _Delta:
    values: dict[str, float] = field(default_factory=dict)
    added: date | None = None  # the latest date that arrived
    removed: date | None = None  # the latest date that left

    def add(self, entry: Entry, sign: int) -> None:
        for quarter in (entry.quarter, None):
            for measure, amount in (("activities", 1), ("people", entry.people), ("points", entry.points),
                                    ("verified", entry.verified)):
                column = tally_column(measure, quarter)
                self.values[column] = self.values.get(column, 0) + sign * amount
        if sign > 0:
            self.added = max(self.added or entry.activity_date, entry.activity_date)
        else:
            self.removed = max(self.removed or entry.activity_date, entry.activity_date)


def _deltas(changes: Iterable[tuple[Entry | None, Entry | None]]) -> dict[tuple[int, int], _Delta]:
    deltas: dict[tuple[int, int], _Delta] = {}
    for before, after in changes:
        if before == after:
            continue  # e.g. only the summary or the place changed
        if before is not None:
            deltas.setdefault((before.year, before.member_id), _Delta()).add(before, -1)
        if after is not None:
            deltas.setdefault((after.year, after.member_id), _Delta()).add(after, +1)
    return deltas


def statements(changes: Iterable[tuple[Entry | None, Entry | None]], dialect: str) -> list:
    """The statements moving the tally by `changes` ((before, after) pairs; None: not a live activity).

    Per (member, year): one upsert of the differences (the latest date only ever moves up there);
    when a date left, one UPDATE recounting the latest date from the activity table, only if the
    date that left was the latest. Run it after the activity rows are written (it reads them).
    """
    table = Tally.__table__
    result = []
    for (year, member_id), delta in sorted(_deltas(changes).items()):
        moved = {name: value for name, value in delta.values.items() if value != 0}
        if not moved and delta.added is None and delta.removed is None:
            continue
        insert = dialect_insert(dialect, table).values(year=year, member_id=member_id, last_activity_date=delta.added,
                                                         **moved)
        excluded = insert.excluded
        set_ = {name: table.c[name] + excluded[name] for name in moved}
        if delta.added is not None:
            last = table.c.last_activity_date
            set_["last_activity_date"] = case(
                (or_(last.is_(None), last < excluded.last_activity_date), excluded.last_activity_date), else_=last
            )
        if set_:
            result.append(insert.on_conflict_do_update(index_elements=["year", "member_id"], set_=set_))
        else:
            result.append(insert.on_conflict_do_nothing(index_elements=["year", "member_id"]))
        if delta.removed is not None:
            # a separate statement: on PostgreSQL it starts after the upsert has locked the row, so its
            # recount sees every activity committed by whoever held the row before
            result.append(
                update(table)
                .where(table.c.year == year, table.c.member_id == member_id,
                       table.c.last_activity_date <= delta.removed)
                .values(last_activity_date=_latest_date(year, member_id))
            )
    return result


def _latest_date(year: int, member_id: int) -> ScalarSelect:
    return (
        select(func.max(Activity.activity_date))
        .where(Activity.member_id == member_id, Activity.year == year, Activity.deleted_at.is_(None))
        .scalar_subquery()
    )


async def record(session: AsyncSession, *, before: Entry | None = None, after: Entry | None = None) -> None:
    """Move the tally for one activity written with a Core statement (`before`/`after`: its live share
    before and after the write; None: absent or deleted). ORM writes need not call this (see the module)."""
    for statement in statements([(before, after)], dialect_of(session)):
        await session.exec(statement)


# --- the ORM's writes, tallied at flush ---------------------------------------------------

_BEFORE = "tally_before"


def _touched(session: Session) -> list[Activity]:
    return [o for o in (*session.dirty, *session.deleted) if isinstance(o, Activity) and o.id is not None]


@event.listens_for(Session, "before_flush")
def _read_before(session: Session, _context: object, _instances: object) -> None:
    """The rows as they are in the database, before this flush changes them (the ORM's history may be expired)."""
    ids = [o.id for o in _touched(session)]
    before: dict[int, Entry | None] = {}
    if ids:
        rows = session.connection().execute(
            select(Activity.id, Activity.member_id, Activity.year, Activity.quarter, Activity.people, Activity.points,
                   Activity.activity_date, Activity.verified_people, Activity.deleted_at).where(Activity.id.in_(ids))
        )
        for id_, member_id, year, quarter, people, points, day, verified, deleted_at in rows:
            live = deleted_at is None
            before[id_] = Entry(member_id, year, quarter, people, float(points), day, verified or 0) if live else None
    session.info[_BEFORE] = before


@event.listens_for(Session, "after_flush")
def _write_after(session: Session, _context: object) -> None:
    before: dict[int, Entry | None] = session.info.pop(_BEFORE, {})
    changes: list[tuple[Entry | None, Entry | None]] = []
    for obj in session.new:
        if isinstance(obj, Activity):
            changes.append((None, Entry.of(obj)))
    for obj in session.dirty:
        if isinstance(obj, Activity) and obj.id in before:
            changes.append((before[obj.id], Entry.of(obj)))
    for obj in session.deleted:
        if isinstance(obj, Activity) and obj.id in before:
            changes.append((before[obj.id], None))
    if changes:
        connection = session.connection()
        for statement in statements(changes, connection.dialect.name):
            connection.execute(statement)


# --- verify and repair --------------------------------------------------------------------


def recount() -> Select:
    """The tally as the activity table says it should be: (year, member_id, every measure…, last date)."""
    columns = [Activity.year.label("year"), Activity.member_id.label("member_id")]
    for quarter in QUARTERS:
        in_quarter = Activity.quarter == quarter
        columns += [
            func.sum(case((in_quarter, 1), else_=0)).label(tally_column("activities", quarter)),
            func.sum(case((in_quarter, Activity.people), else_=0)).label(tally_column("people", quarter)),
            func.sum(case((in_quarter, Activity.points), else_=0.0)).label(tally_column("points", quarter)),
            func.sum(case((in_quarter, Activity.verified_people), else_=0)).label(tally_column("verified", quarter)),
        ]
    columns += [func.count().label("activities"), func.sum(Activity.people).label("people"),
                func.sum(Activity.points).label("points"), func.sum(Activity.verified_people).label("verified"),
                func.max(Activity.activity_date).label("last_activity_date")]
    return (select(*columns).where(Activity.deleted_at.is_(None)).group_by(Activity.year, Activity.member_id)
            .order_by(Activity.year, Activity.member_id))


def _columns() -> list[str]:
    return [tally_column(m, q) for q in (*QUARTERS, None) for m in MEASURES]


@dataclass(frozen=True)
class Mismatch:
    """One (member, year) whose tally differs from the recount; `columns` names what differs."""

    year: int
    member_id: int
    number: str | None
    columns: tuple[str, ...]


async def check(session: AsyncSession, *, limit: int | None = None) -> tuple[int, list[Mismatch]]:
    """(rows checked, the (member, year) pairs whose tally differs from the activity table, by year and member)."""
    expected = recount().subquery("expected")
    table = Tally.__table__

    def differs(name: str, a: ColumnElement, b: ColumnElement) -> ColumnElement[bool]:
        a, b = func.coalesce(a, 0), func.coalesce(b, 0)
        return func.abs(a - b) > POINTS_TOLERANCE if name.endswith("points") else a != b

    def mismatch_row(left: Subquery | Table, right: Subquery | Table) -> tuple[list, ColumnElement[bool]]:
        flags = [case((differs(n, left.c[n], right.c[n]), literal(n)), else_=literal("")).label(f"d_{n}")
                 for n in _columns()]
        date_differs = or_(
            and_(left.c.last_activity_date.is_(None), right.c.last_activity_date.is_not(None)),
            and_(left.c.last_activity_date.is_not(None), right.c.last_activity_date.is_(None)),
            left.c.last_activity_date != right.c.last_activity_date,
        )
        flags.append(case((date_differs, literal("last_activity_date")), else_=literal("")).label("d_last"))
        return flags, or_(date_differs, *[differs(n, left.c[n], right.c[n]) for n in _columns()])

    # expected rows that are missing or differ …
    flags, wrong = mismatch_row(expected, table)
    missing_or_wrong = (
        select(expected.c.year, expected.c.member_id, *flags)
        .select_from(expected.outerjoin(table, and_(table.c.year == expected.c.year,
                                                    table.c.member_id == expected.c.member_id)))
        .where(wrong)
    )
    # … and tally rows counting something no live activity has (an all-zero row is a fine leftover)
    extra = (
        select(table.c.year, table.c.member_id, *[literal(n).label(f"d_{n}") for n in _columns()],
               literal("last_activity_date").label("d_last"))
        .select_from(table.outerjoin(expected, and_(table.c.year == expected.c.year,
                                                    table.c.member_id == expected.c.member_id)))
        .where(expected.c.member_id.is_(None),
               or_(table.c.activities != 0, table.c.people != 0, func.abs(table.c.points) > POINTS_TOLERANCE,
                   table.c.last_activity_date.is_not(None),
                   *[table.c[n] != 0 for n in _columns() if not n.endswith("points")]))
    )
    found = missing_or_wrong.union_all(extra).subquery("found")
    query = (
        select(found, Member.number)
        .select_from(found.outerjoin(Member, Member.id == found.c.member_id))
        .order_by(found.c.year, found.c.member_id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.exec(query)).all()
    mismatches = [Mismatch(row[0], row[1], row[-1], tuple(c for c in row[2:-1] if c)) for row in rows]
    checked = (await session.exec(select(func.count()).select_from(table))).scalar_one()
    return checked, mismatches


async def rebuild(session: AsyncSession) -> int:
    """Replace the tally with the recount of the activity table (the caller commits); the rows written."""
    if dialect_of(session) == "postgresql":
        # writers wait until the rebuild commits, then add their own change on top of it
        await session.exec(text("LOCK TABLE tally IN EXCLUSIVE MODE"))
    await session.exec(delete(Tally))
    names = ["year", "member_id", *_columns(), "last_activity_date"]
    expected = recount().subquery("expected")
    await session.exec(Tally.__table__.insert().from_select(names, select(*[expected.c[n] for n in names])))
    return (await session.exec(select(func.count()).select_from(Tally))).scalar_one()

