"""The case lifecycle as data, and every rule of who may do what to a case in which state. No database here.

`TRANSITIONS` maps (state, role, action) to the next state (state diagram:
docs/case_lifecycle.mmd); `cases.transition()` is the only code that moves a case by it. What
the buttons under a case offer and what a press may start is decided here too (`offers`,
`check_request`), so a card never shows a button the lifecycle would refuse, and a forged or
stale press is refused by the same rule.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.identity import Staff
from bot.services.scopes import Scope
from models import CaseStatus


class Action(enum.StrEnum):
    """A step of the lifecycle, as the timeline stores it (`CaseEvent.action`)."""

    route = "route"  # the engine places a new case with a member
    escalate = "escalate"  # nobody fits: the coordinators in scope (or the admins) are asked
    assign = "assign"  # staff place it by hand
    reroute = "reroute"  # back to the engine (staff, or the 72-hour deadline)
    accept = "accept"  # 接收
    decline = "decline"  # 无法办理
    transfer = "transfer"  # 转交 to another member
    release = "release"  # 转交 back to the engine
    resolve = "resolve"  # 办结
    confirm = "confirm"  # 已解决
    reopen = "reopen"  # 未解决 within the window
    close = "close"
    withdraw = "withdraw"  # the resident's personal data removed: their open cases close (services/forget.py)


class Note(enum.StrEnum):
    """Timeline rows that do not move the case (`cases.note_event`)."""

    submit = "submit"
    message = "message"
    remind = "remind"  # the 48-hour reminder to the member
    overdue = "overdue"  # the 15-day alert to the staff
    ask = "ask"  # asking the resident again whether it is solved
    timeout = "timeout"  # 72 hours without 接收: back to the engine


A = Action
RATINGS = range(1, 6)  # 1–5 stars


class Role(str, enum.Enum):
    """Who acts on a case. `member` is always the case's current handler."""

    resident = "resident"
    member = "member"
    coordinator = "coordinator"
    admin = "admin"
    system = "system"


@dataclass(frozen=True)
class Actor:
    """Someone acting on or looking at a case.

    `id` is the resident id, the member id, or the Telegram id of a coordinator/admin;
    a coordinator carries their scopes.
    """

    role: Role
    id: int | None = None
    scopes: tuple[Scope, ...] = ()

    @classmethod
    def resident(cls, resident_id: int) -> Actor:
        return cls(Role.resident, resident_id)

    @classmethod
    def member(cls, member_id: int) -> Actor:
        return cls(Role.member, member_id)

    @classmethod
    def coordinator(cls, telegram_id: int, scopes: Sequence) -> Actor:
        return cls(Role.coordinator, telegram_id, tuple(scopes))

    @classmethod
    def admin(cls, telegram_id: int) -> Actor:
        return cls(Role.admin, telegram_id)

    @classmethod
    def for_staff(cls, staff: Staff) -> Actor:
        """Staff as they act on cases: an admin, or a coordinator with their scopes (`Identity.as_staff`)."""
        if staff.scopes is None:
            return cls.admin(staff.telegram_id)
        return cls.coordinator(staff.telegram_id, staff.scopes)

    @classmethod
    def system(cls) -> Actor:
        return cls(Role.system, None)


SYSTEM = Actor.system()


