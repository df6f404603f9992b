"""Reminders: a member's quarterly reminder, the quarter-end list for coordinators, and the outbox's states."""

from __future__ import annotations

from bot.texts.catalogue import t
from bot.texts.common import number
from bot.texts.scopes import scope_text

OCCASION_NAMES = {"mid": "季中提醒", "late": "季末提醒", "quarter-end": "季度结束名单", "nudge": "联络员提醒"}
RULE_NAMES = {"no_activity": "本季度无活动", "below_pace": "人次落后进度", "bottom_share": "积分组内靠后"}
OUTBOX_STATUS_NAMES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "blocked": "无法送达", "failed": "发送失败",
                       "unknown": "可能已发送"}
QUARTER_END_MAX_LINES = 60

TEXTS: dict[str, str] = {
    "remind_head": "📌 <b>{quarter}履职提醒</b>\n{name}委员，您好！截至 {day}：",
    "remind_no_activity": "• 本季度还没有登记联系活动（每季度至少 {target} 次）。登记 1 次本季度的活动即可达标。",
    "remind_below_pace": (
        "• 今年已联系 {people} 人次，按全年 {target} 人次的进度，此时应达到 {expected} 人次。"
        "再联系 {short} 人次即可赶上进度。"
    ),
    "remind_bottom_share": (
        "• 今年履职积分 {points} 分，在{peers_label}的 {peers} 位委员中处于后 {share}%。"
        "再获得 {gap} 分即可走出后 {share}%。"
    ),
    "remind_peers_sector": "本界别",
    "remind_tail": "点击下方按钮即可登记。",
    # the morning after a quarter, to each coordinator
    "quarter_end_head": "📋 <b>{quarter}已结束</b>（{scope}）",
    "quarter_end_none": "范围内的委员本季度都登记了联系活动。",
    "quarter_end_list": "以下 {count} 位委员本季度没有登记联系活动：",
    "quarter_end_line": "{number} {name}{group}",
    "quarter_end_more": "……等共 {count} 位，完整名单见季度报告表格。",
}

BUTTONS: dict[str, str] = {
    "remind_log": "📝 登记联系活动",
}


def render_reminder(*, laggard, quarter, as_of, policy) -> str:  # noqa: ANN001 - services' dataclasses
    """One member's reminder: every rule they match, what is missing and what would fix it."""
    lines = [t("remind_head", quarter=quarter.cn_label, name=laggard.name, day=as_of.isoformat())]
    share = f"{policy.bottom_share * 100:g}"
    for rule in laggard.rules:
        if rule.value == "no_activity":
            lines.append(t("remind_no_activity", target=policy.quarter_target))
        elif rule.value == "below_pace":
            lines.append(t("remind_below_pace", people=laggard.year_people, target=policy.year_target,
                           expected=laggard.expected_people, short=laggard.people_short))
        elif rule.value == "bottom_share":
            lines.append(t("remind_bottom_share", points=number(laggard.points),
                           peers_label=laggard.peer_label or t("remind_peers_sector"), peers=laggard.peers,
                           share=share, gap=number(laggard.points_to_leave_bottom or 0)))
    lines.append(t("remind_tail"))
    return "\n".join(lines)


def render_quarter_end(*, quarter, idle, scopes) -> str:  # noqa: ANN001 - services' objects, duck-typed
    """The morning after a quarter: who in this scope finished it with no activity (long lists cut short)."""
    lines = [t("quarter_end_head", quarter=quarter.cn_label, scope=scope_text(scopes))]
    if not idle:
        lines.append(t("quarter_end_none"))
        return "\n".join(lines)
    lines.append(t("quarter_end_list", count=len(idle)))
    for laggard in idle[:QUARTER_END_MAX_LINES]:
        group = f"（{laggard.peer_label}）" if laggard.peer_label else ""
        lines.append(t("quarter_end_line", number=laggard.number, name=laggard.name, group=group))
    if len(idle) > QUARTER_END_MAX_LINES:
        lines.append(t("quarter_end_more", count=len(idle)))
    return "\n".join(lines)
