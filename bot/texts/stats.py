"""/stats and /ranking for coordinators and admins, and the quarterly report (/report, the CLI's report)."""

from __future__ import annotations

from datetime import date, datetime

from bot.texts.catalogue import t

STATS_DIMENSION_NAMES = {"group": "活动组", "sector": "界别", "region": "地区", "kind": "活动类型"}
# the /stats chart's labels (plain text, drawn by matplotlib)
STATS_CHART = {
    "groups": "各活动组活动数",
    "categories": "各类诉求收到数",
    "activities": "活动（次）",
    "cases": "诉求（件）",
    "none": "暂无",
    "rest": "其余 {count} 项",
    "empty_quarter": "本季度暂无数据",
    "empty_year": "本年度暂无数据",
}

# the quarterly report: sheet names, headers, chart labels
REPORT: dict[str, object] = {
    "sheet_members": "委员概况",
    "sheet_lagging": "落后名单",
    "sheet_unreachable": "无法送达",
    "sheet_kinds": "按活动类型",
    "sheet_groups": "按活动组",
    "col_item": "项目",
    "col_value": "数值",
    "sheet_cases": "诉求办理",
    "title": "{quarter}履职统计（{sheet}）",
    "as_of": "数据截至 {day}",
    "cols_cases": ["诉求类别", "收到", "已接收", "已办结", "确认解决", "曾退回重办", "接收用时中位数（小时）",
                   "办结用时中位数（小时）", "平均评分"],
    "all_categories": "全部",
    "row_members": "在册委员",
    "row_bound": "已绑定",
    "row_unbound": "未绑定（从未绑定，无法送达）",
    "row_blocked": "已屏蔽（屏蔽了机器人，无法送达）",
    "row_with_activity": "本季度有活动",
    "row_on_pace": "人次达到进度（{pace}）",
    "row_lagging": "需提醒（落后）",
    "cols_lagging": ["编号", "姓名", "活动组", "本季度活动", "今年人次", "应达进度（人次）", "今年积分", "原因"],
    "total_members": "合计 {rows} 人",
    "cols_unreachable": ["编号", "姓名", "活动组", "原因"],
    "reason_unbound": "未绑定",
    "reason_blocked": "已屏蔽机器人",
    "total_unreachable": "合计：未绑定 {unbound} 人，已屏蔽 {blocked} 人",
    "cols_kinds": ["活动类型", "活动数", "人次"],
    "cols_groups": ["活动组", "委员数", "本季度有活动", "活动数", "人次"],
    "no_group": "未分组",
    "chart_title": "{quarter}：在册 {members} 人，有活动 {active} 人，人次达进度 {on_pace} 人",
    "chart_kinds": "按活动类型（人次）",
    "chart_groups": "按活动组（人次）",
    "chart_people": "人次",
    "chart_none": "暂无",
    "chart_rest": "其余 {count} 组",
    "chart_empty": "本季度暂无数据",
    "filename": "季度报告_{quarter}.xlsx",
}

# every spreadsheet (bot/services/sheets.py): the title line, the totals row, the printed footer
SHEET: dict[str, str] = {
    "separator": " · ",
    "generated": "生成于 {at}",
    "total": "合计",
    "footer": "第 &P 页，共 &N 页",  # &P, &N: the page and the page count, filled in when printed
}


def pace_text(expected: int, target: int, day: date) -> str:
    """What the pace figure is: 应达进度 38 人次：全年 40 人次按天数折算到 2026-12-06."""
    return t("pace_expected", expected=expected, target=target, day=day.isoformat())


def sheet_caption(*parts: str, at: datetime) -> str:
    """A spreadsheet's title line: what, scope, period (the parts given), then when it was generated."""
    stamp = SHEET["generated"].format(at=at.strftime("%Y-%m-%d %H:%M"))
    return SHEET["separator"].join([*(part for part in parts if part), stamp])


