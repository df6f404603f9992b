"""One leader among the bot processes that share one PostgreSQL; the others wait as hot standbys.

The leader holds a PostgreSQL advisory lock (session level) on a connection of its own, apart from
the application's pool. Only the leader polls (or serves the webhook), runs the jobs and delivers the
outbox; a standby blocks in `pg_advisory_lock` on its own connection. When the leader's session ends
(the process was killed, the machine is gone, the connection was cut) PostgreSQL drops the lock and
grants it to one waiting standby.

Timing, with F = FAILOVER_SECONDS (`Timing`; the argument in docs/decisions.md, "Hot standby"):

- the leader pings its lock session every `ping` seconds. A ping sent at `s` that came back proves the
  session (hence the lock) was alive after `s`, so the leader may act until `s + lease`. A second
  thread (`_guard`) watches that deadline and, when it passes without a newer ping, ends the leader's
  acting at once (`on_lost`: the bot re-executes itself as a standby); every Bot API call checks the
  same deadline first (`valid`, the request's fence);
- a standby granted the lock waits `grace` > `lease` before acting. The lock went at some T0 after the
  leader's last good ping `s`, so the old leader stopped by `s + lease` < T0 + grace;
- the lock session asks the server to probe an idle client every `keepalive` seconds (TCP keepalives),
  so a leader whose machine vanished without closing its connection loses the lock within a few seconds;
  the client side bounds an unanswered write with `tcp_user_timeout` = lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from bot.db import _normalise

log = logging.getLogger(__name__)
LOCK_CLASS = 0x4C58  # "LX": the first half of the advisory lock's key; the second is the schema's
NAME = "lianxin"  # application_name prefix of the lock sessions (pg_stat_activity)
GUARD_EVERY = 0.05  # seconds between two looks of the guard thread at the lease


@dataclass(frozen=True)
class Timing:
    """Every interval of the hand-over, derived from FAILOVER_SECONDS."""

    failover: float = 10.0

    @property
    def ping(self) -> float:
        return self.failover / 20

    @property
    def lease(self) -> float:
        return self.failover * 0.25

    @property
    def grace(self) -> float:
        return self.failover * 0.35

    @property
    def keepalive(self) -> int:
        return max(1, round(self.failover * 0.2))


def lock_key(schema: str) -> int:
    """The lock's second half: one leader per schema (offices and tests may share a database)."""
    return zlib.crc32(schema.encode()) & 0x7FFFFFFF


def session_name(role: str, *, pid: int, since: datetime | None = None, host: str | None = None) -> str:
    """`lianxin leader 1234 1796000000 host`: what `status` reads back from pg_stat_activity (≤ 63 bytes)."""
    stamp = str(int(since.timestamp())) if since is not None else "-"
    head = f"{NAME} {role} {pid} {stamp} "
    return head + (host or socket.gethostname())[: 63 - len(head)]


@dataclass(frozen=True)
class Holder:
    """A lock session seen by `status`."""

    granted: bool
    role: str
    pid: int | None
    since: datetime | None
    host: str
    client: str | None


def parse_name(name: str) -> tuple[str, int | None, datetime | None, str]:
    parts = name.split(" ", 4)
    if len(parts) < 5 or parts[0] != NAME:
        return "?", None, None, name
    _, role, pid, stamp, host = parts
    since = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None
    return role, int(pid) if pid.isdigit() else None, since, host


