"""/member: an admin finds a member, reissues an invitation, deactivates or reactivates."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "mbr_prompt": "请在 /member 后写上委员的姓名（可只写一部分）或编号，例如：<code>/member 张</code> 或 <code>/member GS0001</code>。",
    "mbr_admins_only": "抱歉，只有管理员可以查看和管理委员。",
    "mbr_query_empty": "请写上委员的姓名或编号。",
    "mbr_query_long": "查询内容太长（最多 {high} 个字），请写姓名或编号。",
    "mbr_not_found": "找不到这位委员，可能已被删除，请重新查找。",
    "mbr_none": "没有姓名包含「{query}」或编号为「{query}」的委员。",
    "mbr_results": "找到 {total} 位委员（第 {start}–{end} 位），请选择：",
    "mbr_record": (
        "👤 <b>{name}</b>（{number}）{inactive}\n"
        "界别：{sector}\n活动组：{group}\n层级：{level}　地区：{region}\n手机：{phone}\n联系点：{points}\n"
        "绑定：{bound}　{reach}\n邀请码：{codes}\n最近活动：{last}\n\n{standing}\n\n<b>未办结诉求件</b>\n{cases}"
    ),
    "mbr_inactive": "⛔ 已停用",
    "mbr_none_value": "无",
    "mbr_bound_yes": "已绑定（{at}）",
    "mbr_bound_no": "未绑定",
    "mbr_reach_ok": "可送达",
    "mbr_reach_blocked": "⚠️ 已屏蔽机器人，消息无法送达",
    "mbr_codes": "{count} 个有效",
    "mbr_case_line": "{number} {category} · {status} · 已 {age} 天",
    "mbr_points_more": " 等 {count} 个",
    "mbr_reissue_inactive": "{name} 已停用，请先恢复再发邀请。",
    "mbr_reissue_bound": "{name} 已绑定 Telegram 账号，无需邀请码。如需换绑，请先在命令行执行 members revoke 解除绑定。",
    "mbr_reissued": (
        "🔑 {name}（{number}）的新邀请链接，有效期至 {until}：\n{link}\n"
        "原有 {replaced} 个未使用的邀请码已作废。请把链接或二维码单独发给本人，此消息之后无法再次查看。"
    ),
    "mbr_qr_caption": "{name}（{number}）的邀请二维码，用手机扫码打开即可绑定；有效期至 {until}。",
    "mbr_deactivate_confirm": (
        "确认停用 <b>{name}</b>（{number}）？\n停用后 TA 不能再使用委员功能、不会再收到诉求件，也不能用邀请码绑定；"
        "所有记录保留，可随时恢复。\n{cases}"
    ),
    "mbr_deactivate_cases": "TA 正在办理 {count} 件诉求件（{numbers}），停用后将退回系统重新分派给其他委员。",
    "mbr_deactivate_no_cases": "TA 目前没有正在办理的诉求件。",
    "mbr_deactivated": "已停用 {name}（{number}）：{cases} 件诉求件已重新分派，作废邀请码 {codes} 个。",
    "mbr_already_inactive": "{name} 已经是停用状态。",
    "mbr_reactivate_confirm": "确认恢复 <b>{name}</b>（{number}）？恢复后 TA 重新计入统计并可接收诉求件。",
    "mbr_reactivated_bound": "已恢复 {name}（{number}），TA 已绑定，可直接使用。",
    "mbr_reactivated_unbound": "已恢复 {name}（{number}）。TA 尚未绑定，可点“重发邀请”。",
    "mbr_already_active": "{name} 没有被停用。",
    "mbr_reroute_note": "委员 {name} 已停用",
    "mbr_cancelled": "已取消，未做任何更改。",
}

BUTTONS: dict[str, str] = {
    "mbr_pick": "{name}（{number}）{mark}",
    "mbr_mark_inactive": "·已停用",
    "mbr_mark_unbound": "·未绑定",
    "mbr_reissue": "🔑 重发邀请",
    "mbr_deactivate": "⛔ 停用",
    "mbr_reactivate": "♻️ 恢复",
    "mbr_deactivate_ok": "确认停用",
    "mbr_reactivate_ok": "确认恢复",
}
