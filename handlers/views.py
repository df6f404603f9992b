"""Rendering domain results into catalogue texts (escaped) and keyboards."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.config import Settings
from bot.services.activities import ActivityProblem, Standing
from bot.texts import Safe, label, number, progress_bar, t
from models import Activity

log = logging.getLogger(__name__)
B = TypeVar("B")


def problem_text(problem: ActivityProblem) -> str:
    detail = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in problem.detail.items()}
    return t(f"problem_{problem.code}", **detail)


def standing_text(standing: Standing) -> str:
    if standing.year_over:
        pace = t("standing_year_met") if standing.year_met else t(
            "standing_year_missed", gap=standing.year_target - standing.year_people)
    elif standing.on_pace:
        pace = t("standing_pace_ok", expected=standing.expected_people)
    else:
        pace = t("standing_pace_behind", expected=standing.expected_people,
                 gap=standing.expected_people - standing.year_people)
    rank = (
        t("standing_rank", label=standing.peer_label or t("standing_peer_sector"), rank=standing.rank,
          peers=standing.peers)
        if standing.rank is not None
        else t("standing_no_rank")
    )
    return t(
        "standing",
        quarter=standing.quarter.cn_label,
        which=t("standing_this_quarter") if standing.current else t("standing_that_quarter"),
        q_count=standing.quarter_activities,
        q_target=standing.quarter_target,
        q_mark="✅" if standing.quarter_met else "⚠️",
        q_people=standing.quarter_people,
        q_verified=Safe(verified_text(standing.quarter_verified)),
        q_points=number(standing.quarter_points),
        year=standing.quarter.year,
        y_count=standing.year_activities,
        y_people=standing.year_people,
        y_target=standing.year_target,
        y_verified=Safe(verified_text(standing.year_verified)),
        y_mark="✅" if standing.year_met else "",
        bar=progress_bar(standing.year_people, standing.year_target),
        pace=Safe(pace),
        y_points=number(standing.year_points),
        rank=Safe(rank),
    )


def verified_text(count: int) -> str:
    """"（其中扫码核实 N 人次）" after a number of 人次, or nothing when none checked in at the door."""
    return t("verified_people", count=count) if count else ""


def kind_name(settings: Settings, code: str) -> str:
    kind = settings.kind(code)
    return kind.name if kind else code


def activity_line(settings: Settings, activity: Activity) -> str:
    return t(
        "my_activity_line",
        id=activity.id,
        date=activity.activity_date.isoformat(),
        kind=kind_name(settings, activity.kind),
        place=activity.place,
        people=activity.people,
    ) + verified_text(activity.verified_people)


def people_text(activity: Activity) -> str:
    """An activity's 人次, with 其中扫码核实 N 人次 when some came through the door of a reception day."""
    return f"{activity.people}{verified_text(activity.verified_people or 0)}"


def activity_detail(
    settings: Settings, activity: Activity, photos: int, editable_until: datetime | None
) -> str:
    lock = (
        t("activity_editable", until=editable_until.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"))
        if editable_until
        else t("activity_locked")
    )
    return t(
        "activity_detail",
        id=activity.id,
        kind=kind_name(settings, activity.kind),
        date=activity.activity_date.isoformat(),
        place=activity.place,
        people=people_text(activity),
        points=number(activity.points),
        photos=photos,
        summary=activity.summary,
        lock=Safe(lock),
    )


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]
                                 for row in rows])


def chunked(items: Sequence[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def paging(offset: int, total: int, size: int, data_for: Callable[[int], str]) -> list[tuple[str, str]]:
    """上一页 / 下一页 under a list shown `size` at a time from `offset`; `data_for(offset)` packs a button."""
    row = []
    if offset > 0:
        row.append((label("page_prev"), data_for(max(offset - size, 0))))
    if offset + size < total:
        row.append((label("page_next"), data_for(offset + size)))
    return row


def fit(text: str, limit: int) -> str:
    """Within a Telegram limit (4,096 for a message, 1,024 for a caption), cut at a line end; the
    texts' tags never span lines, so none is left open."""
    if len(text) <= limit:
        return text
    return text[: limit - 2].rsplit("\n", 1)[0] + "\n…"


async def checked_press(update: Update, codec: type[B], *, allowed: bool = True, refusal: str = "not_allowed",
                        refused_log: str = "") -> B | None:
    """The one way a handler reads a button press: the button it carries, or None once answered. Data the
    codec does not accept is a stale button; a presser without the role (`allowed` false) is refused
    (`refusal`, a catalogue key) and logged as one line (`refused_log`). The query is not answered when
    the button is returned: the handler answers it with what it did."""
    query = update.callback_query
    button = codec.parse(query.data or "")
    if button is None:
        await query.answer(t("stale_button"), show_alert=True)
        return None
    if not allowed:
        log.warning("%s", refused_log or f"button {query.data!r} refused to {update.effective_user.id}")
        await query.answer(t(refusal), show_alert=True)
        return None
    return button


async def edit_text(message: CallbackQuery | Message, text: str, **kwargs: Any) -> None:
    """`edit_message_text` of a pressed button's query (or `edit_text` of a message), where the same
    content again is fine: a second press, or an edit repeated after its answer was lost (Telegram
    says "message is not modified"). Any other refusal is raised."""
    try:
        if isinstance(message, CallbackQuery):
            await message.edit_message_text(text, **kwargs)
        else:
            await message.edit_text(text, **kwargs)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the pressed message (it was acted on); a message already without them is fine."""
    try:
        await update.callback_query.edit_message_reply_markup(None)
    except BadRequest:
        pass
