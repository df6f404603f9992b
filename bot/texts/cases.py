"""Residents' requests as cases: states, routing, problems, the case cards and actions, deadlines."""

from __future__ import annotations

from bot.texts.catalogue import t

CASE_STATUS_NAMES: dict[str, str] = {
    "new": "待分派",
    "unassigned": "待协调员分派",
    "routed": "已分派",
    "accepted": "办理中",
    "resolved": "已办结",
    "reopened": "重新办理",
    "confirmed": "已确认解决",
    "closed": "已关闭",
}

# what each timeline row says happened
CASE_ACTION_NAMES: dict[str, str] = {
    "submit": "提交诉求",
    "route": "系统分派",
    "escalate": "无合适委员，转协调员",
    "assign": "人工分派",
    "reroute": "重新分派",
    "accept": "接收",
    "decline": "无法办理",
    "transfer": "转交",
    "release": "退回重新分派",
    "resolve": "办结",
    "confirm": "确认解决",
    "reopen": "未解决，重新办理",
    "close": "关闭",
    "withdraw": "撤回（群众已申请删除个人信息）",
    "remind": "提醒委员接收",
    "overdue": "超期提醒协调员",
    "ask": "再次询问群众是否解决",
}

CASE_ACTOR_NAMES: dict[str, str] = {
    "resident": "群众", "member": "委员", "coordinator": "协调员", "admin": "管理员", "system": "系统",
}

# depth of the deepest region a member shares with the case -> how near they are
NEAR_NAMES: dict[int, str] = {0: "外地", 1: "同省", 2: "同市", 3: "同区", 4: "同乡镇街道", 5: "同村社区"}


def routing_reason(detail: dict | None) -> str:
    """"同区·教育界·当前3件" from the codes the routing engine stores in the timeline."""
    if not detail:
        return ""
    parts: list[str] = []
    near = detail.get("near")
    parts.append("不限地区" if near is None else NEAR_NAMES.get(int(near), NEAR_NAMES[5]))
    if detail.get("sector"):
        parts.append(str(detail["sector"]))
    if detail.get("open") is not None:
        parts.append(f"当前{detail['open']}件")
    return "·".join(parts)


def case_problem(code: str, detail: dict) -> str:
    """The message for a CaseProblem/CaseNotAllowed (its `code` and `detail`), states in Chinese."""
    values = dict(detail)
    if "status" in values:
        values["status"] = CASE_STATUS_NAMES.get(str(values["status"]), str(values["status"]))
    return t(f"case_{code}", **values)

