"""/my (standing and recent activities, with quarter switch and paging), activity detail, delete, /archive."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.callbacks import (
    ActivityAction,
    ActivityButton,
    DutyAction,
    DutyButton,
    MyButton,
    MyView,
    StationAction,
    StationButton,
)
from bot.context import LianxinContext
from bot.services.access import member_profile
from bot.services.activities import (
    ActivityProblem,
    activity_photos,
    check_editable,
    delete_activity,
    edit_deadline,
    own_activity,
    recent_activities,
    standing,
)
from bot.services.archive import archive_activities, archive_xlsx, photo_counts
from bot.services.reminders import reminder_history
from bot.services.rules import Quarter, local_today
from bot.texts import ARCHIVE, OCCASION_NAMES, OUTBOX_STATUS_NAMES, Safe, label, number, t
from handlers.views import (
    activity_detail,
    activity_line,
    checked_press,
    edit_text,
    keyboard,
    problem_text,
    standing_text,
    verified_text,
)
from models import utcnow

PAGE = 5
REMINDERS_SHOWN = 3
# the actions handled here; edit opens the /log form (handlers/log_activity.py)
ACTIONS = (ActivityAction.view, ActivityAction.delete, ActivityAction.delete_ok)


async def _refuse(update: Update) -> None:
    if update.callback_query:
        await update.callback_query.answer(t("members_only"), show_alert=True)
    else:
        await update.effective_message.reply_text(t("members_only"))


async def render_my(context: LianxinContext, quarter: Quarter, offset: int) -> tuple[str, object]:
    """The /my text and keyboard for one quarter and one page of recent activities."""
    settings = context.settings
    member_id = context.identity.member_id
    today = local_today(utcnow(), settings.tz)
    current = Quarter.of(today)
    quarter = min(quarter, current)
    # three reads an index bounds (one member's peers, a page of five, three reminders): on SQLite
    # they run on the loop's thread rather than being handed to aiosqlite's (Database.bounded_reads)
    with context.db.bounded_reads():
        async with context.db.session() as session:
            st = await standing(
                session, member_id=member_id, quarter=quarter, today=today,
                quarter_target=context.policies.duty.quarter_target, year_target=context.policies.duty.year_target,
            )
            items, total = await recent_activities(session, member_id=member_id, offset=offset, limit=PAGE)
            if not items and offset > 0:  # the page emptied (deletions since): show the last one
                offset = max(0, (total - 1) // PAGE * PAGE)
                items, total = await recent_activities(session, member_id=member_id, offset=offset, limit=PAGE)
            reminders = (await reminder_history(session, member_id=member_id, limit=REMINDERS_SHOWN)
                         if offset == 0 else [])
    lines = [standing_text(st)]
    if total:
        lines.append(t("my_recent_header", start=offset + 1, end=offset + len(items), total=total))
        lines += [activity_line(settings, a) for a in items]
    else:
        lines.append(t("my_recent_empty"))
    if reminders:  # why the bot wrote to them, and whether it arrived
        lines.append(t("my_reminders_header"))
        lines += [t("remind_history_line", quarter=r.quarter, occasion=OCCASION_NAMES[r.occasion.value],
                    status=OUTBOX_STATUS_NAMES[r.status.value]) for r in reminders]
    rows: list[list[tuple[str, str]]] = []
    nav = [(label("quarter_prev"), MyButton(MyView.quarter, quarter.prev().label, offset).pack())]
    if quarter < current:
        nav.append((label("quarter_next"), MyButton(MyView.quarter, quarter.next().label, offset).pack()))
    rows.append(nav)
    now = utcnow()
    policy = context.policies.activity
    rows += [
        [(label("activity_open" if edit_deadline(a, policy, now) else "activity_view",
                id=a.id, date=f"{a.activity_date:%m-%d}"),
          ActivityButton(ActivityAction.view, a.id).pack())]
        for a in items
    ]
    paging = []
    if offset > 0:
        paging.append((label("page_prev"), MyButton(MyView.page, quarter.label, max(offset - PAGE, 0)).pack()))
    if offset + PAGE < total:
        paging.append((label("page_next"), MyButton(MyView.page, quarter.label, offset + PAGE).pack()))
    if paging:
        rows.append(paging)
    rows.append([(label("duty_report_button", year=quarter.year), DutyButton(DutyAction.mine, quarter.year).pack())])
    rows.append([(label("my_stations"), StationButton(StationAction.mine).pack())])
    return "\n".join(lines), keyboard(rows)


async def my_command(update: Update, context: LianxinContext) -> None:
    """/my: this quarter and year, and the latest activities."""
    if not context.identity.is_member:
        return await _refuse(update)
    today = local_today(utcnow(), context.settings.tz)
    text, markup = await render_my(context, Quarter.of(today), 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def my_navigate(update: Update, context: LianxinContext) -> None:
    """Quarter switch and paging: the /my message is edited in place."""
    query = update.callback_query
    if not context.identity.is_member:
        return await _refuse(update)
    button = await checked_press(update, MyButton)
    if button is None:
        return None
    try:
        quarter = Quarter.parse(button.quarter)
    except ValueError:  # a quarter label no /my ever made
        await query.answer(t("stale_button"), show_alert=True)
        return None
    await query.answer()
    text, markup = await render_my(context, quarter, button.offset)
    await edit_text(query, text, reply_markup=markup)  # pressed twice: the same content, fine
    return None


async def activity_action(update: Update, context: LianxinContext) -> None:
    """view / del / delok on one of the member's own activities (edit is the /log form's entry)."""
    query = update.callback_query
    if not context.identity.is_member:
        return await _refuse(update)
    button = await checked_press(update, ActivityButton)
    if button is None:
        return None
    settings = context.settings
    member_id = context.identity.member_id
    async with context.db.session() as session:
        try:
            if button.action is ActivityAction.delete_ok:
                activity = await delete_activity(
                    session, member_id=member_id, activity_id=button.activity_id,
                    policy=context.policies.activity,
                )
                await session.commit()
                context.mark_saved(update, t("activity_deleted", id=activity.id))
                await query.answer()
                await edit_text(query, t("activity_deleted", id=activity.id))
                return None
            activity = await own_activity(session, member_id=member_id, activity_id=button.activity_id)
            if button.action is ActivityAction.delete:
                check_editable(activity, context.policies.activity, utcnow())
            photos = await activity_photos(session, activity.id)
        except ActivityProblem as problem:
            await query.answer(problem_text(problem), show_alert=True)
            return None
    until = edit_deadline(activity, context.policies.activity, utcnow())
    await query.answer()
    if button.action is ActivityAction.delete:
        rows = [[(label("delete_confirm"), ActivityButton(ActivityAction.delete_ok, activity.id).pack()),
                 (label("back"), ActivityButton(ActivityAction.view, activity.id).pack())]]
        await update.effective_chat.send_message(t("activity_delete_confirm", id=activity.id),
                                                 reply_markup=keyboard(rows))
        return None
    rows = (
        [[(label("edit"), ActivityButton(ActivityAction.edit, activity.id).pack()),
          (label("delete"), ActivityButton(ActivityAction.delete, activity.id).pack())]]
        if until
        else []
    )
    text = activity_detail(settings, activity, len(photos), until)
    await update.effective_chat.send_message(text, reply_markup=keyboard(rows) if rows else None)
    return None


async def archive_command(update: Update, context: LianxinContext) -> None:
    """/archive: the member's duty archive as an XLSX file."""
    if not context.identity.is_member:
        return await _refuse(update)
    settings = context.settings
    member_id = context.identity.member_id
    async with context.db.session() as session:
        profile = await member_profile(session, member_id)
        activities = await archive_activities(session, member_id)
        counts = await photo_counts(session, [a.id for a in activities])
    if not activities:
        await update.effective_message.reply_text(t("archive_empty"))
        return None
    now = utcnow()
    content = archive_xlsx(
        member_name=profile.name, member_number=profile.number, sector=profile.sector, group=profile.group,
        activities=activities, kind_names={k.code: k.name for k in settings.activity_kinds}, photo_counts=counts,
        generated_at=now.astimezone(settings.tz),
    )
    today = local_today(now, settings.tz)
    await update.effective_chat.send_document(
        InputFile(content, filename=ARCHIVE["filename"].format(number=profile.number, day=f"{today:%Y%m%d}")),
        caption=t(
            "archive_caption", name=profile.name, count=len(activities),
            people=sum(a.people for a in activities), points=number(sum(a.points for a in activities)),
            verified=Safe(verified_text(sum(a.verified_people or 0 for a in activities))),
        ),
    )
    return None

