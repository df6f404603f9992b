"""/stats (figures of a period within scope, with period switch, drill-down, lists and a chart) and /ranking
(duty points and responsiveness on cases). Telegram glue only: every figure and every scope check is
`bot.services.stats`; a forged drill-down there raises OutOfScope, answered here in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from telegram import Update

from bot.callbacks import RankButton, RankView, StationAction, StationButton, StatsButton, StatsDim, StatsView
from bot.context import LianxinContext
from bot.services.charts import build_stats_chart
from bot.services.ranking import duty_ranking, responsiveness
from bot.services.rules import Period, Quarter, local_today
from bot.services.scopes import Scope
from bot.services.stations import has_stations, verified_people
from bot.services.stats import BreakdownRow, Dimension, DrillDown, OutOfScope, breakdown, parent_drill, stats_summary
from bot.texts import STATS_CHART, STATS_DIMENSION_NAMES, Safe, group_label, label, number, pace_text, scope_text, t
from handlers.views import checked_press, chunked, edit_text, fit, keyboard, kind_name, verified_text
from handlers.webapp import with_dashboard
from models import utcnow

LIST_PAGE = 20  # items (and buttons) per breakdown page: far below Telegram's 100 buttons
RANK_PAGE = 20
MAX_TEXT = 4096
MAX_CAPTION = 1024
DIMS = {StatsDim.group: Dimension.group, StatsDim.sector: Dimension.sector, StatsDim.region: Dimension.region,
        StatsDim.kind: Dimension.kind}
CODES = {v: k for k, v in DIMS.items()}


def _today(context: LianxinContext) -> date:
    return local_today(utcnow(), context.settings.tz)


def _fit(text: str, limit: int = MAX_TEXT) -> str:
    return fit(text, limit)


def _drill_of(button: StatsButton) -> DrillDown | None:
    if button.drill is StatsDim.none:
        return None
    # a kind is its code, a group on its committee `stats.group_drill_value`'s text, the rest an id
    value = button.value if button.drill in (StatsDim.kind, StatsDim.group) else int(button.value)
    return DrillDown(DIMS[button.drill], value)


def _drill_text(context: LianxinContext, drill: DrillDown | None, name: str | None) -> str:
    if drill is None:
        return ""
    shown = kind_name(context.settings, str(drill.value)) if drill.dimension is Dimension.kind else name
    return t("stats_drill", dimension=STATS_DIMENSION_NAMES[drill.dimension.value], name=shown or "")


def _period_name(period: Period) -> str:
    return period.cn_label


def _period_row(make: Callable[[Period], str], period: Period, today: date) -> list[tuple[str, str]]:
    """◀ previous, the quarter/year switch, next ▶ (never into the future)."""
    row = [(label("stats_prev", period=period.prev().label), make(period.prev()))]
    if period.q is None:
        quarter = Quarter.of(today) if period.year == today.year else Quarter(period.year, 4)
        row.append((label("stats_quarter"), make(Period.of(quarter))))
    else:
        row.append((label("stats_year", year=period.year), make(Period(period.year))))
    if period.next().first_day <= today:
        row.append((label("stats_next", period=period.next().label), make(period.next())))
    return row


def _button(view: StatsView, period: Period, drill: DrillDown | None, by: StatsDim = StatsDim.none,
            offset: int = 0) -> str:
    if drill is None:
        return StatsButton(view, period.label, StatsDim.none, "0", by, offset).pack()
    return StatsButton(view, period.label, CODES[drill.dimension], str(drill.value), by, offset).pack()


async def render_summary(context: LianxinContext, scopes: list[Scope] | None, period: Period,
                         drill: DrillDown | None) -> tuple[str, object]:
    settings = context.settings
    async with context.db.session() as session:
        summary = await stats_summary(
            session, period=period, now=utcnow(), policy=context.policies.duty, scopes=scopes,
            drill=drill, deadlines=context.policies.deadline,
        )
        up = await parent_drill(session, drill=drill)
        verified = await verified_people(session, period=period, scopes=scopes, drill=drill)
        stations = drill is None and await has_stations(session, scopes=scopes)
    m = summary.members
    lines = [t("stats_head", period=_period_name(period), scope=scope_text(scopes),
               drill=Safe(_drill_text(context, drill, summary.drill_name)), as_of=summary.as_of.isoformat())]
    which = t("stats_period_quarter") if period.q else t("stats_period_year")
    pace = pace_text(m.expected_people, context.policies.duty.year_target, summary.as_of)
    lines.append(t("stats_members", members=m.members, bound=m.bound, period=which, active=m.with_activity,
                   year=period.year, on_pace=m.on_pace, pace=Safe(pace), unbound=m.unbound, blocked=m.blocked)
                 + (t("stats_members_kind") if drill is not None and drill.dimension is Dimension.kind else ""))
    lines.append(t("stats_activities", count=sum(r.activities for r in summary.by_kind),
                   people=sum(r.people for r in summary.by_kind))
                 + (t("verified_people", count=verified) if verified else ""))
    lines += [t("stats_kind_line", kind=kind_name(settings, r.kind), count=r.activities, people=r.people)
              for r in summary.by_kind] or [t("stats_no_activities")]
    if summary.cases is not None:
        c = summary.cases
        lines.append(t("stats_cases", period=which, received=c.received, open=c.open, overdue=c.overdue,
                       resolved=c.resolved, confirmed=c.confirmed, rating=_one(c.average_rating)))
    today = _today(context)
    rows = [_period_row(lambda p: _button(StatsView.summary, p, drill), period, today)]
    rows.append([(label("stats_by", dimension=STATS_DIMENSION_NAMES[DIMS[code].value]),
                  _button(StatsView.list, period, drill, code)) for code in DIMS])
    bottom = [(label("stats_chart"), _button(StatsView.chart, period, drill))]
    if drill is not None:
        bottom.append((label("stats_up"), _button(StatsView.summary, period, up)))
    if stations:  # the places in scope, this period (handlers/stations.py)
        bottom.append((label("stats_stations"), StationButton(StationAction.stats, 0, period.label).pack()))
    rows.append(bottom)
    return _fit("\n".join(lines)), with_dashboard(keyboard(rows), settings, "overview")


def _one(value: float | None) -> str:
    return t("stats_none") if value is None else f"{value:.1f}"


async def render_list(context: LianxinContext, scopes: list[Scope] | None, period: Period, drill: DrillDown | None,
                      by: StatsDim, offset: int) -> tuple[str, object]:
    settings = context.settings
    dimension = DIMS[by]
    async with context.db.session() as session:
        result = await breakdown(session, period=period, dimension=dimension, scopes=scopes, drill=drill)
    name = result.drill_name
    rows_all = result.rows
    offset = min(offset, max(0, (len(rows_all) - 1) // LIST_PAGE * LIST_PAGE))
    page = rows_all[offset: offset + LIST_PAGE]
    lines = [t("stats_list_head", period=_period_name(period), dimension=STATS_DIMENSION_NAMES[dimension.value],
               scope=scope_text(scopes), drill=Safe(_drill_text(context, drill, name)))]
    if result.parent_name:
        lines.append(t("stats_list_parent", region=result.parent_name))
    if not page:
        lines.append(t("stats_list_empty"))
    else:
        lines.append(t("stats_list_range", start=offset + 1, end=offset + len(page), total=len(rows_all)))

    def shown(row: BreakdownRow) -> str:
        if dimension is Dimension.kind:
            return kind_name(settings, str(row.key))
        if row.key is None:
            return t("stats_none_region") if dimension is Dimension.region else t("stats_none_group")
        return row.name or ""

    for row in page:
        key = "stats_list_kind_line" if dimension is Dimension.kind else "stats_list_line"
        lines.append(t(key, name=shown(row), members=row.members, active=row.active_members, count=row.activities,
                       people=row.people))
    items = [(label("stats_item", name=shown(row)[:30]),
              _button(StatsView.summary, period, DrillDown(dimension, row.key)))
             for row in page if row.key is not None]
    buttons = chunked(items, 2)
    paging = []
    if offset > 0:
        paging.append((label("page_prev"), _button(StatsView.list, period, drill, by, max(offset - LIST_PAGE, 0))))
    if offset + LIST_PAGE < len(rows_all):
        paging.append((label("page_next"), _button(StatsView.list, period, drill, by, offset + LIST_PAGE)))
    if paging:
        buttons.append(paging)
    buttons.append([(label("stats_back"), _button(StatsView.summary, period, drill))])
    return _fit("\n".join(lines)), keyboard(buttons)


async def chart_inputs(context: LianxinContext, scopes: list[Scope] | None, period: Period,
                       drill: DrillDown | None) -> tuple[dict, str]:
    """What the chart shows (activities per activity group, cases per category) and its caption; checks the scope."""
    async with context.db.session() as session:
        groups = await breakdown(session, period=period, dimension=Dimension.group, scopes=scopes, drill=drill)
        summary = await stats_summary(session, period=period, now=utcnow(), scopes=scopes, drill=drill,
                                      policy=context.policies.duty, deadlines=context.policies.deadline)
    drill_text = _drill_text(context, drill, summary.drill_name)
    chart = dict(
        title=f"{_period_name(period)} {drill_text.strip()}".strip(),
        groups=[(row.name or "" if row.key is not None else t("stats_none_group"), row.activities)
                for row in groups.rows],
        categories=[(c.category or "", c.received) for c in summary.case_categories],
        labels=STATS_CHART,
        empty=STATS_CHART["empty_quarter" if period.q else "empty_year"],
    )
    caption = t("stats_chart_caption", period=_period_name(period), scope=scope_text(scopes),
                drill=Safe(drill_text.replace("\n", "，")))
    return chart, _fit(caption, MAX_CAPTION)


async def stats_command(update: Update, context: LianxinContext) -> None:
    """/stats: this quarter within the sender's scope (admins: everything)."""
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("not_allowed"))
        return
    text, markup = await render_summary(context, staff.scopes, Period.of(Quarter.of(_today(context))), None)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _edit(update: Update, text: str, markup: object) -> None:
    await edit_text(update.callback_query, text, reply_markup=markup)  # pressed twice: the same content


