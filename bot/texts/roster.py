"""Importing the roster by sending the file in the chat (admins): preview, confirm, result."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "roster_admins_only": "只有管理员可以通过发送文件导入委员名册；您发送的文件没有被保存。",
    "roster_wrong_type": (
        "只能导入 .xlsx 或 .csv 格式的名册文件（收到的是「{name}」）。请在 Excel 或 WPS 中“另存为” .xlsx 或 .csv 后再发送。"
    ),
    "roster_too_big": "文件太大（{size} MB），名册文件不能超过 {limit} MB。请删去无关的工作表或另存为 .csv 后再发送。",
    "roster_download_failed": "无法下载您发送的文件，请稍后重新发送。没有导入任何数据。",
    "roster_checking": "⏳ 正在检查名册「{name}」（试运行，不写入）……",
    "roster_rejected": "❌ 名册「{name}」无法导入（没有写入任何数据）：\n{body}",
    "roster_preview": "📋 名册「{name}」试运行结果（<b>尚未写入</b>）：\n{body}\n\n核对无误请按「确认导入」。",
    "roster_preview_nothing": "📋 名册「{name}」与现有数据一致，没有需要导入的变化。\n{body}",
    "roster_deactivate_offer": "文件中没有的在册委员 {count} 人默认保留；如要停用他们，请按「确认导入并停用」。",
    "roster_deactivate_refused": "注意：文件中没有的在册委员 {count} 人占在册委员的 {share}%，超过 {limit}%，不能在聊天中停用；请核对名单，必要时用命令行导入。",
    "roster_cut": "……（内容过长，其余略；完整清单请用命令行 members import --dry-run 查看）",
    "roster_applying": "⏳ 正在导入名册「{name}」……",
    "roster_applied": "✅ 名册「{name}」已导入：\n{body}",
    "roster_changed": "⚠️ 自试运行以来数据已有变化，本次没有导入。以下是新的试运行结果，请重新核对后确认。",
    "roster_refused": "❌ 没有导入：{reason}",
    "roster_stale": "此确认按钮已失效（已发送了新的名册、已导入或已取消），请以最新的试运行结果为准。",
    "roster_cancelled": "已取消，名册「{name}」没有导入。",
}

BUTTONS: dict[str, str] = {
    "roster_confirm": "✅ 确认导入",
    "roster_confirm_deactivate": "确认导入并停用 {count} 人",
    "roster_cancel": "取消",
}

LOG_LINES: dict[str, str] = {
    "roster_refused": "用户 {user} 的名册操作被拒绝（不是管理员）：{data}",
    "roster_stale": "用户 {user} 按了已失效的名册确认按钮：{data}",
    "roster_download": "用户 {user} 发送的名册无法下载：{error}",
    "roster_applied": "用户 {user} 从聊天导入了名册：新增 {created}，更新 {updated}，停用 {deactivated}",
}
