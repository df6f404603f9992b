"""The one catalogue of user-facing texts (简体中文), rendered as Telegram HTML.

Every value passed to `t()` is HTML-escaped unless wrapped in `Safe` (already-rendered
HTML made by this module). Templates use str.format fields.
"""

from __future__ import annotations

from html import escape

from models import Level


class Safe(str):
    """HTML produced by us; `t()` inserts it as is."""


def t(key: str, /, **values: object) -> str:
    """Render text `key` with every value escaped (except `Safe` ones)."""
    template = TEXTS[key]
    if not values:
        return template
    rendered = {k: v if isinstance(v, Safe) else escape(str(v), quote=False) for k, v in values.items()}
    return template.format(**rendered)


def progress_bar(value: float, target: float, width: int = 10) -> str:
    """▓▓▓▓░░░░░░ 40% — filled in proportion to value/target, capped at full."""
    if target <= 0:
        return "▓" * width + " 100%"
    share = min(value / target, 1.0)
    filled = int(share * width + 1e-9)
    return "▓" * filled + "░" * (width - filled) + f" {int(share * 100)}%"


def number(value: float) -> str:
    """3.0 -> '3', 2.5 -> '2.5'."""
    return f"{value:g}"


LEVEL_NAMES = {Level.national: "全国", Level.province: "省", Level.city: "市", Level.county: "县"}
ROLE_NAMES = {"admin": "管理员", "coordinator": "协调员", "member": "委员", "resident": "界别群众"}
SCOPE_NAMES = {"group": "活动组", "sector": "界别", "region": "地区"}

