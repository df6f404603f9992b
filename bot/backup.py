"""Backups an office can restore: a consistent copy of the database (and the media folder) while the bot runs.

SQLite: the online backup API copies every page in one read transaction, so writers carry on (WAL) and the
copy is one moment of the database. PostgreSQL: `pg_dump -Fc` (one snapshot by design), by a pg_dump of the
server's major version (Debian's /usr/lib/postgresql/<N>/bin is tried when the one on PATH is another).
With the media folder the backup is a tar archive: the database file, `media/…` and `manifest.json`.

Restoring refuses a database that holds data unless forced, refuses a backup of a schema newer than this
code, and brings an older one up to date afterwards. Nothing here knows the domain; problems are raised
as `BackupProblem(code, …)`, rendered from the CLI texts `backup_<code>`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from bot.db import alembic_config, migrate, sync_engine

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
MANIFEST = "manifest.json"
MEDIA = "media"
DB_SQLITE = "lianxin.db"
DB_PG = "lianxin.dump"
# tables whose rows do not make a database "in use": the schema version and the shipped sector catalogue
_SEEDED = frozenset({"alembic_version", "sector"})
_NIGHTLY = re.compile(r"^lianxin-\d{8}-\d{4}\.tar$")


class BackupProblem(Exception):
    """Why a backup or a restore cannot be made; `code` picks the text `backup_<code>`."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Made:
    """A backup written: where, of which database and schema revision, and how many media files."""

    path: Path
    dialect: str
    revision: str | None
    media_files: int | None
    size: int


@dataclass(frozen=True)
class Restored:
    dialect: str
    revision: str | None
    upgraded: bool
    media_files: int | None


# --- what the code and a database are at ------------------------------------------------------------


def head_revision(url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""


def known_revisions(url: str) -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}


def _target(url: str) -> URL:
    return make_url(url)


def _sqlite_path(url: str) -> Path:
    target = _target(url)
    if not target.database or target.database == ":memory:":
        raise BackupProblem("sqlite_memory")
    return Path(target.database)


def _revision_of_sqlite(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
    return row[0] if row else None


def rows_in_use(url: str) -> int:
    """Rows in the database's tables other than the schema version and the sector catalogue (0: empty)."""
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            total = 0
            for table in inspect(connection).get_table_names():
                if table not in _SEEDED:
                    total += connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            return total
    finally:
        engine.dispose()


def _check_revision(url: str, revision: str | None) -> None:
    if revision is None:
        raise BackupProblem("no_revision")
    if revision not in known_revisions(url):
        raise BackupProblem("newer_revision", revision=revision, head=head_revision(url))


# --- PostgreSQL's own tools --------------------------------------------------------------------------


def _major(version_text: str) -> int | None:
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text) or re.search(r"(\d+)(?:\.\d+)?", version_text)
    return int(found.group(1)) if found else None


def server_major(url: str) -> int:
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()


def pg_tool(name: str, server: int) -> Path:
    """`pg_dump` or `pg_restore` of the server's major version: the one on PATH, else Debian's versioned one."""
    found: list[tuple[Path, int | None]] = []
    for candidate in (shutil.which(name), f"/usr/lib/postgresql/{server}/bin/{name}"):
        if not candidate or not Path(candidate).is_file():
            continue
        out = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False).stdout
        major = _major(out)
        if major == server:
            return Path(candidate)
        found.append((Path(candidate), major))
    if not found:
        raise BackupProblem("pg_tool_missing", tool=name, major=server)
    raise BackupProblem("pg_tool_version", tool=name, path=found[0][0], found=found[0][1] or "?", major=server)


def _pg_connection(url: str) -> tuple[list[str], dict[str, str], list[str]]:
    """Command-line options and environment for libpq's tools, and the schemas the URL's search_path names.

    The password goes in the environment (PGPASSWORD), never on a command line others can read."""
    target = _target(url)
    args = []
    if target.host:
        args += ["--host", target.host]
    if target.port:
        args += ["--port", str(target.port)]
    if target.username:
        args += ["--username", target.username]
    args += ["--dbname", target.database or "postgres", "--no-password"]
    env = dict(os.environ)
    if target.password:
        env["PGPASSWORD"] = str(target.password)
    options = target.query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    schemas: list[str] = []
    found = re.search(r"-c\s*search_path\s*=\s*([^\s]+)", options)
    if found:
        schemas = [s.strip().strip('"') for s in found.group(1).split(",") if s.strip() and s.strip() != "public"]
    return args, env, schemas