class CaseProblem(Exception):
    """A rule the request or the action breaks; `code` picks the text (case_<code>), `detail` fills it."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class CaseNotAllowed(CaseProblem):
    """The actor may not do this to this case (wrong state, not theirs, not visible)."""


S = CaseStatus
STAFF = (Role.coordinator, Role.admin)
# the states in which a case counts as open work of its handler (Member.open_cases)
HANDLER_OPEN = frozenset({S.routed, S.accepted, S.reopened})
# Open311 GeoReport status: everything else is "open"
FINAL = frozenset({S.confirmed, S.closed})

TRANSITIONS: dict[tuple[CaseStatus, Role, Action], CaseStatus] = {
    # the engine places a new (or handed-back) case with a member, or with the staff
    (S.new, Role.system, A.route): S.routed,
    (S.new, Role.system, A.escalate): S.unassigned,
    # staff assign by hand (also taking a case from one member to another), or re-run the engine
    **{(s, r, A.assign): S.routed for s in (S.new, S.unassigned, S.routed, S.accepted, S.reopened) for r in STAFF},
    **{(s, r, A.reroute): S.new for s in (S.unassigned, S.routed) for r in (*STAFF, Role.system)},
    # staff may also send a stuck case (accepted or reopened, e.g. overdue, or its member deactivated) back
    **{(s, r, A.reroute): S.new for s in (S.accepted, S.reopened) for r in STAFF},
    # the handling member
    (S.routed, Role.member, A.accept): S.accepted,
    (S.reopened, Role.member, A.accept): S.accepted,
    (S.routed, Role.member, A.decline): S.new,
    **{(s, Role.member, A.transfer): S.routed for s in (S.routed, S.accepted, S.reopened)},
    **{(s, Role.member, A.release): S.new for s in (S.routed, S.accepted, S.reopened)},
    (S.accepted, Role.member, A.resolve): S.resolved,
    (S.reopened, Role.member, A.resolve): S.resolved,
    # the resident answers the result (staff answer for a case recorded on someone's behalf)
    **{(S.resolved, r, A.confirm): S.confirmed for r in (Role.resident, *STAFF)},
    **{(S.resolved, r, A.reopen): S.reopened for r in (Role.resident, *STAFF)},
    # 未解决 after the reopen window, or no answer within it
    (S.resolved, Role.resident, A.close): S.closed,
    (S.resolved, Role.system, A.close): S.closed,
    # staff close anything still open (spam, duplicate, withdrawn …) with a reason
    **{(s, r, A.close): S.closed for s in (S.new, S.unassigned, S.routed, S.accepted, S.reopened, S.resolved)
       for r in STAFF},
    # a resident's personal data removed on request (/forget, or an admin's `python -m bot forget`): every open
    # case of theirs is closed as withdrawn
    **{(s, r, A.withdraw): S.closed for s in (S.new, S.unassigned, S.routed, S.accepted, S.reopened, S.resolved)
       for r in (Role.resident, Role.admin)},
}

# actions that need a reason from whoever makes them
NOTE_REQUIRED = {(A.decline, Role.member), (A.transfer, Role.member), (A.release, Role.member),
                 (A.close, Role.coordinator), (A.close, Role.admin)}
# actions whose previous handler is put on the case's skip list
SKIPPING = {A.decline, A.transfer, A.release}


def allowed_actions(status: CaseStatus, role: Role) -> list[Action]:
    """What `role` may do to a case in `status`."""
    return [a for (s, r, a) in TRANSITIONS if s is status and r is role]


# --- what the buttons under a case offer ---------------------------------------------------------------


class Request(enum.StrEnum):
    """What a person asks of a case from a button; `check_request` says whether they may, now."""

    accept = "accept"  # the handling member: 接收
    reply = "reply"  # the handling member: 回复 (relayed to the resident)
    resolve = "resolve"  # 办结
    transfer = "transfer"  # 转交: to another member, or back to the engine
    decline = "decline"  # 无法办理
    add = "add"  # the resident: 补充 (relayed to the member)
    answer = "answer"  # the resident: 已解决 / 未解决 to a result
    reroute = "reroute"  # staff: 重新分派


# the states in which each side may write to the other
RESIDENT_CAN_WRITE = frozenset({S.new, S.unassigned, S.routed, S.accepted, S.reopened, S.resolved})
MEMBER_CAN_WRITE = frozenset({S.accepted, S.reopened, S.resolved})
# each request and the lifecycle actions any one of which makes it possible (relays and answers have their own)
_MOVES = {
    Request.accept: (A.accept,), Request.resolve: (A.resolve,), Request.transfer: (A.transfer, A.release),
    Request.decline: (A.decline,), Request.reroute: (A.reroute,),
}


def may(status: CaseStatus, role: Role, request: Request, *, has_resident: bool = True) -> bool:
    """Whether `role` may ask `request` of a case in `status` (for a relay: one with a resident to write to)."""
    if request is Request.reply:
        return role is Role.member and status in MEMBER_CAN_WRITE and has_resident
    if request is Request.add:
        return role is Role.resident and status in RESIDENT_CAN_WRITE
    if request is Request.answer:
        return role is Role.resident and status is S.resolved
    allowed = allowed_actions(status, role)
    return any(action in allowed for action in _MOVES[request])


def offers(status: CaseStatus, role: Role, *, has_resident: bool = True) -> list[Request]:
    """The buttons to show `role` under a case in `status`, in the order the cards lay them out."""
    return [r for r in Request if may(status, role, r, has_resident=has_resident)]


def check_request(status: CaseStatus, role: Role, request: Request) -> None:
    """Refuse a press the case no longer allows: a closed relay says so; anything else is not allowed now."""
    if may(status, role, request):
        return
    if request in (Request.reply, Request.add) and role in (Role.member, Role.resident):
        raise CaseProblem("relay_closed")
    raise CaseNotAllowed("not_allowed", status=status.value, action=request.value)


def check_rating(rating: int | None) -> None:
    """A rating is 1–5 stars (or none)."""
    if rating is not None and rating not in RATINGS:
        raise CaseProblem("rating_range")
