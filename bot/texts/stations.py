"""Workstations and studios: `python -m bot stations …`, a member's stations in /my, /station for staff."""

from __future__ import annotations

CLI: dict[str, str] = {
    "file_noun_stations": "工作站名单",
    "station_kind_workstation": "工作站",
    "station_kind_studio": "工作室",
    "station_state_active": "在用",
    "station_state_inactive": "已停用",
    # the command line
    "help_stations": "委员工作站、工作室（导入、列出）",
    "epilog_stations": (
        "示例：\n  python -m bot stations import 工作站.xlsx --dry-run\n  python -m bot stations list --region 兰州市"
    ),
    "help_stations_import": "导入工作站、工作室名单（CSV 或 XLSX；以“编号”为准，重复导入不会重复创建；有一行出错则整个文件不导入）",
    "epilog_stations_import": (
        "示例：\n"
        "  python -m bot stations import 工作站.xlsx --dry-run              只显示会改变什么\n"
        "  python -m bot stations import 工作站.xlsx                        导入\n"
        "  python -m bot stations import 工作站.xlsx --sheet 工作站          指定工作表\n"
        "  python -m bot stations import 工作站.csv --deactivate-missing     停用文件中没有的工作站\n"
        "文件中没有的列不会改动任何工作站的该项；只有存在的列里的空单元格才会清空（驻站委员为空即该站没有驻站委员）。"
        "表头可在前 10 行内（上方可以有标题行）。"
    ),
    "station_column_code": "必需，每个工作站、工作室唯一",
    "station_column_name": "必需",
    "station_column_kind": "必需，工作站 或 工作室",
    "station_column_address": "详细地址",
    "station_column_region": "如 甘肃省/兰州市/城关区，与名册的地区写法相同",
    "station_column_latitude": "可空，如 36.05486；与经度同时填写",
    "station_column_longitude": "可空，如 103.81967；与纬度同时填写",
    "station_column_members": "委员编号，多个用 ; 分隔，每个编号都须在名册中",
    "station_column_phone": "联系电话，如 0931-1702635",
    "station_column_site": "六有之一：有/无 或简短说明",
    "station_column_sign": "六有之一：有/无 或简短说明",
    "station_column_rules": "六有之一：有/无 或简短说明",
    "station_column_feature": "六有之一：有/无 或简短说明",
    "station_column_archive": "六有之一：有/无 或简短说明",
    "station_column_results": "六有之一：有/无 或简短说明",
    "metavar_stations_file": "工作站文件",
    "help_stations_import_file": "工作站名单 .csv / .xlsx（UTF-8、带 BOM 的 UTF-8 或 GB18030）",
    "help_stations_dry_run": "只显示会发生的变化（逐站逐项），不写入数据库",
    "help_stations_deactivate_missing": "把文件中没有的在用工作站标记为停用（不删除，重新出现时恢复）",
    "help_stations_max_deactivate_share": "停用数超过在用工作站的这个百分比时拒绝执行（默认 20）",
    "stations_cannot_import": "工作站名单无法导入（没有写入任何数据）：{reason}",
    "stations_absent_columns": "文件中没有这些列，工作站的这几项保持不变：{columns}",
    "stations_rows_bad": "工作站名单有 {rows} 行有误，整个文件未导入（没有写入任何数据）：",
    "station_row_missing_code": "缺少编号",
    "station_row_too_long": "{column}过长（最多 {max} 个字符）",
    "station_row_duplicate_code": "编号 {code} 与第 {first} 行重复",
    "station_row_missing_name": "缺少名称",
    "station_row_missing_kind": "缺少类型（应为 工作站 或 工作室）",
    "station_row_unknown_kind": "未知类型「{value}」（应为 工作站 或 工作室）",
    "station_row_bad_phone": "联系电话格式不正确「{value}」",
    "station_row_bad_latitude": "纬度不正确「{value}」（应为 -90 到 90 之间的数，如 36.05486）",
    "station_row_bad_longitude": "经度不正确「{value}」（应为 -180 到 180 之间的数，如 103.81967）",
    "station_row_half_coordinates": "纬度和经度要么都填，要么都空",
    "station_row_unknown_members": "驻站委员编号在名册中不存在：{numbers}",
    "station_member_hint": "（是不是 {number}？）",
    "stations_change_more": "…… 另有 {count} 个工作站有变化",
    "stations_missing_header": "文件中没有的在用工作站 {count} 个（{verb}）：",
    "stations_missing_more": "…… 另有 {count} 个",
    "stations_refuse_no_rows": (
        "文件中没有任何工作站数据行，拒绝停用全部 {missing} 个在用工作站（没有写入任何数据）。请检查是否选错了文件或工作表。"
    ),
    "stations_refuse_share": (
        "将停用 {missing} 个，占在用工作站 {active} 个的 {share}%，超过上限 {limit}%，已拒绝（没有写入任何数据）。"
        "请先用 --dry-run 核对名单；确认无误再加 --force。"
    ),
    "stations_summary_deactivated": "，已停用 {count} 个",
    "stations_import_summary": (
        "{prefix}共 {rows} 行：新增 {created}，更新 {updated}（其中恢复启用 {reactivated}），未变 {unchanged}；"
        "文件中没有的在用工作站 {missing} 个{tail}；新地区 {regions}。"
    ),
    "help_stations_list": "列出工作站、工作室及驻站委员",
    "epilog_stations_list": (
        "示例：\n  python -m bot stations list\n  python -m bot stations list --region 兰州市 --kind 工作室\n"
        "  python -m bot stations list --member GS0071\n  python -m bot stations list --out 工作站.xlsx"
    ),
    "metavar_stations_region": "地区",
    "metavar_kind": "类型",
    "help_stations_region": "只列出这个地区（及其下级）的，如 甘肃省/兰州市 或 兰州市",
    "help_stations_kind": "只列出 工作站 或 工作室",
    "help_stations_member": "只列出这位委员（编号）驻站的",
    "help_stations_inactive": "只列出已停用的",
    "help_stations_list_out": "把名单写入这个 .csv 或 .xlsx 文件（用 Excel、WPS 打开；没写扩展名时存为 .xlsx），不打印到屏幕",
    "arg_bad_station_kind": "「{value}」不是类型，应为 工作站 或 工作室",
    "stations_list_header": "编号\t名称\t类型\t地区\t地址\t联系电话\t驻站委员\t六有\t状态",
    "stations_six": "{done}/6",
    "stations_count": "共 {count} 个",
    "stations_written": "工作站名单已写入 {path}（{count} 个）。",
    "stations_sheet_title": "工作站名单",
    "stations_sheet_inactive": "仅已停用的",
    # python -m bot stations receptions
    "help_stations_receptions": "列出接待日及其编号（生成签到海报 stations qr --reception 编号 要用）、报名和签到人数",
    "epilog_stations_receptions": (
        "示例：\n  python -m bot stations receptions                       # 今天起的全部接待日\n"
        "  python -m bot stations receptions --station ZS004 --from 12-1"
    ),
    "help_receptions_station": "只列出这个工作站（编号，如 ZS004）的",
    "help_receptions_from": "从这一天起（如 2026-12-01、12-1、12月1日、今天；默认今天）",
    "metavar_day": "日期",
    "receptions_bad_from": "「{value}」不是日期，请写成 2026-12-01、12-1 或 12月1日。",
    "receptions_station_unknown": "没有编号为 {code} 的工作站（python -m bot stations list 可查看全部）。",
    "receptions_list_header": "接待日编号\t工作站\t时间\t接待委员\t状态\t报名\t签到",
    "receptions_count": "{day} 起共 {count} 场接待日",
    "reception_state_scheduled": "已安排",
    "reception_state_over": "已结束待登记",
    "reception_state_held": "已举行",
    "reception_state_cancelled": "已取消",
}

