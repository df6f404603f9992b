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
        ("help", "使用说明"),
        ("cancel", "取消当前操作"),
    ],
    "admin": [
        ("status", "全部委员概况"),
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

# the step a member is at, named in "您正在登记联系活动（当前步骤：…）"
FORM_STEPS: dict[str, str] = {
    "kind": "选择类型", "date": "活动日期", "place": "地点", "people": "人次", "summary": "活动内容",
    "photos": "照片", "confirm": "确认", "field": "修改", "duplicate": "确认重复记录",
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
        "您遇到的急难愁盼问题，将可以在这里提交，由对口界别的委员办理，并随时查看进度。\n\n"
        "诉求提交功能即将开放。方便的话，请点下方按钮留下手机号，便于委员和政协办公室联系您（可选）。"
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
        "诉求提交功能即将开放，目前还不能在这里提交问题（您刚才发的内容没有被记录）。"
        "开放后，您的问题会交给对口界别的委员办理，并可随时查看进度。如有急事，请直接联系当地政协办公室。"
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
    "case_activity_place": "{place}",
    "case_activity_summary": "诉求件 {number}（{category}）：{result}",
    "case_route_note": "{reason}",
})


def case_problem(code: str, detail: dict) -> str:
    """The message for a CaseProblem/CaseNotAllowed (its `code` and `detail`), states in Chinese."""
    values = dict(detail)
    if "status" in values:
        values["status"] = CASE_STATUS_NAMES.get(str(values["status"]), str(values["status"]))
    return t(f"case_{code}", **values)
