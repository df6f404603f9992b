"""A resident's personal data removed on request (PIPL art. 47), while the cases stay as the office's record.

Who is forgotten: a resident (from /forget, or found by the CLI) and/or the people a member recorded
cases for (`requester_name`, `requester_phone`). What goes: their name, phone and Telegram id from every
case and the resident row itself (the row holds nothing else); the messages the bot keeps for their chat
(outbox rows, reachability, drafts) and the raw updates they sent that the inbox still holds (scrubbed,
kept as bare update ids so that a redelivery is still recognised). What stays: the cases, shown with
「（群众已申请删除个人信息）」 (`Case.forgotten_at`), and — unless they ask for it too (`with_content`) — the
texts and photos they sent, which are the substance of the case (docs/decisions.md, "A resident's personal
data, on request").

Their open cases are first closed as withdrawn, a lifecycle step (`Action.withdraw`, moved by
`cases.transition`), and each handling member gets an outbox row in the same unit of work. Everything is
audited with who, when and how many rows, never what was removed. Services stage; the caller commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.cases import transition
from bot.services.lifecycle import FINAL, Action, Actor, Role
from bot.services.outbox import keys_starting
from bot.services.roster import normalise_phone
from bot.texts import plain, t
from models import (
    AuditEvent,
    BotState,
    Case,
    CaseMessage,
    CasePhoto,
    CaseStatus,
    InboxUpdate,
    Member,
    OutboxMessage,
    Reachability,
    Resident,
)

log = logging.getLogger(__name__)
CLI_ACTOR = "cli"


class ForgetProblem(Exception):
    """Nobody to forget, or an input that names nobody; `code` picks the text `forget_<code>`."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass
class Person:
    """Whom a request to forget names: resident rows and the cases of the person (theirs and recorded ones)."""

    resident_ids: list[int] = field(default_factory=list)
    telegram_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.resident_ids and not self.case_ids


@dataclass
class Forgotten:
    """What a forget did (or would do): counts only, as the audit log keeps them."""

    residents: int = 0
    cases: int = 0
    withdrawn: list[Case] = field(default_factory=list)
    messages: int = 0
    photos: int = 0
    outbox: int = 0
    inbox: int = 0
    notified: int = 0

    def counts(self) -> dict[str, int]:
        return {"residents": self.residents, "cases": self.cases, "withdrawn": len(self.withdrawn),
                "messages": self.messages, "photos": self.photos, "outbox": self.outbox, "inbox": self.inbox,
                "notified": self.notified}


# --- whom ------------------------------------------------------------------------------------------


async def _cases_of(session: AsyncSession, resident_ids: Sequence[int], phones: Sequence[str]) -> list[int]:
    conditions = []
    if resident_ids:
        conditions.append(col(Case.resident_id).in_(resident_ids))
    if phones:
        conditions += [col(Case.phone).in_(phones), col(Case.requester_phone).in_(phones)]
    if not conditions:
        return []
    return list((await session.exec(select(Case.id).where(or_(*conditions)).order_by(Case.id))).all())


async def person_of_resident(session: AsyncSession, *, telegram_id: int) -> Person:
    """The resident talking to the bot and every case they filed (/forget)."""
    resident = (await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))).first()
    if resident is None:
        return Person()
    return Person([resident.id], [resident.telegram_id], await _cases_of(session, [resident.id], []))


async def person_by_phone(session: AsyncSession, *, phone: str) -> Person:
    """Residents who saved this phone, and every case that carries it (theirs, or recorded for someone)."""
    number = normalise_phone(phone)
    if number is None:
        raise ForgetProblem("bad_phone", phone=phone)
    residents = (await session.exec(select(Resident.id, Resident.telegram_id).where(Resident.phone == number))).all()
    resident_ids = [r[0] for r in residents]
    # a resident who gave this phone on a case (and did not save it) is the same person
    extra = (await session.exec(
        select(Resident.id, Resident.telegram_id).join(Case, col(Case.resident_id) == Resident.id)
        .where(Case.phone == number).distinct()
    )).all()
    for rid, tid in extra:
        if rid not in resident_ids:
            residents.append((rid, tid))
            resident_ids.append(rid)
    return Person(resident_ids, [r[1] for r in residents], await _cases_of(session, resident_ids, [number]))


