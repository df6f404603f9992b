"""The places' tables (models/stations.py, migration 0011): the migration builds what the models say,
goes down to 0010 and up again keeping the activities and cases written meanwhile, and the database
refuses what must never happen twice (a station code, a member on duty, a sign-up, a check-in)."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from bot.db import migrate, sync_engine, upgrade

OURS = {"station", "stationmember", "reception", "receptionsignup", "receptioncheckin"}
NEW_COLUMNS = {("activity", "verified_people"), ("activity", "reception_id"), ("case", "reception_id")}


def _mentions_ours(diff: object) -> bool:
    """Whether one autogenerate difference concerns a table or column this revision adds."""
    flat = repr(diff)
    return any(f"'{t}'" in flat or f"<{t}>" in flat for t in OURS) or any(
        f"'{c}'" in flat and (f"'{t}'" in flat or f"<{t}>" in flat) for t, c in NEW_COLUMNS)


def test_the_migration_builds_what_the_models_say(database_url) -> None:
    engine = sync_engine(database_url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            # the reflected schema has the reception -> activity -> case -> reception cycle; the models
            # break it with use_alter, the reflection cannot know that
            warnings.simplefilter("ignore")
            diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if _mentions_ours(d)] == []


def _seed(connection) -> dict[str, int]:
    """A region, a member, a resident, an activity and a case, as plain rows (valid at 0010 and 0011)."""
    connection.execute(text("INSERT INTO region (path, name, depth) VALUES ('甘肃省', '甘肃省', 1)"))
    region = connection.execute(text("SELECT id FROM region")).scalar_one()
    connection.execute(text(
        "INSERT INTO member (number, name, level, sector_id, region_id, active, created_at, updated_at, open_cases, "
        "case_assigned_us) SELECT 'GS0001', '委员', 'province', MIN(id), :r, true, '2026-01-01', '2026-01-01', 0, 0 "
        "FROM sector"), {"r": region})
    member = connection.execute(text("SELECT id FROM member")).scalar_one()
    connection.execute(text("INSERT INTO resident (telegram_id, display_name, created_at, last_seen_at) "
                            "VALUES (5001, '群众', '2026-01-01', '2026-01-01')"))
    resident = connection.execute(text("SELECT id FROM resident")).scalar_one()
    connection.execute(text(
        "INSERT INTO activity (member_id, kind, activity_date, year, quarter, place, people, summary, points, "
        "created_at, updated_at) VALUES (:m, 'visit', :d, 2026, 4, '某社区', 7, '走访', 2, '2026-11-01', '2026-11-01')"),
        {"m": member, "d": date(2026, 11, 1)})
    activity = connection.execute(text("SELECT id FROM activity")).scalar_one()
    connection.execute(text(
        "INSERT INTO \"case\" (number, year, seq, resident_id, category, place_text, description, phone_consent, "
        "status, via_member_link, created_at, updated_at, reopen_count) VALUES ('2026-000001', 2026, 1, :r, '其他', "
        "'', '路灯坏了', false, 'new', false, '2026-11-01', '2026-11-01', 0)"), {"r": resident})
    case = connection.execute(text("SELECT id FROM \"case\"")).scalar_one()
    return {"region": region, "member": member, "resident": resident, "activity": activity, "case": case}


def test_down_to_0010_and_up_again_keeps_activities_and_cases(database_url) -> None:
    migrate(database_url, "0010", down=True)
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            assert not tables & OURS
            assert "verified_people" not in {c["name"] for c in inspect(connection).get_columns("activity")}
            ids = _seed(connection)
    finally:
        engine.dispose()
    upgrade(database_url)
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            assert OURS <= set(inspect(connection).get_table_names())
            # an activity written before the revision: all its 人次 typed, none verified, no reception day
            assert connection.execute(text("SELECT people, verified_people, reception_id FROM activity")).one() == (
                7, 0, None)
            assert connection.execute(text("SELECT reception_id FROM \"case\"")).scalar_one() is None
            now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC).replace(tzinfo=None)
            connection.execute(text(
                "INSERT INTO station (code, name, kind, region_id, active, created_at, updated_at) "
                "VALUES ('ZS001', '城关区委员工作室', 'studio', :r, true, :now, :now)"), {"r": ids["region"], "now": now})
            station = connection.execute(text("SELECT id FROM station")).scalar_one()
            connection.execute(text("INSERT INTO stationmember (station_id, member_id, position, created_at) "
                                    "VALUES (:s, :m, 0, :now)"), {"s": station, "m": ids["member"], "now": now})
            connection.execute(text(
                "INSERT INTO reception (station_id, member_id, starts_at, ends_at, topic, status, created_by, "
                "checkin_token_hash, activity_id, created_at, updated_at) VALUES (:s, :m, :now, :now, '接待', "
                "'held', 42, :hash, :a, :now, :now)"),
                {"s": station, "m": ids["member"], "now": now, "hash": "ab" * 32, "a": ids["activity"]})
            reception = connection.execute(text("SELECT id FROM reception")).scalar_one()
            connection.execute(text("INSERT INTO receptionsignup (reception_id, resident_id, status, created_at) "
                                    "VALUES (:r, :p, 'active', :now)"),
                               {"r": reception, "p": ids["resident"], "now": now})
            connection.execute(text("INSERT INTO receptioncheckin (reception_id, resident_id, checked_in_at) "
                                    "VALUES (:r, :p, :now)"), {"r": reception, "p": ids["resident"], "now": now})
            connection.execute(text("UPDATE activity SET verified_people = 3, reception_id = :r"), {"r": reception})
            connection.execute(text("UPDATE \"case\" SET reception_id = :r"), {"r": reception})
    finally:
        engine.dispose()
    # the database refuses doubles: each in its own transaction
    doubles = [
        ("INSERT INTO station (code, name, kind, active, created_at, updated_at) "
         "VALUES ('ZS001', '又一个', 'workstation', true, :now, :now)"),
        "INSERT INTO stationmember (station_id, member_id, position, created_at) SELECT id, :m, 1, :now FROM station",
        ("INSERT INTO receptionsignup (reception_id, resident_id, status, created_at) "
         "SELECT id, :p, 'active', :now FROM reception"),
        "INSERT INTO receptioncheckin (reception_id, resident_id, checked_in_at) SELECT id, :p, :now FROM reception",
        ("INSERT INTO reception (station_id, member_id, starts_at, ends_at, topic, status, created_by, "
         "checkin_token_hash, created_at, updated_at) SELECT id, :m, :now, :now, '再一次', 'scheduled', 42, :hash, "
         ":now, :now FROM station"),
    ]
    engine = sync_engine(database_url)
    try:
        for statement in doubles:
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(text(statement), {"m": ids["member"], "p": ids["resident"], "hash": "ab" * 32,
                                                     "now": datetime(2026, 12, 2, 2, 0)})
    finally:
        engine.dispose()
    # and down again with all of it in place: the activity and the case stay, without the reception day
    migrate(database_url, "0010", down=True)
    engine = sync_engine(database_url)
    try:
        with engine.connect() as connection:
            assert not set(inspect(connection).get_table_names()) & OURS
            assert connection.execute(text("SELECT people FROM activity")).scalar_one() == 7
            assert connection.execute(text("SELECT COUNT(*) FROM \"case\"")).scalar_one() == 1
            assert "reception_id" not in {c["name"] for c in inspect(connection).get_columns("case")}
    finally:
        engine.dispose()
    upgrade(database_url)
