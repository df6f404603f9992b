"""/request and /record: the form through which a resident (or a member for them) submits a request."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "req_closed": "诉求受理暂未开放（诉求分派表未能加载），请联系政协办公室。",
    "req_busy": "您正在提交诉求（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "req_expired": "这次诉求提交已超时取消，内容没有保存。需要时请重新发送 /request。",
    "req_timeout": "⌛ 诉求提交已超过 {minutes} 分钟没有操作，已自动取消，内容没有保存。需要时请重新发送 /request。",
    "req_use_buttons": "请点选上面的按钮，或发送 /cancel 取消。",
    "req_text_expected": "这一步（{step}）请直接输入文字回答，或发送 /cancel 取消。",
    "req_restart": "已放弃之前未提交的诉求，重新开始。",
    "req_cancelled": "已取消，本次诉求没有提交。",
    "req_via_member": "您将向 <b>{name}</b> 委员（{sector}）反映问题。",
    "req_ask_requester": "<b>代群众登记诉求</b>\n请输入反映人的姓名：",
    "req_ask_requester_phone": "反映人的手机号（没有请点“跳过”）：",
    "req_bad_requester": "姓名需要 1–32 个字，请重新输入。",
    "req_bad_phone": "这个号码看起来不是有效的手机号，请重新输入，或点“跳过”。",
    "req_ask_category": "<b>我要反映</b>（第 1/5 步）\n您的问题属于哪一类？",
    "req_ask_region": "（第 2/5 步）问题发生在哪里？请逐级选择地区，也可以直接输入地点名称，或发送位置。",
    "req_ask_region_in": "（第 2/5 步）已选：<b>{path}</b>。继续选择下一级，或点“就在…”。",
    "req_ask_description": "（第 3/5 步）请描述您遇到的问题（{low}–{high} 个字）：",
    "req_ask_photos": "（第 4/5 步）可以发送相关照片（最多 {high} 张），发完点“完成”；没有照片点“跳过”。",
    "req_ask_photos_existing": "（第 4/5 步）已附 {count} 张照片。可以保留，或清空后重新发送（最多 {high} 张）。",
    "req_photo_added": "已收到第 {count}/{high} 张照片。继续发送，或点“完成”。",
    "req_photos_full": "最多只能附 {high} 张照片，这张没有保存。请点“完成”继续。",
    "req_photos_expected": "这一步请发送照片，或点“完成”/“跳过”。",
    "req_ask_contact": "（第 5/5 步）方便的话，请点下方“📱 分享我的手机号”留下联系方式；不留请点“跳过”。",
    "req_contact_saved": "已记录手机号 {phone}。",
    "req_contact_or_skip": "不方便留号码，可以点“跳过”：",
    "req_ask_consent": "办理您诉求的委员可以看到您的手机号吗？（默认不公开，委员通过本机器人与您联系）",
    "req_location": "位置 {lat:.5f},{lon:.5f}",
    "req_card": (
        "<b>请确认诉求信息</b>\n"
        "{requester}类别：{category}\n地点：{place}\n描述：{description}\n照片：{photos} 张\n联系方式：{contact}"
    ),
    "req_card_requester": "反映人：{name}（{phone}）\n",
    "req_contact_none": "未留",
    "req_contact_hidden": "{phone}（委员看不到）",
    "req_contact_shown": "{phone}（委员可见）",
    "req_place_none": "未填写",
    "req_choose_field": "要修改哪一项？",
    "req_submitted": (
        "✅ 已提交，诉求编号 <b>{number}</b>。\n\n"
        "已交由 <b>{name}</b> 委员（{sector}）办理。委员接收后会在这里回复您；"
        "您可以随时发送 /mycases 查看进度，或点“补充”补充情况。"
    ),
    "req_submitted_staff": (
        "✅ 已提交，诉求编号 <b>{number}</b>。\n\n"
        "暂时没有合适的对口委员，已转交政协办公室的协调员分派，分派后会通知您。发送 /mycases 查看进度。"
    ),
    "req_submitted_short": "✅ 诉求 {number} 已提交。发送 /mycases 查看进度。",
    "req_recorded": "✅ 已登记，诉求编号 <b>{number}</b>，由您本人办理。发送 /cases 查看。",
}

BUTTONS: dict[str, str] = {
    "region_here": "✔ 就在{name}",
    "region_up": "⬆ 上一级",
    "region_skip": "不确定 / 跳过",
    "use_saved_phone": "使用已留号码 {phone}",
    "consent_yes": "允许委员看到我的手机号",
    "consent_no": "不允许（默认）",
    # the fields on the confirm card, to change one
    "field_category": "类别",
    "field_region": "地点",
    "field_description": "描述",
    "field_contact": "联系方式",
    "field_requester": "反映人",
}

# the form's steps, named in "您正在…（当前步骤：…）"
FORM_STEPS: dict[str, dict[str, str]] = {
    "req": {
        "requester": "反映人姓名", "requester_phone": "反映人电话", "category": "诉求类别", "region": "地点",
        "place_text": "地点", "description": "问题描述", "photos": "照片", "contact": "联系方式",
        "consent": "手机号是否公开给委员", "confirm": "确认", "field": "修改", "duplicate": "确认重复诉求",
    },
}
