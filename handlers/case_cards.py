"""Case cards and their keyboards, and every message about a case to the other side.

The member's card, the resident's detail with its timeline, the staff's card when nobody fits,
relays and results. The buttons shown are the ones the lifecycle offers the viewer now
(`lifecycle.offers`): a card never shows a button the lifecycle would refuse. Messages to
the other side are outbox rows staged in the step's own transaction (`Notices`) and sent right
after its commit; a failure to deliver is retried by the delivery job and never undoes the step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.buttons import case_answer_row
from bot.callbacks import CaseAction, CaseButton
from bot.context import LianxinContext
from bot.sending import send_now
from bot.services import cases as svc
from bot.services import outbox
from bot.services.cases import Intake
from bot.services.contacts import member_chat, member_name_sector, resident_chat, staff_over
from bot.services.identity import identify
from bot.services.lifecycle import RATINGS, Action, Actor, CaseProblem, Request, Role, offers
from bot.services.media import Voice, clock
from bot.services.outbox import Button
from bot.services.queue import staff_candidates
from bot.texts import CASE_ACTION_NAMES, CASE_STATUS_NAMES, Safe, case_problem, label, routing_reason, t
from models import Case, CaseStatus, VoiceNote

log = logging.getLogger(__name__)
STARS = {n: "⭐" * n for n in RATINGS}
# a request as the button that asks it: label key and callback action
REQUEST_BUTTONS = {
    Request.accept: ("case_accept", CaseAction.accept), Request.reply: ("case_reply", CaseAction.reply),
    Request.resolve: ("case_resolve", CaseAction.resolve), Request.transfer: ("case_transfer", CaseAction.transfer),
    Request.decline: ("case_decline", CaseAction.decline), Request.add: ("case_add", CaseAction.add),
}
MEMBER_ROWS = ((Request.accept, Request.reply, Request.resolve), (Request.transfer, Request.decline))
# the timeline names the member with these steps
NAMED_STEPS = (Action.route, Action.assign, Action.transfer, Action.accept, Action.resolve)


def case_problem_text(problem: CaseProblem) -> str:
    return case_problem(problem.code, problem.detail)


def local(context: LianxinContext, moment) -> str:  # noqa: ANN001 - an aware datetime
    return moment.astimezone(context.settings.tz).strftime("%m-%d %H:%M")


def place_of(detail: svc.CaseDetail) -> str:
    parts = [p for p in (detail.region_path, detail.case.place_text) if p]
    return " ".join(parts) or t("req_place_none")


def _request_button(case: Case, request: Request) -> tuple[str, str]:
    key, action = REQUEST_BUTTONS[request]
    return label(key), CaseButton(action, case.id).pack()


def member_buttons(case: Case) -> list[list[tuple[str, str]]]:
    """What the handling member can press now: what the lifecycle offers, in two rows."""
    offered = set(offers(CaseStatus(case.status), Role.member, has_resident=case.resident_id is not None))
    rows = [[_request_button(case, r) for r in row if r in offered] for row in MEMBER_ROWS]
    return [row for row in rows if row]


def resident_buttons(case: Case) -> list[list[tuple[str, str]]]:
    """已解决 / 未解决 to a result, and 补充 while the case takes messages."""
    offered = offers(CaseStatus(case.status), Role.resident)
    rows = []
    if Request.answer in offered:
        rows.append(case_answer_row(case.id))
    if Request.add in offered:
        rows.append([_request_button(case, Request.add)])
    return rows


def card_text(detail: svc.CaseDetail, tz: tzinfo) -> str:
    """The case as its card shows it; the submission day in the office's time zone `tz`."""
    case = detail.case
    if case.forgotten_at is not None:
        requester = t("forget_placeholder")
    elif case.requester_name:
        requester = t("case_requester_recorded", name=case.requester_name)
    else:
        requester = t("case_requester_resident")
    text = t(
        "case_card", number=case.number, status=CASE_STATUS_NAMES[CaseStatus(case.status).value],
        category=case.category, place=place_of(detail), requester=requester,
        phone=detail.phone or t("case_phone_none"), created=case.created_at.astimezone(tz).strftime("%Y-%m-%d"),
        description=case.description or t("voice_only"),
    )
    if detail.reception is not None:  # raised after checking in at a reception day
        station, starts_at = detail.reception
        text += t("case_card_reception", station=station, day=starts_at.astimezone(tz).strftime("%Y-%m-%d"))
    intake = intake_voices(detail)
    return text + t("voice_card_line", summary=voices_summary(intake)) if intake else text


