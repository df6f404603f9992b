"""The command menu of each role and the reply-keyboard buttons that stand for commands."""

from __future__ import annotations

# command -> description, per role; the menus Telegram shows
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "resident": [
        ("start", "开始 / 主菜单"),
        ("request", "我要反映（提交诉求）"),
        ("mycases", "我的诉求"),
        ("receptions", "委员接待日（查找、报名）"),
        ("mysignups", "我报名的接待日"),
        ("forget", "删除我的个人信息"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
    "member": [
        ("log", "登记联系活动"),
        ("my", "我的履职进度"),
        ("cases", "我办理的诉求件"),
        ("record", "代群众登记诉求"),
        ("reception", "安排委员接待日"),
        ("myreceptions", "我的接待日（修改、取消、报名名单）"),
        ("archive", "导出履职档案"),
        ("checkin_qr", "接待日签到二维码"),
        ("report_me", "年度履职报告（Word，如 /report_me 2026）"),
        ("request", "我要反映（提交诉求）"),
        ("mycases", "我提交的诉求"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
    "coordinator": [
        ("status", "范围内委员概况"),
        ("report", "季度报告（如 /report 2026Q3）"),
        ("stats", "范围内统计（切换季度/全年、按组/界别/地区/类型查看）"),
        ("ranking", "履职积分排名和诉求办理表"),
        ("export", "导出表格（委员/活动/诉求/汇总）"),
        ("laggards", "落后委员名单与提醒"),
        ("broadcast", "向范围内委员发通知"),
        ("queue", "范围内待处理诉求件"),
        ("station", "查看工作站（名称或编号）"),
        ("duty_reports", "范围内委员年度履职报告（压缩包）"),
        ("digest", "社情民意信息草稿（如 /digest 2026Q4）"),
        ("reception", "为范围内工作站安排接待日"),
        ("myreceptions", "我安排的接待日"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
    "admin": [
        ("status", "全部委员概况"),
        ("report", "季度报告（如 /report 2026Q3）"),
        ("stats", "全部统计（切换季度/全年、按组/界别/地区/类型查看）"),
        ("ranking", "履职积分排名和诉求办理表"),
        ("export", "导出表格（委员/活动/诉求/汇总）"),
        ("laggards", "落后委员名单与提醒"),
        ("broadcast", "向委员发通知"),
        ("member", "查找委员（姓名或编号）"),
        ("queue", "待处理诉求件"),
        ("station", "查看工作站（名称或编号）"),
        ("duty_reports", "全部委员年度履职报告（压缩包）"),
        ("digest", "社情民意信息草稿（如 /digest 2026Q4）"),
        ("reception", "安排委员接待日"),
        ("myreceptions", "我安排的接待日"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
}

# the reply keyboards (handlers/menus.py); pressing one is the same as its command
BUTTONS: dict[str, str] = {
    "menu_log": "📝 登记活动",
    "menu_my": "📊 我的进度",
    "menu_archive": "📁 履职档案",
    "menu_help": "❓ 帮助",
    "menu_request": "📮 我要反映",
    "menu_mycases": "📋 我的诉求",
    "menu_cases": "📥 诉求件",
    "share_phone": "📱 分享我的手机号",
}
