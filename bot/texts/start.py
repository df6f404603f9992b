"""/start: welcome and binding an invitation; /help and /status."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # welcome, the phone number, binding an invitation
    "welcome_resident": (
        "您好，{name}！欢迎使用<b>连心桥</b>。\n\n"
        "这里连接政协委员和各界别群众。委员通过这里记录联系群众的活动；"
        "您遇到的急难愁盼问题，可以在这里提交，由对口界别的委员办理，并随时查看进度。\n\n"
        "点下方“📮 我要反映”提交问题，“📋 我的诉求”查看进度。方便的话，也可以点按钮留下手机号（可选）。"
        "发送 /help 查看使用说明。"
    ),
    "contact_saved": "✅ 已记录您的手机号 {phone}，仅用于办理您的诉求时联系您。",
    "contact_not_own": "请点“📱 分享我的手机号”按钮分享您本人的号码，不能代他人登记。",
    "contact_bad_phone": "这个号码看起来不是有效的手机号，请检查后重新分享。",
    "welcome_member": (
        "{name}委员，您好！\n"
        "界别：{sector}\n活动组：{group}\n层级：{level}\n地区：{region}\n联系点：{points}\n\n"
        "您可以在这里登记联系群众的活动、查看履职进度。发送 /help 查看全部功能。"
    ),
    "welcome_staff": (
        "{name}，您好！您在连心桥的身份：{roles}。\n"
        "发送 /status 查看委员概况，/help 查看全部功能。"
    ),
    "resident_text_hint": (
        "您刚才发的内容没有被记录。要反映问题，请点“📮 我要反映”或发送 /request；"
        "已提交的诉求请点“📋 我的诉求”查看或补充。"
    ),
    "bound_ok": "✅ 绑定成功！您的 Telegram 账号已与委员身份关联。",
    "bind_invalid": "❌ 邀请码无效。请核对链接是否完整，或联系政协办公室重新获取。",
    "bind_expired": "⌛ 该邀请码已过期。请联系政协办公室重新获取邀请链接。",
    "bind_used": "❌ 该邀请码已被使用过，每个邀请码只能使用一次。如非本人操作，请立即联系政协办公室。",
    "bind_locked": "🔒 尝试次数过多，请 {minutes} 分钟后再试。如有疑问请联系政协办公室。",
    "bind_account_taken": (
        "此 Telegram 账号已绑定委员「{name}」，不能再绑定其他委员。如需改绑，请联系管理员先解除绑定。"
    ),
    "bind_member_taken": "该委员身份已绑定其他 Telegram 账号。如需改绑，请联系管理员先解除绑定。",
    # a member's own link (their printed card)
    "start_via_member": "点下方“📮 我要反映”或发送 /request 开始，您的诉求会直接交给这位委员。",
    "start_link_unknown": "这个委员链接已失效。您仍可以发送 /request 提交诉求，系统会分派给对口委员。",
    # /help
    "help_header": "<b>连心桥 使用说明</b>（您的身份：{roles}）\n",
    "help_line": "/{command} — {description}",
    "help_resident_note": "\n委员请通过政协办公室发给您的专属邀请链接打开本机器人，完成身份绑定。",
    "help_member_note": (
        "\n履职要求：每季度至少开展 {quarter_target} 次联系活动，全年联系群众不少于 {year_target} 人次。"
    ),
    # /status
    "status_admin": "<b>概况（全部）</b>\n在册委员：{members}\n已绑定：{bound}\n群众用户：{residents}",
    "status_coordinator": "<b>概况（{scopes}）</b>\n在册委员：{members}\n已绑定：{bound}",
}
