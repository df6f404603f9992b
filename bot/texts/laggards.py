"""/laggards: the members behind, and a coordinator's nudge to one of them."""

from __future__ import annotations

from bot.texts.catalogue import Safe, t
from bot.texts.reminders import render_reminder

TEXTS: dict[str, str] = {
    "lag_header": "⏰ <b>{quarter}落后委员</b>（{scope}，按 {day} 的数据）：共 {total} 位，第 {start}–{end} 位\n{pace}",
    "lag_none": "✅ {quarter}：{scope}内目前没有落后的委员。",
    "lag_line": "{index}. <b>{name}</b>（{number}{group}）\n    {behind}\n    最近活动：{last}；{reach}",
    "lag_behind_quarter": "本季度还没有活动",
    "lag_behind_pace": "今年 {people} 人次，应达进度 {expected} 人次，差 {short} 人次",
    "lag_on_pace": "今年 {people} 人次，应达进度 {expected} 人次",
    "lag_last_none": "今年及以前都没有",
    "lag_reach_ok": "可送达",
    "lag_reach_unbound": "未绑定，无法提醒",
    "lag_reach_blocked": "已屏蔽机器人，无法提醒",
    "lag_nudge_queued": "已向 {name} 发送提醒（几秒内送达），可在对方的“我的履职”中看到。",
    "lag_nudge_already": "今天已经提醒过 {name}，每位委员每天只提醒一次。",
    "lag_nudge_not_lagging": "{name} 已不再落后，无需提醒。",
    "lag_nudge_unbound": "{name} 尚未绑定，无法提醒。",
    "lag_nudge_blocked": "{name} 已屏蔽机器人，无法提醒。",
    "lag_out_of_scope": "这位委员不在您的管理范围内，无法操作。",
    # the nudge a member receives
    "nudge_head": "🔔 联络员 {sender} 提醒您：",
}

BUTTONS: dict[str, str] = {
    "lag_nudge": "🔔 提醒 {index}. {name}",
}

LOG_LINES: dict[str, str] = {
    "lag_refused": "用户 {user} 的 /laggards 按钮越权，已拒绝：{data}",
}


def render_laggard_line(row, index: int) -> str:  # noqa: ANN001 - outreach.LaggardRow
    """One laggard on /laggards: how far behind, last activity, whether the bot can reach them."""
    lag = row.laggard
    behind = []
    if any(rule.value == "no_activity" for rule in lag.rules):
        behind.append(t("lag_behind_quarter"))
    if lag.people_short > 0:
        behind.append(t("lag_behind_pace", people=lag.year_people, expected=lag.expected_people, short=lag.people_short))
    else:
        behind.append(t("lag_on_pace", people=lag.year_people, expected=lag.expected_people))
    reach = t("lag_reach_ok") if row.reachable else t("lag_reach_unbound") if not row.bound else t("lag_reach_blocked")
    return t("lag_line", index=index, name=lag.name, number=lag.number,
             group=f"，{lag.peer_label}" if lag.peer_label else "", behind=Safe("；".join(behind)),
             last=row.last_activity.isoformat() if row.last_activity else t("lag_last_none"), reach=Safe(reach))


def render_nudge(*, laggard, quarter, as_of, policy, sender: str) -> str:  # noqa: ANN001 - services' objects
    """A personal nudge from a coordinator: who sends it, then the reminder's own lines."""
    return t("nudge_head", sender=sender) + "\n" + render_reminder(laggard=laggard, quarter=quarter, as_of=as_of,
                                                                   policy=policy)