# command -> description, per role; the menus Telegram shows
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "resident": [
        ("start", "开始 / 主菜单"),
        ("help", "使用说明"),
    ],
    "member": [
        ("log", "登记联系活动"),
        ("my", "我的履职进度"),
        ("archive", "导出履职档案"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
    "coordinator": [
        ("status", "范围内委员概况"),
        ("report", "季度报告（如 /report 2026Q3）"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
    "admin": [
        ("status", "全部委员概况"),
        ("report", "季度报告（如 /report 2026Q3）"),
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
}

# button labels and choice marks: plain text (Telegram does not parse markup in buttons)
BUTTONS: dict[str, str] = {
    # the member's reply keyboard; pressing one is the same as its command
    "menu_log": "📝 登记活动",
    "menu_my": "📊 我的进度",
    "menu_archive": "📁 履职档案",
    "menu_help": "❓ 帮助",
    "share_phone": "📱 分享我的手机号",
    # the /log form
    "cancel": "取消",
    "today": "今天",
    "yesterday": "昨天",
    "place_other": "其他（输入地点）",
    "place_other_chosen": "其他",
    "done": "完成",
    "skip": "跳过",
    "photos_keep": "保留这 {count} 张",
    "photos_clear": "清空重新上传",
    "photos_cleared": "已清空",
    "photos_count": "{count} 张照片",
    "submit": "确认提交",
    "change": "修改",
    "back": "返回",
    "duplicate_yes": "仍要提交",
    "duplicate_no": "返回修改",
    "field_kind": "类型",
    "field_date": "日期",
    "field_place": "地点",
    "field_people": "人次",
    "field_summary": "内容",
    "field_photos": "照片",
    # /my and saved activities
    "quarter_prev": "◀ 上一季度",
    "quarter_next": "下一季度 ▶",
    "page_prev": "上一页",
    "page_next": "下一页",
    "activity_open": "#{id} {date} 查看/修改",
    "activity_view": "#{id} {date} 查看",
    "edit": "编辑",
    "delete": "删除",
    "delete_confirm": "确认删除",
}

# the step a user is at in each form, named in "您正在…（当前步骤：…）"
FORM_STEPS: dict[str, dict[str, str]] = {
    "log": {
        "kind": "选择类型", "date": "活动日期", "place": "地点", "place_text": "地点", "people": "人次",
        "summary": "活动内容", "photos": "照片", "confirm": "确认", "field": "修改", "duplicate": "确认重复记录",
    },
}

# the duty archive spreadsheet
ARCHIVE: dict[str, str] = {
    "sheet": "履职档案",
    "title": "{name}（{number}）履职档案",
    "sector": "界别：{sector}",
    "group": "活动组：{group}",
    "subtotal": "{quarter} 小计",
    "count": "{count} 次",
    "total": "合计",
    "filename": "履职档案_{number}_{day}.xlsx",
}
ARCHIVE_COLUMNS = ["季度", "编号", "日期", "活动类型", "地点/单位", "人次", "积分", "照片数", "活动内容"]


def label(key: str, /, **values: object) -> str:
    """A button label (plain text, not escaped: buttons show text as is)."""
    return BUTTONS[key].format(**values)


TEXTS: dict[str, str] = {
    # --- start, binding -------------------------------------------------------
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
    # --- help -----------------------------------------------------------------
    "help_header": "<b>连心桥 使用说明</b>（您的身份：{roles}）\n",
    "help_line": "/{command} — {description}",
    "help_resident_note": "\n委员请通过政协办公室发给您的专属邀请链接打开本机器人，完成身份绑定。",
    "help_member_note": (
        "\n履职要求：每季度至少开展 {quarter_target} 次联系活动，全年联系群众不少于 {year_target} 人次。"
    ),
    # --- status ---------------------------------------------------------------
    "status_admin": "<b>概况（全部）</b>\n在册委员：{members}\n已绑定：{bound}\n群众用户：{residents}",
    "status_coordinator": "<b>概况（{scopes}）</b>\n在册委员：{members}\n已绑定：{bound}",
    "not_allowed": "抱歉，您没有使用此功能的权限。",

    # --- /log -----------------------------------------------------------------
    "log_members_only": "抱歉，登记联系活动仅限已绑定的政协委员使用。委员请通过政协办公室发给您的邀请链接完成绑定。",
    "log_restart": "已放弃之前未提交的登记，重新开始。",
    "log_busy": "您正在登记联系活动（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "log_ask_kind": "<b>登记联系活动</b>（第 1/6 步）\n请选择活动类型：",
    "log_ask_date": "（第 2/6 步）活动日期是哪天？\n点按钮，或直接输入日期，如 <code>2026-11-20</code>、<code>11-20</code>、<code>11月20日</code>。",
    "log_ask_place": "（第 3/6 步）在哪里开展的？请选择联系点，或点“其他”输入地点/单位名称：",
    "log_ask_place_text": "请输入地点或单位名称（{low}–{high} 个字）：",
    "log_ask_people": "（第 4/6 步）联系了多少人次？请输入数字，如 <code>12</code>、<code>12人</code> 或 <code>十二</code>。",
    "log_ask_summary": "（第 5/6 步）请简要描述活动内容（{low}–{high} 个字）：",
    "log_ask_photos": "（第 6/6 步）可以发送活动照片（最多 {high} 张），发完点“完成”；没有照片点“跳过”。",
    "log_ask_photos_existing": "（第 6/6 步）已附 {count} 张照片。可以保留，或清空后重新发送（最多 {high} 张）。",
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
    # --- standing, /my --------------------------------------------------------
    "standing": (
        "<b>{quarter}</b>\n"
        "{which}活动：{q_count} 次（要求 ≥{q_target}）{q_mark}\n"
        "{which}人次：{q_people}　积分：{q_points}\n"
        "<b>{year} 年</b>\n"
        "全年活动：{y_count} 次\n"
        "联系群众：{y_people}/{y_target} 人次 {y_mark}\n"
        "{bar}\n"
        "{pace}\n"
        "全年积分：{y_points}　{rank}"
    ),
    "standing_this_quarter": "本季度",
    "standing_that_quarter": "该季度",
    "standing_year_met": "全年已达标",
    "standing_year_missed": "⚠️ 全年未达标，差 {gap} 人次",
    "standing_pace_ok": "进度正常（按全年进度此时应达到 {expected} 人次）",
    "standing_pace_behind": "⚠️ 进度落后：按全年进度此时应达到 {expected} 人次，还差 {gap} 人次",
    "standing_rank": "在{label}排名第 {rank}/{peers}",
    "standing_peer_sector": "本界别",
    "standing_no_rank": "暂无排名",
    "my_recent_header": "\n<b>最近的活动</b>（第 {start}–{end} 条，共 {total} 条）：",
    "my_reminders_header": "\n<b>最近的提醒</b>：",
    "my_recent_empty": "\n还没有登记过活动。发送 /log 登记第一条。",
    "my_activity_line": "#{id} {date} {kind} · {place} · {people}人次",
    "activity_detail": (
        "<b>活动 #{id}</b>\n类型：{kind}\n日期：{date}\n地点：{place}\n人次：{people}\n积分：{points}\n"
        "照片：{photos} 张\n内容：{summary}\n\n{lock}"
    ),
    "activity_editable": "可在 {until} 前修改或删除。",
    "activity_locked": "已超过修改期限，已锁定。",
    "activity_delete_confirm": "确定删除活动 #{id} 吗？删除后不再计入统计。",
    "activity_deleted": "🗑 活动 #{id} 已删除，不再计入统计。",
    # --- /archive -------------------------------------------------------------
    "archive_caption": "{name}的履职档案：共 {count} 次活动，{people} 人次，{points} 积分。",
    "archive_empty": "您还没有登记过活动，暂无履职档案。发送 /log 登记第一条。",
    "members_only": "抱歉，此功能仅限已绑定的政协委员使用。",
    # --- general --------------------------------------------------------------
    "unknown_command": "未识别的命令。发送 /help 查看可用功能。",
    "nothing_to_cancel": "当前没有进行中的操作。",
    "cancelled": "已取消。",
    "choice": "{value}",
    "stale_button": "此按钮已失效，请重新开始操作。",
    "error": "抱歉，处理您的消息时出了点问题，我们已记录下来。请稍后再试；如一直出现，请联系政协办公室。",
    # --- hot path and faults (issue 7, hotpath branch) -----------------------------
    "error_transient": (
        "网络不稳定，刚才的回复可能没有送达。如果您刚提交了记录，请先发送 /my 查看是否已经保存，再决定是否重新提交。"
    ),
}


# =============================================================================================
# Residents' requests (cases, issue 8): state and action names, routing reasons, problems.
# Kept in one block so the cases branch merges without touching the sections above.
# =============================================================================================


def plain(key: str, /, **values: object) -> str:
    """Text `key` filled in without HTML escaping: for CLI output, logs and stored text, never for Telegram HTML."""
    return TEXTS[key].format(**values)


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


TEXTS.update({
    # --- routing file (CLI / start-up messages) ----------------------------------------------
    "routing_missing": "找不到诉求分派表文件：{path}（请检查 ROUTING_FILE 设置）",
    "routing_encoding": "无法识别诉求分派表的文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030）",
    "routing_empty": "诉求分派表是空的：至少需要表头“诉求类别,对口界别”和一行类别",
    "routing_header": "诉求分派表缺少表头“诉求类别”或“对口界别”",
    "routing_no_category": "诉求分派表第 {row} 行：缺少诉求类别",
    "routing_category_long": "诉求分派表第 {row} 行：诉求类别过长（最多 {high} 个字）",
    "routing_duplicate": "诉求分派表第 {row} 行：诉求类别“{category}”重复",
    "routing_unknown_sector": "诉求分派表第 {row} 行（{category}）：未知界别“{sector}”，请使用界别全称或简称",
    # --- case problems (CaseProblem.code -> text) -----------------------------------------------
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
    # --- stored text (rendered with plain(), escaped later like any user text) -----------------
    "case_activity_summary": "诉求件 {number}（{category}）：{result}",
})


# =============================================================================================
# The request form and case handling in the chat (issue 8, handlers)
# =============================================================================================

BUTTONS.update({
    "menu_request": "📮 我要反映",
    "menu_mycases": "📋 我的诉求",
    "menu_cases": "📥 诉求件",
    "region_here": "✔ 就在{name}",
    "region_up": "⬆ 上一级",
    "region_skip": "不确定 / 跳过",
    "use_saved_phone": "使用已留号码 {phone}",
    "consent_yes": "允许委员看到我的手机号",
    "consent_no": "不允许（默认）",
    "field_category": "类别",
    "field_region": "地点",
    "field_description": "描述",
    "field_contact": "联系方式",
    "field_requester": "反映人",
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
})

FORM_STEPS.update({
    "req": {
        "requester": "反映人姓名", "requester_phone": "反映人电话", "category": "诉求类别", "region": "地点",
        "place_text": "地点", "description": "问题描述", "photos": "照片", "contact": "联系方式",
        "consent": "手机号是否公开给委员", "confirm": "确认", "field": "修改", "duplicate": "确认重复诉求",
    },
    "ca": {"target": "选择转交对象", "note": "填写内容", "people": "人次", "message": "填写消息"},
})

COMMANDS["resident"] = [
    ("start", "开始 / 主菜单"),
    ("request", "我要反映（提交诉求）"),
    ("mycases", "我的诉求"),
    ("help", "使用说明"),
    ("cancel", "取消当前操作"),
]
COMMANDS["member"] = [
    ("log", "登记联系活动"),
    ("my", "我的履职进度"),
    ("cases", "我办理的诉求件"),
    ("record", "代群众登记诉求"),
    ("archive", "导出履职档案"),
    ("request", "我要反映（提交诉求）"),
    ("mycases", "我提交的诉求"),
    ("help", "使用说明"),
    ("cancel", "取消当前操作"),
]

TEXTS.update({
    # --- the request form ----------------------------------------------------------------------
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
    "req_photo_added": "已收到第 {count}/{high} 张照片。继续发送，或点“完成”。",
    "req_photos_full": "最多只能附 {high} 张照片，这张没有保存。请点“完成”继续。",
    "req_photos_expected": "这一步请发送照片，或点“完成”/“跳过”。",
    "req_ask_contact": "（第 5/5 步）方便的话，请点下方“📱 分享我的手机号”留下联系方式；不留请点“跳过”。",
    "req_contact_saved": "已记录手机号 {phone}。",
    "start_via_member": "点下方“📮 我要反映”或发送 /request 开始，您的诉求会直接交给这位委员。",
    "start_link_unknown": "这个委员链接已失效。您仍可以发送 /request 提交诉求，系统会分派给对口委员。",
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
    # --- cases: cards, lists, timeline -----------------------------------------------------------
    "case_card": (
        "<b>📮 诉求件 {number}</b>（{status}）\n"
        "类别：{category}\n地点：{place}\n反映人：{requester}\n电话：{phone}\n"
        "提交：{created}\n描述：{description}"
    ),
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
    "case_ask_message_member": "请输入要发给群众的消息（文字或照片）：",
    "case_ask_message_resident": "请输入要补充的情况（文字或照片），会转给办理委员：",
    "case_message_to_resident": "💬 关于诉求 <b>{number}</b>，{name} 委员回复：\n{text}",
    "case_message_to_member": "💬 诉求件 <b>{number}</b> 的群众补充：\n{text}",
    "case_message_sent": "已发送。",
    "case_message_held": "已记录在诉求件上；目前还没有委员接收，接收后委员可以看到。",
    "case_for_staff": "⚠️ 诉求件 {number}（{category}，{place}）没有合适的委员，请分派：",
    "case_assigned_staff": "已把诉求件 {number} 分派给 {name}。",
    "case_assigned_resident": "您的诉求 <b>{number}</b> 已交由 {name} 委员（{sector}）办理。",
    "case_rerouted_resident": "您的诉求 <b>{number}</b> 已改由 {name} 委员（{sector}）办理。",
    "case_to_staff_resident": "您的诉求 <b>{number}</b> 正在等待协调员分派给合适的委员。",
    "case_ask_people_bad": "人次需要是 1–5000 之间的整数，请重新输入，或点按钮。",
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
    # the small form behind 回复 / 补充 / 办结 / 转交 / 无法办理 (handlers/cases.py)
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
    "report_bad_quarter": "没看懂季度「{value}」，请写成如 /report 2026Q3。",
    "report_future": "{quarter} 还没有开始，没有数据。",
    "ca_busy": "您正在处理诉求件（当前步骤：{step}）。请先完成，或发送 /cancel 取消后再进行其他操作。",
    "ca_expired": "这次操作已超时取消，诉求件没有变化。",
    "ca_timeout": "⌛ 已超过 {minutes} 分钟没有操作，已自动取消，诉求件没有变化。",
    "ca_use_buttons": "请点选上面的按钮，或发送 /cancel 取消。",
    "ca_text_expected": "这一步（{step}）请直接输入文字，或发送 /cancel 取消。",
})

# =====================================================================================
# The command line (issue 6): what a clerk sees in a terminal. Plain text, never HTML;
# rendered with `cli_text(key, **values)`. One line per failure, saying what to do.
# =====================================================================================

def cli_text(key: str, /, **values: object) -> str:
    """Render CLI text `key` (plain text: nothing is escaped)."""
    template = CLI[key]
    return template.format(**values) if values else template


# argparse's names of value types
ARG_KINDS = {"int": "整数", "float": "数字"}

# an example of a good value for each setting, shown in its error line
SETTING_EXAMPLES: dict[str, str] = {
    "BOT_TOKEN": "123456789:AAHk1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx（在 @BotFather 复制整串）",
    "BOT_USERNAME": "lianxin_bot",
    "BOT_API_BASE_URL": "https://api.telegram.org/bot",
    "BOT_API_FILE_URL": "https://api.telegram.org/file/bot",
    "BOT_PROXY_URL": "socks5://127.0.0.1:1080 或 http://127.0.0.1:7890",
    "DATABASE_URL": "sqlite+aiosqlite:///data/lianxin.db 或 postgresql+psycopg://用户:密码@127.0.0.1:5432/lianxin",
    "ADMIN_IDS": "123456789,987654321",
    "TIMEZONE": "Asia/Shanghai",
    "LOG_LEVEL": "INFO",
    "WEBHOOK_URL": "https://bot.example.org/telegram",
    "WEBHOOK_LISTEN": "127.0.0.1",
    "WEBHOOK_PORT": "8443",
    "WEBHOOK_SECRET": "Xq3vT9pL2mK7wR4sZ8nB（16–256 个字母、数字、_ 或 -）",
    "INVITE_TTL_DAYS": "30",
    "BIND_MAX_FAILURES": "5",
    "BIND_LOCKOUT_MINUTES": "60",
    "PERSISTENCE_INTERVAL_SECONDS": "5",
    "CONVERSATION_TIMEOUT_MINUTES": "30",
    "ACTIVITY_KINDS": '[{"code":"visit","name":"主动走访","points":2}]',
    "QUARTERLY_ACTIVITY_TARGET": "1",
    "YEARLY_PEOPLE_TARGET": "40",
    "LATE_LOG_GRACE_DAYS": "10",
    "ACTIVITY_EDIT_WINDOW_DAYS": "7",
    "DUPLICATE_WINDOW_HOURS": "24",
    "ROUTING_FILE": "/srv/lianxin/诉求分派表.csv（留空用自带的 bot/data/routing_sample.csv）",
    "CASE_REOPEN_DAYS": "7",
    "MAX_REQUESTS_PER_DAY": "5",
    "DUPLICATE_REQUEST_HOURS": "24",
    "CASE_RELAY_MAX_MESSAGES": "10",
    "CASE_RELAY_WINDOW_MINUTES": "10",
    "CASE_EXPECTED_DAYS": "15",
    "CASE_REMIND_HOURS": "48",
    "CASE_REROUTE_HOURS": "72",
    "CASE_OVERDUE_DAYS": "15",
    "CASE_CONFIRM_GRACE_DAYS": "3",
    "REMINDER_RULES": "no_activity,below_pace,bottom_share",
    "REMINDER_MOMENTS": "mid=45,late=-15",
    "REMINDER_TIME": "09:00",
    "REMINDER_BOTTOM_SHARE": "0.1",
    "HTTP_POOL_TUNING": "true（升级 httpx/httpcore 后出问题时设为 false）",
    "SQLITE_FAST_DRIVER": "true（升级 SQLAlchemy/aiosqlite 后出问题时设为 false）",
}

# pydantic's error types in words; {value} is the value given (never shown for secrets)
_SETTING_PROBLEMS: dict[str, str] = {
    "int_parsing": "「{value}」不是整数",
    "int_from_float": "「{value}」不是整数",
    "float_parsing": "「{value}」不是数字",
    "bool_parsing": "「{value}」应为 true 或 false",
    "greater_than_equal": "「{value}」太小，不能小于 {ge}",
    "greater_than": "「{value}」太小，必须大于 {gt}",
    "less_than_equal": "「{value}」太大，不能大于 {le}",
    "less_than": "「{value}」太大，必须小于 {lt}",
    "string_pattern_mismatch": "「{value}」格式不对（应只含小写字母、数字和 _）",
    "string_too_short": "不能为空",
    "string_too_long": "「{value}」太长（最多 {max_length} 个字符）",
    "json_invalid": "不是有效的 JSON",
    "list_type": "应为 JSON 列表，如 [ … ]",
    "model_type": "应为 JSON 对象，如 {{ … }}",
    "model_attributes_type": "应为 JSON 对象，如 {{ … }}",
    "dict_type": "应为 JSON 对象，如 {{ … }}",
    "missing": "缺少必填项",
}


def setting_problem(kind: str, *, value: str, ctx: dict, msg: str) -> str:
    """What is wrong with a setting's value, from pydantic's error type."""
    template = _SETTING_PROBLEMS.get(kind)
    msg = msg.removeprefix("Value error, ")  # our validators' own Chinese explanation
    if template is None:
        return f"值「{value}」无效（{msg}）" if value else f"值无效（{msg}）"
    try:
        return template.format(value=value, **ctx)
    except (KeyError, IndexError):
        return template.split("，")[0].format(value=value)


_USAGE_HINT = "用 python -m bot -h 查看全部命令，每个命令加 -h 查看说明和示例。"

CLI: dict[str, str] = {
    # --- argparse ---------------------------------------------------------------
    "usage_prefix": "用法：",
    "usage_error": "错误：{message}\n（{prog} -h 查看说明和示例）",
    "group_positionals": "参数",
    "group_options": "选项",
    "group_commands": "命令",
    "group_actions": "操作",
    "help_help": "显示本说明并退出",
    "metavar_command": "命令",
    "metavar_action": "操作",
    "metavar_env_file": "ENV文件",
    "metavar_roster": "名册文件",
    "metavar_sheet": "工作表",
    "metavar_percent": "百分比",
    "metavar_csv": "CSV文件",
    "metavar_folder": "文件夹",
    "metavar_number": "编号",
    "metavar_telegram_id": "TelegramID",
    "metavar_role": "角色",
    "metavar_name": "名称",
    "arg_problem": "参数 {name}：{problem}",
    "arg_required": "缺少必需的参数：{names}",
    "arg_one_required": "必须指定以下选项之一：{names}",
    "arg_unrecognized": "无法识别的参数：{names}",
    "arg_invalid_choice": "没有「{value}」这个选项（可选：{choices}）",
    "arg_invalid_value": "「{value}」不是有效的{kind}",
    "arg_expected_one": "需要跟一个值",
    "arg_expected_some": "至少需要一个值",
    "arg_not_allowed_with": "不能与 {other} 同时使用",
    "arg_ambiguous": "选项 {option} 不明确，可能是：{matches}",
    "arg_ignored_value": "这个选项不需要值：{value}",
    "arg_bad_telegram_id": "「{value}」不是 Telegram 用户 ID（应为纯数字，如 123456789；查法见 README）",
    "arg_bad_share": "「{value}」应为 0 到 100 之间的百分比，如 20",
    "arg_bad_role": "「{value}」不是可授予的角色；目前只有 协调员（coordinator），可以省略不写",
    # --- help: descriptions and examples, one per command ------------------------------
    "desc_main": (
        "连心桥 — 政协委员联系界别群众的 Telegram 机器人。设置读自项目文件夹下的 .env（见 .env.example）"
        "和同名环境变量；LIANXIN_HOME 或 --env-file 可指定另一处。"
    ),
    "help_env_file": "使用这个 .env 文件（相对的 SQLite 路径以它所在的文件夹为准）",
    "epilog_main": (
        "示例：\n"
        "  python -m bot members import 名册.xlsx --dry-run   先看导入会改变什么\n"
        "  python -m bot members invites --out 邀请码.csv --qr-dir 二维码/\n"
        "  python -m bot sectors list                           列出界别名称\n"
        "  python -m bot --env-file /srv/lianxin/.env run       用另一处的设置启动机器人\n"
        + _USAGE_HINT
    ),
    "help_run": "启动机器人（默认长轮询；设置了 WEBHOOK_URL 时以 webhook 方式运行）",
    "epilog_run": "示例：\n  python -m bot run\n  make run            （同上，并先安装依赖）",
    "help_db": "数据库维护",
    "epilog_db": "示例：\n  python -m bot db upgrade",
    "help_db_upgrade": "把数据库结构升级到最新（机器人和每个命令启动时也会自动执行）",
    "epilog_db_upgrade": "示例：\n  python -m bot db upgrade",
    "help_members": "委员名册、邀请码、解除绑定",
    "epilog_members": (
        "示例：\n  python -m bot members import 名册.xlsx --dry-run\n  python -m bot members list --unbound\n"
        "  python -m bot members invites --out 邀请码.csv\n  python -m bot members revoke GS0001"
    ),
    "help_import": "导入委员名册（CSV 或 XLSX；以“编号”为准，重复导入不会重复创建；有一行出错则整个文件不导入）",
    "epilog_import": (
        "示例：\n"
        "  python -m bot members import 名册.xlsx --dry-run              只显示会改变什么\n"
        "  python -m bot members import 名册.xlsx                        导入\n"
        "  python -m bot members import 名册.xlsx --sheet 委员名单        指定工作表\n"
        "  python -m bot members import 名册.csv --deactivate-missing     停用文件中没有的委员\n"
        "文件中没有的列不会改动任何人的该项；只有存在的列里的空单元格才会清空："
        "活动组、地区、手机、联系点（由聊天添加的联系点不受影响），层级为空则按“省”。"
        "表头可在前 10 行内（上方可以有标题行）。"
    ),
    "import_columns_title": "可识别的列（括号内为同样可用的列名）：",
    "import_column_line": "  {name}（{aliases}）— {meaning}",
    "import_column_number": "必需，每位委员唯一",
    "import_column_name": "必需",
    "import_column_group": "界别活动组，如 第1界别活动组",
    "import_column_sector": "必需，全称或简称，见 python -m bot sectors list",
    "import_column_level": "全国/省/市/县，空为省",
    "import_column_region": "如 甘肃省/兰州市",
    "import_column_phone": "大陆手机号",
    "import_column_contact_points": "1–3 个，用 ; 或 、 分隔",
    "import_lookalikes": "以下列名不会被猜测，会提示您改成标准列名：{names}",
    "help_import_file": "名册文件 .csv / .xlsx（UTF-8、带 BOM 的 UTF-8 或 GB18030）",
    "help_dry_run": "只显示会发生的变化（逐人逐项），不写入数据库",
    "help_sheet": "XLSX 中要读的工作表（名称或从 1 开始的序号）；默认取第一个有表头的工作表",
    "help_deactivate_missing": "把文件中没有的在册委员标记为停用（不删除，重新出现时恢复）",
    "help_max_deactivate_share": "停用人数超过在册委员的这个百分比时拒绝执行（默认 20）",
    "help_force": "即使停用人数超过上限也执行",
    "help_members_list": "列出委员及绑定情况",
    "epilog_members_list": "示例：\n  python -m bot members list\n  python -m bot members list --unbound > 未绑定.tsv",
    "help_unbound": "只列出尚未绑定 Telegram 的在册委员",
    "help_invites": "为尚未绑定的委员生成一次性邀请码和链接（已有未过期邀请码的委员默认跳过）",
    "epilog_invites": (
        "示例：\n"
        "  python -m bot members invites --out 邀请码.csv --qr-dir 二维码/\n"
        "  python -m bot members invites --member GS0001 --member GS0002\n"
        "  python -m bot members invites --member GS0001 --replace      作废旧码，重新生成\n"
        "邀请码只保存其摘要，无法再次显示：请妥善保存输出文件。设置 BOT_USERNAME 后生成时无需联网。"
    ),
    "help_out": "把 编号,姓名,邀请码,链接,有效期至 写入这个新的 .csv 文件（默认打印到屏幕）",
    "help_qr_dir": "为每位委员在此文件夹生成二维码 PNG（文件名为编号）",
    "help_member": "只为这位委员生成（可重复）",
    "help_replace": "已有未过期邀请码的委员也重新生成，并作废其旧邀请码",
    "help_revoke": "解除委员的 Telegram 绑定，并作废其未使用的邀请码",
    "epilog_revoke": "示例：\n  python -m bot members revoke GS0001",
    "help_roles": "协调员权限",
    "epilog_roles": (
        "示例：\n  python -m bot roles grant 123456789 --group 第1界别活动组\n  python -m bot roles list\n"
        "  python -m bot roles revoke 123456789"
    ),
    "help_grant": "授予协调员权限，范围为一个活动组、界别或地区（含下级地区）",
    "epilog_grant": (
        "示例：\n"
        "  python -m bot roles grant 123456789 --group 第1界别活动组\n"
        "  python -m bot roles grant 123456789 --sector 民进\n"
        "  python -m bot roles grant 123456789 --region 兰州市        唯一时可只写最后一级\n"
        "名称可用 python -m bot groups list / sectors list / regions list 查看。"
    ),
    "help_telegram_id": "对方的 Telegram 用户 ID（纯数字；查法见 README）",
    "help_role": "角色，可省略：协调员（coordinator）",
    "help_group": "活动组名称，如 第1界别活动组",
    "help_sector": "界别全称或简称，如 民进",
    "help_region": "地区路径，如 甘肃省/兰州市；唯一时可只写 兰州市",
    "help_roles_revoke": "收回某人的全部协调员权限",
    "epilog_roles_revoke": "示例：\n  python -m bot roles revoke 123456789",
    "help_roles_list": "列出全部协调员权限",
    "epilog_roles_list": "示例：\n  python -m bot roles list",
    "help_sectors": "界别名称",
    "epilog_sectors": "示例：\n  python -m bot sectors list",
    "help_sectors_list": "列出全部界别（全称、简称、在册委员人数）",
    "epilog_sectors_list": "示例：\n  python -m bot sectors list",
    "help_groups": "活动组名称",
    "epilog_groups": "示例：\n  python -m bot groups list",
    "help_groups_list": "列出名册中的全部活动组及在册委员人数",
    "epilog_groups_list": "示例：\n  python -m bot groups list",
    "help_regions": "地区名称",
    "epilog_regions": "示例：\n  python -m bot regions list",
    "help_regions_list": "列出名册中的全部地区及在册委员人数（含下级地区）",
    "epilog_regions_list": "示例：\n  python -m bot regions list",
    # --- settings -----------------------------------------------------------------
    "setting_line": "配置项 {name} 有误：{problem}。正确示例：{example}",
    "setting_line_plain": "配置项 {name} 有误：{problem}。",
    "setting_item": "第 {index} 项 {key} ",
    "setting_json_invalid": "不是有效的 JSON（注意用英文双引号和逗号，整段写在一行）",
    "setting_admin_ids": "「{part}」不是 Telegram 用户 ID（应为数字，多个用逗号分隔）",
    "setting_timezone": "「{value}」不是已知的时区",
    "setting_log_level": "「{value}」不是日志级别，应为 {choices} 之一",
    "setting_database_url": "不是支持的数据库地址（只支持 SQLite 和 PostgreSQL）",
    "setting_bot_proxy_url": "不是有效的代理地址（应以 {schemes} 开头，并写明主机和端口）",
    "setting_api_url": "应以 http:// 或 https:// 开头",
    "setting_bot_username": "应为机器人的用户名（字母开头，5–32 个字母、数字或 _，不带 @）",
    "setting_bot_token": (
        "不像 @BotFather 给的令牌：应为“数字:字符串”，冒号前至少 {digits} 位数字，"
        "冒号后至少 {tail} 个字母、数字、_ 或 -"
    ),
    "setting_activity_kinds_unique": "至少要有一种活动类型，且 code 不能重复",
    "setting_webhook_secret": "设置了 WEBHOOK_URL 时必须设置，且为 16–256 个字母、数字、_ 或 -",
    "env_file_missing": "找不到 --env-file 指定的文件：{path}",
    # --- database -----------------------------------------------------------------
    "database_in_use": "数据库：{url}（{source}）",
    "settings_from": "设置来自 {path}",
    "settings_no_env": "没有读取 .env，只用环境变量",
    "home_missing": "LIANXIN_HOME 指向的文件夹不存在：{path}（请检查拼写，或先建好该文件夹并放入 .env）",
    "database_unparsable": "（无法解析的 DATABASE_URL）",
    "database_missing": (
        "数据库文件不存在：{path}。还没有导入过名册？或 DATABASE_URL / LIANXIN_HOME 指向了别处。"
    ),
    "database_unreachable": "无法使用数据库 {url}：{reason}（请检查 .env 中的 DATABASE_URL）",
    "db_reason_password": "用户名或密码不对",
    "db_reason_no_database": "数据库不存在，请先创建",
    "db_reason_refused": "连不上数据库服务器，请确认 PostgreSQL 已启动、主机和端口正确",
    "db_reason_host": "找不到数据库服务器的主机名",
    "db_reason_timeout": "连接数据库超时",
    "db_reason_sqlite_file": "无法打开 SQLite 文件，请检查文件夹是否存在、是否有写权限",
    "db_reason_sqlite_readonly": "没有写入权限",
    "db_reason_other": "{error}",
    "db_up_to_date": "数据库已是最新结构。",
    "seeded_sectors": "首次使用：已写入 {count} 个界别。",
    # --- run --------------------------------------------------------------------
    "no_token": (
        "未设置 BOT_TOKEN。请在项目文件夹的 .env 文件中写入一行 BOT_TOKEN=<从 @BotFather 获得的令牌>"
        "（可参照 .env.example），或设置同名环境变量。"
    ),
    "bad_token": "Telegram 拒绝了 BOT_TOKEN：请检查 .env 中的令牌是否完整、是否已在 @BotFather 处重置。",
    "telegram_unreachable": (
        "无法连接 Telegram（{host}）：{reason}。请检查本机网络和防火墙；Telegram 被屏蔽时，"
        "在 .env 设置 BOT_PROXY_URL（代理），或用 BOT_API_BASE_URL 指向自建的 Bot API 服务器。"
    ),
    "telegram_error": "Telegram 返回错误：{reason}",
    "bot_stopped": "机器人意外停止：{reason}（设置 LOG_LEVEL=DEBUG 可看到详细信息）",
    "interrupted": "已中断：没有提交的改动都已撤销。",
    "unexpected_error": "出错了：{reason}。没有提交的改动都已撤销；设置 LOG_LEVEL=DEBUG 可看到详细信息。",
    "log_conflict": (
        "另一个进程正在用同一个 BOT_TOKEN 接收消息（Telegram 只允许一个）：请停掉多余的机器人进程。稍后自动重试。"
    ),
    "log_network_retry": "与 Telegram 的连接中断（{error}），稍后自动重试。",
    # --- members import ---------------------------------------------------------------
    "progress_import": "导入",
    "progress_unit": "行",
    "roster_cannot_import": "名册无法导入（没有写入任何数据）：{reason}",
    "roster_encoding": "无法识别文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030）",
    "roster_is_folder": "{path} 是一个文件夹，请给出名册文件，如 {path}/名册.xlsx",
    "roster_not_found": "找不到文件：{path}",
    "roster_wrong_suffix": "只支持 .csv 和 .xlsx 文件，{path} 是 {suffix}；请在 Excel 或 WPS 中“另存为” .xlsx 或 .csv",
    "no_suffix": "没有扩展名的文件",
    "roster_sheet_not_xlsx": "--sheet 只用于 .xlsx 文件",
    "roster_bad_xlsx": "无法读取 Excel 文件（{reason}）；请确认它是 .xlsx 格式且没有损坏",
    "roster_empty": "文件是空的",
    "roster_empty_sheet": "工作表「{sheet}」是空的",
    "roster_no_header": "在前 {rows} 行中没有找到表头，缺少必需的列：编号、姓名、界别",
    "roster_no_sheet_with_header": (
        "在工作表 {sheets} 的前 {rows} 行中都没有找到含 编号、姓名、界别 的表头；可用 --sheet 指定工作表"
    ),
    "roster_no_such_sheet": "没有名为「{sheet}」的工作表；文件中的工作表：{sheets}",
    "roster_missing_columns": "{where}的表头缺少必需的列：{columns}",
    "roster_lookalike": (
        "{where}的表头中有无法识别的列：{pairs} 请把列名改成标准名称后再导入"
        "（缺少的必需列：{missing}；可识别的列见 members import -h）"
    ),
    "where_sheet_row": "工作表「{sheet}」第 {row} 行",
    "where_row": "第 {row} 行",
    "import_read_sheet": "读取：工作表「{sheet}」，第 {row} 行为表头。",
    "import_read_csv": "读取：第 {row} 行为表头。",
    "import_ignored_columns": "未识别的列（已忽略）：{columns}",
    "import_absent_columns": "文件中没有这些列，委员的这几项保持不变：{columns}",
    "import_rows_bad": "名册有 {rows} 行有误，整个文件未导入（没有写入任何数据）：",
    "import_row_line": "  第 {row} 行：{reason}",
    "import_more_errors": "  …… 另有 {count} 处错误",
    "row_missing_number": "缺少编号",
    "row_number_too_long": "编号过长（最多 32 个字符）",
    "row_duplicate_number": "编号 {number} 与第 {first} 行重复",
    "row_missing_name": "缺少姓名",
    "row_name_too_long": "姓名过长（最多 64 个字符）",
    "row_missing_sector": "缺少界别",
    "row_unknown_sector": "未知界别「{value}」",
    "row_unknown_level": "未知层级「{value}」（应为 全国/省/市/县）",
    "row_bad_phone": "手机号格式不正确「{value}」",
    "row_region_too_long": "地区过长",
    "row_too_many_points": "联系点最多 {max} 个，这里有 {count} 个",
    "row_point_too_long": "联系点名称过长（最多 128 个字符）",
    "row_group_too_long": "活动组名称过长",
    "did_you_mean": "，您是不是要找：{names}",
    "dry_run_prefix": "【试运行，未写入】",
    "change_created": "{prefix}新增 {number} {name}",
    "change_updated": "{prefix}更新 {number} {name}：{fields}",
    "change_field": "{field} {old} → {new}",
    "change_more": "…… 另有 {count} 位委员有变化",
    "change_more_missing": "…… 另有 {count} 人",
    "empty_value": "（空）",
    "field_active": "状态",
    "state_active": "在册",
    "state_inactive": "已停用",
    "state_bound": "已绑定",
    "state_unbound": "未绑定",
    "missing_header": "文件中没有的在册委员 {count} 人（{verb}）：",
    "missing_would_go": "将被停用",
    "missing_kept": "保留，未停用",
    "missing_line": "  {number} {name}",
    "refuse_no_rows": (
        "文件中没有任何委员数据行，拒绝停用全部 {missing} 位在册委员（没有写入任何数据）。请检查是否选错了文件或工作表。"
    ),
    "refuse_share": (
        "将停用 {missing} 人，占在册委员 {active} 人的 {share}%，超过上限 {limit}%，已拒绝（没有写入任何数据）。"
        "请先用 --dry-run 核对名单；确认无误再加 --force。"
    ),
    "dry_run_would_refuse": "注意：正式导入时会被拒绝——{reason}",
    "summary_deactivated": "，已停用 {count} 人",
    "summary_kept": "（未停用，可加 --deactivate-missing）",
    "import_summary": (
        "{prefix}共 {rows} 行：新增 {created}，更新 {updated}（其中恢复启用 {reactivated}），未变 {unchanged}；"
        "文件中没有的在册委员 {missing} 人{tail}；新活动组 {groups}，新地区 {regions}。"
    ),
    # --- members invites -------------------------------------------------------------------
    "out_is_folder": "--out 应为文件名，{path} 是一个文件夹；请写成如 {path}/邀请码.csv。没有生成任何邀请码。",
    "out_exists": (
        "文件 {path} 已存在；为免覆盖其中之前的邀请码（它们无法再次显示），请换一个文件名。没有生成任何邀请码。"
    ),
    "out_not_csv": "--out 应为 .csv 文件，如 邀请码.csv（现在是 {path}）。没有生成任何邀请码。",
    "qr_not_folder": "--qr-dir 应为文件夹，{path} 是一个文件。没有生成任何邀请码。",
    "path_parent_is_file": "{option} 的位置不对：{path} 上层有同名的文件。没有生成任何邀请码。",
    "path_not_writable": "{option} 的文件夹 {path} 无法写入（没有权限？）。没有生成任何邀请码。",
    "invites_need_username": "生成邀请链接需要机器人的用户名：请在 .env 中设置 BOT_USERNAME（或 BOT_TOKEN）。",
    "invites_username_offline": (
        "无法连接 Telegram 取得机器人用户名（{reason}）。在 .env 中写上 BOT_USERNAME=<机器人用户名>（不带 @），"
        "生成邀请码就不需要联网。没有生成任何邀请码。"
    ),
    "invites_unknown_members": "以下编号不存在，或已绑定、已停用：{numbers}。没有生成任何邀请码。",
    "invites_need_replace": (
        "{numbers} 还有 {codes} 个未过期的邀请码。要作废旧码重新生成，请加 --replace。没有生成任何邀请码。"
    ),
    "invites_none": "没有需要生成邀请码的委员。",
    "invites_will_replace": "将作废 {members} 位委员的 {codes} 个未过期邀请码，并生成新码。",
    "invites_header": "编号,姓名,邀请码,链接,有效期至",
    "invites_write_failed": "写入邀请码文件失败（{reason}）。没有生成任何邀请码，原有邀请码仍然有效。",
    "invites_commit_failed": "保存邀请码失败（{reason}）。没有生成任何邀请码，原有邀请码仍然有效。",
    "invites_move_failed": "邀请码已生成，但无法把 {temp} 改名为 {target}（{reason}）：请手动改名，不要删除它。",
    "help_remind": "预览或手动发送履职提醒、季度结束名单（每位委员每次只发一次）",
    "epilog_remind": (
        "示例：\n  python -m bot remind --occasion mid --quarter 2026Q4 --dry-run   （谁会收到什么、为什么）\n"
        "  python -m bot remind --occasion late --quarter 2026Q4 --send     （写入发件箱，由运行中的机器人发送）"
    ),
    "metavar_occasion": "时机",
    "help_occasion": "mid 季中提醒，late 季末提醒，quarter-end 季度结束后给协调员的名单",
    "metavar_quarter": "季度",
    "help_quarter": "季度，如 2026Q4",
    "help_remind_dry_run": "只显示谁会收到什么、为什么，不写入任何内容",
    "help_remind_send": "写入发件箱，由运行中的机器人发送（已写入的不会重复）",
    "help_report": "生成季度报告（XLSX 表格，可另存图表 PNG），范围为全部委员",
    "epilog_report": "示例：\n  python -m bot report --quarter 2026Q3 --out 2026Q3季度报告.xlsx --chart 2026Q3.png",
    "metavar_xlsx": "XLSX文件",
    "metavar_png": "PNG文件",
    "help_report_out": "写入的 .xlsx 文件",
    "help_report_chart": "另把图表写入此 .png 文件",
    "cards_done": "已为 {count} 位委员生成“找我反映”卡片（PNG）和链接表 links.csv，在 {path}。",
    "cards_rotated": "已更换这些委员的链接：之前印出的卡片不再直接交给该委员（仍可提交诉求，由系统分派）。",
    "cards_header": "编号,姓名,链接",
    "cards_unknown_members": "以下编号不存在或已停用：{numbers}。没有生成任何卡片。",
    "card_title": "找我反映",
    "card_member": "{name} 委员",
    "card_instructions": "用手机扫描二维码，在 Telegram 打开“连心桥”\n点“我要反映”，您的问题会直接交给我\n办理进度随时可查",
    "help_cards": "为委员生成可打印的“找我反映”卡片：姓名、界别、二维码（个人链接），以及链接表 links.csv",
    "epilog_cards": (
        "示例：\n  python -m bot members cards --out-dir 卡片/\n"
        "  python -m bot members cards --out-dir 卡片/ --member GS0001 --rotate   （卡片遗失时更换链接）"
    ),
    "help_cards_out_dir": "卡片输出文件夹（不存在会新建；同名文件会被更新）",
    "help_cards_rotate": "更换链接：旧卡片不再直接交给该委员",
    "invites_done": "已为 {count} 位委员生成邀请码，有效期 {days} 天（至 {until}）。",
    "invites_replaced": "已作废 {members} 位委员的 {codes} 个旧邀请码。",
    "invites_skipped": "另有 {count} 位委员已有未过期的邀请码，未重新生成（要作废旧码重新生成，加 --replace）。",
    "invites_written": "邀请码已写入 {path}。",
    "invites_qr_written": "{count} 个二维码已写入 {path}。",
    # --- members list / revoke -------------------------------------------------------------
    "members_list_header": "编号\t姓名\t界别\t活动组\t层级\t地区\t状态",
    "members_count": "共 {count} 人",
    "member_not_found": "没有编号为 {number} 的委员（python -m bot members list 可查看全部）。",
    "revoke_nothing": "{number} {name} 尚未绑定 Telegram，也没有未使用的邀请码，无需解除；没有做任何改动。",
    "revoke_unbound": "已解除 {number} {name} 与 Telegram 账号 {telegram_id} 的绑定，并作废其 {codes} 个未使用的邀请码。",
    "revoke_codes_only": "{number} {name} 尚未绑定 Telegram（无需解除）；已作废其 {codes} 个未使用的邀请码。",
    # --- roles ----------------------------------------------------------------------------------
    "roles_list_header": "TelegramID\t角色\t范围\t名称",
    "roles_none": "还没有授予任何协调员权限。",
    "roles_revoke_none": "{telegram_id} 没有任何协调员权限，没有做任何改动。",
    "roles_revoked": "已收回 {telegram_id} 的 {count} 项协调员权限。",
    "scope_not_found": "未知{kind}「{value}」{hint}。用 python -m bot {command} 查看全部名称。",
    "scope_ambiguous": "「{value}」对应多个{kind}：{candidates}；请写完整路径。",
    "grant_done": "已授予 {telegram_id} 协调员权限（{kind}：{value}）。",
    "grant_exists": "{telegram_id} 已有该协调员权限（{kind}：{value}），无需重复授予。",
    # --- names -------------------------------------------------------------------------------------
    "sectors_header": "界别\t简称\t在册委员",
    "groups_header": "活动组\t在册委员",
    "groups_none": "还没有活动组：导入含“活动组”列的名册后才有。",
    "regions_header": "地区\t在册委员（含下级）",
    "regions_none": "还没有地区：导入含“地区”列的名册后才有。",
}

# --- hot path and faults (issue 7, hotpath branch): one line each in the bot's log --------------
LOG_LINES = {
    "transient": "update {update}: Telegram 暂时无法访问（{error}），重试 {retries} 次后仍失败；本条回复可能未送达",
    "blocked": "update {update}: 用户 {user} 已屏蔽机器人，已记录（{error}）",
    "blocked_event": "用户 {user} {change}机器人，已记录",
    "unblocked_by_message": "用户 {user} 发来消息，已取消其屏蔽记录",
    "query_expired": "update {update}: 按钮回调已过期（多半是重启后重放的更新），未回复：{error}",
    "failed": "update {update} 处理失败：{error}（LOG_LEVEL=DEBUG 可看完整堆栈）",
    "notify_failed": "update {update}: 无法告知用户处理失败：{error}",
}


def log_line(key: str, /, **values: object) -> str:
    """A line for the operator's log (plain text, not HTML)."""
    return LOG_LINES[key].format(**values)


def case_problem(code: str, detail: dict) -> str:
    """The message for a CaseProblem/CaseNotAllowed (its `code` and `detail`), states in Chinese."""
    values = dict(detail)
    if "status" in values:
        values["status"] = CASE_STATUS_NAMES.get(str(values["status"]), str(values["status"]))
    return t(f"case_{code}", **values)
# --- reminders, outbox and the quarterly report (issue 9) ------------------------------------

BUTTONS.update({
    "remind_log": "📝 登记联系活动",
})

TEXTS.update({
    "remind_head": "📌 <b>{quarter}履职提醒</b>\n{name}委员，您好！截至 {day}：",
    "remind_no_activity": "• 本季度还没有登记联系活动（每季度至少 {target} 次）。登记 1 次本季度的活动即可达标。",
    "remind_below_pace": (
        "• 今年已联系 {people} 人次，按全年 {target} 人次的进度，此时应达到 {expected} 人次。"
        "再联系 {short} 人次即可赶上进度。"
    ),
    "remind_bottom_share": (
        "• 今年履职积分 {points} 分，在{peers_label}的 {peers} 位委员中处于后 {share}%。"
        "再获得 {gap} 分即可走出后 {share}%。"
    ),
    "remind_peers_sector": "本界别",
    "remind_tail": "点击下方按钮即可登记。",
    "quarter_end_head": "📋 <b>{quarter}已结束</b>（{scope}）",
    "quarter_end_none": "范围内的委员本季度都登记了联系活动。",
    "quarter_end_list": "以下 {count} 位委员本季度没有登记联系活动：",
    "quarter_end_line": "{number} {name}{group}",
    "quarter_end_more": "……等共 {count} 位，完整名单见季度报告表格。",
    "scope_all": "全部委员",
    "remind_history_line": "{quarter} {occasion}：{status}",
    # CLI: python -m bot remind
    "cli_remind_header": "{quarter} {occasion}（按 {day} 的数据）：{count} 位委员需要提醒",
    "cli_remind_member": "{number}\t{name}\t{why}\t{state}",
    "cli_remind_coordinator": "{chat_id}\t{count} 位未登记\t{state}",
    "cli_remind_unbound": "未绑定，无法发送",
    "cli_remind_will_send": "将发送",
    "cli_remind_sent_state": "已写入发件箱（{status}）",
    "cli_remind_done": "已写入发件箱 {new} 条，另有 {existing} 条此前已写入（不会重复发送）。",
    "cli_remind_bad_quarter": "季度格式应为 2026Q4：{value}",
})

OCCASION_NAMES = {"mid": "季中提醒", "late": "季末提醒", "quarter-end": "季度结束名单"}
RULE_NAMES = {"no_activity": "本季度无活动", "below_pace": "人次落后进度", "bottom_share": "积分组内靠后"}
OUTBOX_STATUS_NAMES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "blocked": "无法送达", "failed": "发送失败"}
QUARTER_END_MAX_LINES = 60


def render_reminder(*, laggard, quarter, as_of, policy) -> str:  # noqa: ANN001 - services' dataclasses
    """One member's reminder: every rule they match, what is missing and what would fix it."""
    lines = [t("remind_head", quarter=quarter.cn_label, name=laggard.name, day=as_of.isoformat())]
    share = f"{policy.bottom_share * 100:g}"
    for rule in laggard.rules:
        if rule.value == "no_activity":
            lines.append(t("remind_no_activity", target=policy.quarter_target))
        elif rule.value == "below_pace":
            lines.append(t("remind_below_pace", people=laggard.year_people, target=policy.year_target,
                           expected=laggard.expected_people, short=laggard.people_short))
        elif rule.value == "bottom_share":
            lines.append(t("remind_bottom_share", points=number(laggard.points),
                           peers_label=laggard.peer_label or TEXTS["remind_peers_sector"], peers=laggard.peers,
                           share=share, gap=number(laggard.points_to_leave_bottom or 0)))
    lines.append(t("remind_tail"))
    return "\n".join(lines)


def scope_text(scopes, sep: str = "、") -> str:  # noqa: ANN001
    if scopes is None:
        return TEXTS["scope_all"]
    return sep.join(f"{SCOPE_NAMES[s.kind.value]}：{scope_label(s)}" for s in scopes)


def render_quarter_end(*, quarter, idle, scopes) -> str:  # noqa: ANN001
    """The morning after a quarter: who in this scope finished it with no activity (long lists cut short)."""
    lines = [t("quarter_end_head", quarter=quarter.cn_label, scope=scope_text(scopes))]
    if not idle:
        lines.append(t("quarter_end_none"))
        return "\n".join(lines)
    lines.append(t("quarter_end_list", count=len(idle)))
    for laggard in idle[:QUARTER_END_MAX_LINES]:
        group = f"（{laggard.peer_label}）" if laggard.peer_label else ""
        lines.append(t("quarter_end_line", number=laggard.number, name=laggard.name, group=group))
    if len(idle) > QUARTER_END_MAX_LINES:
        lines.append(t("quarter_end_more", count=len(idle)))
    return "\n".join(lines)

# the quarterly report: sheet names, headers, chart labels (issue 9)
REPORT: dict[str, object] = {
    "sheet_members": "委员概况",
    "sheet_lagging": "落后名单",
    "sheet_unreachable": "无法送达",
    "sheet_kinds": "按活动类型",
    "sheet_groups": "按活动组",
    "col_item": "项目",
    "col_value": "数值",
    "sheet_cases": "诉求办理",
    "cols_cases": ["诉求类别", "收到", "已接收", "已办结", "确认解决", "曾退回重办", "接收用时中位数（小时）",
                   "办结用时中位数（小时）", "平均评分"],
    "all_categories": "全部",
    "row_members": "在册委员",
    "row_bound": "已绑定",
    "row_with_activity": "本季度有活动",
    "row_on_pace": "人次达到进度（应达 {target} 人次）",
    "row_lagging": "需提醒（落后）",
    "row_unreachable": "无法送达",
    "cols_lagging": ["编号", "姓名", "活动组", "本季度活动", "今年人次", "进度应达", "今年积分", "原因"],
    "cols_unreachable": ["编号", "姓名", "活动组"],
    "cols_kinds": ["活动类型", "活动数", "人次"],
    "cols_groups": ["活动组", "委员数", "本季度有活动", "活动数", "人次"],
    "no_group": "未分组",
    "chart_title": "{quarter}：在册 {members} 人，有活动 {active} 人，人次达进度 {on_pace} 人",
    "chart_kinds": "按活动类型（人次）",
    "chart_groups": "按活动组（人次）",
    "chart_people": "人次",
    "chart_none": "暂无",
    "filename": "季度报告_{quarter}.xlsx",
}

TEXTS.update({
    "report_caption": (
        "📊 <b>{quarter}季度报告</b>（{scope}）\n在册委员 {members}，已绑定 {bound}，本季度有活动 {active}，"
        "人次达到进度 {on_pace}，需提醒 {lagging}，无法送达 {unreachable}。"
    ),
    "report_document": "{quarter}季度报告（完整表格）",
    "cli_report_done": "已写入 {path}：{members} 位委员，{activities} 次活动。",
    "cli_report_chart": "图表已写入 {path}",
    "cli_report_bad_out": "无法写入 {path}：{error}",
})

# --- the tally: per member and year totals kept on write (tally branch) ----------------------
CLI.update({
    "help_tally": "核对或重建委员年度汇总（统计和提醒读它；每次记录、修改、删除活动时同步更新）",
    "epilog_tally": (
        "示例：\n  python -m bot tally --check     （与活动记录逐项核对，不改任何内容）\n"
        "  python -m bot tally --rebuild   （按活动记录重新计算全部年度汇总）"
    ),
    "help_tally_check": "与活动记录逐项核对，只报告不一致之处，不改任何内容",
    "help_tally_rebuild": "按活动记录重新计算全部年度汇总（一次提交；失败时保持原样）",
    "tally_consistent": "年度汇总与活动记录一致：共核对 {rows} 行（委员 × 年度）。",
    "tally_inconsistent": "年度汇总有 {count} 处与活动记录不一致（共 {rows} 行）：",
    "tally_mismatch_line": "  {year}年 {member}：{columns}",
    "tally_more": "  ……另有 {count} 处未列出",
    "tally_fix_hint": "请运行 python -m bot tally --rebuild 按活动记录重建。",
    "tally_rebuilt": "已按活动记录重建年度汇总：{rows} 行（委员 × 年度）。",
    "tally_rebuild_failed": "重建年度汇总失败（{reason}），年度汇总保持原样。",
    "tally_year_total": "全年",
    "tally_quarter": "第{q}季度",
    "tally_measure_activities": "活动数",
    "tally_measure_people": "人次",
    "tally_measure_points": "积分",
    "tally_measure_last_activity_date": "最近活动日期",
    "tally_unknown_member": "委员ID {member_id}",
})

# --- /stats and /ranking for coordinators and admins (issue 10) -----------------------------------

COMMANDS["coordinator"].insert(-2, ("stats", "范围内统计（切换季度/全年、按组/界别/地区/类型查看）"))
COMMANDS["coordinator"].insert(-2, ("ranking", "履职积分排名和诉求办理表"))
COMMANDS["admin"].insert(-2, ("stats", "全部统计（切换季度/全年、按组/界别/地区/类型查看）"))
COMMANDS["admin"].insert(-2, ("ranking", "履职积分排名和诉求办理表"))

STATS_DIMENSION_NAMES = {"group": "活动组", "sector": "界别", "region": "地区", "kind": "活动类型"}
# the /stats chart's labels (plain text, drawn by matplotlib)
STATS_CHART = {
    "groups": "各活动组活动数",
    "categories": "各类诉求收到数",
    "activities": "活动（次）",
    "cases": "诉求（件）",
    "none": "暂无",
}

TEXTS.update({
    "stats_head": "📊 <b>统计 · {period}</b>\n范围：{scope}{drill}\n截至 {as_of}",
    "stats_drill": "\n查看：{dimension} {name}",
    "stats_members": (
        "\n<b>委员</b>\n在册 {members}，已绑定 {bound}，{period}有活动 {active}，"
        "{year}年人次达进度 {on_pace}（截至当日应达 {expected} 人次），无法送达 {unreachable}"
    ),
    "stats_members_kind": "（“有活动”只计本类型）",
    "stats_activities": "\n<b>活动</b>：共 {count} 次，{people} 人次",
    "stats_kind_line": "· {kind}：{count} 次，{people} 人次",
    "stats_no_activities": "· 暂无",
    "stats_cases": (
        "\n<b>诉求</b>（{period}收到、办理委员在范围内）\n收到 {received}，未办结 {open}，其中超期 {overdue}，"
        "已办结 {resolved}，群众确认解决 {confirmed}，平均评分 {rating}"
    ),
    "stats_list_head": "📊 <b>{period} · 按{dimension}</b>\n范围：{scope}{drill}",
    "stats_list_parent": "（{region} 的下级地区）",
    "stats_list_range": "第 {start}–{end} 项，共 {total} 项；点按钮查看该项",
    "stats_list_line": "{name}：委员 {members}，有活动 {active}，活动 {count} 次，{people} 人次",
    "stats_list_kind_line": "{name}：{members} 位委员登记 {count} 次，{people} 人次",
    "stats_list_empty": "这一期没有可列出的数据。",
    "stats_none_group": "（未分组）",
    "stats_none_region": "（未设地区或在本级）",
    "stats_chart_caption": "📊 {period} 统计图（{scope}{drill}）",
    "stats_out_of_scope": "这个范围不在您的权限内，无法查看。",
    "stats_future": "这一期还没有开始。",
    "stats_period_quarter": "这一季度",
    "stats_period_year": "这一年",
    "ranking_head": "🏅 <b>履职积分排名 · {period}</b>\n范围：{scope}",
    "ranking_meaning": "积分为这一期所登记活动的积分之和；同分同名次，没有积分的不排名。",
    "ranking_range": "第 {start}–{end} 位，共 {total} 位委员（{placed} 位有积分）",
    "ranking_line": "{place}. {name}（{number}，{group}）{points} 分 · {count} 次 · {people} 人次",
    "ranking_unplaced": "—",
    "ranking_empty": "范围内没有在册委员。",
    "response_head": "⏱ <b>诉求办理表 · {period}</b>\n范围：{scope}",
    "response_meaning": (
        "按这一期收到、现由该委员办理的诉求：接收、办结用时为中位数（小时），办结率 = 已办结/收到，"
        "确认率 = 群众确认解决/已办结，评分为平均分。"
    ),
    "response_range": "第 {start}–{end} 位，共 {total} 位委员",
    "response_line": (
        "{index}. {name}（{number}）收到 {cases} · 接收 {accept} · 办结 {resolve} · 办结率 {resolution} · "
        "确认率 {confirmation} · 评分 {rating}"
    ),
    "response_empty": "这一期范围内没有由委员办理的诉求。",
    "stats_hours": "{hours}h",
    "stats_none": "—",
})

BUTTONS.update({
    "stats_prev": "◀ {period}",
    "stats_next": "{period} ▶",
    "stats_year": "{year}年全年",
    "stats_quarter": "按季度",
    "stats_by": "按{dimension}",
    "stats_chart": "📊 图表",
    "stats_up": "⬆ 返回上级",
    "stats_back": "⬅ 返回统计",
    "stats_item": "{name}",
    "ranking_cases": "⏱ 诉求办理表",
    "ranking_points": "🏅 积分排名",
})

# =====================================================================================
# /export and the roster from the chat (issue 10, helper "files")
# =====================================================================================

COMMANDS["coordinator"].insert(-2, ("export", "导出表格（委员/活动/诉求/汇总）"))
COMMANDS["admin"].insert(-2, ("export", "导出表格（委员/活动/诉求/汇总）"))

# sheet titles, column headers and value names of /export
EXPORT: dict[str, object] = {
    "sheet_members": "委员名单",
    "cols_members": ["编号", "姓名", "界别", "活动组", "层级", "地区", "手机", "绑定状态", "期间活动数", "期间人次",
                     "期间积分", "最近活动日期"],
    "sheet_activities": "联系活动",
    "cols_activities": ["活动编号", "日期", "季度", "委员编号", "姓名", "界别", "活动组", "活动类型", "地点/单位",
                        "人次", "积分", "活动内容", "登记时间"],
    "sheet_cases": "诉求件",
    "cols_cases": ["诉求编号", "收到时间", "诉求类别", "状态", "地区", "地点", "办理委员编号", "办理委员", "界别",
                   "代录群众姓名", "手机（已隐藏）", "接收时间", "办结时间", "关闭时间", "评分", "退回重办次数",
                   "诉求内容"],
    "filename": "{section}_{period}_{day}.xlsx",
    "bound": "已绑定",
    "unbound": "未绑定",
}
EXPORT_SECTION_NAMES = {"members": "委员名单", "activities": "联系活动", "cases": "诉求件", "summary": "汇总（季度报告）"}
EXPORT_PERIOD_NAMES = {"this_quarter": "本季度", "last_quarter": "上季度", "this_year": "今年", "last_year": "去年"}

TEXTS.update({
    "export_choose_section": "📤 <b>导出表格</b>（{scope}）\n请选择要导出的内容：",
    "export_choose_period": "📤 导出<b>{section}</b>（{scope}）\n请选择期间：",
    "export_working": "⏳ 正在生成{section}（{period}，{scope}）……",
    "export_done": "✅ 已发送{section}（{period}，{scope}）。",
    "export_caption": "{section}｜{period}（{label}）｜{scope}｜共 {rows} 行",
    "export_too_big": "生成的表格有 {size} MB，超过 Telegram 允许机器人发送的 50 MB；请选择较短的期间。",
    "export_refused": "抱歉，只有协调员和管理员可以导出表格。",
    "roster_admins_only": "只有管理员可以通过发送文件导入委员名册；您发送的文件没有被保存。",
    "roster_wrong_type": (
        "只能导入 .xlsx 或 .csv 格式的名册文件（收到的是「{name}」）。请在 Excel 或 WPS 中“另存为” .xlsx 或 .csv 后再发送。"
    ),
    "roster_too_big": "文件太大（{size} MB），名册文件不能超过 {limit} MB。请删去无关的工作表或另存为 .csv 后再发送。",
    "roster_download_failed": "无法下载您发送的文件，请稍后重新发送。没有导入任何数据。",
    "roster_checking": "⏳ 正在检查名册「{name}」（试运行，不写入）……",
    "roster_rejected": "❌ 名册「{name}」无法导入（没有写入任何数据）：\n{body}",
    "roster_preview": "📋 名册「{name}」试运行结果（<b>尚未写入</b>）：\n{body}\n\n核对无误请按「确认导入」。",
    "roster_preview_nothing": "📋 名册「{name}」与现有数据一致，没有需要导入的变化。\n{body}",
    "roster_deactivate_offer": "文件中没有的在册委员 {count} 人默认保留；如要停用他们，请按「确认导入并停用」。",
    "roster_deactivate_refused": "注意：文件中没有的在册委员 {count} 人占在册委员的 {share}%，超过 {limit}%，不能在聊天中停用；请核对名单，必要时用命令行导入。",
    "roster_cut": "……（内容过长，其余略；完整清单请用命令行 members import --dry-run 查看）",
    "roster_applying": "⏳ 正在导入名册「{name}」……",
    "roster_applied": "✅ 名册「{name}」已导入：\n{body}",
    "roster_changed": "⚠️ 自试运行以来数据已有变化，本次没有导入。以下是新的试运行结果，请重新核对后确认。",
    "roster_refused": "❌ 没有导入：{reason}",
    "roster_stale": "此确认按钮已失效（已发送了新的名册、已导入或已取消），请以最新的试运行结果为准。",
    "roster_cancelled": "已取消，名册「{name}」没有导入。",
})

BUTTONS.update({
    "export_members": "👥 委员名单",
    "export_activities": "📝 联系活动",
    "export_cases": "📮 诉求件",
    "export_summary": "📊 汇总",
    "export_this_quarter": "本季度",
    "export_last_quarter": "上季度",
    "export_this_year": "今年",
    "export_last_year": "去年",
    "roster_confirm": "✅ 确认导入",
    "roster_confirm_deactivate": "确认导入并停用 {count} 人",
    "roster_cancel": "取消",
})

LOG_LINES.update({
    "export_refused": "用户 {user} 的导出请求被拒绝（不是协调员或管理员）：{data}",
    "export_sent": "用户 {user} 导出了 {section}（{period}，{rows} 行，{size} 字节）",
    "roster_refused": "用户 {user} 的名册操作被拒绝（不是管理员）：{data}",
    "roster_stale": "用户 {user} 按了已失效的名册确认按钮：{data}",
    "roster_download": "用户 {user} 发送的名册无法下载：{error}",
    "roster_applied": "用户 {user} 从聊天导入了名册：新增 {created}，更新 {updated}，停用 {deactivated}",
})

CLI.update({
    "summary_kept_chat": "（保留，未停用）",
})

# --- /laggards and /broadcast (issue 10, chase branch) ------------------------------------------

COMMANDS["coordinator"].insert(-2, ("laggards", "落后委员名单与提醒"))
COMMANDS["admin"].insert(-2, ("laggards", "落后委员名单与提醒"))
COMMANDS["coordinator"].insert(-2, ("broadcast", "向范围内委员发通知"))
COMMANDS["admin"].insert(-2, ("broadcast", "向委员发通知"))
OCCASION_NAMES["nudge"] = "联络员提醒"

BUTTONS.update({
    "lag_nudge": "🔔 提醒 {index}. {name}",
    "bc_to_all": "范围内全部委员",
    "bc_to_lagging": "落后的委员",
    "bc_send": "✅ 确认发送（{count} 位）",
    "bc_change": "重新编写",
})

FORM_STEPS.update({
    "bc": {"text": "通知内容", "photo": "图片", "audience": "发送对象", "confirm": "确认发送"},
})

TEXTS.update({
    "lag_header": "⏰ <b>{quarter}落后委员</b>（{scope}，按 {day} 的数据）：共 {total} 位，第 {start}–{end} 位",
    "lag_none": "✅ {quarter}：{scope}内目前没有落后的委员。",
    "lag_line": "{index}. <b>{name}</b>（{number}{group}）\n    {behind}\n    最近活动：{last}；{reach}",
    "lag_behind_quarter": "本季度还没有活动",
    "lag_behind_pace": "今年 {people} 人次，进度应达 {expected}，差 {short}",
    "lag_on_pace": "今年 {people} 人次，进度应达 {expected}",
    "lag_last_none": "今年及以前都没有",
    "lag_reach_ok": "可送达",
    "lag_reach_unbound": "未绑定，无法提醒",
    "lag_reach_blocked": "已屏蔽机器人，无法提醒",
    "lag_nudge_queued": "已向 {name} 发送提醒（几秒内送达），可在对方的“我的履职”中看到。",
    "lag_nudge_already": "今天已经提醒过 {name}，每位委员每天只提醒一次。",
    "lag_nudge_not_lagging": "{name} 已不再落后，无需提醒。",
    "lag_nudge_unbound": "{name} 尚未绑定，无法提醒。",
    "lag_nudge_blocked": "{name} 已屏蔽机器人，无法提醒。",
    "lag_out_of_scope": "这位委员不在您的管理范围内，无法操作。",
    "nudge_head": "🔔 联络员 {sender} 提醒您：",
    # /broadcast (form "bc")
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
        "（共 {members} 位，其中 {unreachable} 位未绑定或已屏蔽机器人，收不到）。\n确认发送吗？"
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
    "bc_notice": "📢 <b>通知</b>（{scope}）\n{body}",
    "bc_progress": "📢 通知发送中：{done}/{total}\n已送达 {sent}，对方屏蔽 {blocked}，失败 {failed}",
    "bc_done": "✅ <b>通知发送完毕</b>：共 {total} 位\n已送达 {sent}，对方屏蔽机器人 {blocked}，发送失败 {failed}",
})

LOG_LINES.update({
    "lag_refused": "用户 {user} 的 /laggards 按钮越权，已拒绝：{data}",
})


def render_laggard_line(row, index: int) -> str:  # noqa: ANN001 - outreach.LaggardRow
    """One laggard on /laggards: how far behind, last activity, whether the bot can reach them."""
    lag = row.laggard
    behind = []
    if any(rule.value == "no_activity" for rule in lag.rules):
        behind.append(t("lag_behind_quarter"))
    if lag.people_short > 0:
        behind.append(t("lag_behind_pace", people=lag.year_people, expected=lag.expected_people, short=lag.people_short))
    else:
        behind.append(t("lag_on_pace", people=lag.year_people, expected=lag.expected_people))
    reach = t("lag_reach_ok") if row.reachable else t("lag_reach_unbound") if not row.bound else t("lag_reach_blocked")
    return t("lag_line", index=index, name=lag.name, number=lag.number,
             group=f"，{lag.peer_label}" if lag.peer_label else "", behind=Safe("；".join(behind)),
             last=row.last_activity.isoformat() if row.last_activity else TEXTS["lag_last_none"], reach=Safe(reach))


def render_nudge(*, laggard, quarter, as_of, policy, sender: str) -> str:  # noqa: ANN001
    """A personal nudge from a coordinator: who sends it, then the reminder's own lines."""
    return t("nudge_head", sender=sender) + "\n" + render_reminder(laggard=laggard, quarter=quarter, as_of=as_of,
                                                                   policy=policy)


def render_notice(*, body: str, scope: str) -> str:
    """A broadcast as members see it: the sender's scope, then the text as typed (escaped)."""
    return t("bc_notice", scope=scope, body=body)


def render_broadcast_progress(broadcast, counts) -> str:  # noqa: ANN001 - models.Broadcast, broadcasts.Tally
    """The one progress message of a broadcast: running counts, then the tally."""
    values = {"total": counts.total, "sent": counts.sent, "blocked": counts.blocked, "failed": counts.failed}
    if counts.finished:
        return t("bc_done", **values)
    return t("bc_progress", done=counts.done, **values)

# --- members and the case queue from the chat (issue 10: /member for admins, /queue for staff) ----------

TEXTS.update({
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
    "queue_empty": "✅ 您的范围内没有待处理的诉求件（未分派、超期或被退回的）。",
    "queue_header": "📋 <b>待处理诉求件</b>（第 {start}–{end} 件，共 {total} 件，最早的在前）",
    "queue_line": "{n}. <b>{number}</b> {category} · {status} · {handler} · 已 {age} 天 · {reasons}",
    "queue_candidates": "可分派给下列委员（最合适的在前），或重新分派：",
    "queue_no_candidates": "暂无可分派的委员（范围内没有合适人选），可重新分派，或稍后再试。",
    "queue_rerouted_member": "已重新分派诉求件 {number}，改由 {name}（{sector}）办理。",
    "queue_rerouted_staff": "已重新分派诉求件 {number}：暂无合适的委员，已转协调员分派。",
    "case_member_out_of_scope": "该委员不在您的管辖范围内，不能分派给 TA。",
})

QUEUE_REASON_NAMES = {"unassigned": "未分派", "reopened": "被退回", "overdue": "已超期"}

BUTTONS.update({
    "mbr_pick": "{name}（{number}）{mark}",
    "mbr_mark_inactive": "·已停用",
    "mbr_mark_unbound": "·未绑定",
    "mbr_reissue": "🔑 重发邀请",
    "mbr_deactivate": "⛔ 停用",
    "mbr_reactivate": "♻️ 恢复",
    "mbr_deactivate_ok": "确认停用",
    "mbr_reactivate_ok": "确认恢复",
    "queue_open": "{number}（{reasons}）",
    "queue_reroute": "🔄 重新分派",
})

COMMANDS["admin"].insert(-2, ("member", "查找委员（姓名或编号）"))
COMMANDS["admin"].insert(-2, ("queue", "待处理诉求件"))
COMMANDS["coordinator"].insert(-2, ("queue", "范围内待处理诉求件"))


# --- group scopes name their committee (groupscope) ------------------------------------------------
# A group grant names its committee (层级 + 地区, as the roster has them); see docs/decisions.md.

TEXTS.update({
    "committee_no_region": "未填地区",
    "scope_unresolved": "（未指明委员会，暂不覆盖任何委员，请联系管理员）",
})

CLI.update({
    "epilog_grant": (
        "示例：\n"
        "  python -m bot roles grant 123456789 --group 第1界别活动组\n"
        "  python -m bot roles grant 123456789 --group 第1界别活动组 --level 县 --committee-region 秦州区\n"
        "  python -m bot roles grant 123456789 --sector 民进\n"
        "  python -m bot roles grant 123456789 --region 兰州市        唯一时可只写最后一级\n"
        "活动组只在一个委员会（层级+地区）中出现时自动记下该委员会；在多个委员会中都有时必须用 "
        "--level 和 --committee-region 指明。\n"
        "名称可用 python -m bot groups list / sectors list / regions list 查看。"
    ),
    "metavar_level": "层级",
    "help_level": "仅用于 --group：活动组所属委员会的层级（全国/省/市/县，与名册的“层级”列相同）",
    "help_committee_region": (
        "仅用于 --group：活动组所属委员会的地区（与名册的“地区”列相同，唯一时可只写最后一级；"
        "名册中地区为空的委员写 无）"
    ),
    "arg_bad_level": "「{value}」不是层级，应为 全国/省/市/县 之一",
    "grant_committee_not_group": "--level 和 --committee-region 只用于 --group（指明活动组属于哪个委员会），没有做任何改动。",
    "grant_committee_needed": (
        "活动组「{value}」在多个委员会中都有：{candidates}；请用 --level 和 --committee-region 指明是哪一个，"
        "例如 --level {level} --committee-region {region}。没有做任何改动。"
    ),
    "grant_committee_no_match": "活动组「{value}」没有符合所给层级/地区的委员会，它所在的委员会：{candidates}。没有做任何改动。",
    "grant_committee_no_members": "活动组「{value}」在名册中还没有委员，无法确定它属于哪个委员会；请先导入名册。没有做任何改动。",
    "grant_fixed": "已为 {telegram_id} 的活动组权限「{value}」指明委员会：{committee}（此前未指明，不覆盖任何委员）。",
    "roles_list_header": "TelegramID\t角色\t范围\t名称\t委员会",
    "groups_header": "活动组\t在册委员\t所在委员会（层级·地区 在册委员）",
    "roles_list_unresolved": "⚠ 未指明（活动组在多个委员会中都有，暂不覆盖任何委员）",
    "roles_unresolved_note": (
        "⚠ 有 {count} 项活动组权限未指明委员会，暂不覆盖任何委员；请用 python -m bot roles grant TelegramID "
        "--group 名称 --level 层级 --committee-region 地区 指明。"
    ),
})


def committee_label(committee) -> str:  # noqa: ANN001 - access.Committee
    """A committee as the roster names it: 层级·地区 (e.g. 县·甘肃省/天水市/秦州区)."""
    return f"{LEVEL_NAMES[committee.level]}·{committee.region or TEXTS['committee_no_region']}"


def scope_label(scope) -> str:  # noqa: ANN001 - access.Scope
    """A scope's name; a group's with its committee, or the note that it names none (and covers nobody)."""
    if scope.kind.value != "group":
        return scope.value
    if scope.committee is None:
        return scope.value + TEXTS["scope_unresolved"]
    return f"{scope.value}（{committee_label(scope.committee)}）"