class Leadership:
    """This process's place: standby until `wait` returns, then leader until its session is lost."""

    def __init__(self, url: str, *, timing: Timing, host: str | None = None) -> None:
        self.timing = timing
        self.host = host or socket.gethostname()
        self.pid = os.getpid()
        self.since: datetime | None = None
        keepalive = timing.keepalive
        self.engine = create_engine(
            _normalise(url, want_async=False), poolclass=NullPool,
            connect_args={"keepalives": 1, "keepalives_idle": keepalive, "keepalives_interval": 1,
                          "keepalives_count": 2, "tcp_user_timeout": int(timing.lease * 1000),
                          "connect_timeout": max(2, round(timing.failover))},
        )
        self._connection: Connection | None = None
        self._valid_until = 0.0  # time.monotonic(): the leader may act until then
        self._lost = threading.Event()
        self._stopped = threading.Event()

    # --- the lock ------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the lock session (raises the driver's error when the database cannot be reached)."""
        connection = self.engine.connect()
        connection.execution_options(isolation_level="AUTOCOMMIT")
        keepalive = self.timing.keepalive
        # the server probes this session's idle client: a vanished machine's lock goes within seconds
        for setting, value in (("tcp_keepalives_idle", keepalive), ("tcp_keepalives_interval", 1),
                               ("tcp_keepalives_count", 2)):
            connection.execute(text(f"SET {setting} = {int(value)}"))
        self.key = lock_key(connection.execute(text("SELECT current_schema()")).scalar_one())
        self._name(connection, "standby")
        self._connection = connection

    def _name(self, connection: Connection, role: str) -> None:
        name = session_name(role, pid=self.pid, since=self.since, host=self.host)
        connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": name})

    def wait(self) -> None:
        """Block until this process leads: the lock granted, then `grace` seconds, pinging meanwhile."""
        if self._connection is None:
            self.connect()
        assert self._connection is not None
        sent = time.monotonic()
        self._connection.execute(text("SELECT pg_advisory_lock(:c, :k)"), {"c": LOCK_CLASS, "k": self.key})
        self._valid_until = sent + self.timing.lease
        self.since = datetime.now(UTC)
        self._name(self._connection, "leader")
        log.info("advisory lock granted; acting as leader after %.1fs of grace", self.timing.grace)
        end = time.monotonic() + self.timing.grace
        while time.monotonic() < end:
            time.sleep(min(self.timing.ping, max(0.0, end - time.monotonic())))
            self.ping()

    def ping(self) -> None:
        """One round trip on the lock session; a good one extends the lease from when it was sent."""
        assert self._connection is not None
        sent = time.monotonic()
        self._connection.execute(text("SELECT 1"))
        self._valid_until = max(self._valid_until, sent + self.timing.lease)

    def valid(self) -> bool:
        """Whether this process may act as leader right now (the fence every Bot API call checks)."""
        return not self._lost.is_set() and time.monotonic() < self._valid_until

    # --- the watchdog --------------------------------------------------------------------------------

    def watch(self, on_lost: Callable[[], None]) -> None:
        """Start the two threads that keep the lease (`_pinger`) and end the leadership when it lapses
        (`_guard`, which calls `on_lost` once, from its own thread)."""
        threading.Thread(target=self._pinger, name="leader-ping", daemon=True).start()
        threading.Thread(target=self._guard, args=(on_lost,), name="leader-guard", daemon=True).start()

    def _pinger(self) -> None:
        while not self._stopped.is_set() and not self._lost.is_set():
            started = time.monotonic()
            try:
                self.ping()
            except Exception as exc:
                log.debug("lock session ping failed", exc_info=exc)
                self._lost.set()
                return
            self._stopped.wait(max(0.0, started + self.timing.ping - time.monotonic()))

    def _guard(self, on_lost: Callable[[], None]) -> None:
        while not self._stopped.is_set():
            if not self.valid():
                self._lost.set()
                if not self._stopped.is_set():
                    on_lost()
                return
            self._stopped.wait(GUARD_EVERY)

    def close(self) -> None:
        """A clean stop: the threads end and the lock session closes (the lock goes to a standby)."""
        self._stopped.set()
        # a lost session may hang in its last ping (a silent link): it is left to the process's end
        if self._connection is not None and not self._lost.is_set():
            try:
                self._connection.close()
            except Exception:
                log.debug("closing the lock session", exc_info=True)
        self.engine.dispose()


def holders(url: str) -> list[Holder]:
    """The sessions holding or waiting for this schema's leader lock, the holder first."""
    engine = create_engine(_normalise(url, want_async=False), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            key = lock_key(connection.execute(text("SELECT current_schema()")).scalar_one())
            rows = connection.execute(text(
                "SELECT l.granted, a.application_name, host(a.client_addr) FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.classid = :c AND l.objid = :k AND l.objsubid = 2"
                " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " ORDER BY l.granted DESC, a.backend_start"
            ), {"c": LOCK_CLASS, "k": key}).all()
    finally:
        engine.dispose()
    found = []
    for granted, name, client in rows:
        role, pid, since, host = parse_name(name or "")
        found.append(Holder(granted=bool(granted), role=role, pid=pid, since=since, host=host, client=client))
    return found
