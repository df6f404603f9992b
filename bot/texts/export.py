"""/export: the spreadsheets coordinators and admins download."""

from __future__ import annotations

# sheet titles, column headers and value names
EXPORT: dict[str, object] = {
    "sheet_members": "委员名单",
    "cols_members": ["编号", "姓名", "界别", "活动组", "层级", "地区", "手机", "绑定状态", "期间活动数", "期间人次",
                     "期间积分", "最近活动日期", "其中扫码核实人次"],
    "sheet_activities": "联系活动",
    "cols_activities": ["活动编号", "日期", "季度", "委员编号", "姓名", "界别", "活动组", "活动类型", "地点/单位",
                        "人次", "积分", "活动内容", "登记时间", "语音（条）", "其中扫码核实人次"],
    "sheet_cases": "诉求件",
    "cols_cases": ["诉求编号", "收到时间", "诉求类别", "状态", "地区", "地点", "办理委员编号", "办理委员", "界别",
                   "代录群众姓名", "手机（已隐藏）", "接收时间", "办结时间", "关闭时间", "评分", "退回重办次数",
                   "语音（条）", "语音时长", "诉求内容"],
    "filename": "{section}_{period}_{day}.xlsx",
    "bound": "已绑定",
    "unbound": "未绑定",
    "blocked": "已屏蔽机器人",
    "total_members": "合计 {rows} 人",
    "total_activities": "合计 {rows} 次",
    "total_cases": "合计 {rows} 件",
}
EXPORT_SECTION_NAMES = {"members": "委员名单", "activities": "联系活动", "cases": "诉求件", "summary": "汇总（季度报告）"}
EXPORT_PERIOD_NAMES = {"this_quarter": "本季度", "last_quarter": "上季度", "this_year": "今年", "last_year": "去年"}

TEXTS: dict[str, str] = {
    "export_choose_section": "📤 <b>导出表格</b>（{scope}）\n请选择要导出的内容：",
    "export_choose_period": "📤 导出<b>{section}</b>（{scope}）\n请选择期间：",
    "export_working": "⏳ 正在生成{section}（{period}，{scope}）……",
    "export_done": "✅ 已发送{section}（{period}，{scope}）。",
    "export_caption": "{section}｜{period}（{label}）｜{scope}｜共 {rows} 行",
    "export_too_big": "生成的表格有 {size} MB，超过 Telegram 允许机器人发送的 50 MB；请选择较短的期间。",
    "export_refused": "抱歉，只有协调员和管理员可以导出表格。",
}

BUTTONS: dict[str, str] = {
    "export_members": "👥 委员名单",
    "export_activities": "📝 联系活动",
    "export_cases": "📮 诉求件",
    "export_summary": "📊 汇总",
    "export_this_quarter": "本季度",
    "export_last_quarter": "上季度",
    "export_this_year": "今年",
    "export_last_year": "去年",
}

LOG_LINES: dict[str, str] = {
    "export_refused": "用户 {user} 的导出请求被拒绝（不是协调员或管理员）：{data}",
    "export_sent": "用户 {user} 导出了 {section}（{period}，{rows} 行，{size} 字节）",
}
