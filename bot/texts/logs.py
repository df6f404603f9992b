"""The operator's log: a failed update, an expired button, users who block or unblock the bot."""

from __future__ import annotations

LOG_LINES: dict[str, str] = {
    "transient": "update {update}: Telegram 暂时无法访问（{error}），重试 {retries} 次后仍失败；本条回复可能未送达",
    "outcome_unknown": "update {update}: 发送时连接中断（{error}），Telegram 可能已收到；为免重复未重发，本条回复可能已送达",
    "blocked": "update {update}: 用户 {user} 已屏蔽机器人，已记录（{error}）",
    "blocked_event": "用户 {user} {change}机器人，已记录",
    "unblocked_by_message": "用户 {user} 发来消息，已取消其屏蔽记录",
    "query_expired": "update {update}: 按钮回调已过期（多半是重启后重放的更新），未回复：{error}",
    "failed": "update {update} 处理失败：{error}（LOG_LEVEL=DEBUG 可看完整堆栈）",
    "notify_failed": "update {update}: 无法告知用户处理失败：{error}",
}
