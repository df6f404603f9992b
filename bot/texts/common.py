"""What every feature shares: names of levels and roles, numbers, generic replies and form buttons."""

from __future__ import annotations

from models import Level

LEVEL_NAMES = {Level.national: "全国", Level.province: "省", Level.city: "市", Level.county: "县"}
ROLE_NAMES = {"admin": "管理员", "coordinator": "协调员", "member": "委员", "resident": "界别群众"}


def progress_bar(value: float, target: float, width: int = 10) -> str:
    """▓▓▓▓░░░░░░ 40% — filled in proportion to value/target, capped at full."""
    if target <= 0:
        return "▓" * width + " 100%"
    share = min(value / target, 1.0)
    filled = int(share * width + 1e-9)
    return "▓" * filled + "░" * (width - filled) + f" {int(share * 100)}%"


def number(value: float) -> str:
    """3.0 -> '3', 2.5 -> '2.5'."""
    return f"{value:g}"


TEXTS: dict[str, str] = {
    "not_allowed": "抱歉，您没有使用此功能的权限。",
    "members_only": "抱歉，此功能仅限已绑定的政协委员使用。",
    "unknown_command": "未识别的命令。发送 /help 查看可用功能。",
    "nothing_to_cancel": "当前没有进行中的操作。",
    "cancelled": "已取消。",
    # a date typed in a form's shape that names no day (2月30日), in the log and reception forms alike
    "no_such_day": "没有“{text}”这一天，请检查月份和日期后重新输入。",
    "choice": "{value}",
    "stale_button": "此按钮已失效，请重新开始操作。",
    "quarter_number": "「{value}」不是季度：一年只有第 1 至第 4 季度，请写成如 2026Q3。",
    # a failed update: the user is told once; the log says why (logs.py)
    "error": "抱歉，处理您的消息时出了点问题，我们已记录下来。请稍后再试；如一直出现，请联系政协办公室。",
    "error_transient": (
        "网络不稳定，刚才的回复可能没有送达。如果您刚提交了记录，请先发送 /my 查看是否已经保存，再决定是否重新提交。"
    ),
}

# button labels and choice marks: plain text (Telegram does not parse markup in buttons)
BUTTONS: dict[str, str] = {
    # shared by the forms (/log, /request and the form kit in handlers/forms.py)
    "cancel": "取消",
    "done": "完成",
    "skip": "跳过",
    "photos_clear": "清空重新上传",
    "photos_cleared": "已清空",
    "photos_count": "{count} 张照片",
    "submit": "确认提交",
    "change": "修改",
    "back": "返回",
    "duplicate_yes": "仍要提交",
    "duplicate_no": "返回修改",
    # paged lists
    "page_prev": "上一页",
    "page_next": "下一页",
}
