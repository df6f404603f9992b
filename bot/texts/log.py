"""/log: the form that records a contact activity, and what is wrong with an activity."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "log_members_only": "抱歉，登记联系活动仅限已绑定的政协委员使用。委员请通过政协办公室发给您的邀请链接完成绑定。",
    "log_restart": "已放弃之前未提交的登记，重新开始。",
    "log_busy": "您正在登记联系活动（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "log_ask_kind": "<b>登记联系活动</b>{step}\n请选择活动类型：",
    "log_ask_date": "{step}活动日期是哪天？\n点按钮，或直接输入日期，如 <code>2026-11-20</code>、<code>11-20</code>、<code>11月20日</code>。",
    "log_ask_place": "{step}在哪里开展的？请选择联系点，或点“其他”输入地点/单位名称：",
    "log_ask_place_text": "请输入地点或单位名称（{low}–{high} 个字）：",
    "log_ask_people": "{step}联系了多少人次？请输入数字，如 <code>12</code>、<code>12人</code> 或 <code>十二</code>。",
    "log_ask_summary": "{step}请简要描述活动内容（{low}–{high} 个字）：",
    "log_ask_photos": "{step}可以发送活动照片（最多 {high} 张），发完点“完成”；没有照片点“跳过”。",
    "log_ask_photos_existing": "{step}已附 {count} 张照片。可以保留，或清空后重新发送（最多 {high} 张）。",
    # the step's number in its flow: /log's six steps, or the three of a reception day's card (handlers/log_activity.py)
    "log_step": "（第 {n}/{total} 步）",
    "log_text_expected": "这一步（{step}）请直接输入文字回答，或发送 /cancel 取消。",
    "log_edit_cancelled": "修改已取消，活动 #{id} 保持原样。",
    "log_edit_abandoned": "已放弃对活动 #{id} 的修改（活动保持原样），重新开始登记。",
    "log_photo_added": "已收到第 {count}/{high} 张照片。继续发送，或点“完成”。",
    "log_photos_full": "最多只能附 {high} 张照片，这张没有保存。请点“完成”继续。",
    "log_photos_expected": "这一步请发送照片，或点“完成”/“跳过”。",
    "log_card": (
        "<b>请确认活动信息</b>\n"
        "类型：{kind}\n日期：{date}\n地点：{place}\n人次：{people}\n照片：{photos} 张\n内容：{summary}"
    ),
    "log_card_edit_title": "<b>修改活动 #{id}</b>\n",
    "log_choose_field": "要修改哪一项？",
    "log_duplicate": "已有一条相同记录（#{id}：{date} {kind} {place}），仍要提交吗？",
    "log_saved": "✅ 已保存，活动编号 <b>#{id}</b>。\n\n{standing}",
    "log_updated": "✅ 活动 #{id} 已修改。\n\n{standing}",
    "log_saved_short": "✅ 活动 #{id} 已保存。发送 /my 查看进度。",
    "log_updated_short": "✅ 活动 #{id} 已修改。发送 /my 查看进度。",
    "log_cancelled": "已取消，本次登记没有保存。",
    "log_timeout": "⌛ 登记已超过 {minutes} 分钟没有操作，已自动取消，内容没有保存。需要时请重新发送 /log。",
    "log_expired": "这次登记已超时取消，内容没有保存。需要时请重新发送 /log。",
    "log_bad_kind": "请点选下面的活动类型按钮。",
    "log_bad_date": "没看懂这个日期。请输入如 <code>2026-11-20</code>、<code>11-20</code> 或 <code>11月20日</code>，或点按钮。",
    "log_use_buttons": "请点选上面的按钮，或发送 /cancel 取消。",
    # what is wrong with an activity (ActivityProblem.code -> text)
    "problem_date_future": "活动日期不能是将来的日期，请重新输入。",
    "problem_date_too_old": "只能登记 {earliest} 及以后的活动，请重新输入。",
    "problem_date_too_old_grace_over": (
        "只能登记 {earliest} 及以后的活动：上一季度的补登期（季度结束后 {days} 天）已过。请重新输入。"
    ),
    "problem_people_range": "人次需要是 {low} 到 {high} 之间的整数，例如 <code>12</code>。请重新输入。",
    "problem_summary_short": "活动内容太短了，请至少写 {low} 个字。",
    "problem_summary_long": "活动内容最多 {high} 个字，现在有 {length} 个字，请精简后重新发送。",
    "problem_place_vague": "请输入具体的地点或单位名称，例如“城关区某某社区”。",
    "problem_place_length": "地点名称需要 {low}–{high} 个字，请重新输入。",
    "problem_kind_unknown": "这个活动类型已不在配置中，请重新选择。",
    "problem_photos_too_many": "最多只能附 {high} 张照片。",
    "problem_not_found": "没有找到这条活动记录（可能已删除）。",
    "problem_locked": "该活动登记已超过 {days} 天，已锁定，不能再修改或删除。如需更正请联系政协办公室。",
}

BUTTONS: dict[str, str] = {
    "today": "今天",
    "yesterday": "昨天",
    "place_other": "其他（输入地点）",
    "place_other_chosen": "其他",
    "photos_keep": "保留这 {count} 张",
    # the fields on the confirm card, to change one
    "field_kind": "类型",
    "field_date": "日期",
    "field_place": "地点",
    "field_people": "人次",
    "field_summary": "内容",
    "field_photos": "照片",
}

# the form's steps, named in "您正在…（当前步骤：…）"
FORM_STEPS: dict[str, dict[str, str]] = {
    "log": {
        "kind": "选择类型", "date": "活动日期", "place": "地点", "place_text": "地点", "people": "人次",
        "summary": "活动内容", "walk_ins": "未扫码人次", "photos": "照片", "confirm": "确认", "field": "修改", "duplicate": "确认重复记录",
    },
}