def intake_voices(detail: svc.CaseDetail) -> list[VoiceNote]:
    return [v for v in detail.voices if v.message_id is None]


def voices_summary(voices: Sequence[VoiceNote | Voice]) -> str:
    """🎤 语音 2 条（共 1:42）"""
    return t("voice_summary", count=len(voices), total=clock(sum(v.duration for v in voices)))


async def voices_to(notices: Notices, key: str, chat: int | None, number: str,
                    voices: Sequence[VoiceNote | Voice]) -> None:
    """Voice notes as voice messages (an audio file as one), each captioned with the case number."""
    for n, voice in enumerate(voices, start=1):
        caption = t("voice_case_caption", number=number, n=n, total=len(voices), length=clock(voice.duration))
        media = {"audio_id": voice.file_id} if voice.kind == "audio" else {"voice_id": voice.file_id}
        await notices.add(f"{key}:voice{n}", chat, caption, **media)


def voice_entries(context: LianxinContext, detail: svc.CaseDetail) -> list[tuple[datetime, str]]:
    """Each voice note the viewer may hear, as a timeline line with who sent it and its length."""
    senders = {m.id: m.sender_kind for m in detail.messages}
    entries = []
    for voice in detail.voices:
        who = t("voice_from_member") if senders.get(voice.message_id) == "member" else t("voice_from_resident")
        entries.append((voice.created_at, t(
            "case_timeline_line", at=local(context, voice.created_at),
            action=t("voice_timeline_line", who=who, length=clock(voice.duration)), who="", note="")))
    return entries


def voice_list_text(context: LianxinContext, detail: svc.CaseDetail) -> str:
    """The voice notes of a case, one a line (for the handling member's view of the card)."""
    return "\n".join(line for _, line in voice_entries(context, detail))


def timeline_text(context: LianxinContext, detail: svc.CaseDetail) -> str:
    lines: list[tuple[datetime, str]] = []
    for entry in detail.timeline:
        who = ""
        if entry.member_name and entry.action in NAMED_STEPS:
            who = f" · {entry.member_name}"
        note = entry.note or ""
        if entry.action == Action.route and entry.detail and "sector" in entry.detail:
            note = routing_reason(entry.detail)
        elif entry.detail and entry.detail.get("rating"):
            note = STARS.get(int(entry.detail["rating"]), "")
        lines.append((entry.at, t(
            "case_timeline_line", at=local(context, entry.at), action=CASE_ACTION_NAMES.get(entry.action, entry.action),
            who=who, note=f"（{note}）" if note else "",
        )))
    lines += voice_entries(context, detail)
    lines.sort(key=lambda pair: pair[0])  # stable: a voice sent with the submit comes after it
    return "\n".join(line for _, line in lines)


def resident_detail_text(context: LianxinContext, detail: svc.CaseDetail) -> str:
    case = detail.case
    handler = f"{detail.member_name}（{detail.member_sector}）" if detail.member_name else t("case_handler_none")
    return t(
        "case_detail", number=case.number, status=CASE_STATUS_NAMES[CaseStatus(case.status).value],
        category=case.category, place=place_of(detail), handler=handler,
        description=case.description or t("voice_only"),
        result=Safe(t("case_detail_result", result=case.result)) if case.result else "",
        timeline=Safe(timeline_text(context, detail)),
    )


