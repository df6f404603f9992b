"""Charts as PNG (matplotlib, Agg): the quarterly report's and /stats'. Blocking: run them in a thread.

Chinese labels need a CJK font: Noto Sans CJK SC from the `mplfonts` package (SIL OFL), so no
system font is needed (the member cards use the same file).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.texts import REPORT, group_label

MAX_BARS = 25  # bars per panel; the rest are added up into one last bar
BAR_HEIGHT = 0.32  # inches a bar takes when a panel has more bars than the default figure holds


def _figure(height: float = 5.5):  # noqa: ANN202 - (matplotlib Figure, font family)
    """An empty 10 in wide figure on the Agg backend and the CJK font's family name (registered once)."""
    # matplotlib takes ~0.5 s to import and most processes never draw: imported on the first chart
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return Figure(figsize=(10, height), dpi=100), font_manager.FontProperties(fname=str(path)).get_name()


def cjk_font_path() -> Path:
    """Noto Sans CJK SC from the `mplfonts` package (SIL OFL), so no system font is needed."""
    import mplfonts  # a package of font files: nothing to import until a chart or card is drawn

    return Path(mplfonts.__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular.otf"


def capped(items: Sequence[tuple[str, int]], rest: str, limit: int = MAX_BARS) -> list[tuple[str, int]]:
    """At most `limit` bars in the order given: past that, the last bar adds up the rest (`rest` names it)."""
    if len(items) <= limit:
        return list(items)
    shown, others = list(items[: limit - 1]), items[limit - 1:]
    return [*shown, (rest.format(count=len(others)), sum(value for _, value in others))]


def _png(figure) -> bytes:  # noqa: ANN001 - a matplotlib Figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _bars(title: str, panels: Sequence[tuple[str, str, str, Sequence[tuple[str, int]]]], *, none: str, rest: str,
          empty: str) -> bytes:
    """A PNG of horizontal bar panels side by side, each (title, x-axis name, colour, (label, value) bars) in the
    order given, each bar with its value; an empty panel shows one bar named `none`. Nothing at all to show
    (no bar above 0): one figure saying `empty`, not empty axes."""
    panels = [(head, unit, color, capped(items, rest)) for head, unit, color, items in panels]
    if not any(value for *_, items in panels for _, value in items):
        figure, family = _figure()
        figure.suptitle(title, fontfamily=family)
        figure.text(0.5, 0.5, empty, ha="center", va="center", fontsize=24, color="#666666", fontfamily=family)
        return _png(figure)
    bars = max(len(items) for *_, items in panels)
    figure, family = _figure(max(5.5, 1.6 + BAR_HEIGHT * bars))
    for axes, (head, unit, color, items) in zip(figure.subplots(1, len(panels)), panels, strict=True):
        drawn = axes.barh([name for name, _ in items] or [none], [value for _, value in items] or [0], color=color)
        axes.bar_label(drawn, padding=3, fontsize=9)
        axes.margins(x=0.15)  # room for the values right of the longest bar
        axes.set_title(head, fontfamily=family)
        axes.set_xlabel(unit, fontfamily=family)
        axes.invert_yaxis()
        for tick in axes.get_yticklabels():
            tick.set_fontfamily(family)
    figure.suptitle(title, fontfamily=family)
    figure.tight_layout()
    return _png(figure)


def render_report_chart(stats, *, kind_names: Mapping[str, str]) -> bytes:  # noqa: ANN001 - report.QuarterStats
    """The quarterly report's PNG: 人次 by activity kind and by activity group on its committee (blocking)."""
    kinds = [(kind_names.get(row.kind, row.kind), row.people) for row in stats.by_kind]
    groups = [(group_label(row.group, REPORT["no_group"]), row.people) for row in stats.by_group]
    title = REPORT["chart_title"].format(quarter=stats.quarter.cn_label, members=stats.members,
                                         active=stats.with_activity, on_pace=stats.on_pace)
    return _bars(title, [(REPORT["chart_kinds"], REPORT["chart_people"], "#3a7bd5", kinds),
                         (REPORT["chart_groups"], REPORT["chart_people"], "#e0843a", groups)],
                 none=REPORT["chart_none"], rest=REPORT["chart_rest"], empty=REPORT["chart_empty"])


def render_stats_chart(*, title: str, groups: Sequence[tuple[str, int]], categories: Sequence[tuple[str, int]],
                       labels: Mapping[str, str], empty: str) -> bytes:
    """/stats' PNG: activities per activity group and cases per category, in the order given (blocking).
    `labels`: the panels' titles, the axis names and the "nothing" bar, from the catalogue; `empty`: what
    the figure says when the period has nothing to show."""
    return _bars(title, [(labels["groups"], labels["activities"], "#3a7bd5", groups),
                         (labels["categories"], labels["cases"], "#e0843a", categories)],
                 none=labels["none"], rest=labels["rest"], empty=empty)


async def build_stats_chart(**kwargs: object) -> bytes:
    """`render_stats_chart` off the event loop, as `report.build_report` does."""
    return await asyncio.to_thread(lambda: render_stats_chart(**kwargs))  # type: ignore[arg-type] - render_stats_chart's keywords


def render_month_chart(*, title: str, months: Sequence[str], values: Sequence[int], unit: str, empty: str) -> bytes:
    """A PNG of one vertical bar per month (the duty report's 人次 by month), each with its value; nothing above 0:
    one figure saying `empty` (blocking)."""
    if not any(values):
        figure, family = _figure(4.5)
        figure.suptitle(title, fontfamily=family)
        figure.text(0.5, 0.5, empty, ha="center", va="center", fontsize=24, color="#666666", fontfamily=family)
        return _png(figure)
    figure, family = _figure(4.5)
    axes = figure.subplots()
    drawn = axes.bar(list(months), list(values), color="#3a7bd5")
    axes.bar_label(drawn, padding=2, fontsize=9)
    axes.margins(y=0.15)
    axes.set_ylabel(unit, fontfamily=family)
    for tick in axes.get_xticklabels():
        tick.set_fontfamily(family)
    figure.suptitle(title, fontfamily=family)
    figure.tight_layout()
    return _png(figure)
