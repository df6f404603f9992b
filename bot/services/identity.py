"""Who someone is: their roles, and who sent an update, in one round trip, kept for a short while.

`Identity` is what every handler gets (`LianxinContext.identity`): member, coordinator scopes,
admin. `lookup_sender` reads it with the blocked flag in one UNION ALL query;
`cached_sender` answers from `SenderCache` while it can (every update asks, through
`handlers.common.load_identity`); `identify` reads someone else's, uncached.

- An INSERT, UPDATE or DELETE construct of `member`, `rolegrant` or `reachability` executed by
  anything in this process (the bot's handlers and jobs, ORM flushes, Core statements, any engine)
  forgets every kept answer at once, and again when its transaction ends, so a binding, a
  revocation or a role granted in the bot takes effect on the very next update. A write of those
  tables in raw SQL (`text()`) would not be seen: the code has none, and must not add one;
- a change made by another process (the CLI granting or revoking a role, a roster import
  deactivating a member, an unbinding) takes effect within `IDENTITY_TTL` seconds.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import BigInteger, String, bindparam, cast, event, literal, null, select, union_all
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.services.scopes import Scope, scope_of
from models import Member, Reachability, RoleGrant

IDENTITY_TTL = 5.0  # seconds an answer is kept: the bound for changes made by other processes
IDENTITY_TABLES = frozenset({Member.__tablename__, RoleGrant.__tablename__, Reachability.__tablename__})

# every role, narrowest first; menus, help and greetings follow this order
ROLE_ORDER = ("resident", "member", "coordinator", "admin")


@dataclass
class Identity:
    """Everything the bot needs to know about who sent an update."""

    telegram_id: int
    is_admin: bool = False
    member_id: int | None = None
    member_name: str | None = None
    scopes: list[Scope] = field(default_factory=list)

    @property
    def is_member(self) -> bool:
        return self.member_id is not None

    @property
    def is_coordinator(self) -> bool:
        return bool(self.scopes)

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role held, narrowest first (ROLE_ORDER); a person with no other role is a resident."""
        held = {"member": self.is_member, "coordinator": self.is_coordinator, "admin": self.is_admin}
        roles = tuple(r for r in ROLE_ORDER if held.get(r))
        return roles or ("resident",)

    @property
    def role(self) -> str:
        """The widest role held."""
        return self.roles[-1]

    def as_staff(self) -> Staff | None:
        """How this person acts as staff, the widest way (an admin who is also a coordinator sees
        everything); None for members and residents. The one rule every staff command follows."""
        if self.is_admin:
            return Staff(self.telegram_id, None)
        if self.is_coordinator:
            return Staff(self.telegram_id, list(self.scopes))
        return None


@dataclass(frozen=True)
class Staff:
    """Someone acting as staff: an admin sees everything (`scopes` None), a coordinator their scopes."""

    telegram_id: int
    scopes: list[Scope] | None


@dataclass
class Sender:
    identity: Identity
    blocked: bool = False  # recorded as having blocked the bot

    def copy(self) -> Sender:
        """Handlers get their own (an Identity is mutable)."""
        return Sender(replace(self.identity, scopes=list(self.identity.scopes)), self.blocked)


def _query():  # noqa: ANN202 - built once (see SENDER_QUERY)
    telegram_id = bindparam("b_telegram_id", type_=BigInteger())
    member = (
        select(literal("m").label("row"), cast(Member.id, BigInteger).label("num"),
               cast(Member.name, String).label("a"), cast(null(), String).label("b"),
               cast(null(), String).label("c"), cast(null(), String).label("d"), literal(0).label("ord"))
        .where(Member.telegram_id == telegram_id, Member.active.is_(True))
    )
    grants = (
        select(literal("g"), cast(null(), BigInteger), cast(RoleGrant.scope_kind, String),
               cast(RoleGrant.scope_value, String), cast(RoleGrant.committee_level, String),
               cast(RoleGrant.committee_region, String), RoleGrant.id)
        .where(RoleGrant.telegram_id == telegram_id)
    )
    blocked = (
        select(literal("b"), cast(null(), BigInteger), cast(null(), String), cast(null(), String),
               cast(null(), String), cast(null(), String), literal(0))
        .select_from(Reachability)
        .where(Reachability.telegram_id == telegram_id, Reachability.blocked_at.is_not(None))
    )
    return union_all(member, grants, blocked).order_by("row", "ord")