# --- telling the other side: staged in the step's transaction, sent right after its commit ------------


class Notices:
    """The messages a case step causes for other people: outbox rows written in the step's own
    transaction, so a crash right after the commit loses none (the delivery job sends them after a
    restart), and sent right after the commit (`send`), as fast as a reply."""

    def __init__(self, session: AsyncSession, *, now: datetime) -> None:
        self.session = session
        self.now = now
        self.claim = outbox.claim_token()  # written as ours: sending them after the commit takes no claim
        self.keys: list[str] = []

    async def add(self, key: str, chat_id: int | None, text: str, rows: Sequence[Sequence[tuple[str, str]]] = (),
                  *, photo_id: str | None = None, voice_id: str | None = None, audio_id: str | None = None) -> bool:
        """One message to `chat_id` (none when the person is not on Telegram); False when there is nobody."""
        if chat_id is None:
            return False
        buttons = [[Button(label_, callback_data=data) for label_, data in row] for row in rows] if rows else None
        await outbox.enqueue(self.session, key=key, chat_id=chat_id, kind="case", text=text, now=self.now,
                             buttons=buttons, photo_id=photo_id, priority=outbox.REPLY, claim=self.claim,
                             voice_id=voice_id, audio_id=audio_id)
        self.keys.append(key)
        return True

    async def send(self, context: LianxinContext) -> set[str]:
        """After the commit: send them now (what fails is retried by the delivery job); the keys sent."""
        if not self.keys:
            return set()
        return await send_now(context.application, context.db, self.claim)


def stamp(case: Case) -> str:
    """A case at one moment of its life: the start of the keys of the messages that moment causes."""
    return f"case:{case.id}:{int(case.updated_at.timestamp() * 1_000_000)}"


async def card_to_member(notices: Notices, case: Case, member_id: int, tz: tzinfo) -> None:
    """The case card with the member's buttons, then its photos."""
    session = notices.session
    try:
        detail = await svc.case_detail(session, case_id=case.id, actor=Actor.member(member_id))
    except CaseProblem:
        return
    chat = await member_chat(session, member_id)
    text = t("case_new_for_member") + "\n\n" + card_text(detail, tz)
    base = f"{stamp(case)}:m{member_id}"
    if not await notices.add(f"{base}:card", chat, text, member_buttons(detail.case)):
        return
    for n, file_id in enumerate(detail.photos, start=1):
        caption = t("case_photo_caption", number=detail.case.number, n=n, total=len(detail.photos))
        await notices.add(f"{base}:photo{n}", chat, caption, photo_id=file_id)
    await voices_to(notices, base, chat, detail.case.number, intake_voices(detail))


async def to_staff(notices: Notices, context: LianxinContext, intake: Intake) -> None:
    """Nobody fits: the coordinators in scope (or the admins) get the case with the engine's candidates."""
    fallback = intake.fallback
    if fallback is None:
        return
    session = notices.session
    for telegram_id in fallback.telegram_ids:
        # a coordinator's candidates are limited to their scope (bot.services.queue), so their grants count
        staff = (await identify(session, telegram_id, context.settings.admin_ids)).as_staff()
        if staff is None:
            continue
        actor = Actor.for_staff(staff)
        try:
            detail = await svc.case_detail(session, case_id=intake.case.id, actor=actor)
        except CaseProblem:
            continue
        candidates = await staff_candidates(session, case=detail.case, actor=actor, table=context.routing)
        has_region = detail.case.region_id is not None
        rows = [[(label("case_assign_to", name=c.name, reason=routing_reason(c.reason(has_region=has_region))),
                  CaseButton(CaseAction.assign, detail.case.id, c.member_id).pack())] for c in candidates]
        text = t("case_for_staff", number=detail.case.number, category=detail.case.category,
                 place=place_of(detail)) + "\n\n" + card_text(detail, context.settings.tz)
        await notices.add(f"{stamp(intake.case)}:s{telegram_id}:card", telegram_id, text, rows)
        await voices_to(notices, f"{stamp(intake.case)}:s{telegram_id}", telegram_id, detail.case.number,
                        intake_voices(detail))