TEXTS: dict[str, str] = {
    # /my: the member's own stations
    "my_stations_header": "<b>我驻站的工作站、工作室</b>（{count} 个）：",
    "my_stations_none": "您还没有驻站的工作站、工作室（名单由办公室导入）。",
    "my_station_line": "\n🏠 <b>{name}</b>（{kind}，{code}）\n地址：{address}\n电话：{phone}\n同站委员：{others}\n六有：{done}/6",
    # /station (admins, and coordinators within their scope)
    "stn_staff_only": "只有管理员和协调员可以查看工作站。",
    "stn_prompt": "请在 /station 后写工作站的名称或编号，如：/station ZS001 或 /station 城关区",
    "stn_none": "没有找到名称或编号为「{query}」的工作站（或它不在您的范围内）。",
    "stn_results": "找到 {total} 个工作站，请选择：",
    "stn_results_more": "找到的工作站超过 {shown} 个，下面是前 {shown} 个；请写得更具体些。",
    "stn_not_in_scope": "这个工作站不存在或不在您的范围内。",
    "stn_record": (
        "🏠 <b>{name}</b>{inactive}\n编号：{code}　类型：{kind}\n地区：{region}\n地址：{address}\n"
        "联系电话：{phone}\n坐标：{coordinates}\n驻站委员：{members}\n六有（{done}/6）：{six}\n最近接待日：{last}"
    ),
    "stn_inactive": "（已停用）",
    "stn_none_value": "未填",
    "stn_no_others": "无",
    "stn_member": "{name}（{number}）",
    "stn_member_inactive": "{name}（{number}，已停用）",
    "stn_six_item": "{name}{value}",
    "stn_last": "{day} {start}–{end}「{topic}」，{member}值班，签到 {checkins} 人{status}（接待日编号 {id}）",
    "stn_last_none": "还没有",
    "stn_last_scheduled": "（进行中或待总结）",
    "stn_last_held": "（已举行）",
    # /stats → 🏠 工作站
    "stn_stats_head": (
        "🏠 <b>工作站</b>（{period}，{scope}）\n共 {stations} 个；接待日 {receptions} 次，签到 {checkins} 人次，"
        "诉求 {cases} 件；六有齐全 {six} 个"
    ),
    "stn_stats_line": "· {code} {name}：接待日 {receptions} 次，签到 {checkins}，诉求 {cases}，六有 {done}/6",
    "stn_stats_idle": "\n<b>本期没有接待日的</b>（{count} 个）：",
    "stn_stats_idle_line": "· {code} {name}（六有 {done}/6）",
    "stn_stats_cut": "\n（完整的表格见 /export → 汇总 的“工作站”表）",
    # 人次 checked in at the door of a reception day (/stats, /my's activities)
    "verified_people": "（其中扫码核实 {count} 人次）",
}

BUTTONS: dict[str, str] = {
    "my_stations": "🏠 我的工作站",
    "stn_pick": "{name}（{code}）{mark}",
    "stn_mark_inactive": "·已停用",
    "stats_stations": "🏠 工作站",
    "stn_stats_back": "◀ 返回统计",
}


# the 工作站 sheet of the quarterly report and /export's summary
STATION_SHEET: dict[str, object] = {
    "title": "工作站",
    "cols": ["编号", "名称", "类型", "地区", "驻站委员", "六有", "接待日", "签到人次", "诉求件"],
    "total": "合计 {rows} 个（其中本期没有接待日的 {idle} 个）",
    "row_verified": "其中扫码核实人次（全部 {people} 人次中）",
}
