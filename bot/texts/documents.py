"""The documents offices file: the annual duty report (/report_me, /duty_reports, `duty-report`) and the
社情民意 digest (/digest, `digest`)."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    # /report_me and the button under /my
    "duty_bad_year": "年份写得不对：{value}。请写四位年份，例如 /report_me 2026。",
    "duty_future_year": "{year} 年还没有开始，无法生成履职报告。",
    "duty_working": "正在生成 {year} 年度履职报告，请稍候…",
    "duty_caption": "{name} {year} 年度履职报告：活动 {activities} 次，联系群众 {people} 人次，积分 {points}。“下一步打算”一节请您自己填写。",
    # /duty_reports
    "duty_reports_bad_year": "年份写得不对：{value}。请写四位年份，例如 /duty_reports 2026。",
    "duty_reports_none": "您的范围内没有在册委员，没有履职报告可生成。",
    "duty_reports_progress": "正在生成 {year} 年度履职报告（{scope}）：{done}/{total} {bar}",
    "duty_reports_done": "{year} 年度履职报告已生成：{total} 份，打包为 {parts} 个压缩文件。",
    "duty_reports_caption": "{year} 年度履职报告（{scope}）：第 {part}/{parts} 包，{count} 份。",
    # /digest
    "digest_working": "正在整理{quarter}的社情民意信息，请稍候…",
    "digest_empty": "{quarter}（{scope}）没有收到诉求件，无法生成社情民意信息。",
    "digest_summary": (
        "<b>{quarter} 社情民意信息（草稿）</b>\n范围：{scope}\n"
        "诉求 {total} 件（已办结 {resolved} 件），归纳为 {themes} 个反复出现的主题，共 {themed} 件；单独反映 {single} 件。\n"
        "{lines}"
    ),
    "digest_theme_line": "{n}. {title}：{count} 件，未办结 {unresolved} 件",
    "digest_more_lines": "……另有 {themes} 个主题，见文件。",
    "digest_buttons_hint": "\n点下方按钮查看各主题的诉求件。",
    "digest_caption": "社情民意信息（草稿）· {quarter}。第三部分“意见建议”留给工作人员撰写。",
    "digest_theme_cases": "<b>{title}</b>（{count} 件）\n{lines}",
    "digest_case_line": "{number} · {status} · {region}\n　{excerpt}",
    "digest_more_cases": "……另有 {count} 件，见 /cases。",
    "digest_theme_gone": "这个主题已经变化（有新的诉求件或办理进展），请重新发送 /digest {quarter}。",
}

BUTTONS: dict[str, str] = {
    "duty_report_button": "📄 {year} 年度履职报告",
    "digest_theme_button": "{n}. {title}（{count}）",
}

CLI: dict[str, str] = {
    "help_duty_report": "生成委员的年度履职报告（Word 文档）：一位委员写入一个文件，或范围内每位委员各一份写入文件夹",
    "epilog_duty_report": (
        "示例：\n"
        "  python -m bot duty-report --year 2026 --member GS0001 --out GS0001履职报告.docx\n"
        "  python -m bot duty-report --year 2026 --all --out-dir 履职报告2026\n"
        "  python -m bot duty-report --year 2026 --all --region 甘肃省/兰州市 --out-dir 兰州市履职报告"
    ),
    "help_duty_year": "年份，如 2026",
    "metavar_year": "年份",
    "help_duty_member": "委员编号，如 GS0001（与 --out 一起用）",
    "metavar_member": "编号",
    "help_duty_all": "范围内每位在册委员各生成一份（与 --out-dir 一起用）",
    "help_duty_out": "写入的 .docx 文件（没写扩展名时自动加上 .docx）",
    "help_duty_out_dir": "写入各份报告的文件夹（没有时自动创建）",
    "help_scope_sector": "只要这个界别的委员（界别全称）",
    "help_scope_region": "只要这个地区及其下级地区的委员，如 甘肃省/兰州市",
    "metavar_docx": "DOCX文件",
    "metavar_sector": "界别",
    "metavar_region": "地区",
    "cli_duty_need_target": "请写 --member 编号 和 --out 文件，或 --all 和 --out-dir 文件夹。",
    "cli_duty_bad_year": "年份写得不对：{value}。请写四位年份，例如 2026。",
    "cli_duty_no_member": "没有编号为 {number} 的委员。",
    "cli_duty_none": "范围内没有在册委员，没有生成任何文件。",
    "cli_duty_done": "已写入 {path}：{name}（{number}），活动 {activities} 次，{people} 人次。",
    "cli_duty_all_done": "已写入 {count} 份履职报告到 {path}",
    "cli_duty_bad_out": "无法写入 {path}：{error}",
    "progress_duty": "履职报告",
    "progress_duty_unit": "份",
    "help_digest": "生成某季度的社情民意信息（草稿，Word 文档）：把诉求件按主题归纳",
    "epilog_digest": (
        "示例：\n"
        "  python -m bot digest --quarter 2026Q4 --out 2026Q4社情民意.docx\n"
        "  python -m bot digest --quarter 2026Q4 --region 甘肃省/兰州市 --out 兰州市2026Q4社情民意.docx"
    ),
    "help_digest_out": "写入的 .docx 文件（没写扩展名时自动加上 .docx）",
    "cli_digest_done": "已写入 {path}：诉求 {total} 件，归纳为 {themes} 个主题（{themed} 件）。",
}

# the duty report document (plain text for python-docx and the chart)
DUTY: dict[str, object] = {
    "filename": "{year}年度履职报告_{number}_{name}.docx",
    "zip_name": "{year}年度履职报告_{part}.zip",
    "title": "{name}委员{year}年度履职报告",
    "who": "{name}（编号 {number}）　{sector}　{committee}政协　{group}",
    "no_group": "未编入活动组",
    "generated": "生成于 {day}，数据截至 {as_of}",
    "h_figures": "一、全年履职情况",
    "figures_text": ("{year}年共开展联系活动 {activities} 次，联系群众 {people} 人次（{verified}），获得履职积分 {points} 分，"
                     "{rank}。全年四个季度中有 {met} 个季度达到活动次数要求。"),
    "verified": "其中扫码核实 {people} 人次",
    "rank": "在{label}排名第 {rank}/{peers} 位",
    "peer_sector": "本界别",
    "no_rank": "暂无排名",
    "h_by_kind": "（一）按活动类型和季度",
    "cols_kinds": ["活动类型", "第一季度", "第二季度", "第三季度", "第四季度", "全年（次）", "全年人次"],
    "total": "合计",
    "h_quarters": "（二）各季度完成情况",
    "quarter_name": "第{n}季度",
    "cols_quarters": ["季度", "活动（次）", "人次", "积分", "要求（次）", "完成情况"],
    "quota_met": "已完成",
    "quota_missed": "未完成",
    "quota_running": "进行中，尚未完成",
    "quota_ahead": "未开始",
    "h_points": "二、联系点和委员工作站",
    "cols_points": ["联系点", "类型", "本年活动（次）", "本年人次"],
    "point_kind_village": "村",
    "point_kind_community": "社区",
    "point_kind_company": "企业",
    "point_kind_hospital": "医院",
    "point_kind_school": "学校",
    "point_kind_new_org": "新社会组织",
    "point_kind_other": "其他",
    "no_points": "本年度没有登记联系点。",
    "h_stations": "（一）委员工作站、工作室",
    "cols_stations": ["工作站、工作室", "类型", "现驻站", "本年接待日（次）", "签到人次"],
    "station_kind_workstation": "工作站",
    "station_kind_studio": "工作室",
    "on_duty_yes": "是",
    "on_duty_no": "否",
    "no_stations": "本年度没有驻站的委员工作站、工作室，也没有在工作站举办接待日。",
    "h_cases": "三、办理群众诉求情况",
    "cols_cases": ["办理诉求（件）", "48 小时内接收", "已办结", "群众确认解决", "平均评分"],
    "h_examples": "（一）办理实例",
    "example": "{index}. {number}（{category}）{title}——{status}{rating}",
    "example_rating": "，群众评分 {rating} 分",
    "no_cases": "本年度没有办理群众诉求件。",
    "h_chart": "四、每月联系群众人次",
    "chart_title": "{name} {year} 年每月联系群众人次",
    "chart_month": "{month}月",
    "chart_people": "人次",
    "chart_empty": "本年度暂无活动",
    "h_plans": "五、下一步打算",
    "plans_hint": "（请委员本人填写。）",
}

# the 社情民意 digest document
DIGEST: dict[str, object] = {
    "filename": "社情民意信息（草稿）_{quarter}.docx",
    "title": "社情民意信息（草稿）",
    "subtitle": "{quarter}　{scope}",
    "generated": "生成于 {at}（由系统根据诉求件归纳，供撰写参考）",
    "h_overview": "一、基本情况",
    "overview": ("{quarter}共收到群众诉求 {total} 件，涉及 {categories} 个类别；已办结 {resolved} 件，群众确认解决 "
                 "{confirmed} 件。按类别和地区、再按诉求内容的关键词归纳，其中 {themed} 件归入 {themes} 个反复出现的"
                 "主题，另有 {single} 件为单独反映。"),
    "cols_categories": ["类别", "诉求（件）", "已办结", "确认解决", "涉及地区"],
    "h_issues": "二、反映的主要问题",
    "no_themes": "本季度的诉求件各不相同，没有反复出现的主题。",
    "theme_title": "{category}：{terms}",
    "theme_heading": "（{n}）{title}",
    "theme_text": ("共 {count} 件，涉及{regions}。已办结 {resolved} 件（群众确认解决 {confirmed} 件），尚未办结 "
                   "{unresolved} 件；办结用时中位数{days}。办理委员：{members}。"),
    "no_region": "未注明地区",
    "no_member": "尚未分派",
    "days": " {days} 天",
    "no_days": "暂无（尚无办结）",
    "excerpts_head": "典型诉求（已隐去个人信息）：",
    "excerpt": "{n}. “{text}”",
    "more_themes": "另有 {themes} 个较小的主题，共 {cases} 件，未列出。",
    "h_suggestions": "三、意见建议",
    "suggestions_hint": "（此部分由工作人员根据以上情况撰写。）",
}

_DIGITS = "零一二三四五六七八九"


def cn_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1–99; larger numbers as digits)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")
