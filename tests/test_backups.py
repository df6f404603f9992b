"""Backups an office can restore: taken while the bot writes, put back table for table (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import MetaData, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bot import backup as backups
from bot.cli import main
from bot.db import migrate, sync_engine, upgrade
from models import AuditEvent, BindAttempt
from scheduler.backups import take_nightly
from tests.conftest import offline_settings, sample_roster

TRAFFIC = "traffic"


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order."""
    engine = sync_engine(url)
    try:
        meta = MetaData()
        with warnings.catch_warnings():  # an expression index SQLAlchemy cannot reflect: the rows are what counts
            warnings.simplefilter("ignore")
            meta.reflect(engine)
        with engine.connect() as connection:
            return {name: sorted((dict(r._mapping) for r in connection.execute(select(table))), key=repr)
                    for name, table in meta.tables.items()}
    finally:
        engine.dispose()


class Traffic(threading.Thread):
    """A writer that commits, one transaction at a time, an audit row and a binding attempt numbered alike."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sync_engine(url)
        self.done = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                n = self.done + 1
                with self.engine.begin() as connection:
                    connection.execute(insert(AuditEvent).values(actor=TRAFFIC, action="tick", entity="t",
                                                                 entity_id=str(n), detail=""))
                    connection.execute(insert(BindAttempt).values(telegram_id=n))
                self.done = n
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.engine.dispose()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.done < count and time.monotonic() < deadline and self.error is None:
            time.sleep(0.01)
        assert self.error is None and self.done >= count


def _with_search_path(url: str, schema: str) -> str:
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def _schema_of(url: str) -> str:
    return make_url(url).query["options"].split("=", 1)[1]


@pytest.fixture
def restore_target(database_url: str, tmp_path: Path):
    """Where a backup of `database_url` is put back, and the source's rows kept to compare with:
    SQLite: another file; PostgreSQL: the source schema renamed aside and an empty one in its place
    (a custom-format dump of one schema restores into that schema's name)."""
    if database_url.startswith("sqlite"):
        target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        yield lambda: (target, database_url)
        return
    schema = _schema_of(database_url)
    aside = f"{schema}_src"
    admin = create_engine(make_url(database_url).set(query={}))

    def swap() -> tuple[str, str]:
        with admin.begin() as connection:
            connection.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{aside}"'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        return database_url, _with_search_path(database_url, aside)

    try:
        yield swap
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{aside}" CASCADE'))
        admin.dispose()


def test_a_backup_taken_during_writes_restores_every_table(database_url, tmp_path, restore_target, capsys) -> None:
    settings = offline_settings(database_url)
    assert main(["members", "import", str(sample_roster())], settings=settings) == 0
    traffic = Traffic(database_url)
    traffic.start()
    try:
        traffic.wait_for(20)
        out = tmp_path / "备份" / "连心桥.db"
        out.parent.mkdir()
        assert main(["db", "backup", "--out", str(out)], settings=settings) == 0
        during = traffic.done
        traffic.wait_for(during + 20)  # writes carried on after the copy
    finally:
        traffic.stop.set()
        traffic.join()
    assert traffic.error is None
    assert "已备份到" in capsys.readouterr().out

    target, source = restore_target()
    assert main(["db", "restore", str(out)], settings=offline_settings(target)) == 0
    assert "已从" in capsys.readouterr().out
    restored, original = _rows(target), _rows(source)
    assert set(restored) == set(original)
    assert len(original["member"]) > 10 and original["sector"]

    # one moment of the database: the writer's transactions 1…k, each whole (both of its rows), no later ones
    ticks = sorted(int(row["entity_id"]) for row in restored["auditevent"] if row["actor"] == TRAFFIC)
    k = len(ticks)
    assert 20 <= k < traffic.done and ticks == list(range(1, k + 1))
    assert sorted(row["telegram_id"] for row in restored["bindattempt"]) == list(range(1, k + 1))
    for name, rows in original.items():
        if name == "auditevent":
            rows = [r for r in rows if r["actor"] != TRAFFIC or int(r["entity_id"]) <= k]
        elif name == "bindattempt":
            rows = [r for r in rows if r["telegram_id"] <= k]
        assert restored[name] == rows, name


def test_restore_refuses_a_database_in_use_unless_forced(database_url, tmp_path, capsys) -> None:
    settings = offline_settings(database_url)
    assert main(["members", "import", str(sample_roster())], settings=settings) == 0
    out = tmp_path / "b.db"
    assert main(["db", "backup", "--out", str(out)], settings=settings) == 0
    engine = sync_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM contactpoint"))
    engine.dispose()
    capsys.readouterr()
    assert main(["db", "restore", str(out)], settings=settings) == 1
    err = capsys.readouterr().err
    assert "没有恢复" in err and "已有数据" in err and "--force" in err
    assert not _rows(database_url)["contactpoint"]  # untouched
    assert main(["db", "restore", str(out), "--force"], settings=settings) == 0
    assert _rows(database_url)["contactpoint"]


def test_a_backup_of_a_newer_schema_is_refused_and_an_older_one_upgraded(tmp_path, capsys) -> None:
    old = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    migrate(old, "0010")
    out = tmp_path / "old-backup.db"
    made = backups.backup(old, out)
    assert made.revision == "0010"
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert main(["db", "restore", str(out)], settings=offline_settings(fresh)) == 0
    assert "已自动升级" in capsys.readouterr().out
    assert _rows(fresh)["alembic_version"] == [{"version_num": backups.head_revision(fresh)}]

    newer = tmp_path / "newer.db"
    newer.write_bytes(out.read_bytes())
    engine = sync_engine(f"sqlite:///{newer}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    other = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    assert main(["db", "restore", str(newer)], settings=offline_settings(other)) == 1
    assert "（9999）比本程序" in capsys.readouterr().err
    assert not Path(tmp_path / "other.db").exists()


def test_not_a_backup_and_a_missing_file_are_explained(tmp_path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    junk = tmp_path / "junk.txt"
    junk.write_text("hello", encoding="utf-8")
    assert main(["db", "restore", str(junk)], settings=offline_settings(url)) == 1
    assert "不是连心桥的备份文件" in capsys.readouterr().err
    assert main(["db", "restore", str(tmp_path / "nope.db")], settings=offline_settings(url)) == 1
    assert "找不到备份文件" in capsys.readouterr().err


def test_media_travel_with_the_database(database_url, tmp_path, restore_target) -> None:
    media = tmp_path / "media"
    (media / "voice").mkdir(parents=True)
    (media / "voice" / "a.ogg").write_bytes(b"OggS-voice")
    (media / "p.jpg").write_bytes(b"\xff\xd8jpeg")
    settings = offline_settings(database_url, media_dir=str(media))
    out = tmp_path / "full.tar"
    assert main(["db", "backup", "--out", str(out), "--media"], settings=settings) == 0
    target, _ = restore_target()
    elsewhere = tmp_path / "restored-media"
    assert main(["db", "restore", str(out)], settings=offline_settings(target, media_dir=str(elsewhere))) == 0
    assert (elsewhere / "voice" / "a.ogg").read_bytes() == b"OggS-voice"
    assert (elsewhere / "p.jpg").read_bytes() == b"\xff\xd8jpeg"
    # a media folder in use is not overwritten without --force
    assert main(["db", "restore", str(out), "--force"], settings=offline_settings(target, media_dir=str(media))) == 0
    (media / "new.jpg").write_bytes(b"x")
    assert main(["db", "restore", str(out)], settings=offline_settings(target, media_dir=str(media))) == 1


def test_pg_dump_missing_or_of_another_version_is_said_in_chinese(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(backups.shutil, "which", lambda name: None)
    with pytest.raises(backups.BackupProblem) as missing:
        backups.pg_tool("pg_dump", 99)
    text_ = backups.BackupProblem.__str__(missing.value)
    assert missing.value.code == "pg_tool_missing" and text_
    from bot.cli.backups import problem_text

    assert "找不到 pg_dump" in problem_text(missing.value) and "postgresql-client-99" in problem_text(missing.value)
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.11'\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(backups.shutil, "which", lambda name: str(fake))
    with pytest.raises(backups.BackupProblem) as other:
        backups.pg_tool("pg_dump", 99)
    assert other.value.code == "pg_tool_version"
    assert "是 14 版，而数据库服务器是 99 版" in problem_text(other.value)
    assert backups.pg_tool("pg_dump", 14) == fake


def test_nightly_backups_keep_the_newest(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'n.db'}"
    upgrade(url)
    folder = tmp_path / "nightly"
    folder.mkdir()
    (folder / "keep-me.txt").write_text("not ours", encoding="utf-8")
    made = []
    for day in (1, 2, 3, 4):
        with time_machine.travel(f"2026-12-0{day} 02:30 +0800", tick=False):
            made.append(take_nightly(url, folder, tmp_path / "no-media", 2, tz=backups_tz()).path)
    left = sorted(p.name for p in folder.iterdir())
    assert left == ["keep-me.txt", "lianxin-20261203-0230.tar", "lianxin-20261204-0230.tar"]
    assert made[-1].name == "lianxin-20261204-0230.tar"


def backups_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


async def test_the_nightly_job_is_scheduled_only_with_a_folder(runner, settings, tmp_path) -> None:
    app = await runner.start(settings)
    assert not app.job_queue.get_jobs_by_name("nightly_backup")
    await runner.stop(app)
    app = await runner.start(settings.model_copy(update={"backup_dir": str(tmp_path / "b")}))
    (job,) = app.job_queue.get_jobs_by_name("nightly_backup")
    assert job.next_t.astimezone(settings.tz).strftime("%H:%M") == "02:30"


def test_a_backup_onto_a_folder_is_refused_in_chinese(tmp_path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    (tmp_path / "folder").mkdir()
    assert main(["db", "backup", "--out", str(tmp_path / "folder")], settings=offline_settings(url)) == 1
    err = capsys.readouterr().err
    assert "备份失败" in err and "Error" not in err
    assert main(["db", "backup", "--out", str(tmp_path / "nope.db")],
                settings=offline_settings(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}")) == 1
    assert "不存在" in capsys.readouterr().err


async def test_the_nightly_job_writes_into_the_folder_and_logs_a_failure(database_url, tmp_path, caplog) -> None:
    from types import SimpleNamespace

    from bot.config import Settings
    from scheduler.backups import nightly_backup

    media = tmp_path / "media"
    media.mkdir()
    (media / "a.jpg").write_bytes(b"jpg")
    folder = tmp_path / "nightly"
    settings = Settings(_env_file=None, database_url=database_url, backup_dir=str(folder), backup_keep=3,
                        media_dir=str(media))
    with time_machine.travel("2026-12-06 02:30 +0800", tick=False):
        await nightly_backup(SimpleNamespace(settings=settings))
    (made,) = folder.iterdir()
    assert made.name == "lianxin-20261206-0230.tar"
    target = f"sqlite+aiosqlite:///{tmp_path / 'back.db'}" if database_url.startswith("sqlite") else None
    if target:
        assert backups.restore(target, made, media_dir=tmp_path / "m2").media_files == 1

    blocked = tmp_path / "a-file"
    blocked.write_text("x", encoding="utf-8")
    with caplog.at_level("ERROR"):
        await nightly_backup(SimpleNamespace(settings=settings.model_copy(update={"backup_dir": str(blocked)})))
    assert "nightly backup failed" in caplog.text


def test_a_backup_with_media_is_named_as_an_archive(tmp_path, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    settings = offline_settings(url, media_dir=str(tmp_path / "media"))
    assert main(["db", "backup", "--out", str(tmp_path / "full.db"), "--media"], settings=settings) == 1
    assert "只能写成 .tar 文件" in capsys.readouterr().err and not (tmp_path / "full.db").exists()
    assert main(["db", "backup", "--out", str(tmp_path / "full"), "--media"], settings=settings) == 0
    assert (tmp_path / "full.tar").is_file()
