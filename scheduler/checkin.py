"""The reception days' cards: when check-in at a reception day has closed, its member on duty gets the
day's activity card (built on the /log form's card) through the outbox, once."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram.ext import Application

from bot.callbacks import CheckinAction, CheckinButton
from bot.context import LianxinContext
from bot.services.checkin import CheckinPolicy, ReceptionCard, stage_cards
from bot.services.outbox import Button
from bot.texts import label, t
from models import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 300


def card_text(card: ReceptionCard, *, kind_name: str, policy: CheckinPolicy, people: str | None = None,
              summary: str | None = None, photos: int = 0) -> str:
    """The /log card of the day, pre-filled: kind, date, the station as the place, 人次 = check-ins."""
    return t(
        "log_card", kind=kind_name, date=card.view.day(policy.tz).isoformat(), place=card.place(),
        people=people or t("checkin_card_people", total=card.checkins, verified=card.checkins),
        photos=photos, summary=summary or t("checkin_card_pending"),
    ) + card.cases_text()


def render_card(card: ReceptionCard, *, kind_name: str, policy: CheckinPolicy
                ) -> tuple[str, Sequence[Sequence[Button]]]:
    text = t("checkin_card_title") + card_text(card, kind_name=kind_name, policy=policy) + t("checkin_card_hint")
    button = Button(label("checkin_card_open"), callback_data=CheckinButton(CheckinAction.card, card.view.id).pack())
    return text, [[button]]


async def send_cards(context: LianxinContext) -> None:
    """One unit of work: each day's claim (`card_sent_at`) and its outbox row commit together."""
    settings = context.settings
    policy = CheckinPolicy.from_settings(settings)
    kind = settings.kind("reception_day")
    kind_name = kind.name if kind else "reception_day"
    async with context.db.session() as session:
        done = await stage_cards(session, now=utcnow(), policy=policy,
                                 render=lambda card: render_card(card, kind_name=kind_name, policy=policy))
        await session.commit()
    if done:
        log.info("reception cards enqueued: %s", done)


def schedule_checkin_cards(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(send_cards, interval=CHECK_EVERY_SECONDS, first=30, name="reception_cards",
                        job_kwargs={"max_instances": 1, "coalesce": True})
