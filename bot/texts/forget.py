"""A resident's personal data removed on request: /forget, `python -m bot forget`, the phone retention."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "forget_placeholder": "（群众已申请删除个人信息）",
    "forget_content_removed": "（群众已申请删除所发内容）",
    "forget_ask": (
        "🗑 <b>删除我的个人信息</b>\n\n"
        "确认后，您的姓名、手机号和 Telegram 账号会从您提交的全部 {cases} 件诉求和本机器人的记录中删除，无法恢复。\n"
        "• 尚未办结的 {open} 件诉求将撤回关闭，承办委员会收到通知；\n"
        "• 诉求本身作为政协的工作记录保留，显示为“（群众已申请删除个人信息）”；\n"
        "• 您写的问题描述、补充的文字和照片默认保留（它们就是诉求的内容），也可以选择一并删除。\n"
        "删除后本机器人将不再认识您，也无法再把办理结果告诉您。"
    ),
    "forget_nothing": "本机器人没有保存您作为群众的个人信息，无需删除。",
    "forget_done": (
        "✅ 已删除您的个人信息：共 {cases} 件诉求已不再与您关联，其中 {withdrawn} 件尚未办结的已撤回关闭。{content}"
    ),
    "forget_done_content": "您发送的文字和照片也已删除。",
    "forget_cancelled": "已取消，您的信息没有任何改变。",
    "forget_changed": "您的诉求刚刚有了变化，请重新发送 /forget。",
    "forget_withdrawn_member": "📭 诉求件 {number} 的群众已申请删除个人信息，此件已撤回关闭，您无需再办理。",
}

BUTTONS: dict[str, str] = {
    "forget_keep_content": "🗑 删除个人信息（保留诉求内容）",
    "forget_with_content": "🗑 连同我发送的文字和照片一起删除",
    "forget_cancel": "取消",
}

CLI: dict[str, str] = {
    "help_forget": "删除一位群众的个人信息（姓名、手机号、Telegram 账号），用于群众不用 Telegram 时；先加 --dry-run 看会改变什么",
    "epilog_forget": (
        "示例：\n"
        "  python -m bot forget --phone 13912345678 --dry-run    先看会改变什么\n"
        "  python -m bot forget --phone 13912345678              删除（诉求保留，显示“（群众已申请删除个人信息）”）\n"
        "  python -m bot forget --case 2026-000123 --with-content   按诉求编号找人，并删除其发送的文字和照片\n"
        "尚未办结的诉求会撤回关闭，并通知承办委员（机器人运行时发出）。操作记入审计日志（只记人数、件数，不记被删的内容）。"
    ),
    "help_forget_phone": "群众的手机号（其保存的号码、诉求里留的号码、委员代为登记时记下的号码）",
    "help_forget_case": "诉求编号：删除这件诉求的群众（用 Telegram 的群众连同其全部诉求）",
    "help_forget_content": "连同群众发送的问题描述、补充文字和照片一起删除",
    "help_forget_dry_run": "只显示会改变什么，不做任何改动",
    "metavar_phone": "手机号",
    "metavar_case_number": "诉求编号",
    "forget_summary": (
        "群众 {residents} 人，诉求 {cases} 件（其中 {withdrawn} 件未办结，将撤回关闭并通知 {notified} 位委员），"
        "待发和已发消息记录 {outbox} 条，收到的原始消息 {inbox} 条{content}。"
    ),
    "forget_summary_content": "，所发文字 {messages} 条、照片 {photos} 张",
    "forget_dry_run": "（试运行，没有做任何改动）去掉 --dry-run 即执行删除：",
    "forget_committed": "已删除，并记入审计日志：",
    "forget_nobody": "没有找到这位群众的任何信息（没有改动）",
    "forget_no_case": "没有编号为 {number} 的诉求",
    "forget_bad_phone": "“{phone}”不是有效的手机号（应为 11 位大陆手机号，可带 +86）",
    "forget_refused": "没有删除：{reason}",
    "forget_case_changed": "有诉求刚刚发生变化，请重新执行",
}
