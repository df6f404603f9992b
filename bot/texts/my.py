"""/my: a member's standing, saved activities and past reminders; /archive: their duty record as a spreadsheet."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # the standing against this quarter's and year's targets (also shown after /log)
    "standing": (
        "<b>{quarter}</b>\n"
        "{which}活动：{q_count} 次（要求 ≥{q_target}）{q_mark}\n"
        "{which}人次：{q_people}{q_verified}　积分：{q_points}\n"
        "<b>{year} 年</b>\n"
        "全年活动：{y_count} 次\n"
        "联系群众：{y_people}/{y_target} 人次{y_verified} {y_mark}\n"
        "{bar}\n"
        "{pace}\n"
        "全年积分：{y_points}　{rank}"
    ),
    "standing_this_quarter": "本季度",
    "standing_that_quarter": "该季度",
    "standing_year_met": "全年已达标",
    "standing_year_missed": "⚠️ 全年未达标，差 {gap} 人次",
    "standing_pace_ok": "进度正常（按全年进度此时应达到 {expected} 人次）",
    "standing_pace_behind": "⚠️ 进度落后：按全年进度此时应达到 {expected} 人次，还差 {gap} 人次",
    "standing_rank": "在{label}排名第 {rank}/{peers}",
    "standing_peer_sector": "本界别",
    "standing_no_rank": "暂无排名",
    # /my
    "my_recent_header": "\n<b>最近的活动</b>（第 {start}–{end} 条，共 {total} 条）：",
    "my_reminders_header": "\n<b>最近的提醒</b>：",
    "my_recent_empty": "\n还没有登记过活动。发送 /log 登记第一条。",
    "remind_history_line": "{quarter} {occasion}：{status}",
    "my_activity_line": "#{id} {date} {kind} · {place} · {people}人次",
    "activity_detail": (
        "<b>活动 #{id}</b>\n类型：{kind}\n日期：{date}\n地点：{place}\n人次：{people}\n积分：{points}\n"
        "照片：{photos} 张\n内容：{summary}\n\n{lock}"
    ),
    "activity_editable": "可在 {until} 前修改或删除。",
    "activity_locked": "已超过修改期限，已锁定。",
    "activity_delete_confirm": "确定删除活动 #{id} 吗？删除后不再计入统计。",
    "activity_deleted": "🗑 活动 #{id} 已删除，不再计入统计。",
    # /archive
    "archive_caption": "{name}的履职档案：共 {count} 次活动，{people} 人次{verified}，{points} 积分。",
    "archive_empty": "您还没有登记过活动，暂无履职档案。发送 /log 登记第一条。",
}

BUTTONS: dict[str, str] = {
    # /my and saved activities
    "quarter_prev": "◀ 上一季度",
    "quarter_next": "下一季度 ▶",
    "activity_open": "#{id} {date} 查看/修改",
    "activity_view": "#{id} {date} 查看",
    "edit": "编辑",
    "delete": "删除",
    "delete_confirm": "确认删除",
}

# the duty archive spreadsheet
ARCHIVE: dict[str, str] = {
    "sheet": "履职档案",
    "title": "{name}（{number}）履职档案",
    "sector": "界别：{sector}",
    "group": "活动组：{group}",
    "subtotal": "{quarter} 小计",
    "count": "{count} 次",
    "total": "合计",
    "span": "{first}至{last}",
    "filename": "履职档案_{number}_{day}.xlsx",
}
ARCHIVE_COLUMNS = ["季度", "编号", "日期", "活动类型", "地点/单位", "人次", "其中扫码核实", "积分", "照片数", "活动内容"]
