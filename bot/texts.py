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


def join_lines(lines: list[str]) -> Safe:
    """Join already-rendered lines."""
    return Safe("\n".join(lines))


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

TEXTS: dict[str, str] = {
    # --- start, binding -------------------------------------------------------
    "welcome_resident": (
        "您好，{name}！欢迎使用<b>连心桥</b>。\n\n"
        "这里连接政协委员和各界别群众。委员通过这里记录联系群众的活动；"
        "您遇到的急难愁盼问题，将可以在这里提交，由对口界别的委员办理，并随时查看进度。\n\n"
        "诉求提交功能即将开放。发送 /help 查看使用说明。"
    ),
    "welcome_member": (
        "{name}委员，您好！\n"
        "界别：{sector}\n活动组：{group}\n层级：{level}\n地区：{region}\n\n"
        "您可以在这里登记联系群众的活动、查看履职进度。发送 /help 查看全部功能。"
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
    # --- general --------------------------------------------------------------
    "unknown_command": "未识别的命令。发送 /help 查看可用功能。",
    "nothing_to_cancel": "当前没有进行中的操作。",
    "cancelled": "已取消。",
    "stale_button": "此按钮已失效，请重新开始操作。",
    "error": "抱歉，处理您的消息时出了点问题，我们已记录下来。请稍后再试；如一直出现，请联系政协办公室。",
}
