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


def scope_text(scopes) -> str:  # noqa: ANN001
    if scopes is None:
        return TEXTS["scope_all"]
    return "、".join(f"{SCOPE_NAMES[s.kind.value]}：{s.value}" for s in scopes)


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