def _period_of(label_: str, context: LianxinContext) -> tuple[Period | None, str | None]:
    """The button's period, or the text key of why not (not a period: stale; not begun: future)."""
    try:
        period = Period.parse(label_)
    except ValueError:
        return None, "stale_button"
    return (period, None) if period.first_day <= _today(context) else (None, "stats_future")


async def _pressed(update: Update, context: LianxinContext, codec: type[StatsButton] | type[RankButton]
                   ) -> tuple[StatsButton | RankButton, Period, list[Scope] | None] | None:
    """(button, period, scopes) of a press, or None after answering why not (stale, no role, not begun)."""
    staff = context.identity.as_staff()
    button = await checked_press(update, codec, allowed=staff is not None, refusal="not_allowed",
                                 refused_log=f"stats button refused to {update.effective_user.id} (not staff)")
    if button is None:
        return None
    period, problem = _period_of(button.period, context)
    if problem is not None:
        await update.callback_query.answer(t(problem), show_alert=True)
        return None
    return button, period, staff.scopes


async def stats_navigate(update: Update, context: LianxinContext) -> None:
    """Period switch, drill-down, lists and the chart; every press is checked against the scope again."""
    query = update.callback_query
    pressed = await _pressed(update, context, StatsButton)
    if pressed is None:
        return
    button, period, scopes = pressed
    drill = _drill_of(button)
    try:
        if button.view is StatsView.chart:
            chart, caption = await chart_inputs(context, scopes, period, drill)
            await query.answer()
            # drawn off the event loop (matplotlib is blocking)
            await update.effective_chat.send_photo(await build_stats_chart(**chart), caption=caption)
            return
        if button.view is StatsView.list:
            text, markup = await render_list(context, scopes, period, drill, button.by, button.offset)
        else:
            text, markup = await render_summary(context, scopes, period, drill)
    except OutOfScope:
        await query.answer(t("stats_out_of_scope"), show_alert=True)
        return
    await query.answer()
    await _edit(update, text, markup)