TEXTS: dict[str, str] = {
    # /report and the quarterly report's message
    "report_bad_quarter": "没看懂季度「{value}」，请写成如 /report 2026Q3。",
    "report_future": "{quarter} 还没有开始，没有数据。",
    "report_caption": (
        "📊 <b>{quarter}季度报告</b>（{scope}）\n在册委员 {members}，已绑定 {bound}，本季度有活动 {active}，"
        "人次达到进度 {on_pace}（{pace}），需提醒 {lagging}；无法送达：未绑定 {unbound}，已屏蔽 {blocked}。"
    ),
    # the pace figure, wherever it is shown (the report, /stats, /laggards)
    "pace_expected": "应达进度 {expected} 人次：全年 {target} 人次按天数折算到 {day}",
    "report_document": "{quarter}季度报告（完整表格）",
    "report_digest_document": "{quarter}社情民意信息（草稿）：本季度的诉求按主题归纳，“意见建议”一节留给您填写。发送 /digest 可按主题查看诉求件。",
    # /stats
    "stats_head": "📊 <b>统计 · {period}</b>\n范围：{scope}{drill}\n截至 {as_of}",
    "stats_drill": "\n查看：{dimension} {name}",
    "stats_members": (
        "\n<b>委员</b>\n在册 {members}，已绑定 {bound}，{period}有活动 {active}，"
        "{year}年人次达进度 {on_pace}（{pace}）\n无法送达：未绑定 {unbound}，已屏蔽 {blocked}"
    ),
    "stats_members_kind": "（“有活动”只计本类型）",
    "stats_activities": "\n<b>活动</b>：共 {count} 次，{people} 人次",
    "stats_kind_line": "· {kind}：{count} 次，{people} 人次",
    "stats_no_activities": "· 暂无",
    "stats_cases": (
        "\n<b>诉求</b>（{period}收到、办理委员在范围内）\n收到 {received}，未办结 {open}，其中超期 {overdue}，"
        "已办结 {resolved}，群众确认解决 {confirmed}，平均评分 {rating}"
    ),
    "stats_list_head": "📊 <b>{period} · 按{dimension}</b>\n范围：{scope}{drill}",
    "stats_list_parent": "（{region} 的下级地区）",
    "stats_list_range": "第 {start}–{end} 项，共 {total} 项；点按钮查看该项",
    "stats_list_line": "{name}：委员 {members}，有活动 {active}，活动 {count} 次，{people} 人次",
    "stats_list_kind_line": "{name}：{members} 位委员登记 {count} 次，{people} 人次",
    "stats_list_empty": "这一期没有可列出的数据。",
    "stats_none_group": "（未分组）",
    "stats_none_region": "（未设地区或在本级）",
    "stats_chart_caption": "📊 {period} 统计图（{scope}{drill}）",
    "stats_out_of_scope": "这个范围不在您的权限内，无法查看。",
    "stats_future": "这一期还没有开始。",
    "stats_period_quarter": "这一季度",
    "stats_period_year": "这一年",
    # /ranking: points, and the response table
    "ranking_head": "🏅 <b>履职积分排名 · {period}</b>\n范围：{scope}",
    "ranking_meaning": "积分为这一期所登记活动的积分之和；同分同名次，没有积分的不排名。",
    "ranking_range": "第 {start}–{end} 位，共 {total} 位委员（{placed} 位有积分）",
    "ranking_line": "{place}. {name}（{number}，{group}）{points} 分 · {count} 次 · {people} 人次{verified}",
    "ranking_unplaced": "—",
    "ranking_empty": "范围内没有在册委员。",
    "response_head": "⏱ <b>诉求办理表 · {period}</b>\n范围：{scope}",
    "response_meaning": (
        "按这一期收到、现由该委员办理的诉求：接收、办结用时为中位数（小时），办结率 = 已办结/收到，"
        "确认率 = 群众确认解决/已办结，评分为平均分。"
    ),
    "response_range": "第 {start}–{end} 位，共 {total} 位委员",
    "response_line": (
        "{index}. {name}（{number}）收到 {cases} · 接收 {accept} · 办结 {resolve} · 办结率 {resolution} · "
        "确认率 {confirmation} · 评分 {rating}"
    ),
    "response_empty": "这一期范围内没有由委员办理的诉求。",
    "stats_hours": "{hours}h",
    "stats_none": "—",
}

BUTTONS: dict[str, str] = {
    "stats_prev": "◀ {period}",
    "stats_next": "{period} ▶",
    "stats_year": "{year}年全年",
    "stats_quarter": "按季度",
    "stats_by": "按{dimension}",
    "stats_chart": "📊 图表",
    "stats_up": "⬆ 返回上级",
    "stats_back": "⬅ 返回统计",
    "stats_item": "{name}",
    "ranking_cases": "⏱ 诉求办理表",
    "ranking_points": "🏅 积分排名",
}
