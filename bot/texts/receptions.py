"""Reception days (委员接待日): the /reception form, finding and signing up, the member's list, the reminder."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # the /reception form (handlers/reception_form.py)
    "rcv_busy": "您正在安排接待日（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "rcv_expired": "这次接待日安排已超时取消，内容没有保存。需要时请重新发送 /reception。",
    "rcv_timeout": "⌛ 接待日安排已超过 {minutes} 分钟没有操作，已自动取消，内容没有保存。需要时请重新发送 /reception。",
    "rcv_use_buttons": "请点选上面的按钮，或发送 /cancel 取消。",
    "rcv_text_expected": "这一步（{step}）请直接输入文字回答，或发送 /cancel 取消。",
    "rcv_choose_field": "要修改哪一项？",
    "rcv_not_allowed": "只有驻站委员或负责该工作站的协调员可以安排接待日。",
    "rcv_no_stations": "您还没有驻站的委员工作站或工作室，暂时不能安排接待日。如有疑问请联系政协办公室。",
    "rcv_restart": "已放弃之前未保存的接待日安排，重新开始。",
    "rcv_cancelled": "已取消，接待日没有保存。",
    "rcv_ask_station": "<b>安排委员接待日</b>（第 1/5 步）\n在哪个工作站（工作室）接待？",
    "rcv_ask_member": "（第 1/5 步 · 接待委员）<b>{station}</b> 有几位驻站委员，由哪位委员接待？",
    "rcv_ask_date": (
        "（第 2/5 步）在 <b>{station}</b> 接待的日期？\n例如：12月10日、2026-12-10、明天"
    ),
    "rcv_ask_span": "（第 3/5 步）几点到几点？例如：9:00-11:30",
    "rcv_ask_topic": "（第 4/5 步）接待主题（{low}–{high} 个字），例如：听取群众对老旧小区改造的意见",
    "rcv_ask_capacity": "（第 5/5 步）最多接待多少人报名？请输入数字；不限人数点“不限”。",
    "rcv_bad_date": "没看懂这个日期。请按“12月10日”或“2026-12-10”的格式输入。",
    "rcv_bad_span": "没看懂这个时间段。请按“9:00-11:30”或“下午2点到4点半”的格式输入开始和结束时间。",
    "rcv_card": (
        "<b>请确认接待日</b>\n工作站：{station}\n接待委员：{member}\n时间：{when}\n主题：{topic}\n报名人数：{capacity}"
    ),
    "rcv_card_unbound": (
        "\n⚠️ {member} 委员还没有绑定 Telegram：接待日提醒和接待日后的活动卡片都发不到该委员，"
        "请联系政协办公室为其发邀请码绑定。"
    ),
    "rcv_card_edit": (
        "<b>修改接待日</b>（已报名的群众会收到变更通知）\n工作站：{station}\n接待委员：{member}\n时间：{when}\n"
        "主题：{topic}\n报名人数：{capacity}"
    ),
    "rcv_saved": (
        "✅ 接待日已安排：{station}，{when}。\n群众可以通过“📅 接待日”找到并报名；{reminder}"
        "发送 /myreceptions 查看、修改或取消。"
    ),
    "rcv_saved_reminder": "前一天会提醒报名的群众和您。",
    "rcv_saved_no_reminder": "前一天的提醒时间已过，这场不再提醒报名的群众。",
    "rcv_changed": "✅ 接待日已修改：{when}。已通知 {count} 位报名的群众。",
    # rules (bot/services/receptions.py: ReceptionProblem codes)
    "rcp_problem_end_before_start": "结束时间（{end}）要晚于开始时间（{start}），请重新输入。",
    "rcp_problem_past": "开始时间 {when} 已经过去，接待日不能安排在过去，请选以后的时间。",
    "rcp_problem_past_day": "{day} 已经过去，接待日不能安排在过去的日期，请重新输入。",
    "rcp_problem_too_far": "接待日最多只能提前 {days} 天安排，请选近一些的日期。",
    "rcp_problem_topic_length": "主题需要 {low}–{high} 个字，请重新输入。",
    "rcp_problem_capacity": "请输入 1–{high} 之间的数字，或点“不限”。",
    "rcp_problem_overlap": (
        "这个时间与{member}委员已安排的接待日重叠：{station}，{when}（编号 {id}）。"
        "同一位委员的接待日时间不能重叠，请换一个时间。"
    ),
    "rcp_problem_capacity_below": "已有 {taken} 人报名，人数上限不能少于 {taken}。",
    "rcp_problem_not_allowed": "您不是这个工作站的驻站委员，也不负责这个工作站，不能在这里安排接待日。",
    "rcp_problem_member_not_on_duty": "这位委员已不在这个工作站驻站，请重新选择。",
    "rcp_problem_no_member": "这个工作站还没有驻站委员，不能安排接待日。请联系政协办公室。",
    "rcp_problem_not_found": "没有找到这个接待日，或您无权查看。",
    "rcp_problem_cancelled": "这个接待日已取消。",
    "rcp_problem_started": "这个接待日已经开始或结束，不能再修改或取消。",
    "rcp_problem_over": "这个接待日已经结束。",
    "rcp_problem_already": "您已经报名了这个接待日，不用重复报名。",
    "rcp_problem_full": "这个接待日已报满（{capacity} 人），暂时不能报名。",
    "rcp_capacity": "最多 {capacity} 人",
    "rcp_capacity_none": "不限",
    # notices through the outbox
    "rcp_cancelled_notice": (
        "📅 <b>接待日取消通知</b>\n您报名的 {station} 接待日（{when}，主题：{topic}）已取消。\n"
        "抱歉给您带来不便；可以发送 /receptions 查看其他接待日。"
    ),
    "rcp_changed_notice": (
        "📅 <b>接待日变更通知</b>\n您报名的 {station} 接待日有变动：\n时间：{when}（原为 {before}）\n主题：{topic}\n"
        "不能参加的话，可以发送 /mysignups 取消报名。"
    ),
    "rcp_changed_for_member": "📅 政协办公室修改了您的接待日：{station}，{when}，主题：{topic}。已通知报名的群众。",
    "rcp_cancelled_for_member": "📅 政协办公室取消了您在 {station} {when} 的接待日，已通知 {count} 位报名的群众。",
    "rcp_scheduled_for_member": (
        "📅 政协办公室为您安排了接待日：{station}，{when}，主题：{topic}。\n发送 /myreceptions 查看或修改。"
    ),
    "rcp_reminder": (
        "⏰ <b>接待日提醒</b>\n您报名了{day}的委员接待日：\n地点：{station}（{address}）\n时间：{when}\n主题：{topic}\n"
        "接待委员：{member}\n不能参加的话，请发送 /mysignups 取消报名。"
    ),
    "rcp_reminder_member": (
        "⏰ <b>接待日提醒</b>\n{day}您在 {station} 接待群众：{when}，主题：{topic}。\n目前已有 {count} 人报名。"
    ),
    "rcp_day_today": "今天",
    "rcp_day_tomorrow": "明天",
    # finding and signing up (handlers/receptions.py)
    "rcp_find_location": "📅 <b>委员接待日</b>\n点下方“📍 发送我的位置”，查看离您最近的接待日；",
    "rcp_find_region": "或按地区查找：",
    "rcp_nearest_intro": "已收到您的位置。",
    "rcp_nearest_title": "<b>离您最近的接待日</b>（没有位置信息的工作站排在后面）",
    "rcp_none_coming": "近期还没有安排接待日。",
    "rcp_region_title": "<b>{path}</b> 的接待日：",
    "rcp_region_none": "<b>{path}</b> 近期还没有接待日。可以继续选择下一级地区，或返回上一级。",
    "rcp_member_title": "<b>{name}</b> 委员的接待日：",
    "rcp_member_none": "{name} 委员近期还没有安排接待日。",
    "rcp_line": "{index}. {when}{number}\n   {station}{distance}\n   主题：{topic}（{member} 委员）· {seats}",
    "rcp_number": "（编号 {id}）",
    "rcp_distance": "（约 {km} 公里）",
    "rcp_seats": "已报名 {taken}/{capacity}",
    "rcp_seats_open": "已报名 {taken} 人",
    "rcp_seats_full": "已报满（{taken} 人）",
    "rcp_detail": (
        "📅 <b>{station}</b>\n地址：{address}\n地区：{region}\n时间：{when}\n主题：{topic}\n接待委员：{member}\n{seats}"
    ),
    "rcp_you_signed_up": "✅ 您已报名。",
    "rcp_phone_hint": "如需给接待委员留电话，可以先点菜单里的“📱 分享我的手机号”，再来报名。",
    "rcp_signed_up": (
        "✅ 已报名：{station}（{address}）\n时间：{when}\n主题：{topic}\n{phone}{reminder}"
    ),
    "rcp_signed_up_reminder": "\n前一天会提醒您。",
    "rcp_signed_up_soon": "\n接待日临近，不再另发提醒，请记好时间。",
    "rcp_phone_shared": "接待委员可以看到您的名字和手机号 {phone}。",
    "rcp_phone_not_shared": "没有留电话，接待委员只知道有一位群众报名，看不到您的名字和手机号。",
    "rcp_not_signed_up": "您没有报名这个接待日（或已经取消）。",
    "rcp_unsigned": "已取消报名：{station}，{when}。",
    "rcp_unsign_day_cancelled": (
        "这场接待日（{station}，{when}）已被接待方（委员或政协办公室）取消，不是您取消的报名；您不用再做什么。"
        "可以发送 /receptions 查看其他接待日。"
    ),
    "rcp_mine_title": "<b>我报名的接待日</b>",
    "rcp_mine_none": "您还没有报名近期的接待日。发送 /receptions 查找。",
    # the member's own (handlers/receptions.py)
    "rcp_held_title": "<b>我的接待日</b>（即将举行）",
    "rcp_held_none": "您近期没有安排接待日。发送 /reception 安排一个。",
    "rcp_cancel_question": "确定取消 {station} {when} 的接待日吗？已报名的 {count} 位群众会收到取消通知。",
    "rcp_cancel_done": "已取消 {when} 的接待日，已通知 {count} 位报名的群众。",
    "rcp_attendees_title": "<b>{station}</b> {when}：已报名 {count} 人",
    "rcp_attendee": "{index}. {name}（{phone}）",
    "rcp_attendee_anonymous": "{index}. 报名群众（未留电话）",
    "rcp_attendee_checked_in": " ✅ 已签到",
    "rcp_attendees_checkins": "，扫码签到 {checkins} 人（含未报名的）",
}

BUTTONS: dict[str, str] = {
    "menu_receptions": "📅 接待日",
    "rcv_no_limit": "不限",
    "rcv_member_unbound": "{name}（未绑定）",
    "field_member": "接待委员",
    "field_station": "工作站",
    "field_span": "时间",
    "field_topic": "主题",
    "field_capacity": "人数",
    "rcp_share_location": "📍 发送我的位置",
    "rcp_open": "{index} 查看/报名",
    "rcp_mine": "我报名的接待日",
    "rcp_signup": "✅ 报名（不留电话）",
    "rcp_signup_phone": "✅ 报名并留电话 {phone}（委员可见）",
    "rcp_unsign": "取消报名",
    "rcp_edit": "✏️ 修改{index}",
    "rcp_cancel": "🚫 取消{index}",
    "rcp_attendees": "👥 名单{index}",
    "rcp_attendees_all": "👥 报名名单",
    "rcp_cancel_ok": "确认取消接待日",
    "rcp_member_days": "📅 {name} 委员的接待日",
}

FORM_STEPS: dict[str, dict[str, str]] = {
    "rcv": {
        "station": "工作站", "member": "接待委员", "date": "日期", "span": "时间", "topic": "主题", "capacity": "报名人数",
        "confirm": "确认", "field": "修改",
    },
}