def _run(command: list[str], env: dict[str, str], problem: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        log.debug("%s failed: %s", command[0], done.stderr)
        raise BackupProblem(problem, reason=(done.stderr.strip().splitlines() or ["?"])[-1][:300])
    return done.stdout


def _pg_dump(url: str, out: Path) -> None:
    tool = pg_tool("pg_dump", server_major(url))
    args, env, schemas = _pg_connection(url)
    command = [str(tool), "--format=custom", "--no-owner", "--no-privileges", "--file", str(out), *args]
    for schema in schemas:
        command += ["--schema", schema]
    _run(command, env, "pg_dump_failed")


def revision_of_dump(path: Path) -> str | None:
    """The schema revision inside a pg_dump custom file (its alembic_version data, read with pg_restore)."""
    tool = shutil.which("pg_restore") or "pg_restore"
    script = _run([tool, "--data-only", "--table=alembic_version", "--file=-", str(path)], dict(os.environ),
                  "dump_unreadable")
    lines = script.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and n + 1 < len(lines):
            value = lines[n + 1].strip()
            return value if value and value != "\\." else None
    return None


def _pg_restore(url: str, dump: Path) -> None:
    tool = pg_tool("pg_restore", server_major(url))
    args, env, _ = _pg_connection(url)
    _run([str(tool), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", *args, str(dump)], env, "pg_restore_failed")


# --- backup ------------------------------------------------------------------------------------------


def _sqlite_copy(source: Path, out: Path) -> None:
    """Every page in one step: one read transaction, so the copy is one moment of a database in use."""
    if not source.is_file():
        raise BackupProblem("database_missing", path=source)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(out) as dst:
        src.backup(dst, pages=-1)
    with sqlite3.connect(out) as dst:  # one self-contained file, whatever journal mode the source uses
        dst.execute("PRAGMA journal_mode=DELETE")


def _media_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.is_dir() else []


def backup(url: str, out: Path, *, media_dir: Path | None = None, now: datetime | None = None) -> Made:
    """Write a consistent copy of the database to `out` (with the media folder: a tar archive); atomic."""
    out = out.expanduser().resolve()
    dialect = _target(url).get_backend_name()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
        db_file = Path(work) / (DB_SQLITE if dialect == "sqlite" else DB_PG)
        if dialect == "sqlite":
            _sqlite_copy(_sqlite_path(url), db_file)
            revision = _revision_of_sqlite(db_file)
        else:
            _pg_dump(url, db_file)
            revision = revision_of_dump(db_file)
        media_count = None
        staged = Path(work) / "out"
        if media_dir is None:
            db_file.replace(staged)
        else:
            files = _media_files(media_dir)
            media_count = len(files)
            manifest = {"format": 1, "database": dialect, "revision": revision, "media_files": media_count,
                        "made_at": (now or datetime.now().astimezone()).isoformat()}
            (Path(work) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
            with tarfile.open(staged, "w") as archive:
                archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
                archive.add(db_file, arcname=db_file.name)
                for path in files:
                    archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media_dir).as_posix()}")
        os.chmod(staged, 0o600)  # personal data: readable by the office's account only
        staged.replace(out)
    return Made(out, dialect, revision, media_count, out.stat().st_size)


# --- restore -----------------------------------------------------------------------------------------


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if tarfile.is_tarfile(path):
        return "archive"
    raise BackupProblem("not_a_backup", path=path)


def restore(url: str, source: Path, *, force: bool = False, media_dir: Path | None = None) -> Restored:
    """Put a backup back: refuse a database (or media folder) in use unless `force`, and a newer schema."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupProblem("file_missing", path=source)
    dialect = _target(url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="lianxin-restore-") as work:
        kind = _kind(source)
        db_file, media = source, None
        if kind == "archive":
            with tarfile.open(source) as archive:
                archive.extractall(work, filter="data")
            manifest = json.loads((Path(work) / MANIFEST).read_text(encoding="utf-8"))
            kind = manifest["database"]
            db_file = Path(work) / (DB_SQLITE if kind == "sqlite" else DB_PG)
            media = Path(work) / MEDIA
        if kind != dialect:
            raise BackupProblem("other_database", found=kind, target=dialect)
        revision = _revision_of_sqlite(db_file) if kind == "sqlite" else revision_of_dump(db_file)
        _check_revision(url, revision)
        in_use = _rows_if_exists(url)
        if in_use and not force:
            raise BackupProblem("target_in_use", rows=in_use)
        media_count = None
        if media is not None and media_dir is not None:
            media_count = len(_media_files(media))
            if _media_files(media_dir) and not force:
                raise BackupProblem("media_in_use", path=media_dir)
        if kind == "sqlite":
            target = _sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(db_file) as src, sqlite3.connect(target) as dst:
                src.backup(dst, pages=-1)
        else:
            _pg_restore(url, db_file)
        if media_count is not None and media_dir is not None:
            _replace_folder(media, media_dir)
    upgraded = revision != head_revision(url)
    if upgraded:
        migrate(url, "head")
    return Restored(dialect, revision, upgraded, media_count)


def _rows_if_exists(url: str) -> int:
    if _target(url).get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return 0
    return rows_in_use(url)


def _replace_folder(source: Path, target: Path) -> None:
    """The media folder becomes the backup's: the old one is moved aside first and removed once the new is in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-restore-"))
    if source.is_dir():
        shutil.copytree(source, fresh, dirs_exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        target.replace(old)
    fresh.replace(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- the nightly backups -----------------------------------------------------------------------------


def nightly_name(moment: datetime) -> str:
    return f"lianxin-{moment:%Y%m%d-%H%M}.tar"


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` nightly backups in `folder` (files this code named); the removed ones."""
    nightly = sorted((p for p in folder.iterdir() if p.is_file() and _NIGHTLY.match(p.name)), key=lambda p: p.name)
    removed = nightly[:-keep] if keep > 0 else nightly
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