TEXTS: dict[str, str] = {
    # the routing file (CLI and start-up messages, rendered with plain())
    "routing_missing": "找不到诉求分派表文件：{path}（请检查 ROUTING_FILE 设置）",
    "routing_encoding": "无法识别诉求分派表的文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030）",
    "routing_empty": "诉求分派表是空的：至少需要表头“诉求类别,对口界别”和一行类别",
    "routing_header": "诉求分派表缺少表头“诉求类别”或“对口界别”",
    "routing_no_category": "诉求分派表第 {row} 行：缺少诉求类别",
    "routing_category_long": "诉求分派表第 {row} 行：诉求类别过长（最多 {high} 个字）",
    "routing_duplicate": "诉求分派表第 {row} 行：诉求类别“{category}”重复",
    "routing_unknown_sector": "诉求分派表第 {row} 行（{category}）：未知界别“{sector}”，请使用界别全称或简称",
    # what is wrong with a case action (CaseProblem.code -> text, see case_problem)
    "case_not_allowed": "当前状态（{status}）下不能进行此操作。",
    "case_not_yours": "这不是您的诉求件，无法操作。",
    "case_not_visible": "您无权查看该诉求件。",
    "case_changed": "该诉求件刚刚已被处理，请刷新后再看。",
    "case_note_required": "请填写理由。",
    "case_note_long": "理由最多 {high} 个字。",
    "case_result_required": "请填写办理结果（{low}–{high} 个字）。",
    "case_people_range": "人次应为 {low}–{high} 之间的整数。",
    "case_rating_range": "请给出 1–5 分的评价。",
    "case_reopen_expired": "已超过 {days} 天，不能再要求重新办理；如问题仍在，请提交新的诉求。",
    "case_close_too_early": "群众确认期（{days} 天）尚未结束，暂不能自动关闭。",
    "case_member_unavailable": "该委员目前无法接收诉求件（未绑定或已停用）。",
    "case_same_member": "该诉求件已经在这位委员手中。",
    "case_member_out_of_scope": "该委员不在您的管辖范围内，不能分派给 TA。",
    "case_category_unknown": "请选择列表中的诉求类别。",
    "case_description_length": "问题描述需要 {low}–{high} 个字，当前 {length} 个字。",
    "case_place_length": "地点最多 {high} 个字。",
    "case_photos_too_many": "最多附 {high} 张照片。",
    "case_region_unknown": "所选地区不存在，请重新选择。",
    "case_requester_required": "代为登记时请填写反映人的姓名。",
    "case_daily_limit": "您今天已提交 {count} 件诉求（每天最多 {limit} 件），请明天再提交。",
    "case_duplicate": "您在 {hours} 小时内已提交过一件相似的诉求（{number}），仍要再提交一件吗？",
    "case_relay_limit": "消息发送过于频繁，请稍后再发（每 {minutes} 分钟最多 {limit} 条）。",
    "case_relay_closed": "该诉求件已结束，不能再补充或回复。",
    "case_relay_empty": "消息不能为空。",
    "case_relay_long": "消息最多 {high} 个字。",
    # stored text (rendered with plain(), escaped later like any user text)
    "case_activity_summary": "诉求件 {number}（{category}）：{result}",
    # cards, lists, the timeline
    "case_card": (
        "<b>📮 诉求件 {number}</b>（{status}）\n"
        "类别：{category}\n地点：{place}\n反映人：{requester}\n电话：{phone}\n"
        "提交：{created}\n描述：{description}"
    ),
    "case_card_reception": "\n来源：接待日 · {station} · {day}",
    "case_requester_resident": "群众（通过本机器人）",
    "case_requester_recorded": "{name}（代为登记）",
    "case_phone_none": "未留",
    "case_new_for_member": "📮 您有一件新的诉求件，请在 48 小时内接收或说明无法办理。",
    "case_photo_caption": "诉求件 {number} 附图 {n}/{total}",
    "case_accepted_member": "✅ 已接收诉求件 {number}。可以点“回复”与群众沟通，办好后点“办结”。",
    "case_accepted_resident": "您的诉求 <b>{number}</b> 已由 {name} 委员接收办理。",
    "case_ask_decline": "请说明无法办理的原因（会转给其他委员或协调员）：",
    "case_declined": "已退回诉求件 {number}。",
    "case_ask_transfer": "转交给谁？（按对口程度排序）",
    "case_ask_transfer_reason": "请说明转交原因：",
    "case_transferred": "已转交诉求件 {number}。",
    "case_no_candidates": "暂时没有其他合适的委员，可以退回重新分派。",
    "case_ask_result": "请填写办理结果（{low}–{high} 个字），将发给群众确认：",
    "case_ask_people": "这件事联系了多少人次？（默认 1，直接点按钮或输入数字）",
    "case_resolved_member": "🏁 已办结诉求件 {number}，等待群众确认。",
    "case_result_for_resident": (
        "🏁 您的诉求 <b>{number}</b> 已办结。\n办理委员：{name}\n办理结果：{result}\n\n"
        "问题解决了吗？{days} 天内可以选择“未解决”要求重新办理。"
    ),
    "case_ask_rating": "感谢确认！请为这次办理打分：",
    "case_rated": "已记录您的评价（{rating} 分）。诉求 {number} 已办结。",
    "case_confirmed_member": "👍 群众确认诉求件 {number} 已解决（评价 {rating} 分），已计入您的履职记录（帮办实事）。",
    "case_reopened_resident": "已通知委员重新办理诉求 {number}。",
    "case_reopened_member": "👎 群众表示诉求件 {number} 未解决，请继续办理。",
    "case_closed_resident": "诉求 {number} 已关闭。如问题仍在，请提交新的诉求。",
    "case_reopened_staff": "⚠️ 诉求件 {number} 被群众退回重新办理（{name} 委员）。",
    "case_ask_message_member": "请输入要发给群众的消息（文字、照片或语音）：",
    "case_ask_message_resident": "请输入要补充的情况（文字、照片或语音），会转给办理委员：",
    "case_message_to_resident": "💬 关于诉求 <b>{number}</b>，{name} 委员回复：\n{text}",
    "case_message_to_member": "💬 诉求件 <b>{number}</b> 的群众补充：\n{text}",
    "case_message_sent": "已发送。",
    "case_message_held": "已记录在诉求件上；目前还没有委员接收，接收后委员可以看到。",
    "case_message_later": "已记录在诉求件上；暂时没能送达对方，机器人会自动再试，对方也能在诉求件中看到。",
    "case_for_staff": "⚠️ 诉求件 {number}（{category}，{place}）没有合适的委员，请分派：",
    "case_assigned_staff": "已把诉求件 {number} 分派给 {name}。",
    "case_assigned_resident": "您的诉求 <b>{number}</b> 已交由 {name} 委员（{sector}）办理。",
    "case_rerouted_resident": "您的诉求 <b>{number}</b> 已改由 {name} 委员（{sector}）办理。",
    "case_to_staff_resident": "您的诉求 <b>{number}</b> 正在等待协调员分派给合适的委员。",
    "case_ask_people_bad": "人次需要是 1–5000 之间的整数，请重新输入，或点按钮。",
    # /mycases (a resident's) and /cases (a member's)
    "mycases_header": "<b>我的诉求</b>（第 {start}–{end} 件，共 {total} 件）：",
    "mycases_empty": "您还没有提交过诉求。发送 /request 或点“📮 我要反映”提交。",
    "mycases_line": "{number} · {category} · {status} · {handler} · {updated}",
    "cases_header": "<b>我办理的诉求件</b>（共 {total} 件，最早的在前）：",
    "cases_empty": "目前没有交给您办理的诉求件。",
    "cases_line": "{number} · {category} · {status} · 已 {age} 天",
    "case_detail": (
        "<b>诉求 {number}</b>（{status}）\n类别：{category}\n地点：{place}\n办理委员：{handler}\n"
        "描述：{description}{result}\n\n<b>进展</b>\n{timeline}"
    ),
    "case_detail_result": "\n办理结果：{result}",
    "case_timeline_line": "{at} {action}{who}{note}",
    "case_handler_none": "待分派",
    "case_members_only": "抱歉，此功能仅限已绑定的政协委员使用。",
    # case deadlines (bot/services/deadlines.py), sent through the outbox
    "deadline_remind_member": "⏰ 诉求件 <b>{number}</b> 交给您已超过 {hours} 小时，还没有接收。请接收，或说明无法办理。",
    "deadline_reroute_note": "{hours} 小时未接收，系统改派",
    "deadline_new_for_member": "📮 您有一件新的诉求件 <b>{number}</b>（{category}），请在 48 小时内接收或说明无法办理。",
    "deadline_rerouted_staff": "⚠️ 诉求件 {number} 超时未被接收，已改派给 {to}。",
    "deadline_overdue_staff": "⚠️ 诉求件 {number}（{category}）已超过 {days} 天未办结，请关注。",
    "deadline_ask_resident": (
        "您的诉求 <b>{number}</b> 已办结：{result}\n问题解决了吗？请点下方按钮回复；{days} 天后没有回复将按已办结关闭。"
    ),
    "deadline_closed_note": "群众未确认，按已办结关闭",
    # the small form behind 回复 / 补充 / 办结 / 转交 / 无法办理 (handlers/case_action.py)
    "ca_busy": "您正在处理诉求件（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "ca_expired": "这次操作已超时取消，诉求件没有变化。",
    "ca_timeout": "⌛ 已超过 {minutes} 分钟没有操作，已自动取消，诉求件没有变化。",
    "ca_use_buttons": "请点选上面的按钮，或发送 /cancel 取消。",
    "ca_text_expected": "这一步（{step}）请直接输入文字，或发送 /cancel 取消。",
}

BUTTONS: dict[str, str] = {
    "case_view": "{number} {status}",
    "case_open": "查看诉求件",
    "case_accept": "✅ 接收",
    "case_decline": "🚫 无法办理",
    "case_transfer": "↪ 转交",
    "case_reply": "💬 回复",
    "case_resolve": "🏁 办结",
    "case_add": "➕ 补充",
    "case_solved": "👍 已解决",
    "case_unsolved": "👎 未解决",
    "case_rate": "{stars}",
    "case_release": "退回重新分派",
    "case_assign_to": "分派给 {name}（{reason}）",
    "people_one": "1 人次",
}

# the form's steps, named in "您正在…（当前步骤：…）"
FORM_STEPS: dict[str, dict[str, str]] = {
    "ca": {"target": "选择转交对象", "note": "填写内容", "people": "人次", "message": "填写消息"},
}
