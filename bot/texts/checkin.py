"""Check-in at the door of a reception day: the resident's lines, the member's QR and card, the poster."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # the resident who scans
    "checkin_counted": (
        "✅ 签到成功！\n{station}\n{span}\n主题：{topic}\n\n"
        "有问题要反映？点下面的按钮，您的诉求会直接交给今天接待的{name}委员。"
    ),
    "checkin_already": "您已签到（{station}，{span}），不用再扫。有问题要反映，点下面的按钮。",
    "checkin_not_open": "签到还没有开始：本场接待日的签到将于 {opens} 开放，届时请再扫码。这次扫码不计人次。",
    "checkin_closed": "这场接待日的签到已经结束，这次扫码不计人次。",
    "checkin_invalid": "这个签到二维码无效或已失效，没有签到。请扫描接待现场张贴的二维码。",
    # the member's QR
    "checkin_qr_members_only": "签到二维码仅限委员使用。",
    "checkin_qr_none": "您近期没有安排接待日。",
    "checkin_qr_choose": "请选择要生成签到二维码的接待日：",
    "checkin_qr_caption": "{station} {span}\n签到二维码：请打印张贴在接待现场门口，群众扫码即签到。",
    "checkin_qr_issued_before": (
        "这场接待日已经生成过签到二维码。为安全起见，二维码只在生成时显示一次。\n"
        "如需再次获取，请重新生成：之前发出或打印的二维码将随即失效。"
    ),
    "checkin_qr_stale": "这场接待日已不能生成签到二维码（已取消、签到已结束，或不是您的接待日）。",
    # the resident's request after checking in
    "checkin_request_stale": "只有在这场接待日签到的群众，才能从这里直接向接待委员反映问题（签到结束后 24 小时内）。请发送 /request 提交诉求。",
    "checkin_request_via": "您在“{station}”接待日签到后反映问题，诉求将直接交给接待的{name}委员（{sector}）。",
    # the member's card when check-in has closed (built on the /log card)
    "checkin_card_title": "<b>接待日已结束，请补充活动记录</b>\n",
    "checkin_card_pending": "（待填写）",
    "checkin_card_people": "{total}（其中扫码核实 {verified} 人次）",
    "checkin_card_people_walk_ins": "{total}（其中扫码核实 {verified} 人次，未扫码 {walk_ins} 人次）",
    "checkin_card_cases": "\n当天群众反映的诉求：{cases}",
    "checkin_card_case": "{number}（{category}）",
    "checkin_card_no_cases": "\n当天没有群众提交诉求。",
    "checkin_card_hint": "\n\n点下面的按钮补充活动内容，以及未扫码的来访人次，确认后保存为一条履职活动。",
    "checkin_card_start": "<b>登记接待日活动</b>\n{station}，{date}，扫码签到 {checkins} 人次。",
    "checkin_ask_walk_ins": (
        "{step}除扫码签到的 {verified} 人次外，还有多少位群众来访但没有扫码？请输入数字（0–{high}）；没有请点“没有”。"
    ),
    "checkin_bad_walk_ins": "请输入 0–{high} 之间的数字，或点“没有”。",
    "checkin_walk_ins_needed": "这场接待日没有人扫码签到，请输入来访的人数（1–{high}）。",
    "checkin_card_not_yours": "这不是您接待的接待日，不能登记。",
    "checkin_card_cancelled": "这场接待日已取消，不能登记为活动。",
    "checkin_card_saved": "这场接待日已经登记为活动 #{id}，不用再提交。发送 /my 查看。",
    "checkin_card_too_early": "签到到 {at} 才结束，请到时再补充活动记录。",
    "checkin_card_walk_ins_range": "未扫码人次请输入 0–{high} 之间的数字。",
    "problem_people_below_verified": "这条活动有 {verified} 人次是扫码签到核实的，人次不能少于 {verified}。",
    "problem_reception_fixed": "这条活动由接待日登记，类型、日期和地点以接待日为准，不能修改；可以修改人次、内容和照片。",
}

BUTTONS: dict[str, str] = {
    "checkin_request": "📮 有问题要反映",
    "checkin_rotate": "🔄 重新生成（旧码失效）",
    "checkin_card_open": "📝 补充并提交",
    "walk_ins_none": "没有",
    "field_walk_ins": "未扫码人次",
}

CLI: dict[str, str] = {
    "help_checkin_qr": "生成接待日的 A5 签到海报（PNG，300 DPI）；会生成新的签到码，之前的签到二维码随即失效",
    "epilog_checkin_qr": "示例：python -m bot stations qr --reception 12 --out 签到.png",
    "help_reception": "接待日编号",
    "help_poster_out": "海报保存到哪个 PNG 文件",
    "metavar_reception": "编号",
    "checkin_qr_unknown": "没有编号为 {id} 的接待日。",
    "checkin_qr_over": "接待日 {id} 已取消或签到已结束，不再生成签到二维码。",
    "checkin_qr_out_bad": "不能写入 {path}：{error}。签到码保持不变。",
    "checkin_qr_commit_failed": "数据库没有保存新的签到码，海报没有生成，之前的签到二维码仍然有效。",
    "checkin_qr_done": "已生成签到海报：{path}（{station}，{span}）。之前的签到二维码已失效。",
    # the poster
    "poster_title": "委员接待日",
    "poster_scan": "扫码签到",
    "poster_topic": "主题：{topic}",
    "poster_hint": "用手机相机扫码，在 Telegram 中打开后点“开始”即签到",
}
