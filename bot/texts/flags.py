"""存疑活动: the activities the plausibility rules flag, in /queue and in the quarterly report."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.texts.catalogue import plain, t

TEXTS: dict[str, str] = {
    "flags_header": ("⚠️ <b>存疑活动</b>（{period}，第 {start}–{end} 条，共 {total} 条）\n"
                     "只是提醒核实，委员的记录照常计入。核实无误点“已核实”，这条就不再列出；仍有疑问点“存疑”。"),
    "flags_empty": "✅ 您的范围内{period}没有待核实的存疑活动。",
    "flags_period": "{previous}和{current}",
    "flags_line": "{n}. {name}（{number}）· {day} · {kind} · {people} 人次 · {reason}{mark}",
    "flag_mark_questioned": " 〔已标存疑〕",
    "flags_bursts_header": "\n⚠️ <b>签到异常集中的接待日</b>（一分钟内签到过多，活动记录还没确认）：",
    "flags_burst_line": "· {station} · {when} · {name}（{number}）",
    "flag_reason_ppl": "人次 {people} 超过上限 {limit}",
    "flag_reason_day": "同一天的第 {n} 条活动（当天共 {total} 条，多于 3 条）",
    "flag_reason_dup": "摘要与 {first} 的活动相同（同样的摘要共 {total} 条）",
    "flag_reason_hr": "与“{place}”的接待日（{at}）时间重叠",
    "flag_reason_walk": "未扫码补录 {walk} 人次，远多于扫码签到 {verified} 人次",
    "flag_reason_burst": "接待日签到在一分钟内异常集中（{at}）",
    "flag_marked_verified": "已标为已核实，这条不再列出。",
    "flag_marked_questioned": "已标为存疑。",
    "flag_problem_not_visible": "这条活动不在您的范围内。",
    "flag_problem_not_flagged": "这条活动已不再存疑（可能已被修改或删除）。",
}

BUTTONS: dict[str, str] = {
    "flags_open": "⚠️ 存疑活动",
    "flag_verify": "✅ {n} 已核实",
    "flag_question": "❓ {n} 存疑",
    "flags_back": "◀ 待处理诉求件",
}

FLAG_SHEET: dict[str, object] = {
    "title": "存疑活动",
    "cols": ["编号", "姓名", "日期", "类型", "人次", "其中扫码核实", "地点", "原因", "核实情况"],
    "total": "合计 {rows} 条",
    "unmarked": "未核实",
    "verified": "已核实（{by}，{at}）",
    "questioned": "存疑（{by}，{at}）",
}


def _values(rule: str, detail: tuple, tz: ZoneInfo) -> dict[str, object]:
    def local(at: datetime) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    if rule == "ppl":
        return {"people": detail[0], "limit": detail[1]}
    if rule == "day":
        return {"n": detail[0], "total": detail[1]}
    if rule == "dup":
        first: date = detail[1]
        return {"total": detail[0], "first": first.isoformat()}
    if rule == "hr":
        return {"place": detail[0], "at": local(detail[1])}
    if rule == "walk":
        return {"walk": detail[0], "verified": detail[1]}
    return {"at": local(detail[0])}


def flag_reason(rule: str, detail: tuple, tz: ZoneInfo, *, html: bool = True) -> str:
    """Why a rule flags an activity, in Chinese: HTML-escaped for a chat, plain for a sheet."""
    values = _values(rule, detail, tz)
    key = f"flag_reason_{rule}"
    return t(key, **values) if html else plain(key, **values)


def flag_mark_text(mark: str | None, by: int | None, at: datetime | None, tz: ZoneInfo) -> str:
    """The 核实情况 column: 未核实, or the mark with who and when."""
    if mark is None or at is None:
        return str(FLAG_SHEET["unmarked"])
    return str(FLAG_SHEET[mark]).format(by=by, at=at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))