# --- /ranking -------------------------------------------------------------------------------------


async def render_ranking(context: LianxinContext, scopes: list[Scope] | None, view: RankView, period: Period,
                         offset: int) -> tuple[str, object]:
    async with context.db.session() as session:
        if view is RankView.points:
            page = await duty_ranking(session, period=period, scopes=scopes, offset=offset, limit=RANK_PAGE)
            total = page.total
        else:
            rows, total = await responsiveness(session, period=period, tz=context.settings.tz, scopes=scopes,
                                               offset=offset, limit=RANK_PAGE)
    if offset and offset >= total:  # the list shrank since the button was made: the last page
        return await render_ranking(context, scopes, view, period, max(0, (total - 1) // RANK_PAGE * RANK_PAGE))
    if view is RankView.points:
        lines = [t("ranking_head", period=_period_name(period), scope=scope_text(scopes)), t("ranking_meaning")]
        if page.rows:
            lines.append(t("ranking_range", start=offset + 1, end=offset + len(page.rows), total=total,
                           placed=page.placed))
            lines += [t("ranking_line", place=r.rank if r.rank is not None else t("ranking_unplaced"), name=r.name,
                        number=r.number, group=group_label(r.group, t("stats_none_group")), points=number(r.points),
                        count=r.activities, people=r.people, verified=Safe(verified_text(r.verified)))
                      for r in page.rows]
        else:
            lines.append(t("ranking_empty"))
    else:
        lines = [t("response_head", period=_period_name(period), scope=scope_text(scopes)), t("response_meaning")]
        if rows:
            lines.append(t("response_range", start=offset + 1, end=offset + len(rows), total=total))
            lines += [t("response_line", index=offset + i, name=r.name, number=r.number, cases=r.cases,
                        accept=_hours(r.median_hours_to_accept), resolve=_hours(r.median_hours_to_resolve),
                        resolution=_share(r.resolution_rate), confirmation=_share(r.confirmation_rate),
                        rating=_one(r.average_rating))
                      for i, r in enumerate(rows, start=1)]
        else:
            lines.append(t("response_empty"))
    today = _today(context)
    buttons = [_period_row(lambda p: RankButton(view, p.label, 0).pack(), period, today)]
    paging = []
    if offset > 0:
        paging.append((label("page_prev"), RankButton(view, period.label, max(offset - RANK_PAGE, 0)).pack()))
    if offset + RANK_PAGE < total:
        paging.append((label("page_next"), RankButton(view, period.label, offset + RANK_PAGE).pack()))
    if paging:
        buttons.append(paging)
    other = RankView.cases if view is RankView.points else RankView.points
    buttons.append([(label("ranking_cases" if other is RankView.cases else "ranking_points"),
                     RankButton(other, period.label, 0).pack())])
    return _fit("\n".join(lines)), keyboard(buttons)


def _hours(value: float | None) -> str:
    return t("stats_none") if value is None else t("stats_hours", hours=f"{value:.1f}")


def _share(value: float | None) -> str:
    return t("stats_none") if value is None else f"{value * 100:.0f}%"


async def ranking_command(update: Update, context: LianxinContext) -> None:
    """/ranking: duty points this quarter within the sender's scope."""
    staff = context.identity.as_staff()
    if staff is None:
        await update.effective_message.reply_text(t("not_allowed"))
        return
    period = Period.of(Quarter.of(_today(context)))
    text, markup = await render_ranking(context, staff.scopes, RankView.points, period, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def ranking_navigate(update: Update, context: LianxinContext) -> None:
    """Period switch, paging and the switch between the two tables."""
    pressed = await _pressed(update, context, RankButton)
    if pressed is None:
        return
    button, period, scopes = pressed
    query = update.callback_query
    text, markup = await render_ranking(context, scopes, button.view, period, button.offset)
    await query.answer()
    await _edit(update, text, markup)