# every update runs it: building it once saves more than the query costs on SQLite
SENDER_QUERY = _query()


async def lookup_sender(
    connection: AsyncConnection | AsyncSession, *, telegram_id: int, admin_ids: list[int]
) -> Sender:
    """Read-only; a Core connection is enough (and cheaper than an ORM session)."""
    params = {"b_telegram_id": telegram_id}
    if isinstance(connection, AsyncConnection):
        result = await connection.execute(SENDER_QUERY, params)
    else:
        result = await connection.exec(SENDER_QUERY, params=params)
    sender = Sender(Identity(telegram_id=telegram_id, is_admin=telegram_id in admin_ids))
    for kind, number, first, second, level, region, _ in result.all():
        if kind == "m" and sender.identity.member_id is None:
            sender.identity.member_id, sender.identity.member_name = number, first
        elif kind == "g":
            sender.identity.scopes.append(scope_of(first, second, level, region))
        elif kind == "b":
            sender.blocked = True
    return sender


async def identify(session: AsyncSession, telegram_id: int, admin_ids: list[int]) -> Identity:
    """Who `telegram_id` is now, read from the database (no cache): for someone other than the sender."""
    return (await lookup_sender(session, telegram_id=telegram_id, admin_ids=admin_ids)).identity


# --- the short-lived cache -----------------------------------------------------------------

_generation = 0  # bumped by every identity write in this process; older answers are not used


def _forget_all() -> None:
    global _generation
    _generation += 1


@event.listens_for(Engine, "after_execute")
def _saw_statement(conn, statement, *args: object) -> None:  # noqa: ANN001 - SQLAlchemy event
    """Any engine of this process: an INSERT, UPDATE or DELETE of a table that says who someone is
    (ORM flushes included: they execute the same constructs) forgets every kept answer."""
    if isinstance(statement, UpdateBase) and getattr(statement.table, "name", None) in IDENTITY_TABLES:
        conn.info["lianxin_identity_written"] = True
        _forget_all()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn) -> None:  # noqa: ANN001 - SQLAlchemy event
    """Answers read between that write and its commit saw the old rows: forget them too."""
    if conn.info.pop("lianxin_identity_written", False):
        _forget_all()


class SenderCache:
    """Senders of one database, kept for `ttl` seconds unless this process changed identities since."""

    def __init__(self, *, ttl: float = IDENTITY_TTL, size: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._kept: OrderedDict[int, tuple[Sender, int, float]] = OrderedDict()

    def get(self, telegram_id: int) -> Sender | None:
        kept = self._kept.get(telegram_id)
        if kept is None:
            return None
        sender, generation, expires = kept
        if generation != _generation or self.clock() >= expires:
            del self._kept[telegram_id]
            return None
        return sender.copy()

    def put(self, telegram_id: int, sender: Sender, generation: int) -> None:
        """`generation`: the one current when the query started; an identity write since then wins."""
        if generation != _generation:
            return
        self._kept[telegram_id] = (sender.copy(), generation, self.clock() + self.ttl)
        self._kept.move_to_end(telegram_id)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


_caches: weakref.WeakKeyDictionary[AsyncEngine, SenderCache] = weakref.WeakKeyDictionary()


def sender_cache(engine: AsyncEngine) -> SenderCache:
    cache = _caches.get(engine)
    if cache is None:
        cache = _caches[engine] = SenderCache()
    return cache


async def cached_sender(db: Database, *, telegram_id: int, admin_ids: list[int]) -> Sender:
    """`lookup_sender`, answered from `sender_cache(db.engine)` when it can be."""
    engine = db.engine
    cache = sender_cache(engine)
    sender = cache.get(telegram_id)
    if sender is not None:
        sender.identity.is_admin = telegram_id in admin_ids  # settings, not the database
        return sender
    generation = _generation
    with db.bounded_reads():  # one indexed lookup: on SQLite not worth a hand-off to a thread
        async with engine.connect() as connection:  # read-only: a Core connection is cheapest
            sender = await lookup_sender(connection, telegram_id=telegram_id, admin_ids=admin_ids)
    cache.put(telegram_id, sender, generation)
    return sender