async def to_resident(notices: Notices, case: Case, text: str, rows: Sequence[Sequence[tuple[str, str]]] = (),
                      *, part: str = "note") -> bool:
    chat = await resident_chat(notices.session, case.resident_id)
    return await notices.add(f"{stamp(case)}:r:{part}", chat, text, rows)


async def to_member(notices: Notices, case: Case, text: str, rows: Sequence[Sequence[tuple[str, str]]] = (),
                    *, part: str = "note") -> bool:
    if case.member_id is None:
        return False
    chat = await member_chat(notices.session, case.member_id)
    return await notices.add(f"{stamp(case)}:m{case.member_id}:{part}", chat, text, rows)


async def routing(notices: Notices, context: LianxinContext, intake: Intake, *, resident_key: str | None) -> None:
    """After a case was (re)routed: the new member gets the card, or the staff get it; the resident hears where.

    Its lookups are index-bounded and run while the step's transaction holds SQLite's one write lock:
    inline (`bounded_reads`), so that no other update's turn comes in between."""
    with context.db.bounded_reads():
        await _routing(notices, context, intake, resident_key=resident_key)


async def _routing(notices: Notices, context: LianxinContext, intake: Intake, *, resident_key: str | None) -> None:
    if intake.member_id is not None:
        await card_to_member(notices, intake.case, intake.member_id, context.settings.tz)
        if resident_key:
            who = await member_name_sector(notices.session, intake.member_id)
            if who:
                await to_resident(notices, intake.case,
                                  t(resident_key, number=intake.case.number, name=who[0], sector=who[1]))
    else:
        await to_staff(notices, context, intake)
        if resident_key:
            await to_resident(notices, intake.case, t("case_to_staff_resident", number=intake.case.number))


async def relay_message(notices: Notices, case: Case, relayed: svc.Relay, voices: Sequence[Voice] = ()
                        ) -> str | None:
    """A 回复 or 补充 goes to the other side, stamped with the case number; never with who sent it on
    Telegram. The key of the message, None when the other side is not reachable on Telegram (they find it
    in /mycases or /cases)."""
    session = notices.session
    text = relayed.message.text or (t("voice_in_relay", length=clock(voices[0].duration)) if voices else "")
    if relayed.to_role is Role.member:
        chat = await member_chat(session, relayed.to_id)
        body = t("case_message_to_member", number=case.number, text=text)
        rows = member_buttons(case)
    else:
        chat = await resident_chat(session, relayed.to_id)
        who = await member_name_sector(session, case.member_id)
        body = t("case_message_to_resident", number=case.number, name=who[0] if who else "", text=text)
        rows = resident_buttons(case)
    key = f"case:{case.id}:msg{relayed.message.id}"
    if not await notices.add(f"{key}:text", chat, body, rows):
        return None
    photos = relayed.message.photo_file_ids or []
    for n, file_id in enumerate(photos, start=1):
        caption = t("case_photo_caption", number=case.number, n=n, total=len(photos))
        await notices.add(f"{key}:photo{n}", chat, caption, photo_id=file_id)
    await voices_to(notices, key, chat, case.number, voices)
    return f"{key}:text"


async def staff_reopened(notices: Notices, context: LianxinContext, case: Case, name: str) -> None:
    """A reopened case is news for the coordinators over it (the admins when none covers it)."""
    recipients = await staff_over(notices.session, case, context.routing, context.settings.admin_ids)
    for telegram_id in recipients:
        await notices.add(f"{stamp(case)}:s{telegram_id}:reopened", telegram_id,
                          t("case_reopened_staff", number=case.number, name=name))
