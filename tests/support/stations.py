"""The sample station file (tests/data/stations_sample.csv, 34 stations) imported as `stations import` does; the
import itself is tested in tests/test_stations.py. Needs the sample roster imported first (members on duty)."""

from __future__ import annotations

from bot.db import sync_engine
from bot.services.stations import import_stations
from tests.conftest import SAMPLES


def import_sample_stations(database_url: str) -> None:
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            report = import_stations(connection, SAMPLES / "stations_sample.csv")
    finally:
        engine.dispose()
    assert report.ok and report.created == 34, report.errors