async def person_by_case(session: AsyncSession, *, number: str) -> Person:
    """The person of one case: its resident (with all their cases), or whoever it was recorded for (the cases
    with the same requester phone, or only this one)."""
    case = (await session.exec(select(Case).where(Case.number == number.strip()))).first()
    if case is None:
        raise ForgetProblem("no_case", number=number)
    if case.resident_id is not None:
        resident = await session.get(Resident, case.resident_id)
        if resident is not None:
            return Person([resident.id], [resident.telegram_id], await _cases_of(session, [resident.id], []))
    if case.requester_phone:
        return Person([], [], await _cases_of(session, [], [case.requester_phone]))
    return Person([], [], [case.id])


# --- what ------------------------------------------------------------------------------------------


async def forget(
    session: AsyncSession, *, person: Person, actor: Actor, audit_actor: str, now: datetime, via: str,
    with_content: bool = False, claim: str | None = None,
) -> Forgotten:
    """Remove the person's data (see the module's docstring); stage the members' notices; audit. Never commits.

    `actor` withdraws the open cases (the resident themself, or an admin from the CLI); `claim`: the notices
    are written as claimed by the caller, who sends them after the commit (`bot.sending.send_now`)."""
    if person.empty:
        raise ForgetProblem("nobody")
    done = Forgotten()
    cases = list((await session.exec(select(Case).where(col(Case.id).in_(person.case_ids)).order_by(Case.id))).all())
    for case in cases:
        if CaseStatus(case.status) in FINAL:
            continue
        # the resident withdraws their own cases; on their behalf an admin withdraws any
        who = actor if actor.role is not Role.resident or case.resident_id == actor.id else Actor(Role.admin, None)
        await transition(session, case=case, actor=who, action=Action.withdraw, now=now)
        done.withdrawn.append(case)
    ids = [c.id for c in cases]
    # what the bot sent about these cases may quote the person (cards to members, notes to them): dropped
    for case_id in ids:
        gone = await session.exec(delete(OutboxMessage).where(keys_starting(session, f"case:{case_id}:")))
        done.outbox += gone.rowcount or 0
    values: dict[str, object] = {"resident_id": None, "requester_name": None, "requester_phone": None, "phone": None,
                                 "phone_consent": False, "forgotten_at": now}
    if with_content:
        values.update(description=plain("forget_content_removed"), place_text="")
    if ids:
        await session.exec(update(Case).where(col(Case.id).in_(ids)).values(**values))
        if with_content:
            messages = await session.exec(
                update(CaseMessage).where(col(CaseMessage.case_id).in_(ids), CaseMessage.sender_kind == "resident")
                .values(text=plain("forget_content_removed"), photo_file_ids=None)
            )
            done.messages = messages.rowcount or 0
            photos = await session.exec(delete(CasePhoto).where(col(CasePhoto.case_id).in_(ids)))
            done.photos = photos.rowcount or 0
    done.cases = len(ids)
    if person.resident_ids:
        gone = await session.exec(delete(Resident).where(col(Resident.id).in_(person.resident_ids)))
        done.residents = gone.rowcount or 0
    for telegram_id in person.telegram_ids:
        sent = await session.exec(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
        done.outbox += sent.rowcount or 0
        await session.exec(delete(Reachability).where(Reachability.telegram_id == telegram_id))
        await session.exec(delete(BotState).where(col(BotState.kind).in_(("user_data", "chat_data")),
                                                  BotState.key == str(telegram_id)))
        done.inbox += await scrub_inbox(session, telegram_id=telegram_id)
    for case in done.withdrawn:
        done.notified += await _notify_member(session, case, now=now, claim=claim)
    session.add(AuditEvent(at=now, actor=audit_actor, action="resident.forget", entity="resident", entity_id=None,
                           detail=json.dumps({"via": via, "content": with_content, **done.counts()})))
    await session.flush()
    log.info("personal data forgotten (%s): %s", via, done.counts())
    return done


async def _notify_member(session: AsyncSession, case: Case, *, now: datetime, claim: str | None) -> int:
    if case.member_id is None:
        return 0
    chat = (await session.exec(select(Member.telegram_id).where(Member.id == case.member_id,
                                                                   Member.active.is_(True)))).first()
    if chat is None:
        return 0
    written = await outbox.enqueue(session, key=f"case:{case.id}:withdrawn:m{case.member_id}", chat_id=chat,
                                   kind="case", text=t("forget_withdrawn_member", number=case.number), now=now,
                                   priority=outbox.REPLY, claim=claim)
    return int(written)


def _sender(payload: dict) -> set[int]:
    """The Telegram ids an update carries about its sender: from, chat, a shared contact's user."""
    found: set[int] = set()
    for kind in ("message", "edited_message", "callback_query", "my_chat_member", "chat_member"):
        item = payload.get(kind)
        if not isinstance(item, dict):
            continue
        for holder in (item, item.get("message") or {}):
            if isinstance(holder, dict):
                for key in ("from", "chat"):
                    if isinstance(holder.get(key), dict) and isinstance(holder[key].get("id"), int):
                        found.add(holder[key]["id"])
                contact = holder.get("contact")
                if isinstance(contact, dict) and isinstance(contact.get("user_id"), int):
                    found.add(contact["user_id"])
    return found


async def scrub_inbox(session: AsyncSession, *, telegram_id: int) -> int:
    """The updates of this person the inbox keeps (handled ones for 48 hours, to recognise a redelivery): their
    payload is replaced by the bare update id, in the caller's transaction. That includes the update being
    handled (the confirming press): should the process die after the commit, it comes back empty and does
    nothing, as it should; before the commit, the scrub is rolled back with the rest."""
    rows = (await session.exec(
        select(InboxUpdate.update_id, InboxUpdate.payload)
        .where(col(InboxUpdate.payload).contains(str(telegram_id)))
    )).all()
    scrubbed = 0
    for update_id, payload in rows:
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        if telegram_id in _sender(data):
            await session.exec(update(InboxUpdate).where(InboxUpdate.update_id == update_id)
                               .values(payload=json.dumps({"update_id": update_id})))
            scrubbed += 1
    return scrubbed


# --- the retention of phones -----------------------------------------------------------------------


async def clear_old_phones(session: AsyncSession, *, now: datetime, days: int) -> tuple[int, int]:
    """Phones on cases closed (confirmed or closed) more than `days` ago are cleared, and the phone a resident
    saved once they have been silent that long with no case open; (cases, residents) changed. Audited."""
    cutoff = now - timedelta(days=days)
    cases = await session.exec(
        update(Case).where(col(Case.status).in_(tuple(FINAL)), col(Case.closed_at) < cutoff,
                           or_(col(Case.phone).is_not(None), col(Case.requester_phone).is_not(None)))
        .values(phone=None, requester_phone=None, phone_consent=False)
        .execution_options(synchronize_session=False)
    )
    open_case = (select(Case.id).where(Case.resident_id == Resident.id, col(Case.status).not_in(tuple(FINAL)))
                 .exists())
    residents = await session.exec(
        update(Resident).where(col(Resident.phone).is_not(None), Resident.last_seen_at < cutoff, ~open_case)
        .values(phone=None).execution_options(synchronize_session=False)
    )
    counts = (cases.rowcount or 0, residents.rowcount or 0)
    if any(counts):
        session.add(AuditEvent(at=now, actor="system", action="phone.retention", entity="case", entity_id=None,
                               detail=json.dumps({"days": days, "cases": counts[0], "residents": counts[1]})))
    return counts

