"""/broadcast: a notice from a coordinator or admin to the members in their scope."""

from __future__ import annotations

from bot.texts.catalogue import t

TEXTS: dict[str, str] = {
    "bc_ask_text": (
        "📢 <b>发通知</b>（范围：{scope}）\n请输入通知内容（纯文字，最多约 4000 字；附图时最多约 1000 字）。"
        "也可以直接发送一张带文字说明的图片。发送 /cancel 取消。"
    ),
    "bc_ask_photo": "如需附一张图片，请现在发送；不需要请点“跳过”。",
    "bc_photo_expected": "这一步请发送一张图片，或点“跳过”；要修改文字请发送 /cancel 后重新开始。",
    "bc_photo_kept": "图片已收到。",
    "bc_caption_needed": "请在图片的说明里写上通知内容，或先输入文字、下一步再发图片。",
    "bc_empty": "通知内容不能为空，请重新输入。",
    "bc_too_long": "通知太长（{length} 字，连同标题最多 {high} 字），请缩短后重新输入。",
    "bc_caption_too_long": "附图时通知连同标题最多 {high} 字，现在是 {length} 字。请点“跳过”不附图，或发送 /cancel 后缩短文字。",
    "bc_ask_audience": "发送给谁？",
    "bc_nobody": "“{audience}”中没有可送达的委员（共 {members} 位，均未绑定或已屏蔽机器人）。请换一个发送对象。",
    "bc_preview_head": "👀 预览：委员收到的通知如下",
    "bc_summary": (
        "发送对象：{audience}（{scope}）\n将送达 <b>{count}</b> 位委员"
        "（共 {members} 位，其中未绑定 {unbound} 位、已屏蔽机器人 {blocked} 位，收不到）。\n确认发送吗？"
    ),
    "bc_restart": "已放弃刚才的通知，重新开始。",
    "bc_cancelled": "已取消，通知没有发送。",
    "bc_busy": "您正在编写通知（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "bc_expired": "这次通知编写已超时取消，没有发送。需要时请重新发送 /broadcast。",
    "bc_timeout": "⌛ 通知编写已超过 {minutes} 分钟没有操作，已自动取消，没有发送。需要时请重新发送 /broadcast。",
    "bc_use_buttons": "请点选上面的按钮，或发送 /cancel 取消。",
    "bc_text_expected": "这一步（{step}）请直接输入文字，或发送 /cancel 取消。",
    "bc_preparing": "📢 正在准备发送……",
    "bc_queued": "📢 通知已进入发送队列，共 {count} 位委员。发送进度会显示在这里。",
    "bc_saved_short": "通知已确认并进入发送队列，请勿重复发送。",
    # the notice as members see it, and the sender's progress message
    "bc_notice": "📢 <b>通知</b>（{scope}）\n{body}",
    "bc_progress": "📢 通知发送中：{done}/{total}\n已送达 {sent}，对方屏蔽 {blocked}，失败 {failed}",
    "bc_done": "✅ <b>通知发送完毕</b>：共 {total} 位\n已送达 {sent}，对方屏蔽机器人 {blocked}，发送失败 {failed}",
    # added to either line when some sends lost their connection before Telegram answered
    "bc_unknown": "，可能已发送 {unknown}（网络中断，未重发）",
}

BUTTONS: dict[str, str] = {
    "bc_to_all": "范围内全部委员",
    "bc_to_lagging": "落后的委员",
    "bc_send": "✅ 确认发送（{count} 位）",
    "bc_change": "重新编写",
}

# the form's steps, named in "您正在…（当前步骤：…）"
FORM_STEPS: dict[str, dict[str, str]] = {
    "bc": {"text": "通知内容", "photo": "图片", "audience": "发送对象", "confirm": "确认发送"},
}


def render_notice(*, body: str, scope: str) -> str:
    """A broadcast as members see it: the sender's scope, then the text as typed (escaped)."""
    return t("bc_notice", scope=scope, body=body)


def render_broadcast_progress(broadcast, counts) -> str:  # noqa: ANN001 - models.Broadcast, broadcasts.Tally
    """The one progress message of a broadcast: running counts, then the tally."""
    values = {"total": counts.total, "sent": counts.sent, "blocked": counts.blocked, "failed": counts.failed}
    text = t("bc_done", **values) if counts.finished else t("bc_progress", done=counts.done, **values)
    return text + t("bc_unknown", unknown=counts.unknown) if counts.unknown else text
